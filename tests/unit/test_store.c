/* The record store against a real LMDB environment in a temp dir. */
#include "check.h"
#include "custos_archiver.h"
#include "store_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <lmdb.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char archive[4200];

/* CHECK_OK that also shows the store's error detail. */
#define CHECK_ST(st, call) do { int check__s = (call); if (check__s != 0) \
	check__fail(__FILE__, __LINE__, "%s returned %d (%s): %s", #call, check__s, \
	            custos_status_str(check__s), custos_store_err(st)->msg); } while (0)

static custos_store_t *open_store(unsigned flags)
{
	custos_store_t *st = NULL;
	custos_err_t err = { 0 };
	snprintf(archive, sizeof archive, "%s/a", check_tmpdir);
	int s = custos_store_open(&st, archive, flags, &err);
	if (s != CUSTOS_OK)
		check__fail(__FILE__, __LINE__, "open: %s", err.msg);
	return st;
}

static void three_records(void);
static void make_post(custos_record_t *r, uint64_t i, const char *platform, unsigned *seed);

static custos_store_t *create_store(void)
{
	return open_store(CUSTOS_STORE_CREATE);
}

/* A valid record; raw holds bytes that are not text on purpose. */
static void make(custos_record_t *r, const char *id, const char *platform, const char *text)
{
	static const char raw[] = "{\"orig\":1,\"bin\":\"\xff\x00\x01\"}";
	custos_record_reset(r);
	CHECK_OK(custos_record_sets(r, &r->id, id));
	CHECK_OK(custos_record_sets(r, &r->platform, platform));
	CHECK_OK(custos_record_sets(r, &r->kind, "post"));
	CHECK_OK(custos_record_sets(r, &r->author_handle, "acme"));
	CHECK_OK(custos_record_sets(r, &r->text, text));
	r->created_at = 1600000000000LL;
	CHECK_OK(custos_record_set_raw(r, raw, sizeof raw - 1));
}

static custos_put_t put1(custos_store_t *st, custos_record_t *r)
{
	custos_batch_t *b;
	custos_put_t out = 0;
	CHECK_OK(custos_store_begin(&b, st));
	if (custos_store_put(b, r, &out) != CUSTOS_OK)
		check__fail(__FILE__, __LINE__, "put: %s", custos_store_err(st)->msg);
	CHECK_ST(st, custos_store_commit(b, NULL));
	return out;
}

static void test_store__put_then_get_roundtrips(void)
{
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_buf_t a = { 0 }, b = { 0 };
	custos_record_init(&r);
	custos_record_init(&g);
	make(&r, "mastodon:social.example/109", "mastodon", "hello #law @bob https://e.x/1");
	CHECK_OK(custos_record_sets(&r, &r.account, "acme@social.example"));
	CHECK_OK(custos_record_sets(&r, &r.author_id, "42"));
	CHECK_OK(custos_record_sets(&r, &r.author_name, "Acme Inc"));
	CHECK_OK(custos_record_sets(&r, &r.in_reply_to, "mastodon:social.example/100"));
	CHECK_OK(custos_record_sets(&r, &r.lang, "en"));
	CHECK_OK(custos_record_sets(&r, &r.visibility, "public"));
	CHECK_OK(custos_record_strv_add(&r, &r.hashtags, "law", 3));
	CHECK_OK(custos_record_strv_add(&r, &r.mentions, "bob", 3));
	CHECK_OK(custos_record_strv_add(&r, &r.urls, "https://e.x/1", 13));
	custos_media_t *m = custos_record_media_add(&r);
	CHECK(m);
	m->size = 12;
	CHECK_OK(custos_record_sets(&r, &m->type, "image/png"));
	CHECK_OK(custos_record_sets(&r, &m->name, "a.png"));
	r.edited_at = 1600000001000LL;
	CHECK_OK(custos_record_sets(&r, &r.source.format, "mastodon"));
	CHECK_OK(custos_record_sets(&r, &r.source.file, "outbox.json"));
	r.source.offset = 17;
	r.source.line = 3;
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	CHECK_INT(r.seq, 1);
	CHECK_INT(r.version, 1);
	CHECK(r.captured_at != CUSTOS_TIME_NONE);

	CHECK_ST(st, custos_store_get(st, "mastodon:social.example/109", 0, &g));
	CHECK_OK(custos_record_to_json(&r, CUSTOS_JSON_FULL, &a));
	CHECK_OK(custos_record_to_json(&g, CUSTOS_JSON_FULL, &b));
	CHECK_STR(a.data, b.data);
	CHECK_INT(g.raw_len, r.raw_len);
	CHECK(memcmp(g.raw, r.raw, r.raw_len) == 0);
	CHECK_STR(g.content_sha256, r.content_sha256);
	CHECK_INT(g.source.line, 3);

	CHECK_ST(st, custos_store_get_seq(st, 1, &g));
	CHECK_STR(g.id, "mastodon:social.example/109");
	CHECK_STATUS(custos_store_get(st, "x:none", 0, &g), CUSTOS_ENOTFOUND);
	CHECK_STATUS(custos_store_get(st, "mastodon:social.example/109", 2, &g), CUSTOS_ENOTFOUND);
	custos_buf_free(&a);
	custos_buf_free(&b);
	custos_record_free(&r);
	custos_record_free(&g);
	custos_store_free(st);
}

static void test_store__same_content_twice_is_unchanged(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_batch_t *b;
	custos_put_t out;
	custos_batch_summary_t sum;
	uint64_t last;
	custos_record_init(&r);
	make(&r, "x:1", "x", "hello");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	make(&r, "x:1", "x", "hello");
	r.captured_at = 5;   /* capture details are outside the content hash */
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store_put(b, &r, &out));
	CHECK_INT(out, CUSTOS_PUT_UNCHANGED);
	CHECK_INT(r.seq, 1);
	CHECK_INT(r.version, 1);
	/* twice in one batch too */
	make(&r, "x:2", "x", "second");
	CHECK_ST(st, custos_store_put(b, &r, &out));
	CHECK_INT(out, CUSTOS_PUT_ADDED);
	make(&r, "x:2", "x", "second");
	CHECK_ST(st, custos_store_put(b, &r, &out));
	CHECK_INT(out, CUSTOS_PUT_UNCHANGED);
	CHECK_INT(r.seq, 2);
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.added, 1);
	CHECK_INT(sum.unchanged, 2);
	CHECK_ST(st, custos_store_last_seq(st, &last));
	CHECK_INT(last, 2);
	custos_record_free(&r);
	custos_store_free(st);
}

static void test_store__edited_content_adds_a_version(void)
{
	custos_store_t *st = create_store();
	custos_record_t r, g;
	uint64_t *seqs;
	size_t n;
	custos_record_init(&r);
	custos_record_init(&g);
	make(&r, "x:1", "x", "first text");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	make(&r, "x:9", "x", "other");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	make(&r, "x:1", "x", "edited text");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_VERSION);
	CHECK_INT(r.version, 2);
	CHECK_INT(r.seq, 3);
	CHECK_ST(st, custos_store_get(st, "x:1", 1, &g));
	CHECK_STR(g.text, "first text");
	CHECK_INT(g.version, 1);
	CHECK_ST(st, custos_store_get(st, "x:1", 2, &g));
	CHECK_STR(g.text, "edited text");
	CHECK_ST(st, custos_store_get(st, "x:1", 0, &g));
	CHECK_INT(g.version, 2);
	CHECK_INT(g.seq, 3);
	CHECK_ST(st, custos_store_versions(st, "x:1", &seqs, &n));
	CHECK_INT(n, 2);
	CHECK_INT(seqs[0], 1);
	CHECK_INT(seqs[1], 3);
	free(seqs);
	CHECK_ST(st, custos_store_versions(st, "x:nothing", &seqs, &n));
	CHECK_INT(n, 0);
	custos_record_free(&r);
	custos_record_free(&g);
	custos_store_free(st);
}

static void test_store__reimport_of_older_content_is_unchanged(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	uint64_t last;
	custos_record_init(&r);
	make(&r, "x:1", "x", "A");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	make(&r, "x:1", "x", "B");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_VERSION);
	make(&r, "x:1", "x", "A");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_UNCHANGED);
	CHECK_INT(r.version, 1);
	CHECK_INT(r.seq, 1);
	CHECK_ST(st, custos_store_last_seq(st, &last));
	CHECK_INT(last, 2);
	custos_record_free(&r);
	custos_store_free(st);
}

static void test_store__deleted_upstream_is_kept_and_marked(void)
{
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_store_stats_t s;
	custos_record_init(&r);
	custos_record_init(&g);
	make(&r, "x:1", "x", "A");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	make(&r, "x:1", "x", "A");
	r.deleted_at = 1700000000000LL;
	CHECK_INT(put1(st, &r), CUSTOS_PUT_VERSION);
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.deleted_upstream, 1);
	CHECK_INT(s.records, 1);
	CHECK_INT(s.versions, 2);
	custos_store_stats_free(&s);
	CHECK_ST(st, custos_store_get(st, "x:1", 0, &g));
	CHECK_INT(g.deleted_at, 1700000000000LL);
	CHECK_ST(st, custos_store_get(st, "x:1", 1, &g));
	CHECK_INT(g.deleted_at, CUSTOS_TIME_NONE);
	/* seen again undeleted (restored upstream): no longer counted */
	make(&r, "x:1", "x", "A2");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_VERSION);
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.deleted_upstream, 0);
	custos_store_stats_free(&s);
	custos_record_free(&r);
	custos_record_free(&g);
	custos_store_free(st);
}

/* A record that looks like a real post, ~1.4 KB of raw JSON. */
static const char *const words[] = {
	"the", "a", "to", "of", "and", "in", "is", "for", "on", "our", "we", "you", "new",
	"customers", "today", "support", "team", "product", "launch", "thanks", "update",
	"please", "DM", "order", "service", "account", "help", "release", "great", "week",
	"event", "join", "us", "live", "now", "more", "info", "link", "check", "out",
	"compliance", "quarterly", "report", "investors", "outage", "resolved", "sorry",
	"delay", "shipping", "feedback"
};

static void make_post(custos_record_t *r, uint64_t i, const char *platform, unsigned *seed)
{
	char text[400], id[64], raw[2048];
	size_t n = 0;
	int words_n = 12 + rand_r(seed) % 30;
	for (int w = 0; w < words_n && n < sizeof text - 40; w++) {
		/* Zipf-ish: low indexes far more often */
		unsigned k = (unsigned)(rand_r(seed) % 50);
		k = k * k / 50;
		n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", w ? " " : "", words[k]);
	}
	snprintf(id, sizeof id, "%s:%llu", platform, 1300000000000000000ULL + i * 7919);
	int rn = snprintf(raw, sizeof raw,
	    "{\"created_at\":\"Wed Oct 10 20:19:%02u +0000 2018\",\"id\":%llu,\"id_str\":\"%llu\","
	    "\"text\":\"%s\",\"truncated\":false,\"entities\":{\"hashtags\":[],\"symbols\":[],"
	    "\"user_mentions\":[],\"urls\":[]},\"source\":\"<a href=\\\"https://mobile.twitter.com\\\" "
	    "rel=\\\"nofollow\\\">Twitter Web App</a>\",\"in_reply_to_status_id\":null,"
	    "\"in_reply_to_status_id_str\":null,\"in_reply_to_user_id\":null,"
	    "\"in_reply_to_user_id_str\":null,\"in_reply_to_screen_name\":null,\"user\":{\"id\":"
	    "783214,\"id_str\":\"783214\",\"name\":\"Acme Corporation\",\"screen_name\":\"acme\","
	    "\"location\":\"San Francisco, CA\",\"description\":\"Official account of Acme. "
	    "Support: @acmesupport\",\"url\":\"https://t.co/abc\",\"followers_count\":%u,"
	    "\"friends_count\":%u,\"listed_count\":91,\"created_at\":\"Tue Feb 20 14:35:54 +0000 "
	    "2007\",\"favourites_count\":%u,\"verified\":true,\"statuses_count\":%u,\"lang\":null},"
	    "\"geo\":null,\"coordinates\":null,\"place\":null,\"contributors\":null,"
	    "\"is_quote_status\":false,\"retweet_count\":%u,\"favorite_count\":%u,"
	    "\"favorited\":false,\"retweeted\":false,\"possibly_sensitive\":false,\"lang\":\"en\"}",
	    (unsigned)(i % 60), 1300000000000000000ULL + i * 7919, 1300000000000000000ULL + i * 7919,
	    text, 6000000 + rand_r(seed) % 1000, 200 + rand_r(seed) % 50, 1000 + rand_r(seed) % 99,
	    50000 + (unsigned)i, rand_r(seed) % 500, rand_r(seed) % 3000);
	custos_record_reset(r);
	CHECK_OK(custos_record_sets(r, &r->id, id));
	CHECK_OK(custos_record_sets(r, &r->platform, platform));
	CHECK_OK(custos_record_sets(r, &r->account, "acme"));
	CHECK_OK(custos_record_sets(r, &r->kind, "post"));
	CHECK_OK(custos_record_sets(r, &r->author_id, "783214"));
	CHECK_OK(custos_record_sets(r, &r->author_handle, "acme"));
	CHECK_OK(custos_record_sets(r, &r->author_name, "Acme Corporation"));
	CHECK_OK(custos_record_sets(r, &r->text, text));
	CHECK_OK(custos_record_sets(r, &r->lang, "en"));
	CHECK_OK(custos_record_sets(r, &r->source.format, "twitter-api"));
	CHECK_OK(custos_record_sets(r, &r->source.file, "export/tweets.js"));
	r->source.offset = (int64_t)i * 1400;
	r->created_at = 1539202764000LL + (int64_t)i * 60000;
	r->captured_at = 1700000000000LL;
	CHECK_OK(custos_record_set_raw(r, raw, (size_t)rn));
}

