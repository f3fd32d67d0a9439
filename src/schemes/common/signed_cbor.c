/* Signing and verifying a record over the CBOR map of its fields
 * (contract in signed_cbor.h). */
#include "schemes/common/signed_cbor.h"

#include "wire/cbor.h"

obol_err obol_signed_cbor_sign(const struct obol_fields *fields, const char *context,
			       const uint8_t sk[static OBOL_SIGN_SK_LEN], uint8_t sig[static OBOL_SIGN_LEN])
{
	uint8_t buf[OBOL_SIGNED_CBOR_MAX];
	size_t len;
	obol_err e = obol_cbor_encode(fields, buf, sizeof buf, &len);
	if (e == OBOL_OK)
		obol_sign(sig, context, buf, len, sk);
	return e;
}

obol_err obol_signed_cbor_sign_by(const struct obol_fields *fields, const char *context,
				  const struct obol_ed25519_signer *signer, uint8_t sig[static OBOL_SIGN_LEN])
{
	uint8_t buf[OBOL_SIGNED_CBOR_MAX];
	size_t len;
	obol_err e = obol_cbor_encode(fields, buf, sizeof buf, &len);
	if (e == OBOL_OK)
		e = obol_ed25519_sign(signer, context, buf, len, sig);
	return e;
}

obol_err obol_signed_cbor_verify(const struct obol_fields *fields, const char *context,
				 const uint8_t pk[static OBOL_SIGN_PK_LEN], const uint8_t sig[static OBOL_SIGN_LEN])
{
	uint8_t buf[OBOL_SIGNED_CBOR_MAX];
	size_t len;
	obol_err e = obol_cbor_encode(fields, buf, sizeof buf, &len);
	if (e == OBOL_OK)
		e = obol_sign_verify(sig, context, buf, len, pk);
	return e;
}
