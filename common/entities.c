/* Entity extraction from plain text following the twitter-text rules
 * (hashtags, mentions, cashtags, URLs), and strict UTF-8 validation.
 *
 * twitter-text defines each entity by a regular expression run as a global
 * search plus a few checks on the text after each match. Each scanner below
 * reproduces one of them by hand, including the parts that decide which
 * matches exist: the character before a match is consumed by the match, so
 * the next match of the same kind may not reuse it (`last`, JavaScript's
 * lastIndex), and a match rejected by a later check still moves the search
 * past it. The four kinds are then merged by start offset and an entity that
 * overlaps an earlier one is dropped, as twitter-text's extractEntities does.
 * No allocation; every scanner makes one pass over the text. */
#include "custos_common.h"

#include <stdlib.h>
#include <string.h>

#include "tld_table.h"
#include "unicode_tables.h"

#define BAD_CP 0xFFFFu   /* what an invalid byte reads as: a twitter-text "invalid char" */

typedef struct {
	const unsigned char *t;
	size_t n;
	bool has_wide;   /* holds a 0xEF byte: maybe full-width signs */
} text_t;

typedef struct {
	size_t start, end;
} span_t;

/* ---------------------------------------------------------------------------
 * UTF-8 decoding and character classes
 */

/* Decodes the character at i < n. An invalid or truncated sequence reads as
 * one byte of BAD_CP, so scanning always advances. */
static inline uint32_t dec(const text_t *x, size_t i, size_t *len)
{
	const unsigned char *t = x->t;
	unsigned c = t[i], lo = 0x80, hi = 0xBF;
	uint32_t cp;
	size_t need;

	if (c < 0x80) {
		*len = 1;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else {
		goto bad;
	}
	for (size_t k = 1; k <= need; k++) {
		if (i + k >= x->n || t[i + k] < lo || t[i + k] > hi)
			goto bad;
		cp = cp << 6 | (t[i + k] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*len = need + 1;
	return cp;
bad:
	*len = 1;
	return BAD_CP;
}

/* The character ending at i > 0; its first byte goes to *start. */
static uint32_t dec_prev(const text_t *x, size_t i, size_t *start)
{
	size_t j = i - 1, len;
	for (int k = 0; k < 3 && j > 0 && (x->t[j] & 0xC0) == 0x80; k++)
		j--;
	uint32_t c = dec(x, j, &len);
	if (j + len == i) {
		*start = j;
		return c;
	}
	*start = i - 1;
	return BAD_CP;
}

static size_t char_len(const text_t *x, size_t i)
{
	size_t len;
	if (x->t[i] < 0x80)
		return 1;
	dec(x, i, &len);
	return len;
}

/* Classes of ASCII characters in the twitter-text rules, one bit each, in a
 * table computed at compile time. */
enum {
	A_ALPHA = 1, A_DIGIT = 2,
	A_PUNCT = 4,        /* twitter-text's punctuation; it leaves out '"' and '`' */
	A_SPACE = 8,        /* \t..\r and ' ' */
	A_PATH = 16, A_PATH_END = 32, A_QUERY = 64, A_QUERY_END = 128
};
#define IN2(c, a, b) ((c) == (a) || (c) == (b))
#define IS_AL(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DG(c) ((c) >= '0' && (c) <= '9')
#define IS_PUNCT(c) (IN2(c, '!', '\'') || IN2(c, '#', '%') || IN2(c, '&', '(') || \
	IN2(c, ')', '*') || IN2(c, '+', ',') || IN2(c, '\\', '-') || IN2(c, '.', '/') || \
	IN2(c, ':', ';') || IN2(c, '<', '=') || IN2(c, '>', '?') || IN2(c, '@', '[') || \
	IN2(c, ']', '^') || IN2(c, '_', '{') || IN2(c, '|', '}') || IN2(c, '~', '$'))
#define IS_PATH(c) (IS_AL(c) || IS_DG(c) || IN2(c, '!', '*') || IN2(c, '\'', ';') || \
	IN2(c, ':', '=') || IN2(c, '+', ',') || IN2(c, '.', '$') || IN2(c, '/', '%') || \
	IN2(c, '#', '[') || IN2(c, ']', '-') || IN2(c, '_', '~') || IN2(c, '&', '|') || (c) == '@')
#define IS_PATH_END(c) (IS_AL(c) || IS_DG(c) || IN2(c, '+', '-') || IN2(c, '=', '_') || IN2(c, '#', '/'))
#define IS_QUERY(c) (IS_AL(c) || IS_DG(c) || IN2(c, '!', '?') || IN2(c, '*', '\'') || \
	IN2(c, '@', '(') || IN2(c, ')', ';') || IN2(c, ':', '&') || IN2(c, '=', '+') || \
	IN2(c, '$', '/') || IN2(c, '%', '#') || IN2(c, '[', ']') || IN2(c, '-', '_') || \
	IN2(c, '.', ',') || IN2(c, '~', '|'))
#define IS_QUERY_END(c) (IS_AL(c) || IS_DG(c) || IN2(c, '-', '_') || IN2(c, '&', '=') || IN2(c, '#', '/'))
#define AF(c) ((IS_AL(c) ? A_ALPHA : 0) | (IS_DG(c) ? A_DIGIT : 0) | (IS_PUNCT(c) ? A_PUNCT : 0) | \
	(((c) >= 9 && (c) <= 13) || (c) == ' ' ? A_SPACE : 0) | (IS_PATH(c) ? A_PATH : 0) | \
	(IS_PATH_END(c) ? A_PATH_END : 0) | (IS_QUERY(c) ? A_QUERY : 0) | \
	(IS_QUERY_END(c) ? A_QUERY_END : 0))
