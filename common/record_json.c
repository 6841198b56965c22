/* The canonical record as JSON: the fixed-order serialization the content
 * hash is taken over, and the parser for the ndjson connector format (which
 * also reads back what the store keeps). docs/record-format.md. */
#include "custos_common.h"

#include <jansson.h>
#include <string.h>

/* ---- writing -------------------------------------------------------------- */

typedef struct {
	custos_buf_t *b;
	int first;
	int err;
} jw_t;

static void jw_key(jw_t *w, const char *key)
{
	if (!w->first)
		w->err |= custos_buf_addc(w->b, ',');
	w->first = 0;
	w->err |= custos_buf_add_json_str(w->b, key, strlen(key));
	w->err |= custos_buf_addc(w->b, ':');
}

static void jw_str(jw_t *w, const char *key, const char *v)
{
	if (!v)
		return;
	jw_key(w, key);
	w->err |= custos_buf_add_json_str(w->b, v, strlen(v));
}

static void jw_int(jw_t *w, const char *key, int64_t v)
{
	jw_key(w, key);
	w->err |= custos_buf_printf(w->b, "%lld", (long long)v);
}

static void jw_time(jw_t *w, const char *key, int64_t ms)
{
	char t[40];
	if (ms == CUSTOS_TIME_NONE)
		return;
	custos_time_format(t, sizeof t, ms);
	jw_str(w, key, t);
}

static void jw_strv(jw_t *w, const char *key, const custos_strv_t *v)
{
	if (!v->n)
		return;
	jw_key(w, key);
	w->err |= custos_buf_addc(w->b, '[');
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			w->err |= custos_buf_addc(w->b, ',');
		w->err |= custos_buf_add_json_str(w->b, v->v[i], strlen(v->v[i]));
	}
	w->err |= custos_buf_addc(w->b, ']');
}

static void jw_open(jw_t *w, const char *key, char c)
{
	if (key)
		jw_key(w, key);
	w->err |= custos_buf_addc(w->b, c);
	w->first = 1;
}

static void jw_close(jw_t *w, char c)
{
	w->err |= custos_buf_addc(w->b, c);
	w->first = 0;
}

int custos_record_to_json(const custos_record_t *r, int what, custos_buf_t *out)
{
	jw_t w = { out, 1, 0 };
	jw_open(&w, NULL, '{');
	jw_str(&w, "id", r->id);
	jw_str(&w, "platform", r->platform);
	jw_str(&w, "account", r->account);
	jw_str(&w, "kind", r->kind);
	jw_str(&w, "subtype", r->subtype);
	jw_open(&w, "author", '{');
	jw_str(&w, "id", r->author_id);
	jw_str(&w, "handle", r->author_handle);
	jw_str(&w, "name", r->author_name);
	jw_close(&w, '}');
	jw_time(&w, "created_at", r->created_at);
	jw_str(&w, "in_reply_to", r->in_reply_to);
	jw_str(&w, "thread", r->thread);
	jw_str(&w, "repost_of", r->repost_of);
	jw_str(&w, "quote_of", r->quote_of);
	jw_str(&w, "url", r->url);
	jw_str(&w, "title", r->title);
	jw_str(&w, "text", r->text);
	jw_str(&w, "lang", r->lang);
	jw_strv(&w, "hashtags", &r->hashtags);
	jw_strv(&w, "mentions", &r->mentions);
	jw_strv(&w, "cashtags", &r->cashtags);
	jw_strv(&w, "urls", &r->urls);
	if (r->n_media) {
		jw_open(&w, "media", '[');
		for (size_t i = 0; i < r->n_media; i++) {
			const custos_media_t *m = &r->media[i];
			if (i)
				w.err |= custos_buf_addc(out, ',');
			jw_open(&w, NULL, '{');
			jw_str(&w, "sha256", m->sha256);
			jw_str(&w, "type", m->type);
			if (m->size >= 0)
				jw_int(&w, "size", m->size);
			jw_str(&w, "name", m->name);
			jw_str(&w, "url", m->url);
			jw_close(&w, '}');
		}
		jw_close(&w, ']');
	}
	jw_str(&w, "visibility", r->visibility);
	jw_str(&w, "content_warning", r->content_warning);
	jw_time(&w, "edited_at", r->edited_at);
	jw_time(&w, "deleted_at", r->deleted_at);
	if (what == CUSTOS_JSON_FULL) {
		jw_time(&w, "captured_at", r->captured_at);
		const custos_source_t *s = &r->source;
		if (s->format || s->file || s->connector) {
			jw_open(&w, "source", '{');
			jw_str(&w, "format", s->format);
			jw_str(&w, "file", s->file);
			jw_str(&w, "file_sha256", s->file_sha256);
			if (s->offset >= 0)
				jw_int(&w, "offset", s->offset);
			if (s->line >= 0)
				jw_int(&w, "line", s->line);
			jw_str(&w, "connector", s->connector);
			jw_close(&w, '}');
		}
		if (r->version)
			jw_int(&w, "version", r->version);
		if (r->seq)
			jw_int(&w, "seq", (int64_t)r->seq);
		if (r->content_sha256[0])
			jw_str(&w, "content_sha256", r->content_sha256);
	}
	jw_close(&w, '}');
	return w.err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_record_hash(custos_record_t *r)
{
	custos_buf_t b = { 0 };
	uint8_t h[CUSTOS_SHA256_LEN];
	int err = custos_record_to_json(r, CUSTOS_JSON_CONTENT, &b);
	if (err == CUSTOS_OK) {
		custos_sha256(h, b.data, b.len);
		custos_hex(r->content_sha256, h, sizeof h);
	}
	custos_buf_free(&b);
	return err;
}

/* ---- reading -------------------------------------------------------------- */

typedef struct {
	custos_record_t *r;
	custos_err_t *err;
} rd_t;

static int bad_type(rd_t *rd, const char *field, const char *want)
{
	return custos_err_set(rd->err, CUSTOS_EFORMAT, "field '%s' must be %s", field, want);
}

static int get_str(rd_t *rd, json_t *obj, const char *key, const char *path, char **field)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return CUSTOS_OK;
	if (!json_is_string(v))
		return bad_type(rd, path, "a string");
	return custos_record_set(rd->r, field, json_string_value(v), json_string_length(v));
}

