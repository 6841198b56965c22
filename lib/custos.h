/* custos: the library the command line and the HTTP service are built on.
 *
 * This header is the whole API a face uses; the parts' headers (archiver/,
 * indexer/, retention-policies/) are internal to the library. It is written
 * as a manual: every function says what it needs, what it returns and who
 * owns it, which statuses it gives, and whether it is thread-safe.
 *
 * THE SHAPE
 *
 *   custos_archive_t  one per archive per process, shared by every thread.
 *                     Opened for writing it takes the archive's writer lock
 *                     and runs three services of its own:
 *                       - the writer: one thread that takes records and
 *                         write jobs from any number of sessions through a
 *                         queue and commits them in shared LMDB transactions
 *                         (group commit); a session is answered only once
 *                         the transaction holding its work is durable;
 *                       - the index service: one thread that owns the Xapian
 *                         writers and catches the index up behind the store,
 *                         resolving thread roots from committed records;
 *                       - the audit appender: the audit chain's tail kept in
 *                         memory, so an append costs the same at any length.
 *                     Opened for reading it runs none of them.
 *
 *   custos_session_t  one per request (HTTP) or per command (CLI): who acts
 *                     and in which role, its own error, its own scratch
 *                     memory, and its own read snapshot: an LMDB read
 *                     transaction and a search index pinned at one
 *                     watermark, taken at its first read and kept until
 *                     custos_session_refresh (or a write through the
 *                     session, which lets it go). So a search and the
 *                     records it fetches agree.
 *
 * Every operation on an archive takes the session it runs in and is named
 * custos_archive_<verb>. Each one checks the session's role (the table is
 * in docs/api.md), validates its arguments, does the work, and appends its
 * audit entry (who, when, what, result), failures included.
 *
 * THREADS
 *
 * custos_archive_* functions that take a custos_archive_t are thread-safe.
 * A session is used by one thread at a time (any thread; not two at once);
 * sessions of one archive run concurrently. Results returned through **out
 * belong to the caller, who frees them with the matching *_free (NULL-safe),
 * from any thread; nothing returned points into the store's memory map.
 *
 * ERRORS
 *
 * Every function that can fail returns CUSTOS_OK (0) or a negative
 * custos_status_t (custos_common.h) and leaves the detail in the session's
 * error (custos_session_err): a message saying what failed first and why.
 * Statuses common to every operation and not repeated below:
 *   CUSTOS_EDENIED   the session's role may not do this;
 *   CUSTOS_EINVAL    an argument is invalid (the message says which), or the
 *                    archive is open read-only for an operation that writes;
 *   CUSTOS_ENOMEM, CUSTOS_EIO, CUSTOS_ENOSPC (the disk is full);
 *   CUSTOS_ESTOPPED  the archive is closing (custos_archive_close began).
 * The library never prints, logs or exits.
 */
#ifndef CUSTOS_H
#define CUSTOS_H

#include "custos_common.h"
#include "custos_types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct custos_archive custos_archive_t;
typedef struct custos_session custos_session_t;

/* ===========================================================================
 * Roles and who acts.
 */
typedef enum {
	CUSTOS_ROLE_OPERATOR = 0,  /* a person with shell access to the archive's files (the
	                            * command line): every operation */
	CUSTOS_ROLE_INGEST,        /* a connector: posts records and imports, nothing else */
	CUSTOS_ROLE_LEGAL,         /* searches, reads, tags, holds, exports; no ingest, no schedule */
	CUSTOS_ROLE_COMPLIANCE,    /* the schedule, holds, retention plans and disposition */
	CUSTOS_ROLE_AUDITOR,       /* reads everything (audit trail, verify, stats), changes nothing */
	CUSTOS_ROLE_ADMIN,         /* tokens and sources */
	CUSTOS_ROLE_COUNT
} custos_role_t;

/* "operator", "ingest", ... ; static storage. NULL for a value out of range. */
const char *custos_role_name(custos_role_t role);
/* Parses a role name. CUSTOS_EINVAL (err lists the roles) for another. */
int custos_role_parse(custos_role_t *out, const char *name, custos_err_t *err);

typedef struct {
	const char   *actor;   /* the person acted for (--actor, CUSTOS_ACTOR): a label,
	                        * not an identity; NULL for none. UTF-8, no control
	                        * characters, at most 200 bytes; "Name <email>" is read
	                        * as a name and an e-mail address. */
	custos_role_t role;
	const char   *token;   /* the service token's name, or NULL (the command line) */
	const char   *client;  /* the client's address ("192.0.2.7:51234"), or NULL */
} custos_who_t;
#define CUSTOS_WHO_INIT { NULL, CUSTOS_ROLE_OPERATOR, NULL, NULL }

/* Checks an actor label as custos_session_open does: CUSTOS_OK, or
 * CUSTOS_EINVAL with err saying what is wrong. */
int custos_actor_check(const char *actor, custos_err_t *err);

/* ===========================================================================
 * The archive.
 */
enum {
	CUSTOS_OPEN_READ  = 0,
	CUSTOS_OPEN_WRITE = 1 << 0,   /* take the writer lock and start the writer, the index
	                               * service and the audit appender; CUSTOS_EBUSY (the
	                               * message names the holder: "pid 812: custos serve")
	                               * when another process holds it */
	CUSTOS_OPEN_WAIT  = 1 << 1,   /* with WRITE: wait for the lock instead */
	CUSTOS_OPEN_NO_INDEX = 1 << 2,/* with WRITE: no index service; the index is left
	                               * behind the store until custos_archive_index (a
	                               * bulk load that indexes later) */
	CUSTOS_OPEN_INDEX_IDLE = 1 << 3 /* with WRITE: the index service runs on idle CPU
	                               * only (SCHED_IDLE), not at nice 10: for a server,
	                               * whose acknowledgements and searches must not wait
	                               * for indexing; the index lags while the cores are
	                               * busy (docs/ARCHITECTURE.md, "Indexing") */
};

/* Creates an archive in dir (created if missing; an existing dir must be
 * empty): the store, the policy repository and the audit log, whose first
 * entry is "init". Every directory is made 0700 and every file 0600,
 * whatever the umask. who may be NULL (the operator). err may be NULL.
 * @return CUSTOS_OK, CUSTOS_EEXISTS (dir is not empty, or is an archive),
 *         CUSTOS_EACCESS, CUSTOS_EIO, CUSTOS_EINVAL (a bad actor). */
int custos_archive_init(const char *dir, const custos_who_t *who, custos_err_t *err);

/* Opens the archive at dir for this process. *out is NULL on failure, and
 * err (may be NULL) says why. Thread-safe; open one handle per archive per
 * process and share it: a second handle on the same archive in one process
 * is refused (CUSTOS_EBUSY), as LMDB allows one environment per file and
 * process. A WRITE open finishes work a crash left: disposal key shredding,
 * the index catching up (in the background). A read-only medium (a WORM
 * copy, a snapshot) opens for reading; operations on it are audited where
 * the log can be appended to and say so where it cannot
 * (custos_archive_audited).
 * @return CUSTOS_OK, CUSTOS_ENOTARCHIVE, CUSTOS_EVERSION (written by a newer
 *         custos; nothing is changed), CUSTOS_EBUSY, CUSTOS_EACCESS,
 *         CUSTOS_ECORRUPT (a part is missing), CUSTOS_EIO, CUSTOS_ENOMEM. */
int custos_archive_open(custos_archive_t **out, const char *dir, unsigned flags,
                        custos_err_t *err);

/* Closes the archive: new work is refused (CUSTOS_ESTOPPED), queued writes
 * are committed, the index service finishes its current batch, and the
 * writer lock is released. Every session must have been freed. NULL-safe. */
void custos_archive_close(custos_archive_t *a);

/* The archive's directory, as given to open; borrowed until close. */
const char *custos_archive_dir(const custos_archive_t *a);
/* True when opened for writing. */
bool custos_archive_writable(const custos_archive_t *a);
/* False when the audit log cannot be appended to (a read-only medium):
 * operations then run unaudited, and the faces must say so. */
bool custos_archive_audited(const custos_archive_t *a);
/* True when the store is read without LMDB's lock file: its directory is
 * read-only to this user (a read-only copy), so reads are not registered
 * with writers, and a process writing the archive meanwhile could change
 * what they read. The faces say so; verify again when no writer runs. */
bool custos_archive_lockless(const custos_archive_t *a);

/* ===========================================================================
 * Sessions.
 */

/* Opens a session on a for who (NULL: the operator with no actor).
 * Thread-safe. @return CUSTOS_OK; CUSTOS_EINVAL for a bad actor (err says
 * what); CUSTOS_ENOMEM; CUSTOS_ESTOPPED. */
int custos_session_open(custos_session_t **out, custos_archive_t *a, const custos_who_t *who,
                        custos_err_t *err);
/* Ends the snapshot and frees the session. NULL-safe. */
void custos_session_free(custos_session_t *s);
/* The detail of the session's last failure; borrowed from s, valid until
 * its next call. */
const custos_err_t *custos_session_err(const custos_session_t *s);
/* Lets the snapshot go: the next read sees the archive as it is then. */
void custos_session_refresh(custos_session_t *s);
/* The archive the session is on; borrowed. */
custos_archive_t *custos_session_archive(custos_session_t *s);
/* Sets what the session's long operations that take no progress function
 * of their own (the retention plan and apply) call as they go: fn (NULL:
 * nothing) with ctx, records done of total, from the session's thread.
 * A face draws its progress line with it. */
void custos_session_progress(custos_session_t *s, custos_progress_fn fn, void *ctx);

/* The session's role. */
custos_role_t custos_session_role(const custos_session_t *s);
/* The names of the operations the role table knows ("ingest", "read",
 * "search", "index", "verify", "audit-read", "policy-read", "policy-write",
 * "hold-read", "hold-write", "retention-plan", "retention-apply", "stats",
 * "matter-read", "matter-write", "export", "token-admin", "source-admin",
 * "source-read", "metrics", "compact"), in that order,
 * NULL-terminated; static storage. docs/api.md says which endpoints each
 * one opens. */
const char *const *custos_operations(void);
/* True when the session's role may do operation (a name of
 * custos_operations()); false for an unknown name. Not audited: a face
 * asks it to show what a user may do, and the operation itself still
 * checks. */
bool custos_session_may(const custos_session_t *s, const char *operation);

/* ===========================================================================
 * Capture.
 */
