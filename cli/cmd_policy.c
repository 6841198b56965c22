/* custos policy: the retention schedule and policy documents, versioned in
 * the archive's policy repository (docs/retention.md). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The policy part reads the file: only a regular file, bounded (max). */
static int read_file(const char *path, size_t max, custos_buf_t *out)
{
	custos_err_t err = { 0 };
	if (custos_policy_file_read(path, max, out, &err) < 0)
		return cli_fail("%s", err.msg);
	return CLI_OK;
}

/* Prints a policy failure; multi-line messages (schedule problems, one a
 * line) keep their lines. */
static int policy_fail(const char *what, custos_policy_t *p)
{
	const custos_err_t *e = custos_policy_err(p);
	return cli_fail("%s: %s", what, e->msg[0] ? e->msg : custos_status_str(e->status));
}

static void audit(custos_archive_t *a, const char *action, custos_buf_t *params,
                  const char *result, int status)
{
	if (custos_archive_audit(a, action, params->data ? params->data : "{}", result, status) < 0)
		cli_fail_err(custos_archive_err(a));
}

static const char *kv(custos_buf_t *b, const char *k, const char *v)
{
	if (!b->len)
		custos_buf_addc(b, '{');
	else
		b->data[--b->len] = 0;   /* reopen the object */
	if (b->len > 1)
		custos_buf_addc(b, ',');
	custos_buf_add_json_str(b, k, strlen(k));
	custos_buf_addc(b, ':');
	custos_buf_add_json_text(b, v ? v : "", v ? strlen(v) : 0);
	custos_buf_addc(b, '}');
	return b->data;
}

static int policy_set(cli_t *cli, custos_archive_t *a, custos_policy_t *p, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	static const struct option opts[] = { { "message", required_argument, NULL, 'm' },
	                                      { NULL, 0, NULL, 0 } };
	const char *msg = NULL;
	custos_buf_t text = { 0 }, params = { 0 };
	char commit[CUSTOS_COMMIT_HEX], head[CUSTOS_COMMIT_HEX] = "";
	int c, rc;
	(void)cli;
	while ((c = getopt_long(argc, argv, "m:", opts, NULL)) != -1) {
		if (c != 'm')
			return cli_usage(cmd, NULL);
		msg = optarg;
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "policy set needs one FILE");
	if ((rc = read_file(argv[optind], CUSTOS_SCHEDULE_MAX, &text)) != CLI_OK)
		return rc;
	custos_policy_resolve(p, NULL, head);
	custos_policy_change_t ch = { cli->actor, msg, 0 };
	int st = custos_policy_set(p, text.data ? text.data : "", text.len, &ch, commit);
	kv(&params, "file", argv[optind]);
	if (msg)
		kv(&params, "message", msg);
	if (st == CUSTOS_EFORMAT) {
		/* the problems, one a line, named after the file the user gave */
		const char *m = custos_policy_err(p)->msg;
		fprintf(stderr, "custos: invalid schedule '%s', nothing committed:\n", argv[optind]);
		while (*m) {
			size_t n = strcspn(m, "\n");
			if (!strncmp(m, "retention.yaml:", 15))
				fprintf(stderr, "%s:%.*s\n", argv[optind], (int)(n - 15), m + 15);
			else
				fprintf(stderr, "%.*s\n", (int)n, m);
			m += n + (m[n] == '\n');
		}
		rc = CLI_FAIL;
		audit(a, "policy-set", &params, "{\"committed\":false}", st);
	} else if (st < 0) {
		rc = policy_fail("cannot set the schedule", p);
		audit(a, "policy-set", &params, "{\"committed\":false}", st);
	} else {
		char r[128];
		bool same = !strcmp(head, commit);
		snprintf(r, sizeof r, "{\"commit\":\"%s\",\"changed\":%s}", commit,
		         same ? "false" : "true");
		if (same)
			printf("schedule unchanged (commit %s)\n", commit);
		else
			printf("schedule committed: %s\n", commit);
		audit(a, "policy-set", &params, r, CUSTOS_OK);
		rc = CLI_OK;
	}
	custos_buf_free(&text);
	custos_buf_free(&params);
	return rc;
}

static void print_schedule_json(const custos_schedule_t *s)
{
	char t[40];
	custos_time_format(t, sizeof t, s->commit_time);
	printf("{\"commit\":\"%s\",\"commit_time\":\"%s\",\"version\":%d,\"rules\":[", s->commit,
	       t, s->version);
	for (size_t i = 0; i < s->n_rules; i++) {
		const custos_rule_t *r = &s->rules[i];
		char ret[16];
		custos_retain_format(ret, sizeof ret, r->retain);
		printf("%s{\"name\":", i ? "," : "");
		cli_json_str(stdout, r->name);
		printf(",\"match\":");
		cli_json_str(stdout, r->match);
		printf(",\"retain\":\"%s\",\"from\":\"%s\",\"line\":%d", ret,
		       r->from == CUSTOS_FROM_CAPTURED ? "captured_at" : "created_at", r->line);
		if (r->description) {
			printf(",\"description\":");
			cli_json_str(stdout, r->description);
		}
		printf("}");
	}
	printf("],\"text\":");
	cli_json_str(stdout, s->text);
	printf("}\n");
}

