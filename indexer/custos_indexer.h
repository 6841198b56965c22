/* custos indexer: the search index over the store (a Xapian glass database in
 * <archive>/index), the query language, search with facets and snippets, and
 * the match sets that holds, retention and term reports need.
 *
 * The index is derived: every record version the indexer is given is a
 * document of its own (numbered by its store sequence number), so each
 * version is found by its own words, while counts, totals, match lists and
 * term reports count records (a record matched by two of its versions counts
 * once and lists both). The index keeps a watermark (the last store sequence
 * number it holds) written in the same commit as the documents. The indexer
 * never reads or writes the store; callers feed it records and, for
 * snippets, hand it the text through a callback.
 *
 * On disk (<archive>/index): partitions by the year of created_at
 * ("undated" for records without one), each split into the same number of
 * hash shards, in <year>-<G>/shard<i>; a MANIFEST names each partition's
 * generation G, the shard count, the watermarks and the partitions owing a
 * compaction. The MANIFEST is replaced atomically (temporary file, fsync,
 * rename, fsync of the directory), so a reader opens every shard of every
 * partition it names or fails loudly; a compaction writes the next
 * generation of the partitions it compacts and swaps the MANIFEST, then
 * removes their old generations (which may hold the text of records
 * disposed of since); the other partitions are not written.
 *
 * Threads: a handle is used by one thread at a time. A write handle runs one
 * internal worker thread that feeds Xapian while the caller prepares the next
 * documents; every call that reads drains it first. Writers of one index are
 * serialized by the caller (the archive's writer lock): a writer's open
 * removes what another's interrupted compaction or rebuild left. Every call
 * that reads retries, at most twice, when a writer moved on under it
 * (Xapian's DatabaseModifiedError), at the generation the MANIFEST names
 * then.
 *
 * Xapian 1.4.22 (Debian 12) fails a zero-weight match of a term that every
 * document of a shard holds once the shard's document ids have gaps
 * ("Unexpected end of posting list"); the indexer reads such terms through a
 * posting source instead, so every query, '*' included, answers at any size
 * (docs/query-language.md, "How it works").
 *
 * Errors: every function returns CUSTOS_OK or a negative custos_status_t;
 * the detail is kept on the handle (custos_index_errmsg) or in the
 * custos_err_t given. Failures of Xapian become CUSTOS_EINDEX (CUSTOS_EBUSY
 * when another writer holds the lock), a bad query CUSTOS_EFORMAT with the
 * byte position in the message, an allocation failure CUSTOS_ENOMEM. */
#ifndef CUSTOS_INDEXER_H
#define CUSTOS_INDEXER_H

#include "custos_common.h"
#include "custos_types.h"

