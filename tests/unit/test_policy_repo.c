/* The policy repository through libgit2, checked with the git command as an
 * independent client: schedules, history, diff, documents, commits made
 * behind custos's back, concurrent writers. */
#include "check.h"
#include "custos_retention.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char arch[4200], repo[4300];

static void paths(void)
{
	snprintf(arch, sizeof arch, "%s/archive", check_tmpdir);
	snprintf(repo, sizeof repo, "%s/policy", arch);
}

/* Runs a shell command; returns its exit status. Output to out (may be NULL). */
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

static custos_policy_t *open_policy(unsigned flags)
{
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	custos_policy_t *p = NULL;
	custos_err_t err = { 0 };
	o.flags = flags;
	o.when = at("2020-01-01T00:00:00Z");   /* before every pinned change */
	o.actor = "admin";
	int st = custos_policy_open(&p, arch, &o, &err);
	if (st != 0)
		check__fail(__FILE__, __LINE__, "open: %d %s", st, err.msg);
	return p;
}

static const char *S1 =
	"rules:\n"
	"  - name: default\n"
	"    match: \"*\"\n"
	"    retain: 7y\n";
static const char *S2 =
	"rules:\n"
	"  - name: default\n"
	"    match: \"*\"\n"
	"    retain: 10y\n"
	"  - name: support-replies\n"
	"    match: \"platform:x kind:reply\"\n"
	"    retain: 90d\n";

static void set(custos_policy_t *p, const char *text, const char *actor, const char *msg,
                const char *when, char out[CUSTOS_COMMIT_HEX])
{
	custos_policy_change_t c = { actor, msg, at(when) };
	int st = custos_policy_set(p, text, strlen(text), &c, out);
	if (st != 0)
		check__fail(__FILE__, __LINE__, "set: %d %s", st, custos_policy_err(p)->msg);
}

static void test_policy__create_makes_a_bare_repository_git_can_clone(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	CHECK_STR(custos_policy_path(p), repo);
	CHECK_INT(custos_policy_foreign(p)->n, 0);
	CHECK_STR(git_out("rev-parse --is-bare-repository"), "true\n");
	CHECK_STR(git_out("log --format=%an%x09%ae%x09%cn%x09%s"),
	          "admin\tadmin@custos.invalid\tcustos\tCreate the policy repository\n");
	CHECK_STR(git_out("symbolic-ref HEAD"), "refs/heads/main\n");
	CHECK_INT(sh(NULL, "git clone -q '%s' '%s/clone' 2>&1", repo, check_tmpdir), 0);
	CHECK_INT(sh(NULL, "test -f '%s/clone/README.md'", check_tmpdir), 0);
	CHECK_INT(sh(NULL, "git -C '%s' fsck --strict 2>&1", repo), 0);
	custos_policy_free(p);
	/* opening again neither needs CREATE nor changes anything */
	p = open_policy(0);
	CHECK_INT(custos_policy_foreign(p)->n, 0);
	custos_policy_free(p);
	/* no repository and no CREATE: not found */
	custos_policy_t *q = NULL;
	custos_err_t err = { 0 };
	char other[4300];
	snprintf(other, sizeof other, "%s/none", check_tmpdir);
	CHECK_STATUS(custos_policy_open(&q, other, NULL, &err), CUSTOS_ENOTFOUND);
	CHECK(q == NULL);
	CHECK(strstr(err.msg, "policy") != NULL);
}

static void test_policy__set_commits_schedule_with_actor_as_author(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];
	custos_schedule_t *s = NULL;

	/* before any schedule: nothing in force */
	CHECK_STATUS(custos_policy_schedule_at(p, NULL, &s), CUSTOS_ENOTFOUND);
	CHECK(s == NULL);
	set(p, S1, "Carol Compliance", "Adopt the 2024 schedule", "2024-01-10T09:00:00Z", c1);
	CHECK_INT(strlen(c1), 40);
	char want[200];
	snprintf(want, sizeof want, "%s\n", c1);
	CHECK_STR(git_out("rev-parse HEAD"), want);
	CHECK_STR(git_out("log -1 --format=%an%x09%ae%x09%s%x09%cI"),
	          "Carol Compliance\tCarol_Compliance@custos.invalid\tAdopt the 2024 schedule\t"
	          "2024-01-10T09:00:00+00:00\n");
	CHECK_STR(git_out("show HEAD:retention.yaml"), S1);

	CHECK_OK(custos_policy_schedule_at(p, NULL, &s));
	CHECK_STR(s->commit, c1);
	CHECK_INT(s->commit_time, at("2024-01-10T09:00:00Z"));
	CHECK_INT(s->n_rules, 1);
	CHECK_STR(s->text, S1);
	custos_schedule_free(s);

	/* the same text again: no empty commit */
	set(p, S1, "Carol Compliance", NULL, "2024-01-11T09:00:00Z", c2);
	CHECK_STR(c2, c1);
	CHECK_STR(git_out("rev-list --count HEAD"), "2\n");
	/* a default message when none is given */
	set(p, S2, NULL, NULL, "2024-01-12T09:00:00Z", c2);
	CHECK_STR(git_out("log -1 --format=%an%x09%s"), "custos\tSet the retention schedule\n");
	custos_policy_free(p);
}

