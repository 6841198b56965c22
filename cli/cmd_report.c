/* custos report terms: the e-discovery search-term report. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const cli_option_t opts[] = {
	{ "json", 'j', NULL, "Print the report as a JSON object.", 0, NULL, false },
	{ "csv", 'c', NULL, "Print the report as CSV: one row per term (breakdown all), then one "
	  "per term and account and per term and platform, and a last row with the distinct "
	  "records.", 0, NULL, false },
	{ "dtsearch", 'd', NULL, "Read lower-case and, or and not as operators, as dtSearch "
	  "does.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_report_subs[] = {
	{ "terms", "[--json|--csv] [--dtsearch] FILE", "The e-discovery search-term report: for "
	  "each query of FILE (one a line; blank lines separate groups; '#' and a space start a "
	  "comment), the records it matches (hits), those no other query of the file matches "
	  "(unique) and those with their conversations (family), by account and platform, and "
	  "the records any of them matches, all at one index watermark. A line that cannot run "
	  "is named and the report is marked incomplete (exit 1). The file's SHA-256 and the "
	  "watermark are printed and audited, so the report can be reproduced.", opts,
	  CLI_ARG_FILE },
	{ NULL, NULL, NULL, NULL, 0 }
};

enum { OUT_TABLE = CLI_OUT_TABLE, OUT_JSON = CLI_OUT_JSON, OUT_CSV = CLI_OUT_CSV };

/* {"key": hits, ...} */
static void json_counts(const custos_term_count_t *c, size_t n)
{
	printf("{");
	for (size_t k = 0; k < n; k++) {
		printf("%s", k ? ", " : "");
		cli_json_str(stdout, c[k].key);
		printf(": %llu", (unsigned long long)c[k].hits);
	}
	printf("}");
}

/* one CSV row per key: line,query,what,key,hits,,, */
static void csv_counts(const char *line, const char *query, const char *what,
                       const custos_term_count_t *c, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		char hits[32];
		snprintf(hits, sizeof hits, "%llu", (unsigned long long)c[k].hits);
		const char *f[] = { line, query, what, c[k].key, hits, "", "", "" };
		cli_csv_row(stdout, f, 8);
	}
}

