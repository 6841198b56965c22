/* RSMF 2.0 (Relativity Short Message Format): one .rsmf file per
 * conversation and 24-hour slice (UTC), at most 10,000 events each: an RFC
 * 5322 message with X-RSMF-* headers, a readable transcript, and rsmf.zip
 * holding rsmf_manifest.json and the attachments. The slices of one
 * conversation share an eventcollectionid. Documents come in date order,
 * so a day's slices are complete, and written, once a later day begins. */
#include "custos_export.h"

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 10000
#define DAY_MS 86400000LL

typedef struct {
	char    *key;          /* the conversation: platform and channel or thread root */
	int64_t  day;
	json_t  *events;       /* array */
	json_t  *participants; /* id -> participant object */
	json_t  *files;        /* array of [name in zip, sha256] */
	json_t  *conv;         /* the conversation object */
	char     first_bates[64];
	int64_t  first_ms, last_ms;
} slice_t;

struct custos_rsmf {
	custos_xdir_t *d;
	custos_blob_fn blob;
	void          *ctx;
	slice_t       *v;
	size_t         n, cap;
	int64_t        day;        /* the day being gathered */
	uint64_t       files;
};

int custos_rsmf_open(custos_xdir_t *d, custos_blob_fn blob, void *ctx, custos_rsmf_t **out)
{
	custos_rsmf_t *w = calloc(1, sizeof *w);
	*out = NULL;
	if (!w)
		return CUSTOS_ENOMEM;
	w->d = d;
	w->blob = blob;
	w->ctx = ctx;
	w->day = INT64_MIN;
	*out = w;
	return CUSTOS_OK;
}

static void slice_free(slice_t *s)
{
	free(s->key);
	json_decref(s->events);
	json_decref(s->participants);
	json_decref(s->files);
	json_decref(s->conv);
}

/* ---- writing one slice ---------------------------------------------------- */

static la_ssize_t zip_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	return custos_buf_add(ctx, p, n) == CUSTOS_OK ? (la_ssize_t)n : -1;
}

static int zip_add(struct archive *z, const char *name, const void *p, size_t n)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return CUSTOS_ENOMEM;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_mtime(e, 0, 0);
	int rc = archive_write_header(z, e) == ARCHIVE_OK &&
	         (n == 0 || archive_write_data(z, p, n) == (la_ssize_t)n) ? CUSTOS_OK : CUSTOS_EIO;
	archive_entry_free(e);
	return rc;
}

