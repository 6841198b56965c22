/* Shared inside archive/: the handle's layout. */
#ifndef CUSTOS_ARCHIVE_INTERNAL_H
#define CUSTOS_ARCHIVE_INTERNAL_H

#include "custos.h"

struct custos_archive {
	char           *dir;
	char           *actor;
	unsigned        flags;
	custos_store_t *store;
	custos_err_t    err;
};

/* Thread roots: a record without a platform-named thread takes the root of
 * its in_reply_to chain, looked up in the store. The cache remembers recent
 * ids' roots so a stream of replies rarely reads the store. */
#define CUSTOS_ROOT_CACHE 4096
typedef struct {
	char *id[CUSTOS_ROOT_CACHE];
	char *root[CUSTOS_ROOT_CACHE];
	custos_record_t scratch;
	custos_buf_t buf;
} custos_root_cache_t;

void custos_archive__root_cache_init(custos_root_cache_t *c);
void custos_archive__root_cache_free(custos_root_cache_t *c);
/* Sets *root (borrowed from rec or the cache, valid until the next call) to
 * the thread root of rec, or NULL when rec starts no thread and is in none. */
int custos_archive__thread_root(custos_archive_t *a, custos_root_cache_t *c,
                                const custos_record_t *rec, const char **root);

/* Appends `"key":` and a JSON string to a JSON object being built. */
int custos_archive__json_kv(custos_buf_t *b, const char *key, const char *value);

/* Creates the policy repository of a new archive (archive/policy.c). */
int custos_archive__policy_init(const char *dir, const char *actor, custos_err_t *err);

#endif
