/* The HTTP plumbing of custos serve on libmicrohttpd: one thread per
 * connection (a request waits for its group commit without holding up any
 * other), limits on connections, headers, bodies and time, a token check
 * and a session per request, and a clean stop on SIGTERM. */
#include "server_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const int srv_code_slots[SRV_CODE_SLOTS] = { 200, 201, 202, 400, 401, 403, 404, 405, 408, 409,
                                             413, 431, 500, 501, 503, 0 };
const double srv_buckets[SRV_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                          0.5, 1, 2.5, 10 };

const char srv_csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                       "img-src 'self' blob:; media-src 'self' blob:; connect-src 'self'; "
                       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int srv_http_status(int st)
{
	switch (st) {
	case CUSTOS_OK: return 200;
	case CUSTOS_EINVAL: case CUSTOS_EFORMAT: return 400;
	case CUSTOS_EDENIED: case CUSTOS_EACCESS: return 403;
	case CUSTOS_ENOTFOUND: return 404;
	case CUSTOS_EEXISTS: case CUSTOS_EHELD: case CUSTOS_ELAG: return 409;
	case CUSTOS_ETOOBIG: return 413;
	case CUSTOS_EBUSY: case CUSTOS_ESTOPPED: case CUSTOS_EINDEX: return 503;
	case CUSTOS_ENOSPC: return 507;
	default: return 500;
	}
}

int srv_reply(srv_req_t *r, int status, const char *type, const void *body, size_t n)
{
	if (r->answered)
		return r->status;
	struct MHD_Response *resp = MHD_create_response_from_buffer(n, (void *)body,
	                                                            MHD_RESPMEM_MUST_COPY);
	return srv_reply_response(r, status, type, resp);
}

int srv_reply_response(srv_req_t *r, int status, const char *type, struct MHD_Response *resp)
{
	if (r->answered) {
		if (resp)
			MHD_destroy_response(resp);
		return r->status;
	}
	if (!resp)
		return 500;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* the review page runs only its own script and talks only to this
	 * server; a record's bytes opened directly run nothing either */
	MHD_add_response_header(resp, "Content-Security-Policy", srv_csp);
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"custos\"");
	MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->answered = true;
	r->status = status;
	return status;
}

int srv_reply_buf(srv_req_t *r, int status, custos_buf_t *b)
{
	if (custos_buf_addc(b, '\n') < 0) {
		custos_buf_free(b);
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	}
	int rc = srv_reply(r, status, "application/json", b->data, b->len);
	custos_buf_free(b);
	return rc;
}

int srv_reply_json(srv_req_t *r, int status, void *obj)
{
	json_t *j = obj;
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!text)
		return srv_reply(r, 500, "application/json", "{\"error\":{\"status\":\"out of memory\","
		                 "\"message\":\"out of memory\"}}\n", 61);
	size_t n = strlen(text);
	char *t2 = realloc(text, n + 2);
	if (t2) {
		text = t2;
		text[n++] = '\n';
		text[n] = 0;
	}
	int rc = srv_reply(r, status, "application/json", text, n);
	free(text);
	return rc;
}

int srv_reply_msg(srv_req_t *r, int http, const char *status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *e = json_pack("{s:{s:s, s:s}}", "error", "status", status, "message", msg);
	if (!e) {
		/* a message that is not UTF-8 (a path someone sent) */
		e = json_pack("{s:{s:s, s:s}}", "error", "status", status, "message",
		              "(the message was not UTF-8)");
	}
	return srv_reply_json(r, http, e);
}

int srv_reply_err(srv_req_t *r, const custos_err_t *err)
{
	int st = err->status < 0 ? err->status : CUSTOS_EINTERNAL;
	return srv_reply_msg(r, srv_http_status(st), custos_status_str(st), "%s",
	                     err->msg[0] ? err->msg : custos_status_str(st));
}

