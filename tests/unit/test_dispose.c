/* Disposition end to end through the archive API, with a real store (LMDB),
 * index (Xapian) and policy repository (git): plans by rule and hold, apply,
 * tombstones, crash recovery, dictionary retirement, and the proof that
 * disposed text cannot be found in any file of the archive. */
#include "check.h"
#include "lib_internal.h"

#include <dirent.h>
#include <lmdb.h>
#include <signal.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <sodium.h>
#include <zstd.h>

static char arch[4400];
#define PATH_CAP 8800

/* The tests act through one session on the archive, opened and closed
 * together. */
static custos_archive_t *t_arch;

static int t_open(custos_session_t **out, const char *dir, unsigned flags, const char *actor,
                  custos_err_t *err)
{
	custos_who_t who = CUSTOS_WHO_INIT;
	int rc;
	who.actor = actor;
	*out = NULL;
	if ((rc = custos_archive_open(&t_arch, dir, flags, err)) < 0)
		return rc;
	if ((rc = custos_session_open(out, t_arch, &who, err)) < 0) {
		custos_archive_close(t_arch);
		t_arch = NULL;
	}
	return rc;
}

static void t_free(custos_session_t *s)
{
	custos_session_free(s);
	custos_archive_close(t_arch);
	t_arch = NULL;
}

/* The store as it is now. */
static custos_store_t *t_store(custos_session_t *s)
{
	custos_store_t *st = NULL;
	custos_session_refresh(s);
	if (custos_session__store(s, &st) != 0)
		check__fail(__FILE__, __LINE__, "store: %s", custos_session_err(s)->msg);
	return st;
}

/* Verifies; v keeps the counts (its problem list is let go). */
static int t_verify(custos_session_t *s, custos_verify_t *v)
{
	custos_session_refresh(s);
	int rc = custos_archive_verify(s, NULL, NULL, v);
	if (rc != 0 && v->n_problem)
		printf("  verify: %s\n", v->problem[0]);
	free(v->problem);
	custos_arena_free(&v->arena);
	v->problem = NULL;
	v->n_problem = 0;
	return rc;
}

static int64_t at(const char *s)
{
	int64_t ms;
	if (custos_time_parse(&ms, s, strlen(s)) != 0)
		check__fail(__FILE__, __LINE__, "bad date %s", s);
	return ms;
}

#define CHECK_A(a, call) do { int s__ = (call); if (s__ != 0) \
	check__fail(__FILE__, __LINE__, "%s: %d %s", #call, s__, custos_session_err(a)->msg); } while (0)

/* Writes an NDJSON line per record: id, platform, created_at, text. */
static void write_ndjson(const char *path, const char *const *lines, size_t n)
{
	FILE *f = fopen(path, "w");
	CHECK(f);
	for (size_t i = 0; i < n; i += 4)
		fprintf(f, "{\"id\":\"%s\",\"platform\":\"%s\",\"author\":{\"handle\":\"acme\"},"
		        "\"created_at\":\"%s\",\"text\":\"%s\"}\n",
		        lines[i], lines[i + 1], lines[i + 2], lines[i + 3]);
	CHECK(fclose(f) == 0);
}

/* What the ingest pipeline's index step does: catch the index up with the store. */
static void index_catch_up(custos_session_t *a)
{
	CHECK_A(a, custos_archive_index(a, false, NULL, NULL, NULL));
}

static void ingest(custos_session_t *a, const char *const *lines, size_t n, bool index)
{
	static int k;
	char path[PATH_CAP];
	snprintf(path, sizeof path, "%s/in%d.ndjson", check_tmpdir, k++);
	write_ndjson(path, lines, n);
	custos_ingest_opts_t o = CUSTOS_INGEST_OPTS_INIT;
	custos_ingest_summary_t s;
	const char *paths[] = { path };
	o.no_index = true;
	CHECK_A(a, custos_archive_ingest(a, paths, 1, &o, &s));
	if (index)
		index_catch_up(a);
}

/* An archive whose policy repository starts on 2019-01-01, so that the
 * tests can pin schedule changes in the past (custos init starts it now). */
static custos_session_t *open_new_archive(const char *dir)
{
	custos_session_t *a = NULL;
	custos_store_t *st = NULL;
	custos_policy_t *p = NULL;
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	custos_err_t err = { 0 };
	snprintf(arch, sizeof arch, "%s", dir);
	if (custos_store_open(&st, arch, CUSTOS_STORE_CREATE, &err) != 0)
		check__fail(__FILE__, __LINE__, "store: %s", err.msg);
	custos_store_free(st);
	o.flags = CUSTOS_POLICY_CREATE;
	o.when = at("2019-01-01T00:00:00Z");
	o.check_query = custos_lib__query_check;
	if (custos_policy_open(&p, arch, &o, &err) != 0)
		check__fail(__FILE__, __LINE__, "policy: %s", err.msg);
	custos_policy_free(p);
	if (t_open(&a, arch, CUSTOS_OPEN_WRITE, "Records Officer", &err) != 0)
		check__fail(__FILE__, __LINE__, "open: %s", err.msg);
	return a;
}

static custos_session_t *make_archive(void)
{
	char dir[4400];
	snprintf(dir, sizeof dir, "%s/archive", check_tmpdir);
	return open_new_archive(dir);
}

static void set_policy(custos_session_t *a, const char *yaml, const char *when,
                       char commit[CUSTOS_COMMIT_HEX])
{
	custos_policy_t *p = NULL;
	custos_policy_change_t c = { "Records Officer", "schedule", at(when) };
	CHECK_A(a, custos_session__policy(a, &p));
	int st = custos_policy_set(p, yaml, strlen(yaml), &c, commit);
	if (st)
		check__fail(__FILE__, __LINE__, "policy set: %s", custos_policy_err(p)->msg);
	custos_policy_free(p);
}


/* Runs a disposition of the archive at arch in a child until it reaches the
 * test point, and kills it there with SIGKILL, as a crash would. */
static void apply_killed_at(const char *point)
{
	char flag[PATH_CAP];
	snprintf(flag, sizeof flag, "%s/paused", check_tmpdir);
	unlink(flag);
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		custos_session_t *a = NULL;
		custos_err_t e = { 0 };
		custos_retention_apply_t ap;
		setenv("CUSTOS_TEST_PAUSE_AT", point, 1);
		setenv("CUSTOS_TEST_PAUSE_FILE", flag, 1);
		if (t_open(&a, arch, CUSTOS_OPEN_WRITE, NULL, &e) != 0)
			_exit(2);
		custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), NULL, &ap);
		_exit(0);   /* the point was never reached */
	}
	for (int i = 0; i < 3000 && access(flag, F_OK) != 0; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			check__fail(__FILE__, __LINE__, "the run ended (status %d) before %s", st, point);
		usleep(10000);
	}
	CHECK(access(flag, F_OK) == 0);
	kill(pid, SIGKILL);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static const custos_plan_entry_t *plan_find(const custos_retention_plan_t *pl, const char *id)
{
	for (size_t i = 0; i < pl->n; i++)
		if (!strcmp(pl->v[i].id, id))
			return &pl->v[i];
	return NULL;
}

