/* Search benchmark against peers (issue 4 "Figures"): generates N synthetic
 * posts with the Zipf vocabulary of bench/index_bench.c (the same generator,
 * the same seed, so the same records), then in one run
 *   - indexes them with custos (custos_index_*, shard threads) and compacts,
 *   - loads them into SQLite FTS5 (a posts table with the fields, an
 *     external-content FTS5 table over text, hashtags, mentions and domains
 *     with the porter tokenizer, indexes on id, created_at, author, thread;
 *     one transaction, as a user bulk-loads),
 *   - indexes them with a naive Xapian program (bench/naive_xapian.cc) and
 *     compacts that,
 * and times the index's 24-query mix on each, translated to each, relevance
 * and newest-first, limit 20 with the exact total (and two facet queries).
 * The runs of the mix are interleaved across the engines so that load from
 * other jobs falls on all of them alike; wall and CPU time are both taken.
 *
 *   search_peers [-n N] [-d DIR] [--runs R] [--no-naive] [--no-fts] [--keep]
 *
 * Human lines on stderr; "RESULT key value" lines on stdout for bench/search.sh. */
#include "custos_common.h"
#include "custos_indexer.h"
#include "naive_xapian.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "synth_words.h"

/* ---- end of the generator ------------------------------------------------- */

static double pcpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long file_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

/* One record as plain fields, built the way index_bench.c builds its
 * custos_record_t (same ids, handles, tags, mentions, urls, threads). */
typedef struct {
	char id[64], thread[64], handle[32], account[32], tag[2][32], mention[32], url[64],
	    domain[64], tags_joined[72];
	naive_rec_t r;
} plain_t;

static void plain_fill(plain_t *p, const gen_t *x, const char *texts, long i)
{
	naive_rec_t *r = &p->r;
	memset(r, 0, sizeof *r);
	snprintf(p->id, sizeof p->id, "%s:%ld", platforms[x->platform], i + 1);
	r->id = p->id;
	r->platform = platforms[x->platform];
	snprintf(p->account, sizeof p->account, "account%d", x->account);
	r->account = p->account;
	r->kind = kinds[x->kind];
	snprintf(p->handle, sizeof p->handle, "User%d", x->author);
	r->author = p->handle;
	r->created_at = x->created_at;
	r->lang = langs[x->lang];
	r->text = texts + x->text_off;
	if (x->thread) {
		snprintf(p->thread, sizeof p->thread, "%s:%u", platforms[x->platform], x->thread);
		r->thread = p->thread;
	}
	p->tags_joined[0] = '\0';
	for (int k = 0; k < x->ntag; k++) {
		snprintf(p->tag[k], sizeof p->tag[k], "Tag%d", (x->tag + k * 7) % NTAGS);
		r->tags[k] = p->tag[k];
		size_t l = strlen(p->tags_joined);
		snprintf(p->tags_joined + l, sizeof p->tags_joined - l, "%s%s", k ? " " : "", p->tag[k]);
	}
	r->ntags = x->ntag;
	if (x->mention) {
		snprintf(p->mention, sizeof p->mention, "user%d", (x->author * 7 + 3) % NAUTH);
		r->mention = p->mention;
	}
	if (x->url) {
		snprintf(p->url, sizeof p->url, "https://site%d.example.com/p/%ld", x->tag % 300, i);
		snprintf(p->domain, sizeof p->domain, "site%d.example.com", x->tag % 300);
		r->domain = p->domain;
	}
	r->media = x->media;
}

/* ---- the query mix, in each engine's terms -------------------------------- */

typedef struct {
	char custos[256];   /* custos query language */
	char xtext[256];    /* the free-text part, Xapian QueryParser syntax */
	char ftext[256];    /* the free-text part, FTS5 syntax */
	naive_query_t f;    /* the fields (f.text = xtext) */
	char author[32], tag[32], mention[32], thread[64];
	int facets;
} mixq_t;

static int64_t day_ms(int y, int m, int d)
{
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return (int64_t)timegm(&tm) * 1000;
}

