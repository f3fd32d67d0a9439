/* The issuer's ecash shell (the bank of seed 002): its tables (migration
 * component "ecash") and the state its routes share. The protocol checks are
 * src/schemes/ecash/bank.c; this layer stores and looks up.
 *
 * Tables:
 *   ecash_bank_key  (id = 1, sk: the bank's RSA private key, DER PKCS#8)
 *   ecash_nonces    bank nonces of §3.2 step 2 and §5.3: one use, per account
 *   ecash_certs     registered keys (§3.2): key id, account, certificate (JSON)
 *   ecash_coins     issued coins (§3.3.1): serial, account issued to, value,
 *                   deposited (0 while outstanding: the audit's figure)
 *   ecash_deposits  the spent registry (§3.3.3): serial, depositor, its chain
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

#endif
