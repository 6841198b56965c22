/* Verification of the whole store: every dictionary, record, blob,
 * quarantine item and tombstone is re-read and its hashes recomputed, the
 * secondary databases are checked against the records, and the record chain
 * is recomputed batch by batch against every batch's head and the store's
 * head. It goes on through everything whatever it finds, and reports each
 * problem with a sentence that names it. */
#include "store_internal.h"

#include <errno.h>
#include <stdarg.h>
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
	custos_problem_fn problem;
	void           *prctx;
	uint64_t        problems;
	custos_err_t    first;           /* the first problem */
	uint64_t        total, done;
	custos_buf_t    tomb;           /* a binary tombstone, decoded to check it */
	/* seq -> record id, read from the ids database when a damaged record
	 * must be named and its payload cannot say who it is */
	char          **ids;
	uint64_t        n_ids;
	bool            ids_read;
	custos_arena_t  arena;
} verify_t;

static void report(verify_t *vt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(verify_t *vt, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (vt->problems++ == 0)
		custos_err_set(&vt->first, CUSTOS_ECORRUPT, "%s", msg);
	if (vt->problem)
		vt->problem(vt->prctx, msg);
}

/* A failure of a part's check: reported, unless it is not about the data
 * (out of memory), which stops the verification. */
static int reported(verify_t *vt, int err, const char *prefix)
{
	if (err == CUSTOS_ENOMEM)
		return err;
	char msg[sizeof vt->st->err.msg];
	memcpy(msg, vt->st->err.msg, sizeof msg);
	if (prefix)
		report(vt, "%s: %s", prefix, msg);
	else
		report(vt, "%s", msg);
	return CUSTOS_OK;
}

/* The id stored for seq in the ids database (one pass over it, the first
 * time a damaged record needs a name), or NULL. */
static const char *id_of(verify_t *vt, uint64_t seq)
{
	if (!vt->ids_read) {
		MDB_cursor *c;
		MDB_val k, v;
		vt->ids_read = true;
		vt->n_ids = vt->state.v[ST_NEXT_SEQ];
		if (!vt->n_ids || !(vt->ids = calloc(vt->n_ids, sizeof *vt->ids)))
			return NULL;
		if (mdb_cursor_open(vt->txn, vt->st->dbi[STORE_DB_IDS], &c) != 0)
			return NULL;
		for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			uint64_t s = v.mv_size == 8 ? custos_store__get64(v.mv_data) : 0;
			if (s && s < vt->n_ids && !vt->ids[s])
				vt->ids[s] = custos_arena_strndup(&vt->arena, k.mv_data, k.mv_size);
		}
		mdb_cursor_close(c);
	}
	return vt->ids && seq < vt->n_ids ? vt->ids[seq] : NULL;
}

static void corrupt(verify_t *vt, const char *what, const char *id, uint32_t version, uint64_t seq)
{
	if (id)
		report(vt, "record %s version %u (seq %llu): %s", id, version,
		       (unsigned long long)seq, what);
	else
		report(vt, "record at seq %llu: %s", (unsigned long long)seq, what);
}

static int entries(verify_t *vt, int db, uint64_t *n)
{
	MDB_stat s;
	int rc = mdb_stat(vt->txn, vt->st->dbi[db], &s);
	*n = rc == 0 ? s.ms_entries : 0;
	return custos_store__mdb(vt->st, rc, "cannot read store statistics");
}

/* One read error of a database ends the walk over it (LMDB cannot go on
 * from a damaged page); it is reported, and the rest is checked. */
static int walk_failed(verify_t *vt, int rc, const char *what)
{
	return reported(vt, custos_store__mdb(vt->st, rc, what), NULL);
}

static void count_check(verify_t *vt, uint64_t got, int st_counter, const char *what)
{
	if (got != vt->state.v[st_counter])
		report(vt, "%llu %s stored, the store state counts %llu", (unsigned long long)got, what,
		       (unsigned long long)vt->state.v[st_counter]);
}