static const char *const records[] = {
	"x:1", "x", "2015-03-01T10:00:00Z", "an old post about the weather",
	"x:2", "x", "2024-06-01T10:00:00Z", "a recent post about the weather",
	"x:3", "x", "2015-03-01T10:00:00Z", "an old reply about #legal matters",
	"mastodon:4", "mastodon", "2025-01-01T10:00:00Z", "a toot from last year",
	"mastodon:5", "mastodon", "2026-11-01T10:00:00Z", "a toot from this month",
};

static const char *schedule =
	"rules:\n"
	"  - name: default\n"
	"    match: \"*\"\n"
	"    retain: 7y\n"
	"  - name: short-toots\n"
	"    match: \"platform:mastodon\"\n"
	"    retain: 90d\n"
	"  - name: legal-forever\n"
	"    match: \"#legal\"\n"
	"    retain: forever\n";

static void test_dispose__plan_uses_the_longest_matching_rule_and_names_the_commit(void)
{
	custos_session_t *a = make_archive();
	custos_retention_plan_t *pl = NULL;
	char commit[CUSTOS_COMMIT_HEX];
	ingest(a, records, sizeof records / sizeof *records, true);
	set_policy(a, schedule, "2020-01-01T00:00:00Z", commit);

	CHECK_A(a, custos_archive_retention_plan(a, at("2026-11-20T00:00:00Z"), &pl));
	CHECK_STR(pl->commit, commit);
	CHECK_INT(strlen(pl->commit), 40);
	CHECK_INT(pl->records, 5);
	/* x:1 past 7y; x:3 matched by default and legal-forever: forever wins;
	 * m:4 past 90d (7y would keep it, but mastodon matches both: 7y is longer!) */
	const custos_plan_entry_t *e = plan_find(pl, "x:1");
	CHECK(e);
	CHECK_STR(pl->schedule->rules[e->rule].name, "default");
	CHECK(!plan_find(pl, "x:3"));
	CHECK(!plan_find(pl, "x:2"));
	CHECK(!plan_find(pl, "mastodon:4"));   /* longest wins: default's 7y over 90d */
	CHECK(!plan_find(pl, "mastodon:5"));
	CHECK_INT(pl->n, 1);
	CHECK_INT(pl->rules[0].eligible, 1);
	CHECK_INT(pl->rules[2].matched, 1);
	CHECK_INT(pl->rules[2].deciding, 1);
	custos_retention_plan_free(pl);

	/* a schedule without the overlap: mastodon only under its own rule */
	set_policy(a,
	           "rules:\n"
	           "  - name: default\n    match: \"*\"\n    retain: 7y\n"
	           "  - name: toots-long\n    match: \"platform:mastodon\"\n    retain: 30d\n"
	           "  - name: everything-short\n    match: \"platform:mastodon OR platform:x\"\n"
	           "    retain: 1d\n",
	           "2021-01-01T00:00:00Z", commit);
	/* as of 2025-03-01 (schedule 2 in force): m:4 is 59 days old: kept by 7y anyway */
	CHECK_A(a, custos_archive_retention_plan(a, at("2025-03-01T00:00:00Z"), &pl));
	CHECK_STR(pl->commit, commit);
	/* 7y beats 1d for x:1 and x:3 (2015): past on 2022-03-01; #legal no longer kept */
	CHECK_INT(pl->n, 2);
	CHECK(plan_find(pl, "x:1") && plan_find(pl, "x:3"));
	custos_retention_plan_free(pl);
	t_free(a);
}

static void test_dispose__the_schedule_in_force_at_the_as_of_date_decides(void)
{
	custos_session_t *a = make_archive();
	custos_retention_plan_t *pl = NULL;
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];
	ingest(a, records, sizeof records / sizeof *records, true);
	set_policy(a, "rules:\n  - name: keep-all\n    match: \"*\"\n    retain: forever\n",
	           "2020-01-01T00:00:00Z", c1);
	set_policy(a, "rules:\n  - name: two-years\n    match: \"*\"\n    retain: 2y\n",
	           "2026-06-01T00:00:00Z", c2);
	CHECK_A(a, custos_archive_retention_plan(a, at("2026-05-01T00:00:00Z"), &pl));
	CHECK_STR(pl->commit, c1);
	CHECK_INT(pl->n, 0);
	custos_retention_plan_free(pl);
	CHECK_A(a, custos_archive_retention_plan(a, at("2026-07-01T00:00:00Z"), &pl));
	CHECK_STR(pl->commit, c2);
	/* x:1, x:3 (2015) and x:2 (2024-06-01: two years on 2026-06-01) */
	CHECK_INT(pl->n, 3);
	CHECK(!plan_find(pl, "mastodon:4"));
	custos_retention_plan_free(pl);
	/* before any schedule: nothing can be disposed */
	CHECK_STATUS(custos_archive_retention_plan(a, at("2019-01-01T00:00:00Z"), &pl),
	             CUSTOS_ENOTFOUND);
	t_free(a);
}

