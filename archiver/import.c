/* The import dispatcher: opens a path as a tree (folder, .zip or file),
 * recognises the format of the whole tree or of each file in it, and runs
 * the importers; plus the helpers the importers share. */
#include "import_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const custos_importer_t *const importers[] = {
	&custos_import__ndjson,
	&custos_import__x_archive,
	&custos_import__twitter_api,
	&custos_import__mastodon,
	&custos_import__mastodon_api,
	&custos_import__facebook,
	&custos_import__slack,
	&custos_import__linkedin,
	&custos_import__feed,
};
#define N_IMPORTERS (sizeof importers / sizeof importers[0])

/* Confidence a whole tree needs to be imported as one export, and a file
 * needs to be imported at all. */
#define TREE_MIN 50
#define FILE_MIN 30
#define HEAD     4096

const char *const *custos_import_formats(void)
{
	static const char *names[N_IMPORTERS + 1];
	if (!names[0])
		for (size_t i = 0; i < N_IMPORTERS; i++)
			names[i] = importers[i]->name;
	return names;
}

static const custos_importer_t *find_importer(const char *name)
{
	for (size_t i = 0; i < N_IMPORTERS; i++)
		if (strcmp(importers[i]->name, name) == 0)
			return importers[i];
	return NULL;
}

/* ------------------------------------------------------------------------
 * Helpers for the importers */

int custos_import__bad(const custos_import_sink_t *sink, const char *file, int64_t offset,
                       int64_t line, const char *why, const char *raw, size_t n,
                       custos_err_t *err)
{
	int r = sink->bad ? sink->bad(sink->ctx, file, offset, line, why, raw, n)
	                  : CUSTOS_EFORMAT;
	if (r == 0)
		return 0;
	if (r > 0)
		r = CUSTOS_EFORMAT;
	if (line > 0)
		return custos_err_set(err, r, "%s: line %lld (byte %lld): %s", file, (long long)line,
		                      (long long)offset, why);
	return custos_err_set(err, r, "%s: byte %lld: %s", file, (long long)offset, why);
}

int custos_import__record(const custos_import_sink_t *sink, custos_record_t *rec,
                          custos_err_t *err)
{
	int r = sink->record(sink->ctx, rec);
	if (r != 0) {
		if (r > 0)
			r = CUSTOS_EINTERNAL;
		custos_err_set(err, r, "%s: line %lld (byte %lld): record %s not taken",
		               rec->source.file ? rec->source.file : "(input)",
		               (long long)rec->source.line, (long long)rec->source.offset,
		               rec->id ? rec->id : "(no id)");
	}
	custos_record_reset(rec);
	return r;
}

int custos_import__known(const custos_import_sink_t *sink, const char *id, custos_err_t *err)
{
	/* tests make the archive an older custos would have made: every old id
	 * counts as held, so the old recipe is used throughout */
	static int old = -1;
	if (old < 0)
		old = getenv("CUSTOS_TEST_OLD_IDS") != NULL;
	if (old)
		return 1;
	int r = sink->known ? sink->known(sink->ctx, id) : 0;
	if (r < 0 && err && !err->status)
		custos_err_set(err, r, "cannot tell whether the archive holds %s", id);
	return r < 0 ? r : r > 0;
}

