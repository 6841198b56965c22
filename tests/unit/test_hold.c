/* Legal holds: files in the policy repository, create/list/release as
 * commits, membership that only grows and is anchored in git, lookups for
 * disposition, and hold edits made behind custos's back. */
#include "check.h"
#include "custos_retention.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char arch[4200], repo[4300];

__attribute__((format(printf, 2, 3)))
static int sh(custos_buf_t *out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	if (!f)
		return -1;
	char b[4096];
	size_t n;
	while ((n = fread(b, 1, sizeof b, f)) > 0)
		if (out)
			custos_buf_add(out, b, n);
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *git_out(const char *args)
{
	static custos_buf_t b;
	custos_buf_clear(&b);
	if (sh(&b, "git -C '%s' %s 2>&1", repo, args) != 0)
		check__fail(__FILE__, __LINE__, "git %s failed: %s", args, b.data ? b.data : "");
	return b.data ? b.data : "";
}

static int64_t at(const char *s)
{
	int64_t ms;
	if (custos_time_parse(&ms, s, strlen(s)) != 0)
		check__fail(__FILE__, __LINE__, "bad date %s", s);
	return ms;
}

/* Refuses queries containing FORBIDDEN. */
static int check_q(void *ctx, const char *q, char *msg, size_t cap)
{
	(void)ctx;
	if (strstr(q, "FORBIDDEN")) {
		snprintf(msg, cap, "unknown field FORBIDDEN");
		return 1;
	}
	return 0;
}

static custos_policy_t *open_policy(unsigned flags)
{
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	custos_policy_t *p = NULL;
	custos_err_t err = { 0 };
	snprintf(arch, sizeof arch, "%s/archive", check_tmpdir);
	snprintf(repo, sizeof repo, "%s/policy", arch);
	o.flags = flags;
	o.when = at("2020-01-01T00:00:00Z");   /* before every pinned change */
	o.check_query = check_q;
	int st = custos_policy_open(&p, arch, &o, &err);
	if (st != 0)
		check__fail(__FILE__, __LINE__, "open: %d %s", st, err.msg);
	return p;
}

/* A fake content hash: 64 hex digits derived from a number. */
static const char *h(int n)
{
	static char buf[8][65];
	static int i;
	i = (i + 1) % 8;
	uint8_t d[32];
	custos_sha256(d, &n, sizeof n);
	custos_hex(buf[i], d, 32);
	return buf[i];
}

#define CHECK_P(p, call) do { int s__ = (call); if (s__ != 0) \
	check__fail(__FILE__, __LINE__, "%s: %d %s", #call, s__, custos_policy_err(p)->msg); } while (0)

static void test_hold__create_list_release_are_commits_and_the_file_stays(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	custos_hold_member_t m[] = { { "x:1", h(1) }, { "x:2", h(2) } };
	custos_policy_change_t c = { "Lena Legal", NULL, at("2024-03-01T10:00:00Z") };
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];

	CHECK_P(p, custos_hold_create(p, "acme-v-us", "from:acme OR #acme", "Acme v. US, case 24-117",
	                              m, 2, &c, c1));
	CHECK_STR(git_out("log -1 --format=%an%x09%s"), "Lena Legal\tCreate legal hold acme-v-us\n");
	const char *file = git_out("show HEAD:holds/acme-v-us.json");
	CHECK(strstr(file, "\"status\": \"active\"") != NULL);
	CHECK(strstr(file, "\"query\": \"from:acme OR #acme\"") != NULL);
	CHECK(strstr(file, "\"created_at\": \"2024-03-01T10:00:00Z\"") != NULL);
	CHECK(strstr(file, "\"count\": 2") != NULL);

	custos_holds_t hs;
	CHECK_P(p, custos_hold_list(p, &hs));
	CHECK_INT(hs.n, 1);
	CHECK_STR(hs.v[0].name, "acme-v-us");
	CHECK_STR(hs.v[0].query, "from:acme OR #acme");
	CHECK_STR(hs.v[0].reason, "Acme v. US, case 24-117");
	CHECK_STR(hs.v[0].created_by, "Lena Legal");
	CHECK_INT(hs.v[0].created_at, at("2024-03-01T10:00:00Z"));
	CHECK(hs.v[0].active);
	CHECK_INT(hs.v[0].released_at, CUSTOS_TIME_NONE);
	CHECK(hs.v[0].released_by == NULL);
	CHECK_INT(hs.v[0].members, 2);
	CHECK_INT(hs.v[0].member_ids, 2);
	CHECK_INT(hs.v[0].members_anchored, 2);
	CHECK_STR(hs.v[0].commit, c1);
	custos_holds_free(&hs);

	/* a name is never reused, not even after release */
	CHECK_STATUS(custos_hold_create(p, "acme-v-us", "x", NULL, NULL, 0, &c, c2), CUSTOS_EEXISTS);

	custos_policy_change_t r = { "Lena Legal", NULL, at("2024-09-01T10:00:00Z") };
	CHECK_STATUS(custos_hold_release(p, "acme-v-us", "", &r, c2), CUSTOS_EINVAL);
	CHECK_P(p, custos_hold_release(p, "acme-v-us", "Settled 2024-08-30", &r, c2));
	CHECK_STR(git_out("log -1 --format=%an%x09%s"),
	          "Lena Legal\tRelease legal hold acme-v-us: Settled 2024-08-30\n");
	CHECK_P(p, custos_hold_get(p, "acme-v-us", &hs));
	CHECK_INT(hs.n, 1);
	CHECK(!hs.v[0].active);
	CHECK_INT(hs.v[0].released_at, at("2024-09-01T10:00:00Z"));
	CHECK_STR(hs.v[0].released_by, "Lena Legal");
	CHECK_STR(hs.v[0].release_reason, "Settled 2024-08-30");
	CHECK_STR(hs.v[0].commit, c2);
	CHECK_INT(hs.v[0].members, 2);
	custos_holds_free(&hs);
	/* the file stays, its history shows both states */
	CHECK(strstr(git_out("show HEAD:holds/acme-v-us.json"), "\"status\": \"released\"") != NULL);
	CHECK_STR(git_out("log --format=%s -- holds/acme-v-us.json"),
	          "Release legal hold acme-v-us: Settled 2024-08-30\nCreate legal hold acme-v-us\n");

	CHECK_STATUS(custos_hold_release(p, "acme-v-us", "again", &r, c2), CUSTOS_EINVAL);
	custos_hold_member_t late[] = { { "x:3", h(3) } };
	CHECK_STATUS(custos_hold_add_members(p, "acme-v-us", late, 1, NULL), CUSTOS_EINVAL);
	CHECK_STATUS(custos_hold_release(p, "nope", "r", &r, c2), CUSTOS_ENOTFOUND);
	CHECK_STATUS(custos_hold_get(p, "nope", &hs), CUSTOS_ENOTFOUND);
	custos_policy_free(p);
}

static void test_hold__bad_names_and_queries_are_refused_without_a_commit(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	const char *before = git_out("rev-list --count HEAD");
	CHECK_STR(before, "1\n");
	const char *bad[] = { "", "a b", "../x", "a/b", ".hidden", "caf\xc3\xa9", "x\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_STATUS(custos_hold_create(p, bad[i], "q", NULL, NULL, 0, NULL, NULL), CUSTOS_EINVAL);
	CHECK_STATUS(custos_hold_create(p, "ok", "", NULL, NULL, 0, NULL, NULL), CUSTOS_EINVAL);
	CHECK_STATUS(custos_hold_create(p, "ok", "FORBIDDEN:x", NULL, NULL, 0, NULL, NULL), CUSTOS_EFORMAT);
	CHECK(strstr(custos_policy_err(p)->msg, "unknown field FORBIDDEN") != NULL);
	custos_hold_member_t badm[] = { { "x:1", "ABC" } };
	CHECK_STATUS(custos_hold_create(p, "ok", "q", NULL, badm, 1, NULL, NULL), CUSTOS_EINVAL);
	/* an id with a control character or a blank at an end (blanks inside are ids) */
	custos_hold_member_t nl[] = { { "x:1\n", h(1) } }, blank[] = { { "x:1 ", h(1) } };
	CHECK_STATUS(custos_hold_create(p, "ok", "q", NULL, nl, 1, NULL, NULL), CUSTOS_EINVAL);
	CHECK_STATUS(custos_hold_create(p, "ok", "q", NULL, blank, 1, NULL, NULL), CUSTOS_EINVAL);
	CHECK_STR(git_out("rev-list --count HEAD"), "1\n");
	/* the allowed alphabet */
	CHECK_P(p, custos_hold_create(p, "Matter_2024.v2-b", "q", NULL, NULL, 0, NULL, NULL));
	custos_policy_free(p);
}

static void test_hold__text_json_cannot_hold_is_refused_before_anything_is_written(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	custos_policy_change_t c = { "Lena Legal", NULL, at("2024-03-01T10:00:00Z") };
	custos_hold_member_t m[] = { { "x:1", h(1) } };
	char c1[CUSTOS_COMMIT_HEX];
	struct stat st;
	char members[4400];
	snprintf(members, sizeof members, "%s/holds/m1.members", arch);

	/* jansson drops a string that is not UTF-8: the hold would have no
	 * reason, and every later read of the holds would fail */
	CHECK_STATUS(custos_hold_create(p, "m1", "q", "r\xfe", m, 1, &c, c1), CUSTOS_EINVAL);
	CHECK_STR(custos_policy_err(p)->msg, "hold m1: reason is not valid UTF-8 (byte 2)");
	CHECK_STATUS(custos_hold_create(p, "m1", "q\xff", "r", m, 1, &c, c1), CUSTOS_EINVAL);
	CHECK_STATUS(custos_hold_create(p, "m1", "q", "r\x1b[2J", m, 1, &c, c1), CUSTOS_EINVAL);
	custos_policy_change_t bad_actor = { "Lena\xff", NULL, 0 };
	CHECK_STATUS(custos_hold_create(p, "m1", "q", "r", m, 1, &bad_actor, c1), CUSTOS_EINVAL);
	CHECK_STR(custos_policy_err(p)->msg, "hold m1: actor is not valid UTF-8 (byte 5)");
	custos_policy_change_t nl_actor = { "Lena\nLegal", NULL, 0 };
	CHECK_STATUS(custos_hold_create(p, "m1", "q", "r", m, 1, &nl_actor, c1), CUSTOS_EINVAL);
	CHECK_STR(git_out("rev-list --count HEAD"), "1\n");
	CHECK(stat(members, &st) != 0);

	/* a reason may run over lines; the actor may carry an email */
	custos_policy_change_t jane = { "Jane Doe <jane@acme.com>", NULL, at("2024-03-01T10:00:00Z") };
	CHECK_P(p, custos_hold_create(p, "m1", "q", "Acme v. US\ncase 24-117", m, 1, &jane, c1));
	CHECK_STR(git_out("log -1 --format=%an%x09%ae"), "Jane Doe\tjane@acme.com\n");
	custos_holds_t hs;
	CHECK_P(p, custos_hold_list(p, &hs));
	CHECK_INT(hs.n, 1);
	CHECK_STR(hs.v[0].reason, "Acme v. US\ncase 24-117");
	CHECK_STR(hs.v[0].created_by, "Jane Doe <jane@acme.com>");
	custos_holds_free(&hs);
	CHECK_STATUS(custos_hold_release(p, "m1", "done\r", &jane, c1), CUSTOS_EINVAL);
	CHECK_STATUS(custos_hold_release(p, "m1", "\xc3", &jane, c1), CUSTOS_EINVAL);
	CHECK_STR(git_out("rev-list --count HEAD"), "2\n");
	/* a long reason is cut in the commit message, never inside a character */
	char reason[800] = "x";   /* then byte 300 falls inside an "é" */
	for (int i = 0; i < 150; i++)
		strcat(reason, "\xc3\xa9t\xc3\xa9");   /* 5 bytes: "été" */
	CHECK_P(p, custos_hold_release(p, "m1", reason, &jane, c1));
	const char *subject = git_out("log -1 --format=%s");
	CHECK_INT(custos_utf8_check(subject, strlen(subject)), strlen(subject));
	CHECK_INT(sh(NULL, "git -C '%s' fsck --strict >/dev/null 2>&1", repo), 0);
	custos_policy_free(p);
}

typedef struct { custos_buf_t b; int stop_at; int n; } collect_t;
static int collect(void *ctx, const char *id, const char *sha)
{
	collect_t *c = ctx;
	c->n++;
	custos_buf_printf(&c->b, "%s=%.8s\n", id, sha);
	return c->stop_at && c->n == c->stop_at ? 42 : 0;
}

static void test_hold__membership_only_grows_and_covers_later_captures(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	custos_hold_member_t m0[] = { { "x:1", h(1) }, { "x:2", h(2) } };
	CHECK_P(p, custos_hold_create(p, "matter-a", "from:acme", "A", m0, 2, NULL, NULL));
	CHECK_P(p, custos_hold_create(p, "matter-b", "#recall", "B", NULL, 0, NULL, NULL));

	/* later captures join; repeats add nothing; a new version of x:1 adds an entry */
	size_t added = 99;
	custos_hold_member_t m1[] = { { "x:2", h(2) }, { "x:3", h(3) }, { "x:3", h(3) },
	                              { "x:1", h(11) } };
	CHECK_P(p, custos_hold_add_members(p, "matter-a", m1, 4, &added));
	CHECK_INT(added, 2);
	custos_hold_member_t m2[] = { { "x:3", h(3) }, { "mastodon:9", h(9) } };
	CHECK_P(p, custos_hold_add_members(p, "matter-b", m2, 2, &added));
	CHECK_INT(added, 2);

	custos_holds_t hs;
	CHECK_P(p, custos_hold_get(p, "matter-a", &hs));
	CHECK_INT(hs.v[0].members, 4);
	CHECK_INT(hs.v[0].member_ids, 3);
	CHECK_INT(hs.v[0].members_anchored, 2);
	custos_holds_free(&hs);

	collect_t c = { { 0 }, 0, 0 };
	char want[512];
	snprintf(want, sizeof want, "x:1=%.8s\nx:2=%.8s\nx:3=%.8s\nx:1=%.8s\n", h(1), h(2), h(3), h(11));
	CHECK_P(p, custos_hold_members(p, "matter-a", collect, &c));
	CHECK_STR(c.b.data, want);
	custos_buf_free(&c.b);
	collect_t stop = { { 0 }, 2, 0 };
	CHECK_INT(custos_hold_members(p, "matter-a", collect, &stop), 42);
	CHECK_INT(stop.n, 2);
	custos_buf_free(&stop.b);

	/* disposition's view: x:3 is under both, x:2 under one, others free */
	custos_holdset_t *s = NULL;
	const char *names[4];
	CHECK_P(p, custos_holdset_load(&s, p));
	CHECK_INT(custos_holdset_covers(s, "x:3", names, 4), 2);
	CHECK((strcmp(names[0], "matter-a") == 0 && strcmp(names[1], "matter-b") == 0) ||
	      (strcmp(names[1], "matter-a") == 0 && strcmp(names[0], "matter-b") == 0));
	CHECK_INT(custos_holdset_covers(s, "x:2", names, 4), 1);
	CHECK_STR(names[0], "matter-a");
	CHECK_INT(custos_holdset_covers(s, "mastodon:9", NULL, 0), 1);
	CHECK_INT(custos_holdset_covers(s, "x:4", names, 4), 0);
	CHECK_INT(custos_holdset_covers(s, "x:", names, 4), 0);
	custos_holdset_free(s);

	/* durable: a fresh handle (another process) sees the same */
	custos_policy_free(p);
	p = open_policy(0);
	CHECK_P(p, custos_hold_list(p, &hs));
	CHECK_INT(hs.n, 2);
	CHECK_STR(hs.v[0].name, "matter-a");
	CHECK_INT(hs.v[0].members, 4);
	CHECK_STR(hs.v[1].name, "matter-b");
	CHECK_INT(hs.v[1].members, 2);
	CHECK_INT(hs.v[1].members_anchored, 0);
	custos_holds_free(&hs);

	/* a checkpoint anchors the grown membership in one commit */
	char ck[CUSTOS_COMMIT_HEX];
	custos_policy_change_t cc = { "custos", NULL, 0 };
	CHECK_P(p, custos_hold_checkpoint(p, &cc, ck));
	CHECK_INT(strlen(ck), 40);
	CHECK_STR(git_out("log -1 --format=%s --name-only"),
	          "Record the membership of legal holds\n\nholds/matter-a.json\nholds/matter-b.json\n");
	CHECK_P(p, custos_hold_checkpoint(p, &cc, ck));
	CHECK_STR(ck, "");
	CHECK_P(p, custos_hold_get(p, "matter-b", &hs));
	CHECK_INT(hs.v[0].members_anchored, 2);
	custos_holds_free(&hs);

	/* released holds no longer protect, but their record stays */
	CHECK_P(p, custos_hold_release(p, "matter-a", "dismissed", NULL, NULL));
	CHECK_P(p, custos_holdset_load(&s, p));
	CHECK_INT(custos_holdset_covers(s, "x:2", names, 4), 0);
	CHECK_INT(custos_holdset_covers(s, "x:3", names, 4), 1);
	CHECK_STR(names[0], "matter-b");
	custos_holdset_free(s);
	custos_policy_free(p);
}

static void members_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/holds/%s.members", arch, name);
}

static void test_hold__membership_lost_behind_custos_back_is_detected(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	custos_hold_member_t m0[] = { { "x:1", h(1) }, { "x:2", h(2) }, { "x:3", h(3) } };
	CHECK_P(p, custos_hold_create(p, "m", "q", NULL, m0, 3, NULL, NULL));
	custos_policy_free(p);
	char path[4400];
	members_path(path, sizeof path, "m");
	struct stat st;
	CHECK(stat(path, &st) == 0);

	/* someone cuts the last entry off while a disposition run holds the set */
	p = open_policy(0);
	custos_holds_t hs;
	custos_holdset_t *s = NULL;
	CHECK_P(p, custos_holdset_load(&s, p));
	CHECK(truncate(path, st.st_size - 66) == 0);
	CHECK_STATUS(custos_hold_list(p, &hs), CUSTOS_ECORRUPT);
	CHECK(strstr(custos_policy_err(p)->msg, "shrank") != NULL);
	CHECK_INT(custos_holdset_covers(s, "x:3", NULL, 0), 1);   /* the set is still sound */
	CHECK_STATUS(custos_hold_get(p, "m", &hs), CUSTOS_ECORRUPT);   /* and the failure sticks */
	custos_holdset_free(s);
	s = NULL;
	custos_policy_free(p);
	p = open_policy(0);
	CHECK_STATUS(custos_hold_list(p, &hs), CUSTOS_ECORRUPT);
	CHECK(strstr(custos_policy_err(p)->msg, "has 2 entries, the policy repository recorded 3") != NULL);
	CHECK_STATUS(custos_holdset_load(&s, p), CUSTOS_ECORRUPT);
	CHECK(s == NULL);
	custos_hold_member_t more[] = { { "x:9", h(9) } };
	CHECK_STATUS(custos_hold_add_members(p, "m", more, 1, NULL), CUSTOS_ECORRUPT);
	custos_policy_free(p);

	/* or swaps an entry for another of the same length */
	char cmd[9000];
	snprintf(cmd, sizeof cmd, "printf 'x:1 %s\\nx:7 %s\\nx:3 %s\\n' > '%s'", h(1), h(2), h(3), path);
	CHECK_INT(sh(NULL, "%s", cmd), 0);
	p = open_policy(0);
	CHECK_STATUS(custos_hold_list(p, &hs), CUSTOS_ECORRUPT);
	CHECK(strstr(custos_policy_err(p)->msg, "differ from those the policy repository recorded") != NULL);
	custos_policy_free(p);

	/* the original bytes restore it */
	snprintf(cmd, sizeof cmd, "printf 'x:1 %s\\nx:2 %s\\nx:3 %s\\n' > '%s'", h(1), h(2), h(3), path);
	CHECK_INT(sh(NULL, "%s", cmd), 0);
	p = open_policy(0);
	CHECK_P(p, custos_hold_list(p, &hs));
	CHECK_INT(hs.v[0].members, 3);
	custos_holds_free(&hs);
	custos_policy_free(p);
}

static void test_hold__torn_append_is_ignored_and_overwritten(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	custos_hold_member_t m0[] = { { "x:1", h(1) } };
	CHECK_P(p, custos_hold_create(p, "m", "q", NULL, m0, 1, NULL, NULL));
	custos_policy_free(p);
	/* a crash in the middle of an append leaves half a line */
	char path[4400];
	members_path(path, sizeof path, "m");
	CHECK_INT(sh(NULL, "printf 'x:2 abc' >> '%s'", path), 0);
	p = open_policy(0);
	custos_holds_t hs;
	CHECK_P(p, custos_hold_get(p, "m", &hs));
	CHECK_INT(hs.v[0].members, 1);
	custos_holds_free(&hs);
	custos_hold_member_t m1[] = { { "x:2", h(2) } };
	CHECK_P(p, custos_hold_add_members(p, "m", m1, 1, NULL));
	custos_policy_free(p);
	custos_buf_t b = { 0 };
	CHECK_INT(sh(&b, "cat '%s'", path), 0);
	char want[300];
	snprintf(want, sizeof want, "x:1 %s\nx:2 %s\n", h(1), h(2));
	CHECK_STR(b.data, want);
	custos_buf_free(&b);
}

static void test_hold__member_file_left_by_a_crashed_create_is_replaced(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char dir[4400], path[4400];
	snprintf(dir, sizeof dir, "%s/holds", arch);
	CHECK(mkdir(dir, 0755) == 0);
	members_path(path, sizeof path, "m");
	CHECK_INT(sh(NULL, "printf 'x:66 %s\\n' > '%s'", h(66), path), 0);
	custos_hold_member_t m0[] = { { "x:1", h(1) } };
	CHECK_P(p, custos_hold_create(p, "m", "q", NULL, m0, 1, NULL, NULL));
	custos_holdset_t *s = NULL;
	CHECK_P(p, custos_holdset_load(&s, p));
	CHECK_INT(custos_holdset_covers(s, "x:1", NULL, 0), 1);
	CHECK_INT(custos_holdset_covers(s, "x:66", NULL, 0), 0);
	custos_holdset_free(s);
	custos_policy_free(p);
}

/* Clones, runs snippet in the clone, commits as Mallory and pushes. */
static void foreign_commit(const char *snippet)
{
	char clone[4400];
	snprintf(clone, sizeof clone, "%s/clone", check_tmpdir);
	sh(NULL, "rm -rf '%s'", clone);
	custos_buf_t out = { 0 };
	int st = sh(&out, "git clone -q '%s' '%s' 2>&1 && cd '%s' && %s && git -c user.name=Mallory "
	            "-c user.email=m@example.com commit -q -a -m 'hand edit' 2>&1 && "
	            "git push -q origin HEAD:main 2>&1", repo, clone, clone, snippet);
	if (st != 0)
		check__fail(__FILE__, __LINE__, "foreign commit failed: %s", out.data ? out.data : "");
	custos_buf_free(&out);
}

static void test_hold__hold_edits_made_with_git_cannot_shrink_a_hold(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	const char *S = "rules:\n  - {name: default, match: \"*\", retain: 7y}\n";
	CHECK_P(p, custos_policy_set(p, S, strlen(S), NULL, NULL));
	custos_hold_member_t m0[] = { { "x:1", h(1) } };
	CHECK_P(p, custos_hold_create(p, "m", "from:acme", "r", m0, 1, NULL, NULL));
	custos_policy_free(p);
	custos_err_t err = { 0 };
	char known[64];
	snprintf(known, sizeof known, "%s", git_out("rev-parse refs/custos/known"));

	foreign_commit("git rm -q holds/m.json");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "holds/m.json was removed: a hold is released, never deleted") != NULL);
	CHECK_STR(git_out("rev-parse refs/custos/known"), known);
	git_out("update-ref refs/heads/main HEAD~1");   /* undo, for the next case */

	foreign_commit("sed -i 's/from:acme/from:acme-corp/' holds/m.json");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "the query of an active hold was changed") != NULL);
	git_out("update-ref refs/heads/main HEAD~1");

	foreign_commit("sed -i 's/\"count\": 1/\"count\": 0/' holds/m.json");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "membership shrank from 1 to 0") != NULL);
	git_out("update-ref refs/heads/main HEAD~1");

	foreign_commit("echo '{not json' > holds/m.json");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "holds/m.json: line 1") != NULL);
	git_out("update-ref refs/heads/main HEAD~1");

	/* a new hold added by hand is checked like one made with custos */
	foreign_commit("sed 's/\"m\"/\"n\"/; s/from:acme/FORBIDDEN:x/' holds/m.json > holds/n.json && "
	               "git add holds/n.json");
	CHECK_STATUS(custos_policy_open(&p, arch, &(custos_policy_opts_t){ .check_query = check_q }, &err),
	             CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "holds/n.json: bad query 'FORBIDDEN:x': unknown field FORBIDDEN") != NULL);
	git_out("update-ref refs/heads/main HEAD~1");

	/* a well-formed release by hand is a normal commit: accepted, reported */
	foreign_commit("sed -i 's/\"status\": \"active\"/\"status\": \"released\", "
	               "\"released_at\": \"2025-01-01T00:00:00Z\", \"released_by\": \"Mallory\", "
	               "\"release_reason\": \"by hand\"/' holds/m.json");
	p = open_policy(0);
	CHECK_INT(custos_policy_foreign(p)->n, 1);
	CHECK_STR(custos_policy_foreign(p)->v[0].changes[0], "M holds/m.json");
	custos_holds_t hs;
	CHECK_P(p, custos_hold_get(p, "m", &hs));
	CHECK(!hs.v[0].active);
	CHECK_STR(hs.v[0].released_by, "Mallory");
	custos_holds_free(&hs);
	custos_policy_free(p);
}

