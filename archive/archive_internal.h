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

/* Appends `"key":` and a JSON string to a JSON object being built. */
int custos_archive__json_kv(custos_buf_t *b, const char *key, const char *value);

/* Creates the policy repository of a new archive (archive/policy.c). */
int custos_archive__policy_init(const char *dir, const char *actor, custos_err_t *err);

#endif
