/* Reading the archive in a session's snapshot: search, records with their
 * versions and threads, media, quarantine and statistics. */
#include "lib_internal.h"
#include "matter_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

/* ---- search --------------------------------------------------------------- */

int custos_facets_parse(unsigned *out, const char *list, custos_err_t *err)
{
	int rc = custos_index_facets_parse(out, list, err);
	if (rc < 0 && err)
		err->status = rc = CUSTOS_EINVAL;
	return rc;
}

const char *custos_facet_name(int field)
{
	return custos_index_facet_name(field);
}

int custos_query_check(const char *query, custos_err_t *err)
{
	int rc = custos_index_query_check(query, err);
	if (rc < 0 && err && strncmp(err->msg, "bad query", 9) != 0)
		custos_err_prefix(err, "bad query");
	return rc;
}

void custos_search_result_free(custos_search_result_t *r)
{
	if (!r)
		return;
	custos_arena_free(&r->arena);
	free(r);
}

/* The languages Xapian 1.4 has stemmers for: anything else would quietly
 * fall back to English, which a reviewer must not get. */
static int check_lang(custos_session_t *s, const char *lang)
{
	static const char langs[] = " ar hy eu ca da nl en fi fr de hu id ga it lt ne "
	                            "nb nn no pt ro ru es sv ta tr ";
	char key[16];
	if (!lang)
		return CUSTOS_OK;
	snprintf(key, sizeof key, " %.8s ", lang);
	char *dash = strchr(key + 1, '-');
	if (dash) {
		dash[0] = ' ';
		dash[1] = '\0';
	}
	if (!*lang || !strstr(langs, key))
		return custos_err_set(&s->err, CUSTOS_EINVAL, "no stemmer for language '%s' "
		                      "(one of:%s)", lang, langs);
	return CUSTOS_OK;
}

typedef struct {
	custos_store_t *st;
	custos_record_t rec;
} text_ctx_t;

static int text_of(void *ctx, const char *id, uint64_t seq, const char **text, size_t *len)
{
	text_ctx_t *t = ctx;
	(void)id;
	if (custos_store_get_seq(t->st, seq, &t->rec) < 0 || !t->rec.text)
		return 1;
	*text = t->rec.text;
	*len = strlen(t->rec.text);
	return 0;
}

static char *adup(custos_arena_t *a, const char *s, bool *oom)
{
	char *d;
	if (!s)
		return NULL;
	if (!(d = custos_arena_strdup(a, s)))
		*oom = true;
	return d;
}

/* The public result from the indexer's. */
static int convert(custos_search_result_t **out, const custos_index_results_t *ir,
                   uint64_t store_last)
{
	custos_search_result_t *r = calloc(1, sizeof *r);
	bool oom = false;
	if (!r)
		return CUSTOS_ENOMEM;
	r->total = ir->total;
	r->watermark = ir->watermark;
	r->notes = adup(&r->arena, ir->notes ? ir->notes : "", &oom);
	r->expansions = ir->expansions;
	r->store_last_seq = store_last;
	if (ir->n_hits && !(r->hits = custos_arena_alloc(&r->arena, ir->n_hits * sizeof *r->hits)))
		oom = true;
	for (size_t i = 0; i < ir->n_hits && !oom; i++) {
		const custos_index_hit_t *h = &ir->hits[i];
		custos_search_hit_t *o = &r->hits[i];
		o->id = adup(&r->arena, h->id, &oom);
		o->seq = h->seq;
		o->version = h->version;
		o->n_matched = h->n_matched;
		if (h->n_matched) {
			o->matched_versions = custos_arena_alloc(&r->arena,
			                                         h->n_matched * sizeof *o->matched_versions);
			if (o->matched_versions)
				memcpy(o->matched_versions, h->matched_versions,
				       h->n_matched * sizeof *o->matched_versions);
			else
				oom = true;
		}
		o->created_at = h->created_at;
		o->platform = adup(&r->arena, h->platform, &oom);
		o->account = adup(&r->arena, h->account, &oom);
		o->author = adup(&r->arena, h->author, &oom);
		o->snippet = adup(&r->arena, h->snippet, &oom);
		o->weight = h->weight;
		r->n_hits++;
	}
	for (int f = 0; f < CUSTOS_FACET_COUNT && !oom; f++) {
		const custos_index_facet_t *fi = &ir->facets[f];
		if (!fi->n)
			continue;
		if (!(r->facets[f].v = custos_arena_alloc(&r->arena, fi->n * sizeof *fi->v))) {
			oom = true;
			break;
		}
		for (size_t i = 0; i < fi->n; i++) {
			r->facets[f].v[i].value = adup(&r->arena, fi->v[i].value, &oom);
			r->facets[f].v[i].count = fi->v[i].count;
		}
		r->facets[f].n = fi->n;
	}
	if (oom) {
		custos_search_result_free(r);
		return CUSTOS_ENOMEM;
	}
	*out = r;
	return CUSTOS_OK;
}