typedef struct { custos_buf_t b; } listed_t;

static int listed_fn(void *ctx, const char *id, const char *sha)
{
	listed_t *l = ctx;
	CHECK(sha == NULL);
	custos_buf_printf(&l->b, "%s;", id);
	return 0;
}

static void test_hold__a_hold_by_ids_covers_them_captured_or_not(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	const char *ids[] = { "x:9", "x:1", "x:1", "x:77" };
	custos_hold_def_t def = { NULL, "keep these", ids, 4, true };
	custos_hold_member_t m[] = { { "x:1", h(1) } };
	char c1[CUSTOS_COMMIT_HEX];
	CHECK_P(p, custos_hold_place(p, "listed", &def, m, 1, NULL, c1));
	/* the list is committed sorted, each id once, and anchored */
	CHECK_STR(git_out("show HEAD:holds/listed.ids"), "x:1\nx:77\nx:9\n");
	CHECK(strstr(git_out("show HEAD:holds/listed.json"), "\"with_thread\": true") != NULL);
	CHECK(strstr(git_out("show HEAD:holds/listed.json"), "\"count\": 3") != NULL);
	custos_holds_t hs;
	CHECK_P(p, custos_hold_get(p, "listed", &hs));
	CHECK_STR(hs.v[0].query, "");
	CHECK_INT(hs.v[0].listed, 3);
	CHECK(hs.v[0].with_thread);
	custos_holds_free(&hs);
	listed_t l = { { 0 } };
	CHECK_P(p, custos_hold_listed(p, "listed", listed_fn, &l));
	CHECK_STR(l.b.data, "x:1;x:77;x:9;");
	custos_buf_free(&l.b);
	/* a listed id is covered before it is ever captured; a member too */
	custos_holdset_t *set = NULL;
	CHECK_P(p, custos_holdset_load(&set, p));
	CHECK_INT(custos_holdset_covers(set, "x:77", NULL, 0), 1);
	CHECK_INT(custos_holdset_covers(set, "x:1", NULL, 0), 1);
	CHECK_INT(custos_holdset_covers(set, "x:2", NULL, 0), 0);
	custos_holdset_free(set);
	CHECK(custos_hold_lists(p, "listed", "x:9") && !custos_hold_lists(p, "listed", "x:2"));
	CHECK(custos_hold_has_member(p, "listed", "x:1") && !custos_hold_has_member(p, "listed", "x:9"));
	/* neither a query nor ids; an id with a tab */
	custos_hold_def_t none = { "", NULL, NULL, 0, false };
	CHECK_STATUS(custos_hold_place(p, "none", &none, NULL, 0, NULL, NULL), CUSTOS_EINVAL);
	const char *bad[] = { "x:1", "x\t2" };
	custos_hold_def_t badd = { NULL, NULL, bad, 2, false };
	CHECK_STATUS(custos_hold_place(p, "bad", &badd, NULL, 0, NULL, NULL), CUSTOS_EINVAL);
	CHECK(strstr(custos_policy_err(p)->msg, "id 2 ('x\\x092') is not a record id") != NULL);
	custos_policy_free(p);

	/* the list cannot be changed, nor the conversations dropped, by hand */
	foreign_commit("echo x:1 > holds/listed.ids");
	custos_err_t err = { 0 };
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "holds/listed.json: holds/listed.ids is not the id list the hold "
	             "anchors") != NULL);
	git_out("update-ref refs/heads/main HEAD~1");
	foreign_commit("sed -i 's/\"with_thread\": true/\"with_thread\": false/' holds/listed.json");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "an active hold stopped covering whole conversations") != NULL);
	git_out("update-ref refs/heads/main HEAD~1");
	foreign_commit("git rm -q holds/listed.ids");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "its id list holds/listed.ids is missing") != NULL);
	git_out("update-ref refs/heads/main HEAD~1");
	p = open_policy(0);
	CHECK_INT(custos_policy_foreign(p)->n, 0);
	custos_policy_free(p);
}

