/* Service tokens: created with a random text shown once, kept as a
 * BLAKE2b-256 hash in <archive>/service/tokens, listed, revoked, and
 * checked at every request through a cache that follows the file. */
#include "service_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_PREFIX "cus_"

static void tokens_path(const char *dir, char *out, size_t cap)
{
	snprintf(out, cap, "%s/service/tokens", dir);
}

static void token_hash(uint8_t out[32], const char *text)
{
	crypto_generichash(out, 32, (const unsigned char *)text, strlen(text), NULL, 0);
}

static int load(const char *dir, json_t **out, custos_err_t *err)
{
	char path[4200];
	int rc;
	tokens_path(dir, path, sizeof path);
	if ((rc = custos_service__read_json(path, out, err)) < 0)
		return rc;
	if (!*out)
		*out = json_array();
	if (!*out)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	if (!json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return custos_err_set(err, CUSTOS_ECORRUPT, "'%s' is not a token table", path);
	}
	return CUSTOS_OK;
}

static json_t *find(json_t *arr, const char *name)
{
	size_t i;
	json_t *t;
	json_array_foreach(arr, i, t)
		if (!strcmp(json_string_value(json_object_get(t, "name")) ?: "", name))
			return t;
	return NULL;
}

static char *time_text(char *buf, size_t cap, int64_t ms)
{
	custos_time_format(buf, cap, ms);
	return buf;
}

int custos_archive_token_create(custos_session_t *s, const char *name, custos_role_t role,
                                char token[CUSTOS_TOKEN_TEXT])
{
	json_t *arr = NULL;
	int fd = -1, rc;
	char path[4200], t[40], hex[65];
	uint8_t raw[32], hash[32];

	token[0] = '\0';
	if ((rc = custos_session__begin(s, CUSTOS_OP_TOKEN_ADMIN, "create tokens")) < 0 ||
	    (rc = custos_service__check_name("token", name, &s->err)) < 0)
		goto audit;
	if (role <= CUSTOS_ROLE_OPERATOR || role >= CUSTOS_ROLE_COUNT) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "a token's role is one of ingest, legal, "
		                    "compliance, auditor, admin");
		goto audit;
	}
	if ((rc = custos_service__lock(s->a->dir, &fd, &s->err)) < 0 ||
	    (rc = load(s->a->dir, &arr, &s->err)) < 0)
		goto audit;
	if (find(arr, name)) {
		rc = custos_err_set(&s->err, CUSTOS_EEXISTS, "there is a token named '%s' already "
		                    "(revoked ones keep their names)", name);
		goto audit;
	}
	randombytes_buf(raw, sizeof raw);
	memcpy(token, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1);
	sodium_bin2base64(token + sizeof TOKEN_PREFIX - 1, CUSTOS_TOKEN_TEXT - sizeof TOKEN_PREFIX + 1,
	                  raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	token_hash(hash, token);
	custos_hex(hex, hash, sizeof hash);
	json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "name", name, "role",
	                      custos_role_name(role), "hash", hex, "created_at",
	                      time_text(t, sizeof t, custos_time_now()), "created_by",
	                      s->token ? s->token : s->actor);
	if (!e || json_array_append_new(arr, e) < 0) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	tokens_path(s->a->dir, path, sizeof path);
	rc = custos_service__write_json(path, arr, &s->err);
audit:
	json_decref(arr);
	custos_service__unlock(fd);
	if (rc < 0)
		sodium_memzero(token, CUSTOS_TOKEN_TEXT);
	custos_buf_t p = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "name", name ? name : "");
	custos_lib__json_kv(&p, "role", custos_role_name(role) ? custos_role_name(role) : "?");
	custos_buf_addc(&p, '}');
	int arc = custos_session__audit(s, "token-create", p.data, NULL, rc);
	custos_buf_free(&p);
	if (rc == CUSTOS_OK && arc < 0) {
		/* unaudited, so not given out: take it back */
		custos_err_t keep = s->err;
		custos_archive_token_revoke(s, name);
		s->err = keep;
		sodium_memzero(token, CUSTOS_TOKEN_TEXT);
		return arc;
	}
	return rc;
}

void custos_tokens_free(custos_tokens_t *l)
{
	if (!l)
		return;
	custos_arena_free(&l->arena);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const custos_token_info_t *)x)->name, ((const custos_token_info_t *)y)->name);
}

