/* libFuzzer target: the platform importers end to end on one file (the
 * first byte picks the format), with a sink that takes everything. No input
 * may crash, hang or leak. Build like fuzz_jsonscan.c. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "import_internal.h"

static int take(void *ctx, custos_record_t *rec)
{
	custos_buf_t b = { 0 };
	custos_record_to_json(rec, CUSTOS_JSON_FULL, &b);
	custos_buf_free(&b);
	return 0;
}

static int bad(void *ctx, const char *file, int64_t offset, int64_t line, const char *why,
               const char *raw, size_t n)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = { "x-archive", "twitter-api", "mastodon",
	                                       "mastodon-api", "ndjson" };
	static const char *const names[] = { "tweets.js", "capture.jsonl", "outbox.json",
	                                     "statuses.jsonl", "records.ndjson" };
	static char dir[64];
	char path[128];
	if (!dir[0]) {
		custos_global_init();
		snprintf(dir, sizeof dir, "/tmp/custos-fuzz-%d", (int)getpid());
		mkdir(dir, 0700);
	}
	if (size < 1)
		return 0;
	size_t k = data[0] % 5;
	snprintf(path, sizeof path, "%s/%s", dir, names[k]);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	custos_import_sink_t sink = { take, bad, NULL, NULL, NULL, NULL };
	custos_err_t err;
	custos_import_run(path, formats[k], &sink, &err);
	unlink(path);
	return 0;
}
