/* custos retention-policies: the policy repository (a git repository inside
 * the archive holding the retention schedule, the legal holds and the policy
 * documents), the schedule's parser and retention arithmetic, and the
 * durable membership of legal holds. docs/retention.md explains the design.
 *
 * What the disposition run (lib/) does with this part:
 *   1. custos_policy_schedule_at_time(p, as_of) the schedule in force + s->commit,
 *                                               the commit to name in the plan
 *   2. for each rule, evaluate rule->match through the indexer (match_all: every record)
 *   3. custos_schedule_expiry(...)              per record: the longest retain of
 *                                               the rules that match it
 *   4. for each active hold (custos_hold_list): run its query and
 *      custos_hold_add_members(matches); then custos_holdset_load() and
 *      custos_holdset_covers(id) per record; custos_hold_checkpoint() after.
 *
 * Every call that commits returns the commit id: the caller writes the audit
 * entry. After custos_policy_open, the caller audits custos_policy_foreign().
 * All strings in returned structs belong to them until their *_free().
 *
 * In the custos binary this part is the policy module (Makefile, "Modules"),
 * loaded by the first call that needs libgit2 or libyaml (lib/policy_load.c);
 * durations, expiry and the warnings (schedule.c) and the *_free() functions
 * (lists.c) are in the binary itself and load nothing.
 */
#ifndef CUSTOS_RETENTION_H
#define CUSTOS_RETENTION_H

#include "custos_common.h"
#include "custos_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Query validation is the indexer's business: the caller passes its parser
 * in. Returns 0 when q is a valid query; otherwise non-zero with a short
 * reason in msg (cap bytes, NUL-terminated). */
typedef int (*custos_query_check_fn)(void *ctx, const char *q, char *msg, size_t cap);

/* ===========================================================================
 * Retention durations and the schedule (retention.yaml). No git here: these
 * work on text, so the CLI can check a file before committing it.
 */

/* Parses "90d", "6m", "7y" or "forever" (ASCII, no spaces). CUSTOS_EFORMAT
 * otherwise, or when N is above 3650000d / 120000m / 10000y. */
int custos_retain_parse(custos_retain_t *out, const char *s);

/* The instant (ms UTC) at which something that started at from_ms has been
 * kept for r: days are 86,400 s; months and years are calendar steps in UTC
 * that keep the time of day. When the day does not exist in the target
 * month (2020-02-29 + 1y, 2021-01-31 + 1m) the expiry moves forward to the
 * first day of the next month (2021-03-01), never back: the record is kept at
 * least the full period under any reading. CUSTOS_EXPIRY_NEVER for forever
 * (and for from_ms == CUSTOS_TIME_NONE: an unknown start never expires). */
int64_t custos_retain_expiry(int64_t from_ms, custos_retain_t r);


/* Parses and validates a retention.yaml text. check (may be NULL: no query
 * checking) is called for every match except "*". On failure *out is NULL,
 * the status is CUSTOS_EFORMAT and err->msg lists the problems, one a line,
 * the first first, each as "retention.yaml:LINE:COL: problem" (YAML syntax
 * errors, unknown fields, unparseable durations, duplicate rule names,
 * invalid queries, a missing match-all rule). CUSTOS_ETOOBIG over
 * CUSTOS_SCHEDULE_MAX (1 MiB). */
int  custos_schedule_parse(custos_schedule_t **out, const char *text, size_t n,
                           custos_query_check_fn check, void *check_ctx, custos_err_t *err);

/* Given the indices (into s->rules) of the rules whose queries match a record,
 * picks the rule that decides its retention: a matching rule that another
 * matching rule overrides (`overrides:`) is set aside; of the others, the one
 * that keeps it longest (the latest expiry; on a tie the first in file
 * order). Returns its index in *out_rule and its expiry in *out_expiry.
 * CUSTOS_EINVAL when n is 0 or an index is out of range. A schedule always
 * has a match-all rule, so n is never 0 in practice. */
int custos_schedule_expiry(const custos_schedule_t *s, const size_t *rules, size_t n,
                           int64_t created_at, int64_t captured_at,
                           size_t *out_rule, int64_t *out_expiry);

