/* Jobs: imports, verifications, retention runs and productions that
 * outlast a request. One runner thread takes them in order and runs each in
 * a session of the one who asked; each job is a file under
 * <archive>/service/jobs, so a restart resumes what was cut short, or marks
 * it failed with the reason. A production writes into
 * <archive>/service/productions/ID (removed here when it does not
 * finish); lib/production.c, in the serve module, serves and deletes what a
 * finished one wrote. */
#include "service_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct jentry jentry_t;
struct jentry {
	char     id[CUSTOS_JOB_ID];
	char     kind[24];
	custos_job_state_t state;
	int64_t  created_at, started_at, finished_at;
	uint64_t done, total;
	unsigned runs;
	char     phase[16];    /* a production's phase, "" otherwise */
	int      cancel;       /* a production asked to stop (atomic; custos_job_cancel) */
	json_t  *doc;          /* params, who, result, error: what the file holds */
	jentry_t *next;
};

struct custos_jobs {
	custos_archive_t *a;
	char             dir[4096];
	char             pdir[4096];     /* service/productions */
	pthread_mutex_t  mu;
	pthread_cond_t   cv;
	jentry_t        *list;       /* every job, oldest first */
	bool             stop, running_thread;
	pthread_t        th;
	custos_session_t *current;   /* the running job's session (cancelled by a stop) */
};

struct custos_upload {
	custos_service_t *svc;
	int      fd;
	char     id[CUSTOS_JOB_ID];
	char     path[4400];
	char     name[256];
	uint64_t bytes;
	bool     handed;
};

static const char *const state_names[] = { NULL, "queued", "running", "done", "failed" };

const char *custos_job_state_name(custos_job_state_t st)
{
	return st >= CUSTOS_JOB_QUEUED && st <= CUSTOS_JOB_FAILED ? state_names[st] : NULL;
}

static custos_job_state_t state_parse(const char *s)
{
	for (int i = CUSTOS_JOB_QUEUED; i <= CUSTOS_JOB_FAILED; i++)
		if (s && !strcmp(s, state_names[i]))
			return (custos_job_state_t)i;
	return 0;
}

static void new_id(char id[CUSTOS_JOB_ID])
{
	snprintf(id, CUSTOS_JOB_ID, "j%013lld-%08x", (long long)custos_time_now(),
	         randombytes_random());
}

static json_t *time_json(int64_t ms)
{
	char t[40];
	if (ms == CUSTOS_TIME_NONE)
		return json_null();
	custos_time_format(t, sizeof t, ms);
	return json_string(t);
}

/* Writes e's file. Takes j->mu to read e: the file is written outside. */
static int persist(custos_jobs_t *j, jentry_t *e, custos_err_t *err)
{
	char path[4200];
	pthread_mutex_lock(&j->mu);
	json_t *d = e->doc;
	json_object_set_new(d, "id", json_string(e->id));
	json_object_set_new(d, "kind", json_string(e->kind));
	json_object_set_new(d, "state", json_string(state_names[e->state]));
	json_object_set_new(d, "created_at", time_json(e->created_at));
	json_object_set_new(d, "started_at", time_json(e->started_at));
	json_object_set_new(d, "finished_at", time_json(e->finished_at));
	json_object_set_new(d, "runs", json_integer(e->runs));
	json_object_set_new(d, "done", json_integer((json_int_t)e->done));
	json_object_set_new(d, "total", json_integer((json_int_t)e->total));
	if (e->phase[0])
		json_object_set_new(d, "phase", json_string(e->phase));
	char *text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
	pthread_mutex_unlock(&j->mu);
	if (!text)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	snprintf(path, sizeof path, "%s/%s.json", j->dir, e->id);
	int rc = custos_service__write(path, text, strlen(text), err);
	free(text);
	return rc;
}

/* An audit entry of the service about job e, in a session of its own. */
static void audit_job(custos_jobs_t *j, jentry_t *e, const char *action, const char *why)
{
	custos_session_t *s = NULL;
	if (custos_session_open(&s, j->a, NULL, NULL) < 0)
		return;
	custos_buf_t p = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "job", e->id);
	custos_lib__json_kv(&p, "kind", e->kind);
	if (why)
		custos_lib__json_kv(&p, "reason", why);
	custos_buf_addc(&p, '}');
	custos_session__audit(s, action, p.data, NULL, CUSTOS_OK);
	custos_buf_free(&p);
	custos_session_free(s);
}

#define STOPPED_PRODUCTION "the server stopped while the production ran: it has no " \
	"manifest, what it had written was removed, and it is not run again on its own; " \
	"ask for it again"

static bool resumable(const char *kind)
{
	return !strcmp(kind, "import") || !strcmp(kind, "verify");
}

