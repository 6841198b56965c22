/* Verification of the whole store: every dictionary, record, blob,
 * quarantine item and tombstone is re-read and its hashes recomputed, the
 * secondary databases are checked against the records, and the record chain
 * is recomputed against every batch's head and the store's head. The first
 * inconsistency stops it with a message that names it. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	custos_store_t *st;
	MDB_txn        *txn;
	custos_store__state_t state;
	custos_verify_summary_t *sum;
	custos_progress_fn progress;
	void           *pctx;
	uint64_t        total, done;
	custos_buf_t    tomb;           /* a binary tombstone, decoded to check it */
} verify_t;

static int corrupt(custos_store_t *st, const char *fmt, const char *id, uint32_t version,
                   uint64_t seq)
{
	char what[600];
	if (id)
		snprintf(what, sizeof what, "record %s version %u (seq %llu)", id, version,
		         (unsigned long long)seq);
	else
		snprintf(what, sizeof what, "record at seq %llu", (unsigned long long)seq);
	return custos_err_set(&st->err, CUSTOS_ECORRUPT, "%s: %s", what, fmt);
}

static int entries(verify_t *vt, int db, uint64_t *n)
{
	MDB_stat s;
	int rc = mdb_stat(vt->txn, vt->st->dbi[db], &s);
	*n = s.ms_entries;
	return custos_store__mdb(vt->st, rc, "cannot read store statistics");
}

static int verify_dicts(verify_t *vt)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = CUSTOS_OK;
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_DICTS], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read dictionaries");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		custos_store__dict_t *d;
		if (k.mv_size != 4) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "dictionaries: bad key");
			break;
		}
		/* read from disk, not from the cache, which other views share */
		if ((err = custos_store__dict_load(st, vt->txn, custos_store__get32(k.mv_data), &d)) < 0)
			break;
		custos_store__dict_free(d);
		vt->sum->dictionaries++;
	}
	mdb_cursor_close(c);
	if (err < 0)
		return err;
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read dictionaries");
	if (vt->sum->dictionaries != vt->state.v[ST_DICTIONARIES])
		return custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                      "%llu dictionaries stored, the store state counts %llu",
		                      (unsigned long long)vt->sum->dictionaries,
		                      (unsigned long long)vt->state.v[ST_DICTIONARIES]);
	return CUSTOS_OK;
}

/* The secondary entries of one live record: ids (at its version's place),
 * and times. */
static int verify_index(verify_t *vt, const custos_record_t *rec,
                        const custos_store__rechdr_t *h, uint64_t seq)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c;
	uint8_t sb[8], tk[16];
	MDB_val k = { strlen(rec->id), rec->id }, v = { 8, sb };
	int rc;
	uint32_t pos = 1;
	custos_store__be64(sb, seq);
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_IDS], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read ids");
	rc = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH);
	if (rc == 0) {
		MDB_val k2, v2;
		while (mdb_cursor_get(c, &k2, &v2, MDB_PREV_DUP) == 0)
			pos++;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		return corrupt(st, "missing from the id index", rec->id, h->version, seq);
	if (rc)
		return custos_store__mdb(st, rc, "cannot read ids");
	if (pos != h->version)
		return corrupt(st, "id index has it at another version", rec->id, h->version, seq);

	custos_store__be64(tk, (uint64_t)rec->created_at ^ ((uint64_t)1 << 63));
	custos_store__be64(tk + 8, seq);
	k.mv_size = 16;
	k.mv_data = tk;
	rc = mdb_get(vt->txn, st->dbi[STORE_DB_TIMES], &k, &v);
	if (rc == MDB_NOTFOUND)
		return corrupt(st, "missing from the time index", rec->id, h->version, seq);
	if (rc)
		return custos_store__mdb(st, rc, "cannot read times");

	/* the media it names are kept alive by the media index (a store of an
	 * earlier custos has none until its first writer builds it) */
	if (!st->dbi[STORE_DB_MEDIA])
		return CUSTOS_OK;
	for (size_t i = 0; i < rec->n_media; i++) {
		uint8_t mk[40];
		const char *hx = rec->media[i].sha256;
		if (!hx || strlen(hx) != 64 || custos_unhex(mk, hx, 32) < 0)
			continue;
		memcpy(mk + 32, sb, 8);
		k.mv_size = sizeof mk;
		k.mv_data = mk;
		rc = mdb_get(vt->txn, st->dbi[STORE_DB_MEDIA], &k, &v);
		if (rc == MDB_NOTFOUND)
			return corrupt(st, "missing from the media index", rec->id, h->version, seq);
		if (rc)
			return custos_store__mdb(st, rc, "cannot read the media index");
	}
	return CUSTOS_OK;
}

