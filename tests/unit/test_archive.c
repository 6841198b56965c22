/* The library as a server uses it: one archive shared by threads, a session
 * per request, group commit, the index service and the audit appender. */
#include "check.h"
#include "lib_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char arch[4400];

static custos_archive_t *new_archive(unsigned flags)
{
	custos_archive_t *a = NULL;
	custos_err_t err = { 0 };
	snprintf(arch, sizeof arch, "%s/archive", check_tmpdir);
	if (custos_archive_init(arch, NULL, &err) != 0)
		check__fail(__FILE__, __LINE__, "init: %s", err.msg);
	if (custos_archive_open(&a, arch, flags, &err) != 0)
		check__fail(__FILE__, __LINE__, "open: %s", err.msg);
	return a;
}

static custos_session_t *session(custos_archive_t *a, custos_role_t role)
{
	custos_session_t *s = NULL;
	custos_who_t who = CUSTOS_WHO_INIT;
	custos_err_t err = { 0 };
	who.role = role;
	who.actor = "tester";
	if (custos_session_open(&s, a, &who, &err) != 0)
		check__fail(__FILE__, __LINE__, "session: %s", err.msg);
	return s;
}

#define CHECK_S(s, call) do { int s__ = (call); if (s__ != 0) \
	check__fail(__FILE__, __LINE__, "%s: %d %s", #call, s__, custos_session_err(s)->msg); \
	} while (0)

static void record_line(custos_buf_t *b, const char *id, const char *text, const char *reply_to)
{
	custos_buf_printf(b, "{\"id\":\"%s\",\"platform\":\"x\",\"author\":{\"handle\":\"acme\"},"
	                  "\"created_at\":\"2024-05-01T10:00:00Z\",\"text\":\"%s\"", id, text);
	if (reply_to)
		custos_buf_printf(b, ",\"in_reply_to\":\"%s\"", reply_to);
	custos_buf_adds(b, "}\n");
}

/* ---- sessions, roles and submit ------------------------------------------- */

static void test_archive__a_second_handle_on_one_archive_is_refused(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_READ), *b = NULL;
	custos_err_t err = { 0 };
	CHECK_STATUS(custos_archive_open(&b, arch, CUSTOS_OPEN_READ, &err), CUSTOS_EBUSY);
	CHECK(strstr(err.msg, "already open in this process"));
	CHECK(b == NULL);
	custos_archive_close(a);
	CHECK_OK(custos_archive_open(&b, arch, CUSTOS_OPEN_READ, &err));
	custos_archive_close(b);
}

static void test_archive__roles_are_checked_below_the_api(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_WRITE);
	custos_session_t *ing = session(a, CUSTOS_ROLE_INGEST), *aud = session(a, CUSTOS_ROLE_AUDITOR);
	custos_submit_result_t *r = NULL;
	custos_search_result_t *res = NULL;
	custos_buf_t b = { 0 };
	record_line(&b, "x:1", "hello", NULL);
	CHECK_S(ing, custos_archive_submit(ing, b.data, b.len, "conn", &r));
	custos_submit_result_free(r);
	/* an ingest token cannot search; an auditor cannot ingest */
	CHECK_STATUS(custos_archive_search(ing, "hello", NULL, &res), CUSTOS_EDENIED);
	CHECK(strstr(custos_session_err(ing)->msg, "the ingest role may not search"));
	CHECK_STATUS(custos_archive_submit(aud, b.data, b.len, "conn", &r), CUSTOS_EDENIED);
	CHECK(r == NULL);
	custos_session_t *op = session(a, CUSTOS_ROLE_OPERATOR);
	CHECK_S(op, custos_archive_index(op, false, NULL, NULL, NULL));
	custos_session_free(op);
	CHECK_S(aud, custos_archive_search(aud, "hello", NULL, &res));
	CHECK_INT(res->total, 1);
	custos_search_result_free(res);
	custos_buf_free(&b);
	custos_session_free(ing);
	custos_session_free(aud);
	custos_archive_close(a);
}

