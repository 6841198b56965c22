/* The record of disposition: every run (from the audit trail) and every
 * tombstone (from the store), the digest that ties a run's audit entry to
 * its tombstones, certificates of disposal, and their checks. */
#include "lib_internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the digest of a run ------------------------------------------------------ */

/* One line of a run's digest: "<seq> <id> <version> <content sha256>\n",
 * the lines in sequence order. */
static void digest_line(custos_sha256_ctx_t *c, uint64_t seq, const char *id, uint32_t version,
                        const char *content)
{
	char head[64];
	int n = snprintf(head, sizeof head, "%llu ", (unsigned long long)seq);
	custos_sha256_update(c, head, (size_t)n);
	custos_sha256_update(c, id, strlen(id));
	n = snprintf(head, sizeof head, " %u ", version);
	custos_sha256_update(c, head, (size_t)n);
	custos_sha256_update(c, content, strlen(content));
	custos_sha256_update(c, "\n", 1);
}

static void digest_hex(custos_sha256_ctx_t *c, char hex[CUSTOS_SHA256_HEX])
{
	uint8_t d[CUSTOS_SHA256_LEN];
	custos_sha256_final(c, d);
	custos_hex(hex, d, sizeof d);
}

typedef struct {
	uint64_t seq;
	uint32_t version;
	const char *id;                    /* in the arena */
	char     content[CUSTOS_SHA256_HEX];
} dline_t;

typedef struct {
	uint64_t run;
	dline_t *v;
	size_t n, cap;
	custos_arena_t arena;
	int err;
} run_tombs_t;

static int run_tomb_fn(void *ctx, uint64_t seq, const char *json, size_t n)
{
	run_tombs_t *rt = ctx;
	json_t *o = json_loadb(json, n, 0, NULL);
	if (!o)
		return 0;
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *h = json_string_value(json_object_get(o, "content_sha256"));
	if ((uint64_t)json_integer_value(json_object_get(o, "run")) == rt->run && id && h &&
	    strlen(h) == 64) {
		if (rt->n == rt->cap) {
			size_t cap = rt->cap ? rt->cap * 2 : 256;
			dline_t *nv = realloc(rt->v, cap * sizeof *nv);
			if (!nv) {
				json_decref(o);
				return rt->err = CUSTOS_ENOMEM;
			}
			rt->v = nv;
			rt->cap = cap;
		}
		dline_t *d = &rt->v[rt->n];
		d->seq = seq;
		d->version = (uint32_t)json_integer_value(json_object_get(o, "version"));
		memcpy(d->content, h, CUSTOS_SHA256_HEX);
		if (!(d->id = custos_arena_strdup(&rt->arena, id)))
			rt->err = CUSTOS_ENOMEM;
		else
			rt->n++;
	}
	json_decref(o);
	return rt->err;
}

static int run_brief_fn(void *ctx, uint64_t seq, const char *id, size_t id_len,
                        uint32_t version, const uint8_t content[32], uint64_t run,
                        const char *json, size_t json_len)
{
	run_tombs_t *rt = ctx;
	if (!id)
		return run_tomb_fn(ctx, seq, json, json_len);   /* written as JSON */
	if (run != rt->run)
		return 0;
	if (rt->n == rt->cap) {
		size_t cap = rt->cap ? rt->cap * 2 : 256;
		dline_t *nv = realloc(rt->v, cap * sizeof *nv);
		if (!nv)
			return rt->err = CUSTOS_ENOMEM;
		rt->v = nv;
		rt->cap = cap;
	}
	dline_t *d = &rt->v[rt->n];
	d->seq = seq;
	d->version = version;
	custos_hex(d->content, content, 32);
	if (!(d->id = custos_arena_strndup(&rt->arena, id, id_len)))
		rt->err = CUSTOS_ENOMEM;
	else
		rt->n++;
	return rt->err;
}

