/* retention.yaml parsing and validation, durations and expiry arithmetic. */
#include "check.h"
#include "custos_retention.h"

#include <stdlib.h>

static int64_t at(const char *s)
{
	int64_t ms;
	if (custos_time_parse(&ms, s, strlen(s)) != 0)
		check__fail(__FILE__, __LINE__, "bad date %s", s);
	return ms;
}

static const char *fmt(int64_t ms)
{
	static char buf[4][40];
	static int i;
	i = (i + 1) % 4;
	custos_time_format(buf[i], sizeof buf[i], ms);
	return buf[i];
}

static int64_t exp_of(const char *from, const char *retain)
{
	custos_retain_t r;
	if (custos_retain_parse(&r, retain) != 0)
		check__fail(__FILE__, __LINE__, "bad retain %s", retain);
	return custos_retain_expiry(at(from), r);
}

/* A query check that refuses unbalanced quotes and the word BROKEN. */
static int fake_check(void *ctx, const char *q, char *msg, size_t cap)
{
	int *calls = ctx;
	(*calls)++;
	size_t quotes = 0;
	for (const char *p = q; *p; p++)
		quotes += *p == '"';
	if (quotes % 2) {
		snprintf(msg, cap, "unbalanced quote");
		return 1;
	}
	if (strstr(q, "BROKEN")) {
		snprintf(msg, cap, "unknown operator");
		return 1;
	}
	return 0;
}

static const char *VALID =
	"version: 1\n"
	"description: Social media retention, approved 2024-03-01\n"
	"rules:\n"
	"  - name: default\n"
	"    match: \"*\"                       # every record\n"
	"    retain: 7y\n"
	"  - name: support-replies\n"
	"    match: \"platform:x kind:reply\"\n"
	"    retain: 90d\n"
	"    description: customer support chatter\n"
	"  - name: slack-joins\n"
	"    match: \"platform:slack\"\n"
	"    retain: 6m\n"
	"    from: captured_at\n"
	"  - name: board\n"
	"    match: \"account:board\"\n"
	"    retain: forever\n";

static void test_schedule__valid_schedule_parses_every_field(void)
{
	custos_schedule_t *s = NULL;
	custos_err_t err = { 0 };
	int calls = 0;
	CHECK_OK(custos_schedule_parse(&s, VALID, strlen(VALID), fake_check, &calls, &err));
	CHECK_INT(s->n_rules, 4);
	CHECK_INT(calls, 3);              /* "*" is not sent to the query parser */
	CHECK_INT(s->version, 1);
	CHECK_STR(s->description, "Social media retention, approved 2024-03-01");
	CHECK_STR(s->rules[0].name, "default");
	CHECK(s->rules[0].match_all);
	CHECK_INT(s->rules[0].retain.unit, CUSTOS_RETAIN_YEARS);
	CHECK_INT(s->rules[0].retain.n, 7);
	CHECK_INT(s->rules[0].line, 4);
	CHECK_STR(s->rules[1].match, "platform:x kind:reply");
	CHECK(!s->rules[1].match_all);
	CHECK_INT(s->rules[1].retain.unit, CUSTOS_RETAIN_DAYS);
	CHECK_INT(s->rules[1].retain.n, 90);
	CHECK_STR(s->rules[1].description, "customer support chatter");
	CHECK_INT(s->rules[1].from, CUSTOS_FROM_CREATED);
	CHECK_INT(s->rules[2].from, CUSTOS_FROM_CAPTURED);
	CHECK_INT(s->rules[3].retain.unit, CUSTOS_RETAIN_FOREVER);
	CHECK_INT(s->rules[3].line, 15);
	CHECK_INT(s->text_len, strlen(VALID));
	CHECK_STR(s->text, VALID);
	CHECK_STR(s->commit, "");
	custos_schedule_free(s);
}