static void test_archive__submit_refuses_a_text_with_a_line_that_is_not_json(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_WRITE);
	custos_session_t *s = session(a, CUSTOS_ROLE_INGEST);
	custos_submit_result_t *r = NULL;
	custos_buf_t b = { 0 };
	uint64_t last = 0;
	record_line(&b, "x:1", "one", NULL);
	custos_buf_adds(&b, "{\"id\": not json\n");
	record_line(&b, "x:2", "two", NULL);
	CHECK_STATUS(custos_archive_submit(s, b.data, b.len, "conn", &r), CUSTOS_EFORMAT);
	CHECK(strstr(custos_session_err(s)->msg, "line 2 is not JSON"));
	CHECK(r == NULL);
	CHECK_OK(custos_store_last_seq(a->store, &last));
	CHECK_INT(last, 0);   /* nothing of it was committed */
	/* JSON that is not a record: quarantined, the rest taken, per line */
	custos_buf_clear(&b);
	record_line(&b, "x:1", "one", NULL);
	custos_buf_adds(&b, "{\"id\":\"x:3\"}\n\n");
	record_line(&b, "x:2", "two", NULL);
	CHECK_S(s, custos_archive_submit(s, b.data, b.len, "conn", &r));
	CHECK_INT(r->n, 3);
	CHECK_INT(r->v[0].outcome, CUSTOS_LINE_ADDED);
	CHECK_INT(r->v[1].outcome, CUSTOS_LINE_QUARANTINED);
	CHECK(r->v[1].why && r->v[1].seq == 1);
	CHECK_INT(r->v[2].outcome, CUSTOS_LINE_ADDED);
	CHECK_INT(r->added, 2);
	custos_submit_result_free(r);
	/* the same text again adds nothing */
	CHECK_S(s, custos_archive_submit(s, b.data, b.len, "conn", &r));
	CHECK_INT(r->v[0].outcome, CUSTOS_LINE_UNCHANGED);
	CHECK_INT(r->v[1].seq, 1);
	CHECK_INT(r->added + r->quarantined, 0);
	custos_submit_result_free(r);
	custos_buf_free(&b);
	custos_session_free(s);
	custos_archive_close(a);
}

/* A reply committed in the same batch as its parent is in the parent's
 * thread, as an index rebuilt from the store says. */
static void test_archive__a_reply_in_its_parents_batch_joins_the_thread(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_WRITE);
	custos_session_t *s = session(a, CUSTOS_ROLE_OPERATOR);
	custos_submit_result_t *r = NULL;
	custos_search_result_t *res = NULL;
	custos_search_opts_t o = CUSTOS_SEARCH_OPTS_INIT;
	custos_buf_t b = { 0 };
	record_line(&b, "x:1", "root post", NULL);
	record_line(&b, "x:2", "a reply", "x:1");
	record_line(&b, "x:3", "a reply to the reply", "x:2");
	CHECK_S(s, custos_archive_submit(s, b.data, b.len, "conn", &r));
	custos_submit_result_free(r);
	CHECK_S(s, custos_archive_index(s, false, NULL, NULL, NULL));
	o.count_only = true;
	CHECK_S(s, custos_archive_search(s, "thread:x:1", &o, &res));
	CHECK_INT(res->total, 3);
	custos_search_result_free(res);
	CHECK_S(s, custos_archive_index(s, true, NULL, NULL, NULL));
	custos_session_refresh(s);
	CHECK_S(s, custos_archive_search(s, "thread:x:1", &o, &res));
	CHECK_INT(res->total, 3);
	custos_search_result_free(res);
	custos_buf_free(&b);
	custos_session_free(s);
	custos_archive_close(a);
}

/* ---- many producers and readers at once ----------------------------------- */

enum { PRODUCERS = 8, READERS = 8, PER_SUBMIT = 40 };

