/* custos: the command table, global options, and helpers every command uses. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const cli_command_t commands[] = {
	{ "init", cmd_init, "init", "create an archive", cli_init_subs, NULL },
	{ "ingest", cmd_ingest, "ingest [--format F] [--custodian NAME] [--skip-bad] [--no-index] [--json] PATH...",
	  "capture files, folders or .zip exports", cli_ingest_subs, NULL },
	{ "quarantine", cmd_quarantine, "quarantine list [--json] | show N [--raw]",
	  "what --skip-bad set aside, with its raw bytes", cli_quarantine_subs, NULL },
	{ "search", cmd_search, "search [--json|--csv] [--count] [--limit N] [--offset N] "
	  "[--sort relevance|date|-date] [--facets FIELD,...] [--lang CODE] [--dtsearch] [--accents] "
	  "QUERY", "find records",
	  cli_search_subs, "The query language is described in docs/query-language.md." },
	{ "show", cmd_show, "show [--json] [--versions] [--thread] [--raw] [--version N] ID",
	  "one record, its versions, its conversation", cli_show_subs, NULL },
	{ "index", cmd_index, "index [--rebuild] [--json]", "catch the search index up, or rebuild it",
	  cli_index_subs, NULL },
	{ "report", cmd_report, "report terms FILE [--json|--csv] [--dtsearch]",
	  "search-term report: hits, unique and family hits per term, per account and platform",
	  cli_report_subs, NULL },
	{ "stats", cmd_stats, "stats [--json] [--custodians]", "what the archive holds", cli_stats_subs, NULL },
	{ "verify", cmd_verify, "verify [--json]", "prove nothing was altered or lost",
	  cli_verify_subs, NULL },
	{ "compact", cmd_compact, "compact [--json]", "give the space disposition left back to the disk",
	  cli_compact_subs, NULL },
	{ "audit", cmd_audit, "audit [--json|--csv] [--action A] [--actor NAME] [--since DATE] "
	  "[--until DATE] | audit --export DIR", "the audit trail", cli_audit_subs,
	  "docs/audit.md lists the actions and the fields of an entry." },
	{ "policy", cmd_policy, "policy set FILE [-m MSG] | show [--at DATE|COMMIT] [--json] | "
	  "log [--json] | diff A B | doc add FILE [-m MSG] [--name NAME] | doc list [--json] | "
	  "doc show NAME [--at DATE]", "the retention schedule and policy documents, in git",
	  cli_policy_subs, "The schedule's format and its rules of precedence are described in "
	  "docs/retention.md." },
	{ "hold", cmd_hold, "hold create NAME --query Q [--reason TEXT] | list [--json] | "
	  "show NAME [--json] | scope NAME | release NAME --reason TEXT", "legal holds",
	  cli_hold_subs, "A hold keeps every record it covers from disposition until it is "
	  "released; what it has covered is recorded and only grows while it is active "
	  "(docs/retention.md)." },
	{ "retention", cmd_retention, "retention plan [--as-of DATE] [--json|--csv] | "
	  "apply [--as-of DATE] [--json] --yes | log [--json|--csv] | certificate RUN",
	  "dispose of records past retention, and prove it", cli_retention_subs,
	  "Disposition runs only under the schedule in force and never touches a held record; "
	  "each disposed record leaves a tombstone (docs/retention.md)." },
	{ "serve", cmd_serve, "serve [--listen ADDR] [--tls-cert F --tls-key F] [--siem URL "
	  "[--siem-ca F]] [--no-poll] [--max-connections N] [--max-per-ip N] [--idle-timeout S] "
	  "[--request-timeout S] [--max-header B] [--max-body B] [--max-upload B]",
	  "the HTTP API (docs/api.md), until SIGTERM", NULL, NULL },
	{ "token", cmd_token, "token create NAME --role ingest|legal|compliance|auditor|admin | "
	  "list [--json] | revoke NAME", "the service's bearer tokens", NULL, NULL },
	{ "source", cmd_source, "source add NAME (--feed URL | --mastodon URL --account ID "
	  "[--access-token-file F]) [--interval S] [--timeout S] [--page-limit N] | list [--json] | "
	  "remove NAME", "polling connectors and their capture-completeness monitor", NULL, NULL },
	{ "matter", cmd_matter, "matter create NAME [--tag T]... [--description TEXT] | list | "
	  "show NAME [--json] | tag NAME TAG (--query Q | --thread ID | ID...) [--remove] "
	  "[--note TEXT] | save-search NAME SEARCH --query Q", "matters: saved searches and review coding",
	  NULL, NULL },
	{ "export", cmd_export, "export (QUERY | --hold NAME | --matter NAME --tag T) "
	  "--format dat|edrm|rsmf|jsonl|csv|html[,...] --out DIR [--matter NAME] [--bates PREFIX] "
	  "[--start N] [--with-thread] [--images] [--fields F,...] [--endorse TEXT] [--json] | "
	  "export --verify DIR [--json]", "productions for review platforms, and their verification",
	  NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

const cli_command_t *cli_commands(void)
{
	return commands;
}

const cli_command_t *cli_find(const char *name)
{
	for (const cli_command_t *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Set once in main, before any thread starts: how failures are printed,
 * and whether progress skips no step (for tests). */