/* Parses text expecting failure; returns the error's first line. */
static const char *parse_fails(const char *text)
{
	static custos_err_t err;
	custos_schedule_t *s = (custos_schedule_t *)1;
	int calls = 0;
	memset(&err, 0, sizeof err);
	int st = custos_schedule_parse(&s, text, strlen(text), fake_check, &calls, &err);
	if (st != CUSTOS_EFORMAT)
		check__fail(__FILE__, __LINE__, "parse returned %d, wanted EFORMAT", st);
	if (s != NULL)
		check__fail(__FILE__, __LINE__, "*out not NULL on failure");
	return err.msg;
}

#define CHECK_PREFIX(msg, want) do { const char *m__ = (msg); \
	if (strncmp(m__, want, strlen(want)) != 0) \
		check__fail(__FILE__, __LINE__, "message \"%s\" does not start with \"%s\"", m__, want); \
	} while (0)
#define CHECK_HAS(msg, want) do { const char *m__ = (msg); if (!strstr(m__, want)) \
		check__fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", m__, want); } while (0)

static void test_schedule__unknown_field_names_its_line_and_column(void)
{
	const char *m = parse_fails("rules:\n"
	                            "  - name: default\n"
	                            "    match: \"*\"\n"
	                            "    retain: 7y\n"
	                            "    retian: 8y\n");
	CHECK_PREFIX(m, "retention.yaml:5:5: unknown field 'retian'");
	m = parse_fails("rulez: []\n");
	CHECK_PREFIX(m, "retention.yaml:1:1: unknown field 'rulez'");
}

static void test_schedule__unparseable_duration_names_its_line(void)
{
	const char *m = parse_fails("rules:\n"
	                            "  - name: default\n"
	                            "    match: \"*\"\n"
	                            "    retain: 7 years\n");
	CHECK_PREFIX(m, "retention.yaml:4:13: unparseable duration '7 years'");
	CHECK_PREFIX(parse_fails("rules:\n  - {name: a, match: \"*\", retain: 90}\n"),
	             "retention.yaml:2:35: unparseable duration '90'");
	CHECK_PREFIX(parse_fails("rules:\n  - {name: a, match: \"*\", retain: 10001y}\n"),
	             "retention.yaml:2:35: unparseable duration");
	CHECK_PREFIX(parse_fails("rules:\n  - {name: a, match: \"*\", retain: -1d}\n"),
	             "retention.yaml:2:35: unparseable duration");
}

static void test_schedule__duplicate_rule_name_names_both_lines(void)
{
	const char *m = parse_fails("rules:\n"
	                            "  - name: default\n"
	                            "    match: \"*\"\n"
	                            "    retain: 7y\n"
	                            "  - name: default\n"
	                            "    match: \"platform:x\"\n"
	                            "    retain: 1y\n");
	CHECK_PREFIX(m, "retention.yaml:5:5: duplicate rule name 'default' (first at line 2)");
}

static void test_schedule__yaml_syntax_error_names_its_line(void)
{
	const char *m = parse_fails("rules:\n"
	                            "  - name: default\n"
	                            "    match: \"*\n"
	                            "    retain: 7y\n");
	CHECK_PREFIX(m, "retention.yaml:");
	CHECK_HAS(m, "YAML syntax error");
	m = parse_fails("rules:\n"
	                "  - name: default\n"
	                "    match: \"*\"\n"
	                "   retain: 7y\n");
	CHECK_PREFIX(m, "retention.yaml:4:");
	CHECK_HAS(m, "YAML syntax error");
	/* an unquoted * is a YAML alias, not the match-all query */
	m = parse_fails("rules:\n  - name: a\n    match: *\n    retain: 1y\n");
	CHECK_PREFIX(m, "retention.yaml:3:");
}

