/* The policy repository: a bare git repository at <archive>/policy, read and
 * written through libgit2 only. Opening, locking, noticing commits made
 * behind custos's back, committing, the schedule in force at a date, log,
 * diff and policy documents. */
#include "retention_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char README[] =
	"# custos policy repository\n"
	"\n"
	"This repository is kept by custos. It holds:\n"
	"\n"
	"- `retention.yaml`: the retention schedule (see custos's docs/retention.md);\n"
	"- `holds/<name>.json`: one file per legal hold, active or released;\n"
	"- `docs/`: policy documents (social-media policy, retention memos).\n"
	"\n"
	"Every change is a commit whose author is the person who made it. History is\n"
	"never rewritten. You may clone this repository, commit and push back: custos\n"
	"checks such commits the next time it opens the archive, accepts them when the\n"
	"schedule and holds are still valid (and reports them for the audit trail), and\n"
	"refuses to work on an invalid policy.\n";

/* ---------------------------------------------------------------------------
 * Errors
 */
int custos_policy__git(custos_policy_t *p, int rc, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	const git_error *e = git_error_last();
	int st;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	switch (rc) {
	case GIT_ENOTFOUND: st = CUSTOS_ENOTFOUND; break;
	case GIT_EEXISTS:   st = CUSTOS_EEXISTS; break;
	case GIT_ELOCKED:
	case GIT_EMODIFIED: st = CUSTOS_EBUSY; break;
	case GIT_EAMBIGUOUS:
	case GIT_EINVALIDSPEC: st = CUSTOS_EINVAL; break;
	default:
		st = e && e->klass == GIT_ERROR_NOMEMORY ? CUSTOS_ENOMEM :
		     e && e->klass == GIT_ERROR_OS ? CUSTOS_EIO : CUSTOS_EPOLICY;
	}
	return custos_err_set(&p->err, st, "%s: %s%s", what,
	                      e && e->message ? e->message : "libgit2 failed",
	                      rc == GIT_ELOCKED ? " (a git process is writing the policy repository, "
	                      "or one was killed: if no git process runs, remove that lock file)" : "");
}

#define GIT_TRY(call, ...) do { int git__rc = (call); \
	if (git__rc < 0) { err = custos_policy__git(p, git__rc, __VA_ARGS__); goto done; } \
	} while (0)

const custos_err_t *custos_policy_err(const custos_policy_t *p)
{
	return &p->err;
}

const char *custos_policy_path(const custos_policy_t *p)
{
	return p->path;
}

const custos_policy_log_t *custos_policy_foreign(const custos_policy_t *p)
{
	return &p->foreign;
}

/* ---------------------------------------------------------------------------
 * Small helpers
 */
static char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);
	if (!s)
		return NULL;
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

static int64_t commit_ms(const git_commit *c)
{
	return (int64_t)git_commit_time(c) * 1000;
}

int custos_policy__head(custos_policy_t *p, git_oid *out)
{
	int rc = git_reference_name_to_id(out, p->repo, "HEAD");
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
		return custos_err_set(&p->err, CUSTOS_ENOTFOUND, "the policy repository has no commit yet");
	if (rc < 0)
		return custos_policy__git(p, rc, "cannot read HEAD of '%s'", p->path);
	return CUSTOS_OK;
}

static int tree_of(custos_policy_t *p, const git_oid *commit, git_tree **out)
{
	git_commit *c = NULL;
	int err = CUSTOS_OK;
	*out = NULL;
	GIT_TRY(git_commit_lookup(&c, p->repo, commit), "cannot read commit %s", git_oid_tostr_s(commit));
	GIT_TRY(git_commit_tree(out, c), "cannot read the tree of %s", git_oid_tostr_s(commit));
done:
	git_commit_free(c);
	return err;
}

/* The blob id of path in tree; CUSTOS_ENOTFOUND when absent or not a file. */
static int blob_id_in(custos_policy_t *p, git_tree *tree, const char *path, git_oid *out)
{
	git_tree_entry *e = NULL;
	int rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND)
		return CUSTOS_ENOTFOUND;
	if (rc < 0)
		return custos_policy__git(p, rc, "cannot look up '%s'", path);
	int err = CUSTOS_OK;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		err = CUSTOS_ENOTFOUND;
	else
		git_oid_cpy(out, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return err;
}

int custos_policy__read(custos_policy_t *p, const git_oid *commit, const char *path,
                        custos_buf_t *out, git_oid *blob_id)
{
	git_oid head, id;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	int err;
	if (!commit) {
		if ((err = custos_policy__head(p, &head)) < 0)
			return err;
		commit = &head;
	}
	if ((err = tree_of(p, commit, &tree)) < 0)
		goto done;
	if ((err = blob_id_in(p, tree, path, &id)) < 0) {
		if (err == CUSTOS_ENOTFOUND)
			custos_err_set(&p->err, err, "'%s' not found in commit %.12s", path,
			               git_oid_tostr_s(commit));
		goto done;
	}
	GIT_TRY(git_blob_lookup(&blob, p->repo, &id), "cannot read '%s'", path);
	if (custos_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob)) < 0) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "cannot read '%s': out of memory", path);
		goto done;
	}
	if (blob_id)
		git_oid_cpy(blob_id, &id);
done:
	git_blob_free(blob);
	git_tree_free(tree);
	return err;
}

int custos_policy__last_change(custos_policy_t *p, const git_oid *commit, const char *path,
                               git_oid *out, int64_t *time_ms)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL;
	git_oid blob, pblob;
	int err = CUSTOS_OK;

	GIT_TRY(git_commit_lookup(&c, p->repo, commit), "cannot read commit %s", git_oid_tostr_s(commit));
	GIT_TRY(git_commit_tree(&tree, c), "cannot read the tree of %s", git_oid_tostr_s(commit));
	if ((err = blob_id_in(p, tree, path, &blob)) < 0) {
		if (err == CUSTOS_ENOTFOUND)
			custos_err_set(&p->err, err, "'%s' not found in commit %.12s", path,
			               git_oid_tostr_s(commit));
		goto done;
	}
	/* walk back while the parent holds the same bytes */
	for (;;) {
		if (git_commit_parentcount(c) == 0)
			break;
		GIT_TRY(git_commit_parent(&parent, c, 0), "cannot read the parent of %s",
		        git_oid_tostr_s(git_commit_id(c)));
		git_tree_free(tree);
		tree = NULL;
		GIT_TRY(git_commit_tree(&tree, parent), "cannot read a tree");
		int r = blob_id_in(p, tree, path, &pblob);
		if (r == CUSTOS_ENOTFOUND || (r == CUSTOS_OK && !git_oid_equal(&pblob, &blob)))
			break;
		if (r < 0) {
			err = r;
			goto done;
		}
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	git_oid_cpy(out, git_commit_id(c));
	if (time_ms)
		*time_ms = commit_ms(c);
done:
	git_commit_free(parent);
	git_commit_free(c);
	git_tree_free(tree);
	return err;
}

