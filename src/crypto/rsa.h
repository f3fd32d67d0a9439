/* RSA keys (OpenSSL EVP_PKEY) and RSA-PSS with SHA-512, the signature of the
 * ecash scheme's customer and bank keys (seed 002 appendix B proof of concept;
 * DESIGN §3: customer keys are RSA so that they can join rings). */
#ifndef OBOL_CRYPTO_RSA_H
#define OBOL_CRYPTO_RSA_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OBOL_RSA_DEFAULT_BITS 2048
#define OBOL_RSA_MAX_MODULUS 512 /* bytes */
#define OBOL_RSA_MAX_DER 2600    /* bytes of a 4096-bit PKCS#8 key, with room */

OBOL_MUST_CHECK obol_err obol_rsa_generate(unsigned bits, EVP_PKEY **out);

/* DER SubjectPublicKeyInfo / PKCS#8 encodings. *der is OPENSSL_malloc'ed and
 * owned by the caller (private: free with obol_rsa_der_free, which wipes). */
OBOL_MUST_CHECK obol_err obol_rsa_public_to_der(EVP_PKEY *k, uint8_t **der, size_t *len);
OBOL_MUST_CHECK obol_err obol_rsa_public_from_der(const uint8_t *der, size_t len, EVP_PKEY **out);
OBOL_MUST_CHECK obol_err obol_rsa_private_to_der(EVP_PKEY *k, uint8_t **der, size_t *len);
OBOL_MUST_CHECK obol_err obol_rsa_private_from_der(const uint8_t *der, size_t len, EVP_PKEY **out);
void obol_rsa_der_free(uint8_t *der, size_t len);

/* Modulus length in bytes; 0 when k is not an RSA key. */
size_t obol_rsa_modulus_len(EVP_PKEY *k);

/* SHA-256 of the DER public key: the key's id in certificates and rings. */
OBOL_MUST_CHECK obol_err obol_rsa_key_id(EVP_PKEY *k, uint8_t id[32]);

/* RSASSA-PSS, SHA-512, MGF1-SHA-512, salt length 64. sig holds modulus_len bytes. */
OBOL_MUST_CHECK obol_err obol_rsapss_sign(EVP_PKEY *sk, const uint8_t *msg, size_t len, uint8_t *sig,
					  size_t sig_cap, size_t *sig_len);
/* The same signature from the message's SHA-512 digest (what a signing
 * process is sent instead of a message of any length). */
#define OBOL_RSAPSS_DIGEST_LEN 64
OBOL_MUST_CHECK obol_err obol_rsapss_sign_digest(EVP_PKEY *sk, const uint8_t digest[static OBOL_RSAPSS_DIGEST_LEN],
						 uint8_t *sig, size_t sig_cap, size_t *sig_len);
/* OBOL_E_SIGNATURE_INVALID when it does not verify. */
OBOL_MUST_CHECK obol_err obol_rsapss_verify(EVP_PKEY *pk, const uint8_t *msg, size_t len,
					    const uint8_t *sig, size_t sig_len);

#endif
