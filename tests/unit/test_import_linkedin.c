/* The linkedin importer: CSV quoting (RFC 4180 plus LinkedIn's quirks),
 * record fields, bad rows, and the real sanand0 export. */
#include "import_b_helpers.h"

int custos_import__linkedin_stream(custos_input_t *in, const char *account,
                                   const custos_import_sink_t *sink, custos_err_t *err);

static int run_mem(tsink_t *s, const char *csv, size_t chunk, custos_err_t *err)
{
	tin_t t;
	custos_import_sink_t k = tsink_make(s);
	tin_mem(&t, csv, strlen(csv), "Shares.csv");
	t.chunk = chunk;
	return custos_import__linkedin_stream(&t.in, "sanand0", &k, err);
}

static int run_mem_bad(tsink_t *s, const char *csv, int bad_status, custos_err_t *err)
{
	tin_t t;
	custos_import_sink_t k = tsink_make(s);
	s->bad_status = bad_status;
	tin_mem(&t, csv, strlen(csv), "Shares.csv");
	return custos_import__linkedin_stream(&t.in, "sanand0", &k, err);
}

static int run_file(tsink_t *s, const char *path, const char *name, size_t chunk, custos_err_t *err)
{
	tin_t t;
	custos_import_sink_t k = tsink_make(s);
	tin_file(&t, path, name);
	t.chunk = chunk;
	int st = custos_import__linkedin_stream(&t.in, NULL, &k, err);
	tin_close(&t);
	return st;
}

static custos_record_t *find_text(tsink_t *s, const char *prefix)
{
	for (size_t i = 0; i < s->n_keep; i++)
		if (s->keep[i].text && !strncmp(s->keep[i].text, prefix, strlen(prefix)))
			return &s->keep[i];
	check__fail(__FILE__, __LINE__, "no record whose text starts '%s'", prefix);
}

static void test_linkedin__share_row_becomes_post_with_urn_id(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	const char *csv =
		"Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\r\n"
		"2024-01-02 03:04:05,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A111,"
		"\"a, \"\"quoted\"\" #tag\",https://example.com/a,https://media.example/x.jpg,MEMBER_NETWORK\r\n";
	CHECK_OK(run_mem(&s, csv, 0, &err));
	CHECK_INT(s.n, 1);
	CHECK_INT(s.invalid, 0);
	custos_record_t *r = tsink_find(&s, "linkedin:111");
	CHECK_STR(r->platform, "linkedin");
	CHECK_STR(r->kind, "post");
	CHECK_STR(r->text, "a, \"quoted\" #tag");
	CHECK_STR(r->account, "sanand0");
	CHECK_STR(r->visibility, "connections");
	CHECK_INT(r->created_at, 1704164645000LL);
	CHECK(strv_has(&r->urls, "https://example.com/a"));
	CHECK(strv_has(&r->hashtags, "tag"));
	CHECK_INT(r->n_media, 1);
	CHECK_STR(r->media[0].url, "https://media.example/x.jpg");
	CHECK_INT(r->source.line, 2);
	/* raw is the row's bytes without its line end */
	CHECK(strstr(s.raws.data, "\"a, \"\"quoted\"\" #tag\",") != NULL);
	CHECK(strstr(s.raws.data, "\r\n") == NULL);
	tsink_free(&s);
}

