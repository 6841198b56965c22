/* The slack importer: markup, threads, edits, subtypes, files, DMs, bad
 * messages, and the real slack-export-viewer test archive (folder and zip). */
#include "import_b_helpers.h"

static int run_tree(tsink_t *s, const char *path, custos_err_t *err)
{
	custos_tree_t *t = NULL;
	custos_import_sink_t k = tsink_make(s);
	int st = custos_tree__new(&t, path, err);
	if (st < 0)
		return st;
	st = custos_import__slack.run(t, NULL, &k, err);
	custos_tree__free(t);
	return st;
}

static void test_slack__markup_threads_edits_files_and_events(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_tree(&s, "tests/data/import-b/slack-mini", &err));
	CHECK_INT(s.n, 7);
	CHECK_INT(s.invalid, 0);
	CHECK_INT(tsink_kind(&s, "message"), 6);
	CHECK_INT(tsink_kind(&s, "event"), 1);

	custos_record_t *r = tsink_find(&s, "slack:general:1704153600.000100");
	CHECK_STR(r->text, "Launch plan for #general: see the plan & ask @bo <now>");
	CHECK(strv_has(&r->urls, "https://example.com/plan?a=1&b=2"));
	CHECK(strv_has(&r->mentions, "bo"));
	/* hashtags come from the text (a channel named in it reads as one) */
	CHECK_INT(r->hashtags.n, 1);
	CHECK(strv_has(&r->hashtags, "general"));
	CHECK_STR(r->account, "#general");
	CHECK_STR(r->visibility, "public");
	CHECK_STR(r->author_handle, "ana");
	CHECK_STR(r->author_name, "Ana Lima");
	CHECK_STR(r->author_id, "U001");
	CHECK_STR(r->thread, "slack:general:1704153600.000100");
	CHECK(r->in_reply_to == NULL);
	CHECK_INT(r->created_at, 1704153600000LL);
	CHECK(strstr(s.raws.data, "\"reactions\": [{\"name\": \"tada\"") != NULL);

	r = tsink_find(&s, "slack:general:1704153660.000200");
	CHECK_STR(r->in_reply_to, "slack:general:1704153600.000100");
	CHECK_STR(r->thread, "slack:general:1704153600.000100");
	CHECK_INT(r->edited_at, 1704153700000LL);
	CHECK_STR(r->text, "Looks good, fixed the typo");
	CHECK_STR(r->author_name, "Bo Chen");

	r = tsink_find(&s, "slack:general:1704153800.000300");
	CHECK_STR(r->subtype, "file_share");
	CHECK_STR(r->kind, "message");
	CHECK_INT(r->n_media, 2);
	/* sha256sum tests/data/import-b/slack-mini/__uploads/F001/notes.txt */
	CHECK_STR(r->media[0].sha256, "2f961146136b3a277868c6769ff925bda87e49946e5e6b842ad359d6b27aada4");
	CHECK(r->media[0].url == NULL);
	CHECK_STR(r->media[1].url, "https://files.slack.com/F002/gone.png");
	CHECK(r->media[1].sha256 == NULL);
	CHECK_INT(s.n_blob, 1);

	r = tsink_find(&s, "slack:general:1704153900.000400");
	CHECK_STR(r->kind, "event");
	CHECK_STR(r->subtype, "channel_join");
	CHECK_STR(r->text, "@bo has joined the channel");

	r = tsink_find(&s, "slack:D0DM1:1704240000.000000");
	CHECK_STR(r->account, "dm:ana,bo");
	CHECK_STR(r->visibility, "direct");
	CHECK_STR(r->text, "psst @here");

	/* users.json does not know U999: the message's own user_profile names
	 * the author; a bot's name comes from bot_profile, its text from the
	 * attachment's fallback */
	r = tsink_find(&s, "slack:general:1704326400.000100");
	CHECK_STR(r->author_handle, "guest.g");
	CHECK_STR(r->author_name, "Guest Person");
	CHECK_STR(r->author_id, "U999");
	r = tsink_find(&s, "slack:general:1704326500.000200");
	CHECK_STR(r->author_handle, "deploybot");
	CHECK_STR(r->subtype, "bot_message");
	CHECK_STR(r->text, "deployed build 42");
	CHECK(strv_has(&r->urls, "https://ci.example.com/42"));

	CHECK_INT(s.n_bad, 1);
	CHECK(strstr(s.last_bad_why, "ts") != NULL);
	CHECK_STR(s.last_bad_file, "tests/data/import-b/slack-mini/general/2024-01-02.json");
	CHECK_INT(s.last_bad_line, 36);
	tsink_free(&s);
}

