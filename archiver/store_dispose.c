/* Disposal of records (issue 5): tombstones, dropped payloads, shredded keys,
 * media no live record uses, and retirement of dictionaries trained on a
 * disposed record. docs/storage.md and docs/retention.md give the order of
 * the steps and why a crash at any point is finished by the next writer. */
#include "store_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* meta "shred": the key slots a committed disposal still has to zero, as
 * u8 file + u64 slot entries. Written in the tombstone transaction, deleted
 * once the slots are zero and the key files synced. */
#define SHRED_KEY "shred"
enum { SHRED_ENTRY = 9 };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The zeros of the slots listed in p (n bytes) are on disk: the lowest and
 * the highest slot of each key file are noted for the punch sweep at the
 * end of the run, which reads only the blocks between them
 * (custos_store_dispose_complete). Punching a block changes the key file's
 * extents, which makes its next fdatasync commit the file system's journal:
 * once a run, not after every batch. */
static void punch_note(custos_store_t *st, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + SHRED_ENTRY <= n; i += SHRED_ENTRY) {
		int file = p[i] ? STORE_KEYS_ITEMS : STORE_KEYS_RECORDS;
		uint64_t slot = custos_store__get64(p + i + 1);
		if (!st->punch_to[file] || slot < st->punch_from[file])
			st->punch_from[file] = slot;
		if (slot > st->punch_to[file])
			st->punch_to[file] = slot;
	}
}

/* Zeroes every slot listed in the pending value p (n bytes), then syncs each
 * key file once: one fdatasync per file instead of one per slot. */
static int shred_list(custos_store_t *st, const uint8_t *p, size_t n)
{
	static const uint8_t zero[STORE_KEY_LEN];
	static const char *const names[2] = { "keys/slots", "keys/items" };
	bool touched[2] = { false, false };
	for (size_t i = 0; i + SHRED_ENTRY <= n; i += SHRED_ENTRY) {
		int file = p[i] ? STORE_KEYS_ITEMS : STORE_KEYS_RECORDS;
		uint64_t slot = custos_store__get64(p + i + 1);
		ssize_t w;
		do
			w = pwrite(st->key_fd[file], zero, STORE_KEY_LEN, (off_t)(slot * STORE_KEY_LEN));
		while (w < 0 && errno == EINTR);
		if (w != STORE_KEY_LEN) {
			int e = w < 0 ? errno : ENOSPC;
			return custos_err_set(&st->err, custos_store__io_status(st, e),
			                      "cannot shred %s slot %llu: %s", names[file],
			                      (unsigned long long)slot, strerror(e));
		}
		touched[file] = true;
	}
	for (int f = 0; f < 2; f++)
		if (touched[f] && fdatasync(st->key_fd[f]) != 0) {
			int e = errno;
			return custos_err_set(&st->err, custos_store__io_status(st, e), "cannot sync %s: %s",
			                      names[f], strerror(e));
		}
	punch_note(st, p, n);
	return CUSTOS_OK;
}

int custos_store__dispose_finish(custos_store_t *st)
{
	MDB_txn *txn;
	MDB_val k = { sizeof SHRED_KEY - 1, SHRED_KEY }, v;
	custos_batch_t *b = NULL;
	uint8_t *copy = NULL;
	size_t n = 0;
	int rc, err;

	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc == 0 && (copy = malloc(v.mv_size ? v.mv_size : 1)) != NULL) {
		memcpy(copy, v.mv_data, v.mv_size);
		n = v.mv_size;
	}
	custos_store__read_done(st, txn);
	if (rc == MDB_NOTFOUND)
		return CUSTOS_OK;
	if (rc)
		return custos_store__mdb(st, rc, "cannot read pending disposals");
	if (!copy)
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	if ((err = shred_list(st, copy, n)) < 0)
		goto done;
	if ((err = custos_store_begin(&b, st)) < 0)
		goto done;
	if ((err = custos_store__op(b, STORE_OP_DEL, STORE_DB_META, SHRED_KEY,
	                            sizeof SHRED_KEY - 1, NULL, 0, 0)) < 0) {
		custos_store_abort(b);
		goto done;
	}
	err = custos_store_commit(b, NULL);
done:
	free(copy);
	return err;
}

/* One version being disposed in this call. */
typedef struct {
	uint64_t seq;
	size_t   item;          /* index into the caller's items */
} victim_t;

typedef struct {
	char (*media)[CUSTOS_SHA256_HEX];   /* blobs of the disposed versions */
	size_t n_media;
} media_scan_t;

static int media_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static int add_pending(custos_buf_t *pending, int file, uint64_t slot)
{
	uint8_t e[SHRED_ENTRY];
	e[0] = (uint8_t)file;
	custos_store__be64(e + 1, slot);
	return custos_buf_add(pending, e, sizeof e);
}

/* The contexts of one disposal call's tombstones: one per rule, commit and
 * run among its items (actor and time are the call's). */
