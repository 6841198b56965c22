/* Writing to the store in batches: one LMDB write transaction per batch.
 * Every change of a batch is also logged in memory, so that when the map
 * fills (MDB_MAP_FULL) the transaction is aborted, the map doubled and the
 * log replayed into a fresh transaction: the map grows with nobody tuning it. */
#include "store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>
#include <zdict.h>

static const char db_name_media[] = "media";

/* Log entry: u8 op, u8 db, u32 mdb flags, u32 key len, u32 value len, key, value. */
enum { LOG_HDR = 14 };

static int apply(custos_batch_t *b, int op, int db, MDB_val *k, MDB_val *v, unsigned flags)
{
	MDB_dbi dbi = b->st->dbi[db];
	if (op == STORE_OP_PUT)
		return mdb_put(b->txn, dbi, k, v, flags);
	int rc = mdb_del(b->txn, dbi, k, v->mv_size ? v : NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int replay(custos_batch_t *b)
{
	const uint8_t *p = (const uint8_t *)b->log.data, *end = p + b->log.len;
	while (p < end) {
		MDB_val k = { custos_store__get32(p + 6), (void *)(p + LOG_HDR) };
		MDB_val v = { custos_store__get32(p + 10), (void *)(p + LOG_HDR + k.mv_size) };
		int rc = apply(b, p[0], p[1], &k, &v, custos_store__get32(p + 2));
		if (rc)
			return rc;
		p += LOG_HDR + k.mv_size + v.mv_size;
	}
	return 0;
}

/* Called after MDB_MAP_FULL: the transaction is dead (or already freed by a
 * failed commit); double the map and redo the batch in a new one. */
static int grow(custos_batch_t *b)
{
	custos_store_t *st = b->st;
	MDB_envinfo info;
	int rc, err;
	for (;;) {
		custos_store__txn_end(st, b->txn, false, NULL);
		b->txn = NULL;
		/* the resize waits for every other transaction of the process */
		if ((rc = mdb_env_info(st->env, &info)) != 0)
			return custos_store__mdb(st, rc, "cannot grow the store map");
		if ((err = custos_store__resize(st, info.me_mapsize * 2)) < 0)
			return err;
		if ((err = custos_store__write_txn(st, &b->txn)) < 0) {
			b->txn = NULL;
			return err;
		}
		rc = replay(b);
		if (rc == MDB_MAP_FULL)
			continue;
		return custos_store__mdb(st, rc, "cannot write to the store");
	}
}

/* Logs one change and applies it to the batch's transaction. */
static int op(custos_batch_t *b, int kind, int db, const void *key, size_t kn,
              const void *val, size_t vn, unsigned flags)
{
	uint8_t h[LOG_HDR];
	int err, rc;
	if (b->failed)
		return custos_err_set(&b->st->err, b->failed, "the batch failed earlier");
	h[0] = (uint8_t)kind;
	h[1] = (uint8_t)db;
	custos_store__be32(h + 2, flags);
	custos_store__be32(h + 6, (uint32_t)kn);
	custos_store__be32(h + 10, (uint32_t)vn);
	if ((err = custos_buf_reserve(&b->log, LOG_HDR + kn + vn)) < 0)
		return custos_err_set(&b->st->err, err, "out of memory");
	custos_buf_add(&b->log, h, LOG_HDR);
	custos_buf_add(&b->log, key, kn);
	custos_buf_add(&b->log, val, vn);
	MDB_val k = { kn, (void *)key }, v = { vn, (void *)val };
	rc = apply(b, kind, db, &k, &v, flags);
	if (rc == MDB_MAP_FULL)
		err = grow(b);   /* the replay includes this change */
	else
		err = custos_store__mdb(b->st, rc, "cannot write to the store");
	if (err < 0)
		b->failed = err;
	return err;
}

int custos_store__op(custos_batch_t *b, int kind, int db, const void *key, size_t kn,
                     const void *val, size_t vn, unsigned flags)
{
	return op(b, kind, db, key, kn, val, vn, flags);
}

int custos_store_begin(custos_batch_t **out, custos_store_t *st)
{
	custos_batch_t *b;
	int err;
	*out = NULL;
	if (!(st->flags & CUSTOS_STORE_WRITE))
		return custos_err_set(&st->err, CUSTOS_EINVAL, "store is open read-only");
	if (st->snap)
		return custos_err_set(&st->err, CUSTOS_EINVAL,
		                      "a batch cannot begin on a view with a pinned snapshot");
	pthread_mutex_lock(&st->sh->mu);
	bool busy = st->sh->batch, compacted = st->sh->compacted;
	if (!busy && !compacted)
		st->sh->batch = true;
	pthread_mutex_unlock(&st->sh->mu);
	if (compacted)
		return custos_err_set(&st->err, CUSTOS_ESTOPPED, "the store was compacted: reopen "
		                      "the archive to write to it");
	if (busy)
		return custos_err_set(&st->err, CUSTOS_EINVAL, "a batch is already open");
	if (!(b = calloc(1, sizeof *b))) {
		err = custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
		goto fail;
	}
	b->st = st;
	if ((err = custos_store__write_txn(st, &b->txn)) < 0) {
		free(b);
		goto fail;
	}
	b->log = st->log_spare;   /* empty, with the room the last batch grew */
	memset(&st->log_spare, 0, sizeof st->log_spare);
	if ((err = custos_store__state_load(st, b->txn, &b->state)) < 0) {
		custos_store__txn_end(st, b->txn, false, NULL);
		st->log_spare = b->log;
		free(b);
		goto fail;
	}
	/* a dictionary cached by an aborted batch may have an id reused now */
	custos_store__dict_evict_from(st, (uint32_t)b->state.v[ST_NEXT_DICT]);
	b->first_item_slot = b->state.v[ST_NEXT_ITEM_SLOT];
	b->start_dict = (uint32_t)b->state.v[ST_NEXT_DICT];
	custos_sha256_init(&b->digest);
	st->batch = b;
	*out = b;
	return CUSTOS_OK;
fail:
	pthread_mutex_lock(&st->sh->mu);
	st->sh->batch = false;
	pthread_mutex_unlock(&st->sh->mu);
	return err;
}

void custos_store_abort(custos_batch_t *b)
{
	if (!b)
		return;
	custos_store_t *st = b->st;
	custos_store__txn_end(st, b->txn, false, NULL);
	if (b->start_dict)
		custos_store__dict_evict_from(st, b->start_dict);
	if (b->rec_keys.data)
		sodium_memzero(b->rec_keys.data, b->rec_keys.cap);
	if (b->item_keys.data)
		sodium_memzero(b->item_keys.data, b->item_keys.cap);
	custos_buf_free(&b->rec_keys);
	custos_buf_free(&b->item_keys);
	/* up to 64 MB kept for the next batch's log (a batch of 10,000
	 * records logs ~4 MB) */
	if (b->log.cap <= ((size_t)64 << 20) && !st->log_spare.data) {
		st->log_spare = b->log;
		st->log_spare.len = 0;
	} else {
		custos_buf_free(&b->log);
	}
	custos_buf_free(&b->tmp);
	free(b->pl);
	custos_store__source_batch_free(b);
	st->batch = NULL;
	free(b);
	pthread_mutex_lock(&st->sh->mu);
	st->sh->batch = false;
	pthread_mutex_unlock(&st->sh->mu);
}

/* ---------------------------------------------------------------------------
 * Per-platform state. */

static int platform_get(custos_batch_t *b, const char *name, custos_store__platform_t **out)
{
	custos_store_t *st = b->st;
	size_t n = strlen(name);
	char kb[40];
	for (size_t i = 0; i < b->n_pl; i++)
		if (strcmp(b->pl[i].name, name) == 0) {
			*out = &b->pl[i];
			return CUSTOS_OK;
		}
	if (n == 0 || n >= sizeof b->pl->name)
		return custos_err_set(&st->err, CUSTOS_EINVAL, "platform name '%s' is too long", name);
	if (b->n_pl == b->cap_pl) {
		size_t cap = b->cap_pl ? b->cap_pl * 2 : 8;
		custos_store__platform_t *np = realloc(b->pl, cap * sizeof *np);
		if (!np)
			return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
		b->pl = np;
		b->cap_pl = cap;
	}
	custos_store__platform_t *p = &b->pl[b->n_pl];
	memcpy(kb, "p:", 2);
	memcpy(kb + 2, name, n);
	MDB_val k = { n + 2, kb }, v;
	int rc = mdb_get(b->txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		memset(p, 0, sizeof *p);
		memcpy(p->name, name, n + 1);
	} else if (rc) {
		return custos_store__mdb(st, rc, "cannot read platform state");
	} else if (custos_store__platform_decode(p, &k, &v) < 0) {
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "platform '%s': bad state", name);
	} else if (v.mv_size < (PL_WIN_STORED + 1) * 8 && p->v[PL_DICT] &&
	           p->v[PL_TRAIN_AT] != UINT64_MAX) {
		/* written by a custos that did not measure its dictionaries: how
		 * well this one did at first is unknown, and it may have been
		 * trained long ago, so its next records train a new one (once:
		 * the value is saved with the drift fields from then on) */
		p->v[PL_RETRAIN] = 1;
		p->v[PL_PENDING] = 0;
		p->v[PL_TRAIN_AT] = 0;
	}
	b->n_pl++;
	*out = p;
	return CUSTOS_OK;
}

int custos_store__platform(custos_batch_t *b, const char *name, custos_store__platform_t **out)
{
	return platform_get(b, name, out);
}

static int platforms_save(custos_batch_t *b)
{
	for (size_t i = 0; i < b->n_pl; i++) {
		custos_store__platform_t *p = &b->pl[i];
		uint8_t kb[40], vb[PL_N * 8];
		size_t n = strlen(p->name);
		int err;
		if (!p->dirty)
			continue;
		memcpy(kb, "p:", 2);
		memcpy(kb + 2, p->name, n);
		for (int j = 0; j < PL_N; j++)
			custos_store__be64(vb + 8 * j, p->v[j]);
		if ((err = op(b, STORE_OP_PUT, STORE_DB_META, kb, n + 2, vb, sizeof vb, 0)) < 0)
			return err;
	}
	return CUSTOS_OK;
}

/* Takes the next item slot and a fresh key for it (staged until commit). */
static int item_slot(custos_batch_t *b, uint64_t *slot, uint8_t key[STORE_KEY_LEN])
{
	int err;
	*slot = b->state.v[ST_NEXT_ITEM_SLOT]++;
	custos_store__random_key(b->st, key);
	if ((err = custos_buf_add(&b->item_keys, key, STORE_KEY_LEN)) < 0)
		return custos_err_set(&b->st->err, err, "out of memory");
	return CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * Dictionary training. */

/* The drift fields of a platform back to "nothing measured". */
static void drift_reset(custos_store__platform_t *pl)
{
	pl->v[PL_RETRAIN] = 0;
	pl->v[PL_BASE_RAW] = pl->v[PL_BASE_STORED] = 0;
	pl->v[PL_WIN_N] = pl->v[PL_WIN_RAW] = pl->v[PL_WIN_STORED] = 0;
	pl->dirty = true;
}

/* Trains the platform's dictionary from the plaintexts of its pending
 * samples. Failing to train is not an error: records just go on without a
 * dictionary, and training is tried again after twice as many. A platform
 * collecting samples to replace its dictionary (PL_RETRAIN) keeps the one
 * it has instead, and measures it again from a fresh window. */
static int train(custos_batch_t *b, custos_store__platform_t *pl)
{
	custos_store_t *st = b->st;
	custos_buf_t samples = { 0 }, seqs = { 0 }, used = { 0 }, val = { 0 };
	size_t *sizes = NULL, n = 0, cap = 0;
	void *dict = NULL;
	MDB_cursor *c = NULL;
	MDB_val k = { strlen(pl->name), pl->name }, v;
	int rc, err = CUSTOS_OK;

	if ((rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_SAMPLES], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read dictionary samples");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
		if (v.mv_size != 8 || (err = custos_buf_add(&seqs, v.mv_data, 8)) < 0)
			goto done;
	}
	if (rc != MDB_NOTFOUND) {
		err = custos_store__mdb(st, rc, "cannot read dictionary samples");
		goto done;
	}
	for (size_t i = 0; i * 8 < seqs.len; i++) {
		uint64_t seq = custos_store__get64((const uint8_t *)seqs.data + 8 * i);
		uint8_t kb[8];
		const uint8_t *key = NULL;
		custos_store__rechdr_t h;
		custos_store__be64(kb, seq);
		MDB_val rk = { 8, kb }, rv;
		if ((rc = mdb_get(b->txn, st->dbi[STORE_DB_RECORDS], &rk, &rv)) != 0)
			continue;   /* disposed meanwhile: fewer samples */
		if (b->first_seq && seq >= b->first_seq)
			key = (const uint8_t *)b->rec_keys.data + (seq - b->first_seq) * STORE_KEY_LEN;
		if (custos_store__record_plain(st, b->txn, seq, &rv, key, &h) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			size_t *ns = realloc(sizes, cap * sizeof *ns);
			if (!ns) {
				err = CUSTOS_ENOMEM;
				goto done;
			}
			sizes = ns;
		}
		sizes[n++] = st->plain.len;
		if ((err = custos_buf_add(&samples, st->plain.data, st->plain.len)) < 0 ||
		    (err = custos_buf_add(&used, kb, 8)) < 0)
			goto done;
	}
	/* zstd wants samples ~100x the dictionary: smaller sample sets get smaller dicts */
	size_t dcap = samples.len / 10;
	if (dcap > st->dict_size)
		dcap = st->dict_size;
	size_t dn = 0;
	if (n >= 8 && dcap >= 1024 && (dict = malloc(dcap)) != NULL)
		dn = ZDICT_trainFromBuffer(dict, dcap, samples.data, sizes, (unsigned)n);
	bool replace = pl->v[PL_DICT] && pl->v[PL_RETRAIN];
	uint32_t id = (uint32_t)b->state.v[ST_NEXT_DICT];
	if (!dict || ZDICT_isError(dn) || dn == 0 || id > 0xffff) {
		/* the record header holds a u16 dictionary id: none past 0xffff */
		pl->v[PL_TRAIN_AT] = id > 0xffff ? UINT64_MAX : pl->v[PL_PENDING] * 2;
		pl->dirty = true;
		if (replace) {
			/* keep the dictionary the platform has; its samples go */
			mdb_cursor_close(c);
			c = NULL;
			if ((err = op(b, STORE_OP_DEL, STORE_DB_SAMPLES, pl->name, strlen(pl->name),
			              NULL, 0, 0)) < 0)
				goto done;
			pl->v[PL_PENDING] = 0;
			if (id <= 0xffff)
				pl->v[PL_TRAIN_AT] = 0;
			drift_reset(pl);
		}
		goto done;
	}

	uint64_t slot;
	uint8_t key[STORE_KEY_LEN], hdr[46], sum[32], kb[4];
	if ((err = custos_store__dict_add(st, id, dict, dn)) < 0)
		goto done;
	if ((err = item_slot(b, &slot, key)) < 0)
		goto done;
	b->state.v[ST_NEXT_DICT]++;
	custos_sha256(sum, dict, dn);
	hdr[0] = 1;
	custos_store__be64(hdr + 1, slot);
	custos_store__be32(hdr + 9, (uint32_t)dn);
	memcpy(hdr + 13, sum, 32);
	hdr[45] = (uint8_t)strlen(pl->name);
	uint8_t nb[4];
	custos_store__be32(nb, (uint32_t)n);
	custos_store__crypt(dict, dn, key, 0);
	sodium_memzero(key, sizeof key);
	if ((err = custos_buf_add(&val, hdr, sizeof hdr)) < 0 ||
	    (err = custos_buf_adds(&val, pl->name)) < 0 ||
	    (err = custos_buf_add(&val, nb, 4)) < 0 ||
	    (err = custos_buf_add(&val, used.data, 8 * n)) < 0 ||
	    (err = custos_buf_add(&val, dict, dn)) < 0)
		goto done;
	custos_store__be32(kb, id);
	mdb_cursor_close(c);
	c = NULL;
	if ((err = op(b, STORE_OP_PUT, STORE_DB_DICTS, kb, 4, val.data, val.len, 0)) < 0 ||
	    (err = op(b, STORE_OP_DEL, STORE_DB_SAMPLES, pl->name, strlen(pl->name), NULL, 0, 0)) < 0)
		goto done;
	/* the replaced dictionary leaves the cache (its records still name it,
	 * and a read loads it again from disk): the cache does not grow with
	 * every dictionary a long-lived writer trains */
	if (replace)
		custos_store__dict_evict(st, (uint32_t)pl->v[PL_DICT]);
	pl->v[PL_DICT] = id;
	pl->v[PL_PENDING] = 0;
	pl->v[PL_TRAIN_AT] = 0;
	drift_reset(pl);
	b->state.v[ST_DICTIONARIES]++;
done:
	if (c)
		mdb_cursor_close(c);
	if (samples.data)
		sodium_memzero(samples.data, samples.cap);
	custos_buf_free(&samples);
	custos_buf_free(&seqs);
	custos_buf_free(&used);
	custos_buf_free(&val);
	free(sizes);
	free(dict);
	if (err == CUSTOS_ENOMEM)
		custos_err_set(&st->err, err, "out of memory");
	return err;
}

int custos_store__train(custos_batch_t *b, custos_store__platform_t *pl)
{
	return train(b, pl);
}

/* How far a dictionary's compression may fall behind what it did over its
 * first window before the platform trains a new one: a window compressing
 * to 10% more bytes per plaintext byte (docs/storage.md, "Dictionaries"). */
#define DRIFT_WORSE 1.10

/* Counts a record of plain_len bytes compressed to comp_len with the
 * platform's current dictionary. At the end of each window of
 * st->dict_window records: the first window is the dictionary's baseline;
 * a later one that compresses DRIFT_WORSE or more worse than it starts
 * collecting the platform's next dict_after records as samples for a new
 * dictionary (put trains it when they are all there, as for the first). */
static int drift(custos_batch_t *b, custos_store__platform_t *pl, size_t plain_len,
                 size_t comp_len)
{
	uint64_t *v = pl->v;
	v[PL_WIN_N]++;
	v[PL_WIN_RAW] += plain_len;
	v[PL_WIN_STORED] += comp_len;
	if (v[PL_WIN_N] < b->st->dict_window || !v[PL_WIN_RAW])
		return CUSTOS_OK;
	if (!v[PL_BASE_RAW]) {
		v[PL_BASE_RAW] = v[PL_WIN_RAW];
		v[PL_BASE_STORED] = v[PL_WIN_STORED];
	} else if ((double)v[PL_WIN_STORED] / (double)v[PL_WIN_RAW] >=
	           (double)v[PL_BASE_STORED] / (double)v[PL_BASE_RAW] * DRIFT_WORSE) {
		int err;
		/* samples left behind by an earlier custos, if any, are not recent */
		if ((err = op(b, STORE_OP_DEL, STORE_DB_SAMPLES, pl->name, strlen(pl->name),
		              NULL, 0, 0)) < 0)
			return err;
		v[PL_RETRAIN] = 1;
		v[PL_PENDING] = 0;
		v[PL_TRAIN_AT] = 0;
	}
	v[PL_WIN_N] = v[PL_WIN_RAW] = v[PL_WIN_STORED] = 0;
	return CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * Records. */

/* Looks at the stored versions of id: how many, the latest one's flags, and
 * whether one of them has this content hash (*found its seq, else 0). The
 * content hash covers the id, so the id's own versions are the only place
 * the same content can be: no separate hash index is needed for dedup. */
static int id_lookup(custos_batch_t *b, const char *id, size_t n, const uint8_t content[32],
                     uint32_t *count, uint8_t *last_flags, uint64_t *found,
                     uint32_t *found_version)
{
	custos_store_t *st = b->st;
	MDB_cursor *c;
	MDB_val k = { n, (void *)id }, v;
	int rc;
	*count = 0;
	*last_flags = 0;
	*found = 0;
	if ((rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_IDS], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read ids");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
		MDB_val rv;
		custos_store__rechdr_t h;
		(*count)++;
		int r2 = mdb_get(b->txn, st->dbi[STORE_DB_RECORDS], &v, &rv);
		if (r2 != 0 || custos_store__hdr_decode(&h, rv.mv_data, rv.mv_size) < 0) {
			mdb_cursor_close(c);
			return custos_err_set(&st->err, CUSTOS_ECORRUPT,
			                      "record %s: version %u is unreadable", id, *count);
		}
		*last_flags = h.flags;
		if (!*found && memcmp(h.content, content, 32) == 0) {
			*found = custos_store__get64(v.mv_data);
			*found_version = h.version;
		}
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read ids");
	return CUSTOS_OK;
}

static int put(custos_batch_t *b, custos_record_t *rec, custos_put_t *outcome);
static void release_map(custos_store_t *st);

int custos_store_put(custos_batch_t *b, custos_record_t *rec, custos_put_t *outcome)
{
	int err;
	if (b->failed)
		return custos_err_set(&b->st->err, b->failed, "the batch failed earlier");
	/* a record refused as invalid leaves the batch as it was */
	if ((err = custos_record_validate(rec, &b->st->err)) < 0)
		return err;
	if (strlen(rec->id) > 400)   /* LMDB keys stop at 511 bytes */
		return custos_err_set(&b->st->err, CUSTOS_ETOOBIG, "record id is over 400 bytes");
	return custos_store_put_valid(b, rec, outcome);
}

int custos_store_put_valid(custos_batch_t *b, custos_record_t *rec, custos_put_t *outcome)
{
	int err;
	if (b->failed)
		return custos_err_set(&b->st->err, b->failed, "the batch failed earlier");
	if (strlen(rec->platform) >= sizeof b->pl->name)
		return custos_err_set(&b->st->err, CUSTOS_EINVAL, "platform name '%s' is too long",
		                      rec->platform);
	/* any other failure may leave part of the record in the transaction */
	if ((err = put(b, rec, outcome)) < 0)
		b->failed = err;
	/* records that land all over the store (edits of old posts, ids in no
	 * order) fault in a page and its neighbours each (the kernel maps up to
	 * 64 KB around a fault): within one batch of 2,000 that was 79 MB of
	 * mapped pages. Let them go every few hundred records as well as at
	 * commit (release_map: they are page cache, not memory held). */
	if (err >= 0 && ++b->since_release >= STORE_RELEASE_EVERY) {
		b->since_release = 0;
		release_map(b->st);
	}
	return err;
}

static int put(custos_batch_t *b, custos_record_t *rec, custos_put_t *outcome)
{
	custos_store_t *st = b->st;
	custos_store__rechdr_t h;
	custos_store__platform_t *pl = NULL;
	custos_store__dict_t *dict = NULL;
	uint8_t content[32], key[STORE_KEY_LEN], seqb[8], hdr[STORE_REC_HDR];
	uint64_t found;
	uint32_t count;
	uint8_t last_flags;
	int err;

	size_t idlen = strlen(rec->id);
	if (rec->captured_at == CUSTOS_TIME_NONE)
		rec->captured_at = custos_time_now();

	/* the input file is stored once, in an entry the record names by
	 * number: a new entry is written only if the record is stored */
	uint32_t file_ref = 0;
	bool fresh = false;
	if (rec->source.file &&
	    (err = custos_store__source_find(b, &rec->source, &file_ref, &fresh)) < 0)
		return custos_err_prefix(&st->err, "record %s", rec->id);
	/* the stored form and, in the same pass, the content hash (as
	 * custos_record_hash computes it), in a reused buffer */
	st->json.len = 0;
	if ((err = custos_record_to_json_stored(rec, &st->json, content, file_ref)) < 0)
		return custos_err_set(&st->err, err, "cannot serialize record %s", rec->id);
	custos_hex(rec->content_sha256, content, 32);

	uint32_t found_version = 0;
	if ((err = id_lookup(b, rec->id, idlen, content, &count, &last_flags, &found,
	                     &found_version)) < 0)
		return err;
	if (found) {
		rec->seq = found;
		rec->version = found_version;
		b->sum.unchanged++;
		if (outcome)
			*outcome = CUSTOS_PUT_UNCHANGED;
		return CUSTOS_OK;
	}
	if (fresh && (err = custos_store__source_add(b, &rec->source, file_ref)) < 0)
		return custos_err_prefix(&st->err, "record %s", rec->id);
	if ((err = platform_get(b, rec->platform, &pl)) < 0)
		return err;
	if (pl->v[PL_DICT] && (err = custos_store__dict_get(st, b->txn, (uint32_t)pl->v[PL_DICT],
	                                                    &dict)) < 0)
		return err;

	uint64_t seq = b->state.v[ST_NEXT_SEQ];
	rec->seq = seq;
	rec->version = count + 1;
	/* st->json still holds the stored form made with the hash: it leaves
	 * out seq and version, so it is the same now they are known */
	memset(&h, 0, sizeof h);
	h.format = STORE_REC_FORMAT;
	h.flags = rec->deleted_at != CUSTOS_TIME_NONE ? STORE_REC_DELETED_UPSTREAM : 0;
	h.dict = (uint16_t)(dict ? dict->id : 0);
	h.version = rec->version;
	memcpy(h.content, content, 32);
	custos_sha256(h.raw, rec->raw ? rec->raw : "", rec->raw_len);
	h.normalized_len = (uint32_t)st->json.len;
	size_t plain_len = st->json.len + rec->raw_len;
	if ((err = rec->raw_len ? custos_buf_add(&st->json, rec->raw, rec->raw_len) : 0) < 0 ||
	    (err = custos_store__compress(st, dict, st->json.data, plain_len)) < 0) {
		custos_store__dict_put(st, dict);
		return err;
	}
	custos_store__dict_put(st, dict);

	size_t comp_len = st->comp.len;
	custos_store__random_key(st, key);
	custos_store__crypt((uint8_t *)st->comp.data, st->comp.len, key, h.dict);
	if (!b->first_seq)
		b->first_seq = seq;
	err = custos_buf_add(&b->rec_keys, key, STORE_KEY_LEN);
	sodium_memzero(key, sizeof key);
	if (err < 0)
		return custos_err_set(&st->err, err, "out of memory");

	custos_store__hdr_encode(hdr, &h);
	b->tmp.len = 0;
	if ((err = custos_buf_add(&b->tmp, hdr, sizeof hdr)) < 0 ||
	    (err = custos_buf_add(&b->tmp, st->comp.data, st->comp.len)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	uint8_t tkey[16];
	uint64_t t = (uint64_t)rec->created_at ^ ((uint64_t)1 << 63);
	custos_store__be64(seqb, seq);
	custos_store__be64(tkey, t);
	custos_store__be64(tkey + 8, seq);
	if ((err = op(b, STORE_OP_PUT, STORE_DB_RECORDS, seqb, 8, b->tmp.data, b->tmp.len,
	              MDB_APPEND)) < 0 ||
	    (err = op(b, STORE_OP_PUT, STORE_DB_IDS, rec->id, idlen, seqb, 8, MDB_NODUPDATA)) < 0 ||
	    (err = op(b, STORE_OP_PUT, STORE_DB_TIMES, tkey, 16, "", 0, 0)) < 0)
		goto fail;
	if ((err = custos_store__media_index(b, rec, seq, STORE_OP_PUT)) < 0)
		goto fail;
	bool sample = pl->v[PL_TRAIN_AT] != UINT64_MAX && (!pl->v[PL_DICT] || pl->v[PL_RETRAIN]);
	if (sample && (err = op(b, STORE_OP_PUT, STORE_DB_SAMPLES, rec->platform,
	                        strlen(rec->platform), seqb, 8, MDB_NODUPDATA)) < 0)
		goto fail;

	/* chain_n = SHA-256(chain_{n-1} || seq || content || raw) */
	custos_sha256_ctx_t cc;
	custos_sha256_init(&cc);
	custos_sha256_update(&cc, b->state.chain, 32);
	custos_sha256_update(&cc, seqb, 8);
	custos_sha256_update(&cc, content, 32);
	custos_sha256_update(&cc, h.raw, 32);
	custos_sha256_final(&cc, b->state.chain);
	custos_sha256_update(&b->digest, content, 32);

	uint64_t *s = b->state.v;
	s[ST_NEXT_SEQ]++;
	s[ST_VERSIONS]++;
	s[ST_RAW_BYTES] += plain_len;
	s[ST_STORED_BYTES] += b->tmp.len;
	pl->v[PL_VERSIONS]++;
	pl->v[PL_RAW_BYTES] += plain_len;
	pl->v[PL_STORED_BYTES] += b->tmp.len;
	if (count == 0) {
		s[ST_RECORDS]++;
		pl->v[PL_RECORDS]++;
		b->sum.added++;
	} else {
		b->sum.versions++;
		if (last_flags & STORE_REC_DELETED_UPSTREAM)
			s[ST_DELETED]--;
		/* a new version of a record disposed of: live again */
		if ((last_flags & STORE_REC_DISPOSED) && pl->v[PL_DISPOSED])
			pl->v[PL_DISPOSED]--;
	}
	if (h.flags & STORE_REC_DELETED_UPSTREAM)
		s[ST_DELETED]++;
	pl->dirty = true;
	if (!b->sum.first_seq)
		b->sum.first_seq = seq;
	b->sum.last_seq = seq;
	if (outcome)
		*outcome = count ? CUSTOS_PUT_VERSION : CUSTOS_PUT_ADDED;

	/* a record the platform's current dictionary compressed counts towards
	 * its drift measurement, unless a new one is already on its way */
	if (h.dict && h.dict == pl->v[PL_DICT] && !pl->v[PL_RETRAIN] &&
	    pl->v[PL_TRAIN_AT] != UINT64_MAX && st->dict_window &&
	    (err = drift(b, pl, plain_len, comp_len)) < 0)
		goto fail;
	if (sample) {
		pl->v[PL_PENDING]++;
		uint64_t at = pl->v[PL_TRAIN_AT] ? pl->v[PL_TRAIN_AT] : st->dict_after;
		if (pl->v[PL_PENDING] >= at && (err = train(b, pl)) < 0)
			goto fail;
	}
	return CUSTOS_OK;
fail:
	/* the transaction may hold part of this record: the batch cannot go on */
	custos_err_prefix(&st->err, "record %s", rec->id);
	return err;
}

int custos_store__media_index(custos_batch_t *b, const custos_record_t *rec, uint64_t seq,
                              int kind)
{
	uint8_t key[40];
	int err;
	custos_store__be64(key + 32, seq);
	for (size_t i = 0; i < rec->n_media; i++) {
		const char *h = rec->media[i].sha256;
		if (!h || strlen(h) != 64 || custos_unhex(key, h, 32) < 0)
			continue;   /* referenced only, or not a hash: nothing to keep alive */
		if ((err = op(b, kind, STORE_DB_MEDIA, key, sizeof key, "", 0, 0)) < 0)
			return err;
	}
	return CUSTOS_OK;
}

int custos_store__media_used(custos_batch_t *b, const uint8_t sum[32], bool *used)
{
	custos_store_t *st = b->st;
	MDB_cursor *c;
	uint8_t key[40] = { 0 };
	MDB_val k = { sizeof key, key }, v;
	int rc;
	memcpy(key, sum, 32);
	*used = false;
	if ((rc = mdb_cursor_open(b->txn, st->dbi[STORE_DB_MEDIA], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read the media index");
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0)
		*used = k.mv_size == 40 && memcmp(k.mv_data, sum, 32) == 0;
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read the media index");
	return CUSTOS_OK;
}

typedef struct {
	custos_batch_t *b;
	uint64_t n;
} upgrade_t;

static int index_media_fn(void *ctx, const custos_record_t *rec)
{
	upgrade_t *u = ctx;
	u->n++;
	return custos_store__media_index(u->b, rec, rec->seq, STORE_OP_PUT);
}

int custos_store__upgrade(custos_store_t *st)
{
	MDB_txn *txn;
	MDB_val k = { 11, "media-index" }, v;
	custos_batch_t *b = NULL;
	int rc, err;
	/* the media database, made by a write transaction of its own */
	if (!st->dbi[STORE_DB_MEDIA]) {
		if ((err = custos_store__write_txn(st, &txn)) < 0)
			return err;
		rc = mdb_dbi_open(txn, db_name_media, MDB_CREATE, &st->sh->dbi[STORE_DB_MEDIA]);
		custos_store__txn_end(st, txn, rc == 0, &rc);
		if (rc)
			return custos_store__mdb(st, rc, "cannot create the media index");
		st->dbi[STORE_DB_MEDIA] = st->sh->dbi[STORE_DB_MEDIA];
	}
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	custos_store__read_done(st, txn);
	if (rc == 0)
		return CUSTOS_OK;   /* built */
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read the store's upgrades");
	/* one pass over the live records, committed with the mark that it is done */
	if ((err = custos_store_begin(&b, st)) < 0)
		return err;
	upgrade_t u = { b, 0 };
	if ((err = custos_store_scan(st, 0, index_media_fn, &u)) < 0 ||
	    (err = op(b, STORE_OP_PUT, STORE_DB_META, "media-index", 11, "\1", 1, 0)) < 0) {
		custos_store_abort(b);
		return custos_err_prefix(&st->err, "cannot build the media index");
	}
	return custos_store_commit(b, NULL);
}

int custos_store__recompress(custos_batch_t *b, uint64_t seq, uint32_t dict)
{
	custos_store_t *st = b->st;
	custos_store__rechdr_t h;
	custos_store__dict_t *d = NULL;
	custos_store__platform_t *pl;
	custos_record_t rec;
	custos_err_t perr;
	uint8_t kb[8], key[STORE_KEY_LEN], hdr[STORE_REC_HDR];
	MDB_val k = { 8, kb }, v;
	int rc, err;

	if (b->failed)
		return custos_err_set(&st->err, b->failed, "the batch failed earlier");
	custos_store__be64(kb, seq);
	if ((rc = mdb_get(b->txn, st->dbi[STORE_DB_RECORDS], &k, &v)) != 0)
		return custos_store__mdb(st, rc, "cannot read the record to recompress");
	if (custos_store__hdr_decode(&h, v.mv_data, v.mv_size) < 0)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "seq %llu: bad record header",
		                      (unsigned long long)seq);
	if ((h.flags & STORE_REC_DISPOSED) || h.dict == dict)
		return CUSTOS_OK;
	if (dict > 0xffff)
		return custos_err_set(&st->err, CUSTOS_EINVAL, "no dictionary %u", dict);
	size_t old_len = v.mv_size;
	if (b->first_seq && seq >= b->first_seq)
		memcpy(key, b->rec_keys.data + (seq - b->first_seq) * STORE_KEY_LEN, STORE_KEY_LEN);
	else if ((err = custos_store__key_read(st, STORE_KEYS_RECORDS, seq, key)) < 0)
		return err;
	custos_record_init(&rec);
	/* plain is decoded into st->plain; the platform's counters need its name */
	if ((err = custos_store__record_plain(st, b->txn, seq, &v, key, &h)) < 0)
		goto done;
	if ((err = custos_record_from_json(&rec, st->plain.data, h.normalized_len, &perr)) < 0) {
		custos_err_set(&st->err, CUSTOS_ECORRUPT, "seq %llu: %s", (unsigned long long)seq,
		               perr.msg);
		err = CUSTOS_ECORRUPT;
		goto done;
	}
	if ((err = platform_get(b, rec.platform, &pl)) < 0)
		goto done;
	if (dict && (err = custos_store__dict_get(st, b->txn, dict, &d)) < 0)
		goto done;
	err = custos_store__compress(st, d, st->plain.data, st->plain.len);
	custos_store__dict_put(st, d);
	if (err < 0)
		goto done;
	h.dict = (uint16_t)dict;
	custos_store__crypt((uint8_t *)st->comp.data, st->comp.len, key, h.dict);
	custos_store__hdr_encode(hdr, &h);
	b->tmp.len = 0;
	if ((err = custos_buf_add(&b->tmp, hdr, sizeof hdr)) < 0 ||
	    (err = custos_buf_add(&b->tmp, st->comp.data, st->comp.len)) < 0) {
		custos_err_set(&st->err, err, "out of memory");
		goto done;
	}
	if ((err = op(b, STORE_OP_PUT, STORE_DB_RECORDS, kb, 8, b->tmp.data, b->tmp.len, 0)) < 0)
		goto done;
	b->state.v[ST_STORED_BYTES] += b->tmp.len - old_len;
	pl->v[PL_STORED_BYTES] += b->tmp.len - old_len;   /* wraps back when smaller: u64 */
	pl->dirty = true;
done:
	sodium_memzero(key, sizeof key);
	custos_record_free(&rec);
	if (err < 0)
		b->failed = err;
	return err;
}

/* ---------------------------------------------------------------------------
 * Blobs and quarantine. */

static int blob_put(custos_batch_t *b, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX]);

int custos_store_blob_put(custos_batch_t *b, const void *p, size_t n,
                          char hex[CUSTOS_SHA256_HEX])
{
	int err;
	if (b->failed)
		return custos_err_set(&b->st->err, b->failed, "the batch failed earlier");
	if ((err = blob_put(b, p, n, hex)) < 0)
		b->failed = err;
	return err;
}

static int blob_put(custos_batch_t *b, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX])
{
	custos_store_t *st = b->st;
	uint8_t sum[32], key[STORE_KEY_LEN], hdr[STORE_BLOB_HDR];
	uint64_t slot;
	int rc, err;
	custos_sha256(sum, p, n);
	if (hex)
		custos_hex(hex, sum, 32);
	MDB_val k = { 32, sum }, v;
	if ((rc = mdb_get(b->txn, st->dbi[STORE_DB_BLOBS], &k, &v)) == 0)
		return CUSTOS_OK;
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read blobs");
	if ((err = custos_store__compress(st, NULL, p, n)) < 0)
		return err;
	bool z = st->comp.len < n;
	if ((err = item_slot(b, &slot, key)) < 0)
		return err;
	hdr[0] = 1;
	hdr[1] = z ? STORE_BLOB_ZSTD : 0;
	custos_store__be64(hdr + 2, slot);
	custos_store__be64(hdr + 10, n);
	b->tmp.len = 0;
	if ((err = custos_buf_add(&b->tmp, hdr, sizeof hdr)) < 0 ||
	    (err = custos_buf_add(&b->tmp, z ? st->comp.data : p, z ? st->comp.len : n)) < 0) {
		sodium_memzero(key, sizeof key);
		return custos_err_set(&st->err, err, "out of memory");
	}
	custos_store__crypt((uint8_t *)b->tmp.data + sizeof hdr, b->tmp.len - sizeof hdr, key, 0);
	sodium_memzero(key, sizeof key);
	if ((err = op(b, STORE_OP_PUT, STORE_DB_BLOBS, sum, 32, b->tmp.data, b->tmp.len, 0)) < 0)
		return err;
	b->state.v[ST_BLOBS]++;
	b->state.v[ST_BLOB_BYTES] += n;
	b->sum.blobs++;
	return CUSTOS_OK;
}

/* JSON strings must be UTF-8: file names and reasons may not be. */
static int add_str(custos_buf_t *out, const char *s)
{
	size_t n = strlen(s), ok = custos_utf8_check(s, n);
	if (ok == n)
		return custos_buf_add_json_str(out, s, n);
	char *c = strdup(s);
	if (!c)
		return CUSTOS_ENOMEM;
	while ((ok = custos_utf8_check(c, n)) < n)
		c[ok] = '?';
	int err = custos_buf_add_json_str(out, c, n);
	free(c);
	return err;
}

static int quarantine_put(custos_batch_t *b, const char *file, int64_t offset, int64_t line,
                          const char *reason, const void *raw, size_t n, uint64_t *qn_out,
                          bool *added);

int custos_store_quarantine_put(custos_batch_t *b, const char *file, int64_t offset,
                                int64_t line, const char *reason,
                                const void *raw, size_t n)
{
	return custos_store_quarantine_add(b, file, offset, line, reason, raw, n, NULL, NULL);
}

int custos_store_quarantine_add(custos_batch_t *b, const char *file, int64_t offset,
                                int64_t line, const char *reason, const void *raw, size_t n,
                                uint64_t *qn, bool *added)
{
	uint64_t q = 0;
	bool a = false;
	int err;
	if (b->failed)
		return custos_err_set(&b->st->err, b->failed, "the batch failed earlier");
	if ((err = quarantine_put(b, file, offset, line, reason, raw, n, &q, &a)) < 0)
		b->failed = err;
	if (qn)
		*qn = q;
	if (added)
		*added = a;
	return err;
}

static int quarantine_put(custos_batch_t *b, const char *file, int64_t offset, int64_t line,
                          const char *reason, const void *raw, size_t n, uint64_t *qn_out,
                          bool *added)
{
	custos_store_t *st = b->st;
	custos_buf_t j = { 0 };
	uint8_t key[STORE_KEY_LEN], sum[32], kb[8], lb[4];
	char hex[CUSTOS_SHA256_HEX];
	uint64_t slot, qn;
	int err, rc;
	custos_sha256(sum, raw ? raw : "", n);
	custos_hex(hex, sum, 32);
	/* The same bytes from the same place of the same file are the same bad
	 * item: a second ingest of an export must not set it aside twice. Meta
	 * "q:" + SHA-256(file NUL offset line raw-sha256) → its number. The
	 * reason is left out, so a better message from a newer custos does not
	 * make the item new. */
	uint8_t qk[2 + 32], pos[16];
	custos_sha256_ctx_t c;
	custos_sha256_init(&c);
	custos_sha256_update(&c, file ? file : "", strlen(file ? file : "") + 1);
	custos_store__be64(pos, (uint64_t)offset);
	custos_store__be64(pos + 8, (uint64_t)line);
	custos_sha256_update(&c, pos, sizeof pos);
	custos_sha256_update(&c, sum, 32);
	memcpy(qk, "q:", 2);
	custos_sha256_final(&c, qk + 2);
	MDB_val k = { sizeof qk, qk }, v;
	if ((rc = mdb_get(b->txn, st->dbi[STORE_DB_META], &k, &v)) == 0) {
		if (v.mv_size == 8)
			*qn_out = custos_store__get64(v.mv_data);
		return CUSTOS_OK;
	}
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read quarantine index");
	if ((err = custos_store__compress(st, NULL, raw ? raw : "", n)) < 0)
		return err;
	if ((err = item_slot(b, &slot, key)) < 0)
		return err;
	qn = b->state.v[ST_NEXT_QUARANTINE];
	err = custos_buf_adds(&j, "{\"file\":");
	err = err < 0 ? err : add_str(&j, file ? file : "");
	err = err < 0 ? err : custos_buf_printf(&j, ",\"offset\":%lld,\"line\":%lld,\"reason\":",
	                                        (long long)offset, (long long)line);
	err = err < 0 ? err : add_str(&j, reason ? reason : "");
	err = err < 0 ? err : custos_buf_printf(&j, ",\"at\":%lld,\"raw_len\":%zu,"
	                                        "\"raw_sha256\":\"%s\",\"slot\":%llu}",
	                                        (long long)custos_time_now(), n, hex,
	                                        (unsigned long long)slot);
	if (err < 0)
		goto done;
	custos_store__crypt((uint8_t *)st->comp.data, st->comp.len, key, 0);
	custos_store__be32(lb, (uint32_t)j.len);
	b->tmp.len = 0;
	if ((err = custos_buf_add(&b->tmp, lb, 4)) < 0 ||
	    (err = custos_buf_add(&b->tmp, j.data, j.len)) < 0 ||
	    (err = custos_buf_add(&b->tmp, st->comp.data, st->comp.len)) < 0)
		goto done;
	custos_store__be64(kb, qn);
	if ((err = op(b, STORE_OP_PUT, STORE_DB_QUARANTINE, kb, 8, b->tmp.data, b->tmp.len,
	              MDB_APPEND)) < 0 ||
	    (err = op(b, STORE_OP_PUT, STORE_DB_META, qk, sizeof qk, kb, 8, 0)) < 0)
		goto done;
	b->state.v[ST_NEXT_QUARANTINE]++;
	b->state.v[ST_QUARANTINED]++;
	b->sum.quarantined++;
	*qn_out = qn;
	*added = true;
done:
	sodium_memzero(key, sizeof key);
	custos_buf_free(&j);
	if (err == CUSTOS_ENOMEM)
		custos_err_set(&st->err, err, "out of memory");
	return err;
}

/* ---------------------------------------------------------------------------
 * Commit. */

static int write_keys(custos_store_t *st, int file, const custos_buf_t *keys, uint64_t first)
{
	static const char *const names[2] = { "keys/slots", "keys/items" };
	size_t done = 0;
	if (!keys->len)
		return CUSTOS_OK;
	while (done < keys->len) {
		ssize_t w = pwrite(st->key_fd[file], keys->data + done, keys->len - done,
		                   (off_t)(first * STORE_KEY_LEN + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;   /* no progress: nowhere to write */
			return custos_err_set(&st->err, custos_store__io_status(st, e), "cannot write %s: %s",
			                      names[file], strerror(e));
		}
		done += (size_t)w;
	}
	if (fdatasync(st->key_fd[file]) != 0) {
		int e = errno;
		return custos_err_set(&st->err, custos_store__io_status(st, e), "cannot sync %s: %s",
		                      names[file], strerror(e));
	}
	return CUSTOS_OK;
}

/* The pages of the map a long ingest has read stay counted in its RSS
 * although they are only page cache: let the kernel take them back from
 * this process after each commit, so memory use shows what the ingest
 * holds, not how big the archive is. (A read-only shared map: the next
 * access faults the page in again from the cache.) LMDB does not say where
 * it mapped the file, so the mapping is found in /proc/self/maps by the
 * path of LMDB's own descriptor; where that fails, nothing is released.
 * map_find reads it into sh->map (called with sh->mu held); release_map
 * lets the pages go. */
static void map_find(custos_store_t *st, custos_store__shared_t *sh)
{
	char link[64], path[4096], line[4600];
	mdb_filehandle_t fd;
	ssize_t n;
	sh->map_seen = 0;
	sh->n_map = 0;
	if (mdb_env_get_fd(st->env, &fd) != 0)
		return;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) <= 0)
		return;
	path[n] = '\0';
	FILE *maps = fopen("/proc/self/maps", "r");
	if (!maps)
		return;
	bool fits = true;
	while (fgets(line, sizeof line, maps)) {
		unsigned long lo, hi;
		char *name = strchr(line, '/');
		if (!name || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, path))
			continue;
		if (sh->n_map == sizeof sh->map / sizeof sh->map[0]) {
			fits = false;
			(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
			continue;
		}
		sh->map[sh->n_map].p = (void *)lo;
		sh->map[sh->n_map++].n = hi - lo;
	}
	fclose(maps);
	if (fits)
		sh->map_seen = sh->map_gen;
}

static void release_map(custos_store_t *st)
{
	custos_store__shared_t *sh = st->sh;
	/* under the lock a resize holds while it maps the file anew, so the
	 * ranges are this mapping's. They are looked up once per mapping:
	 * reading and parsing /proc/self/maps at every call was 4% of an
	 * ingest's CPU. */
	pthread_mutex_lock(&sh->mu);
	if (sh->map_seen != sh->map_gen)
		map_find(st, sh);
	for (size_t i = 0; i < sh->n_map; i++)
		(void)madvise(sh->map[i].p, sh->map[i].n, MADV_DONTNEED);
	if (!sh->map_seen)
		sh->n_map = 0;   /* more than fit: looked up again next time */
	pthread_mutex_unlock(&sh->mu);
}

void custos_store__anchor_encode(uint8_t out[STORE_ANCHOR_LEN], const custos_anchor_t *a)
{
	memset(out, 0, STORE_ANCHOR_LEN);
	custos_store__be64(out, a->audit_n);
	memcpy(out + 8, a->audit_head, 32);
	if (strlen(a->policy) == 40)
		custos_unhex(out + 40, a->policy, 20);
	custos_store__be64(out + 60, a->audited_seq);
}

void custos_store__anchor_decode(custos_anchor_t *a, const uint8_t in[STORE_ANCHOR_LEN])
{
	static const uint8_t zero[20];
	memset(a, 0, sizeof *a);
	a->audit_n = custos_store__get64(in);
	memcpy(a->audit_head, in + 8, 32);
	if (memcmp(in + 40, zero, 20) != 0)
		custos_hex(a->policy, in + 40, 20);
	a->audited_seq = custos_store__get64(in + 60);
}

void custos_store__anchor_fold(uint8_t chain[CUSTOS_SHA256_LEN],
                               const uint8_t anchor[STORE_ANCHOR_LEN])
{
	custos_sha256_ctx_t c;
	custos_sha256_init(&c);
	custos_sha256_update(&c, chain, 32);
	custos_sha256_update(&c, "A", 1);
	custos_sha256_update(&c, anchor, STORE_ANCHOR_LEN);
	custos_sha256_final(&c, chain);
}

void custos_store_anchor(custos_batch_t *b, const custos_anchor_t *a)
{
	custos_store__anchor_encode(b->anchor, a);
	b->anchored = true;
}

int custos_store_commit(custos_batch_t *b, custos_batch_summary_t *summary)
{
	custos_store_t *st = b->st;
	int err, rc;
	uint8_t kb[8], vb[STORE_BATCH_ANCHORED], sb[ST_N * 8 + CUSTOS_SHA256_LEN];

	if (b->failed) {
		err = custos_err_set(&st->err, b->failed, "the batch failed earlier");
		goto done;
	}

	bool anchor_new = false;
	if (b->anchored) {
		MDB_val ak = { 6, "anchor" }, av;
		int arc = mdb_get(b->txn, st->dbi[STORE_DB_META], &ak, &av);
		anchor_new = arc != 0 || av.mv_size != STORE_ANCHOR_LEN ||
		             memcmp(av.mv_data, b->anchor, STORE_ANCHOR_LEN) != 0;
	}
	if (b->sum.first_seq || anchor_new) {
		size_t vn = b->anchored ? STORE_BATCH_ANCHORED : STORE_BATCH_VAL;
		uint64_t first = b->sum.first_seq ? b->sum.first_seq : b->state.v[ST_NEXT_SEQ];
		uint64_t last = b->sum.first_seq ? b->sum.last_seq : first - 1;
		if (b->anchored)
			custos_store__anchor_fold(b->state.chain, b->anchor);
		custos_store__be64(kb, b->state.v[ST_NEXT_BATCH]++);
		custos_store__be64(vb, first);
		custos_store__be64(vb + 8, last);
		memcpy(vb + 16, b->state.chain, 32);
		custos_store__be64(vb + 48, (uint64_t)custos_time_now());
		if (b->anchored)
			memcpy(vb + STORE_BATCH_VAL, b->anchor, STORE_ANCHOR_LEN);
		if ((err = op(b, STORE_OP_PUT, STORE_DB_BATCHES, kb, 8, vb, vn, MDB_APPEND)) < 0)
			goto done;
		if (anchor_new && (err = op(b, STORE_OP_PUT, STORE_DB_META, "anchor", 6, b->anchor,
		                            STORE_ANCHOR_LEN, 0)) < 0)
			goto done;
	}
	if ((b->anchored && (b->sum.first_seq || anchor_new)) || b->src_new) {
		/* a store of format 1 or 2 becomes 3 with its first anchored batch
		 * or its first record naming its source file by reference (an
		 * earlier custos would read such a record without its file) */
		uint8_t fmt[4];
		custos_store__be32(fmt, CUSTOS_STORE_FORMAT);
		if ((err = op(b, STORE_OP_PUT, STORE_DB_META, "format", 6, fmt, 4, 0)) < 0)
			goto done;
	}
	if ((err = platforms_save(b)) < 0)
		goto done;
	for (int i = 0; i < ST_N; i++)
		custos_store__be64(sb + 8 * i, b->state.v[i]);
	memcpy(sb + 8 * ST_N, b->state.chain, 32);
	if ((err = op(b, STORE_OP_PUT, STORE_DB_META, "state", 5, sb, sizeof sb, 0)) < 0)
		goto done;
	/* keys reach the disk before the records that need them: a crash in
	 * between leaves orphan keys, which the next batch overwrites */
	if ((err = write_keys(st, STORE_KEYS_RECORDS, &b->rec_keys, b->first_seq)) < 0 ||
	    (err = write_keys(st, STORE_KEYS_ITEMS, &b->item_keys, b->first_item_slot)) < 0)
		goto done;
	for (;;) {
		custos_store__txn_end(st, b->txn, true, &rc);
		b->txn = NULL;
		if (rc != MDB_MAP_FULL)
			break;
		if ((err = grow(b)) < 0)
			goto done;
	}
	if ((err = custos_store__mdb(st, rc, "cannot commit to the store")) < 0)
		goto done;
	memcpy(b->sum.chain, b->state.chain, 32);
	custos_sha256_final(&b->digest, b->sum.digest);
	if (summary)
		*summary = b->sum;
	/* committed: the dictionaries trained by this batch stay cached, and
	 * the source file entries it wrote are there for every reader */
	b->start_dict = 0;
	b->src_committed = true;
	release_map(st);
done:
	custos_store_abort(b);
	return err;
}
