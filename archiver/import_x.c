/* X (Twitter): account archives (x-archive: data/tweets.js and friends, as
 * a folder or a .zip) and API captures (twitter-api: v1.1 objects and v2
 * pages, one JSON per line). docs/importers.md describes the mapping. */
#include "import_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE      ((size_t)64 << 20)
#define DEFER_MAX     ((size_t)64 << 20)
#define SNOWFLAKE_MIN 100000000000000ULL   /* ids from late 2010 on carry their time */

typedef struct {
	char   *raw;
	size_t  n;
	int64_t offset, line;
	char   *file;
	int64_t deleted_at;
	char    sort_id[24];
} deferred_t;

typedef struct {
	const custos_import_sink_t *sink;
	custos_err_t *err;
	const char *format;
	custos_tree_t *tree;
	/* the archive's owner */
	char *owner_handle, *owner_id, *owner_name;
	custos_media_index_t *media;
	/* later versions of edited posts, emitted after their first versions */
	deferred_t *deferred;
	size_t n_deferred, cap_deferred, deferred_bytes;
	int defer_warned;
	/* creation times of first versions that were edited, for their edits */
	struct { char id[24]; int64_t at; } *firsts;
	size_t n_firsts, cap_firsts;
	custos_record_t rec;
	custos_buf_t tmp;
	custos_arena_t jarena;   /* the element being read */
	custos_arena_t meta;     /* manifest.js, account.js, note-tweet.js */
	/* long posts (note-tweet.js): tweets.js holds them cut short, and
	 * nothing but the time and the text's start links the two */
	struct note { int64_t at; const char *raw; const char *text; custos_jv_t *core; } *notes;
	size_t n_notes, cap_notes, notes_bytes;
	int64_t generated_at;    /* manifest.js archiveInfo.generationDate, or NONE */
} xctx_t;

/* ------------------------------------------------------------------------
 * Small JSON helpers. X archives write every number as a string, the API
 * writes numbers; both are taken. */

static const char *jstr(custos_jv_t *o, const char *k)
{
	custos_jv_t *v = custos_jv__get(o, k);
	return custos_jv__is_str(v) ? custos_jv__str(v) : NULL;
}

/* An id as text, from a string or an integer. buf holds 24 bytes. */
static const char *jid(custos_jv_t *o, const char *k, char *buf)
{
	custos_jv_t *v = custos_jv__get(o, k);
	if (custos_jv__is_str(v) && *custos_jv__str(v))
		return custos_jv__str(v);
	if (custos_jv__is_int(v))
		return v->s;   /* the digits as written: no rounding through a double */
	(void)buf;
	return NULL;
}

static int64_t snowflake_ms(const char *id)
{
	char *end;
	unsigned long long v = strtoull(id, &end, 10);
	if (*end || v < SNOWFLAKE_MIN)
		return CUSTOS_TIME_NONE;
	return (int64_t)(v >> 22) + 1288834974657LL;
}

static int64_t jtime(custos_jv_t *o, const char *k)
{
	const char *s = jstr(o, k);
	int64_t ms;
	int st = s ? custos_time_parse(&ms, s, strlen(s)) : CUSTOS_EFORMAT;
	/* past year 9999 is kept: the record's validation names it */
	return st == 0 || st == CUSTOS_ETOOBIG ? ms : CUSTOS_TIME_NONE;
}

#define TRY(x) do { if ((r = (x)) < 0) return r; } while (0)

static int set_idf(custos_record_t *rec, char **field, const char *prefix, const char *id)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s%s", prefix, id);
	return custos_record_sets(rec, field, buf);
}

/* X escapes only &, < and > in tweet text. */
static int decode_x_entities(custos_buf_t *b, const char *s)
{
	return custos_html_unescape(b, s, strlen(s), CUSTOS_HTML_ESCAPES);
}

/* Replaces each t.co link of the url entities by its expansion. */
static int expand_urls(custos_buf_t *out, const char *text, custos_jv_t *urls)
{
	custos_buf_t a = { 0 }, b = { 0 };
	size_t i;
	custos_jv_t *u;
	int r = custos_buf_adds(&a, text);
	custos_jv__foreach(urls, i, u) {
		const char *tco = jstr(u, "url");
		const char *exp = jstr(u, "expanded_url");
		if (!tco || !exp || !*tco || r < 0)
			continue;
		const char *p = a.data, *hit;
		custos_buf_clear(&b);
		while ((hit = strstr(p, tco))) {
			if ((r = custos_buf_add(&b, p, (size_t)(hit - p))) < 0 ||
			    (r = custos_buf_adds(&b, exp)) < 0)
				break;
			p = hit + strlen(tco);
		}
		if (r >= 0)
			r = custos_buf_adds(&b, p);
		custos_buf_t t = a;
		a = b;
		b = t;
	}
	if (r >= 0)
		r = custos_buf_add(out, a.data ? a.data : "", a.len);
	custos_buf_free(&a);
	custos_buf_free(&b);
	return r;
}

static const char *basename_of(const char *url, char *buf, size_t cap)
{
	const char *s = strrchr(url, '/');
	s = s ? s + 1 : url;
	size_t k = strcspn(s, "?#");
	if (k >= cap)
		k = cap - 1;
	memcpy(buf, s, k);
	buf[k] = 0;
	return buf;
}

/* "https://x.com/u/status/123" or twitter.com: the status id, else NULL. */
static const char *status_url_id(const char *url, char *buf)
{
	const char *p = NULL;
	if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	if (!p)
		return NULL;
	if (strncmp(p, "www.", 4) == 0)
		p += 4;
	else if (strncmp(p, "mobile.", 7) == 0)
		p += 7;
	if (strncmp(p, "twitter.com/", 12) == 0)
		p += 12;
	else if (strncmp(p, "x.com/", 6) == 0)
		p += 6;
	else
		return NULL;
	const char *s = strstr(p, "/status/");
	if (!s || memchr(p, '/', (size_t)(s - p)))
		return NULL;
	s += 8;
	size_t k = strspn(s, "0123456789");
	if (k == 0 || k > 20 || (s[k] && s[k] != '?' && s[k] != '/' && s[k] != '#'))
		return NULL;
	memcpy(buf, s, k);
	buf[k] = 0;
	return buf;
}

static const char *media_type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return "application/octet-stream";
	dot++;
	if (!strcasecmp(dot, "jpg") || !strcasecmp(dot, "jpeg"))
		return "image/jpeg";
	if (!strcasecmp(dot, "png"))
		return "image/png";
	if (!strcasecmp(dot, "gif"))
		return "image/gif";
	if (!strcasecmp(dot, "webp"))
		return "image/webp";
	if (!strcasecmp(dot, "mp4"))
		return "video/mp4";
	if (!strcasecmp(dot, "mov"))
		return "video/quicktime";
	if (!strcasecmp(dot, "webm"))
		return "video/webm";
	if (!strcasecmp(dot, "mp3"))
		return "audio/mpeg";
	if (!strcasecmp(dot, "ogg"))
		return "audio/ogg";
	return "application/octet-stream";
}

static int add_media_file(custos_record_t *rec, const custos_media_file_t *f, const char *type)
{
	custos_media_t *m = custos_record_media_add(rec);
	const char *nm = strrchr(f->key, '/');
	int r;
	if (!m)
		return CUSTOS_ENOMEM;
	TRY(custos_record_sets(rec, &m->sha256, f->sha256));
	TRY(custos_record_sets(rec, &m->type, type ? type : media_type_of(f->key)));
	TRY(custos_record_sets(rec, &m->name, nm ? nm + 1 : f->key));
	m->size = f->size;
	return 0;
}

static int add_media_url(custos_record_t *rec, const char *url, const char *type)
{
	custos_media_t *m = custos_record_media_add(rec);
	int r;
	if (!m)
		return CUSTOS_ENOMEM;
	TRY(custos_record_sets(rec, &m->url, url));
	TRY(custos_record_sets(rec, &m->type, type));
	return 0;
}

/* The best video variant's URL (highest bitrate mp4), or NULL. */
static const char *best_variant(custos_jv_t *media)
{
	custos_jv_t *vars = custos_jv__get(custos_jv__get(media, "video_info"), "variants");
	const char *best = NULL;
	long long bb = -1;
	size_t i;
	custos_jv_t *v;
	if (!vars)
		vars = custos_jv__get(media, "variants");   /* v2 */
	custos_jv__foreach(vars, i, v) {
		custos_jv_t *br = custos_jv__get(v, "bitrate");
		if (!br)
			br = custos_jv__get(v, "bit_rate");
		long long b = custos_jv__is_int(br) ? custos_jv__int(br)
		              : custos_jv__is_str(br) ? atoll(custos_jv__str(br)) : 0;
		const char *u = jstr(v, "url");
		if (u && b > bb) {
			bb = b;
			best = u;
		}
	}
	return best;
}

/* Media of a v1.1 / archive tweet: files of the export when present
 * (named <tweet id>-<media file name>), else the reference only. */
static int media_v1(xctx_t *x, custos_record_t *rec, custos_jv_t *tw, const char *tweet_id)
{
	custos_jv_t *list = custos_jv__get(custos_jv__get(tw, "extended_entities"), "media");
	const custos_media_file_t *files = NULL;
	size_t n_files = 0, i;
	custos_jv_t *m;
	int r;
	unsigned char used[64] = { 0 };
	char prefix[64], name[256], key[320];

	if (!custos_jv__len(list))
		list = custos_jv__get(custos_jv__get(tw, "entities"), "media");
	if (x->media) {
		snprintf(prefix, sizeof prefix, "%s-", tweet_id);
		n_files = custos_media_index__prefix(x->media, prefix, &files);
	}
	custos_jv__foreach(list, i, m) {
		const char *type = jstr(m, "type");
		const char *url = jstr(m, "media_url_https");
		const char *vurl = best_variant(m);
		const custos_media_file_t *hit = NULL;
		if (!url)
			url = jstr(m, "media_url");
		for (size_t k = 0; k < n_files && !hit; k++) {
			const char *cand[2] = { vurl, url };
			for (int c = 0; c < 2 && !hit; c++) {
				if (!cand[c])
					continue;
				snprintf(key, sizeof key, "%s%s", prefix,
				         basename_of(cand[c], name, sizeof name));
				if (strcmp(strrchr(files[k].key, '/') ? strrchr(files[k].key, '/') + 1
				                                        : files[k].key, key) == 0) {
					hit = &files[k];
					if (k < sizeof used)
						used[k] = 1;
				}
			}
		}
		if (hit)
			TRY(add_media_file(rec, hit, NULL));
		else if (vurl || url)
			TRY(add_media_url(rec, vurl ? vurl : url, type ? type : "photo"));
	}
	/* files of this tweet the entities do not name */
	for (size_t k = 0; k < n_files && k < sizeof used; k++)
		if (!used[k]) {
			const char *base = strrchr(files[k].key, '/') ? strrchr(files[k].key, '/') + 1
			                                             : files[k].key;
			if (strncmp(base, prefix, strlen(prefix)) == 0)
				TRY(add_media_file(rec, &files[k], NULL));
		}
	return 0;
}

static int strv_from(custos_record_t *rec, custos_strv_t *v, custos_jv_t *list, const char *key)
{
	size_t i;
	custos_jv_t *e;
	int r;
	custos_jv__foreach(list, i, e) {
		const char *s = jstr(e, key);
		if (s && *s)
			TRY(custos_record_strv_add(rec, v, s, strlen(s)));
	}
	return 0;
}