typedef struct {
	const char *rule, *commit;
	uint64_t run;
	uint32_t id;
} tctx_t;

typedef struct {
	tctx_t  *v;
	size_t   n, cap;
	uint32_t next;   /* 0: not looked up yet */
} tctxs_t;

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* The context id of item it in this call, written to meta the first time. */
static int tomb_ctx(custos_batch_t *b, tctxs_t *c, const custos_dispose_item_t *it,
                    const char *actor, int64_t when, custos_buf_t *tmp, uint32_t *out)
{
	custos_store_t *st = b->st;
	uint8_t key[STORE_TOMB_CTX_KEY];
	int rc, err;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].run == it->run && same_str(c->v[i].rule, it->rule) &&
		    same_str(c->v[i].commit, it->commit)) {
			*out = c->v[i].id;
			return CUSTOS_OK;
		}
	if (!c->next) {
		/* after the last context any disposal wrote */
		MDB_cursor *cur;
		MDB_val k = { 3, "tc;" }, v;
		if ((rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_META], &cur)) != 0)
			return custos_store__mdb(st, rc, "cannot read tombstone contexts");
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		rc = mdb_cursor_get(cur, &k, &v, rc == 0 ? MDB_PREV : MDB_LAST);
		c->next = 1;
		if (rc == 0 && k.mv_size == STORE_TOMB_CTX_KEY && !memcmp(k.mv_data, "tc:", 3))
			c->next = custos_store__get32((const uint8_t *)k.mv_data + 3) + 1;
		mdb_cursor_close(cur);
		if (rc && rc != MDB_NOTFOUND)
			return custos_store__mdb(st, rc, "cannot read tombstone contexts");
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		tctx_t *nv = realloc(c->v, cap * sizeof *nv);
		if (!nv)
			return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
		c->v = nv;
		c->cap = cap;
	}
	tctx_t *t = &c->v[c->n];
	t->rule = it->rule;
	t->commit = it->commit;
	t->run = it->run;
	t->id = c->next++;
	if ((err = custos_store__tomb_ctx_encode(tmp, it->rule, it->commit, it->run, actor,
	                                         when)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	custos_store__tomb_ctx_key(key, t->id);
	if ((err = custos_store__op(b, STORE_OP_PUT, STORE_DB_META, key, sizeof key, tmp->data,
	                            tmp->len, 0)) < 0)
		return err;
	c->n++;
	*out = t->id;
	return CUSTOS_OK;
}

/* meta "retire": u32 ids of dictionaries trained on a disposed record that
 * are still to be retired. Written in the tombstone transaction, so a crash
 * before the retirement leaves it to the next writer. */
#define RETIRE_KEY "retire"

/* Retires the dictionaries listed in ids: every live record compressed with
 * one of them is recompressed without a dictionary, their entries are
 * deleted and their key slots queued for shredding; a platform that used
 * one trains a new dictionary from the records it stores from now on. One
 * pass over the record headers finds the records of all of them. */
static int retire_dicts(custos_batch_t *b, const uint32_t *ids, size_t n_ids,
                        custos_buf_t *pending, custos_dispose_summary_t *sum)
{
	custos_store_t *st = b->st;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	custos_buf_t *seqs = NULL;   /* per retired dictionary: its live records */
	int rc, err = CUSTOS_OK;

	if (!(seqs = calloc(n_ids, sizeof *seqs)))
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	if ((rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_RECORDS], &c)) != 0) {
		err = custos_store__mdb(st, rc, "cannot read records");
		goto done;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		custos_store__rechdr_t h;
		if (custos_store__hdr_decode(&h, v.mv_data, v.mv_size) < 0 ||
		    (h.flags & STORE_REC_DISPOSED) || !h.dict)
			continue;
		for (size_t i = 0; i < n_ids; i++)
			if (ids[i] == h.dict && (err = custos_buf_add(&seqs[i], k.mv_data, 8)) < 0) {
				custos_err_set(&st->err, err, "out of memory");
				goto done;
			}
	}
	mdb_cursor_close(c);
	c = NULL;
	if (rc != MDB_NOTFOUND) {
		err = custos_store__mdb(st, rc, "cannot read records");
		goto done;
	}
	for (size_t i = 0; i < n_ids; i++) {
		uint8_t kb[4];
		custos_store__platform_t *pl;
		char platform[32];
		custos_store__be32(kb, ids[i]);
		MDB_val dk = { 4, kb }, dv;
		rc = mdb_get(b->txn, st->dbi[STORE_DB_DICTS], &dk, &dv);
		if (rc == MDB_NOTFOUND)
			continue;   /* retired by an earlier run */
		if (rc) {
			err = custos_store__mdb(st, rc, "cannot read dictionaries");
			goto done;
		}
		const uint8_t *p = dv.mv_data;
		if (dv.mv_size < 46 || p[45] >= 32 || dv.mv_size < 46 + (size_t)p[45]) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "dictionary %u: bad header", ids[i]);
			goto done;
		}
		uint64_t slot = custos_store__get64(p + 1);
		memcpy(platform, p + 46, p[45]);
		platform[p[45]] = 0;
		if ((err = custos_store__platform(b, platform, &pl)) < 0)
			goto done;

		/* the dictionary the records move to: the platform's current one when
		 * it is not being retired too, else a new one trained on the most
		 * recent live records of this dictionary (none when too few) */
		uint32_t target = (uint32_t)pl->v[PL_DICT];
		for (size_t j = 0; j < n_ids; j++)
			if (ids[j] == target)
				target = 0;
		if (!target && seqs[i].len / 8 >= 8) {
			size_t n = seqs[i].len / 8, want = st->dict_after ? st->dict_after : 1000;
			size_t first = n > want ? n - want : 0;
			for (size_t j = first; j < n; j++)
				if ((err = custos_store__op(b, STORE_OP_PUT, STORE_DB_SAMPLES, platform,
				                            strlen(platform), seqs[i].data + 8 * j, 8,
				                            MDB_NODUPDATA)) < 0)
					goto done;
			pl->v[PL_DICT] = 0;
			pl->v[PL_PENDING] = n - first;
			pl->v[PL_TRAIN_AT] = 0;
			pl->dirty = true;
			if ((err = custos_store__train(b, pl)) < 0)
				goto done;
			target = (uint32_t)pl->v[PL_DICT];   /* 0 when training failed */
			if (target)
				sum->trained++;
		}
		for (size_t j = 0; j * 8 < seqs[i].len; j++) {
			uint64_t seq = custos_store__get64((const uint8_t *)seqs[i].data + 8 * j);
			if ((err = custos_store__recompress(b, seq, target)) < 0)
				goto done;
			sum->recompressed++;
		}
		if ((err = custos_store__op(b, STORE_OP_DEL, STORE_DB_DICTS, kb, 4, NULL, 0, 0)) < 0)
			goto done;
		if ((err = add_pending(pending, STORE_KEYS_ITEMS, slot)) < 0) {
			custos_err_set(&st->err, err, "out of memory");
			goto done;
		}
		b->state.v[ST_DICTIONARIES]--;
		sum->dictionaries++;
		if (pl->v[PL_DICT] == ids[i]) {
			/* no new dictionary: new records become samples again */
			pl->v[PL_DICT] = 0;
			pl->v[PL_PENDING] = 0;
			pl->v[PL_TRAIN_AT] = 0;
			pl->dirty = true;
		}
		custos_store__dict_evict(st, ids[i]);
	}