typedef struct { int n; char json[2048]; } tomb_t;
static int tomb_fn(void *ctx, uint64_t seq, const char *json, size_t n)
{
	tomb_t *t = ctx;
	(void)seq;
	t->n++;
	snprintf(t->json, sizeof t->json, "%.*s", (int)n, json);
	return 0;
}

static uint64_t count_query(const char *q)
{
	char path[PATH_CAP];
	custos_index_t *idx = NULL;
	custos_err_t err = { 0 };
	uint64_t n = 0;
	snprintf(path, sizeof path, "%s/index", arch);
	CHECK_OK(custos_index_open(&idx, path, CUSTOS_INDEX_READ, &err));
	CHECK_OK(custos_index_count(idx, &n, q));
	custos_index_free(idx);
	return n;
}

static void test_dispose__apply_leaves_tombstones_and_the_archive_verifies(void)
{
	custos_session_t *a = make_archive();
	custos_retention_plan_t *pl = NULL;
	custos_retention_apply_t ap;
	custos_record_t rec;
	char commit[CUSTOS_COMMIT_HEX];
	static const char *const v2[] = {
		"x:1", "x", "2015-03-01T10:00:00Z", "an old post about the weather, edited",
	};
	custos_record_init(&rec);
	ingest(a, records, sizeof records / sizeof *records, true);
	ingest(a, v2, 4, true);   /* a second version of x:1 */
	set_policy(a, "rules:\n  - name: five-years\n    match: \"*\"\n    retain: 5y\n",
	           "2020-01-01T00:00:00Z", commit);
	CHECK_INT(count_query("weather"), 2);
	CHECK_A(a, custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), &pl, &ap));
	CHECK_INT(pl->n, 2);   /* x:1 and x:3 */
	CHECK_INT(ap.records, 2);
	CHECK_INT(ap.versions, 3);
	custos_retention_plan_free(pl);

	CHECK_STATUS(custos_store_get(t_store(a), "x:1", 0, &rec), CUSTOS_ENOTFOUND);
	tomb_t t = { 0 };
	CHECK_OK(custos_store_tombstones(t_store(a), "x:1", tomb_fn, &t));
	CHECK_INT(t.n, 2);
	CHECK(strstr(t.json, "\"rule\":\"five-years\""));
	CHECK(strstr(t.json, commit));
	CHECK(strstr(t.json, "\"actor\":\"Records Officer\""));
	CHECK(strstr(t.json, "\"content_sha256\":\""));
	CHECK(!strstr(t.json, "weather"));
	CHECK_OK(custos_store_get(t_store(a), "x:2", 0, &rec));
	CHECK_INT(count_query("weather"), 1);

	custos_verify_t v;
	CHECK_A(a, t_verify(a, &v));
	CHECK_INT(v.store.tombstones, 3);
	CHECK_INT(v.store.records, 3);

	/* a second run finds nothing more */
	CHECK_A(a, custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), NULL, &ap));
	CHECK_INT(ap.records, 0);
	custos_record_free(&rec);
	t_free(a);
}

static void test_dispose__holds_keep_records_including_later_captures(void)
{
	custos_session_t *a = make_archive();
	custos_retention_plan_t *pl = NULL;
	custos_retention_apply_t ap;
	custos_hold_report_t rep;
	char commit[CUSTOS_COMMIT_HEX];
	uint64_t matched;
	ingest(a, records, sizeof records / sizeof *records, true);
	set_policy(a, "rules:\n  - name: one-year\n    match: \"*\"\n    retain: 1y\n",
	           "2020-01-01T00:00:00Z", commit);
	/* two matters: one over the weather, one over a word nothing has yet */
	CHECK_A(a, custos_archive_hold_create(a, "weather-case", "weather", "litigation", &matched,
	                                      commit));
	CHECK_INT(matched, 2);
	CHECK_A(a, custos_archive_hold_create(a, "storm-case", "storm", NULL, &matched, commit));
	CHECK_INT(matched, 0);
	static const char *const later[] = {
		"x:10", "x", "2016-01-01T10:00:00Z", "an old post about a storm, captured late",
		"x:11", "x", "2016-01-01T10:00:00Z", "an old post about nothing",
	};
	/* the index service grows the holds as it indexes the new records */
	ingest(a, later, 8, true);
	CHECK_A(a, custos_archive_hold_show(a, "storm-case", &rep));
	CHECK_INT(rep.n, 1);
	CHECK(rep.v[0].member);
	custos_hold_report_free(&rep);
	CHECK_A(a, custos_archive_hold_list(a, &rep));
	CHECK_INT(rep.holds.n, 2);
	CHECK_STR(rep.holds.v[0].name, "storm-case");
	CHECK_INT(rep.covers[0], 1);
	CHECK_INT(rep.covers[1], 2);
	custos_hold_report_free(&rep);

	CHECK_A(a, custos_archive_retention_plan(a, at("2026-11-20T00:00:00Z"), &pl));
	/* past 1y: x:1 x:2 x:3 m:4 x:10 x:11; held: x:1 x:2 (weather), x:10 (storm) */
	CHECK_INT(pl->held, 3);
	CHECK_INT(pl->n, 3);
	CHECK(plan_find(pl, "x:3") && plan_find(pl, "mastodon:4") && plan_find(pl, "x:11"));
	custos_retention_plan_free(pl);

	/* released: its records become eligible */
	CHECK_A(a, custos_archive_hold_release(a, "weather-case", "matter settled", commit));
	CHECK_A(a, custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), &pl, &ap));
	CHECK_INT(pl->n, 5);
	CHECK(!plan_find(pl, "x:10"));
	CHECK_INT(ap.records, 5);
	custos_retention_plan_free(pl);
	CHECK_A(a, custos_archive_hold_show(a, "storm-case", &rep));
	CHECK_INT(rep.n, 1);
	CHECK_STR(rep.v[0].id, "x:10");
	CHECK(rep.v[0].member && rep.v[0].matches);
	custos_hold_report_free(&rep);
	t_free(a);
}