static int urls_from(custos_record_t *rec, custos_jv_t *list)
{
	size_t i;
	custos_jv_t *e;
	int r;
	custos_jv__foreach(list, i, e) {
		const char *s = jstr(e, "unwound_url");
		if (!s)
			s = jstr(e, "expanded_url");
		if (!s)
			s = jstr(e, "expandedUrl");   /* note-tweet.js */
		if (!s)
			s = jstr(e, "url");
		if (s && *s)
			TRY(custos_record_strv_add(rec, &rec->urls, s, strlen(s)));
	}
	return 0;
}

/* The long post a cut-short archive tweet stands for: created within two
 * seconds, and the tweet's text (up to its "…") starts the note's. */
static const struct note *find_note(xctx_t *x, int64_t at, const char *text)
{
	if (!x->n_notes || !text)
		return NULL;
	const char *ell = strstr(text, "\xe2\x80\xa6");   /* "…" */
	size_t k = ell ? (size_t)(ell - text) : strlen(text);
	if (k > 60)
		k = 60;
	for (size_t i = 0; i < x->n_notes; i++) {
		const struct note *n = &x->notes[i];
		int64_t d = n->at - at;
		if (d >= -2000 && d <= 2000 && strncmp(n->raw, text, k) == 0)
			return n;
	}
	return NULL;
}

/* note-tweet.js into x->notes: the text with its short links expanded. */
static int load_notes(xctx_t *x, const char *relpath)
{
	custos_input_t *in = NULL;
	custos_jsonscan_t *js = NULL;
	const char *e;
	size_t n;
	int64_t off, line;
	int r;
	if ((r = custos_tree__open(x->tree, relpath, &in, x->err)) < 0)
		return r == CUSTOS_ENOTFOUND ? 0 : r;
	if ((r = custos_jsonscan__open(&js, in, "")) < 0) {
		custos_input__close(in);
		return custos_err_set(x->err, r, "out of memory");
	}
	while ((r = custos_jsonscan__next(js, &e, &n, &off, &line, x->err)) > 0) {
		custos_jv_t *root = custos_jv__parse(&x->meta, e, n, NULL);
		custos_jv_t *nt = custos_jv__get(root, "noteTweet"), *core = custos_jv__get(nt, "core");
		const char *text = jstr(core, "text");
		int64_t at = jtime(nt, "createdAt");
		if (!text || at == CUSTOS_TIME_NONE)
			continue;   /* the tweet keeps its cut text */
		if (x->notes_bytes + n > DEFER_MAX) {
			custos_import__warn(x->sink, in->name, "over %zu bytes of long posts: the rest "
			                    "keep their cut text", DEFER_MAX);
			break;
		}
		if (x->n_notes == x->cap_notes) {
			size_t nc = x->cap_notes ? x->cap_notes * 2 : 16;
			void *nn = realloc(x->notes, nc * sizeof *x->notes);
			if (!nn) {
				r = custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
				break;
			}
			x->notes = nn;
			x->cap_notes = nc;
		}
		custos_buf_clear(&x->tmp);
		custos_jv_t *us = custos_jv__get(core, "urls"), *u;
		size_t i;
		custos_buf_t t = { 0 };
		custos_buf_adds(&t, text);
		/* expand_urls reads url/expanded_url: note urls say shortUrl/expandedUrl */
		custos_jv__foreach(us, i, u) {
			const char *su = jstr(u, "shortUrl"), *eu = jstr(u, "expandedUrl");
			if (!su || !eu || !*su)
				continue;
			custos_buf_t o = { 0 };
			const char *p = t.data, *hit;
			while ((hit = strstr(p, su))) {
				custos_buf_add(&o, p, (size_t)(hit - p));
				custos_buf_adds(&o, eu);
				p = hit + strlen(su);
			}
			custos_buf_adds(&o, p);
			custos_buf_free(&t);
			t = o;
		}
		struct note *nn = &x->notes[x->n_notes];
		nn->at = at;
		nn->raw = text;
		nn->core = core;
		nn->text = custos_arena_strdup(&x->meta, t.data ? t.data : "");
		custos_buf_free(&t);
		if (!nn->text) {
			r = custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
			break;
		}
		x->n_notes++;
		x->notes_bytes += n;
	}
	custos_jsonscan__free(js);
	custos_input__close(in);
	return r < 0 ? r : 0;
}

/* A v1.1 or archive tweet object into rec. handle etc. describe the author
 * when the object has no "user" (archives). */
static int tweet_v1(xctx_t *x, custos_record_t *rec, custos_jv_t *tw)
{
	char ib[24], rb[24], qb[24], eb[24], sb[24];
	const char *id = jid(tw, "id_str", ib);
	custos_jv_t *user = custos_jv__get(tw, "user");
	custos_jv_t *ext = custos_jv__get(tw, "extended_tweet");
	custos_jv_t *rt = custos_jv__get(tw, "retweeted_status");
	custos_jv_t *ents, *edit, *hist;
	const char *text, *handle, *first = NULL, *s;
	int64_t created;
	int r;

	if (!id)
		id = jid(tw, "id", ib);
	if (!id)
		return custos_err_set(x->err, CUSTOS_EFORMAT, "tweet without an id");
	created = jtime(tw, "created_at");
	if (created == CUSTOS_TIME_NONE)
		return custos_err_set(x->err, CUSTOS_EFORMAT, "tweet %s: no valid created_at", id);

	/* edits: every version keeps the id of the first */
	edit = custos_jv__get(tw, "edit_info");
	if ((hist = custos_jv__get(custos_jv__get(edit, "edit"), "editControlInitial")))
		hist = custos_jv__get(hist, "editTweetIds");
	else if ((hist = custos_jv__get(custos_jv__get(edit, "initial"), "editTweetIds")))
		;
	else
		hist = custos_jv__get(custos_jv__get(tw, "edit_history"), "edit_tweet_ids");
	if (custos_jv__len(hist) > 0) {
		custos_jv_t *f = custos_jv__at(hist, 0);
		first = custos_jv__is_str(f) ? custos_jv__str(f) : NULL;
		if (custos_jv__is_int(f)) {
			snprintf(eb, sizeof eb, "%lld", (long long)custos_jv__int(f));
			first = eb;
		}
	}
	if (!first) {
		custos_jv_t *e = custos_jv__get(edit, "edit");
		first = e ? jid(e, "initialTweetId", eb) : NULL;
	}
	if (first && strcmp(first, id) != 0) {
		/* the first version's time: seen before (edits are deferred), else
		 * from its snowflake id, to the second as X gives it */
		int64_t t0 = CUSTOS_TIME_NONE;
		rec->edited_at = created;
		for (size_t i = 0; i < x->n_firsts; i++)
			if (strcmp(x->firsts[i].id, first) == 0)
				t0 = x->firsts[i].at;
		if (t0 == CUSTOS_TIME_NONE && (t0 = snowflake_ms(first)) != CUSTOS_TIME_NONE)
			t0 -= t0 % 1000;
		if (t0 != CUSTOS_TIME_NONE)
			created = t0;
	} else {
		if (first && custos_jv__len(hist) > 1) {
			if (x->n_firsts == x->cap_firsts) {
				size_t nc = x->cap_firsts ? x->cap_firsts * 2 : 16;
				void *nf = realloc(x->firsts, nc * sizeof *x->firsts);
				if (!nf)
					return CUSTOS_ENOMEM;
				x->firsts = nf;
				x->cap_firsts = nc;
			}
			snprintf(x->firsts[x->n_firsts].id, sizeof x->firsts[0].id, "%s", id);
			x->firsts[x->n_firsts++].at = created;
		}
		first = id;
	}
	TRY(set_idf(rec, &rec->id, "x:", first));
	TRY(custos_record_sets(rec, &rec->platform, "x"));
	rec->created_at = created;

	if (user) {
		handle = jstr(user, "screen_name");
		if ((s = jid(user, "id_str", sb)) || (s = jid(user, "id", sb)))
			TRY(custos_record_sets(rec, &rec->author_id, s));
		TRY(custos_record_sets(rec, &rec->author_name, jstr(user, "name")));
	} else {
		handle = x->owner_handle;
		TRY(custos_record_sets(rec, &rec->author_id, x->owner_id));
		TRY(custos_record_sets(rec, &rec->author_name, x->owner_name));
	}
	if (!handle)
		handle = rec->author_id ? rec->author_id : "unknown";
	TRY(custos_record_sets(rec, &rec->author_handle, handle));
	TRY(custos_record_sets(rec, &rec->account, x->owner_handle ? x->owner_handle : handle));

	/* text and entities: the extended form when there is one */
	text = ext ? jstr(ext, "full_text") : NULL;
	ents = ext ? custos_jv__get(ext, "entities") : NULL;
	if (!text)
		text = jstr(tw, "full_text");
	if (!text)
		text = jstr(tw, "text");
	if (!ents)
		ents = custos_jv__get(tw, "entities");
	custos_buf_clear(&x->tmp);
	if (rt) {
		/* a retweet's own text is cut short; the original has it whole */
		custos_jv_t *rext = custos_jv__get(rt, "extended_tweet");
		const char *rtext = rext ? jstr(rext, "full_text") : NULL;
		const char *ruser = jstr(custos_jv__get(rt, "user"), "screen_name");
		if (!rtext)
			rtext = jstr(rt, "full_text");
		if (!rtext)
			rtext = jstr(rt, "text");
		if (rtext && ruser) {
			custos_buf_t dec = { 0 };
			if ((r = decode_x_entities(&dec, rtext)) >= 0)
				r = custos_buf_printf(&x->tmp, "RT @%s: ", ruser);
			if (r >= 0)
				r = expand_urls(&x->tmp, dec.data ? dec.data : "",
				                custos_jv__get(rext ? custos_jv__get(rext, "entities")
				                                     : custos_jv__get(rt, "entities"),
				                                "urls"));
			custos_buf_free(&dec);
			TRY(r);
			text = NULL;
		}
	}
	if (text) {
		custos_buf_t dec = { 0 };
		r = decode_x_entities(&dec, text);
		if (r >= 0)
			r = expand_urls(&x->tmp, dec.data ? dec.data : "", custos_jv__get(ents, "urls"));
		custos_buf_free(&dec);
		TRY(r);
	}
	const struct note *nt = !user && !rt ? find_note(x, created, text) : NULL;
	if (nt) {
		custos_jv_t *core = nt->core;
		TRY(custos_record_sets(rec, &rec->text, nt->text));
		TRY(strv_from(rec, &rec->hashtags, custos_jv__get(core, "hashtags"), "text"));
		TRY(strv_from(rec, &rec->mentions, custos_jv__get(core, "mentions"), "screenName"));
		TRY(strv_from(rec, &rec->cashtags, custos_jv__get(core, "cashtags"), "text"));
		TRY(urls_from(rec, custos_jv__get(core, "urls")));
	} else {
		TRY(custos_record_set(rec, &rec->text, x->tmp.data ? x->tmp.data : "", x->tmp.len));
		TRY(strv_from(rec, &rec->hashtags, custos_jv__get(ents, "hashtags"), "text"));
		TRY(strv_from(rec, &rec->mentions, custos_jv__get(ents, "user_mentions"), "screen_name"));
		TRY(strv_from(rec, &rec->cashtags, custos_jv__get(ents, "symbols"), "text"));
		TRY(urls_from(rec, custos_jv__get(ents, "urls")));
	}
	TRY(custos_record_sets(rec, &rec->lang, jstr(tw, "lang")));

	/* links */
	if ((s = jid(tw, "in_reply_to_status_id_str", rb)) || (s = jid(tw, "in_reply_to_status_id", rb)))
		TRY(set_idf(rec, &rec->in_reply_to, "x:", s));
	if (rt && (s = jid(rt, "id_str", qb)))
		TRY(set_idf(rec, &rec->repost_of, "x:", s));
	const char *full = x->tmp.data ? x->tmp.data : "";
	int is_rt = rt != NULL || (!user && strncmp(full, "RT @", 4) == 0);
	if (is_rt && !rec->repost_of) {
		/* archives drop retweeted_status; media still name their source */
		custos_jv_t *ml = custos_jv__get(custos_jv__get(tw, "extended_entities"), "media");
		if ((s = jid(custos_jv__at(ml, 0), "source_status_id_str", qb)))
			TRY(set_idf(rec, &rec->repost_of, "x:", s));
	}
	if (!is_rt) {
		if ((s = jid(tw, "quoted_status_id_str", qb)))
			TRY(set_idf(rec, &rec->quote_of, "x:", s));
		else if ((s = jid(custos_jv__get(tw, "quoted_status"), "id_str", qb)))
			TRY(set_idf(rec, &rec->quote_of, "x:", s));
		else if (!user) {
			/* archives drop quoted_status too: a quote is a status link */
			size_t i;
			custos_jv_t *u;
			custos_jv__foreach(custos_jv__get(ents, "urls"), i, u) {
				const char *e = jstr(u, "expanded_url");
				if (e && (s = status_url_id(e, qb))) {
					TRY(set_idf(rec, &rec->quote_of, "x:", s));
					break;
				}
			}
		}
	}
	TRY(custos_record_sets(rec, &rec->kind, is_rt ? "repost" : rec->quote_of ? "quote"
	                       : rec->in_reply_to ? "reply" : "post"));
	custos_buf_clear(&x->tmp);
	TRY(custos_buf_printf(&x->tmp, "https://x.com/%s/status/%s", handle, id));
	TRY(custos_record_sets(rec, &rec->url, x->tmp.data));
	TRY(media_v1(x, rec, tw, id));
	return 0;
}

