/* A signed record of the wire (the vendor certificate, the receipt): the
 * signature covers the CBOR map of the record's fields but the last, which
 * is the signature itself, under a context of its own (crypto/sign.h). */
#ifndef OBOL_SCHEMES_COMMON_SIGNED_CBOR_H
#define OBOL_SCHEMES_COMMON_SIGNED_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/ed25519_signer.h"
#include "crypto/sign.h"
#include "wire/fields.h"

/* The signed bytes are at most this long (WIRE_OVERSIZED when longer). */
#define OBOL_SIGNED_CBOR_MAX 512

/* Signs the CBOR map of fields (the record's fields but the signature) into
 * sig. */
OBOL_MUST_CHECK obol_err obol_signed_cbor_sign(const struct obol_fields *fields, const char *context,
					       const uint8_t sk[static OBOL_SIGN_SK_LEN],
					       uint8_t sig[static OBOL_SIGN_LEN]);
/* The same, the signature made by signer (crypto/ed25519_signer.h). */
OBOL_MUST_CHECK obol_err obol_signed_cbor_sign_by(const struct obol_fields *fields, const char *context,
						  const struct obol_ed25519_signer *signer,
						  uint8_t sig[static OBOL_SIGN_LEN]);
/* OK when sig is pk's signature over the CBOR map of fields; the encoder's
 * error, or SIGNATURE_INVALID (as obol_sign_verify names it). */
OBOL_MUST_CHECK obol_err obol_signed_cbor_verify(const struct obol_fields *fields, const char *context,
						 const uint8_t pk[static OBOL_SIGN_PK_LEN],
						 const uint8_t sig[static OBOL_SIGN_LEN]);

/* The same for a record the issuer signed: sig by master_pk or by an online
 * key it announced, acceptable at now (issuer_sig.h, obol_issuer_sig_verify,
 * whose errors it returns). */
OBOL_MUST_CHECK obol_err obol_signed_cbor_verify_issuer(const struct obol_fields *fields, const char *context,
							const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
							const uint8_t sig[static OBOL_SIGN_LEN], int64_t now);

#endif
