/* The feed importer: RSS/RDF/Atom items to records, xml:base, HTML to text,
 * encodings, ill-formed and non-XML input, and feedparser's own test feeds. */
#include "import_b_helpers.h"

#include <sys/resource.h>
#include <sys/stat.h>

int custos_import__feed_stream(custos_input_t *in, const custos_import_sink_t *sink,
                               custos_err_t *err);

static int run_file_bad(tsink_t *s, const char *path, size_t chunk, int bad_status,
                        custos_err_t *err)
{
	tin_t t;
	custos_import_sink_t k = tsink_make(s);
	s->bad_status = bad_status;
	tin_file(&t, path, NULL);
	t.chunk = chunk;
	int st = custos_import__feed_stream(&t.in, &k, err);
	tin_close(&t);
	return st;
}

/* A sink that stops on bad items, as ingest without --skip-bad does. */
static int run_file(tsink_t *s, const char *path, size_t chunk, custos_err_t *err)
{
	return run_file_bad(s, path, chunk, CUSTOS_EFORMAT, err);
}

static void test_feed__atom_entry_fields_base_and_html_text(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file(&s, "tests/data/import-b/feed-base.atom", 0, &err));
	CHECK_INT(s.n, 2);
	CHECK_INT(s.invalid, 0);
	/* the feed's alternate link, resolved against xml:base, names the host */
	custos_record_t *r = tsink_find(&s, "feed:news.example.com:tag:example.com,2024:1");
	CHECK_STR(r->platform, "feed");
	CHECK_STR(r->kind, "post");
	CHECK_STR(r->account, "Acme & Co newsroom");
	CHECK_STR(r->title, "Q1 results");
	CHECK_STR(r->url, "http://news.example.com/blog/posts/q1.html");
	CHECK_STR(r->text, "Revenue up 5\xc2\xa0%.\n\nSee more \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80");
	CHECK_STR(r->author_handle, "Jo Doe");
	CHECK_STR(r->author_id, "jo@example.com");
	CHECK_INT(r->created_at, 1709109000000LL);   /* 2024-02-28T08:30:00Z */
	CHECK_INT(r->edited_at, 1709199000000LL);    /* 2024-02-29T09:30:00Z */
	CHECK_INT(r->n_media, 1);
	CHECK_STR(r->media[0].url, "http://news.example.com/blog/media/q1.mp3");
	CHECK_STR(r->media[0].type, "audio/mpeg");
	CHECK_INT(r->media[0].size, 1234);
	CHECK(strv_has(&r->urls, "http://news.example.com/blog/posts/q1.html"));
	CHECK(!strv_has(&r->hashtags, "finance"));   /* categories are not hashtags */
	CHECK(strstr(s.raws.data, "<category term=\"finance\"/>") != NULL);
	/* raw is the entry's bytes exactly as in the file, and offset is theirs:
	 * python3 -c "d=open('feed-base.atom','rb').read();print(d.index(b'<entry>'))" -> 288 */
	{
		FILE *fp = fopen("tests/data/import-b/feed-base.atom", "rb");
		char file[4096];
		size_t fn = fread(file, 1, sizeof file - 1, fp);
		fclose(fp);
		file[fn] = 0;
		const char *e0 = strstr(file, "<entry>"), *e1 = strstr(file, "</entry>") + 8;
		CHECK_INT(r->source.offset, 288);
		CHECK_INT(e0 - file, 288);
		CHECK(!memcmp(s.raws.data, e0, (size_t)(e1 - e0)));
		CHECK(!strncmp(s.raws.data + (e1 - e0), "\n--\n", 4));
	}
	/* an entry's own xml:base wins; no date: the feed's updated is used */
	r = tsink_find(&s, "feed:news.example.com:tag:example.com,2024:2");
	CHECK_STR(r->url, "http://other.example.org/a/b.html");
	CHECK_STR(r->text, "One\n\nTwo & three");
	CHECK_INT(r->created_at, 1709287200000LL);   /* 2024-03-01T10:00:00Z */
	CHECK_STR(r->author_handle, "Newsroom Team");   /* the feed's author */
	CHECK(strstr(s.raws.data, "\n--\n<entry xml:base=\"http://other.example.org/a/\">\n    <id>") != NULL);
	tsink_free(&s);
}

