/* Funding and payouts (DESIGN §4): the outside bank transfers an operator
 * records, by `obol issuer fund|payout` or through the console.
 *
 * A move with a reference (the bank transfer's) is idempotent under it,
 * whoever records it: the same reference with the same account and amount
 * moves nothing again and answers the first answer; with anything else it is
 * IDEMPOTENCY_MISMATCH. Runs inside the caller's transaction. */
#ifndef OBOL_ISSUER_MOVES_H
#define OBOL_ISSUER_MOVES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "store/store.h"

#define OBOL_MOVE_REF_MAX 256

struct obol_move {
	bool fund;                 /* outside -> account; false: account -> outside */
	int64_t account;
	struct obol_amount amount;
	const char *ref;           /* the transfer's reference, or NULL */
	const char *journal_ref;   /* the journal's ref when ref is NULL (may be NULL) */
};

/* *reply (malloc'ed) is the answer: "funded EUR:10 to alice (account 3);
 * balance EUR:10", and *repeated whether it is the stored answer of an
 * earlier move with the same reference. */
OBOL_MUST_CHECK obol_err obol_issuer_move(struct obol_store *s, const struct obol_move *m, char **reply,
					  bool *repeated);

#endif
