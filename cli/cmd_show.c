/* custos show: one record, its versions, its original bytes. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void print_raw_json(const custos_record_t *r)
{
	if (custos_utf8_check(r->raw, r->raw_len) == r->raw_len) {
		custos_buf_t b = { 0 };
		custos_buf_add_json_str(&b, r->raw, r->raw_len);
		printf(",\"raw\":%s", b.data);
		custos_buf_free(&b);
	} else {
		/* not text: hex keeps every byte and needs no extra dependency */
		printf(",\"raw_hex\":\"");
		for (size_t i = 0; i < r->raw_len; i++)
			printf("%02x", (unsigned char)r->raw[i]);
		printf("\"");
	}
}

static void print_json(const custos_record_t *r, uint32_t n_versions)
{
	custos_buf_t b = { 0 };
	custos_record_to_json(r, CUSTOS_JSON_FULL, &b);
	/* the canonical form plus what only show adds */
	fwrite(b.data, 1, b.len - 1, stdout);
	printf(",\"versions\":%u", n_versions);
	print_raw_json(r);
	printf("}\n");
	custos_buf_free(&b);
}

static void field(const char *name, const char *value)
{
	if (value && *value)
		printf("%-13s %s\n", name, value);
}

static void list(const char *name, const custos_strv_t *v, const char *sigil)
{
	if (!v->n)
		return;
	printf("%-13s", name);
	for (size_t i = 0; i < v->n; i++)
		printf(" %s%s", sigil, v->v[i]);
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
	printf("\n%s\n", r->text ? r->text : "");
}

/* A disposed version: its tombstone is what the archive keeps (issue 5). */
typedef struct { uint64_t seq; custos_buf_t json; } tomb_t;
static int tomb_fn(void *ctx, uint64_t seq, const char *json, size_t n)
{
	tomb_t *t = ctx;
	if (seq != t->seq)
		return 0;
	custos_buf_add(&t->json, json, n);
	return 1;
}

/* Prints the tombstone of seq; false when there is none. */
static bool print_tombstone(custos_store_t *st, const char *id, uint64_t seq, bool json)
{
	static const char *const keys[] = { "version", "disposed_at", "rule", "policy_commit",
	                                    "actor", "content_sha256", "raw_sha256", "created_at",
	                                    "platform", NULL };
	tomb_t t = { seq, { 0 } };
	custos_store_tombstones(st, id, tomb_fn, &t);
	if (!t.json.len)
		return false;
	if (json) {
		printf("{\"id\":");
		cli_json_str(stdout, id);
		printf(",\"disposed\":true,\"tombstone\":%s}\n", t.json.data);
	} else {
		printf("%-13s %s\n%-13s disposed of under the retention schedule; only this "
		       "tombstone remains\n", "id", id, "status");
		for (int i = 0; keys[i]; i++) {
			char pat[64];
			snprintf(pat, sizeof pat, "\"%s\":", keys[i]);
			const char *p = strstr(t.json.data, pat);
			if (!p)
				continue;
			p += strlen(pat);
			bool q = *p == '"';
			p += q;
			size_t n = q ? strcspn(p, "\"") : strcspn(p, ",}");
			printf("%-13s %.*s\n", keys[i], (int)n, p);
		}
	}
	custos_buf_free(&t.json);
	return true;
}

/* The conversation around id, oldest first; versions and deletions marked. */
static int show_thread(custos_archive_t *a, const char *id, bool json)
{
	custos_store_t *st = custos_archive_store(a);
	custos_index_idlist_t l;
	custos_record_t r;
	int rc = CLI_OK;

	if (custos_archive_thread(a, id, &l) < 0)
		return cli_fail_err(custos_archive_err(a));
	custos_record_init(&r);
	if (json)
		printf("[");
	for (size_t i = 0; i < l.n; i++) {
		uint64_t *seqs = NULL;
		size_t nv = 0;
		if (custos_store_versions(st, l.v[i].id, &seqs, &nv) < 0 || nv == 0 ||
		    custos_store_get_seq(st, seqs[nv - 1], &r) < 0) {
			free(seqs);
			rc = cli_fail("cannot read %s: %s", l.v[i].id, custos_store_err(st)->msg);
			break;
		}
		free(seqs);
		if (json) {
			printf("%s", i ? "," : "");
			print_json(&r, (uint32_t)nv);
			continue;
		}
		char t[40], mark[64] = "";
		custos_time_format(t, sizeof t, r.created_at);
		if (nv > 1)
			snprintf(mark, sizeof mark, " [%zu versions]", nv);
		if (r.deleted_at != CUSTOS_TIME_NONE)
			snprintf(mark + strlen(mark), sizeof mark - strlen(mark), " [deleted upstream]");
		printf("%s %s  %s  @%s (%s)%s%s%s\n    %s\n", strcmp(r.id, id) ? " " : ">", t, r.id,
		       r.author_handle, r.kind ? r.kind : "", r.in_reply_to ? " in reply to " : "",
		       r.in_reply_to ? r.in_reply_to : "", mark, r.text ? r.text : "");
	}
	if (json && rc == CLI_OK)
		printf("]\n");
	custos_record_free(&r);
	custos_index_idlist_free(&l);
	return rc;
}

