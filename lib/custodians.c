/* Whose collections the archive holds: every custodian records were
 * captured for (custos ingest --custodian), with the number of records. */
#include "lib_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	custos_session_t *s;
	custos_store_t *st;
	custos_custodian_count_t *v;
	size_t n, cap;
	int err;
} count_t;

/* Counts rec under its custodian when it is its id's latest version. */
static int count_one(void *ctx, const custos_record_t *rec)
{
	count_t *c = ctx;
	uint64_t *seqs = NULL;
	size_t nv = 0, i;
	int rc = custos_store_versions(c->st, rec->id, &seqs, &nv);
	uint64_t latest = nv ? seqs[nv - 1] : 0;
	free(seqs);
	if (rc < 0)
		return c->err = custos_err_set(&c->s->err, rc, "%s", custos_store_err(c->st)->msg);
	if (latest != rec->seq)
		return 0;
	for (i = 0; i < c->n; i++)
		if (rec->custodian ? c->v[i].name && !strcmp(c->v[i].name, rec->custodian)
		                   : !c->v[i].name)
			break;
	if (i == c->n) {
		if (c->n == c->cap) {
			size_t nc = c->cap ? c->cap * 2 : 8;
			custos_custodian_count_t *nv2 = realloc(c->v, nc * sizeof *nv2);
			if (!nv2)
				return c->err = custos_err_set(&c->s->err, CUSTOS_ENOMEM, "out of memory");
			c->v = nv2;
			c->cap = nc;
		}
		c->v[i].records = 0;
		c->v[i].name = NULL;
		if (rec->custodian && !(c->v[i].name = strdup(rec->custodian)))
			return c->err = custos_err_set(&c->s->err, CUSTOS_ENOMEM, "out of memory");
		c->n++;
	}
	c->v[i].records++;
	return 0;
}

static int cmp_name(const void *x, const void *y)
{
	const custos_custodian_count_t *a = x, *b = y;
	if (!a->name || !b->name)
		return !a->name - !b->name;   /* no custodian last */
	return strcmp(a->name, b->name);
}

int custos_archive_custodians(custos_session_t *s, custos_custodian_count_t **out, size_t *n)
{
	count_t c = { .s = s };
	int rc;
	*out = NULL;
	*n = 0;
	if ((rc = custos_session__begin(s, CUSTOS_OP_STATS, "read the archive's statistics")) < 0 ||
	    (rc = custos_session__store(s, &c.st)) < 0)
		return rc;
	rc = custos_store_scan(c.st, 0, count_one, &c);
	if (rc != 0) {
		if (!c.err)
			custos_err_set(&s->err, rc < 0 ? rc : CUSTOS_EINTERNAL, "%s",
			               custos_store_err(c.st)->msg);
		custos_custodians_free(c.v, c.n);
		return rc < 0 ? rc : CUSTOS_EINTERNAL;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof *c.v, cmp_name);
	*out = c.v;
	*n = c.n;
	return CUSTOS_OK;
}

void custos_custodians_free(custos_custodian_count_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}
