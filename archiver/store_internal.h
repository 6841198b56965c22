/* Internals of the record store shared by archiver/store*.c. Not a public
 * header: docs/storage.md describes the on-disk layout these define. */
#ifndef CUSTOS_STORE_INTERNAL_H
#define CUSTOS_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_c_format: magicless frames save 4 bytes a record */
#include <zstd.h>

#include "custos_archiver.h"

/* Version of the store layout written in meta "format". A store with a
 * higher number is refused with CUSTOS_EVERSION and left untouched. */
#define CUSTOS_STORE_FORMAT 3   /* 2: batch entries carry anchors; 3: records may
                                   * name their source file by reference */

/* Named databases of the one LMDB environment in <archive>/store. */
enum {
	STORE_DB_META,        /* "format" → u32; "state" → counters; "p:<platform>" → per platform */
	STORE_DB_RECORDS,     /* u64 seq → record header + payload */
	STORE_DB_IDS,         /* id → u64 seqs (dupsort, oldest first); also dedup */
	STORE_DB_TIMES,       /* i64 created_at (sign flipped) + u64 seq → empty */
	STORE_DB_BLOBS,       /* sha256 → blob header + payload */
	STORE_DB_DICTS,       /* u32 dict id → dict header + encrypted dictionary */
	STORE_DB_QUARANTINE,  /* u64 n → u32 len + JSON header + encrypted compressed raw */
	STORE_DB_TOMBSTONES,  /* u64 seq → tombstone JSON (written by disposition) */
	STORE_DB_BATCHES,     /* u64 batch n → first seq, last seq, chain head, time */
	STORE_DB_SAMPLES,     /* platform → u64 seqs awaiting dictionary training (dupsort) */
	STORE_DB_MEDIA,       /* blob sha256[32] + u64 seq → empty: the live versions using it */
	STORE_DB_N
};

/* Record value header; all integers big-endian. */
enum {
	STORE_REC_FORMAT = 1,
	STORE_REC_HDR = 76,   /* u8 format, u8 flags, u16 dict, u32 version, content[32],
	                         raw[32], u32 normalized_len */
};
enum {
	STORE_REC_DISPOSED = 1 << 0,          /* payload gone; a tombstone holds what stays */
	STORE_REC_DELETED_UPSTREAM = 1 << 1   /* deleted_at set in this version */
};
typedef struct {
	uint8_t  format, flags;
	uint16_t dict;
	uint32_t version;
	uint8_t  content[CUSTOS_SHA256_LEN];
	uint8_t  raw[CUSTOS_SHA256_LEN];
	uint32_t normalized_len;
} custos_store__rechdr_t;

/* Blob header: u8 format, u8 flags (bit 0: zstd-compressed), u64 item slot,
 * u64 size of the original bytes. */
enum { STORE_BLOB_HDR = 18, STORE_BLOB_ZSTD = 1 };
/* Dict header: u8 format, u64 item slot, u32 dict len, dict sha256[32],
 * u8 platform len, platform, u32 n samples, u64 sample seqs..., then the
 * encrypted dictionary. */
/* Batch value: u64 first seq, u64 last seq, chain[32], i64 time ms (format
 * 1), then the anchor (format 2): u64 audit entry n, audit hash[32], policy
 * commit[20] (zeros: none), u64 audited seq. An anchored batch folds its
 * anchor into the record chain after its records (store_write.c); a batch
 * with no records (first = last + 1) carries an anchor alone. meta "anchor"
 * repeats the last anchor committed. */
enum { STORE_BATCH_VAL = 56, STORE_ANCHOR_LEN = 68,
       STORE_BATCH_ANCHORED = STORE_BATCH_VAL + STORE_ANCHOR_LEN };

/* The key files: records use slot = seq in keys/slots; blobs, dictionaries
 * and quarantine items take slots from state.next_item_slot in keys/items. */
enum { STORE_KEYS_RECORDS = 0, STORE_KEYS_ITEMS = 1 };
#define STORE_KEY_LEN 32

