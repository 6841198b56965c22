/* The feed importer: RSS 0.9x/1.0 (RDF)/2.0 and Atom 0.3/1.0 items become
 * records. libxml2's push parser streams the document through SAX2
 * callbacks (encodings from the BOM or the XML declaration, recovery for
 * ill-formed feeds); each item is kept as a small tree of its own while it
 * is parsed, read, and forgotten, so a big feed stays small. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>

#include "import_internal.h"

typedef struct fnode fnode_t;
typedef struct frame frame_t;

typedef struct {
	custos_input_t *in;
	const custos_import_sink_t *sink;
	custos_err_t *err;
	custos_record_t rec;
	custos_buf_t tmp;            /* scratch for text conversion */
	custos_buf_t ctext;          /* an element's text content (content()) */
	xmlParserCtxtPtr ctxt;
	int     st;                  /* set by a callback: the parse stops (1: not a feed) */
	/* the open elements, and the item or feed-level element being kept */
	frame_t *frames;
	size_t  depth, n_frames;
	fnode_t *open;               /* innermost open element of it, NULL when none */
	int     cap_item;            /* it is an item (else a feed-level element) */
	int     cut;                 /* the parse ended inside an item */
	int     halted;              /* libxml2 stopped before the end of the input */
	size_t  skip;                /* items a second parse passes over (the first took them) */
	int     partial_ok;          /* the second parse reads an item left open as it stands */
	char    item_qname[300];     /* the last item's name as written */
	char    cap_qname[300];      /* its name as written, for item_bytes */
	custos_arena_t arena;        /* its nodes */
	custos_buf_t text;           /* its text */
	int     root_seen, root_closed;
	char    root_name[208];
	int     root_line;
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
	/* a feed that is not ASCII-compatible (UTF-16, UTF-32) keeps its
	 * bytes in win too, up to WIN_MAX, so that what is set aside as bad is
	 * the whole file rather than its first bytes */
	int     keep_all;
	custos_buf_t win;
	int64_t win_base;            /* file offset of win.data[0] */
	size_t  cur;                 /* where the next item is looked for */
	int     win_oom;
	unsigned char carry[4];
	size_t  carry_n;
	/* entities of the internal DTD, as the parser is handed them: one
	 * predefined-like entity per name holding its expanded text (see
	 * get_entity), and the bytes references have produced so far */
	xmlHashTablePtr ents;
	uint64_t ent_bytes;
	int     ent_refused;         /* the feed's entities expand past ENT_TOTAL */
	int     ent_line;
	char    ent_name[128];
} feed_t;

enum { FEED_NONE, FEED_RSS, FEED_RDF, FEED_ATOM };

static int raw_read(feed_t *f, char *buf, int len);
static int raw_read_in(feed_t *f, char *buf, int len);

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
	for (i = 0; i + 4 <= n; i += 4) {
		unsigned long cp = f->u32 == 1 ?
			(unsigned long)in[i] | (unsigned long)in[i + 1] << 8 | (unsigned long)in[i + 2] << 16 | (unsigned long)in[i + 3] << 24 :
			(unsigned long)in[i + 3] | (unsigned long)in[i + 2] << 8 | (unsigned long)in[i + 1] << 16 | (unsigned long)in[i] << 24;
		o += custos_utf8_put(buf + o, cp);   /* 4 bytes in, at most 4 out */
	}
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
	if ((!f->capture && !f->keep_all) || f->win_oom)
		return;
	if (f->keep_all) {
		if (f->win.len + n > WIN_MAX || custos_buf_add(&f->win, p, n) < 0) {
			custos_buf_free(&f->win);   /* too big to keep whole: its head alone is not it */
			f->win_oom = 1;
		}
		return;
	}
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
	if (got > 0)
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

/* libxml2 reports some failures (encoding conversion) through its generic
 * error function, which prints; the library must not print. */
static void silent(void *ctx, const char *msg, ...) { }

/* ---- text ----------------------------------------------------------- */

