/* The slack importer: a workspace export (folder or .zip) with
 * channels.json / groups.json / dms.json / mpims.json, users.json and one
 * <channel>/<YYYY-MM-DD>.json per channel and day. Each message, system
 * message included, becomes a record; Slack's text markup becomes plain
 * text with the users' handles and the links' labels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "import_internal.h"

#define SIDE_MAX (64u << 20)   /* users.json, channels.json: read whole */
#define MEDIA_MAX (64u << 20)  /* file bytes read whole to store them, as the framework does */

typedef struct {
	char *id, *name, *real_name, *display;
} user_t;

typedef struct {
	char *id, *name, *account, *visibility;
} chan_t;

typedef struct {
	custos_tree_t *tree;
	const custos_import_sink_t *sink;
	custos_err_t *err;
	user_t *users;
	size_t n_users;
	chan_t *chans;
	size_t n_chans;
	custos_record_t rec;
	custos_buf_t text;
	custos_buf_t idb;           /* ids being built */
	custos_arena_t jv_arena;    /* the parsed message */
	char **files;               /* day files found in the tree */
	size_t n_files;
	int oom;
	int uploads;                /* 0: the tree holds no shared files' bytes (no
	                             * __uploads/, files/ or attachments/), so no
	                             * file is looked for; 1 or -1 (not known): look */
} slack_t;

static int user_cmp(const void *a, const void *b)
{
	return strcmp(((const user_t *)a)->id, ((const user_t *)b)->id);
}

static const user_t *user_find(const slack_t *s, const char *id, size_t n)
{
	char key[64];
	if (!id || n >= sizeof key)
		return NULL;
	memcpy(key, id, n);
	key[n] = 0;
	user_t k = { .id = key };
	return s->n_users ? bsearch(&k, s->users, s->n_users, sizeof *s->users, user_cmp) : NULL;
}

static const chan_t *chan_by(const slack_t *s, const char *v, size_t n, int by_name)
{
	for (size_t i = 0; i < s->n_chans; i++) {
		const char *c = by_name ? s->chans[i].name : s->chans[i].id;
		if (c && strlen(c) == n && !memcmp(c, v, n))
			return &s->chans[i];
	}
	return NULL;
}

static char *dup_str(json_t *v)
{
	const char *s = json_string_value(v);
	return s && *s ? strdup(s) : NULL;
}

/* A side file that cannot be read is one bad item (the export's display
 * name, whole file as raw); 0 when the sink sets it aside. */
static int side_bad(slack_t *s, const char *file, int line, const char *why, const char *raw,
                    size_t n)
{
	char name[1200], msg[300];
	custos_tree__member_name(s->tree, file, name, sizeof name);
	snprintf(msg, sizeof msg, "invalid JSON: %s", why);
	return custos_import__bad(s->sink, name, -1, line, msg, raw, n, s->err);
}

static int load_users(slack_t *s)
{
	char *buf = NULL;
	size_t n = 0;
	custos_err_t e = { 0 };
	int st = custos_tree__slurp(s->tree, "users.json", SIDE_MAX, &buf, &n, &e);
	if (st == CUSTOS_ENOTFOUND)
		return 0;
	if (st < 0) {
		*s->err = e;
		return st;
	}
	json_error_t je;
	json_t *j = json_loadb(buf, n, 0, &je), *u;
	if (!json_is_array(j)) {
		/* authors then stay user ids; the sink decides whether to go on */
		json_decref(j);
		st = side_bad(s, "users.json", j ? 1 : je.line, j ? "not an array" : je.text, buf, n);
		free(buf);
		return st;
	}
	free(buf);
	size_t i;
	s->users = calloc(json_array_size(j) + 1, sizeof *s->users);
	if (!s->users) {
		json_decref(j);
		return custos_err_set(s->err, CUSTOS_ENOMEM, "out of memory");
	}
	json_array_foreach(j, i, u) {
		user_t *x = &s->users[s->n_users];
		json_t *p = json_object_get(u, "profile");
		if (!(x->id = dup_str(json_object_get(u, "id"))))
			continue;
		x->name = dup_str(json_object_get(u, "name"));
		x->real_name = dup_str(json_object_get(u, "real_name"));
		if (!x->real_name)
			x->real_name = dup_str(json_object_get(p, "real_name"));
		x->display = dup_str(json_object_get(p, "display_name"));
		s->n_users++;
	}
	json_decref(j);
	qsort(s->users, s->n_users, sizeof *s->users, user_cmp);
	return 0;
}

