/* Importer speed without the store: runs custos_import_run on a path with
 * a sink that only counts, and prints records/s in wall and CPU time and
 * the peak RSS. Build and run (docs/importers.md, "Speed"):
 *   python3 bench/gen_import.py 200000   (writes gen/ in the current folder)
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Icommon -Iarchiver bench/import_rate.c \
 *      build/release/libcustos.a $(pkg-config --libs ...) -o import_rate
 *   ./import_rate gen/data; ./import_rate gen/outbox.json mastodon */
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include "import_internal.h"

static size_t n_records, n_bad;

static int count_record(void *ctx, custos_record_t *rec)
{
	n_records++;
	return 0;
}

static int count_bad(void *ctx, const char *file, int64_t offset, int64_t line, const char *why,
                     const char *raw, size_t n)
{
	n_bad++;
	return 0;
}

int main(int argc, char **argv)
{
	custos_import_sink_t sink = { .record = count_record, .bad = count_bad };
	custos_err_t err = { 0 };
	struct timespec a, b;
	struct rusage ru;
	if (argc < 2) {
		fprintf(stderr, "usage: import_rate PATH [FORMAT]\n");
		return 2;
	}
	if (custos_global_init() != 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int r = custos_import_run(argv[1], argc > 2 ? argv[2] : NULL, &sink, &err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	getrusage(RUSAGE_SELF, &ru);
	double wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (r != 0)
		fprintf(stderr, "import_rate: %s\n", err.msg);
	printf("%s: %zu records, %zu bad; wall %.2f s (%.0f records/s); cpu %.2f s "
	       "(%.0f records/s); peak RSS %ld KB\n", argv[1], n_records, n_bad, wall,
	       (double)n_records / wall, cpu, (double)n_records / cpu, ru.ru_maxrss);
	return r != 0;
}
