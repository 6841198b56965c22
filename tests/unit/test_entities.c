/* Entity extraction: the twitter-text conformance cases (extract.yml and
 * tlds.yml from ../shared/fixtures/twitter-text-conformance, read at run time
 * as its README asks) and a few cases of our own that need no fixtures. */
#include "check.h"

#include <stdlib.h>
#include <time.h>
#include <yaml.h>

typedef struct {
	int kind;
	size_t start, end;
} ent_t;

typedef struct {
	ent_t v[512];
	size_t n;
} ents_t;

static int collect(int kind, const char *text, size_t start, size_t end, void *ctx)
{
	ents_t *e = ctx;
	if (e->n < sizeof e->v / sizeof e->v[0])
		e->v[e->n++] = (ent_t){ kind, start, end };
	return 0;
}

static ents_t extract(const char *text)
{
	ents_t e = { .n = 0 };
	CHECK_OK(custos_extract(text, collect, &e));
	return e;
}

/* twitter-text counts offsets in UTF-16 code units; custos in bytes */
static size_t utf16_offset(const char *t, size_t off)
{
	size_t u = 0;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)t[i];
		if ((c & 0xC0) != 0x80)
			u += c >= 0xF0 ? 2 : 1;
	}
	return u;
}

static size_t sign_len(const char *s) { return (unsigned char)s[0] == 0xEF ? 3 : 1; }

/* ---------------------------------------------------------------------------
 * Cases of our own
 */

/* The entities of kind in text, sign stripped, joined with '|'. */
static const char *list(const char *text, int kind)
{
	static char out[1024];
	ents_t e = extract(text);
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < e.n; i++) {
		if (e.v[i].kind != kind)
			continue;
		size_t s = e.v[i].start + (kind == CUSTOS_ENTITY_URL ? 0 : sign_len(text + e.v[i].start));
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", o ? "|" : "",
		                      (int)(e.v[i].end - s), text + s);
	}
	return out;
}

static void test_entities__ascii_text(void)
{
	const char *t = "Hi @alice, see #Custos at https://example.com/a?b=1 or $AAPL.";
	ents_t e = extract(t);
	CHECK_INT(e.n, 4);
	CHECK_INT(e.v[0].kind, CUSTOS_ENTITY_MENTION);
	CHECK_INT(e.v[0].start, 3);
	CHECK_INT(e.v[0].end, 9);
	CHECK_INT(e.v[1].kind, CUSTOS_ENTITY_HASHTAG);
	CHECK_INT(e.v[1].start, 15);
	CHECK_INT(e.v[1].end, 22);
	CHECK_STR(list(t, CUSTOS_ENTITY_URL), "https://example.com/a?b=1");
	CHECK_STR(list(t, CUSTOS_ENTITY_CASHTAG), "AAPL");
}

static void test_entities__japanese_hashtag_byte_offsets(void)
{
	const char *t = "会議中 #日本語ハッシュタグ。";
	ents_t e = extract(t);
	CHECK_INT(e.n, 1);
	CHECK_INT(e.v[0].kind, CUSTOS_ENTITY_HASHTAG);
	CHECK_INT(e.v[0].start, 10);                       /* 3 characters of 3 bytes and a space */
	CHECK_INT(e.v[0].end, 10 + 1 + 9 * 3);
	CHECK_STR(list("＃ｈａｓｈｔａｇ１２３ #१२३४", CUSTOS_ENTITY_HASHTAG), "ｈａｓｈｔａｇ１２３");
}

static void test_entities__url_drops_trailing_period(void)
{
	CHECK_STR(list("Read http://example.com/path. Then go.", CUSTOS_ENTITY_URL),
	          "http://example.com/path");
	CHECK_STR(list("see example.org.", CUSTOS_ENTITY_URL), "example.org");
	CHECK_STR(list("(see https://en.wikipedia.org/wiki/Primer_(film))", CUSTOS_ENTITY_URL),
	          "https://en.wikipedia.org/wiki/Primer_(film)");
}

