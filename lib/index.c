/* The search index as the archive sees it: opening <archive>/index,
 * catching it up with the store from its watermark, resolving thread roots,
 * and searches that are audited. The index never holds anything the store
 * does not: it can always be rebuilt from the store alone. */
#include "archive_internal.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Records between index commits. Xapian keeps a transaction's postings in
 * ordered maps whose every insert walks the whole map: 2,000 records (an
 * ingest batch) cost 20% less CPU per record than 20,000 did, and smaller
 * gave no more (BENCHMARKS.md "Search"). */
#define CATCH_UP_COMMIT 2000
#define THREAD_DEPTH_MAX 10000  /* a reply chain longer than this is cut */

static void index_path(char *out, size_t cap, const custos_archive_t *a, const char *suffix)
{
	snprintf(out, cap, "%s/index%s", a->dir, suffix);
}

int custos_archive_index_open(custos_archive_t *a, unsigned flags, custos_index_t **out)
{
	char path[4200];
	index_path(path, sizeof path, a, "");
	return custos_index_open(out, path, flags, &a->err);
}

void custos_archive__root_cache_init(custos_root_cache_t *c)
{
	memset(c, 0, sizeof *c);
	custos_record_init(&c->scratch);
}

void custos_archive__root_cache_free(custos_root_cache_t *c)
{
	for (size_t i = 0; i < CUSTOS_ROOT_CACHE; i++) {
		free(c->id[i]);
		free(c->root[i]);
	}
	custos_record_free(&c->scratch);
	custos_buf_free(&c->buf);
}

static size_t slot_of(const char *id)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ull;
	return (size_t)(h % CUSTOS_ROOT_CACHE);
}

static const char *cache_get(custos_root_cache_t *c, const char *id)
{
	size_t s = slot_of(id);
	return c->id[s] && !strcmp(c->id[s], id) ? c->root[s] : NULL;
}

static void cache_put(custos_root_cache_t *c, const char *id, const char *root)
{
	size_t s = slot_of(id);
	char *nid = strdup(id), *nroot = strdup(root);
	if (!nid || !nroot) {   /* a cache: losing an entry only costs a lookup */
		free(nid);
		free(nroot);
		return;
	}
	free(c->id[s]);
	free(c->root[s]);
	c->id[s] = nid;
	c->root[s] = nroot;
}

/* The root of rec's thread: the thread the platform named, else the top of
 * its in_reply_to chain as far as the store knows it (a parent not captured
 * is the root as far as the archive can tell). */
int custos_archive__thread_root(custos_archive_t *a, custos_root_cache_t *c,
                                const custos_record_t *rec, const char **root)
{
	const char *hit;
	*root = rec->thread;
	if (rec->thread || !rec->in_reply_to) {
		/* remember what later replies to this record will ask */
		cache_put(c, rec->id, rec->thread ? rec->thread : rec->id);
		return CUSTOS_OK;
	}
	custos_buf_clear(&c->buf);
	if ((hit = cache_get(c, rec->in_reply_to))) {
		if (custos_buf_adds(&c->buf, hit) < 0)
			return CUSTOS_ENOMEM;
	} else {
		if (custos_buf_adds(&c->buf, rec->in_reply_to) < 0)
			return CUSTOS_ENOMEM;
		for (int depth = 0; depth < THREAD_DEPTH_MAX; depth++) {
			int rc = custos_store_get(a->store, c->buf.data, 0, &c->scratch);
			if (rc == CUSTOS_ENOTFOUND)
				break;
			if (rc < 0)
				return custos_err_set(&a->err, rc, "cannot resolve the thread of %s: %s",
				                      rec->id, custos_store_err(a->store)->msg);
			const char *next = c->scratch.thread ? c->scratch.thread : c->scratch.in_reply_to;
			if (!next || !strcmp(next, c->buf.data))
				break;
			custos_buf_clear(&c->buf);
			if (custos_buf_adds(&c->buf, next) < 0)
				return CUSTOS_ENOMEM;
			if (c->scratch.thread)
				break;  /* the platform named the root: trust it */
		}
	}
	cache_put(c, rec->id, c->buf.data);
	*root = c->buf.data;
	return CUSTOS_OK;
}

typedef struct {
	custos_archive_t *a;
	custos_index_t *idx;
	custos_root_cache_t cache;
	uint64_t done, total, since_commit, last_seq;
	custos_progress_fn progress;
	void *ctx;
} catch_up_t;

