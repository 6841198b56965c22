/* Sessions: who acts and in which role, the role table, the session's
 * snapshot (store view and index), and the audit entry of each operation. */
#include "lib_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const role_names[CUSTOS_ROLE_COUNT] = {
	"operator", "ingest", "legal", "compliance", "auditor", "admin"
};

const char *custos_role_name(custos_role_t role)
{
	return role >= 0 && role < CUSTOS_ROLE_COUNT ? role_names[role] : NULL;
}

int custos_role_parse(custos_role_t *out, const char *name, custos_err_t *err)
{
	/* the operator is the person at the archive's files, not a token's role */
	for (int r = CUSTOS_ROLE_INGEST; r < CUSTOS_ROLE_COUNT; r++)
		if (name && !strcmp(name, role_names[r])) {
			*out = (custos_role_t)r;
			return CUSTOS_OK;
		}
	return custos_err_set(err, CUSTOS_EINVAL, "unknown role '%s' (one of: ingest, legal, "
	                      "compliance, auditor, admin)", name ? name : "");
}

/* Which role may do what: docs/api.md shows the same table. The operator
 * (a person with shell access to the archive's files) may do everything. */
static const bool allowed[CUSTOS_ROLE_COUNT][CUSTOS_OP_COUNT] = {
	[CUSTOS_ROLE_OPERATOR] = {
		[CUSTOS_OP_INGEST] = 1, [CUSTOS_OP_READ] = 1, [CUSTOS_OP_SEARCH] = 1,
		[CUSTOS_OP_INDEX] = 1, [CUSTOS_OP_VERIFY] = 1, [CUSTOS_OP_AUDIT_READ] = 1,
		[CUSTOS_OP_POLICY_READ] = 1, [CUSTOS_OP_POLICY_WRITE] = 1, [CUSTOS_OP_HOLD_READ] = 1,
		[CUSTOS_OP_HOLD_WRITE] = 1, [CUSTOS_OP_RETENTION_PLAN] = 1,
		[CUSTOS_OP_RETENTION_APPLY] = 1, [CUSTOS_OP_STATS] = 1,
		[CUSTOS_OP_TOKEN_ADMIN] = 1, [CUSTOS_OP_SOURCE_ADMIN] = 1, [CUSTOS_OP_SOURCE_READ] = 1,
		[CUSTOS_OP_METRICS] = 1, [CUSTOS_OP_MATTER_READ] = 1,
		[CUSTOS_OP_MATTER_WRITE] = 1, [CUSTOS_OP_EXPORT] = 1, [CUSTOS_OP_COMPACT] = 1 },
	[CUSTOS_ROLE_INGEST] = { [CUSTOS_OP_INGEST] = 1 },
	[CUSTOS_ROLE_LEGAL] = {
		[CUSTOS_OP_READ] = 1, [CUSTOS_OP_SEARCH] = 1, [CUSTOS_OP_POLICY_READ] = 1,
		[CUSTOS_OP_HOLD_READ] = 1, [CUSTOS_OP_HOLD_WRITE] = 1, [CUSTOS_OP_STATS] = 1,
		[CUSTOS_OP_MATTER_READ] = 1, [CUSTOS_OP_MATTER_WRITE] = 1, [CUSTOS_OP_EXPORT] = 1 },
	[CUSTOS_ROLE_COMPLIANCE] = {
		[CUSTOS_OP_READ] = 1, [CUSTOS_OP_SEARCH] = 1, [CUSTOS_OP_POLICY_READ] = 1,
		[CUSTOS_OP_POLICY_WRITE] = 1, [CUSTOS_OP_HOLD_READ] = 1, [CUSTOS_OP_HOLD_WRITE] = 1,
		[CUSTOS_OP_RETENTION_PLAN] = 1, [CUSTOS_OP_RETENTION_APPLY] = 1, [CUSTOS_OP_STATS] = 1,
		[CUSTOS_OP_SOURCE_READ] = 1 },
	[CUSTOS_ROLE_AUDITOR] = {
		[CUSTOS_OP_READ] = 1, [CUSTOS_OP_SEARCH] = 1, [CUSTOS_OP_VERIFY] = 1,
		[CUSTOS_OP_AUDIT_READ] = 1, [CUSTOS_OP_POLICY_READ] = 1, [CUSTOS_OP_HOLD_READ] = 1,
		[CUSTOS_OP_RETENTION_PLAN] = 1, [CUSTOS_OP_STATS] = 1, [CUSTOS_OP_SOURCE_READ] = 1,
		[CUSTOS_OP_METRICS] = 1, [CUSTOS_OP_MATTER_READ] = 1, [CUSTOS_OP_EXPORT] = 1 },
	[CUSTOS_ROLE_ADMIN] = {
		[CUSTOS_OP_STATS] = 1, [CUSTOS_OP_TOKEN_ADMIN] = 1, [CUSTOS_OP_SOURCE_ADMIN] = 1,
		[CUSTOS_OP_SOURCE_READ] = 1, [CUSTOS_OP_METRICS] = 1 },
};

