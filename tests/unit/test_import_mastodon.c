/* Mastodon importers: account exports (outbox.json, actor.json, media) as a
 * folder or a zip, and REST Status captures one per line. Own inputs live in
 * tests/data/import/; the fixture tier reads ../shared/fixtures. */
#include "check.h"
#include "import_sink.h"

#include <stdlib.h>

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

static void test_mastodon__own_export_notes_boosts_and_quirks(void)
{
	tsink_t s;
	uint8_t h[CUSTOS_SHA256_LEN];
	char hex[CUSTOS_SHA256_HEX], frag[200];
	run_ok(OWN "mastodon", NULL, &s);
	/* the first "orderedItems" is a decoy; the last one has 6 items, one
	 * without a date */
	CHECK_INT(s.n_records, 5);
	CHECK_INT(s.n_bad, 1);
	CHECK(strstr(s.bads.data, "outbox.json|3836|7|mastodon:social.example:110000000000000006: "
	                          "no valid published time") != NULL);
	CHECK(strstr(s.warns.data, "the key \"orderedItems\" occurs 2 times; the last one is used")
	      != NULL);
	const char *id1 = "mastodon:social.example:110000000000000001";
	CHECK(tsink_has(&s, id1, "\"account\":\"acme@social.example\",\"kind\":\"post\","
	                "\"author\":{\"id\":\"https://social.example/users/acme\","
	                "\"handle\":\"acme@social.example\",\"name\":\"Acme Corp\"}"));
	/* HTML to text: entities, <br>, paragraphs; invisible spans keep the URL whole */
	CHECK(tsink_has(&s, id1, "\"text\":\"Fish & chips <3 caf\xc3\xa9 \xf0\x9f\x98\x80\\nline two "
	                "#launch\\n\\nHi @bob see https://example.com/a?x=1&y=2\""));
	CHECK(tsink_has(&s, id1, "\"hashtags\":[\"launch\"],\"mentions\":[\"bob@other.example\","
	                "\"carol@social.example\"],\"urls\":[\"https://example.com/a?x=1&y=2\"]"));
	CHECK(tsink_has(&s, id1, "\"lang\":\"en\""));
	CHECK(tsink_has(&s, id1, "\"edited_at\":\"2023-04-01T11:00:00Z\""));
	CHECK(tsink_has(&s, id1, "\"visibility\":\"public\""));
	custos_sha256(h, "PNGBYTES-1", 10);
	custos_hex(hex, h, sizeof h);
	snprintf(frag, sizeof frag, "{\"sha256\":\"%s\",\"type\":\"image/png\",\"size\":10,"
	         "\"name\":\"cat.png\"}", hex);
	CHECK(tsink_has(&s, id1, frag));
	CHECK(tsink_has(&s, id1, "{\"type\":\"video/mp4\",\"url\":\"/bucket/media_attachments/files/"
	                "110/000/000/000/000/002/original/gone.mp4\"}"));
	CHECK_INT(s.n_blobs, 1);
	/* a direct reply with a content warning */
	const char *id2 = "mastodon:social.example:110000000000000002";
	CHECK(tsink_has(&s, id2, "\"kind\":\"reply\""));
	CHECK(tsink_has(&s, id2, "\"in_reply_to\":\"mastodon:other.example:99\""));
	CHECK(tsink_has(&s, id2, "\"visibility\":\"direct\",\"content_warning\":\"spoilers & such\""));
	/* boosts of bare URLs: a Mastodon-shaped one is derived, another kept */
	CHECK(tsink_has(&s, "mastodon:social.example:110000000000000003",
	                "\"kind\":\"repost\""));
	CHECK(tsink_has(&s, "mastodon:social.example:110000000000000003",
	                "\"repost_of\":\"mastodon:other.example:42\""));
	CHECK(tsink_has(&s, "mastodon:social.example:110000000000000004",
	                "\"repost_of\":\"https://pleroma.example/objects/9f1c-77\""));
	CHECK(tsink_has(&s, "mastodon:social.example:110000000000000004",
	                "\"visibility\":\"private\""));
	CHECK(tsink_has(&s, "mastodon:social.example:110000000000000005",
	                "\"in_reply_to\":\"mastodon:social.example:110000000000000001\""));
	CHECK(tsink_has(&s, "mastodon:social.example:110000000000000005",
	                "\"visibility\":\"unlisted\""));
	/* raw bytes: the item exactly */
	CHECK(tsink_has(&s, "mastodon:social.example:110000000000000003",
	                "\"offset\":2581,\"line\":4"));
	CHECK(strstr(s.raws.data, "\n--\n{\"id\":\"https://social.example/users/acme/statuses/"
	                          "110000000000000003/activity\",\"type\":\"Announce\"") != NULL);
	tsink_free(&s);
}

