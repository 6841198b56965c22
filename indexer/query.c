/* The query language's parser: a query becomes a tree (index_internal.h)
 * that the Xapian glue turns into a Xapian query. Everything it cannot mean
 * exactly is refused here with its byte position (docs/query-language.md is
 * the reference); nothing is dropped or guessed. */
#include "index_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int digits(const char *p, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

/* One end: [start, end) in ms of "YYYY", "YYYY-MM" or "YYYY-MM-DD" with an
 * optional zone; *has_zone tells whether one was written, *zone_min its
 * offset in minutes. */
static int parse_end(const char *p, size_t n, int64_t *start, int64_t *end,
                     int *has_zone, int *zone_min, custos_err_t *err)
{
	int y = 0, m = 0, d = 0, zh = 0, zm = 0;
	size_t core = n;
	*has_zone = 0;
	*zone_min = 0;
	if (n > 10 && (p[n - 1] == 'Z' || p[n - 1] == 'z') && n == 11) {
		*has_zone = 1;
		core = 10;
	} else if (n == 16 && (p[10] == '+' || p[10] == '-') && p[13] == ':') {
		if (digits(p + 11, 2, &zh) < 0 || digits(p + 14, 2, &zm) < 0 || zh > 14 || zm > 59)
			goto bad;
		*has_zone = 1;
		*zone_min = (zh * 60 + zm) * (p[10] == '-' ? -1 : 1);
		core = 10;
	}
	if (core != 4 && core != 7 && core != 10)
		goto bad;
	if (digits(p, 4, &y) < 0 || y < 1)
		goto bad;
	if (core >= 7 && (p[4] != '-' || digits(p + 5, 2, &m) < 0 || m < 1 || m > 12))
		goto bad;
	if (core == 10 && (p[7] != '-' || digits(p + 8, 2, &d) < 0 || d < 1 ||
	                   (unsigned)d > custos_time_days_in_month(y, (unsigned)m)))
		goto bad;
	if (core == 4) {
		*start = custos_time_days_from_civil(y, 1, 1);
		*end = custos_time_days_from_civil(y + 1, 1, 1);
	} else if (core == 7) {
		*start = custos_time_days_from_civil(y, (unsigned)m, 1);
		*end = m == 12 ? custos_time_days_from_civil(y + 1, 1, 1)
		               : custos_time_days_from_civil(y, (unsigned)m + 1, 1);
	} else {
		*start = custos_time_days_from_civil(y, (unsigned)m, (unsigned)d);
		*end = *start + 1;
	}
	*start *= 86400000;
	*end *= 86400000;
	return CUSTOS_OK;
bad:
	return custos_err_set(err, CUSTOS_EFORMAT,
	                      "bad date '%.*s' (want YYYY, YYYY-MM or YYYY-MM-DD, optionally "
	                      "with Z or +HH:MM)", (int)n, p);
}

int custos_index__date_range(const char *v, size_t n, int64_t *lo, int64_t *hi, custos_err_t *err)
{
	const char *dots = NULL;
	for (size_t i = 0; i + 1 < n; i++)
		if (v[i] == '.' && v[i + 1] == '.') {
			dots = v + i;
			break;
		}
	int64_t s1 = 0, e1 = 0, s2 = 0, e2 = 0;
	int hz1 = 0, z1 = 0, hz2 = 0, z2 = 0, err_;
	if (!dots) {
		if (n == 0)
			return custos_err_set(err, CUSTOS_EFORMAT, "empty date");
		if ((err_ = parse_end(v, n, &s1, &e1, &hz1, &z1, err)) < 0)
			return err_;
		*lo = s1 - (int64_t)z1 * 60000;
		*hi = e1 - 1 - (int64_t)z1 * 60000;
		return CUSTOS_OK;
	}
	size_t n1 = (size_t)(dots - v), n2 = n - n1 - 2;
	const char *b = dots + 2;
	if (n1 == 0 && n2 == 0)
		return custos_err_set(err, CUSTOS_EFORMAT, "date range with neither end");
	if (n1 && (err_ = parse_end(v, n1, &s1, &e1, &hz1, &z1, err)) < 0)
		return err_;
	if (n2 && (err_ = parse_end(b, n2, &s2, &e2, &hz2, &z2, err)) < 0)
		return err_;
	/* a zone written on one end holds for both */
	if (!hz1 && hz2)
		z1 = z2;
	if (!hz2 && hz1)
		z2 = z1;
	*lo = n1 ? s1 - (int64_t)z1 * 60000 : INT64_MIN;
	*hi = n2 ? e2 - 1 - (int64_t)z2 * 60000 : INT64_MAX;
	if (*lo > *hi)
		return custos_err_set(err, CUSTOS_EFORMAT, "date range '%.*s' ends before it starts",
		                      (int)n, v);
	return CUSTOS_OK;
}

