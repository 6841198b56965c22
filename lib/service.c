/* The service beside an archive open for writing: its files under
 * <archive>/service/, authentication of requests, the request's audit
 * entry, metrics, and following the audit trail for a SIEM. */
#include "service_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int errno_status(int e)
{
	return e == ENOSPC || e == EDQUOT ? CUSTOS_ENOSPC : e == EACCES || e == EPERM
	       ? CUSTOS_EACCESS : e == ENOENT ? CUSTOS_ENOTFOUND : CUSTOS_EIO;
}

int custos_service__dir(const char *archive_dir, const char *sub, char *out, size_t cap,
                        custos_err_t *err)
{
	char top[4096];
	if ((size_t)snprintf(top, sizeof top, "%s/service", archive_dir) >= sizeof top ||
	    (size_t)snprintf(out, cap, "%s%s%s", top, sub ? "/" : "", sub ? sub : "") >= cap)
		return custos_err_set(err, CUSTOS_EINVAL, "the archive's path is too long");
	if (mkdir(top, 0700) < 0 && errno != EEXIST)
		return custos_err_set(err, errno_status(errno), "cannot create '%s': %s", top,
		                      strerror(errno));
	if (sub && mkdir(out, 0700) < 0 && errno != EEXIST)
		return custos_err_set(err, errno_status(errno), "cannot create '%s': %s", out,
		                      strerror(errno));
	return CUSTOS_OK;
}

int custos_service__write(const char *path, const void *p, size_t n, custos_err_t *err)
{
	char tmp[4200], dir[4200];
	int fd = -1, e;
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)gettid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto fail;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	e = close(fd);
	fd = -1;
	if (e < 0 || rename(tmp, path) < 0)
		goto fail;
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0) {
			e = errno;
			if (dfd >= 0)
				close(dfd);
			return custos_err_set(err, errno_status(e), "cannot sync '%s': %s", dir,
			                      strerror(e));
		}
		close(dfd);
	}
	return CUSTOS_OK;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return custos_err_set(err, errno_status(e), "cannot write '%s': %s", path, strerror(e));
}

int custos_service__write_json(const char *path, json_t *j, custos_err_t *err)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	size_t n = strlen(text);
	text[n] = '\0';
	char *line = realloc(text, n + 2);
	if (!line) {
		free(text);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	line[n] = '\n';
	int rc = custos_service__write(path, line, n + 1, err);
	free(line);
	return rc;
}

int64_t custos_service__json_time(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	int64_t ms;
	return v && custos_time_parse(&ms, v, strlen(v)) == CUSTOS_OK ? ms : CUSTOS_TIME_NONE;
}

int custos_service__read_json(const char *path, json_t **out, custos_err_t *err)
{
	json_error_t je;
	*out = NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return CUSTOS_OK;
	if (!(*out = json_load_file(path, JSON_REJECT_DUPLICATES, &je)))
		return custos_err_set(err, access(path, R_OK) < 0 ? CUSTOS_EACCESS : CUSTOS_ECORRUPT,
		                      "cannot read '%s': %s (line %d)", path, je.text, je.line);
	return CUSTOS_OK;
}

