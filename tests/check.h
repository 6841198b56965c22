/* The unit-test harness: each test runs in a fresh temporary directory (its
 * path in check_tmpdir), a failed CHECK reports file, line and expression and
 * ends that test, and the program prints one "N passed, N failed" line. */
#ifndef CUSTOS_CHECK_H
#define CUSTOS_CHECK_H

#include <stdio.h>
#include <string.h>
#include "custos_common.h"

typedef void (*check_fn)(void);
typedef struct { const char *name; check_fn fn; } check_case_t;

extern char check_tmpdir[4096];
/* Path of the shared fixtures (../shared/fixtures), or NULL when absent. */
const char *check_fixtures(void);
/* Marks the running test skipped with a reason; the test should return. */
void check_skip(const char *why);
void check__fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

#define CHECK(expr) do { if (!(expr)) \
	check__fail(__FILE__, __LINE__, "CHECK(%s)", #expr); } while (0)
/* For calls returning a custos status: reports the status when not CUSTOS_OK. */
#define CHECK_OK(call) do { int check__s = (call); if (check__s != 0) \
	check__fail(__FILE__, __LINE__, "%s returned %d (%s)", #call, check__s, \
	            custos_status_str(check__s)); } while (0)
#define CHECK_STATUS(call, want) do { int check__s = (call); if (check__s != (want)) \
	check__fail(__FILE__, __LINE__, "%s returned %d (%s), wanted %s", #call, \
	            check__s, custos_status_str(check__s), #want); } while (0)
#define CHECK_INT(a, b) do { long long check__a = (long long)(a), check__b = (long long)(b); \
	if (check__a != check__b) check__fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", \
	            #a, #b, check__a, check__b); } while (0)
#define CHECK_STR(a, b) do { const char *check__a = (a), *check__b = (b); \
	if (!check__a || !check__b || strcmp(check__a, check__b) != 0) \
	check__fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
	            check__a ? check__a : "(null)", check__b ? check__b : "(null)"); } while (0)

/* Each test file ends with CHECK_MAIN(test_a, test_b, ...). */
int check_run(const char *suite, const check_case_t *cases, size_t n, int argc, char **argv);
#define CHECK_CASE(f) { #f, f }
#define CHECK_MAIN(...) \
	int main(int argc, char **argv) { \
		static const check_case_t cases[] = { __VA_ARGS__ }; \
		return check_run(__FILE__, cases, sizeof cases / sizeof cases[0], argc, argv); }

#endif
