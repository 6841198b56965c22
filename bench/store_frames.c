/* store_frames: what compressing each record on its own costs, measured on
 * the records of an archive. The store keeps each version as one zstd frame
 * (its normalized record, then its original bytes) with the platform's
 * dictionary (docs/storage.md); this sets that against the original bytes
 * alone and against frames of several records, at several zstd levels.
 *
 *   store_frames ARCHIVE [--platform x] [--n 12000] [--train 2000] [--dict-kb 110]
 *
 * Reads the first N live versions of the platform, decrypted as the store
 * holds them; for each layout trains a dictionary on the first TRAIN of them
 * (ZDICT_trainFromBuffer, as the store does), compresses the others into
 * frames as the store writes them (magicless, no checksum, no dictionary
 * id), and prints a markdown table: layout, level, compressed bytes a record,
 * CPU microseconds a record. Nothing is written to the archive. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zdict.h>

typedef struct {
	char   *p;
	size_t  len, norm;   /* plaintext: normalized record (norm bytes), original */
} plain_t;

static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The first n live versions of platform, in seq order. */
static int load(custos_store_t *st, const char *platform, plain_t *out, size_t n, size_t *got)
{
	MDB_txn *txn;
	custos_record_t rec;
	custos_err_t perr;
	int err;
	*got = 0;
	if ((err = custos_store__read_txn(st, &txn)) < 0)
		return err;
	custos_record_init(&rec);
	for (uint64_t seq = 1; *got < n; seq++) {
		uint8_t kb[8];
		custos_store__rechdr_t h;
		custos_store__be64(kb, seq);
		MDB_val k = { 8, kb }, v;
		if (mdb_get(txn, st->dbi[STORE_DB_RECORDS], &k, &v) != 0)
			break;
		if (custos_store__record_plain(st, txn, seq, &v, NULL, &h) < 0)
			continue;   /* disposed */
		custos_record_reset(&rec);
		if (custos_record_from_json(&rec, st->plain.data, h.normalized_len, &perr) < 0 ||
		    strcmp(rec.platform, platform) != 0)
			continue;
		plain_t *p = &out[(*got)++];
		if (!(p->p = malloc(st->plain.len))) {
			err = CUSTOS_ENOMEM;
			break;
		}
		memcpy(p->p, st->plain.data, st->plain.len);
		p->len = st->plain.len;
		p->norm = h.normalized_len;
	}
	custos_record_free(&rec);
	custos_store__read_done(st, txn);
	return err;
}

/* The bytes of record i in a layout: all of it, or its original alone. */
static void part(const plain_t *p, bool original_only, const char **s, size_t *n)
{
	*s = original_only ? p->p + p->norm : p->p;
	*n = original_only ? p->len - p->norm : p->len;
}

