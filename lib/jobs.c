/* Jobs: imports, verifications, retention runs and productions that
 * outlast a request. One runner thread takes them in order and runs each in
 * a session of the one who asked; each job is a file under
 * <archive>/service/jobs, so a restart resumes what was cut short, or marks
 * it failed with the reason. A production is written to
 * <archive>/service/productions/<job id>/ and downloaded from there. */
#include "service_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
	json_t  *doc;          /* params, who, result, error: what the file holds */
	jentry_t *next;
};

struct custos_jobs {
	custos_archive_t *a;
	char             dir[4096];
	char             prod[4096];     /* <archive>/service/productions */
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

static int64_t time_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	int64_t ms;
	return s && custos_time_parse(&ms, s, strlen(s)) == CUSTOS_OK ? ms : CUSTOS_TIME_NONE;
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
		e->created_at = time_of(doc, "created_at");
		e->started_at = time_of(doc, "started_at");
		e->finished_at = time_of(doc, "finished_at");
		e->runs = (unsigned)json_integer_value(json_object_get(doc, "runs"));
		e->done = (uint64_t)json_integer_value(json_object_get(doc, "done"));
		e->total = (uint64_t)json_integer_value(json_object_get(doc, "total"));
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

static int run_retention(custos_session_t *s, json_t *params, json_t **result)
{
	custos_retention_apply_t r;
	custos_retention_plan_t *plan = NULL;
	int64_t as_of = time_of(params, "as_of");
	memset(&r, 0, sizeof r);
	int rc = custos_archive_retention_apply(s, as_of, &plan, &r);
	*result = json_pack("{s:I, s:I, s:I, s:I, s:s?}", "records", (json_int_t)r.records,
	                    "versions", (json_int_t)r.versions, "blobs", (json_int_t)r.blobs,
	                    "index_deleted", (json_int_t)r.index_deleted, "policy_commit",
	                    plan ? plan->commit : NULL);
	custos_retention_plan_free(plan);
	return rc;
}

static void on_export_progress(void *ctx, const custos_export_progress_t *p)
{
	on_progress(ctx, p->done, p->total);
}

static int run_production(custos_jobs_t *j, jentry_t *e, custos_session_t *s,
                          progress_ctx_t *pc, json_t *params, json_t **result)
{
	custos_export_opts_t o = CUSTOS_EXPORT_OPTS_INIT;
	custos_export_summary_t sum;
	char dir[8300], path[8400];
	int rc;
	memset(&sum, 0, sizeof sum);
	o.query = json_string_value(json_object_get(params, "query"));
	o.hold = json_string_value(json_object_get(params, "hold"));
	o.matter = json_string_value(json_object_get(params, "matter"));
	o.tag = json_string_value(json_object_get(params, "tag"));
	o.prefix = json_string_value(json_object_get(params, "prefix"));
	o.start = (uint64_t)json_integer_value(json_object_get(params, "start"));
	o.with_thread = json_is_true(json_object_get(params, "with_thread"));
	o.images = json_is_true(json_object_get(params, "images"));
	o.progress = on_export_progress;
	o.ctx = pc;
	if ((rc = custos_export_formats_parse(&o.formats, json_string_value(json_object_get(params,
	                                      "formats")), &s->err)) < 0)
		return rc;
	snprintf(dir, sizeof dir, "%s/%s", j->prod, e->id);
	if ((rc = custos_archive_export(s, dir, &o, &sum)) < 0)
		return rc;
	/* what can be downloaded: every file of the manifest, and the manifest */
	json_error_t je;
	snprintf(path, sizeof path, "%s/manifest.json", dir);
	json_t *m = json_load_file(path, 0, &je), *files = json_array(), *f;
	size_t i;
	json_array_foreach(json_object_get(m, "files"), i, f)
		json_array_append_new(files, json_pack("{s:O, s:O, s:O}", "name", json_object_get(f, "path"),
		                                       "size", json_object_get(f, "size"), "sha256",
		                                       json_object_get(f, "sha256")));
	struct stat sb;
	if (stat(path, &sb) == 0)
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "name", "manifest.json", "size",
		                                       (json_int_t)sb.st_size, "sha256",
		                                       sum.manifest_sha256));
	json_decref(m);
	*result = json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:s, s:o}", "records",
	                    (json_int_t)sum.records, "documents", (json_int_t)sum.documents,
	                    "withheld", (json_int_t)sum.withheld, "not_produced",
	                    (json_int_t)sum.not_produced, "pages", (json_int_t)sum.pages, "first",
	                    sum.first, "last", sum.last, "watermark", (json_int_t)sum.watermark,
	                    "manifest_sha256", sum.manifest_sha256, "files",
	                    files ? files : json_array());
	return CUSTOS_OK;
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
			rc = run_production(j, e, s, &pc, params, &result);
		else
			rc = custos_err_set(&s->err, CUSTOS_EINVAL, "no job kind '%s'", e->kind);
		err = s->err;
		pthread_mutex_lock(&j->mu);
		j->current = NULL;
		pthread_mutex_unlock(&j->mu);
		custos_session_free(s);
	}
	pthread_mutex_lock(&j->mu);
	bool interrupted = rc == CUSTOS_ESTOPPED && j->stop;
	if (result)
		json_object_set_new(e->doc, "result", result);
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
	    (rc = custos_service__dir(a->dir, "productions", j->prod, sizeof j->prod, err)) < 0 ||
	    (rc = load_all(j, err)) < 0) {
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

int custos_job_production(custos_service_t *svc, custos_session_t *s,
                          const custos_production_req_t *req, char id[CUSTOS_JOB_ID])
{
	int rc;
	unsigned formats = 0;
	const char *kind = "{\"kind\":\"production\"}";
	if ((rc = custos_session__begin(s, CUSTOS_OP_EXPORT, "produce records")) < 0)
		return custos_session__audit(s, "job-submit", kind, NULL, rc);
	/* what the export would refuse, refused now rather than in the job */
	int n_sel = !!req->query + !!req->hold + (req->tag && req->matter && !req->query && !req->hold);
	if (n_sel != 1)
		rc = custos_err_set(&s->err, CUSTOS_EINVAL, "a production takes exactly one of a "
		                    "query, a hold, or a matter with a tag");
	else if (req->query && (rc = custos_query_check(req->query, &s->err)) < 0)
		;
	else
		rc = custos_export_formats_parse(&formats, req->formats ? req->formats : "", &s->err);
	if (rc < 0)
		return custos_session__audit(s, "job-submit", kind, NULL, rc);
	return submit(svc, s, "production", NULL,
	              json_pack("{s:s?, s:s?, s:s?, s:s?, s:s, s:s?, s:I, s:b, s:b}", "query",
	                        req->query, "hold", req->hold, "matter", req->matter, "tag", req->tag,
	                        "formats", req->formats, "prefix", req->prefix, "start",
	                        (json_int_t)req->start, "with_thread", req->with_thread, "images",
	                        req->images), id);
}

/* name: a path inside the production, of plain components */
static bool safe_name(const char *name)
{
	if (!name || !*name || *name == '/' || strlen(name) > 1024)
		return false;
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
		else
			break;
	}
	return name[strlen(name) - 1] != '/';
}

