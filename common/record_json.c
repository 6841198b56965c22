/* The canonical record as JSON: the fixed-order serialization the content
 * hash is taken over, and the parser for the ndjson connector format (which
 * also reads back what the store keeps). docs/record-format.md. */
#include "custos_common.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* ---- writing -------------------------------------------------------------- */

typedef struct {
	custos_buf_t *b;
	int first;
	int err;
} jw_t;

/* ,"key": with key one of this file's own names, which need no escape:
 * written whole (inlined, its length is known when compiled) */
static inline void jw_key(jw_t *w, const char *key)
{
	size_t kn = strlen(key);
	custos_buf_t *b = w->b;
	if (custos_buf_reserve(b, kn + 4) != 0) {
		w->err |= CUSTOS_ENOMEM;
		return;
	}
	char *o = b->data + b->len;
	if (!w->first)
		*o++ = ',';
	w->first = 0;
	*o++ = '"';
	memcpy(o, key, kn);
	o += kn;
	*o++ = '"';
	*o++ = ':';
	b->len = (size_t)(o - b->data);
	*o = '\0';
}

static inline void jw_str(jw_t *w, const char *key, const char *v)
{
	if (!v)
		return;
	jw_key(w, key);
	w->err |= custos_buf_add_json_str(w->b, v, strlen(v));
}

