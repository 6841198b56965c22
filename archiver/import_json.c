/* A small strict JSON parser into an arena, for the importers: one element
 * (a post, a status) is parsed, read and dropped at a time, so reference
 * counting and hashed objects (jansson) would be pure overhead. */
#include "import_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

typedef struct {
	const char *p, *start, *end;
	custos_arena_t *a;
	custos_jv_err_t *e;
	int depth;
	int failed;
} parser_t;

static custos_jv_t *fail(parser_t *ps, const char *at, const char *what)
{
	if (!ps->failed) {
		ps->failed = 1;
		if (ps->e) {
			ps->e->position = (int64_t)(at - ps->start);
			if (at >= ps->end)
				snprintf(ps->e->text, sizeof ps->e->text, "%s at the end of the input", what);
			else
				snprintf(ps->e->text, sizeof ps->e->text, "%s near '%.*s'", what,
				         (int)(ps->end - at < 12 ? ps->end - at : 12), at);
		}
	}
	return NULL;
}

static inline void ws(parser_t *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' ||
	                           *ps->p == '\t'))
		ps->p++;
}

static custos_jv_t *node(parser_t *ps, custos_jv_type_t t)
{
	custos_jv_t *v = custos_arena_alloc(ps->a, sizeof *v);
	if (!v)
		return fail(ps, ps->p, "out of memory");
	memset(v, 0, sizeof *v);
	v->type = t;
	return v;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A string at p (on its opening quote): its decoded text in the arena. */
static const char *string(parser_t *ps, uint32_t *len)
{
	const char *s = ++ps->p, *q = s;
	/* the common case: no escapes */
	while (q < ps->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q < ps->end && *q == '"') {
		char *out = custos_arena_strndup(ps->a, s, (size_t)(q - s));
		if (!out)
			return (const char *)fail(ps, q, "out of memory");
		*len = (uint32_t)(q - s);
		ps->p = q + 1;
		return out;
	}
	/* find the end first: the decoded text is never longer */
	const char *e = q;
	while (e < ps->end && *e != '"') {
		if ((unsigned char)*e < 0x20)
			return (const char *)fail(ps, e, "control character in a string");
		e += *e == '\\' ? 2 : 1;
	}
	if (e >= ps->end)
		return (const char *)fail(ps, ps->end, "unterminated string");
	char *out = custos_arena_alloc(ps->a, (size_t)(e - s) + 1), *o = out;
	if (!out)
		return (const char *)fail(ps, s, "out of memory");
	for (q = s; q < e; ) {
		if (*q != '\\') {
			*o++ = *q++;
			continue;
		}
		char c = q[1];
		unsigned cp, lo;
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (e - q < 6 || hex4(q + 2, &cp) < 0)
				return (const char *)fail(ps, q, "invalid \\u escape");
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (e - q < 12 || q[6] != '\\' || q[7] != 'u' || hex4(q + 8, &lo) < 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return (const char *)fail(ps, q, "invalid surrogate pair");
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				q += 6;
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				return (const char *)fail(ps, q, "invalid surrogate");
			} else if (cp == 0) {
				return (const char *)fail(ps, q, "\\u0000 is not allowed");
			}
			o += custos_utf8_put(o, cp);
			q += 6;
			continue;
		default:
			return (const char *)fail(ps, q, "invalid escape");
		}
		q += 2;
	}
	*o = 0;
	*len = (uint32_t)(o - out);
	ps->p = e + 1;
	return out;
}

static custos_jv_t *value(parser_t *ps);

