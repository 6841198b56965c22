/* Verification across the parts: the store and its record chain, the audit
 * chain against what the record chain anchors of it, the policy repository
 * against the anchored policy heads, and the index against the store; and
 * reading the audit trail. Every problem found is reported, not only the
 * first. */
#include "lib_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBLEMS_KEPT 1000

void custos_verify_free(custos_verify_t *v)
{
	if (!v)
		return;
	free(v->problem);
	custos_arena_free(&v->arena);
	memset(v, 0, sizeof *v);
}

static void problem(custos_session_t *s, custos_verify_t *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(custos_session_t *s, custos_verify_t *v, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (v->problems++ == 0)
		custos_err_set(&s->err, CUSTOS_ECORRUPT, "%s", msg);
	if (v->n_problem >= PROBLEMS_KEPT)
		return;
	char **np = realloc(v->problem, (v->n_problem + 1) * sizeof *np);
	char *m = custos_arena_strdup(&v->arena, msg);
	if (!np || !m) {
		if (np)
			v->problem = np;
		return;   /* counted, not kept */
	}
	v->problem = np;
	v->problem[v->n_problem++] = m;
}

/* A verification, for the checks of other files that report into it. */
typedef struct {
	custos_session_t *s;
	custos_verify_t *v;
} verifying_t;

static void run_problem(void *ctx, const char *msg)
{
	verifying_t *vc = ctx;
	problem(vc->s, vc->v, "%s", msg);
}

/* ---- the audit chain and its anchors -------------------------------------- */

typedef struct {
	uint64_t batch;
	int64_t  time;            /* of the first batch that anchored this */
	uint64_t n;
	uint8_t  head[CUSTOS_SHA256_LEN];
	char     policy[CUSTOS_COMMIT_HEX];
} anchor_t;

typedef struct {
	anchor_t *v;
	size_t n, cap;
	/* every batch's record chain head, sorted (what audit entries name) */
	uint8_t (*heads)[CUSTOS_SHA256_LEN];
	size_t n_heads, cap_heads;
	int err;
} anchors_t;

static int batch_fn(void *ctx, const custos_batch_info_t *b)
{
	anchors_t *l = ctx;
	if (l->n_heads == l->cap_heads) {
		size_t cap = l->cap_heads ? l->cap_heads * 2 : 256;
		uint8_t (*nh)[CUSTOS_SHA256_LEN] = realloc(l->heads, cap * sizeof *nh);
		if (!nh)
			return l->err = CUSTOS_ENOMEM;
		l->heads = nh;
		l->cap_heads = cap;
	}
	memcpy(l->heads[l->n_heads++], b->head, CUSTOS_SHA256_LEN);
	const custos_anchor_t *a = b->anchor;
	/* each change of anchor is enough: equal ones say the same */
	if (!a || (l->n && l->v[l->n - 1].n == a->audit_n && !strcmp(l->v[l->n - 1].policy, a->policy)))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		anchor_t *nv = realloc(l->v, cap * sizeof *nv);
		if (!nv)
			return l->err = CUSTOS_ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	anchor_t *e = &l->v[l->n++];
	e->batch = b->batch;
	e->time = b->time;
	e->n = a->audit_n;
	memcpy(e->head, a->audit_head, sizeof e->head);
	memcpy(e->policy, a->policy, sizeof e->policy);
	return 0;
}

static int cmp_head(const void *x, const void *y)
{
	return memcmp(x, y, CUSTOS_SHA256_LEN);
}

typedef struct {
	custos_session_t *s;
	custos_verify_t *v;
	const anchors_t *an;
	size_t next;          /* the next anchor to meet */
	uint64_t lines;
	uint64_t store_last;  /* the store's last seq */
} audit_walk_t;

/* The value of a top-level string field of an entry, compared with want
 * (with prefix, with its start). */
static bool field_is(const char *line, size_t n, const char *key, const char *want, bool prefix);

/* What an ingest's entry says of the store must still be so: its records
 * are there (last_seq) and its chain head is a batch's head. A store cut
 * back, or replaced by an older copy, fails it for every ingest since. */
static void audit_names_store(audit_walk_t *w, const char *line, size_t n, uint64_t num)
{
	const char *p, *end = line + n;
	if (!field_is(line, n, "action", "ingest", false) &&
	    !field_is(line, n, "action", "submit", false) &&
	    !field_is(line, n, "action", "ingest-recovered", false))
		return;
	if ((p = memmem(line, n, "\"last_seq\":", 11))) {
		uint64_t last = strtoull(p + 11, NULL, 10);
		if (last > w->store_last) {
			problem(w->s, w->v, "audit log: entry %llu says the store held records up to seq "
			        "%llu, but the store ends at seq %llu: the store was cut back or replaced "
			        "by an older copy", (unsigned long long)num, (unsigned long long)last,
			        (unsigned long long)w->store_last);
			return;
		}
	}
	if ((p = memmem(line, n, "\"chain\":\"", 9)) && end - p >= 9 + 64 && p[9 + 64] == '"') {
		uint8_t h[CUSTOS_SHA256_LEN];
		if (custos_unhex(h, p + 9, sizeof h) < 0)
			return;
		if (!bsearch(h, w->an->heads, w->an->n_heads, sizeof *w->an->heads, cmp_head))
			problem(w->s, w->v, "audit log: entry %llu names record chain head %.16s..., "
			        "which no batch of the store has: the store was rewritten or replaced "
			        "by another copy", (unsigned long long)num, p + 9);
	}
}

static int audit_walk_fn(void *ctx, const char *line, size_t n)
{
	audit_walk_t *w = ctx;
	uint8_t h[CUSTOS_SHA256_LEN];
	uint64_t num = 0;
	w->lines++;
	if (n > 5 && !memcmp(line, "{\"n\":", 5))
		num = strtoull(line + 5, NULL, 10);
	while (w->next < w->an->n && w->an->v[w->next].n < num)
		w->next++;   /* an entry with that number was not met: reported at the end */
	if (w->next < w->an->n && w->an->v[w->next].n == num) {
		custos_sha256(h, line, n);
		if (memcmp(h, w->an->v[w->next].head, sizeof h) != 0)
			problem(w->s, w->v, "audit log: entry %llu is not the entry the store's chain "
			        "anchored (batch %llu): it was changed or replaced",
			        (unsigned long long)num, (unsigned long long)w->an->v[w->next].batch);
		while (w->next < w->an->n && w->an->v[w->next].n == num)
			w->next++;
	}
	audit_names_store(w, line, n, num);
	return 0;
}

static void verify_audit(custos_session_t *s, custos_verify_t *v, const anchors_t *an,
                         uint64_t store_last)
{
	custos_err_t err = { 0 };
	int rc = custos_audit_verify(s->a->dir, &v->audit_entries, v->audit_head, &err);
	if (rc < 0)
		problem(s, v, "%s", err.msg);
	uint64_t last = 0;
	for (size_t i = 0; i < an->n; i++)
		if (an->v[i].n > last)
			last = an->v[i].n;
	v->audit_anchored = last;
	audit_walk_t w = { s, v, an, 0, 0, store_last };
	if (custos_audit_read(s->a->dir, CUSTOS_TIME_NONE, audit_walk_fn, &w, &err) < 0 && rc == 0)
		problem(s, v, "%s", err.msg);
	if (last > w.lines)
		problem(s, v, "audit log: it holds %llu entries, but the store's chain anchored "
		        "entry %llu: the log was cut back or emptied behind custos's back",
		        (unsigned long long)w.lines, (unsigned long long)last);
}

/* ---- the policy repository ------------------------------------------------ */

static void problem_cb(void *ctx, const char *msg)
{
	void **c = ctx;
	problem(c[0], c[1], "%s", msg);
}

/* Reads every object of the repository back, and checks it against what
 * the store's chain anchored of it: the last anchored commit is in the
 * branch's history, the holds agree with it (holds_guard.c), and no commit
 * the chain anchored was accepted again afterwards as if made outside
 * custos (what deleting refs/custos/known leads to). Writes nothing: a
 * verify changes no repository, and works on a read-only one. */
static void verify_policy(custos_session_t *s, custos_verify_t *v, const anchors_t *an)
{
	custos_policy_t *p = NULL;
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	custos_err_t err = { 0 };
	void *ctx[2] = { s, v };
	const char *base = NULL;
	o.flags = CUSTOS_POLICY_READONLY;
	o.check_query = custos_lib__query_check;
	custos_archive__git_hold(s->a);
	if (custos_policy_open(&p, s->a->dir, &o, &err) < 0) {
		problem(s, v, "policy repository: %s", err.msg);
		return;
	}
	int rc = custos_policy_check(p, problem_cb, ctx, NULL);
	if (rc < 0 && rc != CUSTOS_ECORRUPT)
		problem(s, v, "policy repository: %s", custos_policy_err(p)->msg);
	for (size_t i = an->n; i-- > 0 && !base;)
		if (an->v[i].policy[0])
			base = an->v[i].policy;
	if (base) {
		rc = custos_lib__holds_guard(s, p, base, NULL, NULL, CUSTOS_GUARD_MEMBERS,
		                             problem_cb, ctx);
		if (rc < 0 && rc != CUSTOS_EPOLICY)
			problem(s, v, "policy repository: %s", s->err.msg);
	}
	/* custos never notes its own commits; a note later than the anchor of
	 * a commit means the whole history was accepted again */
	for (size_t i = 0; i < an->n; i++) {
		int64_t at;
		if (!an->v[i].policy[0] || (i && !strcmp(an->v[i].policy, an->v[i - 1].policy)))
			continue;
		if (custos_policy_accepted_at(p, an->v[i].policy, &at) == CUSTOS_OK &&
		    at > an->v[i].time) {
			char t[40];
			custos_time_format(t, sizeof t, at);
			problem(s, v, "policy repository: commit %.12s, which the store's chain anchored "
			        "(batch %llu), was accepted again at %s as made outside custos: "
			        "refs/custos/known was deleted or moved behind custos's back",
			        an->v[i].policy, (unsigned long long)an->v[i].batch, t);
			break;
		}
	}
	custos_policy_free(p);
}

/* ---- the index ------------------------------------------------------------ */

typedef struct {
	custos_session_t *s;
	custos_store_t   *st;
	custos_verify_t  *v;
	custos_record_t   rec;
	bool              failed;     /* the store could not be read: named */
} index_check_t;

/* The index changed under the listing, which starts again: so do the counts. */
static void index_restart(void *ctx)
{
	index_check_t *c = ctx;
	c->v->index_docs = 0;
	c->v->index_disposed = 0;
}

/* One indexed record: the store has it, and its document is of the latest
 * version at or below the watermark (or one indexed ahead of it). */
static int index_one(void *ctx, const char *id, uint64_t seq)
{
	index_check_t *c = ctx;
	custos_verify_t *v = c->v;
	uint64_t *seqs = NULL, want = 0;
	size_t n = 0;
	if (custos_store_versions(c->st, id, &seqs, &n) < 0) {
		problem(c->s, v, "store: %s", custos_store_err(c->st)->msg);
		c->failed = true;
		return CUSTOS_EIO;
	}
	for (size_t k = 0; k < n; k++)
		if (seqs[k] <= v->index_watermark || seqs[k] == seq)
			want = seqs[k] > want ? seqs[k] : want;
	free(seqs);
	if (n == 0) {
		problem(c->s, v, "index: it holds record %s, which the store does not", id);
		return CUSTOS_OK;
	}
	if (seq != want) {
		problem(c->s, v, "index: record %s is indexed at seq %llu but its latest version the "
		        "index covers is seq %llu", id, (unsigned long long)seq,
		        (unsigned long long)want);
		return CUSTOS_OK;
	}
	/* a disposed version leaves the index in the same run; after a crash in
	 * the middle of one it is still there until the run is finished */
	int rc = custos_store_get_seq(c->st, want, &c->rec);
	if (rc == CUSTOS_ENOTFOUND)
		v->index_disposed++;
	else if (rc == CUSTOS_ECORRUPT)
		;   /* a damaged record: the store's walk named it */
	else if (rc < 0)
		problem(c->s, v, "store: %s", custos_store_err(c->st)->msg);
	else
		v->index_docs++;
	return CUSTOS_OK;
}

/* The index holds no record the store lacks, and each document holds the
 * latest version at or below the watermark. The records are checked as
 * the index gives them: what verify holds does not grow with the archive. */
static void verify_index(custos_session_t *s, custos_store_t *st, custos_verify_t *v)
{
	custos_index_t *idx = NULL;
	index_check_t c = { s, st, v, { 0 }, false };
	uint64_t last = 0;
	char path[4200];

	custos_lib__index_path(path, sizeof path, s->a->dir);
	if (access(path, F_OK) < 0)
		return;   /* no index yet: nothing derived to check */
	v->index_present = true;
	custos_err_t ierr = { 0 };
	if (custos_index_check_tables(path, &v->index_unchecked, &ierr) < 0) {
		problem(s, v, "index: %s", ierr.msg);
		return;
	}
	custos_record_init(&c.rec);
	if (custos_session__index(s, &idx) < 0) {
		problem(s, v, "index: %s", s->err.msg);
		goto done;
	}
	if (custos_index_watermark(idx, &v->index_watermark) < 0) {
		problem(s, v, "index: %s", custos_index_errmsg(idx));
		goto done;
	}
	if (custos_store_last_seq(st, &last) < 0) {
		problem(s, v, "store: %s", custos_store_err(st)->msg);
		goto done;
	}
	if (v->index_watermark > last) {
		problem(s, v, "index: its watermark (seq %llu) is beyond the store's last record "
		        "(seq %llu)", (unsigned long long)v->index_watermark, (unsigned long long)last);
		goto done;
	}
	v->index_lag = last - v->index_watermark;
	int rc = custos_index_each_record(idx, index_one, index_restart, &c);
	if (c.failed)
		goto done;   /* named by index_one */
	if (rc < 0) {
		problem(s, v, "index: %s", custos_index_errmsg(idx));
		goto done;
	}
	/* Caught up, the index holds a document for every live record version:
	 * fewer means a partition or a shard's documents are missing, and
	 * searches would silently answer with less (extra ones, of records a
	 * crashed disposition left, are counted above). */
	if (v->index_lag == 0) {
		custos_store_stats_t ss;
		uint64_t docs = 0;
		if (custos_store_stats(st, &ss) < 0) {
			problem(s, v, "store: %s", custos_store_err(st)->msg);
			goto done;
		}
		uint64_t live = ss.versions;   /* live versions: the disposed are not counted */
		custos_store_stats_free(&ss);
		if (custos_index_doccount(idx, &docs) < 0) {
			problem(s, v, "index: %s", custos_index_errmsg(idx));
			goto done;
		}
		if (docs < live)
			problem(s, v, "index: it holds %llu documents for the store's %llu live record "
			        "versions: a partition of it is missing (run 'custos index --rebuild')",
			        (unsigned long long)docs, (unsigned long long)live);
	}
done:
	custos_record_free(&c.rec);
}

int custos_archive_verify(custos_session_t *s, custos_progress_fn progress, void *ctx,
                          custos_verify_t *out)
{
	custos_verify_t local;
	custos_store_t *st = NULL;
	anchors_t an = { 0 };
	custos_buf_t result = { 0 };
	char head[CUSTOS_SHA256_HEX], chain[CUSTOS_SHA256_HEX];
	int rc;

	if (!out)
		out = &local;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_VERIFY, "verify the archive")) < 0 ||
	    (rc = custos_session__store(s, &st)) < 0)
		goto audit;
	void *pctx[2] = { s, out };
	uint64_t last = 0;
	rc = custos_store_verify_each(st, &out->store, progress, ctx, problem_cb, pctx);
	if (rc < 0 && rc != CUSTOS_ECORRUPT)
		problem(s, out, "store: verification stopped: %s", custos_store_err(st)->msg);
	if (custos_store_batches(st, batch_fn, &an) < 0 || an.err)
		problem(s, out, "store: cannot read its anchors: %s",
		        an.err ? custos_status_str(an.err) : custos_store_err(st)->msg);
	if (an.n_heads)
		qsort(an.heads, an.n_heads, sizeof *an.heads, cmp_head);
	if (custos_store_last_seq(st, &last) < 0)
		problem(s, out, "store: %s", custos_store_err(st)->msg);
	verify_audit(s, out, &an, last);
	verify_policy(s, out, &an);
	verifying_t vc = { s, out };
	custos_lib__runs_check(s, &out->runs, run_problem, &vc);
	verify_index(s, st, out);
	rc = out->problems ? CUSTOS_ECORRUPT : CUSTOS_OK;
	/* the session's error is the first problem, whatever a part left there */
	if (rc == CUSTOS_ECORRUPT && out->n_problem)
		custos_err_set(&s->err, CUSTOS_ECORRUPT, "%s", out->problem[0]);
	if (rc == CUSTOS_ECORRUPT && out->problems > 1)
		custos_err_prefix(&s->err, "%llu problems; the first", (unsigned long long)out->problems);
