/* custos archiver: the record store (LMDB + zstd + per-record keys), the
 * audit chain, and the importers that turn platform exports into records. */
#ifndef CUSTOS_ARCHIVER_H
#define CUSTOS_ARCHIVER_H

#include "custos_common.h"
#include "custos_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ===========================================================================
 * Store. Lives in <archive>/store (LMDB), <archive>/keys (per-item keys) and
 * <archive>/lock (the writer lock). docs/storage.md explains the layout and why.
 *
 * One process writes at a time (custos_store_open with CUSTOS_STORE_WRITE
 * takes the archive's writer lock and fails with CUSTOS_EBUSY, or waits, when
 * another writer holds it); any number read concurrently, without waiting.
 *
 * Threads: custos_store_open opens the store once for the process (one LMDB
 * environment, as lmdb.h requires) and returns its first view; more views
 * of the same store come from custos_store_view, one per thread that reads
 * or writes. A view is used by one thread at a time; views of one store are
 * used concurrently. At most one batch is open on a store at a time, on
 * whichever view began it. The store is closed with its last view. Records
 * returned are copies: nothing returned points into the store's memory map.
 */
typedef struct custos_store custos_store_t;

enum {
	CUSTOS_STORE_READ  = 0,
	CUSTOS_STORE_WRITE = 1 << 0,  /* take the writer lock */
	CUSTOS_STORE_WAIT  = 1 << 1,  /* with WRITE: wait for the lock instead of EBUSY */
	CUSTOS_STORE_CREATE = 1 << 2  /* create the store (custos init only); implies WRITE */
};

/* Opens the store of the archive at dir.
 * @param out    receives the handle; NULL on failure. Free with custos_store_free.
 * @param dir    the archive directory (not its store/ subdirectory)
 * @param flags  CUSTOS_STORE_* ORed. CREATE makes dir (if missing), store/ and
 *               keys/, and fsyncs the directories; it fails with CUSTOS_EEXISTS
 *               when dir already holds a store.
 * @param err    may be NULL; filled on failure
 * @return CUSTOS_OK, or CUSTOS_ENOTARCHIVE (dir missing or holds no store; nothing
 *         is created), CUSTOS_EVERSION (written by a newer format; the archive is
 *         not modified), CUSTOS_EBUSY (WRITE without WAIT while another process
 *         writes), CUSTOS_EACCESS, CUSTOS_EIO, CUSTOS_ECORRUPT (a key file or
 *         database is missing), CUSTOS_ENOMEM. */
int  custos_store_open(custos_store_t **out, const char *dir, unsigned flags, custos_err_t *err);
/* Another view of the store st is a view of (any view will do): its own
 * scratch memory, zstd contexts, error and snapshot, over the same LMDB
 * environment, key files and dictionary cache. Free it with custos_store_free.
 * @return CUSTOS_OK or CUSTOS_ENOMEM (err says so). Thread-safe. */
int  custos_store_view(custos_store_t **out, custos_store_t *st, custos_err_t *err);
/* Closes a view, aborting its open batch and ending its snapshot; the last
 * view closes the store and releases the writer lock. NULL-safe. */
void custos_store_free(custos_store_t *st);
/* Pins (pin true) a read snapshot on the view: every read through it sees
 * the store as it was at that moment, until custos_store_snapshot(st, false)
 * ends it. Without one, each read call is a snapshot of its own. A pinned
 * snapshot holds back a map resize of the process (the writer waits for it),
 * so pin for the time of one request, and never across a wait for a commit.
 * A view with a pinned snapshot cannot begin a batch (CUSTOS_EINVAL).
 * @return CUSTOS_OK (pinning twice keeps the first), CUSTOS_EBUSY (too many
 *         readers), CUSTOS_EIO. */