/* channels.json, groups.json (private channels), mpims.json (group DMs),
 * dms.json (DMs: no name, the folder is the id). */
static int load_chans(slack_t *s, const char *file, const char *vis)
{
	char *buf = NULL;
	size_t n = 0;
	custos_err_t e = { 0 };
	int st = custos_tree__slurp(s->tree, file, SIDE_MAX, &buf, &n, &e);
	if (st == CUSTOS_ENOTFOUND)
		return 0;
	if (st < 0) {
		*s->err = e;
		return st;
	}
	json_error_t je;
	json_t *j = json_loadb(buf, n, 0, &je), *c;
	if (!json_is_array(j)) {
		/* its folders then stand for their channels' ids */
		json_decref(j);
		st = side_bad(s, file, j ? 1 : je.line, j ? "not an array" : je.text, buf, n);
		free(buf);
		return st;
	}
	free(buf);
	chan_t *nc = realloc(s->chans, (s->n_chans + json_array_size(j)) * sizeof *nc);
	if (!nc && json_array_size(j)) {
		json_decref(j);
		return custos_err_set(s->err, CUSTOS_ENOMEM, "out of memory");
	}
	s->chans = nc;
	size_t i;
	json_array_foreach(j, i, c) {
		chan_t *x = &s->chans[s->n_chans];
		memset(x, 0, sizeof *x);
		if (!(x->id = dup_str(json_object_get(c, "id"))))
			continue;
		x->name = dup_str(json_object_get(c, "name"));
		x->visibility = strdup(vis);
		custos_buf_t a = { 0 };
		if (!strcmp(vis, "direct")) {
			/* a DM: "dm:" and its members' handles */
			json_t *m;
			size_t k;
			custos_buf_adds(&a, "dm:");
			json_array_foreach(json_object_get(c, "members"), k, m) {
				const char *id = json_string_value(m);
				const user_t *u = id ? user_find(s, id, strlen(id)) : NULL;
				if (k)
					custos_buf_addc(&a, ',');
				custos_buf_adds(&a, u && u->name ? u->name : id ? id : "?");
			}
			if (!x->name)
				x->name = strdup(x->id);
		} else {
			custos_buf_printf(&a, "#%s", x->name ? x->name : x->id);
		}
		x->account = a.data;
		s->n_chans++;
		if (!x->name || !x->visibility || !x->account)
			s->oom = 1;
	}
	json_decref(j);
	return s->oom ? custos_err_set(s->err, CUSTOS_ENOMEM, "out of memory") : 0;
}

/* ---- text markup ------------------------------------------------------ */

static int add_ent(custos_buf_t *b, const char *p, size_t n)
{
	return custos_html_unescape(b, p, n, CUSTOS_HTML_ESCAPES);   /* Slack escapes only &, < and > */
}

static int add_unique(custos_record_t *r, custos_strv_t *v, const char *s, size_t n)
{
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->v[i]) == n && !memcmp(v->v[i], s, n))
			return 0;
	return custos_record_strv_add(r, v, s, n);
}

/* Appends Slack markup text as plain text: <@U123> -> @handle (mentions
 * get handle), <#C123|name> -> #name, <!here> -> @here, <url|label> ->
 * label (urls get url), <url> -> url; &amp; &lt; &gt; decoded. */
