/* Legal holds over the index and disposition runs: which records are past
 * retention and held by nothing, and disposing of exactly those, through
 * the writer. A disposition run and a hold's creation or release exclude
 * each other (a->dispose_mu): a hold never lands in the middle of a run
 * that planned without it. */
#include "lib_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>

/* Every record: the query language has no "*", but a pure NOT is every
 * record without its operand, and no record has this platform. */
#define MATCH_ALL_QUERY "*"

enum { DISPOSE_BATCH = 2000 };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int index_fail(custos_session_t *s, custos_index_t *idx, int err, const char *what)
{
	return custos_err_set(&s->err, err, "%s: %s", what, custos_index_errmsg(idx));
}

static int policy_fail(custos_session_t *s, custos_policy_t *p, int err)
{
	const custos_err_t *pe = custos_policy_err(p);
	custos_err_set(&s->err, err, "%s", pe->msg[0] ? pe->msg : custos_status_str(err));
	return err;
}

/* {"error": "<the session's message>"}: a failure's audit result. */
static void error_result(custos_buf_t *b, custos_session_t *s)
{
	const char *m = s->err.msg[0] ? s->err.msg : custos_status_str(s->err.status);
	custos_buf_adds(b, "{\"error\":");
	custos_buf_add_json_str(b, m, strlen(m));
	custos_buf_addc(b, '}');
}

/* Brings the index up to the store and pins a snapshot in which both agree:
 * what holds and plans run on. */
static int caught_up(custos_session_t *s, custos_store_t **st, custos_index_t **idx)
{
	uint64_t last = 0;
	int rc;
	custos_session__unpin(s);
	if ((rc = custos_session__store(s, st)) < 0)
		return rc;
	if ((rc = custos_store_last_seq(*st, &last)) < 0)
		return custos_err_set(&s->err, rc, "%s", custos_store_err(*st)->msg);
	custos_session__unpin(s);
	if (custos_archive_writable(s->a) &&
	    (rc = custos_indexsvc__wait(s->a, last, &s->err)) < 0)
		return custos_err_prefix(&s->err, "cannot bring the search index up to date");
	if ((rc = custos_session__store(s, st)) < 0)
		return rc;
	if ((rc = custos_session__index(s, idx)) < 0)
		return custos_err_prefix(&s->err, "cannot open the search index");
	return CUSTOS_OK;
}

/* Records hold membership for the matches of query: (id, content hash of
 * the version indexed). */
static int add_matches(custos_session_t *s, custos_store_t *st, custos_policy_t *p,
                       const char *name, const custos_index_idlist_t *m, size_t *added)
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
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < m->n; i++)
		seqs[i] = m->v[i].seq;
	if ((err = custos_store_content_hashes(st, seqs, m->n, hex)) < 0) {
		custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
		goto done;
	}
	for (size_t i = 0; i < m->n; i++) {
		mem[i].id = m->v[i].id;
		mem[i].sha256 = hex[i];
	}
	if ((err = custos_hold_add_members(p, name, mem, m->n, added)) < 0)
		policy_fail(s, p, err);
done:
	free(mem);
	free(hex);
	free(seqs);
	return err;
}

/* After a commit to the policy repository: the new head is anchored
 * (releasing: the hold the commit released). */
static void anchor_policy(custos_session_t *s, custos_policy_t *p, const char *commit,
                          const char *releasing)
{
	custos_lib__policy_advance(s, p, commit, releasing);
	custos_writer__anchor(s->a, NULL);
}