typedef struct {
	custos_archive_t *a;
	int k;
	atomic_bool *stop;
	atomic_ullong *acked_total;
	char **acked;            /* ids acknowledged to this producer */
	size_t n_acked, cap;
	int failures;
	char msg[1100];
} worker_t;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *producer(void *arg)
{
	worker_t *w = arg;
	custos_session_t *s = NULL;
	custos_who_t who = CUSTOS_WHO_INIT;
	custos_err_t err = { 0 };
	custos_buf_t b = { 0 };
	who.role = CUSTOS_ROLE_INGEST;
	who.token = "producer";
	if (custos_session_open(&s, w->a, &who, &err) != 0) {
		w->failures++;
		snprintf(w->msg, sizeof w->msg, "%s", err.msg);
		return NULL;
	}
	for (int round = 0; !atomic_load(w->stop); round++) {
		char id[64], text[128];
		custos_buf_clear(&b);
		for (int i = 0; i < PER_SUBMIT; i++) {
			snprintf(id, sizeof id, "x:%d-%d-%d", w->k, round, i);
			snprintf(text, sizeof text, "load test word%d producer%d round%d", i % 7, w->k, round);
			/* every fifth record replies to the one before it, same batch */
			record_line(&b, id, text, NULL);
		}
		custos_submit_result_t *r = NULL;
		if (custos_archive_submit(s, b.data, b.len, "load", &r) != 0) {
			w->failures++;
			snprintf(w->msg, sizeof w->msg, "%s", custos_session_err(s)->msg);
			break;
		}
		for (size_t i = 0; i < r->n; i++) {
			if (r->v[i].outcome != CUSTOS_LINE_ADDED) {
				w->failures++;
				snprintf(w->msg, sizeof w->msg, "line %zu: outcome %d", i, r->v[i].outcome);
				continue;
			}
			if (w->n_acked == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 256;
				w->acked = realloc(w->acked, w->cap * sizeof *w->acked);
			}
			w->acked[w->n_acked++] = strdup(r->v[i].id);
		}
		atomic_fetch_add(w->acked_total, r->n);
		custos_submit_result_free(r);
	}
	custos_buf_free(&b);
	custos_session_free(s);
	return NULL;
}

static void *reader(void *arg)
{
	worker_t *w = arg;
	custos_session_t *s = NULL;
	custos_who_t who = CUSTOS_WHO_INIT;
	custos_err_t err = { 0 };
	who.role = CUSTOS_ROLE_LEGAL;
	who.token = "reader";
	if (custos_session_open(&s, w->a, &who, &err) != 0) {
		w->failures++;
		snprintf(w->msg, sizeof w->msg, "%s", err.msg);
		return NULL;
	}
	for (int i = 0; !atomic_load(w->stop); i++) {
		custos_search_opts_t o = CUSTOS_SEARCH_OPTS_INIT;
		custos_search_result_t *res = NULL;
		char q[32];
		o.snippets = true;
		o.facets = CUSTOS_FACET_BIT(CUSTOS_FACET_PLATFORM);
		snprintf(q, sizeof q, "word%d", (i + w->k) % 7);
		custos_session_refresh(s);
		if (custos_archive_search(s, q, &o, &res) != 0) {
			/* the index is created by the service's first round */
			if (custos_session_err(s)->status == CUSTOS_EINDEX && i < 50) {
				usleep(10000);
				continue;
			}
			w->failures++;
			snprintf(w->msg, sizeof w->msg, "search: %s", custos_session_err(s)->msg);
			break;
		}
		/* a search and the records it fetches agree: every hit is there */
		for (size_t h = 0; h < res->n_hits && h < 3; h++) {
			custos_items_t l = { 0 };
			if (custos_archive_show(s, res->hits[h].id, 0, CUSTOS_SHOW_ONE, &l) != 0) {
				w->failures++;
				snprintf(w->msg, sizeof w->msg, "show %s: %s", res->hits[h].id,
				         custos_session_err(s)->msg);
			}
			custos_items_free(&l);
		}
		custos_search_result_free(res);
	}
	custos_session_free(s);
	return NULL;
}

