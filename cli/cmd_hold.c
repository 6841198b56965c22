/* custos hold: legal holds by query, account, custodian, list of ids and
 * whole conversations, whose membership only grows while they are active
 * (docs/retention.md). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const cli_option_t create_opts[] = {
	{ "query", 'q', "Q", "Hold every record query Q matches, now and as records arrive.",
	  CLI_ARG_TEXT, NULL, false },
	{ "account", 'a', "NAME", "Hold every record of account NAME (account:NAME), now and "
	  "later; may be given more than once.", CLI_ARG_TEXT, NULL, false },
	{ "custodian", 'c', "NAME", "Hold every record collected for custodian NAME "
	  "(custodian:NAME), now and later; may be given more than once.", CLI_ARG_TEXT, NULL,
	  false },
	{ "ids", 'i', "FILE", "Hold the records whose ids FILE lists, one a line ('#' at a "
	  "line's start or after a blank starts a comment), whether captured yet or not.",
	  CLI_ARG_FILE, NULL, false },
	{ "with-thread", 't', NULL, "Also hold every record of the conversation of each record "
	  "the hold covers, now and as the conversation grows.", 0, NULL, false },
	{ "reason", 'r', "TEXT", "Why the hold is placed (the matter, the case number).",
	  CLI_ARG_TEXT, NULL, false },
	{ "json", 'j', NULL, "Print the hold and what its creation found as a JSON object.", 0,
	  NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t list_opts[] = {
	{ "json", 'j', NULL, "Print the holds as a JSON object.", 0, NULL, false },
	{ "names", 'n', NULL, "Print only the holds' names, one a line (for scripts and shell "
	  "completion).", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t show_opts[] = {
	{ "json", 'j', NULL, "Print the hold and its records as a JSON object.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t scope_opts[] = {
	{ "json", 'j', NULL, "Print the counts as a JSON object.", 0, NULL, false },
	{ "csv", 'c', NULL, "Print the counts as CSV: by (platform, month or custodian), key, "
	  "records.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t release_opts[] = {
	{ "reason", 'r', "TEXT", "Why the hold ends (required).", CLI_ARG_TEXT, NULL, false },
	{ "json", 'j', NULL, "Print the release as a JSON object.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_hold_subs[] = {
	{ "create", "NAME (--query Q | --account NAME | --custodian NAME | --ids FILE)... "
	  "[--with-thread] [--reason TEXT] [--json]", "Places legal hold NAME over every record "
	  "any of the options names; its first members are what it covers now. A record a hold "
	  "covers is never disposed of until the hold is released.", create_opts, CLI_ARG_TEXT },
	{ "list", "[--json|--names]", "Lists every hold, active and released, with how many "
	  "records each covers now.", list_opts, CLI_ARG_TEXT },
	{ "show", "NAME [--json]", "Shows a hold and every record it covers, marking the ones "
	  "only its membership, only its query or only its list of ids names.", show_opts,
	  CLI_ARG_HOLD },
	{ "scope", "NAME [--json|--csv]", "Counts what a hold covers by platform, by month of "
	  "creation and by custodian: the scope report of a preservation notice.", scope_opts,
	  CLI_ARG_HOLD },
	{ "release", "NAME --reason TEXT [--json]", "Releases an active hold; what it covered "
	  "stays recorded, and may be disposed of under the schedule from then on.", release_opts,
	  CLI_ARG_HOLD },
	{ NULL, NULL, NULL, NULL, 0 }
};

/* The hold object: one shape for create, list and show. No closing brace. */
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
	printf(",\"with_thread\":%s,\"listed\":%llu,\"active\":%s,\"created_at\":\"%s\","
	       "\"created_by\":", h->with_thread ? "true" : "false", (unsigned long long)h->listed,
	       h->active ? "true" : "false", t);
	cli_json_str(stdout, h->created_by);
	if (!h->active) {
		custos_time_format(t, sizeof t, h->released_at);
		printf(",\"released_at\":\"%s\",\"released_by\":", t);
		cli_json_str(stdout, h->released_by);
		printf(",\"release_reason\":");
		cli_json_str(stdout, h->release_reason);
	} else {
		printf(",\"released_at\":null,\"released_by\":null,\"release_reason\":null");
	}
	printf(",\"covers\":%llu,\"members\":%llu,\"member_ids\":%llu,\"commit\":\"%s\"",
	       (unsigned long long)covers, (unsigned long long)h->members,
	       (unsigned long long)h->member_ids, h->commit);
}

/* Reads the ids of a file: one a line, from a '#' at a line's start or after
 * a blank to the line's end a comment, blanks around an id dropped. */
