/* The linkedin importer: a LinkedIn data export's Shares.csv (own posts) and
 * Comments.csv (own comments), read with a streaming CSV parser that copes
 * with LinkedIn's broken quoting (see csv_row and unwrap_lines). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "import_internal.h"

#define MAX_ROW (16u << 20)   /* one CSV row; a longer one is an error */
#define N_COLS  8

/* Streaming CSV reader over an input. Rows are parsed from buf[pos..len);
 * when a row runs past the buffered bytes, more are read and the row is
 * parsed again from its start (rows are small; MAX_ROW bounds the cost). */
typedef struct {
	custos_input_t *in;
	char   *buf;
	size_t  len, pos, cap;
	int     eof;
	int64_t base;         /* file offset of buf[0] */
	int64_t lineno;       /* line number of buf[pos] */
	custos_buf_t field[N_COLS + 1]; /* decoded fields; the last catches extras */
	int     quoted[N_COLS + 1];
	size_t  nf;
	/* the row just parsed */
	const char *raw;
	size_t  raw_len;
	int64_t offset, line;
	char    term[2];          /* the row's line end: "\n", "\r\n", "\r" or none */
	size_t  term_len;
	int     oom;
} csv_t;

static int csv_fill(csv_t *c, custos_err_t *err)
{
	if (c->pos > 0) {          /* drop consumed bytes */
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->base += (int64_t)c->pos;
		c->pos = 0;
	}
	if (c->len == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 65536;
		if (c->cap >= MAX_ROW + 1)
			return custos_err_set(err, CUSTOS_ETOOBIG, "%s: line %lld: CSV row over %u bytes",
			                      c->in->name, (long long)c->lineno, MAX_ROW);
		char *nb = realloc(c->buf, ncap + 1);
		if (!nb)
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		c->buf = nb;
		c->cap = ncap;
	}
	ssize_t got = c->in->read(c->in, c->buf + c->len, c->cap - c->len);
	if (got < 0) {
		*err = c->in->err;
		if (!err->status)
			custos_err_set(err, CUSTOS_EIO, "cannot read '%s'", c->in->name);
		return err->status;
	}
	if (got == 0)
		c->eof = 1;
	c->len += (size_t)got;
	return 0;
}

/* Parses one row starting at buf[pos]. Returns 1 for a row, 0 when more
 * bytes are needed (or at the end when nothing is left), -1 for a quoted
 * field left open at the end of the file.
 *
 * The quoting rule: RFC 4180 (fields may be wrapped in double quotes; inside
 * them a doubled quote "" is one quote and commas and line breaks are data),
 * plus LinkedIn's own escape in Comments.csv: inside a quoted field a
 * backslash followed by a quote (\") is one literal quote and does not end
 * the field (Comments.csv writes `"... \"Fact check each statement.\""`).
 * Bytes after a closing quote and before the next comma are kept as data,
 * as Python's csv module does. A backslash before anything else is data. */
