/* custos retention: what the schedule in force allows to be disposed of,
 * and the disposition run itself (docs/retention.md). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const cli_option_t plan_opts[] = {
	{ "as-of", 'a', "DATE", "Plan as of DATE (a bare date is midnight UTC) instead of now; a "
	  "future date shows what will fall due.", CLI_ARG_TEXT, NULL, false },
	{ "json", 'j', NULL, "Print the plan as a JSON object, every eligible record listed.", 0,
	  NULL, false },
	{ "csv", 'c', NULL, "Print the eligible records as CSV: id, created_at, expired_at, rule, "
	  "policy_commit.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t apply_opts[] = {
	{ "as-of", 'a', "DATE", "Dispose of what is past retention as of DATE (not in the "
	  "future) instead of now.", CLI_ARG_TEXT, NULL, false },
	{ "yes", 'y', NULL, "Dispose for real; without it apply only prints what it would do.",
	  0, NULL, false },
	{ "json", 'j', NULL, "Print the plan and what was disposed of as a JSON object.", 0, NULL,
	  false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};
static const cli_option_t log_opts[] = {
	{ "json", 'j', NULL, "Print the runs and the tombstones as a JSON object.", 0, NULL,
	  false },
	{ "csv", 'c', NULL, "Print one CSV row per tombstone: run, id, version, platform, "
	  "account, created_at, rule, policy_commit, disposed_at, actor, content_sha256.", 0,
	  NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_retention_subs[] = {
	{ "plan", "[--as-of DATE] [--json|--csv]", "Lists the records past retention under the "
	  "schedule in force and covered by no hold, with the deciding rule and the policy "
	  "commit, and a summary per rule.", plan_opts, CLI_ARG_TEXT },
	{ "apply", "[--as-of DATE] [--json] --yes", "Disposes of exactly what the plan lists now: "
	  "each record's every version is replaced by a tombstone and its keys destroyed. "
	  "Refused while the index lags the store.", apply_opts, CLI_ARG_TEXT },
	{ "log", "[--json|--csv]", "Lists every disposition run (number, time, actor, as-of, "
	  "policy commit, records, status) and every tombstone (id, platform, account, created, "
	  "rule, policy commit, time, actor).", log_opts, CLI_ARG_TEXT },
	{ "certificate", "RUN", "Prints the certificate of disposal of run RUN as JSON: every "
	  "version it disposed of with its content hash, their digest, and the audit entry that "
	  "recorded the same digest. 'custos verify --certificate FILE' checks one.", NULL,
	  CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

enum { OUT_TABLE = CLI_OUT_TABLE, OUT_JSON = CLI_OUT_JSON, OUT_CSV = CLI_OUT_CSV };

static void print_plan(const custos_retention_plan_t *pl, int out, size_t limit,
                       const custos_retention_apply_t *ap)
{
	char asof[40], ct[40], t1[40], t2[40];
	custos_time_format(asof, sizeof asof, pl->as_of);
	custos_time_format(ct, sizeof ct, pl->commit_time);
	if (out == OUT_CSV) {
		const char *h[] = { "id", "created_at", "expired_at", "rule", "policy_commit" };
		cli_csv_row(stdout, h, 5);
		for (size_t i = 0; i < pl->n; i++) {
			const custos_plan_entry_t *e = &pl->v[i];
			custos_time_format(t1, sizeof t1, e->created_at);
			custos_time_format(t2, sizeof t2, e->expiry);
			const char *f[] = { e->id, t1, t2, pl->schedule->rules[e->rule].name, pl->commit };
			cli_csv_row(stdout, f, 5);
		}
		return;
	}
	if (out == OUT_JSON) {
		printf("{\"as_of\":\"%s\",\"policy_commit\":\"%s\",\"policy_time\":\"%s\","
		       "\"records_indexed\":%llu,\"undated\":%llu,\"eligible\":%zu,\"held\":%llu",
		       asof, pl->commit, ct, (unsigned long long)pl->records,
		       (unsigned long long)pl->undated, pl->n, (unsigned long long)pl->held);
		if (ap)
			printf(",\"disposed\":{\"records\":%llu,\"versions\":%llu,\"blobs\":%llu,"
			       "\"dictionaries\":%llu,\"recompressed\":%llu,\"trained\":%llu}",
			       (unsigned long long)ap->records, (unsigned long long)ap->versions,
			       (unsigned long long)ap->blobs, (unsigned long long)ap->dictionaries,
			       (unsigned long long)ap->recompressed, (unsigned long long)ap->trained);
		if (ap)
			printf(",\"index\":{\"partitions_dropped\":%u,\"documents_dropped\":%llu,"
			       "\"partitions_rebuilt\":%u}", ap->index_parts_dropped,
			       (unsigned long long)ap->index_dropped, ap->index_parts_rebuilt);
		if (ap)
			printf(",\"seconds\":{\"plan\":%.3f,\"dispose\":%.3f,\"index\":%.3f},"
			       "\"run\":%llu,\"digest\":\"%s\"", ap->plan_seconds, ap->dispose_seconds,
			       ap->index_seconds, (unsigned long long)ap->run, ap->digest);
		printf(",\"rules\":[");
		for (size_t r = 0; r < pl->n_rules; r++) {
			const custos_plan_rule_t *ru = &pl->rules[r];
			printf("%s{\"name\":", r ? "," : "");
			cli_json_str(stdout, ru->name);
			printf(",\"match\":");
			cli_json_str(stdout, pl->schedule->rules[r].match);
			printf(",\"retain\":\"%s\",\"matched\":%llu,\"deciding\":%llu,\"eligible\":%llu,"
			       "\"held\":%llu}", ru->retain, (unsigned long long)ru->matched,
			       (unsigned long long)ru->deciding, (unsigned long long)ru->eligible,
			       (unsigned long long)ru->held);
		}
		printf("],\"records\":[");
		for (size_t i = 0; i < pl->n; i++) {
			const custos_plan_entry_t *e = &pl->v[i];
			custos_time_format(t1, sizeof t1, e->created_at);
			custos_time_format(t2, sizeof t2, e->expiry);
			printf("%s{\"id\":", i ? "," : "");
			cli_json_str(stdout, e->id);
			printf(",\"created_at\":\"%s\",\"expired_at\":\"%s\",\"rule\":", t1, t2);
			cli_json_str(stdout, pl->schedule->rules[e->rule].name);
			printf(",\"policy_commit\":\"%s\"}", pl->commit);
		}
		printf("]}\n");
		return;
	}
	printf("retention as of %s\nschedule: commit %s (%s)\n\n", asof, pl->commit, ct);
	printf("%-24s %-8s %9s %9s %9s %9s\n", "rule", "retain", "matched", "deciding", "eligible",
	       "held");
	for (size_t r = 0; r < pl->n_rules; r++) {
		const custos_plan_rule_t *ru = &pl->rules[r];
		cli_printf(stdout, "%-24s %-8s %9llu %9llu %9llu %9llu\n", ru->name, ru->retain,
		           (unsigned long long)ru->matched, (unsigned long long)ru->deciding,
		           (unsigned long long)ru->eligible, (unsigned long long)ru->held);
	}
	printf("\n%zu of %llu records past retention and under no hold; %llu more kept by "
	       "legal holds\n", pl->n, (unsigned long long)pl->records,
	       (unsigned long long)pl->held);
	if (pl->undated)
		printf("%llu of the records are undated: retained from their capture time\n",
		       (unsigned long long)pl->undated);
	if (pl->n) {
		printf("\n%-32s %-20s %-20s %s\n", "id", "created", "retention ended", "rule");
		for (size_t i = 0; i < pl->n && i < limit; i++) {
			const custos_plan_entry_t *e = &pl->v[i];
			custos_time_format(t1, sizeof t1, e->created_at);
			custos_time_format(t2, sizeof t2, e->expiry);
			cli_printf(stdout, "%-32s %-20.20s %-20.20s %s\n", e->id, t1, t2,
			           pl->schedule->rules[e->rule].name);
		}
		if (pl->n > limit)
			printf("... and %zu more (--json or --csv lists them all)\n", pl->n - limit);
	}
}

static int parse_common(cli_t *cli, const cli_command_t *cmd, const char *sub, int argc,
                        char **argv, int64_t *as_of, int *out, bool *yes)
{
	int c, rc;
	*as_of = custos_time_now();
	*out = cli->json ? OUT_JSON : OUT_TABLE;
	while ((c = cli_getopt(cli, cmd, sub, argc, argv)) != -1) {
		switch (c) {
		case 'a':
			if (cli_parse_time(optarg, as_of) < 0)
				return cli_usage(cmd, "--as-of: cannot read '%s' as a date", optarg);
			break;
		case 'j':
		case 'c':
			if ((rc = cli_out(cmd, out, c)) != CLI_OK)
				return rc;
			break;
		case 'y': *yes = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
	return CLI_OK;
}

static int retention_plan(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("retention");
	custos_session_t *a = NULL;
	custos_retention_plan_t *pl = NULL;
	int64_t as_of;
	int out, rc;
	bool yes = false;
	if ((rc = parse_common(cli, cmd, "plan", argc, argv, &as_of, &out, &yes)) != CLI_OK)
		return rc;
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	cli_progress_label(cli, "planning");
	if (custos_archive_retention_plan(a, as_of, &pl) < 0) {
		cli_progress_end(cli);
		rc = cli_fail_in(custos_session_err(a), "cannot plan the disposition");
	} else {
		cli_progress_end(cli);
		print_plan(pl, out, 50, NULL);
	}
	custos_retention_plan_free(pl);
	cli_close(cli);
	return rc;
}

static int retention_apply(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("retention");
	custos_session_t *a = NULL;
	custos_retention_plan_t *pl = NULL;
	custos_retention_apply_t ap;
	int64_t as_of;
	int out, rc;
	bool yes = false;
	if ((rc = parse_common(cli, cmd, "apply", argc, argv, &as_of, &out, &yes)) != CLI_OK)
		return rc;
	if (!yes) {
		/* a dry run: the plan, and what --yes would do with it */
		if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
			return rc;
		cli_progress_label(cli, "planning");
		int st = custos_archive_retention_plan(a, as_of, &pl);
		cli_progress_end(cli);
		if (st < 0) {
			rc = cli_fail_in(custos_session_err(a), "cannot plan the disposition");
		} else {
			print_plan(pl, out, 50, NULL);
			if (out == OUT_TABLE)
				printf("\nnothing disposed: 'custos retention apply --yes' would dispose of "
				       "these %zu records\n", pl->n);
		}
		goto done;
	}
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE, &a)) != CLI_OK)
		return rc;
	cli_progress_label(cli, "disposing");
	int st = custos_archive_retention_apply(a, as_of, &pl, &ap);
	cli_progress_end(cli);
	if (st < 0) {
		rc = cli_fail_in(custos_session_err(a), "disposition refused");
		if (pl && ap.records && !cli->json)
			fprintf(stderr, "custos: %llu records were disposed of before the failure; "
			        "run the same command again to finish\n", (unsigned long long)ap.records);
		goto done;
	}
	if (out == OUT_JSON) {
		print_plan(pl, out, 0, &ap);
	} else {
		printf("disposed of %llu records (%llu versions), %llu media blobs; retired %llu "
		       "dictionaries (%llu records recompressed, %llu new dictionaries)\n"
		       "under policy commit %s; %llu records kept by legal holds\n",
		       (unsigned long long)ap.records,
		       (unsigned long long)ap.versions, (unsigned long long)ap.blobs,
		       (unsigned long long)ap.dictionaries, (unsigned long long)ap.recompressed,
		       (unsigned long long)ap.trained,
		       pl->commit, (unsigned long long)pl->held);
		for (size_t r = 0; r < pl->n_rules; r++)
			if (pl->rules[r].eligible)
				cli_printf(stdout, "  %-24s %llu\n", pl->rules[r].name,
				           (unsigned long long)pl->rules[r].eligible);
		printf("disposition run %llu: 'custos retention certificate %llu' proves it\n",
		       (unsigned long long)ap.run, (unsigned long long)ap.run);
	}
