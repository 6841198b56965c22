/* EDRM XML 1.2: one Document per control number with its Tags (the
 * metadata) and Files (native, text, image), then the Relationships:
 * attachments to their parent, replies to the record they answer when
 * both are in the production. Relationships are kept in a temporary file
 * until the documents are written, so memory does not grow with them. */
#include "custos_export.h"

#include <stdlib.h>
#include <string.h>

struct custos_edrm {
	custos_xfile_t *f;
	FILE           *rel;      /* Relationship elements, written at the end */
	uint64_t        n_rel;
	custos_buf_t    b;
};

/* XML attribute text: the five entities, line ends as character
 * references, and characters XML 1.0 cannot hold as U+FFFD. */
static void xml_attr(custos_buf_t *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '&': custos_buf_adds(b, "&amp;"); break;
		case '<': custos_buf_adds(b, "&lt;"); break;
		case '>': custos_buf_adds(b, "&gt;"); break;
		case '"': custos_buf_adds(b, "&quot;"); break;
		case '\n': custos_buf_adds(b, "&#10;"); break;
		case '\r': custos_buf_adds(b, "&#13;"); break;
		case '\t': custos_buf_adds(b, "&#9;"); break;
		default:
			if (*p < 0x20)
				custos_buf_adds(b, "\xef\xbf\xbd");
			else if (*p == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf)) {
				custos_buf_adds(b, "\xef\xbf\xbd");   /* U+FFFE, U+FFFF */
				p += 2;
			} else
				custos_buf_addc(b, (char)*p);
		}
	}
}

int custos_edrm_open(custos_xdir_t *d, const char *description, custos_edrm_t **out)
{
	custos_edrm_t *w = calloc(1, sizeof *w);
	int rc;
	*out = NULL;
	if (!w || !(w->rel = tmpfile())) {
		free(w);
		return CUSTOS_ENOMEM;
	}
	if ((rc = custos_xfile_open(d, "LOADFILES/production.xml", &w->f)) < 0) {
		fclose(w->rel);
		free(w);
		return rc;
	}
	custos_buf_adds(&w->b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                "<Root MajorVersion=\"1\" MinorVersion=\"2\" Locale=\"US\" "
	                "DataInterchangeType=\"Production\" Description=\"");
	xml_attr(&w->b, description);
	custos_buf_adds(&w->b, "\">\n<Batch name=\"custos production\">\n<Documents>\n");
	if ((rc = custos_xfile_write(w->f, w->b.data, w->b.len)) < 0) {
		custos_xfile_abort(w->f);
		w->f = NULL;
		custos_edrm_close(w);
		return rc;
	}
	*out = w;
	return CUSTOS_OK;
}

static void tag(custos_buf_t *b, const char *name, const char *type, const char *value)
{
	if (!value || !*value)
		return;
	custos_buf_printf(b, "  <Tag TagName=\"%s\" TagDataType=\"%s\" TagValue=\"", name, type);
	xml_attr(b, value);
	custos_buf_adds(b, "\"/>\n");
}

static void file_el(custos_buf_t *b, const char *type, const char *path, const custos_xhash_t *h)
{
	if (!path || !*path)
		return;
	const char *slash = strrchr(path, '/');
	custos_buf_printf(b, "  <File FileType=\"%s\">\n   <ExternalFile FilePath=\"%.*s\" "
	                  "FileName=\"", type, slash ? (int)(slash - path) : 0, path);
	xml_attr(b, slash ? slash + 1 : path);
	custos_buf_printf(b, "\" FileSize=\"%llu\" Hash=\"%s\" HashType=\"SHA256\"/>\n  </File>\n",
	                  (unsigned long long)(h ? h->size : 0), h ? h->sha256 : "");
}

static void relation(custos_edrm_t *w, const char *type, const char *parent, const char *child)
{
	fprintf(w->rel, "<Relationship Type=\"%s\" ParentDocId=\"%s\" ChildDocId=\"%s\"/>\n", type,
	        parent, child);
	w->n_rel++;
}

