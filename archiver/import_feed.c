/* The feed importer: RSS 0.9x/1.0 (RDF)/2.0 and Atom 0.3/1.0 items become
 * records. libxml2's xmlTextReader streams the document (encodings from the
 * BOM or the XML declaration, recovery for ill-formed feeds); each item is
 * expanded on its own, read, and released, so a big feed stays small. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/uri.h>
#include <libxml/xmlreader.h>

#include "import_internal.h"

#define MAX_DEPTH 16

typedef struct {
	custos_input_t *in;
	const custos_import_sink_t *sink;
	custos_err_t *err;
	custos_record_t rec;
	custos_buf_t tmp;            /* scratch for text conversion */
	/* feed-level facts, known once their elements have been read */
	char   *feed_title;
	char   *feed_author;         /* the feed's own author, for items without one */
	char   *feed_host;
	int64_t feed_date;
	int     kind;                /* FEED_RSS, FEED_RDF, FEED_ATOM */
	/* the first libxml2 error */
	char    xml_err[512];
	int     xml_err_line;
	int     xml_fatal;
	size_t  n_items;
	char    pend[4];
	size_t  pend_len, pend_pos;
	int     u32;                 /* 1: UTF-32LE, 2: UTF-32BE, decoded here */
	/* The bytes handed to libxml2 since the last item, for the items'
	 * verbatim bytes (ASCII-compatible encodings only; see item_bytes). */
	int     capture;
	custos_buf_t win;
	int64_t win_base;            /* file offset of win.data[0] */
	size_t  cur;                 /* where the next item is looked for */
	int     win_oom;
	unsigned char carry[4];
	size_t  carry_n;
} feed_t;

enum { FEED_NONE, FEED_RSS, FEED_RDF, FEED_ATOM };

static int raw_read(feed_t *f, char *buf, int len);
static int raw_read_in(feed_t *f, char *buf, int len);

static int add_cp(custos_buf_t *b, unsigned cp);

/* UTF-32 input is decoded to UTF-8 here (see custos_import__feed_stream). */
static int io_read(void *vctx, char *buf, int len)
{
	feed_t *f = vctx;
	if (!f->u32)
		return raw_read(f, buf, len);
	unsigned char in[1024];
	int want = len / 4 * 4;   /* 4 bytes in give at most 4 bytes out */
	if (want > (int)sizeof in)
		want = (int)sizeof in;
	if (want < 4)
		return 0;
	memcpy(in, f->carry, f->carry_n);
	int got = raw_read(f, (char *)in + f->carry_n, want - (int)f->carry_n);
	if (got < 0)
		return -1;
	size_t n = f->carry_n + (size_t)got, o = 0, i;
	custos_buf_t b = { 0 };
	for (i = 0; i + 4 <= n; i += 4) {
		unsigned cp = f->u32 == 1 ?
			(unsigned)in[i] | (unsigned)in[i + 1] << 8 | (unsigned)in[i + 2] << 16 | (unsigned)in[i + 3] << 24 :
			(unsigned)in[i + 3] | (unsigned)in[i + 2] << 8 | (unsigned)in[i + 1] << 16 | (unsigned)in[i] << 24;
		custos_buf_clear(&b);
		if (add_cp(&b, cp) < 0) {
			custos_buf_free(&b);
			return -1;
		}
		memcpy(buf + o, b.data, b.len);
		o += b.len;
	}
	custos_buf_free(&b);
	f->carry_n = n - i;
	memcpy(f->carry, in + i, f->carry_n);
	if (o == 0 && got > 0)
		return io_read(vctx, buf, len);
	return (int)o;
}

#define WIN_MAX  (64u << 20)   /* a window that grows past this drops its front */
#define WIN_KEEP (1u << 20)

static void win_add(feed_t *f, const char *p, size_t n)
{
	if (!f->capture || f->win_oom)
		return;
	if (f->cur > WIN_KEEP && f->cur > f->win.len / 2) {   /* forget what items used */
		memmove(f->win.data, f->win.data + f->cur, f->win.len - f->cur);
		f->win.len -= f->cur;
		f->win_base += (int64_t)f->cur;
		f->cur = 0;
	}
	if (f->win.len + n > WIN_MAX) {
		size_t drop = f->win.len > WIN_KEEP ? f->win.len - WIN_KEEP : f->win.len;
		memmove(f->win.data, f->win.data + drop, f->win.len - drop);
		f->win.len -= drop;
		f->win_base += (int64_t)drop;
		f->cur = f->cur > drop ? f->cur - drop : 0;
	}
	if (custos_buf_add(&f->win, p, n) < 0)
		f->win_oom = 1;   /* items then fall back to their serialized form */
}

static int raw_read(feed_t *f, char *buf, int len)
{
	int got = raw_read_in(f, buf, len);
	if (got > 0 && !f->u32)
		win_add(f, buf, (size_t)got);
	return got;
}

static int raw_read_in(feed_t *f, char *buf, int len)
{
	if (f->pend_pos < f->pend_len) {   /* the bytes read to look for a BOM */
		int n = (int)(f->pend_len - f->pend_pos) < len ? (int)(f->pend_len - f->pend_pos) : len;
		memcpy(buf, f->pend + f->pend_pos, (size_t)n);
		f->pend_pos += (size_t)n;
		return n;
	}
	ssize_t got = f->in->read(f->in, buf, (size_t)len);
	return got < 0 ? -1 : (int)got;
}

static int io_close(void *vctx) { return 0; }

static void on_error(void *vctx, const char *msg, xmlParserSeverities sev,
                     xmlTextReaderLocatorPtr loc)
{
	feed_t *f = vctx;
	if (sev == XML_PARSER_SEVERITY_ERROR || sev == XML_PARSER_SEVERITY_VALIDITY_ERROR)
		f->xml_fatal = 1;
	if (f->xml_err[0])
		return;
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	snprintf(f->xml_err, sizeof f->xml_err, "%.*s", (int)n, msg);
	f->xml_err_line = xmlTextReaderLocatorLineNumber(loc);
}

