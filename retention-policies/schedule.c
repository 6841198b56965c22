/* Retention durations, the calendar arithmetic of expiry, the rules that can
 * never decide, and freeing a schedule: what a disposition run and the faces
 * use of a schedule once it is parsed. In the binary; the parser, which
 * needs libyaml, is schedule_yaml.c in the policy module. No git here
 * (policy_repo.c stores the text). */
#include "retention_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Durations
 */
int custos_retain_parse(custos_retain_t *out, const char *s)
{
	if (!s || !*s)
		return CUSTOS_EFORMAT;
	if (strcmp(s, "forever") == 0) {
		out->unit = CUSTOS_RETAIN_FOREVER;
		out->n = 0;
		return CUSTOS_OK;
	}
	long long n = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return CUSTOS_EFORMAT;
	while (*p >= '0' && *p <= '9') {
		n = n * 10 + (*p - '0');
		if (n > 100000000)
			return CUSTOS_EFORMAT;
		p++;
	}
	if (!p[0] || p[1])
		return CUSTOS_EFORMAT;
	/* the bounds keep every expiry far inside int64 milliseconds */
	switch (*p) {
	case 'd': if (n > 3650000) return CUSTOS_EFORMAT; out->unit = CUSTOS_RETAIN_DAYS; break;
	case 'm': if (n > 120000) return CUSTOS_EFORMAT; out->unit = CUSTOS_RETAIN_MONTHS; break;
	case 'y': if (n > 10000) return CUSTOS_EFORMAT; out->unit = CUSTOS_RETAIN_YEARS; break;
	default: return CUSTOS_EFORMAT;
	}
	out->n = (int32_t)n;
	return CUSTOS_OK;
}

