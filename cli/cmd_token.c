/* custos token: the service's bearer tokens, each in one role. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static int create(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "role", required_argument, NULL, 'r' },
	                                      { NULL, 0, NULL, 0 } };
	const char *role_name = NULL;
	custos_role_t role;
	custos_err_t err = { 0 };
	custos_session_t *s;
	char token[CUSTOS_TOKEN_TEXT];
	int c, rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r')
			return cli_usage(cmd, NULL);
		role_name = optarg;
	}
	if (optind != argc - 1 || !role_name)
		return cli_usage(cmd, "token create needs NAME and --role");
	if (custos_role_parse(&role, role_name, &err) < 0)
		return cli_usage(cmd, "%s", err.msg);
	/* no writer lock: tokens are created while a server runs */
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
		return rc;
	if (custos_archive_token_create(s, argv[optind], role, token) < 0) {
		rc = cli_fail_err(custos_session_err(s));
	} else {
		cli_printf(stdout, "token '%s' created with role %s; it is shown only now, on the next line:\n",
		           argv[optind], custos_role_name(role));
		printf("%s\n", token);
	}
	memset(token, 0, sizeof token);
	cli_close(cli);
	return rc;
}

static int list(cli_t *cli, const cli_command_t *cmd, int argc, char **argv, bool json)
{
	custos_session_t *s;
	custos_tokens_t l;
	int rc;
	(void)argc; (void)argv; (void)cmd;
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
		return rc;
	if (custos_archive_token_list(s, &l) < 0) {
		rc = cli_fail_err(custos_session_err(s));
		cli_close(cli);
		return rc;
	}
	if (json)
		printf("[");
	else if (l.n)
		printf("%-24s %-11s %-25s %s\n", "name", "role", "created", "revoked");
	for (size_t i = 0; i < l.n; i++) {
		char c[40], r[40] = "-";
		custos_time_format(c, sizeof c, l.v[i].created_at);
		if (l.v[i].revoked_at != CUSTOS_TIME_NONE)
			custos_time_format(r, sizeof r, l.v[i].revoked_at);
		if (json) {
			printf("%s{\"name\": ", i ? ", " : "");
			cli_json_str(stdout, l.v[i].name);
			printf(", \"role\": \"%s\", \"created_at\": \"%s\", \"revoked_at\": ",
			       custos_role_name(l.v[i].role), c);
			if (l.v[i].revoked_at != CUSTOS_TIME_NONE)
				printf("\"%s\"}", r);
			else
				printf("null}");
		} else {
			cli_printf(stdout, "%-24s %-11s %-25s %s\n", l.v[i].name, custos_role_name(l.v[i].role), c, r);
		}
	}
	if (json)
		printf("]\n");
	else if (!l.n)
		printf("no tokens (create one with 'custos token create NAME --role ROLE')\n");
	custos_tokens_free(&l);
	cli_close(cli);
	return CLI_OK;
}

static int revoke(cli_t *cli, const cli_command_t *cmd, int argc, char **argv)
{
	custos_session_t *s;
	int rc;
	if (argc != 2)
		return cli_usage(cmd, "token revoke needs NAME");
	if ((rc = cli_open(cli, CUSTOS_OPEN_READ, &s)) != CLI_OK)
		return rc;
	if (custos_archive_token_revoke(s, argv[1]) < 0)
		rc = cli_fail_err(custos_session_err(s));
	else
		cli_printf(stdout, "token '%s' revoked: a running server refuses it from its next request\n", argv[1]);
	cli_close(cli);
	return rc;
}

int cmd_token(cli_t *cli, int argc, char **argv)
{
	const cli_command_t *cmd = cli_find("token");
	if (argc < 2)
		return cli_usage(cmd, "token needs create, list or revoke");
	const char *sub = argv[1];
	if (!strcmp(sub, "create")) {
		optind = 0;
		return create(cli, cmd, argc - 1, argv + 1);
	}
	if (!strcmp(sub, "list")) {
		bool json = argc == 3 && !strcmp(argv[2], "--json");
		if (argc > 3 || (argc == 3 && !json))
			return cli_usage(cmd, "token list takes only --json");
		return list(cli, cmd, argc - 1, argv + 1, json);
	}
	if (!strcmp(sub, "revoke"))
		return revoke(cli, cmd, argc - 1, argv + 1);
	return cli_usage(cmd, "unknown token command '%s'", sub);
}