static void test_slack__truncated_day_file_is_reported_with_its_name(void)
{
	char dir[4200], cmd[8600];
	snprintf(dir, sizeof dir, "%s/ws", check_tmpdir);
	snprintf(cmd, sizeof cmd, "cp -r tests/data/import-b/slack-mini '%s' && "
	         "printf '[{\"type\": \"message\", \"ts\": \"1.0\", \"text\": \"ok\"}, {\"type\": \"mess' "
	         "> '%s/general/2024-01-05.json'", dir, dir);
	CHECK(system(cmd) == 0);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_tree(&s, dir, &err));
	CHECK_INT(s.n, 8);
	CHECK_INT(s.n_bad, 2);
	CHECK(strstr(s.last_bad_why, "general/2024-01-05.json") != NULL);
	tsink_free(&s);
}

static void test_slack__a_day_file_alone_takes_its_folder_as_channel(void)
{
	tsink_t s;
	custos_err_t err = { 0 };
	custos_tree_t *t = NULL;
	custos_import_sink_t k = tsink_make(&s);
	CHECK_OK(custos_tree__new(&t, "tests/data/import-b/slack-mini/D0DM1/2024-01-03.json", &err));
	const char head[] = "[{\"type\": \"message\", \"user\": \"U002\", \"text\": \"psst\", \"ts\": \"1\"}]";
	CHECK(custos_import__slack.detect(t, "2024-01-03.json", head, sizeof head - 1) >= 30);
	CHECK_OK(custos_import__slack.run(t, "2024-01-03.json", &k, &err));
	custos_tree__free(t);
	CHECK_INT(s.n, 1);
	/* no channel list or users.json to be found: ids and names from what there is */
	CHECK_STR(s.keep[0].id, "slack:D0DM1:1704240000.000000");
	CHECK_STR(s.keep[0].author_handle, "U002");
	tsink_free(&s);
}

static void test_slack__broken_users_json_is_a_bad_item_and_ids_stand_in(void)
{
	char dir[4200], cmd[8600];
	snprintf(dir, sizeof dir, "%s/ws", check_tmpdir);
	snprintf(cmd, sizeof cmd, "cp -r tests/data/import-b/slack-mini '%s' && "
	         "printf '[{\"id\": \"U001\", ' > '%s/users.json'", dir, dir);
	CHECK(system(cmd) == 0);
	tsink_t s;
	custos_err_t err = { 0 };
	CHECK_OK(run_tree(&s, dir, &err));
	CHECK_INT(s.n, 7);
	CHECK_INT(s.n_bad, 2);   /* users.json, and the message without ts */
	CHECK_STR(tsink_find(&s, "slack:general:1704153600.000100")->author_handle, "U001");
	tsink_free(&s);
	/* a sink that stops on bad items stops here, naming the file */
	custos_tree_t *t = NULL;
	custos_import_sink_t k = tsink_make(&s);
	s.bad_status = CUSTOS_EFORMAT;
	CHECK_OK(custos_tree__new(&t, dir, &err));
	CHECK_STATUS(custos_import__slack.run(t, NULL, &k, &err), CUSTOS_EFORMAT);
	CHECK(strstr(err.msg, "users.json: line 1") != NULL);
	custos_tree__free(t);
	tsink_free(&s);
}

/* Every record's id, author handle and thread, one per line, sorted (the
 * account and visibility come from the channel lists, when they are there). */
static char *ids_of(const tsink_t *s)
{
	custos_buf_t b = { 0 };
	char **v = calloc(s->n_keep + 1, sizeof *v);
	for (size_t i = 0; i < s->n_keep; i++) {
		custos_buf_t l = { 0 };
		custos_buf_printf(&l, "%s %s %s\n", s->keep[i].id, s->keep[i].author_handle,
		                  s->keep[i].thread ? s->keep[i].thread : "-");
		v[i] = l.data;
	}
	for (size_t i = 0; i + 1 < s->n_keep; i++)   /* a handful: insertion sort */
		for (size_t j = i + 1; j < s->n_keep; j++)
			if (strcmp(v[i], v[j]) > 0) {
				char *t = v[i];
				v[i] = v[j];
				v[j] = t;
			}
	for (size_t i = 0; i < s->n_keep; i++) {
		custos_buf_adds(&b, v[i]);
		free(v[i]);
	}
	free(v);
	return b.data;
}