typedef struct {
	const char *format;        /* NULL or "auto", or one of custos_ingest_formats() */
	bool        skip_bad;      /* quarantine bad items and go on */
	bool        no_index;      /* answer once stored, without waiting for the index (which
	                            * catches up behind, unless the archive was opened with
	                            * CUSTOS_OPEN_NO_INDEX) */
	size_t      batch_records; /* records per write transaction at most; 0: 2,000 */
	/* called after each committed batch with the running totals */
	void      (*progress)(void *ctx, uint64_t records, uint64_t bytes_in);
	/* warnings that are not errors (file, message) */
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
	uint64_t indexed;                     /* record versions the index holds afterwards
	                                       * among those this ingest added */
	uint64_t first_seq, last_seq;
	uint8_t  chain[CUSTOS_SHA256_LEN];   /* record chain head after the last batch */
	uint8_t  digest[CUSTOS_SHA256_LEN];  /* SHA-256 over the batches' digests, in order */
	/* On failure: where the error was. Everything committed before it is
	 * counted above and stays in the archive. */
	char     failed_file[1024];
	int64_t  failed_line, failed_offset;
} custos_ingest_summary_t;

/* The NULL-terminated list of format names (static). */
const char *const *custos_ingest_formats(void);

/* Ingests every path (files, folders, .zip exports). Every path must exist
 * before anything is written. Records go to the writer in batches of at
 * most opts->batch_records as they are read; each batch is committed whole
 * or not at all. An error stops the ingest: batches read before it are
 * committed and counted in summary, the batch being read is dropped, and
 * the message names the file and line or byte. Returns once every batch is
 * durable and, unless no_index, indexed. Audited as "ingest-begin" before
 * and "ingest" after. summary may be NULL.
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND/CUSTOS_EACCESS (a path);
 *         CUSTOS_EFORMAT (a bad item without skip_bad; summary says where);
 *         CUSTOS_EINVAL (an unknown format: the message lists the formats);
 *         CUSTOS_ETOOBIG; CUSTOS_EINDEX (stored, not indexed: run
 *         custos_archive_index). */
int custos_archive_ingest(custos_session_t *s, const char *const *paths, size_t n_paths,
                          const custos_ingest_opts_t *opts, custos_ingest_summary_t *summary);

/* Whose collections the archive holds. */
typedef struct {
	char    *name;       /* the custodian; NULL for records captured without one */
	uint64_t records;    /* records whose latest version was captured for it */
} custos_custodian_count_t;

/* Every custodian the archive's records were captured for (ingest
 * --custodian), sorted by name, those without one last, with how many
 * records each has, in the session's snapshot. It reads every stored record
 * version: the cost follows the size of the store (the index answers one
 * custodian cheaply: custodian:NAME). Not audited (counts only). Free *out
 * with custos_custodians_free. */
int  custos_archive_custodians(custos_session_t *s, custos_custodian_count_t **out, size_t *n);
void custos_custodians_free(custos_custodian_count_t *v, size_t n);   /* NULL-safe */

/* What became of one line of submitted records. */
typedef enum {
	CUSTOS_LINE_ADDED = 1,     /* a new record */
	CUSTOS_LINE_VERSION,       /* a new version of a known record */
	CUSTOS_LINE_UNCHANGED,     /* stored before: nothing added */
	CUSTOS_LINE_QUARANTINED    /* not a valid record: kept in quarantine (why says why) */
} custos_line_outcome_t;

typedef struct {
	custos_line_outcome_t outcome;
	char    *id;               /* the record's id, or NULL when quarantined */
	uint64_t seq;              /* its version's sequence number; for QUARANTINED, the
	                            * quarantine number (the earlier one when re-sent) */
	uint32_t version;
	char    *why;              /* for QUARANTINED */
} custos_line_result_t;

typedef struct {
	custos_line_result_t *v;   /* one per non-empty line, in order */
	size_t   n;
	uint64_t added, versions, unchanged, quarantined;
	uint64_t first_seq, last_seq;
	custos_arena_t arena;
} custos_submit_result_t;
void custos_submit_result_free(custos_submit_result_t *r);   /* NULL-safe */

/* Takes records pushed by a connector: text holds one canonical record
 * (docs/record-format.md) per line. Every line is parsed before anything is
 * written: a line that is not JSON refuses the whole text (CUSTOS_EFORMAT,
 * the message names the line, nothing is committed). A line that is JSON
 * but not a valid record is quarantined with its bytes. The rest goes to
 * the writer as one unit, committed together with whatever other sessions
 * submit meanwhile, and the call returns once that commit is durable: then
 * *out says, line by line, what happened. Re-sending the same text adds
 * nothing. source names the connector (recorded in each record's source).
 * The index catches up behind (the search result's watermark tells how far).
 * Audited ("submit").
 * @return CUSTOS_OK, CUSTOS_EFORMAT, CUSTOS_ETOOBIG (over 64 MiB or a line
 *         over 50 MB). */
int custos_archive_submit(custos_session_t *s, const char *text, size_t len,
                          const char *source, custos_submit_result_t **out);

/* ===========================================================================
 * Search.
 */
/* custos_sort_t, custos_facet_field_t and CUSTOS_FACET_BIT: custos_types.h. */

/* Parses "platform,account,year" into facet bits ("tag": a matter's review
 * tags, see custos_search_opts_t). CUSTOS_EINVAL (err names the unknown
 * field and lists the known ones). */
int custos_facets_parse(unsigned *out, const char *list, custos_err_t *err);
/* "platform", "account", ...; static storage. */
const char *custos_facet_name(int field);

typedef struct {
	size_t   limit;          /* hits wanted (default 20, at most 1,000,000) */
	size_t   offset;         /* hits skipped (at most 1,000,000) */
	custos_sort_t sort;
	unsigned facets;         /* CUSTOS_FACET_BIT()s */
	bool     count_only;     /* only the exact total: no hits, no facets */
	bool     snippets;       /* a snippet of each hit's text, matches marked */
	const char *lang;        /* stemming language ("de"); NULL: English, or the
	                          * language of the query's one lang: filter. An
	                          * unknown language is refused (CUSTOS_EINVAL lists them) */
	unsigned query_flags;    /* CUSTOS_QUERY_* (custos_types.h) */
	/* Review coding (docs/query-language.md, "Review tags"): with matter,
	 * tags[0..n_tags) narrow the search to the records the matter codes
	 * with every one of them now, and the facet CUSTOS_FACET_TAG counts the
	 * matching records per tag of the matter (every tag, 0 included). Both
	 * are exact over the whole match. Tags or the tag facet without a
	 * matter, or a tag the matter does not have, are refused (CUSTOS_EINVAL);
	 * an unknown matter too (CUSTOS_ENOTFOUND). */
	const char *matter;
	const char *const *tags;
	size_t   n_tags;
} custos_search_opts_t;
#define CUSTOS_SEARCH_OPTS_INIT \
	{ 20, 0, CUSTOS_SORT_RELEVANCE, 0, false, false, NULL, 0, NULL, NULL, 0 }

/* A record a search found: the fields of its best-ranked matching version,
 * and every version of it that matched (each version is found by its own
 * words; a record counts once). */
typedef struct {
	char    *id;
	uint64_t seq;            /* store sequence of the best-ranked matching version */
	uint32_t version;        /* its version number */
	size_t   n_matched;      /* versions that matched (>= 1) */
	uint32_t *matched_versions;  /* their version numbers, ascending */
	int64_t  created_at;     /* ms UTC */
	char    *platform;
	char    *account;
	char    *author;         /* author handle, as captured */
	char    *snippet;        /* NULL unless opts.snippets; matches between "[[" and "]]" */
	double   weight;         /* relevance; 0 for date order */
} custos_search_hit_t;

typedef struct {
	char    *value;          /* "x", "acme", "2019", "2019-03", ... */
	uint64_t count;
} custos_facet_value_t;

typedef struct {
	custos_facet_value_t *v; /* most frequent first, then by value */
	size_t n;
} custos_facet_t;

typedef struct {
	uint64_t total;          /* matching records, exact */
	uint64_t watermark;      /* the index watermark the search ran at */
	char    *notes;          /* how the query was read, for the user ("" when nothing to
	                          * say; e.g. 'and' searched as a word) */
	size_t   expansions;     /* words the query's wildcards and fuzzy words matched */
	uint64_t store_last_seq; /* the store's last seq in the session's snapshot:
	                          * store_last_seq - watermark record versions were
	                          * not searched yet (the index lags) */
	custos_search_hit_t *hits;
	size_t   n_hits;
	custos_facet_t facets[CUSTOS_FACET_COUNT];  /* the ones asked for */
	custos_arena_t arena;    /* owns every string above */
} custos_search_result_t;
void custos_search_result_free(custos_search_result_t *r);   /* NULL-safe */

/* Runs query (docs/query-language.md) in the session's snapshot. Audited
 * ("search": the query, the options, the total and the watermark).
 * @return CUSTOS_OK; CUSTOS_EFORMAT for a query that is not valid (the
 *         message starts "bad query:" and gives the position); CUSTOS_EINDEX
 *         (no index, or it is damaged: the message says to run
 *         `custos index --rebuild`); CUSTOS_EINVAL (options, tags);
 *         CUSTOS_ENOTFOUND (no such matter). */
int custos_archive_search(custos_session_t *s, const char *query,
                          const custos_search_opts_t *opts, custos_search_result_t **out);

/* Checks a query without running it and without an archive: CUSTOS_OK or
 * CUSTOS_EFORMAT with "bad query: ... at position N" in err. Thread-safe. */
int custos_query_check(const char *query, custos_err_t *err);

/* The e-discovery search-term report (custos_term_report_t, custos_types.h):
 * for each query its hits, unique hits, family (whole thread) hits and its
 * hits per account and platform, all at one index watermark (*watermark).
 * A query that cannot run is reported in its own entry while the others
 * still run (the report is then incomplete). source and source_sha256 name
 * the list (a file and its hash) in the audit entry ("report-terms"); either
 * may be NULL. Free *out with custos_term_report_free.
 * @return CUSTOS_OK (also when incomplete); CUSTOS_EINDEX. */
int  custos_archive_report_terms(custos_session_t *s, const char *const *queries, size_t n,
                                 unsigned query_flags, const char *source,
                                 const char *source_sha256, custos_term_report_t **out,
                                 uint64_t *watermark);
void custos_term_report_free(custos_term_report_t *r);   /* NULL-safe */

/* ===========================================================================
 * Activity: what the archived accounts did, for governance.
 */

/* One platform, account and month (UTC, by the records' created_at).
 * A record is the account's own when its author is the captured account
 * (handle or id, without '@', case aside). */