static void test_hold__membership_at_scale_loads_and_looks_up_fast(void)
{
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	enum { N = 100000, BATCH = 10000 };
	CHECK_P(p, custos_hold_create(p, "big", "q", NULL, NULL, 0, NULL, NULL));
	static char ids[BATCH][24], shas[BATCH][65];
	static custos_hold_member_t m[BATCH];
	int64_t t0 = custos_time_now();
	for (int b = 0; b < N / BATCH; b++) {
		for (int i = 0; i < BATCH; i++) {
			snprintf(ids[i], sizeof ids[i], "x:%d", b * BATCH + i);
			memcpy(shas[i], h(b * BATCH + i), 65);
			m[i].id = ids[i];
			m[i].sha256 = shas[i];
		}
		size_t added = 0;
		CHECK_P(p, custos_hold_add_members(p, "big", m, BATCH, &added));
		CHECK_INT(added, BATCH);
	}
	int64_t t1 = custos_time_now();
	custos_policy_free(p);
	p = open_policy(0);
	custos_holdset_t *s = NULL;
	CHECK_P(p, custos_holdset_load(&s, p));
	int64_t t2 = custos_time_now();
	size_t hits = 0;
	char id[32];
	for (int i = 0; i < 2 * N; i++) {
		snprintf(id, sizeof id, "x:%d", i);
		hits += custos_holdset_covers(s, id, NULL, 0);
	}
	int64_t t3 = custos_time_now();
	CHECK_INT(hits, N);
	printf("  %d members: add %lld ms (%d batches), load %lld ms, %d lookups %lld ms\n",
	       N, (long long)(t1 - t0), N / BATCH, (long long)(t2 - t1), 2 * N, (long long)(t3 - t2));
	custos_holdset_free(s);
	custos_policy_free(p);
}

CHECK_MAIN(CHECK_CASE(test_hold__create_list_release_are_commits_and_the_file_stays),
           CHECK_CASE(test_hold__bad_names_and_queries_are_refused_without_a_commit),
           CHECK_CASE(test_hold__text_json_cannot_hold_is_refused_before_anything_is_written),
           CHECK_CASE(test_hold__membership_only_grows_and_covers_later_captures),
           CHECK_CASE(test_hold__membership_lost_behind_custos_back_is_detected),
           CHECK_CASE(test_hold__torn_append_is_ignored_and_overwritten),
           CHECK_CASE(test_hold__member_file_left_by_a_crashed_create_is_replaced),
           CHECK_CASE(test_hold__hold_edits_made_with_git_cannot_shrink_a_hold),
           CHECK_CASE(test_hold__a_hold_by_ids_covers_them_captured_or_not),
           CHECK_CASE(test_hold__membership_at_scale_loads_and_looks_up_fast))