static custos_jv_t *container(parser_t *ps, int obj)
{
	custos_jv_t *v = node(ps, obj ? CUSTOS_JV_OBJ : CUSTOS_JV_ARR), *tail = NULL, *m;
	if (!v)
		return NULL;
	if (++ps->depth > MAX_DEPTH)
		return fail(ps, ps->p, "nesting too deep");
	ps->p++;
	ws(ps);
	if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
		ps->p++;
		ps->depth--;
		return v;
	}
	for (;;) {
		const char *key = NULL;
		uint32_t kl;
		ws(ps);
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, ps->p, "expected a key");
			if (!(key = string(ps, &kl)))
				return NULL;
			ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, ps->p, "expected ':'");
			ps->p++;
			ws(ps);
		}
		if (!(m = value(ps)))
			return NULL;
		m->key = key;
		if (tail)
			tail->next = m;
		else
			v->first = m;
		tail = m;
		v->n++;
		ws(ps);
		if (ps->p >= ps->end)
			return fail(ps, ps->p, obj ? "unterminated object" : "unterminated array");
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == (obj ? '}' : ']')) {
			ps->p++;
			ps->depth--;
			return v;
		}
		return fail(ps, ps->p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static custos_jv_t *number(parser_t *ps)
{
	const char *s = ps->p, *q = s;
	if (q < ps->end && *q == '-')
		q++;
	if (q < ps->end && *q == '0')
		q++;
	else if (q < ps->end && *q >= '1' && *q <= '9')
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	else
		return fail(ps, s, "invalid number");
	if (q < ps->end && *q == '.') {
		q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, s, "invalid number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, s, "invalid number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	custos_jv_t *v = node(ps, CUSTOS_JV_NUM);
	if (!v)
		return NULL;
	if (!(v->s = custos_arena_strndup(ps->a, s, (size_t)(q - s))))
		return fail(ps, s, "out of memory");
	v->n = (uint32_t)(q - s);
	ps->p = q;
	return v;
}

static custos_jv_t *literal(parser_t *ps, const char *word, custos_jv_type_t t)
{
	size_t k = strlen(word);
	if ((size_t)(ps->end - ps->p) < k || memcmp(ps->p, word, k) != 0)
		return fail(ps, ps->p, "invalid token");
	ps->p += k;
	return node(ps, t);
}

static custos_jv_t *value(parser_t *ps)
{
	if (ps->p >= ps->end)
		return fail(ps, ps->p, "premature end of input");
	switch (*ps->p) {
	case '{':
		return container(ps, 1);
	case '[':
		return container(ps, 0);
	case '"': {
		custos_jv_t *v = node(ps, CUSTOS_JV_STR);
		uint32_t n;
		if (!v || !(v->s = string(ps, &n)))
			return NULL;
		v->n = n;
		return v;
	}
	case 't':
		return literal(ps, "true", CUSTOS_JV_TRUE);
	case 'f':
		return literal(ps, "false", CUSTOS_JV_FALSE);
	case 'n':
		return literal(ps, "null", CUSTOS_JV_NULL);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return number(ps);
		return fail(ps, ps->p, "invalid token");
	}
}

custos_jv_t *custos_jv__parse(custos_arena_t *a, const char *p, size_t n, custos_jv_err_t *e)
{
	parser_t ps = { p, p, p + n, a, e, 0, 0 };
	custos_jv_t *v;
	ws(&ps);
	if (!(v = value(&ps)))
		return NULL;
	ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, ps.p, "end of input expected");
	return v;
}

custos_jv_t *custos_jv__get(const custos_jv_t *o, const char *key)
{
	custos_jv_t *hit = NULL;
	if (!o || o->type != CUSTOS_JV_OBJ)
		return NULL;
	for (custos_jv_t *m = o->first; m; m = m->next)
		if (m->key[0] == key[0] && strcmp(m->key, key) == 0)
			hit = m;   /* the last of duplicated keys wins */
	return hit;
}

custos_jv_t *custos_jv__at(const custos_jv_t *a, size_t i)
{
	if (!a || a->type != CUSTOS_JV_ARR)
		return NULL;
	custos_jv_t *m = a->first;
	while (m && i--)
		m = m->next;
	return m;
}

size_t custos_jv__len(const custos_jv_t *v)
{
	return v && (v->type == CUSTOS_JV_ARR || v->type == CUSTOS_JV_OBJ) ? v->n : 0;
}

const char *custos_jv__str(const custos_jv_t *v)
{
	return v && v->type == CUSTOS_JV_STR ? v->s : NULL;
}

int custos_jv__is_int(const custos_jv_t *v)
{
	return v && v->type == CUSTOS_JV_NUM && !strpbrk(v->s, ".eE");
}

long long custos_jv__int(const custos_jv_t *v)
{
	return v && v->type == CUSTOS_JV_NUM ? strtoll(v->s, NULL, 10) : 0;
}

const char *custos_jv__first_key(const custos_jv_t *o)
{
	return o && o->type == CUSTOS_JV_OBJ && o->first ? o->first->key : NULL;
}
