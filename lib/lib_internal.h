/* Shared inside lib/: the archive's and the session's layout, the writer,
 * the index service and the helpers every operation uses. Not public: the
 * faces include custos.h only. */
#ifndef CUSTOS_LIB_INTERNAL_H
#define CUSTOS_LIB_INTERNAL_H

#include <pthread.h>
#include <sys/types.h>

#include "custos.h"
#include "custos_archiver.h"
#include "custos_indexer.h"
#include "custos_retention.h"

/* ---- the writer (writer.c) --------------------------------------------- */

/* A quarantined item a job carries. */
typedef struct {
	const char *file;
	int64_t     offset, line;
	const char *why;
	const char *raw;
	size_t      n;
	uint64_t    qn;            /* filled: its quarantine number */
	bool        added;         /* filled: new (false: set aside before) */
} custos_wbad_t;

/* A media blob a job carries; hex gets its SHA-256. */
typedef struct {
	const void *p;
	size_t      n;
	char        hex[CUSTOS_SHA256_HEX];
} custos_wblob_t;

/* One unit of work for the writer: records (with their bad items and
 * blobs), all committed in one transaction or none, or a function run on
 * the writer's store view with no batch open (a disposal, which commits on
 * its own). The submitter owns the job and everything it points to until
 * custos_writer__wait returns. */
typedef struct custos_wjob custos_wjob_t;
struct custos_wjob {
	custos_record_t *recs;
	size_t           n_recs;
	custos_put_t    *outcomes;     /* n_recs: what became of each */
	custos_wbad_t   *bad;
	size_t           n_bad;
	custos_wblob_t  *blobs;
	size_t           n_blobs;
	int            (*fn)(void *ctx, custos_store_t *st, custos_err_t *err);
	void            *fn_ctx;
	bool             anchor;       /* commit even with nothing else: anchor the audit tail */
	bool             checked;      /* the submitter validated every record as job_check
	                                * (lib/writer.c) does, and changed none since */
	/* filled by the writer */
	int              status;
	custos_err_t     err;
	custos_batch_summary_t sum;    /* of the commit that carried the job */
	uint64_t         first_q;      /* quarantine numbers given: first_q.. */
	bool             done;
	custos_wjob_t   *next;
};

typedef struct {
	pthread_t       th;
	bool            running;
	pthread_mutex_t mu;
	pthread_cond_t  cv, done_cv;
	custos_wjob_t  *head, *tail;
	size_t          queued_records;
	bool            stop;
	custos_store_t *st;            /* the writer's view */
	size_t          max_records;   /* records per transaction at most */
	uint64_t        commits;
} custos_writer_t;

int  custos_writer__start(custos_archive_t *a);
void custos_writer__stop(custos_archive_t *a);
/* Queues j (CUSTOS_ESTOPPED once stopping). */
int  custos_writer__submit(custos_archive_t *a, custos_wjob_t *j);
/* Waits until j is done; returns j->status. */
int  custos_writer__wait(custos_archive_t *a, custos_wjob_t *j);
/* Submits and waits. */
int  custos_writer__run(custos_archive_t *a, custos_wjob_t *j);
/* Commits an anchor of the audit tail and the policy head now. */
int  custos_writer__anchor(custos_archive_t *a, custos_err_t *err);

/* ---- the index service (indexsvc.c) ------------------------------------- */

typedef struct {
	pthread_t       th;
	bool            running;
	pthread_mutex_t mu;
	pthread_cond_t  cv, done_cv;
	bool            stop, kicked;
	int             stopping;      /* stop, read without the lock (atomic) */
	int             paused;        /* pause requests outstanding */
	bool            idle;          /* not indexing: the index is closed while paused */
	uint64_t        watermark;     /* committed */
	uint64_t        target;        /* the store's last seq it was told of */
	int             status;        /* of the last round */
	uint64_t        rounds;        /* rounds run since the index was (re)opened */
	char            msg[512];
	custos_index_t *idx;           /* the write handle, owned by the thread */
	custos_store_t *st;            /* the service's own view */
} custos_indexsvc_t;

int  custos_indexsvc__start(custos_archive_t *a);
void custos_indexsvc__stop(custos_archive_t *a);
/* Tells the service the store's last seq is now last. */
void custos_indexsvc__kick(custos_archive_t *a, uint64_t last);
/* Waits until the index holds the store up to seq (or the service failed:
 * its status, with err saying why). */
