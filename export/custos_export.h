/* custos export: the production directory (files written, hashed and
 * listed for the manifest) and the writers of each form a review platform
 * loads: Concordance DAT and Opticon OPT, EDRM XML, RSMF, JSONL, CSV, HTML,
 * PDF images and the privilege log. lib/export.c drives them from one
 * snapshot of the archive; docs/productions.md describes what they write.
 *
 * Internal to the library: the faces use custos_archive_export (custos.h).
 * Every writer streams: it holds the record it is given for the call only.
 * Errors: CUSTOS_OK or a negative status with the detail in the
 * directory's error (custos_xdir_err). */
#ifndef CUSTOS_EXPORT_H
#define CUSTOS_EXPORT_H

#include <stdio.h>
#include "custos_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the production directory ------------------------------------------ */

typedef struct custos_xdir custos_xdir_t;

/* Hashes of a file written whole. */
typedef struct {
	char     md5[33], sha1[41], sha256[CUSTOS_SHA256_HEX];
	uint64_t size;
} custos_xhash_t;

/* Creates dir (its parent must exist) or takes an existing empty one.
 * CUSTOS_EEXISTS when it holds anything; CUSTOS_EACCESS, CUSTOS_EIO,
 * CUSTOS_ENOTFOUND (no parent). err gets the reason. */
int  custos_xdir_create(custos_xdir_t **out, const char *dir, custos_err_t *err);
/* Closes what is open; the files stay. NULL-safe. */
void custos_xdir_free(custos_xdir_t *d);
const custos_err_t *custos_xdir_err(const custos_xdir_t *d);
const char *custos_xdir_path(const custos_xdir_t *d);
/* From here on a second thread creates and writes the files that
 * custos_xdir_put and the custos_xfile_* calls are given (copies of their
 * bytes, at most 4 MB waiting), in the order given, while the calling
 * thread hashes and lists them: the same files and the same manifest as
 * without it. A write that fails is reported by a later call on d and at
 * the latest by custos_xdir_finish, which waits for every write. Only one
 * thread may call the other functions on d. */
int  custos_xdir_writer_start(custos_xdir_t *d);

/* Writes the file rel (a path below dir, '/'-separated; missing folders are
 * made) with n bytes, listed for the manifest; h (may be NULL) gets its
 * hashes (MD5 and SHA-1 only when md5 is true). CUSTOS_ENOSPC when the disk
 * or a file size limit is reached. */
int  custos_xdir_put(custos_xdir_t *d, const char *rel, const void *p, size_t n, bool md5,
                     custos_xhash_t *h);

