/* Streaming scan of a JSON document for array elements: only boundaries are
 * found (strings, escapes, nesting), so the memory held is one read chunk
 * plus the largest element, whatever the size of the file. Elements are
 * parsed afterwards, one by one, by the importer. */
#include "import_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK    (256 * 1024)
#define MAX_ELEM ((size_t)64 << 20)
#define MAX_COMP 8

enum { ST_START, ST_OBJ, ST_ARR, ST_SEQ, ST_AFTER, ST_DONE };
enum { TRUNC = 1 };   /* skip_value: the input ended inside the value */

struct custos_jsonscan {
	custos_input_t *in;
	char    *buf;
	size_t   cap, len, pos;
	int      eof;
	int64_t  base;       /* file offset of buf[0] */
	int64_t  line;       /* line number at buf[line_pos] */
	size_t   line_pos;
	ssize_t  keep;       /* start of bytes a refill must keep, -1 for none */
	char    *comp[MAX_COMP];
	size_t   ncomp;
	int      seq;        /* path NULL: a sequence of top-level values */
	unsigned only, occ;
	int      state;
	size_t   level;      /* objects entered along the path */
	int      arr_first;
	unsigned arrays;     /* top-level arrays after the first (custos_jsonscan__arrays) */
	int      drained;
	custos_err_t ioerr;
};

int custos_jsonscan__open(custos_jsonscan_t **out, custos_input_t *in, const char *path)
{
	custos_jsonscan_t *js = calloc(1, sizeof *js);
	*out = NULL;
	if (!js)
		return CUSTOS_ENOMEM;
	js->in = in;
	js->cap = CHUNK * 2;
	js->keep = -1;
	js->line = 1;
	js->base = in->consumed;
	js->state = ST_START;
	if (!(js->buf = malloc(js->cap)))
		goto oom;
	if (!path) {
		js->seq = 1;
	} else if (*path) {
		const char *p = path;
		while (*p) {
			const char *dot = strchr(p, '.');
			size_t k = dot ? (size_t)(dot - p) : strlen(p);
			if (js->ncomp == MAX_COMP) {
				custos_jsonscan__free(js);
				return CUSTOS_EINVAL;
			}
			if (!(js->comp[js->ncomp++] = strndup(p, k)))
				goto oom;
			p += k + (dot != NULL);
		}
	}
	*out = js;
	return CUSTOS_OK;
oom:
	custos_jsonscan__free(js);
	return CUSTOS_ENOMEM;
}

void custos_jsonscan__free(custos_jsonscan_t *js)
{
	if (!js)
		return;
	for (size_t i = 0; i < js->ncomp; i++)
		free(js->comp[i]);
	free(js->buf);
	free(js);
}

void custos_jsonscan__only(custos_jsonscan_t *js, unsigned nth)
{
	js->only = nth;
}

unsigned custos_jsonscan__arrays(const custos_jsonscan_t *js)
{
	return js->arrays + 1;
}

unsigned custos_jsonscan__dup_keys(const custos_jsonscan_t *js)
{
	return js->occ > 1 ? js->occ - 1 : 0;
}

static void count_lines_to(custos_jsonscan_t *js, size_t p)
{
	const char *s = js->buf + js->line_pos, *e = js->buf + p;
	while (s < e && (s = memchr(s, '\n', (size_t)(e - s)))) {
		js->line++;
		s++;
	}
	js->line_pos = p;
}

/* Reads more input, keeping bytes from keep (or pos) on. Returns 1 with
 * more bytes, 0 at the end, negative on error (ioerr says why). */
