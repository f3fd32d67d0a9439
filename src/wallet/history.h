/* The wallet's history of money movements, across schemes
 * (`obol wallet history [--json]`), kept in the sealed wallet file as
 *   "history": [entry...], oldest first, where an entry is
 *   {"seq": N, "kind": "payment"|"topup"|"withdrawal"|"refund",
 *    "scheme": "coupon"|"ecash"|"payword"|"codex", "time": unix seconds,
 *    "state": "pending"|"paid"|"refused"|"refunded"|"done",
 *    "amount": "CUR:V.F"?, "units": N?, "price": "CUR:V.F"?,       (what moved, per unit)
 *    "vendor": {"id", "name", "cert": text of its certificate}?,   (payments)
 *    "receipt": {the signed receipt, JSON of src/schemes/common/receipt.h}?,
 *    "receipt_state": "valid"|"missing"|"invalid"|"mismatch"?,     (payments that were made)
 *    "error": NAME?}                                                (why refused, why no receipt)
 * A payment is written "pending" before value leaves the wallet (with the
 * scheme's own save), then "paid" or "refused"; a top-up, withdrawal or
 * refund once its scheme has recorded it. */
#ifndef OBOL_WALLET_HISTORY_H
#define OBOL_WALLET_HISTORY_H

#include <stdbool.h>
#include <stdio.h>

#include "core/amount.h"
#include "wallet/file.h"

/* Appends entry (taking the reference) with the next "seq"; *index (may be
 * NULL) is its place in the array. Nothing is saved. */
OBOL_MUST_CHECK obol_err obol_history_append(struct obol_wallet *w, json_t *entry, size_t *index);
/* The entry at index (borrowed), or NULL. */
json_t *obol_history_at(struct obol_wallet *w, size_t index);

/* A top-up, withdrawal or refund of amount (NULL: not known) in scheme,
 * state "done" (or as given), appended; the scheme's next save keeps it
 * (the note never saves by itself: a save between two of a scheme's own
 * steps could keep a state the scheme never meant to leave on disk). kind
 * is "topup", "withdrawal" or "refund". */
OBOL_MUST_CHECK obol_err obol_history_note(struct obol_wallet *w, const char *kind, const char *scheme,
					   const struct obol_amount *amount, const char *state);

/* Lists the history to out: one line per entry, or with json one JSON array
 * in which every entry also has "receipt_verified": true|false. A receipt is
 * verified again on every listing, against the vendor certificate kept with
 * it (whose issuer signature is checked under the wallet's issuer key). */
OBOL_MUST_CHECK obol_err obol_history_print(struct obol_wallet *w, bool json, FILE *out);

#endif