/* FTS5 wants NOT where Xapian and custos take -word */
static int make_mix(mixq_t *q, long n, const char *texts, const gen_t *g)
{
	int nq = 0;
	char p2[128];
	synth_phrase(p2, sizeof p2, n, texts, g);
	memset(q, 0, sizeof(mixq_t) * 32);
#define T(...) (snprintf(q[nq].xtext, sizeof q[nq].xtext, __VA_ARGS__), \
	        snprintf(q[nq].ftext, sizeof q[nq].ftext, __VA_ARGS__))
#define C(...) snprintf(q[nq].custos, sizeof q[nq].custos, __VA_ARGS__)
#define NEXT (nq++)
	C("%s", words[2]); T("%s", words[2]); NEXT;
	C("%s", words[40]); T("%s", words[40]); q[nq].facets = 1; NEXT;
	C("%s", words[900]); T("%s", words[900]); NEXT;
	C("%s", words[15000]); T("%s", words[15000]); NEXT;
	C("%s", words[50000]); T("%s", words[50000]); NEXT;
	C("%s %s", words[10], words[60]); T("%s %s", words[10], words[60]); NEXT;
	C("%s %s", words[300], words[3000]); T("%s %s", words[300], words[3000]); NEXT;
	C("%s OR %s", words[25], words[400]); T("%s OR %s", words[25], words[400]); NEXT;
	C("%s OR %s", words[5000], words[7000]); T("%s OR %s", words[5000], words[7000]);
	q[nq].facets = 1; NEXT;
	C("\"%s\"", p2); T("\"%s\"", p2); NEXT;
	C("%s -%s", words[12], words[5]); T("%s -%s", words[12], words[5]);
	snprintf(q[nq].ftext, sizeof q[nq].ftext, "%s NOT %s", words[12], words[5]); NEXT;
	C("%.4s*", words[700]); T("%.4s*", words[700]); NEXT;
	C("platform:mastodon %s", words[30]); T("%s", words[30]); q[nq].f.platform = "mastodon"; NEXT;
	C("from:user%d", 5); snprintf(q[nq].author, sizeof q[nq].author, "user%d", 5); NEXT;
	C("#tag%d", 3); snprintf(q[nq].tag, sizeof q[nq].tag, "tag%d", 3); NEXT;
	C("@user%d %s", 10, words[20]); T("%s", words[20]);
	snprintf(q[nq].mention, sizeof q[nq].mention, "user%d", 10); NEXT;
	C("kind:reply %s", words[100]); T("%s", words[100]); q[nq].f.kind = "reply"; NEXT;
	C("lang:de %s", words[8]); T("%s", words[8]); q[nq].f.lang = "de"; NEXT;
	C("has:media %s", words[50]); T("%s", words[50]); q[nq].f.media = 1; NEXT;
	C("%s date:2015-01-01..2015-06-30", words[15]); T("%s", words[15]);
	q[nq].f.date_lo = day_ms(2015, 1, 1); q[nq].f.date_hi = day_ms(2015, 7, 1) - 1; NEXT;
	C("date:2019-03");
	q[nq].f.date_lo = day_ms(2019, 3, 1); q[nq].f.date_hi = day_ms(2019, 4, 1) - 1; NEXT;
	C("%s date:..2011-12-31", words[200]); T("%s", words[200]);
	q[nq].f.date_lo = 0; q[nq].f.date_hi = day_ms(2012, 1, 1) - 1; NEXT;
	C("url:site7.example.com"); q[nq].f.domain = "site7.example.com"; NEXT;
	C("thread:x:%ld", n / 2); snprintf(q[nq].thread, sizeof q[nq].thread, "x:%ld", n / 2); NEXT;
#undef T
#undef C
#undef NEXT
	for (int i = 0; i < nq; i++) {
		q[i].f.text = q[i].xtext;
		q[i].f.author = q[i].author[0] ? q[i].author : NULL;
		q[i].f.tag = q[i].tag[0] ? q[i].tag : NULL;
		q[i].f.mention = q[i].mention[0] ? q[i].mention : NULL;
		q[i].f.thread = q[i].thread[0] ? q[i].thread : NULL;
	}
	return nq;
}