/* Rules and holds must see every record: a run first brings the index up
 * to the store (ingest --no-index left it behind). */
static void test_dispose__apply_catches_the_index_up_and_refuses_a_future_date(void)
{
	custos_session_t *a = make_archive();
	custos_retention_apply_t ap;
	custos_retention_plan_t *pl = NULL;
	char commit[CUSTOS_COMMIT_HEX];
	ingest(a, records, sizeof records / sizeof *records, true);
	set_policy(a, "rules:\n  - name: one-day\n    match: \"*\"\n    retain: 1d\n",
	           "2020-01-01T00:00:00Z", commit);
	CHECK_STATUS(custos_archive_retention_apply(a, custos_time_now() + 86400000LL, NULL, &ap),
	             CUSTOS_EINVAL);
	CHECK(strstr(custos_session_err(a)->msg, "future"));
	custos_record_t rec;
	custos_record_init(&rec);
	CHECK_OK(custos_store_get(t_store(a), "x:1", 0, &rec));
	custos_record_free(&rec);
	static const char *const more[] = { "x:20", "x", "2016-01-01T10:00:00Z", "unindexed" };
	ingest(a, more, 4, false);
	CHECK_A(a, custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), &pl, &ap));
	CHECK(plan_find(pl, "x:20") != NULL);
	CHECK_INT(ap.records, 6);
	custos_retention_plan_free(pl);
	t_free(a);
}

static bool slot_is_zero(const char *file, uint64_t slot)
{
	char path[PATH_CAP];
	uint8_t k[32], z[32] = { 0 };
	snprintf(path, sizeof path, "%s/keys/%s", arch, file);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(pread(fd, k, 32, (off_t)(slot * 32)) == 32);
	close(fd);
	return memcmp(k, z, 32) == 0;
}

static void test_dispose__a_crash_before_shredding_is_finished_by_the_next_writer(void)
{
	custos_session_t *a = make_archive();
	char commit[CUSTOS_COMMIT_HEX];
	ingest(a, records, sizeof records / sizeof *records, true);
	set_policy(a, "rules:\n  - name: five-years\n    match: \"*\"\n    retain: 5y\n",
	           "2020-01-01T00:00:00Z", commit);
	t_free(a);
	apply_killed_at("dispose-before-shred");
	/* tombstones committed, keys not yet shredded */
	CHECK(!slot_is_zero("slots", 1));
	custos_err_t err = { 0 };
	CHECK_OK(t_open(&a, arch, CUSTOS_OPEN_READ, NULL, &err));
	tomb_t t = { 0 };
	CHECK_OK(custos_store_tombstones(t_store(a), "x:1", tomb_fn, &t));
	CHECK_INT(t.n, 1);
	t_free(a);
	/* the next writer shreds them */
	CHECK_OK(t_open(&a, arch, CUSTOS_OPEN_WRITE, NULL, &err));
	CHECK(slot_is_zero("slots", 1));
	CHECK(slot_is_zero("slots", 3));
	CHECK(!slot_is_zero("slots", 2));
	/* the rerun finishes the index side: the documents of disposed records go */
	CHECK_INT(count_query("old"), 2);
	custos_retention_apply_t ap;
	CHECK_A(a, custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), NULL, &ap));
	CHECK_INT(ap.versions, 0);
	CHECK_INT(count_query("old"), 0);
	custos_verify_t v;
	CHECK_A(a, t_verify(a, &v));
	CHECK_INT(v.store.tombstones, 2);
	t_free(a);
}

/* ---- the unrecoverability scan ---------------------------------------------- */

typedef struct {
	const char *needle;
	size_t nlen;
	int found;
	char where[8192];
	uint8_t (*keys)[32];      /* every non-zero key left in keys/slots and keys/items */
	size_t n_keys;
} scan_t;

static bool has(const scan_t *s, const void *p, size_t n)
{
	return n >= s->nlen && memmem(p, n, s->needle, s->nlen) != NULL;
}

/* Tries to decompress a zstd frame at p (with or without magic), looking for
 * the needle in what comes out (up to 1 MB). */
static bool try_zstd(const scan_t *s, ZSTD_DCtx *d, const uint8_t *p, size_t n, bool magicless)
{
	static uint8_t out[1 << 20];
	ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
	ZSTD_DCtx_setParameter(d, ZSTD_d_format, magicless ? ZSTD_f_zstd1_magicless : ZSTD_f_zstd1);
	ZSTD_inBuffer in = { p, n, 0 };
	ZSTD_outBuffer o = { out, sizeof out, 0 };
	size_t r = ZSTD_decompressStream(d, &o, &in);
	(void)r;
	return has(s, out, o.pos);
}

