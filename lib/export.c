/* Productions: the records of a query, a hold or a matter's tag, from one
 * snapshot (the session's store snapshot and index watermark), numbered in
 * date order and written by the export/ writers; the manifest last. Also
 * the audit trail's export and the production's re-verification. Part of
 * the export module (export.so): the public functions of these names are
 * in lib/module.c and call these through custos_module_export. */
#include "lib_internal.h"
#include "matter_internal.h"
#include "module.h"
#include "custos_export.h"
#include "xsel.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- options ------------------------------------------------------------ */

static const struct { const char *name; unsigned bit; } formats[] = {
	{ "dat", CUSTOS_EXPORT_DAT }, { "edrm", CUSTOS_EXPORT_EDRM }, { "rsmf", CUSTOS_EXPORT_RSMF },
	{ "jsonl", CUSTOS_EXPORT_JSONL }, { "csv", CUSTOS_EXPORT_CSV }, { "html", CUSTOS_EXPORT_HTML },
	{ NULL, 0 }
};

static int export_formats_parse(unsigned *out, const char *list, custos_err_t *err)
{
	*out = 0;
	for (const char *p = list ? list : ""; *p;) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;
		for (int i = 0; formats[i].name; i++)
			if (strlen(formats[i].name) == n && !strncmp(formats[i].name, p, n))
				bit = formats[i].bit;
		if (!bit)
			return custos_err_set(err, CUSTOS_EINVAL, "unknown export format '%.*s' (one of: "
			                      "dat, edrm, rsmf, jsonl, csv, html)", (int)(n > 40 ? 40 : n), p);
		*out |= bit;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*out)
		return custos_err_set(err, CUSTOS_EINVAL, "no export format named (one of: dat, edrm, "
		                      "rsmf, jsonl, csv, html)");
	return CUSTOS_OK;
}

static const char *export_format_name(unsigned bit)
{
	for (int i = 0; formats[i].name; i++)
		if (formats[i].bit == bit)
			return formats[i].name;
	return NULL;
}

static int check_prefix(custos_err_t *err, const char *p)
{
	size_t n = strlen(p);
	bool ok = n >= 1 && n <= 40;
	for (size_t i = 0; ok && i < n; i++)
		ok = (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		     (p[i] >= '0' && p[i] <= '9') || p[i] == '_' || p[i] == '-';
	if (ok)
		return CUSTOS_OK;
	custos_buf_t b = { 0 };
	custos_buf_add_printable(&b, p, n > 60 ? 60 : n);
	custos_err_set(err, CUSTOS_EINVAL, "the Bates prefix '%s' cannot be part of a file name on "
	               "every system a production goes to: use 1-40 letters, digits, '-' and '_'",
	               b.data ? b.data : "");
	custos_buf_free(&b);
	return CUSTOS_EINVAL;
}

/* ---- the selection -------------------------------------------------------- */

/* The selection goes through an external sort (lib/xsel.h): whatever its
 * size, memory holds one run of entries, and the production reads it back
 * in windows. */
typedef custos_xsel_entry_t entry_t;

typedef struct {
	custos_xsel_t *sel;
	custos_xsel_t *multi;    /* the matched versions of records of several */
	int            rc;
} match_t;

static int match_fn(void *ctx, uint64_t seq, int64_t created_at)
{
	match_t *m = ctx;
	return m->rc = custos_xsel__add(m->sel, created_at, seq, 0);
}

/* A record's key among the versions of records of several: the first 64
 * bits of its id's SHA-256. */
static uint64_t id_key(const char *id)
{
	uint8_t h[CUSTOS_SHA256_LEN];
	uint64_t key = 0;
	custos_sha256(h, id, strlen(id));
	for (int k = 0; k < 8; k++)
		key = key << 8 | h[k];
	return key;
}

/* A matched version of a record of several: keyed by id_key and its seq,
 * its time kept as its bates (merge_multi). */
static int match_multi_fn(void *ctx, const char *id, uint64_t seq, int64_t created_at)
{
	match_t *m = ctx;
	return m->rc = custos_xsel__add(m->multi, (int64_t)id_key(id), seq, (uint64_t)created_at);
}

static void match_restart(void *ctx)
{
	custos_xsel__reset(((match_t *)ctx)->sel);
	custos_xsel__reset(((match_t *)ctx)->multi);
}

/* Adds to sel the records of one key of merge_multi (g: their matched
 * versions, by seq), each once: its highest matched seq with the time of
 * its lowest, as custos_index_match_ids has them. The versions of the id
 * of the highest seq are read from the store, so that two records whose
 * ids share the key are told apart. */
static int multi_group(custos_session_t *s, custos_store_t *st, custos_record_t *rec,
                       entry_t *g, size_t gn, custos_xsel_t *sel)
{
	int rc;
	while (gn) {
		uint64_t top = g[gn - 1].seq, *seqs = NULL;
		size_t nv = 0, left = 0;
		if (gn == 1)
			return custos_xsel__add(sel, (int64_t)g[0].bates, top, 0);
		if ((rc = custos_store_get_seq(st, top, rec)) == CUSTOS_ENOTFOUND ||
		    rc == CUSTOS_ECORRUPT)
			/* unreadable (disposed of since): the production says so for
			 * its highest seq, as for any record */
			return custos_xsel__add(sel, (int64_t)g[0].bates, top, 0);
		if (rc < 0 || (rc = custos_store_versions(st, rec->id, &seqs, &nv)) < 0)
			return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read "
			                            "record seq %llu", (unsigned long long)top);
		bool first = true;
		for (size_t i = 0; i < gn; i++) {
			bool mine = false;
			for (size_t j = 0; j < nv && !mine; j++)
				mine = seqs[j] == g[i].seq;
			if (!mine)
				g[left++] = g[i];
			else if (first) {
				rc = custos_xsel__add(sel, (int64_t)g[i].bates, top, 0);
				first = false;
			}
		}
		free(seqs);
		if (rc < 0)
			return rc;
		if (left == gn)   /* not even its own seq: the store and the index disagree */
			return custos_err_set(&s->err, CUSTOS_ECORRUPT, "record seq %llu (%s) is not "
			                      "among its own versions", (unsigned long long)top, rec->id);
		gn = left;
	}
	return CUSTOS_OK;
}

/* Adds to sel the records of several versions of m->multi (finished), once
 * each; a key's versions, consecutive in it, are held together. */
static int merge_multi(custos_session_t *s, custos_store_t *st, custos_xsel_t *multi,
                       custos_xsel_t *sel)
{
	custos_record_t rec;
	entry_t *v, *g = NULL;
	size_t n, gn = 0, gcap = 0;
	uint64_t count;
	int rc;
	custos_record_init(&rec);
	if ((rc = custos_xsel__finish(multi, &count)) < 0)
		goto done;
	while ((rc = custos_xsel__next(multi, &v, &n)) > 0)
		for (size_t i = 0; i < n; i++) {
			if (gn && g[0].created_at != v[i].created_at) {
				if ((rc = multi_group(s, st, &rec, g, gn, sel)) < 0)
					goto done;
				gn = 0;
			}
			if (gn == gcap) {
				size_t cap = gcap ? gcap * 2 : 16;
				entry_t *ng = realloc(g, cap * sizeof *ng);
				if (!ng) {
					rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
					goto done;
				}
				g = ng;
				gcap = cap;
			}
			g[gn++] = v[i];
		}
	if (rc == CUSTOS_OK && gn)
		rc = multi_group(s, st, &rec, g, gn, sel);
done:
	free(g);
	custos_record_free(&rec);
	return rc;
}

/* Adds to sel every record query matches, once each: the index hands the
 * matches over as it finds them (no list of them is built), those of
 * records of several versions through an external sort of their own.
 * what: the failure's words (NULL: the query's, as the export says them). */
static int select_query(custos_session_t *s, custos_store_t *st, custos_index_t *idx,
                        const char *query, const char *dir, const char *what,
                        custos_xsel_t *sel)
{
	match_t m = { sel, NULL, 0 };
	int rc;
	if ((rc = custos_xsel__new(&m.multi, dir, 0, &s->err)) < 0)
		return rc;
	if ((rc = custos_index_match_each(idx, query, match_fn, match_multi_fn, match_restart,
	                                  &m)) < 0) {
		if (m.rc < 0) {
			/* the sort's failure, in the session's error */
		} else if (what) {
			custos_lib__index_fail(s, idx, rc, what);
		} else {
			const char *msg = custos_index_errmsg(idx);
			custos_err_set(&s->err, rc, "%s%s", rc == CUSTOS_EFORMAT &&
			               strncmp(msg, "bad query", 9) ? "bad query: " : "", msg);
		}
		goto done;
	}
	rc = merge_multi(s, st, m.multi, sel);
done:
	custos_xsel__free(m.multi);
	return rc;
}

typedef struct {
	custos_session_t *s;
	custos_store_t   *st;
	custos_xsel_t    *sel;
	custos_record_t   rec;
	int               rc;
} by_id_t;

/* Adds the latest version of id in the snapshot (hold members, coded
 * records). A disposed one is left out here: it is not in the snapshot. */
static int add_by_id(void *ctx, const char *id)
{
	by_id_t *b = ctx;
	uint64_t *seqs = NULL;
	size_t n = 0;
	int rc;
	if ((rc = custos_store_versions(b->st, id, &seqs, &n)) < 0)
		return b->rc = custos_session__fail(b->s, rc, custos_store_err(b->st)->msg,
		                                    "cannot read %s", id);
	if (n) {
		uint64_t seq = seqs[n - 1];
		rc = custos_store_get_seq(b->st, seq, &b->rec);
		if (rc == CUSTOS_OK)
			rc = custos_xsel__add(b->sel, b->rec.created_at, seq, 0);
		else if (rc == CUSTOS_ENOTFOUND)
			rc = CUSTOS_OK;
		else
			custos_session__fail(b->s, rc, custos_store_err(b->st)->msg, "cannot read %s", id);
	}
	free(seqs);
	return b->rc = rc;
}