static void test_schedule__schedule_without_match_all_rule_is_invalid(void)
{
	const char *m = parse_fails("# no default\n"
	                            "rules:\n"
	                            "  - name: support\n"
	                            "    match: \"platform:x\"\n"
	                            "    retain: 90d\n");
	CHECK_PREFIX(m, "retention.yaml:2:1: no rule matches every record");
	CHECK_PREFIX(parse_fails("rules: []\n"), "retention.yaml:1:8: 'rules' is empty");
	CHECK_PREFIX(parse_fails(""), "retention.yaml:1:1: empty schedule");
	CHECK_PREFIX(parse_fails("- a\n- b\n"), "retention.yaml:1:1: the schedule must be a mapping");
	CHECK_PREFIX(parse_fails("description: x\n"), "retention.yaml:1:1: no 'rules:' list");
}

static void test_schedule__invalid_query_names_its_line_and_the_parser_reason(void)
{
	const char *m = parse_fails("rules:\n"
	                            "  - name: default\n"
	                            "    match: \"*\"\n"
	                            "    retain: 7y\n"
	                            "  - name: bad\n"
	                            "    match: 'from:acme \"oops'\n"
	                            "    retain: 1y\n");
	CHECK_PREFIX(m, "retention.yaml:6:12: bad query 'from:acme \"oops': unbalanced quote");
}

static void test_schedule__every_problem_is_listed_first_first(void)
{
	const char *m = parse_fails("version: 2\n"
	                            "rules:\n"
	                            "  - name: a\n"
	                            "    match: BROKEN\n"
	                            "    retain: 1w\n"
	                            "  - name: b\n"
	                            "    from: updated_at\n");
	CHECK_PREFIX(m, "retention.yaml:1:10: unsupported schedule version '2'");
	CHECK_HAS(m, "\nretention.yaml:4:12: bad query 'BROKEN': unknown operator");
	CHECK_HAS(m, "\nretention.yaml:5:13: unparseable duration '1w'");
	CHECK_HAS(m, "\nretention.yaml:7:11: unknown 'from' value 'updated_at'");
	CHECK_HAS(m, "\nretention.yaml:2:1: no rule matches every record");
}

static void test_schedule__missing_fields_and_repeated_keys_are_refused(void)
{
	CHECK_PREFIX(parse_fails("rules:\n  - name: a\n    retain: 1y\n"),
	             "retention.yaml:2:5: rule a has no match");
	CHECK_PREFIX(parse_fails("rules:\n  - match: \"*\"\n    retain: 1y\n"),
	             "retention.yaml:2:5: rule has no name");
	CHECK_PREFIX(parse_fails("rules:\n  - name: a\n    match: \"*\"\n    retain: 1y\n    retain: 2y\n"),
	             "retention.yaml:5:5: field 'retain' given twice");
	CHECK_PREFIX(parse_fails("rules:\n  - name: a\n    match: \"*\"\n    retain: [1y]\n"),
	             "retention.yaml:4:13: 'retain' must be a text value");
	CHECK_PREFIX(parse_fails("rules:\n  - {name: a, match: \"*\", retain: 1y}\n---\nrules: []\n"),
	             "retention.yaml:4:1: a second YAML document");
	/* over 1 MiB: refused before parsing */
	size_t big = (1 << 20) + 1;
	char *text = malloc(big);
	CHECK(text != NULL);
	memset(text, '#', big);
	custos_schedule_t *s = NULL;
	custos_err_t err = { 0 };
	CHECK_STATUS(custos_schedule_parse(&s, text, big, NULL, NULL, &err), CUSTOS_ETOOBIG);
	CHECK(s == NULL);
	free(text);
}

static void test_retain__parse_and_format_roundtrip(void)
{
	const char *ok[] = { "0d", "90d", "6m", "7y", "forever", "3650000d", "10000y" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		custos_retain_t r;
		char buf[16];
		CHECK_OK(custos_retain_parse(&r, ok[i]));
		custos_retain_format(buf, sizeof buf, r);
		CHECK_STR(buf, ok[i]);
	}
	const char *bad[] = { "", "d", "7", "7Y", "7yy", " 7y", "1.5y", "7 y", "forever!", "99999999999d" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		custos_retain_t r;
		CHECK_STATUS(custos_retain_parse(&r, bad[i]), CUSTOS_EFORMAT);
	}
}