/* Appends to out one line for every rule of s that can never decide a
 * record, naming the rule that shadows it:
 * "retention.yaml:LINE: rule 'chat' can never decide a record: ...". A rule
 * is shadowed by another that matches every record it matches (a match of
 * "*", or the same query) and always wins over it: overrides it, or keeps
 * every record at least as long (later in the file: longer) without being
 * overridden itself, and with the same `from`. Queries are compared as
 * text: other overlaps are not found. CUSTOS_ENOMEM or CUSTOS_OK. */
int custos_schedule_warnings(const custos_schedule_t *s, custos_buf_t *out);

/* ===========================================================================
 * The policy repository: <archive>/policy, a bare git repository (git clone
 * and git log work on it; people change it by cloning and pushing back).
 * Every change is one commit on the branch HEAD names, author = the actor.
 */
typedef struct custos_policy custos_policy_t;

enum {
	CUSTOS_POLICY_CREATE = 1 << 0,  /* create the repository when absent (custos init) */
	CUSTOS_POLICY_READONLY = 1 << 1 /* write nothing (a read-only medium, verify): no
	                                 * lock, no recovery; commits made outside custos
	                                 * are checked as at any open but not accepted
	                                 * (custos_policy_foreign stays empty); every
	                                 * change is CUSTOS_EINVAL */
};

typedef struct {
	unsigned flags;
	/* The indexer's parser. NULL: queries are not checked; the archive
	 * layer should always pass it, since commits made outside custos are
	 * checked once, by the open that accepts them. */
	custos_query_check_fn check_query;
	void *check_ctx;
	const char *actor;                  /* author of the initial commit; NULL: "custos" */
	int64_t when;                       /* time of the initial commit, ms; 0: now */
} custos_policy_opts_t;
#define CUSTOS_POLICY_OPTS_INIT { 0, NULL, NULL, NULL, 0 }

/* Who makes a change and why. A zeroed struct is valid. */
typedef struct {
	const char *actor;     /* author name; NULL: "custos" */
	const char *message;   /* commit message; NULL: a message naming the change */
	int64_t     when;      /* commit time, ms; 0: now (tests pin it) */
} custos_policy_change_t;


/* Opens (or with CUSTOS_POLICY_CREATE creates: a bare repository with one
 * commit holding a README, no schedule yet) the policy repository of the
 * archive at archive_dir. Commits made behind custos's back since the last
 * one custos made or accepted are checked: when HEAD's tree is valid (the
 * schedule parses, every hold file is well-formed, no active hold vanished
 * or lost its query, none is dated more than an hour ahead) they are
 * accepted, each gets a git note on refs/notes/custos saying when, and
 * custos_policy_foreign() lists them;
 * otherwise the open fails with CUSTOS_EPOLICY naming the commit and the
 * problem, and nothing is changed. When the commit custos last knew is no
 * longer in HEAD's history (history rewritten), the open fails too; that
 * commit stays reachable through refs/custos/known, so nothing is lost.
 * CUSTOS_ENOTFOUND when there is no repository and CREATE is not given. */
int  custos_policy_open(custos_policy_t **out, const char *archive_dir,
                        const custos_policy_opts_t *opts, custos_err_t *err);
void custos_policy_free(custos_policy_t *p);                /* NULL-safe */
/* Detail of the last failure; borrowed, valid until the next call on p. */
const custos_err_t *custos_policy_err(const custos_policy_t *p);
/* Path of the repository; borrowed, valid until custos_policy_free. */
const char *custos_policy_path(const custos_policy_t *p);
/* Commits accepted because they were made outside custos (at open, or found
 * by a later change under the lock); borrowed from p, newest first; the list
 * only grows during p's life. The caller audits them. */
const custos_policy_log_t *custos_policy_foreign(const custos_policy_t *p);

