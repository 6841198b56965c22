/* Export roots for the importers: a folder, a .zip read through libarchive
 * (members are streamed, never extracted), or a single file. */
#include "import_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TREE_DIR, TREE_FILE, TREE_ZIP };

typedef struct {
	char   *name;
	int64_t size;
	unsigned char shadowed;   /* a zip member each() does not offer: a bad name, or
	                             an earlier member of the same name (listed in skipped) */
	unsigned char taken;      /* opened while the tree tracked (custos_tree__track) */
} member_t;

/* A path the tree itself does not offer, and why (custos_tree__skipped). */
typedef struct {
	char *name;     /* display name */
	char *why;
} skip_t;

/* A folder or file met on a folder walk, by device and inode, with the
 * path it was first met at: a link to it is not walked or read again. */
typedef struct {
	dev_t dev;
	ino_t ino;
	char *rel;
} seen_t;

struct custos_tree {
	int    kind;
	/* a view (custos_tree__sub): the tree it looks into and its folder
	 * there, ending in '/'; every call goes to root with base before the
	 * relpath. NULL and "" for a tree of its own. */
	custos_tree_t *root;
	char  *base;
	char  *path;      /* the folder, the zip, or the single file's folder */
	char  *display;   /* the path as given */
	char  *file_rel;  /* TREE_FILE: the file's base name */
	/* TREE_ZIP: members in archive order, and a reusable cursor positioned
	 * after member cursor_idx, so that opening members in order (as
	 * custos_tree__each and media scans do) reads the zip once */
	member_t *members;
	size_t    n_members;
	size_t   *sorted;    /* member indexes sorted by name, for lookups */
	struct archive *cursor;
	size_t    cursor_next;  /* index of the member the next header read gives */
	int       cursor_busy;
	custos_err_t err;   /* why custos_tree__each stopped */
	/* SHA-256 of the files whose records asked for it (custos_tree__file_sha256),
	 * with an open-addressing index by relpath (a Slack export has tens of
	 * thousands of day files, and every input read to its end asks) */
	struct file_hash *hashes;
	size_t    n_hashes, cap_hashes;
	size_t   *hash_slots;   /* index + 1 into hashes, 0 empty; cap_hashes * 2 of them */
	/* a folder's files as the first whole walk found them: detection, the
	 * media index and the importer each walk the tree, and a stat per file
	 * per walk was a fifth of a Slack export's ingest time */
	member_t *listing;
	size_t    n_listing, cap_listing;
	int       listed;
	size_t   *lsorted;      /* listing indexes sorted by name, for lookups */
	/* a folder walk's folders and files by inode (links to them are
	 * met once), and what the tree did not offer, with why */
	seen_t   *seen;
	size_t    n_seen, cap_seen;
	skip_t   *skipped;
	size_t    n_skipped, cap_skipped;
	int       tracking;     /* opens mark their file taken */
	/* the last input read to its end, so that a file read whole before its
	 * records (a first pass counting keys) is not read a third time */
	char     *last_rel;
	char      last_hex[CUSTOS_SHA256_HEX];
	char     *changed;    /* display name of a file whose bytes differed between reads */
	struct zip_input *live;   /* the zip member being read, for spooling */
	/* small files read whole when opened (CUSTOS_TREE_WHOLE_MAX): the open
	 * ones, whose hashes custos_tree__file_sha256 takes without a read; and
	 * the bytes of the last one closed, kept for another open of the same
	 * file (format detection reads a file's head, then its importer reads
	 * it; Mastodon's outbox.json is read twice) and else reused as the next
	 * one's buffer */
	struct whole_input *wholes;
	char     *spare;
	size_t    spare_cap;
	char     *kept_rel;     /* the file whose bytes spare holds; NULL: none */
	size_t    kept_n;
	char      kept_hex[CUSTOS_SHA256_HEX];
	custos_sha256_ctx_t kept_sha;
	uint64_t  opens, bytes_read, zip_opens;   /* custos_tree__reads */
};

struct file_hash {
	char *relpath;
	char  hex[CUSTOS_SHA256_HEX];
};

static int errno_status(int e)
{
	if (e == ENOENT || e == ENOTDIR)
		return CUSTOS_ENOTFOUND;
	if (e == EACCES || e == EPERM)
		return CUSTOS_EACCESS;
	if (e == ENOMEM)
		return CUSTOS_ENOMEM;
	return CUSTOS_EIO;
}

/* A relpath must stay inside the tree. */
static int relpath_ok(const char *r)
{
	if (!r || !*r || r[0] == '/')
		return 0;
	for (const char *p = r; *p; ) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == 0))
			return 0;
		const char *s = strchr(p, '/');
		if (!s)
			break;
		p = s + 1;
	}
	return 1;
}

/* relpath of a view (custos_tree__sub) as its root tree names it, in buf;
 * relpath itself for a tree of its own. NULL when it does not fit. */
static const char *root_rel(const custos_tree_t *t, const char *relpath, char *buf, size_t cap)
{
	if (!t->root)
		return relpath;
	if ((size_t)snprintf(buf, cap, "%s%s", t->base, relpath ? relpath : "") >= cap)
		return NULL;
	return buf;
}

