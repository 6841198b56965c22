/* The facebook importer: "Download Your Information" JSON posts
 * (your_posts_1.json, a root array; newer {"status_updates_v2": [...]}-style
 * wrappers) and comments ({"comments_v2": [...]}), with the export's
 * mojibake repaired (see fb_repair). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "import_internal.h"

#define HEAD 65536
#define MEDIA_MAX (64u << 20)  /* media read whole to store them, as the framework does */

/* Facebook writes UTF-8 text as one \u00XX escape per byte, so JSON
 * decoding gives one code point per byte ("trav\u00c3\u00a9s"). When every
 * code point of a decoded string is <= 0xFF, at least one is >= 0x80, and
 * the code points taken as bytes are valid UTF-8, those bytes are the text.
 * Anything else is left as it is (real Latin-1 text rarely forms valid UTF-8). */
static int utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i], need, cp;
		if (c < 0x80) { i++; continue; }
		if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1F; }
		else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0F; }
		else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07; }
		else return 0;
		if (i + need >= n)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Returns the repaired text in out (malloc'd) or NULL when s needs none. */
static char *fb_repair(const char *s)
{
	size_t n = strlen(s), o = 0;
	int high = 0;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 0xC4)
			return NULL;        /* a code point above 0xFF */
		if (p[i] >= 0x80)
			high = 1;
	}
	if (!high)
		return NULL;
	unsigned char *b = malloc(n + 1);
	if (!b)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x80)
			b[o++] = p[i];
		else if (i + 1 < n && (p[i] == 0xC2 || p[i] == 0xC3) && (p[i + 1] & 0xC0) == 0x80) {
			b[o++] = (unsigned char)((p[i] & 0x03) << 6 | (p[i + 1] & 0x3F));
			i++;
		} else {
			free(b);
			return NULL;
		}
	}
	b[o] = 0;
	if (!utf8_valid(b, o)) {
		free(b);
		return NULL;
	}
	return (char *)b;
}

/* The members of an array (none for anything else). */
static const custos_jv_t *items(const custos_jv_t *v)
{
	return custos_jv__is_arr(v) ? v->first : NULL;
}

/* An integer number; 0 when v is not one. */
static int jv_int(const custos_jv_t *v, int64_t *out)
{
	if (!v || v->type != CUSTOS_JV_NUM || !custos_jv__is_int(v))
		return 0;
	*out = custos_jv__int(v);
	return 1;
}

/* Sets *field to the repaired form of the JSON string v (NULL-safe). */
static int set_text(custos_record_t *r, char **field, const custos_jv_t *v)
{
	const char *s = custos_jv__str(v);
	if (!s)
		return 0;
	char *fixed = fb_repair(s);
	int st = custos_record_sets(r, field, fixed ? fixed : s);
	free(fixed);
	return st;
}

static const char *const verbs[] = {
	" shared ", " updated ", " posted ", " wrote ", " added ", " was ", " is ", " commented ",
	" replied ", " changed ", " created ", " uploaded ", " ha ", " actualiz", " public",
	" escribi", " compar", " coment", " a partag", " a publi", " hat ", NULL
};

/* The profile owner's name from a title such as "Lucas Vivo ha compartido un
 * enlace." or "Jo Doe shared a link.": the words before the first verb. */
static char *title_author(const char *t)
{
	const char *best = NULL;
	for (size_t i = 0; verbs[i]; i++) {
		const char *v = strstr(t, verbs[i]);
		if (v && (!best || v < best))
			best = v;
	}
	if (!best || best == t || best - t > 80)
		return NULL;
	return strndup(t, (size_t)(best - t));
}

/* The account from the first bytes of a file: the first parseable
 * "title" (or a comment's "author"). */
static char *head_account(const char *head, size_t n)
{
	static const char *const keys[] = { "\"title\"", "\"author\"", NULL };
	for (size_t k = 0; keys[k]; k++) {
		const char *p = head, *end = head + n;
		while ((p = memmem(p, (size_t)(end - p), keys[k], strlen(keys[k])))) {
			p += strlen(keys[k]);
			while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t' || *p == '\r'))
				p++;
			if (p >= end || *p != '"')
				continue;
			const char *q = p + 1;
			while (q < end && *q != '"')
				q += *q == '\\' ? 2 : 1;
			if (q >= end)
				break;
			/* decode the string literal with jansson, as a one-element array */
			size_t len = (size_t)(q + 1 - p);
			char *doc = malloc(len + 3);
			if (!doc)
				return NULL;
			doc[0] = '[';
			memcpy(doc + 1, p, len);
			doc[len + 1] = ']';
			doc[len + 2] = 0;
			json_t *j = json_loads(doc, 0, NULL);
			free(doc);
			const char *s = json_string_value(json_array_get(j, 0));
			char *fixed = s ? fb_repair(s) : NULL, *who = NULL;
			if (s)
				who = k == 0 ? title_author(fixed ? fixed : s) : strdup(fixed ? fixed : s);
			free(fixed);
			json_decref(j);
			if (who && *who)
				return who;
			free(who);
			p = q + 1;
		}
	}
	return NULL;
}

