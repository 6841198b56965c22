/* The import framework: trees (folder, file, zip), the line reader, the
 * streaming JSON scanner, the dispatcher and the ndjson importer. */
#include "check.h"
#include "import_sink.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>


static custos_input_t *open_mem(const char *s)
{
	custos_input_t *in;
	CHECK_OK(custos_input__open_mem(&in, "mem.json", s, strlen(s)));
	return in;
}

/* Collects every element of path as "offset:line:<bytes>\n". */
static int scan_all(const char *text, const char *path, unsigned only, custos_buf_t *out,
                    custos_err_t *err)
{
	custos_input_t *in = open_mem(text);
	custos_jsonscan_t *js;
	const char *e;
	size_t n;
	int64_t off, line;
	int r;
	CHECK_OK(custos_jsonscan__open(&js, in, path));
	if (only)
		custos_jsonscan__only(js, only);
	while ((r = custos_jsonscan__next(js, &e, &n, &off, &line, err)) > 0) {
		custos_buf_printf(out, "%lld:%lld:", (long long)off, (long long)line);
		custos_buf_add(out, e, n);
		custos_buf_addc(out, '\n');
	}
	if (r == CUSTOS_EFORMAT && n) {
		custos_buf_printf(out, "PARTIAL %lld:%lld:", (long long)off, (long long)line);
		custos_buf_add(out, e, n);
		custos_buf_addc(out, '\n');
	}
	custos_jsonscan__free(js);
	custos_input__close(in);
	return r;
}

static void test_jsonscan__ytd_prefix_gives_exact_element_bytes(void)
{
	const char *doc = "window.YTD.tweets.part0 = [\n  {\n    \"tweet\" : { \"id\" : \"1\" }\n"
	                  "  },\n  {\"s\":\"a]}\\\"b\"}\n]";
	custos_buf_t out = { 0 };
	custos_err_t err = { 0 };
	CHECK_INT(scan_all(doc, "", 0, &out, &err), 0);
	CHECK_STR(out.data, "30:2:{\n    \"tweet\" : { \"id\" : \"1\" }\n  }\n"
	                    "68:5:{\"s\":\"a]}\\\"b\"}\n");
	custos_buf_free(&out);
}

static void test_jsonscan__duplicate_key_last_wins_when_selected(void)
{
	const char *doc = "{\"a\":1,\"orderedItems\":[{\"x\":1}],\"b\":{\"orderedItems\":[9]},"
	                  "\"orderedItems\":[{\"y\":2},3]}";
	custos_buf_t out = { 0 };
	custos_err_t err = { 0 };
	custos_input_t *in = open_mem(doc);
	unsigned occ = 0;
	CHECK_OK(custos_jsonscan__occurrences(in, "orderedItems", &occ, &err));
	CHECK_INT(occ, 2);   /* the nested one under "b" is not at the path */
	custos_input__close(in);
	CHECK_INT(scan_all(doc, "orderedItems", 2, &out, &err), 0);
	CHECK_STR(out.data, "73:1:{\"y\":2}\n81:1:3\n");
	custos_buf_clear(&out);
	/* without selection every occurrence is handed over */
	CHECK_INT(scan_all(doc, "orderedItems", 0, &out, &err), 0);
	CHECK_STR(out.data, "23:1:{\"x\":1}\n73:1:{\"y\":2}\n81:1:3\n");
	custos_buf_free(&out);
}

static void test_jsonscan__nested_path_and_single_value(void)
{
	const char *doc = "{\"data\":{\"id\":\"7\"},\"includes\":{\"users\":[{\"u\":1},{\"u\":2}],"
	                  "\"tweets\":[]}}";
	custos_buf_t out = { 0 };
	custos_err_t err = { 0 };
	CHECK_INT(scan_all(doc, "includes.users", 0, &out, &err), 0);
	CHECK_STR(out.data, "40:1:{\"u\":1}\n48:1:{\"u\":2}\n");
	custos_buf_clear(&out);
	CHECK_INT(scan_all(doc, "data", 0, &out, &err), 0);
	CHECK_STR(out.data, "8:1:{\"id\":\"7\"}\n");
	custos_buf_clear(&out);
	CHECK_INT(scan_all(doc, "missing", 0, &out, &err), 0);
	CHECK(out.len == 0);
	custos_buf_free(&out);
}