static int markup(slack_t *s, custos_buf_t *b, const char *t)
{
	custos_record_t *r = &s->rec;
	int st = 0;
	while (*t && !st) {
		const char *lt = strchr(t, '<');
		const char *gt = lt ? strchr(lt, '>') : NULL;
		if (!lt || !gt) {
			st = add_ent(b, t, strlen(t));
			break;
		}
		st = add_ent(b, t, (size_t)(lt - t));
		const char *in = lt + 1, *bar = memchr(in, '|', (size_t)(gt - in));
		size_t idn = (size_t)((bar ? bar : gt) - in);
		const char *label = bar ? bar + 1 : NULL;
		size_t ln = bar ? (size_t)(gt - label) : 0;
		if (*in == '@') {
			const user_t *u = user_find(s, in + 1, idn - 1);
			st |= custos_buf_addc(b, '@');
			if (u && u->name) {
				st |= custos_buf_adds(b, u->name);
				st |= add_unique(r, &r->mentions, u->name, strlen(u->name));
			} else if (label) {
				st |= add_ent(b, label, ln);
			} else {
				st |= custos_buf_add(b, in + 1, idn - 1);
			}
		} else if (*in == '#') {
			const chan_t *c = label ? NULL : chan_by(s, in + 1, idn - 1, 0);
			st |= custos_buf_addc(b, '#');
			if (label)
				st |= add_ent(b, label, ln);
			else if (c && c->name)
				st |= custos_buf_adds(b, c->name);
			else
				st |= custos_buf_add(b, in + 1, idn - 1);
		} else if (*in == '!') {
			/* <!here>, <!channel>, <!subteam^ID|@team>, <!date^...|fallback> */
			if (label)
				st |= add_ent(b, label, ln);
			else {
				const char *caret = memchr(in, '^', idn);
				st |= custos_buf_addc(b, '@');
				st |= custos_buf_add(b, in + 1, (size_t)((caret ? caret : in + idn) - in - 1));
			}
		} else {
			custos_buf_t u = { 0 };
			st |= add_ent(&u, in, idn);
			if (!st && u.len)
				st |= add_unique(r, &r->urls, u.data, u.len);
			if (label)
				st |= add_ent(b, label, ln);
			else if (u.len)
				st |= custos_buf_add(b, u.data, u.len);
			custos_buf_free(&u);
		}
		t = gt + 1;
	}
	return st ? CUSTOS_ENOMEM : 0;
}

/* ---- messages ----------------------------------------------------------- */

static int parse_ts(const char *ts, int64_t *out)
{
	char *end;
	if (!ts || !*ts)
		return -1;
	long long sec = strtoll(ts, &end, 10);
	int64_t ms = 0;
	if (*end == '.') {
		int k = 0;
		for (end++; k < 3; k++)
			ms = ms * 10 + ((*end >= '0' && *end <= '9') ? *end++ - '0' : 0);
		while (*end >= '0' && *end <= '9')
			end++;
	}
	if (*end || end == ts)
		return -1;
	return custos_time_from_epoch(out, sec, 1000, ms) < 0 ? -2 : 0;
}

static const char *const events[] = {
	"channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
	"channel_archive", "channel_unarchive", "group_join", "group_leave", "group_topic",
	"group_purpose", "group_name", "group_archive", "group_unarchive", "bot_add",
	"bot_remove", "bot_enable", "bot_disable", "pinned_item", "unpinned_item",
	"channel_convert_to_private", "channel_convert_to_public", "tombstone",
	"reminder_add", "app_conversation_leave", "huddle_thread", "sh_room_created", NULL
};

static int is_event(const char *subtype)
{
	for (size_t i = 0; subtype && events[i]; i++)
		if (!strcmp(subtype, events[i]))
			return 1;
	return 0;
}

/* The bytes of a shared file, when the export holds them: slackdump's
 * __uploads/<id>/<name>, or <channel>/attachments/<id>-<name>, or
 * files/<id>/<name>. */
static int file_blob(slack_t *s, const char *folder, const char *id, const char *name,
                     custos_media_t *m)
{
	char path[3][1024];
	if (!s->uploads)
		return 0;   /* three lookups a file saved, for the exports without bytes */
	snprintf(path[0], sizeof path[0], "__uploads/%s/%s", id, name);
	snprintf(path[1], sizeof path[1], "%s/attachments/%s-%s", folder, id, name);
	snprintf(path[2], sizeof path[2], "files/%s/%s", id, name);
	for (size_t i = 0; i < 3; i++) {
		char *buf = NULL;
		size_t n = 0;
		int64_t size;
		if (!s->sink->blob || !custos_tree__exists(s->tree, path[i], &size))
			continue;
		if (size > MEDIA_MAX) {   /* memory stays bounded: referenced only */
			custos_import__warn(s->sink, path[i], "over %u MB: not stored, recorded by URL",
			                    MEDIA_MAX >> 20);
			return 0;
		}
		if (custos_tree__slurp(s->tree, path[i], MEDIA_MAX, &buf, &n, NULL) < 0)
			continue;
		char hex[CUSTOS_SHA256_HEX];
		int st = s->sink->blob(s->sink->ctx, buf, n, hex);
		free(buf);
		if (st != 0)
			return st < 0 ? st : CUSTOS_EINTERNAL;
		m->size = (int64_t)n;
		return custos_record_sets(&s->rec, &m->sha256, hex);
	}
	return 0;
}

