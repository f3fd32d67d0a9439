/* payword messages on the wire: a purchase through CBOR and back, a report
 * through JSON and back, and the refusals of the field specs. */
#include <stdlib.h>

#include "pw_fixture.h"
#include "schemes/payword/wire.h"
#include "wire/cbor.h"
#include "wire/json.h"

TEST(payword_wire, pay_frame_round_trip_and_refusals)
{
	struct pw_world w;
	struct payword_pay req, back;
	static struct payword_pay_wire m, m2;
	struct payword_pay_spec s, s2;
	static uint8_t buf[OBOL_FRAME_MAX];
	size_t len = 0;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_wallet_pay_req r = pw_req(PW_A, "EUR:0.02", PW_NOW);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	REQUIRE_OK(payword_pay_to_wire(&req, &m));
	payword_pay_spec_init(&s, &m);
	REQUIRE_OK(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len));
	payword_pay_spec_init(&s2, &m2);
	REQUIRE_OK(obol_cbor_decode(buf, len, &s2.spec));
	REQUIRE_OK(payword_pay_from_wire(&m2, PW_A, &back));
	CHECK_EQ_INT(back.order, 2);
	CHECK(back.range.serial == 1 && back.range.vendor == PW_A && back.range.from == 1 && back.range.to == 2);
	CHECK_MEM_EQ(back.range.sig, req.range.sig, OBOL_SIGN_LEN);
	CHECK_MEM_EQ(back.token, req.token, 32);
	CHECK_EQ_STR(back.product, "article-1");
	/* the decoded purchase passes the vendor's checks */
	struct payword_vendor_serial st;
	struct payword_claim cl;
	CHECK_OK(payword_vendor_purchase(&w.va, &w.crl, NULL, &back, PW_NOW, 1, &st, &cl));
	/* read by another vendor, the range is not signed for it */
	REQUIRE_OK(payword_pay_from_wire(&m2, PW_B, &back));
	CHECK_ERR(payword_vendor_purchase(&w.vb, &w.crl, NULL, &back, PW_NOW, 1, &st, &cl), OBOL_E_PAYWORD_RANGE_INVALID);
	/* truncated */
	CHECK(obol_cbor_decode(buf, len - 1, &s2.spec) != OBOL_OK);
	/* a certificate that does not parse */
	m.vcert[0] ^= 1;
	CHECK_ERR(payword_pay_from_wire(&m, PW_A, &back), OBOL_E_PAYWORD_CERT_MALFORMED);
}

TEST(payword_wire, report_json_round_trip)
{
	struct pw_world w;
	struct payword_vendor_serial st;
	struct payword_claim cl, back;
	struct payword_claim_wire m, m2;
	struct payword_claim_spec s, s2;
	bool has = false;
	json_t *j = NULL;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_buy(&w, &w.va, &st, &has, "EUR:0.01", PW_NOW, &cl));
	payword_claim_to_wire(&cl, &m);
	payword_claim_spec_init(&s, &m);
	REQUIRE_OK(obol_json_encode(&s.spec, &j));
	payword_claim_spec_init(&s2, &m2);
	REQUIRE_OK(obol_json_decode(j, &s2.spec));
	payword_claim_from_wire(&m2, PW_A, &back);
	CHECK(back.range.serial == cl.range.serial && back.range.from == cl.range.from && back.range.to == cl.range.to &&
	      back.range.vendor == PW_A);
	CHECK_MEM_EQ(back.range.sig, cl.range.sig, OBOL_SIGN_LEN);
	CHECK_EQ_INT(back.auth, cl.auth);
	CHECK_MEM_EQ(back.token, cl.token, 32);
	/* an unknown field, a missing one */
	json_object_set_new(j, "bonus", json_integer(1));
	CHECK_ERR(obol_json_decode(j, &s2.spec), OBOL_E_WIRE_UNKNOWN_FIELD);
	json_object_del(j, "bonus");
	json_object_del(j, "token");
	CHECK_ERR(obol_json_decode(j, &s2.spec), OBOL_E_WIRE_MISSING_FIELD);
	json_decref(j);
}
