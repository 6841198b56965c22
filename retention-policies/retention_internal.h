/* Shared between the files of retention-policies/: the policy handle, the
 * one place libgit2 errors are translated, commits, and hold checks. */
#ifndef CUSTOS_RETENTION_INTERNAL_H
#define CUSTOS_RETENTION_INTERNAL_H

#include "custos_retention.h"

#include <git2.h>
#include <sys/types.h>

/* A set of strings: open addressing with the hash kept beside each key, so
 * a probe touches a key only when the hashes agree; keys are copied into an
 * arena (one malloc per 8 KiB, not per key). */
typedef struct {
	uint64_t h;
	char    *k;
} custos_retention__slot_t;
typedef struct {
	custos_retention__slot_t *slots;
	size_t  cap, n;
	custos_arena_t keys;
} custos_retention__set_t;

/* Whether rule a of s overrides rule b (schedule.c; the parser uses it). */
bool custos_retention__overrides(const custos_schedule_t *s, size_t a, size_t b);

/* Frees one entry of a custos_policy_log_t and zeroes it (lists.c). */
void custos_retention__commit_free(custos_policy_commit_t *e);

int  custos_retention__set_add(custos_retention__set_t *s, const char *k, size_t n); /* 1 new, 0 present, <0 error */
bool custos_retention__set_has(const custos_retention__set_t *s, const char *k, size_t n);
void custos_retention__set_free(custos_retention__set_t *s);

/* What has been read of one hold's members file. Entries only grow, so a
 * cache is refreshed by reading what was appended since. */
typedef struct custos_retention__members {
	char    *name;
	char    *path;
	uint64_t n;                 /* complete entries read */
	off_t    bytes;             /* bytes of those entries */
	custos_sha256_ctx_t sha;    /* over those bytes */
	custos_retention__set_t pairs;  /* "<id> <sha256>" */
	custos_retention__set_t ids;
	custos_retention__set_t listed;  /* the ids the hold lists (holds/<name>.ids) */
	bool     listed_loaded;
	bool     verified;          /* the repository's anchor was checked */
	bool     corrupt;           /* the check failed: refuse until a new handle */
	struct custos_retention__members *next;
} custos_retention__members_t;

struct custos_policy {
	git_repository *repo;
	char *archive;              /* the archive directory */
	char *path;                 /* <archive>/policy */
	char *holds_dir;            /* <archive>/holds (member files) */
	custos_err_t err;
	custos_query_check_fn check;
	void *check_ctx;
	int lock_fd;                /* -1 unless this handle holds the lock */
	int lock_depth;
	bool writing;               /* custos.lock marks a write in progress */
	bool readonly;              /* CUSTOS_POLICY_READONLY: nothing is written */
	unsigned stale_removed;     /* lock files a killed writer left, removed */
	custos_policy_log_t foreign;
	custos_retention__members_t *members;
};

#define CUSTOS_POLICY_SCHEDULE "retention.yaml"
#define CUSTOS_POLICY_KNOWN_REF "refs/custos/known"
/* git notes saying when custos accepted each commit made outside it */
#define CUSTOS_POLICY_NOTES_REF "refs/notes/custos"

/* Translates a libgit2 failure (rc < 0) into a custos status with the
 * detail of git_error_last(), prefixed by what failed, kept in p->err. */
int custos_policy__git(custos_policy_t *p, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The repository lock (flock on <repo>/custos.lock), re-entrant per handle.
 * Lock also accepts commits made outside custos since the last look. */
int  custos_policy__lock(custos_policy_t *p);
void custos_policy__unlock(custos_policy_t *p);

/* Checks who makes a change and its message (custos_actor_parse,
 * custos_text_check) before anything is written. */
#define CUSTOS_POLICY_MESSAGE_MAX 65536
/* A hold's query and reasons, in bytes. */
#define CUSTOS_HOLD_TEXT_MAX 65536
/* A record id a hold lists, in bytes (a record's id is at most 400). */
#define CUSTOS_HOLD_ID_MAX 400
int custos_policy__change_check(custos_policy_t *p, const custos_policy_change_t *c);

/* Marks custos.lock before the first git write of a lock holder, so that a
 * holder after a crash knows the lock files it finds are stale. */
int custos_policy__mark_writing(custos_policy_t *p);

/* One file written or removed by a commit: data NULL removes path. */
typedef struct {
	const char *path;
	const void *data;
	size_t      len;
} custos_policy__file_t;

/* Commits files on top of HEAD (lock held). When the tree does not change,
 * no commit is made and out gets HEAD. */
int custos_policy__commit(custos_policy_t *p, const custos_policy__file_t *files, size_t n,
                          const custos_policy_change_t *c, const char *default_msg,
                          char out[CUSTOS_COMMIT_HEX]);

/* HEAD's commit id; CUSTOS_ENOTFOUND for an unborn branch. */
int custos_policy__head(custos_policy_t *p, git_oid *out);
/* Reads path in commit (NULL: HEAD) into out (appended). CUSTOS_ENOTFOUND
 * when absent; *blob_id (may be NULL) gets the blob's id. */
int custos_policy__read(custos_policy_t *p, const git_oid *commit, const char *path,
                        custos_buf_t *out, git_oid *blob_id);
/* The newest commit at or before commit (first-parent) in which path was
 * last changed (added or modified). CUSTOS_ENOTFOUND when path is absent. */
int custos_policy__last_change(custos_policy_t *p, const git_oid *commit, const char *path,
                               git_oid *out, int64_t *time_ms);
int custos_policy__resolve_oid(custos_policy_t *p, const char *spec, git_oid *out);

/* Checks the hold files of tree, and against known_tree (may be NULL) that
 * no active hold vanished, changed its query or lost anchored members.
 * Fills why on failure and returns CUSTOS_EPOLICY. */
int custos_policy__check_holds(custos_policy_t *p, git_tree *tree, git_tree *known_tree,
                               char *why, size_t cap);
/* Frees the member caches. */
void custos_policy__members_free(custos_policy_t *p);

#endif