static int add_file(slack_t *s, const char *folder, const custos_jv_t *f)
{
	custos_record_t *r = &s->rec;
	const char *id = custos_jv__str(custos_jv__get(f, "id"));
	const char *name = custos_jv__str(custos_jv__get(f, "name"));
	const char *url = custos_jv__str(custos_jv__get(f, "url_private"));
	if (!url)
		url = custos_jv__str(custos_jv__get(f, "permalink"));
	if (!id && !name && !url)
		return 0;
	custos_media_t *m = custos_record_media_add(r);
	if (!m)
		return CUSTOS_ENOMEM;
	int st = 0;
	st |= custos_record_sets(r, &m->name, name);
	st |= custos_record_sets(r, &m->type, custos_jv__str(custos_jv__get(f, "mimetype")));
	if (custos_jv__is_int(custos_jv__get(f, "size")))
		m->size = (int64_t)custos_jv__int(custos_jv__get(f, "size"));
	if (st)
		return CUSTOS_ENOMEM;
	if (id && name && (st = file_blob(s, folder, id, name, m)) < 0)
		return st;
	if (!m->sha256 && url)
		st = custos_record_sets(r, &m->url, url);
	return st;
}

/* The channel part of the id of the message ts in folder (channel c, or
 * NULL when no list names the folder): the folder's name, which every
 * packaging of an export has (not every one has the channel list). Before
 * 2026-12 it was the channel id when the list named the folder; an archive
 * that holds the message under that id keeps it. 0, or a negative status. */
static int channel_of(slack_t *s, const chan_t *c, const char *folder, const char *ts,
                      const char **out)
{
	*out = folder;
	if (!c || !strcmp(c->id, folder))
		return 0;
	custos_buf_clear(&s->idb);
	if (custos_buf_printf(&s->idb, "slack:%s:%s", c->id, ts) < 0)
		return CUSTOS_ENOMEM;
	int k = custos_import__known(s->sink, s->idb.data, s->err);
	if (k > 0)
		*out = c->id;
	return k < 0 ? k : 0;
}