/* A file written in pieces (load files, logs): hashed as it goes. */
typedef struct custos_xfile custos_xfile_t;
int  custos_xfile_open(custos_xdir_t *d, const char *rel, custos_xfile_t **out);
int  custos_xfile_write(custos_xfile_t *f, const void *p, size_t n);
int  custos_xfile_puts(custos_xfile_t *f, const char *s);
int  custos_xfile_printf(custos_xfile_t *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Flushes, closes and lists the file; frees f whatever happens. */
int  custos_xfile_close(custos_xfile_t *f);
/* Drops f without listing it (a failed export). NULL-safe. */
void custos_xfile_abort(custos_xfile_t *f);
/* Lists a file written outside these calls (a PDF cairo wrote) by reading
 * it back for its hash. */
int  custos_xdir_list(custos_xdir_t *d, const char *rel, custos_xhash_t *h);
/* Appends n bytes to the file rel (created when missing), not listed:
 * list it once it is finished (custos_xdir_list). */
int  custos_xdir_append(custos_xdir_t *d, const char *rel, const void *p, size_t n);
/* The absolute path of rel, for a library that writes files itself. */
void custos_xdir_abspath(custos_xdir_t *d, const char *rel, char *out, size_t cap);
/* Makes the folder rel (and its parents). */
int  custos_xdir_mkdir(custos_xdir_t *d, const char *rel);

/* Appends one produced document's entry (a JSON object text) for the
 * manifest's "documents". */
int  custos_xdir_document(custos_xdir_t *d, const char *json, size_t n);
/* Finishes the production: makes every file durable (syncfs), then writes
 * manifest.json as head (a JSON object text without its closing brace)
 * followed by "documents" and "files", and fsyncs and renames it into place.
 * sha256 gets the manifest's hash. After this the directory is whole. */
int  custos_xdir_finish(custos_xdir_t *d, const char *head, char sha256[CUSTOS_SHA256_HEX],
                        uint64_t *files, uint64_t *bytes);

/* ---- one produced document ----------------------------------------------- */

typedef struct {
	char        bates[64];
	const char *path;        /* MEDIA/PREFIX000002.jpg, relative to dir */
	const char *name, *type; /* as the record names it; may be NULL */
	const char *sha256;      /* the blob's hash (hex) */
	custos_xhash_t h;        /* of the file written */
} custos_xattach_t;

typedef struct {
	const custos_record_t *rec;   /* the version produced; for a withheld record only its
	                               * metadata is written, never its text or bytes */
	char        bates[64];        /* its control number */
	char        beg_attach[64], end_attach[64];   /* the family's range */
	uint32_t    n_versions;
	bool        withheld;
	const char *privilege;        /* what is claimed for a withheld record */
	const char *tags;             /* "responsive; confidential", or "" */
	const char *thread;           /* the thread root's id, or the record's own */
	const char *native_path, *text_path;   /* relative to dir, "" when none */
	custos_xhash_t native;        /* of the native file */
	custos_xattach_t *attach;
	size_t      n_attach;
	const char *image_path;       /* IMAGES/PREFIX000001.pdf, or NULL */
	uint32_t    pages;
	const custos_record_t *parent;/* the record replied to, when in the snapshot */
	const custos_buf_t *record_json;   /* custos_records_prep's text of rec, made ahead
	                               * (on a reader thread), or NULL: made when needed */
} custos_xdoc_t;

/* The native file's extension for raw bytes ("json", "xml", "csv", "txt"). */
const char *custos_export_native_ext(const char *raw, size_t n, const char *format);
/* The extension for a media file from its name or MIME type ("bin" when
 * neither says). */
const char *custos_export_media_ext(const char *name, const char *type);

/* ---- CSV ------------------------------------------------------------------ */

/* ---- Concordance DAT and Opticon OPT -------------------------------------- */

/* The DAT's fields, in the default order. */
extern const char *const custos_dat_fields[];
/* Parses "BEGDOC,ENDDOC,..." (NULL: every field) into field numbers; TAGS
 * is offered only with a matter. CUSTOS_EINVAL names an unknown field. */
int custos_dat_fields_parse(const char *list, bool tags, int *out, size_t *n, custos_err_t *err);

typedef struct custos_dat custos_dat_t;
int  custos_dat_open(custos_xdir_t *d, const int *fields, size_t n_fields, custos_dat_t **out);
/* One row for the document and one per attachment. */
int  custos_dat_doc(custos_dat_t *w, const custos_xdoc_t *doc);
int  custos_dat_close(custos_dat_t *w);   /* frees w whatever happens; NULL-safe */
/* Appends a value for a DAT field: newlines become U+00AE, the qualifier
 * U+00FE is doubled, the separator U+0014 becomes a space. */
int  custos_dat_value(custos_buf_t *b, const char *s, size_t n);

typedef struct custos_opt custos_opt_t;
int  custos_opt_open(custos_xdir_t *d, custos_opt_t **out);
int  custos_opt_doc(custos_opt_t *w, const custos_xdoc_t *doc);
int  custos_opt_close(custos_opt_t *w);

/* ---- EDRM XML 1.2 ----------------------------------------------------------- */

typedef struct custos_edrm custos_edrm_t;
int  custos_edrm_open(custos_xdir_t *d, const char *description, custos_edrm_t **out);
int  custos_edrm_doc(custos_edrm_t *w, const custos_xdoc_t *doc);
/* A reply and the record it answers, both in the production. */
int  custos_edrm_reply(custos_edrm_t *w, const char *parent_bates, const char *child_bates);
int  custos_edrm_close(custos_edrm_t *w);

/* ---- JSONL and CSV of every field --------------------------------------------- */

typedef struct custos_records custos_records_t;
int  custos_records_open(custos_xdir_t *d, bool jsonl, bool csv, custos_records_t **out);
int  custos_records_doc(custos_records_t *w, const custos_xdoc_t *doc);
/* Writes into out (emptied first) the JSON object records.jsonl holds for
 * rec under "record" (every field, then its raw bytes): what
 * custos_records_doc writes for a record not withheld, made ahead of it on
 * any thread (doc->record_json). store (NULL: none) is rec's
 * CUSTOS_JSON_STORE form (n bytes), which saves serializing rec again.
 * CUSTOS_ENOMEM. */
int  custos_records_prep(const custos_record_t *rec, const char *store, size_t n,
                         custos_buf_t *out);
int  custos_records_close(custos_records_t *w);

/* ---- RSMF 2.0 ----------------------------------------------------------------- */

typedef struct custos_rsmf custos_rsmf_t;
/* Blobs: the caller's reader of media bytes by hash (malloc'd, caller of
 * the reader frees); NULL leaves attachments out of rsmf.zip. */
typedef int (*custos_blob_fn)(void *ctx, const char *sha256, void **p, size_t *n);
int  custos_rsmf_open(custos_xdir_t *d, custos_blob_fn blob, void *ctx, custos_rsmf_t **out);
/* Documents come in date order: a slice is written once the day is past
 * or it holds 10,000 events. prev_text (may be NULL) is the previous
 * version's text, for an edit. */
int  custos_rsmf_doc(custos_rsmf_t *w, const custos_xdoc_t *doc, const char *prev_text);
int  custos_rsmf_close(custos_rsmf_t *w, uint64_t *files);

/* ---- HTML ------------------------------------------------------------------------ */

typedef struct custos_html custos_html_t;
int  custos_html_open(custos_xdir_t *d, custos_html_t **out);
/* versions: every version of the record, oldest first (the produced one
 * among them), or NULL for the produced one alone. */
int  custos_html_doc(custos_html_t *w, const custos_xdoc_t *doc,
                     const custos_record_t *const *versions, size_t n_versions);
int  custos_html_close(custos_html_t *w);

/* ---- PDF (cairo and pango) ------------------------------------------------------- */

typedef struct custos_pdf custos_pdf_t;
/* endorsement (may be NULL) is stamped on every page of every document;
 * otherwise a document's own (custos_pdf_render) is. */
int  custos_pdf_open(custos_xdir_t *d, custos_blob_fn blob, void *ctx, custos_pdf_t **out);
/* Renders doc into IMAGES/<bates>.pdf, stamping each page with
 * "<bates>.NNNN" and endorsement (may be NULL); sets doc->pages and
 * doc->image_path (borrowed from w until the next call). */
int  custos_pdf_render(custos_pdf_t *w, custos_xdoc_t *doc, const char *endorsement);
void custos_pdf_free(custos_pdf_t *w);

/* The privilege log: PRIVILEGE_LOG.csv and PRIVILEGE_LOG.pdf. */
typedef struct custos_privlog custos_privlog_t;
int  custos_privlog_open(custos_xdir_t *d, custos_privlog_t **out);
int  custos_privlog_doc(custos_privlog_t *w, const custos_xdoc_t *doc);
int  custos_privlog_close(custos_privlog_t *w, uint64_t *rows);

/* ---- reading a production back ------------------------------------------------ */

/* Calls fn with each problem found in the production at dir (a sentence),
 * and counts what it read. custos_production_verify (lib) wraps it. */
typedef struct {
	uint64_t files, bytes, records, documents, load_lines, rsmf_files, pages;
} custos_xcheck_counts_t;
int custos_export_check(const char *dir, void (*problem)(void *ctx, const char *msg),
                        void *ctx, custos_xcheck_counts_t *counts, custos_err_t *err);

#ifdef __cplusplus
}
#endif
#endif