static bool json_errors, progress_all;
/* What cli_getopt found wrong, for the cli_usage that follows. */
static char usage_why[300];

void cli_print_text(FILE *f, const char *s, bool lines)
{
	cli_print_lines(f, s, lines ? "" : NULL);
}

void cli_print_lines(FILE *f, const char *s, const char *indent)
{
	custos_buf_t b = { 0 };
	int err = indent ? custos_buf_add_printable_lines(&b, s, strlen(s), indent)
	                 : custos_buf_add_printable(&b, s, strlen(s));
	if (err == CUSTOS_OK && b.data)
		fwrite(b.data, 1, b.len, f);
	custos_buf_free(&b);
}

int cli_write_raw(const void *p, size_t n)
{
	if (isatty(STDOUT_FILENO)) {
		custos_buf_t b = { 0 };
		int err = custos_buf_add_printable_lines(&b, p, n, NULL);
		bool same = err == CUSTOS_OK && b.len == n && (!n || !memcmp(b.data, p, n));
		custos_buf_free(&b);
		if (err)
			return cli_fail("out of memory");
		if (!same)
			return cli_fail("the bytes hold control characters or bytes that are not "
			                "UTF-8: not written to a terminal (redirect the output to a file, "
			                "or leave out --raw to see them escaped)");
	}
	if (n && fwrite(p, 1, n, stdout) != n)
		return cli_fail("cannot write the bytes: %s", strerror(errno));
	return CLI_OK;
}

void cli_printf(FILE *f, const char *fmt, ...)
{
	custos_buf_t b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	int err = custos_buf_vprintf_printable(&b, fmt, ap);
	va_end(ap);
	if (err == CUSTOS_OK && b.data)
		fwrite(b.data, 1, b.len, f);
	custos_buf_free(&b);
}

/* {"error": message, "status": status} on stdout: one value, as --json promises. */
static void json_error(const char *msg, const char *status)
{
	custos_buf_t b = { 0 };
	custos_buf_adds(&b, "{\"error\": ");
	custos_buf_add_json_text(&b, msg, strlen(msg));
	custos_buf_adds(&b, ", \"status\": ");
	custos_buf_add_json_str(&b, status, strlen(status));
	custos_buf_adds(&b, "}\n");
	if (b.data)
		fwrite(b.data, 1, b.len, stdout);
	custos_buf_free(&b);
}

static int fail_with(const char *status, const char *fmt, va_list ap)
{
	custos_buf_t m = { 0 };
	va_list cp;
	va_copy(cp, ap);
	char small[1];
	int n = vsnprintf(small, sizeof small, fmt, cp);
	va_end(cp);
	if (n > 0 && custos_buf_reserve(&m, (size_t)n + 1) == CUSTOS_OK) {
		vsnprintf(m.data, (size_t)n + 1, fmt, ap);
		m.len = (size_t)n;
	}
	if (json_errors) {
		json_error(m.data ? m.data : "", status);
	} else {
		/* messages quote what users gave (names, queries, commit authors):
		 * escaped, their lines kept */
		fputs("custos: ", stderr);
		if (m.data)
			cli_print_text(stderr, m.data, true);
		fputc('\n', stderr);
	}
	custos_buf_free(&m);
	return CLI_FAIL;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_with("failed", fmt, ap);
	va_end(ap);
	return CLI_FAIL;
}

