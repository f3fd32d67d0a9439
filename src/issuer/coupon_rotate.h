/* Coupon denomination keys rotate (docs/operations.md "Windows"): a
 * denomination (value, n) is a series of RSA keys in coupon_denoms, each
 * under its own id with its own windows. The key plan (issuer/keys.h
 * obol_issuer_keys_plan) calls this before it requests announcements, so
 * that a successor is drawn, announced through the offline ceremony and
 * listed in GET /keys before the key in use stops issuing coins. */
#ifndef OBOL_ISSUER_COUPON_ROTATE_H
#define OBOL_ISSUER_COUPON_ROTATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

/* Inside the caller's transaction: for each series whose newest key stops
 * issuing before now + lookahead_s (schemes/coupon/keys.h
 * coupon_denom_due), draws the successor's key (RSA of the same size) with
 * the next windows (coupon_denom_successor) and stores it under the next
 * free id, until no series is due (at most COUPON_ROTATE_STEPS keys per
 * series in one call). *drawn counts the keys drawn. Only the keys live at
 * now count (coupon_store_denoms): a series whose successor would make them
 * more than COUPON_DENOMS_MAX gets none (logged), the other series still
 * rotate, and the call then returns COUPON_DENOMS_FULL with their keys
 * stored; the caller (the key plan) goes on with the rest of its plan.
 * With link linked (the issuer has a signer, issuer/signer.h), each key is
 * drawn in the signer's store (obol_signer_draw) and the issuer database
 * gets its public half only (rsa_sk empty); link NULL or not linked: drawn
 * here, stored with its private key. */
#define COUPON_ROTATE_STEPS 8
struct obol_signer_link;
OBOL_MUST_CHECK obol_err coupon_rotate(struct obol_store *s, int64_t now, int64_t lookahead_s,
				       const struct obol_signer_link *link, size_t *drawn);

struct coupon_denom;
/* What `issuer serve` uses of the n keys d (read with their private keys):
 * a key the plan drew whose announcement still waits for the ceremony is
 * left out (removed from d, its key freed) while another key of its series
 * is announced under master_pk, so a successor is neither listed in GET
 * /keys nor withdrawn under before it is announced. A series of which no
 * key is announced yet (an issuer before its first ceremony) is used as it
 * is. Only the announcements of keys live at now are read. */
OBOL_MUST_CHECK obol_err coupon_rotate_announced(struct obol_store *s, const uint8_t master_pk[static 32], int64_t now,
						 struct coupon_denom *d, size_t *n);

#endif
