/* The merchant's side of the ecash scheme: offline verification of a payment
 * (seed 002 §3.3.2 steps 2-7, §4.3.2 for rings), the registry of received
 * e-cash (§3.5.1) and the signed receipt. No network: the bank's public key
 * and the cached, bank-signed revocation list are all it needs.
 *
 * A payment comes in two messages (obol's departure from the seed's single
 * step 3, docs/protocol.md): PAY carries everything but the signatures of
 * the new claims, the merchant checks it all (ecash_merchant_verify) and
 * says it is ready; SIGN carries those signatures, the merchant checks them,
 * records the coins and signs a receipt (ecash_merchant_accept). A refusal
 * of PAY leaves nothing a bank would take; after SIGN only the receipt tells
 * the payer its coins are gone.
 *
 * State held in memory (the shell persists every accepted receipt before it
 * answers, and reloads the registry with ecash_merchant_remember): pending
 * nonces, the serials of every coin received, the revocation list. */
#ifndef OBOL_SCHEMES_ECASH_MERCHANT_H
#define OBOL_SCHEMES_ECASH_MERCHANT_H

#include "schemes/ecash/ecash.h"

#define ECASH_PENDING_MAX 64 /* open payment offers at once */

/* §3.3.2 step 2: what the merchant sends: M_ID, a nonce n and the price,
 * with its certificate (§3.5.9: the payer can check whom it pays, and the
 * receipt's signature). */
