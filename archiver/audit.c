/* The audit chain: <archive>/audit/audit.log, one JSON object a line, each
 * naming the SHA-256 of the line before it. It has its own lock file, so an
 * append never waits for the store's writer. docs/audit.md. */
#include "custos_archiver.h"

#include <errno.h>
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
	if (lfd < 0)
		return custos_err_set(err, errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot open '%s': %s", lock, strerror(errno));
	if (flock(lfd, LOCK_EX) < 0) {
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

int custos_audit_append(const char *dir, const custos_audit_entry_t *e, custos_err_t *err)
{
	char sub[4096], user[256], when[40], hex[CUSTOS_SHA256_HEX];
	custos_buf_t line = { 0 };
	audit_tail_t tail;
	int fd = -1, lfd = -1, st;

	snprintf(sub, sizeof sub, "%s/audit", dir);
	if (mkdir(sub, 0700) < 0 && errno != EEXIST)
		return custos_err_set(err, errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot create '%s': %s", sub, strerror(errno));
	if ((st = open_log(dir, O_RDWR | O_CREAT, &fd, &lfd, err)) < 0)
		return st;
	if ((st = audit_scan(fd, &tail, CUSTOS_TIME_NONE, NULL, NULL, 0, err)) < 0)
		goto done;
	/* A line without its newline was torn by a crash before its fsync
	 * returned: it was never acknowledged. Cut it off and say so. */
	off_t torn = tail.size - tail.good_end;
	if (torn > 0) {
		if (ftruncate(fd, tail.good_end) < 0) {
			st = custos_err_set(err, CUSTOS_EIO, "cannot repair audit log: %s", strerror(errno));
			goto done;
		}
	}
	custos_hex(hex, tail.head, sizeof tail.head);
	custos_time_format(when, sizeof when, custos_time_now());
	custos_buf_printf(&line, "{\"n\":%llu,\"time\":\"%s\",\"user\":",
	                  (unsigned long long)tail.n + 1, when);
	os_user(user, sizeof user);
	custos_buf_add_json_str(&line, user, strlen(user));
	if (e->actor) {
		custos_buf_adds(&line, ",\"actor\":");
		custos_buf_add_json_str(&line, e->actor, strlen(e->actor));
	}
	custos_buf_adds(&line, ",\"action\":");
	custos_buf_add_json_str(&line, e->action, strlen(e->action));
	custos_buf_printf(&line, ",\"params\":%s,\"result\":%s,\"status\":",
	                  e->params_json ? e->params_json : "{}",
	                  e->result_json ? e->result_json : "{}");
	const char *status = e->status == 0 ? "ok" : custos_status_str(e->status);
	custos_buf_add_json_str(&line, status, strlen(status));
	if (torn > 0)
		custos_buf_printf(&line, ",\"repaired\":\"removed a torn line of %lld bytes\"",
		                  (long long)torn);
	custos_buf_printf(&line, ",\"prev\":\"%s\"}\n", hex);
	if (!line.data) {
		st = custos_err_set(err, CUSTOS_ENOMEM, "audit entry: out of memory");
		goto done;
	}
	if (strchr(line.data, '\n') != line.data + line.len - 1) {
		st = custos_err_set(err, CUSTOS_EINVAL, "audit entry: parameters hold a raw newline");
		goto done;
	}
	if (lseek(fd, 0, SEEK_END) < 0) {
		st = custos_err_set(err, CUSTOS_EIO, "cannot seek audit log: %s", strerror(errno));
		goto done;
	}
	for (size_t off = 0; off < line.len;) {
		ssize_t w = write(fd, line.data + off, line.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			st = custos_err_set(err, CUSTOS_EIO, "cannot write audit log: %s", strerror(errno));
			goto done;
		}
		off += (size_t)w;
	}
	if (fdatasync(fd) < 0) {
		st = custos_err_set(err, CUSTOS_EIO, "cannot sync audit log: %s", strerror(errno));
		goto done;
	}
	if (tail.n == 0) {
		/* the file is new: make its directory entry durable too */
		int dfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0) {
			st = custos_err_set(err, CUSTOS_EIO, "cannot sync '%s': %s", sub, strerror(errno));
			if (dfd >= 0)
				close(dfd);
			goto done;
		}
		close(dfd);
	}
done:
	close_log(fd, lfd);
	custos_buf_free(&line);
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
