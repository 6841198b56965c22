/* custos policy: the retention schedule and policy documents, versioned in
 * the archive's policy repository (docs/retention.md). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const cli_option_t set_opts[] = {
	{ "message", 'm', "MSG", "The commit message (else one naming the change).",
	  CLI_ARG_TEXT, NULL, true },
	{ "json", 'j', NULL, "Print the commit, whether it changed anything, and the warnings "
	  "as a JSON object.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t show_opts[] = {
	{ "at", 'a', "DATE|COMMIT", "The schedule in force at that date (a bare date is "
	  "midnight UTC) or commit, instead of now.", CLI_ARG_TEXT, NULL, false },
	{ "json", 'j', NULL, "Print the schedule as a JSON object: commit, rules, text.", 0,
	  NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t json_opt[] = {
	{ "json", 'j', NULL, "Print a JSON object.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t doc_add_opts[] = {
	{ "name", 'n', "NAME", "Store the document under NAME instead of the file's name.",
	  CLI_ARG_TEXT, NULL, false },
	{ "message", 'm', "MSG", "The commit message.", CLI_ARG_TEXT, NULL, true },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t doc_show_opts[] = {
	{ "at", 'a', "DATE", "The document as it was at DATE.", CLI_ARG_TEXT, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_policy_subs[] = {
	{ "set", "FILE [-m MSG] [--json]", "Checks FILE as a retention schedule "
	  "(retention.yaml) and commits it; nothing is committed when it has a problem, and "
	  "every problem is listed with its line. Warns of every rule that can never decide a "
	  "record, naming the rule that shadows it.", set_opts, CLI_ARG_FILE },
	{ "show", "[--at DATE|COMMIT] [--json]", "Prints the schedule in force, with the commit "
	  "that set it.", show_opts, CLI_ARG_TEXT },
	{ "log", "[--json]", "The history of the policy repository, newest first, with the "
	  "files each commit changed.", json_opt, CLI_ARG_TEXT },
	{ "diff", "A B", "The changes between two revisions or dates, as a unified diff.",
	  NULL, CLI_ARG_TEXT },
	{ "doc add", "FILE [--name NAME] [-m MSG]", "Adds (or replaces) a policy document: any "
	  "regular file up to 64 MiB.", doc_add_opts, CLI_ARG_FILE },
	{ "doc list", "[--json]", "Lists the policy documents with their size and last commit.",
	  json_opt, CLI_ARG_TEXT },
	{ "doc show", "NAME [--at DATE]", "Prints a policy document's bytes.", doc_show_opts,
	  CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

static int policy_set(cli_t *cli, custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	const char *msg = NULL;
	bool json = cli->json;
	custos_policy_result_t res;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, "set", argc, argv)) != -1) {
		if (c == 'm')
			msg = optarg;
		else if (c == 'j')
			json = true;
		else
			return cli_usage(cmd, NULL);
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "policy set needs one FILE");
	int st = custos_archive_policy_set_file(a, argv[optind], msg, &res);
	if (st == CUSTOS_EFORMAT && cli->json) {
		rc = cli_fail_err(custos_session_err(a));
	} else if (st == CUSTOS_EFORMAT) {
		/* the problems, one a line, named after the file the user gave */
		const char *m = custos_session_err(a)->msg;
		cli_printf(stderr, "custos: invalid schedule '%s', nothing committed:\n", argv[optind]);
		while (*m) {
			size_t n = strcspn(m, "\n");
			if (!strncmp(m, "retention.yaml:", 15))
				cli_printf(stderr, "%s:%.*s\n", argv[optind], (int)(n - 15), m + 15);
			else
				cli_printf(stderr, "%.*s\n", (int)n, m);
			m += n + (m[n] == '\n');
		}
		rc = CLI_FAIL;
	} else if (st < 0) {
		rc = cli_fail_err(custos_session_err(a));
	} else if (json) {
		printf("{\"commit\": \"%s\", \"changed\": %s, \"warnings\": [", res.commit,
		       res.changed ? "true" : "false");
		for (const char *w = res.warnings, *nl; w && *w; w = nl ? nl + 1 : "") {
			nl = strchr(w, '\n');
			char *one = strndup(w, nl ? (size_t)(nl - w) : strlen(w));
			printf("%s", w == res.warnings ? "" : ", ");
			cli_json_str(stdout, one ? one : "");
			free(one);
		}
		printf("]}\n");
		free(res.warnings);
		rc = CLI_OK;
	} else {
		if (!res.changed)
			printf("schedule unchanged (commit %s)\n", res.commit);
		else
			printf("schedule committed: %s\n", res.commit);
		/* one line each: "retention.yaml:LINE: rule ..." named after the file given */
		for (const char *w = res.warnings, *nl; w && *w; w = nl ? nl + 1 : "") {
			nl = strchr(w, '\n');
			int n = nl ? (int)(nl - w) : (int)strlen(w);
			if (!strncmp(w, "retention.yaml:", 15))
				cli_printf(stderr, "custos: warning: %s:%.*s\n", argv[optind], n - 15, w + 15);
			else
				cli_printf(stderr, "custos: warning: %.*s\n", n, w);
		}
		free(res.warnings);
		rc = CLI_OK;
	}
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

