/* custos serve: the HTTP API (docs/api.md) over the archive, until SIGTERM. */
#include "cli.h"
#include "server.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static bool number(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'M' || *end == 'G') {
		v <<= *end == 'K' ? 10 : *end == 'M' ? 20 : 30;
		end++;
	}
	if (*end || v > max)
		return false;
	*out = v;
	return true;
}

int cmd_serve(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "max-connections", required_argument, NULL, 'C' },
		{ "max-per-ip", required_argument, NULL, 'P' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "request-timeout", required_argument, NULL, 't' },
		{ "max-header", required_argument, NULL, 'H' },
		{ "max-body", required_argument, NULL, 'b' },
		{ "max-upload", required_argument, NULL, 'u' },
		{ "siem", required_argument, NULL, 's' },
		{ "siem-ca", required_argument, NULL, 'a' },
		{ "no-poll", no_argument, NULL, 'n' },
		{ "poll-tick", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const cli_command_t *cmd = cli_find("serve");
	srv_opts_t o;
	const srv_module_t *srv;
	custos_session_t *s = NULL;
	custos_err_t err = { 0 };
	uint64_t v;
	int c, rc;

	memset(&o, 0, sizeof o);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'c': o.tls_cert = optarg; break;
		case 'k': o.tls_key = optarg; break;
		case 's': o.siem = optarg; break;
		case 'a': o.siem_ca = optarg; break;
		case 'n': o.no_poll = true; break;
		case 'C': case 'P': case 'i': case 't': case 'T':
			if (!number(optarg, 1000000, &v) || !v)
				return cli_usage(cmd, "--%s takes a positive number", c == 'C' ? "max-connections"
				                 : c == 'P' ? "max-per-ip" : c == 'i' ? "idle-timeout"
				                 : c == 't' ? "request-timeout" : "poll-tick");
			if (c == 'C') o.max_connections = (unsigned)v;
			else if (c == 'P') o.max_per_ip = (unsigned)v;
			else if (c == 'i') o.idle_timeout = (unsigned)v;
			else if (c == 't') o.request_timeout = (unsigned)v;
			else o.poll_tick_ms = (unsigned)v;
			break;
		case 'H': case 'b': case 'u':
			if (!number(optarg, (uint64_t)1 << 40, &v) || !v)
				return cli_usage(cmd, "--%s takes a size in bytes (K, M, G allowed)",
				                 c == 'H' ? "max-header" : c == 'b' ? "max-body" : "max-upload");
			if (c == 'H') o.max_header = (size_t)v;
			else if (c == 'b') o.max_body = v;
			else o.max_upload = v;
			break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc)
		return cli_usage(cmd, "serve takes no arguments");
	if (!!o.tls_cert != !!o.tls_key)
		return cli_usage(cmd, "--tls-cert and --tls-key go together");
	/* the module first: a missing one is said before the archive is
	 * opened for writing */
	if (CUSTOS_MODULE_GET(&srv, "serve", custos_module_serve, &err) < 0)
		return cli_fail_err(&err);
	/* the index service takes only idle CPU: acknowledgements and searches
	 * first, the index catches up behind (its lag is in /v1/stats) */
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_INDEX_IDLE, &s)) != CLI_OK)
		return rc;
	/* the sessions are the server's, one per request: the command's own
	 * session is not used */
	rc = srv->run(cli->a, &o, &err) == 0 ? CLI_OK : cli_fail_err(&err);
	cli_close(cli);
	return rc;
}
