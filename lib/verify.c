/* Verification across the parts: store, audit chain (and index, later). */
#include "archive_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The index holds no record the store lacks, and each document holds the
 * latest version at or below the watermark. */
static int verify_index(custos_archive_t *a, custos_archive_verify_t *out)
{
	custos_index_t *idx = NULL;
	custos_index_idlist_t l = { 0 };
	custos_record_t rec;
	uint64_t last = 0;
	char path[4200];
	int rc;

	snprintf(path, sizeof path, "%s/index", a->dir);
	if (access(path, F_OK) < 0)
		return CUSTOS_OK;   /* no index yet: nothing derived to check */
	out->index_present = true;
	custos_record_init(&rec);
	if ((rc = custos_archive_index_open(a, CUSTOS_INDEX_READ, &idx)) < 0)
		goto done;
	if ((rc = custos_index_watermark(idx, &out->index_watermark)) < 0 ||
	    (rc = custos_index_all_ids(idx, &l)) < 0) {
		custos_err_set(&a->err, rc, "index: %s", custos_index_errmsg(idx));
		goto done;
	}
	if ((rc = custos_store_last_seq(a->store, &last)) < 0) {
		custos_err_set(&a->err, rc, "%s", custos_store_err(a->store)->msg);
		goto done;
	}
	if (out->index_watermark > last) {
		rc = custos_err_set(&a->err, CUSTOS_ECORRUPT, "index: its watermark (seq %llu) is "
		                    "beyond the store's last record (seq %llu)",
		                    (unsigned long long)out->index_watermark, (unsigned long long)last);
		goto done;
	}
	out->index_lag = last - out->index_watermark;
	for (size_t i = 0; i < l.n; i++) {
		uint64_t *seqs = NULL, want = 0;
		size_t n = 0;
		if ((rc = custos_store_versions(a->store, l.v[i].id, &seqs, &n)) < 0) {
			custos_err_set(&a->err, rc, "%s", custos_store_err(a->store)->msg);
			goto done;
		}
		for (size_t k = 0; k < n; k++)
			if (seqs[k] <= out->index_watermark || seqs[k] == l.v[i].seq)
				want = seqs[k] > want ? seqs[k] : want;
		free(seqs);
		if (n == 0) {
			rc = custos_err_set(&a->err, CUSTOS_ECORRUPT, "index: it holds record %s, "
			                    "which the store does not", l.v[i].id);
			goto done;
		}
		if (l.v[i].seq != want) {
			rc = custos_err_set(&a->err, CUSTOS_ECORRUPT, "index: record %s is indexed at "
			                    "seq %llu but its latest version the index covers is seq %llu",
			                    l.v[i].id, (unsigned long long)l.v[i].seq,
			                    (unsigned long long)want);
			goto done;
		}
		/* a disposed version leaves the index in the same run; after a crash
		 * in the middle of one it is still there until the run is finished */
		if ((rc = custos_store_get_seq(a->store, want, &rec)) == CUSTOS_ENOTFOUND) {
			out->index_disposed++;
			rc = CUSTOS_OK;
			continue;
		} else if (rc < 0) {
			custos_err_set(&a->err, rc, "%s", custos_store_err(a->store)->msg);
			goto done;
		}
		out->index_docs++;
	}
done:
	custos_index_idlist_free(&l);
	custos_index_free(idx);
	custos_record_free(&rec);
	return rc;
}

int custos_archive_verify(custos_archive_t *a, custos_archive_verify_t *out,
                          custos_progress_fn progress, void *ctx)
{
	custos_archive_verify_t local;
	custos_buf_t result = { 0 };
	char head[CUSTOS_SHA256_HEX], chain[CUSTOS_SHA256_HEX];
	int rc;

	if (!out)
		out = &local;
	memset(out, 0, sizeof *out);
	custos_err_clear(&a->err);
	rc = custos_store_verify(a->store, &out->store, progress, ctx, &a->err);
	if (rc == CUSTOS_OK)
		rc = custos_audit_verify(a->dir, &out->audit_entries, out->audit_head, &a->err);
	if (rc == CUSTOS_OK)
		rc = verify_index(a, out);
	custos_hex(head, out->audit_head, sizeof out->audit_head);
	custos_hex(chain, out->store.chain, sizeof out->store.chain);
	custos_buf_printf(&result, "{\"records\":%llu,\"blobs\":%llu,\"tombstones\":%llu,"
	                  "\"chain\":\"%s\",\"audit_entries\":%llu,\"audit_head\":\"%s\","
	                  "\"index_docs\":%llu,\"index_lag\":%llu,\"index_disposed\":%llu",
	                  (unsigned long long)out->store.records,
	                  (unsigned long long)out->store.blobs,
	                  (unsigned long long)out->store.tombstones, chain,
	                  (unsigned long long)out->audit_entries, head,
	                  (unsigned long long)out->index_docs, (unsigned long long)out->index_lag,
	                  (unsigned long long)out->index_disposed);
	if (rc < 0) {
		custos_buf_adds(&result, ",\"error\":");
		custos_buf_add_json_str(&result, a->err.msg, strlen(a->err.msg));
	}
	custos_buf_addc(&result, '}');
	/* the verdict goes into the chain whatever it is; a failed append only
	 * matters when the verification itself passed */
	custos_err_t keep = a->err;
	int arc = custos_archive_audit(a, "verify", NULL, result.data, rc);
	if (rc == CUSTOS_OK && arc < 0)
		rc = arc;
	else
		a->err = keep;
	custos_buf_free(&result);
	return rc;
}
