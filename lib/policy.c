/* The retention schedule and policy documents, in the archive's policy
 * repository: every change a commit made by the session's actor, audited,
 * and anchored in the record chain. Commits made outside custos are
 * accepted at the next open, audited as "policy-accept". */
#include "lib_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int custos_lib__query_check(void *ctx, const char *q, char *msg, size_t cap)
{
	custos_err_t err = { 0 };
	(void)ctx;
	if (custos_index_query_check(q, &err) == CUSTOS_OK)
		return 0;
	/* the reason alone: the caller says "bad query" with the place */
	const char *m = err.msg[0] ? err.msg : custos_status_str(err.status);
	if (!strncmp(m, "bad query: ", 11))
		m += 11;
	snprintf(msg, cap, "%s", m);
	return 1;
}

int custos_session__policy(custos_session_t *s, custos_policy_t **out)
{
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	const custos_policy_log_t *foreign;
	int err;

	*out = NULL;
	o.check_query = custos_lib__query_check;
	custos_archive__git_hold(s->a);
	/* accepting commits made outside custos is audited: a session that
	 * cannot audit (a read-only medium) reads the repository as it is */
	if (!custos_archive_audited(s->a))
		o.flags |= CUSTOS_POLICY_READONLY;
	if ((err = custos_policy_open(out, s->a->dir, &o, &s->err)) < 0) {
		if (err == CUSTOS_ENOTFOUND)
			custos_err_set(&s->err, err, "'%s' has no policy repository (made by custos "
			               "init)", s->a->dir);
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
		custos_lib__json_kv(&p, "commit", c->id);
		custos_lib__json_kv(&p, "author", c->author ? c->author : "");
		custos_lib__json_kv(&p, "email", c->email ? c->email : "");
		custos_lib__json_kv(&p, "time", t);
		custos_lib__json_kv(&p, "message", c->message ? c->message : "");
		custos_buf_adds(&p, ",\"changes\":[");
		for (size_t j = 0; j < c->n_changes; j++) {
			if (j)
				custos_buf_addc(&p, ',');
			custos_buf_add_json_str(&p, c->changes[j], strlen(c->changes[j]));
		}
		custos_buf_adds(&p, "]}");
		err = p.data ? custos_session__audit(s, "policy-accept", p.data,
		                                     "{\"accepted\":true}", CUSTOS_OK)
		             : custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		custos_buf_free(&p);
		if (err < 0) {
			custos_policy_free(*out);
			*out = NULL;
			return err;
		}
	}
	if (foreign->n && custos_archive_writable(s->a)) {
		char head[CUSTOS_COMMIT_HEX];
		if (custos_policy_head(*out, head) == CUSTOS_OK)
			custos_lib__policy_advance(s, *out, head, NULL);
	}
	return CUSTOS_OK;
}

/* custos init: the policy repository beside the store (archive.c calls it). */
int custos_lib__policy_init(const char *dir, const char *actor, custos_err_t *err)
{
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	custos_policy_t *p = NULL;
	int rc;
	o.flags = CUSTOS_POLICY_CREATE;
	o.check_query = custos_lib__query_check;
	o.actor = actor;
	if ((rc = custos_policy_open(&p, dir, &o, err)) < 0)
		return rc;
	custos_policy_free(p);
	return CUSTOS_OK;
}

static int policy_fail(custos_session_t *s, custos_policy_t *p, int err)
{
	const custos_err_t *pe = custos_policy_err(p);
	return custos_err_set(&s->err, err, "%s", pe->msg[0] ? pe->msg : custos_status_str(err));
}

/* After a commit: the new head is what the next anchor names, and one is
 * committed now, so the change is in the record chain before we answer. */
static void anchor_commit(custos_session_t *s, custos_policy_t *p, const char *commit)
{
	custos_lib__policy_advance(s, p, commit, NULL);
	custos_writer__anchor(s->a, NULL);
}

static void kv(custos_buf_t *b, const char *k, const char *v)
{
	if (!b->len)
		custos_buf_addc(b, '{');
	else
		b->data[--b->len] = 0;   /* reopen the object */
	custos_lib__json_kv(b, k, v ? v : "");
	custos_buf_addc(b, '}');
}

static size_t count_lines(const char *t)
{
	size_t n = t && *t;
	for (; t && *t; t++)
		n += *t == '\n';
	return n;
}

