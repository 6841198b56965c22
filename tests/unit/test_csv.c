/* The one CSV writer (common/csv.c): quoting as RFC 4180 has it, and the
 * guard against spreadsheet formulas. */
#include "check.h"

static const char *row(custos_buf_t *b, const char *const *f, size_t n)
{
	custos_buf_clear(b);
	if (custos_csv_row(b, f, n) < 0)
		return "(out of memory)";
	return b->data;
}

static void test_csv__plain_fields_are_written_as_they_are(void)
{
	custos_buf_t b = { 0 };
	const char *f[] = { "x:1", "2023-01-01T10:00:00Z", "slack", "", NULL, "42" };
	CHECK_STR(row(&b, f, 6), "x:1,2023-01-01T10:00:00Z,slack,,,42\n");
	custos_buf_free(&b);
}

static void test_csv__commas_quotes_and_line_breaks_are_quoted(void)
{
	custos_buf_t b = { 0 };
	const char *f[] = { "a,b", "say \"hi\"", "two\nlines", "cr\rhere", " padded " };
	CHECK_STR(row(&b, f, 5),
	          "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",\" padded \"\n");
	custos_buf_free(&b);
}

static void test_csv__a_cell_a_spreadsheet_would_run_is_prefixed(void)
{
	custos_buf_t b = { 0 };
	const char *f[] = { "=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx",
	                    "\rx", "a=1", "1-2", "'tis", "it's" };
	CHECK_STR(row(&b, f, 10),
	          "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\","
	          "\"'\tx\",\"'\rx\",a=1,1-2,\"''tis\",it's\n");
	custos_buf_free(&b);
}

static void test_csv__one_field_and_bytes_with_a_length(void)
{
	custos_buf_t b = { 0 };
	CHECK_OK(custos_csv_field(&b, NULL));
	CHECK(b.data && b.len == 0);
	CHECK_OK(custos_csv_fieldn(&b, "=x,yz", 3));
	CHECK_STR(b.data, "\"'=x,\"");
	custos_buf_free(&b);
}

CHECK_MAIN(CHECK_CASE(test_csv__plain_fields_are_written_as_they_are),
           CHECK_CASE(test_csv__commas_quotes_and_line_breaks_are_quoted),
           CHECK_CASE(test_csv__a_cell_a_spreadsheet_would_run_is_prefixed),
           CHECK_CASE(test_csv__one_field_and_bytes_with_a_length))
