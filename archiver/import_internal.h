/* Internal contract between the import dispatcher (import.c) and the
 * per-format importers (import_<format>.c). Not a public header. */
#ifndef CUSTOS_IMPORT_INTERNAL_H
#define CUSTOS_IMPORT_INTERNAL_H

#include <sys/types.h>
#include "custos_archiver.h"

/* One input file: a plain file, or a member of a .zip. Read it as a stream;
 * a 2 GB input must never be loaded whole. */
typedef struct custos_input custos_input_t;
struct custos_input {
	const char *name;     /* display path for messages: "x.zip!/data/tweets.js" */
	const char *relpath;  /* path relative to the export root: "data/tweets.js" */
	int64_t     size;     /* bytes, -1 when unknown */
	/* Reads up to n bytes; returns the count, 0 at the end, -1 on error
	 * (the input's err then says why). */
	ssize_t   (*read)(custos_input_t *in, void *buf, size_t n);
	custos_err_t err;
	void       *impl;
	/* SHA-256 of all bytes read so far, kept by the reader; complete once
	 * read has returned 0 (for a small file custos_tree__open read whole,
	 * it covers the whole file from the start). */
	custos_sha256_ctx_t sha;
	int64_t     consumed;
};

/* An export root: a folder, a .zip, or a single file (a tree of one). */
typedef struct custos_tree custos_tree_t;

/* Files and zip members of up to this many bytes are read whole when
 * custos_tree__open opens them, hashed as they are read and then served from
 * memory: their hash (custos_tree__file_sha256) then costs no second read.
 * A Slack export's tens of thousands of day files are of this kind; 1 MiB
 * holds the biggest of them with room, and keeps memory small (one such
 * buffer per open input, reused from one file to the next), while the few
 * bigger files of an export are streamed. */
#define CUSTOS_TREE_WHOLE_MAX ((int64_t)1 << 20)

/* Opens the tree at path: a folder, a .zip (by name or by its "PK" magic),
 * or any other file (a tree of one whose relpath is the file's base name;
 * other relpaths then open the file's siblings, so a lone tweets.js still
 * finds account.js). CUSTOS_ENOTFOUND / CUSTOS_EACCESS name the path. Free
 * with custos_tree__free (NULL-safe). */
int  custos_tree__new(custos_tree_t **out, const char *path, custos_err_t *err);
void custos_tree__free(custos_tree_t *t);
/* 1 when the tree is a single file, 0 for a folder or a zip. */
int  custos_tree__is_file(const custos_tree_t *t);
/* 1 when relpath is a regular file of the tree (*size set when size is not
 * NULL), 0 when not. */
int  custos_tree__exists(custos_tree_t *t, const char *relpath, int64_t *size);
/* The display name of a member: "x.zip!/data/tweets.js", "dir/data/tweets.js".
 * Written into out (cap bytes). */
void custos_tree__member_name(const custos_tree_t *t, const char *relpath, char *out, size_t cap);
/* An input over memory (not copied: p must outlive it), for scanning the
 * bytes of one item again (a v2 page's "data" array). Offsets and lines it
 * reports are relative to p. */
int  custos_input__open_mem(custos_input_t **out, const char *name, const void *p, size_t n);
/* Reads the input to its end (so its sha is complete). */
int  custos_input__drain(custos_input_t *in, custos_err_t *err);

/* The SHA-256 (hex) of the file of the tree whose display name is name, as
 * custos_tree__member_name gives it: the bytes of the file as collected (of
 * the member, for a member of a zip). Known before the file's first record
 * is stored: when no input has read the file to its end yet, it is read once
 * more, whole, here. Kept per tree. CUSTOS_ENOTFOUND when the name is not of
 * this tree; read errors as custos_tree__open and the input's read give. */
int  custos_tree__file_sha256(custos_tree_t *t, const char *name, char out[CUSTOS_SHA256_HEX],
                              custos_err_t *err);
