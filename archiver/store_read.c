/* Reading the store: records by id, version or seq, scans, blobs,
 * quarantine and statistics. Every read runs in its own LMDB read
 * transaction and copies what it returns out of the map. */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

/* False for an id no record can have: empty, or longer than an LMDB key
 * (LMDB would call the key itself bad). */
static int id_possible(const custos_store_t *st, const MDB_val *k)
{
	return k->mv_size > 0 && k->mv_size <= (size_t)mdb_env_get_maxkeysize(st->env);
}

/* Finds the seq of version (0: latest) of id. */
static int find_version(custos_store_t *st, MDB_txn *txn, const char *id, uint32_t version,
                        uint64_t *seq)
{
	MDB_cursor *c;
	MDB_val k = { strlen(id), (void *)id }, v;
	size_t cnt = 0;
	int rc;
	if (!id_possible(st, &k))
		return custos_err_set(&st->err, CUSTOS_ENOTFOUND, "record '%.200s' not found", id);
	if ((rc = mdb_cursor_open(txn, st->dbi[STORE_DB_IDS], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read ids");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET);
	if (rc == 0)
		rc = mdb_cursor_count(c, &cnt);
	if (rc == 0) {
		if (version == 0) {
			rc = mdb_cursor_get(c, &k, &v, MDB_LAST_DUP);
		} else if (version > cnt) {
			rc = MDB_NOTFOUND;
		} else {
			rc = mdb_cursor_get(c, &k, &v, MDB_FIRST_DUP);
			for (uint32_t i = 1; rc == 0 && i < version; i++)
				rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP);
		}
	}
	if (rc == 0 && v.mv_size == 8)
		*seq = custos_store__get64(v.mv_data);
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND) {
		if (version && cnt)
			return custos_err_set(&st->err, CUSTOS_ENOTFOUND,
			                      "record %s has no version %u (%zu stored)", id, version,
			                      (size_t)cnt);
		return custos_err_set(&st->err, CUSTOS_ENOTFOUND, "record %s not found", id);
	}
	return custos_store__mdb(st, rc, "cannot read ids");
}

static int get_in(custos_store_t *st, MDB_txn *txn, uint64_t seq, custos_record_t *rec)
{
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	int rc, err;
	custos_store__be64(kb, seq);
	if ((rc = mdb_get(txn, st->dbi[STORE_DB_RECORDS], &k, &v)) != 0) {
		if (rc == MDB_NOTFOUND)
			return custos_err_set(&st->err, CUSTOS_ENOTFOUND, "no record at seq %llu",
			                      (unsigned long long)seq);
		return custos_store__mdb(st, rc, "cannot read records");
	}
	if ((err = custos_store__record_decode(st, txn, seq, &v, rec)) < 0 &&
	    err == CUSTOS_ECORRUPT && !rec->id) {
		/* name the damaged record: the payload that should have named it is unreadable */
		char id[512];
		if (custos_store__id_of_seq(st, txn, seq, id, sizeof id) == 0)
			custos_err_prefix(&st->err, "record %s", id);
	}
	return err;
}

int custos_store_get(custos_store_t *st, const char *id, uint32_t version, custos_record_t *rec)
{
	MDB_txn *txn;
	uint64_t seq = 0;
	int err;
	custos_record_reset(rec);
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((err = find_version(st, txn, id, version, &seq)) == 0 &&
	    (err = get_in(st, txn, seq, rec)) == CUSTOS_ENOTFOUND)
		custos_err_set(&st->err, err, "record %s%s (seq %llu) was disposed of", id,
		               version ? " at that version" : "", (unsigned long long)seq);
	custos_store__read_done(st, txn);
	if (err < 0)
		custos_record_reset(rec);
	return err;
}

int custos_store_get_seq(custos_store_t *st, uint64_t seq, custos_record_t *rec)
{
	MDB_txn *txn;
	int err;
	custos_record_reset(rec);
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	err = get_in(st, txn, seq, rec);
	custos_store__read_done(st, txn);
	if (err < 0)
		custos_record_reset(rec);
	return err;
}

int custos_store_versions(custos_store_t *st, const char *id, uint64_t **seqs, size_t *n)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k = { strlen(id), (void *)id }, v;
	size_t cnt = 0;
	int rc, err;
	*seqs = NULL;
	*n = 0;
	if (!id_possible(st, &k))
		return CUSTOS_OK;   /* no versions, as for any id not stored */
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((rc = mdb_cursor_open(txn, st->dbi[STORE_DB_IDS], &c)) != 0)
		goto done;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET);
	if (rc == MDB_NOTFOUND) {
		rc = 0;
		goto done;
	}
	if (rc || (rc = mdb_cursor_count(c, &cnt)) != 0)
		goto done;
	if (!(*seqs = malloc(cnt * sizeof **seqs))) {
		err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST_DUP); rc == 0 && *n < cnt;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP))
		(*seqs)[(*n)++] = custos_store__get64(v.mv_data);
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	err = custos_store__read_end(st, txn, c, rc, err, "cannot read ids");
	if (err < 0) {
		free(*seqs);
		*seqs = NULL;
		*n = 0;
	}
	return err;
}