static void set_fails(custos_policy_t *p, const char *text, const char *want_prefix)
{
	custos_policy_change_t c = { "eve", "broken", 0 };
	char out[CUSTOS_COMMIT_HEX] = "untouched";
	int st = custos_policy_set(p, text, strlen(text), &c, out);
	if (st != CUSTOS_EFORMAT)
		check__fail(__FILE__, __LINE__, "set returned %d for %s", st, want_prefix);
	if (strncmp(custos_policy_err(p)->msg, want_prefix, strlen(want_prefix)) != 0)
		check__fail(__FILE__, __LINE__, "error \"%s\" does not start with \"%s\"",
		            custos_policy_err(p)->msg, want_prefix);
	CHECK_STR(out, "untouched");
}

/* Refuses the word FORBIDDEN, as a stand-in for the indexer's parser. */
static int check_q(void *ctx, const char *q, char *msg, size_t cap)
{
	(void)ctx;
	if (strstr(q, "FORBIDDEN")) {
		snprintf(msg, cap, "syntax error at FORBIDDEN");
		return 1;
	}
	return 0;
}

static void test_policy__invalid_schedule_is_never_committed(void)
{
	paths();
	custos_policy_opts_t o = CUSTOS_POLICY_OPTS_INIT;
	custos_policy_t *p = NULL;
	custos_err_t err = { 0 };
	char c1[CUSTOS_COMMIT_HEX];
	o.flags = CUSTOS_POLICY_CREATE;
	o.check_query = check_q;
	CHECK_OK(custos_policy_open(&p, arch, &o, &err));
	set(p, S1, "carol", "first", "2024-01-10T09:00:00Z", c1);
	const char *head = git_out("rev-parse HEAD");
	char before[64];
	snprintf(before, sizeof before, "%s", head);

	set_fails(p, "rules:\n  - name: default\n    match: \"*\"\n    retain: 7y\n    keep: yes\n",
	          "retention.yaml:5:5: unknown field 'keep'");
	set_fails(p, "rules:\n  - name: default\n    match: \"*\"\n    retain: seven years\n",
	          "retention.yaml:4:13: unparseable duration 'seven years'");
	set_fails(p, "rules:\n  - name: a\n    match: \"*\"\n    retain: 1y\n"
	             "  - name: a\n    match: \"kind:reply\"\n    retain: 1y\n",
	          "retention.yaml:5:5: duplicate rule name 'a'");
	set_fails(p, "rules:\n  - name: a\n    match: \"*\"\n   retain: 1y\n", "retention.yaml:4:");
	set_fails(p, "rules:\n  - name: a\n    match: \"kind:reply\"\n    retain: 1y\n",
	          "retention.yaml:1:1: no rule matches every record");
	set_fails(p, "rules:\n  - name: a\n    match: \"*\"\n    retain: 1y\n"
	             "  - name: b\n    match: \"FORBIDDEN words\"\n    retain: 1y\n",
	          "retention.yaml:6:12: bad query 'FORBIDDEN words': syntax error at FORBIDDEN");

	CHECK_STR(git_out("rev-parse HEAD"), before);
	CHECK_STR(git_out("rev-list --count HEAD"), "2\n");
	custos_policy_free(p);
}

static void test_policy__show_at_a_date_between_commits_gives_the_older_schedule(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX], cd[CUSTOS_COMMIT_HEX];
	custos_schedule_t *s = NULL;
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	set(p, S2, "carol", "v2", "2024-06-01T09:00:00Z", c2);
	/* a later commit that does not touch the schedule */
	custos_policy_change_t dc = { "dave", NULL, at("2024-07-01T00:00:00Z") };
	CHECK_OK(custos_policy_doc_add(p, "memo.txt", "memo\n", 5, &dc, cd));

	CHECK_OK(custos_policy_schedule_at(p, "2024-03-15", &s));
	CHECK_STR(s->commit, c1);
	CHECK_STR(s->text, S1);
	CHECK_INT(s->n_rules, 1);
	custos_schedule_free(s);
	/* exactly at the second commit's time: the new schedule is in force */
	CHECK_OK(custos_policy_schedule_at(p, "2024-06-01T09:00:00Z", &s));
	CHECK_STR(s->commit, c2);
	custos_schedule_free(s);
	CHECK_OK(custos_policy_schedule_at(p, "2024-06-01T08:59:59Z", &s));
	CHECK_STR(s->commit, c1);
	custos_schedule_free(s);
	/* after the document commit, the schedule's commit is still c2 */
	CHECK_OK(custos_policy_schedule_at(p, "2025-01-01", &s));
	CHECK_STR(s->commit, c2);
	CHECK_INT(s->n_rules, 2);
	CHECK_INT(s->commit_time, at("2024-06-01T09:00:00Z"));
	custos_schedule_free(s);
	CHECK_OK(custos_policy_schedule_at(p, NULL, &s));
	CHECK_STR(s->commit, c2);
	custos_schedule_free(s);
	/* by commit id, abbreviated, and by revision */
	char abbrev[13];
	snprintf(abbrev, sizeof abbrev, "%.12s", c1);
	CHECK_OK(custos_policy_schedule_at(p, abbrev, &s));
	CHECK_STR(s->commit, c1);
	custos_schedule_free(s);
	CHECK_OK(custos_policy_schedule_at(p, cd, &s));
	CHECK_STR(s->commit, c2);
	custos_schedule_free(s);
	CHECK_OK(custos_policy_schedule_at(p, "HEAD~2", &s));
	CHECK_STR(s->commit, c1);
	custos_schedule_free(s);
	/* before any schedule, and before the repository existed */
	char first[CUSTOS_COMMIT_HEX];
	CHECK_OK(custos_policy_resolve(p, "HEAD~3", first));
	CHECK_STATUS(custos_policy_schedule_at(p, first, &s), CUSTOS_ENOTFOUND);
	CHECK_STATUS(custos_policy_schedule_at(p, "1999-01-01", &s), CUSTOS_ENOTFOUND);
	CHECK(strstr(custos_policy_err(p)->msg, "begins at") != NULL);
	CHECK_STATUS(custos_policy_schedule_at(p, "no-such-thing", &s), CUSTOS_ENOTFOUND);
	CHECK_STATUS(custos_policy_schedule_at(p, "2024-13-45", &s), CUSTOS_EINVAL);
	CHECK(s == NULL);
	custos_policy_free(p);
}

