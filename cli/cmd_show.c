/* custos show: one record, its versions, its original bytes. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const cli_option_t opts[] = {
	{ "json", 'j', NULL, "Print JSON: the canonical record with its original bytes, or its "
	  "tombstone; with --versions or --thread an object holding the list.", 0, NULL, false },
	{ "versions", 'v', NULL, "List every version of the record, oldest first, disposed ones "
	  "marked.", 0, NULL, false },
	{ "thread", 't', NULL, "Show the conversation the record belongs to, oldest first: the "
	  "latest version of each member, and the tombstone of each member disposed of.", 0,
	  NULL, false },
	{ "version", 'V', "N", "Show version N instead of the latest.", CLI_ARG_TEXT, NULL, false },
	{ "raw", 'r', NULL, "Print the original bytes as captured, nothing else; to a "
	  "terminal only when they hold no control character but newline and tab.", 0, NULL,
	  false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_show_subs[] = {
	{ NULL, "[--json] [--versions|--thread|--version N|--raw] ID", "Shows record ID as the "
	  "archive has it: its fields and text, or, once disposed of, the tombstone that "
	  "replaced it.", opts, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

/* One item's JSON object (custos_item_json: what the service answers too),
 * without a newline. */
static void print_item_json(const custos_item_t *it)
{
	custos_buf_t b = { 0 };
	if (custos_item_json(it, it->id, &b) == CUSTOS_OK)
		fwrite(b.data, 1, b.len, stdout);
	custos_buf_free(&b);
}

static void field(const char *name, const char *value)
{
	if (value && *value)
		cli_printf(stdout, "%-13s %s\n", name, value);
}

static void list(const char *name, const custos_strv_t *v, const char *sigil)
{
	if (!v->n)
		return;
	printf("%-13s", name);
	for (size_t i = 0; i < v->n; i++)
		cli_printf(stdout, " %s%s", sigil, v->v[i]);
	putchar('\n');
}

static void print_human(const custos_record_t *r, uint32_t n_versions)
{
	char t[40], buf[512];
	field("id", r->id);
	snprintf(buf, sizeof buf, "%u of %u", r->version, n_versions);
	field("version", buf);
	field("platform", r->platform);
	field("account", r->account);
	snprintf(buf, sizeof buf, "%s%s%s", r->kind ? r->kind : "", r->subtype ? " / " : "",
	         r->subtype ? r->subtype : "");
	field("kind", buf);
	snprintf(buf, sizeof buf, "@%s%s%s%s", r->author_handle, r->author_name ? " (" : "",
	         r->author_name ? r->author_name : "", r->author_name ? ")" : "");
	field("author", buf);
	custos_time_format(t, sizeof t, r->created_at);
	field("created", t);
	if (r->edited_at != CUSTOS_TIME_NONE) {
		custos_time_format(t, sizeof t, r->edited_at);
		field("edited", t);
	}
	if (r->deleted_at != CUSTOS_TIME_NONE) {
		custos_time_format(t, sizeof t, r->deleted_at);
		snprintf(buf, sizeof buf, "%s (deleted upstream; kept)", t);
		field("deleted", buf);
	}
	field("in reply to", r->in_reply_to);
	field("thread", r->thread);
	field("repost of", r->repost_of);
	field("quote of", r->quote_of);
	field("target", r->target);
	field("url", r->url);
	field("lang", r->lang);
	field("visibility", r->visibility);
	field("warning", r->content_warning);
	list("hashtags", &r->hashtags, "#");
	list("mentions", &r->mentions, "@");
	list("cashtags", &r->cashtags, "$");
	list("urls", &r->urls, "");
	for (size_t i = 0; i < r->n_media; i++) {
		const custos_media_t *m = &r->media[i];
		snprintf(buf, sizeof buf, "%s %s %s", m->type ? m->type : "?",
		         m->name ? m->name : m->url ? m->url : "",
		         m->sha256 ? m->sha256 : "(referenced only)");
		field("media", buf);
	}
	custos_time_format(t, sizeof t, r->captured_at);
	field("captured", t);
	if (r->source.file) {
		snprintf(buf, sizeof buf, "%s %s%s", r->source.format ? r->source.format : "",
		         r->source.file, "");
		if (r->source.line > 0)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " line %lld",
			         (long long)r->source.line);
		else if (r->source.offset >= 0)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " byte %lld",
			         (long long)r->source.offset);
		field("source", buf);
	}
	field("content hash", r->content_sha256);
	field("title", r->title);
	/* the text reads as lines; every other control is escaped */
	putchar('\n');
	cli_print_text(stdout, r->text ? r->text : "", true);
	putchar('\n');
}

/* The value of a top-level field of a tombstone (custos wrote it: the
 * fields are known, their strings hold no quote), or false. */
static bool tomb_get(const char *tomb, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(tomb, pat);
	if (!p)
		return false;
	p += strlen(pat);
	bool q = *p == '"';
	p += q;
	size_t n = q ? strcspn(p, "\"") : strcspn(p, ",}");
	if (!q && n == 4 && !strncmp(p, "null", 4))
		return false;
	snprintf(out, cap, "%.*s", (int)n, p);
	return true;
}

/* A disposed version: its tombstone is what the archive keeps. */
static void print_tombstone(const char *id, const char *tomb)
{
	static const char *const keys[] = { "version", "disposed_at", "rule", "policy_commit",
	                                    "actor", "run", "content_sha256", "raw_sha256",
	                                    "created_at", "platform", "account", "in_reply_to",
	                                    NULL };
	cli_printf(stdout, "%-13s %s\n%-13s disposed of under the retention schedule; only this "
	           "tombstone remains\n", "id", id, "status");
	for (int i = 0; keys[i]; i++) {
		char v[200];
		if (tomb_get(tomb, keys[i], v, sizeof v))
			cli_printf(stdout, "%-13s %s\n", keys[i], v);
	}
}