int cmd_report(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("report");
	custos_session_t *a = NULL;
	int out = cli->json ? OUT_JSON : OUT_TABLE, c, rc = CLI_OK;
	char **queries = NULL;
	size_t *lines = NULL, n = 0, cap = 0;
	uint64_t wm = 0;
	custos_term_report_t *rep = NULL;
	unsigned qflags = 0;
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
		case 'd': qflags |= CUSTOS_QUERY_DTSEARCH; break;
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
		/* blank lines separate groups of terms; '#' then a space (or the
		 * end) starts a comment, at the start or after a space ("#recall"
		 * is the hashtag query) */
		for (char *h = line; (h = strchr(h, '#')) != NULL; h++)
			if ((h == line || h[-1] == ' ' || h[-1] == '\t') &&
			    (h[1] == '\0' || h[1] == ' ' || h[1] == '\t')) {
				*h = '\0';
				len = (ssize_t)(h - line);
				break;
			}
		while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		if (!*s)
			continue;
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
	if (custos_archive_report_terms(a, (const char *const *)queries, n, qflags, file, hex, &rep,
	                                &wm) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		goto done;
	}
	/* a line that cannot run is named with its line number (in the JSON
	 * with --json); the others still run, and the report says it is
	 * incomplete (exit 1) */
	for (size_t i = 0; i < n && out != OUT_JSON; i++)
		if (rep->terms[i].status < 0)
			cli_printf(stderr, "custos: %s:%zu: %s\n", file, lines[i], rep->terms[i].error);
	if (out == OUT_JSON) {
		printf("{\"file\": ");
		cli_json_str(stdout, file);
		printf(", \"file_sha256\": \"%s\", \"watermark\": %llu, \"incomplete\": %s, "
		       "\"terms\": [", hex, (unsigned long long)wm, rep->incomplete ? "true" : "false");
		for (size_t i = 0; i < n; i++) {
			const custos_term_t *t = &rep->terms[i];
			printf("%s{\"line\": %zu, \"query\": ", i ? ", " : "", lines[i]);
			cli_json_str(stdout, queries[i]);
			if (t->status < 0) {
				printf(", \"error\": ");
				cli_json_str(stdout, t->error);
				printf("}");
				continue;
			}
			printf(", \"hits\": %llu, \"unique\": %llu, \"family\": %llu, \"accounts\": ",
			       (unsigned long long)t->hits, (unsigned long long)t->unique,
			       (unsigned long long)t->family);
			json_counts(t->by_account, t->n_accounts);
			printf(", \"platforms\": ");
			json_counts(t->by_platform, t->n_platforms);
			printf("}");
		}
		printf("], \"distinct\": %llu}\n", (unsigned long long)rep->distinct);
	} else if (out == OUT_CSV) {
		/* one row per term, then one per term and account, and per term
		 * and platform (the breakdown column says which) */
		const char *h[] = { "line", "query", "breakdown", "key", "hits", "unique", "family",
		                    "error" };
		cli_csv_row(stdout, h, 8);
		for (size_t i = 0; i < n; i++) {
			const custos_term_t *t = &rep->terms[i];
			char l[32], hs[32], us[32], fs[32];
			snprintf(l, sizeof l, "%zu", lines[i]);
			if (t->status < 0) {
				const char *row[] = { l, queries[i], "", "", "", "", "", t->error };
				cli_csv_row(stdout, row, 8);
				continue;
			}
			snprintf(hs, sizeof hs, "%llu", (unsigned long long)t->hits);
			snprintf(us, sizeof us, "%llu", (unsigned long long)t->unique);
			snprintf(fs, sizeof fs, "%llu", (unsigned long long)t->family);
			const char *row[] = { l, queries[i], "all", "", hs, us, fs, "" };
			cli_csv_row(stdout, row, 8);
			csv_counts(l, queries[i], "account", t->by_account, t->n_accounts);
			csv_counts(l, queries[i], "platform", t->by_platform, t->n_platforms);
		}
		char d[32];
		snprintf(d, sizeof d, "%llu", (unsigned long long)rep->distinct);
		const char *last[] = { "", "(all terms: distinct records)", "all", "", d, "", "", "" };
		cli_csv_row(stdout, last, 8);
	} else {
		printf("%-5s %-50s %10s %10s %10s\n", "line", "query", "hits", "unique", "family");
		for (size_t i = 0; i < n; i++) {
			const custos_term_t *t = &rep->terms[i];
			if (t->status < 0) {
				cli_printf(stdout, "%-5zu %-50s %10s %10s %10s\n", lines[i], queries[i], "error", "-", "-");
				continue;
			}
			cli_printf(stdout, "%-5zu %-50s %10llu %10llu %10llu\n", lines[i], queries[i],
			           (unsigned long long)t->hits, (unsigned long long)t->unique,
			           (unsigned long long)t->family);
			for (size_t k = 0; k < t->n_accounts; k++)
				cli_printf(stdout, "%-5s   account %-40s %10llu\n", "", t->by_account[k].key,
				           (unsigned long long)t->by_account[k].hits);
			for (size_t k = 0; k < t->n_platforms; k++)
				cli_printf(stdout, "%-5s   platform %-39s %10llu\n", "", t->by_platform[k].key,
				           (unsigned long long)t->by_platform[k].hits);
		}
		printf("\n%llu distinct records hit by the %zu terms\n"
		       "terms file sha256 %s; index watermark seq %llu\n",
		       (unsigned long long)rep->distinct, n, hex, (unsigned long long)wm);
		if (rep->incomplete)
			printf("INCOMPLETE: some lines did not run (see the errors above)\n");
	}
	if (rep->incomplete)
		rc = CLI_FAIL;
done:
	fclose(f);
	for (size_t i = 0; i < n; i++)
		free(queries[i]);
	free(queries);
	free(lines);
	custos_term_report_free(rep);
	free(line);
	cli_close(cli);
	return rc;
}
