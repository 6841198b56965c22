/* The index service: one thread per writable archive that owns the Xapian
 * writers and catches the index up behind the store. It reads what the
 * writer committed from the store itself, so a reply's thread root is
 * resolved from committed records (its parent in the same batch included),
 * and grows legal holds by the new records their queries match.
 *
 * It runs at a lower CPU priority than the rest of the process (ISVC_NICE,
 * or SCHED_IDLE with CUSTOS_OPEN_INDEX_IDLE; the shard threads it starts
 * inherit it): indexing costs more CPU than storing, and a capture is
 * acknowledged once it is durable in the store, not once it is searchable,
 * so when the cores are busy the captures and the searches go first and the
 * index catches up when they leave it room (its lag is in stats). On an
 * idle machine nothing changes. SCHED_IDLE (for custos serve) also lets a
 * connection's or the writer's thread that wakes take the core at once,
 * where a nice-10 thread may finish its time slice first: that is what a
 * server's acknowledgement latency needs. A process that waits for its own
 * index (a CLI ingest) keeps nice 10, so that other work on the machine
 * does not starve it. */
#include "lib_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ISVC_NICE 10   /* Linux weighs a nice-10 thread about a tenth of a nice-0 one */

static int open_index(custos_archive_t *a, custos_indexsvc_t *v, custos_err_t *err)
{
	char path[4200];
	int rc;
	custos_lib__index_path(path, sizeof path, a->dir);
	if ((rc = custos_lib__index_remove_legacy(a->dir, err)) < 0)
		return rc;
	rc = custos_index_open(&v->idx, path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, err);
	if (rc != CUSTOS_EVERSION)
		return rc;
	/* an index of an earlier layout is derived data: build it anew from the
	 * store (readers meanwhile are told to wait for the rebuild) */
	custos_err_clear(err);
	if ((rc = custos_lib__index_rebuild(a->dir, v->st, NULL, NULL, NULL, err)) < 0)
		return rc;
	return custos_index_open(&v->idx, path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, err);
}

/* The index's merge policy, after the waiters of a round were answered:
 * partitions whose incremental commits left them well above their
 * compacted size are compacted now, off the capture path (the store takes
 * records meanwhile, searches read the generations they opened; the next
 * round waits). So an archive built in many ingests stays near the size a
 * rebuild gives, without a manual step. */
static int merge(custos_indexsvc_t *v, custos_err_t *err)
{
	unsigned merged = 0;
	int rc = custos_index_merge(v->idx, &merged);
	if (rc < 0)
		return custos_err_set(err, rc, "%s", custos_index_errmsg(v->idx));
	return CUSTOS_OK;
}

/* One round: everything the store holds past the watermark, then the holds. */
static int round_run(custos_archive_t *a, custos_indexsvc_t *v, custos_root_cache_t *cache,
                     custos_err_t *err)
{
	uint64_t before = 0, indexed = 0, added = 0;
	int rc;
	if (!v->idx && (rc = open_index(a, v, err)) < 0)
		return rc;
	if ((rc = custos_index_watermark(v->idx, &before)) < 0)
		return custos_err_set(err, rc, "%s", custos_index_errmsg(v->idx));
	if ((rc = custos_lib__index_catch_up(v->st, v->idx, cache, NULL, NULL, &v->stopping,
	                                     &indexed, err)) < 0)
		return rc;
	uint64_t after = 0;
	if ((rc = custos_index_watermark(v->idx, &after)) < 0)
		return custos_err_set(err, rc, "%s", custos_index_errmsg(v->idx));
	/* the holds grow before the waiters hear of the new watermark: what the
	 * index shows, the holds cover */
	if (after > before) {
		/* the service acts for nobody: its entries name no actor */
		custos_session_t *s = NULL;
		if ((rc = custos_session_open(&s, a, NULL, err)) < 0)
			return rc;
		rc = custos_lib__holds_grow(s, v->st, v->idx, before, &added);
		if (rc < 0) {
			*err = s->err;
			custos_err_prefix(err, "legal holds were not brought up to date");
		}
		custos_session_free(s);
		if (rc < 0)
			return rc;
	}
	pthread_mutex_lock(&v->mu);
	v->watermark = after;
	pthread_cond_broadcast(&v->done_cv);
	pthread_mutex_unlock(&v->mu);
	return after > before ? merge(v, err) : CUSTOS_OK;
}

