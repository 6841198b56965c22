/* The record store: opening an archive's LMDB environment and key files,
 * the writer lock, and the codec shared by reads and writes (per-item
 * ChaCha20 keys, zstd with per-platform dictionaries). docs/storage.md. */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sodium.h>

/* Address space only: LMDB does not preallocate the file. The map still
 * doubles on MDB_MAP_FULL (store_write.c), so nobody ever tunes this. */
#define STORE_MAPSIZE ((size_t)64 << 30)
#define STORE_DICT_AFTER 1000
#define STORE_DICT_SIZE (110 * 1024)
/* Records of a platform per window over which its dictionary's compression
 * is measured (docs/storage.md, "Dictionaries"). */
#define STORE_DICT_WINDOW 50000
#define STORE_LEVEL 3
/* A plaintext larger than this is damage, not data (inputs stop at 50 MB lines). */
#define STORE_PLAIN_MAX ((unsigned long long)1 << 30)

static const char *const db_names[STORE_DB_N] = {
	"meta", "records", "ids", "times", "blobs", "dicts", "quarantine",
	"tombstones", "batches", "samples", "media"
};
static const unsigned db_flags[STORE_DB_N] = {
	[STORE_DB_RECORDS] = MDB_INTEGERKEY * 0,  /* big-endian keys sort as bytes */
	[STORE_DB_IDS] = MDB_DUPSORT | MDB_DUPFIXED,
	[STORE_DB_SAMPLES] = MDB_DUPSORT | MDB_DUPFIXED,
};

/* Whether the filesystem holding the store is full: LMDB turns a short
 * write (what a full disk gives a large write) into EIO. */
static bool store_disk_full(const custos_store_t *st)
{
	char p[4200];
	struct statvfs vs;
	snprintf(p, sizeof p, "%s/store", st->dir ? st->dir : ".");
	return statvfs(p, &vs) == 0 && (uint64_t)vs.f_bavail * vs.f_frsize < ((uint64_t)1 << 20);
}

int custos_store__io_status(const custos_store_t *st, int e)
{
	if (e == ENOSPC || e == EDQUOT || (e == EIO && store_disk_full(st)))
		return CUSTOS_ENOSPC;
	return e == EACCES || e == EPERM || e == EROFS ? CUSTOS_EACCESS : CUSTOS_EIO;
}

int custos_store__mdb(custos_store_t *st, int rc, const char *what)
{
	int s;
	if ((rc == EIO || rc == ENOSPC || rc == EDQUOT) &&
	    custos_store__io_status(st, rc) == CUSTOS_ENOSPC)
		return custos_err_set(&st->err, CUSTOS_ENOSPC, "%s: %s (the disk holding '%s' is full)",
		                      what, strerror(rc == EDQUOT ? EDQUOT : ENOSPC), st->dir);
	switch (rc) {
	case 0: return CUSTOS_OK;
	case MDB_NOTFOUND: s = CUSTOS_ENOTFOUND; break;
	case MDB_CORRUPTED: case MDB_PAGE_NOTFOUND: case MDB_INVALID: case MDB_BAD_TXN:
		s = CUSTOS_ECORRUPT; break;
	case MDB_VERSION_MISMATCH: s = CUSTOS_EVERSION; break;
	case ENOMEM: s = CUSTOS_ENOMEM; break;
	case EACCES: case EPERM: case EROFS: s = CUSTOS_EACCESS; break;
	case EIO: s = CUSTOS_EIO; break;
	case MDB_READERS_FULL: case EAGAIN: s = CUSTOS_EBUSY; break;
	default: s = CUSTOS_EINTERNAL; break;
	}
	return custos_err_set(&st->err, s, "%s: %s", what, mdb_strerror(rc));
}

void custos_store__hdr_encode(uint8_t out[STORE_REC_HDR], const custos_store__rechdr_t *h)
{
	out[0] = h->format;
	out[1] = h->flags;
	out[2] = (uint8_t)(h->dict >> 8);
	out[3] = (uint8_t)h->dict;
	custos_store__be32(out + 4, h->version);
	memcpy(out + 8, h->content, 32);
	memcpy(out + 40, h->raw, 32);
	custos_store__be32(out + 72, h->normalized_len);
}

int custos_store__hdr_decode(custos_store__rechdr_t *h, const void *v, size_t n)
{
	const uint8_t *p = v;
	if (n < STORE_REC_HDR || p[0] != STORE_REC_FORMAT)
		return CUSTOS_ECORRUPT;
	h->format = p[0];
	h->flags = p[1];
	h->dict = (uint16_t)(p[2] << 8 | p[3]);
	h->version = custos_store__get32(p + 4);
	memcpy(h->content, p + 8, 32);
	memcpy(h->raw, p + 40, 32);
	h->normalized_len = custos_store__get32(p + 72);
	return CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * Persistent state. */

int custos_store__state_load(custos_store_t *st, MDB_txn *txn, custos_store__state_t *s)
{
	MDB_val k = { 5, "state" }, v;
	int rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc)
		return custos_store__mdb(st, rc, "cannot read store state");
	/* a later format may append fields; this one needs its own */
	if (v.mv_size < ST_N * 8 + CUSTOS_SHA256_LEN)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "store state is truncated");
	const uint8_t *p = v.mv_data;
	for (int i = 0; i < ST_N; i++)
		s->v[i] = custos_store__get64(p + 8 * i);
	memcpy(s->chain, p + 8 * ST_N, CUSTOS_SHA256_LEN);
	return CUSTOS_OK;
}

int custos_store__state_save(custos_store_t *st, MDB_txn *txn, const custos_store__state_t *s)
{
	uint8_t buf[ST_N * 8 + CUSTOS_SHA256_LEN];
	for (int i = 0; i < ST_N; i++)
		custos_store__be64(buf + 8 * i, s->v[i]);
	memcpy(buf + 8 * ST_N, s->chain, CUSTOS_SHA256_LEN);
	MDB_val k = { 5, "state" }, v = { sizeof buf, buf };
	return custos_store__mdb(st, mdb_put(txn, st->dbi[STORE_DB_META], &k, &v, 0),
	                         "cannot write store state");
}