/* Persistent counters, meta "state": u64 big-endian each, then the chain head. */
enum {
	ST_NEXT_SEQ, ST_NEXT_ITEM_SLOT, ST_NEXT_QUARANTINE, ST_NEXT_BATCH, ST_NEXT_DICT,
	ST_RECORDS, ST_VERSIONS, ST_DELETED, ST_RAW_BYTES, ST_STORED_BYTES,
	ST_BLOBS, ST_BLOB_BYTES, ST_QUARANTINED, ST_TOMBSTONES, ST_DICTIONARIES,
	ST_N
};
typedef struct {
	uint64_t v[ST_N];
	uint8_t  chain[CUSTOS_SHA256_LEN];
} custos_store__state_t;

/* Per platform, meta "p:<name>". PL_DISPOSED (records every version of
 * which was disposed of) and PL_TOMBSTONES came later: a value without
 * them reads as 0 for both (PL_N_OLD fields). The drift fields came after
 * them (docs/storage.md, "Dictionaries"): how well the platform's current
 * dictionary compresses, PL_BASE_* over the first window of records it
 * compressed, PL_WIN_* over the current window; PL_RETRAIN is 1 while the
 * records of a platform that has a dictionary are collected as samples for
 * a new one. A value without them reads as 0 for each: no window measured,
 * not collecting, so the measurement starts again from there. */
enum { PL_RECORDS, PL_VERSIONS, PL_RAW_BYTES, PL_STORED_BYTES, PL_DICT, PL_PENDING,
       PL_TRAIN_AT, PL_DISPOSED, PL_TOMBSTONES,
       PL_RETRAIN, PL_BASE_RAW, PL_BASE_STORED, PL_WIN_N, PL_WIN_RAW, PL_WIN_STORED,
       PL_N };
#define PL_N_OLD 7
typedef struct {
	char     name[32];
	uint64_t v[PL_N];
	bool     dirty;
} custos_store__platform_t;

/* A dictionary in the shared cache. Holders take a reference for the time
 * they compress or decompress with it; an evicted dictionary (trained in an
 * aborted batch, or retired because a record it was trained on was
 * disposed of) leaves the cache at once and is freed by its last holder. */
typedef struct {
	uint32_t    id;
	ZSTD_CDict *cdict;                /* made at the first compression (under the
	                                   * environment's mu): a reader never needs
	                                   * it, and it costs half a millisecond */
	ZSTD_DDict *ddict;                /* refers to raw (by reference, not a copy) */
	uint8_t    *raw;                  /* the dictionary, for the DDict and the CDict;
	                                   * wiped when freed, after the DDict */
	size_t      raw_len;
	unsigned    refs;                 /* under the environment's mu */
	bool        dead;
} custos_store__dict_t;

/* What the views of one store in a process share: the LMDB environment
 * (lmdb.h allows one per process and file), the key files, the writer
 * lock and the dictionary cache. Fields above mu are fixed at open. */
typedef struct {
	char        *dir;
	unsigned     flags;
	int          lock_fd;
	int          key_fd[2];           /* keys/slots, keys/items */
	MDB_env     *env;
	MDB_dbi      dbi[STORE_DB_N];
	unsigned     dict_after;          /* records of a platform before training */
	size_t       dict_size;           /* target dictionary size */
	unsigned     dict_window;         /* records per drift window (store_write.c) */
	int          level;               /* zstd level for records */

	pthread_mutex_t mu;
	pthread_cond_t  cv;
	unsigned     views;               /* open views; the last one closes the rest */
	size_t       mapsize;
	custos_store__dict_t **dicts;     /* the cache, by id; entries never move */
	size_t       n_dicts, cap_dicts;
	/* mdb_env_set_mapsize must not be called while any transaction of the
	 * process is open: every transaction is counted here, and a resize
	 * waits for the count to reach 0 while no new one begins. */
	unsigned     txns;
	bool         resizing;
	bool         batch;               /* a batch is open on some view */
	bool         compacted;           /* data.mdb was replaced: this environment is the
	                                   * old file's, and takes no more batches */
	bool         lockless;            /* read with MDB_NOLOCK (custos_store_lockless) */
	/* where the data file is mapped (release_map, store_write.c): found in
	 * /proc/self/maps once per mapping, map_gen counting the mappings
	 * (custos_store__resize makes a new one), map_seen the one the ranges
	 * were read for (0: none yet or more ranges than fit) */
	unsigned     map_gen, map_seen;
	size_t       n_map;
	struct { void *p; size_t n; } map[8];
} custos_store__shared_t;