static void test_entities__mail_address_is_no_mention(void)
{
	CHECK_STR(list("write to alice@example.com today", CUSTOS_ENTITY_MENTION), "");
	CHECK_STR(list("write to alice@example.com today", CUSTOS_ENTITY_URL), "");
	CHECK_STR(list("cc @bob@example.com and @carol", CUSTOS_ENTITY_MENTION), "carol");
}

static void test_entities__cashtags(void)
{
	CHECK_STR(list("$AAPL up, $GOOG.L flat, $TOOLONGX and x$MSFT not", CUSTOS_ENTITY_CASHTAG),
	          "AAPL|GOOG.L");
}

static void test_entities__overlap_keeps_the_earlier_entity(void)
{
	/* the hashtag is part of the URL */
	const char *t = "http://twitter.com/#hashtag";
	ents_t e = extract(t);
	CHECK_INT(e.n, 1);
	CHECK_INT(e.v[0].kind, CUSTOS_ENTITY_URL);
	CHECK_INT(e.v[0].end, strlen(t));
}

/* Behaviour of twitter-text's regexes that its conformance cases do not
 * show, checked against the twitter-text 3.1.0 package. */
static void test_entities__follows_twitter_text_quirks(void)
{
	/* a parenthesised group ends a path only where the path so far ends */
	CHECK_STR(list("see a.com/~(org) and b.com/a(org)", CUSTOS_ENTITY_URL), "a.com/|b.com/a(org)");
	/* the regex tries the first character as the one before a URL first */
	CHECK_STR(list("\xC4\xB1" "ab12.com/x", CUSTOS_ENTITY_URL), "ab12.com/x");
	/* after an emoji: JavaScript splits it into two UTF-16 units */
	CHECK_STR(list("\xE3\x83\xBCt.co/\xF0\x9F\x98\x80.uk.co", CUSTOS_ENTITY_URL), "t.co/|uk.co");
	CHECK_STR(list("a\xF0\x9F\x98\x80.uk.co", CUSTOS_ENTITY_URL), "uk.co");
	CHECK_STR(list("a@b.com x@y.co", CUSTOS_ENTITY_URL), "");
	CHECK_STR(list("$TEST.ABC $AB.C1", CUSTOS_ENTITY_CASHTAG), "TEST|AB");
	/* a longer name yields its first 20 characters */
	CHECK_STR(list("@abcdefghijklmnopqrstuvwxyz", CUSTOS_ENTITY_MENTION), "abcdefghijklmnopqrst");
	CHECK_STR(list("#a#b ##c", CUSTOS_ENTITY_HASHTAG), "c");
	CHECK_STR(list("RT:@x rt@y .rt@z", CUSTOS_ENTITY_MENTION), "x|y");
}

static int stop_at_first(int kind, const char *text, size_t start, size_t end, void *ctx)
{
	(*(int *)ctx)++;
	return 42;
}

static void test_entities__callback_can_stop(void)
{
	int calls = 0;
	CHECK_INT(custos_extract("#a #b #c", stop_at_first, &calls), 42);
	CHECK_INT(calls, 1);
	CHECK_STATUS(custos_extract(NULL, stop_at_first, &calls), CUSTOS_EINVAL);
}

static void test_entities__invalid_utf8_never_forms_entities(void)
{
	/* a lone continuation byte and a truncated sequence around real entities */
	const char *t = "\x80#tag \xE6\x97 @user \xF0\x9F";
	CHECK_STR(list(t, CUSTOS_ENTITY_HASHTAG), "tag");
	CHECK_STR(list(t, CUSTOS_ENTITY_MENTION), "user");
	CHECK_STR(list("#\xC3", CUSTOS_ENTITY_HASHTAG), "");
}

