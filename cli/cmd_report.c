/* custos report terms: the e-discovery search-term report. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const cli_option_t opts[] = {
	{ "json", 'j', NULL, "Print the report as a JSON object.", 0, NULL, false },
	{ "csv", 'c', NULL, "Print the report as CSV: line, query, hits, unique, and a last row "
	  "with the distinct records.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_report_subs[] = {
	{ "terms", "[--json|--csv] FILE", "The e-discovery search-term report: for each query "
	  "of FILE (one a line; blank lines separate groups), the records it matches (hits) and "
	  "those no other query of the file matches (unique), and the records any of them "
	  "matches, all at one index watermark. The file's SHA-256 and the watermark are "
	  "printed and audited, so the report can be reproduced.", opts, CLI_ARG_FILE },
	{ NULL, NULL, NULL, NULL, 0 }
};

enum { OUT_TABLE = CLI_OUT_TABLE, OUT_JSON = CLI_OUT_JSON, OUT_CSV = CLI_OUT_CSV };

int cmd_report(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("report");
	custos_session_t *a = NULL;
	int out = cli->json ? OUT_JSON : OUT_TABLE, c, rc = CLI_OK;
	char **queries = NULL;
	size_t *lines = NULL, n = 0, cap = 0;
	uint64_t *hits = NULL, *unique = NULL, distinct = 0, wm = 0;
	char *line = NULL;
	size_t lcap = 0;
	custos_sha256_ctx_t sha;
	uint8_t digest[CUSTOS_SHA256_LEN];
	char hex[CUSTOS_SHA256_HEX];

	if (argc < 2 || strcmp(argv[1], "terms") != 0)
		return cli_usage(cmd, "report needs 'terms FILE'");
	argc--;
	argv++;
	while ((c = cli_getopt(cli, cmd, "terms", argc, argv)) != -1) {
		switch (c) {
		case 'j':
		case 'c':
			if ((rc = cli_out(cmd, &out, c)) != CLI_OK)
				return rc;
			break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, "report terms needs one FILE");
	const char *file = argv[optind];
	FILE *f = fopen(file, "r");
	if (!f)
		return cli_fail("cannot open '%s': %s", file, strerror(errno));
	custos_sha256_init(&sha);
	ssize_t len;
	size_t lineno = 0;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		custos_sha256_update(&sha, line, (size_t)len);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		const char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			continue;  /* blank lines separate groups of terms; they are not queries */
		if (custos_utf8_check(line, (size_t)len) != (size_t)len) {
			rc = cli_fail("%s:%zu: invalid UTF-8", file, lineno);
			goto done;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nq = realloc(queries, cap * sizeof *nq);
			size_t *nl = realloc(lines, cap * sizeof *nl);
			if (nq)
				queries = nq;
			if (nl)
				lines = nl;
			if (!nq || !nl) {
				rc = cli_fail("out of memory");
				goto done;
			}
		}
		if (!(queries[n] = strdup(line))) {
			rc = cli_fail("out of memory");
			goto done;
		}
		lines[n++] = lineno;
	}
	if (ferror(f)) {
		rc = cli_fail("cannot read '%s': %s", file, strerror(errno));
		goto done;
	}
	custos_sha256_final(&sha, digest);
	custos_hex(hex, digest, sizeof digest);
	if (n == 0) {
		rc = cli_fail("%s: no queries (one query per line)", file);
		goto done;
	}
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		goto done;
	custos_term_report_t tr;
	if (custos_archive_report_terms(a, (const char *const *)queries, n, file, hex, &tr) < 0) {
		char where[1100];
		snprintf(where, sizeof where, "%s:%zu", file, tr.bad < n ? lines[tr.bad] : 0);
		if (tr.bad < n)
			rc = cli_fail_in(custos_session_err(a), where);
		else
			rc = cli_fail_err(custos_session_err(a));
		goto done;
	}
	hits = tr.hits;
	unique = tr.unique;
	distinct = tr.distinct;
	wm = tr.watermark;
	if (out == OUT_JSON) {
		printf("{\"file\": ");
		cli_json_str(stdout, file);
		printf(", \"file_sha256\": \"%s\", \"watermark\": %llu, \"terms\": [", hex,
		       (unsigned long long)wm);
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"line\": %zu, \"query\": ", i ? ", " : "", lines[i]);
			cli_json_str(stdout, queries[i]);
			printf(", \"hits\": %llu, \"unique\": %llu}", (unsigned long long)hits[i],
			       (unsigned long long)unique[i]);
		}
		printf("], \"distinct\": %llu}\n", (unsigned long long)distinct);
	} else if (out == OUT_CSV) {
		const char *h[] = { "line", "query", "hits", "unique" };
		char l[32], hs[32], us[32];
		cli_csv_row(stdout, h, 4);
		for (size_t i = 0; i < n; i++) {
			snprintf(l, sizeof l, "%zu", lines[i]);
			snprintf(hs, sizeof hs, "%llu", (unsigned long long)hits[i]);
			snprintf(us, sizeof us, "%llu", (unsigned long long)unique[i]);
			const char *row[] = { l, queries[i], hs, us };
			cli_csv_row(stdout, row, 4);
		}
		snprintf(hs, sizeof hs, "%llu", (unsigned long long)distinct);
		const char *last[] = { "", "(all terms: distinct records)", hs, "" };
		cli_csv_row(stdout, last, 4);
	} else {
		printf("%-5s %-50s %10s %10s\n", "line", "query", "hits", "unique");
		for (size_t i = 0; i < n; i++)
			printf("%-5zu %-50s %10llu %10llu\n", lines[i], queries[i],
			       (unsigned long long)hits[i], (unsigned long long)unique[i]);
		printf("\n%llu distinct records hit by the %zu terms\n"
		       "terms file sha256 %s; index watermark seq %llu\n",
		       (unsigned long long)distinct, n, hex, (unsigned long long)wm);
	}
done:
	fclose(f);
	for (size_t i = 0; i < n; i++)
		free(queries[i]);
	free(queries);
	free(lines);
	free(hits);
	free(unique);
	free(line);
	cli_close(cli);
	return rc;
}
