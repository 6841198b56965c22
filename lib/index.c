/* The search index as the archive sees it: catching it up with the store
 * from its watermark, resolving thread roots, and rebuilding it from the
 * store alone. The index never holds anything the store does not. */
#include "lib_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Records between index commits. Xapian keeps a transaction's postings in
 * ordered maps whose every insert walks the whole map: 2,000 records cost
 * 20% less CPU per record than 20,000 did on a new index (BENCHMARKS.md
 * "Search"). Into an index that already holds most of the vocabulary each
 * commit rewrites the last posting chunk of every term it touches in every
 * partition and shard, and 5,000 records cost 15-18% less CPU per record
 * than 2,000 (10,000 no less than 5,000; a rebuild the same at 500 to
 * 10,000: BENCHMARKS.md "Where the index's bytes and time go"). The store is
 * read in chunks of the same size, each in its own read transaction, so a
 * long catch-up never holds back the writer's map resize for long. */
#define CATCH_UP_COMMIT 5000
#define THREAD_DEPTH_MAX 10000  /* a reply chain longer than this is cut */

void custos_lib__root_cache_init(custos_root_cache_t *c)
{
	memset(c, 0, sizeof *c);
	custos_record_init(&c->scratch);
}

void custos_lib__root_cache_free(custos_root_cache_t *c)
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
int custos_lib__thread_root(custos_store_t *st, custos_root_cache_t *c,
                            const custos_record_t *rec, const char **root, custos_err_t *err)
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
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	} else {
		if (custos_buf_adds(&c->buf, rec->in_reply_to) < 0)
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		for (int depth = 0; depth < THREAD_DEPTH_MAX; depth++) {
			int rc = custos_store_get(st, c->buf.data, 0, &c->scratch);
			if (rc == CUSTOS_ENOTFOUND)
				break;
			if (rc < 0)
				return custos_err_set(err, rc, "cannot resolve the thread of %s: %s",
				                      rec->id, custos_store_err(st)->msg);
			const char *next = c->scratch.thread ? c->scratch.thread : c->scratch.in_reply_to;
			if (!next || !strcmp(next, c->buf.data))
				break;
			custos_buf_clear(&c->buf);
			if (custos_buf_adds(&c->buf, next) < 0)
				return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			if (c->scratch.thread)
				break;  /* the platform named the root: trust it */
		}
	}
	cache_put(c, rec->id, c->buf.data);
	*root = c->buf.data;
	return CUSTOS_OK;
}

typedef struct {
	custos_store_t *st;
	custos_index_t *idx;
	custos_root_cache_t *cache;
	custos_err_t *err;
	uint64_t done, total, in_chunk, last_seq;
	custos_progress_fn progress;
	void *ctx;
} catch_up_t;

enum { CHUNK_FULL = 1 };

static int index_one(void *ctx, const custos_record_t *rec)
{
	catch_up_t *cu = ctx;
	custos_record_t copy = *rec;   /* shallow: only thread changes */
	const char *root;
	int rc;
	if ((rc = custos_lib__thread_root(cu->st, cu->cache, rec, &root, cu->err)) < 0)
		return rc;
	copy.thread = (char *)root;
	if ((rc = custos_index_add(cu->idx, &copy)) < 0)
		return custos_err_set(cu->err, rc, "cannot index %s: %s", rec->id,
		                      custos_index_errmsg(cu->idx));
	cu->last_seq = rec->seq;
	cu->done++;
	return ++cu->in_chunk >= CATCH_UP_COMMIT ? CHUNK_FULL : CUSTOS_OK;
}

int custos_lib__index_catch_up(custos_store_t *st, custos_index_t *idx, custos_root_cache_t *c,
                               custos_progress_fn progress, void *ctx, const int *stop,
                               uint64_t *indexed, custos_err_t *err)
{
	catch_up_t cu = { .st = st, .idx = idx, .cache = c, .err = err, .progress = progress,
	                  .ctx = ctx };
	uint64_t wm = 0, last = 0;
	int rc;

	if (indexed)
		*indexed = 0;
	if ((rc = custos_index_watermark(idx, &wm)) < 0)
		return custos_err_set(err, rc, "cannot read the index watermark: %s",
		                      custos_index_errmsg(idx));
	if ((rc = custos_store_last_seq(st, &last)) < 0)
		return custos_err_set(err, rc, "%s", custos_store_err(st)->msg);
	if (wm > last)
		return custos_err_set(err, CUSTOS_ECORRUPT, "the index's watermark (seq %llu) is "
		                      "beyond the store's last record (seq %llu): run 'custos index "
		                      "--rebuild'", (unsigned long long)wm, (unsigned long long)last);
	if (wm == last)
		return CUSTOS_OK;
	cu.total = last - wm;
	cu.last_seq = wm;
	for (;;) {
		cu.in_chunk = 0;
		rc = custos_store_scan(st, cu.last_seq, index_one, &cu);
		if (rc < 0) {
			if (err->status == CUSTOS_OK)
				custos_err_set(err, rc, "%s", custos_store_err(st)->msg);
			return rc;
		}
		if (rc != CHUNK_FULL)
			break;
		if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
			/* closing: what is indexed so far is committed, the rest waits */
			if ((rc = custos_index_commit(idx, cu.last_seq)) < 0)
				return custos_err_set(err, rc, "cannot commit the index: %s",
				                      custos_index_errmsg(idx));
			if (indexed)
				*indexed = cu.done;
			return CUSTOS_OK;
		}
		/* queued: the shards go on while the next chunk is read */
		if ((rc = custos_index_commit_queued(idx, cu.last_seq)) < 0)
			return custos_err_set(err, rc, "cannot commit the index: %s",
			                      custos_index_errmsg(idx));
		if (progress)
			progress(ctx, cu.done, cu.total);
	}
	/* the watermark is the store's last seq even when the newest versions
	 * were disposed of and so not scanned */
	if ((rc = custos_index_commit(idx, last)) < 0)
		return custos_err_set(err, rc, "cannot commit the index: %s", custos_index_errmsg(idx));
	if (progress)
		progress(ctx, cu.done, cu.total);
	if (indexed)
		*indexed = cu.done;
	return CUSTOS_OK;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 ? -1 : 0;
}