static int refill(custos_jsonscan_t *js)
{
	size_t discard = js->keep >= 0 ? (size_t)js->keep : js->pos;
	if (js->eof)
		return 0;
	if (discard > 0) {
		if (js->line_pos < discard)
			count_lines_to(js, discard);
		memmove(js->buf, js->buf + discard, js->len - discard);
		js->len -= discard;
		js->pos -= discard;
		js->line_pos -= discard;
		js->base += (int64_t)discard;
		if (js->keep >= 0)
			js->keep -= (ssize_t)discard;
	}
	if (js->cap - js->len < CHUNK) {
		if (js->len > MAX_ELEM)
			return custos_err_set(&js->ioerr, CUSTOS_ETOOBIG,
			                      "%s: line %lld (byte %lld): element over %zu bytes",
			                      js->in->name, (long long)js->line, (long long)js->base,
			                      MAX_ELEM);
		char *nb = realloc(js->buf, js->cap * 2);
		if (!nb)
			return custos_err_set(&js->ioerr, CUSTOS_ENOMEM, "out of memory reading '%s'",
			                      js->in->name);
		js->buf = nb;
		js->cap *= 2;
	}
	ssize_t r = js->in->read(js->in, js->buf + js->len, js->cap - js->len);
	if (r < 0) {
		js->ioerr = js->in->err;
		return js->in->err.status ? js->in->err.status : CUSTOS_EIO;
	}
	if (r == 0) {
		js->eof = 1;
		return 0;
	}
	js->len += (size_t)r;
	return 1;
}

/* The next byte without consuming it: -1 at the end, < -1 on error. */
static inline int peekc(custos_jsonscan_t *js)
{
	if (js->pos == js->len) {
		int r = refill(js);
		if (r < 0)
			return -2;  /* ioerr says why */
		if (r == 0)
			return -1;
	}
	return (unsigned char)js->buf[js->pos];
}

static int skip_ws(custos_jsonscan_t *js)
{
	for (;;) {
		while (js->pos < js->len) {
			char c = js->buf[js->pos];
			if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
				return (unsigned char)c;
			js->pos++;
		}
		int c = peekc(js);
		if (c < 0)
			return c;
	}
}

/* White space and the ';' a script may end a statement with ("...];"). */
static int skip_ws_semis(custos_jsonscan_t *js)
{
	int c = skip_ws(js);
	while (c == ';') {
		js->pos++;
		c = skip_ws(js);
	}
	return c;
}

/* Skips a string whose opening quote has been consumed. */
static int skip_string(custos_jsonscan_t *js)
{
	for (;;) {
		const char *s = js->buf + js->pos, *e = js->buf + js->len;
		while (s < e && *s != '"' && *s != '\\')
			s++;
		js->pos = (size_t)(s - js->buf);
		if (s < e) {
			if (*s == '"') {
				js->pos++;
				return 0;
			}
			/* a backslash: skip it and the byte it escapes */
			if (js->pos + 1 < js->len) {
				js->pos += 2;
				continue;
			}
		}
		int r = refill(js);
		if (r < 0)
			return r;
		if (r == 0)
			return TRUNC;
	}
}

/* Skips one value starting at pos (whitespace already skipped). */
static int skip_value(custos_jsonscan_t *js)
{
	int c = peekc(js), r;
	if (c < -1)
		return js->ioerr.status ? js->ioerr.status : CUSTOS_EIO;
	if (c == -1)
		return TRUNC;
	if (c == '"') {
		js->pos++;
		return skip_string(js);
	}
	if (c == '{' || c == '[') {
		size_t depth = 0;
		for (;;) {
			while (js->pos < js->len) {
				char ch = js->buf[js->pos++];
				if (ch == '"') {
					if ((r = skip_string(js)) != 0)
						return r;
				} else if (ch == '{' || ch == '[') {
					depth++;
				} else if (ch == '}' || ch == ']') {
					if (--depth == 0)
						return 0;
				}
			}
			if ((r = refill(js)) < 0)
				return r;
			if (r == 0)
				return TRUNC;
		}
	}
	/* a number, true, false, null (or garbage the parser will refuse) */
	for (;;) {
		while (js->pos < js->len) {
			char ch = js->buf[js->pos];
			if (ch == ',' || ch == ']' || ch == '}' || ch == ' ' || ch == '\n' ||
			    ch == '\r' || ch == '\t')
				return 0;
			js->pos++;
		}
		if ((r = refill(js)) < 0)
			return r;
		if (r == 0)
			return 0;
	}
}

static int fail(custos_jsonscan_t *js, custos_err_t *err, const char *what)
{
	count_lines_to(js, js->pos);
	js->state = ST_DONE;
	js->drained = 1;
	return custos_err_set(err, CUSTOS_EFORMAT, "%s: line %lld (byte %lld): %s", js->in->name,
	                      (long long)js->line, (long long)(js->base + (int64_t)js->pos), what);
}

