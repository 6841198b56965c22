/* The files of productions made through the service (lib/jobs.c runs
 * them into <archive>/service/productions/ID): listed, opened and streamed
 * strictly as their manifest names them, never following a symbolic link,
 * each checked against its SHA-256; and deleted. Only the server calls
 * these: they are in the serve module (serve.so, with libarchive for the
 * zip and tar streams); removing a production's files (a job's cleanup as
 * much as a delete) is lib/jobs.c's. */
#include "service_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- paths ------------------------------------------------------------------ */

/* A path a production may hold: relative, '/'-separated components that
 * are neither empty, "." nor "..", no backslash, no control character. */
static bool path_ok(const char *p)
{
	size_t n = strlen(p);
	if (!n || n >= 4096 || p[0] == '/')
		return false;
	for (const char *c = p; *c;) {
		size_t k = strcspn(c, "/");
		if (!k || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		for (size_t i = 0; i < k; i++)
			if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f || c[i] == '\\')
				return false;
		c += k;
		if (*c == '/' && !*++c)
			return false;   /* a trailing '/' */
	}
	return true;
}

/* Opens rel below the directory dfd one component at a time, following no
 * symbolic link; *fd is a regular file, and sb its status. */
static int open_below(int dfd, const char *rel, int *fd, struct stat *sb, custos_err_t *err)
{
	char p[4096];
	int cur = dfd, rc = CUSTOS_OK;
	snprintf(p, sizeof p, "%s", rel);
	*fd = -1;
	for (char *c = p;;) {
		char *slash = strchr(c, '/');
		if (slash)
			*slash = '\0';
		/* O_NONBLOCK: a FIFO put there opens without waiting (and is refused) */
		int nfd = openat(cur, c, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
		                 (slash ? O_DIRECTORY : 0));
		int e = errno;
		if (cur != dfd)
			close(cur);
		if (nfd < 0) {
			rc = e == ELOOP || e == ENOTDIR
			   ? custos_err_set(err, CUSTOS_ECORRUPT, "'%s' is not a file of the production: "
			                    "a symbolic link or not a folder on its way", rel)
			   : custos_err_set(err, custos_lib__errno_status(e), "cannot open '%s': %s", rel, strerror(e));
			return rc;
		}
		if (!slash) {
			cur = nfd;
			break;
		}
		cur = nfd;
		c = slash + 1;
	}
	if (fstat(cur, sb) < 0 || !S_ISREG(sb->st_mode)) {
		close(cur);
		return custos_err_set(err, CUSTOS_ECORRUPT, "'%s' is not a regular file", rel);
	}
	*fd = cur;
	return CUSTOS_OK;
}

/* ---- the manifest's list of files ------------------------------------------ */

/* Reads manifest.json line by line as custos writes it (export/xdir.c: one
 * file a line after the line "files":[), hashing every byte: at the end
 * the whole must have the SHA-256 the job recorded. */
typedef struct {
	FILE    *f;
	custos_sha256_ctx_t h;
	char    *line;
	size_t   cap;
	bool     in_files, ended;
	uint64_t size;
	char     want[CUSTOS_SHA256_HEX];
	json_t  *cur;               /* the entry last returned */
} mreader_t;

