/* custos matter: matters, their saved searches and review coding. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int fail(custos_session_t *s, const char *what)
{
	return cli_fail("%s: %s", what, custos_session_err(s)->msg);
}

static int matter_create(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "tag", required_argument, NULL, 't' },
	                                      { "description", required_argument, NULL, 'd' },
	                                      { NULL, 0, NULL, 0 } };
	const cli_command_t *cmd = cli_find("matter");
	const char *tags[64], *desc = NULL;
	size_t n = 0;
	custos_session_t *s = NULL;
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 't' && n < 64)
			tags[n++] = optarg;
		else if (c == 'd')
			desc = optarg;
		else
			return cli_usage(cmd, c == 't' ? "at most 64 tags" : NULL);
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "matter create needs one NAME");
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &s)) != CLI_OK)
		return rc;
	if (custos_archive_matter_create(s, argv[optind], desc, tags, n) < 0)
		rc = fail(s, "cannot create the matter");
	else
		cli_printf(stdout, "matter '%s' created\n", argv[optind]);
	cli_close(cli);
	return rc;
}

static int matter_tag(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "query", required_argument, NULL, 'q' },
	                                      { "thread", required_argument, NULL, 't' },
	                                      { "remove", no_argument, NULL, 'r' },
	                                      { "note", required_argument, NULL, 'n' },
	                                      { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	const cli_command_t *cmd = cli_find("matter");
	custos_selection_t sel = CUSTOS_SELECTION_INIT;
	const char *note = NULL;
	bool remove = false, json = false;
	custos_session_t *s = NULL;
	uint64_t selected = 0, changed = 0;
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q': sel.query = optarg; break;
		case 't': sel.thread = optarg; break;
		case 'r': remove = true; break;
		case 'n': note = optarg; break;
		case 'j': json = true; break;
		default: return cli_usage(cmd, NULL);
		}
	}
	if (argc - optind < 2)
		return cli_usage(cmd, "matter tag needs NAME TAG and --query Q, --thread ID or IDs");
	const char *matter = argv[optind], *tag = argv[optind + 1];
	if (argc - optind > 2) {
		sel.ids = (const char *const *)argv + optind + 2;
		sel.n_ids = (size_t)(argc - optind - 2);
	}
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &s)) != CLI_OK)
		return rc;
	if (custos_archive_matter_tag(s, matter, tag, remove, note, &sel, &selected, &changed) < 0)
		rc = fail(s, "cannot code the records");
	else if (json)
		printf("{\"matter\":\"%s\",\"tag\":\"%s\",\"op\":\"%s\",\"selected\":%llu,"
		       "\"changed\":%llu}\n", matter, tag, remove ? "remove" : "add",
		       (unsigned long long)selected, (unsigned long long)changed);
	else
		cli_printf(stdout, "%s '%s' %s %llu record%s (%llu changed)\n", remove ? "removed" : "tagged", tag,
		           remove ? "from" : "on", (unsigned long long)selected, selected == 1 ? "" : "s",
		           (unsigned long long)changed);
	cli_close(cli);
	return rc;
}

static int matter_save(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "query", required_argument, NULL, 'q' },
	                                      { NULL, 0, NULL, 0 } };
	const cli_command_t *cmd = cli_find("matter");
	const char *query = NULL;
	custos_session_t *s = NULL;
	uint64_t hits = 0, wm = 0;
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'q')
			return cli_usage(cmd, NULL);
		query = optarg;
	}
	if (argc - optind != 2 || !query)
		return cli_usage(cmd, "matter save-search needs NAME SEARCH --query Q");
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT, &s)) != CLI_OK)
		return rc;
	if (custos_archive_matter_save_search(s, argv[optind], argv[optind + 1], query, &hits,
	                                      &wm) < 0)
		rc = fail(s, "cannot save the search");
	else
		cli_printf(stdout, "search '%s' saved in matter '%s': %llu hits at index watermark %llu\n",
		           argv[optind + 1], argv[optind], (unsigned long long)hits,
		           (unsigned long long)wm);
	cli_close(cli);
	return rc;
}

static void counts(const char *title, const custos_facet_value_t *v, size_t n)
{
	printf("\n%-24s %8s\n", title, "records");
	for (size_t i = 0; i < n; i++) {
		cli_printf(stdout, "%-24s %8llu\n", *v[i].value ? v[i].value : "(none)",
		           (unsigned long long)v[i].count);
	}
}

static int matter_show(cli_t *cli, int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
	                                      { NULL, 0, NULL, 0 } };
	const cli_command_t *cmd = cli_find("matter");
	custos_session_t *s = NULL;
	custos_matter_t *m = NULL;
	bool json = false;
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'j')
			return cli_usage(cmd, NULL);
		json = true;
	}
	if (optind != argc - 1)
		return cli_usage(cmd, "matter show needs one NAME");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
		return rc;
	if (custos_archive_matter_show(s, argv[optind], &m) < 0) {
		rc = fail(s, "cannot show the matter");
		cli_close(cli);
		return rc;
	}
	char t[40];
	custos_time_format(t, sizeof t, m->created_at);
	if (json) {
		custos_buf_t b = { 0 };
		if (custos_matter_json(m, &b) < 0 || custos_buf_addc(&b, '\n') < 0) {
			custos_buf_free(&b);
			custos_matter_free(m);
			cli_close(cli);
			return cli_fail("cannot show the matter: out of memory");
		}
		fwrite(b.data, 1, b.len, stdout);
		custos_buf_free(&b);
	} else {
		custos_buf_t b = { 0 };
		custos_buf_printf(&b, "matter   %s\ncreated  %s by %s\n%s%s%scoded    %llu records "
		                  "(%llu more coded and disposed of since: only the fact remains)\n",
		                  m->name, t, *m->created_by ? m->created_by : "(no actor)",
		                  *m->description ? "about    " : "", m->description,
		                  *m->description ? "\n" : "", (unsigned long long)m->coded,
		                  (unsigned long long)m->disposed);
		cli_print_text(stdout, b.data, true);
		custos_buf_free(&b);
		printf("\n%-24s %8s\n", "tag", "records");
		for (size_t i = 0; i < m->n_tags; i++)
			cli_printf(stdout, "%-24s %8llu\n", m->tags[i], (unsigned long long)m->per_tag[i]);
		counts("custodian", m->per_custodian, m->n_custodian);
		counts("platform", m->per_platform, m->n_platform);
		if (m->n_searches)
			printf("\n%-20s %8s %10s  %s\n", "saved search", "hits", "watermark", "query");
		for (size_t i = 0; i < m->n_searches; i++) {
			const custos_saved_search_t *ss = &m->searches[i];
			cli_printf(stdout, "%-20s %8llu %10llu  %s\n", ss->name,
			           (unsigned long long)ss->hits, (unsigned long long)ss->watermark,
			           ss->query);
		}
	}
	custos_matter_free(m);
	cli_close(cli);
	return CLI_OK;
}

static int matter_list(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("matter");
	custos_session_t *s = NULL;
	char **names = NULL;
	int rc;
	(void)argv;
	if (argc != 1)
		return cli_usage(cmd, "matter list takes no arguments");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
		return rc;
	if (custos_archive_matter_list(s, &names) < 0)
		rc = fail(s, "cannot list the matters");
	else {
		for (size_t i = 0; names[i]; i++)
			cli_printf(stdout, "%s\n", names[i]);
		if (!names[0])
			puts("no matters");
	}
	free(names);
	cli_close(cli);
	return rc;
}

int cmd_matter(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("matter");
	if (argc < 2)
		return cli_usage(cmd, "matter needs a subcommand");
	const char *sub = argv[1];
	if (!strcmp(sub, "create"))
		return matter_create(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "tag"))
		return matter_tag(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "save-search"))
		return matter_save(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return matter_show(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return matter_list(cli, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown matter command '%s'", sub);
}