static int fail_status(const char *status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail_status(const char *status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_with(status, fmt, ap);
	va_end(ap);
	return CLI_FAIL;
}

int cli_fail_err(const custos_err_t *err)
{
	const char *msg = err->msg[0] ? err->msg : custos_status_str(err->status);
	fail_status(custos_status_name(err->status), "%s", msg);
	if (json_errors)
		return CLI_FAIL;
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

int cli_fail_in(const custos_err_t *err, const char *what)
{
	custos_err_t e = *err;
	if (!e.msg[0])
		snprintf(e.msg, sizeof e.msg, "%s", custos_status_str(e.status));
	custos_err_prefix(&e, "%s", what);
	return cli_fail_err(&e);
}

/* "custos hold create NAME ..." for each subcommand of cmd. */
static void synopsis(FILE *f, const cli_command_t *cmd, const char *first, const char *then)
{
	if (!cmd->subs) {
		fprintf(f, "%scustos %s\n", first, cmd->usage);
		return;
	}
	for (const cli_sub_t *s = cmd->subs; s->help; s++)
		fprintf(f, "%scustos %s%s%s%s%s\n", s == cmd->subs ? first : then, cmd->name,
		        s->name ? " " : "", s->name ? s->name : "", s->args ? " " : "",
		        s->args ? s->args : "");
}

int cli_usage(const cli_command_t *cmd, const char *fmt, ...)
{
	char msg[600] = "";
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	} else if (usage_why[0]) {
		snprintf(msg, sizeof msg, "%s", usage_why);
	}
	usage_why[0] = '\0';
	if (json_errors) {
		json_error(msg[0] ? msg : "bad usage", "usage");
		return CLI_USAGE;
	}
	if (msg[0]) {
		fputs("custos: ", stderr);
		cli_print_text(stderr, msg, true);
		fputc('\n', stderr);
	}
	synopsis(stderr, cmd, "usage: ", "   or: ");
	fprintf(stderr, "'custos %s --help' lists the options.\n", cmd->name);
	return CLI_USAGE;
}

int cli_out(const cli_command_t *cmd, int *out, int c)
{
	int want = c == 'j' ? CLI_OUT_JSON : CLI_OUT_CSV;
	if (*out != CLI_OUT_TABLE && *out != want)
		return cli_usage(cmd, "--json and --csv do not go together");
	*out = want;
	return CLI_OK;
}

bool cli_help(const cli_command_t *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cli_doc_help(stdout, cmd);
			return true;
		}
	}
	return false;
}

/* ---- options ------------------------------------------------------------ */

enum { OPT_QUIET = 0x1001, OPT_PROGRESS };