/* One search in the session's snapshot (st, idx). */
static int run_search(custos_session_t *s, custos_store_t *st, custos_index_t *idx,
                      const char *query, const custos_search_opts_t *opts,
                      const custos_index_coding_t *coding, text_ctx_t *tc,
                      custos_index_results_t **ir, uint64_t *last)
{
	custos_index_search_opts_t io = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	int rc;
	if ((rc = custos_store_last_seq(st, last)) < 0)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read the store");
	io.limit = opts->limit;
	io.offset = opts->offset;
	io.sort = opts->sort;
	io.facets = opts->facets & ~CUSTOS_FACET_BIT(CUSTOS_FACET_TAG);
	io.coding = coding;
	io.count_only = opts->count_only;
	io.stem_lang = opts->lang;
	io.query_flags = opts->query_flags;
	if (opts->snippets && !opts->count_only) {
		tc->st = st;
		io.text_fn = text_of;
		io.text_ctx = tc;
	}
	if ((rc = custos_index_search(idx, ir, query, &io)) < 0) {
		const char *m = custos_index_errmsg(idx);
		if (rc == CUSTOS_EFORMAT && strncmp(m, "bad query", 9) != 0)
			custos_err_set(&s->err, rc, "bad query: %s", m);
		else
			custos_err_set(&s->err, rc, "%s", m);
	}
	return rc;
}

/* A search's review coding (custos_search_opts_t.matter and tags): the
 * matter's coded records with their tags, read once in one snapshot of the
 * matter, and the tags asked for as required bits. */
typedef struct {
	custos_matter_reader_t *reader;
	custos_matter_coded_t   coded;
	unsigned char          *require;
	custos_index_coding_t   ic;
} search_coding_t;

static void search_coding_free(search_coding_t *c)
{
	custos_matter__reader_free(c->reader);
	custos_matter__coded_free(&c->coded);
	free(c->require);
	memset(c, 0, sizeof *c);
}

static int search_coding(custos_session_t *s, const custos_search_opts_t *opts,
                         search_coding_t *c)
{
	const char *const *names;
	int rc;

	memset(c, 0, sizeof *c);
	if ((rc = custos_session__begin(s, CUSTOS_OP_MATTER_READ, "read matters")) < 0 ||
	    (rc = custos_matter__reader(s, opts->matter, &c->reader)) < 0)
		return rc;
	size_t nt = custos_matter__tag_names(c->reader, &names);
	size_t stride = (nt + 7) / 8;
	if (!(c->require = calloc(stride + 1, 1)))
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	for (size_t i = 0; i < opts->n_tags; i++) {
		const char *tag = opts->tags[i] ? opts->tags[i] : "";
		size_t t = 0;
		while (t < nt && strcmp(names[t], tag))
			t++;
		if (t == nt) {
			custos_buf_t known = { 0 }, b = { 0 };
			for (size_t k = 0; k < nt; k++)
				custos_buf_printf(&known, "%s%s", k ? ", " : "", names[k]);
			size_t tl = strlen(tag);
			custos_buf_add_printable(&b, tag, tl > 60 ? 60 : tl);
			rc = custos_err_set(&s->err, CUSTOS_EINVAL, "matter '%s' has no tag '%s' (its "
			                    "tags: %s)", opts->matter, b.data ? b.data : "",
			                    known.data ? known.data : "");
			custos_buf_free(&known);
			custos_buf_free(&b);
			return rc;
		}
		c->require[t / 8] |= (unsigned char)(1u << (t % 8));
	}
	c->ic.count = (opts->facets & CUSTOS_FACET_BIT(CUSTOS_FACET_TAG)) != 0;
	if (!opts->n_tags && !c->ic.count)
		return CUSTOS_OK;   /* the matter is there: nothing of its coding is asked */
	if ((rc = custos_matter__coded(c->reader, &c->coded)) < 0)
		return custos_err_set(&s->err, rc, "cannot read the coding of matter '%s'",
		                      opts->matter);
	c->ic.n = c->coded.n;
	c->ic.ids = (const char *const *)c->coded.ids;
	c->ic.rows = c->coded.rows;
	c->ic.n_tags = nt;
	c->ic.stride = stride;
	c->ic.require = c->require;
	return CUSTOS_OK;
}