/* ---- SQLite FTS5 ---------------------------------------------------------- */

static int sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s: %s\n", msg ? msg : "?", sql);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static const char FTS_SCHEMA[] =
	"CREATE TABLE posts(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	" created_at INTEGER NOT NULL, platform TEXT, account TEXT, author TEXT, kind TEXT,"
	" lang TEXT, hashtags TEXT, mentions TEXT, domains TEXT, thread TEXT,"
	" has_media INTEGER, text TEXT);"
	"CREATE VIRTUAL TABLE fts USING fts5(text, hashtags, mentions, domains,"
	" content='posts', content_rowid='rowid', tokenize='porter unicode61');";

static int fts_load(const char *path, const gen_t *g, const char *texts, long n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *insf = NULL;
	int rc = -1;
	if (sqlite3_open(path, &db) != SQLITE_OK)
		goto done;
	if (sql_exec(db, FTS_SCHEMA) < 0 || sql_exec(db, "BEGIN") < 0)
		goto done;
	if (sqlite3_prepare_v2(db, "INSERT INTO posts VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
	                       &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO fts(rowid, text, hashtags, mentions, domains)"
	                       " VALUES(?,?,?,?,?)", -1, &insf, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		goto done;
	}
	plain_t p;
	for (long i = 0; i < n; i++) {
		plain_fill(&p, &g[i], texts, i);
		naive_rec_t *r = &p.r;
		char author[32];
		snprintf(author, sizeof author, "%s", r->author);
		for (char *c = author; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		sqlite3_bind_int64(ins, 1, i + 1);
		sqlite3_bind_text(ins, 2, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 3, r->created_at);
		sqlite3_bind_text(ins, 4, r->platform, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, r->account, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 6, author, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 7, r->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 8, r->lang, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 9, p.tags_joined, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 10, r->mention ? r->mention : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 11, r->domain ? r->domain : "", -1, SQLITE_STATIC);
		if (r->thread)
			sqlite3_bind_text(ins, 12, r->thread, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(ins, 12);
		sqlite3_bind_int(ins, 13, r->media);
		sqlite3_bind_text(ins, 14, r->text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(insf, 1, i + 1);
		sqlite3_bind_text(insf, 2, r->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(insf, 3, p.tags_joined, -1, SQLITE_STATIC);
		sqlite3_bind_text(insf, 4, r->mention ? r->mention : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(insf, 5, r->domain ? r->domain : "", -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE || sqlite3_step(insf) != SQLITE_DONE) {
			fprintf(stderr, "sqlite insert: %s\n", sqlite3_errmsg(db));
			goto done;
		}
		sqlite3_reset(ins);
		sqlite3_reset(insf);
	}
	if (sql_exec(db, "CREATE INDEX posts_created ON posts(created_at);"
	                 "CREATE INDEX posts_author ON posts(author);"
	                 "CREATE INDEX posts_thread ON posts(thread);") < 0 ||
	    sql_exec(db, "COMMIT") < 0)
		goto done;
	rc = 0;
done:
	sqlite3_finalize(ins);
	sqlite3_finalize(insf);
	if (db && sqlite3_close(db) != SQLITE_OK)
		rc = -1;
	return rc;
}

/* Builds the FROM/WHERE part of q for FTS5: the MATCH expression over the FTS
 * columns (text, and the multi-valued hashtags, mentions, domains) joined to
 * the posts table's fields. */
static void fts_from_where(char *out, size_t cap, const mixq_t *q, int *has_match)
{
	char match[512] = "", where[512] = "";
	size_t m = 0, w = 0;
#define MA(...) (m += (size_t)snprintf(match + m, sizeof match - m, __VA_ARGS__))
#define WA(...) (w += (size_t)snprintf(where + w, sizeof where - w, __VA_ARGS__))
	if (q->ftext[0])
		MA("%stext : (%s)", m ? " AND " : "", q->ftext);
	if (q->f.tag)
		MA("%shashtags : %s", m ? " AND " : "", q->f.tag);
	if (q->f.mention)
		MA("%smentions : %s", m ? " AND " : "", q->f.mention);
	if (q->f.domain) {
		char d[64];
		snprintf(d, sizeof d, "%s", q->f.domain);
		for (char *c = d; *c; c++)
			if (*c == '.')
				*c = ' ';
		MA("%sdomains : \"%s\"", m ? " AND " : "", d);
	}
	if (q->f.platform)
		WA(" AND p.platform = '%s'", q->f.platform);
	if (q->f.author)
		WA(" AND p.author = '%s'", q->f.author);
	if (q->f.kind)
		WA(" AND p.kind = '%s'", q->f.kind);
	if (q->f.lang)
		WA(" AND p.lang = '%s'", q->f.lang);
	if (q->f.media)
		WA(" AND p.has_media = 1");
	if (q->f.thread)
		WA(" AND (p.thread = '%s' OR p.id = '%s')", q->f.thread, q->f.thread);
	if (q->f.date_lo || q->f.date_hi)
		WA(" AND p.created_at BETWEEN %lld AND %lld", (long long)q->f.date_lo,
		   (long long)q->f.date_hi);
#undef MA
#undef WA
	*has_match = m > 0;
	if (m)
		snprintf(out, cap, "FROM fts JOIN posts p ON p.rowid = fts.rowid WHERE fts MATCH '%s'%s",
		         match, where);
	else
		snprintf(out, cap, "FROM posts p WHERE 1%s", where);
}

static int fts_run(sqlite3 *db, const char *sql, int (*row)(sqlite3_stmt *, void *), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s: %s\n", sqlite3_errmsg(db), sql);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row)
			row(st, ctx);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "sqlite: %s: %s\n", sqlite3_errmsg(db), sql);
		return -1;
	}
	return 0;
}

static int row_count(sqlite3_stmt *st, void *ctx)
{
	*(uint64_t *)ctx = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

static int row_page(sqlite3_stmt *st, void *ctx)
{
	/* read what a result page shows */
	const unsigned char *id = sqlite3_column_text(st, 0);
	*(size_t *)ctx += id ? strlen((const char *)id) : 0;
	return 0;
}

/* One search in FTS5: the page of 20 in the order asked, the exact total,
 * and (when asked) the platform and year facets over the whole result. */
static int fts_search(sqlite3 *db, const mixq_t *q, int newest, uint64_t *total)
{
	char fw[1200], sql[1500];
	int has_match;
	size_t sink = 0;
	fts_from_where(fw, sizeof fw, q, &has_match);
	snprintf(sql, sizeof sql, "SELECT p.id, p.created_at %s ORDER BY %s LIMIT 20", fw,
	         newest ? "p.created_at DESC" : has_match ? "bm25(fts)" : "p.rowid");
	if (fts_run(db, sql, row_page, &sink) < 0)
		return -1;
	snprintf(sql, sizeof sql, "SELECT count(*) %s", fw);
	if (fts_run(db, sql, row_count, total) < 0)
		return -1;
	if (q->facets) {
		snprintf(sql, sizeof sql, "SELECT p.platform, count(*) %s GROUP BY 1", fw);
		if (fts_run(db, sql, NULL, NULL) < 0)
			return -1;
		snprintf(sql, sizeof sql,
		         "SELECT strftime('%%Y', p.created_at / 1000, 'unixepoch'), count(*) %s"
		         " GROUP BY 1", fw);
		if (fts_run(db, sql, NULL, NULL) < 0)
			return -1;
	}
	return 0;
}

/* ---- custos ---------------------------------------------------------------- */

static int custos_load(const char *path, const gen_t *g, const char *texts, long n)
{
	custos_index_t *idx = NULL;
	custos_err_t err;
	if (custos_index_open(&idx, path, CUSTOS_INDEX_WRITE | CUSTOS_INDEX_CREATE, &err) < 0) {
		fprintf(stderr, "custos open: %s\n", err.msg);
		return -1;
	}
	custos_record_t r;
	custos_media_t media[1];
	char *tagv[2], *mentionv[1], *urlv[1];
	memset(media, 0, sizeof media);
	plain_t p;
	for (long i = 0; i < n; i++) {
		plain_fill(&p, &g[i], texts, i);
		custos_record_init(&r);
		r.id = p.id;
		r.seq = (uint64_t)i + 1;
		r.version = 1;
		r.platform = (char *)p.r.platform;
		r.account = p.account;
		r.kind = (char *)p.r.kind;
		r.author_handle = p.handle;
		r.created_at = p.r.created_at;
		r.lang = (char *)p.r.lang;
		r.text = (char *)p.r.text;
		r.thread = p.r.thread ? p.thread : NULL;
		for (int k = 0; k < p.r.ntags; k++)
			tagv[k] = p.tag[k];
		r.hashtags.v = tagv;
		r.hashtags.n = (size_t)p.r.ntags;
		if (p.r.mention) {
			mentionv[0] = p.mention;
			r.mentions.v = mentionv;
			r.mentions.n = 1;
		}
		if (p.r.domain) {
			urlv[0] = p.url;
			r.urls.v = urlv;
			r.urls.n = 1;
		}
		if (p.r.media) {
			r.media = media;
			r.n_media = 1;
		}
		if (custos_index_add(idx, &r) < 0) {
			fprintf(stderr, "custos add: %s\n", custos_index_errmsg(idx));
			return -1;
		}
		if ((i + 1) % 10000 == 0 && custos_index_commit(idx, (uint64_t)i + 1) < 0) {
			fprintf(stderr, "custos commit: %s\n", custos_index_errmsg(idx));
			return -1;
		}
	}
	if (custos_index_commit(idx, (uint64_t)n) < 0) {
		fprintf(stderr, "custos commit: %s\n", custos_index_errmsg(idx));
		return -1;
	}
	custos_index_free(idx);
	return 0;
}

static int custos_search1(custos_index_t *idx, const mixq_t *q, int newest, uint64_t *total)
{
	custos_index_results_t *res = NULL;
	custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
	o.sort = newest ? CUSTOS_SORT_DATE_DESC : CUSTOS_SORT_RELEVANCE;
	if (q->facets)
		o.facets = CUSTOS_FACET_BIT(CUSTOS_FACET_PLATFORM) | CUSTOS_FACET_BIT(CUSTOS_FACET_YEAR);
	if (custos_index_search(idx, &res, q->custos, &o) < 0) {
		fprintf(stderr, "custos query '%s': %s\n", q->custos, custos_index_errmsg(idx));
		return -1;
	}
	*total = res->total;
	custos_index_results_free(res);
	return 0;
}

/* ---- the run ---------------------------------------------------------------- */

enum { E_CUSTOS, E_FTS, E_NAIVE, E_COUNT };
static const char *ename[E_COUNT] = { "custos", "fts5", "naive_xapian" };

static double pct(double *v, size_t k, int p)
{
	size_t i = k * (size_t)p / 100;
	return v[i < k ? i : k - 1];
}

static int sh(const char *fmt, const char *a)
{
	char cmd[4400];
	snprintf(cmd, sizeof cmd, fmt, a, a);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	long n = 100000;
	const char *dir = "/tmp/custos-search-peers";
	int runs = 10, keep = 0, on[E_COUNT] = { 1, 1, 1 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keep"))
			keep = 1;
		else if (!strcmp(argv[i], "--no-naive"))
			on[E_NAIVE] = 0;
		else if (!strcmp(argv[i], "--no-fts"))
			on[E_FTS] = 0;
		else {
			fprintf(stderr, "usage: search_peers [-n N] [-d DIR] [--runs R] [--no-naive] "
			                "[--no-fts] [--keep]\n");
			return 2;
		}
	}
	if (n < 1000 || runs < 1) {
		fprintf(stderr, "search_peers: -n at least 1000, --runs at least 1\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	custos_global_init();
	make_vocab();

	/* generate everything first so that only indexing is timed */
	gen_t *g;
	char *texts;
	size_t tlen;
	synth_generate(n, &g, &texts, &tlen);
	fprintf(stderr, "generated %ld records, %.1f bytes of text each\n", n, (double)tlen / n);
	printf("RESULT n %ld\nRESULT text_bytes %.1f\n", n, (double)tlen / n);

	char cpath[4200], fpath[4200], npath[4200], ncpath[4200];
	snprintf(cpath, sizeof cpath, "%s/custos-index", dir);
	snprintf(fpath, sizeof fpath, "%s/fts5.db", dir);
	snprintf(npath, sizeof npath, "%s/naive", dir);
	snprintf(ncpath, sizeof ncpath, "%s/naive-compact", dir);
	if (sh("rm -rf '%s' && mkdir -p '%s'", dir) < 0)
		return 1;
	double t, c;

	/* custos: index (shard threads), then compaction */
	fprintf(stderr, "custos: indexing\n");
	c = pcpu();
	t = now();
	if (custos_load(cpath, g, texts, n) < 0)
		return 1;
	double tw = now() - t, tc = pcpu() - c;
	long before = dir_bytes(cpath);
	custos_err_t err;
	t = now();
	if (custos_index_compact(cpath, &err) < 0) {
		fprintf(stderr, "custos compact: %s\n", err.msg);
		return 1;
	}
	double tcomp = now() - t;
	long after = dir_bytes(cpath);
	printf("RESULT custos_index_s %.3f\nRESULT custos_index_cpu_s %.3f\n"
	       "RESULT custos_rate %.0f\nRESULT custos_bytes_before %.0f\n"
	       "RESULT custos_bytes %.0f\nRESULT custos_compact_s %.2f\n", tw, tc, n / tw,
	       (double)before / n, (double)after / n, tcomp);

	/* SQLite FTS5: one transaction, then the FTS5 'optimize' (its compaction) */
	if (on[E_FTS]) {
		fprintf(stderr, "fts5: loading\n");
		c = pcpu();
		t = now();
		if (fts_load(fpath, g, texts, n) < 0)
			return 1;
		tw = now() - t;
		tc = pcpu() - c;
		before = file_bytes(fpath);
		sqlite3 *db = NULL;
		t = now();
		if (sqlite3_open(fpath, &db) != SQLITE_OK ||
		    sql_exec(db, "INSERT INTO fts(fts) VALUES('optimize')") < 0 ||
		    sql_exec(db, "VACUUM") < 0)
			return 1;
		sqlite3_close(db);
		tcomp = now() - t;
		after = file_bytes(fpath);
		printf("RESULT fts5_index_s %.3f\nRESULT fts5_index_cpu_s %.3f\nRESULT fts5_rate %.0f\n"
		       "RESULT fts5_bytes_before %.0f\nRESULT fts5_bytes %.0f\n"
		       "RESULT fts5_compact_s %.2f\n", tw, tc, n / tw, (double)before / n,
		       (double)after / n, tcomp);
	}

	/* naive Xapian: one commit at the end, then Database::compact */
	if (on[E_NAIVE]) {
		fprintf(stderr, "naive xapian: indexing\n");
		plain_t p;
		c = pcpu();
		t = now();
		naive_xapian_t *nx = naive_xapian_create(npath);
		if (!nx)
			return 1;
		for (long i = 0; i < n; i++) {
			plain_fill(&p, &g[i], texts, i);
			if (naive_xapian_add(nx, &p.r) < 0)
				return 1;
		}
		if (naive_xapian_commit(nx) < 0)
			return 1;
		naive_xapian_free(nx);
		tw = now() - t;
		tc = pcpu() - c;
		before = dir_bytes(npath);
		t = now();
		if (naive_xapian_compact(npath, ncpath) < 0)
			return 1;
		tcomp = now() - t;
		after = dir_bytes(ncpath);
		printf("RESULT naive_xapian_index_s %.3f\nRESULT naive_xapian_index_cpu_s %.3f\n"
		       "RESULT naive_xapian_rate %.0f\nRESULT naive_xapian_bytes_before %.0f\n"
		       "RESULT naive_xapian_bytes %.0f\nRESULT naive_xapian_compact_s %.2f\n", tw, tc,
		       n / tw, (double)before / n, (double)after / n, tcomp);
	}

	/* the query mix on each, newest-first and relevance */
	static mixq_t mix[32];
	int nq = make_mix(mix, n, texts, g);
	custos_index_t *idx = NULL;
	sqlite3 *fdb = NULL;
	naive_xapian_t *nxr = NULL;
	if (custos_index_open(&idx, cpath, CUSTOS_INDEX_READ, &err) < 0) {
		fprintf(stderr, "custos open: %s\n", err.msg);
		return 1;
	}
	if (on[E_FTS] && sqlite3_open_v2(fpath, &fdb, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return 1;
	if (on[E_NAIVE] && !(nxr = naive_xapian_open(ncpath)))
		return 1;

	uint64_t totals[E_COUNT][32];
	size_t nlat = (size_t)runs * (size_t)nq;
	double *lat[E_COUNT][2], *cpu[E_COUNT][2];
	double *qlat[E_COUNT][2];   /* per query, the median over the runs */
	for (int e = 0; e < E_COUNT; e++)
		for (int s = 0; s < 2; s++) {
			lat[e][s] = calloc(nlat, sizeof(double));
			cpu[e][s] = calloc(nlat, sizeof(double));
			qlat[e][s] = calloc((size_t)nq * (size_t)runs, sizeof(double));
		}
	/* run 0 warms the caches and checks the totals; then `runs` timed runs,
	 * each engine in turn within a run so that outside load falls on all */
	for (int r = -1; r < runs; r++)
		for (int s = 0; s < 2; s++)
			for (int e = 0; e < E_COUNT; e++) {
				if (!on[e])
					continue;
				for (int i = 0; i < nq; i++) {
					uint64_t tot = 0;
					int rc;
					double c0 = pcpu(), qt0 = now();
					if (e == E_CUSTOS)
						rc = custos_search1(idx, &mix[i], s, &tot);
					else if (e == E_FTS)
						rc = fts_search(fdb, &mix[i], s, &tot);
					else
						rc = naive_xapian_search(nxr, &mix[i].f, s, mix[i].facets, &tot);
					double w = (now() - qt0) * 1000, cp = (pcpu() - c0) * 1000;
					if (rc < 0)
						return 1;
					if (r < 0) {
						if (s == 0)
							totals[e][i] = tot;
						continue;
					}
					size_t k = (size_t)r * (size_t)nq + (size_t)i;
					lat[e][s][k] = w;
					cpu[e][s][k] = cp;
					qlat[e][s][(size_t)i * (size_t)runs + (size_t)r] = w;
				}
			}
	fprintf(stderr, "query totals (custos / fts5 / naive xapian):\n");
	for (int i = 0; i < nq; i++)
		fprintf(stderr, "  q%02d %8llu %8llu %8llu  %s\n", i, (unsigned long long)totals[0][i],
		        (unsigned long long)(on[E_FTS] ? totals[1][i] : 0),
		        (unsigned long long)(on[E_NAIVE] ? totals[2][i] : 0), mix[i].custos);
	for (int i = 0; i < nq; i++) {
		printf("QUERY %d %s", i, mix[i].custos);
		for (int e = 0; e < E_COUNT; e++)
			for (int s = 0; s < 2; s++) {
				double *v = qlat[e][s] + (size_t)i * (size_t)runs;
				qsort(v, (size_t)runs, sizeof(double), cmp_double);
				printf("\t%llu\t%.3f", (unsigned long long)(on[e] ? totals[e][i] : 0),
				       on[e] ? v[runs / 2] : 0.0);
			}
		printf("\n");
	}
	for (int e = 0; e < E_COUNT; e++) {
		if (!on[e])
			continue;
		for (int s = 0; s < 2; s++) {
			const char *o = s ? "newest" : "relevance";
			qsort(lat[e][s], nlat, sizeof(double), cmp_double);
			qsort(cpu[e][s], nlat, sizeof(double), cmp_double);
			printf("RESULT %s_%s_p50 %.3f\nRESULT %s_%s_p99 %.3f\nRESULT %s_%s_max %.3f\n"
			       "RESULT %s_%s_cpu_p50 %.3f\nRESULT %s_%s_cpu_p99 %.3f\n", ename[e], o,
			       pct(lat[e][s], nlat, 50), ename[e], o, pct(lat[e][s], nlat, 99), ename[e],
			       o, lat[e][s][nlat - 1], ename[e], o, pct(cpu[e][s], nlat, 50), ename[e], o,
			       pct(cpu[e][s], nlat, 99));
		}
	}
	printf("RESULT queries %d\nRESULT runs %d\n", nq, runs);
	/* wildcards anywhere and fuzzy words (custos only, BENCH_WILD=1): per
	 * query the p50/p99 over the runs, the words the query's pattern
	 * matched in the lexicon, and the records found */
	if (on[E_CUSTOS] && getenv("BENCH_WILD")) {
		char wq[8][128];
		int nw = 0;
		snprintf(wq[nw++], sizeof wq[0], "%.4s*", words[40]);
		snprintf(wq[nw++], sizeof wq[0], "*%s", words[900] + 2);
		snprintf(wq[nw++], sizeof wq[0], "%.2s?%s", words[900], words[900] + 3);
		snprintf(wq[nw++], sizeof wq[0], "%.2s*%s", words[15000], words[15000] + strlen(words[15000]) - 2);
		snprintf(wq[nw++], sizeof wq[0], "%s%%", words[900]);
		snprintf(wq[nw++], sizeof wq[0], "%s~2", words[15000]);
		snprintf(wq[nw++], sizeof wq[0], "%s NEAR/5 %.3s*", words[40], words[900]);
		double *wl = calloc((size_t)runs, sizeof(double));
		for (int i = 0; i < nw && wl; i++) {
			custos_index_search_opts_t o = CUSTOS_INDEX_SEARCH_OPTS_INIT;
			custos_index_results_t *res = NULL;
			size_t exp = 0;
			uint64_t tot = 0;
			int refused = 0;
			for (int r = -1; r < runs && !refused; r++) {
				double t0 = now();
				if (custos_index_search(idx, &res, wq[i], &o) < 0) {
					printf("RESULT wild\t%s\trefused\t%s\n", wq[i], custos_index_errmsg(idx));
					refused = 1;
					break;
				}
				if (r >= 0)
					wl[r] = (now() - t0) * 1000;
				exp = res->expansions;
				tot = res->total;
				custos_index_results_free(res);
			}
			if (refused)
				continue;
			qsort(wl, (size_t)runs, sizeof(double), cmp_double);
			printf("RESULT wild\t%s\t%.3f\t%.3f\t%zu\t%llu\n", wq[i], pct(wl, (size_t)runs, 50),
			       pct(wl, (size_t)runs, 99), exp, (unsigned long long)tot);
		}
		free(wl);
	}
	custos_index_free(idx);
	if (fdb)
		sqlite3_close(fdb);
	if (nxr)
		naive_xapian_free(nxr);
	for (int e = 0; e < E_COUNT; e++)
		for (int s = 0; s < 2; s++) {
			free(lat[e][s]);
			free(cpu[e][s]);
			free(qlat[e][s]);
		}
	for (int i = 0; i < VOCAB; i++)
		free(words[i]);
	free(zipf_cdf);
	free(g);
	free(texts);
	if (!keep && sh("rm -rf '%s'%.0s", dir) < 0)
		return 1;
	return 0;
}
