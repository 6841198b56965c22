/* The indexer over a real Xapian database: a 20-record corpus built here,
 * exact result sets for every field and operator, sorting, paging, counts,
 * facets, snippets, the watermark, deletes and replaces, bad queries and a
 * missing or corrupt index. */
#include "check.h"
#include "custos_indexer.h"
#include "index_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
	const char *id, *platform, *account, *kind, *author, *created, *lang;
	const char *title, *text, *tags, *mentions, *urls, *thread;
	int media;
} row_t;

/* tags, mentions and urls are space-separated lists */
static const row_t corpus[] = {
	{ "x:1", "x", "acme", "post", "@AcmeCorp", "2019-01-05T10:00:00Z", "en", NULL,
	  "Launching our new running shoes today", "Launch", NULL, "https://www.acme.com/shoes", NULL, 1 },
	{ "x:2", "x", "acme", "reply", "Bob", "2019-01-05T11:00:00Z", "en", NULL,
	  "@AcmeCorp do the shoes come in blue?", NULL, "AcmeCorp", NULL, "x:1", 0 },
	{ "x:3", "x", "acme", "reply", "AcmeCorp", "2019-01-05T12:00:00Z", "en", NULL,
	  "@Bob yes, blue and red #Colors", NULL, "Bob", NULL, "x:1", 0 },
	{ "mastodon:4", "mastodon", "acme-social", "post", "acme@social.example", "2019-02-10T09:00:00Z",
	  "de", NULL, "Unsere neuen Laufschuhe sind da! #Laufen", "laufen", NULL, NULL, NULL, 0 },
	{ "mastodon:5", "mastodon", "acme-social", "reply", "kunde@mastodon.social",
	  "2019-02-10T10:00:00Z", "de-AT", NULL, "Die Häuser sind schön", NULL, NULL, NULL, "mastodon:4", 0 },
	{ "facebook:6", "facebook", "acme-fb", "post", "Acme", "2019-03-01T00:30:00+02:00", "en", NULL,
	  "Quarterly results are in. Revenue grew strongly", NULL, NULL,
	  "https://investors.acme.com/q4", NULL, 0 },
	{ "facebook:7", "facebook", "acme-fb", "comment", "jane.doe", "2019-03-01T08:00:00Z", "en", NULL,
	  "Congratulations on the results", NULL, NULL, NULL, "facebook:6", 0 },
	{ "x:8", "x", "acme", "post", "AcmeCorp", "2019-12-31T23:59:59Z", "en", NULL,
	  "Happy new year from the whole team #NewYear", "NewYear", NULL, NULL, NULL, 0 },
	{ "x:9", "x", "acme", "post", "AcmeCorp", "2020-01-01T00:00:00Z", "en", NULL,
	  "First post of 2020: running into the new decade", NULL, NULL, NULL, NULL, 0 },
	{ "slack:10", "slack", "general", "message", "alice", "2020-03-15T14:00:00Z", "en", NULL,
	  "The recall of model X shoes is confidential", NULL, NULL, NULL, NULL, 0 },
	{ "slack:11", "slack", "general", "message", "bob", "2020-03-15T14:05:00Z", "en", NULL,
	  "Do not discuss the recall outside legal", NULL, NULL, NULL, "slack:10", 0 },
	{ "linkedin:12", "linkedin", "acme-li", "post", "AcmeCorp", "2020-06-01T12:00:00Z", "en", NULL,
	  "We are hiring engineers in Berlin", NULL, NULL, "https://careers.acme.com/jobs", NULL, 0 },
	{ "x:13", "x", "tokyo", "post", "AcmeJP", "2020-07-07T03:00:00Z", "ja", NULL,
	  "新しいランニングシューズを発売しました", "新製品", NULL, NULL, NULL, 0 },
	{ "x:14", "x", "tokyo", "reply", "user_jp", "2020-07-07T04:00:00Z", "ja", NULL,
	  "東京で買えますか", NULL, NULL, NULL, "x:13", 0 },
	{ "feed:15", "feed", "blog", "post", "acme", "2021-01-10T10:00:00Z", "en", "Recall notice",
	  "Important safety information about the model X recall", NULL, NULL, NULL, NULL, 0 },
	{ "x:16", "x", "acme", "repost", "AcmeCorp", "2021-02-02T10:00:00Z", "en", NULL,
	  "RT hiring engineers", NULL, NULL, NULL, NULL, 0 },
	{ "mastodon:17", "mastodon", "acme-social", "post", "acme", "2021-05-05T05:05:00Z", "en", NULL,
	  "Shoes shoes shoes! #launch", NULL, NULL, NULL, NULL, 0 },
	{ "x:18", "x", "acme", "quote", "Carol", "2021-08-08T08:00:00Z", "en", NULL,
	  "This is not what confidential means", NULL, NULL, NULL, NULL, 2 },
	{ "facebook:19", "facebook", "acme-fb", "post", "Acme", "2022-01-01T00:00:00Z", "fr", NULL,
	  "Nouvelles chaussures de course", NULL, NULL, NULL, NULL, 0 },
	{ "x:20", "x", "acme", "post", "AcmeCorp", "2022-06-15T12:00:00Z", "en", NULL,
	  "Running is life. #Running", "running", NULL, "https://acme.com", NULL, 0 },
};
#define NCORPUS (sizeof corpus / sizeof corpus[0])

static void add_list(custos_record_t *r, custos_strv_t *v, const char *list)
{
	const char *p = list;
	while (p && *p) {
		const char *e = strchr(p, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		CHECK_OK(custos_record_strv_add(r, v, p, n));
		p += n;
		while (*p == ' ')
			p++;
	}
}

static void make_record(custos_record_t *r, const row_t *w, uint64_t seq)
{
	custos_record_reset(r);
	CHECK_OK(custos_record_sets(r, &r->id, w->id));
	r->seq = seq;
	r->version = 1;
	CHECK_OK(custos_record_sets(r, &r->platform, w->platform));
	CHECK_OK(custos_record_sets(r, &r->account, w->account));
	CHECK_OK(custos_record_sets(r, &r->kind, w->kind));
	CHECK_OK(custos_record_sets(r, &r->author_handle, w->author));
	CHECK_OK(custos_time_parse(&r->created_at, w->created, strlen(w->created)));
	CHECK_OK(custos_record_sets(r, &r->lang, w->lang));
	CHECK_OK(custos_record_sets(r, &r->title, w->title));
	CHECK_OK(custos_record_sets(r, &r->text, w->text));
	CHECK_OK(custos_record_sets(r, &r->thread, w->thread));
	add_list(r, &r->hashtags, w->tags);
	add_list(r, &r->mentions, w->mentions);
	add_list(r, &r->urls, w->urls);
	for (int i = 0; i < w->media; i++)
		CHECK(custos_record_media_add(r) != NULL);
}

static char index_path[4200];

static custos_index_t *build_corpus(void)
{
	custos_index_t *idx = NULL;
	custos_record_t r;
	custos_err_t err;
	snprintf(index_path, sizeof index_path, "%s/index", check_tmpdir);
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, &err));
	custos_record_init(&r);
	for (size_t i = 0; i < NCORPUS; i++) {
		make_record(&r, &corpus[i], i + 1);
		CHECK_OK(custos_index_add(idx, &r));
	}
	custos_record_free(&r);
	CHECK_OK(custos_index_commit(idx, NCORPUS));
	return idx;
}

static custos_index_t *open_read(void)
{
	custos_index_t *idx = build_corpus(), *rd = NULL;
	custos_err_t err;
	custos_index_free(idx);
	CHECK_OK(custos_index_open(&rd, index_path, CUSTOS_INDEX_READ, &err));
	return rd;
}

/* The sorted ids query matches, comma-separated; "ERR <status>" on failure. */
static const char *ids(custos_index_t *idx, const char *query)
{
	static char out[4096];
	custos_index_idlist_t l;
	int e = custos_index_match_ids(idx, &l, query);
	if (e < 0) {
		snprintf(out, sizeof out, "ERR %d: %s", e, custos_index_errmsg(idx));
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < l.n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, l.v[i].id);
	}
	custos_index_idlist_free(&l);
	return out;
}