static int policy_show(cli_t *cli, custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	const char *spec = NULL;
	bool json = cli->json;
	custos_schedule_t *s = NULL;
	int c, rc = CLI_OK;
	while ((c = cli_getopt(cli, cmd, "show", argc, argv)) != -1) {
		if (c == 'a')
			spec = optarg;
		else if (c == 'j')
			json = true;
		else
			return cli_usage(cmd, NULL);
	}
	if (optind != argc)
		return cli_usage(cmd, "policy show takes no arguments besides --at");
	int st = custos_archive_policy_show(a, spec, &s);
	if (st < 0) {
		rc = cli_fail_err(custos_session_err(a));
	} else if (json) {
		print_schedule_json(s);
	} else {
		char t[40];
		custos_time_format(t, sizeof t, s->commit_time);
		printf("# commit %s (%s)\n", s->commit, t);
		/* the file as committed, its lines kept; a control character that
		 * a commit made outside custos put there is shown escaped */
		custos_buf_t b = { 0 };
		if (custos_buf_add_printable_lines(&b, s->text, s->text_len, NULL) == CUSTOS_OK &&
		    b.data)
			fwrite(b.data, 1, b.len, stdout);
		custos_buf_free(&b);
		if (s->text_len && s->text[s->text_len - 1] != '\n')
			putchar('\n');
	}
	custos_schedule_free(s);
	return rc;
}

static int policy_log(cli_t *cli, custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	custos_policy_log_t l = { 0 };
	bool json = cli->json;
	int c;
	while ((c = cli_getopt(cli, cmd, "log", argc, argv)) != -1) {
		if (c != 'j')
			return cli_usage(cmd, NULL);
		json = true;
	}
	if (optind != argc)
		return cli_usage(cmd, "policy log takes no arguments");
	if (custos_archive_policy_log(a, &l) < 0)
		return cli_fail_err(custos_session_err(a));
	if (json)
		printf("{\"commits\":[");
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
		printf("]}\n");
	custos_policy_log_free(&l);
	return CLI_OK;
}

static int policy_diff(cli_t *cli, custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	custos_buf_t out = { 0 };
	int c;
	while ((c = cli_getopt(cli, cmd, "diff", argc, argv)) != -1)
		return cli_usage(cmd, NULL);
	if (optind + 2 != argc)
		return cli_usage(cmd, "policy diff needs two revisions or dates: A B");
	if (custos_archive_policy_diff(a, argv[optind], argv[optind + 1], &out) < 0) {
		custos_buf_free(&out);
		return cli_fail_err(custos_session_err(a));
	}
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	custos_buf_free(&out);
	return CLI_OK;
}

