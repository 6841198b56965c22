/* custos hold: legal holds, written as queries, whose membership only grows
 * while they are active (docs/retention.md). */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static int fail(custos_session_t *a, const char *what)
{
	return cli_fail("%s: %s", what, custos_session_err(a)->msg);
}

static int hold_create(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	static const struct option opts[] = { { "query", required_argument, NULL, 'q' },
	                                      { "reason", required_argument, NULL, 'r' },
	                                      { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	const char *query = NULL, *reason = NULL;
	bool json = false;
	custos_session_t *a = NULL;
	char commit[CUSTOS_COMMIT_HEX];
	uint64_t n = 0;
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q': query = optarg; break;
		case 'r': reason = optarg; break;
		case 'j': json = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc - 1 || !query)
		return cli_usage(cmd, "hold create needs NAME and --query Q");
	const char *name = argv[optind];
	/* the writer lock: a hold never lands in the middle of a disposition run
	 * (which could otherwise dispose of a record the new hold covers) */
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &a)) != CLI_OK)
		return rc;
	if (custos_archive_hold_create(a, name, query, reason, &n, commit) < 0) {
		rc = fail(a, "cannot create the hold");
	} else {
		if (n == 0)
			fprintf(stderr, "custos: warning: the query of hold '%s' matches no record yet; "
			        "records captured later that match it will be held\n", name);
		if (json)
			printf("{\"name\":\"%s\",\"members\":%llu,\"commit\":\"%s\"}\n", name,
			       (unsigned long long)n, commit);
		else
			printf("hold '%s' created over %llu record%s (commit %s)\n", name,
			       (unsigned long long)n, n == 1 ? "" : "s", commit);
	}
	cli_close(cli);
	return rc;
}

static int hold_release(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	static const struct option opts[] = { { "reason", required_argument, NULL, 'r' },
	                                      { NULL, 0, NULL, 0 } };
	const char *reason = NULL;
	custos_session_t *a = NULL;
	char commit[CUSTOS_COMMIT_HEX];
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r')
			return cli_usage(cmd, NULL);
		reason = optarg;
	}
	if (optind != argc - 1 || !reason || !*reason)
		return cli_usage(cmd, "hold release needs NAME and --reason TEXT");
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &a)) != CLI_OK)
		return rc;
	if (custos_archive_hold_release(a, argv[optind], reason, commit) < 0)
		rc = fail(a, "cannot release the hold");
	else
		printf("hold '%s' released (commit %s)\n", argv[optind], commit);
	cli_close(cli);
	return rc;
}

static void hold_json(const custos_hold_t *h, uint64_t covers)
{
	char t[40];
	custos_time_format(t, sizeof t, h->created_at);
	printf("{\"name\":");
	cli_json_str(stdout, h->name);
	printf(",\"query\":");
	cli_json_str(stdout, h->query);
	printf(",\"reason\":");
	cli_json_str(stdout, h->reason);
	printf(",\"active\":%s,\"created_at\":\"%s\",\"created_by\":", h->active ? "true" : "false",
	       t);
	cli_json_str(stdout, h->created_by);
	if (!h->active) {
		custos_time_format(t, sizeof t, h->released_at);
		printf(",\"released_at\":\"%s\",\"released_by\":", t);
		cli_json_str(stdout, h->released_by);
		printf(",\"release_reason\":");
		cli_json_str(stdout, h->release_reason);
	}
	printf(",\"covers\":%llu,\"members\":%llu,\"member_ids\":%llu,\"commit\":\"%s\"",
	       (unsigned long long)covers, (unsigned long long)h->members,
	       (unsigned long long)h->member_ids, h->commit);
}

static int hold_list(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	custos_session_t *a = NULL;
	custos_hold_report_t r;
	bool json = false;
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage(cmd, NULL);
		json = true;
	}
	if (optind != argc)
		return cli_usage(cmd, "hold list takes no arguments");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_hold_list(a, &r) < 0) {
		rc = fail(a, "cannot list the holds");
		goto done;
	}
	if (json)
		printf("[");
	else if (r.holds.n)
		printf("%-24s %-9s %8s  %-20s %s\n", "hold", "status", "covers", "created", "query");
	for (size_t i = 0; i < r.holds.n; i++) {
		const custos_hold_t *h = &r.holds.v[i];
		if (json) {
			printf("%s", i ? "," : "");
			hold_json(h, r.covers[i]);
			printf("}");
		} else {
			char t[40];
			custos_time_format(t, sizeof t, h->created_at);
			printf("%-24s %-9s %8llu  %-20.20s ", h->name, h->active ? "active" : "released",
			       (unsigned long long)r.covers[i], t);
			cli_print_text(stdout, h->query, false);
			putchar('\n');
		}
	}
	if (json)
		printf("]\n");
	else if (!r.holds.n)
		printf("no legal holds\n");
	custos_hold_report_free(&r);
done:
	cli_close(cli);
	return rc;
}

static int hold_show(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	custos_session_t *a = NULL;
	custos_hold_report_t r;
	bool json = false;
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage(cmd, NULL);
		json = true;
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "hold show needs one NAME");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_hold_show(a, argv[optind], &r) < 0) {
		rc = fail(a, "cannot show the hold");
		goto done;
	}
	const custos_hold_t *h = &r.holds.v[0];
	if (json) {
		hold_json(h, r.covers[0]);
		printf(",\"records\":[");
		for (size_t i = 0; i < r.n; i++) {
			printf("%s{\"id\":", i ? "," : "");
			cli_json_str(stdout, r.v[i].id);
			printf(",\"member\":%s,\"matches\":%s}", r.v[i].member ? "true" : "false",
			       r.v[i].matches ? "true" : "false");
		}
		printf("]}\n");
	} else {
		char t[40];
		custos_time_format(t, sizeof t, h->created_at);
		/* the hold's texts are shown, never obeyed by the terminal */
		custos_buf_t b = { 0 };
		custos_buf_printf(&b, "hold     %s (%s)\nquery    %s\nreason   %s\ncreated  %s by %s\n",
		                  h->name, h->active ? "active" : "released", h->query, h->reason, t,
		                  h->created_by ? h->created_by : "");
		if (!h->active) {
			custos_time_format(t, sizeof t, h->released_at);
			custos_buf_printf(&b, "released %s by %s: %s\n", t,
			                  h->released_by ? h->released_by : "",
			                  h->release_reason ? h->release_reason : "");
		}
		cli_print_text(stdout, b.data ? b.data : "", true);
		custos_buf_free(&b);
		printf("records  %zu\n\n", r.n);
		for (size_t i = 0; i < r.n; i++)
			printf("%s%s\n", r.v[i].id,
			       !r.v[i].matches ? "  (member; no longer matched by the query)"
			       : !r.v[i].member ? "  (matched; joins at the next ingest or apply)" : "");
	}
	custos_hold_report_free(&r);
done:
	cli_close(cli);
	return rc;
}

int cmd_hold(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	if (argc < 2)
		return cli_usage(cmd, "hold needs a subcommand");
	const char *sub = argv[1];
	if (!strcmp(sub, "create"))
		return hold_create(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return hold_list(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return hold_show(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "release"))
		return hold_release(cli, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown hold command '%s'", sub);
}