static int verify_dicts(verify_t *vt)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = CUSTOS_OK;
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_DICTS], &c)) != 0)
		return walk_failed(vt, rc, "cannot read dictionaries");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		custos_store__dict_t *d = NULL;
		vt->sum->dictionaries++;
		if (k.mv_size != 4) {
			report(vt, "dictionaries: a key of %zu bytes", k.mv_size);
			continue;
		}
		/* read from disk, not from the cache, which other views share */
		if ((err = custos_store__dict_load(st, vt->txn, custos_store__get32(k.mv_data), &d)) < 0 &&
		    (err = reported(vt, err, NULL)) < 0)
			break;
		custos_store__dict_free(d);
	}
	mdb_cursor_close(c);
	if (err < 0)
		return err;
	if (rc != MDB_NOTFOUND)
		return walk_failed(vt, rc, "cannot read dictionaries");
	count_check(vt, vt->sum->dictionaries, ST_DICTIONARIES, "dictionaries");
	return CUSTOS_OK;
}

/* Meta keys from prefix (3 bytes) on, as long as they start with it. */
static int prefix_next(MDB_cursor *c, MDB_val *k, MDB_val *v, const char *prefix, bool first)
{
	int rc;
	if (first) {
		k->mv_size = 3;
		k->mv_data = (void *)prefix;
		rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(c, k, v, MDB_NEXT);
	}
	if (rc == 0 && (k->mv_size < 3 || memcmp(k->mv_data, prefix, 3) != 0))
		rc = MDB_NOTFOUND;
	return rc;
}

/* Source file entries (docs/storage.md, "Source files by reference"): each
 * decodes, and its lookup entry names it; there is no other lookup entry.
 * That every entry a record names is there is checked with the record. */
static int verify_sources(verify_t *vt)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t n = 0, np = 0;
	int rc;
	custos_store__source_forget(st);   /* read from the file, not from memory */
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_META], &c)) != 0)
		return walk_failed(vt, rc, "cannot read source file entries");
	for (rc = prefix_next(c, &k, &v, "fr:", true); rc == 0;
	     rc = prefix_next(c, &k, &v, "fr:", false)) {
		const char *file, *sha;
		size_t fn, sn;
		n++;
		if (k.mv_size != STORE_SRC_KEY) {
			report(vt, "source files: a key of %zu bytes", k.mv_size);
			continue;
		}
		uint32_t id = custos_store__get32((const uint8_t *)k.mv_data + 3);
		if (custos_store__source_decode(&v, &file, &fn, &sha, &sn) < 0) {
			report(vt, "source file entry %u is damaged", id);
			continue;
		}
		char *f = strndup(file, fn), *h = sha ? strndup(sha, sn) : NULL;
		MDB_val pv;
		int prc = f && (h || !sha) ? custos_store__source_pair_get(st, vt->txn, f, h, &pv)
		                           : ENOMEM;
		if (prc == 0 && (pv.mv_size != 4 || custos_store__get32(pv.mv_data) != id))
			report(vt, "source file entry %u ('%s'): its lookup entry names another", id, f);
		else if (prc == MDB_NOTFOUND)
			report(vt, "source file entry %u ('%s'): its lookup entry is missing", id, f);
		free(f);
		free(h);
		if (prc && prc != MDB_NOTFOUND) {
			mdb_cursor_close(c);
			return prc == ENOMEM ? custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory")
			                     : walk_failed(vt, prc, "cannot read source file entries");
		}
	}
	if (rc != MDB_NOTFOUND) {
		mdb_cursor_close(c);
		return walk_failed(vt, rc, "cannot read source file entries");
	}
	for (rc = prefix_next(c, &k, &v, "fh:", true); rc == 0;
	     rc = prefix_next(c, &k, &v, "fh:", false))
		np++;
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return walk_failed(vt, rc, "cannot read source file entries");
	if (np != n)
		report(vt, "%llu source file lookup entries for %llu source file entries",
		       (unsigned long long)np, (unsigned long long)n);
	return CUSTOS_OK;
}

/* The secondary entries of one live record: ids (at its version's place),
 * times, and the media index. */
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
		return walk_failed(vt, rc, "cannot read ids");
	rc = mdb_cursor_get(c, &k, &v, MDB_GET_BOTH);
	if (rc == 0) {
		MDB_val k2, v2;
		while (mdb_cursor_get(c, &k2, &v2, MDB_PREV_DUP) == 0)
			pos++;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		corrupt(vt, "missing from the id index", rec->id, h->version, seq);
	else if (rc)
		return walk_failed(vt, rc, "cannot read ids");
	else if (pos != h->version)
		corrupt(vt, "id index has it at another version", rec->id, h->version, seq);

	custos_store__be64(tk, (uint64_t)rec->created_at ^ ((uint64_t)1 << 63));
	custos_store__be64(tk + 8, seq);
	k.mv_size = 16;
	k.mv_data = tk;
	rc = mdb_get(vt->txn, st->dbi[STORE_DB_TIMES], &k, &v);
	if (rc == MDB_NOTFOUND)
		corrupt(vt, "missing from the time index", rec->id, h->version, seq);
	else if (rc)
		return walk_failed(vt, rc, "cannot read times");

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
		if (rc == MDB_NOTFOUND) {
			corrupt(vt, "missing from the media index", rec->id, h->version, seq);
			break;
		}
		if (rc)
			return walk_failed(vt, rc, "cannot read the media index");
	}
	return CUSTOS_OK;
}