static int read_ids(const char *file, char ***out, size_t *n)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0, vcap = 0;
	ssize_t len;
	*out = NULL;
	*n = 0;
	if (!f)
		return cli_fail("cannot open '%s': %s", file, strerror(errno));
	while ((len = getline(&line, &cap, f)) >= 0) {
		/* a comment starts a line or follows a blank: an id may hold '#'
		 * (a feed's guid with a fragment) */
		char *s = line, *e;
		for (char *h = line; (h = strchr(h, '#')); h++)
			if (h == line || h[-1] == ' ' || h[-1] == '\t') {
				*h = '\0';
				break;
			}
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s)
			continue;
		if (*n == vcap) {
			vcap = vcap ? vcap * 2 : 64;
			char **nv = realloc(*out, vcap * sizeof *nv);
			if (!nv)
				break;
			*out = nv;
		}
		if (!((*out)[*n] = strdup(s)))
			break;
		(*n)++;
	}
	bool bad = ferror(f) || !feof(f);
	fclose(f);
	free(line);
	if (bad)
		return cli_fail("cannot read '%s': %s", file, errno ? strerror(errno) : "out of memory");
	return CLI_OK;
}

static int hold_create(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	custos_hold_spec_t spec = CUSTOS_HOLD_SPEC_INIT;
	const char **accounts = calloc((size_t)argc, sizeof *accounts);
	const char **custodians = calloc((size_t)argc, sizeof *custodians);
	const char *ids_file = NULL;
	char **ids = NULL;
	size_t n_ids = 0;
	bool json = cli->json;
	custos_session_t *a = NULL;
	custos_hold_placed_t out;
	int c, rc = CLI_OK;

	memset(&out, 0, sizeof out);
	if (!accounts || !custodians) {
		rc = cli_fail("out of memory");
		goto done;
	}
	while ((c = cli_getopt(cli, cmd, "create", argc, argv)) != -1) {
		switch (c) {
		case 'q': spec.query = optarg; break;
		case 'a': accounts[spec.n_accounts++] = optarg; break;
		case 'c': custodians[spec.n_custodians++] = optarg; break;
		case 'i': ids_file = optarg; break;
		case 't': spec.with_thread = true; break;
		case 'r': spec.reason = optarg; break;
		case 'j': json = true; break;
		default: rc = cli_usage(cmd, NULL); goto done;
		}
	}
	if (optind != argc - 1) {
		rc = cli_usage(cmd, "hold create needs one NAME");
		goto done;
	}
	const char *name = argv[optind];
	spec.accounts = accounts;
	spec.custodians = custodians;
	if (ids_file && (rc = read_ids(ids_file, &ids, &n_ids)) != CLI_OK)
		goto done;
	if (ids_file && !n_ids) {
		rc = cli_fail("'%s' lists no record id (one a line)", ids_file);
		goto done;
	}
	spec.ids = (const char *const *)ids;
	spec.n_ids = n_ids;
	/* the writer lock: a hold never lands in the middle of a disposition run
	 * (which could otherwise dispose of a record the new hold covers) */
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &a)) != CLI_OK)
		goto done;
	if (custos_archive_hold_place(a, name, &spec, &out) < 0) {
		const custos_err_t *e = custos_session_err(a);
		/* nothing to hold is bad usage, whoever finds it */
		rc = e->status == CUSTOS_EINVAL && !spec.query && !spec.n_accounts &&
		     !spec.n_custodians && !n_ids ? cli_usage(cmd, "%s", e->msg) : cli_fail_err(e);
		goto done;
	}
	const custos_hold_t *h = &out.hold.holds.v[0];
	uint64_t covers = out.hold.covers[0];
	if (json) {
		printf("{\"hold\":");
		hold_json(h, covers);
		printf("},\"found\":{\"matched\":%llu,\"listed_found\":%llu,\"listed_missing\":%llu,"
		       "\"listed_disposed\":%llu,\"thread\":%llu,\"members\":%llu}}\n",
		       (unsigned long long)out.matched, (unsigned long long)out.listed_found,
		       (unsigned long long)out.listed_missing, (unsigned long long)out.listed_disposed,
		       (unsigned long long)out.thread, (unsigned long long)out.members);
	} else {
		cli_printf(stdout, "hold '%s' created over %llu record%s (commit %s)\n", name,
		           (unsigned long long)covers, covers == 1 ? "" : "s", out.commit);
		if (h->query[0])
			printf("  %-22s %llu\n", "matched by its query", (unsigned long long)out.matched);
		if (n_ids)
			printf("  %-22s %llu in the archive, %llu not captured yet (held when they "
			       "are)%s\n", "listed ids", (unsigned long long)out.listed_found,
			       (unsigned long long)out.listed_missing,
			       out.listed_disposed ? ", some disposed of already" : "");
		if (spec.with_thread)
			printf("  %-22s %llu more\n", "from conversations", (unsigned long long)out.thread);
	}
	/* the JSON carries these counts: people get them said */
	if (out.listed_disposed && !json)
		fprintf(stderr, "custos: warning: %llu of the ids listed were disposed of before the "
		        "hold: only their tombstones remain\n", (unsigned long long)out.listed_disposed);
	if (!covers && !json)
		cli_printf(stderr, "custos: warning: hold '%s' covers no record yet; records captured "
		           "later that it names will be held\n", name);