/* The tag facet of r from the index's counts: every tag of the matter. */
static int tag_facet(custos_search_result_t *r, const custos_index_results_t *ir,
                     const search_coding_t *c)
{
	const char *const *names;
	size_t nt = custos_matter__tag_names(c->reader, &names);
	custos_facet_t *f = &r->facets[CUSTOS_FACET_TAG];
	bool oom = false;
	if (!(f->v = custos_arena_alloc(&r->arena, (nt + 1) * sizeof *f->v)))
		return CUSTOS_ENOMEM;
	for (size_t t = 0; t < nt; t++) {
		f->v[t].value = adup(&r->arena, names[t], &oom);
		f->v[t].count = ir->tag_counts ? ir->tag_counts[t] : 0;
	}
	f->n = nt;
	/* most first, then by name, as the other facets */
	for (size_t i = 1; i < nt; i++)
		for (size_t j = i; j > 0; j--) {
			custos_facet_value_t *x = &f->v[j - 1], *y = &f->v[j];
			if (x->count > y->count || (x->count == y->count && strcmp(x->value, y->value) <= 0))
				break;
			custos_facet_value_t tmp = *x;
			*x = *y;
			*y = tmp;
		}
	return oom ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_archive_search(custos_session_t *s, const char *query,
                          const custos_search_opts_t *opts, custos_search_result_t **out)
{
	search_coding_t coding = { 0 };
	static const custos_search_opts_t defaults = CUSTOS_SEARCH_OPTS_INIT;
	custos_index_results_t *ir = NULL;
	custos_index_t *idx = NULL;
	custos_store_t *st = NULL;
	text_ctx_t tc;
	uint64_t last = 0;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	custos_record_init(&tc.rec);
	if ((rc = custos_session__begin(s, CUSTOS_OP_SEARCH, "search")) < 0)
		goto audit;
	if (opts->limit > 1000000 || opts->offset > 1000000) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "limit and offset go up to 1000000");
		goto audit;
	}
	if (opts->count_only && opts->facets) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "a count has no facets: ask for one or "
		                    "the other");
		goto audit;
	}
	if ((rc = check_lang(s, opts->lang)) < 0)
		goto audit;
	if (!opts->matter && (opts->n_tags || (opts->facets & CUSTOS_FACET_BIT(CUSTOS_FACET_TAG)))) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "tags are a matter's: narrowing by tag "
		                    "or the tag facet needs a matter");
		goto audit;
	}
	if (opts->matter && (rc = search_coding(s, opts, &coding)) < 0)
		goto audit;
	for (int attempt = 0;; attempt++) {
		custos_index_results_free(ir);
		ir = NULL;
		/* the index first: the store snapshot is then at least as new */
		if ((rc = custos_session__index(s, &idx)) < 0 || (rc = custos_session__store(s, &st)) < 0)
			goto audit;
		if ((rc = run_search(s, st, idx, query, opts,
		                     opts->n_tags || coding.ic.count ? &coding.ic : NULL, &tc,
		                     &ir, &last)) == CUSTOS_OK ||
		    !custos_session__index_moved(s, rc, attempt))
			break;
	}
	if (rc == CUSTOS_OK && ((rc = convert(out, ir, last)) < 0 ||
	                        (coding.ic.count && (rc = tag_facet(*out, ir, &coding)) < 0)))
		custos_err_set(&s->err, rc, "out of memory");