/* libxml2 reports some failures (encoding conversion) through its generic
 * error function, which prints; the library must not print. */
static void silent(void *ctx, const char *msg, ...) { }

/* ---- text ----------------------------------------------------------- */

static const struct { const char *name; unsigned cp; } entities[] = {
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

static int add_cp(custos_buf_t *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) { u[0] = (char)cp; n = 1; }
	else if (cp < 0x800) { u[0] = (char)(0xC0 | cp >> 6); u[1] = (char)(0x80 | (cp & 63)); n = 2; }
	else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 63));
		u[2] = (char)(0x80 | (cp & 63)); n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 63));
		u[2] = (char)(0x80 | ((cp >> 6) & 63)); u[3] = (char)(0x80 | (cp & 63)); n = 4;
	}
	return custos_buf_add(b, u, n);
}

/* Decodes one HTML character reference at s ("&amp;", "&#233;", "&#xE9;");
 * returns its length, 0 when it is not one (the '&' is then literal). */
static size_t entity(const char *s, unsigned *cp)
{
	const char *p = s + 1;
	if (*p == '#') {
		unsigned long v = 0;
		int hex = p[1] == 'x' || p[1] == 'X';
		const char *d = p + 1 + hex, *q = d;
		while (q - d < 8 && (hex ? strchr("0123456789abcdefABCDEF", *q) && *q : (*q >= '0' && *q <= '9')))
			q++;
		if (q == d)
			return 0;
		v = strtoul(d, NULL, hex ? 16 : 10);
		*cp = (unsigned)v;
		return (size_t)(q - s) + (*q == ';');
	}
	for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
		size_t n = strlen(entities[i].name);
		if (!strncmp(p, entities[i].name, n) && p[n] == ';') {
			*cp = entities[i].cp;
			return n + 2;
		}
	}
	return 0;
}

static int block_tag(const char *t, size_t n)
{
	/* called for every tag of every item's HTML: lengths first, no strlen */
	static const struct { const char *name; size_t n; } tags[] = {
		{ "br", 2 }, { "p", 1 }, { "div", 3 }, { "li", 2 }, { "tr", 2 }, { "h1", 2 },
		{ "h2", 2 }, { "h3", 2 }, { "h4", 2 }, { "h5", 2 }, { "h6", 2 },
		{ "blockquote", 10 }, { "pre", 3 }, { "ul", 2 }, { "ol", 2 }, { "table", 5 },
		{ "hr", 2 } };
	if (n == 0 || n > 10)
		return 0;
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (tags[i].n == n && (t[0] | 0x20) == tags[i].name[0] && !strncasecmp(t, tags[i].name, n))
			return 1;
	return 0;
}

/* Inline elements join their text to what is around them: "#<span>tag</span>"
 * is "#tag", "<span>https://</span><span>example.com</span>" one link. */
static int inline_tag(const char *t, size_t n)
{
	static const struct { const char *name; size_t n; } tags[] = {
		{ "a", 1 }, { "b", 1 }, { "i", 1 }, { "q", 1 }, { "s", 1 }, { "u", 1 }, { "em", 2 },
		{ "tt", 2 }, { "abbr", 4 }, { "cite", 4 }, { "code", 4 }, { "font", 4 }, { "mark", 4 },
		{ "span", 4 }, { "time", 4 }, { "small", 5 }, { "strong", 6 }, { "strike", 6 },
		{ "sub", 3 }, { "sup", 3 }, { "wbr", 3 }, { "kbd", 3 }, { "var", 3 }, { "dfn", 3 } };
	if (n == 0 || n > 6)
		return 0;
	for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (tags[i].n == n && (t[0] | 0x20) == tags[i].name[0] && !strncasecmp(t, tags[i].name, n))
			return 1;
	return 0;
}

/* HTML to plain text: tags dropped (block tags become line breaks, inline
 * tags nothing, other tags a space; script and style content dropped),
 * character references decoded, runs of spaces folded to one, blank lines
 * folded, ends trimmed. */
static int html_to_text(custos_buf_t *out, const char *s)
{
	custos_buf_clear(out);
	int st = 0, space = 0, nl = 0;
	while (*s && !st) {
		if (*s == '<') {
			const char *e = strchr(s, '>');
			if (!e)
				break;   /* an unclosed tag: drop the rest */
			const char *t = s + 1;
			if (*t == '/')
				t++;
			size_t tn = 0;
			while (t[tn] && (isalnum((unsigned char)t[tn])))
				tn++;
			if ((tn == 6 && !strncasecmp(t, "script", 6)) || (tn == 5 && !strncasecmp(t, "style", 5))) {
				if (s[1] != '/') {
					const char *close = strcasestr(e, tn == 6 ? "</script" : "</style");
					e = close ? strchr(close, '>') : NULL;
					if (!e)
						break;
				}
			} else if (block_tag(t, tn)) {
				nl++;
				space = 0;
			} else if (inline_tag(t, tn)) {
				/* no break: the text goes on */
			} else {
				space = space || out->len;
			}
			s = e + 1;
			continue;
		}
		if (*s != '&' && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
			/* a run of ordinary bytes (UTF-8 sequences included) in one go */
			size_t run = strcspn(s, "<& \t\n\r");
			if (nl && out->len) st |= custos_buf_adds(out, nl > 1 ? "\n\n" : "\n");
			else if (space && out->len) st |= custos_buf_addc(out, ' ');
			nl = space = 0;
			st |= custos_buf_add(out, s, run);
			s += run;
			continue;
		}
		unsigned cp;
		size_t n;
		if (*s == '&' && (n = entity(s, &cp)) > 0) {
			s += n;
		} else {
			cp = (unsigned char)*s;
			s++;
		}
		if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
			space = 1;
			continue;
		}
		if (nl && out->len)
			st |= custos_buf_adds(out, nl > 1 ? "\n\n" : "\n");
		else if (space && out->len)
			st |= custos_buf_addc(out, ' ');
		nl = space = 0;
		st |= add_cp(out, cp);
	}
	return st ? CUSTOS_ENOMEM : 0;
}

