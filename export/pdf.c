/* PDF images of records (IMAGES/<bates>.pdf), drawn with cairo and pango:
 * author, time, platform, the reply's context, the text with its line
 * breaks and emoji, media thumbnails; every page stamped with its control
 * number (<bates>.0001) and the endorsement. Also the privilege log
 * (PRIVILEGE_LOG.csv and PRIVILEGE_LOG.pdf). */
#include "custos_export.h"

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Drawing is one thread at a time in the process: fontconfig, harfbuzz
 * and glib's caches under pango are shared between threads, and cairo's
 * PDF surface calls localtime (tzset); not all of them can be trusted to
 * lock for themselves, and a sanitizer cannot see their own locks. */
static pthread_mutex_t draw_mu = PTHREAD_MUTEX_INITIALIZER;
/* fontconfig loaded once, in the calling thread, before pango's own
 * initialising thread looks at it */
static pthread_once_t fc_once = PTHREAD_ONCE_INIT;
static void fc_init(void)
{
	FcInit();
}

#define PAGE_W 612.0   /* US Letter, points */
#define PAGE_H 792.0
#define MARGIN 54.0
#define FOOT   36.0    /* the stamps' band */

struct custos_pdf {
	PangoFontMap  *fm;         /* our own: freed with the writer, fontconfig's state too */
	custos_xdir_t *d;
	custos_blob_fn blob;
	void          *ctx;
	custos_buf_t   out;
	char           image[128];
};

static cairo_status_t to_buf(void *ctx, const unsigned char *p, unsigned int n)
{
	return custos_buf_add(ctx, p, n) == CUSTOS_OK ? CAIRO_STATUS_SUCCESS
	                                              : CAIRO_STATUS_NO_MEMORY;
}

int custos_pdf_open(custos_xdir_t *d, custos_blob_fn blob, void *ctx, custos_pdf_t **out)
{
	custos_pdf_t *w = calloc(1, sizeof *w);
	*out = NULL;
	if (!w)
		return CUSTOS_ENOMEM;
	pthread_once(&fc_once, fc_init);
	pthread_mutex_lock(&draw_mu);
	w->fm = pango_cairo_font_map_new();
	pthread_mutex_unlock(&draw_mu);
	if (!w->fm) {
		free(w);
		return CUSTOS_ENOMEM;
	}
	w->d = d;
	w->blob = blob;
	w->ctx = ctx;
	*out = w;
	return CUSTOS_OK;
}

void custos_pdf_free(custos_pdf_t *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&draw_mu);
	g_object_unref(w->fm);
	pthread_mutex_unlock(&draw_mu);
	custos_buf_free(&w->out);
	free(w);
}

/* A page being filled: y is where the next line goes. */
typedef struct {
	cairo_t    *cr;
	PangoContext *pc;
	const char *bates, *endorsement;
	uint32_t    page;
	double      y;
} page_t;

static void stamp(page_t *p)
{
	char key[96];
	PangoLayout *l = pango_layout_new(p->pc);
	PangoFontDescription *f = pango_font_description_from_string("DejaVu Sans Bold 9");
	pango_layout_set_font_description(l, f);
	snprintf(key, sizeof key, "%s.%04u", p->bates, p->page);
	pango_layout_set_text(l, key, -1);
	int w, h;
	pango_layout_get_pixel_size(l, &w, &h);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	cairo_move_to(p->cr, PAGE_W - MARGIN - w, PAGE_H - FOOT + 8);
	pango_cairo_show_layout(p->cr, l);
	if (p->endorsement && *p->endorsement) {
		pango_layout_set_text(l, p->endorsement, -1);
		cairo_move_to(p->cr, MARGIN, PAGE_H - FOOT + 8);
		pango_cairo_show_layout(p->cr, l);
	}
	pango_font_description_free(f);
	g_object_unref(l);
}

static void next_page(page_t *p)
{
	stamp(p);
	cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
}

/* Draws text (UTF-8) wrapped to the page width with font, breaking pages
 * between lines. */
