/* Source files by reference: a record's source.file and source.file_sha256
 * are kept once per distinct pair in meta, and its stored normalized form
 * names the entry by number (docs/storage.md, "Source files by reference"). */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

/* meta "fr:" + u32 id → u8 format (1), u8 flags (1: a hash is there),
 * u16 hash length, hash, file name; meta "fh:" + SHA-256 of the pair → u32 id. */
enum { SRC_FORMAT = 1, SRC_HAS_SHA = 1, SRC_VAL_HDR = 4 };

void custos_store__source_key(uint8_t key[STORE_SRC_KEY], uint32_t id)
{
	memcpy(key, "fr:", 3);
	custos_store__be32(key + 3, id);
}

/* The key of the pair's entry in the other direction. */
static void pair_key(uint8_t key[STORE_SRC_PAIR_KEY], const char *file, const char *sha)
{
	custos_sha256_ctx_t c;
	custos_sha256_init(&c);
	custos_sha256_update(&c, file, strlen(file) + 1);
	custos_sha256_update(&c, sha ? "1" : "0", 1);
	if (sha)
		custos_sha256_update(&c, sha, strlen(sha));
	memcpy(key, "fh:", 3);
	custos_sha256_final(&c, key + 3);
}

int custos_store__source_decode(const MDB_val *v, const char **file, size_t *file_len,
                                const char **sha, size_t *sha_len)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size < SRC_VAL_HDR || p[0] != SRC_FORMAT || (p[1] & ~SRC_HAS_SHA))
		return CUSTOS_ECORRUPT;
	size_t sn = (size_t)p[2] << 8 | p[3];
	if (SRC_VAL_HDR + sn > v->mv_size || (!(p[1] & SRC_HAS_SHA) && sn))
		return CUSTOS_ECORRUPT;
	*sha = p[1] & SRC_HAS_SHA ? (const char *)p + SRC_VAL_HDR : NULL;
	*sha_len = sn;
	*file = (const char *)p + SRC_VAL_HDR + sn;
	*file_len = v->mv_size - SRC_VAL_HDR - sn;
	if (memchr(*file, 0, *file_len) || (sn && memchr(*sha, 0, sn)))
		return CUSTOS_ECORRUPT;
	return CUSTOS_OK;
}

int custos_store__source_pair_get(custos_store_t *st, MDB_txn *txn, const char *file,
                                  const char *sha, MDB_val *out)
{
	uint8_t key[STORE_SRC_PAIR_KEY];
	pair_key(key, file, sha);
	MDB_val k = { sizeof key, key };
	return mdb_get(txn, st->dbi[STORE_DB_META], &k, out);
}

/* ---------------------------------------------------------------------------
 * Writing: the batch keeps the pairs it used last, bounded. */

static void ent_free(custos_store__srcent_t *e)
{
	free(e->file);
	free(e->sha);
	memset(e, 0, sizeof *e);
}

void custos_store__source_batch_free(custos_batch_t *b)
{
	for (size_t i = 0; i < STORE_SRC_CACHE; i++)
		ent_free(&b->src[i]);
	/* a reader of this view may have cached an entry this batch wrote and
	 * did not commit: its number may be given to another pair next time */
	if (b->src_new && !b->src_committed)
		custos_store__source_forget(b->st);
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int cache_put(custos_batch_t *b, const custos_source_t *s, uint32_t id)
{
	b->src_last = b->src_next++ % STORE_SRC_CACHE;
	custos_store__srcent_t *e = &b->src[b->src_last];
	ent_free(e);
	if (!(e->file = strdup(s->file)) || (s->file_sha256 && !(e->sha = strdup(s->file_sha256)))) {
		ent_free(e);
		return CUSTOS_ENOMEM;
	}
	e->id = id;
	return CUSTOS_OK;
}

/* The number after the highest entry: "fr:" keys sort by their number. */
static int next_id(custos_batch_t *b, uint32_t *out)
{
	custos_store_t *st = b->st;
	MDB_cursor *c;
	MDB_val k = { 3, "fr;" }, v;
	int rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_META], &c);
	if (rc)
		return custos_store__mdb(st, rc, "cannot read source file entries");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	rc = mdb_cursor_get(c, &k, &v, rc == 0 ? MDB_PREV : MDB_LAST);
	*out = 1;
	if (rc == 0 && k.mv_size == STORE_SRC_KEY && !memcmp(k.mv_data, "fr:", 3))
		*out = custos_store__get32((const uint8_t *)k.mv_data + 3) + 1;
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read source file entries");
	if (*out == 0)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "source file entries: numbers used up");
	return CUSTOS_OK;
}

