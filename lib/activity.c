/* What social media does for the company, for governance: per platform,
 * account and month, the posts and replies the account wrote, what others
 * wrote to it, and how long the account took to answer them. */
#include "lib_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
	char    *id, *platform, *account, *parent;   /* in the arena */
	uint64_t seq;
	int64_t  created_at;
	bool     undated, own, reply;
} entry_t;

typedef struct {
	custos_session_t *s;
	custos_arena_t    arena;
	entry_t          *v;
	size_t            n, cap;
	int               err;
} walk_t;

/* The account wrote it: its author is the captured account ("@acme" and
 * "ACME" are the account "acme"). */
static bool is_own(const custos_record_t *r)
{
	const char *h = r->author_handle, *a = r->account;
	if (!h || !a)
		return false;
	h += *h == '@';
	a += *a == '@';
	return !strcasecmp(h, a) || (r->author_id && !strcasecmp(r->author_id, a));
}

static int take(void *ctx, const custos_record_t *r)
{
	walk_t *w = ctx;
	if (w->n == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 1024;
		entry_t *nv = realloc(w->v, nc * sizeof *nv);
		if (!nv)
			return w->err = custos_err_set(&w->s->err, CUSTOS_ENOMEM, "out of memory");
		w->v = nv;
		w->cap = nc;
	}
	entry_t *e = &w->v[w->n];
	e->id = custos_arena_strdup(&w->arena, r->id);
	e->platform = custos_arena_strdup(&w->arena, r->platform ? r->platform : "");
	e->account = custos_arena_strdup(&w->arena, r->account ? r->account : "");
	e->parent = r->in_reply_to ? custos_arena_strdup(&w->arena, r->in_reply_to) : NULL;
	if (!e->id || !e->platform || !e->account || (r->in_reply_to && !e->parent))
		return w->err = custos_err_set(&w->s->err, CUSTOS_ENOMEM, "out of memory");
	e->seq = r->seq;
	e->created_at = r->created_at;
	e->undated = r->undated;
	e->own = is_own(r);
	e->reply = r->in_reply_to != NULL || (r->kind && (!strcmp(r->kind, "reply") ||
	                                                  !strcmp(r->kind, "comment")));
	w->n++;
	return 0;
}

static int by_id_seq(const void *x, const void *y)
{
	const entry_t *a = x, *b = y;
	int c = strcmp(a->id, b->id);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static const entry_t *find(const entry_t *v, size_t n, const char *id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].id, id);
		if (!c)
			return &v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void month_of(char out[8], int64_t ms)
{
	int64_t y;
	unsigned m, d;
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	custos_time_civil_from_days(days, &y, &m, &d);
	unsigned yy = (unsigned)(y < 0 ? 0 : y % 10000);
	snprintf(out, 8, "%04u-%02u", yy, m % 100);
}

typedef struct {
	const entry_t *e;
	char     month[8];
	double   latency;    /* seconds; < 0 when none */
} row_t;

static int bucket_cmp(const row_t *a, const row_t *b)
{
	int c = strcmp(a->e->platform, b->e->platform);
	if (!c)
		c = strcmp(a->e->account, b->e->account);
	return c ? c : strcmp(a->month, b->month);
}

/* by bucket, then by latency (none first) */
static int by_bucket(const void *x, const void *y)
{
	const row_t *a = x, *b = y;
	int c = bucket_cmp(a, b);
	return c ? c : (a->latency > b->latency) - (a->latency < b->latency);
}

