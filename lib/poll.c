/* The poller: fetches each configured source when it is due (libcurl),
 * hands what it got to the importers (feed, mastodon-api) through an
 * ingest, and keeps the source's state: cursor, successes and failures,
 * gaps and alerts (the capture-completeness monitor). One thread, one
 * source at a time; a fetch is bounded by the source's timeout. */
#include "service_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FETCH_MAX ((size_t)64 << 20)   /* bytes one response may have */
#define MAX_PAGES 1000                 /* pages one walk may read */

struct custos_poller {
	custos_archive_t *a;
	pthread_t       th;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	bool            stop;
	unsigned        tick_ms;
	int             stopping;          /* read by curl's progress callback */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- one HTTP exchange ------------------------------------------------------ */

typedef struct {
	long        status;
	custos_buf_t body;
	char        etag[512], last_modified[128], link[4096], rl_remaining[32], rl_reset[64];
	char        error[CURL_ERROR_SIZE + 64];
	bool        too_big;
} fetch_t;

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	fetch_t *f = ctx;
	size_t len = size * n;
	if (f->body.len + len > FETCH_MAX) {
		f->too_big = true;
		return 0;
	}
	return custos_buf_add(&f->body, p, len) == CUSTOS_OK ? len : 0;
}

static void header_value(char *out, size_t cap, const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	fetch_t *f = ctx;
	size_t len = size * n;
	static const struct { const char *name; size_t off, cap; } want[] = {
		{ "etag:", offsetof(fetch_t, etag), sizeof ((fetch_t *)0)->etag },
		{ "last-modified:", offsetof(fetch_t, last_modified), sizeof ((fetch_t *)0)->last_modified },
		{ "link:", offsetof(fetch_t, link), sizeof ((fetch_t *)0)->link },
		{ "x-ratelimit-remaining:", offsetof(fetch_t, rl_remaining),
		  sizeof ((fetch_t *)0)->rl_remaining },
		{ "x-ratelimit-reset:", offsetof(fetch_t, rl_reset), sizeof ((fetch_t *)0)->rl_reset },
	};
	if (len > 5 && !strncmp(p, "HTTP/", 5)) {
		/* a new response (after a redirect): forget the last one's headers */
		f->etag[0] = f->last_modified[0] = f->link[0] = f->rl_remaining[0] = f->rl_reset[0] = 0;
		return len;
	}
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		size_t k = strlen(want[i].name);
		if (len > k && !strncasecmp(p, want[i].name, k))
			header_value((char *)f + want[i].off, want[i].cap, p + k, len - k);
	}
	return len;
}

static int on_xfer(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	custos_poller_t *p = ctx;
	(void)dt; (void)dn; (void)ut; (void)un;
	return __atomic_load_n(&p->stopping, __ATOMIC_RELAXED) ? 1 : 0;
}

/* GETs url; headers (may be NULL) are extra request headers. CUSTOS_OK
 * once an HTTP answer came (f->status says which), CUSTOS_EIO when none
 * did (f->error says why). */
static int fetch(custos_poller_t *p, const char *url, struct curl_slist *headers,
                 unsigned timeout, fetch_t *f)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	custos_buf_clear(&f->body);
	f->status = 0;
	f->too_big = false;
	f->error[0] = 0;
	if (!c) {
		snprintf(f->error, sizeof f->error, "cannot start an HTTP request");
		return CUSTOS_ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(timeout < 10 ? timeout : 10));
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_USERAGENT, "custos/0.1 (records archive; polling connector)");
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
	if (headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		snprintf(f->error, sizeof f->error, "%s: %s", url, f->too_big ? "the answer is over "
		         "64 MiB" : errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return CUSTOS_EIO;
	}
	return CUSTOS_OK;
}

/* ---- a source's state --------------------------------------------------------- */

typedef struct {
	custos_poller_t *p;
	json_t   *def, *st;
	const char *name;
	custos_session_t *s;        /* actor "source NAME" */
	int64_t   now;
} run_t;

