/* custos audit: the audit trail, as a table, CSV or the stored JSON lines. */
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const cli_option_t opts[] = {
	{ "action", 'a', "ACTION", "Only entries of this action (hold-create, retention-apply, "
	  "...; docs/audit.md lists them); a name ending in '*' takes every action it starts "
	  "(\"hold-*\").", CLI_ARG_ACTION, NULL, false },
	{ "actor", 'u', "NAME", "Only entries made for this actor, or by this operating-system "
	  "user.", CLI_ARG_TEXT, NULL, false },
	{ "since", 's', "DATE", "Only entries at or after DATE: a date (2024-01-31), a time "
	  "(RFC 3339) or an age before now (90m, 36h, 7d, 2w).", CLI_ARG_TEXT, NULL, false },
	{ "until", 't', "DATE", "Only entries at or before DATE, read as --since reads it.",
	  CLI_ARG_TEXT, NULL, false },
	{ "json", 'j', NULL, "Print the entries as stored: one JSON object a line.", 0, NULL,
	  false },
	{ "csv", 'c', NULL, "Print the entries as CSV: n, time, user, actor, action, status, "
	  "params and result (as JSON text), prev.", 0, NULL, false },
	{ "export", 'e', "DIR", "Write the whole audit trail and every tombstone to DIR, with a "
	  "README.txt saying how to re-verify them without custos.", CLI_ARG_DIR, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_audit_subs[] = {
	{ NULL, "[--action A] [--actor NAME] [--since DATE] [--until DATE] [--json|--csv] | "
	  "--export DIR",
	  "Lists the audit trail, oldest first: every action on the archive, who did it, when, "
	  "with what and with which result, failures included. Reading it is itself audited "
	  "(audit-read).", opts, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

enum { OUT_TABLE = CLI_OUT_TABLE, OUT_JSON = CLI_OUT_JSON, OUT_CSV = CLI_OUT_CSV };

typedef struct {
	int out;
	unsigned long n;
} audit_out_t;

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : "";
}

static int print_line(void *ctx, const char *line, size_t n)
{
	audit_out_t *out = ctx;
	if (out->out == OUT_JSON) {
		fwrite(line, 1, n, stdout);
		putchar('\n');
		out->n++;
		return 0;
	}
	json_t *o = json_loadb(line, n, 0, NULL);
	if (!o) {
		char head[61];
		snprintf(head, sizeof head, "%.60s", line);
		if (out->out == OUT_CSV) {
			const char *f[] = { "", "", "", "", "(unreadable entry)", "", head, "", "" };
			cli_csv_row(stdout, f, 9);
			return 0;
		}
		fputs("(unreadable entry: ", stdout);
		cli_print_text(stdout, head, false);
		fputs(")\n", stdout);
		return 0;
	}
	char num[32];
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(o, "n")));
	char *params = json_dumps(json_object_get(o, "params"), JSON_COMPACT);
	char *result = json_dumps(json_object_get(o, "result"), JSON_COMPACT);
	if (out->out == OUT_CSV) {
		if (out->n++ == 0) {
			const char *h[] = { "n", "time", "user", "actor", "action", "status", "params",
			                    "result", "prev" };
			cli_csv_row(stdout, h, 9);
		}
		const char *f[] = { num, str_of(o, "time"), str_of(o, "user"), str_of(o, "actor"),
		                    str_of(o, "action"), str_of(o, "status"), params ? params : "",
		                    result ? result : "", str_of(o, "prev") };
		cli_csv_row(stdout, f, 9);
	} else {
		if (out->n++ == 0)
			printf("%-5s %-20s %-12s %-14s %-7s %s\n", "n", "time", "user", "action",
			       "status", "details");
		char user[128];
		const char *actor = str_of(o, "actor");
		snprintf(user, sizeof user, "%s%s%s", str_of(o, "user"), *actor ? "/" : "", actor);
		/* what an entry holds was typed by someone: shown, never obeyed by the terminal */
		custos_buf_t row = { 0 };
		custos_buf_printf(&row, "%-5s %-20s %-12s %-14s %-7s %s %s", num, str_of(o, "time"),
		                  user, str_of(o, "action"), str_of(o, "status"),
		                  params && strcmp(params, "{}") ? params : "",
		                  result && strcmp(result, "{}") ? result : "");
		cli_print_text(stdout, row.data ? row.data : "", false);
		putchar('\n');
		custos_buf_free(&row);
	}
	free(params);
	free(result);
	json_decref(o);
	return 0;
}

static int audit_export(cli_t *cli, const char *dir)
{
	custos_session_t *a = NULL;
	custos_audit_export_t x;
	int rc;
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_audit_export(a, dir, &x) < 0)
		rc = cli_fail_in(custos_session_err(a), "cannot export the audit trail");
	else
		cli_printf(stdout, "exported %llu audit entries (head %s) and %llu tombstones to %s; "
		           "README.txt says how to re-verify them\n", (unsigned long long)x.audit_entries,
		           x.audit_head, (unsigned long long)x.tombstones, dir);
	cli_close(cli);
	return rc;
}

int cmd_audit(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("audit");
	audit_out_t out = { cli->json ? OUT_JSON : OUT_TABLE, 0 };
	custos_audit_filter_t f = CUSTOS_AUDIT_FILTER_INIT;
	const char *export_dir = NULL;
	custos_session_t *a = NULL;
	int c, rc;

	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1) {
		switch (c) {
		case 'j':
		case 'c':
			if ((rc = cli_out(cmd, &out.out, c)) != CLI_OK)
				return rc;
			break;
		case 'a': f.action = optarg; break;
		case 'u': f.actor = optarg; break;
		case 'e': export_dir = optarg; break;
		case 's':
		case 't':
			if (cli_parse_time(optarg, c == 's' ? &f.since : &f.until) < 0)
				return cli_usage(cmd, "--%s: cannot read '%s' as a date, a time or an age "
				                 "(2024-01-31, 2024-01-31T09:00:00Z, 7d)",
				                 c == 's' ? "since" : "until", optarg);
			break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "audit takes no arguments");
	if (export_dir)
		return audit_export(cli, export_dir);
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_audit_read(a, &f, print_line, &out) < 0)
		rc = cli_fail_err(custos_session_err(a));
	else if (out.out == OUT_CSV && !out.n) {
		const char *h[] = { "n", "time", "user", "actor", "action", "status", "params",
		                    "result", "prev" };
		cli_csv_row(stdout, h, 9);
	}
	cli_close(cli);
	return rc;
}