int  custos_store_snapshot(custos_store_t *st, bool pin);
bool custos_store_pinned(const custos_store_t *st);
/* Whether the store is read without LMDB's lock file: a reader of a store
 * directory it may not write (a read-only copy, chmod a-w) opens it with
 * MDB_NOLOCK rather than fail. Its reads are then not registered with
 * writers: one writing the same store meanwhile (a process with write
 * access) could change pages under them. */
bool custos_store_lockless(const custos_store_t *st);
/* Detail of the store's last failure; borrowed from st, valid until the next
 * call on st. Every function below that fails fills it. */
const custos_err_t *custos_store_err(const custos_store_t *st);

/* The outcome of putting one record. */
typedef enum {
	CUSTOS_PUT_ADDED = 1,     /* a new id: version 1 */
	CUSTOS_PUT_VERSION,       /* a known id with new content: version n+1 */
	CUSTOS_PUT_UNCHANGED      /* this content was stored for this id at some time
	                             (not necessarily its latest version): nothing added */
} custos_put_t;

/* Writes go in batches: one LMDB write transaction per batch. Nothing of a
 * batch is visible or durable before custos_store_commit returns CUSTOS_OK;
 * after it, everything is (the key files and the LMDB commit are fsynced).
 * A batch holds in memory a log of what it wrote (about the stored size of its
 * records), so that the map can grow under it: keep batches to thousands of
 * records. At most one batch is open per store. */
typedef struct custos_batch custos_batch_t;

/* Opens a batch. *out is freed by custos_store_commit or custos_store_abort.
 * @return CUSTOS_OK, CUSTOS_EINVAL (store read-only, or a batch already open),
 *         CUSTOS_ENOMEM, CUSTOS_EIO, CUSTOS_ECORRUPT. */
int custos_store_begin(custos_batch_t **out, custos_store_t *st);
/* Validates (custos_record_validate), hashes (content_sha256 as custos_record_hash
 * computes it), compresses, encrypts and stages rec. Sets rec->content_sha256,
 * rec->seq and rec->version (for UNCHANGED: those of the matching stored
 * version) and captured_at to now when absent; rec is otherwise unchanged and
 * stays the caller's. A record with deleted_at set is stored marked deleted
 * upstream. *outcome may be NULL.
 * @return CUSTOS_OK; CUSTOS_EFORMAT/CUSTOS_EINVAL for an invalid record (the
 *         batch goes on); CUSTOS_ETOOBIG for an id over 400 bytes; CUSTOS_EIO,
 *         CUSTOS_ENOMEM, CUSTOS_ECORRUPT: after these the batch can only be
 *         aborted (commit fails). */
int custos_store_put(custos_batch_t *b, custos_record_t *rec, custos_put_t *outcome);
/* custos_store_put for a record its caller has checked already, with
 * custos_record_validate and an id of at most 400 bytes, and not changed
 * since (the writer checks a job's records before any is written): the
 * same, without checking them a second time. */
int custos_store_put_valid(custos_batch_t *b, custos_record_t *rec, custos_put_t *outcome);
/* Stores a media blob by content (no-op when present, even in this batch);
 * hex (may be NULL) gets its sha256. Same errors as custos_store_put. */
int custos_store_blob_put(custos_batch_t *b, const void *p, size_t n,
                          char hex[CUSTOS_SHA256_HEX]);
/* Sets an item aside with its raw bytes: file (display path; bytes that are not
 * UTF-8 are kept as '?'), byte offset and line (-1 when unknown) and the
 * reason it was refused. Numbered 1, 2, ... in the order committed. The same
 * raw bytes from the same file, offset and line as an item already set aside
 * are that item: nothing is added (the reason does not count), so re-ingesting
 * adds nothing to quarantine. Same errors as custos_store_put. */
int custos_store_quarantine_put(custos_batch_t *b, const char *file, int64_t offset,
                                int64_t line, const char *reason,
                                const void *raw, size_t n);
/* The same, saying what became of the item: *qn (may be NULL) its number,
 * the earlier one when it was set aside before, and *added (may be NULL)
 * whether it is new. */