int custos_store__platform_decode(custos_store__platform_t *p, const MDB_val *k, const MDB_val *v)
{
	memset(p, 0, sizeof *p);
	if (k->mv_size < 3 || k->mv_size - 2 >= sizeof p->name || v->mv_size < PL_N_OLD * 8 ||
	    v->mv_size % 8 || v->mv_size > PL_N * 8)
		return CUSTOS_ECORRUPT;
	memcpy(p->name, (const char *)k->mv_data + 2, k->mv_size - 2);
	/* a value written before the disposal counters has fewer fields */
	for (int i = 0; i < PL_N && (size_t)(i + 1) * 8 <= v->mv_size; i++)
		p->v[i] = custos_store__get64((const uint8_t *)v->mv_data + 8 * i);
	return CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * Keys and encryption. */

void custos_store__random_key(custos_store_t *st, uint8_t key[STORE_KEY_LEN])
{
	/* one getrandom for 128 keys instead of one per record */
	if (st->rnd_left < STORE_KEY_LEN) {
		randombytes_buf(st->rnd, sizeof st->rnd);
		st->rnd_left = sizeof st->rnd;
	}
	memcpy(key, st->rnd + sizeof st->rnd - st->rnd_left, STORE_KEY_LEN);
	sodium_memzero(st->rnd + sizeof st->rnd - st->rnd_left, STORE_KEY_LEN);
	st->rnd_left -= STORE_KEY_LEN;
}

void custos_store__crypt_to(uint8_t *out, const uint8_t *in, size_t n,
                            const uint8_t key[STORE_KEY_LEN], uint32_t nonce)
{
	uint8_t nb[crypto_stream_chacha20_ietf_NONCEBYTES] = { 0 };
	custos_store__be32(nb + sizeof nb - 4, nonce);
	crypto_stream_chacha20_ietf_xor(out, in, n, nb, key);
}

void custos_store__crypt(uint8_t *p, size_t n, const uint8_t key[STORE_KEY_LEN], uint32_t nonce)
{
	custos_store__crypt_to(p, p, n, key, nonce);
}

static const char *const key_file_names[2] = { "keys/slots", "keys/items" };

int custos_store__key_read(custos_store_t *st, int file, uint64_t slot,
                           uint8_t key[STORE_KEY_LEN])
{
	static const uint8_t zero[STORE_KEY_LEN];
	ssize_t got = pread(st->key_fd[file], key, STORE_KEY_LEN, (off_t)(slot * STORE_KEY_LEN));
	if (got < 0)
		return custos_err_set(&st->err, CUSTOS_EIO, "cannot read %s: %s",
		                      key_file_names[file], strerror(errno));
	if (got != STORE_KEY_LEN)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "%s: key slot %llu is missing",
		                      key_file_names[file], (unsigned long long)slot);
	if (memcmp(key, zero, STORE_KEY_LEN) == 0)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "%s: key slot %llu is shredded",
		                      key_file_names[file], (unsigned long long)slot);
	return CUSTOS_OK;
}

int custos_store__shred_slot(custos_store_t *st, int file, uint64_t slot)
{
	static const uint8_t zero[STORE_KEY_LEN];
	if (!(st->flags & CUSTOS_STORE_WRITE))
		return custos_err_set(&st->err, CUSTOS_EINVAL, "store is open read-only");
	ssize_t w = pwrite(st->key_fd[file], zero, STORE_KEY_LEN, (off_t)(slot * STORE_KEY_LEN));
	if (w != STORE_KEY_LEN)
		return custos_err_set(&st->err, CUSTOS_EIO, "cannot shred %s slot %llu: %s",
		                      key_file_names[file], (unsigned long long)slot,
		                      w < 0 ? strerror(errno) : "short write");
	if (fdatasync(st->key_fd[file]) != 0)
		return custos_err_set(&st->err, CUSTOS_EIO, "cannot sync %s: %s",
		                      key_file_names[file], strerror(errno));
	return CUSTOS_OK;
}

enum { KEY_BLOCK = 4096, KEY_BLOCK_SLOTS = KEY_BLOCK / STORE_KEY_LEN };

uint64_t custos_store__punch_zeroed(custos_store_t *st, int file, uint64_t from, uint64_t to)
{
	static const uint8_t zero[KEY_BLOCK];
	uint8_t buf[KEY_BLOCK];
	uint64_t punched = 0;
	int fd = st->key_fd[file];
	if (!(st->flags & CUSTOS_STORE_WRITE) || to < KEY_BLOCK_SLOTS - 1)
		return 0;
	/* the first block wholly within [from, to], and the one past the last */
	uint64_t b = (from + KEY_BLOCK_SLOTS - 1) / KEY_BLOCK_SLOTS;
	uint64_t end = (to + 1) / KEY_BLOCK_SLOTS;
	bool sweep = end - b > 1;   /* a range of blocks (compact), not a disposal's one */
	while (b < end) {
		/* in a sweep, holes already punched read as zeros: skip to the next data */
		off_t d = sweep ? lseek(fd, (off_t)(b * KEY_BLOCK), SEEK_DATA) : (off_t)(b * KEY_BLOCK);
		if (d < 0)
			break;   /* ENXIO: no data past b; any other error: stop trying */
		if ((uint64_t)d / KEY_BLOCK > b) {
			b = (uint64_t)d / KEY_BLOCK;
			continue;
		}
		ssize_t got;
		do
			got = pread(fd, buf, KEY_BLOCK, (off_t)(b * KEY_BLOCK));
		while (got < 0 && errno == EINTR);
		if (got != KEY_BLOCK)
			break;
		if (memcmp(buf, zero, KEY_BLOCK) == 0) {
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(b * KEY_BLOCK),
			              KEY_BLOCK) != 0)
				break;   /* not supported here (EOPNOTSUPP), or failing: keep the block */
			punched += KEY_BLOCK;
		}
		b++;
	}
	sodium_memzero(buf, sizeof buf);   /* it held live keys */
	return punched;
}

/* ---------------------------------------------------------------------------
 * Compression and dictionaries. */

/* The view's compression context, made at its first compression: a view
 * that only reads (a search, an export) never needs one. */