/* The ids of a search page, in order. */
static const char *page(custos_index_t *idx, const char *query, int sort, size_t offset,
                        size_t limit, uint64_t *total)
{
	static char out[4096];
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	o.sort = sort;
	o.offset = offset;
	o.limit = limit;
	int e = custos_index_search(idx, &res, query, &o);
	if (e < 0) {
		snprintf(out, sizeof out, "ERR %d: %s", e, custos_index_errmsg(idx));
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < res->n_hits; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, res->hits[i].id);
	}
	if (total) {
		CHECK(res->total_exact);
		*total = res->total;
	}
	custos_index_results_free(res);
	return out;
}

static void test_index__free_text_and_stemming(void)
{
	custos_index_t *idx = open_read();
	CHECK_STR(ids(idx, "shoes"), "mastodon:17,slack:10,x:1,x:2");
	CHECK_STR(ids(idx, "shoe"), "mastodon:17,slack:10,x:1,x:2");
	CHECK_STR(ids(idx, "running"), "x:1,x:20,x:9");
	CHECK_STR(ids(idx, "run"), "x:1,x:20,x:9");
	CHECK_STR(ids(idx, "recall"), "feed:15,slack:10,slack:11");
	CHECK_STR(ids(idx, "RECALL notice"), "feed:15");
	CHECK_STR(ids(idx, "nothingmatchesthis"), "");
	custos_index_free(idx);
}

static void test_index__boolean_operators(void)
{
	custos_index_t *idx = open_read();
	CHECK_STR(ids(idx, "recall confidential"), "slack:10");
	CHECK_STR(ids(idx, "recall AND confidential"), "slack:10");
	CHECK_STR(ids(idx, "recall OR hiring"), "feed:15,linkedin:12,slack:10,slack:11,x:16");
	CHECK_STR(ids(idx, "recall NOT legal"), "feed:15,slack:10");
	CHECK_STR(ids(idx, "recall AND NOT legal"), "feed:15,slack:10");
	CHECK_STR(ids(idx, "recall -legal"), "feed:15,slack:10");
	CHECK_STR(ids(idx, "(recall OR hiring) AND (legal OR berlin)"), "linkedin:12,slack:11");
	CHECK_STR(ids(idx, "NOT platform:x"),
	          "facebook:19,facebook:6,facebook:7,feed:15,linkedin:12,mastodon:17,mastodon:4,"
	          "mastodon:5,slack:10,slack:11");
	custos_index_free(idx);
}

static void test_index__phrase_near_wildcard(void)
{
	custos_index_t *idx = open_read();
	CHECK_STR(ids(idx, "\"running shoes\""), "x:1");
	CHECK_STR(ids(idx, "\"shoes running\""), "");
	CHECK_STR(ids(idx, "\"model X recall\""), "feed:15");
	CHECK_STR(ids(idx, "\"model X shoes\""), "slack:10");
	CHECK_STR(ids(idx, "confidential NEAR recall"), "slack:10");
	CHECK_STR(ids(idx, "confidential NEAR/1 recall"), "");
	CHECK_STR(ids(idx, "hiring NEAR engineers"), "linkedin:12,x:16");
	/* NEAR/n: within n words, either order; ADJ/n: the same, in order */
	CHECK_STR(ids(idx, "recall NEAR/4 shoes"), "slack:10");
	CHECK_STR(ids(idx, "shoes NEAR/4 recall"), "slack:10");
	CHECK_STR(ids(idx, "recall NEAR/3 shoes"), "");
	CHECK_STR(ids(idx, "recall ADJ/4 shoes"), "slack:10");
	CHECK_STR(ids(idx, "shoes ADJ/4 recall"), "");
	CHECK_STR(ids(idx, "\"recall shoes\""), "");
	CHECK_STR(ids(idx, "\"shoes shoes shoes\""), "mastodon:17");
	CHECK_STR(ids(idx, "\"shoes shoes shoes shoes\""), "");
	/* phrases inside boolean structure and with fields */
	CHECK_STR(ids(idx, "\"running shoes\" OR \"discuss the recall\""), "slack:11,x:1");
	CHECK_STR(ids(idx, "shoes -\"running shoes\""), "mastodon:17,slack:10,x:2");
	CHECK_STR(ids(idx, "shoes AND NOT \"running shoes\""), "mastodon:17,slack:10,x:2");
	CHECK_STR(ids(idx, "\"running shoes\" from:acmecorp"), "x:1");
	CHECK_STR(ids(idx, "\"running shoes\" platform:slack"), "");
	/* the title does not run into the text */
	CHECK_STR(ids(idx, "\"notice important\""), "");
	CHECK_STR(ids(idx, "notice NEAR/11 important"), "feed:15");
	CHECK_STR(ids(idx, "\"recall notice\""), "feed:15");
	/* CJK: n-grams keep their order */
	CHECK_STR(ids(idx, "\"ランニングシューズ\""), "x:13");
	CHECK_STR(ids(idx, "\"シューズランニング\""), "");
	CHECK_STR(ids(idx, "laufsch*"), "mastodon:4");
	CHECK_STR(ids(idx, "recal*"), "feed:15,slack:10,slack:11");
	custos_index_free(idx);
}

static void test_index__fields(void)
{
	custos_index_t *idx = open_read();
	CHECK_STR(ids(idx, "from:AcmeCorp"), "linkedin:12,x:1,x:16,x:20,x:3,x:8,x:9");
	CHECK_STR(ids(idx, "from:acmecorp"), "linkedin:12,x:1,x:16,x:20,x:3,x:8,x:9");
	CHECK_STR(ids(idx, "from:@ACMECORP"), "linkedin:12,x:1,x:16,x:20,x:3,x:8,x:9");
	CHECK_STR(ids(idx, "platform:mastodon"), "mastodon:17,mastodon:4,mastodon:5");
	CHECK_STR(ids(idx, "platform:Slack"), "slack:10,slack:11");
	CHECK_STR(ids(idx, "account:general"), "slack:10,slack:11");
	CHECK_STR(ids(idx, "account:ACME-LI"), "linkedin:12");
	CHECK_STR(ids(idx, "kind:reply"), "mastodon:5,x:14,x:2,x:3");
	CHECK_STR(ids(idx, "lang:de"), "mastodon:4,mastodon:5");
	CHECK_STR(ids(idx, "lang:ja"), "x:13,x:14");
	CHECK_STR(ids(idx, "thread:x:1"), "x:1,x:2,x:3");
	CHECK_STR(ids(idx, "has:media"), "x:1,x:18");
	CHECK_STR(ids(idx, "url:acme.com"), "facebook:6,linkedin:12,x:1,x:20");
	CHECK_STR(ids(idx, "url:careers.acme.com"), "linkedin:12");
	CHECK_STR(ids(idx, "url:https://www.acme.com/other"), "facebook:6,linkedin:12,x:1,x:20");
	CHECK_STR(ids(idx, "shoes platform:x"), "x:1,x:2");
	CHECK_STR(ids(idx, "shoes -platform:x"), "mastodon:17,slack:10");
	custos_index_free(idx);
}

static void test_index__hashtags_and_mentions_case_insensitive(void)
{
	custos_index_t *idx = open_read();
	/* entity on x:1 ("Launch"), only written in the text of mastodon:17 */
	CHECK_STR(ids(idx, "#launch"), "mastodon:17,x:1");
	CHECK_STR(ids(idx, "#LAUNCH"), "mastodon:17,x:1");
	CHECK_STR(ids(idx, "#colors"), "x:3");
	CHECK_STR(ids(idx, "#running"), "x:20");
	CHECK_STR(ids(idx, "#新製品"), "x:13");
	CHECK_STR(ids(idx, "@bob"), "x:3");
	CHECK_STR(ids(idx, "@AcmeCorp"), "x:2");
	CHECK_STR(ids(idx, "#launch OR @bob"), "mastodon:17,x:1,x:3");
	custos_index_free(idx);
}