static void test_retain__expiry_handles_leap_days_and_month_ends(void)
{
	/* days are exact multiples of 86,400 s */
	CHECK_STR(fmt(exp_of("2024-02-28T10:00:00Z", "1d")), "2024-02-29T10:00:00Z");
	CHECK_STR(fmt(exp_of("2023-12-01T00:00:00.250Z", "90d")), "2024-02-29T00:00:00.250Z");
	/* a leap day plus whole years: the day does not exist, so forward to March 1 */
	CHECK_STR(fmt(exp_of("2020-02-29T12:34:56Z", "7y")), "2027-03-01T12:34:56Z");
	CHECK_STR(fmt(exp_of("2020-02-29T12:34:56Z", "4y")), "2024-02-29T12:34:56Z");
	CHECK_STR(fmt(exp_of("2020-02-29T00:00:00Z", "12m")), "2021-03-01T00:00:00Z");
	/* month ends */
	CHECK_STR(fmt(exp_of("2021-01-31T08:00:00Z", "1m")), "2021-03-01T08:00:00Z");
	CHECK_STR(fmt(exp_of("2020-01-31T08:00:00Z", "1m")), "2020-03-01T08:00:00Z");
	CHECK_STR(fmt(exp_of("2020-01-29T08:00:00Z", "1m")), "2020-02-29T08:00:00Z");
	CHECK_STR(fmt(exp_of("2021-03-31T23:59:59Z", "1m")), "2021-05-01T23:59:59Z");
	CHECK_STR(fmt(exp_of("2021-08-31T00:00:00Z", "1m")), "2021-10-01T00:00:00Z");
	CHECK_STR(fmt(exp_of("2020-12-31T00:00:00Z", "2m")), "2021-03-01T00:00:00Z");
	CHECK_STR(fmt(exp_of("2021-11-30T00:00:00Z", "1m")), "2021-12-30T00:00:00Z");
	CHECK_STR(fmt(exp_of("2021-12-31T00:00:00Z", "1m")), "2022-01-31T00:00:00Z");
	CHECK_STR(fmt(exp_of("2021-12-15T00:00:00Z", "25m")), "2024-01-15T00:00:00Z");
	/* century rules: 2100 is not a leap year, 2000 was */
	CHECK_STR(fmt(exp_of("2096-02-29T00:00:00Z", "4y")), "2100-03-01T00:00:00Z");
	CHECK_STR(fmt(exp_of("1996-02-29T00:00:00Z", "4y")), "2000-02-29T00:00:00Z");
	/* before the epoch */
	CHECK_STR(fmt(exp_of("1969-12-31T23:00:00Z", "1m")), "1970-01-31T23:00:00Z");
	CHECK_STR(fmt(exp_of("1968-02-29T01:00:00Z", "1y")), "1969-03-01T01:00:00Z");
	/* zero and forever */
	CHECK_INT(exp_of("2021-05-05T00:00:00Z", "0d"), at("2021-05-05T00:00:00Z"));
	CHECK_INT(exp_of("2021-05-05T00:00:00Z", "forever"), CUSTOS_EXPIRY_NEVER);
	custos_retain_t y = { CUSTOS_RETAIN_YEARS, 1 };
	CHECK_INT(custos_retain_expiry(CUSTOS_TIME_NONE, y), CUSTOS_EXPIRY_NEVER);
	/* the largest durations stay representable */
	CHECK(exp_of("2021-05-05T00:00:00Z", "10000y") > at("2021-05-05T00:00:00Z"));
	CHECK_INT(exp_of("2021-05-05T00:00:00Z", "10000y"), exp_of("2021-05-05T00:00:00Z", "120000m"));
}