int custos_service__lock(const char *archive_dir, int *fd, custos_err_t *err)
{
	char dir[4096], path[4200];
	int rc;
	if ((rc = custos_service__dir(archive_dir, NULL, dir, sizeof dir, err)) < 0)
		return rc;
	snprintf(path, sizeof path, "%s/lock", dir);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return custos_err_set(err, errno_status(errno), "cannot open '%s': %s", path,
		                      strerror(errno));
	while (flock(*fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int e = errno;
			close(*fd);
			return custos_err_set(err, CUSTOS_EIO, "cannot lock '%s': %s", path, strerror(e));
		}
	return CUSTOS_OK;
}

void custos_service__unlock(int fd)
{
	if (fd >= 0)
		close(fd);   /* releases the flock */
}

int custos_service__check_name(const char *what, const char *name, custos_err_t *err)
{
	size_t n = name ? strlen(name) : 0;
	bool ok = n > 0 && n <= 64 && name[0] != '.' && name[0] != '-';
	for (size_t i = 0; ok && i < n; i++) {
		char c = name[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '_' || c == '-';
	}
	if (!ok)
		return custos_err_set(err, CUSTOS_EINVAL, "bad %s name '%.80s': 1 to 64 letters, "
		                      "digits, '.', '_' or '-', not starting with '.' or '-'", what,
		                      name ? name : "");
	return CUSTOS_OK;
}

/* ---- the service ---------------------------------------------------------- */

int custos_service_start(custos_service_t **out, custos_archive_t *a,
                         const custos_service_opts_t *opts, custos_err_t *err)
{
	static const custos_service_opts_t defaults = CUSTOS_SERVICE_OPTS_INIT;
	custos_service_t *svc;
	char dir[4096];
	int rc;
	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!custos_archive_writable(a))
		return custos_err_set(err, CUSTOS_EINVAL, "the service needs the archive open for "
		                      "writing");
	if ((rc = custos_service__dir(a->dir, NULL, dir, sizeof dir, err)) < 0)
		return rc;
	if (!(svc = calloc(1, sizeof *svc)))
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	svc->a = a;
	custos_tokens__cache_init(&svc->tokens);
	if ((rc = custos_jobs__start(&svc->jobs, a, !opts->no_jobs, err)) < 0 ||
	    (!opts->no_poll &&
	     ((rc = CUSTOS_MODULE_GET(&svc->poll, "serve", custos_module_poll, err)) < 0 ||
	      (rc = svc->poll->start(&svc->poller, a, opts->poll_tick_ms, err)) < 0))) {
		custos_service_stop(svc);
		return rc;
	}
	*out = svc;
	return CUSTOS_OK;
}

void custos_service_stop(custos_service_t *svc)
{
	if (!svc)
		return;
	if (svc->poll)
		svc->poll->stop(svc->poller);
	custos_jobs__stop(svc->jobs);
	custos_tokens__cache_free(&svc->tokens);
	free(svc);
}

int custos_service_authenticate(custos_service_t *svc, const char *bearer, const char *client,
                                custos_who_t *who, char *name, custos_err_t *err)
{
	custos_tokcache_entry_t e;
	memset(&e, 0, sizeof e);
	int rc = bearer && *bearer ? custos_tokens__check(&svc->tokens, svc->a->dir, bearer, &e, err)
	                           : custos_err_set(err, CUSTOS_EACCESS, "no token: send "
	                                            "'Authorization: Bearer TOKEN'");
	if (rc == CUSTOS_OK && e.revoked)
		rc = custos_err_set(err, CUSTOS_EACCESS, "token '%s' was revoked", e.name);
	if (rc < 0) {
		if (svc->a->audit) {
			custos_buf_t r = { 0 };
			custos_buf_addc(&r, '{');
			custos_lib__json_kv(&r, "error", err->msg);
			custos_buf_addc(&r, '}');
			/* a revoked token is named; an unknown one is not echoed */
			custos_audit_entry_t ae = { "auth-refused", NULL, NULL, e.name[0] ? e.name : NULL,
			                            client, NULL, r.data, rc };
			custos_err_t aerr = { 0 };
			custos_auditlog_append(svc->a->audit, &ae, NULL, &aerr);
			custos_buf_free(&r);
		}
		return rc;
	}
	snprintf(name, CUSTOS_TOKEN_NAME_MAX + 1, "%s", e.name);
	who->role = e.role;
	who->token = name;
	who->client = client;
	return CUSTOS_OK;
}

int custos_service_may_submit(custos_session_t *s)
{
	return custos_session__begin(s, CUSTOS_OP_INGEST, "submit records");
}

int custos_service_request_done(custos_session_t *s, const char *method, const char *path,
                                int http_status)
{
	if (s->audits)
		return CUSTOS_OK;
	custos_buf_t p = { 0 }, r = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "method", method);
	custos_lib__json_kv(&p, "path", path);
	custos_buf_addc(&p, '}');
	custos_buf_printf(&r, "{\"http_status\":%d}", http_status);
	int status = http_status >= 400 ? (s->err.status < 0 ? s->err.status : CUSTOS_EINVAL)
	                                : CUSTOS_OK;
	if (status < 0 && s->err.status >= 0)
		custos_err_set(&s->err, status, "HTTP %d", http_status);
	int rc = p.data && r.data ? custos_session__audit(s, "request", p.data, r.data, status)
	                          : CUSTOS_ENOMEM;
	custos_buf_free(&p);
	custos_buf_free(&r);
	return rc < 0 && status == CUSTOS_OK ? rc : CUSTOS_OK;
}

int custos_service_audit_note(custos_session_t *s, const char *action, const char *params_json)
{
	custos_err_clear(&s->err);
	return custos_session__audit(s, action, params_json, NULL, CUSTOS_OK);
}

/* ---- metrics --------------------------------------------------------------- */

void custos_metrics_free(custos_metrics_t *m)
{
	if (!m)
		return;
	custos_stats_free(&m->stats);
	custos_sources_free(&m->sources);
	memset(m, 0, sizeof *m);
}