static void test_mastodon__zip_export_finds_media_inside(void)
{
	tsink_t a, b;
	char cmd[8192], zip[4200], want[4400];
	snprintf(zip, sizeof zip, "%s/archive-20230501.zip", check_tmpdir);
	snprintf(cmd, sizeof cmd, "cd " OWN "mastodon && zip -q -r '%s' .", zip);
	CHECK(system(cmd) == 0);
	run_ok(OWN "mastodon", NULL, &a);
	run_ok(zip, NULL, &b);
	CHECK_INT(b.n_records, 5);
	CHECK_INT(b.n_blobs, 1);
	CHECK(a.raws.len == b.raws.len && memcmp(a.raws.data, b.raws.data, a.raws.len) == 0);
	snprintf(want, sizeof want, "\"file\":\"%s!/outbox.json\"", zip);
	CHECK(tsink_has(&b, "mastodon:social.example:110000000000000002", want));
	tsink_free(&a);
	tsink_free(&b);
}

static void test_mastodon__export_one_folder_down_in_a_zip(void)
{
	tsink_t s;
	char cmd[8192], zip[4200];
	snprintf(zip, sizeof zip, "%s/export.zip", check_tmpdir);
	snprintf(cmd, sizeof cmd, "cd " OWN " && zip -q -r '%s' mastodon", zip);
	CHECK(system(cmd) == 0);
	run_ok(zip, NULL, &s);
	CHECK_INT(s.n_records, 5);
	CHECK_INT(s.n_blobs, 1);
	CHECK_INT(s.n_files, 1);
	CHECK(tsink_has(&s, "mastodon:social.example:110000000000000001",
	                "\"handle\":\"acme@social.example\""));
	tsink_free(&s);
}

static void test_mastodon_api__statuses_one_per_line(void)
{
	tsink_t s;
	run_ok(OWN "mastodon-api.jsonl", NULL, &s);
	CHECK_INT(s.n_records, 4);
	CHECK_INT(s.n_bad, 1);
	CHECK(strstr(s.bads.data, "mastodon-api.jsonl|2682|5|invalid JSON") != NULL);
	const char *id1 = "mastodon:social.example:111000000000000001";
	CHECK(tsink_has(&s, id1, "\"text\":\"Hello #api @bob\""));
	CHECK(tsink_has(&s, id1, "\"hashtags\":[\"api\"],\"mentions\":[\"bob@other.example\"]"));
	CHECK(tsink_has(&s, id1, "\"edited_at\":\"2023-10-01T12:30:00Z\""));
	CHECK(tsink_has(&s, id1, "{\"type\":\"image\",\"url\":\"https://files.social.example/media/1.png\"}"));
	/* a local reply names its parent; a remote one cannot */
	CHECK(tsink_has(&s, "mastodon:social.example:111000000000000002",
	                "\"in_reply_to\":\"mastodon:social.example:111000000000000001\""));
	CHECK(tsink_has(&s, "mastodon:social.example:111000000000000002",
	                "\"visibility\":\"unlisted\",\"content_warning\":\"cw here\""));
	CHECK(tsink_has(&s, "mastodon:far.example:555", "\"kind\":\"reply\""));
	CHECK(!tsink_has(&s, "mastodon:far.example:555", "in_reply_to"));
	CHECK(tsink_has(&s, "mastodon:far.example:555", "\"handle\":\"zed@far.example\""));
	/* a reblog is a repost record of its own */
	CHECK(tsink_has(&s, "mastodon:social.example:111000000000000003",
	                "\"kind\":\"repost\""));
	CHECK(tsink_has(&s, "mastodon:social.example:111000000000000003",
	                "\"repost_of\":\"mastodon:other.example:42\""));
	tsink_free(&s);
}

