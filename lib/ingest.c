/* Capture: the importers hand records to this sink, which checks them and
 * hands them to the writer in batches, each committed whole or not at all;
 * and records pushed by connectors (custos_archive_submit). Bad items stop
 * the ingest or, with skip_bad, go to quarantine with their raw bytes. */
#include "lib_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BATCH 2000
#define JOB_BLOB_BYTES ((size_t)64 << 20)   /* a batch's media, at most */
#define SUBMIT_MAX ((size_t)64 << 20)

/* The importers, from the import module (lib/module.c) */
static int importers(const custos_import_module_t **m, custos_err_t *err)
{
	return CUSTOS_MODULE_GET(m, "import", custos_module_import, err);
}

const char *const *custos_ingest_formats(void)
{
	static const char *const none[] = { NULL };
	const custos_import_module_t *m;
	/* without the module there is no format; an ingest says why */
	return importers(&m, NULL) == CUSTOS_OK ? m->formats() : none;
}

/* One batch being filled or being committed: copies of its records, bad
 * items and media, so the importer goes on reading while it commits. */
typedef struct {
	custos_wjob_t   job;
	custos_record_t *recs;
	custos_put_t    *outcomes;
	size_t           cap;
	custos_wbad_t   *bad;
	size_t           n_bad_cap;
	custos_wblob_t  *blobs;
	size_t           n_blob_cap, blob_bytes;
	custos_arena_t   arena;        /* bad items' and blobs' bytes */
	custos_arena_t   rec_arena;    /* the records' fields and raw bytes, all in one
	                                * (custos_record_copy_into): no arena a record */
	bool             inflight;
} slot_t;

typedef struct {
	custos_session_t *s;
	const custos_ingest_opts_t *opts;
	custos_ingest_summary_t *sum;
	slot_t slots[2];
	int cur;
	size_t batch_max;
	uint64_t records_seen, bytes_in;
	custos_sha256_ctx_t digest;
	custos_store_t *view;       /* reads committed state, without a pinned snapshot */
	custos_buf_t not_taken;     /* the audit entry's list: {"file":..,"why":..},... */
} ingest_t;

static void slot_reset(slot_t *sl)
{
	/* the records' fields are in the slot's arena (custos_record_copy_into
	 * resets a record as it fills it): only one that got memory of its
	 * own since needs its reset now */
	for (size_t i = 0; i < sl->job.n_recs; i++)
		if (sl->recs[i].arena.head)
			custos_record_reset(&sl->recs[i]);
	sl->job.n_recs = sl->job.n_bad = sl->job.n_blobs = 0;
	sl->blob_bytes = 0;
	custos_arena_reset(&sl->arena);
	custos_arena_reset(&sl->rec_arena);
}

static void slot_free(slot_t *sl)
{
	for (size_t i = 0; i < sl->cap; i++)
		custos_record_free(&sl->recs[i]);
	free(sl->recs);
	free(sl->outcomes);
	free(sl->bad);
	free(sl->blobs);
	custos_arena_free(&sl->arena);
	custos_arena_free(&sl->rec_arena);
}

/* What a committed batch did, into the summary. */
static int account(ingest_t *in, slot_t *sl)
{
	custos_ingest_summary_t *s = in->sum;
	custos_wjob_t *j = &sl->job;
	sl->inflight = false;
	if (j->status < 0)
		return custos_err_set(&in->s->err, j->status, "cannot commit: %s", j->err.msg);
	custos_sha256_ctx_t d;
	uint8_t dg[CUSTOS_SHA256_LEN], bin[CUSTOS_SHA256_LEN];
	custos_sha256_init(&d);
	for (size_t i = 0; i < j->n_recs; i++) {
		const custos_record_t *r = &j->recs[i];
		switch (j->outcomes[i]) {
		case CUSTOS_PUT_ADDED: s->added++; break;
		case CUSTOS_PUT_VERSION: s->versions++; break;
		default: s->unchanged++; continue;
		}
		if (!s->first_seq || r->seq < s->first_seq)
			s->first_seq = r->seq;
		if (r->seq > s->last_seq)
			s->last_seq = r->seq;
		custos_unhex(bin, r->content_sha256, sizeof bin);
		custos_sha256_update(&d, bin, sizeof bin);
	}
	custos_sha256_final(&d, dg);
	custos_sha256_update(&in->digest, dg, sizeof dg);
	for (size_t i = 0; i < j->n_bad; i++)
		s->quarantined += j->bad[i].added;
	s->blobs += j->n_blobs;
	s->batches++;
	memcpy(s->chain, j->sum.chain, sizeof s->chain);
	if (in->opts->progress)
		in->opts->progress(in->opts->ctx, in->records_seen, in->bytes_in);
	return CUSTOS_OK;
}

