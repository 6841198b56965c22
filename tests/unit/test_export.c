/* Productions through the archive API: one snapshot even when records are
 * disposed of between the search and the export, cancellation and progress
 * for a service's jobs, roles, and exports of several sessions at once. */
#include "check.h"
#include "custos.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static custos_archive_t *arch;

/* An archive of 30 posts of 2023 (#topicK, K = i mod 13), indexed, with a
 * schedule that keeps everything 7 years but #topic1 (1 year). */
static custos_session_t *setup(void)
{
	char dir[4200];
	custos_session_t *s = NULL;
	custos_buf_t b = { 0 };
	custos_err_t err = { 0 };
	snprintf(dir, sizeof dir, "%s/archive", check_tmpdir);
	CHECK_OK(custos_archive_init(dir, NULL, &err));
	CHECK_OK(custos_archive_open(&arch, dir, CUSTOS_OPEN_WRITE, &err));
	CHECK_OK(custos_session_open(&s, arch, NULL, &err));
	for (int i = 1; i <= 30; i++)
		custos_buf_printf(&b, "{\"id\":\"x:%d\",\"platform\":\"x\",\"account\":\"acme\","
		                  "\"author\":{\"handle\":\"user%d\"},\"created_at\":\"2023-%02d-%02d"
		                  "T10:00:00Z\",\"text\":\"post number %d about #topic%d\"}\n", i, i,
		                  1 + i % 12, 1 + i % 28, i, i % 13);
	custos_submit_result_t *r = NULL;
	CHECK_OK(custos_archive_submit(s, b.data, b.len, "test", &r));
	custos_submit_result_free(r);
	custos_buf_free(&b);
	custos_index_summary_t is;
	CHECK_OK(custos_archive_index(s, false, NULL, NULL, &is));
	static const char yaml[] = "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n"
	                           "  - name: keep\n    match: \"NOT #topic1\"\n    retain: 7y\n";
	custos_policy_result_t pr;
	CHECK_OK(custos_archive_policy_set(s, yaml, sizeof yaml - 1, "schedule", &pr));
	free(pr.warnings);
	custos_session_refresh(s);
	return s;
}

static void teardown(custos_session_t *s)
{
	custos_session_free(s);
	custos_archive_close(arch);
	arch = NULL;
}

static json_t *manifest(const char *dir)
{
	char p[4400];
	snprintf(p, sizeof p, "%s/manifest.json", dir);
	json_t *m = json_load_file(p, 0, NULL);
	if (!m)
		check__fail(__FILE__, __LINE__, "no readable %s", p);
	return m;
}

static void test_export__a_record_disposed_after_the_search_is_named_and_not_produced(void)
{
	custos_session_t *s = setup(), *other = NULL;
	custos_search_result_t *hits = NULL;
	custos_err_t err = { 0 };
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/prod", check_tmpdir);

	/* the reviewer's session searches: its snapshot is pinned */
	CHECK_OK(custos_archive_search(s, "#topic1 OR #topic2", NULL, &hits));
	CHECK_INT(hits->total, 6);
	custos_search_result_free(hits);
	/* meanwhile compliance disposes of the three #topic1 posts */
	CHECK_OK(custos_session_open(&other, arch, NULL, &err));
	custos_retention_apply_t ap;
	CHECK_OK(custos_archive_retention_apply(other, custos_time_now(), NULL, &ap));
	CHECK_INT(ap.records, 3);
	custos_session_free(other);

	/* the export runs in the reviewer's snapshot: six records found, three
	 * disposed of since, named, and the manifest claims exactly three */
	custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
	custos_export_summary_t sum;
	o.query = "#topic1 OR #topic2";
	o.formats = CUSTOS_EXPORT_JSONL | CUSTOS_EXPORT_DAT;
	CHECK_OK(custos_archive_export(s, dir, &o, &sum));
	CHECK_INT(sum.records, 3);
	CHECK_INT(sum.not_produced, 3);
	CHECK_STR(sum.first, "CUSTOS000001");
	CHECK_STR(sum.last, "CUSTOS000003");
	json_t *m = manifest(dir);
	CHECK_INT(json_integer_value(json_object_get(m, "records")), 3);
	CHECK_INT(json_array_size(json_object_get(m, "documents")), 3);
	json_t *np = json_object_get(m, "not_produced");
	CHECK_INT(json_array_size(np), 3);
	json_t *tomb = json_object_get(json_array_get(np, 0), "tombstone");
	CHECK_STR(json_string_value(json_object_get(tomb, "rule")), "default");
	json_decref(m);
	custos_production_check_t c;
	CHECK_OK(custos_production_verify(dir, &c, &err));
	CHECK_INT(c.records, 3);
	custos_production_check_free(&c);

	/* a fresh snapshot finds only what is left */
	custos_session_refresh(s);
	snprintf(dir, sizeof dir, "%s/prod2", check_tmpdir);
	CHECK_OK(custos_archive_export(s, dir, &o, &sum));
	CHECK_INT(sum.records, 3);
	CHECK_INT(sum.not_produced, 0);
	teardown(s);
}

