/* custos verify: recompute every hash and both chains; check a certificate
 * of disposal against the tombstones. */
#include "cli.h"

static const cli_option_t opts[] = {
	{ "certificate", 'c', "FILE", "Also check the certificate of disposal in FILE (from "
	  "'custos retention certificate') against the tombstones and the audit chain.",
	  CLI_ARG_FILE, NULL, false },
	{ "json", 'j', NULL, "Print the verdict and the counts as a JSON object.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_verify_subs[] = {
	{ NULL, "[--certificate FILE] [--json]", "Proves nothing was altered or lost: re-reads "
	  "every record, blob, dictionary and tombstone against its hash, recomputes the record "
	  "chain and the audit chain, checks the policy repository against what the store "
	  "anchored, each disposition run against its tombstones, and the index against the "
	  "store. Every problem is named; exit 1 when there is one.", opts, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

int cmd_verify(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("verify");
	custos_session_t *a = NULL;
	custos_verify_t v;
	const char *certificate = NULL;
	bool json = cli->json;
	int c, rc;
	char chain[CUSTOS_SHA256_HEX], head[CUSTOS_SHA256_HEX];

	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'c': certificate = optarg; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "verify takes no arguments");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	cli_progress_label(cli, "verifying");
	int st = custos_archive_verify(a, cli_progress_fn, cli, &v);
	cli_progress_end(cli);
	custos_err_t verr = *custos_session_err(a);
	custos_certificate_check_t cc = { 0 };
	custos_err_t cerr = { 0 };
	char certificate_what[1100];
	snprintf(certificate_what, sizeof certificate_what, "certificate %s",
	         certificate ? certificate : "");
	if (certificate && custos_archive_certificate_check(a, certificate, &cc) < 0) {
		/* the archive's verdict and the certificate's are told apart */
		cerr = *custos_session_err(a);
		if (st == 0)
			st = cerr.status;
	}
	custos_hex(chain, v.store.chain, sizeof v.store.chain);
	custos_hex(head, v.audit_head, sizeof v.audit_head);
	if (json) {
		printf("{\"ok\": %s, \"records\": %llu, \"versions\": %llu, \"tombstones\": %llu, "
		       "\"blobs\": %llu, \"quarantined\": %llu, \"dictionaries\": %llu, "
		       "\"chain\": \"%s\", \"audit_entries\": %llu, \"audit_head\": \"%s\", "
		       "\"index_docs\": %llu, \"index_lag\": %llu, \"index_disposed\": %llu, "
		       "\"index_tables_checked\": %s, \"audit_anchored\": %llu, "
		       "\"disposition_runs\": %llu, \"certificate_records\": %llu, \"problems\": %llu",
		       st == 0 ? "true" : "false", (unsigned long long)v.store.records,
		       (unsigned long long)v.store.versions, (unsigned long long)v.store.tombstones,
		       (unsigned long long)v.store.blobs, (unsigned long long)v.store.quarantined,
		       (unsigned long long)v.store.dictionaries, chain,
		       (unsigned long long)v.audit_entries, head,
		       (unsigned long long)v.index_docs, (unsigned long long)v.index_lag,
		       (unsigned long long)v.index_disposed,
		       v.index_present && !v.index_unchecked ? "true" : "false",
		       (unsigned long long)v.audit_anchored,
		       (unsigned long long)v.runs, (unsigned long long)cc.records,
		       (unsigned long long)v.problems);
		printf(", \"problem_list\": [");
		for (size_t i = 0; i < v.n_problem; i++) {
			printf("%s", i ? ", " : "");
			cli_json_str(stdout, v.problem[i]);
		}
		printf("]");
		if (st < 0) {
			const custos_err_t *e = v.problems ? &verr : &cerr;
			printf(", \"error\": ");
			cli_json_str(stdout, e->msg);
			printf(", \"status\": \"%s\"", custos_status_name(e->status));
		}
		printf("}\n");
		rc = st < 0 ? CLI_FAIL : CLI_OK;
		goto done;
	}
	if (st == 0) {
		printf("verified %llu records (%llu versions), %llu media blobs, %llu tombstones, "
		       "%llu quarantined items\nrecord chain head %s\n"
		       "audit chain: %llu entries, head %s\n",
		       (unsigned long long)v.store.records, (unsigned long long)v.store.versions,
		       (unsigned long long)v.store.blobs, (unsigned long long)v.store.tombstones,
		       (unsigned long long)v.store.quarantined, chain,
		       (unsigned long long)v.audit_entries, head);
		if (v.runs)
			printf("disposition runs: %llu, each matching its tombstones\n",
			       (unsigned long long)v.runs);
		if (certificate)
			printf("certificate %s: run %llu disposed of %llu records (%llu versions) as it "
			       "says\n", certificate, (unsigned long long)cc.run,
			       (unsigned long long)cc.records, (unsigned long long)cc.versions);
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
	if (st < 0 && cerr.status && !v.problems) {
		rc = cli_fail_in(&cerr, certificate_what);
	} else if (st < 0 && v.n_problem > 1) {
		fprintf(stderr, "custos: verification failed: %llu problems:\n",
		        (unsigned long long)v.problems);
		for (size_t i = 0; i < v.n_problem; i++) {
			fputs("  ", stderr);
			cli_print_text(stderr, v.problem[i], false);
			fputc('\n', stderr);
		}
		if (v.problems > v.n_problem)
			fprintf(stderr, "  ... and %llu more\n",
			        (unsigned long long)(v.problems - v.n_problem));
		rc = CLI_FAIL;
	} else {
		rc = st < 0 ? cli_fail_in(&verr, "verification failed") : CLI_OK;
		if (cerr.status && v.problems)
			cli_fail_in(&cerr, certificate_what);
	}
done:
	custos_verify_free(&v);
	cli_close(cli);
	return rc;
}
