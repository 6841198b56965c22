/* One archive, many sessions, under load (issue 10's figures): producers
 * submitting NDJSON through custos_archive_submit and readers searching and
 * fetching, all in one process for a fixed time; then every acknowledged
 * record is looked for and the archive verified. And the audit appender's
 * cost at a short and at a long history.
 *
 *   concurrent --archive DIR --input posts.ndjson [--producers 8] [--readers 8]
 *              [--seconds 60] [--lines 200] [--index on|off]
 *   concurrent --audit DIR --entries 1000000
 *
 * Prints one line of key=value figures on stdout (bench/run.sh reads it). */
#include "custos.h"
#include "custos_archiver.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "concurrent: %s: %s\n", what, msg);
	exit(1);
}

/* ---- the load ------------------------------------------------------------- */

static char *input;
static size_t *line_at, n_lines;   /* offsets of line starts, and one past the end */
static atomic_size_t next_line;
static atomic_bool stop_all;
static size_t per_submit = 200;

typedef struct {
	custos_archive_t *a;
	int k;
	uint64_t acked, submits, failures;
	double *lat;             /* readers: each search's latency, s */
	size_t n_lat, cap_lat;
	uint64_t searches, fetched;
	char msg[1100];
} worker_t;

static void *producer(void *arg)
{
	worker_t *w = arg;
	custos_session_t *s = NULL;
	custos_who_t who = CUSTOS_WHO_INIT;
	custos_err_t err = { 0 };
	who.role = CUSTOS_ROLE_INGEST;
	who.token = "bench-producer";
	if (custos_session_open(&s, w->a, &who, &err) != 0)
		die("session", err.msg);
	while (!atomic_load(&stop_all)) {
		size_t first = atomic_fetch_add(&next_line, per_submit);
		if (first >= n_lines)
			break;
		size_t last = first + per_submit < n_lines ? first + per_submit : n_lines;
		custos_submit_result_t *r = NULL;
		if (custos_archive_submit(s, input + line_at[first], line_at[last] - line_at[first],
		                          "bench", &r) != 0) {
			w->failures++;
			snprintf(w->msg, sizeof w->msg, "%s", custos_session_err(s)->msg);
			continue;
		}
		w->acked += r->added + r->versions + r->unchanged;
		w->submits++;
		custos_submit_result_free(r);
	}
	custos_session_free(s);
	return NULL;
}

static const char *const queries[] = {
	"the", "post", "#topic1", "from:user1", "kind:reply", "platform:x", "new AND post",
	"\"a new\"", "date:2023-01-01..2023-06-30",
};

static void *reader(void *arg)
{
	worker_t *w = arg;
	custos_session_t *s = NULL;
	custos_who_t who = CUSTOS_WHO_INIT;
	custos_err_t err = { 0 };
	who.role = CUSTOS_ROLE_LEGAL;
	who.token = "bench-reader";
	if (custos_session_open(&s, w->a, &who, &err) != 0)
		die("session", err.msg);
	for (size_t i = (size_t)w->k; !atomic_load(&stop_all); i++) {
		custos_search_opts_t o = CUSTOS_SEARCH_OPTS_INIT;
		custos_search_result_t *res = NULL;
		o.snippets = true;
		o.sort = i % 2 ? CUSTOS_SORT_DATE_DESC : CUSTOS_SORT_RELEVANCE;
		custos_session_refresh(s);
		double t0 = now_s();
		int rc = custos_archive_search(s, queries[i % (sizeof queries / sizeof *queries)], &o,
		                               &res);
		if (rc == 0) {
			/* a search and the records it fetches agree */
			for (size_t h = 0; h < res->n_hits && h < 5; h++) {
				custos_items_t l = { 0 };
				if (custos_archive_show(s, res->hits[h].id, 0, CUSTOS_SHOW_ONE, &l) != 0) {
					w->failures++;
					snprintf(w->msg, sizeof w->msg, "show: %s", custos_session_err(s)->msg);
				} else {
					w->fetched++;
				}
				custos_items_free(&l);
			}
		} else {
			w->failures++;
			snprintf(w->msg, sizeof w->msg, "search: %s", custos_session_err(s)->msg);
		}
		double dt = now_s() - t0;
		custos_search_result_free(res);
		if (w->n_lat == w->cap_lat) {
			w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 4096;
			w->lat = realloc(w->lat, w->cap_lat * sizeof *w->lat);
			if (!w->lat)
				die("reader", "out of memory");
		}
		w->lat[w->n_lat++] = dt;
		w->searches++;
	}
	custos_session_free(s);
	return NULL;
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static void load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	input = malloc((size_t)n + 1);
	if (!input || fread(input, 1, (size_t)n, f) != (size_t)n)
		die(path, "cannot read");
	fclose(f);
	input[n] = '\n';
	size_t cap = 1024;
	line_at = malloc(cap * sizeof *line_at);
	line_at[0] = 0;
	for (size_t i = 0; i < (size_t)n; i++)
		if (input[i] == '\n' && i + 1 <= (size_t)n) {
			if (n_lines + 2 >= cap) {
				cap *= 2;
				line_at = realloc(line_at, cap * sizeof *line_at);
			}
			line_at[++n_lines] = i + 1;
		}
}