int custos_store__blob_decode(custos_store_t *st, const uint8_t sum[32], const MDB_val *v,
                              void **p, size_t *n)
{
	const uint8_t *d = v->mv_data;
	uint8_t key[STORE_KEY_LEN], got[32];
	char hex[CUSTOS_SHA256_HEX];
	void *out = NULL;
	int err;
	*p = NULL;
	*n = 0;
	custos_hex(hex, sum, 32);
	if (v->mv_size < STORE_BLOB_HDR || d[0] != 1)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "blob %s: bad header", hex);
	uint64_t size = custos_store__get64(d + 10);
	size_t pn = v->mv_size - STORE_BLOB_HDR;
	if ((err = custos_store__key_read(st, STORE_KEYS_ITEMS, custos_store__get64(d + 2), key)) < 0)
		return custos_err_prefix(&st->err, "blob %s", hex);
	st->comp.len = 0;
	if ((err = custos_buf_reserve(&st->comp, pn)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	memcpy(st->comp.data, d + STORE_BLOB_HDR, pn);
	custos_store__crypt((uint8_t *)st->comp.data, pn, key, 0);
	sodium_memzero(key, sizeof key);
	const void *src = st->comp.data;
	size_t sn = pn;
	if (d[1] & STORE_BLOB_ZSTD) {
		if ((err = custos_store__decompress(st, NULL, st->comp.data, pn)) < 0)
			return custos_err_prefix(&st->err, "blob %s", hex);
		src = st->plain.data;
		sn = st->plain.len;
	}
	if (sn != size)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "blob %s: size mismatch", hex);
	custos_sha256(got, src, sn);
	if (memcmp(got, sum, 32) != 0)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "blob %s: hash mismatch", hex);
	if (!(out = malloc(sn ? sn : 1)))
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	memcpy(out, src, sn);
	*p = out;
	*n = sn;
	return CUSTOS_OK;
}

int custos_store_blob_get(custos_store_t *st, const char *hex, void **p, size_t *n)
{
	uint8_t sum[32];
	MDB_txn *txn;
	MDB_val k = { 32, sum }, v;
	int rc, err;
	*p = NULL;
	*n = 0;
	if (!hex || strlen(hex) != 64 || custos_unhex(sum, hex, 32) < 0)
		return custos_err_set(&st->err, CUSTOS_EINVAL, "'%s' is not a sha256", hex ? hex : "");
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((rc = mdb_get(txn, st->dbi[STORE_DB_BLOBS], &k, &v)) != 0)
		err = rc == MDB_NOTFOUND
		    ? custos_err_set(&st->err, CUSTOS_ENOTFOUND, "blob %s not found", hex)
		    : custos_store__mdb(st, rc, "cannot read blobs");
	else
		err = custos_store__blob_decode(st, sum, &v, p, n);
	custos_store__read_done(st, txn);
	return err;
}

