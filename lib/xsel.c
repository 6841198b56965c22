/* A production's selection as an external sort (lib/xsel.h): runs of a
 * fixed number of entries sorted in memory, spilled to unlinked temporary
 * files, merged k ways with a heap into one file, read back in windows. */
#include "xsel.h"
#include "lib_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef custos_xsel_entry_t entry_t;

/* One temporary file: unlinked once open, path kept for messages. */
typedef struct {
	int      fd;
	char    *path;
	uint64_t n;              /* entries written */
} tfile_t;

struct custos_xsel {
	custos_err_t *err;
	char     *near;
	char     *dir;           /* the private directory, NULL until the first spill */
	unsigned  names;         /* file names given in it */
	size_t    budget;
	entry_t  *v;             /* the run being filled; when fitted, the whole selection */
	size_t    n, cap;
	tfile_t   run[CUSTOS_XSEL_FANIN];
	size_t    n_runs, spilled;
	bool      fitted;
	tfile_t   out;           /* the merged selection */
	uint64_t  count, pos;    /* distinct entries; the next one to read */
	entry_t  *win;           /* the reader's window (spilled) */
	tfile_t   done;          /* what was produced, with its numbers, in date order */
	entry_t  *dbuf;
	size_t    dn;
	/* the queue of ids (custos_xsel__push): the file's bytes [qr, qw), then
	 * those still in memory, qb[qm, ql); rb holds the file's bytes from
	 * roff on (rlen of them) as they are read back */
	tfile_t   q;
	uint64_t  qr, qw, roff;
	char     *qb, *rb;
	size_t    qm, ql, qcap, rlen, rcap;
};

