/* custos ingest: capture files, folders and .zip exports. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void on_progress(void *ctx, uint64_t records, uint64_t bytes)
{
	cli_progress(ctx, "ingesting: records", records, 0);
}

static void on_warn(void *ctx, const char *file, const char *msg)
{
	cli_t *cli = ctx;
	cli_progress_end(cli);
	fprintf(stderr, "custos: warning: %s: %s\n", file, msg);
}

static void print_summary(const custos_ingest_summary_t *s, bool json, const char *error)
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
}

int cmd_ingest(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "skip-bad", no_argument, NULL, 's' },
		{ "no-index", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
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
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "ingest needs at least one PATH");
	o.progress = on_progress;
	o.warn = on_warn;
	o.ctx = cli;
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT |
	                   (o.no_index ? CUSTOS_OPEN_NO_INDEX : 0), &a)) != CLI_OK)
		return rc;
	int st = custos_archive_ingest(a, (const char *const *)argv + optind,
	                               (size_t)(argc - optind), &o, &sum);
	cli_progress_end(cli);
	if (st < 0) {
		if (sum.batches) {
			fprintf(stderr, "custos: kept what was committed before the error:\n");
			print_summary(&sum, json, custos_session_err(a)->msg);
		} else if (json) {
			print_summary(&sum, true, custos_session_err(a)->msg);
		}
		rc = cli_fail_err(custos_session_err(a));
		/* an unknown --format: nothing was read, and it is bad usage */
		if (custos_session_err(a)->status == CUSTOS_EINVAL && !sum.batches)
			rc = CLI_USAGE;
	} else {
		print_summary(&sum, json, NULL);
	}
	cli_close(cli);
	return rc;
}
