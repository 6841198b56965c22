/* How often the import reads its inputs: a small file or zip member is read
 * once although its hash is asked before its first record, a big single file
 * whose hash the caller gives is not read for it, and either way the records
 * carry the hash of the bytes parsed, or the import fails as changed. */
#include "check.h"
#include "import_sink.h"

#include <sys/stat.h>
#include <unistd.h>


static void sha_hex_of(char out[CUSTOS_SHA256_HEX], const void *p, size_t n)
{
	uint8_t h[CUSTOS_SHA256_LEN];
	custos_sha256(h, p, n);
	custos_hex(out, h, sizeof h);
}

/* n records of about 130 bytes each: "x:<first>".."x:<first+n-1>" */
static void ndjson_doc(custos_buf_t *doc, int first, int n)
{
	for (int i = first; i < first + n; i++)
		custos_buf_printf(doc, REC("x:%d", "cccccccccccccccccccccccccccccccccccccccccccccccccc") "\n",
		                  i);
}

static custos_tree_reads_t reads_of(const custos_tree_t *t)
{
	custos_tree_reads_t r;
	custos_tree__reads(t, &r);
	return r;
}

/* Opens relpath, asks its hash as the dispatcher does at the first record
 * (after a first read), reads the rest and closes; gives the hash. */
static void open_hash_read(custos_tree_t *t, const char *relpath, char hex[CUSTOS_SHA256_HEX])
{
	custos_input_t *in = NULL;
	custos_err_t err = { 0 };
	char name[4200], buf[100];
	CHECK_OK(custos_tree__open(t, relpath, &in, &err));
	CHECK(in->read(in, buf, sizeof buf) >= 0);
	custos_tree__member_name(t, relpath, name, sizeof name);
	CHECK_OK(custos_tree__file_sha256(t, name, hex, &err));
	CHECK_OK(custos_input__drain(in, &err));
	custos_input__close(in);
}

static void test_tree__small_folder_file_is_read_once_for_its_hash(void)
{
	custos_tree_t *t = NULL;
	custos_err_t err = { 0 };
	custos_buf_t small = { 0 }, big = { 0 };
	char hex[CUSTOS_SHA256_HEX], want[CUSTOS_SHA256_HEX];
	custos_tree_reads_t r;

	ndjson_doc(&small, 0, 100);
	ndjson_doc(&big, 0, 10000);
	CHECK(small.len <= CUSTOS_TREE_WHOLE_MAX && big.len > CUSTOS_TREE_WHOLE_MAX);
	CHECK(mkdir(path_in("d"), 0755) == 0);
	write_file(path_in("d/small.ndjson"), small.data, small.len);
	write_file(path_in("d/big.ndjson"), big.data, big.len);
	CHECK_OK(custos_tree__new(&t, path_in("d"), &err));

	open_hash_read(t, "small.ndjson", hex);
	sha_hex_of(want, small.data, small.len);
	CHECK_STR(hex, want);
	r = reads_of(t);
	CHECK_INT(r.opens, 1);
	CHECK_INT(r.bytes, small.len);

	/* a big file in a folder is still read for its hash before its records */
	open_hash_read(t, "big.ndjson", hex);
	sha_hex_of(want, big.data, big.len);
	CHECK_STR(hex, want);
	r = reads_of(t);
	CHECK_INT(r.opens, 1 + 2);
	CHECK_INT(r.bytes, small.len + 2 * big.len);
	CHECK(custos_tree__changed(t) == NULL);
	custos_tree__free(t);
	custos_buf_free(&small);
	custos_buf_free(&big);
}