static void jw_int(jw_t *w, const char *key, int64_t v)
{
	char digits[24], *p = digits + sizeof digits;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	jw_key(w, key);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	w->err |= custos_buf_add(w->b, p, (size_t)(digits + sizeof digits - p));
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

/* What CUSTOS_JSON_FULL adds after everything CUSTOS_JSON_STORE writes. */
static void full_tail(jw_t *w, const custos_record_t *r)
{
	if (r->version)
		jw_int(w, "version", r->version);
	if (r->seq)
		jw_int(w, "seq", (int64_t)r->seq);
	if (r->content_sha256[0])
		jw_str(w, "content_sha256", r->content_sha256);
}

static int to_json(const custos_record_t *r, int what, custos_buf_t *out, size_t *content_end,
                   uint32_t file_ref)
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
	if (r->undated) {
		jw_key(&w, "undated");
		w.err |= custos_buf_adds(w.b, "true");
	}
	jw_str(&w, "in_reply_to", r->in_reply_to);
	jw_str(&w, "thread", r->thread);
	jw_str(&w, "repost_of", r->repost_of);
	jw_str(&w, "quote_of", r->quote_of);
	jw_str(&w, "target", r->target);
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
	if (content_end)
		*content_end = out->len;
	if (what == CUSTOS_JSON_FULL || what == CUSTOS_JSON_STORE) {
		jw_time(&w, "captured_at", r->captured_at);
		jw_str(&w, "custodian", r->custodian);
		const custos_source_t *s = &r->source;
		if (s->format || s->file || s->connector) {
			jw_open(&w, "source", '{');
			jw_str(&w, "format", s->format);
			if (file_ref && s->file) {
				/* the store's reference to its entry of file and hash */
				jw_int(&w, "file_ref", file_ref);
			} else {
				jw_str(&w, "file", s->file);
				jw_str(&w, "file_sha256", s->file_sha256);
			}
			if (s->offset >= 0)
				jw_int(&w, "offset", s->offset);
			if (s->line >= 0)
				jw_int(&w, "line", s->line);
			jw_str(&w, "connector", s->connector);
			jw_close(&w, '}');
		}
	}
	if (what == CUSTOS_JSON_FULL)
		full_tail(&w, r);
	jw_close(&w, '}');
	return w.err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_record_to_json_full_from(const custos_record_t *r, const char *store, size_t n,
                                    custos_buf_t *out)
{
	if (n < 2 || store[0] != '{' || store[n - 1] != '}')
		return CUSTOS_EINVAL;
	/* FULL is STORE with the tail before its closing brace */
	jw_t w = { out, n == 2, 0 };
	w.err |= custos_buf_add(out, store, n - 1);
	full_tail(&w, r);
	jw_close(&w, '}');
	return w.err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_record_to_json(const custos_record_t *r, int what, custos_buf_t *out)
{
	return to_json(r, what, out, NULL, 0);
}

int custos_record_to_json_hashed(const custos_record_t *r, custos_buf_t *out,
                                 uint8_t content[CUSTOS_SHA256_LEN])
{
	return custos_record_to_json_stored(r, out, content, 0);
}

int custos_record_to_json_stored(const custos_record_t *r, custos_buf_t *out,
                                 uint8_t content[CUSTOS_SHA256_LEN], uint32_t file_ref)
{
	size_t start = out->len, end = 0;
	int err = to_json(r, CUSTOS_JSON_STORE, out, &end, file_ref);
	if (err < 0)
		return err;
	/* the content form is the store form cut before captured_at, closed */
	custos_sha256_ctx_t c;
	custos_sha256_init(&c);
	custos_sha256_update(&c, out->data + start, end - start);
	custos_sha256_update(&c, "}", 1);
	custos_sha256_final(&c, content);
	return CUSTOS_OK;
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

/* The connector format is read by a strict single-pass parser that fills the
 * record directly: no tree, no allocation outside the record's arena. It is
 * the ingest's hot path, and a JSON tree per line cost more than compressing
 * the record. Strict means: RFC 8259 grammar, no duplicate keys (in any
 * object), no NUL characters in strings, nesting at most 64 deep. */

#define RJ_DEPTH_MAX 64
#define RJ_KEYS_MAX 128

typedef struct {
	const char *start, *p, *end;
	custos_record_t *r;
	custos_err_t *err;
	custos_buf_t scratch;
	const char *s;   /* the last string read (rj_string): n bytes, in the */
	size_t n;        /* input or in scratch, not NUL-terminated in the input */
	int depth;
	uint32_t *file_ref;  /* a stored record: source.file_ref is read into it */
} rj_t;

static int rj_fail(rj_t *j, const char *fmt, const char *arg)
{
	char what[256];
	snprintf(what, sizeof what, fmt, arg ? arg : "");
	return custos_err_set(j->err, CUSTOS_EFORMAT, "invalid JSON at byte %td: %s",
	                      j->p - j->start, what);
}

static inline void rj_ws(rj_t *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static inline int rj_lit(rj_t *j, char c)
{
	/* compact JSON, the usual input: the character itself, no space */
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return 1;
	}
	rj_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return 1;
	}
	return 0;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
		else return -1;
	}
	*out = v;
	return 0;
}

/* Reads a string: j->s and j->n are its decoded bytes, which are the
 * input's own when it has no escape (not NUL-terminated there: a copy that
 * is not needed is not made), else in j->scratch. The bytes were checked as
 * UTF-8 before parsing began. */
static int rj_string(rj_t *j)
{
	rj_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return rj_fail(j, "expected a string%s", NULL);
	j->p++;
	const char *q = custos_json_plain(j->p, j->end);
	if (q < j->end && *q == '"') {
		j->s = j->p;
		j->n = (size_t)(q - j->p);
		j->p = q + 1;
		return CUSTOS_OK;
	}
	custos_buf_clear(&j->scratch);
	for (;;) {
		q = custos_json_plain(j->p, j->end);
		if (q > j->p && custos_buf_add(&j->scratch, j->p, (size_t)(q - j->p)) < 0)
			return CUSTOS_ENOMEM;
		j->p = q;
		if (q >= j->end)
			return rj_fail(j, "unterminated string%s", NULL);
		if (*q == '"') {
			j->p++;
			if (!j->scratch.data && custos_buf_reserve(&j->scratch, 1) < 0)
				return CUSTOS_ENOMEM;
			j->scratch.data[j->scratch.len] = '\0';
			j->s = j->scratch.data;
			j->n = j->scratch.len;
			return CUSTOS_OK;
		}
		if ((unsigned char)*q < 0x20)
			return rj_fail(j, "control character in a string%s", NULL);
		/* an escape */
		if (q + 1 >= j->end)
			return rj_fail(j, "unterminated string%s", NULL);
		char c = q[1], out = 0;
		j->p = q + 2;
		switch (c) {
		case '"': out = '"'; break;
		case '\\': out = '\\'; break;
		case '/': out = '/'; break;
		case 'b': out = '\b'; break;
		case 'f': out = '\f'; break;
		case 'n': out = '\n'; break;
		case 'r': out = '\r'; break;
		case 't': out = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (j->end - j->p < 4 || hex4(j->p, &cp) < 0)
				return rj_fail(j, "bad \\u escape%s", NULL);
			j->p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
				    hex4(j->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
					return rj_fail(j, "lone surrogate in a \\u escape%s", NULL);
				j->p += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return rj_fail(j, "lone surrogate in a \\u escape%s", NULL);
			} else if (cp == 0) {
				return rj_fail(j, "NUL character (\\u0000) in a string%s", NULL);
			}
			if (custos_buf_add_cp(&j->scratch, cp) < 0)
				return CUSTOS_ENOMEM;
			continue;
		}
		default:
			j->p = q;
			return rj_fail(j, "bad escape in a string%s", NULL);
		}
		if (custos_buf_addc(&j->scratch, out) < 0)
			return CUSTOS_ENOMEM;
	}
}