static int cmp_key(const entry_t *a, const entry_t *b)
{
	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* ---- files ---------------------------------------------------------------- */

static int io_fail(custos_xsel_t *x, int e, const char *what, const char *path)
{
	return custos_err_set(x->err, custos_lib__errno_status(e), "cannot %s the export's sort "
	                      "file '%s': %s", what, path, strerror(e));
}

static void tfile_close(tfile_t *f)
{
	if (f->path)
		close(f->fd);
	free(f->path);
	memset(f, 0, sizeof *f);
}

/* The private directory next to the production: its parent, which the
 * production itself goes into (custos_xdir_create makes no parents). */
static int make_dir(custos_xsel_t *x)
{
	size_t n = strlen(x->near);
	while (n > 1 && x->near[n - 1] == '/')
		n--;
	size_t cut = n;
	while (cut > 0 && x->near[cut - 1] != '/')
		cut--;
	const char *parent = ".";
	int plen = 1;
	if (cut > 0) {
		parent = x->near;
		plen = cut > 1 ? (int)(cut - 1) : 1;
	}
	size_t cap = (size_t)plen + 32;
	if (!(x->dir = malloc(cap)))
		return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
	if (plen == 1 && parent[0] == '/')
		plen = 0;   /* the root: "/.custos-sort-..." */
	snprintf(x->dir, cap, "%.*s/.custos-sort-XXXXXX", plen, parent);
	if (!mkdtemp(x->dir)) {
		int e = errno;
		custos_err_set(x->err, custos_lib__errno_status(e), "cannot make the export's sort "
		               "directory '%s': %s", x->dir, strerror(e));
		free(x->dir);
		x->dir = NULL;
		return x->err->status;
	}
	return CUSTOS_OK;
}

static int tfile_open(custos_xsel_t *x, const char *what, tfile_t *f)
{
	int rc;
	memset(f, 0, sizeof *f);
	if (!x->dir && (rc = make_dir(x)) < 0)
		return rc;
	size_t cap = strlen(x->dir) + strlen(what) + 24;
	if (!(f->path = malloc(cap)))
		return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
	snprintf(f->path, cap, "%s/%s-%u", x->dir, what, x->names++);
	if ((f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		rc = io_fail(x, errno, "create", f->path);
		free(f->path);
		f->path = NULL;
		return rc;
	}
	/* nothing to remove afterwards, whatever happens to this process */
	if (unlink(f->path) < 0) {
		rc = io_fail(x, errno, "unlink", f->path);
		tfile_close(f);
		return rc;
	}
	return CUSTOS_OK;
}

static int tfile_write(custos_xsel_t *x, tfile_t *f, const entry_t *v, size_t n)
{
	const char *p = (const char *)v;
	size_t left = n * sizeof *v;
	off_t off = (off_t)(f->n * sizeof *v);
	while (left) {
		ssize_t w = pwrite(f->fd, p, left, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return io_fail(x, w < 0 ? errno : ENOSPC, "write", f->path);
		p += w;
		off += w;
		left -= (size_t)w;
	}
	f->n += n;
	return CUSTOS_OK;
}

/* Reads entries [at, at + n) of f, every one of them. */
static int tfile_read(custos_xsel_t *x, tfile_t *f, uint64_t at, entry_t *v, size_t n)
{
	char *p = (char *)v;
	size_t left = n * sizeof *v;
	off_t off = (off_t)(at * sizeof *v);
	while (left) {
		ssize_t r = pread(f->fd, p, left, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return io_fail(x, errno, "read", f->path);
		if (r == 0)
			return custos_err_set(x->err, CUSTOS_EIO, "cannot read the export's sort file "
			                      "'%s': it ends at byte %lld, before the %llu entries "
			                      "written to it", f->path, (long long)off,
			                      (unsigned long long)f->n);
		p += r;
		off += r;
		left -= (size_t)r;
	}
	return CUSTOS_OK;
}

/* ---- sorting a run ---------------------------------------------------------- */

/* Heapsort: in place, so a run takes no second copy of its entries. */
static void sift(entry_t *v, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && cmp_key(&v[c], &v[c + 1]) < 0)
			c++;
		if (cmp_key(&v[root], &v[c]) >= 0)
			return;
		entry_t t = v[root];
		v[root] = v[c];
		v[c] = t;
		root = c;
	}
}

/* Sorts v and drops repeated keys (keeping the first); returns the count. */
static size_t sort_unique(entry_t *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (size_t i = n; i-- > 1;) {
		entry_t t = v[0];
		v[0] = v[i];
		v[i] = t;
		sift(v, 0, i);
	}
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || cmp_key(&v[u - 1], &v[i]))
			v[u++] = v[i];
	return u;
}

/* ---- merging ---------------------------------------------------------------- */

typedef struct {
	tfile_t *f;
	entry_t *buf;
	size_t   pos, len, cap;
	uint64_t next;           /* the next entry of f to read into buf */
} reader_t;

static int reader_fill(custos_xsel_t *x, reader_t *r)
{
	uint64_t left = r->f->n - r->next;
	size_t n = left < r->cap ? (size_t)left : r->cap;
	int rc = n ? tfile_read(x, r->f, r->next, r->buf, n) : CUSTOS_OK;
	r->next += n;
	r->pos = 0;
	r->len = n;
	return rc;
}

static bool reader_less(reader_t *rd, size_t a, size_t b)
{
	return cmp_key(&rd[a].buf[rd[a].pos], &rd[b].buf[rd[b].pos]) < 0;
}

static void heap_down(reader_t *rd, size_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && reader_less(rd, h[c + 1], h[c]))
			c++;
		if (!reader_less(rd, h[c], h[i]))
			return;
		size_t t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

/* Merges the k sorted runs of in into out, repeats dropped. The runs are
 * read through 1 MiB of buffers in all (a window each when few), so the
 * merge costs the same memory however many runs there are. */
static int merge(custos_xsel_t *x, tfile_t *in, size_t k, tfile_t *out)
{
	size_t per = ((size_t)1 << 20) / sizeof(entry_t) / (k ? k : 1);
	if (per > CUSTOS_XSEL_WINDOW)
		per = CUSTOS_XSEL_WINDOW;
	if (per < 256)
		per = 256;
	reader_t *rd = calloc(k, sizeof *rd);
	size_t *h = calloc(k, sizeof *h), nh = 0, no = 0;
	entry_t *ob = malloc(CUSTOS_XSEL_WINDOW * sizeof *ob), last;
	bool have_last = false;
	int rc = CUSTOS_OK;

	if (!rd || !h || !ob) {
		rc = custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < k; i++) {
		rd[i].f = &in[i];
		rd[i].cap = per;
		if (!(rd[i].buf = malloc(per * sizeof *rd[i].buf))) {
			rc = custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = reader_fill(x, &rd[i])) < 0)
			goto done;
		if (rd[i].len)
			h[nh++] = i;
	}
	for (size_t i = nh / 2; i-- > 0;)
		heap_down(rd, h, nh, i);
	while (nh) {
		reader_t *r = &rd[h[0]];
		entry_t e = r->buf[r->pos++];
		if (!have_last || cmp_key(&last, &e)) {
			ob[no++] = e;
			last = e;
			have_last = true;
			if (no == CUSTOS_XSEL_WINDOW) {
				if ((rc = tfile_write(x, out, ob, no)) < 0)
					goto done;
				no = 0;
			}
		}
		if (r->pos == r->len && (rc = reader_fill(x, r)) < 0)
			goto done;
		if (!r->len)
			h[0] = h[--nh];
		heap_down(rd, h, nh, 0);
	}
	if (no)
		rc = tfile_write(x, out, ob, no);
done:
	for (size_t i = 0; rd && i < k; i++)
		free(rd[i].buf);
	free(rd);
	free(h);
	free(ob);
	return rc;
}