/* Resolves spec to a commit: NULL or "" is HEAD; a date (anything
 * custos_time_parse reads; a bare date is midnight UTC, so "--at 2024-05-01"
 * means the start of that day) gives the commit in force then: the newest of
 * HEAD's first-parent history whose effective time is at or before it (a
 * commit's effective time is the latest committer time of it and its
 * ancestors and, for a commit made outside custos, no earlier than when
 * custos accepted it (noted in refs/notes/custos): so a commit backdated by
 * hand, or pushed days after it was made, never takes effect before custos
 * could know it); otherwise a revision (full or abbreviated id,
 * "HEAD~2", a branch name). CUSTOS_ENOTFOUND when nothing fits (a date before
 * the first commit). */
int custos_policy_resolve(custos_policy_t *p, const char *spec, char out[CUSTOS_COMMIT_HEX]);

/* Validates yaml (custos_schedule_parse with the open's query check) and
 * commits it as retention.yaml. Nothing is committed when it is invalid
 * (CUSTOS_EFORMAT, lines in the error). Setting the same text again makes no
 * commit and returns the current HEAD. out_commit may be NULL. */
int custos_policy_set(custos_policy_t *p, const char *yaml, size_t n,
                      const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);

/* The schedule in force at spec (see custos_policy_resolve; NULL = now), with
 * s->commit the commit that last changed retention.yaml at or before it.
 * CUSTOS_ENOTFOUND when no schedule was set by then. */
int custos_policy_schedule_at(custos_policy_t *p, const char *spec, custos_schedule_t **out);
/* The same for an instant (ms UTC): what a disposition run as of ms uses. */
int custos_policy_schedule_at_time(custos_policy_t *p, int64_t ms, custos_schedule_t **out);

/* The history of HEAD (first-parent), newest first. */
int custos_policy_log(custos_policy_t *p, custos_policy_log_t *out);

/* Unified diff (git's patch format) of every file between two commits
 * (specs as custos_policy_resolve), appended to out. */
int custos_policy_diff(custos_policy_t *p, const char *a, const char *b, custos_buf_t *out);

/* Takes (and gives back) a reference on the git library for a process
 * whose threads open policy repositories: hold it while they run. */
int  custos_policy_lib_hold(void);
void custos_policy_lib_release(void);

/* Whether commit (40 hex digits) is the branch's head or in its history:
 * *in says. CUSTOS_ENOTFOUND (p's error says so) when the commit object is
 * not in the repository (deleted, or never there); CUSTOS_EINVAL for a
 * malformed id. */
int custos_policy_contains(custos_policy_t *p, const char *commit, bool *in);
/* The branch's head commit. CUSTOS_ENOTFOUND when it has none. */
int custos_policy_head(custos_policy_t *p, char out[CUSTOS_COMMIT_HEX]);

/* Reads back every commit, tree and blob reachable from the branch,
 * refs/custos/known and the acceptance notes (libgit2 checks each object's
 * hash as it reads it) and checks that refs/custos/known is there. fn (may
 * be NULL) is called with each problem, a sentence naming the object by its
 * path and commit; *objects (may be NULL) gets how many objects were read.
 * @return CUSTOS_OK, CUSTOS_ECORRUPT when problems were found, or
 *         CUSTOS_ENOMEM. */
int custos_policy_check(custos_policy_t *p, custos_problem_fn fn, void *ctx, uint64_t *objects);
/* When custos accepted commit (40 hex digits) as made outside it (its note
 * on refs/notes/custos), in ms. CUSTOS_ENOTFOUND for a commit without one
 * (custos made it, or never accepted it). */
int custos_policy_accepted_at(custos_policy_t *p, const char *commit, int64_t *ms);

/* ---------------------------------------------------------------------------
 * Policy documents: any file, stored as docs/<name>. A name is 1-200 bytes
 * of UTF-8 without '/', '\\', control characters or a leading '.'. A
 * document is at most CUSTOS_POLICY_DOC_MAX bytes (CUSTOS_ETOOBIG): the
 * repository holds policies and memos, and git keeps every version whole.
 */
#define CUSTOS_POLICY_DOC_MAX (64u << 20)
/* The largest retention.yaml custos_schedule_parse reads. */
#define CUSTOS_SCHEDULE_MAX (1u << 20)

