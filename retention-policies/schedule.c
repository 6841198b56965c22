/* The retention schedule: retention.yaml parsed with libyaml and validated
 * with line numbers, retention durations and the calendar arithmetic of
 * expiry. No git here (policy_repo.c stores the text). */
#include "custos_retention.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SCHEDULE_FILE "retention.yaml"

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

/* Whether rule a overrides rule b. */
static bool overrides(const custos_schedule_t *s, size_t a, size_t b)
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
				over = j != i && overrides(s, rules[j], rules[i]);
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
 * Parsing
 */
typedef struct {
	yaml_document_t *doc;
	custos_buf_t errs;
	int n_errs;
	int oom;
} pctx_t;

__attribute__((format(printf, 3, 4)))
static void problem(pctx_t *c, const yaml_node_t *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	int line = at ? (int)at->start_mark.line + 1 : 1;
	int col = at ? (int)at->start_mark.column + 1 : 1;
	if (custos_buf_printf(&c->errs, "%s%s:%d:%d: %s", c->n_errs ? "\n" : "",
	                      SCHEDULE_FILE, line, col, msg) < 0)
		c->oom = 1;
	c->n_errs++;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar value, or a problem naming the field. */
static const char *want_text(pctx_t *c, const yaml_node_t *v, const char *field)
{
	const char *s = scalar(v);
	if (!s) {
		problem(c, v, "'%s' must be a text value", field);
		return NULL;
	}
	return s;
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return 0;
	return 1;
}

static int parse_rule(pctx_t *c, custos_schedule_t *s, const yaml_node_t *item,
                      custos_rule_t *r, custos_query_check_fn check, void *check_ctx,
                      const yaml_node_t **over_n)
{
	const yaml_node_t *name_n = NULL, *match_n = NULL, *retain_n = NULL;
	memset(r, 0, sizeof *r);
	*over_n = NULL;
	r->line = (int)item->start_mark.line + 1;
	if (item->type != YAML_MAPPING_NODE) {
		problem(c, item, "a rule must be a mapping with name, match and retain");
		return 0;
	}
	int before = c->n_errs;
	for (yaml_node_pair_t *pr = item->data.mapping.pairs.start;
	     pr < item->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *key = scalar(k);
		/* duplicate keys: YAML forbids them, libyaml does not check */
		for (yaml_node_pair_t *q = item->data.mapping.pairs.start; q < pr; q++) {
			const char *k2 = scalar(yaml_document_get_node(c->doc, q->key));
			if (key && k2 && strcmp(key, k2) == 0) {
				problem(c, k, "field '%s' given twice in one rule", key);
				key = NULL;
				break;
			}
		}
		if (!key)
			continue;
		if (strcmp(key, "name") == 0) {
			const char *t = want_text(c, v, "name");
			if (t && is_blank(t))
				problem(c, v, "rule name is empty");
			else if (t) {
				name_n = v;
				if (!(r->name = custos_arena_strdup(&s->arena, t)))
					c->oom = 1;
			}
		} else if (strcmp(key, "match") == 0) {
			const char *t = want_text(c, v, "match");
			if (t && is_blank(t))
				problem(c, v, "match is empty (use \"*\" for every record)");
			else if (t) {
				match_n = v;
				if (!(r->match = custos_arena_strdup(&s->arena, t))) {
					c->oom = 1;
					match_n = NULL;
				}
			}
		} else if (strcmp(key, "retain") == 0) {
			const char *t = want_text(c, v, "retain");
			if (t && custos_retain_parse(&r->retain, t) < 0)
				problem(c, v, "unparseable duration '%s': want Nd, Nm, Ny (N up to "
				        "3650000d, 120000m, 10000y) or forever", t);
			else if (t)
				retain_n = v;
		} else if (strcmp(key, "description") == 0) {
			const char *t = want_text(c, v, "description");
			if (t && !(r->description = custos_arena_strdup(&s->arena, t)))
				c->oom = 1;
		} else if (strcmp(key, "overrides") == 0) {
			/* a name or a list of names, resolved once every rule is read */
			if (scalar(v) || (v->type == YAML_SEQUENCE_NODE &&
			                  v->data.sequence.items.top > v->data.sequence.items.start))
				*over_n = v;
			else
				problem(c, v, "'overrides' must be a rule name or a list of rule names");
		} else if (strcmp(key, "from") == 0) {
			const char *t = want_text(c, v, "from");
			if (t && strcmp(t, "created_at") == 0)
				r->from = CUSTOS_FROM_CREATED;
			else if (t && strcmp(t, "captured_at") == 0)
				r->from = CUSTOS_FROM_CAPTURED;
			else if (t)
				problem(c, v, "unknown 'from' value '%s': want created_at or captured_at", t);
		} else {
			problem(c, k, "unknown field '%s' in a rule (known: name, match, retain, "
			        "from, overrides, description)", key);
		}
	}
	if (!name_n && c->n_errs == before)
		problem(c, item, "rule has no name");
	if (!match_n && c->n_errs == before)
		problem(c, item, "rule%s%s has no match", r->name ? " " : "", r->name ? r->name : "");
	if (!retain_n && c->n_errs == before)
		problem(c, item, "rule%s%s has no retain", r->name ? " " : "", r->name ? r->name : "");
	if (match_n) {
		const char *q = r->match;
		while (*q == ' ' || *q == '\t')
			q++;
		size_t ql = strlen(q);
		while (ql && (q[ql - 1] == ' ' || q[ql - 1] == '\t'))
			ql--;
		r->match_all = ql == 1 && q[0] == '*';
		if (!r->match_all && check) {
			char msg[400] = "";
			if (check(check_ctx, r->match, msg, sizeof msg) != 0)
				problem(c, match_n, "bad query '%s': %s", r->match,
				        msg[0] ? msg : "refused by the query parser");
		}
	}
	return name_n && match_n && retain_n;
}

/* Turns the names under each rule's `overrides` into indices: each must
 * name another rule, and no rule may override itself through others. */
static void resolve_overrides(pctx_t *c, custos_schedule_t *s, const yaml_node_t **over)
{
	for (size_t i = 0; i < s->n_rules; i++) {
		const yaml_node_t *v = over[i];
		custos_rule_t *r = &s->rules[i];
		if (!v)
			continue;
		size_t n = scalar(v) ? 1 : (size_t)(v->data.sequence.items.top -
		                                    v->data.sequence.items.start);
		if (!(r->overrides = custos_arena_alloc(&s->arena, n * sizeof *r->overrides))) {
			c->oom = 1;
			return;
		}
		for (size_t k = 0; k < n; k++) {
			const yaml_node_t *e = scalar(v) ? v
			    : yaml_document_get_node(c->doc, v->data.sequence.items.start[k]);
			const char *name = scalar(e);
			size_t j = 0;
			if (!name) {
				problem(c, e, "'overrides' must list rule names");
				continue;
			}
			while (j < s->n_rules && strcmp(s->rules[j].name, name))
				j++;
			if (j == s->n_rules)
				problem(c, e, "rule %s overrides '%s', which is not a rule of this schedule",
				        r->name, name);
			else if (j == i)
				problem(c, e, "rule %s overrides itself", r->name);
			else if (!overrides(s, i, j))
				r->overrides[r->n_overrides++] = j;
		}
	}
	/* a cycle would leave no rule to decide: depth first from each rule */
	for (size_t i = 0; i < s->n_rules; i++) {
		size_t stack[64], depth = 0;
		bool seen_cycle = false;
		stack[depth++] = i;
		for (size_t steps = 0; depth && steps < 100000 && !seen_cycle; steps++) {
			size_t at = stack[--depth];
			for (size_t k = 0; k < s->rules[at].n_overrides; k++) {
				size_t to = s->rules[at].overrides[k];
				if (to == i) {
					seen_cycle = true;
					break;
				}
				if (depth < 64)
					stack[depth++] = to;
			}
		}
		if (seen_cycle) {
			problem(c, over[i], "rule %s overrides, through the rules it overrides, itself: "
			        "with every rule of the cycle matching a record, none would decide",
			        s->rules[i].name);
			return;
		}
	}
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
			if (overrides(s, a, b)) {
				err |= custos_buf_printf(out, "%sretention.yaml:%d: rule '%s' can never decide "
				                         "a record: rule '%s' (line %d) matches every record "
				                         "it matches and overrides it", out->len ? "\n" : "",
				                         rb->line, rb->name, ra->name, ra->line);
				break;
			}
			/* a rule something overrides may be set aside where it matches */
			bool overridden = false;
			for (size_t o = 0; o < s->n_rules && !overridden; o++)
				overridden = overrides(s, o, a);
			if (overridden || overrides(s, b, a) || !always_longer(ra, rb, a > b))
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

static void parse_root(pctx_t *c, custos_schedule_t *s, custos_query_check_fn check,
                       void *check_ctx)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc);
	const yaml_node_t *rules_n = NULL, *rules_key = NULL;
	if (!root) {
		problem(c, NULL, "empty schedule: want a mapping with 'rules:'");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		problem(c, root, "the schedule must be a mapping with 'rules:'");
		return;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *key = scalar(k);
		for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < pr; q++) {
			const char *k2 = scalar(yaml_document_get_node(c->doc, q->key));
			if (key && k2 && strcmp(key, k2) == 0) {
				problem(c, k, "field '%s' given twice", key);
				key = NULL;
				break;
			}
		}
		if (!key) {
			if (!scalar(k))
				problem(c, k, "a field name must be text");
			continue;
		}
		if (strcmp(key, "rules") == 0) {
			rules_key = k;
			if (v->type != YAML_SEQUENCE_NODE)
				problem(c, v, "'rules' must be a list of rules");
			else
				rules_n = v;
		} else if (strcmp(key, "version") == 0) {
			const char *t = scalar(v);
			if (!t || strcmp(t, "1") != 0)
				problem(c, v, "unsupported schedule version '%s' (this custos reads 1)",
				        t ? t : "?");
			else
				s->version = 1;
		} else if (strcmp(key, "description") == 0) {
			const char *t = want_text(c, v, "description");
			if (t && !(s->description = custos_arena_strdup(&s->arena, t)))
				c->oom = 1;
		} else {
			problem(c, k, "unknown field '%s' (known: version, description, rules)", key);
		}
	}
	if (!rules_n) {
		if (!rules_key)
			problem(c, root, "no 'rules:' list");
		return;
	}
	size_t n = (size_t)(rules_n->data.sequence.items.top - rules_n->data.sequence.items.start);
	if (n == 0) {
		problem(c, rules_n, "'rules' is empty: a schedule needs a rule with match: \"*\"");
		return;
	}
	s->rules = custos_arena_alloc(&s->arena, n * sizeof *s->rules);
	if (!s->rules) {
		c->oom = 1;
		return;
	}
	const yaml_node_t **over = custos_arena_alloc(&s->arena, n * sizeof *over);
	if (!over) {
		c->oom = 1;
		return;
	}
	int have_all = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = yaml_document_get_node(c->doc, rules_n->data.sequence.items.start[i]);
		custos_rule_t *r = &s->rules[s->n_rules];
		int ok = parse_rule(c, s, item, r, check, check_ctx, &over[s->n_rules]);
		if (r->name) {
			for (size_t j = 0; j < s->n_rules; j++)
				if (strcmp(s->rules[j].name, r->name) == 0) {
					problem(c, item, "duplicate rule name '%s' (first at line %d)",
					        r->name, s->rules[j].line);
					ok = 0;
					break;
				}
		}
		if (r->match_all)
			have_all = 1;
		/* a rule kept for the duplicate check even when it failed elsewhere */
		if (ok || r->name)
			s->n_rules++;
	}
	if (!have_all)
		problem(c, rules_key, "no rule matches every record: a schedule needs a rule "
		        "with match: \"*\" (the default retention)");
	resolve_overrides(c, s, over);
}

