/* The endpoints of custos serve (docs/api.md, docs/openapi.yaml): each
 * reads its request, calls one library function in the request's session,
 * and writes what came back as JSON. */
#include "server_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *jtime(int64_t ms)
{
	char t[40];
	if (ms == CUSTOS_TIME_NONE)
		return json_null();
	custos_time_format(t, sizeof t, ms);
	return json_string(t);
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A JSON object body; NULL after answering 400. */
static json_t *json_body(srv_req_t *r)
{
	json_error_t je;
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_REJECT_DUPLICATES,
	                       &je);
	if (!json_is_object(j)) {
		json_decref(j);
		srv_reply_msg(r, 400, "malformed request", "the body must be a JSON object%s%s",
		              j ? "" : ": ", j ? "" : je.text);
		return NULL;
	}
	return j;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s)
{
	return s && (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes"));
}

/* Answers with the JSON text a renderer appended to b (rc its status):
 * 200, or 500 when it ran out of memory. b is freed. */
static int reply_rendered(srv_req_t *r, int rc, custos_buf_t *b)
{
	if (rc < 0) {
		custos_buf_free(b);
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	}
	return srv_reply_buf(r, 200, b);
}

static int job_accepted(srv_req_t *r, const char *id)
{
	char href[128];
	snprintf(href, sizeof href, "/v1/jobs/%s", id);
	json_t *j = json_pack("{s:s, s:s, s:s}", "job", id, "state", "queued", "href", href);
	return srv_reply_json(r, 202, j);
}

/* ---- public --------------------------------------------------------------- */

static int healthz(srv_req_t *r)
{
	return srv_reply(r, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
}

/* The review page (web/, compiled in): public files that hold no archive
 * data; the page asks the API for everything with the token its user
 * signs in with. */
static int asset(srv_req_t *r, const char *name)
{
	for (size_t i = 0; i < srv_n_assets; i++)
		if (!strcmp(srv_assets[i].name, name))
			return srv_reply(r, 200, srv_assets[i].type, srv_assets[i].data, srv_assets[i].len);
	return srv_reply_msg(r, 404, "not found", "the page has no file '%s'", name);
}

static int index_page(srv_req_t *r) { return asset(r, "index.html"); }
static int get_asset(srv_req_t *r) { return asset(r, r->arg[0]); }

/* Who the token is and what its role may do, so the page offers only that. */
static int get_session(srv_req_t *r)
{
	json_t *may = json_array();
	for (const char *const *op = custos_operations(); *op && may; op++)
		if (custos_session_may(r->s, *op))
			json_array_append_new(may, json_string(*op));
	return srv_reply_json(r, 200, json_pack("{s:s, s:s, s:o, s:o}", "token", r->token_name,
	                                        "role", custos_role_name(custos_session_role(r->s)),
	                                        "actor", jstr(r->who.actor),
	                                        "may", may ? may : json_array()));
}

/* ---- capture -------------------------------------------------------------- */

static const char *const outcome_names[] = { NULL, "added", "version", "unchanged", "quarantined" };

static int post_records(srv_req_t *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
	custos_submit_result_t *res = NULL;
	if (ct && strncmp(ct, "application/x-ndjson", 20) && strncmp(ct, "application/jsonl", 17) &&
	    strncmp(ct, "application/json", 16))
		return srv_reply_msg(r, 415, "unsupported media type", "records are sent as "
		                     "application/x-ndjson, one record a line, not '%.100s'", ct);
	const char *source = srv_arg(r, "source");
	if (custos_archive_submit(r->s, r->body.data ? r->body.data : "", r->body.len,
	                          source ? source : r->token_name, &res) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	custos_buf_t b = { 0 };
	custos_buf_printf(&b, "{\"added\":%llu,\"versions\":%llu,\"unchanged\":%llu,"
	                  "\"quarantined\":%llu,\"first_seq\":%llu,\"last_seq\":%llu,\"lines\":[",
	                  (unsigned long long)res->added, (unsigned long long)res->versions,
	                  (unsigned long long)res->unchanged, (unsigned long long)res->quarantined,
	                  (unsigned long long)res->first_seq, (unsigned long long)res->last_seq);
	uint64_t counts[5] = { 0 };
	for (size_t i = 0; i < res->n; i++) {
		const custos_line_result_t *l = &res->v[i];
		counts[l->outcome]++;
		custos_buf_printf(&b, "%s{\"item\":%zu,\"outcome\":\"%s\"", i ? "," : "", i + 1,
		                  outcome_names[l->outcome]);
		if (l->outcome == CUSTOS_LINE_QUARANTINED) {
			custos_buf_printf(&b, ",\"quarantine\":%llu,\"why\":", (unsigned long long)l->seq);
			custos_buf_add_json_str(&b, l->why ? l->why : "", l->why ? strlen(l->why) : 0);
		} else {
			custos_buf_adds(&b, ",\"id\":");
			custos_buf_add_json_str(&b, l->id, strlen(l->id));
			custos_buf_printf(&b, ",\"seq\":%llu,\"version\":%u", (unsigned long long)l->seq,
			                  l->version);
		}
		custos_buf_addc(&b, '}');
	}
	custos_buf_adds(&b, "]}");
	custos_submit_result_free(res);
	pthread_mutex_lock(&r->srv->mu);
	for (int k = 1; k <= 4; k++)
		r->srv->lines[k - 1] += counts[k];
	pthread_mutex_unlock(&r->srv->mu);
	if (!b.data)
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	return srv_reply_buf(r, 200, &b);
}

static int post_imports(srv_req_t *r)
{
	char id[CUSTOS_JOB_ID];
	if (!r->body_bytes)
		return srv_reply_msg(r, 400, "malformed request", "the body is empty: send the export's "
		                     "bytes (a .zip or a file) with ?name=FILE");
	if (custos_job_import(r->srv->svc, r->s, r->upload, srv_arg(r, "format"),
	                      parse_bool(srv_arg(r, "skip_bad")), id) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return job_accepted(r, id);
}

static json_t *job_json(const custos_job_t *j)
{
	json_error_t je;
	json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:s?}, s:i, s:o, s:o, "
	                      "s:o, s:o, s:o, s:o}", "id", j->id, "kind", j->kind, "state",
	                      custos_job_state_name(j->state), "created_at", jtime(j->created_at),
	                      "started_at", jtime(j->started_at), "finished_at",
	                      jtime(j->finished_at), "progress", "done", (json_int_t)j->done,
	                      "total", (json_int_t)j->total, "phase", j->phase, "runs",
	                      (int)j->runs, "params",
	                      json_loads(j->params, 0, &je) ?: json_object(), "result",
	                      j->result ? json_loads(j->result, 0, &je) ?: json_null() : json_null(),
	                      "error", jstr(j->error), "note", jstr(j->note), "role", jstr(j->role),
	                      "token", jstr(j->token));
	if (o && !strcmp(j->kind, "production") && j->state == CUSTOS_JOB_DONE) {
		char files[128], download[128];
		snprintf(files, sizeof files, "/v1/jobs/%s/files", j->id);
		snprintf(download, sizeof download, "/v1/jobs/%s/download", j->id);
		json_object_set_new(o, "links", json_pack("{s:s, s:s}", "files", files, "download",
		                                          download));
	}
	return o;
}

static int get_job(srv_req_t *r)
{
	custos_job_t *j = NULL;
	if (custos_job_get(r->srv->svc, r->s, r->arg[0], &j) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *o = job_json(j);
	custos_job_free(j);
	return srv_reply_json(r, 200, o);
}

/* ---- reading -------------------------------------------------------------- */

/* -1, after an answer (of any status): for helpers that answer on failure. */
static int bad(int answered)
{
	(void)answered;
	return -1;
}

/* The tags of tag=T1,T2 (a matter's review tags): so->tags points here. */
typedef struct {
	char        list[2048];
	const char *v[64];
} search_tags_t;

/* The search options of the query string (limit, offset, sort, facets,
 * tag, matter, lang, dtsearch, accents, count); -1 after answering 400. */
static int search_opts(srv_req_t *r, custos_search_opts_t *so, search_tags_t *tags)
{
	custos_err_t err = { 0 };
	const char *v;
	uint64_t n;
	if ((v = srv_arg(r, "limit"))) {
		if (!parse_uint(v, 1000000, &n))
			return bad(srv_reply_msg(r, 400, "malformed request", "limit takes a number up to "
			                     "1000000"));
		so->limit = (size_t)n;
	}
	if ((v = srv_arg(r, "offset"))) {
		if (!parse_uint(v, 1000000, &n))
			return bad(srv_reply_msg(r, 400, "malformed request", "offset takes a number up to "
			                     "1000000"));
		so->offset = (size_t)n;
	}
	if ((v = srv_arg(r, "sort"))) {
		if (!strcmp(v, "relevance"))
			so->sort = CUSTOS_SORT_RELEVANCE;
		else if (!strcmp(v, "date"))
			so->sort = CUSTOS_SORT_DATE;
		else if (!strcmp(v, "-date"))
			so->sort = CUSTOS_SORT_DATE_DESC;
		else
			return bad(srv_reply_msg(r, 400, "malformed request", "sort takes relevance, date or "
			                     "-date"));
	}
	if ((v = srv_arg(r, "facets")) && custos_facets_parse(&so->facets, v, &err) < 0)
		return bad(srv_reply_err(r, &err));
	if ((v = srv_arg(r, "tag"))) {
		if (strlen(v) >= sizeof tags->list)
			return bad(srv_reply_msg(r, 400, "malformed request", "tag is too long"));
		strcpy(tags->list, v);
		for (char *t = tags->list, *e; t; t = e) {
			if ((e = strchr(t, ',')))
				*e++ = '\0';
			if (so->n_tags == sizeof tags->v / sizeof *tags->v)
				return bad(srv_reply_msg(r, 400, "malformed request", "tag takes up to %zu "
				                         "tags", so->n_tags));
			tags->v[so->n_tags++] = t;
		}
		so->tags = tags->v;
	}
	so->matter = srv_arg(r, "matter");
	so->lang = srv_arg(r, "lang");
	if (parse_bool(srv_arg(r, "dtsearch")))
		so->query_flags |= CUSTOS_QUERY_DTSEARCH;
	if (parse_bool(srv_arg(r, "accents")))
		so->query_flags |= CUSTOS_QUERY_ACCENTS;
	so->count_only = parse_bool(srv_arg(r, "count"));
	so->snippets = !so->count_only;
	return 0;
}

static int search_coded(srv_req_t *r, custos_search_result_t *res, const char *q,
                        unsigned facets, const char *matter);

static int get_search(srv_req_t *r)
{
	custos_search_opts_t so = CUSTOS_SEARCH_OPTS_INIT;
	custos_search_result_t *res = NULL;
	search_tags_t tags;
	const char *q = srv_arg(r, "q"), *matter = srv_arg(r, "matter");
	if (!q || !*q)
		return srv_reply_msg(r, 400, "malformed request", "search needs q=QUERY");
	if (search_opts(r, &so, &tags) < 0)
		return r->status;
	if (custos_archive_search(r->s, q, &so, &res) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	if (matter)
		return search_coded(r, res, q, so.facets, matter);
	custos_buf_t b = { 0 };
	int rc = custos_search_result_json(res, q, so.facets, &b);
	custos_search_result_free(res);
	return reply_rendered(r, rc, &b);
}

static int show(srv_req_t *r, int what, bool raw)
{
	custos_items_t l = { 0 };
	uint64_t version = 0;
	const char *v = srv_arg(r, "version");
	if (v && (!parse_uint(v, UINT32_MAX, &version) || version == 0))
		return srv_reply_msg(r, 400, "malformed request", "version takes a version number, 1 "
		                     "and up");
	if (custos_archive_show(r->s, r->arg[0], (uint32_t)version, what, &l) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	int rc;
	if (raw) {
		if (l.v[0].disposed)
			rc = srv_reply_msg(r, 410, "disposed", "record '%s' was disposed of: its original "
			                   "bytes are gone", r->arg[0]);
		else
			rc = srv_reply(r, 200, "application/octet-stream", l.v[0].rec.raw,
			               l.v[0].rec.raw_len);
		custos_items_free(&l);
		return rc;
	}
	custos_buf_t b = { 0 };
	bool list = what != CUSTOS_SHOW_ONE;
	int err = list ? custos_buf_addc(&b, '[') : 0;
	for (size_t i = 0; i < l.n && !err; i++) {
		if (i)
			err |= custos_buf_addc(&b, ',');
		err |= custos_item_json(&l.v[i], r->arg[0], &b);
	}
	if (list)
		err |= custos_buf_addc(&b, ']');
	custos_items_free(&l);
	if (err) {
		custos_buf_free(&b);
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	}
	return srv_reply_buf(r, 200, &b);
}

static int get_record(srv_req_t *r) { return show(r, CUSTOS_SHOW_ONE, false); }
static int get_versions(srv_req_t *r) { return show(r, CUSTOS_SHOW_VERSIONS, false); }
static int get_raw(srv_req_t *r) { return show(r, CUSTOS_SHOW_ONE, true); }
static int get_thread(srv_req_t *r) { return show(r, CUSTOS_SHOW_THREAD, false); }

static int get_media(srv_req_t *r)
{
	void *p = NULL;
	size_t n = 0;
	if (custos_archive_media(r->s, r->arg[0], &p, &n) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	int rc = srv_reply(r, 200, "application/octet-stream", p, n);
	free(p);
	return rc;
}

static int get_custodians(srv_req_t *r)
{
	custos_custodian_count_t *v = NULL;
	size_t n = 0;
	if (custos_archive_custodians(r->s, &v, &n) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; i < n && arr; i++)
		json_array_append_new(arr, json_pack("{s:o, s:I}", "name", jstr(v[i].name), "records",
		                                     (json_int_t)v[i].records));
	custos_custodians_free(v, n);
	return srv_reply_json(r, 200, json_pack("{s:o}", "custodians", arr ? arr : json_array()));
}

static int get_activity(srv_req_t *r)
{
	custos_activity_report_t *rep = NULL;
	if (custos_archive_activity(r->s, &rep) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; i < rep->n && arr; i++) {
		const custos_activity_t *b = &rep->v[i];
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, "
		                                     "s:f}", "platform", b->platform, "account",
		                                     b->account, "month", b->month, "records",
		                                     (json_int_t)b->records, "posts",
		                                     (json_int_t)b->posts, "replies",
		                                     (json_int_t)b->replies, "received",
		                                     (json_int_t)b->received, "answered",
		                                     (json_int_t)b->answered, "latency_median",
		                                     b->latency_median, "latency_mean",
		                                     b->latency_mean));
	}
	json_t *o = json_pack("{s:I, s:I, s:I, s:o}", "records", (json_int_t)rep->records,
	                      "undated", (json_int_t)rep->undated, "store_last_seq",
	                      (json_int_t)rep->store_last_seq, "months", arr ? arr : json_array());
	custos_activity_report_free(rep);
	return srv_reply_json(r, 200, o);
}

/* {"terms": ["query", ...]}: the search-term report, one query a term. */
static int post_terms(srv_req_t *r)
{
	json_t *b = json_body(r), *terms;
	custos_term_report_t *rep = NULL;
	uint64_t wm = 0;
	unsigned qflags = 0;
	if (!b)
		return r->status;
	terms = json_object_get(b, "terms");
	size_t n = json_array_size(terms);
	const char **q = n ? calloc(n, sizeof *q) : NULL;
	for (size_t i = 0; i < n && q; i++)
		if (!(q[i] = json_string_value(json_array_get(terms, i))) || !*q[i]) {
			free(q);
			json_decref(b);
			return srv_reply_msg(r, 400, "malformed request", "term %zu is not a query", i + 1);
		}
	if (!n || !q) {
		free(q);
		json_decref(b);
		return n ? srv_reply_msg(r, 500, "out of memory", "out of memory")
		         : srv_reply_msg(r, 400, "malformed request", "a term report needs \"terms\": "
		                         "a list of queries");
	}
	if (json_is_true(json_object_get(b, "dtsearch")))
		qflags |= CUSTOS_QUERY_DTSEARCH;
	const char *source = json_string_value(json_object_get(b, "source"));
	if (custos_archive_report_terms(r->s, q, n, qflags, source ? source : "review page", NULL,
	                                &rep, &wm) < 0) {
		free(q);
		json_decref(b);
		return srv_reply_err(r, custos_session_err(r->s));
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n && arr; i++) {
		const custos_term_t *t = &rep->terms[i];
		json_t *e;
		if (t->status < 0) {
			e = json_pack("{s:I, s:s, s:s}", "line", (json_int_t)(i + 1), "query", q[i], "error",
			              t->error);
		} else {
			json_t *acc = json_object(), *pl = json_object();
			for (size_t k = 0; k < t->n_accounts && acc; k++)
				json_object_set_new(acc, t->by_account[k].key,
				                    json_integer((json_int_t)t->by_account[k].hits));
			for (size_t k = 0; k < t->n_platforms && pl; k++)
				json_object_set_new(pl, t->by_platform[k].key,
				                    json_integer((json_int_t)t->by_platform[k].hits));
			e = json_pack("{s:I, s:s, s:I, s:I, s:I, s:o, s:o}", "line", (json_int_t)(i + 1),
			              "query", q[i], "hits", (json_int_t)t->hits, "unique",
			              (json_int_t)t->unique, "family", (json_int_t)t->family, "accounts",
			              acc ? acc : json_object(), "platforms", pl ? pl : json_object());
		}
		json_array_append_new(arr, e);
	}
	json_t *o = json_pack("{s:I, s:b, s:o, s:I}", "watermark", (json_int_t)wm, "incomplete",
	                      rep->incomplete, "terms", arr ? arr : json_array(), "distinct",
	                      (json_int_t)rep->distinct);
	custos_term_report_free(rep);
	free(q);
	json_decref(b);
	return srv_reply_json(r, 200, o);
}

static int get_stats(srv_req_t *r)
{
	custos_stats_t st;
	if (custos_archive_stats(r->s, &st) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	const custos_store_stats_t *s = &st.store;
	json_t *platforms = json_object();
	for (size_t i = 0; i < s->n_platforms && platforms; i++) {
		const custos_platform_stats_t *p = &s->platforms[i];
		json_object_set_new(platforms, p->platform,
		                    json_pack("{s:I, s:I, s:I, s:I}", "records", (json_int_t)p->records,
		                              "versions", (json_int_t)p->versions, "raw_bytes",
		                              (json_int_t)p->raw_bytes, "stored_bytes",
		                              (json_int_t)p->stored_bytes));
	}
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, "
	                      "s:{s:b, s:I, s:I, s:s?}}",
	                      "records", (json_int_t)s->records, "versions", (json_int_t)s->versions,
	                      "deleted_upstream", (json_int_t)s->deleted_upstream, "raw_bytes",
	                      (json_int_t)s->raw_bytes, "stored_bytes", (json_int_t)s->stored_bytes,
	                      "file_bytes", (json_int_t)s->file_bytes, "disk_bytes",
	                      (json_int_t)s->disk_bytes, "blobs", (json_int_t)s->blobs,
	                      "quarantined", (json_int_t)s->quarantined, "tombstones",
	                      (json_int_t)s->tombstones, "dictionaries", (json_int_t)s->dictionaries,
	                      "last_seq", (json_int_t)s->last_seq, "platforms",
	                      platforms ? platforms : json_object(), "index", "present",
	                      st.index_present, "watermark", (json_int_t)st.index_watermark, "lag",
	                      (json_int_t)st.index_lag, "error",
	                      st.index_error[0] ? st.index_error : NULL);
	custos_stats_free(&st);
	return srv_reply_json(r, 200, o);
}

static int add_line(void *ctx, const char *line, size_t n)
{
	custos_buf_t *b = ctx;
	return custos_buf_add(b, line, n) < 0 || custos_buf_addc(b, '\n') < 0 ? CUSTOS_ENOMEM : 0;
}

static int get_audit(srv_req_t *r)
{
	custos_audit_filter_t f = CUSTOS_AUDIT_FILTER_INIT;
	const char *since = srv_arg(r, "since"), *until = srv_arg(r, "until");
	if (since && custos_time_parse(&f.since, since, strlen(since)) < 0)
		return srv_reply_msg(r, 400, "malformed request", "since takes a date or time");
	if (until && custos_time_parse(&f.until, until, strlen(until)) < 0)
		return srv_reply_msg(r, 400, "malformed request", "until takes a date or time");
	f.action = srv_arg(r, "action");
	f.actor = srv_arg(r, "actor");
	custos_buf_t b = { 0 };
	if (custos_archive_audit_read(r->s, &f, add_line, &b) < 0) {
		custos_buf_free(&b);
		return srv_reply_err(r, custos_session_err(r->s));
	}
	int rc = srv_reply(r, 200, "application/x-ndjson", b.data ? b.data : "", b.len);
	custos_buf_free(&b);
	return rc;
}

static int post_verify(srv_req_t *r)
{
	char id[CUSTOS_JOB_ID];
	if (custos_job_verify(r->srv->svc, r->s, id) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return job_accepted(r, id);
}

/* ---- holds ----------------------------------------------------------------- */

static json_t *hold_json(const custos_hold_t *h, uint64_t covers)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:s}",
	                 "name", h->name, "query", h->query, "reason", h->reason ? h->reason : "",
	                 "active", h->active, "created_at", jtime(h->created_at), "created_by",
	                 jstr(h->created_by), "released_at", jtime(h->released_at), "released_by",
	                 jstr(h->released_by), "release_reason", jstr(h->release_reason), "members",
	                 (json_int_t)h->members, "member_ids", (json_int_t)h->member_ids, "covers",
	                 (json_int_t)covers, "commit", h->commit);
}

static int get_holds(srv_req_t *r)
{
	custos_hold_report_t rep;
	memset(&rep, 0, sizeof rep);
	if (custos_archive_hold_list(r->s, &rep) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; i < rep.holds.n && arr; i++)
		json_array_append_new(arr, hold_json(&rep.holds.v[i], rep.covers ? rep.covers[i] : 0));
	custos_hold_report_free(&rep);
	return srv_reply_json(r, 200, json_pack("{s:o}", "holds", arr ? arr : json_array()));
}

static int get_hold(srv_req_t *r)
{
	custos_hold_report_t rep;
	memset(&rep, 0, sizeof rep);
	if (custos_archive_hold_show(r->s, r->arg[0], &rep) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *o = rep.holds.n ? hold_json(&rep.holds.v[0], rep.covers ? rep.covers[0] : 0) : NULL;
	json_t *recs = json_array();
	for (size_t i = 0; i < rep.n && recs; i++)
		json_array_append_new(recs, json_pack("{s:s, s:o, s:b, s:b}", "id", rep.v[i].id,
		                                      "created_at", jtime(rep.v[i].created_at), "member",
		                                      rep.v[i].member, "matches", rep.v[i].matches));
	custos_hold_report_free(&rep);
	if (!o) {
		json_decref(recs);
		return srv_reply_msg(r, 404, "not found", "no hold '%s'", r->arg[0]);
	}
	json_object_set_new(o, "records", recs ? recs : json_array());
	return srv_reply_json(r, 200, o);
}

static int post_hold(srv_req_t *r)
{
	json_t *b = json_body(r);
	char commit[CUSTOS_COMMIT_HEX] = "";
	uint64_t matched = 0;
	if (!b)
		return r->status;
	const char *name = json_string_value(json_object_get(b, "name"));
	const char *query = json_string_value(json_object_get(b, "query"));
	const char *reason = json_string_value(json_object_get(b, "reason"));
	if (!name || !query) {
		json_decref(b);
		return srv_reply_msg(r, 400, "malformed request", "a hold needs \"name\" and \"query\"");
	}
	int rc = custos_archive_hold_create(r->s, name, query, reason, &matched, commit);
	json_t *o = rc < 0 ? NULL : json_pack("{s:s, s:I, s:s}", "name", name, "matched",
	                                      (json_int_t)matched, "commit", commit);
	json_decref(b);
	if (rc < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return srv_reply_json(r, 201, o);
}

static int post_release(srv_req_t *r)
{
	json_t *b = json_body(r);
	char commit[CUSTOS_COMMIT_HEX] = "";
	if (!b)
		return r->status;
	const char *reason = json_string_value(json_object_get(b, "reason"));
	int rc = custos_archive_hold_release(r->s, r->arg[0], reason ? reason : "", commit);
	json_decref(b);
	if (rc < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return srv_reply_json(r, 200, json_pack("{s:s, s:b, s:s}", "name", r->arg[0], "released",
	                                        1, "commit", commit));
}

/* ---- retention --------------------------------------------------------------- */

static int as_of_arg(srv_req_t *r, const char *v, int64_t *as_of)
{
	*as_of = custos_time_now();
	if (v && custos_time_parse(as_of, v, strlen(v)) < 0) {
		srv_reply_msg(r, 400, "malformed request", "as_of takes a date or time");
		return -1;
	}
	return 0;
}

static int get_plan(srv_req_t *r)
{
	custos_retention_plan_t *p = NULL;
	int64_t as_of;
	if (as_of_arg(r, srv_arg(r, "as_of"), &as_of) < 0)
		return r->status;
	if (custos_archive_retention_plan(r->s, as_of, &p) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *rules = json_array(), *entries = json_array();
	for (size_t i = 0; i < p->n_rules && rules; i++) {
		const custos_plan_rule_t *ru = &p->rules[i];
		json_array_append_new(rules, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "name",
		                                       ru->name, "retain", ru->retain, "matched",
		                                       (json_int_t)ru->matched, "deciding",
		                                       (json_int_t)ru->deciding, "eligible",
		                                       (json_int_t)ru->eligible, "held",
		                                       (json_int_t)ru->held));
	}
	for (size_t i = 0; i < p->n && entries; i++) {
		const custos_plan_entry_t *e = &p->v[i];
		json_array_append_new(entries, json_pack("{s:s, s:I, s:o, s:o, s:s}", "id", e->id, "seq",
		                                         (json_int_t)e->seq, "created_at",
		                                         jtime(e->created_at), "expiry", jtime(e->expiry),
		                                         "rule", e->rule < p->n_rules
		                                         ? p->rules[e->rule].name : "?"));
	}
	json_t *o = json_pack("{s:o, s:s, s:o, s:I, s:I, s:I, s:I, s:o, s:o}", "as_of",
	                      jtime(p->as_of), "commit", p->commit, "commit_time",
	                      jtime(p->commit_time), "records", (json_int_t)p->records, "held",
	                      (json_int_t)p->held, "index_watermark", (json_int_t)p->index_watermark,
	                      "store_last_seq", (json_int_t)p->store_last_seq, "rules",
	                      rules ? rules : json_array(), "eligible",
	                      entries ? entries : json_array());
	custos_retention_plan_free(p);
	return srv_reply_json(r, 200, o);
}

static int post_apply(srv_req_t *r)
{
	json_t *b = r->body.len ? json_body(r) : json_object();
	char id[CUSTOS_JOB_ID];
	int64_t as_of;
	if (!b)
		return r->status;
	int rc = as_of_arg(r, json_string_value(json_object_get(b, "as_of")), &as_of);
	json_decref(b);
	if (rc < 0)
		return r->status;
	if (custos_job_retention_apply(r->srv->svc, r->s, as_of, id) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return job_accepted(r, id);
}

/* ---- the schedule -------------------------------------------------------------- */

static int get_policy(srv_req_t *r)
{
	custos_schedule_t *sc = NULL;
	if (custos_archive_policy_show(r->s, srv_arg(r, "at"), &sc) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *rules = json_array();
	for (size_t i = 0; i < sc->n_rules && rules; i++) {
		const custos_rule_t *ru = &sc->rules[i];
		char retain[16];
		custos_retain_format(retain, sizeof retain, ru->retain);
		json_array_append_new(rules, json_pack("{s:s, s:s, s:o, s:s, s:s, s:i}", "name",
		                                       ru->name, "match", ru->match, "description",
		                                       jstr(ru->description), "retain", retain, "from",
		                                       ru->from == CUSTOS_FROM_CAPTURED ? "captured"
		                                       : "created", "line", ru->line));
	}
	json_t *o = json_pack("{s:s, s:o, s:i, s:o, s:s#, s:o}", "commit", sc->commit,
	                      "commit_time", jtime(sc->commit_time), "version", sc->version,
	                      "description", jstr(sc->description), "text",
	                      sc->text ? sc->text : "", sc->text ? (int)sc->text_len : 0, "rules",
	                      rules ? rules : json_array());
	custos_schedule_free(sc);
	return srv_reply_json(r, 200, o);
}

static int get_policy_log(srv_req_t *r)
{
	custos_policy_log_t l;
	memset(&l, 0, sizeof l);
	if (custos_archive_policy_log(r->s, &l) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n && arr; i++) {
		const custos_policy_commit_t *c = &l.v[i];
		json_t *ch = json_array();
		for (size_t k = 0; k < c->n_changes && ch; k++)
			json_array_append_new(ch, json_string(c->changes[k]));
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "commit", c->id,
		                                     "time", jtime(c->time), "author", jstr(c->author),
		                                     "email", jstr(c->email), "message",
		                                     jstr(c->message), "changes",
		                                     ch ? ch : json_array()));
	}
	custos_policy_log_free(&l);
	return srv_reply_json(r, 200, json_pack("{s:o}", "commits", arr ? arr : json_array()));
}

static int get_policy_diff(srv_req_t *r)
{
	const char *a = srv_arg(r, "a"), *b = srv_arg(r, "b");
	custos_buf_t d = { 0 };
	if (!a || !b || !*a || !*b)
		return srv_reply_msg(r, 400, "malformed request", "a diff needs a=REVISION and "
		                     "b=REVISION (commits or dates)");
	if (custos_archive_policy_diff(r->s, a, b, &d) < 0) {
		custos_buf_free(&d);
		return srv_reply_err(r, custos_session_err(r->s));
	}
	int rc = srv_reply(r, 200, "text/plain; charset=utf-8", d.data ? d.data : "", d.len);
	custos_buf_free(&d);
	return rc;
}

/* ==== productions and matters (docs/api.md, "Productions" and "Matters") ====
 * Productions are jobs (lib/jobs.c) whose files lib/production.c serves;
 * matters and review coding are lib/matter.c's. */

/* A string member of b: NULL when absent; -1 (after a 400) when not a string. */
static int member_str(srv_req_t *r, json_t *b, const char *key, const char **out)
{
	json_t *v = json_object_get(b, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return bad(srv_reply_msg(r, 400, "malformed request", "\"%s\" takes a string", key));
	*out = json_string_value(v);
	return 0;
}

/* A member that is a list: an array of strings or one string with commas,
 * appended to out joined by commas. */
static int member_list(srv_req_t *r, json_t *b, const char *key, custos_buf_t *out)
{
	json_t *v = json_object_get(b, key), *x;
	size_t i;
	if (!v)
		return 0;
	if (json_is_string(v))
		return custos_buf_adds(out, json_string_value(v)) < 0 ? bad(srv_reply_msg(r, 500,
		       "out of memory", "out of memory")) : 0;
	if (!json_is_array(v))
		return bad(srv_reply_msg(r, 400, "malformed request", "\"%s\" takes an array of "
		                         "strings", key));
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return bad(srv_reply_msg(r, 400, "malformed request", "\"%s\" takes an array of "
			                         "strings", key));
		if ((i && custos_buf_addc(out, ',') < 0) || custos_buf_adds(out, json_string_value(x)) < 0)
			return bad(srv_reply_msg(r, 500, "out of memory", "out of memory"));
	}
	return 0;
}

/* A boolean member (false when absent); -1 after a 400. */
static int member_bool(srv_req_t *r, json_t *b, const char *key, bool *out)
{
	json_t *v = json_object_get(b, key);
	if (v && !json_is_boolean(v))
		return bad(srv_reply_msg(r, 400, "malformed request", "\"%s\" takes true or false", key));
	*out = json_is_true(v);
	return 0;
}

/* Refuses a body with a member not in keys (NULL-terminated): a misspelt
 * option must not be taken for no option. -1 after a 400. */
static int members_known(srv_req_t *r, json_t *b, const char *const *keys, const char *list)
{
	const char *k;
	json_t *v;
	json_object_foreach(b, k, v) {
		size_t i = 0;
		while (keys[i] && strcmp(keys[i], k))
			i++;
		if (!keys[i])
			return bad(srv_reply_msg(r, 400, "malformed request", "unknown member \"%.80s\" "
			                         "(the members are %s)", k, list));
	}
	return 0;
}

static int post_production(srv_req_t *r)
{
	static const char *const keys[] = { "query", "hold", "matter", "tag", "formats", "images",
	                                    "with_thread", "prefix", "start", "fields",
	                                    "endorsement", NULL };
	custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
	custos_buf_t formats = { 0 }, fields = { 0 };
	custos_err_t err = { 0 };
	char id[CUSTOS_JOB_ID];
	json_t *b = json_body(r), *start;
	if (!b)
		return r->status;
	if (members_known(r, b, keys, "query, hold, matter, tag, formats, images, with_thread, "
	                  "prefix, start, fields, endorsement") < 0 ||
	    member_str(r, b, "query", &o.query) < 0 || member_str(r, b, "hold", &o.hold) < 0 ||
	    member_str(r, b, "matter", &o.matter) < 0 || member_str(r, b, "tag", &o.tag) < 0 ||
	    member_str(r, b, "prefix", &o.prefix) < 0 ||
	    member_str(r, b, "endorsement", &o.endorsement) < 0 ||
	    member_list(r, b, "formats", &formats) < 0 || member_list(r, b, "fields", &fields) < 0 ||
	    member_bool(r, b, "images", &o.images) < 0 ||
	    member_bool(r, b, "with_thread", &o.with_thread) < 0)
		goto done;
	if ((start = json_object_get(b, "start")) &&
	    (!json_is_integer(start) || json_integer_value(start) < 1 ||
	     json_integer_value(start) > 999999999999LL)) {
		srv_reply_msg(r, 400, "malformed request", "\"start\" takes a number from 1");
		goto done;
	}
	o.start = start ? (uint64_t)json_integer_value(start) : 0;
	o.fields = fields.data;
	if (custos_export_formats_parse(&o.formats, formats.data ? formats.data : "", &err) < 0) {
		srv_reply_err(r, &err);
		goto done;
	}
	if (custos_job_production(r->srv->svc, r->s, &o, id) < 0)
		srv_reply_err(r, custos_session_err(r->s));
	else
		job_accepted(r, id);
done:
	custos_buf_free(&formats);
	custos_buf_free(&fields);
	json_decref(b);
	return r->status;
}

static int get_productions(srv_req_t *r)
{
	custos_job_list_t l;
	if (custos_job_list(r->srv->svc, r->s, "production", &l) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n && arr; i++)
		json_array_append_new(arr, job_json(l.v[i]));
	custos_job_list_free(&l);
	return srv_reply_json(r, 200, json_pack("{s:o}", "productions", arr ? arr : json_array()));
}

static int delete_job(srv_req_t *r)
{
	bool running = false;
	if (custos_job_cancel(r->srv->svc, r->s, r->arg[0], &running) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	if (running)
		return srv_reply_json(r, 202, json_pack("{s:s, s:s, s:s}", "job", r->arg[0], "state",
		                                        "running", "cancel", "requested"));
	return srv_reply_json(r, 200, json_pack("{s:s, s:s, s:s}", "job", r->arg[0], "state",
	                                        "failed", "cancel", "done"));
}

static int delete_production(srv_req_t *r)
{
	if (custos_production_delete(r->srv->svc, r->s, r->arg[0]) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return srv_reply_json(r, 200, json_pack("{s:s, s:b}", "job", r->arg[0], "deleted", 1));
}

/* path with every byte but [A-Za-z0-9._~/-] as %XX, into out. */
static void url_path(custos_buf_t *out, const char *path)
{
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    strchr("._~/-", *c))
			custos_buf_addc(out, (char)*c);
		else
			custos_buf_printf(out, "%%%02X", *c);
	}
}

static int get_production_files(srv_req_t *r)
{
	custos_production_files_t f;
	if (custos_production_files(r->srv->svc, r->s, r->arg[0], &f) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	custos_buf_t href = { 0 };
	for (size_t i = 0; i < f.n && arr; i++) {
		custos_buf_clear(&href);
		custos_buf_printf(&href, "/v1/jobs/%s/files/", r->arg[0]);
		url_path(&href, f.v[i].path);
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s?}", "path", f.v[i].path,
		                                     "size", (json_int_t)f.v[i].size, "sha256",
		                                     f.v[i].sha256, "href", href.data));
	}
	custos_buf_clear(&href);
	custos_buf_printf(&href, "/v1/jobs/%s/files/manifest.json", r->arg[0]);
	json_t *o = json_pack("{s:s, s:{s:s, s:I, s:s, s:s?}, s:I, s:I, s:o}", "job", r->arg[0],
	                      "manifest", "path", "manifest.json", "size",
	                      (json_int_t)f.manifest_size, "sha256", f.manifest_sha256, "href",
	                      href.data, "count", (json_int_t)f.n, "bytes", (json_int_t)f.bytes,
	                      "files", arr ? arr : json_array());
	custos_buf_free(&href);
	custos_production_files_free(&f);
	return srv_reply_json(r, 200, o);
}

/* Content-Disposition for a download: the name's last part, with every
 * byte a header or a file system could take amiss replaced. */
static void add_disposition(struct MHD_Response *resp, const char *path)
{
	char v[300];
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t k = (size_t)snprintf(v, sizeof v, "attachment; filename=\"");
	for (const char *c = base; *c && k + 3 < sizeof v; c++)
		v[k++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		         (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_' ? *c : '_';
	v[k++] = '"';
	v[k] = '\0';
	MHD_add_response_header(resp, "Content-Disposition", v);
	/* a production's HTML holds what records say: never run as this site */
	MHD_add_response_header(resp, "Content-Security-Policy", "sandbox; default-src 'none'");
}

static int get_production_file(srv_req_t *r)
{
	int fd = -1;
	uint64_t size = 0;
	if (custos_production_open(r->srv->svc, r->s, r->arg[0], r->arg[1], &fd, &size) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);
	if (!resp) {
		close(fd);
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	}
	add_disposition(resp, r->arg[1]);
	return srv_reply_response(r, 200, "application/octet-stream", resp);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	int64_t n = custos_production_stream_read(cls, buf, max);
	return n > 0 ? (ssize_t)n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM
	                                   : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void free_stream(void *cls)
{
	custos_production_stream_free(cls);
}

static int get_production_download(srv_req_t *r)
{
	custos_production_stream_t *st = NULL;
	const char *format = srv_arg(r, "format");
	if (custos_production_stream_open(&st, r->srv->svc, r->s, r->arg[0], format) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	/* its length is known at its end: chunked; a stream broken by a file
	 * that is not what the manifest says is cut off before manifest.json */
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
	                                                              read_stream, st, free_stream);
	if (!resp) {
		custos_production_stream_free(st);
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	}
	add_disposition(resp, custos_production_stream_name(st));
	return srv_reply_response(r, 200, format && !strcmp(format, "tar") ? "application/x-tar"
	                          : "application/zip", resp);
}

static int get_matters(srv_req_t *r)
{
	char **names = NULL;
	if (custos_archive_matter_list(r->s, &names) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; names[i] && arr; i++)
		json_array_append_new(arr, json_string(names[i]));
	free(names);
	return srv_reply_json(r, 200, json_pack("{s:o}", "matters", arr ? arr : json_array()));
}

static int post_matter(srv_req_t *r)
{
	static const char *const keys[] = { "name", "description", "tags", NULL };
	const char *name = NULL, *desc = NULL, *tags[64];
	size_t n = 0, i;
	json_t *b = json_body(r), *tl, *x;
	if (!b)
		return r->status;
	if (members_known(r, b, keys, "name, description, tags") < 0 ||
	    member_str(r, b, "name", &name) < 0 || member_str(r, b, "description", &desc) < 0)
		goto done;
	tl = json_object_get(b, "tags");
	if (tl && (!json_is_array(tl) || json_array_size(tl) > 64)) {
		srv_reply_msg(r, 400, "malformed request", "\"tags\" takes an array of at most 64 tags");
		goto done;
	}
	json_array_foreach(tl, i, x) {
		if (!(tags[n++] = json_string_value(x))) {
			srv_reply_msg(r, 400, "malformed request", "\"tags\" takes an array of strings");
			goto done;
		}
	}
	if (custos_archive_matter_create(r->s, name, desc, tags, n) < 0)
		srv_reply_err(r, custos_session_err(r->s));
	else
		srv_reply_json(r, 201, json_pack("{s:s}", "name", name));
done:
	json_decref(b);
	return r->status;
}

static int get_matter(srv_req_t *r)
{
	custos_matter_t *m = NULL;
	if (custos_archive_matter_show(r->s, r->arg[0], &m) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	custos_buf_t b = { 0 };
	int rc = custos_matter_json(m, &b);
	custos_matter_free(m);
	return reply_rendered(r, rc, &b);
}

static int post_matter_tag(srv_req_t *r)
{
	static const char *const keys[] = { "tag", "remove", "note", "query", "thread", "ids", NULL };
	custos_selection_t sel = CUSTOS_SELECTION_INIT;
	const char *tag = NULL, *note = NULL, **ids = NULL;
	uint64_t selected = 0, changed = 0;
	bool remove = false;
	size_t i;
	json_t *b = json_body(r), *il, *x;
	if (!b)
		return r->status;
	if (members_known(r, b, keys, "tag, remove, note, query, thread, ids") < 0 ||
	    member_str(r, b, "tag", &tag) < 0 || member_str(r, b, "note", &note) < 0 ||
	    member_str(r, b, "query", &sel.query) < 0 || member_str(r, b, "thread", &sel.thread) < 0 ||
	    member_bool(r, b, "remove", &remove) < 0)
		goto done;
	if ((il = json_object_get(b, "ids"))) {
		if (!json_is_array(il) || !json_array_size(il) ||
		    !(ids = calloc(json_array_size(il), sizeof *ids))) {
			srv_reply_msg(r, 400, "malformed request", "\"ids\" takes a non-empty array of "
			              "record ids");
			goto done;
		}
		json_array_foreach(il, i, x) {
			if (!(ids[i] = json_string_value(x))) {
				srv_reply_msg(r, 400, "malformed request", "\"ids\" takes an array of strings");
				goto done;
			}
		}
		sel.ids = ids;
		sel.n_ids = json_array_size(il);
	}
	if (custos_archive_matter_tag(r->s, r->arg[0], tag, remove, note, &sel, &selected,
	                              &changed) < 0)
		srv_reply_err(r, custos_session_err(r->s));
	else
		srv_reply_json(r, 200, json_pack("{s:s, s:s, s:s, s:I, s:I}", "matter", r->arg[0], "tag",
		                                 tag, "op", remove ? "remove" : "add", "selected",
		                                 (json_int_t)selected, "changed", (json_int_t)changed));
done:
	free(ids);
	json_decref(b);
	return r->status;
}

static json_t *saved_json(const custos_saved_search_t *ss)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:s}", "name", ss->name, "query", ss->query,
	                 "hits", (json_int_t)ss->hits, "watermark", (json_int_t)ss->watermark,
	                 "saved_at", jtime(ss->saved_at), "saved_by", ss->saved_by);
}

static int get_matter_searches(srv_req_t *r)
{
	custos_matter_t *m = NULL;
	if (custos_archive_matter_show(r->s, r->arg[0], &m) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; i < m->n_searches && arr; i++)
		json_array_append_new(arr, saved_json(&m->searches[i]));
	custos_matter_free(m);
	return srv_reply_json(r, 200, json_pack("{s:s, s:o}", "matter", r->arg[0], "searches",
	                                        arr ? arr : json_array()));
}

static int post_matter_search(srv_req_t *r)
{
	static const char *const keys[] = { "name", "query", NULL };
	const char *name = NULL, *query = NULL;
	uint64_t hits = 0, wm = 0;
	json_t *b = json_body(r);
	if (!b)
		return r->status;
	if (members_known(r, b, keys, "name, query") < 0 || member_str(r, b, "name", &name) < 0 ||
	    member_str(r, b, "query", &query) < 0)
		goto done;
	if (custos_archive_matter_save_search(r->s, r->arg[0], name, query, &hits, &wm) < 0)
		srv_reply_err(r, custos_session_err(r->s));
	else
		srv_reply_json(r, 201, json_pack("{s:s, s:s, s:s, s:I, s:I}", "matter", r->arg[0],
		                                 "name", name, "query", query, "hits", (json_int_t)hits,
		                                 "watermark", (json_int_t)wm));
done:
	json_decref(b);
	return r->status;
}

static int get_matter_search(srv_req_t *r)
{
	custos_search_opts_t so = CUSTOS_SEARCH_OPTS_INIT;
	custos_search_result_t *res = NULL;
	custos_saved_search_t ss;
	search_tags_t tags;
	if (search_opts(r, &so, &tags) < 0)
		return r->status;
	/* the saved search's own matter: tag= and the tag facet read its coding */
	so.matter = so.n_tags || (so.facets & CUSTOS_FACET_BIT(CUSTOS_FACET_TAG)) ? r->arg[0] : NULL;
	if (custos_archive_matter_search(r->s, r->arg[0], r->arg[1], &so, &ss, &res) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	custos_buf_t b = { 0 };
	json_t *saved = saved_json(&ss);
	char *st = saved ? json_dumps(saved, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(saved);
	int rc = !st || custos_buf_printf(&b, "{\"saved\": %s, \"search\": ", st) < 0 ||
	         custos_search_result_json(res, ss.query, so.facets, &b) < 0 ||
	         custos_buf_addc(&b, '}') < 0;
	free(st);
	custos_search_result_free(res);
	return reply_rendered(r, rc ? CUSTOS_ENOMEM : CUSTOS_OK, &b);
}

static json_t *coding_json(const char *matter, const custos_coding_t *c)
{
	json_t *tags = json_array();
	for (size_t i = 0; i < c->n_tags && tags; i++)
		json_array_append_new(tags, json_pack("{s:s, s:s, s:o, s:s}", "tag", c->tags[i].tag,
		                                      "by", c->tags[i].by, "at", jtime(c->tags[i].at),
		                                      "note", c->tags[i].note));
	return json_pack("{s:s, s:s, s:b, s:o}", "matter", matter, "id", c->id, "disposed",
	                 c->disposed, "tags", tags ? tags : json_array());
}

static int get_matter_record(srv_req_t *r)
{
	custos_codings_t c;
	const char *id = r->arg[1];
	if (custos_archive_matter_coding(r->s, r->arg[0], &id, 1, &c) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *o = coding_json(r->arg[0], &c.v[0]);
	custos_codings_free(&c);
	return srv_reply_json(r, 200, o);
}

/* A search's answer with each hit's tags in matter (GET /v1/search?matter=). */
static int search_coded(srv_req_t *r, custos_search_result_t *res, const char *q,
                        unsigned facets, const char *matter)
{
	custos_codings_t c;
	const char **ids = calloc(res->n_hits + 1, sizeof *ids);
	if (!ids) {
		custos_search_result_free(res);
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	}
	for (size_t i = 0; i < res->n_hits; i++)
		ids[i] = res->hits[i].id;
	int rc = custos_archive_matter_coding(r->s, matter, ids, res->n_hits, &c);
	free(ids);
	if (rc < 0) {
		custos_search_result_free(res);
		return srv_reply_err(r, custos_session_err(r->s));
	}
	custos_buf_t b = { 0 };
	rc = custos_search_result_json_coded(res, q, facets, matter, &c, &b);
	custos_codings_free(&c);
	custos_search_result_free(res);
	return reply_rendered(r, rc, &b);
}

/* ==== end of productions and matters ======================================= */

/* ---- tokens and sources -------------------------------------------------------- */

static int get_tokens(srv_req_t *r)
{
	custos_tokens_t l;
	if (custos_archive_token_list(r->s, &l) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n && arr; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", l.v[i].name,
		                                      "role", custos_role_name(l.v[i].role), "created_at",
		                                      jtime(l.v[i].created_at), "revoked_at",
		                                      jtime(l.v[i].revoked_at), "created_by",
		                                      jstr(l.v[i].created_by)));
	custos_tokens_free(&l);
	return srv_reply_json(r, 200, json_pack("{s:o}", "tokens", arr ? arr : json_array()));
}

static int post_token(srv_req_t *r)
{
	json_t *b = json_body(r);
	char token[CUSTOS_TOKEN_TEXT];
	custos_role_t role;
	custos_err_t err = { 0 };
	if (!b)
		return r->status;
	const char *name = json_string_value(json_object_get(b, "name"));
	if (custos_role_parse(&role, json_string_value(json_object_get(b, "role")), &err) < 0) {
		json_decref(b);
		return srv_reply_err(r, &err);
	}
	int rc = custos_archive_token_create(r->s, name, role, token);
	json_t *o = rc < 0 ? NULL : json_pack("{s:s, s:s, s:s}", "name", name, "role",
	                                      custos_role_name(role), "token", token);
	json_decref(b);
	if (rc < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return srv_reply_json(r, 201, o);
}

static int delete_token(srv_req_t *r)
{
	if (custos_archive_token_revoke(r->s, r->arg[0]) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return srv_reply_json(r, 200, json_pack("{s:s, s:b}", "name", r->arg[0], "revoked", 1));
}

static json_t *source_json(const custos_source_info_t *si)
{
	json_t *alerts = json_array();
	for (size_t k = 0; k < si->n_alerts && alerts; k++) {
		const custos_source_alert_t *a = &si->alerts[k];
		json_array_append_new(alerts, json_pack("{s:s?, s:s?, s:o, s:s?, s:s?}", "kind", a->kind,
		                                        "detail", a->detail, "since", jtime(a->since),
		                                        "from", a->from, "to", a->to));
	}
	return json_pack("{s:s, s:s?, s:s?, s:s?, s:i, s:i, s:i, s:o, s:s, s:o, s:o, s:s?, s:s?, "
	                 "s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "name", si->name, "kind", si->kind,
	                 "url", si->url, "account", si->account, "interval", (int)si->interval,
	                 "timeout", (int)si->timeout, "page_limit", (int)si->page_limit, "added_at",
	                 jtime(si->added_at), "status", si->status, "last_attempt",
	                 jtime(si->last_attempt), "last_success", jtime(si->last_success),
	                 "last_error", si->last_error, "cursor", si->cursor, "polls",
	                 (json_int_t)si->polls, "failures", (json_int_t)si->failures,
	                 "not_modified", (json_int_t)si->not_modified, "records",
	                 (json_int_t)si->records, "consecutive_failures",
	                 (json_int_t)si->consecutive_failures, "alerts_total",
	                 (json_int_t)si->alerts_total, "alerts", alerts ? alerts : json_array());
}

static int get_sources(srv_req_t *r)
{
	custos_sources_t l;
	if (custos_archive_source_list(r->s, &l) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	json_t *arr = json_array();
	for (size_t i = 0; i < l.n && arr; i++)
		json_array_append_new(arr, source_json(&l.v[i]));
	custos_sources_free(&l);
	return srv_reply_json(r, 200, json_pack("{s:o}", "sources", arr ? arr : json_array()));
}

static int post_source(srv_req_t *r)
{
	json_t *b = json_body(r);
	custos_source_def_t d = CUSTOS_SOURCE_DEF_INIT;
	if (!b)
		return r->status;
	const char *kind = json_string_value(json_object_get(b, "kind"));
	d.name = json_string_value(json_object_get(b, "name"));
	d.kind = kind && !strcmp(kind, "feed") ? CUSTOS_SOURCE_FEED
	       : kind && !strcmp(kind, "mastodon") ? CUSTOS_SOURCE_MASTODON : 0;
	d.url = json_string_value(json_object_get(b, "url"));
	d.account = json_string_value(json_object_get(b, "account"));
	d.access_token = json_string_value(json_object_get(b, "access_token"));
	d.interval = (unsigned)json_integer_value(json_object_get(b, "interval"));
	d.timeout = (unsigned)json_integer_value(json_object_get(b, "timeout"));
	d.page_limit = (unsigned)json_integer_value(json_object_get(b, "page_limit"));
	int rc = custos_archive_source_add(r->s, &d);
	json_t *o = rc < 0 ? NULL : json_pack("{s:s, s:s}", "name", d.name, "kind", kind);
	json_decref(b);
	if (rc < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return srv_reply_json(r, 201, o);
}

static int delete_source(srv_req_t *r)
{
	if (custos_archive_source_remove(r->s, r->arg[0]) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return srv_reply_json(r, 200, json_pack("{s:s, s:b}", "name", r->arg[0], "removed", 1));
}

/* The table docs/api.md and docs/openapi.yaml describe. More specific
 * patterns come first ({id} may hold '/'). */
const srv_route_t srv_routes[] = {
	{ "GET", "/healthz", BODY_NONE, true, healthz },
	{ "GET", "/", BODY_NONE, true, index_page },
	{ "GET", "/web/{file}", BODY_NONE, true, get_asset },
	{ "GET", "/v1/session", BODY_NONE, false, get_session },
	/* productions and matters: before /v1/jobs/{id}, which would take
	 * "ID/files" for an id */
	{ "POST", "/v1/productions", BODY_JSON, false, post_production },
	{ "GET", "/v1/productions", BODY_NONE, false, get_productions },
	{ "DELETE", "/v1/productions/{id}", BODY_NONE, false, delete_production },
	{ "GET", "/v1/jobs/{id}/files/{path}", BODY_NONE, false, get_production_file },
	{ "GET", "/v1/jobs/{id}/files", BODY_NONE, false, get_production_files },
	{ "GET", "/v1/jobs/{id}/download", BODY_NONE, false, get_production_download },
	{ "DELETE", "/v1/jobs/{id}", BODY_NONE, false, delete_job },
	{ "GET", "/v1/matters", BODY_NONE, false, get_matters },
	{ "POST", "/v1/matters", BODY_JSON, false, post_matter },
	{ "POST", "/v1/matters/{name}/tag", BODY_JSON, false, post_matter_tag },
	{ "GET", "/v1/matters/{name}/searches/{search}", BODY_NONE, false, get_matter_search },
	{ "GET", "/v1/matters/{name}/searches", BODY_NONE, false, get_matter_searches },
	{ "POST", "/v1/matters/{name}/searches", BODY_JSON, false, post_matter_search },
	{ "GET", "/v1/matters/{name}/records/{id}", BODY_NONE, false, get_matter_record },
	{ "GET", "/v1/matters/{name}", BODY_NONE, false, get_matter },
	/* end of productions and matters */
	{ "GET", "/metrics", BODY_NONE, false, srv_metrics },
	{ "POST", "/v1/records", BODY_RECORDS, false, post_records },
	{ "POST", "/v1/imports", BODY_UPLOAD, false, post_imports },
	{ "GET", "/v1/jobs/{id}", BODY_NONE, false, get_job },
	{ "GET", "/v1/search", BODY_NONE, false, get_search },
	{ "GET", "/v1/records/{id}/versions", BODY_NONE, false, get_versions },
	{ "GET", "/v1/records/{id}/raw", BODY_NONE, false, get_raw },
	{ "GET", "/v1/records/{id}/thread", BODY_NONE, false, get_thread },
	{ "GET", "/v1/records/{id}", BODY_NONE, false, get_record },
	{ "GET", "/v1/media/{sha256}", BODY_NONE, false, get_media },
	{ "GET", "/v1/custodians", BODY_NONE, false, get_custodians },
	{ "GET", "/v1/activity", BODY_NONE, false, get_activity },
	{ "POST", "/v1/reports/terms", BODY_JSON, false, post_terms },
	{ "GET", "/v1/stats", BODY_NONE, false, get_stats },
	{ "GET", "/v1/audit", BODY_NONE, false, get_audit },
	{ "POST", "/v1/verify", BODY_NONE, false, post_verify },
	{ "GET", "/v1/holds", BODY_NONE, false, get_holds },
	{ "POST", "/v1/holds", BODY_JSON, false, post_hold },
	{ "POST", "/v1/holds/{name}/release", BODY_JSON, false, post_release },
	{ "GET", "/v1/holds/{name}", BODY_NONE, false, get_hold },
	{ "GET", "/v1/retention/plan", BODY_NONE, false, get_plan },
	{ "POST", "/v1/retention/apply", BODY_JSON, false, post_apply },
	{ "GET", "/v1/policy", BODY_NONE, false, get_policy },
	{ "GET", "/v1/policy/log", BODY_NONE, false, get_policy_log },
	{ "GET", "/v1/policy/diff", BODY_NONE, false, get_policy_diff },
	{ "GET", "/v1/tokens", BODY_NONE, false, get_tokens },
	{ "POST", "/v1/tokens", BODY_JSON, false, post_token },
	{ "DELETE", "/v1/tokens/{name}", BODY_NONE, false, delete_token },
	{ "GET", "/v1/sources", BODY_NONE, false, get_sources },
	{ "POST", "/v1/sources", BODY_JSON, false, post_source },
	{ "DELETE", "/v1/sources/{name}", BODY_NONE, false, delete_source },
};
const size_t srv_n_routes = sizeof srv_routes / sizeof *srv_routes;