/* Tells the tree the SHA-256 (hex, lower case) of the file whose display
 * name is name, as the caller read it before the import (the ingest hashes
 * each input file for its audit entry): custos_tree__file_sha256 gives it
 * without reading the file. It is checked as any hash given to records is:
 * an input that reads the file to its end and finds other bytes makes
 * custos_tree__changed name it. CUSTOS_ENOTFOUND when the name is not of
 * this tree, CUSTOS_EINVAL for a hex that is not 64 hex digits. */
int  custos_tree__know_sha256(custos_tree_t *t, const char *name, const char *hex);
/* What a tree read from its files and members so far, for tests and
 * benchmarks: opens, how many times a file or member was opened to be read;
 * bytes, the bytes read (inflated, for a zip; a spooled member's count again
 * when read back); zip_opens, how many times the .zip was opened to read
 * members (1 when they are opened in archive order). */
typedef struct {
	uint64_t opens, bytes, zip_opens;
} custos_tree_reads_t;
void custos_tree__reads(const custos_tree_t *t, custos_tree_reads_t *out);
/* The display name of a file whose bytes, read to the end by an input,
 * differed from the hash custos_tree__file_sha256 gave its records (it
 * changed while it was imported); NULL when none did. Valid while t is. */
const char *custos_tree__changed(const custos_tree_t *t);
/* Opens relpath inside the tree; CUSTOS_ENOTFOUND when absent. Close with
 * custos_input__close (NULL-safe). A file or member of up to
 * CUSTOS_TREE_WHOLE_MAX bytes is read whole here (read errors then show
 * here); a bigger one is streamed. */
int  custos_tree__open(custos_tree_t *t, const char *relpath, custos_input_t **out,
                       custos_err_t *err);
void custos_input__close(custos_input_t *in);
/* Calls fn for each regular file in the tree, in a stable order (folders:
 * names in byte order, depth first; zips: archive order, so that opening
 * each member in turn reads the zip once). Each file and folder is met
 * once however many links lead to it; what is not offered is in
 * custos_tree__skipped. fn returns 0 to go on; anything else stops the walk
 * and is returned. A folder that cannot be read stops it with
 * CUSTOS_EACCESS / CUSTOS_EIO, and custos_tree__err names it. */
int  custos_tree__each(custos_tree_t *t, int (*fn)(void *ctx, const char *relpath, int64_t size),
                       void *ctx);
const custos_err_t *custos_tree__err(const custos_tree_t *t);
/* A view of folder (a relpath, no trailing '/') of t as a tree of its own:
 * its relpaths leave "folder/" out, its display names are t's (so records
 * read through it name their files as t does), and each() walks only what
 * lies under folder. It shares t's state: hashes, reads, taken files,
 * errors; t must outlive it. Free with custos_tree__free. CUSTOS_EINVAL for
 * a single-file tree or a bad folder name. */
int  custos_tree__sub(custos_tree_t **out, custos_tree_t *t, const char *folder,
                      custos_err_t *err);
/* While on, every file custos_tree__open (or slurp) opens is marked taken
 * (a view marks its root's files). The dispatcher turns it on while an
 * importer runs, to name afterwards the files of an export it never read. */
void custos_tree__track(custos_tree_t *t, int on);
/* 1 when relpath was opened while the tree tracked, 0 when not. */
int  custos_tree__taken(custos_tree_t *t, const char *relpath);
/* Calls fn with each path the tree does not offer through each(), with why:
 * in a folder, links to a folder or file met before (a symlink loop),
 * dangling links, hidden folders, what is not a regular file; in a zip,
 * member names with '..' and each earlier member of a name written twice.
 * Complete after the first each() of a folder (zips: after new). fn returns
 * 0 to go on; anything else stops and is returned. */
int  custos_tree__skipped(custos_tree_t *t,
                          int (*fn)(void *ctx, const char *name, const char *why), void *ctx);
/* Display name of the tree root ("exports/acme.zip"). */
const char *custos_tree__name(const custos_tree_t *t);
/* Reads a whole (small) member into *out (malloc'd, NUL-terminated), refusing
 * members over max bytes with CUSTOS_ETOOBIG. For side files like users.json. */
