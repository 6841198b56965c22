/* Buffered line reader over an import input: one buffer reused for every
 * line, grown only as far as the longest line (up to max_line). */
#include "import_internal.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK (256 * 1024)

struct custos_lines {
	custos_input_t *in;
	size_t  max_line;
	char   *buf;
	size_t  cap;
	size_t  start;    /* first byte not yet handed out */
	size_t  len;      /* bytes valid in buf */
	int     eof;
	int64_t base;     /* file offset of buf[0] */
	int64_t lineno;   /* number of the next line */
};

int custos_lines__open(custos_lines_t **out, custos_input_t *in, size_t max_line)
{
	custos_lines_t *lr = calloc(1, sizeof *lr);
	*out = NULL;
	if (!lr)
		return CUSTOS_ENOMEM;
	lr->in = in;
	lr->max_line = max_line ? max_line : (size_t)64 << 20;
	lr->cap = CHUNK;
	if (!(lr->buf = malloc(lr->cap))) {
		free(lr);
		return CUSTOS_ENOMEM;
	}
	lr->base = in->consumed;
	lr->lineno = 1;
	*out = lr;
	return CUSTOS_OK;
}

void custos_lines__free(custos_lines_t *lr)
{
	if (!lr)
		return;
	free(lr->buf);
	free(lr);
}

/* Moves the unread bytes to the front and reads more; grows the buffer
 * when one line fills it. Returns bytes read, 0 at EOF, <0 on error. */
static int fill(custos_lines_t *lr, custos_err_t *err)
{
	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, lr->len - lr->start);
		lr->base += (int64_t)lr->start;
		lr->len -= lr->start;
		lr->start = 0;
	}
	if (lr->cap - lr->len < CHUNK / 2) {
		if (lr->len > lr->max_line)
			return custos_err_set(err, CUSTOS_ETOOBIG,
			                      "%s: line %lld (byte %lld) is longer than %zu bytes",
			                      lr->in->name, (long long)lr->lineno, (long long)lr->base,
			                      lr->max_line);
		size_t nc = lr->cap * 2;
		char *nb = realloc(lr->buf, nc);
		if (!nb)
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory reading '%s'",
			                      lr->in->name);
		lr->buf = nb;
		lr->cap = nc;
	}
	ssize_t r = lr->in->read(lr->in, lr->buf + lr->len, lr->cap - lr->len);
	if (r < 0) {
		if (err)
			*err = lr->in->err;
		return lr->in->err.status ? lr->in->err.status : CUSTOS_EIO;
	}
	if (r == 0)
		lr->eof = 1;
	lr->len += (size_t)r;
	return (int)(r > 0);
}

int custos_lines__next(custos_lines_t *lr, const char **line, size_t *n, int64_t *offset,
                       int64_t *lineno, custos_err_t *err)
{
	size_t scanned = 0;  /* bytes after start known to hold no newline */
	for (;;) {
		char *s = lr->buf + lr->start;
		size_t avail = lr->len - lr->start;
		char *nl = avail > scanned ? memchr(s + scanned, '\n', avail - scanned) : NULL;
		if (nl || (lr->eof && avail > 0)) {
			size_t k = nl ? (size_t)(nl - s) : avail;
			if (k > lr->max_line)
				return custos_err_set(err, CUSTOS_ETOOBIG,
				                      "%s: line %lld (byte %lld) is longer than %zu bytes",
				                      lr->in->name, (long long)lr->lineno,
				                      (long long)(lr->base + (int64_t)lr->start),
				                      lr->max_line);
			*line = s;
			*n = k;
			*offset = lr->base + (int64_t)lr->start;
			*lineno = lr->lineno++;
			lr->start += k + (nl != NULL);
			return 1;
		}
		if (lr->eof)
			return 0;
		scanned = avail;
		size_t before = lr->start;
		int r = fill(lr, err);
		if (r < 0)
			return r;
		(void)before;
	}
}

/* Spaces, tabs and carriage returns only. */
static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int custos_import__each_line(custos_tree_t *t, const char *relpath, const char *format,
                             size_t max_line, custos_line_fn fn, void *ctx, custos_err_t *err)
{
	custos_input_t *in = NULL;
	custos_lines_t *lr = NULL;
	const char *l;
	size_t n;
	int64_t off, lineno;
	int r;

	if (!relpath)
		return custos_err_set(err, CUSTOS_EINVAL, "%s: a file is needed, not a folder", format);
	if ((r = custos_tree__open(t, relpath, &in, err)) < 0)
		return r;
	if ((r = custos_lines__open(&lr, in, max_line)) < 0) {
		custos_err_set(err, r, "out of memory");
		goto done;
	}
	while ((r = custos_lines__next(lr, &l, &n, &off, &lineno, err)) > 0) {
		if (blank(l, n))
			continue;
		if ((r = fn(ctx, in, l, n, off, lineno)) != 0)
			break;
	}
done:
	custos_lines__free(lr);
	custos_input__close(in);
	return r;
}