static void test_entities__record_lists_strip_signs_and_duplicates(void)
{
	custos_record_t r;
	custos_record_init(&r);
	CHECK_OK(custos_extract_entities(&r,
		"#Custos and #custos, ＃全角 @Alice @alice/staff @bob $aapl $AAPL "
		"t.co/AbC t.co/abc t.co/AbC"));
	CHECK_INT(r.hashtags.n, 2);
	CHECK_STR(r.hashtags.v[0], "Custos");
	CHECK_STR(r.hashtags.v[1], "全角");
	CHECK_INT(r.mentions.n, 2);
	CHECK_STR(r.mentions.v[0], "Alice");
	CHECK_STR(r.mentions.v[1], "bob");
	CHECK_INT(r.cashtags.n, 1);
	CHECK_STR(r.cashtags.v[0], "aapl");
	CHECK_INT(r.urls.n, 2);
	CHECK_STR(r.urls.v[0], "t.co/AbC");
	CHECK_STR(r.urls.v[1], "t.co/abc");
	/* appending again adds nothing, whatever the case, in any script */
	CHECK_OK(custos_extract_entities(&r, "#CUSTOS @BOB"));
	CHECK_INT(r.hashtags.n, 2);
	CHECK_OK(custos_extract_entities(&r, "#\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 "
	                                     "#\xD0\xBC\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 "
	                                     "#Caf\xC3\xA9 #CAF\xC3\x89 #caf"));
	CHECK_INT(r.hashtags.n, 5);
	CHECK_STR(r.hashtags.v[2], "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0");   /* Москва */
	CHECK_STR(r.hashtags.v[3], "Caf\xC3\xA9");
	CHECK_STR(r.hashtags.v[4], "caf");
	CHECK_INT(r.mentions.n, 2);
	custos_record_free(&r);
}

/* The ingest path: a record whose source gives no entity lists gets them
 * from its text. */
static void test_entities__record_derive_fills_entities_from_text(void)
{
	custos_record_t r;
	custos_record_init(&r);
	CHECK_OK(custos_record_sets(&r, &r.text, "RT @acme: #Launch day, details at acme.com/launch. $ACME"));
	CHECK_OK(custos_record_derive(&r));
	CHECK_INT(r.mentions.n, 1);
	CHECK_STR(r.mentions.v[0], "acme");
	CHECK_INT(r.hashtags.n, 1);
	CHECK_STR(r.hashtags.v[0], "Launch");
	CHECK_INT(r.urls.n, 1);
	CHECK_STR(r.urls.v[0], "acme.com/launch");
	CHECK_INT(r.cashtags.n, 1);
	CHECK_STR(r.cashtags.v[0], "ACME");
	custos_record_free(&r);
}

static void test_entities__reply_target(void)
{
	size_t s, e;
	CHECK(custos_extract_reply("\xE3\x80\x80@user hi", &s, &e));
	CHECK_INT(s, 3);
	CHECK_INT(e, 8);
	CHECK(!custos_extract_reply("a @user hi", &s, &e));
	CHECK(!custos_extract_reply("@http://x.com", &s, &e));
}

/* Time per call on a typical 200-byte post, printed for the record (make
 * bench has the figures; a test asserts no timing). */
static void test_entities__extraction_is_fast(void)
{
	const char *t = "Big news from the team today! Our new #release ships with faster search, "
	                "@alice and @bob_dev did the work. Details at https://example.com/blog/2024/"
	                "release-notes?ref=tw and $ACME is up. #ОтличнаяНовость";
	ents_t e;
	struct timespec a, b;
	int iters = 50000;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < iters; i++) {
		e.n = 0;
		custos_extract(t, collect, &e);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / iters;
	printf("  extraction: %.0f ns per %zu-byte text, %zu entities\n", ns, strlen(t), e.n);
	CHECK_INT(e.n, 6);
}

/* Entities come in order, do not overlap, lie on character boundaries and
 * start with their sign. */