/* The operations' names, as custos_session_may takes them (docs/api.md). */
static const char *const op_names[CUSTOS_OP_COUNT + 1] = {
	[CUSTOS_OP_INGEST] = "ingest", [CUSTOS_OP_READ] = "read", [CUSTOS_OP_SEARCH] = "search",
	[CUSTOS_OP_INDEX] = "index", [CUSTOS_OP_VERIFY] = "verify",
	[CUSTOS_OP_AUDIT_READ] = "audit-read", [CUSTOS_OP_POLICY_READ] = "policy-read",
	[CUSTOS_OP_POLICY_WRITE] = "policy-write", [CUSTOS_OP_HOLD_READ] = "hold-read",
	[CUSTOS_OP_HOLD_WRITE] = "hold-write", [CUSTOS_OP_RETENTION_PLAN] = "retention-plan",
	[CUSTOS_OP_RETENTION_APPLY] = "retention-apply", [CUSTOS_OP_STATS] = "stats",
	[CUSTOS_OP_MATTER_READ] = "matter-read", [CUSTOS_OP_MATTER_WRITE] = "matter-write",
	[CUSTOS_OP_EXPORT] = "export", [CUSTOS_OP_TOKEN_ADMIN] = "token-admin",
	[CUSTOS_OP_SOURCE_ADMIN] = "source-admin", [CUSTOS_OP_SOURCE_READ] = "source-read",
	[CUSTOS_OP_METRICS] = "metrics", [CUSTOS_OP_COMPACT] = "compact",
};

const char *const *custos_operations(void)
{
	return op_names;
}

custos_role_t custos_session_role(const custos_session_t *s)
{
	return s->role;
}

bool custos_session_may(const custos_session_t *s, const char *operation)
{
	for (int op = 0; operation && op < CUSTOS_OP_COUNT; op++)
		if (op_names[op] && !strcmp(op_names[op], operation))
			return allowed[s->role][op];
	return false;
}

/* Every action an audit entry can name, as docs/audit.md lists them. */
static const char *const audit_actions[] = {
	"init", "ingest-begin", "ingest", "ingest-recovered", "submit", "search", "report-terms",
	"show", "media", "quarantine-list", "quarantine-show", "index", "index-rebuild", "verify",
	"audit-read",
	"policy-set", "policy-show", "policy-log", "policy-diff", "policy-doc-add",
	"policy-doc-list", "policy-doc-show", "policy-accept", "hold-create", "hold-release-begin",
	"hold-release", "hold-list", "hold-show", "hold-scope", "hold-grow", "retention-plan",
	"retention-apply-begin", "retention-apply", "retention-log", "retention-certificate",
	"certificate-check", "matter-create", "matter-tag", "matter-save-search", "matter-show",
	"matter-list", "matter-read", "matter-search", "export", "audit-export", "activity",
	"request", "auth-refused", "token-create", "token-list", "token-revoke", "source-add",
	"source-list", "source-remove", "source-alert", "source-alert-closed", "job-submit",
	"job-resume", "job-fail", "job-cancel", "production-download", "production-delete",
	"siem-start", "compact-begin", "compact", NULL
};