static void test_linkedin__media_rows_of_one_post_make_one_record(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	const char *csv =
		"Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\r\n"
		"2024-01-02 03:04:05,https://x/urn%3Ali%3Ashare%3A7,\"two\nlines\",,https://m/1.jpg,PUBLIC\r\n"
		"2024-01-02 03:04:05,https://x/urn%3Ali%3Ashare%3A7,\"two\nlines\",,https://m/2.jpg,PUBLIC\r\n"
		"2024-01-02 03:04:06,https://x/urn%3Ali%3Ashare%3A8,next,,,PUBLIC\r\n";
	CHECK_OK(run_mem(&s, csv, 5, &err));
	CHECK_INT(s.n, 2);
	custos_record_t *r = tsink_find(&s, "linkedin:7");
	CHECK_INT(r->n_media, 2);
	CHECK_STR(r->media[1].url, "https://m/2.jpg");
	CHECK_INT(r->source.line, 2);
	/* raw: both rows exactly as in the file, the line end between them included */
	const char *want =
		"2024-01-02 03:04:05,https://x/urn%3Ali%3Ashare%3A7,\"two\nlines\",,https://m/1.jpg,PUBLIC\r\n"
		"2024-01-02 03:04:05,https://x/urn%3Ali%3Ashare%3A7,\"two\nlines\",,https://m/2.jpg,PUBLIC\n--\n";
	CHECK(!strncmp(s.raws.data, want, strlen(want)));
	CHECK_INT(tsink_find(&s, "linkedin:8")->source.line, 6);
	tsink_free(&s);
}

static void test_linkedin__wrapped_lines_and_backslash_quotes_are_repaired(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	const char *csv =
		"Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
		"2024-01-02 03:04:05,https://x/urn%3Ali%3Ashare%3A1,\"first \"\"q\"\"\"\"\n\"\"\"\"\n\"\"last\",,,PUBLIC\n"
		"2024-01-02 03:04:06,https://x/urn%3Ali%3Ashare%3A2,\"say \\\"hi\\\"\",,,PUBLIC\n"
		"2024-01-02 03:04:07,https://x/urn%3Ali%3Ashare%3A3,\"plain\nbreak\",,,PUBLIC\n";
	CHECK_OK(run_mem(&s, csv, 0, &err));
	CHECK_INT(s.n, 3);
	CHECK_STR(tsink_find(&s, "linkedin:1")->text, "first \"q\"\n\nlast");
	CHECK_STR(tsink_find(&s, "linkedin:2")->text, "say \"hi\"");
	CHECK_STR(tsink_find(&s, "linkedin:3")->text, "plain\nbreak");
	CHECK_INT(tsink_find(&s, "linkedin:2")->source.line, 5);
	CHECK_INT(tsink_find(&s, "linkedin:3")->source.line, 6);
	tsink_free(&s);
}

static void test_linkedin__comment_replies_to_the_linked_post_with_derived_id(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	const char *csv =
		"Date,Link,Message\n"
		"2025-07-13 08:04:08,https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7348202933752053761,"
		"Rohan Sen wow! What was the prompt?\n";
	CHECK_OK(run_mem(&s, csv, 0, &err));
	CHECK_INT(s.n, 1);
	custos_record_t *r = &s.keep[0];
	CHECK_STR(r->kind, "comment");
	CHECK_STR(r->in_reply_to, "linkedin:7348202933752053761");
	/* id recipe (docs/importers.md): the Date as 20250713T080408Z, "-", then
	 * sha256("1752393848000\0<post>\0<text>")[0:16] in hex, checked with:
	 * python3 -c "import hashlib;print(hashlib.sha256(b'1752393848000\0linkedin:7348202933752053761\0Rohan Sen wow! What was the prompt?').hexdigest()[:32])" */
	CHECK_STR(r->id, "linkedin:20250713T080408Z-2e124fa54cab8b8a8ebc182f3c4fba4a");
	tsink_free(&s);
}

/* run_mem with an archive that already holds the ids of held. */
static int run_mem_held(tsink_t *s, const char *csv, const char *held, custos_err_t *err)
{
	tin_t t;
	custos_import_sink_t k = tsink_make(s);
	s->held = held;
	tin_mem(&t, csv, strlen(csv), "Comments.csv");
	return custos_import__linkedin_stream(&t.in, "sanand0", &k, err);
}

#define POST_A "https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7000000000000000001"
#define POST_B "https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7000000000000000002"