static void check_invariants(const char *t)
{
	size_t n = strlen(t), prev_end = 0;
	ents_t e = extract(t);
	for (size_t i = 0; i < e.n; i++) {
		const ent_t *x = &e.v[i];
		CHECK(x->start >= prev_end && x->start < x->end && x->end <= n);
		CHECK(((unsigned char)t[x->start] & 0xC0) != 0x80);
		CHECK(x->end == n || ((unsigned char)t[x->end] & 0xC0) != 0x80);
		const char *s = t + x->start;
		switch (x->kind) {
		case CUSTOS_ENTITY_HASHTAG: CHECK(*s == '#' || strncmp(s, "\xEF\xBC\x83", 3) == 0); break;
		case CUSTOS_ENTITY_MENTION: CHECK(*s == '@' || strncmp(s, "\xEF\xBC\xA0", 3) == 0); break;
		case CUSTOS_ENTITY_CASHTAG: CHECK(*s == '$'); break;
		default: CHECK(x->kind == CUSTOS_ENTITY_URL); break;
		}
		prev_end = x->end;
	}
}

static void test_entities__random_text_keeps_invariants(void)
{
	static const char *tokens[] = {
		"#", "\xEF\xBC\x83", "@", "\xEF\xBC\xA0", "$", "http://", "https://", ".", "/", "com",
		"co", "t.co/", "jp", "a", "Z", "1", "_", "-", " ", "\xE6\x97\xA5", "\xC3\x9F", "(", ")",
		"?", "=", "&", ":", "\xE2\x80\x8D", "\xEF\xB8\x8F", "\xFF", "\xE3\x80", "xn--", "rt",
		"\xE2\x80\xAA", "\xE3\x80\x82", "\xD0\x96", "'", "!",
	};
	char buf[512];
	unsigned seed = 12345;
	for (int round = 0; round < 20000; round++) {
		size_t o = 0;
		int ntok = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 40;
		for (int k = 0; k < ntok; k++) {
			seed = seed * 1103515245u + 12345u;
			const char *tk = tokens[(seed >> 16) % (sizeof tokens / sizeof *tokens)];
			size_t l = strlen(tk);
			if (o + l >= sizeof buf)
				break;
			memcpy(buf + o, tk, l);
			o += l;
		}
		buf[o] = '\0';
		check_invariants(buf);
	}
}

/* CPU time of this thread: other work on the machine does not count */
static double thread_cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Inputs that make backtracking regexes slow stay linear here: the work on
 * 256 KiB of each is compared with the work on 32 KiB of the same, by this
 * thread's CPU time. Linear work grows 8 times, quadratic 64 times; the
 * bound, 24, tells the two apart with room for cache effects whatever the
 * machine's load (a wall-clock bound would not); quadratic work on 256 KiB
 * would take seconds. */
static void fill(char *buf, size_t n, const char *unit, int prefix)
{
	size_t o = 0, l = strlen(unit);
	if (prefix) {   /* behind a URL, for the path and parentheses rules */
		memcpy(buf, "http://example.com/", 19);
		o = 19;
	}
	while (o + l <= n) {
		memcpy(buf + o, unit, l);
		o += l;
	}
	buf[o] = '\0';
}

static void test_entities__pathological_inputs_stay_linear(void)
{
	static const char *units[] = {
		"a.", "a_b.", "-a.", "a-.", "\xE6\x97\xA5\xE6\x9C\xAC.", "\xE6\x97\xA5", "#", "@", "$",
		"#a", "@a", "$a ", "http://", "(", "((a)", "a.b", "\xEF\xBC\x83\xEF\xBD\x81", ".",
		"http://a", "x.co/a", "@a/", "a_", "\xE3\x80\x82",
	};
	size_t n = 256 * 1024;
	char *buf = malloc(n + 64);
	CHECK(buf);
	for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
		for (int prefix = 0; prefix < 2; prefix++) {
			double ms[2];
			for (int k = 0; k < 2; k++) {
				fill(buf, k ? n : n / 8, units[u], prefix);
				double a = thread_cpu_ms();
				/* the short input three times, so its figure is not all noise */
				for (int rep = 0; rep < (k ? 1 : 3); rep++)
					check_invariants(buf);
				ms[k] = (thread_cpu_ms() - a) / (k ? 1 : 3);
			}
			/* under 20 ms of CPU for 256 KiB is linear enough whatever the
			 * ratio of two figures that small says */
			double growth = ms[1] < 20 ? 1 : ms[1] / (ms[0] > 0.05 ? ms[0] : 0.05);
			if (growth > 24)
				printf("  superlinear: %.1f ms for 32 KiB of \"%s\"%s, %.1f ms for 256 KiB\n",
				       ms[0], units[u], prefix ? " after a URL" : "", ms[1]);
			CHECK(growth <= 24);
		}
	}
	free(buf);
}

