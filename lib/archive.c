/* The archive: one per archive per process, shared by every thread. Opening
 * it for writing takes the writer lock and starts the writer and the index
 * service; the audit appender serves both kinds. */
#include "lib_internal.h"
#include "matter_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The archives open in this process, by the device and inode of their
 * directory: LMDB allows one environment per file and process. */
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static custos_archive_t *open_v[64];
static size_t open_n;

int custos_lib__json_kv(custos_buf_t *b, const char *key, const char *value)
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

int custos_lib__json_error(custos_buf_t *b, const char *msg)
{
	int err = custos_buf_adds(b, "{\"error\":");
	err |= custos_buf_add_json_text(b, msg, strlen(msg));
	err |= custos_buf_addc(b, '}');
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_lib__errno_status(int e)
{
	return e == ENOENT ? CUSTOS_ENOTFOUND
	       : e == ENOSPC || e == EDQUOT || e == EFBIG ? CUSTOS_ENOSPC
	       : e == ENOMEM ? CUSTOS_ENOMEM
	       : e == EACCES || e == EPERM || e == EROFS ? CUSTOS_EACCESS
	       : CUSTOS_EIO;
}

int custos_lib__json_obj(custos_buf_t *b, const char *key, const char *value)
{
	int err = custos_buf_addc(b, '{');
	err |= custos_lib__json_kv(b, key, value);
	err |= custos_buf_addc(b, '}');
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

void custos_lib__index_path(char *out, size_t cap, const char *dir)
{
	snprintf(out, cap, "%s/index", dir);
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

int custos_archive_init(const char *dir, const custos_who_t *who, custos_err_t *err)
{
	static const custos_who_t nobody = CUSTOS_WHO_INIT;
	custos_store_t *st = NULL;
	custos_actor_t actor;
	struct stat sb;
	int rc;

	if (!who)
		who = &nobody;
	if (who->actor && (rc = custos_actor_parse(&actor, who->actor, err)) < 0)
		return rc;
	const char *act = who->actor ? actor.text : NULL;
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
	if ((rc = custos_lib__policy_init(dir, act, err)) < 0)
		return rc;
	/* an empty index: readers never meet one half made by a first ingest */
	char ipath[4200];
	custos_index_t *idx = NULL;
	custos_lib__index_path(ipath, sizeof ipath, dir);
	if ((rc = custos_index_open(&idx, ipath, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, err)) < 0)
		return rc;
	rc = custos_index_commit(idx, 0);
	if (rc < 0)
		custos_err_set(err, rc, "cannot create the search index: %s", custos_index_errmsg(idx));
	custos_index_free(idx);
	if (rc < 0)
		return rc;
	custos_buf_t params = { 0 };
	custos_buf_addc(&params, '{');
	custos_lib__json_kv(&params, "dir", dir);
	custos_buf_addc(&params, '}');
	custos_audit_entry_t e = { "init", act, NULL, who->token, who->client,
	                           params.data, NULL, CUSTOS_OK };
	rc = custos_audit_append(dir, &e, err);
	custos_buf_free(&params);
	return rc;
}

void custos_archive__audited(custos_archive_t *a, uint64_t seq)
{
	pthread_mutex_lock(&a->mu);
	if (seq > a->audited_seq)
		a->audited_seq = seq;
	pthread_mutex_unlock(&a->mu);
}

void custos_archive__policy_head(custos_archive_t *a, const char *commit)
{
	pthread_mutex_lock(&a->mu);
	snprintf(a->policy_head, sizeof a->policy_head, "%s", commit ? commit : "");
	pthread_mutex_unlock(&a->mu);
}

void custos_archive__anchor(custos_archive_t *a, custos_anchor_t *out)
{
	memset(out, 0, sizeof *out);
	if (a->audit)
		custos_auditlog_synced(a->audit, &out->audit_n, out->audit_head);
	pthread_mutex_lock(&a->mu);
	memcpy(out->policy, a->policy_head, sizeof out->policy);
	out->audited_seq = a->audited_seq;
	pthread_mutex_unlock(&a->mu);
}

typedef struct {
	uint64_t after_n;      /* entries after this one are read */
	uint64_t last_seq;     /* the highest last_seq they account for */
} accounted_t;

static int accounted_fn(void *ctx, const char *line, size_t n)
{
	accounted_t *c = ctx;
	const char *p;
	uint64_t num = 0;
	if (n > 5 && !memcmp(line, "{\"n\":", 5))
		num = strtoull(line + 5, NULL, 10);
	if (num <= c->after_n)
		return 0;
	/* ingest, submit and recovery entries name the last seq they cover */
	if ((p = strstr(line, "\"last_seq\":"))) {
		uint64_t v = strtoull(p + 11, NULL, 10);
		if (v > c->last_seq)
			c->last_seq = v;
	}
	return 0;
}

/* Every committed record is accounted for by an audit entry. A crash, or a
 * full disk, between a batch's commit and the entry that reports it leaves
 * records no entry names: one entry now says which, with the chain head. */
static int account_for_batches(custos_archive_t *a, custos_err_t *err)
{
	custos_anchor_t an;
	uint64_t last = 0;
	int rc;
	if ((rc = custos_store_last_anchor(a->store, &an)) < 0 ||
	    (rc = custos_store_last_seq(a->store, &last)) < 0)
		return custos_err_set(err, rc, "%s", custos_store_err(a->store)->msg);
	a->audited_seq = an.audited_seq;
	snprintf(a->policy_head, sizeof a->policy_head, "%s", an.policy);
	if (last <= an.audited_seq)
		return CUSTOS_OK;
	accounted_t c = { an.audit_n, an.audited_seq };
	if ((rc = custos_audit_read(a->dir, CUSTOS_TIME_NONE, accounted_fn, &c, err)) < 0)
		return rc;
	if (c.last_seq < last && a->audit) {
		custos_buf_t r = { 0 };
		custos_buf_printf(&r, "{\"first_seq\":%llu,\"last_seq\":%llu,\"reason\":"
		                  "\"records committed without an audit entry naming them (a crash "
		                  "or a full disk after their commit)\"}",
		                  (unsigned long long)c.last_seq + 1, (unsigned long long)last);
		custos_audit_entry_t e = { "ingest-recovered", NULL, NULL, NULL, NULL, NULL, r.data,
		                           CUSTOS_OK };
		rc = r.data ? custos_auditlog_append(a->audit, &e, NULL, err)
		            : custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		custos_buf_free(&r);
		if (rc < 0)
			return rc;
	}
	if (c.last_seq >= last || a->audit)
		a->audited_seq = last;
	return CUSTOS_OK;
}

static void registry_remove(custos_archive_t *a)
{
	pthread_mutex_lock(&open_mu);
	for (size_t i = 0; i < open_n; i++)
		if (open_v[i] == a) {
			open_v[i] = open_v[--open_n];
			break;
		}
	pthread_mutex_unlock(&open_mu);
}

int custos_archive_open(custos_archive_t **out, const char *dir, unsigned flags,
                        custos_err_t *err)
{
	custos_archive_t *a;
	unsigned sflags = 0;
	struct stat sb;
	int rc;

	*out = NULL;
	if (stat(dir, &sb) < 0)
		return custos_err_set(err, errno == ENOENT ? CUSTOS_ENOTARCHIVE :
		                      errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot open archive '%s': %s", dir, strerror(errno));
	if (!(a = calloc(1, sizeof *a)) || !(a->dir = strdup(dir))) {
		free(a);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	a->flags = flags;
	a->dev = sb.st_dev;
	a->ino = sb.st_ino;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->policy_mu, NULL);
	pthread_mutex_init(&a->dispose_mu, NULL);
	pthread_mutex_lock(&open_mu);
	bool twice = open_n == sizeof open_v / sizeof *open_v;
	for (size_t i = 0; i < open_n && !twice; i++)
		twice = open_v[i]->dev == a->dev && open_v[i]->ino == a->ino;
	if (!twice)
		open_v[open_n++] = a;
	pthread_mutex_unlock(&open_mu);
	if (twice) {
		pthread_mutex_destroy(&a->mu);
		pthread_mutex_destroy(&a->policy_mu);
		pthread_mutex_destroy(&a->dispose_mu);
		free(a->dir);
		free(a);
		return custos_err_set(err, CUSTOS_EBUSY, "'%s' is already open in this process: "
		                      "share its handle", dir);
	}
	if (flags & CUSTOS_OPEN_WRITE)
		sflags |= CUSTOS_STORE_WRITE;
	if (flags & CUSTOS_OPEN_WAIT)
		sflags |= CUSTOS_STORE_WAIT;
	/* a server holds the lock for as long as it runs: waiting for it
	 * would wait forever, so a writer that would wait is told who holds it */
	if ((sflags & CUSTOS_STORE_WAIT) &&
	    (rc = custos_store_open(&a->store, dir, sflags & ~CUSTOS_STORE_WAIT, err)) < 0) {
		if (rc != CUSTOS_EBUSY || (err && strstr(err->msg, ": custos serve)")))
			goto fail;
		rc = custos_store_open(&a->store, dir, sflags, err);
	} else if (!(sflags & CUSTOS_STORE_WAIT)) {
		rc = custos_store_open(&a->store, dir, sflags, err);
	}
	if (rc < 0)
		goto fail;
	/* a read-only medium: reading works, unaudited, and says so */
	custos_err_t aerr = { 0 };
	if ((rc = custos_auditlog_open(&a->audit, dir, &aerr)) < 0) {
		if (rc != CUSTOS_EACCESS || (flags & CUSTOS_OPEN_WRITE)) {
			if (err)
				*err = aerr;
			goto fail;
		}
		snprintf(a->audit_why, sizeof a->audit_why, "%.255s", aerr.msg);
	}
	if (flags & CUSTOS_OPEN_WRITE) {
		if ((rc = account_for_batches(a, err)) < 0)
			goto fail;
		if ((rc = custos_writer__start(a)) < 0 ||
		    (!(flags & CUSTOS_OPEN_NO_INDEX) && (rc = custos_indexsvc__start(a)) < 0)) {
			custos_err_set(err, rc, "cannot start the archive's threads");
			goto fail;
		}
	}
	*out = a;
	return CUSTOS_OK;
fail:
	custos_archive_close(a);
	return rc;
}

/* libgit2's init reads and parses the system's CA certificates (a third
 * of a search's CPU time when every open did it: BENCHMARKS.md,
 * "Start-up"): the archive takes its reference when a session first opens
 * the policy repository, before any of its threads can use libgit2. */
void custos_archive__git_hold(custos_archive_t *a)
{
	pthread_mutex_lock(&a->mu);
	if (!a->git_held)
		a->git_held = custos_policy_lib_hold() == CUSTOS_OK;
	pthread_mutex_unlock(&a->mu);
}

void custos_archive_close(custos_archive_t *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = true;
	pthread_mutex_unlock(&a->mu);
	/* the writer first: what it commits, the index service then indexes */
	custos_writer__stop(a);
	custos_indexsvc__stop(a);
	custos_matters__close(a->matters);
	custos_auditlog_free(a->audit);
	custos_store_free(a->store);
	registry_remove(a);
	if (a->git_held)
		custos_policy_lib_release();
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->policy_mu);
	pthread_mutex_destroy(&a->dispose_mu);
	free(a->dir);
	free(a);
}

const char *custos_archive_dir(const custos_archive_t *a)
{
	return a->dir;
}

bool custos_archive_writable(const custos_archive_t *a)
{
	return (a->flags & CUSTOS_OPEN_WRITE) != 0;
}

bool custos_archive_audited(const custos_archive_t *a)
{
	return a->audit != NULL;
}

bool custos_archive_lockless(const custos_archive_t *a)
{
	return custos_store_lockless(a->store);
}