/* Merges every run so far into one. */
static int merge_runs(custos_xsel_t *x)
{
	tfile_t one;
	int rc;
	if ((rc = tfile_open(x, "run", &one)) < 0)
		return rc;
	if ((rc = merge(x, x->run, x->n_runs, &one)) < 0) {
		tfile_close(&one);
		return rc;
	}
	for (size_t i = 0; i < x->n_runs; i++)
		tfile_close(&x->run[i]);
	x->run[0] = one;
	x->n_runs = 1;
	return CUSTOS_OK;
}

static int spill(custos_xsel_t *x)
{
	int rc;
	if (x->n_runs == CUSTOS_XSEL_FANIN && (rc = merge_runs(x)) < 0)
		return rc;
	size_t n = sort_unique(x->v, x->n);
	tfile_t *f = &x->run[x->n_runs];
	if ((rc = tfile_open(x, "run", f)) < 0)
		return rc;
	x->n_runs++;
	x->spilled++;
	if ((rc = tfile_write(x, f, x->v, n)) < 0)
		return rc;
	x->n = 0;
	return CUSTOS_OK;
}

/* ---- the selection ------------------------------------------------------------ */

int custos_xsel__new(custos_xsel_t **out, const char *near, size_t budget, custos_err_t *err)
{
	custos_xsel_t *x;
	const char *knob = getenv("CUSTOS_TEST_SORT_BUDGET");
	*out = NULL;
	if (knob && *knob) {
		char *end;
		unsigned long long b = strtoull(knob, &end, 10);
		if (*end || b < 1 || b > SIZE_MAX / sizeof(entry_t))
			return custos_err_set(err, CUSTOS_EINVAL, "CUSTOS_TEST_SORT_BUDGET '%s' is not "
			                      "a number of entries", knob);
		budget = (size_t)b;
	}
	if (!(x = calloc(1, sizeof *x)) || !(x->near = strdup(near ? near : "."))) {
		free(x);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	x->err = err;
	x->budget = budget ? budget : CUSTOS_XSEL_BUDGET;
	*out = x;
	return CUSTOS_OK;
}

int custos_xsel__add(custos_xsel_t *x, int64_t created_at, uint64_t seq, uint64_t bates)
{
	int rc;
	if (x->n == x->budget && (rc = spill(x)) < 0)
		return rc;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 1024;
		if (cap > x->budget)
			cap = x->budget;
		entry_t *nv = realloc(x->v, cap * sizeof *nv);
		if (!nv)
			return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
		x->v = nv;
		x->cap = cap;
	}
	x->v[x->n++] = (entry_t){ created_at, seq, bates };
	return CUSTOS_OK;
}

