/* custos policy: the retention schedule and policy documents, versioned in
 * the archive's policy repository (docs/retention.md). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int policy_set(custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	static const struct option opts[] = { { "message", required_argument, NULL, 'm' },
	                                      { NULL, 0, NULL, 0 } };
	const char *msg = NULL;
	custos_policy_result_t res;
	int c, rc;
	while ((c = getopt_long(argc, argv, "m:", opts, NULL)) != -1) {
		if (c != 'm')
			return cli_usage(cmd, NULL);
		msg = optarg;
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "policy set needs one FILE");
	int st = custos_archive_policy_set_file(a, argv[optind], msg, &res);
	if (st == CUSTOS_EFORMAT) {
		/* the problems, one a line, named after the file the user gave */
		const char *m = custos_session_err(a)->msg;
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
	} else if (st < 0) {
		rc = cli_fail_err(custos_session_err(a));
	} else {
		if (!res.changed)
			printf("schedule unchanged (commit %s)\n", res.commit);
		else
			printf("schedule committed: %s\n", res.commit);
		if (res.warnings)
			fprintf(stderr, "%s", res.warnings);
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

static int policy_show(custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	static const struct option opts[] = { { "at", required_argument, NULL, 'a' },
	                                      { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	const char *spec = NULL;
	bool json = false;
	custos_schedule_t *s = NULL;
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
	int st = custos_archive_policy_show(a, spec, &s);
	if (st < 0) {
		rc = cli_fail_err(custos_session_err(a));
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
	custos_schedule_free(s);
	return rc;
}

static int policy_log(custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	custos_policy_log_t l = { 0 };
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage(cmd, NULL);
		json = true;
	}
	if (optind != argc)
		return cli_usage(cmd, "policy log takes no arguments");
	if (custos_archive_policy_log(a, &l) < 0)
		return cli_fail_err(custos_session_err(a));
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
	custos_policy_log_free(&l);
	return CLI_OK;
}

static int policy_diff(custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	custos_buf_t out = { 0 };
	if (argc != 3)
		return cli_usage(cmd, "policy diff needs two revisions or dates: A B");
	if (custos_archive_policy_diff(a, argv[1], argv[2], &out) < 0) {
		custos_buf_free(&out);
		return cli_fail_err(custos_session_err(a));
	}
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	custos_buf_free(&out);
	return CLI_OK;
}

static int policy_doc(custos_session_t *a, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("policy");
	static const struct option opts[] = { { "message", required_argument, NULL, 'm' },
	                                      { "name", required_argument, NULL, 'n' },
	                                      { "at", required_argument, NULL, 'a' },
	                                      { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	const char *msg = NULL, *name = NULL, *at = NULL;
	bool json = false;
	custos_buf_t data = { 0 };
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
		char commit[CUSTOS_COMMIT_HEX];
		if (custos_archive_policy_doc_add(a, file, name, msg, commit) < 0) {
			rc = cli_fail_err(custos_session_err(a));
		} else {
			if (!name) {
				name = strrchr(file, '/');
				name = name ? name + 1 : file;
			}
			printf("document '%s' committed: %s\n", name, commit);
		}
	} else if (!strcmp(sub, "list")) {
		custos_policy_docs_t d = { 0 };
		if (optind != argc)
			return cli_usage(cmd, "policy doc list takes no arguments");
		if ((st = custos_archive_policy_doc_list(a, &d)) < 0)
			return cli_fail("cannot list the documents: %s", custos_session_err(a)->msg);
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
		rc = policy_doc(a, argc - 1, argv + 1);
	else if (!strcmp(sub, "set"))
		rc = policy_set(a, argc - 1, argv + 1);
	else if (!strcmp(sub, "show"))
		rc = policy_show(a, argc - 1, argv + 1);
	else if (!strcmp(sub, "log"))
		rc = policy_log(a, argc - 1, argv + 1);
	else
		rc = policy_diff(a, argc - 1, argv + 1);
	cli_close(cli);
	return rc;
}