static json_t *now_json(void)
{
	char t[40];
	custos_time_format(t, sizeof t, custos_time_now());
	return json_string(t);
}

static uint64_t num(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));
	return v > 0 ? (uint64_t)v : 0;
}

static void bump(json_t *o, const char *key)
{
	json_object_set_new(o, key, json_integer((json_int_t)num(o, key) + 1));
}

/* Raises an alert (once while it is open): an audit entry and a line of the
 * state's "alerts". A gap is keyed by its bounds, the others by kind. */
static void alert(run_t *r, const char *kind, const char *detail, const char *from,
                  const char *to)
{
	json_t *alerts = json_object_get(r->st, "alerts"), *al;
	size_t i;
	if (!alerts) {
		alerts = json_array();
		json_object_set_new(r->st, "alerts", alerts);
	}
	json_array_foreach(alerts, i, al)
		if (!strcmp(json_string_value(json_object_get(al, "kind")) ?: "", kind) &&
		    (strcmp(kind, "gap") ||
		     (!strcmp(json_string_value(json_object_get(al, "from")) ?: "", from ? from : "") &&
		      !strcmp(json_string_value(json_object_get(al, "to")) ?: "", to ? to : ""))))
			return;
	json_array_append_new(alerts, json_pack("{s:s, s:s, s:o, s:s?, s:s?}", "kind", kind,
	                                        "detail", detail, "since", now_json(), "from", from,
	                                        "to", to));
	bump(r->st, "alerts_total");
	custos_buf_t pr = { 0 };
	custos_buf_addc(&pr, '{');
	custos_lib__json_kv(&pr, "source", r->name);
	custos_lib__json_kv(&pr, "alert", kind);
	custos_lib__json_kv(&pr, "detail", detail);
	if (from)
		custos_lib__json_kv(&pr, "from", from);
	if (to)
		custos_lib__json_kv(&pr, "to", to);
	custos_buf_addc(&pr, '}');
	custos_err_clear(&r->s->err);
	custos_session__audit(r->s, "source-alert", pr.data, NULL, CUSTOS_OK);
	custos_buf_free(&pr);
}

/* Closes the open alerts of kind (a gap: with these bounds; NULL: all). */
static void resolve(run_t *r, const char *kind, const char *from, const char *to)
{
	json_t *alerts = json_object_get(r->st, "alerts");
	for (size_t i = json_array_size(alerts); i-- > 0;) {
		json_t *al = json_array_get(alerts, i);
		if (strcmp(json_string_value(json_object_get(al, "kind")) ?: "", kind))
			continue;
		if (from && strcmp(json_string_value(json_object_get(al, "from")) ?: "", from))
			continue;
		if (to && strcmp(json_string_value(json_object_get(al, "to")) ?: "", to))
			continue;
		custos_buf_t pr = { 0 };
		custos_buf_addc(&pr, '{');
		custos_lib__json_kv(&pr, "source", r->name);
		custos_lib__json_kv(&pr, "alert", kind);
		custos_lib__json_kv(&pr, "since", json_string_value(json_object_get(al, "since")) ?: "");
		custos_buf_addc(&pr, '}');
		custos_err_clear(&r->s->err);
		custos_session__audit(r->s, "source-alert-closed", pr.data, NULL, CUSTOS_OK);
		custos_buf_free(&pr);
		json_array_remove(alerts, i);
	}
}

static int save_state(run_t *r)
{
	char path[4200];
	custos_err_t err = { 0 };
	custos_sources__state_path(r->p->a->dir, r->name, path, sizeof path);
	return custos_service__write_json(path, r->st, &err);
}

