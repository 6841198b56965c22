/* Text that people type and custos keeps (an actor, a reason, a commit
 * message): what is accepted, and how any text is made safe to print on a
 * terminal or to write as JSON when it was never checked. */
#include "custos_common.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The code point at s[0..n) (valid UTF-8, checked by the caller) and its length. */
static unsigned decode(const unsigned char *s, size_t n, size_t *len)
{
	if (s[0] < 0x80 || n < 2) {
		*len = 1;
		return s[0];
	}
	if (s[0] < 0xE0) {
		*len = 2;
		return (unsigned)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	}
	if (s[0] < 0xF0 || n < 4) {
		*len = 3;
		return (unsigned)(s[0] & 0x0F) << 12 | (unsigned)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	}
	*len = 4;
	return (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3F) << 12 |
	       (unsigned)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

bool custos_text_is_control(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
	       cp == 0x2028 || cp == 0x2029 ||                 /* line and paragraph separators */
	       (cp >= 0x202A && cp <= 0x202E) ||               /* bidi embeddings and overrides */
	       (cp >= 0x2066 && cp <= 0x2069);                 /* bidi isolates */
}

int custos_text_check(const char *what, const char *s, size_t max, unsigned flags,
                      custos_err_t *err)
{
	size_t n = strlen(s), bad;
	if (!n && !(flags & CUSTOS_TEXT_EMPTY))
		return custos_err_set(err, CUSTOS_EINVAL, "%s is empty", what);
	if (n > max)
		return custos_err_set(err, CUSTOS_EINVAL, "%s is longer than %zu bytes", what, max);
	if ((bad = custos_utf8_check(s, n)) < n)
		return custos_err_set(err, CUSTOS_EINVAL, "%s is not valid UTF-8 (byte %zu)", what,
		                      bad + 1);
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0, len; i < n; i += len) {
		unsigned cp = decode(u + i, n - i, &len);
		if ((flags & CUSTOS_TEXT_LINES) && (cp == '\n' || cp == '\t'))
			continue;
		if (custos_text_is_control(cp))
			return custos_err_set(err, CUSTOS_EINVAL, "%s holds the control character U+%04X "
			                      "at byte %zu%s", what, cp, i + 1,
			                      (flags & CUSTOS_TEXT_LINES) ? " (only newlines and tabs may "
			                      "be used)" : "");
	}
	return CUSTOS_OK;
}

static bool space(char c)
{
	return c == ' ';
}

int custos_actor_parse(custos_actor_t *out, const char *s, custos_err_t *err)
{
	int rc;
	memset(out, 0, sizeof *out);
	while (space(*s))
		s++;
	size_t n = strlen(s);
	while (n && space(s[n - 1]))
		n--;
	if (n > CUSTOS_ACTOR_MAX)
		return custos_err_set(err, CUSTOS_EINVAL, "actor is longer than %d bytes",
		                      CUSTOS_ACTOR_MAX);
	memcpy(out->text, s, n);
	out->text[n] = '\0';
	if ((rc = custos_text_check("actor", out->text, CUSTOS_ACTOR_MAX, 0, err)) < 0)
		return rc;
	/* "Name <email>": git keeps the two apart; anything else is a name */
	const char *lt = strchr(out->text, '<'), *gt = strchr(out->text, '>');
	if (!lt && !gt) {
		memcpy(out->name, out->text, n + 1);
		return CUSTOS_OK;
	}
	if (!lt || gt != out->text + n - 1 || gt < lt || strchr(lt + 1, '<') ||
	    memchr(out->text, '>', (size_t)(gt - out->text)))
		return custos_err_set(err, CUSTOS_EINVAL, "actor: '<' and '>' may only enclose an "
		                      "email at the end, as in 'Jane Doe <jane@example.com>'");
	size_t nl = (size_t)(lt - out->text);
	while (nl && space(out->text[nl - 1]))
		nl--;
	const char *e = lt + 1;
	size_t el = (size_t)(gt - e);
	const char *at = memchr(e, '@', el);
	if (!nl)
		return custos_err_set(err, CUSTOS_EINVAL, "actor: a name is needed before the email, "
		                      "as in 'Jane Doe <jane@example.com>'");
	if (!el || !at || at == e || at == e + el - 1 || memchr(e, ' ', el))
		return custos_err_set(err, CUSTOS_EINVAL, "actor: '%.*s' is not an email address "
		                      "(local@domain, no spaces)", (int)el, e);
	memcpy(out->name, out->text, nl);
	out->name[nl] = '\0';
	memcpy(out->email, e, el);
	out->email[el] = '\0';
	/* one form for one person: "Name <email>" with a single space */
	size_t tl = nl;
	out->text[tl++] = ' ';
	out->text[tl++] = '<';
	memcpy(out->text + tl, out->email, el);   /* e points into text: copy from email */
	tl += el;
	out->text[tl++] = '>';
	out->text[tl] = '\0';
	return CUSTOS_OK;
}