static void b64_lines(custos_buf_t *out, const void *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b = malloc(cap);
	if (!b)
		return;
	sodium_bin2base64(b, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
	size_t len = strlen(b);
	for (size_t i = 0; i < len; i += 76) {
		custos_buf_add(out, b + i, len - i < 76 ? len - i : 76);
		custos_buf_adds(out, "\r\n");
	}
	free(b);
}

/* An RFC 2047 encoded word for a header that may not be ASCII. */
static void header_text(custos_buf_t *out, const char *s)
{
	bool ascii = true;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		ascii &= *p >= 0x20 && *p < 0x7f;
	if (ascii) {
		custos_buf_adds(out, s);
		return;
	}
	custos_buf_adds(out, "=?UTF-8?B?");
	size_t n = strlen(s);
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b = malloc(cap);
	if (b) {
		sodium_bin2base64(b, cap, (const unsigned char *)s, n, sodium_base64_VARIANT_ORIGINAL);
		custos_buf_adds(out, b);
		free(b);
	}
	custos_buf_adds(out, "?=");
}

static int slice_write(custos_rsmf_t *w, slice_t *s)
{
	custos_buf_t zip = { 0 }, msg = { 0 };
	struct archive *z = NULL;
	char *manifest = NULL;
	int rc = CUSTOS_OK;

	/* parents only among the slice's events, so that each file stands alone */
	json_t *ids = json_object();
	size_t i;
	json_t *ev;
	json_array_foreach(s->events, i, ev)
		json_object_set(ids, json_string_value(json_object_get(ev, "id")), json_true());
	json_array_foreach(s->events, i, ev) {
		const char *parent = json_string_value(json_object_get(ev, "parent"));
		if (parent && !json_object_get(ids, parent))
			json_object_del(ev, "parent");
	}
	json_decref(ids);
	json_t *parts = json_array();
	const char *pid;
	json_t *pv;
	json_object_foreach(s->participants, pid, pv)
		json_array_append(parts, pv);
	json_t *cparts = json_object_get(s->conv, "participants");
	json_object_foreach(s->participants, pid, pv)
		json_array_append_new(cparts, json_string(pid));
	json_t *m = json_pack("{s:s,s:o,s:[O],s:O,s:s}", "version", "2.0.0", "participants", parts,
	                      "conversations", s->conv, "events", s->events,
	                      "eventcollectionid", json_string_value(json_object_get(s->conv, "id")));
	if (!m || !(manifest = json_dumps(m, JSON_INDENT(1)))) {
		json_decref(m);
		return CUSTOS_ENOMEM;
	}
	json_decref(m);

	if (!(z = archive_write_new()) || archive_write_set_format_zip(z) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(z, 1) != ARCHIVE_OK ||
	    archive_write_open(z, &zip, NULL, zip_write, NULL) != ARCHIVE_OK) {
		rc = CUSTOS_EIO;
		goto done;
	}
	if ((rc = zip_add(z, "rsmf_manifest.json", manifest, strlen(manifest))) < 0)
		goto done;
	json_t *f;
	json_array_foreach(s->files, i, f) {
		void *p = NULL;
		size_t n = 0;
		if (!w->blob || w->blob(w->ctx, json_string_value(json_array_get(f, 1)), &p, &n) < 0)
			continue;   /* listed by the event; the bytes are in MEDIA/ when produced */
		rc = zip_add(z, json_string_value(json_array_get(f, 0)), p, n);
		free(p);
		if (rc < 0)
			goto done;
	}
	if (archive_write_close(z) != ARCHIVE_OK) {
		rc = CUSTOS_EIO;
		goto done;
	}

	char t0[40], t1[40], date[64];
	custos_time_format(t0, sizeof t0, s->first_ms);
	custos_time_format(t1, sizeof t1, s->last_ms);
	time_t secs = (time_t)(s->first_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	const char *display = json_string_value(json_object_get(s->conv, "display"));
	custos_buf_printf(&msg, "From: custos <custos@localhost>\r\nTo: %s\r\nSubject: ",
	                  "review <review@localhost>");
	header_text(&msg, display ? display : s->key);
	custos_buf_printf(&msg, " (%.10s)\r\nDate: %s\r\nX-RSMF-Version: 2.0.0\r\n"
	                  "X-RSMF-Generator: custos 0.1\r\nX-RSMF-EventCount: %zu\r\n"
	                  "X-RSMF-BeginDate: %s\r\nX-RSMF-EndDate: %s\r\n"
	                  "X-RSMF-EventCollectionID: %s\r\nX-RSMF-Bates: %s\r\n"
	                  "MIME-Version: 1.0\r\n"
	                  "Content-Type: multipart/mixed; boundary=\"custos-rsmf-boundary\"\r\n\r\n"
	                  "--custos-rsmf-boundary\r\n"
	                  "Content-Type: text/plain; charset=\"utf-8\"\r\n"
	                  "Content-Transfer-Encoding: base64\r\n\r\n",
	                  t0, date, json_array_size(s->events), t0, t1,
	                  json_string_value(json_object_get(s->conv, "id")), s->first_bates);
	custos_buf_t body = { 0 };
	custos_buf_printf(&body, "%s\n%zu events from %s to %s\n\n", display ? display : s->key,
	                  json_array_size(s->events), t0, t1);
	json_array_foreach(s->events, i, ev) {
		const char *b = json_string_value(json_object_get(ev, "body"));
		custos_buf_printf(&body, "%s %s: %s\n",
		                  json_string_value(json_object_get(ev, "timestamp")),
		                  json_string_value(json_object_get(ev, "participant")), b ? b : "");
	}
	b64_lines(&msg, body.data ? body.data : "", body.len);
	custos_buf_free(&body);
	custos_buf_adds(&msg, "\r\n--custos-rsmf-boundary\r\n"
	                "Content-Type: application/zip; name=\"rsmf.zip\"\r\n"
	                "Content-Transfer-Encoding: base64\r\n"
	                "Content-Disposition: attachment; filename=\"rsmf.zip\"\r\n\r\n");
	b64_lines(&msg, zip.data, zip.len);
	custos_buf_adds(&msg, "\r\n--custos-rsmf-boundary--\r\n");
	char rel[128];
	snprintf(rel, sizeof rel, "RSMF/%s.rsmf", s->first_bates);
	rc = custos_xdir_put(w->d, rel, msg.data, msg.len, false, NULL);
	if (rc == CUSTOS_OK)
		w->files++;
done:
	if (z)
		archive_write_free(z);
	free(manifest);
	custos_buf_free(&zip);
	custos_buf_free(&msg);
	return rc;
}

static int flush_all(custos_rsmf_t *w)
{
	int rc = CUSTOS_OK;
	for (size_t i = 0; i < w->n; i++) {
		if (rc == CUSTOS_OK)
			rc = slice_write(w, &w->v[i]);
		slice_free(&w->v[i]);
	}
	w->n = 0;
	return rc;
}

/* ---- gathering events ------------------------------------------------------- */

/* The conversation a record belongs to, and whether it is direct. */
static void conv_of(const custos_xdoc_t *doc, custos_buf_t *key, custos_buf_t *display,
                    bool *direct)
{
	const custos_record_t *r = doc->rec;
	custos_buf_clear(key);
	custos_buf_clear(display);
	*direct = r->visibility && !strcmp(r->visibility, "direct");
	if (r->platform && !strcmp(r->platform, "slack") && !strncmp(r->id, "slack:", 6)) {
		const char *ch = r->id + 6, *end = strchr(ch, ':');
		size_t n = end ? (size_t)(end - ch) : strlen(ch);
		custos_buf_adds(key, "slack:");
		custos_buf_add(key, ch, n);
		*direct = *ch == 'D';
		custos_buf_printf(display, "Slack %s #%s", *direct ? "direct messages" : "channel",
		                  r->account ? r->account : "");
		return;
	}
	const char *pl = r->platform ? r->platform : "other";
	custos_buf_printf(key, "%s:thread:%s", pl, doc->thread);
	custos_buf_printf(display, "%s %s %s", pl, *direct ? "direct messages" : "thread",
	                  doc->thread);
}

static slice_t *slice_for(custos_rsmf_t *w, const char *key, int64_t day, const char *display,
                          bool direct, const custos_xdoc_t *doc)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].day == day && !strcmp(w->v[i].key, key))
			return &w->v[i];
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		slice_t *nv = realloc(w->v, cap * sizeof *nv);
		if (!nv)
			return NULL;
		w->v = nv;
		w->cap = cap;
	}
	slice_t *s = &w->v[w->n];
	memset(s, 0, sizeof *s);
	s->key = strdup(key);
	s->day = day;
	s->events = json_array();
	s->participants = json_object();
	s->files = json_array();
	s->conv = json_pack("{s:s,s:s,s:s,s:s,s:[]}", "id", key, "display", display,
	                    "platform", doc->rec->platform, "type", direct ? "direct" : "channel",
	                    "participants");
	if (!s->key || !s->events || !s->participants || !s->files || !s->conv) {
		slice_free(s);
		return NULL;
	}
	snprintf(s->first_bates, sizeof s->first_bates, "%s", doc->bates);
	s->first_ms = doc->rec->created_at;
	w->n++;
	return s;
}

