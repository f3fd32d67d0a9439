/* The customer's side of the ecash scheme (seed 002 §3.2, §3.3, §3.5.6,
 * §4.3, §6): answering bank nonces, checking what the bank returns, choosing
 * coins and making payments, plain or ring-signed, including paying on a
 * received coin (transfer). A customer that receives coins acts as a
 * merchant (merchant.h) with the same certified key. */
#ifndef OBOL_SCHEMES_ECASH_CUSTOMER_H
#define OBOL_SCHEMES_ECASH_CUSTOMER_H

#include "schemes/ecash/bank.h"
#include "schemes/ecash/merchant.h"

#define ECASH_RETIRED_MAX 8 /* earlier keys of ours whose coins we still hold */

struct ecash_customer {
	EVP_PKEY *sk;      /* our RSA key (borrowed) */
	const struct ecash_bank_keys *bank_pk; /* borrowed: the bank keys known (bank_keys.h) */
	struct ecash_cert cert;
	uint8_t id[ECASH_ID_LEN];
	/* Keys we renewed away from: coins naming them are still ours to
	 * deposit, redeem or exchange (the bank takes them by account), not to
	 * spend on (that needs the old key's signature). */
	uint8_t retired[ECASH_RETIRED_MAX][ECASH_ID_LEN];
	size_t nretired;
	struct ecash_policy pol;
};

/* §3.2 step 4: σ = sign_C(n) for the registration nonce. */
OBOL_MUST_CHECK obol_err ecash_customer_register_answer(EVP_PKEY *sk, const uint8_t nonce[static ECASH_NONCE_LEN],
							uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len);

/* §3.2 step 7: verify(pk_B, pk_C, σ) — the certificate is the bank's, on our
 * key, for our account; then the customer is ready. */
OBOL_MUST_CHECK obol_err ecash_customer_init(struct ecash_customer *c, EVP_PKEY *sk,
					     const struct ecash_bank_keys *bank_pk,
					     const struct ecash_cert *cert, int64_t account, int64_t now);
/* Remembers a key we renewed away from (the oldest is forgotten first). */
void ecash_customer_retire(struct ecash_customer *c, const uint8_t id[static ECASH_ID_LEN]);

/* §5.3 / §6.2 step 3: signs the top-up nonce and the ordered coins. */
OBOL_MUST_CHECK obol_err ecash_customer_topup_answer(const struct ecash_customer *c,
						     const uint8_t nonce[static ECASH_NONCE_LEN],
						     const struct ecash_coin_order *orders, size_t n,
						     uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len);

/* §3.3.1 step 3: verify(pk_B, m, σ0) for each coin, and that the coins are
 * the values and owner keys asked for and unexpired. */
OBOL_MUST_CHECK obol_err ecash_customer_topup_check(const struct ecash_customer *c,
						    const struct ecash_coin_order *orders,
						    const struct ecash_coin *coins, size_t n, int64_t now);

/* §5.5 / §6.4: signs a request that brings coins (a deposit, a refund, an
 * exchange) over its nonce, the coins and its terms (NULL: none). */
OBOL_MUST_CHECK obol_err ecash_customer_coins_answer(const struct ecash_customer *c, enum ecash_entry_kind kind,
						     const uint8_t nonce[static ECASH_NONCE_LEN],
						     const struct ecash_held_coin *coins, size_t n,
						     const struct ecash_coins_terms *terms,
						     uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len);

/* Whether a held coin is ours: fresh from the bank (no claim), or received
 * (its last claim names our key or one we renewed away from). */
bool ecash_customer_owns(const struct ecash_customer *c, const struct ecash_held_coin *h);
/* Whether we can spend it now: an owned fresh coin (its owner key is ours
 * to sign with), or a received one naming our current key with room in its
 * chain and whose first claim is young enough for merchants to take it on
 * (pol.transfer_max_age); unexpired, and its bank key not retired
 * (bank_keys.h). */
bool ecash_customer_spendable(const struct ecash_customer *c, const struct ecash_held_coin *h, int64_t now);