static int csv_row(csv_t *c)
{
	const char *p = c->buf + c->pos, *end = c->buf + c->len;
	size_t nf = 0;
	int64_t lines = 0;
	for (size_t i = 0; i <= N_COLS; i++) {
		custos_buf_clear(&c->field[i]);
		c->quoted[i] = 0;
	}
	if (p == end)
		return 0;
	for (;;) {
		custos_buf_t *f = &c->field[nf < N_COLS ? nf : N_COLS];
		int in_q = 0;
		if (p < end && *p == '"') {
			in_q = 1;
			c->quoted[nf < N_COLS ? nf : N_COLS] = 1;
			p++;
		}
		for (;;) {
			if (p == end) {
				if (!c->eof)
					return 0;
				if (in_q)
					return -1;
				goto row_end;
			}
			/* a run of ordinary bytes in one go */
			const char *q = p;
			if (in_q)
				while (q < end && *q != '"' && *q != '\\' && *q != '\n')
					q++;
			else
				while (q < end && *q != ',' && *q != '\n' && *q != '\r')
					q++;
			if (q > p) {
				c->oom |= custos_buf_add(f, p, (size_t)(q - p)) < 0;
				p = q;
				continue;
			}
			char ch = *p;
			if (in_q) {
				if (ch == '\\' && p + 1 < end && p[1] == '"') {
					c->oom |= custos_buf_addc(f, '"') < 0;
					p += 2;
					continue;
				}
				if (ch == '\\' && p + 1 == end && !c->eof)
					return 0;
				if (ch == '"') {
					if (p + 1 == end && !c->eof)
						return 0;
					if (p + 1 < end && p[1] == '"') {
						c->oom |= custos_buf_addc(f, '"') < 0;
						p += 2;
						continue;
					}
					in_q = 0;
					p++;
					continue;
				}
				if (ch == '\n')
					lines++;
				c->oom |= custos_buf_addc(f, ch) < 0;
				p++;
				continue;
			}
			if (ch == ',') {
				p++;
				nf++;
				break;
			}
			if (ch == '\n' || ch == '\r') {
				if (ch == '\r') {
					if (p + 1 == end && !c->eof)
						return 0;
					if (p + 1 < end && p[1] == '\n') {
						c->raw_len = (size_t)(p - (c->buf + c->pos));
						memcpy(c->term, "\r\n", 2);
						c->term_len = 2;
						p += 2;
						goto row_done;
					}
				}
				c->raw_len = (size_t)(p - (c->buf + c->pos));
				c->term[0] = ch;
				c->term_len = 1;
				p++;
				goto row_done;
			}
			c->oom |= custos_buf_addc(f, ch) < 0;
			p++;
		}
	}
row_end:
	c->raw_len = (size_t)(p - (c->buf + c->pos));
	c->term_len = 0;
row_done:
	c->nf = nf + 1;
	c->raw = c->buf + c->pos;
	c->offset = c->base + (int64_t)c->pos;
	c->line = c->lineno;
	c->lineno += lines + 1;
	c->pos = (size_t)(p - c->buf);
	return 1;
}

/* 1 with a row, 0 at the end, UNTERMINATED for a quoted field left open
 * at the end of the file (the row's position and bytes are set), a
 * negative status on failure. */
enum { UNTERMINATED = 2 };

static int csv_next(csv_t *c, custos_err_t *err)
{
	int rc;
	for (;;) {
		rc = csv_row(c);
		if (c->oom)
			return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
		if (rc == 1)
			return 1;
		if (rc < 0) {
			c->raw = c->buf + c->pos;
			c->raw_len = c->len - c->pos;
			c->offset = c->base + (int64_t)c->pos;
			c->line = c->lineno;
			c->pos = c->len;
			return UNTERMINATED;
		}
		if (c->eof)
			return 0;
		int st = csv_fill(c, err);
		if (st < 0)
			return st;
	}
}

static void csv_free(csv_t *c)
{
	free(c->buf);
	for (size_t i = 0; i <= N_COLS; i++)
		custos_buf_free(&c->field[i]);
}

/* LinkedIn writes a multi-line ShareCommentary with every line wrapped in
 * literal quotes: the lines are joined with `"` LF `"` and then the whole is
 * quoted RFC-4180-style, so the file holds `first line""\n""second""\n""last`.
 * When every LF in a decoded quoted field has a quote right before and right
 * after it, those quotes are LinkedIn's, not the author's, and are dropped.
 * A field with any other LF is left as it is (Comments.csv does not wrap). */
static void unwrap_lines(custos_buf_t *f)
{
	size_t nl = 0, wrapped = 0;
	for (size_t i = 0; i < f->len; i++) {
		if (f->data[i] != '\n')
			continue;
		nl++;
		if (i > 0 && i + 1 < f->len && f->data[i - 1] == '"' && f->data[i + 1] == '"')
			wrapped++;
	}
	if (nl == 0 || wrapped != nl)
		return;
	size_t o = 0;
	for (size_t i = 0; i < f->len; i++) {
		if (f->data[i] == '"' && i + 1 < f->len && f->data[i + 1] == '\n')
			continue;   /* the quote before an LF */
		if (f->data[i] == '"' && i > 0 && f->data[i - 1] == '\n')
			continue;   /* the quote after an LF */
		f->data[o++] = f->data[i];
	}
	f->len = o;
	f->data[o] = 0;
}

