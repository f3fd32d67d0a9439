/* The issuer's ecash shell (the bank of seed 002): its tables (migration
 * component "ecash") and the state its routes share. The protocol checks are
 * src/schemes/ecash/bank.c; this layer stores and looks up.
 *
 * Tables:
 *   ecash_bank_key  (id = 1, sk: the bank's RSA private key, DER PKCS#8,
 *                   coin_lifetime: seconds, 0 for the default)
 *   ecash_nonces    bank nonces of §3.2 step 2 and §5.3: one use, per account
 *   ecash_certs     registered keys (§3.2): key id, account, certificate (JSON)
 *   ecash_coins     issued coins (§3.3.1): serial, account issued to, value,
 *                   deposited (0 while outstanding: the audit's figure)
 *   ecash_deposits  the spent registry (§3.3.3): serial, depositor, its chain,
 *                   refund (1: an expired coin redeemed by its holder)
 *   ecash_frauds    double spends caught at deposit, with their evidence
 *   ecash_revoked   revoked key ids (the signed revocation list)
 */
#ifndef OBOL_ISSUER_ECASH_ISSUER_H
#define OBOL_ISSUER_ECASH_ISSUER_H

#include "issuer/issuer.h"
#include "schemes/ecash/bank.h"
#include "schemes/ecash/messages.h"

#define ECASH_NONCE_LIFETIME 300 /* seconds a bank nonce can be answered */

struct ecash_issuer_state {
	EVP_PKEY *sk;
	struct ecash_bank bank;
	uint8_t *pk_der;
	size_t pk_der_len;
};

/* Creates or upgrades the ecash tables (component "ecash"). */
OBOL_MUST_CHECK obol_err ecash_issuer_migrate(struct obol_store *s);

/* The state start() loaded (NOT_FOUND when the scheme is not started). */
OBOL_MUST_CHECK obol_err ecash_issuer_state(struct obol_issuer *iss, struct ecash_issuer_state **out);

/* Reads the revocation list into rl (ids heap; seq = number of revoked keys). */
OBOL_MUST_CHECK obol_err ecash_issuer_revocations(struct obol_store *s, struct ecash_revocations *rl);
/* Revokes a key (idempotent). */
OBOL_MUST_CHECK obol_err ecash_issuer_revoke(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN],
					     const char *reason, int64_t now);
/* The certificate registered under a key id: NOT_REGISTERED when none. */
OBOL_MUST_CHECK obol_err ecash_issuer_cert(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN],
					   struct ecash_cert *out);

/* ---- storage operations (ecash_ops.c), inside the caller's transaction ---- */

/* Consumes a bank nonce issued to `account` for `purpose` ("register",
 * "topup"): ECASH_NONCE_UNKNOWN (never issued, another account or purpose,
 * used already), ECASH_NONCE_EXPIRED. ("refund" too.) */
OBOL_MUST_CHECK obol_err ecash_issuer_nonce_take(struct obol_store *s, const uint8_t nonce[static ECASH_NONCE_LEN],
						 int64_t account, const char *purpose, int64_t now);
/* Stores a new certificate; *json is its JSON (the register reply). */
OBOL_MUST_CHECK obol_err ecash_issuer_cert_insert(struct obol_store *s, const struct ecash_cert *cert, json_t **json);
/* The presented certificate is the one registered (ECASH_NOT_REGISTERED,
 * ECASH_CERT_SIGNATURE). */
OBOL_MUST_CHECK obol_err ecash_issuer_cert_registered(struct obol_store *s, const struct ecash_cert *c);
/* A top-up's bookkeeping: the account pays total to the ecash liability,
 * the coins are recorded as issued to it and outstanding. */
OBOL_MUST_CHECK obol_err ecash_issuer_issue_record(struct obol_store *s, int64_t account, const struct ecash_coin *coins,
						   size_t n, const struct obol_amount *total, const char *ref);
/* A deposit's signature checks, outside any transaction (pure; rl read
 * before): verified[i] is coin i's result. */
void ecash_issuer_deposit_verify(const struct ecash_issuer_state *st, const struct ecash_deposit_req *m,
				 const struct ecash_revocations *rl, int64_t now, obol_err *verified);
/* The rest of §3.3.3 inside the unit: for each verified coin, the spent
 * registry (double spends recorded with their evidence, the culprit key
 * revoked), the ledger (liability to `account`); *reply is
 * {"results": [{serial, value, code, name, evidence?}], "credited"}. */
OBOL_MUST_CHECK obol_err ecash_issuer_deposit_record(struct obol_store *s, const struct ecash_deposit_req *m,
						     int64_t account, const obol_err *verified, const char *currency,
						     int64_t now, json_t **reply);
/* The same two steps for the refund of expired coins to their holder
 * (ecash_bank_refund_*): the reply has the deposit's form, the value goes
 * to `account` once, and a coin redeemed and also spent on is recorded as a
 * double spend naming the redeemer. */
void ecash_issuer_refund_verify(const struct ecash_issuer_state *st, const struct ecash_deposit_req *m,
				const struct ecash_revocations *rl, int64_t now, obol_err *verified);
OBOL_MUST_CHECK obol_err ecash_issuer_refund_record(struct obol_store *s, const struct ecash_deposit_req *m,
						    int64_t account, const obol_err *verified, const char *currency,
						    int64_t now, json_t **reply);
/* The bank's key and settings from its tables (what `issuer serve` loads). */
OBOL_MUST_CHECK obol_err ecash_issuer_load(struct obol_store *s, const char *currency, struct ecash_issuer_state **out);
void ecash_issuer_unload(struct ecash_issuer_state *st);

#endif