audit:
	custos_hex(head, out->audit_head, sizeof out->audit_head);
	custos_hex(chain, out->store.chain, sizeof out->store.chain);
	custos_buf_printf(&result, "{\"records\":%llu,\"versions\":%llu,\"blobs\":%llu,"
	                  "\"tombstones\":%llu,\"runs\":%llu,"
	                  "\"chain\":\"%s\",\"audit_entries\":%llu,\"audit_head\":\"%s\","
	                  "\"audit_anchored\":%llu,\"index_docs\":%llu,\"index_lag\":%llu,"
	                  "\"index_disposed\":%llu,\"problems\":%llu",
	                  (unsigned long long)out->store.records,
	                  (unsigned long long)out->store.versions,
	                  (unsigned long long)out->store.blobs,
	                  (unsigned long long)out->store.tombstones,
	                  (unsigned long long)out->runs, chain,
	                  (unsigned long long)out->audit_entries, head,
	                  (unsigned long long)out->audit_anchored,
	                  (unsigned long long)out->index_docs, (unsigned long long)out->index_lag,
	                  (unsigned long long)out->index_disposed,
	                  (unsigned long long)out->problems);
	if (rc < 0) {
		custos_buf_adds(&result, ",\"error\":");
		custos_buf_add_json_str(&result, s->err.msg, strlen(s->err.msg));
	}
	custos_buf_addc(&result, '}');
	free(an.v);
	free(an.heads);
	/* the verdict goes into the chain whatever it is */
	rc = custos_session__audit(s, "verify", NULL, result.data, rc);
	custos_buf_free(&result);
	if (out == &local)
		custos_verify_free(&local);
	return rc;
}