struct ecash_select_in {
	const struct ecash_held_coin *held;
	size_t n;
	const struct obol_amount *amount; /* at least this */
	const struct obol_amount *cap;    /* at most this handed over (NULL: no cap) */
	bool fresh_only;                  /* a ring payment: coins never spent */
	int64_t now;
};
/* Picks spendable coins worth at least `amount` and at most `cap`. Prefers
 * an exact sum, then the smallest overpayment. idx receives up to
 * ECASH_COINS_MAX indexes. ECASH_NO_COINS when they do not add up,
 * ECASH_OVER_CAP when every sum that covers the amount is above the cap. */
OBOL_MUST_CHECK obol_err ecash_select_coins(const struct ecash_customer *c, const struct ecash_select_in *in,
					    size_t *idx, size_t *nidx);

/* §3.5.9: the offer's certificate is the bank's, valid now, not revoked
 * (rl may be NULL), and its key is the M_ID the offer names
 * (ECASH_CERT_SIGNATURE); the price is positive and not above cap (NULL:
 * none; ECASH_OVER_CAP); the offer is still open (ECASH_NONCE_EXPIRED). */
OBOL_MUST_CHECK obol_err ecash_customer_check_offer(const struct ecash_customer *c, const struct ecash_offer *offer,
						    const struct ecash_revocations *rl, const struct obol_amount *cap,
						    int64_t now);

struct ecash_ring_in {
	const struct ecash_directory *dir; /* the bank-signed block holding our registration */
	const struct ecash_revocations *rl;
	size_t size; /* the anonymity asked for: a power of two, 2..ECASH_RING_MAX */
	int64_t now;
};
/* §4.1.1, chosen against intersection: the registrations are cut into
 * aligned blocks of `size` in the bank's order of registration, and the
 * ring is every live member of the block holding ours, in that order. Every
 * member of a block signs with the same ring, so repeated payments by one
 * customer share all of it and their intersection is the block, not the
 * payer. ring holds `size` entries; *nring members, ours at *signer.
 * ECASH_RING_SIZE for a size that is not a power of two in range;
 * ECASH_DIRECTORY_TOO_SMALL when the block has fewer than 2 or than half of
 * `size` live members, or the directory is not our block. */
OBOL_MUST_CHECK obol_err ecash_ring_pick(const struct ecash_customer *c, const struct ecash_ring_in *in,
					 struct ecash_cert *ring, size_t *nring, size_t *signer);

struct ecash_pay_in {
	const struct ecash_offer *offer;
	const struct ecash_held_coin *held;
	const size_t *idx; /* which held coins */
	size_t nidx;
	/* The owner secret of each fresh coin, parallel to idx (rows of
	 * received coins are not read). */
	const uint8_t (*owner_sks)[ECASH_OWNER_SK_LEN];
	const struct ecash_cert *ring; /* NULL: our plain signature */
	size_t nring, signer;
	int64_t now;
};
/* §3.3.2 step 3 (§4.3.2 with a ring): builds the payment for an offer from
 * copies of the held coins, each with a new claim naming the merchant at
 * now (signed, by the owner key too for a fresh coin), and σ1 over the
 * offer's nonce. A ring pays with fresh coins only. The caller sends it
 * without the new claims' signatures first (PAY), then those
 * (ecash_payment_signatures, SIGN). */
OBOL_MUST_CHECK obol_err ecash_customer_pay(const struct ecash_customer *c, const struct ecash_pay_in *in,
					    struct ecash_payment *out);

/* The merchant's receipt for payment p (as we built it) on offer: signed by
 * the offer's certified key over what we paid (ECASH_RECEIPT_SIGNATURE). */
OBOL_MUST_CHECK obol_err ecash_customer_check_receipt(const struct ecash_offer *offer, const struct ecash_payment *p,
						      const struct ecash_receipt *rc);

/* §6.4: a claim naming ourselves, so that fresh coins can be deposited to an
 * account (owner_sk: the coin's owner secret). Appends to h; a received coin
 * already names us and is left as it is. */
OBOL_MUST_CHECK obol_err ecash_customer_claim_self(const struct ecash_customer *c, struct ecash_held_coin *h,
						   const uint8_t *owner_sk, int64_t now);

#endif