done:
	custos_hold_placed_free(&out);
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	free(accounts);
	free(custodians);
	cli_close(cli);
	return rc;
}

static int hold_release(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	const char *reason = NULL;
	bool json = cli->json;
	custos_session_t *a = NULL;
	char commit[CUSTOS_COMMIT_HEX];
	int c, rc;
	while ((c = cli_getopt(cli, cmd, "release", argc, argv)) != -1) {
		if (c == 'r')
			reason = optarg;
		else if (c == 'j')
			json = true;
		else
			return cli_usage(cmd, NULL);
	}
	if (optind != argc - 1 || !reason || !*reason)
		return cli_usage(cmd, "hold release needs NAME and --reason TEXT");
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &a)) != CLI_OK)
		return rc;
	if (custos_archive_hold_release(a, argv[optind], reason, commit) < 0) {
		rc = cli_fail_err(custos_session_err(a));
	} else if (json) {
		printf("{\"name\":");
		cli_json_str(stdout, argv[optind]);
		printf(",\"released\":true,\"commit\":\"%s\"}\n", commit);
	} else {
		cli_printf(stdout, "hold '%s' released (commit %s)\n", argv[optind], commit);
	}
	cli_close(cli);
	return rc;
}

static int hold_list(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	custos_session_t *a = NULL;
	custos_hold_report_t r;
	bool json = cli->json, names = false;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, "list", argc, argv)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'n')
			names = true;
		else
			return cli_usage(cmd, NULL);
	}
	if (optind != argc)
		return cli_usage(cmd, "hold list takes no arguments");
	if (json && names)
		return cli_usage(cmd, "--json and --names do not go together");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (names) {
		char *list = NULL;
		if (custos_archive_hold_names(a, &list) < 0)
			rc = cli_fail_err(custos_session_err(a));
		else
			cli_print_text(stdout, list, true);
		free(list);
		goto done;
	}
	if (custos_archive_hold_list(a, &r) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		goto done;
	}
	if (json)
		printf("{\"holds\":[");
	else if (r.holds.n)
		printf("%-24s %-9s %8s  %-20s %s\n", "hold", "status", "covers", "created", "scope");
	for (size_t i = 0; i < r.holds.n; i++) {
		const custos_hold_t *h = &r.holds.v[i];
		if (json) {
			printf("%s", i ? "," : "");
			hold_json(h, r.covers[i]);
			printf("}");
		} else {
			char t[40];
			custos_time_format(t, sizeof t, h->created_at);
			cli_printf(stdout, "%-24s %-9s %8llu  %-20.20s ", h->name, h->active ? "active" : "released",
			           (unsigned long long)r.covers[i], t);
			cli_print_text(stdout, h->query, false);
			if (h->listed)
				printf("%s%llu listed ids", h->query[0] ? "; " : "",
				       (unsigned long long)h->listed);
			if (h->with_thread)
				printf("; with their conversations");
			putchar('\n');
		}
	}
	if (json)
		printf("]}\n");
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
	custos_session_t *a = NULL;
	custos_hold_report_t r;
	bool json = cli->json;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, "show", argc, argv)) != -1) {
		if (c != 'j')
			return cli_usage(cmd, NULL);
		json = true;
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "hold show needs one NAME");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_hold_show(a, argv[optind], &r) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		goto done;
	}
	const custos_hold_t *h = &r.holds.v[0];
	if (json) {
		printf("{\"hold\":");
		hold_json(h, r.covers[0]);
		printf("},\"records\":[");
		for (size_t i = 0; i < r.n; i++) {
			printf("%s{\"id\":", i ? "," : "");
			cli_json_str(stdout, r.v[i].id);
			printf(",\"member\":%s,\"matches\":%s,\"listed\":%s,\"captured\":%s}",
			       r.v[i].member ? "true" : "false", r.v[i].matches ? "true" : "false",
			       r.v[i].listed ? "true" : "false", r.v[i].captured ? "true" : "false");
		}
		printf("]}\n");
	} else {
		char t[40];
		custos_time_format(t, sizeof t, h->created_at);
		/* the hold's texts are shown, never obeyed by the terminal */
		custos_buf_t b = { 0 };
		custos_buf_printf(&b, "hold     %s (%s)\n", h->name, h->active ? "active" : "released");
		if (h->query[0])
			custos_buf_printf(&b, "query    %s\n", h->query);
		if (h->listed)
			custos_buf_printf(&b, "ids      %llu listed\n", (unsigned long long)h->listed);
		if (h->with_thread)
			custos_buf_printf(&b, "threads  the whole conversation of each record it covers\n");
		custos_buf_printf(&b, "reason   %s\ncreated  %s by %s\n", h->reason, t,
		                  h->created_by ? h->created_by : "");
		if (!h->active) {
			custos_time_format(t, sizeof t, h->released_at);
			custos_buf_printf(&b, "released %s by %s: %s\n", t,
			                  h->released_by ? h->released_by : "",
			                  h->release_reason ? h->release_reason : "");
		}
		cli_print_text(stdout, b.data ? b.data : "", true);
		custos_buf_free(&b);
		printf("records  %llu\n\n", (unsigned long long)r.covers[0]);
		for (size_t i = 0; i < r.n; i++) {
			const custos_hold_record_t *e = &r.v[i];
			const char *note = !e->captured ? "  (listed; not captured yet)"
			                 : !e->matches && !e->listed ? "  (member; no longer matched by the query)"
			                 : !e->member ? "  (covered; joins the membership at the next ingest or apply)"
			                 : "";
			cli_printf(stdout, "%s%s\n", e->id, note);
		}
	}
	custos_hold_report_free(&r);
