/* CSV output: the one writer every command's --csv goes through. RFC 4180
 * fields, with a guard against spreadsheet formula injection. */
#include "custos_common.h"

#include <stdio.h>
#include <string.h>

/* A spreadsheet reads a cell that starts with one of these as a formula
 * (tab and CR because some strip them before looking): "=HYPERLINK(...)"
 * in a post would run when a reviewer opens the export. A field that starts
 * with the apostrophe itself gets one too, so that dropping one leading
 * apostrophe always gives back the text: the guard loses nothing. */
static bool guarded(const char *s, size_t n)
{
	return n && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	             s[0] == '\r' || s[0] == '\'');
}

int custos_csv_fieldn(custos_buf_t *b, const char *s, size_t n)
{
	bool guard, quote;
	int rc = 0;
	if (!s)
		n = 0;
	guard = guarded(s, n);
	quote = guard || (n && (memchr(s, ',', n) || memchr(s, '"', n) || memchr(s, '\n', n) ||
	                        memchr(s, '\r', n) || s[0] == ' ' || s[n - 1] == ' '));
	if (quote)
		rc |= custos_buf_addc(b, '"');
	if (guard)
		rc |= custos_buf_addc(b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			rc |= custos_buf_addc(b, '"');
		rc |= custos_buf_addc(b, s[i]);
	}
	if (quote)
		rc |= custos_buf_addc(b, '"');
	/* a zero-length append still leaves a NUL-terminated buffer */
	if (!b->data)
		rc |= custos_buf_reserve(b, 1);
	return rc ? CUSTOS_ENOMEM : CUSTOS_OK;
}

int custos_csv_field(custos_buf_t *b, const char *s)
{
	return custos_csv_fieldn(b, s, s ? strlen(s) : 0);
}

int custos_csv_row(custos_buf_t *b, const char *const *fields, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			rc |= custos_buf_addc(b, ',');
		rc |= custos_csv_field(b, fields[i]);
	}
	rc |= custos_buf_addc(b, '\n');
	return rc ? CUSTOS_ENOMEM : CUSTOS_OK;
}