static void test_store__dictionary_is_trained_and_old_records_stay_readable(void)
{
	setenv("CUSTOS_TEST_DICT_AFTER", "200", 1);
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_batch_t *b;
	custos_store_stats_t s;
	custos_verify_summary_t vs;
	custos_err_t err = { 0 };
	unsigned seed = 7;
	custos_record_init(&r);
	custos_record_init(&g);
	for (int batch = 0; batch < 4; batch++) {
		CHECK_OK(custos_store_begin(&b, st));
		for (int i = 0; i < 150; i++) {
			make_post(&r, (uint64_t)(batch * 150 + i), "x", &seed);
			CHECK_ST(st, custos_store_put(b, &r, NULL));
		}
		CHECK_ST(st, custos_store_commit(b, NULL));
	}
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.dictionaries, 1);
	CHECK_INT(s.records, 600);
	uint64_t before_stored = s.stored_bytes;
	custos_store_stats_free(&s);
	CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, &err));
	CHECK_INT(vs.dictionaries, 1);
	custos_store_free(st);

	/* from disk, with an empty dictionary cache: before and after the dict */
	st = open_store(CUSTOS_STORE_READ);
	seed = 7;
	for (int i = 0; i < 600; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_get(st, r.id, 0, &g));
		CHECK_STR(g.text, r.text);
		CHECK_INT(g.raw_len, r.raw_len);
		CHECK(memcmp(g.raw, r.raw, r.raw_len) == 0);
	}
	custos_store_free(st);
	(void)before_stored;
	custos_record_free(&r);
	custos_record_free(&g);
}

/* A post of another shape than make_post's: another template, other words,
 * as the content of a platform drifts over years (new fields, new links). */
static const char *const words2[] = {
	"bonjour", "nouveau", "magasin", "ouverture", "semaine", "merci", "clients",
	"livraison", "gratuite", "promotion", "printemps", "collection", "boutique",
	"horaires", "dimanche", "rendez-vous", "atelier", "inscription", "gagnant",
	"concours", "tirage", "sort", "abonnez", "partagez", "commentez"
};

static void make_drifted_post(custos_record_t *r, uint64_t i, const char *platform,
                              unsigned *seed)
{
	char text[400], id[64], raw[2048];
	size_t n = 0;
	int words_n = 10 + rand_r(seed) % 25;
	for (int w = 0; w < words_n && n < sizeof text - 40; w++) {
		unsigned k = (unsigned)(rand_r(seed) % 25);
		k = k * k / 25;
		n += (size_t)snprintf(text + n, sizeof text - n, "%s%s", w ? " " : "", words2[k]);
	}
	snprintf(id, sizeof id, "%s:%llu", platform, 9100000000000000000ULL + i * 104729);
	int rn = snprintf(raw, sizeof raw,
	    "{\"uri\":\"https://social.example.fr/users/boutique/statuses/%llu\",\"visibility\":"
	    "\"public\",\"sensitive\":false,\"spoiler_text\":\"\",\"content\":\"<p>%s</p>\","
	    "\"account\":{\"acct\":\"boutique@social.example.fr\",\"display_name\":\"La Boutique "
	    "du Coin\",\"locked\":false,\"bot\":false,\"discoverable\":true,\"group\":false,"
	    "\"created_at\":\"2022-03-14T09:26:53.000Z\",\"note\":\"<p>Boutique de quartier, "
	    "ouverte du mardi au samedi</p>\",\"followers_count\":%u,\"following_count\":%u,"
	    "\"statuses_count\":%u,\"last_status_at\":\"2024-05-%02u\",\"emojis\":[],\"fields\":"
	    "[{\"name\":\"Site\",\"value\":\"https://boutique.example.fr\"}]},"
	    "\"media_attachments\":[],\"mentions\":[],\"tags\":[{\"name\":\"%s\"}],\"emojis\":[],"
	    "\"reblogs_count\":%u,\"favourites_count\":%u,\"replies_count\":%u,\"edited_at\":null,"
	    "\"application\":{\"name\":\"Elk\",\"website\":\"https://elk.zone\"},\"poll\":null,"
	    "\"card\":null,\"language\":\"fr\",\"created_at\":\"2024-05-%02uT%02u:%02u:00.000Z\"}",
	    9100000000000000000ULL + i * 104729, text, 1200 + rand_r(seed) % 80,
	    300 + rand_r(seed) % 9, 4000 + (unsigned)i, (unsigned)(1 + i % 28),
	    words2[rand_r(seed) % 25], rand_r(seed) % 40, rand_r(seed) % 200, rand_r(seed) % 20,
	    (unsigned)(1 + i % 28), (unsigned)(i % 24), (unsigned)(i % 60));
	custos_record_reset(r);
	CHECK_OK(custos_record_sets(r, &r->id, id));
	CHECK_OK(custos_record_sets(r, &r->platform, platform));
	CHECK_OK(custos_record_sets(r, &r->account, "boutique"));
	CHECK_OK(custos_record_sets(r, &r->kind, "post"));
	CHECK_OK(custos_record_sets(r, &r->author_id, "109876543210"));
	CHECK_OK(custos_record_sets(r, &r->author_handle, "boutique@social.example.fr"));
	CHECK_OK(custos_record_sets(r, &r->author_name, "La Boutique du Coin"));
	CHECK_OK(custos_record_sets(r, &r->text, text));
	CHECK_OK(custos_record_sets(r, &r->lang, "fr"));
	CHECK_OK(custos_record_sets(r, &r->source.format, "mastodon-api"));
	CHECK_OK(custos_record_sets(r, &r->source.file, "statuses.jsonl"));
	r->source.offset = (int64_t)i * 1500;
	r->created_at = 1714550400000LL + (int64_t)i * 60000;
	r->captured_at = 1720000000000LL;
	CHECK_OK(custos_record_set_raw(r, raw, (size_t)rn));
}

/* The dictionary id the record header of seq names. */
static unsigned dict_of_seq(custos_store_t *st, uint64_t seq)
{
	MDB_txn *txn;
	uint8_t kb[8];
	custos_store__rechdr_t h;
	CHECK_OK(custos_store__read_txn(st, &txn));
	custos_store__be64(kb, seq);
	MDB_val k = { 8, kb }, v;
	CHECK_INT(mdb_get(txn, st->dbi[STORE_DB_RECORDS], &k, &v), 0);
	CHECK_OK(custos_store__hdr_decode(&h, v.mv_data, v.mv_size));
	custos_store__read_done(st, txn);
	return h.dict;
}

static void test_store__dictionary_is_retrained_when_records_drift(void)
{
	/* dictionaries after 100 records, compression measured over windows of 200 */
	setenv("CUSTOS_TEST_DICT_AFTER", "100", 1);
	setenv("CUSTOS_TEST_DICT_WINDOW", "200", 1);
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_batch_t *b;
	custos_store_stats_t s;
	custos_verify_summary_t vs;
	custos_err_t err = { 0 };
	unsigned seed = 3;
	custos_record_init(&r);
	custos_record_init(&g);

	/* 1,000 posts of one shape: one dictionary, which keeps compressing them
	 * as well as over its first window, so no second one */
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < 1000; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_put(b, &r, NULL));
	}
	CHECK_ST(st, custos_store_commit(b, NULL));
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.dictionaries, 1);
	custos_store_stats_free(&s);
	CHECK_INT(dict_of_seq(st, 999), 1);

	/* then posts of another shape, in batches of 50 with the store closed
	 * and opened again between them: the window that compresses worse, the
	 * 100 samples and the training span batches and opens */
	for (int bn = 0; bn < 20; bn++) {
		CHECK_OK(custos_store_begin(&b, st));
		for (int i = 0; i < 50; i++) {
			make_drifted_post(&r, (uint64_t)(bn * 50 + i), "x", &seed);
			CHECK_ST(st, custos_store_put(b, &r, NULL));
		}
		CHECK_ST(st, custos_store_commit(b, NULL));
		custos_store_free(st);
		st = open_store(CUSTOS_STORE_WRITE);
	}
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.dictionaries, 2);
	CHECK_INT(s.records, 2000);
	custos_store_stats_free(&s);
	/* seqs start at 1: the first 100 posts (the samples) have no
	 * dictionary, the rest of the first 1,000 stay under dictionary 1, the
	 * last drifted ones are under dictionary 2 */
	CHECK_INT(dict_of_seq(st, 50), 0);
	CHECK_INT(dict_of_seq(st, 500), 1);
	CHECK_INT(dict_of_seq(st, 1000), 1);
	CHECK_INT(dict_of_seq(st, 1001), 1);
	CHECK_INT(dict_of_seq(st, 2000), 2);
	uint64_t first2 = 0;
	for (uint64_t q = 1001; q <= 2000 && !first2; q++)
		if (dict_of_seq(st, q) == 2)
			first2 = q;
	/* the windows of dictionary 1 are seqs 101-300 (its baseline), ...,
	 * 901-1100 (which ends 100 drifted posts in); then 100 samples, 1101 to
	 * 1200: dictionary 2 from 1201 (a window later if that one did not
	 * show the drift clearly enough) */
	printf("  first record under dictionary 2: seq %llu\n", (unsigned long long)first2);
	CHECK(first2 >= 1201 && first2 <= 1401);
	CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, &err));
	CHECK_INT(vs.dictionaries, 2);
	CHECK_INT(vs.problems, 0);

	/* the newest dictionary compresses the drifted posts better than the
	 * first did: the stored bytes of 100 more of them under it */
	CHECK_ST(st, custos_store_stats(st, &s));
	uint64_t before = s.stored_bytes;
	custos_store_stats_free(&s);
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < 100; i++) {
		make_drifted_post(&r, (uint64_t)(1000 + i), "x", &seed);
		CHECK_ST(st, custos_store_put(b, &r, NULL));
	}
	CHECK_ST(st, custos_store_commit(b, NULL));
	CHECK_INT(dict_of_seq(st, 2001), 2);
	CHECK_INT(dict_of_seq(st, 2100), 2);
	CHECK_ST(st, custos_store_stats(st, &s));
	uint64_t under2 = s.stored_bytes - before;
	custos_store_stats_free(&s);
	uint64_t under1 = 0;
	{
		MDB_txn *txn;
		CHECK_OK(custos_store__read_txn(st, &txn));
		for (uint64_t q = 1001; q <= 1100; q++) {   /* drifted, under dictionary 1 */
			uint8_t kb[8];
			custos_store__be64(kb, q);
			MDB_val k = { 8, kb }, v;
			CHECK_INT(mdb_get(txn, st->dbi[STORE_DB_RECORDS], &k, &v), 0);
			under1 += v.mv_size;
		}
		custos_store__read_done(st, txn);
	}
	CHECK(under2 < under1);
	custos_store_free(st);

	/* every record, under each dictionary or none, reads back byte for byte
	 * from a fresh open (an empty dictionary cache) */
	st = open_store(CUSTOS_STORE_READ);
	seed = 3;
	for (int i = 0; i < 1000; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_get(st, r.id, 0, &g));
		CHECK_STR(g.text, r.text);
		CHECK_INT(g.raw_len, r.raw_len);
		CHECK(memcmp(g.raw, r.raw, r.raw_len) == 0);
	}
	for (int i = 0; i < 1100; i++) {
		make_drifted_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_get(st, r.id, 0, &g));
		CHECK_STR(g.text, r.text);
		CHECK_INT(g.raw_len, r.raw_len);
		CHECK(memcmp(g.raw, r.raw, r.raw_len) == 0);
	}
	custos_store_free(st);
	unsetenv("CUSTOS_TEST_DICT_WINDOW");
	custos_record_free(&r);
	custos_record_free(&g);
}