static int mreader_open(mreader_t *m, int dfd, const char *want, custos_err_t *err)
{
	struct stat sb;
	int fd, rc;
	memset(m, 0, sizeof *m);
	snprintf(m->want, sizeof m->want, "%s", want);
	if ((rc = open_below(dfd, "manifest.json", &fd, &sb, err)) < 0)
		return rc == CUSTOS_ENOTFOUND ? custos_err_set(err, CUSTOS_ECORRUPT, "the production "
		                                              "has lost its manifest.json") : rc;
	if (!(m->f = fdopen(fd, "r"))) {
		close(fd);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	custos_sha256_init(&m->h);
	return CUSTOS_OK;
}

static void mreader_close(mreader_t *m)
{
	if (m->f)
		fclose(m->f);
	free(m->line);
	json_decref(m->cur);
	memset(m, 0, sizeof *m);
}

static int not_custos(custos_err_t *err, const char *why)
{
	return custos_err_set(err, CUSTOS_ECORRUPT, "manifest.json is not what custos wrote: %s", why);
}

/* The next file of the list into path, size and sha256 (borrowed until the
 * next call): 1; 0 once the manifest was read to its end and matched its
 * hash; or an error. */
static int mreader_next(mreader_t *m, const char **path, uint64_t *size, const char **sha256,
                        custos_err_t *err)
{
	ssize_t n;
	json_decref(m->cur);
	m->cur = NULL;
	while ((n = getline(&m->line, &m->cap, m->f)) > 0) {
		custos_sha256_update(&m->h, m->line, (size_t)n);
		m->size += (uint64_t)n;
		if (m->ended)
			return not_custos(err, "something follows its end");
		if (!m->in_files) {
			m->in_files = !strcmp(m->line, "\"files\":[\n");
			continue;
		}
		if (m->line[n - 1] != '\n')
			return not_custos(err, "its last line is cut short");
		m->line[--n] = '\0';
		if (n >= 2 && !strcmp(m->line + n - 2, "]}")) {
			m->ended = true;
			m->line[n -= 2] = '\0';
			if (!n)
				continue;   /* an empty list */
		} else if (n && m->line[n - 1] == ',') {
			m->line[--n] = '\0';
		} else {
			return not_custos(err, "a line of its files does not end as custos ends them");
		}
		json_error_t je;
		m->cur = json_loadb(m->line, (size_t)n, JSON_REJECT_DUPLICATES, &je);
		json_t *p = json_object_get(m->cur, "path"), *z = json_object_get(m->cur, "size");
		json_t *h = json_object_get(m->cur, "sha256");
		if (!json_is_string(p) || !json_is_integer(z) || json_integer_value(z) < 0 ||
		    !json_is_string(h) || strlen(json_string_value(h)) != CUSTOS_SHA256_HEX - 1)
			return not_custos(err, "a file of its list has no path, size or SHA-256");
		if (!path_ok(json_string_value(p)))
			return not_custos(err, "it names a path that would leave the production's folder");
		*path = json_string_value(p);
		*size = (uint64_t)json_integer_value(z);
		*sha256 = json_string_value(h);
		return 1;
	}
	if (ferror(m->f))
		return custos_err_set(err, CUSTOS_EIO, "cannot read manifest.json: %s", strerror(errno));
	if (!m->ended)
		return not_custos(err, "it ends before its list of files does");
	uint8_t sum[CUSTOS_SHA256_LEN];
	char hex[CUSTOS_SHA256_HEX];
	custos_sha256_final(&m->h, sum);
	custos_hex(hex, sum, sizeof sum);
	if (strcmp(hex, m->want))
		return custos_err_set(err, CUSTOS_ECORRUPT, "manifest.json was changed after the "
		                      "production was made: its SHA-256 is %s, the job recorded %s",
		                      hex, m->want);
	return 0;
}

/* ---- the production of a job ------------------------------------------------- */

typedef struct {
	int     dfd;                          /* the production's folder */
	char    manifest_sha256[CUSTOS_SHA256_HEX];
	json_t *result;
} prod_t;

static void prod_close(prod_t *p)
{
	if (p->dfd >= 0)
		close(p->dfd);
	json_decref(p->result);
	p->dfd = -1;
	p->result = NULL;
}

static int prod_open(custos_service_t *svc, custos_session_t *s, const char *id, prod_t *p)
{
	char dir[4400];
	int rc;
	p->dfd = -1;
	p->result = NULL;
	if ((rc = custos_jobs__production(svc->jobs, s, id, false, dir, sizeof dir, &p->result)) < 0)
		return rc;
	const char *sha = json_string_value(json_object_get(p->result, "manifest_sha256"));
	if (!sha || strlen(sha) != CUSTOS_SHA256_HEX - 1) {
		prod_close(p);
		return custos_err_set(&s->err, CUSTOS_ECORRUPT, "production %s has no manifest "
		                      "SHA-256 in its job", id);
	}
	snprintf(p->manifest_sha256, sizeof p->manifest_sha256, "%s", sha);
	if ((p->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = custos_err_set(&s->err, errno == ENOENT ? CUSTOS_ECORRUPT : custos_lib__errno_status(errno),
		                    "cannot open the production '%s': %s", dir, strerror(errno));
		prod_close(p);
		return rc;
	}
	return CUSTOS_OK;
}

void custos_production_files_free(custos_production_files_t *f)
{
	if (!f)
		return;
	custos_arena_free(&f->arena);
	memset(f, 0, sizeof *f);
}

int custos_production_files(custos_service_t *svc, custos_session_t *s, const char *id,
                            custos_production_files_t *out)
{
	prod_t p;
	mreader_t m;
	const char *path, *sha;
	uint64_t size;
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = prod_open(svc, s, id, &p)) < 0)
		return rc;
	if ((rc = mreader_open(&m, p.dfd, p.manifest_sha256, &s->err)) < 0) {
		prod_close(&p);
		return rc;
	}
	while ((rc = mreader_next(&m, &path, &size, &sha, &s->err)) == 1) {
		if (out->n == cap) {
			size_t nc = cap ? 2 * cap : 256;
			custos_production_file_t *nv = custos_arena_alloc(&out->arena, nc * sizeof *nv);
			if (!nv) {
				rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
				break;
			}
			if (out->n)
				memcpy(nv, out->v, out->n * sizeof *nv);
			out->v = nv;
			cap = nc;
		}
		custos_production_file_t *f = &out->v[out->n];
		if (!(f->path = custos_arena_strdup(&out->arena, path))) {
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			break;
		}
		f->size = size;
		snprintf(f->sha256, sizeof f->sha256, "%s", sha);
		out->bytes += size;
		out->n++;
	}
	out->manifest_size = m.size;
	snprintf(out->manifest_sha256, sizeof out->manifest_sha256, "%s", p.manifest_sha256);
	mreader_close(&m);
	prod_close(&p);
	if (rc < 0)
		custos_production_files_free(out);
	return rc < 0 ? rc : CUSTOS_OK;
}