int custos_store_scan(custos_store_t *st, uint64_t after, custos_store_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	custos_record_t rec;
	int rc, err;
	if (after == UINT64_MAX)
		return CUSTOS_OK;
	custos_record_init(&rec);
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	custos_store__be64(kb, after + 1);
	if ((rc = mdb_cursor_open(txn, st->dbi[STORE_DB_RECORDS], &c)) != 0)
		goto done;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint64_t seq = custos_store__get64(k.mv_data);
		if (v.mv_size >= 2 && (((const uint8_t *)v.mv_data)[1] & STORE_REC_DISPOSED))
			continue;
		if ((err = get_in(st, txn, seq, &rec)) < 0)
			break;
		if ((err = fn(ctx, &rec)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	custos_record_free(&rec);
	return custos_store__read_end(st, txn, c, rc, err, "cannot read records");
}

int custos_store_last_seq(custos_store_t *st, uint64_t *seq)
{
	MDB_txn *txn;
	custos_store__state_t s;
	int err;
	*seq = 0;
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((err = custos_store__state_load(st, txn, &s)) == 0)
		*seq = s.v[ST_NEXT_SEQ] - 1;
	custos_store__read_done(st, txn);
	return err;
}

int custos_store_last_anchor(custos_store_t *st, custos_anchor_t *out)
{
	MDB_txn *txn;
	MDB_val k = { 6, "anchor" }, v;
	int rc, err;
	memset(out, 0, sizeof *out);
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc == 0 && v.mv_size == STORE_ANCHOR_LEN)
		custos_store__anchor_decode(out, v.mv_data);
	else if (rc == 0)
		err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "store: the last anchor is damaged");
	else if (rc != MDB_NOTFOUND)
		err = custos_store__mdb(st, rc, "cannot read the last anchor");
	custos_store__read_done(st, txn);
	return err;
}

int custos_store_batches(custos_store_t *st, custos_batch_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc, err;
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((rc = mdb_cursor_open(txn, st->dbi[STORE_DB_BATCHES], &c)) != 0) {
		err = custos_store__mdb(st, rc, "cannot read batches");
		goto done;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if ((v.mv_size != STORE_BATCH_ANCHORED && v.mv_size != STORE_BATCH_VAL) ||
		    k.mv_size != 8)
			continue;
		const uint8_t *p = v.mv_data;
		custos_anchor_t a;
		custos_batch_info_t b = { custos_store__get64(k.mv_data), custos_store__get64(p),
		                          custos_store__get64(p + 8),
		                          (int64_t)custos_store__get64(p + 48), { 0 }, NULL };
		memcpy(b.head, p + 16, sizeof b.head);
		if (v.mv_size == STORE_BATCH_ANCHORED) {
			custos_store__anchor_decode(&a, p + STORE_BATCH_VAL);
			b.anchor = &a;
		}
		if ((err = fn(ctx, &b)) != 0)
			goto done;
	}
	if (rc != MDB_NOTFOUND)
		err = custos_store__mdb(st, rc, "cannot read batches");
done:
	if (c)
		mdb_cursor_close(c);
	custos_store__read_done(st, txn);
	return err;
}

/* A file's size, and what it takes on disk (st_blocks is in 512-byte units
 * whatever the file system's block size), added to *size and *disk. */
static void file_size(const char *dir, const char *name, uint64_t *size, uint64_t *disk)
{
	char p[4200];
	struct stat sb;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (stat(p, &sb) != 0)
		return;
	*size += (uint64_t)sb.st_size;
	*disk += (uint64_t)sb.st_blocks * 512;
}