/* A source file entry as a batch or a view keeps it in memory (file and
 * hash malloc'd; sha NULL: the record had no hash). store_source.c. */
typedef struct {
	uint32_t id;
	char    *file, *sha;
} custos_store__srcent_t;
/* Entries kept per batch (the pairs used last) and per view (by number). */
#define STORE_SRC_CACHE 64
enum { STORE_SRC_KEY = 7, STORE_SRC_PAIR_KEY = 35 };

/* A view: one thread's handle on the shared store, with its own scratch
 * buffers, zstd contexts, error, open batch and pinned read snapshot. */
struct custos_store {
	custos_store__shared_t *sh;
	/* per key file, the lowest and the highest slot this view has shredded
	 * (zeros synced) since its last punch sweep, punch_to 0 for none:
	 * custos_store_dispose_complete punches the all-zero blocks between
	 * them, once a run */
	uint64_t     punch_from[2], punch_to[2];
	/* copies of sh's fixed fields, read without the lock */
	const char  *dir;
	unsigned     flags;
	int          key_fd[2];
	MDB_env     *env;
	MDB_dbi      dbi[STORE_DB_N];
	unsigned     dict_after;
	size_t       dict_size;
	unsigned     dict_window;
	int          level;

	custos_err_t err;
	ZSTD_CCtx   *cctx;
	ZSTD_DCtx   *dctx;
	custos_buf_t plain, comp, json;   /* scratch, reused */
	custos_buf_t log_spare;           /* the last batch's log, emptied: the next
	                                   * one's, not grown again from nothing */
	custos_buf_t canon;               /* the last record decoded, serialized again as
	                                   * CUSTOS_JSON_STORE: what its content hash was
	                                   * checked on */
	custos_batch_t *batch;            /* the open batch, at most one per environment */
	custos_store__srcent_t *src;      /* source file entries read, STORE_SRC_CACHE,
	                                   * slot id % STORE_SRC_CACHE; NULL until used */
	MDB_txn     *snap;                /* pinned read snapshot (custos_store_snapshot) */
	uint8_t      rnd[4096];           /* pool of random bytes for keys */
	size_t       rnd_left;
};

/* One staged operation, replayed into a fresh transaction after the map grew. */
enum { STORE_OP_PUT = 1, STORE_OP_DEL = 2 };

struct custos_batch {
	custos_store_t *st;
	MDB_txn        *txn;
	custos_buf_t    log;              /* staged operations, see store_write.c */
	custos_store__state_t state;      /* loaded at begin, written at commit */
	custos_store__platform_t *pl;
	size_t          n_pl, cap_pl;
	uint64_t        first_seq;        /* seq of the first record of this batch */
	custos_buf_t    rec_keys;         /* keys of seqs first_seq.., 32 bytes each */
	uint64_t        first_item_slot;
	custos_buf_t    item_keys;        /* keys of item slots first_item_slot.. */
	custos_sha256_ctx_t digest;
	custos_batch_summary_t sum;
	custos_buf_t    tmp;
	uint32_t        start_dict;       /* next dict id when the batch began */
	bool            anchored;         /* custos_store_anchor was called */
	uint8_t         anchor[STORE_ANCHOR_LEN];
	unsigned        since_release;    /* puts since the map's pages were let go */
	int             failed;           /* a change failed half-way: only abort is left */
	custos_store__srcent_t src[STORE_SRC_CACHE];   /* source file entries used last */
	size_t          src_next, src_last;            /* slot to fill next; last hit */
	uint32_t        src_next_id;      /* number of the next new entry (0: not read yet) */
	bool            src_new;          /* this batch wrote a source file entry */
	bool            src_committed;
};