/* Hashes what is left of fd (from where it is) and compares with want. */
static int check_hash(int fd, const char *rel, const char *want, custos_err_t *err)
{
	custos_sha256_ctx_t h;
	uint8_t sum[CUSTOS_SHA256_LEN];
	char hex[CUSTOS_SHA256_HEX], buf[65536];
	ssize_t n;
	custos_sha256_init(&h);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return custos_err_set(err, CUSTOS_EIO, "cannot read '%s': %s", rel, strerror(errno));
		custos_sha256_update(&h, buf, (size_t)n);
	}
	custos_sha256_final(&h, sum);
	custos_hex(hex, sum, sizeof sum);
	if (strcmp(hex, want))
		return custos_err_set(err, CUSTOS_ECORRUPT, "'%s' is not what the manifest says (SHA-256 "
		                      "%s, not %s): it was changed after the production was made", rel,
		                      hex, want);
	return CUSTOS_OK;
}

/* The audit entry of a download (or of its refusal). */
static int audit_download(custos_session_t *s, const char *id, const char *key, const char *what,
                          uint64_t bytes, int rc)
{
	custos_buf_t p = { 0 }, r = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "job", id ? id : "");
	custos_lib__json_kv(&p, key, what ? what : "");
	custos_buf_addc(&p, '}');
	if (rc == CUSTOS_OK) {
		custos_buf_printf(&r, "{\"bytes\":%llu}", (unsigned long long)bytes);
	} else {
		custos_lib__json_error(&r, s->err.msg);
	}
	rc = custos_session__audit(s, "production-download", p.data, r.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&r);
	return rc;
}

