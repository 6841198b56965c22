/* The query language's front: checks a query strictly (Xapian's QueryParser
 * forgives unbalanced quotes and parentheses and unknown fields silently) so
 * that every mistake gets a message with its byte position, and rewrites the
 * forms QueryParser cannot take (#tag, @name, date ranges with zones) into
 * fields the Xapian glue handles. */
#include "index_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_fields[] = {
	"from", "platform", "account", "tag", "hashtag", "mention", "url",
	"kind", "lang", "thread", "about", "has", "date",
	"custodian",   /* whose collection (the ingest's --custodian) */
	NULL
};

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

static int is_field_name(const char *p, size_t n)
{
	if (n == 0 || !isalpha((unsigned char)p[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '_')
			return 0;
	return 1;
}

static int known_field(const char *p, size_t n)
{
	for (int i = 0; known_fields[i]; i++)
		if (strlen(known_fields[i]) == n && strncmp(known_fields[i], p, n) == 0)
			return 1;
	return 0;
}

static int is_binop(const char *p, size_t n)
{
	if ((n == 3 && memcmp(p, "AND", 3) == 0) || (n == 2 && memcmp(p, "OR", 2) == 0) ||
	    (n == 3 && memcmp(p, "XOR", 3) == 0) || (n == 4 && memcmp(p, "NEAR", 4) == 0) ||
	    (n == 3 && memcmp(p, "ADJ", 3) == 0))
		return 1;
	if ((n > 5 && memcmp(p, "NEAR/", 5) == 0) || (n > 4 && memcmp(p, "ADJ/", 4) == 0))
		return 1;
	return 0;
}

static int is_special(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == '"';
}

enum { PREV_START, PREV_TERM, PREV_BINOP, PREV_NOT };

int custos_index__prepare(const char *q, custos_buf_t *out, char *lang, size_t lang_cap,
                          custos_err_t *err)
{
	size_t n, i = 0, nterms = 0, depth = 0, paren_pos[64], bad;
	int prev = PREV_START, nlang = 0, e;
	size_t prev_pos = 0, prev_len = 0;
	const char *prev_tok = "";
	char langbuf[32] = "";

	if (lang && lang_cap)
		lang[0] = '\0';
	if (!q)
		return custos_err_set(err, CUSTOS_EFORMAT, "empty query");
	n = strlen(q);
	if (n > CUSTOS_INDEX__MAX_QUERY)
		return custos_err_set(err, CUSTOS_EFORMAT, "query too long: %zu bytes (limit %d)",
		                      n, CUSTOS_INDEX__MAX_QUERY);
	if ((bad = custos_utf8_check(q, n)) != n)
		return custos_err_set(err, CUSTOS_EFORMAT, "invalid UTF-8 in query at position %zu", bad);
	custos_buf_clear(out);

	while (i < n) {
		char c = q[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if ((e = custos_buf_addc(out, ' ')) < 0)
				return e;
			i++;
			continue;
		}
		if (c == '(') {
			if (depth == sizeof paren_pos / sizeof paren_pos[0])
				return custos_err_set(err, CUSTOS_EFORMAT,
				                      "parentheses nested too deep at position %zu", i);
			paren_pos[depth++] = i;
			if ((e = custos_buf_addc(out, c)) < 0)
				return e;
			prev = PREV_START;
			i++;
			continue;
		}
		if (c == ')') {
			if (depth == 0)
				return custos_err_set(err, CUSTOS_EFORMAT, "unmatched ')' at position %zu", i);
			if (prev == PREV_BINOP || prev == PREV_NOT)
				goto dangling;
			if (prev == PREV_START)
				return custos_err_set(err, CUSTOS_EFORMAT, "empty parentheses at position %zu", i);
			depth--;
			if ((e = custos_buf_addc(out, c)) < 0)
				return e;
			prev = PREV_TERM;
			i++;
			continue;
		}
		if (c == '"') {
			size_t start = i++;
			while (i < n && q[i] != '"')
				i++;
			if (i >= n)
				return custos_err_set(err, CUSTOS_EFORMAT,
				                      "unbalanced quote: the phrase opened at position %zu "
				                      "is never closed", start);
			i++;
			if ((e = custos_buf_add(out, q + start, i - start)) < 0)
				return e;
			if (++nterms > CUSTOS_INDEX__MAX_TERMS)
				goto too_many;
			prev = PREV_TERM;
			continue;
		}

		/* a token: up to a space, a parenthesis or a quote */
		size_t start = i, len;
		while (i < n && !is_special(q[i]))
			i++;
		len = i - start;
		const char *t = q + start;
		if (++nterms > CUSTOS_INDEX__MAX_TERMS)
			goto too_many;

		if (is_binop(t, len)) {
			if (prev != PREV_TERM) {
				prev_pos = start;
				prev_tok = t;
				prev_len = len;
				goto dangling_op;
			}
			if ((e = custos_buf_add(out, t, len)) < 0)
				return e;
			prev = PREV_BINOP;
			prev_pos = start;
			prev_tok = t;
			prev_len = len;
			continue;
		}
		if (len == 3 && memcmp(t, "NOT", 3) == 0) {
			if ((e = custos_buf_add(out, t, len)) < 0)
				return e;
			prev = PREV_NOT;
			prev_pos = start;
			prev_tok = t;
			prev_len = len;
			continue;
		}

		/* +term / -term keep their sign */
		size_t sign = (t[0] == '+' || t[0] == '-') && len > 1 ? 1 : 0;
		if (sign && (e = custos_buf_addc(out, t[0])) < 0)
			return e;
		const char *b = t + sign;
		size_t bl = len - sign;

		if ((b[0] == '#' || b[0] == '@') && bl > 1) {
			if ((e = custos_buf_adds(out, b[0] == '#' ? "tag:" : "mention:")) < 0 ||
			    (e = custos_buf_add(out, b + 1, bl - 1)) < 0)
				return e;
			prev = PREV_TERM;
			continue;
		}

		const char *colon = memchr(b, ':', bl);
		if (colon && is_field_name(b, (size_t)(colon - b))) {
			size_t fl = (size_t)(colon - b);
			const char *v = colon + 1;
			size_t vl = bl - fl - 1;
			int quoted_value = vl == 0 && i < n && q[i] == '"';
			if (!known_field(b, fl)) {
				/* a URL written as text is text, not a field */
				if ((fl == 4 && strncmp(b, "http", 4) == 0) ||
				    (fl == 5 && strncmp(b, "https", 5) == 0) ||
				    (fl == 6 && strncmp(b, "mailto", 6) == 0))
					goto plain;
				return custos_err_set(err, CUSTOS_EFORMAT,
				                      "unknown field '%.*s:' at position %zu (fields: from "
				                      "platform account url kind lang thread about has date "
				                      "custodian, #tag, @mention)", (int)fl, b, start + sign);
			}
			if (vl == 0 && !quoted_value)
				return custos_err_set(err, CUSTOS_EFORMAT, "'%.*s:' without a value at "
				                      "position %zu", (int)fl, b, start + sign);
			if (fl == 4 && strncmp(b, "date", 4) == 0) {
				int64_t lo, hi;
				char tmp[64];
				if (quoted_value)
					return custos_err_set(err, CUSTOS_EFORMAT, "bad date at position %zu",
					                      i);
				if ((e = custos_index__date_range(v, vl, &lo, &hi, err)) < 0)
					return custos_err_prefix(err, "at position %zu", start + sign + 5);
				if ((e = custos_buf_adds(out, "date:")) < 0)
					return e;
				if (lo == INT64_MIN)
					snprintf(tmp, sizeof tmp, "x_");
				else
					snprintf(tmp, sizeof tmp, "%lld_", (long long)lo);
				if ((e = custos_buf_adds(out, tmp)) < 0)
					return e;
				if (hi == INT64_MAX)
					snprintf(tmp, sizeof tmp, "x");
				else
					snprintf(tmp, sizeof tmp, "%lld", (long long)hi);
				if ((e = custos_buf_adds(out, tmp)) < 0)
					return e;
				prev = PREV_TERM;
				continue;
			}
			if (fl == 4 && strncmp(b, "lang", 4) == 0 && vl && vl < sizeof langbuf) {
				if (nlang == 0 || strlen(langbuf) != vl || strncmp(langbuf, v, vl) != 0)
					nlang++;
				memcpy(langbuf, v, vl);
				langbuf[vl] = '\0';
			}
		}
plain:
		if ((e = custos_buf_add(out, b, bl)) < 0)
			return e;
		prev = PREV_TERM;
	}
	if (prev == PREV_BINOP || prev == PREV_NOT)
		goto dangling;
	if (depth > 0)
		return custos_err_set(err, CUSTOS_EFORMAT,
		                      "unbalanced parenthesis: '(' at position %zu is never closed",
		                      paren_pos[depth - 1]);
	if (nterms == 0)
		return custos_err_set(err, CUSTOS_EFORMAT, "empty query");
	if (nlang == 1 && lang && lang_cap) {
		size_t k;
		for (k = 0; langbuf[k] && langbuf[k] != '-' && langbuf[k] != '_' && k + 1 < lang_cap; k++)
			lang[k] = (char)tolower((unsigned char)langbuf[k]);
		lang[k] = '\0';
	}
	return CUSTOS_OK;

dangling:
	return custos_err_set(err, CUSTOS_EFORMAT, "'%.*s' at position %zu needs a term after it",
	                      (int)prev_len, prev_tok, prev_pos);
dangling_op:
	return custos_err_set(err, CUSTOS_EFORMAT, "'%.*s' at position %zu needs a term before it",
	                      (int)prev_len, prev_tok, prev_pos);
too_many:
	return custos_err_set(err, CUSTOS_EFORMAT, "query too long: more than %d terms "
	                      "(limit reached at position %zu)", CUSTOS_INDEX__MAX_TERMS, i);
}