static int index_one(void *ctx, const custos_record_t *rec)
{
	catch_up_t *cu = ctx;
	custos_record_t copy = *rec;   /* shallow: only thread changes */
	const char *root;
	int rc;
	if ((rc = custos_archive__thread_root(cu->a, &cu->cache, rec, &root)) < 0)
		return rc;
	copy.thread = (char *)root;
	if ((rc = custos_index_add(cu->idx, &copy)) < 0)
		return custos_err_set(&cu->a->err, rc, "cannot index %s: %s", rec->id,
		                      custos_index_errmsg(cu->idx));
	cu->last_seq = rec->seq;
	cu->done++;
	if (++cu->since_commit >= CATCH_UP_COMMIT) {
		if ((rc = custos_index_commit_queued(cu->idx, cu->last_seq)) < 0)
			return custos_err_set(&cu->a->err, rc, "cannot commit the index: %s",
			                      custos_index_errmsg(cu->idx));
		cu->since_commit = 0;
		if (cu->progress)
			cu->progress(cu->ctx, cu->done, cu->total);
	}
	return CUSTOS_OK;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p) < 0 ? -1 : 0;
}

/* Removes a directory tree (an index being replaced); absent is fine. */
static int rm_tree(const char *path)
{
	if (access(path, F_OK) < 0)
		return CUSTOS_OK;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? CUSTOS_OK : CUSTOS_EIO;
}

int custos_archive_index_catch_up(custos_archive_t *a, bool rebuild,
                                  custos_progress_fn progress, void *ctx, uint64_t *indexed)
{
	char path[4200], legacy_fresh[4200], legacy_old[4200];
	catch_up_t cu = { .a = a, .progress = progress, .ctx = ctx };
	uint64_t wm = 0, last = 0;
	int rc;

	if (indexed)
		*indexed = 0;
	custos_err_clear(&a->err);
	index_path(path, sizeof path, a, "");
	index_path(legacy_fresh, sizeof legacy_fresh, a, ".rebuild");
	index_path(legacy_old, sizeof legacy_old, a, ".old");
	if (rebuild) {
		/* what an older custos's interrupted rebuild left beside the index
		 * holds text of records that may have been disposed of since */
		if ((rc = rm_tree(legacy_fresh)) < 0 || (rc = rm_tree(legacy_old)) < 0)
			return custos_err_set(&a->err, rc, "cannot remove '%s' or '%s'", legacy_fresh,
			                      legacy_old);
		/* an index of an older layout is replaced whole */
		char shard0[4300];
		snprintf(shard0, sizeof shard0, "%s/shard0", path);
		if (access(shard0, F_OK) == 0 && (rc = rm_tree(path)) < 0)
			return custos_err_set(&a->err, rc, "cannot remove the old index '%s'", path);
		/* build a new generation beside the current one, which serves
		 * searches meanwhile */
		rc = custos_index_open(&cu.idx, path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_FRESH, &a->err);
	} else {
		rc = custos_index_open(&cu.idx, path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, &a->err);
		/* an index of an older layout is derived data: build it anew */
		if (rc == CUSTOS_EVERSION)
			return custos_archive_index_catch_up(a, true, progress, ctx, indexed);
	}
	if (rc < 0)
		return rc;
	custos_archive__root_cache_init(&cu.cache);
	if ((rc = custos_index_watermark(cu.idx, &wm)) < 0 ||
	    (rc = custos_store_last_seq(a->store, &last)) < 0) {
		custos_err_set(&a->err, rc, "cannot read the index watermark or the store");
		goto done;
	}
	cu.total = last > wm ? last - wm : 0;
	cu.last_seq = wm;
	if (wm < last) {
		if ((rc = custos_store_scan(a->store, wm, index_one, &cu)) < 0) {
			if (a->err.status == CUSTOS_OK)
				custos_err_set(&a->err, rc, "%s", custos_store_err(a->store)->msg);
			goto done;
		}
		/* the watermark is the store's last seq even when the newest
		 * versions were disposed of and so not scanned */
		if ((rc = custos_index_commit(cu.idx, last)) < 0) {
			custos_err_set(&a->err, rc, "cannot commit the index: %s",
			               custos_index_errmsg(cu.idx));
			goto done;
		}
	}
	if (indexed)
		*indexed = cu.done;
done:
	custos_index_free(cu.idx);
	custos_archive__root_cache_free(&cu.cache);
	/* a rebuilt index is compacted before it serves (about half the size;
	 * document ids, the store seqs, are kept) and swapped in whole */
	if (rc == CUSTOS_OK && rebuild)
		rc = custos_index_publish(path, &a->err);
	return rc;
}