static int cctx_get(custos_store_t *st)
{
	if (st->cctx)
		return CUSTOS_OK;
	if (!(st->cctx = ZSTD_createCCtx()))
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	ZSTD_CCtx_setParameter(st->cctx, ZSTD_c_compressionLevel, st->level);
	ZSTD_CCtx_setParameter(st->cctx, ZSTD_c_checksumFlag, 0);
	ZSTD_CCtx_setParameter(st->cctx, ZSTD_c_dictIDFlag, 0);
	ZSTD_CCtx_setParameter(st->cctx, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(st->cctx, ZSTD_c_format, ZSTD_f_zstd1_magicless);
	return CUSTOS_OK;
}

int custos_store__compress(custos_store_t *st, const custos_store__dict_t *d,
                           const void *src, size_t n)
{
	size_t bound = ZSTD_compressBound(n), r;
	int err;
	st->comp.len = 0;
	if ((err = cctx_get(st)) < 0)
		return err;
	if ((err = custos_buf_reserve(&st->comp, bound)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	if (d) {
		/* the dictionary is shared: the first to compress with it makes the
		 * CDict, the others wait for it */
		custos_store__dict_t *w = (custos_store__dict_t *)d;
		pthread_mutex_lock(&st->sh->mu);
		if (!w->cdict)
			w->cdict = ZSTD_createCDict(w->raw, w->raw_len, st->level);
		pthread_mutex_unlock(&st->sh->mu);
		if (!w->cdict)
			return custos_err_set(&st->err, CUSTOS_ENOMEM, "dictionary %u: cannot make "
			                      "its compression tables: out of memory", w->id);
	}
	ZSTD_CCtx_reset(st->cctx, ZSTD_reset_session_only);
	r = ZSTD_CCtx_refCDict(st->cctx, d ? d->cdict : NULL);
	if (!ZSTD_isError(r))
		r = ZSTD_compress2(st->cctx, st->comp.data, bound, src, n);
	if (ZSTD_isError(r))
		return custos_err_set(&st->err, CUSTOS_EINTERNAL, "zstd compression failed: %s",
		                      ZSTD_getErrorName(r));
	st->comp.len = r;
	return CUSTOS_OK;
}

/* The view's decompression context, made at its first decompression: each
 * context asks the CPU what it has (CPUID, three times), a few tens of
 * microseconds in a virtual machine, which the archive's own handle and a
 * view that reads nothing need not pay (BENCHMARKS.md, "Start-up"). */
static int dctx_get(custos_store_t *st)
{
	if (st->dctx)
		return CUSTOS_OK;
	if (!(st->dctx = ZSTD_createDCtx()))
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	ZSTD_DCtx_setParameter(st->dctx, ZSTD_d_format, ZSTD_f_zstd1_magicless);
	return CUSTOS_OK;
}

int custos_store__decompress(custos_store_t *st, const custos_store__dict_t *d,
                             const void *src, size_t n)
{
	ZSTD_frameHeader fh;
	size_t r = ZSTD_getFrameHeader_advanced(&fh, src, n, ZSTD_f_zstd1_magicless);
	int err;
	st->plain.len = 0;
	if (r != 0 || fh.frameContentSize == ZSTD_CONTENTSIZE_UNKNOWN ||
	    fh.frameContentSize > STORE_PLAIN_MAX)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "bad compressed frame header");
	if ((err = custos_buf_reserve(&st->plain, (size_t)fh.frameContentSize + 1)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	if ((err = dctx_get(st)) < 0)
		return err;
	ZSTD_DCtx_reset(st->dctx, ZSTD_reset_session_only);
	r = ZSTD_DCtx_refDDict(st->dctx, d ? d->ddict : NULL);
	if (!ZSTD_isError(r))
		r = ZSTD_decompressDCtx(st->dctx, st->plain.data, (size_t)fh.frameContentSize + 1,
		                        src, n);
	if (ZSTD_isError(r))
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "does not decompress: %s",
		                      ZSTD_getErrorName(r));
	if (r != fh.frameContentSize)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "decompressed size mismatch");
	st->plain.len = r;
	st->plain.data[r] = 0;
	return CUSTOS_OK;
}

static void dict_destroy(custos_store__dict_t *d)
{
	if (!d)
		return;
	ZSTD_freeCDict(d->cdict);
	ZSTD_freeDDict(d->ddict);
	if (d->raw) {
		sodium_memzero(d->raw, d->raw_len);
		free(d->raw);
	}
	free(d);
}

void custos_store__dict_free(custos_store__dict_t *d)
{
	dict_destroy(d);
}

/* Makes dictionary id from raw, which it takes (freed, zeroed, with the
 * dictionary): its DDict refers to those bytes rather than copying them,
 * and the CDict is made from them at the first compression. */
static int dict_make_owned(custos_store_t *st, uint32_t id, uint8_t *raw, size_t n,
                           custos_store__dict_t **out)
{
	custos_store__dict_t *d = calloc(1, sizeof *d);
	*out = NULL;
	if (!d) {
		sodium_memzero(raw, n);
		free(raw);
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	}
	d->id = id;
	d->raw = raw;
	d->raw_len = n;
	d->ddict = ZSTD_createDDict_byReference(raw, n);
	if (!d->ddict) {
		dict_destroy(d);
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "dictionary %u is unusable", id);
	}
	*out = d;
	return CUSTOS_OK;
}

static int dict_make(custos_store_t *st, uint32_t id, const void *dict, size_t n,
                     custos_store__dict_t **out)
{
	uint8_t *raw = malloc(n ? n : 1);
	*out = NULL;
	if (!raw)
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	memcpy(raw, dict, n);
	return dict_make_owned(st, id, raw, n, out);
}

/* Puts d in the cache (sh->mu held); when another view cached the same id
 * meanwhile, d is freed and that one returned. */
static custos_store__dict_t *dict_insert(custos_store__shared_t *sh, custos_store__dict_t *d)
{
	for (size_t i = 0; i < sh->n_dicts; i++)
		if (sh->dicts[i]->id == d->id) {
			dict_destroy(d);
			return sh->dicts[i];
		}
	if (sh->n_dicts == sh->cap_dicts) {
		size_t cap = sh->cap_dicts ? sh->cap_dicts * 2 : 8;
		custos_store__dict_t **nv = realloc(sh->dicts, cap * sizeof *nv);
		if (!nv)
			return NULL;
		sh->dicts = nv;
		sh->cap_dicts = cap;
	}
	sh->dicts[sh->n_dicts++] = d;
	return d;
}

int custos_store__dict_add(custos_store_t *st, uint32_t id, const void *dict, size_t n)
{
	custos_store__dict_t *d;
	int err;
	if ((err = dict_make(st, id, dict, n, &d)) < 0)
		return err;
	pthread_mutex_lock(&st->sh->mu);
	custos_store__dict_t *in = dict_insert(st->sh, d);
	pthread_mutex_unlock(&st->sh->mu);
	if (!in) {
		dict_destroy(d);
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	}
	return CUSTOS_OK;
}

/* Takes dictionaries out of the cache (sh->mu held): those with id >= lo
 * and <= hi. One still held is freed by its last holder. */
static void dict_evict_range(custos_store__shared_t *sh, uint32_t lo, uint32_t hi)
{
	size_t j = 0;
	for (size_t i = 0; i < sh->n_dicts; i++) {
		custos_store__dict_t *d = sh->dicts[i];
		if (d->id >= lo && d->id <= hi) {
			if (d->refs)
				d->dead = true;
			else
				dict_destroy(d);
		} else {
			sh->dicts[j++] = d;
		}
	}
	sh->n_dicts = j;
}

void custos_store__dict_evict_from(custos_store_t *st, uint32_t first_id)
{
	pthread_mutex_lock(&st->sh->mu);
	dict_evict_range(st->sh, first_id, UINT32_MAX);
	pthread_mutex_unlock(&st->sh->mu);
}

void custos_store__dict_evict(custos_store_t *st, uint32_t id)
{
	pthread_mutex_lock(&st->sh->mu);
	dict_evict_range(st->sh, id, id);
	pthread_mutex_unlock(&st->sh->mu);
}

void custos_store__dict_put(custos_store_t *st, custos_store__dict_t *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&st->sh->mu);
	if (--d->refs == 0 && d->dead)
		dict_destroy(d);
	pthread_mutex_unlock(&st->sh->mu);
}

/* Dict value: u8 format, u64 slot, u32 len, sha256[32], u8 plen, platform,
 * u32 n, u64 seqs[n], encrypted dictionary. */
