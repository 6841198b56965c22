/* custos source: polling connectors the server runs (feeds, Mastodon
 * accounts), and the capture-completeness monitor's view of each. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int add(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "feed", required_argument, NULL, 'f' },
		{ "mastodon", required_argument, NULL, 'm' },
		{ "account", required_argument, NULL, 'a' },
		{ "access-token-file", required_argument, NULL, 'T' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "page-limit", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	custos_source_def_t d = CUSTOS_SOURCE_DEF_INIT;
	custos_session_t *s;
	char token[600] = "";
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		unsigned long v;
		switch (c) {
		case 'f': d.kind = CUSTOS_SOURCE_FEED; d.url = optarg; break;
		case 'm': d.kind = CUSTOS_SOURCE_MASTODON; d.url = optarg; break;
		case 'a': d.account = optarg; break;
		case 'T': {
			FILE *f = fopen(optarg, "r");
			if (!f || !fgets(token, sizeof token, f)) {
				if (f)
					fclose(f);
				return cli_fail("cannot read the access token from '%s'", optarg);
			}
			fclose(f);
			token[strcspn(token, "\r\n")] = 0;
			d.access_token = token;
			break;
		}
		case 'i': case 't': case 'p':
			v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || !v || v > 1000000)
				return cli_usage(cmd, "--%s takes a positive number", c == 'i' ? "interval"
				                 : c == 't' ? "timeout" : "page-limit");
			if (c == 'i') d.interval = (unsigned)v;
			else if (c == 't') d.timeout = (unsigned)v;
			else d.page_limit = (unsigned)v;
			break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc - 1 || !d.kind)
		return cli_usage(cmd, "source add needs NAME and --feed URL or --mastodon URL");
	d.name = argv[optind];
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
		return rc;
	if (custos_archive_source_add(s, &d) < 0)
		rc = cli_fail_err(custos_session_err(s));
	else
		cli_printf(stdout, "source '%s' added: a running server polls it every %u seconds\n", d.name,
		           d.interval ? d.interval : 300);
	memset(token, 0, sizeof token);
	cli_close(cli);
	return rc;
}

static void print_time(const char *label, int64_t ms)
{
	char t[40] = "never";
	if (ms != CUSTOS_TIME_NONE)
		custos_time_format(t, sizeof t, ms);
	printf("  %-15s %s\n", label, t);
}

static void json_time(const char *key, int64_t ms)
{
	char t[40];
	printf(", \"%s\": ", key);
	if (ms == CUSTOS_TIME_NONE) {
		printf("null");
		return;
	}
	custos_time_format(t, sizeof t, ms);
	printf("\"%s\"", t);
}

static int list(cli_t *cli, bool json)
{
	custos_session_t *s;
	custos_sources_t l;
	int rc;
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
		return rc;
	if (custos_archive_source_list(s, &l) < 0) {
		rc = cli_fail_err(custos_session_err(s));
		cli_close(cli);
		return rc;
	}
	if (json)
		printf("[");
	for (size_t i = 0; i < l.n; i++) {
		const custos_source_info_t *si = &l.v[i];
		if (json) {
			printf("%s{\"name\": ", i ? ", " : "");
			cli_json_str(stdout, si->name);
			printf(", \"kind\": ");
			cli_json_str(stdout, si->kind);
			printf(", \"url\": ");
			cli_json_str(stdout, si->url);
			printf(", \"status\": \"%s\"", si->status);
			json_time("last_attempt", si->last_attempt);
			json_time("last_success", si->last_success);
			printf(", \"last_error\": ");
			cli_json_str(stdout, si->last_error);
			printf(", \"cursor\": ");
			cli_json_str(stdout, si->cursor);
			printf(", \"polls\": %llu, \"failures\": %llu, \"not_modified\": %llu, "
			       "\"records\": %llu, \"alerts\": [", (unsigned long long)si->polls,
			       (unsigned long long)si->failures, (unsigned long long)si->not_modified,
			       (unsigned long long)si->records);
			for (size_t k = 0; k < si->n_alerts; k++) {
				printf("%s{\"kind\": ", k ? ", " : "");
				cli_json_str(stdout, si->alerts[k].kind);
				printf(", \"detail\": ");
				cli_json_str(stdout, si->alerts[k].detail);
				json_time("since", si->alerts[k].since);
				printf(", \"from\": ");
				cli_json_str(stdout, si->alerts[k].from);
				printf(", \"to\": ");
				cli_json_str(stdout, si->alerts[k].to);
				printf("}");
			}
			printf("]}");
			continue;
		}
		if (i)
			putchar('\n');
		cli_printf(stdout, "%s  %s %s  [%s]\n", si->name, si->kind, si->url, si->status);
		if (si->account)
			cli_printf(stdout, "  %-15s %s\n", "account", si->account);
		printf("  %-15s every %u s, timeout %u s\n", "polling", si->interval, si->timeout);
		print_time("last success", si->last_success);
		print_time("last attempt", si->last_attempt);
		if (si->last_error) {
			printf("  %-15s ", "last error");
			cli_print_text(stdout, si->last_error, false);
			putchar('\n');
		}
		if (si->cursor) {
			printf("  %-15s ", "cursor");
			cli_print_text(stdout, si->cursor, false);
			putchar('\n');
		}
		printf("  %-15s %llu polls, %llu failed, %llu not modified, %llu records\n", "counts",
		       (unsigned long long)si->polls, (unsigned long long)si->failures,
		       (unsigned long long)si->not_modified, (unsigned long long)si->records);
		for (size_t k = 0; k < si->n_alerts; k++) {
			char t[40];
			custos_time_format(t, sizeof t, si->alerts[k].since);
			printf("  ALERT %-9s since %s: ", si->alerts[k].kind, t);
			cli_print_text(stdout, si->alerts[k].detail ? si->alerts[k].detail : "", false);
			putchar('\n');
		}
	}
	if (json)
		printf("]\n");
	else if (!l.n)
		printf("no sources (add one with 'custos source add NAME --feed URL')\n");
	custos_sources_free(&l);
	cli_close(cli);
	return CLI_OK;
}

int cmd_source(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("source");
	custos_session_t *s;
	int rc;
	if (argc < 2)
		return cli_usage(cmd, "source needs add, list or remove");
	const char *sub = argv[1];
	if (!strcmp(sub, "add")) {
		optind = 0;
		return add(cli, cmd, argc - 1, argv + 1);
	}
	if (!strcmp(sub, "list")) {
		bool json = argc == 3 && !strcmp(argv[2], "--json");
		if (argc > 3 || (argc == 3 && !json))
			return cli_usage(cmd, "source list takes only --json");
		return list(cli, json);
	}
	if (!strcmp(sub, "remove")) {
		if (argc != 3)
			return cli_usage(cmd, "source remove needs NAME");
		if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
			return rc;
		if (custos_archive_source_remove(s, argv[2]) < 0)
			rc = cli_fail_err(custos_session_err(s));
		else
			cli_printf(stdout, "source '%s' removed\n", argv[2]);
		cli_close(cli);
		return rc;
	}
	return cli_usage(cmd, "unknown source command '%s'", sub);
}
