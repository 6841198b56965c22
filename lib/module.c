/* The parts only some commands use (productions, importers, the service),
 * built as modules beside the binary and loaded on first use, so that a
 * command that does not use them does not load them or the shared
 * libraries they need (BENCHMARKS.md, "Start-up"). Also the public
 * functions whose work is in the export module. */
#include "lib_internal.h"
#include "module.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mod_mu = PTHREAD_MUTEX_INITIALIZER;

/* The modules' folder: <the binary's folder>/../lib/custos, the layout
 * `make install` gives ($(PREFIX)/bin, $(PREFIX)/lib/custos) and the build
 * tree has too ($(BUILD)/bin, $(BUILD)/lib/custos). The binary is found
 * through /proc/self/exe, so a symbolic link to it (./custos) works. */
static int module_dir(char *out, size_t cap, custos_err_t *err)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		return custos_err_set(err, CUSTOS_EINTERNAL, "cannot find the custos binary "
		                      "(/proc/self/exe): %s", strerror(errno));
	exe[n] = 0;
	/* <prefix>/bin/custos: cut the name, then bin */
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = 0;
	}
	if ((size_t)snprintf(out, cap, "%s/lib/custos", exe) >= cap)
		return custos_err_set(err, CUSTOS_EINTERNAL, "the custos binary's path is too long");
	return CUSTOS_OK;
}

int custos_module_table(const void **out, const char *module, const char *symbol,
                        const void *linked, size_t size, custos_err_t *err)
{
	static struct { char module[32]; void *handle; } loaded[8];
	char dir[PATH_MAX], path[PATH_MAX + 64];
	void *h = NULL;
	int rc;

	*out = NULL;
	/* linked into the program (the unit tests): no module file */
	if (linked) {
		*out = linked;
		return CUSTOS_OK;
	}
	pthread_mutex_lock(&mod_mu);
	for (size_t i = 0; i < sizeof loaded / sizeof *loaded && loaded[i].handle; i++)
		if (!strcmp(loaded[i].module, module))
			h = loaded[i].handle;
	if (!h) {
		if ((rc = module_dir(dir, sizeof dir, err)) < 0)
			goto done;
		snprintf(path, sizeof path, "%s/%s.so", dir, module);
		/* RTLD_NOW: a module of another build that misses a symbol of
		 * this binary fails here, with the symbol named, not later */
		if (!(h = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
			const char *why = dlerror();
			rc = custos_err_set(err, CUSTOS_EINTERNAL, "cannot load the %s module: %s "
			                    "(make install puts the modules in <prefix>/lib/custos, "
			                    "beside <prefix>/bin/custos)", module,
			                    why ? why : path);
			goto done;
		}
		/* kept for the process's life: a module is never unloaded */
		size_t i = 0;
		while (i < sizeof loaded / sizeof *loaded && loaded[i].handle)
			i++;
		if (i < sizeof loaded / sizeof *loaded && strlen(module) < sizeof loaded[i].module) {
			strcpy(loaded[i].module, module);
			loaded[i].handle = h;
		}
	}
	const unsigned *t = dlsym(h, symbol);
	if (!t || *t != size) {
		rc = custos_err_set(err, CUSTOS_EINTERNAL, "the %s module (%s/%s.so) is not the one "
		                    "this custos was built with: %s", module,
		                    module_dir(dir, sizeof dir, NULL) == CUSTOS_OK ? dir : "?", module,
		                    t ? "its table differs" : "no table");
		goto done;
	}
	*out = t;
	rc = CUSTOS_OK;
done:
	pthread_mutex_unlock(&mod_mu);
	return rc;
}

/* ---- productions: the export module -------------------------------------- */

static int export_module(const custos_export_module_t **m, custos_err_t *err)
{
	return CUSTOS_MODULE_GET(m, "export", custos_module_export, err);
}

int custos_export_formats_parse(unsigned *out, const char *list, custos_err_t *err)
{
	const custos_export_module_t *m;
	int rc;
	*out = 0;
	if ((rc = export_module(&m, err)) < 0)
		return rc;
	return m->formats_parse(out, list, err);
}

const char *custos_export_format_name(unsigned bit)
{
	const custos_export_module_t *m;
	return export_module(&m, NULL) == CUSTOS_OK ? m->format_name(bit) : NULL;
}

int custos_export__check(custos_session_t *s, const custos_export_opts_t *opts)
{
	const custos_export_module_t *m;
	int rc;
	if ((rc = export_module(&m, &s->err)) < 0)
		return rc;
	return m->check(s, opts);
}

int custos_archive_export(custos_session_t *s, const char *dir, const custos_export_opts_t *opts,
                          custos_export_summary_t *summary)
{
	const custos_export_module_t *m;
	int rc;
	if (summary)
		memset(summary, 0, sizeof *summary);
	if ((rc = export_module(&m, &s->err)) < 0)
		return rc;
	return m->archive_export(s, dir, opts, summary);
}

void custos_production_check_free(custos_production_check_t *c)
{
	const custos_export_module_t *m;
	/* what a check holds came from the module: it is loaded */
	if (c && export_module(&m, NULL) == CUSTOS_OK)
		m->check_free(c);
	else if (c)
		memset(c, 0, sizeof *c);
}

int custos_production_verify(const char *dir, custos_production_check_t *out, custos_err_t *err)
{
	const custos_export_module_t *m;
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = export_module(&m, err)) < 0)
		return rc;
	return m->production_verify(dir, out, err);
}

int custos_archive_audit_export(custos_session_t *s, const char *dir, custos_audit_export_t *out)
{
	const custos_export_module_t *m;
	int rc;
	if (out)
		memset(out, 0, sizeof *out);
	if ((rc = export_module(&m, &s->err)) < 0)
		return rc;
	return m->audit_export(s, dir, out);
}
