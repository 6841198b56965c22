/* Text people type: the one check of actors, reasons and messages, and the
 * escaping of text for terminals and JSON (common/text.c), and HTML
 * character references as the importers decode them (common/html.c). */
#include "check.h"

#include <stdarg.h>

static int actor(custos_actor_t *a, const char *s)
{
	custos_err_t err = { 0 };
	return custos_actor_parse(a, s, &err);
}

static void test_text__actor_with_an_email_is_split_and_normalized(void)
{
	custos_actor_t a;
	CHECK_OK(actor(&a, "Jane Doe <jane@acme.com>"));
	CHECK_STR(a.name, "Jane Doe");
	CHECK_STR(a.email, "jane@acme.com");
	CHECK_STR(a.text, "Jane Doe <jane@acme.com>");
	CHECK_OK(actor(&a, "  Jane   Doe<jane@acme.com>  "));
	CHECK_STR(a.name, "Jane   Doe");
	CHECK_STR(a.text, "Jane   Doe <jane@acme.com>");
	CHECK_OK(actor(&a, "J. Doe (legal)"));
	CHECK_STR(a.name, "J. Doe (legal)");
	CHECK_STR(a.email, "");
	CHECK_STR(a.text, "J. Doe (legal)");
	CHECK_OK(actor(&a, "Zoë Ünal"));
	CHECK_STR(a.name, "Zoë Ünal");
}