/* The owner's name from profile_information/profile_information.json. */
static char *profile_account(custos_tree_t *t)
{
	static const char *const paths[] = {
		"profile_information/profile_information.json",
		"personal_information/profile_information/profile_information.json",
		"your_facebook_activity/personal_information/profile_information/profile_information.json",
		NULL };
	for (size_t i = 0; paths[i]; i++) {
		char *buf = NULL;
		size_t n = 0;
		if (custos_tree__slurp(t, paths[i], 4u << 20, &buf, &n, NULL) < 0)
			continue;
		json_t *j = json_loadb(buf, n, 0, NULL);
		free(buf);
		json_t *pv = json_object_get(j, "profile_v2");
		if (!pv)
			pv = json_object_get(j, "profile");
		const char *s = json_string_value(json_object_get(json_object_get(pv, "name"), "full_name"));
		char *who = NULL;
		if (s) {
			char *fixed = fb_repair(s);
			who = strdup(fixed ? fixed : s);
			free(fixed);
		}
		json_decref(j);
		if (who)
			return who;
	}
	return NULL;
}

/* The stable id (custos_import__derived_id): the time, then the first 16
 * bytes of SHA-256 over the decimal created_at in ms, NUL, text, NUL,
 * title, then NUL and each URL in order, then NUL, "media:" and each media
 * file's name in order: what the entry itself holds. Before 2026-12 the
 * account came after the time (and no media): the account is not the
 * entry's (profile_information.json, else guessed from the file's first
 * title), so one post got two ids from two packagings of one export, and
 * two photos of one second without text one. old selects that recipe.
 * docs/importers.md says the same. */
static int derived_id(custos_record_t *r, int old)
{
	custos_sha256_ctx_t c;
	uint8_t h[CUSTOS_SHA256_LEN];
	char num[32];
	int n = snprintf(num, sizeof num, "%lld", (long long)r->created_at);
	const char *parts[3] = { r->account, r->text, r->title };
	custos_sha256_init(&c);
	custos_sha256_update(&c, num, (size_t)n);
	for (size_t i = old ? 0 : 1; i < 3; i++) {
		custos_sha256_update(&c, "", 1);
		if (parts[i])
			custos_sha256_update(&c, parts[i], strlen(parts[i]));
	}
	for (size_t i = 0; i < r->urls.n; i++) {
		custos_sha256_update(&c, "", 1);
		custos_sha256_update(&c, r->urls.v[i], strlen(r->urls.v[i]));
	}
	for (size_t i = 0; !old && i < r->n_media; i++) {
		const char *m = r->media[i].name ? r->media[i].name : r->media[i].url;
		custos_sha256_update(&c, "\0media:", 7);
		if (m)
			custos_sha256_update(&c, m, strlen(m));
	}
	custos_sha256_final(&c, h);
	return custos_import__derived_id(r, "facebook", h);
}

typedef struct {
	custos_tree_t *tree;
	const custos_import_sink_t *sink;
	custos_input_t *in;
	custos_record_t rec;
	const char *account;
	int comments;      /* the file holds comments */
	custos_arena_t tree_arena;   /* the parsed entry */
} fb_t;

static int add_url(custos_record_t *r, const char *u)
{
	for (size_t i = 0; i < r->urls.n; i++)
		if (!strcmp(r->urls.v[i], u))
			return 0;
	return custos_record_strv_add(r, &r->urls, u, strlen(u));
}

/* Media named by the export: stored as a blob when the file is in the
 * export, else recorded by name. */