static void test_jsonscan__sequence_and_truncated_last_value(void)
{
	const char *doc = "{\"a\":1}\n{\"b\":[1,2]}\n  \"s\"\n{\"c\":\"trunc";
	custos_buf_t out = { 0 };
	custos_err_t err = { 0 };
	CHECK_INT(scan_all(doc, NULL, 0, &out, &err), CUSTOS_EFORMAT);
	CHECK_STR(out.data, "0:1:{\"a\":1}\n8:2:{\"b\":[1,2]}\n22:3:\"s\"\n"
	                    "PARTIAL 26:4:{\"c\":\"trunc\n");
	CHECK(strstr(err.msg, "line 4 (byte 26)") != NULL);
	custos_buf_free(&out);
}

static void test_jsonscan__stray_closing_bracket_is_an_element_not_a_hang(void)
{
	custos_buf_t out = { 0 };
	custos_err_t err = { 0 };
	CHECK_INT(scan_all("{\"a\":1}\n}\n{\"b\":2}", NULL, 0, &out, &err), 0);
	CHECK_STR(out.data, "0:1:{\"a\":1}\n8:2:}\n10:3:{\"b\":2}\n");
	custos_buf_clear(&out);
	/* inside an array, the damage stops the scan at its position */
	CHECK_INT(scan_all("[1,,2]", "", 0, &out, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "byte 4") != NULL);
	custos_buf_free(&out);
}

static void test_jsonscan__elements_across_refills_stay_whole(void)
{
	/* elements larger than the read chunk, and many of them */
	custos_buf_t doc = { 0 }, out = { 0 };
	custos_err_t err = { 0 };
	custos_buf_adds(&doc, "[");
	for (int i = 0; i < 5; i++) {
		custos_buf_printf(&doc, "%s{\"k\":\"", i ? ",\n" : "");
		for (int j = 0; j < 300000; j++)
			custos_buf_addc(&doc, j % 7 == 1 ? '\\' : 'a' + (j % 26));
		custos_buf_adds(&doc, "\"}");
	}
	custos_buf_adds(&doc, "]");
	CHECK_INT(scan_all(doc.data, "", 0, &out, &err), 0);
	size_t lines = 0, off = 0;
	for (size_t i = 0; i < out.len; i++)
		lines += out.data[i] == '\n';
	CHECK_INT(lines, 5);
	/* the third element starts where the file says */
	const char *third = strstr(doc.data, ",\n{") + 2;
	third = strstr(third, ",\n{") + 2;
	off = (size_t)(third - doc.data);
	char want[64];
	snprintf(want, sizeof want, "\n%zu:3:{\"k\":\"", off);
	CHECK(strstr(out.data, want) != NULL);
	custos_buf_free(&doc);
	custos_buf_free(&out);
}

static void test_jsonscan__garbage_between_elements_names_position(void)
{
	custos_buf_t out = { 0 };
	custos_err_t err = { 0 };
	CHECK_INT(scan_all("[1,\n2 x]", "", 0, &out, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "mem.json: line 2 (byte 6)") != NULL);
	custos_buf_free(&out);
}

static void test_lines__offsets_crlf_and_last_line_without_newline(void)
{
	custos_input_t *in = open_mem("a\r\n\nbcd\nlast");
	custos_lines_t *lr;
	custos_err_t err = { 0 };
	const char *l;
	size_t n;
	int64_t off, no;
	CHECK_OK(custos_lines__open(&lr, in, 0));
	CHECK_INT(custos_lines__next(lr, &l, &n, &off, &no, &err), 1);
	CHECK(n == 2 && memcmp(l, "a\r", 2) == 0 && off == 0 && no == 1);
	CHECK_INT(custos_lines__next(lr, &l, &n, &off, &no, &err), 1);
	CHECK(n == 0 && off == 3 && no == 2);
	CHECK_INT(custos_lines__next(lr, &l, &n, &off, &no, &err), 1);
	CHECK(n == 3 && memcmp(l, "bcd", 3) == 0 && off == 4 && no == 3);
	CHECK_INT(custos_lines__next(lr, &l, &n, &off, &no, &err), 1);
	CHECK(n == 4 && memcmp(l, "last", 4) == 0 && off == 8 && no == 4);
	CHECK_INT(custos_lines__next(lr, &l, &n, &off, &no, &err), 0);
	custos_lines__free(lr);
	custos_input__close(in);
}

