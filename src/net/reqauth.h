/* Account request authentication (DESIGN §4): the `Obol-Auth` header.
 *
 *   Obol-Auth: <account id>:<unix time>:<signature, base64url>
 *
 * The signature is Ed25519 (src/crypto/sign.h) under the context "obol-request"
 * over the 32-byte SHA-256 of the length-prefixed parts (obol_sha256_parts)
 *   method, path (without query), SHA-256(body), account id (decimal text),
 *   time (decimal text)
 * made with the account's key, whose public half the issuer holds as the
 * account's auth_pk. The issuer accepts it when the account exists, is active,
 * has an auth key, the signature verifies, and |now - time| <= OBOL_AUTH_WINDOW_S.
 * A request replayed inside the window is answered by idempotency (the
 * state-changing routes are keyed by a request id or their content), so it
 * moves nothing twice. */
#ifndef OBOL_NET_REQAUTH_H
#define OBOL_NET_REQAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/sign.h"

#define OBOL_AUTH_HEADER "Obol-Auth"
#define OBOL_AUTH_CONTEXT "obol-request"
#define OBOL_AUTH_WINDOW_S 300
#define OBOL_AUTH_HEADER_MAX 160 /* bytes of the value, NUL included */

/* The 32-byte digest that is signed. */
void obol_reqauth_digest(uint8_t out[32], const char *method, const char *path, const uint8_t body_hash[32],
			 int64_t account, int64_t ts);

/* Writes the header value for a request. */
OBOL_MUST_CHECK obol_err obol_reqauth_make(char out[OBOL_AUTH_HEADER_MAX], const char *method, const char *path,
					   const uint8_t body_hash[32], int64_t account, int64_t ts,
					   const uint8_t sk[static OBOL_SIGN_SK_LEN]);

/* Splits a header value into its parts; AUTH_FAILED when it is not of the form above. */
OBOL_MUST_CHECK obol_err obol_reqauth_parse(const char *value, int64_t *account, int64_t *ts,
					    uint8_t sig[static OBOL_SIGN_LEN]);

/* Checks a parsed header against the account's key and now; AUTH_FAILED for a
 * bad signature or a time outside the window. */
OBOL_MUST_CHECK obol_err obol_reqauth_check(const char *method, const char *path, const uint8_t body_hash[32],
					    int64_t account, int64_t ts, const uint8_t sig[static OBOL_SIGN_LEN],
					    const uint8_t pk[static OBOL_SIGN_PK_LEN], int64_t now);

#endif