int custos_production_open(custos_service_t *svc, custos_session_t *s, const char *id,
                           const char *path, int *fd, uint64_t *size)
{
	prod_t p = { -1, "", NULL };
	mreader_t m;
	struct stat sb;
	const char *lp, *lsha = NULL;
	char want[CUSTOS_SHA256_HEX] = "";
	uint64_t lsize = 0, want_size = 0;
	bool found = false, is_manifest = path && !strcmp(path, "manifest.json");
	int rc;

	*fd = -1;
	*size = 0;
	memset(&m, 0, sizeof m);
	if ((rc = prod_open(svc, s, id, &p)) < 0)
		goto audit;
	if (!path || !path_ok(path)) {
		/* said without echoing it: the path came from anyone */
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "not a path a production holds: paths are "
		                    "relative, without '.', '..', empty parts, backslashes or control "
		                    "characters");
		goto audit;
	}
	/* the whole manifest, so that its hash is checked before anything is
	 * served from it */
	if ((rc = mreader_open(&m, p.dfd, p.manifest_sha256, &s->err)) < 0)
		goto audit;
	while ((rc = mreader_next(&m, &lp, &lsize, &lsha, &s->err)) == 1)
		if (!found && !is_manifest && !strcmp(lp, path)) {
			found = true;
			want_size = lsize;
			snprintf(want, sizeof want, "%s", lsha);
		}
	if (rc < 0)
		goto audit;
	if (is_manifest) {
		found = true;
		want_size = m.size;
		snprintf(want, sizeof want, "%s", p.manifest_sha256);
	}
	if (!found) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "production %s has no file of that "
		                    "name (GET its files for the list)", id);
		goto audit;
	}
	if ((rc = open_below(p.dfd, path, fd, &sb, &s->err)) < 0)
		goto audit;
	if ((uint64_t)sb.st_size != want_size) {
		rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "'%s' has %llu bytes, the manifest says "
		                    "%llu: it was changed after the production was made", path,
		                    (unsigned long long)sb.st_size, (unsigned long long)want_size);
		goto audit;
	}
	if ((rc = check_hash(*fd, path, want, &s->err)) < 0)
		goto audit;
	if (lseek(*fd, 0, SEEK_SET) < 0) {
		rc = custos_err_set(&s->err, CUSTOS_EIO, "cannot read '%s': %s", path, strerror(errno));
		goto audit;
	}
	*size = want_size;
	rc = CUSTOS_OK;
