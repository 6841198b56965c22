/* custos export: a production of a query, a hold or a matter's tag, and
 * the re-verification of one (--verify). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	cli_t *cli;
} progress_ctx_t;

static void on_progress(void *ctx, const custos_export_progress_t *p)
{
	progress_ctx_t *pc = ctx;
	cli_progress(pc->cli, p->phase, p->done, p->total);
}

static int verify(const char *dir, bool json)
{
	custos_production_check_t c;
	custos_err_t err = { 0 };
	int rc = custos_production_verify(dir, &c, &err);
	if (rc < 0 && !c.problems) {
		custos_production_check_free(&c);
		return cli_fail_err(&err);
	}
	if (json) {
		printf("{\"dir\":");
		cli_json_str(stdout, dir);
		printf(",\"ok\":%s,\"files\":%llu,\"bytes\":%llu,\"records\":%llu,\"documents\":%llu,"
		       "\"load_lines\":%llu,\"rsmf_files\":%llu,\"pages\":%llu,\"problems\":[",
		       c.problems ? "false" : "true", (unsigned long long)c.files,
		       (unsigned long long)c.bytes, (unsigned long long)c.records,
		       (unsigned long long)c.documents, (unsigned long long)c.load_lines,
		       (unsigned long long)c.rsmf_files, (unsigned long long)c.pages);
		for (size_t i = 0; i < c.n_problem; i++) {
			printf("%s", i ? "," : "");
			cli_json_str(stdout, c.problem[i]);
		}
		printf("]}\n");
	} else {
		for (size_t i = 0; i < c.n_problem; i++) {
			fputs("problem: ", stdout);
			cli_print_text(stdout, c.problem[i], false);
			putchar('\n');
		}
		if (c.problems > c.n_problem)
			printf("... and %llu more problems\n",
			       (unsigned long long)(c.problems - c.n_problem));
		cli_printf(stdout, "%s: %llu files, %llu records, %llu documents, %llu load-file lines, "
		           "%llu RSMF files, %llu pages: %s\n", dir, (unsigned long long)c.files,
		           (unsigned long long)c.records, (unsigned long long)c.documents,
		           (unsigned long long)c.load_lines, (unsigned long long)c.rsmf_files,
		           (unsigned long long)c.pages, c.problems ? "NOT VERIFIED" : "verified");
	}
	custos_production_check_free(&c);
	if (rc < 0) {
		cli_fail("the production in '%s' does not verify: %s", dir, err.msg);
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cmd_export(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hold", required_argument, NULL, 'H' },
		{ "matter", required_argument, NULL, 'm' },
		{ "tag", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "bates", required_argument, NULL, 'b' },
		{ "start", required_argument, NULL, 's' },
		{ "with-thread", no_argument, NULL, 'T' },
		{ "images", no_argument, NULL, 'i' },
		{ "fields", required_argument, NULL, 'F' },
		{ "endorse", required_argument, NULL, 'e' },
		{ "verify", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const cli_command_t *cmd = cli_find("export");
	custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
	custos_export_summary_t sum;
	custos_session_t *s = NULL;
	custos_err_t err = { 0 };
	const char *out = NULL, *check = NULL, *format = NULL;
	bool json = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H': o.hold = optarg; break;
		case 'm': o.matter = optarg; break;
		case 't': o.tag = optarg; break;
		case 'f': format = optarg; break;
		case 'o': out = optarg; break;
		case 'b': o.prefix = optarg; break;
		case 's': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 999999999999ULL)
				return cli_usage(cmd, "--start takes a number from 1");
			o.start = v;
			break;
		}
		case 'T': o.with_thread = true; break;
		case 'i': o.images = true; break;
		case 'F': o.fields = optarg; break;
		case 'e': o.endorsement = optarg; break;
		case 'v': check = optarg; break;
		case 'j': json = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (check) {
		if (optind != argc || out || format)
			return cli_usage(cmd, "--verify DIR takes nothing else");
		return verify(check, json);
	}
	if (optind < argc)
		o.query = argv[optind++];
	if (optind != argc)
		return cli_usage(cmd, "export takes one QUERY (quote it)");
	if (!out || !format)
		return cli_usage(cmd, "export needs --format and --out DIR");
	/* an unknown format is bad usage; a missing export module is not */
	if ((rc = custos_export_formats_parse(&o.formats, format, &err)) < 0)
		return rc == CUSTOS_EINVAL ? cli_usage(cmd, "%s", err.msg) : cli_fail_err(&err);
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
		return rc;
	progress_ctx_t pc = { cli };
	o.progress = on_progress;
	o.ctx = &pc;
	rc = custos_archive_export(s, out, &o, &sum);
	cli_progress_end(cli);
	if (rc < 0) {
		rc = cli_fail("cannot export: %s", custos_session_err(s)->msg);
		cli_close(cli);
		return rc;
	}
	if (sum.not_produced)
		fprintf(stderr, "custos: warning: %llu selected record%s disposed of after the "
		        "search and %s not in the production (manifest.json, \"not_produced\", names "
		        "them)\n", (unsigned long long)sum.not_produced, sum.not_produced == 1 ?
		        " was" : "s were", sum.not_produced == 1 ? "is" : "are");
	if (json) {
		printf("{\"dir\":");
		cli_json_str(stdout, out);
		printf(",\"records\":%llu,\"documents\":%llu,\"attachments\":%llu,\"withheld\":%llu,"
		       "\"not_produced\":%llu,\"pages\":%llu,\"first\":\"%s\",\"last\":\"%s\","
		       "\"files\":%llu,\"bytes\":%llu,\"watermark\":%llu,\"manifest_sha256\":\"%s\"}\n",
		       (unsigned long long)sum.records, (unsigned long long)sum.documents,
		       (unsigned long long)sum.attachments, (unsigned long long)sum.withheld,
		       (unsigned long long)sum.not_produced, (unsigned long long)sum.pages, sum.first,
		       sum.last, (unsigned long long)sum.files, (unsigned long long)sum.bytes,
		       (unsigned long long)sum.watermark, sum.manifest_sha256);
	} else {
		char b[32];
		cli_printf(stdout, "produced %llu record%s as %llu documents (%s to %s) in %s: %llu files, %s\n",
		           (unsigned long long)sum.records, sum.records == 1 ? "" : "s",
		           (unsigned long long)sum.documents, sum.first, sum.last, out,
		           (unsigned long long)sum.files, cli_bytes(b, sizeof b, sum.bytes));
		if (sum.withheld)
			printf("withheld as privileged: %llu (PRIVILEGE_LOG.csv, PRIVILEGE_LOG.pdf)\n",
			       (unsigned long long)sum.withheld);
		printf("manifest.json SHA-256 %s (index watermark %llu)\n", sum.manifest_sha256,
		       (unsigned long long)sum.watermark);
	}
	cli_close(cli);
	return CLI_OK;
}