void custos_import__warn(const custos_import_sink_t *sink, const char *file, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (!sink->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sink->warn(sink->ctx, file, msg);
}

int custos_import__check_utf8(const custos_import_sink_t *sink, const char *file,
                              int64_t offset, int64_t line, const char *p, size_t n,
                              custos_err_t *err)
{
	size_t bad = custos_utf8_check(p, n);
	char why[128];
	int r;
	if (bad >= n)
		return 0;
	snprintf(why, sizeof why, "invalid UTF-8 at byte %lld", (long long)(offset + (int64_t)bad));
	if ((r = custos_import__bad(sink, file, offset, line, why, p, n, err)) != 0)
		return r;
	return 1;
}

/* ------------------------------------------------------------------------
 * Media index */

struct custos_media_index {
	custos_media_file_t *v;
	size_t n, cap;
	custos_arena_t arena;
};

typedef struct {
	custos_media_index_t *mi;
	custos_tree_t *tree;
	const char *under;
	const custos_import_sink_t *sink;
	custos_err_t *err;
} media_scan_t;

#define MEDIA_MAX ((int64_t)64 << 20)

static int media_one(void *ctx, const char *relpath, int64_t size)
{
	media_scan_t *ms = ctx;
	custos_media_index_t *mi = ms->mi;
	const char *at = NULL, *next, *u = ms->under;
	char *data = NULL, name[4200];
	size_t n = 0, ul = 0;
	int r;

	/* under is one folder name or several separated by '|': the last
	 * occurrence of any of them in the path starts the key */
	while (*u) {
		size_t k = strcspn(u, "|");
		for (const char *p = relpath; (next = memmem(p, strlen(p), u, k)); p = next + 1)
			if (!at || next > at) {
				at = next;
				ul = k;
			}
		u += k + (u[k] == '|');
	}
	if (!at)
		return 0;
	custos_tree__member_name(ms->tree, relpath, name, sizeof name);
	if (size > MEDIA_MAX) {
		custos_import__warn(ms->sink, name, "media file over %lld bytes not stored; its "
		                    "records keep the reference only", (long long)MEDIA_MAX);
		return 0;
	}
	if (mi->n == mi->cap) {
		size_t nc = mi->cap ? mi->cap * 2 : 64;
		custos_media_file_t *nv = realloc(mi->v, nc * sizeof *nv);
		if (!nv)
			return custos_err_set(ms->err, CUSTOS_ENOMEM, "out of memory");
		mi->v = nv;
		mi->cap = nc;
	}
	custos_media_file_t *f = &mi->v[mi->n];
	memset(f, 0, sizeof *f);
	if (!(f->relpath = custos_arena_strdup(&mi->arena, relpath)))
		return custos_err_set(ms->err, CUSTOS_ENOMEM, "out of memory");
	f->key = f->relpath + (at - relpath) + ul;
	if ((r = custos_tree__slurp(ms->tree, relpath, (size_t)MEDIA_MAX, &data, &n, ms->err)) < 0)
		return r;
	if (ms->sink->blob) {
		if ((r = ms->sink->blob(ms->sink->ctx, data, n, f->sha256)) != 0) {
			free(data);
			return custos_err_set(ms->err, r > 0 ? CUSTOS_EINTERNAL : r,
			                      "%s: media not stored", name);
		}
	} else {
		uint8_t h[CUSTOS_SHA256_LEN];
		custos_sha256(h, data, n);
		custos_hex(f->sha256, h, sizeof h);
	}
	free(data);
	f->size = (int64_t)n;
	mi->n++;
	return 0;
}

static int cmp_media(const void *a, const void *b)
{
	return strcmp(((const custos_media_file_t *)a)->key, ((const custos_media_file_t *)b)->key);
}

int custos_media_index__build(custos_media_index_t **out, custos_tree_t *t, const char *under,
                              const custos_import_sink_t *sink, custos_err_t *err)
{
	custos_media_index_t *mi = calloc(1, sizeof *mi);
	media_scan_t ms = { mi, t, under, sink, err };
	int r;
	*out = NULL;
	if (!mi)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	/* a single file has no media beside it worth scanning */
	if (!custos_tree__is_file(t) && (r = custos_tree__each(t, media_one, &ms)) != 0) {
		if (err && err->status == 0)
			*err = *custos_tree__err(t);
		custos_media_index__free(mi);
		return r < 0 ? r : CUSTOS_EINTERNAL;
	}
	if (mi->n)
		qsort(mi->v, mi->n, sizeof *mi->v, cmp_media);
	*out = mi;
	return CUSTOS_OK;
}

const custos_media_file_t *custos_media_index__find(const custos_media_index_t *mi,
                                                    const char *key)
{
	custos_media_file_t k = { .key = key };
	if (!mi || !mi->n)
		return NULL;
	return bsearch(&k, mi->v, mi->n, sizeof *mi->v, cmp_media);
}

size_t custos_media_index__prefix(const custos_media_index_t *mi, const char *prefix,
                                  const custos_media_file_t **first)
{
	size_t lo = 0, hi, pl = strlen(prefix), k = 0;
	*first = NULL;
	if (!mi || !mi->n)
		return 0;
	hi = mi->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(mi->v[mid].key, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + k < mi->n && strncmp(mi->v[lo + k].key, prefix, pl) == 0)
		k++;
	if (k)
		*first = &mi->v[lo];
	return k;
}

void custos_media_index__free(custos_media_index_t *mi)
{
	if (!mi)
		return;
	free(mi->v);
	custos_arena_free(&mi->arena);
	free(mi);
}

/* ------------------------------------------------------------------------
 * source.file_sha256: the importers name the file each record comes from;
 * the dispatcher puts the file's hash next to that name, for every format,
 * by standing between the importers and the sink. */

typedef struct {
	const custos_import_sink_t *outer;
	custos_tree_t *tree;
	custos_err_t err;              /* why a hash could not be had */
	char name[4200];               /* the last file hashed, and its hash */
	char hex[CUSTOS_SHA256_HEX];
} hashing_t;

static int hashing_record(void *ctx, custos_record_t *rec)
{
	hashing_t *h = ctx;
	const char *file = rec->source.file;
	int r;
	if (file && !rec->source.file_sha256) {
		if (strcmp(file, h->name) != 0) {
			char hex[CUSTOS_SHA256_HEX];
			r = custos_tree__file_sha256(h->tree, file, hex, &h->err);
			if (r == CUSTOS_OK) {
				snprintf(h->name, sizeof h->name, "%s", file);
				memcpy(h->hex, hex, sizeof hex);
			} else if (r != CUSTOS_ENOTFOUND) {
				return r;
			}
		}
		/* a name the tree does not know (a record about another input)
		 * is left without a hash rather than given a wrong one */
		if (strcmp(file, h->name) == 0 &&
		    (r = custos_record_sets(rec, &rec->source.file_sha256, h->hex)) < 0)
			return custos_err_set(&h->err, r, "out of memory");
	}
	return h->outer->record(h->outer->ctx, rec);
}

static int hashing_bad(void *ctx, const char *file, int64_t offset, int64_t line,
                       const char *why, const char *raw, size_t n)
{
	hashing_t *h = ctx;
	return h->outer->bad ? h->outer->bad(h->outer->ctx, file, offset, line, why, raw, n)
	                     : CUSTOS_EFORMAT;
}

static int hashing_blob(void *ctx, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX])
{
	hashing_t *h = ctx;
	return h->outer->blob(h->outer->ctx, p, n, hex);
}