int custos_store_stats(custos_store_t *st, custos_store_stats_t *out)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k = { 2, "p:" }, v;
	custos_store__state_t s;
	uint64_t sum_tomb = 0;
	int rc = 0, err;
	memset(out, 0, sizeof *out);
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((err = custos_store__state_load(st, txn, &s)) < 0)
		goto done;
	out->records = s.v[ST_RECORDS];
	out->versions = s.v[ST_VERSIONS] - s.v[ST_TOMBSTONES];
	out->deleted_upstream = s.v[ST_DELETED];
	out->raw_bytes = s.v[ST_RAW_BYTES];
	out->stored_bytes = s.v[ST_STORED_BYTES];
	out->blobs = s.v[ST_BLOBS];
	out->blob_bytes = s.v[ST_BLOB_BYTES];
	out->quarantined = s.v[ST_QUARANTINED];
	out->tombstones = s.v[ST_TOMBSTONES];
	out->dictionaries = s.v[ST_DICTIONARIES];
	out->last_seq = s.v[ST_NEXT_SEQ] - 1;
	file_size(st->dir, "store/data.mdb", &out->file_bytes, &out->disk_bytes);
	file_size(st->dir, "keys/slots", &out->file_bytes, &out->disk_bytes);
	file_size(st->dir, "keys/items", &out->file_bytes, &out->disk_bytes);
	if ((rc = mdb_cursor_open(txn, st->dbi[STORE_DB_META], &c)) != 0)
		goto done;
	size_t cap = 0;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		custos_store__platform_t p;
		if (k.mv_size < 2 || memcmp(k.mv_data, "p:", 2) != 0)
			break;
		if (custos_store__platform_decode(&p, &k, &v) < 0) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "bad platform state");
			goto done;
		}
		if (out->n_platforms == cap) {
			cap = cap ? cap * 2 : 8;
			custos_platform_stats_t *np = realloc(out->platforms, cap * sizeof *np);
			if (!np) {
				err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			out->platforms = np;
		}
		custos_platform_stats_t *ps = &out->platforms[out->n_platforms++];
		memset(ps, 0, sizeof *ps);
		memcpy(ps->platform, p.name, sizeof ps->platform);
		ps->records = p.v[PL_RECORDS] - p.v[PL_DISPOSED];
		ps->versions = p.v[PL_VERSIONS] - p.v[PL_TOMBSTONES];
		ps->tombstones = p.v[PL_TOMBSTONES];
		ps->disposed_records = p.v[PL_DISPOSED];
		sum_tomb += p.v[PL_TOMBSTONES];
		out->disposed_records += p.v[PL_DISPOSED];
		ps->raw_bytes = p.v[PL_RAW_BYTES];
		ps->stored_bytes = p.v[PL_STORED_BYTES];
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (!rc && sum_tomb != out->tombstones) {
		/* an archive that disposed before its platforms counted it: the
		 * counts from the records (the next disposal keeps them) */
		custos_store__dcount_t *dc = NULL;
		size_t nd = 0;
		uint64_t ids;
		if ((err = custos_store__disposed_recount(st, txn, &dc, &nd, &ids)) < 0)
			goto done;
		out->disposed_records = 0;
		for (size_t i = 0; i < out->n_platforms; i++) {
			custos_platform_stats_t *ps = &out->platforms[i];
			ps->records += ps->disposed_records;
			ps->versions += ps->tombstones;
			ps->disposed_records = ps->tombstones = 0;
			for (size_t j = 0; j < nd; j++)
				if (!strcmp(dc[j].platform, ps->platform)) {
					ps->disposed_records = dc[j].disposed;
					ps->tombstones = dc[j].tombstones;
				}
			ps->records -= ps->disposed_records;
			ps->versions -= ps->tombstones;
		}
		for (size_t j = 0; j < nd; j++)
			out->disposed_records += dc[j].disposed;
		free(dc);
	}
	out->records -= out->disposed_records;
done:
	err = custos_store__read_end(st, txn, c, rc, err, "cannot read store state");
	if (err < 0)
		custos_store_stats_free(out);
	return err;
}

void custos_store_stats_free(custos_store_stats_t *s)
{
	if (!s)
		return;
	free(s->platforms);
	s->platforms = NULL;
	s->n_platforms = 0;
}

/* ---------------------------------------------------------------------------
 * Quarantine. */

int custos_store__quarantine_parse(custos_store_t *st, uint64_t n, const MDB_val *v,
                                   custos_quarantine_entry_t *e, uint64_t *slot,
                                   uint8_t sum[32], size_t *off)
{
	const uint8_t *d = v->mv_data;
	json_error_t jerr;
	json_t *o = NULL;
	int err = CUSTOS_OK;
	memset(e, 0, sizeof *e);
	e->n = n;
	if (v->mv_size < 4 || custos_store__get32(d) > v->mv_size - 4)
		goto bad;
	size_t jn = custos_store__get32(d);
	if (!(o = json_loadb((const char *)d + 4, jn, 0, &jerr)) || !json_is_object(o))
		goto bad;
	const char *file = json_string_value(json_object_get(o, "file"));
	const char *reason = json_string_value(json_object_get(o, "reason"));
	const char *hex = json_string_value(json_object_get(o, "raw_sha256"));
	json_t *jslot = json_object_get(o, "slot"), *jlen = json_object_get(o, "raw_len");
	if (!file || !reason || !hex || strlen(hex) != 64 || !json_is_integer(jslot) ||
	    !json_is_integer(jlen) || custos_unhex(sum, hex, 32) < 0)
		goto bad;
	snprintf(e->file, sizeof e->file, "%s", file);
	snprintf(e->reason, sizeof e->reason, "%s", reason);
	e->offset = json_integer_value(json_object_get(o, "offset"));
	e->line = json_integer_value(json_object_get(o, "line"));
	e->at = json_integer_value(json_object_get(o, "at"));
	e->raw_len = (size_t)json_integer_value(jlen);
	*slot = (uint64_t)json_integer_value(jslot);
	*off = 4 + jn;
	goto done;
bad:
	err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "quarantine item %llu: bad header",
	                     (unsigned long long)n);