/* ------------------------------------------------------------------------
 * Emitting one element */

static int set_source(xctx_t *x, custos_record_t *rec, const char *file, int64_t off,
                      int64_t line, const char *raw, size_t n)
{
	int r;
	TRY(custos_record_sets(rec, &rec->source.format, x->format));
	TRY(custos_record_sets(rec, &rec->source.file, file));
	rec->source.offset = off;
	rec->source.line = line;
	TRY(custos_record_set_raw(rec, raw, n));
	return 0;
}

/* A tweet element of an archive file: {"tweet": {...}} (or the bare tweet). */
static int archive_tweet(xctx_t *x, const char *file, const char *raw, size_t n, int64_t off,
                         int64_t line, int64_t deleted_at, int allow_defer)
{
	custos_jv_err_t je;
	custos_jv_t *root, *tw;

	custos_arena_reset(&x->jarena);
	root = custos_jv__parse(&x->jarena, raw, n, &je);
	custos_record_t *rec = &x->rec;
	char why[300], ib[24], fb[24];
	int r;

	if (!root) {
		snprintf(why, sizeof why, "invalid JSON: %s (at byte %lld)", je.text,
		         (long long)(off + je.position));
		return custos_import__bad(x->sink, file, off, line, why, raw, n, x->err);
	}
	tw = custos_jv__get(root, "tweet");
	if (!tw)
		tw = root;
	if (!custos_jv__is_obj(tw)) {
		return custos_import__bad(x->sink, file, off, line, "not a tweet object", raw, n,
		                          x->err);
	}
	/* a later version of an edited post comes after its first version,
	 * whatever order the file has (archives list newest first) */
	custos_jv_t *ed = custos_jv__get(custos_jv__get(tw, "edit_info"), "edit");
	const char *first = ed ? jid(ed, "initialTweetId", fb) : NULL;
	const char *id = jid(tw, "id_str", ib);
	if (allow_defer && first && id && strcmp(first, id) != 0 &&
	    x->deferred_bytes + n <= DEFER_MAX) {
		char sort_id[24];
		snprintf(sort_id, sizeof sort_id, "%s", id);
		if (x->n_deferred == x->cap_deferred) {
			size_t nc = x->cap_deferred ? x->cap_deferred * 2 : 16;
			deferred_t *nd = realloc(x->deferred, nc * sizeof *nd);
			if (!nd)
				return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
			x->deferred = nd;
			x->cap_deferred = nc;
		}
		deferred_t *d = &x->deferred[x->n_deferred];
		memset(d, 0, sizeof *d);
		if (!(d->raw = malloc(n ? n : 1)) || !(d->file = strdup(file))) {
			free(d->raw);
			return custos_err_set(x->err, CUSTOS_ENOMEM, "out of memory");
		}
		memcpy(d->raw, raw, n);
		d->n = n;
		d->offset = off;
		d->line = line;
		d->deleted_at = deleted_at;
		memcpy(d->sort_id, sort_id, sizeof d->sort_id);
		x->n_deferred++;
		x->deferred_bytes += n;
		return 0;
	}
	if (allow_defer && first && id && strcmp(first, id) != 0 && !x->defer_warned) {
		x->defer_warned = 1;
		custos_import__warn(x->sink, file, "over %zu bytes of edited posts: later edits are "
		                    "stored in file order", DEFER_MAX);
	}
	custos_err_t perr = { 0 };
	custos_err_t *saved = x->err;
	x->err = &perr;
	r = tweet_v1(x, rec, tw);
	x->err = saved;
	if (r == 0 && deleted_at != CUSTOS_TIME_NONE)
		rec->deleted_at = deleted_at;
	if (r == 0)
		r = set_source(x, rec, file, off, line, raw, n);
	if (r == CUSTOS_EFORMAT) {
		custos_record_reset(rec);
		return custos_import__bad(x->sink, file, off, line, perr.msg, raw, n, x->err);
	}
	if (r < 0) {
		custos_record_reset(rec);
		return custos_err_set(x->err, r, "%s: %s", file, perr.msg[0] ? perr.msg : "out of memory");
	}
	return custos_import__record(x->sink, rec, x->err);
}

static int cmp_deferred(const void *a, const void *b)
{
	const deferred_t *x = a, *y = b;
	size_t lx = strlen(x->sort_id), ly = strlen(y->sort_id);
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->sort_id, y->sort_id);
}

static int flush_deferred(xctx_t *x)
{
	int r = 0;
	if (x->n_deferred)
		qsort(x->deferred, x->n_deferred, sizeof *x->deferred, cmp_deferred);
	for (size_t i = 0; i < x->n_deferred && r == 0; i++) {
		deferred_t *d = &x->deferred[i];
		r = archive_tweet(x, d->file, d->raw, d->n, d->offset, d->line, d->deleted_at, 0);
	}
	for (size_t i = 0; i < x->n_deferred; i++) {
		free(x->deferred[i].raw);
		free(x->deferred[i].file);
	}
	free(x->deferred);
	x->deferred = NULL;
	x->n_deferred = x->cap_deferred = x->deferred_bytes = 0;
	return r;
}

static int set_dm_thread(custos_record_t *rec, const char *conv);

/* A direct-message conversation: each messageCreate is a record. */
static int dm_conversation(xctx_t *x, const char *file, const char *raw, size_t n,
                           int64_t off, int64_t line)
{
	custos_input_t *min = NULL;
	custos_jsonscan_t *js = NULL;
	custos_record_t *rec = &x->rec;
	custos_jv_err_t je;
	const char *e;
	size_t en;
	int64_t eoff, eline;
	char why[300], cb[24];
	int r;

	custos_arena_reset(&x->jarena);
	custos_jv_t *root = custos_jv__parse(&x->jarena, raw, n, &je);
	if (!root) {
		snprintf(why, sizeof why, "invalid JSON: %s (at byte %lld)", je.text,
		         (long long)(off + je.position));
		return custos_import__bad(x->sink, file, off, line, why, raw, n, x->err);
	}
	const char *wrap = custos_jv__get(root, "dmConversation") ? "dmConversation" : NULL;
	custos_jv_t *conv = wrap ? custos_jv__get(root, wrap) : root;
	const char *conv_id = jid(conv, "conversationId", cb);
	char conv_copy[128];
	snprintf(conv_copy, sizeof conv_copy, "%s", conv_id ? conv_id : "");

	/* the messages' own bytes, found by scanning the element again */
	if ((r = custos_input__open_mem(&min, file, raw, n)) < 0 ||
	    (r = custos_jsonscan__open(&js, min, wrap ? "dmConversation.messages" : "messages")) < 0) {
		custos_input__close(min);
		return custos_err_set(x->err, r, "out of memory");
	}
	while ((r = custos_jsonscan__next(js, &e, &en, &eoff, &eline, x->err)) > 0) {
		int64_t moff = off + eoff, mline = line + eline - 1;
		custos_jv_t *m = custos_jv__parse(&x->jarena, e, en, &je), *mc;
		if (!m) {
			snprintf(why, sizeof why, "invalid JSON: %s", je.text);
			if ((r = custos_import__bad(x->sink, file, moff, mline, why, e, en, x->err)) != 0)
				break;
			continue;
		}
		if (!(mc = custos_jv__get(m, "messageCreate"))) {
			continue;
		}
		char ib[24], sb[24];
		const char *id = jid(mc, "id", ib), *sender = jid(mc, "senderId", sb);
		int64_t at = jtime(mc, "createdAt");
		if (!id || at == CUSTOS_TIME_NONE) {
			if ((r = custos_import__bad(x->sink, file, moff, mline,
			                            "direct message without id or createdAt", e, en,
			                            x->err)) != 0)
				break;
			continue;
		}
		int own = sender && x->owner_id && strcmp(sender, x->owner_id) == 0;
		if ((r = set_idf(rec, &rec->id, "x:dm:", id)) < 0 ||
		    (r = custos_record_sets(rec, &rec->platform, "x")) < 0 ||
		    (r = custos_record_sets(rec, &rec->kind, "message")) < 0 ||
		    (r = custos_record_sets(rec, &rec->account, x->owner_handle)) < 0 ||
		    (r = custos_record_sets(rec, &rec->author_id, sender)) < 0 ||
		    (r = custos_record_sets(rec, &rec->author_handle,
		                            own && x->owner_handle ? x->owner_handle
		                            : sender ? sender : "unknown")) < 0 ||
		    (r = custos_record_sets(rec, &rec->author_name, own ? x->owner_name : NULL)) < 0 ||
		    (r = custos_record_sets(rec, &rec->text, jstr(mc, "text") ? jstr(mc, "text") : ""))
		     < 0 ||
		    (r = custos_record_sets(rec, &rec->visibility, "direct")) < 0 ||
		    (r = urls_from(rec, custos_jv__get(mc, "urls"))) < 0) {
			custos_err_set(x->err, r, "out of memory");
			break;
		}
		rec->created_at = at;
		if ((r = set_dm_thread(rec, conv_copy)) < 0) {
			break;
		}
		size_t i;
		custos_jv_t *mu;
		const custos_media_file_t *files = NULL;
		char prefix[40];
		snprintf(prefix, sizeof prefix, "%s-", id);
		size_t nf = x->media ? custos_media_index__prefix(x->media, prefix, &files) : 0;
		for (size_t k = 0; k < nf && r >= 0; k++)
			r = add_media_file(rec, &files[k], NULL);
		if (!nf)
			custos_jv__foreach(custos_jv__get(mc, "mediaUrls"), i, mu)
				if (custos_jv__is_str(mu) && r >= 0)
					r = add_media_url(rec, custos_jv__str(mu), "media");
		if (r < 0 || (r = set_source(x, rec, file, moff, mline, e, en)) < 0) {
			custos_err_set(x->err, r, "out of memory");
			break;
		}
		if ((r = custos_import__record(x->sink, rec, x->err)) != 0)
			break;
	}
	custos_jsonscan__free(js);
	custos_input__close(min);
	custos_record_reset(rec);
	return r < 0 ? r : 0;
}