static void scan_bytes(scan_t *s, ZSTD_DCtx *d, const char *name, const uint8_t *p, size_t n,
                       bool every_offset)
{
	static const uint8_t magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	if (has(s, p, n)) {
		s->found++;
		snprintf(s->where, sizeof s->where, "%s (plain)", name);
		return;
	}
	for (size_t i = 0; i + 4 <= n; i++) {
		bool m = !memcmp(p + i, magic, 4);
		if ((m && try_zstd(s, d, p + i, n - i, false)) ||
		    (every_offset && try_zstd(s, d, p + i, n - i > 65536 ? 65536 : n - i, true))) {
			s->found++;
			snprintf(s->where, sizeof s->where, "%s (zstd at %zu)", name, i);
			return;
		}
	}
}

/* The length of the dictionary whose (encrypted) bytes start at q in the
 * file, read from the store's dictionary value that ends with it: u8 format,
 * u64 slot, u32 length, sha256, u8 platform length, platform, u32 n,
 * u64 seqs[n], dictionary. 0 when no such header is found. */
static size_t dict_len_before(const uint8_t *p, size_t q)
{
	for (size_t plen = 1; plen < 32; plen++)
		for (size_t ns = 1; ns <= 5000; ns++) {
			size_t hdr = 50 + plen + 8 * ns;
			if (hdr > q)
				break;
			const uint8_t *v = p + q - hdr;
			if (v[0] != 1 || v[45] != plen)
				continue;
			uint32_t n = (uint32_t)v[46 + plen] << 24 | v[47 + plen] << 16 |
			             v[48 + plen] << 8 | v[49 + plen];
			if (n != ns)
				continue;
			return (size_t)v[9] << 24 | v[10] << 16 | v[11] << 8 | v[12];
		}
	return 0;
}

/* With the keys an attacker would take with the files: every dictionary
 * (found by its magic after decryption with each item key, its length from
 * the value around it) is searched as plain bytes and kept; then every
 * 76-byte record header that looks live, anywhere in the file (live or free
 * pages), is decrypted with every remaining record key under the nonce its
 * header names and decompressed without and with each dictionary found. */
static void scan_with_keys(scan_t *s, ZSTD_DCtx *d, const char *name, const uint8_t *p,
                           size_t n)
{
	static uint8_t buf[1 << 18];
	static const uint8_t dmagic[4] = { 0x37, 0xa4, 0x30, 0xec };
	ZSTD_DDict *dd[16];
	size_t n_dd = 0;
	uint8_t (*ks)[4] = calloc(s->n_keys + 1, 4);
	CHECK(ks);
	for (size_t k = 0; k < s->n_keys; k++)
		crypto_stream_chacha20_ietf_xor(ks[k], ks[k], 4, (uint8_t[12]){ 0 }, s->keys[k]);
	for (size_t i = 0; i + 8 <= n && !s->found; i++) {
		for (size_t k = 0; k < s->n_keys; k++) {
			if (((p[i] ^ ks[k][0]) != dmagic[0]) || ((p[i + 1] ^ ks[k][1]) != dmagic[1]) ||
			    ((p[i + 2] ^ ks[k][2]) != dmagic[2]) || ((p[i + 3] ^ ks[k][3]) != dmagic[3]))
				continue;
			size_t len = n - i > sizeof buf ? sizeof buf : n - i;
			crypto_stream_chacha20_ietf_xor(buf, p + i, len, (uint8_t[12]){ 0 }, s->keys[k]);
			if (has(s, buf, len)) {
				s->found++;
				snprintf(s->where, sizeof s->where, "%s (dictionary at %zu)", name, i);
				break;
			}
			size_t dl = dict_len_before(p, i);
			if (dl && dl <= len && n_dd < 16)
				dd[n_dd++] = ZSTD_createDDict(buf, dl);
		}
	}
	for (size_t i = 0; i + 80 <= n && !s->found; i++) {
		uint32_t version = (uint32_t)p[i + 4] << 24 | p[i + 5] << 16 | p[i + 6] << 8 | p[i + 7];
		if (!(p[i] == 1 && (p[i + 1] & ~2) == 0 && version >= 1 && version < 100))
			continue;
		for (size_t k = 0; k < s->n_keys && !s->found; k++) {
			uint8_t nonce[12] = { 0 };
			nonce[10] = p[i + 2];   /* the dictionary id, the store's nonce (big-endian) */
			nonce[11] = p[i + 3];
			size_t m = n - i - 76 > 8192 ? 8192 : n - i - 76;
			crypto_stream_chacha20_ietf_xor(buf, p + i + 76, m, nonce, s->keys[k]);
			for (size_t j = 0; j <= n_dd; j++) {
				ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
				if (j < n_dd) {
					ZSTD_DCtx_setParameter(d, ZSTD_d_format, ZSTD_f_zstd1_magicless);
					ZSTD_DCtx_refDDict(d, dd[j]);
					static uint8_t out[1 << 16];
					ZSTD_inBuffer in = { buf, m, 0 };
					ZSTD_outBuffer o = { out, sizeof out, 0 };
					(void)ZSTD_decompressStream(d, &o, &in);
					if (!has(s, out, o.pos))
						continue;
				} else if (!try_zstd(s, d, buf, m, true)) {
					continue;
				}
				s->found++;
				snprintf(s->where, sizeof s->where, "%s (record at %zu, key %zu, %s)",
				         name, i, k, j < n_dd ? "with a recovered dictionary" : "no dictionary");
				break;
			}
		}
	}
	for (size_t j = 0; j < n_dd; j++)
		ZSTD_freeDDict(dd[j]);
	free(ks);
}