int custos_service_metrics(custos_service_t *svc, custos_session_t *s, custos_metrics_t *out)
{
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_METRICS, "read the service's metrics")) < 0)
		return rc;
	if ((rc = custos_archive_stats(s, &out->stats)) < 0)
		return rc;
	if ((rc = custos_sources__list(svc->a->dir, &out->sources, &s->err)) < 0)
		return rc;
	custos_jobs__count(svc->jobs, out->jobs);
	if (svc->a->audit) {
		uint8_t head[CUSTOS_SHA256_LEN];
		custos_auditlog_synced(svc->a->audit, &out->audit_entries, head);
	}
	return CUSTOS_OK;
}

/* ---- following the audit trail ------------------------------------------- */

int custos_audit_follow(custos_archive_t *a, custos_audit_pos_t *pos, custos_audit_line_fn fn,
                        void *ctx, custos_err_t *err)
{
	char path[4200];
	struct stat sb;
	int rc = CUSTOS_OK;
	snprintf(path, sizeof path, "%s/audit/audit.log", a->dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return custos_err_set(err, errno_status(errno), "cannot open '%s': %s", path,
		                      strerror(errno));
	if (fstat(fd, &sb) < 0) {
		rc = custos_err_set(err, CUSTOS_EIO, "cannot stat '%s': %s", path, strerror(errno));
		goto done;
	}
	if ((uint64_t)sb.st_size < pos->offset) {
		/* the log never shrinks: a cursor past its end is not this log's */
		rc = custos_err_set(err, CUSTOS_ECORRUPT, "'%s' is shorter (%lld bytes) than the "
		                    "stream's cursor (%llu)", path, (long long)sb.st_size,
		                    (unsigned long long)pos->offset);
		goto done;
	}
	size_t want = (size_t)((uint64_t)sb.st_size - pos->offset);
	if (!want)
		goto done;
	if (want > ((size_t)16 << 20))
		want = (size_t)16 << 20;   /* in rounds: memory stays bounded */
	char *buf = malloc(want);
	if (!buf) {
		rc = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	ssize_t got = pread(fd, buf, want, (off_t)pos->offset);
	if (got < 0) {
		rc = custos_err_set(err, CUSTOS_EIO, "cannot read '%s': %s", path, strerror(errno));
		free(buf);
		goto done;
	}
	size_t at = 0;
	for (;;) {
		char *nl = memchr(buf + at, '\n', (size_t)got - at);
		if (!nl)
			break;   /* a line being written: the next call takes it */
		size_t n = (size_t)(nl - (buf + at));
		if ((rc = fn(ctx, buf + at, n)) != 0)
			break;
		at += n + 1;
		pos->offset += n + 1;
		pos->n++;
	}
	free(buf);
done:
	close(fd);
	return rc;
}

static void cursor_path(custos_archive_t *a, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/service/%s.cursor", a->dir, name);
}

int custos_audit_cursor_load(custos_archive_t *a, const char *name, custos_audit_pos_t *pos,
                             custos_err_t *err)
{
	char path[4200];
	json_t *j = NULL;
	int rc;
	pos->n = pos->offset = 0;
	if ((rc = custos_service__check_name("stream", name, err)) < 0)
		return rc;
	cursor_path(a, name, path, sizeof path);
	if ((rc = custos_service__read_json(path, &j, err)) < 0 || !j)
		return rc;
	pos->n = (uint64_t)json_integer_value(json_object_get(j, "n"));
	pos->offset = (uint64_t)json_integer_value(json_object_get(j, "offset"));
	json_decref(j);
	return CUSTOS_OK;
}

int custos_audit_cursor_save(custos_archive_t *a, const char *name, const custos_audit_pos_t *pos,
                             custos_err_t *err)
{
	char path[4200], dir[4096];
	int rc;
	if ((rc = custos_service__check_name("stream", name, err)) < 0 ||
	    (rc = custos_service__dir(a->dir, NULL, dir, sizeof dir, err)) < 0)
		return rc;
	cursor_path(a, name, path, sizeof path);
	json_t *j = json_pack("{s:I, s:I}", "n", (json_int_t)pos->n, "offset", (json_int_t)pos->offset);
	if (!j)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	rc = custos_service__write_json(path, j, err);
	json_decref(j);
	return rc;
}

uint64_t custos_audit_size(custos_archive_t *a)
{
	char path[4200];
	struct stat sb;
	snprintf(path, sizeof path, "%s/audit/audit.log", a->dir);
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}