done:
	if (c)
		mdb_cursor_close(c);
	for (size_t i = 0; seqs && i < n_ids; i++)
		custos_buf_free(&seqs[i]);
	free(seqs);
	return err;
}

/* Adds to meta "retire" the dictionaries trained on any of the disposed seqs. */
static int dicts_to_retire(custos_batch_t *b, const uint64_t *seqs, size_t n_seqs)
{
	custos_store_t *st = b->st;
	MDB_cursor *c;
	MDB_val k, v;
	custos_buf_t ids = { 0 };
	int rc, err = CUSTOS_OK;

	MDB_val rk = { sizeof RETIRE_KEY - 1, RETIRE_KEY }, rv;
	rc = mdb_get(b->txn, st->dbi[STORE_DB_META], &rk, &rv);
	if (rc == 0 && (err = custos_buf_add(&ids, rv.mv_data, rv.mv_size)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	if (rc && rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read pending retirements");
	size_t before = ids.len;
	if ((rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_DICTS], &c)) != 0) {
		custos_buf_free(&ids);
		return custos_store__mdb(st, rc, "cannot read dictionaries");
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data;
		if (k.mv_size != 4 || v.mv_size < 46)
			continue;
		size_t plen = p[45];
		if (v.mv_size < 46 + plen + 4 || plen >= 32)
			continue;
		uint32_t ns = custos_store__get32(p + 46 + plen);
		if (v.mv_size < 46 + plen + 4 + (size_t)ns * 8)
			continue;
		bool hit = false, listed = false;
		for (uint32_t i = 0; i < ns && !hit; i++) {
			uint64_t sq = custos_store__get64(p + 50 + plen + 8 * (size_t)i);
			hit = bsearch(&sq, seqs, n_seqs, sizeof *seqs, cmp_u64) != NULL;
		}
		for (size_t i = 0; hit && i + 4 <= ids.len; i += 4)
			listed = listed || !memcmp(ids.data + i, k.mv_data, 4);
		if (hit && !listed && (err = custos_buf_add(&ids, k.mv_data, 4)) < 0) {
			custos_err_set(&st->err, err, "out of memory");
			break;
		}
	}
	mdb_cursor_close(c);
	if (!err && rc != MDB_NOTFOUND)
		err = custos_store__mdb(st, rc, "cannot read dictionaries");
	if (!err && ids.len > before)
		err = custos_store__op(b, STORE_OP_PUT, STORE_DB_META, RETIRE_KEY,
		                       sizeof RETIRE_KEY - 1, ids.data, ids.len, 0);
	custos_buf_free(&ids);
	return err;
}

static int complete_retire(custos_store_t *st, custos_dispose_summary_t *sum)
{
	custos_batch_t *b = NULL;
	custos_buf_t pending = { 0 };
	uint32_t *ids = NULL;
	size_t n_ids = 0;
	custos_dispose_summary_t s = { 0 };
	MDB_txn *txn;
	MDB_val rk = { sizeof RETIRE_KEY - 1, RETIRE_KEY }, rv;
	int rc, err;

	if (sum)
		memset(sum, 0, sizeof *sum);
	if ((err = custos_store__dispose_finish(st)) < 0 ||
	    (err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	rc = mdb_get(txn, st->dbi[STORE_DB_META], &rk, &rv);
	if (rc == 0 && rv.mv_size >= 4 && (ids = malloc(rv.mv_size)) != NULL) {
		n_ids = rv.mv_size / 4;
		for (size_t i = 0; i < n_ids; i++)
			ids[i] = custos_store__get32((const uint8_t *)rv.mv_data + 4 * i);
	}
	custos_store__read_done(st, txn);
	if (rc == MDB_NOTFOUND || (rc == 0 && rv.mv_size < 4 && !ids))
		return CUSTOS_OK;
	if (rc)
		return custos_store__mdb(st, rc, "cannot read pending retirements");
	if (!ids)
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	if ((err = custos_store_begin(&b, st)) < 0)
		goto done;
	if ((err = retire_dicts(b, ids, n_ids, &pending, &s)) < 0 ||
	    (err = custos_store__op(b, STORE_OP_DEL, STORE_DB_META, RETIRE_KEY,
	                            sizeof RETIRE_KEY - 1, NULL, 0, 0)) < 0 ||
	    (pending.len && (err = custos_store__op(b, STORE_OP_PUT, STORE_DB_META, SHRED_KEY,
	                                            sizeof SHRED_KEY - 1, pending.data, pending.len,
	                                            0)) < 0)) {
		custos_store_abort(b);
		goto done;
	}
	if ((err = custos_store_commit(b, NULL)) < 0)
		goto done;
	if ((err = custos_store__dispose_finish(st)) < 0)
		goto done;
	if (sum)
		*sum = s;
done:
	custos_buf_free(&pending);
	free(ids);
	return err;
}

int custos_store_dispose_complete(custos_store_t *st, custos_dispose_summary_t *sum)
{
	int err = complete_retire(st, sum);
	/* the key-file blocks the run's shredding left all zero go back to the
	 * file system (holes already there are skipped) */
	if (err == CUSTOS_OK)
		for (int f = 0; f < 2; f++)
			if (st->punch_to[f]) {
				/* from the start of the lowest slot's block */
				uint64_t from = st->punch_from[f] - st->punch_from[f] % (4096 / STORE_KEY_LEN);
				custos_store__punch_zeroed(st, f, from, st->punch_to[f]);
				st->punch_to[f] = 0;
			}
	return err;
}

/* The platform a tombstone names (custos wrote it: binary, or a plain JSON
 * string). */
static void tomb_platform(const MDB_val *tv, char *out, size_t cap)
{
	static const char key[] = "\"platform\":\"";
	if (tv->mv_size && *(const uint8_t *)tv->mv_data == STORE_TOMB_BINARY) {
		custos_store__tomb_platform(tv->mv_data, tv->mv_size, out, cap);
		return;
	}
	const char *p = memmem(tv->mv_data, tv->mv_size, key, sizeof key - 1);
	size_t n = 0;
	if (p) {
		p += sizeof key - 1;
		const char *end = (const char *)tv->mv_data + tv->mv_size;
		while (p + n < end && p[n] != '"' && n + 1 < cap)
			n++;
		memcpy(out, p, n);
	}
	out[n] = '\0';
}

static int dcount_add(custos_store__dcount_t **v, size_t *n, const char *platform,
                      uint64_t disposed, uint64_t tombstones)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].platform, platform)) {
			(*v)[i].disposed += disposed;
			(*v)[i].tombstones += tombstones;
			return CUSTOS_OK;
		}
	custos_store__dcount_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return CUSTOS_ENOMEM;
	*v = nv;
	memset(&nv[*n], 0, sizeof nv[*n]);
	snprintf(nv[*n].platform, sizeof nv[*n].platform, "%s", platform);
	nv[*n].disposed = disposed;
	nv[*n].tombstones = tombstones;
	(*n)++;
	return CUSTOS_OK;
}

