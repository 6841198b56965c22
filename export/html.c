/* HTML: a readable, printable page per thread (HTML/<first control
 * number>.html) with each record's versions and media, and an index page
 * (HTML/index.html) listing the threads, for review without custos. The
 * pages are built by appending each record as it comes (the records come
 * in date order, threads interleave) and closed at the end. */
#include "custos_export.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct custos_html {
	custos_xdir_t *d;
	json_t        *pages;      /* thread id -> [file, records] in order of first record */
	json_t        *order;      /* thread ids, in the order their pages began */
	custos_buf_t   b;
};

static const char *const style =
	"<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}"
	".rec{border-top:1px solid #999;padding:.6em 0;page-break-inside:avoid}"
	".meta{color:#444;font-size:90%}.text{white-space:pre-wrap;margin:.5em 0}"
	".bates{float:right;font-family:monospace}.old{color:#666;border-left:3px solid #ccc;"
	"padding-left:.5em;white-space:pre-wrap}img{max-width:20em;max-height:20em}</style>";

static void esc(custos_buf_t *b, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '&': custos_buf_adds(b, "&amp;"); break;
		case '<': custos_buf_adds(b, "&lt;"); break;
		case '>': custos_buf_adds(b, "&gt;"); break;
		case '"': custos_buf_adds(b, "&quot;"); break;
		default: custos_buf_addc(b, *p);
		}
	}
}

int custos_html_open(custos_xdir_t *d, custos_html_t **out)
{
	custos_html_t *w = calloc(1, sizeof *w);
	*out = NULL;
	if (!w || !(w->pages = json_object()) || !(w->order = json_array())) {
		if (w)
			json_decref(w->pages);
		free(w);
		return CUSTOS_ENOMEM;
	}
	w->d = d;
	*out = w;
	return CUSTOS_OK;
}

int custos_html_doc(custos_html_t *w, const custos_xdoc_t *doc,
                    const custos_record_t *const *versions, size_t n_versions)
{
	const custos_record_t *r = doc->rec;
	custos_buf_t *b = &w->b;
	char t[40], rel[128];
	json_t *page = json_object_get(w->pages, doc->thread);
	custos_buf_clear(b);
	if (!page) {
		snprintf(rel, sizeof rel, "HTML/%s.html", doc->bates);
		page = json_pack("[s,i]", rel, 0);
		json_object_set_new(w->pages, doc->thread, page);
		json_array_append_new(w->order, json_string(doc->thread));
		custos_buf_adds(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Thread ");
		esc(b, doc->thread);
		custos_buf_printf(b, "</title>%s</head><body>\n<h1>Thread ", style);
		esc(b, doc->thread);
		custos_buf_adds(b, "</h1>\n");
	}
	snprintf(rel, sizeof rel, "%s", json_string_value(json_array_get(page, 0)));
	json_array_set_new(page, 1, json_integer(json_integer_value(json_array_get(page, 1)) + 1));
	custos_time_format(t, sizeof t, r->created_at);
	custos_buf_printf(b, "<div class=\"rec\" id=\"%s\"><span class=\"bates\">%s</span>\n"
	                  "<div class=\"meta\"><b>", doc->bates, doc->bates);
	esc(b, r->author_name ? r->author_name : "");
	custos_buf_adds(b, "</b> @");
	esc(b, r->author_handle);
	custos_buf_adds(b, " &middot; ");
	esc(b, r->platform);
	custos_buf_adds(b, " &middot; ");
	esc(b, r->account);
	custos_buf_printf(b, " &middot; %s &middot; ", t);
	esc(b, r->id);
	if (r->in_reply_to) {
		custos_buf_adds(b, " &middot; in reply to ");
		esc(b, r->in_reply_to);
	}
	if (doc->tags && *doc->tags) {
		custos_buf_adds(b, " &middot; tags: ");
		esc(b, doc->tags);
	}
	custos_buf_adds(b, "</div>\n");
	if (doc->withheld) {
		custos_buf_adds(b, "<div class=\"text\"><i>Withheld: ");
		esc(b, doc->privilege);
		custos_buf_adds(b, "</i></div></div>\n");
		return custos_xdir_append(w->d, rel, b->data, b->len);
	}
	if (r->title && *r->title) {
		custos_buf_adds(b, "<div><b>");
		esc(b, r->title);
		custos_buf_adds(b, "</b></div>\n");
	}
	custos_buf_adds(b, "<div class=\"text\">");
	esc(b, r->text);
	custos_buf_adds(b, "</div>\n");
	if (r->deleted_at != CUSTOS_TIME_NONE) {
		custos_time_format(t, sizeof t, r->deleted_at);
		custos_buf_printf(b, "<div class=\"meta\">deleted upstream %s (kept)</div>\n", t);
	}
	for (size_t i = 0; i < n_versions; i++) {
		const custos_record_t *v = versions[i];
		if (v == r || v->seq == r->seq)
			continue;
		custos_time_format(t, sizeof t, v->captured_at);
		custos_buf_printf(b, "<div class=\"meta\">version %u of %zu, captured %s:</div>"
		                  "<div class=\"old\">", v->version, n_versions, t);
		esc(b, v->text);
		custos_buf_adds(b, "</div>\n");
	}
	for (size_t i = 0; i < doc->n_attach; i++) {
		const custos_xattach_t *a = &doc->attach[i];
		if (!a->path)
			continue;
		bool image = a->type && (!strncmp(a->type, "image/", 6) || !strcmp(a->type, "photo"));
		custos_buf_printf(b, "<div>%s <a href=\"../%s\">", a->bates, a->path);
		if (image)
			custos_buf_printf(b, "<img src=\"../%s\" alt=\"", a->path);
		esc(b, a->name ? a->name : a->bates);
		custos_buf_adds(b, image ? "\"></a></div>\n" : "</a></div>\n");
	}
	if (r->url) {
		custos_buf_adds(b, "<div class=\"meta\">");
		esc(b, r->url);
		custos_buf_adds(b, "</div>\n");
	}
	custos_buf_printf(b, "<div class=\"meta\">content hash %s</div></div>\n", r->content_sha256);
	return custos_xdir_append(w->d, rel, b->data, b->len);
}

int custos_html_close(custos_html_t *w)
{
	int rc = CUSTOS_OK;
	size_t i;
	json_t *tid;
	if (!w)
		return CUSTOS_OK;
	custos_buf_t idx = { 0 };
	custos_buf_printf(&idx, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>"
	                  "Production</title>%s</head><body>\n<h1>Threads</h1>\n<ul>\n", style);
	json_array_foreach(w->order, i, tid) {
		json_t *page = json_object_get(w->pages, json_string_value(tid));
		const char *rel = json_string_value(json_array_get(page, 0));
		if (rc == CUSTOS_OK)
			rc = custos_xdir_append(w->d, rel, "</body></html>\n", 15);
		if (rc == CUSTOS_OK)
			rc = custos_xdir_list(w->d, rel, NULL);
		custos_buf_printf(&idx, "<li><a href=\"%s\">", rel + 5);
		esc(&idx, json_string_value(tid));
		custos_buf_printf(&idx, "</a> (%lld)</li>\n",
		                  (long long)json_integer_value(json_array_get(page, 1)));
	}
	custos_buf_adds(&idx, "</ul></body></html>\n");
	if (rc == CUSTOS_OK)
		rc = custos_xdir_put(w->d, "HTML/index.html", idx.data, idx.len, false, NULL);
	custos_buf_free(&idx);
	custos_buf_free(&w->b);
	json_decref(w->pages);
	json_decref(w->order);
	free(w);
	return rc;
}
