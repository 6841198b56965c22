/* The naive Xapian baseline of bench/search_peers.c (see naive_xapian.cc). */
#ifndef CUSTOS_BENCH_NAIVE_XAPIAN_H
#define CUSTOS_BENCH_NAIVE_XAPIAN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One generated record, as plain fields (what every peer indexes). */
typedef struct {
	const char *id, *platform, *account, *author, *kind, *lang, *text, *thread;
	const char *tags[2];
	int ntags;
	const char *mention, *domain;
	int media;
	int64_t created_at;   /* ms since the epoch */
} naive_rec_t;

/* One query of the mix: free text in Xapian QueryParser syntax plus filters
 * (NULL or 0 when absent); dates are inclusive ms bounds. */
typedef struct {
	const char *text;
	const char *platform, *author, *tag, *mention, *kind, *lang, *domain, *thread;
	int media;
	int64_t date_lo, date_hi;
} naive_query_t;

typedef struct naive_xapian naive_xapian_t;

naive_xapian_t *naive_xapian_create(const char *path);
int naive_xapian_add(naive_xapian_t *nx, const naive_rec_t *r);
int naive_xapian_commit(naive_xapian_t *nx);
void naive_xapian_free(naive_xapian_t *nx);
int naive_xapian_compact(const char *src, const char *dst);
naive_xapian_t *naive_xapian_open(const char *path);
int naive_xapian_search(naive_xapian_t *nx, const naive_query_t *q, int newest, int facets,
                        uint64_t *total);

#ifdef __cplusplus
}
#endif
#endif