typedef struct {
	char    *platform, *account;
	char     month[8];          /* "2023-04" */
	uint64_t records;           /* records created that month (the last version captured
	                             * of each) */
	uint64_t posts;             /* the account's own records that reply to nothing */
	uint64_t replies;           /* the account's own replies (in_reply_to, or kind reply
	                             * or comment) */
	uint64_t received;          /* records others wrote: customers' posts, replies,
	                             * messages */
	uint64_t answered;          /* the account's replies to a dated archived record of
	                             * someone else: those whose reply latency is known */
	double   latency_median;    /* seconds from that record to the reply, over answered;
	                             * 0 when answered is 0 */
	double   latency_mean;
} custos_activity_t;

typedef struct {
	custos_activity_t *v;       /* by platform, account, month */
	size_t   n;
	uint64_t records;           /* records read */
	uint64_t undated;           /* of them, undated: in no month */
	uint64_t store_last_seq;    /* the snapshot the report was made in */
	custos_arena_t arena;       /* owns every string above */
} custos_activity_report_t;
void custos_activity_report_free(custos_activity_report_t *r);   /* NULL-safe */

/* Counts the archive's records per platform, account and month in the
 * session's snapshot, with the reply latency of each account to others'
 * records. It reads every stored record version: the cost follows the size
 * of the store (some 150 bytes of memory a record). Role: read (legal,
 * compliance, auditor). Audited ("activity": the counts). Free *out with
 * custos_activity_report_free.
 * @return CUSTOS_OK, CUSTOS_ECORRUPT (a stored record fails its hashes). */
int custos_archive_activity(custos_session_t *s, custos_activity_report_t **out);

/* ===========================================================================
 * Records.
 */

/* One record as the archive has it: a version's record, or, when that
 * version was disposed of, its tombstone. */
typedef struct {
	const char *id;           /* the record's id (in the list's arena) */
	custos_record_t rec;      /* valid unless disposed; raw holds the original bytes */
	bool     disposed;
	char    *tombstone;       /* JSON text of the tombstone when disposed (in arena) */
	uint64_t seq;
	uint32_t version, n_versions;
	bool     current;         /* the latest version */
} custos_item_t;

typedef struct {
	custos_item_t *v;
	size_t n;
	custos_arena_t arena;
} custos_items_t;
void custos_items_free(custos_items_t *l);   /* NULL-safe; zeroes it */

enum {
	CUSTOS_SHOW_ONE      = 0,   /* the version asked (0: the latest) */
	CUSTOS_SHOW_VERSIONS = 1,   /* every version, oldest first */
	CUSTOS_SHOW_THREAD   = 2    /* the conversation around the record, the latest version
	                             * of each member, oldest first */
};

/* Reads record id in the session's snapshot: what as above; version for
 * SHOW_ONE (0: the current version: the one the platform says is latest,
 * by edit time, not simply the last captured). id may also be an edit's own
 * platform id (an X edit is stored as a version of its first post): it
 * resolves to its record. Audited ("show": the id and what). out must be
 * zeroed or freed; it is filled on success.
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND (no record id, or no such version:
 *         the message says how many there are); CUSTOS_ECORRUPT (the stored
 *         record fails its hashes: the message names id, version and seq);
 *         CUSTOS_EINDEX (SHOW_THREAD without a readable index). */
int custos_archive_show(custos_session_t *s, const char *id, uint32_t version, int what,
                        custos_items_t *out);

/* Reads media blob hex (its SHA-256) checked against its hash; *p is
 * malloc'd and the caller frees it. Audited ("media").
 * @return CUSTOS_OK, CUSTOS_ENOTFOUND, CUSTOS_ECORRUPT. */
int custos_archive_media(custos_session_t *s, const char *hex, void **p, size_t *n);

/* Quarantine, in number order. fn gets each entry (borrowed for the call)
 * and returns 0 to go on; anything else stops and is returned. Audited. */
typedef int (*custos_quarantined_fn)(void *ctx, const custos_quarantine_entry_t *e);
int custos_archive_quarantine_list(custos_session_t *s, custos_quarantined_fn fn, void *ctx);
/* Entry n with its raw bytes, checked against their hash (*raw malloc'd,
 * the caller frees it). Audited. CUSTOS_ENOTFOUND, CUSTOS_ECORRUPT. */
int custos_archive_quarantine_get(custos_session_t *s, uint64_t n, custos_quarantine_entry_t *e,
                                  void **raw, size_t *raw_len);

typedef struct {
	custos_store_stats_t store;
	bool     index_present;
	uint64_t index_watermark;
	uint64_t index_lag;       /* record versions stored after the watermark */
	char     index_error[256];/* why the index could not be read, "" when it could */
} custos_stats_t;
/* What the archive holds, in the session's snapshot. free with
 * custos_stats_free. Not audited (counts only). */
int  custos_archive_stats(custos_session_t *s, custos_stats_t *out);
void custos_stats_free(custos_stats_t *st);   /* NULL-safe */

/* ===========================================================================
 * Compaction.
 */
typedef struct {
	uint64_t bytes_before, bytes_after;   /* the store's data file */
	uint64_t entries;                     /* key/value pairs copied */
	uint64_t keys_punched;                /* key-file bytes given back: whole
	                                       * 4 KB blocks of shredded key slots */
} custos_compact_t;

/* Rewrites the store's databases in key order into a new file, with full
 * pages and none free, and swaps it in for the old one (docs/storage.md,
 * "Compaction"): the space a disposition's tombstones and rewritten pages
 * left comes back. The operator's alone; needs the archive open for writing
 * (the writer lock keeps every other writer out) and waits for a disposition
 * run of this process to end. Audited ("compact-begin", then "compact" with
 * the sizes). Afterwards the handle reads the old file and writes nothing
 * more (CUSTOS_ESTOPPED): close it and open the archive again. A crash at
 * any point leaves an archive that opens and verifies, with the old file or
 * the new one. out may be NULL.
 * @return CUSTOS_OK, CUSTOS_EDENIED, CUSTOS_EINVAL (opened read-only),
 *         CUSTOS_ESTOPPED (compacted already), CUSTOS_EIO (a write, sync or
 *         rename failed, the disk full: the store is as it was), CUSTOS_ENOMEM. */
int custos_archive_compact(custos_session_t *s, custos_compact_t *out);

/* ===========================================================================
 * The search index.
 */
typedef struct {
	uint64_t indexed;          /* record versions indexed by this call */
	uint64_t watermark;        /* the index holds the store up to this seq */
	uint64_t store_last_seq;
	uint64_t held;             /* entries legal holds gained */
} custos_index_summary_t;

/* Catches the index up with the store (the index service does it on its
 * own; this waits for it), or, with rebuild, builds a new index from the
 * store alone and puts it in place of the old one (searches use the old one
 * meanwhile). Needs the archive open for writing. progress may be NULL.
 * Audited ("index" or "index-rebuild"). CUSTOS_EINDEX. */
int custos_archive_index(custos_session_t *s, bool rebuild, custos_progress_fn progress,
                         void *ctx, custos_index_summary_t *out);

/* ===========================================================================
 * Verification and the audit trail.
 */
typedef struct {
	custos_verify_summary_t store;
	uint64_t audit_entries;
	uint8_t  audit_head[CUSTOS_SHA256_LEN];
	uint64_t audit_anchored;   /* audit entries the store's chain anchors */
	bool     index_present;
	uint64_t index_docs;       /* documents checked against the store */
	uint64_t index_watermark;
	uint64_t index_lag;        /* record versions committed after the watermark */
	uint64_t index_disposed;   /* documents of disposed records a crashed disposition
	                            * run left behind: rerunning it removes them */
	bool     index_unchecked;  /* the shards' tables could not be read through
	                            * Xapian's checker (it needs them writable): a
	                            * read-only archive; the documents were checked */
	uint64_t runs;             /* disposition runs checked against their tombstones */
	uint64_t problems;         /* how many problems were found (0: verified) */
	char   **problem;          /* each problem, one sentence naming what is damaged */
	size_t   n_problem;        /* the first 1,000 are kept */
	custos_arena_t arena;
} custos_verify_t;
void custos_verify_free(custos_verify_t *v);   /* NULL-safe; zeroes it */

/* Verifies the store (every record, blob, dictionary, tombstone and the
 * record chain), the audit chain against the store's anchors, the policy
 * repository against the anchored policy heads, each disposition run's
 * audit entry against its tombstones (their digest), and the index against
 * the store. progress may be NULL. Audited ("verify", with the verdict).
 * @return CUSTOS_OK when nothing is wrong; CUSTOS_ECORRUPT when out lists
 *         problems (the session's error gives the first). */
int custos_archive_verify(custos_session_t *s, custos_progress_fn progress, void *ctx,
                          custos_verify_t *out);

/* The NULL-terminated list of the actions audit entries name ("ingest",
 * "hold-create", ...; docs/audit.md says what each records). Static. */
const char *const *custos_audit_actions(void);

typedef struct {
	int64_t     since, until;   /* ms; CUSTOS_TIME_NONE: unbounded */
	const char *action;         /* an action name, or a prefix and '*' ("hold-*"), or NULL */
	const char *actor;          /* entries whose actor or user is this, or NULL */
} custos_audit_filter_t;
#define CUSTOS_AUDIT_FILTER_INIT { CUSTOS_TIME_NONE, CUSTOS_TIME_NONE, NULL, NULL }

/* Calls fn with each audit entry that passes filter (NULL: all), oldest
 * first: its stored JSON line (borrowed for the call, no newline). fn
 * returns 0 to go on. Reading the trail is itself audited ("audit-read",
 * with the filter). @return CUSTOS_OK, or what fn returned; CUSTOS_EINVAL
 * when until is before since, or action is not an action name (the message
 * lists them) nor a prefix of one followed by '*'. */
typedef int (*custos_audit_line_fn)(void *ctx, const char *line, size_t n);
int custos_archive_audit_read(custos_session_t *s, const custos_audit_filter_t *filter,
                              custos_audit_line_fn fn, void *ctx);

/* ===========================================================================
 * The retention schedule and policy documents (docs/retention.md).
 */
typedef struct {
	char  commit[CUSTOS_COMMIT_HEX];
	bool  changed;              /* false: the text was the schedule already */
	char *warnings;             /* rules that can never decide a record and the rule
	                             * that shadows each, one a line ("retention.yaml:LINE:
	                             * rule ..."), or NULL; malloc'd, the caller frees it */
} custos_policy_result_t;

/* Commits text (retention.yaml) as the schedule. message may be NULL.
 * Audited ("policy-set"). @return CUSTOS_OK; CUSTOS_EFORMAT (the message
 * lists the problems, one a line, "retention.yaml:LINE:COL: ..."; nothing
 * is committed); CUSTOS_ETOOBIG; CUSTOS_EPOLICY. */