int custos_edrm_doc(custos_edrm_t *w, const custos_xdoc_t *doc)
{
	const custos_record_t *r = doc->rec;
	custos_buf_t *b = &w->b;
	char t[40];
	custos_buf_clear(b);
	custos_buf_printf(b, "<Document DocID=\"%s\" DocType=\"Message\" MimeType=\"%s\">\n <Tags>\n",
	                  doc->bates, doc->withheld ? "text/plain" : "application/json");
	tag(b, "#RecordID", "Text", r->id);
	tag(b, "#Platform", "Text", r->platform);
	tag(b, "#Custodian", "Text", r->account);
	tag(b, "#Kind", "Text", r->kind);
	custos_buf_t who = { 0 };
	custos_buf_printf(&who, "%s%s@%s", r->author_name ? r->author_name : "",
	                  r->author_name ? " " : "", r->author_handle ? r->author_handle : "");
	tag(b, "#From", "Text", who.data);
	custos_buf_clear(&who);
	for (size_t m = 0; m < r->mentions.n; m++)
		custos_buf_printf(&who, "%s@%s", m ? "; " : "", r->mentions.v[m]);
	tag(b, "#To", "Text", who.data);
	custos_buf_free(&who);
	custos_time_format(t, sizeof t, r->created_at);
	tag(b, "#DateSent", "DateTime", t);
	tag(b, "#ThreadID", "Text", doc->thread);
	tag(b, "#InReplyTo", "Text", r->in_reply_to);
	if (!doc->withheld) {
		tag(b, "#URL", "Text", r->url);
		tag(b, "#Subject", "Text", r->title);
	}
	tag(b, "#ContentHash", "Text", r->content_sha256);
	tag(b, "#BegAttach", "Text", doc->beg_attach);
	tag(b, "#EndAttach", "Text", doc->end_attach);
	tag(b, "#ReviewTags", "Text", doc->tags);
	if (doc->withheld)
		tag(b, "#Privilege", "Text", doc->privilege);
	custos_buf_adds(b, " </Tags>\n <Files>\n");
	file_el(b, "Native", doc->native_path, &doc->native);
	file_el(b, "Text", doc->text_path, NULL);
	file_el(b, "Image", doc->image_path, NULL);
	custos_buf_adds(b, " </Files>\n</Document>\n");
	for (size_t a = 0; a < doc->n_attach; a++) {
		const custos_xattach_t *at = &doc->attach[a];
		custos_buf_printf(b, "<Document DocID=\"%s\" DocType=\"File\" MimeType=\"", at->bates);
		xml_attr(b, at->type && strchr(at->type, '/') ? at->type : "application/octet-stream");
		custos_buf_adds(b, "\">\n <Tags>\n");
		tag(b, "#RecordID", "Text", r->id);
		tag(b, "#FileName", "Text", at->name);
		tag(b, "#DateSent", "DateTime", t);
		tag(b, "#BegAttach", "Text", doc->beg_attach);
		tag(b, "#EndAttach", "Text", doc->end_attach);
		custos_buf_adds(b, " </Tags>\n <Files>\n");
		file_el(b, "Native", at->path, &at->h);
		custos_buf_adds(b, " </Files>\n</Document>\n");
		relation(w, "Attachment", doc->bates, at->bates);
	}
	return custos_xfile_write(w->f, b->data, b->len);
}

int custos_edrm_reply(custos_edrm_t *w, const char *parent_bates, const char *child_bates)
{
	relation(w, "Reply", parent_bates, child_bates);
	return ferror(w->rel) ? CUSTOS_EIO : CUSTOS_OK;
}

int custos_edrm_close(custos_edrm_t *w)
{
	int rc = CUSTOS_OK;
	if (!w)
		return CUSTOS_OK;
	if (w->f) {
		char buf[65536];
		size_t n;
		rc = custos_xfile_puts(w->f, "</Documents>\n<Relationships>\n");
		if (rc == CUSTOS_OK && (fflush(w->rel) != 0 || fseek(w->rel, 0, SEEK_SET) != 0))
			rc = CUSTOS_EIO;
		while (rc == CUSTOS_OK && (n = fread(buf, 1, sizeof buf, w->rel)) > 0)
			rc = custos_xfile_write(w->f, buf, n);
		if (rc == CUSTOS_OK)
			rc = custos_xfile_puts(w->f, "</Relationships>\n</Batch>\n</Root>\n");
		if (rc == CUSTOS_OK)
			rc = custos_xfile_close(w->f);
		else
			custos_xfile_abort(w->f);
	}
	fclose(w->rel);
	custos_buf_free(&w->b);
	free(w);
	return rc;
}