/* The numeric id in a LinkedIn URL: ".../urn%3Ali%3Ashare%3A7345821826846990338"
 * or "urn:li:activity:7348931489259999233" gives the digits after the last
 * ':' (or %3A). Returns the length (0 when there is none). */
static size_t urn_id(const char *url, const char **out)
{
	const char *u = strstr(url, "urn%3Ali%3A");
	if (!u)
		u = strstr(url, "urn:li:");
	if (!u)
		return 0;
	const char *last = NULL;
	for (const char *p = u; *p; p++) {
		if (*p == ':')
			last = p + 1;
		else if (p[0] == '%' && p[1] == '3' && (p[2] == 'A' || p[2] == 'a'))
			last = p + 3;
		else if (*p == '?' || *p == '/' || *p == '&' || *p == '#')
			break;
	}
	if (!last)
		return 0;
	size_t n = 0;
	while (last[n] >= '0' && last[n] <= '9')
		n++;
	*out = last;
	return n;
}

/* The stable id of an item with no native one (custos_import__derived_id):
 * the time, then the first 16 bytes of SHA-256 over the decimal created_at
 * in ms, a NUL, for a comment the post it is on (what Link names, as
 * "linkedin:<number>", else Link as written) and a NUL, then the text. Two
 * comments of one time and text on two posts are two comments (before
 * 2026-12 the post was left out, and they were one record). The account is
 * left out on purpose: it comes from Profile.csv when the export has one,
 * and Comments.csv imported alone must give the same ids. docs/importers.md
 * states the same recipe. */
static int derived_id(custos_record_t *r, const char *post)
{
	custos_sha256_ctx_t c;
	uint8_t h[CUSTOS_SHA256_LEN];
	char num[32];
	int n = snprintf(num, sizeof num, "%lld", (long long)r->created_at);
	custos_sha256_init(&c);
	custos_sha256_update(&c, num, (size_t)n + 1);
	if (post)
		custos_sha256_update(&c, post, strlen(post) + 1);
	custos_sha256_update(&c, r->text ? r->text : "", strlen(r->text ? r->text : ""));
	custos_sha256_final(&c, h);
	return custos_import__derived_id(r, "linkedin", h);
}

/* A comment's id: the recipe above, unless the archive holds the comment
 * under the recipe without its post (docs/importers.md, "Ids that
 * changed"). 0, or a negative status with err set. */
static int comment_id(custos_record_t *r, const char *post, const custos_import_sink_t *sink,
                      custos_err_t *err)
{
	int k;
	if (derived_id(r, NULL) < 0)
		return custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	if ((k = custos_import__known(sink, r->id, err)) != 0)
		return k < 0 ? k : 0;
	return derived_id(r, post ? post : "") < 0
	       ? custos_err_set(err, CUSTOS_ENOMEM, "out of memory") : 0;
}

/* Appends a row's text to the post its earlier rows began, unless it is
 * already there: rows of one post that disagree keep every text. */
static int add_text(custos_record_t *r, const char *t)
{
	size_t n = strlen(t);
	if (!n || !r->text)
		return 0;
	for (const char *p = r->text; (p = strstr(p, t)); p++)
		if ((p == r->text || (p - r->text >= 2 && p[-1] == '\n' && p[-2] == '\n')) &&
		    (p[n] == 0 || (p[n] == '\n' && p[n + 1] == '\n')))
			return 0;
	size_t old = strlen(r->text);
	char *nt = custos_arena_alloc(&r->arena, old + 2 + n + 1);
	if (!nt)
		return CUSTOS_ENOMEM;
	memcpy(nt, r->text, old);
	memcpy(nt + old, "\n\n", 2);
	memcpy(nt + old + 2, t, n + 1);
	r->text = nt;
	return custos_extract_entities(r, t);
}