int custos_job_file_open(custos_service_t *svc, custos_session_t *s, const char *id,
                         const char *name, int *fd, uint64_t *size)
{
	custos_job_t *job = NULL;
	char path[8400], real[PATH_MAX], base[PATH_MAX];
	struct stat sb;
	int rc;
	*fd = -1;
	*size = 0;
	if ((rc = custos_job_get(svc, s, id, &job)) < 0)
		goto audit;
	if (strcmp(job->kind, "production") || job->state != CUSTOS_JOB_DONE) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "job '%s' is %s %s, not a finished "
		                    "production", job->id, custos_job_state_name(job->state), job->kind);
		goto audit;
	}
	snprintf(path, sizeof path, "%s/%s", svc->jobs->prod, job->id);
	size_t bl = realpath(path, base) ? strlen(base) : 0;
	snprintf(path, sizeof path, "%s/%s/%s", svc->jobs->prod, job->id, name ? name : "");
	/* a name of the production, not a way out of it (no '..', no link) */
	if (!bl || !safe_name(name) || !realpath(path, real) || strncmp(real, base, bl) ||
	    real[bl] != '/' ||
	    (*fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(*fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "production '%s' has no file '%.200s'",
		                    job->id, name ? name : "");
		goto audit;
	}
	*size = (uint64_t)sb.st_size;
	rc = CUSTOS_OK;
audit:;
	custos_buf_t p = { 0 };
	char r[64];
	custos_buf_addc(&p, '{');
	custos_lib__json_kv(&p, "job", id ? id : "");
	custos_lib__json_kv(&p, "file", name ? name : "");
	custos_buf_addc(&p, '}');
	snprintf(r, sizeof r, "{\"bytes\":%llu}", (unsigned long long)*size);
	custos_job_free(job);
	rc = custos_session__audit(s, "production-download", p.data, rc < 0 ? NULL : r, rc);
	custos_buf_free(&p);
	if (rc < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
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
		const char *const *f = custos_ingest_formats();
		while (*f && strcmp(*f, format))
			f++;
		if (!*f)
			rc = custos_err_set(&s->err, CUSTOS_EINVAL, "unknown format '%s' (see "
			                    "docs/importers.md)", format);
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
	jentry_t *e = j->list;
	while (e && strcmp(e->id, id ? id : ""))
		e = e->next;
	if (!e) {
		rc = custos_err_set(&s->err, CUSTOS_ENOTFOUND, "no job '%.64s'", id ? id : "");
	} else {
		snprintf(r->id, sizeof r->id, "%s", e->id);
		r->kind = custos_arena_strdup(&r->arena, e->kind);
		r->state = e->state;
		r->created_at = e->created_at;
		r->started_at = e->started_at;
		r->finished_at = e->finished_at;
		r->done = e->done;
		r->total = e->total;
		r->runs = e->runs;
		char *p = json_dumps(json_object_get(e->doc, "params"), JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_t *res = json_object_get(e->doc, "result");
		char *rs = res ? json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		r->params = custos_arena_strdup(&r->arena, p ? p : "{}");
		r->result = custos_arena_strdup(&r->arena, rs);
		free(p);
		free(rs);
		r->error = custos_arena_strdup(&r->arena,
		                               json_string_value(json_object_get(e->doc, "error")));
		r->note = custos_arena_strdup(&r->arena,
		                              json_string_value(json_object_get(e->doc, "note")));
		json_t *w = json_object_get(e->doc, "who");
		r->role = custos_arena_strdup(&r->arena, json_string_value(json_object_get(w, "role")));
		r->token = custos_arena_strdup(&r->arena, json_string_value(json_object_get(w, "token")));
	}
	pthread_mutex_unlock(&j->mu);
	if (rc == CUSTOS_OK) {
		const char *what = !strcmp(r->kind, "import") ? "read import jobs" :
		                   !strcmp(r->kind, "verify") ? "read verification jobs" :
		                   !strcmp(r->kind, "production") ? "read productions"
		                                                  : "read retention jobs";
		rc = custos_session__begin(s, op_of(r->kind), what);
	}
	if (rc < 0) {
		custos_job_free(r);
		return rc;
	}
	*out = r;
	return CUSTOS_OK;
}