typedef struct { uint64_t calls, last_done, total; int *cancel; } prog_t;

static void on_progress(void *ctx, const custos_export_progress_t *p)
{
	prog_t *pg = ctx;
	pg->calls++;
	pg->last_done = p->done;
	pg->total = p->total;
	if (pg->cancel && !strcmp(p->phase, "select"))
		__atomic_store_n(pg->cancel, 1, __ATOMIC_RELAXED);
}

static void test_export__progress_reports_and_cancel_leaves_no_manifest(void)
{
	custos_session_t *s = setup();
	char dir[4200], p[4400];
	int cancel = 0;
	prog_t pg = { 0, 0, 0, NULL };
	custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
	custos_export_summary_t sum;
	o.query = "post";
	o.formats = CUSTOS_EXPORT_CSV;
	o.progress = on_progress;
	o.ctx = &pg;
	snprintf(dir, sizeof dir, "%s/p1", check_tmpdir);
	CHECK_OK(custos_archive_export(s, dir, &o, &sum));
	CHECK(pg.calls >= 2);
	CHECK_INT(pg.last_done, 30);
	CHECK_INT(pg.total, 30);

	pg.cancel = &cancel;
	o.cancel = &cancel;
	snprintf(dir, sizeof dir, "%s/p2", check_tmpdir);
	CHECK_STATUS(custos_archive_export(s, dir, &o, &sum), CUSTOS_ECANCELED);
	CHECK(strstr(custos_session_err(s)->msg, "cancelled") != NULL);
	snprintf(p, sizeof p, "%s/manifest.json", dir);
	struct stat sb;
	CHECK(stat(p, &sb) < 0);
	teardown(s);
}

static void test_export__roles_decide_who_may_export_and_code(void)
{
	custos_session_t *s = setup(), *ing = NULL, *aud = NULL;
	custos_err_t err = { 0 };
	custos_who_t who = CUSTOS_WHO_INIT;
	char dir[4200];
	custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
	o.query = "post";
	o.formats = CUSTOS_EXPORT_JSONL;
	who.role = CUSTOS_ROLE_INGEST;
	CHECK_OK(custos_session_open(&ing, arch, &who, &err));
	snprintf(dir, sizeof dir, "%s/p1", check_tmpdir);
	CHECK_STATUS(custos_archive_export(ing, dir, &o, NULL), CUSTOS_EDENIED);
	CHECK_STATUS(custos_archive_matter_create(ing, "m", NULL, NULL, 0), CUSTOS_EDENIED);
	who.role = CUSTOS_ROLE_AUDITOR;
	CHECK_OK(custos_session_open(&aud, arch, &who, &err));
	CHECK_OK(custos_archive_export(aud, dir, &o, NULL));
	CHECK_STATUS(custos_archive_matter_create(aud, "m", NULL, NULL, 0), CUSTOS_EDENIED);
	custos_session_free(ing);
	custos_session_free(aud);
	teardown(s);
}

typedef struct {
	char dir[4200];
	const char *query;
	int rc;
	uint64_t records;
} job_t;

