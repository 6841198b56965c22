/* The Concordance DAT load file (UTF-8 with BOM, CRLF, a header row, each
 * value between þ U+00FE and separated by U+0014, newlines inside a value
 * as ® U+00AE) and the Opticon OPT image load file. Paths are relative to
 * the production directory, with backslashes as the loaders expect. */
#include "custos_export.h"

#include <stdlib.h>
#include <string.h>

enum {
	F_BEGDOC, F_ENDDOC, F_BEGATTACH, F_ENDATTACH, F_CUSTODIAN, F_PLATFORM, F_ACCOUNT,
	F_AUTHOR, F_RECIPIENTS, F_DATESENT, F_THREADID, F_INREPLYTO, F_URL, F_MD5HASH,
	F_SHA1HASH, F_SHA256HASH, F_NATIVEPATH, F_TEXTPATH, F_CONTENTHASH, F_RECORDID,
	F_TAGS, F_PRIVILEGE, F_COUNT
};

const char *const custos_dat_fields[] = {
	"BEGDOC", "ENDDOC", "BEGATTACH", "ENDATTACH", "CUSTODIAN", "PLATFORM", "ACCOUNT",
	"AUTHOR", "RECIPIENTS", "DATESENT", "THREADID", "INREPLYTO", "URL", "MD5HASH",
	"SHA1HASH", "SHA256HASH", "NATIVEPATH", "TEXTPATH", "CONTENTHASH", "RECORDID",
	"TAGS", "PRIVILEGE", NULL
};

int custos_dat_fields_parse(const char *list, bool tags, int *out, size_t *n, custos_err_t *err)
{
	*n = 0;
	if (!list) {
		for (int f = 0; f < F_COUNT; f++)
			if (tags || (f != F_TAGS && f != F_PRIVILEGE))
				out[(*n)++] = f;
		return CUSTOS_OK;
	}
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		int found = -1;
		for (int f = 0; f < F_COUNT; f++)
			if (strlen(custos_dat_fields[f]) == len && !strncasecmp(p, custos_dat_fields[f], len))
				found = f;
		if (found < 0 || ((found == F_TAGS || found == F_PRIVILEGE) && !tags)) {
			custos_buf_t all = { 0 };
			for (int f = 0; f < F_COUNT; f++)
				custos_buf_printf(&all, "%s%s", f ? ", " : "", custos_dat_fields[f]);
			int rc = custos_err_set(err, CUSTOS_EINVAL, found < 0 ?
			                        "unknown DAT field '%.*s' (the fields: %s)" :
			                        "the DAT field '%.*s' needs a matter (--matter)%.0s",
			                        (int)(len > 60 ? 60 : len), p, all.data ? all.data : "");
			custos_buf_free(&all);
			return rc;
		}
		for (size_t i = 0; i < *n; i++)
			if (out[i] == found)
				return custos_err_set(err, CUSTOS_EINVAL, "the DAT field %s is named twice",
				                      custos_dat_fields[found]);
		out[(*n)++] = found;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!*n)
		return custos_err_set(err, CUSTOS_EINVAL, "no DAT fields named");
	return CUSTOS_OK;
}

struct custos_dat {
	custos_xfile_t *f;
	int     fields[F_COUNT];
	size_t  n;
	custos_buf_t row;
};

#define QUAL "\xc3\xbe"      /* þ U+00FE */
#define SEP  "\x14"          /* U+0014 */
#define NL   "\xc2\xae"      /* ® U+00AE */

int custos_dat_value(custos_buf_t *b, const char *s, size_t n)
{
	int err = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (c == '\n' || c == '\r')
			err |= custos_buf_adds(b, NL);
		else if (c == 0x14)
			err |= custos_buf_addc(b, ' ');
		else if (c == 0xc3 && i + 1 < n && (unsigned char)s[i + 1] == 0xbe) {
			err |= custos_buf_adds(b, QUAL QUAL);
			i++;
		} else
			err |= custos_buf_addc(b, (char)c);
	}
	return err ? CUSTOS_ENOMEM : CUSTOS_OK;
}

static void dat_path(custos_buf_t *b, const char *rel)
{
	for (const char *p = rel; p && *p; p++)
		custos_buf_addc(b, *p == '/' ? '\\' : *p);
}

int custos_dat_open(custos_xdir_t *d, const int *fields, size_t n_fields, custos_dat_t **out)
{
	custos_dat_t *w = calloc(1, sizeof *w);
	int rc;
	*out = NULL;
	if (!w)
		return CUSTOS_ENOMEM;
	memcpy(w->fields, fields, n_fields * sizeof *fields);
	w->n = n_fields;
	if ((rc = custos_xfile_open(d, "LOADFILES/production.dat", &w->f)) < 0) {
		free(w);
		return rc;
	}
	custos_buf_adds(&w->row, "\xef\xbb\xbf");   /* BOM */
	for (size_t i = 0; i < w->n; i++) {
		custos_buf_adds(&w->row, i ? SEP QUAL : QUAL);
		custos_buf_adds(&w->row, custos_dat_fields[w->fields[i]]);
		custos_buf_adds(&w->row, QUAL);
	}
	custos_buf_adds(&w->row, "\r\n");
	if ((rc = custos_xfile_write(w->f, w->row.data, w->row.len)) < 0) {
		custos_dat_close(w);
		return rc;
	}
	*out = w;
	return CUSTOS_OK;
}