const cli_option_t cli_common_opts[] = {
	{ "quiet", OPT_QUIET, NULL, "Print no progress, even on a terminal.", 0, NULL, false },
	{ "progress", OPT_PROGRESS, NULL, "Print the progress of long work (records done, rate, "
	  "time left) on stderr even when it is not a terminal.", 0, NULL, false },
	{ "help", 'h', NULL, "Print the command's help and exit.", 0, NULL, true },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

static const cli_sub_t *find_sub(const cli_command_t *cmd, const char *sub)
{
	if (!cmd->subs)
		return NULL;
	for (const cli_sub_t *s = cmd->subs; s->help; s++)
		if ((!sub && !s->name) || (sub && s->name && !strcmp(sub, s->name)))
			return s;
	return NULL;
}

/* Fills lo (cap entries, the last left for the end mark) and shorts
 * (after what it holds) from the option lists. */
static void long_options(const cli_option_t *const *lists, size_t n_lists, struct option *lo,
                         size_t cap, char *shorts, size_t scap)
{
	size_t n = 0, ns = strlen(shorts);
	for (size_t l = 0; l < n_lists; l++)
		for (const cli_option_t *o = lists[l]; o && o->name && n + 1 < cap; o++) {
			lo[n].name = o->name;
			lo[n].has_arg = o->arg ? required_argument : no_argument;
			lo[n].flag = NULL;
			lo[n].val = o->val;
			n++;
			if (o->short_too && ns + 3 < scap) {
				shorts[ns++] = (char)o->val;
				if (o->arg)
					shorts[ns++] = ':';
				shorts[ns] = '\0';
			}
		}
	memset(&lo[n], 0, sizeof lo[n]);
}

int cli_getopt(cli_t *cli, const cli_command_t *cmd, const char *sub, int argc, char **argv)
{
	struct option lo[64];
	char shorts[64] = ":";    /* ':' : a missing argument is told from an unknown option */
	const cli_sub_t *s = find_sub(cmd, sub);
	const cli_option_t *lists[2] = { s ? s->opts : NULL, cli_common_opts };

	long_options(lists, 2, lo, sizeof lo / sizeof lo[0], shorts, sizeof shorts);
	opterr = 0;
	for (;;) {
		int c = getopt_long(argc, argv, shorts, lo, NULL);
		if (c == OPT_QUIET) {
			cli->progress = CLI_PROGRESS_OFF;
			continue;
		}
		if (c == OPT_PROGRESS) {
			cli->progress = CLI_PROGRESS_ON;
			continue;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (c == ':')
				snprintf(usage_why, sizeof usage_why, "option '%s' needs an argument", bad);
			else if (optopt && bad[0] == '-' && bad[1] != '-')
				snprintf(usage_why, sizeof usage_why, "unknown option '-%c'", optopt);
			else
				snprintf(usage_why, sizeof usage_why, "unknown option '%s'", bad);
			return '?';
		}
		return c;
	}
}

/* ---- the archive ---------------------------------------------------------- */

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
		cli_printf(stderr, "custos: note: the audit log of '%s' cannot be written (a read-only "
		           "archive?): this command is not audited\n", cli->archive);
	if (custos_archive_lockless(cli->a))
		cli_printf(stderr, "custos: note: the store of '%s' is read without its lock file (a "
		           "read-only copy): a custos writing it meanwhile could change what is read\n",
		           cli->archive);
	custos_session_progress(cli->s, cli_progress_fn, cli);
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
	/* an age: N and a unit, before now */
	char *end;
	if (*s >= '0' && *s <= '9') {
		unsigned long long v = strtoull(s, &end, 10);
		int64_t unit = 0;
		if (end[0] && !end[1]) {
			switch (end[0]) {
			case 'm': unit = 60000; break;
			case 'h': unit = 3600000; break;
			case 'd': unit = 86400000; break;
			case 'w': unit = 7 * 86400000LL; break;
			}
		}
		if (unit) {
			if (v > 1000000)
				return CUSTOS_EFORMAT;
			*ms = custos_time_now() - (int64_t)v * unit;
			return CUSTOS_OK;
		}
	}
	return custos_time_parse(ms, s, strlen(s));
}

void cli_json_str(FILE *f, const char *s)
{
	custos_buf_t b = { 0 };
	if (!s) {
		fputs("null", f);
		return;
	}
	custos_buf_add_json_text(&b, s, strlen(s));
	fwrite(b.data, 1, b.len, f);
	custos_buf_free(&b);
}

void cli_csv_row(FILE *f, const char *const *fields, size_t n)
{
	custos_buf_t b = { 0 };
	if (custos_csv_row(&b, fields, n) == CUSTOS_OK)
		fwrite(b.data, 1, b.len, f);
	custos_buf_free(&b);
}