static void test_lines__too_long_line_names_it(void)
{
	custos_buf_t b = { 0 };
	custos_buf_adds(&b, "ok\n");
	for (int i = 0; i < 700000; i++)
		custos_buf_addc(&b, 'x');
	custos_buf_adds(&b, "\nafter\n");
	custos_input_t *in;
	CHECK_OK(custos_input__open_mem(&in, "big.ndjson", b.data, b.len));
	custos_lines_t *lr;
	custos_err_t err = { 0 };
	const char *l;
	size_t n;
	int64_t off, no;
	CHECK_OK(custos_lines__open(&lr, in, 500000));
	CHECK_INT(custos_lines__next(lr, &l, &n, &off, &no, &err), 1);
	CHECK_INT(custos_lines__next(lr, &l, &n, &off, &no, &err), CUSTOS_ETOOBIG);
	CHECK(strstr(err.msg, "big.ndjson: line 2 (byte 3)") != NULL);
	custos_lines__free(lr);
	custos_input__close(in);
	custos_buf_free(&b);
}

static void test_tree__zip_members_are_named_and_streamed(void)
{
	custos_tree_t *t;
	custos_err_t err = { 0 };
	custos_input_t *in, *in2;
	char *data;
	size_t n;
	char name[512];
	CHECK(mkdir(path_in("exp"), 0755) == 0);
	CHECK(mkdir(path_in("exp/data"), 0755) == 0);
	write_file(path_in("exp/data/tweets.js"), "window.YTD.tweets.part0 = []", 28);
	write_file(path_in("exp/data/account.js"), "acct", 4);
	sh("cd '%s/exp' && zip -q -r ../x.zip data", check_tmpdir);
	CHECK_OK(custos_tree__new(&t, path_in("x.zip"), &err));
	CHECK(!custos_tree__is_file(t));
	int64_t size = 0;
	CHECK(custos_tree__exists(t, "data/tweets.js", &size) && size == 28);
	CHECK(!custos_tree__exists(t, "data/nope.js", NULL));
	CHECK(!custos_tree__exists(t, "data", NULL));
	/* two members open at once: the second does not disturb the first */
	CHECK_OK(custos_tree__open(t, "data/tweets.js", &in, &err));
	CHECK_OK(custos_tree__open(t, "data/account.js", &in2, &err));
	snprintf(name, sizeof name, "%s!/data/tweets.js", path_in("x.zip"));
	CHECK_STR(in->name, name);
	CHECK_STR(in->relpath, "data/tweets.js");
	char buf[64];
	CHECK_INT(in2->read(in2, buf, sizeof buf), 4);
	CHECK_INT(in->read(in, buf, sizeof buf), 28);
	CHECK_INT(in->read(in, buf, sizeof buf), 0);
	uint8_t h1[32], h2[32];
	custos_sha256_final(&in->sha, h1);
	custos_sha256(h2, "window.YTD.tweets.part0 = []", 28);
	CHECK(memcmp(h1, h2, 32) == 0);
	custos_input__close(in);
	custos_input__close(in2);
	CHECK_OK(custos_tree__slurp(t, "data/account.js", 100, &data, &n, &err));
	CHECK(n == 4 && strcmp(data, "acct") == 0);
	free(data);
	CHECK_STATUS(custos_tree__slurp(t, "data/tweets.js", 10, &data, &n, &err), CUSTOS_ETOOBIG);
	CHECK_STATUS(custos_tree__open(t, "data/missing.js", &in, &err), CUSTOS_ENOTFOUND);
	CHECK(strstr(err.msg, "x.zip!/data/missing.js") != NULL);
	CHECK_STATUS(custos_tree__open(t, "../etc/passwd", &in, &err), CUSTOS_EINVAL);
	custos_tree__free(t);
}

