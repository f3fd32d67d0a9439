/* The ecash bank key rotates (docs/operations.md "Windows", docs/protocol.md
 * "Bank keys"): table ecash_bank_key holds a row per bank key (id 1 the one
 * `issuer init` drew, then each successor under the next id; the row of id 1
 * keeps the scheme's settings), each announced by the master with its
 * windows (kind ECASH_BANK, key_announce.h):
 *
 *   valid_from    the first key: when it was drawn (or now, if earlier);
 *                 a successor: its predecessor's use_until (or now, if later)
 *   use_until     valid_from + the policy's bank_use_s: the bank signs
 *                 (coins at top-up, change and exchange, certificates,
 *                 revocation pages, directory blocks) with it until then
 *   accept_until  use_until + the longer of a coin's and a certificate's
 *                 lifetime + the deposit window: what it signed is taken
 *                 (payment, transfer, deposit, exchange) until then
 *   legal_end     accept_until + the policy's coin_legal_s: its coins are
 *                 refunded until then
 *
 * The key plan (issuer/keys.h obol_issuer_keys_plan) calls ecash_rotate_plan
 * so that a successor is drawn, announced through the offline ceremony and
 * listed in GET /keys before the key in use stops signing. */
#ifndef OBOL_ISSUER_ECASH_ROTATE_H
#define OBOL_ISSUER_ECASH_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "schemes/common/key_announce.h"
#include "schemes/ecash/bank_keys.h"
#include "store/store.h"

#define ECASH_ROTATE_STEPS 4  /* successors drawn in one plan at most */
#define ECASH_ROTATE_ROWS 64  /* bank keys read, the newest (a key a year) */

/* Inside the caller's transaction: while the newest bank key stops signing
 * before now + lookahead_s, draws its successor (RSA of the same size) and
 * stores it under the next id (at most ECASH_ROTATE_STEPS; *drawn counts
 * them). With link linked (the issuer has a signing process: signer.h
 * obol_signer_link_read, read before the transaction), the successor is
 * drawn in the signer's store (obol_signer_draw, committed there at once)
 * and this database gets its public DER only, as `issuer signer import`
 * leaves a moved key; the signer signs with it once the master's
 * announcement reaches it by the next import. link NULL or not linked:
 * drawn here, private. Then writes to out[0..*n) (cap of them) the announcements, with
 * their windows (above), of every bank key whose announcement is not
 * requested yet, oldest first, for the caller to request. No bank key (the
 * scheme not set up): *n 0. INVALID_ARGUMENT for a policy out of range,
 * WIRE_OVERSIZED when more than cap wait. */
struct obol_signer_link;
OBOL_MUST_CHECK obol_err ecash_rotate_plan(struct obol_store *s, const char *currency, int64_t bank_use_s,
					   int64_t lookahead_s, int64_t coin_legal_s, int64_t now,
					   const struct obol_signer_link *link, struct obol_key_announce *out,
					   size_t cap, size_t *n, size_t *drawn);

/* The bank keys `issuer serve` signs and verifies with at now: each whose
 * announcement the master signed (imported), with its windows, but those
 * past their legal end; a key drawn whose announcement waits for the
 * ceremony is left out. An issuer before its first ceremony (no bank key
 * announced) has its first key alone, with no windows. *moved when a key is
 * held as a public key only (moved to the signing process, or drawn there
 * by ecash_rotate_plan). KEYS_UNKNOWN when there is no bank key. */
OBOL_MUST_CHECK obol_err ecash_rotate_keys(struct obol_store *s, int64_t now, struct ecash_bank_keys *out,
					   bool *moved);

#endif
