/* Shared by the command files of the custos command line. */
#ifndef CUSTOS_CLI_H
#define CUSTOS_CLI_H

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "custos.h"

enum { CLI_PROGRESS_AUTO = 0, CLI_PROGRESS_ON, CLI_PROGRESS_OFF };

typedef struct {
	const char *archive;  /* --archive or CUSTOS_ARCHIVE */
	const char *actor;    /* --actor or CUSTOS_ACTOR */
	bool        tty;      /* stderr is a terminal: progress bars */
	custos_archive_t *a;  /* open between cli_open and cli_close */
	custos_session_t *s;
	bool        json;     /* --json: stdout carries one JSON value, errors included */
	int         progress; /* CLI_PROGRESS_*: --progress, --quiet, or by the terminal */
	/* the progress line being drawn (cli_progress) */
	const char *p_label;
	double      p_start, p_last;
	uint64_t    p_done, p_total;
	uint64_t    p_bytes, p_bytes_total;   /* when the work is known by its bytes */
	bool        p_shown;
} cli_t;

/* How the argument of an option, or a positional argument, is completed. */
enum {
	CLI_ARG_TEXT = 0,     /* free text: nothing to offer */
	CLI_ARG_FILE,
	CLI_ARG_DIR,
	CLI_ARG_HOLD,         /* a hold's name, read from the archive */
	CLI_ARG_FORMAT,       /* an ingest format (custos_ingest_formats) */
	CLI_ARG_VALUES,       /* one of the words in cli_option_t.values */
	CLI_ARG_ACTION        /* an audit action (custos_audit_actions) */
};

/* An option of a command: the one source of its parsing (cli_getopt), its
 * --help, its man page and its shell completion. */
typedef struct {
	const char *name;     /* long name, without "--"; NULL ends a list */
	int         val;      /* what cli_getopt returns for it */
	const char *arg;      /* its argument as the help names it ("DATE"); NULL: none */
	const char *help;     /* one sentence, starting with a capital, ending with '.' */
	int         complete; /* CLI_ARG_* for the argument */
	const char *values;   /* CLI_ARG_VALUES: the choices, separated by spaces */
	bool        short_too;/* val is also its one-letter form ("-m MSG") */
} cli_option_t;

/* A subcommand ("hold create"), or the command itself when name is NULL. */
typedef struct {
	const char *name;     /* NULL ends a list (and names the command itself when first) */
	const char *args;     /* the synopsis after the options ("NAME", "PATH..."), or NULL */
	const char *help;     /* what it does: one or more sentences */
	const cli_option_t *opts;
	int         complete; /* CLI_ARG_* for the positional arguments */
} cli_sub_t;

typedef struct {
	const char *name;
	int       (*run)(cli_t *cli, int argc, char **argv);
	const char *usage;    /* "init", "ingest [--format F] ... PATH..." */
	const char *summary;
	/* The command described for --help, man pages and completion: its
	 * subcommands (a single entry with a NULL name for a command without),
	 * ended by an entry whose help is NULL. NULL for a command not described
	 * yet: its --help prints usage and summary only. */
	const cli_sub_t *subs;
	const char *about;    /* a paragraph for the man page, or NULL */
} cli_command_t;

/* Exit codes: 0 done, 1 failed, 2 bad usage. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* What a command prints: a table for people, or one for scripts. */
enum { CLI_OUT_TABLE = 0, CLI_OUT_JSON, CLI_OUT_CSV };
/* Records --json (c == 'j') or --csv (c == 'c') in *out: CLI_OK, or the
 * usage error when the other was given. */
int cli_out(const cli_command_t *cmd, int *out, int c);

/* Prints a failure and returns CLI_FAIL: "custos: <message>" on stderr, or
 * with --json {"error": "<message>", "status": "failed"} on stdout. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same from an error detail, with a hint for some statuses; with --json
 * the status is the error's (custos_status_name). */
int cli_fail_err(const custos_err_t *err);
/* cli_fail_err with the message prefixed by what failed ("cannot plan the
 * disposition: ..."); the status stays the error's. */
int cli_fail_in(const custos_err_t *err, const char *what);
/* Prints the usage of cmd (with a message first when given) and returns
 * CLI_USAGE; with --json {"error": ..., "status": "usage"}. */
int cli_usage(const cli_command_t *cmd, const char *fmt, ...);
/* True when argv holds -h or --help; prints the command's help. */
bool cli_help(const cli_command_t *cmd, int argc, char **argv);
/* getopt_long over the options of sub (a subcommand of cmd, or NULL for
 * the command itself) and the ones every command takes (--quiet,
 * --progress), which it handles. Returns the option's val, -1 at the end of
 * the options, or '?' after an option it does not know (say cli_usage). */
