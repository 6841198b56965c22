/* custos index: catch the search index up with the store, or rebuild it. */
#include "cli.h"

#include <getopt.h>

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	cli_progress(ctx, "indexing", done, total);
}

int cmd_index(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rebuild", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const cli_command_t *cmd = cli_find("index");
	custos_session_t *a = NULL;
	bool rebuild = false, json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rebuild = true; break;
		case 'j': json = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "index takes no arguments");
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &a)) != CLI_OK)
		return rc;
	custos_index_summary_t sum;
	int st = custos_archive_index(a, rebuild, on_progress, cli, &sum);
	cli_progress_end(cli);
	if (st < 0) {
		rc = cli_fail_err(custos_session_err(a));
	} else if (json) {
		printf("{\"indexed\": %llu, \"watermark\": %llu, \"store_last_seq\": %llu}\n",
		       (unsigned long long)sum.indexed, (unsigned long long)sum.watermark,
		       (unsigned long long)sum.store_last_seq);
	} else {
		printf("%s %llu record versions; the index holds the store up to seq %llu\n",
		       rebuild ? "rebuilt the index from" : "indexed", (unsigned long long)sum.indexed,
		       (unsigned long long)sum.watermark);
	}
	cli_close(cli);
	return rc;
}