static void hashing_warn(void *ctx, const char *file, const char *msg)
{
	hashing_t *h = ctx;
	if (h->outer->warn)
		h->outer->warn(h->outer->ctx, file, msg);
}

static int hashing_file_done(void *ctx, const char *file)
{
	hashing_t *h = ctx;
	return h->outer->file_done ? h->outer->file_done(h->outer->ctx, file) : 0;
}

static void hashing_not_taken(void *ctx, const char *file, const char *why)
{
	hashing_t *h = ctx;
	h->outer->not_taken(h->outer->ctx, file, why);
}

static int hashing_known(void *ctx, const char *id)
{
	hashing_t *h = ctx;
	return h->outer->known(h->outer->ctx, id);
}

/* The sink the importers of tree t see; NULL callbacks stay NULL, since
 * importers test them. */
static custos_import_sink_t hashing_sink(hashing_t *h, custos_tree_t *t,
                                         const custos_import_sink_t *outer)
{
	custos_import_sink_t s = { hashing_record, outer->bad ? hashing_bad : NULL,
	                           outer->blob ? hashing_blob : NULL,
	                           outer->warn ? hashing_warn : NULL,
	                           outer->file_done ? hashing_file_done : NULL, h,
	                           outer->not_taken ? hashing_not_taken : NULL,
	                           outer->known ? hashing_known : NULL };
	memset(h, 0, sizeof *h);
	h->outer = outer;
	h->tree = t;
	return s;
}

/* After an importer ran over t: a hash that could not be had is the
 * import's error; a file that changed under it too, since its records carry
 * the hash of bytes that are no longer the ones read. */
static int hashing_check(hashing_t *h, int r, const char *what, custos_err_t *err)
{
	const char *changed = custos_tree__changed(h->tree);
	if (h->err.status) {
		if (err)
			*err = h->err;
		return h->err.status;
	}
	if (r == 0 && changed)
		return custos_err_set(err, CUSTOS_EIO, "'%s' changed while it was imported: its "
		                      "records carry the SHA-256 of the first read (%s)", changed,
		                      what);
	return r;
}

