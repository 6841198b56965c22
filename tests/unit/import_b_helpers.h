/* Test helpers shared by the facebook, slack, linkedin and feed importer
 * tests: a file- or memory-backed custos_input_t and a sink that keeps every
 * record as canonical JSON (plus raw bytes) and every bad item. */
#ifndef IMPORT_B_HELPERS_H
#define IMPORT_B_HELPERS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "import_internal.h"

/* Not every test uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

typedef struct {
	custos_input_t in;
	FILE *f;
	const char *mem;
	size_t mem_len, mem_pos;
	size_t chunk;          /* max bytes per read, to exercise buffer edges */
} tin_t;

static ssize_t tin_read(custos_input_t *in, void *buf, size_t n)
{
	tin_t *t = (tin_t *)in;
	if (t->chunk && n > t->chunk)
		n = t->chunk;
	size_t got;
	if (t->f) {
		got = fread(buf, 1, n, t->f);
		if (got == 0 && ferror(t->f)) {
			custos_err_set(&in->err, CUSTOS_EIO, "cannot read '%s'", in->name);
			return -1;
		}
	} else {
		got = t->mem_len - t->mem_pos < n ? t->mem_len - t->mem_pos : n;
		memcpy(buf, t->mem + t->mem_pos, got);
		t->mem_pos += got;
	}
	custos_sha256_update(&in->sha, buf, got);
	in->consumed += (int64_t)got;
	return (ssize_t)got;
}

static void tin_file(tin_t *t, const char *path, const char *name)
{
	memset(t, 0, sizeof *t);
	t->f = fopen(path, "rb");
	if (!t->f)
		check__fail(__FILE__, __LINE__, "cannot open '%s': %s", path, strerror(errno));
	t->in.name = name ? name : path;
	t->in.relpath = name ? name : path;
	t->in.size = -1;
	t->in.read = tin_read;
	custos_sha256_init(&t->in.sha);
}

static void tin_mem(tin_t *t, const char *p, size_t n, const char *name)
{
	memset(t, 0, sizeof *t);
	t->mem = p;
	t->mem_len = n;
	t->in.name = name;
	t->in.relpath = name;
	t->in.size = (int64_t)n;
	t->in.read = tin_read;
	custos_sha256_init(&t->in.sha);
}

static void tin_close(tin_t *t)
{
	if (t->f)
		fclose(t->f);
	t->f = NULL;
}

/* What a run produced. */
typedef struct {
	custos_buf_t json;     /* one canonical JSON (FULL) per line */
	custos_buf_t raws;     /* raw bytes of every record, each followed by "\n--\n" */
	size_t n, n_bad, n_blob;
	char kinds[16][16];
	size_t kind_n[16];
	char last_bad_why[256];
	char last_bad_file[256];
	int64_t last_bad_line, last_bad_offset;
	char last_bad_raw[256];  /* the first bytes of the last bad item's raw */
	size_t last_bad_raw_n;   /* its whole length */
	int bad_status;        /* what bad() returns */
	custos_record_t keep[512]; /* the first 512 records, re-read from their JSON */
	size_t n_keep;
	int invalid;           /* records failing custos_record_validate */
	size_t n_warn;
	char last_warn[1100];
	char invalid_msg[1100];
	size_t n_not_taken;
	custos_buf_t not_taken;   /* "file|why\n" per file not taken */
	const char *held;         /* ids the archive holds, "\n"-separated, for known() */
	size_t n_asked;           /* known() calls */
} tsink_t;

static int tsink_record(void *ctx, custos_record_t *r)
{
	tsink_t *s = ctx;
	custos_err_t err = { 0 };
	if (custos_record_validate(r, &err) < 0 && !s->invalid++)
		snprintf(s->invalid_msg, sizeof s->invalid_msg, "%s: %s", r->id ? r->id : "?", err.msg);
	size_t before = s->json.len;
	if (custos_record_to_json(r, CUSTOS_JSON_FULL, &s->json) < 0)
		return CUSTOS_ENOMEM;
	if (s->n_keep < 512) {
		custos_record_t *k = &s->keep[s->n_keep++];
		custos_record_init(k);
		if (custos_record_from_json(k, s->json.data + before, s->json.len - before, &err) < 0) {
			fprintf(stdout, "  cannot re-read record: %s\n", err.msg);
			return CUSTOS_EINTERNAL;
		}
	}
	custos_buf_addc(&s->json, '\n');
	custos_buf_add(&s->raws, r->raw, r->raw_len);
	custos_buf_adds(&s->raws, "\n--\n");
	const char *kind = r->kind ? r->kind : "?";
	size_t i;
	for (i = 0; i < 16 && s->kinds[i][0]; i++)
		if (!strcmp(s->kinds[i], kind))
			break;
	if (i < 16) {
		if (!s->kinds[i][0])
			snprintf(s->kinds[i], sizeof s->kinds[i], "%s", kind);
		s->kind_n[i]++;
	}
	s->n++;
	return 0;
}

static size_t tsink_kind(const tsink_t *s, const char *kind)
{
	for (size_t i = 0; i < 16 && s->kinds[i][0]; i++)
		if (!strcmp(s->kinds[i], kind))
			return s->kind_n[i];
	return 0;
}

