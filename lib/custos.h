/* The custos archive API: what the command line and the HTTP service call.
 * It ties the parts together (store, audit chain, importers, index, policy)
 * and holds no knowledge of how results are shown. */
#ifndef CUSTOS_H
#define CUSTOS_H

#include "custos_common.h"
#include "custos_archiver.h"
#include "custos_indexer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct custos_archive custos_archive_t;

enum {
	CUSTOS_OPEN_READ  = 0,
	CUSTOS_OPEN_WRITE = 1 << 0,   /* take the writer lock (fails with CUSTOS_EBUSY) */
	CUSTOS_OPEN_WAIT  = 1 << 1    /* with WRITE: wait for another writer instead */
};

/* Creates an archive in dir (created if missing; an existing dir must be
 * empty). Appends the "init" audit entry. */
int custos_archive_init(const char *dir, const char *actor, custos_err_t *err);

/* Opens the archive at dir. actor (may be NULL) is the person the commands
 * act for, recorded in the audit chain beside the OS user. On failure *out
 * is NULL and err says why. */
int  custos_archive_open(custos_archive_t **out, const char *dir, unsigned flags,
                         const char *actor, custos_err_t *err);
void custos_archive_free(custos_archive_t *a);                /* NULL-safe */
/* Detail of the last failure on this handle; borrowed from the handle. */
const custos_err_t *custos_archive_err(const custos_archive_t *a);
/* The parts, borrowed from the handle for its lifetime. */
custos_store_t *custos_archive_store(custos_archive_t *a);
const char     *custos_archive_dir(const custos_archive_t *a);

/* Appends an audit entry for an action done through this handle. */
int custos_archive_audit(custos_archive_t *a, const char *action, const char *params_json,
                         const char *result_json, int status);

/* ---- ingest ------------------------------------------------------------- */

typedef struct {
	const char *format;        /* NULL or "auto" */
	bool        skip_bad;      /* quarantine bad items and go on */
	bool        no_index;      /* return after the store commit */
	size_t      batch_records; /* records per write transaction; 0: default */
	/* called after each committed batch with the running totals */
	void      (*progress)(void *ctx, uint64_t records, uint64_t bytes_in);
	/* called for warnings that are not errors (file, message) */
	void      (*warn)(void *ctx, const char *file, const char *msg);
	void       *ctx;
	/* called for each file of the input that was not imported, with why
	 * (not recognised, recognised but not imported, ...); each is also
	 * counted in the summary and listed in the ingest's audit entry. It
	 * does not make the ingest fail. May be NULL. */
	void      (*not_taken)(void *ctx, const char *file, const char *why);
	/* whose collection this is (a person or team, not the platform
	 * account): set as every record's custodian. NULL: records keep the
	 * custodian they carry (ndjson), else have none. */
	const char *custodian;
} custos_ingest_opts_t;
#define CUSTOS_INGEST_OPTS_INIT { NULL, false, false, 0, NULL, NULL, NULL, NULL, NULL }

typedef struct {
	uint64_t added, versions, unchanged, quarantined, blobs;
	uint64_t batches, files, warnings;
	uint64_t not_taken;                   /* files of the input not imported (opts.not_taken) */
	uint64_t indexed;                     /* record versions indexed after the store commits */
	uint64_t held;                        /* new members of active legal holds */
	uint64_t first_seq, last_seq;
	uint8_t  chain[CUSTOS_SHA256_LEN];   /* record chain head after the last batch */
	uint8_t  digest[CUSTOS_SHA256_LEN];  /* SHA-256 over the batches' digests, in order */
	/* On failure: where the error was. Everything committed before it is
	 * counted above and stays in the archive. */
	char     failed_file[1024];
	int64_t  failed_line, failed_offset;
} custos_ingest_summary_t;

/* Ingests every path (files, folders, .zip). Records are committed in
 * batches as they come; an error stops the ingest, the uncommitted batch is
 * dropped and the batches before it stay (summary says what they were). The
 * audit chain gets one entry with the parameters and the outcome. */
int custos_archive_ingest(custos_archive_t *a, const char *const *paths, size_t n_paths,
                          const custos_ingest_opts_t *opts, custos_ingest_summary_t *summary);

/* ---- custodians ---------------------------------------------------------- */

typedef struct {
	char    *name;       /* the custodian; NULL for records captured without one */
	uint64_t records;    /* records whose latest version was captured for it */
} custos_custodian_count_t;

/* Every custodian the archive's records were captured for (custos ingest
 * --custodian), sorted by name, those without one last, with how many
 * records each has. Reads every stored record version: the cost follows the
 * size of the store (the index can answer one custodian: custodian:NAME).
 * *out is freed with custos_custodians_free. */
int  custos_archive_custodians(custos_archive_t *a, custos_custodian_count_t **out, size_t *n);
void custos_custodians_free(custos_custodian_count_t *v, size_t n);   /* NULL-safe */

/* ---- verification ------------------------------------------------------- */

typedef struct {
	custos_verify_summary_t store;
	uint64_t audit_entries;
	uint8_t  audit_head[CUSTOS_SHA256_LEN];
	bool     index_present;
	uint64_t index_docs;       /* documents checked against the store */
	uint64_t index_watermark;
	uint64_t index_lag;        /* record versions committed after the watermark */
	uint64_t index_disposed;   /* documents of disposed records a crashed disposition
	                            * run left behind: rerunning it removes them */
} custos_archive_verify_t;

/* Verifies the store (every record, blob, dictionary, tombstone and the
 * record chain), the audit chain, and the index: every document must be a
 * record the store holds, at the latest version the watermark covers.
 * Versions after the watermark are lag, not corruption. CUSTOS_ECORRUPT with the first
 * inconsistency in the handle's error. Appends a "verify" audit entry. */
int custos_archive_verify(custos_archive_t *a, custos_archive_verify_t *out,
                          custos_progress_fn progress, void *ctx);

/* ---- the search index ---------------------------------------------------- */

/* Opens <archive>/index. flags as custos_index_open; with CUSTOS_INDEX_CREATE
 * a missing index is created. A missing or corrupt index for reading gives
 * CUSTOS_EINDEX with a message saying to run `custos index --rebuild`. */
int custos_archive_index_open(custos_archive_t *a, unsigned flags, custos_index_t **out);

/* Brings the index up to the store: indexes every record version committed
 * after the index's watermark (or, with rebuild, builds a new index from the
 * whole store and puts it in place of the old one). Thread roots are
 * resolved here, from the store: a record without a thread takes the root
 * of its in_reply_to chain. *indexed (may be NULL) gets the count. */
int custos_archive_index_catch_up(custos_archive_t *a, bool rebuild,
                                  custos_progress_fn progress, void *ctx, uint64_t *indexed);

/* How far the index lags the store: the store's last sequence number and
 * the index watermark (0 when there is no index yet). */
int custos_archive_index_lag(custos_archive_t *a, uint64_t *store_last, uint64_t *watermark);

/* Runs a search and audits it (who, query, number of hits). Snippets come
 * from the stored text. *out is freed with custos_index_results_free. */
int custos_archive_search(custos_archive_t *a, const char *query,
                          const custos_index_search_opts_t *opts, bool snippets,
                          custos_index_results_t **out);

/* The conversation around record id: every record of its thread, in time
 * order. *out is freed with custos_index_idlist_free. */
int custos_archive_thread(custos_archive_t *a, const char *id, custos_index_idlist_t *out);
/* ---- retention, holds and disposition (issue 5) --------------------------
 * Declared in their own header, owned by the disposition work. */
#ifdef __cplusplus
}
#endif
#include "custos_retention_api.h"
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