/* Cuts meta value key to n bytes, as an earlier custos wrote it shorter. */
static void meta_truncate(const char *key, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char p[4300];
	uint8_t copy[256];
	MDB_val k = { strlen(key), (void *)key }, v;
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	CHECK_INT(mdb_get(txn, dbi, &k, &v), 0);
	CHECK(v.mv_size > n && n <= sizeof copy);
	memcpy(copy, v.mv_data, n);
	v.mv_data = copy;
	v.mv_size = n;
	CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static size_t meta_len(custos_store_t *st, const char *key)
{
	MDB_txn *txn;
	MDB_val k = { strlen(key), (void *)key }, v;
	CHECK_OK(custos_store__read_txn(st, &txn));
	CHECK_INT(mdb_get(txn, st->dbi[STORE_DB_META], &k, &v), 0);
	size_t n = v.mv_size;
	custos_store__read_done(st, txn);
	return n;
}

static void test_store__dictionary_of_an_earlier_custos_is_retrained_once(void)
{
	/* windows of 50,000: no drift is ever seen in this test */
	setenv("CUSTOS_TEST_DICT_AFTER", "100", 1);
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_batch_t *b;
	custos_store_stats_t s;
	custos_verify_summary_t vs;
	unsigned seed = 9;
	custos_record_init(&r);
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < 300; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_put(b, &r, NULL));
	}
	CHECK_ST(st, custos_store_commit(b, NULL));
	CHECK_INT(meta_len(st, "p:x"), PL_N * 8);
	custos_store_free(st);
	/* the platform's value as a custos before the drift fields wrote it */
	meta_truncate("p:x", PL_RETRAIN * 8);

	/* its first writer collects the next 100 records and trains from them */
	st = open_store(CUSTOS_STORE_WRITE);
	for (int round = 0; round < 3; round++) {
		CHECK_OK(custos_store_begin(&b, st));
		for (int i = 0; i < 150; i++) {
			make_post(&r, (uint64_t)(300 + round * 150 + i), "x", &seed);
			CHECK_ST(st, custos_store_put(b, &r, NULL));
		}
		CHECK_ST(st, custos_store_commit(b, NULL));
		CHECK_INT(meta_len(st, "p:x"), PL_N * 8);
	}
	/* seqs 1-100 samples, 101-300 dictionary 1, 301-400 dictionary 1 and
	 * samples for the next, then dictionary 2, and no third */
	CHECK_INT(dict_of_seq(st, 300), 1);
	CHECK_INT(dict_of_seq(st, 400), 1);
	CHECK_INT(dict_of_seq(st, 401), 2);
	CHECK_INT(dict_of_seq(st, 750), 2);
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.dictionaries, 2);
	custos_store_stats_free(&s);
	CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, NULL));
	CHECK_INT(vs.problems, 0);
	CHECK_INT(vs.dictionaries, 2);
	custos_record_free(&r);
	custos_store_free(st);
}

static void test_store__dictionary_makes_records_smaller(void)
{
	/* the same 400 posts with and without a dictionary */
	uint64_t stored[2];
	for (int pass = 0; pass < 2; pass++) {
		char sub[64];
		custos_store_t *st = NULL;
		custos_err_t err = { 0 };
		custos_batch_t *b;
		custos_record_t r;
		custos_store_stats_t s;
		unsigned seed = 11;
		setenv("CUSTOS_TEST_DICT_AFTER", pass ? "100" : "100000", 1);
		snprintf(sub, sizeof sub, "/p%d", pass);
		snprintf(archive, sizeof archive, "%s%s", check_tmpdir, sub);
		CHECK_OK(custos_store_open(&st, archive, CUSTOS_STORE_CREATE, &err));
		custos_record_init(&r);
		CHECK_OK(custos_store_begin(&b, st));
		for (int i = 0; i < 400; i++) {
			make_post(&r, (uint64_t)i, "x", &seed);
			CHECK_ST(st, custos_store_put(b, &r, NULL));
		}
		CHECK_ST(st, custos_store_commit(b, NULL));
		CHECK_ST(st, custos_store_stats(st, &s));
		stored[pass] = s.stored_bytes;
		custos_store_stats_free(&s);
		custos_record_free(&r);
		custos_store_free(st);
	}
	CHECK(stored[1] < stored[0]);
}

static void test_store__invalid_record_leaves_the_batch_usable(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_batch_t *b;
	custos_batch_summary_t sum;
	custos_record_init(&r);
	CHECK_OK(custos_store_begin(&b, st));
	make(&r, "x:1", "x", "fine");
	CHECK_ST(st, custos_store_put(b, &r, NULL));
	make(&r, "x:2", "x", "no author");
	r.author_handle = NULL;
	CHECK(custos_store_put(b, &r, NULL) < 0);
	make(&r, "x:3", "x", "fine too");
	CHECK_ST(st, custos_store_put(b, &r, NULL));
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.added, 2);
	CHECK_INT(sum.last_seq, 2);
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, NULL));
	custos_record_free(&r);
	custos_store_free(st);
}

static void test_store__recompress_moves_records_between_dictionaries(void)
{
	setenv("CUSTOS_TEST_DICT_AFTER", "100", 1);
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_batch_t *b;
	custos_store_stats_t s1, s2;
	custos_verify_summary_t v1, v2;
	unsigned seed = 5;
	custos_record_init(&r);
	custos_record_init(&g);
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < 200; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_put(b, &r, NULL));
	}
	CHECK_ST(st, custos_store_commit(b, NULL));
	CHECK_ST(st, custos_store_stats(st, &s1));
	CHECK_INT(s1.dictionaries, 1);
	CHECK_ST(st, custos_store_verify(st, &v1, NULL, NULL, NULL));
	/* seq 5 was written without a dictionary, seq 150 with dictionary 1 */
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store__recompress(b, 5, 1));
	CHECK_ST(st, custos_store__recompress(b, 150, 0));
	CHECK_ST(st, custos_store__recompress(b, 151, 1));   /* already: no-op */
	CHECK_ST(st, custos_store_commit(b, NULL));
	CHECK_ST(st, custos_store_verify(st, &v2, NULL, NULL, NULL));
	CHECK(memcmp(v1.chain, v2.chain, 32) == 0);
	CHECK_ST(st, custos_store_stats(st, &s2));
	CHECK(s2.stored_bytes != s1.stored_bytes);
	CHECK_INT(s2.platforms[0].stored_bytes, s2.stored_bytes);
	CHECK_INT(s2.raw_bytes, s1.raw_bytes);
	custos_store_stats_free(&s1);
	custos_store_stats_free(&s2);
	seed = 5;
	for (int i = 0; i < 200; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_get(st, r.id, 0, &g));
		CHECK_STR(g.text, r.text);
	}
	custos_record_free(&r);
	custos_record_free(&g);
	custos_store_free(st);
}

static void test_store__shredded_key_makes_a_record_unreadable(void)
{
	custos_store_t *st;
	custos_record_t g;
	custos_err_t err = { 0 };
	custos_record_init(&g);
	three_records();
	st = open_store(CUSTOS_STORE_WRITE);
	CHECK_ST(st, custos_store__shred_slot(st, STORE_KEYS_RECORDS, 2));
	CHECK_STATUS(custos_store_get(st, "x:2", 0, &g), CUSTOS_ECORRUPT);
	CHECK(strstr(custos_store_err(st)->msg, "shredded"));
	CHECK_ST(st, custos_store_get(st, "x:3", 0, &g));
	/* not yet marked disposed: verify says so */
	CHECK_STATUS(custos_store_verify(st, NULL, NULL, NULL, &err), CUSTOS_ECORRUPT);
	CHECK(strstr(err.msg, "x:2"));
	custos_record_free(&g);
	custos_store_free(st);
}

static bool slot_is_zero(const char *file, uint64_t slot)
{
	char p[4300];
	uint8_t k[32], zero[32] = { 0 };
	snprintf(p, sizeof p, "%s/keys/%s", archive, file);
	int fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_INT(pread(fd, k, 32, (off_t)(32 * slot)), 32);
	close(fd);
	return memcmp(k, zero, 32) == 0;
}

static void test_store__disposed_record_leaves_a_tombstone_and_no_key(void)
{
	custos_store_t *st;
	custos_record_t r, g;
	custos_verify_summary_t v1, v2;
	custos_store_stats_t s1, s2;
	custos_err_t err = { 0 };
	uint64_t *seqs;
	size_t n;
	static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
	custos_record_init(&r);
	custos_record_init(&g);
	three_records();
	st = open_store(CUSTOS_STORE_WRITE);
	CHECK_ST(st, custos_store_verify(st, &v1, NULL, NULL, NULL));
	CHECK_ST(st, custos_store_stats(st, &s1));
	CHECK(!slot_is_zero("slots", 2));
	custos_dispose_item_t item = { "x:2", "default", commit, 0 };
	custos_dispose_summary_t ds;
	CHECK_ST(st, custos_store_dispose(st, &item, 1, "tester", 0, &ds));
	CHECK_INT(ds.records, 1);
	CHECK_ST(st, custos_store_dispose(st, &item, 1, "tester", 0, &ds));   /* twice: no-op */
	CHECK_INT(ds.records, 0);
	CHECK_ST(st, custos_store_dispose_complete(st, NULL));
	CHECK(slot_is_zero("slots", 2));
	CHECK(!slot_is_zero("slots", 3));
	CHECK_STATUS(custos_store_get(st, "x:2", 0, &g), CUSTOS_ENOTFOUND);
	CHECK(strstr(custos_store_err(st)->msg, "disposed"));
	CHECK_ST(st, custos_store_versions(st, "x:2", &seqs, &n));
	CHECK_INT(n, 1);
	free(seqs);
	CHECK_ST(st, custos_store_verify(st, &v2, NULL, NULL, &err));
	CHECK_INT(v2.tombstones, 1);
	CHECK_INT(v2.records, 2);
	CHECK(memcmp(v1.chain, v2.chain, 32) == 0);   /* the chain hashes, never contains */
	CHECK_ST(st, custos_store_stats(st, &s2));
	CHECK_INT(s2.tombstones, 1);
	CHECK(s2.raw_bytes < s1.raw_bytes);
	CHECK(s2.stored_bytes < s1.stored_bytes);
	custos_store_stats_free(&s1);
	custos_store_stats_free(&s2);
	/* re-importing the disposed content does not bring it back */
	make(&r, "x:2", "x", "two");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_UNCHANGED);
	custos_store_free(st);

	/* a disposed record without its tombstone is reported */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char p[4300];
	uint8_t kb[8] = { 0, 0, 0, 0, 0, 0, 0, 2 };
	MDB_val k = { 8, kb };
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "tombstones", 0, &dbi), 0);
	CHECK_INT(mdb_del(txn, dbi, &k, NULL), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	st = open_store(CUSTOS_STORE_READ);
	CHECK_STATUS(custos_store_verify(st, NULL, NULL, NULL, &err), CUSTOS_ECORRUPT);
	CHECK(strstr(err.msg, "x:2"));
	CHECK(strstr(err.msg, "tombstone"));
	custos_store_free(st);
	custos_record_free(&r);
	custos_record_free(&g);
}

/* Whether block `block` (4 KB) of keys/slots is a hole: SEEK_DATA from its
 * start lands past it. */
static bool key_block_is_hole(uint64_t block)
{
	char p[4300];
	snprintf(p, sizeof p, "%s/keys/slots", archive);
	int fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	off_t d = lseek(fd, (off_t)(block * 4096), SEEK_DATA);
	close(fd);
	return d < 0 || d >= (off_t)((block + 1) * 4096);
}

/* Whether the file system under the test's directory punches holes. */
static bool can_punch(void)
{
	char p[4300], buf[8192] = { 1 };
	snprintf(p, sizeof p, "%s/punch-probe", check_tmpdir);
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, buf, sizeof buf), (long)sizeof buf);
	CHECK_INT(fsync(fd), 0);
	bool ok = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
	close(fd);
	unlink(p);
	return ok;
}