/* The thread root of the record at seq (its own id when it is in no
 * thread), borrowed from rec or the cache. */
static int root_at(custos_session_t *s, custos_store_t *st, custos_root_cache_t *cache,
                   custos_record_t *rec, uint64_t seq, const char **root)
{
	int rc;
	if ((rc = custos_store_get_seq(st, seq, rec)) < 0)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read record "
		                            "seq %llu", (unsigned long long)seq);
	if ((rc = custos_lib__thread_root(st, cache, rec, root, &s->err)) < 0)
		return rc;
	if (!*root)
		*root = rec->id;
	return CUSTOS_OK;
}

/* A thread root's key in a selection of roots: the first 128 bits of its
 * SHA-256. (Two roots of one key would be taken for one: at 128 bits, for
 * a billion roots, a chance of about 1 in 10^21.) */
static int root_add(custos_xsel_t *roots, const char *root, uint64_t seq)
{
	uint8_t h[CUSTOS_SHA256_LEN];
	uint64_t hi = 0, lo = 0;
	custos_sha256(h, root, strlen(root));
	for (int k = 0; k < 8; k++) {
		hi = hi << 8 | h[k];
		lo = lo << 8 | h[8 + k];
	}
	return custos_xsel__add(roots, (int64_t)hi, lo, seq);
}

/* One conversation's records, as the index gives them
 * (custos_index_thread_each): into a selection of their own, so that a
 * conversation of any size takes one run of memory at most. The records of
 * several versions are merged as a query's are (merge_multi).
 *
 * A reply captured before its parent names the parent, not the
 * conversation's root, as its thread (docs/productions.md). So the id of
 * every record read is queued (custos_xsel__push: spilled past 64 KB), and
 * the records filed under the queued ids are read a batch at a time
 * (custos_index_threads_each), theirs queued in turn. Records of the root's
 * thread name the root, so those found under other ids (the replies
 * captured early: few) are the only ones kept in a set, which ends
 * cycles. When the index changed under a reading, the whole conversation is
 * read again. */
#define THREAD_BATCH   1024
#define THREAD_RETRIES 3

typedef struct {
	custos_session_t    *s;
	by_id_t             *b;       /* a hold's: each member's latest version by id */
	const char          *dir;
	const char          *root;
	custos_xsel_t       *sel;     /* this conversation's records, and its queue of ids */
	custos_xsel_t       *multi;   /* its documents of records of several versions */
	custos_lib__idset_t  early;   /* the ids found under another id than the root */
	bool                 under;   /* reading what is filed under queued ids */
	unsigned             attempts;   /* of the index's current call */
	bool                 changed;    /* the index restarted a reading under queued ids */
	int                  rc;
} thread_t;

static int thread_member_fn(void *ctx, const char *id, uint64_t seq, int64_t created_at,
                            int several)
{
	thread_t *t = ctx;
	if (t->under) {
		/* the root is in the set from the start */
		int added = custos_lib__idset_add(&t->early, id, NULL);
		if (added < 0)
			return t->rc = custos_err_set(&t->s->err, CUSTOS_ENOMEM, "out of memory");
		if (added && (t->rc = custos_xsel__push(t->sel, id)) < 0)
			return t->rc;
	} else if (strcmp(id, t->root) && (t->rc = custos_xsel__push(t->sel, id)) < 0) {
		return t->rc;   /* (what is filed under the root is being read) */
	}
	if (t->b) {
		/* by id, from the snapshot: the versions of one record give one entry */
		custos_xsel_t *own = t->b->sel;
		t->b->sel = t->sel;
		t->rc = add_by_id(t->b, id);
		t->b->sel = own;
		return t->rc;
	}
	if (!several)
		return t->rc = custos_xsel__add(t->sel, created_at, seq, 0);
	if (!t->multi && (t->rc = custos_xsel__new(&t->multi, t->dir, 0, &t->s->err)) < 0)
		return t->rc;
	return t->rc = custos_xsel__add(t->multi, (int64_t)id_key(id), seq, (uint64_t)created_at);
}

/* Before each attempt of an index call: the root's thread starts again
 * from nothing; a reading under queued ids cannot be undone, so a second
 * attempt of one marks the conversation to be read again whole. */
static void thread_restart(void *ctx)
{
	thread_t *t = ctx;
	if (!t->under) {
		custos_xsel__reset(t->sel);
		if (t->multi)
			custos_xsel__reset(t->multi);
	} else if (t->attempts++ > 0) {
		t->changed = true;
	}
}