int custos_xsel__finish(custos_xsel_t *x, uint64_t *count)
{
	int rc;
	if (!x->n_runs) {
		/* it fitted: sorted where it is, never written */
		x->fitted = true;
		x->n = sort_unique(x->v, x->n);
		*count = x->count = x->n;
		return CUSTOS_OK;
	}
	if (x->n && (rc = spill(x)) < 0)
		return rc;
	/* the run's memory goes before the merge's buffers come */
	free(x->v);
	x->v = NULL;
	x->n = x->cap = 0;
	if (x->n_runs == 1) {
		x->out = x->run[0];
		memset(&x->run[0], 0, sizeof x->run[0]);
		x->n_runs = 0;
	} else {
		if ((rc = tfile_open(x, "sorted", &x->out)) < 0 ||
		    (rc = merge(x, x->run, x->n_runs, &x->out)) < 0)
			return rc;
		for (size_t i = 0; i < x->n_runs; i++)
			tfile_close(&x->run[i]);
		x->n_runs = 0;
	}
	*count = x->count = x->out.n;
	return CUSTOS_OK;
}

int custos_xsel__next(custos_xsel_t *x, custos_xsel_entry_t **v, size_t *n)
{
	int rc;
	*v = NULL;
	*n = 0;
	if (x->pos >= x->count)
		return 0;
	uint64_t left = x->count - x->pos;
	size_t k = left < CUSTOS_XSEL_WINDOW ? (size_t)left : CUSTOS_XSEL_WINDOW;
	if (x->fitted) {
		*v = x->v + x->pos;
	} else {
		if (!x->win && !(x->win = malloc(CUSTOS_XSEL_WINDOW * sizeof *x->win)))
			return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
		if ((rc = tfile_read(x, &x->out, x->pos, x->win, k)) < 0)
			return rc;
		*v = x->win;
	}
	*n = k;
	x->pos += k;
	return 1;
}

static int cmp_void(const void *a, const void *b)
{
	return cmp_key(a, b);
}

/* The entry of key among n sorted ones, or NULL. */
static entry_t *search(entry_t *v, size_t n, const entry_t *key)
{
	return n ? bsearch(key, v, n, sizeof *v, cmp_void) : NULL;
}

int custos_xsel__mark(custos_xsel_t *x, const custos_xsel_entry_t *e)
{
	int rc;
	if (x->fitted) {
		/* the selection is in memory: its entry takes the number (the
		 * producer numbers a copy of the window) */
		entry_t *m = search(x->v, x->count, e);
		if (m)
			m->bates = e->bates;
		return CUSTOS_OK;
	}
	if (!x->dbuf) {
		if (!(x->dbuf = malloc(CUSTOS_XSEL_WINDOW * sizeof *x->dbuf)))
			return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
		if ((rc = tfile_open(x, "produced", &x->done)) < 0)
			return rc;
	}
	if (x->dn == CUSTOS_XSEL_WINDOW) {
		if ((rc = tfile_write(x, &x->done, x->dbuf, x->dn)) < 0)
			return rc;
		x->dn = 0;
	}
	x->dbuf[x->dn++] = *e;
	return CUSTOS_OK;
}