static void test_policy__log_lists_commits_newest_first_with_changes(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];
	custos_policy_log_t log;
	set(p, S1, "carol", "Adopt schedule", "2024-01-10T09:00:00Z", c1);
	set(p, S2, "frank", "Longer default\n\nBoard decision 2024-05.", "2024-06-01T09:00:00Z", c2);
	CHECK_OK(custos_policy_log(p, &log));
	CHECK_INT(log.n, 3);
	CHECK_STR(log.v[0].id, c2);
	CHECK_STR(log.v[0].author, "frank");
	CHECK_STR(log.v[0].email, "frank@custos.invalid");
	CHECK_STR(log.v[0].message, "Longer default\n\nBoard decision 2024-05.");
	CHECK_INT(log.v[0].time, at("2024-06-01T09:00:00Z"));
	CHECK_INT(log.v[0].n_changes, 1);
	CHECK_STR(log.v[0].changes[0], "M retention.yaml");
	CHECK_STR(log.v[1].id, c1);
	CHECK_STR(log.v[1].changes[0], "A retention.yaml");
	CHECK_STR(log.v[2].author, "admin");
	CHECK_STR(log.v[2].changes[0], "A README.md");
	custos_policy_log_free(&log);
	CHECK_INT(log.n, 0);
	/* the git command sees the same history */
	CHECK_STR(git_out("log --format=%an%x09%s"),
	          "frank\tLonger default\ncarol\tAdopt schedule\nadmin\tCreate the policy repository\n");
	custos_policy_free(p);
}

static void test_policy__diff_shows_unified_changes_between_commits(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];
	custos_buf_t d = { 0 };
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	set(p, S2, "carol", "v2", "2024-06-01T09:00:00Z", c2);
	CHECK_OK(custos_policy_diff(p, c1, c2, &d));
	CHECK(strstr(d.data, "diff --git a/retention.yaml b/retention.yaml\n") != NULL);
	CHECK(strstr(d.data, "\n-    retain: 7y\n") != NULL);
	CHECK(strstr(d.data, "\n+    retain: 10y\n") != NULL);
	CHECK(strstr(d.data, "\n+  - name: support-replies\n") != NULL);
	/* the same as git's own diff of the file */
	custos_buf_t g = { 0 };
	CHECK_INT(sh(&g, "git -C '%s' diff %s %s", repo, c1, c2), 0);
	CHECK_STR(d.data, g.data);
	/* dates work as ends too; equal ends give an empty diff */
	custos_buf_clear(&d);
	CHECK_OK(custos_policy_diff(p, "2024-02-01", "2024-03-01", &d));
	CHECK_INT(d.len, 0);
	CHECK_STATUS(custos_policy_diff(p, "nope", c2, &d), CUSTOS_ENOTFOUND);
	custos_buf_free(&d);
	custos_buf_free(&g);
	custos_policy_free(p);
}

