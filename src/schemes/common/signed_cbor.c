/* Signing and verifying a record over the CBOR map of its fields
 * (contract in signed_cbor.h). */
#include "schemes/common/signed_cbor.h"

#include <string.h>

#include "crypto/secret.h"
#include "wire/cbor.h"
#include "schemes/common/issuer_sig.h"

obol_err obol_signed_cbor_sign(const struct obol_fields *fields, const char *context,
			       const uint8_t sk[static OBOL_SIGN_SK_LEN], uint8_t sig[static OBOL_SIGN_LEN])
{
	struct obol_sign_keypair kp;
	struct obol_ed25519_signer signer;
	memcpy(kp.sk, sk, OBOL_SIGN_SK_LEN);
	memcpy(kp.pk, sk + OBOL_SIGN_SEED_LEN, OBOL_SIGN_PK_LEN); /* libsodium's sk is seed || pk */
	obol_ed25519_signer_local(&signer, &kp);
	obol_err e = obol_signed_cbor_sign_by(fields, context, &signer, sig);
	obol_wipe(&kp, sizeof kp);
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

obol_err obol_signed_cbor_verify_issuer(const struct obol_fields *fields, const char *context,
					const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
					const uint8_t sig[static OBOL_SIGN_LEN], int64_t now)
{
	uint8_t buf[OBOL_SIGNED_CBOR_MAX];
	size_t len;
	obol_err e = obol_cbor_encode(fields, buf, sizeof buf, &len);
	if (e == OBOL_OK)
		e = obol_issuer_sig_verify(sig, context, buf, len, master_pk, now);
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