/* ---------------------------------------------------------------------------
 * Log entries
 */
static int log_append(custos_policy_t *p, custos_policy_log_t *l, const git_oid *id)
{
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	git_diff *diff = NULL;
	custos_policy_commit_t e = { 0 };
	int err = CUSTOS_OK;

	GIT_TRY(git_commit_lookup(&c, p->repo, id), "cannot read commit %s", git_oid_tostr_s(id));
	git_oid_tostr(e.id, sizeof e.id, id);
	e.time = commit_ms(c);
	const git_signature *a = git_commit_author(c);
	const char *msg = git_commit_message(c);
	e.author = strdup(a->name ? a->name : "");
	e.email = strdup(a->email ? a->email : "");
	e.message = strdup(msg ? msg : "");
	if (!e.author || !e.email || !e.message)
		goto oom;
	for (size_t n = strlen(e.message); n && e.message[n - 1] == '\n'; n--)
		e.message[n - 1] = '\0';
	GIT_TRY(git_commit_tree(&tree, c), "cannot read the tree of %s", e.id);
	if (git_commit_parentcount(c) > 0) {
		GIT_TRY(git_commit_parent(&parent, c, 0), "cannot read the parent of %s", e.id);
		GIT_TRY(git_commit_tree(&ptree, parent), "cannot read the tree of a parent of %s", e.id);
	}
	GIT_TRY(git_diff_tree_to_tree(&diff, p->repo, ptree, tree, NULL), "cannot diff %s", e.id);
	size_t nd = git_diff_num_deltas(diff);
	if (nd && !(e.changes = calloc(nd, sizeof *e.changes)))
		goto oom;
	for (size_t i = 0; i < nd; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->new_file.path ? d->new_file.path : d->old_file.path;
		size_t len = strlen(path) + 3;
		if (!(e.changes[i] = malloc(len)))
			goto oom;
		snprintf(e.changes[i], len, "%c %s", git_diff_status_char(d->status), path);
		e.n_changes++;
	}
	custos_policy_commit_t *v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		goto oom;
	l->v = v;
	l->v[l->n++] = e;
	memset(&e, 0, sizeof e);
	goto done;
oom:
	err = custos_err_set(&p->err, CUSTOS_ENOMEM, "cannot list the policy history: out of memory");
done:
	custos_retention__commit_free(&e);
	git_diff_free(diff);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	git_commit_free(c);
	return err;
}

/* Appends the commits from `from` back to (not including) `stop` (NULL: to
 * the root), newest first: only first parents, or every commit (merged
 * branches too) in topological order. */
static int log_range(custos_policy_t *p, custos_policy_log_t *l, const git_oid *from,
                     const git_oid *stop, bool first_parent)
{
	git_revwalk *w = NULL;
	git_oid id;
	int err = CUSTOS_OK, rc;
	GIT_TRY(git_revwalk_new(&w, p->repo), "cannot walk the policy history");
	GIT_TRY(git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME),
	        "cannot walk the policy history");
	if (first_parent)
		GIT_TRY(git_revwalk_simplify_first_parent(w), "cannot walk the policy history");
	GIT_TRY(git_revwalk_push(w, from), "cannot walk from %s", git_oid_tostr_s(from));
	if (stop)
		GIT_TRY(git_revwalk_hide(w, stop), "cannot walk to %s", git_oid_tostr_s(stop));
	while ((rc = git_revwalk_next(&id, w)) == 0)
		if ((err = log_append(p, l, &id)) < 0)
			goto done;
	if (rc != GIT_ITEROVER)
		err = custos_policy__git(p, rc, "cannot walk the policy history");
done:
	git_revwalk_free(w);
	return err;
}

int custos_policy_log(custos_policy_t *p, custos_policy_log_t *out)
{
	git_oid head;
	int err;
	memset(out, 0, sizeof *out);
	custos_err_clear(&p->err);
	if ((err = custos_policy__head(p, &head)) < 0)
		return err;
	if ((err = log_range(p, out, &head, NULL, true)) < 0)
		custos_policy_log_free(out);
	return err;
}

/* ---------------------------------------------------------------------------
 * Checking a tree: the schedule and the holds. Used for commits made outside
 * custos, which skipped custos's own validation.
 */
static int check_tree(custos_policy_t *p, const git_oid *commit, const git_oid *known,
                      char *why, size_t cap)
{
	git_tree *tree = NULL, *ktree = NULL;
	custos_buf_t text = { 0 };
	custos_schedule_t *s = NULL;
	custos_err_t perr = { 0 };
	int err;

	if ((err = tree_of(p, commit, &tree)) < 0)
		goto done;
	if (known && (err = tree_of(p, known, &ktree)) < 0)
		goto done;
	err = custos_policy__read(p, commit, CUSTOS_POLICY_SCHEDULE, &text, NULL);
	if (err == CUSTOS_OK) {
		if (custos_schedule_parse(&s, text.data, text.len, p->check, p->check_ctx, &perr) < 0) {
			size_t l = strnlen(perr.msg, cap - 1);
			memcpy(why, perr.msg, l);
			why[l] = '\0';
			err = CUSTOS_EPOLICY;
			goto done;
		}
	} else if (err == CUSTOS_ENOTFOUND) {
		/* no schedule: allowed only if there never was one */
		custos_buf_t old = { 0 };
		int r = known ? custos_policy__read(p, known, CUSTOS_POLICY_SCHEDULE, &old, NULL)
		              : CUSTOS_ENOTFOUND;
		custos_buf_free(&old);
		if (r == CUSTOS_OK) {
			snprintf(why, cap, "retention.yaml was removed");
			err = CUSTOS_EPOLICY;
			goto done;
		}
		err = CUSTOS_OK;
	} else {
		goto done;
	}
	err = custos_policy__check_holds(p, tree, ktree, why, cap);
done:
	custos_schedule_free(s);
	custos_buf_free(&text);
	git_tree_free(ktree);
	git_tree_free(tree);
	return err;
}

static int signature(custos_policy_t *p, git_signature **out, const char *actor, int64_t when_ms);

/* Accepts commits made outside custos (lock held): HEAD must descend from
 * the last commit custos knew, and HEAD's tree must be valid. */
