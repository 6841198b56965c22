/* Verification across the parts: store, audit chain (and index, later). */
#include "archive_internal.h"

#include <stdio.h>
#include <string.h>

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
	custos_hex(head, out->audit_head, sizeof out->audit_head);
	custos_hex(chain, out->store.chain, sizeof out->store.chain);
	custos_buf_printf(&result, "{\"records\":%llu,\"blobs\":%llu,\"tombstones\":%llu,"
	                  "\"chain\":\"%s\",\"audit_entries\":%llu,\"audit_head\":\"%s\"",
	                  (unsigned long long)out->store.records,
	                  (unsigned long long)out->store.blobs,
	                  (unsigned long long)out->store.tombstones, chain,
	                  (unsigned long long)out->audit_entries, head);
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