/* Hands the slot being filled to the writer and moves to the other one,
 * once the batch before it is committed. */
static int flush(ingest_t *in)
{
	slot_t *sl = &in->slots[in->cur];
	int rc;
	if (!sl->job.n_recs && !sl->job.n_bad && !sl->job.n_blobs)
		return CUSTOS_OK;
	sl->job.recs = sl->recs;
	sl->job.outcomes = sl->outcomes;
	sl->job.bad = sl->bad;
	sl->job.blobs = sl->blobs;
	/* sink_record took only records that custos_record_validate passed,
	 * with ids of at most 400 bytes: the writer need not check them again */
	sl->job.checked = true;
	if ((rc = custos_writer__submit(in->s->a, &sl->job)) < 0)
		return custos_err_set(&in->s->err, rc, "%s", sl->job.err.msg);
	sl->inflight = true;
	in->cur ^= 1;
	slot_t *next = &in->slots[in->cur];
	if (next->inflight) {
		custos_writer__wait(in->s->a, &next->job);
		rc = account(in, next);
		slot_reset(next);
		return rc;
	}
	return CUSTOS_OK;
}

/* Waits for every batch handed over; the first failure is returned. */
static int drain(ingest_t *in)
{
	int rc = CUSTOS_OK;
	for (int k = 0; k < 2; k++) {
		slot_t *sl = &in->slots[(in->cur + 1 + k) % 2];
		if (!sl->inflight)
			continue;
		custos_writer__wait(in->s->a, &sl->job);
		int r = account(in, sl);
		if (rc == CUSTOS_OK)
			rc = r;
		slot_reset(sl);
	}
	return rc;
}

static int grow(void **p, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return CUSTOS_OK;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < want)
		n *= 2;
	void *np = realloc(*p, n * size);
	if (!np)
		return CUSTOS_ENOMEM;
	*p = np;
	*cap = n;
	return CUSTOS_OK;
}

static int sink_bad(void *ctx, const char *file, int64_t offset, int64_t line,
                    const char *why, const char *raw, size_t n)
{
	ingest_t *in = ctx;
	if (!in->opts->skip_bad) {
		custos_ingest_summary_t *s = in->sum;
		snprintf(s->failed_file, sizeof s->failed_file, "%s", file);
		s->failed_line = line;
		s->failed_offset = offset;
		if (line > 0)
			return custos_err_set(&in->s->err, CUSTOS_EFORMAT, "%s:%lld: %s", file,
			                      (long long)line, why);
		return custos_err_set(&in->s->err, CUSTOS_EFORMAT, "%s: byte %lld: %s", file,
		                      (long long)offset, why);
	}
	slot_t *sl = &in->slots[in->cur];
	if (grow((void **)&sl->bad, &sl->n_bad_cap, sl->job.n_bad + 1, sizeof *sl->bad) < 0)
		return custos_err_set(&in->s->err, CUSTOS_ENOMEM, "out of memory");
	custos_wbad_t *q = &sl->bad[sl->job.n_bad];
	char *rawc = n ? custos_arena_alloc(&sl->arena, n) : NULL;
	q->file = custos_arena_strdup(&sl->arena, file);
	q->why = custos_arena_strdup(&sl->arena, why);
	if ((n && !rawc) || !q->file || !q->why)
		return custos_err_set(&in->s->err, CUSTOS_ENOMEM, "out of memory");
	if (n)
		memcpy(rawc, raw, n);
	q->raw = rawc;
	q->n = n;
	q->offset = offset;
	q->line = line;
	sl->job.n_bad++;
	in->bytes_in += n;
	return CUSTOS_OK;
}

