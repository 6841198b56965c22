/* The connector-format parser against jansson, an independent JSON parser:
 * both must accept and refuse the same texts (custos also refuses \u0000). */
#include "check.h"

#include <jansson.h>
#include <stdlib.h>

static const char base[] =
	"{\"id\":\"x:1\",\"platform\":\"x\",\"created_at\":\"2020-01-02T03:04:05Z\","
	"\"author\":{\"handle\":\"acme\",\"id\":12345},\"text\":\"h\\u00e9llo \\ud83d\\ude00 \\\"q\\\"\","
	"\"extra\":{\"a\":[1,2.5e3,-0.1,true,false,null,{\"b\":\"c\"}],\"n\":null},"
	"\"media\":[{\"type\":\"image/png\",\"size\":12}],\"hashtags\":[\"x\",\"y\"]}";

/* 1 when jansson takes text as a JSON object without duplicate keys */
static int jansson_accepts(const char *text, size_t n)
{
	json_t *o = json_loadb(text, n, JSON_REJECT_DUPLICATES, NULL);
	int ok = o && json_is_object(o);
	json_decref(o);
	return ok;
}

static int custos_accepts(const char *text, size_t n)
{
	custos_record_t r;
	custos_err_t err = { 0 };
	custos_record_init(&r);
	int st = custos_record_from_json(&r, text, n, &err);
	custos_record_free(&r);
	if (st != CUSTOS_OK && st != CUSTOS_EFORMAT)
		check__fail(__FILE__, __LINE__, "unexpected status %d", st);
	/* a wrong type or an unreadable time in a known field is not a syntax
	 * error: jansson would take it, so only syntax verdicts are compared */
	if (st == CUSTOS_EFORMAT && strncmp(err.msg, "invalid JSON", 12) != 0 &&
	    strcmp(err.msg, "a record must be a JSON object") != 0)
		return -1;
	return st == CUSTOS_OK;
}

static void test_record_parse__fields_decode_like_jansson(void)
{
	custos_record_t r;
	custos_err_t err = { 0 };
	custos_record_init(&r);
	CHECK_OK(custos_record_from_json(&r, base, strlen(base), &err));
	json_t *o = json_loads(base, 0, NULL);
	CHECK(o != NULL);
	CHECK_STR(r.text, json_string_value(json_object_get(o, "text")));
	CHECK_STR(r.author_id, "12345");
	CHECK_INT(r.media[0].size, 12);
	CHECK_INT(r.hashtags.n, 2);
	CHECK_STR(r.hashtags.v[1], "y");
	json_decref(o);
	custos_record_free(&r);
}

static void test_record_parse__tricky_texts_get_the_same_verdict(void)
{
	static const char *cases[] = {
		"{}", "{\"a\":1}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":-}", "{\"a\":1.}",
		"{\"a\":1e}", "{\"a\":1e+5}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}",
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\\ud800\"}", "{\"a\":\"\\ud83d\\ude00\"}",
		"{\"a\":[1,2,]}", "{\"a\":[}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":{\"b\":{}}}",
		"{\"a\":1}x", "{\"a\":1} ", " {\"a\":1}", "{\"a\":\"tab\there\"}", "{\"a\":1,\"a\":2}",
		"{\"x\":{\"a\":1,\"a\":2}}", "{\"\\u0061\":1,\"a\":2}", "[1]", "\"s\"", "",
		"{\"a\":[[[[[[[[[[1]]]]]]]]]]}", "{\"id\":\"x:1\",\"text\":null}",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *t = cases[i];
		int c = custos_accepts(t, strlen(t)), j = jansson_accepts(t, strlen(t));
		if (c >= 0 && c != j)
			check__fail(__FILE__, __LINE__, "case %zu '%s': custos %d, jansson %d", i, t, c, j);
	}
}

static void test_record_parse__mutations_get_the_same_verdict(void)
{
	static const char alphabet[] = "{}[]\":,\\0123456789.eE+-tfnu \x7f" "\xc3\xa9" "ab";
	size_t n = strlen(base), disagreements = 0, rejected = 0;
	char *buf = malloc(n + 8);
	srand(12345);
	for (int round = 0; round < 20000; round++) {
		memcpy(buf, base, n);
		size_t len = n;
		for (int k = 0, edits = 1 + rand() % 3; k < edits; k++) {
			size_t at = (size_t)rand() % len;
			switch (rand() % 3) {
			case 0: buf[at] = alphabet[rand() % (sizeof alphabet - 1)]; break;
			case 1: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;
			default:
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = alphabet[rand() % (sizeof alphabet - 1)];
				len++;
			}
		}
		if (custos_utf8_check(buf, len) != len)
			continue;  /* both refuse invalid UTF-8; not the point here */
		int c = custos_accepts(buf, len), j = jansson_accepts(buf, len);
		if (c < 0)
			continue;
		if (!c)
			rejected++;
		if (c != j && !(memmem(buf, len, "\\u0000", 6) && !c)) {
			if (disagreements++ < 5)
				printf("  disagree (custos %d, jansson %d): %.*s\n", c, j, (int)len, buf);
		}
	}
	free(buf);
	CHECK_INT(disagreements, 0);
	CHECK(rejected > 1000);   /* the mutations did break things */
}

CHECK_MAIN(CHECK_CASE(test_record_parse__fields_decode_like_jansson),
           CHECK_CASE(test_record_parse__tricky_texts_get_the_same_verdict),
           CHECK_CASE(test_record_parse__mutations_get_the_same_verdict))