audit:
	mreader_close(&m);
	prod_close(&p);
	if (rc < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	rc = audit_download(s, id, "path", rc == CUSTOS_EINVAL ? "(refused)" : path, *size, rc);
	if (rc < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

/* ---- the whole production as one stream ------------------------------------------ */

struct custos_production_stream {
	struct archive *ar;
	int      dfd;
	mreader_t m;
	char     manifest_sha256[CUSTOS_SHA256_HEX];
	char     id[CUSTOS_JOB_ID];
	char     name[CUSTOS_JOB_ID + 8];
	/* the file being copied */
	int      fd;
	char     rel[4096];
	uint64_t left;
	char     want[CUSTOS_SHA256_HEX];
	custos_sha256_ctx_t h;
	bool     manifest_phase, finished;
	int      failed;
	custos_buf_t out;           /* what the archive writer gave, not read yet */
	size_t   out_pos;
	custos_err_t err;
	char     chunk[65536];
};

static la_ssize_t on_write(struct archive *a, void *ctx, const void *buf, size_t n)
{
	custos_production_stream_t *st = ctx;
	(void)a;
	if (custos_buf_add(&st->out, buf, n) < 0) {
		archive_set_error(a, ENOMEM, "out of memory");
		return -1;
	}
	return (la_ssize_t)n;
}

static int ar_fail(custos_production_stream_t *st, const char *what)
{
	return custos_err_set(&st->err, CUSTOS_EIO, "cannot %s: %s", what,
	                      archive_error_string(st->ar) ? archive_error_string(st->ar) : "?");
}

/* Starts copying file rel of size bytes and SHA-256 want into the archive. */
static int begin_file(custos_production_stream_t *st, const char *rel, uint64_t size,
                      const char *want, bool size_known)
{
	struct stat sb;
	int rc;
	if ((rc = open_below(st->dfd, rel, &st->fd, &sb, &st->err)) < 0)
		return rc;
	if (size_known && (uint64_t)sb.st_size != size)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "'%s' has %llu bytes, the manifest "
		                      "says %llu: it was changed after the production was made", rel,
		                      (unsigned long long)sb.st_size, (unsigned long long)size);
	snprintf(st->rel, sizeof st->rel, "%s", rel);
	snprintf(st->want, sizeof st->want, "%s", want);
	st->left = (uint64_t)sb.st_size;
	custos_sha256_init(&st->h);
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	char name[4200];
	snprintf(name, sizeof name, "%s/%s", st->id, rel);
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, sb.st_size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
	int r = archive_write_header(st->ar, e);
	archive_entry_free(e);
	return r < ARCHIVE_WARN ? ar_fail(st, "write the archive") : CUSTOS_OK;
}

/* One step: a piece of the current file, the next file, or the end. */
static int step(custos_production_stream_t *st)
{
	const char *path, *sha;
	uint64_t size;
	int rc;
	if (st->fd >= 0) {
		ssize_t n = read(st->fd, st->chunk, sizeof st->chunk);
		if (n < 0 && errno == EINTR)
			return CUSTOS_OK;
		if (n < 0)
			return custos_err_set(&st->err, CUSTOS_EIO, "cannot read '%s': %s", st->rel,
			                      strerror(errno));
		if ((uint64_t)n > st->left || (n == 0 && st->left))
			return custos_err_set(&st->err, CUSTOS_ECORRUPT, "'%s' changed size while it was "
			                      "read", st->rel);
		if (n > 0) {
			custos_sha256_update(&st->h, st->chunk, (size_t)n);
			st->left -= (uint64_t)n;
			if (archive_write_data(st->ar, st->chunk, (size_t)n) != n)
				return ar_fail(st, "write the archive");
			return CUSTOS_OK;
		}
		uint8_t sum[CUSTOS_SHA256_LEN];
		char hex[CUSTOS_SHA256_HEX];
		custos_sha256_final(&st->h, sum);
		custos_hex(hex, sum, sizeof sum);
		close(st->fd);
		st->fd = -1;
		/* a file that is not what the manifest says ends the stream before
		 * the manifest: a client never holds it whole */
		if (strcmp(hex, st->want))
			return custos_err_set(&st->err, CUSTOS_ECORRUPT, "'%s' is not what the manifest "
			                      "says: it was changed after the production was made",
			                      st->rel);
		if (archive_write_finish_entry(st->ar) < ARCHIVE_WARN)
			return ar_fail(st, "write the archive");
		return CUSTOS_OK;
	}
	if (!st->manifest_phase) {
		if ((rc = mreader_next(&st->m, &path, &size, &sha, &st->err)) < 0)
			return rc;
		if (rc == 1)
			return begin_file(st, path, size, sha, true);
		st->manifest_phase = true;
		return begin_file(st, "manifest.json", st->m.size, st->manifest_sha256, true);
	}
	if (archive_write_close(st->ar) < ARCHIVE_WARN)
		return ar_fail(st, "finish the archive");
	st->finished = true;
	return CUSTOS_OK;
}

int custos_production_stream_open(custos_production_stream_t **out, custos_service_t *svc,
                                  custos_session_t *s, const char *id, const char *format)
{
	custos_production_stream_t *st = NULL;
	prod_t p = { -1, "", NULL };
	bool tar = format && !strcmp(format, "tar");
	int rc;

	*out = NULL;
	if ((rc = prod_open(svc, s, id, &p)) < 0)
		goto audit;
	if (format && strcmp(format, "zip") && strcmp(format, "tar")) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "a production downloads as zip or tar");
		goto audit;
	}
	if (!(st = calloc(1, sizeof *st))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	st->fd = -1;
	st->dfd = p.dfd;
	p.dfd = -1;
	snprintf(st->id, sizeof st->id, "%s", id);
	snprintf(st->name, sizeof st->name, "%s.%s", id, tar ? "tar" : "zip");
	snprintf(st->manifest_sha256, sizeof st->manifest_sha256, "%s", p.manifest_sha256);
	if ((rc = mreader_open(&st->m, st->dfd, st->manifest_sha256, &s->err)) < 0)
		goto audit;
	if (!(st->ar = archive_write_new())) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	/* no blocking: every piece goes to the reader as it is made */
	if ((tar ? archive_write_set_format_pax_restricted(st->ar)
	         : archive_write_set_format_zip(st->ar)) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(st->ar, 0) != ARCHIVE_OK ||
	    archive_write_open(st->ar, st, NULL, on_write, NULL) != ARCHIVE_OK) {
		rc = custos_err_set(&s->err, CUSTOS_EIO, "cannot start the archive: %s",
		                    archive_error_string(st->ar) ? archive_error_string(st->ar) : "?");
		goto audit;
	}
	rc = CUSTOS_OK;
audit:
	prod_close(&p);
	rc = audit_download(s, id, "format", tar ? "tar" : "zip", 0, rc);
	if (rc < 0) {
		custos_production_stream_free(st);
		return rc;
	}
	*out = st;
	return CUSTOS_OK;
}

