/* The vendor certificate C (contract in vendor_cert.h). */
#include <string.h>

#include "crypto/hash.h"
#include "crypto/secret.h"
#include "schemes/common/signed_cbor.h"
#include "schemes/common/vendor_cert.h"
#include "wire/cbor.h"

/* The spec of fields 1..7, or of all 8 with the signature. */
static void cert_fields(struct obol_vendor_cert *c, struct obol_field f[8], bool with_sig)
{
	f[0] = (struct obol_field){ .name = "vendor_id", .key = 1, .kind = OBOL_FIELD_UINT, .value = &c->vendor_id };
	f[1] = (struct obol_field){ .name = "name", .key = 2, .kind = OBOL_FIELD_TEXT, .value = c->name,
				    .min = 1, .max = OBOL_VENDOR_NAME_MAX };
	f[2] = (struct obol_field){ .name = "account", .key = 3, .kind = OBOL_FIELD_UINT, .value = &c->account };
	f[3] = (struct obol_field){ .name = "sign_pk", .key = 4, .kind = OBOL_FIELD_FIXED, .value = c->sign_pk,
				    .max = OBOL_SIGN_PK_LEN };
	f[4] = (struct obol_field){ .name = "box_pk", .key = 5, .kind = OBOL_FIELD_FIXED, .value = c->box_pk,
				    .max = OBOL_BOX_PK_LEN, .optional = true, .present = &c->has_box_pk };
	f[5] = (struct obol_field){ .name = "valid_from", .key = 6, .kind = OBOL_FIELD_INT, .value = &c->valid_from };
	f[6] = (struct obol_field){ .name = "valid_until", .key = 7, .kind = OBOL_FIELD_INT, .value = &c->valid_until };
	if (with_sig)
		f[7] = (struct obol_field){ .name = "sig", .key = 8, .kind = OBOL_FIELD_FIXED, .value = c->sig,
					    .max = OBOL_SIGN_LEN };
}

void obol_vendor_cert_spec(struct obol_vendor_cert *c, struct obol_vendor_cert_spec *spec)
{
	cert_fields(c, spec->f, true);
	spec->fields = (struct obol_fields){ spec->f, 8 };
}

/* Signed: the CBOR map of fields 1..7. */
static struct obol_fields signed_fields(const struct obol_vendor_cert *c, struct obol_field f[8])
{
	cert_fields((struct obol_vendor_cert *)c, f, false);
	return (struct obol_fields){ f, 7 };
}

obol_err obol_vendor_cert_sign(struct obol_vendor_cert *c, const struct obol_ed25519_signer *signer)
{
	struct obol_field f[8];
	struct obol_fields spec = signed_fields(c, f);
	if (c->valid_until <= c->valid_from)
		return OBOL_E_INVALID_ARGUMENT;
	return obol_signed_cbor_sign_by(&spec, OBOL_VENDOR_CERT_CONTEXT, signer, c->sig);
}

obol_err obol_vendor_cert_verify_sig(const struct obol_vendor_cert *c,
				     const uint8_t master_pk[static OBOL_SIGN_PK_LEN], int64_t now)
{
	struct obol_field f[8];
	struct obol_fields spec = signed_fields(c, f);
	if (obol_signed_cbor_verify_issuer(&spec, OBOL_VENDOR_CERT_CONTEXT, master_pk, c->sig, now) != OBOL_OK)
		return OBOL_E_VENDOR_CERT_INVALID;
	return OBOL_OK;
}

obol_err obol_vendor_cert_verify(const struct obol_vendor_cert *c, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
				 int64_t now)
{
	if (obol_vendor_cert_verify_sig(c, master_pk, now) != OBOL_OK)
		return OBOL_E_VENDOR_CERT_INVALID;
	if (c->valid_until <= c->valid_from)
		return OBOL_E_VENDOR_CERT_INVALID;
	if (now < c->valid_from || now >= c->valid_until)
		return OBOL_E_VENDOR_CERT_EXPIRED;
	return OBOL_OK;
}

obol_err obol_vendor_cert_encode(const struct obol_vendor_cert *c, uint8_t *buf, size_t cap, size_t *len)
{
	struct obol_field f[8];
	cert_fields((struct obol_vendor_cert *)c, f, true);
	struct obol_fields spec = { f, 8 };
	return obol_cbor_encode(&spec, buf, cap, len);
}

obol_err obol_vendor_cert_decode(const uint8_t *buf, size_t len, struct obol_vendor_cert *c)
{
	struct obol_field f[8];
	memset(c, 0, sizeof *c);
	cert_fields(c, f, true);
	struct obol_fields spec = { f, 8 };
	return obol_cbor_decode(buf, len, &spec);
}

obol_err obol_vendor_cert_to_text(const struct obol_vendor_cert *c, char text[OBOL_VENDOR_CERT_TEXT_MAX])
{
	uint8_t buf[OBOL_VENDOR_CERT_MAX];
	size_t len;
	obol_err e = obol_vendor_cert_encode(c, buf, sizeof buf, &len);
	if (e != OBOL_OK)
		return e;
	return obol_b64_encode(buf, len, text, OBOL_VENDOR_CERT_TEXT_MAX);
}

obol_err obol_vendor_cert_from_text(const char *text, struct obol_vendor_cert *c)
{
	uint8_t buf[OBOL_VENDOR_CERT_MAX];
	size_t len;
	if (strlen(text) >= OBOL_VENDOR_CERT_TEXT_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	obol_err e = obol_b64_decode(text, buf, sizeof buf, &len, 0);
	if (e != OBOL_OK)
		return e;
	return obol_vendor_cert_decode(buf, len, c);
}

obol_err obol_vendor_cert_hash(const struct obol_vendor_cert *c, uint8_t out[32])
{
	uint8_t buf[OBOL_VENDOR_CERT_MAX];
	size_t len;
	obol_err e = obol_vendor_cert_encode(c, buf, sizeof buf, &len);
	if (e != OBOL_OK)
		return e;
	obol_sha256(out, buf, len);
	return OBOL_OK;
}
