/* The merchant's side of the ecash scheme: offline verification of a payment
 * (seed 002 §3.3.2 steps 2-7, §4.3.2 for rings) and the registry of received
 * e-cash (§3.5.1). No network: the bank's public key and the cached,
 * bank-signed revocation list are all it needs.
 *
 * State held in memory (the shell persists every accepted receipt before it
 * grants service, and reloads the registry with ecash_merchant_remember):
 * pending nonces, the serials of every coin received, the revocation list. */
#ifndef OBOL_SCHEMES_ECASH_MERCHANT_H
#define OBOL_SCHEMES_ECASH_MERCHANT_H

#include "schemes/ecash/ecash.h"

#define ECASH_PENDING_MAX 64 /* open payment offers at once */

/* §3.3.2 step 2: what the merchant sends: M_ID, a nonce n and the price. */
struct ecash_offer {
	uint8_t merchant[ECASH_ID_LEN];
	uint8_t nonce[ECASH_NONCE_LEN];
	struct obol_amount price;
	int64_t expiry;
};

/* §3.3.2 step 3: σ1 over the nonce, and the coins with their chains; each
 * coin's last claim (σ2, with the payer's certificate σ3 or the ring of
 * certificates) names this merchant. coins is heap-owned. */
struct ecash_payment {
	uint8_t nonce[ECASH_NONCE_LEN];
	uint8_t *sigma1;
	size_t sigma1_len;
	struct ecash_held_coin *coins;
	size_t ncoins;
};
void ecash_payment_clear(struct ecash_payment *p);

struct ecash_pending {
	struct ecash_offer offer;
	bool used;
};

struct ecash_merchant {
	EVP_PKEY *bank_pk;               /* borrowed */
	uint8_t id[ECASH_ID_LEN];        /* M_ID: our certified key's id */
	struct ecash_policy pol;
	int64_t nonce_lifetime;
	struct ecash_revocations rl;     /* owned; empty until one is installed */
	struct ecash_pending pending[ECASH_PENDING_MAX];
	/* registry of received serials: open addressing, power-of-two size */
	uint8_t (*seen)[ECASH_SERIAL_LEN];
	size_t nseen, cap;
};

void ecash_merchant_init(struct ecash_merchant *m, EVP_PKEY *bank_pk, const uint8_t id[static ECASH_ID_LEN]);
void ecash_merchant_free(struct ecash_merchant *m);

/* Installs a revocation list fetched while online: ECASH_LIST_SIGNATURE when
 * the bank did not sign it, ECASH_LIST_STALE when older than the one held.
 * Takes ownership of rl->ids on success. */
OBOL_MUST_CHECK obol_err ecash_merchant_set_revocations(struct ecash_merchant *m, struct ecash_revocations *rl);

/* Step 2: draws a fresh nonce for a payment of `price`. */
OBOL_MUST_CHECK obol_err ecash_merchant_offer(struct ecash_merchant *m, const struct obol_amount *price, int64_t now,
					      struct ecash_offer *out);

/* Steps 4-7 and the registry checks, without changing anything:
 *   the nonce is one we issued, unused (ECASH_NONCE_UNKNOWN) and unexpired
 *   (ECASH_NONCE_EXPIRED); the signer set is the same on every coin
 *   (ECASH_SIGNER_MISMATCH); σ3 of every signer or ring member (bank
 *   signature, expiry, revocation, distinct keys, ring size); σ1 over n;
 *   for every coin: σ0, the whole claim chain (every σ2 and σ3), the last
 *   claim names us (ECASH_WRONG_MERCHANT), its timestamp is within max_skew
 *   of now (ECASH_TIMESTAMP_STALE), the coin is unexpired, not held already
 *   (ECASH_COIN_ALREADY_HELD) and not twice in the payment; the coins'
 *   currency and sum cover the price (ECASH_CURRENCY, ECASH_AMOUNT_SHORT). */
OBOL_MUST_CHECK obol_err ecash_merchant_verify(const struct ecash_merchant *m, const struct ecash_payment *p,
					       int64_t now);

/* verify, then records it: the nonce is used, the serials join the registry.
 * On error nothing changed. */
OBOL_MUST_CHECK obol_err ecash_merchant_accept(struct ecash_merchant *m, const struct ecash_payment *p, int64_t now);

bool ecash_merchant_holds(const struct ecash_merchant *m, const uint8_t serial[static ECASH_SERIAL_LEN]);
/* Adds a serial to the registry (a shell reloading its stored receipts). */
OBOL_MUST_CHECK obol_err ecash_merchant_remember(struct ecash_merchant *m, const uint8_t serial[static ECASH_SERIAL_LEN]);

/* The signer set of a payment: the certificates of its first coin's last claim. */
const struct ecash_claim *ecash_payment_signers(const struct ecash_payment *p);

#endif
