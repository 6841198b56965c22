/* custos_archive_compact: the store rewritten without the space disposition
 * and copy-on-write left, on the writer thread (docs/storage.md,
 * "Compaction"). */
#include "lib_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct {
	custos_compact_summary_t sum;
} compact_job_t;

static int compact_fn(void *ctx, custos_store_t *st, custos_err_t *err)
{
	compact_job_t *c = ctx;
	int rc = custos_store_compact(st, &c->sum);
	if (rc < 0)
		*err = *custos_store_err(st);
	return rc;
}

int custos_archive_compact(custos_session_t *s, custos_compact_t *out)
{
	compact_job_t c;
	custos_wjob_t j;
	custos_compact_t local;
	int rc;

	if (!out)
		out = &local;
	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	if ((rc = custos_session__begin(s, CUSTOS_OP_COMPACT, "compact the store")) < 0 ||
	    (rc = custos_session__need_write(s, "compact the store")) < 0)
		return custos_session__audit(s, "compact", NULL, NULL, rc);
	/* the copy is one snapshot: no snapshot of the session's holds it back */
	custos_session__unpin(s);
	if ((rc = custos_session__audit(s, "compact-begin", NULL, NULL, CUSTOS_OK)) < 0)
		return rc;
	/* a disposition run in this process finishes first, and none starts */
	pthread_mutex_lock(&s->a->dispose_mu);
	memset(&j, 0, sizeof j);
	j.fn = compact_fn;
	j.fn_ctx = &c;
	if ((rc = custos_writer__run(s->a, &j)) < 0)
		custos_err_set(&s->err, rc, "%s", j.err.msg);
	pthread_mutex_unlock(&s->a->dispose_mu);
	out->bytes_before = c.sum.bytes_before;
	out->bytes_after = c.sum.bytes_after;
	out->entries = c.sum.entries;
	out->keys_punched = c.sum.keys_punched;
	char r[240];
	snprintf(r, sizeof r, "{\"bytes_before\":%llu,\"bytes_after\":%llu,\"entries\":%llu,"
	         "\"keys_punched\":%llu}",
	         (unsigned long long)out->bytes_before, (unsigned long long)out->bytes_after,
	         (unsigned long long)out->entries, (unsigned long long)out->keys_punched);
	return custos_session__audit(s, "compact", NULL, rc < 0 ? NULL : r, rc);
}