done:
	cli_close(cli);
	return rc;
}

static void scope_table(const char *what, const custos_scope_count_t *v, size_t n)
{
	printf("\nby %s:\n", what);
	for (size_t i = 0; i < n; i++) {
		fputs("  ", stdout);
		custos_buf_t b = { 0 };
		custos_buf_printf(&b, "%-30s %10llu", v[i].key, (unsigned long long)v[i].records);
		cli_print_text(stdout, b.data ? b.data : "", false);
		custos_buf_free(&b);
		putchar('\n');
	}
}

static void scope_json(const char *what, const custos_scope_count_t *v, size_t n)
{
	printf(",\"%s\":{", what);
	for (size_t i = 0; i < n; i++) {
		printf("%s", i ? "," : "");
		cli_json_str(stdout, v[i].key);
		printf(":%llu", (unsigned long long)v[i].records);
	}
	printf("}");
}

static void scope_csv(const char *what, const custos_scope_count_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char num[32];
		snprintf(num, sizeof num, "%llu", (unsigned long long)v[i].records);
		const char *f[] = { what, v[i].key, num };
		cli_csv_row(stdout, f, 3);
	}
}

static int hold_scope(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("hold");
	custos_session_t *a = NULL;
	custos_hold_scope_t sc;
	int out = cli->json ? CLI_OUT_JSON : CLI_OUT_TABLE, c, rc;
	while ((c = cli_getopt(cli, cmd, "scope", argc, argv)) != -1) {
		if (c != 'j' && c != 'c')
			return cli_usage(cmd, NULL);
		if ((rc = cli_out(cmd, &out, c)) != CLI_OK)
			return rc;
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "hold scope needs one NAME");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_hold_scope(a, argv[optind], &sc) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		goto done;
	}
	if (out == CLI_OUT_JSON) {
		printf("{\"name\":");
		cli_json_str(stdout, sc.holds.v[0].name);
		printf(",\"records\":%llu,\"not_captured\":%llu", (unsigned long long)sc.records,
		       (unsigned long long)sc.not_captured);
		scope_json("platforms", sc.platforms, sc.n_platforms);
		scope_json("months", sc.months, sc.n_months);
		scope_json("custodians", sc.custodians, sc.n_custodians);
		printf("}\n");
	} else if (out == CLI_OUT_CSV) {
		const char *h[] = { "by", "key", "records" };
		cli_csv_row(stdout, h, 3);
		scope_csv("platform", sc.platforms, sc.n_platforms);
		scope_csv("month", sc.months, sc.n_months);
		scope_csv("custodian", sc.custodians, sc.n_custodians);
	} else {
		cli_printf(stdout, "hold %s covers %llu records in the archive", sc.holds.v[0].name,
		           (unsigned long long)sc.records);
		if (sc.not_captured)
			printf(" and %llu listed ids not captured", (unsigned long long)sc.not_captured);
		putchar('\n');
		scope_table("platform", sc.platforms, sc.n_platforms);
		scope_table("month", sc.months, sc.n_months);
		scope_table("custodian", sc.custodians, sc.n_custodians);
	}
	custos_hold_scope_free(&sc);
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
	if (!strcmp(sub, "scope"))
		return hold_scope(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "release"))
		return hold_release(cli, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown hold command '%s'", sub);
}