int custos_store__dict_load(custos_store_t *st, MDB_txn *txn, uint32_t id,
                            custos_store__dict_t **out)
{
	uint8_t kb[4], key[STORE_KEY_LEN], sum[32];
	MDB_val k = { 4, kb }, v;
	int rc, err;
	*out = NULL;
	custos_store__be32(kb, id);
	if ((rc = mdb_get(txn, st->dbi[STORE_DB_DICTS], &k, &v)) != 0) {
		if (rc == MDB_NOTFOUND)
			return custos_err_set(&st->err, CUSTOS_ECORRUPT, "dictionary %u is missing", id);
		return custos_store__mdb(st, rc, "cannot read dictionary");
	}
	const uint8_t *p = v.mv_data;
	size_t n = v.mv_size, off;
	if (n < 46 || p[0] != 1)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "dictionary %u: bad header", id);
	uint64_t slot = custos_store__get64(p + 1);
	uint32_t dlen = custos_store__get32(p + 9);
	off = 45 + p[45] + 1;
	if (off + 4 > n)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "dictionary %u: bad header", id);
	off += 4 + 8 * (size_t)custos_store__get32(p + off);
	if (off > n || n - off != dlen)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "dictionary %u: bad length", id);
	/* a dictionary trained in the open batch has its key staged, not on disk yet */
	custos_batch_t *b = st->batch;
	if (b && slot >= b->first_item_slot &&
	    slot < b->first_item_slot + b->item_keys.len / STORE_KEY_LEN)
		memcpy(key, b->item_keys.data + (slot - b->first_item_slot) * STORE_KEY_LEN,
		       STORE_KEY_LEN);
	else if ((err = custos_store__key_read(st, STORE_KEYS_ITEMS, slot, key)) < 0)
		return custos_err_prefix(&st->err, "dictionary %u", id);
	/* decrypted from LMDB's map straight into the bytes the dictionary
	 * keeps: one pass over 110 KB, not three copies (BENCHMARKS.md,
	 * "Start-up") */
	uint8_t *d = malloc(dlen ? dlen : 1);
	if (!d) {
		sodium_memzero(key, sizeof key);
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	}
	custos_store__crypt_to(d, p + off, dlen, key, 0);
	sodium_memzero(key, sizeof key);
	custos_sha256(sum, d, dlen);
	if (memcmp(sum, p + 13, 32) != 0) {
		sodium_memzero(d, dlen);
		free(d);
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "dictionary %u: hash mismatch", id);
	}
	return dict_make_owned(st, id, d, dlen, out);
}

int custos_store__dict_get(custos_store_t *st, MDB_txn *txn, uint32_t id,
                           custos_store__dict_t **out)
{
	custos_store__shared_t *sh = st->sh;
	custos_store__dict_t *d;
	int err;
	*out = NULL;
	pthread_mutex_lock(&sh->mu);
	for (size_t i = 0; i < sh->n_dicts; i++)
		if (sh->dicts[i]->id == id) {
			sh->dicts[i]->refs++;
			*out = sh->dicts[i];
			pthread_mutex_unlock(&sh->mu);
			return CUSTOS_OK;
		}
	pthread_mutex_unlock(&sh->mu);
	/* decrypted outside the lock: other views go on meanwhile */
	if ((err = custos_store__dict_load(st, txn, id, &d)) < 0)
		return err;
	pthread_mutex_lock(&sh->mu);
	custos_store__dict_t *in = dict_insert(sh, d);
	if (in)
		in->refs++;
	pthread_mutex_unlock(&sh->mu);
	if (!in) {
		dict_destroy(d);
		return custos_err_set(&st->err, CUSTOS_ENOMEM, "out of memory");
	}
	*out = in;
	return CUSTOS_OK;
}

/* ---------------------------------------------------------------------------
 * Record decoding. */

int custos_store__record_plain(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                               const MDB_val *v, const uint8_t *key_in,
                               custos_store__rechdr_t *h)
{
	uint8_t key[STORE_KEY_LEN], sum[32];
	custos_store__dict_t *d = NULL;
	int err;
	if (custos_store__hdr_decode(h, v->mv_data, v->mv_size) < 0)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "seq %llu: bad record header",
		                      (unsigned long long)seq);
	if (h->flags & STORE_REC_DISPOSED)
		return custos_err_set(&st->err, CUSTOS_ENOTFOUND, "seq %llu: disposed",
		                      (unsigned long long)seq);
	if (h->dict && (err = custos_store__dict_get(st, txn, h->dict, &d)) < 0)
		return custos_err_prefix(&st->err, "seq %llu", (unsigned long long)seq);
	if (key_in)
		memcpy(key, key_in, STORE_KEY_LEN);
	else if ((err = custos_store__key_read(st, STORE_KEYS_RECORDS, seq, key)) < 0) {
		custos_store__dict_put(st, d);
		return custos_err_prefix(&st->err, "seq %llu", (unsigned long long)seq);
	}
	/* decrypt into comp, never in LMDB's read-only map */
	size_t n = v->mv_size - STORE_REC_HDR;
	st->comp.len = 0;
	if ((err = custos_buf_reserve(&st->comp, n)) < 0) {
		custos_store__dict_put(st, d);
		return custos_err_set(&st->err, err, "out of memory");
	}
	custos_store__crypt_to((uint8_t *)st->comp.data, (const uint8_t *)v->mv_data + STORE_REC_HDR,
	                       n, key, h->dict);
	sodium_memzero(key, sizeof key);
	err = custos_store__decompress(st, d, st->comp.data, n);
	custos_store__dict_put(st, d);
	if (err < 0)
		return custos_err_prefix(&st->err, "seq %llu: payload", (unsigned long long)seq);
	if (h->normalized_len > st->plain.len)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "seq %llu: bad normalized length",
		                      (unsigned long long)seq);
	custos_sha256(sum, st->plain.data + h->normalized_len, st->plain.len - h->normalized_len);
	if (memcmp(sum, h->raw, 32) != 0)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "seq %llu: raw bytes hash mismatch",
		                      (unsigned long long)seq);
	return CUSTOS_OK;
}

int custos_store__record_decode(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                                const MDB_val *v, custos_record_t *rec)
{
	custos_store__rechdr_t h;
	char hex[CUSTOS_SHA256_HEX];
	custos_err_t perr;
	int err;
	custos_record_reset(rec);
	if ((err = custos_store__record_plain(st, txn, seq, v, NULL, &h)) < 0)
		return err;
	uint32_t file_ref;
	if ((err = custos_record_from_json_stored(rec, st->plain.data, h.normalized_len, &file_ref,
	                                          &perr)) < 0)
		return custos_err_set(&st->err, err == CUSTOS_ENOMEM ? err : CUSTOS_ECORRUPT,
		                      "seq %llu: normalized record does not parse: %s",
		                      (unsigned long long)seq, perr.msg);
	/* the input file's name and hash, stored once for all its records */
	if (file_ref && (err = custos_store__source_resolve(st, txn, seq, h.version, file_ref,
	                                                       rec)) < 0)
		return err;
	size_t rawlen = st->plain.len - h.normalized_len;
	if ((err = custos_record_set_raw(rec, rawlen ? st->plain.data + h.normalized_len : NULL,
	                                 rawlen)) < 0)
		return custos_err_set(&st->err, err, "out of memory");
	if (!rawlen) {
		rec->raw = NULL;
		rec->raw_len = 0;
	}
	/* the stored form leaves out what the header and key say */
	if (!rec->version)
		rec->version = h.version;
	if (!rec->seq)
		rec->seq = seq;
	/* the content hash as custos_record_hash computes it, serializing the
	 * stored form in the same pass (kept in st->canon for the readers) */
	uint8_t content[CUSTOS_SHA256_LEN];
	st->canon.len = 0;
	if ((err = custos_record_to_json_hashed(rec, &st->canon, content)) < 0)
		return custos_err_set(&st->err, err, "seq %llu: cannot hash record",
		                      (unsigned long long)seq);
	custos_hex(rec->content_sha256, content, 32);
	custos_hex(hex, h.content, 32);
	if (strcmp(hex, rec->content_sha256) != 0)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                      "record %s version %u (seq %llu): content hash mismatch",
		                      rec->id ? rec->id : "?", h.version, (unsigned long long)seq);
	if (rec->version != h.version || rec->seq != seq)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT,
		                      "record %s version %u (seq %llu): header says version %u",
		                      rec->id ? rec->id : "?", rec->version,
		                      (unsigned long long)seq, h.version);
	return CUSTOS_OK;
}

