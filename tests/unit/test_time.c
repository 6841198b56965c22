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

CHECK_MAIN(CHECK_CASE(test_time__rfc3339_forms_agree),
           CHECK_CASE(test_time__twitter_and_rfc822_forms),
           CHECK_CASE(test_time__rejects_impossible_dates),
           CHECK_CASE(test_time__format_roundtrips))