static void test_linkedin__one_comment_on_two_posts_is_two_records(void)
{
	/* the same words at the same second on two posts were one record (the
	 * second a version of the first, and thread: found one post's) */
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_mem_held(&s, "Date,Link,Message\n"
	                      "2025-07-13 08:04:08," POST_A ",Congratulations!\n"
	                      "2025-07-13 08:04:08," POST_B ",Congratulations!\n", NULL, &err));
	CHECK_INT(s.n, 2);
	CHECK(strcmp(s.keep[0].id, s.keep[1].id) != 0);
	CHECK_STR(s.keep[0].thread, "linkedin:7000000000000000001");
	CHECK_STR(s.keep[1].thread, "linkedin:7000000000000000002");
	/* python3 -c "import hashlib;print(hashlib.sha256(b'1752393848000\0'
	 *   b'linkedin:7000000000000000002\0Congratulations!').hexdigest()[:32])" */
	CHECK_STR(s.keep[1].id, "linkedin:20250713T080408Z-998ffde419d4c7621583f3491b6245ff");
	tsink_free(&s);
}

static void test_linkedin__a_comment_an_archive_holds_under_its_old_id_keeps_it(void)
{
	/* the recipe without the post (before 2026-12):
	 * python3 -c "import hashlib;print(hashlib.sha256(b'1752393848000\0'
	 *   b'Rohan Sen wow! What was the prompt?').hexdigest()[:32])" */
	static const char old[] = "linkedin:20250713T080408Z-0a018f6bcd23b5c290ee7635a81e6cc4";
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_mem_held(&s, "Date,Link,Message\n2025-07-13 08:04:08," POST_A ","
	                      "Rohan Sen wow! What was the prompt?\n", old, &err));
	CHECK_INT(s.n, 1);
	CHECK_STR(s.keep[0].id, old);
	CHECK_INT(s.n_asked, 1);
	tsink_free(&s);
	/* an archive without it: the new recipe */
	CHECK_OK(run_mem_held(&s, "Date,Link,Message\n2025-07-13 08:04:08," POST_A ","
	                      "Rohan Sen wow! What was the prompt?\n", "linkedin:other", &err));
	CHECK(strcmp(s.keep[0].id, old) != 0);
	tsink_free(&s);
}

static void test_linkedin__rows_of_one_post_with_two_texts_keep_both(void)
{
	/* rows of one Date and ShareLink are one post (its media); a row whose
	 * text differs kept only the first text searchable */
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_mem(&s, "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
	                 "2025-07-01 14:33:22,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A71,"
	                 "First words #alpha,,https://media/1,PUBLIC\n"
	                 "2025-07-01 14:33:22,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A71,"
	                 "First words #alpha,,https://media/2,PUBLIC\n"
	                 "2025-07-01 14:33:22,https://www.linkedin.com/feed/update/urn%3Ali%3Ashare%3A71,"
	                 "Other words #beta,,https://media/3,PUBLIC\n", 0, &err));
	CHECK_INT(s.n, 1);
	CHECK_STR(s.keep[0].id, "linkedin:71");
	CHECK_STR(s.keep[0].text, "First words #alpha\n\nOther words #beta");
	CHECK_INT(s.keep[0].n_media, 3);
	CHECK_INT(s.keep[0].hashtags.n, 2);
	CHECK_STR(s.keep[0].hashtags.v[1], "beta");
	tsink_free(&s);
}

static void test_linkedin__profile_names_the_account_and_ids_do_not_change(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	custos_tree_t *t = NULL;
	custos_import_sink_t k = tsink_make(&s);
	CHECK_OK(custos_tree__new(&t, "tests/data/import-b/linkedin-export", &err));
	CHECK(custos_import__linkedin.detect(t, NULL, NULL, 0) >= 50);
	CHECK_OK(custos_import__linkedin.run(t, NULL, &k, &err));
	custos_tree__free(t);
	CHECK_INT(s.n, 1);   /* Profile.csv holds no posts */
	CHECK_STR(s.keep[0].account, "Anand S");
	CHECK_STR(s.keep[0].author_handle, "Anand S");
	CHECK_STR(s.keep[0].id, "linkedin:20250713T080408Z-2e124fa54cab8b8a8ebc182f3c4fba4a");
	tsink_free(&s);
}

