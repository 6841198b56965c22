/* The tables of functions the library's modules give it (lib/module.c
 * loads them): one per module, its first member the table's size, which
 * the loader checks. Internal to the library; the importers' table is in
 * archiver/custos_archiver.h. */
#ifndef CUSTOS_MODULE_H
#define CUSTOS_MODULE_H

#include "custos.h"

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

#endif
