/* custos: the command table, global options, and helpers every command uses. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_command_t commands[] = {
	{ "init", cmd_init, "init", "create an archive" },
	{ "ingest", cmd_ingest, "ingest [--format F] [--skip-bad] [--no-index] [--json] [--custodian NAME] PATH...",
	  "capture files, folders or .zip exports" },
	{ "quarantine", cmd_quarantine, "quarantine list [--json] | show N [--raw]",
	  "what --skip-bad set aside, with its raw bytes" },
	{ "search", cmd_search, "search [--json|--csv] [--count] [--limit N] [--offset N] "
	  "[--sort relevance|date|-date] [--facets FIELD,...] [--lang CODE] [--dtsearch] [--accents] "
	  "QUERY", "find records" },
	{ "show", cmd_show, "show [--json] [--versions] [--thread] [--raw] [--version N] ID",
	  "one record, its versions, its conversation" },
	{ "index", cmd_index, "index [--rebuild] [--json]", "catch the search index up, or rebuild it" },
	{ "report", cmd_report, "report terms FILE [--json|--csv] [--dtsearch]",
	  "search-term report: hits, unique and family hits per term, per account and platform" },
	{ "stats", cmd_stats, "stats [--json] [--custodians]", "what the archive holds" },
	{ "verify", cmd_verify, "verify [--json]", "prove nothing was altered or lost" },
	{ "audit", cmd_audit, "audit [--json] [--since DATE]", "the audit trail" },
	{ "policy", cmd_policy, "policy set FILE [-m MSG] | show [--at DATE|COMMIT] [--json] | "
	  "log [--json] | diff A B | doc add FILE [-m MSG] [--name NAME] | doc list [--json] | "
	  "doc show NAME [--at DATE]", "the retention schedule and policy documents, in git" },
	{ "hold", cmd_hold, "hold create NAME --query Q [--reason TEXT] | list [--json] | "
	  "show NAME [--json] | release NAME --reason TEXT", "legal holds" },
	{ "retention", cmd_retention, "retention plan [--as-of DATE] [--json|--csv] | "
	  "apply [--as-of DATE] [--json] --yes", "dispose of records past retention" },
	{ "serve", cmd_serve, "serve [--listen ADDR] [--tls-cert F --tls-key F] [--siem URL "
	  "[--siem-ca F]] [--no-poll] [--max-connections N] [--max-per-ip N] [--idle-timeout S] "
	  "[--request-timeout S] [--max-header B] [--max-body B] [--max-upload B]",
	  "the HTTP API (docs/api.md), until SIGTERM" },
	{ "token", cmd_token, "token create NAME --role ingest|legal|compliance|auditor|admin | "
	  "list [--json] | revoke NAME", "the service's bearer tokens" },
	{ "source", cmd_source, "source add NAME (--feed URL | --mastodon URL --account ID "
	  "[--access-token-file F]) [--interval S] [--timeout S] [--page-limit N] | list [--json] | "
	  "remove NAME", "polling connectors and their capture-completeness monitor" },
	{ NULL, NULL, NULL, NULL }
};

const cli_command_t *cli_find(const char *name)
{
	for (const cli_command_t *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

void cli_print_text(FILE *f, const char *s, bool lines)
{
	custos_buf_t b = { 0 };
	for (const char *line = s, *nl; line; line = nl ? nl + 1 : NULL) {
		nl = lines ? strchr(line, '\n') : NULL;
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		custos_buf_clear(&b);
		if (custos_buf_add_printable(&b, line, n) == CUSTOS_OK && b.data)
			fwrite(b.data, 1, b.len, f);
		if (nl)
			fputc('\n', f);
	}
	custos_buf_free(&b);
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	custos_buf_t m = { 0 };
	fputs("custos: ", stderr);
	va_start(ap, fmt);
	char small[1];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	/* messages quote what users gave (names, queries, commit authors):
	 * escaped, their lines kept */
	if (n > 0 && custos_buf_reserve(&m, (size_t)n + 1) == CUSTOS_OK) {
		va_start(ap, fmt);
		vsnprintf(m.data, (size_t)n + 1, fmt, ap);
		va_end(ap);
		m.len = (size_t)n;
		cli_print_text(stderr, m.data, true);
	}
	custos_buf_free(&m);
	fputc('\n', stderr);
	return CLI_FAIL;
}

int cli_fail_err(const custos_err_t *err)
{
	const char *msg = err->msg[0] ? err->msg : custos_status_str(err->status);
	cli_fail("%s", msg);
	switch (err->status) {
	case CUSTOS_EBUSY:
		if (strstr(msg, ": custos serve)"))
			fputs("hint: a custos server holds this archive: write through its API "
			      "(docs/api.md), or stop it first; reading commands work meanwhile\n", stderr);
		else
			fputs("hint: another custos process is writing to this archive; "
			      "try again when it is done\n", stderr);
		break;
	case CUSTOS_EINDEX:
		fputs("hint: rebuild the index from the store with 'custos index --rebuild'\n", stderr);
		break;
	case CUSTOS_ENOTARCHIVE:
		fputs("hint: create one with 'custos init', or name another with --archive\n", stderr);
		break;
	case CUSTOS_EVERSION:
		fputs("hint: this archive was written by a newer custos; upgrade custos to read it\n",
		      stderr);
		break;
	}
	return CLI_FAIL;
}

