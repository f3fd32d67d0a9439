/* The ecash messages on the wire: a payment (plain and ring) through its
 * two device-link frames (PAY without the new claims' signatures, SIGN with
 * them) and back verifies at the merchant; a deposit and a revocation list
 * through JSON; truncated, garbage and oversized input is refused with a
 * named error (and, under ASan, leaks nothing). */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "schemes/ecash/messages.h"
#include "wire/cbor.h"
#include "wire/json.h"
#include "../test.h"

static const char *const one_euro[] = { "EUR:1" };

static obol_err decode_payment_frame(const uint8_t *buf, size_t len, struct ecash_payment *out)
{
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
	struct ecash_payment_spec sp;
	memset(out, 0, sizeof(*out));
	obol_err err = obol_frame_decode(buf, len, &type, &body, &body_len);
	if (err != OBOL_OK)
		return err;
	if (type != ECASH_MSG_PAY)
		return OBOL_E_WIRE_UNKNOWN_TYPE;
	err = ecash_payment_spec(&sp, out, true);
	if (err != OBOL_OK)
		return err;
	return ecash_payment_done(&sp, obol_cbor_decode(body, body_len, &sp.s));
}

TEST(ecash_messages, payment_frame_roundtrip_plain_and_ring)
{
	struct fx w;
	struct ecash_payment p, back;
	struct ecash_payment_spec sp;
	static uint8_t buf[OBOL_FRAME_MAX + OBOL_FRAME_HEADER_LEN];
	size_t len, idx = 0;
	REQUIRE(fx_init(&w, 6) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE(fx_sign_directory(&w) == 0);
	for (size_t ring = 0; ring <= 4; ring += 4) {
		REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", ring, FX_NOW, &p));
		REQUIRE_OK(ecash_payment_spec(&sp, &p, false));
		REQUIRE_OK(ecash_payment_done(&sp, obol_frame_encode(ECASH_MSG_PAY, &sp.s, buf, sizeof(buf), &len)));
		REQUIRE_OK(decode_payment_frame(buf, len, &back));
		CHECK_EQ_INT(back.ncoins, 1);
		CHECK_EQ_INT(back.coins[0].nchain, 1);
		CHECK_EQ_INT(back.coins[0].chain[0].ncerts, ring ? ring : 1);
		CHECK_EQ_INT(back.sigma1_len, p.sigma1_len);
		/* PAY carries no signature of the new claim: nothing a bank takes. */
		CHECK_EQ_INT(back.coins[0].chain[0].sig_len, 0);
		CHECK(!back.coins[0].chain[0].has_owner_sig);
		CHECK_OK(ecash_merchant_verify(&w.p[1].m, &back, FX_NOW));
		CHECK_ERR(ecash_merchant_verify_sigs(&w.p[1].m, &back), OBOL_E_ECASH_CLAIM_SIGNATURE);
		/* SIGN brings them. */
		struct ecash_signatures sg, sb = { 0 };
		struct ecash_signatures_spec ssp;
		size_t slen;
		uint32_t type;
		const uint8_t *body;
		size_t body_len;
		REQUIRE_OK(ecash_payment_signatures(&p, &sg));
		ecash_signatures_spec(&ssp, &sg, false);
		REQUIRE_OK(obol_frame_encode(ECASH_MSG_SIGN, &ssp.s, buf, sizeof(buf), &slen));
		REQUIRE_OK(obol_frame_decode(buf, slen, &type, &body, &body_len));
		CHECK_EQ_INT(type, ECASH_MSG_SIGN);
		ecash_signatures_spec(&ssp, &sb, true);
		REQUIRE_OK(ecash_signatures_done(&ssp, obol_cbor_decode(body, body_len, &ssp.s)));
		CHECK_EQ_INT(sb.n, 1);
		CHECK(sb.s[0].has_owner_sig);
		REQUIRE_OK(ecash_payment_attach(&back, &sb));
		CHECK_OK(ecash_merchant_verify_sigs(&w.p[1].m, &back));
		struct ecash_receipt rc;
		CHECK_OK(ecash_merchant_accept(&w.p[1].m, &back, &rc));
		ecash_signatures_clear(&sg);
		/* The PAY frame again, for the cuts below. */
		REQUIRE_OK(ecash_payment_spec(&sp, &p, false));
		REQUIRE_OK(ecash_payment_done(&sp, obol_frame_encode(ECASH_MSG_PAY, &sp.s, buf, sizeof(buf), &len)));
		/* Every strict prefix of the frame is refused, never accepted. */
		for (size_t cut = OBOL_FRAME_HEADER_LEN; cut < len; cut += 97) {
			struct ecash_payment t;
			buf[0] = (uint8_t)((cut - 4) >> 24);
			buf[1] = (uint8_t)((cut - 4) >> 16);
			buf[2] = (uint8_t)((cut - 4) >> 8);
			buf[3] = (uint8_t)(cut - 4);
			obol_err e = decode_payment_frame(buf, cut, &t);
			CHECK(e != OBOL_OK);
			if (e == OBOL_OK)
				ecash_payment_clear(&t);
		}
		ecash_payment_clear(&back);
		ecash_payment_clear(&p);
		w.p[1].m.nseen = 0;
		free(w.p[1].m.seen);
		w.p[1].m.seen = NULL;
		w.p[1].m.cap = 0;
	}
	fx_free(&w);
}

TEST(ecash_messages, deposit_and_lists_roundtrip_through_json)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(fx_init(&w, 3) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));

	struct ecash_deposit_req d = { 0 }, back = { 0 };
	struct ecash_deposit_req_spec sp, bsp;
	d.cert = w.p[1].c.cert;
	d.coins = p.coins;
	d.ncoins = p.ncoins;
	d.sig_len = 3;
	json_t *j = NULL;
	REQUIRE_OK(ecash_deposit_req_spec(&sp, &d, false));
	REQUIRE_OK(ecash_deposit_req_done(&sp, obol_json_encode(&sp.s, &j)));
	char *text = json_dumps(j, JSON_COMPACT);
	REQUIRE(text != NULL);
	REQUIRE_OK(ecash_deposit_req_spec(&bsp, &back, true));
	CHECK_OK(ecash_deposit_req_done(&bsp, obol_json_decode_text(text, strlen(text), &bsp.s)));
	CHECK_EQ_INT(back.ncoins, 1);
	CHECK_MEM_EQ(back.coins[0].coin.serial, p.coins[0].coin.serial, ECASH_SERIAL_LEN);
	CHECK_OK(ecash_chain_verify(&w.bank.keys, &back.coins[0], NULL, &w.bank.pol, 0, NULL));
	ecash_deposit_req_clear(&back);
	/* Truncated JSON, and a claim with an unknown field. */
	memset(&back, 0, sizeof(back));
	REQUIRE_OK(ecash_deposit_req_spec(&bsp, &back, true));
	CHECK(ecash_deposit_req_done(&bsp, obol_json_decode_text(text, strlen(text) - 5, &bsp.s)) != OBOL_OK);
	CHECK(back.coins == NULL);
	json_t *claim = json_array_get(json_object_get(j, "claims"), 0);
	json_object_set_new(claim, "extra", json_integer(1));
	free(text);
	text = json_dumps(j, JSON_COMPACT);
	memset(&back, 0, sizeof(back));
	REQUIRE_OK(ecash_deposit_req_spec(&bsp, &back, true));
	CHECK_ERR(ecash_deposit_req_done(&bsp, obol_json_decode_text(text, strlen(text), &bsp.s)),
		  OBOL_E_WIRE_UNKNOWN_FIELD);
	free(text);
	json_decref(j);

	/* A revocation list as stored survives the trip. */
	struct ecash_revocations rl = { .held = true, .issued = FX_NOW, .whole_at = FX_NOW - 9 }, rb = { 0 };
	struct ecash_revocations_spec rs, rbs;
	int64_t at = 0;
	rl.keys = calloc(2, sizeof(*rl.keys));
	REQUIRE(rl.keys != NULL);
	memcpy(rl.keys[0].id, w.p[0].c.id, ECASH_ID_LEN);
	rl.keys[0].at = FX_NOW - 5;
	memcpy(rl.keys[1].id, w.p[2].c.id, ECASH_ID_LEN);
	rl.keys[1].at = FX_NOW - 7;
	rl.n = 2;
	REQUIRE_OK(ecash_revocations_spec(&rs, &rl, false));
	REQUIRE_OK(obol_json_encode(&rs.s, &j));
	REQUIRE_OK(ecash_revocations_spec(&rbs, &rb, true));
	CHECK_OK(ecash_revocations_done(&rbs, obol_json_decode(j, &rbs.s)));
	CHECK(rb.held && rb.issued == FX_NOW && rb.whole_at == FX_NOW - 9);
	CHECK(ecash_revoked(&rb, w.p[2].c.id, &at));
	CHECK_EQ_INT(at, FX_NOW - 7);
	CHECK(!ecash_revoked(&rb, w.p[1].c.id, NULL));
	json_decref(j);
	ecash_revocations_clear(&rb);
	ecash_revocations_clear(&rl);
	ecash_payment_clear(&p);
	fx_free(&w);
}