/* ---- tokens ------------------------------------------------------------- */

typedef enum {
	T_END, T_LPAREN, T_RPAREN, T_PHRASE, T_WORD, T_AND, T_OR, T_NOT, T_NEAR
} tok_kind_t;

typedef struct {
	tok_kind_t kind;
	size_t pos, len;         /* in the query */
	unsigned dist;           /* T_NEAR */
	int ordered;             /* T_NEAR */
	size_t slop;             /* T_PHRASE: "..."~n, 0 when none */
} tok_t;

typedef struct {
	const char *q;
	size_t n, i;
	unsigned flags;
	tok_t tok;               /* the current token */
	size_t nterms;
	int nlang;
	char langbuf[16];
	custos_qparse_t *out;
	custos_err_t *err;
	int depth;
} parser_t;

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_special(char c)
{
	return is_space(c) || c == '(' || c == ')' || c == '"';
}

static int word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p, w, n) == 0;
}

/* Refuses the query with a message (CUSTOS_EFORMAT), or, with is_note,
 * adds the message to the notes the user sees beside the results. */
static int say(parser_t *ps, int is_note, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (!is_note)
		return custos_err_set(ps->err, CUSTOS_EFORMAT, "%s", msg);
	if (ps->out->notes.len && custos_buf_adds(&ps->out->notes, "; ") < 0)
		return CUSTOS_ENOMEM;
	return custos_buf_adds(&ps->out->notes, msg) < 0 ? CUSTOS_ENOMEM : CUSTOS_OK;
}

static int bad(parser_t *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(parser_t *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int e = say(ps, 0, fmt, ap);
	va_end(ap);
	return e;
}

static int note(parser_t *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(parser_t *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int e = say(ps, 1, fmt, ap);
	va_end(ap);
	return e;
}

/* A distance after "NEAR/", "w/", ...: 1 to CUSTOS_INDEX__MAX_DISTANCE, in
 * decimal digits only (no sign, no overflow into a small number). */
static int distance(parser_t *ps, const char *p, size_t n, size_t pos, unsigned *out)
{
	unsigned long v = 0;
	if (n == 0)
		return bad(ps, "'%.*s' at position %zu needs a distance after '%c' (1 to %d)",
		           (int)(p - ps->q - pos), ps->q + pos, pos, p[-1], CUSTOS_INDEX__MAX_DISTANCE);
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]) || v > CUSTOS_INDEX__MAX_DISTANCE)
			goto out_of_range;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v < 1 || v > CUSTOS_INDEX__MAX_DISTANCE)
		goto out_of_range;
	*out = (unsigned)v;
	return CUSTOS_OK;
out_of_range:
	return bad(ps, "the distance '%.*s' at position %zu is not a whole number from 1 to %d",
	           (int)n, p, (size_t)(p - ps->q), CUSTOS_INDEX__MAX_DISTANCE);
}

/* Recognises a proximity operator: NEAR, NEAR/n, ONEAR/n, PRE/n, ADJ, w/n,
 * W/n, pre/n. 1 when t is one (tok filled), 0 when not, < 0 on a bad one. */
static int prox_op(parser_t *ps, const char *t, size_t len, size_t pos, tok_t *tok)
{
	static const struct { const char *name; int ordered; int dflt; } ops[] = {
		{ "NEAR", 0, 1 }, { "ONEAR", 1, 0 }, { "PRE", 1, 0 }, { "pre", 1, 0 },
		{ "ADJ", 1, 1 }, { "W", 0, 0 }, { "w", 0, 0 },
	};
	const char *slash = memchr(t, '/', len);
	size_t nl = slash ? (size_t)(slash - t) : len;
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		if (!word_is(t, nl, ops[k].name))
			continue;
		tok->kind = T_NEAR;
		tok->ordered = ops[k].ordered;
		if (!slash) {
			if (!ops[k].dflt)
				return 0;   /* "W", "pre" alone are words */
			tok->dist = strcmp(ops[k].name, "ADJ") == 0 ? 1 : CUSTOS_INDEX__NEAR_DEFAULT;
			return 1;
		}
		int e = distance(ps, slash + 1, len - nl - 1, pos, &tok->dist);
		return e < 0 ? e : 1;
	}
	return 0;
}