/* Removes a directory tree (an index being replaced); absent is fine. */
static int rm_tree(const char *path)
{
	if (access(path, F_OK) < 0)
		return CUSTOS_OK;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? CUSTOS_OK : CUSTOS_EIO;
}

int custos_lib__index_remove_legacy(const char *dir, custos_err_t *err)
{
	char path[4096], legacy[4200];
	custos_lib__index_path(path, sizeof path, dir);
	/* what an earlier custos's interrupted rebuild left beside the index
	 * holds text of records that may have been disposed of since */
	for (int i = 0; i < 2; i++) {
		snprintf(legacy, sizeof legacy, "%s%s", path, i ? ".old" : ".rebuild");
		if (rm_tree(legacy) < 0)
			return custos_err_set(err, CUSTOS_EIO, "cannot remove '%s': %s", legacy,
			                      strerror(errno));
	}
	return CUSTOS_OK;
}

int custos_lib__index_rebuild(const char *dir, custos_store_t *st, custos_progress_fn progress,
                               void *ctx, uint64_t *indexed, custos_err_t *err)
{
	char path[4096], legacy[4200];
	custos_index_t *idx = NULL;
	custos_root_cache_t *cache = malloc(sizeof *cache);
	int rc;

	if (!cache)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	custos_lib__root_cache_init(cache);
	custos_lib__index_path(path, sizeof path, dir);
	if ((rc = custos_lib__index_remove_legacy(dir, err)) < 0)
		goto done;
	/* an index of an earlier layout (shards at its top) is replaced whole */
	snprintf(legacy, sizeof legacy, "%s/shard0", path);
	if (access(legacy, F_OK) == 0 && (rc = rm_tree(path)) < 0) {
		rc = custos_err_set(err, CUSTOS_EIO, "cannot remove the old index '%s': %s", path,
		                    strerror(errno));
		goto done;
	}
	/* a new generation beside the current one, which serves searches
	 * meanwhile; compacted (about half the size, document ids kept) and
	 * swapped in whole by the MANIFEST */
	if ((rc = custos_index_open(&idx, path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_FRESH, err)) < 0)
		goto done;
	if ((rc = custos_lib__index_catch_up(st, idx, cache, progress, ctx, NULL, indexed, err)) < 0)
		goto done;
	custos_index_free(idx);
	idx = NULL;
	custos_test_point("index-rebuild-before-publish");
	rc = custos_index_publish(path, err);
done:
	custos_index_free(idx);
	custos_lib__root_cache_free(cache);
	free(cache);
	return rc;
}

int custos_archive_index(custos_session_t *s, bool rebuild_it, custos_progress_fn progress,
                         void *ctx, custos_index_summary_t *out)
{
	custos_index_summary_t local;
	custos_store_t *st = NULL;
	int rc;

	if (!out)
		out = &local;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_INDEX, "build the search index")) < 0 ||
	    (rc = custos_session__need_write(s, "build the search index")) < 0)
		goto audit;
	if (!s->a->isvc.running) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "the archive was opened without its "
		                    "index service");
		goto audit;
	}
	custos_session__unpin(s);
	if (rebuild_it) {
		/* the service lets the index go; disposition runs wait (they need it whole) */
		pthread_mutex_lock(&s->a->dispose_mu);
		custos_indexsvc__pause(s->a);
		if ((rc = custos_session__store(s, &st)) == CUSTOS_OK) {
			/* the rebuild reads in chunks of its own, not in the session's snapshot */
			custos_session__unpin(s);
			rc = custos_lib__index_rebuild(s->a->dir, s->view, progress, ctx, &out->indexed,
			                               &s->err);
		}
		custos_indexsvc__resume(s->a);
		pthread_mutex_unlock(&s->a->dispose_mu);
		if (rc < 0)
			goto audit;
	}
	if ((rc = custos_session__store(s, &st)) < 0 ||
	    (rc = custos_store_last_seq(st, &out->store_last_seq)) < 0)
		goto audit;
	custos_session__unpin(s);
	if ((rc = custos_indexsvc__wait(s->a, out->store_last_seq, &s->err)) < 0)
		goto audit;
	out->watermark = out->store_last_seq;
	if (!rebuild_it) {
		pthread_mutex_lock(&s->a->isvc.mu);
		out->watermark = s->a->isvc.watermark;
		pthread_mutex_unlock(&s->a->isvc.mu);
	}
audit:;
	char r[160];
	snprintf(r, sizeof r, "{\"rebuild\":%s,\"indexed\":%llu,\"watermark\":%llu}",
	         rebuild_it ? "true" : "false", (unsigned long long)out->indexed,
	         (unsigned long long)out->watermark);
	return custos_session__audit(s, rebuild_it ? "index-rebuild" : "index", NULL, r, rc);
}