audit:;
	custos_buf_t p = { 0 }, r = { 0 };
	custos_buf_adds(&p, "{\"query\":");
	custos_buf_add_json_str(&p, query, strlen(query));
	custos_buf_printf(&p, ",\"limit\":%zu,\"offset\":%zu,\"sort\":%d,\"count_only\":%s,"
	                  "\"query_flags\":%u", opts->limit, opts->offset, (int)opts->sort,
	                  opts->count_only ? "true" : "false", opts->query_flags);
	if (opts->matter) {
		custos_buf_adds(&p, ",\"matter\":");
		custos_buf_add_json_str(&p, opts->matter, strlen(opts->matter));
		custos_buf_adds(&p, ",\"tags\":[");
		for (size_t i = 0; i < opts->n_tags; i++) {
			custos_buf_adds(&p, i ? "," : "");
			custos_buf_add_json_str(&p, opts->tags[i] ? opts->tags[i] : "",
			                        opts->tags[i] ? strlen(opts->tags[i]) : 0);
		}
		custos_buf_addc(&p, ']');
	}
	custos_buf_addc(&p, '}');
	if (rc == CUSTOS_OK)
		custos_buf_printf(&r, "{\"hits\":%llu,\"exact\":true,\"watermark\":%llu}",
		                  (unsigned long long)(*out)->total,
		                  (unsigned long long)(*out)->watermark);
	else {
		custos_buf_adds(&r, "{\"error\":");
		custos_buf_add_json_str(&r, s->err.msg, strlen(s->err.msg));
		custos_buf_addc(&r, '}');
	}
	custos_index_results_free(ir);
	search_coding_free(&coding);
	custos_record_free(&tc.rec);
	rc = custos_session__audit(s, "search", p.data, r.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&r);
	if (rc < 0) {
		custos_search_result_free(*out);
		*out = NULL;
	}
	return rc;
}

void custos_term_report_free(custos_term_report_t *r)
{
	custos_index_term_report_free(r);
}

int custos_archive_report_terms(custos_session_t *s, const char *const *queries, size_t n,
                                unsigned query_flags, const char *source,
                                const char *source_sha256, custos_term_report_t **out,
                                uint64_t *watermark)
{
	custos_index_t *idx = NULL;
	custos_store_t *st = NULL;
	uint64_t wm = 0;
	int rc;
	*out = NULL;
	if ((rc = custos_session__begin(s, CUSTOS_OP_SEARCH, "run search-term reports")) < 0)
		goto audit;
	for (int attempt = 0;; attempt++) {
		custos_term_report_free(*out);
		*out = NULL;
		if ((rc = custos_session__index(s, &idx)) < 0 || (rc = custos_session__store(s, &st)) < 0)
			goto audit;
		if ((rc = custos_index_watermark(idx, &wm)) == CUSTOS_OK)
			rc = custos_index_term_report(idx, out, queries, n, query_flags);
		if (rc == CUSTOS_OK)
			break;
		custos_err_set(&s->err, rc, "%s", custos_index_errmsg(idx));
		if (!custos_session__index_moved(s, rc, attempt))
			break;
	}
audit:;
	/* what makes it reproducible: the exact queries (by the list's hash) and
	 * the index state they ran against */
	custos_buf_t p = { 0 }, r = { 0 };
	custos_buf_addc(&p, '{');
	if (source)
		custos_lib__json_kv(&p, "file", source);
	if (source_sha256)
		custos_lib__json_kv(&p, "file_sha256", source_sha256);
	custos_buf_printf(&p, "%s\"queries\":%zu,\"query_flags\":%u}", p.len > 1 ? "," : "", n,
	                  query_flags);
	if (*out)
		custos_buf_printf(&r, "{\"distinct\":%llu,\"watermark\":%llu,\"complete\":%s}",
		                  (unsigned long long)(*out)->distinct, (unsigned long long)wm,
		                  (*out)->incomplete ? "false" : "true");
	rc = custos_session__audit(s, "report-terms", p.data, r.data, rc);
	custos_buf_free(&p);
	custos_buf_free(&r);
	if (rc < 0) {
		custos_term_report_free(*out);
		*out = NULL;
	}
	if (watermark)
		*watermark = wm;
	return rc;
}

/* ---- records -------------------------------------------------------------- */

void custos_items_free(custos_items_t *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		custos_record_free(&l->v[i].rec);
	free(l->v);
	custos_arena_free(&l->arena);
	memset(l, 0, sizeof *l);
}