int custos_archive_activity(custos_session_t *s, custos_activity_report_t **out)
{
	walk_t w = { .s = s };
	custos_store_t *st = NULL;
	custos_activity_report_t *rep = NULL;
	row_t *rows = NULL;
	size_t n_rows = 0;
	uint64_t last = 0;
	int rc;

	*out = NULL;
	if ((rc = custos_session__begin(s, CUSTOS_OP_READ, "read the archive's activity")) < 0)
		goto done;
	if ((rc = custos_session__store(s, &st)) < 0)
		goto done;
	if ((rc = custos_store_last_seq(st, &last)) < 0) {
		rc = custos_session__fail(s, rc, custos_store_err(st)->msg, "cannot read the store");
		goto done;
	}
	rc = custos_store_scan(st, 0, take, &w);
	if (rc != 0) {
		if (!w.err)
			custos_session__fail(s, rc < 0 ? rc : CUSTOS_EINTERNAL, custos_store_err(st)->msg,
			                     "cannot read the records");
		rc = rc < 0 ? rc : CUSTOS_EINTERNAL;
		goto done;
	}
	/* the last version captured of each record */
	if (w.n)
		qsort(w.v, w.n, sizeof *w.v, by_id_seq);
	size_t k = 0;
	for (size_t i = 0; i < w.n; i++) {
		if (k && !strcmp(w.v[k - 1].id, w.v[i].id))
			w.v[k - 1] = w.v[i];
		else
			w.v[k++] = w.v[i];
	}
	w.n = k;

	if (!(rep = calloc(1, sizeof *rep)) || (w.n && !(rows = calloc(w.n, sizeof *rows)))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	rep->store_last_seq = last;
	for (size_t i = 0; i < w.n; i++) {
		const entry_t *e = &w.v[i];
		rep->records++;
		if (e->undated) {
			rep->undated++;
			continue;
		}
		row_t *r = &rows[n_rows++];
		r->e = e;
		month_of(r->month, e->created_at);
		r->latency = -1;
		const entry_t *p = e->own && e->reply && e->parent ? find(w.v, w.n, e->parent) : NULL;
		if (p && !p->own && !p->undated && e->created_at >= p->created_at)
			r->latency = (double)(e->created_at - p->created_at) / 1000.0;
	}
	if (n_rows)
		qsort(rows, n_rows, sizeof *rows, by_bucket);
	size_t n_buckets = 0;
	for (size_t i = 0; i < n_rows; i++)
		if (!i || bucket_cmp(&rows[i - 1], &rows[i]))
			n_buckets++;
	if (n_buckets && !(rep->v = custos_arena_alloc(&rep->arena, n_buckets * sizeof *rep->v))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n_rows;) {
		size_t j = i, answered = 0, first_latency = SIZE_MAX;
		custos_activity_t *b = &rep->v[rep->n++];
		memset(b, 0, sizeof *b);
		b->platform = custos_arena_strdup(&rep->arena, rows[i].e->platform);
		b->account = custos_arena_strdup(&rep->arena, rows[i].e->account);
		if (!b->platform || !b->account) {
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		memcpy(b->month, rows[i].month, sizeof b->month);
		double sum = 0;
		for (; j < n_rows && !bucket_cmp(&rows[i], &rows[j]); j++) {
			const entry_t *e = rows[j].e;
			b->records++;
			if (!e->own)
				b->received++;
			else if (e->reply)
				b->replies++;
			else
				b->posts++;
			if (rows[j].latency >= 0) {
				if (first_latency == SIZE_MAX)
					first_latency = j;   /* sorted by latency within the bucket */
				answered++;
				sum += rows[j].latency;
			}
		}
		b->answered = answered;
		if (answered) {
			size_t m = first_latency + answered / 2;
			b->latency_median = answered % 2 ? rows[m].latency
			                                 : (rows[m - 1].latency + rows[m].latency) / 2;
			b->latency_mean = sum / (double)answered;
		}
		i = j;
	}
	rc = CUSTOS_OK;
done:;
	custos_buf_t p = { 0 };
	if (rep)
		custos_buf_printf(&p, "{\"records\":%llu,\"undated\":%llu,\"buckets\":%zu,"
		                  "\"store_last_seq\":%llu}", (unsigned long long)rep->records,
		                  (unsigned long long)rep->undated, rep->n,
		                  (unsigned long long)rep->store_last_seq);
	rc = custos_session__audit(s, "activity", NULL, rc < 0 ? NULL : p.data, rc);
	custos_buf_free(&p);
	free(rows);
	free(w.v);
	custos_arena_free(&w.arena);
	if (rc < 0) {
		custos_activity_report_free(rep);
		return rc;
	}
	*out = rep;
	return CUSTOS_OK;
}

void custos_activity_report_free(custos_activity_report_t *r)
{
	if (!r)
		return;
	custos_arena_free(&r->arena);
	free(r);
}
