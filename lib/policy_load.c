/* The policy part's functions (retention-policies/custos_retention.h) as the
 * binary has them: the part is the policy module, policy.so, the one that
 * links libgit2 and libyaml (Makefile, "Modules"), and each function here
 * loads it on first use and calls its table, so that a command that never
 * opens the policy repository (search, show, stats) does not load them.
 * Linked into the binary alone: the unit tests, bench/ programs and fuzzers
 * link the module's objects, and so the functions themselves. */
#include "lib_internal.h"
#include "module.h"

/* The table, once loaded: read without the loader's lock, since a disposition
 * run calls custos_holdset_covers for every record. */
static const custos_policy_module_t *policy_table;

/* Loads the module (once): CUSTOS_OK, or the loader's failure in err (may
 * be NULL) and *m NULL. */
static int policy(const custos_policy_module_t **m, custos_err_t *err)
{
	int rc;
	if ((*m = __atomic_load_n(&policy_table, __ATOMIC_ACQUIRE)))
		return CUSTOS_OK;
	if ((rc = CUSTOS_MODULE_GET(m, "policy", custos_module_policy, err)) < 0)
		return rc;
	__atomic_store_n(&policy_table, *m, __ATOMIC_RELEASE);
	return CUSTOS_OK;
}

/* For a call on something the module made (a handle, a holdset): the module
 * was loaded when it was made, and is never unloaded. */
static const custos_policy_module_t *loaded(void)
{
	return __atomic_load_n(&policy_table, __ATOMIC_ACQUIRE);
}

int custos_schedule_parse(custos_schedule_t **out, const char *text, size_t n,
                          custos_query_check_fn check, void *check_ctx, custos_err_t *err)
{
	const custos_policy_module_t *m;
	int rc;
	*out = NULL;
	if ((rc = policy(&m, err)) < 0)
		return rc;
	return m->schedule_parse(out, text, n, check, check_ctx, err);
}

int custos_policy_open(custos_policy_t **out, const char *archive_dir,
                       const custos_policy_opts_t *opts, custos_err_t *err)
{
	const custos_policy_module_t *m;
	int rc;
	*out = NULL;
	if ((rc = policy(&m, err)) < 0)
		return rc;
	return m->policy_open(out, archive_dir, opts, err);
}

void custos_policy_free(custos_policy_t *p)
{
	if (p)
		loaded()->policy_free(p);
}

const custos_err_t *custos_policy_err(const custos_policy_t *p)
{
	return loaded()->policy_err(p);
}

const char *custos_policy_path(const custos_policy_t *p)
{
	return loaded()->policy_path(p);
}

const custos_policy_log_t *custos_policy_foreign(const custos_policy_t *p)
{
	return loaded()->policy_foreign(p);
}

int custos_policy_resolve(custos_policy_t *p, const char *spec, char out[CUSTOS_COMMIT_HEX])
{
	return loaded()->policy_resolve(p, spec, out);
}

int custos_policy_set(custos_policy_t *p, const char *yaml, size_t n,
                      const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	return loaded()->policy_set(p, yaml, n, c, out_commit);
}

int custos_policy_schedule_at(custos_policy_t *p, const char *spec, custos_schedule_t **out)
{
	return loaded()->policy_schedule_at(p, spec, out);
}

int custos_policy_schedule_at_time(custos_policy_t *p, int64_t ms, custos_schedule_t **out)
{
	return loaded()->policy_schedule_at_time(p, ms, out);
}

int custos_policy_log(custos_policy_t *p, custos_policy_log_t *out)
{
	return loaded()->policy_log(p, out);
}

int custos_policy_diff(custos_policy_t *p, const char *a, const char *b, custos_buf_t *out)
{
	return loaded()->policy_diff(p, a, b, out);
}

int custos_policy_lib_hold(void)
{
	const custos_policy_module_t *m;
	int rc;
	if ((rc = policy(&m, NULL)) < 0)
		return rc;
	return m->policy_lib_hold();
}

void custos_policy_lib_release(void)
{
	/* only after a hold, which loaded the module */
	if (loaded())
		loaded()->policy_lib_release();
}