static void test_archive__producers_and_readers_at_once_lose_nothing(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_WRITE);
	pthread_t th[PRODUCERS + READERS];
	worker_t w[PRODUCERS + READERS];
	atomic_bool stop = false;
	atomic_ullong acked = 0;
	const char *env = getenv("CUSTOS_TEST_SECONDS");
	double seconds = env ? atof(env) : 2.0, t0 = now_s();
	memset(w, 0, sizeof w);
	for (int i = 0; i < PRODUCERS + READERS; i++) {
		w[i].a = a;
		w[i].k = i;
		w[i].stop = &stop;
		w[i].acked_total = &acked;
		CHECK(pthread_create(&th[i], NULL, i < PRODUCERS ? producer : reader, &w[i]) == 0);
	}
	while (now_s() - t0 < seconds)
		usleep(20000);
	atomic_store(&stop, true);
	for (int i = 0; i < PRODUCERS + READERS; i++)
		CHECK(pthread_join(th[i], NULL) == 0);
	double secs = now_s() - t0;
	for (int i = 0; i < PRODUCERS + READERS; i++)
		if (w[i].failures)
			check__fail(__FILE__, __LINE__, "%s %d: %d failures, the last: %s",
			            i < PRODUCERS ? "producer" : "reader", i, w[i].failures, w[i].msg);
	printf("  %llu records acknowledged by %d producers in %.1f s (%.0f/s), %llu commits\n",
	       (unsigned long long)acked, PRODUCERS, secs, (double)acked / secs,
	       (unsigned long long)a->writer.commits);
	CHECK(acked > 0);
	/* group commit: transactions shared by producers */
	CHECK(a->writer.commits < acked / PER_SUBMIT + 1);
	custos_archive_close(a);

	/* afterwards, from a fresh open: every acknowledged record is there */
	custos_err_t err = { 0 };
	CHECK_OK(custos_archive_open(&a, arch, CUSTOS_OPEN_READ, &err));
	custos_session_t *s = session(a, CUSTOS_ROLE_OPERATOR);
	uint64_t n = 0;
	for (int i = 0; i < PRODUCERS; i++)
		for (size_t j = 0; j < w[i].n_acked; j++) {
			custos_items_t l = { 0 };
			CHECK_S(s, custos_archive_show(s, w[i].acked[j], 0, CUSTOS_SHOW_ONE, &l));
			custos_items_free(&l);
			free(w[i].acked[j]);
			n++;
		}
	for (int i = 0; i < PRODUCERS; i++)
		free(w[i].acked);
	CHECK_INT(n, acked);
	custos_verify_t v;
	CHECK_S(s, custos_archive_verify(s, NULL, NULL, &v));
	CHECK_INT(v.store.records, acked);
	CHECK_INT(v.problems, 0);
	custos_verify_free(&v);
	custos_session_free(s);
	custos_archive_close(a);
}

/* ---- the audit appender ----------------------------------------------------- */

static double append_cost(custos_auditlog_t *l, int n)
{
	custos_audit_entry_t e = { "probe", NULL, NULL, NULL, NULL, "{}", "{}", CUSTOS_OK };
	custos_err_t err = { 0 };
	double t0 = now_s();
	for (int i = 0; i < n; i++)
		if (custos_auditlog_append(l, &e, NULL, &err) != 0)
			check__fail(__FILE__, __LINE__, "append: %s", err.msg);
	return (now_s() - t0) / n;
}

/* The tail is kept in memory: an append does not read the log, and a
 * second process's appends are followed, not missed. */
