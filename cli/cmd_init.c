/* custos init: create an archive. */
#include "cli.h"

int cmd_init(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("init");
	custos_err_t err = { 0 };
	if (argc != 1)
		return cli_usage(cmd, "init takes no arguments");
	if (!cli->archive)
		return cli_fail("no archive: give --archive DIR or set CUSTOS_ARCHIVE");
	custos_who_t who = CUSTOS_WHO_INIT;
	who.actor = cli->actor;
	if (custos_archive_init(cli->archive, &who, &err) < 0)
		return cli_fail_err(&err);
	printf("initialised empty custos archive in %s\n", cli->archive);
	return CLI_OK;
}