/* Adds relpath (of the root tree t) to what the tree did not offer. */
static int skip_add(custos_tree_t *t, const char *relpath, const char *why)
{
	char name[4200];
	if (t->n_skipped == t->cap_skipped) {
		size_t nc = t->cap_skipped ? t->cap_skipped * 2 : 8;
		skip_t *nv = realloc(t->skipped, nc * sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		t->skipped = nv;
		t->cap_skipped = nc;
	}
	if (*relpath)
		custos_tree__member_name(t, relpath, name, sizeof name);
	else
		snprintf(name, sizeof name, "%s", t->display);
	skip_t *k = &t->skipped[t->n_skipped];
	if (!(k->name = strdup(name)) || !(k->why = strdup(why))) {
		free(k->name);
		return CUSTOS_ENOMEM;
	}
	t->n_skipped++;
	return CUSTOS_OK;
}

static void skips_free(custos_tree_t *t)
{
	for (size_t i = 0; i < t->n_skipped; i++) {
		free(t->skipped[i].name);
		free(t->skipped[i].why);
	}
	t->n_skipped = 0;
}

/* Records a folder or file met on a walk at relpath. 0 the first time; 1,
 * with *first the relpath it was met at, when it was met before (a link);
 * CUSTOS_ENOMEM. Open addressing on (dev, ino), cap_seen a power of two. */
static int seen_add(custos_tree_t *t, dev_t dev, ino_t ino, const char *relpath,
                    const char **first)
{
	if (2 * (t->n_seen + 1) > t->cap_seen) {
		size_t nc = t->cap_seen ? t->cap_seen * 2 : 64;
		seen_t *nv = calloc(nc, sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		for (size_t i = 0; i < t->cap_seen; i++) {
			if (!t->seen[i].rel)
				continue;
			size_t h = ((uint64_t)t->seen[i].ino * 0x9E3779B97F4A7C15ull ^ t->seen[i].dev) & (nc - 1);
			while (nv[h].rel)
				h = (h + 1) & (nc - 1);
			nv[h] = t->seen[i];
		}
		free(t->seen);
		t->seen = nv;
		t->cap_seen = nc;
	}
	size_t mask = t->cap_seen - 1, h = ((uint64_t)ino * 0x9E3779B97F4A7C15ull ^ dev) & mask;
	for (; t->seen[h].rel; h = (h + 1) & mask)
		if (t->seen[h].dev == dev && t->seen[h].ino == ino) {
			*first = t->seen[h].rel;
			return 1;
		}
	if (!(t->seen[h].rel = strdup(relpath)))
		return CUSTOS_ENOMEM;
	t->seen[h].dev = dev;
	t->seen[h].ino = ino;
	t->n_seen++;
	return 0;
}

static void seen_free(custos_tree_t *t)
{
	for (size_t i = 0; i < t->cap_seen; i++)
		free(t->seen[i].rel);
	free(t->seen);
	t->seen = NULL;
	t->n_seen = t->cap_seen = 0;
}

/* ------------------------------------------------------------------------
 * Inputs */

typedef struct {
	custos_input_t in;
	custos_tree_t *tree;
	int eof;           /* read has returned 0: in.sha covers the whole file */
	int fd;
	char *name_buf;
} file_input_t;

typedef struct zip_input {
	custos_input_t in;
	custos_tree_t *tree;
	int eof;
	/* >= 0 once the rest of the member was inflated into this unlinked
	 * temporary file to hash it (custos_tree__file_sha256): reads go on
	 * from there, so the member is inflated once */
	int spool_fd;
	struct archive *a;
	int is_cursor;      /* a is the tree's cursor: give it back on close */
	char *name_buf;
} zip_input_t;

typedef struct {
	custos_input_t in;
	const char *p;
	size_t n, pos;
	char *name_buf;
} mem_input_t;

/* A small file or member, read and hashed whole when opened: in.sha covers
 * all of it from the start, so reads need not hash again. */
typedef struct whole_input {
	custos_input_t in;
	custos_tree_t *tree;
	char  *data;          /* the bytes, with room for a NUL after them */
	size_t n, pos, cap;
	char   hex[CUSTOS_SHA256_HEX];
	struct whole_input *next;   /* the tree's open whole inputs */
	char  *name_buf;
} whole_input_t;

static void account(custos_input_t *in, const void *buf, ssize_t r)
{
	if (r > 0) {
		custos_sha256_update(&in->sha, buf, (size_t)r);
		in->consumed += r;
	}
}

static ssize_t file_read(custos_input_t *in, void *buf, size_t n)
{
	file_input_t *f = (file_input_t *)in;
	ssize_t r;
	do
		r = read(f->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		custos_err_set(&in->err, errno_status(errno), "cannot read '%s': %s", in->name,
		               strerror(errno));
		return -1;
	}
	account(in, buf, r);
	if (r > 0)
		f->tree->bytes_read += (uint64_t)r;
	f->eof |= r == 0 && n > 0;
	return r;
}

static ssize_t zip_read(custos_input_t *in, void *buf, size_t n)
{
	zip_input_t *z = (zip_input_t *)in;
	la_ssize_t r;
	if (z->spool_fd >= 0) {
		do
			r = read(z->spool_fd, buf, n);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			custos_err_set(&in->err, errno_status(errno), "cannot read '%s' (spooled): %s",
			               in->name, strerror(errno));
			return -1;
		}
	} else {
		r = archive_read_data(z->a, buf, n);
	}
	if (r < 0) {
		custos_err_set(&in->err, CUSTOS_EFORMAT, "cannot read '%s': %s", in->name,
		               archive_error_string(z->a) ? archive_error_string(z->a)
		                                          : "damaged zip member");
		return -1;
	}
	account(in, buf, (ssize_t)r);
	z->tree->bytes_read += (uint64_t)r;
	z->eof |= r == 0 && n > 0;
	return (ssize_t)r;
}

/* Reads of an input over bytes in memory: up to n of p[*pos, len). */
static size_t copy_out(void *buf, size_t n, const char *p, size_t len, size_t *pos)
{
	size_t k = len - *pos < n ? len - *pos : n;
	memcpy(buf, p + *pos, k);
	*pos += k;
	return k;
}

static ssize_t mem_read(custos_input_t *in, void *buf, size_t n)
{
	mem_input_t *m = (mem_input_t *)in;
	size_t k = copy_out(buf, n, m->p, m->n, &m->pos);
	account(in, buf, (ssize_t)k);
	return (ssize_t)k;
}

static ssize_t whole_read(custos_input_t *in, void *buf, size_t n)
{
	whole_input_t *w = (whole_input_t *)in;
	size_t k = copy_out(buf, n, w->data, w->n, &w->pos);
	in->consumed += (int64_t)k;
	return (ssize_t)k;
}

enum { IN_FILE = 1, IN_ZIP, IN_MEM, IN_WHOLE };

static size_t relpath_hash(const char *p)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return (size_t)h;
}

static struct file_hash *hash_find(const custos_tree_t *t, const char *relpath)
{
	if (!t->hash_slots)
		return NULL;
	size_t mask = t->cap_hashes * 2 - 1;
	for (size_t i = relpath_hash(relpath) & mask; t->hash_slots[i]; i = (i + 1) & mask)
		if (strcmp(t->hashes[t->hash_slots[i] - 1].relpath, relpath) == 0)
			return &t->hashes[t->hash_slots[i] - 1];
	return NULL;
}

/* Rebuilds the index for cap_hashes entries (a power of two). */
static int hash_reindex(custos_tree_t *t)
{
	size_t n = t->cap_hashes * 2, mask = n - 1;
	size_t *slots = calloc(n, sizeof *slots);
	if (!slots)
		return CUSTOS_ENOMEM;
	for (size_t k = 0; k < t->n_hashes; k++) {
		size_t i = relpath_hash(t->hashes[k].relpath) & mask;
		while (slots[i])
			i = (i + 1) & mask;
		slots[i] = k + 1;
	}
	free(t->hash_slots);
	t->hash_slots = slots;
	return CUSTOS_OK;
}

/* A file of the tree read to its end, whose bytes hash to hex. When its
 * records were already given a hash (by a first pass, by the caller, by an
 * earlier read), the two must agree, or the file changed while it was
 * imported. */
static void read_to_end(custos_tree_t *t, const char *relpath, const char *name,
                        const char hex[CUSTOS_SHA256_HEX])
{
	struct file_hash *fh;
	if ((fh = hash_find(t, relpath)) && strcmp(fh->hex, hex) != 0 && !t->changed)
		t->changed = strdup(name);  /* NULL on OOM: the check is lost, not the data */
	char *rel = strdup(relpath);
	if (rel) {
		free(t->last_rel);
		t->last_rel = rel;
		memcpy(t->last_hex, hex, CUSTOS_SHA256_HEX);
	}
}

/* An input of the tree read to its end: its running SHA-256 is the file's. */
static void input_done(custos_tree_t *t, custos_input_t *in)
{
	uint8_t h[CUSTOS_SHA256_LEN];
	char hex[CUSTOS_SHA256_HEX];
	custos_sha256_final(&in->sha, h);
	custos_hex(hex, h, sizeof h);
	read_to_end(t, in->relpath, in->name, hex);
}