static void test_index__languages_and_cjk(void)
{
	custos_index_t *idx = open_read();
	CHECK_STR(ids(idx, "シューズ"), "x:13");
	CHECK_STR(ids(idx, "東京"), "x:14");
	/* other languages: the word as written (same English stemming on both
	 * sides), or any inflection with the record's language as stem_lang */
	CHECK_STR(ids(idx, "Häuser"), "mastodon:5");
	CHECK_STR(ids(idx, "häuser"), "mastodon:5");
	CHECK_STR(ids(idx, "chaussures"), "facebook:19");
	/* English and German stems share the Z namespace: "haus" stems alike */
	CHECK_STR(ids(idx, "haus"), "mastodon:5");
	CHECK_STR(ids(idx, "\"Die Häuser sind\""), "mastodon:5");
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	o.stem_lang = "de";
	CHECK_OK(custos_index_search(idx, &res, "haus", &o));
	CHECK_INT(res->n_hits, 1);
	CHECK_STR(res->hits[0].id, "mastodon:5");
	custos_index_results_free(res);
	o.stem_lang = "fr";
	CHECK_OK(custos_index_search(idx, &res, "chaussure", &o));
	CHECK_INT(res->n_hits, 1);
	CHECK_STR(res->hits[0].id, "facebook:19");
	custos_index_results_free(res);
	custos_index_free(idx);
}

static void test_index__date_ranges(void)
{
	custos_index_t *idx = open_read();
	CHECK_STR(ids(idx, "date:2019-01-05"), "x:1,x:2,x:3");
	CHECK_STR(ids(idx, "date:2019-02-28"), "facebook:6");
	CHECK_STR(ids(idx, "date:2019-03-01"), "facebook:7");
	CHECK_STR(ids(idx, "date:2019-03-01+02:00"), "facebook:6,facebook:7");
	CHECK_STR(ids(idx, "date:2019-12-31..2020-01-01"), "x:8,x:9");
	CHECK_STR(ids(idx, "date:..2019-01-31"), "x:1,x:2,x:3");
	CHECK_STR(ids(idx, "date:2022-01-01.."), "facebook:19,x:20");
	CHECK_STR(ids(idx, "date:2019"), "facebook:6,facebook:7,mastodon:4,mastodon:5,x:1,x:2,x:3,x:8");
	CHECK_STR(ids(idx, "date:2020-03"), "slack:10,slack:11");
	CHECK_STR(ids(idx, "date:2019-01-01..2019-01-31+02:00"), "x:1,x:2,x:3");
	CHECK_STR(ids(idx, "date:2020..2021"),
	          "feed:15,linkedin:12,mastodon:17,slack:10,slack:11,x:13,x:14,x:16,x:18,x:9");
	CHECK_STR(ids(idx, "shoes date:2019-01-01..2020-12-31"), "slack:10,x:1,x:2");
	CHECK_STR(ids(idx, "date:2030.."), "");
	custos_index_free(idx);
}

static void test_index__sort_orders_and_paging(void)
{
	custos_index_t *idx = open_read();
	uint64_t total = 0;
	CHECK_STR(page(idx, "platform:x", CUSTOS_SORT_DATE, 0, 20, &total),
	          "x:1,x:2,x:3,x:8,x:9,x:13,x:14,x:16,x:18,x:20");
	CHECK_INT(total, 10);
	CHECK_STR(page(idx, "platform:x", CUSTOS_SORT_DATE_DESC, 0, 20, &total),
	          "x:20,x:18,x:16,x:14,x:13,x:9,x:8,x:3,x:2,x:1");
	CHECK_STR(page(idx, "platform:x", CUSTOS_SORT_DATE_DESC, 2, 3, &total), "x:16,x:14,x:13");
	CHECK_INT(total, 10);
	CHECK_STR(page(idx, "platform:x", CUSTOS_SORT_DATE, 9, 5, &total), "x:20");
	CHECK_STR(page(idx, "platform:x", CUSTOS_SORT_DATE, 10, 5, &total), "");
	CHECK_INT(total, 10);
	/* relevance: "shoes" three times ranks first */
	CHECK_STR(page(idx, "shoes", CUSTOS_SORT_RELEVANCE, 0, 1, &total), "mastodon:17");
	CHECK_INT(total, 4);
	custos_index_free(idx);
}

static void test_index__count_is_exact(void)
{
	custos_index_t *idx = open_read();
	uint64_t n = 0;
	CHECK_OK(custos_index_count(idx, &n, "platform:x"));
	CHECK_INT(n, 10);
	CHECK_OK(custos_index_count(idx, &n, "shoes OR recall"));
	CHECK_INT(n, 6);
	CHECK_OK(custos_index_count(idx, &n, "recall confidential"));
	CHECK_INT(n, 1);
	CHECK_OK(custos_index_count(idx, &n, "date:2019 -platform:x"));
	CHECK_INT(n, 4);

	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	o.count_only = 1;
	CHECK_OK(custos_index_search(idx, &res, "shoes OR hiring", &o));
	CHECK_INT(res->total, 6);
	CHECK(res->total_exact);
	CHECK_INT(res->n_hits, 0);
	CHECK_INT(res->watermark, NCORPUS);
	custos_index_results_free(res);
	custos_index_free(idx);
}

static const char *facet_str(const custos_index_facet_t *f)
{
	static char out[1024];
	out[0] = '\0';
	for (size_t i = 0; i < f->n; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s=%llu", i ? "," : "",
		         f->v[i].value, (unsigned long long)f->v[i].count);
	return out;
}

static void test_index__facets_count_the_whole_result(void)
{
	custos_index_t *idx = open_read();
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	custos_err_t err;
	CHECK_OK(custos_index_facets_parse(&o.facets, "platform,account,author,year,month", &err));
	CHECK_STATUS(custos_index_facets_parse(&o.facets, "platform,colour", &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "colour") != NULL);
	CHECK_OK(custos_index_facets_parse(&o.facets, "platform,account,author,year,month", &err));
	o.limit = 1;   /* facets count every match, not the page */
	CHECK_OK(custos_index_search(idx, &res, "shoes", &o));
	CHECK_INT(res->total, 4);
	CHECK_INT(res->n_hits, 1);
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_PLATFORM]), "x=2,mastodon=1,slack=1");
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_ACCOUNT]), "acme=2,acme-social=1,general=1");
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_AUTHOR]), "AcmeCorp=1,Bob=1,acme=1,alice=1");
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_YEAR]), "2019=2,2020=1,2021=1");
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_MONTH]), "2019-01=2,2020-03=1,2021-05=1");
	custos_index_results_free(res);
	custos_index_free(idx);
}

/* Review coding handed in by the caller: tag 0 on x:1 and x:2, tag 1 on x:1
 * and x:3 (which "shoes" does not match); slack:10 is coded with neither. */