int custos_xsel__bates(custos_xsel_t *x, int64_t created_at, uint64_t seq, uint64_t *bates)
{
	entry_t key = { created_at, seq, 0 };
	const entry_t *e;
	*bates = 0;
	if (x->fitted) {
		e = search(x->v, x->count, &key);
		if (!e || !e->bates)
			return 0;
		*bates = e->bates;
		return 1;
	}
	if (!x->dbuf)
		return 0;
	/* the latest marks are still in memory; the earlier ones in the file */
	if (x->dn && cmp_key(&key, &x->dbuf[0]) >= 0) {
		if (!(e = search(x->dbuf, x->dn, &key)))
			return 0;
		*bates = e->bates;
		return 1;
	}
	uint64_t lo = 0, hi = x->done.n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		entry_t m;
		int rc = tfile_read(x, &x->done, mid, &m, 1);
		if (rc < 0)
			return rc;
		int c = cmp_key(&m, &key);
		if (!c) {
			*bates = m.bates;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void custos_xsel__reset(custos_xsel_t *x)
{
	for (size_t i = 0; i < x->n_runs; i++)
		tfile_close(&x->run[i]);
	x->n_runs = 0;
	x->n = 0;
	x->qr = x->qw = x->roff = 0;
	x->qm = x->ql = x->rlen = 0;
}

/* ---- the queue of ids ----------------------------------------------------- */

/* The bytes of ids the queue keeps in memory before it writes them to its
 * file: 64 KB, or the selection's budget in bytes when that is less (the
 * test knob makes both spill). */
static size_t queue_limit(const custos_xsel_t *x)
{
	size_t b = x->budget * sizeof(entry_t);
	return b < 65536 ? b : 65536;
}

static int pwrite_all(custos_xsel_t *x, tfile_t *f, const char *p, size_t left, uint64_t off)
{
	while (left) {
		ssize_t w = pwrite(f->fd, p, left, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return io_fail(x, w < 0 ? errno : ENOSPC, "write", f->path);
		p += w;
		off += (uint64_t)w;
		left -= (size_t)w;
	}
	return CUSTOS_OK;
}

int custos_xsel__push(custos_xsel_t *x, const char *id)
{
	size_t n = strlen(id) + 1;
	int rc;
	if (x->qm && x->ql + n > x->qcap) {
		/* what was popped makes room before the buffer grows */
		memmove(x->qb, x->qb + x->qm, x->ql - x->qm);
		x->ql -= x->qm;
		x->qm = 0;
	}
	if (x->ql + n > x->qcap) {
		size_t cap = x->qcap ? x->qcap : 4096;
		while (cap < x->ql + n)
			cap *= 2;
		char *nb = realloc(x->qb, cap);
		if (!nb)
			return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
		x->qb = nb;
		x->qcap = cap;
	}
	memcpy(x->qb + x->ql, id, n);
	x->ql += n;
	if (x->ql - x->qm <= queue_limit(x))
		return CUSTOS_OK;
	/* after what the file holds: the queue's order is kept */
	if (!x->q.path && (rc = tfile_open(x, "ids", &x->q)) < 0)
		return rc;
	if ((rc = pwrite_all(x, &x->q, x->qb + x->qm, x->ql - x->qm, x->qw)) < 0)
		return rc;
	x->qw += x->ql - x->qm;
	x->qm = x->ql = 0;
	return CUSTOS_OK;
}

int custos_xsel__pop(custos_xsel_t *x, const char **id)
{
	while (x->qr < x->qw) {
		if (x->qr >= x->roff && x->qr < x->roff + x->rlen) {
			size_t at = (size_t)(x->qr - x->roff);
			const char *z = memchr(x->rb + at, 0, x->rlen - at);
			if (z) {
				*id = x->rb + at;
				x->qr += (uint64_t)(z - (x->rb + at)) + 1;
				return 1;
			}
			if (at == 0 && x->rlen == x->rcap) {
				/* an id longer than the buffer: twice the buffer */
				char *nb = realloc(x->rb, x->rcap * 2);
				if (!nb)
					return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
				x->rb = nb;
				x->rcap *= 2;
			} else if (x->roff + x->rlen >= x->qw) {
				return custos_err_set(x->err, CUSTOS_EIO, "the export's sort file '%s' "
				                      "ends inside an id", x->q.path);
			}
		}
		if (!x->rb) {
			if (!(x->rb = malloc(65536)))
				return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
			x->rcap = 65536;
		}
		uint64_t left = x->qw - x->qr;
		size_t want = left < x->rcap ? (size_t)left : x->rcap;
		size_t got = 0;
		while (got < want) {
			ssize_t r = pread(x->q.fd, x->rb + got, want - got, (off_t)(x->qr + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return io_fail(x, r < 0 ? errno : EIO, "read", x->q.path);
			got += (size_t)r;
		}
		x->roff = x->qr;
		x->rlen = got;
	}
	if (x->qm < x->ql) {
		*id = x->qb + x->qm;
		x->qm += strlen(*id) + 1;
		return 1;
	}
	x->qm = x->ql = 0;
	x->qr = x->qw = x->roff = 0;
	x->rlen = 0;
	return 0;
}

size_t custos_xsel__runs(const custos_xsel_t *x)
{
	return x->spilled;
}

void custos_xsel__free(custos_xsel_t *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n_runs; i++)
		tfile_close(&x->run[i]);
	tfile_close(&x->out);
	tfile_close(&x->done);
	tfile_close(&x->q);
	free(x->qb);
	free(x->rb);
	if (x->dir)
		rmdir(x->dir);
	free(x->dir);
	free(x->near);
	free(x->v);
	free(x->win);
	free(x->dbuf);
	free(x);
}