int custos_archive_hold_create(custos_session_t *s, const char *name, const char *query,
                               const char *reason, uint64_t *matched,
                               char commit[CUSTOS_COMMIT_HEX])
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	custos_store_t *st = NULL;
	custos_index_idlist_t m = { 0 };
	custos_hold_member_t *mem = NULL;
	char (*hex)[CUSTOS_SHA256_HEX] = NULL;
	uint64_t *seqs = NULL;
	custos_policy_change_t c;
	custos_buf_t params = { 0 }, result = { 0 };
	char cm[CUSTOS_COMMIT_HEX] = "";
	bool locked = false;
	int err;

	if (matched)
		*matched = 0;
	if ((err = custos_session__begin(s, CUSTOS_OP_HOLD_WRITE, "create legal holds")) < 0 ||
	    (err = custos_session__need_write(s, "create a legal hold")) < 0)
		goto audit;
	custos_err_t qe = { 0 };
	if ((err = custos_index_query_check(query, &qe)) < 0) {
		custos_err_set(&s->err, err, "invalid query: %s", qe.msg);
		goto audit;
	}
	pthread_mutex_lock(&s->a->dispose_mu);
	locked = true;
	/* the hold sees every record stored so far */
	if ((err = caught_up(s, &st, &idx)) < 0)
		goto audit;
	if ((err = custos_index_match_ids(idx, &m, query)) < 0) {
		index_fail(s, idx, err, "cannot run the hold's query");
		goto audit;
	}
	if (m.n && (!(mem = malloc(m.n * sizeof *mem)) || !(hex = malloc(m.n * sizeof *hex)) ||
	            !(seqs = malloc(m.n * sizeof *seqs)))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	for (size_t i = 0; i < m.n; i++)
		seqs[i] = m.v[i].seq;
	if (m.n && (err = custos_store_content_hashes(st, seqs, m.n, hex)) < 0) {
		custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
		goto audit;
	}
	for (size_t i = 0; i < m.n; i++) {
		mem[i].id = m.v[i].id;
		mem[i].sha256 = hex[i];
	}
	pthread_mutex_lock(&s->a->policy_mu);
	if ((err = custos_session__policy(s, &p)) == CUSTOS_OK) {
		custos_session__change(s, &c, NULL);
		if ((err = custos_hold_create(p, name, query, reason ? reason : "", mem, m.n, &c,
		                              cm)) < 0)
			policy_fail(s, p, err);
	}
	pthread_mutex_unlock(&s->a->policy_mu);
	if (err < 0)
		goto audit;
	custos_session__unpin(s);
	anchor_policy(s, p, cm, NULL);
	if (matched)
		*matched = m.n;
	if (commit)
		memcpy(commit, cm, CUSTOS_COMMIT_HEX);
audit:
	if (locked)
		pthread_mutex_unlock(&s->a->dispose_mu);
	custos_buf_addc(&params, '{');
	custos_lib__json_kv(&params, "name", name);
	custos_lib__json_kv(&params, "query", query);
	custos_lib__json_kv(&params, "reason", reason ? reason : "");
	custos_buf_addc(&params, '}');
	if (err == CUSTOS_OK)
		custos_buf_printf(&result, "{\"members\":%zu,\"commit\":\"%s\"}", m.n, cm);
	else
		error_result(&result, s);
	err = custos_session__audit(s, "hold-create", params.data, result.data, err);
	custos_buf_free(&params);
	custos_buf_free(&result);
	free(mem);
	free(hex);
	free(seqs);
	custos_index_idlist_free(&m);
	custos_policy_free(p);
	return err;
}

int custos_archive_hold_release(custos_session_t *s, const char *name, const char *reason,
                                char commit[CUSTOS_COMMIT_HEX])
{
	custos_policy_t *p = NULL;
	custos_policy_change_t c;
	custos_buf_t params = { 0 }, result = { 0 };
	char cm[CUSTOS_COMMIT_HEX] = "";
	bool locked = false;
	int err;

	if ((err = custos_session__begin(s, CUSTOS_OP_HOLD_WRITE, "release legal holds")) < 0 ||
	    (err = custos_session__need_write(s, "release a legal hold")) < 0)
		goto audit;
	pthread_mutex_lock(&s->a->dispose_mu);
	locked = true;
	/* what the hold gathered up to now is recorded before it stops growing */
	custos_store_t *st = NULL;
	custos_index_t *idx = NULL;
	if ((err = caught_up(s, &st, &idx)) < 0)
		goto audit;
	pthread_mutex_lock(&s->a->policy_mu);
	if ((err = custos_session__policy(s, &p)) == CUSTOS_OK) {
		custos_holds_t h = { 0 };
		if (custos_hold_get(p, name, &h) == 0 && h.n == 1 && h.v[0].active) {
			custos_index_idlist_t m = { 0 };
			size_t added;
			if (custos_index_match_ids(idx, &m, h.v[0].query) == 0)
				add_matches(s, st, p, name, &m, &added);
			custos_index_idlist_free(&m);
		}
		custos_holds_free(&h);
		custos_session__change(s, &c, NULL);
		if ((err = custos_lib__release_intent(s, name, reason)) == CUSTOS_OK &&
		    (err = custos_hold_release(p, name, reason, &c, cm)) < 0) {
			policy_fail(s, p, err);
			if (err == CUSTOS_EINVAL && reason && *reason)
				custos_err_prefix(&s->err, "cannot release hold '%s'", name);
		}
	}
	pthread_mutex_unlock(&s->a->policy_mu);
	if (err < 0)
		goto audit;
	custos_session__unpin(s);
	custos_test_point("hold-release-before-anchor");
	anchor_policy(s, p, cm, name);
	if (commit)
		memcpy(commit, cm, CUSTOS_COMMIT_HEX);
audit:
	if (locked)
		pthread_mutex_unlock(&s->a->dispose_mu);
	custos_buf_addc(&params, '{');
	custos_lib__json_kv(&params, "name", name);
	custos_lib__json_kv(&params, "reason", reason ? reason : "");
	custos_buf_addc(&params, '}');
	if (err == CUSTOS_OK)
		custos_buf_printf(&result, "{\"commit\":\"%s\"}", cm);
	else
		error_result(&result, s);
	err = custos_session__audit(s, "hold-release", params.data, result.data, err);
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_policy_free(p);
	return err;
}