static int get_time(rd_t *rd, json_t *obj, const char *key, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return CUSTOS_OK;
	if (!json_is_string(v))
		return bad_type(rd, key, "an RFC 3339 time string");
	if (custos_time_parse(out, json_string_value(v), json_string_length(v)) < 0)
		return custos_err_set(rd->err, CUSTOS_EFORMAT, "field '%s': cannot parse time '%s'",
		                      key, json_string_value(v));
	return CUSTOS_OK;
}

static int get_int(rd_t *rd, json_t *obj, const char *key, const char *path, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return CUSTOS_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad_type(rd, path, "a non-negative integer");
	*out = json_integer_value(v);
	return CUSTOS_OK;
}

static int get_strv(rd_t *rd, json_t *obj, const char *key, custos_strv_t *v)
{
	json_t *a = json_object_get(obj, key), *e;
	size_t i;
	int err;
	if (!a || json_is_null(a))
		return CUSTOS_OK;
	if (!json_is_array(a))
		return bad_type(rd, key, "an array of strings");
	json_array_foreach(a, i, e) {
		if (!json_is_string(e))
			return bad_type(rd, key, "an array of strings");
		if ((err = custos_record_strv_add(rd->r, v, json_string_value(e),
		                                  json_string_length(e))) < 0)
			return err;
	}
	return CUSTOS_OK;
}

static int get_media(rd_t *rd, json_t *obj)
{
	json_t *a = json_object_get(obj, "media"), *e;
	size_t i;
	int err = CUSTOS_OK;
	if (!a || json_is_null(a))
		return CUSTOS_OK;
	if (!json_is_array(a))
		return bad_type(rd, "media", "an array of objects");
	json_array_foreach(a, i, e) {
		if (!json_is_object(e))
			return bad_type(rd, "media", "an array of objects");
		custos_media_t *m = custos_record_media_add(rd->r);
		if (!m)
			return CUSTOS_ENOMEM;
		if ((err = get_str(rd, e, "sha256", "media.sha256", &m->sha256)) < 0 ||
		    (err = get_str(rd, e, "type", "media.type", &m->type)) < 0 ||
		    (err = get_int(rd, e, "size", "media.size", &m->size)) < 0 ||
		    (err = get_str(rd, e, "name", "media.name", &m->name)) < 0 ||
		    (err = get_str(rd, e, "url", "media.url", &m->url)) < 0)
			return err;
		if (m->sha256) {
			uint8_t tmp[CUSTOS_SHA256_LEN];
			if (strlen(m->sha256) != 64 || custos_unhex(tmp, m->sha256, 32) < 0)
				return bad_type(rd, "media.sha256", "64 hex digits");
		}
	}
	return CUSTOS_OK;
}