typedef struct { uint64_t seq; custos_buf_t json; } tomb_t;

static int tomb_fn(void *ctx, uint64_t seq, const char *json, size_t n)
{
	tomb_t *t = ctx;
	if (seq != t->seq)
		return 0;
	custos_buf_add(&t->json, json, n);
	return 1;
}

static custos_item_t *item_add(custos_items_t *l, size_t *cap)
{
	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		custos_item_t *nv = realloc(l->v, nc * sizeof *nv);
		if (!nv)
			return NULL;
		l->v = nv;
		*cap = nc;
	}
	custos_item_t *it = &l->v[l->n++];
	memset(it, 0, sizeof *it);
	custos_record_init(&it->rec);
	return it;
}

/* Fills item with version i (0-based) of the record whose seqs are given. */
static int item_fill(custos_session_t *s, custos_store_t *st, custos_items_t *l,
                     custos_item_t *it, const char *id, const uint64_t *seqs, size_t n, size_t i)
{
	int rc;
	if (!(it->id = custos_arena_strdup(&l->arena, id)))
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	it->seq = seqs[i];
	it->version = (uint32_t)i + 1;
	it->n_versions = (uint32_t)n;
	it->current = i + 1 == n;
	if ((rc = custos_store_get_seq(st, seqs[i], &it->rec)) == CUSTOS_OK)
		return CUSTOS_OK;
	if (rc != CUSTOS_ENOTFOUND)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", id);
	/* disposed of: its tombstone is what the archive keeps */
	tomb_t t = { seqs[i], { 0 } };
	custos_store_tombstones(st, id, tomb_fn, &t);
	if (!t.json.len) {
		custos_buf_free(&t.json);
		return custos_session__fail(s, CUSTOS_ECORRUPT, NULL, "record %s version %zu (seq %llu) "
		                            "is neither stored nor disposed of", id, i + 1,
		                            (unsigned long long)seqs[i]);
	}
	it->disposed = true;
	it->tombstone = custos_arena_strdup(&l->arena, t.json.data);
	custos_buf_free(&t.json);
	return it->tombstone ? CUSTOS_OK : custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
}

/* A string field of a tombstone, copied into out (cap bytes); false when
 * it has none. */
static bool tomb_field(const char *tomb, const char *key, char *out, size_t cap)
{
	json_t *o = json_loads(tomb, 0, NULL);
	const char *v = o ? json_string_value(json_object_get(o, key)) : NULL;
	if (v)
		snprintf(out, cap, "%s", v);
	json_decref(o);
	return v != NULL;
}

static int64_t item_created(const custos_item_t *it)
{
	char t[64];
	int64_t ms;
	if (!it->disposed)
		return it->rec.created_at;
	if (tomb_field(it->tombstone, "created_at", t, sizeof t) &&
	    custos_time_parse(&ms, t, strlen(t)) == 0)
		return ms;
	return CUSTOS_TIME_NONE;
}

/* The thread root of record id, whose latest version it reads into a
 * scratch list: through the store for a live record, and through the
 * tombstones' in_reply_to and thread for disposed ones (so the
 * conversation of a disposed record can still be shown). */
static int thread_root_of(custos_session_t *s, custos_store_t *st, const char *id,
                          custos_buf_t *root)
{
	custos_root_cache_t *cache = malloc(sizeof *cache);
	custos_items_t tmp = { 0 };
	char cur[1024];
	int rc = CUSTOS_OK;
	if (!cache)
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	custos_lib__root_cache_init(cache);
	snprintf(cur, sizeof cur, "%s", id);
	custos_buf_clear(root);
	for (int depth = 0; depth < 10000; depth++) {
		uint64_t *seqs = NULL;
		size_t n = 0, cap = 0;
		if ((rc = custos_store_versions(st, cur, &seqs, &n)) < 0) {
			custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", cur);
			break;
		}
		if (!n) {
			/* a parent never captured: the conversation's root as far as the
			 * archive knows */
			free(seqs);
			break;
		}
		custos_items_free(&tmp);
		custos_item_t *it = item_add(&tmp, &cap);
		rc = it ? item_fill(s, st, &tmp, it, cur, seqs, n, n - 1)
		        : custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		free(seqs);
		if (rc < 0)
			break;
		if (!it->disposed) {
			const char *r = NULL;
			if ((rc = custos_lib__thread_root(st, cache, &it->rec, &r, &s->err)) == 0)
				snprintf(cur, sizeof cur, "%s", r ? r : it->rec.id);
			break;
		}
		char next[1024];
		if (tomb_field(it->tombstone, "thread", next, sizeof next)) {
			snprintf(cur, sizeof cur, "%s", next);
			break;
		}
		if (!tomb_field(it->tombstone, "in_reply_to", next, sizeof next) || !strcmp(next, cur))
			break;
		snprintf(cur, sizeof cur, "%s", next);
	}
	if (rc == CUSTOS_OK && custos_buf_adds(root, cur) < 0)
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	custos_items_free(&tmp);
	custos_lib__root_cache_free(cache);
	free(cache);
	return rc;
}