static int tsink_bad(void *ctx, const char *file, int64_t offset, int64_t line, const char *why,
                     const char *raw, size_t n)
{
	tsink_t *s = ctx;
	s->n_bad++;
	snprintf(s->last_bad_why, sizeof s->last_bad_why, "%s", why);
	snprintf(s->last_bad_file, sizeof s->last_bad_file, "%s", file);
	s->last_bad_line = line;
	s->last_bad_offset = offset;
	snprintf(s->last_bad_raw, sizeof s->last_bad_raw, "%.*s", (int)(n < 255 ? n : 255), raw ? raw : "");
	s->last_bad_raw_n = n;
	return s->bad_status;
}

static int tsink_blob(void *ctx, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX])
{
	tsink_t *s = ctx;
	uint8_t h[CUSTOS_SHA256_LEN];
	custos_sha256(h, p, n);
	custos_hex(hex, h, sizeof h);
	s->n_blob++;
	return 0;
}

static void tsink_warn(void *ctx, const char *file, const char *msg)
{
	tsink_t *s = ctx;
	s->n_warn++;
	snprintf(s->last_warn, sizeof s->last_warn, "%s", msg);
}
static int tsink_done(void *ctx, const char *file) { return 0; }

static void tsink_not_taken(void *ctx, const char *file, const char *why)
{
	tsink_t *s = ctx;
	s->n_not_taken++;
	custos_buf_printf(&s->not_taken, "%s|%s\n", file, why);
}

/* An archive that holds the ids of s->held. */
static int tsink_known(void *ctx, const char *id)
{
	tsink_t *s = ctx;
	size_t n = strlen(id);
	s->n_asked++;
	for (const char *p = s->held; p && (p = strstr(p, id)); p++)
		if ((p == s->held || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return 1;
	return 0;
}

static custos_import_sink_t tsink_make(tsink_t *s)
{
	memset(s, 0, sizeof *s);
	custos_import_sink_t k = { .record = tsink_record, .bad = tsink_bad, .blob = tsink_blob,
	                           .warn = tsink_warn, .file_done = tsink_done, .ctx = s,
	                           .not_taken = tsink_not_taken, .known = tsink_known };
	return k;
}

static void tsink_free(tsink_t *s)
{
	custos_buf_free(&s->json);
	custos_buf_free(&s->raws);
	custos_buf_free(&s->not_taken);
	for (size_t i = 0; i < s->n_keep; i++)
		custos_record_free(&s->keep[i]);
}

/* The kept record with this id, or fails the test. */
static custos_record_t *tsink_find(tsink_t *s, const char *id)
{
	for (size_t i = 0; i < s->n_keep; i++)
		if (s->keep[i].id && !strcmp(s->keep[i].id, id))
			return &s->keep[i];
	check__fail(__FILE__, __LINE__, "no record '%s' among the first %zu kept", id, s->n_keep);
}

static int strv_has(const custos_strv_t *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return 1;
	return 0;
}

static char *fixture_path(char *buf, size_t cap, const char *rel)
{
	const char *fx = check_fixtures();
	if (!fx) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return NULL;
	}
	snprintf(buf, cap, "%s/%s", fx, rel);
	return buf;
}

/* Deterministic mutations of a seed, for "never crashes" tests: flips,
 * truncations, deletions and insertions of bytes that matter to the formats. */
static size_t mutate(char *buf, size_t n, size_t cap, unsigned *seed)
{
	int k = 1 + (int)(rand_r(seed) % 8);
	for (int j = 0; j < k; j++) {
		int op = rand_r(seed) % 4;
		size_t p = n ? (size_t)rand_r(seed) % n : 0;
		if (op == 0 && n)
			buf[p] = (char)rand_r(seed);
		else if (op == 1 && n)
			n = p;
		else if (op == 2 && n > 1) {
			size_t q = (size_t)rand_r(seed) % n;
			if (q > p) {
				memmove(buf + p, buf + q, n - q);
				n -= q - p;
			}
		} else if (n < cap) {
			memmove(buf + p + 1, buf + p, n - p);
			buf[p] = "\"\\<>{[,&\n"[rand_r(seed) % 9];
			n++;
		}
	}
	return n;
}

static char *slurp_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		check__fail(__FILE__, __LINE__, "cannot open '%s'", path);
	char *b = malloc(1 << 20);
	*n = fread(b, 1, (1 << 20) - 64, f);
	fclose(f);
	return b;
}

/* Two imports of the same input: the pairs of records (of the first 512)
 * whose ids sort against their times, to the second; ids must be the
 * same in both (a failed CHECK otherwise). *ordered: the pairs compared. */
__attribute__((unused)) static size_t ids_out_of_time_order(const tsink_t *a, const tsink_t *b,
                                                            size_t *ordered)
{
	size_t n = a->n_keep, bad = 0;
	*ordered = 0;
	CHECK_INT(b->n_keep, n);
	for (size_t i = 0; i < n; i++) {
		CHECK_STR(b->keep[i].id, a->keep[i].id);
		for (size_t j = 0; j < n; j++)
			if (a->keep[i].created_at / 1000 < a->keep[j].created_at / 1000) {
				bad += strcmp(a->keep[i].id, a->keep[j].id) >= 0;
				(*ordered)++;
			}
	}
	return bad;
}

#endif
