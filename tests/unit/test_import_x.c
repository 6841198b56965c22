/* X importers: x-archive (folders, zips, single files) and twitter-api (v1.1
 * objects, v2 pages, pretty-printed documents). Own inputs live in
 * tests/data/import/; the fixture tier reads ../shared/fixtures. */
#include "check.h"
#include "import_sink.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define OWN "tests/data/import/"

static void run_ok(const char *path, const char *format, tsink_t *s)
{
	custos_import_sink_t k = tsink_make(s);
	custos_err_t err = { 0 };
	int r = custos_import_run(path, format, &k, &err);
	if (r != 0)
		printf("  import of %s: %s\n", path, err.msg);
	CHECK_OK(r);
}

static void sha_hex(const char *data, char hex[CUSTOS_SHA256_HEX])
{
	uint8_t h[CUSTOS_SHA256_LEN];
	custos_sha256(h, data, strlen(data));
	custos_hex(hex, h, sizeof h);
}

/* The raw bytes handed over for the record at source offset off equal the
 * file's bytes there. */
static int raw_matches_file(const tsink_t *s, const char *path, long off, const char *start)
{
	FILE *f = fopen(path, "rb");
	char buf[512];
	if (!f)
		return 0;
	if (strlen(start) > sizeof buf) {
		fclose(f);
		return 0;
	}
	fseek(f, off, SEEK_SET);
	size_t n = fread(buf, 1, strlen(start), f);
	fclose(f);
	return n == strlen(start) && memcmp(buf, start, n) == 0 && strstr(s->raws.data, start);
}

static void test_x_archive__own_archive_gives_kinds_links_edits_media(void)
{
	tsink_t s;
	char hex[CUSTOS_SHA256_HEX], frag[200];
	run_ok(OWN "x-archive", NULL, &s);
	/* 7 tweet elements (one broken), 1 deleted tweet, 2 messages */
	CHECK_INT(s.n_records, 9);
	CHECK_INT(s.n_bad, 1);
	CHECK(strstr(s.bads.data, "data/tweets.js|3086|51|invalid JSON") != NULL);
	CHECK_INT(s.kinds[0], 4);   /* the edited post twice, the deleted one, the long one */
	CHECK_INT(s.kinds[1], 1);
	CHECK_INT(s.kinds[2], 1);
	CHECK_INT(s.kinds[3], 1);
	CHECK_INT(s.kinds[5], 2);
	CHECK_INT(s.n_files, 1);
	/* two posts' media and a message's; not the profile picture */
	CHECK_INT(s.n_blobs, 3);
	/* the owner from account.js */
	CHECK(tsink_has(&s, "x:1500000000000000003",
	                "\"account\":\"acmecorp\",\"kind\":\"reply\",\"author\":{\"id\":\"1000\","
	                "\"handle\":\"acmecorp\",\"name\":\"Acme Corp\"}"));
	/* the edit keeps the first id and time, and comes after the first
	 * version although the file lists it first */
	const char *v1 = tsink_find(&s, "x:1500000000000000001");
	CHECK(v1 && strstr(v1, "\"text\":\"Our prodcut #launch\"") < strchr(v1, '\n'));
	const char *v2 = strstr(strchr(v1, '\n'), "\"id\":\"x:1500000000000000001\"");
	CHECK(v2 != NULL);
	CHECK(strstr(v2, "\"created_at\":\"2022-03-05T09:30:00Z\"") != NULL);
	CHECK(strstr(v2, "\"text\":\"Our product (fixed) #launch $ACME\"") != NULL);
	CHECK(strstr(v2, "\"cashtags\":[\"ACME\"],\"edited_at\":\"2022-03-05T09:31:00Z\"") != NULL);
	/* replies, entities decoded, t.co expanded */
	CHECK(tsink_has(&s, "x:1500000000000000003", "\"in_reply_to\":\"x:1400000000000000000\""));
	CHECK(tsink_has(&s, "x:1500000000000000003",
	                "\"text\":\"@bob Q&A is <here> https://example.com/a?b=1&c=2\""));
	CHECK(tsink_has(&s, "x:1500000000000000003", "\"urls\":[\"https://example.com/a?b=1&c=2\"]"));
	/* a retweet: its source from the media, its picture from the export */
	sha_hex("JPEGDATA-PIC1", hex);
	snprintf(frag, sizeof frag, "\"sha256\":\"%s\",\"type\":\"image/jpeg\",\"size\":13", hex);
	CHECK(tsink_has(&s, "x:1500000000000000004", "\"repost_of\":\"x:1300000000000000000\""));
	CHECK(tsink_has(&s, "x:1500000000000000004", frag));
	/* a quote is a status link; a picture missing from the export is a reference */
	CHECK(tsink_has(&s, "x:1500000000000000005", "\"quote_of\":\"x:1234567890123456789\""));
	sha_hex("PNGDATA-OWN2", hex);
	CHECK(tsink_has(&s, "x:1500000000000000005", hex));
	CHECK(tsink_has(&s, "x:1500000000000000005",
	                "{\"type\":\"photo\",\"url\":\"https://pbs.twimg.com/media/GONE.png\"}"));
	/* deletions are kept, marked */
	CHECK(tsink_has(&s, "x:1500000000000000009", "\"deleted_at\":\"2022-03-09T09:00:00Z\""));
	/* a long post: note-tweet.js has its whole text and entities */
	CHECK(tsink_has(&s, "x:1500000000000000007", "\"text\":\"A very long announcement that and "
	                "then it goes on and on well past the old limit of two hundred and eighty "
	                "characters, with a link https://example.com/longform #longform\","
	                "\"hashtags\":[\"longform\"],\"urls\":[\"https://example.com/longform\"]"));
	/* messages */
	CHECK(tsink_has(&s, "x:dm:1600000000000000002", "\"kind\":\"message\""));
	CHECK(tsink_has(&s, "x:dm:1600000000000000002", "\"thread\":\"x:dm:1000-2000\""));
	CHECK(tsink_has(&s, "x:dm:1600000000000000002", "\"author\":{\"id\":\"2000\""));
	sha_hex("DMPIC", hex);
	snprintf(frag, sizeof frag, "{\"sha256\":\"%s\",\"type\":\"image/jpeg\",\"size\":5,"
	         "\"name\":\"1600000000000000002-pic.jpg\"}", hex);
	CHECK(tsink_has(&s, "x:dm:1600000000000000002", frag));
	/* positions and raw bytes: the array element exactly */
	CHECK(tsink_has(&s, "x:1500000000000000003", "\"offset\":1230,\"line\":22"));
	CHECK(raw_matches_file(&s, OWN "x-archive/data/tweets.js", 1230,
	                       "{\n    \"tweet\" : {\n      \"entities\" : { \"hashtags\" : [ ], "
	                       "\"symbols\" : [ ], \"user_mentions\" : [ { \"screen_name\" : \"bob\""));
	CHECK(raw_matches_file(&s, OWN "x-archive/data/direct-messages.js", 357,
	                       "{\n          \"messageCreate\" : { \"recipientId\" : \"1000\""));
	tsink_free(&s);
}