static void scan_dir(scan_t *s, ZSTD_DCtx *d, const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	CHECK(dh);
	while ((e = readdir(dh))) {
		char path[4400];
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		CHECK(lstat(path, &sb) == 0);
		if (S_ISDIR(sb.st_mode)) {
			scan_dir(s, d, path);
			continue;
		}
		if (!S_ISREG(sb.st_mode) || sb.st_size == 0)
			continue;
		uint8_t *p = malloc((size_t)sb.st_size);
		int fd = open(path, O_RDONLY);
		CHECK(p && fd >= 0);
		CHECK(read(fd, p, (size_t)sb.st_size) == sb.st_size);
		close(fd);
		bool store = strstr(path, "/store/") != NULL;
		scan_bytes(s, d, path, p, (size_t)sb.st_size, store || strstr(path, "/keys/"));
		if (store)
			scan_with_keys(s, d, path, p, (size_t)sb.st_size);
		free(p);
	}
	closedir(dh);
}

static void load_keys(scan_t *s, const char *file)
{
	char path[PATH_CAP];
	struct stat sb;
	snprintf(path, sizeof path, "%s/keys/%s", arch, file);
	if (stat(path, &sb) != 0)
		return;
	uint8_t *p = malloc((size_t)sb.st_size + 1);
	int fd = open(path, O_RDONLY);
	CHECK(p && fd >= 0);
	CHECK(read(fd, p, (size_t)sb.st_size) == sb.st_size);
	close(fd);
	static const uint8_t z[32];
	for (off_t o = 0; o + 32 <= sb.st_size; o += 32) {
		if (!memcmp(p + o, z, 32))
			continue;
		s->keys = realloc(s->keys, (s->n_keys + 1) * sizeof *s->keys);
		memcpy(s->keys[s->n_keys++], p + o, 32);
	}
	free(p);
}

static int scan_archive(const char *needle, char *where, size_t cap)
{
	scan_t s = { needle, strlen(needle), 0, "", NULL, 0 };
	ZSTD_DCtx *d = ZSTD_createDCtx();
	load_keys(&s, "slots");
	load_keys(&s, "items");
	scan_dir(&s, d, arch);
	ZSTD_freeDCtx(d);
	free(s.keys);
	snprintf(where, cap, "%s", s.where);
	return s.found;
}

/* Ingests 30 records of platform y carrying the needle among x records,
 * with dictionaries trained after 26 records so that one holds fragments
 * (fewer samples of these short records are under the 10 KB a dictionary
 * needs, now that they do not carry their file's name and hash). */
static custos_session_t *needle_archive(const char *sub)
{
	static char lines[200][4][160];
	static const char *ptrs[800];
	char dir[4400];
	snprintf(dir, sizeof dir, "%s/%s", check_tmpdir, sub);
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/archive");
	setenv("CUSTOS_TEST_DICT_AFTER", "26", 1);   /* read when the store opens */
	custos_session_t *a = open_new_archive(dir);
	unsetenv("CUSTOS_TEST_DICT_AFTER");
	size_t n = 0;
	for (int i = 0; i < 60; i++) {
		bool secret = i % 2 == 0;
		snprintf(lines[i][0], 160, "%s:%d", secret ? "y" : "x", i);
		snprintf(lines[i][1], 160, "%s", secret ? "y" : "x");
		snprintf(lines[i][2], 160, "2016-01-%02dT10:00:00Z", 1 + i % 28);
		snprintf(lines[i][3], 160, secret ? "the zanzibarquokka formula number %d is secret and "
		                                    "kept in the vault with the other recipes"
		                                  : "an ordinary post number %d about lunch in "
		                                    "the canteen with the other colleagues", i);
		for (int j = 0; j < 4; j++)
			ptrs[n++] = lines[i][j];
	}
	ingest(a, ptrs, n, true);
	char commit[CUSTOS_COMMIT_HEX];
	set_policy(a,
	           "rules:\n  - name: default\n    match: \"*\"\n    retain: forever\n"
	           "  - name: y-one-year\n    match: \"platform:y\"\n    retain: 1y\n"
	           "    from: created_at\n",
	           "2020-01-01T00:00:00Z", commit);
	return a;
}

static void test_dispose__disposed_text_is_found_in_no_file_of_the_archive(void)
{
	/* "forever" on default is the longest: y records are kept... so use a
	 * schedule where y is not under forever: replace it */
	char where[8192];
	custos_retention_apply_t ap;
	custos_store_stats_t st;

	/* the control: the same archive without disposal: the scan finds the text */
	custos_session_t *a = needle_archive("kept");
	CHECK_OK(custos_store_stats(t_store(a), &st));
	CHECK(st.dictionaries >= 1);
	custos_store_stats_free(&st);
	t_free(a);
	CHECK(scan_archive("zanzibarquokka", where, sizeof where) > 0);

	a = needle_archive("disposed");
	char commit[CUSTOS_COMMIT_HEX];
	set_policy(a,
	           "rules:\n  - name: default\n    match: \"NOT platform:y\"\n    retain: forever\n"
	           "  - name: everything\n    match: \"*\"\n    retain: 1y\n",
	           "2020-06-01T00:00:00Z", commit);
	CHECK_A(a, custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), NULL, &ap));
	CHECK_INT(ap.records, 30);
	CHECK(ap.dictionaries >= 1);
	custos_verify_t v;
	CHECK_A(a, t_verify(a, &v));
	CHECK_INT(v.store.records, 30);
	CHECK_INT(v.store.tombstones, 30);
	/* the live records stay readable after their dictionary was retired */
	custos_record_t rec;
	custos_record_init(&rec);
	CHECK_OK(custos_store_get(t_store(a), "x:1", 0, &rec));
	CHECK(strstr(rec.text, "lunch"));
	custos_record_free(&rec);
	t_free(a);
	int found = scan_archive("zanzibarquokka", where, sizeof where);
	if (found)
		check__fail(__FILE__, __LINE__, "disposed text found in %s", where);
	/* the live records' text is still found by the same scan */
	CHECK(scan_archive("ordinary post number 7", where, sizeof where) > 0);
}

