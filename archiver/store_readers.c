/* Reader threads on one snapshot: records read by seq, every check of
 * custos_store_get_seq made, on worker threads beside the calling one, all
 * in read transactions of the same LMDB snapshot as the caller's view
 * (their mdb_txn_id is the caller's, or they are not opened). */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { READERS_MAX = 4, READERS_CHUNK = 8 };

typedef struct {
	const uint64_t  *seqs;
	size_t           n;
	custos_record_t *recs;
	int             *rcs;
	void            *arg;
	size_t           next, done;      /* claimed, finished (under mu) */
} rwin_t;

struct custos_store_readers {
	custos_store_t *st;               /* the caller's view, pinned */
	custos_store_prep_fn prep;
	unsigned        n;                /* worker threads running */
	pthread_t       th[READERS_MAX];
	custos_store_t *view[READERS_MAX];
	pthread_mutex_t mu;
	pthread_cond_t  work, fin;
	rwin_t          win[2];           /* a ring: win[head] the oldest in flight */
	unsigned        head, count;
	bool            stop;
};

typedef struct {
	custos_store_readers_t *r;
	custos_store_t *view;
} worker_arg_t;

/* The oldest window in flight with records nobody has claimed (under mu). */
static rwin_t *claimable(custos_store_readers_t *r)
{
	for (unsigned k = 0; k < r->count; k++) {
		rwin_t *w = &r->win[(r->head + k) % 2];
		if (w->next < w->n)
			return w;
	}
	return NULL;
}

/* Reads records [from, to) of w through view (mu not held), then counts them done. */
static void read_some(custos_store_readers_t *r, custos_store_t *view, rwin_t *w, size_t from,
                      size_t to)
{
	for (size_t i = from; i < to; i++) {
		w->rcs[i] = custos_store_get_seq(view, w->seqs[i], &w->recs[i]);
		if (w->rcs[i] == CUSTOS_OK && r->prep)
			r->prep(w->arg, i, &w->recs[i], view->canon.data, view->canon.len);
	}
	pthread_mutex_lock(&r->mu);
	w->done += to - from;
	if (w->done == w->n)
		pthread_cond_broadcast(&r->fin);
	pthread_mutex_unlock(&r->mu);
}

static void *worker(void *p)
{
	custos_store_readers_t *r = ((worker_arg_t *)p)->r;
	custos_store_t *view = ((worker_arg_t *)p)->view;
	free(p);
	pthread_mutex_lock(&r->mu);
	for (;;) {
		rwin_t *w;
		while (!r->stop && !(w = claimable(r)))
			pthread_cond_wait(&r->work, &r->mu);
		if (r->stop)
			break;
		size_t from = w->next, to = from + READERS_CHUNK < w->n ? from + READERS_CHUNK : w->n;
		w->next = to;
		pthread_mutex_unlock(&r->mu);
		read_some(r, view, w, from, to);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

unsigned custos_store_readers_default(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* the calling thread reads too, and usually has more to do */
	if (cpus < 2)
		return 1;
	return cpus - 1 > READERS_MAX ? READERS_MAX : (unsigned)(cpus - 1);
}

int custos_store_readers_open(custos_store_readers_t **out, custos_store_t *st, unsigned threads,
                              custos_store_prep_fn prep)
{
	custos_store_readers_t *r;
	int err = CUSTOS_OK;
	*out = NULL;
	if (!st->snap)
		return custos_err_set(&st->err, CUSTOS_EINVAL, "readers need a pinned snapshot");
	if (threads > READERS_MAX)
		threads = READERS_MAX;
	if (!(r = calloc(1, sizeof *r)))
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	r->st = st;
	r->prep = prep;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->work, NULL);
	pthread_cond_init(&r->fin, NULL);
	size_t want = mdb_txn_id(st->snap);
	for (unsigned i = 0; i < threads; i++) {
		custos_store_t *v;
		custos_err_t e = { 0 };
		if ((err = custos_store_view(&v, st, &e)) < 0) {
			custos_err_set(&st->err, err, "%s", e.msg);
			break;
		}
		if ((err = custos_store__snapshot_nowait(v)) < 0) {
			custos_err_set(&st->err, err, "%s", v->err.msg);
			custos_store_free(v);
			break;
		}
		size_t got = mdb_txn_id(v->snap);
		if (got != want) {
			/* a writer committed after the caller's snapshot was taken: this
			 * reader would see another store than the caller's */
			custos_store_free(v);
			err = custos_err_set(&st->err, CUSTOS_EBUSY, "the store changed after the "
			                     "snapshot was taken (its transaction %zu, a reader's %zu)",
			                     want, got);
			break;
		}
		worker_arg_t *a = malloc(sizeof *a);
		if (!a) {
			custos_store_free(v);
			err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
			break;
		}
		a->r = r;
		a->view = v;
		if (pthread_create(&r->th[r->n], NULL, worker, a) != 0) {
			/* the process may start no more threads: the ones running (or
			 * the calling thread alone) read everything */
			free(a);
			custos_store_free(v);
			break;
		}
		r->view[r->n++] = v;
	}
	if (err < 0) {
		custos_err_t keep = st->err;
		custos_store_readers_free(r);
		st->err = keep;
		return err;
	}
	*out = r;
	return CUSTOS_OK;
}

int custos_store_readers_start(custos_store_readers_t *r, const uint64_t *seqs, size_t n,
                               custos_record_t *recs, int *rcs, void *arg)
{
	pthread_mutex_lock(&r->mu);
	if (r->count == 2) {
		pthread_mutex_unlock(&r->mu);
		return custos_err_set(&r->st->err, CUSTOS_EINVAL, "two windows are already read");
	}
	r->win[(r->head + r->count) % 2] = (rwin_t){ seqs, n, recs, rcs, arg, 0, 0 };
	r->count++;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	return CUSTOS_OK;
}

int custos_store_readers_wait(custos_store_readers_t *r)
{
	pthread_mutex_lock(&r->mu);
	if (!r->count) {
		pthread_mutex_unlock(&r->mu);
		return custos_err_set(&r->st->err, CUSTOS_EINVAL, "no window is being read");
	}
	rwin_t *w = &r->win[r->head];
	/* the calling thread reads its share of the window it waits for */
	while (w->next < w->n) {
		size_t from = w->next, to = from + READERS_CHUNK < w->n ? from + READERS_CHUNK : w->n;
		w->next = to;
		pthread_mutex_unlock(&r->mu);
		read_some(r, r->st, w, from, to);
		pthread_mutex_lock(&r->mu);
	}
	while (w->done < w->n)
		pthread_cond_wait(&r->fin, &r->mu);
	r->head = (r->head + 1) % 2;
	r->count--;
	pthread_mutex_unlock(&r->mu);
	return CUSTOS_OK;
}

unsigned custos_store_readers_threads(const custos_store_readers_t *r)
{
	return r ? r->n : 0;
}

void custos_store_readers_free(custos_store_readers_t *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	for (unsigned i = 0; i < r->n; i++) {
		pthread_join(r->th[i], NULL);
		custos_store_free(r->view[i]);
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->work);
	pthread_cond_destroy(&r->fin);
	free(r);
}