static int cmp_dline(const void *x, const void *y)
{
	const dline_t *a = x, *b = y;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int custos_lib__run_digest(custos_session_t *s, custos_store_t *st, uint64_t run,
                           const char *const *ids, size_t n, char hex[CUSTOS_SHA256_HEX],
                           uint64_t *versions)
{
	run_tombs_t rt = { run, NULL, 0, 0, { 0 }, 0 };
	custos_sha256_ctx_t c;
	int rc = CUSTOS_OK;
	if ((rc = custos_store_tombstones_brief(st, ids, n, run_brief_fn, &rt)) < 0 && !rt.err)
		custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read tombstones");
	if (rt.err)
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	if (rc == CUSTOS_OK) {
		if (rt.n)
			qsort(rt.v, rt.n, sizeof *rt.v, cmp_dline);
		custos_sha256_init(&c);
		for (size_t i = 0; i < rt.n; i++)
			digest_line(&c, rt.v[i].seq, rt.v[i].id, rt.v[i].version, rt.v[i].content);
		digest_hex(&c, hex);
		if (versions)
			*versions = rt.n;
	}
	free(rt.v);
	custos_arena_free(&rt.arena);
	return rc;
}

/* ---- reading runs and tombstones ------------------------------------------------- */

typedef struct {
	custos_session_t *s;
	custos_retention_log_t *out;
	size_t cap_runs, cap;
	custos_sha256_ctx_t *ctx;    /* per run, in out->runs order */
	int err;
} log_t;

static char *astr(custos_arena_t *a, json_t *v, bool *oom)
{
	const char *s = json_string_value(v);
	char *d = s ? custos_arena_strdup(a, s) : NULL;
	if (s && !d)
		*oom = true;
	return d;
}

static int64_t jtime(json_t *v)
{
	const char *s = json_string_value(v);
	int64_t t;
	return s && custos_time_parse(&t, s, strlen(s)) == 0 ? t : CUSTOS_TIME_NONE;
}

static custos_run_t *run_find(custos_retention_log_t *l, uint64_t run)
{
	for (size_t i = l->n_runs; i-- > 0;)
		if (l->runs[i].run == run)
			return &l->runs[i];
	return NULL;
}

static int audit_fn(void *ctx, const char *line, size_t n)
{
	log_t *lg = ctx;
	custos_retention_log_t *l = lg->out;
	bool oom = false;
	if (!memmem(line, n, "\"action\":\"retention-apply", 25))
		return 0;
	json_t *o = json_loadb(line, n, 0, NULL);
	if (!o)
		return 0;
	const char *action = json_string_value(json_object_get(o, "action"));
	json_t *params = json_object_get(o, "params"), *result = json_object_get(o, "result");
	uint64_t num = (uint64_t)json_integer_value(json_object_get(o, "n"));
	if (action && !strcmp(action, "retention-apply-begin")) {
		if (l->n_runs == lg->cap_runs) {
			size_t cap = lg->cap_runs ? lg->cap_runs * 2 : 16;
			custos_run_t *nv = realloc(l->runs, cap * sizeof *nv);
			custos_sha256_ctx_t *nc = realloc(lg->ctx, cap * sizeof *nc);
			if (nv)
				l->runs = nv;
			if (nc)
				lg->ctx = nc;
			if (!nv || !nc) {
				json_decref(o);
				return lg->err = CUSTOS_ENOMEM;
			}
			lg->cap_runs = cap;
		}
		custos_run_t *r = &l->runs[l->n_runs];
		memset(r, 0, sizeof *r);
		r->run = num;
		r->started_at = jtime(json_object_get(o, "time"));
		r->as_of = jtime(json_object_get(params, "as_of"));
		snprintf(r->commit, sizeof r->commit, "%s",
		         json_string_value(json_object_get(result, "commit")) ?
		         json_string_value(json_object_get(result, "commit")) : "");
		r->actor = astr(&l->arena, json_object_get(o, "actor"), &oom);
		if (!r->actor)
			r->actor = astr(&l->arena, json_object_get(o, "user"), &oom);
		r->eligible = (uint64_t)json_integer_value(json_object_get(result, "eligible"));
		r->status = "interrupted";
		custos_sha256_init(&lg->ctx[l->n_runs]);
		l->n_runs++;
	} else if (action && !strcmp(action, "retention-apply")) {
		custos_run_t *r = run_find(l, (uint64_t)json_integer_value(json_object_get(result, "run")));
		if (r && json_integer_value(json_object_get(result, "run"))) {
			const char *st = json_string_value(json_object_get(o, "status"));
			const char *d = json_string_value(json_object_get(result, "disposed_digest"));
			uint8_t h[CUSTOS_SHA256_LEN];
			r->status = st && !strcmp(st, "ok") ? "ok" : "failed";
			r->audit_n = num;
			custos_sha256(h, line, n);
			custos_hex(r->audit_sha256, h, sizeof h);
			snprintf(r->digest, sizeof r->digest, "%s", d ? d : "");
		}
	}
	json_decref(o);
	return oom ? (lg->err = CUSTOS_ENOMEM) : 0;
}

static int tomb_fn(void *ctx, uint64_t seq, const char *json, size_t n)
{
	log_t *lg = ctx;
	custos_retention_log_t *l = lg->out;
	bool oom = false;
	json_t *o = json_loadb(json, n, 0, NULL);
	if (!o)
		return 0;   /* verify names a damaged tombstone */
	if (l->n == lg->cap) {
		size_t cap = lg->cap ? lg->cap * 2 : 256;
		custos_tombstone_t *nv = realloc(l->v, cap * sizeof *nv);
		if (!nv) {
			json_decref(o);
			return lg->err = CUSTOS_ENOMEM;
		}
		l->v = nv;
		lg->cap = cap;
	}
	custos_tombstone_t *t = &l->v[l->n];
	memset(t, 0, sizeof *t);
	t->seq = seq;
	t->id = astr(&l->arena, json_object_get(o, "id"), &oom);
	t->version = (uint32_t)json_integer_value(json_object_get(o, "version"));
	t->platform = astr(&l->arena, json_object_get(o, "platform"), &oom);
	t->account = astr(&l->arena, json_object_get(o, "account"), &oom);
	t->created_at = jtime(json_object_get(o, "created_at"));
	t->disposed_at = jtime(json_object_get(o, "disposed_at"));
	t->rule = astr(&l->arena, json_object_get(o, "rule"), &oom);
	t->commit = astr(&l->arena, json_object_get(o, "policy_commit"), &oom);
	t->actor = astr(&l->arena, json_object_get(o, "actor"), &oom);
	t->run = (uint64_t)json_integer_value(json_object_get(o, "run"));
	t->content_sha256 = astr(&l->arena, json_object_get(o, "content_sha256"), &oom);
	t->json = custos_arena_strndup(&l->arena, json, n);
	json_decref(o);
	if (oom || !t->json || !t->id)
		return lg->err = CUSTOS_ENOMEM;
	l->n++;
	custos_run_t *r = t->run ? run_find(l, t->run) : NULL;
	if (r) {
		r->versions++;
		digest_line(&lg->ctx[r - l->runs], seq, t->id, t->version,
		            t->content_sha256 ? t->content_sha256 : "");
	}
	return 0;
}

void custos_retention_log_free(custos_retention_log_t *l)
{
	if (!l)
		return;
	free(l->runs);
	free(l->v);
	custos_arena_free(&l->arena);
	memset(l, 0, sizeof *l);
}

/* Reads the runs and the tombstones; each run's digest (recomputed from
 * its tombstones) goes to computed[i] when computed is not NULL. */
static int log_read(custos_session_t *s, custos_retention_log_t *out,
                    char (**computed)[CUSTOS_SHA256_HEX])
{
	log_t lg = { s, out, 0, 0, NULL, 0 };
	custos_store_t *st = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	if (computed)
		*computed = NULL;
	if ((rc = custos_audit_read(s->a->dir, CUSTOS_TIME_NONE, audit_fn, &lg, &s->err)) != 0 &&
	    !lg.err)
		goto done;
	if (lg.err) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = custos_session__store(s, &st)) < 0)
		goto done;
	if ((rc = custos_store_tombstone_scan(st, tomb_fn, &lg)) != 0) {
		if (lg.err)
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		else
			custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read tombstones");
		goto done;
	}
	{
		/* a run's records: the distinct ids among its tombstones */
		custos_lib__ids_t seen = { 0 };
		for (size_t i = 0; i < out->n; i++) {
			char key[1100];
			if (!out->v[i].run)
				continue;
			snprintf(key, sizeof key, "%llu %s", (unsigned long long)out->v[i].run,
			         out->v[i].id);
			if (custos_lib__ids_add(&seen, key, out->v[i].run, 0) < 0) {
				custos_lib__ids_free(&seen);
				rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
		}
		custos_lib__ids_sort(&seen);
		for (size_t i = 0; i < seen.n; i++) {
			custos_run_t *r = run_find(out, seen.v[i].seq);
			if (r)
				r->records++;
		}
		custos_lib__ids_free(&seen);
	}
	if (computed && out->n_runs &&
	    !(*computed = calloc(out->n_runs, sizeof **computed))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; computed && i < out->n_runs; i++)
		digest_hex(&lg.ctx[i], (*computed)[i]);
	rc = CUSTOS_OK;
done:
	free(lg.ctx);
	if (rc < 0) {
		custos_retention_log_free(out);
		if (computed) {
			free(*computed);
			*computed = NULL;
		}
	}
	return rc;
}