static const char *visibility(const char *v)
{
	if (!strcmp(v, "MEMBER_NETWORK") || !strcmp(v, "CONNECTIONS"))
		return "connections";
	if (!strcmp(v, "PUBLIC") || !strcmp(v, "ANYONE"))
		return "public";
	if (!strcmp(v, "LOGGED_IN") || !strcmp(v, "LOGGED_IN_MEMBERS"))
		return "members";
	return v;
}

enum { COL_DATE, COL_LINK, COL_TEXT, COL_SHAREDURL, COL_MEDIAURL, COL_VIS, COL_COUNT };

typedef struct {
	const custos_import_sink_t *sink;
	custos_record_t rec;
	const char *account;
	/* LinkedIn writes a post with several media as one row per MediaUrl,
	 * each repeating Date, ShareLink and the text: consecutive rows with
	 * the same ShareLink and Date are one post, held here until a row for
	 * another post (or the end) comes. raw is the rows' bytes, line ends
	 * included between them. */
	int pending;
	custos_buf_t key;     /* Date NUL ShareLink of the pending post */
	custos_buf_t raw;
	char term[2];         /* the pending rows' last line end */
	size_t term_len;
} ctx_t;

static int emit(ctx_t *x, const char *file, custos_err_t *err)
{
	custos_record_t *r = &x->rec;
	int st;
	if (!x->pending)
		return 0;
	x->pending = 0;
	if ((st = custos_record_set_raw(r, x->raw.data ? x->raw.data : "", x->raw.len)) < 0)
		return custos_err_set(err, st, "out of memory");
	if ((st = x->sink->record(x->sink->ctx, r)) != 0) {
		if (st > 0)
			st = CUSTOS_EINTERNAL;
		if (!err->status)
			custos_err_set(err, st, "%s: line %lld: the record was refused", file,
			               (long long)r->source.line);
		return st;
	}
	custos_record_reset(r);
	return 0;
}

static int bad(ctx_t *x, csv_t *c, const char *why, custos_err_t *err)
{
	int st = x->sink->bad(x->sink->ctx, c->in->name, c->offset, c->line, why, c->raw, c->raw_len);
	if (st)
		return custos_err_set(err, st < 0 ? st : CUSTOS_EFORMAT, "%s: line %lld: %s",
		                      c->in->name, (long long)c->line, why);
	return 0;
}

/* Imports one Shares.csv or Comments.csv from its stream. */
int custos_import__linkedin_stream(custos_input_t *in, const char *account,
                                   const custos_import_sink_t *sink, custos_err_t *err);