/* One reading of the conversation rooted at root into t->sel and t->multi. */
static int thread_read(thread_t *t, custos_index_t *idx, const char *root)
{
	const char *batch[THREAD_BATCH];
	custos_arena_t names = { 0 };
	int rc;

	t->under = false;
	if ((rc = custos_index_thread_each(idx, root, thread_member_fn, thread_restart, t)) < 0)
		goto fail;
	t->under = true;
	if (custos_lib__idset_add(&t->early, root, NULL) < 0) {
		rc = custos_err_set(&t->s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (;;) {
		size_t nb = 0;
		const char *id;
		custos_arena_reset(&names);
		while (nb < THREAD_BATCH && (rc = custos_xsel__pop(t->sel, &id)) > 0)
			if (!(batch[nb++] = custos_arena_strdup(&names, id))) {
				rc = custos_err_set(&t->s->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
		if (rc < 0 || nb == 0)
			goto done;
		t->attempts = 0;
		if ((rc = custos_index_threads_each(idx, batch, nb, thread_member_fn, thread_restart,
		                                    t)) < 0)
			goto fail;
	}
fail:
	if (t->rc >= 0)   /* else the failure is in the session's error */
		custos_lib__index_fail(t->s, idx, rc, "cannot read a conversation");
done:
	custos_arena_free(&names);
	return rc;
}

/* Adds to dest each record of the conversation rooted at root: its latest
 * version by id when b is given (b's selection is dest), else the
 * versions the index has (the highest seq with the time of the lowest). */
static int thread_records(custos_session_t *s, custos_store_t *st, custos_index_t *idx,
                          const char *dir, const char *root, by_id_t *b, custos_xsel_t *dest)
{
	thread_t t = { .s = s, .b = b, .dir = dir, .root = root };
	entry_t *v;
	size_t n;
	uint64_t count;
	int rc;
	for (unsigned tries = 0;; tries++) {
		custos_xsel__free(t.multi);
		custos_xsel__free(t.sel);
		custos_lib__idset_free(&t.early);
		t.multi = NULL;
		t.changed = false;
		t.rc = 0;
		if ((rc = custos_xsel__new(&t.sel, dir, 0, &s->err)) < 0 ||
		    (rc = thread_read(&t, idx, root)) < 0)
			goto done;
		if (!t.changed)
			break;
		if (tries + 1 == THREAD_RETRIES) {
			rc = custos_err_set(&s->err, CUSTOS_EINDEX, "the index changed %d times while "
			                    "conversation '%s' was read; try again", THREAD_RETRIES, root);
			goto done;
		}
	}
	if ((t.multi && (rc = merge_multi(s, st, t.multi, t.sel)) < 0) ||
	    (rc = custos_xsel__finish(t.sel, &count)) < 0)
		goto done;
	while ((rc = custos_xsel__next(t.sel, &v, &n)) > 0)
		for (size_t i = 0; i < n; i++)
			if ((rc = custos_xsel__add(dest, v[i].created_at, v[i].seq, 0)) < 0)
				goto done;
done:
	custos_lib__idset_free(&t.early);
	custos_xsel__free(t.multi);
	custos_xsel__free(t.sel);
	return rc;
}

/* Adds to dest the records of the conversation of each root of roots
 * (finished; the seq of a record of each kept as its bates), each
 * conversation read from the index once, as thread_records does. */
static int each_thread(custos_session_t *s, custos_store_t *st, custos_index_t *idx,
                       custos_root_cache_t *cache, custos_record_t *rec, custos_xsel_t *roots,
                       const char *dir, by_id_t *b, custos_xsel_t *dest)
{
	entry_t *v;
	size_t n;
	int rc;
	while ((rc = custos_xsel__next(roots, &v, &n)) > 0)
		for (size_t i = 0; i < n; i++) {
			const char *root;
			if ((rc = root_at(s, st, cache, rec, v[i].bates, &root)) < 0 ||
			    (rc = thread_records(s, st, idx, dir, root, b, dest)) < 0)
				return rc;
		}
	return rc;
}

/* Every thread member of the selected records, once per thread root: *sel
 * (finished) is replaced by a new selection of its entries and their
 * threads' (*count of them). The roots go through a second external sort
 * (root_add), so that each conversation is read once and memory stays
 * bounded however many there are. */
static int add_threads(custos_session_t *s, custos_store_t *st, custos_index_t *idx,
                       const char *dir, custos_xsel_t **sel, uint64_t *count)
{
	custos_root_cache_t *cache = malloc(sizeof *cache);
	custos_xsel_t *all = NULL, *roots = NULL;
	custos_record_t rec;
	entry_t *v;
	size_t n;
	uint64_t n_roots;
	int rc;

	if (!cache)
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	custos_lib__root_cache_init(cache);
	custos_record_init(&rec);
	if ((rc = custos_xsel__new(&all, dir, 0, &s->err)) < 0 ||
	    (rc = custos_xsel__new(&roots, dir, 0, &s->err)) < 0)
		goto done;
	while ((rc = custos_xsel__next(*sel, &v, &n)) > 0)
		for (size_t i = 0; i < n; i++) {
			const char *root;
			if ((rc = custos_xsel__add(all, v[i].created_at, v[i].seq, 0)) < 0 ||
			    (rc = root_at(s, st, cache, &rec, v[i].seq, &root)) < 0 ||
			    (rc = root_add(roots, root, v[i].seq)) < 0)
				goto done;
		}
	if (rc < 0 || (rc = custos_xsel__finish(roots, &n_roots)) < 0 ||
	    (rc = each_thread(s, st, idx, cache, &rec, roots, dir, NULL, all)) < 0 ||
	    (rc = custos_xsel__finish(all, count)) < 0)
		goto done;
	custos_xsel__free(*sel);
	*sel = all;
	all = NULL;
done:
	custos_xsel__free(all);
	custos_xsel__free(roots);
	custos_record_free(&rec);
	custos_lib__root_cache_free(cache);
	free(cache);
	return rc;
}

/* ---- a hold's records ------------------------------------------------------ */

/* What custos hold show lists of hold name (its members, the ids it lists,
 * and for an active hold what it covers now beyond them: its query's
 * matches and, with_thread, the conversations of those and of the listed
 * records not yet members, as custos_lib__hold_current has it), each
 * record's latest version added to b's selection, without any of those
 * lists in memory: the members and the listed ids are read from the
 * policy one by one, the query's matches go through an external sort of
 * their own, and the conversations' roots through another. */
typedef struct {
	by_id_t          *b;
	custos_policy_t  *p;
	const char       *name;
	custos_xsel_t    *roots;
	custos_root_cache_t *cache;
	custos_record_t   rec;
} hold_sel_t;

static int member_fn(void *ctx, const char *id, const char *sha)
{
	(void)sha;
	return add_by_id(((hold_sel_t *)ctx)->b, id);
}

/* a listed record not yet a member: its conversation too (with_thread) */
static int listed_root_fn(void *ctx, const char *id, const char *sha)
{
	hold_sel_t *h = ctx;
	custos_session_t *s = h->b->s;
	custos_store_t *st = h->b->st;
	uint64_t *seqs = NULL;
	size_t n = 0;
	const char *root;
	int rc;
	(void)sha;
	if (custos_hold_has_member(h->p, h->name, id))
		return 0;
	if ((rc = custos_store_versions(st, id, &seqs, &n)) < 0)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", id);
	uint64_t seq = n ? seqs[n - 1] : 0;
	free(seqs);
	if (!n)
		return 0;
	if ((rc = custos_store_get_seq(st, seq, &h->rec)) == CUSTOS_ENOTFOUND)
		return 0;   /* disposed of: it covers nothing */
	if (rc < 0)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", id);
	if ((rc = custos_lib__thread_root(st, h->cache, &h->rec, &root, &s->err)) < 0)
		return rc;
	return root_add(h->roots, root ? root : h->rec.id, seq);
}

static int select_hold(custos_session_t *s, custos_index_t *idx, by_id_t *b, const char *dir,
                       const char *name)
{
	custos_holds_t hs = { 0 };
	custos_xsel_t *base = NULL;
	hold_sel_t h = { b, NULL, name, NULL, NULL, { 0 } };
	entry_t *v;
	size_t n;
	uint64_t k;
	int rc;

	custos_record_init(&h.rec);
	if ((rc = custos_session__begin(s, CUSTOS_OP_HOLD_READ, "read legal holds")) < 0 ||
	    (rc = custos_session__policy(s, &h.p)) < 0)
		goto done;
	if ((rc = custos_hold_get(h.p, name, &hs)) < 0) {
		custos_lib__policy_fail(s, h.p, rc);
		if (rc == CUSTOS_ENOTFOUND)
			custos_err_set(&s->err, rc, "no hold named '%s'", name);
		goto done;
	}
	const custos_hold_t *hd = &hs.v[0];
	/* fn's own failures are in the session's error already */
	if ((rc = custos_hold_members(h.p, name, member_fn, &h)) != 0 ||
	    (hd->listed && (rc = custos_hold_listed(h.p, name, member_fn, &h)) != 0)) {
		if (!s->err.msg[0])
			custos_lib__policy_fail(s, h.p, rc);
		goto done;
	}
	if (!hd->active)
		goto done;
	if (hd->with_thread) {
		if (!(h.cache = malloc(sizeof *h.cache))) {
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		custos_lib__root_cache_init(h.cache);
		if ((rc = custos_xsel__new(&h.roots, dir, 0, &s->err)) < 0)
			goto done;
	}
	if (hd->query[0]) {
		if ((rc = custos_xsel__new(&base, dir, 0, &s->err)) < 0 ||
		    (rc = select_query(s, b->st, idx, hd->query, dir, "cannot run the hold's query",
		                       base)) < 0)
			goto done;
		if ((rc = custos_xsel__finish(base, &k)) < 0)
			goto done;
		while ((rc = custos_xsel__next(base, &v, &n)) > 0)
			for (size_t i = 0; i < n; i++) {
				if ((rc = custos_store_get_seq(b->st, v[i].seq, &h.rec)) == CUSTOS_ENOTFOUND)
					continue;
				if (rc < 0) {
					custos_session__fail(s, rc, custos_store_err(b->st)->msg, "cannot read "
					                     "record seq %llu", (unsigned long long)v[i].seq);
					goto done;
				}
				bool member = custos_hold_has_member(h.p, name, h.rec.id);
				if (!member && !(hd->listed && custos_hold_lists(h.p, name, h.rec.id)) &&
				    (rc = add_by_id(b, h.rec.id)) < 0)
					goto done;
				const char *root;
				if (hd->with_thread && !member &&
				    ((rc = custos_lib__thread_root(b->st, h.cache, &h.rec, &root,
				                                   &s->err)) < 0 ||
				     (rc = root_add(h.roots, root ? root : h.rec.id, v[i].seq)) < 0))
					goto done;
			}
		if (rc < 0)
			goto done;
	}
	if (hd->with_thread) {
		if ((hd->listed && (rc = custos_hold_listed(h.p, name, listed_root_fn, &h)) != 0)) {
			if (!s->err.msg[0])
				custos_lib__policy_fail(s, h.p, rc);
			goto done;
		}
		if ((rc = custos_xsel__finish(h.roots, &k)) < 0 ||
		    (rc = each_thread(s, b->st, idx, h.cache, &h.rec, h.roots, dir, b, b->sel)) < 0)
			goto done;
	}
	rc = CUSTOS_OK;
done:
	custos_xsel__free(base);
	custos_xsel__free(h.roots);
	if (h.cache) {
		custos_lib__root_cache_free(h.cache);
		free(h.cache);
	}
	custos_record_free(&h.rec);
	custos_holds_free(&hs);
	custos_policy_free(h.p);
	return rc;
}

/* ---- the production -------------------------------------------------------- */

typedef struct {
	custos_session_t *s;
	const custos_export_opts_t *o;
	custos_store_t   *st;
	custos_index_t   *idx;
	custos_matter_reader_t *mr;
	custos_xdir_t    *d;
	custos_xfile_t   *log;
	custos_dat_t     *dat;
	custos_opt_t     *opt;
	custos_edrm_t    *edrm;
	custos_records_t *records;
	custos_rsmf_t    *rsmf;
	custos_html_t    *html;
	custos_pdf_t     *pdf;
	custos_privlog_t *privlog;
	custos_xsel_t    *sel;
	uint64_t          count;         /* the records selected */
	const char       *prefix;
	uint64_t          start;
	int               width;
	uint64_t          next;          /* the next control number */
	bool              files;         /* NATIVES/, TEXT/, MEDIA/ */
	custos_export_summary_t sum;
	custos_buf_t      not_produced;  /* JSON objects, comma-separated */
	custos_root_cache_t *cache;
	custos_buf_t      tags, note, text, json, path;
	int64_t           reported;      /* when progress was last reported (ms) */
	custos_store_readers_t *rd;      /* reader threads on the snapshot, or NULL */
	char              rd_why[1024];  /* why there are none, when asked for */
	const custos_buf_t *prepared;    /* the record's records.jsonl text, made by its reader */
	int               rc;
} xp_t;

static void bates(xp_t *x, char out[64], uint64_t n)
{
	snprintf(out, 64, "%s%0*llu", x->prefix, x->width, (unsigned long long)n);
}

static void logf_(xp_t *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(xp_t *x, const char *fmt, ...)
{
	char t[40], line[2048];
	va_list ap;
	if (!x->log)
		return;
	custos_time_format(t, sizeof t, custos_time_now());
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	custos_xfile_printf(x->log, "%s %s\n", t, line);
}

static int blob_fn(void *ctx, const char *sha256, void **p, size_t *n)
{
	xp_t *x = ctx;
	return custos_store_blob_get(x->st, sha256, p, n);
}

typedef struct { uint64_t seq; custos_buf_t json; } tomb_find_t;

static int tomb_find_fn(void *ctx, uint64_t seq, const char *json, size_t n)
{
	tomb_find_t *t = ctx;
	if (seq != t->seq)
		return 0;
	custos_buf_add(&t->json, json, n);
	return 1;
}

/* A record of the snapshot that cannot be read: disposed of since (its
 * key is shredded, or its tombstone is in the snapshot), or damaged. */
static int unreadable(xp_t *x, const entry_t *en, int rc)
{
	custos_store_t *fresh = NULL;
	custos_session_t *s = x->s;
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", custos_store_err(x->st)->msg);
	if (custos_store_view(&fresh, s->a->store, &s->err) < 0)
		return s->err.status;
	tomb_find_t t = { en->seq, { 0 } };
	int r = custos_store_tombstone_scan(fresh, tomb_find_fn, &t);
	custos_store_free(fresh);
	if (r < 0 || !t.json.len) {
		custos_buf_free(&t.json);
		return custos_err_set(&s->err, rc, "cannot read record seq %llu: %s",
		                      (unsigned long long)en->seq, msg);
	}
	/* the tombstone's own words: id, rule, policy commit, time */
	if (x->not_produced.len)
		custos_buf_addc(&x->not_produced, ',');
	custos_buf_printf(&x->not_produced, "{\"seq\":%llu,\"reason\":\"disposed of under the "
	                  "retention schedule after the snapshot was taken\",\"tombstone\":%s}",
	                  (unsigned long long)en->seq, t.json.data);
	logf_(x, "not produced: record seq %llu was disposed of after the snapshot: %s",
	      (unsigned long long)en->seq, t.json.data);
	x->sum.not_produced++;
	custos_buf_free(&t.json);
	return CUSTOS_OK;
}

static int write_text(xp_t *x, custos_xdoc_t *doc, char *text_path, size_t cap)
{
	const custos_record_t *r = doc->rec;
	custos_buf_clear(&x->text);
	if (doc->withheld) {
		custos_buf_printf(&x->text, "%s\r\nWithheld: %s\r\n", doc->bates, doc->privilege);
	} else {
		if (r->title && *r->title) {
			custos_buf_adds(&x->text, r->title);
			custos_buf_adds(&x->text, "\n\n");
		}
		custos_buf_adds(&x->text, r->text ? r->text : "");
	}
	snprintf(text_path, cap, "TEXT/%s.txt", doc->bates);
	return custos_xdir_put(x->d, text_path, x->text.data ? x->text.data : "", x->text.len, false,
	                       NULL);
}

static int doc_entry(xp_t *x, const custos_xdoc_t *doc)
{
	const custos_record_t *r = doc->rec;
	char t[40];
	custos_buf_t *b = &x->json;
	custos_buf_clear(b);
	custos_time_format(t, sizeof t, r->created_at);
	custos_buf_printf(b, "{\"bates\":\"%s\",\"id\":", doc->bates);
	custos_buf_add_json_str(b, r->id, strlen(r->id));
	custos_buf_printf(b, ",\"version\":%u,\"seq\":%llu,\"created_at\":\"%s\","
	                  "\"content_sha256\":\"%s\",\"withheld\":%s", r->version,
	                  (unsigned long long)r->seq, t, r->content_sha256,
	                  doc->withheld ? "true" : "false");
	if (*doc->native_path)
		custos_buf_printf(b, ",\"native\":\"%s\",\"native_sha256\":\"%s\"", doc->native_path,
		                  doc->native.sha256);
	if (doc->image_path)
		custos_buf_printf(b, ",\"image\":\"%s\",\"pages\":%u", doc->image_path, doc->pages);
	custos_buf_adds(b, ",\"attachments\":[");
	for (size_t i = 0; i < doc->n_attach; i++)
		custos_buf_printf(b, "%s{\"bates\":\"%s\",\"sha256\":\"%s\"%s%s%s}", i ? "," : "",
		                  doc->attach[i].bates, doc->attach[i].sha256,
		                  doc->attach[i].path ? ",\"path\":\"" : "",
		                  doc->attach[i].path ? doc->attach[i].path : "",
		                  doc->attach[i].path ? "\"" : "");
	custos_buf_adds(b, "]}");
	return custos_xdir_document(x->d, b->data, b->len);
}

/* Reads the previous version's text, for an RSMF edit. */
static char *prev_text(xp_t *x, const custos_record_t *r)
{
	uint64_t *seqs = NULL;
	size_t n = 0;
	char *out = NULL;
	if (r->version < 2 || custos_store_versions(x->st, r->id, &seqs, &n) < 0 || n < r->version) {
		free(seqs);
		return NULL;
	}
	custos_record_t p;
	custos_record_init(&p);
	if (custos_store_get_seq(x->st, seqs[r->version - 2], &p) == CUSTOS_OK && p.text)
		out = strdup(p.text);
	custos_record_free(&p);
	free(seqs);
	return out;
}

static int produce_one(xp_t *x, entry_t *en, custos_record_t *rec, custos_record_t *parent)
{
	custos_session_t *s = x->s;
	const custos_export_opts_t *o = x->o;
	custos_xdoc_t doc;
	custos_xattach_t attach_small[8], *attach = attach_small;
	char native_path[128] = "", text_path[128] = "", (*apath)[128] = NULL;
	const custos_record_t **versions = NULL;
	custos_record_t *vrecs = NULL;
	size_t n_versions = 0, n_vrecs = 0;
	char *prev = NULL;
	int rc;

	memset(&doc, 0, sizeof doc);
	doc.rec = rec;
	doc.record_json = x->prepared;
	doc.native_path = native_path;
	doc.text_path = text_path;
	custos_buf_clear(&x->tags);
	custos_buf_clear(&x->note);
	if (x->mr) {
		custos_matter__tags(x->mr, rec->id, &x->tags, "privileged", &x->note);
		doc.withheld = custos_matter__has(x->mr, rec->id, "privileged");
	}
	doc.tags = x->tags.data ? x->tags.data : "";
	doc.privilege = x->note.len ? x->note.data : "Privileged";
	/* the thread: for the forms that show it (a reply's chain is read from
	 * the store when the platform does not name the root) */
	const char *root = rec->thread;
	if ((x->dat || x->edrm || x->rsmf || x->html) &&
	    (rc = custos_lib__thread_root(x->st, x->cache, rec, &root, &s->err)) < 0)
		return rc;
	doc.thread = root ? root : rec->id;
	en->bates = x->next;
	bates(x, doc.bates, x->next++);
	snprintf(doc.beg_attach, sizeof doc.beg_attach, "%s", doc.bates);

	/* the family: captured media, numbered right after their parent */
	size_t n_media = 0;
	for (size_t i = 0; i < rec->n_media && !doc.withheld; i++)
		n_media += rec->media[i].sha256 != NULL;
	if (n_media > 8 && !(attach = calloc(n_media, sizeof *attach)))
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	if (n_media && !(apath = calloc(n_media, sizeof *apath))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < rec->n_media && !doc.withheld; i++) {
		const custos_media_t *m = &rec->media[i];
		if (!m->sha256)
			continue;
		custos_xattach_t *a = &attach[doc.n_attach];
		memset(a, 0, sizeof *a);
		bates(x, a->bates, x->next++);
		a->name = m->name;
		a->type = m->type;
		a->sha256 = m->sha256;
		if (x->files) {
			void *p = NULL;
			size_t n = 0;
			if ((rc = custos_store_blob_get(x->st, m->sha256, &p, &n)) < 0) {
				custos_session__fail(s, rc, custos_store_err(x->st)->msg, "cannot read media "
				                     "%.64s of %s", m->sha256, rec->id);
				goto done;
			}
			snprintf(apath[doc.n_attach], sizeof apath[0], "MEDIA/%s.%s", a->bates,
			         custos_export_media_ext(m->name, m->type));
			a->path = apath[doc.n_attach];
			rc = custos_xdir_put(x->d, a->path, p, n, true, &a->h);
			free(p);
			if (rc < 0)
				goto xfail;
		}
		doc.n_attach++;
	}
	doc.attach = attach;
	snprintf(doc.end_attach, sizeof doc.end_attach, "%s",
	         doc.n_attach ? attach[doc.n_attach - 1].bates : doc.bates);
	x->sum.attachments += doc.n_attach;

	if (x->files) {
		if (!doc.withheld) {
			const char *raw = rec->raw;
			size_t rn = rec->raw_len;
			if (!raw) {
				/* no original bytes were captured: the canonical record stands in */
				custos_buf_clear(&x->text);
				custos_record_to_json(rec, CUSTOS_JSON_FULL, &x->text);
				raw = x->text.data;
				rn = x->text.len;
			}
			snprintf(native_path, sizeof native_path, "NATIVES/%s.%s", doc.bates,
			         custos_export_native_ext(raw, rn, rec->source.format));
			if ((rc = custos_xdir_put(x->d, native_path, raw, rn, true, &doc.native)) < 0)
				goto xfail;
		}
		if ((rc = write_text(x, &doc, text_path, sizeof text_path)) < 0)
			goto xfail;
	}
	doc.parent = parent;
	if (x->pdf) {
		const char *endorse = o->endorsement;
		if (!endorse && x->mr && custos_matter__has(x->mr, rec->id, "confidential"))
			endorse = "CONFIDENTIAL";
		if ((rc = custos_pdf_render(x->pdf, &doc, endorse)) < 0)
			goto xfail;
		x->sum.pages += doc.pages;
	}
	if ((x->dat && (rc = custos_dat_doc(x->dat, &doc)) < 0) ||
	    (x->opt && (rc = custos_opt_doc(x->opt, &doc)) < 0) ||
	    (x->edrm && (rc = custos_edrm_doc(x->edrm, &doc)) < 0) ||
	    (x->records && (rc = custos_records_doc(x->records, &doc)) < 0))
		goto xfail;
	if (x->edrm && parent && parent->id) {
		/* the parent's number, when it was produced before this record */
		uint64_t pn;
		if ((rc = custos_xsel__bates(x->sel, parent->created_at, parent->seq, &pn)) < 0)
			goto done;
		if (rc) {
			char pb[64];
			bates(x, pb, pn);
			if ((rc = custos_edrm_reply(x->edrm, pb, doc.bates)) < 0)
				goto xfail;
		}
	}
	if (x->rsmf) {
		prev = doc.withheld ? NULL : prev_text(x, rec);
		if ((rc = custos_rsmf_doc(x->rsmf, &doc, prev)) < 0)
			goto xfail;
	}
	if (x->html) {
		uint64_t *seqs = NULL;
		size_t n = 0;
		n_versions = 0;
		if (!doc.withheld && rec->version > 1 &&
		    custos_store_versions(x->st, rec->id, &seqs, &n) == CUSTOS_OK && n > 1 &&
		    (vrecs = calloc(n, sizeof *vrecs)) && (versions = calloc(n, sizeof *versions))) {
			n_vrecs = n;
			for (size_t i = 0; i < n; i++)
				custos_record_init(&vrecs[i]);
			for (size_t i = 0; i < n; i++) {
				if (seqs[i] == rec->seq)
					versions[n_versions++] = rec;
				else if (custos_store_get_seq(x->st, seqs[i], &vrecs[i]) == CUSTOS_OK)
					versions[n_versions++] = &vrecs[i];
			}
		}
		free(seqs);
		if ((rc = custos_html_doc(x->html, &doc, versions, n_versions)) < 0)
			goto xfail;
	}
	if (doc.withheld) {
		x->sum.withheld++;
		if (x->privlog && (rc = custos_privlog_doc(x->privlog, &doc)) < 0)
			goto xfail;
	}
	if ((rc = doc_entry(x, &doc)) < 0)
		goto xfail;
	x->sum.records++;
	x->sum.documents += 1 + doc.n_attach;
	snprintf(x->sum.last, sizeof x->sum.last, "%s", doc.end_attach);
	if (!x->sum.first[0])
		snprintf(x->sum.first, sizeof x->sum.first, "%s", doc.bates);
	rc = CUSTOS_OK;
	goto done;
xfail:
	if (!s->err.msg[0] || s->err.status != rc)
		s->err = *custos_xdir_err(x->d);
	if (!s->err.msg[0])
		custos_err_set(&s->err, rc, "cannot write the production: %s", custos_status_str(rc));
done:
	for (size_t i = 0; i < n_vrecs; i++)
		custos_record_free(&vrecs[i]);
	free(vrecs);
	free(versions);
	free(prev);
	free(apath);
	if (attach != attach_small)
		free(attach);
	return rc;
}

/* ---- the selection's records, a window at a time --------------------------------- */

enum { XWIN = 128 };   /* records a window: two are read at a time */

typedef struct {
	entry_t          v[XWIN];        /* the window's entries, consecutive in the selection */
	size_t           n;
	uint64_t         seqs[XWIN];
	custos_record_t  recs[XWIN];
	int              rcs[XWIN];      /* custos_store_get_seq's status of each */
	custos_buf_t     json[XWIN];     /* records.jsonl's text of each (prep), or empty */
} xslot_t;

typedef struct {
	xp_t    *x;
	entry_t *pv;                     /* what is left of the sort's last window */
	size_t   pn;
	xslot_t *slot[2];
	int      cur;                    /* the slot handed out last */
	bool     begun;
} xwin_t;

/* On the reader thread that read record i of the window: its records.jsonl
 * text, made there (left empty when it cannot be: made when written). */
static void prep_json(void *arg, size_t i, custos_record_t *rec, const char *json, size_t n)
{
	xslot_t *sl = arg;
	if (custos_records_prep(rec, json, n, &sl->json[i]) < 0)
		custos_buf_clear(&sl->json[i]);
}

static int window_init(xwin_t *w, xp_t *x)
{
	memset(w, 0, sizeof *w);
	w->x = x;
	for (int k = 0; k < 2; k++) {
		if (!(w->slot[k] = calloc(1, sizeof *w->slot[k])))
			return CUSTOS_ENOMEM;
		for (size_t i = 0; i < XWIN; i++)
			custos_record_init(&w->slot[k]->recs[i]);
	}
	return CUSTOS_OK;
}

/* Stops the readers (they may be reading into the slots), then frees the slots. */
static void window_free(xwin_t *w)
{
	if (!w->x)
		return;
	custos_store_readers_free(w->x->rd);
	w->x->rd = NULL;
	for (int k = 0; k < 2; k++) {
		if (!w->slot[k])
			continue;
		for (size_t i = 0; i < XWIN; i++) {
			custos_record_free(&w->slot[k]->recs[i]);
			custos_buf_free(&w->slot[k]->json[i]);
		}
		free(w->slot[k]);
	}
	memset(w, 0, sizeof *w);
}

/* Puts the next entries of the selection into sl and starts reading them
 * (on the readers, or here when there are none). */
static int window_fill(xwin_t *w, xslot_t *sl)
{
	xp_t *x = w->x;
	int rc;
	/* copied: the sort's window is read over by its next one */
	for (sl->n = 0; sl->n < XWIN;) {
		if (!w->pn) {
			if ((rc = custos_xsel__next(x->sel, &w->pv, &w->pn)) < 0)
				return rc;
			if (!rc)
				break;
		}
		size_t k = XWIN - sl->n < w->pn ? XWIN - sl->n : w->pn;
		memcpy(sl->v + sl->n, w->pv, k * sizeof *w->pv);
		sl->n += k;
		w->pv += k;
		w->pn -= k;
	}
	for (size_t i = 0; i < sl->n; i++) {
		sl->seqs[i] = sl->v[i].seq;
		custos_buf_clear(&sl->json[i]);
	}
	if (!sl->n)
		return CUSTOS_OK;
	if (x->rd)
		return custos_store_readers_start(x->rd, sl->seqs, sl->n, sl->recs, sl->rcs, sl);
	for (size_t i = 0; i < sl->n; i++)
		sl->rcs[i] = custos_store_get_seq(x->st, sl->seqs[i], &sl->recs[i]);
	return CUSTOS_OK;
}

/* The next window of consecutive entries of the selection, its records
 * read (each one's status in rcs), into *out: 1, or 0 after the last. The
 * window after it is being read meanwhile. The caller is done with a
 * window when it asks for the next. */
static int window_next(xwin_t *w, xslot_t **out)
{
	int rc;
	if (!w->begun) {
		w->begun = true;
		if ((rc = window_fill(w, w->slot[0])) < 0 || (rc = window_fill(w, w->slot[1])) < 0)
			return rc;
		w->cur = 0;
	} else {
		if ((rc = window_fill(w, w->slot[w->cur])) < 0)
			return rc;
		w->cur ^= 1;
	}
	xslot_t *sl = w->slot[w->cur];
	if (sl->n && w->x->rd && (rc = custos_store_readers_wait(w->x->rd)) < 0)
		return rc;
	*out = sl;
	return sl->n > 0;
}

/* Reader threads on the session's snapshot, before anything is selected.
 * When a writer committed after the snapshot was taken, no reader can see
 * it: a snapshot this export took is taken again (nothing was read from it
 * yet); one the session held before (its search's) stays, and the records
 * are read on this thread alone, which the log says. */
static int readers_open(xp_t *x, bool own_snapshot)
{
	custos_session_t *s = x->s;
	bool jsonl = x->o->formats & CUSTOS_EXPORT_JSONL;
	for (int attempt = 0;; attempt++) {
		int rc = custos_store_readers_open(&x->rd, x->st, custos_store_readers_default(),
		                                   jsonl ? prep_json : NULL);
		if (rc == CUSTOS_OK)
			return CUSTOS_OK;
		if (rc != CUSTOS_EBUSY)
			return custos_session__fail(s, rc, custos_store_err(x->st)->msg, "cannot start "
			                            "the reader threads");
		snprintf(x->rd_why, sizeof x->rd_why, "%s", custos_store_err(x->st)->msg);
		if (!own_snapshot || attempt == 3)
			return CUSTOS_OK;
		custos_store_snapshot(s->view, false);
		s->pinned = false;
		if ((rc = custos_session__store(s, &x->st)) < 0)
			return rc;
	}
}

static void progress(xp_t *x, const char *phase, uint64_t done, uint64_t total)
{
	if (x->o->progress) {
		custos_export_progress_t p = { phase, done, total };
		x->o->progress(x->o->ctx, &p);
	}
}

/* the caller's flag, or custos_session_cancel (a service stopping its job) */
static bool cancelled(xp_t *x)
{
	return (x->o->cancel && __atomic_load_n(x->o->cancel, __ATOMIC_RELAXED)) ||
	       __atomic_load_n(&x->s->cancel, __ATOMIC_RELAXED);
}

static void selection_json(custos_buf_t *b, const custos_export_opts_t *o)
{
	custos_buf_t t = { 0 };
	custos_buf_addc(&t, '{');
	if (o->query)
		custos_lib__json_kv(&t, "query", o->query);
	if (o->hold)
		custos_lib__json_kv(&t, "hold", o->hold);
	if (o->matter)
		custos_lib__json_kv(&t, "matter", o->matter);
	if (o->tag)
		custos_lib__json_kv(&t, "tag", o->tag);
	custos_buf_printf(&t, "%s\"with_thread\":%s}", t.len > 1 ? "," : "",
	                  o->with_thread ? "true" : "false");
	custos_buf_add(b, t.data, t.len);
	custos_buf_free(&t);
}

static int close_writers(xp_t *x, uint64_t *rsmf_files, uint64_t *priv_rows)
{
	int rc = CUSTOS_OK, r;
#define CLOSE(call) do { if ((r = (call)) < 0 && rc == CUSTOS_OK) rc = r; } while (0)
	CLOSE(custos_dat_close(x->dat));
	CLOSE(custos_opt_close(x->opt));
	CLOSE(custos_edrm_close(x->edrm));
	CLOSE(custos_records_close(x->records));
	CLOSE(custos_rsmf_close(x->rsmf, rsmf_files));
	CLOSE(custos_html_close(x->html));
	CLOSE(custos_privlog_close(x->privlog, priv_rows));
#undef CLOSE
	custos_pdf_free(x->pdf);
	x->dat = NULL;
	x->opt = NULL;
	x->edrm = NULL;
	x->records = NULL;
	x->rsmf = NULL;
	x->html = NULL;
	x->privlog = NULL;
	x->pdf = NULL;
	return rc;
}

/* What can be checked of opts before anything is read: the selection, the
 * formats, the prefix, the DAT fields (into fields) and the query's syntax. */
static int check_opts(custos_session_t *s, const custos_export_opts_t *opts, int fields[32],
                      size_t *n_fields)
{
	int rc;
	int n_sel = !!opts->query + !!opts->hold + !!(opts->tag);
	if (n_sel != 1 || (opts->tag && !opts->matter))
		return custos_err_set(&s->err, CUSTOS_EINVAL, "name exactly one selection: a query, a "
		                      "hold, or a matter with a tag");
	if (!opts->formats || (opts->formats & ~0x3fu))
		return custos_err_set(&s->err, CUSTOS_EINVAL, "no export format named (one of: dat, "
		                      "edrm, rsmf, jsonl, csv, html)");
	if ((rc = check_prefix(&s->err, opts->prefix ? opts->prefix : "CUSTOS")) < 0)
		return rc;
	if ((opts->formats & CUSTOS_EXPORT_DAT) &&
	    (rc = custos_dat_fields_parse(opts->fields, opts->matter != NULL, fields, n_fields,
	                                  &s->err)) < 0)
		return rc;
	if (opts->query && (rc = custos_query_check(opts->query, &s->err)) < 0)
		return rc;
	return CUSTOS_OK;
}

static int export_check(custos_session_t *s, const custos_export_opts_t *opts)
{
	int fields[32];
	size_t n_fields = 0;
	return check_opts(s, opts, fields, &n_fields);
}

static int archive_export(custos_session_t *s, const char *dir, const custos_export_opts_t *opts,
                          custos_export_summary_t *summary)
{
	static const custos_export_opts_t defaults = CUSTOS_EXPORT_OPTS_INIT;
	xp_t x;
	int fields[32];
	size_t n_fields = 0;
	custos_record_t rec, parent;
	custos_buf_t head = { 0 };
	xwin_t win;
	int rc;

	memset(&x, 0, sizeof x);
	memset(&win, 0, sizeof win);
	win.x = &x;
	x.s = s;
	x.o = opts = opts ? opts : &defaults;
	x.prefix = opts->prefix ? opts->prefix : "CUSTOS";
	custos_record_init(&rec);
	custos_record_init(&parent);

	if ((rc = custos_session__begin(s, CUSTOS_OP_EXPORT, "export records")) < 0)
		goto audit;
	if (!dir || !*dir) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "no production directory named");
		goto audit;
	}
	if ((rc = check_opts(s, opts, fields, &n_fields)) < 0)
		goto audit;

	/* the snapshot: the store and the index as the session has them */
	bool own_snapshot = !s->pinned;
	if ((rc = custos_session__store(s, &x.st)) < 0 || (rc = custos_session__index(s, &x.idx)) < 0)
		goto audit;
	if (!opts->serial && (rc = readers_open(&x, own_snapshot)) < 0)
		goto audit;
	if ((rc = custos_index_watermark(x.idx, &x.sum.watermark)) < 0 ||
	    (rc = custos_store_last_seq(x.st, &x.sum.store_last_seq)) < 0) {
		custos_err_set(&s->err, rc, "cannot read the snapshot: %s", custos_index_errmsg(x.idx));
		goto audit;
	}
	if (opts->matter && (rc = custos_matter__reader(s, opts->matter, &x.mr)) < 0)
		goto audit;

	/* the selection: through the external sort, in date order, each record
	 * once (lib/xsel.h) */
	if ((rc = custos_xsel__new(&x.sel, dir, 0, &s->err)) < 0)
		goto audit;
	if (opts->query) {
		/* straight into the 24-byte entries: the index's list of matches
		 * (ids and all) is never held whole */
		if ((rc = select_query(s, x.st, x.idx, opts->query, dir, NULL, x.sel)) < 0)
			goto audit;
	} else if (opts->hold) {
		/* the hold's ids one by one, never its whole list */
		by_id_t b = { s, x.st, x.sel, { 0 }, 0 };
		custos_record_init(&b.rec);
		rc = select_hold(s, x.idx, &b, dir, opts->hold);
		custos_record_free(&b.rec);
		if (rc < 0)
			goto audit;
	} else {
		by_id_t b = { s, x.st, x.sel, { 0 }, 0 };
		custos_record_init(&b.rec);
		rc = custos_matter__each(x.mr, opts->tag, add_by_id, &b);
		custos_record_free(&b.rec);
		if (rc < 0) {
			if (!s->err.msg[0])
				custos_err_set(&s->err, rc, "cannot read the matter's coding");
			goto audit;
		}
	}
	if ((rc = custos_xsel__finish(x.sel, &x.count)) < 0)
		goto audit;
	if (opts->with_thread && x.count &&
	    (rc = add_threads(s, x.st, x.idx, dir, &x.sel, &x.count)) < 0)
		goto audit;
	progress(&x, "select", 0, x.count);
	if (!x.count) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "%s: nothing to produce (index "
		                    "watermark %llu); no directory was made", opts->query ?
		                    "the query matches no record" : opts->hold ? "the hold covers no "
		                    "record" : "no record carries the tag", (unsigned long long)
		                    x.sum.watermark);
		goto audit;
	}

	/* the directory and the writers */
	x.start = opts->start ? opts->start : 1;
	x.width = 6;
	for (uint64_t top = x.start + 4 * x.count; top >= 1000000; top /= 10)
		x.width++;
	x.next = x.start;
	if (!(x.cache = malloc(sizeof *x.cache))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	custos_lib__root_cache_init(x.cache);
	if ((rc = custos_xdir_create(&x.d, dir, &s->err)) < 0)
		goto audit;
	if (!opts->serial && (rc = custos_xdir_writer_start(x.d)) < 0)
		goto xfail;
	x.files = opts->formats & (CUSTOS_EXPORT_DAT | CUSTOS_EXPORT_EDRM | CUSTOS_EXPORT_HTML);
	if ((rc = custos_xfile_open(x.d, "production.log", &x.log)) < 0)
		goto xfail;
	custos_buf_t sel = { 0 };
	selection_json(&sel, opts);
	logf_(&x, "production by %s; selection %s", s->actor ? s->actor : "(no actor)", sel.data);
	logf_(&x, "snapshot: index watermark %llu, store last seq %llu; %llu records selected",
	      (unsigned long long)x.sum.watermark, (unsigned long long)x.sum.store_last_seq,
	      (unsigned long long)x.count);
	if (custos_xsel__runs(x.sel))
		logf_(&x, "the selection was sorted in %zu runs, spilled to temporary files beside "
		      "this directory and merged; they are removed before the manifest is written",
		      custos_xsel__runs(x.sel));
	else
		logf_(&x, "the selection was sorted in memory");
	custos_buf_free(&sel);
	char desc[256];
	snprintf(desc, sizeof desc, "custos production %s", x.prefix);
	if (((opts->formats & CUSTOS_EXPORT_DAT) &&
	     (rc = custos_dat_open(x.d, fields, n_fields, &x.dat)) < 0) ||
	    (opts->images && (rc = custos_opt_open(x.d, &x.opt)) < 0) ||
	    (opts->images && (rc = custos_pdf_open(x.d, blob_fn, &x, &x.pdf)) < 0) ||
	    ((opts->formats & CUSTOS_EXPORT_EDRM) && (rc = custos_edrm_open(x.d, desc, &x.edrm)) < 0) ||
	    ((opts->formats & (CUSTOS_EXPORT_JSONL | CUSTOS_EXPORT_CSV)) &&
	     (rc = custos_records_open(x.d, opts->formats & CUSTOS_EXPORT_JSONL,
	                               opts->formats & CUSTOS_EXPORT_CSV, &x.records)) < 0) ||
	    ((opts->formats & CUSTOS_EXPORT_RSMF) &&
	     (rc = custos_rsmf_open(x.d, blob_fn, &x, &x.rsmf)) < 0) ||
	    ((opts->formats & CUSTOS_EXPORT_HTML) && (rc = custos_html_open(x.d, &x.html)) < 0) ||
	    (x.mr && (rc = custos_privlog_open(x.d, &x.privlog)) < 0))
		goto xfail;

	/* the records, in date order, a window of the selection at a time */
	if (x.rd)
		logf_(&x, "records read by this thread and %u reader threads, all on the snapshot's "
		      "transaction", custos_store_readers_threads(x.rd));
	else if (x.rd_why[0])
		logf_(&x, "records read by this thread alone: %s", x.rd_why);
	if ((rc = window_init(&win, &x)) < 0) {
		custos_err_set(&s->err, rc, "out of memory");
		goto xfail;
	}
	xslot_t *sl = NULL;
	size_t nth = 0;
	while ((rc = window_next(&win, &sl)) > 0) {
		for (size_t j = 0; j < sl->n; j++, nth++) {
			if (cancelled(&x)) {
				rc = custos_err_set(&s->err, CUSTOS_ECANCELED, "the export was cancelled "
				                    "after %llu of %llu records; '%s' has no manifest",
				                    (unsigned long long)x.sum.records,
				                    (unsigned long long)x.count, dir);
				goto xfail;
			}
			entry_t *en = &sl->v[j];
			custos_record_t *r = &sl->recs[j];
			if ((rc = sl->rcs[j]) < 0) {
				/* read again here: this thread's status and message stand */
				r = &rec;
				rc = custos_store_get_seq(x.st, en->seq, &rec);
			}
			if (rc < 0) {
				if (rc != CUSTOS_ENOTFOUND && rc != CUSTOS_ECORRUPT) {
					custos_session__fail(s, rc, custos_store_err(x.st)->msg, "cannot read "
					                     "record seq %llu", (unsigned long long)en->seq);
					goto xfail;
				}
				if ((rc = unreadable(&x, en, rc)) < 0)
					goto xfail;
				continue;
			}
			custos_record_t *par = NULL;
			if (r->in_reply_to && (x.pdf || x.edrm) &&
			    custos_store_get(x.st, r->in_reply_to, 0, &parent) == CUSTOS_OK)
				par = &parent;
			x.prepared = r != &rec && sl->json[j].len ? &sl->json[j] : NULL;
			rc = produce_one(&x, en, r, par);
			x.prepared = NULL;
			if (rc < 0)
				goto xfail;
			/* its number, for the replies to it (EDRM's relationships) */
			if (x.edrm && (rc = custos_xsel__mark(x.sel, en)) < 0)
				goto xfail;
			/* a few times a second, whatever a record costs (a PDF, a line) */
			if (nth == 0 || ((nth & 63) == 63 && custos_time_now() - x.reported >= 250)) {
				x.reported = custos_time_now();
				progress(&x, "produce", x.sum.records, x.count);
			}
		}
	}
	if (rc < 0) {
		/* the sort's reading names its file; the readers' the store's error */
		if (s->err.status >= 0 || !s->err.msg[0])
			custos_session__fail(s, rc, custos_store_err(x.st)->msg, "cannot read the records");
		goto xfail;
	}
	window_free(&win);
	/* the sort's directory goes before the manifest comes */
	custos_xsel__free(x.sel);
	x.sel = NULL;
	progress(&x, "finish", x.sum.records, x.count);
	uint64_t rsmf_files = 0, priv_rows = 0;
	if ((rc = close_writers(&x, &rsmf_files, &priv_rows)) < 0)
		goto xfail;
	logf_(&x, "produced %llu records as %llu documents (%s to %s), %llu attachments, "
	      "%llu withheld, %llu not produced, %llu PDF pages, %llu RSMF files",
	      (unsigned long long)x.sum.records, (unsigned long long)x.sum.documents, x.sum.first,
	      x.sum.last, (unsigned long long)x.sum.attachments, (unsigned long long)x.sum.withheld,
	      (unsigned long long)x.sum.not_produced, (unsigned long long)x.sum.pages,
	      (unsigned long long)rsmf_files);
	logf_(&x, "manifest.json is written last, once every file above is on disk");
	rc = custos_xfile_close(x.log);
	x.log = NULL;
	if (rc < 0)
		goto xfail;

	/* the manifest: what the production holds, exactly */
	char t[40];
	custos_time_format(t, sizeof t, custos_time_now());
	custos_buf_printf(&head, "{\"custos_production\":1,\"generator\":\"custos 0.1\","
	                  "\"created_at\":\"%s\",\"actor\":", t);
	if (s->actor)
		custos_buf_add_json_text(&head, s->actor, strlen(s->actor));
	else
		custos_buf_adds(&head, "null");
	custos_buf_adds(&head, ",\"selection\":");
	selection_json(&head, opts);
	custos_buf_adds(&head, ",\"formats\":[");
	for (int i = 0, k = 0; formats[i].name; i++)
		if (opts->formats & formats[i].bit)
			custos_buf_printf(&head, "%s\"%s\"", k++ ? "," : "", formats[i].name);
	custos_buf_printf(&head, "],\"images\":%s,\"index_watermark\":%llu,\"store_last_seq\":%llu,"
	                  "\"bates\":{\"prefix\":\"%s\",\"start\":%llu,\"width\":%d,\"first\":\"%s\","
	                  "\"last\":\"%s\",\"documents\":%llu},\"records\":%llu,\"attachments\":%llu,"
	                  "\"withheld\":%llu,\"pages\":%llu,\"rsmf_files\":%llu,\"privilege_log\":%s,"
	                  "\"not_produced\":[%s]", opts->images ? "true" : "false",
	                  (unsigned long long)x.sum.watermark, (unsigned long long)x.sum.store_last_seq,
	                  x.prefix, (unsigned long long)x.start, x.width, x.sum.first, x.sum.last,
	                  (unsigned long long)x.sum.documents, (unsigned long long)x.sum.records,
	                  (unsigned long long)x.sum.attachments, (unsigned long long)x.sum.withheld,
	                  (unsigned long long)x.sum.pages, (unsigned long long)rsmf_files,
	                  x.mr ? "true" : "false", x.not_produced.data ? x.not_produced.data : "");
	if ((rc = custos_xdir_finish(x.d, head.data, x.sum.manifest_sha256, &x.sum.files,
	                             &x.sum.bytes)) < 0)
		goto xfail;
	if (!x.sum.records) {
		/* everything selected was disposed of meanwhile: say so, the manifest
		 * says it too (records 0, every one in not_produced) */
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "every selected record was disposed "
		                    "of after the snapshot: '%s' holds only the manifest and the log",
		                    dir);
		goto audit;
	}
	rc = CUSTOS_OK;
	goto audit;
xfail:
	if (!s->err.msg[0] || s->err.status >= 0)
		s->err = *custos_xdir_err(x.d);
	if (!s->err.msg[0])
		custos_err_set(&s->err, rc, "the export failed: %s", custos_status_str(rc));
	logf_(&x, "FAILED: %s", s->err.msg);
	logf_(&x, "this directory is not a production: it has no manifest.json");
	close_writers(&x, NULL, NULL);
	if (x.log)
		custos_xfile_close(x.log);
	x.log = NULL;
audit:;
	window_free(&win);   /* the readers first: they read into its slots */
	custos_buf_t p = { 0 }, r = { 0 };
	selection_json(&p, opts);
	p.len--;   /* its closing brace: the directory and the forms go inside */
	p.data[p.len] = '\0';
	custos_lib__json_kv(&p, "dir", dir ? dir : "");
	custos_buf_adds(&p, ",\"formats\":[");
	for (int i = 0, k = 0; formats[i].name; i++)
		if (opts->formats & formats[i].bit)
			custos_buf_printf(&p, "%s\"%s\"", k++ ? "," : "", formats[i].name);
	custos_buf_printf(&p, "],\"images\":%s}", opts->images ? "true" : "false");
	if (rc == CUSTOS_OK)
		custos_buf_printf(&r, "{\"records\":%llu,\"documents\":%llu,\"first\":\"%s\","
		                  "\"last\":\"%s\",\"withheld\":%llu,\"not_produced\":%llu,"
		                  "\"files\":%llu,\"watermark\":%llu,\"manifest_sha256\":\"%s\"}",
		                  (unsigned long long)x.sum.records, (unsigned long long)x.sum.documents,
		                  x.sum.first, x.sum.last, (unsigned long long)x.sum.withheld,
		                  (unsigned long long)x.sum.not_produced,
		                  (unsigned long long)x.sum.files, (unsigned long long)x.sum.watermark,
		                  x.sum.manifest_sha256);
	else {
		custos_buf_adds(&r, "{\"error\":");
		custos_buf_add_json_text(&r, s->err.msg, strlen(s->err.msg));
		custos_buf_addc(&r, '}');
	}
	rc = custos_session__audit(s, "export", p.data, r.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&r);
	custos_buf_free(&head);
	if (summary)
		*summary = x.sum;
	custos_xdir_free(x.d);
	custos_matter__reader_free(x.mr);
	if (x.cache) {
		custos_lib__root_cache_free(x.cache);
		free(x.cache);
	}
	custos_record_free(&rec);
	custos_record_free(&parent);
	custos_buf_free(&x.not_produced);
	custos_buf_free(&x.tags);
	custos_buf_free(&x.note);
	custos_buf_free(&x.text);
	custos_buf_free(&x.json);
	custos_buf_free(&x.path);
	custos_xsel__free(x.sel);
	return rc;
}

/* ---- re-reading a production ------------------------------------------------ */

static void production_check_free(custos_production_check_t *c)
{
	if (!c)
		return;
	custos_arena_free(&c->arena);
	free(c->problem);
	memset(c, 0, sizeof *c);
}

static void problem_fn(void *ctx, const char *msg)
{
	custos_production_check_t *c = ctx;
	c->problems++;
	if (c->n_problem >= 100)
		return;
	char **nv = realloc(c->problem, (c->n_problem + 1) * sizeof *nv);
	if (!nv)
		return;
	c->problem = nv;
	if ((c->problem[c->n_problem] = custos_arena_strdup(&c->arena, msg)))
		c->n_problem++;
}

static int production_verify(const char *dir, custos_production_check_t *out, custos_err_t *err)
{
	custos_xcheck_counts_t n;
	memset(out, 0, sizeof *out);
	memset(&n, 0, sizeof n);
	int rc = custos_export_check(dir, problem_fn, out, &n, err);
	out->files = n.files;
	out->bytes = n.bytes;
	out->records = n.records;
	out->documents = n.documents;
	out->load_lines = n.load_lines;
	out->rsmf_files = n.rsmf_files;
	out->pages = n.pages;
	if (rc < 0)
		return rc;
	if (out->problems)
		return custos_err_set(err, CUSTOS_ECORRUPT, "%s", out->n_problem ? out->problem[0]
		                      : "the production has problems");
	return CUSTOS_OK;
}

/* ---- the audit trail's export ---------------------------------------------- */

typedef struct {
	custos_xfile_t *jsonl, *csv;
	custos_buf_t    row;
	uint64_t        n;
	char            head[CUSTOS_SHA256_HEX];
	int             rc;
} aexp_t;

static void csv_json_value(custos_buf_t *b, json_t *v)
{
	if (json_is_string(v)) {
		custos_csv_fieldn(b, json_string_value(v), json_string_length(v));
	} else if (v && !json_is_null(v)) {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (t)
			custos_csv_fieldn(b, t, strlen(t));
		free(t);
	}
}

static int csv_of_line(aexp_t *x, const char *line, size_t n, const char *const *keys)
{
	json_t *o = json_loadb(line, n, 0, NULL);
	custos_buf_clear(&x->row);
	for (int i = 0; keys[i]; i++) {
		if (i)
			custos_buf_addc(&x->row, ',');
		csv_json_value(&x->row, json_object_get(o, keys[i]));
	}
	custos_buf_adds(&x->row, "\r\n");
	json_decref(o);
	return custos_xfile_write(x->csv, x->row.data, x->row.len);
}

static const char *const audit_keys[] = { "n", "time", "user", "actor", "role", "token",
                                          "client", "action", "status", "params", "result",
                                          "prev", NULL };
static const char *const tomb_keys[] = { "id", "version", "seq", "platform", "created_at",
                                         "disposed_at", "rule", "policy_commit", "actor",
                                         "content_sha256", "raw_sha256", NULL };

static int audit_line_fn(void *ctx, const char *line, size_t n)
{
	aexp_t *x = ctx;
	uint8_t h[CUSTOS_SHA256_LEN];
	if ((x->rc = custos_xfile_write(x->jsonl, line, n)) < 0 ||
	    (x->rc = custos_xfile_write(x->jsonl, "\n", 1)) < 0 ||
	    (x->rc = csv_of_line(x, line, n, audit_keys)) < 0)
		return x->rc;
	custos_sha256(h, line, n);
	custos_hex(x->head, h, sizeof h);
	x->n++;
	return 0;
}

static int tomb_line_fn(void *ctx, uint64_t seq, const char *json, size_t n)
{
	aexp_t *x = ctx;
	(void)seq;
	if ((x->rc = custos_xfile_write(x->jsonl, json, n)) < 0 ||
	    (x->rc = custos_xfile_write(x->jsonl, "\n", 1)) < 0 ||
	    (x->rc = csv_of_line(x, json, n, tomb_keys)) < 0)
		return x->rc;
	x->n++;
	return 0;
}

static const char *const audit_readme =
	"custos audit export\n"
	"===================\n\n"
	"audit.jsonl       the audit chain: every entry, one JSON object a line, byte for byte\n"
	"                  as the archive keeps it\n"
	"audit.csv         the same entries as a table (params and result as JSON text)\n"
	"tombstones.jsonl  the disposition log: one tombstone per disposed record version (id,\n"
	"                  version, seq, hashes, rule, policy commit, time, actor)\n"
	"tombstones.csv    the same as a table\n"
	"SHA256SUMS        the SHA-256 of each file above: sha256sum -c SHA256SUMS\n"
	"manifest.json     every file with its size and SHA-256, written last\n\n"
	"Re-verifying the chain without custos\n"
	"-------------------------------------\n\n"
	"Each entry's \"prev\" is the SHA-256 (hex) of the previous line's bytes, without\n"
	"its newline; the first entry's is 64 zeros. With sha256sum and jq:\n\n"
	"  sha256sum -c SHA256SUMS\n"
	"  head -n 1 audit.jsonl | jq -e '.prev == (\"0\" * 64)'   # only when the export\n"
	"                                                         # starts at entry 1\n"
	"  jq -r .prev audit.jsonl | tail -n +2 > prev.txt\n"
	"  head -n -1 audit.jsonl | while IFS= read -r l; do\n"
	"      printf '%s' \"$l\" | sha256sum | cut -c1-64; done > hash.txt\n"
	"  cmp prev.txt hash.txt && echo 'chain intact'\n\n"
	"cmp names the first line where the two differ: the entry after it was changed,\n"
	"inserted or removed. The hash of the last line is the chain's head (HEAD below):\n"
	"compare it with a copy kept elsewhere (a signature or a time stamp of the head)\n"
	"to prove the last entries too:\n\n"
	"  tail -n 1 audit.jsonl | tr -d '\\n' | sha256sum\n\n"
	"Entries are numbered (\"n\") without gaps: jq -s 'map(.n) | . == [range(.[0]; "
	".[0] + length)]' audit.jsonl\n";

static int audit_export(custos_session_t *s, const char *dir, custos_audit_export_t *out)
{
	custos_xdir_t *d = NULL;
	custos_store_t *st = NULL;
	aexp_t x;
	custos_buf_t sums = { 0 }, head = { 0 };
	custos_xhash_t h;
	char msha[CUSTOS_SHA256_HEX];
	uint64_t files = 0;
	int rc;

	memset(&x, 0, sizeof x);
	if (out)
		memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_AUDIT_READ, "export the audit trail")) < 0)
		goto audit;
	if (!dir || !*dir) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "no directory named");
		goto audit;
	}
	if ((rc = custos_session__store(s, &st)) < 0)
		goto audit;
	if ((rc = custos_xdir_create(&d, dir, &s->err)) < 0)
		goto audit;
	if ((rc = custos_xfile_open(d, "audit.jsonl", &x.jsonl)) < 0 ||
	    (rc = custos_xfile_open(d, "audit.csv", &x.csv)) < 0 ||
	    (rc = custos_xfile_puts(x.csv, "n,time,user,actor,role,token,client,action,status,"
	                            "params,result,prev\r\n")) < 0)
		goto xfail;
	custos_audit_filter_t f = CUSTOS_AUDIT_FILTER_INIT;
	if ((rc = custos_archive_audit_read(s, &f, audit_line_fn, &x)) < 0) {
		if (x.rc < 0)
			goto xfail;
		goto audit;
	}
	uint64_t entries = x.n;
	char ahead[CUSTOS_SHA256_HEX];
	memcpy(ahead, x.head, sizeof ahead);
	rc = custos_xfile_close(x.jsonl);
	x.jsonl = NULL;
	if (rc == CUSTOS_OK)
		rc = custos_xfile_close(x.csv);
	x.csv = NULL;
	if (rc < 0)
		goto xfail;
	x.n = 0;
	if ((rc = custos_xfile_open(d, "tombstones.jsonl", &x.jsonl)) < 0 ||
	    (rc = custos_xfile_open(d, "tombstones.csv", &x.csv)) < 0 ||
	    (rc = custos_xfile_puts(x.csv, "id,version,seq,platform,created_at,disposed_at,rule,"
	                            "policy_commit,actor,content_sha256,raw_sha256\r\n")) < 0)
		goto xfail;
	if ((rc = custos_store_tombstone_scan(st, tomb_line_fn, &x)) < 0) {
		if (x.rc < 0)
			goto xfail;
		custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read the tombstones");
		goto audit;
	}
	rc = custos_xfile_close(x.jsonl);
	x.jsonl = NULL;
	if (rc == CUSTOS_OK)
		rc = custos_xfile_close(x.csv);
	x.csv = NULL;
	if (rc < 0 || (rc = custos_xdir_put(d, "README.txt", audit_readme, strlen(audit_readme),
	                                    false, NULL)) < 0)
		goto xfail;
	static const char *const names[] = { "README.txt", "audit.jsonl", "audit.csv",
	                                     "tombstones.jsonl", "tombstones.csv", NULL };
	for (int i = 0; names[i]; i++) {
		char path[4400];
		custos_xdir_abspath(d, names[i], path, sizeof path);
		bool ok = false;
		uint64_t size = 0;
		char hex[CUSTOS_SHA256_HEX];
		FILE *fp = fopen(path, "rb");
		if (fp) {
			custos_sha256_ctx_t c;
			uint8_t sum[CUSTOS_SHA256_LEN];
			char buf[65536];
			size_t r;
			custos_sha256_init(&c);
			while ((r = fread(buf, 1, sizeof buf, fp)) > 0) {
				custos_sha256_update(&c, buf, r);
				size += r;
			}
			ok = !ferror(fp);
			fclose(fp);
			custos_sha256_final(&c, sum);
			custos_hex(hex, sum, sizeof sum);
		}
		if (!ok) {
			rc = custos_err_set(&s->err, CUSTOS_EIO, "cannot read back '%s'", path);
			goto audit;
		}
		custos_buf_printf(&sums, "%s  %s\n", hex, names[i]);
	}
	if ((rc = custos_xdir_put(d, "SHA256SUMS", sums.data, sums.len, false, &h)) < 0)
		goto xfail;
	char t[40];
	custos_time_format(t, sizeof t, custos_time_now());
	custos_buf_printf(&head, "{\"custos_audit_export\":1,\"created_at\":\"%s\",\"entries\":%llu,"
	                  "\"audit_head\":\"%s\",\"tombstones\":%llu", t, (unsigned long long)entries,
	                  ahead, (unsigned long long)x.n);
	if ((rc = custos_xdir_finish(d, head.data, msha, &files, NULL)) < 0)
		goto xfail;
	if (out) {
		out->audit_entries = entries;
		out->tombstones = x.n;
		out->files = files;
		memcpy(out->audit_head, ahead, sizeof ahead);
	}
	rc = CUSTOS_OK;
	goto audit;