/* Disposed records' key slots are zeroed; a 4 KB block of keys/slots whose
 * 128 slots are all zero is given back to the file system, the file keeps
 * its size and the records that stay read as before; a block with a live
 * slot, or with a slot past the highest one shredded, stays. Compaction
 * punches the zeroed blocks a disposal left (as one before this did). */
static void test_store__shredded_key_blocks_are_punched_out(void)
{
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_batch_t *b;
	custos_store_stats_t s;
	custos_err_t err = { 0 };
	char ids[600][64];
	custos_dispose_item_t items[600];
	static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
	unsigned seed = 11;
	bool punch = can_punch();
	custos_record_init(&r);
	custos_record_init(&g);
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < 600; i++) {   /* seqs 1..600: slots 1..600, blocks 0..4 */
		make_post(&r, (uint64_t)i, "x", &seed);
		snprintf(ids[i], sizeof ids[i], "%s", r.id);
		items[i] = (custos_dispose_item_t){ ids[i], "default", commit, 0 };
		CHECK_ST(st, custos_store_put(b, &r, NULL));
	}
	CHECK_ST(st, custos_store_commit(b, NULL));
	for (uint64_t blk = 0; blk < 5; blk++)
		CHECK(!key_block_is_hole(blk));
	CHECK_ST(st, custos_store_stats(st, &s));
	uint64_t size_before = s.file_bytes;
	custos_store_stats_free(&s);

	/* seqs 1..300: blocks 0 (slot 0 never assigned) and 1 all zero, block 2
	 * (slots 256..383) half */
	CHECK_ST(st, custos_store_dispose(st, items, 300, "tester", 0, NULL));
	CHECK_ST(st, custos_store_dispose_complete(st, NULL));
	CHECK(slot_is_zero("slots", 300));
	CHECK(!slot_is_zero("slots", 301));
	CHECK_INT(key_block_is_hole(0), punch);
	CHECK_INT(key_block_is_hole(1), punch);
	CHECK(!key_block_is_hole(2));
	CHECK(!key_block_is_hole(3));
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK(s.file_bytes >= size_before);   /* the key file keeps its size */
	CHECK(s.disk_bytes > 0);
	custos_store_stats_free(&s);
	seed = 11;
	for (int i = 0; i < 600; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		if (i < 300) {
			CHECK_STATUS(custos_store_get(st, r.id, 0, &g), CUSTOS_ENOTFOUND);
			continue;
		}
		CHECK_ST(st, custos_store_get(st, r.id, 0, &g));
		CHECK_STR(g.text, r.text);
	}
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, &err));

	/* the rest of block 2 (seqs 301..383): punched now that it is all zero */
	CHECK_ST(st, custos_store_dispose(st, items + 300, 83, "tester", 0, NULL));
	CHECK_ST(st, custos_store_dispose_complete(st, NULL));
	CHECK_INT(key_block_is_hole(2), punch);
	CHECK(!key_block_is_hole(3));
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, &err));

	/* block 3 zeroed slot by slot without punching, as disposals did before
	 * holes were punched: compaction gives it back, and nothing else */
	for (uint64_t slot = 384; slot < 512; slot++)
		CHECK_ST(st, custos_store__shred_slot(st, STORE_KEYS_RECORDS, slot));
	CHECK(!key_block_is_hole(3));
	custos_compact_summary_t cs;
	CHECK_ST(st, custos_store_compact(st, &cs));
	CHECK_INT(cs.keys_punched, punch ? 4096 : 0);
	CHECK_INT(key_block_is_hole(3), punch);
	CHECK(!key_block_is_hole(4));   /* slots 512..600 live, 601..639 not assigned */
	custos_store_free(st);
	st = open_store(CUSTOS_STORE_READ);
	seed = 11;
	for (int i = 0; i < 600; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		if (i >= 511) {
			CHECK_ST(st, custos_store_get(st, r.id, 0, &g));
			CHECK_STR(g.text, r.text);
		}
	}
	custos_store_free(st);
	custos_record_free(&r);
	custos_record_free(&g);
}

static void test_store__abort_leaves_nothing(void)
{
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_batch_t *b;
	custos_store_stats_t s;
	uint64_t last;
	char hex[CUSTOS_SHA256_HEX];
	custos_record_init(&r);
	custos_record_init(&g);
	CHECK_OK(custos_store_begin(&b, st));
	make(&r, "x:1", "x", "A");
	CHECK_ST(st, custos_store_put(b, &r, NULL));
	CHECK_ST(st, custos_store_blob_put(b, "blob", 4, hex));
	CHECK_ST(st, custos_store_quarantine_put(b, "f", 0, 1, "bad", "{", 1));
	custos_store_abort(b);
	CHECK_ST(st, custos_store_last_seq(st, &last));
	CHECK_INT(last, 0);
	CHECK_STATUS(custos_store_get(st, "x:1", 0, &g), CUSTOS_ENOTFOUND);
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.versions + s.blobs + s.quarantined, 0);
	custos_store_stats_free(&s);
	make(&r, "x:1", "x", "A");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	CHECK_INT(r.seq, 1);
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, NULL));
	custos_record_free(&r);
	custos_record_free(&g);
	custos_store_free(st);
}

static void test_store__map_grows_from_a_tiny_map(void)
{
	setenv("CUSTOS_TEST_MAPSIZE", "262144", 1);   /* 64 pages */
	setenv("CUSTOS_TEST_DICT_AFTER", "300", 1);
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_batch_t *b;
	custos_batch_summary_t sum;
	char hex[CUSTOS_SHA256_HEX];
	unsigned seed = 3;
	static char big[300000];
	custos_record_init(&r);
	custos_record_init(&g);
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < 1500; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_put(b, &r, NULL));
	}
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(rand_r(&seed));
	CHECK_ST(st, custos_store_blob_put(b, big, sizeof big, hex));
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.added, 1500);
	custos_store_free(st);
	st = open_store(CUSTOS_STORE_READ);
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, NULL));
	seed = 3;
	make_post(&r, 0, "x", &seed);
	CHECK_ST(st, custos_store_get(st, r.id, 0, &g));
	CHECK_STR(g.text, r.text);
	void *p;
	size_t n;
	CHECK_ST(st, custos_store_blob_get(st, hex, &p, &n));
	CHECK_INT(n, sizeof big);
	CHECK(memcmp(p, big, n) == 0);
	free(p);
	custos_store_free(st);
	custos_record_free(&r);
	custos_record_free(&g);
}

/* A reader open in one process while a writer in another grows the map. */
static void test_store__reader_follows_a_map_grown_by_another_process(void)
{
	setenv("CUSTOS_TEST_MAPSIZE", "262144", 1);
	custos_store_t *st = create_store();
	custos_record_t r, g;
	unsigned seed = 3;
	uint64_t last;
	custos_record_init(&r);
	custos_record_init(&g);
	make(&r, "x:1", "x", "first");
	put1(st, &r);
	custos_store_free(st);
	st = open_store(CUSTOS_STORE_READ);
	CHECK_ST(st, custos_store_get(st, "x:1", 0, &g));
	pid_t pid = fork();
	if (pid == 0) {
		custos_store_t *cs;
		custos_batch_t *b;
		custos_err_t e;
		if (custos_store_open(&cs, archive, CUSTOS_STORE_WRITE, &e))
			_exit(2);
		if (custos_store_begin(&b, cs))
			_exit(3);
		for (int i = 0; i < 2000; i++) {
			make_post(&r, (uint64_t)i, "x", &seed);
			if (custos_store_put(b, &r, NULL))
				_exit(4);
		}
		if (custos_store_commit(b, NULL))
			_exit(5);
		custos_store_free(cs);
		_exit(0);
	}
	int status;
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_ST(st, custos_store_last_seq(st, &last));
	CHECK_INT(last, 2001);
	seed = 3;
	make_post(&r, 0, "x", &seed);
	CHECK_ST(st, custos_store_get(st, r.id, 0, &g));
	CHECK_STR(g.text, r.text);
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, NULL));
	custos_store_free(st);
	custos_record_free(&r);
	custos_record_free(&g);
}

static void test_store__second_writer_is_busy(void)
{
	custos_store_t *st = create_store(), *st2 = NULL;
	custos_err_t err = { 0 };
	CHECK_STATUS(custos_store_open(&st2, archive, CUSTOS_STORE_WRITE, &err), CUSTOS_EBUSY);
	CHECK(st2 == NULL);
	CHECK(strstr(err.msg, "another custos process"));
	custos_store_free(st);
	CHECK_OK(custos_store_open(&st2, archive, CUSTOS_STORE_WRITE, &err));
	custos_store_free(st2);
}

static void test_store__writer_waits_for_the_lock_with_wait(void)
{
	custos_store_t *st = create_store();
	custos_err_t err = { 0 };
	int fds[2];
	char c;
	custos_store_free(st);
	CHECK_INT(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		custos_store_t *cs;
		if (custos_store_open(&cs, archive, CUSTOS_STORE_WRITE, &err) != 0)
			_exit(2);
		if (write(fds[1], "l", 1) != 1)
			_exit(3);
		usleep(300000);
		custos_store_free(cs);
		_exit(0);
	}
	CHECK_INT(read(fds[0], &c, 1), 1);
	CHECK_STATUS(custos_store_open(&st, archive, CUSTOS_STORE_WRITE, &err), CUSTOS_EBUSY);
	CHECK_OK(custos_store_open(&st, archive, CUSTOS_STORE_WRITE | CUSTOS_STORE_WAIT, &err));
	int status;
	CHECK_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	custos_store_free(st);
}

/* A writer killed at random moments: the store opens and verifies, and every
 * batch acknowledged before the kill is there. */
static void test_store__kill_9_during_writes_keeps_what_was_acknowledged(void)
{
	setenv("CUSTOS_TEST_DICT_AFTER", "150", 1);   /* trains in the first rounds */
	custos_store_t *st = create_store();
	custos_record_t r, g;
	unsigned seed = 1234;
	custos_record_init(&r);
	custos_record_init(&g);
	custos_store_free(st);
	for (int round = 0; round < 10; round++) {
		int fds[2];
		CHECK_INT(pipe(fds), 0);
		pid_t pid = fork();
		if (pid == 0) {
			custos_store_t *cs;
			custos_err_t e;
			unsigned s2 = (unsigned)round;
			close(fds[0]);
			if (custos_store_open(&cs, archive, CUSTOS_STORE_WRITE | CUSTOS_STORE_WAIT, &e))
				_exit(2);
			for (uint64_t i = 0;; i++) {
				custos_batch_t *b;
				custos_batch_summary_t sum;
				char hex[CUSTOS_SHA256_HEX];
				if (custos_store_begin(&b, cs))
					_exit(3);
				for (int j = 0; j < 40; j++) {
					make_post(&r, (uint64_t)round * 1000000 + i * 40 + (uint64_t)j, "x", &s2);
					if (custos_store_put(b, &r, NULL))
						_exit(4);
				}
				if (custos_store_blob_put(b, r.raw, r.raw_len, hex) ||
				    custos_store_quarantine_put(b, "f", 0, 1, "bad", r.raw, 10))
					_exit(5);
				if (custos_store_commit(b, &sum))
					_exit(6);
				if (write(fds[1], &sum.last_seq, 8) != 8)
					_exit(7);
			}
		}
		close(fds[1]);
		usleep(30000 + (unsigned)(rand_r(&seed) % 300000));
		CHECK_INT(kill(pid, SIGKILL), 0);
		int status;
		CHECK_INT(waitpid(pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status));
		uint64_t acked = 0, v;
		while (read(fds[0], &v, 8) == 8)
			acked = v;
		close(fds[0]);
		st = open_store(CUSTOS_STORE_READ);
		custos_verify_summary_t vs;
		CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, NULL));
		uint64_t last;
		CHECK_ST(st, custos_store_last_seq(st, &last));
		CHECK(last >= acked);
		if (getenv("CUSTOS_TEST_VERBOSE")) printf("  round %d: acked %llu, stored %llu\n", round, (unsigned long long)acked, (unsigned long long)last);
		if (acked)
			CHECK_ST(st, custos_store_get_seq(st, acked, &g));
		custos_store_free(st);
	}
	custos_record_free(&r);
	custos_record_free(&g);
}