/* Reads the file at path for a policy change (a schedule or a document),
 * appending its bytes to out. Only a regular file is read, and never
 * through a symbolic link as its last component (O_NOFOLLOW): a link to
 * /etc/shadow, a device such as /dev/zero, a FIFO or a directory is
 * CUSTOS_EINVAL, since its bytes would be committed for anyone who can
 * read the repository. Over max bytes (by its size, or by what a file
 * growing while read yields) is CUSTOS_ETOOBIG; nothing is appended then.
 * err gets the detail, naming path. */
int custos_policy_file_read(const char *path, size_t max, custos_buf_t *out, custos_err_t *err);

int custos_policy_doc_add(custos_policy_t *p, const char *name, const void *data, size_t n,
                          const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);

/* Every document now, sorted by name. */
int  custos_policy_doc_list(custos_policy_t *p, custos_policy_docs_t *out);
/* The document's bytes as of spec (NULL = now), appended to out.
 * CUSTOS_ENOTFOUND when it did not exist then. */
int  custos_policy_doc_get(custos_policy_t *p, const char *name, const char *spec,
                           custos_buf_t *out);


/* ===========================================================================
 * Legal holds. Each is holds/<name>.json in the repository; creating and
 * releasing are commits, and a released hold's file stays (status
 * "released"). Membership (the record ids and content hashes a hold covers)
 * is an append-only file <archive>/holds/<name>.members outside git, one
 * "<id> <sha256>" line per entry, fsynced before an add returns; the hold's
 * file in git anchors it with the count and SHA-256 of its first entries,
 * committed at create, release and custos_hold_checkpoint. Loading checks the
 * anchor, so a membership that shrank behind custos's back is CUSTOS_ECORRUPT.
 * A hold name is 1-100 of [A-Za-z0-9._-], not starting with '.'.
 */
typedef struct {
	const char *id;             /* record id */
	const char *sha256;         /* the version's content hash, 64 hex digits */
} custos_hold_member_t;

/* What a hold covers, besides its members: the records a query matches,
 * now and later; the record ids it lists, captured yet or not (committed as
 * holds/<name>.ids, one a line, sorted, anchored in the hold's file by their
 * count and SHA-256); and with with_thread, every record of the
 * conversation of each record it covers (the caller records them as
 * members: this part knows no threads). At least a query or one id. */
typedef struct {
	const char *query;             /* NULL or "" with ids */
	const char *reason;            /* may be NULL */
	const char *const *ids;        /* 1-400 bytes of UTF-8 each, no white space or
	                                * control character; duplicates count once */
	size_t      n_ids;             /* at most CUSTOS_HOLD_IDS_MAX */
	bool        with_thread;
} custos_hold_def_t;
#define CUSTOS_HOLD_IDS_MAX 1000000

/* Creates an active hold (CUSTOS_EEXISTS when the name is taken, even by a
 * released hold; CUSTOS_EINVAL for a bad name or id, or neither query nor
 * ids; CUSTOS_EFORMAT when the query check refuses the query) with its
 * initial members, and commits it. */
int custos_hold_place(custos_policy_t *p, const char *name, const custos_hold_def_t *def,
                      const custos_hold_member_t *members, size_t n,
                      const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);
/* custos_hold_place with a query and a reason alone. */
int custos_hold_create(custos_policy_t *p, const char *name, const char *query,
                       const char *reason, const custos_hold_member_t *members, size_t n,
                       const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);
/* Releases an active hold: its file records who, when and why, and the final
 * membership anchor. CUSTOS_ENOTFOUND, or CUSTOS_EINVAL when already released
 * or the reason is empty. */
int custos_hold_release(custos_policy_t *p, const char *name, const char *reason,
                        const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);
/* Every hold in HEAD (active and released), with member counts. */
int custos_hold_list(custos_policy_t *p, custos_holds_t *out);
/* One hold: out->n == 1. CUSTOS_ENOTFOUND when there is none by that name. */
int custos_hold_get(custos_policy_t *p, const char *name, custos_holds_t *out);

/* Records that records joined an active hold (pairs already recorded are
 * skipped; *added, may be NULL, says how many were new). Durable when it
 * returns. CUSTOS_EINVAL for a released hold or a malformed hash. */
int custos_hold_add_members(custos_policy_t *p, const char *name,
                            const custos_hold_member_t *members, size_t n, size_t *added);