static void test_linkedin__unterminated_quote_at_eof_is_a_bad_item_naming_the_line(void)
{
	char path[4096];
	tsink_t s;
	custos_err_t err = { 0 };
	snprintf(path, sizeof path, "tests/data/import-b/linkedin-unterminated.csv");
	CHECK_OK(run_file(&s, path, "exp.zip!/Shares.csv", 0, &err));
	CHECK_INT(s.n, 1);
	CHECK_INT(s.n_bad, 1);
	CHECK_INT(s.last_bad_line, 3);
	CHECK_STR(s.last_bad_file, "exp.zip!/Shares.csv");
	CHECK(strstr(s.last_bad_why, "not closed") != NULL);
	tsink_free(&s);
	/* a sink that refuses bad items stops the import, naming file and line */
	custos_import_sink_t k = tsink_make(&s);
	s.bad_status = CUSTOS_EFORMAT;
	tin_t t;
	tin_file(&t, path, "exp.zip!/Shares.csv");
	CHECK_STATUS(custos_import__linkedin_stream(&t.in, NULL, &k, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "exp.zip!/Shares.csv: line 3") != NULL);
	tin_close(&t);
	tsink_free(&s);
}

static void test_linkedin__not_a_linkedin_csv_is_refused(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	/* a sink that stops on bad items: an error naming file and line */
	CHECK_STATUS(run_mem_bad(&s, "a,b,c\n1,2,3\n", CUSTOS_EFORMAT, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "Shares.csv: line 1 (byte 0): not a LinkedIn Shares.csv or Comments.csv header") != NULL);
	tsink_free(&s);
	CHECK_STATUS(run_mem_bad(&s, "", CUSTOS_EFORMAT, &err), CUSTOS_EFORMAT);
	tsink_free(&s);
	/* one that sets them aside: the file is one bad item */
	CHECK_OK(run_mem_bad(&s, "a,b,c\n1,2,3\n", 0, &err));
	CHECK_INT(s.n_bad, 1);
	CHECK_INT(s.n, 0);
	tsink_free(&s);
	/* a row that is not UTF-8 is a bad item; the rows around it go in */
	CHECK_OK(run_mem(&s, "Date,Link,Message\n2024-01-01,x,ok\n2024-01-02,x,caf\xe9\n2024-01-03,x,fine\n",
	                 0, &err));
	CHECK_INT(s.n, 2);
	CHECK_INT(s.n_bad, 1);
	CHECK_INT(s.last_bad_line, 3);
	tsink_free(&s);
}