int custos_store_quarantine_add(custos_batch_t *b, const char *file, int64_t offset,
                                int64_t line, const char *reason, const void *raw, size_t n,
                                uint64_t *qn, bool *added);

typedef struct {
	uint64_t added, versions, unchanged, quarantined, blobs;
	uint64_t first_seq, last_seq;          /* of records written, 0 when none */
	uint8_t  chain[CUSTOS_SHA256_LEN];     /* record chain head after the batch */
	uint8_t  digest[CUSTOS_SHA256_LEN];    /* SHA-256 over the content hashes added, in order
	                                          (SHA-256 of nothing when none) */
} custos_batch_summary_t;

/* What a batch anchors in the record chain (docs/audit.md, "Anchors"): the
 * audit chain's last durable entry, the policy repository's head as custos
 * last committed or accepted it, and the highest record seq that audit
 * entries account for. Folded into the chain after the batch's records, so
 * the chain proves the audit log and the policy branch were at least there. */
typedef struct {
	uint64_t audit_n;                         /* 0: no entry yet */
	uint8_t  audit_head[CUSTOS_SHA256_LEN];   /* hash of entry audit_n */
	char     policy[CUSTOS_COMMIT_HEX];       /* 40 hex digits, or "" */
	uint64_t audited_seq;
} custos_anchor_t;

/* Sets the anchor batch b commits with. A batch with an anchor different
 * from the last one committed is written even when it holds no records. */
void custos_store_anchor(custos_batch_t *b, const custos_anchor_t *a);
/* The last anchor committed (zeroed when none). */
int  custos_store_last_anchor(custos_store_t *st, custos_anchor_t *out);
/* A committed batch, as custos_store_batches gives it (borrowed for the
 * call). */
typedef struct {
	uint64_t batch;                        /* its number, from 1 */
	uint64_t first_seq, last_seq;          /* first > last: an anchor alone */
	int64_t  time;                         /* commit time, ms */
	uint8_t  head[CUSTOS_SHA256_LEN];      /* the record chain head after it */
	const custos_anchor_t *anchor;         /* NULL for a batch of store format 1 */
} custos_batch_info_t;
/* Calls fn with each committed batch, oldest first, in one read
 * transaction. Malformed entries are skipped (custos_store_verify reports
 * them). fn returns non-zero to stop (that value is returned). */
typedef int (*custos_batch_fn)(void *ctx, const custos_batch_info_t *b);
int  custos_store_batches(custos_store_t *st, custos_batch_fn fn, void *ctx);

/* Commits durably and frees the batch (whatever the result). summary (may be
 * NULL) is filled on success. On failure nothing of the batch is kept.
 * @return CUSTOS_OK, CUSTOS_EIO (a write or fsync failed), CUSTOS_ENOMEM, or the
 *         error that stopped the batch earlier. */
int  custos_store_commit(custos_batch_t *b, custos_batch_summary_t *summary);
/* Drops everything the batch staged and frees it. NULL-safe. */
void custos_store_abort(custos_batch_t *b);

/* Reading. Each call is one consistent snapshot (an LMDB read transaction).
 * rec must be initialised (custos_record_init); it is reset first and, on
 * success, holds its own copy of every field, raw set to the original bytes
 * (NULL when there were none), content_sha256/version/seq those stored.
 * version 0 means the latest.
 * @return CUSTOS_OK, CUSTOS_ENOTFOUND (unknown id or version, or a disposed
 *         version: its tombstone tells what it was), CUSTOS_ECORRUPT (the stored
 *         record fails its hashes; the message names id, version and seq),
 *         CUSTOS_EIO, CUSTOS_ENOMEM. On failure rec is reset. */