int custos_archive_token_list(custos_session_t *s, custos_tokens_t *out)
{
	json_t *arr = NULL, *t;
	size_t i;
	int rc;
	memset(out, 0, sizeof *out);
	if ((rc = custos_session__begin(s, CUSTOS_OP_TOKEN_ADMIN, "list tokens")) < 0 ||
	    (rc = load(s->a->dir, &arr, &s->err)) < 0)
		goto audit;
	if (json_array_size(arr) && !(out->v = calloc(json_array_size(arr), sizeof *out->v))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	json_array_foreach(arr, i, t) {
		custos_token_info_t *ti = &out->v[out->n++];
		custos_role_t role = CUSTOS_ROLE_OPERATOR;
		custos_role_parse(&role, json_string_value(json_object_get(t, "role")), NULL);
		ti->name = custos_arena_strdup(&out->arena, json_string_value(json_object_get(t, "name")));
		ti->role = role;
		ti->created_at = custos_service__json_time(t, "created_at");
		ti->revoked_at = custos_service__json_time(t, "revoked_at");
		ti->last_used_at = CUSTOS_TIME_NONE;
		ti->created_by = custos_arena_strdup(&out->arena,
		                                     json_string_value(json_object_get(t, "created_by")));
		if (!ti->name) {
			rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "a token without a name");
			goto audit;
		}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof *out->v, by_name);
audit:
	json_decref(arr);
	if (rc < 0)
		custos_tokens_free(out);
	char r[64];
	snprintf(r, sizeof r, "{\"tokens\":%zu}", out->n);
	return custos_session__audit(s, "token-list", NULL, r, rc);
}

int custos_archive_token_revoke(custos_session_t *s, const char *name)
{
	json_t *arr = NULL, *t;
	char path[4200], tm[40];
	int fd = -1, rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_TOKEN_ADMIN, "revoke tokens")) < 0 ||
	    (rc = custos_service__check_name("token", name, &s->err)) < 0 ||
	    (rc = custos_service__lock(s->a->dir, &fd, &s->err)) < 0 ||
	    (rc = load(s->a->dir, &arr, &s->err)) < 0)
		goto audit;
	if (!(t = find(arr, name))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no token named '%s'", name);
		goto audit;
	}
	if (json_object_get(t, "revoked_at")) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "token '%s' was revoked already", name);
		goto audit;
	}
	json_object_set_new(t, "revoked_at", json_string(time_text(tm, sizeof tm, custos_time_now())));
	if (s->token || s->actor)
		json_object_set_new(t, "revoked_by", json_string(s->token ? s->token : s->actor));
	tokens_path(s->a->dir, path, sizeof path);
	rc = custos_service__write_json(path, arr, &s->err);
audit:
	json_decref(arr);
	custos_service__unlock(fd);
	return custos_session__audit_name(s, "token-revoke", name, rc);
}

/* ---- the cache the service checks requests against ------------------------ */

void custos_tokens__cache_init(custos_tokcache_t *c)
{
	memset(c, 0, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
}

void custos_tokens__cache_free(custos_tokcache_t *c)
{
	if (c->v)
		sodium_memzero(c->v, c->n * sizeof *c->v);
	free(c->v);
	pthread_mutex_destroy(&c->mu);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Re-reads the table when its file changed (under c->mu). */
static int refresh(custos_tokcache_t *c, const char *dir, custos_err_t *err)
{
	char path[4200];
	struct stat sb;
	json_t *arr = NULL, *t;
	size_t i;
	int rc;
	tokens_path(dir, path, sizeof path);
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT)
			return custos_err_set(err, CUSTOS_EIO, "cannot read '%s': %s", path, strerror(errno));
		c->n = 0;
		c->loaded = false;
		return CUSTOS_OK;
	}
	if (c->loaded && same_file(&sb, &c->seen))
		return CUSTOS_OK;
	if ((rc = load(dir, &arr, err)) < 0)
		return rc;
	custos_tokcache_entry_t *v = calloc(json_array_size(arr) + 1, sizeof *v);
	if (!v) {
		json_decref(arr);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	size_t n = 0;
	json_array_foreach(arr, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *hex = json_string_value(json_object_get(t, "hash"));
		custos_tokcache_entry_t *e = &v[n];
		if (!name || !hex || strlen(hex) != 64 || custos_unhex(e->hash, hex, 32) < 0 ||
		    custos_role_parse(&e->role, json_string_value(json_object_get(t, "role")), NULL) < 0)
			continue;   /* not a token custos wrote: it lets nobody in */
		snprintf(e->name, sizeof e->name, "%s", name);
		e->revoked = json_object_get(t, "revoked_at") != NULL;
		n++;
	}
	json_decref(arr);
	if (c->v)
		sodium_memzero(c->v, c->n * sizeof *c->v);
	free(c->v);
	c->v = v;
	c->n = n;
	c->seen = sb;
	c->loaded = true;
	return CUSTOS_OK;
}

int custos_tokens__check(custos_tokcache_t *c, const char *dir, const char *bearer,
                         custos_tokcache_entry_t *out, custos_err_t *err)
{
	uint8_t hash[32];
	int rc;
	token_hash(hash, bearer);
	pthread_mutex_lock(&c->mu);
	if ((rc = refresh(c, dir, err)) == CUSTOS_OK) {
		rc = custos_err_set(err, CUSTOS_EACCESS, "unknown token");
		for (size_t i = 0; i < c->n; i++)
			if (sodium_memcmp(c->v[i].hash, hash, sizeof hash) == 0) {
				*out = c->v[i];
				custos_err_clear(err);
				rc = CUSTOS_OK;
				break;
			}
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}
