/* records.jsonl and records.csv for auditors: every field of each record
 * produced, its content hash, the capture's source file and offset, and
 * (JSONL) its original bytes. */
#include "custos_export.h"

#include <stdlib.h>
#include <string.h>

struct custos_records {
	custos_xfile_t *jsonl, *csv;
	custos_buf_t    b, f;
};

static const char *const csv_header =
	"bates,id,version,seq,platform,account,kind,subtype,author_id,author_handle,author_name,"
	"created_at,in_reply_to,thread,repost_of,quote_of,target,url,title,text,lang,hashtags,"
	"mentions,cashtags,urls,media,visibility,content_warning,edited_at,deleted_at,captured_at,"
	"source_format,source_file,source_file_sha256,source_offset,source_line,source_connector,"
	"content_sha256,withheld,tags\r\n";

int custos_records_open(custos_xdir_t *d, bool jsonl, bool csv, custos_records_t **out)
{
	custos_records_t *w = calloc(1, sizeof *w);
	int rc = CUSTOS_OK;
	*out = NULL;
	if (!w)
		return CUSTOS_ENOMEM;
	if ((jsonl && (rc = custos_xfile_open(d, "records.jsonl", &w->jsonl)) < 0) ||
	    (csv && ((rc = custos_xfile_open(d, "records.csv", &w->csv)) < 0 ||
	             (rc = custos_xfile_puts(w->csv, csv_header)) < 0))) {
		custos_xfile_abort(w->jsonl);
		custos_xfile_abort(w->csv);
		free(w);
		return rc;
	}
	*out = w;
	return CUSTOS_OK;
}

static void field(custos_records_t *w, const char *s, bool last)
{
	if (s)
		custos_csv_fieldn(&w->b, s, strlen(s));
	custos_buf_adds(&w->b, last ? "\r\n" : ",");
}

static void field_time(custos_records_t *w, int64_t ms)
{
	char t[40] = "";
	if (ms != CUSTOS_TIME_NONE)
		custos_time_format(t, sizeof t, ms);
	field(w, t, false);
}

static void field_int(custos_records_t *w, long long v)
{
	char t[32] = "";
	if (v >= 0)
		snprintf(t, sizeof t, "%lld", v);
	field(w, t, false);
}

static void field_list(custos_records_t *w, const custos_strv_t *v)
{
	custos_buf_clear(&w->f);
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			custos_buf_addc(&w->f, ' ');
		custos_buf_adds(&w->f, v->v[i]);
	}
	field(w, w->f.data ? w->f.data : "", false);
}

static int csv_row(custos_records_t *w, const custos_xdoc_t *doc)
{
	const custos_record_t *r = doc->rec;
	bool wh = doc->withheld;
	custos_buf_clear(&w->b);
	field(w, doc->bates, false);
	field(w, r->id, false);
	field_int(w, r->version);
	field_int(w, (long long)r->seq);
	field(w, r->platform, false);
	field(w, r->account, false);
	field(w, r->kind, false);
	field(w, r->subtype, false);
	field(w, r->author_id, false);
	field(w, r->author_handle, false);
	field(w, r->author_name, false);
	field_time(w, r->created_at);
	field(w, r->in_reply_to, false);
	field(w, r->thread, false);
	field(w, r->repost_of, false);
	field(w, r->quote_of, false);
	field(w, r->target, false);
	field(w, wh ? NULL : r->url, false);
	field(w, wh ? NULL : r->title, false);
	field(w, wh ? NULL : r->text, false);
	field(w, r->lang, false);
	if (wh) {
		for (int i = 0; i < 4; i++)
			field(w, NULL, false);
	} else {
		field_list(w, &r->hashtags);
		field_list(w, &r->mentions);
		field_list(w, &r->cashtags);
		field_list(w, &r->urls);
	}
	custos_buf_clear(&w->f);
	for (size_t i = 0; i < r->n_media && !wh; i++)
		custos_buf_printf(&w->f, "%s%s", i ? " " : "", r->media[i].sha256 ? r->media[i].sha256
		                  : r->media[i].url ? r->media[i].url : "");
	field(w, w->f.data ? w->f.data : "", false);
	field(w, r->visibility, false);
	field(w, wh ? NULL : r->content_warning, false);
	field_time(w, r->edited_at);
	field_time(w, r->deleted_at);
	field_time(w, r->captured_at);
	field(w, r->source.format, false);
	field(w, r->source.file, false);
	field(w, r->source.file_sha256, false);
	field_int(w, r->source.offset);
	field_int(w, r->source.line);
	field(w, r->source.connector, false);
	field(w, r->content_sha256, false);
	field(w, wh ? "true" : "false", false);
	field(w, doc->tags ? doc->tags : "", true);
	return custos_xfile_write(w->csv, w->b.data, w->b.len);
}

/* The record's object: every field, then its raw bytes (as text when they
 * are UTF-8, else as hex), appended to b. */
