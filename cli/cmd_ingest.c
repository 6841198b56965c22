/* custos ingest: capture files, folders and .zip exports. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* What the callbacks see: the command line, and the files not taken, kept
 * to be listed with the summary. */
typedef struct {
	cli_t *cli;
	char **not_taken;     /* file, why, file, why, ... */
	size_t n, cap;
} ingest_cli_t;

static void on_progress(void *ctx, uint64_t records, uint64_t bytes)
{
	ingest_cli_t *ic = ctx;
	cli_progress(ic->cli, "ingesting: records", records, 0);
}

static void on_warn(void *ctx, const char *file, const char *msg)
{
	ingest_cli_t *ic = ctx;
	cli_progress_end(ic->cli);
	fprintf(stderr, "custos: warning: %s: %s\n", file, msg);
}

static void on_not_taken(void *ctx, const char *file, const char *why)
{
	ingest_cli_t *ic = ctx;
	if (ic->n + 2 > ic->cap) {
		size_t nc = ic->cap ? ic->cap * 2 : 64;
		char **nv = realloc(ic->not_taken, nc * sizeof *nv);
		if (!nv)
			return;   /* the count and the audit entry still have it */
		ic->not_taken = nv;
		ic->cap = nc;
	}
	if (!(ic->not_taken[ic->n] = strdup(file)))
		return;
	if (!(ic->not_taken[ic->n + 1] = strdup(why))) {
		free(ic->not_taken[ic->n]);
		return;
	}
	ic->n += 2;
}

static void print_not_taken(const ingest_cli_t *ic, bool json)
{
	for (size_t i = 0; i < ic->n; i += 2) {
		if (json) {
			printf("%s{\"file\": ", i ? ", " : "");
			cli_json_str(stdout, ic->not_taken[i]);
			printf(", \"why\": ");
			cli_json_str(stdout, ic->not_taken[i + 1]);
			printf("}");
		} else {
			printf("  %s: %s\n", ic->not_taken[i], ic->not_taken[i + 1]);
		}
	}
}

static void print_summary(const custos_ingest_summary_t *s, const ingest_cli_t *ic, bool json,
                          const char *error)
{
	char chain[CUSTOS_SHA256_HEX];
	custos_hex(chain, s->chain, sizeof s->chain);
	if (json) {
		printf("{\"added\": %llu, \"versions\": %llu, \"unchanged\": %llu, "
		       "\"quarantined\": %llu, \"blobs\": %llu, \"batches\": %llu, "
		       "\"indexed\": %llu, \"first_seq\": %llu, \"last_seq\": %llu, \"chain\": \"%s\"",
		       (unsigned long long)s->added, (unsigned long long)s->versions,
		       (unsigned long long)s->unchanged, (unsigned long long)s->quarantined,
		       (unsigned long long)s->blobs, (unsigned long long)s->batches,
		       (unsigned long long)s->indexed, (unsigned long long)s->first_seq, (unsigned long long)s->last_seq,
		       s->batches ? chain : "");
		printf(", \"not_taken\": [");
		print_not_taken(ic, true);
		printf("]");
		if (error) {
			printf(", \"error\": ");
			cli_json_str(stdout, error);
		}
		printf("}\n");
		return;
	}
	printf("%-12s %llu\n%-12s %llu\n%-12s %llu\n%-12s %llu\n",
	       "added", (unsigned long long)s->added, "versions", (unsigned long long)s->versions,
	       "unchanged", (unsigned long long)s->unchanged,
	       "quarantined", (unsigned long long)s->quarantined);
	if (s->blobs)
		printf("%-12s %llu\n", "media", (unsigned long long)s->blobs);
	if (s->last_seq)
		printf("%-12s seq %llu..%llu, chain %.16s\n", "committed",
		       (unsigned long long)s->first_seq, (unsigned long long)s->last_seq, chain);
	if (s->not_taken) {
		printf("%-12s %llu\n", "not taken", (unsigned long long)s->not_taken);
		print_not_taken(ic, false);
	}
}

int cmd_ingest(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "skip-bad", no_argument, NULL, 's' },
		{ "no-index", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "batch", required_argument, NULL, 'b' },
		{ "custodian", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	ingest_cli_t ic = { .cli = cli };
	const cli_command_t *cmd = cli_find("ingest");
	custos_ingest_opts_t o = CUSTOS_INGEST_OPTS_INIT;
	custos_ingest_summary_t sum;
	custos_session_t *a = NULL;
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f': o.format = optarg; break;
		case 's': o.skip_bad = true; break;
		case 'n': o.no_index = true; break;
		case 'j': json = true; break;
		case 'b': o.batch_records = (size_t)strtoull(optarg, NULL, 10); break;
		case 'c': o.custodian = optarg; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "ingest needs at least one PATH");
	if (o.custodian && !*o.custodian)
		return cli_usage(cmd, "--custodian needs a name");
	o.progress = on_progress;
	o.warn = on_warn;
	o.not_taken = on_not_taken;
	o.ctx = &ic;
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT |
	                   (o.no_index ? CUSTOS_OPEN_NO_INDEX : 0), &a)) != CLI_OK)
		return rc;
	int st = custos_archive_ingest(a, (const char *const *)argv + optind,
	                               (size_t)(argc - optind), &o, &sum);
	cli_progress_end(cli);
	if (st < 0) {
		if (sum.batches) {
			fprintf(stderr, "custos: kept what was committed before the error:\n");
			print_summary(&sum, &ic, json, custos_session_err(a)->msg);
		} else if (json) {
			print_summary(&sum, &ic, true, custos_session_err(a)->msg);
		}
		rc = cli_fail_err(custos_session_err(a));
		/* an unknown --format: nothing was read, and it is bad usage */
		if (custos_session_err(a)->status == CUSTOS_EINVAL && !sum.batches)
			rc = CLI_USAGE;
	} else {
		print_summary(&sum, &ic, json, NULL);
	}
	cli_close(cli);
	for (size_t i = 0; i < ic.n; i++)
		free(ic.not_taken[i]);
	free(ic.not_taken);
	return rc;
}
