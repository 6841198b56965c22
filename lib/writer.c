/* The writer: one thread per archive that takes jobs from any number of
 * sessions and commits them in shared LMDB transactions (group commit). A
 * job's submitter is answered only once the transaction holding the job is
 * durable. Each commit anchors the audit chain's durable tail and the
 * policy head in the record chain (docs/audit.md, "Anchors"). */
#include "lib_internal.h"

#include <stdlib.h>
#include <string.h>

/* Records per transaction at most: Xapian's and LMDB's costs per record are
 * flat up to here, and a transaction holds its log in memory. */
#define WRITER_MAX_RECORDS 10000

/* A job's records must all be valid before any of them is written, so that a
 * job is committed whole or not at all. */
static int job_check(custos_wjob_t *j)
{
	if (j->checked)   /* by the ingest's sink, record by record */
		return CUSTOS_OK;
	for (size_t i = 0; i < j->n_recs; i++) {
		custos_err_t verr = { 0 };
		if (custos_record_validate(&j->recs[i], &verr) < 0)
			return custos_err_set(&j->err, verr.status ? verr.status : CUSTOS_EFORMAT,
			                      "record %zu of the batch (%s): %s", i + 1,
			                      j->recs[i].id ? j->recs[i].id : "no id", verr.msg);
		if (strlen(j->recs[i].id) > 400)
			return custos_err_set(&j->err, CUSTOS_ETOOBIG, "record %zu of the batch: its id "
			                      "is longer than 400 bytes", i + 1);
	}
	return CUSTOS_OK;
}

/* Stages job j in batch b. Any failure here breaks the whole transaction. */
static int job_apply(custos_store_t *st, custos_batch_t *b, custos_wjob_t *j)
{
	int rc;
	for (size_t i = 0; i < j->n_blobs; i++)
		if ((rc = custos_store_blob_put(b, j->blobs[i].p, j->blobs[i].n, j->blobs[i].hex)) < 0)
			return rc;
	for (size_t i = 0; i < j->n_recs; i++)
		/* validated by job_check, or by the ingest's sink (j->checked) */
		if ((rc = custos_store_put_valid(b, &j->recs[i],
		                                 j->outcomes ? &j->outcomes[i] : NULL)) < 0)
			return rc;
	for (size_t i = 0; i < j->n_bad; i++) {
		custos_wbad_t *q = &j->bad[i];
		if ((rc = custos_store_quarantine_add(b, q->file, q->offset, q->line, q->why, q->raw,
		                                      q->n, &q->qn, &q->added)) < 0)
			return rc;
	}
	(void)st;
	return CUSTOS_OK;
}

static void finish(custos_writer_t *w, custos_wjob_t *list, int status, const custos_err_t *err,
                   const custos_batch_summary_t *sum)
{
	pthread_mutex_lock(&w->mu);
	for (custos_wjob_t *j = list, *next; j; j = next) {
		next = j->next;
		if (j->status == CUSTOS_OK && status < 0) {
			j->status = status;
			j->err = *err;
		}
		if (sum)
			j->sum = *sum;
		j->done = true;
	}
	pthread_cond_broadcast(&w->done_cv);
	pthread_mutex_unlock(&w->mu);
}

/* Takes jobs off the queue for one transaction: record jobs up to the
 * transaction's size (at least one job), or one function job alone. */
static custos_wjob_t *take(custos_writer_t *w)
{
	custos_wjob_t *first = w->head, *last = first;
	size_t recs;
	if (!first)
		return NULL;
	recs = first->n_recs;
	if (!first->fn)
		while (last->next && !last->next->fn && recs + last->next->n_recs <= w->max_records) {
			last = last->next;
			recs += last->n_recs;
		}
	w->head = last->next;
	if (!w->head)
		w->tail = NULL;
	last->next = NULL;
	w->queued_records -= recs;
	return first;
}