static void test_feed__non_xml_input_is_a_clear_error(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_STATUS(run_file(&s, "tests/data/import-b/feed-not-xml.txt", 0, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "feed-not-xml.txt: line 1: not an XML feed") != NULL);
	CHECK_INT(s.n, 0);
	tsink_free(&s);
	/* XML, but not a feed */
	char path[4200];
	snprintf(path, sizeof path, "%s/x.xml", check_tmpdir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("<?xml version=\"1.0\"?>\n<html><body>hi</body></html>\n", f);
	fclose(f);
	CHECK_STATUS(run_file(&s, path, 0, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "not an RSS or Atom feed (root element <html>)") != NULL);
	tsink_free(&s);
	/* with a sink that sets bad items aside (--skip-bad), the file is one */
	CHECK_OK(run_file_bad(&s, "tests/data/import-b/feed-not-xml.txt", 0, 0, &err));
	CHECK_INT(s.n_bad, 1);
	CHECK_INT(s.last_bad_line, 1);
	CHECK(strstr(s.last_bad_why, "not an XML feed") != NULL);
	tsink_free(&s);
}

static void test_feed__truncated_feed_keeps_items_before_and_reports_the_rest(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file_bad(&s, "tests/data/import-b/feed-truncated.rss", 0, 0, &err));
	CHECK(s.n >= 2);
	CHECK_STR(tsink_find(&s, "feed:t.example:a1")->title, "first");
	CHECK_INT(tsink_find(&s, "feed:t.example:a2")->created_at, 1055221200000LL);
	CHECK_INT(s.n_bad, 1);
	CHECK(strstr(s.last_bad_why, "not well-formed") != NULL);
	CHECK(strstr(s.last_bad_why, "2 items read before; the next is cut off") != NULL);
	CHECK(s.last_bad_line >= 5);
	/* the cut-off item is set aside with its bytes, from its start tag to
	 * the end of the file, and where they start:
	 * python3 -c "d=open('feed-truncated.rss','rb').read();print(d.index(b'<item><guid>a3'),len(d))" -> 292 333 */
	CHECK_STR(s.last_bad_raw, "<item><guid>a3</guid><title>third is cut\n");
	CHECK_INT(s.last_bad_offset, 292);
	CHECK_INT(s.last_bad_raw_n, 333 - 292);
	tsink_free(&s);
}

/* Writes text to a file in the test's folder; its path into path. */
static void write_tmp(char *path, size_t cap, const char *name, const char *text)
{
	snprintf(path, cap, "%s/%s", check_tmpdir, name);
	FILE *fp = fopen(path, "wb");
	CHECK(fp != NULL);
	CHECK(fwrite(text, 1, strlen(text), fp) == strlen(text));
	CHECK(fclose(fp) == 0);
}

static void test_feed__dtd_entities_read_the_same_at_every_reference(void)
{
	/* libxml2 parses an entity's value the first time it is referenced;
	 * every reference must still give the same text */
	static const char feed[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY co \"Acme &amp; Co&#x2122;\">\n"
		"<!ENTITY tag \"<b>bold</b>\">\n]>\n<rss version=\"2.0\"><channel><title>&co; news</title>\n"
		"<item><guid>1</guid><title>&co; one</title><description>&tag;x</description></item>\n"
		"<item><guid>2</guid><title>&co; two &co;</title><description>&tag;y</description></item>\n"
		"</channel></rss>\n";
	char path[4200];
	write_tmp(path, sizeof path, "ent.xml", feed);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file(&s, path, 0, &err));
	CHECK_INT(s.n, 2);
	CHECK_STR(s.keep[0].account, "Acme & Co\xe2\x84\xa2 news");
	CHECK_STR(s.keep[0].title, "Acme & Co\xe2\x84\xa2 one");
	CHECK_STR(s.keep[1].title, "Acme & Co\xe2\x84\xa2 two Acme & Co\xe2\x84\xa2");
	/* an entity holding markup gives its text, the first time as later */
	CHECK_STR(s.keep[0].text, "boldx");
	CHECK_STR(s.keep[1].text, "boldy");
	tsink_free(&s);
}