void custos_retain_format(char *out, size_t cap, custos_retain_t r)
{
	switch (r.unit) {
	case CUSTOS_RETAIN_DAYS:   snprintf(out, cap, "%dd", (int)r.n); break;
	case CUSTOS_RETAIN_MONTHS: snprintf(out, cap, "%dm", (int)r.n); break;
	case CUSTOS_RETAIN_YEARS:  snprintf(out, cap, "%dy", (int)r.n); break;
	default:                   snprintf(out, cap, "forever"); break;
	}
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t custos_retain_expiry(int64_t from_ms, custos_retain_t r)
{
	const int64_t day_ms = 86400000;
	if (from_ms == CUSTOS_TIME_NONE || r.unit == CUSTOS_RETAIN_FOREVER)
		return CUSTOS_EXPIRY_NEVER;
	if (r.unit == CUSTOS_RETAIN_DAYS)
		return from_ms + (int64_t)r.n * day_ms;
	int64_t days = floor_div(from_ms, day_ms);
	int64_t tod = from_ms - days * day_ms;
	int64_t y;
	unsigned m, d;
	custos_time_civil_from_days(days, &y, &m, &d);
	int64_t months = r.unit == CUSTOS_RETAIN_YEARS ? (int64_t)r.n * 12 : r.n;
	int64_t total = y * 12 + (m - 1) + months;
	int64_t ny = floor_div(total, 12);
	unsigned nm = (unsigned)(total - ny * 12) + 1;
	if (d > custos_time_days_in_month(ny, nm)) {
		/* the day does not exist there: move forward, never back */
		d = 1;
		if (++nm > 12) {
			nm = 1;
			ny++;
		}
	}
	return custos_time_days_from_civil(ny, nm, d) * day_ms + tod;
}

/* Whether rule a overrides rule b (the parser checks overrides with it). */
bool custos_retention__overrides(const custos_schedule_t *s, size_t a, size_t b)
{
	for (size_t k = 0; k < s->rules[a].n_overrides; k++)
		if (s->rules[a].overrides[k] == b)
			return true;
	return false;
}

int custos_schedule_expiry(const custos_schedule_t *s, const size_t *rules, size_t n,
                           int64_t created_at, int64_t captured_at,
                           size_t *out_rule, int64_t *out_expiry)
{
	if (!s || !rules || n == 0)
		return CUSTOS_EINVAL;
	size_t best = SIZE_MAX;
	int64_t best_exp = 0;
	for (size_t i = 0; i < n; i++)
		if (rules[i] >= s->n_rules)
			return CUSTOS_EINVAL;
	/* a rule another matching rule overrides does not decide; the second
	 * pass, which takes them all, is never needed for a schedule that
	 * parsed (it has no cycle of overrides) */
	for (int pass = 0; pass < 2 && best == SIZE_MAX; pass++) {
		for (size_t i = 0; i < n; i++) {
			bool over = false;
			for (size_t j = 0; pass == 0 && j < n && !over; j++)
				over = j != i && custos_retention__overrides(s, rules[j], rules[i]);
			if (over)
				continue;
			const custos_rule_t *r = &s->rules[rules[i]];
			int64_t from = r->from == CUSTOS_FROM_CAPTURED ? captured_at : created_at;
			int64_t exp = custos_retain_expiry(from, r->retain);
			if (best == SIZE_MAX || exp > best_exp || (exp == best_exp && rules[i] < best)) {
				best = rules[i];
				best_exp = exp;
			}
		}
	}
	if (out_rule)
		*out_rule = best;
	if (out_expiry)
		*out_expiry = best_exp;
	return CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * Rules that can never decide
 */

/* Whether every record a matches, b matches too (as far as text tells). */
static bool covers_all(const custos_rule_t *b, const custos_rule_t *a)
{
	if (b->match_all)
		return true;
	if (a->match_all)
		return false;
	/* the same query: the same words, however many spaces between them */
	const char *x = a->match, *y = b->match;
	while (*x == ' ' || *x == '\t')
		x++;
	while (*y == ' ' || *y == '\t')
		y++;
	for (;;) {
		bool sx = *x == ' ' || *x == '\t', sy = *y == ' ' || *y == '\t';
		if (sx || sy) {
			while (*x == ' ' || *x == '\t')
				x++;
			while (*y == ' ' || *y == '\t')
				y++;
			/* a space on one side only, or one side ending */
			if (sx != sy && *x && *y)
				return false;
			continue;
		}
		if (!*x || !*y)
			return !*x && !*y;
		if (*x++ != *y++)
			return false;
	}
}

/* Whether rule a keeps every record at least as long as rule b (strictly
 * longer when strict), whatever its start: tried on every day of four years
 * (the leap cycle) and around the end of a century. */
static bool always_longer(const custos_rule_t *a, const custos_rule_t *b, bool strict)
{
	if (a->from != b->from && a->retain.unit != CUSTOS_RETAIN_FOREVER)
		return false;
	if (a->retain.unit == CUSTOS_RETAIN_FOREVER)
		return !strict || b->retain.unit != CUSTOS_RETAIN_FOREVER;
	if (b->retain.unit == CUSTOS_RETAIN_FOREVER)
		return false;
	const int64_t day = 86400000;
	int64_t starts[2] = { custos_time_days_from_civil(2000, 1, 1) * day,
	                      custos_time_days_from_civil(2099, 11, 1) * day };
	int spans[2] = { 1461, 150 };
	for (int k = 0; k < 2; k++)
		for (int d = 0; d < spans[k]; d++) {
			int64_t t = starts[k] + d * day, ea = custos_retain_expiry(t, a->retain),
			        eb = custos_retain_expiry(t, b->retain);
			if (ea < eb || (strict && ea == eb))
				return false;
		}
	return true;
}

int custos_schedule_warnings(const custos_schedule_t *s, custos_buf_t *out)
{
	int err = 0;
	for (size_t b = 0; b < s->n_rules; b++) {
		const custos_rule_t *rb = &s->rules[b];
		for (size_t a = 0; a < s->n_rules; a++) {
			const custos_rule_t *ra = &s->rules[a];
			char ka[16], kb[16];
			if (a == b || !covers_all(ra, rb))
				continue;
			if (custos_retention__overrides(s, a, b)) {
				err |= custos_buf_printf(out, "%sretention.yaml:%d: rule '%s' can never decide "
				                         "a record: rule '%s' (line %d) matches every record "
				                         "it matches and overrides it", out->len ? "\n" : "",
				                         rb->line, rb->name, ra->name, ra->line);
				break;
			}
			/* a rule something overrides may be set aside where it matches */
			bool overridden = false;
			for (size_t o = 0; o < s->n_rules && !overridden; o++)
				overridden = custos_retention__overrides(s, o, a);
			if (overridden || custos_retention__overrides(s, b, a) || !always_longer(ra, rb, a > b))
				continue;
			custos_retain_format(ka, sizeof ka, ra->retain);
			custos_retain_format(kb, sizeof kb, rb->retain);
			err |= custos_buf_printf(out, "%sretention.yaml:%d: rule '%s' can never decide a "
			                         "record: rule '%s' (line %d) matches every record it "
			                         "matches and keeps it %s (%s against %s); if '%s' should "
			                         "decide, give it 'overrides: [%s]'",
			                         out->len ? "\n" : "", rb->line, rb->name, ra->name,
			                         ra->line, always_longer(ra, rb, true) ? "longer"
			                         : "as long, and comes first", ka, kb, rb->name, ra->name);
			break;
		}
	}
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

void custos_schedule_free(custos_schedule_t *s)
{
	if (!s)
		return;
	custos_arena_free(&s->arena);
	free(s);
}