static void test_dispose__a_crash_before_dictionary_retirement_is_finished_at_open(void)
{
	char where[8192], commit[CUSTOS_COMMIT_HEX];
	custos_store_stats_t st;
	custos_err_t err = { 0 };
	custos_session_t *a = needle_archive("crash");
	set_policy(a,
	           "rules:\n  - name: default\n    match: \"NOT platform:y\"\n    retain: forever\n"
	           "  - name: everything\n    match: \"*\"\n    retain: 1y\n",
	           "2020-06-01T00:00:00Z", commit);
	CHECK_OK(custos_store_stats(t_store(a), &st));
	uint64_t dicts = st.dictionaries;
	custos_store_stats_free(&st);
	t_free(a);
	apply_killed_at("dispose-before-shred");
	/* the dictionary still holds the fragments: the scan finds them */
	CHECK(scan_archive("zanzibarquokka", where, sizeof where) > 0);
	/* the next writer shreds the keys and retires the dictionary */
	CHECK_OK(t_open(&a, arch, CUSTOS_OPEN_WRITE, NULL, &err));
	CHECK_OK(custos_store_stats(t_store(a), &st));
	CHECK_INT(st.dictionaries, dicts - 1);
	custos_store_stats_free(&st);
	custos_retention_apply_t ap;
	CHECK_A(a, custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), NULL, &ap));
	custos_verify_t v;
	CHECK_A(a, t_verify(a, &v));
	CHECK_INT(v.store.tombstones, 30);
	t_free(a);
	if (scan_archive("zanzibarquokka", where, sizeof where))
		check__fail(__FILE__, __LINE__, "disposed text found in %s", where);
}

static void test_dispose__a_retired_dictionary_is_replaced_by_one_trained_on_live_records(void)
{
	static char lines[80][4][700];
	static const char *ptrs[320];
	static const char *const words[] = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
	                                     "golf", "hotel", "india", "juliet", "kilo", "lima" };
	char dir[4400], commit[CUSTOS_COMMIT_HEX], where[8192];
	custos_store_stats_t st;
	size_t n = 0;
	snprintf(dir, sizeof dir, "%s/archive", check_tmpdir);
	setenv("CUSTOS_TEST_DICT_AFTER", "20", 1);
	custos_session_t *a = open_new_archive(dir);
	unsetenv("CUSTOS_TEST_DICT_AFTER");
	for (int i = 0; i < 80; i++) {
		char text[600] = "";
		for (int w = 0; w < 40; w++)
			snprintf(text + strlen(text), sizeof text - strlen(text), "%s ",
			         words[(i * 7 + w * 3 + w * w) % 12]);
		snprintf(lines[i][0], 700, "y:%d", i);
		snprintf(lines[i][1], 700, "y");
		snprintf(lines[i][2], 700, "2016-01-%02dT10:00:00Z", 1 + i % 28);
		snprintf(lines[i][3], 700, "%s%s number %d", i % 4 == 0 ? "qqsecretqq " : "", text, i);
		for (int j = 0; j < 4; j++)
			ptrs[n++] = lines[i][j];
	}
	ingest(a, ptrs, n, true);
	CHECK_OK(custos_store_stats(t_store(a), &st));
	CHECK_INT(st.dictionaries, 1);
	custos_store_stats_free(&st);
	set_policy(a,
	           "rules:\n  - name: keep\n    match: \"NOT qqsecretqq\"\n    retain: forever\n"
	           "  - name: everything\n    match: \"*\"\n    retain: 1y\n",
	           "2020-06-01T00:00:00Z", commit);
	custos_retention_apply_t ap;
	CHECK_A(a, custos_archive_retention_apply(a, at("2026-11-20T00:00:00Z"), NULL, &ap));
	CHECK_INT(ap.records, 20);
	CHECK_INT(ap.dictionaries, 1);
	CHECK_INT(ap.trained, 1);
	CHECK(ap.recompressed >= 40);
	CHECK_OK(custos_store_stats(t_store(a), &st));
	CHECK_INT(st.dictionaries, 1);
	custos_store_stats_free(&st);
	custos_verify_t v;
	CHECK_A(a, t_verify(a, &v));
	CHECK_INT(v.store.records, 60);
	CHECK_INT(v.store.dictionaries, 1);
	custos_record_t rec;
	custos_record_init(&rec);
	CHECK_OK(custos_store_get(t_store(a), "y:79", 0, &rec));
	CHECK(strstr(rec.text, "number 79"));
	custos_record_free(&rec);
	/* new records go on with the new dictionary */
	static const char *const more[] = { "y:100", "y", "2016-02-01T10:00:00Z",
	                                    "alpha bravo charlie delta echo number 100" };
	ingest(a, more, 4, true);
	CHECK_A(a, t_verify(a, &v));
	t_free(a);
	if (scan_archive("qqsecretqq", where, sizeof where))
		check__fail(__FILE__, __LINE__, "disposed text found in %s", where);
	CHECK(scan_archive("number 79", where, sizeof where) > 0);
	CHECK(strstr(where, "with a recovered dictionary"));   /* y:79 uses the new one */
}

/* Store level: media blobs go with the last live record that uses them. */
static void put_with_media(custos_batch_t *b, const char *id, const char *const *hex, size_t n)
{
	custos_record_t r;
	custos_record_init(&r);
	CHECK_OK(custos_record_sets(&r, &r.id, id));
	CHECK_OK(custos_record_sets(&r, &r.platform, "x"));
	CHECK_OK(custos_record_sets(&r, &r.author_handle, "acme"));
	CHECK_OK(custos_record_sets(&r, &r.text, "a photo"));
	r.created_at = 1600000000000LL;
	for (size_t i = 0; i < n; i++) {
		custos_media_t *m = custos_record_media_add(&r);
		CHECK(m);
		CHECK_OK(custos_record_sets(&r, &m->sha256, hex[i]));
		CHECK_OK(custos_record_sets(&r, &m->type, "image/png"));
	}
	CHECK_OK(custos_store_put(b, &r, NULL));
	custos_record_free(&r);
}