/* A JSON number; *is_int and *v when it is an integer that fits. */
static int rj_number(rj_t *j, int *is_int, int64_t *v)
{
	const char *s = j->p;
	int neg = 0, frac = 0, overflow = 0;
	uint64_t acc = 0;
	if (j->p < j->end && *j->p == '-') {
		neg = 1;
		j->p++;
	}
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return rj_fail(j, "bad number%s", NULL);
	if (*j->p == '0' && j->p + 1 < j->end && j->p[1] >= '0' && j->p[1] <= '9')
		return rj_fail(j, "bad number (leading zero)%s", NULL);
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		if (acc > (UINT64_MAX - 9) / 10)
			overflow = 1;
		acc = acc * 10 + (uint64_t)(*j->p++ - '0');
	}
	if (j->p < j->end && *j->p == '.') {
		frac = 1;
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return rj_fail(j, "bad number%s", NULL);
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		frac = 1;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return rj_fail(j, "bad number%s", NULL);
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	*is_int = !frac && !overflow && acc <= (uint64_t)INT64_MAX;
	*v = neg ? -(int64_t)acc : (int64_t)acc;
	(void)s;
	return CUSTOS_OK;
}

static int rj_word(rj_t *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, w, n)) {
		j->p += n;
		return 1;
	}
	return 0;
}

static int rj_skip(rj_t *j);

/* Walks an object, calling fn for each key with j->p at its value. Keys
 * must be unique: compared after decoding. */
typedef int (*rj_member_fn)(rj_t *j, const char *key, void *ctx);

static int rj_object(rj_t *j, rj_member_fn fn, void *ctx)
{
	const char *keys[RJ_KEYS_MAX];
	size_t klen[RJ_KEYS_MAX], nkeys = 0;
	int err;
	if (!rj_lit(j, '{'))
		return rj_fail(j, "expected an object%s", NULL);
	if (++j->depth > RJ_DEPTH_MAX)
		return rj_fail(j, "nested more than 64 deep%s", NULL);
	if (rj_lit(j, '}')) {
		j->depth--;
		return CUSTOS_OK;
	}
	for (;;) {
		if ((err = rj_string(j)) < 0)
			return err;
		/* lengths and first bytes first: every key meets every other, and
		 * strcmp here was 4% of an ndjson ingest */
		/* the key where it lies in the input, which stays put while it is
		 * parsed; copied only when it had an escape (decoded in scratch,
		 * which the next string reuses) */
		size_t len = j->n;   /* no NUL in it: refused as an escape */
		const char *key = j->s;
		if (key == j->scratch.data) {
			if (!(key = custos_arena_strndup(&j->r->arena, key, len)))
				return CUSTOS_ENOMEM;
		}
		for (size_t i = 0; i < nkeys; i++)
			if (klen[i] == len && (!len || keys[i][0] == key[0]) &&
			    !memcmp(keys[i], key, len)) {
				const char *k = custos_arena_strndup(&j->r->arena, key, len);
				return k ? rj_fail(j, "duplicate key '%s'", k) : CUSTOS_ENOMEM;
			}
		if (nkeys == RJ_KEYS_MAX)
			return rj_fail(j, "more than 128 keys in an object%s", NULL);
		klen[nkeys] = len;
		keys[nkeys++] = key;
		if (!rj_lit(j, ':'))
			return rj_fail(j, "expected ':'%s", NULL);
		rj_ws(j);
		if (fn) {
			/* the member functions compare it as a C string */
			char small[64];
			const char *kz = small;
			if (len < sizeof small) {
				memcpy(small, key, len);
				small[len] = '\0';
			} else if (!(kz = custos_arena_strndup(&j->r->arena, key, len))) {
				return CUSTOS_ENOMEM;
			}
			err = fn(j, kz, ctx);
		} else {
			err = rj_skip(j);
		}
		if (err < 0)
			return err;
		if (rj_lit(j, ','))
			continue;
		if (rj_lit(j, '}'))
			break;
		return rj_fail(j, "expected ',' or '}'%s", NULL);
	}
	j->depth--;
	return CUSTOS_OK;
}

