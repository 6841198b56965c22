/* The production directory: every file written through here is hashed and
 * listed, and manifest.json is written last, once everything else is
 * durable, so that a production with a manifest is whole. */
#include "custos_export.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILES_TMP ".custos-files.tmp"
#define DOCS_TMP  ".custos-docs.tmp"

/* A write handed to the writer thread: a whole file (f NULL: create rel
 * and write the bytes) or the next piece of a file written in pieces (f:
 * hash it into f's running hash and append it to f's descriptor). */
typedef struct xjob {
	struct xjob    *next;
	custos_xfile_t *f;
	char           *rel;           /* in the same allocation */
	size_t          n;
	char            data[];
} xjob_t;

/* At most this many bytes wait for the writer thread (or one file larger
 * than that): the calling thread waits beyond it until the queue is half
 * empty, so memory stays bounded. */
#define QUEUE_CAP (4u << 20)

struct custos_xdir {
	char        *path;
	int          dfd;
	FILE        *files, *docs;     /* the manifest's lists, one JSON object a line */
	uint64_t     n_files, bytes, n_docs;
	custos_err_t err;
	custos_buf_t line;
	char         parents[4][256];  /* folders known to exist (NATIVES, TEXT, ...) */
	unsigned     next_parent;
	/* the writer thread (custos_xdir_writer_start): the calling thread
	 * lists and hashes; this one creates and writes, in the order given */
	bool            threaded;
	pthread_t       thr;
	pthread_mutex_t mu;
	pthread_cond_t  work, room;
	xjob_t         *head, *tail;
	size_t          queued;        /* bytes waiting */
	bool            busy, stop;
	int             werr;          /* the writer's first failure (errno), kept */
	char            werr_what[16], werr_rel[512];
};

const custos_err_t *custos_xdir_err(const custos_xdir_t *d)
{
	return &d->err;
}

const char *custos_xdir_path(const custos_xdir_t *d)
{
	return d->path;
}

/* A failed write: the disk or a file size limit first, in words a person
 * acts on. */
static int io_fail(custos_xdir_t *d, int e, const char *what, const char *rel)
{
	if (e == ENOSPC || e == EDQUOT || e == EFBIG)
		return custos_err_set(&d->err, CUSTOS_ENOSPC, "cannot write '%s/%s': %s (%s): the "
		                      "production is incomplete and has no manifest", d->path, rel,
		                      strerror(e), e == EFBIG ? "a file size limit was reached"
		                                              : "the disk is full");
	return custos_err_set(&d->err, e == EACCES || e == EPERM || e == EROFS ? CUSTOS_EACCESS
	                      : CUSTOS_EIO, "cannot %s '%s/%s': %s", what, d->path, rel,
	                      strerror(e));
}

static int writer_stop(custos_xdir_t *d);