struct ecash_offer {
	uint8_t merchant[ECASH_ID_LEN];
	uint8_t nonce[ECASH_NONCE_LEN];
	struct obol_amount price;
	int64_t expiry;
	struct ecash_cert cert;
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

/* The signatures of a payment's new claims, one per coin in order (SIGN). */
struct ecash_claim_sigs {
	uint8_t *sig; /* heap */
	size_t sig_len;
	uint8_t owner_sig[ECASH_OWNER_SIG_LEN];
	bool has_owner_sig;
};
struct ecash_signatures {
	uint8_t nonce[ECASH_NONCE_LEN];
	struct ecash_claim_sigs *s; /* heap */
	size_t n;
};
void ecash_signatures_clear(struct ecash_signatures *s);
/* The payer: copies the signatures of each coin's last claim out of a full
 * payment, for SIGN (PAY's encoding leaves them out). */
OBOL_MUST_CHECK obol_err ecash_payment_signatures(const struct ecash_payment *p, struct ecash_signatures *out);
/* The merchant: puts them back (WIRE_MALFORMED when the nonce or the count
 * does not match); takes ownership of s's buffers on success. */
OBOL_MUST_CHECK obol_err ecash_payment_attach(struct ecash_payment *p, struct ecash_signatures *s);

/* The merchant's signed receipt (its certified key): it took these coins. */
struct ecash_receipt {
	uint8_t nonce[ECASH_NONCE_LEN];
	struct obol_amount value; /* what the accepted coins are worth */
	uint64_t ncoins;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};
/* What the merchant signs: the nonce, M_ID, value, and each coin's serial
 * and last link. */
OBOL_MUST_CHECK obol_err ecash_receipt_bytes(const uint8_t merchant[static ECASH_ID_LEN],
					     const struct ecash_receipt *r, const struct ecash_payment *p,
					     struct ecash_bytes *out);

struct ecash_pending {
	struct ecash_offer offer;
	bool used;
};

struct ecash_merchant {
	const struct ecash_bank_keys *bank_pk; /* borrowed: the bank keys known (bank_keys.h) */
	EVP_PKEY *sk;                    /* borrowed: signs receipts */
	struct ecash_cert cert;          /* our certificate */
	uint8_t id[ECASH_ID_LEN];        /* M_ID: our certified key's id */
	struct ecash_policy pol;
	int64_t nonce_lifetime;
	struct ecash_revocations rl;     /* owned; empty until one is installed */
	struct ecash_pending pending[ECASH_PENDING_MAX];
	/* registry of received serials: open addressing, power-of-two size */
	uint8_t (*seen)[ECASH_SERIAL_LEN];
	size_t nseen, cap;
};

void ecash_merchant_init(struct ecash_merchant *m, const struct ecash_bank_keys *bank_pk, EVP_PKEY *sk, const struct ecash_cert *cert);
void ecash_merchant_free(struct ecash_merchant *m);

/* Installs a revocation list put together from bank-signed pages while
 * online (rl_pages.h checks each page): ECASH_LIST_STALE when older (issued)
 * than the one held, INVALID_ARGUMENT for a list never fetched. Takes
 * ownership of rl->keys on success. */
OBOL_MUST_CHECK obol_err ecash_merchant_set_revocations(struct ecash_merchant *m, struct ecash_revocations *rl);

/* Step 2: draws a fresh nonce for a payment of `price`. */
OBOL_MUST_CHECK obol_err ecash_merchant_offer(struct ecash_merchant *m, const struct obol_amount *price, int64_t now,
					      struct ecash_offer *out);

/* Steps 4-7 and the registry checks on PAY, without changing anything and
 * without the new claims' signatures (those are accept's):
 *   the nonce is one we issued, unused (ECASH_NONCE_UNKNOWN) and unexpired
 *   (ECASH_NONCE_EXPIRED); the signer set is the same on every coin
 *   (ECASH_SIGNER_MISMATCH); σ3 of every signer or ring member at now (bank
 *   signature, expiry, revocation, distinct keys, ring size); σ1 over n;
 *   for every coin: an owner key (ECASH_COIN_UNBOUND), σ0, the whole claim
 *   chain (every earlier σ2 and σ3, the owner's signature on the first), a
 *   received coin's first claim younger than pol.transfer_max_age
 *   (ECASH_TRANSFER_TOO_OLD), the last claim names us
 *   (ECASH_WRONG_MERCHANT), its timestamp is within max_skew of now
 *   (ECASH_TIMESTAMP_STALE) and, with pol.list_covers_claims, before the
 *   revocation list's issue + max_skew (ECASH_LIST_OLD); the coin is
 *   unexpired, not held already (ECASH_COIN_ALREADY_HELD) and not twice in
 *   the payment; the coins'
 *   currency and sum cover the price (ECASH_CURRENCY, ECASH_AMOUNT_SHORT). */
OBOL_MUST_CHECK obol_err ecash_merchant_verify(const struct ecash_merchant *m, const struct ecash_payment *p,
					       int64_t now);

/* On SIGN, for a payment verify passed, with its signatures attached: the
 * nonce is still open (ECASH_NONCE_UNKNOWN), the coins still not held
 * (ECASH_COIN_ALREADY_HELD), each new claim's σ2 and, on a first claim, the
 * owner's signature (ECASH_CLAIM_SIGNATURE, ECASH_OWNER_SIGNATURE). */
OBOL_MUST_CHECK obol_err ecash_merchant_verify_sigs(const struct ecash_merchant *m, const struct ecash_payment *p);
/* For a payment verify_sigs passed (and the shell stored): records it (the
 * nonce used, the serials in the registry) and signs the receipt *rc. The
 * nonce and the registry are checked again; on error nothing changed. */
OBOL_MUST_CHECK obol_err ecash_merchant_accept(struct ecash_merchant *m, const struct ecash_payment *p,
					       struct ecash_receipt *rc);

bool ecash_merchant_holds(const struct ecash_merchant *m, const uint8_t serial[static ECASH_SERIAL_LEN]);
/* Adds a serial to the registry (a shell reloading its stored receipts). */
OBOL_MUST_CHECK obol_err ecash_merchant_remember(struct ecash_merchant *m, const uint8_t serial[static ECASH_SERIAL_LEN]);

/* The signer set of a payment: the certificates of its first coin's last claim. */
const struct ecash_claim *ecash_payment_signers(const struct ecash_payment *p);

#endif
