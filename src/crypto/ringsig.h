/* Rivest–Shamir–Tauman ring signatures over RSA keys, as seed 002 §4.1
 * describes: each member's RSA permutation g_i is extended to a common domain
 * {0,1}^b (b = 160 bits more than the largest modulus); the combining function
 * C_{k,v}(y_1..y_r) = E_k(y_r XOR E_k(y_{r-1} XOR ... E_k(y_1 XOR v))) uses a
 * keyed symmetric permutation E_k over b bits (an 8-round Feistel network
 * over SHAKE256, indifferentiable from an ideal cipher: ringsig.c);
 * k = H(public keys || message): the seed's step 1 hashes only the keys,
 * obol binds the message too. Signature: (v, x_1, ..., x_r), each b bits. */
#ifndef OBOL_CRYPTO_RINGSIG_H
#define OBOL_CRYPTO_RINGSIG_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OBOL_RING_MIN 1
#define OBOL_RING_MAX 64

/* Bytes of a signature over a ring of r keys whose largest modulus is
 * modulus_len bytes: (r + 1) * (modulus_len + 20). 0 when r or modulus_len
 * is out of range. */
size_t obol_ringsig_len(size_t r, size_t modulus_len);

/* Signs msg as member `signer` of ring[0..r) (public keys; ring[signer] must
 * match sk). sig holds obol_ringsig_len(r, max modulus) bytes. */
OBOL_MUST_CHECK obol_err obol_ringsig_sign(EVP_PKEY *const *ring, size_t r, size_t signer, EVP_PKEY *sk,
					   const uint8_t *msg, size_t msg_len, uint8_t *sig,
					   size_t sig_cap, size_t *sig_len);

/* OBOL_E_RING_SIGNATURE_INVALID when it does not verify; OBOL_E_RING_SIZE for
 * r outside [OBOL_RING_MIN, OBOL_RING_MAX]. */
OBOL_MUST_CHECK obol_err obol_ringsig_verify(EVP_PKEY *const *ring, size_t r, const uint8_t *msg,
					     size_t msg_len, const uint8_t *sig, size_t sig_len);
/* The same with obol's first, 4-round E_k ("obol-ringsig-E-v1"): only for
 * signatures made before it was replaced (ringsig.c). */
OBOL_MUST_CHECK obol_err obol_ringsig_verify_legacy(EVP_PKEY *const *ring, size_t r, const uint8_t *msg,
						    size_t msg_len, const uint8_t *sig, size_t sig_len);

/* E_k over buf[0..blen) in place, for the known-answer test of the cipher
 * (tests/vectors/ringsig_ek.txt). */
void obol_ringsig_ek(const uint8_t k[static 32], uint8_t *buf, size_t blen);

#endif