static int io_fail(custos_jsonscan_t *js, int c, custos_err_t *err)
{
	js->state = ST_DONE;
	js->drained = 1;
	(void)c;
	if (err)
		*err = js->ioerr;
	return js->ioerr.status ? js->ioerr.status : CUSTOS_EIO;
}

/* Takes the value at pos as the element to hand over. */
static int take(custos_jsonscan_t *js, const char **elem, size_t *n, int64_t *offset,
                int64_t *line, custos_err_t *err)
{
	int r;
	js->keep = (ssize_t)js->pos;
	count_lines_to(js, js->pos);
	r = skip_value(js);
	/* a stray ',', ']' or '}' where a value should start: hand it over as
	 * a one-byte element (the parser refuses it) so the scan moves on */
	if (r == 0 && js->pos == (size_t)js->keep && js->pos < js->len)
		js->pos++;
	/* refill may have moved the buffer: keep holds the start */
	*elem = js->buf + js->keep;
	*n = js->pos - (size_t)js->keep;
	*offset = js->base + js->keep;
	*line = js->line;
	js->keep = -1;
	if (r == TRUNC) {
		js->state = ST_DONE;
		js->drained = 1;
		*n = js->len - (size_t)(*elem - js->buf);
		return custos_err_set(err, CUSTOS_EFORMAT,
		                      "%s: line %lld (byte %lld): input ends inside this element",
		                      js->in->name, (long long)*line, (long long)*offset);
	}
	if (r < 0) {
		js->state = ST_DONE;
		js->drained = 1;
		if (err)
			*err = js->ioerr;
		return r;
	}
	return 1;
}

/* A JS prefix at pos (window.YTD.tweets.part0 = [ ...), skipped up to its
 * '=' and the white space after; returns the next byte as skip_ws does,
 * or a negative status. */
static int script_prefix(custos_jsonscan_t *js, int c, custos_err_t *err)
{
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'))
		return c;
	for (;;) {
		c = peekc(js);
		if (c < -1)
			return io_fail(js, c, err);
		if (c == -1)
			break;
		js->pos++;
		if (c == '=')
			break;
		if (c == '\n')
			return fail(js, err, "a script prefix without '='");
	}
	c = skip_ws(js);
	if (c < -1)
		return io_fail(js, c, err);
	return c;
}

static int start(custos_jsonscan_t *js, custos_err_t *err)
{
	int c;
	/* a UTF-8 byte order mark */
	if (peekc(js) == 0xEF && js->len - js->pos >= 3 &&
	    memcmp(js->buf + js->pos, "\xEF\xBB\xBF", 3) == 0)
		js->pos += 3;
	c = skip_ws(js);
	if (c < -1)
		return io_fail(js, c, err);
	if ((c = script_prefix(js, c, err)) < -1)
		return c;
	if (js->seq) {
		js->state = ST_SEQ;
		return 0;
	}
	if (c == -1) {
		js->state = ST_DONE;
		return 0;
	}
	if (js->ncomp == 0) {
		if (c == '[') {
			js->pos++;
			js->state = ST_ARR;
			js->arr_first = 1;
		} else {
			js->state = ST_SEQ;  /* the single value is the element */
			js->level = SIZE_MAX;
		}
		return 0;
	}
	if (c != '{') {
		js->state = ST_DONE;  /* no object: nothing at the path */
		return 0;
	}
	js->pos++;
	js->state = ST_OBJ;
	js->level = 0;
	return 0;
}