static void test_archive__audit_appends_follow_another_process_and_stay_chained(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_READ);
	custos_auditlog_t *l = NULL, *other = NULL;
	custos_err_t err = { 0 };
	uint64_t n = 0, n2 = 0, entries = 0;
	uint8_t head[CUSTOS_SHA256_LEN], head2[CUSTOS_SHA256_LEN];
	CHECK_OK(custos_auditlog_open(&l, arch, &err));
	CHECK_OK(custos_auditlog_open(&other, arch, &err));
	append_cost(l, 5);
	append_cost(other, 3);   /* another appender, as another process would */
	append_cost(l, 2);
	custos_auditlog_synced(l, &n, head);
	CHECK_INT(n, 1 + 5 + 3 + 2);
	CHECK_OK(custos_audit_verify(arch, &entries, head2, &err));
	CHECK_INT(entries, n);
	CHECK(memcmp(head, head2, sizeof head) == 0);
	custos_auditlog_synced(other, &n2, head2);
	CHECK_INT(n2, 1 + 5 + 3);   /* other has not appended since */
	custos_auditlog_free(l);
	custos_auditlog_free(other);
	custos_archive_close(a);
}

/* Writes n chained entries straight into the log, as a long history. */
static void grow_log(const char *path, uint64_t first, int n)
{
	FILE *f = fopen(path, "r+");
	CHECK(f);
	/* the hash of the last line so far */
	char *line = NULL, *last = NULL;
	size_t cap = 0;
	ssize_t len;
	uint8_t h[CUSTOS_SHA256_LEN];
	while ((len = getline(&line, &cap, f)) > 0) {
		free(last);
		last = strndup(line, (size_t)len - 1);
	}
	CHECK(last);
	custos_sha256(h, last, strlen(last));
	free(last);
	custos_buf_t b = { 0 };
	for (int i = 0; i < n; i++) {
		char hex[CUSTOS_SHA256_HEX];
		custos_hex(hex, h, sizeof h);
		size_t start = b.len;
		custos_buf_printf(&b, "{\"n\":%llu,\"time\":\"2026-01-01T00:00:00Z\",\"user\":\"u\","
		                  "\"action\":\"probe\",\"params\":{},\"result\":{},\"status\":\"ok\","
		                  "\"prev\":\"%s\"}", (unsigned long long)(first + (uint64_t)i), hex);
		custos_sha256(h, b.data + start, b.len - start);
		custos_buf_addc(&b, '\n');
	}
	CHECK(fwrite(b.data, 1, b.len, f) == b.len);
	CHECK(fflush(f) == 0 && fsync(fileno(f)) == 0);
	CHECK(fclose(f) == 0);
	custos_buf_free(&b);
	free(line);
}

/* An append finds the chain's tail at the end of the log: its cost does not
 * grow with the history (the figures are printed; timings are not asserted). */
static void test_archive__an_audit_append_costs_the_same_at_any_length(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_READ);
	custos_auditlog_t *l = NULL;
	custos_err_t err = { 0 };
	char path[4500];
	snprintf(path, sizeof path, "%s/audit/audit.log", arch);
	double t0 = now_s();
	CHECK_OK(custos_auditlog_open(&l, arch, &err));
	double open_small = now_s() - t0;
	double small = append_cost(l, 20);
	custos_auditlog_free(l);
	grow_log(path, 22, 200000);
	t0 = now_s();
	CHECK_OK(custos_auditlog_open(&l, arch, &err));
	double open_large = now_s() - t0;
	double large = append_cost(l, 20);
	uint64_t n = 0;
	uint8_t head[CUSTOS_SHA256_LEN];
	custos_auditlog_synced(l, &n, head);
	CHECK_INT(n, 1 + 20 + 200000 + 20);
	custos_auditlog_free(l);
	printf("  audit: open %.0f us / append %.0f us at 21 entries; open %.0f us / append "
	       "%.0f us at 200,021\n", open_small * 1e6, small * 1e6, open_large * 1e6,
	       large * 1e6);
	uint64_t entries = 0;
	CHECK_OK(custos_audit_verify(arch, &entries, NULL, &err));
	CHECK_INT(entries, n);
	custos_archive_close(a);
}

/* The tail is found from the log's end in growing reads (4 KB first): a
 * last entry longer than the first read, or than the largest (64 KB), is
 * still found whole, and the chain goes on from it. */