static void test_feed__dtd_entities_nest_and_expand_in_attributes(void)
{
	static const char feed[] =
		"<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY co \"ACME\">\n"
		"<!ENTITY full \"&co; Corp.\">\n<!ENTITY cdn \"http://cdn.example.com\">\n]>\n"
		"<rss version=\"2.0\"><channel><title>&full;</title><link>http://w.example/</link>\n"
		"<item><guid>1</guid><title>News from &full;</title><author>x@y.example (&full;)</author>"
		"<enclosure url=\"&cdn;/a.mp3?x=1&amp;y=2\" type=\"audio/mpeg\"/></item>\n"
		"</channel></rss>\n";
	char path[4200];
	write_tmp(path, sizeof path, "ent2.xml", feed);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file(&s, path, 0, &err));
	CHECK_INT(s.n, 1);
	CHECK_STR(s.keep[0].account, "ACME Corp.");
	CHECK_STR(s.keep[0].title, "News from ACME Corp.");
	CHECK_STR(s.keep[0].author_name, "ACME Corp.");
	CHECK_INT(s.keep[0].n_media, 1);
	CHECK_STR(s.keep[0].media[0].url, "http://cdn.example.com/a.mp3?x=1&y=2");
	tsink_free(&s);
}

static void test_feed__a_parser_stop_inside_an_item_sets_it_aside_and_says_what_is_lost(void)
{
	/* a NUL byte stops libxml2 (both parsers) inside the second item: the
	 * first is in, the second goes aside with its bytes, and the message
	 * says the items after it were not read */
	static const char feed[] =
		"<?xml version=\"1.0\"?>\n"
		"<rss><channel><title>T</title><link>http://ex.com/</link>\n"
		"<item><title>ok</title><guid>g0</guid></item>\n"
		"<item><title>x \0 y</title><guid>g1</guid></item>\n"
		"<item><title>z</title><guid>g2</guid></item>\n</channel></rss>\n";
	char path[4200];
	snprintf(path, sizeof path, "%s/nul.xml", check_tmpdir);
	FILE *fp = fopen(path, "wb");
	CHECK(fp != NULL);
	CHECK(fwrite(feed, 1, sizeof feed - 1, fp) == sizeof feed - 1);
	CHECK(fclose(fp) == 0);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file_bad(&s, path, 0, 0, &err));
	CHECK(tsink_find(&s, "feed:ex.com:g0") != NULL);
	CHECK_INT(s.n_bad, 1);
	CHECK_INT(s.last_bad_raw_n, 48);
	CHECK_STR(s.last_bad_raw, "<item><title>x ");   /* kept up to the NUL */
	CHECK_INT(s.last_bad_offset, (int64_t)(strstr(feed, "<item><title>x") - feed));
	CHECK(strstr(s.last_bad_why, "(1 item read before; the next is cut off; libxml2 read no "
	              "further") != NULL);
	tsink_free(&s);
}

static void test_feed__an_entity_loop_reads_as_nothing_and_the_items_after_come_in(void)
{
	/* a "billion laughs" DTD: libxml2 gave up on the whole feed at the
	 * reference and the items after it were lost; now the entity reads as
	 * nothing, with a warning naming it, and every item comes in */
	custos_buf_t b = { 0 };
	custos_buf_adds(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
	for (int i = 1; i <= 9; i++) {
		custos_buf_printf(&b, "<!ENTITY lol%d \"", i);
		for (int k = 0; k < 10; k++)
			custos_buf_printf(&b, i == 1 ? "&lol;" : "&lol%d;", i - 1);
		custos_buf_adds(&b, "\">\n");
	}
	custos_buf_adds(&b, "<!ENTITY a \"&b;\">\n<!ENTITY b \"&a;\">\n]>\n"
	                "<rss><channel><title>T</title><link>http://ex.com/</link>\n"
	                "<item><title>ok &lol1;</title><guid>g0</guid></item>\n"
	                "<item><title>x &lol9; y &a;</title><guid>g1</guid></item>\n"
	                "<item><title>z</title><guid>g2</guid></item>\n</channel></rss>\n");
	char path[4200];
	write_tmp(path, sizeof path, "laughs.xml", b.data);
	custos_buf_free(&b);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file(&s, path, 0, &err));
	CHECK_INT(s.n, 3);
	CHECK_INT(s.n_bad, 0);
	CHECK_STR(tsink_find(&s, "feed:ex.com:g0")->title,
	          "ok lollollollollollollollollollol");
	CHECK_STR(tsink_find(&s, "feed:ex.com:g1")->title, "x y");
	CHECK(tsink_find(&s, "feed:ex.com:g2") != NULL);
	CHECK(strstr(s.last_warn, "the entity 'a' is not expanded (a loop, entities nested over 8 "
	             "deep, or over 64 KB of text): it reads as nothing") != NULL);
	tsink_free(&s);
}

