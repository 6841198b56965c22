/* A production's selection, in date order, in bounded memory: entries are
 * added in any order (with repeats), sorted in runs of a fixed budget
 * spilled to temporary files, merged and deduplicated, then read back in
 * windows. Internal to the export module (lib/export.c). */
#ifndef CUSTOS_XSEL_H
#define CUSTOS_XSEL_H

#include "custos_common.h"

#include <stddef.h>
#include <stdint.h>

/* One record to produce: 24 bytes. The key is (created_at, seq): date
 * order, and one record once (the same seq is the same record). */
typedef struct {
	int64_t  created_at;
	uint64_t seq;
	uint64_t bates;          /* its number once produced, 0 before (or not produced) */
} custos_xsel_entry_t;

typedef struct custos_xsel custos_xsel_t;

/* The entries a selection holds in memory before it spills a sorted run:
 * 2 MiB of them. The merge reads the runs through 1 MiB of buffers in
 * all (CUSTOS_XSEL_WINDOW entries a run at most), and the reader gives
 * windows of CUSTOS_XSEL_WINDOW entries. */
#define CUSTOS_XSEL_BUDGET  ((size_t)(2u << 20) / sizeof(custos_xsel_entry_t))
#define CUSTOS_XSEL_WINDOW  4096
/* Runs merged at once: past it, the runs are merged into one as they come. */
#define CUSTOS_XSEL_FANIN   32

/* A new, empty selection. Its temporary files (the sorted runs, the merged
 * selection, the numbers produced) go in a private directory made at the
 * first spill next to near (the production's directory): the parent of
 * near, named ".custos-sort-XXXXXX", mode 0700; each file is unlinked as
 * soon as it is open, and the directory is removed by custos_xsel__free,
 * so nothing is left after success, failure or cancellation (after a
 * crash, at most the empty directory). budget: entries held in memory,
 * 0 for CUSTOS_XSEL_BUDGET (the environment variable
 * CUSTOS_TEST_SORT_BUDGET, a number of entries, overrides it: a test knob
 * that makes a small selection spill). Errors go to err, which must
 * outlive the selection. */
int custos_xsel__new(custos_xsel_t **out, const char *near, size_t budget, custos_err_t *err);

/* Adds an entry (bates kept along; entries with the same key are kept
 * once, the first one merged). Before custos_xsel__finish only. Fails
 * (CUSTOS_ENOMEM, CUSTOS_EIO, CUSTOS_ENOSPC, the file named in err) when
 * a run cannot be spilled. */
int custos_xsel__add(custos_xsel_t *x, int64_t created_at, uint64_t seq, uint64_t bates);

/* Drops every entry added so far (a match restarted from its start). */
void custos_xsel__reset(custos_xsel_t *x);

/* Ends adding: merges the runs into date order without repeats. *count:
 * the distinct entries. */
int custos_xsel__finish(custos_xsel_t *x, uint64_t *count);

/* The next window of entries in date order: *v (up to CUSTOS_XSEL_WINDOW
 * entries, *n of them, writable, valid until the next call) and 1; 0 at
 * the end; < 0 when the merged file cannot be read (named in err). */
int custos_xsel__next(custos_xsel_t *x, custos_xsel_entry_t **v, size_t *n);

/* Records e (an entry of the selection or a copy of one, its bates set) as produced, for
 * custos_xsel__bates; entries are marked in date order. */
int custos_xsel__mark(custos_xsel_t *x, const custos_xsel_entry_t *e);

/* The number given to the entry (created_at, seq) when it was marked: 1
 * and *bates, or 0 when it was not (yet) produced; < 0 on a read error. */
int custos_xsel__bates(custos_xsel_t *x, int64_t created_at, uint64_t seq, uint64_t *bates);

/* A queue of ids (strings) beside the selection, in bounded memory: past
 * 64 KB of them (less with the test knob) they go to a temporary file of
 * the selection's. custos_xsel__push adds one at the end;
 * custos_xsel__pop gives the first (*id valid until the next push or pop)
 * and 1, or 0 when the queue is empty. custos_xsel__reset empties it too.
 * Fail as custos_xsel__add does. */
int custos_xsel__push(custos_xsel_t *x, const char *id);
int custos_xsel__pop(custos_xsel_t *x, const char **id);

/* The runs spilled so far (0: the selection fitted in memory). */
size_t custos_xsel__runs(const custos_xsel_t *x);

/* Closes the files and removes the temporary directory. NULL-safe. */
void custos_xsel__free(custos_xsel_t *x);

#endif
