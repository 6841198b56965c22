/* A path is a collection: every export inside a folder (or a zip), at any
 * depth, comes in; every file not taken is named with why; folders and zips
 * that would lose files without a word (symlink loops, zip members named
 * with '..' or twice) name what they leave out. */
#include "check.h"
#include "import_sink.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int import(const char *path, const char *format, tsink_t *s, custos_err_t *err)
{
	custos_import_sink_t k = tsink_make(s);
	int r = custos_import_run(path, format, &k, err);
	if (r != 0)
		printf("  import of %s: %s\n", path, err->msg);
	return r;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of b, sorted, joined again: a multiset to compare. */
static char *sorted_lines(const custos_buf_t *b)
{
	char *copy = strdup(b->data ? b->data : ""), **v = NULL, *out;
	size_t n = 0, len = 0;
	for (char *p = strtok(copy, "\n"); p; p = strtok(NULL, "\n")) {
		v = realloc(v, (n + 1) * sizeof *v);
		v[n++] = p;
		len += strlen(p) + 1;
	}
	qsort(v, n, sizeof *v, cmp_line);
	out = calloc(1, len + 1);
	for (size_t i = 0; i < n; i++) {
		strcat(out, v[i]);
		strcat(out, "\n");
	}
	free(v);
	free(copy);
	return out;
}

/* fmt with every %1$s replaced by arg, in a buffer the caller frees. */
static char *with(const char *fmt, const char *arg)
{
	custos_buf_t b = { 0 };
	for (const char *p = fmt; *p; p++) {
		if (!strncmp(p, "%1$s", 4)) {
			custos_buf_adds(&b, arg);
			p += 3;
		} else {
			custos_buf_addc(&b, *p);
		}
	}
	return b.data;
}

/* Runs a shell command built from fmt and the test's folder (every %1$s). */
static void in_tmp(const char *fmt)
{
	char *cmd = with(fmt, check_tmpdir);
	CHECK(system(cmd) == 0);
	free(cmd);
}

/* Three exports side by side in coll/ (and one more two folders down),
 * with files that are not imported beside them. */
static void make_collection(void)
{
	in_tmp("mkdir -p '%1$s/coll/deep/er' && cp -r tests/data/import/x-archive "
	       "tests/data/import/mastodon tests/data/import-b/linkedin-export '%1$s/coll/' && "
	       "cp -r tests/data/import-b/slack-mini '%1$s/coll/deep/er/' && "
	       "printf '{\"orderedItems\":[]}' > '%1$s/coll/mastodon/likes.json' && "
	       "printf '{\"orderedItems\":[]}' > '%1$s/coll/mastodon/bookmarks.json' && "
	       "printf 'JFIF' > '%1$s/coll/mastodon/avatar.jpg' && "
	       "printf 'what this folder is\\n' > '%1$s/coll/README.txt' && "
	       "printf 'window.YTD.profile.part0 = []' > '%1$s/coll/x-archive/data/profile.js'");
}

static void test_collection__exports_side_by_side_come_in_as_alone(void)
{
	tsink_t all, one;
	custos_buf_t alone = { 0 };
	custos_err_t err = { 0 };
	const char *exports[] = { "x-archive", "mastodon", "linkedin-export", "deep/er/slack-mini" };
	make_collection();
	CHECK_OK(import(path_in("coll"), NULL, &all, &err));
	for (size_t i = 0; i < 4; i++) {
		char p[4200];
		snprintf(p, sizeof p, "coll/%s", exports[i]);
		CHECK_OK(import(path_in(p), NULL, &one, &err));
		CHECK(one.n_records > 0);
		custos_buf_add(&alone, one.records.data, one.records.len);
		tsink_free(&one);
	}
	/* the same records, byte for byte, as each export ingested alone */
	char *a = sorted_lines(&all.records), *b = sorted_lines(&alone);
	CHECK_STR(a, b);
	free(a);
	free(b);
	/* and every other file named once, with why */
	char *want = with("%1$s/coll/README.txt|format not recognised\n"
	                  "%1$s/coll/mastodon/avatar.jpg|the account's profile image: not imported\n"
	                  "%1$s/coll/mastodon/bookmarks.json|the account's bookmarks (other people's "
	                  "posts it saved): not imported\n"
	                  "%1$s/coll/mastodon/likes.json|the account's likes (other people's posts it "
	                  "liked): not imported\n"
	                  "%1$s/coll/x-archive/data/profile.js|X's profile data: not imported (custos "
	                  "takes posts, deleted posts, direct messages, likes and message events)\n"
	                  "%1$s/coll/x-archive/data/profile_media/1000-avatar.jpg|the account's "
	                  "profile images: not imported\n", check_tmpdir);
	char *nt = sorted_lines(&all.not_taken);
	CHECK_STR(nt, want);
	free(nt);
	free(want);
	custos_buf_free(&alone);
	tsink_free(&all);
}

static void test_collection__an_export_in_a_folder_of_a_zip_is_found(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	make_collection();
	in_tmp("cd '%1$s' && zip -qr all.zip coll");
	CHECK_OK(import(path_in("all.zip"), NULL, &s, &err));
	char *name = with("%1$s/all.zip!/coll/mastodon/likes.json|the account's likes", check_tmpdir);
	CHECK(s.not_taken.data && strstr(s.not_taken.data, name));
	free(name);
	name = with("\"file\":\"%1$s/all.zip!/coll/deep/er/slack-mini/general/2024-01-02.json\"",
	            check_tmpdir);
	CHECK(strstr(s.records.data, name));
	free(name);
	/* the message in general/2024-01-02.json: its channel from channels.json */
	CHECK(tsink_has(&s, "slack:general:1704153600.000100", "\"account\":\"#general\""));
	CHECK(strstr(s.records.data, "\"platform\":\"mastodon\""));
	CHECK(strstr(s.records.data, "\"platform\":\"linkedin\""));
	CHECK(strstr(s.records.data, "\"platform\":\"x\""));
	tsink_free(&s);
}

static void test_collection__a_zip_inside_a_zip_is_named_not_taken(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	const char *rec = REC("x:5", "outer") "\n";
	CHECK(mkdir(path_in("z"), 0755) == 0);
	write_file(path_in("z/a.ndjson"), rec, strlen(rec));
	in_tmp("cd '%1$s/z' && zip -q inner.zip a.ndjson && zip -q ../outer.zip inner.zip a.ndjson");
	CHECK_OK(import(path_in("outer.zip"), NULL, &s, &err));
	CHECK_INT(s.n_records, 1);
	char *want = with("%1$s/outer.zip!/inner.zip|a zip inside a zip: not opened\n", check_tmpdir);
	CHECK_STR(s.not_taken.data, want);
	free(want);
	CHECK_INT(s.n_warn, 0);
	tsink_free(&s);
}

static void test_collection__symlink_loops_are_walked_once(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	const char *rec = REC("x:7", "once") "\n";
	CHECK(mkdir(path_in("loop"), 0755) == 0);
	write_file(path_in("loop/a.ndjson"), rec, strlen(rec));
	CHECK(symlink(".", path_in("loop/d1")) == 0);
	CHECK(symlink(".", path_in("loop/d2")) == 0);
	CHECK(symlink("a.ndjson", path_in("loop/b.ndjson")) == 0);
	CHECK(symlink("nowhere", path_in("loop/dangling")) == 0);
	time_t t0 = time(NULL);
	CHECK_OK(import(path_in("loop"), NULL, &s, &err));
	CHECK(time(NULL) - t0 < 10);
	/* each file read once: one record, not one per path to it */
	CHECK_INT(s.n_records, 1);
	char *want = with("%1$s/loop/b.ndjson|the file '%1$s/loop/a.ndjson' again (a link): read "
	                  "once\n"
	                  "%1$s/loop/d1|the folder '%1$s/loop' again (a link): walked once\n"
	                  "%1$s/loop/d2|the folder '%1$s/loop' again (a link): walked once\n"
	                  "%1$s/loop/dangling|a link to nothing: not read\n", check_tmpdir);
	char *nt = sorted_lines(&s.not_taken);
	CHECK_STR(nt, want);
	free(nt);
	free(want);
	tsink_free(&s);
}

/* A zip written by Python, which keeps member names as given. */
static void py_zip(const char *zip, const char *members)
{
	custos_buf_t cmd = { 0 };
	custos_buf_printf(&cmd, "python3 -c 'import sys,zipfile,warnings\n"
	                  "warnings.simplefilter(\"ignore\")\n"
	                  "z=zipfile.ZipFile(sys.argv[1],\"w\")\n"
	                  "for spec in sys.argv[2:]:\n"
	                  "  n,d=spec.split(\"=\",1); z.writestr(n,d+\"\\n\")\n"
	                  "z.close()' '%s' %s", zip, members);
	CHECK(system(cmd.data) == 0);
	custos_buf_free(&cmd);
}

static void test_collection__zip_member_names_with_dotdot_are_named(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	py_zip(path_in("dots.zip"), "'ok.ndjson=" REC("x:1", "in") "' "
	       "'../evil.ndjson=" REC("x:2", "outside") "' "
	       "'a/../../b.ndjson=" REC("x:3", "outside too") "'");
	CHECK_OK(import(path_in("dots.zip"), NULL, &s, &err));
	CHECK_INT(s.n_records, 1);
	char *want = with("%1$s!/../evil.ndjson|a member name with '..' would lie outside the "
	                  "export: not read\n"
	                  "%1$s!/a/../../b.ndjson|a member name with '..' would lie outside the "
	                  "export: not read\n", path_in("dots.zip"));
	char *nt = sorted_lines(&s.not_taken);
	CHECK_STR(nt, want);
	free(nt);
	free(want);
	tsink_free(&s);
}

static void test_collection__zip_members_of_one_name_name_the_earlier(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	py_zip(path_in("twice.zip"), "'p.ndjson=" REC("x:1", "first") "' "
	       "'q.ndjson=" REC("x:2", "other") "' "
	       "'p.ndjson=" REC("x:3", "second") "'");
	CHECK_OK(import(path_in("twice.zip"), NULL, &s, &err));
	/* the last p.ndjson, once, and q.ndjson */
	CHECK_INT(s.n_records, 2);
	CHECK(tsink_find(&s, "x:3") && tsink_find(&s, "x:2") && !tsink_find(&s, "x:1"));
	char *want = with("%1$s!/p.ndjson|the zip holds 2 members named 'p.ndjson': this one "
	                  "(entry 1 of the zip) is not read, the last one is (as unzip extracts it)\n",
	                  path_in("twice.zip"));
	CHECK_STR(s.not_taken.data, want);
	free(want);
	tsink_free(&s);
}

static void test_collection__a_file_named_alone_and_not_recognised_is_named(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	write_file(path_in("notes.txt"), "hello\n", 6);
	write_file(path_in("empty.json"), "", 0);
	CHECK_OK(import(path_in("notes.txt"), NULL, &s, &err));
	char *want = with("%1$s|format not recognised\n", path_in("notes.txt"));
	CHECK_STR(s.not_taken.data, want);
	free(want);
	tsink_free(&s);
	CHECK_OK(import(path_in("empty.json"), NULL, &s, &err));
	want = with("%1$s|an empty file\n", path_in("empty.json"));
	CHECK_STR(s.not_taken.data, want);
	free(want);
	CHECK_INT(s.n_records, 0);
	tsink_free(&s);
}

CHECK_MAIN(CHECK_CASE(test_collection__exports_side_by_side_come_in_as_alone),
           CHECK_CASE(test_collection__an_export_in_a_folder_of_a_zip_is_found),
           CHECK_CASE(test_collection__a_zip_inside_a_zip_is_named_not_taken),
           CHECK_CASE(test_collection__symlink_loops_are_walked_once),
           CHECK_CASE(test_collection__zip_member_names_with_dotdot_are_named),
           CHECK_CASE(test_collection__zip_members_of_one_name_name_the_earlier),
           CHECK_CASE(test_collection__a_file_named_alone_and_not_recognised_is_named))