static int policy_show(custos_archive_t *a, custos_policy_t *p, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	static const struct option opts[] = { { "at", required_argument, NULL, 'a' },
	                                      { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	const char *spec = NULL;
	bool json = false;
	custos_schedule_t *s = NULL;
	custos_buf_t params = { 0 };
	int c, rc = CLI_OK;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'a')
			spec = optarg;
		else if (c == 'j')
			json = true;
		else
			return cli_usage(cmd, NULL);
	}
	if (optind != argc)
		return cli_usage(cmd, "policy show takes no arguments besides --at");
	int st = custos_policy_schedule_at(p, spec, &s);
	kv(&params, "at", spec ? spec : "now");
	if (st < 0) {
		rc = st == CUSTOS_ENOTFOUND
		   ? cli_fail("no retention schedule %s%s", spec ? "in force at " : "has been set",
		              spec ? spec : "")
		   : policy_fail("cannot read the schedule", p);
	} else if (json) {
		print_schedule_json(s);
	} else {
		char t[40];
		custos_time_format(t, sizeof t, s->commit_time);
		printf("# commit %s (%s)\n", s->commit, t);
		fwrite(s->text, 1, s->text_len, stdout);
		if (s->text_len && s->text[s->text_len - 1] != '\n')
			putchar('\n');
	}
	audit(a, "policy-show", &params, st < 0 ? NULL : "{\"found\":true}", st);
	custos_schedule_free(s);
	custos_buf_free(&params);
	return rc;
}

static int policy_log(custos_archive_t *a, custos_policy_t *p, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	custos_policy_log_t l = { 0 };
	custos_buf_t params = { 0 };
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage(cmd, NULL);
		json = true;
	}
	if (optind != argc)
		return cli_usage(cmd, "policy log takes no arguments");
	int st = custos_policy_log(p, &l);
	if (st < 0)
		return policy_fail("cannot read the policy history", p);
	if (json)
		printf("[");
	for (size_t i = 0; i < l.n; i++) {
		const custos_policy_commit_t *e = &l.v[i];
		char t[40];
		custos_time_format(t, sizeof t, e->time);
		if (json) {
			printf("%s{\"commit\":\"%s\",\"time\":\"%s\",\"author\":", i ? "," : "", e->id, t);
			cli_json_str(stdout, e->author);
			printf(",\"message\":");
			cli_json_str(stdout, e->message);
			printf(",\"changes\":[");
			for (size_t j = 0; j < e->n_changes; j++) {
				printf("%s", j ? "," : "");
				cli_json_str(stdout, e->changes[j]);
			}
			printf("]}");
		} else {
			const char *nl = e->message ? strchr(e->message, '\n') : NULL;
			int len = nl ? (int)(nl - e->message) : e->message ? (int)strlen(e->message) : 0;
			/* authors and messages of commits made outside custos are anyone's text */
			custos_buf_t b = { 0 };
			custos_buf_printf(&b, "%s  %s  %-20s  %.*s", e->id, t, e->author ? e->author : "",
			                  len, e->message ? e->message : "");
			cli_print_text(stdout, b.data ? b.data : "", false);
			putchar('\n');
			custos_buf_free(&b);
			for (size_t j = 0; j < e->n_changes; j++) {
				fputs("    ", stdout);
				cli_print_text(stdout, e->changes[j], false);
				putchar('\n');
			}
		}
	}
	if (json)
		printf("]\n");
	char r[64];
	snprintf(r, sizeof r, "{\"commits\":%zu}", l.n);
	audit(a, "policy-log", &params, r, CUSTOS_OK);
	custos_policy_log_free(&l);
	custos_buf_free(&params);
	return CLI_OK;
}

static int policy_diff(custos_archive_t *a, custos_policy_t *p, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	custos_buf_t out = { 0 }, params = { 0 };
	if (argc != 3)
		return cli_usage(cmd, "policy diff needs two revisions or dates: A B");
	int st = custos_policy_diff(p, argv[1], argv[2], &out);
	kv(&params, "a", argv[1]);
	kv(&params, "b", argv[2]);
	audit(a, "policy-diff", &params, NULL, st);
	custos_buf_free(&params);
	if (st < 0) {
		custos_buf_free(&out);
		return policy_fail("cannot compare the policy versions", p);
	}
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	custos_buf_free(&out);
	return CLI_OK;
}