int custos_jsonscan__next(custos_jsonscan_t *js, const char **elem, size_t *n,
                          int64_t *offset, int64_t *line, custos_err_t *err)
{
	int c, r;
	for (;;) {
		switch (js->state) {
		case ST_START:
			if ((r = start(js, err)) < 0)
				return r;
			break;
		case ST_SEQ:
			if ((c = skip_ws_semis(js)) < -1)
				return io_fail(js, c, err);
			if (c == -1) {
				js->state = ST_DONE;
				break;
			}
			if (js->level == SIZE_MAX && !js->seq && js->arr_first)
				return fail(js, err, "text after the document's value");
			if (js->level == SIZE_MAX)
				js->arr_first = 1;  /* a single top-level value: hand it over once */
			return take(js, elem, n, offset, line, err);
		case ST_ARR:
			c = skip_ws(js);
			if (c < -1)
				return io_fail(js, c, err);
			if (c == -1)
				return fail(js, err, "input ends inside the array");
			if (c == ']') {
				js->pos++;
				js->state = js->ncomp ? ST_OBJ : ST_AFTER;
				break;
			}
			if (!js->arr_first) {
				if (c != ',')
					return fail(js, err, "expected ',' or ']' between array elements");
				js->pos++;
				c = skip_ws(js);
				if (c < -1)
					return io_fail(js, c, err);
				if (c == ']')
					continue;  /* a trailing comma */
				if (c == -1)
					return fail(js, err, "input ends inside the array");
			}
			js->arr_first = 0;
			return take(js, elem, n, offset, line, err);
		case ST_OBJ: {
			c = skip_ws(js);
			if (c < -1)
				return io_fail(js, c, err);
			if (c == ',') {
				js->pos++;
				continue;
			}
			if (c == '}') {
				js->pos++;
				if (js->level == 0)
					js->state = ST_DONE;
				else
					js->level--;
				continue;
			}
			if (c != '"')
				return c == -1 ? fail(js, err, "input ends inside an object")
				               : fail(js, err, "expected a key");
			/* the key: compare its raw bytes (keys are plain ASCII in practice) */
			js->pos++;
			js->keep = (ssize_t)js->pos;
			r = skip_string(js);
			if (r == TRUNC) {
				js->keep = -1;
				return fail(js, err, "input ends inside a key");
			}
			if (r < 0) {
				js->keep = -1;
				return io_fail(js, r, err);
			}
			const char *key = js->buf + js->keep;
			size_t klen = js->pos - 1 - (size_t)js->keep;
			const char *want = js->comp[js->level];
			int match = strlen(want) == klen && memcmp(key, want, klen) == 0;
			js->keep = -1;
			c = skip_ws(js);
			if (c != ':')
				return c < -1 ? io_fail(js, c, err) : fail(js, err, "expected ':'");
			js->pos++;
			c = skip_ws(js);
			if (c < -1)
				return io_fail(js, c, err);
			if (match && js->level + 1 == js->ncomp) {
				js->occ++;
				if (js->only == 0 || js->only == js->occ) {
					if (c == '[') {
						js->pos++;
						js->state = ST_ARR;
						js->arr_first = 1;
						continue;
					}
					return take(js, elem, n, offset, line, err);
				}
			} else if (match && c == '{') {
				js->pos++;
				js->level++;
				continue;
			}
			r = skip_value(js);
			if (r == TRUNC)
				return fail(js, err, "input ends inside a value");
			if (r < 0)
				return io_fail(js, r, err);
			break;
		}
		case ST_AFTER:
			/* after the top-level array: the end, or another array (an X
			 * archive file holding "window.YTD.tweets.part1 = [...]" after
			 * part0's), whose elements come next; anything else is damage
			 * that would otherwise be passed over without a word */
			if ((c = skip_ws_semis(js)) < -1)
				return io_fail(js, c, err);
			if (c == -1) {
				js->state = ST_DONE;
				break;
			}
			if ((c = script_prefix(js, c, err)) < -1)
				return c;
			if (c != '[')
				return fail(js, err, "text after the document's array");
			js->pos++;
			js->arrays++;
			js->state = ST_ARR;
			js->arr_first = 1;
			break;
		case ST_DONE:
		default:
			if (!js->drained) {
				/* read to the end so the input's sha256 covers the file */
				js->drained = 1;
				js->keep = -1;
				js->pos = js->len;
				while ((r = refill(js)) > 0)
					js->pos = js->len;
				if (r < 0)
					return io_fail(js, r, err);
			}
			return 0;
		}
	}
}

int custos_jsonscan__occurrences(custos_input_t *in, const char *path, unsigned *n,
                                 custos_err_t *err)
{
	custos_jsonscan_t *js;
	const char *e;
	size_t k;
	int64_t off, line;
	int r;
	*n = 0;
	if ((r = custos_jsonscan__open(&js, in, path)) < 0)
		return custos_err_set(err, r, "cannot scan '%s'", in->name);
	custos_jsonscan__only(js, UINT_MAX);
	while ((r = custos_jsonscan__next(js, &e, &k, &off, &line, err)) > 0)
		;
	*n = js->occ;
	custos_jsonscan__free(js);
	return r;
}