static bool batch_ok(const MDB_val *bv)
{
	return bv->mv_size == STORE_BATCH_VAL || bv->mv_size == STORE_BATCH_ANCHORED;
}

/* The end of a batch: its anchor joins the chain, and the chain must be the
 * head the batch recorded. */
static int batch_end(custos_store_t *st, const MDB_val *bk, const MDB_val *bv, uint8_t chain[32])
{
	const uint8_t *p = bv->mv_data;
	if (bv->mv_size == STORE_BATCH_ANCHORED)
		custos_store__anchor_fold(chain, p + STORE_BATCH_VAL);
	if (memcmp(chain, p + 16, 32) != 0) {
		uint64_t first = custos_store__get64(p), last = custos_store__get64(p + 8);
		if (first > last)
			return custos_err_set(&st->err, CUSTOS_ECORRUPT, "batch %llu (an anchor after "
			                      "seq %llu): record chain head mismatch",
			                      (unsigned long long)custos_store__get64(bk->mv_data),
			                      (unsigned long long)last);
		return custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                      "batch %llu (seqs %llu..%llu): record chain head mismatch",
		                      (unsigned long long)custos_store__get64(bk->mv_data),
		                      (unsigned long long)first, (unsigned long long)last);
	}
	return CUSTOS_OK;
}

/* Consumes the batches at the cursor that hold no records (first = the
 * next seq, last = first - 1): anchors committed on their own. */
static int empty_batches(custos_store_t *st, MDB_cursor *bc, int *brc, MDB_val *bk, MDB_val *bv,
                         uint64_t next_seq, uint8_t chain[32])
{
	int err;
	while (*brc == 0 && bv->mv_size == STORE_BATCH_ANCHORED &&
	       custos_store__get64(bv->mv_data) == next_seq &&
	       custos_store__get64((uint8_t *)bv->mv_data + 8) == next_seq - 1) {
		if ((err = batch_end(st, bk, bv, chain)) < 0)
			return err;
		*brc = mdb_cursor_get(bc, bk, bv, MDB_NEXT);
	}
	return CUSTOS_OK;
}