/* Ingests the spool file at path (format fmt) in the source's session. */
static int ingest_spool(run_t *r, const char *path, const char *fmt,
                        custos_ingest_summary_t *sum)
{
	custos_ingest_opts_t o = CUSTOS_INGEST_OPTS_INIT;
	const char *const paths[1] = { path };
	o.format = fmt;
	o.skip_bad = true;   /* a bad item is kept in quarantine, never a reason to lose the rest */
	o.no_index = true;   /* the index service catches up behind */
	int rc = custos_archive_ingest(r->s, paths, 1, &o, sum);
	if (rc == CUSTOS_OK)
		json_object_set_new(r->st, "records", json_integer((json_int_t)(num(r->st, "records") +
		                    sum->added + sum->versions)));
	return rc;
}

static int spool_path(run_t *r, const char *ext, char *out, size_t cap)
{
	char dir[4096];
	custos_err_t err = { 0 };
	int rc = custos_service__dir(r->p->a->dir, "spool", dir, sizeof dir, &err);
	if (rc < 0)
		return rc;
	snprintf(out, cap, "%s/%s-%lld.%s", dir, r->name, (long long)custos_time_now(), ext);
	return CUSTOS_OK;
}

/* ---- feeds ------------------------------------------------------------------- */

static int poll_feed(run_t *r, char *why, size_t cap)
{
	const char *url = json_string_value(json_object_get(r->def, "url"));
	const char *etag = json_string_value(json_object_get(r->st, "etag"));
	const char *lm = json_string_value(json_object_get(r->st, "last_modified"));
	unsigned timeout = (unsigned)num(r->def, "timeout");
	struct curl_slist *h = NULL;
	char line[700], path[4400];
	fetch_t f;
	int rc;

	memset(&f, 0, sizeof f);
	if (etag) {
		snprintf(line, sizeof line, "If-None-Match: %s", etag);
		h = curl_slist_append(h, line);
	}
	if (lm) {
		snprintf(line, sizeof line, "If-Modified-Since: %s", lm);
		h = curl_slist_append(h, line);
	}
	rc = fetch(r->p, url, h, timeout ? timeout : 30, &f);
	curl_slist_free_all(h);
	if (rc < 0) {
		snprintf(why, cap, "%s", f.error);
		goto done;
	}
	if (f.status == 304) {
		bump(r->st, "not_modified");
		goto done;
	}
	if (f.status != 200) {
		rc = CUSTOS_EIO;
		snprintf(why, cap, "%s: HTTP %ld", url, f.status);
		goto done;
	}
	/* a Last-Modified older than the one we hold: the feed went back */
	int64_t was = CUSTOS_TIME_NONE, is = CUSTOS_TIME_NONE;
	struct tm tm;
	if (lm && f.last_modified[0]) {
		memset(&tm, 0, sizeof tm);
		if (strptime(lm, "%a, %d %b %Y %H:%M:%S", &tm))
			was = (int64_t)timegm(&tm);
		memset(&tm, 0, sizeof tm);
		if (strptime(f.last_modified, "%a, %d %b %Y %H:%M:%S", &tm))
			is = (int64_t)timegm(&tm);
		if (was != CUSTOS_TIME_NONE && is != CUSTOS_TIME_NONE && is < was) {
			char d[900];
			snprintf(d, sizeof d, "the feed's Last-Modified went back from '%s' to '%s'", lm,
			         f.last_modified);
			alert(r, "cursor-backwards", d, lm, f.last_modified);
		}
	}
	custos_ingest_summary_t sum;
	custos_err_t werr = { 0 };
	if ((rc = spool_path(r, "xml", path, sizeof path)) < 0 ||
	    (rc = custos_service__write(path, f.body.data ? f.body.data : "", f.body.len, &werr)) < 0) {
		snprintf(why, cap, "cannot spool the feed: %s", werr.msg);
		goto done;
	}
	rc = ingest_spool(r, path, "feed", &sum);
	unlink(path);
	if (rc < 0) {
		snprintf(why, cap, "%s", custos_session_err(r->s)->msg);
		goto done;
	}
	uint64_t items = sum.added + sum.versions + sum.unchanged + sum.quarantined;
	/* every item new although the last fetch had items: the feed's window
	 * does not reach back to it, so items may have come and gone between */
	if (items && num(r->st, "last_items") && sum.unchanged == 0 && sum.versions == 0 &&
	    json_string_value(json_object_get(r->st, "last_success"))) {
		char d[300];
		snprintf(d, sizeof d, "all %llu items of the feed were new: items published and "
		         "dropped from the feed since the last capture may be missing",
		         (unsigned long long)items);
		alert(r, "gap", d, json_string_value(json_object_get(r->st, "last_success")),
		      json_string_value(json_object_get(r->st, "last_attempt")));
	}
	json_object_set_new(r->st, "last_items", json_integer((json_int_t)items));
	if (f.etag[0])
		json_object_set_new(r->st, "etag", json_string(f.etag));
	else
		json_object_del(r->st, "etag");
	if (f.last_modified[0])
		json_object_set_new(r->st, "last_modified", json_string(f.last_modified));
	else
		json_object_del(r->st, "last_modified");
done:
	custos_buf_free(&f.body);
	return rc;
}