static void test_slack__ids_and_authors_are_the_same_however_it_is_packaged(void)
{
	/* the folder, a zip of it, and the folder without its channel lists:
	 * one id per message (they were slack:C001:... with channels.json and
	 * slack:general:... without: a second copy of every message), and
	 * users.json names the authors whenever it is there */
	char cmd[8800];
	snprintf(cmd, sizeof cmd, "cd '%s' && cp -r \"$OLDPWD/tests/data/import-b/slack-mini\" full && "
	         "cp -r full bare && rm bare/channels.json bare/dms.json && "
	         "(cd full && zip -qr ../full.zip .)", check_tmpdir);
	CHECK(system(cmd) == 0);
	const char *forms[] = { "full", "full.zip", "bare" };
	char *want = NULL;
	for (size_t i = 0; i < 3; i++) {
		tsink_t s;
		custos_err_t err = { 0 };
		char path[4300];
		snprintf(path, sizeof path, "%s/%s", check_tmpdir, forms[i]);
		custos_import_sink_t k = tsink_make(&s);
		CHECK_OK(custos_import_run(path, NULL, &k, &err));
		CHECK_INT(s.n, 7);
		char *got = ids_of(&s);
		if (!want) {
			want = got;
			CHECK(strstr(want, "slack:general:1704153660.000200 bo "
			             "slack:general:1704153600.000100\n"));
		} else {
			CHECK_STR(got, want);
			free(got);
		}
		tsink_free(&s);
	}
	free(want);
}

static void test_slack__an_archive_holding_channel_id_ids_keeps_them(void)
{
	/* an archive that took the export before 2026-12 holds its messages as
	 * slack:<channel id>:<ts>: they keep those ids, and so does a thread's
	 * reply that points at such a root, so re-ingesting adds nothing */
	tsink_t s;
	custos_err_t err = { 0 };
	custos_tree_t *t = NULL;
	custos_import_sink_t k = tsink_make(&s);
	s.held = "slack:C001:1704153600.000100\n";
	CHECK_OK(custos_tree__new(&t, "tests/data/import-b/slack-mini", &err));
	CHECK_OK(custos_import__slack.run(t, NULL, &k, &err));
	custos_tree__free(t);
	CHECK_INT(s.n, 7);
	CHECK_STR(tsink_find(&s, "slack:C001:1704153600.000100")->thread,
	          "slack:C001:1704153600.000100");
	custos_record_t *r = tsink_find(&s, "slack:general:1704153660.000200");
	CHECK_STR(r->in_reply_to, "slack:C001:1704153600.000100");
	CHECK_STR(r->thread, "slack:C001:1704153600.000100");
	tsink_free(&s);
}

static void check_real(tsink_t *s)
{
	/* cd unzipped && python3 -c "import json,os,collections;print(collections.Counter(
	 *   m.get('subtype') for d,_,fs in os.walk('.') for f in fs if f[0]=='2'
	 *   for m in json.load(open(os.path.join(d,f)))))"
	 * -> bot_message 94, None 49, channel_join 8, bot_add 3, file_share 3, file_comment 1:
	 * 158 in all, events (channel_join, bot_add) 11 */
	CHECK_INT(s->n, 158);
	CHECK_INT(tsink_kind(s, "event"), 11);
	CHECK_INT(tsink_kind(s, "message"), 147);
	CHECK_INT(s->n_bad, 0);
	CHECK_INT(s->invalid, 0);
	/* enrique/2016-01-14.json: "<@U0BMYT2FL>: Created an issue ..." by U0BMQB6JE */
	custos_record_t *r = tsink_find(s, "slack:enrique:1452837352.000006");
	CHECK(!strncmp(r->text, "@abilinski: Created an issue", 28));
	CHECK_STR(r->account, "#enrique");
	CHECK(strv_has(&r->mentions, "abilinski"));
}