/* ------------------------------------------------------------------------
 * The dispatcher. A path is a collection: the folders of its tree are
 * looked at from the root down, and a folder an importer claims whole is an
 * export (the folders under it are not looked at again); every other file
 * is recognised on its own, a .zip opened as a collection of its own.
 * Afterwards every file that no importer ran on or read is named to the
 * sink with why, so that what was not taken can be accounted for. */

enum {
	F_LOOSE,            /* not yet looked at */
	F_EXPORT,           /* in an export's folder */
	F_RAN,              /* an importer ran on it */
	F_ZIP,              /* a .zip, imported as a collection of its own */
	F_ZIP_IN_ZIP,
	F_HIDDEN,
	F_UNKNOWN,          /* no importer recognised it */
	F_EMPTY
};

typedef struct {
	char   *rel;
	int64_t size;
	int     state;
	size_t  ex;         /* F_EXPORT: its export */
} wfile_t;

typedef struct {
	char *prefix;       /* the export's folder, "" or "a/b/" */
	const custos_importer_t *imp;
	custos_tree_t *view;
	int done;
} wexport_t;

typedef struct {
	custos_tree_t *tree;
	const custos_importer_t *forced;
	const custos_import_sink_t *sink;
	custos_err_t *err;
	int depth;
	size_t ran;        /* files handed to an importer */
	int run_all;       /* forced format: run on files it does not recognise too */
	hashing_t *hashing;
	wfile_t *files;
	size_t n_files, cap_files;
	wexport_t *ex;
	size_t n_ex, cap_ex;
	int oom;
} walk_t;

static int run_import(const char *path, const char *path_sha256,
                      const custos_importer_t *forced, const custos_import_sink_t *sink,
                      custos_err_t *err, int depth);

static int read_head(custos_tree_t *t, const char *relpath, char *head, size_t *n,
                     custos_err_t *err)
{
	custos_input_t *in = NULL;
	int r = custos_tree__open(t, relpath, &in, err);
	*n = 0;
	if (r < 0)
		return r;
	while (*n < HEAD) {
		ssize_t k = in->read(in, head + *n, HEAD - *n);
		if (k < 0) {
			if (err)
				*err = in->err;
			r = in->err.status ? in->err.status : CUSTOS_EIO;
			break;
		}
		if (k == 0)
			break;
		*n += (size_t)k;
	}
	custos_input__close(in);
	return r < 0 ? r : CUSTOS_OK;
}

static int file_done(const custos_import_sink_t *sink, const char *name, custos_err_t *err)
{
	int r = sink->file_done ? sink->file_done(sink->ctx, name) : 0;
	if (r != 0 && err && err->status == 0)
		custos_err_set(err, r < 0 ? r : CUSTOS_EINTERNAL, "%s: not committed", name);
	return r;
}

static void not_taken(const custos_import_sink_t *sink, const char *name, const char *why)
{
	if (sink->not_taken)
		sink->not_taken(sink->ctx, name, why);
	else if (sink->warn)
		sink->warn(sink->ctx, name, why);
}

static int not_taken_fn(void *ctx, const char *name, const char *why)
{
	not_taken(ctx, name, why);
	return 0;
}