done:
	custos_retention_plan_free(pl);
	cli_close(cli);
	return rc;
}

static void run_json(const custos_run_t *r)
{
	char t1[40], t2[40];
	custos_time_format(t1, sizeof t1, r->started_at);
	custos_time_format(t2, sizeof t2, r->as_of);
	printf("{\"run\":%llu,\"started_at\":\"%s\",\"as_of\":\"%s\",\"policy_commit\":\"%s\","
	       "\"actor\":", (unsigned long long)r->run, t1, t2, r->commit);
	cli_json_str(stdout, r->actor);
	printf(",\"eligible\":%llu,\"records\":%llu,\"versions\":%llu,\"status\":\"%s\","
	       "\"audit_entry\":%llu,\"audit_sha256\":\"%s\",\"digest\":\"%s\"}",
	       (unsigned long long)r->eligible, (unsigned long long)r->records,
	       (unsigned long long)r->versions, r->status, (unsigned long long)r->audit_n,
	       r->audit_sha256, r->digest);
}

static int retention_log(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("retention");
	custos_session_t *a = NULL;
	custos_retention_log_t l;
	int64_t as_of;
	int out, rc;
	bool yes = false;
	if ((rc = parse_common(cli, cmd, "log", argc, argv, &as_of, &out, &yes)) != CLI_OK)
		return rc;
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_retention_log(a, &l) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		goto done;
	}
	if (out == OUT_JSON) {
		printf("{\"runs\":[");
		for (size_t i = 0; i < l.n_runs; i++) {
			printf("%s", i ? "," : "");
			run_json(&l.runs[i]);
		}
		printf("],\"tombstones\":[");
		/* the tombstone object, as show prints it */
		for (size_t i = 0; i < l.n; i++)
			printf("%s%s", i ? "," : "", l.v[i].json);
		printf("]}\n");
	} else if (out == OUT_CSV) {
		const char *h[] = { "run", "id", "version", "platform", "account", "created_at", "rule",
		                    "policy_commit", "disposed_at", "actor", "content_sha256" };
		cli_csv_row(stdout, h, 11);
		for (size_t i = 0; i < l.n; i++) {
			const custos_tombstone_t *t = &l.v[i];
			char run[32], ver[16], t1[40], t2[40];
			snprintf(run, sizeof run, "%llu", (unsigned long long)t->run);
			snprintf(ver, sizeof ver, "%u", t->version);
			custos_time_format(t1, sizeof t1, t->created_at);
			custos_time_format(t2, sizeof t2, t->disposed_at);
			const char *f[] = { t->run ? run : "", t->id, ver, t->platform, t->account, t1,
			                    t->rule, t->commit, t2, t->actor, t->content_sha256 };
			cli_csv_row(stdout, f, 11);
		}
	} else {
		if (!l.n_runs && !l.n) {
			printf("no disposition run yet\n");
			goto freelog;
		}
		printf("%-5s %-20s %-16s %-20s %-12s %8s %8s  %s\n", "run", "started", "actor",
		       "as of", "commit", "records", "versions", "status");
		for (size_t i = 0; i < l.n_runs; i++) {
			const custos_run_t *r = &l.runs[i];
			char t1[40], t2[40];
			custos_time_format(t1, sizeof t1, r->started_at);
			custos_time_format(t2, sizeof t2, r->as_of);
			custos_buf_t b = { 0 };
			custos_buf_printf(&b, "%-5llu %-20.20s %-16.16s %-20.20s %-12.12s %8llu %8llu  %s",
			                  (unsigned long long)r->run, t1, r->actor ? r->actor : "", t2,
			                  r->commit, (unsigned long long)r->records,
			                  (unsigned long long)r->versions, r->status);
			cli_print_text(stdout, b.data ? b.data : "", false);
			custos_buf_free(&b);
			putchar('\n');
		}
		printf("\n%-5s %-28s %3s %-9s %-14s %-20s %-14s %-12s %-20s %s\n", "run", "id", "v",
		       "platform", "account", "created", "rule", "commit", "disposed", "actor");
		for (size_t i = 0; i < l.n; i++) {
			const custos_tombstone_t *t = &l.v[i];
			char t1[40], t2[40], run[32];
			custos_time_format(t1, sizeof t1, t->created_at);
			custos_time_format(t2, sizeof t2, t->disposed_at);
			snprintf(run, sizeof run, "%llu", (unsigned long long)t->run);
			custos_buf_t b = { 0 };
			custos_buf_printf(&b, "%-5s %-28s %3u %-9s %-14s %-20.20s %-14s %-12.12s %-20.20s %s",
			                  t->run ? run : "-", t->id, t->version, t->platform ? t->platform : "",
			                  t->account ? t->account : "", t1, t->rule ? t->rule : "",
			                  t->commit ? t->commit : "", t2, t->actor ? t->actor : "");
			cli_print_text(stdout, b.data ? b.data : "", false);
			custos_buf_free(&b);
			putchar('\n');
		}
	}
