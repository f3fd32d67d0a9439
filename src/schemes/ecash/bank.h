/* The bank's side of the ecash scheme (seed 002 §3.2, §3.3.1, §3.3.3, §4.3,
 * §5.3, §5.5, §6.1, §6.2, §6.4). Pure: the issuer shell stores nonces,
 * certificates, issued coins and the spent registry, and passes what it
 * looked up; these functions check and sign. */
#ifndef OBOL_SCHEMES_ECASH_BANK_H
#define OBOL_SCHEMES_ECASH_BANK_H

#include "schemes/ecash/ecash.h"

struct ecash_bank {
	EVP_PKEY *sk; /* the bank's RSA key (its public half verifies) */
	struct ecash_policy pol;
	int64_t cert_lifetime; /* seconds a certificate is valid */
	int64_t coin_lifetime; /* seconds a coin is valid */
	struct obol_amount max_coin; /* largest value of one coin; its currency is the bank's */
};
/* Defaults: one-year certificates, 180-day coins, largest coin 100 units. */
OBOL_MUST_CHECK obol_err ecash_bank_init(struct ecash_bank *b, EVP_PKEY *sk, const char *currency);

/* §3.2 steps 4-6: checks σ over the registration nonce under the offered key
 * (ECASH_NONCE_SIGNATURE), the key's strength (ECASH_KEY_WEAK), and signs the
 * certificate linking it to `account`. Whether the key is already registered
 * is the shell's lookup (ECASH_KEY_REGISTERED). */
OBOL_MUST_CHECK obol_err ecash_bank_register(const struct ecash_bank *b, const uint8_t nonce[static ECASH_NONCE_LEN],
					     const uint8_t *key_der, size_t key_len, const uint8_t *sig, size_t sig_len,
					     int64_t account, int64_t now, struct ecash_cert *out);

/* The digest a top-up's nonce signature covers: the requested coin values. */
void ecash_topup_digest(const struct obol_amount *values, size_t n, uint8_t out[static OBOL_HASH_LEN]);

/* §3.3.1 with the nonce step of §5.3 / §6.2: checks the customer's
 * certificate (σ3, expiry, rl), its signature over nonce + requested values,
 * each value (positive, the bank's currency, at most max_coin), and issues n
 * coins {random serial, value, now, now + coin_lifetime} signed by the bank
 * (σ0). *total is what the shell debits from cert->account. */
OBOL_MUST_CHECK obol_err ecash_bank_topup(const struct ecash_bank *b, const struct ecash_cert *cert,
					  const struct ecash_revocations *rl, const uint8_t nonce[static ECASH_NONCE_LEN],
					  const struct obol_amount *values, size_t n, const uint8_t *sig, size_t sig_len,
					  int64_t now, struct ecash_coin *coins, struct obol_amount *total);

/* The digest a deposit's nonce signature covers: each coin's serial and the
 * link digest of its last claim. */
OBOL_MUST_CHECK obol_err ecash_deposit_digest(const struct ecash_held_coin *coins, size_t n,
					      uint8_t out[static OBOL_HASH_LEN]);

/* §5.5 / §6.4: authenticates a depositor: its certificate and its signature
 * over nonce + the deposited coins. */
OBOL_MUST_CHECK obol_err ecash_bank_deposit_auth(const struct ecash_bank *b, const struct ecash_cert *depositor,
						 const struct ecash_revocations *rl,
						 const uint8_t nonce[static ECASH_NONCE_LEN],
						 const struct ecash_held_coin *coins, size_t n, const uint8_t *sig,
						 size_t sig_len, int64_t now);

/* An entry of the bank's spent registry (§3.3.3): who deposited the coin and
 * through which chain. */
struct ecash_spent {
	uint8_t depositor[ECASH_ID_LEN];
	int64_t depositor_account;
	int64_t at;
	bool refund; /* recorded by the refund of an expired coin, not a deposit */
	struct ecash_held_coin held;
};

enum ecash_fraud_kind {
	/* Two different claims signed by the same key on the same coin. */
	ECASH_FRAUD_TWO_CLAIMS = 1,
	/* A holder deposited the coin and also spent it on. */
	ECASH_FRAUD_DEPOSITED_AND_SPENT = 2,
	/* Two first claims by different signers (or rings): the coin left the
	 * wallet it was issued to twice; that account is named. */
	ECASH_FRAUD_ISSUED_TWICE_SPENT = 3,
	/* The holder redeemed the expired coin and also spent it on (before its
	 * expiry): the redeemer is named, whichever came to the bank first. */
	ECASH_FRAUD_REFUNDED_AND_SPENT = 4,
};

/* The evidence of a double spend: the fork of the two claim chains. */
struct ecash_evidence {
	uint8_t serial[ECASH_SERIAL_LEN];
	enum ecash_fraud_kind kind;
	size_t fork;                      /* index of the first claim where the chains differ */
	bool culprit_key_known;
	uint8_t culprit_key[ECASH_ID_LEN]; /* the double spender's key, when one key made both */
	int64_t culprit_account;          /* the account it is linked to */
	uint8_t first_depositor[ECASH_ID_LEN], second_depositor[ECASH_ID_LEN];
	struct ecash_claim first, second; /* the two claims at the fork (second may be empty
					   * for DEPOSITED_AND_SPENT: the deposit is the act) */
};
void ecash_evidence_clear(struct ecash_evidence *e);

