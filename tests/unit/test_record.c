#include "check.h"

static const char sample[] =
	"{\"id\":\"x:1\",\"platform\":\"x\",\"created_at\":\"2020-01-02T03:04:05Z\","
	"\"author\":{\"handle\":\"acme\",\"name\":\"Acme Inc\"},\"text\":\"hello \\\"world\\\"\\n\","
	"\"media\":[{\"type\":\"image/png\",\"size\":12,\"name\":\"a.png\"}],\"lang\":\"en\"}";

static void test_record__from_json_reads_required_and_optional_fields(void)
{
	custos_record_t r;
	custos_err_t err = { 0 };
	custos_record_init(&r);
	CHECK_OK(custos_record_from_json(&r, sample, strlen(sample), &err));
	CHECK_STR(r.id, "x:1");
	CHECK_STR(r.author_handle, "acme");
	CHECK_STR(r.author_name, "Acme Inc");
	CHECK_STR(r.text, "hello \"world\"\n");
	CHECK_INT(r.created_at, 1577934245000LL);
	CHECK_INT(r.n_media, 1);
	CHECK_INT(r.media[0].size, 12);
	CHECK_INT(r.raw_len, strlen(sample));
	CHECK(memcmp(r.raw, sample, r.raw_len) == 0);
	CHECK_OK(custos_record_validate(&r, &err));
	custos_record_free(&r);
}

static void test_record__canonical_json_is_stable_and_hash_ignores_capture(void)
{
	custos_record_t a, b;
	custos_buf_t ja = { 0 }, jb = { 0 };
	custos_err_t err = { 0 };
	custos_record_init(&a);
	custos_record_init(&b);
	CHECK_OK(custos_record_from_json(&a, sample, strlen(sample), &err));
	CHECK_OK(custos_record_to_json(&a, CUSTOS_JSON_FULL, &ja));
	CHECK_OK(custos_record_from_json(&b, ja.data, ja.len, &err));
	CHECK_OK(custos_record_to_json(&b, CUSTOS_JSON_FULL, &jb));
	CHECK_STR(ja.data, jb.data);
	CHECK_OK(custos_record_hash(&a));
	b.captured_at = 5;
	CHECK_OK(custos_record_sets(&b, &b.source.file, "other.ndjson"));
	CHECK_OK(custos_record_hash(&b));
	CHECK_STR(a.content_sha256, b.content_sha256);
	CHECK_OK(custos_record_sets(&b, &b.text, "hello world, edited"));
	CHECK_OK(custos_record_hash(&b));
	CHECK(strcmp(a.content_sha256, b.content_sha256) != 0);
	custos_buf_free(&ja);
	custos_buf_free(&jb);
	custos_record_free(&a);
	custos_record_free(&b);
}

static void expect_bad(const char *json, const char *want)
{
	custos_record_t r;
	custos_err_t err = { 0 };
	custos_record_init(&r);
	int st = custos_record_from_json(&r, json, strlen(json), &err);
	if (st == CUSTOS_OK)
		st = custos_record_validate(&r, &err);
	CHECK_STATUS(st, CUSTOS_EFORMAT);
	if (!strstr(err.msg, want))
		check__fail(__FILE__, __LINE__, "message '%s' lacks '%s'", err.msg, want);
	custos_record_free(&r);
}

static void test_record__bad_records_say_what_is_wrong(void)
{
	expect_bad("{\"id\":\"x:1\"", "invalid JSON at byte");
	expect_bad("[1]", "must be a JSON object");
	expect_bad("{\"id\":\"x:1\",\"platform\":\"x\",\"text\":\"t\",\"author\":{\"handle\":\"a\"}}",
	           "created_at");
	expect_bad("{\"id\":\"y:1\",\"platform\":\"x\",\"created_at\":\"2020-01-01\",\"text\":\"t\","
	           "\"author\":{\"handle\":\"a\"}}", "must be 'x:<native id>'");
	expect_bad("{\"id\":\"x:1\",\"platform\":\"x\",\"created_at\":\"soon\",\"text\":\"t\","
	           "\"author\":{\"handle\":\"a\"}}", "cannot parse time");
	expect_bad("{\"id\":\"x:1\",\"id\":\"x:2\"}", "duplicate");
	expect_bad("{\"id\":\"x:1\",\"platform\":\"x\",\"created_at\":\"2020-01-01\",\"text\":5,"
	           "\"author\":{\"handle\":\"a\"}}", "'text' must be a string");
}

static void test_record__arena_lists_grow(void)
{
	custos_record_t r;
	custos_record_init(&r);
	char tag[16];
	for (int i = 0; i < 100; i++) {
		snprintf(tag, sizeof tag, "t%d", i);
		CHECK_OK(custos_record_strv_add(&r, &r.hashtags, tag, strlen(tag)));
	}
	CHECK_INT(r.hashtags.n, 100);
	CHECK_STR(r.hashtags.v[0], "t0");
	CHECK_STR(r.hashtags.v[99], "t99");
	for (int i = 0; i < 9; i++)
		CHECK(custos_record_media_add(&r) != NULL);
	CHECK_INT(r.n_media, 9);
	CHECK_INT(r.media[8].size, -1);
	custos_record_reset(&r);
	CHECK_INT(r.hashtags.n, 0);
	custos_record_free(&r);
}