/* Waits until no resize is under way and counts a transaction about to begin. */
static void gate_enter(custos_store__shared_t *sh)
{
	pthread_mutex_lock(&sh->mu);
	while (sh->resizing)
		pthread_cond_wait(&sh->cv, &sh->mu);
	sh->txns++;
	pthread_mutex_unlock(&sh->mu);
}

static void gate_leave(custos_store__shared_t *sh)
{
	pthread_mutex_lock(&sh->mu);
	if (--sh->txns == 0 && sh->resizing)
		pthread_cond_broadcast(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
}

int custos_store__resize(custos_store_t *st, size_t size)
{
	custos_store__shared_t *sh = st->sh;
	int rc;
	pthread_mutex_lock(&sh->mu);
	while (sh->resizing)   /* another thread is at it: its size will do */
		pthread_cond_wait(&sh->cv, &sh->mu);
	sh->resizing = true;
	while (sh->txns)
		pthread_cond_wait(&sh->cv, &sh->mu);
	rc = mdb_env_set_mapsize(sh->env, size);
	sh->map_gen++;   /* mapped anew, wherever the kernel put it */
	if (rc == 0) {
		MDB_envinfo info;
		if (mdb_env_info(sh->env, &info) == 0)
			sh->mapsize = info.me_mapsize;
	}
	sh->resizing = false;
	pthread_cond_broadcast(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
	return custos_store__mdb(st, rc, "cannot resize the store map");
}

static int txn_begin(custos_store_t *st, unsigned flags, MDB_txn **txn)
{
	int rc;
	for (int tries = 0;; tries++) {
		gate_enter(st->sh);
		rc = mdb_txn_begin(st->env, NULL, flags, txn);
		if (rc == 0)
			return CUSTOS_OK;
		gate_leave(st->sh);
		*txn = NULL;
		if (rc != MDB_MAP_RESIZED || tries == 3)
			break;
		/* another process grew the map: adopt its size and retry */
		int err = custos_store__resize(st, 0);
		if (err < 0)
			return err;
	}
	return custos_store__mdb(st, rc, flags & MDB_RDONLY ? "cannot begin read transaction"
	                                                    : "cannot begin write transaction");
}

int custos_store__read_txn(custos_store_t *st, MDB_txn **txn)
{
	if (st->snap) {
		*txn = st->snap;
		return CUSTOS_OK;
	}
	return txn_begin(st, MDB_RDONLY, txn);
}

void custos_store__read_done(custos_store_t *st, MDB_txn *txn)
{
	if (!txn || txn == st->snap)
		return;
	mdb_txn_abort(txn);
	gate_leave(st->sh);
}

int custos_store__read_end(custos_store_t *st, MDB_txn *txn, MDB_cursor *c, int rc, int err,
                           const char *what)
{
	if (c)
		mdb_cursor_close(c);
	custos_store__read_done(st, txn);
	if (!err && rc)
		err = custos_store__mdb(st, rc, what);
	return err;
}

int custos_store__write_txn(custos_store_t *st, MDB_txn **txn)
{
	return txn_begin(st, 0, txn);
}

void custos_store__txn_end(custos_store_t *st, MDB_txn *txn, bool commit, int *rc)
{
	if (!txn)
		return;
	if (commit)
		*rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	gate_leave(st->sh);
}

int custos_store_snapshot(custos_store_t *st, bool pin)
{
	if (!pin) {
		MDB_txn *t = st->snap;
		st->snap = NULL;
		custos_store__read_done(st, t);
		return CUSTOS_OK;
	}
	if (st->snap)
		return CUSTOS_OK;
	MDB_txn *t;
	int err = txn_begin(st, MDB_RDONLY, &t);
	if (err == CUSTOS_OK)
		st->snap = t;
	return err;
}

int custos_store__snapshot_nowait(custos_store_t *st)
{
	custos_store__shared_t *sh = st->sh;
	MDB_txn *t;
	int rc;
	if (st->snap)
		return CUSTOS_OK;
	/* gate_enter without its wait: a resize waits for every transaction of
	 * the process, the caller's pinned one among them, so waiting for the
	 * resize here would wait for ever */
	pthread_mutex_lock(&sh->mu);
	if (sh->resizing) {
		pthread_mutex_unlock(&sh->mu);
		return custos_err_set(&st->err, CUSTOS_EBUSY, "the store's map is being resized");
	}
	sh->txns++;
	pthread_mutex_unlock(&sh->mu);
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &t)) != 0) {
		gate_leave(sh);
		if (rc == MDB_MAP_RESIZED)   /* a later commit grew the map: not the snapshot */
			return custos_err_set(&st->err, CUSTOS_EBUSY, "the store changed after the "
			                      "snapshot was taken (its map grew)");
		return custos_store__mdb(st, rc, "cannot begin read transaction");
	}
	st->snap = t;
	return CUSTOS_OK;
}

bool custos_store_pinned(const custos_store_t *st)
{
	return st->snap != NULL;
}

int custos_store__id_of_seq(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                            char *out, size_t cap)
{
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t want[8];
	int rc;
	custos_store__be64(want, seq);
	if (mdb_cursor_open(txn, st->dbi[STORE_DB_IDS], &c) != 0)
		return CUSTOS_ENOTFOUND;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (v.mv_size == 8 && memcmp(v.mv_data, want, 8) == 0) {
			snprintf(out, cap, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
			mdb_cursor_close(c);
			return CUSTOS_OK;
		}
	}
	mdb_cursor_close(c);
	return CUSTOS_ENOTFOUND;
}

/* ---------------------------------------------------------------------------
 * Opening. */

static int path_join(custos_store_t *st, char *out, size_t cap, const char *name)
{
	if ((size_t)snprintf(out, cap, "%s/%s", st->dir, name) >= cap)
		return custos_err_set(&st->err, CUSTOS_EINVAL, "archive path is too long");
	return CUSTOS_OK;
}