static void *isvc_main(void *arg)
{
	custos_archive_t *a = arg;
	custos_indexsvc_t *v = &a->isvc;
	custos_root_cache_t *cache = malloc(sizeof *cache);
	if (cache)
		custos_lib__root_cache_init(cache);
	/* Linux keeps a nice value and a policy per thread; not being allowed
	 * is harmless (the thread runs at the priority it had) */
	struct sched_param sp = { 0 };
	if (!(a->flags & CUSTOS_OPEN_INDEX_IDLE) ||
	    pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
		(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), ISVC_NICE);

	pthread_mutex_lock(&v->mu);
	for (;;) {
		while (!v->stop && (v->paused || (!v->kicked && v->target <= v->watermark))) {
			if (v->paused && v->idx) {
				/* a rebuild or a disposition takes the index: let it go */
				pthread_mutex_unlock(&v->mu);
				custos_index_free(v->idx);
				pthread_mutex_lock(&v->mu);
				v->idx = NULL;
			}
			v->idle = true;
			pthread_cond_broadcast(&v->done_cv);
			pthread_cond_wait(&v->cv, &v->mu);
		}
		if (v->stop)
			break;
		v->idle = false;
		v->kicked = false;
		pthread_mutex_unlock(&v->mu);

		custos_err_t err = { 0 };
		int rc = cache ? round_run(a, v, cache, &err)
		               : custos_err_set(&err, CUSTOS_ENOMEM, "out of memory");
		if (rc < 0) {
			/* a failed index is opened afresh at the next round */
			custos_index_free(v->idx);
			v->idx = NULL;
		}
		pthread_mutex_lock(&v->mu);
		v->status = rc;
		v->rounds++;
		snprintf(v->msg, sizeof v->msg, "%.500s", rc < 0 ? err.msg : "");
		pthread_cond_broadcast(&v->done_cv);
		if (rc < 0) {
			/* wait for the next kick rather than spin on a broken index */
			v->idle = true;
			while (!v->stop && !v->kicked && !v->paused)
				pthread_cond_wait(&v->cv, &v->mu);
		}
	}
	v->idle = true;
	pthread_cond_broadcast(&v->done_cv);
	pthread_mutex_unlock(&v->mu);
	custos_index_free(v->idx);
	v->idx = NULL;
	if (cache) {
		custos_lib__root_cache_free(cache);
		free(cache);
	}
	return NULL;
}

int custos_indexsvc__start(custos_archive_t *a)
{
	custos_indexsvc_t *v = &a->isvc;
	custos_err_t err = { 0 };
	uint64_t last = 0;
	int rc;
	memset(v, 0, sizeof *v);
	if ((rc = custos_store_view(&v->st, a->store, &err)) < 0)
		return rc;
	custos_store_last_seq(v->st, &last);
	/* the watermark is read by the first round; until then it is unknown,
	 * so a waiter waits for that round */
	v->target = last;
	v->kicked = true;
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cv, NULL);
	pthread_cond_init(&v->done_cv, NULL);
	if (pthread_create(&v->th, NULL, isvc_main, a) != 0) {
		custos_store_free(v->st);
		v->st = NULL;
		return CUSTOS_EINTERNAL;
	}
	v->running = true;
	return CUSTOS_OK;
}

void custos_indexsvc__stop(custos_archive_t *a)
{
	custos_indexsvc_t *v = &a->isvc;
	if (!v->running)
		return;
	pthread_mutex_lock(&v->mu);
	v->stop = true;
	__atomic_store_n(&v->stopping, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&v->cv);
	pthread_mutex_unlock(&v->mu);
	pthread_join(v->th, NULL);
	v->running = false;
	pthread_mutex_destroy(&v->mu);
	pthread_cond_destroy(&v->cv);
	pthread_cond_destroy(&v->done_cv);
	custos_store_free(v->st);
	v->st = NULL;
}

void custos_indexsvc__kick(custos_archive_t *a, uint64_t last)
{
	custos_indexsvc_t *v = &a->isvc;
	if (!v->running)
		return;
	pthread_mutex_lock(&v->mu);
	if (last > v->target)
		v->target = last;
	v->kicked = true;
	pthread_cond_signal(&v->cv);
	pthread_mutex_unlock(&v->mu);
}

int custos_indexsvc__wait(custos_archive_t *a, uint64_t seq, custos_err_t *err)
{
	custos_indexsvc_t *v = &a->isvc;
	int rc = CUSTOS_OK;
	if (!v->running)
		return custos_err_set(err, CUSTOS_EINVAL, "the archive is open read-only");
	pthread_mutex_lock(&v->mu);
	if (seq > v->target)
		v->target = seq;
	for (;;) {
		/* the first round opens (or creates) the index and reads its watermark */
		if (v->rounds && v->watermark >= seq && !(v->idle && v->kicked))
			break;
		if (v->stop || v->paused) {
			rc = custos_err_set(err, CUSTOS_EINDEX, "the search index is not up to date: "
			                    "the index service is %s", v->stop ? "stopping" : "paused");
			break;
		}
		if (v->idle && !v->kicked) {
			if (v->status < 0) {
				rc = custos_err_set(err, v->status == CUSTOS_ENOMEM ? CUSTOS_ENOMEM
				                    : CUSTOS_EINDEX, "the search index is not up to date: %s",
				                    v->msg);
				break;
			}
			/* a round that began before seq was committed ended below it */
			v->kicked = true;
			pthread_cond_signal(&v->cv);
		}
		pthread_cond_wait(&v->done_cv, &v->mu);
	}
	pthread_mutex_unlock(&v->mu);
	return rc;
}

void custos_indexsvc__pause(custos_archive_t *a)
{
	custos_indexsvc_t *v = &a->isvc;
	if (!v->running)
		return;
	pthread_mutex_lock(&v->mu);
	v->paused++;
	pthread_cond_signal(&v->cv);
	while (!(v->idle && !v->idx) && !v->stop)
		pthread_cond_wait(&v->done_cv, &v->mu);
	pthread_mutex_unlock(&v->mu);
}

void custos_indexsvc__resume(custos_archive_t *a)
{
	custos_indexsvc_t *v = &a->isvc;
	if (!v->running)
		return;
	pthread_mutex_lock(&v->mu);
	if (v->paused)
		v->paused--;
	/* the index may have been replaced: read its watermark again */
	v->watermark = 0;
	v->rounds = 0;
	v->kicked = true;
	pthread_cond_signal(&v->cv);
	pthread_mutex_unlock(&v->mu);
}
