/* custos compact: give back the space disposition and copy-on-write left in
 * the store's file. */
#include "cli.h"

static const cli_option_t opts[] = {
	{ "json", 'j', NULL, "Print the sizes as a JSON object.", 0, NULL, false },
	{ NULL, 0, NULL, NULL, 0, NULL, false }
};

const cli_sub_t cli_compact_subs[] = {
	{ NULL, "[--json]", "Rewrites the store into a new file, its pages full and none free, "
	  "and puts it in place of the old one: the space a disposition run left (the records' "
	  "pages it rewrote, the pages copy-on-write freed) comes back to the disk. Holds the "
	  "writer lock meanwhile (ingest and retention wait or are refused); needs free disk "
	  "space for the new file. A crash at any point leaves the archive as it was or "
	  "compacted, either of which opens and verifies (docs/storage.md, \"Compaction\").",
	  opts, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

int cmd_compact(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("compact");
	custos_session_t *a = NULL;
	bool json = cli->json;
	int c, rc;

	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1) {
		if (c == 'j')
			json = true;
		else
			return cli_usage(cmd, NULL);
	}
	if (optind != argc)
		return cli_usage(cmd, "compact takes no arguments");
	if ((rc = cli_open(cli, CUSTOS_OPEN_WRITE | CUSTOS_OPEN_WAIT | CUSTOS_OPEN_NO_INDEX, &a)) !=
	    CLI_OK)
		return rc;
	custos_compact_t sum;
	if (custos_archive_compact(a, &sum) < 0) {
		rc = cli_fail_err(custos_session_err(a));
	} else if (json) {
		printf("{\"bytes_before\": %llu, \"bytes_after\": %llu, \"entries\": %llu, "
		       "\"keys_punched\": %llu}\n",
		       (unsigned long long)sum.bytes_before, (unsigned long long)sum.bytes_after,
		       (unsigned long long)sum.entries, (unsigned long long)sum.keys_punched);
	} else {
		char b1[32], b2[32], b3[32];
		printf("compacted the store: %s -> %s (%llu entries); %s of shredded key slots "
		       "given back\n",
		       cli_bytes(b1, sizeof b1, sum.bytes_before), cli_bytes(b2, sizeof b2, sum.bytes_after),
		       (unsigned long long)sum.entries, cli_bytes(b3, sizeof b3, sum.keys_punched));
	}
	cli_close(cli);
	return rc;
}
