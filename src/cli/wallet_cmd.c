/* The shared argument handling and ending of the wallet scheme commands
 * (contract in wallet_cmd.h). */
#include "cli/wallet_cmd.h"

#include <stdio.h>
#include <string.h>

#include "cli/output.h"

int obol_wallet_cmd_parse(const struct obol_cmd *cmd, int argc, char **argv, const struct option *table,
			  obol_wallet_cmd_opt_fn on_opt, void *ctx, bool need_wallet,
			  struct obol_wallet_cmd_opts *common)
{
	int ch, rc;
	memset(common, 0, sizeof(*common));
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((ch = getopt_long(argc, argv, "", table, NULL)) != -1) {
		switch (ch) {
		case OBOL_WALLET_OPT_WALLET: common->wallet = optarg; break;
		case OBOL_WALLET_OPT_KEY_FILE: common->ks.key_file = optarg; break;
		case OBOL_WALLET_OPT_JSON:
			if (!obol_cli_json()) /* the command does not offer it */
				return obol_cli_usage_error(cmd, "unknown option");
			common->json = true;
			break;
		case '?': return obol_cli_usage_error(cmd, "unknown option");
		default:
			if ((rc = on_opt(cmd, ch, optarg, ctx)) >= 0)
				return rc;
		}
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (need_wallet && common->wallet == NULL)
		return obol_cli_usage_error(cmd, "--wallet is required");
	return -1;
}

int obol_wallet_cmd_finish(const struct obol_cmd *cmd, struct obol_wallet *w, obol_err e, const char *what)
{
	obol_wallet_close(w);
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, what);
}