static int sink_record(void *ctx, custos_record_t *rec)
{
	ingest_t *in = ctx;
	custos_err_t verr = { 0 };
	int rc;

	if (__atomic_load_n(&in->s->cancel, __ATOMIC_RELAXED))
		return custos_err_set(&in->s->err, CUSTOS_ESTOPPED, "stopped: the service is "
		                      "stopping (the batches committed before stay)");
	in->records_seen++;
	in->bytes_in += rec->raw_len;
	if (in->opts->custodian &&
	    (rc = custos_record_sets(rec, &rec->custodian, in->opts->custodian)) < 0)
		return custos_err_set(&in->s->err, rc, "out of memory");
	if ((rc = custos_record_derive(rec)) < 0)
		return custos_err_set(&in->s->err, rc, "cannot derive record fields");
	if (custos_record_validate(rec, &verr) < 0)
		return sink_bad(ctx, rec->source.file ? rec->source.file : "(input)",
		                rec->source.offset, rec->source.line, verr.msg,
		                rec->raw, rec->raw_len);
	if (strlen(rec->id) > 400)
		return sink_bad(ctx, rec->source.file ? rec->source.file : "(input)",
		                rec->source.offset, rec->source.line,
		                "the record's id is longer than 400 bytes", rec->raw, rec->raw_len);
	slot_t *sl = &in->slots[in->cur];
	size_t old = sl->cap;
	if (grow((void **)&sl->recs, &sl->cap, sl->job.n_recs + 1, sizeof *sl->recs) < 0)
		return custos_err_set(&in->s->err, CUSTOS_ENOMEM, "out of memory");
	for (size_t i = old; i < sl->cap; i++)
		custos_record_init(&sl->recs[i]);
	if (sl->cap != old) {
		custos_put_t *no = realloc(sl->outcomes, sl->cap * sizeof *no);
		if (!no)
			return custos_err_set(&in->s->err, CUSTOS_ENOMEM, "out of memory");
		sl->outcomes = no;
	}
	if ((rc = custos_record_copy_into(&sl->recs[sl->job.n_recs], rec, &sl->rec_arena)) < 0)
		return custos_err_set(&in->s->err, rc, "out of memory");
	sl->job.n_recs++;
	if (sl->job.n_recs >= in->batch_max)
		return flush(in);
	return CUSTOS_OK;
}

static int sink_blob(void *ctx, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX])
{
	ingest_t *in = ctx;
	uint8_t sum[CUSTOS_SHA256_LEN];
	slot_t *sl = &in->slots[in->cur];
	custos_sha256(sum, p, n);
	custos_hex(hex, sum, sizeof sum);
	if (grow((void **)&sl->blobs, &sl->n_blob_cap, sl->job.n_blobs + 1, sizeof *sl->blobs) < 0)
		return custos_err_set(&in->s->err, CUSTOS_ENOMEM, "out of memory");
	void *copy = n ? custos_arena_alloc(&sl->arena, n) : NULL;
	if (n && !copy)
		return custos_err_set(&in->s->err, CUSTOS_ENOMEM, "out of memory");
	if (n)
		memcpy(copy, p, n);
	custos_wblob_t *b = &sl->blobs[sl->job.n_blobs++];
	b->p = copy;
	b->n = n;
	sl->blob_bytes += n;
	in->bytes_in += n;
	if (sl->blob_bytes >= JOB_BLOB_BYTES)
		return flush(in);
	return CUSTOS_OK;
}