int custos_schedule_parse(custos_schedule_t **out, const char *text, size_t n,
                          custos_query_check_fn check, void *check_ctx, custos_err_t *err)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	pctx_t c = { 0 };
	custos_schedule_t *s = NULL;
	int err_code = CUSTOS_OK, have_doc = 0;

	*out = NULL;
	/* a schedule is a page of rules; anything this big is a mistake */
	if (n > CUSTOS_SCHEDULE_MAX)
		return custos_err_set(err, CUSTOS_ETOOBIG, "%s: %zu bytes, over the limit of %u",
		                      SCHEDULE_FILE, n, CUSTOS_SCHEDULE_MAX);
	if (!(s = calloc(1, sizeof *s)))
		return custos_err_set(err, CUSTOS_ENOMEM, "cannot parse %s: out of memory", SCHEDULE_FILE);
	s->version = 1;
	s->commit_time = CUSTOS_TIME_NONE;
	if (!(s->text = custos_arena_strndup(&s->arena, text, n))) {
		err_code = custos_err_set(err, CUSTOS_ENOMEM, "cannot parse %s: out of memory", SCHEDULE_FILE);
		goto done;
	}
	s->text_len = n;
	if (memchr(text, '\0', n)) {
		err_code = custos_err_set(err, CUSTOS_EFORMAT, "%s: not a text file (NUL byte at %zu)",
		                          SCHEDULE_FILE, (size_t)((const char *)memchr(text, '\0', n) - text));
		goto done;
	}
	if (!yaml_parser_initialize(&parser)) {
		err_code = custos_err_set(err, CUSTOS_ENOMEM, "cannot parse %s: out of memory", SCHEDULE_FILE);
		goto done;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
	if (!yaml_parser_load(&parser, &doc)) {
		err_code = custos_err_set(err, CUSTOS_EFORMAT, "%s:%d:%d: YAML syntax error: %s%s%s",
		                          SCHEDULE_FILE, (int)parser.problem_mark.line + 1,
		                          (int)parser.problem_mark.column + 1,
		                          parser.problem ? parser.problem : "unreadable",
		                          parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		goto done;
	}
	have_doc = 1;
	c.doc = &doc;
	parse_root(&c, s, check, check_ctx);
	if (yaml_document_get_root_node(&doc)) {
		/* a second document would be silently ignored: refuse it */
		if (!yaml_parser_load(&parser, &extra)) {
			problem(&c, NULL, "YAML syntax error after the schedule: %s",
			        parser.problem ? parser.problem : "unreadable");
		} else {
			yaml_node_t *r2 = yaml_document_get_root_node(&extra);
			if (r2)
				problem(&c, r2, "a second YAML document: the schedule must be one document");
			yaml_document_delete(&extra);
		}
	}
	yaml_parser_delete(&parser);
	if (c.oom)
		err_code = custos_err_set(err, CUSTOS_ENOMEM, "cannot parse %s: out of memory", SCHEDULE_FILE);
	else if (c.n_errs)
		err_code = custos_err_set(err, CUSTOS_EFORMAT, "%s", c.errs.data);
done:
	if (have_doc)
		yaml_document_delete(&doc);
	custos_buf_free(&c.errs);
	if (err_code < 0) {
		custos_schedule_free(s);
		return err_code;
	}
	*out = s;
	return CUSTOS_OK;
}

void custos_schedule_free(custos_schedule_t *s)
{
	if (!s)
		return;
	custos_arena_free(&s->arena);
	free(s);
}
