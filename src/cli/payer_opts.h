/* The payer's options of every pay command (issue 15 item 3): --max-price,
 * --max-amount and --yes, the same for the four schemes' pay commands
 * ("wallet pay", "wallet ecash pay", "wallet payword buy", "wallet codex
 * pay"). They are taken off the command line before the command reads its
 * own options and handed to the wallet's payment guard (src/wallet/payer.h),
 * which every scheme's wallet session obeys. */
#ifndef OBOL_CLI_PAYER_OPTS_H
#define OBOL_CLI_PAYER_OPTS_H

#include "cli/cli.h"

/* Called for every command registered: a pay command gets the options'
 * help (more_help). */
void obol_cli_payer_register(struct obol_cmd *cmd);
/* Runs cmd as obol_cli_run does; for a pay command, with its payer options
 * taken out of argv (rewritten) and set for the command's run. */
int obol_cli_payer_run(const struct obol_cmd *cmd, int argc, char **argv);

#endif
