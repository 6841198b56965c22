/* Index benchmark: generates N synthetic posts (Zipf vocabulary) directly as
 * custos_record_t, indexes them, compacts, and times a fixed mix of queries.
 *
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Icommon -Iindexer bench/index_bench.c \
 *      build/release/libcustos.a $(pkg-config --libs xapian-core ...) -lstdc++ -lpthread -lm
 *   index_bench [-n N] [-d DIR] [--shuffle] [--nothread] [--runs R] [--keep]
 *
 * Prints one line per figure: index rate, bytes/record after compaction, and
 * p50/p99 query latency for relevance and newest-first order. */
#include "custos_common.h"
#include "custos_indexer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "synth_words.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double proc_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	long n = 100000;
	const char *dir = "/tmp/custos-index-bench";
	int shuffle = 0, nothread = 0, runs = 20, keep = 0, reuse = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--shuffle"))
			shuffle = 1;
		else if (!strcmp(argv[i], "--nothread"))
			nothread = 1;
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else if (!strcmp(argv[i], "--reuse"))
			reuse = 1;
		else {
			fprintf(stderr, "usage: index_bench [-n N] [-d DIR] [--shuffle] [--nothread] "
			                "[--runs R] [--keep] [--reuse]\n");
			return 2;
		}
	}
	custos_global_init();
	make_vocab();

	/* generate everything first so that only indexing is timed */
	gen_t *g;
	char *texts;
	size_t tlen;
	synth_generate(n, &g, &texts, &tlen);
	if (shuffle)
		for (long i = n - 1; i > 0; i--) {
			long j = (long)(rnd() % (uint64_t)(i + 1));
			gen_t tmp = g[i];
			g[i] = g[j];
			g[j] = tmp;
		}
	printf("generated %ld records, %.1f bytes of text each\n", n, (double)tlen / n);
	setvbuf(stdout, NULL, _IOLBF, 0);

	char path[4200];
	snprintf(path, sizeof path, "%s/index", dir);
	custos_index_t *idx = NULL;
	custos_err_t err;
	double t;
	if (!reuse) {
		char cmd[4400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
		if (system(cmd) != 0)
			return 1;
		if (custos_index_open(&idx, path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE |
		                      (nothread ? CUSTOS_INDEX_NOTHREAD : 0), &err) < 0) {
			fprintf(stderr, "open: %s\n", err.msg);
			return 1;
		}
		custos_record_t r;
		custos_record_init(&r);
		char id[64], thread[64], handle[32], account[32], tagbuf[2][32], mention[32], url[64];
		char *tagv[2], *mentionv[1], *urlv[1];
		custos_media_t media[1];
		memset(media, 0, sizeof media);
		double c0 = proc_cpu();
		t = now();
		for (long i = 0; i < n; i++) {
			gen_t *x = &g[i];
			custos_record_init(&r);
			snprintf(id, sizeof id, "%s:%ld", platforms[x->platform], i + 1);
			r.id = id;
			r.seq = (uint64_t)i + 1;
			r.version = 1;
			r.platform = (char *)platforms[x->platform];
			snprintf(account, sizeof account, "account%d", x->account);
			r.account = account;
			r.kind = (char *)kinds[x->kind];
			snprintf(handle, sizeof handle, "User%d", x->author);
			r.author_handle = handle;
			r.created_at = x->created_at;
			r.lang = (char *)langs[x->lang];
			r.text = texts + x->text_off;
			if (x->thread) {
				snprintf(thread, sizeof thread, "%s:%u", platforms[x->platform], x->thread);
				r.thread = thread;
			}
			for (int k = 0; k < x->ntag; k++) {
				snprintf(tagbuf[k], sizeof tagbuf[k], "Tag%d", (x->tag + k * 7) % NTAGS);
				tagv[k] = tagbuf[k];
			}
			r.hashtags.v = tagv;
			r.hashtags.n = x->ntag;
			if (x->mention) {
				snprintf(mention, sizeof mention, "user%d", (x->author * 7 + 3) % NAUTH);
				mentionv[0] = mention;
				r.mentions.v = mentionv;
				r.mentions.n = 1;
			}
			if (x->url) {
				snprintf(url, sizeof url, "https://site%d.example.com/p/%ld", x->tag % 300, i);
				urlv[0] = url;
				r.urls.v = urlv;
				r.urls.n = 1;
			}
			if (x->media) {
				r.media = media;
				r.n_media = 1;
			}
			if (custos_index_add(idx, &r) < 0) {
				fprintf(stderr, "add: %s\n", custos_index_errmsg(idx));
				return 1;
			}
			if ((i + 1) % 10000 == 0 && custos_index_commit(idx, (uint64_t)i + 1) < 0) {
				fprintf(stderr, "commit: %s\n", custos_index_errmsg(idx));
				return 1;
			}
		}
		if (custos_index_commit(idx, (uint64_t)n) < 0) {
			fprintf(stderr, "commit: %s\n", custos_index_errmsg(idx));
			return 1;
		}
		double ti = now() - t, ci = proc_cpu() - c0;
		custos_index_free(idx);
		long before = dir_bytes(path);
		t = now();
		if (custos_index_compact(path, &err) < 0) {
			fprintf(stderr, "compact: %s\n", err.msg);
			return 1;
		}
		double tc = now() - t;
		long after = dir_bytes(path);
		printf("index: %ld records in %.2f s = %.0f records/s (%s); %.1f cpu-s, %.0f us cpu "
		       "per record\n", n, ti, n / ti, nothread ? "one thread" : "shard threads", ci,
		       ci * 1e6 / n);
		printf("size: %.0f bytes/record before compaction, %.0f after (compaction %.2f s)\n",
		       (double)before / n, (double)after / n, tc);
		fflush(stdout);
	}

	if (custos_index_open(&idx, path, CUSTOS_INDEX_READ, &err) < 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		return 1;
	}
	if (getenv("BENCH_Q")) {   /* one query, many times: for profiling */
		custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
		o.sort = getenv("BENCH_SORT") ? atoi(getenv("BENCH_SORT")) : 0;
		o.estimate_total = getenv("BENCH_EST") != NULL;
		o.count_only = getenv("BENCH_COUNT") != NULL;
		if (getenv("BENCH_FACETS"))
			o.facets = CUSTOS_FACET_BIT(CUSTOS_FACET_PLATFORM) | CUSTOS_FACET_BIT(CUSTOS_FACET_YEAR);
		t = cpu_now();
		int reps = getenv("BENCH_REPS") ? atoi(getenv("BENCH_REPS")) : 2000;
		double best = 1e9;
		for (int i = 0; i < reps; i++) {
			double t1 = cpu_now();
			custos_index_results_t *res = NULL;
			if (custos_index_search(idx, &res, getenv("BENCH_Q"), &o) < 0)
				return 1;
			custos_index_results_free(res);
			if (cpu_now() - t1 < best)
				best = cpu_now() - t1;
		}
		printf("fastest %.3f ms cpu; ", best * 1000);
		printf("%.3f ms cpu per query\n", (cpu_now() - t) * 1000 / reps);
		return 0;
	}
	/* the query mix: words by Zipf rank, fields, dates, phrases */
	char q[32][256];
	int nq = 0;
	char p2[128];
	synth_phrase(p2, sizeof p2, n, texts, g);
#define Q(...) snprintf(q[nq++], sizeof q[0], __VA_ARGS__)
	Q("%s", words[2]);                                  /* very common */
	Q("%s", words[40]);
	Q("%s", words[900]);                                /* medium */
	Q("%s", words[15000]);                              /* rare */
	Q("%s", words[50000]);                              /* very rare */
	Q("%s %s", words[10], words[60]);                   /* AND */
	Q("%s %s", words[300], words[3000]);
	Q("%s OR %s", words[25], words[400]);               /* OR */
	Q("%s OR %s", words[5000], words[7000]);
	Q("\"%s\"", p2);                                    /* phrase */
	Q("%s -%s", words[12], words[5]);                   /* NOT */
	Q("%.4s*", words[700]);                             /* wildcard */
	Q("platform:mastodon %s", words[30]);               /* fields */
	Q("from:user%d", 5);
	Q("#tag%d", 3);
	Q("@user%d %s", 10, words[20]);
	Q("kind:reply %s", words[100]);
	Q("lang:de %s", words[8]);
	Q("has:media %s", words[50]);
	Q("%s date:2015-01-01..2015-06-30", words[15]);     /* dates */
	Q("date:2019-03");
	Q("%s date:..2011-12-31", words[200]);
	Q("url:site7.example.com");
	Q("thread:x:%ld", n / 2);
#undef Q
	int facet_q[] = { 1, 8 };   /* these also ask for facets */
	size_t nlat = (size_t)runs * nq;
	double *lat[2], *cpu[2];
	lat[0] = malloc(sizeof(double) * nlat);
	lat[1] = malloc(sizeof(double) * nlat);
	cpu[0] = malloc(sizeof(double) * nlat);
	cpu[1] = malloc(sizeof(double) * nlat);
	const int sorts[2] = { CUSTOS_SORT_RELEVANCE, CUSTOS_SORT_DATE_DESC };
	for (int s = 0; s < 2; s++) {
		size_t k = 0;
		/* warm up the page cache once */
		for (int i = 0; i < nq; i++) {
			custos_index_results_t *res = NULL;
			custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
			o.sort = sorts[s];
			if (custos_index_search(idx, &res, q[i], &o) < 0) {
				fprintf(stderr, "query '%s': %s\n", q[i], custos_index_errmsg(idx));
				return 1;
			}
			if (s == 0 && n >= 1000)
				printf("  q%02d %8llu hits  %s\n", i, (unsigned long long)res->total, q[i]);
			custos_index_results_free(res);
		}
		for (int r = 0; r < runs; r++)
			for (int i = 0; i < nq; i++) {
				custos_index_results_t *res = NULL;
				custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
				o.sort = sorts[s];
				if (i == facet_q[0] || i == facet_q[1])
					o.facets = CUSTOS_FACET_BIT(CUSTOS_FACET_PLATFORM) |
					           CUSTOS_FACET_BIT(CUSTOS_FACET_YEAR);
				double c = cpu_now();
				t = now();
				custos_index_search(idx, &res, q[i], &o);
				lat[s][k] = (now() - t) * 1000;
				cpu[s][k++] = (cpu_now() - c) * 1000;
				custos_index_results_free(res);
			}
		qsort(lat[s], k, sizeof(double), cmp_double);
		qsort(cpu[s], k, sizeof(double), cmp_double);
		printf("query %-12s (%d queries x %d runs, limit 20, exact total): p50 %.2f ms, "
		       "p90 %.2f ms, p99 %.2f ms, max %.2f ms; cpu time p50 %.2f ms, p99 %.2f ms\n",
		       s == 0 ? "relevance" : "newest-first", nq, runs, lat[s][k / 2],
		       lat[s][k * 9 / 10], lat[s][k * 99 / 100], lat[s][k - 1], cpu[s][k / 2],
		       cpu[s][k * 99 / 100]);
	}
	/* per-query medians, to see which ones cost */
	if (getenv("BENCH_VERBOSE"))
		for (int i = 0; i < nq; i++)
			for (int s = 0; s < 2; s++) {
				double v[64];
				int m = runs < 64 ? runs : 64;
				for (int r = 0; r < m; r++) {
					custos_index_results_t *res = NULL;
					custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
					o.sort = sorts[s];
					t = cpu_now();
					custos_index_search(idx, &res, q[i], &o);
					v[r] = (cpu_now() - t) * 1000;
					custos_index_results_free(res);
				}
				qsort(v, m, sizeof(double), cmp_double);
				printf("  q%02d %-12s cpu p50 %.2f ms  %s\n", i, s ? "newest" : "relevance",
				       v[m / 2], q[i]);
			}
	custos_index_free(idx);
	if (!keep && !reuse) {
		char cmd[4400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
