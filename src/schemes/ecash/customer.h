/* The customer's side of the ecash scheme (seed 002 §3.2, §3.3, §3.5.6,
 * §4.3, §6): answering bank nonces, checking what the bank returns, choosing
 * coins and making payments, plain or ring-signed, including paying on a
 * received coin (transfer). A customer that receives coins acts as a
 * merchant (merchant.h) with the same certified key. */
#ifndef OBOL_SCHEMES_ECASH_CUSTOMER_H
#define OBOL_SCHEMES_ECASH_CUSTOMER_H

#include "schemes/ecash/bank.h"
#include "schemes/ecash/merchant.h"

struct ecash_customer {
	EVP_PKEY *sk;      /* our RSA key (borrowed) */
	EVP_PKEY *bank_pk; /* borrowed */
	struct ecash_cert cert;
	uint8_t id[ECASH_ID_LEN];
	struct ecash_policy pol;
};

/* §3.2 step 4: σ = sign_C(n) for the registration nonce. */
OBOL_MUST_CHECK obol_err ecash_customer_register_answer(EVP_PKEY *sk, const uint8_t nonce[static ECASH_NONCE_LEN],
							uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len);

/* §3.2 step 7: verify(pk_B, pk_C, σ) — the certificate is the bank's, on our
 * key, for our account; then the customer is ready. */
OBOL_MUST_CHECK obol_err ecash_customer_init(struct ecash_customer *c, EVP_PKEY *sk, EVP_PKEY *bank_pk,
					     const struct ecash_cert *cert, int64_t account, int64_t now);

/* §5.3 / §6.2 step 3: signs the top-up nonce and the requested values. */
OBOL_MUST_CHECK obol_err ecash_customer_topup_answer(const struct ecash_customer *c,
						     const uint8_t nonce[static ECASH_NONCE_LEN],
						     const struct obol_amount *values, size_t n,
						     uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len);

/* §3.3.1 step 3: verify(pk_B, m, σ0) for each coin, and that the coins are
 * the values asked for and unexpired. */
OBOL_MUST_CHECK obol_err ecash_customer_topup_check(const struct ecash_customer *c, const struct obol_amount *values,
						    const struct ecash_coin *coins, size_t n, int64_t now);

/* §5.5 / §6.4: signs a deposit (a merchant's, or a withdrawal to our own
 * account) of coins whose last claims name us. */
OBOL_MUST_CHECK obol_err ecash_customer_deposit_answer(const struct ecash_customer *c,
						       const uint8_t nonce[static ECASH_NONCE_LEN],
						       const struct ecash_held_coin *coins, size_t n,
						       uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len);
/* The same answer to a bank nonce of purpose "refund": redeeming expired
 * coins held (fresh, or received and naming us) to our account (§6.4). */
OBOL_MUST_CHECK obol_err ecash_customer_refund_answer(const struct ecash_customer *c,
						      const uint8_t nonce[static ECASH_NONCE_LEN],
						      const struct ecash_held_coin *coins, size_t n,
						      uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len);

/* Whether a held coin is ours to spend: fresh from the bank (no claim), or
 * received (its last claim names us). */
bool ecash_customer_owns(const struct ecash_customer *c, const struct ecash_held_coin *h);

/* Picks coins worth at least `amount` from held[0..n): unexpired, ours, and
 * (for a ring payment, ring_only_fresh) never spent before. Prefers an exact
 * sum, then the smallest overpayment. idx receives up to ECASH_COINS_MAX
 * indexes. ECASH_NO_COINS when they do not add up. */
OBOL_MUST_CHECK obol_err ecash_select_coins(const struct ecash_customer *c, const struct ecash_held_coin *held, size_t n,
					    const struct obol_amount *amount, bool ring_only_fresh, int64_t now,
					    size_t *idx, size_t *nidx);

/* §4.1.1: picks a ring of `size` certificates from the bank-signed directory:
 * ours plus size-1 others, unexpired and not revoked, at random, ours at a
 * random position (*signer). ring holds `size` entries. */
OBOL_MUST_CHECK obol_err ecash_ring_pick(const struct ecash_customer *c, const struct ecash_directory *dir,
					 const struct ecash_revocations *rl, size_t size, int64_t now,
					 struct ecash_cert *ring, size_t *signer);

/* §3.3.2 step 3 (§4.3.2 with a ring): builds the payment for an offer from
 * copies of held[idx[0..nidx)], each with a new claim naming the merchant at
 * time now, and σ1 over the offer's nonce. ring == NULL pays with our plain
 * signature; otherwise as member `signer` of ring[0..nring) (fresh coins
 * only). The caller removes the spent coins once the merchant accepted. */
OBOL_MUST_CHECK obol_err ecash_customer_pay(const struct ecash_customer *c, const struct ecash_offer *offer,
					    const struct ecash_held_coin *held, const size_t *idx, size_t nidx,
					    const struct ecash_cert *ring, size_t nring, size_t signer, int64_t now,
					    struct ecash_payment *out);

/* §6.4: a claim naming ourselves, so that fresh coins can be deposited to our
 * own account. Appends to h. */
OBOL_MUST_CHECK obol_err ecash_customer_claim_self(const struct ecash_customer *c, struct ecash_held_coin *h,
						   int64_t now);

#endif
