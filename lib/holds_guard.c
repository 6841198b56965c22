/* Holds cannot end behind custos's back: the store's record chain anchors
 * the policy commit custos last committed or accepted, and the policy
 * repository must still agree with it (docs/retention.md, "Holds cannot
 * end behind custos's back"). A hold active at that commit is still there
 * and active at the branch's head, or was released by custos hold release;
 * its recorded membership did not shrink; its member file holds what both
 * commits recorded; and the branch descends from the commit. Disposition
 * refuses to plan or apply while the repository disagrees, verify reports
 * it, and the anchor never moves to a commit that disagrees. */
#include "lib_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	custos_session_t *s;
	const char *base;
	const char *releasing;     /* the hold being released by this session, or NULL */
	custos_problem_fn fn;
	void *ctx;
	uint64_t problems;
	char first[1024];
	/* holds custos was asked to release (audit entries "hold-release-begin"
	 * not followed by a failed release), read once when needed */
	char **released;
	size_t n_released;
	bool read_intents;
	int err;
} guard_t;

static void disagree(guard_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void disagree(guard_t *g, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (g->problems++ == 0)
		snprintf(g->first, sizeof g->first, "%s", msg);
	if (g->fn)
		g->fn(g->ctx, msg);
}

/* ---- releases custos was asked for ---------------------------------------- */

static int intent_fn(void *ctx, const char *line, size_t n)
{
	guard_t *g = ctx;
	json_t *o, *params;
	const char *action, *name, *status;
	/* most lines are something else: look before parsing */
	if (!memmem(line, n, "\"action\":\"hold-release", 22))
		return 0;
	if (!(o = json_loadb(line, n, 0, NULL)))
		return 0;
	action = json_string_value(json_object_get(o, "action"));
	params = json_object_get(o, "params");
	name = json_string_value(json_object_get(params, "name"));
	status = json_string_value(json_object_get(o, "status"));
	if (action && name) {
		bool begin = !strcmp(action, "hold-release-begin");
		bool failed = !strcmp(action, "hold-release") && status && strcmp(status, "ok");
		size_t i = 0;
		while (i < g->n_released && strcmp(g->released[i], name))
			i++;
		if (begin && i == g->n_released) {
			char **nv = realloc(g->released, (g->n_released + 1) * sizeof *nv);
			char *dup = strdup(name);
			if (!nv || !dup) {
				free(dup);
				if (nv)
					g->released = nv;
				json_decref(o);
				return g->err = CUSTOS_ENOMEM;
			}
			g->released = nv;
			g->released[g->n_released++] = dup;
		} else if (failed && i < g->n_released) {
			/* a release that did not happen: what it began allows nothing */
			free(g->released[i]);
			g->released[i] = g->released[--g->n_released];
		}
	}
	json_decref(o);
	return 0;
}

/* Whether custos was asked to release hold name: this session releases it,
 * or the audit trail holds the entry custos writes before the release
 * commit (so a release cut short between its commit and its anchor is
 * known as custos's own). Read once, and only when a release is met that
 * this session did not make: a rare case, since the anchor follows custos's
 * own release at once. */
static bool custos_released(guard_t *g, const char *name)
{
	if (g->releasing && !strcmp(g->releasing, name))
		return true;
	if (!g->read_intents) {
		custos_err_t err = { 0 };
		g->read_intents = true;
		if (custos_audit_read(g->s->a->dir, CUSTOS_TIME_NONE, intent_fn, g, &err) < 0 && !g->err)
			g->err = err.status;
	}
	for (size_t i = 0; i < g->n_released; i++)
		if (!strcmp(g->released[i], name))
			return true;
	return false;
}

/* ---- the comparison ------------------------------------------------------- */

static int change_fn(void *ctx, custos_hold_change_t what, const char *name, const char *why)
{
	guard_t *g = ctx;
	const char *b = g->base;
	switch (what) {
	case CUSTOS_HOLD_RELEASED:
		if (custos_released(g, name))
			break;
		disagree(g, "hold '%s' was released by a commit custos did not make (%s; no 'custos "
		         "hold release' ended it): a hold ends only through 'custos hold release'. "
		         "Restore holds/%s.json as of commit %.12s (git revert the commit that changed "
		         "it, and push), then release it with 'custos hold release %s --reason ...' "
		         "if it is to end", name, why, name, b, name);
		break;
	case CUSTOS_HOLD_REMOVED:
		disagree(g, "hold '%s' was removed behind custos's back (%s; the store's chain "
		         "anchored it at commit %.12s): a hold ends only through 'custos hold "
		         "release'. Restore holds/%s.json (git revert the commit that removed it, "
		         "and push)", name, why, b, name);
		break;
	case CUSTOS_HOLD_MEMBERS:
		disagree(g, "hold '%s': %s. Restore holds/%s.members from a backup", name, why, name);
		break;
	default:
		disagree(g, "hold '%s': %s, in a commit custos did not make (the store's chain "
		         "anchored commit %.12s). Restore holds/%s.json as of that commit (git "
		         "revert, and push)", name, why, b, name);
		break;
	}
	return g->err;
}

int custos_lib__holds_guard(custos_session_t *s, custos_policy_t *p, const char *base,
                            const char *head, const char *releasing, unsigned flags,
                            custos_problem_fn fn, void *ctx)
{
	guard_t g = { s, base, releasing, fn, ctx, 0, "", NULL, 0, false, 0 };
	bool in = false;
	int rc;

	if (!base || !base[0])
		return CUSTOS_OK;   /* nothing anchored yet: nothing to disagree with */
	rc = custos_policy_contains(p, base, &in);
	if (rc == CUSTOS_ENOTFOUND) {
		disagree(&g, "commit %s, which the store's chain anchored as the policy custos "
		         "committed last, is missing from the policy repository: its objects were "
		         "deleted behind custos's back. Restore policy/ from a backup", base);
		goto done;
	}
	if (rc < 0) {
		disagree(&g, "policy repository: %s", custos_policy_err(p)->msg);
		goto done;
	}
	if (!in && !head) {
		disagree(&g, "the policy branch does not descend from commit %s, which the store's "
		         "chain anchored as the policy custos committed last: its history was "
		         "rewritten or moved back behind custos's back. Restore the branch to that "
		         "commit or a descendant of it (git update-ref)", base);
		goto done;
	}
	rc = custos_holds_compare(p, base, head, (flags & CUSTOS_GUARD_MEMBERS) ? CUSTOS_HOLDS_MEMBERS : 0,
	                          change_fn, &g);
	if (rc < 0 && !g.err)
		disagree(&g, "policy repository: %s", custos_policy_err(p)->msg);
done:
	for (size_t i = 0; i < g.n_released; i++)
		free(g.released[i]);
	free(g.released);
	if (g.err)
		return custos_err_set(&s->err, g.err, "cannot compare the holds with what the store's "
		                      "chain anchored: %s", custos_status_str(g.err));
	if (!g.problems)
		return CUSTOS_OK;
	custos_err_set(&s->err, CUSTOS_EPOLICY, "%s", g.first);
	if (g.problems > 1)
		custos_err_prefix(&s->err, "%llu disagreements; the first", (unsigned long long)g.problems);
	return CUSTOS_EPOLICY;
}

/* The policy commit the store's chain anchored last. */
static int anchored_policy(custos_session_t *s, char out[CUSTOS_COMMIT_HEX])
{
	custos_store_t *st = NULL;
	custos_anchor_t an;
	int rc;
	out[0] = 0;
	if ((rc = custos_session__store(s, &st)) < 0)
		return rc;
	if ((rc = custos_store_last_anchor(st, &an)) < 0)
		return custos_err_set(&s->err, rc, "%s", custos_store_err(st)->msg);
	memcpy(out, an.policy, CUSTOS_COMMIT_HEX);
	return CUSTOS_OK;
}

int custos_lib__disposal_guard(custos_session_t *s, custos_policy_t *p, const char *what)
{
	char base[CUSTOS_COMMIT_HEX];
	int rc;
	/* a writer's pending head was checked against the anchor before it was
	 * recorded; a reader has only what the store holds */
	pthread_mutex_lock(&s->a->mu);
	memcpy(base, s->a->policy_head, sizeof base);
	pthread_mutex_unlock(&s->a->mu);
	if (!base[0] && (rc = anchored_policy(s, base)) < 0)
		return rc;
	if ((rc = custos_lib__holds_guard(s, p, base, NULL, NULL, CUSTOS_GUARD_MEMBERS, NULL,
	                                  NULL)) == CUSTOS_EPOLICY)
		custos_err_prefix(&s->err, "the policy repository disagrees with what the store's "
		                  "chain anchored of it (%s refused)", what);
	return rc;
}

void custos_lib__policy_advance(custos_session_t *s, custos_policy_t *p, const char *commit,
                                const char *releasing)
{
	char base[CUSTOS_COMMIT_HEX];
	custos_err_t keep = s->err;
	pthread_mutex_lock(&s->a->mu);
	memcpy(base, s->a->policy_head, sizeof base);
	pthread_mutex_unlock(&s->a->mu);
	if (!commit || !commit[0] || !strcmp(base, commit))
		return;
	/* the commit must agree with the last one anchored (hold files only:
	 * member files are checked where holds are used, and cost their size) */
	bool in = false;
	if (base[0] && (custos_policy_contains(p, base, &in) < 0 || !in ||
	                custos_lib__holds_guard(s, p, base, commit, releasing, 0, NULL, NULL) < 0)) {
		s->err = keep;   /* the caller's outcome stands; plan, apply and verify say why */
		return;
	}
	custos_archive__policy_head(s->a, commit);
}

int custos_lib__release_intent(custos_session_t *s, const char *name, const char *reason)
{
	custos_buf_t params = { 0 };
	custos_buf_addc(&params, '{');
	custos_lib__json_kv(&params, "name", name);
	custos_lib__json_kv(&params, "reason", reason ? reason : "");
	custos_buf_addc(&params, '}');
	int rc = custos_session__audit(s, "hold-release-begin", params.data, "{}", CUSTOS_OK);
	custos_buf_free(&params);
	return rc;
}