/* ---- reading the audit trail ----------------------------------------------- */

typedef struct {
	const custos_audit_filter_t *f;
	custos_audit_line_fn fn;
	void *ctx;
	uint64_t n;
	char action[64];      /* the filter's action, without a final '*' */
	bool prefix;
} read_t;

/* Checks the filter's action: a name, or the start of names and '*'. */
static int action_check(custos_session_t *s, read_t *r)
{
	const char *a = r->f->action;
	size_t n = strlen(a);
	r->prefix = n && a[n - 1] == '*';
	if (r->prefix)
		n--;
	snprintf(r->action, sizeof r->action, "%.*s", (int)n, a);
	for (const char *const *v = custos_audit_actions(); *v; v++)
		if (r->prefix ? !strncmp(*v, r->action, n) : !strcmp(*v, r->action))
			return CUSTOS_OK;
	custos_buf_t l = { 0 };
	for (const char *const *v = custos_audit_actions(); *v; v++)
		custos_buf_printf(&l, "%s%s", v == custos_audit_actions() ? "" : ", ", *v);
	int rc = custos_err_set(&s->err, CUSTOS_EINVAL, "no audit action '%s' (one of: %s; or "
	                        "the start of one and '*')", a, l.data ? l.data : "");
	custos_buf_free(&l);
	return rc;
}