int custos_store__disposed_recount(custos_store_t *st, MDB_txn *txn,
                                   custos_store__dcount_t **out, size_t *n, uint64_t *ids)
{
	MDB_cursor *c = NULL;
	MDB_val k, v, prev = { 0, NULL };
	char platform[32] = "";
	bool live = false, gone = false;
	int rc, err = CUSTOS_OK;
	*out = NULL;
	*n = 0;
	*ids = 0;
	if ((rc = mdb_cursor_open(txn, st->dbi[STORE_DB_IDS], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read ids");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		bool next = rc != 0 || prev.mv_size != k.mv_size ||
		            memcmp(prev.mv_data, k.mv_data, k.mv_size) != 0;
		if (next && prev.mv_data) {
			/* the id before: disposed of when no version of it is left */
			(*ids)++;
			if (gone && !live && (err = dcount_add(out, n, platform, 1, 0)) < 0)
				break;
		}
		if (rc != 0)
			break;
		if (next) {
			prev = k;
			live = gone = false;
		}
		MDB_val rv, tv;
		int r2 = mdb_get(txn, st->dbi[STORE_DB_RECORDS], &v, &rv);
		if (r2 != 0 || rv.mv_size < 2) {
			err = r2 ? custos_store__mdb(st, r2, "cannot read records")
			         : custos_err_set(&st->err, CUSTOS_ECORRUPT, "a record without a header");
			break;
		}
		if (!(((const uint8_t *)rv.mv_data)[1] & STORE_REC_DISPOSED)) {
			live = true;
			continue;
		}
		gone = true;
		if ((r2 = mdb_get(txn, st->dbi[STORE_DB_TOMBSTONES], &v, &tv)) != 0) {
			err = custos_store__mdb(st, r2, "cannot read tombstones");
			break;
		}
		tomb_platform(&tv, platform, sizeof platform);
		if ((err = dcount_add(out, n, platform, 0, 1)) < 0)
			break;
	}
	if (err == CUSTOS_ENOMEM)
		custos_err_set(&st->err, err, "out of memory");
	if (rc != 0 && rc != MDB_NOTFOUND && err == CUSTOS_OK)
		err = custos_store__mdb(st, rc, "cannot read ids");
	mdb_cursor_close(c);
	if (err < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

/* When the platforms' tombstone counters do not add up to the store's (an
 * archive that disposed before they were kept), sets them from a recount. */
static int disposed_counters_init(custos_batch_t *b)
{
	custos_store_t *st = b->st;
	MDB_cursor *c = NULL;
	MDB_val k = { 2, "p:" }, v;
	uint64_t sum = 0;
	int rc, err = CUSTOS_OK;
	if (!b->state.v[ST_TOMBSTONES])
		return CUSTOS_OK;
	if ((rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_META], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read platforms");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		custos_store__platform_t p;
		if (k.mv_size < 2 || memcmp(k.mv_data, "p:", 2) != 0)
			break;
		if (custos_store__platform_decode(&p, &k, &v) == CUSTOS_OK)
			sum += p.v[PL_TOMBSTONES];
	}
	mdb_cursor_close(c);
	if (sum == b->state.v[ST_TOMBSTONES])
		return CUSTOS_OK;
	custos_store__dcount_t *dc = NULL;
	size_t n = 0;
	uint64_t ids;
	if ((err = custos_store__disposed_recount(st, b->txn, &dc, &n, &ids)) < 0)
		return err;
	for (size_t i = 0; i < n; i++) {
		custos_store__platform_t *pl;
		if ((err = custos_store__platform(b, dc[i].platform, &pl)) < 0)
			break;
		pl->v[PL_DISPOSED] = dc[i].disposed;
		pl->v[PL_TOMBSTONES] = dc[i].tombstones;
		pl->dirty = true;
	}
	free(dc);
	return err;
}

int custos_store_dispose(custos_store_t *st, const custos_dispose_item_t *items, size_t n,
                         const char *actor, int64_t when, custos_dispose_summary_t *sum)
{
	custos_batch_t *b = NULL;
	custos_buf_t pending = { 0 }, json = { 0 }, hdrbuf = { 0 };
	victim_t *vic = NULL;
	uint64_t *seqs = NULL;
	size_t n_vic = 0, cap_vic = 0;
	media_scan_t ms = { 0 };
	tctxs_t ctxs = { 0 };
	size_t cap_media = 0;
	custos_record_t rec;
	custos_dispose_summary_t s = { 0 };
	int rc, err;

	custos_record_init(&rec);
	if (sum)
		memset(sum, 0, sizeof *sum);
	if (when == 0)
		when = custos_time_now();
	if ((err = custos_store__dispose_finish(st)) < 0)
		return err;
	if ((err = custos_store_begin(&b, st)) < 0)
		return err;
	/* the disposal counters of an archive that disposed before they were
	 * kept: counted once, from the tombstones */
	if ((err = disposed_counters_init(b)) < 0)
		goto fail;

	/* 1. the versions to dispose */
	for (size_t i = 0; i < n; i++) {
		MDB_cursor *c;
		MDB_val k = { strlen(items[i].id), (void *)items[i].id }, v;
		if ((rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_IDS], &c)) != 0) {
			err = custos_store__mdb(st, rc, "cannot read ids");
			goto fail;
		}
		for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
			if (n_vic == cap_vic) {
				cap_vic = cap_vic ? cap_vic * 2 : 256;
				victim_t *nv = realloc(vic, cap_vic * sizeof *nv);
				if (!nv) {
					mdb_cursor_close(c);
					err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
					goto fail;
				}
				vic = nv;
			}
			vic[n_vic].seq = custos_store__get64(v.mv_data);
			vic[n_vic].item = i;
			n_vic++;
		}
		mdb_cursor_close(c);
		if (rc != MDB_NOTFOUND) {
			err = custos_store__mdb(st, rc, "cannot read ids");
			goto fail;
		}
	}

	/* 2. tombstones, dropped payloads, index entries; collect media */
	if (!(seqs = malloc((n_vic ? n_vic : 1) * sizeof *seqs))) {
		err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
		goto fail;
	}
	size_t n_seqs = 0, counted_item = SIZE_MAX;
	for (size_t i = 0; i < n_vic; i++) {
		uint8_t kb[8], hdr[STORE_REC_HDR], tkey[16];
		custos_store__rechdr_t h;
		custos_store__platform_t *pl;
		MDB_val k = { 8, kb }, v;
		custos_store__be64(kb, vic[i].seq);
		if ((rc = mdb_get(b->txn, st->dbi[STORE_DB_RECORDS], &k, &v)) != 0) {
			err = custos_store__mdb(st, rc, "cannot read a record to dispose");
			goto fail;
		}
		if (custos_store__hdr_decode(&h, v.mv_data, v.mv_size) < 0) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "seq %llu: bad record header",
			                     (unsigned long long)vic[i].seq);
			goto fail;
		}
		if (h.flags & STORE_REC_DISPOSED)
			continue;   /* an earlier run got it */
		size_t old_len = v.mv_size;
		if ((err = custos_store__record_decode(st, b->txn, vic[i].seq, &v, &rec)) < 0)
			goto fail;
		size_t plain_len = st->plain.len;
		seqs[n_seqs++] = vic[i].seq;
		if ((err = custos_store__media_index(b, &rec, vic[i].seq, STORE_OP_DEL)) < 0)
			goto fail;
		for (size_t m = 0; m < rec.n_media; m++) {
			if (!rec.media[m].sha256 || strlen(rec.media[m].sha256) != 64)
				continue;
			if (ms.n_media == cap_media) {
				cap_media = cap_media ? cap_media * 2 : 64;
				void *nm = realloc(ms.media, cap_media * sizeof *ms.media);
				if (!nm) {
					err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
					goto fail;
				}
				ms.media = nm;
			}
			memcpy(ms.media[ms.n_media++], rec.media[m].sha256, CUSTOS_SHA256_HEX);
		}
		uint32_t ctx = 0;
		if ((err = tomb_ctx(b, &ctxs, &items[vic[i].item], actor, when, &hdrbuf, &ctx)) < 0)
			goto fail;
		if ((err = custos_store__tomb_encode(&json, &rec, ctx)) < 0) {
			custos_err_set(&st->err, err, "out of memory");
			goto fail;
		}
		h.flags |= STORE_REC_DISPOSED;
		custos_store__hdr_encode(hdr, &h);
		custos_store__be64(tkey, (uint64_t)rec.created_at ^ ((uint64_t)1 << 63));
		custos_store__be64(tkey + 8, vic[i].seq);
		if ((err = custos_store__op(b, STORE_OP_PUT, STORE_DB_TOMBSTONES, kb, 8, json.data,
		                            json.len, 0)) < 0 ||
		    (err = custos_store__op(b, STORE_OP_PUT, STORE_DB_RECORDS, kb, 8, hdr, sizeof hdr,
		                            0)) < 0 ||
		    (err = custos_store__op(b, STORE_OP_DEL, STORE_DB_TIMES, tkey, 16, NULL, 0, 0)) < 0 ||
		    (err = custos_store__op(b, STORE_OP_DEL, STORE_DB_SAMPLES, rec.platform,
		                            strlen(rec.platform), kb, 8, 0)) < 0)
			goto fail;
		if ((err = add_pending(&pending, STORE_KEYS_RECORDS, vic[i].seq)) < 0) {
			custos_err_set(&st->err, err, "out of memory");
			goto fail;
		}
		if ((err = custos_store__platform(b, rec.platform, &pl)) < 0)
			goto fail;
		b->state.v[ST_TOMBSTONES]++;
		b->state.v[ST_RAW_BYTES] -= plain_len;
		b->state.v[ST_STORED_BYTES] -= old_len - sizeof hdr;
		pl->v[PL_RAW_BYTES] -= plain_len;
		pl->v[PL_STORED_BYTES] -= old_len - sizeof hdr;
		pl->v[PL_TOMBSTONES]++;
		pl->dirty = true;
		s.versions++;
		/* every version of the item goes: the record is disposed of once,
		 * whichever of its versions was still live */
		if (counted_item != vic[i].item) {
			counted_item = vic[i].item;
			pl->v[PL_DISPOSED]++;
			s.records++;
		}
	}
	qsort(seqs, n_seqs, sizeof *seqs, cmp_u64);

	/* 3. media that no live record uses any more */
	if (ms.n_media) {
		qsort(ms.media, ms.n_media, sizeof *ms.media, media_cmp);
		size_t j = 0;
		for (size_t i = 0; i < ms.n_media; i++)
			if (!j || strcmp(ms.media[j - 1], ms.media[i]))
				memcpy(ms.media[j++], ms.media[i], CUSTOS_SHA256_HEX);
		ms.n_media = j;
		/* the media index, as this transaction left it: the disposed versions'
		 * entries are gone, so a blob still listed is used by a live one */
		for (size_t i = 0; i < ms.n_media; i++) {
			uint8_t sum32[32];
			MDB_val k = { 32, sum32 }, v;
			bool used = false;
			if (custos_unhex(sum32, ms.media[i], 32) < 0)
				continue;
			if ((err = custos_store__media_used(b, sum32, &used)) < 0)
				goto fail;
			if (used)
				continue;
			rc = mdb_get(b->txn, st->dbi[STORE_DB_BLOBS], &k, &v);
			if (rc == MDB_NOTFOUND)
				continue;   /* referenced but never captured */
			if (rc) {
				err = custos_store__mdb(st, rc, "cannot read blobs");
				goto fail;
			}
			if (v.mv_size < STORE_BLOB_HDR) {
				err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "blob %s: bad header",
				                     ms.media[i]);
				goto fail;
			}
			uint64_t slot = custos_store__get64((const uint8_t *)v.mv_data + 2);
			uint64_t size = custos_store__get64((const uint8_t *)v.mv_data + 10);
			if ((err = custos_store__op(b, STORE_OP_DEL, STORE_DB_BLOBS, sum32, 32, NULL, 0,
			                            0)) < 0)
				goto fail;
			if ((err = add_pending(&pending, STORE_KEYS_ITEMS, slot)) < 0) {
				custos_err_set(&st->err, err, "out of memory");
				goto fail;
			}
			b->state.v[ST_BLOBS]--;
			b->state.v[ST_BLOB_BYTES] -= size;
			s.blobs++;
		}
	}

	/* 4. dictionaries holding fragments of a disposed record: listed now,
	 * retired by custos_store_dispose_complete once the run's records are
	 * all disposed (so only the records that stay are recompressed) */
	if (n_seqs && (err = dicts_to_retire(b, seqs, n_seqs)) < 0)
		goto fail;

	/* 5. commit tombstones and the list of slots to shred together, then shred */
	if (pending.len && (err = custos_store__op(b, STORE_OP_PUT, STORE_DB_META, SHRED_KEY,
	                                           sizeof SHRED_KEY - 1, pending.data, pending.len,
	                                           0)) < 0)
		goto fail;
	err = custos_store_commit(b, NULL);
	b = NULL;
	if (err < 0)
		goto done;
	/* crash tests stop here: the next writer must finish the job */
	custos_test_point("dispose-before-shred");
	if (pending.len && (err = custos_store__dispose_finish(st)) < 0)
		goto done;
	if (sum)
		*sum = s;
	goto done;