static void test_slack__real_export_folder_and_zip_agree(void)
{
	char path[4096];
	tsink_t a, b, c;
	custos_err_t err = { 0 };
	if (!fixture_path(path, sizeof path, "slack-export-viewer-testarchive/unzipped"))
		return;
	CHECK_OK(run_tree(&a, path, &err));
	check_real(&a);
	/* traveling-sailor/2016-03-25.json: the edited message */
	int found = 0;
	for (size_t i = 0; i < a.n_keep; i++)
		if (!strcmp(a.keep[i].id, "slack:traveling-sailor:1458972985.000010")) {
			CHECK_INT(a.keep[i].edited_at, 1458981134000LL);
			found = 1;
		}
	/* the first 512 kept hold every one of the 158 */
	CHECK(found);
	/* a file_share whose bytes are not in the export: media by URL only */
	custos_record_t *r = tsink_find(&a, "slack:traveling-sailor:1459052866.000012");
	CHECK_STR(r->subtype, "file_share");
	CHECK_INT(r->n_media, 1);
	CHECK_STR(r->media[0].name, "100_cities.js");
	CHECK(!strncmp(r->media[0].url, "https://files.slack.com/files-pri/T0BMHLSRH-F0VNAKDE2/", 54));
	CHECK(r->media[0].sha256 == NULL);
	if (!fixture_path(path, sizeof path, "slack-export-viewer-testarchive/testarchive.zip"))
		return;
	CHECK_OK(run_tree(&b, path, &err));
	check_real(&b);
	CHECK(strstr(b.json.data, "testarchive.zip!/enrique/2016-01-14.json") != NULL);
	/* same ids and content, folder or zip; and twice the same */
	for (size_t i = 0; i < a.n_keep; i++) {
		CHECK_STR(a.keep[i].id, b.keep[i].id);
		CHECK_STR(a.keep[i].text, b.keep[i].text);
	}
	CHECK_OK(run_tree(&c, path, &err));
	CHECK_INT(b.json.len, c.json.len);
	CHECK(memcmp(b.json.data, c.json.data, b.json.len) == 0);
	tsink_free(&a);
	tsink_free(&b);
	tsink_free(&c);
}

static void test_slack__auto_detection_picks_it(void)
{
	char path[4096];
	tsink_t s;
	custos_err_t err = { 0 };
	if (!fixture_path(path, sizeof path, "slack-export-viewer-testarchive/testarchive.zip"))
		return;
	custos_import_sink_t k = tsink_make(&s);
	CHECK_OK(custos_import_run(path, "auto", &k, &err));
	CHECK_INT(s.n, 158);
	CHECK_STR(s.keep[0].source.format, "slack");
	CHECK_STR(s.keep[0].platform, "slack");
	tsink_free(&s);
}

static void test_slack__mutated_day_files_never_crash(void)
{
	size_t n;
	char *seed = slurp_file("tests/data/import-b/slack-mini/general/2024-01-02.json", &n);
	char *buf = malloc(n + 64), dir[4200], cmd[8600], path[4300];
	unsigned rs = 4;
	snprintf(dir, sizeof dir, "%s/ws", check_tmpdir);
	snprintf(cmd, sizeof cmd, "cp -r tests/data/import-b/slack-mini '%s'", dir);
	CHECK(system(cmd) == 0);
	snprintf(path, sizeof path, "%s/general/2024-01-02.json", dir);
	for (int i = 0; i < 300; i++) {
		memcpy(buf, seed, n);
		size_t m = mutate(buf, n, n + 64, &rs);
		FILE *f = fopen(path, "wb");
		CHECK(f && fwrite(buf, 1, m, f) == m && fclose(f) == 0);
		tsink_t s;
		custos_err_t err = { 0 };
		CHECK_OK(run_tree(&s, dir, &err));
		CHECK_INT(s.invalid, 0);
		tsink_free(&s);
	}
	free(seed);
	free(buf);
}

CHECK_MAIN(CHECK_CASE(test_slack__markup_threads_edits_files_and_events),
           CHECK_CASE(test_slack__ids_and_authors_are_the_same_however_it_is_packaged),
           CHECK_CASE(test_slack__an_archive_holding_channel_id_ids_keeps_them),
           CHECK_CASE(test_slack__truncated_day_file_is_reported_with_its_name),
           CHECK_CASE(test_slack__a_day_file_alone_takes_its_folder_as_channel),
           CHECK_CASE(test_slack__broken_users_json_is_a_bad_item_and_ids_stand_in),
           CHECK_CASE(test_slack__real_export_folder_and_zip_agree),
           CHECK_CASE(test_slack__auto_detection_picks_it),
           CHECK_CASE(test_slack__mutated_day_files_never_crash))