/* The character reference at s (a C string), as custos_html_ref. */
static size_t entity(const char *s, unsigned long *cp)
{
	return custos_html_ref(s, strnlen(s, 16), 0, cp);
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
		unsigned long cp;
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
		st |= custos_buf_add_cp(out, cp);
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

/* 1: the item's bytes are win[*start, *end); 2: its start tag is there but
 * not its end (a feed cut off inside it): *end is the window's end; 0: not
 * found. */
static int item_bytes(feed_t *f, const char *name, size_t *start, size_t *end)
{
	const char *w = f->win.data;
	size_t n = f->win.len, nl = strlen(name), i = f->cur, depth = 0, s = 0;
	if (!f->capture || f->win_oom || !w)
		return 0;
	while (i < n) {
		const char *lt = memchr(w + i, '<', n - i);
		if (!lt)
			break;
		i = (size_t)(lt - w);
		size_t e = markup_end(w, n, i);
		if (!e)
			break;
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
	if (!depth)
		return 0;
	*start = s;
	*end = n;
	return 2;
}

/* ---- the captured element ---------------------------------------------
 * An item (or a feed-level element such as the channel's title) is kept
 * while it is parsed as a small tree of its own: nodes in an arena, text in
 * one buffer, both reset once the element has been read. Building libxml2's
 * own tree for each item (and freeing it) cost about as much as parsing. */

struct fnode {
	const char *name;            /* local name; NULL for a text node */
	const char *prefix, *uri;    /* namespace prefix and URI, or NULL */
	const char **attrs;          /* n_attrs × { name, prefix, uri, value } */
	const char **nsdef;          /* n_ns × { prefix, uri }: declared on this element */
	int n_attrs, n_ns;
	size_t off, len;             /* a text node: its bytes in f->text */
	const char *base, *lang;     /* xml:base and xml:lang in scope */
	long line;
	fnode_t *parent, *children, *last, *next;
};

/* One open element, captured or not: its name (for "is the parent the
 * channel") and the xml:base and xml:lang in scope. */
struct frame {
	const char *name;
	const char *base, *lang;
	char *own_base, *own_lang;   /* set on this element, malloc'd (outside a kept element) */
};

static inline int is(const fnode_t *n, const char *name)
{
	/* the first byte first: read_item asks each child a dozen names */
	return n->name && n->name[0] == name[0] && !strcmp(n->name, name);
}

static int has_prefix_ns(const fnode_t *n, const char *frag)
{
	return n->uri && strstr(n->uri, frag);
}

/* An attribute by local name, whatever its namespace (as xmlGetProp). */
static const char *prop(const fnode_t *n, const char *name)
{
	for (int i = 0; i < n->n_attrs; i++)
		if (!strcmp(n->attrs[4 * i], name))
			return n->attrs[4 * i + 3];
	return NULL;
}

static const char *ns_prop(const fnode_t *n, const char *name, const char *uri)
{
	for (int i = 0; i < n->n_attrs; i++)
		if (!strcmp(n->attrs[4 * i], name) && n->attrs[4 * i + 2] &&
		    !strcmp(n->attrs[4 * i + 2], uri))
			return n->attrs[4 * i + 3];
	return NULL;
}

static int add_content(feed_t *f, const fnode_t *n)
{
	int st = 0;
	for (const fnode_t *k = n->children; k && !st; k = k->next)
		st = k->name ? add_content(f, k) : custos_buf_add(&f->ctext, f->text.data + k->off, k->len);
	return st;
}

/* The text of every text node under n, in order (as xmlNodeGetContent):
 * NUL-terminated in f->ctext, valid until the next call; NULL on OOM. */
static const char *content(feed_t *f, const fnode_t *n)
{
	custos_buf_clear(&f->ctext);
	if (add_content(f, n) < 0 || custos_buf_reserve(&f->ctext, 1) < 0)
		return NULL;
	f->ctext.data[f->ctext.len] = 0;
	return f->ctext.data;
}

static char *dup_content(feed_t *f, const fnode_t *n)
{
	const char *c = content(f, n);
	return c ? strdup(c) : NULL;
}

static int add_escaped(custos_buf_t *b, const char *s, size_t n, int attr)
{
	int st = 0;
	size_t run = 0;
	for (size_t i = 0; i < n && !st; i++) {
		const char *e = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" :
		                attr && s[i] == '"' ? "&quot;" : NULL;
		if (!e)
			continue;
		st |= custos_buf_add(b, s + run, i - run);
		st |= custos_buf_adds(b, e);
		run = i + 1;
	}
	st |= custos_buf_add(b, s + run, n - run);
	return st ? CUSTOS_ENOMEM : 0;
}

/* The children of an Atom type="xhtml" element as markup, for html_to_text
 * (which keeps only their text and where the blocks break). */
static int add_markup(feed_t *f, custos_buf_t *b, const fnode_t *n)
{
	int st = 0;
	for (const fnode_t *k = n->children; k && !st; k = k->next) {
		if (!k->name) {
			st = add_escaped(b, f->text.data + k->off, k->len, 0);
			continue;
		}
		st |= custos_buf_printf(b, "<%s%s%s", k->prefix ? k->prefix : "", k->prefix ? ":" : "",
		                        k->name) < 0;
		for (int i = 0; i < k->n_attrs && !st; i++) {
			const char *v = k->attrs[4 * i + 3];
			st |= custos_buf_printf(b, " %s=\"", k->attrs[4 * i]) < 0;
			st |= add_escaped(b, v, strlen(v), 1) < 0;
			st |= custos_buf_addc(b, '"') < 0;
		}
		if (!k->children) {
			st |= custos_buf_adds(b, "/>") < 0;
			continue;
		}
		st |= custos_buf_addc(b, '>') < 0;
		st |= add_markup(f, b, k) < 0;
		st |= custos_buf_printf(b, "</%s%s%s>", k->prefix ? k->prefix : "", k->prefix ? ":" : "",
		                        k->name) < 0;
	}
	return st ? CUSTOS_ENOMEM : 0;
}

/* The element's text as plain text: Atom type="xhtml" children and
 * type="text" are taken as they are; everything else (Atom html, RSS
 * description, content:encoded) is HTML. */
static int node_text(feed_t *f, const fnode_t *n, char **out)
{
	const char *type = prop(n, "type"), *mode = prop(n, "mode");
	int st;
	*out = NULL;
	if (type && (!strcmp(type, "text") || !strcmp(type, "text/plain"))) {
		const char *c = content(f, n);
		custos_buf_clear(&f->tmp);
		st = c ? custos_buf_adds(&f->tmp, c) : CUSTOS_ENOMEM;
	} else if (type && (!strcmp(type, "xhtml") || !strcmp(type, "application/xhtml+xml")) &&
	           !(mode && !strcmp(mode, "escaped"))) {
		/* XHTML children: markup is already structure; html_to_text on the
		 * children written out again, so block elements still break lines */
		custos_buf_clear(&f->ctext);
		st = add_markup(f, &f->ctext, n);
		if (!st && custos_buf_addc(&f->ctext, 0) < 0)
			st = CUSTOS_ENOMEM;
		if (!st)
			st = html_to_text(&f->tmp, f->ctext.data);
	} else {
		const char *c = content(f, n);
		st = c ? html_to_text(&f->tmp, c) : CUSTOS_ENOMEM;
	}
	if (!st) {
		*out = strdup(f->tmp.data ? f->tmp.data : "");
		if (!*out)
			st = CUSTOS_ENOMEM;
	}
	return st;
}

/* href resolved against the xml:base in scope (not the file's own path):
 * malloc'd, NULL on OOM. */
static char *resolve(const fnode_t *n, const char *href)
{
	xmlChar *abs = n->base ? xmlBuildURI((const xmlChar *)href, (const xmlChar *)n->base) : NULL;
	char *r = strdup(abs ? (const char *)abs : href);
	xmlFree(abs);
	return r;
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

static int parse_date(feed_t *f, const fnode_t *n, int64_t *out)
{
	const char *s = content(f, n);
	if (!s)
		return 0;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t len = strlen(s);
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	/* a date past year 9999 is kept: the record's validation names it */
	int st = len ? custos_time_parse(out, s, len) : CUSTOS_EFORMAT;
	return st == 0 || st == CUSTOS_ETOOBIG;
}

/* An item's guid, id or rdf:about as its id: XML's blanks (space, tab, CR,
 * LF) around it dropped and each run of them inside made one space, as
 * XML Schema's token type reads it (a pretty-printed <guid> spans lines).
 * malloc'd; NULL when nothing is left. */
static char *token(const char *t)
{
	if (!t)
		return NULL;
	char *out = malloc(strlen(t) + 1), *o = out;
	if (!out)
		return NULL;
	for (; *t; t++) {
		if (!strchr(" \t\r\n", *t))
			*o++ = *t;
		else if (o > out && !strchr(" \t\r\n", t[1]) && t[1])
			*o++ = ' ';
	}
	*o = '\0';
	if (o == out) {
		free(out);
		return NULL;
	}
	return out;
}

/* The text without the blanks around it, malloc'd; NULL when none is left. */
static char *trimmed(const char *t)
{
	while (t && *t && strchr(" \t\r\n", *t))
		t++;
	if (!t || !*t)
		return NULL;
	size_t l = strlen(t);
	while (l && strchr(" \t\r\n", t[l - 1]))
		l--;
	return strndup(t, l);
}

typedef struct {
	char *title, *text, *id, *link, *author, *author_email, *lang;
	/* the description/summary, converted only when there is no content:
	 * most items have both, and the HTML to text of the excerpt was wasted */
	const fnode_t *summary;
	int64_t published, updated;
} item_t;

static void item_free(item_t *it)
{
	free(it->title); free(it->text); free(it->id); free(it->link);
	free(it->author); free(it->author_email); free(it->lang);
}

static void set_str(char **slot, char *v)
{
	free(*slot);
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

/* An enclosure-like element (RSS enclosure, Media RSS content/thumbnail):
 * its URL resolved, as a media entry and one of the URLs (once: unless it
 * is there already). */
static int add_media(custos_record_t *r, const fnode_t *n, const char *url, const char *type,
                     const char *size, int once)
{
	char *abs = resolve(n, url);
	custos_media_t *m = abs ? custos_record_media_add(r) : NULL;
	int st = 0;
	if (!m || custos_record_sets(r, &m->url, abs) < 0 || custos_record_sets(r, &m->type, type) < 0 ||
	    (!(once && strv_has(&r->urls, abs)) && custos_record_strv_add(r, &r->urls, abs, strlen(abs)) < 0))
		st = CUSTOS_ENOMEM;
	else if (size)
		m->size = strtoll(size, NULL, 10);
	free(abs);
	return st;
}

/* Media RSS (media:content, media:thumbnail, media:group, and media:title /
 * media:description as fallbacks for the item's own). */
static int read_mrss(feed_t *f, const fnode_t *n, item_t *it)
{
	char *s = NULL;
	int st = 0;
	if (is(n, "group")) {
		for (const fnode_t *k = n->children; k && st >= 0; k = k->next)
			if (k->name)
				st = read_mrss(f, k, it);
		return st;
	}
	if (is(n, "title") && !it->title) {
		if ((st = node_text(f, n, &s)) >= 0)
			set_str(&it->title, s);
	} else if (is(n, "description") && !it->summary) {
		it->summary = n;
	} else if ((is(n, "content") || is(n, "thumbnail")) && prop(n, "url")) {
		const char *type = prop(n, "type");
		st = add_media(&f->rec, n, prop(n, "url"), type ? type : is(n, "thumbnail") ? "thumbnail" : NULL,
		               prop(n, "fileSize"), 1);
	}
	return st < 0 ? st : 0;
}

/* An Atom <link href=...>: the first alternate is the item's link, an
 * enclosure is media; every href is one of the item's URLs. */
static int read_atom_link(feed_t *f, const fnode_t *n, item_t *it)
{
	custos_record_t *r = &f->rec;
	const char *rel = prop(n, "rel"), *type = prop(n, "type"), *len = prop(n, "length");
	char *abs = resolve(n, prop(n, "href"));
	int st = 0;
	if (!abs)
		return CUSTOS_ENOMEM;
	if ((!rel || !strcmp(rel, "alternate")) && !it->link) {
		it->link = abs;
		abs = NULL;
	} else if (rel && !strcmp(rel, "enclosure")) {
		custos_media_t *m = custos_record_media_add(r);
		if (!m || custos_record_sets(r, &m->url, abs) < 0 || custos_record_sets(r, &m->type, type) < 0)
			st = CUSTOS_ENOMEM;
		else if (len)
			m->size = strtoll(len, NULL, 10);
	}
	if (abs && st >= 0)   /* the alternate link goes in last (emit_item) */
		st = custos_record_strv_add(r, &r->urls, abs, strlen(abs));
	free(abs);
	return st;
}

static int read_item(feed_t *f, const fnode_t *item, item_t *it)
{
	int st = 0;
	const char *about = ns_prop(item, "about", "http://www.w3.org/1999/02/22-rdf-syntax-ns#");
	if (about && *about && !(it->id = token(about)) && strspn(about, " \t\r\n") != strlen(about))
		return CUSTOS_ENOMEM;
	if (item->lang && !(it->lang = strdup(item->lang)))
		return CUSTOS_ENOMEM;
	for (const fnode_t *n = item->children; n && st >= 0; n = n->next) {
		if (!n->name)
			continue;
		char *s = NULL;
		if (has_prefix_ns(n, "search.yahoo.com/mrss")) {
			st = read_mrss(f, n, it);
		} else if (is(n, "title")) {
			if ((st = node_text(f, n, &s)) >= 0)
				set_str(&it->title, s);
		} else if (is(n, "link")) {
			if (prop(n, "href")) {
				st = read_atom_link(f, n, it);
			} else if (!has_prefix_ns(n, "Atom") && !has_prefix_ns(n, "atom")) {
				char *v = trimmed(content(f, n));
				if (v) {
					set_str(&it->link, resolve(n, v));
					free(v);
				}
			}
		} else if (is(n, "guid") || (is(n, "id") && !it->id) || is(n, "identifier")) {
			char *c = token(content(f, n));
			if (c && (is(n, "guid") || !it->id))
				set_str(&it->id, c);
			else
				free(c);
		} else if (is(n, "encoded") || is(n, "content") || is(n, "body") || is(n, "fullitem")) {
			if ((st = node_text(f, n, &s)) >= 0 && s && *s)
				set_str(&it->text, s);
			else
				free(s);
		} else if (is(n, "description") || is(n, "summary") || is(n, "abstract")) {
			it->summary = n;
		} else if (is(n, "author") || is(n, "creator")) {
			int atom = 0;
			for (const fnode_t *k = n->children; k; k = k->next) {
				if (!is(k, "name") && !is(k, "email"))
					continue;
				atom = 1;
				set_str(is(k, "name") ? &it->author : &it->author_email, dup_content(f, k));
			}
			const char *c;
			if (!atom && !it->author && (c = content(f, n)) && *c)
				rss_author(it, c);
		} else if (is(n, "pubDate") || is(n, "published") || is(n, "issued") ||
		           is(n, "created") || (is(n, "date") && has_prefix_ns(n, "purl.org/dc"))) {
			int64_t t;
			if (parse_date(f, n, &t) && it->published == CUSTOS_TIME_NONE)
				it->published = t;
		} else if (is(n, "updated") || is(n, "modified")) {
			int64_t t;
			if (parse_date(f, n, &t))
				it->updated = t;
		} else if (is(n, "enclosure") && prop(n, "url")) {
			st = add_media(&f->rec, n, prop(n, "url"), prop(n, "type"), prop(n, "length"), 0);
		}
	}
	if (!it->link && it->id && (!strncmp(it->id, "http://", 7) || !strncmp(it->id, "https://", 8))) {
		/* an RSS guid is a permalink unless isPermaLink="false"; used only as a fallback */
		it->link = strdup(it->id);
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

/* The namespace prefix:uri for a node being rebuilt: in scope on it or an
 * ancestor, else declared on the holder above the item (as the feed's root
 * declared it), so that the item's serialization names no more than libxml2
 * would for the item inside its document. */
static xmlNsPtr ns_for(xmlDocPtr doc, xmlNodePtr holder, xmlNodePtr node, const char *prefix,
                       const char *uri)
{
	if (prefix && !strcmp(prefix, "xml"))
		return xmlSearchNs(doc, node, (const xmlChar *)"xml");
	xmlNsPtr ns = xmlSearchNs(doc, node, (const xmlChar *)prefix);
	if (ns && ns->href && !strcmp((const char *)ns->href, uri))
		return ns;
	return xmlNewNs(holder, (const xmlChar *)uri, (const xmlChar *)prefix);
}

static xmlNodePtr rebuild(feed_t *f, xmlDocPtr doc, xmlNodePtr holder, xmlNodePtr parent,
                          const fnode_t *n)
{
	if (!n->name) {
		xmlNodePtr t = xmlNewDocTextLen(doc, (const xmlChar *)f->text.data + n->off, (int)n->len);
		return t && xmlAddChild(parent, t) ? t : NULL;
	}
	xmlNodePtr e = xmlNewDocNode(doc, NULL, (const xmlChar *)n->name, NULL);
	if (!e || !xmlAddChild(parent, e))
		return NULL;
	for (int i = 0; i < n->n_ns; i++)
		if (!xmlNewNs(e, (const xmlChar *)n->nsdef[2 * i + 1], (const xmlChar *)n->nsdef[2 * i]))
			return NULL;
	if (n->uri && !(e->ns = ns_for(doc, holder, e, n->prefix, n->uri)))
		return NULL;
	for (int i = 0; i < n->n_attrs; i++) {
		const char *const *a = n->attrs + 4 * i;
		xmlNsPtr ns = a[2] ? ns_for(doc, holder, e, a[1], a[2]) : NULL;
		if ((a[2] && !ns) || !xmlNewNsProp(e, ns, (const xmlChar *)a[0], (const xmlChar *)a[3]))
			return NULL;
	}
	for (const fnode_t *k = n->children; k; k = k->next)
		if (!rebuild(f, doc, holder, e, k))
			return NULL;
	return e;
}

/* The item as libxml2 serializes it inside its document: raw when the
 * item's bytes cannot be found, and what an item with no id is named by
 * (its ids must not change from one release to the next). */
static int dump_item(feed_t *f, const fnode_t *item, xmlBufferPtr xb)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr holder = doc ? xmlNewDocNode(doc, NULL, (const xmlChar *)"holder", NULL) : NULL;
	xmlNodePtr e = NULL;
	if (holder) {
		/* libxml2 writes characters as they are when the document declared
		 * an encoding, as references when not: as in the feed's own tree */
		xmlDocPtr src = f->ctxt ? f->ctxt->myDoc : NULL;
		if (src && src->encoding)
			doc->encoding = xmlStrdup(src->encoding);
		xmlDocSetRootElement(doc, holder);
		e = rebuild(f, doc, holder, holder, item);
	}
	int st = e && xmlNodeDump(xb, doc, e, 0, 0) >= 0 ? 0 : CUSTOS_ENOMEM;
	xmlFreeDoc(doc);
	return st;
}

static int emit_item(feed_t *f, const fnode_t *node, const char *qname)
{
	custos_record_t *r = &f->rec;
	item_t it = { .published = CUSTOS_TIME_NONE, .updated = CUSTOS_TIME_NONE };
	custos_buf_t idb = { 0 };
	xmlBufferPtr xb = NULL;
	int st = 0;
	long line = node->line;
	char *host = NULL;

	if ((st = read_item(f, node, &it)) < 0)
		goto oom;
	const char *native = it.id ? it.id : it.link;
	/* a control character cannot be in an id (docs/record-format.md, "Ids"):
	 * such an item is named as one with no guid, id or link */
	for (const char *c = native; c && *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			native = NULL;
			break;
		}
	if (!f->feed_host)
		host = host_of(it.link);
	const char *h = f->feed_host ? f->feed_host : host ? host : "unknown";
	/* the item's bytes in the file; its serialized XML only when needed */
	size_t b0 = 0, b1 = 0;
	int verbatim = item_bytes(f, qname, &b0, &b1) == 1;
	if (!verbatim || !native || !*native) {
		if (!(xb = xmlBufferCreate()) || dump_item(f, node, xb) < 0)
			goto oom;
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
	if (st < 0)
		goto oom;
	int64_t when = it.published != CUSTOS_TIME_NONE ? it.published : it.updated;
	if (when == CUSTOS_TIME_NONE)
		when = f->feed_date;
	if (when == CUSTOS_TIME_NONE) {
		/* an undated item still belongs in the archive: marked undated,
		 * its created_at a placeholder that retention does not count from */
		if (f->sink->warn && f->n_items == 0)
			f->sink->warn(f->sink->ctx, f->in->name, "items without a date (and no feed date): "
			              "stored as undated (has:nodate); retention counts from their capture");
		when = 0;
		r->undated = true;
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
	if (st)
		goto oom;
	if ((st = f->sink->record(f->sink->ctx, r)) != 0) {
		if (st > 0)
			st = CUSTOS_EINTERNAL;
		if (!f->err->status)
			custos_err_set(f->err, st, "%s: line %ld: the record was refused", f->in->name, line);
		goto done;
	}
	f->n_items++;
	goto done;
oom:
	st = custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory");
done:
	custos_record_reset(r);
	item_free(&it);
	free(host);
	custos_buf_free(&idb);
	xmlBufferFree(xb);
	return st;
}

/* An item the first parse already took (see custos_import__feed_stream):
 * only the window's cursor moves past its bytes, so that the items after
 * it find theirs. */
static int pass_over(feed_t *f)
{
	size_t b0, b1;
	f->skip--;
	(void)item_bytes(f, f->cap_qname, &b0, &b1);
	return 0;
}

/* Feed-level facts: title, home link (its host names the ids), date. */
static int read_feed_child(feed_t *f, const fnode_t *n)
{
	if ((is(n, "author") || is(n, "creator") || is(n, "managingEditor")) && !f->feed_author) {
		item_t it = { 0 };
		for (const fnode_t *k = n->children; k; k = k->next) {
			const char *c;
			if (is(k, "name") && (c = content(f, k)) && *c)
				set_str(&it.author, strdup(c));
		}
		const char *c;
		if (!it.author && (c = content(f, n)) && *c)
			rss_author(&it, c);
		if (it.author && *it.author)
			f->feed_author = it.author, it.author = NULL;
		item_free(&it);
	} else if (is(n, "title") && !f->feed_title) {
		char *s = NULL;
		if (node_text(f, n, &s) >= 0)
			f->feed_title = s;
	} else if (is(n, "link") && !f->feed_host) {
		const char *href = prop(n, "href"), *rel = prop(n, "rel");
		char *v = href ? NULL : trimmed(content(f, n)), *abs = NULL;
		if ((href && (!rel || !strcmp(rel, "alternate"))) || v)
			abs = resolve(n, href ? href : v);
		f->feed_host = host_of(abs);
		free(abs);
		free(v);
	} else if (is(n, "pubDate") || is(n, "lastBuildDate") || is(n, "updated") ||
	           is(n, "modified") || is(n, "date")) {
		int64_t t;
		if (f->feed_date == CUSTOS_TIME_NONE && parse_date(f, n, &t))
			f->feed_date = t;
	}
	return 0;
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

/* Reads the rest of a feed that keeps all its bytes (keep_all); 1 when
 * the window then holds the whole file. */
static int drain_all(feed_t *f)
{
	char buf[65536];
	int got;
	if (!f->keep_all)
		return 0;
	while (!f->win_oom && (got = raw_read(f, buf, (int)sizeof buf)) > 0)
		;
	return !f->win_oom && !f->in->err.status;
}

/* A file that holds no feed at all goes to the sink as one bad item (its
 * bytes as raw, up to 64 MB, whatever its encoding); the sink decides
 * whether that stops the import. */
static int whole_file_bad(feed_t *f, int line, const char *why)
{
	int st;
	if (drain(f) || (f->capture && f->win.len) || drain_all(f))
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

/* ---- the SAX2 callbacks --------------------------------------------------
 * libxml2 calls these with its parser context (which the entity handlers it
 * lends us need); the feed is the context's _private. */

static void stop(feed_t *f, int st)
{
	if (!f->st)
		f->st = st;
	xmlStopParser(f->ctxt);
}

static void on_error(void *vctx, xmlErrorPtr e)
{
	feed_t *f = ((xmlParserCtxtPtr)vctx)->_private;
	if (!f)   /* raised while the parser is made: taken from it after (parse) */
		return;
	if (e->level >= XML_ERR_ERROR)
		f->xml_fatal = 1;
	if (f->xml_err[0] || !e->message)
		return;
	size_t n = strlen(e->message);
	while (n && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
		n--;
	snprintf(f->xml_err, sizeof f->xml_err, "%.*s", (int)n, e->message);
	f->xml_err_line = e->line;
}

#define ENT_DEPTH 8            /* entities within entities, deeper is refused */
#define ENT_MAX   (64u << 10)  /* the text one reference may give */

/* The text of s (an entity's value, or an attribute value libxml2 hands
 * over with references left in): the five XML entities and character
 * references decoded, the document's internal entities expanded in turn,
 * markup left out (its text kept), as libxml2's own tree reads. -1 (and
 * nothing to use) for a loop, too deep a nesting, more than ENT_MAX bytes
 * or an external entity: what libxml2 refuses, its tree gives no text for. */
static int expand(xmlParserCtxtPtr ctxt, const char *s, int depth, custos_buf_t *out)
{
	if (depth > ENT_DEPTH)
		return -1;
	while (*s) {
		unsigned long cp;
		size_t n = strcspn(s, "<&");
		if (n && custos_buf_add(out, s, n) < 0)
			return -1;
		s += n;
		if (*s == '<') {   /* markup: its text stays, the tag goes */
			const char *e = strchr(s, '>');
			if (!e)
				return -1;
			s = e + 1;
		} else if (*s == '&') {
			const char *semi = strchr(s, ';');
			if (!semi)
				return -1;
			if (s[1] == '#' || ((n = entity(s, &cp)) && cp && cp < 128 && strchr("&<>\"'", (int)cp) &&
			                    (size_t)(semi - s) + 1 == n)) {
				if (!(n = entity(s, &cp)) || custos_buf_add_cp(out, cp) < 0)
					return -1;
				s += n;
				continue;
			}
			char name[256];
			size_t nl = (size_t)(semi - s) - 1;
			if (nl == 0 || nl >= sizeof name)
				return -1;
			memcpy(name, s + 1, nl);
			name[nl] = 0;
			xmlEntityPtr e = ctxt->myDoc ? xmlGetDocEntity(ctxt->myDoc, (const xmlChar *)name) : NULL;
			if (!e || e->etype != XML_INTERNAL_GENERAL_ENTITY || !e->content ||
			    expand(ctxt, (const char *)e->content, depth + 1, out) < 0)
				return -1;
			s = semi + 1;
		}
		if (out->len > ENT_MAX)
			return -1;
	}
	return 0;
}

#define ENT_TOTAL ((uint64_t)16 << 20)  /* the text all of a feed's references may give */

/* Counts n bytes of text that entity references gave; past ENT_TOTAL the
 * parse stops, and the feed is refused where it got to (a few entities
 * referenced many times can make gigabytes of a megabyte). 0 or -1. */
static int ent_spend(feed_t *f, xmlParserCtxtPtr ctxt, const xmlChar *name, size_t n)
{
	f->ent_bytes += n;
	if (f->ent_bytes <= ENT_TOTAL || f->ent_refused)
		return f->ent_refused ? -1 : 0;
	f->ent_refused = 1;
	f->ent_line = xmlSAX2GetLineNumber(ctxt);
	snprintf(f->ent_name, sizeof f->ent_name, "%.100s", (const char *)name);
	stop(f, 2);
	return -1;
}

/* An attribute value: libxml2 (not replacing entities) hands "&amp;" and
 * "&#38;" over as "&#38;", and a reference to an entity of the document's
 * DTD as it is; its own tree builder decodes them later, and so does this. */
static const char *attr_value(feed_t *f, const xmlChar *v, const xmlChar *end)
{
	size_t n = (size_t)(end - v);
	char *s = custos_arena_strndup(&f->arena, (const char *)v, n);
	if (!s || !memchr(s, '&', n))
		return s;
	custos_buf_t b = { 0 };
	const char *r = s;
	if (expand(f->ctxt, s, 0, &b) == 0 &&
	    ent_spend(f, f->ctxt, (const xmlChar *)"(in an attribute)", b.len) == 0)
		r = custos_arena_strndup(&f->arena, b.data ? b.data : "", b.len);
	custos_buf_free(&b);
	return r;
}

static fnode_t *new_node(feed_t *f, const char *name)
{
	fnode_t *n = custos_arena_alloc(&f->arena, sizeof *n);
	if (!n)
		return NULL;
	memset(n, 0, sizeof *n);
	n->name = name;
	if ((n->parent = f->open)) {
		if (f->open->last)
			f->open->last->next = n;
		else
			f->open->children = n;
		f->open->last = n;
	}
	return n;
}

static void on_start(void *vctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri,
                     int nb_ns, const xmlChar **nss, int nb_attrs, int nb_def, const xmlChar **attrs)
{
	xmlParserCtxtPtr ctxt = vctx;
	feed_t *f = ctxt->_private;
	const char *name = (const char *)local;
	size_t depth = f->depth;
	if (f->st || ctxt != f->ctxt)   /* an entity's content: see on_reference */
		return;
	if (depth == 0 && !f->root_seen) {
		f->root_seen = 1;
		if ((f->kind = feed_kind(name)) == FEED_NONE) {
			snprintf(f->root_name, sizeof f->root_name, "%.200s", name);
			f->root_line = xmlSAX2GetLineNumber(f->ctxt);
			stop(f, 1);
			return;
		}
	}
	if (depth == f->n_frames) {
		size_t cap = f->n_frames ? 2 * f->n_frames : 16;
		frame_t *nf = realloc(f->frames, cap * sizeof *nf);
		if (!nf) {
			stop(f, custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory"));
			return;
		}
		f->frames = nf;
		f->n_frames = cap;
	}
	const frame_t *up = depth ? &f->frames[depth - 1] : NULL;
	frame_t *fr = &f->frames[depth];
	const char *xbase = NULL, *xlang = NULL;
	for (int i = 0; i < nb_attrs; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (a[2] && !strcmp((const char *)a[2], (const char *)XML_XML_NAMESPACE)) {
			if (!strcmp((const char *)a[0], "base"))
				xbase = attr_value(f, a[3], a[4]);
			else if (!strcmp((const char *)a[0], "lang"))
				xlang = attr_value(f, a[3], a[4]);
		}
	}
	fr->name = name;
	fr->own_base = fr->own_lang = NULL;
	fr->base = up ? up->base : NULL;
	fr->lang = up ? up->lang : NULL;
	f->depth++;
	if (xbase) {
		/* as xmlNodeGetBase: relative to the base in scope; none when that fails */
		xmlChar *b = fr->base ? xmlBuildURI((const xmlChar *)xbase, (const xmlChar *)fr->base) :
		                        xmlStrdup((const xmlChar *)xbase);
		fr->base = fr->own_base = b ? strdup((const char *)b) : NULL;
		xmlFree(b);
	}
	if (xlang && !(fr->lang = fr->own_lang = strdup(xlang))) {
		stop(f, custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory"));
		return;
	}
	int item = (!strcmp(name, "item") && f->kind != FEED_ATOM) ||
	           (!strcmp(name, "entry") && f->kind == FEED_ATOM);
	if (!f->open) {
		int level = up && (!strcmp(up->name, "channel") || (f->kind == FEED_ATOM && depth == 1)) &&
		            feed_level(name);
		if (!item && !level)
			return;
		f->cap_item = item;
		snprintf(f->cap_qname, sizeof f->cap_qname, "%s%s%s", prefix ? (const char *)prefix : "",
		         prefix ? ":" : "", name);
		if (item)
			memcpy(f->item_qname, f->cap_qname, sizeof f->item_qname);
	}
	fnode_t *n = new_node(f, name);
	if (!n) {
		stop(f, custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory"));
		return;
	}
	n->prefix = (const char *)prefix;
	n->uri = (const char *)uri;
	n->line = xmlSAX2GetLineNumber(f->ctxt);
	/* the node outlives its frame (it is read when the item ends): what the
	 * frame owns moves to the arena, for the node and the frames below it */
	int oom = 0;
	if (fr->own_base) {
		oom |= !(fr->base = custos_arena_strdup(&f->arena, fr->own_base));
		free(fr->own_base);
		fr->own_base = NULL;
	}
	if (fr->own_lang) {
		oom |= !(fr->lang = custos_arena_strdup(&f->arena, fr->own_lang));
		free(fr->own_lang);
		fr->own_lang = NULL;
	}
	n->base = fr->base;
	n->lang = fr->lang;
	n->n_attrs = nb_attrs;
	n->n_ns = nb_ns;
	n->attrs = nb_attrs ? custos_arena_alloc(&f->arena, 4 * (size_t)nb_attrs * sizeof *n->attrs) : NULL;
	n->nsdef = nb_ns ? custos_arena_alloc(&f->arena, 2 * (size_t)nb_ns * sizeof *n->nsdef) : NULL;
	if (oom || (nb_attrs && !n->attrs) || (nb_ns && !n->nsdef)) {
		stop(f, custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory"));
		return;
	}
	for (int i = 0; i < nb_attrs; i++) {
		const xmlChar **a = attrs + 5 * i;
		n->attrs[4 * i] = (const char *)a[0];
		n->attrs[4 * i + 1] = (const char *)a[1];
		n->attrs[4 * i + 2] = (const char *)a[2];
		if (!(n->attrs[4 * i + 3] = attr_value(f, a[3], a[4]))) {
			stop(f, custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory"));
			return;
		}
	}
	for (int i = 0; i < 2 * nb_ns; i++)
		n->nsdef[i] = (const char *)nss[i];
	f->open = n;
}

static void pop_frame(feed_t *f)
{
	frame_t *fr = &f->frames[--f->depth];
	free(fr->own_base);
	free(fr->own_lang);
	fr->own_base = fr->own_lang = NULL;
}

static void on_end(void *vctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	feed_t *f = ((xmlParserCtxtPtr)vctx)->_private;
	if (f->st || !f->depth || vctx != f->ctxt)
		return;
	pop_frame(f);
	if (f->depth == 0)
		f->root_closed = 1;
	if (!f->open)
		return;
	fnode_t *n = f->open;
	f->open = n->parent;
	if (f->open)
		return;
	/* the captured element is whole: read it, then forget it */
	int st = f->cap_item && f->skip ? pass_over(f) :
	         f->cap_item ? emit_item(f, n, f->cap_qname) : read_feed_child(f, n);
	custos_arena_reset(&f->arena);
	custos_buf_clear(&f->text);
	if (st < 0)
		stop(f, st);
}

static void on_text(void *vctx, const xmlChar *s, int len)
{
	feed_t *f = ((xmlParserCtxtPtr)vctx)->_private;
	if (!f->open || f->st || len <= 0 || vctx != f->ctxt)
		return;
	fnode_t *last = f->open->last;
	if (!(last && !last->name && last->off + last->len == f->text.len) &&
	    !(last = new_node(f, NULL))) {
		stop(f, custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory"));
		return;
	}
	if (!last->len)
		last->off = f->text.len;
	if (custos_buf_add(&f->text, s, (size_t)len) < 0) {
		stop(f, custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory"));
		return;
	}
	last->len += (size_t)len;
}

/* Reads the element left open when a parse stopped, from what it holds. */
static int close_open(feed_t *f)
{
	fnode_t *n = f->open;
	if (!n || (f->cap_item && !f->partial_ok))
		return 0;   /* (an item left open then is cut off: parse sets cut) */
	while (n->parent)
		n = n->parent;
	f->open = NULL;
	int st = f->cap_item && f->skip ? pass_over(f) :
	         f->cap_item ? emit_item(f, n, f->cap_qname) : read_feed_child(f, n);
	size_t b0, b1;
	if (f->cap_item && item_bytes(f, f->cap_qname, &b0, &b1) == 2)
		f->cur = f->win.len;   /* it runs to the end: nothing after it is unread */
	custos_arena_reset(&f->arena);
	custos_buf_clear(&f->text);
	return st;
}

static void ent_free(void *payload, const xmlChar *name)
{
	xmlEntityPtr e = payload;
	xmlFree((xmlChar *)e->name);
	xmlFree(e->content);
	xmlFree(e);
}

/* The entity a reference names, for libxml2. libxml2 would parse an
 * internal entity's value at its references (all of them, nested ones
 * again at each level: a "billion laughs" DTD makes it give up on the
 * whole feed). Instead, in element content it is handed an entity of the
 * predefined kind holding the value's text, expanded once by expand()
 * (nothing, with a warning, for what expand refuses), which it passes on
 * as characters; in an attribute value it keeps the reference, which
 * attr_value expands. Every reference's text counts towards ENT_TOTAL. */
static xmlEntityPtr get_entity(void *vctx, const xmlChar *name)
{
	xmlParserCtxtPtr ctxt = vctx;
	feed_t *f = ctxt->_private;
	xmlEntityPtr e = xmlSAX2GetEntity(vctx, name), x;
	if (!f || !e || e->etype != XML_INTERNAL_GENERAL_ENTITY || ctxt != f->ctxt ||
	    ctxt->inSubset)   /* a declaration naming another entity: kept as written */
		return e;
	e->checked = 2;   /* "checked, no '<'": libxml2 never parses it */
	if (ctxt->instate == XML_PARSER_ATTRIBUTE_VALUE)
		return e;
	if (!f->ents && !(f->ents = xmlHashCreate(16)))
		return NULL;
	if (!(x = xmlHashLookup(f->ents, name))) {
		custos_buf_t b = { 0 };
		int ok = e->content && expand(ctxt, (const char *)e->content, 1, &b) == 0;
		if (!ok) {
			custos_import__warn(f->sink, f->in->name, "line %d: the entity '%.100s' is not "
			                    "expanded (a loop, entities nested over %d deep, or over %u KB "
			                    "of text): it reads as nothing", xmlSAX2GetLineNumber(ctxt),
			                    (const char *)name, ENT_DEPTH, ENT_MAX >> 10);
			b.len = 0;
		}
		if ((x = xmlMalloc(sizeof *x))) {
			memset(x, 0, sizeof *x);
			x->type = XML_ENTITY_DECL;
			x->etype = XML_INTERNAL_PREDEFINED_ENTITY;
			x->name = xmlStrdup(name);
			x->content = xmlStrndup((const xmlChar *)(b.data ? b.data : ""), (int)b.len);
			x->length = (int)b.len;
			if (!x->name || !x->content ||
			    xmlHashAddEntry(f->ents, name, x) != 0) {
				ent_free(x, name);
				x = NULL;
			}
		}
		custos_buf_free(&b);
		if (!x) {
			stop(f, custos_err_set(f->err, CUSTOS_ENOMEM, "out of memory"));
			return NULL;
		}
	}
	if (ent_spend(f, ctxt, name, (size_t)x->length) < 0)
		return NULL;
	return x;
}

/* One parse of the feed through the callbacks: from the input, or (mem) from
 * bytes already read. Returns 0, or the first callback's error. */
static int parse(feed_t *f, const char *enc, int opts, const char *mem, size_t mem_n)
{
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.cdataBlock = on_text;
	sax.ignorableWhitespace = on_text;
	sax.serror = on_error;
	/* the document and its internal DTD subset hold entity declarations:
	 * libxml2's own handlers keep them (external ones are never loaded) */
	sax.startDocument = xmlSAX2StartDocument;
	sax.endDocument = xmlSAX2EndDocument;
	sax.internalSubset = xmlSAX2InternalSubset;
	sax.entityDecl = xmlSAX2EntityDecl;
	sax.getEntity = get_entity;
	sax.getParameterEntity = xmlSAX2GetParameterEntity;
	xmlParserCtxtPtr ctxt;
	char head[8];
	int got = 0;
	if (mem) {
		/* libxml2's pull parser, given the whole file, recovers from some
		 * errors (bytes not in the declared encoding, an entity loop) that
		 * stop its push parser */
		if ((ctxt = xmlCreateMemoryParserCtxt(mem, (int)mem_n)))
			memcpy(ctxt->sax, &sax, sizeof sax);
	} else {
		/* the first bytes tell libxml2 the encoding (what io_read decodes
		 * of UTF-32 in one go is up to 4 bytes) */
		while (got < 4) {
			int n = io_read(f, head + got, 4);
			if (n <= 0)
				break;
			got += n;
		}
		ctxt = xmlCreatePushParserCtxt(&sax, NULL, head, got, NULL);
	}
	if (!ctxt)
		return custos_err_set(f->err, CUSTOS_ENOMEM, "%s: cannot start the XML parser", f->in->name);
	ctxt->_private = f;
	f->ctxt = ctxt;
	xmlErrorPtr e0 = xmlCtxtGetLastError(ctxt);
	if (e0 && e0->code != XML_ERR_OK)   /* an error already (an encoding libxml2 refuses) */
		on_error(ctxt, e0);
	xmlCtxtUseOptions(ctxt, opts);
	if (enc) {
		xmlCharEncodingHandlerPtr h = xmlFindCharEncodingHandler(enc);
		if (h)
			xmlSwitchToEncoding(ctxt, h);
	}
	if (mem) {
		xmlParseDocument(ctxt);
	} else {
		char buf[65536];
		while (!f->st && (got = io_read(f, buf, (int)sizeof buf)) > 0) {
			if (xmlParseChunk(ctxt, buf, got, 0) != 0 && ctxt->disableSAX)
				break;   /* libxml2 gave up on the document */
		}
		if (!f->st && !f->in->err.status)
			xmlParseChunk(ctxt, NULL, 0, 1);
	}
	/* libxml2 stopped before the end by itself (disableSAX): an error it
	 * reports, or one it does not (an encoder failing on bytes not in the
	 * declared encoding raises nothing the callbacks see) */
	f->halted = ctxt->disableSAX && !f->st;
	if (f->halted && !f->xml_fatal && !f->root_closed) {
		f->xml_fatal = 1;
		snprintf(f->xml_err, sizeof f->xml_err, "libxml2 stopped reading here (bytes not in "
		         "the declared encoding?)");
		f->xml_err_line = xmlSAX2GetLineNumber(ctxt);
	}
	/* the whole file at once is the last try: an element left open where
	 * libxml2 stopped is read as it stands (its names are in the parser's
	 * dictionary, its xml:base in the frames: both go below) */
	int st = mem && !f->st && f->kind != FEED_NONE ? close_open(f) : 0;
	if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	xmlFreeParserCtxt(ctxt);
	f->ctxt = NULL;
	xmlHashFree(f->ents, ent_free);
	f->ents = NULL;
	while (f->depth)   /* elements left open: a truncated or abandoned feed */
		pop_frame(f);
	f->cut = f->open && f->cap_item;   /* an item left open: the feed stops inside it */
	f->open = NULL;   /* its nodes name what the parser's dictionary held */
	return f->st < 0 ? f->st : st;
}

/* The bytes of the item a feed stops inside, from its start tag to the end
 * of the file (the window is kept whole up to WIN_MAX). */
static int cut_off_item(feed_t *f, size_t *b0, size_t *b1)
{
	char buf[65536];
	int got;
	while (f->capture && !f->win_oom && f->win.len + sizeof buf < WIN_MAX &&
	       (got = raw_read(f, buf, (int)sizeof buf)) > 0)
		;
	return item_bytes(f, f->cap_qname, b0, b1) != 0;   /* 1: stopped inside a whole one */
}

/* After a parse that stopped short: whether the bytes not read hold the
 * start of another item (then items were lost, not only the document's
 * end). */
static int items_unread(feed_t *f)
{
	size_t b0, b1, cur = f->cur;
	const char *name = f->item_qname[0] ? f->item_qname : f->kind == FEED_ATOM ? "entry" : "item";
	int r = item_bytes(f, name, &b0, &b1) != 0;
	f->cur = cur;   /* a question only: the cursor stays */
	return r;
}

/* Forgets what a parse learnt, for a second parse of the same bytes. */
static void restart(feed_t *f)
{
	free(f->feed_title); free(f->feed_author); free(f->feed_host);
	f->feed_title = f->feed_author = f->feed_host = NULL;
	f->feed_date = CUSTOS_TIME_NONE;
	f->open = NULL;
	f->cur = 0;
	f->root_seen = f->root_closed = 0;
	f->kind = FEED_NONE;
	f->st = 0;
	custos_arena_reset(&f->arena);
	custos_buf_clear(&f->text);
}

/* Imports one feed from its stream. */
int custos_import__feed_stream(custos_input_t *in, const custos_import_sink_t *sink,
                               custos_err_t *err);
int custos_import__feed_stream(custos_input_t *in, const custos_import_sink_t *sink,
                               custos_err_t *err)
{
	feed_t f = { .in = in, .sink = sink, .err = err, .feed_date = CUSTOS_TIME_NONE };
	int st = 0;
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
			goto done;
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
	f.keep_all = !f.capture;
	if (f.keep_all)   /* a UTF-32 BOM, which raw_read does not hand over again */
		win_add(&f, f.pend, f.pend_pos);
	int opts = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	           XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_BIG_LINES |
	           (enc ? XML_PARSE_IGNORE_ENC : 0);
	if ((st = parse(&f, enc, opts, NULL, 0)) < 0)
		goto done;
	if (in->err.status) {   /* the input itself failed */
		*err = in->err;
		st = err->status;
		goto done;
	}
	if (f.st == 1) {   /* stopped at the root: XML, but not a feed */
		char why[300];
		snprintf(why, sizeof why, "not an RSS or Atom feed (root element <%s>)", f.root_name);
		st = whole_file_bad(&f, f.root_line, why);
		goto done;
	}
	if (f.ent_refused) {
		/* what came before is in; the rest is one bad item, with the bytes
		 * of the item it stopped in (to the end of the file), or with the
		 * whole file when its items' bytes cannot be found */
		char why[600];
		size_t b0 = 0, b1 = 0;
		const char *raw = "";
		if (f.cut && cut_off_item(&f, &b0, &b1))
			raw = f.win.data + b0;
		else if (drain_all(&f))
			raw = f.win.data, b0 = 0, b1 = f.win.len;
		else
			b0 = b1 = 0;
		snprintf(why, sizeof why, "entity references expand to more than %llu MB of text "
		         "(reached at line %d, a reference to '%s'): refused from there (%zu item%s "
		         "read before)", (unsigned long long)(ENT_TOTAL >> 20), f.ent_line, f.ent_name,
		         f.n_items, f.n_items == 1 ? "" : "s");
		if ((st = sink->bad(sink->ctx, in->name, b1 > b0 && f.capture ? f.win_base + (int64_t)b0
		                                                              : -1,
		                    f.ent_line, why, raw, b1 - b0)) != 0)
			st = custos_err_set(err, st < 0 ? st : CUSTOS_ETOOBIG, "%s: line %d: %s", in->name,
			                    f.ent_line, why);
		goto done;
	}
	int recovered = 0;
	if (f.xml_fatal && f.kind != FEED_NONE && !f.root_closed && drain(&f)) {
		/* libxml2 gave up before any item, or stopped short: once more over
		 * the whole file at once, which its recovery gets further with (the
		 * items already in are passed over); what is left open where it
		 * stops is read as it stands, as a tree it built would be */
		f.skip = f.n_items;
		f.partial_ok = f.n_items == 0;   /* else an item cut off stays one (bad) */
		restart(&f);
		if ((st = parse(&f, enc, opts, f.win.data, f.win.len)) < 0)
			goto done;
		if (f.st == 1)
			f.kind = FEED_NONE;
		recovered = f.kind != FEED_NONE;
	}
	if (f.kind == FEED_NONE) {
		char why[700];
		snprintf(why, sizeof why, "not an XML feed%s%s", f.xml_err[0] ? ": " : "", f.xml_err);
		st = whole_file_bad(&f, f.xml_err_line > 0 ? f.xml_err_line : 1, why);
		goto done;
	}
	if (f.xml_fatal && !f.root_closed && (f.cut || !recovered || items_unread(&f))) {
		/* the feed stops short: what came before is in; an item cut off
		 * goes to the sink as bad, with its bytes; and so does the rest
		 * when libxml2 gave up with items still ahead */
		char why[800];
		size_t b0 = 0, b1 = 0;
		const char *raw = "";
		int whole = 0;
		if (f.cut && cut_off_item(&f, &b0, &b1))
			raw = f.win.data + b0;
		else if ((whole = drain_all(&f)))   /* UTF-16/32: the item's bytes cannot be found */
			raw = f.win.data, b0 = 0, b1 = f.win.len;
		else
			b0 = b1 = 0;
		/* items after it (a cut-off item that runs to the end has none) */
		int more = !whole && b1 > b0 && b1 >= f.win.len ? 0 : items_unread(&f);
		snprintf(why, sizeof why, "XML not well-formed at line %d: %s (%zu item%s read before%s%s%s)",
		         f.xml_err_line, f.xml_err, f.n_items, f.n_items == 1 ? "" : "s",
		         b1 > b0 && !whole ? "; the next is cut off" : "",
		         more || (f.halted && (b1 <= b0 || whole)) ?
		         "; libxml2 read no further: the items after it are not in" : "",
		         whole ? "; kept: the whole file, whose items' bytes cannot be told apart "
		                 "in its encoding" : "");
		if ((st = sink->bad(sink->ctx, in->name, b1 > b0 && !whole ? f.win_base + (int64_t)b0 : -1,
		                    f.xml_err_line, why, raw, b1 - b0)) != 0) {
			st = custos_err_set(err, st < 0 ? st : CUSTOS_EFORMAT, "%s: %s", in->name, why);
			goto done;
		}
	} else if (f.xml_fatal && sink->warn) {
		char msg[800];
		snprintf(msg, sizeof msg, "not well-formed XML (line %d: %s); read with libxml2's "
		         "recovery: %zu item%s", f.xml_err_line, f.xml_err, f.n_items,
		         f.n_items == 1 ? "" : "s");
		sink->warn(sink->ctx, in->name, msg);
	}
	st = 0;
	if (sink->file_done && (st = sink->file_done(sink->ctx, in->name)) > 0)
		st = CUSTOS_EINTERNAL;
done:
	custos_record_free(&f.rec);
	custos_buf_free(&f.tmp);
	custos_buf_free(&f.text);
	custos_buf_free(&f.ctext);
	custos_arena_free(&f.arena);
	free(f.frames);
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
	/* a document type declaration names the root before its internal
	 * subset, which can run far past the head */
	const char *dt = strstr(buf, "<!DOCTYPE");
	if (dt) {
		dt += 9;
		while (*dt == ' ' || *dt == '\t' || *dt == '\r' || *dt == '\n')
			dt++;
		size_t k = strcspn(dt, " \t\r\n[>");
		if ((k == 3 && !strncmp(dt, "rss", 3)) || (k == 4 && !strncmp(dt, "feed", 4)) ||
		    (k == 7 && !strncmp(dt, "rdf:RDF", 7)) || (k == 3 && !strncmp(dt, "RDF", 3)))
			return 90;
	}
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
