/* The payer's part of every scheme's demo: the wallet's history. */
#ifndef OBOL_CLI_DEMO_PAYER_H
#define OBOL_CLI_DEMO_PAYER_H

#include "cli/demo.h"

/* Runs `obol wallet history --wallet WALLET` (printed like every demo
 * command); RECEIPT_MISSING when it lists no paid payment, RECEIPT_INVALID
 * when a paid payment shows no verified receipt. */
OBOL_MUST_CHECK obol_err obol_demo_history(struct obol_demo *d, const char *wallet);

#endif