static int rj_skip(rj_t *j)
{
	int is_int, err;
	int64_t v;
	rj_ws(j);
	if (j->p >= j->end)
		return rj_fail(j, "unexpected end%s", NULL);
	switch (*j->p) {
	case '"': return rj_string(j);
	case '{': return rj_object(j, NULL, NULL);
	case '[':
		j->p++;
		if (++j->depth > RJ_DEPTH_MAX)
			return rj_fail(j, "nested more than 64 deep%s", NULL);
		if (!rj_lit(j, ']')) {
			do {
				if ((err = rj_skip(j)) < 0)
					return err;
			} while (rj_lit(j, ','));
			if (!rj_lit(j, ']'))
				return rj_fail(j, "expected ',' or ']'%s", NULL);
		}
		j->depth--;
		return CUSTOS_OK;
	case 't': if (rj_word(j, "true")) return CUSTOS_OK; break;
	case 'f': if (rj_word(j, "false")) return CUSTOS_OK; break;
	case 'n': if (rj_word(j, "null")) return CUSTOS_OK; break;
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return rj_number(j, &is_int, &v);
	}
	return rj_fail(j, "unexpected character%s", NULL);
}

static int rj_null(rj_t *j)
{
	rj_ws(j);
	return rj_word(j, "null");
}

static int bad_type(custos_err_t *err, const char *field, const char *want)
{
	return custos_err_set(err, CUSTOS_EFORMAT, "field '%s' must be %s", field, want);
}

/* A string field: null leaves it absent. */
static int rj_str_field(rj_t *j, const char *path, char **field)
{
	int err;
	if (rj_null(j))
		return CUSTOS_OK;
	if (j->p >= j->end || *j->p != '"')
		return bad_type(j->err, path, "a string");
	if ((err = rj_string(j)) < 0)
		return err;
	return custos_record_set(j->r, field, j->s, j->n);
}

static int rj_time_field(rj_t *j, const char *path, int64_t *out)
{
	int err;
	if (rj_null(j))
		return CUSTOS_OK;
	if (j->p >= j->end || *j->p != '"')
		return bad_type(j->err, path, "an RFC 3339 time string");
	if ((err = rj_string(j)) < 0)
		return err;
	if ((err = custos_time_parse(out, j->s, j->n)) < 0)
		return custos_err_set(j->err, CUSTOS_EFORMAT, err == CUSTOS_ETOOBIG
		                      ? "field '%s': time '%.*s' is outside the years 0000 to 9999 "
		                        "(UTC) that custos can keep"
		                      : "field '%s': cannot parse time '%.*s'", path,
		                      j->n > INT_MAX ? INT_MAX : (int)j->n, j->s);
	return CUSTOS_OK;
}