static void test_index__coding_narrows_and_counts_tags_exactly(void)
{
	custos_index_t *idx = open_read();
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	const char *const coded[] = { "x:1", "x:2", "x:3", "slack:10" };
	const unsigned char rows[] = { 3, 1, 2, 0 };
	unsigned char require = 0;
	custos_index_coding_t c = { 4, coded, rows, 2, 1, &require, 1 };
	o.coding = &c;
	o.facets = CUSTOS_FACET_BIT(CUSTOS_FACET_PLATFORM);
	o.limit = 1;
	/* counted, not narrowed: over every match, not the page */
	CHECK_OK(custos_index_search(idx, &res, "shoes", &o));
	CHECK_INT(res->total, 4);
	CHECK_INT(res->n_hits, 1);
	CHECK(res->tag_counts != NULL);
	CHECK_INT(res->tag_counts[0], 2);
	CHECK_INT(res->tag_counts[1], 1);
	custos_index_results_free(res);
	/* narrowed to tag 0, in each order and page */
	require = 1;
	o.limit = 10;
	for (int sort = CUSTOS_SORT_RELEVANCE; sort <= CUSTOS_SORT_DATE_DESC; sort++) {
		o.sort = sort;
		CHECK_OK(custos_index_search(idx, &res, "shoes", &o));
		CHECK_INT(res->total, 2);
		CHECK_INT(res->n_hits, 2);
		CHECK(res->n_hits == 2 && ((!strcmp(res->hits[0].id, "x:1") && !strcmp(res->hits[1].id, "x:2")) ||
		                           (!strcmp(res->hits[0].id, "x:2") && !strcmp(res->hits[1].id, "x:1"))));
		CHECK_INT(res->tag_counts[0], 2);
		CHECK_INT(res->tag_counts[1], 1);
		CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_PLATFORM]), "x=2");
		custos_index_results_free(res);
	}
	o.sort = CUSTOS_SORT_DATE_DESC;
	o.offset = 1;
	o.limit = 1;
	CHECK_OK(custos_index_search(idx, &res, "shoes", &o));
	CHECK_INT(res->total, 2);
	CHECK(res->n_hits == 1 && !strcmp(res->hits[0].id, "x:1"));
	custos_index_results_free(res);
	/* every required tag: both */
	require = 3;
	o.offset = 0;
	o.limit = 10;
	CHECK_OK(custos_index_search(idx, &res, "shoes", &o));
	CHECK_INT(res->total, 1);
	CHECK(res->n_hits == 1 && !strcmp(res->hits[0].id, "x:1"));
	custos_index_results_free(res);
	/* a count, narrowed, counts only what passes */
	require = 2;
	o.count_only = 1;
	o.facets = 0;
	c.count = 0;
	CHECK_OK(custos_index_search(idx, &res, "shoes", &o));
	CHECK_INT(res->total, 1);
	CHECK(res->tag_counts == NULL);
	custos_index_results_free(res);
	CHECK_OK(custos_index_search(idx, &res, "blue", &o));   /* x:2 and x:3: x:3 has tag 1 */
	CHECK_INT(res->total, 1);
	custos_index_results_free(res);
	custos_index_free(idx);
}

static void test_index__facets_of_platforms_without_a_code_and_alone(void)
{
	custos_index_t *idx = build_corpus();
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	custos_record_t r;
	custos_err_t err;
	custos_record_init(&r);
	make_record(&r, &corpus[0], 40);
	CHECK_OK(custos_record_sets(&r, &r.id, "bluesky:1"));
	CHECK_OK(custos_record_sets(&r, &r.platform, "bluesky"));
	CHECK_OK(custos_index_add(idx, &r));
	custos_record_free(&r);
	CHECK_OK(custos_index_commit(idx, 40));
	/* platform and year alone come from the facet value; bluesky has no
	 * code there and is read from the record value */
	CHECK_OK(custos_index_facets_parse(&o.facets, "platform,year", &err));
	CHECK_OK(custos_index_search(idx, &res, "shoes", &o));
	CHECK_INT(res->total, 5);
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_PLATFORM]), "x=2,bluesky=1,mastodon=1,slack=1");
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_YEAR]), "2019=3,2020=1,2021=1");
	custos_index_results_free(res);
	CHECK_OK(custos_index_facets_parse(&o.facets, "platform,author", &err));
	CHECK_OK(custos_index_search(idx, &res, "shoes", &o));
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_PLATFORM]), "x=2,bluesky=1,mastodon=1,slack=1");
	CHECK_STR(facet_str(&res->facets[CUSTOS_FACET_AUTHOR]), "AcmeCorp=2,Bob=1,acme=1,alice=1");
	custos_index_results_free(res);
	custos_index_free(idx);
}

static int text_of(void *ctx, const char *id, uint64_t seq, const char **text, size_t *len)
{
	(void)ctx;
	for (size_t i = 0; i < NCORPUS; i++)
		if (strcmp(corpus[i].id, id) == 0 && seq == i + 1) {
			*text = corpus[i].text;
			*len = strlen(corpus[i].text);
			return 0;
		}
	return -1;
}

static void test_index__hits_carry_fields_and_snippets(void)
{
	custos_index_t *idx = open_read();
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	o.text_fn = text_of;
	o.sort = CUSTOS_SORT_DATE;
	CHECK_OK(custos_index_search(idx, &res, "confidential recall", &o));
	CHECK_INT(res->n_hits, 1);
	custos_index_hit_t *h = &res->hits[0];
	CHECK_STR(h->id, "slack:10");
	CHECK_INT(h->seq, 10);
	CHECK_STR(h->platform, "slack");
	CHECK_STR(h->account, "general");
	CHECK_STR(h->author, "alice");
	int64_t t;
	CHECK_OK(custos_time_parse(&t, "2020-03-15T14:00:00Z", 20));
	CHECK_INT(h->created_at, t);
	CHECK(h->snippet != NULL);
	CHECK(strstr(h->snippet, "[[recall]]") != NULL);
	CHECK(strstr(h->snippet, "[[confidential]]") != NULL);
	custos_index_results_free(res);

	/* markers are the caller's, and HTML escapes are undone */
	o.hi_start = "\033[1m";
	o.hi_end = "\033[0m";
	CHECK_OK(custos_index_search(idx, &res, "blue", &o));
	CHECK_INT(res->n_hits, 2);
	CHECK_STR(res->hits[0].snippet, "@AcmeCorp do the shoes come in \033[1mblue\033[0m?");
	custos_index_results_free(res);
	custos_index_free(idx);
}

static void test_index__thread_lists_root_and_replies_in_order(void)
{
	custos_index_t *idx = open_read();
	custos_index_idlist_t l;
	CHECK_OK(custos_index_thread(idx, &l, "x:1"));
	CHECK_INT(l.n, 3);
	CHECK_STR(l.v[0].id, "x:1");
	CHECK_STR(l.v[1].id, "x:2");
	CHECK_STR(l.v[2].id, "x:3");
	CHECK_INT(l.v[2].seq, 3);
	custos_index_idlist_free(&l);
	CHECK_OK(custos_index_thread(idx, &l, "nosuch:1"));
	CHECK_INT(l.n, 0);
	custos_index_idlist_free(&l);
	custos_index_free(idx);
}

typedef struct {
	char     id[16][32];
	uint64_t seq[16];
	int64_t  created[16];
	size_t   n, restarts, stop_at;
} members_t;

static int member_cb(void *ctx, const char *id, uint64_t seq, int64_t created_at, int several)
{
	members_t *m = ctx;
	(void)several;
	if (m->stop_at && m->n + 1 == m->stop_at)
		return CUSTOS_EIO;
	if (m->n == 16)
		return CUSTOS_ENOMEM;
	snprintf(m->id[m->n], sizeof m->id[0], "%s", id);
	m->seq[m->n] = seq;
	m->created[m->n++] = created_at;
	return CUSTOS_OK;
}

static void member_restart_cb(void *ctx)
{
	members_t *m = ctx;
	m->n = 0;
	m->restarts++;
}

static void test_index__thread_each_gives_what_thread_lists(void)
{
	custos_index_t *idx = open_read();
	custos_index_idlist_t l;
	members_t m;
	memset(&m, 0, sizeof m);
	CHECK_OK(custos_index_thread(idx, &l, "x:1"));
	CHECK_OK(custos_index_thread_each(idx, "x:1", member_cb, member_restart_cb, &m));
	CHECK_INT(m.restarts, 1);
	CHECK_INT(m.n, l.n);
	/* the same records, seqs and times, in whatever order */
	for (size_t i = 0; i < l.n; i++) {
		size_t found = 0;
		for (size_t j = 0; j < m.n; j++)
			found += !strcmp(m.id[j], l.v[i].id) && m.seq[j] == l.v[i].seq &&
			         m.created[j] == l.v[i].created_at;
		CHECK_INT(found, 1);
	}
	custos_index_idlist_free(&l);
	/* the callback's failure ends the listing and is returned */
	memset(&m, 0, sizeof m);
	m.stop_at = 2;
	CHECK_INT(custos_index_thread_each(idx, "x:1", member_cb, NULL, &m), CUSTOS_EIO);
	CHECK_INT(m.n, 1);
	memset(&m, 0, sizeof m);
	CHECK_OK(custos_index_thread_each(idx, "nosuch:1", member_cb, NULL, &m));
	CHECK_INT(m.n, 0);
	custos_index_free(idx);
}