/* ------------------------------------------------------------------------
 * What says something about a post without being one: likes (like.js and
 * the stream's favorite events), the events of X's encrypted messages
 * (message-event.js), and the notices of API streams (deletions, withheld
 * posts, geo scrubbing, limits, compliance). Each is a record of its own,
 * with its verbatim bytes, that names what it is about in `target`; none
 * is applied to the post it names. docs/importers.md. */

static int finish_record(xctx_t *x, custos_record_t *rec, int r, const char *file,
                         const char *raw, size_t n, int64_t off, int64_t line)
{
	if (r == 0)
		r = set_source(x, rec, file, off, line, raw, n);
	if (r < 0) {
		custos_record_reset(rec);
		return custos_err_set(x->err, r, "%s: out of memory", file);
	}
	return custos_import__record(x->sink, rec, x->err);
}

static custos_jv_t *parse_or_bad(xctx_t *x, const char *file, const char *raw, size_t n,
                                 int64_t off, int64_t line, int *r)
{
	custos_jv_err_t je;
	char why[300];
	custos_arena_reset(&x->jarena);
	custos_jv_t *root = custos_jv__parse(&x->jarena, raw, n, &je);
	*r = 0;
	if (!root) {
		snprintf(why, sizeof why, "invalid JSON: %s (at byte %lld)", je.text,
		         (long long)(off + je.position));
		*r = custos_import__bad(x->sink, file, off, line, why, raw, n, x->err);
	}
	return root;
}

/* The archive owner as the author: the custodian's own actions. */
static int owner_author(xctx_t *x, custos_record_t *rec)
{
	int r;
	TRY(custos_record_sets(rec, &rec->account, x->owner_handle));
	TRY(custos_record_sets(rec, &rec->author_id, x->owner_id));
	TRY(custos_record_sets(rec, &rec->author_handle, x->owner_handle ? x->owner_handle
	                       : x->owner_id ? x->owner_id : "unknown"));
	return custos_record_sets(rec, &rec->author_name, x->owner_name);
}

/* A like of like.js: {"like": {"tweetId", "fullText", "expandedUrl"}}. It
 * carries no time: the liked post's time (from its id) is the earliest the
 * like can have been, the archive's generation date the latest. */
static int archive_like(xctx_t *x, const char *file, const char *raw, size_t n, int64_t off,
                        int64_t line)
{
	custos_record_t *rec = &x->rec;
	char ib[24], why[200];
	int r;
	custos_jv_t *root = parse_or_bad(x, file, raw, n, off, line, &r);
	if (!root)
		return r;
	custos_jv_t *lk = custos_jv__get(root, "like") ? custos_jv__get(root, "like") : root;
	const char *id = jid(lk, "tweetId", ib), *text = jstr(lk, "fullText");
	const char *url = jstr(lk, "expandedUrl");
	int64_t at = id ? snowflake_ms(id) : CUSTOS_TIME_NONE;
	if (!id)
		return custos_import__bad(x->sink, file, off, line, "like without a tweetId", raw, n,
		                          x->err);
	if (at == CUSTOS_TIME_NONE)
		at = x->generated_at;
	if (at == CUSTOS_TIME_NONE) {
		snprintf(why, sizeof why, "like of %.24s: no time (the id carries none and "
		         "manifest.js gives no generationDate)", id);
		return custos_import__bad(x->sink, file, off, line, why, raw, n, x->err);
	}
	custos_buf_clear(&x->tmp);
	if ((r = custos_buf_printf(&x->tmp, "x:like:%s:%s", x->owner_id ? x->owner_id
	                           : x->owner_handle ? x->owner_handle : "unknown", id)) == 0 &&
	    (r = custos_record_sets(rec, &rec->id, x->tmp.data)) == 0 &&
	    (r = custos_record_sets(rec, &rec->platform, "x")) == 0 &&
	    (r = custos_record_sets(rec, &rec->kind, "like")) == 0 &&
	    (r = owner_author(x, rec)) == 0 &&
	    (r = set_idf(rec, &rec->target, "x:", id)) == 0) {
		rec->created_at = at;
		custos_buf_clear(&x->tmp);
		/* the liked post's text as X gave it: what the like endorsed */
		if ((r = decode_x_entities(&x->tmp, text ? text : "")) == 0 &&
		    (r = custos_record_sets(rec, &rec->text, x->tmp.data ? x->tmp.data : "")) == 0)
			r = url ? custos_record_sets(rec, &rec->url, url)
			        : set_idf(rec, &rec->url, "https://x.com/i/web/status/", id);
	}
	return finish_record(x, rec, r, file, raw, n, off, line);
}

/* "markConversationReadEvent" -> "mark_conversation_read" */
static void snake_event(char *out, size_t cap, const char *key)
{
	size_t k = 0, n = strlen(key);
	if (n > 5 && strcmp(key + n - 5, "Event") == 0)
		n -= 5;
	for (size_t i = 0; i < n && k + 2 < cap; i++) {
		char c = key[i];
		if (c >= 'A' && c <= 'Z') {
			if (k)
				out[k++] = '_';
			c = (char)(c - 'A' + 'a');
		}
		out[k++] = c;
	}
	out[k] = 0;
}

/* The conversation of a message, as a thread id: "x:dm:<a>-<b>". The
 * message events write the pair with ':' where direct-messages.js writes
 * '-'; one spelling keeps both kinds of a conversation in one thread. */
static int set_dm_thread(custos_record_t *rec, const char *conv)
{
	char buf[160];
	size_t i;
	if (!conv || !*conv)
		return 0;
	snprintf(buf, sizeof buf, "x:dm:%s", conv);
	for (i = 5; buf[i]; i++)
		if (buf[i] == ':')
			buf[i] = '-';
	return custos_record_sets(rec, &rec->thread, buf);
}

/* One event of message-event.js (X's end-to-end encrypted messages): a
 * message (its contents are ciphertext in the archive: the record keeps
 * them in its raw bytes, its text is empty), a read receipt, a key change. */
static int message_event(xctx_t *x, const char *file, const char *raw, size_t n, int64_t off,
                         int64_t line)
{
	custos_record_t *rec = &x->rec;
	char mb[24], sb[24], tb[24], sub[64];
	int r;
	custos_jv_t *root = parse_or_bad(x, file, raw, n, off, line, &r);
	if (!root)
		return r;
	custos_jv_t *ev = custos_jv__get(root, "messageEvent") ? custos_jv__get(root, "messageEvent")
	                                                       : root;
	const char *mid = jid(ev, "messageId", mb), *sender = jid(ev, "senderId", sb);
	const char *ms = jid(ev, "createdAtMsec", tb);
	custos_jv_t *detail = custos_jv__get(ev, "detail");
	const char *dkey = custos_jv__first_key(detail);
	char *end = NULL;
	long long at = ms ? strtoll(ms, &end, 10) : 0;
	if (!mid || !ms || !end || *end || !dkey)
		return custos_import__bad(x->sink, file, off, line, "message event without messageId, "
		                          "createdAtMsec or detail", raw, n, x->err);
	snake_event(sub, sizeof sub, dkey);
	int own = sender && x->owner_id && strcmp(sender, x->owner_id) == 0;
	if ((r = set_idf(rec, &rec->id, "x:dm:", mid)) == 0 &&
	    (r = custos_record_sets(rec, &rec->platform, "x")) == 0 &&
	    (r = custos_record_sets(rec, &rec->kind, strcmp(sub, "message_create") == 0
	                            ? "message" : "event")) == 0 &&
	    (r = custos_record_sets(rec, &rec->subtype, sub)) == 0 &&
	    (r = custos_record_sets(rec, &rec->account, x->owner_handle)) == 0 &&
	    (r = custos_record_sets(rec, &rec->author_id, sender)) == 0 &&
	    (r = custos_record_sets(rec, &rec->author_handle, own && x->owner_handle
	                            ? x->owner_handle : sender ? sender : "unknown")) == 0 &&
	    (r = custos_record_sets(rec, &rec->author_name, own ? x->owner_name : NULL)) == 0 &&
	    (r = custos_record_sets(rec, &rec->text, "")) == 0 &&
	    (r = custos_record_sets(rec, &rec->visibility, "direct")) == 0)
		r = set_dm_thread(rec, jstr(ev, "conversationId"));
	rec->created_at = (int64_t)at;
	return finish_record(x, rec, r, file, raw, n, off, line);
}

/* ------------------------------------------------------------------------
 * Archive files */

enum { YTD_TWEETS, YTD_DELETED, YTD_DMS, YTD_LIKES, YTD_MSG_EVENTS, YTD_OTHER };

static int ytd_kind(const char *head, size_t n)
{
	char buf[80];
	/* a UTF-8 byte order mark and white space before the prefix, as an
	 * editor or a copy may leave them (the scanner steps over both) */
	if (n >= 3 && !memcmp(head, "\xEF\xBB\xBF", 3)) {
		head += 3;
		n -= 3;
	}
	while (n && (*head == ' ' || *head == '\t' || *head == '\r' || *head == '\n')) {
		head++;
		n--;
	}
	size_t k = n < sizeof buf - 1 ? n : sizeof buf - 1;
	memcpy(buf, head, k);
	buf[k] = 0;
	if (strncmp(buf, "window.YTD.", 11) != 0)
		return -1;
	const char *g = buf + 11;
	if (!strncmp(g, "tweets.", 7) || !strncmp(g, "tweet.", 6) ||
	    !strncmp(g, "community_tweet.", 16))
		return YTD_TWEETS;
	if (!strncmp(g, "deleted_tweets.", 15) || !strncmp(g, "deleted_tweet.", 14))
		return YTD_DELETED;
	if (!strncmp(g, "direct_messages.", 16) || !strncmp(g, "direct_messages_group.", 22) ||
	    !strncmp(g, "direct_message.", 15) || !strncmp(g, "direct_message_group.", 21))
		return YTD_DMS;
	if (!strncmp(g, "like.", 5))
		return YTD_LIKES;
	if (!strncmp(g, "message_event.", 14))
		return YTD_MSG_EVENTS;
	return YTD_OTHER;
}

static int archive_file(xctx_t *x, const char *relpath, int kind)
{
	custos_input_t *in = NULL;
	custos_jsonscan_t *js = NULL;
	const char *e;
	size_t n;
	int64_t off, line;
	int r;

	if ((r = custos_tree__open(x->tree, relpath, &in, x->err)) < 0)
		return r;
	if ((r = custos_jsonscan__open(&js, in, "")) < 0) {
		custos_input__close(in);
		return custos_err_set(x->err, r, "out of memory");
	}
	while ((r = custos_jsonscan__next(js, &e, &n, &off, &line, x->err)) > 0) {
		if ((r = custos_import__check_utf8(x->sink, in->name, off, line, e, n, x->err)) != 0) {
			if (r > 0)
				continue;
			break;
		}
		if (kind == YTD_DMS) {
			r = dm_conversation(x, in->name, e, n, off, line);
		} else if (kind == YTD_LIKES) {
			r = archive_like(x, in->name, e, n, off, line);
		} else if (kind == YTD_MSG_EVENTS) {
			r = message_event(x, in->name, e, n, off, line);
		} else {
			int64_t del = CUSTOS_TIME_NONE;
			if (kind == YTD_DELETED) {
				/* deleted_at sits in the tweet object; peek without a second parse */
				const char *p = memmem(e, n, "\"deleted_at\"", 12);
				if (p) {
					p += 12;
					while (p < e + n && (*p == ' ' || *p == ':' || *p == '\n'))
						p++;
					if (p < e + n && *p == '"') {
						const char *q = memchr(p + 1, '"', (size_t)(e + n - p - 1));
						if (q && custos_time_parse(&del, p + 1, (size_t)(q - p - 1)) < 0)
							del = CUSTOS_TIME_NONE;
					}
				}
			}
			r = archive_tweet(x, in->name, e, n, off, line, del, 1);
		}
		if (r != 0)
			break;
	}
	if (r == CUSTOS_EFORMAT && n && e && x->err && strstr(x->err->msg, "input ends inside")) {
		/* a truncated file: its last element is a bad item */
		custos_err_t why = *x->err;
		r = custos_import__bad(x->sink, in->name, off, line, why.msg, e, n, x->err);
	}
	custos_jsonscan__free(js);
	custos_input__close(in);
	return r < 0 ? r : 0;
}