static int rj_int_field(rj_t *j, const char *path, int64_t *out)
{
	int is_int, err;
	int64_t v;
	if (rj_null(j))
		return CUSTOS_OK;
	if (j->p >= j->end || !(*j->p == '-' || (*j->p >= '0' && *j->p <= '9')))
		return bad_type(j->err, path, "a non-negative integer");
	if ((err = rj_number(j, &is_int, &v)) < 0)
		return err;
	if (!is_int || v < 0)
		return bad_type(j->err, path, "a non-negative integer");
	*out = v;
	return CUSTOS_OK;
}

static int rj_strv_field(rj_t *j, const char *path, custos_strv_t *v)
{
	int err;
	if (rj_null(j))
		return CUSTOS_OK;
	if (!rj_lit(j, '['))
		return bad_type(j->err, path, "an array of strings");
	if (rj_lit(j, ']'))
		return CUSTOS_OK;
	do {
		rj_ws(j);
		if (j->p >= j->end || *j->p != '"')
			return bad_type(j->err, path, "an array of strings");
		if ((err = rj_string(j)) < 0 ||
		    (err = custos_record_strv_add(j->r, v, j->s, j->n)) < 0)
			return err;
	} while (rj_lit(j, ','));
	if (!rj_lit(j, ']'))
		return rj_fail(j, "expected ',' or ']'%s", NULL);
	return CUSTOS_OK;
}

static int author_member(rj_t *j, const char *key, void *ctx)
{
	custos_record_t *r = j->r;
	if (!strcmp(key, "id")) {
		rj_ws(j);
		if (j->p < j->end && (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))) {
			/* numeric author ids are common in connector output: kept as text */
			const char *s = j->p;
			int is_int, err;
			int64_t v;
			if ((err = rj_number(j, &is_int, &v)) < 0)
				return err;
			if (!is_int)
				return bad_type(j->err, "author.id", "a string or an integer");
			return custos_record_set(r, &r->author_id, s, (size_t)(j->p - s));
		}
		return rj_str_field(j, "author.id", &r->author_id);
	}
	if (!strcmp(key, "handle"))
		return rj_str_field(j, "author.handle", &r->author_handle);
	if (!strcmp(key, "name"))
		return rj_str_field(j, "author.name", &r->author_name);
	return rj_skip(j);
}

static int source_member(rj_t *j, const char *key, void *ctx)
{
	custos_source_t *s = &j->r->source;
	if (!strcmp(key, "format")) return rj_str_field(j, "source.format", &s->format);
	if (!strcmp(key, "file")) return rj_str_field(j, "source.file", &s->file);
	if (!strcmp(key, "file_sha256")) return rj_str_field(j, "source.file_sha256", &s->file_sha256);
	if (!strcmp(key, "offset")) return rj_int_field(j, "source.offset", &s->offset);
	if (!strcmp(key, "line")) return rj_int_field(j, "source.line", &s->line);
	if (!strcmp(key, "connector")) return rj_str_field(j, "source.connector", &s->connector);
	if (j->file_ref && !strcmp(key, "file_ref")) {
		int64_t v = 0;
		int err;
		if ((err = rj_int_field(j, "source.file_ref", &v)) < 0)
			return err;
		if (v < 1 || v > UINT32_MAX || *j->file_ref)
			return bad_type(j->err, "source.file_ref", "one reference number");
		*j->file_ref = (uint32_t)v;
		return CUSTOS_OK;
	}
	return rj_skip(j);
}

static int media_member(rj_t *j, const char *key, void *ctx)
{
	custos_media_t *m = ctx;
	int err;
	if (!strcmp(key, "sha256")) {
		uint8_t tmp[CUSTOS_SHA256_LEN];
		if ((err = rj_str_field(j, "media.sha256", &m->sha256)) < 0)
			return err;
		if (m->sha256 && (strlen(m->sha256) != 64 || custos_unhex(tmp, m->sha256, 32) < 0))
			return bad_type(j->err, "media.sha256", "64 hex digits");
		return CUSTOS_OK;
	}
	if (!strcmp(key, "type")) return rj_str_field(j, "media.type", &m->type);
	if (!strcmp(key, "size")) return rj_int_field(j, "media.size", &m->size);
	if (!strcmp(key, "name")) return rj_str_field(j, "media.name", &m->name);
	if (!strcmp(key, "url")) return rj_str_field(j, "media.url", &m->url);
	return rj_skip(j);
}