static void *export_job(void *arg)
{
	job_t *j = arg;
	custos_session_t *s = NULL;
	custos_err_t err = { 0 };
	custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
	custos_export_summary_t sum;
	o.query = j->query;
	o.formats = CUSTOS_EXPORT_DAT | CUSTOS_EXPORT_RSMF | CUSTOS_EXPORT_EDRM;
	o.images = true;
	if ((j->rc = custos_session_open(&s, arch, NULL, &err)) < 0)
		return NULL;
	j->rc = custos_archive_export(s, j->dir, &o, &sum);
	j->records = sum.records;
	custos_session_free(s);
	return NULL;
}

static void test_export__sessions_export_at_once(void)
{
	custos_session_t *s = setup();
	custos_err_t err = { 0 };
	CHECK_OK(custos_archive_matter_create(s, "m", NULL, NULL, 0));
	job_t j[2] = { { "", "#topic3 OR #topic4", 0, 0 }, { "", "#topic5", 0, 0 } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		snprintf(j[i].dir, sizeof j[i].dir, "%s/p%d", check_tmpdir, i);
		CHECK(pthread_create(&th[i], NULL, export_job, &j[i]) == 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_OK(j[0].rc);
	CHECK_OK(j[1].rc);
	CHECK_INT(j[0].records, 6);
	CHECK_INT(j[1].records, 2);
	custos_production_check_t c;
	CHECK_OK(custos_production_verify(j[0].dir, &c, &err));
	CHECK_INT(c.pages, 6);
	custos_production_check_free(&c);
	teardown(s);
}

/* The manifest less what must differ between two runs: its time and the
 * production log's entry (the log's lines carry times). */
static json_t *manifest_but_times(const char *dir)
{
	json_t *m = manifest(dir), *files = json_object_get(m, "files");
	json_object_del(m, "created_at");
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f)
		if (!strcmp(json_string_value(json_object_get(f, "path")), "production.log")) {
			json_array_remove(files, i);
			return m;
		}
	check__fail(__FILE__, __LINE__, "no production.log in %s's manifest", dir);
	return m;
}

/* Without images or a privilege log: PDFs carry the time they were drawn,
 * and pango's locks trip ThreadSanitizer's deadlock detector after a few
 * productions that draw in one process. */
static void test_export__the_writer_thread_writes_what_one_thread_writes(void)
{
	custos_session_t *s = setup();
	custos_err_t err = { 0 };
	custos_export_summary_t sum[2];
	char dir[2][4200];
	for (int i = 0; i < 2; i++) {
		custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
		o.query = "post";
		o.formats = CUSTOS_EXPORT_DAT | CUSTOS_EXPORT_EDRM | CUSTOS_EXPORT_RSMF |
		            CUSTOS_EXPORT_JSONL | CUSTOS_EXPORT_CSV | CUSTOS_EXPORT_HTML;
		o.serial = i == 0;
		snprintf(dir[i], sizeof dir[i], "%s/%s", check_tmpdir, i ? "threaded" : "serial");
		CHECK_OK(custos_archive_export(s, dir[i], &o, &sum[i]));
		custos_production_check_t c;
		CHECK_OK(custos_production_verify(dir[i], &c, &err));
		CHECK_INT(c.records, 30);
		custos_production_check_free(&c);
	}
	CHECK_INT(sum[0].records, 30);
	CHECK_INT(sum[1].files, sum[0].files);
	CHECK(sum[0].files > 60);
	/* the same files with the same bytes (their SHA-256 in the manifests),
	 * listed in the same order, and the same documents */
	json_t *a = manifest_but_times(dir[0]), *b = manifest_but_times(dir[1]);
	CHECK_INT(json_array_size(json_object_get(b, "files")), sum[0].files - 1);
	CHECK(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	teardown(s);
}

static bool log_says(const char *dir, const char *what)
{
	char p[4400], line[4096];
	bool found = false;
	snprintf(p, sizeof p, "%s/production.log", dir);
	FILE *f = fopen(p, "r");
	if (!f)
		check__fail(__FILE__, __LINE__, "no %s", p);
	while (fgets(line, sizeof line, f))
		found |= strstr(line, what) != NULL;
	fclose(f);
	return found;
}

/* Records read by reader threads on the session's snapshot (many windows of
 * them, raw bytes with characters to escape) make the very
 * production records read on the calling thread make, jsonl, csv and dat;
 * and when a writer committed after the session's snapshot, no reader can
 * see it: the records are read on the calling thread, from that snapshot,
 * and the log says so. */
static void test_export__reader_threads_produce_what_one_thread_produces(void)
{
	custos_session_t *s = setup(), *other = NULL;
	custos_err_t err = { 0 };
	custos_buf_t b = { 0 };
	custos_submit_result_t *r = NULL;
	custos_export_summary_t sum[3];
	char dir[3][4200];
	for (int i = 31; i <= 700; i++)
		custos_buf_printf(&b, "{\"id\":\"x:%d\",\"platform\":\"x\",\"account\":\"acme\","
		                  "\"author\":{\"handle\":\"user%d\"},\"created_at\":\"2022-%02d-%02d"
		                  "T%02d:00:00Z\",\"text\":\"post number %d, \\\"quoted\\\" \\\\ and "
		                  "\\u00e9\\t#topic%d\"%s}\n", i, i, 1 + i % 12, 1 + i % 28, i % 24, i,
		                  i % 13, i % 7 ? "" : ",\"extra\":{\"note\":\"\\u0001 control\"}");
	CHECK_OK(custos_archive_submit(s, b.data, b.len, "test", &r));
	custos_submit_result_free(r);
	custos_buf_free(&b);
	custos_index_summary_t is;
	CHECK_OK(custos_archive_index(s, false, NULL, NULL, &is));
	for (int i = 0; i < 3; i++) {
		custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
		o.query = "post";
		o.formats = CUSTOS_EXPORT_JSONL | CUSTOS_EXPORT_CSV | CUSTOS_EXPORT_DAT;
		o.serial = i == 0;
		snprintf(dir[i], sizeof dir[i], "%s/readers%d", check_tmpdir, i);
		custos_session_refresh(s);
		if (i == 2) {
			/* the session's snapshot is pinned by a search; then a writer commits */
			custos_search_result_t *hits = NULL;
			CHECK_OK(custos_archive_search(s, "post", NULL, &hits));
			custos_search_result_free(hits);
			CHECK_OK(custos_session_open(&other, arch, NULL, &err));
			static const char more[] = "{\"id\":\"x:9999\",\"platform\":\"x\",\"account\":"
			                           "\"acme\",\"author\":{\"handle\":\"late\"},\"created_at\":"
			                           "\"2021-01-01T00:00:00Z\",\"text\":\"a later post\"}\n";
			CHECK_OK(custos_archive_submit(other, more, sizeof more - 1, "test", &r));
			custos_submit_result_free(r);
			CHECK_OK(custos_archive_index(other, false, NULL, NULL, &is));
			custos_session_free(other);
		}
		CHECK_OK(custos_archive_export(s, dir[i], &o, &sum[i]));
		custos_production_check_t c;
		CHECK_OK(custos_production_verify(dir[i], &c, &err));
		CHECK_INT(c.records, 700);
		custos_production_check_free(&c);
		CHECK_INT(sum[i].records, 700);
	}
	CHECK(!log_says(dir[0], "reader threads"));
	CHECK(log_says(dir[1], "reader threads, all on the snapshot's transaction"));
	CHECK(log_says(dir[2], "read by this thread alone: the store changed after the snapshot"));
	/* the same files with the same bytes, in the same order */
	json_t *a = manifest_but_times(dir[0]);
	for (int i = 1; i < 3; i++) {
		json_t *m = manifest_but_times(dir[i]);
		CHECK_INT(json_array_size(json_object_get(m, "files")), sum[0].files - 1);
		CHECK(json_equal(a, m));
		json_decref(m);
	}
	json_decref(a);
	teardown(s);
}

CHECK_MAIN(CHECK_CASE(test_export__a_record_disposed_after_the_search_is_named_and_not_produced),
           CHECK_CASE(test_export__progress_reports_and_cancel_leaves_no_manifest),
           CHECK_CASE(test_export__roles_decide_who_may_export_and_code),
           CHECK_CASE(test_export__sessions_export_at_once),
           CHECK_CASE(test_export__the_writer_thread_writes_what_one_thread_writes),
           CHECK_CASE(test_export__reader_threads_produce_what_one_thread_produces))
