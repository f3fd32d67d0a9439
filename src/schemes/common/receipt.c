/* The vendor's signed receipt (contract in receipt.h). */
#include "schemes/common/receipt.h"

#include <stdlib.h>
#include <string.h>

#include "schemes/common/signed_cbor.h"
#include "wire/cbor.h"

/* The spec of fields 1..6, or of all 7 with the signature. */
static void receipt_fields(struct obol_receipt *r, struct obol_field f[7], bool with_sig)
{
	f[0] = (struct obol_field){ .name = "scheme", .key = 1, .kind = OBOL_FIELD_TEXT, .value = r->scheme,
				    .min = 1, .max = OBOL_RECEIPT_SCHEME_MAX };
	f[1] = (struct obol_field){ .name = "vendor_id", .key = 2, .kind = OBOL_FIELD_UINT, .value = &r->vendor_id };
	f[2] = (struct obol_field){ .name = "amount", .key = 3, .kind = OBOL_FIELD_AMOUNT, .value = &r->amount };
	f[3] = (struct obol_field){ .name = "units", .key = 4, .kind = OBOL_FIELD_UINT, .value = &r->units };
	f[4] = (struct obol_field){ .name = "time", .key = 5, .kind = OBOL_FIELD_INT, .value = &r->time };
	f[5] = (struct obol_field){ .name = "id", .key = 6, .kind = OBOL_FIELD_FIXED, .value = r->id,
				    .max = OBOL_RECEIPT_ID_LEN };
	if (with_sig)
		f[6] = (struct obol_field){ .name = "sig", .key = 7, .kind = OBOL_FIELD_FIXED, .value = r->sig,
					    .max = OBOL_SIGN_LEN };
}

void obol_receipt_spec(struct obol_receipt *r, struct obol_receipt_spec *spec)
{
	receipt_fields(r, spec->f, true);
	spec->fields = (struct obol_fields){ spec->f, 7 };
}

void obol_receipt_payment_id(const uint8_t *body, size_t len, uint8_t id[static OBOL_RECEIPT_ID_LEN])
{
	obol_sha256(id, body, len);
}

obol_err obol_receipt_payment_id_of(const struct obol_fields *body, uint8_t id[static OBOL_RECEIPT_ID_LEN])
{
	uint8_t *buf = malloc(OBOL_FRAME_MAX);
	size_t len;
	obol_err e = buf != NULL ? obol_cbor_encode(body, buf, OBOL_FRAME_MAX, &len) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		obol_receipt_payment_id(buf, len, id);
	free(buf);
	return e;
}

/* Signed: the CBOR map of fields 1..6. */
static struct obol_fields signed_fields(const struct obol_receipt *r, struct obol_field f[7])
{
	receipt_fields((struct obol_receipt *)r, f, false);
	return (struct obol_fields){ f, 6 };
}

obol_err obol_receipt_sign(struct obol_receipt *r, const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	struct obol_field f[7];
	struct obol_fields spec = signed_fields(r, f);
	return obol_signed_cbor_sign(&spec, OBOL_RECEIPT_CONTEXT, sk, r->sig);
}

obol_err obol_receipt_verify(const struct obol_receipt *r, const struct obol_vendor_cert *cert)
{
	struct obol_field f[7];
	struct obol_fields spec = signed_fields(r, f);
	if (r->vendor_id != cert->vendor_id ||
	    obol_signed_cbor_verify(&spec, OBOL_RECEIPT_CONTEXT, cert->sign_pk, r->sig) != OBOL_OK)
		return OBOL_E_RECEIPT_INVALID;
	return OBOL_OK;
}

obol_err obol_receipt_match(const struct obol_receipt *r, const char *scheme,
			    const uint8_t id[static OBOL_RECEIPT_ID_LEN], const struct obol_amount *amount,
			    uint64_t units)
{
	int cmp;
	if (strcmp(r->scheme, scheme) != 0 || memcmp(r->id, id, OBOL_RECEIPT_ID_LEN) != 0 || r->units != units ||
	    obol_amount_cmp(&r->amount, amount, &cmp) != OBOL_OK || cmp != 0)
		return OBOL_E_RECEIPT_MISMATCH;
	return OBOL_OK;
}
