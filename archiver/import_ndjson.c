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

typedef struct {
	const custos_import_sink_t *sink;
	custos_err_t *err;
	custos_record_t rec;
} nd_t;

static int nd_line(void *ctx, custos_input_t *in, const char *line, size_t n, int64_t off,
                   int64_t lineno)
{
	nd_t *nd = ctx;
	custos_record_t *rec = &nd->rec;
	custos_err_t perr;
	int r;
	if (n && line[n - 1] == '\r')
		n--;  /* CRLF files */
	if ((r = custos_import__check_utf8(nd->sink, in->name, off, lineno, line, n, nd->err)) != 0)
		return r > 0 ? 0 : r;
	custos_err_clear(&perr);
	/* checked as UTF-8 just above; the record's raw bytes are the line,
	 * which stays put until the sink returns (and the ingest copies it) */
	if (custos_record_from_json_utf8(rec, line, n, &perr) < 0) {
		custos_record_reset(rec);
		return custos_import__bad(nd->sink, in->name, off, lineno, perr.msg, line, n, nd->err);
	}
	/* where this copy was read from replaces any file position the producer
	 * wrote (and the hash of the producer's file with it: the dispatcher
	 * puts this file's in); its connector name is kept */
	if ((r = custos_record_sets(rec, &rec->source.format, "ndjson")) < 0 ||
	    (r = custos_record_sets(rec, &rec->source.file, in->name)) < 0 ||
	    (r = custos_record_derive(rec)) < 0) {
		custos_record_reset(rec);
		return custos_err_set(nd->err, r, "out of memory");
	}
	rec->source.file_sha256 = NULL;
	rec->source.offset = off;
	rec->source.line = lineno;
	return custos_import__record(nd->sink, rec, nd->err);
}

static int ndjson_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                      custos_err_t *err)
{
	nd_t nd = { sink, err, { 0 } };
	int r;
	custos_record_init(&nd.rec);
	r = custos_import__each_line(t, relpath, "ndjson", MAX_LINE, nd_line, &nd, err);
	custos_record_free(&nd.rec);
	return r < 0 ? r : 0;
}

const custos_importer_t custos_import__ndjson = { "ndjson", ndjson_detect, ndjson_run, NULL };