static void test_policy__documents_are_added_listed_and_shown_as_of_a_date(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	static const char pdf1[] = "%PDF-1.4\n\0\x01\x02 binary policy v1";
	static const char pdf2[] = "%PDF-1.4\n\0\x01\x02 binary policy v2, longer";
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX], c3[CUSTOS_COMMIT_HEX];
	custos_policy_change_t a = { "gina", NULL, at("2024-02-01T10:00:00Z") };
	custos_policy_change_t b = { "gina", "Social media policy, revision 2", at("2024-04-01T10:00:00Z") };
	custos_policy_change_t m = { "hank", NULL, at("2024-03-01T10:00:00Z") };
	CHECK_OK(custos_policy_doc_add(p, "Social Media Policy.pdf", pdf1, sizeof pdf1 - 1, &a, c1));
	CHECK_OK(custos_policy_doc_add(p, "retention-memo.md", "# Memo\n", 7, &m, c2));
	CHECK_OK(custos_policy_doc_add(p, "Social Media Policy.pdf", pdf2, sizeof pdf2 - 1, &b, c3));
	CHECK_STR(git_out("log -3 --format=%an%x09%s"),
	          "gina\tSocial media policy, revision 2\nhank\tAdd policy document retention-memo.md\n"
	          "gina\tAdd policy document Social Media Policy.pdf\n");

	custos_policy_docs_t docs;
	CHECK_OK(custos_policy_doc_list(p, &docs));
	CHECK_INT(docs.n, 2);
	CHECK_STR(docs.v[0].name, "Social Media Policy.pdf");
	CHECK_INT(docs.v[0].size, sizeof pdf2 - 1);
	CHECK_STR(docs.v[0].commit, c3);
	CHECK_INT(docs.v[0].time, at("2024-04-01T10:00:00Z"));
	CHECK_STR(docs.v[1].name, "retention-memo.md");
	CHECK_INT(docs.v[1].size, 7);
	CHECK_STR(docs.v[1].commit, c2);
	custos_policy_docs_free(&docs);

	custos_buf_t b1 = { 0 };
	CHECK_OK(custos_policy_doc_get(p, "Social Media Policy.pdf", "2024-03-15", &b1));
	CHECK_INT(b1.len, sizeof pdf1 - 1);
	CHECK(memcmp(b1.data, pdf1, b1.len) == 0);
	custos_buf_clear(&b1);
	CHECK_OK(custos_policy_doc_get(p, "Social Media Policy.pdf", NULL, &b1));
	CHECK_INT(b1.len, sizeof pdf2 - 1);
	CHECK(memcmp(b1.data, pdf2, b1.len) == 0);
	custos_buf_clear(&b1);
	/* byte-identical to what git stores */
	custos_buf_t g = { 0 };
	CHECK_INT(sh(&g, "git -C '%s' show 'HEAD:docs/Social Media Policy.pdf'", repo), 0);
	CHECK_INT(g.len, sizeof pdf2 - 1);
	CHECK(memcmp(g.data, pdf2, g.len) == 0);
	custos_buf_free(&g);
	/* not yet there, unknown, bad names */
	CHECK_STATUS(custos_policy_doc_get(p, "retention-memo.md", "2024-02-15", &b1), CUSTOS_ENOTFOUND);
	CHECK_STATUS(custos_policy_doc_get(p, "nope.txt", NULL, &b1), CUSTOS_ENOTFOUND);
	CHECK_STATUS(custos_policy_doc_add(p, "../escape", "x", 1, &a, c1), CUSTOS_EINVAL);
	CHECK_STATUS(custos_policy_doc_add(p, ".hidden", "x", 1, &a, c1), CUSTOS_EINVAL);
	CHECK_STATUS(custos_policy_doc_add(p, "", "x", 1, &a, c1), CUSTOS_EINVAL);
	CHECK_STATUS(custos_policy_doc_add(p, "a\nb", "x", 1, &a, c1), CUSTOS_EINVAL);
	custos_buf_free(&b1);
	custos_policy_free(p);
}

/* Clones the policy repository, runs a shell snippet in the clone, pushes. */
static void foreign_commit_env(const char *env, const char *snippet)
{
	char clone[4400];
	snprintf(clone, sizeof clone, "%s/clone", check_tmpdir);
	sh(NULL, "rm -rf '%s'", clone);
	CHECK_INT(sh(NULL, "git clone -q '%s' '%s' 2>&1", repo, clone), 0);
	custos_buf_t out = { 0 };
	int st = sh(&out, "cd '%s' && %s && %s git -c user.name=Mallory -c user.email=m@example.com "
	            "commit -q -a -m 'edited by hand' 2>&1 && git push -q origin HEAD:main 2>&1",
	            clone, snippet, env);
	if (st != 0)
		check__fail(__FILE__, __LINE__, "foreign commit failed: %s", out.data ? out.data : "");
	custos_buf_free(&out);
}

static void foreign_commit(const char *snippet)
{
	foreign_commit_env("", snippet);
}

static void test_policy__valid_commit_made_with_git_is_noticed_and_accepted(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	custos_policy_free(p);

	foreign_commit("sed -i 's/7y/8y/' retention.yaml");
	char foreign_id[64];
	snprintf(foreign_id, sizeof foreign_id, "%s", git_out("rev-parse HEAD"));
	foreign_id[40] = '\0';

	p = open_policy(0);
	const custos_policy_log_t *f = custos_policy_foreign(p);
	CHECK_INT(f->n, 1);
	CHECK_STR(f->v[0].id, foreign_id);
	CHECK_STR(f->v[0].author, "Mallory");
	CHECK_STR(f->v[0].message, "edited by hand");
	CHECK_STR(f->v[0].changes[0], "M retention.yaml");
	custos_schedule_t *s = NULL;
	CHECK_OK(custos_policy_schedule_at(p, NULL, &s));
	CHECK_STR(s->commit, foreign_id);
	CHECK_INT(s->rules[0].retain.n, 8);
	custos_schedule_free(s);
	/* custos builds on it: history is linear and complete */
	set(p, S2, "carol", "v3", "2024-06-01T09:00:00Z", c2);
	CHECK_STR(git_out("log --format=%an%x09%s"),
	          "carol\tv3\nMallory\tedited by hand\ncarol\tv1\nadmin\tCreate the policy repository\n");
	custos_policy_free(p);
	/* accepted once: not reported again */
	p = open_policy(0);
	CHECK_INT(custos_policy_foreign(p)->n, 0);
	custos_policy_free(p);
}