int custos_buf_add_printable(custos_buf_t *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	int err = 0;
	for (size_t i = 0; i < n && !err;) {
		size_t ok = custos_utf8_check(s + i, n - i), len;
		if (ok == 0) {
			/* a byte that is not UTF-8 */
			char e[4] = { '\\', 'x', hex[u[i] >> 4], hex[u[i] & 15] };
			err = custos_buf_add(b, e, 4);
			i++;
			continue;
		}
		for (size_t end = i + ok; i < end && !err; i += len) {
			unsigned cp = decode(u + i, end - i, &len);
			if (!custos_text_is_control(cp))
				err = custos_buf_add(b, s + i, len);
			else if (cp < 0x80)
				err = custos_buf_printf(b, "\\x%02x", cp);
			else
				err = custos_buf_printf(b, "\\u%04x", cp);
		}
	}
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_buf_add_printable_lines(custos_buf_t *b, const char *s, size_t n, const char *indent)
{
	int err = CUSTOS_OK;
	for (size_t i = 0; i < n && !err;) {
		size_t run = 0;
		while (i + run < n && s[i + run] != '\n' && s[i + run] != '\t')
			run++;
		err = custos_buf_add_printable(b, s + i, run);
		i += run;
		if (i < n && !err) {
			err = custos_buf_addc(b, s[i]);
			if (!err && s[i] == '\n' && indent && *indent)
				err = custos_buf_adds(b, indent);
			i++;
		}
	}
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

/* The longest prefix of s, at most n bytes, that does not end inside a
 * UTF-8 sequence. */
static size_t cut(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	if (len < n || !s[n])
		return len;
	while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

int custos_buf_vprintf_printable(custos_buf_t *b, const char *fmt, va_list ap)
{
	int err = CUSTOS_OK;
	custos_buf_t t = { 0 };
	for (const char *p = fmt; *p && !err;) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			err = custos_buf_adds(b, p);
			break;
		}
		if ((err = custos_buf_add(b, p, (size_t)(pct - p))) < 0)
			break;
		/* one conversion, %[flags][width][.precision][length]conv, its '*'s
		 * read here so that the spec handed to printf holds numbers only */
		char spec[64], len[3] = "", conv;
		size_t sl = 0, ll = 0;
		const char *q = pct + 1;
		bool left = false;
		int width = -1, prec = -1;
		spec[sl++] = '%';
		while (*q && strchr("-+ #0", *q) && sl < 8) {
			left |= *q == '-';
			spec[sl++] = *q++;
		}
		if (*q == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				spec[sl++] = '-';
				width = width == INT_MIN ? INT_MAX : -width;
			}
			q++;
		} else {
			for (width = 0; *q >= '0' && *q <= '9'; q++)
				width = width < 100000 ? width * 10 + (*q - '0') : width;
		}
		if (*q == '.') {
			q++;
			if (*q == '*') {
				prec = va_arg(ap, int);   /* negative: as if none */
				q++;
			} else {
				for (prec = 0; *q >= '0' && *q <= '9'; q++)
					prec = prec < 100000 ? prec * 10 + (*q - '0') : prec;
			}
		}
		while (*q && strchr("hlzjtL", *q) && ll < 2)
			len[ll++] = *q++;
		conv = *q ? *q++ : '\0';
		p = q;
		if (conv == '%') {
			err = custos_buf_addc(b, '%');
			continue;
		}
		if (conv == 's') {
			/* text: cut at the precision without splitting a character,
			 * escaped, then padded to the width */
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t n = prec >= 0 ? cut(s, (size_t)prec) : strlen(s);
			custos_buf_clear(&t);
			if ((err = custos_buf_add_printable(&t, s, n)) < 0)
				break;
			size_t pad = width > 0 && (size_t)width > t.len ? (size_t)width - t.len : 0;
			for (size_t i = 0; i < pad && !left && !err; i++)
				err = custos_buf_addc(b, ' ');
			if (!err && t.len)
				err = custos_buf_add(b, t.data, t.len);
			for (size_t i = 0; i < pad && left && !err; i++)
				err = custos_buf_addc(b, ' ');
			continue;
		}
		if (width > 0)
			sl += (size_t)snprintf(spec + sl, sizeof spec - sl, "%d", width);
		if (prec >= 0)
			sl += (size_t)snprintf(spec + sl, sizeof spec - sl, ".%d", prec);
		memcpy(spec + sl, len, ll);
		sl += ll;
		spec[sl++] = conv;
		spec[sl] = '\0';
		switch (conv) {
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c':
			if (!strcmp(len, "ll"))
				err = custos_buf_printf(b, spec, va_arg(ap, long long));
			else if (!strcmp(len, "l"))
				err = custos_buf_printf(b, spec, va_arg(ap, long));
			else if (!strcmp(len, "z"))
				err = custos_buf_printf(b, spec, va_arg(ap, size_t));
			else if (!strcmp(len, "j"))
				err = custos_buf_printf(b, spec, va_arg(ap, intmax_t));
			else if (!strcmp(len, "t"))
				err = custos_buf_printf(b, spec, va_arg(ap, ptrdiff_t));
			else
				err = custos_buf_printf(b, spec, va_arg(ap, int));
			break;
		case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
			if (!strcmp(len, "L"))
				err = custos_buf_printf(b, spec, va_arg(ap, long double));
			else
				err = custos_buf_printf(b, spec, va_arg(ap, double));
			break;
		case 'p':
			err = custos_buf_printf(b, spec, va_arg(ap, void *));
			break;
		default:
			err = CUSTOS_EINVAL;   /* %n, or not a conversion */
		}
	}
	custos_buf_free(&t);
	return err == CUSTOS_EINVAL ? err : err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_buf_printf_printable(custos_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int err = custos_buf_vprintf_printable(b, fmt, ap);
	va_end(ap);
	return err;
}

int custos_buf_add_json_text(custos_buf_t *b, const char *s, size_t n)
{
	size_t ok = custos_utf8_check(s, n);
	if (ok == n)
		return custos_buf_add_json_str(b, s, n);
	custos_buf_t t = { 0 };
	int err = 0;
	for (size_t i = 0; i < n && !err;) {
		ok = custos_utf8_check(s + i, n - i);
		err = custos_buf_add(&t, s + i, ok);
		i += ok;
		if (i < n && !err) {
			err = custos_buf_add(&t, "\xEF\xBF\xBD", 3);   /* U+FFFD */
			i++;
		}
	}
	if (!err)
		err = custos_buf_add_json_str(b, t.data ? t.data : "", t.len);
	custos_buf_free(&t);
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}