/* A store as an earlier custos left it: no media index. */
static void drop_media_index(void)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi, meta;
	char p[PATH_CAP];
	MDB_val k = { 11, "media-index" };
	snprintf(p, sizeof p, "%s/store", arch);
	CHECK_INT(mdb_env_create(&env), 0);
	CHECK_INT(mdb_env_set_maxdbs(env, 16), 0);
	CHECK_INT(mdb_env_open(env, p, 0, 0600), 0);
	CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	CHECK_INT(mdb_dbi_open(txn, "media", 0, &dbi), 0);
	CHECK_INT(mdb_drop(txn, dbi, 1), 0);
	CHECK_INT(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	CHECK_INT(mdb_del(txn, meta, &k, NULL), 0);
	CHECK_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* A blob goes with the last live record naming it: the media index says
 * which those are without reading the records; a store of an earlier
 * custos gets its index built by the first writer's open. */
static void media_case(bool older)
{
	custos_store_t *st = NULL;
	custos_batch_t *b = NULL;
	custos_err_t err = { 0 };
	char shared[CUSTOS_SHA256_HEX], own[CUSTOS_SHA256_HEX];
	void *p;
	size_t n;
	snprintf(arch, sizeof arch, "%s/archive", check_tmpdir);
	CHECK_OK(custos_store_open(&st, arch, CUSTOS_STORE_CREATE, &err));
	CHECK_OK(custos_store_begin(&b, st));
	CHECK_OK(custos_store_blob_put(b, "shared picture bytes", 20, shared));
	CHECK_OK(custos_store_blob_put(b, "own picture bytes of x:1", 24, own));
	const char *m1[] = { shared, own }, *m2[] = { shared };
	put_with_media(b, "x:1", m1, 2);
	put_with_media(b, "x:2", m2, 1);
	CHECK_OK(custos_store_commit(b, NULL));
	if (older) {
		custos_store_free(st);
		drop_media_index();
		CHECK_OK(custos_store_open(&st, arch, CUSTOS_STORE_READ, &err));
		custos_verify_summary_t v0;
		CHECK_OK(custos_store_verify(st, &v0, NULL, NULL, &err));   /* read as it is */
		custos_store_free(st);
		CHECK_OK(custos_store_open(&st, arch, CUSTOS_STORE_WRITE, &err));
	}

	custos_dispose_item_t it = { "x:1", "rule-a", "0123456789012345678901234567890123456789", 0 };
	custos_dispose_summary_t sum;
	CHECK_OK(custos_store_dispose(st, &it, 1, "tester", 0, &sum));
	CHECK_INT(sum.records, 1);
	CHECK_INT(sum.blobs, 1);
	CHECK_STATUS(custos_store_blob_get(st, own, &p, &n), CUSTOS_ENOTFOUND);
	CHECK_OK(custos_store_blob_get(st, shared, &p, &n));
	free(p);
	CHECK(slot_is_zero("items", 2));    /* the own blob's key (slots start at 1) */
	CHECK(!slot_is_zero("items", 1));
	tomb_t t = { 0 };
	CHECK_OK(custos_store_tombstones(st, "x:1", tomb_fn, &t));
	CHECK(strstr(t.json, own) && strstr(t.json, shared));
	custos_verify_summary_t v;
	CHECK_OK(custos_store_verify(st, &v, NULL, NULL, &err));
	CHECK_INT(v.blobs, 1);

	it.id = "x:2";
	CHECK_OK(custos_store_dispose(st, &it, 1, "tester", 0, &sum));
	CHECK_INT(sum.blobs, 1);
	CHECK_STATUS(custos_store_blob_get(st, shared, &p, &n), CUSTOS_ENOTFOUND);
	CHECK(slot_is_zero("items", 1));
	CHECK_OK(custos_store_verify(st, &v, NULL, NULL, &err));
	CHECK_INT(v.blobs, 0);
	CHECK_INT(v.tombstones, 2);
	custos_store_stats_t s;
	CHECK_OK(custos_store_stats(st, &s));
	CHECK_INT(s.blobs, 0);
	CHECK_INT(s.blob_bytes, 0);
	CHECK_INT(s.tombstones, 2);
	custos_store_stats_free(&s);
	custos_store_free(st);
}

static void test_dispose__media_go_with_the_last_live_record_using_them(void)
{
	media_case(false);
}

static void test_dispose__a_store_without_a_media_index_gets_one_at_its_first_writer(void)
{
	media_case(true);
}

CHECK_MAIN(CHECK_CASE(test_dispose__plan_uses_the_longest_matching_rule_and_names_the_commit),
           CHECK_CASE(test_dispose__the_schedule_in_force_at_the_as_of_date_decides),
           CHECK_CASE(test_dispose__apply_leaves_tombstones_and_the_archive_verifies),
           CHECK_CASE(test_dispose__holds_keep_records_including_later_captures),
           CHECK_CASE(test_dispose__apply_catches_the_index_up_and_refuses_a_future_date),
           CHECK_CASE(test_dispose__a_crash_before_shredding_is_finished_by_the_next_writer),
           CHECK_CASE(test_dispose__disposed_text_is_found_in_no_file_of_the_archive),
           CHECK_CASE(test_dispose__a_crash_before_dictionary_retirement_is_finished_at_open),
           CHECK_CASE(test_dispose__media_go_with_the_last_live_record_using_them),
           CHECK_CASE(test_dispose__a_store_without_a_media_index_gets_one_at_its_first_writer),
           CHECK_CASE(test_dispose__a_retired_dictionary_is_replaced_by_one_trained_on_live_records))