/* Reads the jobs an earlier run left, resuming or failing the unfinished. */
static int load_all(custos_jobs_t *j, custos_err_t *err)
{
	DIR *d = opendir(j->dir);
	struct dirent *de;
	jentry_t **tail = &j->list;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = CUSTOS_OK;
	if (!d)
		return custos_err_set(err, CUSTOS_EIO, "cannot open '%s': %s", j->dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") || de->d_name[0] != 'j')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
			if (!nn) {
				rc = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	/* ids begin with their creation time: name order is job order */
	for (size_t i = 0; i + 1 < n && rc == CUSTOS_OK; i++)
		for (size_t k = i + 1; k < n; k++)
			if (strcmp(names[i], names[k]) > 0) {
				char *t = names[i];
				names[i] = names[k];
				names[k] = t;
			}
	for (size_t i = 0; i < n && rc == CUSTOS_OK; i++) {
		char path[4400];
		json_t *doc = NULL;
		snprintf(path, sizeof path, "%s/%s", j->dir, names[i]);
		if ((rc = custos_service__read_json(path, &doc, err)) < 0)
			break;
		jentry_t *e = calloc(1, sizeof *e);
		const char *id = json_string_value(json_object_get(doc, "id"));
		const char *kind = json_string_value(json_object_get(doc, "kind"));
		if (!e || !id || !kind || strlen(id) >= CUSTOS_JOB_ID || strlen(kind) >= sizeof e->kind) {
			free(e);
			json_decref(doc);
			rc = e ? custos_err_set(err, CUSTOS_ECORRUPT, "'%s' is not a job custos wrote", path)
			       : custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			break;
		}
		snprintf(e->id, sizeof e->id, "%s", id);
		snprintf(e->kind, sizeof e->kind, "%s", kind);
		e->state = state_parse(json_string_value(json_object_get(doc, "state")));
		e->created_at = custos_service__json_time(doc, "created_at");
		e->started_at = custos_service__json_time(doc, "started_at");
		e->finished_at = custos_service__json_time(doc, "finished_at");
		e->runs = (unsigned)json_integer_value(json_object_get(doc, "runs"));
		e->done = (uint64_t)json_integer_value(json_object_get(doc, "done"));
		e->total = (uint64_t)json_integer_value(json_object_get(doc, "total"));
		snprintf(e->phase, sizeof e->phase, "%s",
		         json_string_value(json_object_get(doc, "phase")) ?: "");
		e->doc = doc;
		*tail = e;
		tail = &e->next;
		if (e->state != CUSTOS_JOB_RUNNING)
			continue;
		/* cut short by a crash or a kill: the reason is known */
		if (resumable(e->kind)) {
			e->state = CUSTOS_JOB_QUEUED;
			json_object_set_new(doc, "note", json_string("resumed: the server stopped while "
			                    "it ran; it runs again from the start (what it committed "
			                    "before is not added twice)"));
			audit_job(j, e, "job-resume", "the server stopped while it ran");
		} else if (!strcmp(e->kind, "production")) {
			/* never served as whole, never run again on its own: it would
			 * be a production of another snapshot than the one asked for,
			 * and a production that kills the server would kill it at every
			 * start */
			e->state = CUSTOS_JOB_FAILED;
			e->finished_at = custos_time_now();
			json_object_set_new(doc, "error", json_string(STOPPED_PRODUCTION));
			audit_job(j, e, "job-fail", "the server stopped while it ran");
		} else {
			e->state = CUSTOS_JOB_FAILED;
			e->finished_at = custos_time_now();
			json_object_set_new(doc, "error", json_string("the server stopped while it ran; "
			                    "run it again (a retention run finishes what an interrupted "
			                    "one began: docs/retention.md)"));
			audit_job(j, e, "job-fail", "the server stopped while it ran");
		}
		rc = persist(j, e, err);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- removing a production's files ------------------------------------------- */

/* Removes name below the directory pfd, depth levels deep at most. */
static int rm_at(int pfd, const char *name, int depth, custos_err_t *err)
{
	struct stat sb;
	int rc = CUSTOS_OK;
	if (fstatat(pfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? CUSTOS_OK
		       : custos_err_set(err, custos_lib__errno_status(errno), "cannot remove '%s': %s",
		                        name, strerror(errno));
	if (S_ISDIR(sb.st_mode)) {
		if (depth > 32)
			return custos_err_set(err, CUSTOS_EIO, "cannot remove '%s': more than 32 levels of "
			                      "folders (not what custos writes)", name);
		int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = fd < 0 ? NULL : fdopendir(fd);
		struct dirent *de;
		if (!d) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return custos_err_set(err, custos_lib__errno_status(e), "cannot remove '%s': %s",
			                      name, strerror(e));
		}
		while (rc == CUSTOS_OK && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				rc = rm_at(dirfd(d), de->d_name, depth + 1, err);
		closedir(d);
		if (rc == CUSTOS_OK && unlinkat(pfd, name, AT_REMOVEDIR) < 0)
			rc = custos_err_set(err, custos_lib__errno_status(errno), "cannot remove '%s': %s",
			                    name, strerror(errno));
		return rc;
	}
	if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT)
		return custos_err_set(err, custos_lib__errno_status(errno), "cannot remove '%s': %s",
		                      name, strerror(errno));
	return CUSTOS_OK;
}

int custos_production__remove(const char *pdir, const char *name, custos_err_t *err)
{
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return custos_err_set(err, CUSTOS_EINVAL, "'%s' is not a production's name", name);
	int pfd = open(pdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return custos_err_set(err, custos_lib__errno_status(errno), "cannot open '%s': %s",
		                      pdir, strerror(errno));
	int rc = rm_at(pfd, name, 0, err);
	if (rc == CUSTOS_OK && fsync(pfd) < 0)
		rc = custos_err_set(err, CUSTOS_EIO, "cannot sync '%s': %s", pdir, strerror(errno));
	close(pfd);
	return rc;
}

/* ---- running a job ---------------------------------------------------------- */

typedef struct {
	custos_jobs_t *j;
	jentry_t *e;
} progress_ctx_t;

static void on_ingest_progress(void *ctx, uint64_t records, uint64_t bytes_in)
{
	progress_ctx_t *p = ctx;
	(void)bytes_in;
	pthread_mutex_lock(&p->j->mu);
	p->e->done = records;
	pthread_mutex_unlock(&p->j->mu);
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	progress_ctx_t *p = ctx;
	pthread_mutex_lock(&p->j->mu);
	p->e->done = done;
	p->e->total = total;
	pthread_mutex_unlock(&p->j->mu);
}

static int run_import(custos_session_t *s, progress_ctx_t *pc, json_t *params, json_t **result)
{
	custos_ingest_opts_t o = CUSTOS_INGEST_OPTS_INIT;
	custos_ingest_summary_t sum;
	const char *path = json_string_value(json_object_get(params, "upload"));
	const char *const paths[1] = { path };
	o.format = json_string_value(json_object_get(params, "format"));
	o.skip_bad = json_is_true(json_object_get(params, "skip_bad"));
	o.progress = on_ingest_progress;
	o.ctx = pc;
	if (!path)
		return custos_err_set(&s->err, CUSTOS_ECORRUPT, "the job names no upload");
	int rc = custos_archive_ingest(s, paths, 1, &o, &sum);
	*result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "added", (json_int_t)sum.added,
	                    "versions", (json_int_t)sum.versions, "unchanged",
	                    (json_int_t)sum.unchanged, "quarantined", (json_int_t)sum.quarantined,
	                    "files", (json_int_t)sum.files, "indexed", (json_int_t)sum.indexed,
	                    "first_seq", (json_int_t)sum.first_seq, "last_seq",
	                    (json_int_t)sum.last_seq);
	return rc;
}

static int run_verify(custos_session_t *s, progress_ctx_t *pc, json_t **result)
{
	custos_verify_t v;
	memset(&v, 0, sizeof v);
	int rc = custos_archive_verify(s, on_progress, pc, &v);
	json_t *problems = json_array();
	for (size_t i = 0; i < v.n_problem && problems; i++)
		json_array_append_new(problems, json_string(v.problem[i]));
	*result = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:o}", "verified", rc == CUSTOS_OK,
	                    "records", (json_int_t)v.store.records, "audit_entries",
	                    (json_int_t)v.audit_entries, "index_docs", (json_int_t)v.index_docs,
	                    "index_lag", (json_int_t)v.index_lag, "problems",
	                    (json_int_t)v.problems, "problem", problems ? problems : json_array());
	custos_verify_free(&v);
	return rc;
}

static void on_export_progress(void *ctx, const custos_export_progress_t *p)
{
	progress_ctx_t *pc = ctx;
	pthread_mutex_lock(&pc->j->mu);
	snprintf(pc->e->phase, sizeof pc->e->phase, "%s", p->phase);
	pc->e->done = p->done;
	pc->e->total = p->total;
	pthread_mutex_unlock(&pc->j->mu);
	/* every record is written, the manifest not yet: where a crash leaves
	 * the most behind */
	if (!strcmp(p->phase, "finish"))
		custos_test_point("production-before-manifest");
}

/* The export options a production job's params hold (strings borrowed
 * from params). */
static void opts_of(json_t *params, custos_export_opts_t *o)
{
	json_t *f = json_object_get(params, "formats");
	o->query = json_string_value(json_object_get(params, "query"));
	o->hold = json_string_value(json_object_get(params, "hold"));
	o->matter = json_string_value(json_object_get(params, "matter"));
	o->tag = json_string_value(json_object_get(params, "tag"));
	o->formats = 0;
	for (size_t i = 0; i < json_array_size(f); i++)
		for (unsigned bit = 1; bit <= CUSTOS_EXPORT_HTML; bit <<= 1) {
			const char *name = custos_export_format_name(bit);
			if (name && !strcmp(name, json_string_value(json_array_get(f, i)) ?: ""))
				o->formats |= bit;
		}
	o->images = json_is_true(json_object_get(params, "images"));
	o->with_thread = json_is_true(json_object_get(params, "with_thread"));
	o->prefix = json_string_value(json_object_get(params, "prefix"));
	o->start = (uint64_t)json_integer_value(json_object_get(params, "start"));
	o->fields = json_string_value(json_object_get(params, "fields"));
	o->endorsement = json_string_value(json_object_get(params, "endorsement"));
}

static int run_production(custos_session_t *s, progress_ctx_t *pc, json_t *params,
                          json_t **result)
{
	custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
	custos_export_summary_t sum;
	char dir[4400];
	int rc;

	opts_of(params, &o);
	o.progress = on_export_progress;
	o.ctx = pc;
	o.cancel = &pc->e->cancel;
	memset(&sum, 0, sizeof sum);
	/* a directory of its own, private whatever the umask, empty: what an
	 * earlier run of the same id left (none should) goes first */
	snprintf(dir, sizeof dir, "%s/%s", pc->j->pdir, pc->e->id);
	if ((rc = custos_production__remove(pc->j->pdir, pc->e->id, &s->err)) < 0)
		return rc;
	if (mkdir(dir, 0700) < 0)
		return custos_err_set(&s->err, errno == ENOSPC || errno == EDQUOT ? CUSTOS_ENOSPC
		                      : CUSTOS_EIO, "cannot create '%s': %s", dir, strerror(errno));
	rc = custos_archive_export(s, dir, &o, &sum);
	if (rc == CUSTOS_OK)
		*result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:I, "
		                    "s:s}", "records", (json_int_t)sum.records, "documents",
		                    (json_int_t)sum.documents, "attachments",
		                    (json_int_t)sum.attachments, "withheld", (json_int_t)sum.withheld,
		                    "pages", (json_int_t)sum.pages, "not_produced",
		                    (json_int_t)sum.not_produced, "files", (json_int_t)sum.files,
		                    "bytes", (json_int_t)sum.bytes, "first", sum.first, "last",
		                    sum.last, "watermark", (json_int_t)sum.watermark, "store_last_seq",
		                    (json_int_t)sum.store_last_seq, "manifest_sha256",
		                    sum.manifest_sha256);
	return rc;
}

static int run_retention(custos_session_t *s, json_t *params, json_t **result)
{
	custos_retention_apply_t r;
	custos_retention_plan_t *plan = NULL;
	int64_t as_of = custos_service__json_time(params, "as_of");
	memset(&r, 0, sizeof r);
	int rc = custos_archive_retention_apply(s, as_of, &plan, &r);
	*result = json_pack("{s:I, s:I, s:I, s:I, s:s?}", "records", (json_int_t)r.records,
	                    "versions", (json_int_t)r.versions, "blobs", (json_int_t)r.blobs,
	                    "index_deleted", (json_int_t)r.index_deleted, "policy_commit",
	                    plan ? plan->commit : NULL);
	custos_retention_plan_free(plan);
	return rc;
}

static void run_job(custos_jobs_t *j, jentry_t *e)
{
	custos_who_t who = CUSTOS_WHO_INIT;
	custos_session_t *s = NULL;
	custos_err_t err = { 0 };
	/* who and params are not changed after the job is queued: read once
	 * under the lock, they are the runner's to read */
	pthread_mutex_lock(&j->mu);
	json_t *w = json_object_get(e->doc, "who"), *params = json_object_get(e->doc, "params");
	pthread_mutex_unlock(&j->mu);
	json_t *result = NULL;
	progress_ctx_t pc = { j, e };
	int rc;

	custos_role_parse(&who.role, json_string_value(json_object_get(w, "role")), NULL);
	if (!json_string_value(json_object_get(w, "role")))
		who.role = CUSTOS_ROLE_OPERATOR;
	who.token = json_string_value(json_object_get(w, "token"));
	who.client = json_string_value(json_object_get(w, "client"));
	who.actor = json_string_value(json_object_get(w, "actor"));
	if ((rc = custos_session_open(&s, j->a, &who, &err)) == CUSTOS_OK) {
		pthread_mutex_lock(&j->mu);
		j->current = s;
		bool stopping = j->stop;
		pthread_mutex_unlock(&j->mu);
		if (stopping)
			custos_session_cancel(s);
		if (!strcmp(e->kind, "import"))
			rc = run_import(s, &pc, params, &result);
		else if (!strcmp(e->kind, "verify"))
			rc = run_verify(s, &pc, &result);
		else if (!strcmp(e->kind, "retention-apply"))
			rc = run_retention(s, params, &result);
		else if (!strcmp(e->kind, "production"))
			rc = run_production(s, &pc, params, &result);
		else
			rc = custos_err_set(&s->err, CUSTOS_EINVAL, "no job kind '%s'", e->kind);
		err = s->err;
		pthread_mutex_lock(&j->mu);
		j->current = NULL;
		pthread_mutex_unlock(&j->mu);
		custos_session_free(s);
	}
	bool production = !strcmp(e->kind, "production");
	custos_err_t rmerr = { 0 };
	/* a production that did not finish has no manifest: nothing of it is
	 * kept to be taken for whole */
	int removed = production && rc < 0 ? custos_production__remove(j->pdir, e->id, &rmerr) : 0;
	pthread_mutex_lock(&j->mu);
	bool interrupted = rc == CUSTOS_ESTOPPED && j->stop && !production;
	if (result)
		json_object_set_new(e->doc, "result", result);
	if (production && rc < 0) {
		const char *by = json_string_value(json_object_get(e->doc, "cancelled_by"));
		custos_buf_t note = { 0 };
		if (j->stop && !by)
			snprintf(err.msg, sizeof err.msg, "%s", STOPPED_PRODUCTION);
		if (by)
			custos_buf_printf(&note, "cancelled by %s; ", by);
		custos_buf_adds(&note, removed < 0 ? "what it had written could not be removed: "
		                : "what it had written was removed");
		if (removed < 0)
			custos_buf_adds(&note, rmerr.msg);
		if (note.data)
			json_object_set_new(e->doc, "note", json_string(note.data));
		custos_buf_free(&note);
	}
	if (interrupted) {
		/* the next start runs it again */
		e->state = CUSTOS_JOB_QUEUED;
		json_object_set_new(e->doc, "note", json_string("interrupted by a stop of the server "
		                    "after a committed step; it runs again at the next start"));
	} else {
		e->state = rc == CUSTOS_OK ? CUSTOS_JOB_DONE : CUSTOS_JOB_FAILED;
		e->finished_at = custos_time_now();
		if (rc < 0)
			json_object_set_new(e->doc, "error", json_string(err.msg[0] ? err.msg
			                    : custos_status_str(rc)));
	}
	pthread_mutex_unlock(&j->mu);
	custos_err_t perr = { 0 };
	persist(j, e, &perr);
	if (!interrupted && !strcmp(e->kind, "import")) {
		const char *up = json_string_value(json_object_get(params, "upload"));
		if (up)
			unlink(up);   /* its items are in the store, with their raw bytes */
	}
}

static void *runner(void *arg)
{
	custos_jobs_t *j = arg;
	pthread_mutex_lock(&j->mu);
	for (;;) {
		jentry_t *e = NULL;
		while (!j->stop) {
			for (e = j->list; e && e->state != CUSTOS_JOB_QUEUED; e = e->next)
				;
			if (e)
				break;
			pthread_cond_wait(&j->cv, &j->mu);
		}
		if (j->stop)
			break;
		e->state = CUSTOS_JOB_RUNNING;
		e->started_at = custos_time_now();
		e->runs++;
		e->done = e->total = 0;
		pthread_mutex_unlock(&j->mu);
		custos_err_t err = { 0 };
		persist(j, e, &err);
		run_job(j, e);
		pthread_mutex_lock(&j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* Whether job e still has files in service/productions: a finished
 * production whose files were not deleted. Under j->mu. */
static bool has_files(jentry_t *e)
{
	return !strcmp(e->kind, "production") && e->state == CUSTOS_JOB_DONE &&
	       !json_object_get(e->doc, "deleted_at");
}

/* Removes from service/productions everything that is not the files of a
 * finished production: what a crash left of a failed one, or of a delete
 * cut short. */
static int sweep_productions(custos_jobs_t *j, custos_err_t *err)
{
	DIR *d = opendir(j->pdir);
	struct dirent *de;
	int rc = CUSTOS_OK;
	if (!d)
		return custos_err_set(err, CUSTOS_EIO, "cannot open '%s': %s", j->pdir, strerror(errno));
	while ((de = readdir(d)) && rc == CUSTOS_OK) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		jentry_t *e = j->list;
		while (e && strcmp(e->id, de->d_name))
			e = e->next;
		if (!e || !has_files(e))
			rc = custos_production__remove(j->pdir, de->d_name, err);
	}
	closedir(d);
	return rc;
}

int custos_jobs__start(custos_jobs_t **out, custos_archive_t *a, bool run, custos_err_t *err)
{
	custos_jobs_t *j;
	int rc;
	*out = NULL;
	if (!(j = calloc(1, sizeof *j)))
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	j->a = a;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	char up[4096];
	if ((rc = custos_service__dir(a->dir, "jobs", j->dir, sizeof j->dir, err)) < 0 ||
	    (rc = custos_service__dir(a->dir, "uploads", up, sizeof up, err)) < 0 ||
	    (rc = custos_service__dir(a->dir, "productions", j->pdir, sizeof j->pdir, err)) < 0 ||
	    (rc = load_all(j, err)) < 0 || (rc = sweep_productions(j, err)) < 0) {
		custos_jobs__stop(j);
		return rc;
	}
	if (run) {
		if (pthread_create(&j->th, NULL, runner, j) != 0) {
			custos_jobs__stop(j);
			return custos_err_set(err, CUSTOS_EINTERNAL, "cannot start the job runner");
		}
		j->running_thread = true;
	}
	*out = j;
	return CUSTOS_OK;
}

void custos_jobs__stop(custos_jobs_t *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	if (j->current)
		custos_session_cancel(j->current);
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	if (j->running_thread)
		pthread_join(j->th, NULL);
	for (jentry_t *e = j->list, *next; e; e = next) {
		next = e->next;
		json_decref(e->doc);
		free(e);
	}
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}

void custos_jobs__count(custos_jobs_t *j, uint64_t counts[CUSTOS_JOB_FAILED + 1])
{
	pthread_mutex_lock(&j->mu);
	for (jentry_t *e = j->list; e; e = e->next)
		if (e->state >= CUSTOS_JOB_QUEUED && e->state <= CUSTOS_JOB_FAILED)
			counts[e->state]++;
	pthread_mutex_unlock(&j->mu);
}

/* ---- submitting and reading ------------------------------------------------ */

static custos_op_t op_of(const char *kind)
{
	return !strcmp(kind, "import") ? CUSTOS_OP_INGEST : !strcmp(kind, "verify")
	       ? CUSTOS_OP_VERIFY : !strcmp(kind, "production") ? CUSTOS_OP_EXPORT
	       : CUSTOS_OP_RETENTION_APPLY;
}

/* Whether s may see job e (its kind is one s's role may do; a production
 * only for the role that asked for it, and the operator): CUSTOS_OK or
 * CUSTOS_EDENIED with the session's error saying why. Under j->mu or on a
 * copy. */
static int may_see(custos_session_t *s, const char *kind, const char *owner_role)
{
	const char *what = !strcmp(kind, "import") ? "read import jobs" :
	                   !strcmp(kind, "verify") ? "read verification jobs" :
	                   !strcmp(kind, "production") ? "read productions" : "read retention jobs";
	int rc = custos_session__begin(s, op_of(kind), what);
	if (rc == CUSTOS_OK && !strcmp(kind, "production") && s->role != CUSTOS_ROLE_OPERATOR &&
	    strcmp(owner_role ? owner_role : "", custos_role_name(s->role)))
		rc = custos_err_set(&s->err, CUSTOS_EDENIED, "the %s role may not read a production "
		                    "the %s role asked for: a production belongs to the role that "
		                    "made it", custos_role_name(s->role),
		                    owner_role ? owner_role : "operator");
	return rc;
}

static const char *owner_of(jentry_t *e)
{
	return json_string_value(json_object_get(json_object_get(e->doc, "who"), "role"));
}

/* Queues a job of kind with params (taken); id gets its id. */
static int submit(custos_service_t *svc, custos_session_t *s, const char *kind,
                  const char *id_in, json_t *params, char id[CUSTOS_JOB_ID])
{
	custos_jobs_t *j = svc->jobs;
	jentry_t *e = calloc(1, sizeof *e);
	int rc = CUSTOS_OK;
	if (!e || !params) {
		free(e);
		json_decref(params);
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
	if (id_in)
		snprintf(e->id, sizeof e->id, "%s", id_in);
	else
		new_id(e->id);
	snprintf(e->kind, sizeof e->kind, "%s", kind);
	e->state = CUSTOS_JOB_QUEUED;
	e->created_at = custos_time_now();
	e->started_at = e->finished_at = CUSTOS_TIME_NONE;
	e->doc = json_pack("{s:o, s:{s:s, s:s?, s:s?, s:s?}}", "params", params, "who", "role",
	                   custos_role_name(s->role), "token", s->token, "client", s->client,
	                   "actor", s->actor);
	if (!e->doc) {
		free(e);
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	}
	if ((rc = persist(j, e, &s->err)) == CUSTOS_OK) {
		pthread_mutex_lock(&j->mu);
		jentry_t **t = &j->list;
		while (*t)
			t = &(*t)->next;
		*t = e;
		pthread_cond_signal(&j->cv);
		pthread_mutex_unlock(&j->mu);
		snprintf(id, CUSTOS_JOB_ID, "%s", e->id);
	} else {
		json_decref(e->doc);
		free(e);
	}
	custos_buf_t p = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "job", rc == CUSTOS_OK ? id : "");
	custos_lib__json_kv(&p, "kind", kind);
	custos_buf_addc(&p, '}');
	rc = custos_session__audit(s, "job-submit", p.data, NULL, rc);
	custos_buf_free(&p);
	return rc;
}

int custos_job_verify(custos_service_t *svc, custos_session_t *s, char id[CUSTOS_JOB_ID])
{
	int rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_VERIFY, "verify the archive")) < 0)
		return custos_session__audit(s, "job-submit", "{\"kind\":\"verify\"}", NULL, rc);
	return submit(svc, s, "verify", NULL, json_object(), id);
}

int custos_job_retention_apply(custos_service_t *svc, custos_session_t *s, int64_t as_of,
                               char id[CUSTOS_JOB_ID])
{
	int rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_RETENTION_APPLY, "apply the retention "
	                                "schedule")) < 0)
		return custos_session__audit(s, "job-submit", "{\"kind\":\"retention-apply\"}", NULL, rc);
	if (as_of == CUSTOS_TIME_NONE)
		as_of = custos_time_now();
	if (as_of > custos_time_now()) {
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "as_of is in the future");
		return custos_session__audit(s, "job-submit", "{\"kind\":\"retention-apply\"}", NULL, rc);
	}
	return submit(svc, s, "retention-apply", NULL, json_pack("{s:o}", "as_of", time_json(as_of)),
	              id);
}

