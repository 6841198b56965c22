/* Mastodon: account exports (mastodon: outbox.json with actor.json and
 * media_attachments/, as a folder or a .zip) and REST API captures
 * (mastodon-api: Status entities, one per line). docs/importers.md. */
#include "import_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE ((size_t)64 << 20)
#define AS_PUBLIC "https://www.w3.org/ns/activitystreams#Public"

#define TRY(x) do { if ((r = (x)) < 0) return r; } while (0)

typedef struct {
	const custos_import_sink_t *sink;
	custos_err_t *err;
	const char *format;
	char *owner_handle, *owner_name, *owner_uri;
	custos_media_index_t *media;
	custos_record_t rec;
	custos_buf_t tmp;
	custos_arena_t jarena;   /* the item being read */
} mctx_t;

static const char *jstr(custos_jv_t *o, const char *k)
{
	custos_jv_t *v = custos_jv__get(o, k);
	return custos_jv__is_str(v) ? custos_jv__str(v) : NULL;
}

static int64_t jtime(custos_jv_t *o, const char *k)
{
	const char *s = jstr(o, k);
	int64_t ms;
	int st = s ? custos_time_parse(&ms, s, strlen(s)) : CUSTOS_EFORMAT;
	/* past year 9999 is kept: the record's validation names it */
	return st == 0 || st == CUSTOS_ETOOBIG ? ms : CUSTOS_TIME_NONE;
}

/* The host of an http(s) URL into out; 0 when there is none. */
static int url_host(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url ? url : "", "://");
	if (!p)
		return 0;
	p += 3;
	size_t k = strcspn(p, "/?#");
	if (k == 0 || k >= cap)
		return 0;
	memcpy(out, p, k);
	out[k] = 0;
	return 1;
}

/* "mastodon:<host>:<status id>" from a status URI or URL of Mastodon's
 * shapes (https://h/users/u/statuses/1[/activity], https://h/@u/1);
 * 0 when the URL has another shape. */
static int status_id(const char *url, char *out, size_t cap)
{
	char host[256];
	const char *p, *id = NULL;
	size_t k;
	if (!url || !url_host(url, host, sizeof host))
		return 0;
	p = strstr(url, "://") + 3 + strlen(host);
	if (strncmp(p, "/users/", 7) == 0) {
		const char *s = strstr(p + 7, "/statuses/");
		if (s && !memchr(p + 7, '/', (size_t)(s - p - 7)))
			id = s + 10;
	} else if (strncmp(p, "/@", 2) == 0) {
		const char *s = strchr(p + 2, '/');
		if (s)
			id = s + 1;
	}
	if (!id)
		return 0;
	k = strspn(id, "0123456789");
	if (k == 0 || (id[k] && strcmp(id + k, "/activity") != 0 && id[k] != '?' && id[k] != '#'))
		return 0;
	return (size_t)snprintf(out, cap, "mastodon:%s:%.*s", host, (int)k, id) < cap;
}

/* A record id for a status URL: the Mastodon shape when it has it, else
 * the URL itself (the indexer can still match it against urls). */
static int status_ref(custos_record_t *rec, char **field, const char *url)
{
	char id[600];
	if (status_id(url, id, sizeof id))
		return custos_record_sets(rec, field, id);
	return custos_record_sets(rec, field, url);
}

static int decode_entities(custos_buf_t *b, const char *s, size_t n)
{
	return custos_html_unescape(b, s, n, 0);
}

/* The value of attribute name inside a tag's text, or NULL; *len its size. */
static const char *attr(const char *tag, size_t n, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i + nl + 1 < n; i++) {
		if ((i == 0 || tag[i - 1] == ' ' || tag[i - 1] == '\t' || tag[i - 1] == '\n') &&
		    strncasecmp(tag + i, name, nl) == 0 && tag[i + nl] == '=') {
			const char *v = tag + i + nl + 1;
			char q = *v;
			if (q == '"' || q == '\'') {
				const char *e = memchr(v + 1, q, (size_t)(tag + n - v - 1));
				if (!e)
					return NULL;
				*len = (size_t)(e - v - 1);
				return v + 1;
			}
			*len = strcspn(v, " \t\n>");
			return v;
		}
	}
	return NULL;
}

