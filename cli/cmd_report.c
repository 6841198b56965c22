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
	custos_archive_t *a = NULL;
	custos_index_t *idx = NULL;
	int out = OUT_TABLE, c, rc = CLI_OK;
	char **queries = NULL;
	size_t *lines = NULL, n = 0, cap = 0, bad = 0;
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
	for (size_t i = 0; i < n; i++) {
		custos_err_t qe = { 0 };
		if (custos_index_query_check(queries[i], &qe) < 0) {
			rc = cli_fail("%s:%zu: %s", file, lines[i], qe.msg);
			goto done;
		}
	}
	if (!(hits = calloc(n, sizeof *hits)) || !(unique = calloc(n, sizeof *unique))) {
		rc = cli_fail("out of memory");
		goto done;
	}
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		goto done;
	if (custos_archive_index_open(a, CUSTOS_INDEX_READ, &idx) < 0) {
		rc = cli_fail_err(custos_archive_err(a));
		goto done;
	}
	if (custos_index_watermark(idx, &wm) < 0 ||
	    custos_index_term_report(idx, (const char *const *)queries, n, hits, unique, &distinct,
	                             &bad) < 0) {
		rc = cli_fail("%s", custos_index_errmsg(idx));
		goto done;
	}
	/* the report records what makes it reproducible: the exact queries (by
	 * the file's hash) and the index state they ran against */
	custos_buf_t p = { 0 }, r = { 0 };
	custos_buf_adds(&p, "{\"file\":");
	custos_buf_add_json_str(&p, file, strlen(file));
	custos_buf_printf(&p, ",\"file_sha256\":\"%s\",\"queries\":%zu}", hex, n);
	custos_buf_printf(&r, "{\"distinct\":%llu,\"watermark\":%llu}",
	                  (unsigned long long)distinct, (unsigned long long)wm);
	int arc = custos_archive_audit(a, "report-terms", p.data, r.data, CUSTOS_OK);
	custos_buf_free(&p);
	custos_buf_free(&r);
	if (arc < 0) {
		rc = cli_fail_err(custos_archive_err(a));
		goto done;
	}
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
	custos_index_free(idx);
	custos_archive_free(a);
	return rc;
}
