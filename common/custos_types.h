/* custos vocabulary: the data types that the parts produce and the faces
 * read through the library API (lib/custos.h): the retention schedule, the
 * policy repository's history and documents, legal holds, store statistics,
 * verification counts and quarantine entries. Only types and the functions
 * that free them; the functions that make them belong to the parts. */
#ifndef CUSTOS_TYPES_H
#define CUSTOS_TYPES_H

#include "custos_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Retention schedule and policy repository (retention-policies/).
 */

/* A git object id in hex: 40 digits and NUL. */
#define CUSTOS_COMMIT_HEX 41

typedef enum {
	CUSTOS_RETAIN_DAYS = 1,
	CUSTOS_RETAIN_MONTHS,
	CUSTOS_RETAIN_YEARS,
	CUSTOS_RETAIN_FOREVER
} custos_retain_unit_t;

typedef struct {
	custos_retain_unit_t unit;
	int32_t n;                 /* 0 for FOREVER */
} custos_retain_t;

/* The instant a rule counts from. */
typedef enum {
	CUSTOS_FROM_CREATED = 0,   /* the record's created_at (default) */
	CUSTOS_FROM_CAPTURED = 1   /* when custos captured it */
} custos_retain_from_t;

/* Expiry of CUSTOS_RETAIN_FOREVER. */
#define CUSTOS_EXPIRY_NEVER INT64_MAX

typedef struct {
	char   *name;          /* unique within the schedule */
	char   *match;         /* query text; "*" is every record */
	char   *description;   /* or NULL */
	custos_retain_t retain;
	custos_retain_from_t from;
	bool    match_all;     /* match is "*" */
	int     line;          /* 1-based line of the rule in retention.yaml */
	size_t *overrides;     /* indices of the rules this one decides over when both match
	                        * (`overrides:`), n_overrides of them; NULL when none */
	size_t  n_overrides;
} custos_rule_t;

typedef struct {
	int     version;       /* the schedule's `version:` (1 when absent) */
	char   *description;   /* or NULL */
	custos_rule_t *rules;  /* in file order */
	size_t  n_rules;
	/* Set by custos_policy_schedule_at; "" / CUSTOS_TIME_NONE after parse. */
	char    commit[CUSTOS_COMMIT_HEX]; /* the commit that last changed retention.yaml */
	int64_t commit_time;   /* its committer time, ms */
	char   *text;          /* the YAML text, NUL-terminated */
	size_t  text_len;
	custos_arena_t arena;  /* owns every string above */
} custos_schedule_t;

void custos_schedule_free(custos_schedule_t *s);            /* NULL-safe */

/* One commit, as log and the foreign-commit report show it. */
typedef struct {
	char     id[CUSTOS_COMMIT_HEX];
	int64_t  time;         /* committer time, ms */
	char    *author;       /* name */
	char    *email;
	char    *message;      /* whole message, trailing newline removed */
	char   **changes;      /* "M retention.yaml", "A holds/x.json", ... vs first parent */
	size_t   n_changes;
} custos_policy_commit_t;

typedef struct {
	custos_policy_commit_t *v;   /* newest first */
	size_t n;
} custos_policy_log_t;
void custos_policy_log_free(custos_policy_log_t *l);        /* NULL-safe; zeroes it */

typedef struct {
	char    *name;
	uint64_t size;
	char     commit[CUSTOS_COMMIT_HEX];  /* last commit that changed it */
	int64_t  time;                       /* that commit's time, ms */
} custos_policy_doc_t;
typedef struct {
	custos_policy_doc_t *v;   /* sorted by name */
	size_t n;
} custos_policy_docs_t;
void custos_policy_docs_free(custos_policy_docs_t *d);      /* NULL-safe; zeroes it */

/* A legal hold (docs/retention.md). */
typedef struct {
	char    *name;
	char    *query;             /* "" for a hold by id list alone */
	char    *reason;            /* "" when none given */
	int64_t  created_at;        /* ms */
	char    *created_by;
	bool     active;
	int64_t  released_at;       /* CUSTOS_TIME_NONE while active */
	char    *released_by;       /* NULL while active */
	char    *release_reason;    /* NULL while active */
	bool     with_thread;       /* covers each covered record's whole conversation too */
	uint64_t listed;            /* record ids listed by the hold (holds/<name>.ids), held
	                             * whether captured yet or not; 0 for none */
	uint64_t members;           /* entries recorded now (id, content hash pairs) */
	uint64_t member_ids;        /* distinct record ids among them */
	uint64_t members_anchored;  /* entries the repository's anchor covers */
	char     commit[CUSTOS_COMMIT_HEX];  /* last commit that changed the hold's file */
} custos_hold_t;

typedef struct {
	custos_hold_t *v;           /* sorted by name */
	size_t n;
	custos_arena_t arena;
} custos_holds_t;
void custos_holds_free(custos_holds_t *h);                  /* NULL-safe; zeroes it */

/* "90d", "7y", "forever". out holds at least 16 bytes. */
void custos_retain_format(char *out, size_t cap, custos_retain_t r);

