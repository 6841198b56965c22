/* custos search: the query language over the index, for people and scripts. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const cli_option_t opts[] = {
	{ "json", 'j', NULL, "Print the result as one JSON object: the query, the exact total, "
	  "the index watermark, the hits and the facets asked for.", 0, NULL, false },
	{ "csv", 'c', NULL, "Print the hits as CSV (id, created_at, platform, account, author, "
	  "snippet, the versions that matched), one row each.", 0, NULL, false },
	{ "count", 'n', NULL, "Print only the exact number of matching records (with --json, "
	  "the search's object with no hits).", 0, NULL, false },
	{ "limit", 'l', "N", "Show at most N hits (default 20, up to 1000000).", CLI_ARG_TEXT,
	  NULL, false },
	{ "offset", 'o', "N", "Skip the first N hits (up to 1000000).", CLI_ARG_TEXT, NULL, false },
	{ "sort", 's', "ORDER", "Order the hits by relevance (the default), date (oldest first) "
	  "or -date (newest first).", CLI_ARG_VALUES, "relevance date -date", false },
	{ "facets", 'f', "FIELD,...", "Count the matching records per value of each field "
	  "(platform, account, author, year, month, and tag with --matter); not with --count or "
	  "--csv.", CLI_ARG_TEXT, NULL, false },
	{ "matter", 'm', "NAME", "Search with matter NAME's review coding: --tag narrows by it, "
	  "the tag facet counts it, and with --json each hit says its tags.", CLI_ARG_TEXT, NULL,
	  false },
	{ "tag", 't', "TAG,...", "Only the records matter NAME codes with every TAG now "
	  "(repeatable); a tag the matter does not have is refused.", CLI_ARG_TEXT, NULL, false },
	{ "lang", 'L', "CODE", "Stem the query's words as language CODE (de, fr, ...) instead "
	  "of English.", CLI_ARG_TEXT, NULL, false },
	{ "dtsearch", 'd', NULL, "Read lower-case and, or and not as operators, as dtSearch does "
	  "(docs/query-language.md shows the forms side by side).", 0, NULL, false },
	{ "accents", 'a', NULL, "Match every word whatever its accents (cafe finds café too).", 0,
	  NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_search_subs[] = {
	{ NULL, "[--json|--csv] [--count] [--limit N] [--offset N] [--sort ORDER] "
	  "[--facets FIELD,...] [--matter NAME [--tag TAG,...]] [--lang CODE] [--dtsearch] "
	  "[--accents] QUERY", "Finds the "
	  "records QUERY matches, in the index as of its watermark, with the exact total and a snippet of each hit. Words of "
	  "QUERY given as several arguments are joined by spaces.", opts, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

enum { OUT_TABLE = CLI_OUT_TABLE, OUT_JSON = CLI_OUT_JSON, OUT_CSV = CLI_OUT_CSV };

static void one_line(char *s)
{
	for (; s && *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

static void print_facets(const custos_search_result_t *r, unsigned facets)
{
	for (int f = 0; f < CUSTOS_FACET_COUNT; f++) {
		if (!(facets & CUSTOS_FACET_BIT(f)))
			continue;
		printf("\n%s:\n", custos_facet_name(f));
		for (size_t i = 0; i < r->facets[f].n; i++)
			cli_printf(stdout, "  %-30s %llu\n", r->facets[f].v[i].value,
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
	const cli_command_t *cmd = cli_find("search");
	custos_search_opts_t so = CUSTOS_SEARCH_OPTS_INIT;
	custos_search_result_t *res = NULL;
	custos_session_t *a = NULL;
	custos_buf_t q = { 0 };
	custos_err_t err = { 0 };
	custos_codings_t coding = { 0 };
	const char *tags[64];
	size_t n_tags = 0;
	int out = cli->json ? OUT_JSON : OUT_TABLE, c, rc;
	char *end;

	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1) {
		switch (c) {
		case 'j':
		case 'c':
			if ((rc = cli_out(cmd, &out, c)) != CLI_OK)
				return rc;
			break;
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
				return cli_usage(cmd, "--sort takes relevance, date or -date, not '%s'",
				                 optarg);
			break;
		case 'f':
			if (custos_facets_parse(&so.facets, optarg, &err) < 0)
				return cli_usage(cmd, "%s", err.msg);
			break;
		case 'L': so.lang = optarg; break;
		case 'm': so.matter = optarg; break;
		case 't':
			for (char *t = optarg, *e; t; t = e) {
				if ((e = strchr(t, ',')))
					*e++ = '\0';
				if (n_tags == sizeof tags / sizeof *tags)
					return cli_usage(cmd, "--tag takes up to %zu tags", n_tags);
				tags[n_tags++] = t;
			}
			break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "search needs a QUERY");
	/* CSV is a table of hits: facet counts have no place in it, and are not
	 * dropped without a word */
	if (so.facets && out == OUT_CSV && !so.count_only)
		return cli_usage(cmd, "--facets has no place in CSV output (one row per hit): "
		                 "use --json or the table for the counts");
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
	so.tags = tags;
	so.n_tags = n_tags;
	if (custos_archive_search(a, q.data, &so, &res) < 0) {
		const custos_err_t *e = custos_session_err(a);
		/* options that do not go together are bad usage, whoever finds it */
		rc = e->status == CUSTOS_EINVAL ? cli_usage(cmd, "%s", e->msg) : cli_fail_err(e);
		goto done;
	}
	lag_note(res);
	if (res->notes && *res->notes)
		cli_printf(stderr, "custos: note: %s\n", res->notes);
	if (out == OUT_JSON) {
		/* the object the service answers too (lib/render.c): with --count,
		 * the total and no hits */
		custos_buf_t j = { 0 };
		const char **ids = NULL;
		if (so.matter) {
			/* each hit's tags: the object the service answers with matter= */
			if (res->n_hits && !(ids = calloc(res->n_hits, sizeof *ids))) {
				rc = cli_fail("out of memory");
				goto done;
			}
			for (size_t i = 0; i < res->n_hits; i++)
				ids[i] = res->hits[i].id;
			if (custos_archive_matter_coding(a, so.matter, ids, res->n_hits, &coding) < 0) {
				free(ids);
				rc = cli_fail_err(custos_session_err(a));
				goto done;
			}
			free(ids);
		}
		if ((so.matter ? custos_search_result_json_coded(res, q.data, so.facets, so.matter,
		                                                 &coding, &j)
		               : custos_search_result_json(res, q.data, so.facets, &j)) < 0) {
			rc = cli_fail("out of memory");
		} else {
			fwrite(j.data, 1, j.len, stdout);
			putchar('\n');
		}
		custos_buf_free(&j);
		goto done;
	}
	if (so.count_only) {
		if (out == OUT_CSV) {
			const char *h[] = { "query", "total" };
			char n[32];
			snprintf(n, sizeof n, "%llu", (unsigned long long)res->total);
			const char *f[] = { q.data, n };
			cli_csv_row(stdout, h, 2);
			cli_csv_row(stdout, f, 2);
		} else {
			printf("%llu\n", (unsigned long long)res->total);
		}
		goto done;
	}
	if (out == OUT_CSV) {
		const char *h[] = { "id", "created_at", "platform", "account", "author", "snippet",
		                    "versions" };
		cli_csv_row(stdout, h, 7);
	}
	for (size_t i = 0; i < res->n_hits; i++) {
		const custos_search_hit_t *h = &res->hits[i];
		char t[40];
		custos_time_format(t, sizeof t, h->created_at);
		one_line(h->snippet);
		if (out == OUT_CSV) {
			custos_buf_t vs = { 0 };
			for (size_t v = 0; v < h->n_matched; v++)
				custos_buf_printf(&vs, "%s%u", v ? " " : "", h->matched_versions[v]);
			const char *f[] = { h->id, t, h->platform, h->account, h->author, h->snippet,
			                    vs.data };
			cli_csv_row(stdout, f, 7);
			custos_buf_free(&vs);
		} else {
			if (i == 0)
				printf("%-32s %-20s %-9s %-16s %s\n", "id", "created", "platform", "author",
				       "snippet");
			cli_printf(stdout, "%-32s %-20s %-9s %-16s %s", h->id, t, h->platform ? h->platform : "",
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
	if (out == OUT_TABLE) {
		printf("%s%llu record%s", res->n_hits ? "\n" : "", (unsigned long long)res->total,
		       res->total == 1 ? "" : "s");
		if (res->n_hits)
			printf(", showing %zu-%zu", so.offset + 1, so.offset + res->n_hits);
		printf("\n");
		if (so.facets)
			print_facets(res, so.facets);
	}
done:
	custos_codings_free(&coding);
	custos_search_result_free(res);
	cli_close(cli);
	custos_buf_free(&q);
	return rc;
}