int custos_xdir_create(custos_xdir_t **out, const char *dir, custos_err_t *err)
{
	custos_xdir_t *d;
	struct stat sb;

	*out = NULL;
	if (mkdir(dir, 0755) < 0) {
		int e = errno;
		if (e != EEXIST)
			return custos_err_set(err, e == EACCES || e == EPERM || e == EROFS ? CUSTOS_EACCESS
			                      : e == ENOENT ? CUSTOS_ENOTFOUND : CUSTOS_EIO,
			                      "cannot create the production directory '%s': %s", dir,
			                      strerror(e));
		if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
			return custos_err_set(err, CUSTOS_EEXISTS, "'%s' exists and is not a directory",
			                      dir);
		DIR *dd = opendir(dir);
		struct dirent *e2;
		bool empty = true;
		if (!dd)
			return custos_err_set(err, errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
			                      "cannot read '%s': %s", dir, strerror(errno));
		while ((e2 = readdir(dd)))
			if (strcmp(e2->d_name, ".") && strcmp(e2->d_name, ".."))
				empty = false;
		closedir(dd);
		if (!empty)
			return custos_err_set(err, CUSTOS_EEXISTS, "'%s' is not empty: a production "
			                      "goes into a new or empty directory, so that nothing "
			                      "else is taken for part of it", dir);
		if (access(dir, W_OK) < 0)
			return custos_err_set(err, CUSTOS_EACCESS, "cannot write in '%s': %s", dir,
			                      strerror(errno));
	}
	if (!(d = calloc(1, sizeof *d)) || !(d->path = strdup(dir))) {
		free(d);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	d->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fa = d->dfd < 0 ? -1 : openat(d->dfd, FILES_TMP, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
	                                  0600);
	int fb = fa < 0 ? -1 : openat(d->dfd, DOCS_TMP, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fb < 0 || !(d->files = fdopen(fa, "w+")) || !(d->docs = fdopen(fb, "w+"))) {
		int e = errno;
		if (fa >= 0 && !d->files)
			close(fa);
		if (fb >= 0 && !d->docs)
			close(fb);
		custos_err_set(err, e == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		               "cannot write in '%s': %s", dir, strerror(e));
		custos_xdir_free(d);
		return err ? err->status : CUSTOS_EIO;
	}
	*out = d;
	return CUSTOS_OK;
}

void custos_xdir_free(custos_xdir_t *d)
{
	if (!d)
		return;
	writer_stop(d);
	if (d->files)
		fclose(d->files);
	if (d->docs)
		fclose(d->docs);
	if (d->dfd >= 0)
		close(d->dfd);
	custos_buf_free(&d->line);
	free(d->path);
	free(d);
}

void custos_xdir_abspath(custos_xdir_t *d, const char *rel, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", d->path, rel);
}

int custos_xdir_mkdir(custos_xdir_t *d, const char *rel)
{
	char p[4096];
	snprintf(p, sizeof p, "%s", rel);
	for (char *s = p; ; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = '\0';
			if (*p && mkdirat(d->dfd, p, 0755) < 0 && errno != EEXIST)
				return io_fail(d, errno, "create", p);
			if (!c)
				break;
			*s = c;
		}
	}
	return CUSTOS_OK;
}

static int parent_dirs(custos_xdir_t *d, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	if (!slash)
		return CUSTOS_OK;
	char p[4096];
	size_t n = (size_t)(slash - rel);
	snprintf(p, sizeof p, "%.*s", (int)n, rel);
	/* the folders of the last few files: no system call per file for them */
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(d->parents[i], p))
			return CUSTOS_OK;
	struct stat sb;
	int rc = CUSTOS_OK;
	if (fstatat(d->dfd, p, &sb, 0) != 0 && (rc = custos_xdir_mkdir(d, p)) < 0)
		return rc;
	if (n < sizeof d->parents[0])
		memcpy(d->parents[d->next_parent++ % 4], p, n + 1);
	return CUSTOS_OK;
}