freelog:
	custos_retention_log_free(&l);
done:
	cli_close(cli);
	return rc;
}

static int retention_certificate(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("retention");
	custos_session_t *a = NULL;
	char *cert = NULL, *end;
	int c, rc;
	while ((c = cli_getopt(cli, cmd, "certificate", argc, argv)) != -1)
		return cli_usage(cmd, NULL);
	if (optind != argc - 1)
		return cli_usage(cmd, "retention certificate needs one RUN (custos retention log "
		                 "lists them)");
	unsigned long long run = strtoull(argv[optind], &end, 10);
	if (!*argv[optind] || *end || !run)
		return cli_usage(cmd, "'%s' is not a run number", argv[optind]);
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_retention_certificate(a, run, &cert) < 0)
		rc = cli_fail_err(custos_session_err(a));
	else
		fputs(cert, stdout);
	free(cert);
	cli_close(cli);
	return rc;
}

int cmd_retention(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("retention");
	if (argc < 2)
		return cli_usage(cmd, "retention needs plan, apply, log or certificate");
	if (!strcmp(argv[1], "plan"))
		return retention_plan(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "apply"))
		return retention_apply(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "log"))
		return retention_log(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "certificate"))
		return retention_certificate(cli, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown retention command '%s'", argv[1]);
}