int custos_archive_policy_set(custos_session_t *s, const char *text, size_t n,
                              const char *message, custos_policy_result_t *out);
/* The same with the text of the file at path: only a regular file, not
 * through a symbolic link, at most 1 MiB (CUSTOS_EINVAL, CUSTOS_ETOOBIG). */
int custos_archive_policy_set_file(custos_session_t *s, const char *path, const char *message,
                                   custos_policy_result_t *out);
/* The schedule in force at spec (NULL: now; a date or a commit). Audited.
 * CUSTOS_ENOTFOUND when none was. Free with custos_schedule_free. */
int custos_archive_policy_show(custos_session_t *s, const char *spec, custos_schedule_t **out);
/* The repository's history, newest first. Audited. */
int custos_archive_policy_log(custos_session_t *s, custos_policy_log_t *out);
/* A unified diff of the repository between a and b (dates or commits),
 * appended to out. Audited. CUSTOS_ENOTFOUND for a revision not found. */
int custos_archive_policy_diff(custos_session_t *s, const char *a, const char *b,
                               custos_buf_t *out);
/* Adds (or replaces) the policy document name (NULL: the file's name) with
 * the bytes of the regular file at path (a symbolic link, a device, a FIFO
 * or a file over 64 MiB is refused: CUSTOS_EINVAL / CUSTOS_ETOOBIG).
 * Audited ("policy-doc-add"). */
int custos_archive_policy_doc_add(custos_session_t *s, const char *path, const char *name,
                                  const char *message, char commit[CUSTOS_COMMIT_HEX]);
int custos_archive_policy_doc_list(custos_session_t *s, custos_policy_docs_t *out);
/* The bytes of document name as of spec (NULL: now), appended to out.
 * CUSTOS_ENOTFOUND. */
int custos_archive_policy_doc_show(custos_session_t *s, const char *name, const char *spec,
                                   custos_buf_t *out);

/* ===========================================================================
 * Legal holds.
 */

/* Releases an active hold; reason is required. Audited ("hold-release").
 * CUSTOS_ENOTFOUND, CUSTOS_EINVAL (no reason, or already released). */
int custos_archive_hold_release(custos_session_t *s, const char *name, const char *reason,
                                char commit[CUSTOS_COMMIT_HEX]);

/* A record a hold covers: by its membership, its current query, its list
 * of ids, or several. */
typedef struct {
	char    *id;
	int64_t  created_at;        /* CUSTOS_TIME_NONE when it is no longer indexed */
	bool     member;            /* recorded in the membership file */
	bool     matches;           /* the hold's query matches it now, or it is in the
	                             * conversation of a record that does (with_thread) */
	bool     listed;            /* the hold lists its id */
	bool     captured;          /* the archive holds it (false: a listed id not captured
	                             * yet, or disposed of after the hold was released) */
} custos_hold_record_t;

typedef struct {
	custos_holds_t holds;       /* the holds */
	uint64_t *covers;           /* per hold: distinct records covered now */
	custos_hold_record_t *v;    /* custos_archive_hold_show only: the hold's records, by id */
	size_t n;
	custos_arena_t arena;
} custos_hold_report_t;
void custos_hold_report_free(custos_hold_report_t *r);   /* NULL-safe; zeroes it */

/* What a legal hold covers: every record any of its parts names, now and
 * as records arrive (docs/retention.md). Accounts and custodians become
 * the hold's query ("account:NAME OR custodian:NAME", joined to query by
 * OR): one mechanism, shown as the query. */
typedef struct {
	const char *query;             /* records the query matches; NULL: none */
	const char *const *accounts;   /* records of these accounts (account:NAME) */
	size_t      n_accounts;
	const char *const *custodians; /* records collected for these custodians (custodian:) */
	size_t      n_custodians;
	const char *const *ids;        /* these record ids, captured yet or not (a record
	                                * captured later under a listed id is held) */
	size_t      n_ids;             /* at most 1,000,000 */
	bool        with_thread;       /* also every record of the conversation of each record
	                                * the hold covers, now and as the conversation grows */
	const char *reason;            /* NULL: none */
} custos_hold_spec_t;
#define CUSTOS_HOLD_SPEC_INIT { NULL, NULL, 0, NULL, 0, NULL, 0, false, NULL }

/* What a hold's creation found, and the hold as custos_archive_hold_list
 * reports it (free with custos_hold_placed_free). */
typedef struct {
	custos_hold_report_t hold;
	char     commit[CUSTOS_COMMIT_HEX];
	uint64_t matched;           /* records the query (accounts, custodians) matches now */
	uint64_t listed_found;      /* listed ids in the archive now */
	uint64_t listed_missing;    /* listed ids not captured (yet): held when they are */
	uint64_t listed_disposed;   /* listed ids disposed of before the hold: nothing to hold */
	uint64_t thread;            /* records added from the conversations of those */
	uint64_t members;           /* records recorded as the hold's first members */
} custos_hold_placed_t;
void custos_hold_placed_free(custos_hold_placed_t *p);   /* NULL-safe; zeroes it */

/* Places hold name as spec says (at least one part besides with_thread and
 * reason): its first members are every record it covers now, the index
 * caught up first. A hold that covers nothing yet is allowed (the face
 * warns). out (may be NULL) says what was found. Needs the archive open for
 * writing. Audited ("hold-create").
 * @return CUSTOS_OK; CUSTOS_EEXISTS; CUSTOS_EFORMAT (the query: "bad query:
 *         ..."); CUSTOS_EINVAL (no part, a malformed id, an account or
 *         custodian holding a double quote, or custodians while the query
 *         language has no custodian: field); CUSTOS_ETOOBIG (ids). */
int custos_archive_hold_place(custos_session_t *s, const char *name,
                              const custos_hold_spec_t *spec, custos_hold_placed_t *out);
/* custos_archive_hold_place with a query and a reason: *matched (may be
 * NULL) gets how many records it covers now. */
int custos_archive_hold_create(custos_session_t *s, const char *name, const char *query,
                               const char *reason, uint64_t *matched,
                               char commit[CUSTOS_COMMIT_HEX]);
/* Every hold with how many records it covers now. Audited ("hold-list"). */
int custos_archive_hold_list(custos_session_t *s, custos_hold_report_t *out);
/* One hold with its records. CUSTOS_ENOTFOUND. Audited ("hold-show"). */
int custos_archive_hold_show(custos_session_t *s, const char *name, custos_hold_report_t *out);
/* The names of every hold, active and released, sorted; one a line in
 * *out (malloc'd, the caller frees it; "" when none). Not audited: names
 * only, for completion. */
int custos_archive_hold_names(custos_session_t *s, char **out);

/* A hold's scope: what it covers, counted by platform, by month of
 * creation and by custodian. */
typedef struct {
	char    *key;               /* "slack", "2024-03", "Jane Doe"; "(none)" for records
	                             * without a custodian */
	uint64_t records;
} custos_scope_count_t;
typedef struct {
	custos_holds_t holds;       /* the hold (n == 1) */
	uint64_t records;           /* records covered and in the archive */
	uint64_t not_captured;      /* listed ids not in the archive */
	custos_scope_count_t *platforms, *months, *custodians;   /* by key */
	size_t n_platforms, n_months, n_custodians;
	custos_arena_t arena;
} custos_hold_scope_t;
void custos_hold_scope_free(custos_hold_scope_t *sc);   /* NULL-safe; zeroes it */
/* Counts what hold name covers (as custos_archive_hold_show lists it),
 * reading each record's latest version. CUSTOS_ENOTFOUND. Audited
 * ("hold-scope"). */
int custos_archive_hold_scope(custos_session_t *s, const char *name, custos_hold_scope_t *out);

/* ===========================================================================
 * Disposition.
 */
typedef struct {
	const char *id;
	uint64_t    seq;            /* latest version indexed */
	int64_t     created_at;
	int64_t     expiry;         /* when its retention ended */
	size_t      rule;           /* index into schedule->rules of the deciding rule */
} custos_plan_entry_t;

typedef struct {
	const char *name;
	char        retain[16];
	uint64_t    matched;        /* records the rule's match selects */
	uint64_t    deciding;       /* records whose retention this rule decides */
	uint64_t    eligible;       /* past retention, under no hold: in the plan */
	uint64_t    held;           /* past retention but kept by a hold */
} custos_plan_rule_t;

typedef struct {
	int64_t   as_of;
	char      commit[CUSTOS_COMMIT_HEX];  /* the commit that last changed retention.yaml */
	int64_t   commit_time;
	custos_schedule_t *schedule;
	custos_plan_entry_t *v;     /* sorted by id */
	size_t    n;
	custos_plan_rule_t *rules;  /* one per schedule rule, in file order */
	size_t    n_rules;
	uint64_t  records;          /* records indexed */
	uint64_t  undated;          /* of them, undated: retained from their capture time */
	uint64_t  held;             /* past retention but held */
	uint64_t  index_watermark, store_last_seq;
	custos_arena_t arena;
} custos_retention_plan_t;
void custos_retention_plan_free(custos_retention_plan_t *p);   /* NULL-safe */

/* Which records are past retention as of as_of (ms) and under no active
 * hold, with the deciding rule and the policy commit. Audited
 * ("retention-plan"). CUSTOS_ENOTFOUND when no schedule was in force then. */
int custos_archive_retention_plan(custos_session_t *s, int64_t as_of,
                                  custos_retention_plan_t **out);

typedef struct {
	uint64_t records, versions, blobs, dictionaries, recompressed;
	uint64_t trained;           /* new dictionaries trained on live records */
	uint64_t index_deleted;
	unsigned index_parts_dropped;   /* index partitions dropped whole, none of their */
	uint64_t index_dropped;         /* documents (these) deleted one by one */
	unsigned index_parts_rebuilt;   /* index partitions mostly disposed of, rebuilt
	                                 * from the documents that stay */
	double   plan_seconds, dispose_seconds, index_seconds;
	uint64_t run;               /* the run's number (its certificate's), 0 when it never began */
	char     digest[CUSTOS_SHA256_HEX];   /* of its tombstones, as its audit entry holds it */
} custos_retention_apply_t;

/* Disposes of exactly what the plan as of as_of lists now (out_plan, may be
 * NULL, receives it), through the writer. Needs the archive open for
 * writing. Audited ("retention-apply").
 * @return CUSTOS_OK; CUSTOS_ELAG (the index lags the store); CUSTOS_EINVAL
 *         (as_of in the future); CUSTOS_ENOTFOUND (no schedule). */
int custos_archive_retention_apply(custos_session_t *s, int64_t as_of,
                                   custos_retention_plan_t **out_plan,
                                   custos_retention_apply_t *out);