static void sink_warn(void *ctx, const char *file, const char *msg)
{
	ingest_t *in = ctx;
	in->sum->warnings++;
	if (in->opts->warn)
		in->opts->warn(in->opts->ctx, file, msg);
}

static int sink_file_done(void *ctx, const char *file)
{
	ingest_t *in = ctx;
	(void)file;
	in->sum->files++;
	return CUSTOS_OK;
}

static void sink_not_taken(void *ctx, const char *file, const char *why)
{
	ingest_t *in = ctx;
	custos_buf_t *b = &in->not_taken;
	in->sum->not_taken++;
	/* names are the input's own: kept as JSON can hold them */
	custos_buf_adds(b, in->sum->not_taken > 1 ? ",{\"file\":" : "{\"file\":");
	custos_buf_add_json_text(b, file, strlen(file));
	custos_buf_adds(b, ",\"why\":");
	custos_buf_add_json_text(b, why, strlen(why));
	custos_buf_addc(b, '}');
	if (in->opts->not_taken)
		in->opts->not_taken(in->opts->ctx, file, why);
}

/* Whether the store holds id (committed before this ingest's batches): how
 * importers keep the ids an earlier recipe gave. A read of its own, never a
 * pinned snapshot: the ingest waits for the writer, which may need every
 * reader of the process gone to grow the map. */
static int sink_known(void *ctx, const char *id)
{
	ingest_t *in = ctx;
	uint64_t *seqs = NULL;
	size_t n = 0;
	int rc = custos_store_versions(in->view, id, &seqs, &n);
	free(seqs);
	if (rc < 0)
		return custos_err_set(&in->s->err, rc, "%s", custos_store_err(in->view)->msg);
	return n > 0;
}

/* The SHA-256 of a whole input file (a .zip as collected, say): the
 * audit names the evidence exactly as it arrived; records carry the hash of
 * the file or zip member they came from (docs/importers.md). */
static int hash_file(const char *path, char hex[CUSTOS_SHA256_HEX], uint64_t *bytes,
                     custos_err_t *err)
{
	enum { CHUNK = 1 << 20 };
	custos_sha256_ctx_t c;
	uint8_t d[CUSTOS_SHA256_LEN];
	int rc = CUSTOS_OK, fd;
	char *buf = malloc(CHUNK);
	if (!buf)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		free(buf);
		return custos_err_set(err, CUSTOS_EIO, "cannot read '%s': %s", path, strerror(errno));
	}
	custos_sha256_init(&c);
	*bytes = 0;
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = custos_err_set(err, CUSTOS_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		custos_sha256_update(&c, buf, (size_t)n);
		*bytes += (uint64_t)n;
	}
	close(fd);
	free(buf);
	if (rc < 0)
		return rc;
	custos_sha256_final(&c, d);
	custos_hex(hex, d, sizeof d);
	return CUSTOS_OK;
}

/* {"paths":[...],"inputs":[{"path","bytes","sha256"}...],...}: a folder's
 * entry has no hash (each file's is in its records). hexes[i] gets the hash
 * of paths[i] ("" for a folder), which the import then need not compute. */