int cli_usage(const cli_command_t *cmd, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		fputs("custos: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: custos %s\n", cmd->usage);
	return CLI_USAGE;
}

bool cli_help(const cli_command_t *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: custos %s\n\n%s.\nSee README.md and docs/ for details.\n",
			       cmd->usage, cmd->summary);
			return true;
		}
	}
	return false;
}

int cli_open(cli_t *cli, unsigned flags, custos_session_t **out)
{
	custos_err_t err = { 0 };
	custos_who_t who = CUSTOS_WHO_INIT;
	*out = NULL;
	if (!cli->archive)
		return cli_fail("no archive: give --archive DIR or set CUSTOS_ARCHIVE");
	who.actor = cli->actor;
	if (custos_actor_check(cli->actor, &err) < 0)
		return cli_fail_err(&err);
	if (custos_archive_open(&cli->a, cli->archive, flags, &err) < 0)
		return cli_fail_err(&err);
	if (custos_session_open(&cli->s, cli->a, &who, &err) < 0) {
		custos_archive_close(cli->a);
		cli->a = NULL;
		return cli_fail_err(&err);
	}
	if (!custos_archive_audited(cli->a))
		fprintf(stderr, "custos: note: the audit log of '%s' cannot be written (a read-only "
		        "archive?): this command is not audited\n", cli->archive);
	if (custos_archive_lockless(cli->a))
		fprintf(stderr, "custos: note: the store of '%s' is read without its lock file (a "
		        "read-only copy): a custos writing it meanwhile could change what is read\n",
		        cli->archive);
	*out = cli->s;
	return CLI_OK;
}

void cli_close(cli_t *cli)
{
	custos_session_free(cli->s);
	cli->s = NULL;
	custos_archive_close(cli->a);
	cli->a = NULL;
}

int cli_parse_time(const char *s, int64_t *ms)
{
	return custos_time_parse(ms, s, strlen(s));
}

void cli_json_str(FILE *f, const char *s)
{
	custos_buf_t b = { 0 };
	if (!s) {
		fputs("null", f);
		return;
	}
	custos_buf_add_json_str(&b, s, strlen(s));
	fwrite(b.data, 1, b.len, f);
	custos_buf_free(&b);
}

void cli_csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
	}
	fputc('"', f);
}

void cli_progress(cli_t *cli, const char *label, uint64_t done, uint64_t total)
{
	if (!cli->tty)
		return;
	if (total)
		fprintf(stderr, "\r%s %llu/%llu (%d%%)  ", label, (unsigned long long)done,
		        (unsigned long long)total, (int)(done * 100 / total));
	else
		fprintf(stderr, "\r%s %llu  ", label, (unsigned long long)done);
	fflush(stderr);
}

void cli_progress_end(cli_t *cli)
{
	if (cli->tty)
		fputs("\r\033[K", stderr);
}

const char *cli_bytes(char *buf, size_t cap, uint64_t n)
{
	static const char *units[] = { "B", "KB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

static void usage_all(FILE *f)
{
	fputs("usage: custos [--archive DIR] [--actor NAME] COMMAND [ARGS]\n\n"
	      "The archive is DIR, or $CUSTOS_ARCHIVE. Commands:\n", f);
	for (const cli_command_t *c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fputs("\n'custos COMMAND --help' shows a command's options.\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'a' },
		{ "actor", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	cli_t cli = { getenv("CUSTOS_ARCHIVE"), getenv("CUSTOS_ACTOR"), isatty(2), NULL, NULL };
	int c;

	/* Without TZ, glibc looks at /etc/localtime again at every local-time
	 * conversion, and libarchive converts each zip member's time: 244,630
	 * stat calls for one 300,000-message Slack zip. Naming the same file
	 * lets glibc read it once; the zone is unchanged. */
	if (!getenv("TZ") && access("/etc/localtime", R_OK) == 0)
		setenv("TZ", ":/etc/localtime", 0);

	if (cli.archive && !*cli.archive)
		cli.archive = NULL;
	if (cli.actor && !*cli.actor)
		cli.actor = NULL;
	/* "+": stop at the command name; its own options are its business */
	while ((c = getopt_long(argc, argv, "+a:u:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'a': cli.archive = optarg; break;
		case 'u': cli.actor = optarg; break;
		case 'h': usage_all(stdout); return CLI_OK;
		case 'V': puts("custos 0.1"); return CLI_OK;
		default: usage_all(stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage_all(stderr);
		return CLI_USAGE;
	}
	const cli_command_t *cmd = cli_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "custos: unknown command '%s'\n", argv[optind]);
		usage_all(stderr);
		return CLI_USAGE;
	}
	if (custos_global_init() < 0)
		return cli_fail("cannot initialise the crypto library");
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	if (cli_help(cmd, sub_argc, sub_argv))
		return CLI_OK;
	optind = 0;  /* glibc: reinitialise getopt for the command */
	int rc = cmd->run(&cli, sub_argc, sub_argv);
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_fail("cannot write output");
	return rc;
}
