/* Pruning of the wallet file (docs/operations.md, "What grows", Wallet).
 *
 * The history (wallet/history.h) keeps the newest OBOL_HISTORY_KEEP
 * entries: every time the wallet is opened, at most OBOL_HISTORY_PRUNE_BATCH
 * of the oldest entries past that count go, never a "pending" one (a payment
 * whose outcome is not known yet). The wallet is one sealed file of at most
 * 16 MiB, rewritten whole at every save: a history that grew without bound
 * would fail every command of that wallet once the file reached it, and
 * would make every save slower before that. 10,000 entries of about 600
 * bytes (a payment with its receipt and vendor certificate) are 6 MB.
 * Export what you want to keep longer with `wallet history --json`.
 *
 * Pruning runs only at open, before any entry's index is taken (payer.c
 * holds one while a payment is under way); the next save keeps it. */
#ifndef OBOL_WALLET_PRUNE_H
#define OBOL_WALLET_PRUNE_H

#include <stddef.h>

#include "wallet/file.h"

#define OBOL_HISTORY_KEEP 10000
#define OBOL_HISTORY_PRUNE_BATCH 1000

/* Removes at most batch of the oldest entries beyond the newest keep, none
 * of them pending; returns how many went. Nothing is saved. */
size_t obol_history_prune(struct obol_wallet *w, size_t keep, size_t batch);

#endif