/* HTML content to plain text: tags dropped, entities decoded, <br> and
 * paragraph breaks as newlines. Links that are neither mentions nor
 * hashtags go to the record's urls. */
static int html_text(custos_record_t *rec, custos_buf_t *out, const char *h)
{
	size_t n = strlen(h);
	int r = 0, para = 0;
	for (size_t i = 0; i < n && r >= 0; ) {
		if (h[i] != '<') {
			size_t k = strcspn(h + i, "<");
			if (para && out->len) {
				r = custos_buf_adds(out, "\n\n");
				para = 0;
			}
			if (r >= 0)
				r = decode_entities(out, h + i, k);
			i += k;
			continue;
		}
		const char *end = memchr(h + i, '>', n - i);
		size_t tl = end ? (size_t)(end - (h + i)) + 1 : n - i;
		const char *t = h + i + 1;
		int closing = *t == '/';
		if (closing)
			t++;
		size_t nl = strcspn(t, " \t\n/>");
		if (nl == 2 && strncasecmp(t, "br", 2) == 0) {
			r = custos_buf_addc(out, '\n');
		} else if (nl == 1 && (*t == 'p' || *t == 'P')) {
			if (closing)
				para = 1;
			else if (out->len)
				para = 1;
		} else if (!closing && nl == 1 && (*t == 'a' || *t == 'A') && rec) {
			size_t hl = 0, cl = 0;
			const char *href = attr(h + i, tl, "href", &hl);
			const char *cls = attr(h + i, tl, "class", &cl);
			int skip = cls && (memmem(cls, cl, "mention", 7) || memmem(cls, cl, "hashtag", 7));
			if (href && !skip && hl) {
				custos_buf_t u = { 0 };
				r = decode_entities(&u, href, hl);
				if (r >= 0)
					r = custos_record_strv_add(rec, &rec->urls, u.data, u.len);
				custos_buf_free(&u);
			}
		}
		i += tl;
	}
	return r;
}

static int visibility(custos_record_t *rec, custos_jv_t *obj)
{
	custos_jv_t *to = custos_jv__get(obj, "to"), *cc = custos_jv__get(obj, "cc"), *v;
	size_t i;
	int pub_to = 0, pub_cc = 0, followers = 0;
	custos_jv__foreach(to, i, v) {
		const char *s = custos_jv__str(v);
		if (!s)
			continue;
		if (!strcmp(s, AS_PUBLIC) || !strcmp(s, "as:Public") || !strcmp(s, "Public"))
			pub_to = 1;
		size_t k = strlen(s);
		if (k >= 10 && !strcmp(s + k - 10, "/followers"))
			followers = 1;
	}
	custos_jv__foreach(cc, i, v) {
		const char *s = custos_jv__str(v);
		if (s && (!strcmp(s, AS_PUBLIC) || !strcmp(s, "as:Public") || !strcmp(s, "Public")))
			pub_cc = 1;
	}
	return custos_record_sets(rec, &rec->visibility, pub_to ? "public" : pub_cc ? "unlisted"
	                          : followers ? "private" : "direct");
}

/* "@name" or "@name@host" with the actor's URL: "name@host". */
static int add_mention(custos_record_t *rec, const char *name, const char *href)
{
	char host[256], buf[512];
	if (*name == '@')
		name++;
	if (!*name)
		return 0;
	if (!strchr(name, '@') && href && url_host(href, host, sizeof host))
		snprintf(buf, sizeof buf, "%s@%s", name, host);
	else
		snprintf(buf, sizeof buf, "%s", name);
	return custos_record_strv_add(rec, &rec->mentions, buf, strlen(buf));
}