/* ---------------------------------------------------------------------------
 * Store statistics, verification and quarantine (archiver/).
 */
typedef struct {
	char     platform[32];
	uint64_t records, versions;   /* live: as custos_store_stats_t */
	uint64_t tombstones, disposed_records;
	uint64_t raw_bytes, stored_bytes;
} custos_platform_stats_t;

typedef struct {
	uint64_t records;          /* live records: distinct ids with a version not disposed of */
	uint64_t versions;         /* live versions, all ids */
	uint64_t disposed_records; /* records every version of which was disposed of */
	/* tombstones (below): the versions disposed of; records + disposed_records
	 * ids were ever stored, versions + tombstones versions */
	uint64_t deleted_upstream; /* records whose latest version is marked deleted */
	uint64_t raw_bytes;        /* original capture bytes + normalized JSON, all versions */
	uint64_t stored_bytes;     /* stored record values: header + compressed, encrypted payload */
	uint64_t file_bytes;       /* the store's files' sizes (st_size of data.mdb + key files) */
	uint64_t disk_bytes;       /* what they take on disk (st_blocks x 512): less than
	                            * file_bytes where the key files have holes (shredded
	                            * slots given back), more by the file system's rounding */
	uint64_t blobs, blob_bytes;/* distinct blobs and their original size */
	uint64_t quarantined, tombstones, dictionaries;
	uint64_t last_seq;
	custos_platform_stats_t *platforms;   /* sorted by name; free with custos_store_stats_free */
	size_t   n_platforms;
} custos_store_stats_t;

void custos_store_stats_free(custos_store_stats_t *s);    /* frees platforms; NULL-safe */

/* What the store's verification went through: live records (distinct ids)
 * and versions, as custos_store_stats_t counts them, and the rest. */
typedef struct {
	uint64_t records, versions, blobs, tombstones, quarantined, dictionaries;
	uint8_t  chain[CUSTOS_SHA256_LEN];     /* recomputed record chain head */
	uint64_t problems;                     /* problems found (0: the store verifies) */
} custos_verify_summary_t;
/* Progress of long work: done of total (0 when unknown). */
typedef void (*custos_progress_fn)(void *ctx, uint64_t done, uint64_t total);
/* A problem a verification found: one sentence naming what is damaged
 * ("record x:12 version 2 (seq 17): content hash mismatch"), borrowed for
 * the call. */
typedef void (*custos_problem_fn)(void *ctx, const char *problem);

/* A quarantined item. */
typedef struct {
	uint64_t n;                 /* 1-based quarantine number */
	char     file[1024];
	int64_t  offset, line;
	char     reason[512];
	int64_t  at;                /* ms */
	size_t   raw_len;
} custos_quarantine_entry_t;

/* ---------------------------------------------------------------------------
 * Search order and facets (indexer/).
 */
typedef enum {
	CUSTOS_SORT_RELEVANCE = 0,
	CUSTOS_SORT_DATE      = 1,   /* oldest first */
	CUSTOS_SORT_DATE_DESC = 2    /* newest first ("-date") */
} custos_sort_t;

/* Facet fields, as bits for search options and as indexes into results. */
typedef enum {
	CUSTOS_FACET_PLATFORM = 0,
	CUSTOS_FACET_ACCOUNT  = 1,
	CUSTOS_FACET_AUTHOR   = 2,
	CUSTOS_FACET_YEAR     = 3,
	CUSTOS_FACET_MONTH    = 4,
	CUSTOS_FACET_TAG      = 5,   /* a matter's review tags: counted by lib/, not the index */
	CUSTOS_FACET_COUNT    = 6
} custos_facet_field_t;
#define CUSTOS_FACET_BIT(f) (1u << (f))

/* How a query is read (docs/query-language.md). */
enum {
	CUSTOS_QUERY_DTSEARCH = 1,  /* lower-case and, or, not are operators too */
	CUSTOS_QUERY_ACCENTS  = 2   /* words match whatever their accents (cafe: café) */
};

/* The search-term report: for each query (a line of a terms file), the
 * records it hits, those no other line hits, the records of the threads its
 * hits belong to (family), and its hits per account and per platform. A
 * query that cannot run is reported in its own entry (status, error) while
 * the others still run; the report is then incomplete. */
typedef struct {
	const char *key;         /* account or platform */
	uint64_t hits;
} custos_term_count_t;

typedef struct {
	int      status;         /* CUSTOS_OK, or why this line did not run */
	const char *error;       /* the message when status < 0, else "" */
	uint64_t hits, unique, family;
	custos_term_count_t *by_account;    /* most hits first, then by key */
	size_t   n_accounts;
	custos_term_count_t *by_platform;
	size_t   n_platforms;
} custos_term_t;

typedef struct {
	custos_term_t *terms;    /* one per query, in order */
	size_t   n;
	uint64_t distinct;       /* records hit by any query that ran */
	int      incomplete;     /* some query did not run */
	custos_arena_t arena;    /* owns everything above */
} custos_term_report_t;

#ifdef __cplusplus
}
#endif
#endif