static void test_x_archive__zip_gives_same_records_under_member_names(void)
{
	tsink_t a, b;
	char cmd[8192], zip[4200], want[4400];
	snprintf(zip, sizeof zip, "%s/export.zip", check_tmpdir);
	snprintf(cmd, sizeof cmd, "cd " OWN "x-archive && zip -q -r '%s' data", zip);
	CHECK(system(cmd) == 0);
	run_ok(OWN "x-archive", NULL, &a);
	run_ok(zip, NULL, &b);
	CHECK_INT(b.n_records, a.n_records);
	CHECK_INT(b.n_bad, a.n_bad);
	CHECK_INT(b.n_blobs, 3);
	CHECK(a.raws.len == b.raws.len && memcmp(a.raws.data, b.raws.data, a.raws.len) == 0);
	snprintf(want, sizeof want, "\"file\":\"%s!/data/tweets.js\",\"file_sha256\":\"", zip);
	CHECK(tsink_has(&b, "x:1500000000000000003", want));
	CHECK(tsink_has(&b, "x:1500000000000000003", "\"offset\":1230,\"line\":22"));
	/* the member's hash: the same as the unpacked file's */
	const char *fa = strstr(tsink_find(&a, "x:1500000000000000003"), "\"file_sha256\":\"");
	const char *fb = strstr(tsink_find(&b, "x:1500000000000000003"), "\"file_sha256\":\"");
	CHECK(fa && fb && memcmp(fa, fb, 16 + 64) == 0);
	snprintf(want, sizeof want, "%s!/data/tweets.js|3086|51|", zip);
	CHECK(strstr(b.bads.data, want) != NULL);
	tsink_free(&a);
	tsink_free(&b);
}