static int verify_records(verify_t *vt)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c = NULL, *bc = NULL;
	MDB_val k, v, bk, bv;
	custos_record_t rec;
	uint8_t chain[32] = { 0 };
	uint64_t expect = 1, live = 0, disposed = 0, batch_first = 1;
	int rc, brc, err = CUSTOS_OK;
	char id[512];

	custos_record_init(&rec);
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_RECORDS], &c)) != 0 ||
	    (rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_BATCHES], &bc)) != 0) {
		err = custos_store__mdb(st, rc, "cannot read records");
		goto done;
	}
	brc = mdb_cursor_get(bc, &bk, &bv, MDB_FIRST);
	if ((err = empty_batches(st, bc, &brc, &bk, &bv, batch_first, chain)) < 0)
		goto done;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		custos_store__rechdr_t h;
		uint64_t seq = k.mv_size == 8 ? custos_store__get64(k.mv_data) : 0;
		if (seq != expect) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "records: seq %llu is missing",
			                     (unsigned long long)expect);
			goto done;
		}
		expect++;
		if (custos_store__hdr_decode(&h, v.mv_data, v.mv_size) < 0) {
			const char *name = custos_store__id_of_seq(st, vt->txn, seq, id, sizeof id) == 0
			                 ? id : NULL;
			err = corrupt(st, "bad header", name, 0, seq);
			goto done;
		}
		if (h.flags & STORE_REC_DISPOSED) {
			MDB_val tv;
			if (mdb_get(vt->txn, st->dbi[STORE_DB_TOMBSTONES], &k, &tv) != 0) {
				const char *name = custos_store__id_of_seq(st, vt->txn, seq, id, sizeof id) == 0
				                 ? id : NULL;
				err = corrupt(st, "disposed without a tombstone", name, h.version, seq);
				goto done;
			}
			if (tv.mv_size && *(const uint8_t *)tv.mv_data == STORE_TOMB_BINARY &&
			    custos_store__tomb_to_json(st, vt->txn, seq, &h, &tv, &vt->tomb) < 0) {
				const char *name = custos_store__id_of_seq(st, vt->txn, seq, id, sizeof id) == 0
				                 ? id : NULL;
				err = corrupt(st, "its tombstone does not decode", name, h.version, seq);
				goto done;
			}
			disposed++;
		} else {
			if ((err = custos_store__record_decode(st, vt->txn, seq, &v, &rec)) < 0) {
				/* decode names the record when it could read its id */
				if (!rec.id && custos_store__id_of_seq(st, vt->txn, seq, id, sizeof id) == 0)
					custos_err_prefix(&st->err, "record %s version %u", id, h.version);
				goto done;
			}
			if ((err = verify_index(vt, &rec, &h, seq)) < 0)
				goto done;
			live++;
		}
		custos_sha256_ctx_t cc;
		custos_sha256_init(&cc);
		custos_sha256_update(&cc, chain, 32);
		custos_sha256_update(&cc, k.mv_data, 8);
		custos_sha256_update(&cc, h.content, 32);
		custos_sha256_update(&cc, h.raw, 32);
		custos_sha256_final(&cc, chain);
		/* each batch's head is checked where the batch ends */
		if (brc == 0 && batch_ok(&bv) &&
		    custos_store__get64(bv.mv_data) == batch_first &&
		    custos_store__get64((uint8_t *)bv.mv_data + 8) == seq) {
			if ((err = batch_end(st, &bk, &bv, chain)) < 0)
				goto done;
			batch_first = seq + 1;
			brc = mdb_cursor_get(bc, &bk, &bv, MDB_NEXT);
			/* anchors committed alone right after */
			if ((err = empty_batches(st, bc, &brc, &bk, &bv, batch_first, chain)) < 0)
				goto done;
		} else if (brc != 0 || !batch_ok(&bv) ||
		           custos_store__get64(bv.mv_data) != batch_first ||
		           custos_store__get64((uint8_t *)bv.mv_data + 8) < seq) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
			                     "batches: no batch covers seq %llu as recorded",
			                     (unsigned long long)seq);
			goto done;
		}
		vt->done++;
		if (vt->progress && (vt->done & 4095) == 0)
			vt->progress(vt->pctx, vt->done, vt->total);
	}
	if (rc != MDB_NOTFOUND) {
		err = custos_store__mdb(st, rc, "cannot read records");
		goto done;
	}
	if (brc == 0) {
		err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                     "batch %llu covers records that are not stored",
		                     (unsigned long long)custos_store__get64(bk.mv_data));
		goto done;
	}
	if (expect != vt->state.v[ST_NEXT_SEQ]) {
		err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                     "records end at seq %llu, the store state says %llu",
		                     (unsigned long long)expect - 1,
		                     (unsigned long long)vt->state.v[ST_NEXT_SEQ] - 1);
		goto done;
	}
	if (memcmp(chain, vt->state.chain, 32) != 0) {
		err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                     "record chain head does not match the store's head");
		goto done;
	}
	memcpy(vt->sum->chain, chain, 32);
	vt->sum->versions = live;
	vt->sum->tombstones = disposed;

	/* nothing extra in the indexes: every entry belongs to a record */
	uint64_t n_ids, n_times, n_tomb;
	if ((err = entries(vt, STORE_DB_IDS, &n_ids)) < 0 ||
	    (err = entries(vt, STORE_DB_TIMES, &n_times)) < 0 ||
	    (err = entries(vt, STORE_DB_TOMBSTONES, &n_tomb)) < 0)
		goto done;
	uint64_t total = live + disposed;
	if (n_ids != total || n_times != live) {
		err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                     "indexes hold entries of no record (ids %llu, "
		                     "times %llu for %llu records, %llu live)",
		                     (unsigned long long)n_ids,
		                     (unsigned long long)n_times, (unsigned long long)total,
		                     (unsigned long long)live);
		goto done;
	}
	if (n_tomb != disposed || disposed != vt->state.v[ST_TOMBSTONES]) {
		err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                     "%llu tombstones for %llu disposed records (state counts %llu)",
		                     (unsigned long long)n_tomb, (unsigned long long)disposed,
		                     (unsigned long long)vt->state.v[ST_TOMBSTONES]);
		goto done;
	}
	if (total != vt->state.v[ST_VERSIONS]) {
		err = custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                     "%llu record versions stored, the store state counts %llu",
		                     (unsigned long long)total,
		                     (unsigned long long)vt->state.v[ST_VERSIONS]);
		goto done;
	}
	/* live records, counted from the records, and the disposal counters
	 * the statistics read (unless kept from before they existed) */
	custos_store__dcount_t *dc = NULL;
	size_t nd = 0;
	uint64_t ids = 0, gone = 0, sum_tomb = 0;
	if ((err = custos_store__disposed_recount(st, vt->txn, &dc, &nd, &ids)) < 0)
		goto done;
	for (size_t i = 0; i < nd; i++)
		gone += dc[i].disposed;
	vt->sum->records = ids - gone;
	if (ids != vt->state.v[ST_RECORDS])
		err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "%llu records stored, the store "
		                     "state counts %llu", (unsigned long long)ids,
		                     (unsigned long long)vt->state.v[ST_RECORDS]);
	/* two passes over the platforms: their counters are checked unless
	 * they do not add up to the store's (kept from before they existed) */
	for (int pass = 0; pass < 2 && !err; pass++) {
		MDB_cursor *pc = NULL;
		MDB_val pk = { 2, "p:" }, pv;
		int prc;
		if (pass == 1 && sum_tomb != disposed)
			break;
		if ((prc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_META], &pc)) != 0) {
			err = custos_store__mdb(st, prc, "cannot read platforms");
			break;
		}
		for (prc = mdb_cursor_get(pc, &pk, &pv, MDB_SET_RANGE); prc == 0 && !err;
		     prc = mdb_cursor_get(pc, &pk, &pv, MDB_NEXT)) {
			custos_store__platform_t pl;
			uint64_t d = 0, t = 0;
			if (pk.mv_size < 2 || memcmp(pk.mv_data, "p:", 2) != 0)
				break;
			if (custos_store__platform_decode(&pl, &pk, &pv) < 0)
				continue;   /* the statistics name a bad platform state */
			if (pass == 0) {
				sum_tomb += pl.v[PL_TOMBSTONES];
				continue;
			}
			for (size_t j = 0; j < nd; j++)
				if (!strcmp(dc[j].platform, pl.name)) {
					d = dc[j].disposed;
					t = dc[j].tombstones;
				}
			if (d != pl.v[PL_DISPOSED] || t != pl.v[PL_TOMBSTONES])
				err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "platform %s: %llu records "
				                     "disposed of with %llu tombstones, its counters say %llu "
				                     "and %llu", pl.name, (unsigned long long)d,
				                     (unsigned long long)t,
				                     (unsigned long long)pl.v[PL_DISPOSED],
				                     (unsigned long long)pl.v[PL_TOMBSTONES]);
		}
		mdb_cursor_close(pc);
	}
	free(dc);
	if (err)
		goto done;
