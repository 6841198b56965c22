/* Polling connectors' definitions (<archive>/service/sources.json) and
 * states (<archive>/service/sources/NAME.json, written by the poller), and
 * the capture-completeness monitor's reading of them. */
#include "service_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void defs_path(const char *dir, char *out, size_t cap)
{
	snprintf(out, cap, "%s/service/sources.json", dir);
}

void custos_sources__state_path(const char *dir, const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/service/sources/%s.json", dir, name);
}

int custos_sources__load(const char *dir, json_t **out, custos_err_t *err)
{
	char path[4200];
	int rc;
	defs_path(dir, path, sizeof path);
	if ((rc = custos_service__read_json(path, out, err)) < 0)
		return rc;
	if (!*out && !(*out = json_array()))
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	if (!json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return custos_err_set(err, CUSTOS_ECORRUPT, "'%s' is not a list of sources", path);
	}
	return CUSTOS_OK;
}

static json_t *find(json_t *arr, const char *name, size_t *at)
{
	size_t i;
	json_t *t;
	json_array_foreach(arr, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "name")) ?: "", name)) {
			if (at)
				*at = i;
			return t;
		}
	return NULL;
}

static bool http_url(const char *u)
{
	return u && (!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) &&
	       strlen(u) < 2000 && !strpbrk(u, " \t\r\n");
}

static int check_def(custos_session_t *s, const custos_source_def_t *d)
{
	int rc;
	if ((rc = custos_service__check_name("source", d->name, &s->err)) < 0)
		return rc;
	if (d->kind != CUSTOS_SOURCE_FEED && d->kind != CUSTOS_SOURCE_MASTODON)
		return custos_err_set(&s->err, CUSTOS_EINVAL, "a source is a feed or mastodon");
	if (!http_url(d->url))
		return custos_err_set(&s->err, CUSTOS_EINVAL, "the source's URL must be http:// or "
		                      "https://, without spaces");
	if (d->kind == CUSTOS_SOURCE_MASTODON) {
		size_t n = d->account ? strlen(d->account) : 0;
		if (!n || n > 30 || strspn(d->account, "0123456789") != n)
			return custos_err_set(&s->err, CUSTOS_EINVAL, "a mastodon source needs the "
			                      "account's numeric id (--account)");
	} else if (d->account) {
		return custos_err_set(&s->err, CUSTOS_EINVAL, "a feed has no account");
	}
	if (d->interval > 86400 * 7 || d->timeout > 600 || d->page_limit > 40)
		return custos_err_set(&s->err, CUSTOS_EINVAL, "interval at most a week, timeout at most "
		                      "600 seconds, page limit at most 40 (the Mastodon API's)");
	if (d->access_token && (strlen(d->access_token) > 512 ||
	                        strpbrk(d->access_token, " \t\r\n")))
		return custos_err_set(&s->err, CUSTOS_EINVAL, "a bad access token");
	return CUSTOS_OK;
}

int custos_archive_source_add(custos_session_t *s, const custos_source_def_t *d)
{
	json_t *arr = NULL;
	char path[4200], t[40], sdir[4096];
	int fd = -1, rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_SOURCE_ADMIN, "add sources")) < 0 ||
	    (rc = check_def(s, d)) < 0 ||
	    (rc = custos_service__dir(s->a->dir, "sources", sdir, sizeof sdir, &s->err)) < 0 ||
	    (rc = custos_service__lock(s->a->dir, &fd, &s->err)) < 0 ||
	    (rc = custos_sources__load(s->a->dir, &arr, &s->err)) < 0)
		goto audit;
	if (find(arr, d->name, NULL)) {
		rc = custos_err_set(&s->err, CUSTOS_EEXISTS, "there is a source named '%s' already",
		                    d->name);
		goto audit;
	}
	custos_time_format(t, sizeof t, custos_time_now());
	json_t *e = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:i, s:i, s:i, s:s}", "name", d->name,
	                      "kind", d->kind == CUSTOS_SOURCE_FEED ? "feed" : "mastodon", "url",
	                      d->url, "account", d->account, "access_token", d->access_token,
	                      "interval", d->interval ? (int)d->interval : 300, "timeout",
	                      d->timeout ? (int)d->timeout : 30, "page_limit",
	                      d->page_limit ? (int)d->page_limit : 40, "added_at", t);
	if (!e || json_array_append_new(arr, e) < 0) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	/* a state left by a source of the same name removed before is not this one's */
	custos_sources__state_path(s->a->dir, d->name, path, sizeof path);
	unlink(path);
	defs_path(s->a->dir, path, sizeof path);
	rc = custos_service__write_json(path, arr, &s->err);
audit:
	json_decref(arr);
	custos_service__unlock(fd);
	custos_buf_t p = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "name", d->name ? d->name : "");
	custos_lib__json_kv(&p, "kind", d->kind == CUSTOS_SOURCE_FEED ? "feed" : "mastodon");
	custos_lib__json_kv(&p, "url", d->url ? d->url : "");
	if (d->account)
		custos_lib__json_kv(&p, "account", d->account);
	custos_buf_addc(&p, '}');
	rc = custos_session__audit(s, "source-add", p.data, NULL, rc);
	custos_buf_free(&p);
	return rc;
}