#define AF4(c) AF(c), AF(c + 1), AF(c + 2), AF(c + 3)
#define AF16(c) AF4(c), AF4(c + 4), AF4(c + 8), AF4(c + 12)
static const uint8_t ascii_class[128] = {
	AF16(0), AF16(16), AF16(32), AF16(48), AF16(64), AF16(80), AF16(96), AF16(112)
};

static inline bool ascii_has(uint32_t c, unsigned cls) { return c < 0x80 && (ascii_class[c] & cls); }
static inline bool is_ascii_alpha(uint32_t c) { return ascii_has(c, A_ALPHA); }
static inline bool is_ascii_digit(uint32_t c) { return ascii_has(c, A_DIGIT); }
static inline bool is_ascii_alnum(uint32_t c) { return ascii_has(c, A_ALPHA | A_DIGIT); }
static bool in_set(uint32_t c, const char *set) { return c && c < 0x80 && strchr(set, (int)c); }

/* CUSTOS_UNI_ALPHA, _DIGIT, _JOINER for the hashtag rules, or 0. */
static int uni_class(uint32_t c)
{
	if (c < 0x80)
		return is_ascii_alpha(c) ? CUSTOS_UNI_ALPHA : is_ascii_digit(c) ? CUSTOS_UNI_DIGIT :
		       c == '_' ? CUSTOS_UNI_JOINER : 0;
	size_t lo = 0, hi = sizeof custos_uni_ranges / sizeof custos_uni_ranges[0];
	if (c < 0x10000) {
		lo = custos_uni_block[c >> 8];
		if (custos_uni_block[(c >> 8) + 1] + 1u < hi)
			hi = custos_uni_block[(c >> 8) + 1] + 1u;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t a = custos_uni_ranges[mid][0] & 0xFFFFFF;
		if (c < a)
			hi = mid;
		else if (c > custos_uni_ranges[mid][1])
			lo = mid + 1;
		else
			return (int)(custos_uni_ranges[mid][0] >> 24);
	}
	return 0;
}

/* twitter-text's spaces group */
static inline bool is_space(uint32_t c)
{
	if (c < 0x80)
		return ascii_class[c] & A_SPACE;
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
	       c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200A) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* JavaScript's \s, which the cashtag rule uses after the symbol */
static bool is_js_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

static inline bool is_punct(uint32_t c) { return ascii_has(c, A_PUNCT); }
static bool is_invalid(uint32_t c) { return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF; }
static bool is_dirmark(uint32_t c)
{
	return (c >= 0x202A && c <= 0x202E) || c == 0x061C || c == 0x200E || c == 0x200F ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* a character that may appear in a domain label (besides '-' and '_') */
static inline bool is_domain_char(uint32_t c)
{
	if (c < 0x80)
		return !(ascii_class[c] & (A_PUNCT | A_SPACE));
	return !is_punct(c) && !is_space(c) && !is_invalid(c) && !is_dirmark(c);
}

static bool is_latin_accent(uint32_t c)
{
	return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x24F) ||
	       c == 0x253 || c == 0x254 || c == 0x256 || c == 0x257 || c == 0x259 || c == 0x25B ||
	       c == 0x263 || c == 0x268 || c == 0x26F || c == 0x272 || c == 0x289 || c == 0x28B ||
	       c == 0x2BB || (c >= 0x300 && c <= 0x36F) || (c >= 0x1E00 && c <= 0x1EFF);
}

static bool is_cyrillic(uint32_t c) { return c >= 0x400 && c <= 0x4FF; }

static inline bool path_char(uint32_t c)
{
	if (c < 0x80)
		return ascii_class[c] & A_PATH;
	return c == 0x2013 ||
	       is_cyrillic(c) || is_latin_accent(c);
}

static inline bool path_end_char(uint32_t c)
{
	if (c < 0x80)
		return ascii_class[c] & A_PATH_END;
	return is_cyrillic(c) || is_latin_accent(c);
}

static inline bool query_char(unsigned c) { return ascii_has(c, A_QUERY); }
static inline bool query_end_char(unsigned c) { return ascii_has(c, A_QUERY_END); }

/* Where a sign (#, @) starts at i: its length, 1 for ASCII or 3 for the
 * full-width form whose UTF-8 is EF BC xx, else 0. */
static size_t sign_at(const text_t *x, size_t i, unsigned char ascii, unsigned char wide)
{
	if (x->t[i] == ascii)
		return 1;
	if (x->t[i] == 0xEF && i + 2 < x->n && x->t[i + 1] == 0xBC && x->t[i + 2] == wide)
		return 3;
	return 0;
}

/* The next position at or after i that holds the ASCII sign or its
 * full-width form, or n. */
static size_t find_sign(const text_t *x, size_t i, unsigned char ascii, unsigned char wide)
{
	if (!x->has_wide) {
		const unsigned char *p = i < x->n ? memchr(x->t + i, ascii, x->n - i) : NULL;
		return p ? (size_t)(p - x->t) : x->n;
	}
	while (i < x->n && !sign_at(x, i, ascii, wide))
		i++;
	return i;
}