static int record_obj(const custos_record_t *r, const char *store, size_t n, custos_buf_t *b)
{
	if ((store ? custos_record_to_json_full_from(r, store, n, b)
	           : custos_record_to_json(r, CUSTOS_JSON_FULL, b)) < 0)
		return CUSTOS_ENOMEM;
	if (!r->raw)
		return CUSTOS_OK;
	b->len--;   /* the record's closing brace: the raw bytes go inside */
	if (custos_utf8_check(r->raw, r->raw_len) == r->raw_len) {
		if (custos_buf_adds(b, ",\"raw\":") < 0 ||
		    custos_buf_add_json_str(b, r->raw, r->raw_len) < 0)
			return CUSTOS_ENOMEM;
	} else {
		static const char hx[] = "0123456789abcdef";
		if (custos_buf_adds(b, ",\"raw_hex\":\"") < 0 ||
		    custos_buf_reserve(b, r->raw_len * 2 + 2) < 0)
			return CUSTOS_ENOMEM;
		for (size_t i = 0; i < r->raw_len; i++) {
			b->data[b->len++] = hx[(unsigned char)r->raw[i] >> 4];
			b->data[b->len++] = hx[(unsigned char)r->raw[i] & 15];
		}
		b->data[b->len] = '\0';
		custos_buf_addc(b, '"');
	}
	return custos_buf_addc(b, '}');
}

static int jsonl_line(custos_records_t *w, const custos_xdoc_t *doc)
{
	const custos_record_t *r = doc->rec;
	custos_buf_clear(&w->b);
	custos_buf_printf(&w->b, "{\"bates\":\"%s\"", doc->bates);
	if (doc->n_attach) {
		custos_buf_adds(&w->b, ",\"attachments\":[");
		for (size_t i = 0; i < doc->n_attach; i++)
			custos_buf_printf(&w->b, "%s{\"bates\":\"%s\",\"path\":\"%s\",\"sha256\":\"%s\"}",
			                  i ? "," : "", doc->attach[i].bates, doc->attach[i].path,
			                  doc->attach[i].sha256);
		custos_buf_addc(&w->b, ']');
	}
	if (doc->tags && *doc->tags) {
		custos_buf_adds(&w->b, ",\"tags\":");
		custos_buf_add_json_str(&w->b, doc->tags, strlen(doc->tags));
	}
	if (doc->withheld) {
		/* what the privilege log says, and nothing of the content */
		custos_buf_adds(&w->b, ",\"withheld\":true,\"privilege\":");
		custos_buf_add_json_str(&w->b, doc->privilege, strlen(doc->privilege));
		custos_buf_adds(&w->b, ",\"record\":{\"id\":");
		custos_buf_add_json_str(&w->b, r->id, strlen(r->id));
		custos_buf_printf(&w->b, ",\"version\":%u,\"seq\":%llu,\"content_sha256\":\"%s\"}}\n",
		                  r->version, (unsigned long long)r->seq, r->content_sha256);
		return custos_xfile_write(w->jsonl, w->b.data, w->b.len);
	}
	custos_buf_adds(&w->b, ",\"record\":");
	if (doc->record_json) {
		/* made on a reader thread: written from where it is */
		int rc;
		if ((rc = custos_xfile_write(w->jsonl, w->b.data, w->b.len)) < 0 ||
		    (rc = custos_xfile_write(w->jsonl, doc->record_json->data,
		                             doc->record_json->len)) < 0)
			return rc;
		return custos_xfile_write(w->jsonl, "}\n", 2);
	}
	if (record_obj(r, NULL, 0, &w->b) < 0 || custos_buf_adds(&w->b, "}\n") < 0)
		return CUSTOS_ENOMEM;
	return custos_xfile_write(w->jsonl, w->b.data, w->b.len);
}

int custos_records_prep(const custos_record_t *rec, const char *store, size_t n,
                        custos_buf_t *out)
{
	custos_buf_clear(out);
	return record_obj(rec, store, n, out);
}

int custos_records_doc(custos_records_t *w, const custos_xdoc_t *doc)
{
	int rc = CUSTOS_OK;
	if (w->jsonl && (rc = jsonl_line(w, doc)) < 0)
		return rc;
	if (w->csv && (rc = csv_row(w, doc)) < 0)
		return rc;
	return rc;
}

int custos_records_close(custos_records_t *w)
{
	int rc = CUSTOS_OK, r2;
	if (!w)
		return CUSTOS_OK;
	if (w->jsonl && (r2 = custos_xfile_close(w->jsonl)) < 0)
		rc = r2;
	if (w->csv && (r2 = custos_xfile_close(w->csv)) < 0 && rc == CUSTOS_OK)
		rc = r2;
	custos_buf_free(&w->b);
	custos_buf_free(&w->f);
	free(w);
	return rc;
}