int  custos_tree__slurp(custos_tree_t *t, const char *relpath, size_t max, char **out,
                        size_t *n, custos_err_t *err);

/* Buffered line reader over an input: lines of any length up to max_line
 * (longer ones give CUSTOS_ETOOBIG naming the line). */
typedef struct custos_lines custos_lines_t;
int  custos_lines__open(custos_lines_t **out, custos_input_t *in, size_t max_line);
/* *line points into the reader's buffer until the next call; the newline is
 * not included (a trailing "\r" is). Returns 1 for a line, 0 at the end,
 * negative on error. *offset and *lineno give where the line starts. */
int  custos_lines__next(custos_lines_t *lr, const char **line, size_t *n,
                        int64_t *offset, int64_t *lineno, custos_err_t *err);
void custos_lines__free(custos_lines_t *lr);

/* The line formats' loop: opens relpath of the tree (NULL, a folder, is
 * CUSTOS_EINVAL naming format) and calls fn with each line that is not blank
 * (spaces, tabs, "\r"), as custos_lines__next gives it, and the input it
 * comes from. fn returns 0 to go on; anything else stops the loop and is
 * returned (a positive value is the caller's own signal). Returns 0 at the
 * end of the file, or the line reader's error. */
typedef int (*custos_line_fn)(void *ctx, custos_input_t *in, const char *line, size_t n,
                              int64_t offset, int64_t lineno);
int  custos_import__each_line(custos_tree_t *t, const char *relpath, const char *format,
                              size_t max_line, custos_line_fn fn, void *ctx, custos_err_t *err);

/* Streaming scan of a JSON document for the elements of arrays: the
 * elements are handed over as raw bytes, exactly as in the file, with their
 * byte offset and line. Handles a JS prefix ("window.YTD.tweets.part0 = ")
 * and a UTF-8 byte order mark. With path "", a top-level array may be
 * followed by more (each with its own prefix: "window.YTD.tweets.part1 =
 * [...]"), whose elements follow; anything else after the document's value
 * is CUSTOS_EFORMAT naming its position, never passed over. path selects the array: "" the top-level
 * array, "orderedItems" the array under that key of the top-level object,
 * "includes.users" a key of a nested object; a value at path that is not an
 * array is handed over as one element; path NULL hands over each top-level
 * value of a sequence of JSON texts (concatenated or one per line).
 * The scanner finds boundaries only (strings, escapes, nesting): parse each
 * element (custos_jv__parse, or jansson json_loadb) to validate it.
 *
 * A key that occurs twice: a stream cannot know that a later occurrence is
 * coming, so by default the elements of every occurrence are handed over in
 * order, and dup_keys counts the occurrences after the first. To make the
 * last one win, as jq, Python and JavaScript do, count the occurrences in a
 * first pass (custos_jsonscan__occurrences) and select the last with
 * custos_jsonscan__only before the first custos_jsonscan__next. */
typedef struct custos_jsonscan custos_jsonscan_t;
int  custos_jsonscan__open(custos_jsonscan_t **out, custos_input_t *in, const char *path);
/* Hands over only the elements of the nth (1-based) occurrence of path's
 * last key; 0 (the default) means every occurrence. */
void custos_jsonscan__only(custos_jsonscan_t *js, unsigned nth);
/* Reads in to its end and sets *n to the number of occurrences of path's
 * last key (0 when absent). */
int  custos_jsonscan__occurrences(custos_input_t *in, const char *path, unsigned *n,
                                  custos_err_t *err);
/* Returns 1 with an element, 0 at the end, negative on error (err names the
 * byte offset and line). *elem is valid until the next call. When the input
 * ends inside an element (a truncated file) it returns CUSTOS_EFORMAT with
 * *elem, *n, *offset and *line describing the partial element, so the caller
 * can set it aside as a bad item; the scan is then over. Elements over
 * 64 MB give CUSTOS_ETOOBIG. At the end the input has been read to EOF. */