static void *writer_main(void *arg)
{
	custos_archive_t *a = arg;
	custos_writer_t *w = &a->writer;
	custos_store_t *st = w->st;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		custos_wjob_t *list = take(w);
		pthread_mutex_unlock(&w->mu);
		if (!list)
			break;   /* stopping, and the queue is empty */

		if (list->fn) {
			/* a disposal or the like: it runs its own transactions */
			custos_err_t err = { 0 };
			int rc = list->fn(list->fn_ctx, st, &err);
			uint64_t last = 0;
			custos_store_last_seq(st, &last);
			finish(w, list, rc, &err, NULL);
			custos_indexsvc__kick(a, last);
			continue;
		}
		/* jobs whose records are not all valid fail alone, unwritten */
		custos_wjob_t *ok = NULL, **tail = &ok, *bad = NULL;
		for (custos_wjob_t *j = list, *next; j; j = next) {
			next = j->next;
			j->next = NULL;
			if (job_check(j) < 0) {
				j->status = j->err.status;
				j->next = bad;
				bad = j;
			} else {
				*tail = j;
				tail = &j->next;
			}
		}
		if (bad)
			finish(w, bad, CUSTOS_OK, NULL, NULL);
		if (!ok)
			continue;
		custos_batch_t *b = NULL;
		custos_batch_summary_t sum;
		custos_anchor_t an;
		int rc = custos_store_begin(&b, st);
		for (custos_wjob_t *j = ok; j && rc == CUSTOS_OK; j = j->next)
			rc = job_apply(st, b, j);
		if (rc == CUSTOS_OK) {
			custos_archive__anchor(a, &an);
			custos_store_anchor(b, &an);
			rc = custos_store_commit(b, &sum);
		} else {
			custos_store_abort(b);
		}
		custos_err_t err = { 0 };
		if (rc < 0)
			err = *custos_store_err(st);
		else
			w->commits++;
		finish(w, ok, rc, &err, rc == CUSTOS_OK ? &sum : NULL);
		if (rc == CUSTOS_OK && sum.last_seq)
			custos_indexsvc__kick(a, sum.last_seq);
	}
	return NULL;
}

int custos_writer__start(custos_archive_t *a)
{
	custos_writer_t *w = &a->writer;
	custos_err_t err = { 0 };
	int rc;
	memset(w, 0, sizeof *w);
	w->max_records = WRITER_MAX_RECORDS;
	if ((rc = custos_store_view(&w->st, a->store, &err)) < 0)
		return rc;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->done_cv, NULL);
	if (pthread_create(&w->th, NULL, writer_main, a) != 0) {
		custos_store_free(w->st);
		w->st = NULL;
		return CUSTOS_EINTERNAL;
	}
	w->running = true;
	return CUSTOS_OK;
}

void custos_writer__stop(custos_archive_t *a)
{
	custos_writer_t *w = &a->writer;
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	w->running = false;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	pthread_cond_destroy(&w->done_cv);
	custos_store_free(w->st);
	w->st = NULL;
}

int custos_writer__submit(custos_archive_t *a, custos_wjob_t *j)
{
	custos_writer_t *w = &a->writer;
	j->status = CUSTOS_OK;
	j->done = false;
	j->next = NULL;
	custos_err_clear(&j->err);
	if (!w->running)
		return custos_err_set(&j->err, CUSTOS_EINVAL, "the archive is open read-only");
	pthread_mutex_lock(&w->mu);
	if (w->stop) {
		pthread_mutex_unlock(&w->mu);
		return custos_err_set(&j->err, CUSTOS_ESTOPPED, "the archive is closing");
	}
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->queued_records += j->n_recs;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return CUSTOS_OK;
}

int custos_writer__wait(custos_archive_t *a, custos_wjob_t *j)
{
	custos_writer_t *w = &a->writer;
	pthread_mutex_lock(&w->mu);
	while (!j->done)
		pthread_cond_wait(&w->done_cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	return j->status;
}

int custos_writer__run(custos_archive_t *a, custos_wjob_t *j)
{
	int rc = custos_writer__submit(a, j);
	if (rc < 0)
		return rc;
	return custos_writer__wait(a, j);
}

int custos_writer__anchor(custos_archive_t *a, custos_err_t *err)
{
	custos_wjob_t j;
	memset(&j, 0, sizeof j);
	j.anchor = true;
	int rc = custos_writer__run(a, &j);
	if (rc < 0 && err)
		*err = j.err;
	return rc;
}