static void test_linkedin__real_shares_count_and_quirks(void)
{
	char path[4096];
	tsink_t s, s2;
	custos_err_t err = { 0 };
	if (!fixture_path(path, sizeof path, "linkedin-sanand0/Shares.csv"))
		return;
	CHECK_OK(run_file(&s, path, "Shares.csv", 0, &err));
	/* 202 rows; a post with several media is one row per MediaUrl, so the
	 * posts are the runs of rows with the same Date and ShareLink:
	 * python3 -c "import csv,itertools;r=list(csv.reader(open('Shares.csv',newline='')))[1:];
	 *   print(len([k for k,_ in itertools.groupby(r,key=lambda x:(x[0],x[1]))]))" -> 198 */
	CHECK_INT(s.n, 198);
	CHECK_INT(tsink_kind(&s, "post"), 198);
	CHECK_INT(s.n_bad, 0);
	CHECK_INT(s.invalid, 0);
	custos_record_t *r = tsink_find(&s, "linkedin:7345736358277103616");
	CHECK(!strncmp(r->text, "If someone asked me, \"What's changed this year in LLMs\", here's my list:"
	               "\n\nPrompt engineering is out. Evals are in. https://lnkd.in/gfF-6giV\n", 130));
	CHECK(strv_has(&r->urls, "https://lnkd.in/gfF-6giV"));
	/* urn:li:share:6773073563034509312: five rows, one post with five images */
	r = tsink_find(&s, "linkedin:6773073563034509312");
	CHECK_INT(r->n_media, 5);
	CHECK_STR(r->media[0].url, "https://i.ytimg.com/vi/bjanNXXwQbo/hqdefault.jpg");
	CHECK_STR(r->media[4].url, "https://i.ytimg.com/vi/bjanNXXwQbo/mqdefault.jpg");
	CHECK_STR(r->urls.v[0], "https://youtu.be/bjanNXXwQbo");
	{
		const char *p = strstr(s.raws.data, "2021-03-04 02:56:15,");
		const char *q = p ? strstr(p, "\n--\n") : NULL;
		size_t rows = 0;
		for (const char *t = p; t && t < q; t = strstr(t + 1, "\n2021-03-04 02:56:15,"))
			rows++;
		CHECK_INT(rows, 5);   /* raw holds the five rows */
	}
	/* the first post keeps its Mathematical Bold (astral) letters, unwrapped */
	r = tsink_find(&s, "linkedin:7345821826846990338");
	CHECK(strstr(r->text, "program.\n\n\xf0\x9d\x97\xaa\xf0\x9d\x97\x9b") != NULL);
	CHECK(strstr(r->text, "\"") == NULL);
	/* same input twice, and in 7-byte reads: byte-identical records */
	CHECK_OK(run_file(&s2, path, "Shares.csv", 7, &err));
	CHECK_INT(s.json.len, s2.json.len);
	CHECK(memcmp(s.json.data, s2.json.data, s.json.len) == 0);
	CHECK(memcmp(s.raws.data, s2.raws.data, s.raws.len) == 0);
	tsink_free(&s);
	tsink_free(&s2);
}

static void test_linkedin__real_comments_count_and_backslash_quotes(void)
{
	char path[4096];
	tsink_t s;
	custos_err_t err = { 0 };
	if (!fixture_path(path, sizeof path, "linkedin-sanand0/Comments.csv"))
		return;
	CHECK_OK(run_file(&s, path, "Comments.csv", 0, &err));
	/* python3 -c "import csv;print(len(list(csv.reader(open('Comments.csv',newline=''),escapechar='\\\\')))-1)" -> 323 */
	CHECK_INT(s.n, 323);
	CHECK_INT(tsink_kind(&s, "comment"), 323);
	CHECK_INT(s.n_bad, 0);
	CHECK_INT(s.invalid, 0);
	custos_record_t *r = find_text(&s, "Shanmathi Thangaraj");
	CHECK_STR(r->text, "Shanmathi Thangaraj Yes, it varies with time, location, and person. Rather than "
	          "use it as a \"This is what a country searches for\", it's better to use it as "
	          "\"Here's how countries are different in their searches\"");
	CHECK_STR(r->in_reply_to, "linkedin:7340632732227538944");
	CHECK_INT(r->source.line, 18);
	tsink_free(&s);
}

/* Comments' ids start with the time: they sort as the comments were
 * written, whatever order the file lists them in, and the same file gives
 * the same ids each time. */
static void test_linkedin__comment_ids_sort_in_time_order_and_are_stable(void)
{
	char path[4096];
	tsink_t s, s2;
	custos_err_t err = { 0 };
	if (!fixture_path(path, sizeof path, "linkedin-sanand0/Comments.csv"))
		return;
	CHECK_OK(run_file(&s, path, "Comments.csv", 0, &err));
	CHECK_OK(run_file(&s2, path, "Comments.csv", 5, &err));
	CHECK_INT(s.n, 323);
	CHECK_INT(s2.n, s.n);
	size_t ordered = 0;
	CHECK_INT(ids_out_of_time_order(&s, &s2, &ordered), 0);
	CHECK(ordered > 323 * 322 / 4);
	tsink_free(&s);
	tsink_free(&s2);
}