/* ===========================================================================
 * The record of disposition: every run and tombstone, and the certificate
 * of disposal of a run (docs/retention.md).
 */

/* One disposition run (a retention apply that went past its plan). */
typedef struct {
	uint64_t run;               /* its number: that of its "retention-apply-begin" audit entry */
	int64_t  started_at;        /* ms */
	int64_t  as_of;
	char     commit[CUSTOS_COMMIT_HEX];   /* the policy commit it disposed under */
	char    *actor;             /* the actor, or the operating-system user */
	uint64_t eligible;          /* records its plan listed */
	uint64_t records, versions; /* what its tombstones say it disposed of */
	const char *status;         /* "ok", "failed" (its "retention-apply" entry says why),
	                             * or "interrupted" (no such entry: the process died) */
	uint64_t audit_n;           /* its "retention-apply" entry's number, 0 when interrupted */
	char     audit_sha256[CUSTOS_SHA256_HEX];  /* that entry's line's SHA-256, or "" */
	char     digest[CUSTOS_SHA256_HEX];        /* over its tombstones, as certificates hold it */
} custos_run_t;

/* One tombstone. */
typedef struct {
	char    *id;
	uint32_t version;
	uint64_t seq;
	char    *platform, *account;      /* account NULL when the record had none */
	int64_t  created_at, disposed_at;
	char    *rule;
	char    *commit;                  /* the policy commit */
	char    *actor;
	uint64_t run;                     /* 0: disposed of before runs were numbered */
	char    *content_sha256;
	char    *json;                    /* the tombstone as the store keeps it */
} custos_tombstone_t;

typedef struct {
	custos_run_t *runs;         /* oldest first */
	size_t n_runs;
	custos_tombstone_t *v;      /* in sequence order */
	size_t n;
	custos_arena_t arena;       /* owns every string above */
} custos_retention_log_t;
void custos_retention_log_free(custos_retention_log_t *l);   /* NULL-safe; zeroes it */

/* Every disposition run (from the audit trail) and every tombstone (from
 * the store). Audited ("retention-log"). */
int custos_archive_retention_log(custos_session_t *s, custos_retention_log_t *out);

/* The certificate of disposal of run: a JSON object (its run, as-of, policy
 * commit, actor, every version it disposed of with its content hash, their
 * digest, and the number and SHA-256 of the run's "retention-apply" audit
 * entry, which holds the same digest), malloc'd in *out, ending with a
 * newline. CUSTOS_ENOTFOUND (no such run); CUSTOS_EINVAL (the run was
 * interrupted: no audit entry closes it). Audited ("retention-certificate"). */
int custos_archive_retention_certificate(custos_session_t *s, uint64_t run, char **out);

typedef struct {
	uint64_t run, records, versions;
} custos_certificate_check_t;
/* Checks the certificate in the file at path against the archive: its
 * digest over what it lists, exactly those tombstones for its run, and its
 * audit entry (hash, run and digest). out may be NULL. Audited
 * ("certificate-check", with the verdict).
 * @return CUSTOS_OK; CUSTOS_EFORMAT (not a certificate); CUSTOS_ECORRUPT
 *         (the message names the first difference). */
int custos_archive_certificate_check(custos_session_t *s, const char *path,
                                     custos_certificate_check_t *out);

/* ===========================================================================
 * Rendering for the faces (lib/render.c): the JSON texts the command line
 * prints and the HTTP service answers, written once so the two agree byte
 * for byte.
 */

/* Appends the JSON object of a search (what `custos search --json` prints,
 * without the final newline): query, total, watermark, hits and the facets
 * asked for (facets: CUSTOS_FACET_BIT()s, 0 for none). Snippets in r are
 * made one line (r is changed). @return CUSTOS_OK or CUSTOS_ENOMEM. */
int custos_search_result_json(custos_search_result_t *r, const char *query, unsigned facets,
                              custos_buf_t *out);
/* Appends the JSON object of one item (what `custos show --json` prints for
 * it, without the final newline): the record in the canonical form plus
 * "versions" and its raw bytes ("raw" when they are UTF-8 text, else
 * "raw_hex"), or, for a disposed version, {"id","disposed","tombstone"}.
 * id names the record when the item is a tombstone without one. */
int custos_item_json(const custos_item_t *it, const char *id, custos_buf_t *out);

/* ===========================================================================
 * The service (lib/service.c): what a long-running server adds beside an
 * archive opened for writing. One custos_service_t per archive per process,
 * shared by every thread; it owns
 *   - the token table's cache (tokens are checked at every request, and a
 *     token revoked by another process fails at its next request);
 *   - the job runner: one thread that runs imports, verifications,
 *     retention runs and productions one after another, each in a session
 *     of the one who asked, persisted under <archive>/service/jobs so a
 *     restart resumes them (or marks them failed with the reason);
 *   - the poller: one thread that runs the polling connectors configured in
 *     the archive (custos_archive_source_add) on their schedules, and the
 *     capture-completeness monitor that watches them.
 * Everything it keeps lives in <archive>/service/ (0700; files 0600,
 * replaced by rename, never rewritten in place).
 *
 * Thread-safety: every function taking a custos_service_t is thread-safe.
 */
typedef struct custos_service custos_service_t;

typedef struct {
	bool        no_poll;          /* do not run the polling connectors */
	bool        no_jobs;          /* do not run jobs (they stay queued) */
	unsigned    poll_tick_ms;     /* how often the poller looks for due sources (0: 1000) */
} custos_service_opts_t;
#define CUSTOS_SERVICE_OPTS_INIT { false, false, 0 }

/* Starts the service on a, which must be open for writing (CUSTOS_EINVAL
 * otherwise) and outlive it. Unfinished jobs of an earlier run are resumed
 * when they can be (imports and verifications start again from the start:
 * re-importing adds nothing) or marked failed with the reason (a
 * production's partial output is removed); each is audited ("job-resume",
 * "job-fail"). opts may be NULL.
 * @return CUSTOS_OK, CUSTOS_EIO, CUSTOS_ENOMEM, CUSTOS_ECORRUPT (a job or
 *         source file that is not what custos wrote). */
int  custos_service_start(custos_service_t **out, custos_archive_t *a,
                          const custos_service_opts_t *opts, custos_err_t *err);
/* Stops the service: the poller ends its current fetch, the running job is
 * asked to stop after its current step (an import's committed batches
 * stay; the job is marked interrupted and resumed at the next start), and
 * both threads are joined. Call before custos_archive_close. NULL-safe. */
void custos_service_stop(custos_service_t *svc);

/* Checks the bearer token of a request: on success who gets the token's
 * role and name (who->token points into name, which must hold
 * CUSTOS_TOKEN_NAME_MAX + 1 bytes) and who->client = client (borrowed).
 * The token table is re-read when its file changed, so a revocation by
 * another process counts at the next request. A refusal is audited
 * ("auth-refused", with the client) and err says why without echoing the
 * token. @return CUSTOS_OK; CUSTOS_EACCESS (no, unknown or revoked
 * token); CUSTOS_EIO. */
int  custos_service_authenticate(custos_service_t *svc, const char *bearer, const char *client,
                                 custos_who_t *who, char *name, custos_err_t *err);

/* Checks, without auditing, that the session may submit records
 * (CUSTOS_EDENIED otherwise, the message saying so), so a face can refuse
 * a request before reading its body. */
int  custos_service_may_submit(custos_session_t *s);

/* Ends a service request: when none of the session's operations wrote an
 * audit entry (reads that are not audited, a refused role, a malformed
 * request the library never saw), appends one ("request": method, path,
 * HTTP status), so every request of a token is in the chain. */
int  custos_service_request_done(custos_session_t *s, const char *method, const char *path,
                                 int http_status);

/* ===========================================================================
 * Tokens (lib/tokens.c). A token lets an HTTP client act in one role. Its
 * text ("cus_" and 43 base64url characters, 256 random bits) is returned
 * once, at creation; the archive keeps only its BLAKE2b-256 hash (libsodium)
 * with its name, role and times in <archive>/service/tokens. Creating and
 * revoking need no writer lock: they work while a server runs.
 */
#define CUSTOS_TOKEN_NAME_MAX 64     /* letters, digits, '.', '_' and '-' */
#define CUSTOS_TOKEN_TEXT 48         /* a token's text with its NUL */

typedef struct {
	char         *name;
	custos_role_t role;
	int64_t       created_at;
	int64_t       last_used_at;   /* CUSTOS_TIME_NONE: not kept yet (see docs/api.md) */
	int64_t       revoked_at;     /* CUSTOS_TIME_NONE while valid */
	char         *created_by;     /* the actor or token that created it, or NULL */
} custos_token_info_t;

typedef struct {
	custos_token_info_t *v;       /* by name */
	size_t n;
	custos_arena_t arena;
} custos_tokens_t;
void custos_tokens_free(custos_tokens_t *l);   /* NULL-safe; zeroes it */

/* Creates token name in role (not the operator) and writes its text to
 * token. Audited ("token-create": name and role, never the text).
 * @return CUSTOS_OK; CUSTOS_EEXISTS (the name is taken, revoked ones
 *         included); CUSTOS_EINVAL (a bad name or role). */
int custos_archive_token_create(custos_session_t *s, const char *name, custos_role_t role,
                                char token[CUSTOS_TOKEN_TEXT]);
/* Every token, revoked ones included. Audited ("token-list"). */
int custos_archive_token_list(custos_session_t *s, custos_tokens_t *out);
/* Revokes token name for good. Audited ("token-revoke").
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND; CUSTOS_EINVAL (already revoked). */
int custos_archive_token_revoke(custos_session_t *s, const char *name);

/* ===========================================================================
 * Jobs (lib/jobs.c): work that outlasts a request, run by the service one
 * at a time in a session of the one who asked (role, token, client), so
 * its audit entries name them. A job's id is returned at once; its state
 * is read with custos_job_get. States: queued, running, done, failed.
 */
#define CUSTOS_JOB_ID 32

typedef enum {
	CUSTOS_JOB_QUEUED = 1, CUSTOS_JOB_RUNNING, CUSTOS_JOB_DONE, CUSTOS_JOB_FAILED
} custos_job_state_t;
/* "queued", "running", "done", "failed"; static storage. */
const char *custos_job_state_name(custos_job_state_t st);

