/* custos audit: the audit trail, as a table or as the stored JSON lines. */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	bool json;
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
	if (out->json) {
		fwrite(line, 1, n, stdout);
		putchar('\n');
		out->n++;
		return 0;
	}
	json_t *o = json_loadb(line, n, 0, NULL);
	if (!o) {
		char head[61];
		snprintf(head, sizeof head, "%.60s", line);
		fputs("(unreadable entry: ", stdout);
		cli_print_text(stdout, head, false);
		fputs(")\n", stdout);
		return 0;
	}
	if (out->n++ == 0)
		printf("%-5s %-20s %-12s %-14s %-7s %s\n", "n", "time", "user", "action", "status",
		       "details");
	char user[128];
	const char *actor = str_of(o, "actor");
	snprintf(user, sizeof user, "%s%s%s", str_of(o, "user"), *actor ? "/" : "", actor);
	char *params = json_dumps(json_object_get(o, "params"), JSON_COMPACT);
	char *result = json_dumps(json_object_get(o, "result"), JSON_COMPACT);
	/* what an entry holds was typed by someone: shown, never obeyed by the terminal */
	custos_buf_t row = { 0 };
	custos_buf_printf(&row, "%-5lld %-20s %-12s %-14s %-7s %s %s",
	                  (long long)json_integer_value(json_object_get(o, "n")), str_of(o, "time"),
	                  user, str_of(o, "action"), str_of(o, "status"),
	                  params && strcmp(params, "{}") ? params : "",
	                  result && strcmp(result, "{}") ? result : "");
	cli_print_text(stdout, row.data ? row.data : "", false);
	putchar('\n');
	custos_buf_free(&row);
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
		rc = cli_fail("cannot export the audit trail: %s", custos_session_err(a)->msg);
	else
		printf("exported %llu audit entries (head %s) and %llu tombstones to %s; "
		       "README.txt says how to re-verify them\n", (unsigned long long)x.audit_entries,
		       x.audit_head, (unsigned long long)x.tombstones, dir);
	cli_close(cli);
	return rc;
}

int cmd_audit(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ "export", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	const cli_command_t *cmd = cli_find("audit");
	audit_out_t out = { false, 0 };
	int64_t since = CUSTOS_TIME_NONE;
	const char *export_dir = NULL;
	custos_session_t *a = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': out.json = true; break;
		case 's':
			if (cli_parse_time(optarg, &since) < 0)
				return cli_usage(cmd, "cannot read the date '%s' (use 2024-01-31 or RFC 3339)",
				                 optarg);
			break;
		case 'e': export_dir = optarg; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "audit takes no arguments");
	if (export_dir)
		return audit_export(cli, export_dir);
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	custos_audit_filter_t f = CUSTOS_AUDIT_FILTER_INIT;
	f.since = since;
	if (custos_archive_audit_read(a, &f, print_line, &out) < 0)
		rc = cli_fail_err(custos_session_err(a));
	cli_close(cli);
	return rc;
}