static void test_tree__small_zip_members_in_turn_read_the_zip_once(void)
{
	custos_tree_t *t = NULL;
	custos_input_t *held = NULL;
	custos_err_t err = { 0 };
	custos_buf_t doc[3] = { { 0 } };
	char hex[CUSTOS_SHA256_HEX], want[CUSTOS_SHA256_HEX], rel[32];
	size_t total = 0;

	CHECK(mkdir(path_in("z"), 0755) == 0);
	for (int i = 0; i < 3; i++) {
		ndjson_doc(&doc[i], i * 1000, 50 + i * 100);
		snprintf(rel, sizeof rel, "z/m%d.ndjson", i);
		write_file(path_in(rel), doc[i].data, doc[i].len);
		total += doc[i].len;
	}
	sh("cd '%s/z' && zip -q ../m.zip m0.ndjson m1.ndjson m2.ndjson", check_tmpdir);
	CHECK_OK(custos_tree__new(&t, path_in("m.zip"), &err));
	/* the first member stays open while the next ones are read: read whole,
	 * it does not hold the zip's cursor */
	CHECK_OK(custos_tree__open(t, "m0.ndjson", &held, &err));
	CHECK_OK(custos_tree__file_sha256(t, held->name, hex, &err));
	sha_hex_of(want, doc[0].data, doc[0].len);
	CHECK_STR(hex, want);
	for (int i = 1; i < 3; i++) {
		snprintf(rel, sizeof rel, "m%d.ndjson", i);
		open_hash_read(t, rel, hex);
		sha_hex_of(want, doc[i].data, doc[i].len);
		CHECK_STR(hex, want);
	}
	CHECK_OK(custos_input__drain(held, &err));
	custos_input__close(held);
	custos_tree_reads_t r = reads_of(t);
	CHECK_INT(r.zip_opens, 1);
	CHECK_INT(r.opens, 3);
	CHECK_INT(r.bytes, total);
	CHECK(custos_tree__changed(t) == NULL);
	custos_tree__free(t);
	for (int i = 0; i < 3; i++)
		custos_buf_free(&doc[i]);
}

static void test_tree__small_file_changed_between_reads_is_seen(void)
{
	custos_tree_t *t = NULL;
	custos_err_t err = { 0 };
	char hex[CUSTOS_SHA256_HEX], want[CUSTOS_SHA256_HEX];
	const char *a = REC("x:1", "first") "\n", *b = REC("x:1", "fixed") "\n";
	custos_tree_reads_t r;

	CHECK(mkdir(path_in("c"), 0755) == 0);
	write_file(path_in("c/a.ndjson"), a, strlen(a));
	write_file(path_in("c/b.ndjson"), b, strlen(b));
	CHECK_OK(custos_tree__new(&t, path_in("c"), &err));
	open_hash_read(t, "a.ndjson", hex);
	sha_hex_of(want, a, strlen(a));
	CHECK_STR(hex, want);
	CHECK(custos_tree__changed(t) == NULL);
	/* opened again at once (format detection, then the importer): the
	 * bytes kept from the first open, even when the file changed since */
	write_file(path_in("c/a.ndjson"), b, strlen(b));
	open_hash_read(t, "a.ndjson", hex);
	CHECK_STR(hex, want);
	r = reads_of(t);
	CHECK_INT(r.opens, 1);
	CHECK_INT(r.bytes, strlen(a));
	CHECK(custos_tree__changed(t) == NULL);
	/* another file read in between: a is read again, and its other bytes
	 * are not what its records were given */
	open_hash_read(t, "b.ndjson", hex);
	open_hash_read(t, "a.ndjson", hex);
	CHECK_STR(hex, want);   /* what its records were given */
	r = reads_of(t);
	CHECK_INT(r.opens, 3);
	CHECK(custos_tree__changed(t) != NULL);
	CHECK(strstr(custos_tree__changed(t), "c/a.ndjson") != NULL);
	CHECK(strstr(custos_tree__changed(t), "c/b.ndjson") == NULL);
	custos_tree__free(t);
}

/* A sink standing where the dispatcher's does: each record gets the hash of
 * its file from the tree. */
typedef struct {
	tsink_t s;
	custos_tree_t *tree;
	char hex[CUSTOS_SHA256_HEX];   /* the last file's */
	size_t asked;
} hashing_t;