const char *const *custos_audit_actions(void)
{
	return audit_actions;
}

int custos_actor_check(const char *actor, custos_err_t *err)
{
	custos_actor_t parsed;
	return actor ? custos_actor_parse(&parsed, actor, err) : CUSTOS_OK;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;
	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = true;
	return d;
}

int custos_session_open(custos_session_t **out, custos_archive_t *a, const custos_who_t *who,
                        custos_err_t *err)
{
	static const custos_who_t nobody = CUSTOS_WHO_INIT;
	custos_session_t *s;
	bool oom = false;
	int rc;

	*out = NULL;
	if (!who)
		who = &nobody;
	if (who->role < 0 || who->role >= CUSTOS_ROLE_COUNT)
		return custos_err_set(err, CUSTOS_EINVAL, "no role %d", (int)who->role);
	/* the one check of who acts: the actor reaches the audit chain, git
	 * commits, hold files and tombstones */
	custos_actor_t actor;
	if (who->actor && (rc = custos_actor_parse(&actor, who->actor, err)) < 0)
		return rc;
	if (!(s = calloc(1, sizeof *s)))
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	s->a = a;
	s->role = who->role;
	if (who->actor) {
		s->actor = dup_or_null(actor.text, &oom);
		s->actor_name = dup_or_null(actor.name, &oom);
		s->actor_email = actor.email[0] ? dup_or_null(actor.email, &oom) : NULL;
	}
	s->token = dup_or_null(who->token, &oom);
	s->client = dup_or_null(who->client, &oom);
	pthread_mutex_lock(&a->mu);
	bool stopping = a->stopping;
	if (!stopping)
		a->sessions++;
	pthread_mutex_unlock(&a->mu);
	if (oom || stopping) {
		if (stopping)
			s->a = NULL;   /* not counted */
		custos_session_free(s);
		if (stopping)
			return custos_err_set(err, CUSTOS_ESTOPPED, "the archive is closing");
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	*out = s;
	return CUSTOS_OK;
}

void custos_session__unpin(custos_session_t *s)
{
	custos_index_free(s->idx);
	s->idx = NULL;
	if (s->view)
		custos_store_snapshot(s->view, false);
	s->pinned = false;
}

void custos_session_free(custos_session_t *s)
{
	if (!s)
		return;
	custos_session__unpin(s);
	custos_store_free(s->view);
	if (s->a) {
		pthread_mutex_lock(&s->a->mu);
		s->a->sessions--;
		pthread_mutex_unlock(&s->a->mu);
	}
	free(s->actor);
	free(s->actor_name);
	free(s->actor_email);
	free(s->token);
	free(s->client);
	free(s);
}

const custos_err_t *custos_session_err(const custos_session_t *s)
{
	return &s->err;
}

void custos_session_refresh(custos_session_t *s)
{
	custos_session__unpin(s);
}

custos_archive_t *custos_session_archive(custos_session_t *s)
{
	return s->a;
}

void custos_session_progress(custos_session_t *s, custos_progress_fn fn, void *ctx)
{
	s->progress = fn;
	s->progress_ctx = ctx;
}

void custos_session_cancel(custos_session_t *s)
{
	__atomic_store_n(&s->cancel, 1, __ATOMIC_RELAXED);
}

int custos_session__begin(custos_session_t *s, custos_op_t op, const char *what)
{
	custos_err_clear(&s->err);
	if (!allowed[s->role][op])
		return custos_err_set(&s->err, CUSTOS_EDENIED, "the %s role may not %s",
		                      role_names[s->role], what);
	return CUSTOS_OK;
}

int custos_session__need_write(custos_session_t *s, const char *what)
{
	if (!(s->a->flags & CUSTOS_OPEN_WRITE))
		return custos_err_set(&s->err, CUSTOS_EINVAL, "cannot %s: the archive is open "
		                      "read-only", what);
	return CUSTOS_OK;
}

int custos_session__store(custos_session_t *s, custos_store_t **out)
{
	int rc;
	if (!s->view && (rc = custos_store_view(&s->view, s->a->store, &s->err)) < 0)
		return rc;
	if (!s->pinned) {
		if ((rc = custos_store_snapshot(s->view, true)) < 0)
			return custos_err_set(&s->err, rc, "%s", custos_store_err(s->view)->msg);
		s->pinned = true;
	}
	*out = s->view;
	return CUSTOS_OK;
}

int custos_session__index(custos_session_t *s, custos_index_t **out)
{
	char path[4200];
	int rc;
	if (!s->idx) {
		custos_lib__index_path(path, sizeof path, s->a->dir);
		for (int attempt = 0;; attempt++) {
			rc = custos_index_open(&s->idx, path, CUSTOS_INDEX_READ, &s->err);
			if (rc == CUSTOS_OK || !custos_session__index_moved(s, rc, attempt))
				break;
		}
		if (rc < 0)
			return rc;
		/* The store is always ahead of the index (the index service reads
		 * what was committed): a store snapshot taken before this index was
		 * opened may lack records it holds. Taken again now, it has them all,
		 * so every hit is a record of the snapshot. */
		if (s->pinned) {
			custos_store_snapshot(s->view, false);
			s->pinned = false;
			custos_store_t *st;
			if ((rc = custos_session__store(s, &st)) < 0)
				return rc;
		}
	}
	*out = s->idx;
	return CUSTOS_OK;
}

bool custos_session__index_moved(custos_session_t *s, int rc, int attempt)
{
	if (rc != CUSTOS_EINDEX || attempt >= 8)
		return false;
	const char *m = s->idx ? custos_index_errmsg(s->idx) : s->err.msg;
	if (!strstr(m, "DatabaseModified") && !strstr(m, "kept changing") &&
	    !strstr(s->err.msg, "DatabaseModified") && !strstr(s->err.msg, "kept changing"))
		return false;
	/* a writer committed twice under this reader: read its latest revision
	 * (and a store snapshot at least as new) and do it again */
	custos_session__unpin(s);
	custos_err_clear(&s->err);
	return true;
}

int custos_session__fail(custos_session_t *s, int status, const char *detail,
                         const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (detail && *detail)
		return custos_err_set(&s->err, status, "%s: %s", what, detail);
	return custos_err_set(&s->err, status, "%s: %s", what, custos_status_str(status));
}

int custos_session__audit_name(custos_session_t *s, const char *action, const char *name,
                               int status)
{
	custos_buf_t p = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "name", name ? name : "");
	custos_buf_addc(&p, '}');
	status = custos_session__audit(s, action, p.data, NULL, status);
	custos_buf_free(&p);
	return status;
}

int custos_session__audit(custos_session_t *s, const char *action, const char *params,
                          const char *result, int status)
{
	return custos_session__audit_n(s, action, params, result, status, NULL);
}

int custos_session__audit_n(custos_session_t *s, const char *action, const char *params,
                            const char *result, int status, uint64_t *n)
{
	custos_archive_t *a = s->a;
	s->audit_ok = false;
	if (n)
		*n = 0;
	if (!a->audit)
		return status;   /* a read-only medium: custos_archive_audited says so */
	custos_audit_entry_t e = {
		action, s->actor, s->role == CUSTOS_ROLE_OPERATOR ? NULL : role_names[s->role],
		s->token, s->client, params, result, status
	};
	custos_err_t aerr = { 0 };
	int rc = custos_auditlog_append(a->audit, &e, n, &aerr);
	s->audit_ok = rc == CUSTOS_OK;
	s->audits++;
	if (status < 0)
		return status;
	if (rc < 0)
		s->err = aerr;
	return rc;
}

void custos_session__change(custos_session_t *s, custos_policy_change_t *c, const char *msg)
{
	memset(c, 0, sizeof *c);
	c->actor = s->actor;   /* "Name <address>" becomes the author's name and address */
	c->message = msg;
}
