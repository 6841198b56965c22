/* Text as search sees it: Unicode folding for indexing and queries (through
 * libunistring), and the matching of wildcard patterns and fuzzy words over
 * the words of the index's lexicon. */
#include "index_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

static int ascii_lower(const char *s, size_t n, char **out, size_t *out_len)
{
	char *p = malloc(n + 1);
	if (!p)
		return CUSTOS_ENOMEM;
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	p[n] = '\0';
	*out = p;
	if (out_len)
		*out_len = n;
	return CUSTOS_OK;
}

static int is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

static int with_nul(uint8_t *r, size_t len, char **out, size_t *out_len)
{
	char *p = realloc(r, len + 1);
	if (!p) {
		free(r);
		return CUSTOS_ENOMEM;
	}
	p[len] = '\0';
	*out = p;
	if (out_len)
		*out_len = len;
	return CUSTOS_OK;
}

int custos_index__fold(const char *s, size_t n, char **out, size_t *out_len)
{
	size_t len = 0;
	*out = NULL;
	if (is_ascii(s, n))
		return ascii_lower(s, n, out, out_len);
	uint8_t *r = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFKC, NULL, &len);
	if (!r)
		return CUSTOS_EFORMAT;
	return with_nul(r, len, out, out_len);
}

int custos_index__fold_accents(const char *s, size_t n, char **out, size_t *out_len)
{
	size_t len = 0, k = 0;
	*out = NULL;
	if (is_ascii(s, n))
		return ascii_lower(s, n, out, out_len);
	uint8_t *d = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFKD, NULL, &len);
	if (!d)
		return CUSTOS_EFORMAT;
	/* drop the combining marks (general category M) */
	for (size_t i = 0; i < len;) {
		ucs4_t c;
		int l = u8_mbtoucr(&c, d + i, len - i);
		if (l <= 0)
			break;
		if (!uc_is_general_category(c, UC_CATEGORY_M)) {
			memmove(d + k, d + i, (size_t)l);
			k += (size_t)l;
		}
		i += (size_t)l;
	}
	size_t clen = 0;
	uint8_t *c = u8_normalize(UNINORM_NFC, d, k, NULL, &clen);
	free(d);
	if (!c)
		return CUSTOS_ENOMEM;
	return with_nul(c, clen, out, out_len);
}

int custos_index__wildcard_match(const char *pattern, const char *word)
{
	const uint8_t *p = (const uint8_t *)pattern, *w = (const uint8_t *)word;
	const uint8_t *star_p = NULL, *star_w = NULL;
	ucs4_t pc, wc;
	while (*w) {
		int pl = *p ? u8_strmbtouc(&pc, p) : 0;
		int wl = u8_strmbtouc(&wc, w);
		if (wl <= 0)
			return 0;
		if (pl > 0 && pc == '*') {
			star_p = p += pl;
			star_w = w;
			continue;
		}
		if (pl > 0 && (pc == '?' || pc == wc)) {
			p += pl;
			w += wl;
			continue;
		}
		if (!star_p)
			return 0;
		/* let the last '*' take one more character */
		int sl = u8_strmbtouc(&wc, star_w);
		if (sl <= 0)
			return 0;
		star_w += sl;
		w = star_w;
		p = star_p;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* The characters of s into out[128]; -1 when longer or not UTF-8. */
static int chars(const char *s, ucs4_t *out, size_t *n)
{
	const uint8_t *p = (const uint8_t *)s;
	*n = 0;
	while (*p) {
		if (*n == 128)
			return -1;
		int l = u8_strmbtouc(&out[*n], p);
		if (l <= 0)
			return -1;
		p += l;
		(*n)++;
	}
	return 0;
}

unsigned custos_index__edit_distance(const char *a, const char *b, unsigned max)
{
	ucs4_t x[128], y[128];
	size_t nx, ny;
	if (chars(a, x, &nx) < 0 || chars(b, y, &ny) < 0)
		return max + 1;
	if ((nx > ny ? nx - ny : ny - nx) > max)
		return max + 1;
	unsigned row[129];
	for (size_t j = 0; j <= ny; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= nx; i++) {
		unsigned diag = row[0], best;
		row[0] = (unsigned)i;
		best = row[0];
		for (size_t j = 1; j <= ny; j++) {
			unsigned up = row[j];
			unsigned v = diag + (x[i - 1] == y[j - 1] ? 0 : 1);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
	}
	return row[ny] > max ? max + 1 : row[ny];
}