int custos_import__linkedin_stream(custos_input_t *in, const char *account,
                                   const custos_import_sink_t *sink, custos_err_t *err)
{
	csv_t c = { .in = in, .lineno = 1 };
	ctx_t x = { .sink = sink, .account = account ? account : "linkedin" };
	int col[COL_COUNT];
	int st = 0, comments = 0;
	custos_record_init(&x.rec);

	if ((st = csv_next(&c, err)) != 1) {
		if (st >= 0)   /* an empty file, or one open quote: nothing to read */
			st = custos_import__bad(sink, in->name, 0, 1, "no CSV header", c.raw ? c.raw : "",
			                        c.raw ? c.raw_len : 0, err);
		goto done;
	}
	for (int i = 0; i < COL_COUNT; i++)
		col[i] = -1;
	for (size_t i = 0; i < c.nf && i < N_COLS; i++) {
		const char *h = c.field[i].data ? c.field[i].data : "";
		if (i == 0 && (unsigned char)h[0] == 0xEF && (unsigned char)h[1] == 0xBB &&
		    (unsigned char)h[2] == 0xBF)
			h += 3;   /* a UTF-8 byte order mark */
		if (!strcmp(h, "Date"))                  col[COL_DATE] = (int)i;
		else if (!strcmp(h, "ShareLink") || !strcmp(h, "Link")) col[COL_LINK] = (int)i;
		else if (!strcmp(h, "ShareCommentary")) col[COL_TEXT] = (int)i;
		else if (!strcmp(h, "Message"))        { col[COL_TEXT] = (int)i; comments = 1; }
		else if (!strcmp(h, "SharedUrl"))        col[COL_SHAREDURL] = (int)i;
		else if (!strcmp(h, "MediaUrl"))         col[COL_MEDIAURL] = (int)i;
		else if (!strcmp(h, "Visibility"))       col[COL_VIS] = (int)i;
	}
	if (col[COL_DATE] < 0 || col[COL_TEXT] < 0) {
		st = custos_import__bad(sink, in->name, c.offset, c.line,
		                        "not a LinkedIn Shares.csv or Comments.csv header", c.raw,
		                        c.raw_len, err);
		goto done;
	}

	for (;;) {
		st = csv_next(&c, err);
		if (st == 0)
			break;
		if (st == UNTERMINATED) {
			if ((st = bad(&x, &c, "quoted field not closed before the end of the file", err)) < 0)
				goto done;
			break;
		}
		if (st < 0)
			goto done;
		if (c.nf == 1 && c.field[0].len == 0)
			continue;   /* an empty line */
		if ((st = custos_import__check_utf8(sink, in->name, c.offset, c.line, c.raw, c.raw_len,
		                                    err)) != 0) {
			if (st == 1)
				continue;   /* set aside by the sink */
			goto done;
		}
		if (c.nf > N_COLS || c.nf <= (size_t)col[COL_TEXT] || c.nf <= (size_t)col[COL_DATE]) {
			if ((st = bad(&x, &c, "wrong number of CSV fields", err)) < 0)
				goto done;
			continue;
		}
#define FIELD(k) (col[k] >= 0 && (size_t)col[k] < c.nf && c.field[col[k]].len ? \
		c.field[col[k]].data : NULL)
		custos_record_t *r = &x.rec;
		const char *date = FIELD(COL_DATE), *link = FIELD(COL_LINK);
		int64_t when;
		if (!date || custos_time_parse(&when, date, strlen(date)) < 0) {
			if ((st = bad(&x, &c, "Date is missing or not a date", err)) < 0)
				goto done;
			continue;
		}
		if (!comments && x.pending && link && x.key.len == strlen(date) + 1 + strlen(link) &&
		    !strcmp(x.key.data, date) && !strcmp(x.key.data + strlen(date) + 1, link)) {
			/* another media row of the pending post (and, should its text
			 * differ, that text too: one post, every text searchable) */
			const char *m = FIELD(COL_MEDIAURL), *t;
			custos_media_t *md = m ? custos_record_media_add(r) : NULL;
			st = 0;
			if (m && (!md || custos_record_sets(r, &md->url, m) < 0))
				st = CUSTOS_ENOMEM;
			if (c.quoted[col[COL_TEXT]])
				unwrap_lines(&c.field[col[COL_TEXT]]);
			if ((t = FIELD(COL_TEXT)) && add_text(r, t) < 0)
				st = CUSTOS_ENOMEM;
			st |= custos_buf_add(&x.raw, x.term, x.term_len);
			st |= custos_buf_add(&x.raw, c.raw, c.raw_len);
			memcpy(x.term, c.term, c.term_len);
			x.term_len = c.term_len;
			if (st) {
				st = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
				goto done;
			}
			continue;
		}
		if ((st = emit(&x, in->name, err)) < 0)
			goto done;
		r->created_at = when;
		if (c.quoted[col[COL_TEXT]])
			unwrap_lines(&c.field[col[COL_TEXT]]);
		const char *text = FIELD(COL_TEXT);
		const char *nid = NULL;
		size_t nid_len = link ? urn_id(link, &nid) : 0;
		st = 0;
		st |= custos_record_sets(r, &r->platform, "linkedin");
		st |= custos_record_sets(r, &r->account, x.account);
		st |= custos_record_sets(r, &r->author_handle, x.account);
		st |= custos_record_sets(r, &r->kind, comments ? "comment" : "post");
		st |= custos_record_sets(r, &r->text, text ? text : "");
		if (comments) {
			/* Link names the post commented on, shared by all comments on it */
			if (nid_len) {
				char pid[64];
				snprintf(pid, sizeof pid, "linkedin:%.*s", (int)nid_len, nid);
				st |= custos_record_sets(r, &r->in_reply_to, pid);
				st |= custos_record_sets(r, &r->thread, pid);
			}
			if (st == 0 && (st = comment_id(r, r->in_reply_to ? r->in_reply_to : link, sink,
			                                err)) < 0)
				goto done;
		} else {
			st |= custos_record_sets(r, &r->url, link);
			if (nid_len) {
				char id[64];
				snprintf(id, sizeof id, "linkedin:%.*s", (int)nid_len, nid);
				st |= custos_record_sets(r, &r->id, id);
			} else {
				st |= derived_id(r, NULL);
			}
			const char *u = FIELD(COL_SHAREDURL), *m = FIELD(COL_MEDIAURL), *v = FIELD(COL_VIS);
			if (m) {
				custos_media_t *md = custos_record_media_add(r);
				if (!md)
					st |= CUSTOS_ENOMEM;
				else
					st |= custos_record_sets(r, &md->url, m);
			}
			if (v)
				st |= custos_record_sets(r, &r->visibility, visibility(v));
			if (u)   /* the shared link first, then what the text holds */
				st |= custos_record_strv_add(r, &r->urls, u, strlen(u));
		}
#undef FIELD
		if (r->text && *r->text)
			st |= custos_extract_entities(r, r->text);
		st |= custos_record_sets(r, &r->source.format, "linkedin");
		st |= custos_record_sets(r, &r->source.file, in->name);
		r->source.offset = c.offset;
		r->source.line = c.line;
		custos_buf_clear(&x.key);
		custos_buf_clear(&x.raw);
		st |= custos_buf_adds(&x.key, date);
		st |= custos_buf_addc(&x.key, 0);
		st |= custos_buf_adds(&x.key, link ? link : "");
		st |= custos_buf_add(&x.raw, c.raw, c.raw_len);
		memcpy(x.term, c.term, c.term_len);
		x.term_len = c.term_len;
		if (st) {
			st = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
			goto done;
		}
		x.pending = 1;
	}
	if ((st = emit(&x, in->name, err)) < 0)
		goto done;
	st = 0;
	if (sink->file_done && (st = sink->file_done(sink->ctx, in->name)) != 0 && st > 0)
		st = CUSTOS_EINTERNAL;