static int add_media(fb_t *x, const custos_jv_t *m)
{
	custos_record_t *r = &x->rec;
	const char *uri = custos_jv__str(custos_jv__get(m, "uri"));
	if (!uri)
		return 0;
	custos_media_t *md = custos_record_media_add(r);
	if (!md)
		return CUSTOS_ENOMEM;
	int st = custos_record_sets(r, &md->name, uri);
	if (st < 0)
		return st;
	if (!strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8))
		return custos_record_sets(r, &md->url, uri);
	char *buf = NULL;
	size_t n = 0;
	int64_t size;
	if (x->tree && x->sink->blob && custos_tree__exists(x->tree, uri, &size) &&
	    size > MEDIA_MAX) {   /* memory stays bounded: referenced only */
		custos_import__warn(x->sink, uri, "over %u MB: not stored, recorded by name",
		                    MEDIA_MAX >> 20);
		return 0;
	}
	if (x->tree && x->sink->blob &&
	    custos_tree__slurp(x->tree, uri, MEDIA_MAX, &buf, &n, NULL) == 0) {
		char hex[CUSTOS_SHA256_HEX];
		st = x->sink->blob(x->sink->ctx, buf, n, hex);
		free(buf);
		if (st != 0)
			return st < 0 ? st : CUSTOS_EINTERNAL;
		md->size = (int64_t)n;
		return custos_record_sets(r, &md->sha256, hex);
	}
	return 0;
}

static int fill(fb_t *x, const custos_jv_t *e, const char **why)
{
	custos_record_t *r = &x->rec;
	const custos_jv_t *data = custos_jv__get(e, "data"), *comment = NULL, *v;
	int64_t ts;
	int st = 0;
	if (!custos_jv__is_obj(e)) {
		*why = "not a JSON object";
		return 1;
	}
	for (v = items(data); v; v = v->next)
		if (custos_jv__is_obj(custos_jv__get(v, "comment")))
			comment = custos_jv__get(v, "comment");
	if (!jv_int(custos_jv__get(e, "timestamp"), &ts) && !(comment && jv_int(custos_jv__get(comment, "timestamp"), &ts))) {
		*why = "no \"timestamp\" number";
		return 1;
	}
	if (custos_time_from_epoch(&r->created_at, ts, 1000, 0) < 0) {
		*why = "\"timestamp\" is outside the years 0000 to 9999";
		return 1;
	}
	st |= custos_record_sets(r, &r->platform, "facebook");
	st |= custos_record_sets(r, &r->account, x->account);
	st |= custos_record_sets(r, &r->kind, comment || x->comments ? "comment" : "post");
	st |= set_text(r, &r->title, custos_jv__get(e, "title"));
	if (comment) {
		st |= set_text(r, &r->text, custos_jv__get(comment, "comment"));
		st |= set_text(r, &r->author_handle, custos_jv__get(comment, "author"));
	}
	for (v = items(data); v; v = v->next) {
		const custos_jv_t *post = custos_jv__get(v, "post");
		if (custos_jv__str(post) && !r->text)
			st |= set_text(r, &r->text, post);
	}
	if (!r->text)
		st |= custos_record_sets(r, &r->text, "");
	if (!r->author_handle)
		st |= custos_record_sets(r, &r->author_handle, x->account);
	for (const custos_jv_t *a = items(custos_jv__get(e, "attachments")); a; a = a->next) {
		for (const custos_jv_t *d = items(custos_jv__get(a, "data")); d; d = d->next) {
			const char *u = custos_jv__str(custos_jv__get(custos_jv__get(d, "external_context"), "url"));
			if (u)
				st |= add_url(r, u);
			if (custos_jv__is_obj(custos_jv__get(d, "media")))
				st |= add_media(x, custos_jv__get(d, "media"));
		}
	}
	if (st)
		return CUSTOS_ENOMEM;
	/* the id an archive took the entry under before keeps it there */
	if (derived_id(r, 1) < 0)
		return CUSTOS_ENOMEM;
	custos_err_t kerr = { 0 };
	int k = custos_import__known(x->sink, r->id, &kerr);
	if (k != 0)
		return k < 0 ? k : 0;   /* (1 would mean a bad item) */
	return derived_id(r, 0) < 0 ? CUSTOS_ENOMEM : 0;
}