/* Hidden files and folders, and macOS's __MACOSX litter. */
static int hidden(const char *relpath)
{
	for (const char *p = relpath; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (*p == '.' || !strncmp(p, "__MACOSX/", 9))
			return 1;
	return 0;
}

static int is_zip_name(const char *relpath)
{
	size_t n = strlen(relpath);
	return n > 4 && strcasecmp(relpath + n - 4, ".zip") == 0;
}

static int gather(void *ctx, const char *relpath, int64_t size)
{
	walk_t *w = ctx;
	if (w->n_files == w->cap_files) {
		size_t nc = w->cap_files ? w->cap_files * 2 : 64;
		wfile_t *nv = realloc(w->files, nc * sizeof *nv);
		if (!nv)
			return w->oom = 1, CUSTOS_ENOMEM;
		w->files = nv;
		w->cap_files = nc;
	}
	wfile_t *f = &w->files[w->n_files];
	memset(f, 0, sizeof *f);
	if (!(f->rel = strdup(relpath)))
		return w->oom = 1, CUSTOS_ENOMEM;
	f->size = size;
	w->n_files++;
	return 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The importer that claims the tree t whole, or NULL. */
static const custos_importer_t *claims(custos_tree_t *t, const custos_importer_t *forced)
{
	const custos_importer_t *cand = NULL;
	int best = 0;
	for (size_t i = 0; i < N_IMPORTERS; i++) {
		if (forced && importers[i] != forced)
			continue;
		int c = importers[i]->detect(t, NULL, NULL, 0);
		if (c > best) {
			best = c;
			cand = importers[i];
		}
	}
	return best >= TREE_MIN ? cand : NULL;
}

static int add_export(walk_t *w, const char *prefix, const custos_importer_t *imp,
                      custos_tree_t *view)
{
	if (w->n_ex == w->cap_ex) {
		size_t nc = w->cap_ex ? w->cap_ex * 2 : 8;
		wexport_t *nv = realloc(w->ex, nc * sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		w->ex = nv;
		w->cap_ex = nc;
	}
	wexport_t *e = &w->ex[w->n_ex];
	if (!(e->prefix = strdup(prefix)))
		return CUSTOS_ENOMEM;
	e->imp = imp;
	e->view = view;
	e->done = 0;
	w->n_ex++;
	return CUSTOS_OK;
}

/* Finds the exports among the tree's folders, root first: each folder
 * (byte order: a folder comes before the folders under it) that no export
 * found before holds, and that an importer claims whole. */
static int find_exports(walk_t *w)
{
	char **dirs = NULL;
	size_t n = 0, cap = 0;
	int r = CUSTOS_OK;
	const custos_importer_t *imp;

	if ((imp = claims(w->tree, w->forced)))
		return add_export(w, "", imp, NULL) < 0
		       ? custos_err_set(w->err, CUSTOS_ENOMEM, "out of memory") : CUSTOS_OK;
	for (size_t i = 0; i < w->n_files && r == CUSTOS_OK; i++) {
		const char *rel = w->files[i].rel;
		for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				char **nv = realloc(dirs, nc * sizeof *nv);
				if (!nv) {
					r = CUSTOS_ENOMEM;
					break;
				}
				dirs = nv;
				cap = nc;
			}
			if (!(dirs[n] = strndup(rel, (size_t)(s - rel) + 1))) {
				r = CUSTOS_ENOMEM;
				break;
			}
			n++;
		}
	}
	if (r == CUSTOS_OK && n)
		qsort(dirs, n, sizeof *dirs, cmp_strp);
	for (size_t i = 0; i < n && r == CUSTOS_OK; i++) {
		const char *d = dirs[i];
		custos_tree_t *view = NULL;
		if (i && !strcmp(d, dirs[i - 1]))
			continue;
		/* under the export found last (names under a folder follow it) */
		if (w->n_ex && !strncmp(d, w->ex[w->n_ex - 1].prefix, strlen(w->ex[w->n_ex - 1].prefix)))
			continue;
		if (hidden(d))
			continue;
		char folder[4200];
		snprintf(folder, sizeof folder, "%.*s", (int)strlen(d) - 1, d);
		if ((r = custos_tree__sub(&view, w->tree, folder, w->err)) < 0)
			break;
		if ((imp = claims(view, w->forced))) {
			if (add_export(w, d, imp, view) < 0)
				r = CUSTOS_ENOMEM;
		} else {
			custos_tree__free(view);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	if (r == CUSTOS_ENOMEM)
		custos_err_set(w->err, r, "out of memory");
	return r;
}

/* The export whose folder holds relpath, or (size_t)-1. */
static size_t export_of(const walk_t *w, const char *relpath)
{
	size_t lo = 0, hi = w->n_ex;
	while (lo < hi) {   /* the last prefix <= relpath */
		size_t mid = (lo + hi) / 2;
		if (strcmp(w->ex[mid].prefix, relpath) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && !strncmp(relpath, w->ex[lo - 1].prefix, strlen(w->ex[lo - 1].prefix)))
		return lo - 1;
	return (size_t)-1;
}

static int run_export(walk_t *w, wexport_t *e)
{
	custos_tree_t *t = e->view ? e->view : w->tree;
	int r;
	e->done = 1;
	custos_tree__track(w->tree, 1);
	r = e->imp->run(t, NULL, w->sink, w->err);
	custos_tree__track(w->tree, 0);
	if ((r = hashing_check(w->hashing, r, e->imp->name, w->err)) != 0)
		return r < 0 ? r : CUSTOS_EINTERNAL;
	w->ran++;
	return file_done(w->sink, custos_tree__name(t), w->err);
}

/* One file on its own: a zip is a collection of its own, any other file
 * goes to the importer that recognises it. */
static int run_file(walk_t *w, wfile_t *f)
{
	char name[4200], head[HEAD];
	size_t n = 0;
	const custos_importer_t *imp = w->forced;
	int r, best = 0;

	custos_tree__member_name(w->tree, f->rel, name, sizeof name);
	if (hidden(f->rel) && !custos_tree__is_file(w->tree)) {   /* a file named alone is meant */
		f->state = F_HIDDEN;
		return 0;
	}
	if (is_zip_name(f->rel)) {
		if (custos_tree__is_file(w->tree) || strchr(name, '!')) {
			f->state = F_ZIP_IN_ZIP;
			return 0;
		}
		f->state = F_ZIP;
		return run_import(name, NULL, w->forced, w->sink, w->err, w->depth + 1);
	}
	if ((r = read_head(w->tree, f->rel, head, &n, w->err)) < 0)
		return r;
	if (!imp || !w->run_all) {
		const custos_importer_t *cand = NULL;
		for (size_t i = 0; i < N_IMPORTERS; i++) {
			if (w->forced && importers[i] != w->forced)
				continue;
			int c = importers[i]->detect(w->tree, f->rel, head, n);
			if (c > best) {
				best = c;
				cand = importers[i];
			}
		}
		if (best < FILE_MIN) {
			f->state = n ? F_UNKNOWN : F_EMPTY;
			return 0;
		}
		imp = cand;
	}
	f->state = F_RAN;
	w->ran++;
	custos_tree__track(w->tree, 1);
	r = imp->run(w->tree, f->rel, w->sink, w->err);
	custos_tree__track(w->tree, 0);
	if ((r = hashing_check(w->hashing, r, imp->name, w->err)) != 0)
		return r < 0 ? r : CUSTOS_EINTERNAL;
	return file_done(w->sink, name, w->err);
}

/* Names every file of the tree that was not taken, with why. */
static void report_not_taken(walk_t *w)
{
	char name[4200], why[600];
	custos_tree__skipped(w->tree, not_taken_fn, (void *)w->sink);
	for (size_t i = 0; i < w->n_files; i++) {
		wfile_t *f = &w->files[i];
		if (f->state == F_RAN || f->state == F_ZIP || custos_tree__taken(w->tree, f->rel))
			continue;
		custos_tree__member_name(w->tree, f->rel, name, sizeof name);
		why[0] = 0;
		if (f->state == F_HIDDEN || (f->state == F_EXPORT && hidden(f->rel))) {
			snprintf(why, sizeof why, "a hidden file: not read");
		} else if (f->state == F_EXPORT) {
			const wexport_t *e = &w->ex[f->ex];
			if (e->imp->why_not)
				e->imp->why_not(f->rel + strlen(e->prefix), why, sizeof why);
			if (!why[0])
				snprintf(why, sizeof why, "a file of a %s export that its importer does "
				         "not read", e->imp->name);
		} else if (f->state == F_ZIP_IN_ZIP) {
			snprintf(why, sizeof why, "a zip inside a zip: not opened");
		} else if (f->state == F_EMPTY) {
			snprintf(why, sizeof why, "an empty file");
		} else if (w->forced) {
			snprintf(why, sizeof why, "not recognised as %s", w->forced->name);
		} else {
			snprintf(why, sizeof why, "format not recognised");
		}
		not_taken(w->sink, name, why);
	}
}

static void walk_free(walk_t *w)
{
	for (size_t i = 0; i < w->n_files; i++)
		free(w->files[i].rel);
	free(w->files);
	for (size_t i = 0; i < w->n_ex; i++) {
		free(w->ex[i].prefix);
		custos_tree__free(w->ex[i].view);
	}
	free(w->ex);
}

static int walk(walk_t *w, const char *path)
{
	int r = custos_tree__each(w->tree, gather, w);
	if (r != 0) {
		if (w->oom)
			return custos_err_set(w->err, CUSTOS_ENOMEM, "out of memory");
		if (w->err && w->err->status == 0) {
			const custos_err_t *te = custos_tree__err(w->tree);
			if (te->status)
				*w->err = *te;
			else
				custos_err_set(w->err, r < 0 ? r : CUSTOS_EINTERNAL, "import of '%s' stopped",
				               path);
		}
		return r < 0 ? r : CUSTOS_EINTERNAL;
	}
	if (!custos_tree__is_file(w->tree) && (r = find_exports(w)) < 0)
		return r;
	for (size_t i = 0; i < w->n_files; i++) {
		size_t e = w->n_ex ? export_of(w, w->files[i].rel) : (size_t)-1;
		if (e != (size_t)-1) {
			w->files[i].state = F_EXPORT;
			w->files[i].ex = e;
		}
	}
	for (size_t i = 0; i < w->n_files && r == 0; i++) {
		wfile_t *f = &w->files[i];
		if (f->state == F_EXPORT)
			r = w->ex[f->ex].done ? 0 : run_export(w, &w->ex[f->ex]);
		else if (f->state == F_LOOSE)
			r = run_file(w, f);
	}
	if (r == 0 && w->forced && w->ran == 0 && !custos_tree__is_file(w->tree)) {
		/* nothing looked like the forced format: run it on every file so
		 * the user sees why each one fails */
		w->run_all = 1;
		for (size_t i = 0; i < w->n_files && r == 0; i++)
			if (w->files[i].state == F_UNKNOWN || w->files[i].state == F_EMPTY)
				r = run_file(w, &w->files[i]);
	}
	if (r == 0)
		report_not_taken(w);
	return r;
}

static int run_import(const char *path, const char *path_sha256,
                      const custos_importer_t *forced, const custos_import_sink_t *sink,
                      custos_err_t *err, int depth)
{
	custos_tree_t *t = NULL;
	int r;

	if ((r = custos_tree__new(&t, path, err)) < 0)
		return r;
	/* before anything reads the file, so that every read to its end checks
	 * the hash its records get */
	if (path_sha256 && custos_tree__is_file(t) &&
	    (r = custos_tree__know_sha256(t, custos_tree__name(t), path_sha256)) < 0) {
		custos_err_set(err, r, r == CUSTOS_EINVAL ? "'%s': bad SHA-256 given for it"
		                                          : "'%s': out of memory", path);
		goto done;
	}
	hashing_t hs;
	custos_import_sink_t hsink = hashing_sink(&hs, t, sink);
	walk_t w = { .tree = t, .forced = forced, .sink = &hsink, .err = err, .depth = depth,
	             .hashing = &hs };
	if (custos_tree__is_file(t) && forced)
		w.run_all = 1;  /* a single file in a forced format: the user said so */
	r = walk(&w, path);
	walk_free(&w);
done:
	if (r > 0)
		r = CUSTOS_EINTERNAL;
	custos_tree__free(t);
	return r;
}

int custos_import_run(const char *path, const char *format, const custos_import_sink_t *sink,
                      custos_err_t *err)
{
	return custos_import_run_hashed(path, format, NULL, sink, err);
}

int custos_import_run_hashed(const char *path, const char *format, const char *path_sha256,
                             const custos_import_sink_t *sink, custos_err_t *err)
{
	const custos_importer_t *forced = NULL;
	if (!path || !sink || !sink->record)
		return custos_err_set(err, CUSTOS_EINVAL, "import: no path or no sink");
	if (format && *format && strcmp(format, "auto") != 0) {
		if (!(forced = find_importer(format))) {
			char list[512] = "";
			for (size_t i = 0; i < N_IMPORTERS; i++) {
				strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
				strncat(list, importers[i]->name, sizeof list - strlen(list) - 1);
			}
			return custos_err_set(err, CUSTOS_EINVAL, "unknown format '%s' (auto, %s)",
			                      format, list);
		}
	}
	if (err)
		custos_err_clear(err);
	return run_import(path, path_sha256, forced, sink, err, 0);
}

/* The import module's table (lib/ingest.c calls through it: the importers
 * and libarchive and libxml2 are loaded by the commands that import) */
const custos_import_module_t custos_module_import = {
	sizeof(custos_import_module_t), custos_import_formats, custos_import_run_hashed
};
