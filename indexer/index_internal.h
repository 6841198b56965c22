/* Shared between the indexer's C part (query checking and rewriting, dates)
 * and its Xapian glue (xapian.cc). Not public. */
#ifndef CUSTOS_INDEX_INTERNAL_H
#define CUSTOS_INDEX_INTERNAL_H

#include "custos_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CUSTOS_INDEX__MAX_TERMS 1000
#define CUSTOS_INDEX__MAX_QUERY (64 * 1024)

/* Checks query and rewrites it for Xapian's QueryParser: #tag becomes
 * tag:tag, @name mention:name, and every date: value the canonical
 * date:LO_HI (ms, inclusive; "x" for an open end). Positions in err are byte
 * offsets into query. lang receives the value of the query's lang: filter
 * when there is exactly one (else ""). */
int custos_index__prepare(const char *query, custos_buf_t *out, char *lang, size_t lang_cap,
                          custos_err_t *err);

/* Parses a date: value ("2019", "2019-03", "2019-03-01", ranges "A..B",
 * "..B", "A..", each day optionally with "Z" or "+02:00") into inclusive
 * bounds in ms; INT64_MIN / INT64_MAX for open ends. CUSTOS_EFORMAT with a
 * message (no position) when bad or backwards. */
int custos_index__date_range(const char *v, size_t n, int64_t *lo, int64_t *hi, custos_err_t *err);

/* Days since 1970-01-01 of a civil date, and back. */

/* Offset of the first invalid UTF-8 sequence in p[0..n), or n. */

#ifdef __cplusplus
}
#endif
#endif