static int add_attachment(mctx_t *m, custos_record_t *rec, const char *url, const char *type,
                          const char *remote)
{
	const char *at = url ? strstr(url, "media_attachments/") : NULL;
	const custos_media_file_t *f = NULL;
	custos_media_t *me;
	int r;
	if (at && m->media)
		f = custos_media_index__find(m->media, at + 18);
	if (!(me = custos_record_media_add(rec)))
		return CUSTOS_ENOMEM;
	TRY(custos_record_sets(rec, &me->type, type));
	if (f) {
		const char *base = strrchr(f->key, '/');
		TRY(custos_record_sets(rec, &me->sha256, f->sha256));
		TRY(custos_record_sets(rec, &me->name, base ? base + 1 : f->key));
		me->size = f->size;
	} else {
		TRY(custos_record_sets(rec, &me->url, remote && *remote ? remote : url));
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Export: outbox.json activities */

static int note(mctx_t *m, custos_record_t *rec, custos_jv_t *act, custos_jv_t *obj)
{
	char id[600];
	const char *s;
	int r;
	size_t i;
	custos_jv_t *v;

	s = jstr(obj, "id");
	if (!s || !status_id(s, id, sizeof id)) {
		char host[256];
		if (!s || !url_host(s, host, sizeof host))
			return custos_err_set(m->err, CUSTOS_EFORMAT, "note without an id URI");
		snprintf(id, sizeof id, "mastodon:%s:%s", host, strstr(s, "://") + 3 + strlen(host) +
		         (strstr(s, "://")[3 + strlen(host)] == '/'));
	}
	TRY(custos_record_sets(rec, &rec->id, id));
	TRY(custos_record_sets(rec, &rec->platform, "mastodon"));
	rec->created_at = jtime(obj, "published");
	if (rec->created_at == CUSTOS_TIME_NONE)
		rec->created_at = jtime(act, "published");
	if (rec->created_at == CUSTOS_TIME_NONE)
		return custos_err_set(m->err, CUSTOS_EFORMAT, "%s: no valid published time", id);
	rec->edited_at = jtime(obj, "updated");
	TRY(custos_record_sets(rec, &rec->account, m->owner_handle));
	TRY(custos_record_sets(rec, &rec->author_id, jstr(obj, "attributedTo") ? jstr(obj, "attributedTo")
	                                                                    : m->owner_uri));
	TRY(custos_record_sets(rec, &rec->author_handle, m->owner_handle ? m->owner_handle
	                       : rec->author_id ? rec->author_id : "unknown"));
	TRY(custos_record_sets(rec, &rec->author_name, m->owner_name));
	TRY(custos_record_sets(rec, &rec->url, jstr(obj, "url") ? jstr(obj, "url") : jstr(obj, "id")));
	if ((s = jstr(obj, "inReplyTo")))
		TRY(status_ref(rec, &rec->in_reply_to, s));
	if ((s = jstr(obj, "summary")) && *s) {
		custos_buf_clear(&m->tmp);
		TRY(html_text(NULL, &m->tmp, s));
		TRY(custos_record_set(rec, &rec->content_warning, m->tmp.data, m->tmp.len));
	}
	custos_jv_t *cmap = custos_jv__get(obj, "contentMap");
	if (custos_jv__is_obj(cmap) && custos_jv__len(cmap) == 1)
		TRY(custos_record_sets(rec, &rec->lang, custos_jv__first_key(cmap)));
	custos_buf_clear(&m->tmp);
	TRY(html_text(rec, &m->tmp, jstr(obj, "content") ? jstr(obj, "content") : ""));
	TRY(custos_record_set(rec, &rec->text, m->tmp.data ? m->tmp.data : "", m->tmp.len));
	custos_jv__foreach(custos_jv__get(obj, "tag"), i, v) {
		const char *type = jstr(v, "type"), *name = jstr(v, "name");
		if (!type || !name)
			continue;
		if (!strcmp(type, "Hashtag"))
			TRY(custos_record_strv_add(rec, &rec->hashtags, name + (*name == '#'),
			                           strlen(name + (*name == '#'))));
		else if (!strcmp(type, "Mention"))
			TRY(add_mention(rec, name, jstr(v, "href")));
	}
	custos_jv__foreach(custos_jv__get(obj, "attachment"), i, v) {
		const char *url = jstr(v, "url");
		if (url)
			TRY(add_attachment(m, rec, url, jstr(v, "mediaType") ? jstr(v, "mediaType")
			                                                     : "document", NULL));
	}
	TRY(visibility(rec, obj));
	TRY(custos_record_sets(rec, &rec->kind, rec->in_reply_to ? "reply" : "post"));
	return 0;
}

static int announce(mctx_t *m, custos_record_t *rec, custos_jv_t *act)
{
	char id[600];
	const char *s = jstr(act, "id");
	custos_jv_t *obj = custos_jv__get(act, "object");
	int r;
	if (!s || !status_id(s, id, sizeof id))
		return custos_err_set(m->err, CUSTOS_EFORMAT, "boost without a status id");
	TRY(custos_record_sets(rec, &rec->id, id));
	TRY(custos_record_sets(rec, &rec->platform, "mastodon"));
	TRY(custos_record_sets(rec, &rec->kind, "repost"));
	rec->created_at = jtime(act, "published");
	if (rec->created_at == CUSTOS_TIME_NONE)
		return custos_err_set(m->err, CUSTOS_EFORMAT, "%s: no valid published time", id);
	TRY(custos_record_sets(rec, &rec->account, m->owner_handle));
	TRY(custos_record_sets(rec, &rec->author_id, jstr(act, "actor") ? jstr(act, "actor")
	                                                                : m->owner_uri));
	TRY(custos_record_sets(rec, &rec->author_handle, m->owner_handle ? m->owner_handle
	                       : rec->author_id ? rec->author_id : "unknown"));
	TRY(custos_record_sets(rec, &rec->author_name, m->owner_name));
	/* the object is a bare URL in real exports, sometimes an object */
	const char *target = custos_jv__is_str(obj) ? custos_jv__str(obj) : jstr(obj, "id");
	if (target)
		TRY(status_ref(rec, &rec->repost_of, target));
	TRY(custos_record_sets(rec, &rec->text, ""));
	TRY(visibility(rec, act));
	return 0;
}

static int emit(mctx_t *m, int (*fill)(mctx_t *, custos_jv_t *), custos_jv_t *j, const char *file,
                const char *raw, size_t n, int64_t off, int64_t line)
{
	custos_err_t perr = { 0 };
	custos_err_t *saved = m->err;
	int r;
	m->err = &perr;
	r = fill(m, j);
	m->err = saved;
	if (r == 0 && (r = custos_record_sets(&m->rec, &m->rec.source.format, m->format)) == 0 &&
	    (r = custos_record_sets(&m->rec, &m->rec.source.file, file)) == 0)
		r = custos_record_set_raw(&m->rec, raw, n);
	m->rec.source.offset = off;
	m->rec.source.line = line;
	if (r == CUSTOS_EFORMAT) {
		custos_record_reset(&m->rec);
		return custos_import__bad(m->sink, file, off, line, perr.msg, raw, n, m->err);
	}
	if (r < 0) {
		custos_record_reset(&m->rec);
		return custos_err_set(m->err, r, "%s: out of memory", file);
	}
	if (r > 0) {   /* nothing to keep */
		custos_record_reset(&m->rec);
		return 0;
	}
	return custos_import__record(m->sink, &m->rec, m->err);
}

static int fill_activity(mctx_t *m, custos_jv_t *act)
{
	const char *type = jstr(act, "type");
	custos_jv_t *obj = custos_jv__get(act, "object");
	if (type && !strcmp(type, "Announce"))
		return announce(m, &m->rec, act);
	if (type && !strcmp(type, "Create") && custos_jv__is_obj(obj))
		return note(m, &m->rec, act, obj);
	return 1;
}

static int outbox(mctx_t *m, custos_tree_t *t, const char *relpath)
{
	custos_input_t *in = NULL;
	custos_jsonscan_t *js = NULL;
	const char *e = NULL;
	size_t n = 0;
	int64_t off = 0, line = 0;
	unsigned occ = 0, skipped = 0;
	custos_jv_err_t je;
	char why[300];
	int r;

	/* a first pass counts "orderedItems": real exports have it twice, and
	 * the last one holds the posts */
	if ((r = custos_tree__open(t, relpath, &in, m->err)) < 0)
		return r;
	r = custos_jsonscan__occurrences(in, "orderedItems", &occ, m->err);
	custos_input__close(in);
	in = NULL;
	if (r < 0)
		return r;
	if ((r = custos_tree__open(t, relpath, &in, m->err)) < 0)
		return r;
	if (occ > 1)
		custos_import__warn(m->sink, in->name, "the key \"orderedItems\" occurs %u times; the "
		                    "last one is used, as jq, Python and JavaScript do", occ);
	if ((r = custos_jsonscan__open(&js, in, "orderedItems")) < 0) {
		custos_input__close(in);
		return custos_err_set(m->err, r, "out of memory");
	}
	if (occ > 1)
		custos_jsonscan__only(js, occ);
	while ((r = custos_jsonscan__next(js, &e, &n, &off, &line, m->err)) > 0) {
		if ((r = custos_import__check_utf8(m->sink, in->name, off, line, e, n, m->err)) != 0) {
			if (r > 0)
				continue;
			break;
		}
		custos_arena_reset(&m->jarena);
		custos_jv_t *act = custos_jv__parse(&m->jarena, e, n, &je);
		if (!act) {
			snprintf(why, sizeof why, "invalid JSON: %s (at byte %lld)", je.text,
			         (long long)(off + je.position));
			if ((r = custos_import__bad(m->sink, in->name, off, line, why, e, n, m->err)) != 0)
				break;
			continue;
		}
		const char *type = jstr(act, "type");
		if (!type || (strcmp(type, "Create") && strcmp(type, "Announce")))
			skipped++;
		r = emit(m, fill_activity, act, in->name, e, n, off, line);
		if (r != 0)
			break;
	}
	if (r == CUSTOS_EFORMAT && n && e && strstr(m->err->msg, "input ends inside")) {
		custos_err_t w = *m->err;
		r = custos_import__bad(m->sink, in->name, off, line, w.msg, e, n, m->err);
	}
	if (r == 0 && skipped)
		custos_import__warn(m->sink, in->name, "%u activities other than Create and Announce "
		                    "skipped", skipped);
	custos_jsonscan__free(js);
	custos_input__close(in);
	return r < 0 ? r : 0;
}

static void mctx_free(mctx_t *m)
{
	free(m->owner_handle);
	free(m->owner_name);
	free(m->owner_uri);
	custos_media_index__free(m->media);
	custos_arena_free(&m->jarena);
	custos_record_free(&m->rec);
	custos_buf_free(&m->tmp);
}

static void load_actor(mctx_t *m, custos_tree_t *t, const char *dir)
{
	char path[700], host[256], *data = NULL;
	size_t n;
	snprintf(path, sizeof path, "%sactor.json", dir);
	if (custos_tree__slurp(t, path, (size_t)4 << 20, &data, &n, NULL) < 0)
		return;
	custos_jv_t *a = custos_jv__parse(&m->jarena, data, n, NULL);
	free(data);
	const char *user = jstr(a, "preferredUsername"), *id = jstr(a, "id");
	if (user && id && url_host(id, host, sizeof host)) {
		snprintf(path, sizeof path, "%s@%s", user, host);
		m->owner_handle = strdup(path);
	}
	if (id)
		m->owner_uri = strdup(id);
	if (jstr(a, "name") && *jstr(a, "name"))
		m->owner_name = strdup(jstr(a, "name"));
}

static int mastodon_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	if (!relpath)   /* an export at the tree's root (the dispatcher walks its folders) */
		return custos_tree__exists(t, "outbox.json", NULL) &&
		       custos_tree__exists(t, "actor.json", NULL) ? 95 : 0;
	const char *b = strrchr(relpath, '/');
	b = b ? b + 1 : relpath;
	if (memmem(head, n, "\"orderedItems\"", 14) && memmem(head, n, "activitystreams", 15))
		return strcmp(b, "outbox.json") == 0 ? 90 : 60;
	return 0;
}

static int mastodon_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                        custos_err_t *err)
{
	mctx_t m = { .sink = sink, .err = err, .format = "mastodon" };
	char dir[512] = "", path[600];
	int r;
	custos_record_init(&m.rec);
	if (relpath) {
		const char *slash = strrchr(relpath, '/');
		if (slash)
			snprintf(dir, sizeof dir, "%.*s/", (int)(slash - relpath), relpath);
	}
	load_actor(&m, t, dir);
	if (!m.owner_handle)
		custos_import__warn(sink, custos_tree__name(t), "no actor.json: the account owner is "
		                    "unknown, posts carry the actor URI only");
	if ((r = custos_media_index__build(&m.media, t, "media_attachments/", sink, err)) < 0)
		goto done;
	snprintf(path, sizeof path, "%s%s", dir, relpath ? strrchr(relpath, '/') ?
	         strrchr(relpath, '/') + 1 : relpath : "outbox.json");
	r = outbox(&m, t, path);
done:
	mctx_free(&m);
	return r;
}

