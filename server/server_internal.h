/* Shared by the server's files: a request's state and the helpers the
 * route handlers answer with. */
#ifndef CUSTOS_SERVER_INTERNAL_H
#define CUSTOS_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include "server.h"

typedef enum { BODY_NONE, BODY_JSON, BODY_RECORDS, BODY_UPLOAD } srv_body_t;

typedef struct {
	const char *method;
	const char *path;       /* "/v1/records/{id}/versions": {x} is one or more segments */
	srv_body_t  body;
	bool        public;     /* answered without a token (no archive data) */
	int       (*fn)(srv_req_t *r);
} srv_route_t;

struct srv_req {
	srv_t              *srv;
	struct MHD_Connection *conn;
	int64_t             start_ms;       /* the request line's arrival (monotonic) */
	const char         *method;
	char               *path;           /* decoded path, owned */
	const srv_route_t  *route;
	int                 route_ix;
	char                arg[2][2048];   /* the {x} parts of the path */
	custos_session_t   *s;
	custos_who_t        who;
	char                token_name[CUSTOS_TOKEN_NAME_MAX + 1];
	char                client[80];
	custos_buf_t        body;
	custos_upload_t    *upload;
	uint64_t            body_bytes;
	bool                answered;
	int                 status;         /* the HTTP status sent */
};

struct srv {
	custos_archive_t  *a;
	custos_service_t  *svc;
	srv_siem_t        *siem;
	srv_opts_t         o;
	struct MHD_Daemon *d;
	pthread_mutex_t    mu;              /* counters below */
	pthread_cond_t     idle_cv;
	unsigned           inflight;
	int64_t            started_ms;
	/* metrics: per route (and one for unmatched), per status class */
	uint64_t          *req_count;       /* [route][code slot] */
	double            *req_seconds;     /* [route]: sum */
	uint64_t          *req_bucket;      /* [route][bucket] */
	uint64_t           lines[4];        /* submitted lines by outcome */
	uint64_t           refused_auth, timeouts, too_big;
};

extern const srv_route_t srv_routes[];
extern const size_t srv_n_routes;
#define SRV_CODE_SLOTS 16
#define SRV_BUCKETS 12
extern const int srv_code_slots[SRV_CODE_SLOTS];
extern const double srv_buckets[SRV_BUCKETS];

/* Answers with body (copied) of type; returns status. */
int srv_reply(srv_req_t *r, int status, const char *type, const void *body, size_t n);
/* Answers with resp (taken; NULL: out of memory, 500) of type, with the
 * headers every answer has; returns status. */
int srv_reply_response(srv_req_t *r, int status, const char *type, struct MHD_Response *resp);
/* Answers with the JSON text in b (b is freed); returns status. */
int srv_reply_buf(srv_req_t *r, int status, custos_buf_t *b);
/* Answers with a JSON object built by jansson (taken); returns status. */
int srv_reply_json(srv_req_t *r, int status, void *json_t_object);
/* Answers {"error":{"status","message"}} with the HTTP status that the
 * library status maps to (one table, srv_http_status). */
int srv_reply_err(srv_req_t *r, const custos_err_t *err);
int srv_reply_msg(srv_req_t *r, int http, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int srv_http_status(int custos_status);
/* The Content-Security-Policy of every answer. */
extern const char srv_csp[];
/* A query parameter, or NULL. */
const char *srv_arg(srv_req_t *r, const char *key);

/* The review page's files (web/), compiled in by server/embed.sh. */
typedef struct {
	const char          *name;   /* "index.html", "app.js", ... */
	const char          *type;   /* Content-Type */
	const unsigned char *data;
	size_t               len;
} srv_asset_t;
extern const srv_asset_t srv_assets[];
extern const size_t srv_n_assets;

/* Prometheus text (metrics.c). */
int srv_metrics(srv_req_t *r);

#endif