static void test_schedule__longest_retain_of_matching_rules_wins(void)
{
	const char *text =
		"rules:\n"
		"  - {name: default, match: \"*\", retain: 1y}\n"
		"  - {name: short, match: \"platform:x\", retain: 90d}\n"
		"  - {name: quarter, match: \"kind:reply\", retain: 3m}\n"
		"  - {name: long, match: \"account:legal\", retain: 10y}\n"
		"  - {name: keep, match: \"account:board\", retain: forever}\n"
		"  - {name: captured, match: \"platform:slack\", retain: 2y, from: captured_at}\n";
	custos_schedule_t *s = NULL;
	custos_err_t err = { 0 };
	CHECK_OK(custos_schedule_parse(&s, text, strlen(text), NULL, NULL, &err));
	int64_t created = at("2021-01-01T00:00:00Z"), captured = at("2023-06-01T00:00:00Z");
	size_t rule;
	int64_t exp;

	size_t only_default[] = { 0 };
	CHECK_OK(custos_schedule_expiry(s, only_default, 1, created, captured, &rule, &exp));
	CHECK_INT(rule, 0);
	CHECK_STR(fmt(exp), "2022-01-01T00:00:00Z");

	/* the cautious reading: the longest wins, whatever the order given */
	size_t overlap[] = { 3, 1, 0 };
	CHECK_OK(custos_schedule_expiry(s, overlap, 3, created, captured, &rule, &exp));
	CHECK_INT(rule, 3);
	CHECK_STR(fmt(exp), "2031-01-01T00:00:00Z");

	/* 90d and 3m from 2021-01-01 both end on 2021-04-01: a tie goes to
	 * the first rule in the file */
	size_t tie[] = { 2, 1 };
	CHECK_OK(custos_schedule_expiry(s, tie, 2, created, captured, &rule, &exp));
	CHECK_INT(rule, 1);
	CHECK_STR(fmt(exp), "2021-04-01T00:00:00Z");
	/* in a leap year 3m is one day longer than 90d */
	CHECK_OK(custos_schedule_expiry(s, tie, 2, at("2020-01-01T00:00:00Z"), captured, &rule, &exp));
	CHECK_INT(rule, 2);

	size_t forever[] = { 0, 4, 3 };
	CHECK_OK(custos_schedule_expiry(s, forever, 3, created, captured, &rule, &exp));
	CHECK_INT(rule, 4);
	CHECK_INT(exp, CUSTOS_EXPIRY_NEVER);

	/* from: captured_at counts from the capture, and so outlives the default */
	size_t cap[] = { 0, 5 };
	CHECK_OK(custos_schedule_expiry(s, cap, 2, created, captured, &rule, &exp));
	CHECK_INT(rule, 5);
	CHECK_STR(fmt(exp), "2025-06-01T00:00:00Z");

	size_t bad[] = { 6 };
	CHECK_STATUS(custos_schedule_expiry(s, bad, 1, created, captured, &rule, &exp), CUSTOS_EINVAL);
	CHECK_STATUS(custos_schedule_expiry(s, bad, 0, created, captured, &rule, &exp), CUSTOS_EINVAL);
	custos_schedule_free(s);
}