static void flow(page_t *p, const char *font, const char *text, double indent)
{
	PangoLayout *l = pango_layout_new(p->pc);
	PangoFontDescription *f = pango_font_description_from_string(font);
	pango_layout_set_font_description(l, f);
	pango_layout_set_width(l, (int)((PAGE_W - 2 * MARGIN - indent) * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_text(l, text, -1);
	PangoLayoutIter *it = pango_layout_get_iter(l);
	double top = -1;
	do {
		PangoRectangle r;
		pango_layout_iter_get_line_extents(it, NULL, &r);
		double ly = (double)r.y / PANGO_SCALE, lh = (double)r.height / PANGO_SCALE;
		if (top < 0)
			top = ly;
		if (p->y + lh > PAGE_H - FOOT - 6) {
			next_page(p);
		}
		double base = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE - ly;
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		cairo_move_to(p->cr, MARGIN + indent, p->y + base);
		pango_cairo_show_layout_line(p->cr, pango_layout_iter_get_line_readonly(it));
		p->y += lh;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	pango_font_description_free(f);
	g_object_unref(l);
}

typedef struct {
	const unsigned char *p;
	size_t n, at;
} mem_read_t;

static cairo_status_t from_mem(void *ctx, unsigned char *out, unsigned int n)
{
	mem_read_t *m = ctx;
	if (m->n - m->at < n)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(out, m->p + m->at, n);
	m->at += n;
	return CAIRO_STATUS_SUCCESS;
}

/* A thumbnail of a PNG attachment, or a box naming the file. */
static void thumbnail(custos_pdf_t *w, page_t *p, const custos_xattach_t *a)
{
	void *bytes = NULL;
	size_t n = 0;
	cairo_surface_t *img = NULL;
	if (w->blob && a->sha256 && w->blob(w->ctx, a->sha256, &bytes, &n) == 0 && n > 8 &&
	    !memcmp(bytes, "\x89PNG", 4)) {
		mem_read_t m = { bytes, n, 0 };
		img = cairo_image_surface_create_from_png_stream(from_mem, &m);
		if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
			cairo_surface_destroy(img);
			img = NULL;
		}
	}
	free(bytes);
	char label[300];
	snprintf(label, sizeof label, "%s  %s (%s)", a->bates, a->name ? a->name : "attachment",
	         a->type ? a->type : "file");
	if (img) {
		double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
		double scale = 144.0 / (iw > ih ? iw : ih);
		if (scale > 1)
			scale = 1;
		if (p->y + ih * scale + 16 > PAGE_H - FOOT - 6)
			next_page(p);
		cairo_save(p->cr);
		cairo_translate(p->cr, MARGIN, p->y);
		cairo_scale(p->cr, scale, scale);
		cairo_set_source_surface(p->cr, img, 0, 0);
		cairo_paint(p->cr);
		cairo_restore(p->cr);
		p->y += ih * scale + 4;
		cairo_surface_destroy(img);
	} else {
		if (p->y + 40 > PAGE_H - FOOT - 6)
			next_page(p);
		cairo_set_source_rgb(p->cr, 0.5, 0.5, 0.5);
		cairo_rectangle(p->cr, MARGIN, p->y, 144, 28);
		cairo_stroke(p->cr);
		p->y += 32;
	}
	flow(p, "DejaVu Sans 8", label, 0);
	p->y += 4;
}

int custos_pdf_render(custos_pdf_t *w, custos_xdoc_t *doc, const char *endorsement)
{
	const custos_record_t *r = doc->rec;
	custos_buf_t b = { 0 };
	char t[40];
	int rc;

	custos_buf_clear(&w->out);
	pthread_mutex_lock(&draw_mu);
	cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(to_buf, &w->out, PAGE_W, PAGE_H);
	cairo_t *cr = cairo_create(surf);
	PangoContext *pc = pango_font_map_create_context(w->fm);
	pango_cairo_update_context(cr, pc);
	page_t p = { cr, pc, doc->bates, endorsement, 1, MARGIN };

	custos_time_format(t, sizeof t, r->created_at);
	custos_buf_printf(&b, "%s%s@%s", r->author_name ? r->author_name : "",
	                  r->author_name ? "  " : "", r->author_handle ? r->author_handle : "");
	flow(&p, "DejaVu Sans Bold 12", b.data, 0);
	custos_buf_clear(&b);
	custos_buf_printf(&b, "%s  |  %s  |  %s  |  %s%s%s", t, r->platform,
	                  r->account ? r->account : "", r->kind ? r->kind : "",
	                  r->visibility ? ", " : "", r->visibility ? r->visibility : "");
	flow(&p, "DejaVu Sans 9", b.data, 0);
	flow(&p, "DejaVu Sans Mono 8", r->id, 0);
	p.y += 8;
	if (doc->withheld) {
		custos_buf_clear(&b);
		custos_buf_printf(&b, "Withheld: %s", doc->privilege);
		flow(&p, "DejaVu Sans Bold 14", b.data, 0);
	} else {
		if (r->in_reply_to) {
			custos_buf_clear(&b);
			if (doc->parent) {
				custos_buf_printf(&b, "In reply to @%s: ", doc->parent->author_handle);
				size_t n = doc->parent->text ? strlen(doc->parent->text) : 0;
				/* an excerpt, cut at a character boundary */
				size_t cut = n > 280 ? 280 : n;
				while (cut < n && ((unsigned char)doc->parent->text[cut] & 0xc0) == 0x80)
					cut--;
				custos_buf_add(&b, doc->parent->text ? doc->parent->text : "", cut);
				if (cut < n)
					custos_buf_adds(&b, "...");
			} else {
				custos_buf_printf(&b, "In reply to %s", r->in_reply_to);
			}
			cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
			cairo_rectangle(cr, MARGIN, p.y, 3, 14);
			cairo_fill(cr);
			flow(&p, "DejaVu Sans Oblique 9", b.data, 10);
			p.y += 6;
		}
		if (r->title && *r->title)
			flow(&p, "DejaVu Sans Bold 11", r->title, 0);
		if (r->text && *r->text)
			flow(&p, "DejaVu Sans, Noto Color Emoji 11", r->text, 0);
		p.y += 8;
		for (size_t i = 0; i < doc->n_attach; i++)
			thumbnail(w, &p, &doc->attach[i]);
		if (r->url)
			flow(&p, "DejaVu Sans 8", r->url, 0);
	}
	custos_buf_clear(&b);
	custos_buf_printf(&b, "content hash %s", r->content_sha256);
	flow(&p, "DejaVu Sans Mono 7", b.data, 0);
	custos_buf_free(&b);
	stamp(&p);
	cairo_show_page(cr);
	g_object_unref(pc);
	cairo_destroy(cr);
	cairo_surface_finish(surf);
	cairo_status_t cs = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	pthread_mutex_unlock(&draw_mu);
	if (cs != CAIRO_STATUS_SUCCESS)
		return cs == CAIRO_STATUS_NO_MEMORY ? CUSTOS_ENOMEM : CUSTOS_EINTERNAL;
	snprintf(w->image, sizeof w->image, "IMAGES/%s.pdf", doc->bates);
	if ((rc = custos_xdir_put(w->d, w->image, w->out.data, w->out.len, false, NULL)) < 0)
		return rc;
	doc->image_path = w->image;
	doc->pages = p.page;
	return CUSTOS_OK;
}

/* ---- the privilege log ----------------------------------------------------- */

struct custos_privlog {
	PangoFontMap   *fm;
	PangoContext   *pc;
	custos_xdir_t  *d;
	custos_xfile_t *csv;
	custos_buf_t    pdf_out, row;
	cairo_surface_t *surf;
	cairo_t        *cr;
	page_t          page;
	uint64_t        rows;
};

static void privlog_header(custos_privlog_t *w)
{
	flow(&w->page, "DejaVu Sans Bold 12", "Privilege log", 0);
	flow(&w->page, "DejaVu Sans Bold 8", "Control number | Date (UTC) | Author | Recipients | "
	     "Privilege | Description", 0);
	w->page.y += 4;
}

int custos_privlog_open(custos_xdir_t *d, custos_privlog_t **out)
{
	custos_privlog_t *w = calloc(1, sizeof *w);
	int rc;
	*out = NULL;
	if (!w)
		return CUSTOS_ENOMEM;
	w->d = d;
	if ((rc = custos_xfile_open(d, "PRIVILEGE_LOG.csv", &w->csv)) < 0 ||
	    (rc = custos_xfile_puts(w->csv, "control_number,date,author,recipients,privilege,"
	                            "description\r\n")) < 0) {
		custos_xfile_abort(w->csv);
		free(w);
		return rc;
	}
	*out = w;
	return CUSTOS_OK;
}

int custos_privlog_doc(custos_privlog_t *w, const custos_xdoc_t *doc)
{
	const custos_record_t *r = doc->rec;
	char t[40];
	custos_buf_t desc = { 0 }, rcpt = { 0 }, who = { 0 };
	custos_time_format(t, sizeof t, r->created_at);
	/* what the record is, never what it says */
	custos_buf_printf(&desc, "%s %s by @%s in %s", r->platform, r->kind ? r->kind : "post",
	                  r->author_handle, r->account ? r->account : r->platform);
	for (size_t m = 0; m < r->mentions.n; m++)
		custos_buf_printf(&rcpt, "%s@%s", m ? "; " : "", r->mentions.v[m]);
	custos_buf_printf(&who, "%s%s@%s", r->author_name ? r->author_name : "",
	                  r->author_name ? " " : "", r->author_handle);
	custos_buf_clear(&w->row);
	const char *cols[6] = { doc->bates, t, who.data, rcpt.data ? rcpt.data : "", doc->privilege,
	                        desc.data };
	for (int i = 0; i < 6; i++) {
		custos_csv_fieldn(&w->row, cols[i], strlen(cols[i]));
		custos_buf_adds(&w->row, i < 5 ? "," : "\r\n");
	}
	int rc = custos_xfile_write(w->csv, w->row.data, w->row.len);
	if (rc == CUSTOS_OK) {
		pthread_mutex_lock(&draw_mu);
		if (!w->surf) {
			w->surf = cairo_pdf_surface_create_for_stream(to_buf, &w->pdf_out, PAGE_W, PAGE_H);
			w->cr = cairo_create(w->surf);
			w->fm = pango_cairo_font_map_new();
			w->pc = pango_font_map_create_context(w->fm);
			pango_cairo_update_context(w->cr, w->pc);
			w->page = (page_t){ w->cr, w->pc, "PRIVILEGE-LOG", NULL, 1, MARGIN };
			privlog_header(w);
		}
		custos_buf_clear(&w->row);
		custos_buf_printf(&w->row, "%s | %s | %s | %s | %s | %s", cols[0], cols[1], cols[2],
		                  cols[3], cols[4], cols[5]);
		flow(&w->page, "DejaVu Sans 8", w->row.data, 0);
		pthread_mutex_unlock(&draw_mu);
		w->page.y += 3;
		w->rows++;
	}
	custos_buf_free(&desc);
	custos_buf_free(&rcpt);
	custos_buf_free(&who);
	return rc;
}

int custos_privlog_close(custos_privlog_t *w, uint64_t *rows)
{
	int rc = CUSTOS_OK;
	if (!w)
		return CUSTOS_OK;
	if (rows)
		*rows = w->rows;
	if (w->csv)
		rc = custos_xfile_close(w->csv);
	if (w->surf) {
		pthread_mutex_lock(&draw_mu);
		stamp(&w->page);
		cairo_show_page(w->cr);
		g_object_unref(w->pc);
		g_object_unref(w->fm);
		cairo_destroy(w->cr);
		cairo_surface_finish(w->surf);
		cairo_status_t cs = cairo_surface_status(w->surf);
		cairo_surface_destroy(w->surf);
		pthread_mutex_unlock(&draw_mu);
		if (rc == CUSTOS_OK && cs != CAIRO_STATUS_SUCCESS)
			rc = CUSTOS_EINTERNAL;
		if (rc == CUSTOS_OK)
			rc = custos_xdir_put(w->d, "PRIVILEGE_LOG.pdf", w->pdf_out.data, w->pdf_out.len,
			                     false, NULL);
	}
	custos_buf_free(&w->pdf_out);
	custos_buf_free(&w->row);
	free(w);
	return rc;
}