static int sync_foreign(custos_policy_t *p)
{
	git_oid head, known;
	git_reference *ref = NULL;
	git_signature *sig = NULL;
	custos_policy_log_t found = { 0 };
	char why[900] = "";
	int err = CUSTOS_OK, rc, have_known;

	if ((err = custos_policy__head(p, &head)) < 0)
		return err == CUSTOS_ENOTFOUND ? custos_err_set(&p->err, CUSTOS_EPOLICY,
		       "the policy repository '%s' has no commit on its branch", p->path) : err;
	rc = git_reference_name_to_id(&known, p->repo, CUSTOS_POLICY_KNOWN_REF);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return custos_policy__git(p, rc, "cannot read %s", CUSTOS_POLICY_KNOWN_REF);
	have_known = rc == 0;
	if (have_known && git_oid_equal(&head, &known))
		return CUSTOS_OK;
	if (have_known) {
		rc = git_graph_descendant_of(p->repo, &head, &known);
		if (rc < 0)
			return custos_policy__git(p, rc, "cannot compare the policy history");
		if (rc == 0) {
			char h[CUSTOS_COMMIT_HEX], k[CUSTOS_COMMIT_HEX];
			git_oid_tostr(h, sizeof h, &head);
			git_oid_tostr(k, sizeof k, &known);
			return custos_err_set(&p->err, CUSTOS_EPOLICY,
			        "policy history rewritten behind custos's back: commit %s, the last "
			        "custos recorded, is not in the history of HEAD (%s); it is kept as %s. "
			        "Restore the branch (git push of a descendant of %s) to go on",
			        k, h, CUSTOS_POLICY_KNOWN_REF, k);
		}
	}
	if ((err = log_range(p, &found, &head, have_known ? &known : NULL, false)) < 0)
		goto done;
	/* a commit dated ahead would hold back every later one until its date
	 * (see resolve_date); an hour allows for clocks that disagree */
	for (size_t i = 0; i < found.n; i++)
		if (found.v[i].time > custos_time_now() + 3600 * 1000) {
			char t[40];
			custos_time_format(t, sizeof t, found.v[i].time);
			err = custos_err_set(&p->err, CUSTOS_EPOLICY,
			        "policy commit %.12s by %s (\"%.80s\") was made outside custos and is "
			        "dated in the future (%s); custos refuses to use it until it is "
			        "replaced by a correctly dated commit", found.v[i].id, found.v[i].author,
			        found.v[i].message, t);
			goto done;
		}
	if ((err = check_tree(p, &head, have_known ? &known : NULL, why, sizeof why)) < 0) {
		if (err == CUSTOS_EPOLICY) {
			const custos_policy_commit_t *c = &found.v[0];
			custos_err_set(&p->err, CUSTOS_EPOLICY,
			        "policy commit %.12s by %s (\"%.80s\") was made outside custos and "
			        "leaves an invalid policy; custos refuses to use it until a valid "
			        "commit follows: %s", c->id, c->author, c->message, why);
		}
		goto done;
	}
	/* a reader that writes nothing checks, and accepts nothing */
	if (p->readonly)
		goto done;
	/* the note says when custos first saw each commit: it cannot take
	 * effect earlier, whatever date it carries (see resolve_date). Only
	 * HEAD was ever checked and in force; the commits before it in the
	 * same push never were, and resolve_date skips them. */
	{
		int64_t now = custos_time_now();
		char note[96], t[40];
		custos_time_format(t, sizeof t, now);
		if ((err = signature(p, &sig, "custos", now)) < 0 ||
		    (err = custos_policy__mark_writing(p)) < 0)
			goto done;
		for (size_t i = 0; i < found.n; i++) {
			git_oid id, nid;
			GIT_TRY(git_oid_fromstr(&id, found.v[i].id), "bad commit id %s", found.v[i].id);
			snprintf(note, sizeof note, "accepted-at: %s\n%s", t,
			         git_oid_equal(&id, &head) ? "" : "in-force: no\n");
			/* a note already there is an earlier acceptance: it stands */
			int rc2 = git_note_create(&nid, p->repo, CUSTOS_POLICY_NOTES_REF, sig, sig, &id, note, 0);
			if (rc2 < 0 && rc2 != GIT_EEXISTS) {
				err = custos_policy__git(p, rc2, "cannot note the acceptance of commit %s",
				                         found.v[i].id);
				goto done;
			}
		}
	}
	GIT_TRY(git_reference_create(&ref, p->repo, CUSTOS_POLICY_KNOWN_REF, &head, 1,
	                             "custos: accepted commits made outside custos"),
	        "cannot record the accepted policy commits");
	/* newest first: the batch found now goes before earlier ones */
	custos_policy_commit_t *v = realloc(p->foreign.v, (p->foreign.n + found.n) * sizeof *v);
	if (!v) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	memmove(v + found.n, v, p->foreign.n * sizeof *v);
	memcpy(v, found.v, found.n * sizeof *v);
	p->foreign.v = v;
	p->foreign.n += found.n;
	free(found.v);
	found.v = NULL;
	found.n = 0;
done:
	git_signature_free(sig);
	git_reference_free(ref);
	custos_policy_log_free(&found);
	return err;
}

/* ---------------------------------------------------------------------------
 * Lock
 *
 * Writes happen under the flock on custos.lock. Before its first git write a
 * holder marks custos.lock ("writing <pid>", fsynced) and clears the mark at
 * unlock. A holder that finds the mark was preceded by a custos killed while
 * writing: the lock files git and libgit2 leave then (refs/heads/main.lock,
 * packed-refs.lock, config.lock, ...) are that writer's, since no other
 * custos can write without the flock, and they are removed, with the
 * temporary object files of an object write cut short. Without the mark a
 * lock file belongs to someone else (a git push in progress) and is left
 * alone: the change then fails with libgit2's "failed to lock file".
 */
static bool stale_name(const char *dir_rel, const char *name)
{
	size_t n = strlen(name);
	if (!strcmp(dir_rel, "") && !strcmp(name, "custos.lock"))
		return false;
	if (n > 5 && !strcmp(name + n - 5, ".lock"))
		return true;
	return !strcmp(dir_rel, "objects") && !strncmp(name, "tmp_object_git2_", 16);
}

/* Removes stale lock files below dirfd (rel: its path in the repository). */
static int remove_stale(custos_policy_t *p, int dirfd, const char *rel, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	int err = CUSTOS_OK;
	if (!d) {
		close(dirfd);
		return custos_err_set(&p->err, CUSTOS_EIO, "cannot read '%s/%s': %s", p->path, rel,
		                      strerror(errno));
	}
	while (err == CUSTOS_OK && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		char sub[1024];
		snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (S_ISDIR(st.st_mode)) {
			/* loose objects hold no lock files: only their temporaries, at the top */
			if (depth > 8 || (!strcmp(rel, "objects") && strcmp(e->d_name, "info")))
				continue;
			int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				err = remove_stale(p, fd, sub, depth + 1);
		} else if (S_ISREG(st.st_mode) && stale_name(rel, e->d_name)) {
			if (unlinkat(dirfd, e->d_name, 0) < 0 && errno != ENOENT)
				err = custos_err_set(&p->err, CUSTOS_EIO, "cannot remove the stale '%s/%s': %s",
				                     p->path, sub, strerror(errno));
			else
				p->stale_removed++;
		}
	}
	closedir(d);
	return err;
}

