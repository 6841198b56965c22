/* The audit chain: <archive>/audit/audit.log, one JSON object a line, each
 * naming the SHA-256 of the line before it. It has its own lock file, so an
 * append never waits for the store's writer. docs/audit.md. */
#include "custos_archiver.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUDIT_MAX_LINE (16u << 20)

typedef struct {
	uint64_t n;                         /* entries read */
	uint8_t  head[CUSTOS_SHA256_LEN];   /* hash of the last complete line */
	off_t    good_end;                  /* end of the last complete line */
	off_t    size;
} audit_tail_t;

static void audit_path(char *out, size_t cap, const char *dir, const char *name)
{
	snprintf(out, cap, "%s/audit/%s", dir, name);
}

/* Reads the whole log once: counts entries, hashes the last line. Lines are
 * short, and the log is read only on append and verify; an archive with a
 * very long history would keep a checkpoint, see docs/audit.md. */
static int audit_scan(int fd, audit_tail_t *t, int64_t since, custos_audit_fn fn, void *ctx,
                      int check, custos_err_t *err)
{
	custos_buf_t line = { 0 };
	char buf[65536];
	uint8_t prev[CUSTOS_SHA256_LEN] = { 0 };
	off_t pos = 0, line_start = 0;
	ssize_t got;
	int st = CUSTOS_OK;

	memset(t, 0, sizeof *t);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return custos_err_set(err, CUSTOS_EIO, "cannot seek audit log: %s", strerror(errno));
	while ((got = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (line.len >= AUDIT_MAX_LINE) {
					st = custos_err_set(err, CUSTOS_ECORRUPT,
					                    "audit log: line %llu longer than %u bytes",
					                    (unsigned long long)t->n + 1, AUDIT_MAX_LINE);
					goto done;
				}
				if ((st = custos_buf_addc(&line, buf[i])) < 0)
					goto done;
				continue;
			}
			pos = line_start + (off_t)line.len + 1;
			t->n++;
			if (check) {
				/* every line ends with the hash of the line before it */
				char want[CUSTOS_SHA256_HEX + 16], hex[CUSTOS_SHA256_HEX];
				custos_hex(hex, prev, sizeof prev);
				int wl = snprintf(want, sizeof want, "\"prev\":\"%s\"}", hex);
				if (line.len < (size_t)wl ||
				    memcmp(line.data + line.len - (size_t)wl, want, (size_t)wl) != 0) {
					if (t->n == 1)
						st = custos_err_set(err, CUSTOS_ECORRUPT, "audit log line 1: chain "
						                    "broken: it does not end with the 64 zeros of "
						                    "the first entry");
					else
						st = custos_err_set(err, CUSTOS_ECORRUPT,
						                    "audit log line %llu (byte %lld): chain broken: "
						                    "it does not name the hash of line %llu",
						                    (unsigned long long)t->n, (long long)line_start,
						                    (unsigned long long)t->n - 1);
					goto done;
				}
			}
			custos_sha256(prev, line.data ? line.data : "", line.len);
			if (fn) {
				int keep = 1;
				const char *tp = since == CUSTOS_TIME_NONE || !line.data ? NULL :
				                 strstr(line.data, "\"time\":\"");
				const char *q = tp ? strchr(tp + 8, '"') : NULL;
				int64_t at;
				if (q && custos_time_parse(&at, tp + 8, (size_t)(q - tp - 8)) == 0)
					keep = at >= since;
				if (keep && (st = fn(ctx, line.data ? line.data : "", line.len)) != 0)
					goto done;
			}
			line_start = pos;
			custos_buf_clear(&line);
		}
	}
	if (got < 0) {
		st = custos_err_set(err, CUSTOS_EIO, "cannot read audit log: %s", strerror(errno));
		goto done;
	}
	memcpy(t->head, prev, sizeof prev);
	t->good_end = line_start;
	t->size = line_start + (off_t)line.len;
done:
	custos_buf_free(&line);
	return st;
}

static const char *os_user(char *buf, size_t cap)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];
	if (getpwuid_r(geteuid(), &pw, tmp, sizeof tmp, &res) == 0 && res)
		snprintf(buf, cap, "%s", res->pw_name);
	else
		snprintf(buf, cap, "uid:%u", (unsigned)geteuid());
	return buf;
}

