/* custos common code: status codes, byte buffers, hashing, time, and the
 * canonical record model that every part of custos speaks. */
#ifndef CUSTOS_COMMON_H
#define CUSTOS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Status codes. Every library function that can fail returns one of these
 * (0 on success, a negative CUSTOS_E* on failure). Each dependency's own
 * errors are translated where it is called; the detail goes into a
 * custos_err_t kept by the caller's handle.
 */
typedef enum {
	CUSTOS_OK        =  0,
	CUSTOS_ENOMEM    = -1,  /* out of memory */
	CUSTOS_EIO       = -2,  /* read, write, fsync, rename or mkdir failed */
	CUSTOS_EINVAL    = -3,  /* bad argument or usage */
	CUSTOS_ENOTFOUND = -4,  /* no such record, file, hold, rule, ... */
	CUSTOS_EEXISTS   = -5,  /* already there (archive, hold name, ...) */
	CUSTOS_EFORMAT   = -6,  /* malformed input (JSON, YAML, CSV, XML, query) */
	CUSTOS_ECORRUPT  = -7,  /* stored data fails its hash or structure checks */
	CUSTOS_EVERSION  = -8,  /* archive written by a newer custos */
	CUSTOS_ENOTARCHIVE = -9,/* directory is not a custos archive */
	CUSTOS_EBUSY     = -10, /* another process holds the writer lock */
	CUSTOS_EINDEX    = -11, /* the search index failed or is missing */
	CUSTOS_EHELD     = -12, /* refused: a legal hold covers it */
	CUSTOS_EPOLICY   = -13, /* the policy repository failed or refused */
	CUSTOS_ELAG      = -14, /* refused: the index lags the store */
	CUSTOS_EACCESS   = -15, /* permission denied */
	CUSTOS_ETOOBIG   = -16, /* input over a hard limit */
	CUSTOS_EINTERNAL = -17, /* a bug or an unexpected library failure */
	CUSTOS_ENOSPC    = -18, /* the disk (or quota) is full */
	CUSTOS_EDENIED   = -19, /* the session's role may not do this */
	CUSTOS_ESTOPPED  = -20, /* the archive is closing: the work was not started */
	CUSTOS_ECANCELED = -21  /* the caller cancelled long work (an export) */
} custos_status_t;

/* A short lower-case phrase for a status ("record not found"); static storage. */
const char *custos_status_str(int status);
/* A stable one-word name for a status, for scripts ("notfound", "format",
 * "held"; "ok" for CUSTOS_OK): what a face's JSON error carries. Static. */
const char *custos_status_name(int status);

/* The detail of the last failure: a status and a message saying what failed
 * first and why ("cannot open 'x.ndjson': No such file or directory").
 * Handles embed one; functions that take a custos_err_t * fill it on failure. */
typedef struct {
	int status;
	char msg[1024];
} custos_err_t;