int custos_archive_index_lag(custos_archive_t *a, uint64_t *store_last, uint64_t *watermark)
{
	custos_index_t *idx = NULL;
	int rc;
	*watermark = 0;
	if ((rc = custos_store_last_seq(a->store, store_last)) < 0)
		return custos_err_set(&a->err, rc, "%s", custos_store_err(a->store)->msg);
	char path[4200];
	index_path(path, sizeof path, a, "");
	if (access(path, F_OK) < 0)
		return CUSTOS_OK;
	if ((rc = custos_index_open(&idx, path, CUSTOS_INDEX_READ, &a->err)) < 0)
		return rc;
	rc = custos_index_watermark(idx, watermark);
	if (rc < 0)
		custos_err_set(&a->err, rc, "%s", custos_index_errmsg(idx));
	custos_index_free(idx);
	return rc;
}

typedef struct {
	custos_archive_t *a;
	custos_record_t rec;
} text_ctx_t;

static int text_of(void *ctx, const char *id, uint64_t seq, const char **text, size_t *len)
{
	text_ctx_t *t = ctx;
	if (custos_store_get_seq(t->a->store, seq, &t->rec) < 0 || !t->rec.text)
		return 1;
	*text = t->rec.text;
	*len = strlen(t->rec.text);
	return 0;
}

int custos_archive_search(custos_archive_t *a, const char *query,
                          const custos_index_search_opts_t *opts, bool snippets,
                          custos_index_results_t **out)
{
	custos_index_t *idx = NULL;
	custos_index_search_opts_t o = *opts;
	text_ctx_t tc = { .a = a };
	custos_buf_t params = { 0 }, result = { 0 };
	int rc;

	*out = NULL;
	custos_err_clear(&a->err);
	custos_record_init(&tc.rec);
	if (snippets) {
		o.text_fn = text_of;
		o.text_ctx = &tc;
	}
	if ((rc = custos_archive_index_open(a, CUSTOS_INDEX_READ, &idx)) == CUSTOS_OK) {
		rc = custos_index_search(idx, out, query, &o);
		if (rc < 0)
			custos_err_set(&a->err, rc, "%s", custos_index_errmsg(idx));
	}
	custos_index_free(idx);
	custos_record_free(&tc.rec);

	custos_buf_adds(&params, "{\"query\":");
	custos_buf_add_json_str(&params, query, strlen(query));
	custos_buf_printf(&params, ",\"limit\":%zu,\"offset\":%zu,\"sort\":%d,\"count_only\":%s}",
	                  o.limit, o.offset, o.sort, o.count_only ? "true" : "false");
	if (rc == CUSTOS_OK)
		custos_buf_printf(&result, "{\"hits\":%llu,\"exact\":%s,\"watermark\":%llu}",
		                  (unsigned long long)(*out)->total,
		                  (*out)->total_exact ? "true" : "false",
		                  (unsigned long long)(*out)->watermark);
	else {
		custos_buf_adds(&result, "{\"error\":");
		custos_buf_add_json_str(&result, a->err.msg, strlen(a->err.msg));
		custos_buf_addc(&result, '}');
	}
	custos_err_t keep = a->err;
	int arc = custos_archive_audit(a, "search", params.data, result.data, rc);
	if (rc == CUSTOS_OK && arc < 0) {
		rc = arc;
		custos_index_results_free(*out);
		*out = NULL;
	} else {
		a->err = keep;
	}
	custos_buf_free(&params);
	custos_buf_free(&result);
	return rc;
}

static int idlist_has(const custos_index_idlist_t *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return 1;
	return 0;
}

static int cmp_ident(const void *x, const void *y)
{
	const custos_index_ident_t *p = x, *q = y;
	if (p->created_at != q->created_at)
		return p->created_at < q->created_at ? -1 : 1;
	return strcmp(p->id, q->id);
}

