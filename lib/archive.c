/* Opening, creating and closing an archive; the audit glue. */
#include "archive_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int custos_archive__json_kv(custos_buf_t *b, const char *key, const char *value)
{
	int err = 0;
	if (b->len > 1)
		err |= custos_buf_addc(b, ',');
	err |= custos_buf_add_json_str(b, key, strlen(key));
	err |= custos_buf_addc(b, ':');
	/* values come from users (paths, refused arguments): the audit line
	 * stays JSON whatever their bytes */
	err |= custos_buf_add_json_text(b, value, strlen(value));
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

static int dir_is_empty(const char *dir, custos_err_t *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return custos_err_set(err, errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot open '%s': %s", dir, strerror(errno));
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

int custos_archive_init(const char *dir, const char *actor, custos_err_t *err)
{
	custos_store_t *st = NULL;
	custos_actor_t who;
	struct stat sb;
	int rc;

	if (actor && (rc = custos_actor_parse(&who, actor, err)) < 0)
		return rc;
	actor = actor ? who.text : NULL;
	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return custos_err_set(err, CUSTOS_EEXISTS, "'%s' exists and is not a directory", dir);
		if ((rc = dir_is_empty(dir, err)) < 0)
			return rc;
		if (!rc) {
			char probe[4096];
			snprintf(probe, sizeof probe, "%s/store", dir);
			return custos_err_set(err, CUSTOS_EEXISTS,
			                      stat(probe, &sb) == 0 ? "'%s' is already an archive"
			                                            : "'%s' is not empty", dir);
		}
		/* an empty directory given to init becomes the archive: private */
		if ((sb.st_mode & 077) && chmod(dir, sb.st_mode & 07700) < 0)
			return custos_err_set(err, errno == EPERM ? CUSTOS_EACCESS : CUSTOS_EIO,
			                      "cannot make '%s' private to its owner: %s", dir,
			                      strerror(errno));
	} else if (mkdir(dir, 0700) < 0) {
		return custos_err_set(err, errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot create '%s': %s", dir, strerror(errno));
	}
	if ((rc = custos_store_open(&st, dir, CUSTOS_STORE_WRITE | CUSTOS_STORE_CREATE, err)) < 0)
		return rc;
	custos_store_free(st);
	/* the policy repository (retention schedule, holds, documents) */
	if ((rc = custos_archive__policy_init(dir, actor, err)) < 0)
		return rc;
	custos_buf_t params = { 0 };
	custos_buf_addc(&params, '{');
	custos_archive__json_kv(&params, "dir", dir);
	custos_buf_addc(&params, '}');
	custos_audit_entry_t e = { "init", actor, params.data, NULL, CUSTOS_OK };
	rc = custos_audit_append(dir, &e, err);
	custos_buf_free(&params);
	return rc;
}

int custos_archive_open(custos_archive_t **out, const char *dir, unsigned flags,
                        const char *actor, custos_err_t *err)
{
	custos_archive_t *a;
	custos_actor_t who;
	unsigned sflags = 0;
	int rc;

	*out = NULL;
	/* the one check of who acts: the actor reaches the audit chain, git
	 * commits, hold files and tombstones */
	if (actor && (rc = custos_actor_parse(&who, actor, err)) < 0)
		return rc;
	actor = actor ? who.text : NULL;
	if (!(a = calloc(1, sizeof *a)) || !(a->dir = strdup(dir)) ||
	    (actor && !(a->actor = strdup(actor)))) {
		custos_archive_free(a);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	a->flags = flags;
	if (flags & CUSTOS_OPEN_WRITE)
		sflags |= CUSTOS_STORE_WRITE;
	if (flags & CUSTOS_OPEN_WAIT)
		sflags |= CUSTOS_STORE_WAIT;
	if ((rc = custos_store_open(&a->store, dir, sflags, err)) < 0) {
		custos_archive_free(a);
		return rc;
	}
	*out = a;
	return CUSTOS_OK;
}

void custos_archive_free(custos_archive_t *a)
{
	if (!a)
		return;
	custos_store_free(a->store);
	free(a->dir);
	free(a->actor);
	free(a);
}

const custos_err_t *custos_archive_err(const custos_archive_t *a)
{
	return &a->err;
}

custos_store_t *custos_archive_store(custos_archive_t *a)
{
	return a->store;
}

const char *custos_archive_dir(const custos_archive_t *a)
{
	return a->dir;
}

int custos_archive_audit(custos_archive_t *a, const char *action, const char *params_json,
                         const char *result_json, int status)
{
	custos_audit_entry_t e = { action, a->actor, params_json, result_json, status };
	return custos_audit_append(a->dir, &e, &a->err);
}