static void test_feed__entity_expansion_is_bounded_and_refused_by_name(void)
{
	/* a 60 KB entity referenced 300 times an item: 18 MB from 60 KB of
	 * file, and without a bound, gigabytes from a megabyte. The items
	 * before the bound are in; the rest is one bad item naming the place. */
	custos_buf_t b = { 0 };
	custos_buf_adds(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY big \"");
	for (int i = 0; i < 6000; i++)
		custos_buf_adds(&b, "0123456789");
	custos_buf_adds(&b, "\">]>\n<rss><channel><title>T</title><link>http://ex.com/</link>\n");
	for (int i = 0; i < 40; i++) {
		custos_buf_printf(&b, "<item><guid>g%d</guid><description>", i);
		for (int k = 0; k < 100; k++)
			custos_buf_adds(&b, "&big;");
		custos_buf_adds(&b, "</description></item>\n");
	}
	custos_buf_adds(&b, "</channel></rss>\n");
	char path[4200];
	write_tmp(path, sizeof path, "amp.xml", b.data);
	custos_buf_free(&b);
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_STATUS(run_file(&s, path, 0, &err), CUSTOS_EFORMAT);   /* the sink's status */
	getrusage(RUSAGE_SELF, &ru1);
	/* 6 MB an item: two are in before 16 MB, the third is refused */
	CHECK_INT(s.n, 2);
	/* line 6: the third item's (the DTD is on line 2, the channel on 3) */
	CHECK(strstr(err.msg, "amp.xml: line 6: entity references expand to more than 16 MB of "
	             "text (reached at line 6, a reference to 'big'): refused from there (2 items "
	             "read before)") != NULL);
	CHECK(ru1.ru_maxrss < 400 * 1024);   /* KB */
	tsink_free(&s);
}

static void test_feed__ill_formed_xml_is_named_at_its_line_and_the_rest_recovered(void)
{
	/* an undeclared prefix on line 4 and a bad attribute on line 6: libxml2
	 * recovers both, every item comes in, and the warning names line 4 */
	static const char feed[] =
		"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>t</title>"
		"<pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate>\n<link>http://w.example/</link>\n<itunes:subtitle>s</itunes:subtitle>\n"
		"<item><guid>1</guid><title>one</title></item>\n"
		"<item><guid>2</guid><title a=b>two</title></item>\n"
		"<item><guid>3</guid><title>three</title></item>\n</channel></rss>\n";
	char path[4200];
	write_tmp(path, sizeof path, "bad.xml", feed);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file(&s, path, 0, &err));
	CHECK_INT(s.n, 3);
	CHECK_INT(s.n_bad, 0);
	CHECK_INT(s.n_warn, 1);
	CHECK(strstr(s.last_warn, "not well-formed XML (line 4: Namespace prefix itunes") != NULL);
	CHECK(strstr(s.last_warn, "recovery: 3 items") != NULL);
	CHECK_STR(tsink_find(&s, "feed:w.example:3")->title, "three");
	CHECK_INT(tsink_find(&s, "feed:w.example:3")->source.line, 7);
	tsink_free(&s);
}

static void test_feed__ill_formed_feeds_are_read_with_recovery(void)
{
	static const char *const files[] = { "illformed/rss_incomplete_cdata.xml",
		"encoding/bozo_double-encoded-html.xml", "encoding/bozo_encoding_mismatch_crash.xml",
		"encoding/bozo_linenoise.xml" };
	char path[4096], rel[256];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		tsink_t s;
		custos_err_t err = { 0 };
		snprintf(rel, sizeof rel, "feedparser-tests/%s", files[i]);
		if (!fixture_path(path, sizeof path, rel))
			return;
		/* each is "bozo" for feedparser and has one entry */
		CHECK_OK(run_file(&s, path, 0, &err));
		if (s.n != 1 || s.n_bad || !s.n_warn || !strstr(s.last_warn, "recovery"))
			check__fail(__FILE__, __LINE__, "%s: %zu records, %zu bad, %zu warnings: %s", files[i],
			            s.n, s.n_bad, s.n_warn, s.last_warn);
		tsink_free(&s);
	}
}

static void test_feed__entities_neither_explode_nor_read_files(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	/* "billion laughs": 20^6 expansions of a 65-byte entity; libxml2 refuses
	 * the loop and the item comes in without it, in a few MB */
	CHECK_OK(run_file(&s, "tests/data/import-b/feed-entity-bomb.xml", 0, &err));
	CHECK_INT(s.n, 1);
	CHECK(strlen(s.keep[0].text) < 1000);
	tsink_free(&s);
	/* an external entity is never fetched: the title keeps only its text */
	CHECK_OK(run_file(&s, "tests/data/import-b/feed-xxe.xml", 0, &err));
	CHECK_INT(s.n, 1);
	CHECK_STR(s.keep[0].title, "xy");
	tsink_free(&s);
}