xfail:
	s->err = *custos_xdir_err(d);
	if (!s->err.msg[0])
		custos_err_set(&s->err, rc, "cannot write the audit export: %s", custos_status_str(rc));
audit:
	custos_xfile_abort(x.jsonl);
	custos_xfile_abort(x.csv);
	custos_xdir_free(d);
	custos_buf_free(&x.row);
	custos_buf_free(&sums);
	custos_buf_free(&head);
	custos_buf_t p = { 0 }, r = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "dir", dir ? dir : "");
	custos_buf_addc(&p, '}');
	if (rc == CUSTOS_OK)
		custos_buf_printf(&r, "{\"entries\":%llu,\"tombstones\":%llu,\"manifest_sha256\":\"%s\"}",
		                  (unsigned long long)(out ? out->audit_entries : 0),
		                  (unsigned long long)(out ? out->tombstones : 0), msha);
	rc = custos_session__audit(s, "audit-export", p.data, rc == CUSTOS_OK ? r.data : NULL, rc);
	custos_buf_free(&p);
	custos_buf_free(&r);
	return rc;
}

/* The export module's table (lib/module.c calls through it) */
const custos_export_module_t custos_module_export = {
	sizeof(custos_export_module_t), export_formats_parse, archive_export,
	production_check_free, production_verify, audit_export, export_check, export_format_name
};
