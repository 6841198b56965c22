/* X: account archives (x-archive) and API captures (twitter-api). */
#include "import_internal.h"

static int x_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	return 0;
}

static int x_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                 custos_err_t *err)
{
	return custos_err_set(err, CUSTOS_EINVAL, "format not implemented yet");
}

const custos_importer_t custos_import__x_archive = { "x-archive", x_detect, x_run };
const custos_importer_t custos_import__twitter_api = { "twitter-api", x_detect, x_run };