int cmd_show(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "versions", no_argument, NULL, 'v' },
		{ "raw", no_argument, NULL, 'r' },
		{ "version", required_argument, NULL, 'V' },
		{ "thread", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const cli_command_t *cmd = cli_find("show");
	bool json = false, versions = false, raw = false, thread = false;
	uint32_t want = 0;
	custos_archive_t *a = NULL;
	custos_record_t r;
	uint64_t *seqs = NULL;
	size_t n = 0;
	char *resolved = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'v': versions = true; break;
		case 'r': raw = true; break;
		case 'V': want = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': thread = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "show needs exactly one record ID");
	const char *id = argv[optind];
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &a)) != CLI_OK)
		return rc;
	custos_store_t *st = custos_archive_store(a);
	custos_record_init(&r);
	uint64_t current = 0;
	int s = custos_archive_resolve(a, id, &resolved, &current);
	if (s == CUSTOS_OK) {
		id = resolved;
		s = custos_store_versions(st, id, &seqs, &n);
	}
	if (s == CUSTOS_OK && n == 0)
		s = CUSTOS_ENOTFOUND;
	if (s < 0) {
		rc = s == CUSTOS_ENOTFOUND ? cli_fail("no record '%s'", id)
		                           : cli_fail_err(custos_archive_err(a));
		goto done;
	}
	if (thread) {
		rc = show_thread(a, id, json);
		goto audit;
	}
	if (want > n) {
		rc = cli_fail("record '%s' has %zu versions, not %u", id, n, want);
		goto done;
	}
	if (versions) {
		if (json)
			printf("[");
		for (size_t i = 0; i < n; i++) {
			if ((s = custos_store_get_seq(st, seqs[i], &r)) < 0) {
				if (s == CUSTOS_ENOTFOUND && !json) {
					if (i == 0)
						printf("%-7s %-8s %-22s %-22s %-16s %s\n", "version", "seq",
						       "captured", "edited upstream", "content hash", "text");
					printf("%-7zu %-8llu [disposed of; see 'custos show %s']\n", i + 1,
					       (unsigned long long)seqs[i], id);
					continue;
				}
				if (s == CUSTOS_ENOTFOUND) {
					printf("%s", i ? "," : "");
					if (print_tombstone(st, id, seqs[i], true))
						continue;
				}
				rc = cli_fail_err(custos_store_err(st));
				goto done;
			}
			if (json) {
				if (i)
					printf(",");
				print_json(&r, (uint32_t)n);
			} else {
				char t[40], e[40] = "";
				custos_time_format(t, sizeof t, r.captured_at);
				if (r.edited_at != CUSTOS_TIME_NONE)
					custos_time_format(e, sizeof e, r.edited_at);
				if (i == 0)
					printf("%-7s %-8s %-24s %-24s %-16s %s\n", "version", "seq",
					       "captured", "edited upstream", "content hash", "text");
				printf("%-7u %-8llu %-24s %-24s %.16s %.40s%s\n", r.version,
				       (unsigned long long)r.seq, t, e[0] ? e : "-", r.content_sha256,
				       r.text ? r.text : "", r.deleted_at != CUSTOS_TIME_NONE ?
				       "  [deleted upstream]" : "");
			}
		}
		if (json)
			printf("]\n");
		goto audit;
	}
	/* without --version, the current version: the platform's latest */
	uint64_t seq = want ? seqs[want - 1] : current;
	if ((s = custos_store_get_seq(st, seq, &r)) < 0) {
		if (s == CUSTOS_ENOTFOUND && !raw &&
		    print_tombstone(st, id, seq, json))
			goto audit;
		rc = cli_fail_err(custos_store_err(st));
		goto done;
	}
	if (raw)
		fwrite(r.raw, 1, r.raw_len, stdout);
	else if (json)
		print_json(&r, (uint32_t)n);
	else
		print_human(&r, (uint32_t)n);
audit:;
	custos_buf_t p = { 0 };
	custos_buf_adds(&p, "{\"id\":");
	custos_buf_add_json_str(&p, id, strlen(id));
	custos_buf_addc(&p, '}');
	if (custos_archive_audit(a, "show", p.data, NULL, CUSTOS_OK) < 0)
		rc = cli_fail_err(custos_archive_err(a));
	custos_buf_free(&p);
done:
	free(seqs);
	free(resolved);
	custos_record_free(&r);
	custos_archive_free(a);
	return rc;
}