static void test_text__actor_refuses_what_git_and_terminals_cannot_keep(void)
{
	custos_actor_t a;
	custos_err_t err = { 0 };
	static const char *bad[] = {
		"", "   ", "bad\nactor", "cr\rhere", "esc\x1b[31m", "tab\there", "del\x7f",
		"c1\xc2\x9b", "bidi\xe2\x80\xae", "sep\xe2\x80\xa8", "not utf8 \xff", "cut \xc3",
		"a <b", "a > b", "<jane@acme.com>", "Jane <jane>", "Jane <@acme.com>",
		"Jane <jane@>", "Jane <ja ne@acme.com>", "Jane <a@b> x", "Jane <<a@b>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int st = custos_actor_parse(&a, bad[i], &err);
		if (st != CUSTOS_EINVAL)
			check__fail(__FILE__, __LINE__, "actor %zu accepted (%d)", i, st);
		/* the reason never repeats a control byte */
		for (const char *m = err.msg; *m; m++)
			CHECK((unsigned char)*m >= 0x20 && *m != 0x7f);
	}
	char big[CUSTOS_ACTOR_MAX + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_STATUS(custos_actor_parse(&a, big, &err), CUSTOS_EINVAL);
	CHECK(strstr(err.msg, "longer than"));
	CHECK_STATUS(custos_actor_parse(&a, "x\xff", &err), CUSTOS_EINVAL);
	CHECK_STR(err.msg, "actor is not valid UTF-8 (byte 2)");
	CHECK_STATUS(custos_actor_parse(&a, "a\nb", &err), CUSTOS_EINVAL);
	CHECK_STR(err.msg, "actor holds the control character U+000A at byte 2");
}

static void test_text__reasons_may_have_lines_but_no_other_controls(void)
{
	custos_err_t err = { 0 };
	CHECK_OK(custos_text_check("reason", "Acme v. US\ncase 24-117\tsee memo", 100,
	                           CUSTOS_TEXT_LINES, &err));
	CHECK_STATUS(custos_text_check("reason", "a\r\nb", 100, CUSTOS_TEXT_LINES, &err),
	             CUSTOS_EINVAL);
	CHECK_STR(err.msg, "reason holds the control character U+000D at byte 2 (only newlines "
	          "and tabs may be used)");
	CHECK_STATUS(custos_text_check("reason", "a\nb", 100, 0, &err), CUSTOS_EINVAL);
	CHECK_STATUS(custos_text_check("reason", "", 100, 0, &err), CUSTOS_EINVAL);
	CHECK_OK(custos_text_check("reason", "", 100, CUSTOS_TEXT_EMPTY, &err));
	CHECK_STATUS(custos_text_check("reason", "abcdef", 5, 0, &err), CUSTOS_EINVAL);
	CHECK_STATUS(custos_text_check("query", "from:\xe9t\xe9", 100, 0, &err), CUSTOS_EINVAL);
	CHECK_STR(err.msg, "query is not valid UTF-8 (byte 6)");
}

static void test_text__printable_escapes_controls_and_bad_bytes(void)
{
	custos_buf_t b = { 0 };
	const char in[] = "a\x1b[2Jb\rc\nd\xc2\x9b" "e\xe2\x80\xae" "f\xff" "g\\ Zoë";
	CHECK_OK(custos_buf_add_printable(&b, in, sizeof in - 1));
	CHECK_STR(b.data, "a\\x1b[2Jb\\x0dc\\x0ad\\u009be\\u202ef\\xffg\\ Zoë");
	custos_buf_free(&b);
}

static const char *pp(custos_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *pp(custos_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	custos_buf_clear(b);
	va_start(ap, fmt);
	int err = custos_buf_vprintf_printable(b, fmt, ap);
	va_end(ap);
	CHECK_OK(err);
	return b->data ? b->data : "";
}

static void test_text__printf_printable_escapes_each_string_argument_alone(void)
{
	custos_buf_t b = { 0 };
	/* the format's own newline stays; an argument's is escaped with the rest */
	CHECK_STR(pp(&b, "%-6s|%s\n", "a\x1b[1m", "x\ny\rz\t\xe2\x80\xae\xc2\x9b\x7f\a"),
	          "a\\x1b[1m|x\\x0ay\\x0dz\\x09\\u202e\\u009b\\x7f\\x07\n");
	/* widths pad the escaped text; precision cuts the text first, never
	 * inside a character */
	CHECK_STR(pp(&b, "[%5s][%-5s][%.3s][%.2s][%*s][%-*s]", "ab", "ab", "a\x1b" "bc",
	             "a\xc3\xa9", 3, "x", 3, "y"),
	          "[   ab][ab   ][a\\x1bb][a][  x][y  ]");
	CHECK_STR(pp(&b, "%.*s|%.0s|%.9s", 4, "caf\xc3\xa9s", "gone", "\xc3\xa9"), "caf||\xc3\xa9");
	/* the other conversions are printf's */
	CHECK_STR(pp(&b, "%d %5u %-3llu| %zu %lld %x %c %.2f %%", -4, 7u, 12ull, (size_t)9,
	             -5ll, 255u, 'q', 1.5),
	          "-4     7 12 | 9 -5 ff q 1.50 %");
	/* bytes that are not UTF-8 are escaped too */
	CHECK_STR(pp(&b, "<%s>", "a\xff"), "<a\\xff>");
	custos_buf_clear(&b);
	CHECK_INT(custos_buf_printf_printable(&b, "%s", "ok"), CUSTOS_OK);
	CHECK_STR(b.data, "ok");
	custos_buf_free(&b);
}

static void test_text__printable_lines_keep_newlines_and_tabs_and_indent(void)
{
	custos_buf_t b = { 0 };
	static const char in[] = "one\ttab\r\ntwo\x1b]52;c;QQ==\x07\n\xe2\x80\xae" "three";
	CHECK_OK(custos_buf_add_printable_lines(&b, in, sizeof in - 1, "    "));
	CHECK_STR(b.data, "one\ttab\\x0d\n    two\\x1b]52;c;QQ==\\x07\n    \\u202ethree");
	custos_buf_clear(&b);
	CHECK_OK(custos_buf_add_printable_lines(&b, in, sizeof in - 1, NULL));
	CHECK_STR(b.data, "one\ttab\\x0d\ntwo\\x1b]52;c;QQ==\\x07\n\\u202ethree");
	custos_buf_free(&b);
}

static void test_text__json_text_is_utf8_whatever_the_bytes(void)
{
	custos_buf_t b = { 0 };
	CHECK_OK(custos_buf_add_json_text(&b, "ok \"q\"", 6));
	CHECK_STR(b.data, "\"ok \\\"q\\\"\"");
	custos_buf_clear(&b);
	CHECK_OK(custos_buf_add_json_text(&b, "r\xfe\xc3", 3));
	CHECK_STR(b.data, "\"r\xEF\xBF\xBD\xEF\xBF\xBD\"");
	CHECK_INT(custos_utf8_check(b.data, b.len), b.len);
	custos_buf_free(&b);
}

static void test_text__code_points_that_are_not_characters_become_fffd(void)
{
	char u[4];
	CHECK_INT(custos_utf8_put(u, 'a'), 1);
	CHECK_INT(custos_utf8_put(u, 0xE9), 2);
	CHECK(!memcmp(u, "\xc3\xa9", 2));
	CHECK_INT(custos_utf8_put(u, 0x1F600), 4);
	CHECK(!memcmp(u, "\xf0\x9f\x98\x80", 4));
	unsigned long bad[] = { 0, 0xD800, 0xDFFF, 0x110000, 0xFFFFFFFFul };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_INT(custos_utf8_put(u, bad[i]), 3);
		CHECK(!memcmp(u, "\xef\xbf\xbd", 3));
	}
}

static const char *unescape(custos_buf_t *b, const char *s, unsigned flags)
{
	custos_buf_clear(b);
	CHECK_OK(custos_html_unescape(b, s, strlen(s), flags));
	return b->data;
}

static void test_text__html_references_decode_once_and_literal_ampersands_stay(void)
{
	custos_buf_t b = { 0 };
	CHECK_STR(unescape(&b, "a &amp;lt; b &lt;&gt; &quot;x&quot; caf&eacute; &#233;&#xE9;&#XE9; &hellip;", 0),
	          "a &lt; b <> \"x\" café ééé …");
	/* a numeric reference without its ';' as HTML reads it; at most 8 digits */
	CHECK_STR(unescape(&b, "&#65B &#x41; &#000000659;", 0), "AB A A9;");
	/* not references: kept as written */
	CHECK_STR(unescape(&b, "AT&T &unknown; & &# &#x; &amp", 0), "AT&T &unknown; & &# &#x; &amp");
	/* NUL, surrogates and values past U+10FFFF are not characters */
	CHECK_STR(unescape(&b, "&#0;&#xD800;&#x110000;", 0), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* X and Slack escape &, < and > alone: what else looks like one is the author's */
	CHECK_STR(unescape(&b, "&amp;&lt;&gt;&quot;&#38;&eacute;", CUSTOS_HTML_ESCAPES), "&<>&quot;&#38;&eacute;");
	/* a reference is never read past n */
	custos_buf_clear(&b);
	CHECK_OK(custos_html_unescape(&b, "x&amp;", 4, 0));
	CHECK_STR(b.data, "x&am");
	custos_buf_free(&b);
}

CHECK_MAIN(CHECK_CASE(test_text__actor_with_an_email_is_split_and_normalized),
           CHECK_CASE(test_text__actor_refuses_what_git_and_terminals_cannot_keep),
           CHECK_CASE(test_text__reasons_may_have_lines_but_no_other_controls),
           CHECK_CASE(test_text__printable_escapes_controls_and_bad_bytes),
           CHECK_CASE(test_text__printf_printable_escapes_each_string_argument_alone),
           CHECK_CASE(test_text__printable_lines_keep_newlines_and_tabs_and_indent),
           CHECK_CASE(test_text__json_text_is_utf8_whatever_the_bytes),
           CHECK_CASE(test_text__code_points_that_are_not_characters_become_fffd),
           CHECK_CASE(test_text__html_references_decode_once_and_literal_ampersands_stay))