/* Reads the next token into ps->tok. */
static int next(parser_t *ps)
{
	tok_t *tok = &ps->tok;
	while (ps->i < ps->n && is_space(ps->q[ps->i]))
		ps->i++;
	memset(tok, 0, sizeof *tok);
	tok->pos = ps->i;
	if (ps->i >= ps->n) {
		tok->kind = T_END;
		return CUSTOS_OK;
	}
	char c = ps->q[ps->i];
	if (c == '(' || c == ')') {
		tok->kind = c == '(' ? T_LPAREN : T_RPAREN;
		tok->len = 1;
		ps->i++;
		return CUSTOS_OK;
	}
	if (c == '"') {
		size_t start = ps->i++;
		while (ps->i < ps->n && ps->q[ps->i] != '"')
			ps->i++;
		if (ps->i >= ps->n)
			return bad(ps, "unbalanced quote: the phrase opened at position %zu is never "
			           "closed", start);
		ps->i++;
		tok->kind = T_PHRASE;
		tok->len = ps->i - start;
		if (ps->i < ps->n && ps->q[ps->i] == '~') {
			/* "a b"~n: every word within n of the next */
			size_t d0 = ++ps->i;
			while (ps->i < ps->n && !is_special(ps->q[ps->i]))
				ps->i++;
			unsigned dv;
			int e = distance(ps, ps->q + d0, ps->i - d0, start, &dv);
			if (e < 0)
				return e;
			tok->slop = dv;
			tok->len = ps->i - start;
		}
		if (++ps->nterms > CUSTOS_INDEX__MAX_TERMS)
			goto too_many;
		return CUSTOS_OK;
	}
	size_t start = ps->i;
	while (ps->i < ps->n && !is_special(ps->q[ps->i]))
		ps->i++;
	/* field:"quoted value" stays one token */
	if (ps->i < ps->n && ps->q[ps->i] == '"' && ps->i > start && ps->q[ps->i - 1] == ':') {
		size_t open = ps->i++;
		while (ps->i < ps->n && ps->q[ps->i] != '"')
			ps->i++;
		if (ps->i >= ps->n)
			return bad(ps, "unbalanced quote: the value opened at position %zu is never "
			           "closed", open);
		ps->i++;
	}
	tok->len = ps->i - start;
	const char *t = ps->q + start;
	size_t len = tok->len;
	if (++ps->nterms > CUSTOS_INDEX__MAX_TERMS)
		goto too_many;
	if (word_is(t, len, "AND") || ((ps->flags & CUSTOS_QP_DTSEARCH) && word_is(t, len, "and")))
		tok->kind = T_AND;
	else if (word_is(t, len, "OR") || ((ps->flags & CUSTOS_QP_DTSEARCH) && word_is(t, len, "or")))
		tok->kind = T_OR;
	else if (word_is(t, len, "NOT") || ((ps->flags & CUSTOS_QP_DTSEARCH) && word_is(t, len, "not")))
		tok->kind = T_NOT;
	else if (word_is(t, len, "XOR"))
		return bad(ps, "'XOR' at position %zu is not supported (use (a OR b) NOT (a AND b))",
		           start);
	else {
		int e = prox_op(ps, t, len, start, tok);
		if (e < 0)
			return e;
		if (e == 0)
			tok->kind = T_WORD;
	}
	return CUSTOS_OK;
too_many:
	return bad(ps, "query too long: more than %d terms (limit reached at position %zu)",
	           CUSTOS_INDEX__MAX_TERMS, ps->i);
}

/* ---- the tree ------------------------------------------------------------ */