static int collect(void *ctx, const char *relpath, int64_t size)
{
	custos_buf_printf(ctx, "%s=%lld;", relpath, (long long)size);
	return 0;
}

static void test_tree__folder_walk_is_sorted_and_single_file_sees_siblings(void)
{
	custos_tree_t *t;
	custos_err_t err = { 0 };
	custos_buf_t out = { 0 };
	CHECK(mkdir(path_in("d"), 0755) == 0);
	CHECK(mkdir(path_in("d/b"), 0755) == 0);
	write_file(path_in("d/b/z.txt"), "zz", 2);
	write_file(path_in("d/a.txt"), "a", 1);
	write_file(path_in("d/c.txt"), "ccc", 3);
	CHECK_OK(custos_tree__new(&t, path_in("d"), &err));
	CHECK_OK(custos_tree__each(t, collect, &out));
	CHECK_STR(out.data, "a.txt=1;b/z.txt=2;c.txt=3;");
	custos_tree__free(t);
	custos_buf_clear(&out);
	CHECK_OK(custos_tree__new(&t, path_in("d/a.txt"), &err));
	CHECK(custos_tree__is_file(t));
	CHECK_OK(custos_tree__each(t, collect, &out));
	CHECK_STR(out.data, "a.txt=1;");
	CHECK(custos_tree__exists(t, "c.txt", NULL));
	custos_tree__free(t);
	custos_buf_free(&out);
	CHECK_STATUS(custos_tree__new(&t, path_in("nope"), &err), CUSTOS_ENOTFOUND);
	CHECK(strstr(err.msg, "nope") != NULL);
}

static void test_import__ndjson_file_gives_records_with_source(void)
{
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	const char *doc = REC("x:1", "hello #news") "\n\n" REC("x:2", "second") "\n";
	write_file(path_in("a.ndjson"), doc, strlen(doc));
	CHECK_OK(custos_import_run(path_in("a.ndjson"), NULL, &sink, &err));
	CHECK_INT(s.n_records, 2);
	CHECK_INT(s.n_files, 1);
	CHECK(tsink_has(&s, "x:2", "\"offset\":113"));
	CHECK(tsink_has(&s, "x:2", "\"line\":3"));
	CHECK(tsink_has(&s, "x:1", "\"format\":\"ndjson\""));
	/* raw bytes are the line, without its newline */
	CHECK(strncmp(s.raws.data, REC("x:1", "hello #news") "\n--\n",
	              strlen(REC("x:1", "hello #news")) + 4) == 0);
	tsink_free(&s);
}

static void test_import__bad_ndjson_line_goes_to_bad_with_position(void)
{
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	const char *doc = REC("x:1", "a") "\n{\"id\": broken\n" REC("x:3", "c") "\n";
	write_file(path_in("b.ndjson"), doc, strlen(doc));
	/* the sink goes on: the rest comes in */
	CHECK_OK(custos_import_run(path_in("b.ndjson"), "ndjson", &sink, &err));
	CHECK_INT(s.n_records, 2);
	CHECK_INT(s.n_bad, 1);
	char want[4300];
	snprintf(want, sizeof want, "%s|%zu|2|", path_in("b.ndjson"), strlen(REC("x:1", "a")) + 1);
	CHECK(strncmp(s.bads.data, want, strlen(want)) == 0);
	tsink_free(&s);
	/* the sink stops: the import stops with its status, naming the place */
	sink = tsink_make(&s);
	s.bad_status = CUSTOS_EFORMAT;
	CHECK_STATUS(custos_import_run(path_in("b.ndjson"), "ndjson", &sink, &err),
	             CUSTOS_EFORMAT);
	CHECK_INT(s.n_records, 1);
	CHECK(strstr(err.msg, "b.ndjson: line 2") != NULL);
	tsink_free(&s);
}