/* Fills the record from one message; 1 with *why for a bad item. */
static int fill(slack_t *s, const chan_t *c, const char *folder, const custos_jv_t *m, const char **why)
{
	custos_record_t *r = &s->rec;
	int st = 0;
	if (!custos_jv__is_obj(m)) {
		*why = "not a JSON object";
		return 1;
	}
	const char *ts = custos_jv__str(custos_jv__get(m, "ts"));
	int tst = parse_ts(ts, &r->created_at);
	if (tst < 0) {
		*why = tst == -2 ? "\"ts\" is outside the years 0000 to 9999" : "no \"ts\" timestamp";
		return 1;
	}
	const char *chan_id;
	if ((st = channel_of(s, c, folder, ts, &chan_id)) < 0)
		return st;
	const char *subtype = custos_jv__str(custos_jv__get(m, "subtype"));
	custos_buf_clear(&s->idb);
	st |= custos_buf_printf(&s->idb, "slack:%s:%s", chan_id, ts);
	st |= custos_record_sets(r, &r->id, s->idb.data);
	st |= custos_record_sets(r, &r->platform, "slack");
	st |= custos_record_sets(r, &r->account, c ? c->account : NULL);
	if (!c) {   /* a channel no list names: "#" and its folder, as a listed one reads */
		custos_buf_clear(&s->idb);
		st |= custos_buf_printf(&s->idb, "#%s", folder);
		st |= custos_record_sets(r, &r->account, s->idb.data);
	}
	st |= custos_record_sets(r, &r->visibility, c ? c->visibility : NULL);
	st |= custos_record_sets(r, &r->kind, is_event(subtype) ? "event" : "message");
	st |= custos_record_sets(r, &r->subtype, subtype);
	/* author: a user, else a bot's name, else the workspace */
	const char *uid = custos_jv__str(custos_jv__get(m, "user"));
	const user_t *u = uid ? user_find(s, uid, strlen(uid)) : NULL;
	const char *bot = custos_jv__str(custos_jv__get(m, "bot_id"));
	const char *uname = custos_jv__str(custos_jv__get(m, "username"));
	/* newer exports carry the author's profile in the message: for users
	 * users.json lacks (deleted, other workspaces) and for bots */
	const custos_jv_t *up = custos_jv__get(m, "user_profile");
	const char *up_name = custos_jv__str(custos_jv__get(up, "name"));
	const char *up_real = custos_jv__str(custos_jv__get(up, "real_name"));
	const char *bot_name = custos_jv__str(custos_jv__get(custos_jv__get(m, "bot_profile"), "name"));
	if (!uname || !*uname)
		uname = up_name && *up_name ? up_name : bot_name;
	if (u) {
		st |= custos_record_sets(r, &r->author_id, u->id);
		st |= custos_record_sets(r, &r->author_handle, u->name ? u->name : u->id);
		st |= custos_record_sets(r, &r->author_name, u->real_name ? u->real_name : u->display);
	} else if (uid && *uid) {
		st |= custos_record_sets(r, &r->author_id, uid);
		st |= custos_record_sets(r, &r->author_handle, uname && *uname ? uname : uid);
		st |= custos_record_sets(r, &r->author_name, up_real && *up_real ? up_real : NULL);
	} else {
		st |= custos_record_sets(r, &r->author_id, bot);
		st |= custos_record_sets(r, &r->author_handle, uname && *uname ? uname : bot ? bot : "slack");
	}
	/* threads: replies point at the thread's root */
	const char *tts = custos_jv__str(custos_jv__get(m, "thread_ts"));
	if (tts && *tts) {
		const char *root_chan = chan_id;
		int k = strcmp(tts, ts) ? channel_of(s, c, folder, tts, &root_chan) : 0;
		if (k < 0)
			return k;
		custos_buf_clear(&s->idb);
		st |= custos_buf_printf(&s->idb, "slack:%s:%s", root_chan, tts);
		st |= custos_record_sets(r, &r->thread, s->idb.data);
		if (strcmp(tts, ts))
			st |= custos_record_sets(r, &r->in_reply_to, s->idb.data);
	}
	const custos_jv_t *ed = custos_jv__get(m, "edited");
	int64_t et;
	if (custos_jv__is_obj(ed) && parse_ts(custos_jv__str(custos_jv__get(ed, "ts")), &et) == 0)
		r->edited_at = et;
	/* text: the message's (its current, edited version), then what its
	 * attachments say (bot messages often carry all their text there) */
	custos_buf_clear(&s->text);
	const char *text = custos_jv__str(custos_jv__get(m, "text"));
	if (text)
		st |= markup(s, &s->text, text);
	const custos_jv_t *a;
	size_t i;
	custos_jv__foreach(custos_jv__get(m, "attachments"), i, a) {
		static const char *const keys[] = { "pretext", "title", "text", NULL };
		int any = 0;
		for (size_t k = 0; keys[k]; k++) {
			const char *v = custos_jv__str(custos_jv__get(a, keys[k]));
			if (!v || !*v)
				continue;
			if (s->text.len)
				st |= custos_buf_addc(&s->text, '\n');
			st |= markup(s, &s->text, v);
			any = 1;
		}
		const char *fb = custos_jv__str(custos_jv__get(a, "fallback"));
		if (!any && fb && *fb) {
			if (s->text.len)
				st |= custos_buf_addc(&s->text, '\n');
			st |= markup(s, &s->text, fb);
		}
		const char *link = custos_jv__str(custos_jv__get(a, "title_link"));
		if (link)
			st |= add_unique(r, &r->urls, link, strlen(link));
	}
	st |= custos_record_set(r, &r->text, s->text.data ? s->text.data : "", s->text.len);
	/* files: "file" (older exports) and "files" */
	const custos_jv_t *f = custos_jv__get(m, "file");
	if (custos_jv__is_obj(f))
		st |= add_file(s, folder, f) < 0;
	custos_jv__foreach(custos_jv__get(m, "files"), i, f)
		st |= add_file(s, folder, f) < 0;
	return st ? CUSTOS_ENOMEM : 0;
}