/* Adds record id (its latest version, or its tombstone) to the list,
 * unless it is there (in have) or not stored. */
static int thread_add(custos_session_t *s, custos_store_t *st, custos_items_t *out,
                      size_t *cap, custos_lib__idset_t *have, const char *id)
{
	uint64_t *ms = NULL;
	size_t mn = 0;
	int rc;
	if (custos_lib__idset_at(have, id) != SIZE_MAX)
		return CUSTOS_OK;
	if ((rc = custos_store_versions(st, id, &ms, &mn)) < 0)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", id);
	if (mn) {
		custos_item_t *m = item_add(out, cap);
		rc = m ? item_fill(s, st, out, m, id, ms, mn, mn - 1)
		       : custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		if (rc == CUSTOS_OK && custos_lib__idset_add(have, id, NULL) < 0)
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
	free(ms);
	return rc;
}

static int cmp_item(const void *x, const void *y)
{
	const custos_item_t *a = x, *b = y;
	int64_t ta = item_created(a), tb = item_created(b);
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* The conversation of record id, oldest first: its live members from the
 * index, the record itself whatever became of it, and the tombstones of
 * the members disposed of that a reply still names (the index forgot
 * them, the chain of replies did not). */
static int show_thread(custos_session_t *s, custos_store_t *st, const char *id,
                       custos_items_t *out)
{
	custos_buf_t root = { 0 };
	custos_index_t *idx = NULL;
	custos_lib__thread_t l = { 0 };
	custos_lib__idset_t have = { 0 };
	size_t cap = 0;
	int rc;
	if ((rc = thread_root_of(s, st, id, &root)) < 0 ||
	    (rc = custos_session__index(s, &idx)) < 0 ||
	    (rc = custos_lib__thread_members(idx, root.data, &l, &s->err)) < 0)
		goto done;
	for (size_t i = 0; i < l.n && rc == CUSTOS_OK; i++)
		rc = thread_add(s, st, out, &cap, &have, l.v[i].id);
	if (rc == CUSTOS_OK)
		rc = thread_add(s, st, out, &cap, &have, id);
	if (rc == CUSTOS_OK)
		rc = thread_add(s, st, out, &cap, &have, root.data);
	/* the parents the members name: a gap is a disposed record */
	for (size_t i = 0; i < out->n && rc == CUSTOS_OK; i++) {
		char parent[1024];
		const custos_item_t *it = &out->v[i];
		if (!it->disposed && it->rec.in_reply_to)
			snprintf(parent, sizeof parent, "%s", it->rec.in_reply_to);
		else if (!it->disposed || !tomb_field(it->tombstone, "in_reply_to", parent,
		                                      sizeof parent))
			continue;
		rc = thread_add(s, st, out, &cap, &have, parent);
	}
	if (rc == CUSTOS_OK && out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, cmp_item);
done:
	custos_buf_free(&root);
	custos_lib__thread_free(&l);
	custos_lib__idset_free(&have);
	return rc;
}

/* The record *id names, with its versions' seqs (oldest first) and the
 * index of its current one. *id may be an edit's own platform id: the index
 * knows the record it is a version of, and *id then points at *resolved. The
 * current version is the one the platform says is latest: the latest edit
 * time (an unedited version before any edit), the last captured among
 * equals; disposed versions are passed over. */
static int resolve(custos_session_t *s, custos_store_t *st, const char **id, char **resolved,
                   uint64_t **seqs, size_t *n, size_t *current)
{
	custos_index_idlist_t l = { 0 };
	custos_record_t rec;
	int64_t best = INT64_MIN;
	int rc;
	if ((rc = custos_store_versions(st, *id, seqs, n)) < 0)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", *id);
	if (*n == 0) {
		custos_index_t *idx = NULL;
		char q[4300];
		snprintf(q, sizeof q, "id:\"%s\"", *id);
		if (!strchr(*id, '"') && strlen(*id) < 4000 && custos_session__index(s, &idx) == 0 &&
		    custos_index_match_ids(idx, &l, q) == 0 && l.n == 1 &&
		    (*resolved = strdup(l.v[0].id)) != NULL) {
			free(*seqs);
			*seqs = NULL;
			*id = *resolved;
			rc = custos_store_versions(st, *id, seqs, n);
		}
		custos_index_idlist_free(&l);
		custos_err_clear(&s->err);
		if (rc < 0)
			return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read %s", *id);
		if (*n == 0)
			return custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no record '%s'", *id);
	}
	*current = *n - 1;
	custos_record_init(&rec);
	for (size_t i = 0; i < *n; i++) {
		int g = custos_store_get_seq(st, (*seqs)[i], &rec);
		if (g == CUSTOS_ENOTFOUND)
			continue;
		if (g < 0) {
			custos_record_free(&rec);
			return custos_session__fail(s, g, custos_store_err(st)->msg, "cannot read %s", *id);
		}
		int64_t e = rec.edited_at == CUSTOS_TIME_NONE ? INT64_MIN + 1 : rec.edited_at;
		if (e >= best) {
			best = e;
			*current = i;
		}
	}
	custos_record_free(&rec);
	return CUSTOS_OK;
}

int custos_archive_show(custos_session_t *s, const char *id, uint32_t version, int what,
                        custos_items_t *out)
{
	custos_store_t *st = NULL;
	uint64_t *seqs = NULL;
	size_t n = 0, cap = 0, current = 0;
	char *resolved = NULL;
	const char *asked = id;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_READ, "read records")) < 0 ||
	    (rc = custos_session__store(s, &st)) < 0)
		goto audit;
	if ((rc = resolve(s, st, &id, &resolved, &seqs, &n, &current)) < 0)
		goto audit;
	if (what == CUSTOS_SHOW_ONE && version > n) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "record '%s' has %zu version%s, not %u",
		                    id, n, n == 1 ? "" : "s", version);
		goto audit;
	}
	if (what == CUSTOS_SHOW_VERSIONS) {
		for (size_t i = 0; i < n && rc == CUSTOS_OK; i++) {
			custos_item_t *it = item_add(out, &cap);
			rc = it ? item_fill(s, st, out, it, id, seqs, n, i)
			        : custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		}
	} else if (what == CUSTOS_SHOW_THREAD) {
		rc = show_thread(s, st, id, out);
	} else {
		custos_item_t *it = item_add(out, &cap);
		rc = it ? item_fill(s, st, out, it, id, seqs, n, version ? version - 1 : current)
		        : custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
	/* the current version is the platform's latest, whatever the order of capture */
	for (size_t i = 0; rc == CUSTOS_OK && what != CUSTOS_SHOW_THREAD && i < out->n; i++)
		out->v[i].current = out->v[i].seq == seqs[current];
audit:
	free(seqs);
	if (rc < 0)
		custos_items_free(out);
	custos_buf_t p = { 0 };
	custos_buf_adds(&p, "{\"id\":");
	custos_buf_add_json_text(&p, asked, strlen(asked));
	if (resolved && strcmp(resolved, asked))
		custos_lib__json_kv(&p, "record", resolved);
	custos_buf_printf(&p, ",\"what\":\"%s\"", what == CUSTOS_SHOW_VERSIONS ? "versions" :
	                  what == CUSTOS_SHOW_THREAD ? "thread" : "record");
	if (version)
		custos_buf_printf(&p, ",\"version\":%u", version);
	custos_buf_addc(&p, '}');
	rc = custos_session__audit(s, "show", p.data, NULL, rc);
	custos_buf_free(&p);
	free(resolved);
	if (rc < 0)
		custos_items_free(out);
	return rc;
}