/* The value of a top-level string field of an entry, compared with want;
 * with prefix, want is compared with its start. */
static bool field_is(const char *line, size_t n, const char *key, const char *want, bool prefix)
{
	char pat[64];
	custos_buf_t b = { 0 };
	int len = snprintf(pat, sizeof pat, "\"%s\":", key);
	bool eq = false;
	const char *p = memmem(line, n, pat, (size_t)len);
	if (!p)
		return false;
	custos_buf_add_json_str(&b, want, strlen(want));
	if (prefix && b.len)
		b.len--;   /* without its closing quote */
	p += len;
	eq = b.data && (size_t)(line + n - p) >= b.len && !memcmp(p, b.data, b.len);
	custos_buf_free(&b);
	return eq;
}

static int read_fn(void *ctx, const char *line, size_t n)
{
	read_t *r = ctx;
	const custos_audit_filter_t *f = r->f;
	if (f->until != CUSTOS_TIME_NONE) {
		const char *tp = memmem(line, n, "\"time\":\"", 8);
		const char *q = tp ? memchr(tp + 8, '"', (size_t)(line + n - tp - 8)) : NULL;
		int64_t at;
		if (q && custos_time_parse(&at, tp + 8, (size_t)(q - tp - 8)) == 0 && at > f->until)
			return 0;
	}
	if (f->action && !field_is(line, n, "action", r->action, r->prefix))
		return 0;
	if (f->actor && !field_is(line, n, "actor", f->actor, false) &&
	    !field_is(line, n, "user", f->actor, false))
		return 0;
	r->n++;
	return r->fn(r->ctx, line, n);
}