/* Grows every active hold by its matches among the documents after seq
 * `after`; in the index service after each round, and before a plan. */
static int grow_holds(custos_session_t *s, custos_policy_t *p, custos_store_t *st,
                      custos_index_t *idx, uint64_t after, uint64_t *added_out)
{
	custos_holds_t h = { 0 };
	uint64_t added = 0;
	int err;
	if ((err = custos_hold_list(p, &h)) < 0)
		return policy_fail(s, p, err);
	for (size_t i = 0; i < h.n; i++) {
		custos_index_idlist_t m = { 0 };
		size_t n = 0;
		if (!h.v[i].active)
			continue;
		err = after ? custos_index_match_ids_after(idx, &m, h.v[i].query, after)
		            : custos_index_match_ids(idx, &m, h.v[i].query);
		if (err < 0) {
			index_fail(s, idx, err, "cannot run a hold's query");
			custos_err_prefix(&s->err, "hold '%s'", h.v[i].name);
			goto done;
		}
		err = add_matches(s, st, p, h.v[i].name, &m, &n);
		custos_index_idlist_free(&m);
		if (err < 0)
			goto done;
		added += n;
	}
	if (added) {
		custos_policy_change_t c;
		char cm[CUSTOS_COMMIT_HEX] = "";
		custos_session__change(s, &c, "Record the records that joined legal holds");
		if ((err = custos_hold_checkpoint(p, &c, cm)) < 0) {
			policy_fail(s, p, err);
			goto done;
		}
		if (cm[0])
			custos_lib__policy_advance(s, p, cm, NULL);
	}
	err = CUSTOS_OK;
done:
	custos_holds_free(&h);
	if (added_out)
		*added_out = added;
	return err;
}