static void test_feed__inline_tags_do_not_split_words_or_links(void)
{
	/* Mastodon-style HTML in an RSS item: hashtags and links are spans
	 * inside anchors, and must read as one word each */
	static const char feed[] =
		"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
		"<link>https://blog.example.com/</link><item><guid>1</guid><description><![CDATA["
		"<p>See <a href=\"https://x.example/tags/launch\" class=\"mention hashtag\">#<span>launch</span></a> "
		"at <a href=\"https://example.com/a/b\"><span class=\"invisible\">https://</span>"
		"<span class=\"ellipsis\">example.com/a</span><span class=\"invisible\">/b</span></a>"
		"<b>now</b>!</p><p>Next<td>cell</td>here</p>]]></description></item></channel></rss>";
	char path[4200];
	snprintf(path, sizeof path, "%s/inline.xml", check_tmpdir);
	FILE *fp = fopen(path, "wb");
	CHECK(fp != NULL);
	CHECK(fwrite(feed, 1, sizeof feed - 1, fp) == sizeof feed - 1);
	CHECK(fclose(fp) == 0);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file(&s, path, 0, &err));
	CHECK_INT(s.n, 1);
	/* other tags than inline and block ones still part words */
	CHECK_STR(s.keep[0].text, "See #launch at https://example.com/a/bnow!\n\nNext cell here");
	/* a feed has no entity lists: the text's hashtags are extracted */
	CHECK_INT(s.keep[0].hashtags.n, 1);
	CHECK_STR(s.keep[0].hashtags.v[0], "launch");
	tsink_free(&s);
}

/* feedparser's test feeds: each states its expectation in a comment at the
 * top ("Expect: not bozo and entries[0]['title'] == 'Example title'"). The
 * value here is that expectation; where feedparser keeps HTML and custos
 * keeps plain text, the plain-text form of the same value is given. */
static const struct { const char *file, *field, *want; } fp_cases[] = {
	{ "wellformed/rss/item_description.xml", "text", "Example description" },
	{ "wellformed/rss/item_dc_description.xml", "text", "Example description" },
	{ "wellformed/rss/item_description_naked_markup.xml", "text", "Example description" },
	/* 'article title<br /><br /> article byline<br /><br />text of article' */
	{ "wellformed/rss/item_description_br.xml", "text", "article title\n\narticle byline\n\ntext of article" },
	{ "wellformed/rss/item_guid_map_link.xml", "url", "http://guid.example.com/" },
	{ "wellformed/rss/item_guid_conflict_link.xml", "url", "http://link.example.com/" },
	{ "wellformed/rss/item_author.xml", "author", "Example editor" },
	{ "wellformed/atom10/entry_link_alternate_map_link.xml", "url", "http://www.example.com/" },
	{ "wellformed/atom10/entry_link_alternate_map_link_3.xml", "url", "http://www.example.com/alternate" },
	{ "wellformed/atom10/entry_title_text_plain_brackets.xml", "title", "History of the <blink> tag" },
	{ "wellformed/atom10/entry_id.xml", "id", "feed:example.com:http://example.com/" },
	{ "wellformed/atom10/entry_id_no_normalization_4.xml", "id", "feed:unknown:HTTP://www.example.org/thing" },
	{ "wellformed/atom/entry_title.xml", "title", "Example Atom" },
	/* published_parsed == (2003, 12, 31, 10, 14, 55, ...) */
	{ "wellformed/atom/entry_issued_parsed.xml", "created_at", "2003-12-31T10:14:55Z" },
	{ "wellformed/rss/item_pubDate_map_updated_parsed.xml", "created_at", "2004-01-01T19:48:21Z" },
	{ "wellformed/atom/entry_summary_naked_markup.xml", "text", "Example Atom" },
	{ "wellformed/rdf/rss090_item_title.xml", "title", "Item title" },
	{ "wellformed/rdf/rdf_item_title.xml", "title", "Example title" },
	{ "illformed/rss_item_link_corrupted_ampersands.xml", "url", "http://link/get?a=1&b=2" },
	/* media:title as a fallback for the title; media:group's description */
	{ "wellformed/media-rss/item_media_title1.xml", "title", "bar" },
	{ "wellformed/media-rss/media_group.xml", "text", "Test Description" },
	/* media_thumbnail[0]['url'] == 'http://example.com/thumbnail.jpg' */
	{ "wellformed/media-rss/media_thumbnail.xml", "media", "http://example.com/thumbnail.jpg" },
	/* entries[0]['description'] == '\ub144', declared euc-kr */
	{ "encoding/euc-kr-item.xml", "text", "\xeb\x85\x84" },
};