static int fsync_path(custos_store_t *st, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return custos_err_set(&st->err, CUSTOS_EIO, "cannot open '%s': %s", path,
		                      strerror(errno));
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		return custos_err_set(&st->err, CUSTOS_EIO, "cannot sync '%s': %s", path,
		                      strerror(e));
	}
	if (close(fd) != 0)
		return custos_err_set(&st->err, CUSTOS_EIO, "cannot close '%s': %s", path,
		                      strerror(errno));
	return CUSTOS_OK;
}

static int errno_status(int e)
{
	return e == EACCES || e == EPERM || e == EROFS ? CUSTOS_EACCESS
	     : e == ENOENT ? CUSTOS_ENOTFOUND : CUSTOS_EIO;
}

static int make_dir(custos_store_t *st, const char *path, bool may_exist)
{
	if (mkdir(path, 0700) != 0 && !(may_exist && errno == EEXIST))
		return custos_err_set(&st->err, errno == EEXIST ? CUSTOS_EEXISTS : errno_status(errno),
		                      "cannot create '%s': %s", path, strerror(errno));
	return CUSTOS_OK;
}

static int create_layout(custos_store_t *st)
{
	char p[4096];
	int err;
	if ((err = make_dir(st, st->dir, true)) < 0)
		return err;
	if ((err = path_join(st, p, sizeof p, "store")) < 0)
		return err;
	if ((err = make_dir(st, p, false)) < 0) {
		if (err == CUSTOS_EEXISTS)
			custos_err_set(&st->err, err, "'%s' is already an archive", st->dir);
		return err;
	}
	if ((err = path_join(st, p, sizeof p, "keys")) < 0 || (err = make_dir(st, p, true)) < 0)
		return err;
	if ((err = fsync_path(st, p)) < 0 || (err = fsync_path(st, st->dir)) < 0)
		return err;
	/* the archive dir's parent learns about a new archive dir too */
	char parent[4096];
	snprintf(parent, sizeof parent, "%s/..", st->dir);
	return fsync_path(st, parent);
}

/* Nothing of an archive is for other users (docs/threat-model.md): its
 * root directory, which custos init makes 0700, is what keeps them out of
 * everything below, whatever modes libraries gave the files there. */
static int check_private(custos_store_t *st)
{
	struct stat sb;
	if (stat(st->dir, &sb) != 0)
		return custos_err_set(&st->err, errno_status(errno), "cannot open archive '%s': %s",
		                      st->dir, strerror(errno));
	if (sb.st_mode & 077)
		return custos_err_set(&st->err, CUSTOS_EACCESS, "archive '%s' is open to other users "
		                      "(mode %04o): custos keeps an archive private to its owner; "
		                      "'chmod 700' it to go on", st->dir, (unsigned)(sb.st_mode & 07777));
	return CUSTOS_OK;
}

/* Who holds the writer lock, as its holder wrote it into the lock file
 * ("pid 1234: custos serve"), for the message of the one turned away. */
static void lock_holder(int fd, char *out, size_t cap)
{
	ssize_t n = pread(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = 0;
	out[strcspn(out, "\n")] = 0;
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* Writes "pid N: <program> <command>" into the lock file we now hold. */
static void lock_claim(int fd)
{
	char cmd[256] = "", what[200] = "", line[260];
	int cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		ssize_t n = read(cfd, cmd, sizeof cmd - 1);
		close(cfd);
		cmd[n > 0 ? n : 0] = 0;
		const char *end = cmd + (n > 0 ? n : 0), *base = strrchr(cmd, '/');
		const char *next = cmd + strlen(cmd) + 1;
		/* skip the global options to reach the command name */
		while (next < end && next[0] == '-') {
			bool takes = !strcmp(next, "--archive") || !strcmp(next, "--actor");
			next += strlen(next) + 1;
			if (takes && next < end)
				next += strlen(next) + 1;
		}
		snprintf(what, sizeof what, "%.80s%s%.80s", base ? base + 1 : cmd,
		         next < end ? " " : "", next < end ? next : "");
	}
	int len = snprintf(line, sizeof line, "pid %ld: %s\n", (long)getpid(), what);
	/* informative only: a failure here changes nothing */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)len, 0) == len)
		return;
}

static int take_lock(custos_store_t *st, custos_store__shared_t *sh)
{
	char p[4096];
	int err;
	if ((err = path_join(st, p, sizeof p, "lock")) < 0)
		return err;
	sh->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sh->lock_fd < 0)
		return custos_err_set(&st->err, errno_status(errno), "cannot open '%s': %s", p,
		                      strerror(errno));
	int how = LOCK_EX | ((st->flags & CUSTOS_STORE_WAIT) ? 0 : LOCK_NB);
	while (flock(sh->lock_fd, how) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			char who[200];
			lock_holder(sh->lock_fd, who, sizeof who);
			if (who[0])
				return custos_err_set(&st->err, CUSTOS_EBUSY,
				                      "another custos process is writing to '%s' (%s)",
				                      st->dir, who);
			return custos_err_set(&st->err, CUSTOS_EBUSY,
			                      "another custos process is writing to '%s'", st->dir);
		}
		return custos_err_set(&st->err, CUSTOS_EIO, "cannot lock '%s': %s", p,
		                      strerror(errno));
	}
	lock_claim(sh->lock_fd);
	return CUSTOS_OK;
}

static int open_key_files(custos_store_t *st)
{
	char p[4096];
	int err;
	for (int i = 0; i < 2; i++) {
		if ((err = path_join(st, p, sizeof p, key_file_names[i])) < 0)
			return err;
		int fl = (st->flags & CUSTOS_STORE_WRITE) ? O_RDWR | O_CREAT : O_RDONLY;
		st->key_fd[i] = open(p, fl | O_CLOEXEC, 0600);
		if (st->key_fd[i] < 0) {
			if (errno == ENOENT)
				return custos_err_set(&st->err, CUSTOS_ECORRUPT, "'%s' is missing", p);
			return custos_err_set(&st->err, errno_status(errno), "cannot open '%s': %s", p,
			                      strerror(errno));
		}
	}
	return CUSTOS_OK;
}

static size_t env_size(const char *name, size_t dflt)
{
	const char *s = getenv(name);
	char *end;
	if (!s || !*s)
		return dflt;
	unsigned long long v = strtoull(s, &end, 10);
	return *end || !v ? dflt : (size_t)v;
}