static int open_log(const char *dir, int flags, int *fd_out, int *lock_out, custos_err_t *err)
{
	char path[4096], lock[4096];
	audit_path(path, sizeof path, dir, "audit.log");
	audit_path(lock, sizeof lock, dir, "lock");
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	/* a read-only medium (a WORM copy, a snapshot, a read-only mount):
	 * the lock is taken through a read-only descriptor, or, when it cannot
	 * be created there, not at all, since nobody can append to the log */
	if (lfd < 0 && (errno == EROFS || errno == EACCES)) {
		lfd = open(lock, O_RDONLY | O_CLOEXEC);
		if (lfd < 0 && errno == ENOENT)
			lfd = -2;
	}
	if (lfd == -1)
		return custos_err_set(err, errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot open '%s': %s", lock, strerror(errno));
	if (lfd == -2)
		lfd = -1;
	else if (flock(lfd, LOCK_EX) < 0) {
		int e = errno;
		close(lfd);
		return custos_err_set(err, CUSTOS_EIO, "cannot lock '%s': %s", lock, strerror(e));
	}
	int fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		close(lfd);
		return custos_err_set(err, e == ENOENT ? CUSTOS_ENOTARCHIVE :
		                      e == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot open '%s': %s", path, strerror(e));
	}
	*fd_out = fd;
	*lock_out = lfd;
	return CUSTOS_OK;
}

static void close_log(int fd, int lfd)
{
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);  /* releases the flock */
}

/* ---------------------------------------------------------------------------
 * The appender. It keeps the chain's tail (entry number, hash, end offset)
 * in memory, so an append costs the same with 10 entries or 10 million:
 * one write, and one fdatasync shared by the appends that arrive while it
 * runs. Another process appending to the same log (the command line next to
 * the service) is noticed by the file's size, and only its new lines are
 * read. */
struct custos_auditlog {
	char           *dir;
	int             fd, lock_fd;
	char            user[256];
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	/* the tail as written, and as durable (what the store may anchor) */
	uint64_t        n, synced_n;
	uint8_t         head[CUSTOS_SHA256_LEN], synced_head[CUSTOS_SHA256_LEN];
	off_t           end, synced_end;
	bool            syncing;
	bool            dir_synced;   /* the log's directory entry is durable */
};

/* The entry number a line states: it starts {"n":<digits>, */
static uint64_t line_number(const char *p, size_t n)
{
	uint64_t v = 0;
	if (n < 6 || memcmp(p, "{\"n\":", 5) != 0)
		return 0;
	for (size_t i = 5; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(p[i] - '0');
	return v;
}

/* Reads the lines in [from, to) of the log (each ending with a newline)
 * and moves the tail over them: what another process appended. */
static int tail_follow(custos_auditlog_t *l, off_t from, off_t to, custos_err_t *err)
{
	custos_buf_t line = { 0 };
	char buf[65536];
	int st = CUSTOS_OK;
	while (from < to) {
		size_t want = (size_t)(to - from) < sizeof buf ? (size_t)(to - from) : sizeof buf;
		ssize_t got = pread(l->fd, buf, want, from);
		if (got <= 0) {
			st = custos_err_set(err, CUSTOS_EIO, "cannot read audit log: %s",
			                    got < 0 ? strerror(errno) : "unexpected end");
			break;
		}
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (line.len >= AUDIT_MAX_LINE) {
					st = custos_err_set(err, CUSTOS_ECORRUPT, "audit log: a line longer "
					                    "than %u bytes", AUDIT_MAX_LINE);
					goto done;
				}
				if ((st = custos_buf_addc(&line, buf[i])) < 0)
					goto done;
				continue;
			}
			custos_sha256(l->head, line.data ? line.data : "", line.len);
			uint64_t n = line_number(line.data ? line.data : "", line.len);
			l->n = n ? n : l->n + 1;
			l->end += (off_t)line.len + 1;
			custos_buf_clear(&line);
		}
		from += got;
	}
done:
	custos_buf_free(&line);
	return st;
}

/* Finds the tail of the log without reading all of it: the last complete
 * line, read backwards from the end. Bytes after it are a torn line. */
