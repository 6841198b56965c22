/* The tables of functions the library's modules give it (lib/module.c
 * loads them): one per module, its first member the table's size, which
 * the loader checks. Internal to the library; the importers' table is in
 * archiver/custos_archiver.h. */
#ifndef CUSTOS_MODULE_H
#define CUSTOS_MODULE_H

#include "custos.h"
#include "custos_retention.h"

/* export.so (lib/export.c and export/): productions and the audit trail's
 * export; the public functions of the same names (lib/module.c) call these */
typedef struct {
	unsigned size;
	int  (*formats_parse)(unsigned *out, const char *list, custos_err_t *err);
	int  (*archive_export)(custos_session_t *s, const char *dir,
	                       const custos_export_opts_t *opts, custos_export_summary_t *summary);
	void (*check_free)(custos_production_check_t *c);
	int  (*production_verify)(const char *dir, custos_production_check_t *out,
	                          custos_err_t *err);
	int  (*audit_export)(custos_session_t *s, const char *dir, custos_audit_export_t *out);
	/* custos_export__check (lib_internal.h), for a production job */
	int  (*check)(custos_session_t *s, const custos_export_opts_t *opts);
	const char *(*format_name)(unsigned bit);
} custos_export_module_t;
extern const custos_export_module_t custos_module_export __attribute__((weak));

/* policy.so (retention-policies/ but schedule.c and lists.c): the policy
 * repository, holds and the schedule's parser, the part that links libgit2
 * and libyaml; each member is the function of custos_retention.h of the
 * same name without custos_, and the binary's functions of those names
 * (lib/policy_load.c) load the module and call these */
typedef struct {
	unsigned size;
	int (*schedule_parse)(custos_schedule_t **out, const char *text, size_t n,
	                      custos_query_check_fn check, void *check_ctx, custos_err_t *err);
	int (*policy_open)(custos_policy_t **out, const char *archive_dir,
	                   const custos_policy_opts_t *opts, custos_err_t *err);
	void (*policy_free)(custos_policy_t *p);
	const custos_err_t *(*policy_err)(const custos_policy_t *p);
	const char *(*policy_path)(const custos_policy_t *p);
	const custos_policy_log_t *(*policy_foreign)(const custos_policy_t *p);
	int (*policy_resolve)(custos_policy_t *p, const char *spec, char out[CUSTOS_COMMIT_HEX]);
	int (*policy_set)(custos_policy_t *p, const char *yaml, size_t n,
	                  const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);
	int (*policy_schedule_at)(custos_policy_t *p, const char *spec, custos_schedule_t **out);
	int (*policy_schedule_at_time)(custos_policy_t *p, int64_t ms, custos_schedule_t **out);
	int (*policy_log)(custos_policy_t *p, custos_policy_log_t *out);
	int (*policy_diff)(custos_policy_t *p, const char *a, const char *b, custos_buf_t *out);
	int (*policy_lib_hold)(void);
	void (*policy_lib_release)(void);
	int (*policy_contains)(custos_policy_t *p, const char *commit, bool *in);
	int (*policy_head)(custos_policy_t *p, char out[CUSTOS_COMMIT_HEX]);
	int (*policy_check)(custos_policy_t *p, custos_problem_fn fn, void *ctx, uint64_t *objects);
	int (*policy_accepted_at)(custos_policy_t *p, const char *commit, int64_t *ms);
	int (*policy_file_read)(const char *path, size_t max, custos_buf_t *out, custos_err_t *err);
	int (*policy_doc_add)(custos_policy_t *p, const char *name, const void *data, size_t n,
	                      const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);
	int (*policy_doc_list)(custos_policy_t *p, custos_policy_docs_t *out);
	int (*policy_doc_get)(custos_policy_t *p, const char *name, const char *spec,
	                      custos_buf_t *out);
	int (*hold_place)(custos_policy_t *p, const char *name, const custos_hold_def_t *def,
	                  const custos_hold_member_t *members, size_t n,
	                  const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);
	int (*hold_create)(custos_policy_t *p, const char *name, const char *query,
	                   const char *reason, const custos_hold_member_t *members, size_t n,
	                   const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);
	int (*hold_release)(custos_policy_t *p, const char *name, const char *reason,
	                    const custos_policy_change_t *c, char out_commit[CUSTOS_COMMIT_HEX]);
	int (*hold_list)(custos_policy_t *p, custos_holds_t *out);
	int (*hold_get)(custos_policy_t *p, const char *name, custos_holds_t *out);
	int (*hold_add_members)(custos_policy_t *p, const char *name,
	                        const custos_hold_member_t *members, size_t n, size_t *added);
	int (*hold_members)(custos_policy_t *p, const char *name, custos_hold_member_fn fn,
	                    void *ctx);
	int (*hold_listed)(custos_policy_t *p, const char *name, custos_hold_member_fn fn,
	                   void *ctx);
	bool (*hold_has_member)(custos_policy_t *p, const char *name, const char *id);
	bool (*hold_lists)(custos_policy_t *p, const char *name, const char *id);
	int (*hold_checkpoint)(custos_policy_t *p, const custos_policy_change_t *c,
	                       char out_commit[CUSTOS_COMMIT_HEX]);
	int (*holdset_load)(custos_holdset_t **out, custos_policy_t *p);
	size_t (*holdset_covers)(const custos_holdset_t *s, const char *id, const char **names,
	                         size_t cap);
	void (*holdset_free)(custos_holdset_t *s);
	int (*holds_compare)(custos_policy_t *p, const char *base, const char *head, unsigned flags,
	                     custos_hold_change_fn fn, void *ctx);
} custos_policy_module_t;
extern const custos_policy_module_t custos_module_policy __attribute__((weak));

#endif