int custos_store_get(custos_store_t *st, const char *id, uint32_t version, custos_record_t *rec);
/* The same by sequence number. */
int custos_store_get_seq(custos_store_t *st, uint64_t seq, custos_record_t *rec);
/* Reader threads on the snapshot pinned on st (custos_store_snapshot):
 * records read by seq with every check custos_store_get_seq makes, a window
 * of them at a time, by `threads` worker threads (each with its own view and
 * a read transaction of the very snapshot st has: the same mdb_txn_id) and
 * by the calling thread while it waits (fewer workers when the process can
 * start no more threads: custos_store_readers_threads says how many; with
 * none the calling thread reads everything). Two windows can be in flight:
 * start the next one, use the one waited for, then wait for the next.
 * custos_store_readers_default gives a thread count for this machine (online
 * CPUs less the calling one, at most 4). prep (NULL: none) is called on
 * whichever thread read record i of a window, right after a successful read,
 * with the window's arg and the record's canonical JSON as the read made it
 * to check the content hash (custos_record_to_json's CUSTOS_JSON_STORE
 * form of rec, valid for the call): work that needs only the record (its
 * JSON) done there too; it must touch nothing another thread touches.
 * @return CUSTOS_OK; CUSTOS_EBUSY when a writer committed after st's snapshot
 *         was taken (no reader can see that snapshot any more: read on st
 *         alone, or take a new snapshot before selecting anything);
 *         CUSTOS_EINVAL (st not pinned), CUSTOS_ENOMEM, CUSTOS_EIO. st's error
 *         says which. */
typedef struct custos_store_readers custos_store_readers_t;
typedef void (*custos_store_prep_fn)(void *arg, size_t i, custos_record_t *rec,
                                     const char *json, size_t json_len);
unsigned custos_store_readers_default(void);
int  custos_store_readers_open(custos_store_readers_t **out, custos_store_t *st, unsigned threads,
                               custos_store_prep_fn prep);
/* Starts reading seqs[0..n) into recs[0..n) (initialised records), each
 * one's status (custos_store_get_seq's) into rcs[0..n); returns at once.
 * seqs, recs and rcs are the readers' until the window is waited for.
 * CUSTOS_EINVAL when two windows are in flight already. */
int  custos_store_readers_start(custos_store_readers_t *r, const uint64_t *seqs, size_t n,
                                custos_record_t *recs, int *rcs, void *arg);
/* Waits until the oldest window started is read whole (the calling thread
 * reading what the workers have not taken), and hands it back. A record
 * whose status is an error is reset; its message was the reading thread's:
 * read it again through st for the message. CUSTOS_EINVAL when none is in
 * flight. */
int  custos_store_readers_wait(custos_store_readers_t *r);
unsigned custos_store_readers_threads(const custos_store_readers_t *r);
/* Stops the workers (a window in flight is left part read) and frees them.
 * NULL-safe. Call before freeing a window's records. */
void custos_store_readers_free(custos_store_readers_t *r);
/* Number of versions stored for id (*n 0 when unknown, which is not an error)
 * and their seqs, oldest first; *seqs is malloc'd (NULL when none), the caller
 * frees it. */
int custos_store_versions(custos_store_t *st, const char *id, uint64_t **seqs, size_t *n);
/* Reads a blob by its sha256 hex, checking the bytes against it; *p is
 * malloc'd, the caller frees it. CUSTOS_EINVAL for a malformed hex,
 * CUSTOS_ENOTFOUND, CUSTOS_ECORRUPT. */
int custos_store_blob_get(custos_store_t *st, const char *hex, void **p, size_t *n);

/* Calls fn for every stored record version with seq > after, in sequence
 * order, inside one read transaction (disposed records are skipped). rec is
 * borrowed for the call only. fn returns 0 to go on; anything else stops the
 * scan and is returned. A damaged record stops it with CUSTOS_ECORRUPT. */
typedef int (*custos_store_fn)(void *ctx, const custos_record_t *rec);
int custos_store_scan(custos_store_t *st, uint64_t after, custos_store_fn fn, void *ctx);
/* Highest sequence number committed (0 for an empty store). */
int custos_store_last_seq(custos_store_t *st, uint64_t *seq);


