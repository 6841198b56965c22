/* Legal holds: placed by query, account, custodian, list of ids, and with
 * whole conversations; grown as records arrive; listed, shown and counted.
 * A hold's creation or release and a disposition run exclude each other
 * (a->dispose_mu): a hold never lands in the middle of a run that planned
 * without it. docs/retention.md says what each kind of hold covers. */
#include "lib_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sets of records ------------------------------------------------------- */

int custos_lib__ids_add(custos_lib__ids_t *s, const char *id, uint64_t seq, int64_t created_at)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		custos_index_ident_t *nv = realloc(s->v, cap * sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	custos_index_ident_t *e = &s->v[s->n];
	if (!(e->id = custos_arena_strdup(&s->arena, id)))
		return CUSTOS_ENOMEM;
	e->seq = seq;
	e->created_at = created_at;
	s->n++;
	s->sorted = false;
	return CUSTOS_OK;
}

static int cmp_ident_id(const void *x, const void *y)
{
	return strcmp(((const custos_index_ident_t *)x)->id, ((const custos_index_ident_t *)y)->id);
}

void custos_lib__ids_sort(custos_lib__ids_t *s)
{
	if (s->sorted)
		return;
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp_ident_id);
	size_t u = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!u || strcmp(s->v[u - 1].id, s->v[i].id))
			s->v[u++] = s->v[i];
	s->n = u;
	s->sorted = true;
}

bool custos_lib__ids_has(const custos_lib__ids_t *s, const char *id)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->v[mid].id, id);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void custos_lib__ids_free(custos_lib__ids_t *s)
{
	free(s->v);
	custos_arena_free(&s->arena);
	memset(s, 0, sizeof *s);
}

static int ids_add_list(custos_lib__ids_t *s, const custos_index_idlist_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (custos_lib__ids_add(s, l->v[i].id, l->v[i].seq, l->v[i].created_at) < 0)
			return CUSTOS_ENOMEM;
	return CUSTOS_OK;
}

/* ---- conversations ------------------------------------------------------------ */

static int ids_add_thread(custos_lib__ids_t *s, const custos_lib__thread_t *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (custos_lib__ids_add(s, t->v[i].id, t->v[i].seq, t->v[i].created_at) < 0)
			return CUSTOS_ENOMEM;
	return CUSTOS_OK;
}

/* The thread root of the stored record at seq (its own id when it starts
 * no thread), into root; "" when the record is not stored (disposed of). */
static int root_of(custos_session_t *s, custos_store_t *st, custos_root_cache_t *cache,
                   custos_record_t *rec, uint64_t seq, custos_buf_t *root)
{
	const char *r = NULL;
	int rc;
	custos_buf_clear(root);
	if ((rc = custos_store_get_seq(st, seq, rec)) == CUSTOS_ENOTFOUND)
		return custos_buf_adds(root, "");
	if (rc < 0)
		return custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read seq %llu",
		                            (unsigned long long)seq);
	if ((rc = custos_lib__thread_root(st, cache, rec, &r, &s->err)) < 0)
		return rc;
	return custos_buf_adds(root, r ? r : rec->id) < 0
	       ? custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory") : CUSTOS_OK;
}