static int run_load(const char *dir, const char *path, int np, int nr, double seconds,
                    bool no_index)
{
	custos_archive_t *a = NULL;
	custos_err_t err = { 0 };
	load(path);
	if (custos_archive_init(dir, NULL, &err) != 0)
		die("init", err.msg);
	if (custos_archive_open(&a, dir, CUSTOS_OPEN_WRITE | (no_index ? CUSTOS_OPEN_NO_INDEX : 0),
	                        &err) != 0)
		die("open", err.msg);
	pthread_t th[64];
	worker_t w[64];
	memset(w, 0, sizeof w);
	double t0 = now_s();
	for (int i = 0; i < np + nr; i++) {
		w[i].a = a;
		w[i].k = i;
		pthread_create(&th[i], NULL, i < np ? producer : reader, &w[i]);
	}
	/* until the time is up or every line was submitted */
	while (now_s() - t0 < seconds && atomic_load(&next_line) < n_lines)
		usleep(50000);
	for (int i = 0; i < np; i++)
		pthread_join(th[i], NULL);
	double ingest_secs = now_s() - t0;
	atomic_store(&stop_all, true);
	for (int i = np; i < np + nr; i++)
		pthread_join(th[i], NULL);
	uint64_t acked = 0, submits = 0, failures = 0, searches = 0, fetched = 0;
	size_t n_lat = 0;
	for (int i = 0; i < np + nr; i++) {
		acked += w[i].acked;
		submits += w[i].submits;
		failures += w[i].failures;
		searches += w[i].searches;
		fetched += w[i].fetched;
		n_lat += w[i].n_lat;
		if (w[i].failures)
			fprintf(stderr, "concurrent: worker %d: %llu failures, the last: %s\n", i,
			        (unsigned long long)w[i].failures, w[i].msg);
	}
	double *lat = malloc((n_lat + 1) * sizeof *lat);
	size_t k = 0;
	for (int i = np; i < np + nr; i++) {
		memcpy(lat + k, w[i].lat, w[i].n_lat * sizeof *lat);
		k += w[i].n_lat;
		free(w[i].lat);
	}
	qsort(lat, n_lat, sizeof *lat, cmp_d);
	double p50 = n_lat ? lat[n_lat / 2] : 0, p99 = n_lat ? lat[(n_lat * 99) / 100] : 0;
	free(lat);
	/* how far the index was behind when the load stopped */
	custos_session_t *s = NULL;
	custos_stats_t st;
	custos_session_open(&s, a, NULL, &err);
	uint64_t lag = 0;
	if (custos_archive_stats(s, &st) == 0) {
		lag = st.index_lag;
		custos_stats_free(&st);
	}
	custos_session_free(s);
	custos_archive_close(a);

	/* a fresh open: everything acknowledged is there, and it verifies */
	if (custos_archive_open(&a, dir, CUSTOS_OPEN_READ, &err) != 0)
		die("reopen", err.msg);
	custos_session_open(&s, a, NULL, &err);
	custos_verify_t v;
	double tv = now_s();
	int vrc = custos_archive_verify(s, NULL, NULL, &v);
	tv = now_s() - tv;
	printf("producers=%d readers=%d seconds=%.1f acked=%llu rate=%.0f submits=%llu "
	       "searches=%llu qps=%.1f p50_ms=%.2f p99_ms=%.2f fetched=%llu lag=%llu "
	       "stored=%llu verify=%s verify_s=%.1f failures=%llu\n",
	       np, nr, ingest_secs, (unsigned long long)acked, (double)acked / ingest_secs,
	       (unsigned long long)submits, (unsigned long long)searches,
	       (double)searches / ingest_secs, p50 * 1e3, p99 * 1e3, (unsigned long long)fetched,
	       (unsigned long long)lag, (unsigned long long)v.store.records,
	       vrc == 0 ? "clean" : "FAILED", tv, (unsigned long long)failures);
	if (vrc != 0)
		fprintf(stderr, "concurrent: verify: %s\n", custos_session_err(s)->msg);
	int bad = vrc != 0 || v.store.records != acked || failures;
	custos_verify_free(&v);
	custos_session_free(s);
	custos_archive_close(a);
	free(input);
	free(line_at);
	return bad;
}