/* Opens the named databases and checks the format; creates them with CREATE. */
static int open_dbs(custos_store_t *st)
{
	MDB_txn *txn = NULL;
	bool create = st->flags & CUSTOS_STORE_CREATE;
	int rc, err = CUSTOS_OK;
	rc = mdb_txn_begin(st->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc)
		return custos_store__mdb(st, rc, "cannot begin transaction");
	rc = mdb_dbi_open(txn, db_names[STORE_DB_META], create ? MDB_CREATE : 0,
	                  &st->dbi[STORE_DB_META]);
	if (rc == MDB_NOTFOUND) {
		err = custos_err_set(&st->err, CUSTOS_ENOTARCHIVE, "'%s' is not a custos archive",
		                     st->dir);
		goto done;
	}
	if (rc) {
		err = custos_store__mdb(st, rc, "cannot open store");
		goto done;
	}
	MDB_val k = { 6, "format" }, v;
	if (create) {
		uint8_t fmt[4];
		custos_store__be32(fmt, CUSTOS_STORE_FORMAT);
		v.mv_size = 4;
		v.mv_data = fmt;
		if ((rc = mdb_put(txn, st->dbi[STORE_DB_META], &k, &v, MDB_NOOVERWRITE)) != 0) {
			err = rc == MDB_KEYEXIST
			    ? custos_err_set(&st->err, CUSTOS_EEXISTS, "'%s' is already an archive", st->dir)
			    : custos_store__mdb(st, rc, "cannot write store format");
			goto done;
		}
	} else {
		if ((rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v)) != 0 || v.mv_size != 4) {
			err = custos_err_set(&st->err, CUSTOS_ENOTARCHIVE,
			                     "'%s' is not a custos archive (no store format)", st->dir);
			goto done;
		}
		uint32_t fmt = custos_store__get32(v.mv_data);
		if (fmt > CUSTOS_STORE_FORMAT) {
			err = custos_err_set(&st->err, CUSTOS_EVERSION,
			                     "'%s' was written by a newer custos (store format %u, "
			                     "this one reads up to %u)", st->dir, fmt, CUSTOS_STORE_FORMAT);
			goto done;
		}
	}
	for (int i = 1; i < STORE_DB_N; i++) {
		rc = mdb_dbi_open(txn, db_names[i], db_flags[i] | (create ? MDB_CREATE : 0),
		                  &st->dbi[i]);
		/* a store of an earlier custos has no media index: a writer's open
		 * builds it (custos_store__upgrade); a reader does without */
		if (rc == MDB_NOTFOUND && i == STORE_DB_MEDIA) {
			st->dbi[i] = 0;
			continue;
		}
		if (rc) {
			err = rc == MDB_NOTFOUND
			    ? custos_err_set(&st->err, CUSTOS_ECORRUPT, "store: database '%s' is missing",
			                     db_names[i])
			    : custos_store__mdb(st, rc, "cannot open store database");
			goto done;
		}
	}
	if (create) {
		custos_store__state_t s;
		memset(&s, 0, sizeof s);
		s.v[ST_NEXT_SEQ] = s.v[ST_NEXT_ITEM_SLOT] = s.v[ST_NEXT_QUARANTINE] = 1;
		s.v[ST_NEXT_BATCH] = s.v[ST_NEXT_DICT] = 1;
		if ((err = custos_store__state_save(st, txn, &s)) < 0)
			goto done;
		/* a new store keeps its media index from the first record */
		MDB_val mk = { 11, "media-index" }, mv = { 1, "\1" };
		if ((rc = mdb_put(txn, st->dbi[STORE_DB_META], &mk, &mv, 0)) != 0) {
			err = custos_store__mdb(st, rc, "cannot create store");
			goto done;
		}
		rc = mdb_txn_commit(txn);
		txn = NULL;
		if (rc) {
			err = custos_store__mdb(st, rc, "cannot create store");
			goto done;
		}
	}
done:
	/* committing (even a read txn) is what keeps the DBI handles open */
	if (txn && err == CUSTOS_OK && (rc = mdb_txn_commit(txn)) != 0)
		err = custos_store__mdb(st, rc, "cannot open store databases");
	else if (txn && err < 0)
		mdb_txn_abort(txn);
	return err;
}

/* data.mdb holds every page its meta page names: LMDB maps the file and
 * reads pages past a cut-off end as SIGBUS, so a file cut short (a copy
 * that stopped, a truncation) is refused by name before anything reads. */
static int check_size(custos_store_t *st)
{
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	char p[4200];
	int rc;
	if ((rc = mdb_env_info(st->env, &info)) != 0 || (rc = mdb_env_stat(st->env, &ms)) != 0)
		return custos_store__mdb(st, rc, "cannot read the store's meta page");
	snprintf(p, sizeof p, "%s/store/data.mdb", st->dir);
	if (stat(p, &sb) != 0)
		return custos_err_set(&st->err, errno_status(errno), "cannot stat '%s': %s", p,
		                      strerror(errno));
	uint64_t need = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if ((uint64_t)sb.st_size < need)
		return custos_err_set(&st->err, CUSTOS_ECORRUPT, "store/data.mdb is cut short: it "
		                      "holds %llu bytes, but its pages run to %llu: it was truncated "
		                      "behind custos's back (restore it from a backup)",
		                      (unsigned long long)sb.st_size, (unsigned long long)need);
	return CUSTOS_OK;
}

/* Copies the shared fixed fields into a view. */
static void view_bind(custos_store_t *st, custos_store__shared_t *sh)
{
	st->sh = sh;
	st->dir = sh->dir;
	st->flags = sh->flags;
	st->key_fd[0] = sh->key_fd[0];
	st->key_fd[1] = sh->key_fd[1];
	st->env = sh->env;
	memcpy(st->dbi, sh->dbi, sizeof st->dbi);
	st->dict_after = sh->dict_after;
	st->dict_size = sh->dict_size;
	st->dict_window = sh->dict_window;
	st->level = sh->level;
}

static void shared_free(custos_store__shared_t *sh)
{
	if (!sh)
		return;
	for (size_t i = 0; i < sh->n_dicts; i++)
		dict_destroy(sh->dicts[i]);
	free(sh->dicts);
	if (sh->env)
		mdb_env_close(sh->env);
	for (int i = 0; i < 2; i++)
		if (sh->key_fd[i] >= 0)
			close(sh->key_fd[i]);
	if (sh->lock_fd >= 0)
		close(sh->lock_fd);   /* releases the flock */
	pthread_mutex_destroy(&sh->mu);
	pthread_cond_destroy(&sh->cv);
	free(sh->dir);
	free(sh);
}

