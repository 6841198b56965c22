/* Legal holds over the index and disposition runs: which records are past
 * retention and held by nothing, and disposing of exactly those. */
#include "archive_internal.h"
#include "custos_indexer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

/* Every record: the query language has no "*", but a pure NOT is every
 * record without its operand, and no record has this platform. */
#define MATCH_ALL_QUERY "NOT platform:custos-match-all-none"

enum { DISPOSE_BATCH = 2000 };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *arena_strdup(custos_arena_t *ar, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = custos_arena_alloc(ar, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

static int index_open(custos_archive_t *a, unsigned flags, custos_index_t **out)
{
	int err;
	if ((err = custos_archive_index_open(a, flags, out)) < 0)
		custos_err_prefix(&a->err, "cannot open the search index");
	return err;
}

static int index_fail(custos_archive_t *a, custos_index_t *idx, int err, const char *what)
{
	return custos_err_set(&a->err, err, "%s: %s", what, custos_index_errmsg(idx));
}

static int policy_fail(custos_archive_t *a, custos_policy_t *p, int err)
{
	const custos_err_t *pe = custos_policy_err(p);
	custos_err_set(&a->err, err, "%s", pe->msg[0] ? pe->msg : custos_status_str(err));
	return err;
}

static void change_init(custos_archive_t *a, custos_policy_change_t *c, const char *msg)
{
	memset(c, 0, sizeof *c);
	c->actor = a->actor;
	c->message = msg;
}

/* Records hold membership for the matches of query: (id, content hash of
 * the version indexed). */
static int add_matches(custos_archive_t *a, custos_policy_t *p, const char *name,
                       const custos_index_idlist_t *m, size_t *added)
{
	custos_hold_member_t *mem = NULL;
	char (*hex)[CUSTOS_SHA256_HEX] = NULL;
	uint64_t *seqs = NULL;
	int err = CUSTOS_OK;
	*added = 0;
	if (!m->n)
		return CUSTOS_OK;
	if (!(mem = malloc(m->n * sizeof *mem)) || !(hex = malloc(m->n * sizeof *hex)) ||
	    !(seqs = malloc(m->n * sizeof *seqs))) {
		err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < m->n; i++)
		seqs[i] = m->v[i].seq;
	if ((err = custos_store_content_hashes(a->store, seqs, m->n, hex)) < 0) {
		custos_err_set(&a->err, err, "%s", custos_store_err(a->store)->msg);
		goto done;
	}
	for (size_t i = 0; i < m->n; i++) {
		mem[i].id = m->v[i].id;
		mem[i].sha256 = hex[i];
	}
	if ((err = custos_hold_add_members(p, name, mem, m->n, added)) < 0)
		policy_fail(a, p, err);
done:
	free(mem);
	free(hex);
	free(seqs);
	return err;
}

int custos_archive_hold_create(custos_archive_t *a, const char *name, const char *query,
                               const char *reason, uint64_t *matched,
                               char commit[CUSTOS_COMMIT_HEX])
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	custos_index_idlist_t m = { 0 };
	custos_hold_member_t *mem = NULL;
	char (*hex)[CUSTOS_SHA256_HEX] = NULL;
	uint64_t *seqs = NULL;
	custos_policy_change_t c;
	custos_buf_t params = { 0 }, result = { 0 };
	char cm[CUSTOS_COMMIT_HEX] = "";
	int err;

	if (matched)
		*matched = 0;
	if (!(a->flags & CUSTOS_OPEN_WRITE)) {
		err = custos_err_set(&a->err, CUSTOS_EINVAL, "holds are created with the archive "
		                     "open for writing (so no disposition run is in progress)");
		goto audit;
	}
	custos_err_t qe = { 0 };
	if ((err = custos_index_query_check(query, &qe)) < 0) {
		custos_err_set(&a->err, err, "invalid query: %s", qe.msg);
		goto audit;
	}
	if ((err = custos_archive_policy_open(a, &p)) < 0)
		goto audit;
	/* the hold sees every record stored so far: with the writer lock held,
	 * nothing is added while the index catches up */
	if ((err = custos_archive_index_catch_up(a, false, NULL, NULL, NULL)) < 0) {
		custos_err_prefix(&a->err, "cannot bring the search index up to date");
		goto audit;
	}
	if ((err = index_open(a, CUSTOS_INDEX_READ, &idx)) < 0)
		goto audit;
	if ((err = custos_index_match_ids(idx, &m, query)) < 0) {
		index_fail(a, idx, err, "cannot run the hold's query");
		goto audit;
	}
	if (m.n && (!(mem = malloc(m.n * sizeof *mem)) || !(hex = malloc(m.n * sizeof *hex)) ||
	            !(seqs = malloc(m.n * sizeof *seqs)))) {
		err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	for (size_t i = 0; i < m.n; i++)
		seqs[i] = m.v[i].seq;
	if (m.n && (err = custos_store_content_hashes(a->store, seqs, m.n, hex)) < 0) {
		custos_err_set(&a->err, err, "%s", custos_store_err(a->store)->msg);
		goto audit;
	}
	for (size_t i = 0; i < m.n; i++) {
		mem[i].id = m.v[i].id;
		mem[i].sha256 = hex[i];
	}
	change_init(a, &c, NULL);
	if ((err = custos_hold_create(p, name, query, reason ? reason : "", mem, m.n, &c, cm)) < 0) {
		policy_fail(a, p, err);
		goto audit;
	}
	if (matched)
		*matched = m.n;
	if (commit)
		memcpy(commit, cm, CUSTOS_COMMIT_HEX);
audit:
	custos_buf_addc(&params, '{');
	custos_archive__json_kv(&params, "name", name);
	custos_archive__json_kv(&params, "query", query);
	custos_archive__json_kv(&params, "reason", reason ? reason : "");
	custos_buf_addc(&params, '}');
	if (err == CUSTOS_OK)
		custos_buf_printf(&result, "{\"members\":%zu,\"commit\":\"%s\"}", m.n, cm);
	else
		custos_buf_printf(&result, "{\"error\":\"%s\"}", custos_status_str(err));
	{
		custos_err_t keep = a->err;
		int aerr = custos_archive_audit(a, "hold-create", params.data, result.data, err);
		if (err == CUSTOS_OK)
			err = aerr;
		else
			a->err = keep;
	}
	custos_buf_free(&params);
	custos_buf_free(&result);
	free(mem);
	free(hex);
	free(seqs);
	custos_index_idlist_free(&m);
	custos_index_free(idx);
	custos_policy_free(p);
	return err;
}

int custos_archive_hold_release(custos_archive_t *a, const char *name, const char *reason,
                                char commit[CUSTOS_COMMIT_HEX])
{
	custos_policy_t *p = NULL;
	custos_policy_change_t c;
	custos_buf_t params = { 0 }, result = { 0 };
	char cm[CUSTOS_COMMIT_HEX] = "";
	int err;

	if (!(a->flags & CUSTOS_OPEN_WRITE)) {
		err = custos_err_set(&a->err, CUSTOS_EINVAL, "holds are released with the archive "
		                     "open for writing");
		goto audit;
	}
	if ((err = custos_archive_policy_open(a, &p)) < 0)
		goto audit;
	/* what the hold gathered up to now is recorded before it stops growing */
	{
		custos_index_t *idx = NULL;
		custos_holds_t h = { 0 };
		if (custos_hold_get(p, name, &h) == 0 && h.n == 1 && h.v[0].active &&
		    index_open(a, CUSTOS_INDEX_READ, &idx) == 0) {
			custos_index_idlist_t m = { 0 };
			size_t added;
			if (custos_index_match_ids(idx, &m, h.v[0].query) == 0)
				add_matches(a, p, name, &m, &added);
			custos_index_idlist_free(&m);
		}
		custos_index_free(idx);
		custos_holds_free(&h);
	}
	change_init(a, &c, NULL);
	if ((err = custos_hold_release(p, name, reason, &c, cm)) < 0) {
		policy_fail(a, p, err);
		if (err == CUSTOS_EINVAL && reason && *reason)
			custos_err_prefix(&a->err, "cannot release hold '%s'", name);
		goto audit;
	}
	if (commit)
		memcpy(commit, cm, CUSTOS_COMMIT_HEX);
audit:
	custos_buf_addc(&params, '{');
	custos_archive__json_kv(&params, "name", name);
	custos_archive__json_kv(&params, "reason", reason ? reason : "");
	custos_buf_addc(&params, '}');
	if (err == CUSTOS_OK)
		custos_buf_printf(&result, "{\"commit\":\"%s\"}", cm);
	else
		custos_buf_printf(&result, "{\"error\":\"%s\"}", custos_status_str(err));
	{
		custos_err_t keep = a->err;
		int aerr = custos_archive_audit(a, "hold-release", params.data, result.data, err);
		if (err == CUSTOS_OK)
			err = aerr;
		else
			a->err = keep;
	}
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_policy_free(p);
	return err;
}

/* Refresh with an open policy and index. */
static int refresh(custos_archive_t *a, custos_policy_t *p, custos_index_t *idx,
                   uint64_t *added_out)
{
	custos_holds_t h = { 0 };
	uint64_t added = 0;
	int err;
	if ((err = custos_hold_list(p, &h)) < 0)
		return policy_fail(a, p, err);
	for (size_t i = 0; i < h.n; i++) {
		custos_index_idlist_t m = { 0 };
		size_t n = 0;
		if (!h.v[i].active)
			continue;
		if ((err = custos_index_match_ids(idx, &m, h.v[i].query)) < 0) {
			index_fail(a, idx, err, "cannot run a hold's query");
			custos_err_prefix(&a->err, "hold '%s'", h.v[i].name);
			goto done;
		}
		err = add_matches(a, p, h.v[i].name, &m, &n);
		custos_index_idlist_free(&m);
		if (err < 0)
			goto done;
		added += n;
	}
	if (added) {
		custos_policy_change_t c;
		change_init(a, &c, "Record the records that joined legal holds");
		if ((err = custos_hold_checkpoint(p, &c, NULL)) < 0) {
			policy_fail(a, p, err);
			goto done;
		}
	}
	err = CUSTOS_OK;
done:
	custos_holds_free(&h);
	if (added_out)
		*added_out = added;
	return err;
}

int custos_archive_holds_refresh(custos_archive_t *a, uint64_t *added)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	uint64_t n = 0;
	int err;
	if (added)
		*added = 0;
	if ((err = custos_archive_policy_open(a, &p)) < 0)
		return err;
	if ((err = index_open(a, CUSTOS_INDEX_READ, &idx)) < 0)
		goto done;
	if ((err = refresh(a, p, idx, &n)) < 0)
		goto done;
	if (n) {
		char r[64];
		snprintf(r, sizeof r, "{\"added\":%llu}", (unsigned long long)n);
		err = custos_archive_audit(a, "hold-grow", "{}", r, CUSTOS_OK);
	}
	if (added)
		*added = n;
done:
	custos_index_free(idx);
	custos_policy_free(p);
	return err;
}

/* ---- hold reports --------------------------------------------------------- */

void custos_hold_report_free(custos_hold_report_t *r)
{
	if (!r)
		return;
	custos_holds_free(&r->holds);
	free(r->covers);
	free(r->v);
	custos_arena_free(&r->arena);
	memset(r, 0, sizeof *r);
}

typedef struct {
	char  **v;
	size_t  n, cap;
	custos_arena_t *ar;
	int     err;
} idvec_t;

static int idvec_fn(void *ctx, const char *id, const char *sha)
{
	idvec_t *iv = ctx;
	(void)sha;
	if (iv->n == iv->cap) {
		size_t cap = iv->cap ? iv->cap * 2 : 64;
		char **nv = realloc(iv->v, cap * sizeof *nv);
		if (!nv)
			return iv->err = CUSTOS_ENOMEM;
		iv->v = nv;
		iv->cap = cap;
	}
	if (!(iv->v[iv->n++] = arena_strdup(iv->ar, id)))
		return iv->err = CUSTOS_ENOMEM;
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The hold's records: sorted unique member ids merged with the query's
 * matches (sorted by id). With out_v NULL only counts. */
static int hold_records(custos_archive_t *a, custos_policy_t *p, custos_index_t *idx,
                        const custos_hold_t *h, custos_arena_t *ar, uint64_t *count,
                        custos_hold_record_t **out_v, size_t *out_n)
{
	idvec_t iv = { NULL, 0, 0, ar, 0 };
	custos_index_idlist_t m = { 0 };
	custos_hold_record_t *v = NULL;
	size_t n = 0;
	int err;

	if ((err = custos_hold_members(p, h->name, idvec_fn, &iv)) < 0 || iv.err) {
		err = iv.err ? custos_err_set(&a->err, iv.err, "out of memory") : policy_fail(a, p, err);
		goto done;
	}
	if (iv.n)
		qsort(iv.v, iv.n, sizeof *iv.v, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < iv.n; i++)
		if (!u || strcmp(iv.v[u - 1], iv.v[i]))
			iv.v[u++] = iv.v[i];
	iv.n = u;
	if (h->active && idx && (err = custos_index_match_ids(idx, &m, h->query)) < 0) {
		index_fail(a, idx, err, "cannot run the hold's query");
		goto done;
	}
	if (out_v && !(v = calloc(iv.n + m.n + 1, sizeof *v))) {
		err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	size_t i = 0, j = 0;
	while (i < iv.n || j < m.n) {
		int c = i == iv.n ? 1 : j == m.n ? -1 : strcmp(iv.v[i], m.v[j].id);
		if (v) {
			custos_hold_record_t *r = &v[n];
			r->id = arena_strdup(ar, c <= 0 ? iv.v[i] : m.v[j].id);
			if (!r->id) {
				err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			r->member = c <= 0;
			r->matches = c >= 0;
			r->created_at = c >= 0 ? m.v[j].created_at : CUSTOS_TIME_NONE;
		}
		n++;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	/* a released hold covers nothing now; its members are shown by hold show */
	*count = h->active ? n : 0;
	if (out_v) {
		*out_v = v;
		*out_n = n;
		v = NULL;
	}
	err = CUSTOS_OK;
done:
	free(v);
	free(iv.v);
	custos_index_idlist_free(&m);
	return err;
}

static int hold_report(custos_archive_t *a, const char *name, custos_hold_report_t *out)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	int err;
	memset(out, 0, sizeof *out);
	if ((err = custos_archive_policy_open(a, &p)) < 0)
		return err;
	err = name ? custos_hold_get(p, name, &out->holds) : custos_hold_list(p, &out->holds);
	if (err < 0) {
		policy_fail(a, p, err);
		if (err == CUSTOS_ENOTFOUND)
			custos_err_set(&a->err, err, "no hold named '%s'", name);
		goto done;
	}
	if (out->holds.n && (err = index_open(a, CUSTOS_INDEX_READ, &idx)) < 0)
		goto done;
	if (!(out->covers = calloc(out->holds.n + 1, sizeof *out->covers))) {
		err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < out->holds.n; i++)
		if ((err = hold_records(a, p, idx, &out->holds.v[i], &out->arena, &out->covers[i],
		                        name ? &out->v : NULL, name ? &out->n : NULL)) < 0)
			goto done;
done:
	custos_index_free(idx);
	custos_policy_free(p);
	if (err < 0)
		custos_hold_report_free(out);
	return err;
}

int custos_archive_hold_list(custos_archive_t *a, custos_hold_report_t *out)
{
	int err = hold_report(a, NULL, out);
	char r[64];
	snprintf(r, sizeof r, "{\"holds\":%zu}", err ? (size_t)0 : out->holds.n);
	custos_err_t keep = a->err;
	int aerr = custos_archive_audit(a, "hold-list", "{}", r, err);
	if (err < 0)
		a->err = keep;
	else if (aerr < 0)
		custos_hold_report_free(out);
	return err < 0 ? err : aerr;
}

int custos_archive_hold_records(custos_archive_t *a, const char *name,
                                custos_hold_report_t *out)
{
	int err = hold_report(a, name, out);
	custos_buf_t params = { 0 };
	char r[64];
	custos_buf_addc(&params, '{');
	custos_archive__json_kv(&params, "name", name);
	custos_buf_addc(&params, '}');
	snprintf(r, sizeof r, "{\"records\":%zu}", err ? (size_t)0 : out->n);
	custos_err_t keep = a->err;
	int aerr = custos_archive_audit(a, "hold-show", params.data, r, err);
	custos_buf_free(&params);
	if (err < 0)
		a->err = keep;
	else if (aerr < 0)
		custos_hold_report_free(out);
	return err < 0 ? err : aerr;
}

/* ---- the plan ------------------------------------------------------------- */

void custos_retention_plan_free(custos_retention_plan_t *p)
{
	if (!p)
		return;
	custos_schedule_free(p->schedule);
	free(p->v);
	free(p->rules);
	custos_arena_free(&p->arena);
	free(p);
}

/* Builds the plan with an open policy and index. */
static int plan_build(custos_archive_t *a, custos_policy_t *pol, custos_index_t *idx,
                      int64_t as_of, custos_retention_plan_t **out)
{
	custos_retention_plan_t *pl;
	custos_index_idlist_t all = { 0 }, *rm = NULL, *hm = NULL, nodate = { 0 };
	size_t npos = 0;
	custos_holdset_t *hs = NULL;
	custos_holds_t holds = { 0 };
	size_t *rpos = NULL, *hpos = NULL, *hit = NULL, cap = 0;
	size_t n_active = 0, n_rm = 0;
	bool need_captured = false;
	custos_record_t rec;
	int err;

	*out = NULL;
	custos_record_init(&rec);
	if (!(pl = calloc(1, sizeof *pl)))
		return custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
	pl->as_of = as_of;
	if ((err = custos_policy_schedule_at_time(pol, as_of, &pl->schedule)) < 0) {
		policy_fail(a, pol, err);
		if (err == CUSTOS_ENOTFOUND) {
			char t[40];
			custos_time_format(t, sizeof t, as_of);
			custos_err_set(&a->err, err, "no retention schedule was in force at %s "
			               "(set one with 'custos policy set')", t);
		}
		goto done;
	}
	const custos_schedule_t *s = pl->schedule;
	memcpy(pl->commit, s->commit, CUSTOS_COMMIT_HEX);
	pl->commit_time = s->commit_time;
	pl->n_rules = s->n_rules;
	n_rm = s->n_rules;
	if (!(pl->rules = calloc(s->n_rules + 1, sizeof *pl->rules)) ||
	    !(rm = calloc(s->n_rules + 1, sizeof *rm)) ||
	    !(rpos = calloc(s->n_rules + 1, sizeof *rpos)) ||
	    !(hit = calloc(s->n_rules + 1, sizeof *hit))) {
		err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = custos_index_watermark(idx, &pl->index_watermark)) < 0 ||
	    (err = custos_index_match_ids(idx, &all, MATCH_ALL_QUERY)) < 0) {
		index_fail(a, idx, err, "cannot list the indexed records");
		goto done;
	}
	if ((err = custos_store_last_seq(a->store, &pl->store_last_seq)) < 0) {
		custos_err_set(&a->err, err, "%s", custos_store_err(a->store)->msg);
		goto done;
	}
	pl->records = all.n;
	/* records whose source gave no time: their created_at is a placeholder
	 * (1970-01-01), so they count from their capture (docs/retention.md) */
	if ((err = custos_index_match_ids(idx, &nodate, "has:nodate")) < 0) {
		index_fail(a, idx, err, "cannot list the undated records");
		goto done;
	}
	for (size_t r = 0; r < s->n_rules; r++) {
		const custos_rule_t *ru = &s->rules[r];
		pl->rules[r].name = ru->name;
		custos_retain_format(pl->rules[r].retain, sizeof pl->rules[r].retain, ru->retain);
		if (ru->from == CUSTOS_FROM_CAPTURED)
			need_captured = true;
		if (ru->match_all)
			continue;
		if ((err = custos_index_match_ids(idx, &rm[r], ru->match)) < 0) {
			index_fail(a, idx, err, "cannot run a retention rule");
			custos_err_prefix(&a->err, "rule '%s'", ru->name);
			goto done;
		}
	}
	/* holds: membership files, and what their queries match now */
	if ((err = custos_hold_list(pol, &holds)) < 0 || (err = custos_holdset_load(&hs, pol)) < 0) {
		policy_fail(a, pol, err);
		goto done;
	}
	if (!(hm = calloc(holds.n + 1, sizeof *hm)) || !(hpos = calloc(holds.n + 1, sizeof *hpos))) {
		err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < holds.n; i++) {
		if (!holds.v[i].active)
			continue;
		if ((err = custos_index_match_ids(idx, &hm[n_active++], holds.v[i].query)) < 0) {
			index_fail(a, idx, err, "cannot run a hold's query");
			goto done;
		}
	}

	for (size_t i = 0; i < all.n; i++) {
		const custos_index_ident_t *id = &all.v[i];
		size_t nh = 0, rule;
		int64_t expiry, captured = CUSTOS_TIME_NONE;
		for (size_t r = 0; r < s->n_rules; r++) {
			if (s->rules[r].match_all) {
				hit[nh++] = r;
				pl->rules[r].matched++;
				continue;
			}
			custos_index_idlist_t *l = &rm[r];
			while (rpos[r] < l->n && strcmp(l->v[rpos[r]].id, id->id) < 0)
				rpos[r]++;
			if (rpos[r] < l->n && !strcmp(l->v[rpos[r]].id, id->id)) {
				hit[nh++] = r;
				pl->rules[r].matched++;
			}
		}
		if (!nh)
			continue;   /* cannot happen: a schedule has a match-all rule */
		while (npos < nodate.n && strcmp(nodate.v[npos].id, id->id) < 0)
			npos++;
		bool undated = npos < nodate.n && !strcmp(nodate.v[npos].id, id->id);
		pl->undated += undated;
		if (need_captured || undated) {
			if ((err = custos_store_get_seq(a->store, id->seq, &rec)) < 0) {
				custos_err_set(&a->err, err, "%s", custos_store_err(a->store)->msg);
				goto done;
			}
			captured = rec.captured_at;
		}
		if ((err = custos_schedule_expiry(s, hit, nh, undated ? captured : id->created_at,
		                                  captured, &rule, &expiry)) < 0) {
			custos_err_set(&a->err, err, "cannot compute the retention of %s", id->id);
			goto done;
		}
		pl->rules[rule].deciding++;
		if (expiry > as_of)
			continue;
		bool held = custos_holdset_covers(hs, id->id, NULL, 0) > 0;
		for (size_t h = 0; h < n_active; h++) {
			custos_index_idlist_t *l = &hm[h];
			while (hpos[h] < l->n && strcmp(l->v[hpos[h]].id, id->id) < 0)
				hpos[h]++;
			if (hpos[h] < l->n && !strcmp(l->v[hpos[h]].id, id->id))
				held = true;
		}
		if (held) {
			pl->held++;
			pl->rules[rule].held++;
			continue;
		}
		if (pl->n == cap) {
			cap = cap ? cap * 2 : 1024;
			custos_plan_entry_t *nv = realloc(pl->v, cap * sizeof *nv);
			if (!nv) {
				err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			pl->v = nv;
		}
		custos_plan_entry_t *e = &pl->v[pl->n++];
		if (!(e->id = arena_strdup(&pl->arena, id->id))) {
			err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		e->seq = id->seq;
		e->created_at = id->created_at;
		e->expiry = expiry;
		e->rule = rule;
		pl->rules[rule].eligible++;
	}
	*out = pl;
	pl = NULL;
	err = CUSTOS_OK;
done:
	custos_record_free(&rec);
	custos_index_idlist_free(&all);
	custos_index_idlist_free(&nodate);
	if (rm)
		for (size_t r = 0; r < n_rm; r++)
			custos_index_idlist_free(&rm[r]);
	if (hm)
		for (size_t h = 0; h < n_active; h++)
			custos_index_idlist_free(&hm[h]);
	free(rm);
	free(hm);
	free(rpos);
	free(hpos);
	free(hit);
	custos_holdset_free(hs);
	custos_holds_free(&holds);
	custos_retention_plan_free(pl);
	return err;
}

static void plan_audit_result(custos_buf_t *r, const custos_retention_plan_t *pl,
                              const custos_retention_apply_t *ap)
{
	custos_buf_printf(r, "{\"commit\":\"%s\",\"eligible\":%zu,\"held\":%llu", pl->commit,
	                  pl->n, (unsigned long long)pl->held);
	if (ap)
		custos_buf_printf(r, ",\"records\":%llu,\"versions\":%llu,\"blobs\":%llu,"
		                  "\"dictionaries\":%llu,\"index_deleted\":%llu",
		                  (unsigned long long)ap->records, (unsigned long long)ap->versions,
		                  (unsigned long long)ap->blobs, (unsigned long long)ap->dictionaries,
		                  (unsigned long long)ap->index_deleted);
	custos_buf_adds(r, ",\"rules\":{");
	for (size_t i = 0; i < pl->n_rules; i++) {
		if (i)
			custos_buf_addc(r, ',');
		custos_buf_add_json_str(r, pl->rules[i].name, strlen(pl->rules[i].name));
		custos_buf_printf(r, ":{\"eligible\":%llu,\"held\":%llu}",
		                  (unsigned long long)pl->rules[i].eligible,
		                  (unsigned long long)pl->rules[i].held);
	}
	custos_buf_adds(r, "}}");
}

static void asof_params(custos_buf_t *p, int64_t as_of)
{
	char t[40];
	custos_time_format(t, sizeof t, as_of);
	custos_buf_addc(p, '{');
	custos_archive__json_kv(p, "as_of", t);
	custos_buf_addc(p, '}');
}

int custos_archive_retention_plan(custos_archive_t *a, int64_t as_of,
                                  custos_retention_plan_t **out)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	custos_buf_t params = { 0 }, result = { 0 };
	int err;
	*out = NULL;
	if ((err = custos_archive_policy_open(a, &p)) < 0 ||
	    (err = index_open(a, CUSTOS_INDEX_READ, &idx)) < 0)
		goto audit;
	err = plan_build(a, p, idx, as_of, out);
audit:
	asof_params(&params, as_of);
	if (*out)
		plan_audit_result(&result, *out, NULL);
	else
		custos_buf_printf(&result, "{\"error\":\"%s\"}", custos_status_str(err));
	custos_err_t keep = a->err;
	int aerr = custos_archive_audit(a, "retention-plan", params.data, result.data, err);
	if (err < 0) {
		a->err = keep;
	} else if (aerr < 0) {
		custos_retention_plan_free(*out);
		*out = NULL;
		err = aerr;
	}
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_index_free(idx);
	custos_policy_free(p);
	return err;
}

int custos_archive_retention_apply(custos_archive_t *a, int64_t as_of,
                                   custos_retention_plan_t **out_plan,
                                   custos_retention_apply_t *out)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	custos_retention_plan_t *pl = NULL;
	custos_retention_apply_t ap;
	custos_dispose_item_t *items = NULL;
	custos_buf_t params = { 0 }, result = { 0 };
	uint64_t wm = 0, last = 0, grown = 0;
	double t0;
	int err;

	memset(&ap, 0, sizeof ap);
	if (out_plan)
		*out_plan = NULL;
	if (!(a->flags & CUSTOS_OPEN_WRITE)) {
		err = custos_err_set(&a->err, CUSTOS_EINVAL, "the archive is open read-only");
		goto audit;
	}
	if (as_of > custos_time_now()) {
		char t[40];
		custos_time_format(t, sizeof t, as_of);
		err = custos_err_set(&a->err, CUSTOS_EINVAL, "the as-of date %s is in the future: "
		                     "records can be disposed of only once their retention has ended", t);
		goto audit;
	}
	if ((err = custos_archive_policy_open(a, &p)) < 0 ||
	    (err = index_open(a, CUSTOS_INDEX_WRITE, &idx)) < 0)
		goto audit;
	if ((err = custos_index_watermark(idx, &wm)) < 0) {
		index_fail(a, idx, err, "cannot read the index watermark");
		goto audit;
	}
	if ((err = custos_store_last_seq(a->store, &last)) < 0) {
		custos_err_set(&a->err, err, "%s", custos_store_err(a->store)->msg);
		goto audit;
	}
	if (wm < last) {
		err = custos_err_set(&a->err, CUSTOS_ELAG, "the search index lags the store "
		                     "(indexed up to record %llu of %llu): run 'custos index' first, "
		                     "so that rules and holds see every record",
		                     (unsigned long long)wm, (unsigned long long)last);
		goto audit;
	}
	t0 = now_s();
	if ((err = refresh(a, p, idx, &grown)) < 0)
		goto audit;
	if ((err = plan_build(a, p, idx, as_of, &pl)) < 0)
		goto audit;
	ap.plan_seconds = now_s() - t0;

	/* the tombstone names the person acted for, else the operating-system user */
	const char *actor = a->actor;
	if (!actor) {
		struct passwd *pw = getpwuid(geteuid());
		actor = pw && pw->pw_name ? pw->pw_name : "unknown";
	}
	if (!(items = malloc(DISPOSE_BATCH * sizeof *items))) {
		err = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	for (size_t i = 0; i < pl->n; i += DISPOSE_BATCH) {
		size_t n = pl->n - i < DISPOSE_BATCH ? pl->n - i : DISPOSE_BATCH;
		custos_dispose_summary_t ds;
		double t1 = now_s();
		for (size_t j = 0; j < n; j++) {
			items[j].id = pl->v[i + j].id;
			items[j].rule = pl->schedule->rules[pl->v[i + j].rule].name;
			items[j].commit = pl->commit;
		}
		if ((err = custos_store_dispose(a->store, items, n, actor, 0, &ds)) < 0) {
			custos_err_set(&a->err, err, "%s", custos_store_err(a->store)->msg);
			goto audit;
		}
		double t2 = now_s();
		ap.dispose_seconds += t2 - t1;
		ap.records += ds.records;
		ap.versions += ds.versions;
		ap.blobs += ds.blobs;
		ap.dictionaries += ds.dictionaries;
		ap.recompressed += ds.recompressed;
		/* the store is the record of truth: its tombstones are committed, so a
		 * crash here leaves index documents that the next apply deletes */
		for (size_t j = 0; j < n; j++) {
			if ((err = custos_index_delete(idx, items[j].id)) < 0) {
				index_fail(a, idx, err, "cannot delete from the search index");
				goto audit;
			}
		}
		/* one index commit every 10 batches: a crash leaves documents of
		 * disposed records, which the next apply deletes */
		if ((i / DISPOSE_BATCH) % 10 == 9 && (err = custos_index_commit(idx, wm)) < 0) {
			index_fail(a, idx, err, "cannot commit the search index");
			goto audit;
		}
		ap.index_deleted += n;
		ap.index_seconds += now_s() - t2;
	}
	if (pl->n) {
		double t2 = now_s();
		if ((err = custos_index_commit(idx, wm)) < 0) {
			index_fail(a, idx, err, "cannot commit the search index");
			goto audit;
		}
		ap.index_seconds += now_s() - t2;
	}
	{
		custos_dispose_summary_t ds;
		double t1 = now_s();
		if ((err = custos_store_dispose_complete(a->store, &ds)) < 0) {
			custos_err_set(&a->err, err, "%s", custos_store_err(a->store)->msg);
			goto audit;
		}
		ap.dispose_seconds += now_s() - t1;
		ap.dictionaries += ds.dictionaries;
		ap.recompressed += ds.recompressed;
		ap.trained += ds.trained;
	}
	if (pl->n) {
		/* Xapian keeps deleted terms in free blocks until rewritten */
		char path[4096];
		double t3 = now_s();
		custos_index_free(idx);
		idx = NULL;
		snprintf(path, sizeof path, "%s/index", a->dir);
		if ((err = custos_index_compact(path, &a->err)) < 0) {
			custos_err_prefix(&a->err, "cannot compact the search index");
			goto audit;
		}
		ap.index_seconds += now_s() - t3;
	}
	err = CUSTOS_OK;
audit:
	asof_params(&params, as_of);
	if (pl)
		plan_audit_result(&result, pl, &ap);
	else
		custos_buf_printf(&result, "{\"error\":\"%s\"}", custos_status_str(err));
	{
		custos_err_t keep = a->err;
		int aerr = custos_archive_audit(a, "retention-apply", params.data, result.data, err);
		if (err < 0)
			a->err = keep;
		else
			err = aerr;
	}
	if (out)
		*out = ap;
	if (out_plan)
		*out_plan = pl;
	else
		custos_retention_plan_free(pl);
	free(items);
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_index_free(idx);
	custos_policy_free(p);
	return err;
}