int custos_archive_thread(custos_archive_t *a, const char *id, custos_index_idlist_t *out)
{
	custos_index_t *idx = NULL;
	custos_record_t rec;
	custos_root_cache_t *cache = malloc(sizeof *cache);
	const char *root;
	int rc;

	memset(out, 0, sizeof *out);
	custos_err_clear(&a->err);
	custos_record_init(&rec);
	if (!cache)
		return custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
	custos_archive__root_cache_init(cache);
	if ((rc = custos_store_get(a->store, id, 0, &rec)) < 0) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_err_set(&a->err, rc, "no record '%s'", id);
		else
			custos_err_set(&a->err, rc, "%s", custos_store_err(a->store)->msg);
		goto done;
	}
	if ((rc = custos_archive__thread_root(a, cache, &rec, &root)) < 0)
		goto done;
	if (!root)
		root = rec.id;
	if ((rc = custos_archive_index_open(a, CUSTOS_INDEX_READ, &idx)) < 0)
		goto done;
	if ((rc = custos_index_thread(idx, out, root)) < 0) {
		custos_err_set(&a->err, rc, "%s", custos_index_errmsg(idx));
		goto done;
	}
	/* A reply indexed before its parent was captured names the parent as
	 * its root; gather those too, breadth first over the members. */
	for (size_t i = 0; i < out->n; i++) {
		custos_index_idlist_t more = { 0 };
		if ((rc = custos_index_thread(idx, &more, out->v[i].id)) < 0) {
			custos_err_set(&a->err, rc, "%s", custos_index_errmsg(idx));
			goto done;
		}
		for (size_t j = 0; j < more.n; j++) {
			if (idlist_has(out, more.v[j].id))
				continue;
			custos_index_ident_t *nv = custos_arena_alloc(&out->arena, (out->n + 1) * sizeof *nv);
			char *nid = custos_arena_strdup(&out->arena, more.v[j].id);
			if (!nv || !nid) {
				custos_index_idlist_free(&more);
				rc = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			memcpy(nv, out->v, out->n * sizeof *nv);
			nv[out->n] = more.v[j];
			nv[out->n].id = nid;
			out->v = nv;
			out->n++;
		}
		custos_index_idlist_free(&more);
	}
	if (out->n == 0) {
		/* not indexed yet: the record alone */
		out->v = custos_arena_alloc(&out->arena, sizeof *out->v);
		if (!out->v || !(out->v[0].id = custos_arena_strdup(&out->arena, rec.id))) {
			rc = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		out->v[0].seq = rec.seq;
		out->v[0].created_at = rec.created_at;
		out->n = 1;
	}
	qsort(out->v, out->n, sizeof *out->v, cmp_ident);
done:
	if (rc < 0)
		custos_index_idlist_free(out);
	custos_index_free(idx);
	custos_record_free(&rec);
	custos_archive__root_cache_free(cache);
	free(cache);
	return rc;
}

int custos_archive_resolve(custos_archive_t *a, const char *id, char **record_id,
                           uint64_t *current)
{
	custos_index_t *idx = NULL;
	custos_index_idlist_t l = { 0 };
	custos_record_t rec;
	uint64_t *seqs = NULL;
	size_t n = 0;
	int64_t best_edit = INT64_MIN;
	char *rid = NULL;
	int rc;

	*record_id = NULL;
	*current = 0;
	custos_err_clear(&a->err);
	custos_record_init(&rec);
	if ((rc = custos_store_versions(a->store, id, &seqs, &n)) < 0) {
		custos_err_set(&a->err, rc, "%s", custos_store_err(a->store)->msg);
		goto done;
	}
	if (n == 0) {
		/* an edit's own platform id: the index knows the record it is a
		 * version of (id: finds it by its record id and by the edit's) */
		char q[4300];
		snprintf(q, sizeof q, "id:\"%s\"", id);
		if (strchr(id, '"') || custos_archive_index_open(a, CUSTOS_INDEX_READ, &idx) < 0 ||
		    custos_index_match_ids(idx, &l, q) < 0 || l.n != 1) {
			rc = custos_err_set(&a->err, CUSTOS_ENOTFOUND, "no record '%s'", id);
			goto done;
		}
		id = l.v[0].id;
		free(seqs);
		seqs = NULL;
		if ((rc = custos_store_versions(a->store, id, &seqs, &n)) < 0 || n == 0) {
			rc = custos_err_set(&a->err, CUSTOS_ENOTFOUND, "no record '%s'", id);
			goto done;
		}
	}
	/* the current version is the one the platform says is latest: the
	 * latest edit time (an unedited version before any edit), the last
	 * captured among equals; disposed versions are passed over */
	*current = seqs[n - 1];
	for (size_t i = 0; i < n; i++) {
		int g = custos_store_get_seq(a->store, seqs[i], &rec);
		if (g == CUSTOS_ENOTFOUND)
			continue;
		if (g < 0) {
			rc = custos_err_set(&a->err, g, "%s", custos_store_err(a->store)->msg);
			goto done;
		}
		int64_t e = rec.edited_at == CUSTOS_TIME_NONE ? INT64_MIN + 1 : rec.edited_at;
		if (e >= best_edit) {
			best_edit = e;
			*current = seqs[i];
		}
	}
	if (!(rid = strdup(id))) {
		rc = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	*record_id = rid;
	rc = CUSTOS_OK;
done:
	free(seqs);
	custos_record_free(&rec);
	custos_index_idlist_free(&l);
	custos_index_free(idx);
	return rc;
}