static int read_fields(rd_t *rd, json_t *o)
{
	custos_record_t *r = rd->r;
	json_t *author, *src, *v;
	int64_t n;
	int err;

	if ((err = get_str(rd, o, "id", "id", &r->id)) < 0 ||
	    (err = get_str(rd, o, "platform", "platform", &r->platform)) < 0 ||
	    (err = get_str(rd, o, "account", "account", &r->account)) < 0 ||
	    (err = get_str(rd, o, "kind", "kind", &r->kind)) < 0 ||
	    (err = get_str(rd, o, "subtype", "subtype", &r->subtype)) < 0)
		return err;
	author = json_object_get(o, "author");
	if (author && !json_is_object(author))
		return bad_type(rd, "author", "an object with at least 'handle'");
	if (author &&
	    ((err = get_str(rd, author, "id", "author.id", &r->author_id)) < 0 ||
	     (err = get_str(rd, author, "handle", "author.handle", &r->author_handle)) < 0 ||
	     (err = get_str(rd, author, "name", "author.name", &r->author_name)) < 0))
		return err;
	if ((v = json_object_get(author, "id")) && json_is_integer(v)) {
		/* numeric author ids are common in connector output: keep them as text */
		char num[32];
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		if ((err = custos_record_sets(r, &r->author_id, num)) < 0)
			return err;
	}
	if ((err = get_time(rd, o, "created_at", &r->created_at)) < 0 ||
	    (err = get_str(rd, o, "in_reply_to", "in_reply_to", &r->in_reply_to)) < 0 ||
	    (err = get_str(rd, o, "thread", "thread", &r->thread)) < 0 ||
	    (err = get_str(rd, o, "repost_of", "repost_of", &r->repost_of)) < 0 ||
	    (err = get_str(rd, o, "quote_of", "quote_of", &r->quote_of)) < 0 ||
	    (err = get_str(rd, o, "url", "url", &r->url)) < 0 ||
	    (err = get_str(rd, o, "title", "title", &r->title)) < 0 ||
	    (err = get_str(rd, o, "text", "text", &r->text)) < 0 ||
	    (err = get_str(rd, o, "lang", "lang", &r->lang)) < 0 ||
	    (err = get_strv(rd, o, "hashtags", &r->hashtags)) < 0 ||
	    (err = get_strv(rd, o, "mentions", &r->mentions)) < 0 ||
	    (err = get_strv(rd, o, "cashtags", &r->cashtags)) < 0 ||
	    (err = get_strv(rd, o, "urls", &r->urls)) < 0 ||
	    (err = get_media(rd, o)) < 0 ||
	    (err = get_str(rd, o, "visibility", "visibility", &r->visibility)) < 0 ||
	    (err = get_str(rd, o, "content_warning", "content_warning", &r->content_warning)) < 0 ||
	    (err = get_time(rd, o, "edited_at", &r->edited_at)) < 0 ||
	    (err = get_time(rd, o, "deleted_at", &r->deleted_at)) < 0 ||
	    (err = get_time(rd, o, "captured_at", &r->captured_at)) < 0)
		return err;
	src = json_object_get(o, "source");
	if (src && !json_is_object(src))
		return bad_type(rd, "source", "an object");
	if (src &&
	    ((err = get_str(rd, src, "format", "source.format", &r->source.format)) < 0 ||
	     (err = get_str(rd, src, "file", "source.file", &r->source.file)) < 0 ||
	     (err = get_str(rd, src, "file_sha256", "source.file_sha256", &r->source.file_sha256)) < 0 ||
	     (err = get_int(rd, src, "offset", "source.offset", &r->source.offset)) < 0 ||
	     (err = get_int(rd, src, "line", "source.line", &r->source.line)) < 0 ||
	     (err = get_str(rd, src, "connector", "source.connector", &r->source.connector)) < 0))
		return err;
	n = 0;
	if ((err = get_int(rd, o, "version", "version", &n)) < 0)
		return err;
	r->version = (uint32_t)n;
	n = 0;
	if ((err = get_int(rd, o, "seq", "seq", &n)) < 0)
		return err;
	r->seq = (uint64_t)n;
	v = json_object_get(o, "content_sha256");
	if (v && json_is_string(v) && json_string_length(v) == 64)
		memcpy(r->content_sha256, json_string_value(v), 65);
	return CUSTOS_OK;
}

int custos_record_from_json(custos_record_t *r, const char *json, size_t n, custos_err_t *err)
{
	json_error_t jerr;
	size_t bad = custos_utf8_check(json, n);
	if (bad < n)
		return custos_err_set(err, CUSTOS_EFORMAT, "invalid UTF-8 at byte %zu", bad);
	json_t *o = json_loadb(json, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!o)
		return custos_err_set(err, CUSTOS_EFORMAT, "invalid JSON at byte %d: %s",
		                      jerr.position, jerr.text);
	int st = CUSTOS_OK;
	if (!json_is_object(o)) {
		st = custos_err_set(err, CUSTOS_EFORMAT, "a record must be a JSON object");
	} else {
		rd_t rd = { r, err };
		if ((st = read_fields(&rd, o)) == CUSTOS_OK)
			st = custos_record_set_raw(r, json, n);
	}
	json_decref(o);
	return st;
}