static int audit_params(custos_buf_t *b, const char *const *paths, size_t n,
                        const custos_ingest_opts_t *o, char (*hexes)[CUSTOS_SHA256_HEX],
                        custos_err_t *err)
{
	custos_buf_adds(b, "{\"paths\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			custos_buf_addc(b, ',');
		custos_buf_add_json_str(b, paths[i], strlen(paths[i]));
	}
	custos_buf_adds(b, "],\"inputs\":[");
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		char *hex = hexes[i];
		uint64_t bytes = 0;
		int rc;
		hex[0] = 0;
		if (i)
			custos_buf_addc(b, ',');
		custos_buf_adds(b, "{\"path\":");
		custos_buf_add_json_str(b, paths[i], strlen(paths[i]));
		if (stat(paths[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			if ((rc = hash_file(paths[i], hex, &bytes, err)) < 0)
				return rc;
			custos_buf_printf(b, ",\"bytes\":%llu,\"sha256\":\"%s\"",
			                  (unsigned long long)bytes, hex);
		}
		custos_buf_addc(b, '}');
	}
	custos_buf_printf(b, "],\"format\":\"%s\",\"skip_bad\":%s,\"no_index\":%s",
	                  o->format ? o->format : "auto", o->skip_bad ? "true" : "false",
	                  o->no_index ? "true" : "false");
	if (o->custodian) {
		custos_buf_adds(b, ",\"custodian\":");
		custos_buf_add_json_text(b, o->custodian, strlen(o->custodian));
	}
	custos_buf_addc(b, '}');
	return CUSTOS_OK;
}

static void audit_result(custos_buf_t *b, const custos_ingest_summary_t *s,
                         const custos_buf_t *not_taken, const char *errmsg)
{
	char chain[CUSTOS_SHA256_HEX], digest[CUSTOS_SHA256_HEX];
	custos_hex(chain, s->chain, sizeof s->chain);
	custos_hex(digest, s->digest, sizeof s->digest);
	custos_buf_printf(b, "{\"added\":%llu,\"versions\":%llu,\"unchanged\":%llu,"
	                  "\"quarantined\":%llu,\"blobs\":%llu,\"batches\":%llu,\"indexed\":%llu,"
	                  "\"first_seq\":%llu,\"last_seq\":%llu,\"chain\":\"%s\",\"digest\":\"%s\"",
	                  (unsigned long long)s->added, (unsigned long long)s->versions,
	                  (unsigned long long)s->unchanged, (unsigned long long)s->quarantined,
	                  (unsigned long long)s->blobs, (unsigned long long)s->batches,
	                  (unsigned long long)s->indexed, (unsigned long long)s->first_seq,
	                  (unsigned long long)s->last_seq,
	                  s->batches ? chain : "", s->batches ? digest : "");
	custos_buf_printf(b, ",\"not_taken\":[%s]", not_taken->data ? not_taken->data : "");
	if (errmsg) {
		custos_buf_adds(b, ",\"error\":");
		custos_buf_add_json_str(b, errmsg, strlen(errmsg));
	}
	custos_buf_addc(b, '}');
}

static int check_format(custos_session_t *s, const custos_import_module_t *m,
                        const char *format)
{
	custos_buf_t list = { 0 };
	if (!format || !strcmp(format, "auto"))
		return CUSTOS_OK;
	for (const char *const *f = m->formats(); *f; f++)
		if (!strcmp(*f, format))
			return CUSTOS_OK;
	for (const char *const *f = m->formats(); *f; f++)
		custos_buf_printf(&list, "%s%s", f == m->formats() ? "" : ", ", *f);
	custos_err_set(&s->err, CUSTOS_EINVAL, "unknown format '%s' (one of: auto, %s)", format,
	               list.data ? list.data : "");
	custos_buf_free(&list);
	return CUSTOS_EINVAL;
}

/* Records that audit entries now account for what was committed, and
 * anchors that in the record chain. */
static void anchor_after(custos_session_t *s, uint64_t last_seq)
{
	if (last_seq)
		custos_archive__audited(s->a, last_seq);
	custos_writer__anchor(s->a, NULL);
}

int custos_archive_ingest(custos_session_t *s, const char *const *paths, size_t n_paths,
                          const custos_ingest_opts_t *opts, custos_ingest_summary_t *summary)
{
	static const custos_ingest_opts_t defaults = CUSTOS_INGEST_OPTS_INIT;
	custos_ingest_summary_t local;
	const custos_import_module_t *imp = NULL;
	custos_buf_t params = { 0 }, result = { 0 };
	char (*hexes)[CUSTOS_SHA256_HEX] = NULL;
	struct stat sb;
	int rc;

	if (!opts)
		opts = &defaults;
	if (!summary)
		summary = &local;
	memset(summary, 0, sizeof *summary);
	summary->failed_line = summary->failed_offset = -1;
	if ((rc = custos_session__begin(s, CUSTOS_OP_INGEST, "ingest")) < 0 ||
	    (rc = custos_session__need_write(s, "ingest")) < 0 ||
	    (rc = importers(&imp, &s->err)) < 0 ||
	    (rc = check_format(s, imp, opts->format)) < 0)
		return custos_session__audit(s, "ingest", NULL, NULL, rc);
	/* every path must be there before anything is written */
	for (size_t i = 0; i < n_paths; i++)
		if (stat(paths[i], &sb) < 0)
			return custos_err_set(&s->err, errno == EACCES ? CUSTOS_EACCESS :
			                      errno == ENOENT ? CUSTOS_ENOTFOUND : CUSTOS_EIO,
			                      "cannot read '%s': %s", paths[i], strerror(errno));
	custos_session__unpin(s);

	ingest_t in;
	memset(&in, 0, sizeof in);
	in.s = s;
	in.opts = opts;
	in.sum = summary;
	in.batch_max = opts->batch_records ? opts->batch_records : DEFAULT_BATCH;
	custos_sha256_init(&in.digest);
	custos_import_sink_t sink = { .record = sink_record, .bad = sink_bad, .blob = sink_blob,
	                              .warn = sink_warn, .file_done = sink_file_done, .ctx = &in,
	                              .not_taken = sink_not_taken, .known = sink_known };
	if ((rc = custos_store_view(&in.view, s->a->store, &s->err)) < 0)
		goto done;
	if (!(hexes = calloc(n_paths ? n_paths : 1, sizeof *hexes))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = audit_params(&params, paths, n_paths, opts, hexes, &s->err)) < 0)
		goto done;
	/* an entry before the work, so an ingest cut short by a crash still
	 * shows in the chain next to the batches it committed */
	if ((rc = custos_session__audit(s, "ingest-begin", params.data, NULL, CUSTOS_OK)) < 0)
		goto done;

	for (size_t i = 0; i < n_paths && rc == CUSTOS_OK; i++) {
		custos_err_t ierr = { 0 };
		/* the file was read whole for the audit entry: its hash spares
		 * the import a read of its own before the first record */
		rc = imp->run_hashed(paths[i], opts->format, hexes[i][0] ? hexes[i] : NULL,
		                     &sink, &ierr);
		if (rc < 0 && s->err.status == CUSTOS_OK)
			s->err = ierr;   /* the importer's own failure, not the sink's */
	}
	if (rc == CUSTOS_OK) {
		rc = flush(&in);
	} else {
		/* the batch being read when the error came is dropped */
		slot_reset(&in.slots[in.cur]);
	}
	{
		custos_err_t keep = s->err;
		int drc = drain(&in);
		if (rc == CUSTOS_OK)
			rc = drc;
		else
			s->err = keep;
	}
	custos_sha256_final(&in.digest, summary->digest);
	/* store first, index after: what was committed is indexed even when
	 * the ingest stopped on an error, so search sees what the store holds */
	if (!opts->no_index && summary->last_seq) {
		custos_err_t ierr = { 0 };
		int irc = custos_indexsvc__wait(s->a, summary->last_seq, &ierr);
		if (irc == CUSTOS_OK)
			summary->indexed = summary->added + summary->versions;
		else if (rc == CUSTOS_OK) {
			rc = irc;
			s->err = ierr;
		}
	}
	audit_result(&result, summary, &in.not_taken, rc < 0 ? s->err.msg : NULL);
	{
		custos_err_t keep = s->err;
		int arc = custos_session__audit(s, "ingest", params.data, result.data, rc);
		/* the entry accounts for the batches committed, even on a failure;
		 * when it could not be written the next writer's open does it */
		anchor_after(s, s->audit_ok ? summary->last_seq : 0);
		if (rc == CUSTOS_OK)
			rc = arc;
		else
			s->err = keep;
	}
done:
	custos_store_free(in.view);
	custos_buf_free(&in.not_taken);
	for (int k = 0; k < 2; k++)
		slot_free(&in.slots[k]);
	free(hexes);
	custos_buf_free(&params);
	custos_buf_free(&result);
	return rc;
}