static void test_x_archive__zip_of_the_export_folder_is_one_export(void)
{
	tsink_t s;
	char cmd[8192], zip[4200], want[4400];
	/* users zip the folder they unpacked: every path has a first folder */
	snprintf(zip, sizeof zip, "%s/twitter-2022-03-11.zip", check_tmpdir);
	snprintf(cmd, sizeof cmd, "cd " OWN " && zip -q -r '%s' x-archive", zip);
	CHECK(system(cmd) == 0);
	run_ok(zip, NULL, &s);
	CHECK_INT(s.n_records, 9);
	CHECK_INT(s.n_blobs, 3);
	CHECK_INT(s.n_files, 1);   /* imported as one export, not file by file */
	CHECK(tsink_has(&s, "x:1500000000000000007", "#longform\""));
	CHECK(tsink_has(&s, "x:1500000000000000009", "\"deleted_at\""));
	snprintf(want, sizeof want, "\"file\":\"%s!/x-archive/data/tweets.js\"", zip);
	CHECK(tsink_has(&s, "x:1500000000000000003", want));
	tsink_free(&s);
}

static void test_x_archive__lone_tweets_js_finds_its_account(void)
{
	tsink_t s;
	run_ok(OWN "x-archive/data/tweets.js", NULL, &s);
	CHECK_INT(s.n_records, 6);
	CHECK_INT(s.n_bad, 1);
	CHECK(tsink_has(&s, "x:1500000000000000003", "\"account\":\"acmecorp\""));
	CHECK(tsink_has(&s, "x:1500000000000000007", "#longform\""));
	tsink_free(&s);
}

static void test_x_archive__bad_item_stops_when_the_sink_says_so(void)
{
	tsink_t s;
	custos_import_sink_t k = tsink_make(&s);
	custos_err_t err = { 0 };
	s.bad_status = CUSTOS_EFORMAT;
	CHECK_STATUS(custos_import_run(OWN "x-archive", NULL, &k, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "x-archive/data/tweets.js: line 51 (byte 3086)") != NULL);
	tsink_free(&s);
}

static void test_twitter_api__v1_v2_pages_and_truncated_last_line(void)
{
	tsink_t s;
	run_ok(OWN "twitter-api.jsonl", NULL, &s);
	/* 2 v1.1 lines, a v2 page of 2 tweets and 2 included tweets (one
	 * without created_at or author: no record), a truncated line */
	CHECK_INT(s.n_records, 5);
	CHECK_INT(s.n_bad, 1);
	CHECK(strstr(s.bads.data, "twitter-api.jsonl|3223|4|invalid JSON") != NULL);
	/* v1.1 retweet: the original's whole text, expanded */
	CHECK(tsink_has(&s, "x:706860403981099008",
	                "\"text\":\"RT @orig: short version made long #news https://example.org/story\""));
	CHECK(tsink_has(&s, "x:706860403981099008", "\"repost_of\":\"x:706860000000000000\""));
	/* quote and reply at once; the best video variant as a reference */
	CHECK(tsink_has(&s, "x:707000000000000000", "\"kind\":\"quote\""));
	CHECK(tsink_has(&s, "x:707000000000000000", "\"in_reply_to\":\"x:706860403981099008\""));
	CHECK(tsink_has(&s, "x:707000000000000000", "\"text\":\"Agreed & more $ACME\""));
	CHECK(tsink_has(&s, "x:707000000000000000",
	                "{\"type\":\"video\",\"url\":\"https://video.twimg.com/high.mp4?tag=1\"}"));
	/* v2: an edit is named by its first version, and so are links to it */
	CHECK(tsink_has(&s, "x:1576994746135764992", "\"edited_at\":\"2022-10-03T17:57:11Z\""));
	CHECK(tsink_has(&s, "x:1576994746135764992", "\"thread\":\"x:1576994746135764992\""));
	CHECK(tsink_has(&s, "x:1576995594388000768", "\"in_reply_to\":\"x:1576994746135764992\""));
	CHECK(tsink_has(&s, "x:1576995594388000768", "\"author\":{\"id\":\"21\",\"handle\":\"erin\""));
	CHECK(tsink_has(&s, "x:1576995594388000768", "\"urls\":[\"https://example.net/x\"]"));
	CHECK(tsink_has(&s, "x:1576995594388000768", "\"offset\":1981,\"line\":3"));
	/* an included tweet: its element of includes.tweets */
	CHECK(tsink_has(&s, "x:1576990000000000000", "\"hashtags\":[\"root\"]"));
	CHECK(tsink_has(&s, "x:1576990000000000000", "\"offset\":2759,\"line\":3"));
	CHECK(tsink_has(&s, "x:1576990000000000000", "\"author\":{\"id\":\"20\",\"handle\":\"dave\""));
	/* the raw bytes of a v2 tweet are its element of "data" */
	CHECK(strstr(s.raws.data, "\n--\n{\"id\": \"1576995594388000768\"") != NULL);
	tsink_free(&s);
}