/* A disposed record's tombstone names it: version, seq and both hashes as
 * its header keeps them. */
static void verify_tombstone(verify_t *vt, const MDB_val *tv, const custos_store__rechdr_t *h,
                             uint64_t seq)
{
	char want[256], c[CUSTOS_SHA256_HEX], r[CUSTOS_SHA256_HEX];
	custos_hex(c, h->content, 32);
	custos_hex(r, h->raw, 32);
	int n = snprintf(want, sizeof want, ",\"version\":%u,\"seq\":%llu,\"content_sha256\":\"%s\","
	                 "\"raw_sha256\":\"%s\",", h->version, (unsigned long long)seq, c, r);
	MDB_val j = *tv;
	/* a binary tombstone is read as the JSON it stands for (an earlier
	 * store's JSON ones as they are) */
	if (tv->mv_size && *(const uint8_t *)tv->mv_data == STORE_TOMB_BINARY) {
		if (custos_store__tomb_to_json(vt->st, vt->txn, seq, h, tv, &vt->tomb) < 0) {
			corrupt(vt, "its tombstone does not decode", id_of(vt, seq), h->version, seq);
			return;
		}
		j.mv_data = vt->tomb.data;
		j.mv_size = vt->tomb.len;
	}
	if (j.mv_size < 8 || memcmp(j.mv_data, "{\"id\":", 6) != 0 ||
	    !memmem(j.mv_data, j.mv_size, want, (size_t)n))
		corrupt(vt, "its tombstone does not name it (version, seq and hashes differ)",
		        id_of(vt, seq), h->version, seq);
}

static void fold_record(uint8_t chain[32], const void *key8, const uint8_t content[32],
                        const uint8_t raw[32])
{
	custos_sha256_ctx_t cc;
	custos_sha256_init(&cc);
	custos_sha256_update(&cc, chain, 32);
	custos_sha256_update(&cc, key8, 8);
	custos_sha256_update(&cc, content, 32);
	custos_sha256_update(&cc, raw, 32);
	custos_sha256_final(&cc, chain);
}

typedef struct {
	uint64_t live, disposed;
	uint64_t last;               /* the highest seq met */
	custos_record_t rec;
} walk_t;

/* Checks the record at seq and folds it into chain (NULL: a record that no
 * batch covers, checked but not chained). */