static void test_feed__feedparser_expectations_hold(void)
{
	char path[4096];
	for (size_t i = 0; i < sizeof fp_cases / sizeof fp_cases[0]; i++) {
		tsink_t s;
		custos_err_t err = { 0 };
		char rel[512];
		snprintf(rel, sizeof rel, "feedparser-tests/%s", fp_cases[i].file);
		if (!fixture_path(path, sizeof path, rel))
			return;
		int st = run_file_bad(&s, path, 0, 0, &err);   /* ill-formed ones go on */
		if (st != 0 || s.n < 1)
			check__fail(__FILE__, __LINE__, "%s: status %d (%s), %zu records", fp_cases[i].file,
			            st, err.msg, s.n);
		custos_record_t *r = &s.keep[0];
		const char *got = NULL;
		char t[40];
		if (!strcmp(fp_cases[i].field, "text")) got = r->text;
		else if (!strcmp(fp_cases[i].field, "title")) got = r->title;
		else if (!strcmp(fp_cases[i].field, "url")) got = r->url;
		else if (!strcmp(fp_cases[i].field, "id")) got = r->id;
		else if (!strcmp(fp_cases[i].field, "author")) got = r->author_handle;
		else if (!strcmp(fp_cases[i].field, "media")) got = r->n_media ? r->media[0].url : NULL;
		else if (!strcmp(fp_cases[i].field, "created_at")) {
			custos_time_format(t, sizeof t, r->created_at);
			got = t;
		}
		if (!got || strcmp(got, fp_cases[i].want))
			check__fail(__FILE__, __LINE__, "%s: %s is \"%s\", want \"%s\"", fp_cases[i].file,
			            fp_cases[i].field, got ? got : "(null)", fp_cases[i].want);
		CHECK_INT(s.invalid, 0);
		tsink_free(&s);
	}
}

static void test_feed__raw_is_verbatim_in_the_declared_encoding(void)
{
	char path[4096];
	tsink_t s;
	custos_err_t err = { 0 };
	/* euc-kr-item.xml: the description's bytes 0xB3 0xE2 stay as they are in raw */
	if (!fixture_path(path, sizeof path, "feedparser-tests/encoding/euc-kr-item.xml"))
		return;
	CHECK_OK(run_file(&s, path, 0, &err));
	CHECK_INT(s.n, 1);
	CHECK(!strncmp(s.raws.data, "<item>\n    <description>\xb3\xe2</description>\n  </item>\n--\n", 60));
	tsink_free(&s);
	/* a UTF-16 feed: raw falls back to the serialized item, offset -1 */
	CHECK_OK(run_file(&s, "tests/data/import-b/feed-utf16.xml", 0, &err));
	CHECK_INT(s.n, 1);
	CHECK_INT(s.keep[0].source.offset, -1);
	CHECK(!strncmp(s.raws.data, "<item><title>caf\xc3\xa9</title></item>\n--\n", 37));
	CHECK_STR(s.keep[0].title, "caf\xc3\xa9");
	tsink_free(&s);
}

static void test_feed__utf16_and_utf32_feeds_parse(void)
{
	static const char *const files[] = { "utf-16le-bom.xml", "utf-16be-bom.xml", "utf-16le.xml",
		"utf-16be.xml", "utf-32le-bom.xml", "utf-32be-bom.xml", "utf-8-bom.xml", "big5.xml" };
	char path[4096], rel[256];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		tsink_t s;
		custos_err_t err = { 0 };
		snprintf(rel, sizeof rel, "feedparser-tests/encoding/%s", files[i]);
		if (!fixture_path(path, sizeof path, rel))
			return;
		int st = run_file(&s, path, 0, &err);
		if (st != 0 || s.n_bad)
			check__fail(__FILE__, __LINE__, "%s: status %d (%s), %zu bad: %s", files[i], st,
			            err.msg, s.n_bad, s.last_bad_why);
		tsink_free(&s);
	}
}