static int policy_doc(cli_t *cli, custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	const char *msg = NULL, *name = NULL, *at = NULL;
	bool json = cli->json;
	custos_buf_t data = { 0 };
	char which[16];
	int c, rc = CLI_OK, st;
	if (argc < 2)
		return cli_usage(cmd, "policy doc needs add, list or show");
	const char *sub = argv[1];
	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "show"))
		return cli_usage(cmd, "unknown policy doc command '%s'", sub);
	snprintf(which, sizeof which, "doc %s", sub);
	argc--;
	argv++;
	while ((c = cli_getopt(cli, cmd, which, argc, argv)) != -1) {
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
		char commit[CUSTOS_COMMIT_HEX];
		if (custos_archive_policy_doc_add(a, file, name, msg, commit) < 0) {
			rc = cli_fail_err(custos_session_err(a));
		} else {
			if (!name) {
				name = strrchr(file, '/');
				name = name ? name + 1 : file;
			}
			cli_printf(stdout, "document '%s' committed: %s\n", name, commit);
		}
	} else if (!strcmp(sub, "list")) {
		custos_policy_docs_t d = { 0 };
		if (optind != argc)
			return cli_usage(cmd, "policy doc list takes no arguments");
		if ((st = custos_archive_policy_doc_list(a, &d)) < 0)
			return cli_fail_err(custos_session_err(a));
		if (json)
			printf("{\"documents\":[");
		for (size_t i = 0; i < d.n; i++) {
			char t[40];
			custos_time_format(t, sizeof t, d.v[i].time);
			if (json) {
				printf("%s{\"name\":", i ? "," : "");
				cli_json_str(stdout, d.v[i].name);
				printf(",\"size\":%llu,\"commit\":\"%s\",\"time\":\"%s\"}",
				       (unsigned long long)d.v[i].size, d.v[i].commit, t);
			} else {
				cli_printf(stdout, "%-40s %10llu  %s  %.12s\n", d.v[i].name,
				           (unsigned long long)d.v[i].size, t, d.v[i].commit);
			}
		}
		if (json)
			printf("]}\n");
		custos_policy_docs_free(&d);
	} else if (!strcmp(sub, "show")) {
		if (optind != argc - 1)
			return cli_usage(cmd, "policy doc show needs one NAME");
		name = argv[optind];
		st = custos_archive_policy_doc_show(a, name, at, &data);
		if (st < 0)
			rc = cli_fail_err(custos_session_err(a));
		else if (data.len)
			fwrite(data.data, 1, data.len, stdout);
	} else {
		return cli_usage(cmd, "unknown policy doc command '%s'", sub);
	}
	custos_buf_free(&data);
	return rc;
}

int cmd_policy(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	custos_session_t *a = NULL;
	int rc;
	if (argc < 2)
		return cli_usage(cmd, "policy needs a subcommand");
	const char *sub = argv[1];
	if (strcmp(sub, "set") && strcmp(sub, "show") && strcmp(sub, "log") &&
	    strcmp(sub, "diff") && strcmp(sub, "doc"))
		return cli_usage(cmd, "unknown policy command '%s'", sub);
	/* a change commits (and anchors the commit in the store): the writer */
	bool writes = !strcmp(sub, "set") || (!strcmp(sub, "doc") && argc > 2 &&
	                                      !strcmp(argv[2], "add"));
	if ((rc = cli_open(cli, writes ? CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT : CUSTOS_OPEN_READ,
	                   &a)) != CLI_OK)
		return rc;
	if (!strcmp(sub, "doc"))
		rc = policy_doc(cli, a, argc - 1, argv + 1);
	else if (!strcmp(sub, "set"))
		rc = policy_set(cli, a, argc - 1, argv + 1);
	else if (!strcmp(sub, "show"))
		rc = policy_show(cli, a, argc - 1, argv + 1);
	else if (!strcmp(sub, "log"))
		rc = policy_log(cli, a, argc - 1, argv + 1);
	else
		rc = policy_diff(cli, a, argc - 1, argv + 1);
	cli_close(cli);
	return rc;
}
