/* The audit trail streamed to a SIEM: every entry of the chain, from any
 * process, as RFC 5424 syslog messages (octet-counted framing, RFC 6587)
 * or as JSON lines, over TCP or TLS (GnuTLS). The cursor is saved in the
 * archive, so a restart goes on where the stream stopped (at least once). */
#include "server_internal.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CURSOR_NAME "siem"

struct srv_siem {
	custos_archive_t *a;
	bool     json, tls;
	char     host[256], port[16], ca[1024];
	char     hostname[256];
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool     stop;
	/* the connection, the sender thread's alone */
	int      fd;
	gnutls_session_t sess;
	gnutls_certificate_credentials_t cred;
	custos_audit_pos_t pos;
	custos_buf_t msg;
	/* what /metrics shows, under mu */
	uint64_t sent, errors;
	bool     connected;
	uint64_t offset;
};

static void disconnect(srv_siem_t *s)
{
	if (s->sess) {
		gnutls_bye(s->sess, GNUTLS_SHUT_WR);
		gnutls_deinit(s->sess);
		s->sess = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	pthread_mutex_lock(&s->mu);
	s->connected = false;
	pthread_mutex_unlock(&s->mu);
}

static int connect_to(srv_siem_t *s)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(s->host, s->port, &hints, &res) != 0)
		return -1;
	int fd = -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = { 10, 0 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	s->fd = fd;
	if (s->tls) {
		int ret;
		if (gnutls_init(&s->sess, GNUTLS_CLIENT) < 0)
			goto fail;
		gnutls_server_name_set(s->sess, GNUTLS_NAME_DNS, s->host, strlen(s->host));
		gnutls_set_default_priority(s->sess);
		gnutls_credentials_set(s->sess, GNUTLS_CRD_CERTIFICATE, s->cred);
		gnutls_session_set_verify_cert(s->sess, s->host, 0);
		gnutls_transport_set_int(s->sess, fd);
		gnutls_handshake_set_timeout(s->sess, 10000);
		do
			ret = gnutls_handshake(s->sess);
		while (ret < 0 && !gnutls_error_is_fatal(ret));
		if (ret < 0) {
			fprintf(stderr, "custos serve: SIEM %s:%s: TLS: %s\n", s->host, s->port,
			        gnutls_strerror(ret));
			goto fail;
		}
	}
	pthread_mutex_lock(&s->mu);
	s->connected = true;
	pthread_mutex_unlock(&s->mu);
	return 0;
fail:
	disconnect(s);
	return -1;
}

static int send_all(srv_siem_t *s, const char *p, size_t n)
{
	while (n) {
		ssize_t w = s->sess ? gnutls_record_send(s->sess, p, n) : send(s->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (s->sess ? w == GNUTLS_E_INTERRUPTED || w == GNUTLS_E_AGAIN : errno == EINTR))
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424, 6.3.3). */
static void sd_param(custos_buf_t *b, const char *name, const char *v)
{
	if (!v)
		return;
	custos_buf_printf(b, " %s=\"", name);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			custos_buf_addc(b, '\\');
		custos_buf_addc(b, *v);
	}
	custos_buf_addc(b, '"');
}

/* One audit line as an RFC 5424 message: facility 13 (log audit),
 * severity info, or warning for a failure; the entry's fields as
 * structured data (32473 is the enterprise number RFC 5612 sets aside for
 * examples: a site with its own sets it here); the line itself as MSG. */
static void format_syslog(srv_siem_t *s, const char *line, size_t n)
{
	json_error_t je;
	json_t *e = json_loadb(line, n, 0, &je);
	const char *status = json_string_value(json_object_get(e, "status"));
	const char *action = json_string_value(json_object_get(e, "action"));
	const char *time = json_string_value(json_object_get(e, "time"));
	bool ok = status && !strcmp(status, "ok");
	char msgid[33], num[32];
	size_t k = 0;
	for (const char *p = action ? action : "-"; *p && k < 32; p++)
		msgid[k++] = *p > 32 && *p < 127 ? *p : '_';
	msgid[k] = 0;
	custos_buf_t *b = &s->msg;
	custos_buf_clear(b);
	custos_buf_printf(b, "<%d>1 %s %s custos %ld %s [custos@32473", 13 * 8 + (ok ? 6 : 4),
	                  time ? time : "-", s->hostname, (long)getpid(), msgid);
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(e, "n")));
	sd_param(b, "n", num);
	sd_param(b, "action", action);
	sd_param(b, "user", json_string_value(json_object_get(e, "user")));
	sd_param(b, "actor", json_string_value(json_object_get(e, "actor")));
	sd_param(b, "role", json_string_value(json_object_get(e, "role")));
	sd_param(b, "token", json_string_value(json_object_get(e, "token")));
	sd_param(b, "client", json_string_value(json_object_get(e, "client")));
	sd_param(b, "status", status);
	custos_buf_adds(b, "] ");
	custos_buf_add(b, line, n);
	json_decref(e);
}