done:
	custos_record_free(&x.rec);
	custos_buf_free(&x.key);
	custos_buf_free(&x.raw);
	csv_free(&c);
	return st;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int is_ours(const char *relpath)
{
	const char *b = base_name(relpath);
	return !strcasecmp(b, "Shares.csv") || !strcasecmp(b, "Comments.csv");
}

typedef struct {
	char **paths;
	size_t n;
	int    oom;
} list_t;

static int collect(void *vctx, const char *relpath, int64_t size)
{
	list_t *l = vctx;
	/* the export's root only: a folder holding several exports is not
	 * claimed because one of them is LinkedIn's */
	if (!is_ours(relpath) || strchr(relpath, '/'))
		return 0;
	char **np = realloc(l->paths, (l->n + 1) * sizeof *np);
	if (!np || !(np[l->n] = strdup(relpath))) {
		if (np)
			l->paths = np;
		l->oom = 1;
		return CUSTOS_ENOMEM;
	}
	l->paths = np;
	l->n++;
	return 0;
}

static int head_is(const char *head, size_t n, const char *want)
{
	size_t w = strlen(want);
	if (n >= 3 && (unsigned char)head[0] == 0xEF && (unsigned char)head[1] == 0xBB &&
	    (unsigned char)head[2] == 0xBF) {
		head += 3;
		n -= 3;
	}
	return n >= w && !memcmp(head, want, w);
}