static void test_store__not_an_archive_and_twice_created(void)
{
	custos_store_t *st = NULL;
	custos_err_t err = { 0 };
	char p[4200];
	CHECK_STATUS(custos_store_open(&st, check_tmpdir, CUSTOS_STORE_READ, &err),
	             CUSTOS_ENOTARCHIVE);
	snprintf(p, sizeof p, "%s/missing", check_tmpdir);
	CHECK_STATUS(custos_store_open(&st, p, CUSTOS_STORE_WRITE, &err), CUSTOS_ENOTARCHIVE);
	struct stat sb;
	CHECK(stat(p, &sb) != 0);   /* untouched: not created */
	st = create_store();
	custos_store_free(st);
	CHECK_STATUS(custos_store_open(&st, archive, CUSTOS_STORE_CREATE, &err), CUSTOS_EEXISTS);
}

/* Edits the stored value of records seq behind custos's back. */
static void flip_record_byte(uint64_t seq, size_t at)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char p[4300];
	uint8_t kb[8];
	for (int i = 7; i >= 0; i--) { kb[i] = (uint8_t)seq; seq >>= 8; }
	MDB_val k = { 8, kb }, v;
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "records", 0, &dbi), 0);
	CHECK_INT(mdb_get(txn, dbi, &k, &v), 0);
	CHECK(at < v.mv_size);
	uint8_t *copy = malloc(v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[at] ^= 0x20;
	v.mv_data = copy;
	CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(copy);
}

static void three_records(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_record_init(&r);
	make(&r, "x:1", "x", "one");
	put1(st, &r);
	make(&r, "x:2", "x", "two");
	put1(st, &r);
	make(&r, "x:3", "x", "three");
	put1(st, &r);
	custos_record_free(&r);
	custos_store_free(st);
}

static void test_store__stats_count_live_records_as_verify_does(void)
{
	custos_store_t *st;
	custos_record_t r;
	custos_verify_summary_t v;
	custos_store_stats_t s;
	static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
	custos_record_init(&r);
	three_records();
	st = open_store(CUSTOS_STORE_WRITE);
	make(&r, "x:2", "x", "two, edited");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_VERSION);
	make(&r, "mastodon:1", "mastodon", "toot");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	custos_dispose_item_t items[] = { { "x:2", "default", commit, 7 }, { "mastodon:1", "d", commit, 7 } };
	CHECK_ST(st, custos_store_dispose(st, items, 2, "tester", 0, NULL));
	CHECK_ST(st, custos_store_dispose_complete(st, NULL));
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.records, 2);
	CHECK_INT(s.versions, 2);
	CHECK_INT(s.tombstones, 3);
	CHECK_INT(s.disposed_records, 2);
	CHECK_INT(s.n_platforms, 2);
	CHECK_STR(s.platforms[0].platform, "mastodon");
	CHECK_INT(s.platforms[0].records, 0);
	CHECK_INT(s.platforms[0].tombstones, 1);
	CHECK_INT(s.platforms[1].records, 2);
	CHECK_INT(s.platforms[1].versions, 2);
	CHECK_INT(s.platforms[1].tombstones, 2);
	CHECK_INT(s.platforms[1].disposed_records, 1);
	custos_store_stats_free(&s);
	CHECK_ST(st, custos_store_verify(st, &v, NULL, NULL, NULL));
	CHECK_INT(v.records, 2);
	CHECK_INT(v.versions, 2);
	CHECK_INT(v.tombstones, 3);
	/* a new version of a disposed record makes it live again */
	make(&r, "x:2", "x", "two, captured anew");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_VERSION);
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.records, 3);
	CHECK_INT(s.versions, 3);
	CHECK_INT(s.disposed_records, 1);
	custos_store_stats_free(&s);
	CHECK_ST(st, custos_store_verify(st, &v, NULL, NULL, NULL));
	CHECK_INT(v.records, 3);
	custos_store_free(st);
	custos_record_free(&r);
}

typedef struct { custos_buf_t b; } tombs_t;

static int tomb_collect(void *ctx, uint64_t seq, const char *json, size_t n)
{
	tombs_t *t = ctx;
	custos_buf_printf(&t->b, "%llu ", (unsigned long long)seq);
	custos_buf_add(&t->b, json, n);
	custos_buf_addc(&t->b, '\n');
	return 0;
}

static void test_store__tombstones_carry_account_thread_and_run(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
	custos_record_init(&r);
	make(&r, "x:1", "x", "root");
	CHECK_OK(custos_record_sets(&r, &r.account, "acme"));
	put1(st, &r);
	make(&r, "x:2", "x", "reply");
	CHECK_OK(custos_record_sets(&r, &r.in_reply_to, "x:1"));
	CHECK_OK(custos_record_sets(&r, &r.thread, "x:1"));
	put1(st, &r);
	custos_dispose_item_t items[] = { { "x:1", "default", commit, 3 }, { "x:2", "d", commit, 0 } };
	CHECK_ST(st, custos_store_dispose(st, items, 2, "tester", 0, NULL));
	tombs_t t = { { 0 } };
	CHECK_ST(st, custos_store_tombstone_scan(st, tomb_collect, &t));
	const char *one = strstr(t.b.data, "1 {\"id\":\"x:1\"");
	const char *two = strstr(t.b.data, "\n2 {\"id\":\"x:2\"");
	CHECK(one && two && one < two);
	CHECK(strstr(one, "\"account\":\"acme\",\"created_at\":") != NULL);
	CHECK(strstr(one, "\"run\":3,\"actor\":\"tester\"") != NULL);
	CHECK(strstr(two, "\"account\":null") != NULL);
	CHECK(strstr(two, "\"in_reply_to\":\"x:1\",\"thread\":\"x:1\",\"rule\":\"d\"") != NULL);
	CHECK(strstr(two, "\"run\"") == NULL);
	custos_buf_free(&t.b);
	custos_store_free(st);
	custos_record_free(&r);
}

/* Rewrites (or, with v NULL, reads into out) the tombstone value of seq in
 * the store's own LMDB, as an earlier custos or a tamperer would. */
static void tomb_raw(uint64_t seq, const void *v, size_t n, custos_buf_t *out)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char p[4300];
	uint8_t kb[8];
	for (int i = 0; i < 8; i++)
		kb[i] = (uint8_t)(seq >> (56 - 8 * i));
	MDB_val k = { 8, kb }, val = { n, (void *)v };
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "tombstones", 0, &dbi), 0);
	if (v) {
		CHECK_INT(mdb_put(txn, dbi, &k, &val, 0), 0);
	} else {
		CHECK_INT(mdb_get(txn, dbi, &k, &val), 0);
		out->len = 0;
		custos_buf_add(out, val.mv_data, val.mv_size);
	}
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void test_store__tombstones_are_binary_and_json_ones_still_read(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_err_t err = { 0 };
	static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
	custos_record_init(&r);
	make(&r, "x:1", "x", "root");
	CHECK_OK(custos_record_sets(&r, &r.account, "acme \"west\""));
	put1(st, &r);
	make(&r, "x:2", "x", "reply");
	CHECK_OK(custos_record_sets(&r, &r.in_reply_to, "x:1"));
	CHECK_OK(custos_record_sets(&r, &r.thread, "x:1"));
	put1(st, &r);
	/* a commit that is not 40 hex digits is kept as text */
	custos_dispose_item_t items[] = { { "x:1", "default", commit, 7 },
	                                  { "x:2", "r\\2", "HEAD", 0 } };
	CHECK_ST(st, custos_store_dispose(st, items, 2, "tester", 0, NULL));
	tombs_t before = { { 0 } }, after = { { 0 } };
	CHECK_ST(st, custos_store_tombstone_scan(st, tomb_collect, &before));
	custos_store_free(st);
	CHECK(strstr(before.b.data, "\"account\":\"acme \\\"west\\\"\"") != NULL);
	CHECK(strstr(before.b.data, "\"policy_commit\":\"" "0123456789abcdef0123456789abcdef01234567"
	             "\"") != NULL);
	CHECK(strstr(before.b.data, "\"rule\":\"r\\\\2\",\"policy_commit\":\"HEAD\"") != NULL);
	CHECK(strstr(before.b.data, "\"run\":7,") != NULL);

	/* stored in binary, a fraction of the JSON it reads as */
	custos_buf_t raw = { 0 };
	tomb_raw(1, NULL, 0, &raw);
	CHECK_INT(raw.data[0], 1);
	const char *j1 = strstr(before.b.data, "1 {") + 2, *e1 = strchr(j1, '\n');
	CHECK(raw.len * 3 < (size_t)(e1 - j1));

	/* the JSON tombstone an earlier custos wrote reads as it is: the same text */
	tomb_raw(1, j1, (size_t)(e1 - j1), NULL);
	st = open_store(CUSTOS_STORE_READ);
	CHECK_ST(st, custos_store_tombstone_scan(st, tomb_collect, &after));
	CHECK_STR(after.b.data, before.b.data);
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, &err));
	custos_store_free(st);

	/* a binary tombstone cut short is named by verify */
	tomb_raw(2, NULL, 0, &raw);
	tomb_raw(2, raw.data, raw.len - 1, NULL);
	st = open_store(CUSTOS_STORE_READ);
	CHECK_STATUS(custos_store_verify(st, NULL, NULL, NULL, &err), CUSTOS_ECORRUPT);
	CHECK(strstr(err.msg, "x:2") && strstr(err.msg, "tombstone does not decode"));
	custos_store_free(st);
	custos_buf_free(&raw);
	custos_buf_free(&before.b);
	custos_buf_free(&after.b);
	custos_record_free(&r);
}

static void test_store__flipped_byte_in_a_record_is_reported(void)
{
	custos_store_t *st;
	custos_err_t err = { 0 };
	custos_record_t g;
	custos_record_init(&g);
	three_records();
	flip_record_byte(2, 90);   /* inside the encrypted payload */
	st = open_store(CUSTOS_STORE_READ);
	CHECK_STATUS(custos_store_verify(st, NULL, NULL, NULL, &err), CUSTOS_ECORRUPT);
	CHECK(strstr(err.msg, "x:2"));
	CHECK(strstr(err.msg, "seq 2"));
	CHECK_STATUS(custos_store_get(st, "x:2", 0, &g), CUSTOS_ECORRUPT);
	CHECK(strstr(custos_store_err(st)->msg, "x:2"));
	CHECK_ST(st, custos_store_get(st, "x:1", 0, &g));
	custos_record_free(&g);
	custos_store_free(st);
}

static void test_store__flipped_byte_in_a_record_hash_breaks_the_chain(void)
{
	custos_store_t *st;
	custos_err_t err = { 0 };
	three_records();
	flip_record_byte(3, 45);   /* the raw sha256 in the header */
	st = open_store(CUSTOS_STORE_READ);
	CHECK_STATUS(custos_store_verify(st, NULL, NULL, NULL, &err), CUSTOS_ECORRUPT);
	CHECK(strstr(err.msg, "x:3"));
	custos_store_free(st);
}

static void test_store__altered_batch_head_names_the_batch(void)
{
	custos_store_t *st;
	custos_err_t err = { 0 };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char p[4300];
	uint8_t kb[8] = { 0, 0, 0, 0, 0, 0, 0, 2 }, copy[56];
	MDB_val k = { 8, kb }, v;
	three_records();   /* three batches of one record */
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "batches", 0, &dbi), 0);
	CHECK_INT(mdb_get(txn, dbi, &k, &v), 0);
	CHECK_INT(v.mv_size, sizeof copy);
	memcpy(copy, v.mv_data, sizeof copy);
	copy[20] ^= 1;   /* inside the chain head */
	v.mv_data = copy;
	CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	st = open_store(CUSTOS_STORE_READ);
	CHECK_STATUS(custos_store_verify(st, NULL, NULL, NULL, &err), CUSTOS_ECORRUPT);
	CHECK(strstr(err.msg, "batch 2 (seqs 2..2)"));
	custos_store_free(st);
}

static void test_store__flipped_byte_in_the_key_file_fails_verify(void)
{
	custos_store_t *st;
	custos_err_t err = { 0 };
	char p[4300];
	three_records();
	snprintf(p, sizeof p, "%s/keys/slots", archive);
	int fd = open(p, O_RDWR);
	CHECK(fd >= 0);
	uint8_t c;
	CHECK_INT(pread(fd, &c, 1, 32 * 2 + 5), 1);
	c ^= 1;
	CHECK_INT(pwrite(fd, &c, 1, 32 * 2 + 5), 1);
	close(fd);
	st = open_store(CUSTOS_STORE_READ);
	CHECK_STATUS(custos_store_verify(st, NULL, NULL, NULL, &err), CUSTOS_ECORRUPT);
	CHECK(strstr(err.msg, "x:2"));
	custos_store_free(st);
}