static void test_index__threads_each_reads_many_threads_at_once(void)
{
	custos_index_t *idx = open_read();
	custos_index_idlist_t l;
	members_t m;
	const char *roots[] = { "nosuch:1", "x:1", "x:2" };
	memset(&m, 0, sizeof m);
	CHECK_OK(custos_index_thread(idx, &l, "x:1"));
	CHECK_INT(l.n, 3);
	CHECK_STR(l.v[0].id, "x:1");
	/* the records under the roots, once each, but not the roots' own: a
	 * root that is no thread (nosuch:1, x:2) gives nothing */
	CHECK_OK(custos_index_threads_each(idx, roots, 3, member_cb, member_restart_cb, &m));
	CHECK_INT(m.restarts, 1);
	CHECK_INT(m.n, l.n - 1);
	for (size_t i = 1; i < l.n; i++) {
		size_t found = 0;
		for (size_t j = 0; j < m.n; j++)
			found += !strcmp(m.id[j], l.v[i].id) && m.seq[j] == l.v[i].seq &&
			         m.created[j] == l.v[i].created_at;
		CHECK_INT(found, 1);
	}
	custos_index_idlist_free(&l);
	/* none asked, none given; the callback's failure ends the reading */
	memset(&m, 0, sizeof m);
	CHECK_OK(custos_index_threads_each(idx, roots, 0, member_cb, member_restart_cb, &m));
	CHECK_INT(m.n + m.restarts, 0);
	memset(&m, 0, sizeof m);
	CHECK_OK(custos_index_threads_each(idx, roots + 2, 1, member_cb, NULL, &m));
	CHECK_INT(m.n, 0);
	m.stop_at = 2;
	CHECK_INT(custos_index_threads_each(idx, roots, 3, member_cb, NULL, &m), CUSTOS_EIO);
	CHECK_INT(m.n, 1);
	custos_index_free(idx);
}

static void test_index__term_report_counts_unique_family_and_breakdowns(void)
{
	custos_index_t *idx = open_read();
	const char *q[] = { "shoes", "recall", "confidential" };
	custos_index_term_report_t *r = NULL;
	CHECK_OK(custos_index_term_report(idx, &r, q, 3, 0));
	CHECK_INT(r->n, 3);
	CHECK_INT(r->terms[0].hits, 4);
	CHECK_INT(r->terms[1].hits, 3);
	CHECK_INT(r->terms[2].hits, 2);
	CHECK_INT(r->terms[0].unique, 3);
	CHECK_INT(r->terms[1].unique, 2);
	CHECK_INT(r->terms[2].unique, 1);
	CHECK_INT(r->distinct, 7);
	CHECK(!r->incomplete);
	/* shoes: x:1 and x:2 (thread of x:1: x:1-3), slack:10 (with slack:11),
	 * mastodon:17 alone */
	CHECK_INT(r->terms[0].family, 6);
	CHECK_INT(r->terms[0].n_accounts, 3);
	CHECK_STR(r->terms[0].by_account[0].key, "acme");
	CHECK_INT(r->terms[0].by_account[0].hits, 2);
	CHECK_INT(r->terms[0].n_platforms, 3);
	CHECK_STR(r->terms[0].by_platform[0].key, "x");
	CHECK_INT(r->terms[0].by_platform[0].hits, 2);
	custos_index_term_report_free(r);

	/* a bad line is reported in its entry; the others still run */
	const char *q2[] = { "shoes", "foo:bar", "recall" };
	CHECK_OK(custos_index_term_report(idx, &r, q2, 3, 0));
	CHECK(r->incomplete);
	CHECK_INT(r->terms[0].hits, 4);
	CHECK_INT(r->terms[1].status, CUSTOS_EFORMAT);
	CHECK(strstr(r->terms[1].error, "unknown field 'foo:'") != NULL);
	CHECK_INT(r->terms[2].hits, 3);
	custos_index_term_report_free(r);
	custos_index_free(idx);
}

static void test_index__queued_commit_lands_by_the_next_wait_or_close(void)
{
	custos_index_t *idx = build_corpus();
	custos_record_t r;
	uint64_t w = 0, n = 0;
	char id[16];
	custos_record_init(&r);
	for (int i = 0; i < 50; i++) {
		make_record(&r, &corpus[i % NCORPUS], 100 + (uint64_t)i);
		snprintf(id, sizeof id, "x:%d", 100 + i);
		CHECK_OK(custos_record_sets(&r, &r.id, id));
		CHECK_OK(custos_index_add(idx, &r));
		if (i == 24)
			CHECK_OK(custos_index_commit_queued(idx, 124));
	}
	custos_record_free(&r);
	/* the second half is queued too, but only the first half's commit */
	CHECK_OK(custos_index_watermark(idx, &w));
	CHECK_INT(w, 124);
	CHECK_OK(custos_index_doccount(idx, &n));
	CHECK_INT(n, NCORPUS + 50);   /* the writer sees its own uncommitted documents */
	CHECK_OK(custos_index_commit_queued(idx, 149));
	custos_index_free(idx);   /* closing waits for the writers */

	custos_err_t err;
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err));
	CHECK_OK(custos_index_watermark(idx, &w));
	CHECK_INT(w, 149);
	CHECK_OK(custos_index_doccount(idx, &n));
	CHECK_INT(n, NCORPUS + 50);
	custos_index_free(idx);
}

static void test_index__watermark_persists_across_reopen(void)
{
	custos_index_t *idx = build_corpus();
	uint64_t w = 1;
	CHECK_OK(custos_index_watermark(idx, &w));
	CHECK_INT(w, NCORPUS);
	/* uncommitted work is not there after a close, like after a crash */
	custos_record_t r;
	custos_record_init(&r);
	make_record(&r, &corpus[0], 99);
	CHECK_OK(custos_record_sets(&r, &r.id, "x:99"));
	CHECK_OK(custos_index_add(idx, &r));
	custos_record_free(&r);
	custos_index_free(idx);

	custos_err_t err;
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err));
	CHECK_OK(custos_index_watermark(idx, &w));
	CHECK_INT(w, NCORPUS);
	uint64_t n;
	CHECK_OK(custos_index_doccount(idx, &n));
	CHECK_INT(n, NCORPUS);
	custos_index_free(idx);

	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_WRITE, &err));
	CHECK_OK(custos_index_commit(idx, 42));
	custos_index_free(idx);
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err));
	CHECK_OK(custos_index_watermark(idx, &w));
	CHECK_INT(w, 42);
	custos_index_free(idx);
}

typedef struct {
	size_t n, x1, x20, restarts;
	uint64_t x1_seq;
} each_t;

static int each_fn(void *ctx, const char *id, uint64_t seq)
{
	each_t *e = ctx;
	e->n++;
	if (!strcmp(id, "x:1")) {
		e->x1++;
		e->x1_seq = seq;
	}
	e->x20 += !strcmp(id, "x:20");
	return CUSTOS_OK;
}

static void each_restart(void *ctx)
{
	each_t *e = ctx;
	size_t r = e->restarts + 1;
	memset(e, 0, sizeof *e);
	e->restarts = r;
}

