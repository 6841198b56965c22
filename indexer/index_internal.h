/* Shared between the indexer's C part (the query parser, dates) and its
 * Xapian glue (xapian.cc). Not public. */
#ifndef CUSTOS_INDEX_INTERNAL_H
#define CUSTOS_INDEX_INTERNAL_H

#include "custos_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CUSTOS_INDEX__MAX_TERMS 1000
#define CUSTOS_INDEX__MAX_QUERY (64 * 1024)
#define CUSTOS_INDEX__MAX_DISTANCE 1000   /* NEAR/n, PRE/n, w/n: 1..this */
#define CUSTOS_INDEX__NEAR_DEFAULT 10     /* NEAR, w/ without a number */
#define CUSTOS_INDEX__MAX_FUZZY 3         /* word~n, word%%%: edits */
/* Words of the lexicon (wildcards, fuzzy words) a writer lane remembers
 * having written, kept past a commit; over this many it forgets them all. */
#define CUSTOS_INDEX__LEXICON_SEEN_MAX 16384

/* The parsed query: a tree the Xapian glue turns into a Xapian query. */
typedef enum {
	CUSTOS_QN_ALL,      /* "*": every record */
	CUSTOS_QN_WORD,     /* text: a word as typed (the glue splits and stems it) */
	CUSTOS_QN_PHRASE,   /* "...": kids are WORD nodes, adjacent and in order */
	CUSTOS_QN_FIELD,    /* field (canonical name) : text (value as typed) */
	CUSTOS_QN_DATE,     /* lo..hi, ms inclusive (INT64_MIN / INT64_MAX open) */
	CUSTOS_QN_AND,      /* kids, n >= 2 */
	CUSTOS_QN_OR,       /* kids, n >= 2 */
	CUSTOS_QN_NOT,      /* kids[0]: every record without it */
	CUSTOS_QN_NEAR      /* kids[0] and kids[1] within dist words (ordered: 0 before 1) */
} custos_qn_kind_t;

enum {
	CUSTOS_QW_EXACT    = 1,   /* =word: as written, not stemmed */
	CUSTOS_QW_WILDCARD = 2,   /* * or ? inside: a pattern over the words as written */
	CUSTOS_QW_FUZZY    = 4    /* word~n or word%: within `fuzzy` edits */
};

typedef struct custos_qnode custos_qnode_t;
struct custos_qnode {
	custos_qn_kind_t kind;
	unsigned flags;        /* CUSTOS_QW_* for WORD */
	unsigned fuzzy;        /* edits for CUSTOS_QW_FUZZY */
	unsigned dist;         /* NEAR */
	int      ordered;      /* NEAR: PRE/n, ONEAR/n, ADJ */
	const char *field;     /* FIELD: canonical name ("from", "tag", ...) */
	char    *text;         /* WORD: the word (no =, ~n, %); FIELD: the value */
	int64_t  lo, hi;       /* DATE */
	size_t   pos;          /* byte offset in the query */
	size_t   len;          /* bytes of the query it came from (for messages) */
	custos_qnode_t **kids;
	size_t   n_kids;
};

enum { CUSTOS_QP_DTSEARCH = 1 };   /* lower-case and/or/not are operators */

typedef struct {
	custos_qnode_t *root;
	char lang[16];         /* the value of the query's one lang: filter, else "" */
	custos_buf_t notes;    /* "; "-separated notes for the user ("" when none) */
	custos_arena_t arena;  /* owns the tree */
} custos_qparse_t;

/* Parses query into out->root (out zeroed first; free with
 * custos_index__qparse_free, also after a failure). CUSTOS_EFORMAT with
 * "... at position N" (byte offset) in err for anything it cannot mean. */
int custos_index__parse(const char *query, unsigned flags, custos_qparse_t *out, custos_err_t *err);
void custos_index__qparse_free(custos_qparse_t *p);

/* Sets *out to the most words of the lexicon any writer lane of idx
 * remembers having written (at most CUSTOS_INDEX__LEXICON_SEEN_MAX after a
 * commit, plus what was added since), once the lanes have done their queued
 * work. For tests: the memory a long-running writer keeps does not grow with
 * the words it has indexed. 0, or a lane's failure. */
struct custos_index;
int custos_index__lexicon_held(struct custos_index *idx, size_t *out);

/* Parses a date: value ("2019", "2019-03", "2019-03-01", ranges "A..B",
 * "..B", "A..", each day optionally with "Z" or "+02:00") into inclusive
 * bounds in ms; INT64_MIN / INT64_MAX for open ends. CUSTOS_EFORMAT with a
 * message (no position) when bad or backwards. */
int custos_index__date_range(const char *v, size_t n, int64_t *lo, int64_t *hi, custos_err_t *err);

/* Text as search sees it (indexer/text.c): NFKC, then case folding
 * (mathematical bold letters, full-width forms and ligatures become plain
 * letters; ß becomes ss). ASCII is only lower-cased. *out is malloc'ed and
 * NUL-terminated; the caller frees it. CUSTOS_ENOMEM, or CUSTOS_EFORMAT for
 * invalid UTF-8 (callers check UTF-8 first). */
int custos_index__fold(const char *s, size_t n, char **out, size_t *out_len);

/* The same with accents taken off (NFD, combining marks dropped, NFC). */
int custos_index__fold_accents(const char *s, size_t n, char **out, size_t *out_len);

/* Whether word (folded UTF-8) matches pattern: '*' any run of characters,
 * '?' one character; everything else literally. */
int custos_index__wildcard_match(const char *pattern, const char *word);

/* Levenshtein distance between a and b in characters when it is at most
 * max, else max + 1. */
unsigned custos_index__edit_distance(const char *a, const char *b, unsigned max);

#ifdef __cplusplus
}
#endif
#endif