done:
	json_decref(o);
	return err;
}

int custos_store__quarantine_raw(custos_store_t *st, uint64_t n, const MDB_val *v,
                                 custos_quarantine_entry_t *e)
{
	uint8_t sum[32], got[32], key[STORE_KEY_LEN];
	uint64_t slot;
	size_t off;
	int err;
	if ((err = custos_store__quarantine_parse(st, n, v, e, &slot, sum, &off)) < 0)
		return err;
	if ((err = custos_store__key_read(st, STORE_KEYS_ITEMS, slot, key)) < 0)
		return custos_err_prefix(&st->err, "quarantine item %llu", (unsigned long long)n);
	size_t pn = v->mv_size - off;
	st->comp.len = 0;
	if ((err = custos_buf_reserve(&st->comp, pn)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	memcpy(st->comp.data, (const uint8_t *)v->mv_data + off, pn);
	custos_store__crypt((uint8_t *)st->comp.data, pn, key, 0);
	sodium_memzero(key, sizeof key);
	if ((err = custos_store__decompress(st, NULL, st->comp.data, pn)) < 0)
		return custos_err_prefix(&st->err, "quarantine item %llu", (unsigned long long)n);
	custos_sha256(got, st->plain.data, st->plain.len);
	if (st->plain.len != e->raw_len || memcmp(got, sum, 32) != 0)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "quarantine item %llu: hash mismatch",
		                      (unsigned long long)n);
	return CUSTOS_OK;
}

int custos_store_quarantine_list(custos_store_t *st, custos_quarantine_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	custos_quarantine_entry_t *e = malloc(sizeof *e);
	uint8_t sum[32];
	uint64_t slot;
	size_t off;
	int rc, err;
	if (!e)
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	if ((err = custos_store__read_txn(st, &txn)) < 0) {
		free(e);
		return err;
	}
	if ((rc = mdb_cursor_open(txn, st->dbi[STORE_DB_QUARANTINE], &c)) != 0)
		goto done;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "quarantine: bad key");
			break;
		}
		if ((err = custos_store__quarantine_parse(st, custos_store__get64(k.mv_data), &v, e,
		                                          &slot, sum, &off)) < 0)
			break;
		if ((err = fn(ctx, e)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	free(e);
	return custos_store__read_end(st, txn, c, rc, err, "cannot read quarantine");
}

int custos_store_quarantine_get(custos_store_t *st, uint64_t n, custos_quarantine_entry_t *e,
                                void **raw, size_t *raw_len)
{
	MDB_txn *txn;
	uint8_t kb[8];
	MDB_val k = { 8, kb }, v;
	int rc, err;
	*raw = NULL;
	*raw_len = 0;
	custos_store__be64(kb, n);
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((rc = mdb_get(txn, st->dbi[STORE_DB_QUARANTINE], &k, &v)) != 0)
		err = rc == MDB_NOTFOUND
		    ? custos_err_set(&st->err, CUSTOS_ENOTFOUND, "quarantine item %llu not found",
		                     (unsigned long long)n)
		    : custos_store__mdb(st, rc, "cannot read quarantine");
	else if ((err = custos_store__quarantine_raw(st, n, &v, e)) == 0) {
		if (!(*raw = malloc(st->plain.len ? st->plain.len : 1)))
			err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
		else {
			memcpy(*raw, st->plain.data, st->plain.len);
			*raw_len = st->plain.len;
		}
	}
	custos_store__read_done(st, txn);
	return err;
}
