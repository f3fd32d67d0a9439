/* Ed25519 signatures (libsodium): certificates, requests, receipts, key
 * announcements, CRLs and blacklists (DESIGN §3). */
#ifndef OBOL_CRYPTO_SIGN_H
#define OBOL_CRYPTO_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OBOL_SIGN_PK_LEN 32
#define OBOL_SIGN_SK_LEN 64 /* libsodium's seed || public key form */
#define OBOL_SIGN_SEED_LEN 32
#define OBOL_SIGN_LEN 64

struct obol_sign_keypair {
	uint8_t pk[OBOL_SIGN_PK_LEN];
	uint8_t sk[OBOL_SIGN_SK_LEN]; /* secret: wipe with OBOL_WIPE */
};

void obol_sign_keypair_new(struct obol_sign_keypair *kp);
void obol_sign_keypair_from_seed(struct obol_sign_keypair *kp, const uint8_t seed[static OBOL_SIGN_SEED_LEN]);

/* Signs a message under a domain-separation context: the signed bytes are
 * "obol-sig-v1\0" || context || "\0" || msg, so a signature made for one
 * purpose never verifies for another. context is a short ASCII label
 * ("coupon-lock-reply", "vendor-cert", ...). */
void obol_sign(uint8_t sig[static OBOL_SIGN_LEN], const char *context, const uint8_t *msg, size_t len,
	       const uint8_t sk[static OBOL_SIGN_SK_LEN]);

/* OBOL_E_SIGNATURE_INVALID when it does not verify. */
OBOL_MUST_CHECK obol_err obol_sign_verify(const uint8_t sig[static OBOL_SIGN_LEN], const char *context,
					  const uint8_t *msg, size_t len,
					  const uint8_t pk[static OBOL_SIGN_PK_LEN]);

#endif