int custos_archive_source_remove(custos_session_t *s, const char *name)
{
	json_t *arr = NULL;
	char path[4200];
	size_t at = 0;
	int fd = -1, rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_SOURCE_ADMIN, "remove sources")) < 0 ||
	    (rc = custos_service__check_name("source", name, &s->err)) < 0 ||
	    (rc = custos_service__lock(s->a->dir, &fd, &s->err)) < 0 ||
	    (rc = custos_sources__load(s->a->dir, &arr, &s->err)) < 0)
		goto audit;
	if (!find(arr, name, &at)) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no source named '%s'", name);
		goto audit;
	}
	json_array_remove(arr, at);
	defs_path(s->a->dir, path, sizeof path);
	if ((rc = custos_service__write_json(path, arr, &s->err)) == CUSTOS_OK) {
		custos_sources__state_path(s->a->dir, name, path, sizeof path);
		unlink(path);
	}
audit:
	json_decref(arr);
	custos_service__unlock(fd);
	return custos_session__audit_name(s, "source-remove", name, rc);
}

void custos_sources_free(custos_sources_t *l)
{
	if (!l)
		return;
	custos_arena_free(&l->arena);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static char *sdup(custos_arena_t *a, json_t *o, const char *key)
{
	return custos_arena_strdup(a, json_string_value(json_object_get(o, key)));
}

static uint64_t num(json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));
	return v > 0 ? (uint64_t)v : 0;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const custos_source_info_t *)x)->name, ((const custos_source_info_t *)y)->name);
}

int custos_sources__list(const char *dir, custos_sources_t *out, custos_err_t *err)
{
	json_t *arr = NULL, *d;
	size_t i;
	int rc;
	int64_t now = custos_time_now();
	memset(out, 0, sizeof *out);
	if ((rc = custos_sources__load(dir, &arr, err)) < 0)
		return rc;
	if (json_array_size(arr) && !(out->v = calloc(json_array_size(arr), sizeof *out->v))) {
		json_decref(arr);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	json_array_foreach(arr, i, d) {
		custos_source_info_t *si = &out->v[out->n];
		custos_arena_t *A = &out->arena;
		char path[4200];
		json_t *st = NULL;
		si->name = sdup(A, d, "name");
		if (!si->name)
			continue;
		out->n++;
		si->kind = sdup(A, d, "kind");
		si->url = sdup(A, d, "url");
		si->account = sdup(A, d, "account");
		si->interval = (unsigned)num(d, "interval");
		si->timeout = (unsigned)num(d, "timeout");
		si->page_limit = (unsigned)num(d, "page_limit");
		si->added_at = custos_service__json_time(d, "added_at");
		custos_sources__state_path(dir, si->name, path, sizeof path);
		custos_err_t serr = { 0 };
		custos_service__read_json(path, &st, &serr);   /* no state yet: never polled */
		si->last_attempt = custos_service__json_time(st, "last_attempt");
		si->last_success = custos_service__json_time(st, "last_success");
		si->last_error = sdup(A, st, "last_error");
		si->cursor = sdup(A, st, "since_id");
		if (!si->cursor)
			si->cursor = sdup(A, st, "etag");
		if (!si->cursor)
			si->cursor = sdup(A, st, "last_modified");
		si->polls = num(st, "polls");
		si->failures = num(st, "failures");
		si->not_modified = num(st, "not_modified");
		si->records = num(st, "records");
		si->consecutive_failures = num(st, "consecutive_failures");
		si->alerts_total = num(st, "alerts_total");
		json_t *alerts = json_object_get(st, "alerts"), *al;
		size_t k;
		size_t na = json_array_size(alerts);
		/* room for a "stopped" the monitor sees now and the poller has not */
		si->alerts = custos_arena_alloc(A, (na + 1) * sizeof *si->alerts);
		if (!si->alerts) {
			json_decref(st);
			json_decref(arr);
			custos_sources_free(out);
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		}
		bool stopped_alert = false;
		json_array_foreach(alerts, k, al) {
			custos_source_alert_t *x = &si->alerts[si->n_alerts++];
			x->kind = sdup(A, al, "kind");
			x->detail = sdup(A, al, "detail");
			x->since = custos_service__json_time(al, "since");
			x->from = sdup(A, al, "from");
			x->to = sdup(A, al, "to");
			stopped_alert |= x->kind && !strcmp(x->kind, "stopped");
		}
		int64_t ref = si->last_success != CUSTOS_TIME_NONE ? si->last_success : si->added_at;
		bool stopped = ref != CUSTOS_TIME_NONE &&
		               now - ref > 3 * (int64_t)(si->interval ? si->interval : 300) * 1000;
		if (stopped && !stopped_alert) {
			custos_source_alert_t *x = &si->alerts[si->n_alerts++];
			memset(x, 0, sizeof *x);
			x->kind = "stopped";
			x->detail = "no successful capture for three polling intervals";
			x->since = ref;
		}
		bool gaps = false;
		for (size_t g = 0; g < si->n_alerts; g++)
			gaps |= si->alerts[g].kind && !strcmp(si->alerts[g].kind, "gap");
		si->status = stopped ? "stopped" : si->consecutive_failures ? "failing"
		           : gaps ? "gaps" : si->last_attempt == CUSTOS_TIME_NONE ? "pending" : "ok";
		json_decref(st);
	}
	json_decref(arr);
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, by_name);
	return CUSTOS_OK;
}

int custos_archive_source_list(custos_session_t *s, custos_sources_t *out)
{
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_SOURCE_READ, "list sources")) == CUSTOS_OK)
		rc = custos_sources__list(s->a->dir, out, &s->err);
	char r[64];
	snprintf(r, sizeof r, "{\"sources\":%zu}", out->n);
	return custos_session__audit(s, "source-list", NULL, r, rc);
}