/* The one-shot hash and the incremental one give the standard's digests
 * (FIPS 180-2 test vectors), whatever path libcrypto takes for each. */
static void test_record__sha256_gives_the_standard_digests(void)
{
	static const char *const msgs[] = {
		"", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq" };
	static const char *const want[] = {
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" };
	uint8_t d[CUSTOS_SHA256_LEN];
	char hex[CUSTOS_SHA256_HEX];
	for (size_t i = 0; i < 3; i++) {
		custos_sha256(d, msgs[i], strlen(msgs[i]));
		custos_hex(hex, d, sizeof d);
		CHECK_STR(hex, want[i]);
		custos_sha256_ctx_t c;
		custos_sha256_init(&c);
		for (size_t j = 0; j < strlen(msgs[i]); j++)
			custos_sha256_update(&c, msgs[i] + j, 1);
		custos_sha256_final(&c, d);
		custos_hex(hex, d, sizeof d);
		CHECK_STR(hex, want[i]);
	}
}

/* The batch arena: records copied into one shared arena read back as the
 * originals, their own arenas untouched; a line parsed without its UTF-8
 * check points at the line for its raw bytes, and the copy owns them. */
static void test_record__copies_share_one_arena(void)
{
	custos_record_t src, dst[2];
	custos_arena_t shared = { 0 };
	custos_buf_t a = { 0 }, b = { 0 };
	custos_err_t err = { 0 };
	char line[sizeof sample];
	memcpy(line, sample, sizeof sample);
	custos_record_init(&src);
	custos_record_init(&dst[0]);
	custos_record_init(&dst[1]);
	CHECK_OK(custos_record_from_json_utf8(&src, line, strlen(line), &err));
	CHECK(src.raw == line);
	CHECK_OK(custos_record_to_json(&src, CUSTOS_JSON_FULL, &a));
	for (int i = 0; i < 2; i++) {
		CHECK_OK(custos_record_copy_into(&dst[i], &src, &shared));
		CHECK(dst[i].arena.head == NULL);
	}
	memset(line, 'x', strlen(line));   /* the line's buffer reused */
	for (int i = 0; i < 2; i++) {
		b.len = 0;
		CHECK_OK(custos_record_to_json(&dst[i], CUSTOS_JSON_FULL, &b));
		CHECK_STR(b.data, a.data);
		CHECK_INT(dst[i].raw_len, strlen(sample));
		CHECK(memcmp(dst[i].raw, sample, dst[i].raw_len) == 0);
	}
	CHECK(dst[0].text != dst[1].text && dst[0].raw != dst[1].raw);
	custos_buf_free(&a);
	custos_buf_free(&b);
	custos_record_free(&src);
	custos_record_free(&dst[0]);
	custos_record_free(&dst[1]);
	custos_arena_free(&shared);
}

/* custos_json_plain (16 or 8 bytes at a time) stops where the byte loop
 * does, and strings written with it read back as they were, on random
 * text heavy in quotes, backslashes, control characters and UTF-8. */
static void test_record__json_strings_scan_as_bytewise(void)
{
	static const char special[] = "\"\\\n\x1f\x20\x21\x5b\x5d\x7f\x01";
	unsigned seed = 7;
	char buf[80];
	custos_buf_t out = { 0 };
	for (int it = 0; it < 20000; it++) {
		size_t n = (seed = seed * 1103515245u + 12345u) >> 16 & 63;
		for (size_t i = 0; i < n; i++) {
			unsigned r = (seed = seed * 1103515245u + 12345u) >> 16;
			buf[i] = r % 8 < 5 ? (char)('a' + r / 8 % 26)
			       : r % 8 == 5 ? special[r / 8 % (sizeof special - 1)]
			       : r % 8 == 6 ? "\xc3\xa9\xe2\x82\xac"[r / 8 % 5] : (char)(r / 8 % 256);
		}
		for (size_t s = 0; s <= n; s++) {
			const char *q = buf + s;
			while (q < buf + n && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
				q++;
			CHECK(custos_json_plain(buf + s, buf + n) == q);
		}
		/* as text without NUL, written and read back through a record */
		for (size_t i = 0; i < n; i++)
			if (!buf[i] || (unsigned char)buf[i] >= 0x80)
				buf[i] = 'z';
		out.len = 0;
		CHECK_OK(custos_buf_add_json_str(&out, buf, n));
		custos_record_t r;
		custos_err_t err = { 0 };
		custos_buf_t line = { 0 };
		custos_buf_printf(&line, "{\"id\":\"x:1\",\"platform\":\"x\",\"created_at\":"
		                  "\"2020-01-02T03:04:05Z\",\"author\":{\"handle\":\"a\"},\"text\":%s}",
		                  out.data);
		custos_record_init(&r);
		CHECK_OK(custos_record_from_json(&r, line.data, line.len, &err));
		CHECK_INT(strlen(r.text), n);
		CHECK(memcmp(r.text, buf, n) == 0);
		custos_record_free(&r);
		custos_buf_free(&line);
	}
	custos_buf_free(&out);
}

/* The JSON string escaper against the plain rule, byte by byte: on every
 * byte value, at every position of the 8-byte words it reads, in strings
 * of every length up to 40 and in long random ones. */
static void escape_ref(custos_buf_t *b, const char *s, size_t n)
{
	custos_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"')
			custos_buf_adds(b, "\\\"");
		else if (c == '\\')
			custos_buf_adds(b, "\\\\");
		else if (c == '\n')
			custos_buf_adds(b, "\\n");
		else if (c == '\r')
			custos_buf_adds(b, "\\r");
		else if (c == '\t')
			custos_buf_adds(b, "\\t");
		else if (c == '\b')
			custos_buf_adds(b, "\\b");
		else if (c == '\f')
			custos_buf_adds(b, "\\f");
		else if (c < 0x20)
			custos_buf_printf(b, "\\u%04x", c);
		else
			custos_buf_addc(b, (char)c);
	}
	custos_buf_addc(b, '"');
}

static void test_record__json_strings_escape_as_the_plain_rule_says(void)
{
	custos_buf_t got = { 0 }, want = { 0 };
	char s[4096];
	uint32_t seed = 12345;
	for (int c = 0; c < 256; c++)
		for (size_t len = 1; len <= 40; len++)
			for (size_t at = 0; at < len; at += 3) {
				for (size_t i = 0; i < len; i++)
					s[i] = (char)('a' + i % 26);
				s[at] = (char)c;
				custos_buf_clear(&got);
				custos_buf_clear(&want);
				custos_buf_adds(&got, "x");
				custos_buf_adds(&want, "x");
				CHECK_OK(custos_buf_add_json_str(&got, s, len));
				escape_ref(&want, s, len);
				CHECK_INT(got.len, want.len);
				CHECK(!memcmp(got.data, want.data, want.len));
			}
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(round * 7) % sizeof s;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) & 0xff;
			/* mostly printable, with quotes, backslashes, controls and high bytes */
			s[i] = (char)(r < 200 ? 0x20 + r % 95 : r);
		}
		custos_buf_clear(&got);
		custos_buf_clear(&want);
		CHECK_OK(custos_buf_add_json_str(&got, s, len));
		escape_ref(&want, s, len);
		CHECK_INT(got.len, want.len);
		CHECK(!memcmp(got.data, want.data, want.len));
		CHECK_INT(got.data[got.len], 0);
	}
	custos_buf_free(&got);
	custos_buf_free(&want);
}