static void test_policy__invalid_commit_made_with_git_is_refused_until_fixed(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX];
	custos_err_t err = { 0 };
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	custos_policy_free(p);

	foreign_commit("printf 'rules:\\n  - name: default\\n    match: \"*\"\\n    retain: 7 years\\n' > retention.yaml");
	p = NULL;
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(p == NULL);
	CHECK(strstr(err.msg, "by Mallory") != NULL);
	CHECK(strstr(err.msg, "made outside custos") != NULL);
	CHECK(strstr(err.msg, "retention.yaml:4:13: unparseable duration '7 years'") != NULL);
	/* nothing was lost or moved: the known ref still names the last good commit */
	char want[64];
	snprintf(want, sizeof want, "%s\n", c1);
	CHECK_STR(git_out("rev-parse refs/custos/known"), want);
	CHECK_STR(git_out("rev-list --count HEAD"), "3\n");

	/* a fixing commit on top makes the policy valid again: both are accepted */
	foreign_commit("sed -i 's/7 years/7y/' retention.yaml");
	p = open_policy(0);
	const custos_policy_log_t *f = custos_policy_foreign(p);
	CHECK_INT(f->n, 2);
	CHECK_STR(f->v[1].author, "Mallory");
	/* the broken one was never in force, not even for an instant */
	char cmd[120];
	snprintf(cmd, sizeof cmd, "notes --ref=custos show %s", f->v[1].id);
	CHECK(strstr(git_out(cmd), "in-force: no\n") != NULL);
	snprintf(cmd, sizeof cmd, "notes --ref=custos show %s", f->v[0].id);
	CHECK(strstr(git_out(cmd), "in-force") == NULL);
	custos_schedule_t *s = NULL;
	for (int64_t t = custos_time_now() - 2000; t < custos_time_now() + 2000; t += 100) {
		CHECK_OK(custos_policy_schedule_at_time(p, t, &s));
		CHECK(strcmp(s->commit, f->v[1].id) != 0);
		custos_schedule_free(s);
	}
	custos_policy_free(p);
	CHECK_STR(git_out("rev-list --count HEAD"), "4\n");

	/* removing the schedule is refused too */
	foreign_commit("git rm -q retention.yaml");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "retention.yaml was removed") != NULL);
}

static void test_policy__commit_pushed_while_open_is_found_by_the_next_change(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	foreign_commit("sed -i 's/7y/8y/' retention.yaml");
	CHECK_INT(custos_policy_foreign(p)->n, 0);
	custos_policy_change_t c = { "dave", "memo", 0 };
	CHECK_OK(custos_policy_doc_add(p, "memo.txt", "m\n", 2, &c, c2));
	CHECK_INT(custos_policy_foreign(p)->n, 1);
	CHECK_STR(custos_policy_foreign(p)->v[0].author, "Mallory");
	CHECK_STR(git_out("log --format=%an%x09%s -3"),
	          "dave\tmemo\nMallory\tedited by hand\ncarol\tv1\n");
	custos_policy_free(p);
}

static void test_policy__merged_branches_pushed_by_hand_are_all_reported(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX];
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	custos_policy_free(p);
	foreign_commit("git checkout -q -b side && echo memo > docs-memo.txt && git add docs-memo.txt && "
	               "git -c user.name=Sam -c user.email=s@example.com commit -q -m 'side work' && "
	               "git checkout -q main && sed -i 's/7y/9y/' retention.yaml && "
	               "git -c user.name=Mallory -c user.email=m@example.com commit -q -a -m 'main work' && "
	               "git -c user.name=Mallory -c user.email=m@example.com merge -q --no-ff side -m 'merge side' && "
	               "echo >> README.md");
	p = open_policy(0);
	const custos_policy_log_t *f = custos_policy_foreign(p);
	CHECK_INT(f->n, 4);
	CHECK_STR(f->v[0].message, "edited by hand");
	int saw_side = 0;
	for (size_t i = 0; i < f->n; i++)
		saw_side |= strcmp(f->v[i].author, "Sam") == 0 && strcmp(f->v[i].message, "side work") == 0;
	CHECK(saw_side);
	custos_schedule_t *s = NULL;
	CHECK_OK(custos_policy_schedule_at(p, NULL, &s));
	CHECK_INT(s->rules[0].retain.n, 9);
	custos_schedule_free(s);
	custos_policy_free(p);
}