static int tail_find(custos_auditlog_t *l, off_t size, custos_err_t *err)
{
	custos_buf_t line = { 0 };
	char buf[65536];
	off_t pos = size, nl = -1, prev_nl = -1;
	int st = CUSTOS_OK;
	l->n = 0;
	memset(l->head, 0, sizeof l->head);
	l->end = 0;
	/* the last newline, and the one before it: 4 KB first (an entry is a
	 * few hundred bytes), then twice as much each time up to 64 KB, so that
	 * opening an archive reads and copies a page of its log, not 64 KB */
	size_t chunk = 4096;
	while (pos > 0 && prev_nl < 0) {
		size_t want = pos < (off_t)chunk ? (size_t)pos : chunk;
		if (chunk < sizeof buf)
			chunk *= 2;
		pos -= (off_t)want;
		ssize_t got = pread(l->fd, buf, want, pos);
		if (got != (ssize_t)want)
			return custos_err_set(err, CUSTOS_EIO, "cannot read audit log: %s",
			                      got < 0 ? strerror(errno) : "short read");
		for (ssize_t i = got - 1; i >= 0; i--) {
			if (buf[i] != '\n')
				continue;
			if (nl < 0) {
				nl = pos + i;
			} else {
				prev_nl = pos + i;
				break;
			}
		}
		if (size - pos > (off_t)AUDIT_MAX_LINE * 2)
			return custos_err_set(err, CUSTOS_ECORRUPT, "audit log: its last line is longer "
			                      "than %u bytes", AUDIT_MAX_LINE);
	}
	if (nl < 0)
		return CUSTOS_OK;   /* empty, or a torn first line */
	off_t start = prev_nl + 1;
	size_t len = (size_t)(nl - start);
	if ((st = custos_buf_reserve(&line, len + 1)) < 0)
		return custos_err_set(err, st, "out of memory");
	if (len && pread(l->fd, line.data, len, start) != (ssize_t)len) {
		custos_buf_free(&line);
		return custos_err_set(err, CUSTOS_EIO, "cannot read audit log: %s", strerror(errno));
	}
	line.len = len;
	custos_sha256(l->head, line.data, len);
	l->n = line_number(line.data, len);
	l->end = nl + 1;
	if (!l->n)
		st = custos_err_set(err, CUSTOS_ECORRUPT, "audit log: its last line (byte %lld) "
		                    "has no entry number", (long long)start);
	custos_buf_free(&line);
	return st;
}