/* ---- progress ----------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void span(char *out, size_t cap, double s)
{
	long t = (long)(s + 0.5);
	if (t < 60)
		snprintf(out, cap, "%lds", t);
	else if (t < 3600)
		snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(out, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

static void progress_line(cli_t *cli, bool final)
{
	char line[200], eta[32];
	double took = now_s() - cli->p_start;
	double rate = took > 0.05 ? (double)cli->p_done / took : 0;
	int n = snprintf(line, sizeof line, "%s: %llu", cli->p_label ? cli->p_label : "working",
	                 (unsigned long long)cli->p_done);
	/* the share done: of the records, or of the bytes when those are known */
	uint64_t of = cli->p_total ? cli->p_total : cli->p_bytes_total;
	uint64_t at = cli->p_total ? cli->p_done : cli->p_bytes;
	if (cli->p_total)
		n += snprintf(line + n, sizeof line - (size_t)n, "/%llu records",
		              (unsigned long long)cli->p_total);
	else
		n += snprintf(line + n, sizeof line - (size_t)n, " records");
	if (of)
		n += snprintf(line + n, sizeof line - (size_t)n, " (%d%%)",
		              final ? 100 : (int)((at > of ? of : at) * 100 / of));
	if (rate > 0)
		n += snprintf(line + n, sizeof line - (size_t)n, ", %.0f/s", rate);
	if (final) {
		span(eta, sizeof eta, took);
		snprintf(line + n, sizeof line - (size_t)n, ", done in %s", eta);
	} else if (of > at && at && took > 0.05) {
		span(eta, sizeof eta, took * (double)(of - at) / (double)at);
		snprintf(line + n, sizeof line - (size_t)n, ", %s left", eta);
	}
	if (cli->tty && cli->progress != CLI_PROGRESS_OFF)
		fprintf(stderr, "\r%s\033[K", line);
	else
		fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

static bool progress_on(const cli_t *cli)
{
	return cli->progress == CLI_PROGRESS_ON ||
	       (cli->progress == CLI_PROGRESS_AUTO && cli->tty);
}

void cli_progress(cli_t *cli, const char *label, uint64_t done, uint64_t total)
{
	if (!progress_on(cli))
		return;
	double t = now_s();
	if (!cli->p_shown || (label && cli->p_label && strcmp(label, cli->p_label))) {
		if (cli->p_shown)
			cli_progress_end(cli);
		cli->p_label = label ? label : cli->p_label;
		cli->p_start = t;
		cli->p_last = 0;
	}
	cli->p_done = done;
	cli->p_total = total;
	cli->p_shown = true;
	/* a terminal is redrawn 5 times a second, a log gets a line a second
	 * (tests ask for every step with CUSTOS_TEST_PROGRESS_ALL) */
	if (cli->p_last && t - cli->p_last < (cli->tty ? 0.2 : 1.0) && !progress_all)
		return;
	cli->p_last = t;
	progress_line(cli, false);
}

void cli_progress_bytes(cli_t *cli, const char *label, uint64_t records, uint64_t bytes,
                        uint64_t bytes_total)
{
	cli->p_bytes = bytes;
	cli->p_bytes_total = bytes_total;
	cli_progress(cli, label, records, 0);
}

void cli_progress_end(cli_t *cli)
{
	if (!cli->p_shown)
		return;
	if (cli->tty)
		fputs("\r\033[K", stderr);
	else
		progress_line(cli, true);
	cli->p_shown = false;
}

void cli_progress_label(cli_t *cli, const char *label)
{
	cli->p_label = label;
}