done:
	if (c)
		mdb_cursor_close(c);
	if (bc)
		mdb_cursor_close(bc);
	custos_record_free(&rec);
	return err;
}

static int verify_blobs(verify_t *vt)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = CUSTOS_OK;
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_BLOBS], &c)) != 0)
		return custos_store__mdb(st, rc, "cannot read blobs");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		void *p;
		size_t n;
		if (k.mv_size != 32) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "blobs: bad key");
			break;
		}
		if ((err = custos_store__blob_decode(st, k.mv_data, &v, &p, &n)) < 0)
			break;
		free(p);
		vt->sum->blobs++;
	}
	mdb_cursor_close(c);
	if (err < 0)
		return err;
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read blobs");
	if (vt->sum->blobs != vt->state.v[ST_BLOBS])
		return custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                      "%llu blobs stored, the store state counts %llu",
		                      (unsigned long long)vt->sum->blobs,
		                      (unsigned long long)vt->state.v[ST_BLOBS]);
	return CUSTOS_OK;
}

static int verify_quarantine(verify_t *vt)
{
	custos_store_t *st = vt->st;
	custos_quarantine_entry_t *e = malloc(sizeof *e);
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = CUSTOS_OK;
	if (!e)
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_QUARANTINE], &c)) != 0) {
		free(e);
		return custos_store__mdb(st, rc, "cannot read quarantine");
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8) {
			err = custos_err_set(&st->err, CUSTOS_ECORRUPT, "quarantine: bad key");
			break;
		}
		if ((err = custos_store__quarantine_raw(st, custos_store__get64(k.mv_data), &v, e)) < 0)
			break;
		vt->sum->quarantined++;
	}
	mdb_cursor_close(c);
	free(e);
	if (err < 0)
		return err;
	if (rc != MDB_NOTFOUND)
		return custos_store__mdb(st, rc, "cannot read quarantine");
	if (vt->sum->quarantined != vt->state.v[ST_QUARANTINED])
		return custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                      "%llu quarantine items stored, the store state counts %llu",
		                      (unsigned long long)vt->sum->quarantined,
		                      (unsigned long long)vt->state.v[ST_QUARANTINED]);
	return CUSTOS_OK;
}