/* Adds relpath's hash to the tree's table (not there yet). */
static int hash_add(custos_tree_t *t, const char *relpath, const char hex[CUSTOS_SHA256_HEX])
{
	struct file_hash *fh;
	if (t->n_hashes == t->cap_hashes) {
		size_t nc = t->cap_hashes ? t->cap_hashes * 2 : 8;
		struct file_hash *nv = realloc(t->hashes, nc * sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		t->hashes = nv;
		t->cap_hashes = nc;
		if (hash_reindex(t) < 0)
			return CUSTOS_ENOMEM;
	}
	fh = &t->hashes[t->n_hashes];
	if (!(fh->relpath = strdup(relpath)))
		return CUSTOS_ENOMEM;
	memcpy(fh->hex, hex, CUSTOS_SHA256_HEX);
	t->n_hashes++;
	size_t mask = t->cap_hashes * 2 - 1, i = relpath_hash(relpath) & mask;
	while (t->hash_slots[i])
		i = (i + 1) & mask;
	t->hash_slots[i] = t->n_hashes;
	return CUSTOS_OK;
}

/* A buffer of at least need bytes for a whole input: the spare one when it
 * is big enough, so a Slack export's thousands of day files do not each
 * take fresh pages. *cap gets its size. */
static char *whole_buf(custos_tree_t *t, size_t need, size_t *cap)
{
	char *b;
	if (t->spare && t->spare_cap >= need) {
		b = t->spare;
		*cap = t->spare_cap;
		t->spare = NULL;
		t->spare_cap = 0;
		free(t->kept_rel);
		t->kept_rel = NULL;
		return b;
	}
	if (need < 65536)
		need = 65536;   /* fit for the next few small files too */
	if ((b = malloc(need)))
		*cap = need;
	return b;
}

/* A buffer no input holds any more (its bytes are not kept). */
static void whole_buf_back(custos_tree_t *t, char *b, size_t cap)
{
	if (!b)
		return;
	if (t->spare && t->spare_cap >= cap) {
		free(b);
		return;
	}
	free(t->spare);
	free(t->kept_rel);
	t->kept_rel = NULL;
	t->spare = b;
	t->spare_cap = cap;
}

/* Grows a whole input's buffer (its n bytes kept) to hold more than cap. */
static int whole_grow(char **b, size_t *cap)
{
	size_t nc = *cap * 2;
	if (nc > (size_t)CUSTOS_TREE_WHOLE_MAX + 2)
		nc = (size_t)CUSTOS_TREE_WHOLE_MAX + 2;
	char *nb = realloc(*b, nc);
	if (!nb)
		return CUSTOS_ENOMEM;
	*b = nb;
	*cap = nc;
	return CUSTOS_OK;
}

/* Hands the n bytes of buf (cap bytes, n < cap), read whole from relpath,
 * over to a new input in *out, after hashing them and checking them
 * against the hash the file's records were given, if any. */
static int whole_open(custos_tree_t *t, const char *relpath, const char *dname, char *buf,
                      size_t n, size_t cap, const custos_sha256_ctx_t *known,
                      custos_input_t **out, custos_err_t *err)
{
	uint8_t h[CUSTOS_SHA256_LEN];
	whole_input_t *w = calloc(1, sizeof *w);
	if (!w || !(w->name_buf = malloc(strlen(dname) + 1 + strlen(relpath) + 1))) {
		free(w);
		whole_buf_back(t, buf, cap);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	strcpy(w->name_buf, dname);
	strcpy(w->name_buf + strlen(dname) + 1, relpath);
	buf[n] = 0;
	w->data = buf;
	w->n = n;
	w->cap = cap;
	w->tree = t;
	w->in.name = w->name_buf;
	w->in.relpath = w->name_buf + strlen(dname) + 1;
	w->in.size = (int64_t)n;
	w->in.read = whole_read;
	w->in.impl = (void *)(intptr_t)IN_WHOLE;
	if (known) {
		w->in.sha = *known;
	} else {
		custos_sha256_init(&w->in.sha);
		custos_sha256_update(&w->in.sha, buf, n);
	}
	{
		custos_sha256_ctx_t c = w->in.sha;
		custos_sha256_final(&c, h);
	}
	custos_hex(w->hex, h, sizeof h);
	read_to_end(t, w->in.relpath, w->in.name, w->hex);
	w->next = t->wholes;
	t->wholes = w;
	*out = &w->in;
	return CUSTOS_OK;
}

/* Opens relpath from the bytes the tree kept of it, if it kept them. */
static int whole_reopen(custos_tree_t *t, const char *relpath, custos_input_t **out,
                        custos_err_t *err)
{
	char dname[4200];
	char *buf = t->spare;
	size_t cap = t->spare_cap;
	if (!t->kept_rel || strcmp(t->kept_rel, relpath) != 0)
		return 0;
	custos_tree__member_name(t, relpath, dname, sizeof dname);
	free(t->kept_rel);
	t->kept_rel = NULL;
	t->spare = NULL;
	t->spare_cap = 0;
	int r = whole_open(t, relpath, dname, buf, t->kept_n, cap, &t->kept_sha, out, err);
	return r < 0 ? r : 1;
}

/* A whole input closed: its bytes are kept for another open of its file. */
static void whole_keep(custos_tree_t *t, whole_input_t *w)
{
	char *rel;
	if (!w->data)
		return;
	if (!(rel = strdup(w->in.relpath))) {
		whole_buf_back(t, w->data, w->cap);
		return;
	}
	free(t->spare);
	free(t->kept_rel);
	t->spare = w->data;
	t->spare_cap = w->cap;
	t->kept_rel = rel;
	t->kept_n = w->n;
	memcpy(t->kept_hex, w->hex, sizeof w->hex);
	t->kept_sha = w->in.sha;
	w->data = NULL;
}

/* The kind is kept in impl as a small integer so close knows what it frees. */
void custos_input__close(custos_input_t *in)
{
	if (!in)
		return;
	switch ((int)(intptr_t)in->impl) {
	case IN_FILE: {
		file_input_t *f = (file_input_t *)in;
		if (f->eof && f->tree)
			input_done(f->tree, in);
		if (f->fd >= 0)
			close(f->fd);  /* read-only: nothing to lose on a failed close */
		free(f->name_buf);
		free(f);
		break;
	}
	case IN_ZIP: {
		zip_input_t *z = (zip_input_t *)in;
		if (z->eof)
			input_done(z->tree, in);
		if (z->spool_fd >= 0)
			close(z->spool_fd);   /* read-only from here: nothing to lose */
		if (z->tree->live == z)
			z->tree->live = NULL;
		if (z->is_cursor) {
			z->tree->cursor_busy = 0;
		} else if (z->a) {
			archive_read_free(z->a);
		}
		free(z->name_buf);
		free(z);
		break;
	}
	case IN_MEM: {
		mem_input_t *m = (mem_input_t *)in;
		free(m->name_buf);
		free(m);
		break;
	}
	case IN_WHOLE: {
		whole_input_t *w = (whole_input_t *)in;
		for (whole_input_t **p = &w->tree->wholes; *p; p = &(*p)->next)
			if (*p == w) {
				*p = w->next;
				break;
			}
		whole_keep(w->tree, w);
		free(w->name_buf);
		free(w);
		break;
	}
	default:
		break;
	}
}

int custos_input__open_mem(custos_input_t **out, const char *name, const void *p, size_t n)
{
	mem_input_t *m = calloc(1, sizeof *m);
	*out = NULL;
	if (!m || !(m->name_buf = strdup(name ? name : "(memory)"))) {
		free(m);
		return CUSTOS_ENOMEM;
	}
	m->p = p;
	m->n = n;
	m->in.name = m->in.relpath = m->name_buf;
	m->in.size = (int64_t)n;
	m->in.read = mem_read;
	m->in.impl = (void *)(intptr_t)IN_MEM;
	custos_sha256_init(&m->in.sha);
	*out = &m->in;
	return CUSTOS_OK;
}

int custos_input__drain(custos_input_t *in, custos_err_t *err)
{
	char buf[65536];
	ssize_t r;
	while ((r = in->read(in, buf, sizeof buf)) > 0)
		;
	if (r < 0) {
		if (err)
			*err = in->err;
		return in->err.status ? in->err.status : CUSTOS_EIO;
	}
	return CUSTOS_OK;
}

/* ------------------------------------------------------------------------
 * Trees */

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static int is_zip_file(const char *path)
{
	unsigned char m[4] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, m, 4);
	close(fd);
	if (has_suffix(path, ".zip"))
		return 1;
	return r == 4 && m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4;
}

static struct archive *zip_open_archive(const char *path)
{
	struct archive *a = archive_read_new();
	if (!a)
		return NULL;
	/* the seekable reader takes names and sizes from the central directory,
	 * which is right even for zips written with data descriptors */
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Orders indexes into a member array by name, then by index (so that of
 * two members of one name the later comes last). */
static int cmp_member(const void *a, const void *b, void *arg)
{
	const member_t *m = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(m[x].name, m[y].name);
	return c ? c : (x > y) - (x < y);
}

static size_t *sort_members(const member_t *m, size_t n)
{
	size_t *v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = i;
	qsort_r(v, n, sizeof *v, cmp_member, (void *)m);
	return v;
}

/* Zip members the walk must not offer: a name that would lie outside the
 * export, and every member but the last of a name written twice (unzip
 * extracts the last over the others; custos_tree__open reads it). Each
 * is named in the tree's skipped list. */
static int zip_shadow(custos_tree_t *t)
{
	char why[600];
	for (size_t k = 0; k < t->n_members; k++) {
		member_t *m = &t->members[t->sorted[k]];
		if (m->size == -2)
			continue;
		if (!relpath_ok(m->name)) {
			m->shadowed = 1;
			if (skip_add(t, m->name, *m->name ? "a member name with '..' would lie outside "
			             "the export: not read"
			             : "a member with no name: not read") < 0)
				return CUSTOS_ENOMEM;
			continue;
		}
		size_t same = 0, later = 0;
		for (size_t j = k + 1; j < t->n_members; j++) {
			const member_t *o = &t->members[t->sorted[j]];
			if (strcmp(o->name, m->name))
				break;
			later += o->size != -2;
		}
		if (!later)
			continue;
		for (size_t j = 0; j < t->n_members; j++)
			same += t->members[j].size != -2 && !strcmp(t->members[j].name, m->name);
		m->shadowed = 1;
		snprintf(why, sizeof why, "the zip holds %zu members named '%.300s': this one "
		         "(entry %zu of the zip) is not read, the last one is (as unzip extracts it)",
		         same, m->name, t->sorted[k] + 1);
		if (skip_add(t, m->name, why) < 0)
			return CUSTOS_ENOMEM;
	}
	return CUSTOS_OK;
}

static int zip_list(custos_tree_t *t, custos_err_t *err)
{
	struct archive *a = zip_open_archive(t->path);
	struct archive_entry *e;
	size_t cap = 0;
	int r, err_status = CUSTOS_OK;
	if (!a)
		return custos_err_set(err, CUSTOS_EFORMAT, "cannot open '%s': not a readable zip",
		                      t->display);
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *nm = archive_entry_pathname(e);
		/* every header is listed (directories too) so that indexes match
		 * the order of archive_read_next_header when opening */
		if (t->n_members == cap) {
			size_t nc = cap ? cap * 2 : 64;
			member_t *nm2 = realloc(t->members, nc * sizeof *nm2);
			if (!nm2) {
				err_status = CUSTOS_ENOMEM;
				goto done;
			}
			t->members = nm2;
			cap = nc;
		}
		member_t *m = &t->members[t->n_members];
		const char *p = nm ? nm : "";
		memset(m, 0, sizeof *m);
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		while (*p == '/')
			p++;
		if (!(m->name = strdup(p))) {
			err_status = CUSTOS_ENOMEM;
			goto done;
		}
		m->size = archive_entry_filetype(e) == AE_IFREG
		          ? (archive_entry_size_is_set(e) ? archive_entry_size(e) : -1)
		          : -2;  /* not a regular file */
		t->n_members++;
	}
	if (r != ARCHIVE_EOF)
		err_status = custos_err_set(err, CUSTOS_EFORMAT, "cannot read '%s': %s", t->display,
		                            archive_error_string(a) ? archive_error_string(a)
		                                                    : "damaged zip");
	if (err_status == CUSTOS_OK && t->n_members) {
		if (!(t->sorted = sort_members(t->members, t->n_members)) || zip_shadow(t) < 0) {
			err_status = CUSTOS_ENOMEM;
			goto done;
		}
	}
done:
	archive_read_free(a);
	if (err_status == CUSTOS_ENOMEM)
		custos_err_set(err, CUSTOS_ENOMEM, "out of memory listing '%s'", t->display);
	return err_status;
}

static const member_t *zip_find(const custos_tree_t *t, const char *relpath, size_t *idx)
{
	size_t lo = 0, hi = t->n_members;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		size_t i = t->sorted[mid];
		int c = strcmp(t->members[i].name, relpath);
		if (c == 0) {
			/* a name listed twice: the last header wins, as unzip does */
			while (mid + 1 < t->n_members &&
			       strcmp(t->members[t->sorted[mid + 1]].name, relpath) == 0)
				mid++;
			i = t->sorted[mid];
			if (t->members[i].size == -2)
				return NULL;
			if (idx)
				*idx = i;
			return &t->members[i];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int custos_tree__new(custos_tree_t **out, const char *path, custos_err_t *err)
{
	struct stat st;
	custos_tree_t *t;
	int status = CUSTOS_OK;

	*out = NULL;
	if (stat(path, &st) != 0)
		return custos_err_set(err, errno_status(errno), "cannot open '%s': %s", path,
		                      strerror(errno));
	if (!(t = calloc(1, sizeof *t)) || !(t->display = strdup(path))) {
		free(t);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		if (!d) {
			status = custos_err_set(err, errno_status(errno), "cannot open '%s': %s", path,
			                        strerror(errno));
			goto done;
		}
		closedir(d);
		t->kind = TREE_DIR;
		if (!(t->path = strdup(path)))
			status = CUSTOS_ENOMEM;
	} else if (S_ISREG(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			status = custos_err_set(err, errno_status(errno), "cannot open '%s': %s", path,
			                        strerror(errno));
			goto done;
		}
		close(fd);
		if (is_zip_file(path)) {
			t->kind = TREE_ZIP;
			if (!(t->path = strdup(path)))
				status = CUSTOS_ENOMEM;
			else
				status = zip_list(t, err);
		} else {
			const char *slash = strrchr(path, '/');
			t->kind = TREE_FILE;
			if (slash) {
				t->path = strndup(path, (size_t)(slash - path) + (slash == path));
				t->file_rel = strdup(slash + 1);
			} else {
				t->path = strdup(".");
				t->file_rel = strdup(path);
			}
			if (!t->path || !t->file_rel)
				status = CUSTOS_ENOMEM;
		}
	} else {
		status = custos_err_set(err, CUSTOS_EINVAL, "cannot import '%s': not a file or folder",
		                        path);
	}
done:
	if (status == CUSTOS_ENOMEM && (!err || err->status != CUSTOS_ENOMEM))
		custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	if (status < 0) {
		custos_tree__free(t);
		return status;
	}
	*out = t;
	return CUSTOS_OK;
}

void custos_tree__free(custos_tree_t *t)
{
	if (!t)
		return;
	if (t->cursor)
		archive_read_free(t->cursor);
	for (size_t i = 0; i < t->n_members; i++)
		free(t->members[i].name);
	free(t->members);
	free(t->sorted);
	free(t->path);
	free(t->display);
	free(t->file_rel);
	for (size_t i = 0; i < t->n_hashes; i++)
		free(t->hashes[i].relpath);
	free(t->hashes);
	free(t->hash_slots);
	for (size_t i = 0; i < t->n_listing; i++)
		free(t->listing[i].name);
	free(t->listing);
	free(t->last_rel);
	free(t->changed);
	free(t->spare);
	free(t->kept_rel);
	free(t->lsorted);
	seen_free(t);
	skips_free(t);
	free(t->skipped);
	free(t->base);
	free(t);
}

int custos_tree__sub(custos_tree_t **out, custos_tree_t *t, const char *folder,
                     custos_err_t *err)
{
	custos_tree_t *r = t->root ? t->root : t, *v;
	char base[4200], name[4200];
	*out = NULL;
	if (r->kind == TREE_FILE || !relpath_ok(folder))
		return custos_err_set(err, CUSTOS_EINVAL, "'%s' is not a folder of '%s'", folder,
		                      t->display);
	if ((size_t)snprintf(base, sizeof base, "%s%s/", t->base ? t->base : "", folder) >=
	    sizeof base)
		return custos_err_set(err, CUSTOS_EINVAL, "path too long: '%s'", folder);
	custos_tree__member_name(t, folder, name, sizeof name);
	if (!(v = calloc(1, sizeof *v)) || !(v->base = strdup(base)) ||
	    !(v->display = strdup(name))) {
		if (v)
			free(v->base);
		free(v);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	v->kind = r->kind;
	v->root = r;
	*out = v;
	return CUSTOS_OK;
}

void custos_tree__track(custos_tree_t *t, int on)
{
	(t->root ? t->root : t)->tracking = on;
}

/* The member or listing entry of relpath in a tree of its own, or NULL. */
static member_t *file_entry(custos_tree_t *t, const char *relpath)
{
	size_t lo = 0, hi;
	if (t->kind == TREE_ZIP)
		return (member_t *)zip_find(t, relpath, NULL);
	if (t->kind != TREE_DIR || !t->listed)
		return NULL;
	hi = t->n_listing;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(t->listing[t->lsorted[mid]].name, relpath);
		if (c == 0)
			return &t->listing[t->lsorted[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int custos_tree__taken(custos_tree_t *t, const char *relpath)
{
	char buf[4200];
	const char *rel = root_rel(t, relpath, buf, sizeof buf);
	const member_t *m = rel ? file_entry(t->root ? t->root : t, rel) : NULL;
	return m && m->taken;
}

int custos_tree__skipped(custos_tree_t *t,
                         int (*fn)(void *ctx, const char *name, const char *why), void *ctx)
{
	for (size_t i = 0; i < t->n_skipped; i++) {
		int r = fn(ctx, t->skipped[i].name, t->skipped[i].why);
		if (r != 0)
			return r;
	}
	return CUSTOS_OK;
}

int custos_tree__is_file(const custos_tree_t *t)
{
	return t->kind == TREE_FILE;
}

const char *custos_tree__name(const custos_tree_t *t)
{
	return t->display;
}

void custos_tree__member_name(const custos_tree_t *t, const char *relpath, char *out, size_t cap)
{
	char buf[4200];
	if (t->root) {
		const char *rel = root_rel(t, relpath, buf, sizeof buf);
		custos_tree__member_name(t->root, rel ? rel : relpath, out, cap);
		return;
	}
	switch (t->kind) {
	case TREE_ZIP:
		snprintf(out, cap, "%s!/%s", t->display, relpath);
		break;
	case TREE_FILE:
		if (t->file_rel && strcmp(relpath, t->file_rel) == 0)
			snprintf(out, cap, "%s", t->display);
		else if (strcmp(t->path, ".") == 0)
			snprintf(out, cap, "%s", relpath);
		else
			snprintf(out, cap, "%s/%s", t->path, relpath);
		break;
	default: {
		size_t n = strlen(t->display);
		snprintf(out, cap, "%s%s%s", t->display, n && t->display[n - 1] == '/' ? "" : "/",
		         relpath);
	}
	}
}

int custos_tree__exists(custos_tree_t *t, const char *relpath, int64_t *size)
{
	char buf[4200];
	if (!relpath_ok(relpath))
		return 0;
	if (t->root) {
		const char *rel = root_rel(t, relpath, buf, sizeof buf);
		return rel && custos_tree__exists(t->root, rel, size);
	}
	if (t->kind == TREE_ZIP) {
		const member_t *m = zip_find(t, relpath, NULL);
		if (m && size)
			*size = m->size;
		return m != NULL;
	}
	char full[4096];
	struct stat st;
	if ((size_t)snprintf(full, sizeof full, "%s/%s", t->path, relpath) >= sizeof full)
		return 0;
	if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (size)
		*size = st.st_size;
	return 1;
}

/* Reads the member a is at, of declared size bytes, whole into a new input. */
static int zip_whole(custos_tree_t *t, struct archive *a, int64_t size, const char *dname,
                     const char *relpath, custos_input_t **out, custos_err_t *err)
{
	size_t cap, n = 0;
	char *buf = whole_buf(t, (size_t)size + 1, &cap);
	if (!buf)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	for (;;) {
		la_ssize_t r = archive_read_data(a, buf + n, cap - n);
		if (r < 0) {
			whole_buf_back(t, buf, cap);
			return custos_err_set(err, CUSTOS_EFORMAT, "cannot read '%s': %s", dname,
			                      archive_error_string(a) ? archive_error_string(a)
			                                              : "damaged zip member");
		}
		if (r == 0)
			break;
		n += (size_t)r;
		t->bytes_read += (uint64_t)r;
		if (n < cap)
			continue;
		/* more than the central directory said: a damaged zip (a bomb,
		 * perhaps), which must not be inflated into memory unbounded */
		if (n > (size_t)CUSTOS_TREE_WHOLE_MAX) {
			whole_buf_back(t, buf, cap);
			return custos_err_set(err, CUSTOS_EFORMAT, "cannot read '%s': the member is "
			                      "longer than the %lld bytes the zip gives for it", dname,
			                      (long long)size);
		}
		if (whole_grow(&buf, &cap) < 0) {
			free(buf);
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		}
	}
	return whole_open(t, relpath, dname, buf, n, cap, NULL, out, err);
}

/* Reads the file fd, of size bytes by fstat, whole into a new input.
 * Returns 1, with fd back at its start, when it turns out longer than
 * CUSTOS_TREE_WHOLE_MAX (it grew): the caller streams it instead. */
static int file_whole(custos_tree_t *t, int fd, int64_t size, const char *dname,
                      const char *relpath, custos_input_t **out, custos_err_t *err)
{
	size_t cap, n = 0;
	char *buf = whole_buf(t, (size_t)size + 1, &cap);
	if (!buf)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			whole_buf_back(t, buf, cap);
			return custos_err_set(err, errno_status(e), "cannot read '%s': %s", dname,
			                      strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		t->bytes_read += (uint64_t)r;
		/* a short read that stops where fstat said the file ends is its
		 * end: no read of nothing to confirm it (a syscall per file) */
		if (n < cap && n == (size_t)size)
			break;
		if (n < cap)
			continue;
		if (n > (size_t)CUSTOS_TREE_WHOLE_MAX) {
			whole_buf_back(t, buf, cap);
			if (lseek(fd, 0, SEEK_SET) != 0) {
				int e = errno;
				return custos_err_set(err, errno_status(e), "cannot read '%s': %s", dname,
				                      strerror(e));
			}
			return 1;
		}
		if (whole_grow(&buf, &cap) < 0) {
			free(buf);
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		}
	}
	return whole_open(t, relpath, dname, buf, n, cap, NULL, out, err);
}

static int zip_open_member(custos_tree_t *t, const char *relpath, custos_input_t **out,
                           custos_err_t *err)
{
	size_t idx;
	const member_t *m = zip_find(t, relpath, &idx);
	struct archive *a = NULL;
	struct archive_entry *e;
	int use_cursor = 0, r;
	size_t pos;
	char dname[4200];

	custos_tree__member_name(t, relpath, dname, sizeof dname);
	if (!m)
		return custos_err_set(err, CUSTOS_ENOTFOUND, "cannot open '%s': no such member",
		                      dname);
	/* reuse the cursor when it is free and not yet past the member */
	if (!t->cursor_busy && t->cursor && t->cursor_next <= idx) {
		a = t->cursor;
		pos = t->cursor_next;
		use_cursor = 1;
	} else if (!t->cursor_busy) {
		if (t->cursor)
			archive_read_free(t->cursor);
		t->cursor = NULL;
		if (!(a = zip_open_archive(t->path)))
			return custos_err_set(err, CUSTOS_EIO, "cannot open '%s'", t->display);
		t->zip_opens++;
		t->cursor = a;
		t->cursor_next = 0;
		pos = 0;
		use_cursor = 1;
	} else {
		if (!(a = zip_open_archive(t->path)))
			return custos_err_set(err, CUSTOS_EIO, "cannot open '%s'", t->display);
		t->zip_opens++;
		pos = 0;
	}
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			break;
		if (pos++ == idx)
			break;
	}
	if (use_cursor)
		t->cursor_next = pos;
	if ((r == ARCHIVE_OK || r == ARCHIVE_WARN) && m->size >= 0 &&
	    m->size <= CUSTOS_TREE_WHOLE_MAX) {
		/* inflated whole now; the cursor is free again at once, past this
		 * member, so opening the members in order still reads the zip once */
		t->opens++;
		int st = zip_whole(t, a, m->size, dname, relpath, out, err);
		if (!use_cursor) {
			archive_read_free(a);
		} else if (st < 0) {
			archive_read_free(t->cursor);   /* somewhere inside a member */
			t->cursor = NULL;
		}
		return st;
	}
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		int st = custos_err_set(err, CUSTOS_EFORMAT, "cannot read '%s': %s", dname,
		                        archive_error_string(a) ? archive_error_string(a)
		                                                : "member vanished");
		if (use_cursor) {
			archive_read_free(t->cursor);
			t->cursor = NULL;
		} else {
			archive_read_free(a);
		}
		return st;
	}
	zip_input_t *z = calloc(1, sizeof *z);
	if (!z || !(z->name_buf = malloc(strlen(dname) + 1 + strlen(relpath) + 1))) {
		free(z);
		if (!use_cursor)
			archive_read_free(a);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	strcpy(z->name_buf, dname);
	strcpy(z->name_buf + strlen(dname) + 1, relpath);
	z->in.name = z->name_buf;
	z->in.relpath = z->name_buf + strlen(dname) + 1;
	z->in.size = m->size;
	z->in.read = zip_read;
	z->in.impl = (void *)(intptr_t)IN_ZIP;
	custos_sha256_init(&z->in.sha);
	z->tree = t;
	z->spool_fd = -1;
	t->live = z;
	z->a = a;
	z->is_cursor = use_cursor;
	if (use_cursor)
		t->cursor_busy = 1;
	t->opens++;
	*out = &z->in;
	return CUSTOS_OK;
}

int custos_tree__open(custos_tree_t *t, const char *relpath, custos_input_t **out,
                      custos_err_t *err)
{
	char dname[4200], full[4200];
	struct stat st;

	*out = NULL;
	if (!relpath_ok(relpath))
		return custos_err_set(err, CUSTOS_EINVAL, "bad path '%s' in '%s'",
		                      relpath ? relpath : "(null)", t->display);
	if (t->root) {
		const char *rel = root_rel(t, relpath, full, sizeof full);
		if (!rel)
			return custos_err_set(err, CUSTOS_EINVAL, "path too long: '%s'", relpath);
		return custos_tree__open(t->root, rel, out, err);
	}
	if (t->tracking) {
		member_t *m = file_entry(t, relpath);
		if (m)
			m->taken = 1;
	}
	/* a small file read whole, opened again: its bytes, as hashed */
	int k = whole_reopen(t, relpath, out, err);
	if (k != 0)
		return k < 0 ? k : CUSTOS_OK;
	if (t->kind == TREE_ZIP)
		return zip_open_member(t, relpath, out, err);
	custos_tree__member_name(t, relpath, dname, sizeof dname);
	if ((size_t)snprintf(full, sizeof full, "%s/%s", t->path, relpath) >= sizeof full)
		return custos_err_set(err, CUSTOS_EINVAL, "path too long: '%s'", dname);
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return custos_err_set(err, errno_status(errno), "cannot open '%s': %s", dname,
		                      strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return custos_err_set(err, CUSTOS_EINVAL, "cannot open '%s': not a regular file",
		                      dname);
	}
	t->opens++;
	if (st.st_size <= CUSTOS_TREE_WHOLE_MAX) {
		int r = file_whole(t, fd, st.st_size, dname, relpath, out, err);
		if (r <= 0) {
			close(fd);   /* read-only: nothing to lose */
			return r;
		}
	}
	file_input_t *f = calloc(1, sizeof *f);
	if (!f || !(f->name_buf = malloc(strlen(dname) + 1 + strlen(relpath) + 1))) {
		free(f);
		close(fd);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	strcpy(f->name_buf, dname);
	strcpy(f->name_buf + strlen(dname) + 1, relpath);
	f->fd = fd;
	f->tree = t;
	f->in.name = f->name_buf;
	f->in.relpath = f->name_buf + strlen(dname) + 1;
	f->in.size = st.st_size;
	f->in.read = file_read;
	f->in.impl = (void *)(intptr_t)IN_FILE;
	custos_sha256_init(&f->in.sha);
	*out = &f->in;
	return CUSTOS_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define WALK_DEPTH_MAX 64

/* Walks a folder in byte order of names, depth first. Each folder and file
 * is met once: a link to one met before (a symlink loop, "ln -s . d") is
 * not followed but named in the skipped list, as are hidden folders,
 * dangling links and what is not a regular file. */
static int dir_each(custos_tree_t *t, const char *rel, int (*fn)(void *, const char *, int64_t),
                    void *ctx, int depth)
{
	char full[4200], why[4400];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int status = CUSTOS_OK;
	DIR *d;

	if ((size_t)snprintf(full, sizeof full, "%s%s%s", t->path, *rel ? "/" : "", rel) >=
	    sizeof full)
		return custos_err_set(&t->err, CUSTOS_EINVAL, "path too long: '%s'", rel);
	if (!(d = opendir(full)))
		return custos_err_set(&t->err, errno_status(errno), "cannot open '%s': %s", full,
		                      strerror(errno));
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **nn = realloc(names, nc * sizeof *nn);
			if (!nn) {
				status = custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			names = nn;
			cap = nc;
		}
		if (!(names[n] = strdup(de->d_name))) {
			status = custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n && status == CUSTOS_OK; i++) {
		char sub[4200];
		const char *first = NULL, *skip = NULL;
		struct stat st;
		int k;
		if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]) >=
		    sizeof sub ||
		    (size_t)snprintf(full, sizeof full, "%s/%s", t->path, sub) >= sizeof full) {
			if (skip_add(t, rel, "a name in this folder makes a path too long: not read") < 0)
				status = custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
			continue;
		}
		if (stat(full, &st) != 0)
			skip = lstat(full, &st) == 0 && S_ISLNK(st.st_mode)
			       ? "a link to nothing: not read" : "cannot be read (stat failed)";
		else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			skip = "not a regular file or folder: not read";
		else if (S_ISDIR(st.st_mode) && names[i][0] == '.')
			skip = "a hidden folder: not read";
		else if (S_ISDIR(st.st_mode) && !strcmp(names[i], "__MACOSX"))
			skip = "macOS metadata (__MACOSX): not read";
		else if (S_ISDIR(st.st_mode) && depth + 1 > WALK_DEPTH_MAX)
			skip = "more than 64 folders deep: not walked";
		else if ((k = seen_add(t, st.st_dev, st.st_ino, sub, &first)) < 0)
			status = custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
		else if (k == 1) {
			char fname[4200];
			if (*first)
				custos_tree__member_name(t, first, fname, sizeof fname);
			else
				snprintf(fname, sizeof fname, "%s", t->display);
			snprintf(why, sizeof why, S_ISDIR(st.st_mode)
			         ? "the folder '%s' again (a link): walked once"
			         : "the file '%s' again (a link): read once", fname);
			skip = why;
		}
		if (status < 0)
			break;
		if (skip) {
			if (skip_add(t, sub, skip) < 0)
				status = custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
		} else if (S_ISDIR(st.st_mode)) {
			status = dir_each(t, sub, fn, ctx, depth + 1);
		} else {
			status = fn(ctx, sub, st.st_size);
		}
	}
done:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return status;
}

/* A whole walk of a folder tree: what it met and skipped is forgotten
 * first, the root folder itself is met first. */
static int dir_walk(custos_tree_t *t, int (*fn)(void *, const char *, int64_t), void *ctx)
{
	struct stat st;
	const char *first;
	seen_free(t);
	skips_free(t);
	if (stat(t->path, &st) != 0)
		return custos_err_set(&t->err, errno_status(errno), "cannot open '%s': %s", t->display,
		                      strerror(errno));
	if (seen_add(t, st.st_dev, st.st_ino, "", &first) < 0)
		return custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
	return dir_each(t, "", fn, ctx, 0);
}

const custos_err_t *custos_tree__err(const custos_tree_t *t)
{
	return t->root ? &t->root->err : &t->err;
}

static int list_one(void *ctx, const char *relpath, int64_t size)
{
	custos_tree_t *t = ctx;
	if (t->n_listing == t->cap_listing) {
		size_t nc = t->cap_listing ? t->cap_listing * 2 : 64;
		member_t *nv = realloc(t->listing, nc * sizeof *nv);
		if (!nv)
			return custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
		t->listing = nv;
		t->cap_listing = nc;
	}
	member_t *m = &t->listing[t->n_listing];
	memset(m, 0, sizeof *m);
	if (!(m->name = strdup(relpath)))
		return custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
	m->size = size;
	t->n_listing++;
	return CUSTOS_OK;
}

/* Lists a folder tree once (list_one), with its index by name. */
static int dir_listed(custos_tree_t *t)
{
	if (t->listed)
		return CUSTOS_OK;
	for (size_t i = 0; i < t->n_listing; i++)
		free(t->listing[i].name);
	t->n_listing = 0;
	int r = dir_walk(t, list_one, t);
	if (r != CUSTOS_OK)
		return r;
	free(t->lsorted);
	if (!(t->lsorted = sort_members(t->listing, t->n_listing)))
		return custos_err_set(&t->err, CUSTOS_ENOMEM, "out of memory");
	t->listed = 1;
	return CUSTOS_OK;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* A view's each: the root's files under base, in the root's order (a
 * folder's walk order, a zip's archive order), base left out. */
static int view_each(custos_tree_t *t, int (*fn)(void *, const char *, int64_t), void *ctx)
{
	custos_tree_t *r = t->root;
	const member_t *m;
	const size_t *sorted;
	size_t n, bl = strlen(t->base), lo = 0, hi, k = 0;
	int st;
	if (r->kind == TREE_ZIP) {
		m = r->members;
		n = r->n_members;
		sorted = r->sorted;
	} else {
		if ((st = dir_listed(r)) != CUSTOS_OK)
			return st;
		m = r->listing;
		n = r->n_listing;
		sorted = r->lsorted;
	}
	/* the names under base are one run of the sorted index */
	hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strncmp(m[sorted[mid]].name, t->base, bl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + k < n && !strncmp(m[sorted[lo + k]].name, t->base, bl))
		k++;
	size_t *v = malloc((k ? k : 1) * sizeof *v);
	if (!v)
		return custos_err_set(&r->err, CUSTOS_ENOMEM, "out of memory");
	memcpy(v, sorted + lo, k * sizeof *v);
	qsort(v, k, sizeof *v, cmp_size);
	st = CUSTOS_OK;
	for (size_t i = 0; i < k && st == CUSTOS_OK; i++) {
		const member_t *e = &m[v[i]];
		if (e->size == -2 || e->shadowed || !e->name[bl])
			continue;
		st = fn(ctx, e->name + bl, e->size);
	}
	free(v);
	return st;
}

int custos_tree__each(custos_tree_t *t, int (*fn)(void *ctx, const char *relpath, int64_t size),
                      void *ctx)
{
	if (t->root) {
		custos_err_clear(&t->root->err);
		return view_each(t, fn, ctx);
	}
	custos_err_clear(&t->err);
	switch (t->kind) {
	case TREE_FILE: {
		struct stat st;
		char full[4200];
		snprintf(full, sizeof full, "%s/%s", t->path, t->file_rel);
		if (stat(full, &st) != 0)
			return custos_err_set(&t->err, errno_status(errno), "cannot open '%s': %s",
			                      t->display, strerror(errno));
		return fn(ctx, t->file_rel, st.st_size);
	}
	case TREE_ZIP:
		/* archive order, so that opening each member in turn reuses the cursor */
		for (size_t i = 0; i < t->n_members; i++) {
			int r;
			if (t->members[i].size == -2 || t->members[i].shadowed)
				continue;
			if ((r = fn(ctx, t->members[i].name, t->members[i].size)) != 0)
				return r;
		}
		return CUSTOS_OK;
	default:
		if (dir_listed(t) != CUSTOS_OK) {
			/* walk again as it comes, so the failure shows where it is */
			for (size_t i = 0; i < t->n_listing; i++)
				free(t->listing[i].name);
			t->n_listing = 0;
			custos_err_clear(&t->err);
			return dir_walk(t, fn, ctx);
		}
		for (size_t i = 0; i < t->n_listing; i++) {
			int r;
			if ((r = fn(ctx, t->listing[i].name, t->listing[i].size)) != 0)
				return r;
		}
		return CUSTOS_OK;
	}
}

int custos_tree__slurp(custos_tree_t *t, const char *relpath, size_t max, char **out,
                       size_t *n, custos_err_t *err)
{
	custos_input_t *in = NULL;
	custos_buf_t b = { 0 };
	int status;
	ssize_t r;

	*out = NULL;
	if (n)
		*n = 0;
	if ((status = custos_tree__open(t, relpath, &in, err)) < 0)
		return status;
	if ((int)(intptr_t)in->impl == IN_WHOLE &&
	    ((whole_input_t *)in)->cap <= ((whole_input_t *)in)->n * 2 + 65536) {
		/* already in memory, NUL-terminated: the bytes are handed over
		 * (unless they sit in a much bigger reused buffer) */
		whole_input_t *w = (whole_input_t *)in;
		if (w->n > max) {
			status = custos_err_set(err, CUSTOS_ETOOBIG, "'%s' is over %zu bytes", in->name,
			                        max);
			goto done;
		}
		*out = w->data;
		if (n)
			*n = w->n;
		w->data = NULL;
		status = CUSTOS_OK;
		goto done;
	}
	for (;;) {
		if ((status = custos_buf_reserve(&b, 65536)) < 0) {
			custos_err_set(err, status, "out of memory reading '%s'", in->name);
			goto done;
		}
		r = in->read(in, b.data + b.len, 65536);
		if (r < 0) {
			if (err)
				*err = in->err;
			status = in->err.status ? in->err.status : CUSTOS_EIO;
			goto done;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
		b.data[b.len] = 0;
		if (b.len > max) {
			status = custos_err_set(err, CUSTOS_ETOOBIG, "'%s' is over %zu bytes", in->name,
			                        max);
			goto done;
		}
	}
	if (!b.data && (status = custos_buf_reserve(&b, 1)) < 0)
		goto done;
	b.data[b.len] = 0;
	*out = b.data;
	if (n)
		*n = b.len;
	b.data = NULL;
	status = CUSTOS_OK;
done:
	custos_buf_free(&b);
	custos_input__close(in);
	return status;
}

/* The relpath of a display name custos_tree__member_name gave, or NULL when
 * the name is not of this tree. */
static const char *relpath_of(const custos_tree_t *t, const char *name)
{
	size_t n;
	switch (t->kind) {
	case TREE_ZIP:
		n = strlen(t->display);
		return strncmp(name, t->display, n) == 0 && name[n] == '!' && name[n + 1] == '/'
		       ? name + n + 2 : NULL;
	case TREE_FILE:
		if (strcmp(name, t->display) == 0)
			return t->file_rel;
		if (strcmp(t->path, ".") == 0)
			return name;
		n = strlen(t->path);
		return strncmp(name, t->path, n) == 0 && name[n] == '/' ? name + n + 1 : NULL;
	default:
		n = strlen(t->display);
		if (strncmp(name, t->display, n) != 0)
			return NULL;
		if (n && t->display[n - 1] == '/')
			return name + n;
		return name[n] == '/' ? name + n + 1 : NULL;
	}
}

/* An unlinked temporary file, -1 when none can be made. */
static int spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4200];
	int fd;
	if (!dir || !*dir)
		dir = "/tmp";
#ifdef O_TMPFILE
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return fd;
#endif
	if ((size_t)snprintf(path, sizeof path, "%s/custos-spool-XXXXXX", dir) >= sizeof path ||
	    (fd = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	return fd;
}

/* The hash of the zip member z is reading: its running hash of what was
 * read, continued over the rest, which goes to a spool file that z then
 * reads from. 1 with hex set, 0 when no spool could be made (the caller
 * reads the member again), negative on a read error of the zip. */
static int spool_rest(zip_input_t *z, char hex[CUSTOS_SHA256_HEX], custos_err_t *err)
{
	custos_sha256_ctx_t c = z->in.sha;
	uint8_t h[CUSTOS_SHA256_LEN];
	char buf[65536];
	la_ssize_t r;
	int fd = -1;
	if (!z->eof && (fd = spool_open()) < 0)
		return 0;
	while (!z->eof && (r = archive_read_data(z->a, buf, sizeof buf)) != 0) {
		if (r < 0) {
			close(fd);
			return custos_err_set(err, CUSTOS_EFORMAT, "cannot read '%s': %s", z->in.name,
			                      archive_error_string(z->a) ? archive_error_string(z->a)
			                                                 : "damaged zip member");
		}
		custos_sha256_update(&c, buf, (size_t)r);
		z->tree->bytes_read += (uint64_t)r;
		for (la_ssize_t done = 0; done < r; ) {
			ssize_t w = write(fd, buf + done, (size_t)(r - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				/* the bytes are gone from the zip stream: no falling back */
				int e = errno;
				close(fd);
				return custos_err_set(err, CUSTOS_EIO, "cannot spool '%s': %s", z->in.name,
				                      w < 0 ? strerror(e) : "no progress");
			}
			done += w;
		}
	}
	if (fd >= 0) {
		if (lseek(fd, 0, SEEK_SET) != 0) {
			int e = errno;
			close(fd);
			return custos_err_set(err, CUSTOS_EIO, "cannot spool '%s': %s", z->in.name,
			                      strerror(e));
		}
		z->spool_fd = fd;
	}
	custos_sha256_final(&c, h);
	custos_hex(hex, h, sizeof h);
	return 1;
}

int custos_tree__file_sha256(custos_tree_t *t, const char *name, char out[CUSTOS_SHA256_HEX],
                             custos_err_t *err)
{
	if (t->root)   /* display names are the root's */
		return custos_tree__file_sha256(t->root, name, out, err);
	const char *rel = relpath_of(t, name);
	const char *known = NULL;
	struct file_hash *fh;
	custos_input_t *in = NULL;
	int r;

	if (!rel || !relpath_ok(rel))
		return CUSTOS_ENOTFOUND;
	if ((fh = hash_find(t, rel))) {
		memcpy(out, fh->hex, CUSTOS_SHA256_HEX);
		return CUSTOS_OK;
	}
	/* a small file being read: hashed whole when it was opened */
	for (const whole_input_t *w = t->wholes; w && !known; w = w->next)
		if (strcmp(w->in.relpath, rel) == 0)
			known = w->hex;
	if (!known && t->live && t->live->spool_fd < 0 && strcmp(t->live->in.relpath, rel) == 0) {
		/* the member being read: inflate the rest once, into a spool */
		char hex[CUSTOS_SHA256_HEX];
		if ((r = spool_rest(t->live, hex, err)) < 0)
			return r;
		if (r == 1) {
			free(t->last_rel);
			if (!(t->last_rel = strdup(rel)))
				return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			memcpy(t->last_hex, hex, sizeof hex);
		}
	}
	if (!known && (!t->last_rel || strcmp(t->last_rel, rel) != 0)) {
		/* a pass of its own, before any record of the file is stored */
		if ((r = custos_tree__open(t, rel, &in, err)) < 0)
			return r;
		if ((r = custos_input__drain(in, err)) < 0) {
			custos_input__close(in);
			return r;
		}
		custos_input__close(in);   /* sets last_rel and last_hex */
		if (!t->last_rel || strcmp(t->last_rel, rel) != 0)
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	if (!known)
		known = t->last_hex;
	if (hash_add(t, rel, known) < 0)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	memcpy(out, known, CUSTOS_SHA256_HEX);
	return CUSTOS_OK;
}

int custos_tree__know_sha256(custos_tree_t *t, const char *name, const char *hex)
{
	if (t->root)
		return custos_tree__know_sha256(t->root, name, hex);
	const char *rel = relpath_of(t, name);
	struct file_hash *fh;
	size_t i;
	if (!rel || !relpath_ok(rel))
		return CUSTOS_ENOTFOUND;
	for (i = 0; i < CUSTOS_SHA256_HEX - 1; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return CUSTOS_EINVAL;
	if (hex[i] != 0)
		return CUSTOS_EINVAL;
	if ((fh = hash_find(t, rel))) {
		/* already read and handed out: two hashes of one file disagree */
		if (strcmp(fh->hex, hex) != 0 && !t->changed && !(t->changed = strdup(name)))
			return CUSTOS_ENOMEM;
		return CUSTOS_OK;
	}
	return hash_add(t, rel, hex);
}

void custos_tree__reads(const custos_tree_t *t, custos_tree_reads_t *out)
{
	if (t->root)
		t = t->root;
	out->opens = t->opens;
	out->bytes = t->bytes_read;
	out->zip_opens = t->zip_opens;
}

const char *custos_tree__changed(const custos_tree_t *t)
{
	if (t->root)
		t = t->root;
	return t->changed;
}