typedef struct {
	char     id[CUSTOS_JOB_ID];
	char    *kind;          /* "import", "verify", "retention-apply", "production" */
	custos_job_state_t state;
	int64_t  created_at, started_at, finished_at;   /* CUSTOS_TIME_NONE: not yet */
	uint64_t done, total;   /* progress: records read, bytes read of total (import);
	                         * items checked (verify); records produced of those
	                         * selected (production); 0 when not known */
	char    *phase;         /* a production's phase ("select", "produce", "finish"), or
	                         * NULL */
	unsigned runs;          /* runs begun: 2 or more when resumed after a restart */
	char    *params;        /* JSON object text */
	char    *result;        /* JSON object text once done, or NULL */
	char    *error;         /* why it failed, or NULL */
	char    *note;          /* what happened to it besides: resumed after a restart,
	                         * interrupted by a stop; or NULL */
	char    *role, *token;  /* who asked */
	custos_arena_t arena;
} custos_job_t;
void custos_job_free(custos_job_t *j);   /* NULL-safe */

/* Job id's state, for a session whose role may do that kind of job
 * (CUSTOS_EDENIED otherwise; a production only for its owner's role, see
 * custos_job_production). Not audited (the request is).
 * @return CUSTOS_OK, CUSTOS_ENOTFOUND. */
int custos_job_get(custos_service_t *svc, custos_session_t *s, const char *id,
                   custos_job_t **out);

/* An uploaded export, written to <archive>/service/uploads as it arrives,
 * then handed to custos_job_import. Opening checks the session may ingest,
 * so nothing is written for a session that may not. name is the client's
 * file name (only its last component is kept, for the importers' format
 * detection). Freed without being handed over, the file is deleted. */
typedef struct custos_upload custos_upload_t;
int  custos_upload_open(custos_upload_t **out, custos_service_t *svc, custos_session_t *s,
                        const char *name);
/* Appends n bytes. CUSTOS_ETOOBIG past max (0: no limit), CUSTOS_EIO, CUSTOS_ENOSPC. */
int  custos_upload_write(custos_upload_t *u, const void *p, size_t n, uint64_t max);
void custos_upload_free(custos_upload_t *u);   /* NULL-safe; deletes an unsubmitted file */

/* Makes the upload durable and queues its import (format NULL: detect;
 * skip_bad: quarantine bad items). The job owns the upload's file from now
 * on and deletes it when the job ends; u must still be freed. Audited
 * ("job-submit"). @return CUSTOS_OK; CUSTOS_EINVAL (an unknown format);
 * CUSTOS_EIO. */
int custos_job_import(custos_service_t *svc, custos_session_t *s, custos_upload_t *u,
                      const char *format, bool skip_bad, char id[CUSTOS_JOB_ID]);
/* Queues custos_archive_verify. Audited ("job-submit"). */
int custos_job_verify(custos_service_t *svc, custos_session_t *s, char id[CUSTOS_JOB_ID]);
/* Queues custos_archive_retention_apply as of as_of. A run cut short by a
 * restart is marked failed (the next run finishes its disposals:
 * docs/retention.md). Audited ("job-submit"). */
int custos_job_retention_apply(custos_service_t *svc, custos_session_t *s, int64_t as_of,
                               char id[CUSTOS_JOB_ID]);

/* ===========================================================================
 * Polling connectors (lib/sources.c, lib/poll.c): sources the service
 * fetches on a schedule without a person: RSS/Atom feeds (conditional GET
 * with ETag and Last-Modified) and a Mastodon account's statuses
 * (since_id, Link paging, rate-limit headers respected). Each fetch is
 * ingested like `custos ingest --skip-bad` (format feed or mastodon-api) in
 * a session whose actor is "source NAME", and the source's state (cursor,
 * last success, errors, gaps, alerts) is kept in <archive>/service/sources.
 *
 * The capture-completeness monitor reads that state: a source is "ok",
 * "failing" (its last fetch failed), "stopped" (no successful fetch for
 * three intervals, or never since it was added that long ago), or has
 * "gaps" (a span of the platform's ids or a time span it knows it has not
 * captured: a Mastodon page that could not be read, or a feed whose
 * oldest item is newer than the newest of the fetch before, so items fell
 * off it between polls). A cursor that goes backwards (the platform's
 * newest id lower than one already captured) is an alert. Each alert is an
 * audit entry ("source-alert"), written once when it begins.
 */
typedef enum { CUSTOS_SOURCE_FEED = 1, CUSTOS_SOURCE_MASTODON } custos_source_kind_t;

typedef struct {
	const char *name;          /* letters, digits, '.', '_' and '-', at most 64 */
	custos_source_kind_t kind;
	const char *url;           /* feed: its URL; mastodon: the server ("https://host") */
	const char *account;       /* mastodon: the account's numeric id */
	const char *access_token;  /* mastodon: a read token for private posts, or NULL; kept
	                            * in the archive's service/ directory (0600) */
	unsigned    interval;      /* seconds between polls (0: 300) */
	unsigned    timeout;       /* seconds a fetch may take (0: 30) */
	unsigned    page_limit;    /* mastodon: statuses a page (0: 40) */
} custos_source_def_t;
#define CUSTOS_SOURCE_DEF_INIT { NULL, 0, NULL, NULL, NULL, 0, 0, 0 }

typedef struct {
	char    *kind;              /* "gap", "cursor-backwards", "stopped", "failing" */
	char    *detail;            /* one sentence */
	int64_t  since;             /* when it began */
	char    *from, *to;         /* a gap's bounds: ids (mastodon) or times, or NULL */
} custos_source_alert_t;

typedef struct {
	char    *name, *kind, *url, *account;
	unsigned interval, timeout, page_limit;
	int64_t  added_at;
	/* the monitor */
	char    *status;            /* "ok", "pending" (not polled yet), "failing", "stopped",
	                             * "gaps" */
	int64_t  last_attempt, last_success;   /* CUSTOS_TIME_NONE: never */
	char    *last_error;        /* or NULL */
	char    *cursor;            /* mastodon: the newest id captured; feed: the ETag or
	                             * Last-Modified sent next, or NULL */
	uint64_t polls, failures, not_modified, records;   /* since the source was added */
	uint64_t consecutive_failures;
	custos_source_alert_t *alerts;   /* open alerts */
	size_t   n_alerts;
	uint64_t alerts_total;      /* alerts raised since the source was added */
} custos_source_info_t;

typedef struct {
	custos_source_info_t *v;    /* by name */
	size_t n;
	custos_arena_t arena;
} custos_sources_t;
void custos_sources_free(custos_sources_t *l);   /* NULL-safe; zeroes it */

/* Adds a source (the running service picks it up at its next tick).
 * Needs no writer lock. Audited ("source-add"; the access token is not
 * written in the entry). @return CUSTOS_OK; CUSTOS_EEXISTS; CUSTOS_EINVAL
 * (the message says which field). */
int custos_archive_source_add(custos_session_t *s, const custos_source_def_t *def);
/* Removes source name and its state. Audited ("source-remove").
 * CUSTOS_ENOTFOUND. */
int custos_archive_source_remove(custos_session_t *s, const char *name);
/* Every source with its monitor state as of now. Not audited when called
 * through the service's metrics; audited ("source-list") otherwise. */
int custos_archive_source_list(custos_session_t *s, custos_sources_t *out);

/* ===========================================================================
 * Metrics (lib/service.c): what /metrics shows of the archive and the
 * service. Role: auditor or admin (and the operator). Not audited (counts
 * only; the request is).
 */
typedef struct {
	custos_stats_t   stats;
	custos_sources_t sources;
	uint64_t jobs[CUSTOS_JOB_FAILED + 1];   /* jobs by state (index: custos_job_state_t) */
	uint64_t audit_entries;                 /* the audit chain's durable length */
} custos_metrics_t;
int  custos_service_metrics(custos_service_t *svc, custos_session_t *s, custos_metrics_t *out);
void custos_metrics_free(custos_metrics_t *m);   /* NULL-safe */

/* ===========================================================================
 * Following the audit trail (lib/service.c), for the stream to a SIEM.
 * Reads the entries after number `after` as they are appended (by this
 * process or any other), from a byte offset, so each call costs what it
 * returns. *pos is the caller's cursor: {0, 0} to start at the beginning,
 * or what the previous call left. fn gets each complete line (no newline,
 * borrowed for the call) and returns 0 to go on. Not audited: the stream
 * is configured by the operator who starts the service, and starting it
 * is audited ("siem-start"). Thread-safe.
 * @return CUSTOS_OK, CUSTOS_EIO, or what fn returned. */
typedef struct { uint64_t n; uint64_t offset; } custos_audit_pos_t;
int custos_audit_follow(custos_archive_t *a, custos_audit_pos_t *pos,
                        custos_audit_line_fn fn, void *ctx, custos_err_t *err);
/* The cursor of the stream named name (letters, digits, '-', '_'), kept in
 * <archive>/service/NAME.cursor so a restarted stream goes on where it
 * stopped: events are sent at least once. load gives {0, 0} when none was
 * saved. */
int custos_audit_cursor_load(custos_archive_t *a, const char *name, custos_audit_pos_t *pos,
                             custos_err_t *err);
int custos_audit_cursor_save(custos_archive_t *a, const char *name, const custos_audit_pos_t *pos,
                             custos_err_t *err);
/* The audit log's size in bytes now (what a cursor's offset is behind). */
uint64_t custos_audit_size(custos_archive_t *a);
/* Audits the start of an audit stream (where to, in which format). */
int custos_service_audit_note(custos_session_t *s, const char *action, const char *params_json);

/* ===========================================================================
 * Stopping long operations.
 */
/* Asks the operation running in s (an ingest, from another thread) to stop
 * at its next record: what it committed stays, and it returns
 * CUSTOS_ESTOPPED. Thread-safe (the one call on a session that may come
 * from another thread). */
void custos_session_cancel(custos_session_t *s);

/* ===========================================================================
 * Matters and review coding (docs/productions.md).
 *
 * A matter is a case or an investigation: its saved searches and the
 * review tags its reviewers give records. Coding is work product, never
 * part of a record: it lives beside the store, in its own LMDB environment
 * (<archive>/matters, docs/storage.md says why), and changing it changes no
 * record, no content hash and no record chain. Every change is audited
 * (who, when, which tag, which selection, how many records and a digest of
 * their ids). When a record is disposed of under the retention schedule,
 * its coding keeps only the fact that it was coded (how often, first and
 * last time, platform and custodian), not which tags or notes.
 *
 * Every matter has the tags responsive, non-responsive, privileged and
 * confidential, and those it defines at creation. Names of matters are
 * 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'; tags 1-40 of
 * [a-z0-9_-]. Writing needs the archive open for writing (the writer lock
 * keeps other processes out, as for holds).
 */

/* Creates matter name with its own tags (n_tags may be 0) and an optional
 * description. Audited ("matter-create").
 * @return CUSTOS_OK; CUSTOS_EEXISTS; CUSTOS_EINVAL (a bad name or tag, the
 *         message says which). */
