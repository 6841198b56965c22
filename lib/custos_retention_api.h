/* The archive API of issue 5: the policy repository, legal holds and
 * disposition, tying retention-policies/ to the store and the index.
 * Included by custos.h; docs/retention.md explains the design. */
#ifndef CUSTOS_RETENTION_API_H
#define CUSTOS_RETENTION_API_H

#include "custos_common.h"
#include "custos_retention.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct custos_archive custos_archive_t;

/* Opens the archive's policy repository with the indexer's query check, and
 * audits ("policy-accept") every commit it accepted as made outside custos.
 * Free with custos_policy_free. Failures are in the archive's error. */
int custos_archive_policy_open(custos_archive_t *a, custos_policy_t **out);

/* The query checker to pass as custos_policy_opts_t.check_query (ctx unused). */
int custos_archive__query_check(void *ctx, const char *q, char *msg, size_t cap);

/* ---- legal holds --------------------------------------------------------- */

/* Creates hold name over query: its first members are every record the query
 * matches now (through the index at <archive>/index). *matched (may be NULL)
 * gets how many: 0 is allowed (the caller warns). Audited ("hold-create").
 * Open the archive for writing (the CLI waits for the lock): holding the
 * writer lock is what keeps a new hold from landing in the middle of a
 * disposition run that planned without it. */
int custos_archive_hold_create(custos_archive_t *a, const char *name, const char *query,
                               const char *reason, uint64_t *matched,
                               char commit[CUSTOS_COMMIT_HEX]);
/* Releases an active hold (reason required). Audited ("hold-release"). */
int custos_archive_hold_release(custos_archive_t *a, const char *name, const char *reason,
                                char commit[CUSTOS_COMMIT_HEX]);

/* Runs every active hold's query through the index and records the records
 * it matches that are not members yet (id + content hash), so membership
 * grows with the archive and never shrinks while the hold is active; then
 * checkpoints the membership anchors (one commit when any grew). The ingest
 * pipeline calls this after indexing; apply calls it before planning.
 * *added (may be NULL) gets the new member entries. Audited when it adds. */
int custos_archive_holds_refresh(custos_archive_t *a, uint64_t *added);

/* A record a hold covers: by its membership file, its current query, or both. */
typedef struct {
	char    *id;
	int64_t  created_at;        /* CUSTOS_TIME_NONE when it is no longer indexed */
	bool     member;            /* recorded in the membership file */
	bool     matches;           /* the hold's query matches it now */
} custos_hold_record_t;

typedef struct {
	custos_holds_t holds;       /* the holds (as custos_hold_list) */
	uint64_t *covers;           /* per hold: distinct records covered now */
	/* for custos_archive_hold_records only: the one hold's records, by id */
	custos_hold_record_t *v;
	size_t n;
	custos_arena_t arena;
} custos_hold_report_t;
void custos_hold_report_free(custos_hold_report_t *r);   /* NULL-safe; zeroes it */

/* Every hold with how many records it covers now (members and current query
 * matches, counted once). Audited ("hold-list"). */
int custos_archive_hold_list(custos_archive_t *a, custos_hold_report_t *out);
/* One hold with its records. CUSTOS_ENOTFOUND. Audited ("hold-show"). */
int custos_archive_hold_records(custos_archive_t *a, const char *name,
                                custos_hold_report_t *out);

/* ---- disposition --------------------------------------------------------- */

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
 * hold (membership or current query), with the deciding rule and the policy
 * commit. CUSTOS_ENOTFOUND when no schedule was in force then. Audited
 * ("retention-plan"). */
int custos_archive_retention_plan(custos_archive_t *a, int64_t as_of,
                                  custos_retention_plan_t **out);

typedef struct {
	uint64_t records, versions, blobs, dictionaries, recompressed;
	uint64_t trained;           /* new dictionaries trained on live records */
	uint64_t index_deleted;
	double   plan_seconds, dispose_seconds, index_seconds;
} custos_retention_apply_t;

/* Disposes of exactly what the plan as of as_of lists now (out_plan, may be
 * NULL, receives it). Needs the archive open for writing. Refuses with
 * CUSTOS_ELAG while the index is behind the store, CUSTOS_EINVAL for an
 * as_of in the future. Holds are refreshed first. Records go in batches of
 * a few thousand (custos_store_dispose), their index documents are deleted
 * after each batch, and the index is compacted at the end, so no text stays
 * in its free blocks. Audited ("retention-apply": counts per rule, commit,
 * as-of). */
int custos_archive_retention_apply(custos_archive_t *a, int64_t as_of,
                                   custos_retention_plan_t **out_plan,
                                   custos_retention_apply_t *out);

#ifdef __cplusplus
}
#endif
#endif
