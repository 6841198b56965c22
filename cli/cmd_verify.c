/* custos verify: recompute every hash and both chains. */
#include "cli.h"

#include <getopt.h>

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	cli_progress(ctx, "verifying", done, total);
}

int cmd_verify(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	const cli_command_t *cmd = cli_find("verify");
	custos_session_t *a = NULL;
	custos_verify_t v;
	bool json = false;
	int c, rc;
	char chain[CUSTOS_SHA256_HEX], head[CUSTOS_SHA256_HEX];

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage(cmd, NULL);
		json = true;
	}
	if (optind != argc)
		return cli_usage(cmd, "verify takes no arguments");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	int st = custos_archive_verify(a, on_progress, cli, &v);
	cli_progress_end(cli);
	custos_hex(chain, v.store.chain, sizeof v.store.chain);
	custos_hex(head, v.audit_head, sizeof v.audit_head);
	if (json) {
		printf("{\"ok\": %s, \"records\": %llu, \"blobs\": %llu, \"tombstones\": %llu, "
		       "\"quarantined\": %llu, \"dictionaries\": %llu, \"chain\": \"%s\", "
		       "\"audit_entries\": %llu, \"audit_head\": \"%s\", \"index_docs\": %llu, "
		       "\"index_lag\": %llu, \"index_disposed\": %llu, \"index_tables_checked\": %s, "
		       "\"audit_anchored\": %llu, \"problems\": %llu",
		       st == 0 ? "true" : "false", (unsigned long long)v.store.records,
		       (unsigned long long)v.store.blobs, (unsigned long long)v.store.tombstones,
		       (unsigned long long)v.store.quarantined,
		       (unsigned long long)v.store.dictionaries, chain,
		       (unsigned long long)v.audit_entries, head,
		       (unsigned long long)v.index_docs, (unsigned long long)v.index_lag,
		       (unsigned long long)v.index_disposed,
		       v.index_present && !v.index_unchecked ? "true" : "false",
		       (unsigned long long)v.audit_anchored,
		       (unsigned long long)v.problems);
		if (v.n_problem) {
			printf(", \"problem_list\": [");
			for (size_t i = 0; i < v.n_problem; i++) {
				printf("%s", i ? ", " : "");
				cli_json_str(stdout, v.problem[i]);
			}
			printf("]");
		}
		if (st < 0) {
			printf(", \"error\": ");
			cli_json_str(stdout, custos_session_err(a)->msg);
		}
		printf("}\n");
	} else if (st == 0) {
		printf("verified %llu record versions, %llu media blobs, %llu tombstones, "
		       "%llu quarantined items\nrecord chain head %s\n"
		       "audit chain: %llu entries, head %s\n",
		       (unsigned long long)v.store.records, (unsigned long long)v.store.blobs,
		       (unsigned long long)v.store.tombstones, (unsigned long long)v.store.quarantined,
		       chain, (unsigned long long)v.audit_entries, head);
		if (!v.index_present)
			printf("index: none yet (custos index builds it)\n");
		else if (v.index_lag)
			printf("index: %llu documents agree with the store; it lags by %llu record "
			       "versions (not an error: 'custos index' catches up)\n",
			       (unsigned long long)v.index_docs, (unsigned long long)v.index_lag);
		else
			printf("index: %llu documents agree with the store\n",
			       (unsigned long long)v.index_docs);
		if (v.index_disposed)
			printf("index: %llu documents of disposed records are still there: a "
			       "disposition run was cut short; rerun 'custos retention apply'\n",
			       (unsigned long long)v.index_disposed);
		if (v.index_unchecked)
			printf("index: its tables were not read through Xapian's checker, which needs "
			       "them writable (a read-only archive): the documents were checked, a "
			       "damaged block of a shard may go unnoticed\n");
	}
	if (st < 0 && v.n_problem > 1 && !json) {
		fprintf(stderr, "custos: verification failed: %llu problems:\n",
		        (unsigned long long)v.problems);
		for (size_t i = 0; i < v.n_problem; i++)
			fprintf(stderr, "  %s\n", v.problem[i]);
		if (v.problems > v.n_problem)
			fprintf(stderr, "  ... and %llu more\n",
			        (unsigned long long)(v.problems - v.n_problem));
		rc = CLI_FAIL;
	} else {
		rc = st < 0 ? cli_fail("verification failed: %s", custos_session_err(a)->msg) : CLI_OK;
	}
	custos_verify_free(&v);
	cli_close(cli);
	return rc;
}
