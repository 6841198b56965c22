/* The archive's policy repository: opened with the indexer's query check,
 * and every commit accepted from outside custos audited. */
#include "archive_internal.h"
#include "custos_indexer.h"

#include <stdio.h>
#include <string.h>

int custos_archive__query_check(void *ctx, const char *q, char *msg, size_t cap)
{
	custos_err_t err = { 0 };
	(void)ctx;
	if (custos_index_query_check(q, &err) == CUSTOS_OK)
		return 0;
	snprintf(msg, cap, "%s", err.msg[0] ? err.msg : custos_status_str(err.status));
	return 1;
}

int custos_archive_policy_open(custos_archive_t *a, custos_policy_t **out)
{
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	const custos_policy_log_t *foreign;
	int err;

	*out = NULL;
	o.check_query = custos_archive__query_check;
	if ((err = custos_policy_open(out, a->dir, &o, &a->err)) < 0) {
		if (err == CUSTOS_ENOTFOUND)
			custos_err_set(&a->err, err, "'%s' has no policy repository (made by custos "
			               "init)", a->dir);
		return err;
	}
	/* a commit made with git behind custos's back: accepted by the open,
	 * recorded in the audit chain with who made it and what it changed */
	foreign = custos_policy_foreign(*out);
	for (size_t i = foreign->n; i-- > 0;) {
		const custos_policy_commit_t *c = &foreign->v[i];
		custos_buf_t p = { 0 };
		char t[40];
		custos_time_format(t, sizeof t, c->time);
		custos_buf_addc(&p, '{');
		custos_archive__json_kv(&p, "commit", c->id);
		custos_archive__json_kv(&p, "author", c->author ? c->author : "");
		custos_archive__json_kv(&p, "email", c->email ? c->email : "");
		custos_archive__json_kv(&p, "time", t);
		custos_archive__json_kv(&p, "message", c->message ? c->message : "");
		custos_buf_adds(&p, ",\"changes\":[");
		for (size_t j = 0; j < c->n_changes; j++) {
			if (j)
				custos_buf_addc(&p, ',');
			custos_buf_add_json_str(&p, c->changes[j], strlen(c->changes[j]));
		}
		custos_buf_adds(&p, "]}");
		err = p.data ? custos_archive_audit(a, "policy-accept", p.data,
		                                    "{\"accepted\":true}", CUSTOS_OK)
		             : CUSTOS_ENOMEM;
		custos_buf_free(&p);
		if (err < 0) {
			custos_policy_free(*out);
			*out = NULL;
			return err;
		}
	}
	return CUSTOS_OK;
}

/* custos init: the policy repository beside the store (archive.c calls it). */
int custos_archive__policy_init(const char *dir, const char *actor, custos_err_t *err)
{
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	custos_policy_t *p = NULL;
	int rc;
	o.flags = CUSTOS_POLICY_CREATE;
	o.check_query = custos_archive__query_check;
	o.actor = actor;
	if ((rc = custos_policy_open(&p, dir, &o, err)) < 0)
		return rc;
	custos_policy_free(p);
	return CUSTOS_OK;
}
