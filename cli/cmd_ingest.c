/* custos ingest: capture files, folders and .zip exports. */
#include "cli.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const cli_option_t opts[] = {
	{ "format", 'f', "F", "Read every input as format F instead of recognising it: "
	  "auto (the default), or one of the formats listed below.", CLI_ARG_FORMAT, NULL, true },
	{ "custodian", 'c', "NAME", "Record NAME as the custodian of every record taken: whose "
	  "collection this is (a person or team, not the platform account).", CLI_ARG_TEXT, NULL,
	  false },
	{ "skip-bad", 's', NULL, "Set a malformed item aside in the quarantine, with its bytes, "
	  "and go on; without it the first one stops the ingest.", 0, NULL, false },
	{ "no-index", 'n', NULL, "Answer once the records are stored, leaving the search index "
	  "behind until 'custos index' (a bulk load).", 0, NULL, false },
	{ "batch", 'b', "N", "Commit at most N records per transaction (default 2000).",
	  CLI_ARG_TEXT, NULL, false },
	{ "json", 'j', NULL, "Print the summary, with the files not taken, as a JSON object.", 0,
	  NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_ingest_subs[] = {
	{ NULL, "[--format F] [--custodian NAME] [--skip-bad] [--no-index] [--json] PATH...",
	  "Captures every record of the files, folders and .zip exports named (a folder is a "
	  "collection: every export inside it, at any depth): each record with its original "
	  "bytes, a new version when it changed, nothing when it did not. Every file not taken "
	  "is listed with the reason. Exits 0 only once everything is durably committed.", opts,
	  CLI_ARG_FILE },
	{ NULL, NULL, NULL, NULL, 0 }
};

/* What the callbacks see: the command line, and the files not taken, kept
 * to be listed with the summary. */
typedef struct {
	cli_t *cli;
	char **not_taken;     /* file, why, file, why, ... */
	size_t n, cap;
} ingest_cli_t;

/* The bytes of the inputs, for the share done and the time left. nftw's
 * callback has no context: the one ingest of a process counts here. */
static uint64_t input_bytes;

static int add_size(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)path;
	(void)f;
	if (type == FTW_F && S_ISREG(sb->st_mode))
		input_bytes += (uint64_t)sb->st_size;
	return 0;
}

static void on_progress(void *ctx, uint64_t records, uint64_t bytes)
{
	ingest_cli_t *ic = ctx;
	cli_progress_bytes(ic->cli, "ingesting", records, bytes, input_bytes);
}

static void on_warn(void *ctx, const char *file, const char *msg)
{
	ingest_cli_t *ic = ctx;
	cli_progress_end(ic->cli);
	cli_printf(stderr, "custos: warning: %s: %s\n", file, msg);
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
			cli_printf(stdout, "  %s: %s\n", ic->not_taken[i], ic->not_taken[i + 1]);
		}
	}
}

static void print_summary(const custos_ingest_summary_t *s, const ingest_cli_t *ic, bool json,
                          const custos_err_t *err)
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
		       (unsigned long long)s->indexed, (unsigned long long)s->first_seq,
		       (unsigned long long)s->last_seq, s->batches ? chain : "");
		printf(", \"not_taken\": [");
		print_not_taken(ic, true);
		printf("]");
		if (err) {
			/* the error object's two fields, beside what was committed */
			printf(", \"error\": ");
			cli_json_str(stdout, err->msg);
			printf(", \"status\": \"%s\"", custos_status_name(err->status));
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
	ingest_cli_t ic = { .cli = cli };
	const cli_command_t *cmd = cli_find("ingest");
	custos_ingest_opts_t o = CUSTOS_INGEST_OPTS_INIT;
	custos_ingest_summary_t sum;
	custos_session_t *a = NULL;
	bool json = cli->json;
	int c, rc;

	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1) {
		switch (c) {
		case 'f': o.format = optarg; break;
		case 's': o.skip_bad = true; break;
		case 'n': o.no_index = true; break;
		case 'j': json = true; break;
		case 'c': o.custodian = optarg; break;
		case 'b': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 1000000)
				return cli_usage(cmd, "--batch takes a number from 1 to 1000000");
			o.batch_records = (size_t)v;
			break;
		}
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
	input_bytes = 0;
	for (int i = optind; i < argc; i++)
		nftw(argv[i], add_size, 16, FTW_PHYS);
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT |
	                   (o.no_index ? CUSTOS_OPEN_NO_INDEX : 0), &a)) != CLI_OK)
		return rc;
	int st = custos_archive_ingest(a, (const char *const *)argv + optind,
	                               (size_t)(argc - optind), &o, &sum);
	cli_progress_end(cli);
	if (st < 0) {
		const custos_err_t *err = custos_session_err(a);
		/* an unknown --format: nothing was read, and it is bad usage */
		bool usage = err->status == CUSTOS_EINVAL && !sum.batches;
		if (json && sum.batches) {
			print_summary(&sum, &ic, true, err);
			rc = CLI_FAIL;
		} else if (usage) {
			rc = cli_usage(cmd, "%s", err->msg);
		} else {
			if (sum.batches) {
				fprintf(stderr, "custos: kept what was committed before the error:\n");
				print_summary(&sum, &ic, false, NULL);
			}
			rc = cli_fail_err(err);
		}
	} else {
		print_summary(&sum, &ic, json, NULL);
	}
	cli_close(cli);
	for (size_t i = 0; i < ic.n; i++)
		free(ic.not_taken[i]);
	free(ic.not_taken);
	return rc;
}