typedef struct {
	char msgs[8][1024];
	size_t n;
} problems_t;

static void collect_problem(void *ctx, const char *msg)
{
	problems_t *pr = ctx;
	if (pr->n < 8)
		snprintf(pr->msgs[pr->n], sizeof pr->msgs[0], "%s", msg);
	pr->n++;
}

static bool problem_has(const problems_t *pr, const char *a, const char *b)
{
	for (size_t i = 0; i < pr->n && i < 8; i++)
		if (strstr(pr->msgs[i], a) && (!b || strstr(pr->msgs[i], b)))
			return true;
	return false;
}

/* verify used to stop at the first bad record: a byte changed later in the
 * store went unreported as long as an earlier one was damaged too */
static void test_store__verify_goes_on_and_reports_every_problem(void)
{
	custos_store_t *st;
	custos_verify_summary_t vs;
	custos_err_t err = { 0 };
	problems_t pr = { .n = 0 };
	custos_record_t r;
	char id[16], text[16], p[4300];
	st = create_store();
	custos_record_init(&r);
	for (int i = 1; i <= 6; i++) {   /* six batches of one record */
		snprintf(id, sizeof id, "x:%d", i);
		snprintf(text, sizeof text, "post %d", i);
		make(&r, id, "x", text);
		put1(st, &r);
	}
	custos_record_free(&r);
	custos_store_free(st);
	flip_record_byte(2, 90);   /* a payload */
	flip_record_byte(4, 45);   /* a header hash: record 4 and its batch */
	snprintf(p, sizeof p, "%s/keys/slots", archive);
	int fd = open(p, O_RDWR);
	CHECK(fd >= 0);
	uint8_t c;
	CHECK_INT(pread(fd, &c, 1, 32 * 6 + 3), 1);
	c ^= 1;
	CHECK_INT(pwrite(fd, &c, 1, 32 * 6 + 3), 1);
	close(fd);

	st = open_store(CUSTOS_STORE_READ);
	CHECK_STATUS(custos_store_verify_each(st, &vs, NULL, NULL, collect_problem, &pr),
	             CUSTOS_ECORRUPT);
	CHECK_INT(pr.n, 4);
	CHECK_INT(vs.problems, 4);
	CHECK(problem_has(&pr, "x:2", "seq 2"));
	CHECK(problem_has(&pr, "x:4", "seq 4"));
	CHECK(problem_has(&pr, "batch 4 (seqs 4..4)", "chain head mismatch"));
	CHECK(problem_has(&pr, "x:6", "seq 6"));
	/* the batches after a broken one are checked from its recorded head */
	CHECK(!problem_has(&pr, "batch 5", NULL));
	CHECK(!problem_has(&pr, "batch 6", NULL));
	CHECK_INT(vs.records, 6);
	/* without a callback: the count and the first problem */
	CHECK_STATUS(custos_store_verify(st, NULL, NULL, NULL, &err), CUSTOS_ECORRUPT);
	CHECK(strstr(err.msg, "4 problems; the first: record x:2"));
	custos_store_free(st);
}

/* ---- source files by reference (docs/storage.md) ---- */

static const char sha_a[] = "aaaa000000000000000000000000000000000000000000000000000000000001";
static const char sha_b[] = "bbbb000000000000000000000000000000000000000000000000000000000002";

/* A record of input file (with hash sha, NULL for none), n-th of it. */
static void make_from(custos_record_t *r, const char *id, const char *file, const char *sha,
                      int n)
{
	char text[64];
	snprintf(text, sizeof text, "post %s", id);
	make(r, id, "x", text);
	CHECK_OK(custos_record_sets(r, &r->source.format, "ndjson"));
	CHECK_OK(custos_record_sets(r, &r->source.file, file));
	CHECK_OK(custos_record_sets(r, &r->source.file_sha256, sha));
	r->source.offset = 100 * n;
	r->source.line = n + 1;
}

/* The "fr:" (entries) or "fh:" (lookup) keys in meta. */
static size_t meta_count(custos_store_t *st, const char *prefix)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = { 3, (void *)prefix }, v;
	size_t n = 0;
	CHECK_OK(custos_store__read_txn(st, &txn));
	CHECK_INT(mdb_cursor_open(txn, st->dbi[STORE_DB_META], &c), 0);
	for (int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size >= 3 && !memcmp(k.mv_data, prefix, 3);
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		n++;
	mdb_cursor_close(c);
	custos_store__read_done(st, txn);
	return n;
}

/* The normalized part of record seq as stored, NUL-terminated, into out. */
static void stored_json(custos_store_t *st, uint64_t seq, custos_buf_t *out)
{
	MDB_txn *txn;
	uint8_t kb[8];
	custos_store__rechdr_t h;
	custos_store__be64(kb, seq);
	MDB_val k = { 8, kb }, v;
	CHECK_OK(custos_store__read_txn(st, &txn));
	CHECK_INT(mdb_get(txn, st->dbi[STORE_DB_RECORDS], &k, &v), 0);
	CHECK_ST(st, custos_store__record_plain(st, txn, seq, &v, NULL, &h));
	out->len = 0;
	CHECK_OK(custos_buf_add(out, st->plain.data, h.normalized_len));
	CHECK_OK(custos_buf_addc(out, 0));
	custos_store__read_done(st, txn);
}

/* Rewrites record seq (without a dictionary) as a custos before source
 * references stored it: the file and its hash as text in the payload. rec
 * is the record as it was put. */
static void rewrite_old_style(custos_store_t *st, uint64_t seq, const custos_record_t *rec)
{
	custos_batch_t *b;
	custos_store__rechdr_t h;
	custos_buf_t plain = { 0 }, val = { 0 };
	uint8_t kb[8], key[STORE_KEY_LEN], content[32], hdr[STORE_REC_HDR];
	CHECK_OK(custos_store_begin(&b, st));
	custos_store__be64(kb, seq);
	MDB_val k = { 8, kb }, v;
	CHECK_INT(mdb_get(b->txn, st->dbi[STORE_DB_RECORDS], &k, &v), 0);
	CHECK_OK(custos_store__hdr_decode(&h, v.mv_data, v.mv_size));
	CHECK_INT(h.dict, 0);
	size_t old_len = v.mv_size;
	CHECK_ST(st, custos_store__key_read(st, STORE_KEYS_RECORDS, seq, key));
	CHECK_OK(custos_record_to_json_hashed(rec, &plain, content));
	CHECK(memcmp(content, h.content, 32) == 0);
	CHECK(strstr(plain.data, "\"file\":\""));
	h.normalized_len = (uint32_t)plain.len;
	CHECK_OK(custos_buf_add(&plain, rec->raw, rec->raw_len));
	CHECK_ST(st, custos_store__compress(st, NULL, plain.data, plain.len));
	custos_store__crypt((uint8_t *)st->comp.data, st->comp.len, key, 0);
	custos_store__hdr_encode(hdr, &h);
	CHECK_OK(custos_buf_add(&val, hdr, sizeof hdr));
	CHECK_OK(custos_buf_add(&val, st->comp.data, st->comp.len));
	CHECK_ST(st, custos_store__op(b, STORE_OP_PUT, STORE_DB_RECORDS, kb, 8, val.data, val.len, 0));
	b->state.v[ST_STORED_BYTES] += val.len - old_len;
	CHECK_ST(st, custos_store_commit(b, NULL));
	custos_buf_free(&plain);
	custos_buf_free(&val);
}

/* Records of n files read back as they were put (the full JSON, the stored
 * form readers use, the raw bytes), each file stored once. */
static void test_store__source_files_are_stored_by_reference(void)
{
	enum { N = 14 };
	static const char *const files[N] = { "in/a.ndjson", "in/a.ndjson", "in/b.ndjson",
		"in/a.ndjson", "in/b.ndjson", NULL, "in/c.txt", "in/c.txt", "in/a.ndjson",
		"in/b.ndjson", "in/d.ndjson", "in/a.ndjson", "in/c.txt", "in/e.ndjson" };
	static const char *const shas[N] = { sha_a, sha_a, sha_b, sha_a, sha_b, NULL, NULL,
		NULL, sha_a, sha_b, sha_b, sha_a, NULL, sha_a };
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_buf_t want[N], got = { 0 }, canon = { 0 }, sj = { 0 };
	custos_batch_t *b;
	custos_put_t out;
	char id[16];
	custos_record_init(&r);
	custos_record_init(&g);
	memset(want, 0, sizeof want);
	/* two batches; in/d.ndjson has the same name as none but the hash of
	 * in/b.ndjson: a pair of its own */
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < N; i++) {
		if (i == 7) {
			CHECK_ST(st, custos_store_commit(b, NULL));
			CHECK_OK(custos_store_begin(&b, st));
		}
		snprintf(id, sizeof id, "x:%d", i + 1);
		make_from(&r, id, files[i], shas[i], i);
		CHECK_ST(st, custos_store_put(b, &r, &out));
		CHECK_INT(out, CUSTOS_PUT_ADDED);
		CHECK_OK(custos_record_to_json(&r, CUSTOS_JSON_FULL, &want[i]));
		CHECK_OK(custos_buf_addc(&want[i], 0));
	}
	CHECK_ST(st, custos_store_commit(b, NULL));
	/* a, b, c, d, e */
	CHECK_INT(meta_count(st, "fr:"), 5);
	CHECK_INT(meta_count(st, "fh:"), 5);
	CHECK_INT(meta_len(st, "format"), 4);

	/* the same content from another file: unchanged, and no entry for it */
	make_from(&r, "x:1", "in/other.ndjson", sha_b, 0);
	CHECK_INT(put1(st, &r), CUSTOS_PUT_UNCHANGED);
	CHECK_INT(meta_count(st, "fr:"), 5);
	/* an aborted batch leaves no entry, and its number goes to the next file */
	CHECK_OK(custos_store_begin(&b, st));
	make_from(&r, "x:100", "in/aborted.ndjson", sha_a, 0);
	CHECK_ST(st, custos_store_put(b, &r, &out));
	custos_store_abort(b);
	CHECK_INT(meta_count(st, "fr:"), 5);
	make_from(&r, "x:15", "in/f.ndjson", sha_b, 15);
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	CHECK_INT(r.seq, 15);
	CHECK_INT(meta_count(st, "fr:"), 6);
	CHECK_ST(st, custos_store_get_seq(st, 15, &g));
	CHECK_STR(g.source.file, "in/f.ndjson");
	CHECK_STR(g.source.file_sha256, sha_b);

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < N; i++) {
			CHECK_ST(st, custos_store_get_seq(st, (uint64_t)i + 1, &g));
			got.len = 0;
			CHECK_OK(custos_record_to_json(&g, CUSTOS_JSON_FULL, &got));
			CHECK_OK(custos_buf_addc(&got, 0));
			CHECK_STR(got.data, want[i].data);
			/* what the readers hand out: the stored form with the strings */
			canon.len = 0;
			CHECK_OK(custos_record_to_json(&g, CUSTOS_JSON_STORE, &canon));
			CHECK_INT(st->canon.len, canon.len);
			CHECK(memcmp(st->canon.data, canon.data, canon.len) == 0);
			CHECK_INT(g.raw_len, r.raw_len);
			CHECK(!memcmp(g.raw, r.raw, r.raw_len));
			/* the payload names the file by number */
			stored_json(st, (uint64_t)i + 1, &sj);
			CHECK(!strstr(sj.data, "file_sha256"));
			CHECK(!files[i] == !strstr(sj.data, "\"file_ref\":"));
			if (files[i])
				CHECK(!strstr(sj.data, files[i]));
		}
		/* again with a cold cache, in a store opened afresh */
		custos_store_free(st);
		st = open_store(CUSTOS_STORE_READ);
	}
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, NULL));
	for (int i = 0; i < N; i++)
		custos_buf_free(&want[i]);
	custos_buf_free(&got);
	custos_buf_free(&canon);
	custos_buf_free(&sj);
	custos_record_free(&r);
	custos_record_free(&g);
	custos_store_free(st);
}

/* Records stored with the file as text (before references) and records
 * naming it by number, in one archive: both read as they were put. */