static int check_record(verify_t *vt, walk_t *w, const MDB_val *k, const MDB_val *v,
                        uint64_t seq, uint8_t *chain)
{
	custos_store_t *st = vt->st;
	custos_store__rechdr_t h;
	const uint8_t *p = v->mv_data;
	int err;

	if (seq > w->last)
		w->last = seq;
	vt->done++;
	if (vt->progress && (vt->done & 4095) == 0)
		vt->progress(vt->pctx, vt->done, vt->total);
	if (custos_store__hdr_decode(&h, v->mv_data, v->mv_size) < 0) {
		corrupt(vt, "bad header", id_of(vt, seq), 0, seq);
		/* the chain takes the bytes where the hashes would be: the batch
		 * head then says whether they were changed too */
		if (v->mv_size >= 2 && (p[1] & STORE_REC_DISPOSED))
			w->disposed++;
		else
			w->live++;
		if (chain) {
			static const uint8_t zero[32];
			bool whole = v->mv_size >= STORE_REC_HDR;
			fold_record(chain, k->mv_data, whole ? p + 8 : zero, whole ? p + 40 : zero);
		}
		return CUSTOS_OK;
	}
	if (h.flags & STORE_REC_DISPOSED) {
		MDB_val tv;
		int rc = mdb_get(vt->txn, st->dbi[STORE_DB_TOMBSTONES], (MDB_val *)k, &tv);
		if (rc == MDB_NOTFOUND)
			corrupt(vt, "disposed without a tombstone", id_of(vt, seq), h.version, seq);
		else if (rc)
			return walk_failed(vt, rc, "cannot read tombstones");
		else
			verify_tombstone(vt, &tv, &h, seq);
		w->disposed++;
	} else {
		w->live++;
		if ((err = custos_store__record_decode(st, vt->txn, seq, v, &w->rec)) < 0) {
			if (err == CUSTOS_ENOMEM)
				return err;
			/* decode names the record when it could read its id; otherwise
			 * its id comes from the ids database */
			const char *id = w->rec.id ? NULL : id_of(vt, seq);
			char pre[40];
			int pl = snprintf(pre, sizeof pre, "seq %llu: ", (unsigned long long)seq);
			const char *m = st->err.msg;
			if (id && !strncmp(m, pre, (size_t)pl))
				report(vt, "record %s version %u (seq %llu): %s", id, h.version,
				       (unsigned long long)seq, m + pl);
			else if (id)
				report(vt, "record %s version %u (seq %llu): %s", id, h.version,
				       (unsigned long long)seq, m);
			else if ((err = reported(vt, err, NULL)) < 0)
				return err;
		} else if ((err = verify_index(vt, &w->rec, &h, seq)) < 0) {
			return err;
		}
	}
	if (chain)
		fold_record(chain, k->mv_data, h.content, h.raw);
	return CUSTOS_OK;
}

static void missing(verify_t *vt, uint64_t a, uint64_t b)
{
	if (a == b)
		report(vt, "records: seq %llu is missing", (unsigned long long)a);
	else if (a < b)
		report(vt, "records: seqs %llu..%llu are missing", (unsigned long long)a,
		       (unsigned long long)b);
}

/* Records the cursor is on with seq < end that no batch covers: checked,
 * and reported as one run. */
static int uncovered(verify_t *vt, walk_t *w, MDB_cursor *c, int *rc, MDB_val *k, MDB_val *v,
                     uint64_t end)
{
	uint64_t from = 0, to = 0, n = 0;
	int err;
	while (*rc == 0 && (k->mv_size != 8 || custos_store__get64(k->mv_data) < end)) {
		if (k->mv_size != 8) {
			report(vt, "records: a key of %zu bytes", k->mv_size);
		} else {
			uint64_t seq = custos_store__get64(k->mv_data);
			if (!n++)
				from = seq;
			to = seq;
			if ((err = check_record(vt, w, k, v, seq, NULL)) < 0)
				return err;
		}
		*rc = mdb_cursor_get(c, k, v, MDB_NEXT);
	}
	if (n == 1)
		report(vt, "records: seq %llu is in no batch", (unsigned long long)from);
	else if (n)
		report(vt, "records: %llu records (seqs %llu..%llu) are in no batch",
		       (unsigned long long)n, (unsigned long long)from, (unsigned long long)to);
	return CUSTOS_OK;
}

/* The chain, batch by batch: each batch's records (seqs first..last, in
 * order) and its anchor are folded onto the head the batch before it
 * recorded, and the result must be the head this batch recorded. Starting
 * each batch from the recorded head keeps a damaged batch from hiding the
 * batches after it. */