static int list_file(custos_xdir_t *d, const char *rel, uint64_t size, const char *sha256)
{
	custos_buf_clear(&d->line);
	custos_buf_adds(&d->line, "{\"path\":");
	custos_buf_add_json_text(&d->line, rel, strlen(rel));
	if (custos_buf_printf(&d->line, ",\"size\":%llu,\"sha256\":\"%s\"}\n",
	                      (unsigned long long)size, sha256) < 0)
		return custos_err_set(&d->err, CUSTOS_ENOMEM, "out of memory");
	if (fwrite(d->line.data, 1, d->line.len, d->files) != d->line.len)
		return io_fail(d, errno, "write", FILES_TMP);
	d->n_files++;
	d->bytes += size;
	return CUSTOS_OK;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static void digest(const EVP_MD *md, const void *p, size_t n, char *hex)
{
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (EVP_Digest(p, n, out, &len, md, NULL) != 1)
		len = 0;
	custos_hex(hex, out, len);
}

static int enqueue(custos_xdir_t *d, custos_xfile_t *f, const char *rel, const void *p,
                   size_t n);

/* Creates rel with the n bytes at p: 0 or the errno, *what the step. */
static int write_file(custos_xdir_t *d, const char *rel, const void *p, size_t n,
                      const char **what)
{
	int fd, e;
	*what = "create";
	if ((fd = openat(d->dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return errno;
	*what = "write";
	e = write_all(fd, p, n);
	if (close(fd) < 0 && !e)
		e = errno;
	return e;
}

int custos_xdir_put(custos_xdir_t *d, const char *rel, const void *p, size_t n, bool md5,
                    custos_xhash_t *h)
{
	custos_xhash_t local;
	uint8_t sum[CUSTOS_SHA256_LEN];
	int rc, e;
	if (!h)
		h = &local;
	if ((rc = parent_dirs(d, rel)) < 0)
		return rc;
	if (d->threaded) {
		/* the writer thread creates it; a failure is reported by a later
		 * call and at the latest by custos_xdir_finish */
		if ((rc = enqueue(d, NULL, rel, p, n)) < 0)
			return rc;
	} else {
		const char *what;
		if ((e = write_file(d, rel, p, n, &what)))
			return io_fail(d, e, what, rel);
	}
	custos_sha256(sum, p, n);
	custos_hex(h->sha256, sum, sizeof sum);
	h->size = n;
	h->md5[0] = h->sha1[0] = '\0';
	if (md5) {
		digest(EVP_md5(), p, n, h->md5);
		digest(EVP_sha1(), p, n, h->sha1);
	}
	return list_file(d, rel, n, h->sha256);
}

static int drain(custos_xdir_t *d);

int custos_xdir_list(custos_xdir_t *d, const char *rel, custos_xhash_t *h)
{
	custos_sha256_ctx_t c;
	uint8_t sum[CUSTOS_SHA256_LEN];
	char buf[65536];
	ssize_t r;
	uint64_t size = 0;
	int rc;
	if ((rc = drain(d)) < 0)
		return rc;
	int fd = openat(d->dfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_fail(d, errno, "read", rel);
	custos_sha256_init(&c);
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		custos_sha256_update(&c, buf, (size_t)r);
		size += (uint64_t)r;
	}
	int e = r < 0 ? errno : 0;
	close(fd);
	if (e)
		return io_fail(d, e, "read", rel);
	custos_sha256_final(&c, sum);
	custos_xhash_t local;
	if (!h)
		h = &local;
	custos_hex(h->sha256, sum, sizeof sum);
	h->size = size;
	h->md5[0] = h->sha1[0] = '\0';
	return list_file(d, rel, size, h->sha256);
}

int custos_xdir_append(custos_xdir_t *d, const char *rel, const void *p, size_t n)
{
	int rc, fd, e;
	if ((rc = parent_dirs(d, rel)) < 0)
		return rc;
	if ((fd = openat(d->dfd, rel, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
		return io_fail(d, errno, "create", rel);
	e = write_all(fd, p, n);
	if (close(fd) < 0 && !e)
		e = errno;
	return e ? io_fail(d, e, "write", rel) : CUSTOS_OK;
}

/* ---- files written in pieces ---------------------------------------------- */

struct custos_xfile {
	custos_xdir_t      *d;
	char               *rel;
	int                 fd;
	custos_sha256_ctx_t h;
	uint64_t            size;
	char                buf[1 << 16];
	size_t              n;
	int                 err;      /* the first failure, kept */
	uint64_t            written, kicked;   /* bytes written, and whose writeback was
	                                        * started (by the thread writing pieces) */
};

/* Bytes of a file written in pieces between two starts of their writeback. */
#define KICK_EVERY (8u << 20)

/* Hashes and writes a piece of f, on whichever thread writes f's pieces,
 * and starts the writeback of each 8 MB written: the disk then works while
 * the records are produced, and the syncfs before the manifest finds
 * little left to write (the kernel would start on its own only past a
 * tenth of memory dirty: never, for a production of a few GB here).
 * Durability is still syncfs's: this only starts it earlier. */
static int piece_out(custos_xfile_t *f, const void *p, size_t n)
{
	custos_sha256_update(&f->h, p, n);
	int e = write_all(f->fd, p, n);
	if (e)
		return e;
	f->written += n;
	if (f->written - f->kicked >= KICK_EVERY) {
		/* a hint: what it does not start, syncfs writes */
		(void)sync_file_range(f->fd, (off_t)f->kicked, (off_t)(f->written - f->kicked),
		                      SYNC_FILE_RANGE_WRITE);
		f->kicked = f->written;
	}
	return 0;
}

int custos_xfile_open(custos_xdir_t *d, const char *rel, custos_xfile_t **out)
{
	custos_xfile_t *f;
	int rc;
	*out = NULL;
	if ((rc = parent_dirs(d, rel)) < 0)
		return rc;
	if (!(f = malloc(sizeof *f)) || !(f->rel = strdup(rel))) {
		free(f);
		return custos_err_set(&d->err, CUSTOS_ENOMEM, "out of memory");
	}
	f->d = d;
	f->n = 0;
	f->size = 0;
	f->err = 0;
	f->written = f->kicked = 0;
	custos_sha256_init(&f->h);
	if ((f->fd = openat(d->dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		rc = io_fail(d, errno, "create", rel);
		free(f->rel);
		free(f);
		return rc;
	}
	*out = f;
	return CUSTOS_OK;
}

/* Hashes and writes n bytes of f: here, or (threaded) in the writer
 * thread, which takes the pieces in the order given. */
static int xpiece(custos_xfile_t *f, const void *p, size_t n)
{
	int rc;
	if (f->d->threaded) {
		if ((rc = enqueue(f->d, f, f->rel, p, n)) < 0)
			return f->err = rc;
		return CUSTOS_OK;
	}
	int e = piece_out(f, p, n);
	return e ? (f->err = io_fail(f->d, e, "write", f->rel)) : CUSTOS_OK;
}

static int xflush(custos_xfile_t *f)
{
	int rc;
	if (f->err)
		return f->err;
	if (f->n) {
		if ((rc = xpiece(f, f->buf, f->n)) < 0)
			return rc;
		f->n = 0;
	}
	return CUSTOS_OK;
}

int custos_xfile_write(custos_xfile_t *f, const void *p, size_t n)
{
	int rc;
	if (f->err)
		return f->err;
	f->size += n;
	if (n > sizeof f->buf - f->n) {
		if ((rc = xflush(f)) < 0)
			return rc;
		if (n > sizeof f->buf)
			return xpiece(f, p, n);
	}
	memcpy(f->buf + f->n, p, n);
	f->n += n;
	return CUSTOS_OK;
}

int custos_xfile_puts(custos_xfile_t *f, const char *s)
{
	return custos_xfile_write(f, s, strlen(s));
}

int custos_xfile_printf(custos_xfile_t *f, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return custos_err_set(&f->d->err, CUSTOS_ENOMEM, "out of memory");
	int rc = custos_xfile_write(f, text, (size_t)n);
	free(text);
	return rc;
}

int custos_xfile_close(custos_xfile_t *f)
{
	uint8_t sum[CUSTOS_SHA256_LEN];
	char hex[CUSTOS_SHA256_HEX];
	int rc = xflush(f), r2;
	/* every piece written and hashed before the hash is read */
	if ((r2 = drain(f->d)) < 0 && rc == CUSTOS_OK)
		rc = r2;
	if (close(f->fd) < 0 && rc == CUSTOS_OK)
		rc = io_fail(f->d, errno, "write", f->rel);
	if (rc == CUSTOS_OK) {
		custos_sha256_final(&f->h, sum);
		custos_hex(hex, sum, sizeof sum);
		rc = list_file(f->d, f->rel, f->size, hex);
	}
	free(f->rel);
	free(f);
	return rc;
}

void custos_xfile_abort(custos_xfile_t *f)
{
	if (!f)
		return;
	drain(f->d);   /* no piece of it left waiting */
	close(f->fd);
	free(f->rel);
	free(f);
}

/* ---- the writer thread ------------------------------------------------------ */

static void *writer_main(void *arg)
{
	custos_xdir_t *d = arg;
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->work, &d->mu);
		xjob_t *j = d->head;
		if (!j)
			break;   /* stopped, and nothing left */
		if (!(d->head = j->next))
			d->tail = NULL;
		d->busy = true;
		bool failed = d->werr != 0;
		pthread_mutex_unlock(&d->mu);
		const char *what = "write";
		int e = 0;
		if (failed) {
			/* the export fails with the first error: nothing more is written */
		} else if (j->f) {
			e = piece_out(j->f, j->data, j->n);
		} else {
			e = write_file(d, j->rel, j->data, j->n, &what);
		}
		pthread_mutex_lock(&d->mu);
		if (e && !d->werr) {
			d->werr = e;
			snprintf(d->werr_what, sizeof d->werr_what, "%s", what);
			snprintf(d->werr_rel, sizeof d->werr_rel, "%s", j->f ? j->f->rel : j->rel);
		}
		d->queued -= j->n;
		d->busy = false;
		free(j);
		/* the calling thread is woken once the queue is half empty (or
		 * empty, for drain), not after every file */
		if (d->queued <= QUEUE_CAP / 2)
			pthread_cond_broadcast(&d->room);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* The writer's first failure as the directory's error (d->mu held, or the
 * writer joined). */
static int writer_failed(custos_xdir_t *d)
{
	return d->werr ? io_fail(d, d->werr, d->werr_what, d->werr_rel) : CUSTOS_OK;
}

int custos_xdir_writer_start(custos_xdir_t *d)
{
	if (d->threaded)
		return CUSTOS_OK;
	if (pthread_mutex_init(&d->mu, NULL) != 0)
		return custos_err_set(&d->err, CUSTOS_ENOMEM, "cannot start the writer thread");
	if (pthread_cond_init(&d->work, NULL) != 0) {
		pthread_mutex_destroy(&d->mu);
		return custos_err_set(&d->err, CUSTOS_ENOMEM, "cannot start the writer thread");
	}
	if (pthread_cond_init(&d->room, NULL) != 0) {
		pthread_cond_destroy(&d->work);
		pthread_mutex_destroy(&d->mu);
		return custos_err_set(&d->err, CUSTOS_ENOMEM, "cannot start the writer thread");
	}
	d->head = d->tail = NULL;
	d->queued = 0;
	d->busy = d->stop = false;
	d->werr = 0;
	int e = pthread_create(&d->thr, NULL, writer_main, d);
	if (e != 0) {
		pthread_cond_destroy(&d->room);
		pthread_cond_destroy(&d->work);
		pthread_mutex_destroy(&d->mu);
		return custos_err_set(&d->err, CUSTOS_ENOMEM, "cannot start the writer thread: %s",
		                      strerror(e));
	}
	d->threaded = true;
	return CUSTOS_OK;
}

/* Lets the writer finish what is queued and ends it: then every file
 * handed to it is written, or the first failure is returned. */
static int writer_stop(custos_xdir_t *d)
{
	if (!d->threaded)
		return CUSTOS_OK;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thr, NULL);
	pthread_cond_destroy(&d->room);
	pthread_cond_destroy(&d->work);
	pthread_mutex_destroy(&d->mu);
	d->threaded = false;
	return writer_failed(d);
}

/* Waits until the writer has written everything queued. */
static int drain(custos_xdir_t *d)
{
	if (!d->threaded)
		return CUSTOS_OK;
	pthread_mutex_lock(&d->mu);
	while (d->head || d->busy)
		pthread_cond_wait(&d->room, &d->mu);
	int rc = writer_failed(d);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

/* Hands a copy of the n bytes at p to the writer: the whole file rel, or
 * (f) the next piece of f. Waits while the queue is full. */
static int enqueue(custos_xdir_t *d, custos_xfile_t *f, const char *rel, const void *p,
                   size_t n)
{
	size_t rl = f ? 0 : strlen(rel) + 1;
	xjob_t *j = malloc(sizeof *j + n + rl);
	if (!j)
		return custos_err_set(&d->err, CUSTOS_ENOMEM, "out of memory");
	j->next = NULL;
	j->f = f;
	j->n = n;
	if (n)
		memcpy(j->data, p, n);
	j->rel = NULL;
	if (!f) {
		j->rel = j->data + n;
		memcpy(j->rel, rel, rl);
	}
	pthread_mutex_lock(&d->mu);
	while (d->queued && d->queued + n > QUEUE_CAP && !d->werr)
		pthread_cond_wait(&d->room, &d->mu);
	int rc = writer_failed(d);
	if (rc == CUSTOS_OK) {
		if (d->tail)
			d->tail->next = j;
		else
			d->head = j;
		d->tail = j;
		d->queued += n;
		pthread_cond_signal(&d->work);
	}
	pthread_mutex_unlock(&d->mu);
	if (rc < 0)
		free(j);
	return rc;
}

/* ---- the manifest ----------------------------------------------------------- */

int custos_xdir_document(custos_xdir_t *d, const char *json, size_t n)
{
	if (fwrite(json, 1, n, d->docs) != n || fputc('\n', d->docs) == EOF)
		return io_fail(d, errno, "write", DOCS_TMP);
	d->n_docs++;
	return CUSTOS_OK;
}

/* Copies the lines of tmp into f as the items of a JSON array. */
static int copy_list(custos_xfile_t *f, FILE *tmp, const char *name)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool first = true;
	int rc;
	if (fflush(tmp) != 0 || fseek(tmp, 0, SEEK_SET) != 0)
		return io_fail(f->d, errno, "read", name);
	while ((n = getline(&line, &cap, tmp)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if ((!first && (rc = custos_xfile_write(f, ",\n", 2)) < 0) ||
		    (rc = custos_xfile_write(f, line, (size_t)n)) < 0) {
			free(line);
			return rc;
		}
		first = false;
	}
	free(line);
	if (ferror(tmp))
		return io_fail(f->d, errno, "read", name);
	return CUSTOS_OK;
}

int custos_xdir_finish(custos_xdir_t *d, const char *head, char sha256[CUSTOS_SHA256_HEX],
                       uint64_t *files, uint64_t *bytes)
{
	custos_xfile_t *f = NULL;
	uint8_t sum[CUSTOS_SHA256_LEN];
	int rc;

	/* every file written before anything is made durable */
	if ((rc = writer_stop(d)) < 0)
		return rc;
	if (fflush(d->files) != 0 || fflush(d->docs) != 0)
		return io_fail(d, errno, "write", FILES_TMP);
	/* everything listed is durable before the manifest says so */
	if (syncfs(d->dfd) < 0)
		return io_fail(d, errno, "sync", "");
	if (files)
		*files = d->n_files;
	if (bytes)
		*bytes = d->bytes;
	if ((rc = custos_xfile_open(d, "manifest.json.tmp", &f)) < 0)
		return rc;
	if ((rc = custos_xfile_puts(f, head)) < 0 ||
	    (rc = custos_xfile_puts(f, ",\n\"documents\":[\n")) < 0 ||
	    (rc = copy_list(f, d->docs, DOCS_TMP)) < 0 ||
	    (rc = custos_xfile_puts(f, "],\n\"files\":[\n")) < 0 ||
	    (rc = copy_list(f, d->files, FILES_TMP)) < 0 ||
	    (rc = custos_xfile_puts(f, "]}\n")) < 0 || (rc = xflush(f)) < 0)
		goto fail;
	if (fsync(f->fd) < 0) {
		rc = io_fail(d, errno, "sync", "manifest.json.tmp");
		goto fail;
	}
	custos_sha256_final(&f->h, sum);
	custos_hex(sha256, sum, sizeof sum);
	if (close(f->fd) < 0) {
		f->fd = -1;
		rc = io_fail(d, errno, "write", "manifest.json.tmp");
		goto fail;
	}
	free(f->rel);
	free(f);
	f = NULL;
	fclose(d->files);
	fclose(d->docs);
	d->files = d->docs = NULL;
	if (unlinkat(d->dfd, FILES_TMP, 0) < 0 || unlinkat(d->dfd, DOCS_TMP, 0) < 0)
		return io_fail(d, errno, "remove", FILES_TMP);
	if (renameat(d->dfd, "manifest.json.tmp", d->dfd, "manifest.json") < 0)
		return io_fail(d, errno, "rename", "manifest.json.tmp");
	if (fsync(d->dfd) < 0)
		return io_fail(d, errno, "sync", "");
	return CUSTOS_OK;
fail:
	custos_xfile_abort(f);
	unlinkat(d->dfd, "manifest.json.tmp", 0);
	return rc;
}

/* ---- names ---------------------------------------------------------------- */

const char *custos_export_native_ext(const char *raw, size_t n, const char *format)
{
	size_t i = 0;
	if (format && !strcmp(format, "linkedin"))
		return "csv";
	while (i < n && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\r' || raw[i] == '\n'))
		i++;
	if (i < n && (raw[i] == '{' || raw[i] == '['))
		return "json";
	if (i < n && raw[i] == '<')
		return "xml";
	return "txt";
}

const char *custos_export_media_ext(const char *name, const char *type)
{
	static const struct { const char *type, *ext; } types[] = {
		{ "image/jpeg", "jpg" }, { "image/png", "png" }, { "image/gif", "gif" },
		{ "image/webp", "webp" }, { "video/mp4", "mp4" }, { "audio/mpeg", "mp3" },
		{ "application/pdf", "pdf" }, { "text/plain", "txt" }, { "photo", "jpg" },
		{ "video", "mp4" }, { "animated_gif", "mp4" }, { NULL, NULL }
	};
	const char *dot = name ? strrchr(name, '.') : NULL;
	if (dot && dot[1] && strlen(dot + 1) <= 5) {
		bool ok = true;
		for (const char *c = dot + 1; *c; c++)
			ok &= (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9');
		if (ok)
			return dot + 1;
	}
	for (int i = 0; type && types[i].type; i++)
		if (!strcmp(type, types[i].type))
			return types[i].ext;
	return "bin";
}