static int policy_doc(cli_t *cli, custos_archive_t *a, custos_policy_t *p, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	static const struct option opts[] = { { "message", required_argument, NULL, 'm' },
	                                      { "name", required_argument, NULL, 'n' },
	                                      { "at", required_argument, NULL, 'a' },
	                                      { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	const char *msg = NULL, *name = NULL, *at = NULL;
	bool json = false;
	custos_buf_t params = { 0 }, data = { 0 };
	int c, rc = CLI_OK, st;
	if (argc < 2)
		return cli_usage(cmd, "policy doc needs add, list or show");
	const char *sub = argv[1];
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "m:", opts, NULL)) != -1) {
		switch (c) {
		case 'm': msg = optarg; break;
		case 'n': name = optarg; break;
		case 'a': at = optarg; break;
		case 'j': json = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (!strcmp(sub, "add")) {
		if (optind != argc - 1)
			return cli_usage(cmd, "policy doc add needs one FILE");
		const char *file = argv[optind];
		if (!name) {
			name = strrchr(file, '/');
			name = name ? name + 1 : file;
		}
		if ((rc = read_file(file, CUSTOS_POLICY_DOC_MAX, &data)) != CLI_OK)
			return rc;
		char commit[CUSTOS_COMMIT_HEX];
		custos_policy_change_t ch = { cli->actor, msg, 0 };
		st = custos_policy_doc_add(p, name, data.data ? data.data : "", data.len, &ch, commit);
		kv(&params, "name", name);
		kv(&params, "file", file);
		if (st < 0) {
			rc = policy_fail("cannot add the document", p);
			audit(a, "policy-doc-add", &params, NULL, st);
		} else {
			char r[96];
			snprintf(r, sizeof r, "{\"commit\":\"%s\",\"bytes\":%zu}", commit, data.len);
			printf("document '%s' committed: %s\n", name, commit);
			audit(a, "policy-doc-add", &params, r, CUSTOS_OK);
		}
	} else if (!strcmp(sub, "list")) {
		custos_policy_docs_t d = { 0 };
		if (optind != argc)
			return cli_usage(cmd, "policy doc list takes no arguments");
		if ((st = custos_policy_doc_list(p, &d)) < 0)
			return policy_fail("cannot list the documents", p);
		if (json)
			printf("[");
		for (size_t i = 0; i < d.n; i++) {
			char t[40];
			custos_time_format(t, sizeof t, d.v[i].time);
			if (json) {
				printf("%s{\"name\":", i ? "," : "");
				cli_json_str(stdout, d.v[i].name);
				printf(",\"size\":%llu,\"commit\":\"%s\",\"time\":\"%s\"}",
				       (unsigned long long)d.v[i].size, d.v[i].commit, t);
			} else {
				printf("%-40s %10llu  %s  %.12s\n", d.v[i].name,
				       (unsigned long long)d.v[i].size, t, d.v[i].commit);
			}
		}
		if (json)
			printf("]\n");
		char r[64];
		snprintf(r, sizeof r, "{\"documents\":%zu}", d.n);
		audit(a, "policy-doc-list", &params, r, CUSTOS_OK);
		custos_policy_docs_free(&d);
	} else if (!strcmp(sub, "show")) {
		if (optind != argc - 1)
			return cli_usage(cmd, "policy doc show needs one NAME");
		name = argv[optind];
		st = custos_policy_doc_get(p, name, at, &data);
		kv(&params, "name", name);
		if (at)
			kv(&params, "at", at);
		audit(a, "policy-doc-show", &params, NULL, st);
		if (st == CUSTOS_ENOTFOUND)
			rc = cli_fail("no policy document '%s'%s%s", name, at ? " at " : "", at ? at : "");
		else if (st < 0)
			rc = policy_fail("cannot read the document", p);
		else if (data.len)
			fwrite(data.data, 1, data.len, stdout);
	} else {
		return cli_usage(cmd, "unknown policy doc command '%s'", sub);
	}
	custos_buf_free(&params);
	custos_buf_free(&data);
	return rc;
}

int cmd_policy(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	custos_archive_t *a = NULL;
	custos_policy_t *p = NULL;
	int rc;
	if (argc < 2)
		return cli_usage(cmd, "policy needs a subcommand");
	const char *sub = argv[1];
	if (strcmp(sub, "set") && strcmp(sub, "show") && strcmp(sub, "log") &&
	    strcmp(sub, "diff") && strcmp(sub, "doc"))
		return cli_usage(cmd, "unknown policy command '%s'", sub);
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_policy_open(a, &p) < 0) {
		rc = cli_fail("cannot open the policy repository: %s", custos_archive_err(a)->msg);
		goto done;
	}
	if (!strcmp(sub, "doc"))
		rc = policy_doc(cli, a, p, argc - 1, argv + 1);
	else if (!strcmp(sub, "set"))
		rc = policy_set(cli, a, p, argc - 1, argv + 1);
	else if (!strcmp(sub, "show"))
		rc = policy_show(a, p, argc - 1, argv + 1);
	else if (!strcmp(sub, "log"))
		rc = policy_log(a, p, argc - 1, argv + 1);
	else
		rc = policy_diff(a, p, argc - 1, argv + 1);
done:
	custos_policy_free(p);
	custos_archive_free(a);
	return rc;
}