static void test_index__every_version_is_found_and_a_record_counts_once(void)
{
	custos_index_t *idx = build_corpus();
	custos_record_t r;
	uint64_t n;
	custos_record_init(&r);
	CHECK_OK(custos_index_delete(idx, "x:20"));
	CHECK_OK(custos_index_delete(idx, "nosuch:1"));
	/* a new version of x:1, given twice (a replay replaces its document) */
	make_record(&r, &corpus[0], 21);
	r.version = 2;
	CHECK_OK(custos_record_sets(&r, &r.text, "Launching our new hiking boots"));
	CHECK_OK(custos_index_add(idx, &r));
	CHECK_OK(custos_index_add(idx, &r));
	custos_record_free(&r);
	CHECK_OK(custos_index_commit(idx, 21));
	CHECK_OK(custos_index_doccount(idx, &n));
	CHECK_INT(n, NCORPUS);   /* 20 - x:20 + x:1's second version */
	/* each version by its own words */
	CHECK_STR(ids(idx, "running"), "x:1,x:9");
	CHECK_STR(ids(idx, "boots"), "x:1");
	CHECK_STR(ids(idx, "shoes"), "mastodon:17,slack:10,x:1,x:2");
	/* matched by both versions: one record listing both */
	custos_index_idlist_t l;
	CHECK_OK(custos_index_match_ids(idx, &l, "\"launching our new\""));
	CHECK_INT(l.n, 1);
	CHECK_INT(l.v[0].n_matched, 2);
	CHECK_INT(l.v[0].matched_seqs[0], 1);
	CHECK_INT(l.v[0].matched_seqs[1], 21);
	custos_index_idlist_free(&l);
	CHECK_OK(custos_index_match_ids(idx, &l, "hiking"));
	CHECK_INT(l.n, 1);
	CHECK_INT(l.v[0].seq, 21);
	CHECK_INT(l.v[0].n_matched, 1);
	custos_index_idlist_free(&l);
	CHECK_OK(custos_index_count(idx, &n, "\"our new\" OR hiking"));
	CHECK_INT(n, 1);
	CHECK_OK(custos_index_count(idx, &n, "*"));
	CHECK_INT(n, NCORPUS - 1);
	/* verify's listing: every record once, at its highest version */
	each_t e = { 0 };
	CHECK_OK(custos_index_each_record(idx, each_fn, each_restart, &e));
	CHECK_INT(e.restarts, 1);
	CHECK_INT(e.n, NCORPUS - 1);
	CHECK_INT(e.x1, 1);
	CHECK_INT(e.x1_seq, 21);
	CHECK_INT(e.x20, 0);
	/* a page lists the record once and says which versions matched */
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	o.facets = CUSTOS_FACET_BIT(CUSTOS_FACET_PLATFORM);
	CHECK_OK(custos_index_search(idx, &res, "\"our new\" OR hiking OR happy", &o));
	CHECK_INT(res->total, 2);
	CHECK_INT(res->n_hits, 2);
	CHECK_INT(res->facets[CUSTOS_FACET_PLATFORM].v[0].count, 2);
	for (size_t i = 0; i < res->n_hits; i++)
		if (strcmp(res->hits[i].id, "x:1") == 0) {
			CHECK_INT(res->hits[i].n_matched, 2);
			CHECK_INT(res->hits[i].matched_versions[0], 1);
			CHECK_INT(res->hits[i].matched_versions[1], 2);
		}
	custos_index_results_free(res);
	custos_index_free(idx);

	/* deleting a record takes every version, also without the worker thread */
	custos_err_t err;
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_NOTHREAD, &err));
	CHECK_OK(custos_index_delete(idx, "x:1"));
	CHECK_OK(custos_index_commit(idx, 22));
	CHECK_STR(ids(idx, "boots"), "");
	CHECK_STR(ids(idx, "\"launching our\""), "");
	CHECK_OK(custos_index_doccount(idx, &n));
	CHECK_INT(n, NCORPUS - 2);
	custos_index_free(idx);
}

/* Xapian 1.4.22 fails with "Unexpected end of posting list" on a term that
 * every document of a shard holds, matched at zero weight, once the shard
 * holds about 1,200 documents whose ids have gaps (ours are store seqs spread
 * over the shards). 6,000 records: at least 1,500 a shard with up to 4. */
static void test_index__a_term_every_document_holds_answers_at_realistic_size(void)
{
	custos_index_t *idx = NULL;
	custos_record_t r;
	custos_err_t err;
	const size_t n = 6000;
	snprintf(index_path, sizeof index_path, "%s/index", check_tmpdir);
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, &err));
	custos_record_init(&r);
	for (size_t i = 0; i < n; i++) {
		char id[32], text[64];
		row_t w = corpus[0];
		snprintf(id, sizeof id, "x:%zu", i + 1);
		snprintf(text, sizeof text, "post %zu %s", i, i % 3 ? "steam" : "hot");
		w.id = id;
		w.text = text;
		w.tags = NULL;
		w.urls = NULL;
		w.media = 0;
		make_record(&r, &w, i + 1);
		CHECK_OK(custos_index_add(idx, &r));
	}
	custos_record_free(&r);
	CHECK_OK(custos_index_commit(idx, n));
	custos_index_free(idx);
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err));
	uint64_t total = 0, c;
	CHECK_STR(page(idx, "platform:x", CUSTOS_SORT_RELEVANCE, 0, 3, &total), "x:1,x:2,x:3");
	CHECK_INT(total, n);
	page(idx, "platform:x", CUSTOS_SORT_DATE_DESC, 0, 3, &total);
	CHECK_INT(total, n);
	CHECK_OK(custos_index_count(idx, &c, "platform:x"));
	CHECK_INT(c, n);
	CHECK_OK(custos_index_count(idx, &c, "*"));
	CHECK_INT(c, n);
	CHECK_OK(custos_index_count(idx, &c, "post platform:x -steam"));
	CHECK_INT(c, n / 3);
	CHECK_OK(custos_index_count(idx, &c, "NOT from:acmecorp"));
	CHECK_INT(c, 0);
	custos_index_idlist_t l;
	CHECK_OK(custos_index_match_ids(idx, &l, "platform:x"));
	CHECK_INT(l.n, n);
	custos_index_idlist_free(&l);
	const char *q[] = { "platform:x", "*", "from:acmecorp hot" };
	custos_index_term_report_t *rep = NULL;
	CHECK_OK(custos_index_term_report(idx, &rep, q, 3, 0));
	CHECK_INT(rep->terms[0].hits, n);
	CHECK_INT(rep->terms[1].hits, n);
	CHECK_INT(rep->terms[2].hits, n / 3);
	custos_index_term_report_free(rep);
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	o.facets = CUSTOS_FACET_BIT(CUSTOS_FACET_PLATFORM);
	CHECK_OK(custos_index_search(idx, &res, "platform:x", &o));
	CHECK_INT(res->total, n);
	CHECK_INT(res->facets[CUSTOS_FACET_PLATFORM].v[0].count, n);
	custos_index_results_free(res);
	custos_index_free(idx);
}

/* The entries of a directory, sorted, comma-separated (static storage). */
static const char *dir_list(const char *path)
{
	static char out[4096];
	struct dirent **v = NULL;
	int n = scandir(path, &v, NULL, alphasort);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (v[i]->d_name[0] != '.') {
			if (out[0])
				strncat(out, ",", sizeof out - strlen(out) - 1);
			strncat(out, v[i]->d_name, sizeof out - strlen(out) - 1);
		}
		free(v[i]);
	}
	free(v);
	return out;
}

/* The MANIFEST names a generation per partition (a year of records):
 * compaction makes each partition's next generation and removes the old;
 * what a crash left (a generation the MANIFEST does not name, a build, an
 * earlier layout's gen-<G>) is removed by the next writer; a missing shard
 * is named with its partition. */
static void test_index__generations_swap_whole_and_leftovers_go(void)
{
	custos_index_t *idx = build_corpus();
	custos_err_t err;
	char p[20000];
	custos_index_free(idx);
	CHECK_OK(custos_index_check(index_path, &err));
	CHECK_STR(dir_list(index_path), "2019-1,2020-2,2021-3,2022-4,MANIFEST");
	CHECK_OK(custos_index_compact(index_path, &err));
	CHECK_STR(dir_list(index_path), "2019-5,2020-6,2021-7,2022-8,MANIFEST");
	/* a crash after a next generation was written, before the swap */
	snprintf(p, sizeof p, "cp -r '%s/2020-6' '%s/2020-9' && mkdir -p '%s/build/shard0' '%s/gen-3'",
	         index_path, index_path, index_path, index_path);
	CHECK(system(p) == 0);
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err));
	CHECK_STR(ids(idx, "shoes"), "mastodon:17,slack:10,x:1,x:2");
	custos_index_free(idx);
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_WRITE, &err));
	custos_index_free(idx);
	CHECK_STR(dir_list(index_path), "2019-5,2020-6,2021-7,2022-8,MANIFEST");
	/* a shard gone: open and check name it */
	snprintf(p, sizeof p, "rm -rf '%s/2020-6/shard1'", index_path);
	CHECK(system(p) == 0);
	CHECK_STATUS(custos_index_check(index_path, &err), CUSTOS_EINDEX);
	CHECK(strstr(err.msg, "missing shard 1 of 2 of partition 2020") != NULL);
	CHECK_STATUS(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err), CUSTOS_EINDEX);
	CHECK(strstr(err.msg, "2020-6/shard1") != NULL);
}