int custos_archive_media(custos_session_t *s, const char *hex, void **p, size_t *n)
{
	custos_store_t *st = NULL;
	int rc;
	*p = NULL;
	*n = 0;
	if ((rc = custos_session__begin(s, CUSTOS_OP_READ, "read media")) == CUSTOS_OK &&
	    (rc = custos_session__store(s, &st)) == CUSTOS_OK &&
	    (rc = custos_store_blob_get(st, hex, p, n)) < 0)
		custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read media %.64s", hex);
	custos_buf_t b = { 0 };
	custos_buf_adds(&b, "{\"sha256\":");
	custos_buf_add_json_str(&b, hex, strlen(hex));
	custos_buf_addc(&b, '}');
	rc = custos_session__audit(s, "media", b.data, NULL, rc);
	custos_buf_free(&b);
	if (rc < 0) {
		free(*p);
		*p = NULL;
		*n = 0;
	}
	return rc;
}

typedef struct {
	custos_quarantined_fn fn;
	void *ctx;
	uint64_t n;
} qlist_t;

static int qlist_fn(void *ctx, const custos_quarantine_entry_t *e)
{
	qlist_t *q = ctx;
	q->n++;
	return q->fn(q->ctx, e);
}

int custos_archive_quarantine_list(custos_session_t *s, custos_quarantined_fn fn, void *ctx)
{
	custos_store_t *st = NULL;
	qlist_t q = { fn, ctx, 0 };
	int rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_READ, "read the quarantine")) == CUSTOS_OK &&
	    (rc = custos_session__store(s, &st)) == CUSTOS_OK &&
	    (rc = custos_store_quarantine_list(st, qlist_fn, &q)) < 0)
		custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot list the quarantine");
	char r[64];
	snprintf(r, sizeof r, "{\"items\":%llu}", (unsigned long long)q.n);
	return custos_session__audit(s, "quarantine-list", NULL, r, rc);
}