/* Puts between two releases of the map's pages within a batch (store_write.c). */
#define STORE_RELEASE_EVERY 256

/* Big-endian helpers. */
static inline void custos_store__be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) { p[i] = (uint8_t)v; v >>= 8; }
}
static inline uint64_t custos_store__get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
	return v;
}
static inline void custos_store__be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline uint32_t custos_store__get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Encodes an anchor as batch entries hold it, and back. */
void custos_store__anchor_encode(uint8_t out[STORE_ANCHOR_LEN], const custos_anchor_t *a);
void custos_store__anchor_decode(custos_anchor_t *a, const uint8_t in[STORE_ANCHOR_LEN]);
/* chain = SHA-256(chain || 'A' || anchor bytes): how an anchor joins the chain. */
void custos_store__anchor_fold(uint8_t chain[CUSTOS_SHA256_LEN],
                               const uint8_t anchor[STORE_ANCHOR_LEN]);

/* The custos status of a failed write's errno: CUSTOS_ENOSPC for a full
 * disk or quota (and for EIO while the store's filesystem is full: LMDB
 * and short writes report a full disk so), CUSTOS_EACCESS, CUSTOS_EIO. */
int custos_store__io_status(const custos_store_t *st, int e);
/* Translates an LMDB status into a custos status, setting st->err to
 * "<what>: <lmdb message>" (a full disk is said to be full). */
int custos_store__mdb(custos_store_t *st, int rc, const char *what);

void custos_store__hdr_encode(uint8_t out[STORE_REC_HDR], const custos_store__rechdr_t *h);
int  custos_store__hdr_decode(custos_store__rechdr_t *h, const void *p, size_t n);

int  custos_store__state_load(custos_store_t *st, MDB_txn *txn, custos_store__state_t *s);
int  custos_store__state_save(custos_store_t *st, MDB_txn *txn, const custos_store__state_t *s);
/* The gate of the environment's files (store_compact.c): an flock on the
 * store directory, shared while an environment is being opened, exclusive
 * while compaction swaps data.mdb. 0, or -1 with errno. */
int  custos_store__gate(const char *store_dir, bool exclusive, int *fd);
void custos_store__gate_release(int fd);

/* Tombstones (store_tomb.c). A tombstone value starting with
 * STORE_TOMB_BINARY is binary; one starting with '{' is the JSON an earlier
 * custos wrote, read as it is. */
enum { STORE_TOMB_BINARY = 1, STORE_TOMB_CTX_KEY = 7 };
/* What a disposal call shares among its tombstones of one rule (rule,
 * policy commit, run, actor, time) is written once, in meta under the key
 * custos_store__tomb_ctx_key gives ("tc:" + u32 id), and each tombstone
 * names it: docs/storage.md, "The tombstone value". */
void custos_store__tomb_ctx_key(uint8_t key[STORE_TOMB_CTX_KEY], uint32_t id);
/* Writes into b (emptied first) a context's value. CUSTOS_ENOMEM. */
int  custos_store__tomb_ctx_encode(custos_buf_t *b, const char *rule, const char *commit,
                                   uint64_t run, const char *actor, int64_t when);
/* Writes into b (emptied first) the binary tombstone of rec, disposed of in
 * context ctx. CUSTOS_ENOMEM. */
int  custos_store__tomb_encode(custos_buf_t *b, const custos_record_t *rec, uint32_t ctx);
/* Writes into j (emptied first) the JSON object of the binary tombstone tv
 * of seq, whose record header h gives its version and hashes, and whose
 * context is read in txn: the same text a JSON tombstone of the same
 * disposal holds. CUSTOS_ECORRUPT when tv or its context does not decode
 * (or the context is missing); CUSTOS_ENOMEM. */
int  custos_store__tomb_brief(custos_store_t *st, MDB_txn *txn, const MDB_val *tv,
                             const char **id, size_t *id_len, uint64_t *run);
int  custos_store__tomb_to_json(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                                const custos_store__rechdr_t *h, const MDB_val *tv,
                                custos_buf_t *j);
/* The platform a binary tombstone names, into out (cap bytes). */
int  custos_store__tomb_platform(const void *v, size_t n, char *out, size_t cap);