static void test_archive__an_audit_tail_longer_than_the_first_read_is_found_whole(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_READ);
	custos_err_t err = { 0 };
	static const size_t sizes[] = { 5000, 70000 };
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		custos_auditlog_t *l = NULL;
		custos_buf_t p = { 0 };
		custos_buf_adds(&p, "{\"long\":\"");
		for (size_t i = 0; i < sizes[k]; i++)
			custos_buf_addc(&p, (char)('a' + i % 26));
		custos_buf_adds(&p, "\"}");
		custos_audit_entry_t e = { "probe", NULL, NULL, NULL, NULL, p.data, "{}", CUSTOS_OK };
		uint64_t n = 0, n2 = 0, entries = 0;
		uint8_t head[CUSTOS_SHA256_LEN], head2[CUSTOS_SHA256_LEN];
		CHECK_OK(custos_auditlog_open(&l, arch, &err));
		CHECK_OK(custos_auditlog_append(l, &e, NULL, &err));
		custos_auditlog_synced(l, &n, head);
		custos_auditlog_free(l);
		/* reopened: the tail is the long entry, as the appender left it */
		CHECK_OK(custos_auditlog_open(&l, arch, &err));
		custos_auditlog_synced(l, &n2, head2);
		CHECK_INT(n2, n);
		CHECK(memcmp(head, head2, sizeof head) == 0);
		append_cost(l, 1);
		custos_auditlog_synced(l, &n, head);
		CHECK_INT(n, n2 + 1);
		custos_auditlog_free(l);
		CHECK_OK(custos_audit_verify(arch, &entries, head2, &err));
		CHECK_INT(entries, n);
		CHECK(memcmp(head, head2, sizeof head) == 0);
		custos_buf_free(&p);
	}
	custos_archive_close(a);
}

/* ---- what the review page asks: activity, and what a role may do -------- */

/* id, author, created_at, in_reply_to (or NULL), text */
static void activity_line(custos_buf_t *b, const char *id, const char *author, const char *at,
                 const char *parent, const char *text)
{
	custos_buf_printf(b, "{\"id\":\"%s\",\"platform\":\"x\",\"account\":\"Acme\",\"author\":"
	                  "{\"handle\":\"%s\"},\"created_at\":\"%s\",\"text\":\"%s\"", id, author, at,
	                  text);
	if (parent)
		custos_buf_printf(b, ",\"in_reply_to\":\"%s\"", parent);
	custos_buf_adds(b, "}\n");
}

static void activity_submit(custos_archive_t *a, custos_buf_t *b)
{
	custos_session_t *s = session(a, CUSTOS_ROLE_INGEST);
	custos_submit_result_t *r = NULL;
	CHECK_S(s, custos_archive_submit(s, b->data, b->len, "conn", &r));
	custos_submit_result_free(r);
	custos_session_free(s);
	custos_buf_clear(b);
}

static const custos_activity_t *month(const custos_activity_report_t *r, const char *m)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].month, m))
			return &r->v[i];
	check__fail(__FILE__, __LINE__, "no month %s", m);
	return NULL;
}