/* Fills out (exact counters kept with the data). On failure out holds nothing
 * to free. */
int  custos_store_stats(custos_store_t *st, custos_store_stats_t *out);

/* Verification: re-reads every record, blob, dictionary, quarantine item
 * and tombstone, recomputes every hash, checks the indexes against the
 * records, checks that every tombstone names its disposed record, and
 * recomputes the record chain batch by batch (each batch from the head the
 * batch before it recorded, so one damaged batch hides none after it)
 * against every batch's head and the store's head. It goes on through the
 * whole store whatever it finds: problem (may be NULL) is called with each
 * problem, a sentence naming it precisely ("record x:12 version 2 (seq 17):
 * content hash mismatch", "batch 4 (seqs 30..41): record chain head
 * mismatch", "records: seqs 8..9 are missing"). progress (may be NULL) is
 * called now and then with done/total records. summary (may be NULL) gets
 * the counts and summary->problems.
 * @return CUSTOS_OK when nothing is wrong; CUSTOS_ECORRUPT when problems
 *         were found (the store's error gives the first, prefixed by their
 *         number when more than one); CUSTOS_ENOMEM, CUSTOS_EIO (a read
 *         failed: the verification is incomplete); CUSTOS_EINVAL while a
 *         batch is open. */
int custos_store_verify_each(custos_store_t *st, custos_verify_summary_t *summary,
                             custos_progress_fn progress, void *ctx,
                             custos_problem_fn problem, void *problem_ctx);
/* The same without a callback; err (may be NULL) gets the store's error. */
int custos_store_verify(custos_store_t *st, custos_verify_summary_t *summary,
                        custos_progress_fn progress, void *ctx, custos_err_t *err);

/* Quarantine listing, in number order; e is borrowed for the call. fn returns
 * 0 to go on; anything else stops and is returned. */
typedef int (*custos_quarantine_fn)(void *ctx, const custos_quarantine_entry_t *e);
int custos_store_quarantine_list(custos_store_t *st, custos_quarantine_fn fn, void *ctx);
/* Reads entry n with its raw bytes, checked against their SHA-256 (*raw
 * malloc'd, the caller frees it). CUSTOS_ENOTFOUND, CUSTOS_ECORRUPT. */
int custos_store_quarantine_get(custos_store_t *st, uint64_t n, custos_quarantine_entry_t *e,
                                void **raw, size_t *raw_len);

/* Disposition (issue 5; docs/storage.md "Per-item keys", docs/retention.md).
 * Disposes every stored version of each item's id, in one write transaction:
 * a tombstone (id, version, seq, both hashes, platform, created_at, rule,
 * policy commit, time, actor, media) replaces each version's payload, its
 * time-index entry goes, and the key slots to destroy are listed in the same
 * commit; then the slots are zeroed in place and the key files synced. Media
 * blobs that no live record uses any more are disposed the same way, and
 * every dictionary trained on a disposed version is retired (the live records
 * compressed with it are recompressed onto a new dictionary trained on live
 * records, or without one when fewer than 8 remain, and its key is shredded:
 * listed in the same commit, done by custos_store_dispose_complete).
 * A crash after the commit leaves the lists, which the next writer
 * (custos_store_open with WRITE, or the next dispose) finishes first; a crash
 * before it leaves nothing. Versions already disposed are skipped, unknown
 * ids ignored. Keep n to thousands: the transaction holds them all.
 * Test point "dispose-before-shred" (custos_test_point): right after the
 * commit. */
typedef struct {
	const char *id;       /* record id: all its versions go */
	const char *rule;     /* the retention rule that allowed it */
	const char *commit;   /* the policy commit, 40 hex digits */
	uint64_t    run;      /* the disposition run it belongs to (its tombstone's "run"),
	                       * 0 for none */
} custos_dispose_item_t;