static int hashing_record(void *ctx, custos_record_t *rec)
{
	hashing_t *h = ctx;
	custos_err_t err = { 0 };
	CHECK(rec->source.file != NULL);
	CHECK_OK(custos_tree__file_sha256(h->tree, rec->source.file, h->hex, &err));
	h->asked++;
	return tsink_record(&h->s, rec);
}

static void test_tree__given_hash_spares_the_big_file_a_read(void)
{
	custos_tree_t *t = NULL;
	custos_err_t err = { 0 };
	custos_buf_t big = { 0 };
	char want[CUSTOS_SHA256_HEX];
	hashing_t h;
	custos_import_sink_t sink = tsink_make(&h.s);

	ndjson_doc(&big, 0, 10000);
	CHECK(big.len > CUSTOS_TREE_WHOLE_MAX);
	write_file(path_in("big.ndjson"), big.data, big.len);
	sha_hex_of(want, big.data, big.len);
	sink.record = hashing_record;
	sink.ctx = &h;
	for (int given = 0; given < 2; given++) {
		h.asked = 0;
		CHECK_OK(custos_tree__new(&t, path_in("big.ndjson"), &err));
		h.tree = t;
		if (given)
			CHECK_OK(custos_tree__know_sha256(t, path_in("big.ndjson"), want));
		CHECK_OK(custos_import__ndjson.run(t, "big.ndjson", &sink, &err));
		CHECK_INT(h.asked, 10000);
		CHECK_STR(h.hex, want);
		custos_tree_reads_t r = reads_of(t);
		CHECK_INT(r.opens, given ? 1 : 2);
		CHECK_INT(r.bytes, (given ? 1 : 2) * big.len);
		CHECK(custos_tree__changed(t) == NULL);
		custos_tree__free(t);
	}
	/* a name not of the tree, and a hash that is not one */
	CHECK_OK(custos_tree__new(&t, path_in("big.ndjson"), &err));
	CHECK_STATUS(custos_tree__know_sha256(t, "elsewhere.ndjson", want), CUSTOS_ENOTFOUND);
	CHECK_STATUS(custos_tree__know_sha256(t, path_in("big.ndjson"), "abc"), CUSTOS_EINVAL);
	want[3] = 'G';
	CHECK_STATUS(custos_tree__know_sha256(t, path_in("big.ndjson"), want), CUSTOS_EINVAL);
	custos_tree__free(t);
	custos_buf_free(&big);
	tsink_free(&h.s);
}

static void test_tree__slack_export_files_are_each_read_once(void)
{
	const char *dir = "tests/data/import-b/slack-mini";
	static const char *const files[] = { "channels.json", "dms.json", "users.json",
	                                     "D0DM1/2024-01-03.json", "general/2024-01-02.json",
	                                     "general/2024-01-04.json", "__uploads/F001/notes.txt" };
	custos_tree_t *t = NULL;
	custos_err_t err = { 0 };
	hashing_t h;
	custos_import_sink_t sink = tsink_make(&h.s);
	uint64_t total = 0;
	char p[4200];

	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", dir, files[i]);
		CHECK(stat(p, &st) == 0);
		total += (uint64_t)st.st_size;
	}
	sink.record = hashing_record;
	sink.ctx = &h;
	CHECK_OK(custos_tree__new(&t, dir, &err));
	h.tree = t;
	CHECK_OK(custos_import__slack.run(t, NULL, &sink, &err));
	CHECK(h.asked > 0);
	custos_tree_reads_t r = reads_of(t);
	CHECK_INT(r.opens, sizeof files / sizeof files[0]);
	CHECK_INT(r.bytes, total);
	CHECK(custos_tree__changed(t) == NULL);
	custos_tree__free(t);
	tsink_free(&h.s);
}