#ifdef __cplusplus
extern "C" {
/* xapian.cc is built with -fvisibility=hidden; its C functions stay
 * visible, for the modules the binary gives them to (Makefile, "Modules") */
#pragma GCC visibility push(default)
#endif

typedef struct custos_index custos_index_t;

/* Open flags. */
enum {
	CUSTOS_INDEX_READ    = 0,   /* read only; the index must exist */
	CUSTOS_INDEX_WRITE   = 1,   /* read and write; the index must exist */
	CUSTOS_INDEX_CREATE  = 2,   /* with WRITE: create it when missing */
	CUSTOS_INDEX_NOTHREAD = 4,  /* with WRITE: feed Xapian in the caller's thread */
	CUSTOS_INDEX_FRESH   = 8    /* with WRITE: build a new generation (see publish) */
};

/* Opens the index at path (normally <archive>/index). On success *out is a
 * handle the caller frees with custos_index_free. On failure *out is NULL and
 * err (NULL-safe) says why: CUSTOS_EINDEX for a missing or corrupt index, or
 * one whose MANIFEST names a shard that is not there (the message names it
 * and says to run `custos index --rebuild`), CUSTOS_EVERSION for an index
 * of an older layout, CUSTOS_EBUSY when another process is writing,
 * CUSTOS_EINVAL for bad flags.
 *
 * With CUSTOS_INDEX_WRITE the writer also removes what an interrupted
 * compaction or rebuild left (generations the MANIFEST does not name).
 * With CUSTOS_INDEX_FRESH (and WRITE) the handle writes a new, empty
 * generation that no reader sees until custos_index_publish. */
int custos_index_open(custos_index_t **out, const char *path, unsigned flags, custos_err_t *err);

/* Puts the generation a CUSTOS_INDEX_FRESH handle built (and committed, and
 * freed) in place: compacts it into the next generation, swaps the MANIFEST
 * and removes every other generation. A crash at any point leaves readers
 * the old generation or the new one, whole. */
int custos_index_publish(const char *path, custos_err_t *err);

/* Checks, without opening Xapian, that the index at path is whole: its
 * MANIFEST is readable and every shard it names is there. CUSTOS_OK, or
 * CUSTOS_EINDEX with err naming what is missing (for verify). */
int custos_index_check(const char *path, custos_err_t *err);

/* custos_index_check, then reads every table of every shard through Xapian's
 * own checker (the structure of each B-tree block and its items): a byte
 * changed in a live block of a shard is found here rather than by a search
 * that quietly answers less (a changed posting value that keeps the structure
 * can pass). Reads the whole index; for verify. The checker opens the tables
 * for writing: a shard this process may not write (a read-only mount or
 * copy) is left unchecked and *unchecked set. CUSTOS_OK, or CUSTOS_EINDEX
 * naming the shard and what is wrong. */
int custos_index_check_tables(const char *path, bool *unchecked, custos_err_t *err);

/* Waits for pending work (not committed: uncommitted changes are dropped,
 * as after a crash), closes and frees. NULL-safe. */
void custos_index_free(custos_index_t *idx);

/* The message of the handle's last failure ("" when none). Borrowed from the
 * handle, valid until its next call. */
const char *custos_index_errmsg(const custos_index_t *idx);

/* For a read handle: moves to the latest committed state of the index. */
int custos_index_reopen(custos_index_t *idx);

/* Adds record version rec as a document of its own (a version given again,
 * same seq, replaces its document). rec->id, rec->seq, rec->version and
 * rec->created_at are required (CUSTOS_EINVAL otherwise); the record is
 * copied, the caller keeps ownership. Visible to searches after commit.
 * Values longer than a Xapian term can hold (a 300-byte hashtag or domain)
 * are indexed cut and hashed (docs/query-language.md) and stay findable. A
 * failure names rec->id (also when it surfaces at a later call). */
int custos_index_add(custos_index_t *idx, const custos_record_t *rec);

/* Removes every version of record id; not being there is not an error. */
int custos_index_delete(custos_index_t *idx, const char *id);

/* A disposition's shortcut, for a writer: ids (n of them, any order) are
 * the records the run disposes of. Every partition each of whose documents
 * is a version of one of them (checked document by document through their
 * record ids, so a partition holding any other record, held or not yet
 * eligible, is never among them) is marked to be dropped whole; a partition
 * more than half of whose documents are theirs is marked to be rebuilt from
 * the others (their docids listed now, each document's record id checked
 * the same way). Deletes no longer look in either, and
 * custos_index_drop_marked drops the first and writes the second's next
 * generation from a copy of the documents that stay, compacted. The marks
 * live in the handle alone: a handle freed before that leaves the
 * partitions and their documents as they were (the next disposition deletes
 * them). Partitions holding none of ids are not looked in by the deletes
 * that follow either. *parts and *docs say how many partitions and
 * documents were marked to drop, *rebuilt how many partitions to rebuild
 * (any may be NULL). */
int custos_index_drop_whole(custos_index_t *idx, const char *const *ids, size_t n,
                            unsigned *parts, uint64_t *docs, unsigned *rebuilt);

/* For a writer whose changes are all committed: drops the partitions
 * custos_index_drop_whole marked to drop and rebuilds those it marked to
 * rebuild (one MANIFEST swap for all, then the old directories go), and
 * nothing else. The caller's part: the store has disposed of every record
 * named to drop_whole. */
int custos_index_drop_marked(custos_index_t *idx);

/* Commits every add and delete so far together with the watermark: the last
 * store sequence number the index now holds. Both land in one Xapian commit,
 * so after a crash the watermark never claims a document that is missing.
 * (Xapian may also flush on its own between commits; such documents are
 * ahead of the watermark and a catch-up from it replaces them by id.) */
int custos_index_commit(custos_index_t *idx, uint64_t watermark);

/* The same commit, queued behind the adds and deletes so far: each shard's
 * writer makes it when it gets there, and the caller goes on feeding the
 * others meanwhile (a commit that waits stalls every shard on the slowest).
 * Durable only once a later custos_index_commit (or watermark, doccount,
 * search) has returned; a failure is returned by the next call. */
int custos_index_commit_queued(custos_index_t *idx, uint64_t watermark);

/* The committed watermark (0 for a new index), and the number of documents. */
int custos_index_watermark(custos_index_t *idx, uint64_t *out);
int custos_index_doccount(custos_index_t *idx, uint64_t *out);

/* Compacts every partition of the closed index at path into its next
 * generation, swaps the MANIFEST to them, then removes the old ones. */
int custos_index_compact(const char *path, custos_err_t *err);

/* For a writer whose changes are all committed: compacts the partitions
 * that lost documents (a disposition's deletes), which the MANIFEST names
 * as still to compact from before their deletes were committed until this
 * is done; the text of deleted documents stays in Xapian's free blocks
 * until then. Only those partitions are rewritten; one left empty, or
 * marked by custos_index_drop_whole, is dropped. A writer's open does the
 * same for what a crash left noted. */
int custos_index_compact_pending(custos_index_t *idx);

/* The merge policy, for a writer whose changes are all committed: compacts
 * each partition whose files have grown past 1.3 times what they took when
 * it was last compacted (scaled to its documents now), or that was never
 * compacted and holds 8 MiB. *merged says how many were. Searches go on
 * meanwhile at the generations they opened; the writer waits. */
int custos_index_merge(custos_index_t *idx, unsigned *merged);

/* ------------------------------------------------------------------------
 * Search. docs/query-language.md is the reference of the query language.
 */
/* custos_sort_t, custos_facet_field_t and CUSTOS_FACET_BIT are in
 * custos_types.h: the faces use them too. */
typedef custos_sort_t custos_index_sort_t;
typedef custos_facet_field_t custos_index_facet_field_t;

/* Parses a facet list "platform,account,author,year,month,tag" into bits.
 * CUSTOS_EFORMAT (err says which name) for an unknown name. */
int custos_index_facets_parse(unsigned *out, const char *list, custos_err_t *err);
/* "platform", "account", ... ; static storage. */
const char *custos_index_facet_name(int field);

/* Query flags (custos_index_search_opts_t.query_flags): CUSTOS_QUERY_* in
 * custos_types.h. */

/* Supplies the text of a record for its snippet: sets *text and *len (borrowed
 * until the next call) or returns non-zero to leave the snippet out. */
typedef int (*custos_index_text_fn)(void *ctx, const char *id, uint64_t seq,
                                    const char **text, size_t *len);

/* The records a matter codes, for a search narrowed by review tags or
 * counting them (custos_index_search_opts_t.coding). Tags are numbered
 * 0..n_tags-1; row i (stride bytes) has bit t (byte t/8, bit t%8) set
 * when record ids[i] carries tag t. A record not listed carries none. */
typedef struct {
	size_t n;
	const char *const *ids;
	const unsigned char *rows;       /* n * stride bytes */
	size_t n_tags, stride;           /* stride = (n_tags + 7) / 8 */
	const unsigned char *require;    /* stride bytes: tags a record must carry,
	                                  * every one (none set: no narrowing) */
	int count;                       /* count the matching records per tag
	                                  * (results' tag_counts) */
} custos_index_coding_t;

typedef struct {
	size_t   limit;          /* hits wanted (default 20); 0 with count_only */
	size_t   offset;         /* hits skipped */
	int      sort;           /* custos_index_sort_t */
	unsigned facets;         /* CUSTOS_FACET_BIT()s */
	int      count_only;     /* only the exact total */
	int      estimate_total; /* allow an estimated total (total_exact says) */
	const char *stem_lang;   /* stemmer for the query; NULL: English, or the
	                          * language of the query's one lang: filter */
	/* snippets: made when text_fn is set */
	custos_index_text_fn text_fn;
	void    *text_ctx;
	size_t   snippet_len;    /* bytes of text aimed at (default 200) */
	const char *hi_start;    /* around each match (default "[[") */
	const char *hi_end;      /* (default "]]") */
	const char *omit;        /* where text was cut (default "...") */
	unsigned query_flags;    /* CUSTOS_QUERY_* */
	/* review coding (NULL: none): narrows to the records carrying every
	 * required tag, and counts records per tag, both exact over the whole
	 * match (the total, the other facets and the pages see the narrowed
	 * match). Costs a read of each matching document's id. */
	const custos_index_coding_t *coding;
} custos_index_search_opts_t;

#define CUSTOS_INDEX_SEARCH_OPTS_INIT \
	{ 20, 0, CUSTOS_SORT_RELEVANCE, 0, 0, 0, NULL, NULL, NULL, 200, "[[", "]]", "...", 0, NULL }

/* A record a search found: the fields of its best-ranked matching version,
 * and every version of it that matched. */
typedef struct {
	char    *id;
	uint64_t seq;            /* store sequence of the best-ranked matching version */
	uint32_t version;        /* its version number */
	size_t   n_matched;      /* versions that matched (>= 1) */
	uint64_t *matched_seqs;  /* their store sequence numbers, ascending */
	uint32_t *matched_versions;  /* and version numbers */
	int64_t  created_at;     /* ms UTC */
	char    *platform;
	char    *account;
	char    *author;         /* author handle, as captured */
	char    *snippet;        /* NULL without text_fn */
	double   weight;         /* relevance; 0 for date order */
} custos_index_hit_t;

typedef struct {
	char    *value;          /* "x", "acme", "2019", "2019-03", ... */
	uint64_t count;
} custos_index_facet_value_t;

typedef struct {
	custos_index_facet_value_t *v;   /* most frequent first, then by value */
	size_t n;
} custos_index_facet_t;

typedef struct {
	uint64_t total;          /* matching records; exact when total_exact */
	int      total_exact;
	uint64_t watermark;      /* the index watermark the search ran at */
	const char *notes;       /* how the query was read, for the user ("" when
	                          * nothing to say: e.g. 'and' searched as a word) */
	size_t   expansions;     /* words the query's wildcards and fuzzy words matched */
	custos_index_hit_t *hits;
	size_t   n_hits;
	custos_index_facet_t facets[CUSTOS_FACET_COUNT];  /* for the bits asked (not
	                          * CUSTOS_FACET_TAG: see tag_counts) */
	uint64_t *tag_counts;    /* with coding->count: coding->n_tags matching
	                          * records per tag, exact; else NULL */
	custos_arena_t arena;    /* owns every string above */
} custos_index_results_t;

/* Runs query. *out is owned by the caller (custos_index_results_free).
 * CUSTOS_EFORMAT with the position for a bad query. */
int custos_index_search(custos_index_t *idx, custos_index_results_t **out,
                        const char *query, const custos_index_search_opts_t *opts);
void custos_index_results_free(custos_index_results_t *res);   /* NULL-safe */

/* The exact number of records query matches (a record once, whatever number
 * of its versions matched). */
int custos_index_count(custos_index_t *idx, uint64_t *out, const char *query);

/* Parses query without running it (no index needed): CUSTOS_OK, or
 * CUSTOS_EFORMAT with "... at position N" in err. For retention rules and
 * holds, checked when they are written. Without an index, platform: and
 * kind: take only the values custos knows (x, mastodon, ...; post, reply,
 * ...); with one, also those the index holds. */
int custos_index_query_check(const char *query, custos_err_t *err);

/* A list of records: all that matched (sorted by id) or a thread (in time
 * order, then id). Owned by the caller: custos_index_idlist_free. */
typedef struct {
	char    *id;
	uint64_t seq;            /* the highest store sequence of the versions listed */
	int64_t  created_at;
	size_t   n_matched;      /* versions matched (all versions for all_ids, thread) */
	uint64_t *matched_seqs;  /* ascending */
} custos_index_ident_t;

typedef struct {
	custos_index_ident_t *v;
	size_t n;
	custos_arena_t arena;
} custos_index_idlist_t;

/* Every record query matches (holds and retention need all, not a page),
 * once each. */
int custos_index_match_ids(custos_index_t *idx, custos_index_idlist_t *out, const char *query);
/* Every document query matches, given as it is found (in no particular
 * order), nothing held per match: a record of one version to fn (its seq
 * and time), each matched version of a record of several to multi (its
 * id, the version's seq and time), which the caller merges into one
 * record (custos_index_match_ids takes its highest matched seq and the
 * time of its lowest). restart (may be NULL) is called before each
 * attempt: when the index changes under the reader, the matches are given
 * again from the start. fn and multi return CUSTOS_OK or a negative
 * status that ends the listing and is returned. */
typedef int (*custos_index_match_fn)(void *ctx, uint64_t seq, int64_t created_at);
typedef int (*custos_index_match_multi_fn)(void *ctx, const char *id, uint64_t seq,
                                           int64_t created_at);
int custos_index_match_each(custos_index_t *idx, const char *query, custos_index_match_fn fn,
                            custos_index_match_multi_fn multi, void (*restart)(void *ctx),
                            void *ctx);
/* The records query matches among the documents of versions stored after
 * seq after (sorted by id): what a legal hold gains once new records are
 * indexed. Its cost follows the documents after `after`, not the index. */
int custos_index_match_ids_after(custos_index_t *idx, custos_index_idlist_t *out,
                                 const char *query, uint64_t after);
/* Every record in the index, for verification, given as it is read (in no
 * particular order) with its highest indexed version: nothing is held per
 * record but for records of several versions (their id and top seq, until
 * the last document is read). restart (may be NULL) is called before each
 * attempt: when the index changes under the reader, the records are given
 * again from the start. fn returns CUSTOS_OK, or a negative status that
 * ends the listing and is returned. */
typedef int (*custos_index_record_fn)(void *ctx, const char *id, uint64_t seq);
int custos_index_each_record(custos_index_t *idx, custos_index_record_fn fn,
                             void (*restart)(void *ctx), void *ctx);
/* Every record of the thread rooted at root_id, the root included: the
 * whole list at once (its size follows the thread's; for a conversation
 * of any size, custos_index_thread_each). */
int custos_index_thread(custos_index_t *idx, custos_index_idlist_t *out, const char *root_id);
/* The documents of the same thread, given as they are found (in no
 * particular order), nothing held per document: fn gets the record's id,
 * the document's seq and time, and several (non-zero when the record has
 * several versions in the index: each matching version comes, and the
 * caller merges them as custos_index_thread does, the highest seq with the
 * time of the lowest). restart (may be NULL) is called before each
 * attempt: when the index changes under the reader, the documents are
 * given again from the start. fn returns CUSTOS_OK or a negative status
 * that ends the listing and is returned. */
typedef int (*custos_index_member_fn)(void *ctx, const char *id, uint64_t seq,
                                      int64_t created_at, int several);
int custos_index_thread_each(custos_index_t *idx, const char *root_id, custos_index_member_fn fn,
                             void (*restart)(void *ctx), void *ctx);
/* The documents indexed under any of the thread roots roots[0..n) (those
 * whose thread is one of them; not the roots' own, which
 * custos_index_thread_each adds), each once, given as
 * custos_index_thread_each gives them, for many roots in one call: each
 * root's postings are read directly (one term lookup for a root nothing
 * names), so that reading the threads of every member of a conversation
 * costs what the conversation's size does. n == 0 gives nothing. */
int custos_index_threads_each(custos_index_t *idx, const char *const *roots, size_t n,
                              custos_index_member_fn fn, void (*restart)(void *ctx), void *ctx);
void custos_index_idlist_free(custos_index_idlist_t *l);   /* NULL-safe; zeroes */

/* The search-term report: for each query (a line of a terms file), the
 * records it hits, those no other line hits, the records of the threads its
 * hits belong to (family), and its hits per account and per platform. A
 * query that cannot run is reported in its own entry (status, error) while
 * the others still run; the report is then incomplete. */
/* custos_term_count_t, custos_term_t and custos_term_report_t are in
 * custos_types.h: the faces read them. */
typedef custos_term_count_t custos_index_count_t;
typedef custos_term_t custos_index_term_t;
typedef custos_term_report_t custos_index_term_report_t;

/* Runs the report over queries[0..n) with query_flags (CUSTOS_QUERY_*).
 * CUSTOS_OK also when some lines were refused (see incomplete); an error of
 * the index itself fails the whole report. Free with
 * custos_index_term_report_free (NULL-safe). */
int custos_index_term_report(custos_index_t *idx, custos_index_term_report_t **out,
                             const char *const *queries, size_t n, unsigned query_flags);
void custos_index_term_report_free(custos_index_term_report_t *r);

#ifdef __cplusplus
#pragma GCC visibility pop
}
#endif
#endif