static int recover_stale(custos_policy_t *p, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return custos_err_set(&p->err, CUSTOS_EIO, "cannot read '%s/custos.lock': %s", p->path,
		                      strerror(errno));
	if (st.st_size == 0)
		return CUSTOS_OK;
	int dfd = open(p->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return custos_err_set(&p->err, CUSTOS_EIO, "cannot read '%s': %s", p->path,
		                      strerror(errno));
	int err = remove_stale(p, dfd, "", 0);
	if (err == CUSTOS_OK && (ftruncate(fd, 0) < 0 || fdatasync(fd) < 0))
		err = custos_err_set(&p->err, CUSTOS_EIO, "cannot clear '%s/custos.lock': %s", p->path,
		                     strerror(errno));
	return err;
}

/* Marks the lock as held by a writer, before its first git write (see above). */
int custos_policy__mark_writing(custos_policy_t *p)
{
	char m[64];
	if (p->writing || p->lock_fd < 0)
		return CUSTOS_OK;
	int n = snprintf(m, sizeof m, "writing %ld\n", (long)getpid());
	if (pwrite(p->lock_fd, m, (size_t)n, 0) != n || fdatasync(p->lock_fd) < 0)
		return custos_err_set(&p->err, CUSTOS_EIO, "cannot write '%s/custos.lock': %s", p->path,
		                      strerror(errno));
	p->writing = true;
	return CUSTOS_OK;
}

int custos_policy__lock(custos_policy_t *p)
{
	if (p->readonly)
		return custos_err_set(&p->err, CUSTOS_EINVAL, "the policy repository '%s' is open "
		                      "read-only", p->path);
	if (p->lock_depth++ > 0)
		return CUSTOS_OK;
	char *lp = path_join(p->path, "custos.lock");
	int err;
	if (!lp) {
		p->lock_depth--;
		return custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
	}
	int fd = open(lp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = custos_err_set(&p->err, errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                     "cannot open '%s': %s", lp, strerror(errno));
		goto fail;
	}
	/* policy changes are short: wait for the other process */
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		err = custos_err_set(&p->err, CUSTOS_EIO, "cannot lock '%s': %s", lp, strerror(errno));
		close(fd);
		goto fail;
	}
	free(lp);
	p->lock_fd = fd;
	if ((err = recover_stale(p, fd)) < 0) {
		custos_policy__unlock(p);
		return err;
	}
	/* refresh libgit2's view: another process may have committed */
	git_odb *odb = NULL;
	if (git_repository_odb(&odb, p->repo) == 0) {
		git_odb_refresh(odb);
		git_odb_free(odb);
	}
	if ((err = sync_foreign(p)) < 0) {
		custos_policy__unlock(p);
		return err;
	}
	return CUSTOS_OK;
fail:
	free(lp);
	p->lock_depth--;
	return err;
}

void custos_policy__unlock(custos_policy_t *p)
{
	if (p->lock_depth == 0 || --p->lock_depth > 0)
		return;
	if (p->lock_fd >= 0) {
		/* the writes are done: a later holder finds nothing to recover
		 * (a lost truncate only makes it look for lock files in vain) */
		if (p->writing && ftruncate(p->lock_fd, 0) == 0)
			p->writing = false;
		flock(p->lock_fd, LOCK_UN);
		close(p->lock_fd);
		p->lock_fd = -1;
	}
}

/* ---------------------------------------------------------------------------
 * Commits
 */
/* Placeholder email for an actor given without one: git wants something
 * shaped like an address. */