static void test_policy__rewritten_history_is_refused_and_kept(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];
	custos_err_t err = { 0 };
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	set(p, S2, "carol", "v2", "2024-02-10T09:00:00Z", c2);
	custos_policy_free(p);
	/* someone resets the branch to drop v2 */
	git_out("update-ref refs/heads/main HEAD~1");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "history rewritten") != NULL);
	CHECK(strstr(err.msg, c2) != NULL);
	/* the dropped commit is still there, reachable */
	char cmd[200];
	snprintf(cmd, sizeof cmd, "cat-file -t %s", c2);
	CHECK_STR(git_out(cmd), "commit\n");
	CHECK_INT(sh(NULL, "git -C '%s' gc -q --prune=now 2>&1", repo), 0);
	CHECK_STR(git_out(cmd), "commit\n");
	/* putting it back restores service */
	snprintf(cmd, sizeof cmd, "update-ref refs/heads/main %s", c2);
	git_out(cmd);
	p = open_policy(0);
	CHECK_INT(custos_policy_foreign(p)->n, 0);
	custos_policy_free(p);
}

static void test_policy__concurrent_writers_make_a_linear_history(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	custos_policy_free(p);
	enum { N = 6 };
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			custos_policy_t *q = NULL;
			custos_err_t err = { 0 };
			if (custos_policy_open(&q, arch, NULL, &err) != 0)
				_exit(2);
			for (int k = 0; k < 5; k++) {
				char name[32], body[64];
				snprintf(name, sizeof name, "doc-%d-%d.txt", i, k);
				snprintf(body, sizeof body, "writer %d doc %d\n", i, k);
				custos_policy_change_t c = { name, NULL, 0 };
				if (custos_policy_doc_add(q, name, body, strlen(body), &c, NULL) != 0)
					_exit(3);
			}
			custos_policy_free(q);
			_exit(0);
		}
	}
	for (int i = 0; i < N; i++) {
		int st = 0;
		waitpid(kids[i], &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	CHECK_STR(git_out("rev-list --count HEAD"), "31\n");
	CHECK_STR(git_out("rev-list --merges --count HEAD"), "0\n");
	CHECK_STR(git_out("ls-tree --name-only HEAD:docs | wc -l | tr -d ' '"), "30\n");
	/* nobody's commit looked foreign to the others */
	p = open_policy(0);
	CHECK_INT(custos_policy_foreign(p)->n, 0);
	custos_policy_free(p);
	CHECK_INT(sh(NULL, "git -C '%s' fsck --strict 2>&1", repo), 0);
}

static void test_policy__backdated_commit_takes_effect_only_when_accepted(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX];
	custos_schedule_t *s = NULL;
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	custos_policy_free(p);
	/* pushed now, but dated 2021: it must not change what was in force in 2024 */
	foreign_commit_env("GIT_AUTHOR_DATE=2021-01-01T00:00:00Z GIT_COMMITTER_DATE=2021-01-01T00:00:00Z",
	                   "sed -i 's/7y/1d/' retention.yaml");
	int64_t before = custos_time_now();
	p = open_policy(0);
	int64_t after = custos_time_now();
	CHECK_INT(custos_policy_foreign(p)->n, 1);
	char foreign_id[CUSTOS_COMMIT_HEX];
	snprintf(foreign_id, sizeof foreign_id, "%s", custos_policy_foreign(p)->v[0].id);
	CHECK_STATUS(custos_policy_schedule_at(p, "2021-06-01", &s), CUSTOS_ENOTFOUND);
	CHECK_OK(custos_policy_schedule_at(p, "2024-06-01", &s));
	CHECK_STR(s->commit, c1);
	CHECK_INT(s->rules[0].retain.n, 7);
	custos_schedule_free(s);
	CHECK_OK(custos_policy_schedule_at_time(p, after + 1000, &s));
	CHECK_STR(s->commit, foreign_id);
	CHECK_INT(s->rules[0].retain.n, 1);
	custos_schedule_free(s);
	/* the acceptance is a git note the git command shows */
	char cmd[100];
	snprintf(cmd, sizeof cmd, "notes --ref=custos show %s", foreign_id);
	const char *note = git_out(cmd);
	int64_t acc;
	CHECK(strncmp(note, "accepted-at: ", 13) == 0);
	CHECK_OK(custos_time_parse(&acc, note + 13, strcspn(note + 13, "\n")));
	CHECK(acc >= before - 1000 && acc <= after + 1000);
	custos_policy_free(p);
}

static void test_policy__future_dated_commit_made_with_git_is_refused(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX];
	custos_err_t err = { 0 };
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	custos_policy_free(p);
	foreign_commit_env("GIT_COMMITTER_DATE=2099-01-01T00:00:00Z", "sed -i 's/7y/8y/' retention.yaml");
	CHECK_STATUS(custos_policy_open(&p, arch, NULL, &err), CUSTOS_EPOLICY);
	CHECK(strstr(err.msg, "dated in the future (2099-01-01T00:00:00Z)") != NULL);
}