static void test_x_archive__non_utf8_element_is_bad_naming_the_byte(void)
{
	tsink_t s;
	char dir[4200], file[4300];
	const char *doc = "window.YTD.tweets.part0 = [ {\"tweet\": {\"id_str\": \"1500000000000000011\", "
	                  "\"full_text\": \"caf\xe9\", \"created_at\": \"Sat Mar 05 09:31:00 +0000 2022\"}},\n"
	                  "{\"tweet\": {\"id_str\": \"1500000000000000012\", \"full_text\": \"ok\", "
	                  "\"created_at\": \"Sat Mar 05 09:32:00 +0000 2022\"}} ]";
	snprintf(dir, sizeof dir, "%s/data", check_tmpdir);
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(file, sizeof file, "%s/tweets.js", dir);
	FILE *f = fopen(file, "wb");
	CHECK(f && fwrite(doc, 1, strlen(doc), f) == strlen(doc) && fclose(f) == 0);
	run_ok(check_tmpdir, NULL, &s);
	CHECK_INT(s.n_records, 1);
	CHECK_INT(s.n_bad, 1);
	/* the element starts at byte 28; the 0xe9 is at byte 89 */
	CHECK(strstr(s.bads.data, "data/tweets.js|28|1|invalid UTF-8 at byte 89") != NULL);
	CHECK(tsink_has(&s, "x:1500000000000000012", "\"text\":\"ok\""));
	/* no account.js: the author is unknown, and the user is told */
	CHECK(strstr(s.warns.data, "the archive owner is unknown") != NULL);
	tsink_free(&s);
}

#define TW(id, text) "{\"tweet\": {\"id_str\": \"" id "\", \"full_text\": \"" text "\", " \
	"\"created_at\": \"Sat Mar 05 09:31:00 +0000 2022\"}}"

static void write_at(const char *rel, const char *doc)
{
	char file[4200];
	snprintf(file, sizeof file, "%s/%s", check_tmpdir, rel);
	FILE *f = fopen(file, "wb");
	CHECK(f && fwrite(doc, 1, strlen(doc), f) == strlen(doc) && fclose(f) == 0);
}

static void test_x_archive__a_second_array_in_a_file_comes_in_too(void)
{
	tsink_t s;
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/data", check_tmpdir);
	CHECK(mkdir(dir, 0755) == 0);
	/* two parts in one file: the second's posts were dropped without a word */
	write_at("data/tweets.js", "window.YTD.tweets.part0 = [ " TW("1500000000000000021", "one") " ]\n"
	         "window.YTD.tweets.part1 = [ " TW("1500000000000000022", "two") ",\n"
	         TW("1500000000000000023", "three") " ];\n");
	run_ok(check_tmpdir, NULL, &s);
	CHECK_INT(s.n_records, 3);
	CHECK_INT(s.n_bad, 0);
	CHECK(tsink_has(&s, "x:1500000000000000023", "\"text\":\"three\""));
	tsink_free(&s);
	/* anything else after the array is damage, named where it is */
	tsink_t s2;
	custos_import_sink_t k = tsink_make(&s2);
	custos_err_t err = { 0 };
	write_at("data/tweets.js", "window.YTD.tweets.part0 = [ " TW("1500000000000000021", "one")
	         " ]\n{\"tweet\": 1}\n");
	CHECK_STATUS(custos_import_run(check_tmpdir, NULL, &k, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "data/tweets.js: line 2 (byte 143): text after the document's array"));
	tsink_free(&s2);
}

static void test_x_archive__a_byte_order_mark_or_blank_start_is_still_recognised(void)
{
	/* tweets.js alone in a folder (no data/, no manifest): recognised by
	 * its own first bytes, which a BOM or a blank line used to hide */
	static const char *const starts[] = { "\xEF\xBB\xBF", "\n  ", "\xEF\xBB\xBF\r\n" };
	for (size_t i = 0; i < 3; i++) {
		tsink_t s;
		char doc[512], rel[64];
		snprintf(rel, sizeof rel, "t%zu.js", i);
		snprintf(doc, sizeof doc, "%swindow.YTD.tweets.part0 = [ " TW("1500000000000000031", "bom")
		         " ]", starts[i]);
		write_at(rel, doc);
		char path[4300];
		snprintf(path, sizeof path, "%s/%s", check_tmpdir, rel);
		run_ok(path, NULL, &s);
		CHECK_INT(s.n_records, 1);
		CHECK_INT(s.n_not_taken, 0);
		tsink_free(&s);
	}
}