/* ------------------------------------------------------------------------
 * REST API captures: Status entities */

static int fill_status(mctx_t *m, custos_jv_t *st)
{
	custos_record_t *rec = &m->rec;
	custos_jv_t *acct = custos_jv__get(st, "account"), *reblog = custos_jv__get(st, "reblog");
	char id[600], host[256], handle[512];
	const char *s, *uri = jstr(st, "uri"), *url = jstr(st, "url"), *sid = jstr(st, "id");
	size_t i;
	custos_jv_t *v;
	int r;

	if (uri && status_id(uri, id, sizeof id))
		;
	else if (sid && url_host(url ? url : uri, host, sizeof host))
		snprintf(id, sizeof id, "mastodon:%s:%s", host, sid);
	else
		return custos_err_set(m->err, CUSTOS_EFORMAT, "status without uri or id");
	TRY(custos_record_sets(rec, &rec->id, id));
	TRY(custos_record_sets(rec, &rec->platform, "mastodon"));
	rec->created_at = jtime(st, "created_at");
	if (rec->created_at == CUSTOS_TIME_NONE)
		return custos_err_set(m->err, CUSTOS_EFORMAT, "%s: no valid created_at", id);
	rec->edited_at = jtime(st, "edited_at");

	/* the author: acct is "name" for the server's own users */
	const char *a = jstr(acct, "acct"), *aurl = jstr(acct, "url");
	if (a && !strchr(a, '@') && aurl && url_host(aurl, host, sizeof host))
		snprintf(handle, sizeof handle, "%s@%s", a, host);
	else
		snprintf(handle, sizeof handle, "%s", a ? a : jstr(acct, "id") ? jstr(acct, "id")
		                                                           : "unknown");
	TRY(custos_record_sets(rec, &rec->author_handle, handle));
	TRY(custos_record_sets(rec, &rec->author_id, jstr(acct, "id")));
	TRY(custos_record_sets(rec, &rec->author_name, jstr(acct, "display_name") &&
	                       *jstr(acct, "display_name") ? jstr(acct, "display_name") : NULL));
	TRY(custos_record_sets(rec, &rec->account, handle));
	TRY(custos_record_sets(rec, &rec->url, url ? url : uri));
	TRY(custos_record_sets(rec, &rec->lang, jstr(st, "language")));
	TRY(custos_record_sets(rec, &rec->visibility, jstr(st, "visibility")));
	if ((s = jstr(st, "spoiler_text")) && *s)
		TRY(custos_record_sets(rec, &rec->content_warning, s));

	if (custos_jv__is_obj(reblog)) {
		s = jstr(reblog, "uri");
		if (!s)
			s = jstr(reblog, "url");
		if (s)
			TRY(status_ref(rec, &rec->repost_of, s));
		TRY(custos_record_sets(rec, &rec->text, ""));
		TRY(custos_record_sets(rec, &rec->kind, "repost"));
		return 0;
	}
	/* in_reply_to_id is the fetching server's own id: it names a record
	 * only when the status is local to that server */
	if ((s = jstr(st, "in_reply_to_id")) && a && !strchr(a, '@') &&
	    url_host(uri ? uri : url, host, sizeof host)) {
		char rid[600];
		snprintf(rid, sizeof rid, "mastodon:%s:%s", host, s);
		TRY(custos_record_sets(rec, &rec->in_reply_to, rid));
	}
	custos_buf_clear(&m->tmp);
	TRY(html_text(rec, &m->tmp, jstr(st, "content") ? jstr(st, "content") : ""));
	TRY(custos_record_set(rec, &rec->text, m->tmp.data ? m->tmp.data : "", m->tmp.len));
	custos_jv__foreach(custos_jv__get(st, "tags"), i, v)
		if ((s = jstr(v, "name")))
			TRY(custos_record_strv_add(rec, &rec->hashtags, s, strlen(s)));
	custos_jv__foreach(custos_jv__get(st, "mentions"), i, v)
		if ((s = jstr(v, "acct")))
			TRY(add_mention(rec, s, jstr(v, "url")));
	custos_jv__foreach(custos_jv__get(st, "media_attachments"), i, v) {
		const char *murl = jstr(v, "url");
		if (murl || jstr(v, "remote_url"))
			TRY(add_attachment(m, rec, murl ? murl : jstr(v, "remote_url"),
			                   jstr(v, "type") ? jstr(v, "type") : "unknown",
			                   jstr(v, "remote_url")));
	}
	TRY(custos_record_sets(rec, &rec->kind, jstr(st, "in_reply_to_id") ? "reply" : "post"));
	return 0;
}