static void test_feed__every_wellformed_feed_imports_without_error_and_twice_the_same(void)
{
	char path[4096];
	if (!fixture_path(path, sizeof path, "feedparser-tests"))
		return;
	/* find wellformed -name '*.xml' | wc -l: every file imports (the few
	 * that are not RSS/Atom at all, CDF for instance, are refused cleanly) */
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "find '%s/wellformed' -name '*.xml' | sort", path);
	FILE *p = popen(cmd, "r");
	CHECK(p != NULL);
	char line[4096];
	size_t files = 0, refused = 0, records = 0;
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = 0;
		tsink_t a, b;
		custos_err_t err = { 0 };
		int st = run_file(&a, line, 0, &err);
		files++;
		if (st == CUSTOS_EFORMAT && strstr(err.msg, "not an RSS or Atom feed")) {
			refused++;
			tsink_free(&a);
			continue;
		}
		if (st != 0 || a.invalid)
			check__fail(__FILE__, __LINE__, "%s: status %d (%s) invalid %d %s", line, st,
			            err.msg, a.invalid, a.invalid_msg);
		CHECK_OK(run_file(&b, line, 3, &err));
		if (a.json.len != b.json.len || (a.json.len && memcmp(a.json.data, b.json.data, a.json.len)))
			check__fail(__FILE__, __LINE__, "%s: second import differs", line);
		records += a.n;
		tsink_free(&a);
		tsink_free(&b);
	}
	pclose(p);
	CHECK(files > 800);
	CHECK(refused < 20);
	CHECK(records > 400);
}

static void test_feed__auto_detection_picks_it(void)
{
	char path[4096];
	tsink_t s;
	custos_err_t err = { 0 };
	if (!fixture_path(path, sizeof path, "feedparser-tests/wellformed/atom10/entry_link_alternate_map_link.xml"))
		return;
	custos_import_sink_t k = tsink_make(&s);
	CHECK_OK(custos_import_run(path, "auto", &k, &err));
	CHECK_INT(s.n, 1);
	CHECK_STR(s.keep[0].source.format, "feed");
	CHECK_STR(s.keep[0].platform, "feed");
	tsink_free(&s);
}

static void test_feed__a_dtd_longer_than_the_head_is_still_a_feed(void)
{
	/* the internal subset runs past the 4 KB detection looks at: the
	 * DOCTYPE names the root, and the feed comes in (it was skipped as
	 * "not recognised") */
	custos_buf_t b = { 0 };
	custos_buf_adds(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n");
	for (int i = 0; i < 200; i++)
		custos_buf_printf(&b, "<!ENTITY e%d \"entity number %d\">\n", i, i);
	custos_buf_adds(&b, "]>\n<rss version=\"2.0\"><channel><title>T</title>"
	                "<link>http://ex.com/</link><item><title>one &e5;</title><guid>g1</guid>"
	                "<pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate></item></channel></rss>\n");
	CHECK(b.len > 4096);
	char path[4200];
	write_tmp(path, sizeof path, "bigdtd.xml", b.data);
	custos_buf_free(&b);
	tsink_t s;
	custos_err_t err = { 0 };
	custos_import_sink_t k = tsink_make(&s);
	CHECK_OK(custos_import_run(path, "auto", &k, &err));
	CHECK_INT(s.n, 1);
	CHECK_INT(s.n_not_taken, 0);
	CHECK_STR(s.keep[0].title, "one entity number 5");
	tsink_free(&s);
}

static void test_feed__a_utf16_or_utf32_file_set_aside_keeps_all_its_bytes(void)
{
	/* a file that is not a feed goes aside whole, whatever its encoding
	 * (UTF-16 and UTF-32 kept their first 4 bytes) */
	static const char *const encs[] = { "utf-16", "utf-32" };
	for (size_t i = 0; i < 2; i++) {
		char path[4200], cmd[8800];
		snprintf(path, sizeof path, "%s/page-%s.xml", check_tmpdir, encs[i]);
		snprintf(cmd, sizeof cmd, "python3 -c 'import sys; open(sys.argv[1], \"wb\").write("
		         "(\"<?xml version=\\\"1.0\\\" encoding=\\\"%s\\\"?>\\n<html><body>\" + "
		         "\"x\" * 400 + \"</body></html>\\n\").encode(\"%s\"))' '%s'", encs[i], encs[i], path);
		CHECK(system(cmd) == 0);
		struct stat st;
		CHECK(stat(path, &st) == 0 && st.st_size > 800);
		tsink_t s;
		custos_err_t err = { 0 };
		CHECK_OK(run_file_bad(&s, path, 0, 0, &err));
		CHECK_INT(s.n_bad, 1);
		CHECK(strstr(s.last_bad_why, "not an RSS or Atom feed (root element <html>)"));
		CHECK_INT(s.last_bad_raw_n, st.st_size);
		tsink_free(&s);
	}
	/* a UTF-16 feed that stops inside an item: the whole file goes aside
	 * (the item's own bytes cannot be found in it); it kept none */
	char path[4200], cmd[8800];
	snprintf(path, sizeof path, "%s/nul16.xml", check_tmpdir);
	snprintf(cmd, sizeof cmd, "python3 -c 'import sys; open(sys.argv[1], \"wb\").write(("
	         "\"<?xml version=\\\"1.0\\\" encoding=\\\"UTF-16\\\"?>\\n<rss><channel><title>T</title>"
	         "<link>http://ex.com/</link>\\n<item><guid>g0</guid></item>\\n<item><title>x \\x00 "
	         "y</title></item>\\n<item><guid>g2</guid></item></channel></rss>\\n\").encode(\"utf-16\"))' "
	         "'%s'", path);
	CHECK(system(cmd) == 0);
	struct stat st;
	CHECK(stat(path, &st) == 0);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_file_bad(&s, path, 0, 0, &err));
	CHECK_INT(s.n, 1);
	CHECK_INT(s.n_bad, 1);
	CHECK_INT(s.last_bad_raw_n, st.st_size);
	CHECK(strstr(s.last_bad_why, "kept: the whole file"));
	tsink_free(&s);
}

