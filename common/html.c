/* Code points to UTF-8, and HTML character references to text: the one
 * decoder the importers share (Mastodon's content, a feed's text, the
 * three escapes X and Slack apply to their text). */
#include "custos_common.h"

#include <stdlib.h>
#include <string.h>

size_t custos_utf8_put(char out[4], unsigned long cp)
{
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int custos_buf_add_cp(custos_buf_t *b, unsigned long cp)
{
	char u[4];
	return custos_buf_add(b, u, custos_utf8_put(u, cp));
}

/* The names social platforms and feeds actually send; the escapes first. */
static const struct { char name[8]; unsigned cp; } names[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	{ "nbsp", 0xA0 }, { "copy", 0xA9 }, { "reg", 0xAE }, { "trade", 0x2122 },
	{ "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "ldquo", 0x201C }, { "rdquo", 0x201D },
	{ "laquo", 0xAB }, { "raquo", 0xBB }, { "bull", 0x2022 }, { "middot", 0xB7 },
	{ "euro", 0x20AC }, { "pound", 0xA3 }, { "yen", 0xA5 }, { "cent", 0xA2 },
	{ "deg", 0xB0 }, { "times", 0xD7 }, { "divide", 0xF7 }, { "sect", 0xA7 },
	{ "para", 0xB6 }, { "iexcl", 0xA1 }, { "iquest", 0xBF },
	{ "eacute", 0xE9 }, { "egrave", 0xE8 }, { "aacute", 0xE1 }, { "agrave", 0xE0 },
	{ "iacute", 0xED }, { "oacute", 0xF3 }, { "uacute", 0xFA }, { "ntilde", 0xF1 },
	{ "ccedil", 0xE7 }, { "uuml", 0xFC }, { "ouml", 0xF6 }, { "auml", 0xE4 },
	{ "szlig", 0xDF }, { "Eacute", 0xC9 }, { "Uuml", 0xDC }, { "Ouml", 0xD6 },
	{ "Auml", 0xC4 }, { "Ntilde", 0xD1 },
};
#define N_ESCAPES 3   /* amp, lt, gt */

static int is_digit(char c, int hex)
{
	return (c >= '0' && c <= '9') ||
	       (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
}

size_t custos_html_ref(const char *s, size_t n, unsigned flags, unsigned long *cp)
{
	if (n < 3 || s[0] != '&')
		return 0;
	if (s[1] == '#' && !(flags & CUSTOS_HTML_ESCAPES)) {
		int hex = s[2] == 'x' || s[2] == 'X';
		size_t d = 2 + (size_t)hex, q = d;
		unsigned long v = 0;
		while (q < n && q - d < 8 && is_digit(s[q], hex)) {
			char c = s[q++];
			v = v * (hex ? 16 : 10) + (unsigned long)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		if (q == d)
			return 0;
		*cp = v;
		return q + (q < n && s[q] == ';');
	}
	size_t k = 1;
	while (k < n && k < 9 && s[k] != ';')
		k++;
	if (k >= n || s[k] != ';')
		return 0;
	size_t limit = flags & CUSTOS_HTML_ESCAPES ? N_ESCAPES : sizeof names / sizeof names[0];
	for (size_t i = 0; i < limit; i++)
		if (strlen(names[i].name) == k - 1 && !memcmp(s + 1, names[i].name, k - 1)) {
			*cp = names[i].cp;
			return k + 1;
		}
	return 0;
}

int custos_html_unescape(custos_buf_t *b, const char *s, size_t n, unsigned flags)
{
	int st = 0;
	while (n && !st) {
		const char *amp = memchr(s, '&', n);
		size_t run = amp ? (size_t)(amp - s) : n, k;
		unsigned long cp;
		st = custos_buf_add(b, s, run);
		s += run;
		n -= run;
		if (!n || st)
			break;
		if ((k = custos_html_ref(s, n, flags, &cp)) > 0) {
			st = custos_buf_add_cp(b, cp);
		} else {
			st = custos_buf_addc(b, '&');
			k = 1;
		}
		s += k;
		n -= k;
	}
	return st ? CUSTOS_ENOMEM : CUSTOS_OK;
}