/* §3.3.3 for one coin of an authenticated deposit by `depositor` (key id) at
 * `now`, in two parts so that the signature checks can run outside the
 * bank's transaction:
 *   verify: the chain (σ0, every σ2 and σ3, rl), a last claim that names the
 *     depositor (ECASH_WRONG_MERCHANT) and is not from the future;
 *   registry: against the spent registry entry the shell found for the
 *     serial (prev, NULL when none): none is OBOL_OK (record the deposit and
 *     credit the value); the same depositor is ECASH_ALREADY_DEPOSITED;
 *     another chain is ECASH_DOUBLE_SPENT with *ev naming the double spender
 *     (issued_to: the account the bank issued the serial to); a coin its
 *     holder redeemed after expiry (prev->refund) and also spent on names
 *     the redeemer (ECASH_FRAUD_REFUNDED_AND_SPENT); the redeemer's own
 *     deposit of it is ECASH_ALREADY_REFUNDED.
 * check runs both. Nothing is changed on any error. */
OBOL_MUST_CHECK obol_err ecash_bank_deposit_verify(const struct ecash_bank *b, const uint8_t depositor[static ECASH_ID_LEN],
						   const struct ecash_held_coin *h, const struct ecash_revocations *rl,
						   int64_t now);
OBOL_MUST_CHECK obol_err ecash_bank_deposit_registry(const uint8_t depositor[static ECASH_ID_LEN],
						     const struct ecash_held_coin *h, const struct ecash_spent *prev,
						     int64_t issued_to, struct ecash_evidence *ev);
OBOL_MUST_CHECK obol_err ecash_bank_deposit_check(const struct ecash_bank *b, const uint8_t depositor[static ECASH_ID_LEN],
						  const struct ecash_held_coin *h, const struct ecash_revocations *rl,
						  const struct ecash_spent *prev, int64_t issued_to, int64_t now,
						  struct ecash_evidence *ev);

/* §6.4 after expiry ("value must never be lost", DESIGN §6): the holder of
 * expired coins redeems them to its own account, in the same two parts as a
 * deposit.
 *   auth: the holder's certificate (σ3, unexpired, rl) and its signature
 *     over a bank nonce of purpose "refund" and ecash_deposit_digest(coins);
 *   verify: σ0 and the whole chain (rl); the coin is past its expiry at now
 *     (ECASH_COIN_NOT_EXPIRED); a coin with claims names the holder in its
 *     last one (ECASH_NOT_HOLDER);
 *   registry: a coin without claims was issued to the holder's account
 *     (ECASH_NOT_HOLDER); then the spent registry entry prev (NULL: none,
 *     OBOL_OK: record it, flagged a refund, and credit the value once); a
 *     refund by the same holder (same key, or the same account for a coin
 *     without claims) is ECASH_ALREADY_REFUNDED, a deposit of it by the same
 *     key ECASH_ALREADY_DEPOSITED; anything else is ECASH_DOUBLE_SPENT with
 *     *ev (a coin redeemed and also spent on names the redeemer:
 *     ECASH_FRAUD_REFUNDED_AND_SPENT). Nothing is changed on any error. */
OBOL_MUST_CHECK obol_err ecash_bank_refund_auth(const struct ecash_bank *b, const struct ecash_cert *holder,
						const struct ecash_revocations *rl,
						const uint8_t nonce[static ECASH_NONCE_LEN],
						const struct ecash_held_coin *coins, size_t n, const uint8_t *sig,
						size_t sig_len, int64_t now);
OBOL_MUST_CHECK obol_err ecash_bank_refund_verify(const struct ecash_bank *b, const uint8_t holder[static ECASH_ID_LEN],
						  const struct ecash_held_coin *h, const struct ecash_revocations *rl,
						  int64_t now);
OBOL_MUST_CHECK obol_err ecash_bank_refund_registry(const uint8_t holder[static ECASH_ID_LEN], int64_t holder_account,
						    const struct ecash_held_coin *h, const struct ecash_spent *prev,
						    int64_t issued_to, struct ecash_evidence *ev);

/* Compares two chains of the same coin and names the double spender. */
OBOL_MUST_CHECK obol_err ecash_fork_analyse(const struct ecash_held_coin *a, const struct ecash_held_coin *b,
					    int64_t issued_to, struct ecash_evidence *ev);

/* Signs the revocation list (ids are sorted and deduplicated in place). */
OBOL_MUST_CHECK obol_err ecash_bank_sign_revocations(const struct ecash_bank *b, struct ecash_revocations *rl);
/* Signs the directory of registered certificates. */
OBOL_MUST_CHECK obol_err ecash_bank_sign_directory(const struct ecash_bank *b, struct ecash_directory *d);

#endif