int cli_getopt(cli_t *cli, const cli_command_t *cmd, const char *sub, int argc, char **argv);
/* Opens the archive named by --archive/CUSTOS_ARCHIVE and a session on it
 * for the operator (with --actor); prints on failure. *out is the session,
 * valid until cli_close. */
int cli_open(cli_t *cli, unsigned flags, custos_session_t **out);
/* Ends the session and closes the archive (NULL-safe on both). */
void cli_close(cli_t *cli);
/* Parses a date or time for --as-of/--since: "2024-01-31", RFC 3339, or
 * an age before now: "90m", "36h", "7d", "2w" (minutes, hours, days,
 * weeks). */
int cli_parse_time(const char *s, int64_t *ms);
/* Prints s for a person: control characters and bytes that are not UTF-8
 * escaped (custos_buf_add_printable), so text someone typed cannot drive
 * the terminal; with lines, its newlines and tabs stay as they are. */
void cli_print_text(FILE *f, const char *s, bool lines);
/* Prints s with its newlines and tabs kept (every other control escaped),
 * each newline followed by indent: a record's text set in a listing. NULL
 * indent: as cli_print_text without lines. */
void cli_print_lines(FILE *f, const char *s, const char *indent);
/* printf (custos_buf_printf_printable) for anything that prints archive data
 * or what people typed: each %s argument is escaped, newlines included, so a
 * record's author, id, URL or text can neither drive the terminal nor forge
 * a line of the layout; fmt's own text is printed as it is. */
void cli_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes the n bytes at p to stdout exactly (--raw: the original bytes as
 * captured). To a terminal, bytes that cli_print_lines would escape (a
 * control character but newline and tab, a byte that is not UTF-8) are not
 * written at all: the call prints why and returns CLI_FAIL, so the bytes
 * can neither drive the terminal nor be shown altered. */
int cli_write_raw(const void *p, size_t n);
/* Prints s with JSON string escaping, quotes included; NULL as null. */
void cli_json_str(FILE *f, const char *s);
/* Prints one CSV row of n fields (common/csv.c: quoted as needed, formulas
 * guarded); NULL fields are empty. */
void cli_csv_row(FILE *f, const char *const *fields, size_t n);
/* Progress of long work on stderr: "label: done/total records (P%), R/s,
 * T left" redrawn on a terminal at most 5 times a second; with --progress
 * and no terminal one line a second; nothing with --quiet or when stderr is
 * not a terminal. total 0: unknown. */
void cli_progress(cli_t *cli, const char *label, uint64_t done, uint64_t total);
/* The same for work whose end is known by bytes (an ingest): records done,
 * and bytes done of bytes_total (0: unknown), for the share and time left. */
void cli_progress_bytes(cli_t *cli, const char *label, uint64_t records, uint64_t bytes,
                        uint64_t bytes_total);
/* Ends the progress line (a terminal's is cleared; a forced one gets its
 * final count). */
void cli_progress_end(cli_t *cli);
/* A custos_progress_fn for the library, labelled by what the command set
 * with cli_progress_label. */
void cli_progress_fn(void *cli, uint64_t done, uint64_t total);
void cli_progress_label(cli_t *cli, const char *label);
/* Formats n bytes as "12.3 MB". */
const char *cli_bytes(char *buf, size_t cap, uint64_t n);

const cli_command_t *cli_find(const char *name);
/* The command table, ended by an entry with a NULL name. */
const cli_command_t *cli_commands(void);

/* Documentation generated from the command table (cli/doc.c): the man page
 * of the command name (NULL: custos(1)) in roff, and the completion script
 * for shell ("bash" or "zsh"). CLI_USAGE for an unknown name. */
int cli_doc_man(FILE *f, const char *name);
int cli_doc_completion(FILE *f, const char *shell);
/* The text of cmd's --help. */
void cli_doc_help(FILE *f, const cli_command_t *cmd);
/* The options every command takes, and the global ones (before the
 * command), for help, man pages and completion. */
extern const cli_option_t cli_common_opts[], cli_global_opts[];

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
CLI_COMMAND(cmd_compact);

/* Each command file describes its command (cli_sub_t lists). */
extern const cli_sub_t cli_init_subs[], cli_ingest_subs[], cli_show_subs[], cli_stats_subs[],
	cli_verify_subs[], cli_audit_subs[], cli_quarantine_subs[], cli_policy_subs[],
	cli_hold_subs[], cli_retention_subs[], cli_search_subs[], cli_index_subs[],
	cli_report_subs[], cli_compact_subs[];

#endif