int custos_archive_policy_set(custos_session_t *s, const char *text, size_t n,
                              const char *message, custos_policy_result_t *out)
{
	custos_policy_t *p = NULL;
	custos_policy_change_t ch;
	custos_buf_t params = { 0 };
	char head[CUSTOS_COMMIT_HEX] = "", r[160];
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_POLICY_WRITE, "change the retention schedule")) < 0 ||
	    (rc = custos_session__need_write(s, "change the retention schedule")) < 0)
		goto audit;
	pthread_mutex_lock(&s->a->policy_mu);
	if ((rc = custos_session__policy(s, &p)) == CUSTOS_OK) {
		custos_policy_resolve(p, NULL, head);
		custos_session__change(s, &ch, message);
		if ((rc = custos_policy_set(p, text, n, &ch, out->commit)) < 0)
			policy_fail(s, p, rc);
	}
	pthread_mutex_unlock(&s->a->policy_mu);
	if (rc == CUSTOS_OK) {
		out->changed = strcmp(head, out->commit) != 0;
		if (out->changed)
			anchor_commit(s, p, out->commit);
		/* the rules that can never decide a record, by the rule that does */
		custos_schedule_t *sch = NULL;
		custos_buf_t w = { 0 };
		custos_err_t pe = { 0 };
		if (custos_schedule_parse(&sch, text, n, NULL, NULL, &pe) == CUSTOS_OK &&
		    custos_schedule_warnings(sch, &w) == CUSTOS_OK && w.len)
			out->warnings = strdup(w.data);
		custos_schedule_free(sch);
		custos_buf_free(&w);
	}
audit:
	if (message)
		kv(&params, "message", message);
	if (rc == CUSTOS_OK)
		snprintf(r, sizeof r, "{\"commit\":\"%s\",\"changed\":%s,\"warnings\":%zu}",
		         out->commit, out->changed ? "true" : "false", count_lines(out->warnings));
	else
		snprintf(r, sizeof r, "{\"committed\":false}");
	rc = custos_session__audit(s, "policy-set", params.data, r, rc);
	if (rc < 0) {
		free(out->warnings);
		out->warnings = NULL;
	}
	custos_buf_free(&params);
	custos_policy_free(p);
	return rc;
}

int custos_archive_policy_set_file(custos_session_t *s, const char *path, const char *message,
                                   custos_policy_result_t *out)
{
	custos_buf_t text = { 0 };
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = custos_policy_file_read(path, CUSTOS_SCHEDULE_MAX, &text, &s->err)) < 0) {
		custos_buf_t p = { 0 };
		custos_buf_addc(&p, '{');
		custos_lib__json_kv(&p, "file", path);
		custos_buf_addc(&p, '}');
		rc = custos_session__audit(s, "policy-set", p.data, "{\"committed\":false}", rc);
		custos_buf_free(&p);
		return rc;
	}
	rc = custos_archive_policy_set(s, text.data ? text.data : "", text.len, message, out);
	custos_buf_free(&text);
	return rc;
}

int custos_archive_policy_show(custos_session_t *s, const char *spec, custos_schedule_t **out)
{
	custos_policy_t *p = NULL;
	custos_buf_t params = { 0 };
	int rc;
	*out = NULL;
	if ((rc = custos_session__begin(s, CUSTOS_OP_POLICY_READ, "read the retention schedule")) == 0 &&
	    (rc = custos_session__policy(s, &p)) == 0 &&
	    (rc = custos_policy_schedule_at(p, spec, out)) < 0) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_err_set(&s->err, rc, "no retention schedule %s%s",
			               spec ? "in force at " : "has been set", spec ? spec : "");
		else
			policy_fail(s, p, rc);
	}
	kv(&params, "at", spec ? spec : "now");
	rc = custos_session__audit(s, "policy-show", params.data, rc < 0 ? NULL : "{\"found\":true}",
	                           rc);
	custos_buf_free(&params);
	custos_policy_free(p);
	if (rc < 0) {
		custos_schedule_free(*out);
		*out = NULL;
	}
	return rc;
}

int custos_archive_policy_log(custos_session_t *s, custos_policy_log_t *out)
{
	custos_policy_t *p = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_POLICY_READ, "read the policy history")) == 0 &&
	    (rc = custos_session__policy(s, &p)) == 0 && (rc = custos_policy_log(p, out)) < 0)
		policy_fail(s, p, rc);
	char r[64];
	snprintf(r, sizeof r, "{\"commits\":%zu}", rc < 0 ? (size_t)0 : out->n);
	rc = custos_session__audit(s, "policy-log", NULL, r, rc);
	custos_policy_free(p);
	if (rc < 0)
		custos_policy_log_free(out);
	return rc;
}