static void test_schedule__an_overriding_rule_decides_over_the_rules_it_names(void)
{
	const char *text =
		"rules:\n"
		"  - {name: default, match: \"*\", retain: 6y}\n"
		"  - {name: chat, match: \"platform:slack\", retain: 1y, overrides: default}\n"
		"  - {name: regulated, match: \"account:desk\", retain: 6y}\n"
		"  - {name: board, match: \"account:board\", retain: 3y, overrides: [default, chat]}\n";
	custos_schedule_t *s = NULL;
	custos_err_t err = { 0 };
	CHECK_OK(custos_schedule_parse(&s, text, strlen(text), NULL, NULL, &err));
	CHECK_INT(s->rules[1].n_overrides, 1);
	CHECK_INT(s->rules[1].overrides[0], 0);
	CHECK_INT(s->rules[3].n_overrides, 2);
	int64_t created = at("2021-01-01T00:00:00Z");
	size_t rule;
	int64_t exp;
	/* chat sets default aside where both match: 1y, not 6y */
	size_t chat[] = { 0, 1 };
	CHECK_OK(custos_schedule_expiry(s, chat, 2, created, created, &rule, &exp));
	CHECK_INT(rule, 1);
	CHECK_STR(fmt(exp), "2022-01-01T00:00:00Z");
	/* a rule chat does not name still counts: the longest of the rest */
	size_t desk[] = { 0, 1, 2 };
	CHECK_OK(custos_schedule_expiry(s, desk, 3, created, created, &rule, &exp));
	CHECK_INT(rule, 2);
	CHECK_STR(fmt(exp), "2027-01-01T00:00:00Z");
	/* board overrides both: shorter than either, it decides */
	size_t board[] = { 1, 0, 3 };
	CHECK_OK(custos_schedule_expiry(s, board, 3, created, created, &rule, &exp));
	CHECK_INT(rule, 3);
	CHECK_STR(fmt(exp), "2024-01-01T00:00:00Z");
	custos_schedule_free(s);

	CHECK_PREFIX(parse_fails("rules:\n  - {name: d, match: \"*\", retain: 1y, overrides: [x]}\n"),
	             "retention.yaml:2:51: rule d overrides 'x', which is not a rule of this schedule");
	CHECK_PREFIX(parse_fails("rules:\n  - {name: d, match: \"*\", retain: 1y, overrides: d}\n"),
	             "retention.yaml:2:50: rule d overrides itself");
	CHECK_PREFIX(parse_fails("rules:\n  - {name: d, match: \"*\", retain: 1y}\n"
	                         "  - {name: a, match: \"kind:reply\", retain: 1y, overrides: b}\n"
	                         "  - {name: b, match: \"platform:x\", retain: 1y, overrides: [d, a]}\n"),
	             "retention.yaml:3:59: rule a overrides, through the rules it overrides, itself");
	CHECK_PREFIX(parse_fails("rules:\n  - {name: d, match: \"*\", retain: 1y, overrides: {a: b}}\n"),
	             "retention.yaml:2:50: 'overrides' must be a rule name or a list of rule names");
}

static const char *warnings(const char *text)
{
	static custos_buf_t w;
	custos_schedule_t *s = NULL;
	custos_err_t err = { 0 };
	custos_buf_clear(&w);
	if (custos_schedule_parse(&s, text, strlen(text), NULL, NULL, &err) != 0)
		check__fail(__FILE__, __LINE__, "does not parse: %s", err.msg);
	CHECK_OK(custos_schedule_warnings(s, &w));
	custos_schedule_free(s);
	return w.data ? w.data : "";
}

static void test_schedule__a_rule_that_can_never_decide_is_named_with_its_shadow(void)
{
	/* the case: the longest matching rule wins, so a 3y rule under
	 * a 6y match-all never decides */
	CHECK_STR(warnings("rules:\n"
	                   "  - {name: default, match: \"*\", retain: 6y}\n"
	                   "  - {name: slack-chat, match: \"platform:slack\", retain: 3y}\n"),
	          "retention.yaml:3: rule 'slack-chat' can never decide a record: rule 'default' "
	          "(line 2) matches every record it matches and keeps it longer (6y against 3y); if "
	          "'slack-chat' should decide, give it 'overrides: [default]'");
	/* the same query, and a later rule as long: shadowed by the first */
	CHECK_STR(warnings("rules:\n"
	                   "  - {name: default, match: \"*\", retain: 6m}\n"
	                   "  - {name: a, match: \"platform:x  kind:reply\", retain: 12m}\n"
	                   "  - {name: b, match: \" platform:x kind:reply\", retain: 1y}\n"
	                   "  - {name: c, match: \"platform:xkind:reply\", retain: 1y}\n"),
	          "retention.yaml:4: rule 'b' can never decide a record: rule 'a' (line 3) matches "
	          "every record it matches and keeps it as long, and comes first (12m against 1y); "
	          "if 'b' should decide, give it 'overrides: [a]'");
	/* overridden outright */
	CHECK_STR(warnings("rules:\n"
	                   "  - {name: default, match: \"*\", retain: 1y, overrides: [x]}\n"
	                   "  - {name: x, match: \"platform:x\", retain: 9y}\n"),
	          "retention.yaml:3: rule 'x' can never decide a record: rule 'default' (line 2) "
	          "matches every record it matches and overrides it");
	/* none: an override, a longer rule, 3m against 90d (which is longer
	 * depends on the start), another 'from', a query only text can compare */
	CHECK_STR(warnings("rules:\n"
	                   "  - {name: default, match: \"*\", retain: 6y}\n"
	                   "  - {name: chat, match: \"platform:slack\", retain: 3y, overrides: default}\n"
	                   "  - {name: board, match: \"account:board\", retain: forever}\n"
	                   "  - {name: q, match: \"kind:reply\", retain: 3m}\n"
	                   "  - {name: d, match: \"kind:reply\", retain: 90d}\n"
	                   "  - {name: cap, match: \"platform:x\", retain: 1y, from: captured_at}\n"), "");
}

