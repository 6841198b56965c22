/* Shared by the service's files in lib/ (service.c, tokens.c, jobs.c,
 * sources.c, poll.c): the files under <archive>/service/ and the service's
 * layout. Not public. */
#ifndef CUSTOS_SERVICE_INTERNAL_H
#define CUSTOS_SERVICE_INTERNAL_H

#include "lib_internal.h"

#include <jansson.h>
#include <sys/stat.h>

/* <archive>/service[/sub], made 0700 when missing (sub may be NULL). */
int custos_service__dir(const char *archive_dir, const char *sub, char *out, size_t cap,
                        custos_err_t *err);
/* Replaces path with n bytes: a temporary file written, fsynced and renamed
 * over it, then the directory fsynced. 0600. */
int custos_service__write(const char *path, const void *p, size_t n, custos_err_t *err);
/* Writes j (compact, one line) as path, through custos_service__write. */
int custos_service__write_json(const char *path, json_t *j, custos_err_t *err);
/* Reads the JSON at path; *out is NULL when the file does not exist. */
int custos_service__read_json(const char *path, json_t **out, custos_err_t *err);
/* The time in o's string member key (RFC 3339, as the service files keep
 * times), in ms; CUSTOS_TIME_NONE when missing or not a time. */
int64_t custos_service__json_time(json_t *o, const char *key);
/* Takes <archive>/service/lock (flock, shared between processes) for a
 * read-modify-write of a service file; *fd is given back to unlock. */
int  custos_service__lock(const char *archive_dir, int *fd, custos_err_t *err);
void custos_service__unlock(int fd);
/* A name for a token or a source: 1-64 of [A-Za-z0-9._-], not starting
 * with '.' or '-'. */
int custos_service__check_name(const char *what, const char *name, custos_err_t *err);

/* ---- the token table (tokens.c) ---------------------------------------- */
typedef struct {
	char          name[CUSTOS_TOKEN_NAME_MAX + 1];
	custos_role_t role;
	uint8_t       hash[32];
	bool          revoked;
} custos_tokcache_entry_t;

typedef struct {
	pthread_mutex_t mu;
	struct stat     seen;        /* the file as last read */
	bool            loaded;
	custos_tokcache_entry_t *v;
	size_t          n;
} custos_tokcache_t;

void custos_tokens__cache_init(custos_tokcache_t *c);
void custos_tokens__cache_free(custos_tokcache_t *c);
/* Finds the token whose text is bearer; CUSTOS_EACCESS when none. */
int  custos_tokens__check(custos_tokcache_t *c, const char *dir, const char *bearer,
                          custos_tokcache_entry_t *out, custos_err_t *err);

/* ---- jobs (jobs.c) -------------------------------------------------------- */
typedef struct custos_jobs custos_jobs_t;
int  custos_jobs__start(custos_jobs_t **out, custos_archive_t *a, bool run, custos_err_t *err);
void custos_jobs__stop(custos_jobs_t *j);
void custos_jobs__count(custos_jobs_t *j, uint64_t counts[CUSTOS_JOB_FAILED + 1]);
/* Production job id for s (its role may read it): with its files, their
 * directory in dir and a copy of the job's result (the manifest's SHA-256
 * among it) in *result (the caller json_decref's it). With take, the job
 * is marked deleted (persisted) before this returns: the caller removes
 * the directory. Otherwise the error says why there are no files. */
int  custos_jobs__production(custos_jobs_t *j, custos_session_t *s, const char *id, bool take,
                             char *dir, size_t cap, json_t **result);

/* ---- productions' files (jobs.c; production.c, in the serve module) ------ */
/* Removes pdir/name and everything below it without following a symbolic
 * link; absent is fine. */
int  custos_production__remove(const char *pdir, const char *name, custos_err_t *err);

/* ---- the poller (poll.c) and the sources' files (sources.c) -------------- */
typedef struct custos_poller custos_poller_t;
int  custos_poller__start(custos_poller_t **out, custos_archive_t *a, unsigned tick_ms,
                          custos_err_t *err);
void custos_poller__stop(custos_poller_t *p);
/* The poller (libcurl) is in the serve module (serve.so, with server/),
 * which lib/service.c loads when a service polls: its table, first member
 * its size; weak, so NULL in a program the module is not linked into. */
typedef struct {
	unsigned size;
	int  (*start)(custos_poller_t **out, custos_archive_t *a, unsigned tick_ms,
	              custos_err_t *err);
	void (*stop)(custos_poller_t *p);
} custos_poll_module_t;
extern const custos_poll_module_t custos_module_poll __attribute__((weak));

/* Reads the sources' definitions (an array; *out an empty one when none). */
int custos_sources__load(const char *dir, json_t **out, custos_err_t *err);
/* The path of source name's state file. */
void custos_sources__state_path(const char *dir, const char *name, char *out, size_t cap);
/* Lists the sources (their definitions and states) into out. */
int custos_sources__list(const char *dir, custos_sources_t *out, custos_err_t *err);

struct custos_service {
	custos_archive_t *a;
	custos_tokcache_t tokens;
	custos_jobs_t    *jobs;
	custos_poller_t  *poller;
	const custos_poll_module_t *poll;   /* the serve module's, when polling */
};

#endif
