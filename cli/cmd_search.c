/* custos search: the query language over the index, for people and scripts. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { OUT_TABLE, OUT_JSON, OUT_CSV };

static void one_line(char *s)
{
	for (; s && *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

static void print_facets(const custos_search_result_t *r, unsigned facets, int out)
{
	if (out == OUT_JSON) {
		printf(", \"facets\": {");
		int first = 1;
		for (int f = 0; f < CUSTOS_FACET_COUNT; f++) {
			if (!(facets & CUSTOS_FACET_BIT(f)))
				continue;
			printf("%s\"%s\": {", first ? "" : ", ", custos_facet_name(f));
			first = 0;
			for (size_t i = 0; i < r->facets[f].n; i++) {
				printf("%s", i ? ", " : "");
				cli_json_str(stdout, r->facets[f].v[i].value);
				printf(": %llu", (unsigned long long)r->facets[f].v[i].count);
			}
			printf("}");
		}
		printf("}");
		return;
	}
	for (int f = 0; f < CUSTOS_FACET_COUNT; f++) {
		if (!(facets & CUSTOS_FACET_BIT(f)))
			continue;
		printf("\n%s:\n", custos_facet_name(f));
		for (size_t i = 0; i < r->facets[f].n; i++)
			printf("  %-30s %llu\n", r->facets[f].v[i].value,
			       (unsigned long long)r->facets[f].v[i].count);
	}
}

static void lag_note(const custos_search_result_t *r)
{
	if (r->store_last_seq > r->watermark)
		fprintf(stderr, "custos: note: the index lags the store by %llu record versions; "
		        "run 'custos index' to catch up\n",
		        (unsigned long long)(r->store_last_seq - r->watermark));
}

int cmd_search(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "count", no_argument, NULL, 'n' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		{ "sort", required_argument, NULL, 's' },
		{ "facets", required_argument, NULL, 'f' },
		{ "lang", required_argument, NULL, 'L' },
		{ "dtsearch", no_argument, NULL, 'd' },
		{ "accents", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	const cli_command_t *cmd = cli_find("search");
	custos_search_opts_t so = CUSTOS_SEARCH_OPTS_INIT;
	custos_search_result_t *res = NULL;
	custos_session_t *a = NULL;
	custos_buf_t q = { 0 };
	custos_err_t err = { 0 };
	int out = OUT_TABLE, c, rc;
	char *end;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': out = OUT_JSON; break;
		case 'c': out = OUT_CSV; break;
		case 'n': so.count_only = true; break;
		case 'd': so.query_flags |= CUSTOS_QUERY_DTSEARCH; break;
		case 'a': so.query_flags |= CUSTOS_QUERY_ACCENTS; break;
		case 'l':
		case 'o': {
			unsigned long long v = strtoull(optarg, &end, 10);
			if (!*optarg || *end || v > 1000000)
				return cli_usage(cmd, "--%s takes a number up to 1000000", c == 'l' ? "limit" : "offset");
			if (c == 'l')
				so.limit = (size_t)v;
			else
				so.offset = (size_t)v;
			break;
		}
		case 's':
			if (!strcmp(optarg, "relevance"))
				so.sort = CUSTOS_SORT_RELEVANCE;
			else if (!strcmp(optarg, "date"))
				so.sort = CUSTOS_SORT_DATE;
			else if (!strcmp(optarg, "-date"))
				so.sort = CUSTOS_SORT_DATE_DESC;
			else
				return cli_usage(cmd, "--sort takes relevance, date or -date");
			break;
		case 'f':
			if (custos_facets_parse(&so.facets, optarg, &err) < 0)
				return cli_usage(cmd, "%s", err.msg);
			break;
		case 'L': so.lang = optarg; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "search needs a QUERY");
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			custos_buf_addc(&q, ' ');
		custos_buf_adds(&q, argv[i]);
	}
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK) {
		custos_buf_free(&q);
		return rc;
	}
	so.snippets = !so.count_only;
	if (custos_archive_search(a, q.data, &so, &res) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		goto done;
	}
	lag_note(res);
	if (res->notes && *res->notes)
		fprintf(stderr, "custos: note: %s\n", res->notes);
	if (so.count_only) {
		printf("%llu\n", (unsigned long long)res->total);
		goto done;
	}
	if (out == OUT_JSON) {
		printf("{\"query\": ");
		cli_json_str(stdout, q.data);
		printf(", \"total\": %llu, \"exact\": %s, \"watermark\": %llu, \"hits\": [",
		       (unsigned long long)res->total, "true",
		       (unsigned long long)res->watermark);
	} else if (out == OUT_CSV) {
		printf("id,created_at,platform,account,author,snippet,versions\n");
	}
	for (size_t i = 0; i < res->n_hits; i++) {
		const custos_search_hit_t *h = &res->hits[i];
		char t[40];
		custos_time_format(t, sizeof t, h->created_at);
		one_line(h->snippet);
		if (out == OUT_JSON) {
			printf("%s{\"id\": ", i ? ", " : "");
			cli_json_str(stdout, h->id);
			printf(", \"created_at\": \"%s\", \"platform\": ", t);
			cli_json_str(stdout, h->platform);
			printf(", \"account\": ");
			cli_json_str(stdout, h->account);
			printf(", \"author\": ");
			cli_json_str(stdout, h->author);
			printf(", \"snippet\": ");
			cli_json_str(stdout, h->snippet);
			printf(", \"weight\": %.4f, \"version\": %u, \"matched_versions\": [", h->weight,
			       h->version);
			for (size_t v = 0; v < h->n_matched; v++)
				printf("%s%u", v ? ", " : "", h->matched_versions[v]);
			printf("]}");
		} else if (out == OUT_CSV) {
			cli_csv_str(stdout, h->id); putchar(',');
			cli_csv_str(stdout, t); putchar(',');
			cli_csv_str(stdout, h->platform); putchar(',');
			cli_csv_str(stdout, h->account); putchar(',');
			cli_csv_str(stdout, h->author); putchar(',');
			cli_csv_str(stdout, h->snippet); putchar(',');
			putchar('"');
			for (size_t v = 0; v < h->n_matched; v++)
				printf("%s%u", v ? " " : "", h->matched_versions[v]);
			printf("\"\n");
		} else {
			if (i == 0)
				printf("%-32s %-20s %-9s %-16s %s\n", "id", "created", "platform", "author",
				       "snippet");
			printf("%-32s %-20s %-9s %-16s %s", h->id, t, h->platform ? h->platform : "",
			       h->author ? h->author : "", h->snippet ? h->snippet : "");
			/* which versions matched, when it is not simply the first */
			if (h->n_matched > 1 || h->version > 1) {
				printf(" [version%s", h->n_matched > 1 ? "s" : "");
				for (size_t v = 0; v < h->n_matched; v++)
					printf("%s%u", v ? "," : " ", h->matched_versions[v]);
				printf("]");
			}
			printf("\n");
		}
	}
	if (out == OUT_JSON) {
		printf("]");
		if (so.facets)
			print_facets(res, so.facets, out);
		printf("}\n");
	} else if (out == OUT_TABLE) {
		printf("%s%llu%s record%s", res->n_hits ? "\n" : "", (unsigned long long)res->total,
		       "", res->total == 1 ? "" : "s");
		if (res->n_hits)
			printf(", showing %zu-%zu", so.offset + 1, so.offset + res->n_hits);
		printf("\n");
		if (so.facets)
			print_facets(res, so.facets, out);
	}
done:
	custos_search_result_free(res);
	cli_close(cli);
	custos_buf_free(&q);
	return rc;
}