int  custos_indexsvc__wait(custos_archive_t *a, uint64_t seq, custos_err_t *err);
/* Stops the service from touching the index (it finishes its round and
 * closes its write handle) until resume; calls nest. */
void custos_indexsvc__pause(custos_archive_t *a);
void custos_indexsvc__resume(custos_archive_t *a);

/* ---- the archive (archive.c) -------------------------------------------- */

struct custos_archive {
	char              *dir;
	unsigned           flags;
	dev_t              dev;
	ino_t              ino;
	custos_store_t    *store;      /* the first view: opening, and what nobody else uses */
	custos_auditlog_t *audit;      /* NULL when the log cannot be appended to */
	char               audit_why[256];
	bool               git_held;   /* a reference on libgit2 while the threads run, taken
	                                * at the first policy open (custos_archive__git_hold) */

	pthread_mutex_t    mu;
	unsigned           sessions;
	bool               stopping;
	/* the anchor: the policy head custos last committed or accepted, and
	 * the highest seq audit entries account for (under mu) */
	char               policy_head[CUSTOS_COMMIT_HEX];
	uint64_t           audited_seq;

	/* Writes to the policy repository and disposition runs, one at a time
	 * in the process (other processes are kept out by the writer lock). */
	pthread_mutex_t    policy_mu;
	pthread_mutex_t    dispose_mu;

	custos_writer_t    writer;
	custos_indexsvc_t  isvc;

	/* review coding (matter.c): opened at first use, under mu */
	struct custos_matters *matters;
};

/* Records that audit entries now account for records up to seq. */
void custos_archive__audited(custos_archive_t *a, uint64_t seq);
/* Takes the archive's reference on libgit2 (once; before the first
 * custos_policy_open through the archive). */
void custos_archive__git_hold(custos_archive_t *a);
/* Records a new policy head (custos committed or accepted it). */
void custos_archive__policy_head(custos_archive_t *a, const char *commit);
/* The anchor to commit now: the audit log's durable tail, the policy head
 * and the audited seq. */
void custos_archive__anchor(custos_archive_t *a, custos_anchor_t *out);

/* ---- sessions (session.c) ----------------------------------------------- */

struct custos_session {
	custos_archive_t *a;
	custos_role_t     role;
	char             *actor;       /* as given (validated) */
	char             *actor_name;  /* "Jane Doe" of "Jane Doe <jane@acme.com>", else actor */
	char             *actor_email; /* or NULL */
	char             *token, *client;
	custos_err_t      err;
	custos_store_t   *view;        /* the session's store view, made on first use */
	custos_index_t   *idx;         /* the index pinned for the snapshot, or NULL */
	bool              pinned;      /* the store view's snapshot is pinned */
	bool              audit_ok;    /* the last custos_session__audit was written */
	custos_progress_fn progress;   /* custos_session_progress */
	void             *progress_ctx;
	unsigned          audits;      /* entries the session appended (the service's
	                                * request entry is written when none was) */
	int               cancel;      /* custos_session_cancel: read and set atomically */
};

/* Operations a role may do (roles.c has the table). */
typedef enum {
	CUSTOS_OP_INGEST, CUSTOS_OP_READ, CUSTOS_OP_SEARCH, CUSTOS_OP_INDEX, CUSTOS_OP_VERIFY,
	CUSTOS_OP_AUDIT_READ, CUSTOS_OP_POLICY_READ, CUSTOS_OP_POLICY_WRITE, CUSTOS_OP_HOLD_READ,
	CUSTOS_OP_HOLD_WRITE, CUSTOS_OP_RETENTION_PLAN, CUSTOS_OP_RETENTION_APPLY,
	CUSTOS_OP_STATS, CUSTOS_OP_MATTER_READ, CUSTOS_OP_MATTER_WRITE, CUSTOS_OP_EXPORT,
	/* the service (tokens.c, sources.c, service.c) */
	CUSTOS_OP_TOKEN_ADMIN, CUSTOS_OP_SOURCE_ADMIN, CUSTOS_OP_SOURCE_READ, CUSTOS_OP_METRICS,
	/* the operator's alone: compaction replaces the store's file (compact.c) */
	CUSTOS_OP_COMPACT,
	CUSTOS_OP_COUNT
} custos_op_t;