int64_t custos_production_stream_read(custos_production_stream_t *st, void *buf, size_t cap)
{
	if (st->failed)
		return st->failed;
	while (st->out_pos == st->out.len) {
		custos_buf_clear(&st->out);
		st->out_pos = 0;
		if (st->finished)
			return 0;
		int rc = step(st);
		if (rc < 0)
			return st->failed = rc;
	}
	size_t n = st->out.len - st->out_pos;
	if (n > cap)
		n = cap;
	memcpy(buf, st->out.data + st->out_pos, n);
	st->out_pos += n;
	return (int64_t)n;
}

const custos_err_t *custos_production_stream_err(const custos_production_stream_t *st)
{
	return &st->err;
}

const char *custos_production_stream_name(const custos_production_stream_t *st)
{
	return st->name;
}

void custos_production_stream_free(custos_production_stream_t *st)
{
	if (!st)
		return;
	if (st->ar)
		archive_write_free(st->ar);
	if (st->fd >= 0)
		close(st->fd);
	if (st->dfd >= 0)
		close(st->dfd);
	mreader_close(&st->m);
	custos_buf_free(&st->out);
	free(st);
}

/* ---- deleting ------------------------------------------------------------------ */

int custos_production_delete(custos_service_t *svc, custos_session_t *s, const char *id)
{
	char dir[4400];
	json_t *result = NULL;
	int rc;

	if ((rc = custos_jobs__production(svc->jobs, s, id, true, dir, sizeof dir, &result)) == 0) {
		char *slash = strrchr(dir, '/');
		*slash = '\0';
		rc = custos_production__remove(dir, slash + 1, &s->err);
	}
	custos_buf_t p = { 0 }, r = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "job", id ? id : "");
	custos_buf_addc(&p, '}');
	if (rc == CUSTOS_OK) {
		custos_buf_printf(&r, "{\"manifest_sha256\":\"%s\",\"files\":%lld,\"bytes\":%lld}",
		                  json_string_value(json_object_get(result, "manifest_sha256")) ?: "",
		                  (long long)json_integer_value(json_object_get(result, "files")),
		                  (long long)json_integer_value(json_object_get(result, "bytes")));
	} else {
		custos_lib__json_error(&r, s->err.msg);
	}
	rc = custos_session__audit(s, "production-delete", p.data, r.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&r);
	json_decref(result);
	return rc;
}