static void test_import__non_utf8_line_is_bad_naming_the_byte(void)
{
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	const char *doc = REC("x:1", "caf\xe9") "\n";
	write_file(path_in("c.ndjson"), doc, strlen(doc));
	CHECK_OK(custos_import_run(path_in("c.ndjson"), "ndjson", &sink, &err));
	CHECK_INT(s.n_records, 0);
	CHECK_INT(s.n_bad, 1);
	/* the bad byte is the 0xe9 after "caf" */
	CHECK(strstr(s.bads.data, "c.ndjson|0|1|invalid UTF-8 at byte 101") != NULL);
	tsink_free(&s);
}

static void test_import__empty_missing_and_unknown_format(void)
{
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	write_file(path_in("e.ndjson"), "", 0);
	CHECK_OK(custos_import_run(path_in("e.ndjson"), NULL, &sink, &err));
	CHECK_OK(custos_import_run(path_in("e.ndjson"), "ndjson", &sink, &err));
	CHECK_INT(s.n_records, 0);
	CHECK_STATUS(custos_import_run(path_in("missing.ndjson"), NULL, &sink, &err),
	             CUSTOS_ENOTFOUND);
	CHECK(strstr(err.msg, "missing.ndjson") != NULL);
	CHECK_STATUS(custos_import_run(path_in("e.ndjson"), "bogus", &sink, &err), CUSTOS_EINVAL);
	CHECK(strstr(err.msg, "bogus") != NULL && strstr(err.msg, "x-archive") != NULL);
	const char *const *f = custos_import_formats();
	size_t n = 0;
	while (f[n])
		n++;
	CHECK_INT(n, 9);
	tsink_free(&s);
}

/* Permissions do not bind root: run the rest of this test (a forked child)
 * as nobody, in a temp dir nobody may write. */
static void drop_root(void)
{
	if (geteuid() != 0)
		return;
	CHECK(chmod(check_tmpdir, 0777) == 0);
	CHECK(setgid(65534) == 0 && setuid(65534) == 0);
}

static void test_import__unreadable_folder_is_eaccess(void)
{
	drop_root();
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	CHECK(mkdir(path_in("locked"), 0) == 0);
	CHECK_STATUS(custos_import_run(path_in("locked"), NULL, &sink, &err), CUSTOS_EACCESS);
	CHECK(strstr(err.msg, "locked") != NULL);
	chmod(path_in("locked"), 0755);
	tsink_free(&s);
}

static void test_import__unreadable_subfolder_is_eaccess(void)
{
	drop_root();
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	CHECK(mkdir(path_in("top"), 0755) == 0);
	CHECK(mkdir(path_in("top/sub"), 0) == 0);
	CHECK_STATUS(custos_import_run(path_in("top"), NULL, &sink, &err), CUSTOS_EACCESS);
	CHECK(strstr(err.msg, "top/sub") != NULL);
	chmod(path_in("top/sub"), 0755);
	tsink_free(&s);
}

static void test_import__folder_with_zip_and_files_imports_each(void)
{
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	const char *a = REC("x:10", "in zip") "\n", *b = REC("x:11", "plain") "\n";
	CHECK(mkdir(path_in("in"), 0755) == 0);
	CHECK(mkdir(path_in("z"), 0755) == 0);
	write_file(path_in("z/one.ndjson"), a, strlen(a));
	write_file(path_in("in/two.ndjson"), b, strlen(b));
	write_file(path_in("in/notes.txt"), "hello", 5);
	sh("cd '%s/z' && zip -q ../in/bundle.zip one.ndjson", check_tmpdir);
	CHECK_OK(custos_import_run(path_in("in"), NULL, &sink, &err));
	CHECK_INT(s.n_records, 2);
	char want[4300];
	snprintf(want, sizeof want, "\"file\":\"%s!/one.ndjson\"", path_in("in/bundle.zip"));
	CHECK(tsink_has(&s, "x:10", want));
	CHECK(s.not_taken.data && strstr(s.not_taken.data, "notes.txt|format not recognised"));
	tsink_free(&s);
}

