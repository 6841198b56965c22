/* The generic connector format: one canonical record (docs/record-format.md)
 * per line. */
#include "import_internal.h"

#include <string.h>

#define MAX_LINE ((size_t)16 << 20)

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcasecmp(s + a - b, suf) == 0;
}

static int ndjson_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	if (!relpath)
		return 0;
	/* ".ndjson" is ours whatever it holds, so that a broken file is
	 * reported rather than skipped; ".jsonl" is shared with API captures */
	int named = has_suffix(relpath, ".ndjson");
	size_t i = 0;
	while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
		i++;
	if (i == n)
		return named ? 40 : 0;  /* empty: imports as nothing */
	if (head[i] != '{')
		return named ? 40 : 0;
	/* the first line carries the record's required keys */
	const char *nl = memchr(head + i, '\n', n - i);
	size_t k = nl ? (size_t)(nl - head - i) : n - i;
	if (memmem(head + i, k, "\"platform\"", 10) && memmem(head + i, k, "\"id\"", 4) &&
	    memmem(head + i, k, "\"author\"", 8))
		return 90;
	return named ? 40 : has_suffix(relpath, ".jsonl") ? 20 : 0;
}

static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

static int ndjson_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                      custos_err_t *err)
{
	custos_input_t *in = NULL;
	custos_lines_t *lr = NULL;
	custos_record_t rec;
	custos_err_t perr;
	const char *line;
	size_t n;
	int64_t off, lineno;
	int r;

	if (!relpath)
		return custos_err_set(err, CUSTOS_EINVAL, "ndjson: a file is needed, not a folder");
	custos_record_init(&rec);
	if ((r = custos_tree__open(t, relpath, &in, err)) < 0)
		goto done;
	if ((r = custos_lines__open(&lr, in, MAX_LINE)) < 0) {
		custos_err_set(err, r, "out of memory");
		goto done;
	}
	while ((r = custos_lines__next(lr, &line, &n, &off, &lineno, err)) > 0) {
		if (blank(line, n))
			continue;
		if (n && line[n - 1] == '\r')
			n--;  /* CRLF files */
		if ((r = custos_import__check_utf8(sink, in->name, off, lineno, line, n, err)) != 0) {
			if (r > 0)
				continue;
			goto done;
		}
		custos_err_clear(&perr);
		if (custos_record_from_json(&rec, line, n, &perr) < 0) {
			custos_record_reset(&rec);
			if ((r = custos_import__bad(sink, in->name, off, lineno, perr.msg, line, n,
			                            err)) != 0)
				goto done;
			continue;
		}
		/* where this copy was read from replaces any file position the
		 * producer wrote; its connector name is kept */
		if ((r = custos_record_sets(&rec, &rec.source.format, "ndjson")) < 0 ||
		    (r = custos_record_sets(&rec, &rec.source.file, in->name)) < 0)
			goto oom;
		rec.source.file_sha256 = NULL;
		rec.source.offset = off;
		rec.source.line = lineno;
		if ((r = custos_record_derive(&rec)) < 0)
			goto oom;
		if ((r = custos_import__record(sink, &rec, err)) != 0)
			goto done;
	}
	if (r < 0)
		goto done;
	r = CUSTOS_OK;
	goto done;
oom:
	custos_err_set(err, r, "out of memory");
done:
	custos_record_free(&rec);
	custos_lines__free(lr);
	custos_input__close(in);
	return r;
}

const custos_importer_t custos_import__ndjson = { "ndjson", ndjson_detect, ndjson_run };