static void test_archive__activity_counts_posts_replies_and_reply_latency_per_month(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_WRITE);
	custos_buf_t b = { 0 };
	/* May: three customers ask, the account answers after 60 s, 120 s and
	 * 600 s (median 120); it also posts once and replies to itself once
	 * (no latency: not a customer) */
	activity_line(&b, "x:1", "carol", "2024-05-01T10:00:00Z", NULL, "where is my order");
	activity_line(&b, "x:2", "@ACME", "2024-05-01T10:01:00Z", "x:1", "today");
	activity_line(&b, "x:3", "dave", "2024-05-02T10:00:00Z", NULL, "refund?");
	activity_line(&b, "x:4", "acme", "2024-05-02T10:02:00Z", "x:3", "yes");
	activity_line(&b, "x:5", "erin", "2024-05-03T10:00:00Z", NULL, "hello");
	activity_line(&b, "x:6", "acme", "2024-05-03T10:10:00Z", "x:5", "hi");
	activity_line(&b, "x:7", "acme", "2024-05-04T10:00:00Z", NULL, "news");
	activity_line(&b, "x:8", "acme", "2024-05-04T11:00:00Z", "x:7", "more news");
	/* June: an answer whose question was not captured, and one two days late */
	activity_line(&b, "x:9", "acme", "2024-06-01T10:00:00Z", "x:404", "answer");
	activity_line(&b, "x:10", "frank", "2024-06-01T10:00:00Z", NULL, "late?");
	activity_line(&b, "x:11", "acme", "2024-06-03T10:00:00Z", "x:10", "sorry");
	activity_submit(a, &b);
	/* a new version of x:7 counts once */
	activity_line(&b, "x:7", "acme", "2024-05-04T10:00:00Z", NULL, "news, edited");
	custos_buf_adds(&b, "{\"id\":\"x:12\",\"platform\":\"x\",\"account\":\"Acme\",\"author\":"
	                "{\"handle\":\"gus\"},\"undated\":true,\"text\":\"no date\"}\n");
	activity_submit(a, &b);

	custos_session_t *s = session(a, CUSTOS_ROLE_COMPLIANCE);
	custos_activity_report_t *r = NULL;
	CHECK_S(s, custos_archive_activity(s, &r));
	CHECK_INT(r->records, 12);
	CHECK_INT(r->undated, 1);
	CHECK_INT(r->n, 2);
	const custos_activity_t *may = month(r, "2024-05"), *june = month(r, "2024-06");
	CHECK(!strcmp(may->platform, "x") && !strcmp(may->account, "Acme"));
	CHECK_INT(may->records, 8);
	CHECK_INT(may->received, 3);
	CHECK_INT(may->posts, 1);
	CHECK_INT(may->replies, 4);
	CHECK_INT(may->answered, 3);
	CHECK(may->latency_median == 120.0);
	CHECK(may->latency_mean == 260.0);
	CHECK_INT(june->records, 3);
	CHECK_INT(june->replies, 2);
	CHECK_INT(june->answered, 1);
	CHECK(june->latency_median == 2 * 86400.0 && june->latency_mean == 2 * 86400.0);
	custos_activity_report_free(r);
	custos_session_free(s);

	/* an even number of answers: the median is the mean of the middle two */
	activity_line(&b, "x:20", "hank", "2024-07-01T10:00:00Z", NULL, "q");
	activity_line(&b, "x:21", "acme", "2024-07-01T10:01:00Z", "x:20", "a");
	activity_line(&b, "x:22", "ivy", "2024-07-01T10:00:00Z", NULL, "q");
	activity_line(&b, "x:23", "acme", "2024-07-01T10:03:00Z", "x:22", "a");
	activity_submit(a, &b);
	s = session(a, CUSTOS_ROLE_AUDITOR);
	CHECK_S(s, custos_archive_activity(s, &r));
	CHECK(month(r, "2024-07")->latency_median == 120.0);
	custos_activity_report_free(r);
	custos_session_free(s);

	/* the roles that may not read records may not count them either */
	s = session(a, CUSTOS_ROLE_ADMIN);
	CHECK_STATUS(custos_archive_activity(s, &r), CUSTOS_EDENIED);
	CHECK(r == NULL);
	custos_session_free(s);
	custos_archive_close(a);

	char path[4500];
	snprintf(path, sizeof path, "%s/audit/audit.log", arch);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	char ln[8192];
	int ok = 0, denied = 0;
	while (fgets(ln, sizeof ln, f)) {
		if (!strstr(ln, "\"action\":\"activity\""))
			continue;
		ok += strstr(ln, "\"records\":12,\"undated\":1,\"buckets\":2") != NULL;
		denied += strstr(ln, "\"role\":\"admin\"") != NULL;
	}
	fclose(f);
	CHECK_INT(ok, 1);
	CHECK_INT(denied, 1);
	custos_buf_free(&b);
}