int custos_archive_retention_log(custos_session_t *s, custos_retention_log_t *out)
{
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_RETENTION_PLAN, "read the disposition log")) == 0)
		rc = log_read(s, out, NULL);
	char r[96];
	snprintf(r, sizeof r, "{\"runs\":%zu,\"tombstones\":%zu}", rc ? (size_t)0 : out->n_runs,
	         rc ? (size_t)0 : out->n);
	rc = custos_session__audit(s, "retention-log", NULL, rc ? NULL : r, rc);
	if (rc < 0)
		custos_retention_log_free(out);
	return rc;
}

/* ---- the check verify makes ---------------------------------------------------------- */

int custos_lib__runs_check(custos_session_t *s, uint64_t *runs,
                           void (*problem)(void *ctx, const char *msg), void *ctx)
{
	custos_retention_log_t l;
	char (*computed)[CUSTOS_SHA256_HEX] = NULL;
	char msg[1200];
	int rc;
	*runs = 0;
	if ((rc = log_read(s, &l, &computed)) < 0) {
		snprintf(msg, sizeof msg, "disposition runs: %s", s->err.msg);
		problem(ctx, msg);
		return rc;
	}
	for (size_t i = 0; i < l.n_runs; i++) {
		const custos_run_t *r = &l.runs[i];
		if (!r->audit_n)
			continue;   /* interrupted: its entry never came, the rerun finished it */
		(*runs)++;
		if (strcmp(r->digest, computed[i]) != 0) {
			snprintf(msg, sizeof msg, "disposition run %llu: its tombstones (%llu versions) "
			         "are not those its audit entry %llu recorded: a tombstone was changed, "
			         "added or removed", (unsigned long long)r->run,
			         (unsigned long long)r->versions, (unsigned long long)r->audit_n);
			problem(ctx, msg);
		}
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].run && !run_find(&l, l.v[i].run)) {
			snprintf(msg, sizeof msg, "tombstone of %s (seq %llu) names disposition run %llu, "
			         "of which the audit trail has no record", l.v[i].id,
			         (unsigned long long)l.v[i].seq, (unsigned long long)l.v[i].run);
			problem(ctx, msg);
		}
	free(computed);
	custos_retention_log_free(&l);
	return CUSTOS_OK;
}