static int send_line(void *ctx, const char *line, size_t n)
{
	srv_siem_t *s = ctx;
	char frame[32];
	if (s->json) {
		if (send_all(s, line, n) < 0 || send_all(s, "\n", 1) < 0)
			return -1;
	} else {
		format_syslog(s, line, n);
		if (!s->msg.data)
			return -1;
		int fl = snprintf(frame, sizeof frame, "%zu ", s->msg.len);
		if (send_all(s, frame, (size_t)fl) < 0 || send_all(s, s->msg.data, s->msg.len) < 0)
			return -1;
	}
	pthread_mutex_lock(&s->mu);
	s->sent++;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static bool wait_for(srv_siem_t *s, unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	if (!s->stop)
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	bool stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

static void *sender(void *arg)
{
	srv_siem_t *s = arg;
	unsigned backoff = 250;
	custos_audit_pos_t saved = s->pos;
	bool stopping = false;
	for (;;) {
		if (s->fd < 0 && connect_to(s) < 0) {
			pthread_mutex_lock(&s->mu);
			s->errors++;
			pthread_mutex_unlock(&s->mu);
			if (stopping || wait_for(s, backoff))
				break;
			backoff = backoff < 30000 ? backoff * 2 : 30000;
			continue;
		}
		backoff = 250;
		custos_err_t err = { 0 };
		int rc = custos_audit_follow(s->a, &s->pos, send_line, s, &err);
		if (rc != 0) {
			pthread_mutex_lock(&s->mu);
			s->errors++;
			pthread_mutex_unlock(&s->mu);
			disconnect(s);
		}
		pthread_mutex_lock(&s->mu);
		s->offset = s->pos.offset;
		pthread_mutex_unlock(&s->mu);
		if (s->pos.offset != saved.offset &&
		    custos_audit_cursor_save(s->a, CURSOR_NAME, &s->pos, &err) == CUSTOS_OK)
			saved = s->pos;
		if (stopping)
			break;
		/* one more round after the stop: the entries the stop itself wrote */
		stopping = wait_for(s, 100);
	}
	disconnect(s);
	return NULL;
}

int srv_siem_start(srv_siem_t **out, custos_archive_t *a, const char *url, const char *ca,
                   custos_err_t *err)
{
	srv_siem_t *s;
	const char *rest;
	*out = NULL;
	if (!(s = calloc(1, sizeof *s)))
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	s->a = a;
	s->fd = -1;
	if (!strncmp(url, "syslog+tcp://", 13) || !strncmp(url, "syslog+tls://", 13)) {
		s->tls = url[9] == 'l';
		rest = url + 13;
	} else if (!strncmp(url, "json+tcp://", 11) || !strncmp(url, "json+tls://", 11)) {
		s->json = true;
		s->tls = url[7] == 'l';
		rest = url + 11;
	} else {
		free(s);
		return custos_err_set(err, CUSTOS_EINVAL, "--siem takes syslog+tcp://HOST:PORT, "
		                      "syslog+tls://..., json+tcp://... or json+tls://..., not '%s'", url);
	}
	const char *colon = strrchr(rest, ':');
	if (!colon || colon == rest || (size_t)(colon - rest) >= sizeof s->host || !colon[1] ||
	    strlen(colon + 1) >= sizeof s->port || strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
		free(s);
		return custos_err_set(err, CUSTOS_EINVAL, "--siem needs HOST:PORT in '%s'", url);
	}
	const char *h = rest, *he = colon;
	if (*h == '[' && he[-1] == ']') {
		h++;
		he--;
	}
	memcpy(s->host, h, (size_t)(he - h));
	snprintf(s->port, sizeof s->port, "%s", colon + 1);
	if (gethostname(s->hostname, sizeof s->hostname) < 0 || !s->hostname[0])
		snprintf(s->hostname, sizeof s->hostname, "-");
	s->hostname[255] = 0;
	if (s->tls) {
		int ret = gnutls_certificate_allocate_credentials(&s->cred);
		if (ret >= 0)
			ret = ca ? gnutls_certificate_set_x509_trust_file(s->cred, ca, GNUTLS_X509_FMT_PEM)
			         : gnutls_certificate_set_x509_system_trust(s->cred);
		if (ret <= 0) {
			if (s->cred)
				gnutls_certificate_free_credentials(s->cred);
			free(s);
			return custos_err_set(err, CUSTOS_EINVAL, "--siem: no CA certificate could be read "
			                      "from %s", ca ? ca : "the system's store");
		}
	}
	int rc;
	if ((rc = custos_audit_cursor_load(a, CURSOR_NAME, &s->pos, err)) < 0) {
		if (s->cred)
			gnutls_certificate_free_credentials(s->cred);
		free(s);
		return rc;
	}
	/* the start is itself an audit entry, and so streamed */
	custos_session_t *ses = NULL;
	if (custos_session_open(&ses, a, NULL, err) == CUSTOS_OK) {
		custos_buf_t p = { 0 };
		char to[300];
		snprintf(to, sizeof to, "%s:%s", s->host, s->port);
		custos_buf_adds(&p, "{\"to\":");
		custos_buf_add_json_str(&p, to, strlen(to));
		custos_buf_printf(&p, ",\"format\":\"%s\",\"tls\":%s,\"from_entry\":%llu}",
		                  s->json ? "json" : "rfc5424", s->tls ? "true" : "false",
		                  (unsigned long long)s->pos.n + 1);
		custos_service_audit_note(ses, "siem-start", p.data);
		custos_buf_free(&p);
		custos_session_free(ses);
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->th, NULL, sender, s) != 0) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		if (s->cred)
			gnutls_certificate_free_credentials(s->cred);
		free(s);
		return custos_err_set(err, CUSTOS_EINTERNAL, "cannot start the SIEM stream");
	}
	*out = s;
	return CUSTOS_OK;
}

void srv_siem_stop(srv_siem_t *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	custos_buf_free(&s->msg);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

void srv_siem_stats(srv_siem_t *s, uint64_t *sent, uint64_t *errors, bool *connected,
                    uint64_t *behind)
{
	uint64_t size = custos_audit_size(s->a);
	pthread_mutex_lock(&s->mu);
	*sent = s->sent;
	*errors = s->errors;
	*connected = s->connected;
	*behind = size > s->offset ? size - s->offset : 0;
	pthread_mutex_unlock(&s->mu);
}
