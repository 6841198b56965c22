/* retention.yaml parsed with libyaml and validated with line numbers: the
 * schedule's parser, in the policy module (Makefile, "Modules"; the rest of
 * the schedule is schedule.c, in the binary). No git here (policy_repo.c
 * stores the text). */
#include "retention_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define SCHEDULE_FILE "retention.yaml"

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
			else if (!custos_retention__overrides(s, i, j))
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