/* ---------------------------------------------------------------------------
 * The conformance cases
 */

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static size_t seq_len(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE ?
	       (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) : 0;
}

static yaml_node_t *seq_at(yaml_document_t *d, yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(d, n->data.sequence.items.start[i]);
}

/* One found or expected item: its text and, when known, its indices. */
typedef struct {
	char value[1024];
	long start, end;    /* -1 when not compared */
} item_t;

typedef struct {
	item_t v[64];
	size_t n;
} items_t;

enum { MENTIONS_ONLY, MENTIONS_AND_LISTS };

typedef struct {
	const char *name;
	int kind;            /* CUSTOS_ENTITY_*, or -1 for replies */
	const char *key;     /* value key of indexed cases ("screen_name"), NULL for plain lists */
	int mention_mode;
} section_t;

static const section_t sections[] = {
	{ "mentions", CUSTOS_ENTITY_MENTION, NULL, MENTIONS_ONLY },
	{ "mentions_with_indices", CUSTOS_ENTITY_MENTION, "screen_name", MENTIONS_ONLY },
	{ "mentions_or_lists_with_indices", CUSTOS_ENTITY_MENTION, "screen_name", MENTIONS_AND_LISTS },
	{ "replies", -1, NULL, 0 },
	{ "urls", CUSTOS_ENTITY_URL, NULL, 0 },
	{ "urls_with_indices", CUSTOS_ENTITY_URL, "url", 0 },
	{ "urls_with_directional_markers", CUSTOS_ENTITY_URL, "url", 0 },
	{ "tco_urls_with_params", CUSTOS_ENTITY_URL, NULL, 0 },
	{ "hashtags", CUSTOS_ENTITY_HASHTAG, NULL, 0 },
	{ "hashtags_from_astral", CUSTOS_ENTITY_HASHTAG, NULL, 0 },
	{ "hashtags_with_indices", CUSTOS_ENTITY_HASHTAG, "hashtag", 0 },
	{ "cashtags", CUSTOS_ENTITY_CASHTAG, NULL, 0 },
	{ "cashtags_with_indices", CUSTOS_ENTITY_CASHTAG, "cashtag", 0 },
};

/* Cases left out on purpose, each with its reason. None so far: a case that
 * fails makes the test fail. */
static const struct { const char *section, *description, *why; } excluded[] = {
	{ NULL, NULL, NULL },
};

static bool is_excluded(const char *section, const char *description)
{
	for (size_t i = 0; i < sizeof excluded / sizeof excluded[0]; i++)
		if (excluded[i].section && strcmp(excluded[i].section, section) == 0 &&
		    strcmp(excluded[i].description, description) == 0)
			return true;
	return false;
}

static void add_item(items_t *it, const char *s, size_t n, long start, long end)
{
	if (it->n >= sizeof it->v / sizeof it->v[0])
		return;
	item_t *x = &it->v[it->n++];
	snprintf(x->value, sizeof x->value, "%.*s", (int)n, s);
	x->start = start;
	x->end = end;
}