/* ---- records pushed by connectors ---------------------------------------- */

void custos_submit_result_free(custos_submit_result_t *r)
{
	if (!r)
		return;
	custos_arena_free(&r->arena);
	free(r->v);
	free(r);
}

int custos_archive_submit(custos_session_t *s, const char *text, size_t len,
                          const char *source, custos_submit_result_t **out)
{
	custos_submit_result_t *res = NULL;
	custos_record_t *recs = NULL;
	custos_put_t *outcomes = NULL;
	custos_wbad_t *bad = NULL;
	size_t *line_of = NULL, *bad_line = NULL, n_recs = 0, n_bad = 0, n_lines = 0, cap = 0;
	custos_wjob_t job;
	int rc;

	*out = NULL;
	memset(&job, 0, sizeof job);
	if ((rc = custos_session__begin(s, CUSTOS_OP_INGEST, "submit records")) < 0 ||
	    (rc = custos_session__need_write(s, "submit records")) < 0)
		goto audit;
	if (len > SUBMIT_MAX) {
		rc = custos_err_set(&s->err, CUSTOS_ETOOBIG, "the records are %zu bytes, over the "
		                    "limit of %zu", len, SUBMIT_MAX);
		goto audit;
	}
	custos_session__unpin(s);
	if (!(res = calloc(1, sizeof *res))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto audit;
	}
	/* every line is read before anything is written */
	for (size_t pos = 0, lineno = 1; pos < len; lineno++) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		if (n && line[n - 1] == '\r')
			n--;
		size_t k = 0;
		while (k < n && (line[k] == ' ' || line[k] == '\t'))
			k++;
		if (k == n)
			continue;
		/* every array has room for one entry a line */
		if (grow((void **)&recs, &cap, n_lines + 1, sizeof *recs) < 0 ||
		    !(line_of = realloc(line_of, cap * sizeof *line_of)) ||
		    !(bad_line = realloc(bad_line, cap * sizeof *bad_line)) ||
		    !(res->v = realloc(res->v, cap * sizeof *res->v)) ||
		    !(bad = realloc(bad, cap * sizeof *bad))) {
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			goto fail;
		}
		custos_record_t *r = &recs[n_recs];
		custos_err_t perr = { 0 };
		custos_record_init(r);
		custos_line_result_t *lr = &res->v[n_lines++];
		memset(lr, 0, sizeof *lr);
		if (custos_record_from_json(r, line, n, &perr) == CUSTOS_OK &&
		    custos_record_sets(r, &r->source.format, "connector") == CUSTOS_OK &&
		    (!source || custos_record_sets(r, &r->source.connector, source) == CUSTOS_OK) &&
		    custos_record_derive(r) == CUSTOS_OK &&
		    custos_record_validate(r, &perr) == CUSTOS_OK && strlen(r->id) <= 400) {
			line_of[n_recs++] = n_lines - 1;
			continue;
		}
		if (!perr.msg[0])
			snprintf(perr.msg, sizeof perr.msg, "%s", strlen(r->id ? r->id : "") > 400
			         ? "the record's id is longer than 400 bytes" : "out of memory");
		custos_record_free(r);
		json_error_t je;
		json_t *j = json_loadb(line, n, JSON_DECODE_ANY, &je);
		if (!j) {
			rc = custos_err_set(&s->err, CUSTOS_EFORMAT, "line %zu is not JSON (column "
			                    "%d: %s): nothing was taken", lineno, je.column, je.text);
			goto fail;
		}
		json_decref(j);
		/* JSON, but not a record: it is kept in quarantine */
		bad_line[n_bad] = n_lines - 1;
		custos_wbad_t *q = &bad[n_bad++];
		memset(q, 0, sizeof *q);
		char name[64];
		snprintf(name, sizeof name, "%s", source ? source : "(submitted)");
		q->file = custos_arena_strdup(&res->arena, name);
		q->why = custos_arena_strdup(&res->arena, perr.msg);
		q->raw = custos_arena_strndup(&res->arena, line, n);
		q->n = n;
		q->offset = (int64_t)(line - text);
		q->line = (int64_t)lineno;
		lr->outcome = CUSTOS_LINE_QUARANTINED;
		lr->why = (char *)q->why;
		if (!q->file || !q->why || !q->raw) {
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (n_recs && !(outcomes = calloc(n_recs, sizeof *outcomes))) {
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
		goto fail;
	}
	job.recs = recs;
	job.n_recs = n_recs;
	job.outcomes = outcomes;
	job.bad = bad;
	job.n_bad = n_bad;
	if ((rc = custos_writer__run(s->a, &job)) < 0) {
		custos_session__fail(s, rc, job.err.msg, "cannot commit");
		goto fail;
	}
	res->n = n_lines;
	for (size_t i = 0; i < n_bad; i++) {
		res->quarantined += bad[i].added;
		res->v[bad_line[i]].seq = bad[i].qn;
	}
	for (size_t i = 0; i < n_recs; i++) {
		custos_line_result_t *lr = &res->v[line_of[i]];
		const custos_record_t *r = &recs[i];
		lr->outcome = outcomes[i] == CUSTOS_PUT_ADDED ? CUSTOS_LINE_ADDED :
		              outcomes[i] == CUSTOS_PUT_VERSION ? CUSTOS_LINE_VERSION :
		              CUSTOS_LINE_UNCHANGED;
		lr->id = custos_arena_strdup(&res->arena, r->id);
		lr->seq = r->seq;
		lr->version = r->version;
		if (!lr->id) {
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory (after the commit)");
			goto fail;
		}
		if (lr->outcome == CUSTOS_LINE_ADDED)
			res->added++;
		else if (lr->outcome == CUSTOS_LINE_VERSION)
			res->versions++;
		else
			res->unchanged++;
		if (lr->outcome != CUSTOS_LINE_UNCHANGED) {
			if (!res->first_seq || r->seq < res->first_seq)
				res->first_seq = r->seq;
			if (r->seq > res->last_seq)
				res->last_seq = r->seq;
		}
	}
	*out = res;
	res = NULL;
	rc = CUSTOS_OK;
fail:
	for (size_t i = 0; i < n_recs; i++)
		custos_record_free(&recs[i]);
	free(recs);
	free(outcomes);
	free(bad);
	free(bad_line);
	free(line_of);
audit:;
	custos_buf_t p = { 0 }, r = { 0 };
	custos_buf_printf(&p, "{\"bytes\":%zu", len);
	if (source) {
		custos_buf_adds(&p, ",\"source\":");
		custos_buf_add_json_str(&p, source, strlen(source));
	}
	custos_buf_addc(&p, '}');
	if (*out)
		custos_buf_printf(&r, "{\"added\":%llu,\"versions\":%llu,\"unchanged\":%llu,"
		                  "\"quarantined\":%llu,\"first_seq\":%llu,\"last_seq\":%llu}",
		                  (unsigned long long)(*out)->added, (unsigned long long)(*out)->versions,
		                  (unsigned long long)(*out)->unchanged,
		                  (unsigned long long)(*out)->quarantined,
		                  (unsigned long long)(*out)->first_seq,
		                  (unsigned long long)(*out)->last_seq);
	int arc = custos_session__audit(s, "submit", p.data, r.data, rc);
	if (s->audit_ok && *out && (*out)->last_seq)
		custos_archive__audited(s->a, (*out)->last_seq);
	custos_buf_free(&p);
	custos_buf_free(&r);
	custos_submit_result_free(res);
	if (rc == CUSTOS_OK && arc < 0) {
		custos_submit_result_free(*out);
		*out = NULL;
		rc = arc;
	}
	return rc;
}