static void test_archive__a_session_says_what_its_role_may_do(void)
{
	custos_archive_t *a = new_archive(CUSTOS_OPEN_WRITE);
	custos_session_t *legal = session(a, CUSTOS_ROLE_LEGAL), *op = session(a, CUSTOS_ROLE_OPERATOR);
	size_t n = 0;
	for (const char *const *o = custos_operations(); *o; o++, n++)
		CHECK(custos_session_may(op, *o));   /* the operator may do everything */
	CHECK_INT(n, CUSTOS_OP_COUNT);   /* every operation has a name */
	CHECK_INT(custos_session_role(legal), CUSTOS_ROLE_LEGAL);
	CHECK(custos_session_may(legal, "search") && custos_session_may(legal, "hold-write"));
	CHECK(!custos_session_may(legal, "audit-read") && !custos_session_may(legal, "retention-apply"));
	CHECK(!custos_session_may(legal, "no-such-operation") && !custos_session_may(legal, NULL));
	custos_session_free(legal);
	custos_session_free(op);
	custos_archive_close(a);
}

static void test_archive__an_id_set_keeps_each_id_once_in_order_through_growth(void)
{
	custos_lib__idset_t set = { 0 };
	char id[32];
	size_t at = 0;
	CHECK_INT(custos_lib__idset_at(&set, "x:1"), SIZE_MAX);   /* empty, nothing allocated */
	/* far past the first table, so that it is rebuilt several times */
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof id, "x:%d", i);
		CHECK_INT(custos_lib__idset_add(&set, id, &at), 1);
		CHECK_INT(at, (size_t)i);
	}
	for (int i = 4999; i >= 0; i--) {
		snprintf(id, sizeof id, "x:%d", i);
		CHECK_INT(custos_lib__idset_add(&set, id, &at), 0);   /* there already */
		CHECK_INT(at, (size_t)i);
		CHECK_STR(set.v[i], id);
	}
	CHECK_INT(set.n, 5000);
	CHECK_INT(custos_lib__idset_at(&set, "x:5000"), SIZE_MAX);
	CHECK_INT(custos_lib__idset_at(&set, "x:"), SIZE_MAX);
	/* truncated: the later ids are gone, the earlier found, and an id added
	 * again takes the next place */
	CHECK_OK(custos_lib__idset_truncate(&set, 10));
	CHECK_INT(set.n, 10);
	CHECK_INT(custos_lib__idset_at(&set, "x:9"), 9);
	CHECK_INT(custos_lib__idset_at(&set, "x:10"), SIZE_MAX);
	CHECK_INT(custos_lib__idset_add(&set, "x:4000", &at), 1);
	CHECK_INT(at, 10);
	custos_lib__idset_free(&set);
	CHECK_INT(set.n, 0);
	custos_lib__idset_free(NULL);
}

CHECK_MAIN(CHECK_CASE(test_archive__a_second_handle_on_one_archive_is_refused),
           CHECK_CASE(test_archive__roles_are_checked_below_the_api),
           CHECK_CASE(test_archive__submit_refuses_a_text_with_a_line_that_is_not_json),
           CHECK_CASE(test_archive__a_reply_in_its_parents_batch_joins_the_thread),
           CHECK_CASE(test_archive__producers_and_readers_at_once_lose_nothing),
           CHECK_CASE(test_archive__audit_appends_follow_another_process_and_stay_chained),
           CHECK_CASE(test_archive__an_audit_append_costs_the_same_at_any_length),
           CHECK_CASE(test_archive__an_audit_tail_longer_than_the_first_read_is_found_whole),
           CHECK_CASE(test_archive__activity_counts_posts_replies_and_reply_latency_per_month),
           CHECK_CASE(test_archive__a_session_says_what_its_role_may_do),
           CHECK_CASE(test_archive__an_id_set_keeps_each_id_once_in_order_through_growth))
