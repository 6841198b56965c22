/* custos stats: what the archive holds, and how compactly. */
#include "cli.h"

#include <getopt.h>

int cmd_stats(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
	                                      { "custodians", no_argument, NULL, 'c' },
	                                      { NULL, 0, NULL, 0 } };
	const cli_command_t *cmd = cli_find("stats");
	custos_session_t *a = NULL;
	custos_stats_t all;
	custos_custodian_count_t *cu = NULL;
	size_t ncu = 0;
	bool json = false, custodians = false;
	int c, rc;
	char b1[32], b2[32], b3[32];

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'c')
			custodians = true;
		else
			return cli_usage(cmd, NULL);
	}
	if (optind != argc)
		return cli_usage(cmd, "stats takes no arguments");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_stats(a, &all) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		cli_close(cli);
		return rc;
	}
	if (custodians && custos_archive_custodians(a, &cu, &ncu) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		custos_stats_free(&all);
		cli_close(cli);
		return rc;
	}
	const custos_store_stats_t s = all.store;
	uint64_t wm = all.index_watermark, lag = all.index_lag;
	bool have_index = !all.index_error[0];
	double ratio = s.raw_bytes ? (double)s.stored_bytes / (double)s.raw_bytes : 0;
	if (json) {
		printf("{\"records\": %llu, \"versions\": %llu, \"deleted_upstream\": %llu, "
		       "\"raw_bytes\": %llu, \"stored_bytes\": %llu, \"file_bytes\": %llu, "
		       "\"compression_ratio\": %.4f, \"blobs\": %llu, \"blob_bytes\": %llu, "
		       "\"quarantined\": %llu, \"tombstones\": %llu, \"dictionaries\": %llu, "
		       "\"last_seq\": %llu, \"index_watermark\": %llu, \"index_lag\": %llu, "
		       "\"platforms\": {",
		       (unsigned long long)s.records, (unsigned long long)s.versions,
		       (unsigned long long)s.deleted_upstream, (unsigned long long)s.raw_bytes,
		       (unsigned long long)s.stored_bytes, (unsigned long long)s.file_bytes, ratio,
		       (unsigned long long)s.blobs, (unsigned long long)s.blob_bytes,
		       (unsigned long long)s.quarantined, (unsigned long long)s.tombstones,
		       (unsigned long long)s.dictionaries, (unsigned long long)s.last_seq,
		       (unsigned long long)wm, (unsigned long long)lag);
		for (size_t i = 0; i < s.n_platforms; i++) {
			const custos_platform_stats_t *p = &s.platforms[i];
			printf("%s", i ? ", " : "");
			cli_json_str(stdout, p->platform);
			printf(": {\"records\": %llu, \"versions\": %llu, \"raw_bytes\": %llu, "
			       "\"stored_bytes\": %llu}", (unsigned long long)p->records,
			       (unsigned long long)p->versions, (unsigned long long)p->raw_bytes,
			       (unsigned long long)p->stored_bytes);
		}
		printf("}");
		if (custodians) {
			printf(", \"custodians\": [");
			for (size_t i = 0; i < ncu; i++) {
				printf("%s{\"custodian\": ", i ? ", " : "");
				cli_json_str(stdout, cu[i].name);
				printf(", \"records\": %llu}", (unsigned long long)cu[i].records);
			}
			printf("]");
		}
		printf("}\n");
	} else {
		printf("%-18s %llu\n%-18s %llu\n", "records", (unsigned long long)s.records,
		       "versions", (unsigned long long)s.versions);
		if (s.deleted_upstream)
			printf("%-18s %llu\n", "deleted upstream", (unsigned long long)s.deleted_upstream);
		printf("%-18s %s captured (original + normalized), %s stored (ratio %.3f), "
		       "%s on disk\n", "bytes",
		       cli_bytes(b1, sizeof b1, s.raw_bytes), cli_bytes(b2, sizeof b2, s.stored_bytes),
		       ratio, cli_bytes(b3, sizeof b3, s.file_bytes));
		printf("%-18s %llu (%s)\n", "media", (unsigned long long)s.blobs,
		       cli_bytes(b1, sizeof b1, s.blob_bytes));
		printf("%-18s %llu\n%-18s %llu\n%-18s %llu\n", "quarantined",
		       (unsigned long long)s.quarantined, "tombstones",
		       (unsigned long long)s.tombstones, "dictionaries",
		       (unsigned long long)s.dictionaries);
		if (!have_index)
			printf("%-18s unreadable: %s\n", "index", all.index_error);
		else if (lag)
			printf("%-18s lags the store by %llu record versions (run 'custos index')\n",
			       "index", (unsigned long long)lag);
		else
			printf("%-18s up to date (seq %llu)\n", "index", (unsigned long long)wm);
		if (s.n_platforms) {
			printf("\n%-12s %10s %10s %12s %12s %7s\n", "platform", "records", "versions",
			       "raw", "stored", "ratio");
			for (size_t i = 0; i < s.n_platforms; i++) {
				const custos_platform_stats_t *p = &s.platforms[i];
				printf("%-12s %10llu %10llu %12s %12s %7.3f\n", p->platform,
				       (unsigned long long)p->records, (unsigned long long)p->versions,
				       cli_bytes(b1, sizeof b1, p->raw_bytes),
				       cli_bytes(b2, sizeof b2, p->stored_bytes),
				       p->raw_bytes ? (double)p->stored_bytes / (double)p->raw_bytes : 0);
			}
		}
		if (custodians) {
			printf("\n%-32s %10s\n", "custodian", "records");
			for (size_t i = 0; i < ncu; i++)
				printf("%-32s %10llu\n", cu[i].name ? cu[i].name : "(none)",
				       (unsigned long long)cu[i].records);
		}
	}
	custos_custodians_free(cu, ncu);
	custos_stats_free(&all);
	cli_close(cli);
	return CLI_OK;
}
