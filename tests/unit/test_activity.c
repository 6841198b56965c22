/* What the review page asks of the library beyond single records: the
 * activity per account and month (governance charts) and what a role may do. */
#include "check.h"
#include "lib_internal.h"

#include <stdlib.h>
#include <string.h>

static char arch[4400];

static custos_archive_t *new_archive(void)
{
	custos_archive_t *a = NULL;
	custos_err_t err = { 0 };
	snprintf(arch, sizeof arch, "%s/archive", check_tmpdir);
	if (custos_archive_init(arch, NULL, &err) != 0)
		check__fail(__FILE__, __LINE__, "init: %s", err.msg);
	if (custos_archive_open(&a, arch, CUSTOS_OPEN_WRITE, &err) != 0)
		check__fail(__FILE__, __LINE__, "open: %s", err.msg);
	return a;
}

static custos_session_t *session(custos_archive_t *a, custos_role_t role)
{
	custos_session_t *s = NULL;
	custos_who_t who = CUSTOS_WHO_INIT;
	custos_err_t err = { 0 };
	who.role = role;
	if (custos_session_open(&s, a, &who, &err) != 0)
		check__fail(__FILE__, __LINE__, "session: %s", err.msg);
	return s;
}

#define CHECK_S(s, call) do { int s__ = (call); if (s__ != 0) \
	check__fail(__FILE__, __LINE__, "%s: %d %s", #call, s__, custos_session_err(s)->msg); \
	} while (0)

/* id, author, created_at, in_reply_to (or NULL), text */
static void line(custos_buf_t *b, const char *id, const char *author, const char *at,
                 const char *parent, const char *text)
{
	custos_buf_printf(b, "{\"id\":\"%s\",\"platform\":\"x\",\"account\":\"Acme\",\"author\":"
	                  "{\"handle\":\"%s\"},\"created_at\":\"%s\",\"text\":\"%s\"", id, author, at,
	                  text);
	if (parent)
		custos_buf_printf(b, ",\"in_reply_to\":\"%s\"", parent);
	custos_buf_adds(b, "}\n");
}

static void submit(custos_archive_t *a, custos_buf_t *b)
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

static void test_activity__counts_posts_replies_and_reply_latency_per_month(void)
{
	custos_archive_t *a = new_archive();
	custos_buf_t b = { 0 };
	/* May: three customers ask, the account answers after 60 s, 120 s and
	 * 600 s (median 120); it also posts once and replies to itself once
	 * (no latency: not a customer) */
	line(&b, "x:1", "carol", "2024-05-01T10:00:00Z", NULL, "where is my order");
	line(&b, "x:2", "@ACME", "2024-05-01T10:01:00Z", "x:1", "today");
	line(&b, "x:3", "dave", "2024-05-02T10:00:00Z", NULL, "refund?");
	line(&b, "x:4", "acme", "2024-05-02T10:02:00Z", "x:3", "yes");
	line(&b, "x:5", "erin", "2024-05-03T10:00:00Z", NULL, "hello");
	line(&b, "x:6", "acme", "2024-05-03T10:10:00Z", "x:5", "hi");
	line(&b, "x:7", "acme", "2024-05-04T10:00:00Z", NULL, "news");
	line(&b, "x:8", "acme", "2024-05-04T11:00:00Z", "x:7", "more news");
	/* June: an answer whose question was not captured, and one two days late */
	line(&b, "x:9", "acme", "2024-06-01T10:00:00Z", "x:404", "answer");
	line(&b, "x:10", "frank", "2024-06-01T10:00:00Z", NULL, "late?");
	line(&b, "x:11", "acme", "2024-06-03T10:00:00Z", "x:10", "sorry");
	submit(a, &b);
	/* a new version of x:7 counts once */
	line(&b, "x:7", "acme", "2024-05-04T10:00:00Z", NULL, "news, edited");
	custos_buf_adds(&b, "{\"id\":\"x:12\",\"platform\":\"x\",\"account\":\"Acme\",\"author\":"
	                "{\"handle\":\"gus\"},\"undated\":true,\"text\":\"no date\"}\n");
	submit(a, &b);

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
	line(&b, "x:20", "hank", "2024-07-01T10:00:00Z", NULL, "q");
	line(&b, "x:21", "acme", "2024-07-01T10:01:00Z", "x:20", "a");
	line(&b, "x:22", "ivy", "2024-07-01T10:00:00Z", NULL, "q");
	line(&b, "x:23", "acme", "2024-07-01T10:03:00Z", "x:22", "a");
	submit(a, &b);
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

static void test_activity__a_session_says_what_its_role_may_do(void)
{
	custos_archive_t *a = new_archive();
	custos_session_t *legal = session(a, CUSTOS_ROLE_LEGAL), *op = session(a, CUSTOS_ROLE_OPERATOR);
	size_t n = 0;
	for (const char *const *o = custos_operations(); *o; o++, n++)
		CHECK(custos_session_may(op, *o));   /* the operator may do everything */
	CHECK_INT(n, 17);
	CHECK_INT(custos_session_role(legal), CUSTOS_ROLE_LEGAL);
	CHECK(custos_session_may(legal, "search") && custos_session_may(legal, "hold-write"));
	CHECK(!custos_session_may(legal, "audit-read") && !custos_session_may(legal, "retention-apply"));
	CHECK(!custos_session_may(legal, "no-such-operation") && !custos_session_may(legal, NULL));
	custos_session_free(legal);
	custos_session_free(op);
	custos_archive_close(a);
}

CHECK_MAIN(CHECK_CASE(test_activity__counts_posts_replies_and_reply_latency_per_month),
           CHECK_CASE(test_activity__a_session_says_what_its_role_may_do))