/* ---- the item's bytes ------------------------------------------------------
 * libxml2's reader does not say where an element's bytes are, so the item is
 * found again in the window of bytes the parser was given: from where the
 * last item ended, the next start tag with the item's name (as written,
 * prefix included) outside comments, CDATA and processing instructions,
 * then its matching end tag. When that fails (an encoding that is not
 * ASCII-compatible, a window that overflowed, recovered ill-formed XML),
 * the item's serialized XML stands in and source.offset is -1. */

/* The end of the markup that starts at w[i] ('<'), or 0 if it does not end. */
static size_t markup_end(const char *w, size_t n, size_t i)
{
	static const struct { const char *open, *close; } skips[] = {
		{ "<!--", "-->" }, { "<![CDATA[", "]]>" }, { "<?", "?>" } };
	for (size_t k = 0; (w[i + 1] == '!' || w[i + 1] == '?') && k < 3; k++) {
		size_t ol = strlen(skips[k].open);
		if (n - i >= ol && !memcmp(w + i, skips[k].open, ol)) {
			const char *e = memmem(w + i + ol, n - i - ol, skips[k].close, strlen(skips[k].close));
			return e ? (size_t)(e - w) + strlen(skips[k].close) : 0;
		}
	}
	char q = 0;
	for (size_t j = i + 1; j < n; j++) {   /* a tag: '>' outside quoted values */
		if (q) {
			if (w[j] == q)
				q = 0;
		} else if (w[j] == '"' || w[j] == '\'') {
			q = w[j];
		} else if (w[j] == '>') {
			return j + 1;
		}
	}
	return 0;
}