/* ---- Mastodon ------------------------------------------------------------------ */

/* Numeric ids of any length: by length, then by digits. */
static int id_cmp(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	return na != nb ? (na < nb ? -1 : 1) : strcmp(a, b);
}

/* Calls fn with the exact bytes of each element of the JSON array text p. */
static int array_elements(const char *p, size_t n, int (*fn)(void *, const char *, size_t),
                          void *ctx)
{
	size_t i = 0, depth = 0, start = 0;
	bool in_str = false;
	while (i < n && p[i] != '[')
		i++;
	for (i++; i < n; i++) {
		char c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (depth++ == 0)
				start = i;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				break;   /* the array's end */
			if (--depth == 0) {
				int rc = fn(ctx, p + start, i + 1 - start);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

static int spool_line(void *ctx, const char *p, size_t n)
{
	custos_buf_t *b = ctx;
	/* one status a line: a raw newline inside one is whitespace between tokens */
	size_t at = b->len;
	if (custos_buf_add(b, p, n) < 0 || custos_buf_addc(b, '\n') < 0)
		return CUSTOS_ENOMEM;
	for (size_t i = at; i < at + n; i++)
		if (b->data[i] == '\n' || b->data[i] == '\r')
			b->data[i] = ' ';
	return 0;
}

/* The rel="next" URL of a Link header, or false. */
static bool link_next(const char *link, char *out, size_t cap)
{
	const char *p = link;
	while (p && *p) {
		const char *lt = strchr(p, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		if (!lt || !gt)
			return false;
		const char *end = strchr(gt, ',');
		size_t seg = end ? (size_t)(end - gt) : strlen(gt);
		if (memmem(gt, seg, "rel=\"next\"", 10) || memmem(gt, seg, "rel=next", 8)) {
			size_t n = (size_t)(gt - lt - 1);
			if (n == 0 || n >= cap)
				return false;
			memcpy(out, lt + 1, n);
			out[n] = 0;
			return !strncmp(out, "http://", 7) || !strncmp(out, "https://", 8);
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Rate limits: when the server says none are left, no request before the
 * reset it names. */
static bool rate_limited(run_t *r, const fetch_t *f)
{
	if (!f->rl_remaining[0] || atol(f->rl_remaining) > 1)
		return f->status == 429;
	int64_t reset;
	if (f->rl_reset[0] && custos_time_parse(&reset, f->rl_reset, strlen(f->rl_reset)) == 0) {
		char t[40];
		custos_time_format(t, sizeof t, reset);
		json_object_set_new(r->st, "rate_limited_until", json_string(t));
	}
	return true;
}

typedef struct {
	char newest[64], oldest[64];
	bool reached;             /* the walk reached the lower bound (or the end) */
	bool backwards;           /* a first page's ids at or below the cursor */
	char why[1200];
	uint64_t statuses;
} walk_t;

/* Reads statuses newer than `after` (NULL: all) and older than `before`
 * (NULL: newest), page by page, into spool. */
static int walk(run_t *r, const char *after, const char *before, custos_buf_t *spool, walk_t *w)
{
	const char *base = json_string_value(json_object_get(r->def, "url"));
	const char *acct = json_string_value(json_object_get(r->def, "account"));
	const char *tok = json_string_value(json_object_get(r->def, "access_token"));
	unsigned limit = (unsigned)num(r->def, "page_limit");
	unsigned timeout = (unsigned)num(r->def, "timeout");
	struct curl_slist *h = NULL;
	char url[4200], auth[600];
	fetch_t f;
	int rc = CUSTOS_OK;

	memset(&f, 0, sizeof f);
	memset(w, 0, sizeof *w);
	if (tok) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", tok);
		h = curl_slist_append(h, auth);
	}
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof url, "%.*s/api/v1/accounts/%s/statuses?limit=%u%s%s%s%s", (int)bl,
	         base, acct, limit ? limit : 40, after ? "&since_id=" : "", after ? after : "",
	         before ? "&max_id=" : "", before ? before : "");
	for (int page = 0; page < MAX_PAGES; page++) {
		if ((rc = fetch(r->p, url, h, timeout ? timeout : 30, &f)) < 0) {
			snprintf(w->why, sizeof w->why, "%s", f.error);
			break;
		}
		if (f.status != 200) {
			bool limited = rate_limited(r, &f);
			snprintf(w->why, sizeof w->why, "%.1000s: HTTP %ld%s", url, f.status,
			         limited ? " (rate-limited)" : "");
			rc = CUSTOS_EIO;
			break;
		}
		json_error_t je;
		json_t *arr = json_loadb(f.body.data ? f.body.data : "", f.body.len, 0, &je);
		if (!json_is_array(arr)) {
			json_decref(arr);
			snprintf(w->why, sizeof w->why, "%.900s: not a list of statuses (%s)", url, je.text);
			rc = CUSTOS_EFORMAT;
			break;
		}
		size_t n = json_array_size(arr), i;
		json_t *st;
		bool below = false;
		json_array_foreach(arr, i, st) {
			const char *id = json_string_value(json_object_get(st, "id"));
			if (!id || strlen(id) >= sizeof w->newest || strspn(id, "0123456789") != strlen(id))
				continue;
			if (after && id_cmp(id, after) <= 0) {
				below = true;   /* at or behind the cursor */
				if (page == 0 && i == 0)
					w->backwards = true;
				continue;
			}
			if (!w->newest[0] || id_cmp(id, w->newest) > 0)
				snprintf(w->newest, sizeof w->newest, "%s", id);
			if (!w->oldest[0] || id_cmp(id, w->oldest) < 0)
				snprintf(w->oldest, sizeof w->oldest, "%s", id);
			w->statuses++;
		}
		json_decref(arr);
		if ((rc = array_elements(f.body.data ? f.body.data : "", f.body.len, spool_line,
		                         spool)) != 0)
			break;
		bool limited = rate_limited(r, &f);
		if (n == 0 || below) {
			w->reached = true;
			break;
		}
		if (!link_next(f.link, url, sizeof url)) {
			/* a full page and no way to the next: what lies between is unread */
			if (n < (limit ? limit : 40)) {
				w->reached = true;
			} else {
				snprintf(w->why, sizeof w->why, "a page of %zu statuses had no usable "
				         "Link rel=\"next\" ('%.300s')", n, f.link);
			}
			break;
		}
		if (limited) {
			snprintf(w->why, sizeof w->why, "rate-limited before the walk ended");
			break;
		}
	}
	curl_slist_free_all(h);
	custos_buf_free(&f.body);
	return rc;
}

static int ingest_statuses(run_t *r, custos_buf_t *spool, char *why, size_t cap)
{
	char path[4400];
	custos_ingest_summary_t sum;
	custos_err_t werr = { 0 };
	int rc;
	if (!spool->len)
		return CUSTOS_OK;
	if ((rc = spool_path(r, "ndjson", path, sizeof path)) < 0 ||
	    (rc = custos_service__write(path, spool->data, spool->len, &werr)) < 0) {
		snprintf(why, cap, "cannot spool the statuses: %s", werr.msg);
		return rc;
	}
	rc = ingest_spool(r, path, "mastodon-api", &sum);
	unlink(path);
	if (rc < 0)
		snprintf(why, cap, "%s", custos_session_err(r->s)->msg);
	return rc;
}

static int poll_mastodon(run_t *r, char *why, size_t cap)
{
	custos_buf_t spool = { 0 };
	walk_t w;
	int rc;
	const char *since = json_string_value(json_object_get(r->st, "since_id"));
	char cursor[64] = "";
	if (since)
		snprintf(cursor, sizeof cursor, "%s", since);

	/* first the gaps an earlier poll left, oldest first: each walk that
	 * reaches its lower bound closes one */
	json_t *alerts = json_object_get(r->st, "alerts");
	for (size_t i = 0; i < json_array_size(alerts); i++) {
		json_t *al = json_array_get(alerts, i);
		if (strcmp(json_string_value(json_object_get(al, "kind")) ?: "", "gap"))
			continue;
		char from[64], to[64];
		snprintf(from, sizeof from, "%s", json_string_value(json_object_get(al, "from")) ?: "");
		snprintf(to, sizeof to, "%s", json_string_value(json_object_get(al, "to")) ?: "");
		custos_buf_clear(&spool);
		if (walk(r, from[0] ? from : NULL, to[0] ? to : NULL, &spool, &w) == CUSTOS_OK &&
		    ingest_statuses(r, &spool, why, cap) == CUSTOS_OK && w.reached) {
			resolve(r, "gap", from, to);
			i--;
		}
	}

	custos_buf_clear(&spool);
	rc = walk(r, cursor[0] ? cursor : NULL, NULL, &spool, &w);
	if (w.backwards) {
		char d[300];
		snprintf(d, sizeof d, "asked for statuses after %s, the server answered with ids at or "
		         "below it: its timeline went back", cursor);
		alert(r, "cursor-backwards", d, cursor, NULL);
	}
	/* what was read is kept even when the walk broke off */
	int irc = ingest_statuses(r, &spool, why, cap);
	custos_buf_free(&spool);
	if (irc < 0)
		return irc;   /* nothing moves: the next poll reads it all again */
	if (!w.reached && w.statuses) {
		/* the newest pages were read, the rest up to the cursor was not: a
		 * gap between the cursor and the oldest status read */
		char d[1400];
		snprintf(d, sizeof d, "statuses between %s and %s were not read: %s",
		         cursor[0] ? cursor : "the account's first", w.oldest, w.why);
		alert(r, "gap", d, cursor[0] ? cursor : NULL, w.oldest);
	}
	if (w.newest[0])
		json_object_set_new(r->st, "since_id", json_string(w.newest));
	if (rc < 0 || (!w.reached && !w.statuses)) {
		snprintf(why, cap, "%s", w.why[0] ? w.why : "the walk did not complete");
		return rc < 0 ? rc : CUSTOS_EIO;
	}
	return CUSTOS_OK;
}

/* ---- the loop ------------------------------------------------------------------ */

static void poll_one(custos_poller_t *p, json_t *def)
{
	run_t r = { p, def, NULL, NULL, NULL, custos_time_now() };
	char path[4200], actor[100], why[2048] = "";
	custos_err_t err = { 0 };
	r.name = json_string_value(json_object_get(def, "name"));
	const char *kind = json_string_value(json_object_get(def, "kind"));
	if (!r.name || !kind)
		return;
	custos_sources__state_path(p->a->dir, r.name, path, sizeof path);
	if (custos_service__read_json(path, &r.st, &err) < 0 || !r.st)
		r.st = json_object();
	if (!r.st)
		return;
	int64_t interval = (int64_t)(num(def, "interval") ? num(def, "interval") : 300) * 1000;
	int64_t last = custos_service__json_time(r.st, "last_attempt");
	int64_t limited = custos_service__json_time(r.st, "rate_limited_until");
	int64_t ref = custos_service__json_time(r.st, "last_success");
	if (ref == CUSTOS_TIME_NONE)
		ref = custos_service__json_time(def, "added_at");
	custos_who_t who = CUSTOS_WHO_INIT;
	snprintf(actor, sizeof actor, "source %s", r.name);
	who.actor = actor;
	who.role = CUSTOS_ROLE_INGEST;
	if (custos_session_open(&r.s, p->a, &who, &err) < 0) {
		json_decref(r.st);
		return;
	}
	/* the monitor: no success for three intervals is an alert, due or not */
	if (ref != CUSTOS_TIME_NONE && r.now - ref > 3 * interval) {
		alert(&r, "stopped", "no successful capture for three polling intervals", NULL, NULL);
		save_state(&r);
	}
	bool due = (last == CUSTOS_TIME_NONE || r.now - last >= interval) &&
	           (limited == CUSTOS_TIME_NONE || r.now >= limited);
	if (!due)
		goto done;
	json_object_set_new(r.st, "last_attempt", now_json());
	json_object_del(r.st, "rate_limited_until");
	bump(r.st, "polls");
	int rc = !strcmp(kind, "feed") ? poll_feed(&r, why, sizeof why)
	                               : poll_mastodon(&r, why, sizeof why);
	if (rc == CUSTOS_OK) {
		json_object_set_new(r.st, "last_success", now_json());
		json_object_set_new(r.st, "consecutive_failures", json_integer(0));
		json_object_del(r.st, "last_error");
		resolve(&r, "stopped", NULL, NULL);
	} else {
		bump(r.st, "failures");
		bump(r.st, "consecutive_failures");
		json_object_set_new(r.st, "last_error", json_string(why[0] ? why : custos_status_str(rc)));
	}
	save_state(&r);
done:
	custos_session_free(r.s);
	json_decref(r.st);
}

static void *poller_main(void *arg)
{
	custos_poller_t *p = arg;
	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		pthread_mutex_unlock(&p->mu);
		json_t *defs = NULL;
		custos_err_t err = { 0 };
		if (custos_sources__load(p->a->dir, &defs, &err) == CUSTOS_OK) {
			size_t i;
			json_t *d;
			json_array_foreach(defs, i, d) {
				if (__atomic_load_n(&p->stopping, __ATOMIC_RELAXED))
					break;
				poll_one(p, d);
			}
		}
		json_decref(defs);
		pthread_mutex_lock(&p->mu);
		if (p->stop)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += p->tick_ms / 1000;
		ts.tv_nsec += (long)(p->tick_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int custos_poller__start(custos_poller_t **out, custos_archive_t *a, unsigned tick_ms,
                         custos_err_t *err)
{
	custos_poller_t *p;
	char dir[4096];
	int rc;
	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	if ((rc = custos_service__dir(a->dir, "sources", dir, sizeof dir, err)) < 0)
		return rc;
	if (!(p = calloc(1, sizeof *p)))
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	p->a = a;
	p->tick_ms = tick_ms ? tick_ms : 1000;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, poller_main, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
		return custos_err_set(err, CUSTOS_EINTERNAL, "cannot start the poller");
	}
	*out = p;
	return CUSTOS_OK;
}

void custos_poller__stop(custos_poller_t *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	__atomic_store_n(&p->stopping, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

/* The poller's table in the serve module (lib/service.c calls through it) */
const custos_poll_module_t custos_module_poll = {
	sizeof(custos_poll_module_t), custos_poller__start, custos_poller__stop
};
