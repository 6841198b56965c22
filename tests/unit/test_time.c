#include "check.h"

static int64_t parse(const char *s)
{
	int64_t ms = 0;
	CHECK_OK(custos_time_parse(&ms, s, strlen(s)));
	return ms;
}

static void test_time__rfc3339_forms_agree(void)
{
	CHECK_INT(parse("2021-05-18T19:24:56.000Z"), 1621365896000LL);
	CHECK_INT(parse("2021-05-18T19:24:56Z"), 1621365896000LL);
	CHECK_INT(parse("2021-05-18T21:24:56+02:00"), 1621365896000LL);
	CHECK_INT(parse("2021-05-18 19:24:56"), 1621365896000LL);
	CHECK_INT(parse("2021-05-18T19:24:56.5Z"), 1621365896500LL);
	CHECK_INT(parse("1970-01-01"), 0);
}

static void test_time__twitter_and_rfc822_forms(void)
{
	CHECK_INT(parse("Tue May 18 19:24:56 +0000 2021"), 1621365896000LL);
	CHECK_INT(parse("Tue, 18 May 2021 19:24:56 GMT"), 1621365896000LL);
	CHECK_INT(parse("Tue, 18 May 2021 15:24:56 EDT"), 1621365896000LL);
	CHECK_INT(parse("18 May 2021 19:24:56 +0000"), 1621365896000LL);
}

static void test_time__rejects_impossible_dates(void)
{
	int64_t ms;
	CHECK_STATUS(custos_time_parse(&ms, "2021-02-29T00:00:00Z", 20), CUSTOS_EFORMAT);
	CHECK_STATUS(custos_time_parse(&ms, "2021-13-01", 10), CUSTOS_EFORMAT);
	CHECK_STATUS(custos_time_parse(&ms, "yesterday", 9), CUSTOS_EFORMAT);
	CHECK_STATUS(custos_time_parse(&ms, "", 0), CUSTOS_EFORMAT);
	CHECK_STATUS(custos_time_parse(&ms, "2021-05-18T19:24:56Zjunk", 24), CUSTOS_EFORMAT);
}

static void test_time__format_roundtrips(void)
{
	char out[40];
	custos_time_format(out, sizeof out, 1621365896000LL);
	CHECK_STR(out, "2021-05-18T19:24:56Z");
	custos_time_format(out, sizeof out, 1621365896123LL);
	CHECK_STR(out, "2021-05-18T19:24:56.123Z");
	custos_time_format(out, sizeof out, -1000);
	CHECK_STR(out, "1969-12-31T23:59:59Z");
	CHECK_INT(parse("2000-02-29T12:00:00Z"), 951825600000LL);
	custos_time_format(out, sizeof out, 951825600000LL);
	CHECK_STR(out, "2000-02-29T12:00:00Z");
}

static void test_time__only_what_reads_back_is_a_time(void)
{
	int64_t ms = 0;
	char out[40];
	/* the edges themselves */
	CHECK_INT(parse("0000-01-01T00:00:00Z"), CUSTOS_TIME_MIN);
	CHECK_INT(parse("9999-12-31T23:59:59.999Z"), CUSTOS_TIME_MAX);
	CHECK_INT(parse("9999-12-31T23:59:59+00:01"), CUSTOS_TIME_MAX - 999 - 60000);
	custos_time_format(out, sizeof out, CUSTOS_TIME_MAX);
	CHECK_STR(out, "9999-12-31T23:59:59.999Z");
	CHECK_INT(parse(out), CUSTOS_TIME_MAX);
	custos_time_format(out, sizeof out, CUSTOS_TIME_MIN);
	CHECK_STR(out, "0000-01-01T00:00:00Z");
	/* an offset that carries a time past year 9999 or before year 0 */
	static const char *past[] = {
		"9999-12-31T23:59:59-00:01", "0000-01-01T00:00:00+01:00", "9999-12-31 23:30:00 -0100",
		"Fri, 31 Dec 9999 23:59:59 -0100", "Fri Dec 31 23:59:59 -0100 9999",
		"Sat, 01 Jan 0000 00:00:00 +0001",
	};
	for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
		int st = custos_time_parse(&ms, past[i], strlen(past[i]));
		if (st != CUSTOS_ETOOBIG)
			check__fail(__FILE__, __LINE__, "'%s' gave %d", past[i], st);
		/* the instant is kept for the caller to name */
		CHECK(!custos_time_in_range(ms));
	}
	CHECK_STATUS(custos_time_parse(&ms, "10000-01-01T00:00:00Z", 21), CUSTOS_EFORMAT);
}