static int verify_records(verify_t *vt)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c = NULL, *bc = NULL;
	MDB_val k, v, bk, bv;
	walk_t w = { 0 };
	uint8_t chain[32] = { 0 }, last_anchor[STORE_ANCHOR_LEN];
	bool anchored = false;
	uint64_t next = 1;   /* the first seq the next batch should cover */
	int rc, brc, err = CUSTOS_OK;

	custos_record_init(&w.rec);
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_RECORDS], &c)) != 0 ||
	    (rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_BATCHES], &bc)) != 0) {
		err = walk_failed(vt, rc, "cannot read records");
		goto done;
	}
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (brc = mdb_cursor_get(bc, &bk, &bv, MDB_FIRST); brc == 0;
	     brc = mdb_cursor_get(bc, &bk, &bv, MDB_NEXT)) {
		const uint8_t *p = bv.mv_data;
		uint64_t bn = bk.mv_size == 8 ? custos_store__get64(bk.mv_data) : 0;
		if (bk.mv_size != 8 || (bv.mv_size != STORE_BATCH_VAL && bv.mv_size != STORE_BATCH_ANCHORED)) {
			report(vt, "batches: entry %llu is malformed", (unsigned long long)bn);
			continue;
		}
		uint64_t first = custos_store__get64(p), last = custos_store__get64(p + 8);
		if (first == 0 || first > last + 1) {
			report(vt, "batch %llu: malformed seq range %llu..%llu", (unsigned long long)bn,
			       (unsigned long long)first, (unsigned long long)last);
			continue;
		}
		if (first < next)
			report(vt, "batch %llu (seqs %llu..%llu) overlaps the batch before it",
			       (unsigned long long)bn, (unsigned long long)first, (unsigned long long)last);
		else if ((err = uncovered(vt, &w, c, &rc, &k, &v, first)) < 0)
			goto done;
		uint64_t expect = first;
		while (rc == 0 && (k.mv_size != 8 || custos_store__get64(k.mv_data) <= last)) {
			if (k.mv_size != 8) {
				report(vt, "records: a key of %zu bytes", k.mv_size);
			} else {
				uint64_t seq = custos_store__get64(k.mv_data);
				if (seq > expect)
					missing(vt, expect, seq - 1);
				if ((err = check_record(vt, &w, &k, &v, seq, chain)) < 0)
					goto done;
				expect = seq + 1;
			}
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
		if (first <= last && expect <= last)
			missing(vt, expect, last);
		if (bv.mv_size == STORE_BATCH_ANCHORED) {
			custos_store__anchor_fold(chain, p + STORE_BATCH_VAL);
			memcpy(last_anchor, p + STORE_BATCH_VAL, sizeof last_anchor);
			anchored = true;
		}
		if (memcmp(chain, p + 16, 32) != 0) {
			if (first > last)
				report(vt, "batch %llu (an anchor after seq %llu): record chain head mismatch",
				       (unsigned long long)bn, (unsigned long long)last);
			else
				report(vt, "batch %llu (seqs %llu..%llu): record chain head mismatch",
				       (unsigned long long)bn, (unsigned long long)first,
				       (unsigned long long)last);
		}
		memcpy(chain, p + 16, 32);
		if (last + 1 > next)
			next = last + 1;
	}
	if (brc != MDB_NOTFOUND && (err = walk_failed(vt, brc, "cannot read batches")) < 0)
		goto done;
	if ((err = uncovered(vt, &w, c, &rc, &k, &v, UINT64_MAX)) < 0)
		goto done;
	if (rc != MDB_NOTFOUND && (err = walk_failed(vt, rc, "cannot read records")) < 0)
		goto done;
	if (w.last + 1 != vt->state.v[ST_NEXT_SEQ])
		report(vt, "records end at seq %llu, the store state says %llu",
		       (unsigned long long)w.last, (unsigned long long)vt->state.v[ST_NEXT_SEQ] - 1);
	else if (next != vt->state.v[ST_NEXT_SEQ])
		report(vt, "batches end at seq %llu, the store state says %llu",
		       (unsigned long long)next - 1, (unsigned long long)vt->state.v[ST_NEXT_SEQ] - 1);
	if (memcmp(chain, vt->state.chain, 32) != 0)
		report(vt, "record chain head does not match the store's head");
	/* meta "anchor" is what writers start from: the last anchor committed */
	MDB_val ak = { 6, "anchor" }, av;
	int arc = mdb_get(vt->txn, st->dbi[STORE_DB_META], &ak, &av);
	if (arc == 0 && (!anchored || av.mv_size != STORE_ANCHOR_LEN ||
	                 memcmp(av.mv_data, last_anchor, sizeof last_anchor) != 0))
		report(vt, "store: its last anchor is not the anchor of its last anchored batch");
	else if (arc == MDB_NOTFOUND && anchored)
		report(vt, "store: its last anchor is missing");
	else if (arc && arc != MDB_NOTFOUND && (err = walk_failed(vt, arc, "cannot read the last anchor")) < 0)
		goto done;
	memcpy(vt->sum->chain, chain, 32);
	vt->sum->versions = w.live;
	vt->sum->tombstones = w.disposed;

	/* nothing extra in the indexes: every entry belongs to a record */
	uint64_t n_ids, n_times, total = w.live + w.disposed;
	if ((err = entries(vt, STORE_DB_IDS, &n_ids)) < 0 ||
	    (err = entries(vt, STORE_DB_TIMES, &n_times)) < 0)
		goto done;
	if (n_ids != total)
		report(vt, "the id index holds %llu entries for %llu record versions",
		       (unsigned long long)n_ids, (unsigned long long)total);
	if (n_times != w.live)
		report(vt, "the time index holds %llu entries for %llu live record versions",
		       (unsigned long long)n_times, (unsigned long long)w.live);
	count_check(vt, total, ST_VERSIONS, "record versions");
	count_check(vt, w.disposed, ST_TOMBSTONES, "disposed record versions");
done:
	if (c)
		mdb_cursor_close(c);
	if (bc)
		mdb_cursor_close(bc);
	custos_record_free(&w.rec);
	return err;
}

