/* libFuzzer target for one importer, chosen at build time with
 * -DFUZZ_FORMAT='"slack"': the input bytes become the file (or the main
 * file of an export folder) that format reads, and the importer runs with a
 * sink that checks every record it gives. Any crash, leak, hang or record
 * that does not validate and hash is a failure. Built by `make fuzz`. */
#include "custos_archiver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_FORMAT
#error "define FUZZ_FORMAT"
#endif

/* Where the format reads its input, relative to the import root, and which
 * path to give custos_import_run: the file itself or the export folder. */
static const struct { const char *format, *file; int folder; } layouts[] = {
	{ "ndjson", "in.ndjson", 0 },
	{ "twitter-api", "in.jsonl", 0 },
	{ "mastodon-api", "in.jsonl", 0 },
	{ "x-archive", "data/tweets.js", 1 },
	{ "mastodon", "outbox.json", 1 },
	{ "facebook", "your_posts_1.json", 0 },
	{ "slack", "general/2016-01-01.json", 1 },
	{ "linkedin", "Shares.csv", 0 },
	{ "feed", "feed.xml", 0 },
};

static char root[256];


static int on_record(void *ctx, custos_record_t *rec)
{
	custos_err_t err = { 0 };
	if (custos_record_derive(rec) < 0)
		abort();
	/* an importer may give records the ingest refuses, but never ones
	 * that break hashing */
	if (custos_record_validate(rec, &err) == CUSTOS_OK && custos_record_hash(rec) < 0)
		abort();
	if (rec->raw_len && !rec->raw)
		abort();
	return 0;
}

static int on_bad(void *ctx, const char *file, int64_t offset, int64_t line, const char *why,
                  const char *raw, size_t n)
{
	if (!why || !file || (n && !raw))
		abort();
	return 0;   /* like --skip-bad: go on */
}

static int on_blob(void *ctx, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX])
{
	uint8_t h[CUSTOS_SHA256_LEN];
	custos_sha256(h, p, n);
	custos_hex(hex, h, sizeof h);
	return 0;
}

static void on_warn(void *ctx, const char *file, const char *msg) {}
static int on_done(void *ctx, const char *file) { return 0; }

static int write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, size, f);
	return fclose(f) == 0 && w == size ? 0 : -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t layout;
static char path[512], dir[512];

static int make_dirs(char *p)
{
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int rc = mkdir(p, 0700);
		*s = '/';
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(root, sizeof root, "%s/custos-fuzz-XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(root) || custos_global_init() < 0)
		abort();
	while (strcmp(layouts[layout].format, FUZZ_FORMAT) != 0)
		if (++layout == sizeof layouts / sizeof layouts[0])
			abort();
	/* the export folder holds exactly one file, rewritten for each input */
	snprintf(dir, sizeof dir, "%s/export", root);
	snprintf(path, sizeof path, "%s/%s", dir, layouts[layout].file);
	if (make_dirs(path) < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	custos_import_sink_t sink = { .record = on_record, .bad = on_bad, .blob = on_blob,
	                              .warn = on_warn, .file_done = on_done };
	custos_err_t err = { 0 };
	if (write_file(path, data, size) < 0)
		abort();
	int rc = custos_import_run(layouts[layout].folder ? dir : path, FUZZ_FORMAT, &sink, &err);
	if (rc < 0 && !err.msg[0])
		abort();   /* every failure says what failed */
	return 0;
}
