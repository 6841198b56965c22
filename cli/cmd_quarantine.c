/* custos quarantine: what --skip-bad set aside, with its raw bytes. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct { bool json; unsigned long n; } q_out_t;

static int print_entry(void *ctx, const custos_quarantine_entry_t *e)
{
	q_out_t *out = ctx;
	char t[40];
	custos_time_format(t, sizeof t, e->at);
	if (out->json) {
		printf("%s{\"n\": %llu, \"file\": ", out->n ? ", " : "[", (unsigned long long)e->n);
		cli_json_str(stdout, e->file);
		printf(", \"offset\": %lld, \"line\": %lld, \"reason\": ", (long long)e->offset,
		       (long long)e->line);
		cli_json_str(stdout, e->reason);
		printf(", \"at\": \"%s\", \"bytes\": %zu}", t, e->raw_len);
	} else {
		if (!out->n)
			printf("%-5s %-22s %-8s %-40s %s\n", "n", "quarantined", "bytes", "where",
			       "why");
		char where[1100];
		if (e->line > 0)
			snprintf(where, sizeof where, "%s:%lld", e->file, (long long)e->line);
		else
			snprintf(where, sizeof where, "%s@%lld", e->file, (long long)e->offset);
		printf("%-5llu %-22s %-8zu %-40s %s\n", (unsigned long long)e->n, t, e->raw_len,
		       where, e->reason);
	}
	out->n++;
	return 0;
}

int cmd_quarantine(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const cli_command_t *cmd = cli_find("quarantine");
	q_out_t out = { false, 0 };
	bool raw = false;
	custos_session_t *a = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': out.json = true; break;
		case 'r': raw = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "quarantine needs 'list' or 'show N'");
	const char *sub = argv[optind];
	bool list = !strcmp(sub, "list");
	if (!list && strcmp(sub, "show") != 0)
		return cli_usage(cmd, "unknown quarantine command '%s'", sub);
	if (list ? optind + 1 != argc : optind + 2 != argc)
		return cli_usage(cmd, list ? "quarantine list takes no arguments"
		                           : "quarantine show needs one number");
	char *end = NULL;
	unsigned long long n = list ? 0 : strtoull(argv[optind + 1], &end, 10);
	if (!list && (!*argv[optind + 1] || *end || n == 0))
		return cli_usage(cmd, "'%s' is not a quarantine number", argv[optind + 1]);
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (list) {
		if (custos_archive_quarantine_list(a, print_entry, &out) < 0)
			rc = cli_fail_err(custos_session_err(a));
		else if (out.json)
			printf("%s]\n", out.n ? "" : "[");
	} else {
		custos_quarantine_entry_t e;
		void *bytes = NULL;
		size_t len = 0;
		int s = custos_archive_quarantine_get(a, n, &e, &bytes, &len);
		if (s == CUSTOS_ENOTFOUND)
			rc = cli_fail("no quarantined item %llu", n);
		else if (s < 0)
			rc = cli_fail_err(custos_session_err(a));
		else if (raw)
			fwrite(bytes, 1, len, stdout);
		else {
			print_entry(&out, &e);
			if (out.json)
				printf("]\n");
			printf("%s--- raw bytes (%zu) ---\n", out.json ? "" : "", len);
			fwrite(bytes, 1, len, stdout);
			if (len && ((char *)bytes)[len - 1] != '\n')
				putchar('\n');
		}
		free(bytes);
	}
	cli_close(cli);
	return rc;
}