/* Every tombstone belongs to a disposed record (the records' walk checked
 * that every disposed record has one that names it). */
static int verify_tombstones(verify_t *vt)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c;
	MDB_val k, v;
	uint64_t n = 0;
	int rc;
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_TOMBSTONES], &c)) != 0)
		return walk_failed(vt, rc, "cannot read tombstones");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		MDB_val rv;
		custos_store__rechdr_t h;
		n++;
		if (k.mv_size != 8) {
			report(vt, "tombstones: a key of %zu bytes", k.mv_size);
			continue;
		}
		uint64_t seq = custos_store__get64(k.mv_data);
		int r = mdb_get(vt->txn, st->dbi[STORE_DB_RECORDS], &k, &rv);
		if (r && r != MDB_NOTFOUND) {
			mdb_cursor_close(c);
			return walk_failed(vt, r, "cannot read records");
		}
		if (r == MDB_NOTFOUND ||
		    (custos_store__hdr_decode(&h, rv.mv_data, rv.mv_size) == 0 &&
		     !(h.flags & STORE_REC_DISPOSED)))
			report(vt, "tombstones: the tombstone of seq %llu belongs to no disposed record",
			       (unsigned long long)seq);
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return walk_failed(vt, rc, "cannot read tombstones");
	if (n != vt->sum->tombstones)
		report(vt, "%llu tombstones for %llu disposed record versions", (unsigned long long)n,
		       (unsigned long long)vt->sum->tombstones);
	return CUSTOS_OK;
}

/* The live records, counted from the ids (an id is disposed of when no
 * version of it is left), and the disposal counters the statistics read:
 * each platform's are checked unless they do not add up to the store's
 * (kept from before they existed). */
static int verify_disposals(verify_t *vt)
{
	custos_store_t *st = vt->st;
	custos_store__dcount_t *dc = NULL;
	MDB_cursor *pc = NULL;
	size_t nd = 0;
	uint64_t ids = 0, gone = 0, sum_tomb = 0;
	int err, prc;
	if ((err = custos_store__disposed_recount(st, vt->txn, &dc, &nd, &ids)) < 0)
		return reported(vt, err, "cannot count the records by id");
	for (size_t i = 0; i < nd; i++)
		gone += dc[i].disposed;
	vt->sum->records = ids - gone;
	count_check(vt, ids, ST_RECORDS, "records");
	/* two passes over the platforms: the first adds up their tombstone
	 * counters, the second compares each with the recount */
	for (int pass = 0; pass < 2; pass++) {
		MDB_val pk = { 2, "p:" }, pv;
		if (pass == 1 && sum_tomb != vt->sum->tombstones)
			break;
		if ((prc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_META], &pc)) != 0) {
			err = walk_failed(vt, prc, "cannot read platforms");
			goto done;
		}
		for (prc = mdb_cursor_get(pc, &pk, &pv, MDB_SET_RANGE); prc == 0;
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
				report(vt, "platform %s: %llu records disposed of with %llu tombstones, "
				       "its counters say %llu and %llu", pl.name, (unsigned long long)d,
				       (unsigned long long)t, (unsigned long long)pl.v[PL_DISPOSED],
				       (unsigned long long)pl.v[PL_TOMBSTONES]);
		}
		mdb_cursor_close(pc);
		pc = NULL;
		if (prc != 0 && prc != MDB_NOTFOUND && (err = walk_failed(vt, prc, "cannot read platforms")) < 0)
			goto done;
	}
done:
	free(dc);
	return err;
}

