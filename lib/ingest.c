/* The ingest pipeline: importers hand records to this sink, which checks
 * them, stages them in store batches and commits batch by batch. Bad items
 * stop the ingest or, with skip_bad, go to quarantine with their raw bytes. */
#include "archive_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_BATCH 2000
#define PIPE_QUEUE_MAX 4     /* committed batches waiting for the index thread */

/* The index side of an ingest: a thread that indexes each batch once the
 * store has committed it, on the other core. It works from copies of the
 * batch's records, so it never reads the store. When it falls behind, the
 * capture does not wait: the pipe gives up (from then on nothing more is
 * queued, so the index's watermark never skips a batch) and the catch-up
 * from the watermark after the ingest finishes the job from the store. */
typedef struct pipe_batch {
	custos_record_t *recs;
	size_t n, cap;
	uint64_t last_seq;
	struct pipe_batch *next;
} pipe_batch_t;

typedef struct {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pipe_batch_t *head, *tail;
	size_t queued;
	bool running, finish, gave_up;
	custos_index_t *idx;
	uint64_t indexed;
	uint64_t last_seq;          /* of the last batch whose commit was queued */
	int status;
} index_pipe_t;

static void pipe_batch_free(pipe_batch_t *pb)
{
	if (!pb)
		return;
	for (size_t i = 0; i < pb->cap; i++)
		custos_record_free(&pb->recs[i]);
	free(pb->recs);
	free(pb);
}

static void *pipe_main(void *arg)
{
	index_pipe_t *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->head && !p->finish)
			pthread_cond_wait(&p->cv, &p->mu);
		pipe_batch_t *pb = p->head;
		if (pb) {
			p->head = pb->next;
			if (!p->head)
				p->tail = NULL;
			p->queued--;
		}
		pthread_mutex_unlock(&p->mu);
		if (!pb)
			break;
		int rc = CUSTOS_OK;
		for (size_t i = 0; i < pb->n && rc == CUSTOS_OK; i++)
			rc = custos_index_add(p->idx, &pb->recs[i]);
		/* queued: the thread goes on feeding the shards while they
		 * commit; pipe_stop waits for the last commit */
		if (rc == CUSTOS_OK)
			rc = custos_index_commit_queued(p->idx, pb->last_seq);
		if (rc == CUSTOS_OK) {
			p->indexed += pb->n;
			p->last_seq = pb->last_seq;
		}
		pipe_batch_free(pb);
		if (rc < 0) {
			/* the catch-up after the ingest reports what is wrong */
			pthread_mutex_lock(&p->mu);
			p->status = rc;
			p->gave_up = true;
			pthread_mutex_unlock(&p->mu);
		}
	}
	return NULL;
}

/* Starts the index thread when the index is level with the store (so the
 * batches it gets follow on from its watermark); otherwise the ingest
 * indexes by catching up afterwards. */
static void pipe_start(custos_archive_t *a, index_pipe_t *p)
{
	uint64_t last = 0, wm = 0;
	memset(p, 0, sizeof *p);
	if (custos_store_last_seq(a->store, &last) < 0 ||
	    custos_archive_index_open(a, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, &p->idx) < 0)
		goto off;
	if (custos_index_watermark(p->idx, &wm) < 0 || wm != last)
		goto off;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, pipe_main, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		goto off;
	}
	p->running = true;
	return;
off:
	custos_index_free(p->idx);
	p->idx = NULL;
	custos_err_clear(&a->err);
}