int custos_archive_policy_diff(custos_session_t *s, const char *a, const char *b,
                               custos_buf_t *out)
{
	custos_policy_t *p = NULL;
	custos_buf_t params = { 0 };
	int rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_POLICY_READ, "read the policy history")) == 0 &&
	    (rc = custos_session__policy(s, &p)) == 0 && (rc = custos_policy_diff(p, a, b, out)) < 0)
		policy_fail(s, p, rc);
	kv(&params, "a", a);
	kv(&params, "b", b);
	rc = custos_session__audit(s, "policy-diff", params.data, NULL, rc);
	custos_buf_free(&params);
	custos_policy_free(p);
	return rc;
}

int custos_archive_policy_doc_add(custos_session_t *s, const char *path, const char *name,
                                  const char *message, char commit[CUSTOS_COMMIT_HEX])
{
	custos_policy_t *p = NULL;
	custos_policy_change_t ch;
	custos_buf_t params = { 0 }, data = { 0 };
	char cm[CUSTOS_COMMIT_HEX] = "", r[128];
	int rc;
	if (!name) {
		name = strrchr(path, '/');
		name = name ? name + 1 : path;
	}
	if ((rc = custos_session__begin(s, CUSTOS_OP_POLICY_WRITE, "add policy documents")) < 0 ||
	    (rc = custos_session__need_write(s, "add a policy document")) < 0 ||
	    (rc = custos_policy_file_read(path, CUSTOS_POLICY_DOC_MAX, &data, &s->err)) < 0)
		goto audit;
	pthread_mutex_lock(&s->a->policy_mu);
	if ((rc = custos_session__policy(s, &p)) == CUSTOS_OK) {
		custos_session__change(s, &ch, message);
		if ((rc = custos_policy_doc_add(p, name, data.data ? data.data : "", data.len, &ch,
		                                cm)) < 0)
			policy_fail(s, p, rc);
	}
	pthread_mutex_unlock(&s->a->policy_mu);
	if (rc == CUSTOS_OK) {
		anchor_commit(s, p, cm);
		if (commit)
			memcpy(commit, cm, CUSTOS_COMMIT_HEX);
	}
audit:
	kv(&params, "name", name);
	kv(&params, "file", path);
	snprintf(r, sizeof r, "{\"commit\":\"%s\",\"bytes\":%zu}", cm, data.len);
	rc = custos_session__audit(s, "policy-doc-add", params.data, rc == CUSTOS_OK ? r : NULL, rc);
	custos_buf_free(&params);
	custos_buf_free(&data);
	custos_policy_free(p);
	return rc;
}

int custos_archive_policy_doc_list(custos_session_t *s, custos_policy_docs_t *out)
{
	custos_policy_t *p = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_POLICY_READ, "read policy documents")) == 0 &&
	    (rc = custos_session__policy(s, &p)) == 0 && (rc = custos_policy_doc_list(p, out)) < 0)
		policy_fail(s, p, rc);
	char r[64];
	snprintf(r, sizeof r, "{\"documents\":%zu}", rc < 0 ? (size_t)0 : out->n);
	rc = custos_session__audit(s, "policy-doc-list", NULL, r, rc);
	custos_policy_free(p);
	if (rc < 0)
		custos_policy_docs_free(out);
	return rc;
}

int custos_archive_policy_doc_show(custos_session_t *s, const char *name, const char *spec,
                                   custos_buf_t *out)
{
	custos_policy_t *p = NULL;
	custos_buf_t params = { 0 };
	int rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_POLICY_READ, "read policy documents")) == 0 &&
	    (rc = custos_session__policy(s, &p)) == 0 &&
	    (rc = custos_policy_doc_get(p, name, spec, out)) < 0) {
		if (rc == CUSTOS_ENOTFOUND)
			custos_err_set(&s->err, rc, "no policy document '%s'%s%s", name, spec ? " at " : "",
			               spec ? spec : "");
		else
			policy_fail(s, p, rc);
	}
	kv(&params, "name", name);
	if (spec)
		kv(&params, "at", spec);
	rc = custos_session__audit(s, "policy-doc-show", params.data, NULL, rc);
	custos_buf_free(&params);
	custos_policy_free(p);
	return rc;
}