int custos_lib__holds_grow(custos_session_t *s, custos_store_t *st, custos_index_t *idx,
                           uint64_t after, uint64_t *added)
{
	custos_policy_t *p = NULL;
	uint64_t n = 0;
	int err;
	if (added)
		*added = 0;
	pthread_mutex_lock(&s->a->policy_mu);
	if ((err = custos_session__policy(s, &p)) == CUSTOS_OK)
		err = grow_holds(s, p, st, idx, after, &n);
	pthread_mutex_unlock(&s->a->policy_mu);
	custos_policy_free(p);
	if (err == CUSTOS_OK && n) {
		char r[64];
		snprintf(r, sizeof r, "{\"added\":%llu,\"after_seq\":%llu}", (unsigned long long)n,
		         (unsigned long long)after);
		err = custos_session__audit(s, "hold-grow", "{}", r, CUSTOS_OK);
		custos_writer__anchor(s->a, NULL);
	}
	if (added)
		*added = n;
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
	if (!(iv->v[iv->n++] = custos_arena_strdup(iv->ar, id)))
		return iv->err = CUSTOS_ENOMEM;
	return 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The hold's records: sorted unique member ids merged with the query's
 * matches (sorted by id). With out_v NULL only counts. */
static int hold_records(custos_session_t *s, custos_policy_t *p, custos_index_t *idx,
                        const custos_hold_t *h, custos_arena_t *ar, uint64_t *count,
                        custos_hold_record_t **out_v, size_t *out_n)
{
	idvec_t iv = { NULL, 0, 0, ar, 0 };
	custos_index_idlist_t m = { 0 };
	custos_hold_record_t *v = NULL;
	size_t n = 0;
	int err;

	if ((err = custos_hold_members(p, h->name, idvec_fn, &iv)) < 0 || iv.err) {
		err = iv.err ? custos_err_set(&s->err, iv.err, "out of memory") : policy_fail(s, p, err);
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
		index_fail(s, idx, err, "cannot run the hold's query");
		goto done;
	}
	if (out_v && !(v = calloc(iv.n + m.n + 1, sizeof *v))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	size_t i = 0, j = 0;
	while (i < iv.n || j < m.n) {
		int c = i == iv.n ? 1 : j == m.n ? -1 : strcmp(iv.v[i], m.v[j].id);
		if (v) {
			custos_hold_record_t *r = &v[n];
			r->id = custos_arena_strdup(ar, c <= 0 ? iv.v[i] : m.v[j].id);
			if (!r->id) {
				err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
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

static int hold_report(custos_session_t *s, const char *name, custos_hold_report_t *out)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	int err;
	memset(out, 0, sizeof *out);
	if ((err = custos_session__policy(s, &p)) < 0)
		return err;
	err = name ? custos_hold_get(p, name, &out->holds) : custos_hold_list(p, &out->holds);
	if (err < 0) {
		policy_fail(s, p, err);
		if (err == CUSTOS_ENOTFOUND)
			custos_err_set(&s->err, err, "no hold named '%s'", name);
		goto done;
	}
	if (out->holds.n && (err = custos_session__index(s, &idx)) < 0) {
		custos_err_prefix(&s->err, "cannot open the search index");
		goto done;
	}
	if (!(out->covers = calloc(out->holds.n + 1, sizeof *out->covers))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < out->holds.n; i++)
		if ((err = hold_records(s, p, idx, &out->holds.v[i], &out->arena, &out->covers[i],
		                        name ? &out->v : NULL, name ? &out->n : NULL)) < 0)
			goto done;
done:
	custos_policy_free(p);
	if (err < 0)
		custos_hold_report_free(out);
	return err;
}

int custos_archive_hold_list(custos_session_t *s, custos_hold_report_t *out)
{
	int err = custos_session__begin(s, CUSTOS_OP_HOLD_READ, "read legal holds");
	if (err == CUSTOS_OK)
		err = hold_report(s, NULL, out);
	else
		memset(out, 0, sizeof *out);
	char r[64];
	snprintf(r, sizeof r, "{\"holds\":%zu}", err ? (size_t)0 : out->holds.n);
	err = custos_session__audit(s, "hold-list", "{}", r, err);
	if (err < 0)
		custos_hold_report_free(out);
	return err;
}

int custos_archive_hold_show(custos_session_t *s, const char *name, custos_hold_report_t *out)
{
	int err = custos_session__begin(s, CUSTOS_OP_HOLD_READ, "read legal holds");
	if (err == CUSTOS_OK)
		err = hold_report(s, name, out);
	else
		memset(out, 0, sizeof *out);
	custos_buf_t params = { 0 };
	char r[64];
	custos_buf_addc(&params, '{');
	custos_lib__json_kv(&params, "name", name);
	custos_buf_addc(&params, '}');
	snprintf(r, sizeof r, "{\"records\":%zu}", err ? (size_t)0 : out->n);
	err = custos_session__audit(s, "hold-show", params.data, r, err);
	custos_buf_free(&params);
	if (err < 0)
		custos_hold_report_free(out);
	return err;
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
static int plan_build(custos_session_t *s, custos_policy_t *pol, custos_store_t *st,
                      custos_index_t *idx, int64_t as_of, custos_retention_plan_t **out)
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
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	pl->as_of = as_of;
	if ((err = custos_policy_schedule_at_time(pol, as_of, &pl->schedule)) < 0) {
		policy_fail(s, pol, err);
		if (err == CUSTOS_ENOTFOUND) {
			char t[40];
			custos_time_format(t, sizeof t, as_of);
			custos_err_set(&s->err, err, "no retention schedule was in force at %s "
			               "(set one with 'custos policy set')", t);
		}
		goto done;
	}
	const custos_schedule_t *sc = pl->schedule;
	memcpy(pl->commit, sc->commit, CUSTOS_COMMIT_HEX);
	pl->commit_time = sc->commit_time;
	pl->n_rules = sc->n_rules;
	n_rm = sc->n_rules;
	if (!(pl->rules = calloc(sc->n_rules + 1, sizeof *pl->rules)) ||
	    !(rm = calloc(sc->n_rules + 1, sizeof *rm)) ||
	    !(rpos = calloc(sc->n_rules + 1, sizeof *rpos)) ||
	    !(hit = calloc(sc->n_rules + 1, sizeof *hit))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if ((err = custos_index_watermark(idx, &pl->index_watermark)) < 0 ||
	    (err = custos_index_match_ids(idx, &all, MATCH_ALL_QUERY)) < 0) {
		index_fail(s, idx, err, "cannot list the indexed records");
		goto done;
	}
	if ((err = custos_store_last_seq(st, &pl->store_last_seq)) < 0) {
		custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
		goto done;
	}
	pl->records = all.n;
	/* records whose source gave no time: their created_at is a placeholder
	 * (1970-01-01), so they count from their capture (docs/retention.md) */
	if ((err = custos_index_match_ids(idx, &nodate, "has:nodate")) < 0) {
		index_fail(s, idx, err, "cannot list the undated records");
		goto done;
	}
	for (size_t r = 0; r < sc->n_rules; r++) {
		const custos_rule_t *ru = &sc->rules[r];
		pl->rules[r].name = ru->name;
		custos_retain_format(pl->rules[r].retain, sizeof pl->rules[r].retain, ru->retain);
		if (ru->from == CUSTOS_FROM_CAPTURED)
			need_captured = true;
		if (ru->match_all)
			continue;
		if ((err = custos_index_match_ids(idx, &rm[r], ru->match)) < 0) {
			index_fail(s, idx, err, "cannot run a retention rule");
			custos_err_prefix(&s->err, "rule '%s'", ru->name);
			goto done;
		}
	}
	/* holds: membership files, and what their queries match now */
	if ((err = custos_hold_list(pol, &holds)) < 0 || (err = custos_holdset_load(&hs, pol)) < 0) {
		policy_fail(s, pol, err);
		goto done;
	}
	if (!(hm = calloc(holds.n + 1, sizeof *hm)) || !(hpos = calloc(holds.n + 1, sizeof *hpos))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < holds.n; i++) {
		if (!holds.v[i].active)
			continue;
		if ((err = custos_index_match_ids(idx, &hm[n_active++], holds.v[i].query)) < 0) {
			index_fail(s, idx, err, "cannot run a hold's query");
			goto done;
		}
	}

	for (size_t i = 0; i < all.n; i++) {
		const custos_index_ident_t *id = &all.v[i];
		size_t nh = 0, rule;
		int64_t expiry, captured = CUSTOS_TIME_NONE;
		for (size_t r = 0; r < sc->n_rules; r++) {
			if (sc->rules[r].match_all) {
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
			if ((err = custos_store_get_seq(st, id->seq, &rec)) < 0) {
				custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
				goto done;
			}
			captured = rec.captured_at;
		}
		if ((err = custos_schedule_expiry(sc, hit, nh, undated ? captured : id->created_at,
		                                  captured, &rule, &expiry)) < 0) {
			custos_err_set(&s->err, err, "cannot compute the retention of %s", id->id);
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
				err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			pl->v = nv;
		}
		custos_plan_entry_t *e = &pl->v[pl->n++];
		if (!(e->id = custos_arena_strdup(&pl->arena, id->id))) {
			err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
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
	custos_lib__json_kv(p, "as_of", t);
	custos_buf_addc(p, '}');
}

int custos_archive_retention_plan(custos_session_t *s, int64_t as_of,
                                  custos_retention_plan_t **out)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	custos_store_t *st = NULL;
	custos_buf_t params = { 0 }, result = { 0 };
	int err;
	*out = NULL;
	if ((err = custos_session__begin(s, CUSTOS_OP_RETENTION_PLAN, "plan disposition")) < 0 ||
	    (err = custos_session__policy(s, &p)) < 0 ||
	    (err = custos_lib__disposal_guard(s, p, "planning")) < 0 ||
	    (err = caught_up(s, &st, &idx)) < 0)
		goto audit;
	err = plan_build(s, p, st, idx, as_of, out);
audit:
	asof_params(&params, as_of);
	if (*out)
		plan_audit_result(&result, *out, NULL);
	else
		error_result(&result, s);
	err = custos_session__audit(s, "retention-plan", params.data, result.data, err);
	if (err < 0) {
		custos_retention_plan_free(*out);
		*out = NULL;
	}
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_policy_free(p);
	return err;
}

/* One batch of a disposition run, on the writer's store view. */
typedef struct {
	const custos_dispose_item_t *items;
	size_t n;
	const char *actor;
	bool complete;              /* the run's last step: retire dictionaries */
	custos_dispose_summary_t sum;
} dispose_job_t;

static int dispose_fn(void *ctx, custos_store_t *st, custos_err_t *err)
{
	dispose_job_t *d = ctx;
	int rc = d->complete ? custos_store_dispose_complete(st, &d->sum)
	                     : custos_store_dispose(st, d->items, d->n, d->actor, 0, &d->sum);
	if (rc < 0)
		*err = *custos_store_err(st);
	return rc;
}

static int run_dispose(custos_session_t *s, dispose_job_t *d)
{
	custos_wjob_t j;
	memset(&j, 0, sizeof j);
	j.fn = dispose_fn;
	j.fn_ctx = d;
	int rc = custos_writer__run(s->a, &j);
	if (rc < 0)
		custos_err_set(&s->err, rc, "%s", j.err.msg);
	return rc;
}

int custos_archive_retention_apply(custos_session_t *s, int64_t as_of,
                                   custos_retention_plan_t **out_plan,
                                   custos_retention_apply_t *out)
{
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL, *widx = NULL;
	custos_store_t *st = NULL;
	custos_retention_plan_t *pl = NULL;
	custos_retention_apply_t ap;
	custos_dispose_item_t *items = NULL;
	custos_buf_t params = { 0 }, result = { 0 };
	uint64_t wm = 0, last = 0;
	bool locked = false, paused = false;
	double t0;
	int err;

	memset(&ap, 0, sizeof ap);
	if (out_plan)
		*out_plan = NULL;
	if ((err = custos_session__begin(s, CUSTOS_OP_RETENTION_APPLY, "dispose of records")) < 0 ||
	    (err = custos_session__need_write(s, "dispose of records")) < 0)
		goto audit;
	if (as_of > custos_time_now()) {
		char t[40];
		custos_time_format(t, sizeof t, as_of);
		err = custos_err_set(&s->err, CUSTOS_EINVAL, "the as-of date %s is in the future: "
		                     "records can be disposed of only once their retention has ended", t);
		goto audit;
	}
	pthread_mutex_lock(&s->a->dispose_mu);
	locked = true;
	t0 = now_s();
	if ((err = custos_session__policy(s, &p)) < 0 ||
	    (err = custos_lib__disposal_guard(s, p, "disposition")) < 0 ||
	    (err = caught_up(s, &st, &idx)) < 0)
		goto audit;
	if ((err = custos_index_watermark(idx, &wm)) < 0) {
		index_fail(s, idx, err, "cannot read the index watermark");
		goto audit;
	}
	if ((err = custos_store_last_seq(st, &last)) < 0) {
		custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
		goto audit;
	}
	if (wm < last) {
		err = custos_err_set(&s->err, CUSTOS_ELAG, "the search index lags the store "
		                     "(indexed up to record %llu of %llu): run 'custos index' first, "
		                     "so that rules and holds see every record",
		                     (unsigned long long)wm, (unsigned long long)last);
		goto audit;
	}
	/* the plan honours both a hold's members and what its query matches now */
	if ((err = plan_build(s, p, st, idx, as_of, &pl)) < 0)
		goto audit;
	ap.plan_seconds = now_s() - t0;
	custos_session__unpin(s);

	/* the tombstone names the person acted for, else the operating-system user */
	const char *actor = s->actor;
	char user[256];
	if (!actor) {
		struct passwd pw, *res = NULL;
		char tmp[4096];
		if (getpwuid_r(geteuid(), &pw, tmp, sizeof tmp, &res) == 0 && res)
			snprintf(user, sizeof user, "%s", res->pw_name);
		else
			snprintf(user, sizeof user, "uid:%u", (unsigned)geteuid());
		actor = user;
	}
	if (!(items = malloc(DISPOSE_BATCH * sizeof *items))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	/* the index service lets the index go: the run deletes from it */
	custos_indexsvc__pause(s->a);
	paused = true;
	char path[4200];
	custos_lib__index_path(path, sizeof path, s->a->dir);
	if ((err = custos_index_open(&widx, path, CUSTOS_INDEX_WRITE, &s->err)) < 0)
		goto audit;
	for (size_t i = 0; i < pl->n; i += DISPOSE_BATCH) {
		size_t n = pl->n - i < DISPOSE_BATCH ? pl->n - i : DISPOSE_BATCH;
		dispose_job_t d = { items, n, actor, false, { 0 } };
		double t1 = now_s();
		for (size_t j = 0; j < n; j++) {
			items[j].id = pl->v[i + j].id;
			items[j].rule = pl->schedule->rules[pl->v[i + j].rule].name;
			items[j].commit = pl->commit;
		}
		if ((err = run_dispose(s, &d)) < 0)
			goto audit;
		double t2 = now_s();
		ap.dispose_seconds += t2 - t1;
		ap.records += d.sum.records;
		ap.versions += d.sum.versions;
		ap.blobs += d.sum.blobs;
		ap.dictionaries += d.sum.dictionaries;
		ap.recompressed += d.sum.recompressed;
		/* the store is the record of truth: its tombstones are committed, so a
		 * crash here leaves index documents that the next apply deletes */
		for (size_t j = 0; j < n; j++) {
			if ((err = custos_index_delete(widx, items[j].id)) < 0) {
				index_fail(s, widx, err, "cannot delete from the search index");
				goto audit;
			}
		}
		/* one index commit every 10 batches: a crash leaves documents of
		 * disposed records, which the next apply deletes */
		if ((i / DISPOSE_BATCH) % 10 == 9 && (err = custos_index_commit(widx, wm)) < 0) {
			index_fail(s, widx, err, "cannot commit the search index");
			goto audit;
		}
		ap.index_deleted += n;
		ap.index_seconds += now_s() - t2;
	}
	if (pl->n) {
		double t2 = now_s();
		if ((err = custos_index_commit(widx, wm)) < 0) {
			index_fail(s, widx, err, "cannot commit the search index");
			goto audit;
		}
		ap.index_seconds += now_s() - t2;
	}
	{
		dispose_job_t d = { NULL, 0, actor, true, { 0 } };
		double t1 = now_s();
		if ((err = run_dispose(s, &d)) < 0)
			goto audit;
		ap.dispose_seconds += now_s() - t1;
		ap.dictionaries += d.sum.dictionaries;
		ap.recompressed += d.sum.recompressed;
		ap.trained += d.sum.trained;
	}
	custos_index_free(widx);
	widx = NULL;
	if (pl->n) {
		/* Xapian keeps deleted terms in free blocks until rewritten */
		double t3 = now_s();
		if ((err = custos_index_compact(path, &s->err)) < 0) {
			custos_err_prefix(&s->err, "cannot compact the search index");
			goto audit;
		}
		ap.index_seconds += now_s() - t3;
	}
	err = CUSTOS_OK;
audit:
	custos_index_free(widx);
	if (paused)
		custos_indexsvc__resume(s->a);
	if (locked)
		pthread_mutex_unlock(&s->a->dispose_mu);
	asof_params(&params, as_of);
	if (pl)
		plan_audit_result(&result, pl, &ap);
	else
		error_result(&result, s);
	err = custos_session__audit(s, "retention-apply", params.data, result.data, err);
	/* the tombstones and this entry join the record chain now */
	custos_writer__anchor(s->a, NULL);
	if (out)
		*out = ap;
	if (out_plan)
		*out_plan = pl;
	else
		custos_retention_plan_free(pl);
	free(items);
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_policy_free(p);
	return err;
}