static void add_time(custos_buf_t *b, int64_t ms)
{
	char t[40];
	if (ms == CUSTOS_TIME_NONE)
		return;
	custos_time_format(t, sizeof t, ms);
	custos_buf_adds(b, t);
}

static void add_s(custos_buf_t *b, const char *s)
{
	if (s)
		custos_dat_value(b, s, strlen(s));
}

/* One row: the document (a < 0) or its attachment a. */
static void row(custos_dat_t *w, const custos_xdoc_t *doc, long a)
{
	const custos_record_t *r = doc->rec;
	const custos_xattach_t *at = a >= 0 ? &doc->attach[a] : NULL;
	custos_buf_t *b = &w->row;
	custos_buf_clear(b);
	for (size_t i = 0; i < w->n; i++) {
		custos_buf_adds(b, i ? SEP QUAL : QUAL);
		switch (w->fields[i]) {
		case F_BEGDOC: case F_ENDDOC: add_s(b, at ? at->bates : doc->bates); break;
		case F_BEGATTACH: add_s(b, doc->beg_attach); break;
		case F_ENDATTACH: add_s(b, doc->end_attach); break;
		case F_CUSTODIAN: case F_ACCOUNT: add_s(b, r->account); break;
		case F_PLATFORM: add_s(b, r->platform); break;
		case F_AUTHOR:
			if (r->author_name) {
				add_s(b, r->author_name);
				custos_buf_adds(b, " ");
			}
			custos_buf_adds(b, "@");
			add_s(b, r->author_handle);
			break;
		case F_RECIPIENTS:
			for (size_t m = 0; m < r->mentions.n; m++) {
				custos_buf_adds(b, m ? "; @" : "@");
				add_s(b, r->mentions.v[m]);
			}
			break;
		case F_DATESENT: add_time(b, r->created_at); break;
		case F_THREADID: add_s(b, doc->thread); break;
		case F_INREPLYTO: add_s(b, r->in_reply_to); break;
		case F_URL: if (!doc->withheld && !at) add_s(b, r->url); break;
		case F_MD5HASH: add_s(b, at ? at->h.md5 : doc->native.md5); break;
		case F_SHA1HASH: add_s(b, at ? at->h.sha1 : doc->native.sha1); break;
		case F_SHA256HASH: add_s(b, at ? at->h.sha256 : doc->native.sha256); break;
		case F_NATIVEPATH: dat_path(b, at ? at->path : doc->native_path); break;
		case F_TEXTPATH: if (!at) dat_path(b, doc->text_path); break;
		case F_CONTENTHASH: if (!at) add_s(b, r->content_sha256); break;
		case F_RECORDID: add_s(b, r->id); break;
		case F_TAGS: add_s(b, doc->tags); break;
		case F_PRIVILEGE: if (doc->withheld) add_s(b, doc->privilege); break;
		}
		custos_buf_adds(b, QUAL);
	}
	custos_buf_adds(b, "\r\n");
}

int custos_dat_doc(custos_dat_t *w, const custos_xdoc_t *doc)
{
	int rc;
	row(w, doc, -1);
	if ((rc = custos_xfile_write(w->f, w->row.data, w->row.len)) < 0)
		return rc;
	for (size_t a = 0; a < doc->n_attach; a++) {
		row(w, doc, (long)a);
		if ((rc = custos_xfile_write(w->f, w->row.data, w->row.len)) < 0)
			return rc;
	}
	return CUSTOS_OK;
}

int custos_dat_close(custos_dat_t *w)
{
	if (!w)
		return CUSTOS_OK;
	int rc = w->f ? custos_xfile_close(w->f) : CUSTOS_OK;
	custos_buf_free(&w->row);
	free(w);
	return rc;
}

/* ---- Opticon -------------------------------------------------------------- */

struct custos_opt {
	custos_xfile_t *f;
	custos_buf_t line;
};

int custos_opt_open(custos_xdir_t *d, custos_opt_t **out)
{
	custos_opt_t *w = calloc(1, sizeof *w);
	int rc;
	*out = NULL;
	if (!w)
		return CUSTOS_ENOMEM;
	if ((rc = custos_xfile_open(d, "LOADFILES/production.opt", &w->f)) < 0) {
		free(w);
		return rc;
	}
	*out = w;
	return CUSTOS_OK;
}

/* One line per page: KEY,VOLUME,PATH,Y on the first page of a document,
 * then the page count on that line; every page of a document names the
 * one PDF that holds them all. */
int custos_opt_doc(custos_opt_t *w, const custos_xdoc_t *doc)
{
	if (!doc->image_path || !doc->pages)
		return CUSTOS_OK;
	custos_buf_clear(&w->line);
	for (uint32_t p = 1; p <= doc->pages; p++) {
		custos_buf_printf(&w->line, "%s.%04u,VOL001,", doc->bates, p);
		dat_path(&w->line, doc->image_path);
		if (p == 1)
			custos_buf_printf(&w->line, ",Y,,,%u\r\n", doc->pages);
		else
			custos_buf_adds(&w->line, ",,,,\r\n");
	}
	return custos_xfile_write(w->f, w->line.data, w->line.len);
}

int custos_opt_close(custos_opt_t *w)
{
	if (!w)
		return CUSTOS_OK;
	int rc = w->f ? custos_xfile_close(w->f) : CUSTOS_OK;
	custos_buf_free(&w->line);
	free(w);
	return rc;
}