static custos_qnode_t *node(parser_t *ps, custos_qn_kind_t kind, size_t pos, size_t len)
{
	custos_qnode_t *nd = custos_arena_alloc(&ps->out->arena, sizeof *nd);
	if (nd) {
		memset(nd, 0, sizeof *nd);
		nd->kind = kind;
		nd->pos = pos;
		nd->len = len;
	}
	return nd;
}

static int add_kid(parser_t *ps, custos_qnode_t *nd, custos_qnode_t *kid)
{
	custos_qnode_t **nk = custos_arena_alloc(&ps->out->arena, (nd->n_kids + 1) * sizeof *nk);
	if (!nk)
		return CUSTOS_ENOMEM;
	if (nd->n_kids)
		memcpy(nk, nd->kids, nd->n_kids * sizeof *nk);
	nk[nd->n_kids++] = kid;
	nd->kids = nk;
	return CUSTOS_OK;
}

static custos_qnode_t *binary(parser_t *ps, custos_qn_kind_t kind, custos_qnode_t *a,
                              custos_qnode_t *b)
{
	/* a flat AND / OR: (a AND b) AND c is one node of three */
	if (a->kind == kind && kind != CUSTOS_QN_NEAR && a->pos != (size_t)-1) {
		if (add_kid(ps, a, b) < 0)
			return NULL;
		return a;
	}
	custos_qnode_t *nd = node(ps, kind, a->pos, b->pos + b->len - a->pos);
	if (!nd || add_kid(ps, nd, a) < 0 || add_kid(ps, nd, b) < 0)
		return NULL;
	return nd;
}

static const struct { const char *name, *canon; } fields[] = {
	{ "from", "from" }, { "platform", "platform" }, { "account", "account" },
	{ "tag", "tag" }, { "hashtag", "tag" }, { "mention", "mention" }, { "url", "url" },
	{ "kind", "kind" }, { "lang", "lang" }, { "thread", "thread" }, { "about", "about" },
	{ "has", "has" }, { "date", "date" }, { "id", "id" },
	{ "custodian", "custodian" },   /* whose collection (the ingest's --custodian) */
};

