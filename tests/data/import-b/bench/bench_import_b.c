#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include "import_internal.h"
static size_t nrec, nbad;
static int rec(void *c, custos_record_t *r) { nrec++; return 0; }
static int bad(void *c, const char *f, int64_t o, int64_t l, const char *w, const char *raw, size_t n) { nbad++; return 0; }
static int done(void *c, const char *f) { return 0; }
int main(int argc, char **argv)
{
	custos_global_init();
	custos_import_sink_t k = { .record = rec, .bad = bad, .file_done = done };
	custos_err_t err = { 0 };
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int st = 0;
	if (!strcmp(argv[1], "ndjson")) {
		FILE *f = fopen(argv[2], "r");
		char *line = NULL; size_t cap = 0; ssize_t n;
		custos_record_t r; custos_record_init(&r);
		while ((n = getline(&line, &cap, f)) > 0) {
			if (custos_record_from_json(&r, line, (size_t)n - 1, &err) == 0 && custos_record_validate(&r, &err) == 0) nrec++;
			custos_record_reset(&r);
		}
	} else {
		const custos_importer_t *imp = !strcmp(argv[1], "ndjsonimp") ? &custos_import__ndjson : !strcmp(argv[1], "facebook") ? &custos_import__facebook :
			!strcmp(argv[1], "slack") ? &custos_import__slack : !strcmp(argv[1], "linkedin") ? &custos_import__linkedin : &custos_import__feed;
		custos_tree_t *t;
		if ((st = custos_tree__new(&t, argv[2], &err)) == 0) {
			const char *b = strrchr(argv[2], '/');
			st = imp->run(t, custos_tree__is_file(t) ? (b ? b + 1 : argv[2]) : NULL, &k, &err);
			custos_tree__free(t);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	struct rusage ru; getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("%-9s status %d %s records %zu bad %zu  wall %.2f s (%.0f rec/s)  cpu %.2f s (%.0f rec/cpu-s)  peak RSS %ld MB\n", argv[1], st, err.msg, nrec, nbad, s, nrec / s, cpu, nrec / cpu, ru.ru_maxrss / 1024);
	return 0;
}