void cli_progress_fn(void *ctx, uint64_t done, uint64_t total)
{
	cli_t *cli = ctx;
	cli_progress(cli, cli->p_label, done, total);
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

/* ---- main ----------------------------------------------------------------------- */

static void usage_all(FILE *f)
{
	fputs("usage: custos [--archive DIR] [--actor NAME] [--quiet|--progress] COMMAND [ARGS]\n\n"
	      "The archive is DIR, or $CUSTOS_ARCHIVE. Commands:\n", f);
	for (const cli_command_t *c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fputs("\n'custos COMMAND --help' shows a command's options; 'man custos' the manual.\n", f);
}

/* Whether cmd takes --json somewhere: then a --json among its arguments
 * makes every failure of this call JSON, usage errors included. */
static bool takes_json(const cli_command_t *cmd)
{
	for (const cli_sub_t *s = cmd->subs; s && s->help; s++)
		for (const cli_option_t *o = s->opts; o && o->name; o++)
			if (!strcmp(o->name, "json"))
				return true;
	return false;
}

enum { G_ARCHIVE = 0x2001, G_ACTOR, G_QUIET, G_PROGRESS, G_JSON, G_VERSION, G_MAN,
       G_COMPLETION, G_COMMANDS };

const cli_option_t cli_global_opts[] = {
	{ "archive", G_ARCHIVE, "DIR", "The archive to work on (else $CUSTOS_ARCHIVE).",
	  CLI_ARG_DIR, NULL, false },
	{ "actor", G_ACTOR, "NAME", "The person this command acts for, as the audit trail, "
	  "policy commits and tombstones name them: \"Name\" or \"Name <email>\" (else "
	  "$CUSTOS_ACTOR).", CLI_ARG_TEXT, NULL, false },
	{ "quiet", G_QUIET, NULL, "Print no progress, even on a terminal.", 0, NULL, false },
	{ "progress", G_PROGRESS, NULL, "Print the progress of long work on stderr even when it "
	  "is not a terminal.", 0, NULL, false },
	{ "json", G_JSON, NULL, "JSON output for the command, errors included, as its own "
	  "--json gives.", 0, NULL, false },
	{ "help", 'h', NULL, "Print the list of commands and exit.", 0, NULL, true },
	{ "version", G_VERSION, NULL, "Print the version and exit.", 0, NULL, false },
	{ "man", G_MAN, "PAGE", "Print the manual page PAGE (custos, or a command: hold) in "
	  "roff, as 'make install' installs it, and exit.", CLI_ARG_VALUES, NULL, false },
	{ "completion", G_COMPLETION, "SHELL", "Print the completion script for SHELL (bash or "
	  "zsh), as 'make install' installs it, and exit.", CLI_ARG_VALUES, "bash zsh", false },
	{ "commands", G_COMMANDS, NULL, "Print the names of the commands, one a line, and exit.",
	  0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

int main(int argc, char **argv)
{
	struct option opts[20];
	char shorts[16] = "+";
	const cli_option_t *lists[1] = { cli_global_opts };
	cli_t cli = { 0 };
	int c;

	long_options(lists, 1, opts, sizeof opts / sizeof opts[0], shorts, sizeof shorts);

	cli.archive = getenv("CUSTOS_ARCHIVE");
	cli.actor = getenv("CUSTOS_ACTOR");
	cli.tty = isatty(2);
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
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (c) {
		case G_ARCHIVE: cli.archive = optarg; break;
		case G_ACTOR: cli.actor = optarg; break;
		case G_QUIET: cli.progress = CLI_PROGRESS_OFF; break;
		case G_PROGRESS: cli.progress = CLI_PROGRESS_ON; break;
		case G_JSON: cli.json = true; break;
		case 'h': usage_all(stdout); return CLI_OK;
		case G_VERSION: puts("custos 0.1"); return CLI_OK;
		case G_MAN: return cli_doc_man(stdout, optarg);
		case G_COMPLETION: return cli_doc_completion(stdout, optarg);
		case G_COMMANDS:
			for (const cli_command_t *k = commands; k->name; k++)
				puts(k->name);
			return CLI_OK;
		default: usage_all(stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage_all(stderr);
		return CLI_USAGE;
	}
	const cli_command_t *cmd = cli_find(argv[optind]);
	if (!cmd) {
		cli_printf(stderr, "custos: unknown command '%s'\n", argv[optind]);
		usage_all(stderr);
		return CLI_USAGE;
	}
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	if (takes_json(cmd))
		for (int i = 1; i < sub_argc && strcmp(sub_argv[i], "--"); i++)
			if (!strcmp(sub_argv[i], "--json"))
				cli.json = true;
	json_errors = cli.json;
	progress_all = getenv("CUSTOS_TEST_PROGRESS_ALL") != NULL;
	if (custos_global_init() < 0)
		return cli_fail("cannot initialise the crypto library");
	if (cli_help(cmd, sub_argc, sub_argv))
		return CLI_OK;
	optind = 0;  /* glibc: reinitialise getopt for the command */
	int rc = cmd->run(&cli, sub_argc, sub_argv);
	cli_progress_end(&cli);
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_fail("cannot write output");
	return rc;
}