int  custos_jsonscan__next(custos_jsonscan_t *js, const char **elem, size_t *n,
                           int64_t *offset, int64_t *line, custos_err_t *err);
unsigned custos_jsonscan__dup_keys(const custos_jsonscan_t *js);
/* Top-level arrays scanned so far with path "" (1, or more when a file
 * holds several). */
unsigned custos_jsonscan__arrays(const custos_jsonscan_t *js);
void custos_jsonscan__free(custos_jsonscan_t *js);

/* A small JSON tree for importers (import_json.c): parsed from one element's
 * bytes into an arena (no reference counts, no hashing), read, and dropped
 * with the arena. Several times faster than building a jansson tree, which
 * matters at tens of thousands of posts a second. Strict JSON (RFC 8259):
 * anything else is refused with the byte position. Strings are decoded to
 * NUL-terminated UTF-8 ("\u0000" is refused); numbers keep their text. In an
 * object with a key twice, lookups find the last, as jansson does. */
typedef enum { CUSTOS_JV_NULL, CUSTOS_JV_FALSE, CUSTOS_JV_TRUE, CUSTOS_JV_NUM, CUSTOS_JV_STR,
               CUSTOS_JV_ARR, CUSTOS_JV_OBJ } custos_jv_type_t;
typedef struct custos_jv custos_jv_t;
struct custos_jv {
	custos_jv_type_t type;
	uint32_t     n;       /* STR: bytes; ARR, OBJ: members */
	const char  *s;       /* STR: decoded text; NUM: the number's text */
	const char  *key;     /* a member of an object: its key */
	custos_jv_t *first;   /* ARR, OBJ: first member */
	custos_jv_t *next;    /* next member of the parent */
};
typedef struct {
	char    text[160];
	int64_t position;     /* byte offset of the problem in the parsed bytes */
} custos_jv_err_t;

/* Parses p[0..n) (one value, white space around it allowed); NULL on
 * malformed input (e says why and where) or when out of memory. */
custos_jv_t *custos_jv__parse(custos_arena_t *a, const char *p, size_t n, custos_jv_err_t *e);
/* Member of an object (NULL for anything else or when absent). */
custos_jv_t *custos_jv__get(const custos_jv_t *o, const char *key);
custos_jv_t *custos_jv__at(const custos_jv_t *a, size_t i);  /* NULL when out of range */
size_t       custos_jv__len(const custos_jv_t *v);             /* members; 0 for scalars */
const char  *custos_jv__str(const custos_jv_t *v);             /* NULL unless a string */
int          custos_jv__is_int(const custos_jv_t *v);          /* a number without . or e */
long long    custos_jv__int(const custos_jv_t *v);
const char  *custos_jv__first_key(const custos_jv_t *o);
#define custos_jv__is_str(v) ((v) && (v)->type == CUSTOS_JV_STR)
#define custos_jv__is_obj(v) ((v) && (v)->type == CUSTOS_JV_OBJ)
#define custos_jv__is_arr(v) ((v) && (v)->type == CUSTOS_JV_ARR)
/* for (i, v over the members of an array or object; none for NULL) */
#define custos_jv__foreach(arr, i, v) \
	for ((i) = 0, (v) = ((arr) && ((arr)->type == CUSTOS_JV_ARR || (arr)->type == CUSTOS_JV_OBJ) \
	                     ? (arr)->first : NULL); (v); (i)++, (v) = (v)->next)

/* Helpers for importers (import.c). */

/* Hands a bad item to the sink (NULL-safe sink->bad means "stop"). Returns
 * 0 to go on, or the stopping status with err naming file and position:
 * "data/tweets.js: line 12 (byte 3456): <why>". */
int  custos_import__bad(const custos_import_sink_t *sink, const char *file, int64_t offset,
                        int64_t line, const char *why, const char *raw, size_t n,
                        custos_err_t *err);
/* Hands a record to the sink, then resets it for the next one. */
int  custos_import__record(const custos_import_sink_t *sink, custos_record_t *rec,
                           custos_err_t *err);