static int run(const plain_t *recs, size_t n, size_t train, size_t dict_cap,
               const char *name, bool original_only, size_t block)
{
	static const int levels[] = { 1, 3, 5, 9 };
	size_t total = 0, *sizes = malloc(train * sizeof *sizes), dn;
	char *samples, *dict = malloc(dict_cap), *in = NULL, *out = NULL;
	int rc = 0;
	for (size_t i = 0; i < train; i++) {
		const char *s;
		part(&recs[i], original_only, &s, &sizes[i]);
		total += sizes[i];
	}
	samples = malloc(total ? total : 1);
	if (!sizes || !dict || !samples) {
		rc = -1;
		goto done;
	}
	total = 0;
	for (size_t i = 0; i < train; i++) {
		const char *s;
		size_t len;
		part(&recs[i], original_only, &s, &len);
		memcpy(samples + total, s, len);
		total += len;
	}
	dn = ZDICT_trainFromBuffer(dict, dict_cap, samples, sizes, (unsigned)train);
	if (ZDICT_isError(dn)) {
		fprintf(stderr, "store_frames: cannot train: %s\n", ZDICT_getErrorName(dn));
		rc = -1;
		goto done;
	}
	size_t in_cap = 0;
	for (size_t i = train; i < n; i++)
		in_cap = recs[i].len > in_cap ? recs[i].len : in_cap;
	in_cap *= block;
	if (!(in = malloc(in_cap)) || !(out = malloc(ZSTD_compressBound(in_cap)))) {
		rc = -1;
		goto done;
	}
	for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
		ZSTD_CCtx *c = ZSTD_createCCtx();
		ZSTD_CDict *cd = ZSTD_createCDict(dict, dn, levels[l]);
		size_t bytes = 0, done_n = 0;
		if (!c || !cd) {
			ZSTD_freeCCtx(c);
			ZSTD_freeCDict(cd);
			rc = -1;
			goto done;
		}
		ZSTD_CCtx_setParameter(c, ZSTD_c_format, ZSTD_f_zstd1_magicless);
		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
		ZSTD_CCtx_setParameter(c, ZSTD_c_dictIDFlag, 0);
		double t0 = cpu_us();
		for (size_t i = train; i + block <= n; i += block) {
			size_t m = 0;
			for (size_t j = 0; j < block; j++) {
				const char *s;
				size_t len;
				part(&recs[i + j], original_only, &s, &len);
				memcpy(in + m, s, len);
				m += len;
			}
			ZSTD_CCtx_reset(c, ZSTD_reset_session_only);
			ZSTD_CCtx_refCDict(c, cd);
			size_t r = ZSTD_compress2(c, out, ZSTD_compressBound(in_cap), in, m);
			if (ZSTD_isError(r)) {
				fprintf(stderr, "store_frames: %s\n", ZSTD_getErrorName(r));
				rc = -1;
				break;
			}
			bytes += r;
			done_n += block;
		}
		double t = cpu_us() - t0;
		if (done_n)
			printf("| %s | %d | %.1f | %.1f |\n", name, levels[l], (double)bytes / done_n,
			       t / done_n);
		ZSTD_freeCCtx(c);
		ZSTD_freeCDict(cd);
	}
done:
	free(sizes);
	free(samples);
	free(dict);
	free(in);
	free(out);
	return rc;
}

int main(int argc, char **argv)
{
	const char *platform = "x";
	size_t n = 12000, train = 2000, dict_kb = 110;
	custos_store_t *st;
	custos_err_t err;
	if (argc < 2) {
		fprintf(stderr, "usage: store_frames ARCHIVE [--platform x] [--n 12000] "
		        "[--train 2000] [--dict-kb 110]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--platform"))
			platform = argv[i + 1];
		else if (!strcmp(argv[i], "--n"))
			n = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--train"))
			train = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--dict-kb"))
			dict_kb = strtoul(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "store_frames: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (custos_store_open(&st, argv[1], CUSTOS_STORE_READ, &err) < 0) {
		fprintf(stderr, "store_frames: %s\n", err.msg);
		return 1;
	}
	plain_t *recs = calloc(n, sizeof *recs);
	size_t got = 0, plain = 0, norm = 0;
	if (!recs || load(st, platform, recs, n, &got) < 0 || got <= train) {
		fprintf(stderr, "store_frames: fewer than %zu readable '%s' records\n", train + 1,
		        platform);
		return 1;
	}
	for (size_t i = 0; i < got; i++) {
		plain += recs[i].len;
		norm += recs[i].norm;
	}
	printf("%zu '%s' records (dictionary trained on %zu, %zu KiB at most): %.1f bytes of "
	       "plaintext a record, %.1f normalized + %.1f original\n\n", got, platform, train,
	       dict_kb, (double)plain / got, (double)norm / got, (double)(plain - norm) / got);
	printf("| layout | zstd level | bytes a record | CPU us a record |\n|---|---|---|---|\n");
	int rc = run(recs, got, train, dict_kb * 1024, "the store's: normalized + original, "
	             "a frame a record", false, 1) < 0 ||
	         run(recs, got, train, dict_kb * 1024, "original alone, a frame a record",
	             true, 1) < 0;
	for (size_t k = 4; !rc && k <= 64; k *= 4) {
		char name[80];
		snprintf(name, sizeof name, "normalized + original, a frame per %zu records", k);
		rc = run(recs, got, train, dict_kb * 1024, name, false, k) < 0;
	}
	for (size_t i = 0; i < got; i++)
		free(recs[i].p);
	free(recs);
	custos_store_free(st);
	return rc;
}
