/* What every `obol wallet <scheme> ...` command does before and after its
 * own work: --help, the options --wallet PATH and --key-file FILE next to
 * the command's own options (getopt_long), unknown options and leftover
 * arguments as usage errors, and at the end closing the wallet and mapping
 * the outcome to the exit code (cli.h). */
#ifndef OBOL_CLI_WALLET_CMD_H
#define OBOL_CLI_WALLET_CMD_H

#include <getopt.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "wallet/file.h"

/* getopt_long values of the two shared options; a command's own options use
 * other values (its letters). */
enum { OBOL_WALLET_OPT_WALLET = 0x100, OBOL_WALLET_OPT_KEY_FILE = 0x101, OBOL_WALLET_OPT_JSON = 0x102 };

/* The rows a command puts at the start of its option table. --json is
 * taken only by a command whose usage offers it ("[--json]", output.h);
 * for any other it is an unknown option. */
#define OBOL_WALLET_CMD_OPTIONS                                                   \
	{ "wallet", required_argument, NULL, OBOL_WALLET_OPT_WALLET },            \
	{ "key-file", required_argument, NULL, OBOL_WALLET_OPT_KEY_FILE },        \
	{ "json", no_argument, NULL, OBOL_WALLET_OPT_JSON }

/* The shared options' values. */
struct obol_wallet_cmd_opts {
	const char *wallet;           /* --wallet PATH; NULL when absent */
	struct obol_wallet_keysrc ks; /* --key-file FILE */
	bool json;                    /* --json, where the command offers it */
};

/* Takes one of the command's own options: getopt_long returned `ch` with
 * `arg` (NULL for an option without argument). Returns -1 to go on, or an
 * exit code (a usage error the callback reported). */
typedef int (*obol_wallet_cmd_opt_fn)(const struct obol_cmd *cmd, int ch, const char *arg, void *ctx);

/* Handles a wallet command's arguments, in this order: -h/--help prints the
 * usage and returns OBOL_EXIT_OK; then argv is parsed with getopt_long over
 * `table` (OBOL_WALLET_CMD_OPTIONS, the command's own rows, a zero row):
 * the shared options fill `common` (zeroed first), every other option goes
 * to on_opt, an option not in the table is "unknown option"; an argument
 * left over is "unexpected argument"; and when need_wallet, an absent
 * --wallet is "--wallet is required" (usage errors, OBOL_EXIT_USAGE).
 * Returns -1 when the command goes on, else the exit code to return. */
int obol_wallet_cmd_parse(const struct obol_cmd *cmd, int argc, char **argv, const struct option *table,
			  obol_wallet_cmd_opt_fn on_opt, void *ctx, bool need_wallet,
			  struct obol_wallet_cmd_opts *common);

/* Closes w (NULL allowed; unsaved changes are dropped) and returns
 * OBOL_EXIT_OK when e is OBOL_OK, else reports `what` with obol_cli_fail. */
int obol_wallet_cmd_finish(const struct obol_cmd *cmd, struct obol_wallet *w, obol_err e, const char *what);

#endif