/* CUSTOS_OK, or CUSTOS_EDENIED with the session's error saying which role
 * may not do what. Also clears the session's error first. */
int custos_session__begin(custos_session_t *s, custos_op_t op, const char *what);
/* Refuses (CUSTOS_EINVAL) when the archive is open read-only. */
int custos_session__need_write(custos_session_t *s, const char *what);
/* The session's store view, pinned to its snapshot. */
int custos_session__store(custos_session_t *s, custos_store_t **out);
/* The session's index, opened read-only at its first use and kept (the
 * snapshot's index). CUSTOS_EINDEX with a message naming the cure. */
int custos_session__index(custos_session_t *s, custos_index_t **out);
/* After a read of the index failed with rc: true when the index changed
 * under the session (Xapian discards a revision a reader still reads once
 * its writer has committed twice more), the snapshot is let go, and the
 * read should be done again, at most 8 times; false otherwise. */
bool custos_session__index_moved(custos_session_t *s, int rc, int attempt);
/* Ends the snapshot (store and index): before a write, and on refresh. */
void custos_session__unpin(custos_session_t *s);
/* Appends the session's audit entry for action: params and result are
 * JSON objects (NULL: {}), status the outcome. When the operation failed
 * (status < 0) the session's error is kept whatever the append does; when
 * it succeeded and the append fails, the append's failure is returned. */
int custos_session__audit(custos_session_t *s, const char *action, const char *params,
                          const char *result, int status);
/* The same with params {"name": name} (NULL: "") and no result. */
int custos_session__audit_name(custos_session_t *s, const char *action, const char *name,
                               int status);
/* The same; *n (may be NULL) gets the entry's number, 0 when none was written. */
int custos_session__audit_n(custos_session_t *s, const char *action, const char *params,
                            const char *result, int status, uint64_t *n);
/* Sets the session's error from a part's error detail, prefixed by what
 * failed: "<what>: <detail>". Returns status. */