/* Reads a small YTD file ("window.X = <json>") as a JSON tree. */
static custos_jv_t *load_ytd(xctx_t *x, const char *relpath)
{
	char *data = NULL;
	size_t n;
	custos_jv_t *j = NULL;
	if (custos_tree__slurp(x->tree, relpath, (size_t)16 << 20, &data, &n, NULL) < 0)
		return NULL;
	char *eq = memchr(data, '=', n < 200 ? n : 200);
	const char *p = data;
	if (eq && (data[0] < '0' || data[0] > '9') && data[0] != '[' && data[0] != '{')
		p = eq + 1;
	j = custos_jv__parse(&x->meta, p, n - (size_t)(p - data), NULL);
	free(data);
	return j;
}

static int set_owner(xctx_t *x, const char *dir)
{
	char path[512];
	custos_jv_t *acct, *man;
	const char *s;
	char b[24];
	snprintf(path, sizeof path, "%saccount.js", dir);
	if ((acct = load_ytd(x, path))) {
		custos_jv_t *a = custos_jv__get(custos_jv__at(acct, 0), "account");
		if ((s = jstr(a, "username")))
			x->owner_handle = strdup(s);
		if ((s = jid(a, "accountId", b)))
			x->owner_id = strdup(s);
		if ((s = jstr(a, "accountDisplayName")))
			x->owner_name = strdup(s);
	}
	snprintf(path, sizeof path, "%smanifest.js", dir);
	if (!x->owner_handle && (man = load_ytd(x, path))) {
		custos_jv_t *u = custos_jv__get(man, "userInfo");
		if ((s = jstr(u, "userName")))
			x->owner_handle = strdup(s);
		if (!x->owner_id && (s = jid(u, "accountId", b)))
			x->owner_id = strdup(s);
		if (!x->owner_name && (s = jstr(u, "displayName")))
			x->owner_name = strdup(s);
	}
	return 0;
}

/* File names of one data type: manifest.js when it lists them, else the
 * names X has used. Each path is relative to the tree. */
static size_t data_files(xctx_t *x, custos_jv_t *manifest, const char *dir, const char *const *types,
                         const char *const *fallback, char out[][256], size_t max)
{
	size_t n = 0;
	for (size_t t = 0; types[t] && manifest; t++) {
		custos_jv_t *files = custos_jv__get(custos_jv__get(custos_jv__get(manifest, "dataTypes"),
		                                                types[t]), "files");
		size_t i;
		custos_jv_t *f;
		custos_jv__foreach(files, i, f) {
			const char *fn = jstr(f, "fileName");
			if (!fn || n == max)
				continue;
			/* manifest names are relative to the archive root ("data/x.js"),
			 * which is dir without its "data/" (or unknown when the tree is
			 * the data folder itself) */
			size_t dl = strlen(dir);
			if (dl >= 5 && strcmp(dir + dl - 5, "data/") == 0)
				snprintf(out[n], 256, "%.*s%s", (int)(dl - 5), dir, fn);
			else
				snprintf(out[n], 256, "%s%s", dir,
				         strncmp(fn, "data/", 5) == 0 ? fn + 5 : fn);
			if (custos_tree__exists(x->tree, out[n], NULL))
				n++;
		}
	}
	if (n)
		return n;
	for (size_t i = 0; fallback[i] && n < max; i++) {
		snprintf(out[n], 256, "%s%s", dir, fallback[i]);
		if (custos_tree__exists(x->tree, out[n], NULL))
			n++;
	}
	return n;
}

static void xctx_free(xctx_t *x)
{
	free(x->owner_handle);
	free(x->owner_id);
	free(x->owner_name);
	custos_media_index__free(x->media);
	for (size_t i = 0; i < x->n_deferred; i++) {
		free(x->deferred[i].raw);
		free(x->deferred[i].file);
	}
	free(x->deferred);
	free(x->firsts);
	free(x->notes);
	custos_arena_free(&x->jarena);
	custos_arena_free(&x->meta);
	custos_record_free(&x->rec);
	custos_buf_free(&x->tmp);
}

/* The data folder of an archive at the tree's root ("data/", or "" for a
 * tree that is the data folder), into dir; 0 when none. An archive in a
 * folder of the tree (a zip of the unpacked archive's folder) is found by
 * the dispatcher, which walks the tree's folders. */
static int archive_dir(custos_tree_t *t, char *dir, size_t cap)
{
	static const char *const marks[] = { "data/manifest.js", "data/tweets.js",
	                                     "data/tweet.js", NULL };
	for (size_t i = 0; marks[i]; i++)
		if (custos_tree__exists(t, marks[i], NULL)) {
			snprintf(dir, cap, "data/");
			return 1;
		}
	if (custos_tree__exists(t, "manifest.js", NULL) &&
	    (custos_tree__exists(t, "tweets.js", NULL) || custos_tree__exists(t, "tweet.js", NULL))) {
		snprintf(dir, cap, "%s", "");
		return 1;
	}
	return 0;
}

static int x_archive_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	char dir[300];
	if (!relpath)
		return archive_dir(t, dir, sizeof dir) ? 95 : 0;
	int k = ytd_kind(head, n);
	return k >= 0 && k != YTD_OTHER ? 90 : 0;
}

static int x_archive_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                         custos_err_t *err)
{
	static const char *const t_types[] = { "tweets", "tweet", NULL };
	static const char *const t_files[] = { "tweets.js", "tweet.js", "tweets-part1.js",
	                                       "tweets-part2.js", "tweets-part3.js", NULL };
	static const char *const c_types[] = { "communityTweet", NULL };
	static const char *const c_files[] = { "community-tweet.js", NULL };
	static const char *const n_types[] = { "noteTweet", NULL };
	static const char *const n_files[] = { "note-tweet.js", NULL };
	static const char *const d_types[] = { "deletedTweets", NULL };
	static const char *const d_files[] = { "deleted-tweets.js", NULL };
	static const char *const m_types[] = { "directMessages", "directMessagesGroup", NULL };
	static const char *const m_files[] = { "direct-messages.js", "direct-messages-group.js",
	                                       NULL };
	static const char *const l_types[] = { "like", NULL };
	static const char *const l_files[] = { "like.js", NULL };
	static const char *const e_types[] = { "messageEvent", NULL };
	static const char *const e_files[] = { "message-event.js", NULL };
	xctx_t x = { .sink = sink, .err = err, .format = "x-archive", .tree = t,
	             .generated_at = CUSTOS_TIME_NONE };
	char files[16][256];
	char dirbuf[256] = "";
	const char *dir;
	int r = 0;

	custos_record_init(&x.rec);
	if (relpath) {
		const char *slash = strrchr(relpath, '/');
		if (slash)
			snprintf(dirbuf, sizeof dirbuf, "%.*s/", (int)(slash - relpath), relpath);
		dir = dirbuf;
	} else if (archive_dir(t, dirbuf, sizeof dirbuf)) {
		dir = dirbuf;
	} else {
		r = custos_err_set(err, CUSTOS_ENOTFOUND, "%s: no data/tweets.js or data/tweet.js: "
		                   "not an X archive", custos_tree__name(t));
		goto done;
	}
	set_owner(&x, dir);
	char mpath[300];
	snprintf(mpath, sizeof mpath, "%smanifest.js", dir);
	custos_jv_t *manifest = load_ytd(&x, mpath);
	x.generated_at = jtime(custos_jv__get(manifest, "archiveInfo"), "generationDate");
	if (!x.owner_handle)
		custos_import__warn(sink, custos_tree__name(t), "no account.js or manifest.js: the "
		                    "archive owner is unknown, posts carry the author id only");
	/* not profile_media/ and the like: only media that records name */
	if ((r = custos_media_index__build(&x.media, t, "tweets_media/|tweet_media/|"
	                                   "community_tweet_media/|messages_media/|"
	                                   "messages_group_media/", sink, err)) < 0)
		goto done;

	if (relpath) {
		char head[80];
		custos_input_t *in = NULL;
		ssize_t k = 0;
		if ((r = custos_tree__open(t, relpath, &in, err)) < 0)
			goto done;
		k = in->read(in, head, sizeof head);
		custos_input__close(in);
		int kind = ytd_kind(head, k > 0 ? (size_t)k : 0);
		if (kind < 0 || kind == YTD_OTHER) {
			custos_import__warn(sink, relpath, "not X posts or messages: skipped");
			goto done;
		}
		if (kind == YTD_TWEETS) {
			char npath[300];
			snprintf(npath, sizeof npath, "%snote-tweet.js", dir);
			if ((r = load_notes(&x, npath)) < 0)
				goto done;
		}
		if ((r = archive_file(&x, relpath, kind)) < 0)
			goto done;
		r = flush_deferred(&x);
		goto done;
	}

	size_t nn = data_files(&x, manifest, dir, n_types, n_files, files, 16);
	for (size_t i = 0; i < nn && r == 0; i++)
		r = load_notes(&x, files[i]);
	size_t nt = r == 0 ? data_files(&x, manifest, dir, t_types, t_files, files, 16) : 0;
	for (size_t i = 0; i < nt && r == 0; i++)
		r = archive_file(&x, files[i], YTD_TWEETS);
	/* the owner's posts in communities: posts of their own file */
	size_t nc = r == 0 ? data_files(&x, manifest, dir, c_types, c_files, files, 16) : 0;
	for (size_t i = 0; i < nc && r == 0; i++)
		r = archive_file(&x, files[i], YTD_TWEETS);
	size_t nd = r == 0 ? data_files(&x, manifest, dir, d_types, d_files, files, 16) : 0;
	for (size_t i = 0; i < nd && r == 0; i++)
		r = archive_file(&x, files[i], YTD_DELETED);
	if (r == 0)
		r = flush_deferred(&x);
	size_t nm = r == 0 ? data_files(&x, manifest, dir, m_types, m_files, files, 16) : 0;
	for (size_t i = 0; i < nm && r == 0; i++)
		r = archive_file(&x, files[i], YTD_DMS);
	size_t ne = r == 0 ? data_files(&x, manifest, dir, e_types, e_files, files, 16) : 0;
	for (size_t i = 0; i < ne && r == 0; i++)
		r = archive_file(&x, files[i], YTD_MSG_EVENTS);
	size_t nl = r == 0 ? data_files(&x, manifest, dir, l_types, l_files, files, 16) : 0;
	for (size_t i = 0; i < nl && r == 0; i++)
		r = archive_file(&x, files[i], YTD_LIKES);
done:
	xctx_free(&x);
	return r < 0 ? r : 0;
}

/* ------------------------------------------------------------------------
 * API captures */

/* includes.<what>[] by a key ("id", "media_key"); linear: pages hold 100. */
static custos_jv_t *find_by(custos_jv_t *includes, const char *what, const char *key, const char *val)
{
	size_t i;
	custos_jv_t *e;
	char b[24];
	if (!val)
		return NULL;
	custos_jv__foreach(custos_jv__get(includes, what), i, e) {
		const char *v = jid(e, key, b);
		if (v && strcmp(v, val) == 0)
			return e;
	}
	return NULL;
}