typedef struct {
	uint64_t records, versions;   /* disposed now */
	uint64_t blobs;               /* media blobs disposed */
	uint64_t dictionaries;        /* dictionaries retired */
	uint64_t trained;             /* new dictionaries trained on live records to replace them */
	uint64_t recompressed;        /* live records recompressed to retire them */
} custos_dispose_summary_t;

int custos_store_dispose(custos_store_t *st, const custos_dispose_item_t *items, size_t n,
                         const char *actor, int64_t when, custos_dispose_summary_t *sum);
/* Retires the dictionaries that disposals listed (trained on a disposed
 * record): recompresses the live records written with them onto a
 * replacement trained on live records, deletes them and shreds their keys. Call once after the last
 * custos_store_dispose of a run (a writer's open also does it, after a
 * crash). sum gets dictionaries and recompressed. */
int custos_store_dispose_complete(custos_store_t *st, custos_dispose_summary_t *sum);

/* Compaction: the store's databases rewritten in key order into a new file
 * (store/compact.mdb: full pages, no free ones), synced, and swapped in for
 * store/data.mdb (lock.mdb removed first, so that the next opener builds a
 * fresh one; the directory synced). Pending shreds and dictionary
 * retirements are finished first. Needs a store opened for writing (the
 * writer lock) and no open batch. Afterwards this environment maps the old
 * file: reads go on from it, and every custos_store_begin of any view is
 * refused (CUSTOS_ESTOPPED) until the store is opened again. Readers of other
 * processes open under a shared lock of the store directory, which the swap
 * holds exclusively; those open before keep reading the old file. A crash
 * at any point leaves either data.mdb as it was (and a copy the next
 * compaction removes) or the compacted one.
 * @return CUSTOS_OK, CUSTOS_EINVAL (read-only), CUSTOS_ESTOPPED (compacted
 *         already), CUSTOS_EIO (a write, sync or rename failed: data.mdb is
 *         as it was), CUSTOS_ENOMEM. */
typedef struct {
	uint64_t bytes_before, bytes_after;   /* data.mdb */
	uint64_t entries;                     /* key/value pairs copied */
	uint64_t keys_punched;                /* bytes of the key files given back
	                                       * (4 KB blocks of shredded slots) */
} custos_compact_summary_t;
int custos_store_compact(custos_store_t *st, custos_compact_summary_t *out);

/* Calls fn with the tombstone JSON of each disposed version of id, oldest
 * first (json borrowed for the call). Nothing is called for an id without
 * disposed versions. fn returns non-zero to stop (returned). */
typedef int (*custos_tombstone_fn)(void *ctx, uint64_t seq, const char *json, size_t n);
int custos_store_tombstones(custos_store_t *st, const char *id, custos_tombstone_fn fn,
                            void *ctx);
/* Calls fn with every tombstone, in sequence order, in one read
 * transaction: what the retention log and the checks of disposition runs
 * read. A tombstone is handed out as a JSON object (stored in binary, or
 * as JSON by an earlier custos: docs/storage.md): id, version, seq, content_sha256,
 * raw_sha256, platform, account, created_at, in_reply_to and thread (when
 * the record had them), rule, policy_commit, disposed_at, run (when the
 * disposal named one), actor, media. */
int custos_store_tombstone_scan(custos_store_t *st, custos_tombstone_fn fn, void *ctx);

/* What a run's digest reads of the tombstones of ids (n of them), in one
 * read transaction, without the JSON: for each disposed version, its seq,
 * id, version, content hash and run. A tombstone an earlier custos wrote as
 * JSON is handed out as that JSON instead (id NULL, json set), for the
 * caller to read as custos_store_tombstones gives it. fn returns non-zero
 * to stop (returned). */
typedef int (*custos_tomb_brief_fn)(void *ctx, uint64_t seq, const char *id, size_t id_len,
                                    uint32_t version, const uint8_t content[32], uint64_t run,
                                    const char *json, size_t json_len);