fail:
	custos_store_abort(b);
done:
	custos_record_free(&rec);
	custos_buf_free(&pending);
	custos_buf_free(&json);
	custos_buf_free(&hdrbuf);
	free(ctxs.v);
	free(vic);
	free(seqs);
	free(ms.media);
	return err;
}

/* Calls fn with the tombstones of id (through its ids entries), or with
 * every tombstone when id is NULL (through the tombstones, by seq). */
static int tombstones_walk(custos_store_t *st, const char *id, custos_tombstone_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k = { id ? strlen(id) : 0, (void *)id }, v, tv;
	custos_buf_t json = { 0 };
	int rc, err = CUSTOS_OK;
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((rc = mdb_cursor_open(txn, st->dbi[id ? STORE_DB_IDS : STORE_DB_TOMBSTONES], &c)) != 0)
		goto done;
	for (rc = mdb_cursor_get(c, &k, &v, id ? MDB_SET_KEY : MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, id ? MDB_NEXT_DUP : MDB_NEXT)) {
		const MDB_val *seq = id ? &v : &k;
		if (seq->mv_size != 8)
			continue;
		if (id) {
			int r2 = mdb_get(txn, st->dbi[STORE_DB_TOMBSTONES], &v, &tv);
			if (r2 == MDB_NOTFOUND)
				continue;   /* a live version */
			if (r2) {
				rc = r2;
				break;
			}
		} else {
			tv = v;
		}
		if (tv.mv_size && *(const uint8_t *)tv.mv_data == STORE_TOMB_BINARY) {
			/* the version and the hashes are the record header's */
			MDB_val rv;
			custos_store__rechdr_t h;
			int r2 = mdb_get(txn, st->dbi[STORE_DB_RECORDS], (MDB_val *)seq, &rv);
			if (r2 == 0 && custos_store__hdr_decode(&h, rv.mv_data, rv.mv_size) < 0)
				r2 = MDB_CORRUPTED;
			if (r2 == 0 &&
			    (r2 = custos_store__tomb_to_json(st, txn, custos_store__get64(seq->mv_data), &h,
			                                     &tv, &json)) == CUSTOS_ENOMEM) {
				err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
				break;
			}
			if (r2 != 0) {
				err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
				                     "the tombstone of seq %llu does not decode",
				                     (unsigned long long)custos_store__get64(seq->mv_data));
				break;
			}
			tv.mv_data = json.data;
			tv.mv_size = json.len;
		}
		if ((err = fn(ctx, custos_store__get64(seq->mv_data), tv.mv_data, tv.mv_size)) != 0)
			break;
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
done:
	custos_buf_free(&json);
	return custos_store__read_end(st, txn, c, rc, err, "cannot read tombstones");
}