static void actor_email(char *out, size_t cap, const char *name)
{
	size_t j = 0;
	for (const char *s = name; *s && j + 1 < cap && j < 64; s++) {
		char ch = *s;
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		         (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		out[j++] = ok ? ch : '_';
	}
	out[j] = '\0';
	if (!j)
		snprintf(out, cap, "custos");
	size_t l = strlen(out);
	snprintf(out + l, cap - l, "@custos.invalid");
}

/* A git signature for an actor ("Jane Doe" or "Jane Doe <jane@acme.com>");
 * custos_actor_parse refuses what git cannot keep (a newline in a name
 * makes a commit nothing can read back). */
static int signature(custos_policy_t *p, git_signature **out, const char *actor, int64_t when_ms)
{
	custos_actor_t a;
	char email[128];
	int err = CUSTOS_OK;
	if ((err = custos_actor_parse(&a, actor, &p->err)) < 0)
		return err;
	if (!a.email[0])
		actor_email(email, sizeof email, a.name);
	int64_t s = when_ms >= 0 ? when_ms / 1000 : -((-when_ms + 999) / 1000);
	GIT_TRY(git_signature_new(out, a.name, a.email[0] ? a.email : email, (git_time_t)s, 0),
	        "cannot make a commit signature for '%s'", a.text);
done:
	return err;
}

int custos_policy__change_check(custos_policy_t *p, const custos_policy_change_t *c)
{
	custos_actor_t a;
	int err;
	if (!c)
		return CUSTOS_OK;
	if (c->actor && *c->actor && (err = custos_actor_parse(&a, c->actor, &p->err)) < 0)
		return err;
	if (c->message && (err = custos_text_check("commit message", c->message,
	                                           CUSTOS_POLICY_MESSAGE_MAX,
	                                           CUSTOS_TEXT_LINES | CUSTOS_TEXT_EMPTY, &p->err)) < 0)
		return err;
	return CUSTOS_OK;
}

static int update_known(custos_policy_t *p, const git_oid *id)
{
	git_reference *ref = NULL;
	int rc = git_reference_create(&ref, p->repo, CUSTOS_POLICY_KNOWN_REF, id, 1,
	                              "custos: commit");
	git_reference_free(ref);
	return rc < 0 ? custos_policy__git(p, rc, "cannot update %s", CUSTOS_POLICY_KNOWN_REF) : 0;
}

/* The branch HEAD names ("refs/heads/main"), copied to out. */
static int head_branch(custos_policy_t *p, char *out, size_t cap)
{
	git_reference *h = NULL;
	int err = CUSTOS_OK;
	GIT_TRY(git_reference_lookup(&h, p->repo, "HEAD"), "cannot read HEAD");
	if (git_reference_type(h) != GIT_REFERENCE_SYMBOLIC) {
		err = custos_err_set(&p->err, CUSTOS_EPOLICY,
		                     "HEAD of the policy repository is detached: custos commits on a branch");
		goto done;
	}
	snprintf(out, cap, "%s", git_reference_symbolic_target(h));
done:
	git_reference_free(h);
	return err;
}

int custos_policy__commit(custos_policy_t *p, const custos_policy__file_t *files, size_t n,
                          const custos_policy_change_t *c, const char *default_msg,
                          char out[CUSTOS_COMMIT_HEX])
{
	static const custos_policy_change_t none = { 0 };
	git_oid head, tree_id, commit_id;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_tree_update *ups = NULL;
	git_reference *ref = NULL;
	custos_buf_t msg = { 0 };
	char branch[512];
	int err = CUSTOS_OK, have_head;

	if (!c)
		c = &none;
	if ((err = custos_policy__change_check(p, c)) < 0 ||
	    (err = head_branch(p, branch, sizeof branch)) < 0 ||
	    (err = custos_policy__mark_writing(p)) < 0)
		return err;
	err = custos_policy__head(p, &head);
	if (err < 0 && err != CUSTOS_ENOTFOUND)
		return err;
	have_head = err == CUSTOS_OK;
	err = CUSTOS_OK;
	if (have_head) {
		GIT_TRY(git_commit_lookup(&parent, p->repo, &head), "cannot read HEAD");
		GIT_TRY(git_commit_tree(&base, parent), "cannot read HEAD's tree");
	} else {
		git_oid empty;
		GIT_TRY(git_treebuilder_new(&tb, p->repo, NULL), "cannot make an empty tree");
		GIT_TRY(git_treebuilder_write(&empty, tb), "cannot write an empty tree");
		GIT_TRY(git_tree_lookup(&base, p->repo, &empty), "cannot read the empty tree");
	}
	if (!(ups = calloc(n ? n : 1, sizeof *ups))) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		ups[i].path = files[i].path;
		if (files[i].data) {
			ups[i].action = GIT_TREE_UPDATE_UPSERT;
			ups[i].filemode = GIT_FILEMODE_BLOB;
			GIT_TRY(git_blob_create_from_buffer(&ups[i].id, p->repo, files[i].data, files[i].len),
			        "cannot store '%s'", files[i].path);
		} else {
			ups[i].action = GIT_TREE_UPDATE_REMOVE;
		}
	}
	GIT_TRY(git_tree_create_updated(&tree_id, p->repo, base, n, ups), "cannot build the new tree");
	if (have_head && git_oid_equal(&tree_id, git_tree_id(base))) {
		/* nothing changes: no empty commit */
		git_oid_tostr(out, CUSTOS_COMMIT_HEX, &head);
		goto done;
	}
	GIT_TRY(git_tree_lookup(&tree, p->repo, &tree_id), "cannot read the new tree");
	const char *actor = c->actor && *c->actor ? c->actor : "custos";
	int64_t when = c->when ? c->when : custos_time_now();
	if ((err = signature(p, &author, actor, when)) < 0 ||
	    (err = signature(p, &committer, "custos", when)) < 0)
		goto done;
	const char *m = c->message && *c->message ? c->message : default_msg;
	if (custos_buf_adds(&msg, m) < 0 ||
	    (msg.len && msg.data[msg.len - 1] != '\n' && custos_buf_addc(&msg, '\n') < 0)) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	const git_commit *parents[1] = { parent };
	GIT_TRY(git_commit_create(&commit_id, p->repo, NULL, author, committer, NULL, msg.data,
	                          tree, have_head ? 1 : 0, parents),
	        "cannot write the policy commit");
	/* compare-and-swap on the branch: libgit2 locks the ref file */
	GIT_TRY(git_reference_create_matching(&ref, p->repo, branch, &commit_id, have_head,
	                                      have_head ? &head : NULL, m),
	        "cannot move %s to the new policy commit", branch);
	if ((err = update_known(p, &commit_id)) < 0)
		goto done;
	git_oid_tostr(out, CUSTOS_COMMIT_HEX, &commit_id);
done:
	git_reference_free(ref);
	custos_buf_free(&msg);
	git_signature_free(author);
	git_signature_free(committer);
	free(ups);
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	return err;
}

/* ---------------------------------------------------------------------------
 * Open, create, free
 */
static int mkdir_p1(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

static int create_repo(custos_policy_t *p, const char *actor, int64_t when)
{
	git_repository_init_options o;
	int err = CUSTOS_OK;
	char out[CUSTOS_COMMIT_HEX];
	GIT_TRY(git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION),
	        "cannot set up libgit2");
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
	          GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	o.description = "custos policy repository: retention schedule, legal holds, policy documents\n";
	GIT_TRY(git_repository_init_ext(&p->repo, p->path, &o), "cannot create the policy repository '%s'", p->path);
	custos_policy__file_t f = { "README.md", README, sizeof README - 1 };
	custos_policy_change_t c = { actor, "Create the policy repository", when };
	p->lock_depth = 1;   /* nobody else can know the repository yet */
	err = custos_policy__commit(p, &f, 1, &c, NULL, out);
	p->lock_depth = 0;
done:
	return err;
}