int custos_archive_matter_create(custos_session_t *s, const char *name, const char *description,
                                 const char *const *tags, size_t n_tags);

/* Which records an operation takes: exactly one of the three. */
typedef struct {
	const char        *query;    /* every record the query matches in the session's snapshot */
	const char        *thread;   /* the conversation around this record id (show --thread) */
	const char *const *ids;      /* these record ids; each must be stored and not disposed */
	size_t             n_ids;
} custos_selection_t;
#define CUSTOS_SELECTION_INIT { NULL, NULL, NULL, 0 }

/* Gives (or, with remove, takes away) tag to every selected record in one
 * commit: all or nothing. note (may be NULL; at most 1,000 bytes, no control
 * characters but newlines) is kept with the tag: for privileged, the
 * privilege claimed ("Attorney-client"), which the privilege log shows.
 * *selected (may be NULL) gets the records selected, *changed those whose
 * coding changed. Audited ("matter-tag": matter, tag, add or remove, the
 * selection, the counts and the SHA-256 of the selected ids, sorted, one a
 * line).
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND (no such matter, or an id that is not
 *         stored: nothing is tagged); CUSTOS_EINVAL (a tag the matter does
 *         not have, a disposed record, not exactly one selection);
 *         CUSTOS_EFORMAT (query); CUSTOS_EINDEX. */
int custos_archive_matter_tag(custos_session_t *s, const char *matter, const char *tag,
                              bool remove, const char *note, const custos_selection_t *sel,
                              uint64_t *selected, uint64_t *changed);

/* Saves query under name in the matter (replacing a search of that name)
 * with its exact number of hits and the index watermark it ran at, in the
 * session's snapshot; *hits and *watermark (may be NULL) get them. Audited
 * ("matter-save-search"). CUSTOS_ENOTFOUND, CUSTOS_EFORMAT, CUSTOS_EINDEX. */
int custos_archive_matter_save_search(custos_session_t *s, const char *matter, const char *name,
                                      const char *query, uint64_t *hits, uint64_t *watermark);

typedef struct {
	char    *name, *query, *saved_by;   /* saved_by: the actor, or "" */
	uint64_t hits, watermark;
	int64_t  saved_at;
} custos_saved_search_t;

typedef struct {
	char    *name, *description, *created_by;   /* "" when none */
	int64_t  created_at;
	char   **tags;                   /* the matter's tags, the standard four first */
	size_t   n_tags;
	uint64_t *per_tag;               /* n_tags: records carrying each tag now */
	custos_facet_value_t *per_custodian, *per_platform;   /* coded records, most first */
	size_t   n_custodian, n_platform;
	uint64_t coded;                  /* records with at least one tag now */
	uint64_t disposed;               /* coded records disposed of since: the fact stays */
	custos_saved_search_t *searches; /* by name */
	size_t   n_searches;
	custos_arena_t arena;            /* owns everything above */
} custos_matter_t;
void custos_matter_free(custos_matter_t *m);   /* NULL-safe */

/* Matter name with its counts per tag, custodian and platform and its saved
 * searches. Audited ("matter-show"). CUSTOS_ENOTFOUND. */
int custos_archive_matter_show(custos_session_t *s, const char *name, custos_matter_t **out);
/* The names of every matter, sorted, as a NULL-terminated array (one
 * allocation: free it with free()). Audited ("matter-list"). */
int custos_archive_matter_list(custos_session_t *s, char ***out);

/* ===========================================================================
 * Productions (docs/productions.md).
 *
 * custos_archive_export writes the records of a query, a hold or a matter's
 * tag into a new directory in the forms review platforms load, from ONE
 * snapshot: the session's store snapshot and index watermark (pinned by its
 * first read, or by the export itself), so the records produced are the
 * records the search found. It streams the records: memory holds 24 bytes
 * per record (the date order of the control numbers) and one record at a
 * time, plus, for RSMF, the events of one 24-hour slice of each
 * conversation; reading the selection from the index takes about 140 bytes
 * a record at its peak (BENCHMARKS.md).
 *
 * Every record gets a control (Bates) number PREFIX000001..., in date order
 * (then id), without gaps; a record's captured attachments are numbered
 * right after it, as its family. A record the matter codes privileged is
 * withheld: it keeps its number, its load-file row says so, nothing of its
 * content is written, and the privilege log lists it. DIR/manifest.json
 * (every file with its size and SHA-256, every record with its content hash
 * and number, the selection, the watermark, the actor and the time) is
 * written last, after everything else is durable, and only on success; a
 * failed export leaves no manifest, so nothing can present it as whole.
 *
 * For a service: progress reports each phase and record, and cancel (or
 * custos_session_cancel) stops the export between two records
 * (CUSTOS_ECANCELED, no manifest). One
 * export per session at a time; exports of several sessions run at once.
 */
enum {
	CUSTOS_EXPORT_DAT   = 1 << 0,  /* Concordance DAT with NATIVES/, TEXT/ and MEDIA/ */
	CUSTOS_EXPORT_EDRM  = 1 << 1,  /* EDRM XML 1.2 over the same files */
	CUSTOS_EXPORT_RSMF  = 1 << 2,  /* RSMF 2.0, one .rsmf per conversation and day */
	CUSTOS_EXPORT_JSONL = 1 << 3,  /* records.jsonl: every field, the raw bytes */
	CUSTOS_EXPORT_CSV   = 1 << 4,  /* records.csv: every field but the raw bytes */
	CUSTOS_EXPORT_HTML  = 1 << 5   /* HTML/: a printable page per thread, with MEDIA/ */
};

/* Parses "dat,edrm" into CUSTOS_EXPORT_* bits. CUSTOS_EINVAL (err names
 * the unknown format and lists them). Thread-safe. */
int custos_export_formats_parse(unsigned *out, const char *list, custos_err_t *err);

typedef struct {
	const char *phase;       /* "select", "produce", "finish" */
	uint64_t    done;        /* records produced so far */
	uint64_t    total;       /* records selected */
} custos_export_progress_t;

typedef struct {
	/* what: exactly one of query, hold, or matter with tag */
	const char *query;
	const char *hold;         /* the hold's members and what its query matches now */
	const char *matter;       /* with tag: the records coded tag. With query or hold: the
	                           * matter whose tags fill the TAGS field and whose
	                           * privileged records are withheld */
	const char *tag;
	unsigned    formats;      /* CUSTOS_EXPORT_* (at least one) */
	bool        images;       /* IMAGES/: a PDF of each record, Bates stamped, and an
	                           * Opticon OPT file */
	bool        with_thread;  /* add every record of each selected record's thread */
	const char *prefix;       /* Bates prefix: 1-40 of [A-Za-z0-9_-]; NULL: "CUSTOS" */
	uint64_t    start;        /* first number (0: 1) */
	const char *fields;       /* DAT fields, comma-separated, in order; NULL: all */
	const char *endorsement;  /* stamped on every PDF page; NULL: "CONFIDENTIAL" on records
	                           * coded confidential, nothing on the others */
	void      (*progress)(void *ctx, const custos_export_progress_t *p);
	void       *ctx;
	const int  *cancel;       /* may be NULL; read atomically (__atomic_load_n) */
	bool        serial;       /* read every record and write every file from the calling
	                           * thread; false: reader threads read the records (on the
	                           * session's very snapshot, else on the calling thread: the
	                           * log says which) and a writer thread creates and writes the
	                           * files while the calling one numbers, hashes and lists what
	                           * they become. The production is the same byte for byte
	                           * either way (but for the manifest's and the log's times) */
} custos_export_opts_t;
#define CUSTOS_EXPORT_OPTS_INIT { NULL, NULL, NULL, NULL, 0, false, false, NULL, 0, NULL, \
                                  NULL, NULL, NULL, NULL, false }

typedef struct {
	uint64_t records;         /* records selected and produced (withheld included) */
	uint64_t documents;       /* control numbers given: records and attachments */
	uint64_t attachments, withheld, pages;
	uint64_t not_produced;    /* disposed of after the snapshot was taken: named in the
	                           * manifest's not_produced and the production log */
	uint64_t files, bytes;    /* files written and their bytes (the manifest's list) */
	char     first[64], last[64];   /* first and last control number ("" when none) */
	uint64_t watermark, store_last_seq;
	char     manifest_sha256[CUSTOS_SHA256_HEX];
} custos_export_summary_t;

/* Produces the selection into dir, which the export creates (its parent
 * must exist; an existing dir must be empty). Needs no write access to the
 * archive. Audited ("export": the selection, the counts, the numbers and
 * the manifest's SHA-256). summary may be NULL.
 * @return CUSTOS_OK; CUSTOS_EEXISTS (dir is not empty); CUSTOS_EACCESS (dir
 *         cannot be created or written); CUSTOS_ENOTFOUND (no hits: nothing
 *         to produce, and no directory is made; or no such hold or matter);
 *         CUSTOS_EINVAL (a bad prefix, field or format; not exactly one
 *         selection); CUSTOS_EFORMAT (query); CUSTOS_ENOSPC (the disk filled:
 *         dir holds what was written, without manifest); CUSTOS_ECANCELED;
 *         CUSTOS_ECORRUPT (a record fails its hashes); CUSTOS_EINDEX. */
int custos_archive_export(custos_session_t *s, const char *dir, const custos_export_opts_t *opts,
                          custos_export_summary_t *summary);

typedef struct {
	uint64_t files, bytes, records, documents, load_lines, rsmf_files, pages;
	uint64_t problems;        /* 0: the production is whole */
	char   **problem;         /* the first 100, one sentence each */
	size_t   n_problem;
	custos_arena_t arena;
} custos_production_check_t;
void custos_production_check_free(custos_production_check_t *c);   /* NULL-safe; zeroes */

/* Re-reads the production in dir without an archive: every file of the
 * manifest is there with its size and SHA-256 and no other file is;
 * control numbers run without gaps; every DAT, OPT and CSV line parses and
 * the paths it names are files of the manifest; every EDRM file is XML
 * naming the manifest's documents; every .rsmf is a MIME message whose
 * rsmf.zip holds a manifest with the schema's required fields. Thread-safe.
 * @return CUSTOS_OK (out->problems is 0); CUSTOS_ECORRUPT (out lists the
 *         problems, err gives the first); CUSTOS_ENOTFOUND (no manifest.json:
 *         not a finished production); CUSTOS_ENOMEM. */
int custos_production_verify(const char *dir, custos_production_check_t *out, custos_err_t *err);

typedef struct {
	uint64_t audit_entries, tombstones, files;
	char     audit_head[CUSTOS_SHA256_HEX];   /* hash of the last entry exported */
} custos_audit_export_t;