static void test_import__records_carry_the_hash_of_small_files_members_and_big_file(void)
{
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	custos_buf_t a = { 0 }, b = { 0 }, big = { 0 };
	char want[200], hex[CUSTOS_SHA256_HEX];

	ndjson_doc(&a, 0, 3);
	ndjson_doc(&b, 100, 3);
	ndjson_doc(&big, 1000, 10000);
	CHECK(mkdir(path_in("h"), 0755) == 0);
	CHECK(mkdir(path_in("z"), 0755) == 0);
	write_file(path_in("h/a.ndjson"), a.data, a.len);
	write_file(path_in("z/b.ndjson"), b.data, b.len);
	write_file(path_in("big.ndjson"), big.data, big.len);
	sh("cd '%s/z' && zip -q ../h/b.zip b.ndjson", check_tmpdir);
	CHECK_OK(custos_import_run(path_in("h"), NULL, &sink, &err));
	CHECK_INT(s.n_records, 6);
	sha_hex_of(hex, a.data, a.len);
	snprintf(want, sizeof want, "\"file_sha256\":\"%s\"", hex);
	CHECK(tsink_has(&s, "x:0", want) && tsink_has(&s, "x:2", want));
	sha_hex_of(hex, b.data, b.len);
	snprintf(want, sizeof want, "\"file_sha256\":\"%s\"", hex);
	CHECK(tsink_has(&s, "x:100", want) && tsink_has(&s, "x:102", want));
	tsink_free(&s);

	/* a big single file whose hash the caller gives */
	sink = tsink_make(&s);
	sha_hex_of(hex, big.data, big.len);
	CHECK_OK(custos_import_run_hashed(path_in("big.ndjson"), NULL, hex, &sink, &err));
	CHECK_INT(s.n_records, 10000);
	snprintf(want, sizeof want, "\"file_sha256\":\"%s\"", hex);
	CHECK(tsink_has(&s, "x:1000", want) && tsink_has(&s, "x:10999", want));
	tsink_free(&s);
	/* a hash given for a folder or a zip is not any file's: ignored */
	sink = tsink_make(&s);
	CHECK_OK(custos_import_run_hashed(path_in("h"), NULL, hex, &sink, &err));
	CHECK_INT(s.n_records, 6);
	CHECK(!tsink_has(&s, "x:0", want) && !tsink_has(&s, "x:100", want));
	tsink_free(&s);
	custos_buf_free(&a);
	custos_buf_free(&b);
	custos_buf_free(&big);
}

static void test_import__given_hash_that_is_not_the_files_fails_as_changed(void)
{
	tsink_t s;
	custos_import_sink_t sink;
	custos_err_t err = { 0 };
	custos_buf_t small = { 0 }, big = { 0 };
	char hex[CUSTOS_SHA256_HEX];

	ndjson_doc(&small, 0, 3);
	ndjson_doc(&big, 0, 10000);
	write_file(path_in("small.ndjson"), small.data, small.len);
	write_file(path_in("big.ndjson"), big.data, big.len);
	/* the hash of other bytes: the file changed after the caller read it */
	sha_hex_of(hex, "other", 5);
	sink = tsink_make(&s);
	CHECK_STATUS(custos_import_run_hashed(path_in("big.ndjson"), NULL, hex, &sink, &err),
	             CUSTOS_EIO);
	CHECK(strstr(err.msg, "big.ndjson' changed while it was imported") != NULL);
	tsink_free(&s);
	sink = tsink_make(&s);
	CHECK_STATUS(custos_import_run_hashed(path_in("small.ndjson"), "ndjson", hex, &sink, &err),
	             CUSTOS_EIO);
	CHECK(strstr(err.msg, "small.ndjson' changed while it was imported") != NULL);
	tsink_free(&s);
	/* not a hash at all */
	sink = tsink_make(&s);
	CHECK_STATUS(custos_import_run_hashed(path_in("small.ndjson"), NULL, "nope", &sink, &err),
	             CUSTOS_EINVAL);
	CHECK_INT(s.n_records, 0);
	tsink_free(&s);
	custos_buf_free(&small);
	custos_buf_free(&big);
}