static void test_fixtures__mastodon_dealingwith(void)
{
	tsink_t s;
	const char *f = check_fixtures();
	char dir[4200];
	if (!f) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	snprintf(dir, sizeof dir, "%s/mastodon-archive-dealingwith", f);
	run_ok(dir, NULL, &s);
	/* jq -c '[.orderedItems[] | .type] | group_by(.) | map({(.[0]): length}) | add'
	 *   outbox.json   -> {"Announce": 6, "Create": 49}  (jq keeps the last key)
	 * jq '.orderedItems | map(select(.type=="Create" and .object.inReplyTo != null))
	 *   | length'     -> 17 */
	CHECK_INT(s.n_records, 55);
	CHECK_INT(s.kinds[2], 6);
	CHECK_INT(s.kinds[1], 17);
	CHECK_INT(s.kinds[0], 32);
	CHECK_INT(s.n_bad, 0);
	CHECK(strstr(s.warns.data, "occurs 2 times") != NULL);
	/* jq -r '.orderedItems[] | select(.type=="Create" and .object.inReplyTo ==
	 *   "https://social.lol/users/mcg/statuses/109308078398027392") | .object.id' */
	CHECK(tsink_has(&s, "mastodon:indieweb.social:109309145334822499",
	                "\"in_reply_to\":\"mastodon:social.lol:109308078398027392\""));
	/* the first Create with a Hashtag tag: 109333840388857217, ["#caterday"] */
	CHECK(tsink_has(&s, "mastodon:indieweb.social:109333840388857217",
	                "\"hashtags\":[\"caterday\"]"));
	/* jq -c '.orderedItems[] | select(.type=="Create") | .object | select(.updated)
	 *   | {id, updated}' | head -1 */
	CHECK(tsink_has(&s, "mastodon:indieweb.social:109559452693184721",
	                "\"edited_at\":\"2022-12-22T21:30:04Z\""));
	/* jq '.orderedItems[] | select(.type=="Announce") | .object' | head -1 */
	CHECK(tsink_has(&s, "mastodon:indieweb.social:109449999597967268",
	                "\"repost_of\":\"mastodon:mastodon.social:109440048909776763\""));
	/* counts over the records against jq over outbox.json:
	 *   updated 4, non-empty summary 6, attachments 29, Hashtag tags 9,
	 *   visibility from to/cc: public 40, unlisted 2, private 2, direct 5 */
	size_t edited = 0, cw = 0, media = 0, pub = 0, unl = 0, priv = 0, dir_ = 0;
	for (const char *p = s.records.data; p && *p; ) {
		const char *e = strchr(p, '\n');
		size_t n = (size_t)(e - p);
		edited += memmem(p, n, "\"edited_at\"", 11) != NULL;
		cw += memmem(p, n, "\"content_warning\"", 17) != NULL;
		for (const char *q = p; q < e && (q = memmem(q, (size_t)(e - q), "media_attachments/", 18));
		     q++)
			media++;
		if (!memmem(p, n, "\"kind\":\"repost\"", 15)) {
			pub += memmem(p, n, "\"visibility\":\"public\"", 21) != NULL;
			unl += memmem(p, n, "\"visibility\":\"unlisted\"", 23) != NULL;
			priv += memmem(p, n, "\"visibility\":\"private\"", 22) != NULL;
			dir_ += memmem(p, n, "\"visibility\":\"direct\"", 21) != NULL;
		}
		p = e + 1;
	}
	CHECK_INT(edited, 4);
	CHECK_INT(cw, 6);
	CHECK_INT(media, 29);   /* referenced only: the media files are not in the fixture */
	CHECK_INT(pub, 40);
	CHECK_INT(unl, 2);
	CHECK_INT(priv, 2);
	CHECK_INT(dir_, 5);
	tsink_free(&s);
}

static void test_fixtures__mastodon_same_input_gives_identical_records_twice(void)
{
	tsink_t a, b;
	const char *f = check_fixtures();
	char dir[4200];
	if (!f) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	snprintf(dir, sizeof dir, "%s/mastodon-archive-dealingwith", f);
	run_ok(dir, NULL, &a);
	run_ok(dir, NULL, &b);
	CHECK(a.records.len > 0 && a.records.len == b.records.len);
	CHECK(memcmp(a.records.data, b.records.data, a.records.len) == 0);
	tsink_free(&a);
	tsink_free(&b);
}

CHECK_MAIN(CHECK_CASE(test_mastodon__own_export_notes_boosts_and_quirks),
           CHECK_CASE(test_mastodon__zip_export_finds_media_inside),
           CHECK_CASE(test_mastodon__export_one_folder_down_in_a_zip),
           CHECK_CASE(test_mastodon_api__statuses_one_per_line),
           CHECK_CASE(test_fixtures__mastodon_dealingwith),
           CHECK_CASE(test_fixtures__mastodon_same_input_gives_identical_records_twice))