static void test_twitter_api__broken_first_line_is_one_bad_line(void)
{
	tsink_t s;
	char file[4200];
	const char *doc = "{\"created_at\": \"Mon Mar 07 15:13:47 +0000 2016\", \"id_str\": \"7\n"
	                  "{\"created_at\": \"Mon Mar 07 15:13:47 +0000 2016\", \"id_str\": \"706860403981099009\", "
	                  "\"text\": \"fine\", \"user\": {\"id_str\": \"10\", \"screen_name\": \"acmecorp\"}}\n";
	snprintf(file, sizeof file, "%s/capture.jsonl", check_tmpdir);
	FILE *f = fopen(file, "wb");
	CHECK(f && fwrite(doc, 1, strlen(doc), f) == strlen(doc) && fclose(f) == 0);
	run_ok(file, "twitter-api", &s);
	CHECK_INT(s.n_records, 1);
	CHECK_INT(s.n_bad, 1);
	CHECK(strstr(s.bads.data, "capture.jsonl|0|1|invalid JSON") != NULL);
	CHECK(tsink_has(&s, "x:706860403981099009", "\"offset\":62,\"line\":2"));
	tsink_free(&s);
}

static void test_twitter_api__pretty_printed_document(void)
{
	tsink_t s;
	run_ok(OWN "twitter-api-pretty.json", "twitter-api", &s);
	CHECK_INT(s.n_records, 1);
	CHECK(tsink_has(&s, "x:707000000000000000", "\"offset\":0,\"line\":1"));
	tsink_free(&s);
}

static size_t counted;
static int count_only(void *ctx, custos_record_t *rec)
{
	counted++;
	return 0;
}

static void test_x_archive__big_tweets_js_streams_in_bounded_memory(void)
{
	char dir[4200], file[4300];
	const int n = 40000;
	struct rusage before, after;
	snprintf(dir, sizeof dir, "%s/data", check_tmpdir);
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(file, sizeof file, "%s/tweets.js", dir);
	FILE *f = fopen(file, "wb");
	CHECK(f != NULL);
	fputs("window.YTD.tweets.part0 = [", f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s\n  {\n    \"tweet\" : {\n      \"id_str\" : \"%lld\",\n"
		        "      \"created_at\" : \"Sat Mar 05 09:31:00 +0000 2022\",\n"
		        "      \"entities\" : { \"hashtags\" : [ { \"text\" : \"t%d\" } ] },\n"
		        "      \"full_text\" : \"", i ? "," : "", 1500000000000000000LL + i, i % 50);
		for (int k = 0; k < 24; k++)
			fputs("lorem ipsum dolor sit amet, consectetur adipiscing ", f);
		fputs("\"\n    }\n  }", f);
	}
	fputs("\n]", f);
	CHECK(fclose(f) == 0);
	struct stat st;
	CHECK(stat(file, &st) == 0 && st.st_size > 50 * 1000 * 1000);
	custos_import_sink_t k = { .record = count_only };
	custos_err_t err = { 0 };
	getrusage(RUSAGE_SELF, &before);
	CHECK_OK(custos_import_run(check_tmpdir, NULL, &k, &err));
	getrusage(RUSAGE_SELF, &after);
	CHECK_INT(counted, n);
#if defined(__SANITIZE_ADDRESS__)
	/* ASan keeps freed memory in quarantine: RSS says nothing here */
#else
	/* a 50+ MB file through a few MB: the scanner holds one chunk and one element */
	CHECK(after.ru_maxrss - before.ru_maxrss < 16 * 1024);
#endif
}

/* ---- real fixtures ------------------------------------------------------ */

static const char *fixture(const char *rel)
{
	static char p[4][4200];
	static int k;
	const char *f = check_fixtures();
	if (!f)
		return NULL;
	char *o = p[k++ % 4];
	snprintf(o, 4200, "%s/%s", f, rel);
	return o;
}