/* The conversation around id, oldest first; versions and deletions marked. */
static void show_thread(const custos_items_t *l, const char *id, bool json)
{
	if (json) {
		printf("{\"id\":");
		cli_json_str(stdout, id);
		printf(",\"thread\":[");
	}
	for (size_t i = 0; i < l->n; i++) {
		const custos_item_t *it = &l->v[i];
		if (json) {
			printf("%s", i ? "," : "");
			print_item_json(it);
			continue;
		}
		if (it->disposed && l->n == 1) {
			/* the record alone: its whole tombstone */
			print_tombstone(it->id, it->tombstone);
			continue;
		}
		if (it->disposed) {
			char t[64] = "", rule[200] = "", at[64] = "", commit[64] = "";
			tomb_get(it->tombstone, "created_at", t, sizeof t);
			tomb_get(it->tombstone, "rule", rule, sizeof rule);
			tomb_get(it->tombstone, "disposed_at", at, sizeof at);
			tomb_get(it->tombstone, "policy_commit", commit, sizeof commit);
			cli_printf(stdout, "%s %s  %s  [disposed of on %.10s under rule %s, policy commit %.12s: "
			           "only its tombstone remains]\n", strcmp(it->id, id) ? " " : ">", t, it->id,
			           at, rule, commit);
			continue;
		}
		const custos_record_t *r = &it->rec;
		char t[40], mark[64] = "";
		custos_time_format(t, sizeof t, r->created_at);
		if (it->n_versions > 1)
			snprintf(mark, sizeof mark, " [%u versions]", it->n_versions);
		if (r->deleted_at != CUSTOS_TIME_NONE)
			snprintf(mark + strlen(mark), sizeof mark - strlen(mark), " [deleted upstream]");
		cli_printf(stdout, "%s %s  %s  @%s (%s)%s%s%s\n    ", strcmp(r->id, id) ? " " : ">",
		           t, r->id, r->author_handle, r->kind ? r->kind : "",
		           r->in_reply_to ? " in reply to " : "", r->in_reply_to ? r->in_reply_to : "",
		           mark);
		cli_print_lines(stdout, r->text ? r->text : "", "    ");
		putchar('\n');
	}
	if (json)
		printf("]}\n");
}

static void show_versions(const custos_items_t *l, const char *id, bool json)
{
	if (json) {
		printf("{\"id\":");
		cli_json_str(stdout, id);
		printf(",\"versions\":[");
	}
	for (size_t i = 0; i < l->n; i++) {
		const custos_item_t *it = &l->v[i];
		const custos_record_t *r = &it->rec;
		if (i == 0 && !json)
			printf("%-7s %-8s %-24s %-24s %-16s %s\n", "version", "seq", "captured",
			       "edited upstream", "content hash", "text");
		if (json) {
			printf("%s", i ? "," : "");
			print_item_json(it);
			continue;
		}
		if (it->disposed) {
			cli_printf(stdout, "%-7u %-8llu [disposed of; see 'custos show %s']\n", it->version,
			           (unsigned long long)it->seq, id);
			continue;
		}
		char t[40], e[40] = "";
		custos_time_format(t, sizeof t, r->captured_at);
		if (r->edited_at != CUSTOS_TIME_NONE)
			custos_time_format(e, sizeof e, r->edited_at);
		cli_printf(stdout, "%-7u %-8llu %-24s %-24s %.16s %.40s%s\n", r->version,
		           (unsigned long long)r->seq, t, e[0] ? e : "-", r->content_sha256,
		           r->text ? r->text : "", r->deleted_at != CUSTOS_TIME_NONE ?
		           "  [deleted upstream]" : "");
	}
	if (json)
		printf("]}\n");
}

int cmd_show(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("show");
	bool json = cli->json, versions = false, raw = false, thread = false;
	uint32_t want = 0;
	custos_session_t *a = NULL;
	custos_items_t l = { 0 };
	int c, rc;

	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'v': versions = true; break;
		case 'r': raw = true; break;
		case 'V': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > UINT32_MAX)
				return cli_usage(cmd, "--version takes a version number, 1 and up");
			want = (uint32_t)v;
			break;
		}
		case 't': thread = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "show needs exactly one record ID");
	if ((versions && thread) || ((versions || thread) && (want || raw)))
		return cli_usage(cmd, "--versions, --thread and --version/--raw do not go together");
	const char *id = argv[optind];
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	int what = thread ? CUSTOS_SHOW_THREAD : versions ? CUSTOS_SHOW_VERSIONS : CUSTOS_SHOW_ONE;
	if (custos_archive_show(a, id, want, what, &l) < 0) {
		rc = cli_fail_err(custos_session_err(a));
		goto done;
	}
	if (thread) {
		show_thread(&l, id, json);
	} else if (versions) {
		show_versions(&l, id, json);
	} else if (l.v[0].disposed) {
		if (raw)
			rc = cli_fail("record '%s' was disposed of: its original bytes are gone", id);
		else if (json) {
			print_item_json(&l.v[0]);
			putchar('\n');
		} else {
			print_tombstone(id, l.v[0].tombstone);
		}
	} else if (raw) {
		rc = cli_write_raw(l.v[0].rec.raw, l.v[0].rec.raw_len);
	} else if (json) {
		print_item_json(&l.v[0]);
		putchar('\n');
	} else {
		print_human(&l.v[0].rec, l.v[0].n_versions);
	}
done:
	custos_items_free(&l);
	cli_close(cli);
	return rc;
}