/* What disposal left, counted from the records themselves (store_dispose.c):
 * per platform, the records no live version of which is left and the
 * tombstones; and the distinct ids stored. What the PL_DISPOSED and
 * PL_TOMBSTONES counters must say; reads every id and record header. */
typedef struct {
	char     platform[32];
	uint64_t disposed, tombstones;
} custos_store__dcount_t;
int  custos_store__disposed_recount(custos_store_t *st, MDB_txn *txn,
                                    custos_store__dcount_t **out, size_t *n, uint64_t *ids);
int  custos_store__platform_decode(custos_store__platform_t *p, const MDB_val *k, const MDB_val *v);

/* Fills out with fresh random key bytes. */
void custos_store__random_key(custos_store_t *st, uint8_t key[STORE_KEY_LEN]);
/* Reads a key from keys/slots (file STORE_KEYS_RECORDS) or keys/items; a
 * slot past the end of the file or all zeros (shredded) gives CUSTOS_ECORRUPT
 * unless the item is disposed, which callers check first. */
int  custos_store__key_read(custos_store_t *st, int file, uint64_t slot,
                            uint8_t key[STORE_KEY_LEN]);
/* Overwrites a key slot with zeros in place and fdatasyncs the key file:
 * every byte encrypted under it becomes unreadable (disposal, issue 5). */
int  custos_store__shred_slot(custos_store_t *st, int file, uint64_t slot);
/* Gives back to the file system each whole 4 KB block of key file `file`
 * lying within slots [from, to] all of whose slots read as zero (shredded,
 * or never assigned below `to`), with fallocate(PUNCH_HOLE | KEEP_SIZE): the
 * file keeps its size and reads the same (zeros), and takes less space on
 * disk. Only for slots already shredded and synced (the zeros are on disk
 * before the block is let go, so the old key bytes do not stay behind in a
 * freed block), and for `to` at most the highest slot a committed
 * transaction assigned (a block holding a slot a writer may assign next is
 * never looked at). A file system that cannot punch holes is left as it is:
 * nothing is lost, the space is only not given back (stats' disk_bytes
 * shows what the files take). Returns the bytes punched. */
uint64_t custos_store__punch_zeroed(custos_store_t *st, int file, uint64_t from, uint64_t to);
/* XORs the ChaCha20 keystream of key into p. Each key encrypts one item; the
 * nonce is 0 except for records, where it is the dictionary id the payload
 * was compressed with: recompressing a record under a new dictionary (to
 * retire the old one) keeps its key slot and still never reuses a keystream. */
void custos_store__crypt(uint8_t *p, size_t n, const uint8_t key[STORE_KEY_LEN], uint32_t nonce);
/* the same, from in to out (n bytes each; not overlapping unless equal) */
void custos_store__crypt_to(uint8_t *out, const uint8_t *in, size_t n,
                            const uint8_t key[STORE_KEY_LEN], uint32_t nonce);

/* Dictionary cache, shared by the views. custos_store__dict_get loads dict
 * id from the DICTS DB through txn (decrypting it) on first use and returns
 * it with a reference the caller gives back with custos_store__dict_put
 * (NULL-safe). A dictionary trained in the open batch has its key staged in
 * the batch, not yet in the key file. custos_store__dict_load does the same
 * without the cache (verify re-reads every dictionary from disk); free it
 * with custos_store__dict_free. */
int  custos_store__dict_get(custos_store_t *st, MDB_txn *txn, uint32_t id,
                            custos_store__dict_t **out);
void custos_store__dict_put(custos_store_t *st, custos_store__dict_t *d);
int  custos_store__dict_load(custos_store_t *st, MDB_txn *txn, uint32_t id,
                             custos_store__dict_t **out);
void custos_store__dict_free(custos_store__dict_t *d);
/* Adds a dictionary trained in the open batch to the cache. */
int  custos_store__dict_add(custos_store_t *st, uint32_t id, const void *dict, size_t n);
/* Evicts dictionaries with id >= first_id (trained by a batch that did not
 * commit), or the one id (retired by a disposal). */