/* verify's deeper check: every table of every shard read through Xapian's
 * checker; a table cut short is named with its shard. */
static void test_index__check_tables_names_a_damaged_shard(void)
{
	custos_index_t *idx = build_corpus();
	custos_err_t err;
	bool unchecked = true;
	char p[13000];
	custos_index_free(idx);
	CHECK_OK(custos_index_check_tables(index_path, &unchecked, &err));
	CHECK(!unchecked);
	CHECK_STR(dir_list(index_path), "2019-1,2020-2,2021-3,2022-4,MANIFEST");
	snprintf(p, sizeof p, "f='%s/2020-2/shard0/postlist.glass' && test -f \"$f\" && truncate -s 1000 \"$f\"",
	         index_path);
	CHECK(system(p) == 0);
	CHECK_OK(custos_index_check(index_path, &err));   /* the quick check sees every shard */
	CHECK_STATUS(custos_index_check_tables(index_path, &unchecked, &err), CUSTOS_EINDEX);
	CHECK(strstr(err.msg, "shard 0 of ") != NULL);
	CHECK(strstr(err.msg, " of partition 2020 (") != NULL);
	CHECK(strstr(err.msg, "/2020-2/shard0') is damaged") != NULL);
}

/* Query text is folded as the index folds it: Unicode bold letters,
 * full-width forms and ligatures read as plain letters; =word is exact. */
static void test_index__folding_and_exact_words(void)
{
	custos_index_t *idx = NULL;
	custos_record_t r;
	custos_err_t err;
	row_t w = corpus[0];
	snprintf(index_path, sizeof index_path, "%s/index", check_tmpdir);
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, &err));
	custos_record_init(&r);
	w.tags = w.urls = NULL;
	w.id = "x:1";
	w.text = "\xf0\x9d\x97\x9c\xf0\x9d\x97\xbb\xf0\x9d\x97\xb0 office \xef\xac\x81nance";
	make_record(&r, &w, 1);
	CHECK_OK(custos_index_add(idx, &r));
	w.id = "x:2";
	w.text = "\xef\xbd\x92\xef\xbd\x95\xef\xbd\x8e\xef\xbd\x8e\xef\xbd\x89\xef\xbd\x8e\xef\xbd\x87 caf\xc3\xa9";
	make_record(&r, &w, 2);
	CHECK_OK(custos_index_add(idx, &r));
	custos_record_free(&r);
	CHECK_OK(custos_index_commit(idx, 2));
	CHECK_STR(ids(idx, "inc"), "x:1");            /* bold "Inc" */
	CHECK_STR(ids(idx, "finance"), "x:1");        /* the fi ligature */
	CHECK_STR(ids(idx, "run"), "x:2");            /* full-width "running", stemmed */
	CHECK_STR(ids(idx, "=running"), "x:2");
	CHECK_STR(ids(idx, "=run"), "");
	CHECK_STR(ids(idx, "\xef\xbd\x92un"), "x:2"); /* a full-width query letter */
	CHECK_STR(ids(idx, "cafe"), "");
	CHECK_STR(ids(idx, "caf\xc3\xa9"), "x:2");
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	o.query_flags = CUSTOS_QUERY_ACCENTS;
	CHECK_OK(custos_index_search(idx, &res, "cafe", &o));
	CHECK_INT(res->total, 1);
	custos_index_results_free(res);
	custos_index_free(idx);
}

static void bad_query(custos_index_t *idx, const char *q, const char *want_in_msg)
{
	uint64_t n;
	custos_err_t err;
	int e = custos_index_count(idx, &n, q);
	if (e != CUSTOS_EFORMAT)
		check__fail(__FILE__, __LINE__, "query '%.40s' gave %d, wanted CUSTOS_EFORMAT", q, e);
	if (want_in_msg && !strstr(custos_index_errmsg(idx), want_in_msg))
		check__fail(__FILE__, __LINE__, "query '%.40s': message '%s' lacks '%s'", q,
		            custos_index_errmsg(idx), want_in_msg);
	/* the check without an index says the same */
	CHECK_STATUS(custos_index_query_check(q, &err), CUSTOS_EFORMAT);
}

static void test_index__bad_queries_say_where(void)
{
	custos_index_t *idx = open_read();
	bad_query(idx, "", "empty");
	bad_query(idx, "   ", "empty");
	bad_query(idx, "shoes \"running shoes", "position 6");
	bad_query(idx, "(shoes OR recall", "position 0");
	bad_query(idx, "shoes) recall", "position 5");
	bad_query(idx, "shoes foo:bar", "unknown field 'foo:' at position 6");
	bad_query(idx, "date:2020-01-01..2019-01-01", "ends before it starts");
	bad_query(idx, "date:2019-13-01", "position 5");
	bad_query(idx, "date:2019-02-30", "bad date");
	bad_query(idx, "shoes \xff\xfe", "invalid UTF-8 in query at position 6");
	bad_query(idx, "AND shoes", "position 0");
	bad_query(idx, "shoes OR", "position 6");
	bad_query(idx, "from:", "without a value");
	bad_query(idx, "()", "empty parentheses");
	/* 10,000 terms */
	size_t cap = 10000 * 6 + 1;
	char *big = malloc(cap);
	CHECK(big != NULL);
	for (int i = 0; i < 10000; i++)
		memcpy(big + (size_t)i * 5, "word ", 5);
	big[10000 * 5] = '\0';
	bad_query(idx, big, "too long");
	free(big);
	CHECK_OK(custos_index_query_check("shoes date:2019-01-01..2019-01-31+02:00 #tag @x", NULL));
	CHECK_OK(custos_index_query_check("see https://acme.com/x", NULL));
	custos_index_free(idx);
}

static void test_index__missing_or_corrupt_index_is_eindex(void)
{
	custos_index_t *idx = NULL;
	custos_err_t err;
	char p[4300];
	snprintf(p, sizeof p, "%s/nosuch", check_tmpdir);
	CHECK_STATUS(custos_index_open(&idx, p, CUSTOS_INDEX_READ, &err), CUSTOS_EINDEX);
	CHECK(idx == NULL);
	CHECK(strstr(err.msg, "--rebuild") != NULL);
	CHECK_STATUS(custos_index_open(&idx, p, CUSTOS_INDEX_WRITE, &err), CUSTOS_EINDEX);

	idx = build_corpus();
	custos_index_free(idx);
	/* overwrite the posting table with garbage */
	snprintf(p, sizeof p, "%s/2019-1/shard0/postlist.glass", index_path);
	FILE *f = fopen(p, "r+b");
	CHECK(f != NULL);
	char junk[8192];
	memset(junk, 0x5a, sizeof junk);
	CHECK(fwrite(junk, 1, sizeof junk, f) == sizeof junk);
	CHECK(fclose(f) == 0);
	snprintf(p, sizeof p, "%s/2019-1/shard0/iamglass", index_path);
	f = fopen(p, "wb");
	CHECK(f != NULL);
	CHECK(fwrite("garbage", 1, 7, f) == 7);
	CHECK(fclose(f) == 0);
	int e = custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err);
	if (e == CUSTOS_OK) {
		uint64_t n;
		e = custos_index_count(idx, &n, "shoes");
		custos_index_free(idx);
	}
	CHECK_INT(e, CUSTOS_EINDEX);
}

static void test_index__compact_keeps_results(void)
{
	custos_index_t *idx = build_corpus();
	custos_err_t err;
	custos_index_free(idx);
	CHECK_OK(custos_index_compact(index_path, &err));
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err));
	CHECK_STR(ids(idx, "shoes"), "mastodon:17,slack:10,x:1,x:2");
	uint64_t w;
	CHECK_OK(custos_index_watermark(idx, &w));
	CHECK_INT(w, NCORPUS);
	custos_index_free(idx);
	char p[4300];
	struct stat st;
	snprintf(p, sizeof p, "%s/2019-1", index_path);
	CHECK(stat(p, &st) != 0);
}