static void custom(json_t *ev, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	json_t *c = json_object_get(ev, "custom");
	if (!c) {
		c = json_array();
		json_object_set_new(ev, "custom", c);
	}
	json_array_append_new(c, json_pack("{s:s,s:s}", "name", name, "value", value));
}

static const char *event_type(const custos_record_t *r)
{
	if (r->subtype && (strstr(r->subtype, "join")))
		return "join";
	if (r->subtype && (strstr(r->subtype, "leave")))
		return "leave";
	if (r->kind && (!strcmp(r->kind, "event") || !strcmp(r->kind, "like")))
		return "unknown";
	return "message";
}

int custos_rsmf_doc(custos_rsmf_t *w, const custos_xdoc_t *doc, const char *prev)
{
	const custos_record_t *r = doc->rec;
	custos_buf_t key = { 0 }, display = { 0 };
	char t[40];
	bool direct;
	int rc = CUSTOS_OK;
	int64_t day = r->created_at >= 0 ? r->created_at / DAY_MS
	                                 : -((-r->created_at + DAY_MS - 1) / DAY_MS);

	if (day != w->day) {
		if ((rc = flush_all(w)) < 0)
			return rc;
		w->day = day;
	}
	conv_of(doc, &key, &display, &direct);
	slice_t *s = slice_for(w, key.data, day, display.data, direct, doc);
	if (s && json_array_size(s->events) >= MAX_EVENTS) {
		/* a full slice goes now, and the conversation's day goes on in the next */
		size_t at = (size_t)(s - w->v);
		rc = slice_write(w, s);
		slice_free(s);
		w->v[at] = w->v[--w->n];
		if (rc < 0)
			goto done;
		s = slice_for(w, key.data, day, display.data, direct, doc);
	}
	if (!s) {
		rc = CUSTOS_ENOMEM;
		goto done;
	}
	const char *who = r->author_handle ? r->author_handle : "unknown";
	if (!json_object_get(s->participants, who)) {
		json_t *p = json_pack("{s:s,s:s}", "id", who, "display",
		                      r->author_name && *r->author_name ? r->author_name : who);
		if (r->author_id && *r->author_id)
			json_object_set_new(p, "account_id", json_string(r->author_id));
		json_object_set_new(s->participants, who, p);
	}
	custos_time_format(t, sizeof t, r->created_at);
	json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", r->id, "type", event_type(r),
	                       "participant", who, "conversation", key.data, "timestamp", t);
	if (!ev) {
		rc = CUSTOS_ENOMEM;
		goto done;
	}
	if (doc->withheld) {
		custos_buf_t b = { 0 };
		custos_buf_printf(&b, "[withheld: %s]", doc->privilege);
		json_object_set_new(ev, "body", json_string(b.data));
		custos_buf_free(&b);
	} else {
		json_object_set_new(ev, "body", json_string(r->text ? r->text : ""));
		if (r->in_reply_to)
			json_object_set_new(ev, "parent", json_string(r->in_reply_to));
		if (r->deleted_at != CUSTOS_TIME_NONE)
			json_object_set_new(ev, "deleted", json_true());
		if (prev && r->version > 1) {
			char et[40];
			custos_time_format(et, sizeof et, r->edited_at != CUSTOS_TIME_NONE ? r->edited_at
			                   : r->captured_at);
			json_object_set_new(ev, "edits", json_pack("[{s:s,s:s,s:s,s:s}]", "participant", who,
			                    "timestamp", et, "previous", prev, "new",
			                    r->text ? r->text : ""));
		}
		if (r->kind && !strcmp(r->kind, "like") && r->target)
			json_object_set_new(ev, "reactions", json_pack("[{s:s,s:i,s:[s]}]", "value", "like",
			                    "count", 1, "participants", who));
		if (doc->n_attach) {
			json_t *at = json_array();
			for (size_t i = 0; i < doc->n_attach; i++) {
				const custos_xattach_t *a = &doc->attach[i];
				char name[128];
				snprintf(name, sizeof name, "%s.%s", a->bates,
				         custos_export_media_ext(a->name, a->type));
				json_t *o = json_pack("{s:s,s:s}", "id", name, "display", a->name ? a->name : name);
				json_array_append_new(at, o);
				json_array_append_new(s->files, json_pack("[s,s]", name, a->sha256));
			}
			json_object_set_new(ev, "attachments", at);
		}
	}
	custom(ev, "Bates", doc->bates);
	custom(ev, "RecordID", r->id);
	custom(ev, "URL", doc->withheld ? NULL : r->url);
	custom(ev, "ContentHash", r->content_sha256);
	json_array_append_new(s->events, ev);
	s->last_ms = r->created_at;
done:
	custos_buf_free(&key);
	custos_buf_free(&display);
	return rc;
}

int custos_rsmf_close(custos_rsmf_t *w, uint64_t *files)
{
	if (!w)
		return CUSTOS_OK;
	int rc = flush_all(w);
	if (files)
		*files = w->files;
	free(w->v);
	free(w);
	return rc;
}