int custos_archive_audit_read(custos_session_t *s, const custos_audit_filter_t *filter,
                              custos_audit_line_fn fn, void *ctx)
{
	static const custos_audit_filter_t all = CUSTOS_AUDIT_FILTER_INIT;
	read_t r = { filter ? filter : &all, fn, ctx, 0, "", false };
	int rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_AUDIT_READ, "read the audit trail")) < 0)
		goto audit;
	if (r.f->since != CUSTOS_TIME_NONE && r.f->until != CUSTOS_TIME_NONE &&
	    r.f->until < r.f->since) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "the end of the time range is before its "
		                    "start: nothing could match");
		goto audit;
	}
	if (r.f->action && (rc = action_check(s, &r)) < 0)
		goto audit;
	rc = custos_audit_read(s->a->dir, r.f->since, read_fn, &r, &s->err);
audit:;
	custos_buf_t p = { 0 };
	char t[40];
	custos_buf_addc(&p, '{');
	if (r.f->action)
		custos_lib__json_kv(&p, "action", r.f->action);
	if (r.f->actor) {
		custos_lib__json_kv(&p, "actor", r.f->actor);
	}
	if (r.f->since != CUSTOS_TIME_NONE) {
		custos_time_format(t, sizeof t, r.f->since);
		custos_lib__json_kv(&p, "since", t);
	}
	if (r.f->until != CUSTOS_TIME_NONE) {
		custos_time_format(t, sizeof t, r.f->until);
		custos_lib__json_kv(&p, "until", t);
	}
	custos_buf_addc(&p, '}');
	char res[64];
	snprintf(res, sizeof res, "{\"entries\":%llu}", (unsigned long long)r.n);
	rc = custos_session__audit(s, "audit-read", p.data, res, rc);
	custos_buf_free(&p);
	return rc;
}