/* ---- certificates ------------------------------------------------------------------- */

int custos_archive_retention_certificate(custos_session_t *s, uint64_t run, char **out)
{
	custos_retention_log_t l;
	char (*computed)[CUSTOS_SHA256_HEX] = NULL;
	custos_buf_t b = { 0 };
	custos_run_t *r = NULL;
	char t[40];
	int rc;
	*out = NULL;
	memset(&l, 0, sizeof l);
	if ((rc = custos_session__begin(s, CUSTOS_OP_RETENTION_PLAN, "read the disposition log")) < 0 ||
	    (rc = log_read(s, &l, &computed)) < 0)
		goto audit;
	if (!(r = run_find(&l, run))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no disposition run %llu (custos "
		                    "retention log lists them)", (unsigned long long)run);
		goto audit;
	}
	if (!r->audit_n) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "disposition run %llu was interrupted: "
		                    "no audit entry closes it; the run that finished its work has the "
		                    "certificate", (unsigned long long)run);
		goto audit;
	}
	size_t ri = (size_t)(r - l.runs);
	custos_buf_printf(&b, "{\"certificate\": \"custos certificate of disposal\", \"run\": %llu",
	                  (unsigned long long)run);
	custos_time_format(t, sizeof t, r->as_of);
	custos_buf_printf(&b, ", \"as_of\": \"%s\", \"policy_commit\": \"%s\", \"actor\": ", t,
	                  r->commit);
	custos_buf_add_json_text(&b, r->actor ? r->actor : "", r->actor ? strlen(r->actor) : 0);
	custos_time_format(t, sizeof t, r->started_at);
	custos_buf_printf(&b, ", \"started_at\": \"%s\", \"status\": \"%s\", \"records\": %llu, "
	                  "\"versions\": %llu, \"digest\": \"%s\", \"audit_entry\": {\"n\": %llu, "
	                  "\"action\": \"retention-apply\", \"sha256\": \"%s\", "
	                  "\"disposed_digest\": \"%s\"}, \"disposed\": [", t, r->status,
	                  (unsigned long long)r->records, (unsigned long long)r->versions,
	                  computed[ri], (unsigned long long)r->audit_n, r->audit_sha256, r->digest);
	size_t k = 0;
	for (size_t i = 0; i < l.n; i++) {
		const custos_tombstone_t *tb = &l.v[i];
		if (tb->run != run)
			continue;
		custos_buf_printf(&b, "%s\n  {\"seq\": %llu, \"id\": ", k++ ? "," : "",
		                  (unsigned long long)tb->seq);
		custos_buf_add_json_text(&b, tb->id, strlen(tb->id));
		custos_buf_printf(&b, ", \"version\": %u, \"content_sha256\": \"%s\", \"rule\": ",
		                  tb->version, tb->content_sha256 ? tb->content_sha256 : "");
		custos_buf_add_json_text(&b, tb->rule ? tb->rule : "", tb->rule ? strlen(tb->rule) : 0);
		custos_time_format(t, sizeof t, tb->disposed_at);
		custos_buf_printf(&b, ", \"disposed_at\": \"%s\"}", t);
	}
	if (custos_buf_adds(&b, "]}\n") < 0 || !(*out = strdup(b.data)))
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
audit:;
	char p[64], res[160];
	snprintf(p, sizeof p, "{\"run\":%llu}", (unsigned long long)run);
	if (rc == CUSTOS_OK)
		snprintf(res, sizeof res, "{\"versions\":%llu,\"digest\":\"%s\"}",
		         (unsigned long long)r->versions, computed[r - l.runs]);
	rc = custos_session__audit(s, "retention-certificate", p, rc ? NULL : res, rc);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	free(computed);
	custos_buf_free(&b);
	custos_retention_log_free(&l);
	return rc;
}