int custos_store__source_find(custos_batch_t *b, const custos_source_t *s, uint32_t *id,
                              bool *fresh)
{
	custos_store_t *st = b->st;
	MDB_val v;
	int rc, err;
	*fresh = false;
	*id = 0;
	/* a hash of more than 64 KB (no ingest makes one) stays as text */
	if (s->file_sha256 && strlen(s->file_sha256) > 0xffff)
		return CUSTOS_OK;
	/* the pair of the last record first: an ingest reads file after file */
	for (size_t n = 0; n < STORE_SRC_CACHE; n++) {
		size_t i = (b->src_last + n) % STORE_SRC_CACHE;
		custos_store__srcent_t *e = &b->src[i];
		if (e->file && !strcmp(e->file, s->file) && same(e->sha, s->file_sha256)) {
			b->src_last = i;
			*id = e->id;
			return CUSTOS_OK;
		}
	}
	rc = custos_store__source_pair_get(st, b->txn, s->file, s->file_sha256, &v);
	if (rc == 0) {
		if (v.mv_size != 4 || !(*id = custos_store__get32(v.mv_data)))
			return custos_err_set(&st->err, CUSTOS_ECORRUPT, "source file '%s': bad entry",
			                      s->file);
		if ((err = cache_put(b, s, *id)) < 0)
			return custos_err_set(&st->err, err, "out of memory");
		return CUSTOS_OK;
	}
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read source file entries");
	/* not stored: the next number, taken only by source_add */
	if (!b->src_next_id && (err = next_id(b, &b->src_next_id)) < 0)
		return err;
	*id = b->src_next_id;
	*fresh = true;
	return CUSTOS_OK;
}

int custos_store__source_add(custos_batch_t *b, const custos_source_t *s, uint32_t id)
{
	custos_store_t *st = b->st;
	uint8_t key[STORE_SRC_KEY], pk[STORE_SRC_PAIR_KEY], idb[4];
	size_t sn = s->file_sha256 ? strlen(s->file_sha256) : 0, fn = strlen(s->file);
	int err;
	if (sn > 0xffff)   /* source_find gives no number to such a pair */
		return custos_err_set(&st->err, CUSTOS_EINVAL, "source file '%s': hash too long",
		                      s->file);
	b->tmp.len = 0;
	uint8_t hdr[SRC_VAL_HDR] = { SRC_FORMAT, s->file_sha256 ? SRC_HAS_SHA : 0,
	                             (uint8_t)(sn >> 8), (uint8_t)sn };
	if ((err = custos_buf_add(&b->tmp, hdr, sizeof hdr)) < 0 ||
	    (err = custos_buf_add(&b->tmp, s->file_sha256 ? s->file_sha256 : "", sn)) < 0 ||
	    (err = custos_buf_add(&b->tmp, s->file, fn)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	custos_store__source_key(key, id);
	pair_key(pk, s->file, s->file_sha256);
	custos_store__be32(idb, id);
	if ((err = custos_store__op(b, STORE_OP_PUT, STORE_DB_META, key, sizeof key, b->tmp.data,
	                            b->tmp.len, MDB_NOOVERWRITE)) < 0 ||
	    (err = custos_store__op(b, STORE_OP_PUT, STORE_DB_META, pk, sizeof pk, idb, 4,
	                            MDB_NOOVERWRITE)) < 0)
		return err;
	b->src_new = true;
	b->src_next_id = id + 1;
	if ((err = cache_put(b, s, id)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	return CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * Reading: each view keeps the entries it read last, by number. */

void custos_store__source_forget(custos_store_t *st)
{
	if (!st->src)
		return;
	for (size_t i = 0; i < STORE_SRC_CACHE; i++)
		ent_free(&st->src[i]);
}

void custos_store__source_view_free(custos_store_t *st)
{
	custos_store__source_forget(st);
	free(st->src);
	st->src = NULL;
}

int custos_store__source_resolve(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                                 uint32_t version, uint32_t id, custos_record_t *rec)
{
	custos_store__srcent_t *e;
	int err, rc;
	if (rec->source.file || rec->source.file_sha256)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                      "record %s version %u (seq %llu): source file named twice",
		                      rec->id ? rec->id : "?", version, (unsigned long long)seq);
	if (!st->src && !(st->src = calloc(STORE_SRC_CACHE, sizeof *st->src)))
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	e = &st->src[id % STORE_SRC_CACHE];
	if (!e->file || e->id != id) {
		uint8_t key[STORE_SRC_KEY];
		const char *file, *sha;
		size_t fn, sn;
		custos_store__source_key(key, id);
		MDB_val k = { sizeof key, key }, v;
		if ((rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v)) == MDB_NOTFOUND)
			return custos_err_set(&st->err, CUSTOS_ECORRUPT,
			                      "record %s version %u (seq %llu): its source file "
			                      "entry %u is missing", rec->id ? rec->id : "?", version,
			                      (unsigned long long)seq, id);
		if (rc)
			return custos_store__mdb(st, rc, "cannot read source file entries");
		if (custos_store__source_decode(&v, &file, &fn, &sha, &sn) < 0)
			return custos_err_set(&st->err, CUSTOS_ECORRUPT,
			                      "record %s version %u (seq %llu): its source file "
			                      "entry %u is damaged", rec->id ? rec->id : "?", version,
			                      (unsigned long long)seq, id);
		ent_free(e);
		if (!(e->file = strndup(file, fn)) || (sha && !(e->sha = strndup(sha, sn)))) {
			ent_free(e);
			return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
		}
		e->id = id;
	}
	if ((err = custos_record_sets(rec, &rec->source.file, e->file)) < 0 ||
	    (err = custos_record_sets(rec, &rec->source.file_sha256, e->sha)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	return CUSTOS_OK;
}
