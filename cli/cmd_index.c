/* custos index: catch the search index up with the store, or rebuild it. */
#include "cli.h"

static const cli_option_t opts[] = {
	{ "rebuild", 'r', NULL, "Build a new index from the store alone and put it in place of "
	  "the old one, which searches use meanwhile.", 0, NULL, false },
	{ "json", 'j', NULL, "Print the result as a JSON object.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_index_subs[] = {
	{ NULL, "[--rebuild] [--json]", "Brings the search index up to the store (the archive "
	  "does it on its own as records arrive; this waits for it), or rebuilds it. The index "
	  "is derived: a rebuild reproduces the same search results.", opts, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

int cmd_index(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("index");
	custos_session_t *a = NULL;
	bool rebuild = false, json = cli->json;
	int c, rc;

	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1) {
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
	cli_progress_label(cli, rebuild ? "rebuilding the index" : "indexing");
	int st = custos_archive_index(a, rebuild, cli_progress_fn, cli, &sum);
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