static int fb_file(fb_t *x, const char *relpath, custos_err_t *err)
{
	custos_input_t *in = NULL;
	custos_jsonscan_t *js = NULL;
	char head[HEAD + 1], *path = NULL, *owner = NULL;
	size_t hn = 0;
	int st;
	/* look at the head: the root's shape and the owner's name */
	if ((st = custos_tree__open(x->tree, relpath, &in, err)) < 0)
		return st;
	while (hn < HEAD) {
		ssize_t got = in->read(in, head + hn, HEAD - hn);
		if (got < 0) {
			*err = in->err;
			st = err->status ? err->status : CUSTOS_EIO;
			goto done;
		}
		if (got == 0)
			break;
		hn += (size_t)got;
	}
	head[hn] = 0;
	custos_input__close(in);
	in = NULL;
	const char *p = head;
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || (unsigned char)*p == 0xEF ||
	       (unsigned char)*p == 0xBB || (unsigned char)*p == 0xBF)
		p++;
	if (*p == '{') {   /* {"comments_v2": [...]}: the first key holding an array */
		const char *k = strchr(p, '"'), *ke = k ? strchr(k + 1, '"') : NULL;
		if (!ke) {
			/* nothing to read in this file: one bad item, which stops the
			 * import only if the sink says so */
			char name[1200];
			custos_tree__member_name(x->tree, relpath, name, sizeof name);
			st = custos_import__bad(x->sink, name, 0, 1, "no array of posts or comments",
			                        head, hn, err);
			goto done;
		}
		path = strndup(k + 1, (size_t)(ke - k - 1));
		if (!path) {
			st = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		x->comments = strstr(path, "comment") != NULL;
	} else {
		x->comments = strstr(relpath, "comments") != NULL;
	}
	if (!x->account) {
		owner = head_account(head, hn);
		x->account = owner ? owner : "facebook";
	}
	if ((st = custos_tree__open(x->tree, relpath, &in, err)) < 0)
		goto done;
	x->in = in;
	if ((st = custos_jsonscan__open(&js, in, path ? path : "")) < 0) {
		st = custos_err_set(err, st, "cannot scan '%s'", in->name);
		goto done;
	}
	for (;;) {
		const char *elem;
		size_t n;
		int64_t off, line;
		st = custos_jsonscan__next(js, &elem, &n, &off, &line, err);
		if (st == 0)
			break;
		if (st < 0) {
			/* the document itself is broken (truncated, not JSON): what came
			 * before is in; the rest goes to the sink as one bad item */
			int b = x->sink->bad(x->sink->ctx, in->name, -1, -1, err->msg, "", 0);
			if (b != 0) {
				st = b < 0 ? b : CUSTOS_EFORMAT;
				goto done;
			}
			custos_err_clear(err);
			break;
		}
		const char *why = NULL;
		char whybuf[300];
		custos_record_t *r = &x->rec;
		custos_jv_err_t je = { { 0 }, 0 };
		custos_arena_reset(&x->tree_arena);
		if ((st = custos_import__check_utf8(x->sink, in->name, off, line, elem, n, err)) != 0) {
			if (st == 1)
				continue;   /* set aside by the sink */
			goto done;
		}
		const custos_jv_t *e = custos_jv__parse(&x->tree_arena, elem, n, &je);
		st = e ? fill(x, e, &why) : 1;
		if (!e) {
			snprintf(whybuf, sizeof whybuf, "invalid JSON at byte %lld of the entry: %s",
			         (long long)je.position, je.text);
			why = whybuf;
		}
		if (st < 0) {
			custos_err_set(err, st, "%s: line %lld: %s", in->name, (long long)line,
			               custos_status_str(st));
			goto done;
		}
		if (st == 1) {
			custos_record_reset(r);
			if ((st = custos_import__bad(x->sink, in->name, off, line, why, elem, n, err)) < 0)
				goto done;
			continue;
		}
		/* entities from the text, after the export's own links (the id
		 * above covers only those, not what the extractor finds) */
		st = 0;
		if (r->text && *r->text)
			st |= custos_extract_entities(r, r->text);
		st |= custos_record_sets(r, &r->source.format, "facebook");
		st |= custos_record_sets(r, &r->source.file, in->name);
		r->source.offset = off;
		r->source.line = line;
		st |= custos_record_set_raw(r, elem, n);
		if (st) {
			st = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		if ((st = custos_import__record(x->sink, r, err)) != 0)
			goto done;
	}
	st = 0;
	if (x->sink->file_done && (st = x->sink->file_done(x->sink->ctx, in->name)) > 0)
		st = CUSTOS_EINTERNAL;
done:
	custos_jsonscan__free(js);
	custos_input__close(in);
	if (owner && x->account == owner)
		x->account = NULL;
	free(owner);
	free(path);
	custos_record_reset(&x->rec);
	return st;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* your_posts_1.json, your_posts__check_ins__photos_and_videos_1.json,
 * comments.json, comments_1.json, status_updates*.json ... */
static int is_ours(const char *relpath)
{
	const char *b = base_name(relpath);
	size_t n = strlen(b);
	if (n < 6 || strcasecmp(b + n - 5, ".json"))
		return 0;
	return !strncmp(b, "your_posts", 10) || !strncmp(b, "comments", 8) ||
	       !strncmp(b, "status_updates", 14) || !strncmp(b, "posts_", 6);
}

/* Where an export keeps them: the root, posts/, comments/,
 * comments_and_reactions/, or those under a top folder such as
 * your_facebook_activity/. Files further down are not taken as the
 * export's, so a folder holding several exports is not claimed whole. */
static int at_known_place(const char *relpath)
{
	static const char *const dirs[] = { "posts", "comments", "comments_and_reactions", NULL };
	const char *b = base_name(relpath);
	if (b == relpath)
		return 1;
	const char *d = relpath, *slash = strchr(relpath, '/');
	if (slash + 1 != b) {   /* two levels: a top folder first */
		if (strncmp(relpath, "your_", 5) && strncmp(relpath, "this_profile", 12))
			return 0;
		d = slash + 1;
		slash = strchr(d, '/');
		if (slash + 1 != b)
			return 0;
	}
	for (size_t i = 0; dirs[i]; i++)
		if ((size_t)(slash - d) == strlen(dirs[i]) && !strncmp(d, dirs[i], strlen(dirs[i])))
			return 1;
	return 0;
}

typedef struct {
	char **v;
	size_t n;
	int oom, any;
} list_t;

static int collect(void *vctx, const char *relpath, int64_t size)
{
	list_t *l = vctx;
	if (!l->any && !(is_ours(relpath) && at_known_place(relpath)))
		return 0;   /* named by the dispatcher as not taken (fb_why_not) */
	char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv)
		return l->oom = 1, CUSTOS_ENOMEM;
	l->v = nv;
	if (!(l->v[l->n] = strdup(relpath)))
		return l->oom = 1, CUSTOS_ENOMEM;
	l->n++;
	return 0;
}

static void list_free(list_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int fb_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	if (relpath) {
		if (!is_ours(relpath))
			return 0;
		/* the old layout's entries begin with "timestamp"; the newer wrap them */
		if (memmem(head, n, "\"timestamp\"", 11) &&
		    (memmem(head, n, "\"title\"", 7) || memmem(head, n, "\"data\"", 6) ||
		     memmem(head, n, "_v2\"", 4)))
			return 85;
		return 30;
	}
	list_t l = { 0 };
	custos_tree__each(t, collect, &l);
	int conf = l.n ? 70 : 0;
	list_free(&l);
	return conf;
}

static int fb_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                  custos_err_t *err)
{
	fb_t x = { .tree = t, .sink = sink };
	char *owner = profile_account(t);
	list_t l = { 0 };
	int st = 0;
	custos_record_init(&x.rec);
	x.account = owner;
	if (relpath) {
		st = fb_file(&x, relpath, err);
	} else {
		l.any = custos_tree__is_file(t);   /* a lone file given by the user */
		st = custos_tree__each(t, collect, &l);
		if (l.oom)
			st = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		for (size_t i = 0; st >= 0 && i < l.n; i++) {
			st = fb_file(&x, l.v[i], err);
			x.account = owner;
		}
	}
	list_free(&l);
	custos_record_free(&x.rec);
	custos_arena_free(&x.tree_arena);
	free(owner);
	return st < 0 ? st : 0;
}

/* Files of an export that fb_run does not read. */
static void fb_why_not(const char *relpath, char *why, size_t cap)
{
	const char *b = base_name(relpath);
	size_t n = strlen(b);
	if (!strncmp(b, "likes_and_reactions", 19))
		snprintf(why, cap, "likes and reactions (no posts or comments): not imported");
	else if (n > 5 && !strcasecmp(b + n - 5, ".json"))
		snprintf(why, cap, "Facebook data with no posts or comments: not imported");
	else if (n > 5 && !strcasecmp(b + n - 5, ".html"))
		snprintf(why, cap, "a page of Facebook's HTML export: not imported (the JSON is)");
	else if (strchr(relpath, '/'))
		snprintf(why, cap, "a file no post names, or media over 64 MB: not imported");
}

const custos_importer_t custos_import__facebook = {
	.name = "facebook",
	.detect = fb_detect,
	.run = fb_run,
	.why_not = fb_why_not,
};