/* Calls fn for every member entry of the hold in the order recorded; fn
 * returns non-zero to stop (that value is returned). */
typedef int (*custos_hold_member_fn)(void *ctx, const char *id, const char *sha256);
int custos_hold_members(custos_policy_t *p, const char *name, custos_hold_member_fn fn, void *ctx);
/* Calls fn with each id hold name lists (custos_hold_def_t.ids), in order
 * (fn's sha256 is NULL); fn returns non-zero to stop (returned). The list
 * is checked against its anchor first (CUSTOS_ECORRUPT). */
int custos_hold_listed(custos_policy_t *p, const char *name, custos_hold_member_fn fn,
                       void *ctx);
/* Whether record id is among the members of hold name (any version), or
 * among the ids it lists; false for an unknown hold. */
bool custos_hold_has_member(custos_policy_t *p, const char *name, const char *id);
bool custos_hold_lists(custos_policy_t *p, const char *name, const char *id);
/* Commits the membership anchor of every active hold whose member file grew
 * since its last anchor (one commit; none when nothing grew). out_commit may
 * be NULL; it is "" when no commit was made. */
int custos_hold_checkpoint(custos_policy_t *p, const custos_policy_change_t *c,
                           char out_commit[CUSTOS_COMMIT_HEX]);

/* The members of every active hold, loaded for fast lookups during a
 * disposition run. The set borrows the handle's member caches: free it
 * before p. Members added through p after loading are seen by lookups of
 * holds the set already has. */
typedef struct custos_holdset custos_holdset_t;
int  custos_holdset_load(custos_holdset_t **out, custos_policy_t *p);
/* How many active holds cover record id (any version): as a member, or
 * listed by the hold; when names is not NULL, up to cap of their names are
 * stored there (borrowed from s). */
size_t custos_holdset_covers(const custos_holdset_t *s, const char *id,
                             const char **names, size_t cap);
void custos_holdset_free(custos_holdset_t *s);              /* NULL-safe */

/* ---------------------------------------------------------------------------
 * Holds against an earlier commit. What custos committed or accepted last is
 * anchored outside the repository (the store's record chain); a hold ends
 * only through custos_hold_release, whatever is pushed to the repository
 * (docs/retention.md, "Holds cannot end behind custos's back").
 */
typedef enum {
	CUSTOS_HOLD_REMOVED = 1,   /* active at base, its file gone at head */
	CUSTOS_HOLD_RELEASED,      /* active at base, released at head (by custos or not:
	                            * the caller knows which releases custos made) */
	CUSTOS_HOLD_REQUERIED,     /* active at base, another query at head */
	CUSTOS_HOLD_SHRUNK,        /* its membership anchor lower at head (or equal with
	                            * another digest) */
	CUSTOS_HOLD_REACTIVATED,   /* released at base, active at head */
	CUSTOS_HOLD_UNREADABLE,    /* its file at head does not parse */
	CUSTOS_HOLD_MEMBERS        /* its member file disagrees with an anchor: entries
	                            * missing or changed */
} custos_hold_change_t;
/* why is a sentence naming the file and the change, borrowed for the call;
 * returns non-zero to stop (that value is returned). */
typedef int (*custos_hold_change_fn)(void *ctx, custos_hold_change_t what, const char *name,
                                     const char *why);
enum {
	CUSTOS_HOLDS_MEMBERS = 1   /* also check each member file at head against the
	                            * anchors of head and base (reads every member file) */
};
/* Compares the hold files at commit base (40 hex digits) with those at head
 * (NULL: the branch's head) and calls fn with each change a hold may not
 * undergo but through custos (a release is reported too: the caller decides
 * whether custos made it). Only files that differ are parsed, so without
 * CUSTOS_HOLDS_MEMBERS the cost follows the holds that changed.
 * @return CUSTOS_OK, what fn returned, or a failure to read the commits
 *         (CUSTOS_ENOTFOUND, CUSTOS_EPOLICY with p's error naming it). */
int custos_holds_compare(custos_policy_t *p, const char *base, const char *head, unsigned flags,
                         custos_hold_change_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