static void test_fixtures__x_archive_milahu104(void)
{
	tsink_t s;
	const char *dir = fixture("x-archive-milahu104");
	if (!dir) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	run_ok(dir, NULL, &s);
	/* strip() { sed '1s/^window\.[A-Za-z_.0-9]* = //' "$1"; }
	 * strip tweets.js | jq length                                  -> 67
	 * strip deleted-tweets.js | jq length                          -> 8
	 * strip direct-messages.js |
	 *   jq '[.[].dmConversation.messages[] | select(.messageCreate)] | length'   -> 17
	 * (strip tweets.js; strip deleted-tweets.js) | jq -s 'add | map(.tweet) | {
	 *   rt: map(select(.full_text|startswith("RT @")))|length,                  -> 25
	 *   quote: non-RT with an entities.urls[].expanded_url matching
	 *     ^https?://(www\.|mobile\.)?(twitter|x)\.com/[^/]+/status/[0-9]+       -> 3
	 *   reply: the other non-RTs with in_reply_to_status_id_str }'              -> 42
	 * strip like.js | jq length                                    -> 45
	 * strip message-event.js | jq -c '[.[].messageEvent.detail | keys[0]] |
	 *   group_by(.) | map({(.[0]): length}) | add'
	 *   -> {"conversationKeyChangeEvent":3,"markConversationReadEvent":3,
	 *       "messageCreateEvent":3}: 3 messages, 6 events
	 * strip community-tweet.js | jq '[.[].tweet | select(.in_reply_to_status_id_str)]
	 *   | length'                                                   -> 3 (of 3) */
	CHECK_INT(s.n_records, 67 + 3 + 8 + 17 + 45 + 9);
	CHECK_INT(s.n_bad, 0);
	CHECK_INT(s.kinds[0], 5);
	CHECK_INT(s.kinds[1], 42 + 3);
	CHECK_INT(s.kinds[2], 25);
	CHECK_INT(s.kinds[3], 3);
	CHECK_INT(s.kinds[5], 17 + 3);
	CHECK_INT(s.kinds[6], 6);
	CHECK_INT(s.kinds[7], 45);   /* likes */
	/* strip like.js | jq -c '.[1].like' */
	CHECK(tsink_has(&s, "x:like:1964312974236991488:2029899465780269491",
	                "\"kind\":\"like\",\"author\":{\"id\":\"1964312974236991488\",\"handle\":\"milahu104\""));
	CHECK(tsink_has(&s, "x:like:1964312974236991488:2029899465780269491",
	                "\"target\":\"x:2029899465780269491\",\"url\":\"https://twitter.com/i/web/status/"
	                "2029899465780269491\",\"text\":\"@SamaHoole Optimum health is often achieved"));
	/* one conversation, in both files: strip message-event.js | jq '[.[].messageEvent |
	 *   select(.conversationId=="2815014648:1964312974236991488")] | length' -> 5;
	 * direct-messages.js has 1 message of "2815014648-1964312974236991488" */
	size_t in_thread = 0;
	for (const char *q = s.records.data; (q = strstr(q, "\"thread\":\"x:dm:2815014648-"
	                                                 "1964312974236991488\"")); q++)
		in_thread++;
	CHECK_INT(in_thread, 5 + 1);
	/* jq '.[0].messageEvent | .messageId, .detail' */
	CHECK(tsink_has(&s, "x:dm:c604ef45-3802-483c-86fa-b91adefa4a59",
	                "\"kind\":\"event\",\"subtype\":\"mark_conversation_read\""));
	/* jq '.[0].tweet | .id_str, .in_reply_to_status_id_str' on tweets.js */
	CHECK(tsink_has(&s, "x:2029905358261502168", "\"in_reply_to\":\"x:2029903943413772741\""));
	/* sha256sum on both files of data/tweets_media */
	CHECK_INT(s.n_blobs, 2);
	CHECK(tsink_has(&s, "x:2009609488027070672", "{\"sha256\":\"62c89a98dc69185e14879286d1f5ace5"
	                "5efc9e339c4fb8afb2db87b8379a9101\",\"type\":\"image/png\",\"size\":23000"));
	CHECK(tsink_has(&s, "x:2011460031385047365", "\"sha256\":\"961685c00b6732fba4df04ec0f13b6ef"
	                "e80a5dff13ed172d090d0c9476b1761d\""));
	/* the retweet's source: .extended_entities.media[0].source_status_id_str */
	CHECK(tsink_has(&s, "x:2011460031385047365", "\"repost_of\":\"x:1476437555717541893\""));
	/* [.entities.hashtags[].text] of 2009609488027070672 */
	CHECK(tsink_has(&s, "x:2009609488027070672", "\"hashtags\":[\"dutycalls\",\"xkcd\"]"));
	/* strip deleted-tweets.js | jq -r '.[0].tweet | .id_str + " " + .deleted_at' */
	CHECK(tsink_has(&s, "x:2029583929812873669", "\"deleted_at\":\"2026-03-05T16:08:05Z\""));
	CHECK(tsink_has(&s, "x:2029905358261502168", "\"account\":\"milahu104\""));
	tsink_free(&s);
}