int custos_store_open(custos_store_t **out, const char *dir, unsigned flags, custos_err_t *err)
{
	custos_store_t *st;
	custos_store__shared_t *sh;
	char p[4096];
	struct stat sb;
	int e = CUSTOS_OK, rc;

	*out = NULL;
	if (flags & CUSTOS_STORE_CREATE)
		flags |= CUSTOS_STORE_WRITE;
	st = calloc(1, sizeof *st);
	sh = calloc(1, sizeof *sh);
	if (!st || !sh || !(sh->dir = strdup(dir))) {
		free(st);
		if (sh)
			free(sh->dir);
		free(sh);
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&sh->mu, NULL);
	pthread_cond_init(&sh->cv, NULL);
	sh->views = 1;
	sh->lock_fd = sh->key_fd[0] = sh->key_fd[1] = -1;
	sh->flags = flags;
	sh->level = STORE_LEVEL;
	sh->mapsize = env_size("CUSTOS_TEST_MAPSIZE", STORE_MAPSIZE);
	sh->map_gen = 1;
	sh->dict_after = (unsigned)env_size("CUSTOS_TEST_DICT_AFTER", STORE_DICT_AFTER);
	sh->dict_size = STORE_DICT_SIZE;
	sh->dict_window = (unsigned)env_size("CUSTOS_TEST_DICT_WINDOW", STORE_DICT_WINDOW);
	view_bind(st, sh);
	if (flags & CUSTOS_STORE_CREATE) {
		if ((e = create_layout(st)) < 0)
			goto done;
	} else {
		if ((e = path_join(st, p, sizeof p, "store/data.mdb")) < 0)
			goto done;
		if (stat(st->dir, &sb) != 0) {
			int en = errno;
			e = custos_err_set(&st->err, en == ENOENT ? CUSTOS_ENOTARCHIVE : errno_status(en),
			                   "cannot open archive '%s': %s", st->dir, strerror(en));
			goto done;
		}
		if (stat(p, &sb) != 0) {
			int en = errno;
			char k[4200];
			snprintf(k, sizeof k, "%s/keys/slots", st->dir);
			/* the rest of an archive is there: its store went missing */
			if (en == ENOENT && access(k, F_OK) == 0)
				e = custos_err_set(&st->err, CUSTOS_ECORRUPT, "'%s': store/data.mdb is "
				                   "missing: it was removed behind custos's back (restore it "
				                   "from a backup)", st->dir);
			else if (en == ENOENT)
				e = custos_err_set(&st->err, CUSTOS_ENOTARCHIVE,
				                   "'%s' is not a custos archive", st->dir);
			else
				e = custos_err_set(&st->err, errno_status(en), "cannot open archive '%s': %s",
				                   st->dir, strerror(en));
			goto done;
		}
	}
	if ((e = check_private(st)) < 0)
		goto done;
	if ((flags & CUSTOS_STORE_WRITE) && (e = take_lock(st, sh)) < 0)
		goto done;
	if ((rc = mdb_env_create(&sh->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(sh->env, 16)) != 0 ||
	    (rc = mdb_env_set_mapsize(sh->env, sh->mapsize)) != 0) {
		e = custos_store__mdb(st, rc, "cannot create store environment");
		goto done;
	}
	st->env = sh->env;
	if ((e = path_join(st, p, sizeof p, "store")) < 0)
		goto done;
	/* NOTLS: a view's read transactions move between threads (a session
	 * serves one request at a time, from whichever thread has it) */
	/* under the gate: a compaction does not swap data.mdb between LMDB's
	 * opening of lock.mdb and of data.mdb (store_compact.c) */
	int gate = -1;
	if (!(flags & CUSTOS_STORE_CREATE) && custos_store__gate(p, false, &gate) != 0) {
		e = custos_err_set(&st->err, errno_status(errno), "cannot open '%s': %s", p,
		                   strerror(errno));
		goto done;
	}
	rc = mdb_env_open(sh->env, p, MDB_NOTLS | MDB_NORDAHEAD |
	                  ((flags & CUSTOS_STORE_WRITE) ? 0 : MDB_RDONLY), 0600);
	/* a reader of a store whose directory it may not write (a read-only
	 * copy): LMDB cannot open its lock file there, so the store is read
	 * without it (custos_store_lockless says so) */
	if ((rc == EACCES || rc == EPERM || rc == EROFS) && !(flags & CUSTOS_STORE_WRITE)) {
		mdb_env_close(sh->env);
		sh->env = st->env = NULL;
		if ((rc = mdb_env_create(&sh->env)) != 0 ||
		    (rc = mdb_env_set_maxdbs(sh->env, 16)) != 0 ||
		    (rc = mdb_env_set_mapsize(sh->env, sh->mapsize)) != 0) {
			custos_store__gate_release(gate);
			e = custos_store__mdb(st, rc, "cannot create store environment");
			goto done;
		}
		st->env = sh->env;
		rc = mdb_env_open(sh->env, p, MDB_NOTLS | MDB_NORDAHEAD | MDB_RDONLY | MDB_NOLOCK, 0600);
		sh->lockless = rc == 0;
	}
	custos_store__gate_release(gate);
	if (rc) {
		e = custos_store__mdb(st, rc, "cannot open store");
		custos_err_prefix(&st->err, "'%s'", st->dir);
		goto done;
	}
	if (!(flags & CUSTOS_STORE_CREATE) && (e = check_size(st)) < 0)
		goto done;
	if ((e = open_dbs(st)) < 0)
		goto done;
	memcpy(sh->dbi, st->dbi, sizeof sh->dbi);
	e = open_key_files(st);
	sh->key_fd[0] = st->key_fd[0];
	sh->key_fd[1] = st->key_fd[1];
	if (e < 0)
		goto done;
	if (flags & CUSTOS_STORE_CREATE) {
		/* data.mdb, lock.mdb and the key files are new directory entries */
		char k[4096];
		if ((e = path_join(st, k, sizeof k, "keys")) < 0 || (e = fsync_path(st, p)) < 0 ||
		    (e = fsync_path(st, k)) < 0)
			goto done;
	}
	/* what an earlier custos did not keep, then a disposal interrupted after
	 * its tombstones committed: shred its keys now */
	if ((flags & CUSTOS_STORE_WRITE) && !(flags & CUSTOS_STORE_CREATE) &&
	    ((e = custos_store__upgrade(st)) < 0 || (e = custos_store_dispose_complete(st, NULL)) < 0))
		goto done;
done:
	if (e < 0) {
		if (err) {
			err->status = e;
			memcpy(err->msg, st->err.msg, sizeof err->msg);
		}
		/* the fds copied into the view belong to sh */
		custos_store_free(st);
		return e;
	}
	*out = st;
	return CUSTOS_OK;
}

int custos_store_view(custos_store_t **out, custos_store_t *st, custos_err_t *err)
{
	custos_store_t *v = calloc(1, sizeof *v);
	*out = NULL;
	if (!v)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	/* its zstd contexts (no zstd checksum, dict id or magic: the SHA-256s
	 * give integrity) are made when first needed: cctx_get, dctx_get */
	view_bind(v, st->sh);
	pthread_mutex_lock(&st->sh->mu);
	st->sh->views++;
	pthread_mutex_unlock(&st->sh->mu);
	*out = v;
	return CUSTOS_OK;
}

void custos_store_free(custos_store_t *st)
{
	if (!st)
		return;
	if (st->batch)
		custos_store_abort(st->batch);
	custos_store_snapshot(st, false);
	ZSTD_freeCCtx(st->cctx);
	ZSTD_freeDCtx(st->dctx);
	if (st->plain.data)
		sodium_memzero(st->plain.data, st->plain.cap);
	custos_buf_free(&st->plain);
	custos_buf_free(&st->comp);
	custos_buf_free(&st->json);
	custos_buf_free(&st->log_spare);
	custos_buf_free(&st->canon);
	custos_store__source_view_free(st);
	sodium_memzero(st->rnd, sizeof st->rnd);
	custos_store__shared_t *sh = st->sh;
	free(st);
	pthread_mutex_lock(&sh->mu);
	bool last = --sh->views == 0;
	pthread_mutex_unlock(&sh->mu);
	if (last)
		shared_free(sh);
}

bool custos_store_lockless(const custos_store_t *st)
{
	return st->sh->lockless;
}

const custos_err_t *custos_store_err(const custos_store_t *st)
{
	return &st->err;
}