static void test_policy__schedule_at_an_instant_is_what_disposition_uses(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], c2[CUSTOS_COMMIT_HEX];
	custos_schedule_t *s = NULL;
	set(p, S1, "carol", "v1", "2024-01-10T09:00:00Z", c1);
	set(p, S2, "carol", "v2", "2024-06-01T09:00:00Z", c2);
	CHECK_OK(custos_policy_schedule_at_time(p, at("2024-05-31T23:59:59.999Z"), &s));
	CHECK_STR(s->commit, c1);
	custos_schedule_free(s);
	CHECK_OK(custos_policy_schedule_at_time(p, custos_time_now(), &s));
	CHECK_STR(s->commit, c2);
	custos_schedule_free(s);
	CHECK_STATUS(custos_policy_schedule_at_time(p, at("2023-01-01"), &s), CUSTOS_ENOTFOUND);
	CHECK(s == NULL);
	custos_policy_free(p);
}

static void test_policy__actor_email_is_kept_and_a_newline_never_reaches_git(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], out[CUSTOS_COMMIT_HEX] = "untouched";
	set(p, S1, "Jane Doe <jane@acme.com>", "first", "2024-01-10T09:00:00Z", c1);
	CHECK_STR(git_out("log -1 --format=%an%x09%ae"), "Jane Doe\tjane@acme.com\n");

	/* refused before anything is written: git's author line would end at
	 * the newline, and every later read of the commit fail */
	custos_policy_change_t nl = { "bad\nactor", NULL, at("2024-01-11T09:00:00Z") };
	CHECK_STATUS(custos_policy_set(p, S2, strlen(S2), &nl, out), CUSTOS_EINVAL);
	CHECK_STR(custos_policy_err(p)->msg, "actor holds the control character U+000A at byte 4");
	custos_policy_change_t u8 = { "J\xe9r\xf4me", NULL, at("2024-01-11T09:00:00Z") };
	CHECK_STATUS(custos_policy_set(p, S2, strlen(S2), &u8, out), CUSTOS_EINVAL);
	custos_policy_change_t msg = { "carol", "ok\x1b]0;pwned\x07", at("2024-01-11T09:00:00Z") };
	CHECK_STATUS(custos_policy_set(p, S2, strlen(S2), &msg, out), CUSTOS_EINVAL);
	CHECK_STATUS(custos_policy_doc_add(p, "memo.txt", "m", 1, &nl, out), CUSTOS_EINVAL);
	CHECK_STR(out, "untouched");
	CHECK_STR(git_out("rev-list --count HEAD"), "2\n");
	CHECK_INT(sh(NULL, "git -C '%s' fsck --strict >/dev/null 2>&1", repo), 0);
	custos_policy_free(p);
	/* and the repository reads on */
	p = open_policy(0);
	custos_policy_log_t l = { 0 };
	CHECK_OK(custos_policy_log(p, &l));
	CHECK_INT(l.n, 2);
	CHECK_STR(l.v[0].author, "Jane Doe");
	CHECK_STR(l.v[0].email, "jane@acme.com");
	custos_policy_log_free(&l);
	custos_policy_free(p);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(text, f);
	CHECK(fclose(f) == 0);
}

static void test_policy__stale_locks_of_a_killed_writer_are_removed(void)
{
	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char c1[CUSTOS_COMMIT_HEX], path[4600];
	set(p, S1, "carol", "first", "2024-01-10T09:00:00Z", c1);
	custos_policy_free(p);

	/* what a custos killed inside a commit leaves: its mark in custos.lock,
	 * git's lock files, a temporary object */
	snprintf(path, sizeof path, "%s/custos.lock", repo);
	write_file(path, "writing 4242\n");
	static const char *left[] = { "refs/heads/main.lock", "refs/custos/known.lock",
	                              "packed-refs.lock", "config.lock", "index.lock",
	                              "objects/tmp_object_git2_a1B2c3" };
	for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", repo, left[i]);
		write_file(path, "0000000000000000000000000000000000000000\n");
	}
	p = open_policy(0);
	set(p, S2, "carol", "second", "2024-01-11T09:00:00Z", c1);
	for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", repo, left[i]);
		if (stat(path, &st) == 0)
			check__fail(__FILE__, __LINE__, "%s is still there", left[i]);
	}
	snprintf(path, sizeof path, "%s/custos.lock", repo);
	struct stat st;
	CHECK(stat(path, &st) == 0 && st.st_size == 0);
	CHECK_STR(git_out("rev-list --count HEAD"), "3\n");
	CHECK_INT(sh(NULL, "git -C '%s' fsck --strict >/dev/null 2>&1", repo), 0);

	/* without the mark a lock file is someone else's (a git push under
	 * way): left alone, and the failure says what to do */
	snprintf(path, sizeof path, "%s/refs/heads/main.lock", repo);
	write_file(path, "");
	custos_policy_change_t c = { "carol", NULL, at("2024-01-12T09:00:00Z") };
	CHECK_STATUS(custos_policy_set(p, S1, strlen(S1), &c, c1), CUSTOS_EBUSY);
	CHECK(strstr(custos_policy_err(p)->msg, "refs/heads/main.lock") != NULL);
	CHECK(strstr(custos_policy_err(p)->msg, "if no git process runs, remove that lock file"));
	CHECK(stat(path, &st) == 0);
	custos_policy_free(p);
}