int custos_store_tombstones_brief(custos_store_t *st, const char *const *ids, size_t n,
                                  custos_tomb_brief_fn fn, void *ctx);

/* The content hash (hex) of each record version seqs[i], from the record
 * headers only (no decryption): what legal holds record beside the id.
 * CUSTOS_ENOTFOUND for a seq that is not stored. */
int custos_store_content_hashes(custos_store_t *st, const uint64_t *seqs, size_t n,
                                char (*hex)[CUSTOS_SHA256_HEX]);

/* ===========================================================================
 * Audit chain. An append-only file <archive>/audit/audit.log, one JSON object
 * a line, each holding the SHA-256 of the previous line; it has its own lock
 * (audit/lock), so appending never waits for the store's writer. docs/audit.md.
 */
typedef struct {
	const char *action;       /* "init", "ingest", "search", ... */
	const char *actor;        /* the person acted for (--actor), or NULL */
	const char *role;         /* the session's role when not the local operator, or NULL */
	const char *token;        /* the name of the service token used, or NULL */
	const char *client;       /* the client's address for a service request, or NULL */
	const char *params_json;  /* a JSON object text, or NULL */
	const char *result_json;  /* a JSON object text, or NULL */
	int         status;       /* CUSTOS_OK or the failure */
} custos_audit_entry_t;

/* The appender of an archive's audit log, shared by the threads of a
 * process: it keeps the chain's tail (number and hash of the last entry) in
 * memory, found at open by reading the log backwards from its end, so an
 * append costs the same whatever the log's length. Appends from other
 * processes (under audit/lock) are followed by reading only their lines.
 * custos_auditlog_open creates audit/ and the log when missing.
 * @return CUSTOS_OK; CUSTOS_EACCESS when the log cannot be opened for
 *         appending (a read-only archive: the caller says what goes
 *         unaudited); CUSTOS_ECORRUPT when its last line has no entry
 *         number; CUSTOS_EIO, CUSTOS_ENOMEM. */
typedef struct custos_auditlog custos_auditlog_t;
int  custos_auditlog_open(custos_auditlog_t **out, const char *archive_dir, custos_err_t *err);
void custos_auditlog_free(custos_auditlog_t *l);              /* NULL-safe */
/* Appends one entry and returns once it is durable (fdatasync, shared with
 * the appends of other threads that arrive meanwhile). The OS user is the
 * process's. *n (may be NULL) gets the entry's number. A line torn by an
 * earlier crash is cut off first and the entry says so ("repaired").
 * Thread-safe. @return CUSTOS_OK, CUSTOS_ENOSPC, CUSTOS_EIO, CUSTOS_EINVAL
 * (params or result hold a raw newline), CUSTOS_ENOMEM. */
int  custos_auditlog_append(custos_auditlog_t *l, const custos_audit_entry_t *e, uint64_t *n,
                            custos_err_t *err);
/* The last durable entry: its number (0 for an empty log) and hash. What
 * the store's chain anchors at each commit. Thread-safe. */
void custos_auditlog_synced(custos_auditlog_t *l, uint64_t *n, uint8_t head[CUSTOS_SHA256_LEN]);

/* One append through a log opened and closed for it (custos init). */
int custos_audit_append(const char *archive_dir, const custos_audit_entry_t *e, custos_err_t *err);
/* Calls fn with each entry line (a JSON object text) since `since` (ms, or
 * CUSTOS_TIME_NONE for all). */
typedef int (*custos_audit_fn)(void *ctx, const char *line, size_t n);
int custos_audit_read(const char *archive_dir, int64_t since, custos_audit_fn fn, void *ctx,
                      custos_err_t *err);
/* Recomputes the chain; CUSTOS_ECORRUPT names the first bad line. *entries
 * gets the count, head the hash of the last line. */