int custos_policy_open(custos_policy_t **out, const char *archive_dir,
                       const custos_policy_opts_t *opts, custos_err_t *err_out)
{
	static const custos_policy_opts_t defaults = CUSTOS_POLICY_OPTS_INIT;
	custos_policy_t *p = NULL;
	struct stat st;
	int err = CUSTOS_OK, inited = 0;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (git_libgit2_init() < 0) {
		const git_error *e = git_error_last();
		return custos_err_set(err_out, CUSTOS_EPOLICY, "cannot initialise libgit2: %s",
		                      e ? e->message : "unknown");
	}
	inited = 1;
	if (!(p = calloc(1, sizeof *p)))
		goto oom;
	/* every object and ref write is fsynced: a policy change acknowledged is durable */
	if (git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0) {
		err = custos_policy__git(p, -1, "cannot make libgit2 fsync its writes");
		goto done;
	}
	p->lock_fd = -1;
	p->check = opts->check_query;
	p->check_ctx = opts->check_ctx;
	if (!(p->archive = strdup(archive_dir)) || !(p->path = path_join(archive_dir, "policy")) ||
	    !(p->holds_dir = path_join(archive_dir, "holds")))
		goto oom;
	if (stat(p->path, &st) != 0) {
		if (errno != ENOENT || !(opts->flags & CUSTOS_POLICY_CREATE)) {
			err = custos_err_set(&p->err, errno == ENOENT ? CUSTOS_ENOTFOUND : CUSTOS_EIO,
			                     "cannot open the policy repository '%s': %s", p->path,
			                     strerror(errno));
			goto done;
		}
		if (mkdir_p1(archive_dir) < 0) {
			err = custos_err_set(&p->err, CUSTOS_EIO, "cannot create '%s': %s", archive_dir,
			                     strerror(errno));
			goto done;
		}
		if ((err = create_repo(p, opts->actor, opts->when)) < 0)
			goto done;
	} else {
		int rc = git_repository_open_ext(&p->repo, p->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
		if (rc < 0) {
			err = custos_policy__git(p, rc, "cannot open the policy repository '%s'", p->path);
			goto done;
		}
		if (!git_repository_is_bare(p->repo)) {
			err = custos_err_set(&p->err, CUSTOS_EPOLICY,
			                     "the policy repository '%s' has a working tree: custos keeps "
			                     "it bare (clone it to edit, push back)", p->path);
			goto done;
		}
	}
	/* notice commits made behind custos's back */
	p->readonly = (opts->flags & CUSTOS_POLICY_READONLY) && !(opts->flags & CUSTOS_POLICY_CREATE);
	if (p->readonly) {
		err = sync_foreign(p);
		goto done;
	}
	if ((err = custos_policy__lock(p)) < 0)
		goto done;
	custos_policy__unlock(p);
	goto done;
oom:
	err = custos_err_set(p ? &p->err : err_out, CUSTOS_ENOMEM, "cannot open the policy repository: out of memory");
done:
	if (err < 0) {
		if (p && err_out)
			*err_out = p->err;
		if (p) {
			git_repository_free(p->repo);
			free(p->archive);
			free(p->path);
			free(p->holds_dir);
			custos_policy_log_free(&p->foreign);
			free(p);
		}
		if (inited)
			git_libgit2_shutdown();
		return err;
	}
	*out = p;
	return CUSTOS_OK;
}

void custos_policy_free(custos_policy_t *p)
{
	if (!p)
		return;
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	custos_policy__members_free(p);
	custos_policy_log_free(&p->foreign);
	git_repository_free(p->repo);
	free(p->archive);
	free(p->path);
	free(p->holds_dir);
	free(p);
	git_libgit2_shutdown();
}

/* ---------------------------------------------------------------------------
 * Resolving dates and revisions
 */
static int looks_like_date(const char *s)
{
	return strlen(s) >= 10 && s[0] >= '0' && s[0] <= '9' && s[4] == '-' && s[7] == '-';
}

/* When custos accepted a commit made outside it (CUSTOS_TIME_NONE for
 * custos's own commits); *in_force false for one that was never HEAD when
 * custos looked. */
static int64_t accepted_at(custos_policy_t *p, const git_oid *id, bool *in_force)
{
	git_note *note = NULL;
	int64_t ms = CUSTOS_TIME_NONE;
	*in_force = true;
	if (git_note_read(&note, p->repo, CUSTOS_POLICY_NOTES_REF, id) < 0)
		return ms;
	const char *m = git_note_message(note);
	if (m && strstr(m, "in-force: no"))
		*in_force = false;
	const char *k = m ? strstr(m, "accepted-at: ") : NULL;
	if (k) {
		k += strlen("accepted-at: ");
		size_t len = strcspn(k, "\n");
		if (custos_time_parse(&ms, k, len) < 0)
			ms = CUSTOS_TIME_NONE;
	}
	git_note_free(note);
	return ms;
}

/* The commit in force at ms: the newest of HEAD's first-parent chain whose
 * effective time is at or before ms. A commit's effective time is the
 * latest committer time of it and its ancestors, and for a commit made
 * outside custos no earlier than when custos accepted it: a commit backdated
 * by hand (git commit --date) or pushed days after it was made never takes
 * effect before custos could have known it. */
static int resolve_date(custos_policy_t *p, const git_oid *head, int64_t ms, const char *spec,
                        git_oid *out)
{
	git_oid *ids = NULL;
	int64_t *times = NULL;
	bool *usable = NULL;
	size_t n = 0, cap = 0;
	git_oid cur = *head;
	git_commit *c = NULL;
	int err = CUSTOS_OK;
	for (;;) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			git_oid *ni = realloc(ids, nc * sizeof *ni);
			if (ni)
				ids = ni;
			int64_t *nt = ni ? realloc(times, nc * sizeof *nt) : NULL;
			if (nt)
				times = nt;
			bool *nu = nt ? realloc(usable, nc * sizeof *nu) : NULL;
			if (!ni || !nt || !nu) {
				err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			usable = nu;
			cap = nc;
		}
		GIT_TRY(git_commit_lookup(&c, p->repo, &cur), "cannot read commit %s", git_oid_tostr_s(&cur));
		ids[n] = cur;
		times[n] = commit_ms(c);
		int64_t acc = accepted_at(p, &cur, &usable[n]);
		if (acc > times[n])
			times[n] = acc;
		n++;
		if (git_commit_parentcount(c) == 0)
			break;
		git_oid_cpy(&cur, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
	}
	for (size_t i = n - 1; i-- > 0;)
		if (times[i] < times[i + 1])
			times[i] = times[i + 1];
	for (size_t i = 0; i < n; i++)
		if (times[i] <= ms && usable[i]) {
			git_oid_cpy(out, &ids[i]);
			goto done;
		}
	char first[40];
	custos_time_format(first, sizeof first, times[n - 1]);
	err = custos_err_set(&p->err, CUSTOS_ENOTFOUND, "no policy at %s: the policy history "
	                     "begins at %s", spec, first);
done:
	git_commit_free(c);
	free(ids);
	free(times);
	free(usable);
	return err;
}

int custos_policy__resolve_oid(custos_policy_t *p, const char *spec, git_oid *out)
{
	git_oid head;
	git_object *obj = NULL;
	int err;
	int64_t ms;

	if ((err = custos_policy__head(p, &head)) < 0)
		return err;
	if (!spec || !*spec) {
		git_oid_cpy(out, &head);
		return CUSTOS_OK;
	}
	if (looks_like_date(spec)) {
		if (custos_time_parse(&ms, spec, strlen(spec)) < 0)
			return custos_err_set(&p->err, CUSTOS_EINVAL, "cannot read the date '%s'", spec);
		err = resolve_date(p, &head, ms, spec, out);
		goto done;
	}
	int rc = git_revparse_single(&obj, p->repo, spec);
	if (rc < 0) {
		err = rc == GIT_ENOTFOUND
		      ? custos_err_set(&p->err, CUSTOS_ENOTFOUND, "no policy commit or date '%s'", spec)
		      : custos_policy__git(p, rc, "cannot resolve '%s'", spec);
		goto done;
	}
	git_object *peeled = NULL;
	GIT_TRY(git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT), "'%s' is not a commit", spec);
	git_oid_cpy(out, git_object_id(peeled));
	git_object_free(peeled);
done:
	git_object_free(obj);
	return err;
}

