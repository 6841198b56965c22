/* A sink for importer tests: keeps every record as its full canonical JSON
 * (one line each, with the raw bytes' length), every bad item and warning. */
#ifndef CUSTOS_TEST_IMPORT_SINK_H
#define CUSTOS_TEST_IMPORT_SINK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "check.h"
#include "import_internal.h"

typedef struct {
	custos_buf_t records;   /* canonical JSON (FULL), one per line */
	custos_buf_t raws;      /* each record's raw bytes, then "\n--\n" */
	custos_buf_t bads;      /* "file|offset|line|why\n" */
	custos_buf_t warns;     /* "file|msg\n" */
	size_t n_records, n_bad, n_warn, n_blobs, n_files;
	int bad_status;         /* what bad returns (0: go on) */
	size_t kinds[8];        /* post reply repost quote comment message event other */
	custos_buf_t ids;       /* "id\n" per record */
	custos_buf_t not_taken; /* "file|why\n" per file not taken */
	size_t n_not_taken;
} tsink_t;

static int tsink_record(void *ctx, custos_record_t *rec)
{
	tsink_t *s = ctx;
	static const char *const k[] = { "post", "reply", "repost", "quote", "comment",
	                                 "message", "event" };
	size_t i;
	if (custos_record_derive(rec) < 0 || custos_record_to_json(rec, CUSTOS_JSON_FULL,
	                                                          &s->records) < 0)
		return CUSTOS_ENOMEM;
	custos_buf_addc(&s->records, '\n');
	custos_buf_add(&s->raws, rec->raw, rec->raw_len);
	custos_buf_adds(&s->raws, "\n--\n");
	custos_buf_printf(&s->ids, "%s\n", rec->id ? rec->id : "(null)");
	for (i = 0; i < 7; i++)
		if (rec->kind && strcmp(rec->kind, k[i]) == 0)
			break;
	s->kinds[i]++;
	s->n_records++;
	return 0;
}

static int tsink_bad(void *ctx, const char *file, int64_t offset, int64_t line, const char *why,
                     const char *raw, size_t n)
{
	tsink_t *s = ctx;
	custos_buf_printf(&s->bads, "%s|%lld|%lld|%s\n", file, (long long)offset, (long long)line,
	                  why);
	s->n_bad++;
	return s->bad_status;
}

static int tsink_blob(void *ctx, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX])
{
	tsink_t *s = ctx;
	uint8_t h[CUSTOS_SHA256_LEN];
	custos_sha256(h, p, n);
	custos_hex(hex, h, sizeof h);
	s->n_blobs++;
	return 0;
}

static void tsink_warn(void *ctx, const char *file, const char *msg)
{
	tsink_t *s = ctx;
	custos_buf_printf(&s->warns, "%s|%s\n", file, msg);
	s->n_warn++;
}

static int tsink_file_done(void *ctx, const char *file)
{
	((tsink_t *)ctx)->n_files++;
	return 0;
}

static void tsink_not_taken(void *ctx, const char *file, const char *why)
{
	tsink_t *s = ctx;
	custos_buf_printf(&s->not_taken, "%s|%s\n", file, why);
	s->n_not_taken++;
}

static custos_import_sink_t tsink_make(tsink_t *s)
{
	memset(s, 0, sizeof *s);
	custos_import_sink_t k = { .record = tsink_record, .bad = tsink_bad, .blob = tsink_blob,
	                           .warn = tsink_warn, .file_done = tsink_file_done, .ctx = s,
	                           .not_taken = tsink_not_taken };
	return k;
}

static void tsink_free(tsink_t *s)
{
	custos_buf_free(&s->records);
	custos_buf_free(&s->raws);
	custos_buf_free(&s->bads);
	custos_buf_free(&s->warns);
	custos_buf_free(&s->ids);
	custos_buf_free(&s->not_taken);
}

__attribute__((unused)) static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(data, 1, n, f) == n);
	CHECK(fclose(f) == 0);
}

/* The line of s->records holding "\"id\":\"<id>\"", or NULL. */
static const char *tsink_find(const tsink_t *s, const char *id)
{
	char pat[512];
	snprintf(pat, sizeof pat, "\"id\":\"%s\"", id);
	const char *p = s->records.data ? strstr(s->records.data, pat) : NULL;
	if (!p)
		return NULL;
	while (p > s->records.data && p[-1] != '\n')
		p--;
	return p;
}

/* Does the record line for id contain frag? */
static int tsink_has(const tsink_t *s, const char *id, const char *frag)
{
	const char *l = tsink_find(s, id);
	if (!l)
		return 0;
	const char *e = strchr(l, '\n');
	const char *f = strstr(l, frag);
	return f && (!e || f < e);
}

/* For the framework tests: a connector record, a path in the test's
 * folder (8 at a time), a shell command with arg in it twice. */
#define REC(id, text) "{\"id\":\"" id "\",\"platform\":\"x\",\"created_at\":" \
	"\"2021-01-01T00:00:00Z\",\"author\":{\"handle\":\"acme\"},\"text\":\"" text "\"}"

__attribute__((unused)) static char *path_in(const char *rel)
{
	static char buf[8][8400];
	static int k;
	char *p = buf[k++ % 8];
	snprintf(p, sizeof buf[0], "%s/%s", check_tmpdir, rel);
	return p;
}

__attribute__((unused)) static void sh(const char *fmt, const char *arg)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, fmt, arg, arg);
	CHECK(system(cmd) == 0);
}

/* A sink that, at the first record, rewrites a byte near the end of the
 * file being read, as a collector still writing it would. */
typedef struct {
	tsink_t s;
	const char *path;
	off_t at;
	int done;
} changing_t;

__attribute__((unused)) static int changing_record(void *ctx, custos_record_t *rec)
{
	changing_t *c = ctx;
	if (!c->done) {
		FILE *f = fopen(c->path, "r+b");
		CHECK(f != NULL);
		CHECK(fseeko(f, c->at, SEEK_SET) == 0);
		CHECK(fputc('Z', f) == 'Z');
		CHECK(fclose(f) == 0);
		c->done = 1;
	}
	return tsink_record(&c->s, rec);
}

#endif