static void test_store__old_style_source_files_and_references_read_alike(void)
{
	custos_store_t *st = create_store();
	custos_record_t r, g;
	custos_buf_t want[6], got = { 0 }, sj = { 0 };
	char id[16];
	custos_record_init(&r);
	custos_record_init(&g);
	memset(want, 0, sizeof want);
	for (int i = 0; i < 6; i++) {
		snprintf(id, sizeof id, "x:%d", i + 1);
		make_from(&r, id, i % 2 ? "in/b.ndjson" : "in/a.ndjson", i % 2 ? sha_b : sha_a, i);
		CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
		CHECK_OK(custos_record_to_json(&r, CUSTOS_JSON_FULL, &want[i]));
		CHECK_OK(custos_buf_addc(&want[i], 0));
		if (i < 3)   /* the first three as an earlier custos wrote them */
			rewrite_old_style(st, r.seq, &r);
	}
	for (int i = 0; i < 6; i++) {
		stored_json(st, (uint64_t)i + 1, &sj);
		CHECK(!strstr(sj.data, "\"file_ref\":") == (i < 3));
		CHECK(!strstr(sj.data, sha_a) == (i >= 3 || i % 2));
		CHECK_ST(st, custos_store_get_seq(st, (uint64_t)i + 1, &g));
		got.len = 0;
		CHECK_OK(custos_record_to_json(&g, CUSTOS_JSON_FULL, &got));
		CHECK_OK(custos_buf_addc(&got, 0));
		CHECK_STR(got.data, want[i].data);
	}
	/* a hash too long for an entry (no ingest makes one) stays as text */
	char *longsha = malloc(70001);
	CHECK(longsha);
	memset(longsha, 'f', 70000);
	longsha[70000] = 0;
	make_from(&r, "x:7", "in/long.ndjson", longsha, 7);
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	got.len = 0;
	CHECK_OK(custos_record_to_json(&r, CUSTOS_JSON_FULL, &got));
	CHECK_OK(custos_buf_addc(&got, 0));
	stored_json(st, r.seq, &sj);
	CHECK(strstr(sj.data, "\"file\":\"in/long.ndjson\",\"file_sha256\":\"ffff"));
	CHECK_ST(st, custos_store_get_seq(st, r.seq, &g));
	CHECK_STR(g.source.file_sha256, longsha);
	free(longsha);
	/* an old-style record put again is unchanged: the content hash does not
	 * cover the source */
	make_from(&r, "x:1", "in/a.ndjson", sha_a, 0);
	CHECK_INT(put1(st, &r), CUSTOS_PUT_UNCHANGED);
	CHECK_ST(st, custos_store_verify(st, NULL, NULL, NULL, NULL));
	for (int i = 0; i < 6; i++)
		custos_buf_free(&want[i]);
	custos_buf_free(&got);
	custos_buf_free(&sj);
	custos_record_free(&r);
	custos_record_free(&g);
	custos_store_free(st);
}

/* Deletes meta key (n bytes) behind custos's back. */
static void meta_delete(const void *key, size_t n)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char p[4300];
	MDB_val k = { n, (void *)key };
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	CHECK_INT(mdb_del(txn, dbi, &k, NULL), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* A record naming a source file entry that is gone is a problem verify
 * names (each such record), and a read of it is refused, not a crash. */
static void test_store__verify_reports_a_missing_source_file_entry(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_verify_summary_t vs;
	problems_t pr = { .n = 0 };
	uint8_t key[STORE_SRC_KEY];
	char id[16];
	custos_record_init(&r);
	for (int i = 0; i < 4; i++) {
		snprintf(id, sizeof id, "x:%d", i + 1);
		make_from(&r, id, i % 2 ? "in/b.ndjson" : "in/a.ndjson", i % 2 ? sha_b : sha_a, i);
		CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	}
	custos_store_free(st);
	custos_store__source_key(key, 2);   /* in/b.ndjson's: records x:2 and x:4 */
	meta_delete(key, sizeof key);
	st = open_store(CUSTOS_STORE_READ);
	CHECK_ST(st, custos_store_get_seq(st, 1, &r));
	CHECK_STATUS(custos_store_get_seq(st, 2, &r), CUSTOS_ECORRUPT);
	CHECK(strstr(custos_store_err(st)->msg, "source file entry 2 is missing"));
	CHECK_STATUS(custos_store_verify_each(st, &vs, NULL, NULL, collect_problem, &pr),
	             CUSTOS_ECORRUPT);
	CHECK_INT(pr.n, 3);
	CHECK(problem_has(&pr, "record x:2 version 1 (seq 2)", "source file entry 2 is missing"));
	CHECK(problem_has(&pr, "record x:4 version 1 (seq 4)", "source file entry 2 is missing"));
	CHECK(problem_has(&pr, "2 source file lookup entries for 1 source file entries", NULL));
	custos_record_free(&r);
	custos_store_free(st);
}

/* Adds delta to the u64 at field of meta key, behind custos's back. */
static void meta_add64(const char *key, int field, uint64_t delta)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char p[4300];
	MDB_val k = { strlen(key), (void *)key }, v;
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	CHECK_INT(mdb_get(txn, dbi, &k, &v), 0);
	CHECK((size_t)(field + 1) * 8 <= v.mv_size);
	uint8_t *copy = malloc(v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	custos_store__be64(copy + 8 * field, custos_store__get64(copy + 8 * field) + delta);
	v.mv_data = copy;
	CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	free(copy);
}

/* The live records and each platform's disposal counters are checked as
 * the rest is: each named, and verify goes on past them. */
static void test_store__altered_record_and_disposal_counters_are_each_reported(void)
{
	custos_store_t *st;
	custos_verify_summary_t vs;
	problems_t pr = { .n = 0 };
	custos_record_t r;
	static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
	custos_record_init(&r);
	three_records();
	st = open_store(CUSTOS_STORE_WRITE);
	make(&r, "mastodon:1", "mastodon", "toot");
	CHECK_INT(put1(st, &r), CUSTOS_PUT_ADDED);
	custos_dispose_item_t items[] = { { "x:3", "default", commit, 1 },
	                                  { "mastodon:1", "d", commit, 1 } };
	CHECK_ST(st, custos_store_dispose(st, items, 2, "tester", 0, NULL));
	CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, NULL));
	CHECK_INT(vs.records, 2);
	custos_store_free(st);
	custos_record_free(&r);

	flip_record_byte(2, 90);              /* a payload */
	meta_add64("p:x", PL_DISPOSED, 4);    /* a platform's disposal counter */
	meta_add64("state", ST_RECORDS, 1);   /* the store's record counter */
	st = open_store(CUSTOS_STORE_READ);
	CHECK_STATUS(custos_store_verify_each(st, &vs, NULL, NULL, collect_problem, &pr),
	             CUSTOS_ECORRUPT);
	CHECK_INT(pr.n, 3);
	CHECK(problem_has(&pr, "x:2", "seq 2"));
	CHECK(problem_has(&pr, "4 records stored, the store state counts 5", NULL));
	CHECK(problem_has(&pr, "platform x: 1 records disposed of with 1 tombstones, its "
	                  "counters say 5 and 1", NULL));
	CHECK(!problem_has(&pr, "platform mastodon", NULL));
	CHECK_INT(vs.records, 2);
	CHECK_INT(vs.tombstones, 2);
	custos_store_free(st);
}

static void test_store__newer_format_is_refused_untouched(void)
{
	custos_store_t *st = create_store();
	custos_err_t err = { 0 };
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	char p[4300];
	uint8_t fmt[4] = { 0, 0, 0, CUSTOS_STORE_FORMAT + 1 };
	MDB_val k = { 6, "format" }, v = { 4, fmt };
	custos_store_free(st);
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	CHECK_INT(mdb_put(txn, dbi, &k, &v, 0), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	struct stat before, after;
	snprintf(p, sizeof p, "%s/store/data.mdb", archive);
	CHECK_INT(stat(p, &before), 0);
	CHECK_STATUS(custos_store_open(&st, archive, CUSTOS_STORE_WRITE, &err), CUSTOS_EVERSION);
	CHECK(strstr(err.msg, "newer"));
	CHECK_STATUS(custos_store_open(&st, archive, CUSTOS_STORE_READ, &err), CUSTOS_EVERSION);
	CHECK_INT(stat(p, &after), 0);
	CHECK_INT(after.st_size, before.st_size);
	CHECK_INT(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
}

static void test_store__stats_are_exact(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_store_stats_t s;
	custos_buf_t j = { 0 };
	custos_batch_t *b;
	uint64_t raw = 0, raw_x = 0;
	char hex[CUSTOS_SHA256_HEX];
	custos_record_init(&r);
	const char *ids[] = { "x:1", "x:2", "mastodon:m/1", "x:1" };
	const char *texts[] = { "a", "b", "c", "a, edited" };
	const char *plats[] = { "x", "x", "mastodon", "x" };
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < 4; i++) {
		make(&r, ids[i], plats[i], texts[i]);
		CHECK_ST(st, custos_store_put(b, &r, NULL));
		j.len = 0;
		CHECK_OK(custos_record_to_json(&r, CUSTOS_JSON_STORE, &j));
		raw += j.len + r.raw_len;
		if (plats[i][0] == 'x')
			raw_x += j.len + r.raw_len;
	}
	make(&r, "x:2", "x", "b");
	CHECK_ST(st, custos_store_put(b, &r, NULL));   /* unchanged: counts nothing */
	CHECK_ST(st, custos_store_blob_put(b, "0123456789", 10, hex));
	CHECK_ST(st, custos_store_blob_put(b, "0123456789", 10, hex));
	CHECK_ST(st, custos_store_quarantine_put(b, "in.ndjson", 5, 2, "bad json", "{x", 2));
	CHECK_ST(st, custos_store_commit(b, NULL));
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.records, 3);
	CHECK_INT(s.versions, 4);
	CHECK_INT(s.raw_bytes, raw);
	CHECK_INT(s.blobs, 1);
	CHECK_INT(s.blob_bytes, 10);
	CHECK_INT(s.quarantined, 1);
	CHECK_INT(s.tombstones, 0);
	CHECK_INT(s.dictionaries, 0);
	CHECK_INT(s.last_seq, 4);
	CHECK(s.file_bytes > 0);
	CHECK_INT(s.n_platforms, 2);
	CHECK_STR(s.platforms[0].platform, "mastodon");
	CHECK_INT(s.platforms[0].records, 1);
	CHECK_STR(s.platforms[1].platform, "x");
	CHECK_INT(s.platforms[1].records, 2);
	CHECK_INT(s.platforms[1].versions, 3);
	CHECK_INT(s.platforms[1].raw_bytes, raw_x);
	CHECK_INT(s.platforms[0].stored_bytes + s.platforms[1].stored_bytes, s.stored_bytes);
	uint64_t stored = s.stored_bytes;
	custos_store_stats_free(&s);
	custos_store_free(st);

	/* stored bytes are the record values as LMDB holds them */
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *c;
	MDB_val k, v;
	char p[4300];
	uint64_t sum = 0;
	snprintf(p, sizeof p, "%s/store", archive);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, MDB_RDONLY, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "records", 0, &dbi), 0);
	CHECK_INT(mdb_cursor_open(txn, dbi, &c), 0);
	while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
		sum += v.mv_size;
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	CHECK_INT(sum, stored);
	custos_buf_free(&j);
	custos_record_free(&r);
}

typedef struct { int n; uint64_t last; char reason[64]; } qlist_t;

static int on_q(void *ctx, const custos_quarantine_entry_t *e)
{
	qlist_t *q = ctx;
	q->n++;
	q->last = e->n;
	snprintf(q->reason, sizeof q->reason, "%.60s", e->reason);
	return 0;
}

static void test_store__quarantine_keeps_raw_bytes(void)
{
	custos_store_t *st = create_store();
	custos_batch_t *b;
	custos_batch_summary_t sum;
	custos_quarantine_entry_t e;
	qlist_t q = { 0 };
	static const char bad[] = "{\"id\": \xff\xfe broken\n\0tail";
	void *raw;
	size_t n;
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store_quarantine_put(b, "a.ndjson", 0, 1, "invalid JSON at byte 7", "{", 1));
	/* a file name that is not UTF-8 is kept readable (needs custos_utf8_check,
	 * a stub in common/ at the time of writing) */
	bool utf8_checked = custos_utf8_check("\xff", 1) == 0;
	CHECK_ST(st, custos_store_quarantine_put(b, utf8_checked ? "dir/\xff.ndjson" : "dir/?.ndjson",
	                                         1234, 9, "invalid UTF-8", bad, sizeof bad - 1));
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.quarantined, 2);
	CHECK_ST(st, custos_store_quarantine_list(st, on_q, &q));
	CHECK_INT(q.n, 2);
	CHECK_INT(q.last, 2);
	CHECK_STR(q.reason, "invalid UTF-8");
	CHECK_ST(st, custos_store_quarantine_get(st, 2, &e, &raw, &n));
	CHECK_INT(n, sizeof bad - 1);
	CHECK(memcmp(raw, bad, n) == 0);
	CHECK_INT(e.offset, 1234);
	CHECK_INT(e.line, 9);
	CHECK_INT(e.raw_len, n);
	CHECK_STR(e.file, "dir/?.ndjson");
	CHECK(e.at > 0);
	free(raw);
	CHECK_STATUS(custos_store_quarantine_get(st, 3, &e, &raw, &n), CUSTOS_ENOTFOUND);
	custos_verify_summary_t vs;
	CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, NULL));
	CHECK_INT(vs.quarantined, 2);
	custos_store_free(st);
}