static void test_policy__files_are_read_only_when_regular_and_bounded(void)
{
	char f[4300], link[4300], fifo[4300], big[4300];
	custos_buf_t b = { 0 };
	custos_err_t err = { 0 };
	snprintf(f, sizeof f, "%s/memo.txt", check_tmpdir);
	snprintf(link, sizeof link, "%s/shadow.txt", check_tmpdir);
	snprintf(fifo, sizeof fifo, "%s/fifo", check_tmpdir);
	snprintf(big, sizeof big, "%s/big", check_tmpdir);
	write_file(f, "policy text\n");
	CHECK_OK(custos_policy_file_read(f, 100, &b, &err));
	CHECK_STR(b.data, "policy text\n");

	CHECK(symlink("/etc/passwd", link) == 0);
	CHECK_STATUS(custos_policy_file_read(link, 1 << 20, &b, &err), CUSTOS_EINVAL);
	CHECK(strstr(err.msg, "is a symbolic link") != NULL);
	CHECK_STATUS(custos_policy_file_read("/dev/zero", 1 << 20, &b, &err), CUSTOS_EINVAL);
	CHECK(strstr(err.msg, "not a regular file (a device)") != NULL);
	CHECK(mkfifo(fifo, 0600) == 0);
	CHECK_STATUS(custos_policy_file_read(fifo, 1 << 20, &b, &err), CUSTOS_EINVAL);
	CHECK(strstr(err.msg, "(a FIFO)") != NULL);
	CHECK_STATUS(custos_policy_file_read(check_tmpdir, 1 << 20, &b, &err), CUSTOS_EINVAL);
	CHECK_STATUS(custos_policy_file_read(f, 5, &b, &err), CUSTOS_ETOOBIG);
	/* a sparse file over the document limit: refused by its size, unread */
	int fd = open(big, O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)CUSTOS_POLICY_DOC_MAX + 1) == 0 && close(fd) == 0);
	CHECK_STATUS(custos_policy_file_read(big, CUSTOS_POLICY_DOC_MAX, &b, &err), CUSTOS_ETOOBIG);
	CHECK(strstr(err.msg, "over the limit of 67108864") != NULL);
	CHECK_STATUS(custos_policy_file_read("/nonexistent/x", 10, &b, &err), CUSTOS_ENOTFOUND);
	/* nothing was appended by the refusals */
	CHECK_STR(b.data, "policy text\n");
	custos_buf_free(&b);

	paths();
	custos_policy_t *p = open_policy(CUSTOS_POLICY_CREATE);
	char out[CUSTOS_COMMIT_HEX];
	char *huge = malloc((size_t)CUSTOS_POLICY_DOC_MAX + 1);   /* never touched */
	CHECK(huge != NULL);
	CHECK_STATUS(custos_policy_doc_add(p, "big.bin", huge, (size_t)CUSTOS_POLICY_DOC_MAX + 1,
	                                   NULL, out), CUSTOS_ETOOBIG);
	free(huge);
	CHECK_STR(git_out("rev-list --count HEAD"), "1\n");
	custos_policy_free(p);
}

CHECK_MAIN(CHECK_CASE(test_policy__create_makes_a_bare_repository_git_can_clone),
           CHECK_CASE(test_policy__set_commits_schedule_with_actor_as_author),
           CHECK_CASE(test_policy__invalid_schedule_is_never_committed),
           CHECK_CASE(test_policy__show_at_a_date_between_commits_gives_the_older_schedule),
           CHECK_CASE(test_policy__log_lists_commits_newest_first_with_changes),
           CHECK_CASE(test_policy__diff_shows_unified_changes_between_commits),
           CHECK_CASE(test_policy__documents_are_added_listed_and_shown_as_of_a_date),
           CHECK_CASE(test_policy__valid_commit_made_with_git_is_noticed_and_accepted),
           CHECK_CASE(test_policy__invalid_commit_made_with_git_is_refused_until_fixed),
           CHECK_CASE(test_policy__commit_pushed_while_open_is_found_by_the_next_change),
           CHECK_CASE(test_policy__merged_branches_pushed_by_hand_are_all_reported),
           CHECK_CASE(test_policy__rewritten_history_is_refused_and_kept),
           CHECK_CASE(test_policy__concurrent_writers_make_a_linear_history),
           CHECK_CASE(test_policy__backdated_commit_takes_effect_only_when_accepted),
           CHECK_CASE(test_policy__future_dated_commit_made_with_git_is_refused),
           CHECK_CASE(test_policy__schedule_at_an_instant_is_what_disposition_uses),
           CHECK_CASE(test_policy__actor_email_is_kept_and_a_newline_never_reaches_git),
           CHECK_CASE(test_policy__stale_locks_of_a_killed_writer_are_removed),
           CHECK_CASE(test_policy__files_are_read_only_when_regular_and_bounded))