static int linkedin_detect(custos_tree_t *t, const char *relpath, const char *head, size_t n)
{
	if (relpath) {
		if (head_is(head, n, "Date,ShareLink,ShareCommentary") || head_is(head, n, "Date,Link,Message"))
			return 95;
		return is_ours(relpath) && head_is(head, n, "Date,") ? 60 : 0;
	}
	list_t l = { 0 };
	custos_tree__each(t, collect, &l);
	int conf = l.n ? 80 : 0;
	for (size_t i = 0; i < l.n; i++)
		free(l.paths[i]);
	free(l.paths);
	return conf;
}

/* The owner's name from the export's Profile.csv ("First Name", "Last
 * Name"), NULL when there is none. */
static char *profile_account(custos_tree_t *t, const char *relpath)
{
	char path[1024];
	const char *slash = relpath ? strrchr(relpath, '/') : NULL;
	snprintf(path, sizeof path, "%.*sProfile.csv", slash ? (int)(slash - relpath + 1) : 0,
	         relpath ? relpath : "");
	custos_input_t *in = NULL;
	custos_err_t err = { 0 };
	char *who = NULL;
	if (!custos_tree__exists(t, path, NULL) || custos_tree__open(t, path, &in, &err) < 0)
		return NULL;
	csv_t c = { .in = in, .lineno = 1 };
	int first = -1, last = -1;
	if (csv_next(&c, &err) == 1) {
		for (size_t i = 0; i < c.nf && i < N_COLS; i++) {
			const char *h = c.field[i].data ? c.field[i].data : "";
			if (!strncmp(h, "\xEF\xBB\xBF", 3))
				h += 3;
			if (!strcmp(h, "First Name"))
				first = (int)i;
			else if (!strcmp(h, "Last Name"))
				last = (int)i;
		}
		if (first >= 0 && csv_next(&c, &err) == 1 && (size_t)first < c.nf) {
			custos_buf_t b = { 0 };
			custos_buf_adds(&b, c.field[first].data ? c.field[first].data : "");
			if (last >= 0 && (size_t)last < c.nf && c.field[last].len)
				custos_buf_printf(&b, " %s", c.field[last].data);
			if (b.len)
				who = b.data;
			else
				custos_buf_free(&b);
		}
	}
	csv_free(&c);
	custos_input__close(in);
	return who;
}

static int run_one(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                   custos_err_t *err)
{
	custos_input_t *in = NULL;
	char *owner = profile_account(t, relpath);
	int st = custos_tree__open(t, relpath, &in, err);
	if (st >= 0)
		st = custos_import__linkedin_stream(in, owner, sink, err);
	custos_input__close(in);
	free(owner);
	return st;
}

static int linkedin_run(custos_tree_t *t, const char *relpath, const custos_import_sink_t *sink,
                        custos_err_t *err)
{
	if (relpath)
		return run_one(t, relpath, sink, err);
	list_t l = { 0 };
	int st = custos_tree__each(t, collect, &l);
	if (l.oom)
		st = custos_err_set(err, CUSTOS_ENOMEM, "out of memory");
	for (size_t i = 0; st >= 0 && i < l.n; i++)
		st = run_one(t, l.paths[i], sink, err);
	for (size_t i = 0; i < l.n; i++)
		free(l.paths[i]);
	free(l.paths);
	return st < 0 ? st : 0;
}

/* Files of an export that linkedin_run does not read. */
static void linkedin_why_not(const char *relpath, char *why, size_t cap)
{
	const char *b = base_name(relpath);
	size_t n = strlen(b);
	if (n > 4 && !strcasecmp(b + n - 4, ".csv"))
		snprintf(why, cap, "LinkedIn's %.*s data: not imported (custos takes Shares.csv and "
		         "Comments.csv)", (int)(n - 4), b);
}

const custos_importer_t custos_import__linkedin = {
	.name = "linkedin",
	.detect = linkedin_detect,
	.run = linkedin_run,
	.why_not = linkedin_why_not,
};