int custos_archive_quarantine_get(custos_session_t *s, uint64_t n, custos_quarantine_entry_t *e,
                                  void **raw, size_t *raw_len)
{
	custos_store_t *st = NULL;
	int rc;
	*raw = NULL;
	*raw_len = 0;
	if ((rc = custos_session__begin(s, CUSTOS_OP_READ, "read the quarantine")) == CUSTOS_OK &&
	    (rc = custos_session__store(s, &st)) == CUSTOS_OK &&
	    (rc = custos_store_quarantine_get(st, n, e, raw, raw_len)) < 0) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_err_set(&s->err, rc, "no quarantine item %llu", (unsigned long long)n);
		else
			custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read quarantine "
			                     "item %llu", (unsigned long long)n);
	}
	char p[64];
	snprintf(p, sizeof p, "{\"n\":%llu}", (unsigned long long)n);
	rc = custos_session__audit(s, "quarantine-show", p, NULL, rc);
	if (rc < 0) {
		free(*raw);
		*raw = NULL;
		*raw_len = 0;
	}
	return rc;
}

/* ---- statistics ------------------------------------------------------------ */

void custos_stats_free(custos_stats_t *st)
{
	if (!st)
		return;
	custos_store_stats_free(&st->store);
}

int custos_archive_stats(custos_session_t *s, custos_stats_t *out)
{
	custos_store_t *st = NULL;
	custos_index_t *idx = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_STATS, "read the archive's statistics")) < 0 ||
	    (rc = custos_session__store(s, &st)) < 0)
		return rc;
	if ((rc = custos_store_stats(st, &out->store)) < 0)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read statistics");
	char path[4200];
	custos_lib__index_path(path, sizeof path, s->a->dir);
	custos_err_t ierr = { 0 };
	if (access(path, F_OK) < 0)
		return CUSTOS_OK;   /* nothing indexed yet */
	if (custos_session__index(s, &idx) == CUSTOS_OK &&
	    custos_index_watermark(idx, &out->index_watermark) == CUSTOS_OK) {
		out->index_present = true;
		out->index_lag = out->store.last_seq > out->index_watermark
		               ? out->store.last_seq - out->index_watermark : 0;
	} else {
		ierr = s->err;
		snprintf(out->index_error, sizeof out->index_error, "%.250s",
		         idx ? custos_index_errmsg(idx) : ierr.msg);
		custos_err_clear(&s->err);
	}
	return CUSTOS_OK;
}
