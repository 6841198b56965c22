/* A conversation as the index knows it: the records of a thread, and of
 * the threads of its records (replies captured before their parent), each
 * once, at a cost that follows the conversation's size. */
#include "lib_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- a set of ids ------------------------------------------------------------ */

void custos_lib__idset_free(custos_lib__idset_t *set)
{
	if (!set)
		return;
	free(set->v);
	free(set->slot);
	custos_arena_free(&set->arena);
	memset(set, 0, sizeof *set);
}

static size_t idset_hash(const char *id)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32));
}

/* The slot of id: where it is, or the empty one where it would go. */
static size_t idset_find(const custos_lib__idset_t *set, const char *id)
{
	size_t mask = set->nslot - 1, i = idset_hash(id) & mask;
	while (set->slot[i] && strcmp(set->v[set->slot[i] - 1], id) != 0)
		i = (i + 1) & mask;
	return i;
}

size_t custos_lib__idset_at(const custos_lib__idset_t *set, const char *id)
{
	if (!set->nslot)
		return SIZE_MAX;
	size_t k = set->slot[idset_find(set, id)];
	return k ? k - 1 : SIZE_MAX;
}

/* Indexes v[0..n) anew in nslot slots, and keeps those n; the set is
 * unchanged when memory runs out. */
static int idset_rehash(custos_lib__idset_t *set, size_t nslot, size_t n)
{
	size_t *slot = calloc(nslot, sizeof *slot);
	if (!slot)
		return CUSTOS_ENOMEM;
	free(set->slot);
	set->slot = slot;
	set->nslot = nslot;
	set->n = n;
	for (size_t k = 0; k < n; k++)
		set->slot[idset_find(set, set->v[k])] = k + 1;
	return CUSTOS_OK;
}

int custos_lib__idset_add(custos_lib__idset_t *set, const char *id, size_t *at)
{
	size_t k = custos_lib__idset_at(set, id);
	if (k != SIZE_MAX) {
		if (at)
			*at = k;
		return 0;
	}
	if (set->n == set->cap) {
		size_t nc = set->cap ? set->cap * 2 : 64;
		char **nv = realloc(set->v, nc * sizeof *nv);
		if (!nv)
			return CUSTOS_ENOMEM;
		set->v = nv;
		set->cap = nc;
	}
	if (2 * (set->n + 1) > set->nslot &&
	    idset_rehash(set, set->nslot ? set->nslot * 2 : 128, set->n) < 0)
		return CUSTOS_ENOMEM;
	char *nid = custos_arena_strdup(&set->arena, id);
	if (!nid)
		return CUSTOS_ENOMEM;
	set->v[set->n++] = nid;
	set->slot[idset_find(set, nid)] = set->n;
	if (at)
		*at = set->n - 1;
	return 1;
}

int custos_lib__idset_truncate(custos_lib__idset_t *set, size_t n)
{
	if (n >= set->n)
		return CUSTOS_OK;
	return idset_rehash(set, set->nslot, n);
}

/* ---- a conversation's members ------------------------------------------------------ */

/* How many members' threads one index call reads (the call's setup spread
 * over many members; its pointers on the stack). */
#define THREAD_BATCH 1024

/* How many times a conversation is read again whole when the index
 * changed under a reading, before the read gives up and says so. */
#define THREAD_RETRIES 3

typedef struct {
	custos_lib__thread_t *t;
	size_t before;   /* the members when the read began */
	unsigned attempts;   /* of the index's current call */
	bool changed;        /* the index restarted one of the calls */
	int err;
} member_read_t;

static int member_fn(void *ctx, const char *id, uint64_t seq, int64_t created_at, int several)
{
	member_read_t *r = ctx;
	custos_lib__thread_t *t = r->t;
	size_t at;
	int added;
	(void)several;
	if (r->err < 0)
		return r->err;
	if ((added = custos_lib__idset_add(&t->ids, id, &at)) < 0)
		return r->err = added;
	if (added) {
		if (t->ids.cap > t->cap) {
			custos_lib__member_t *nv = realloc(t->v, t->ids.cap * sizeof *nv);
			if (!nv)
				return r->err = CUSTOS_ENOMEM;
			t->v = nv;
			t->cap = t->ids.cap;
		}
		t->v[at] = (custos_lib__member_t){ t->ids.v[at], seq, created_at, seq };
		t->n = t->ids.n;
		return CUSTOS_OK;
	}
	/* another version of a record: the highest seq, the time of the lowest,
	 * as custos_index_thread merges them */
	custos_lib__member_t *m = &t->v[at];
	if (seq > m->seq)
		m->seq = seq;
	if (seq < m->low_seq) {
		m->low_seq = seq;
		m->created_at = created_at;
	}
	return CUSTOS_OK;
}

/* Before each attempt of an index call. A second attempt means the index
 * changed: the members already read, from the older index, and the
 * versions merged into them cannot be told apart, so the conversation is
 * read again whole (custos_lib__thread_members). */
static void member_restart(void *ctx)
{
	member_read_t *r = ctx;
	if (r->attempts++ > 0)
		r->changed = true;
	if (r->err == CUSTOS_OK)
		r->err = custos_lib__idset_truncate(&r->t->ids, r->before);
	r->t->n = r->t->ids.n;
}

void custos_lib__thread_free(custos_lib__thread_t *t)
{
	if (!t)
		return;
	custos_lib__idset_free(&t->ids);
	free(t->v);
	memset(t, 0, sizeof *t);
}

/* One reading of the conversation into out; r->changed when the index
 * restarted a call. */
static int thread_read(custos_index_t *idx, const char *root, custos_lib__thread_t *out,
                       member_read_t *rr, custos_err_t *err)
{
	const char *batch[THREAD_BATCH];
	member_read_t r = { .t = out };
	size_t nb = 0, next = 0;
	int rc;

	memset(out, 0, sizeof *out);
	for (;;) {
		r.before = out->n;
		r.err = CUSTOS_OK;
		r.attempts = 0;
		/* first the root's thread, its own documents included; then the
		 * members' (whose own documents are in already) */
		rc = nb ? custos_index_threads_each(idx, batch, nb, member_fn, member_restart, &r)
		        : custos_index_thread_each(idx, root, member_fn, member_restart, &r);
		if (rc == CUSTOS_OK)
			rc = r.err;   /* a restart that could not forget the last reading */
		if (rc < 0) {
			if (r.err == CUSTOS_ENOMEM)
				custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			else
				custos_err_set(err, rc, "%s", custos_index_errmsg(idx));
			custos_lib__thread_free(out);
			return rc;
		}
		if (next == out->n) {
			*rr = r;
			return CUSTOS_OK;
		}
		/* the pointers are copied: the set's array moves as it grows */
		for (nb = 0; nb < THREAD_BATCH && next < out->n; nb++)
			batch[nb] = out->v[next++].id;
	}
}

int custos_lib__thread_members(custos_index_t *idx, const char *root, custos_lib__thread_t *out,
                               custos_err_t *err)
{
	for (unsigned tries = 0;; tries++) {
		member_read_t r;
		int rc = thread_read(idx, root, out, &r, err);
		if (rc < 0 || !r.changed)
			return rc;
		custos_lib__thread_free(out);
		if (tries + 1 == THREAD_RETRIES)
			return custos_err_set(err, CUSTOS_EINDEX, "the index changed %d times while "
			                      "conversation '%s' was read; try again", THREAD_RETRIES,
			                      root);
	}
}