static int name_at(const char *w, size_t n, size_t i, const char *name, size_t nl)
{
	if (n - i < nl + 1 || memcmp(w + i, name, nl))
		return 0;
	char c = w[i + nl];
	return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int item_bytes(feed_t *f, const char *name, size_t *start, size_t *end)
{
	const char *w = f->win.data;
	size_t n = f->win.len, nl = strlen(name), i = f->cur, depth = 0, s = 0;
	if (!f->capture || f->win_oom || !w)
		return 0;
	while (i < n) {
		const char *lt = memchr(w + i, '<', n - i);
		if (!lt)
			return 0;
		i = (size_t)(lt - w);
		size_t e = markup_end(w, n, i);
		if (!e)
			return 0;
		if (w[i + 1] == '/' && depth && name_at(w, n, i + 2, name, nl)) {
			if (--depth == 0) {
				*start = s;
				*end = e;
				f->cur = e;
				return 1;
			}
		} else if (w[i + 1] != '/' && w[i + 1] != '!' && w[i + 1] != '?' &&
		           name_at(w, n, i + 1, name, nl)) {
			int empty = w[e - 2] == '/';
			if (depth == 0) {
				s = i;
				if (empty) {
					*start = s;
					*end = e;
					f->cur = e;
					return 1;
				}
			}
			if (!empty)
				depth++;
		}
		i = e;
	}
	return 0;
}

/* ---- the item -------------------------------------------------------- */

static inline int is(const xmlNode *n, const char *name)
{
	/* the first byte first: read_item asks each child a dozen names */
	return n->type == XML_ELEMENT_NODE && n->name[0] == (xmlChar)name[0] &&
	       !strcmp((const char *)n->name, name);
}

static int has_prefix_ns(const xmlNode *n, const char *frag)
{
	return n->ns && n->ns->href && strstr((const char *)n->ns->href, frag);
}

static char *prop(const xmlNode *n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

/* The element's text as plain text: Atom type="xhtml" children and
 * type="text" are taken as they are; everything else (Atom html, RSS
 * description, content:encoded) is HTML. */
static int node_text(feed_t *f, xmlNode *n, char **out)
{
	char *type = prop(n, "type"), *mode = prop(n, "mode");
	xmlChar *c = xmlNodeGetContent(n);
	int st = 0;
	*out = NULL;
	if (!c)
		goto done;
	if (type && (!strcmp(type, "text") || !strcmp(type, "text/plain"))) {
		custos_buf_clear(&f->tmp);
		st = custos_buf_adds(&f->tmp, (char *)c);
	} else if (type && (!strcmp(type, "xhtml") || !strcmp(type, "application/xhtml+xml")) &&
	           !(mode && !strcmp(mode, "escaped"))) {
		/* XHTML children: markup is already structure; use html_to_text on
		 * the serialized children so block elements still break lines */
		xmlBufferPtr xb = xmlBufferCreate();
		if (!xb) { st = CUSTOS_ENOMEM; goto done; }
		for (xmlNode *k = n->children; k; k = k->next)
			xmlNodeDump(xb, n->doc, k, 0, 0);
		st = html_to_text(&f->tmp, (const char *)xmlBufferContent(xb));
		xmlBufferFree(xb);
	} else {
		st = html_to_text(&f->tmp, (char *)c);
	}
	if (!st) {
		*out = strdup(f->tmp.data ? f->tmp.data : "");
		if (!*out)
			st = CUSTOS_ENOMEM;
	}
done:
	xmlFree(c);
	xmlFree(type);
	xmlFree(mode);
	return st;
}

/* href resolved against the xml:base in scope (not the file's own path). */
static char *resolve(xmlNode *n, const char *href)
{
	xmlChar *base = xmlNodeGetBase(NULL, n);
	xmlChar *abs = NULL;
	if (base)
		abs = xmlBuildURI((const xmlChar *)href, base);
	xmlFree(base);
	return abs ? (char *)abs : (char *)xmlStrdup((const xmlChar *)href);
}

static char *host_of(const char *url)
{
	xmlURIPtr u = url ? xmlParseURI(url) : NULL;
	char *h = NULL;
	if (u && u->server && *u->server) {
		h = strdup(u->server);
		for (char *p = h; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	xmlFreeURI(u);
	return h;
}

static int parse_date(xmlNode *n, int64_t *out)
{
	xmlChar *c = xmlNodeGetContent(n);
	int ok = 0;
	if (c) {
		const char *s = (const char *)c;
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		size_t len = strlen(s);
		while (len && strchr(" \t\r\n", s[len - 1]))
			len--;
		ok = len && custos_time_parse(out, s, len) == 0;
	}
	xmlFree(c);
	return ok;
}

typedef struct {
	char *title, *text, *id, *link, *author, *author_email, *lang;
	/* the description/summary, converted only when there is no content:
	 * most items have both, and the HTML to text of the excerpt was wasted */
	xmlNode *summary;
	int64_t published, updated;
} item_t;

static void item_free(item_t *it)
{
	free(it->title); free(it->text);
	xmlFree(it->id); xmlFree(it->link); free(it->author); free(it->author_email);
	xmlFree(it->lang);
}

static void set_str(char **slot, char *v)
{
	free(*slot);
	*slot = v;
}

static void set_xml(char **slot, char *v)
{
	xmlFree(*slot);
	*slot = v;
}

/* An RSS author "jo@example.com (Jo Doe)" gives name Jo Doe and the address. */
static void rss_author(item_t *it, const char *s)
{
	const char *open = strchr(s, '(');
	const char *close = open ? strrchr(open, ')') : NULL;
	if (open && close && strchr(s, '@') && strchr(s, '@') < open) {
		size_t e = (size_t)(open - s);
		while (e && s[e - 1] == ' ')
			e--;
		set_str(&it->author_email, strndup(s, e));
		set_str(&it->author, strndup(open + 1, (size_t)(close - open - 1)));
	} else {
		set_str(&it->author, strdup(s));
	}
}

static int strv_has(const custos_strv_t *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return 1;
	return 0;
}

/* Media RSS (media:content, media:thumbnail, media:group, and media:title /
 * media:description as fallbacks for the item's own). */
static int read_mrss(feed_t *f, xmlNode *n, item_t *it)
{
	custos_record_t *r = &f->rec;
	char *s = NULL;
	int st = 0;
	if (is(n, "group")) {
		for (xmlNode *k = n->children; k && st >= 0; k = k->next)
			if (k->type == XML_ELEMENT_NODE)
				st = read_mrss(f, k, it);
		return st;
	}
	if (is(n, "title") && !it->title) {
		if ((st = node_text(f, n, &s)) >= 0)
			set_str(&it->title, s);
	} else if (is(n, "description") && !it->summary) {
		it->summary = n;
	} else if (is(n, "content") || is(n, "thumbnail")) {
		char *url = prop(n, "url");
		if (url) {
			char *abs = resolve(n, url), *type = prop(n, "type"), *size = prop(n, "fileSize");
			custos_media_t *m = custos_record_media_add(r);
			if (!m || custos_record_sets(r, &m->url, abs) < 0 ||
			    custos_record_sets(r, &m->type, type ? type : is(n, "thumbnail") ? "thumbnail" : NULL) < 0 ||
			    (!strv_has(&r->urls, abs) && custos_record_strv_add(r, &r->urls, abs, strlen(abs)) < 0))
				st = CUSTOS_ENOMEM;
			else if (size)
				m->size = strtoll(size, NULL, 10);
			xmlFree(abs); xmlFree(type); xmlFree(size); xmlFree(url);
		}
	}
	return st < 0 ? st : 0;
}

static int read_item(feed_t *f, xmlNode *item, item_t *it)
{
	custos_record_t *r = &f->rec;
	int st = 0;
	xmlChar *about = xmlGetNsProp(item, (const xmlChar *)"about",
	                              (const xmlChar *)"http://www.w3.org/1999/02/22-rdf-syntax-ns#");
	if (about)
		set_xml(&it->id, (char *)about);
	it->lang = (char *)xmlNodeGetLang(item);
	for (xmlNode *n = item->children; n && st >= 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		char *s = NULL;
		if (has_prefix_ns(n, "search.yahoo.com/mrss")) {
			st = read_mrss(f, n, it);
			continue;
		}
		if (is(n, "title")) {
			if ((st = node_text(f, n, &s)) >= 0)
				set_str(&it->title, s);
		} else if (is(n, "link")) {
			char *href = prop(n, "href");
			if (href) {   /* Atom */
				char *rel = prop(n, "rel"), *abs = resolve(n, href);
				char *type = prop(n, "type");
				if ((!rel || !strcmp(rel, "alternate")) && !it->link)
					it->link = abs, abs = NULL;
				else if (rel && !strcmp(rel, "enclosure") && abs) {
					char *len = prop(n, "length");
					custos_media_t *m = custos_record_media_add(r);
					if (!m || custos_record_sets(r, &m->url, abs) < 0 ||
					    custos_record_sets(r, &m->type, type) < 0)
						st = CUSTOS_ENOMEM;
					else if (len)
						m->size = strtoll(len, NULL, 10);
					xmlFree(len);
				}
				if (abs && st >= 0)
					st = custos_record_strv_add(r, &r->urls, abs, strlen(abs));
				xmlFree(abs); xmlFree(rel); xmlFree(type); xmlFree(href);
			} else if (!has_prefix_ns(n, "Atom") && !has_prefix_ns(n, "atom")) {
				xmlChar *c = xmlNodeGetContent(n);
				const char *t = (const char *)c;
				while (t && strchr(" \t\r\n", *t) && *t)
					t++;
				if (t && *t) {
					char *v = strdup(t);
					size_t l = v ? strlen(v) : 0;
					while (l && strchr(" \t\r\n", v[l - 1]))
						v[--l] = 0;
					if (v) {
						set_xml(&it->link, resolve(n, v));
						free(v);
					}
				}
				xmlFree(c);
			}
		} else if (is(n, "guid") || (is(n, "id") && !it->id) || is(n, "identifier")) {
			xmlChar *c = xmlNodeGetContent(n);
			if (c && *c && (is(n, "guid") || !it->id))
				set_xml(&it->id, (char *)c);
			else
				xmlFree(c);
		} else if (is(n, "encoded") || is(n, "content") || is(n, "body") || is(n, "fullitem")) {
			if ((st = node_text(f, n, &s)) >= 0 && s && *s)
				set_str(&it->text, s);
			else
				free(s);
		} else if (is(n, "description") || is(n, "summary") || is(n, "abstract")) {
			it->summary = n;
		} else if (is(n, "author") || is(n, "creator")) {
			int atom = 0;
			for (xmlNode *k = n->children; k; k = k->next) {
				xmlChar *c = (is(k, "name") || is(k, "email")) ? xmlNodeGetContent(k) : NULL;
				if (!c)
					continue;
				atom = 1;
				if (is(k, "name"))
					set_str(&it->author, strdup((char *)c));
				else
					set_str(&it->author_email, strdup((char *)c));
				xmlFree(c);
			}
			if (!atom && !it->author) {
				xmlChar *c = xmlNodeGetContent(n);
				if (c && *c)
					rss_author(it, (char *)c);
				xmlFree(c);
			}
		} else if (is(n, "pubDate") || is(n, "published") || is(n, "issued") ||
		           is(n, "created") || (is(n, "date") && has_prefix_ns(n, "purl.org/dc"))) {
			int64_t t;
			if (parse_date(n, &t) && it->published == CUSTOS_TIME_NONE)
				it->published = t;
		} else if (is(n, "updated") || is(n, "modified")) {
			int64_t t;
			if (parse_date(n, &t))
				it->updated = t;
		} else if (is(n, "enclosure")) {
			char *url = prop(n, "url");
			if (url) {
				char *abs = resolve(n, url), *type = prop(n, "type"), *len = prop(n, "length");
				custos_media_t *m = custos_record_media_add(r);
				if (!m || custos_record_sets(r, &m->url, abs) < 0 ||
				    custos_record_sets(r, &m->type, type) < 0 ||
				    custos_record_strv_add(r, &r->urls, abs, strlen(abs)) < 0)
					st = CUSTOS_ENOMEM;
				else if (len)
					m->size = strtoll(len, NULL, 10);
				xmlFree(abs); xmlFree(type); xmlFree(len); xmlFree(url);
			}
		}
	}
	if (!it->link && it->id && (!strncmp(it->id, "http://", 7) || !strncmp(it->id, "https://", 8))) {
		/* an RSS guid is a permalink unless isPermaLink="false"; used only as a fallback */
		it->link = (char *)xmlStrdup((const xmlChar *)it->id);
	}
	if (st >= 0 && !it->text && it->summary)
		st = node_text(f, it->summary, &it->text);
	return st < 0 ? st : 0;
}

/* libxml2 2.9 can hand over bytes that are not UTF-8 after it switches
 * encodings mid-document in recovery; such bytes become U+FFFD so that every
 * record is UTF-8, as the record model requires (raw keeps the bytes). */
static int fix_utf8(custos_record_t *r, char **field)
{
	if (!*field)
		return 0;
	size_t n = strlen(*field), ok = custos_utf8_check(*field, n);
	if (ok == n)
		return 0;
	custos_buf_t b = { 0 };
	const char *p = *field;
	int st = 0;
	while (n && !st) {
		ok = custos_utf8_check(p, n);
		st |= custos_buf_add(&b, p, ok);
		if (ok < n) {
			st |= custos_buf_adds(&b, "\xEF\xBF\xBD");
			ok++;
		}
		p += ok;
		n -= ok;
	}
	if (!st)
		st = custos_record_set(r, field, b.data ? b.data : "", b.len);
	custos_buf_free(&b);
	return st ? CUSTOS_ENOMEM : 0;
}

static int fix_record_utf8(custos_record_t *r)
{
	char **fields[] = { &r->id, &r->account, &r->author_id, &r->author_handle, &r->author_name,
		&r->url, &r->title, &r->text, &r->lang };
	int st = 0;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		st |= fix_utf8(r, fields[i]);
	for (size_t i = 0; i < r->urls.n; i++)
		st |= fix_utf8(r, &r->urls.v[i]);
	for (size_t i = 0; i < r->n_media; i++) {
		st |= fix_utf8(r, &r->media[i].url);
		st |= fix_utf8(r, &r->media[i].type);
	}
	return st ? CUSTOS_ENOMEM : 0;
}


static int emit_item(feed_t *f, xmlNode *node, const char *qname, long line_fallback)
{
	custos_record_t *r = &f->rec;
	item_t it = { .published = CUSTOS_TIME_NONE, .updated = CUSTOS_TIME_NONE };
	custos_buf_t idb = { 0 };
	xmlBufferPtr xb = NULL;
	int st = 0;
	long line = xmlGetLineNo(node);   /* whole with XML_PARSE_BIG_LINES */
	char *host = NULL;

	if (line <= 0)
		line = line_fallback;
	if ((st = read_item(f, node, &it)) < 0)
		goto done;
	const char *native = it.id ? it.id : it.link;
	if (!f->feed_host)
		host = host_of(it.link);
	const char *h = f->feed_host ? f->feed_host : host ? host : "unknown";
	/* the item's bytes in the file; its serialized XML only when needed */
	size_t b0 = 0, b1 = 0;
	int verbatim = item_bytes(f, qname, &b0, &b1);
	if (!verbatim || !native || !*native) {
		if (!(xb = xmlBufferCreate())) {
			st = custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		xmlNodeDump(xb, node->doc, node, 0, 0);
	}
	if (native && *native) {
		st = custos_buf_printf(&idb, "feed:%s:%s", h, native);
	} else {
		/* no guid, id or link: the id comes from the item's serialized XML
		 * (not its bytes, so that a re-encoded feed gives the same ids) */
		uint8_t d[CUSTOS_SHA256_LEN];
		char hex[CUSTOS_SHA256_HEX];
		custos_sha256(d, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
		custos_hex(hex, d, 16);
		st = custos_buf_printf(&idb, "feed:%s:sha256-%s", h, hex);
	}
	if (st < 0) {
		st = custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	int64_t when = it.published != CUSTOS_TIME_NONE ? it.published : it.updated;
	if (when == CUSTOS_TIME_NONE)
		when = f->feed_date;
	if (when == CUSTOS_TIME_NONE) {
		/* an undated item still belongs in the archive; 0 marks "no date" */
		if (f->sink->warn && f->n_items == 0)
			f->sink->warn(f->sink->ctx, f->in->name,
			              "items without a date (and no feed date): created_at set to 1970-01-01");
		when = 0;
	}
	const char *author = it.author && *it.author ? it.author :
	                     it.author_email ? it.author_email :
	                     f->feed_author ? f->feed_author :
	                     f->feed_title && *f->feed_title ? f->feed_title : h;
	st = 0;
	st |= custos_record_sets(r, &r->id, idb.data);
	st |= custos_record_sets(r, &r->platform, "feed");
	st |= custos_record_sets(r, &r->kind, "post");
	st |= custos_record_sets(r, &r->account, f->feed_title && *f->feed_title ? f->feed_title : h);
	st |= custos_record_sets(r, &r->author_handle, author);
	st |= custos_record_sets(r, &r->author_name, it.author);
	st |= custos_record_sets(r, &r->author_id, it.author_email);
	st |= custos_record_sets(r, &r->title, it.title);
	st |= custos_record_sets(r, &r->text, it.text ? it.text : "");
	st |= custos_record_sets(r, &r->url, it.link);
	st |= custos_record_sets(r, &r->lang, it.lang && *it.lang ? it.lang : NULL);
	r->created_at = when;
	if (it.updated != CUSTOS_TIME_NONE && it.updated > when)
		r->edited_at = it.updated;
	if (it.link && !strv_has(&r->urls, it.link))
		st |= custos_record_strv_add(r, &r->urls, it.link, strlen(it.link));
	st |= fix_record_utf8(r);
	/* a feed has no entity lists: hashtags, mentions, cashtags and links
	 * are what the text holds */
	if (r->text && *r->text)
		st |= custos_extract_entities(r, r->text);
	st |= custos_record_sets(r, &r->source.format, "feed");
	st |= custos_record_sets(r, &r->source.file, f->in->name);
	r->source.line = line;
	if (verbatim) {
		r->source.offset = f->win_base + (int64_t)b0;
		st |= custos_record_set_raw(r, f->win.data + b0, b1 - b0);
	} else {
		r->source.offset = -1;
		st |= custos_record_set_raw(r, (const char *)xmlBufferContent(xb),
		                            (size_t)xmlBufferLength(xb));
	}
	if (st) {
		st = custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if ((st = f->sink->record(f->sink->ctx, r)) != 0) {
		if (st > 0)
			st = CUSTOS_EINTERNAL;
		if (!f->err->status)
			custos_err_set(f->err, st, "%s: line %ld: the record was refused", f->in->name, line);
		goto done;
	}
	f->n_items++;
done:
	custos_record_reset(r);
	item_free(&it);
	free(host);
	custos_buf_free(&idb);
	xmlBufferFree(xb);
	return st;
}

/* Feed-level facts: title, home link (its host names the ids), date. */
static void read_feed_child(feed_t *f, xmlNode *n)
{
	if ((is(n, "author") || is(n, "creator") || is(n, "managingEditor")) && !f->feed_author) {
		item_t it = { 0 };
		for (xmlNode *k = n->children; k; k = k->next) {
			if (is(k, "name")) {
				xmlChar *c = xmlNodeGetContent(k);
				if (c && *c)
					set_str(&it.author, strdup((char *)c));
				xmlFree(c);
			}
		}
		if (!it.author) {
			xmlChar *c = xmlNodeGetContent(n);
			if (c && *c)
				rss_author(&it, (char *)c);
			xmlFree(c);
		}
		if (it.author && *it.author)
			f->feed_author = it.author, it.author = NULL;
		item_free(&it);
	} else if (is(n, "title") && !f->feed_title) {
		char *s = NULL;
		if (node_text(f, n, &s) >= 0)
			f->feed_title = s;
	} else if (is(n, "link") && !f->feed_host) {
		char *href = prop(n, "href"), *rel = prop(n, "rel");
		if (href && (!rel || !strcmp(rel, "alternate"))) {
			char *abs = resolve(n, href);
			f->feed_host = host_of(abs);
			xmlFree(abs);
		} else if (!href) {
			xmlChar *c = xmlNodeGetContent(n);
			const char *t = (const char *)c;
			while (t && *t && strchr(" \t\r\n", *t))
				t++;
			if (t && *t) {
				char *abs = resolve(n, t);
				f->feed_host = host_of(abs);
				xmlFree(abs);
			}
			xmlFree(c);
		}
		xmlFree(href); xmlFree(rel);
	} else if (is(n, "pubDate") || is(n, "lastBuildDate") || is(n, "updated") ||
	           is(n, "modified") || is(n, "date")) {
		int64_t t;
		if (f->feed_date == CUSTOS_TIME_NONE && parse_date(n, &t))
			f->feed_date = t;
	}
}

/* Reads the rest of the input into the window (for raw bytes or a second
 * parse); 1 when the window then holds the whole file from its first byte. */
static int drain(feed_t *f)
{
	char buf[65536];
	int got;
	if (!f->capture)
		return 0;
	while (f->win_base == 0 && !f->win_oom && (got = raw_read(f, buf, (int)sizeof buf)) > 0)
		;
	return f->win_base == 0 && !f->win_oom && !f->in->err.status;
}

/* A file that holds no feed at all goes to the sink as one bad item (its
 * bytes as raw, up to 64 MB; its first 4 when they are not ASCII-compatible);
 * the sink decides whether that stops the import. */
static int whole_file_bad(feed_t *f, int line, const char *why)
{
	int st;
	if (drain(f) || (f->capture && f->win.len))
		st = f->sink->bad(f->sink->ctx, f->in->name, -1, line, why, f->win.data, f->win.len);
	else
		st = f->sink->bad(f->sink->ctx, f->in->name, -1, line, why, f->pend, f->pend_len);
	if (st == 0)
		return 0;
	return custos_err_set(f->err, st < 0 ? st : CUSTOS_EFORMAT, "%s: line %d: %s",
	                      f->in->name, line, why);
}

static int feed_kind(const char *root)
{
	return !strcmp(root, "rss") || !strcmp(root, "channel") ? FEED_RSS :
	       !strcmp(root, "RDF") ? FEED_RDF : !strcmp(root, "feed") ? FEED_ATOM : FEED_NONE;
}

static int feed_level(const char *name)
{
	static const char *const names[] = { "title", "link", "pubDate", "lastBuildDate", "updated",
		"modified", "date", "author", "creator", "managingEditor", NULL };
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

/* The second way in, for ill-formed feeds the reader gives up on before
 * its first item: the whole file parsed with libxml2's recovery into a
 * tree, walked in document order like the stream. */
static int walk_dom(feed_t *f, xmlNode *n, int depth)
{
	int st;
	for (xmlNode *k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		const char *name = (const char *)k->name;
		if ((!strcmp(name, "item") && f->kind != FEED_ATOM) ||
		    (!strcmp(name, "entry") && f->kind == FEED_ATOM)) {
			char qname[300];
			if (k->ns && k->ns->prefix)
				snprintf(qname, sizeof qname, "%s:%s", (const char *)k->ns->prefix, name);
			else
				snprintf(qname, sizeof qname, "%s", name);
			if ((st = emit_item(f, k, qname, xmlGetLineNo(k))) < 0)
				return st;
			continue;
		}
		if (feed_level(name) && (is(n, "channel") || (f->kind == FEED_ATOM && depth == 1))) {
			read_feed_child(f, k);
			continue;
		}
		if (depth < MAX_DEPTH && (st = walk_dom(f, k, depth + 1)) < 0)
			return st;
	}
	return 0;
}

static int recover_dom(feed_t *f, const char *enc, int opts)
{
	int st = 0;
	if (!drain(f))
		return 0;
	xmlDocPtr doc = xmlReadMemory(f->win.data, (int)f->win.len, NULL, enc, opts);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root && feed_kind((const char *)root->name) != FEED_NONE) {
		f->kind = feed_kind((const char *)root->name);
		free(f->feed_title); free(f->feed_author); free(f->feed_host);
		f->feed_title = f->feed_author = f->feed_host = NULL;
		f->feed_date = CUSTOS_TIME_NONE;
		f->cur = 0;
		if ((st = walk_dom(f, root, 1)) == 0 && f->sink->warn) {
			char msg[800];
			snprintf(msg, sizeof msg, "not well-formed XML (line %d: %s); read with libxml2's "
			         "recovery: %zu items", f->xml_err_line, f->xml_err, f->n_items);
			f->sink->warn(f->sink->ctx, f->in->name, msg);
		}
		if (st == 0)
			st = 1;
	}
	xmlFreeDoc(doc);
	return st;
}

/* Imports one feed from its stream. */
int custos_import__feed_stream(custos_input_t *in, const custos_import_sink_t *sink,
                               custos_err_t *err);
int custos_import__feed_stream(custos_input_t *in, const custos_import_sink_t *sink,
                               custos_err_t *err)
{
	feed_t f = { .in = in, .sink = sink, .err = err, .feed_date = CUSTOS_TIME_NONE };
	const char *stack[MAX_DEPTH] = { 0 };
	int st = 0, rc;
	const char *enc = NULL;
	xmlGenericErrorFunc old_fn = xmlGenericError;
	void *old_ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, silent);
	custos_record_init(&f.rec);
	/* libxml2 2.9 does not recognise the UTF-32 byte order marks: look for
	 * them here, name the encoding and leave the mark out */
	while (f.pend_len < 4) {
		ssize_t got = in->read(in, f.pend + f.pend_len, 4 - f.pend_len);
		if (got < 0) {
			*err = in->err;
			st = err->status ? err->status : custos_err_set(err, CUSTOS_EIO, "cannot read '%s'", in->name);
			custos_record_free(&f.rec);
			xmlSetGenericErrorFunc(old_ctx, old_fn);
			return st;
		}
		if (got == 0)
			break;
		f.pend_len += (size_t)got;
	}
	if (f.pend_len == 4 && !memcmp(f.pend, "\xff\xfe\0\0", 4))
		enc = "UTF-8", f.pend_pos = 4, f.u32 = 1;
	else if (f.pend_len == 4 && !memcmp(f.pend, "\0\0\xfe\xff", 4))
		enc = "UTF-8", f.pend_pos = 4, f.u32 = 2;
	/* UTF-16 (a BOM, or '<' with a zero byte) is not ASCII-compatible:
	 * its items' bytes cannot be found by looking for '<' */
	f.capture = !f.u32 && !(f.pend_len >= 2 &&
	            ((unsigned char)f.pend[0] == 0xFF || (unsigned char)f.pend[0] == 0xFE ||
	             f.pend[0] == 0 || f.pend[1] == 0));
	int opts = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	           XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_BIG_LINES |
	           (enc ? XML_PARSE_IGNORE_ENC : 0);
	xmlTextReaderPtr rd = xmlReaderForIO(io_read, io_close, &f, NULL, enc, opts);
	if (!rd) {
		st = custos_err_set(err, CUSTOS_ENOMEM, "%s: cannot start the XML reader", in->name);
		goto done;
	}
	xmlTextReaderSetErrorHandler(rd, on_error, &f);
	/* After an item (or a feed-level element) is expanded and read,
	 * xmlTextReaderNext skips its subtree and lands on the node after it,
	 * which the loop then looks at without reading on. */
	rc = xmlTextReaderRead(rd);
	while (rc == 1) {
		if (xmlTextReaderNodeType(rd) != XML_READER_TYPE_ELEMENT) {
			rc = xmlTextReaderRead(rd);
			continue;
		}
		int depth = xmlTextReaderDepth(rd);
		const char *name = (const char *)xmlTextReaderConstLocalName(rd);
		if (depth == 0 && (f.kind = feed_kind(name)) == FEED_NONE) {
			char why[300];
			snprintf(why, sizeof why, "not an RSS or Atom feed (root element <%.200s>)", name);
			st = whole_file_bad(&f, xmlTextReaderGetParserLineNumber(rd), why);
			goto done;
		}
		if (depth < MAX_DEPTH)
			stack[depth] = (const char *)xmlTextReaderConstString(rd, (const xmlChar *)name);
		const char *parent = depth > 0 && depth <= MAX_DEPTH ? stack[depth - 1] : NULL;
		if ((!strcmp(name, "item") && f.kind != FEED_ATOM) ||
		    (!strcmp(name, "entry") && f.kind == FEED_ATOM)) {
			xmlNode *node = xmlTextReaderExpand(rd);
			if (!node)
				break;   /* the reader failed inside the item: reported below */
			if ((st = emit_item(&f, node, (const char *)xmlTextReaderConstName(rd),
			                    xmlTextReaderGetParserLineNumber(rd))) < 0)
				goto done;
			rc = xmlTextReaderNext(rd);
			continue;
		}
		if (parent && (!strcmp(parent, "channel") || (f.kind == FEED_ATOM && depth == 1)) &&
		    feed_level(name)) {
			xmlNode *node = xmlTextReaderExpand(rd);
			if (!node)
				break;
			read_feed_child(&f, node);
			rc = xmlTextReaderNext(rd);
			continue;
		}
		rc = xmlTextReaderRead(rd);
	}
	if (st < 0)
		goto done;
	if (in->err.status) {   /* the input itself failed */
		*err = in->err;
		st = err->status;
		goto done;
	}
	if ((f.xml_fatal || rc < 0) && f.n_items == 0) {
		/* the reader stopped before any item: try the whole file again
		 * with recovery (1: done, 0: not a feed that way either) */
		int rec = recover_dom(&f, enc, opts);
		if (rec < 0) {
			st = rec;
			goto done;
		}
		if (rec == 1)
			f.xml_fatal = 0;
	}
	if (f.kind == FEED_NONE) {
		char why[700];
		snprintf(why, sizeof why, "not an XML feed%s%s", f.xml_err[0] ? ": " : "", f.xml_err);
		st = whole_file_bad(&f, f.xml_err_line > 0 ? f.xml_err_line : 1, why);
		goto done;
	}
	if (f.xml_fatal) {
		/* recovered what came before; the rest of the feed is not readable */
		char why[700];
		snprintf(why, sizeof why, "XML not well-formed at line %d: %s (%zu items read before)",
		         f.xml_err_line, f.xml_err, f.n_items);
		if ((st = sink->bad(sink->ctx, in->name, -1, f.xml_err_line, why, "", 0)) != 0) {
			st = custos_err_set(err, st < 0 ? st : CUSTOS_EFORMAT, "%s: %s", in->name, why);
			goto done;
		}
	}
	st = 0;
	if (sink->file_done && (st = sink->file_done(sink->ctx, in->name)) > 0)
		st = CUSTOS_EINTERNAL;
done:
	xmlFreeTextReader(rd);
	custos_record_free(&f.rec);
	custos_buf_free(&f.tmp);
	free(f.feed_title);
	free(f.feed_author);
	free(f.feed_host);
	custos_buf_free(&f.win);
	xmlSetGenericErrorFunc(old_ctx, old_fn);
	return st;
}

static int feed_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	if (!relpath)
		return 0;   /* feeds are single files */
	char buf[1025];
	size_t m = n < 1024 ? n : 1024, o = 0;
	/* UTF-16/32 heads: keep the ASCII bytes so the tags below can be seen */
	for (size_t i = 0; i < m; i++)
		if (head[i])
			buf[o++] = head[i];
	buf[o] = 0;
	if (strstr(buf, "<rss") || strstr(buf, "<rdf:RDF") || strstr(buf, "<RDF") ||
	    strstr(buf, "xmlns=\"http://www.w3.org/2005/Atom\"") ||
	    strstr(buf, "xmlns=\"http://purl.org/atom/ns#\"") || strstr(buf, "<feed"))
		return 90;
	if (strstr(buf, "<?xml") || strstr(buf, "<channel"))
		return 20;
	return 0;
}

static int feed_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                    custos_err_t *err)
{
	custos_input_t *in = NULL;
	if (!relpath)
		return custos_err_set(err, CUSTOS_EINVAL, "%s: a feed is one file, not a folder",
		                      custos_tree__name(t));
	int st = custos_tree__open(t, relpath, &in, err);
	if (st < 0)
		return st;
	st = custos_import__feed_stream(in, sink, err);
	custos_input__close(in);
	return st;
}

const custos_importer_t custos_import__feed = {
	.name = "feed",
	.detect = feed_detect,
	.run = feed_run,
};