int custos_policy_resolve(custos_policy_t *p, const char *spec, char out[CUSTOS_COMMIT_HEX])
{
	git_oid id;
	int err;
	custos_err_clear(&p->err);
	if ((err = custos_policy__resolve_oid(p, spec, &id)) < 0)
		return err;
	git_oid_tostr(out, CUSTOS_COMMIT_HEX, &id);
	return CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * The schedule
 */
int custos_policy_set(custos_policy_t *p, const char *yaml, size_t n,
                      const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	custos_schedule_t *s = NULL;
	char out[CUSTOS_COMMIT_HEX];
	int err;
	custos_err_clear(&p->err);
	if ((err = custos_policy__change_check(p, c)) < 0)
		return err;
	/* validate before taking the lock: an invalid schedule touches nothing */
	if ((err = custos_schedule_parse(&s, yaml, n, p->check, p->check_ctx, &p->err)) < 0)
		return err;
	custos_schedule_free(s);
	if ((err = custos_policy__lock(p)) < 0)
		return err;
	custos_policy__file_t f = { CUSTOS_POLICY_SCHEDULE, yaml, n };
	err = custos_policy__commit(p, &f, 1, c, "Set the retention schedule", out);
	custos_policy__unlock(p);
	if (err == CUSTOS_OK && out_commit)
		memcpy(out_commit, out, CUSTOS_COMMIT_HEX);
	return err;
}

static int schedule_in(custos_policy_t *p, const git_oid *at, const char *spec,
                       custos_schedule_t **out)
{
	git_oid changed;
	custos_buf_t text = { 0 };
	custos_err_t perr = { 0 };
	int64_t t;
	int err = custos_policy__read(p, at, CUSTOS_POLICY_SCHEDULE, &text, NULL);
	if (err == CUSTOS_ENOTFOUND) {
		err = custos_err_set(&p->err, CUSTOS_ENOTFOUND, "no retention schedule was set %s%s",
		                     spec && *spec ? "at " : "yet", spec && *spec ? spec : "");
		goto done;
	}
	if (err < 0 || (err = custos_policy__last_change(p, at, CUSTOS_POLICY_SCHEDULE, &changed, &t)) < 0)
		goto done;
	/* queries are checked when committed; a historical schedule is shown as it was */
	if ((err = custos_schedule_parse(out, text.data, text.len, NULL, NULL, &perr)) < 0) {
		err = custos_err_set(&p->err, CUSTOS_ECORRUPT, "the schedule of commit %s is invalid: %s",
		                     git_oid_tostr_s(&changed), perr.msg);
		goto done;
	}
	git_oid_tostr((*out)->commit, CUSTOS_COMMIT_HEX, &changed);
	(*out)->commit_time = t;
done:
	custos_buf_free(&text);
	return err;
}

int custos_policy_schedule_at(custos_policy_t *p, const char *spec, custos_schedule_t **out)
{
	git_oid at;
	int err;
	*out = NULL;
	custos_err_clear(&p->err);
	if ((err = custos_policy__resolve_oid(p, spec, &at)) < 0)
		return err;
	return schedule_in(p, &at, spec, out);
}

int custos_policy_schedule_at_time(custos_policy_t *p, int64_t ms, custos_schedule_t **out)
{
	git_oid head, at;
	char spec[40];
	int err;
	*out = NULL;
	custos_err_clear(&p->err);
	custos_time_format(spec, sizeof spec, ms);
	if ((err = custos_policy__head(p, &head)) < 0 ||
	    (err = resolve_date(p, &head, ms, spec, &at)) < 0)
		return err;
	return schedule_in(p, &at, spec, out);
}

/* ---------------------------------------------------------------------------
 * Diff
 */
int custos_policy_diff(custos_policy_t *p, const char *a, const char *b, custos_buf_t *out)
{
	git_oid ia, ib;
	git_tree *ta = NULL, *tb = NULL;
	git_diff *diff = NULL;
	git_patch *patch = NULL;
	git_buf gb = { 0 };
	int err;
	custos_err_clear(&p->err);
	if ((err = custos_policy__resolve_oid(p, a, &ia)) < 0 ||
	    (err = custos_policy__resolve_oid(p, b, &ib)) < 0 ||
	    (err = tree_of(p, &ia, &ta)) < 0 || (err = tree_of(p, &ib, &tb)) < 0)
		goto done;
	GIT_TRY(git_diff_tree_to_tree(&diff, p->repo, ta, tb, NULL), "cannot diff %s %s", a, b);
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		GIT_TRY(git_patch_from_diff(&patch, diff, i), "cannot diff %s %s", a, b);
		if (!patch)
			continue;
		GIT_TRY(git_patch_to_buf(&gb, patch), "cannot format the diff");
		if (custos_buf_add(out, gb.ptr, gb.size) < 0) {
			err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		git_buf_dispose(&gb);
		git_patch_free(patch);
		patch = NULL;
	}
done:
	git_buf_dispose(&gb);
	git_patch_free(patch);
	git_diff_free(diff);
	git_tree_free(ta);
	git_tree_free(tb);
	return err;
}

/* ---------------------------------------------------------------------------
 * Policy documents
 */
static int doc_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 200 || name[0] == '.' || custos_utf8_check(name, n) != n)
		return 0;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		if (*s < 0x20 || *s == 0x7f || *s == '/' || *s == '\\')
			return 0;
	return 1;
}