static void test_import__same_input_gives_identical_records_twice(void)
{
	tsink_t s1, s2;
	custos_import_sink_t k1 = tsink_make(&s1), k2 = tsink_make(&s2);
	custos_err_t err = { 0 };
	const char *doc = REC("x:1", "a $ACME @bob https://example.com #t") "\n";
	write_file(path_in("r.ndjson"), doc, strlen(doc));
	CHECK_OK(custos_import_run(path_in("r.ndjson"), NULL, &k1, &err));
	CHECK_OK(custos_import_run(path_in("r.ndjson"), NULL, &k2, &err));
	CHECK(s1.records.len > 0 && s1.records.len == s2.records.len);
	CHECK(memcmp(s1.records.data, s2.records.data, s1.records.len) == 0);
	tsink_free(&s1);
	tsink_free(&s2);
}

static void sha_hex_of(char out[CUSTOS_SHA256_HEX], const char *p, size_t n)
{
	uint8_t h[CUSTOS_SHA256_LEN];
	custos_sha256(h, p, n);
	custos_hex(out, h, sizeof h);
}

static void test_import__records_carry_the_sha256_of_their_file(void)
{
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	char want[200], hex[CUSTOS_SHA256_HEX];
	/* a producer's own file_sha256 describes the producer's input, not this
	 * file: the hash of the file read replaces it */
	const char *a = "{\"id\":\"x:1\",\"platform\":\"x\",\"created_at\":\"2021-01-01T00:00:00Z\","
	                "\"author\":{\"handle\":\"acme\"},\"text\":\"a\",\"source\":{\"file\":"
	                "\"orig.json\",\"file_sha256\":\"" "0000000000000000000000000000000000000000"
	                "000000000000000000000000\"}}\n" REC("x:2", "b") "\n";
	const char *b = REC("x:3", "in a zip") "\n";
	CHECK(mkdir(path_in("h"), 0755) == 0);
	CHECK(mkdir(path_in("z"), 0755) == 0);
	write_file(path_in("h/a.ndjson"), a, strlen(a));
	write_file(path_in("z/b.ndjson"), b, strlen(b));
	sh("cd '%s/z' && zip -q ../h/b.zip b.ndjson", check_tmpdir);
	CHECK_OK(custos_import_run(path_in("h"), NULL, &sink, &err));
	CHECK_INT(s.n_records, 3);
	sha_hex_of(hex, a, strlen(a));
	snprintf(want, sizeof want, "\"file_sha256\":\"%s\"", hex);
	CHECK(tsink_has(&s, "x:1", want));
	CHECK(tsink_has(&s, "x:2", want));
	/* a member of a zip: the member's bytes, as `unzip -p` gives them */
	sha_hex_of(hex, b, strlen(b));
	snprintf(want, sizeof want, "\"file_sha256\":\"%s\"", hex);
	CHECK(tsink_has(&s, "x:3", want));
	tsink_free(&s);
	/* a like names its post in target, which survives the connector format */
	const char *l = "{\"id\":\"x:like:7:5\",\"platform\":\"x\",\"kind\":\"like\",\"created_at\":"
	                "\"2021-01-01T00:00:00Z\",\"author\":{\"handle\":\"acme\"},\"text\":\"\","
	                "\"target\":\"x:5\"}\n";
	sink = tsink_make(&s);
	write_file(path_in("l.ndjson"), l, strlen(l));
	CHECK_OK(custos_import_run(path_in("l.ndjson"), NULL, &sink, &err));
	CHECK(tsink_has(&s, "x:like:7:5", "\"kind\":\"like\""));
	CHECK(tsink_has(&s, "x:like:7:5", "\"target\":\"x:5\""));
	tsink_free(&s);
}

