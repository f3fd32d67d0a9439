/* The vendor's signed receipt (src/schemes/common/receipt.h). */
#include <string.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "schemes/common/receipt.h"
#include "../test.h"
#include "wire/cbor.h"

struct fixture {
	struct obol_sign_keypair vendor;
	struct obol_vendor_cert cert;
	struct obol_receipt r;
	uint8_t id[OBOL_RECEIPT_ID_LEN];
};

static void setup(struct fixture *f)
{
	static const uint8_t pay_body[] = { 0xa1, 0x01, 0x02 };
	memset(f, 0, sizeof *f);
	obol_sign_keypair_new(&f->vendor);
	f->cert.vendor_id = 7;
	memcpy(f->cert.sign_pk, f->vendor.pk, OBOL_SIGN_PK_LEN);
	obol_receipt_payment_id(pay_body, sizeof pay_body, f->id);
	snprintf(f->r.scheme, sizeof f->r.scheme, "coupon");
	f->r.vendor_id = 7;
	(void)!obol_amount_parse("EUR:0.3", &f->r.amount);
	f->r.units = 100;
	f->r.time = obol_now();
	memcpy(f->r.id, f->id, sizeof f->id);
}

TEST(receipt, signs_verifies_and_matches)
{
	struct fixture f;
	struct obol_amount paid;
	setup(&f);
	REQUIRE_OK(obol_receipt_sign(&f.r, f.vendor.sk));
	CHECK_OK(obol_receipt_verify(&f.r, &f.cert));
	REQUIRE_OK(obol_amount_parse("EUR:0.3", &paid));
	CHECK_OK(obol_receipt_match(&f.r, "coupon", f.id, &paid, 100));
	CHECK_ERR(obol_receipt_match(&f.r, "ecash", f.id, &paid, 100), OBOL_E_RECEIPT_MISMATCH);
	CHECK_ERR(obol_receipt_match(&f.r, "coupon", f.id, &paid, 99), OBOL_E_RECEIPT_MISMATCH);
	uint8_t other[OBOL_RECEIPT_ID_LEN];
	memcpy(other, f.id, sizeof other);
	other[0] ^= 1;
	CHECK_ERR(obol_receipt_match(&f.r, "coupon", other, &paid, 100), OBOL_E_RECEIPT_MISMATCH);
	REQUIRE_OK(obol_amount_parse("EUR:0.29", &paid));
	CHECK_ERR(obol_receipt_match(&f.r, "coupon", f.id, &paid, 100), OBOL_E_RECEIPT_MISMATCH);
}

TEST(receipt, any_change_breaks_the_signature)
{
	struct fixture f;
	struct obol_receipt r;
	setup(&f);
	REQUIRE_OK(obol_receipt_sign(&f.r, f.vendor.sk));
	r = f.r, r.units++;
	CHECK_ERR(obol_receipt_verify(&r, &f.cert), OBOL_E_RECEIPT_INVALID);
	r = f.r, r.amount.units++;
	CHECK_ERR(obol_receipt_verify(&r, &f.cert), OBOL_E_RECEIPT_INVALID);
	r = f.r, r.time++;
	CHECK_ERR(obol_receipt_verify(&r, &f.cert), OBOL_E_RECEIPT_INVALID);
	r = f.r, r.id[5] ^= 1;
	CHECK_ERR(obol_receipt_verify(&r, &f.cert), OBOL_E_RECEIPT_INVALID);
	r = f.r, r.scheme[0] = 'k';
	CHECK_ERR(obol_receipt_verify(&r, &f.cert), OBOL_E_RECEIPT_INVALID);
	r = f.r, r.sig[0] ^= 1;
	CHECK_ERR(obol_receipt_verify(&r, &f.cert), OBOL_E_RECEIPT_INVALID);
	/* another vendor's certificate, or another vendor named */
	struct obol_vendor_cert other = f.cert;
	other.sign_pk[0] ^= 1;
	CHECK_ERR(obol_receipt_verify(&f.r, &other), OBOL_E_RECEIPT_INVALID);
	other = f.cert;
	other.vendor_id = 8;
	CHECK_ERR(obol_receipt_verify(&f.r, &other), OBOL_E_RECEIPT_INVALID);
	/* a key that signed the same bytes for another purpose */
	r = f.r;
	struct obol_receipt_spec sp;
	uint8_t buf[OBOL_RECEIPT_MAX];
	size_t len;
	obol_receipt_spec(&r, &sp);
	struct obol_fields six = { sp.f, 6 };
	REQUIRE_OK(obol_cbor_encode(&six, buf, sizeof buf, &len));
	obol_sign(r.sig, OBOL_VENDOR_CERT_CONTEXT, buf, len, f.vendor.sk);
	CHECK_ERR(obol_receipt_verify(&r, &f.cert), OBOL_E_RECEIPT_INVALID);
	obol_sign(r.sig, OBOL_RECEIPT_CONTEXT, buf, len, f.vendor.sk);
	CHECK_OK(obol_receipt_verify(&r, &f.cert)); /* the documented signed bytes */
	OBOL_WIPE(f.vendor);
}

TEST(receipt, frame_body_round_trip)
{
	struct fixture f;
	struct obol_receipt back;
	struct obol_receipt_spec sp, bsp;
	uint8_t buf[OBOL_RECEIPT_MAX];
	size_t len;
	setup(&f);
	REQUIRE_OK(obol_receipt_sign(&f.r, f.vendor.sk));
	obol_receipt_spec(&f.r, &sp);
	REQUIRE_OK(obol_cbor_encode(&sp.fields, buf, sizeof buf, &len));
	memset(&back, 0, sizeof back);
	obol_receipt_spec(&back, &bsp);
	REQUIRE_OK(obol_cbor_decode(buf, len, &bsp.fields));
	CHECK_OK(obol_receipt_verify(&back, &f.cert));
	CHECK_ERR(obol_cbor_decode(buf, len - 1, &bsp.fields), OBOL_E_WIRE_TRUNCATED);
}