/* The first id of an edited tweet the page includes, else id itself: the
 * record of an edited tweet is named by its first version. */
static const char *first_version(custos_jv_t *inc, const char *id, char *buf)
{
	custos_jv_t *t = find_by(inc, "tweets", "id", id);
	custos_jv_t *f = custos_jv__at(custos_jv__get(t, "edit_history_tweet_ids"), 0);
	if (custos_jv__is_str(f)) {
		snprintf(buf, 24, "%s", custos_jv__str(f));
		return buf;
	}
	return id;
}

static int tweet_v2(xctx_t *x, custos_record_t *rec, custos_jv_t *tw, custos_jv_t *inc)
{
	char ib[24], ab[24], cb[24], fb[24], rb[24];
	const char *id = jid(tw, "id", ib), *first = NULL, *s;
	custos_jv_t *user, *ents = custos_jv__get(tw, "entities"), *refs;
	int64_t created = jtime(tw, "created_at");
	const char *text, *handle;
	int r, is_rt = 0;

	if (!id || created == CUSTOS_TIME_NONE)
		return custos_err_set(x->err, CUSTOS_EFORMAT, "tweet without id or created_at");
	custos_jv_t *hist = custos_jv__get(tw, "edit_history_tweet_ids");
	if (custos_jv__len(hist)) {
		custos_jv_t *f = custos_jv__at(hist, 0);
		first = custos_jv__is_str(f) ? custos_jv__str(f) : NULL;
		if (custos_jv__is_int(f)) {
			snprintf(fb, sizeof fb, "%lld", (long long)custos_jv__int(f));
			first = fb;
		}
	}
	if (first && strcmp(first, id) != 0) {
		rec->edited_at = created;
		/* the first version's time, to the second as X gives it */
		int64_t t0 = snowflake_ms(first);
		if (t0 != CUSTOS_TIME_NONE)
			created = t0 - t0 % 1000;
	} else {
		first = id;
	}
	TRY(set_idf(rec, &rec->id, "x:", first));
	TRY(custos_record_sets(rec, &rec->platform, "x"));
	rec->created_at = created;
	s = jid(tw, "author_id", ab);
	user = find_by(inc, "users", "id", s);
	handle = user ? jstr(user, "username") : NULL;
	if (!handle)
		handle = s ? s : "unknown";
	TRY(custos_record_sets(rec, &rec->author_id, s));
	TRY(custos_record_sets(rec, &rec->author_handle, handle));
	TRY(custos_record_sets(rec, &rec->author_name, user ? jstr(user, "name") : NULL));
	TRY(custos_record_sets(rec, &rec->account, handle));
	if ((s = jid(tw, "conversation_id", cb))) {
		/* a conversation started by an edited tweet is named by its last
		 * version; the record has the first */
		size_t k;
		custos_jv_t *h;
		int mine = 0;
		char vb[24];
		custos_jv__foreach(hist, k, h)
			if (k > 0 && custos_jv__is_str(h) && strcmp(custos_jv__str(h), s) == 0)
				mine = 1;
		s = mine ? first : first_version(inc, s, vb);
		TRY(set_idf(rec, &rec->thread, "x:", s));
	}

	size_t i;
	custos_jv_t *ref;
	custos_jv_t *rt_tw = NULL;
	refs = custos_jv__get(tw, "referenced_tweets");
	custos_jv__foreach(refs, i, ref) {
		const char *type = jstr(ref, "type"), *rid = jid(ref, "id", rb);
		if (!type || !rid)
			continue;
		char fb2[24];
		const char *orig = rid;
		rid = first_version(inc, rid, fb2);
		if (!strcmp(type, "replied_to"))
			TRY(set_idf(rec, &rec->in_reply_to, "x:", rid));
		else if (!strcmp(type, "quoted"))
			TRY(set_idf(rec, &rec->quote_of, "x:", rid));
		else if (!strcmp(type, "retweeted")) {
			TRY(set_idf(rec, &rec->repost_of, "x:", rid));
			rt_tw = find_by(inc, "tweets", "id", orig);
			is_rt = 1;
		}
	}

	custos_jv_t *note = custos_jv__get(tw, "note_tweet");
	text = note ? jstr(note, "text") : NULL;
	if (note && custos_jv__get(note, "entities"))
		ents = custos_jv__get(note, "entities");
	if (!text)
		text = jstr(tw, "text");
	custos_buf_clear(&x->tmp);
	if (rt_tw) {
		custos_jv_t *ru = find_by(inc, "users", "id", jid(rt_tw, "author_id", ab));
		custos_jv_t *rnote = custos_jv__get(rt_tw, "note_tweet");
		const char *rtext = rnote ? jstr(rnote, "text") : NULL;
		custos_jv_t *rents = rnote && custos_jv__get(rnote, "entities")
		                ? custos_jv__get(rnote, "entities") : custos_jv__get(rt_tw, "entities");
		if (!rtext)
			rtext = jstr(rt_tw, "text");
		if (rtext && ru && jstr(ru, "username")) {
			custos_buf_t dec = { 0 };
			r = decode_x_entities(&dec, rtext);
			if (r >= 0)
				r = custos_buf_printf(&x->tmp, "RT @%s: ", jstr(ru, "username"));
			if (r >= 0)
				r = expand_urls(&x->tmp, dec.data ? dec.data : "", custos_jv__get(rents, "urls"));
			custos_buf_free(&dec);
			TRY(r);
			text = NULL;
		}
	}
	if (text) {
		custos_buf_t dec = { 0 };
		r = decode_x_entities(&dec, text);
		if (r >= 0)
			r = expand_urls(&x->tmp, dec.data ? dec.data : "", custos_jv__get(ents, "urls"));
		custos_buf_free(&dec);
		TRY(r);
	}
	TRY(custos_record_set(rec, &rec->text, x->tmp.data ? x->tmp.data : "", x->tmp.len));
	TRY(custos_record_sets(rec, &rec->lang, jstr(tw, "lang")));
	TRY(strv_from(rec, &rec->hashtags, custos_jv__get(ents, "hashtags"), "tag"));
	TRY(strv_from(rec, &rec->mentions, custos_jv__get(ents, "mentions"), "username"));
	TRY(strv_from(rec, &rec->cashtags, custos_jv__get(ents, "cashtags"), "tag"));
	TRY(urls_from(rec, custos_jv__get(ents, "urls")));
	TRY(custos_record_sets(rec, &rec->kind, is_rt ? "repost" : rec->quote_of ? "quote"
	                       : rec->in_reply_to ? "reply" : "post"));
	custos_buf_clear(&x->tmp);
	TRY(custos_buf_printf(&x->tmp, "https://x.com/%s/status/%s", handle, id));
	TRY(custos_record_sets(rec, &rec->url, x->tmp.data));

	custos_jv_t *mk;
	custos_jv__foreach(custos_jv__get(custos_jv__get(tw, "attachments"), "media_keys"), i, mk) {
		custos_jv_t *m = custos_jv__is_str(mk) ? find_by(inc, "media", "media_key",
		                                         custos_jv__str(mk)) : NULL;
		const char *type = m ? jstr(m, "type") : NULL;
		const char *url = m ? best_variant(m) : NULL;
		if (m && !url)
			url = jstr(m, "url");
		if (m && !url)
			url = jstr(m, "preview_image_url");
		if (url)
			TRY(add_media_url(rec, url, type ? type : "photo"));
	}
	return 0;
}

/* Hands over the elements at path inside one JSON value (its bytes p, n
 * at off/line of the file), each with its parsed twin from arr. */
typedef int (*item_fn)(xctx_t *x, custos_jv_t *item, custos_jv_t *ctx, const char *file,
                       const char *raw, size_t n, int64_t off, int64_t line);

static int each_at(xctx_t *x, const char *path, custos_jv_t *arr, custos_jv_t *ctx, item_fn fn,
                   const char *file, const char *p, size_t n, int64_t off, int64_t line)
{
	custos_input_t *min = NULL;
	custos_jsonscan_t *js = NULL;
	const char *e;
	size_t en, i = 0;
	int64_t eoff, eline;
	int r;
	if ((r = custos_input__open_mem(&min, file, p, n)) < 0 ||
	    (r = custos_jsonscan__open(&js, min, path)) < 0) {
		custos_input__close(min);
		return custos_err_set(x->err, r, "out of memory");
	}
	while ((r = custos_jsonscan__next(js, &e, &en, &eoff, &eline, x->err)) > 0) {
		custos_jv_t *item = custos_jv__is_arr(arr) ? custos_jv__at(arr, i) : i == 0 ? arr : NULL;
		i++;
		if (!item)
			continue;
		if ((r = fn(x, item, ctx, file, e, en, off + eoff, line + eline - 1)) != 0)
			break;
	}
	custos_jsonscan__free(js);
	custos_input__close(min);
	return r < 0 ? r : 0;
}

static int emit_api(xctx_t *x, int v2, custos_jv_t *item, custos_jv_t *inc, const char *file,
                    const char *raw, size_t n, int64_t off, int64_t line)
{
	custos_err_t perr = { 0 };
	custos_err_t *saved = x->err;
	int r;
	x->err = &perr;
	r = v2 ? tweet_v2(x, &x->rec, item, inc) : tweet_v1(x, &x->rec, item);
	x->err = saved;
	if (r == 0)
		r = set_source(x, &x->rec, file, off, line, raw, n);
	if (r == CUSTOS_EFORMAT) {
		custos_record_reset(&x->rec);
		return custos_import__bad(x->sink, file, off, line, perr.msg, raw, n, x->err);
	}
	if (r < 0) {
		custos_record_reset(&x->rec);
		return custos_err_set(x->err, r, "%s: out of memory", file);
	}
	return custos_import__record(x->sink, &x->rec, x->err);
}

static int item_v2(xctx_t *x, custos_jv_t *item, custos_jv_t *inc, const char *file, const char *raw,
                   size_t n, int64_t off, int64_t line)
{
	return emit_api(x, 1, item, inc, file, raw, n, off, line);
}

/* An included tweet is captured only as far as the request asked for its
 * fields: without a time or an author it is no record (and no bad item). */
static int item_v2_ref(xctx_t *x, custos_jv_t *item, custos_jv_t *inc, const char *file,
                       const char *raw, size_t n, int64_t off, int64_t line)
{
	if (jtime(item, "created_at") == CUSTOS_TIME_NONE || !jstr(item, "author_id") ||
	    !jstr(item, "text"))
		return 0;
	return emit_api(x, 1, item, inc, file, raw, n, off, line);
}

static int is_v1_tweet(custos_jv_t *o)
{
	return custos_jv__is_obj(o) && (custos_jv__get(o, "id_str") || custos_jv__get(o, "id")) &&
	       (custos_jv__get(o, "text") || custos_jv__get(o, "full_text")) &&
	       custos_jv__get(o, "created_at") && custos_jv__get(o, "user");
}

static int item_v1(xctx_t *x, custos_jv_t *item, custos_jv_t *unused, const char *file, const char *raw,
                   size_t n, int64_t off, int64_t line)
{
	if (!is_v1_tweet(item)) {
		char where[64];
		snprintf(where, sizeof where, "line %lld", (long long)line);
		custos_import__warn(x->sink, file, "%s: not a tweet; skipped", where);
		return 0;
	}
	return emit_api(x, 0, item, NULL, file, raw, n, off, line);
}


/* The one-to-one conversation of two user ids as the archive names it:
 * "x:dm:<smaller id>-<larger id>". */