int custos_upload_open(custos_upload_t **out, custos_service_t *svc, custos_session_t *s,
                       const char *name)
{
	custos_upload_t *u;
	char dir[4096];
	int rc;
	*out = NULL;
	if ((rc = custos_session__begin(s, CUSTOS_OP_INGEST, "import")) < 0 ||
	    (rc = custos_session__need_write(s, "import")) < 0)
		return custos_session__audit(s, "job-submit", "{\"kind\":\"import\"}", NULL, rc);
	if ((rc = custos_service__dir(svc->a->dir, "uploads", dir, sizeof dir, &s->err)) < 0)
		return rc;
	if (!(u = calloc(1, sizeof *u)))
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	u->svc = svc;
	new_id(u->id);
	/* the last component of the client's name, for format detection */
	const char *base = name ? strrchr(name, '/') : NULL;
	base = base ? base + 1 : name;
	size_t k = 0;
	for (const char *p = base; p && *p && k + 1 < sizeof u->name; p++)
		u->name[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		               (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'
		               ? *p : '_';
	u->name[k] = '\0';
	if (!k || u->name[0] == '.')
		snprintf(u->name, sizeof u->name, "upload");
	snprintf(u->path, sizeof u->path, "%s/%s-%s", dir, u->id, u->name);
	if ((u->fd = open(u->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		rc = custos_err_set(&s->err, CUSTOS_EIO, "cannot create '%s': %s", u->path,
		                    strerror(errno));
		free(u);
		return rc;
	}
	*out = u;
	return CUSTOS_OK;
}

int custos_upload_write(custos_upload_t *u, const void *p, size_t n, uint64_t max)
{
	if (max && u->bytes + n > max)
		return CUSTOS_ETOOBIG;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(u->fd, (const char *)p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == ENOSPC || errno == EDQUOT ? CUSTOS_ENOSPC : CUSTOS_EIO;
		off += (size_t)w;
	}
	u->bytes += n;
	return CUSTOS_OK;
}

void custos_upload_free(custos_upload_t *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	if (!u->handed)
		unlink(u->path);
	free(u);
}

int custos_job_import(custos_service_t *svc, custos_session_t *s, custos_upload_t *u,
                      const char *format, bool skip_bad, char id[CUSTOS_JOB_ID])
{
	int rc = CUSTOS_OK;
	if (format && strcmp(format, "auto")) {
		/* without the import module no format is known: say that, not "unknown" */
		const custos_import_module_t *m;
		if ((rc = CUSTOS_MODULE_GET(&m, "import", custos_module_import, &s->err)) == CUSTOS_OK) {
			const char *const *f = m->formats();
			while (*f && strcmp(*f, format))
				f++;
			if (!*f)
				rc = custos_err_set(&s->err, CUSTOS_EINVAL, "unknown format '%s' (see "
				                    "docs/importers.md)", format);
		}
	}
	if (rc == CUSTOS_OK && (fsync(u->fd) < 0 || close(u->fd) < 0))
		rc = custos_err_set(&s->err, CUSTOS_EIO, "cannot write '%s': %s", u->path,
		                    strerror(errno));
	u->fd = -1;
	if (rc < 0)
		return custos_session__audit(s, "job-submit", "{\"kind\":\"import\"}", NULL, rc);
	json_t *params = json_pack("{s:s, s:s, s:I, s:s?, s:b}", "upload", u->path, "name", u->name,
	                           "bytes", (json_int_t)u->bytes, "format",
	                           format && strcmp(format, "auto") ? format : NULL, "skip_bad",
	                           skip_bad);
	if ((rc = submit(svc, s, "import", u->id, params, id)) == CUSTOS_OK)
		u->handed = true;
	return rc;
}

void custos_job_free(custos_job_t *j)
{
	if (!j)
		return;
	custos_arena_free(&j->arena);
	free(j);
}

/* Job id, or NULL. Under j->mu. */
static jentry_t *find(custos_jobs_t *j, const char *id)
{
	jentry_t *e = j->list;
	while (e && strcmp(e->id, id ? id : ""))
		e = e->next;
	return e;
}

/* A copy of e for a caller (under j->mu); false when out of memory. */
static bool job_copy(jentry_t *e, custos_job_t *r)
{
	snprintf(r->id, sizeof r->id, "%s", e->id);
	r->kind = custos_arena_strdup(&r->arena, e->kind);
	r->state = e->state;
	r->created_at = e->created_at;
	r->started_at = e->started_at;
	r->finished_at = e->finished_at;
	r->done = e->done;
	r->total = e->total;
	r->runs = e->runs;
	r->phase = e->phase[0] ? custos_arena_strdup(&r->arena, e->phase) : NULL;
	char *p = json_dumps(json_object_get(e->doc, "params"), JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_t *res = json_object_get(e->doc, "result");
	char *rs = res ? json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	r->params = custos_arena_strdup(&r->arena, p ? p : "{}");
	r->result = custos_arena_strdup(&r->arena, rs);
	free(p);
	free(rs);
	r->error = custos_arena_strdup(&r->arena, json_string_value(json_object_get(e->doc, "error")));
	r->note = custos_arena_strdup(&r->arena, json_string_value(json_object_get(e->doc, "note")));
	json_t *w = json_object_get(e->doc, "who");
	r->role = custos_arena_strdup(&r->arena, json_string_value(json_object_get(w, "role")));
	r->token = custos_arena_strdup(&r->arena, json_string_value(json_object_get(w, "token")));
	return r->kind && r->params && (!res || r->result);
}

int custos_job_get(custos_service_t *svc, custos_session_t *s, const char *id,
                   custos_job_t **out)
{
	custos_jobs_t *j = svc->jobs;
	custos_job_t *r;
	int rc = CUSTOS_OK;
	*out = NULL;
	custos_err_clear(&s->err);
	if (!(r = calloc(1, sizeof *r)))
		return custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	pthread_mutex_lock(&j->mu);
	jentry_t *e = find(j, id);
	if (!e)
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no job '%.64s'", id ? id : "");
	else if ((rc = may_see(s, e->kind, owner_of(e))) == CUSTOS_OK && !job_copy(e, r))
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	pthread_mutex_unlock(&j->mu);
	if (rc < 0) {
		custos_job_free(r);
		return rc;
	}
	*out = r;
	return CUSTOS_OK;
}

void custos_job_list_free(custos_job_list_t *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		custos_job_free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

int custos_job_list(custos_service_t *svc, custos_session_t *s, const char *kind,
                    custos_job_list_t *out)
{
	custos_jobs_t *j = svc->jobs;
	int rc = CUSTOS_OK;
	memset(out, 0, sizeof *out);
	/* a kind the role may not read is refused, not answered with nothing */
	if (kind && (rc = custos_session__begin(s, op_of(kind), "read these jobs")) < 0)
		return rc;
	pthread_mutex_lock(&j->mu);
	size_t n = 0;
	for (jentry_t *e = j->list; e; e = e->next)
		n++;
	if (!(out->v = calloc(n + 1, sizeof *out->v)))
		rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
	for (jentry_t *e = j->list; e && rc == CUSTOS_OK; e = e->next) {
		if ((kind && strcmp(kind, e->kind)) || may_see(s, e->kind, owner_of(e)) < 0)
			continue;
		custos_job_t *r = calloc(1, sizeof *r);
		if (!r || !job_copy(e, r)) {
			custos_job_free(r);
			rc = custos_err_set(&s->err, CUSTOS_ENOMEM, "out of memory");
			break;
		}
		out->v[out->n++] = r;
	}
	pthread_mutex_unlock(&j->mu);
	custos_err_clear(&s->err);
	if (rc < 0) {
		custos_job_list_free(out);
		return custos_err_set(&s->err, rc, "out of memory");
	}
	return CUSTOS_OK;
}

/* ---- productions ----------------------------------------------------------- */

/* Who acts, in words for a job's note: "Jane Doe, token t1", "token t1",
 * "Jane Doe" or "the operator". */
static void who_text(custos_session_t *s, char *out, size_t cap)
{
	if (s->actor && s->token)
		snprintf(out, cap, "%s, token %s", s->actor, s->token);
	else if (s->actor || s->token)
		snprintf(out, cap, "%s%s", s->token ? "token " : "", s->actor ? s->actor : s->token);
	else
		snprintf(out, cap, "the operator");
}

int custos_job_production(custos_service_t *svc, custos_session_t *s,
                          const custos_export_opts_t *opts, char id[CUSTOS_JOB_ID])
{
	int rc;
	if ((rc = custos_session__begin(s, CUSTOS_OP_EXPORT, "export records")) == CUSTOS_OK &&
	    (opts->progress || opts->ctx || opts->cancel))
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "a production job reports its own "
		                    "progress and is cancelled through custos_job_cancel");
	if (rc == CUSTOS_OK)
		rc = custos_export__check(s, opts);
	if (rc < 0) {
		custos_buf_t r = { 0 };
		custos_lib__json_error(&r, s->err.msg);
		rc = custos_session__audit(s, "job-submit", "{\"kind\":\"production\"}", r.data, rc);
		custos_buf_free(&r);
		return rc;
	}
	json_t *formats = json_array();
	for (unsigned bit = 1; bit <= CUSTOS_EXPORT_HTML && formats; bit <<= 1)
		if (opts->formats & bit)
			json_array_append_new(formats, json_string(custos_export_format_name(bit)));
	json_t *params = !formats ? NULL :
		json_pack("{s:s*, s:s*, s:s*, s:s*, s:o, s:b, s:b, s:s*, s:I, s:s*, s:s*}",
		          "query", opts->query, "hold", opts->hold, "matter", opts->matter, "tag",
		          opts->tag, "formats", formats, "images", opts->images, "with_thread",
		          opts->with_thread, "prefix", opts->prefix, "start",
		          (json_int_t)(opts->start ? opts->start : 1), "fields", opts->fields,
		          "endorsement", opts->endorsement);
	return submit(svc, s, "production", NULL, params, id);
}

int custos_job_cancel(custos_service_t *svc, custos_session_t *s, const char *id, bool *running)
{
	custos_jobs_t *j = svc->jobs;
	char by[CUSTOS_TOKEN_NAME_MAX + 256];
	bool run = false, changed = false;
	jentry_t *e;
	int rc;

	custos_err_clear(&s->err);
	who_text(s, by, sizeof by);
	pthread_mutex_lock(&j->mu);
	if (!(e = find(j, id)))
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no job '%.64s'", id ? id : "");
	else if ((rc = may_see(s, e->kind, owner_of(e))) < 0)
		;
	else if (strcmp(e->kind, "production"))
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "job %s is %s %s job: only productions "
		                    "can be cancelled", e->id, e->kind[0] == 'i' ? "an" : "a", e->kind);
	else if (e->state == CUSTOS_JOB_DONE || e->state == CUSTOS_JOB_FAILED)
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "production %s has %s: there is nothing "
		                    "to cancel%s", e->id, e->state == CUSTOS_JOB_DONE ? "finished"
		                    : "failed", e->state == CUSTOS_JOB_DONE ? " (to remove its files, "
		                    "delete the production)" : "");
	else if (json_object_get(e->doc, "cancelled_by"))
		run = e->state == CUSTOS_JOB_RUNNING;   /* asked already: it is stopping */
	else {
		run = e->state == CUSTOS_JOB_RUNNING;
		json_object_set_new(e->doc, "cancelled_by", json_string(by));
		if (run) {
			__atomic_store_n(&e->cancel, 1, __ATOMIC_RELAXED);
		} else {
			e->state = CUSTOS_JOB_FAILED;
			e->finished_at = custos_time_now();
			json_object_set_new(e->doc, "error", json_string("cancelled before it ran"));
			custos_buf_t note = { 0 };
			custos_buf_printf(&note, "cancelled by %s", by);
			if (note.data)
				json_object_set_new(e->doc, "note", json_string(note.data));
			custos_buf_free(&note);
			changed = true;
		}
	}
	pthread_mutex_unlock(&j->mu);
	if (changed)
		rc = persist(j, e, &s->err);
	if (running)
		*running = run;
	custos_buf_t p = { 0 };
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "job", id ? id : "");
	custos_buf_printf(&p, ",\"running\":%s}", run ? "true" : "false");
	rc = custos_session__audit(s, "job-cancel", p.data, NULL, rc);
	custos_buf_free(&p);
	return rc;
}

int custos_jobs__production(custos_jobs_t *j, custos_session_t *s, const char *id, bool take,
                            char *dir, size_t cap, json_t **result)
{
	int rc;
	*result = NULL;
	pthread_mutex_lock(&j->mu);
	jentry_t *e = find(j, id);
	if (!e)
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no job '%.64s'", id ? id : "");
	else if ((rc = may_see(s, e->kind, owner_of(e))) < 0)
		;
	else if (strcmp(e->kind, "production"))
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "job %s is not a production", e->id);
	else if (take && (e->state == CUSTOS_JOB_QUEUED || e->state == CUSTOS_JOB_RUNNING))
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "production %s is %s: cancel it (DELETE "
		                    "/v1/jobs/%s) rather than delete it", e->id,
		                    custos_job_state_name(e->state), e->id);
	else if (e->state == CUSTOS_JOB_QUEUED || e->state == CUSTOS_JOB_RUNNING)
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "production %s is %s: its files are "
		                    "served once it is done", e->id, custos_job_state_name(e->state));
	else if (e->state == CUSTOS_JOB_FAILED)
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "production %s failed: it has no "
		                    "files (%s)", e->id,
		                    json_string_value(json_object_get(e->doc, "error")) ?: "");
	else if (json_object_get(e->doc, "deleted_at"))
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "the files of production %s were "
		                    "deleted (%s)", e->id,
		                    json_string_value(json_object_get(e->doc, "note")) ?: "");
	else if ((size_t)snprintf(dir, cap, "%s/%s", j->pdir, e->id) >= cap)
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "the archive's path is too long");
	else if (!(*result = json_deep_copy(json_object_get(e->doc, "result"))))
		rc = custos_err_set(&s->err, CUSTOS_ECORRUPT, "production %s has no result", e->id);
	if (rc == CUSTOS_OK && take) {
		/* from now on the job says so: no download starts after this */
		char t[40], by[CUSTOS_TOKEN_NAME_MAX + 256];
		custos_time_format(t, sizeof t, custos_time_now());
		who_text(s, by, sizeof by);
		json_object_set_new(e->doc, "deleted_at", json_string(t));
		json_object_set_new(e->doc, "deleted_by", json_string(by));
		custos_buf_t note = { 0 };
		custos_buf_printf(&note, "its files were deleted at %s by %s", t, by);
		if (note.data)
			json_object_set_new(e->doc, "note", json_string(note.data));
		custos_buf_free(&note);
	}
	pthread_mutex_unlock(&j->mu);
	if (rc == CUSTOS_OK && take && (rc = persist(j, e, &s->err)) < 0) {
		json_decref(*result);
		*result = NULL;
	}
	return rc;
}
