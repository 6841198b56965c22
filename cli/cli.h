/* Shared by the command files of the custos command line. */
#ifndef CUSTOS_CLI_H
#define CUSTOS_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "custos.h"

typedef struct {
	const char *archive;  /* --archive or CUSTOS_ARCHIVE */
	const char *actor;    /* --actor or CUSTOS_ACTOR */
	bool        tty;      /* stderr is a terminal: progress bars */
	custos_archive_t *a;  /* open between cli_open and cli_close */
	custos_session_t *s;
} cli_t;

typedef struct {
	const char *name;
	int       (*run)(cli_t *cli, int argc, char **argv);
	const char *usage;    /* "init", "ingest [--format F] ... PATH..." */
	const char *summary;
} cli_command_t;

/* Exit codes: 0 done, 1 failed, 2 bad usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Prints "custos: <message>" to stderr and returns CLI_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a failure from an error detail, with a hint for some statuses. */
int cli_fail_err(const custos_err_t *err);
/* Prints "usage: custos <usage>" (and a message when given); CLI_USAGE. */
int cli_usage(const cli_command_t *cmd, const char *fmt, ...);
/* True when argv holds -h or --help; prints the command's help. */
bool cli_help(const cli_command_t *cmd, int argc, char **argv);
/* Opens the archive named by --archive/CUSTOS_ARCHIVE and a session on it
 * for the operator (with --actor); prints on failure. *out is the session,
 * valid until cli_close. */
int cli_open(cli_t *cli, unsigned flags, custos_session_t **out);
/* Ends the session and closes the archive (NULL-safe on both). */
void cli_close(cli_t *cli);
/* Parses a date or time for --as-of/--since ("2024-01-31", RFC 3339). */
int cli_parse_time(const char *s, int64_t *ms);
/* Prints s for a person: control characters and bytes that are not UTF-8
 * escaped (custos_buf_add_printable), so text someone typed cannot drive
 * the terminal; with lines, its newlines stay newlines. */
void cli_print_text(FILE *f, const char *s, bool lines);
/* Prints s with JSON string escaping, quotes included. */
void cli_json_str(FILE *f, const char *s);
/* Writes s as one quoted CSV field (quotes doubled, line breaks as spaces). */
void cli_csv_str(FILE *f, const char *s);
/* Progress on stderr when it is a terminal: "label  done/total". */
void cli_progress(cli_t *cli, const char *label, uint64_t done, uint64_t total);
void cli_progress_end(cli_t *cli);
/* Formats n bytes as "12.3 MB". */
const char *cli_bytes(char *buf, size_t cap, uint64_t n);

const cli_command_t *cli_find(const char *name);

#define CLI_COMMAND(fn) int fn(cli_t *cli, int argc, char **argv)
CLI_COMMAND(cmd_init);
CLI_COMMAND(cmd_ingest);
CLI_COMMAND(cmd_show);
CLI_COMMAND(cmd_stats);
CLI_COMMAND(cmd_verify);
CLI_COMMAND(cmd_audit);
CLI_COMMAND(cmd_quarantine);
CLI_COMMAND(cmd_policy);
CLI_COMMAND(cmd_hold);
CLI_COMMAND(cmd_retention);
CLI_COMMAND(cmd_search);
CLI_COMMAND(cmd_index);
CLI_COMMAND(cmd_report);
CLI_COMMAND(cmd_serve);
CLI_COMMAND(cmd_token);
CLI_COMMAND(cmd_source);
CLI_COMMAND(cmd_matter);
CLI_COMMAND(cmd_export);

#endif