int custos_audit_verify(const char *archive_dir, uint64_t *entries,
                        uint8_t head[CUSTOS_SHA256_LEN], custos_err_t *err);

/* ===========================================================================
 * Importers. An importer reads one input and hands records, bad items, media
 * and warnings to a sink. custos_import_run walks files, folders and .zip
 * files, recognises each input's format (or uses the forced one), and runs the
 * right importer. Importers never touch the store: the sink does.
 */
typedef struct {
	/* A complete record; the sink takes what it needs before returning
	 * (the importer resets rec afterwards). */
	int (*record)(void *ctx, custos_record_t *rec);
	/* A malformed item. file is the display path ("x.zip!/data/tweets.js"),
	 * offset/line where it starts (-1 unknown), raw its bytes. Returning
	 * non-zero stops the import with that status. */
	int (*bad)(void *ctx, const char *file, int64_t offset, int64_t line,
	           const char *why, const char *raw, size_t n);
	/* Media bytes found in the export; hex gets the sha256. May be NULL:
	 * then the hash is computed and the bytes are not kept. */
	int (*blob)(void *ctx, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX]);
	/* Something the user should know that is not an error. */
	void (*warn)(void *ctx, const char *file, const char *msg);
	/* The end of one input file: a good place for the sink to commit. */
	int (*file_done)(void *ctx, const char *file);
	void *ctx;
	/* The members below may be NULL (they come after ctx so that sinks
	 * written before them stay valid). */
	/* A file (or folder) of the input that was not imported, with why:
	 * not recognised, recognised but holding nothing custos imports (a
	 * Mastodon export's likes.json), a zip inside a zip, a link to a file
	 * already read, a zip member named twice, ... Every file of the input
	 * is either read by an importer or named here once; this does not stop
	 * the import. NULL: it goes to warn. */
	void (*not_taken)(void *ctx, const char *file, const char *why);
	/* Whether the archive already holds a record with this id: 1 yes, 0 no,
	 * negative on failure (the import stops with it). Importers whose id
	 * recipe changed ask it for the id an item had under the old recipe and
	 * keep that id when it is held (docs/importers.md, "Ids that changed").
	 * NULL: no id is held. */
	int (*known)(void *ctx, const char *id);
} custos_import_sink_t;

/* Imports everything path holds. A folder (or a .zip) is a collection:
 * every export inside it, at any depth, is recognised and imported, and
 * every other file on its own; each file not taken goes to sink->not_taken
 * with why (docs/importers.md, "Collections").
 * format: NULL or "auto" to recognise, or one of custos_import_formats(). */
int custos_import_run(const char *path, const char *format, const custos_import_sink_t *sink,
                      custos_err_t *err);
/* As custos_import_run, for a path the caller has already read whole and
 * hashed (the ingest does, for its audit entry): path_sha256 is the hex
 * SHA-256 of path's bytes, or NULL. When path is a single file (not a
 * folder, not a .zip) its records carry it, and the file is not read once
 * more to hash it; the import still hashes the bytes it parses, and when
 * they differ the import fails as for a file changed while it was imported
 * (CUSTOS_EIO). Ignored for folders and .zip files. */
int custos_import_run_hashed(const char *path, const char *format, const char *path_sha256,
                             const custos_import_sink_t *sink, custos_err_t *err);
/* NULL-terminated list of the format names. */
const char *const *custos_import_formats(void);

/* The importers are the import module (import.so, loaded by lib/ingest.c
 * through custos_module_table): its table, first member its size. Weak:
 * NULL in a program the module is not linked into. */
typedef struct {
	unsigned size;
	const char *const *(*formats)(void);
	int (*run_hashed)(const char *path, const char *format, const char *path_sha256,
	                  const custos_import_sink_t *sink, custos_err_t *err);
} custos_import_module_t;
extern const custos_import_module_t custos_module_import __attribute__((weak));

#ifdef __cplusplus
}
#endif
#endif