static int day_file(slack_t *s, const char *relpath)
{
	custos_input_t *in = NULL;
	custos_jsonscan_t *js = NULL;
	custos_err_t *err = s->err;
	char folder[512];
	/* the folder just above the day file; for a day file given alone, the
	 * folder it sits in on disk */
	const char *path = strrchr(relpath, '/') ? relpath : custos_tree__name(s->tree);
	const char *slash = path ? strrchr(path, '/') : NULL;
	const char *fstart = slash;
	if (slash) {
		while (fstart > path && fstart[-1] != '/')
			fstart--;
	}
	snprintf(folder, sizeof folder, "%.*s", slash ? (int)(slash - fstart) : 0, slash ? fstart : "");
	if (!folder[0])
		snprintf(folder, sizeof folder, "unknown");
	const chan_t *c = chan_by(s, folder, strlen(folder), 1);
	if (!c)
		c = chan_by(s, folder, strlen(folder), 0);   /* DMs: folder named by id */
	if (!c && s->sink->warn) {
		char msg[700];
		snprintf(msg, sizeof msg, "folder '%s' is not in channels.json, groups.json, dms.json "
		         "or mpims.json: its channel's visibility is unknown", folder);
		char name[1200];
		custos_tree__member_name(s->tree, relpath, name, sizeof name);
		s->sink->warn(s->sink->ctx, name, msg);
	}
	int st = custos_tree__open(s->tree, relpath, &in, err);
	if (st < 0)
		return st;
	if ((st = custos_jsonscan__open(&js, in, "")) < 0) {
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
			int b = s->sink->bad(s->sink->ctx, in->name, -1, -1, err->msg, "", 0);
			if (b != 0) {
				st = b < 0 ? b : CUSTOS_EFORMAT;
				goto done;
			}
			custos_err_clear(err);
			break;
		}
		custos_record_t *r = &s->rec;
		custos_jv_err_t je = { { 0 }, 0 };
		const char *why = NULL;
		char whybuf[300];
		custos_arena_reset(&s->jv_arena);
		if ((st = custos_import__check_utf8(s->sink, in->name, off, line, elem, n, err)) != 0) {
			if (st == 1)
				continue;   /* set aside by the sink */
			goto done;
		}
		const custos_jv_t *m = custos_jv__parse(&s->jv_arena, elem, n, &je);
		st = m ? fill(s, c, folder, m, &why) : 1;
		if (!m) {
			snprintf(whybuf, sizeof whybuf, "invalid JSON at byte %lld of the message: %s",
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
			if ((st = custos_import__bad(s->sink, in->name, off, line, why, elem, n, err)) < 0)
				goto done;
			continue;
		}
		/* the markup gave mentions and links; hashtags and cashtags
		 * are only written in the text */
		st = 0;
		if (r->text && *r->text)
			st |= custos_extract_entities(r, r->text);
		st |= custos_record_derive(r);
		st |= custos_record_sets(r, &r->source.format, "slack");
		st |= custos_record_sets(r, &r->source.file, in->name);
		r->source.offset = off;
		r->source.line = line;
		st |= custos_record_set_raw(r, elem, n);
		if (st) {
			st = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		if ((st = custos_import__record(s->sink, r, err)) != 0)
			goto done;
	}
	st = 0;
	if (s->sink->file_done && (st = s->sink->file_done(s->sink->ctx, in->name)) > 0)
		st = CUSTOS_EINTERNAL;
done:
	custos_record_reset(&s->rec);
	custos_jsonscan__free(js);
	custos_input__close(in);
	return st;
}

/* "<folder>/YYYY-MM-DD.json" */
static int is_day_file(const char *relpath)
{
	const char *b = strrchr(relpath, '/');
	b = b ? b + 1 : relpath;
	if (strlen(b) != 15 || strcmp(b + 10, ".json"))
		return 0;
	for (int i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? b[i] != '-' : (b[i] < '0' || b[i] > '9'))
			return 0;
	return 1;
}

static int collect(void *vctx, const char *relpath, int64_t size)
{
	slack_t *s = vctx;
	if (!strncmp(relpath, "__uploads/", 10) || !strncmp(relpath, "files/", 6) ||
	    strstr(relpath, "/attachments/"))
		s->uploads = 1;
	if (!is_day_file(relpath))
		return 0;
	char **nf = realloc(s->files, (s->n_files + 1) * sizeof *nf);
	if (!nf)
		return s->oom = 1, CUSTOS_ENOMEM;
	s->files = nf;
	if (!(s->files[s->n_files] = strdup(relpath)))
		return s->oom = 1, CUSTOS_ENOMEM;
	s->n_files++;
	return 0;
}

static void slack_free(slack_t *s)
{
	for (size_t i = 0; i < s->n_users; i++) {
		free(s->users[i].id); free(s->users[i].name);
		free(s->users[i].real_name); free(s->users[i].display);
	}
	free(s->users);
	for (size_t i = 0; i < s->n_chans; i++) {
		free(s->chans[i].id); free(s->chans[i].name);
		free(s->chans[i].account); free(s->chans[i].visibility);
	}
	free(s->chans);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	free(s->files);
	custos_record_free(&s->rec);
	custos_buf_free(&s->text);
	custos_buf_free(&s->idb);
	custos_arena_free(&s->jv_arena);
}

static int day_file_under(void *ctx, const char *relpath, int64_t size)
{
	const char *slash = strchr(relpath, '/');
	return slash && !strchr(slash + 1, '/') && is_day_file(relpath);   /* 1 stops the walk */
}

static int slack_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	if (relpath) {
		if (is_day_file(relpath) && memmem(head, n, "\"ts\"", 4) &&
		    memmem(head, n, "\"type\"", 6))
			return 70;
		return 0;
	}
	if (!custos_tree__exists(t, "users.json", NULL))
		return 0;
	int ch = custos_tree__exists(t, "channels.json", NULL) || custos_tree__exists(t, "groups.json", NULL) ||
	         custos_tree__exists(t, "dms.json", NULL) || custos_tree__exists(t, "mpims.json", NULL);
	/* an export without its channel list is still one: users.json and a
	 * day file in a channel's folder */
	return ch || custos_tree__each(t, day_file_under, NULL) == 1 ? 95 : 0;
}

