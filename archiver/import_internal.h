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
	 * read has returned 0. */
	custos_sha256_ctx_t sha;
	int64_t     consumed;
};

/* An export root: a folder, a .zip, or a single file (a tree of one). */
typedef struct custos_tree custos_tree_t;

/* Opens relpath inside the tree; CUSTOS_ENOTFOUND when absent. Close with
 * custos_input__close (NULL-safe). */
int  custos_tree__open(custos_tree_t *t, const char *relpath, custos_input_t **out,
                       custos_err_t *err);
void custos_input__close(custos_input_t *in);
/* Calls fn for each regular file in the tree, in a stable order. */
int  custos_tree__each(custos_tree_t *t, int (*fn)(void *ctx, const char *relpath, int64_t size),
                       void *ctx);
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

/* Streaming scan of a JSON document for the elements of arrays: the
 * elements are handed over as raw bytes, exactly as in the file, with their
 * byte offset and line. Handles a JS prefix ("window.YTD.tweets.part0 = ").
 * path selects the array: "" the top-level array, "orderedItems" the array
 * under that key of the top-level object. A key that occurs twice at the top
 * level: the last one wins, and dup_keys counts the others. */
typedef struct custos_jsonscan custos_jsonscan_t;
int  custos_jsonscan__open(custos_jsonscan_t **out, custos_input_t *in, const char *path);
/* Returns 1 with an element, 0 at the end, negative on error (err names the
 * byte offset). *elem is valid until the next call. */
int  custos_jsonscan__next(custos_jsonscan_t *js, const char **elem, size_t *n,
                           int64_t *offset, int64_t *line, custos_err_t *err);
unsigned custos_jsonscan__dup_keys(const custos_jsonscan_t *js);
void custos_jsonscan__free(custos_jsonscan_t *js);

/* A format. detect looks at the tree (relpath NULL) or one file (relpath
 * and its first bytes) and returns a confidence 0..100. run imports what
 * the format finds: the whole tree when relpath is NULL, else that file. */
typedef struct {
	const char *name;
	int (*detect)(custos_tree_t *t, const char *relpath, const char *head, size_t n);
	int (*run)(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
	           custos_err_t *err);
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