static void actual_items(const section_t *sec, const char *text, bool indices, items_t *out)
{
	out->n = 0;
	if (sec->kind < 0) {
		size_t s, e;
		if (custos_extract_reply(text, &s, &e))
			add_item(out, text + s + sign_len(text + s), e - s - sign_len(text + s), -1, -1);
		return;
	}
	ents_t e = extract(text);
	for (size_t i = 0; i < e.n; i++) {
		if (e.v[i].kind != sec->kind)
			continue;
		const char *s = text + e.v[i].start;
		size_t n = e.v[i].end - e.v[i].start;
		if (sec->kind != CUSTOS_ENTITY_URL) {
			s += sign_len(s);
			n -= (size_t)(s - (text + e.v[i].start));
		}
		if (sec->kind == CUSTOS_ENTITY_MENTION) {
			const char *slash = memchr(s, '/', n);
			if (slash && sec->mention_mode == MENTIONS_ONLY)
				continue;   /* extractMentions leaves lists out */
			if (sec->mention_mode == MENTIONS_AND_LISTS) {
				/* compared as "name" + list slug, as the case writes it */
				char buf[1024];
				snprintf(buf, sizeof buf, "%.*s %.*s", slash ? (int)(slash - s) : (int)n, s,
				         slash ? (int)(n - (size_t)(slash - s)) : 0, slash ? slash : "");
				add_item(out, buf, strlen(buf), (long)utf16_offset(text, e.v[i].start),
				         (long)utf16_offset(text, e.v[i].end));
				continue;
			}
		}
		add_item(out, s, n, indices ? (long)utf16_offset(text, e.v[i].start) : -1,
		         indices ? (long)utf16_offset(text, e.v[i].end) : -1);
	}
}

static bool expected_items(yaml_document_t *d, const section_t *sec, yaml_node_t *exp, items_t *out)
{
	out->n = 0;
	if (sec->kind < 0) {
		const char *v = scalar(exp);
		if (v && *v)
			add_item(out, v, strlen(v), -1, -1);
		return true;
	}
	if (exp && exp->type == YAML_SCALAR_NODE && !*scalar(exp))
		return true;   /* an empty value */
	if (!exp || exp->type != YAML_SEQUENCE_NODE)
		return false;
	for (size_t i = 0; i < seq_len(exp); i++) {
		yaml_node_t *it = seq_at(d, exp, i);
		if (!sec->key) {
			const char *v = scalar(it);
			if (!v)
				return false;
			add_item(out, v, strlen(v), -1, -1);
			continue;
		}
		const char *v = scalar(map_get(d, it, sec->key));
		yaml_node_t *ind = map_get(d, it, "indices");
		if (!v || seq_len(ind) != 2)
			return false;
		long a = atol(scalar(seq_at(d, ind, 0))), b = atol(scalar(seq_at(d, ind, 1)));
		if (sec->mention_mode == MENTIONS_AND_LISTS && sec->kind == CUSTOS_ENTITY_MENTION) {
			const char *slug = scalar(map_get(d, it, "list_slug"));
			char buf[1024];
			snprintf(buf, sizeof buf, "%s %s", v, slug ? slug : "");
			add_item(out, buf, strlen(buf), a, b);
		} else {
			add_item(out, v, strlen(v), a, b);
		}
	}
	return true;
}

static bool same_items(const items_t *a, const items_t *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].value, b->v[i].value) != 0 ||
		    (b->v[i].start >= 0 && (a->v[i].start != b->v[i].start || a->v[i].end != b->v[i].end)))
			return false;
	return true;
}

static void print_items(const char *label, const items_t *it)
{
	printf("      %s:", label);
	for (size_t i = 0; i < it->n; i++) {
		printf(" \"%s\"", it->v[i].value);
		if (it->v[i].start >= 0)
			printf("[%ld,%ld]", it->v[i].start, it->v[i].end);
	}
	printf("\n");
}

/* Runs one section's cases; returns how many failed. */
static int run_section(yaml_document_t *d, yaml_node_t *cases, const section_t *sec)
{
	int pass = 0, fail = 0, skipped = 0;
	for (size_t i = 0; i < seq_len(cases); i++) {
		yaml_node_t *c = seq_at(d, cases, i);
		const char *desc = scalar(map_get(d, c, "description"));
		const char *text = scalar(map_get(d, c, "text"));
		items_t want, got;
		if (!desc || !text || !expected_items(d, sec, map_get(d, c, "expected"), &want)) {
			printf("    FAIL %s case %zu: cannot read it\n", sec->name, i);
			fail++;
			continue;
		}
		if (is_excluded(sec->name, desc)) {
			skipped++;
			continue;
		}
		actual_items(sec, text, sec->key != NULL, &got);
		if (same_items(&got, &want)) {
			pass++;
			continue;
		}
		fail++;
		printf("    FAIL %s: %s\n", sec->name, desc);
		print_items("expected", &want);
		print_items("actual  ", &got);
	}
	printf("  %-32s %3d passed, %d failed%s\n", sec->name, pass, fail,
	       skipped ? ", some excluded (see the table in the test)" : "");
	return fail;
}