int custos_store_tombstones(custos_store_t *st, const char *id, custos_tombstone_fn fn,
                            void *ctx)
{
	return tombstones_walk(st, id, fn, ctx);
}

int custos_store_tombstone_scan(custos_store_t *st, custos_tombstone_fn fn, void *ctx)
{
	return tombstones_walk(st, NULL, fn, ctx);
}

int custos_store_tombstones_brief(custos_store_t *st, const char *const *ids, size_t n,
                                  custos_tomb_brief_fn fn, void *ctx)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	int rc = 0, err = CUSTOS_OK;
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	if ((rc = mdb_cursor_open(txn, st->dbi[STORE_DB_IDS], &c)) != 0)
		goto done;
	for (size_t i = 0; i < n && !err && !rc; i++) {
		MDB_val k = { strlen(ids[i]), (void *)ids[i] }, v, tv, rv;
		for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
			if (v.mv_size != 8)
				continue;
			uint64_t seq = custos_store__get64(v.mv_data);
			int r2 = mdb_get(txn, st->dbi[STORE_DB_TOMBSTONES], &v, &tv);
			if (r2 == MDB_NOTFOUND)
				continue;   /* a live version */
			if (r2) {
				rc = r2;
				break;
			}
			if (!tv.mv_size || *(const uint8_t *)tv.mv_data != STORE_TOMB_BINARY) {
				err = fn(ctx, seq, NULL, 0, 0, NULL, 0, tv.mv_data, tv.mv_size);
			} else {
				custos_store__rechdr_t h;
				const char *id = NULL;
				size_t id_len = 0;
				uint64_t run = 0;
				if ((r2 = mdb_get(txn, st->dbi[STORE_DB_RECORDS], &v, &rv)) != 0) {
					rc = r2;
					break;
				}
				if (custos_store__hdr_decode(&h, rv.mv_data, rv.mv_size) < 0 ||
				    custos_store__tomb_brief(st, txn, &tv, &id, &id_len, &run) < 0) {
					err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
					                     "the tombstone of seq %llu does not decode",
					                     (unsigned long long)seq);
					break;
				}
				err = fn(ctx, seq, id, id_len, h.version, h.content, run, NULL, 0);
			}
			if (err)
				break;
		}
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
done:
	return custos_store__read_end(st, txn, c, rc, err, "cannot read tombstones");
}

int custos_store_content_hashes(custos_store_t *st, const uint64_t *seqs, size_t n,
                                char (*hex)[CUSTOS_SHA256_HEX])
{
	MDB_txn *txn;
	int rc = 0, err = CUSTOS_OK;
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	for (size_t i = 0; i < n; i++) {
		uint8_t kb[8];
		MDB_val k = { 8, kb }, v;
		custos_store__rechdr_t h;
		custos_store__be64(kb, seqs[i]);
		if ((rc = mdb_get(txn, st->dbi[STORE_DB_RECORDS], &k, &v)) != 0)
			break;
		if (custos_store__hdr_decode(&h, v.mv_data, v.mv_size) < 0) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "seq %llu: bad record header",
			                     (unsigned long long)seqs[i]);
			break;
		}
		custos_hex(hex[i], h.content, 32);
	}
	custos_store__read_done(st, txn);
	if (!err && rc)
		err = rc == MDB_NOTFOUND
		    ? custos_err_set(&st->err, CUSTOS_ENOTFOUND, "no record at seq %llu",
		                     (unsigned long long)0)
		    : custos_store__mdb(st, rc, "cannot read records");
	return err;
}