int custos_policy_contains(custos_policy_t *p, const char *commit, bool *in)
{
	return loaded()->policy_contains(p, commit, in);
}

int custos_policy_head(custos_policy_t *p, char out[CUSTOS_COMMIT_HEX])
{
	return loaded()->policy_head(p, out);
}

int custos_policy_check(custos_policy_t *p, custos_problem_fn fn, void *ctx, uint64_t *objects)
{
	return loaded()->policy_check(p, fn, ctx, objects);
}

int custos_policy_accepted_at(custos_policy_t *p, const char *commit, int64_t *ms)
{
	return loaded()->policy_accepted_at(p, commit, ms);
}

int custos_policy_file_read(const char *path, size_t max, custos_buf_t *out, custos_err_t *err)
{
	const custos_policy_module_t *m;
	int rc;
	if ((rc = policy(&m, err)) < 0)
		return rc;
	return m->policy_file_read(path, max, out, err);
}

int custos_policy_doc_add(custos_policy_t *p, const char *name, const void *data, size_t n,
                          const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	return loaded()->policy_doc_add(p, name, data, n, c, out_commit);
}

int custos_policy_doc_list(custos_policy_t *p, custos_policy_docs_t *out)
{
	return loaded()->policy_doc_list(p, out);
}

int custos_policy_doc_get(custos_policy_t *p, const char *name, const char *spec, custos_buf_t *out)
{
	return loaded()->policy_doc_get(p, name, spec, out);
}

int custos_hold_place(custos_policy_t *p, const char *name, const custos_hold_def_t *def,
                      const custos_hold_member_t *members, size_t n,
                      const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	return loaded()->hold_place(p, name, def, members, n, c, out_commit);
}

int custos_hold_create(custos_policy_t *p, const char *name, const char *query, const char *reason,
                       const custos_hold_member_t *members, size_t n,
                       const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	return loaded()->hold_create(p, name, query, reason, members, n, c, out_commit);
}

int custos_hold_release(custos_policy_t *p, const char *name, const char *reason,
                        const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX])
{
	return loaded()->hold_release(p, name, reason, c, out_commit);
}

int custos_hold_list(custos_policy_t *p, custos_holds_t *out)
{
	return loaded()->hold_list(p, out);
}

int custos_hold_get(custos_policy_t *p, const char *name, custos_holds_t *out)
{
	return loaded()->hold_get(p, name, out);
}

int custos_hold_add_members(custos_policy_t *p, const char *name,
                            const custos_hold_member_t *members, size_t n, size_t *added)
{
	return loaded()->hold_add_members(p, name, members, n, added);
}

int custos_hold_members(custos_policy_t *p, const char *name, custos_hold_member_fn fn, void *ctx)
{
	return loaded()->hold_members(p, name, fn, ctx);
}

int custos_hold_listed(custos_policy_t *p, const char *name, custos_hold_member_fn fn, void *ctx)
{
	return loaded()->hold_listed(p, name, fn, ctx);
}

bool custos_hold_has_member(custos_policy_t *p, const char *name, const char *id)
{
	return loaded()->hold_has_member(p, name, id);
}

bool custos_hold_lists(custos_policy_t *p, const char *name, const char *id)
{
	return loaded()->hold_lists(p, name, id);
}

int custos_hold_checkpoint(custos_policy_t *p, const custos_policy_change_t *c,
                           char out_commit[CUSTOS_COMMIT_HEX])
{
	return loaded()->hold_checkpoint(p, c, out_commit);
}

int custos_holdset_load(custos_holdset_t **out, custos_policy_t *p)
{
	return loaded()->holdset_load(out, p);
}

size_t custos_holdset_covers(const custos_holdset_t *s, const char *id, const char **names,
                             size_t cap)
{
	return loaded()->holdset_covers(s, id, names, cap);
}

void custos_holdset_free(custos_holdset_t *s)
{
	if (s)
		loaded()->holdset_free(s);
}

int custos_holds_compare(custos_policy_t *p, const char *base, const char *head, unsigned flags,
                         custos_hold_change_fn fn, void *ctx)
{
	return loaded()->holds_compare(p, base, head, flags, fn, ctx);
}