static void test_feed__mutated_feeds_never_crash(void)
{
	size_t n;
	char *seed = slurp_file("tests/data/import-b/feed-base.atom", &n), *buf = malloc(n + 64);
	unsigned rs = 1;
	for (int i = 0; i < 400; i++) {
		memcpy(buf, seed, n);
		size_t m = mutate(buf, n, n + 64, &rs);
		tsink_t s;
		custos_err_t err = { 0 };
		tin_t t;
		custos_import_sink_t k = tsink_make(&s);
		tin_mem(&t, buf, m, "m.xml");
		int st = custos_import__feed_stream(&t.in, &k, &err);
		if (!(st == 0 || st == CUSTOS_EFORMAT) || s.invalid) {
			FILE *o = fopen("/tmp/feed-mutant.xml", "wb");
			if (o) {
				fwrite(buf, 1, m, o);
				fclose(o);
			}
			check__fail(__FILE__, __LINE__, "mutant %d (in /tmp/feed-mutant.xml): status %d, "
			            "invalid %d %s", i, st, s.invalid, s.invalid_msg);
		}
		tsink_free(&s);
	}
	free(seed);
	free(buf);
}

CHECK_MAIN(CHECK_CASE(test_feed__atom_entry_fields_base_and_html_text),
           CHECK_CASE(test_feed__non_xml_input_is_a_clear_error),
           CHECK_CASE(test_feed__truncated_feed_keeps_items_before_and_reports_the_rest),
           CHECK_CASE(test_feed__dtd_entities_read_the_same_at_every_reference),
           CHECK_CASE(test_feed__dtd_entities_nest_and_expand_in_attributes),
           CHECK_CASE(test_feed__a_parser_stop_inside_an_item_sets_it_aside_and_says_what_is_lost),
           CHECK_CASE(test_feed__an_entity_loop_reads_as_nothing_and_the_items_after_come_in),
           CHECK_CASE(test_feed__entity_expansion_is_bounded_and_refused_by_name),
           CHECK_CASE(test_feed__ill_formed_xml_is_named_at_its_line_and_the_rest_recovered),
           CHECK_CASE(test_feed__ill_formed_feeds_are_read_with_recovery),
           CHECK_CASE(test_feed__entities_neither_explode_nor_read_files),
           CHECK_CASE(test_feed__inline_tags_do_not_split_words_or_links),
           CHECK_CASE(test_feed__feedparser_expectations_hold),
           CHECK_CASE(test_feed__raw_is_verbatim_in_the_declared_encoding),
           CHECK_CASE(test_feed__utf16_and_utf32_feeds_parse),
           CHECK_CASE(test_feed__every_wellformed_feed_imports_without_error_and_twice_the_same),
           CHECK_CASE(test_feed__auto_detection_picks_it),
           CHECK_CASE(test_feed__a_dtd_longer_than_the_head_is_still_a_feed),
           CHECK_CASE(test_feed__a_utf16_or_utf32_file_set_aside_keeps_all_its_bytes),
           CHECK_CASE(test_feed__mutated_feeds_never_crash))