void custos_import__warn(const custos_import_sink_t *sink, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Whether the archive behind the sink holds a record with id (sink->known):
 * 1 yes, 0 no (or the sink cannot tell), negative with err set on failure.
 * Importers whose id recipe changed ask it for an item's id under the old
 * recipe, and keep that id when it is held: re-ingesting an export that an
 * older custos took adds nothing (docs/importers.md, "Ids that changed").
 * With CUSTOS_TEST_OLD_IDS set (tests) every id counts as held, which makes
 * the ids an older custos gave. */
int  custos_import__known(const custos_import_sink_t *sink, const char *id, custos_err_t *err);
/* Sets r->id for an item with no native id: "<platform>:" then r->created_at
 * as UTC "YYYYMMDDTHHMMSSZ" (seconds, rounded down), "-" and the hash in
 * lower-case hex: "facebook:20160413T123049Z-c56dc14ac6a826bb0a394c901df9c729".
 * Ids of items so sort in time order. 0 or CUSTOS_ENOMEM. */
#define CUSTOS_IMPORT_ID_HASH 16
int  custos_import__derived_id(custos_record_t *r, const char *platform,
                               const uint8_t hash[CUSTOS_IMPORT_ID_HASH]);
/* Checks UTF-8; on invalid bytes hands the item to sink->bad naming the
 * offset of the first bad byte, and returns 1 (skip it) or the stopping
 * status. 0 when valid. */
int  custos_import__check_utf8(const custos_import_sink_t *sink, const char *file,
                               int64_t offset, int64_t line, const char *p, size_t n,
                               custos_err_t *err);

/* Media files of an export, read once up front: every regular file whose
 * relpath contains `under` ("tweets_media/", "media_attachments/"; several
 * folders separated by '|': "tweets_media/|direct_messages_media/") is read,
 * passed to sink->blob (or only hashed when blob is NULL), and remembered by
 * the part of its relpath after `under`. Files over 64 MB are skipped with a
 * warning (their records keep the reference only). */
typedef struct {
	const char *key;      /* relpath after `under` */
	const char *relpath;
	char        sha256[CUSTOS_SHA256_HEX];
	int64_t     size;
} custos_media_file_t;
typedef struct custos_media_index custos_media_index_t;
int  custos_media_index__build(custos_media_index_t **out, custos_tree_t *t, const char *under,
                               const custos_import_sink_t *sink, custos_err_t *err);
/* The entry with this exact key, or NULL. */
const custos_media_file_t *custos_media_index__find(const custos_media_index_t *mi,
                                                    const char *key);
/* Entries whose key starts with prefix (sorted by key): *first and count. */
size_t custos_media_index__prefix(const custos_media_index_t *mi, const char *prefix,
                                  const custos_media_file_t **first);
void custos_media_index__free(custos_media_index_t *mi);

/* A format. detect looks at the tree (relpath NULL: is the tree, from its
 * root, one export of this format?) or one file (relpath and its first
 * bytes) and returns a confidence 0..100. run imports what the format
 * finds: the whole tree when relpath is NULL, else that file. why_not (may
 * be NULL) says why a file of an export of this format that run never
 * opened was not imported ("the account's likes: not imported"); it writes
 * nothing to leave the dispatcher's general reason. */
typedef struct {
	const char *name;
	int (*detect)(custos_tree_t *t, const char *relpath, const char *head, size_t n);
	int (*run)(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
	           custos_err_t *err);
	void (*why_not)(const char *relpath, char *why, size_t cap);
} custos_importer_t;

extern const custos_importer_t custos_import__ndjson;
extern const custos_importer_t custos_import__x_archive;
extern const custos_importer_t custos_import__twitter_api;
extern const custos_importer_t custos_import__mastodon;
extern const custos_importer_t custos_import__mastodon_api;
extern const custos_importer_t custos_import__facebook;
extern const custos_importer_t custos_import__slack;
extern const custos_importer_t custos_import__linkedin;
extern const custos_importer_t custos_import__feed;

#endif