/* ---- the audit appender ---------------------------------------------------- */

/* Appends n chained entries straight to the log (a long history, quickly). */
static void grow_log(const char *dir, uint64_t n)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/audit/audit.log", dir);
	custos_auditlog_t *l = NULL;
	custos_err_t err = { 0 };
	uint64_t at = 0;
	uint8_t h[CUSTOS_SHA256_LEN];
	if (custos_auditlog_open(&l, dir, &err) != 0)
		die("audit", err.msg);
	custos_auditlog_synced(l, &at, h);
	custos_auditlog_free(l);
	FILE *f = fopen(path, "ab");
	if (!f)
		die(path, strerror(errno));
	custos_buf_t b = { 0 };
	for (uint64_t i = 1; i <= n; i++) {
		char hex[CUSTOS_SHA256_HEX];
		custos_hex(hex, h, sizeof h);
		custos_buf_clear(&b);
		custos_buf_printf(&b, "{\"n\":%llu,\"time\":\"2026-01-01T00:00:00Z\",\"user\":\"bench\","
		                  "\"action\":\"search\",\"params\":{\"query\":\"q\"},\"result\":"
		                  "{\"hits\":1},\"status\":\"ok\",\"prev\":\"%s\"}",
		                  (unsigned long long)(at + i), hex);
		custos_sha256(h, b.data, b.len);
		custos_buf_addc(&b, '\n');
		fwrite(b.data, 1, b.len, f);
	}
	fflush(f);
	fsync(fileno(f));
	fclose(f);
	custos_buf_free(&b);
}

static double time_appends(const char *dir, int n, double *open_s)
{
	custos_auditlog_t *l = NULL;
	custos_err_t err = { 0 };
	custos_audit_entry_t e = { "search", NULL, NULL, NULL, NULL, "{\"query\":\"q\"}",
	                           "{\"hits\":1}", CUSTOS_OK };
	double t0 = now_s();
	if (custos_auditlog_open(&l, dir, &err) != 0)
		die("audit", err.msg);
	*open_s = now_s() - t0;
	double *v = malloc(n * sizeof *v);
	for (int i = 0; i < n; i++) {
		double t = now_s();
		if (custos_auditlog_append(l, &e, NULL, &err) != 0)
			die("append", err.msg);
		v[i] = now_s() - t;
	}
	custos_auditlog_free(l);
	qsort(v, n, sizeof *v, cmp_d);
	double med = v[n / 2];
	free(v);
	return med;
}

static int run_audit(const char *dir, uint64_t entries)
{
	custos_err_t err = { 0 };
	double o1, o2;
	if (custos_archive_init(dir, NULL, &err) != 0)
		die("init", err.msg);
	grow_log(dir, 9);   /* 10 entries with init's */
	double a10 = time_appends(dir, 200, &o1);
	grow_log(dir, entries - 10 - 200);
	double abig = time_appends(dir, 200, &o2);
	printf("audit_small=%llu append_small_us=%.0f open_small_us=%.0f audit_large=%llu "
	       "append_large_us=%.0f open_large_us=%.0f\n", 10ULL, a10 * 1e6, o1 * 1e6,
	       (unsigned long long)entries, abig * 1e6, o2 * 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *in = NULL, *audit = NULL;
	int np = 8, nr = 8;
	double seconds = 60;
	uint64_t entries = 1000000;
	bool no_index = false;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--archive"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--input"))
			in = argv[i + 1];
		else if (!strcmp(argv[i], "--producers"))
			np = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--readers"))
			nr = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--lines"))
			per_submit = (size_t)atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--index"))
			no_index = !strcmp(argv[i + 1], "off");
		else if (!strcmp(argv[i], "--audit"))
			audit = argv[i + 1];
		else if (!strcmp(argv[i], "--entries"))
			entries = strtoull(argv[i + 1], NULL, 10);
		else
			die("usage", argv[i]);
	}
	if (custos_global_init() != 0)
		die("init", "crypto");
	if (audit)
		return run_audit(audit, entries);
	if (!dir || !in || np < 1 || nr < 0 || np + nr > 64 || !per_submit)
		die("usage", "--archive DIR --input FILE [--producers N] [--readers N] [--seconds S]");
	return run_load(dir, in, np, nr, seconds, no_index);
}