int custos_session__fail(custos_session_t *s, int status, const char *detail,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The policy change (author, message) the session commits with. */
void custos_session__change(custos_session_t *s, custos_policy_change_t *c, const char *msg);
/* Opens the policy repository with the indexer's query check, accepting
 * (and auditing, as "policy-accept") commits made outside custos. */
int custos_session__policy(custos_session_t *s, custos_policy_t **out);

/* ---- productions (export.c, in the export module; module.c) ------------- */

/* Checks the options of an export as custos_archive_export does before it
 * reads anything (one selection, formats, prefix, DAT fields, the query's
 * syntax), for a job that runs it later. The session's error says why.
 * Through the export module's table (module.c), which it loads. */
int custos_export__check(custos_session_t *s, const custos_export_opts_t *opts);

/* ---- holds against the anchored policy (holds_guard.c) ------------------- */

/* Whether the policy repository agrees with base, the policy commit the
 * store's chain anchored (docs/retention.md, "Holds cannot end behind
 * custos's back"): base is in the branch's history (or, with head given, is
 * compared with head alone), and every hold active at base is still there
 * and active at head (NULL: the branch's head), or was released by custos
 * (this session's release of `releasing`, or one the audit trail shows
 * custos began), with its query and recorded membership; with
 * CUSTOS_GUARD_MEMBERS each member file holds what both commits recorded.
 * fn (may be NULL) gets each disagreement, a sentence that says what to do.
 * @return CUSTOS_OK; CUSTOS_EPOLICY with s->err naming the first (and their
 *         number); CUSTOS_ENOMEM, CUSTOS_EIO. */
enum { CUSTOS_GUARD_MEMBERS = 1 };
int custos_lib__holds_guard(custos_session_t *s, custos_policy_t *p, const char *base,
                            const char *head, const char *releasing, unsigned flags,
                            custos_problem_fn fn, void *ctx);
/* The guard before a plan or a disposition run (what: "planning", named in
 * the refusal):
 * against the policy head custos anchored, or is about to anchor. */
int custos_lib__disposal_guard(custos_session_t *s, custos_policy_t *p, const char *what);
/* Records commit as the policy head the next anchor names, when it agrees
 * with the head recorded before (the guard, hold files only); otherwise the
 * anchor stays where it was, so the disagreement stays visible to plan,
 * apply and verify. releasing: the hold this session's commit released.
 * Never fails: the caller's outcome stands. */
void custos_lib__policy_advance(custos_session_t *s, custos_policy_t *p, const char *commit,
                                const char *releasing);
/* Appends "hold-release-begin" for name before the release is committed,
 * so a release cut short by a crash is still known as custos's own. */
int custos_lib__release_intent(custos_session_t *s, const char *name, const char *reason);

/* ---- shared helpers ----------------------------------------------------- */

/* Appends `"key":` and a JSON string to a JSON object being built. */
int custos_lib__json_kv(custos_buf_t *b, const char *key, const char *value);
/* Appends {"error": msg}, an audit entry's result of a failure. */
int custos_lib__json_error(custos_buf_t *b, const char *msg);
/* The status of a failed system call's errno (ENOENT: CUSTOS_ENOTFOUND,
 * ENOSPC: CUSTOS_ENOSPC, ...; CUSTOS_EIO for what has no better one). */
int custos_lib__errno_status(int e);
/* Appends the object {"key": value} (value a JSON string). */
int custos_lib__json_obj(custos_buf_t *b, const char *key, const char *value);
/* The query checker for the policy repository (ctx unused). */
int custos_lib__query_check(void *ctx, const char *q, char *msg, size_t cap);
/* Creates the policy repository of a new archive (policy.c). */
int custos_lib__policy_init(const char *dir, const char *actor, custos_err_t *err);
/* The index's path: <archive>/index. */
void custos_lib__index_path(char *out, size_t cap, const char *dir);

/* Thread roots: a record without a platform-named thread takes the root of
 * its in_reply_to chain, looked up in the store. The cache remembers recent
 * ids' roots so a stream of replies rarely reads the store. */
#define CUSTOS_ROOT_CACHE 4096
typedef struct {
	char *id[CUSTOS_ROOT_CACHE];
	char *root[CUSTOS_ROOT_CACHE];
	custos_record_t scratch;
	custos_buf_t buf;
} custos_root_cache_t;

void custos_lib__root_cache_init(custos_root_cache_t *c);
void custos_lib__root_cache_free(custos_root_cache_t *c);
/* Sets *root (borrowed from rec or the cache, valid until the next call) to
 * the thread root of rec, or NULL when rec starts no thread and is in none,
 * reading parents through st. */
int custos_lib__thread_root(custos_store_t *st, custos_root_cache_t *c,
                            const custos_record_t *rec, const char **root, custos_err_t *err);

/* Builds the index from the store: catches idx up from its watermark to the
 * store's last seq, through st, committing as it goes. When *stop (may be
 * NULL; read atomically) becomes non-zero, it commits what it has indexed
 * and returns early. */
int custos_lib__index_catch_up(custos_store_t *st, custos_index_t *idx, custos_root_cache_t *c,
                               custos_progress_fn progress, void *ctx, const int *stop,
                               uint64_t *indexed, custos_err_t *err);

/* Removes index.rebuild/ and index.old/, which an interrupted rebuild of an
 * earlier custos left beside the index with the words of records that may
 * have been disposed of since. The index service's open and every rebuild
 * call it, so a writer removes them before any disposition run. */
int custos_lib__index_remove_legacy(const char *dir, custos_err_t *err);

/* Builds a new generation of the index at <dir>/index from the store alone
 * (through st, in chunks) and publishes it; the old one serves searches
 * until the swap. The caller keeps every other writer of the index away. */
int custos_lib__index_rebuild(const char *dir, custos_store_t *st, custos_progress_fn progress,
                              void *ctx, uint64_t *indexed, custos_err_t *err);

/* Every record: the query language's match-all. */
#define CUSTOS_LIB_MATCH_ALL "*"

/* A set of records (id, seq, created_at): added to, then sorted by id with
 * duplicates dropped, then searched. A zeroed struct is empty. */
typedef struct {
	custos_index_ident_t *v;   /* malloc'd; the ids in arena */
	size_t n, cap;
	bool   sorted;
	custos_arena_t arena;
} custos_lib__ids_t;
int  custos_lib__ids_add(custos_lib__ids_t *s, const char *id, uint64_t seq, int64_t created_at);
void custos_lib__ids_sort(custos_lib__ids_t *s);
bool custos_lib__ids_has(const custos_lib__ids_t *s, const char *id);   /* once sorted */
void custos_lib__ids_free(custos_lib__ids_t *s);

/* A set of ids that keeps the order they came in, each looked up in
 * constant time (a conversation may have millions of records). A zeroed
 * struct is empty; custos_lib__idset_free (NULL-safe) releases it. */
typedef struct {
	char  **v;          /* in the order added; the strings in arena */
	size_t  n, cap;
	size_t *slot;       /* open addressing: index in v + 1, 0 when empty */
	size_t  nslot;      /* a power of two, at least twice n */
	custos_arena_t arena;
} custos_lib__idset_t;
/* Adds id unless it is there: 1 added, 0 there already, or CUSTOS_ENOMEM;
 * *at (may be NULL) its index in v. */
int    custos_lib__idset_add(custos_lib__idset_t *set, const char *id, size_t *at);
/* id's index in v, SIZE_MAX when it is not in the set. */
size_t custos_lib__idset_at(const custos_lib__idset_t *set, const char *id);
/* Forgets the ids after the first n (their strings stay until freed);
 * CUSTOS_ENOMEM leaves the set as it was. */
int    custos_lib__idset_truncate(custos_lib__idset_t *set, size_t n);
void   custos_lib__idset_free(custos_lib__idset_t *set);

/* A conversation's records as the index knows them, in the order found
 * (not sorted): each once, with the highest seq of its documents found and
 * the time of the lowest. */
typedef struct {
	const char *id;      /* in ids' arena */
	uint64_t    seq;
	int64_t     created_at;
	uint64_t    low_seq;
} custos_lib__member_t;
typedef struct {
	custos_lib__member_t *v;
	size_t n, cap;
	custos_lib__idset_t ids;   /* v[i].id is ids.v[i] */
} custos_lib__thread_t;
/* The records whose thread is root (root's own included), and, breadth
 * first, those whose thread is one of them: a reply indexed before its
 * parent was captured names the parent as its root. The members' threads
 * are read a batch at a time (custos_index_threads_each) and each record
 * looked up in a hash set, so that the cost follows the conversation's
 * size. When the index changes under a reading, the conversation is read
 * again whole (three times at most, then CUSTOS_EINDEX). On failure err
 * says why and out is empty. */
int  custos_lib__thread_members(custos_index_t *idx, const char *root, custos_lib__thread_t *out,
                                custos_err_t *err);
void custos_lib__thread_free(custos_lib__thread_t *t);   /* NULL-safe */

/* What active hold h covers now beyond its recorded members, added to out
 * (sorted on return): the records its query matches, the captured records
 * it lists, and for a hold with_thread the conversations of those not yet
 * members (members' conversations joined as they grew). */
int custos_lib__hold_current(custos_session_t *s, custos_policy_t *p, custos_store_t *st,
                             custos_index_t *idx, const custos_hold_t *h,
                             custos_lib__ids_t *out);

/* The session's error from a part's: the index's message prefixed by what,
 * the policy handle's message; each returns err. */
int custos_lib__index_fail(custos_session_t *s, custos_index_t *idx, int err, const char *what);
int custos_lib__policy_fail(custos_session_t *s, custos_policy_t *p, int err);
/* {"error": "<the session's message>"}: a failure's audit result. */
void custos_lib__error_result(custos_buf_t *b, custos_session_t *s);
/* Brings the index up to the store and pins a snapshot in which both agree:
 * what holds and plans run on. */
int custos_lib__caught_up(custos_session_t *s, custos_store_t **st, custos_index_t **idx);

/* The digest of disposition run `run` over the tombstones of ids that name
 * it (lib/runs.c says how), and how many versions those are. */
int custos_lib__run_digest(custos_session_t *s, custos_store_t *st, uint64_t run,
                           const char *const *ids, size_t n, char hex[CUSTOS_SHA256_HEX],
                           uint64_t *versions);
/* Checks every completed disposition run's audit entry against its
 * tombstones, and that every tombstone's run is in the audit trail; each
 * difference is one call of problem. *runs gets the runs checked. */
int custos_lib__runs_check(custos_session_t *s, uint64_t *runs,
                           void (*problem)(void *ctx, const char *msg), void *ctx);

/* Grows the membership of every active hold with what it covers among the
 * records of the index with seq > after (the cost follows the new records,
 * not the archive), checkpoints, audits ("hold-grow") and anchors. Takes
 * a->policy_mu. */
int custos_lib__holds_grow(custos_session_t *s, custos_store_t *st, custos_index_t *idx,
                           uint64_t after, uint64_t *added);

#endif