static void test_time__epoch_numbers_are_checked_without_overflow(void)
{
	int64_t ms = 7;
	CHECK_OK(custos_time_from_epoch(&ms, 1704153600, 1000, 100));
	CHECK_INT(ms, 1704153600100LL);
	CHECK_OK(custos_time_from_epoch(&ms, CUSTOS_TIME_MAX, 1, 0));
	CHECK_INT(ms, CUSTOS_TIME_MAX);
	CHECK_OK(custos_time_from_epoch(&ms, -62167219200LL, 1000, 0));
	CHECK_INT(ms, CUSTOS_TIME_MIN);
	ms = 7;
	CHECK_STATUS(custos_time_from_epoch(&ms, 253402300800LL, 1000, 0), CUSTOS_ETOOBIG);
	CHECK_STATUS(custos_time_from_epoch(&ms, 253402300799LL, 1000, 1000), CUSTOS_ETOOBIG);
	CHECK_STATUS(custos_time_from_epoch(&ms, INT64_MAX, 1000, 0), CUSTOS_ETOOBIG);
	CHECK_STATUS(custos_time_from_epoch(&ms, INT64_MIN, 1000, 0), CUSTOS_ETOOBIG);
	CHECK_STATUS(custos_time_from_epoch(&ms, 0, 1, INT64_MAX), CUSTOS_ETOOBIG);
	CHECK_STATUS(custos_time_from_epoch(&ms, -62167219201LL, 1000, 0), CUSTOS_ETOOBIG);
	CHECK_INT(ms, 7);
}

static void test_time__a_record_outside_the_calendar_is_refused_by_name(void)
{
	custos_record_t r;
	custos_err_t err = { 0 };
	custos_record_init(&r);
	CHECK_OK(custos_record_sets(&r, &r.platform, "x"));
	CHECK_OK(custos_record_sets(&r, &r.id, "x:1"));
	CHECK_OK(custos_record_sets(&r, &r.author_handle, "a"));
	CHECK_OK(custos_record_sets(&r, &r.text, "t"));
	r.created_at = CUSTOS_TIME_MAX;
	CHECK_OK(custos_record_validate(&r, &err));
	r.created_at = CUSTOS_TIME_MAX + 59001;
	CHECK_STATUS(custos_record_validate(&r, &err), CUSTOS_EFORMAT);
	CHECK_STR(err.msg, "field 'created_at': 10000-01-01T00:00:59Z is outside the years 0000 to "
	          "9999 (UTC) that custos can keep");
	r.created_at = 0;
	r.edited_at = INT64_MAX;
	CHECK_STATUS(custos_record_validate(&r, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "field 'edited_at': 9223372036854775807 ms after the epoch"));
	custos_record_free(&r);
}

CHECK_MAIN(CHECK_CASE(test_time__rfc3339_forms_agree),
           CHECK_CASE(test_time__twitter_and_rfc822_forms),
           CHECK_CASE(test_time__rejects_impossible_dates),
           CHECK_CASE(test_time__format_roundtrips),
           CHECK_CASE(test_time__only_what_reads_back_is_a_time),
           CHECK_CASE(test_time__epoch_numbers_are_checked_without_overflow),
           CHECK_CASE(test_time__a_record_outside_the_calendar_is_refused_by_name))