static int mastodon_api_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	if (!relpath || n == 0 || head[0] != '{')
		return 0;
	if (memmem(head, n, "\"uri\"", 5) && memmem(head, n, "\"account\"", 9) &&
	    memmem(head, n, "\"visibility\"", 12) && memmem(head, n, "\"content\"", 9))
		return 85;
	return 0;
}

static int api_line(void *ctx, custos_input_t *in, const char *l, size_t n, int64_t off,
                    int64_t lineno)
{
	mctx_t *m = ctx;
	custos_jv_err_t je;
	char why[300];
	int r;
	if ((r = custos_import__check_utf8(m->sink, in->name, off, lineno, l, n, m->err)) != 0)
		return r > 0 ? 0 : r;
	custos_arena_reset(&m->jarena);
	custos_jv_t *st = custos_jv__parse(&m->jarena, l, n, &je);
	if (!st) {
		snprintf(why, sizeof why, "invalid JSON: %s (at byte %lld)", je.text,
		         (long long)(off + je.position));
		return custos_import__bad(m->sink, in->name, off, lineno, why, l, n, m->err);
	}
	return emit(m, fill_status, st, in->name, l, n, off, lineno);
}

static int mastodon_api_run(custos_tree_t *t, const char *relpath,
                            const custos_import_sink_t *sink, custos_err_t *err)
{
	mctx_t m = { .sink = sink, .err = err, .format = "mastodon-api" };
	int r;
	custos_record_init(&m.rec);
	r = custos_import__each_line(t, relpath, "mastodon-api", MAX_LINE, api_line, &m, err);
	mctx_free(&m);
	return r < 0 ? r : 0;
}

/* Files of an export that mastodon_run does not read. */
static void mastodon_why_not(const char *relpath, char *why, size_t cap)
{
	const char *b = strrchr(relpath, '/');
	b = b ? b + 1 : relpath;
	if (!strcmp(relpath, "likes.json"))
		snprintf(why, cap, "the account's likes (other people's posts it liked): not imported");
	else if (!strcmp(relpath, "bookmarks.json"))
		snprintf(why, cap, "the account's bookmarks (other people's posts it saved): not "
		         "imported");
	else if (!strchr(relpath, '/') && (!strncmp(b, "avatar.", 7) || !strncmp(b, "header.", 7)))
		snprintf(why, cap, "the account's profile image: not imported");
	else if (strstr(relpath, "media_attachments/"))
		snprintf(why, cap, "a media file over 64 MB: its posts keep the reference only");
}

const custos_importer_t custos_import__mastodon = { "mastodon", mastodon_detect, mastodon_run,
                                                    mastodon_why_not };
const custos_importer_t custos_import__mastodon_api = { "mastodon-api", mastodon_api_detect,
                                                        mastodon_api_run, NULL };
