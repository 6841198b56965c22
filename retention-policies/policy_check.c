/* Verification of the policy repository's objects and refs: every commit,
 * tree and blob reachable from the branch, refs/custos/known and the notes
 * is read back (libgit2 checks each object's hash as it reads it), so an
 * object deleted or changed behind custos's back is named, not only found
 * when a command happens to need it. docs/retention.md. */
#include "retention_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	custos_policy_t *p;
	custos_problem_fn fn;
	void *ctx;
	custos_retention__set_t seen;   /* object ids read (hex) */
	uint64_t objects, problems;
	int err;                        /* out of memory */
} walk_t;

static void problem(walk_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(walk_t *w, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w->problems++;
	if (w->fn)
		w->fn(w->ctx, msg);
}

static const char *git_msg(void)
{
	const git_error *e = git_error_last();
	return e && e->message ? e->message : "unknown error";
}

/* true the first time id is met */
static bool first_time(walk_t *w, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof hex, id);
	int r = custos_retention__set_add(&w->seen, hex, strlen(hex));
	if (r < 0)
		w->err = CUSTOS_ENOMEM;
	return r == 1;
}

static void walk_tree(walk_t *w, const git_oid *id, const char *path, const char *commit)
{
	git_tree *t = NULL;
	if (!first_time(w, id))
		return;
	w->objects++;
	if (git_tree_lookup(&t, w->p->repo, id) < 0) {
		problem(w, "policy repository: the tree %s%s of commit %.12s cannot be read: %s",
		        path[0] ? path : "/", path[0] ? "/" : "", commit, git_msg());
		return;
	}
	for (size_t i = 0; i < git_tree_entrycount(t) && !w->err; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		char sub[1024];
		snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "/" : "", git_tree_entry_name(e));
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			walk_tree(w, git_tree_entry_id(e), sub, commit);
		} else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
			git_blob *b = NULL;
			if (!first_time(w, git_tree_entry_id(e)))
				continue;
			w->objects++;
			if (git_blob_lookup(&b, w->p->repo, git_tree_entry_id(e)) < 0)
				problem(w, "policy repository: %s of commit %.12s (object %.12s) cannot be "
				        "read: %s", sub, commit, git_oid_tostr_s(git_tree_entry_id(e)),
				        git_msg());
			git_blob_free(b);
		}
	}
	git_tree_free(t);
}

/* Every commit reachable from ref, with its tree. */
static void walk_ref(walk_t *w, const char *ref)
{
	git_revwalk *rw = NULL;
	git_oid id;
	int rc;
	if ((rc = git_revwalk_new(&rw, w->p->repo)) < 0) {
		w->err = custos_policy__git(w->p, rc, "cannot walk the policy history");
		return;
	}
	if ((rc = git_revwalk_push_ref(rw, ref)) < 0) {
		if (rc != GIT_ENOTFOUND)
			problem(w, "policy repository: %s cannot be read: %s", ref, git_msg());
		git_revwalk_free(rw);
		return;
	}
	while (!w->err && (rc = git_revwalk_next(&id, rw)) == 0) {
		git_commit *c = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		if (!first_time(w, &id))
			continue;
		w->objects++;
		git_oid_tostr(hex, sizeof hex, &id);
		if (git_commit_lookup(&c, w->p->repo, &id) < 0) {
			problem(w, "policy repository: commit %s cannot be read: %s", hex, git_msg());
			continue;
		}
		walk_tree(w, git_commit_tree_id(c), "", hex);
		git_commit_free(c);
	}
	if (rc < 0 && rc != GIT_ITEROVER)
		problem(w, "policy repository: the history of %s cannot be walked (an object is "
		        "missing or damaged): %s", ref, git_msg());
	git_revwalk_free(rw);
}

int custos_policy_check(custos_policy_t *p, custos_problem_fn fn, void *ctx, uint64_t *objects)
{
	walk_t w = { p, fn, ctx, { 0 }, 0, 0, 0 };
	git_oid id;
	custos_err_clear(&p->err);
	/* the branch, what custos knew last, and when it accepted what */
	int rc = git_reference_name_to_id(&id, p->repo, "HEAD");
	if (rc < 0)
		problem(&w, "policy repository: HEAD cannot be read: %s", git_msg());
	else
		walk_ref(&w, "HEAD");
	rc = git_reference_name_to_id(&id, p->repo, CUSTOS_POLICY_KNOWN_REF);
	if (rc == GIT_ENOTFOUND)
		problem(&w, "policy repository: %s is missing: it was deleted behind custos's back "
		        "(a writer then accepts the whole history as new)", CUSTOS_POLICY_KNOWN_REF);
	else if (rc < 0)
		problem(&w, "policy repository: %s cannot be read: %s", CUSTOS_POLICY_KNOWN_REF,
		        git_msg());
	else
		walk_ref(&w, CUSTOS_POLICY_KNOWN_REF);
	/* no notes until custos accepts a commit made outside it */
	rc = git_reference_name_to_id(&id, p->repo, CUSTOS_POLICY_NOTES_REF);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		problem(&w, "policy repository: %s cannot be read: %s", CUSTOS_POLICY_NOTES_REF,
		        git_msg());
	else if (rc == 0 && !w.err)
		walk_ref(&w, CUSTOS_POLICY_NOTES_REF);
	custos_retention__set_free(&w.seen);
	if (objects)
		*objects = w.objects;
	if (w.err)
		return w.err == CUSTOS_ENOMEM ? custos_err_set(&p->err, w.err, "out of memory") : w.err;
	if (w.problems)
		return custos_err_set(&p->err, CUSTOS_ECORRUPT, "the policy repository is damaged "
		                      "(%llu problems)", (unsigned long long)w.problems);
	return CUSTOS_OK;
}

int custos_policy_accepted_at(custos_policy_t *p, const char *commit, int64_t *ms)
{
	git_oid id;
	git_note *note = NULL;
	*ms = CUSTOS_TIME_NONE;
	custos_err_clear(&p->err);
	if (git_oid_fromstr(&id, commit) < 0)
		return custos_err_set(&p->err, CUSTOS_EINVAL, "'%s' is not a commit id", commit);
	int rc = git_note_read(&note, p->repo, CUSTOS_POLICY_NOTES_REF, &id);
	if (rc == GIT_ENOTFOUND)
		return CUSTOS_ENOTFOUND;
	if (rc < 0)
		return custos_policy__git(p, rc, "cannot read the note of commit %s", commit);
	const char *m = git_note_message(note), *k = m ? strstr(m, "accepted-at: ") : NULL;
	if (k) {
		k += strlen("accepted-at: ");
		if (custos_time_parse(ms, k, strcspn(k, "\n")) < 0)
			*ms = CUSTOS_TIME_NONE;
	}
	git_note_free(note);
	return *ms == CUSTOS_TIME_NONE ? CUSTOS_ENOTFOUND : CUSTOS_OK;
}