int custos_store_verify(custos_store_t *st, custos_verify_summary_t *summary,
                        custos_progress_fn progress, void *ctx, custos_err_t *err)
{
	custos_verify_summary_t local;
	verify_t vt = { .st = st, .progress = progress, .pctx = ctx };
	int e;
	vt.sum = summary ? summary : &local;
	memset(vt.sum, 0, sizeof *vt.sum);
	if (st->batch) {
		e = custos_err_set(&st->err, CUSTOS_EINVAL, "cannot verify while a batch is open");
		goto out;
	}
	if ((e = custos_store__read_txn(st, &vt.txn)) < 0)
		goto out;
	if ((e = custos_store__state_load(st, vt.txn, &vt.state)) == 0) {
		vt.total = vt.state.v[ST_NEXT_SEQ] - 1;
		if (progress)
			progress(ctx, 0, vt.total);
		if ((e = verify_dicts(&vt)) == 0 && (e = verify_records(&vt)) == 0 &&
		    (e = verify_blobs(&vt)) == 0 && (e = verify_quarantine(&vt)) == 0 && progress)
			progress(ctx, vt.total, vt.total);
	}
	custos_store__read_done(st, vt.txn);
	custos_buf_free(&vt.tomb);
out:
	if (e < 0 && err) {
		err->status = e;
		memcpy(err->msg, st->err.msg, sizeof err->msg);
	}
	return e;
}