const char *srv_arg(srv_req_t *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

/* ---- routing -------------------------------------------------------------- */

/* Matches path against pattern; {x} takes one segment, or, as the
 * pattern's last {x} followed by a fixed tail, everything up to that tail
 * (record ids may hold '/'). */
static bool match(const char *pat, const char *path, char arg[2][2048])
{
	int k = 0;
	while (*pat) {
		if (*pat == '{') {
			const char *close = strchr(pat, '}');
			const char *tail = close + 1;   /* the fixed rest of the pattern */
			size_t n;
			if (!strchr(tail, '{')) {
				/* the last variable: everything but the pattern's tail */
				size_t pl = strlen(path), tl = strlen(tail);
				if (pl <= tl || strcmp(path + pl - tl, tail))
					return false;
				n = pl - tl;
			} else {
				n = strcspn(path, "/");
			}
			if (n == 0 || n >= 2048 || k >= 2)
				return false;
			memcpy(arg[k], path, n);
			arg[k++][n] = 0;
			path += n;
			pat = tail;
			continue;
		}
		if (*pat++ != *path++)
			return false;
	}
	return *path == 0;
}

static const srv_route_t *route_find(const char *method, const char *path, char arg[2][2048],
                                     int *ix, bool *other_method)
{
	*other_method = false;
	for (size_t i = 0; i < srv_n_routes; i++) {
		char tmp[2][2048];
		if (!match(srv_routes[i].path, path, tmp))
			continue;
		if (strcmp(srv_routes[i].method, method)) {
			*other_method = true;
			continue;
		}
		memcpy(arg, tmp, sizeof tmp);
		*ix = (int)i;
		return &srv_routes[i];
	}
	return NULL;
}

/* ---- the request's life -------------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	srv_t *srv = cls;
	srv_req_t *r = calloc(1, sizeof *r);
	(void)uri;
	if (!r)
		return NULL;
	r->srv = srv;
	r->conn = c;
	r->start_ms = mono_ms();
	r->route_ix = -1;
	pthread_mutex_lock(&srv->mu);
	srv->inflight++;
	pthread_mutex_unlock(&srv->mu);
	return r;
}

static void client_of(struct MHD_Connection *c, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	                                        MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char host[64] = "?", port[16] = "?";
	out[0] = 0;
	if (ci && ci->client_addr) {
		socklen_t len = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                                        : sizeof(struct sockaddr_in);
		getnameinfo(ci->client_addr, len, host, sizeof host, port, sizeof port,
		            NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(out, cap, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	}
}

/* The first call, with the headers: route, token, session, limits. */
static int begin(srv_req_t *r, const char *url, const char *method)
{
	srv_t *srv = r->srv;
	bool other = false;
	custos_err_t err = { 0 };
	r->method = method;
	if (!(r->path = strdup(url)))
		return srv_reply_msg(r, 500, "out of memory", "out of memory");
	client_of(r->conn, r->client, sizeof r->client);
	if (mono_ms() - r->start_ms > (int64_t)srv->o.request_timeout * 1000) {
		pthread_mutex_lock(&srv->mu);
		srv->timeouts++;
		pthread_mutex_unlock(&srv->mu);
		return srv_reply_msg(r, 408, "too slow", "the request's headers took more than %u "
		                     "seconds", srv->o.request_timeout);
	}
	r->route = route_find(method, url, r->arg, &r->route_ix, &other);
	if (r->route && r->route->public)
		return 0;
	/* everything else needs a token, even to learn what is there */
	const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	const char *bearer = auth && !strncasecmp(auth, "Bearer ", 7) ? auth + 7 : NULL;
	r->who = (custos_who_t)CUSTOS_WHO_INIT;
	if (custos_service_authenticate(srv->svc, bearer, r->client, &r->who, r->token_name,
	                                &err) < 0) {
		pthread_mutex_lock(&srv->mu);
		srv->refused_auth++;
		pthread_mutex_unlock(&srv->mu);
		return srv_reply_msg(r, 401, "unauthenticated", "%s", err.msg);
	}
	const char *actor = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Custos-Actor");
	r->who.actor = actor;
	if (custos_session_open(&r->s, srv->a, &r->who, &err) < 0)
		return srv_reply_err(r, &err);
	if (!r->route) {
		if (other)
			return srv_reply_msg(r, 405, "method not allowed", "%s is not allowed on %s",
			                     method, url);
		return srv_reply_msg(r, 404, "not found", "no endpoint %s %s (see docs/api.md)",
		                     method, url);
	}
	const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Length");
	uint64_t limit = r->route->body == BODY_UPLOAD ? srv->o.max_upload
	               : r->route->body == BODY_RECORDS ? srv->o.max_body : 1 << 20;
	if (cl && strtoull(cl, NULL, 10) > limit) {
		pthread_mutex_lock(&srv->mu);
		srv->too_big++;
		pthread_mutex_unlock(&srv->mu);
		return srv_reply_msg(r, 413, "too big", "the body is %s bytes, over the limit of "
		                     "%llu", cl, (unsigned long long)limit);
	}
	/* refuse before reading a body the role may not send */
	if (r->route->body == BODY_RECORDS && custos_service_may_submit(r->s) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	if (r->route->body == BODY_UPLOAD &&
	    custos_upload_open(&r->upload, srv->svc, r->s, srv_arg(r, "name")) < 0)
		return srv_reply_err(r, custos_session_err(r->s));
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *size, void **con_cls)
{
	srv_t *srv = cls;
	srv_req_t *r = *con_cls;
	(void)version;
	if (!r)
		return MHD_NO;   /* out of memory at the request line */
	if (!r->path) {
		begin(r, url, method);
		return MHD_YES;
	}
	if (*size) {
		size_t n = *size;
		*size = 0;
		if (r->answered)
			return MHD_YES;   /* what is left of a refused body */
		if (mono_ms() - r->start_ms > (int64_t)srv->o.request_timeout * 1000) {
			pthread_mutex_lock(&srv->mu);
			srv->timeouts++;
			pthread_mutex_unlock(&srv->mu);
			return MHD_NO;    /* a slow body: the connection is closed */
		}
		if (!r->route || r->route->body == BODY_NONE) {
			r->body_bytes += n;
			return r->body_bytes > 1 << 20 ? MHD_NO : MHD_YES;   /* ignored */
		}
		if (r->route->body == BODY_UPLOAD) {
			int rc = custos_upload_write(r->upload, data, n, srv->o.max_upload);
			r->body_bytes += n;
			if (rc == CUSTOS_ETOOBIG)
				return MHD_NO;
			if (rc < 0)
				r->status = rc;   /* answered once the body is in */
			return MHD_YES;
		}
		uint64_t limit = r->route->body == BODY_RECORDS ? srv->o.max_body : 1 << 20;
		if (r->body.len + n > limit) {
			pthread_mutex_lock(&srv->mu);
			srv->too_big++;
			pthread_mutex_unlock(&srv->mu);
			return MHD_NO;    /* no Content-Length, and too much: closed */
		}
		if (custos_buf_add(&r->body, data, n) < 0)
			return MHD_NO;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if (r->status < 0) {
		custos_err_t e = { r->status, "" };
		snprintf(e.msg, sizeof e.msg, "cannot keep the upload: %s", custos_status_str(r->status));
		srv_reply_err(r, &e);
		return MHD_YES;
	}
	r->route->fn(r);
	if (!r->answered)
		srv_reply_msg(r, 500, "internal error", "the endpoint gave no answer");
	return MHD_YES;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	srv_t *srv = cls;
	srv_req_t *r = *con_cls;
	(void)c;
	if (!r)
		return;
	*con_cls = NULL;
	int status = r->answered ? r->status : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? 408 : 499;
	if (r->s) {
		custos_service_request_done(r->s, r->method ? r->method : "?", r->path ? r->path : "?",
		                            status);
		custos_session_free(r->s);
	}
	custos_upload_free(r->upload);
	custos_buf_free(&r->body);
	double secs = (double)(mono_ms() - r->start_ms) / 1000.0;
	int ix = r->route_ix >= 0 ? r->route_ix : (int)srv_n_routes;
	int slot = SRV_CODE_SLOTS - 1;
	for (int i = 0; i < SRV_CODE_SLOTS - 1; i++)
		if (srv_code_slots[i] == status)
			slot = i;
	pthread_mutex_lock(&srv->mu);
	srv->req_count[ix * SRV_CODE_SLOTS + slot]++;
	srv->req_seconds[ix] += secs;
	for (int b = 0; b < SRV_BUCKETS; b++)
		if (secs <= srv_buckets[b])
			srv->req_bucket[ix * SRV_BUCKETS + b]++;
	if (--srv->inflight == 0)
		pthread_cond_broadcast(&srv->idle_cv);
	pthread_mutex_unlock(&srv->mu);
	free(r->path);
	free(r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("custos serve: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- starting and stopping --------------------------------------------------- */

static int parse_listen(const char *s, struct sockaddr_storage *ss, custos_err_t *err)
{
	char host[256];
	const char *colon;
	memset(ss, 0, sizeof *ss);
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host)
			goto bad;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = 0;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof host)
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		goto bad;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (!host[0]) {
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_ANY);
		v4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
	} else {
		goto bad;
	}
	return CUSTOS_OK;
bad:
	return custos_err_set(err, CUSTOS_EINVAL, "--listen takes HOST:PORT, [IPV6]:PORT or :PORT "
	                      "with a numeric address, not '%s'", s);
}

static char *read_small(const char *path, custos_err_t *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	if (!f) {
		custos_err_set(err, CUSTOS_ENOTFOUND, "cannot open '%s': %s", path, strerror(errno));
		return NULL;
	}
	buf = calloc(1, 1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	if (buf && (ferror(f) || n == 0)) {
		custos_err_set(err, CUSTOS_EIO, "cannot read '%s'", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int srv_run(custos_archive_t *a, const srv_opts_t *opts, custos_err_t *err)
{
	srv_t srv;
	struct sockaddr_storage ss;
	char *cert = NULL, *key = NULL;
	sigset_t sigs;
	int rc = 1, sig = 0;

	memset(&srv, 0, sizeof srv);
	srv.a = a;
	srv.o = *opts;
	if (!srv.o.listen)
		srv.o.listen = "127.0.0.1:8080";
	if (!srv.o.max_connections)
		srv.o.max_connections = 256;
	if (!srv.o.max_per_ip)
		srv.o.max_per_ip = 64;
	if (!srv.o.idle_timeout)
		srv.o.idle_timeout = 30;
	if (!srv.o.request_timeout)
		srv.o.request_timeout = 120;
	if (!srv.o.max_header)
		srv.o.max_header = 32 << 10;
	if (!srv.o.max_body)
		srv.o.max_body = (uint64_t)64 << 20;
	if (!srv.o.max_upload)
		srv.o.max_upload = (uint64_t)4 << 30;
	if (parse_listen(srv.o.listen, &ss, err) < 0)
		return 1;
	if (!!srv.o.tls_cert != !!srv.o.tls_key) {
		custos_err_set(err, CUSTOS_EINVAL, "--tls-cert and --tls-key go together");
		return 1;
	}
	if (srv.o.tls_cert && (!(cert = read_small(srv.o.tls_cert, err)) ||
	                       !(key = read_small(srv.o.tls_key, err))))
		goto out;
	size_t slots = (srv_n_routes + 1);
	srv.req_count = calloc(slots * SRV_CODE_SLOTS, sizeof *srv.req_count);
	srv.req_seconds = calloc(slots, sizeof *srv.req_seconds);
	srv.req_bucket = calloc(slots * SRV_BUCKETS, sizeof *srv.req_bucket);
	if (!srv.req_count || !srv.req_seconds || !srv.req_bucket) {
		custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_init(&srv.mu, NULL);
	pthread_cond_init(&srv.idle_cv, NULL);
	srv.started_ms = custos_time_now();

	/* every thread started from here on leaves the stop signals to this
	 * one, which waits for them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	custos_service_opts_t so = CUSTOS_SERVICE_OPTS_INIT;
	so.no_poll = srv.o.no_poll;
	so.poll_tick_ms = srv.o.poll_tick_ms;
	if (custos_service_start(&srv.svc, a, &so, err) < 0)
		goto out_mu;
	if (srv.o.siem && srv_siem_start(&srv.siem, a, srv.o.siem, srv.o.siem_ca, err) < 0)
		goto out_svc;

	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cert)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls_opts[] = {
		{ cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert },
		{ cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, key },
		{ MHD_OPTION_END, 0, NULL }
	};
	srv.d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &srv,
	                         MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	                         MHD_OPTION_CONNECTION_LIMIT, srv.o.max_connections,
	                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv.o.max_per_ip,
	                         MHD_OPTION_CONNECTION_TIMEOUT, srv.o.idle_timeout,
	                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, srv.o.max_header,
	                         MHD_OPTION_URI_LOG_CALLBACK, on_uri, &srv,
	                         MHD_OPTION_NOTIFY_COMPLETED, on_done, &srv,
	                         MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
	                         MHD_OPTION_ARRAY, tls_opts,
	                         MHD_OPTION_END);
	if (!srv.d) {
		custos_err_set(err, CUSTOS_EIO, "cannot listen on %s%s", srv.o.listen,
		               cert ? " (with TLS: are the certificate and key PEM files that "
		               "match?)" : " (in use?)");
		goto out_siem;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
	char host[256];
	snprintf(host, sizeof host, "%s", srv.o.listen);
	*strrchr(host, ':') = 0;
	printf("custos: serving '%s' on %s://%s:%u\n", custos_archive_dir(a), cert ? "https" : "http",
	       host[0] ? host : "0.0.0.0", di ? di->port : 0);
	fflush(stdout);

	while (sigwait(&sigs, &sig) == 0 && sig == SIGHUP)
		;   /* nothing to reload: sources and tokens are read as they change */
	fprintf(stderr, "custos serve: %s: stopping (no new connections; the requests in flight "
	        "finish)\n", strsignal(sig));
	MHD_socket ls = MHD_quiesce_daemon(srv.d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	/* the requests in flight finish (their commits are durable before
	 * their answer), for up to the request time limit */
	pthread_mutex_lock(&srv.mu);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += srv.o.request_timeout;
	while (srv.inflight && pthread_cond_timedwait(&srv.idle_cv, &srv.mu, &until) == 0)
		;
	pthread_mutex_unlock(&srv.mu);
	MHD_stop_daemon(srv.d);
	rc = 0;
out_siem:
	srv_siem_stop(srv.siem);
out_svc:
	custos_service_stop(srv.svc);
out_mu:
	pthread_mutex_destroy(&srv.mu);
	pthread_cond_destroy(&srv.idle_cv);
out:
	free(cert);
	free(key);
	free(srv.req_count);
	free(srv.req_seconds);
	free(srv.req_bucket);
	return rc;
}

/* The serve module's table (cli/cmd_serve.c calls through it) */
const srv_module_t custos_module_serve = { sizeof(srv_module_t), srv_run };