/* Hands a committed batch over; gives up when the thread is behind. */
static void pipe_push(index_pipe_t *p, pipe_batch_t *pb)
{
	if (!p->running) {
		pipe_batch_free(pb);
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (p->gave_up || p->queued >= PIPE_QUEUE_MAX) {
		p->gave_up = true;
		pthread_mutex_unlock(&p->mu);
		pipe_batch_free(pb);
		return;
	}
	pb->next = NULL;
	if (p->tail)
		p->tail->next = pb;
	else
		p->head = pb;
	p->tail = pb;
	p->queued++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void pipe_stop(index_pipe_t *p)
{
	if (p->running) {
		pthread_mutex_lock(&p->mu);
		p->finish = true;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
		while (p->head) {
			pipe_batch_t *next = p->head->next;
			pipe_batch_free(p->head);
			p->head = next;
		}
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		p->running = false;
		/* what was queued is durable now, or counted as not indexed (the
		 * catch-up after the ingest indexes it) */
		if (p->indexed && custos_index_commit(p->idx, p->last_seq) < 0)
			p->indexed = 0;
	}
	custos_index_free(p->idx);
	p->idx = NULL;
}

typedef struct {
	custos_archive_t *a;
	const custos_ingest_opts_t *opts;
	custos_ingest_summary_t *sum;
	custos_batch_t *batch;
	size_t in_batch, batch_max;
	uint64_t records_seen, bytes_in;
	custos_sha256_ctx_t digest;
	custos_err_t *err;
	index_pipe_t *pipe;         /* NULL without the index thread */
	pipe_batch_t *pending;      /* copies of this batch's records, for the index */
	custos_root_cache_t *roots;
	custos_buf_t not_taken;     /* the audit entry's list: {"file":..,"why":..},... */
} ingest_t;

static int ensure_batch(ingest_t *in)
{
	if (in->batch)
		return CUSTOS_OK;
	int rc = custos_store_begin(&in->batch, in->a->store);
	if (rc < 0)
		custos_err_set(in->err, rc, "%s", custos_store_err(in->a->store)->msg);
	return rc;
}

static int commit_batch(ingest_t *in)
{
	custos_batch_summary_t bs;
	if (!in->batch)
		return CUSTOS_OK;
	int rc = custos_store_commit(in->batch, &bs);
	in->batch = NULL;
	in->in_batch = 0;
	pipe_batch_t *pb = in->pending;
	in->pending = NULL;
	if (rc < 0) {
		pipe_batch_free(pb);
		return custos_err_set(in->err, rc, "cannot commit: %s",
		                      custos_store_err(in->a->store)->msg);
	}
	if (in->pipe && pb) {
		/* store first, index after: only now may the index see the batch */
		pb->last_seq = bs.last_seq;
		pipe_push(in->pipe, pb);
	} else {
		pipe_batch_free(pb);
	}
	custos_ingest_summary_t *s = in->sum;
	s->added += bs.added;
	s->versions += bs.versions;
	s->unchanged += bs.unchanged;
	s->quarantined += bs.quarantined;
	s->blobs += bs.blobs;
	s->batches++;
	if (bs.first_seq && !s->first_seq)
		s->first_seq = bs.first_seq;
	if (bs.last_seq)
		s->last_seq = bs.last_seq;
	memcpy(s->chain, bs.chain, sizeof s->chain);
	custos_sha256_update(&in->digest, bs.digest, sizeof bs.digest);
	if (in->opts->progress)
		in->opts->progress(in->opts->ctx, in->records_seen, in->bytes_in);
	return CUSTOS_OK;
}

static int sink_bad(void *ctx, const char *file, int64_t offset, int64_t line,
                    const char *why, const char *raw, size_t n)
{
	ingest_t *in = ctx;
	int rc;
	if (!in->opts->skip_bad) {
		custos_ingest_summary_t *s = in->sum;
		snprintf(s->failed_file, sizeof s->failed_file, "%s", file);
		s->failed_line = line;
		s->failed_offset = offset;
		if (line > 0)
			return custos_err_set(in->err, CUSTOS_EFORMAT, "%s:%lld: %s", file,
			                      (long long)line, why);
		return custos_err_set(in->err, CUSTOS_EFORMAT, "%s: byte %lld: %s", file,
		                      (long long)offset, why);
	}
	if ((rc = ensure_batch(in)) < 0)
		return rc;
	if ((rc = custos_store_quarantine_put(in->batch, file, offset, line, why, raw, n)) < 0)
		return custos_err_set(in->err, rc, "cannot quarantine: %s",
		                      custos_store_err(in->a->store)->msg);
	in->bytes_in += n;
	return CUSTOS_OK;
}

/* Keeps a copy of a stored record for the index thread, with its thread
 * root resolved here (the index thread never reads the store). */
static int pipe_keep(ingest_t *in, const custos_record_t *rec)
{
	pipe_batch_t *pb = in->pending;
	const char *root;
	int rc;
	if (!pb) {
		if (!(pb = calloc(1, sizeof *pb)))
			return custos_err_set(in->err, CUSTOS_ENOMEM, "out of memory");
		in->pending = pb;
	}
	if (pb->n == pb->cap) {
		size_t cap = pb->cap ? pb->cap * 2 : 256;
		custos_record_t *nr = realloc(pb->recs, cap * sizeof *nr);
		if (!nr)
			return custos_err_set(in->err, CUSTOS_ENOMEM, "out of memory");
		for (size_t i = pb->cap; i < cap; i++)
			custos_record_init(&nr[i]);
		pb->recs = nr;
		pb->cap = cap;
	}
	if ((rc = custos_archive__thread_root(in->a, in->roots, rec, &root)) < 0)
		return rc;
	custos_record_t view = *rec;   /* the index needs neither raw bytes nor source */
	view.raw = NULL;
	view.raw_len = 0;
	view.thread = (char *)root;
	if ((rc = custos_record_copy(&pb->recs[pb->n], &view)) < 0)
		return custos_err_set(in->err, rc, "out of memory");
	pb->n++;
	return CUSTOS_OK;
}

static int sink_record(void *ctx, custos_record_t *rec)
{
	ingest_t *in = ctx;
	custos_err_t verr = { 0 };
	int rc;

	in->records_seen++;
	in->bytes_in += rec->raw_len;
	if (in->opts->custodian &&
	    (rc = custos_record_sets(rec, &rec->custodian, in->opts->custodian)) < 0)
		return custos_err_set(in->err, rc, "out of memory");
	if ((rc = custos_record_derive(rec)) < 0)
		return custos_err_set(in->err, rc, "cannot derive record fields");
	if (custos_record_validate(rec, &verr) < 0)
		return sink_bad(ctx, rec->source.file ? rec->source.file : "(input)",
		                rec->source.offset, rec->source.line, verr.msg,
		                rec->raw, rec->raw_len);
	if ((rc = ensure_batch(in)) < 0)
		return rc;
	custos_put_t outcome;
	if ((rc = custos_store_put(in->batch, rec, &outcome)) < 0)
		return custos_err_set(in->err, rc, "cannot store %s: %s", rec->id,
		                      custos_store_err(in->a->store)->msg);
	if (in->pipe && outcome != CUSTOS_PUT_UNCHANGED && (rc = pipe_keep(in, rec)) < 0)
		return rc;
	if (++in->in_batch >= in->batch_max)
		return commit_batch(in);
	return CUSTOS_OK;
}

static int sink_blob(void *ctx, const void *p, size_t n, char hex[CUSTOS_SHA256_HEX])
{
	ingest_t *in = ctx;
	int rc;
	if ((rc = ensure_batch(in)) < 0)
		return rc;
	if ((rc = custos_store_blob_put(in->batch, p, n, hex)) < 0)
		return custos_err_set(in->err, rc, "cannot store media: %s",
		                      custos_store_err(in->a->store)->msg);
	in->bytes_in += n;
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
	if (custos_utf8_check(file, strlen(file)) == strlen(file))
		custos_buf_add_json_str(b, file, strlen(file));
	else
		custos_buf_adds(b, "\"(a name that is not UTF-8)\"");
	custos_buf_adds(b, ",\"why\":");
	custos_buf_add_json_str(b, why, strlen(why));
	custos_buf_addc(b, '}');
	if (in->opts->not_taken)
		in->opts->not_taken(in->opts->ctx, file, why);
}

/* Whether the store holds id (committed before this ingest's batch). */
static int sink_known(void *ctx, const char *id)
{
	ingest_t *in = ctx;
	uint64_t *seqs = NULL;
	size_t n = 0;
	int rc = custos_store_versions(in->a->store, id, &seqs, &n);
	free(seqs);
	if (rc < 0)
		return custos_err_set(in->err, rc, "%s", custos_store_err(in->a->store)->msg);
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
		custos_buf_add_json_str(b, o->custodian, strlen(o->custodian));
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
	                  "\"held\":%llu,"
	                  "\"first_seq\":%llu,\"last_seq\":%llu,\"chain\":\"%s\",\"digest\":\"%s\"",
	                  (unsigned long long)s->added, (unsigned long long)s->versions,
	                  (unsigned long long)s->unchanged, (unsigned long long)s->quarantined,
	                  (unsigned long long)s->blobs, (unsigned long long)s->batches,
	                  (unsigned long long)s->indexed, (unsigned long long)s->held,
	                  (unsigned long long)s->first_seq,
	                  (unsigned long long)s->last_seq,
	                  s->batches ? chain : "", s->batches ? digest : "");
	custos_buf_printf(b, ",\"not_taken\":[%s]", not_taken->data ? not_taken->data : "");
	if (errmsg) {
		custos_buf_adds(b, ",\"error\":");
		custos_buf_add_json_str(b, errmsg, strlen(errmsg));
	}
	custos_buf_addc(b, '}');
}

int custos_archive_ingest(custos_archive_t *a, const char *const *paths, size_t n_paths,
                          const custos_ingest_opts_t *opts, custos_ingest_summary_t *summary)
{
	static const custos_ingest_opts_t defaults = CUSTOS_INGEST_OPTS_INIT;
	custos_ingest_summary_t local;
	custos_buf_t params = { 0 }, result = { 0 };
	char (*hexes)[CUSTOS_SHA256_HEX] = NULL;
	struct stat sb;
	int rc = CUSTOS_OK, arc;

	if (!opts)
		opts = &defaults;
	if (!summary)
		summary = &local;
	memset(summary, 0, sizeof *summary);
	summary->failed_line = summary->failed_offset = -1;
	custos_err_clear(&a->err);
	if (!(a->flags & CUSTOS_OPEN_WRITE))
		return custos_err_set(&a->err, CUSTOS_EINVAL, "archive not opened for writing");
	/* every path must be there before anything is written */
	for (size_t i = 0; i < n_paths; i++)
		if (stat(paths[i], &sb) < 0)
			return custos_err_set(&a->err, errno == EACCES ? CUSTOS_EACCESS :
			                      errno == ENOENT ? CUSTOS_ENOTFOUND : CUSTOS_EIO,
			                      "cannot read '%s': %s", paths[i], strerror(errno));

	ingest_t in = { .a = a, .opts = opts, .sum = summary, .err = &a->err };
	index_pipe_t pipe;
	memset(&pipe, 0, sizeof pipe);
	in.batch_max = opts->batch_records ? opts->batch_records : DEFAULT_BATCH;
	custos_sha256_init(&in.digest);
	custos_import_sink_t sink = { .record = sink_record, .bad = sink_bad, .blob = sink_blob,
	                              .warn = sink_warn, .file_done = sink_file_done, .ctx = &in,
	                              .not_taken = sink_not_taken, .known = sink_known };
	if (!(hexes = calloc(n_paths ? n_paths : 1, sizeof *hexes))) {
		rc = custos_err_set(&a->err, CUSTOS_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = audit_params(&params, paths, n_paths, opts, hexes, &a->err)) < 0)
		goto done;
	/* an entry before the work, so an ingest cut short by a crash still
	 * shows in the chain next to the batches it committed */
	if ((rc = custos_archive_audit(a, "ingest-begin", params.data, NULL, CUSTOS_OK)) < 0)
		goto done;
	if (!opts->no_index && (in.roots = malloc(sizeof *in.roots))) {
		custos_archive__root_cache_init(in.roots);
		pipe_start(a, &pipe);
		if (pipe.running)
			in.pipe = &pipe;
	}

	for (size_t i = 0; i < n_paths && rc == CUSTOS_OK; i++) {
		custos_err_t ierr = { 0 };
		/* the file was read whole for the audit entry: its hash spares
		 * the import a read of its own before the first record */
		rc = custos_import_run_hashed(paths[i], opts->format, hexes[i][0] ? hexes[i] : NULL,
		                              &sink, &ierr);
		if (rc < 0 && a->err.status == CUSTOS_OK)
			a->err = ierr;   /* the importer's own failure, not the sink's */
	}
	if (rc == CUSTOS_OK)
		rc = commit_batch(&in);
	else
		custos_store_abort(in.batch);
	in.batch = NULL;
	pipe_batch_free(in.pending);
	in.pending = NULL;
	pipe_stop(&pipe);
	summary->indexed = pipe.indexed;
	if (in.roots) {
		custos_archive__root_cache_free(in.roots);
		free(in.roots);
	}
	/* store first, index after: what was committed is indexed even when
	 * the ingest stopped on an error, so search sees what the store holds */
	if (!opts->no_index && summary->batches) {
		custos_err_t keep = a->err;
		custos_err_clear(&a->err);
		uint64_t more = 0;
		int irc = custos_archive_index_catch_up(a, false, NULL, NULL, &more);
		summary->indexed += more;
		/* legal holds cover records captured after they were made: their
		 * membership grows here, once the index sees the new records */
		if (irc == CUSTOS_OK)
			irc = custos_archive_holds_refresh(a, &summary->held);
		if (irc < 0 && rc == CUSTOS_OK)
			rc = irc;
		else
			a->err = rc < 0 ? keep : a->err;
	}
	custos_sha256_final(&in.digest, summary->digest);

	audit_result(&result, summary, &in.not_taken, rc < 0 ? a->err.msg : NULL);
	custos_err_t aerr = a->err;
	arc = custos_archive_audit(a, "ingest", params.data, result.data, rc);
	if (rc == CUSTOS_OK && arc < 0)
		rc = arc;
	else
		a->err = aerr;
done:
	custos_buf_free(&in.not_taken);
	free(hexes);
	custos_buf_free(&params);
	custos_buf_free(&result);
	return rc;
}