/* Sets err (NULL-safe) and returns status, so `return custos_err_set(...)` works. */
int custos_err_set(custos_err_t *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes the message already in err with "<prefix>: ". Returns err->status. */
int custos_err_prefix(custos_err_t *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void custos_err_clear(custos_err_t *err);

/* ---------------------------------------------------------------------------
 * Growable byte buffer. Always NUL-terminated after len (not counted), so
 * text built in it can be used as a C string. A zeroed struct is empty.
 */
typedef struct {
	char  *data;
	size_t len;
	size_t cap;
} custos_buf_t;

int  custos_buf_reserve(custos_buf_t *b, size_t extra);
int  custos_buf_add(custos_buf_t *b, const void *p, size_t n);
int  custos_buf_adds(custos_buf_t *b, const char *s);
int  custos_buf_addc(custos_buf_t *b, char c);
int  custos_buf_printf(custos_buf_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The first byte at or after p that a JSON string cannot hold as it is
 * ('"', '\\' or a control character), end when there is none. */
const char *custos_json_plain(const char *p, const char *end);
/* Appends s as a JSON string literal (quotes included), escaping only what
 * JSON requires; s must be valid UTF-8 of length n. */
int  custos_buf_add_json_str(custos_buf_t *b, const char *s, size_t n);
void custos_buf_clear(custos_buf_t *b);   /* len = 0, keeps memory */
void custos_buf_free(custos_buf_t *b);    /* releases memory, NULL-safe */

/* ---------------------------------------------------------------------------
 * Arena: many small allocations freed together. Records use one so that a
 * whole record is released (or reset for reuse) in one call.
 */
typedef struct custos_arena_block custos_arena_block_t;
typedef struct {
	custos_arena_block_t *head;
} custos_arena_t;

void *custos_arena_alloc(custos_arena_t *a, size_t n);      /* 8-aligned, NULL on OOM */
char *custos_arena_strndup(custos_arena_t *a, const char *s, size_t n);
char *custos_arena_strdup(custos_arena_t *a, const char *s); /* NULL in, NULL out */
void  custos_arena_reset(custos_arena_t *a);  /* frees all but the first block */
void  custos_arena_free(custos_arena_t *a);

/* ---------------------------------------------------------------------------
 * Hashing (SHA-256) and hex.
 */
#define CUSTOS_SHA256_LEN 32
#define CUSTOS_SHA256_HEX 65   /* 64 hex digits and NUL */

void custos_sha256(uint8_t out[CUSTOS_SHA256_LEN], const void *p, size_t n);
typedef struct { uint8_t opaque[128] __attribute__((aligned(16))); } custos_sha256_ctx_t;
void custos_sha256_init(custos_sha256_ctx_t *c);
void custos_sha256_update(custos_sha256_ctx_t *c, const void *p, size_t n);
void custos_sha256_final(custos_sha256_ctx_t *c, uint8_t out[CUSTOS_SHA256_LEN]);
void custos_hex(char *out, const uint8_t *p, size_t n);   /* out holds 2n+1 */
int  custos_unhex(uint8_t *out, const char *hex, size_t n); /* n bytes; CUSTOS_EFORMAT */

/* For crash tests: when the environment has CUSTOS_TEST_PAUSE_AT=name, the
 * calling thread creates the file CUSTOS_TEST_PAUSE_FILE (when set) and
 * waits there forever, for the test to kill the process at exactly this
 * step. A no-op otherwise. */
void custos_test_point(const char *name);

/* Must be called once before any hashing or randomness (libsodium init),
 * before other threads start. It also adds 077 to the process umask, for
 * good: the policy repository's and the index's files are created by
 * libgit2 and Xapian with the umask, and nothing of an archive may be
 * readable by other users (so files the program writes elsewhere, exports
 * included, are private too; chmod them to share). */
int custos_global_init(void);

/* ---------------------------------------------------------------------------
 * Time. custos keeps instants as milliseconds since the Unix epoch (UTC).
 */
#define CUSTOS_TIME_NONE INT64_MIN

/* The instants custos keeps: those custos_time_format writes as a time
 * custos_time_parse reads back, 0000-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999Z (four-digit years, UTC). */
#define CUSTOS_TIME_MIN (-62167219200000LL)
#define CUSTOS_TIME_MAX 253402300799999LL
static inline bool custos_time_in_range(int64_t ms)
{
	return ms >= CUSTOS_TIME_MIN && ms <= CUSTOS_TIME_MAX;
}

/* Parses RFC 3339 / ISO 8601 ("2021-05-18T19:24:56.000Z", "+02:00" offsets,
 * "2021-05-18 19:24:56", a bare date = midnight UTC) and the classic X format
 * "Wed Oct 10 20:19:24 +0000 2018" and RFC 822 dates ("Tue, 10 Jun 2003
 * 04:00:00 GMT"). Returns CUSTOS_EFORMAT if none fits, and CUSTOS_ETOOBIG
 * for a time that its offset puts outside CUSTOS_TIME_MIN..MAX
 * ("9999-12-31T23:59:59-00:01" is 10000-01-01 in UTC): *out_ms then holds
 * that instant all the same, so that an importer can keep it for
 * custos_record_validate to refuse by name. Every other caller treats any
 * status below 0 as "not a time". */
int custos_time_parse(int64_t *out_ms, const char *s, size_t n);
/* The instant n units of unit_ms after the epoch, plus extra_ms: epoch
 * numbers in exports (seconds: unit_ms 1000; milliseconds: 1). Checked
 * without overflow; CUSTOS_ETOOBIG, *out_ms unchanged, when outside
 * CUSTOS_TIME_MIN..MAX. */
int custos_time_from_epoch(int64_t *out_ms, int64_t n, int64_t unit_ms, int64_t extra_ms);
/* Formats as RFC 3339 UTC, "2021-05-18T19:24:56Z", with ".123" when the
 * milliseconds are not zero. out holds at least 32 bytes. */
void custos_time_format(char *out, size_t cap, int64_t ms);
int64_t custos_time_now(void);

/* Calendar arithmetic, proleptic Gregorian, UTC: the days since 1970-01-01
 * of a date (m 1..12, d 1..31), its inverse, and the length of a month. */
int64_t  custos_time_days_from_civil(int64_t y, unsigned m, unsigned d);
void     custos_time_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
unsigned custos_time_days_in_month(int64_t y, unsigned m);

/* ---------------------------------------------------------------------------
 * The canonical record: one captured item, normalized. docs/record-format.md
 * is its specification. Every string is UTF-8 and NUL-terminated; a NULL
 * string is an absent field. All memory belongs to the record's arena, but
 * for the two exceptions their functions state: custos_record_copy_into
 * (another arena) and custos_record_from_json_utf8 (raw is the input).
 */
typedef struct {
	char   **v;
	size_t   n;
} custos_strv_t;

typedef struct {
	char    *sha256;      /* hex, when the bytes were captured; else NULL */
	char    *type;        /* MIME type or kind ("image/jpeg", "photo", "video") */
	int64_t  size;        /* bytes; -1 when unknown */
	char    *name;        /* file name in the export */
	char    *url;         /* where it was referenced, when only referenced */
} custos_media_t;

typedef struct {
	char    *format;      /* importer name: "ndjson", "x-archive", ... or "connector" */
	char    *file;        /* path of the input (inside a zip: "a.zip!/data/tweets.js") */
	char    *file_sha256; /* hex of the whole input file, when known */
	int64_t  offset;      /* byte offset of the item in the file; -1 when unknown */
	int64_t  line;        /* 1-based line; -1 when unknown */
	char    *connector;   /* connector name for pushed records */
} custos_source_t;

typedef struct {
	/* identity */
	char    *id;          /* "<platform>:<native id>" */
	uint32_t version;     /* 1-based, assigned by the store; 0 before storing */
	uint64_t seq;         /* store sequence number; 0 before storing */
	char    *platform;    /* x, mastodon, facebook, slack, linkedin, feed, or other */
	char    *account;     /* the captured account or channel */
	char    *custodian;   /* whose collection brought it (a person or team, set at
	                         ingest; not the platform account), or NULL */
	char    *kind;        /* post, reply, repost, quote, comment, message, event */
	char    *subtype;     /* finer event type ("channel_join", "bot_message"), or NULL */
	/* author */
	char    *author_id;
	char    *author_handle;
	char    *author_name;
	/* time and links */
	int64_t  created_at;  /* ms UTC; required (0 when undated) */
	bool     undated;     /* the source gives no time: created_at is 0, a placeholder,
	                         and retention counts from captured_at */
	char    *in_reply_to; /* record id of the parent */
	char    *thread;      /* record id of the thread root */
	char    *repost_of;   /* record id shared by a repost/boost */
	char    *quote_of;    /* record id quoted */
	char    *target;      /* record id a like or a notice is about (the liked post, the
	                         post a delete notice names), or NULL */
	char    *url;         /* permalink of the item on its platform */
	/* content */
	char    *title;       /* feed items, link titles */
	char    *text;        /* plain text */
	char    *lang;        /* BCP 47 tag as given, or NULL */
	custos_strv_t hashtags;  /* without '#', as written */
	custos_strv_t mentions;  /* handles without '@' */
	custos_strv_t cashtags;  /* without '$' */
	custos_strv_t urls;      /* expanded where known */
	custos_media_t *media;
	size_t   n_media;
	char    *visibility;  /* public, unlisted, private, direct, ... */
	char    *content_warning;
	int64_t  edited_at;   /* upstream edit time, or CUSTOS_TIME_NONE */
	int64_t  deleted_at;  /* upstream deletion time, or CUSTOS_TIME_NONE */
	/* capture */
	custos_source_t source;
	int64_t  captured_at; /* when custos took it; set by the ingest if NONE */
	/* verbatim original bytes of the capture (not NUL-terminated) */
	const char *raw;
	size_t   raw_len;
	/* content hash, hex; computed by custos_record_hash */
	char     content_sha256[CUSTOS_SHA256_HEX];

	custos_arena_t arena;
} custos_record_t;

/* A zeroed record with every time field set to CUSTOS_TIME_NONE and
 * offsets/lines -1. Call before first use. */
void custos_record_init(custos_record_t *r);
/* Forgets every field and resets the arena, ready for the next record. */
void custos_record_reset(custos_record_t *r);
void custos_record_free(custos_record_t *r);   /* NULL-safe */

/* Arena helpers for importers. Each copies its input into the record's arena. */
int custos_record_set(custos_record_t *r, char **field, const char *s, size_t n);
int custos_record_sets(custos_record_t *r, char **field, const char *s); /* NULL ok */
int custos_record_strv_add(custos_record_t *r, custos_strv_t *v, const char *s, size_t n);
/* Adds a zeroed media entry (size -1) and returns it, NULL on OOM. */
custos_media_t *custos_record_media_add(custos_record_t *r);
int custos_record_set_raw(custos_record_t *r, const char *p, size_t n);

/* Makes dst a deep copy of src (dst must be initialised; it is reset
 * first). Everything is copied into dst's arena, raw bytes included. */
int custos_record_copy(custos_record_t *dst, const custos_record_t *src);
/* The same, with dst's strings, lists and raw bytes allocated from arena
 * (one shared by many records, reset by its owner once they are all done
 * with) rather than dst's own: dst's own arena is only reset. */
int custos_record_copy_into(custos_record_t *dst, const custos_record_t *src,
                            custos_arena_t *arena);

/* Checks that the required fields are present and well-formed (id prefixed by
 * "<platform>:", created_at set, author handle, text non-NULL, known kind). */
int custos_record_validate(const custos_record_t *r, custos_err_t *err);

/* Fills what can be derived: hashtags, mentions, cashtags and urls from the
 * text when the lists are empty; kind "post" or "reply" when absent; thread
 * defaults to in_reply_to's thread only when the importer knows it (not here). */
int custos_record_derive(custos_record_t *r);

/* Serializes the record as canonical JSON: a fixed key order, no
 * whitespace, absent fields left out. With CUSTOS_JSON_CONTENT only the
 * fields the content hash covers are written; with CUSTOS_JSON_FULL also
 * version, seq, content_sha256, source and captured_at (raw is never written
 * here; see custos_record_to_json_raw). */
enum {
	CUSTOS_JSON_CONTENT = 0,
	CUSTOS_JSON_FULL = 1,
	/* FULL without version, seq and content_sha256: what the store keeps,
	 * since its header and key hold those and the hash is recomputed on
	 * every read (64 random hex digits do not compress) */
	CUSTOS_JSON_STORE = 2
};
int custos_record_to_json(const custos_record_t *r, int what, custos_buf_t *out);
/* Appends the CUSTOS_JSON_FULL form of r to out given its CUSTOS_JSON_STORE
 * form (store, n bytes, as custos_record_to_json wrote it for r): the same
 * bytes, without serializing r again. CUSTOS_EINVAL when store is not an
 * object; CUSTOS_ENOMEM. */
int custos_record_to_json_full_from(const custos_record_t *r, const char *store, size_t n,
                                    custos_buf_t *out);

/* Appends the CUSTOS_JSON_STORE form to out and computes, in the same pass,
 * the content hash (the SHA-256 of the CUSTOS_JSON_CONTENT form, which is
 * the store form cut before captured_at and closed). */
int custos_record_to_json_hashed(const custos_record_t *r, custos_buf_t *out,
                                 uint8_t content[CUSTOS_SHA256_LEN]);
/* The same, but for the record store: with file_ref not 0 and source.file
 * set, source.file and source.file_sha256 are written as "file_ref":
 * file_ref, the number of the store's entry holding the two (docs/storage.md,
 * "Source files by reference"); the content hash is the same either way. */
int custos_record_to_json_stored(const custos_record_t *r, custos_buf_t *out,
                                 uint8_t content[CUSTOS_SHA256_LEN], uint32_t file_ref);

/* Computes content_sha256: SHA-256 of the CUSTOS_JSON_CONTENT form. */
int custos_record_hash(custos_record_t *r);

/* Parses one canonical record (the ndjson connector format) from a JSON
 * text. The record's raw bytes are set to the input. On failure err says what
 * is wrong, with the byte position inside the text. */
int custos_record_from_json(custos_record_t *r, const char *json, size_t n, custos_err_t *err);
/* The same for a text its caller has checked as UTF-8 already (an
 * importer does, to quarantine a bad line with the file's byte offset):
 * not checked again, and the raw bytes are json itself, not a copy, so json
 * must stay as it is while r is used (a sink that keeps the record copies
 * it, custos_record_copy). */
int custos_record_from_json_utf8(custos_record_t *r, const char *json, size_t n,
                                 custos_err_t *err);
/* custos_record_from_json for the record store's normalized form, which may
 * name its source file by reference: *file_ref is the reference (1 and up;
 * 0 when the record has none), which the store turns back into source.file
 * and source.file_sha256. Elsewhere "file_ref" is an unknown field, skipped. */
int custos_record_from_json_stored(custos_record_t *r, const char *json, size_t n,
                                   uint32_t *file_ref, custos_err_t *err);

/* ---------------------------------------------------------------------------
 * Entity extraction from plain text, following the twitter-text rules and
 * its conformance cases (extract.yml): #hashtags (Unicode letters, marks,
 * digits, not all digits), @mentions (1-20 of [A-Za-z0-9_], "@user/list"
 * lists), $cashtags (1-6 letters, optional ".x"/"_xx" suffix) and URLs (with
 * or without protocol; without one only on a known TLD). An entity that
 * overlaps an earlier one is left out (the hashtag in "x.com/#tag").
 *
 * custos_extract_entities appends what text holds to the record's lists:
 * hashtags, mentions and cashtags without their sign (a list "@user/list"
 * adds "user"), URLs as written; an entry already in the list is skipped
 * (hashtags, mentions and cashtags compared ignoring case by Unicode's
 * simple case mappings, URLs exactly since their paths are case-sensitive).
 * CUSTOS_ENOMEM or CUSTOS_EINVAL (NULL argument). */
int custos_extract_entities(custos_record_t *r, const char *text);

/* Lower-level extraction: calls fn for each entity of the NUL-terminated
 * UTF-8 text, in text order, with kind one of the CUSTOS_ENTITY_* values and
 * the BYTE offsets [start, end) of the entity in text. For hashtags, mentions
 * and cashtags the range INCLUDES the sign ('#', U+FF03 '＃', '@', U+FF20
 * '＠', '$'; the full-width ones are 3 bytes, recognisable by a first byte
 * 0xEF): callers strip it. A mention range can cover a list, "@user/list".
 * A non-zero return from fn stops the extraction and is returned; otherwise
 * CUSTOS_OK, or CUSTOS_EINVAL for a NULL text or fn. Allocation-free and
 * linear in the text; invalid UTF-8 bytes are never part of an entity. */
enum { CUSTOS_ENTITY_HASHTAG, CUSTOS_ENTITY_MENTION, CUSTOS_ENTITY_CASHTAG, CUSTOS_ENTITY_URL };
typedef int (*custos_entity_fn)(int kind, const char *text, size_t start, size_t end, void *ctx);
int custos_extract(const char *text, custos_entity_fn fn, void *ctx);

/* The reply target of a text that starts (after spaces) with a mention, as
 * twitter-text's extractReplies: true and its byte offsets, sign included,
 * in *out_start and *out_end; false if none. */
bool custos_extract_reply(const char *text, size_t *out_start, size_t *out_end);

/* Strict UTF-8 validation (RFC 3629): returns the byte offset of the first
 * invalid sequence, or n when all of p[0..n) is valid. Overlong forms,
 * surrogates (U+D800..U+DFFF), code points above U+10FFFF, stray
 * continuation bytes and a sequence cut short by the end of p are invalid;
 * NUL is valid. Runs of ASCII are checked 8 bytes at a time. */
size_t custos_utf8_check(const char *p, size_t n);

/* ---------------------------------------------------------------------------
 * Text people type (common/text.c). An actor, a hold's reason or query, a
 * commit message reach git commits, hold files, the audit chain and
 * terminals: each is checked once, here, and refused with the reason (which
 * never repeats the bytes refused).
 */
/* Control characters as custos refuses and escapes them: C0, DEL, C1, the
 * Unicode line and paragraph separators, and the bidi embeddings,
 * overrides and isolates (which reorder what a terminal shows). */
bool custos_text_is_control(unsigned cp);

enum {
	CUSTOS_TEXT_LINES = 1 << 0,   /* newlines and tabs are allowed */
	CUSTOS_TEXT_EMPTY = 1 << 1    /* "" is allowed */
};
/* Checks that s (NUL-terminated) is valid UTF-8 of at most max bytes
 * without control characters (see flags). CUSTOS_EINVAL otherwise, with
 * err saying what ("reason is not valid UTF-8 (byte 7)"), what names the
 * field. */
int custos_text_check(const char *what, const char *s, size_t max, unsigned flags,
                      custos_err_t *err);

/* An actor: the person a command acts for (--actor, CUSTOS_ACTOR). Either a
 * name ("Jane Doe", "J. Doe (legal)") or a name and an email ("Jane Doe
 * <jane@acme.com>"). Spaces around it are dropped, and the email form is
 * rewritten with one space before '<'. Refused (CUSTOS_EINVAL): empty,
 * over CUSTOS_ACTOR_MAX bytes, not UTF-8, a control character, '<' or '>'
 * anywhere but around a final email, an email without local@domain. */
#define CUSTOS_ACTOR_MAX 200
typedef struct {
	char text[CUSTOS_ACTOR_MAX + 1];    /* the normalized whole, as audited */
	char name[CUSTOS_ACTOR_MAX + 1];    /* "Jane Doe" */
	char email[CUSTOS_ACTOR_MAX + 1];   /* "jane@acme.com", "" when none given */
} custos_actor_t;
int custos_actor_parse(custos_actor_t *out, const char *s, custos_err_t *err);

/* ---------------------------------------------------------------------------
 * CSV (common/csv.c): the one writer of every --csv output. A field is
 * written as RFC 4180 has it, quoted only when it must be (a comma, a double
 * quote, CR or LF, a space at either end), with quotes doubled and line
 * breaks kept inside the quotes. A field that starts with '=', '+', '-', '@',
 * a tab or CR, which spreadsheets run as a formula, gets an apostrophe in
 * front ("'=1+1", quoted): a spreadsheet shows the text. So does a field
 * that starts with an apostrophe, so that a script reading the file gets the
 * text back exactly by dropping one leading apostrophe from every field that
 * has one.
 * Rows end with "\n". NULL is an empty field. CUSTOS_ENOMEM or CUSTOS_OK.
 */
int custos_csv_field(custos_buf_t *b, const char *s);
int custos_csv_fieldn(custos_buf_t *b, const char *s, size_t n);
/* Appends the n fields and the end of the row. */
int custos_csv_row(custos_buf_t *b, const char *const *fields, size_t n);

/* Appends s for a terminal: control characters (custos_text_is_control)
 * become \xNN or \uNNNN and bytes that are not UTF-8 \xNN; the rest is
 * copied. For any text shown to a person that custos did not check itself
 * (older audit entries, commits made outside custos, file names). */
int custos_buf_add_printable(custos_buf_t *b, const char *s, size_t n);
/* The same for text that reads as lines (a record's text, a reason): its
 * newlines and tabs are kept, each newline followed by indent (NULL or ""
 * for none), so that a text set under a heading stays under it. */
int custos_buf_add_printable_lines(custos_buf_t *b, const char *s, size_t n,
                                   const char *indent);
/* custos_buf_printf for output that people read and archive data fills:
 * every %s argument is escaped as custos_buf_add_printable has it (newlines
 * and tabs too, so a field cannot forge a line of the layout), fmt's own
 * text is not. A precision cuts a %s at a character boundary before it is
 * escaped; a width pads the escaped text (counted in bytes). Other
 * conversions are printf's; %n is refused (CUSTOS_EINVAL, with what came
 * before it appended). CUSTOS_OK, CUSTOS_ENOMEM or CUSTOS_EINVAL. */
int custos_buf_printf_printable(custos_buf_t *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int custos_buf_vprintf_printable(custos_buf_t *b, const char *fmt, va_list ap);
/* custos_buf_add_json_str for text that may not be UTF-8 (a path, an
 * argument being refused): each byte that is not becomes U+FFFD, so the
 * JSON stays valid. */
int custos_buf_add_json_text(custos_buf_t *b, const char *s, size_t n);

/* ---------------------------------------------------------------------------
 * Code points and HTML character references (common/html.c).
 */
/* Writes cp as UTF-8 into out and returns its length (1 to 4); NUL, a
 * surrogate or a value past U+10FFFF is written as U+FFFD. */
size_t custos_utf8_put(char out[4], unsigned long cp);
int    custos_buf_add_cp(custos_buf_t *b, unsigned long cp);
/* Only &amp; &lt; &gt;: all X and Slack escape in their text, so anything
 * else that looks like a reference there is what the author wrote. */
#define CUSTOS_HTML_ESCAPES 1u
/* The character reference at s (at most n bytes: "&amp;", "&#233;",
 * "&#xE9;", a numeric one without its ';' as HTML reads it): its length,
 * and its code point in *cp; 0 when s does not start one. */
size_t custos_html_ref(const char *s, size_t n, unsigned flags, unsigned long *cp);
/* Appends s with its character references decoded; an '&' that starts
 * none is kept. */
int    custos_html_unescape(custos_buf_t *b, const char *s, size_t n, unsigned flags);

#ifdef __cplusplus
}
#endif
#endif