static int rj_media(rj_t *j)
{
	int err;
	if (rj_null(j))
		return CUSTOS_OK;
	if (!rj_lit(j, '['))
		return bad_type(j->err, "media", "an array of objects");
	if (rj_lit(j, ']'))
		return CUSTOS_OK;
	do {
		rj_ws(j);
		if (j->p >= j->end || *j->p != '{')
			return bad_type(j->err, "media", "an array of objects");
		custos_media_t *m = custos_record_media_add(j->r);
		if (!m)
			return CUSTOS_ENOMEM;
		if ((err = rj_object(j, media_member, m)) < 0)
			return err;
	} while (rj_lit(j, ','));
	if (!rj_lit(j, ']'))
		return rj_fail(j, "expected ',' or ']'%s", NULL);
	return CUSTOS_OK;
}

static int record_member(rj_t *j, const char *key, void *ctx)
{
	custos_record_t *r = j->r;
	int64_t n;
	int err;
	switch (key[0]) {
	case 'a':
		if (!strcmp(key, "account")) return rj_str_field(j, "account", &r->account);
		if (!strcmp(key, "author")) {
			if (rj_null(j))
				return CUSTOS_OK;
			if (j->p >= j->end || *j->p != '{')
				return bad_type(j->err, "author", "an object with at least 'handle'");
			return rj_object(j, author_member, NULL);
		}
		break;
	case 'c':
		if (!strcmp(key, "created_at")) return rj_time_field(j, "created_at", &r->created_at);
		if (!strcmp(key, "captured_at")) return rj_time_field(j, "captured_at", &r->captured_at);
		if (!strcmp(key, "custodian")) return rj_str_field(j, "custodian", &r->custodian);
		if (!strcmp(key, "cashtags")) return rj_strv_field(j, "cashtags", &r->cashtags);
		if (!strcmp(key, "content_warning"))
			return rj_str_field(j, "content_warning", &r->content_warning);
		if (!strcmp(key, "content_sha256")) {
			char *h = NULL;
			if ((err = rj_str_field(j, "content_sha256", &h)) < 0)
				return err;
			if (h && strlen(h) == 64)
				memcpy(r->content_sha256, h, 65);
			return CUSTOS_OK;
		}
		break;
	case 'd':
		if (!strcmp(key, "deleted_at")) return rj_time_field(j, "deleted_at", &r->deleted_at);
		break;
	case 'e':
		if (!strcmp(key, "edited_at")) return rj_time_field(j, "edited_at", &r->edited_at);
		break;
	case 'h':
		if (!strcmp(key, "hashtags")) return rj_strv_field(j, "hashtags", &r->hashtags);
		break;
	case 'i':
		if (!strcmp(key, "id")) return rj_str_field(j, "id", &r->id);
		if (!strcmp(key, "in_reply_to")) return rj_str_field(j, "in_reply_to", &r->in_reply_to);
		break;
	case 'k':
		if (!strcmp(key, "kind")) return rj_str_field(j, "kind", &r->kind);
		break;
	case 'l':
		if (!strcmp(key, "lang")) return rj_str_field(j, "lang", &r->lang);
		break;
	case 'm':
		if (!strcmp(key, "mentions")) return rj_strv_field(j, "mentions", &r->mentions);
		if (!strcmp(key, "media")) return rj_media(j);
		break;
	case 'p':
		if (!strcmp(key, "platform")) return rj_str_field(j, "platform", &r->platform);
		break;
	case 'q':
		if (!strcmp(key, "quote_of")) return rj_str_field(j, "quote_of", &r->quote_of);
		break;
	case 'r':
		if (!strcmp(key, "repost_of")) return rj_str_field(j, "repost_of", &r->repost_of);
		break;
	case 's':
		if (!strcmp(key, "subtype")) return rj_str_field(j, "subtype", &r->subtype);
		if (!strcmp(key, "source")) {
			if (rj_null(j))
				return CUSTOS_OK;
			if (j->p >= j->end || *j->p != '{')
				return bad_type(j->err, "source", "an object");
			return rj_object(j, source_member, NULL);
		}
		if (!strcmp(key, "seq")) {
			n = 0;
			if ((err = rj_int_field(j, "seq", &n)) < 0)
				return err;
			r->seq = (uint64_t)n;
			return CUSTOS_OK;
		}
		break;
	case 't':
		if (!strcmp(key, "text")) return rj_str_field(j, "text", &r->text);
		if (!strcmp(key, "thread")) return rj_str_field(j, "thread", &r->thread);
		if (!strcmp(key, "title")) return rj_str_field(j, "title", &r->title);
		if (!strcmp(key, "target")) return rj_str_field(j, "target", &r->target);
		break;
	case 'u':
		if (!strcmp(key, "url")) return rj_str_field(j, "url", &r->url);
		if (!strcmp(key, "urls")) return rj_strv_field(j, "urls", &r->urls);
		if (!strcmp(key, "undated")) {
			rj_ws(j);
			if (rj_word(j, "true"))
				r->undated = true;
			else if (!rj_word(j, "false") && !rj_null(j))
				return bad_type(j->err, "undated", "true or false");
			return CUSTOS_OK;
		}
		break;
	case 'v':
		if (!strcmp(key, "visibility")) return rj_str_field(j, "visibility", &r->visibility);
		if (!strcmp(key, "version")) {
			n = 0;
			if ((err = rj_int_field(j, "version", &n)) < 0)
				return err;
			if (n > UINT32_MAX)
				return bad_type(j->err, "version", "a version number");
			r->version = (uint32_t)n;
			return CUSTOS_OK;
		}
		break;
	}
	return rj_skip(j);  /* unknown fields stay in the original bytes */
}