static void test_schedule__expiry_of_a_million_records(void)
{
	const char *text =
		"rules:\n"
		"  - {name: default, match: \"*\", retain: 7y}\n"
		"  - {name: short, match: \"platform:x\", retain: 90d}\n"
		"  - {name: quarter, match: \"kind:reply\", retain: 3m}\n";
	custos_schedule_t *s = NULL;
	custos_err_t err = { 0 };
	CHECK_OK(custos_schedule_parse(&s, text, strlen(text), NULL, NULL, &err));
	int64_t base = at("2015-01-01T00:00:00Z"), as_of = at("2024-01-01T00:00:00Z");
	size_t all[] = { 0, 1, 2 }, eligible = 0, by_rule[3] = { 0 };
	int64_t t0 = custos_time_now();
	for (int i = 0; i < 1000000; i++) {
		int64_t created = base + (int64_t)i * 283000;   /* spread over ~9 years */
		size_t rule;
		int64_t exp;
		CHECK_OK(custos_schedule_expiry(s, all, 1 + (size_t)(i % 3), created, created, &rule, &exp));
		by_rule[rule]++;
		eligible += as_of >= exp;
	}
	int64_t t1 = custos_time_now();
	/* the default 7y always wins; records created before 2017-01-01 are past it */
	CHECK_INT(by_rule[0], 1000000);
	int64_t cutoff = at("2017-01-01T00:00:00Z");
	CHECK_INT(eligible, (size_t)((cutoff - base + 282999) / 283000));
	printf("  1,000,000 expiries (1-3 matching rules each): %lld ms\n", (long long)(t1 - t0));
	custos_schedule_free(s);
}

CHECK_MAIN(CHECK_CASE(test_schedule__valid_schedule_parses_every_field),
           CHECK_CASE(test_schedule__unknown_field_names_its_line_and_column),
           CHECK_CASE(test_schedule__unparseable_duration_names_its_line),
           CHECK_CASE(test_schedule__duplicate_rule_name_names_both_lines),
           CHECK_CASE(test_schedule__yaml_syntax_error_names_its_line),
           CHECK_CASE(test_schedule__schedule_without_match_all_rule_is_invalid),
           CHECK_CASE(test_schedule__invalid_query_names_its_line_and_the_parser_reason),
           CHECK_CASE(test_schedule__every_problem_is_listed_first_first),
           CHECK_CASE(test_schedule__missing_fields_and_repeated_keys_are_refused),
           CHECK_CASE(test_retain__parse_and_format_roundtrip),
           CHECK_CASE(test_retain__expiry_handles_leap_days_and_month_ends),
           CHECK_CASE(test_schedule__longest_retain_of_matching_rules_wins),
           CHECK_CASE(test_schedule__an_overriding_rule_decides_over_the_rules_it_names),
           CHECK_CASE(test_schedule__a_rule_that_can_never_decide_is_named_with_its_shadow),
           CHECK_CASE(test_schedule__expiry_of_a_million_records))
