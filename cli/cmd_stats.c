/* custos stats: what the archive holds, and how compactly. */
#include "cli.h"

static const cli_option_t opts[] = {
	{ "json", 'j', NULL, "Print the counts as a JSON object.", 0, NULL, false },
	{ "custodians", 'c', NULL, "Also count the records of each custodian (ingest "
	  "--custodian), those without one last; this reads every record.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_stats_subs[] = {
	{ NULL, "[--json] [--custodians]", "Counts what the archive holds now: live records and their versions "
	  "(the same counts 'custos verify' checks), with the tombstones of disposed records "
	  "beside them, bytes, media, quarantine, dictionaries and the index's watermark, in "
	  "all and per platform. Reads counters kept with the data: instant at any size.",
	  opts, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

int cmd_stats(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("stats");
	custos_session_t *a = NULL;
	custos_stats_t all;
	custos_custodian_count_t *cu = NULL;
	size_t ncu = 0;
	bool json = cli->json, custodians = false;
	int c, rc;
	char b1[32], b2[32], b3[32];

	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1) {
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
		printf("{\"records\": %llu, \"versions\": %llu, \"tombstones\": %llu, "
		       "\"disposed_records\": %llu, \"deleted_upstream\": %llu, "
		       "\"raw_bytes\": %llu, \"stored_bytes\": %llu, \"file_bytes\": %llu, "
		       "\"disk_bytes\": %llu, "
		       "\"compression_ratio\": %.4f, \"blobs\": %llu, \"blob_bytes\": %llu, "
		       "\"quarantined\": %llu, \"dictionaries\": %llu, "
		       "\"last_seq\": %llu, \"index_watermark\": %llu, \"index_lag\": %llu, "
		       "\"platforms\": {",
		       (unsigned long long)s.records, (unsigned long long)s.versions,
		       (unsigned long long)s.tombstones, (unsigned long long)s.disposed_records,
		       (unsigned long long)s.deleted_upstream, (unsigned long long)s.raw_bytes,
		       (unsigned long long)s.stored_bytes, (unsigned long long)s.file_bytes,
		       (unsigned long long)s.disk_bytes, ratio,
		       (unsigned long long)s.blobs, (unsigned long long)s.blob_bytes,
		       (unsigned long long)s.quarantined, (unsigned long long)s.dictionaries,
		       (unsigned long long)s.last_seq, (unsigned long long)wm, (unsigned long long)lag);
		for (size_t i = 0; i < s.n_platforms; i++) {
			const custos_platform_stats_t *p = &s.platforms[i];
			printf("%s", i ? ", " : "");
			cli_json_str(stdout, p->platform);
			printf(": {\"records\": %llu, \"versions\": %llu, \"tombstones\": %llu, "
			       "\"raw_bytes\": %llu, \"stored_bytes\": %llu}",
			       (unsigned long long)p->records, (unsigned long long)p->versions,
			       (unsigned long long)p->tombstones, (unsigned long long)p->raw_bytes,
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
		if (s.tombstones)
			printf("%-18s %llu (of %llu records disposed of)\n", "tombstones",
			       (unsigned long long)s.tombstones, (unsigned long long)s.disposed_records);
		if (s.deleted_upstream)
			printf("%-18s %llu\n", "deleted upstream", (unsigned long long)s.deleted_upstream);
		char b4[32];
		printf("%-18s %s captured (original + normalized), %s stored (ratio %.3f), "
		       "files %s (%s on disk)\n", "bytes",
		       cli_bytes(b1, sizeof b1, s.raw_bytes), cli_bytes(b2, sizeof b2, s.stored_bytes),
		       ratio, cli_bytes(b3, sizeof b3, s.file_bytes),
		       cli_bytes(b4, sizeof b4, s.disk_bytes));
		printf("%-18s %llu (%s)\n", "media", (unsigned long long)s.blobs,
		       cli_bytes(b1, sizeof b1, s.blob_bytes));
		printf("%-18s %llu\n%-18s %llu\n", "quarantined",
		       (unsigned long long)s.quarantined, "dictionaries",
		       (unsigned long long)s.dictionaries);
		if (!have_index)
			cli_printf(stdout, "%-18s unreadable: %s\n", "index", all.index_error);
		else if (lag)
			printf("%-18s lags the store by %llu record versions (run 'custos index')\n",
			       "index", (unsigned long long)lag);
		else
			printf("%-18s up to date (seq %llu)\n", "index", (unsigned long long)wm);
		if (s.n_platforms) {
			printf("\n%-12s %10s %10s %10s %12s %12s %7s\n", "platform", "records", "versions",
			       "tombstones", "raw", "stored", "ratio");
			for (size_t i = 0; i < s.n_platforms; i++) {
				const custos_platform_stats_t *p = &s.platforms[i];
				cli_printf(stdout, "%-12s %10llu %10llu %10llu %12s %12s %7.3f\n", p->platform,
				           (unsigned long long)p->records, (unsigned long long)p->versions,
				           (unsigned long long)p->tombstones,
				           cli_bytes(b1, sizeof b1, p->raw_bytes),
				           cli_bytes(b2, sizeof b2, p->stored_bytes),
				           p->raw_bytes ? (double)p->stored_bytes / (double)p->raw_bytes : 0);
			}
		}
		if (custodians) {
			printf("\n%-32s %10s\n", "custodian", "records");
			for (size_t i = 0; i < ncu; i++) {
				custos_buf_t b = { 0 };
				custos_buf_printf(&b, "%-32s %10llu", cu[i].name ? cu[i].name : "(none)",
				                  (unsigned long long)cu[i].records);
				cli_print_text(stdout, b.data ? b.data : "", false);
				custos_buf_free(&b);
				putchar('\n');
			}
		}
	}
	custos_custodians_free(cu, ncu);
	custos_stats_free(&all);
	cli_close(cli);
	return CLI_OK;
}