static bool starts_with(const text_t *x, size_t i, const char *s)
{
	size_t k = strlen(s);
	return i + k <= x->n && memcmp(x->t + i, s, k) == 0;
}

/* ---------------------------------------------------------------------------
 * Top-level domains
 */

static int tld_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* twitter-text's TLD alternatives at q, limited to [q, lim): a TLD from the
 * list followed by a character outside [0-9a-z@+-] (or lim), or "xn--" and
 * punycode. Returns its length, 0 when there is none. */
static size_t tld_at(const text_t *x, size_t q, size_t lim)
{
	const unsigned char *t = x->t;
	if (q >= lim)
		return 0;
	if (t[q] < 0x80) {
		size_t r = 0;
		char key[64];
		while (q + r < lim && r < sizeof key - 1 && is_ascii_alpha(t[q + r])) {
			key[r] = (char)(t[q + r] | 0x20);
			r++;
		}
		if (r == 0)
			return 0;
		key[r] = '\0';
		if (q + r == lim || !(is_ascii_alnum(t[q + r]) || in_set(t[q + r], "@+-"))) {
			if (bsearch(key, custos_tlds_ascii, sizeof custos_tlds_ascii / sizeof *custos_tlds_ascii,
			            sizeof *custos_tlds_ascii, tld_cmp))
				return r;
		}
		if (r == 2 && key[0] == 'x' && key[1] == 'n' && q + 4 < lim &&
		    t[q + 2] == '-' && t[q + 3] == '-') {
			size_t k = q + 4;
			while (k < lim && (is_ascii_alnum(t[k]) || t[k] == '-'))
				k++;
			if (k > q + 4)
				return k - q;
		}
		/* fall through: "vermögensberatung" starts with ASCII */
	}
	for (size_t i = 0; i < sizeof custos_tlds_unicode / sizeof *custos_tlds_unicode; i++) {
		const char *d = custos_tlds_unicode[i];
		if ((unsigned char)d[0] != t[q])
			continue;
		size_t k = strlen(d);
		if (q + k <= lim && memcmp(t + q, d, k) == 0 &&
		    (q + k == lim || !(is_ascii_alnum(t[q + k]) || in_set(t[q + k], "@+-"))))
			return k;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * URLs
 */

/* twitter-text's validDomain at d: subdomain labels (which may hold '_'), a
 * domain-name label, a TLD; the regex takes as many labels as it can, so the
 * last label boundary followed by a TLD wins. Returns the domain's end, or 0.
 * On failure *skip is the first position after d where another attempt could
 * succeed: a later start inside the labels read so far sees the same labels
 * and TLDs after it, except that starting after the last '_' of a label
 * makes that label a valid domain name. This keeps "a.a.a.a..." linear. */
static size_t match_domain(const text_t *x, size_t d, size_t *skip)
{
	size_t i = d, best = 0, len, us_skip = 0;

	for (;;) {
		size_t ls = i, last_us = 0;
		uint32_t c = 0, last = 0;
		bool bad_start = false;
		while (i < x->n) {
			c = dec(x, i, &len);
			if (c == '.')
				break;
			if (c == '-' || c == '_') {
				if (i == ls) {
					bad_start = true;
					break;
				}
				if (c == '_')
					last_us = i + 1;
			} else if (!is_domain_char(c)) {
				break;
			}
			last = c;
			i += len;
		}
		if (bad_start || i >= x->n || c != '.' || i == ls || last == '-' || last == '_') {
			/* the label at ls ends the domain */
			if (us_skip)
				*skip = us_skip;
			else if (ls >= x->n)
				*skip = x->n;
			else
				*skip = i > ls ? i : ls + char_len(x, ls);
			return best;
		}
		size_t tl = tld_at(x, i + 1, x->n);
		if (tl) {
			if (!last_us)
				best = i + 1 + tl;
			else if (!us_skip)
				us_skip = last_us;
		}
		i++;
	}
}

/* '(' chars ')' or '(' chars '(' chars ')' chars ')': twitter-text's balanced
 * parentheses in a path. Returns the end, 0 when there are none at i. */
static size_t match_parens(const text_t *x, size_t i)
{
	size_t j = i + 1, len, k;
	uint32_t c = 0;
#define RUN(p) do { while ((p) < x->n && path_char(c = dec(x, (p), &len))) (p) += len; \
	c = (p) < x->n ? x->t[(p)] : 0; } while (0)
	RUN(j);
	if (c == ')' && j > i + 1)
		return j + 1;
	if (c != '(')
		return 0;
	k = j + 1;
	RUN(k);
	if (c != ')' || k == j + 1)
		return 0;
	k++;
	RUN(k);
	return c == ')' ? k + 1 : 0;
#undef RUN
}

/* The path after its '/' at i. twitter-text repeats a unit that is either a
 * run of path characters and balanced parentheses ending with a path-ending
 * character, or one parenthesised group alone: its regex inlines the ending
 * alternatives without grouping them, so a group ends the path only right
 * where the path so far ends ("/a(b)" but not "/~(b)"). */
static size_t match_path(const text_t *x, size_t i)
{
	size_t pos = i, len, pe;
	for (;;) {
		size_t j = pos, last_end = 0;
		while (j < x->n) {
			if (x->t[j] == '(') {
				if (!(pe = match_parens(x, j)))
					break;
				j = pe;
				continue;
			}
			uint32_t c = dec(x, j, &len);
			if (!path_char(c))
				break;
			j += len;
			if (path_end_char(c))
				last_end = j;
		}
		if (last_end) {
			pos = last_end;
			continue;
		}
		/* no ending character left in the run: only whole groups */
		while (pos < x->n && x->t[pos] == '(' && (pe = match_parens(x, pos)))
			pos = pe;
		return pos;
	}
}

/* The query after its '?' at i, up to lim: returns its end, 0 if none. */
static size_t match_query(const text_t *x, size_t i, size_t lim)
{
	size_t end = 0;
	for (; i < lim && query_char(x->t[i]); i++)
		if (query_end_char(x->t[i]))
			end = i + 1;
	return end;
}

/* The code point at i for punycode; with half, the one at a is a character
 * beyond U+FFFF of which the URL holds only the second UTF-16 unit. */
static uint32_t puny_cp(const text_t *x, size_t i, size_t *len, size_t a, bool half)
{
	uint32_t c = dec(x, i, len);
	if (half && i == a && c > 0xFFFF)
		c = 0xDC00 | ((c - 0x10000) & 0x3FF);
	return c;
}

/* Punycode (RFC 3492) length of the code points in [a, b), "xn--" included
 * when any is not ASCII, as punycode.js computes it; stops counting past 64. */
static size_t puny_len(const text_t *x, size_t a, size_t b, bool half)
{
	size_t len, ncp = 0, basic = 0, out;
	uint32_t n = 128, bias = 72, delta = 0, h;

	for (size_t i = a; i < b; i += len) {
		uint32_t c = puny_cp(x, i, &len, a, half);
		ncp++;
		basic += c < 0x80;
	}
	if (basic == ncp)
		return ncp;
	if (ncp > 64)
		return 65;
	out = 4 + basic + (basic > 0);
	h = (uint32_t)basic;
	while (h < ncp) {
		uint32_t m = UINT32_MAX;
		for (size_t i = a; i < b; i += len) {
			uint32_t c = puny_cp(x, i, &len, a, half);
			if (c >= n && c < m)
				m = c;
		}
		delta += (m - n) * (h + 1);
		n = m;
		for (size_t i = a; i < b; i += len) {
			uint32_t c = puny_cp(x, i, &len, a, half);
			if (c < n)
				delta++;
			if (c != n)
				continue;
			uint32_t q = delta;
			for (uint32_t k = 36;; k += 36) {
				uint32_t tt = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
				if (q < tt)
					break;
				out++;
				q = (q - tt) / (36 - tt);
			}
			out++;
			/* adapt the bias */
			uint32_t dd = h == basic ? delta / 700 : delta / 2, kk = 0;
			dd += dd / (h + 1);
			while (dd > 455) {
				dd /= 35;
				kk += 36;
			}
			bias = kk + 36 * dd / (dd + 38);
			delta = 0;
			h++;
			if (out > 64)
				return out;
		}
		delta++;
		n++;
	}
	return out;
}

static size_t utf16_len(const text_t *x, size_t a, size_t b)
{
	size_t units = 0;
	for (size_t i = a; i < b; i++)
		if ((x->t[i] & 0xC0) != 0x80)
			units += x->t[i] >= 0xF0 ? 2 : 1;
	return units;
}

/* The ASCII domain twitter-text's validAsciiDomain finds first in [*pos,
 * lim): labels of [-a-z0-9] and Latin accents, then a TLD. */
static bool ascii_domain_next(const text_t *x, size_t *pos, size_t lim, span_t *out)
{
	size_t i = *pos, len;
	while (i < lim) {
		size_t j = i, best = 0;
		for (;;) {
			size_t ls = j;
			while (j < lim) {
				uint32_t c = dec(x, j, &len);
				if (!(is_ascii_alnum(c) || c == '-' || is_latin_accent(c)))
					break;
				j += len;
			}
			if (j == ls || j >= lim || x->t[j] != '.')
				break;
			size_t tl = tld_at(x, j + 1, lim);
			if (tl)
				best = j + 1 + tl;
			j++;
		}
		if (best) {
			out->start = i;
			out->end = best;
			*pos = best;
			return true;
		}
		/* a later start inside the labels read sees the same labels and TLDs */
		i = j > i ? j : i + char_len(x, i);
	}
	*pos = lim;
	return false;
}

/* twitter-text's isValidUrl: every label of the domain must be 1 to 63
 * characters once punycode-encoded (punycode.js also splits labels at
 * U+3002, U+FF0E and U+FF61), and the URL at most 4096 UTF-16 units. */
static bool url_valid(const text_t *x, span_t url, span_t dom, bool proto, bool half)
{
	if (starts_with(x, dom.start, "xn--")) {
		size_t p = dom.start;
		span_t s;
		if (!ascii_domain_next(x, &p, dom.end, &s))
			return false;
	}
	size_t i = dom.start;
	while (i <= dom.end) {
		size_t j = i, total = 0, sub = i, len;
		int parts = 0;
		while (j < dom.end && x->t[j] != '.') {
			uint32_t c = dec(x, j, &len);
			if (c == 0x3002 || c == 0xFF0E || c == 0xFF61) {
				total += puny_len(x, sub, j, half && sub == dom.start);
				parts++;
				sub = j + len;
			}
			j += len;
		}
		total += puny_len(x, sub, j, half && sub == dom.start) + (size_t)parts;
		if (total < 1 || total > 63)
			return false;
		i = j + 1;
	}
	size_t n16 = utf16_len(x, url.start, url.end) - half;
	size_t proto16 = proto ? utf16_len(x, url.start, dom.start) : 8 /* "https://" */;
	return proto16 + n16 <= 4096;
}

typedef struct {
	size_t pos, last, noproto;
	/* a protocol-less match being split into its ASCII domains */
	bool split, has_path;
	size_t split_pos, split_lim, url_end;
	span_t held;
} url_scan_t;

static bool url_prev_ok(uint32_t c)
{
	return !is_ascii_alnum(c) && c != '@' && c != '$' && c != '#' && c != 0xFF20 &&
	       c != 0xFF03 && !is_invalid(c);
}

static bool next_split(const text_t *x, url_scan_t *g, span_t *out)
{
	span_t next;
	*out = g->held;
	if (ascii_domain_next(x, &g->split_pos, g->split_lim, &next)) {
		g->held = next;
	} else {
		g->split = false;
		if (g->has_path)
			out->end = g->url_end;
	}
	return true;
}

/* Where the next "http://" or "https://" (any case) at or after s starts, or n. */
static size_t next_protocol(const text_t *x, size_t s)
{
	const unsigned char *t = x->t;
	size_t i = s + 4;
	while (i + 3 <= x->n) {
		const unsigned char *p = memchr(t + i, ':', x->n - i);
		if (!p)
			break;
		size_t c = (size_t)(p - t);
		if (c + 3 <= x->n && t[c + 1] == '/' && t[c + 2] == '/') {
			if (c >= s + 5 && (t[c - 5] | 0x20) == 'h' && (t[c - 4] | 0x20) == 't' &&
			    (t[c - 3] | 0x20) == 't' && (t[c - 2] | 0x20) == 'p' && (t[c - 1] | 0x20) == 's')
				return c - 5;
			if ((t[c - 4] | 0x20) == 'h' && (t[c - 3] | 0x20) == 't' &&
			    (t[c - 2] | 0x20) == 't' && (t[c - 1] | 0x20) == 'p')
				return c - 4;
		}
		i = c + 1;
	}
	return x->n;
}

/* The start of the run of domain-label characters that ends at dot, not
 * before s: a domain without protocol can only start there. */
static size_t label_run_start(const text_t *x, size_t dot, size_t s)
{
	size_t i = dot, ps;
	while (i > s) {
		uint32_t c;
		if (x->t[i - 1] < 0x80) {
			c = x->t[i - 1];
			ps = i - 1;
		} else {
			c = dec_prev(x, i, &ps);
		}
		if (!(is_domain_char(c) || c == '-' || c == '_') || ps < s)
			break;
		i = ps;
	}
	return i;
}

/* twitter-text's URL regex with its URL starting at s: protocol, domain
 * [*d, *de), port, path, query up to *e. A domain without protocol can only
 * start in [lab, dot), the label run before the next dot. */
static bool url_regex_at(const text_t *x, url_scan_t *g, size_t s, size_t lab, size_t dot,
                         size_t *d, size_t *de, size_t *e, bool *with_proto, bool *has_path)
{
	const unsigned char *t = x->t;
	size_t n = x->n, skip, len;

	*de = 0;
	*with_proto = *has_path = false;
	if ((t[s] | 0x20) == 'h' && s + 7 <= n && (t[s + 1] | 0x20) == 't' &&
	    (t[s + 2] | 0x20) == 't' && (t[s + 3] | 0x20) == 'p') {
		size_t k = s + 4;
		if ((t[k] | 0x20) == 's')
			k++;
		if (starts_with(x, k, "://") && k + 3 < n) {
			*de = match_domain(x, k + 3, &skip);
			if (*de) {
				*d = k + 3;
				*with_proto = true;
			}
		}
	}
	if (!*de && s >= lab && s < dot && s >= g->noproto && is_domain_char(dec(x, s, &len))) {
		*de = match_domain(x, s, &skip);
		if (!*de)
			g->noproto = skip;
		*d = s;
	}
	if (!*de)
		return false;
	/* port, path, query */
	*e = *de;
	if (*e + 1 < n && t[*e] == ':' && is_ascii_digit(t[*e + 1])) {
		(*e)++;
		while (*e < n && is_ascii_digit(t[*e]))
			(*e)++;
	}
	if (*e < n && t[*e] == '/') {
		*has_path = true;
		*e = match_path(x, *e + 1);
	}
	if (*e < n && t[*e] == '?') {
		size_t qe = match_query(x, *e + 1, n);
		if (qe)
			*e = qe;
	}
	return true;
}

static bool next_url(const text_t *x, url_scan_t *g, span_t *out)
{
	const unsigned char *t = x->t;
	size_t n = x->n, s = g->pos, len, dot = 0, lab = 0, proto = 0;
	bool have_dot = false, have_proto = false;

	if (g->split)
		return next_split(x, g, out);
	/* Only two kinds of places can start a URL: a protocol, and the run of
	 * label characters before the next dot (every domain has a dot). The
	 * scan jumps from one to the next. */
	while (s < n) {
		if (!have_dot || dot < s) {
			const unsigned char *p = memchr(t + s, '.', n - s);
			if (!p)
				break;
			dot = (size_t)(p - t);
			lab = label_run_start(x, dot, s);
			have_dot = true;
		}
		if (!have_proto || proto < s) {
			proto = next_protocol(x, s);
			have_proto = true;
		}
		if (s != proto) {
			if (s < g->noproto) {
				s = proto < g->noproto ? proto : g->noproto;
				continue;
			}
			if (s >= dot) {
				s = dot + 1;
				continue;
			}
			if (s < lab) {
				s = proto < lab ? proto : lab;
				continue;
			}
		}
		size_t ps, d = 0, de = 0, e = 0;
		uint32_t pc = 0;
		bool with_proto = false, has_path = false, matched = false, half = false;
		if (s == 0 && t[0] >= 0xF0) {
			/* see below: the URL starts with the second UTF-16 unit */
			matched = url_regex_at(x, g, 0, lab, dot, &d, &de, &e, &with_proto, &has_path);
			half = true;
			pc = 0xD800;
		} else if (s == 0) {
			/* the regex tries text[0] as the preceding character before
			 * it tries ^, so a URL at the second character comes first */
			size_t s1 = char_len(x, 0), np = g->noproto, np1;
			uint32_t c0 = dec(x, 0, &len);
			if (s1 < n && url_prev_ok(c0) &&
			    url_regex_at(x, g, s1, lab, dot, &d, &de, &e, &with_proto, &has_path)) {
				s = s1;
				pc = c0;
				matched = true;
			} else {
				np1 = g->noproto;
				g->noproto = np;
				matched = url_regex_at(x, g, 0, lab, dot, &d, &de, &e, &with_proto, &has_path);
				if (g->noproto < np1)
					g->noproto = np1;
			}
		} else {
			pc = dec_prev(x, s, &ps);
			if (ps >= g->last && url_prev_ok(pc)) {
				matched = url_regex_at(x, g, s, lab, dot, &d, &de, &e, &with_proto, &has_path);
			} else if (t[s] >= 0xF0 && s >= g->last) {
				/* JavaScript sees a character beyond U+FFFF as two UTF-16
				 * units, and twitter-text's regex takes the first as the
				 * character before a URL that starts with the second */
				matched = url_regex_at(x, g, s, lab, dot, &d, &de, &e, &with_proto, &has_path);
				half = true;
				pc = 0xD800;
			}
		}
		if (!matched) {
			s += char_len(x, s);
			continue;
		}
		g->last = g->pos = e;

		span_t url = { s, e }, dom = { d, de };
		if (!url_valid(x, url, dom, with_proto, half)) {
			s = e;
			continue;
		}
		if (!with_proto) {
			if (s > 0 && in_set(pc, "-_./")) {
				s = e;
				continue;
			}
			g->split_pos = d;
			g->split_lim = de;
			g->url_end = e;
			g->has_path = has_path;
			if (!ascii_domain_next(x, &g->split_pos, g->split_lim, &g->held)) {
				s = e;
				continue;
			}
			g->split = true;
			return next_split(x, g, out);
		}
		/* t.co links take no more path than their slug, of 40 at most */
		if (d + 5 <= e && (t[d] | 0x20) == 't' && t[d + 1] == '.' && (t[d + 2] | 0x20) == 'c' &&
		    (t[d + 3] | 0x20) == 'o' && t[d + 4] == '/') {
			size_t k = d + 5;
			while (k < e && is_ascii_alnum(t[k]))
				k++;
			if (k > d + 5) {
				if (k - (d + 5) > 40) {
					s = e;
					continue;
				}
				if (k < e && t[k] == '?') {
					size_t qe = match_query(x, k + 1, e);
					if (qe)
						k = qe;
				}
				url.end = k;
			}
		}
		*out = url;
		return true;
	}
	g->pos = n;
	return false;
}

/* ---------------------------------------------------------------------------
 * Hashtags, mentions, cashtags
 */

typedef struct {
	size_t pos, last;
} tag_scan_t;

static bool hash_alnum(uint32_t c) { return uni_class(c) != 0; }

static bool next_hashtag(const text_t *x, tag_scan_t *g, span_t *out)
{
	size_t i = g->pos, len;
	while (i < x->n) {
		i = find_sign(x, i, '#', 0x83);
		if (i >= x->n)
			break;
		size_t sl = sign_at(x, i, '#', 0x83);
		size_t a = i, b = a + sl, ps;
		bool ok;
		i = b;
		if (a == 0) {
			ok = g->last == 0;
		} else {
			uint32_t pc = dec_prev(x, a, &ps);
			ok = ps >= g->last && (pc == 0xFE0E || pc == 0xFE0F || (!hash_alnum(pc) && pc != '&'));
		}
		if (!ok || b >= x->n)
			continue;
		uint32_t c = dec(x, b, &len);
		if (c == 0xFE0F || c == 0x20E3)
			continue;
		size_t j = b;
		bool alpha = false;
		while (j < x->n) {
			int cl = uni_class(dec(x, j, &len));
			if (!cl)
				break;
			alpha |= cl == CUSTOS_UNI_ALPHA;
			j += len;
		}
		if (!alpha)
			continue;
		g->last = g->pos = i = j;
		/* a hashtag followed by another sign or by "://" is none */
		if (j < x->n && (sign_at(x, j, '#', 0x83) || starts_with(x, j, "://")))
			continue;
		out->start = a;
		out->end = j;
		return true;
	}
	g->pos = x->n;
	return false;
}

static bool mention_prev_ok(const text_t *x, size_t a, size_t last)
{
	size_t ps, r = a;
	if (a == 0)
		return last == 0;
	uint32_t pc = dec_prev(x, a, &ps);
	if (ps >= last && !is_ascii_alnum(pc) && !in_set(pc, "_!#$%&*@") && pc != 0xFF20)
		return true;
	/* "RT@user", "RT:@user" (any case): the retweet prefix stands in */
	if (x->t[r - 1] == ':')
		r--;
	if (r < 2 || (x->t[r - 2] | 0x20) != 'r' || (x->t[r - 1] | 0x20) != 't')
		return false;
	r -= 2;
	if (r == 0)
		return last == 0;
	pc = dec_prev(x, r, &ps);
	return ps >= last && !is_ascii_alnum(pc) && !in_set(pc, "_+~.-");
}

static bool next_mention(const text_t *x, tag_scan_t *g, span_t *out)
{
	const unsigned char *t = x->t;
	size_t i = g->pos, len;
	while (i < x->n) {
		i = find_sign(x, i, '@', 0xA0);
		if (i >= x->n)
			break;
		size_t sl = sign_at(x, i, '@', 0xA0);
		size_t a = i, b = a + sl, e = b;
		i = b;
		if (!mention_prev_ok(x, a, g->last))
			continue;
		while (e < x->n && e - b < 20 && (is_ascii_alnum(t[e]) || t[e] == '_'))
			e++;
		if (e == b)
			continue;
		/* "@user/list-name": a list of that user */
		if (e + 1 < x->n && t[e] == '/' && is_ascii_alpha(t[e + 1])) {
			size_t k = e + 2;
			while (k < x->n && k - (e + 2) < 24 && (is_ascii_alnum(t[k]) || t[k] == '_' || t[k] == '-'))
				k++;
			e = k;
		}
		g->last = g->pos = i = e;
		/* "@a@b" is an address, "@http://" a link, "@aliceì" a longer name */
		if (e < x->n && (sign_at(x, e, '@', 0xA0) || starts_with(x, e, "://") ||
		                 is_latin_accent(dec(x, e, &len))))
			continue;
		out->start = a;
		out->end = e;
		return true;
	}
	g->pos = x->n;
	return false;
}

static bool cashtag_end_ok(const text_t *x, size_t p)
{
	size_t len;
	return p == x->n || is_punct(x->t[p]) || is_js_space(dec(x, p, &len));
}

static bool next_cashtag(const text_t *x, tag_scan_t *g, span_t *out)
{
	const unsigned char *t = x->t;
	size_t i = g->pos, ps;
	while (i < x->n) {
		const unsigned char *p = memchr(t + i, '$', x->n - i);
		if (!p)
			break;
		size_t a = (size_t)(p - t), b = a + 1, e = b, end = 0;
		i = b;
		/* only at the start or after a space */
		if (a == 0) {
			if (g->last != 0)
				continue;
		} else {
			uint32_t pc = dec_prev(x, a, &ps);
			if (ps < g->last || !is_space(pc))
				continue;
		}
		while (e < x->n && is_ascii_alpha(t[e]))
			e++;
		if (e == b || e - b > 6)
			continue;
		/* "$TEST.T", "$Stock_X": an optional suffix of one or two letters */
		if (e + 1 < x->n && (t[e] == '.' || t[e] == '_')) {
			size_t k = e + 1;
			while (k < x->n && k - (e + 1) < 3 && is_ascii_alpha(t[k]))
				k++;
			if (k - (e + 1) >= 1 && k - (e + 1) <= 2 && cashtag_end_ok(x, k))
				end = k;
		}
		if (!end && cashtag_end_ok(x, e))
			end = e;
		if (!end)
			continue;
		g->last = g->pos = i = end;
		out->start = a;
		out->end = end;
		return true;
	}
	g->pos = x->n;
	return false;
}

/* ---------------------------------------------------------------------------
 * The public functions
 */

int custos_extract(const char *text, custos_entity_fn fn, void *ctx)
{
	if (!text || !fn)
		return CUSTOS_EINVAL;
	text_t x = { (const unsigned char *)text, strlen(text), false };
	x.has_wide = memchr(text, 0xEF, x.n) != NULL;
	tag_scan_t hs = { 0, 0 }, ms = { 0, 0 }, cs = { 0, 0 };
	url_scan_t us;
	memset(&us, 0, sizeof us);
	span_t next[4];
	bool have[4];
	size_t prev_end = 0;

	/* indexed by kind; a tie (impossible in practice) goes to the kind
	 * twitter-text's extractEntities lists first: URL, mention, hashtag, cashtag */
	static const int order[4] = { CUSTOS_ENTITY_URL, CUSTOS_ENTITY_MENTION,
	                              CUSTOS_ENTITY_HASHTAG, CUSTOS_ENTITY_CASHTAG };
	have[CUSTOS_ENTITY_HASHTAG] = next_hashtag(&x, &hs, &next[CUSTOS_ENTITY_HASHTAG]);
	have[CUSTOS_ENTITY_MENTION] = next_mention(&x, &ms, &next[CUSTOS_ENTITY_MENTION]);
	have[CUSTOS_ENTITY_CASHTAG] = next_cashtag(&x, &cs, &next[CUSTOS_ENTITY_CASHTAG]);
	have[CUSTOS_ENTITY_URL] = next_url(&x, &us, &next[CUSTOS_ENTITY_URL]);
	for (;;) {
		int k = -1;
		for (int i = 0; i < 4; i++)
			if (have[order[i]] && (k < 0 || next[order[i]].start < next[k].start))
				k = order[i];
		if (k < 0)
			return CUSTOS_OK;
		span_t sp = next[k];
		if (sp.start >= prev_end) {
			int rc = fn(k, text, sp.start, sp.end, ctx);
			if (rc)
				return rc;
			prev_end = sp.end;
		}
		switch (k) {
		case CUSTOS_ENTITY_HASHTAG: have[k] = next_hashtag(&x, &hs, &next[k]); break;
		case CUSTOS_ENTITY_MENTION: have[k] = next_mention(&x, &ms, &next[k]); break;
		case CUSTOS_ENTITY_CASHTAG: have[k] = next_cashtag(&x, &cs, &next[k]); break;
		default:                    have[k] = next_url(&x, &us, &next[k]); break;
		}
	}
}

bool custos_extract_reply(const char *text, size_t *out_start, size_t *out_end)
{
	if (!text)
		return false;
	text_t x = { (const unsigned char *)text, strlen(text), true };
	size_t i = 0, len;
	while (i < x.n) {
		if (!is_space(dec(&x, i, &len)))
			break;
		i += len;
	}
	size_t sl = i < x.n ? sign_at(&x, i, '@', 0xA0) : 0;
	if (!sl)
		return false;
	size_t e = i + sl;
	while (e < x.n && e - (i + sl) < 20 && (is_ascii_alnum(x.t[e]) || x.t[e] == '_'))
		e++;
	if (e == i + sl)
		return false;
	if (e < x.n && (sign_at(&x, e, '@', 0xA0) || starts_with(&x, e, "://") ||
	                is_latin_accent(dec(&x, e, &len))))
		return false;
	*out_start = i;
	*out_end = e;
	return true;
}

/* c in lower case, by Unicode's simple (one to one) mappings */
static uint32_t fold(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
	size_t lo = 0, hi = sizeof custos_uni_lower / sizeof custos_uni_lower[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const int32_t *r = custos_uni_lower[mid];
		if (c < (uint32_t)r[0])
			hi = mid;
		else if (c > (uint32_t)r[1])
			lo = mid + 1;
		else
			return (c - (uint32_t)r[0]) % (uint32_t)r[2] ? c : (uint32_t)((int32_t)c + r[3]);
	}
	return c;
}

/* Whether NUL-terminated a and b[0..n) are the same text ignoring case, so
 * that #Custos and #custos, or #Москва and #москва, count once. */
static bool same_folded(const char *a, const char *b, size_t n)
{
	text_t ta = { (const unsigned char *)a, strlen(a), false };
	text_t tb = { (const unsigned char *)b, n, false };
	size_t i = 0, j = 0, la, lb;
	while (i < ta.n && j < tb.n) {
		if (fold(dec(&ta, i, &la)) != fold(dec(&tb, j, &lb)))
			return false;
		i += la;
		j += lb;
	}
	return i == ta.n && j == tb.n;
}

static int add_entity(int kind, const char *text, size_t start, size_t end, void *ctx)
{
	custos_record_t *r = ctx;
	custos_strv_t *v;
	const char *s = text + start;
	size_t n = end - start;

	switch (kind) {
	case CUSTOS_ENTITY_HASHTAG: v = &r->hashtags; break;
	case CUSTOS_ENTITY_MENTION: v = &r->mentions; break;
	case CUSTOS_ENTITY_CASHTAG: v = &r->cashtags; break;
	default:                    v = &r->urls; break;
	}
	if (kind != CUSTOS_ENTITY_URL) {
		size_t sl = (unsigned char)s[0] == 0xEF ? 3 : 1;   /* ＃ ＠ are 3 bytes */
		s += sl;
		n -= sl;
	}
	if (kind == CUSTOS_ENTITY_MENTION) {
		/* "@user/list": the user is who is mentioned */
		const char *slash = memchr(s, '/', n);
		if (slash)
			n = (size_t)(slash - s);
	}
	for (size_t i = 0; i < v->n; i++) {
		/* URLs compare exactly: paths, t.co slugs above all, are case-sensitive */
		if (kind == CUSTOS_ENTITY_URL ? strncmp(v->v[i], s, n) == 0 && v->v[i][n] == '\0'
		                              : same_folded(v->v[i], s, n))
			return 0;
	}
	return custos_record_strv_add(r, v, s, n);
}

int custos_extract_entities(custos_record_t *r, const char *text)
{
	if (!r || !text)
		return CUSTOS_EINVAL;
	int err = custos_extract(text, add_entity, r);
	return err < 0 ? err : CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * UTF-8 validation
 */

size_t custos_utf8_check(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		/* ASCII runs go 8 bytes at a time */
		if (s[i] < 0x80) {
			while (i + 8 <= n) {
				uint64_t w;
				memcpy(&w, s + i, 8);
				if (w & 0x8080808080808080ULL)
					break;
				i += 8;
			}
			while (i < n && s[i] < 0x80)
				i++;
			if (i >= n)
				break;
		}
		unsigned c = s[i], lo = 0x80, hi = 0xBF;
		size_t need;
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;      /* overlong */
			else if (c == 0xED)
				hi = 0x9F;      /* surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;      /* overlong */
			else if (c == 0xF4)
				hi = 0x8F;      /* above U+10FFFF */
		} else {
			return i;           /* continuation byte, C0, C1 or F5..FF */
		}
		if (n - i <= need)
			return i;
		for (size_t k = 1; k <= need; k++) {
			if (s[i + k] < lo || s[i + k] > hi)
				return i;
			lo = 0x80;
			hi = 0xBF;
		}
		i += need + 1;
	}
	return n;
}
