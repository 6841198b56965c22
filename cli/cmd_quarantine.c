/* custos quarantine: what --skip-bad set aside, with its raw bytes. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const cli_option_t list_opts[] = {
	{ "json", 'j', NULL, "Print the items as a JSON object.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

static const cli_option_t show_opts[] = {
	{ "json", 'j', NULL, "Print the item as a JSON object, its bytes as text (\"raw\") or, "
	  "when they are not UTF-8, in hex (\"raw_hex\").", 0, NULL, false },
	{ "raw", 'r', NULL, "Print the item's bytes as they were read, nothing else; "
	  "to a terminal only when they are UTF-8 without a control character but newline and "
	  "tab.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_quarantine_subs[] = {
	{ "list", "[--json]", "Lists what ingest --skip-bad set aside: number, when, size, "
	  "where it was (file and line or byte) and why.", list_opts, CLI_ARG_TEXT },
	{ "show", "[--json|--raw] N", "Shows item N with its bytes, checked against their hash.",
	  show_opts, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

typedef struct { bool json; unsigned long n; } q_out_t;

static void entry_json(const custos_quarantine_entry_t *e)
{
	char t[40];
	custos_time_format(t, sizeof t, e->at);
	printf("{\"n\": %llu, \"file\": ", (unsigned long long)e->n);
	cli_json_str(stdout, e->file);
	printf(", \"offset\": %lld, \"line\": %lld, \"reason\": ", (long long)e->offset,
	       (long long)e->line);
	cli_json_str(stdout, e->reason);
	printf(", \"at\": \"%s\", \"bytes\": %zu", t, e->raw_len);
}

static int print_entry(void *ctx, const custos_quarantine_entry_t *e)
{
	q_out_t *out = ctx;
	char t[40];
	custos_time_format(t, sizeof t, e->at);
	if (out->json) {
		printf("%s", out->n ? ", " : "");
		entry_json(e);
		printf("}");
	} else {
		if (!out->n)
			printf("%-5s %-22s %-8s %-40s %s\n", "n", "quarantined", "bytes", "where",
			       "why");
		char where[1100];
		if (e->line > 0)
			snprintf(where, sizeof where, "%s:%lld", e->file, (long long)e->line);
		else
			snprintf(where, sizeof where, "%s@%lld", e->file, (long long)e->offset);
		cli_printf(stdout, "%-5llu %-22s %-8zu %-40s %s\n", (unsigned long long)e->n, t, e->raw_len,
		           where, e->reason);
	}
	out->n++;
	return 0;
}

int cmd_quarantine(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("quarantine");
	q_out_t out = { cli->json, 0 };
	bool raw = false;
	custos_session_t *a = NULL;
	int c, rc;

	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "show")))
		return argc < 2 ? cli_usage(cmd, "quarantine needs 'list' or 'show N'")
		                : cli_usage(cmd, "unknown quarantine command '%s'", argv[1]);
	bool list = !strcmp(argv[1], "list");
	argc--;
	argv++;
	while ((c = cli_getopt(cli, cmd, list ? "list" : "show", argc, argv)) != -1) {
		switch (c) {
		case 'j': out.json = true; break;
		case 'r': raw = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (list ? optind != argc : optind + 1 != argc)
		return cli_usage(cmd, list ? "quarantine list takes no arguments"
		                           : "quarantine show needs one number");
	if (raw && out.json)
		return cli_usage(cmd, "--raw and --json do not go together");
	char *end = NULL;
	unsigned long long n = list ? 0 : strtoull(argv[optind], &end, 10);
	if (!list && (!*argv[optind] || *end || n == 0))
		return cli_usage(cmd, "'%s' is not a quarantine number", argv[optind]);
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (list) {
		if (out.json)
			printf("{\"items\": [");
		if (custos_archive_quarantine_list(a, print_entry, &out) < 0) {
			if (out.json)
				printf("]}\n");   /* closed: what follows is the error */
			rc = cli_fail_err(custos_session_err(a));
		} else if (out.json)
			printf("]}\n");
	} else {
		custos_quarantine_entry_t e;
		void *bytes = NULL;
		size_t len = 0;
		if (custos_archive_quarantine_get(a, n, &e, &bytes, &len) < 0) {
			rc = cli_fail_err(custos_session_err(a));
		} else if (raw) {
			rc = cli_write_raw(bytes, len);
		} else if (out.json) {
			entry_json(&e);
			custos_buf_t b = { 0 };
			if (custos_utf8_check(bytes, len) == len) {
				custos_buf_add_json_str(&b, bytes, len);
				printf(", \"raw\": %s}\n", b.data ? b.data : "\"\"");
			} else {
				printf(", \"raw_hex\": \"");
				for (size_t i = 0; i < len; i++)
					printf("%02x", ((unsigned char *)bytes)[i]);
				printf("\"}\n");
			}
			custos_buf_free(&b);
		} else {
			print_entry(&out, &e);
			printf("--- raw bytes (%zu) ---\n", len);
			/* what ingest refused is shown, never obeyed: lines kept, every
			 * other control and each byte that is not UTF-8 escaped */
			custos_buf_t b = { 0 };
			if (custos_buf_add_printable_lines(&b, bytes, len, NULL) == CUSTOS_OK && b.data)
				fwrite(b.data, 1, b.len, stdout);
			custos_buf_free(&b);
			if (len && ((char *)bytes)[len - 1] != '\n')
				putchar('\n');
		}
		free(bytes);
	}
	cli_close(cli);
	return rc;
}