static int verify_blobs(verify_t *vt)
{
	custos_store_t *st = vt->st;
	MDB_cursor *c;
	MDB_val k, v;
	int rc, err = CUSTOS_OK;
	if ((rc = mdb_cursor_open(vt->txn, st->dbi[STORE_DB_BLOBS], &c)) != 0)
		return walk_failed(vt, rc, "cannot read blobs");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		void *p = NULL;
		size_t n;
		vt->sum->blobs++;
		if (k.mv_size != 32) {
			report(vt, "blobs: a key of %zu bytes", k.mv_size);
			continue;
		}
		/* its messages name the blob */
		if ((err = custos_store__blob_decode(st, k.mv_data, &v, &p, &n)) < 0) {
			if ((err = reported(vt, err, NULL)) < 0)
				break;
		}
		free(p);
	}
	mdb_cursor_close(c);
	if (err < 0)
		return err;
	if (rc != MDB_NOTFOUND)
		return walk_failed(vt, rc, "cannot read blobs");
	count_check(vt, vt->sum->blobs, ST_BLOBS, "blobs");
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
		return walk_failed(vt, rc, "cannot read quarantine");
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		vt->sum->quarantined++;
		if (k.mv_size != 8) {
			report(vt, "quarantine: a key of %zu bytes", k.mv_size);
			continue;
		}
		uint64_t n = custos_store__get64(k.mv_data);
		if ((err = custos_store__quarantine_raw(st, n, &v, e)) < 0) {
			if (!strstr(st->err.msg, "quarantine"))
				custos_err_prefix(&st->err, "quarantine item %llu", (unsigned long long)n);
			if ((err = reported(vt, err, NULL)) < 0)
				break;
		}
	}
	mdb_cursor_close(c);
	free(e);
	if (err < 0)
		return err;
	if (rc != MDB_NOTFOUND)
		return walk_failed(vt, rc, "cannot read quarantine");
	count_check(vt, vt->sum->quarantined, ST_QUARANTINED, "quarantine items");
	return CUSTOS_OK;
}

int custos_store_verify_each(custos_store_t *st, custos_verify_summary_t *summary,
                             custos_progress_fn progress, void *ctx,
                             custos_problem_fn problem, void *problem_ctx)
{
	custos_verify_summary_t local;
	verify_t vt = { .st = st, .progress = progress, .pctx = ctx,
	                .problem = problem, .prctx = problem_ctx };
	int e;
	vt.sum = summary ? summary : &local;
	memset(vt.sum, 0, sizeof *vt.sum);
	if (st->batch)
		return custos_err_set(&st->err, CUSTOS_EINVAL, "cannot verify while a batch is open");
	if ((e = custos_store__read_txn(st, &vt.txn)) < 0)
		return e;
	if ((e = custos_store__state_load(st, vt.txn, &vt.state)) < 0) {
		/* without its counters nothing can be compared: one problem */
		if (e != CUSTOS_ENOMEM && e != CUSTOS_EIO)
			e = reported(&vt, e, NULL);
		vt.state.v[ST_NEXT_SEQ] = 1;
		if (e < 0)
			goto done;
	}
	vt.total = vt.state.v[ST_NEXT_SEQ] - 1;
	if (progress)
		progress(ctx, 0, vt.total);
	if ((e = verify_dicts(&vt)) < 0 || (e = verify_sources(&vt)) < 0 ||
	    (e = verify_records(&vt)) < 0 ||
	    (e = verify_tombstones(&vt)) < 0 || (e = verify_disposals(&vt)) < 0 ||
	    (e = verify_blobs(&vt)) < 0 ||
	    (e = verify_quarantine(&vt)) < 0)
		goto done;
	if (progress)
		progress(ctx, vt.total, vt.total);
	vt.sum->problems = vt.problems;
	if (vt.problems) {
		e = CUSTOS_ECORRUPT;
		st->err = vt.first;
		if (vt.problems > 1)
			custos_err_prefix(&st->err, "%llu problems; the first",
			                  (unsigned long long)vt.problems);
	}
done:
	custos_store__read_done(st, vt.txn);
	free(vt.ids);
	custos_arena_free(&vt.arena);
	custos_buf_free(&vt.tomb);
	return e;
}

int custos_store_verify(custos_store_t *st, custos_verify_summary_t *summary,
                        custos_progress_fn progress, void *ctx, custos_err_t *err)
{
	int e = custos_store_verify_each(st, summary, progress, ctx, NULL, NULL);
	if (e < 0 && err) {
		err->status = e;
		memcpy(err->msg, st->err.msg, sizeof err->msg);
	}
	return e;
}