void custos_store__dict_evict_from(custos_store_t *st, uint32_t first_id);
void custos_store__dict_evict(custos_store_t *st, uint32_t id);

/* Compresses src into st->comp (cleared first) with dictionary d (NULL: none). */
int  custos_store__compress(custos_store_t *st, const custos_store__dict_t *d,
                            const void *src, size_t n);
/* Decompresses a record frame into st->plain (cleared first). */
int  custos_store__decompress(custos_store_t *st, const custos_store__dict_t *d,
                              const void *src, size_t n);

/* Decrypts and decompresses the value of record seq (its key from key, or
 * the key file when key is NULL) into st->plain, and checks the raw hash.
 * The header goes to *h. CUSTOS_ECORRUPT with st->err naming seq on any
 * mismatch; for a disposed record returns CUSTOS_ENOTFOUND. */
int  custos_store__record_plain(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                                const MDB_val *v, const uint8_t *key,
                                custos_store__rechdr_t *h);
/* Full decode: record_plain, then parse the normalized JSON into rec, set
 * raw, and recompute the content hash against the header. */
int  custos_store__record_decode(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                                 const MDB_val *v, custos_record_t *rec);

/* A read transaction: the view's pinned snapshot when it has one, else a
 * new one that copes with another process having grown the map. Every
 * transaction from custos_store__read_txn is ended by custos_store__read_done,
 * which leaves a pinned snapshot open. */
int  custos_store__read_txn(custos_store_t *st, MDB_txn **txn);
void custos_store__read_done(custos_store_t *st, MDB_txn *txn);
/* Ends a read that walked a cursor (c may be NULL): the cursor closed, the
 * snapshot let go, and an LMDB status rc other than 0 made the result
 * ("cannot <what>: ...") unless err already says what went wrong. */
int custos_store__read_end(custos_store_t *st, MDB_txn *txn, MDB_cursor *c, int rc, int err,
                           const char *what);
/* Pins a read snapshot on st like custos_store_snapshot, but never waits
 * and never resizes the map: for a view opened while another view of the
 * same thread holds its snapshot (a resize would wait for that one).
 * CUSTOS_EBUSY when a resize is under way or the map grew since (a commit
 * after the other view's snapshot), or LMDB's readers are all taken. */
int  custos_store__snapshot_nowait(custos_store_t *st);
/* Write transactions: counted like reads, so a map resize waits for them. */
int  custos_store__write_txn(custos_store_t *st, MDB_txn **txn);
void custos_store__txn_end(custos_store_t *st, MDB_txn *txn, bool commit, int *rc);
/* Sets the map size (0: adopt the size another process set) once no
 * transaction of the process is open; the caller has none open. */
int  custos_store__resize(custos_store_t *st, size_t size);

/* The id of the record stored at seq, by a scan of the ids DB (slow: used
 * only to name a damaged record). */
int  custos_store__id_of_seq(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                             char *out, size_t cap);

/* Rewrites record seq compressed with dictionary dict (0: none) instead of
 * the one it was written with, inside batch b: same key slot (the nonce
 * follows the dictionary), same header hashes, version and flags, so the chain
 * and the indexes stay as they are; only the stored-bytes counters change.
 * The building block of dictionary retirement (issue 5): train a new
 * dictionary from live records, recompress every record of the old one, then
 * shred the old dictionary's item slot. A no-op for a disposed record or one
 * already using dict. */
int  custos_store__recompress(custos_batch_t *b, uint64_t seq, uint32_t dict);

/* The media index: adds (put) or removes (dispose) the entries of record
 * version seq for the blobs rec names (those with a SHA-256), in batch b. */
int  custos_store__media_index(custos_batch_t *b, const custos_record_t *rec, uint64_t seq,
                               int kind);
/* Whether a live record version uses blob sum, as batch b sees it. */
int  custos_store__media_used(custos_batch_t *b, const uint8_t sum[32], bool *used);
/* Builds what a store written by an earlier custos lacks (the media index),
 * once, at the first writer's open. */
int  custos_store__upgrade(custos_store_t *st);

