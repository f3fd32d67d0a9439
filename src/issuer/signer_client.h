/* The issuer's side of its signing process (signer.h): `issuer serve
 * --signer PATH` makes its blind signatures, the ecash bank's RSA
 * signatures, its box openings (and, once the online keys sign, its Ed25519
 * signatures) through it. Thread-safe: a pool of connections, one request
 * in flight on each, so that every worker thread can wait on the signer at
 * once and the signer signs on all its cores.
 *
 * Every call answers the signer's refusal as its code (SIGNER_KEY_UNKNOWN,
 * ...) or SIGNER_UNAVAILABLE when the signer does not answer (not running,
 * restarted, timed out after OBOL_SIGNER_CLIENT_TIMEOUT_MS): that one is
 * retryable, and nothing was signed for the caller to apply. */
#ifndef OBOL_ISSUER_SIGNER_CLIENT_H
#define OBOL_ISSUER_SIGNER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/seal.h"
#include "issuer/signer.h"

#define OBOL_SIGNER_CLIENT_TIMEOUT_MS 10000
#define OBOL_SIGNER_CLIENT_POOL 64 /* connections at most: more callers wait for one */

struct obol_signer_client;

/* Connects once to check that the signer answers (STATUS):
 * SIGNER_UNAVAILABLE when it does not. */
OBOL_MUST_CHECK obol_err obol_signer_client_open(const char *socket_path, struct obol_signer_client **out);
void obol_signer_client_close(struct obol_signer_client *c);

/* One request (signer.h): kind, key id, payload; the reply's payload into
 * out (cap bytes), *out_len. */
OBOL_MUST_CHECK obol_err obol_signer_client_call(struct obol_signer_client *c, unsigned kind,
						 const uint8_t key_id[static OBOL_SIGNER_KEY_ID_LEN],
						 const uint8_t *payload, size_t len, uint8_t *out, size_t cap,
						 size_t *out_len);

/* RFC 9474 §4.3 BlindSign by the coupon denomination key key_id. */
OBOL_MUST_CHECK obol_err obol_signer_client_blind_sign(struct obol_signer_client *c,
						       const uint8_t key_id[static OBOL_SIGNER_KEY_ID_LEN],
						       const uint8_t *blinded, size_t len, uint8_t *sig, size_t cap,
						       size_t *sig_len);
/* RSASSA-PSS (obol_rsapss_sign) by the ecash bank key key_id, of a message
 * of any length (the signer is sent its SHA-512 digest). */
OBOL_MUST_CHECK obol_err obol_signer_client_rsa_sign(struct obol_signer_client *c,
						     const uint8_t key_id[static OBOL_SIGNER_KEY_ID_LEN],
						     const uint8_t *msg, size_t len, uint8_t *sig, size_t cap,
						     size_t *sig_len);
/* An obol_box_opener's open (crypto/seal.h), ctx the client: opens a box
 * sealed to pk, which must be the issuer's box key the signer holds. */
OBOL_MUST_CHECK obol_err obol_signer_client_box_open(void *ctx, const uint8_t pk[static OBOL_BOX_PK_LEN],
						     uint8_t *out, const uint8_t *box, size_t len);
/* An Ed25519 signature by the online key pk under context (which the
 * signer must allow), ctx the client: the shape of struct
 * obol_ed25519_signer's sign, to plug in where the issuer signs online. */
OBOL_MUST_CHECK obol_err obol_signer_client_ed25519_sign(void *ctx, const uint8_t pk[32], const char *context,
							 const uint8_t *msg, size_t len, uint8_t sig[64]);

#endif