static bool load_yaml(const char *path, yaml_document_t *d)
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t p;
	bool ok;
	if (!f)
		return false;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	ok = yaml_parser_load(&p, d) && yaml_document_get_root_node(d);
	yaml_parser_delete(&p);
	fclose(f);
	return ok;
}

static void test_entities__twitter_text_extract_conformance(void)
{
	const char *fx = check_fixtures();
	char path[4096];
	yaml_document_t d;
	int failed = 0;
	if (!fx) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	snprintf(path, sizeof path, "%s/twitter-text-conformance/extract.yml", fx);
	CHECK(load_yaml(path, &d));
	yaml_node_t *tests = map_get(&d, yaml_document_get_root_node(&d), "tests");
	CHECK(tests);
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		yaml_node_t *cases = map_get(&d, tests, sections[i].name);
		CHECK(seq_len(cases) > 0);
		failed += run_section(&d, cases, &sections[i]);
	}
	yaml_document_delete(&d);
	CHECK_INT(failed, 0);
}

/* tlds.yml: one URL per top-level domain of twitter-text's list. */
static void test_entities__twitter_text_tld_conformance(void)
{
	const char *fx = check_fixtures();
	char path[4096];
	yaml_document_t d;
	int failed = 0;
	static const section_t tld_sections[] = {
		{ "country", CUSTOS_ENTITY_URL, NULL, 0 },
		{ "generic", CUSTOS_ENTITY_URL, NULL, 0 },
	};
	if (!fx) {
		check_skip("no ../shared/fixtures: real-data tier skipped");
		return;
	}
	snprintf(path, sizeof path, "%s/twitter-text-conformance/tlds.yml", fx);
	CHECK(load_yaml(path, &d));
	yaml_node_t *tests = map_get(&d, yaml_document_get_root_node(&d), "tests");
	CHECK(tests);
	for (size_t i = 0; i < 2; i++) {
		yaml_node_t *cases = map_get(&d, tests, tld_sections[i].name);
		CHECK(seq_len(cases) > 0);
		failed += run_section(&d, cases, &tld_sections[i]);
	}
	yaml_document_delete(&d);
	CHECK_INT(failed, 0);
}

CHECK_MAIN(CHECK_CASE(test_entities__ascii_text),
           CHECK_CASE(test_entities__japanese_hashtag_byte_offsets),
           CHECK_CASE(test_entities__url_drops_trailing_period),
           CHECK_CASE(test_entities__mail_address_is_no_mention),
           CHECK_CASE(test_entities__cashtags),
           CHECK_CASE(test_entities__overlap_keeps_the_earlier_entity),
           CHECK_CASE(test_entities__follows_twitter_text_quirks),
           CHECK_CASE(test_entities__callback_can_stop),
           CHECK_CASE(test_entities__invalid_utf8_never_forms_entities),
           CHECK_CASE(test_entities__record_lists_strip_signs_and_duplicates),
           CHECK_CASE(test_entities__record_derive_fills_entities_from_text),
           CHECK_CASE(test_entities__reply_target),
           CHECK_CASE(test_entities__extraction_is_fast),
           CHECK_CASE(test_entities__random_text_keeps_invariants),
           CHECK_CASE(test_entities__pathological_inputs_stay_linear),
           CHECK_CASE(test_entities__twitter_text_extract_conformance),
           CHECK_CASE(test_entities__twitter_text_tld_conformance))
