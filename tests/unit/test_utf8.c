/* Strict UTF-8 validation: custos_utf8_check returns the offset of the first
 * invalid sequence, or the length when all of it is valid. */
#include "check.h"

#include <stdlib.h>
#include <time.h>

static size_t check(const char *s) { return custos_utf8_check(s, strlen(s)); }

static void test_utf8__accepts_valid_text(void)
{
	CHECK_INT(custos_utf8_check("", 0), 0);
	CHECK_INT(check("plain ASCII, long enough to take the 8-byte path twice over"), 59);
	CHECK_INT(check("caf\xC3\xA9"), 5);                        /* U+00E9 */
	CHECK_INT(check("\xE4\xBC\x9A\xE8\xAD\xB0"), 6);           /* 会議 */
	CHECK_INT(check("\xF0\x9F\x98\x80"), 4);                   /* U+1F600 */
	CHECK_INT(check("\xC2\x80\xDF\xBF"), 4);                   /* U+0080, U+07FF */
	CHECK_INT(check("\xE0\xA0\x80\xEF\xBF\xBF"), 6);           /* U+0800, U+FFFF */
	CHECK_INT(check("\xED\x9F\xBF\xEE\x80\x80"), 6);           /* U+D7FF, U+E000 */
	CHECK_INT(check("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"), 8);   /* U+10000, U+10FFFF */
	/* NUL is a valid character */
	CHECK_INT(custos_utf8_check("a\0b", 3), 3);
}

static void test_utf8__rejects_overlong_forms(void)
{
	CHECK_INT(check("ab\xC0\xAF"), 2);          /* '/' in two bytes */
	CHECK_INT(check("\xC1\xBF"), 0);
	CHECK_INT(check("\xE0\x80\xAF"), 0);        /* '/' in three bytes */
	CHECK_INT(check("\xE0\x9F\xBF"), 0);        /* U+07FF in three bytes */
	CHECK_INT(check("\xF0\x80\x80\xAF"), 0);    /* '/' in four bytes */
	CHECK_INT(check("\xF0\x8F\xBF\xBF"), 0);    /* U+FFFF in four bytes */
}

static void test_utf8__rejects_surrogates(void)
{
	CHECK_INT(check("x\xED\xA0\x80"), 1);       /* U+D800 */
	CHECK_INT(check("\xED\xBF\xBF"), 0);        /* U+DFFF */
	CHECK_INT(check("\xED\xA0\xBD\xED\xB8\x80"), 0);  /* a CESU-8 pair */
}

static void test_utf8__rejects_beyond_10ffff(void)
{
	CHECK_INT(check("\xF4\x90\x80\x80"), 0);    /* U+110000 */
	CHECK_INT(check("\xF5\x80\x80\x80"), 0);
	CHECK_INT(check("\xF8\x88\x80\x80\x80"), 0);
	CHECK_INT(check("\xFF"), 0);
}

static void test_utf8__rejects_stray_and_missing_continuations(void)
{
	CHECK_INT(check("abc\x80"), 3);
	CHECK_INT(check("\xBF"), 0);
	CHECK_INT(check("\xC3(x"), 0);
	CHECK_INT(check("\xE4\xBC("), 0);
	CHECK_INT(check("\xF0\x9F\x98("), 0);
}

static void test_utf8__rejects_a_sequence_cut_at_the_end(void)
{
	CHECK_INT(check("ok \xC3"), 3);
	CHECK_INT(check("ok \xE4\xBC"), 3);
	CHECK_INT(check("ok \xF0\x9F\x98"), 3);
	/* a valid sequence whose length is given short */
	CHECK_INT(custos_utf8_check("\xE4\xBC\x9A", 2), 0);
}

static void test_utf8__reports_the_offset_of_the_first_bad_sequence(void)
{
	/* the bad byte sits past several 8-byte ASCII blocks and some multibyte text */
	char buf[128];
	snprintf(buf, sizeof buf, "%s%s%s", "0123456789abcdefghijklmnopqrstuv",
	         "\xC3\xA9\xE4\xBC\x9A", "xyz\xC0\x80 and more text after it");
	CHECK_INT(check(buf), 32 + 5 + 3);
	/* each offset of a bad byte inside an ASCII run is found exactly */
	for (size_t at = 0; at < 40; at++) {
		char s[41];
		memset(s, 'a', 40);
		s[40] = '\0';
		s[at] = (char)0x80;
		CHECK_INT(custos_utf8_check(s, 40), at);
	}
}

static void test_utf8__is_fast(void)
{
	/* 1 MiB of mixed text; printed for the record */
	size_t n = 1 << 20;
	char *buf = malloc(n);
	CHECK(buf);
	const char *chunk = "An ordinary post with an accent, caf\xC3\xA9, and \xE4\xBC\x9A\xE8\xAD\xB0. ";
	size_t cl = strlen(chunk), i = 0;
	while (i + cl <= n) {
		memcpy(buf + i, chunk, cl);
		i += cl;
	}
	memset(buf + i, ' ', n - i);
	struct timespec a, b;
	size_t r = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < 20; k++)
		r += custos_utf8_check(buf, n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("  utf8 check: %.0f MB/s\n", 20.0 * (double)n / s / 1e6);
	CHECK_INT(r, 20 * n);
	free(buf);
}

CHECK_MAIN(CHECK_CASE(test_utf8__accepts_valid_text),
           CHECK_CASE(test_utf8__rejects_overlong_forms),
           CHECK_CASE(test_utf8__rejects_surrogates),
           CHECK_CASE(test_utf8__rejects_beyond_10ffff),
           CHECK_CASE(test_utf8__rejects_stray_and_missing_continuations),
           CHECK_CASE(test_utf8__rejects_a_sequence_cut_at_the_end),
           CHECK_CASE(test_utf8__reports_the_offset_of_the_first_bad_sequence),
           CHECK_CASE(test_utf8__is_fast))