static void test_linkedin__auto_detection_picks_it(void)
{
	char path[4096];
	tsink_t s;
	custos_err_t err = { 0 };
	if (!fixture_path(path, sizeof path, "linkedin-sanand0"))
		return;
	custos_import_sink_t k = tsink_make(&s);
	CHECK_OK(custos_import_run(path, "auto", &k, &err));
	CHECK_INT(s.n, 521);   /* 198 posts and 323 comments, counted above */
	CHECK_STR(s.keep[0].source.format, "linkedin");
	CHECK_STR(s.keep[0].platform, "linkedin");
	tsink_free(&s);
}

static void test_linkedin__mutated_csv_never_crashes(void)
{
	size_t n;
	char *seed = slurp_file("tests/data/import-b/linkedin-export/Comments.csv", &n), *buf = malloc(4096);
	const char *extra = "2024-01-02 03:04:05,https://x/urn%3Ali%3Ashare%3A1,\"a \"\"b\"\"\n\"\"c\\\"d\"\n";
	memcpy(seed + n, extra, strlen(extra));
	n += strlen(extra);
	unsigned rs = 2;
	for (int i = 0; i < 1000; i++) {
		memcpy(buf, seed, n);
		size_t m = mutate(buf, n, 4096, &rs);
		tsink_t s;
		custos_err_t err = { 0 };
		tin_t t;
		custos_import_sink_t k = tsink_make(&s);
		tin_mem(&t, buf, m, "Comments.csv");
		t.chunk = 1 + i % 7;
		int st = custos_import__linkedin_stream(&t.in, NULL, &k, &err);
		CHECK(st == 0 || st == CUSTOS_EFORMAT);
		CHECK_INT(s.invalid, 0);
		tsink_free(&s);
	}
	free(seed);
	free(buf);
}

static void test_linkedin__a_folder_of_exports_is_not_claimed_whole(void)
{
	custos_tree_t *t = NULL;
	custos_err_t err = { 0 };
	/* tests/data/import-b holds a linkedin export one level down, among others */
	CHECK_OK(custos_tree__new(&t, "tests/data/import-b", &err));
	CHECK_INT(custos_import__linkedin.detect(t, NULL, NULL, 0), 0);
	custos_tree__free(t);
	CHECK_OK(custos_tree__new(&t, "tests/data/import-b/linkedin-export", &err));
	CHECK(custos_import__linkedin.detect(t, NULL, NULL, 0) >= 50);
	custos_tree__free(t);
}

CHECK_MAIN(CHECK_CASE(test_linkedin__share_row_becomes_post_with_urn_id),
           CHECK_CASE(test_linkedin__media_rows_of_one_post_make_one_record),
           CHECK_CASE(test_linkedin__wrapped_lines_and_backslash_quotes_are_repaired),
           CHECK_CASE(test_linkedin__comment_replies_to_the_linked_post_with_derived_id),
           CHECK_CASE(test_linkedin__profile_names_the_account_and_ids_do_not_change),
           CHECK_CASE(test_linkedin__one_comment_on_two_posts_is_two_records),
           CHECK_CASE(test_linkedin__a_comment_an_archive_holds_under_its_old_id_keeps_it),
           CHECK_CASE(test_linkedin__rows_of_one_post_with_two_texts_keep_both),
           CHECK_CASE(test_linkedin__unterminated_quote_at_eof_is_a_bad_item_naming_the_line),
           CHECK_CASE(test_linkedin__not_a_linkedin_csv_is_refused),
           CHECK_CASE(test_linkedin__real_shares_count_and_quirks),
           CHECK_CASE(test_linkedin__real_comments_count_and_backslash_quotes),
           CHECK_CASE(test_linkedin__comment_ids_sort_in_time_order_and_are_stable),
           CHECK_CASE(test_linkedin__auto_detection_picks_it),
           CHECK_CASE(test_linkedin__a_folder_of_exports_is_not_claimed_whole),
           CHECK_CASE(test_linkedin__mutated_csv_never_crashes))