static void test_index__add_requires_id_seq_and_time(void)
{
	custos_index_t *idx = build_corpus();
	custos_record_t r;
	custos_record_init(&r);
	make_record(&r, &corpus[0], 0);
	CHECK_STATUS(custos_index_add(idx, &r), CUSTOS_EINVAL);
	custos_record_free(&r);
	custos_index_free(idx);
	custos_err_t err;
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err));
	custos_record_init(&r);
	make_record(&r, &corpus[0], 5);
	CHECK_STATUS(custos_index_add(idx, &r), CUSTOS_EINVAL);
	custos_record_free(&r);
	custos_index_free(idx);
}

/* A writer that runs for months (the index service) remembers which words of
 * the lexicon it has written so as not to write them again; posts that each
 * bring new words (ids, numbers, URLs) must not make that memory grow with
 * the archive. Eight new words a record, a commit every 500 records: each
 * lane (at most four) meets at least 16,000 x 8 / 4 = 32,000 words, about
 * twice what it may keep. */
static void test_index__lexicon_memory_is_bounded_while_words_keep_coming(void)
{
	custos_index_t *idx = NULL;
	custos_record_t r;
	custos_err_t err;
	char id[32], text[256];
	size_t held = 0;
	const int n = 16000, every = 500, words = 8;
	snprintf(index_path, sizeof index_path, "%s/index", check_tmpdir);
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, &err));
	custos_record_init(&r);
	for (int i = 1; i <= n; i++) {
		row_t w = { .platform = "x", .account = "acme", .kind = "post", .author = "a",
		            .created = "2023-05-01T10:00:00Z", .lang = "en", .text = text };
		snprintf(id, sizeof id, "x:%d", i);
		snprintf(text, sizeof text, "a%dx b%dx c%dx d%dx e%dx f%dx g%dx h%dx", i, i, i, i, i, i,
		         i, i);
		w.id = id;
		make_record(&r, &w, (uint64_t)i);
		CHECK_OK(custos_index_add(idx, &r));
		if (i % every == 0) {
			CHECK_OK(custos_index_commit_queued(idx, (uint64_t)i));
			CHECK_OK(custos_index__lexicon_held(idx, &held));
			CHECK(held <= CUSTOS_INDEX__LEXICON_SEEN_MAX + (size_t)every * words);
		}
	}
	custos_record_free(&r);
	CHECK_OK(custos_index_commit(idx, (uint64_t)n));
	custos_index_free(idx);
	/* words written before and after the lanes forgot are in the lexicon */
	CHECK_OK(custos_index_open(&idx, index_path, CUSTOS_INDEX_READ, &err));
	CHECK_STR(ids(idx, "a7?"), "x:7");
	CHECK_STR(ids(idx, "h1599?x"), "x:15990,x:15991,x:15992,x:15993,x:15994,x:15995,x:15996,"
	                               "x:15997,x:15998,x:15999");
	custos_index_free(idx);
}

/* A disposition's shortcut: a year all of whose records go is dropped whole,
 * a year most of whose records go is rebuilt from the one that stays, a
 * year none of whose records go is left alone; the one that stays is found
 * as before, the others nowhere, also after reopening. */
static void test_index__drop_whole_and_rebuild_keep_exactly_the_others(void)
{
	custos_index_t *idx = build_corpus(), *rd = NULL;
	custos_index_idlist_t y19, y20;
	custos_err_t err;
	const char *gone[NCORPUS];
	size_t n = 0;
	unsigned parts = 0, rebuilt = 0;
	uint64_t docs = 0, count;
	char keep[64];
	CHECK_OK(custos_index_match_ids(idx, &y19, "date:2019-01-01..2019-12-31"));
	CHECK_OK(custos_index_match_ids(idx, &y20, "date:2020-01-01..2020-12-31"));
	CHECK(y19.n >= 2 && y20.n >= 3);
	for (size_t i = 0; i < y19.n; i++)
		gone[n++] = y19.v[i].id;
	snprintf(keep, sizeof keep, "%s", y20.v[0].id);
	for (size_t i = 1; i < y20.n; i++)
		gone[n++] = y20.v[i].id;
	CHECK_OK(custos_index_drop_whole(idx, gone, n, &parts, &docs, &rebuilt));
	CHECK_INT(parts, 1);
	CHECK_INT(docs, y19.n);
	CHECK_INT(rebuilt, 1);
	/* the run's deletes find nothing to do in either */
	for (size_t i = 0; i < n; i++)
		CHECK_OK(custos_index_delete(idx, gone[i]));
	CHECK_OK(custos_index_commit(idx, NCORPUS));
	CHECK_OK(custos_index_doccount(idx, &count));
	CHECK_INT(count, NCORPUS);
	CHECK_OK(custos_index_drop_marked(idx));
	CHECK_OK(custos_index_doccount(idx, &count));
	CHECK_INT(count, NCORPUS - n);
	CHECK_STR(ids(idx, "date:2019-01-01..2019-12-31"), "");
	CHECK_STR(ids(idx, "date:2020-01-01..2020-12-31"), keep);
	CHECK_OK(custos_index_compact_pending(idx));
	custos_index_free(idx);
	CHECK_OK(custos_index_open(&rd, index_path, CUSTOS_INDEX_READ, &err));
	CHECK_OK(custos_index_doccount(rd, &count));
	CHECK_INT(count, NCORPUS - n);
	CHECK_STR(ids(rd, "date:2019-01-01..2020-12-31"), keep);
	CHECK_OK(custos_index_count(rd, &count, "date:2021-01-01..2022-12-31"));
	CHECK(count >= 2);
	custos_index_free(rd);
	custos_index_idlist_free(&y19);
	custos_index_idlist_free(&y20);
}

CHECK_MAIN(
	CHECK_CASE(test_index__free_text_and_stemming),
	CHECK_CASE(test_index__boolean_operators),
	CHECK_CASE(test_index__phrase_near_wildcard),
	CHECK_CASE(test_index__fields),
	CHECK_CASE(test_index__hashtags_and_mentions_case_insensitive),
	CHECK_CASE(test_index__languages_and_cjk),
	CHECK_CASE(test_index__date_ranges),
	CHECK_CASE(test_index__sort_orders_and_paging),
	CHECK_CASE(test_index__count_is_exact),
	CHECK_CASE(test_index__facets_count_the_whole_result),
	CHECK_CASE(test_index__coding_narrows_and_counts_tags_exactly),
	CHECK_CASE(test_index__facets_of_platforms_without_a_code_and_alone),
	CHECK_CASE(test_index__hits_carry_fields_and_snippets),
	CHECK_CASE(test_index__thread_lists_root_and_replies_in_order),
	CHECK_CASE(test_index__thread_each_gives_what_thread_lists),
	CHECK_CASE(test_index__threads_each_reads_many_threads_at_once),
	CHECK_CASE(test_index__term_report_counts_unique_family_and_breakdowns),
	CHECK_CASE(test_index__queued_commit_lands_by_the_next_wait_or_close),
	CHECK_CASE(test_index__watermark_persists_across_reopen),
	CHECK_CASE(test_index__check_tables_names_a_damaged_shard),
	CHECK_CASE(test_index__every_version_is_found_and_a_record_counts_once),
	CHECK_CASE(test_index__a_term_every_document_holds_answers_at_realistic_size),
	CHECK_CASE(test_index__generations_swap_whole_and_leftovers_go),
	CHECK_CASE(test_index__folding_and_exact_words),
	CHECK_CASE(test_index__bad_queries_say_where),
	CHECK_CASE(test_index__missing_or_corrupt_index_is_eindex),
	CHECK_CASE(test_index__compact_keeps_results),
	CHECK_CASE(test_index__add_requires_id_seq_and_time),
	CHECK_CASE(test_index__lexicon_memory_is_bounded_while_words_keep_coming),
	CHECK_CASE(test_index__drop_whole_and_rebuild_keep_exactly_the_others)
)
