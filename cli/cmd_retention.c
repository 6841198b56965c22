/* custos retention: what the schedule in force allows to be disposed of,
 * and the disposition run itself (docs/retention.md). */
#include "cli.h"

#include <getopt.h>
#include <string.h>

enum { OUT_TABLE, OUT_JSON, OUT_CSV };

static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void print_plan(const custos_retention_plan_t *pl, int out, size_t limit,
                       const custos_retention_apply_t *ap)
{
	char asof[40], ct[40], t1[40], t2[40];
	custos_time_format(asof, sizeof asof, pl->as_of);
	custos_time_format(ct, sizeof ct, pl->commit_time);
	if (out == OUT_CSV) {
		printf("id,created_at,expired_at,rule,policy_commit\n");
		for (size_t i = 0; i < pl->n; i++) {
			const custos_plan_entry_t *e = &pl->v[i];
			custos_time_format(t1, sizeof t1, e->created_at);
			custos_time_format(t2, sizeof t2, e->expiry);
			csv_field(e->id);
			printf(",%s,%s,", t1, t2);
			csv_field(pl->schedule->rules[e->rule].name);
			printf(",%s\n", pl->commit);
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
			printf(",\"seconds\":{\"plan\":%.3f,\"dispose\":%.3f,\"index\":%.3f}",
			       ap->plan_seconds, ap->dispose_seconds, ap->index_seconds);
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
		printf("%-24s %-8s %9llu %9llu %9llu %9llu\n", ru->name, ru->retain,
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
			printf("%-32s %-20.20s %-20.20s %s\n", e->id, t1, t2,
			       pl->schedule->rules[e->rule].name);
		}
		if (pl->n > limit)
			printf("... and %zu more (--json or --csv lists them all)\n", pl->n - limit);
	}
}

static int parse_common(const cli_command_t *cmd, int argc, char **argv, int64_t *as_of,
                        int *out, bool *yes, bool allow_yes, bool allow_csv)
{
	static const struct option opts[] = { { "as-of", required_argument, NULL, 'a' },
	                                      { "json", no_argument, NULL, 'j' },
	                                      { "csv", no_argument, NULL, 'c' },
	                                      { "yes", no_argument, NULL, 'y' },
	                                      { NULL, 0, NULL, 0 } };
	int c;
	*as_of = custos_time_now();
	*out = OUT_TABLE;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (cli_parse_time(optarg, as_of) < 0)
				return cli_usage(cmd, "--as-of: cannot read '%s' as a date", optarg);
			break;
		case 'j': *out = OUT_JSON; break;
		case 'c':
			if (!allow_csv)
				return cli_usage(cmd, "--csv is for retention plan");
			*out = OUT_CSV;
			break;
		case 'y':
			if (!allow_yes)
				return cli_usage(cmd, "--yes is for retention apply");
			*yes = true;
			break;
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
	if ((rc = parse_common(cmd, argc, argv, &as_of, &out, &yes, false, true)) != CLI_OK)
		return rc;
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	if (custos_archive_retention_plan(a, as_of, &pl) < 0)
		rc = cli_fail("cannot plan the disposition: %s", custos_session_err(a)->msg);
	else
		print_plan(pl, out, 50, NULL);
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
	if ((rc = parse_common(cmd, argc, argv, &as_of, &out, &yes, true, false)) != CLI_OK)
		return rc;
	if (!yes) {
		/* a dry run: the plan, and what --yes would do with it */
		if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
			return rc;
		if (custos_archive_retention_plan(a, as_of, &pl) < 0) {
			rc = cli_fail("cannot plan the disposition: %s", custos_session_err(a)->msg);
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
	if (custos_archive_retention_apply(a, as_of, &pl, &ap) < 0) {
		rc = cli_fail("disposition refused: %s", custos_session_err(a)->msg);
		if (pl && ap.records)
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
				printf("  %-24s %llu\n", pl->rules[r].name,
				       (unsigned long long)pl->rules[r].eligible);
	}
done:
	custos_retention_plan_free(pl);
	cli_close(cli);
	return rc;
}

int cmd_retention(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("retention");
	if (argc < 2)
		return cli_usage(cmd, "retention needs plan or apply");
	if (!strcmp(argv[1], "plan"))
		return retention_plan(cli, argc - 1, argv + 1);
	if (!strcmp(argv[1], "apply"))
		return retention_apply(cli, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown retention command '%s'", argv[1]);
}