static void test_import__file_changed_while_read_is_an_error(void)
{
	changing_t c = { 0 };
	custos_import_sink_t sink = tsink_make(&c.s);
	custos_err_t err = { 0 };
	custos_buf_t doc = { 0 };
	sink.record = changing_record;
	sink.ctx = &c;
	/* over the line reader's first read, so the end is read after the
	 * first record */
	for (int i = 0; i < 8000; i++)
		custos_buf_printf(&doc, REC("x:%d", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") "\n",
		                  i);
	CHECK(doc.len > CUSTOS_TREE_WHOLE_MAX);   /* streamed, not read whole when opened */
	write_file(path_in("c.ndjson"), doc.data, doc.len);
	c.path = path_in("c.ndjson");
	c.at = (off_t)doc.len - 10;   /* inside the last record's text */
	CHECK_STATUS(custos_import_run(c.path, NULL, &sink, &err), CUSTOS_EIO);
	CHECK(strstr(err.msg, "c.ndjson' changed while it was imported") != NULL);
	CHECK_INT(c.s.n_records, 8000);
	custos_buf_free(&doc);
	tsink_free(&c.s);
}

static void test_import__big_zip_member_is_hashed_and_read_whole(void)
{
	tsink_t s;
	custos_import_sink_t sink = tsink_make(&s);
	custos_err_t err = { 0 };
	custos_buf_t doc = { 0 };
	char want[200], hex[CUSTOS_SHA256_HEX];
	/* over the line reader's first read: the rest of the member is
	 * inflated once, to hash it, and read from there */
	for (int i = 0; i < 8000; i++)
		custos_buf_printf(&doc, REC("x:%d", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb") "\n",
		                  i);
	CHECK(doc.len > CUSTOS_TREE_WHOLE_MAX);   /* streamed, not inflated whole when opened */
	CHECK(mkdir(path_in("bz"), 0755) == 0);
	write_file(path_in("bz/big.ndjson"), doc.data, doc.len);
	sh("cd '%s/bz' && zip -q ../big.zip big.ndjson", check_tmpdir);
	CHECK_OK(custos_import_run(path_in("big.zip"), NULL, &sink, &err));
	CHECK_INT(s.n_records, 8000);
	sha_hex_of(hex, doc.data, doc.len);
	snprintf(want, sizeof want, "\"file_sha256\":\"%s\"", hex);
	CHECK(tsink_has(&s, "x:0", want));
	CHECK(tsink_has(&s, "x:7999", want));
	CHECK(tsink_has(&s, "x:7999", "\"text\":\"bbbb"));
	custos_buf_free(&doc);
	tsink_free(&s);
}

static void test_jv__parses_strict_json_into_the_arena(void)
{
	custos_arena_t a = { 0 };
	custos_jv_err_t e;
	const char *doc = " {\"a\": [1, -2.5e3, \"x\\u00e9\\ud83d\\ude00\\n\", true, null],"
	                  " \"id\": 1234567890123456789012, \"k\": \"first\", \"k\": \"last\", \"o\": {}} ";
	custos_jv_t *v = custos_jv__parse(&a, doc, strlen(doc), &e), *m;
	size_t i;
	CHECK(v && custos_jv__is_obj(v));
	CHECK_INT(custos_jv__len(v), 5);
	CHECK_INT(custos_jv__len(custos_jv__get(v, "a")), 5);
	CHECK(custos_jv__is_int(custos_jv__at(custos_jv__get(v, "a"), 0)));
	CHECK(!custos_jv__is_int(custos_jv__at(custos_jv__get(v, "a"), 1)));
	CHECK_INT(custos_jv__int(custos_jv__at(custos_jv__get(v, "a"), 1)), -2);
	CHECK_STR(custos_jv__str(custos_jv__at(custos_jv__get(v, "a"), 2)),
	          "x\xc3\xa9\xf0\x9f\x98\x80\n");
	CHECK(custos_jv__at(custos_jv__get(v, "a"), 3)->type == CUSTOS_JV_TRUE);
	CHECK(custos_jv__at(custos_jv__get(v, "a"), 5) == NULL);
	/* big ids keep their digits */
	CHECK_STR(custos_jv__get(v, "id")->s, "1234567890123456789012");
	/* a key twice: the last wins, as in jansson */
	CHECK_STR(custos_jv__str(custos_jv__get(v, "k")), "last");
	CHECK_STR(custos_jv__first_key(v), "a");
	i = 0;
	custos_jv__foreach(custos_jv__get(v, "a"), i, m)
		;
	CHECK_INT(i, 5);
	CHECK(custos_jv__get(v, "missing") == NULL && custos_jv__get(NULL, "a") == NULL);
	custos_arena_free(&a);
}

static void test_jv__refuses_what_is_not_json_with_its_position(void)
{
	static const struct { const char *in; long pos; } bad[] = {
		{ "{\"a\":1,}", 7 }, { "[1 2]", 3 }, { "{\"a\" 1}", 5 }, { "\"tab\there\"", 4 },
		{ "[01]", 2 }, { "[1.]", 1 }, { "[-]", 1 }, { "\"\\x\"", 1 }, { "\"\\ud800\"", 1 },
		{ "\"\\u0000\"", 1 }, { "tru", 0 }, { "{\"a\":1} x", 8 }, { "{\"a\":\"unterminated", 18 },
		{ "", 0 }, { "[oops]", 1 },
	};
	custos_arena_t a = { 0 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		custos_jv_err_t e = { "", -1 };
		custos_jv_t *v = custos_jv__parse(&a, bad[i].in, strlen(bad[i].in), &e);
		if (v || e.position != bad[i].pos)
			printf("  case %zu: %s: position %lld (%s)\n", i, bad[i].in, (long long)e.position,
			       e.text);
		CHECK(v == NULL);
		CHECK_INT(e.position, bad[i].pos);
		CHECK(e.text[0] != 0);
	}
	/* nesting has a limit instead of a stack overflow */
	custos_buf_t deep = { 0 };
	for (int i = 0; i < 100000; i++)
		custos_buf_addc(&deep, '[');
	custos_jv_err_t e;
	CHECK(custos_jv__parse(&a, deep.data, deep.len, &e) == NULL);
	CHECK(strstr(e.text, "nesting too deep") != NULL);
	custos_buf_free(&deep);
	custos_arena_free(&a);
}

CHECK_MAIN(CHECK_CASE(test_jsonscan__ytd_prefix_gives_exact_element_bytes),
           CHECK_CASE(test_jv__parses_strict_json_into_the_arena),
           CHECK_CASE(test_jv__refuses_what_is_not_json_with_its_position),
           CHECK_CASE(test_jsonscan__duplicate_key_last_wins_when_selected),
           CHECK_CASE(test_jsonscan__nested_path_and_single_value),
           CHECK_CASE(test_jsonscan__sequence_and_truncated_last_value),
           CHECK_CASE(test_jsonscan__stray_closing_bracket_is_an_element_not_a_hang),
           CHECK_CASE(test_jsonscan__elements_across_refills_stay_whole),
           CHECK_CASE(test_jsonscan__garbage_between_elements_names_position),
           CHECK_CASE(test_lines__offsets_crlf_and_last_line_without_newline),
           CHECK_CASE(test_lines__too_long_line_names_it),
           CHECK_CASE(test_tree__zip_members_are_named_and_streamed),
           CHECK_CASE(test_tree__folder_walk_is_sorted_and_single_file_sees_siblings),
           CHECK_CASE(test_import__ndjson_file_gives_records_with_source),
           CHECK_CASE(test_import__bad_ndjson_line_goes_to_bad_with_position),
           CHECK_CASE(test_import__non_utf8_line_is_bad_naming_the_byte),
           CHECK_CASE(test_import__empty_missing_and_unknown_format),
           CHECK_CASE(test_import__unreadable_folder_is_eaccess),
           CHECK_CASE(test_import__unreadable_subfolder_is_eaccess),
           CHECK_CASE(test_import__folder_with_zip_and_files_imports_each),
           CHECK_CASE(test_import__same_input_gives_identical_records_twice),
           CHECK_CASE(test_import__records_carry_the_sha256_of_their_file),
           CHECK_CASE(test_import__file_changed_while_read_is_an_error),
           CHECK_CASE(test_import__big_zip_member_is_hashed_and_read_whole))