static int from_json(custos_record_t *r, const char *json, size_t n, bool copy_raw,
                     uint32_t *file_ref, custos_err_t *err);

int custos_record_from_json(custos_record_t *r, const char *json, size_t n, custos_err_t *err)
{
	size_t bad = custos_utf8_check(json, n);
	if (bad < n)
		return custos_err_set(err, CUSTOS_EFORMAT, "invalid UTF-8 at byte %zu", bad);
	return from_json(r, json, n, true, NULL, err);
}

int custos_record_from_json_stored(custos_record_t *r, const char *json, size_t n,
                                   uint32_t *file_ref, custos_err_t *err)
{
	*file_ref = 0;
	size_t bad = custos_utf8_check(json, n);
	if (bad < n)
		return custos_err_set(err, CUSTOS_EFORMAT, "invalid UTF-8 at byte %zu", bad);
	return from_json(r, json, n, true, file_ref, err);
}

int custos_record_from_json_utf8(custos_record_t *r, const char *json, size_t n,
                                 custos_err_t *err)
{
	return from_json(r, json, n, false, NULL, err);
}

static int from_json(custos_record_t *r, const char *json, size_t n, bool copy_raw,
                     uint32_t *file_ref, custos_err_t *err)
{
	rj_t j = { .start = json, .p = json, .end = json + n, .r = r, .err = err,
	           .file_ref = file_ref };
	int st;
	rj_ws(&j);
	if (j.p >= j.end || *j.p != '{') {
		st = j.p >= j.end ? rj_fail(&j, "empty input%s", NULL)
		                  : custos_err_set(err, CUSTOS_EFORMAT, "a record must be a JSON object");
	} else if ((st = rj_object(&j, record_member, NULL)) == CUSTOS_OK) {
		rj_ws(&j);
		if (j.p != j.end)
			st = rj_fail(&j, "text after the record's closing '}'%s", NULL);
		else if (copy_raw)
			st = custos_record_set_raw(r, json, n);
		else {
			r->raw = json;
			r->raw_len = n;
		}
		/* an undated record may leave its placeholder time out */
		if (st == CUSTOS_OK && r->undated && r->created_at == CUSTOS_TIME_NONE)
			r->created_at = 0;
	}
	custos_buf_free(&j.scratch);
	return st;
}