static void test_fixtures__x_archive_2021_singular_tweet_js(void)
{
	tsink_t s;
	const char *dir = fixture("x-archive-2021-larsbrinkhoff");
	if (!dir) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	run_ok(dir, NULL, &s);
	/* strip tweet.js | jq 'map(.tweet) | {n: length,
	 *   rt: map(select(.full_text|startswith("RT @")))|length,
	 *   reply: map(select((.full_text|startswith("RT @")|not) and
	 *                     .in_reply_to_status_id_str != null))|length}'
	 *   -> {n: 28, rt: 5, reply: 16}
	 * strip like.js | jq length -> 8 */
	CHECK_INT(s.n_records, 28 + 8);
	CHECK_INT(s.kinds[7], 8);
	CHECK_INT(s.kinds[2], 5);
	CHECK_INT(s.kinds[1], 16);
	CHECK_INT(s.kinds[0], 7);
	/* no account.js: the owner from manifest.js userInfo.userName */
	CHECK(tsink_has(&s, "x:826354801738969088", "\"account\":\"larsbrinkhoff\""));
	CHECK(tsink_has(&s, "x:826354801738969088", "\"in_reply_to\":\"x:813774560122249217\""));
	tsink_free(&s);
}

static void test_fixtures__twitter_api_v11(void)
{
	tsink_t s;
	const char *dir = fixture("twitter-api-v1.1-twitter-types");
	if (!dir) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	run_ok(dir, NULL, &s);
	/* for f in *.json tweet-updates/NAME.json; do jq -c 'if (.statuses|type)=="array"
	 *   then .statuses[] else . end | select(type=="object" and .user and .created_at
	 *   and (.text or .full_text)) | if .retweeted_status then "rt" elif
	 *   (.quoted_status_id_str or .quoted_status) then "q" elif
	 *   .in_reply_to_status_id_str then "re" else "p" end' $f; done | sort | uniq -c
	 *   -> 9 p, 6 q, 2 re
	 * the notices and events: jq -c 'select(type=="object") | if .delete then "delete"
	 *   elif .event then "event:"+.event else empty end' *.json | sort | uniq -c
	 *   -> 1 delete, 1 event:favorite, 1 event:unfavorite; each event's
	 *   target_object is a tweet (classified as above: 2 p), a record too
	 * jq '.events | map(select(.type=="message_create")) | length'
	 *   direct_message_event_list.json -> 2 direct messages */
	CHECK_INT(s.n_records, 17 + 1 + 2 + 2 + 2);
	CHECK_INT(s.kinds[5], 2);
	/* jq -c '.events[0] | .id, .message_create.sender_id,
	 *   .message_create.target.recipient_id' */
	CHECK(tsink_has(&s, "x:dm:123123123123123123", "\"thread\":\"x:dm:69179963-186712193\""));
	CHECK(tsink_has(&s, "x:dm:123123123123123123", "\"text\":\"hello @thimura\""));
	CHECK_INT(s.kinds[0], 9 + 2);
	CHECK_INT(s.kinds[6], 2);   /* the delete notice, the unfavorite */
	CHECK_INT(s.kinds[7], 1);   /* the favorite: a like */
	/* jq -c .delete.status delete.json: recorded, not applied */
	CHECK(tsink_has(&s, "x:delete:495607981833064448", "\"kind\":\"event\",\"subtype\":\"delete\","
	                "\"author\":{\"id\":\"2566877347\",\"handle\":\"2566877347\"}"));
	CHECK(tsink_has(&s, "x:delete:495607981833064448", "\"target\":\"x:495607981833064448\""));
	CHECK(!tsink_has(&s, "x:delete:495607981833064448", "\"deleted_at\""));
	/* jq -c '.source.id_str, .target_object.id_str' event_favorite_thimura.json */
	CHECK(tsink_has(&s, "x:like:2566877347:495597326736449536", "\"target\":\"x:495597326736449536\""));
	CHECK(tsink_find(&s, "x:495597326736449536") != NULL);
	CHECK_INT(s.kinds[3], 6);
	CHECK_INT(s.kinds[1], 2);
	CHECK_INT(s.n_bad, 0);
	tsink_free(&s);
}

