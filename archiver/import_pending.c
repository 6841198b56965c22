/* Stand-ins for the importers another branch (import-b) is writing, so the
 * dispatcher links meanwhile: they recognise nothing and refuse to run.
 * import-b deletes this file when it brings the real ones. */
#include "import_internal.h"

static int pending_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	return 0;
}

static int pending_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                       custos_err_t *err)
{
	return custos_err_set(err, CUSTOS_EINVAL, "format not implemented yet");
}

const custos_importer_t custos_import__facebook = { "facebook", pending_detect, pending_run };
const custos_importer_t custos_import__slack = { "slack", pending_detect, pending_run };
const custos_importer_t custos_import__linkedin = { "linkedin", pending_detect, pending_run };
const custos_importer_t custos_import__feed = { "feed", pending_detect, pending_run };