static int is_field_name(const char *p, size_t n)
{
	if (n == 0 || !isalpha((unsigned char)p[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_')
			return 0;
	return 1;
}

static int check_lang(const char *v, size_t n)
{
	size_t i = 0;
	while (i < n && isalpha((unsigned char)v[i]))
		i++;
	if (i < 2 || i > 3)
		return -1;
	while (i < n) {
		if (v[i] != '-' && v[i] != '_')
			return -1;
		size_t j = ++i;
		while (i < n && isalnum((unsigned char)v[i]))
			i++;
		if (i == j || i - j > 8)
			return -1;
	}
	return 0;
}

/* A field term: fl/v as typed at pos (sign already taken off). */
static int field(parser_t *ps, const char *fname, const char *v, size_t vl, size_t pos,
                 size_t len, custos_qnode_t **out)
{
	custos_qnode_t *nd;
	if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
		v++;
		vl -= 2;
	}
	if (vl == 0)
		return bad(ps, "'%s:' without a value at position %zu", fname, pos);
	if (strcmp(fname, "date") == 0) {
		int64_t lo, hi;
		int e;
		if ((e = custos_index__date_range(v, vl, &lo, &hi, ps->err)) < 0)
			return custos_err_prefix(ps->err, "at position %zu", pos + 5);
		if (!(nd = node(ps, CUSTOS_QN_DATE, pos, len)))
			return CUSTOS_ENOMEM;
		nd->lo = lo;
		nd->hi = hi;
		*out = nd;
		return CUSTOS_OK;
	}
	if (strcmp(fname, "has") == 0 && !word_is(v, vl, "media") && !word_is(v, vl, "deleted") &&
	    !word_is(v, vl, "nodate"))
		return bad(ps, "'has:%.*s' at position %zu: has: takes media, deleted or nodate",
		           (int)vl, v, pos);
	if (strcmp(fname, "lang") == 0) {
		if (check_lang(v, vl) < 0)
			return bad(ps, "'lang:%.*s' at position %zu is not a language code (want a "
			           "code such as en, de or pt-BR)", (int)vl, v, pos);
		if (vl < sizeof ps->langbuf) {
			if (ps->nlang == 0 || strlen(ps->langbuf) != vl ||
			    strncmp(ps->langbuf, v, vl) != 0)
				ps->nlang++;
			memcpy(ps->langbuf, v, vl);
			ps->langbuf[vl] = '\0';
		}
	}
	if (!(nd = node(ps, CUSTOS_QN_FIELD, pos, len)))
		return CUSTOS_ENOMEM;
	nd->field = fname;
	if (!(nd->text = custos_arena_strndup(&ps->out->arena, v, vl)))
		return CUSTOS_ENOMEM;
	*out = nd;
	return CUSTOS_OK;
}

/* A word node from t: =exact, a wildcard, word~n / word% fuzzy, or plain. */
static int plain_word(parser_t *ps, const char *t, size_t len, size_t pos, custos_qnode_t **out)
{
	custos_qnode_t *nd;
	if (!(nd = node(ps, CUSTOS_QN_WORD, pos, len)))
		return CUSTOS_ENOMEM;
	size_t b = 0, e = len;
	if (t[0] == '=') {
		nd->flags |= CUSTOS_QW_EXACT;
		b = 1;
	}
	/* fuzzy: word%, word%%, word~, word~2 */
	size_t pct = 0;
	while (e > b && t[e - 1] == '%') {
		e--;
		pct++;
	}
	if (pct) {
		nd->flags |= CUSTOS_QW_FUZZY;
		nd->fuzzy = (unsigned)pct;
	} else {
		const char *tilde = NULL;
		for (size_t i = b; i < e; i++)
			if (t[i] == '~')
				tilde = t + i;
		if (tilde) {
			size_t dl = (size_t)(t + e - tilde - 1);
			unsigned long dv = 1;
			if (dl) {
				dv = 0;
				for (size_t i = 0; i < dl; i++) {
					if (!isdigit((unsigned char)tilde[1 + i]) || dv > 100)
						return bad(ps, "'%.*s' at position %zu: want word~ or word~N "
						           "(N from 1 to %d edits)", (int)len, t, pos,
						           CUSTOS_INDEX__MAX_FUZZY);
					dv = dv * 10 + (unsigned long)(tilde[1 + i] - '0');
				}
			}
			nd->flags |= CUSTOS_QW_FUZZY;
			nd->fuzzy = (unsigned)dv;
			e = (size_t)(tilde - t);
		}
	}
	if ((nd->flags & CUSTOS_QW_FUZZY) && (nd->fuzzy < 1 || nd->fuzzy > CUSTOS_INDEX__MAX_FUZZY))
		return bad(ps, "'%.*s' at position %zu: a fuzzy word allows 1 to %d edits", (int)len,
		           t, pos, CUSTOS_INDEX__MAX_FUZZY);
	for (size_t i = b; i < e; i++)
		if (t[i] == '*' || t[i] == '?')
			nd->flags |= CUSTOS_QW_WILDCARD;
	if (e <= b)
		return bad(ps, "'%.*s' at position %zu has no word in it", (int)len, t, pos);
	if ((nd->flags & CUSTOS_QW_FUZZY) && (nd->flags & (CUSTOS_QW_WILDCARD | CUSTOS_QW_EXACT)))
		return bad(ps, "'%.*s' at position %zu: a fuzzy word cannot also be a wildcard or "
		           "exact", (int)len, t, pos);
	if ((nd->flags & CUSTOS_QW_EXACT) && (nd->flags & CUSTOS_QW_WILDCARD))
		return bad(ps, "'%.*s' at position %zu: a wildcard already matches words as written; "
		           "leave out the '='", (int)len, t, pos);
	if (!(nd->text = custos_arena_strndup(&ps->out->arena, t + b, e - b)))
		return CUSTOS_ENOMEM;
	*out = nd;
	return CUSTOS_OK;
}

/* A word token (not an operator) at pos: field, #tag, @name, *, =word,
 * wildcard, fuzzy or plain word; sign handled by the caller. */
static int word(parser_t *ps, const char *t, size_t len, size_t pos, custos_qnode_t **out)
{
	custos_qnode_t *nd;
	int e;
	*out = NULL;
	if (len == 1 && t[0] == '*')
		return (*out = node(ps, CUSTOS_QN_ALL, pos, len)) ? CUSTOS_OK : CUSTOS_ENOMEM;
	if ((t[0] == '#' || t[0] == '@') && len > 1)
		return field(ps, t[0] == '#' ? "tag" : "mention", t + 1, len - 1, pos, len, out);
	const char *colon = memchr(t, ':', len);
	if (colon && colon > t && is_field_name(t, (size_t)(colon - t))) {
		size_t fl = (size_t)(colon - t);
		for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
			if (word_is(t, fl, fields[k].name))
				return field(ps, fields[k].canon, colon + 1, len - fl - 1, pos, len, out);
		/* a URL written as text is text, not a field */
		if (!word_is(t, fl, "http") && !word_is(t, fl, "https") && !word_is(t, fl, "mailto"))
			return bad(ps, "unknown field '%.*s:' at position %zu (fields: from platform "
			           "account custodian url kind lang thread about has date id, #tag, @mention)",
			           (int)fl, t, pos);
	}
	if ((e = plain_word(ps, t, len, pos, &nd)) < 0)
		return e;
	if (!(ps->flags & CUSTOS_QP_DTSEARCH) && nd->flags == 0 &&
	    (word_is(t, len, "and") || word_is(t, len, "or") || word_is(t, len, "not"))) {
		int ne = note(ps, "'%.*s' at position %zu was searched as a word (the operators are "
		              "AND, OR and NOT in capitals; dtSearch mode reads lower case too)",
		              (int)len, t, pos);
		if (ne < 0)
			return ne;
	}
	*out = nd;
	return CUSTOS_OK;
}

static int parse_or(parser_t *ps, custos_qnode_t **out);

/* Moves past operator op, whose operand must come next. */
static int after_op(parser_t *ps, const tok_t *op)
{
	int e;
	if ((e = next(ps)) < 0)
		return e;
	if (ps->tok.kind == T_END || ps->tok.kind == T_RPAREN || ps->tok.kind == T_AND ||
	    ps->tok.kind == T_OR || ps->tok.kind == T_NEAR)
		return bad(ps, "'%.*s' at position %zu needs a term after it", (int)op->len,
		           ps->q + op->pos, op->pos);
	return CUSTOS_OK;
}

/* Whether nd can stand beside a proximity operator: words, phrases,
 * wildcards, fuzzy words, OR groups of them, and proximity itself. */
static const custos_qnode_t *not_positional(const custos_qnode_t *nd)
{
	switch (nd->kind) {
	case CUSTOS_QN_WORD:
	case CUSTOS_QN_PHRASE:
		return NULL;
	case CUSTOS_QN_OR:
	case CUSTOS_QN_NEAR:
		for (size_t i = 0; i < nd->n_kids; i++) {
			const custos_qnode_t *b = not_positional(nd->kids[i]);
			if (b)
				return b;
		}
		return NULL;
	default:
		return nd;
	}
}

/* A phrase token: its words (split on spaces; the glue splits further). */
static int phrase(parser_t *ps, const tok_t *tok, custos_qnode_t **out)
{
	const char *p = ps->q + tok->pos + 1, *end = p;
	while (*end != '"')
		end++;
	custos_qnode_t *ph = node(ps, CUSTOS_QN_PHRASE, tok->pos, tok->len);
	if (!ph)
		return CUSTOS_ENOMEM;
	while (p < end) {
		while (p < end && is_space(*p))
			p++;
		const char *w = p;
		while (p < end && !is_space(*p))
			p++;
		if (p == w)
			break;
		custos_qnode_t *wn;
		int e = plain_word(ps, w, (size_t)(p - w), (size_t)(w - ps->q), &wn);
		if (e < 0)
			return e;
		if (add_kid(ps, ph, wn) < 0)
			return CUSTOS_ENOMEM;
	}
	if (ph->n_kids == 0)
		return bad(ps, "empty phrase at position %zu", tok->pos);
	if (tok->slop && ph->n_kids > 1) {
		/* "a b c"~n: a NEAR/n b NEAR/n c */
		custos_qnode_t *acc = ph->kids[0];
		for (size_t i = 1; i < ph->n_kids; i++) {
			custos_qnode_t *nn = node(ps, CUSTOS_QN_NEAR, tok->pos, tok->len);
			if (!nn || add_kid(ps, nn, acc) < 0 || add_kid(ps, nn, ph->kids[i]) < 0)
				return CUSTOS_ENOMEM;
			nn->dist = (unsigned)tok->slop;
			acc = nn;
		}
		*out = acc;
		return CUSTOS_OK;
	}
	*out = ph;
	return CUSTOS_OK;
}

static int parse_unary(parser_t *ps, custos_qnode_t **out)
{
	int e;
	tok_t t = ps->tok;
	if (++ps->depth > 64)
		return bad(ps, "the query nests too deep at position %zu", t.pos);
	switch (t.kind) {
	case T_NOT: {
		if ((e = after_op(ps, &t)) < 0)
			return e;
		custos_qnode_t *kid, *nd;
		if ((e = parse_unary(ps, &kid)) < 0)
			return e;
		if (!(nd = node(ps, CUSTOS_QN_NOT, t.pos, kid->pos + kid->len - t.pos)) ||
		    add_kid(ps, nd, kid) < 0)
			return CUSTOS_ENOMEM;
		*out = nd;
		break;
	}
	case T_LPAREN: {
		if ((e = next(ps)) < 0)
			return e;
		if (ps->tok.kind == T_RPAREN)
			return bad(ps, "empty parentheses at position %zu", t.pos);
		if (ps->tok.kind == T_END)
			return bad(ps, "unbalanced parenthesis: '(' at position %zu is never closed",
			           t.pos);
		if ((e = parse_or(ps, out)) < 0)
			return e;
		if (ps->tok.kind != T_RPAREN)
			return bad(ps, "unbalanced parenthesis: '(' at position %zu is never closed",
			           t.pos);
		(*out)->pos = t.pos;
		(*out)->len = ps->tok.pos + 1 - t.pos;
		if ((e = next(ps)) < 0)
			return e;
		break;
	}
	case T_PHRASE:
		if ((e = phrase(ps, &t, out)) < 0 || (e = next(ps)) < 0)
			return e;
		break;
	case T_WORD: {
		const char *w = ps->q + t.pos;
		size_t wl = t.len;
		int sign = 0;
		/* -"a phrase", -(a OR b), +(...): a sign on what follows */
		if (wl == 1 && (w[0] == '-' || w[0] == '+') && t.pos + 1 < ps->n &&
		    (ps->q[t.pos + 1] == '"' || ps->q[t.pos + 1] == '(')) {
			custos_qnode_t *kid;
			if ((e = next(ps)) < 0 || (e = parse_unary(ps, &kid)) < 0)
				return e;
			if (w[0] == '-') {
				custos_qnode_t *nn = node(ps, CUSTOS_QN_NOT, t.pos, kid->pos + kid->len - t.pos);
				if (!nn || add_kid(ps, nn, kid) < 0)
					return CUSTOS_ENOMEM;
				kid = nn;
			}
			*out = kid;
			break;
		}
		if ((w[0] == '-' || w[0] == '+') && wl > 1) {
			sign = w[0];
			w++;
			wl--;
		}
		custos_qnode_t *nd;
		if ((e = word(ps, w, wl, t.pos + (sign ? 1 : 0), &nd)) < 0)
			return e;
		if (sign == '-') {
			custos_qnode_t *nn = node(ps, CUSTOS_QN_NOT, t.pos, t.len);
			if (!nn || add_kid(ps, nn, nd) < 0)
				return CUSTOS_ENOMEM;
			nd = nn;
		}
		*out = nd;
		if ((e = next(ps)) < 0)
			return e;
		break;
	}
	case T_RPAREN:
		return bad(ps, "unmatched ')' at position %zu", t.pos);
	case T_END:
		return bad(ps, "empty query");
	default:
		return bad(ps, "'%.*s' at position %zu needs a term before it", (int)t.len,
		           ps->q + t.pos, t.pos);
	}
	ps->depth--;
	return CUSTOS_OK;
}

static int parse_near(parser_t *ps, custos_qnode_t **out)
{
	custos_qnode_t *a, *b, *nd;
	const custos_qnode_t *bn;
	int e;
	if ((e = parse_unary(ps, &a)) < 0)
		return e;
	while (ps->tok.kind == T_NEAR) {
		tok_t op = ps->tok;
		if ((e = after_op(ps, &op)) < 0)
			return e;
		if ((e = parse_unary(ps, &b)) < 0)
			return e;
		if ((bn = not_positional(a)) || (bn = not_positional(b)))
			return bad(ps, "'%.*s' at position %zu: proximity works between words, "
			           "phrases, wildcards and OR groups of them, not '%.*s' (at position "
			           "%zu); put it outside with AND", (int)op.len, ps->q + op.pos, op.pos,
			           (int)bn->len, ps->q + bn->pos, bn->pos);
		if (!(nd = binary(ps, CUSTOS_QN_NEAR, a, b)))
			return CUSTOS_ENOMEM;
		nd->dist = op.dist;
		nd->ordered = op.ordered;
		a = nd;
	}
	*out = a;
	return CUSTOS_OK;
}

static int parse_and(parser_t *ps, custos_qnode_t **out)
{
	custos_qnode_t *a, *b;
	int e;
	if ((e = parse_near(ps, &a)) < 0)
		return e;
	for (;;) {
		tok_t op = ps->tok;
		if (op.kind == T_AND) {
			if ((e = after_op(ps, &op)) < 0)
				return e;
		} else if (op.kind != T_WORD && op.kind != T_PHRASE && op.kind != T_LPAREN &&
		           op.kind != T_NOT) {
			break;
		}
		if ((e = parse_near(ps, &b)) < 0)
			return e;
		if (!(a = binary(ps, CUSTOS_QN_AND, a, b)))
			return CUSTOS_ENOMEM;
	}
	*out = a;
	return CUSTOS_OK;
}

static int parse_or(parser_t *ps, custos_qnode_t **out)
{
	custos_qnode_t *a, *b;
	int e;
	if ((e = parse_and(ps, &a)) < 0)
		return e;
	while (ps->tok.kind == T_OR) {
		tok_t op = ps->tok;
		if ((e = after_op(ps, &op)) < 0)
			return e;
		if ((e = parse_and(ps, &b)) < 0)
			return e;
		if (!(a = binary(ps, CUSTOS_QN_OR, a, b)))
			return CUSTOS_ENOMEM;
	}
	*out = a;
	return CUSTOS_OK;
}

int custos_index__parse(const char *q, unsigned flags, custos_qparse_t *out, custos_err_t *err)
{
	parser_t ps;
	size_t n, badpos;
	int e;

	memset(out, 0, sizeof *out);
	memset(&ps, 0, sizeof ps);
	if (!q)
		return custos_err_set(err, CUSTOS_EFORMAT, "empty query");
	n = strlen(q);
	if (n > CUSTOS_INDEX__MAX_QUERY)
		return custos_err_set(err, CUSTOS_EFORMAT, "query too long: %zu bytes (limit %d)",
		                      n, CUSTOS_INDEX__MAX_QUERY);
	if ((badpos = custos_utf8_check(q, n)) != n)
		return custos_err_set(err, CUSTOS_EFORMAT, "invalid UTF-8 in query at position %zu",
		                      badpos);
	ps.q = q;
	ps.n = n;
	ps.flags = flags;
	ps.out = out;
	ps.err = err;
	if ((e = next(&ps)) < 0)
		return e;
	if (ps.tok.kind == T_END)
		return custos_err_set(err, CUSTOS_EFORMAT, "empty query");
	if ((e = parse_or(&ps, &out->root)) < 0)
		return e == CUSTOS_ENOMEM ? custos_err_set(err, e, "out of memory") : e;
	if (ps.tok.kind == T_RPAREN)
		return custos_err_set(err, CUSTOS_EFORMAT, "unmatched ')' at position %zu", ps.tok.pos);
	if (ps.tok.kind != T_END)
		return custos_err_set(err, CUSTOS_EFORMAT, "'%.*s' at position %zu is not expected "
		                      "here", (int)ps.tok.len, q + ps.tok.pos, ps.tok.pos);
	if (ps.nlang == 1) {
		size_t k;
		for (k = 0; ps.langbuf[k] && ps.langbuf[k] != '-' && ps.langbuf[k] != '_' &&
		            k + 1 < sizeof out->lang; k++)
			out->lang[k] = (char)tolower((unsigned char)ps.langbuf[k]);
		out->lang[k] = '\0';
	}
	return CUSTOS_OK;
}

void custos_index__qparse_free(custos_qparse_t *p)
{
	if (!p)
		return;
	custos_arena_free(&p->arena);
	custos_buf_free(&p->notes);
	memset(p, 0, sizeof *p);
}