/* Decodes a blob value into a malloc'd copy (*p, caller frees) and checks
 * it against its hash sum. */
int  custos_store__blob_decode(custos_store_t *st, const uint8_t sum[32], const MDB_val *v,
                               void **p, size_t *n);
/* Parses quarantine item n's JSON header into e; *slot, sum (raw sha256)
 * and *off (where the encrypted payload starts) come with it. */
int  custos_store__quarantine_parse(custos_store_t *st, uint64_t n, const MDB_val *v,
                                    custos_quarantine_entry_t *e, uint64_t *slot,
                                    uint8_t sum[32], size_t *off);
/* Decrypts and decompresses item n's raw bytes into st->plain and checks them. */
int  custos_store__quarantine_raw(custos_store_t *st, uint64_t n, const MDB_val *v,
                                  custos_quarantine_entry_t *e);

/* Logs one change of batch b and applies it (STORE_OP_PUT/DEL into db):
 * what put and disposal write through, so the map can grow under them. */
int  custos_store__op(custos_batch_t *b, int kind, int db, const void *key, size_t kn,
                      const void *val, size_t vn, unsigned flags);
/* The batch's copy of platform name's counters (loaded on first use, saved
 * at commit when dirty). */
int  custos_store__platform(custos_batch_t *b, const char *name, custos_store__platform_t **out);
/* Trains platform pl's dictionary from its entries in the samples database
 * (what put does when a platform has enough samples); on success
 * pl->v[PL_DICT] names the new dictionary, cached for the batch. Failing to
 * train is not an error: PL_DICT stays 0. Used by dictionary retirement. */
int  custos_store__train(custos_batch_t *b, custos_store__platform_t *pl);
/* Shreds the key slots a disposal committed but did not finish shredding
 * (meta "shred"): called before each disposal and by
 * custos_store_dispose_complete (which a writer's open calls), so a crash
 * between the tombstone commit and the shredding is finished by the next
 * writer. */
int  custos_store__dispose_finish(custos_store_t *st);

/* Source files by reference (store_source.c; docs/storage.md, "Source
 * files by reference"). meta "fr:" + u32 id holds a (file, file_sha256)
 * pair, meta "fh:" + SHA-256 of the pair its id.
 *
 * custos_store__source_find gives the id of rec's pair (s->file set): its
 * entry's, or, when there is none yet, the number a new one would take
 * (*fresh), which custos_store__source_add writes in the batch, with the
 * record that uses it first; 0 for a pair kept as text (a hash longer than
 * 64 KB). */
int  custos_store__source_find(custos_batch_t *b, const custos_source_t *s, uint32_t *id,
                               bool *fresh);
int  custos_store__source_add(custos_batch_t *b, const custos_source_t *s, uint32_t id);
/* Frees the batch's entries; forgets the view's when the batch wrote
 * entries it did not commit. */
void custos_store__source_batch_free(custos_batch_t *b);
/* Sets rec's source.file and source.file_sha256 from entry id, read in txn
 * (or the view's cache of them). CUSTOS_ECORRUPT naming the record when the
 * entry is missing or damaged, or rec names its file twice. */
int  custos_store__source_resolve(custos_store_t *st, MDB_txn *txn, uint64_t seq,
                                  uint32_t version, uint32_t id, custos_record_t *rec);
/* Empties the view's cache (verify reads every entry from the file). */
void custos_store__source_forget(custos_store_t *st);
void custos_store__source_view_free(custos_store_t *st);
void custos_store__source_key(uint8_t key[STORE_SRC_KEY], uint32_t id);
/* Decodes an entry's value: file and hash point into it (not terminated);
 * *sha NULL when there is none. CUSTOS_ECORRUPT. */
int  custos_store__source_decode(const MDB_val *v, const char **file, size_t *file_len,
                                 const char **sha, size_t *sha_len);
/* mdb_get of the "fh:" entry of the pair (NUL-terminated strings). */
int  custos_store__source_pair_get(custos_store_t *st, MDB_txn *txn, const char *file,
                                   const char *sha, MDB_val *out);

#endif
