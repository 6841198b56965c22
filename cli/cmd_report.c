/* custos report terms: the e-discovery search-term report. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_TABLE, OUT_JSON, OUT_CSV };

int cmd_report(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const cli_command_t *cmd = cli_find("report");
	custos_session_t *a = NULL;
	int out = OUT_TABLE, c, rc = CLI_OK;
	char **queries = NULL;
	size_t *lines = NULL, n = 0, cap = 0;
	uint64_t *hits = NULL, *unique = NULL, distinct = 0, wm = 0;
	char *line = NULL;
	size_t lcap = 0;
	custos_sha256_ctx_t sha;
	uint8_t digest[CUSTOS_SHA256_LEN];
	char hex[CUSTOS_SHA256_HEX];

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': out = OUT_JSON; break;
		case 'c': out = OUT_CSV; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind + 2 != argc || strcmp(argv[optind], "terms") != 0)
		return cli_usage(cmd, "report needs 'terms FILE'");
	const char *file = argv[optind + 1];
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
		if (tr.bad < n)
			rc = cli_fail("%s:%zu: %s", file, lines[tr.bad], custos_session_err(a)->msg);
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
		printf("line,query,hits,unique\n");
		for (size_t i = 0; i < n; i++) {
			printf("%zu,\"", lines[i]);
			for (const char *s = queries[i]; *s; s++) {
				if (*s == '"')
					putchar('"');
				putchar(*s);
			}
			printf("\",%llu,%llu\n", (unsigned long long)hits[i], (unsigned long long)unique[i]);
		}
		printf(",\"(all terms: distinct records)\",%llu,\n", (unsigned long long)distinct);
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