int custos_policy_file_read(const char *path, size_t max, custos_buf_t *out, custos_err_t *err)
{
	struct stat st;
	size_t start = out->len;
	int rc = CUSTOS_OK;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer before fstat refuses it */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			return custos_err_set(err, CUSTOS_EINVAL, "'%s' is a symbolic link: give the file "
			                      "it points to (custos commits only regular files)", path);
		return custos_err_set(err, errno == ENOENT ? CUSTOS_ENOTFOUND :
		                      errno == EACCES ? CUSTOS_EACCESS : CUSTOS_EIO,
		                      "cannot read '%s': %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		rc = custos_err_set(err, CUSTOS_EIO, "cannot read '%s': %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = custos_err_set(err, CUSTOS_EINVAL, "'%s' is not a regular file (a %s): custos "
		                    "commits only regular files", path,
		                    S_ISDIR(st.st_mode) ? "directory" : S_ISCHR(st.st_mode) ? "device" :
		                    S_ISBLK(st.st_mode) ? "device" : S_ISFIFO(st.st_mode) ? "FIFO" :
		                    S_ISSOCK(st.st_mode) ? "socket" : "special file");
		goto done;
	}
	if ((uint64_t)st.st_size > max) {
		rc = custos_err_set(err, CUSTOS_ETOOBIG, "'%s' is %llu bytes, over the limit of %zu",
		                    path, (unsigned long long)st.st_size, max);
		goto done;
	}
	/* read at most max + 1 bytes: a file that grows while read is caught too */
	for (;;) {
		if (custos_buf_reserve(out, 65536) < 0) {
			rc = custos_err_set(err, CUSTOS_ENOMEM, "cannot read '%s': out of memory", path);
			goto done;
		}
		size_t room = out->cap - out->len - 1, left = max + 1 - (out->len - start);
		ssize_t r = read(fd, out->data + out->len, room < left ? room : left);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			rc = custos_err_set(err, CUSTOS_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
		out->data[out->len] = '\0';
		if (out->len - start > max) {
			rc = custos_err_set(err, CUSTOS_ETOOBIG, "'%s' grew while read, over the limit of "
			                    "%zu bytes", path, max);
			goto done;
		}
	}
done:
	close(fd);
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int custos_policy_doc_add(custos_policy_t *p, const char *name, const void *data, size_t n,
                          const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	char path[256], msg[300], out[CUSTOS_COMMIT_HEX];
	int err;
	custos_err_clear(&p->err);
	if (!doc_name_ok(name))
		return custos_err_set(&p->err, CUSTOS_EINVAL, "invalid document name '%s': 1-200 bytes "
		                      "without '/', '\\', control characters or a leading '.'", name);
	if (n > CUSTOS_POLICY_DOC_MAX)
		return custos_err_set(&p->err, CUSTOS_ETOOBIG, "document '%s' is %zu bytes, over the "
		                      "limit of %u", name, n, CUSTOS_POLICY_DOC_MAX);
	if ((err = custos_policy__change_check(p, c)) < 0)
		return err;
	snprintf(path, sizeof path, "docs/%s", name);
	snprintf(msg, sizeof msg, "Add policy document %s", name);
	if ((err = custos_policy__lock(p)) < 0)
		return err;
	custos_policy__file_t f = { path, data ? data : "", n };
	err = custos_policy__commit(p, &f, 1, c, msg, out);
	custos_policy__unlock(p);
	if (err == CUSTOS_OK && out_commit)
		memcpy(out_commit, out, CUSTOS_COMMIT_HEX);
	return err;
}

int custos_policy_doc_list(custos_policy_t *p, custos_policy_docs_t *out)
{
	git_oid head;
	git_tree *root = NULL, *docs = NULL;
	git_tree_entry *e = NULL;
	int err, rc;
	memset(out, 0, sizeof *out);
	custos_err_clear(&p->err);
	if ((err = custos_policy__head(p, &head)) < 0 || (err = tree_of(p, &head, &root)) < 0)
		return err;
	rc = git_tree_entry_bypath(&e, root, "docs");
	if (rc == GIT_ENOTFOUND)
		goto done;
	GIT_TRY(rc, "cannot read docs/");
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		goto done;
	GIT_TRY(git_tree_lookup(&docs, p->repo, git_tree_entry_id(e)), "cannot read docs/");
	size_t n = git_tree_entrycount(docs);
	if (n && !(out->v = calloc(n, sizeof *out->v))) {
		err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	/* tree entries come sorted by name */
	for (size_t i = 0; i < n; i++) {
		const git_tree_entry *de = git_tree_entry_byindex(docs, i);
		if (git_tree_entry_type(de) != GIT_OBJECT_BLOB)
			continue;
		custos_policy_doc_t *d = &out->v[out->n];
		char path[300];
		git_oid changed;
		git_object_size_t size = 0;
		snprintf(path, sizeof path, "docs/%s", git_tree_entry_name(de));
		if (!(d->name = strdup(git_tree_entry_name(de)))) {
			err = custos_err_set(&p->err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		out->n++;
		git_blob *b = NULL;
		GIT_TRY(git_blob_lookup(&b, p->repo, git_tree_entry_id(de)), "cannot read '%s'", path);
		size = git_blob_rawsize(b);
		git_blob_free(b);
		d->size = (uint64_t)size;
		if ((err = custos_policy__last_change(p, &head, path, &changed, &d->time)) < 0)
			goto done;
		git_oid_tostr(d->commit, sizeof d->commit, &changed);
	}
done:
	if (err < 0)
		custos_policy_docs_free(out);
	git_tree_entry_free(e);
	git_tree_free(docs);
	git_tree_free(root);
	return err;
}

int custos_policy_doc_get(custos_policy_t *p, const char *name, const char *spec,
                          custos_buf_t *out)
{
	git_oid at;
	char path[300];
	int err;
	custos_err_clear(&p->err);
	if (!doc_name_ok(name))
		return custos_err_set(&p->err, CUSTOS_EINVAL, "invalid document name '%s'", name);
	if ((err = custos_policy__resolve_oid(p, spec, &at)) < 0)
		return err;
	snprintf(path, sizeof path, "docs/%s", name);
	err = custos_policy__read(p, &at, path, out, NULL);
	if (err == CUSTOS_ENOTFOUND)
		custos_err_set(&p->err, err, "no policy document '%s' %s%s", name,
		               spec && *spec ? "at " : "", spec && *spec ? spec : "");
	return err;
}

int custos_policy_contains(custos_policy_t *p, const char *commit, bool *in)
{
	git_oid id, head;
	git_commit *c = NULL;
	int rc, err;
	*in = false;
	custos_err_clear(&p->err);
	if (git_oid_fromstr(&id, commit) < 0)
		return custos_err_set(&p->err, CUSTOS_EINVAL, "'%s' is not a commit id", commit);
	rc = git_commit_lookup(&c, p->repo, &id);
	git_commit_free(c);
	if (rc == GIT_ENOTFOUND)
		return custos_err_set(&p->err, CUSTOS_ENOTFOUND, "commit %s is not in the policy "
		                      "repository", commit);
	if (rc < 0)
		return custos_policy__git(p, rc, "cannot read commit %s", commit);
	if ((err = custos_policy__head(p, &head)) < 0)
		return err;
	if (git_oid_equal(&head, &id)) {
		*in = true;
		return CUSTOS_OK;
	}
	rc = git_graph_descendant_of(p->repo, &head, &id);
	if (rc < 0)
		return custos_policy__git(p, rc, "cannot compare the policy history");
	*in = rc == 1;
	return CUSTOS_OK;
}

int custos_policy_head(custos_policy_t *p, char out[CUSTOS_COMMIT_HEX])
{
	git_oid head;
	int err;
	out[0] = 0;
	custos_err_clear(&p->err);
	if ((err = custos_policy__head(p, &head)) < 0)
		return err;
	git_oid_tostr(out, CUSTOS_COMMIT_HEX, &head);
	return CUSTOS_OK;
}

/* libgit2 keeps per-thread state under a key that lives from its first
 * init to its last shutdown: a thread that used it and ends after that
 * leaks its state. An archive holds one reference for its lifetime, so
 * its threads end while the key still lives. */
int custos_policy_lib_hold(void)
{
	return git_libgit2_init() < 0 ? CUSTOS_EINTERNAL : CUSTOS_OK;
}

void custos_policy_lib_release(void)
{
	git_libgit2_shutdown();
}
