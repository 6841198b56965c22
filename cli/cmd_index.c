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
	custos_archive_t *a = NULL;
	bool rebuild = false, json = false;
	uint64_t n = 0, last = 0, wm = 0;
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
	/* the writer lock keeps index writers (ingest, index, disposition) apart */
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &a)) != CLI_OK)
		return rc;
	int st = custos_archive_index_catch_up(a, rebuild, on_progress, cli, &n);
	cli_progress_end(cli);
	/* records the index now sees may fall under active legal holds */
	if (st == CUSTOS_OK)
		st = custos_archive_holds_refresh(a, NULL);
	if (st == CUSTOS_OK)
		st = custos_archive_index_lag(a, &last, &wm);
	custos_buf_t r = { 0 };
	custos_buf_printf(&r, "{\"rebuild\":%s,\"indexed\":%llu,\"watermark\":%llu}",
	                  rebuild ? "true" : "false", (unsigned long long)n, (unsigned long long)wm);
	custos_err_t keep = *custos_archive_err(a);
	int arc = custos_archive_audit(a, rebuild ? "index-rebuild" : "index", NULL, r.data, st);
	custos_buf_free(&r);
	if (st < 0) {
		rc = cli_fail_err(&keep);
	} else if (arc < 0) {
		rc = cli_fail_err(custos_archive_err(a));
	} else if (json) {
		printf("{\"indexed\": %llu, \"watermark\": %llu, \"store_last_seq\": %llu}\n",
		       (unsigned long long)n, (unsigned long long)wm, (unsigned long long)last);
	} else {
		printf("%s %llu record versions; the index holds the store up to seq %llu\n",
		       rebuild ? "rebuilt the index from" : "indexed", (unsigned long long)n,
		       (unsigned long long)wm);
	}
	custos_archive_free(a);
	return rc;
}
