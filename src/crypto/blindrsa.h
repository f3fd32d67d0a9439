/* RFC 9474 RSA blind signatures: RSABSSA-SHA384-PSS-Randomized and
 * RSABSSA-SHA384-PSS-Deterministic (§4 protocol, §5 variants). The PSSZERO
 * variants (salt length 0) are reachable through the *_salt functions; obol
 * uses PSS-Randomized.
 *
 * The issuer key is an OpenSSL EVP_PKEY (RSA, 2048 bits by default). Message
 * flow: client obol_blindrsa_prepare → obol_blindrsa_blind → server
 * obol_blindrsa_blind_sign → client obol_blindrsa_finalize; anyone
 * obol_blindrsa_verify. Signatures and blinded messages are modulus-sized.
 */
#ifndef OBOL_CRYPTO_BLINDRSA_H
#define OBOL_CRYPTO_BLINDRSA_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/rsa.h"

#define OBOL_BLINDRSA_MAX_MODULUS 512 /* bytes: up to 4096-bit keys */
#define OBOL_BLINDRSA_PREFIX_LEN 32   /* §4.1 randomized message prefix */
#define OBOL_BLINDRSA_SALT_LEN 48     /* sLen = hLen for SHA-384 */
#define OBOL_BLINDRSA_MAX_MSG 1024    /* longest message the client state holds */

enum obol_blindrsa_variant {
	OBOL_BLINDRSA_PSS_RANDOMIZED,        /* RSABSSA-SHA384-PSS-Randomized */
	OBOL_BLINDRSA_PSS_DETERMINISTIC,     /* RSABSSA-SHA384-PSS-Deterministic */
	OBOL_BLINDRSA_PSSZERO_RANDOMIZED,    /* RSABSSA-SHA384-PSSZERO-Randomized */
	OBOL_BLINDRSA_PSSZERO_DETERMINISTIC, /* RSABSSA-SHA384-PSSZERO-Deterministic */
};

/* The PSS salt length of a variant: 48, or 0 for PSSZERO. */
size_t obol_blindrsa_salt_len(enum obol_blindrsa_variant v);

/* What the client keeps between blind and finalize. Holds the blinding
 * inverse: wipe with obol_blindrsa_state_wipe. */
struct obol_blindrsa_state {
	size_t modulus_len;
	uint8_t inv[OBOL_BLINDRSA_MAX_MODULUS]; /* r^-1 mod n, big-endian */
	uint8_t prepared[OBOL_BLINDRSA_PREFIX_LEN + OBOL_BLINDRSA_MAX_MSG]; /* prefix || msg */
	size_t prepared_len;
	size_t salt_len; /* PSS salt length the message was encoded with */
};

/* §4.1 Prepare: for the randomized variants writes prefix(32 random) || msg to
 * out; deterministic: msg. out_cap bytes available. OBOL_E_BLIND_MESSAGE_TOO_LONG
 * when msg is longer than OBOL_BLINDRSA_MAX_MSG or the result does not fit. */
OBOL_MUST_CHECK obol_err obol_blindrsa_prepare(enum obol_blindrsa_variant v, const uint8_t *msg,
					       size_t msg_len, uint8_t *out, size_t out_cap,
					       size_t *out_len);

/* §4.2 Blind: EMSA-PSS-encodes the prepared message (SHA-384, MGF1-SHA-384,
 * salt 48), draws r uniformly in [1, n) with r invertible, and writes the
 * blinded message m * r^e mod n (modulus_len bytes) and the state.
 * OBOL_E_KEY_INVALID for a key that is not RSA of 1024..4096 bits;
 * OBOL_E_BLIND_INPUT_INVALID when the encoded message shares a factor with n. */
OBOL_MUST_CHECK obol_err obol_blindrsa_blind(EVP_PKEY *pk, const uint8_t *prepared, size_t prepared_len,
					     uint8_t *blinded, size_t blinded_cap, size_t *blinded_len,
					     struct obol_blindrsa_state *st);
/* The same with a salt length (0 for the PSSZERO variants, at most 48). */
OBOL_MUST_CHECK obol_err obol_blindrsa_blind_salt(EVP_PKEY *pk, size_t salt_len, const uint8_t *prepared,
						  size_t prepared_len, uint8_t *blinded, size_t blinded_cap,
						  size_t *blinded_len, struct obol_blindrsa_state *st);

/* §4.3 BlindSign, including the re-check that the result verifies (protects
 * the key against fault attacks). OBOL_E_BLIND_INPUT_INVALID when the blinded
 * message is not modulus_len bytes or not below n; OBOL_E_BLIND_SIGN_FAULT
 * when the re-check fails (nothing is written then). */
OBOL_MUST_CHECK obol_err obol_blindrsa_blind_sign(EVP_PKEY *sk, const uint8_t *blinded,
						  size_t blinded_len, uint8_t *blind_sig,
						  size_t sig_cap, size_t *sig_len);

/* §4.4 Finalize: unblinds and verifies; OBOL_E_BLIND_SIGNATURE_INVALID when
 * the server's answer does not verify (or is not a number below n of
 * modulus_len bytes). */
OBOL_MUST_CHECK obol_err obol_blindrsa_finalize(EVP_PKEY *pk, const struct obol_blindrsa_state *st,
						const uint8_t *blind_sig, size_t blind_sig_len,
						uint8_t *sig, size_t sig_cap, size_t *sig_len);

/* §4.5 Verify (RSASSA-PSS, SHA-384, MGF1-SHA-384, sLen 48) over the prepared
 * message. OBOL_E_SIGNATURE_INVALID when it does not verify. */
OBOL_MUST_CHECK obol_err obol_blindrsa_verify(EVP_PKEY *pk, const uint8_t *prepared, size_t prepared_len,
					      const uint8_t *sig, size_t sig_len);
OBOL_MUST_CHECK obol_err obol_blindrsa_verify_salt(EVP_PKEY *pk, size_t salt_len, const uint8_t *prepared,
						   size_t prepared_len, const uint8_t *sig, size_t sig_len);

void obol_blindrsa_state_wipe(struct obol_blindrsa_state *st);

/* Test hooks (tests/ only): inject the blinding factor r (big-endian, at
 * most modulus_len bytes) and the PSS salt so the RFC 9474 Appendix A vectors
 * can be reproduced. NULL restores random. Not thread-safe. */
void obol_blindrsa_test_inject(const uint8_t *r, size_t r_len, const uint8_t *salt, size_t salt_len);

#endif