static void test_fixtures__twitter_api_v2_twarc(void)
{
	tsink_t s;
	const char *dir = fixture("twitter-api-v2-twarc-csv");
	if (!dir) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	run_ok(dir, NULL, &s);
	/* for f in *.jsonl; do jq -c 'select(.data) | .data | if type=="array" then .[]
	 *   else . end | (.referenced_tweets // []) as $r | if ($r|map(.type)|index("retweeted"))
	 *   then "rt" elif (...quoted) then "q" elif (...replied_to) then "re" else "p" end'
	 *   $f; done | sort | uniq -c   -> 17 p, 5 re, 2 rt, 2 q (line 8 of
	 *   streaming_output_with_error.jsonl does not parse: jq stops there)
	 * the same over '(.includes.tweets // [])[] | select(.created_at and .author_id
	 *   and .text)'   -> 20 p, 1 re, 1 rt, 1 q */
	/* and cat *_compliance.jsonl | jq -c 'select(.action) | .action' -> 4 "delete" */
	CHECK_INT(s.n_records, 26 + 23 + 4);
	CHECK_INT(s.kinds[6], 4);
	CHECK(tsink_has(&s, "x:compliance:delete:1170147183095664640:1567819803390",
	                "\"subtype\":\"compliance_delete\""));
	CHECK_INT(s.kinds[0], 17 + 20);
	CHECK_INT(s.kinds[1], 5 + 1);
	CHECK_INT(s.kinds[2], 2 + 1);
	CHECK_INT(s.kinds[3], 2 + 1);
	CHECK_INT(s.n_bad, 1);
	CHECK(strstr(s.bads.data, "streaming_output_with_error.jsonl|30091|8|") != NULL);
	/* jq -c '.data[] | {id, edit_history_tweet_ids, created_at}' edited.jsonl */
	CHECK(tsink_has(&s, "x:1576994746135764992", "\"edited_at\":\"2022-10-03T17:57:11Z\""));
	/* jq -r '.data[] | select(.entities.cashtags) | .id + " " +
	 *   ([.entities.cashtags[].tag]|join(","))' cashtags.jsonl | head -1 */
	CHECK(tsink_has(&s, "x:1611077073803841538", "\"cashtags\":[\"AMD\",\"BTC\",\"TWTR\",\"BA\","
	                "\"doge\",\"baba\",\"spy\",\"SPX\",\"NIO\",\"ETC\",\"META\"]"));
	tsink_free(&s);
}

static void test_fixtures__same_input_gives_identical_records_twice(void)
{
	tsink_t a, b;
	const char *dirs[] = { "x-archive-milahu104", "twitter-api-v2-twarc-csv" };
	if (!check_fixtures()) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	for (int i = 0; i < 2; i++) {
		run_ok(fixture(dirs[i]), NULL, &a);
		run_ok(fixture(dirs[i]), NULL, &b);
		CHECK(a.records.len > 0 && a.records.len == b.records.len);
		CHECK(memcmp(a.records.data, b.records.data, a.records.len) == 0);
		CHECK(a.raws.len == b.raws.len && memcmp(a.raws.data, b.raws.data, a.raws.len) == 0);
		tsink_free(&a);
		tsink_free(&b);
	}
}

CHECK_MAIN(CHECK_CASE(test_x_archive__own_archive_gives_kinds_links_edits_media),
           CHECK_CASE(test_x_archive__a_second_array_in_a_file_comes_in_too),
           CHECK_CASE(test_x_archive__a_byte_order_mark_or_blank_start_is_still_recognised),
           CHECK_CASE(test_x_archive__zip_gives_same_records_under_member_names),
           CHECK_CASE(test_x_archive__zip_of_the_export_folder_is_one_export),
           CHECK_CASE(test_x_archive__lone_tweets_js_finds_its_account),
           CHECK_CASE(test_x_archive__bad_item_stops_when_the_sink_says_so),
           CHECK_CASE(test_x_archive__big_tweets_js_streams_in_bounded_memory),
           CHECK_CASE(test_twitter_api__v1_v2_pages_and_truncated_last_line),
           CHECK_CASE(test_x_archive__non_utf8_element_is_bad_naming_the_byte),
           CHECK_CASE(test_twitter_api__broken_first_line_is_one_bad_line),
           CHECK_CASE(test_twitter_api__pretty_printed_document),
           CHECK_CASE(test_fixtures__x_archive_milahu104),
           CHECK_CASE(test_fixtures__x_archive_2021_singular_tweet_js),
           CHECK_CASE(test_fixtures__twitter_api_v11),
           CHECK_CASE(test_fixtures__twitter_api_v2_twarc),
           CHECK_CASE(test_fixtures__same_input_gives_identical_records_twice))