static int slack_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                     custos_err_t *err)
{
	slack_t s = { .tree = t, .sink = sink, .err = err, .uploads = -1 };
	int st;
	custos_record_init(&s.rec);
	if ((st = load_users(&s)) < 0 ||
	    (st = load_chans(&s, "channels.json", "public")) < 0 ||
	    (st = load_chans(&s, "groups.json", "private")) < 0 ||
	    (st = load_chans(&s, "mpims.json", "direct")) < 0 ||
	    (st = load_chans(&s, "dms.json", "direct")) < 0)
		goto done;
	if (relpath) {
		st = day_file(&s, relpath);
		goto done;
	}
	s.uploads = 0;   /* collect sees every file of the tree */
	st = custos_tree__each(t, collect, &s);
	if (s.oom) {
		st = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if (st < 0) {
		*err = *custos_tree__err(t);
		goto done;
	}
	for (size_t i = 0; i < s.n_files; i++)
		if ((st = day_file(&s, s.files[i])) < 0)
			goto done;
	st = 0;
done:
	slack_free(&s);
	return st;
}

/* Files of an export that slack_run does not read. */
static void slack_why_not(const char *relpath, char *why, size_t cap)
{
	if (!strcmp(relpath, "integration_logs.json"))
		snprintf(why, cap, "Slack's log of the workspace's integrations: not imported");
	else if (!strncmp(relpath, "__uploads/", 10) || !strncmp(relpath, "files/", 6) ||
	         strstr(relpath, "/attachments/"))
		snprintf(why, cap, "a shared file no message names, or one over 64 MB: not imported");
	else if (!strchr(relpath, '/'))
		snprintf(why, cap, "Slack workspace data with no messages: not imported");
	else
		snprintf(why, cap, "not a day file (<channel>/YYYY-MM-DD.json): not imported");
}

const custos_importer_t custos_import__slack = {
	.name = "slack",
	.detect = slack_detect,
	.run = slack_run,
	.why_not = slack_why_not,
};
