/* show_bench: latency of reading one record by id, straight from the store
 * (custos_store_get) and end to end through `custos show --json`.
 *
 *   show_bench ARCHIVE [--n 1000] [--seed 1] [--cli PATH] [--cli-n 200]
 *
 * Picks random stored versions (by sequence number), learns their ids, then
 * times reads by id. Prints one JSON object with medians, p99 and means. */
#include "custos_common.h"
#include "custos_archiver.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* median and p99 of v[0..n), sorted in place */
static void summarize(double *v, size_t n, double *med, double *p99, double *mean)
{
	double s = 0;
	qsort(v, n, sizeof *v, cmp_double);
	for (size_t i = 0; i < n; i++)
		s += v[i];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	size_t k = (size_t)((double)n * 0.99);
	*p99 = v[k < n ? k : n - 1];
	*mean = s / (double)n;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One `custos --archive DIR show --json ID`, output to /dev/null; wall µs,
 * and the child's CPU time (user + system) in *cpu_us: the cores here are
 * shared, so wall time includes waiting for them. */
static double run_cli(const char *custos, const char *dir, const char *id, double *cpu_us)
{
	struct rusage ru;
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)custos, "--archive", (char *)dir, "show", "--json", (char *)id, NULL };
	pid_t pid;
	int status;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	double t0 = now_us();
	if (posix_spawn(&pid, custos, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	double wall = now_us() - t0;
	*cpu_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	          (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	return wall;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *cli = NULL;
	size_t n = 1000, cli_n = 200;
	uint64_t seed = 1;
	custos_err_t err = { 0 };
	custos_store_t *st = NULL;
	custos_record_t rec;
	uint64_t last = 0;
	char **ids = NULL;
	double *t = NULL, *c = NULL;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--n") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--cli") && i + 1 < argc)
			cli = argv[++i];
		else if (!strcmp(argv[i], "--cli-n") && i + 1 < argc)
			cli_n = strtoull(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else {
			fprintf(stderr, "usage: show_bench ARCHIVE [--n N] [--seed S] [--cli PATH] [--cli-n N]\n");
			return 2;
		}
	}
	if (!dir || !n) {
		fprintf(stderr, "usage: show_bench ARCHIVE [--n N] [--seed S] [--cli PATH] [--cli-n N]\n");
		return 2;
	}
	seed = seed * 2654435761u + 88172645463325252ULL;
	if (custos_global_init() < 0) {
		fprintf(stderr, "show_bench: cannot initialise\n");
		return 1;
	}
	custos_record_init(&rec);
	if (custos_store_open(&st, dir, CUSTOS_STORE_READ, &err) < 0) {
		fprintf(stderr, "show_bench: %s\n", err.msg);
		return 1;
	}
	if (custos_store_last_seq(st, &last) < 0 || last == 0) {
		fprintf(stderr, "show_bench: empty or unreadable store\n");
		goto done;
	}

	ids = calloc(n, sizeof *ids);
	t = calloc(n > cli_n ? n : cli_n, sizeof *t);
	c = calloc(n > cli_n ? n : cli_n, sizeof *c);
	if (!ids || !t || !c)
		goto done;
	for (size_t i = 0; i < n; i++) {
		uint64_t seq = 1 + xorshift(&seed) % last;
		if (custos_store_get_seq(st, seq, &rec) < 0) {
			fprintf(stderr, "show_bench: seq %llu: %s\n", (unsigned long long)seq,
			        custos_store_err(st)->msg);
			goto done;
		}
		ids[i] = strdup(rec.id);
	}
	/* the reads under test, by id, latest version, as `custos show` does */
	for (size_t i = 0; i < n; i++) {
		double t0 = now_us();
		int e = custos_store_get(st, ids[i], 0, &rec);
		t[i] = now_us() - t0;
		if (e < 0 || strcmp(rec.id, ids[i]) != 0) {
			fprintf(stderr, "show_bench: get %s failed: %s\n", ids[i], custos_store_err(st)->msg);
			goto done;
		}
	}
	double med, p99, mean;
	summarize(t, n, &med, &p99, &mean);
	printf("{\"n\": %zu, \"get_median_us\": %.1f, \"get_p99_us\": %.1f, \"get_mean_us\": %.1f",
	       n, med, p99, mean);

	if (cli) {
		size_t m = cli_n < n ? cli_n : n;
		for (size_t i = 0; i < m; i++) {
			if ((t[i] = run_cli(cli, dir, ids[i], &c[i])) < 0) {
				fprintf(stderr, "show_bench: '%s show %s' failed\n", cli, ids[i]);
				printf("}\n");
				goto done;
			}
		}
		summarize(t, m, &med, &p99, &mean);
		printf(", \"cli_n\": %zu, \"cli_median_ms\": %.2f, \"cli_p99_ms\": %.2f, "
		       "\"cli_mean_ms\": %.2f", m, med / 1e3, p99 / 1e3, mean / 1e3);
		summarize(c, m, &med, &p99, &mean);
		printf(", \"cli_cpu_median_ms\": %.2f, \"cli_cpu_p99_ms\": %.2f", med / 1e3, p99 / 1e3);
	}
	printf("}\n");
	rc = 0;
done:
	for (size_t i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	free(t);
	free(c);
	custos_record_free(&rec);
	custos_store_free(st);
	return rc;
}