/* The distinct thread roots of the records of base (sorted, in roots). */
static int roots_of(custos_session_t *s, custos_store_t *st, const custos_index_ident_t *base,
                    size_t n, custos_lib__ids_t *roots)
{
	custos_root_cache_t *cache = malloc(sizeof *cache);
	custos_record_t rec;
	custos_buf_t root = { 0 };
	int rc = CUSTOS_OK;
	if (!cache)
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	custos_lib__root_cache_init(cache);
	custos_record_init(&rec);
	for (size_t i = 0; i < n && rc == CUSTOS_OK; i++) {
		if ((rc = root_of(s, st, cache, &rec, base[i].seq, &root)) < 0)
			break;
		if (root.len && custos_lib__ids_add(roots, root.data, 0, CUSTOS_TIME_NONE) < 0)
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
	custos_lib__ids_sort(roots);
	custos_buf_free(&root);
	custos_record_free(&rec);
	custos_lib__root_cache_free(cache);
	free(cache);
	return rc;
}

/* Adds to out every record of the conversations of the records of base:
 * what a hold with_thread covers besides them. */
static int family_of(custos_session_t *s, custos_store_t *st, custos_index_t *idx,
                     const custos_index_ident_t *base, size_t n, custos_lib__ids_t *out)
{
	custos_lib__ids_t roots = { 0 };
	int rc;
	if (!n)
		return CUSTOS_OK;
	if ((rc = roots_of(s, st, base, n, &roots)) < 0)
		goto done;
	for (size_t i = 0; i < roots.n; i++) {
		custos_lib__thread_t t = { 0 };
		if ((rc = custos_lib__thread_members(idx, roots.v[i].id, &t, &s->err)) < 0) {
			custos_err_prefix(&s->err, "cannot read a conversation");
			goto done;
		}
		rc = ids_add_thread(out, &t);
		custos_lib__thread_free(&t);
		if (rc < 0) {
			custos_err_set(&s->err, rc, "out of memory");
			goto done;
		}
	}
done:
	custos_lib__ids_free(&roots);
	return rc;
}

/* ---- what a hold covers ------------------------------------------------------------ */

typedef struct {
	custos_session_t *s;
	custos_store_t *st;
	custos_lib__ids_t *found;      /* listed ids stored now, with their latest seq */
	uint64_t missing, disposed;
	int err;
} listed_ctx_t;

typedef struct { uint64_t seq; bool hit; } tomb_seek_t;

static int tomb_seek_fn(void *ctx, uint64_t seq, const char *json, size_t n)
{
	tomb_seek_t *t = ctx;
	(void)json;
	(void)n;
	if (seq == t->seq)
		t->hit = true;
	return 0;
}

static int listed_fn(void *ctx, const char *id, const char *sha)
{
	listed_ctx_t *l = ctx;
	uint64_t *seqs = NULL;
	size_t n = 0;
	(void)sha;
	if ((l->err = custos_store_versions(l->st, id, &seqs, &n)) < 0) {
		custos_session__fail(l->s, l->err, custos_store_err(l->st)->msg, "cannot read %s", id);
		return l->err;
	}
	if (!n) {
		l->missing++;
		return 0;
	}
	/* the latest version disposed of: every version went with it */
	tomb_seek_t t = { seqs[n - 1], false };
	custos_store_tombstones(l->st, id, tomb_seek_fn, &t);
	if (t.hit)
		l->disposed++;
	else if (custos_lib__ids_add(l->found, id, seqs[n - 1], CUSTOS_TIME_NONE) < 0)
		l->err = custos_err_set(&l->s->err, CUSTOS_ENOMEM, "out of memory");
	free(seqs);
	return l->err;
}

int custos_lib__hold_current(custos_session_t *s, custos_policy_t *p, custos_store_t *st,
                             custos_index_t *idx, const custos_hold_t *h,
                             custos_lib__ids_t *out)
{
	custos_index_idlist_t m = { 0 };
	custos_lib__ids_t base = { 0 }, fresh = { 0 };
	listed_ctx_t lc = { s, st, &base, 0, 0, 0 };
	int rc = CUSTOS_OK;

	if (!h->active)
		return CUSTOS_OK;
	if (h->query[0]) {
		if ((rc = custos_index_match_ids(idx, &m, h->query)) < 0) {
			custos_lib__index_fail(s, idx, rc, "cannot run the hold's query");
			goto done;
		}
		if ((rc = ids_add_list(&base, &m)) < 0) {
			custos_err_set(&s->err, rc, "out of memory");
			goto done;
		}
	}
	if (h->listed && (rc = custos_hold_listed(p, h->name, listed_fn, &lc)) != 0) {
		if (!lc.err)
			custos_lib__policy_fail(s, p, rc);
		goto done;
	}
	custos_lib__ids_sort(&base);
	for (size_t i = 0; i < base.n; i++)
		if ((rc = custos_lib__ids_add(out, base.v[i].id, base.v[i].seq,
		                              base.v[i].created_at)) < 0) {
			custos_err_set(&s->err, rc, "out of memory");
			goto done;
		}
	if (h->with_thread) {
		/* the conversations of members were recorded as they grew: only
		 * those of records not members yet are looked up */
		for (size_t i = 0; i < base.n; i++)
			if (!custos_hold_has_member(p, h->name, base.v[i].id) &&
			    (rc = custos_lib__ids_add(&fresh, base.v[i].id, base.v[i].seq, 0)) < 0) {
				custos_err_set(&s->err, rc, "out of memory");
				goto done;
			}
		if ((rc = family_of(s, st, idx, fresh.v, fresh.n, out)) < 0)
			goto done;
	}
	custos_lib__ids_sort(out);
done:
	custos_index_idlist_free(&m);
	custos_lib__ids_free(&base);
	custos_lib__ids_free(&fresh);
	return rc;
}

/* Records (id, content hash of the version at seq) as members of hold name. */
static int add_members(custos_session_t *s, custos_store_t *st, custos_policy_t *p,
                       const char *name, const custos_index_ident_t *v, size_t n, size_t *added)
{
	custos_hold_member_t *mem = NULL;
	char (*hex)[CUSTOS_SHA256_HEX] = NULL;
	uint64_t *seqs = NULL;
	int err = CUSTOS_OK;
	*added = 0;
	if (!n)
		return CUSTOS_OK;
	if (!(mem = malloc(n * sizeof *mem)) || !(hex = malloc(n * sizeof *hex)) ||
	    !(seqs = calloc(n, sizeof *seqs))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		seqs[i] = v[i].seq;
	if ((err = custos_store_content_hashes(st, seqs, n, hex)) < 0) {
		custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		mem[i].id = v[i].id;
		mem[i].sha256 = hex[i];
	}
	if ((err = custos_hold_add_members(p, name, mem, n, added)) < 0)
		custos_lib__policy_fail(s, p, err);
done:
	free(mem);
	free(hex);
	free(seqs);
	return err;
}

/* ---- placing and releasing ----------------------------------------------------------- */

/* A name as a query value: quoted, since account and custodian names may
 * hold spaces. A double quote cannot be quoted: refused. */
static int add_field(custos_session_t *s, custos_buf_t *q, const char *field, const char *value)
{
	if (!value || !*value || strchr(value, '"'))
		return custos_err_set(&s->err, CUSTOS_EINVAL, "%s '%s': a name without double quotes "
		                      "is needed", field, value ? value : "");
	if (q->len)
		custos_buf_adds(q, " OR ");
	return custos_buf_printf(q, "%s:\"%s\"", field, value) < 0
	       ? custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory") : CUSTOS_OK;
}

/* The hold's query: query OR account:"a" OR ... OR custodian:"c" ... */
static int spec_query(custos_session_t *s, const custos_hold_spec_t *sp, custos_buf_t *q)
{
	int rc;
	size_t parts = (sp->query && *sp->query) + sp->n_accounts + sp->n_custodians;
	if (sp->n_custodians) {
		custos_err_t qe = { 0 };
		if (custos_index_query_check("custodian:x", &qe) < 0)
			return custos_err_set(&s->err, CUSTOS_EINVAL, "holds by custodian need the "
			                      "query language's custodian: field, which this custos does "
			                      "not have yet: hold by account or by query meanwhile");
	}
	if (sp->query && *sp->query) {
		if (parts > 1)
			rc = custos_buf_printf(q, "(%s)", sp->query);
		else
			rc = custos_buf_adds(q, sp->query);
		if (rc < 0)
			return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < sp->n_accounts; i++)
		if ((rc = add_field(s, q, "account", sp->accounts[i])) < 0)
			return rc;
	for (size_t i = 0; i < sp->n_custodians; i++)
		if ((rc = add_field(s, q, "custodian", sp->custodians[i])) < 0)
			return rc;
	if (q->len) {
		custos_err_t qe = { 0 };
		if ((rc = custos_query_check(q->data, &qe)) < 0)
			return custos_err_set(&s->err, rc, "%s", qe.msg);
	}
	return CUSTOS_OK;
}

/* After a commit to the policy repository: the new head is anchored
 * (releasing: the hold the commit released). */
static void anchor_policy(custos_session_t *s, custos_policy_t *p, const char *commit,
                          const char *releasing)
{
	custos_lib__policy_advance(s, p, commit, releasing);
	custos_writer__anchor(s->a, NULL);
}

static int hold_report(custos_session_t *s, custos_policy_t *p, const char *name,
                       custos_hold_report_t *out);

void custos_hold_placed_free(custos_hold_placed_t *p)
{
	if (!p)
		return;
	custos_hold_report_free(&p->hold);
	memset(p, 0, sizeof *p);
}

int custos_archive_hold_place(custos_session_t *s, const char *name,
                              const custos_hold_spec_t *spec, custos_hold_placed_t *out)
{
	custos_hold_placed_t local;
	custos_policy_t *p = NULL;
	custos_index_t *idx = NULL;
	custos_store_t *st = NULL;
	custos_index_idlist_t m = { 0 };
	custos_lib__ids_t cover = { 0 }, found = { 0 }, base = { 0 };
	custos_policy_change_t c;
	custos_buf_t q = { 0 }, params = { 0 }, result = { 0 };
	listed_ctx_t lc = { s, NULL, &found, 0, 0, 0 };
	bool locked = false;
	int err;

	if (!out)
		out = &local;
	memset(out, 0, sizeof *out);
	if ((err = custos_session__begin(s, CUSTOS_OP_HOLD_WRITE, "create legal holds")) < 0 ||
	    (err = custos_session__need_write(s, "create a legal hold")) < 0)
		goto audit;
	if ((err = spec_query(s, spec, &q)) < 0)
		goto audit;
	if (!q.len && !spec->n_ids) {
		err = custos_err_set(&s->err, CUSTOS_EINVAL, "a hold needs a query, an account, a "
		                     "custodian or a list of ids: what would it hold?");
		goto audit;
	}
	pthread_mutex_lock(&s->a->dispose_mu);
	locked = true;
	/* the hold sees every record stored so far */
	if ((err = custos_lib__caught_up(s, &st, &idx)) < 0)
		goto audit;
	if (q.len) {
		if ((err = custos_index_match_ids(idx, &m, q.data)) < 0) {
			custos_lib__index_fail(s, idx, err, "cannot run the hold's query");
			goto audit;
		}
		out->matched = m.n;
		if ((err = ids_add_list(&base, &m)) < 0) {
			custos_err_set(&s->err, err, "out of memory");
			goto audit;
		}
	}
	lc.st = st;
	for (size_t i = 0; i < spec->n_ids; i++)
		if ((err = listed_fn(&lc, spec->ids[i] ? spec->ids[i] : "", NULL)) < 0)
			goto audit;
	custos_lib__ids_sort(&found);
	out->listed_found = found.n;
	out->listed_missing = lc.missing;
	out->listed_disposed = lc.disposed;
	for (size_t i = 0; i < found.n; i++)
		if ((err = custos_lib__ids_add(&base, found.v[i].id, found.v[i].seq, 0)) < 0) {
			custos_err_set(&s->err, err, "out of memory");
			goto audit;
		}
	custos_lib__ids_sort(&base);
	for (size_t i = 0; i < base.n; i++)
		if ((err = custos_lib__ids_add(&cover, base.v[i].id, base.v[i].seq, 0)) < 0) {
			custos_err_set(&s->err, err, "out of memory");
			goto audit;
		}
	if (spec->with_thread && (err = family_of(s, st, idx, base.v, base.n, &cover)) < 0)
		goto audit;
	custos_lib__ids_sort(&cover);
	out->thread = cover.n - base.n;
	pthread_mutex_lock(&s->a->policy_mu);
	if ((err = custos_session__policy(s, &p)) == CUSTOS_OK) {
		custos_hold_def_t def = { q.data ? q.data : "", spec->reason, spec->ids, spec->n_ids,
		                          spec->with_thread };
		custos_hold_member_t *mem = NULL;
		char (*hex)[CUSTOS_SHA256_HEX] = NULL;
		uint64_t *seqs = NULL;
		if (cover.n && (!(mem = malloc(cover.n * sizeof *mem)) ||
		                !(hex = malloc(cover.n * sizeof *hex)) ||
		                !(seqs = malloc(cover.n * sizeof *seqs))))
			err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		for (size_t i = 0; err == CUSTOS_OK && i < cover.n; i++)
			seqs[i] = cover.v[i].seq;
		if (err == CUSTOS_OK && cover.n &&
		    (err = custos_store_content_hashes(st, seqs, cover.n, hex)) < 0)
			custos_err_set(&s->err, err, "%s", custos_store_err(st)->msg);
		for (size_t i = 0; err == CUSTOS_OK && i < cover.n; i++) {
			mem[i].id = cover.v[i].id;
			mem[i].sha256 = hex[i];
		}
		custos_session__change(s, &c, NULL);
		if (err == CUSTOS_OK &&
		    (err = custos_hold_place(p, name, &def, mem, cover.n, &c, out->commit)) < 0)
			custos_lib__policy_fail(s, p, err);
		free(mem);
		free(hex);
		free(seqs);
		out->members = err == CUSTOS_OK ? cover.n : 0;
	}
	pthread_mutex_unlock(&s->a->policy_mu);
	if (err < 0)
		goto audit;
	anchor_policy(s, p, out->commit, NULL);
	/* the hold as list reports it, in the snapshot after its commit */
	custos_session__unpin(s);
	if ((err = hold_report(s, p, name, &out->hold)) < 0)
		goto audit;
audit:
	if (locked)
		pthread_mutex_unlock(&s->a->dispose_mu);
	custos_buf_addc(&params, '{');
	custos_lib__json_kv(&params, "name", name);
	custos_lib__json_kv(&params, "query", q.data ? q.data : "");
	custos_lib__json_kv(&params, "reason", spec->reason ? spec->reason : "");
	custos_buf_printf(&params, ",\"ids\":%zu,\"with_thread\":%s}", spec->n_ids,
	                  spec->with_thread ? "true" : "false");
	if (err == CUSTOS_OK)
		custos_buf_printf(&result, "{\"members\":%llu,\"matched\":%llu,\"listed_found\":%llu,"
		                  "\"listed_missing\":%llu,\"listed_disposed\":%llu,\"thread\":%llu,"
		                  "\"commit\":\"%s\"}", (unsigned long long)out->members,
		                  (unsigned long long)out->matched,
		                  (unsigned long long)out->listed_found,
		                  (unsigned long long)out->listed_missing,
		                  (unsigned long long)out->listed_disposed,
		                  (unsigned long long)out->thread, out->commit);
	else
		custos_lib__error_result(&result, s);
	err = custos_session__audit(s, "hold-create", params.data, result.data, err);
	if (err < 0 || out == &local)
		custos_hold_placed_free(out);
	custos_buf_free(&q);
	custos_buf_free(&params);
	custos_buf_free(&result);
	custos_index_idlist_free(&m);
	custos_lib__ids_free(&cover);
	custos_lib__ids_free(&found);
	custos_lib__ids_free(&base);
	custos_policy_free(p);
	return err;
}

int custos_archive_hold_create(custos_session_t *s, const char *name, const char *query,
                               const char *reason, uint64_t *matched,
                               char commit[CUSTOS_COMMIT_HEX])
{
	custos_hold_spec_t spec = CUSTOS_HOLD_SPEC_INIT;
	custos_hold_placed_t out;
	spec.query = query;
	spec.reason = reason;
	if (matched)
		*matched = 0;
	/* a hold by query alone needs its query */
	if (!query || !*query) {
		custos_err_set(&s->err, CUSTOS_EINVAL, "a hold needs a query");
		return custos_session__audit(s, "hold-create", NULL, "{\"error\":\"no query\"}",
		                             CUSTOS_EINVAL);
	}
	int err = custos_archive_hold_place(s, name, &spec, &out);
	if (err == CUSTOS_OK) {
		if (matched)
			*matched = out.members;
		if (commit)
			memcpy(commit, out.commit, CUSTOS_COMMIT_HEX);
	}
	custos_hold_placed_free(&out);
	return err;
}

/* Grows hold h by what it covers among the documents after seq `after`
 * (all of them when after is 0); new holds all documents after `after`,
 * for holds by list and with_thread, in news (computed once per round). */
static int grow_one(custos_session_t *s, custos_policy_t *p, custos_store_t *st,
                    custos_index_t *idx, const custos_hold_t *h, uint64_t after,
                    const custos_index_idlist_t *news, custos_lib__ids_t *news_roots,
                    uint64_t *added)
{
	custos_index_idlist_t m = { 0 };
	custos_lib__ids_t take = { 0 };
	size_t n = 0;
	int err = CUSTOS_OK;

	if (h->query[0]) {
		err = after ? custos_index_match_ids_after(idx, &m, h->query, after)
		            : custos_index_match_ids(idx, &m, h->query);
		if (err < 0) {
			custos_lib__index_fail(s, idx, err, "cannot run a hold's query");
			goto done;
		}
		if ((err = ids_add_list(&take, &m)) < 0)
			goto oom;
	}
	/* new records under an id the hold lists */
	for (size_t i = 0; h->listed && i < news->n; i++)
		if (custos_hold_lists(p, h->name, news->v[i].id) &&
		    custos_lib__ids_add(&take, news->v[i].id, news->v[i].seq,
		                        news->v[i].created_at) < 0)
			goto oom;
	custos_lib__ids_sort(&take);
	if ((err = add_members(s, st, p, h->name, take.v, take.n, &n)) < 0)
		goto done;
	*added += n;
	if (h->with_thread) {
		/* a conversation that holds a member joins whole: new replies to
		 * held records, and the older records of a thread a new match is in */
		custos_lib__ids_t fam = { 0 };
		if (!news_roots->sorted &&
		    (err = roots_of(s, st, news->v, news->n, news_roots)) < 0)
			goto done;
		for (size_t i = 0; i < news_roots->n && err == CUSTOS_OK; i++) {
			custos_lib__thread_t t = { 0 };
			if ((err = custos_lib__thread_members(idx, news_roots->v[i].id, &t, &s->err)) < 0) {
				custos_err_prefix(&s->err, "cannot read a conversation");
				break;
			}
			for (size_t j = 0; j < t.n; j++)
				if (custos_hold_has_member(p, h->name, t.v[j].id)) {
					err = ids_add_thread(&fam, &t);
					break;
				}
			custos_lib__thread_free(&t);
		}
		custos_lib__ids_sort(&fam);
		if (err == CUSTOS_OK && (err = add_members(s, st, p, h->name, fam.v, fam.n, &n)) == 0)
			*added += n;
		custos_lib__ids_free(&fam);
		if (err < 0 && err != CUSTOS_ENOMEM)
			goto done;
		if (err < 0)
			goto oom;
	}
	goto done;
oom:
	err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
done:
	custos_index_idlist_free(&m);
	custos_lib__ids_free(&take);
	if (err < 0)
		custos_err_prefix(&s->err, "hold '%s'", h->name);
	return err;
}

/* Grows every active hold by what it covers among the documents after seq
 * `after`; in the index service after each round, and before a plan. */
static int grow_holds(custos_session_t *s, custos_policy_t *p, custos_store_t *st,
                      custos_index_t *idx, uint64_t after, uint64_t *added_out)
{
	custos_holds_t h = { 0 };
	custos_index_idlist_t news = { 0 };
	custos_lib__ids_t roots = { 0 };
	uint64_t added = 0;
	bool need_news = false;
	int err;
	if ((err = custos_hold_list(p, &h)) < 0)
		return custos_lib__policy_fail(s, p, err);
	for (size_t i = 0; i < h.n; i++)
		if (h.v[i].active && (h.v[i].listed || h.v[i].with_thread))
			need_news = true;
	if (need_news) {
		err = after ? custos_index_match_ids_after(idx, &news, CUSTOS_LIB_MATCH_ALL, after)
		            : custos_index_match_ids(idx, &news, CUSTOS_LIB_MATCH_ALL);
		if (err < 0) {
			custos_lib__index_fail(s, idx, err, "cannot list the new records");
			goto done;
		}
	}
	for (size_t i = 0; i < h.n; i++) {
		if (!h.v[i].active)
			continue;
		if ((err = grow_one(s, p, st, idx, &h.v[i], after, &news, &roots, &added)) < 0)
			goto done;
	}
	if (added) {
		custos_policy_change_t c;
		char cm[CUSTOS_COMMIT_HEX] = "";
		custos_session__change(s, &c, "Record the records that joined legal holds");
		if ((err = custos_hold_checkpoint(p, &c, cm)) < 0) {
			custos_lib__policy_fail(s, p, err);
			goto done;
		}
		if (cm[0])
			custos_lib__policy_advance(s, p, cm, NULL);
	}
	err = CUSTOS_OK;
done:
	custos_holds_free(&h);
	custos_index_idlist_free(&news);
	custos_lib__ids_free(&roots);
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
	if ((err = custos_lib__caught_up(s, &st, &idx)) < 0)
		goto audit;
	pthread_mutex_lock(&s->a->policy_mu);
	if ((err = custos_session__policy(s, &p)) == CUSTOS_OK) {
		custos_holds_t h = { 0 };
		if (custos_hold_get(p, name, &h) == 0 && h.n == 1 && h.v[0].active) {
			custos_lib__ids_t cur = { 0 };
			size_t added;
			if (custos_lib__hold_current(s, p, st, idx, &h.v[0], &cur) == 0)
				add_members(s, st, p, name, cur.v, cur.n, &added);
			custos_lib__ids_free(&cur);
		}
		custos_holds_free(&h);
		custos_err_clear(&s->err);
		custos_session__change(s, &c, NULL);
		/* the intent is audited before the commit, so a release cut short
		 * before its anchor is still known as custos's own; the part's
		 * message names the hold and says what is wrong */
		if ((err = custos_lib__release_intent(s, name, reason)) == CUSTOS_OK &&
		    (err = custos_hold_release(p, name, reason, &c, cm)) < 0)
			custos_lib__policy_fail(s, p, err);
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
		custos_lib__error_result(&result, s);
	err = custos_session__audit(s, "hold-release", params.data, result.data, err);
	custos_buf_free(&params);
	custos_buf_free(&result);
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
	custos_lib__ids_t *s;
	int err;
} collect_t;

static int collect_fn(void *ctx, const char *id, const char *sha)
{
	collect_t *c = ctx;
	(void)sha;
	if (custos_lib__ids_add(c->s, id, 0, CUSTOS_TIME_NONE) < 0)
		return c->err = CUSTOS_ENOMEM;
	return 0;
}

/* The hold's records: its members, what it covers now (active), and the
 * ids it lists, merged by id. With out_v NULL only counts. */
static int hold_records(custos_session_t *s, custos_policy_t *p, custos_store_t *st,
                        custos_index_t *idx, const custos_hold_t *h, custos_arena_t *ar,
                        uint64_t *count, custos_hold_record_t **out_v, size_t *out_n)
{
	custos_lib__ids_t mem = { 0 }, cur = { 0 }, lis = { 0 };
	collect_t cm = { &mem, 0 }, cl = { &lis, 0 };
	custos_hold_record_t *v = NULL;
	size_t n = 0, cov = 0;
	int err;

	if ((err = custos_hold_members(p, h->name, collect_fn, &cm)) < 0 || cm.err ||
	    (h->listed && ((err = custos_hold_listed(p, h->name, collect_fn, &cl)) < 0 || cl.err))) {
		err = cm.err || cl.err ? custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory")
		                       : custos_lib__policy_fail(s, p, err);
		goto done;
	}
	custos_lib__ids_sort(&mem);
	custos_lib__ids_sort(&lis);
	if (h->active && idx && (err = custos_lib__hold_current(s, p, st, idx, h, &cur)) < 0)
		goto done;
	if (out_v && !(v = calloc(mem.n + cur.n + lis.n + 1, sizeof *v))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	/* a three-way merge by id */
	size_t i = 0, j = 0, k = 0;
	while (i < mem.n || j < cur.n || k < lis.n) {
		const char *lo = NULL;
		if (i < mem.n)
			lo = mem.v[i].id;
		if (j < cur.n && (!lo || strcmp(cur.v[j].id, lo) < 0))
			lo = cur.v[j].id;
		if (k < lis.n && (!lo || strcmp(lis.v[k].id, lo) < 0))
			lo = lis.v[k].id;
		bool in_m = i < mem.n && !strcmp(mem.v[i].id, lo);
		bool in_c = j < cur.n && !strcmp(cur.v[j].id, lo);
		bool in_l = k < lis.n && !strcmp(lis.v[k].id, lo);
		bool captured = in_m || in_c;
		if (!captured && in_l) {
			uint64_t *seqs = NULL;
			size_t nv = 0;
			captured = custos_store_versions(st, lo, &seqs, &nv) == 0 && nv;
			free(seqs);
		}
		if (v) {
			custos_hold_record_t *r = &v[n];
			if (!(r->id = custos_arena_strdup(ar, lo))) {
				err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			r->member = in_m;
			r->matches = in_c;
			r->listed = in_l;
			r->captured = captured;
			r->created_at = in_c ? cur.v[j].created_at : CUSTOS_TIME_NONE;
		}
		n++;
		cov += captured;
		i += in_m;
		j += in_c;
		k += in_l;
	}
	/* a released hold covers nothing now; its members are shown by hold show */
	*count = h->active ? cov : 0;
	if (out_v) {
		*out_v = v;
		*out_n = n;
		v = NULL;
	}
	err = CUSTOS_OK;
done:
	free(v);
	custos_lib__ids_free(&mem);
	custos_lib__ids_free(&cur);
	custos_lib__ids_free(&lis);
	return err;
}

/* The report of hold name (NULL: every hold, without records) through an
 * open policy (p NULL: one is opened). */
static int hold_report(custos_session_t *s, custos_policy_t *p, const char *name,
                       custos_hold_report_t *out)
{
	custos_policy_t *own = NULL;
	custos_index_t *idx = NULL;
	custos_store_t *st = NULL;
	int err;
	memset(out, 0, sizeof *out);
	if (!p && (err = custos_session__policy(s, &own)) < 0)
		return err;
	if (!p)
		p = own;
	err = name ? custos_hold_get(p, name, &out->holds) : custos_hold_list(p, &out->holds);
	if (err < 0) {
		custos_lib__policy_fail(s, p, err);
		if (err == CUSTOS_ENOTFOUND)
			custos_err_set(&s->err, err, "no hold named '%s'", name);
		goto done;
	}
	if (out->holds.n && ((err = custos_session__store(s, &st)) < 0 ||
	                     (err = custos_session__index(s, &idx)) < 0)) {
		custos_err_prefix(&s->err, "cannot open the search index");
		goto done;
	}
	if (!(out->covers = calloc(out->holds.n + 1, sizeof *out->covers))) {
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < out->holds.n; i++)
		if ((err = hold_records(s, p, st, idx, &out->holds.v[i], &out->arena, &out->covers[i],
		                        name ? &out->v : NULL, name ? &out->n : NULL)) < 0)
			goto done;
done:
	custos_policy_free(own);
	if (err < 0)
		custos_hold_report_free(out);
	return err;
}

int custos_archive_hold_list(custos_session_t *s, custos_hold_report_t *out)
{
	int err = custos_session__begin(s, CUSTOS_OP_HOLD_READ, "read legal holds");
	if (err == CUSTOS_OK)
		err = hold_report(s, NULL, NULL, out);
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
		err = hold_report(s, NULL, name, out);
	else
		memset(out, 0, sizeof *out);
	custos_buf_t params = { 0 };
	char r[64];
	custos_lib__json_obj(&params, "name", name);
	snprintf(r, sizeof r, "{\"records\":%zu}", err ? (size_t)0 : out->n);
	err = custos_session__audit(s, "hold-show", params.data, r, err);
	custos_buf_free(&params);
	if (err < 0)
		custos_hold_report_free(out);
	return err;
}

int custos_archive_hold_names(custos_session_t *s, char **out)
{
	custos_policy_t *p = NULL;
	custos_holds_t h = { 0 };
	custos_buf_t b = { 0 };
	int err;
	*out = NULL;
	if ((err = custos_session__begin(s, CUSTOS_OP_HOLD_READ, "read legal holds")) < 0 ||
	    (err = custos_session__policy(s, &p)) < 0)
		return err;
	if ((err = custos_hold_list(p, &h)) < 0)
		custos_lib__policy_fail(s, p, err);
	for (size_t i = 0; err == CUSTOS_OK && i < h.n; i++)
		if (custos_buf_printf(&b, "%s\n", h.v[i].name) < 0)
			err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	if (err == CUSTOS_OK && !(*out = strdup(b.data ? b.data : "")))
		err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	custos_buf_free(&b);
	custos_holds_free(&h);
	custos_policy_free(p);
	return err;
}

/* ---- scope --------------------------------------------------------------------- */

void custos_hold_scope_free(custos_hold_scope_t *sc)
{
	if (!sc)
		return;
	custos_holds_free(&sc->holds);
	free(sc->platforms);
	free(sc->months);
	free(sc->custodians);
	custos_arena_free(&sc->arena);
	memset(sc, 0, sizeof *sc);
}

/* Counts key in a list kept sorted by key. */
static int tally(custos_arena_t *ar, custos_scope_count_t **v, size_t *n, const char *key)
{
	size_t lo = 0, hi = *n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp((*v)[mid].key, key);
		if (!c) {
			(*v)[mid].records++;
			return CUSTOS_OK;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	custos_scope_count_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return CUSTOS_ENOMEM;
	*v = nv;
	memmove(&nv[lo + 1], &nv[lo], (*n - lo) * sizeof *nv);
	if (!(nv[lo].key = custos_arena_strdup(ar, key)))
		return CUSTOS_ENOMEM;
	nv[lo].records = 1;
	(*n)++;
	return CUSTOS_OK;
}

int custos_archive_hold_scope(custos_session_t *s, const char *name, custos_hold_scope_t *out)
{
	custos_hold_report_t r;
	custos_store_t *st = NULL;
	custos_record_t rec;
	int err;
	memset(out, 0, sizeof *out);
	memset(&r, 0, sizeof r);
	custos_record_init(&rec);
	if ((err = custos_session__begin(s, CUSTOS_OP_HOLD_READ, "read legal holds")) < 0 ||
	    (err = hold_report(s, NULL, name, &r)) < 0 || (err = custos_session__store(s, &st)) < 0)
		goto audit;
	out->holds = r.holds;
	memset(&r.holds, 0, sizeof r.holds);
	for (size_t i = 0; i < r.n; i++) {
		uint64_t *seqs = NULL;
		size_t nv = 0;
		if ((err = custos_store_versions(st, r.v[i].id, &seqs, &nv)) < 0) {
			custos_session__fail(s, err, custos_store_err(st)->msg, "cannot read %s", r.v[i].id);
			goto audit;
		}
		err = nv ? custos_store_get_seq(st, seqs[nv - 1], &rec) : CUSTOS_ENOTFOUND;
		free(seqs);
		if (err == CUSTOS_ENOTFOUND) {
			/* listed and never captured, or disposed of after a release */
			out->not_captured++;
			continue;
		}
		if (err < 0) {
			custos_session__fail(s, err, custos_store_err(st)->msg, "cannot read %s",
			                     r.v[i].id);
			goto audit;
		}
		char month[16];
		custos_time_format(month, sizeof month, rec.created_at);
		month[7] = '\0';
		const char *cu = rec.custodian;
		out->records++;
		if (tally(&out->arena, &out->platforms, &out->n_platforms,
		          rec.platform ? rec.platform : "") < 0 ||
		    tally(&out->arena, &out->months, &out->n_months, month) < 0 ||
		    tally(&out->arena, &out->custodians, &out->n_custodians, cu ? cu : "(none)") < 0) {
			err = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			goto audit;
		}
	}
	err = CUSTOS_OK;
audit:;
	custos_buf_t params = { 0 };
	char res[96];
	custos_lib__json_obj(&params, "name", name);
	snprintf(res, sizeof res, "{\"records\":%llu,\"not_captured\":%llu}",
	         (unsigned long long)out->records, (unsigned long long)out->not_captured);
	err = custos_session__audit(s, "hold-scope", params.data, err ? NULL : res, err);
	custos_buf_free(&params);
	custos_hold_report_free(&r);
	custos_record_free(&rec);
	if (err < 0)
		custos_hold_scope_free(out);
	return err;
}