static void test_store__quarantine_same_item_twice_is_kept_once(void)
{
	custos_store_t *st = create_store();
	custos_batch_t *b;
	custos_batch_summary_t sum;
	custos_store_stats_t s;
	qlist_t q = { 0 };
	/* a first ingest */
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store_quarantine_put(b, "e.zip!/a.js", 10, 2, "bad json", "{x", 2));
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.quarantined, 1);
	/* the same ingest again, a newer reason text too: nothing new */
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store_quarantine_put(b, "e.zip!/a.js", 10, 2, "bad json", "{x", 2));
	CHECK_ST(st, custos_store_quarantine_put(b, "e.zip!/a.js", 10, 2, "better why", "{x", 2));
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.quarantined, 0);
	/* the same bytes elsewhere are other items: another position, another
	 * file; and other bytes at the same place (the file was changed) */
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store_quarantine_put(b, "e.zip!/a.js", 20, 3, "bad json", "{x", 2));
	CHECK_ST(st, custos_store_quarantine_put(b, "f.zip!/a.js", 10, 2, "bad json", "{x", 2));
	CHECK_ST(st, custos_store_quarantine_put(b, "e.zip!/a.js", 10, 2, "bad json", "{y", 2));
	/* and twice within one batch, once */
	CHECK_ST(st, custos_store_quarantine_put(b, "g.ndjson", 0, 1, "bad", "", 0));
	CHECK_ST(st, custos_store_quarantine_put(b, "g.ndjson", 0, 1, "bad", "", 0));
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.quarantined, 4);
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.quarantined, 5);
	custos_store_stats_free(&s);
	CHECK_ST(st, custos_store_quarantine_list(st, on_q, &q));
	CHECK_INT(q.n, 5);
	CHECK_INT(q.last, 5);
	custos_verify_summary_t vs;
	CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, NULL));
	CHECK_INT(vs.quarantined, 5);
	custos_store_free(st);
}

static void test_store__blob_put_twice_is_stored_once(void)
{
	custos_store_t *st = create_store();
	custos_batch_t *b;
	custos_batch_summary_t sum;
	custos_store_stats_t s;
	char hex[CUSTOS_SHA256_HEX], hex2[CUSTOS_SHA256_HEX];
	char text[5000];
	void *p;
	size_t n;
	for (size_t i = 0; i < sizeof text; i++)
		text[i] = "abcab"[i % 5];
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store_blob_put(b, text, sizeof text, hex));
	CHECK_ST(st, custos_store_blob_put(b, text, sizeof text, hex2));
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.blobs, 1);
	CHECK_STR(hex, hex2);
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store_blob_put(b, text, sizeof text, hex2));
	CHECK_ST(st, custos_store_commit(b, &sum));
	CHECK_INT(sum.blobs, 0);
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.blobs, 1);
	CHECK_INT(s.blob_bytes, sizeof text);
	custos_store_stats_free(&s);
	CHECK_ST(st, custos_store_blob_get(st, hex, &p, &n));
	CHECK_INT(n, sizeof text);
	CHECK(memcmp(p, text, n) == 0);
	free(p);
	CHECK_STATUS(custos_store_blob_get(st, "00000000000000000000000000000000"
	                                   "00000000000000000000000000000000", &p, &n),
	             CUSTOS_ENOTFOUND);
	custos_store_free(st);
}

static void test_store__chain_head_is_stable_across_reopen(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_batch_t *b;
	custos_batch_summary_t s1, s2;
	custos_verify_summary_t vs;
	uint8_t zero[32] = { 0 }, digest[32];
	custos_sha256_ctx_t dc;
	custos_record_init(&r);
	custos_sha256_init(&dc);
	CHECK_OK(custos_store_begin(&b, st));
	make(&r, "x:1", "x", "one");
	CHECK_ST(st, custos_store_put(b, &r, NULL));
	uint8_t h[32];
	CHECK_OK(custos_unhex(h, r.content_sha256, 32));
	custos_sha256_update(&dc, h, 32);
	make(&r, "x:2", "x", "two");
	CHECK_ST(st, custos_store_put(b, &r, NULL));
	CHECK_OK(custos_unhex(h, r.content_sha256, 32));
	custos_sha256_update(&dc, h, 32);
	CHECK_ST(st, custos_store_commit(b, &s1));
	custos_sha256_final(&dc, digest);
	CHECK(memcmp(s1.digest, digest, 32) == 0);
	CHECK(memcmp(s1.chain, zero, 32) != 0);
	CHECK_INT(s1.first_seq, 1);
	CHECK_INT(s1.last_seq, 2);
	custos_store_free(st);

	st = open_store(CUSTOS_STORE_WRITE);
	CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, NULL));
	CHECK(memcmp(vs.chain, s1.chain, 32) == 0);
	CHECK_INT(vs.records, 2);
	make(&r, "x:3", "x", "three");
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_ST(st, custos_store_put(b, &r, NULL));
	CHECK_ST(st, custos_store_commit(b, &s2));
	CHECK(memcmp(s2.chain, s1.chain, 32) != 0);
	CHECK_ST(st, custos_store_verify(st, &vs, NULL, NULL, NULL));
	CHECK(memcmp(vs.chain, s2.chain, 32) == 0);
	custos_record_free(&r);
	custos_store_free(st);
}

typedef struct { int n; uint64_t last; } scan_t;

static int on_rec(void *ctx, const custos_record_t *rec)
{
	scan_t *s = ctx;
	if (rec->seq <= s->last)
		return -99;
	s->last = rec->seq;
	s->n++;
	return 0;
}

static void test_store__scan_walks_in_sequence_order(void)
{
	custos_store_t *st = create_store();
	custos_record_t r;
	scan_t s = { 0 };
	custos_record_init(&r);
	for (int i = 0; i < 5; i++) {
		char id[16];
		snprintf(id, sizeof id, "x:%d", i);
		make(&r, id, "x", id);
		put1(st, &r);
	}
	CHECK_ST(st, custos_store_scan(st, 2, on_rec, &s));
	CHECK_INT(s.n, 3);
	CHECK_INT(s.last, 5);
	custos_record_free(&r);
	custos_store_free(st);
}

static void progress_count(void *ctx, uint64_t done, uint64_t total)
{
	(void)done;
	(void)total;
	(*(int *)ctx)++;
}

/* Not a timed assertion: prints the put rate and bytes per record. */
static void test_store__put_rate_with_a_dictionary(void)
{
	const char *env = getenv("CUSTOS_TEST_RATE_N");
	int n = env ? atoi(env) : 20000;
	custos_store_t *st = create_store();
	custos_record_t r;
	custos_batch_t *b;
	custos_store_stats_t s;
	unsigned seed = 1;
	uint64_t in_bytes = 0;
	struct timespec t0, t1;
	int calls = 0;
	custos_record_init(&r);
	/* train first, out of the timing */
	CHECK_OK(custos_store_begin(&b, st));
	for (int i = 0; i < 1000; i++) {
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_put(b, &r, NULL));
		in_bytes += r.raw_len;
	}
	CHECK_ST(st, custos_store_commit(b, NULL));
	/* CPU time of this process: other work on the machine does not count */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (int i = 1000; i < n + 1000; i++) {
		if (i % 5000 == 1000)
			CHECK_OK(custos_store_begin(&b, st));
		make_post(&r, (uint64_t)i, "x", &seed);
		CHECK_ST(st, custos_store_put(b, &r, NULL));
		in_bytes += r.raw_len;
		if (i % 5000 == 999 || i == n + 999)
			CHECK_ST(st, custos_store_commit(b, NULL));
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK_ST(st, custos_store_stats(st, &s));
	CHECK_INT(s.dictionaries, 1);
	printf("  put: %d records in %.2fs = %.0f records/s of CPU (record generation included)\n"
	       "  raw input %.0f B/record; stored values %.0f B/record (%.3f); "
	       "store files %.0f B/record (%.3f)\n",
	       n, secs, n / secs, (double)in_bytes / (n + 1000),
	       (double)s.stored_bytes / (n + 1000), (double)s.stored_bytes / (double)in_bytes,
	       (double)s.file_bytes / (n + 1000), (double)s.file_bytes / (double)in_bytes);
	custos_store_stats_free(&s);
	if (getenv("CUSTOS_TEST_NO_VERIFY")) {   /* for profiling put alone */
		custos_record_free(&r);
		custos_store_free(st);
		return;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	CHECK_ST(st, custos_store_verify(st, NULL, progress_count, &calls, NULL));
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  verify: %.0f records/s\n", (n + 1000) / secs);
	CHECK(calls >= 2);
	custos_record_free(&r);
	custos_store_free(st);
}

CHECK_MAIN(
	CHECK_CASE(test_store__put_then_get_roundtrips),
	CHECK_CASE(test_store__shredded_key_blocks_are_punched_out),
	CHECK_CASE(test_store__stats_count_live_records_as_verify_does),
	CHECK_CASE(test_store__tombstones_carry_account_thread_and_run),
	CHECK_CASE(test_store__tombstones_are_binary_and_json_ones_still_read),
	CHECK_CASE(test_store__same_content_twice_is_unchanged),
	CHECK_CASE(test_store__edited_content_adds_a_version),
	CHECK_CASE(test_store__reimport_of_older_content_is_unchanged),
	CHECK_CASE(test_store__deleted_upstream_is_kept_and_marked),
	CHECK_CASE(test_store__dictionary_is_trained_and_old_records_stay_readable),
	CHECK_CASE(test_store__dictionary_is_retrained_when_records_drift),
	CHECK_CASE(test_store__dictionary_of_an_earlier_custos_is_retrained_once),
	CHECK_CASE(test_store__dictionary_makes_records_smaller),
	CHECK_CASE(test_store__invalid_record_leaves_the_batch_usable),
	CHECK_CASE(test_store__recompress_moves_records_between_dictionaries),
	CHECK_CASE(test_store__shredded_key_makes_a_record_unreadable),
	CHECK_CASE(test_store__disposed_record_leaves_a_tombstone_and_no_key),
	CHECK_CASE(test_store__abort_leaves_nothing),
	CHECK_CASE(test_store__map_grows_from_a_tiny_map),
	CHECK_CASE(test_store__reader_follows_a_map_grown_by_another_process),
	CHECK_CASE(test_store__second_writer_is_busy),
	CHECK_CASE(test_store__writer_waits_for_the_lock_with_wait),
	CHECK_CASE(test_store__kill_9_during_writes_keeps_what_was_acknowledged),
	CHECK_CASE(test_store__not_an_archive_and_twice_created),
	CHECK_CASE(test_store__flipped_byte_in_a_record_is_reported),
	CHECK_CASE(test_store__flipped_byte_in_a_record_hash_breaks_the_chain),
	CHECK_CASE(test_store__altered_batch_head_names_the_batch),
	CHECK_CASE(test_store__flipped_byte_in_the_key_file_fails_verify),
	CHECK_CASE(test_store__verify_goes_on_and_reports_every_problem),
	CHECK_CASE(test_store__altered_record_and_disposal_counters_are_each_reported),
	CHECK_CASE(test_store__newer_format_is_refused_untouched),
	CHECK_CASE(test_store__source_files_are_stored_by_reference),
	CHECK_CASE(test_store__old_style_source_files_and_references_read_alike),
	CHECK_CASE(test_store__verify_reports_a_missing_source_file_entry),
	CHECK_CASE(test_store__stats_are_exact),
	CHECK_CASE(test_store__quarantine_keeps_raw_bytes),
           CHECK_CASE(test_store__quarantine_same_item_twice_is_kept_once),
	CHECK_CASE(test_store__blob_put_twice_is_stored_once),
	CHECK_CASE(test_store__chain_head_is_stable_across_reopen),
	CHECK_CASE(test_store__scan_walks_in_sequence_order),
	CHECK_CASE(test_store__put_rate_with_a_dictionary)
)