/* Writes the audit chain (audit.jsonl, audit.csv) and the disposition log
 * (tombstones.jsonl, tombstones.csv) into dir (created; an existing dir
 * must be empty), with README.txt saying how to re-verify the chain with
 * sha256sum and jq, and SHA256SUMS. Audited ("audit-export"). Errors as
 * custos_archive_export. */
int custos_archive_audit_export(custos_session_t *s, const char *dir, custos_audit_export_t *out);
/* The name of one CUSTOS_EXPORT_* bit ("dat", "edrm", ...), or NULL for
 * anything else, and when the export module (which knows the formats)
 * cannot be loaded: custos_archive_export then says why. Static storage;
 * thread-safe. */
const char *custos_export_format_name(unsigned bit);

/* ===========================================================================
 * Productions through the service (lib/jobs.c, lib/production.c;
 * docs/productions.md, "Through the service").
 *
 * A production asked of the service is a job ("production") run by the
 * job runner in a session of the one who asked, like custos_archive_export
 * into <archive>/service/productions/ID (0700, one directory per job). It
 * belongs to the role that asked: only sessions of that role (and the
 * operator) may see its state, cancel it, list, download or delete its
 * files, and that role must be one that may export (legal, auditor).
 *
 * A production that does not finish (it failed, was cancelled, or the
 * server stopped or died while it ran) has no manifest: its job is marked
 * failed with the reason and what it had written is removed at once. It is
 * never run again on its own: ask again. Files are served only from a
 * production whose job is done and whose manifest.json is there, and only
 * the paths its manifest lists. They stay until deleted
 * (custos_production_delete): nothing removes a finished production on its
 * own.
 */

/* Queues a production of opts (the selection, formats, images,
 * with_thread, prefix, start, fields and endorsement; its progress, ctx
 * and cancel must be NULL: the job has its own). The options are checked
 * now as custos_archive_export checks them (one selection, known formats,
 * a valid prefix, DAT fields, the query's syntax), so a bad one is refused
 * here, not in a job; whether the hold or matter exists and what the
 * selection holds is known when it runs. Audited ("job-submit").
 * @return CUSTOS_OK; CUSTOS_EINVAL, CUSTOS_EFORMAT (the message says
 *         which option); CUSTOS_EIO. */
int custos_job_production(custos_service_t *svc, custos_session_t *s,
                          const custos_export_opts_t *opts, char id[CUSTOS_JOB_ID]);

/* Cancels production job id: a queued one is marked failed at once, a
 * running one stops between two records (custos_archive_export answers
 * CUSTOS_ECANCELED and writes no manifest) and is then marked failed, its
 * partial output removed. *running (may be NULL) says which. Audited
 * ("job-cancel").
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND; CUSTOS_EINVAL (not a production, or
 *         it has finished: the message says what to do instead). */
int custos_job_cancel(custos_service_t *svc, custos_session_t *s, const char *id,
                      bool *running);

typedef struct {
	custos_job_t **v;   /* oldest first */
	size_t n;
} custos_job_list_t;
void custos_job_list_free(custos_job_list_t *l);   /* NULL-safe; zeroes it */

/* The jobs of kind (NULL: every kind) the session may see: those whose
 * kind its role may do, and of productions those of its own role. Not
 * audited (the request is). */
int custos_job_list(custos_service_t *svc, custos_session_t *s, const char *kind,
                    custos_job_list_t *out);

typedef struct {
	char    *path;      /* relative to the production, '/'-separated */
	uint64_t size;
	char     sha256[CUSTOS_SHA256_HEX];
} custos_production_file_t;

typedef struct {
	custos_production_file_t *v;   /* the manifest's order */
	size_t   n;
	uint64_t bytes;                /* of the files listed */
	uint64_t manifest_size;        /* manifest.json itself, not in the list */
	char     manifest_sha256[CUSTOS_SHA256_HEX];
	custos_arena_t arena;
} custos_production_files_t;
void custos_production_files_free(custos_production_files_t *f);   /* NULL-safe; zeroes it */

/* The files of production job id as its manifest lists them. Not audited
 * (the request is).
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND (no such job, or it has no files: it
 *         is queued, running, failed or deleted; the message says which);
 *         CUSTOS_EINVAL (not a production); CUSTOS_ECORRUPT (the manifest
 *         is not one custos wrote, or names a path that could leave the
 *         production's directory). */
int custos_production_files(custos_service_t *svc, custos_session_t *s, const char *id,
                            custos_production_files_t *out);

/* Opens file path of production job id for reading: path must be, byte
 * for byte, a path its manifest lists ("manifest.json" too); it is opened
 * one component at a time below the production's directory without
 * following a symbolic link (O_NOFOLLOW), must be a regular file, and its
 * size and SHA-256 must be what the manifest says. *fd (the caller closes
 * it; positioned at 0) and *size get the file. Audited
 * ("production-download": the job and the path).
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND (no such job or file, or not listed:
 *         nothing outside the manifest is ever opened); CUSTOS_EINVAL (a
 *         path with "..", "." or empty components, a leading '/', a NUL or
 *         a backslash); CUSTOS_ECORRUPT (the file is not what the manifest
 *         says: changed behind custos's back). */
int custos_production_open(custos_service_t *svc, custos_session_t *s, const char *id,
                           const char *path, int *fd, uint64_t *size);

/* The whole production as one archive stream: "zip" or "tar" (NULL:
 * zip), every file of the manifest under a folder named after the job,
 * manifest.json last. Each file is hashed as it is read; a file that is
 * not what the manifest says ends the stream with an error before
 * manifest.json, so a stream that ends cleanly holds the production whole
 * and one cut short has no manifest. The stream holds no session: it may
 * be read from any one thread after s is freed. Audited
 * ("production-download": the job and the format). Errors as
 * custos_production_files, and CUSTOS_EINVAL for another format. */
typedef struct custos_production_stream custos_production_stream_t;
int  custos_production_stream_open(custos_production_stream_t **out, custos_service_t *svc,
                                   custos_session_t *s, const char *id, const char *format);
/* Reads up to cap bytes of the stream into buf: the number read (> 0), 0
 * at the end, or a negative status (the stream is broken: stop; the error
 * says why). */
int64_t custos_production_stream_read(custos_production_stream_t *st, void *buf, size_t cap);
const custos_err_t *custos_production_stream_err(const custos_production_stream_t *st);
/* A name for the downloaded file: "<job id>.zip" or ".tar"; borrowed from st. */
const char *custos_production_stream_name(const custos_production_stream_t *st);
void custos_production_stream_free(custos_production_stream_t *st);   /* NULL-safe */

/* Deletes the files of finished production job id (the job stays, saying
 * when and by whom its files were deleted). Audited ("production-delete":
 * the job, the manifest's SHA-256, the files and bytes removed).
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND (no such job, or no files: deleted
 *         already, or the job failed); CUSTOS_EINVAL (not a production, or
 *         queued or running: cancel it instead); CUSTOS_EIO. */
int custos_production_delete(custos_service_t *svc, custos_session_t *s, const char *id);

/* ===========================================================================
 * Review coding for the faces: what a matter gives each record.
 */
typedef struct {
	char    *tag;
	char    *by;        /* who gave it (the actor, else "token NAME"), or "" */
	int64_t  at;
	char    *note;      /* "" when none */
} custos_coding_tag_t;

typedef struct {
	char    *id;
	bool     disposed;  /* coded, then disposed of: only the fact of coding remains */
	custos_coding_tag_t *tags;   /* in the matter's order of tags */
	size_t   n_tags;
} custos_coding_t;

typedef struct {
	custos_coding_t *v;  /* one per id asked, in order */
	size_t n;
	custos_arena_t arena;
} custos_codings_t;
void custos_codings_free(custos_codings_t *c);   /* NULL-safe; zeroes it */

/* The coding matter gives each of ids[0..n) now. Every id must be a record
 * the archive holds or held (a disposed one answers disposed, without
 * tags). Audited ("matter-read": the matter and how many ids).
 * @return CUSTOS_OK; CUSTOS_ENOTFOUND (no such matter, or an id the archive
 *         never held: the message names it). */
int custos_archive_matter_coding(custos_session_t *s, const char *matter,
                                 const char *const *ids, size_t n, custos_codings_t *out);

/* Runs saved search name of matter as custos_archive_search runs a query
 * (opts as there; audited "search" like any search). *saved (may be NULL)
 * gets the saved search, its strings owned by *out.
 * @return as custos_archive_search; CUSTOS_ENOTFOUND (no such matter or
 *         saved search). */
int custos_archive_matter_search(custos_session_t *s, const char *matter, const char *name,
                                 const custos_search_opts_t *opts, custos_saved_search_t *saved,
                                 custos_search_result_t **out);

/* custos_search_result_json with each hit's tags in matter: coding holds
 * one entry per hit (custos_archive_matter_coding of the hits' ids); each
 * hit gets "tags" (names) and the object "matter". */
int custos_search_result_json_coded(custos_search_result_t *r, const char *query,
                                    unsigned facets, const char *matter,
                                    const custos_codings_t *coding, custos_buf_t *out);
/* Appends the JSON object of a matter (what `custos matter show --json`
 * prints, without the final newline). */
int custos_matter_json(const custos_matter_t *m, custos_buf_t *out);

/* ===========================================================================
 * Modules (docs/ARCHITECTURE.md, "The binary and its modules").
 *
 * Productions, the importers and the service (with its connectors) are
 * modules: shared objects in <prefix>/lib/custos beside <prefix>/bin/custos
 * (in the build tree, $(BUILD)/lib/custos beside $(BUILD)/bin/custos),
 * loaded on first use, so a command that does not use one loads neither it
 * nor the libraries it needs. The library's own functions load what they
 * need (custos_archive_export, custos_archive_ingest, ...); a face loads
 * its own module (custos serve) through custos_module_table.
 *
 * Sets *out to the table named symbol of module (export, import, serve):
 * linked when linked is not NULL (the module was linked into the program,
 * as the unit tests are), else loaded from the modules' folder, once per
 * process. The table's first member is its size, which must be size.
 * Thread-safe.
 * @return CUSTOS_OK; CUSTOS_EINTERNAL (the module is missing or
 *         unreadable, or not of this build: err names it and why). */
int custos_module_table(const void **out, const char *module, const char *symbol,
                        const void *linked, size_t size, custos_err_t *err);
/* table: a const object declared extern and __attribute__((weak)) */
#define CUSTOS_MODULE_GET(out, module, table, err) \
	custos_module_table((const void **)(out), (module), #table, &(table), sizeof(table), (err))

#ifdef __cplusplus
}
#endif
#endif