int custos_auditlog_open(custos_auditlog_t **out, const char *dir, custos_err_t *err)
{
	char sub[4096], path[4096], lock[4096];
	custos_auditlog_t *l;
	struct stat sb;
	int st;

	*out = NULL;
	if (!(l = calloc(1, sizeof *l)) || !(l->dir = strdup(dir))) {
		free(l);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	l->fd = l->lock_fd = -1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	os_user(l->user, sizeof l->user);
	snprintf(sub, sizeof sub, "%s/audit", dir);
	audit_path(path, sizeof path, dir, "audit.log");
	audit_path(lock, sizeof lock, dir, "lock");
	if (mkdir(sub, 0700) == 0) {
		/* a new audit/ must survive a crash in the archive's directory */
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0) {
			st = custos_err_set(err, CUSTOS_EIO, "cannot sync '%s': %s", dir, strerror(errno));
			if (dfd >= 0)
				close(dfd);
			goto fail;
		}
		close(dfd);
	} else if (errno != EEXIST) {
		st = custos_err_set(err, errno == EACCES || errno == EROFS ? CUSTOS_EACCESS : CUSTOS_EIO,
		                    "cannot create '%s': %s", sub, strerror(errno));
		goto fail;
	}
	if ((l->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    (l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		int e = errno;
		st = custos_err_set(err, e == EACCES || e == EROFS || e == EPERM ? CUSTOS_EACCESS
		                    : CUSTOS_EIO, "cannot open '%s' for appending: %s",
		                    l->lock_fd < 0 ? lock : path, strerror(e));
		goto fail;
	}
	if (flock(l->lock_fd, LOCK_EX) < 0) {
		st = custos_err_set(err, CUSTOS_EIO, "cannot lock '%s': %s", lock, strerror(errno));
		goto fail;
	}
	if (fstat(l->fd, &sb) < 0)
		st = custos_err_set(err, CUSTOS_EIO, "cannot stat '%s': %s", path, strerror(errno));
	else
		st = tail_find(l, sb.st_size, err);
	flock(l->lock_fd, LOCK_UN);
	if (st < 0)
		goto fail;
	l->synced_n = l->n;
	memcpy(l->synced_head, l->head, sizeof l->head);
	l->synced_end = l->end;
	l->dir_synced = l->n > 0;
	*out = l;
	return CUSTOS_OK;
fail:
	custos_auditlog_free(l);
	return st;
}

void custos_auditlog_free(custos_auditlog_t *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l->dir);
	free(l);
}

void custos_auditlog_synced(custos_auditlog_t *l, uint64_t *n, uint8_t head[CUSTOS_SHA256_LEN])
{
	pthread_mutex_lock(&l->mu);
	*n = l->synced_n;
	memcpy(head, l->synced_head, CUSTOS_SHA256_LEN);
	pthread_mutex_unlock(&l->mu);
}

/* Appends `"key":"value"` when value is set. */
static void add_field(custos_buf_t *b, const char *key, const char *value)
{
	if (!value)
		return;
	custos_buf_printf(b, ",\"%s\":", key);
	custos_buf_add_json_str(b, value, strlen(value));
}

/* Writes line (with its newline) at the end of the log under the file lock,
 * following whatever another process appended first. l->mu is held. */
static int write_line(custos_auditlog_t *l, custos_buf_t *line, const custos_audit_entry_t *e,
                      custos_err_t *err)
{
	char when[40], hex[CUSTOS_SHA256_HEX];
	struct stat sb;
	int st = CUSTOS_OK;

	while (flock(l->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return custos_err_set(err, CUSTOS_EIO, "cannot lock the audit log: %s",
			                      strerror(errno));
	if (fstat(l->fd, &sb) < 0) {
		st = custos_err_set(err, CUSTOS_EIO, "cannot stat the audit log: %s", strerror(errno));
		goto done;
	}
	const char *repaired = NULL;
	char note[160];
	if (sb.st_size > l->end) {
		/* another process appended: follow its complete lines */
		if ((st = tail_follow(l, l->end, sb.st_size, err)) < 0)
			goto done;
	} else if (sb.st_size < l->end) {
		/* cut back behind custos's back: go on from what is there, and say so
		 * (verify reports the entries the store's chain anchored) */
		uint64_t had = l->n;
		if ((st = tail_find(l, sb.st_size, err)) < 0)
			goto done;
		snprintf(note, sizeof note, "the log was cut back from %llu to %llu entries before "
		         "this one", (unsigned long long)had, (unsigned long long)l->n);
		repaired = note;
	}
	/* A line without its newline was torn by a crash before its fsync
	 * returned: it was never acknowledged. Cut it off and say so. */
	if (fstat(l->fd, &sb) == 0 && sb.st_size > l->end) {
		if (ftruncate(l->fd, l->end) < 0) {
			st = custos_err_set(err, CUSTOS_EIO, "cannot repair audit log: %s", strerror(errno));
			goto done;
		}
		snprintf(note, sizeof note, "removed a torn line of %lld bytes",
		         (long long)(sb.st_size - l->end));
		repaired = note;
	}
	custos_hex(hex, l->head, sizeof l->head);
	custos_time_format(when, sizeof when, custos_time_now());
	custos_buf_printf(line, "{\"n\":%llu,\"time\":\"%s\",\"user\":",
	                  (unsigned long long)l->n + 1, when);
	custos_buf_add_json_str(line, l->user, strlen(l->user));
	add_field(line, "actor", e->actor);
	add_field(line, "role", e->role);
	add_field(line, "token", e->token);
	add_field(line, "client", e->client);
	add_field(line, "action", e->action);
	custos_buf_printf(line, ",\"params\":%s,\"result\":%s,\"status\":",
	                  e->params_json ? e->params_json : "{}",
	                  e->result_json ? e->result_json : "{}");
	const char *status = e->status == 0 ? "ok" : custos_status_str(e->status);
	custos_buf_add_json_str(line, status, strlen(status));
	add_field(line, "repaired", repaired);
	custos_buf_printf(line, ",\"prev\":\"%s\"}\n", hex);
	if (!line->data) {
		st = custos_err_set(err, CUSTOS_ENOMEM, "audit entry: out of memory");
		goto done;
	}
	if (strchr(line->data, '\n') != line->data + line->len - 1) {
		st = custos_err_set(err, CUSTOS_EINVAL, "audit entry: parameters hold a raw newline");
		goto done;
	}
	for (size_t off = 0; off < line->len;) {
		ssize_t w = write(l->fd, line->data + off, line->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int en = w < 0 ? errno : EIO;
			st = custos_err_set(err, en == ENOSPC || en == EDQUOT ? CUSTOS_ENOSPC : CUSTOS_EIO,
			                    "cannot write audit log: %s", strerror(en));
			/* a partial line is a torn line: the next append cuts it */
			goto done;
		}
		off += (size_t)w;
	}
	custos_sha256(l->head, line->data, line->len - 1);
	l->n++;
	l->end += (off_t)line->len;
done:
	flock(l->lock_fd, LOCK_UN);
	return st;
}

int custos_auditlog_append(custos_auditlog_t *l, const custos_audit_entry_t *e,
                           uint64_t *n_out, custos_err_t *err)
{
	custos_buf_t line = { 0 };
	int st;
	pthread_mutex_lock(&l->mu);
	if ((st = write_line(l, &line, e, err)) < 0)
		goto done;
	uint64_t my_n = l->n;
	off_t my_end = l->end;
	if (n_out)
		*n_out = my_n;
	/* Group fsync: one fdatasync covers every line written before it
	 * began; an append waits until one that began after its write is done. */
	while (l->synced_end < my_end) {
		if (l->syncing) {
			pthread_cond_wait(&l->cv, &l->mu);
			continue;
		}
		l->syncing = true;
		uint64_t n = l->n;
		uint8_t head[CUSTOS_SHA256_LEN];
		off_t end = l->end;
		bool dir = !l->dir_synced;
		memcpy(head, l->head, sizeof head);
		pthread_mutex_unlock(&l->mu);
		int rc = fdatasync(l->fd), en = errno;
		if (rc == 0 && dir) {
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/audit", l->dir);
			int dfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			rc = dfd < 0 ? -1 : fsync(dfd);
			en = errno;
			if (dfd >= 0)
				close(dfd);
		}
		pthread_mutex_lock(&l->mu);
		l->syncing = false;
		pthread_cond_broadcast(&l->cv);
		if (rc < 0) {
			st = custos_err_set(err, en == ENOSPC || en == EDQUOT ? CUSTOS_ENOSPC : CUSTOS_EIO,
			                    "cannot sync audit log: %s", strerror(en));
			goto done;
		}
		if (end > l->synced_end) {
			l->synced_end = end;
			l->synced_n = n;
			memcpy(l->synced_head, head, sizeof head);
		}
		if (dir)
			l->dir_synced = true;
	}
done:
	pthread_mutex_unlock(&l->mu);
	custos_buf_free(&line);
	return st;
}

int custos_audit_append(const char *dir, const custos_audit_entry_t *e, custos_err_t *err)
{
	custos_auditlog_t *l;
	int st = custos_auditlog_open(&l, dir, err);
	if (st < 0)
		return st;
	st = custos_auditlog_append(l, e, NULL, err);
	custos_auditlog_free(l);
	return st;
}

int custos_audit_read(const char *dir, int64_t since, custos_audit_fn fn, void *ctx,
                      custos_err_t *err)
{
	audit_tail_t tail;
	int fd, lfd, st;
	if ((st = open_log(dir, O_RDONLY, &fd, &lfd, err)) < 0)
		return st;
	st = audit_scan(fd, &tail, since, fn, ctx, 0, err);
	close_log(fd, lfd);
	return st;
}

int custos_audit_verify(const char *dir, uint64_t *entries, uint8_t head[CUSTOS_SHA256_LEN],
                        custos_err_t *err)
{
	audit_tail_t tail;
	int fd, lfd, st;
	if ((st = open_log(dir, O_RDONLY, &fd, &lfd, err)) < 0)
		return st;
	st = audit_scan(fd, &tail, CUSTOS_TIME_NONE, NULL, NULL, 1, err);
	close_log(fd, lfd);
	if (st == CUSTOS_OK) {
		if (entries)
			*entries = tail.n;
		if (head)
			memcpy(head, tail.head, CUSTOS_SHA256_LEN);
	}
	return st;
}
