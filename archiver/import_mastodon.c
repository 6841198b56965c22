/* Mastodon: account exports (mastodon) and REST captures (mastodon-api). */
#include "import_internal.h"

static int m_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	return 0;
}

static int m_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                 custos_err_t *err)
{
	return custos_err_set(err, CUSTOS_EINVAL, "format not implemented yet");
}

const custos_importer_t custos_import__mastodon = { "mastodon", m_detect, m_run };
const custos_importer_t custos_import__mastodon_api = { "mastodon-api", m_detect, m_run };
