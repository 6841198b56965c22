/* custos init: create an archive. */
#include "cli.h"

const cli_sub_t cli_init_subs[] = {
	{ NULL, NULL, "Creates an archive in the directory that --archive or $CUSTOS_ARCHIVE "
	  "names (created when missing; an existing directory must be empty): the store, the "
	  "policy repository (with no retention schedule yet) and the audit log, private to "
	  "the user who runs it.", NULL, CLI_ARG_TEXT },
	{ NULL, NULL, NULL, NULL, 0 }
};

int cmd_init(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("init");
	custos_err_t err = { 0 };
	int c;
	while ((c = cli_getopt(cli, cmd, NULL, argc, argv)) != -1)
		return cli_usage(cmd, NULL);
	if (optind != argc)
		return cli_usage(cmd, "init takes no arguments");
	if (!cli->archive)
		return cli_fail("no archive: give --archive DIR or set CUSTOS_ARCHIVE");
	custos_who_t who = CUSTOS_WHO_INIT;
	who.actor = cli->actor;
	if (custos_archive_init(cli->archive, &who, &err) < 0)
		return cli_fail_err(&err);
	cli_printf(stdout, "initialised empty custos archive in %s\n", cli->archive);
	return CLI_OK;
}
