/* custos serve: the HTTP face of the library (docs/api.md). It parses
 * HTTP, opens a session per request in the role of the request's token,
 * calls one library function, and writes JSON; it holds no rule of its own. */
#ifndef CUSTOS_SERVER_H
#define CUSTOS_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include "custos.h"

typedef struct {
	const char *listen;           /* "127.0.0.1:8080", "[::1]:8080", ":8080" (all) */
	const char *tls_cert, *tls_key;   /* PEM files, both or neither */
	unsigned    max_connections;  /* open at once (0: 256) */
	unsigned    max_per_ip;       /* from one address (0: 64) */
	unsigned    idle_timeout;     /* seconds a connection may send nothing (0: 30) */
	unsigned    request_timeout;  /* seconds a request's headers and body may take (0: 120) */
	size_t      max_header;       /* bytes of request line and headers (0: 32 KiB) */
	uint64_t    max_body;         /* bytes of a records body (0: 64 MiB, the library's) */
	uint64_t    max_upload;       /* bytes of an uploaded export (0: 4 GiB) */
	const char *siem;             /* "syslog+tcp://HOST:PORT", "syslog+tls://...",
	                               * "json+tcp://...", "json+tls://...", or NULL */
	const char *siem_ca;          /* CA file for a TLS SIEM (NULL: the system's) */
	bool        no_poll;          /* do not run the polling connectors */
	unsigned    poll_tick_ms;
} srv_opts_t;

/* Serves archive a (open for writing) until SIGTERM or SIGINT, then stops
 * accepting, lets the requests in flight finish, stops the service and
 * returns. Prints "custos: serving ARCHIVE on URL" on stdout once
 * listening. Returns 0, or 1 with err saying why it could not start. */
int srv_run(custos_archive_t *a, const srv_opts_t *o, custos_err_t *err);

/* The server is the serve module (serve.so, with libmicrohttpd, GnuTLS and
 * the connectors' poller), which cli/cmd_serve.c loads through
 * custos_module_table: its table, first member its size. Weak: NULL in a
 * program the module is not linked into. */
typedef struct {
	unsigned size;
	int (*run)(custos_archive_t *a, const srv_opts_t *o, custos_err_t *err);
} srv_module_t;
extern const srv_module_t custos_module_serve __attribute__((weak));

/* ---- shared between the server's files ----------------------------------- */

typedef struct srv srv_t;
typedef struct srv_req srv_req_t;

/* The SIEM stream (siem.c). */
typedef struct srv_siem srv_siem_t;
int  srv_siem_start(srv_siem_t **out, custos_archive_t *a, const char *url, const char *ca,
                    custos_err_t *err);
void srv_siem_stop(srv_siem_t *s);
/* What /metrics shows of it. */
void srv_siem_stats(srv_siem_t *s, uint64_t *sent, uint64_t *errors, bool *connected,
                    uint64_t *behind_bytes);

#endif