/* The full form made from the stored form is the full form. */
static void test_record__full_json_from_the_stored_form_is_the_full_form(void)
{
	static const char *const recs[] = {
		sample,
		"{\"id\":\"x:2\",\"platform\":\"x\",\"created_at\":\"2021-01-02T03:04:05Z\","
		"\"author\":{\"handle\":\"b\"},\"text\":\"t\",\"source\":{\"format\":\"ndjson\","
		"\"file\":\"a \\\"b\\\".ndjson\",\"offset\":12,\"line\":3},\"custodian\":\"Legal\"}",
	};
	custos_err_t err;
	for (size_t k = 0; k < sizeof recs / sizeof recs[0]; k++)
		for (int tail = 0; tail < 2; tail++) {
			custos_record_t r;
			custos_buf_t full = { 0 }, store = { 0 }, got = { 0 };
			custos_record_init(&r);
			CHECK_OK(custos_record_from_json(&r, recs[k], strlen(recs[k]), &err));
			r.captured_at = 1700000000123;
			if (tail) {
				r.version = 3;
				r.seq = 12345678901ull;
				CHECK_OK(custos_record_hash(&r));
			}
			CHECK_OK(custos_record_to_json(&r, CUSTOS_JSON_FULL, &full));
			CHECK_OK(custos_record_to_json(&r, CUSTOS_JSON_STORE, &store));
			custos_buf_adds(&got, "x");
			CHECK_OK(custos_record_to_json_full_from(&r, store.data, store.len, &got));
			CHECK_STR(got.data + 1, full.data);
			CHECK(custos_record_to_json_full_from(&r, "x", 1, &got) == CUSTOS_EINVAL);
			custos_buf_free(&full);
			custos_buf_free(&store);
			custos_buf_free(&got);
			custos_record_free(&r);
		}
}

CHECK_MAIN(CHECK_CASE(test_record__from_json_reads_required_and_optional_fields),
           CHECK_CASE(test_record__json_strings_escape_as_the_plain_rule_says),
           CHECK_CASE(test_record__full_json_from_the_stored_form_is_the_full_form),
           CHECK_CASE(test_record__sha256_gives_the_standard_digests),
           CHECK_CASE(test_record__canonical_json_is_stable_and_hash_ignores_capture),
           CHECK_CASE(test_record__bad_records_say_what_is_wrong),
           CHECK_CASE(test_record__arena_lists_grow),
           CHECK_CASE(test_record__copies_share_one_arena),
           CHECK_CASE(test_record__json_strings_scan_as_bytewise))