static int set_dm_pair_thread(custos_record_t *rec, const char *a, const char *b)
{
	char buf[80];
	size_t la, lb;
	if (!a || !b)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la > lb || (la == lb && strcmp(a, b) > 0)) {
		const char *t = a;
		a = b;
		b = t;
	}
	snprintf(buf, sizeof buf, "%s-%s", a, b);
	return set_dm_thread(rec, buf);
}

/* A direct message of the v1.1 API (direct_messages/events/list, or the
 * Account Activity API's direct_message_events): {"type":"message_create",
 * "id","created_timestamp","message_create":{"sender_id","target":
 * {"recipient_id"},"message_data":{"text","entities"}}}. Handles come from
 * the page's "users" when it has them. */
static int item_dm_event(xctx_t *x, custos_jv_t *ev, custos_jv_t *users, const char *file,
                         const char *raw, size_t n, int64_t off, int64_t line)
{
	custos_record_t *rec = &x->rec;
	custos_jv_t *mc = custos_jv__get(ev, "message_create");
	custos_jv_t *md = custos_jv__get(mc, "message_data");
	custos_jv_t *ents = custos_jv__get(md, "entities");
	char ib[24], tb[24], sb[24], rb[24];
	const char *id = jid(ev, "id", ib), *ts = jid(ev, "created_timestamp", tb);
	const char *sender = jid(mc, "sender_id", sb);
	const char *to = jid(custos_jv__get(mc, "target"), "recipient_id", rb);
	const char *type = jstr(ev, "type");
	custos_jv_t *su = sender ? custos_jv__get(users, sender) : NULL;
	char *end = NULL;
	long long at = ts ? strtoll(ts, &end, 10) : 0;
	int r;
	if (type && strcmp(type, "message_create") != 0) {
		custos_import__warn(x->sink, file, "line %lld: a direct-message event of type %s; "
		                    "skipped", (long long)line, type);
		return 0;
	}
	if (!id || !ts || !end || *end || !mc || !sender)
		return custos_import__bad(x->sink, file, off, line, "direct message without id, "
		                          "created_timestamp or sender_id", raw, n, x->err);
	if ((r = set_idf(rec, &rec->id, "x:dm:", id)) == 0 &&
	    (r = custos_record_sets(rec, &rec->platform, "x")) == 0 &&
	    (r = custos_record_sets(rec, &rec->kind, "message")) == 0 &&
	    (r = custos_record_sets(rec, &rec->author_id, sender)) == 0 &&
	    (r = custos_record_sets(rec, &rec->author_handle, jstr(su, "screen_name")
	                            ? jstr(su, "screen_name") : sender)) == 0 &&
	    (r = custos_record_sets(rec, &rec->author_name, jstr(su, "name"))) == 0 &&
	    (r = custos_record_sets(rec, &rec->text, jstr(md, "text") ? jstr(md, "text") : ""))
	     == 0 &&
	    (r = custos_record_sets(rec, &rec->visibility, "direct")) == 0 &&
	    (r = strv_from(rec, &rec->hashtags, custos_jv__get(ents, "hashtags"), "text")) == 0 &&
	    (r = strv_from(rec, &rec->mentions, custos_jv__get(ents, "user_mentions"),
	                   "screen_name")) == 0 &&
	    (r = strv_from(rec, &rec->cashtags, custos_jv__get(ents, "symbols"), "text")) == 0 &&
	    (r = urls_from(rec, custos_jv__get(ents, "urls"))) == 0)
		r = set_dm_pair_thread(rec, sender, to);
	rec->created_at = (int64_t)at;
	return finish_record(x, rec, r, file, raw, n, off, line);
}

/* ------------------------------------------------------------------------
 * Stream notices and events (twitter-api lines that are not tweets). The
 * v1.1 streams interleave them with the tweets; a records system keeps
 * them, since each says something about a post or about what the capture
 * holds: that it was deleted upstream (never applied here: the post's own
 * record stays as captured), withheld in some countries, stripped of its
 * location, liked; that the stream left posts out (limit). */

/* "(platform)": the author of what the platform itself says. */
#define PLATFORM_AUTHOR "(platform)"

static int notice_head(xctx_t *x, custos_record_t *rec, const char *id, const char *kind,
                       const char *subtype, const char *user_id, const char *handle,
                       const char *name, int64_t at)
{
	int r;
	TRY(custos_record_sets(rec, &rec->id, id));
	TRY(custos_record_sets(rec, &rec->platform, "x"));
	TRY(custos_record_sets(rec, &rec->kind, kind));
	TRY(custos_record_sets(rec, &rec->subtype, subtype));
	TRY(custos_record_sets(rec, &rec->author_id, user_id));
	TRY(custos_record_sets(rec, &rec->author_handle, handle ? handle
	                       : user_id ? user_id : PLATFORM_AUTHOR));
	TRY(custos_record_sets(rec, &rec->author_name, name));
	rec->created_at = at;
	return 0;
}

/* The notice's own time (timestamp_ms, in the notice or its envelope),
 * else the time in the post id it names: the latest and the earliest the
 * event can be. */
static int64_t notice_time(custos_jv_t *root, custos_jv_t *body, const char *post_id)
{
	char b[24];
	const char *ts = jid(body, "timestamp_ms", b);
	if (!ts)
		ts = jid(root, "timestamp_ms", b);
	if (ts) {
		char *end;
		long long v = strtoll(ts, &end, 10);
		if (!*end && v > 0)
			return (int64_t)v;
	}
	return post_id ? snowflake_ms(post_id) : CUSTOS_TIME_NONE;
}

static int countries_text(custos_buf_t *b, custos_jv_t *list)
{
	size_t i;
	custos_jv_t *c;
	int r = custos_buf_adds(b, "withheld in:");
	custos_jv__foreach(list, i, c)
		if (r == 0 && custos_jv__is_str(c))
			r = custos_buf_printf(b, " %s", custos_jv__str(c));
	return r;
}

/* Returns 0 with the record handed over (or skipped with a warning), or
 * the stopping status. */
static int api_notice(xctx_t *x, custos_jv_t *root, const char *file, const char *p, size_t n,
                      int64_t off, int64_t line)
{
	custos_record_t *rec = &x->rec;
	custos_jv_t *body;
	char b1[24], b2[24], idb[200], sub[80];
	const char *what = NULL;
	int64_t at;
	int r = 0;

	if ((body = custos_jv__get(root, "delete")) && custos_jv__is_obj(body)) {
		/* {"delete":{"status":{"id","user_id"},"timestamp_ms"}}, or a
		 * direct message's */
		custos_jv_t *st = custos_jv__get(body, "status");
		int dm = !st && (st = custos_jv__get(body, "direct_message")) != NULL;
		const char *id = jid(st, "id_str", b1), *uid = jid(st, "user_id_str", b2);
		if (!id)
			id = jid(st, "id", b1);
		if (!uid)
			uid = jid(st, "user_id", b2);
		what = "delete notice";
		if (id && (at = notice_time(root, body, dm ? NULL : id)) != CUSTOS_TIME_NONE) {
			snprintf(idb, sizeof idb, dm ? "x:delete:dm:%s" : "x:delete:%s", id);
			if ((r = notice_head(x, rec, idb, "event", "delete", uid, NULL, NULL, at)) == 0 &&
			    (r = custos_record_sets(rec, &rec->text, "")) == 0 &&
			    (r = set_idf(rec, &rec->target, dm ? "x:dm:" : "x:", id)) == 0 && !dm)
				r = set_idf(rec, &rec->url, "https://x.com/i/web/status/", id);
			return finish_record(x, rec, r, file, p, n, off, line);
		}
	} else if ((body = custos_jv__get(root, "scrub_geo")) && custos_jv__is_obj(body)) {
		const char *uid = jid(body, "user_id_str", b1), *upto = jid(body, "up_to_status_id_str", b2);
		if (!uid)
			uid = jid(body, "user_id", b1);
		if (!upto)
			upto = jid(body, "up_to_status_id", b2);
		what = "scrub_geo notice";
		if (uid && upto && (at = notice_time(root, body, upto)) != CUSTOS_TIME_NONE) {
			snprintf(idb, sizeof idb, "x:scrub_geo:%s:%s", uid, upto);
			if ((r = notice_head(x, rec, idb, "event", "scrub_geo", uid, NULL, NULL, at)) == 0 &&
			    (r = custos_record_sets(rec, &rec->text, "location removed from posts up to "
			                            "this one")) == 0)
				r = set_idf(rec, &rec->target, "x:", upto);
			return finish_record(x, rec, r, file, p, n, off, line);
		}
	} else if (((body = custos_jv__get(root, "status_withheld")) ||
	            (body = custos_jv__get(root, "user_withheld"))) && custos_jv__is_obj(body)) {
		int status = custos_jv__get(root, "status_withheld") != NULL;
		const char *id = jid(body, "id_str", b1), *uid = jid(body, "user_id_str", b2);
		if (!id)
			id = jid(body, "id", b1);
		if (!uid)
			uid = status ? jid(body, "user_id", b2) : id;
		what = status ? "status_withheld notice" : "user_withheld notice";
		if (id && (at = notice_time(root, body, status ? id : NULL)) != CUSTOS_TIME_NONE) {
			custos_buf_clear(&x->tmp);
			snprintf(idb, sizeof idb, "x:%s:%s", status ? "status_withheld" : "user_withheld",
			         id);
			if ((r = notice_head(x, rec, idb, "event", status ? "status_withheld"
			                     : "user_withheld", uid, NULL, NULL, at)) == 0 &&
			    (r = countries_text(&x->tmp, custos_jv__get(body, "withheld_in_countries")))
			     == 0 && (r = custos_record_sets(rec, &rec->text, x->tmp.data)) == 0 && status)
				r = set_idf(rec, &rec->target, "x:", id);
			return finish_record(x, rec, r, file, p, n, off, line);
		}
	} else if ((body = custos_jv__get(root, "limit")) && custos_jv__is_obj(body)) {
		const char *track = jid(body, "track", b1);
		what = "limit notice";
		if ((at = notice_time(root, body, NULL)) != CUSTOS_TIME_NONE) {
			snprintf(idb, sizeof idb, "x:limit:%lld:%s", (long long)at, track ? track : "");
			custos_buf_clear(&x->tmp);
			if ((r = notice_head(x, rec, idb, "event", "limit", NULL, NULL, NULL, at)) == 0 &&
			    (r = custos_buf_printf(&x->tmp, "%s posts matching the stream's filter were "
			                           "not delivered", track ? track : "some")) == 0)
				r = custos_record_sets(rec, &rec->text, x->tmp.data);
			return finish_record(x, rec, r, file, p, n, off, line);
		}
	} else if (custos_jv__is_str(custos_jv__get(root, "event"))) {
		/* {"event":"favorite","created_at","source":user,"target":user,
		 * "target_object":tweet}: the tweet is a capture of its own */
		const char *ev = jstr(root, "event");
		custos_jv_t *src = custos_jv__get(root, "source"), *obj = custos_jv__get(root,
		                                                                       "target_object");
		const char *uid = jid(src, "id_str", b1), *oid = NULL;
		char ob[24];
		if (!uid)
			uid = jid(src, "id", b1);
		if (is_v1_tweet(obj)) {
			oid = jid(obj, "id_str", ob);
			if (!oid)
				oid = jid(obj, "id", ob);
			if ((r = each_at(x, "target_object", obj, NULL, item_v1, file, p, n, off, line))
			    != 0)
				return r;
		} else if (custos_jv__is_obj(obj)) {
			oid = jid(obj, "id_str", ob);
		}
		if (!oid) {
			custos_jv_t *tu = custos_jv__get(root, "target");
			oid = jid(tu, "id_str", ob);
		}
		what = "event";
		if (uid && (at = jtime(root, "created_at")) != CUSTOS_TIME_NONE) {
			int like = strcmp(ev, "favorite") == 0 && is_v1_tweet(obj);
			snake_event(sub, sizeof sub, ev);
			if (like)
				snprintf(idb, sizeof idb, "x:like:%s:%s", uid, oid);
			else
				snprintf(idb, sizeof idb, "x:event:%s:%s:%s:%lld", sub, uid, oid ? oid : "",
				         (long long)at);
			custos_buf_clear(&x->tmp);
			const char *ot = is_v1_tweet(obj) ? (jstr(obj, "full_text") ? jstr(obj, "full_text")
			                                     : jstr(obj, "text")) : NULL;
			if ((r = notice_head(x, rec, idb, like ? "like" : "event", like ? NULL : sub, uid,
			                     jstr(src, "screen_name"), jstr(src, "name"), at)) == 0 &&
			    (r = decode_x_entities(&x->tmp, ot ? ot : "")) == 0 &&
			    (r = custos_record_sets(rec, &rec->text, x->tmp.data ? x->tmp.data : "")) == 0 &&
			    is_v1_tweet(obj) && oid)
				r = set_idf(rec, &rec->target, "x:", oid);
			return finish_record(x, rec, r, file, p, n, off, line);
		}
	} else if (custos_jv__is_str(custos_jv__get(root, "action")) && jstr(root, "id") &&
	           !custos_jv__get(root, "text")) {
		/* v2 batch compliance: {"id","action":"delete","created_at","reason"};
		 * the id is a post's or a user's, which the line does not say */
		const char *id = jstr(root, "id"), *act = jstr(root, "action"), *why = jstr(root, "reason");
		what = "compliance event";
		if ((at = jtime(root, "created_at")) != CUSTOS_TIME_NONE) {
			snake_event(sub + 11, sizeof sub - 11, act);
			memcpy(sub, "compliance_", 11);
			snprintf(idb, sizeof idb, "x:compliance:%s:%s:%lld", act, id, (long long)at);
			custos_buf_clear(&x->tmp);
			if ((r = notice_head(x, rec, idb, "event", sub, NULL, NULL, NULL, at)) == 0 &&
			    (r = custos_buf_printf(&x->tmp, "%s %s%s%s", act, id, why ? ": " : "",
			                           why ? why : "")) == 0)
				r = custos_record_sets(rec, &rec->text, x->tmp.data);
			return finish_record(x, rec, r, file, p, n, off, line);
		}
	}
	custos_record_reset(rec);
	if (what)
		custos_import__warn(x->sink, file, "line %lld: %s without an id or a time; skipped",
		                    (long long)line, what);
	else
		custos_import__warn(x->sink, file, "line %lld: not a tweet, a page of tweets or a "
		                    "notice about one; skipped", (long long)line);
	return 0;
}