/* Reads a certificate file: at most 1 GiB of JSON. */
static json_t *cert_load(custos_session_t *s, const char *path, int *rc)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	if (!o) {
		*rc = custos_err_set(&s->err, errno == ENOENT ? CUSTOS_ENOTFOUND : CUSTOS_EFORMAT,
		                     "cannot read '%s': %s (line %d)", path, je.text, je.line);
		return NULL;
	}
	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "run")) ||
	    !json_is_array(json_object_get(o, "disposed")) ||
	    !json_is_string(json_object_get(o, "digest")) ||
	    !json_is_object(json_object_get(o, "audit_entry"))) {
		json_decref(o);
		*rc = custos_err_set(&s->err, CUSTOS_EFORMAT, "'%s' is not a certificate of disposal "
		                     "(custos retention certificate RUN writes one)", path);
		return NULL;
	}
	*rc = CUSTOS_OK;
	return o;
}

int custos_archive_certificate_check(custos_session_t *s, const char *path,
                                     custos_certificate_check_t *out)
{
	custos_certificate_check_t local;
	custos_retention_log_t l;
	char (*computed)[CUSTOS_SHA256_HEX] = NULL;
	json_t *o = NULL;
	int rc;
	if (!out)
		out = &local;
	memset(out, 0, sizeof *out);
	memset(&l, 0, sizeof l);
	if ((rc = custos_session__begin(s, CUSTOS_OP_VERIFY, "check certificates of disposal")) < 0 ||
	    !(o = cert_load(s, path, &rc)))
		goto audit;
	uint64_t run = (uint64_t)json_integer_value(json_object_get(o, "run"));
	json_t *list = json_object_get(o, "disposed"), *ae = json_object_get(o, "audit_entry");
	const char *digest = json_string_value(json_object_get(o, "digest"));
	out->run = run;
	/* 1. the digest over what it lists */
	custos_sha256_ctx_t c;
	char hex[CUSTOS_SHA256_HEX];
	custos_sha256_init(&c);
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *h = json_string_value(json_object_get(e, "content_sha256"));
		if (!id || !h) {
			rc = custos_err_set(&s->err, CUSTOS_EFORMAT, "'%s': entry %zu of disposed has no "
			                    "id or content_sha256", path, i + 1);
			goto audit;
		}
		digest_line(&c, (uint64_t)json_integer_value(json_object_get(e, "seq")), id,
		            (uint32_t)json_integer_value(json_object_get(e, "version")), h);
	}
	digest_hex(&c, hex);
	if (strcmp(hex, digest)) {
		rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "its list of %zu disposed versions does "
		                    "not give its digest: the list was changed",
		                    json_array_size(list));
		goto audit;
	}
	/* 2. the archive's tombstones of that run are exactly those */
	if ((rc = log_read(s, &l, &computed)) < 0)
		goto audit;
	custos_run_t *r = run_find(&l, run);
	if (!r || !r->audit_n) {
		rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "this archive has no completed "
		                    "disposition run %llu", (unsigned long long)run);
		goto audit;
	}
	size_t k = 0;
	for (size_t i = 0; i < l.n && rc == CUSTOS_OK; i++) {
		const custos_tombstone_t *t = &l.v[i];
		if (t->run != run)
			continue;
		json_t *e = json_array_get(list, k++);
		if (!e) {
			rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "the tombstone of %s version %u (seq "
			                    "%llu) belongs to run %llu but is not in the certificate",
			                    t->id, t->version, (unsigned long long)t->seq,
			                    (unsigned long long)run);
			break;
		}
		const char *id = json_string_value(json_object_get(e, "id"));
		const char *h = json_string_value(json_object_get(e, "content_sha256"));
		if ((uint64_t)json_integer_value(json_object_get(e, "seq")) != t->seq || strcmp(id, t->id) ||
		    (uint32_t)json_integer_value(json_object_get(e, "version")) != t->version ||
		    !t->content_sha256 || strcmp(h, t->content_sha256))
			rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "it names %s (seq %llu) with "
			                    "content %.16s..., the archive's tombstone at that place is %s "
			                    "(seq %llu) with content %.16s...", id,
			                    (unsigned long long)json_integer_value(json_object_get(e, "seq")),
			                    h, t->id, (unsigned long long)t->seq,
			                    t->content_sha256 ? t->content_sha256 : "");
	}
	if (rc == CUSTOS_OK && k != json_array_size(list))
		rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "it lists %zu disposed versions, the "
		                    "archive has tombstones for %zu of run %llu",
		                    json_array_size(list), k, (unsigned long long)run);
	if (rc < 0)
		goto audit;
	/* 3. the audit entry that closed the run is the one it names, and
	 * recorded the same digest */
	const char *ash = json_string_value(json_object_get(ae, "sha256"));
	if ((uint64_t)json_integer_value(json_object_get(ae, "n")) != r->audit_n || !ash ||
	    strcmp(ash, r->audit_sha256) || strcmp(r->digest, digest)) {
		rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "its audit entry (%llu, %.16s...) is not "
		                    "the entry that closed run %llu in this archive's audit chain "
		                    "(%llu, %.16s..., digest %.16s...)",
		                    (unsigned long long)json_integer_value(json_object_get(ae, "n")),
		                    ash ? ash : "", (unsigned long long)run,
		                    (unsigned long long)r->audit_n, r->audit_sha256, r->digest);
		goto audit;
	}
	out->records = r->records;
	out->versions = r->versions;
audit:;
	custos_buf_t p = { 0 };
	char res[128];
	custos_lib__json_obj(&p, "file", path);
	if (rc == CUSTOS_OK)
		snprintf(res, sizeof res, "{\"run\":%llu,\"versions\":%llu,\"verdict\":\"ok\"}",
		         (unsigned long long)out->run, (unsigned long long)out->versions);
	rc = custos_session__audit(s, "certificate-check", p.data, rc ? NULL : res, rc);
	custos_buf_free(&p);
	free(computed);
	custos_retention_log_free(&l);
	json_decref(o);
	return rc;
}