static void test_import__big_file_with_given_hash_changed_while_read_is_an_error(void)
{
	changing_t c = { 0 };
	custos_import_sink_t sink = tsink_make(&c.s);
	custos_err_t err = { 0 };
	custos_buf_t doc = { 0 };
	char hex[CUSTOS_SHA256_HEX];
	sink.record = changing_record;
	sink.ctx = &c;
	ndjson_doc(&doc, 0, 10000);
	CHECK(doc.len > CUSTOS_TREE_WHOLE_MAX);
	write_file(path_in("c.ndjson"), doc.data, doc.len);
	sha_hex_of(hex, doc.data, doc.len);
	c.path = path_in("c.ndjson");
	c.at = (off_t)doc.len - 10;
	CHECK_STATUS(custos_import_run_hashed(c.path, NULL, hex, &sink, &err), CUSTOS_EIO);
	CHECK(strstr(err.msg, "c.ndjson' changed while it was imported") != NULL);
	CHECK_INT(c.s.n_records, 10000);
	custos_buf_free(&doc);
	tsink_free(&c.s);
}

/* A small file is parsed from the bytes it was hashed from: a change after
 * it was opened reaches neither its records nor their hash. */
static void test_import__small_file_changed_after_open_keeps_records_and_hash_agreeing(void)
{
	changing_t c = { 0 };
	custos_import_sink_t sink = tsink_make(&c.s);
	custos_err_t err = { 0 };
	custos_buf_t doc = { 0 };
	char hex[CUSTOS_SHA256_HEX], want[200];
	sink.record = changing_record;
	sink.ctx = &c;
	ndjson_doc(&doc, 0, 100);
	write_file(path_in("s.ndjson"), doc.data, doc.len);
	sha_hex_of(hex, doc.data, doc.len);
	c.path = path_in("s.ndjson");
	c.at = (off_t)doc.len - 10;
	CHECK_OK(custos_import_run(c.path, NULL, &sink, &err));
	CHECK_INT(c.s.n_records, 100);
	snprintf(want, sizeof want, "\"file_sha256\":\"%s\"", hex);
	CHECK(tsink_has(&c.s, "x:99", want));
	CHECK(tsink_has(&c.s, "x:99", "\"text\":\"cccccccc"));
	custos_buf_free(&doc);
	tsink_free(&c.s);
}

static void test_tree__slurp_of_a_small_file_is_whole_and_terminated(void)
{
	custos_tree_t *t = NULL;
	custos_err_t err = { 0 };
	char *data = NULL;
	size_t n = 0;
	CHECK(mkdir(path_in("s"), 0755) == 0);
	write_file(path_in("s/a.json"), "{\"a\":1}", 7);
	write_file(path_in("s/e.json"), "", 0);
	CHECK_OK(custos_tree__new(&t, path_in("s"), &err));
	CHECK_OK(custos_tree__slurp(t, "a.json", 100, &data, &n, &err));
	CHECK_INT(n, 7);
	CHECK_STR(data, "{\"a\":1}");
	free(data);
	CHECK_STATUS(custos_tree__slurp(t, "a.json", 6, &data, &n, &err), CUSTOS_ETOOBIG);
	CHECK_OK(custos_tree__slurp(t, "e.json", 100, &data, &n, &err));
	CHECK_INT(n, 0);
	CHECK_STR(data, "");
	free(data);
	custos_tree__free(t);
}

CHECK_MAIN(CHECK_CASE(test_tree__small_folder_file_is_read_once_for_its_hash),
           CHECK_CASE(test_tree__small_zip_members_in_turn_read_the_zip_once),
           CHECK_CASE(test_tree__small_file_changed_between_reads_is_seen),
           CHECK_CASE(test_tree__given_hash_spares_the_big_file_a_read),
           CHECK_CASE(test_tree__slack_export_files_are_each_read_once),
           CHECK_CASE(test_import__records_carry_the_hash_of_small_files_members_and_big_file),
           CHECK_CASE(test_import__given_hash_that_is_not_the_files_fails_as_changed),
           CHECK_CASE(test_import__big_file_with_given_hash_changed_while_read_is_an_error),
           CHECK_CASE(test_import__small_file_changed_after_open_keeps_records_and_hash_agreeing),
           CHECK_CASE(test_tree__slurp_of_a_small_file_is_whole_and_terminated))
