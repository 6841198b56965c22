/* Inside lib/: the review coding of matters as the export and the
 * disposition read and change it (lib/matter.c). Not public. */
#ifndef CUSTOS_MATTER_INTERNAL_H
#define CUSTOS_MATTER_INTERNAL_H

#include "lib_internal.h"

/* The matters' LMDB environment of an archive (<archive>/matters), opened
 * once per process at its first use and closed with the archive. */
typedef struct custos_matters custos_matters_t;
void custos_matters__close(custos_matters_t *m);

/* A read snapshot of one matter's coding, kept for the time of an export
 * so that every record's tags are read as they were at one instant. */
typedef struct custos_matter_reader custos_matter_reader_t;

/* Opens a reader on matter name. CUSTOS_ENOTFOUND (no such matter). */
int  custos_matter__reader(custos_session_t *s, const char *name, custos_matter_reader_t **out);
void custos_matter__reader_free(custos_matter_reader_t *r);   /* NULL-safe */
/* The matter's tags, standard ones first; borrowed from r. */
size_t custos_matter__tag_names(custos_matter_reader_t *r, const char *const **out);
/* The tags of record id, joined by "; " into out (cleared first; "" when
 * none), and the note of tag `note_of` (NULL: none) into note (cleared).
 * CUSTOS_OK whether coded or not. */
int  custos_matter__tags(custos_matter_reader_t *r, const char *id, custos_buf_t *out,
                         const char *note_of, custos_buf_t *note);
/* True when record id carries tag. */
bool custos_matter__has(custos_matter_reader_t *r, const char *id, const char *tag);
/* Calls fn with each record id that carries tag now (coding of disposed
 * records is left out: only the fact of it remains). fn returns non-zero
 * to stop (returned). */
int  custos_matter__each(custos_matter_reader_t *r, const char *tag,
                         int (*fn)(void *ctx, const char *id), void *ctx);

/* Every record the matter codes now with at least one tag (disposed ones
 * are left out), and its tags as a row of bits in the reader's order of
 * tags (custos_matter__tag_names): bit t (byte t / 8, bit t % 8) of
 * rows + i * stride says ids[i] carries tag t. One pass over the matter's
 * coding, in the reader's snapshot; out owns everything
 * (custos_matter__coded_free). CUSTOS_ENOMEM, CUSTOS_EIO. */
typedef struct {
	char   **ids;
	unsigned char *rows;
	size_t   n, stride;
} custos_matter_coded_t;
int  custos_matter__coded(custos_matter_reader_t *r, custos_matter_coded_t *out);
void custos_matter__coded_free(custos_matter_coded_t *c);   /* NULL-safe; zeroes it */

/* The disposition hook (lib/retention.c): the records ids[0..n) were
 * disposed of through st (the writer's view). Their coding keeps only the
 * fact that they were coded (how often, first and last time), not which
 * tags or notes. A crash between the disposal's commit and this one is
 * caught up at the next use of the matters (their count of tombstones
 * seen differs from the store's). */
int  custos_matter__disposed(custos_archive_t *a, custos_store_t *st,
                             const custos_dispose_item_t *items, size_t n, custos_err_t *err);

#endif