static int api_value(xctx_t *x, const char *file, const char *p, size_t n, int64_t off,
                     int64_t line)
{
	custos_jv_err_t je;
	custos_jv_t *root;
	char why[300];
	int r = 0;

	if ((r = custos_import__check_utf8(x->sink, file, off, line, p, n, x->err)) != 0)
		return r > 0 ? 0 : r;
	custos_arena_reset(&x->jarena);
	if (!(root = custos_jv__parse(&x->jarena, p, n, &je))) {
		snprintf(why, sizeof why, "invalid JSON: %s (at byte %lld)", je.text,
		         (long long)(off + je.position));
		return custos_import__bad(x->sink, file, off, line, why, p, n, x->err);
	}
	custos_jv_t *data = custos_jv__get(root, "data");
	if (data && (custos_jv__is_arr(data) || custos_jv__is_obj(data))) {
		custos_jv_t *inc = custos_jv__get(root, "includes");
		r = each_at(x, "data", data, inc, item_v2, file, p, n, off, line);
		/* the tweets a page refers to (parents, quoted and retweeted
		 * posts) were captured too, and link the threads together */
		if (r == 0 && custos_jv__len(custos_jv__get(inc, "tweets")))
			r = each_at(x, "includes.tweets", custos_jv__get(inc, "tweets"), inc,
			            item_v2_ref, file, p, n, off, line);
	} else if (custos_jv__is_arr(custos_jv__get(root, "events")) ||
	           custos_jv__is_arr(custos_jv__get(root, "direct_message_events"))) {
		const char *key = custos_jv__get(root, "events") ? "events" : "direct_message_events";
		r = each_at(x, key, custos_jv__get(root, key), custos_jv__get(root, "users"),
		            item_dm_event, file, p, n, off, line);
	} else if (custos_jv__is_obj(custos_jv__get(root, "message_create")) &&
	           custos_jv__get(root, "created_timestamp")) {
		r = item_dm_event(x, root, NULL, file, p, n, off, line);
	} else if (custos_jv__is_arr(custos_jv__get(root, "statuses"))) {
		r = each_at(x, "statuses", custos_jv__get(root, "statuses"), NULL, item_v1, file, p,
		            n, off, line);
	} else if (custos_jv__is_arr(root)) {
		r = each_at(x, "", root, NULL, item_v1, file, p, n, off, line);
	} else if (is_v1_tweet(root)) {
		r = emit_api(x, 0, root, NULL, file, p, n, off, line);
	} else if (custos_jv__is_obj(root)) {
		r = api_notice(x, root, file, p, n, off, line);
	} else {
		custos_import__warn(x->sink, file, "line %lld: not a tweet or a page of tweets; "
		                    "skipped", (long long)line);
	}
	return r;
}


static int twitter_api_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	if (!relpath || n == 0)
		return 0;
	if (memmem(head, n, "\"__twarc\"", 9) || (memmem(head, n, "\"data\"", 6) &&
	    (memmem(head, n, "\"author_id\"", 11) || memmem(head, n, "\"edit_history_tweet_ids\"", 24))))
		return 85;
	if (memmem(head, n, "\"created_at\"", 12) && memmem(head, n, "\"id_str\"", 8) &&
	    (memmem(head, n, "\"text\"", 6) || memmem(head, n, "\"full_text\"", 11)) &&
	    memmem(head, n, "\"user\"", 6))
		return 80;
	if (memmem(head, n, "\"statuses\"", 10) && memmem(head, n, "\"id_str\"", 8))
		return 70;
	/* direct messages of the v1.1 API (events/list, Account Activity) */
	if (memmem(head, n, "\"message_create\"", 16) && memmem(head, n, "\"sender_id\"", 11))
		return 60;
	/* a capture of the stream's notices only (a file of delete notices) */
	if ((memmem(head, n, "{\"delete\":", 10) && memmem(head, n, "\"user_id", 8)) ||
	    memmem(head, n, "{\"scrub_geo\":", 13) || memmem(head, n, "{\"status_withheld\":", 19) ||
	    memmem(head, n, "{\"user_withheld\":", 17) ||
	    (memmem(head, n, "{\"limit\":", 9) && memmem(head, n, "\"track\"", 7)))
		return 60;
	/* v2 batch compliance results, as twarc writes them */
	size_t k = 0;
	while (k < n && (head[k] == '\n' || head[k] == '\r' || head[k] == ' ' || head[k] == '\t'))
		k++;
	if (k < n && head[k] == '{' && memmem(head, n, "\"action\":", 9) &&
	    memmem(head, n, "\"reason\":", 9) && memmem(head, n, "\"created_at\":", 13) &&
	    !memmem(head, n, "\"text\"", 6))
		return 40;
	return 0;
}

/* A line of a capture; the first one that does not parse and ends opening
 * something says the file is pretty-printed JSON (API_DOC). */
enum { API_DOC = 1 };
typedef struct {
	xctx_t *x;
	int first;
} api_lines_t;

static int api_line(void *ctx, custos_input_t *in, const char *l, size_t n, int64_t off,
                    int64_t lineno)
{
	api_lines_t *al = ctx;
	xctx_t *x = al->x;
	if (al->first) {
		al->first = 0;
		/* pretty-printed JSON is one document over many lines: its first
		 * line does not parse and ends opening something (a broken first
		 * line of a JSONL file is just a bad line) */
		custos_jv_t *probe = custos_jv__parse(&x->jarena, l, n, NULL);
		custos_arena_reset(&x->jarena);
		size_t e = n;
		while (e > 0 && (l[e - 1] == ' ' || l[e - 1] == '\t' || l[e - 1] == '\r'))
			e--;
		if (!probe && e > 0 && strchr("{[,:", l[e - 1]))
			return API_DOC;
	}
	return api_value(x, in->name, l, n, off, lineno);
}

static int twitter_api_run(custos_tree_t *t, const char *relpath,
                           const custos_import_sink_t *sink, custos_err_t *err)
{
	xctx_t x = { .sink = sink, .err = err, .format = "twitter-api", .tree = t };
	api_lines_t al = { &x, 1 };
	custos_input_t *in = NULL;
	custos_jsonscan_t *js = NULL;
	const char *l;
	size_t n;
	int64_t off, lineno;
	int r;

	custos_record_init(&x.rec);
	r = custos_import__each_line(t, relpath, "twitter-api", MAX_LINE, api_line, &al, err);
	if (r == API_DOC) {
		/* start again, as a sequence of JSON values */
		if ((r = custos_tree__open(t, relpath, &in, err)) < 0)
			goto done;
		if ((r = custos_jsonscan__open(&js, in, NULL)) < 0)
			goto done;
		while ((r = custos_jsonscan__next(js, &l, &n, &off, &lineno, err)) > 0)
			if ((r = api_value(&x, in->name, l, n, off, lineno)) != 0)
				goto done;
		if (r == CUSTOS_EFORMAT && n) {
			custos_err_t why = *err;
			r = custos_import__bad(sink, in->name, off, lineno, why.msg, l, n, err);
		}
	}
done:
	custos_jsonscan__free(js);
	custos_input__close(in);
	xctx_free(&x);
	return r < 0 ? r : 0;
}

/* Files of an archive that x_archive_run does not read. */
static void x_archive_why_not(const char *relpath, char *why, size_t cap)
{
	const char *b = strrchr(relpath, '/');
	size_t n;
	b = b ? b + 1 : relpath;
	n = strlen(b);
	if (strstr(relpath, "profile_media/"))
		snprintf(why, cap, "the account's profile images: not imported");
	else if (strstr(relpath, "tweets_media/") || strstr(relpath, "tweet_media/") ||
	         strstr(relpath, "community_tweet_media/") ||
	         strstr(relpath, "messages_media/") || strstr(relpath, "messages_group_media/"))
		snprintf(why, cap, "a media file over 64 MB: its records keep the reference only");
	else if (strstr(relpath, "_media/"))
		snprintf(why, cap, "media of X data that is not imported");
	else if (!strcmp(b, "README.txt"))
		snprintf(why, cap, "X's description of the archive's files: not imported");
	else if (n > 3 && !strcmp(b + n - 3, ".js") && !strncmp(b, "tweet", 5) &&
	         !strstr(b, "header"))
		snprintf(why, cap, "a posts file that manifest.js does not list: not read");
	else if (n > 3 && !strcmp(b + n - 3, ".js"))
		snprintf(why, cap, "X's %.*s data: not imported (custos takes posts, deleted posts, "
		         "direct messages, likes and message events)", (int)(n - 3), b);
}

const custos_importer_t custos_import__x_archive = { "x-archive", x_archive_detect,
                                                     x_archive_run, x_archive_why_not };
const custos_importer_t custos_import__twitter_api = { "twitter-api", twitter_api_detect,
                                                       twitter_api_run, NULL };
