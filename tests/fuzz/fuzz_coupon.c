/* libFuzzer target: the coupon scheme's parsers and the vendor's token check
 * (src/schemes/coupon/).
 *
 * The first byte chooses what the rest is fed to:
 *   0..21  a device-link or issuer message body (CBOR), by its spec; what
 *          decodes must re-encode and decode to the same bytes
 *   32     the same bodies as JSON text (issuer API)
 *   33     the coupon part of GET /keys (JSON)
 *   34     a TOKEN for a vendor session that asked for a few tokens: when the
 *          core accepts it, the token must hash to the last one it held
 *   35     a sealed box: authorisation, status query, refund (none may
 *          open: no key matches)
 *   36     a refusal's detail text: what parses must format back to itself
 *   37     a sealed status answer under a key it was not made with (it
 *          must not open) */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "schemes/coupon/keys.h"
#include "schemes/coupon/vendor.h"
#include "wire/cbor.h"
#include "wire/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union msg {
	struct coupon_buy buy;
	struct coupon_offer offer;
	struct coupon_pay pay;
	struct coupon_lock_reply lock_reply;
	struct coupon_token_req token_req;
	struct coupon_token token;
	struct coupon_served served;
	struct coupon_end end;
	struct coupon_receipt receipt;
	struct coupon_error error;
	struct coupon_withdraw_req withdraw_req;
	struct coupon_withdraw_reply withdraw_reply;
	struct coupon_lock_req lock_req;
	struct coupon_settle_req settle_req;
	struct coupon_settle_reply settle_reply;
	struct coupon_status_req status_req;
	struct coupon_status_reply status_reply;
	struct coupon_coin_status_req coin_status_req;
	struct coupon_coin_status_reply coin_status_reply;
	struct coupon_coin_status coin_status;
	struct coupon_refund_req refund_req;
	struct coupon_refund_reply refund_reply;
};

#define NSPECS 22

static void spec_of(unsigned k, struct coupon_spec *s, union msg *m)
{
	switch (k % NSPECS) {
	case 0: coupon_spec_buy(s, &m->buy); break;
	case 1: coupon_spec_offer(s, &m->offer); break;
	case 2: coupon_spec_pay(s, &m->pay); break;
	case 3: coupon_spec_lock_reply(s, &m->lock_reply); break;
	case 4: coupon_spec_token_req(s, &m->token_req); break;
	case 5: coupon_spec_token(s, &m->token); break;
	case 6: coupon_spec_served(s, &m->served); break;
	case 7: coupon_spec_end(s, &m->end); break;
	case 8: coupon_spec_receipt(s, &m->receipt); break;
	case 9: coupon_spec_error(s, &m->error); break;
	case 10: coupon_spec_withdraw_req(s, &m->withdraw_req); break;
	case 11: coupon_spec_withdraw_reply(s, &m->withdraw_reply); break;
	case 12: coupon_spec_lock_req(s, &m->lock_req); break;
	case 13: coupon_spec_settle_req(s, &m->settle_req); break;
	case 14: coupon_spec_settle_reply(s, &m->settle_reply); break;
	case 15: coupon_spec_status_req(s, &m->status_req); break;
	case 16: coupon_spec_status_reply(s, &m->status_reply); break;
	case 17: coupon_spec_coin_status_req(s, &m->coin_status_req); break;
	case 18: coupon_spec_coin_status_reply(s, &m->coin_status_reply); break;
	case 19: coupon_spec_coin_status(s, &m->coin_status); break;
	case 20: coupon_spec_refund_req(s, &m->refund_req); break;
	default: coupon_spec_refund_reply(s, &m->refund_reply); break;
	}
}

static uint8_t enc1[OBOL_FRAME_MAX], enc2[OBOL_FRAME_MAX];
static union msg m1, m2;

static void cbor_round_trip(unsigned k, const uint8_t *buf, size_t len)
{
	struct coupon_spec s1, s2;
	size_t n1, n2;
	memset(&m1, 0, sizeof(m1));
	spec_of(k, &s1, &m1);
	if (obol_cbor_decode(buf, len, &s1.fields) != OBOL_OK)
		return;
	if (obol_cbor_encode(&s1.fields, enc1, sizeof(enc1), &n1) != OBOL_OK)
		abort();
	memset(&m2, 0, sizeof(m2));
	spec_of(k, &s2, &m2);
	if (obol_cbor_decode(enc1, n1, &s2.fields) != OBOL_OK ||
	    obol_cbor_encode(&s2.fields, enc2, sizeof(enc2), &n2) != OBOL_OK || n1 != n2 || memcmp(enc1, enc2, n1))
		abort();
}

static void json_body(const uint8_t *buf, size_t len)
{
	for (unsigned k = 0; k < NSPECS; k++) {
		struct coupon_spec s;
		memset(&m1, 0, sizeof(m1));
		spec_of(k, &s, &m1);
		(void)obol_json_decode_text((const char *)buf, len, &s.fields);
	}
}

static void keys_part(const uint8_t *buf, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb((const char *)buf, len, 0, &err);
	struct coupon_keys k;
	if (j && coupon_keys_parse(j, &k) == OBOL_OK)
		coupon_keys_free(&k);
	json_decref(j);
}

/* A session whose current coin's last token is H^40(seed), asking 3. */
static void vendor_token(const uint8_t *buf, size_t len)
{
	static struct coupon_vendor_session s;
	struct coupon_vendor_cfg cfg;
	struct coupon_token tok;
	struct coupon_spec spec;
	uint8_t seed[32] = { 7 }, last[32];
	size_t coin;
	memset(&cfg, 0, sizeof(cfg));
	memset(&s, 0, sizeof(s));
	s.deadline = 2000000000;
	s.state = COUPON_VS_ASKING;
	s.asked = 3;
	s.ncoins = 1;
	s.coins[0].last_index = 40;
	obol_hashchain_step(last, seed, 40);
	memcpy(s.coins[0].last_token, last, 32);
	if (obol_amount_parse("EUR:0.01", &s.coins[0].token_value) != OBOL_OK ||
	    obol_amount_zero("EUR", &s.paid) != OBOL_OK)
		abort();
	coupon_spec_token(&spec, &tok);
	if (obol_cbor_decode(buf, len, &spec.fields) != OBOL_OK)
		return;
	if (coupon_vendor_on_token(&cfg, &s, &tok, 1800000000, &coin) == OBOL_OK) {
		uint8_t h[32];
		if (tok.index >= 40 || 40 - tok.index > 3)
			abort();
		obol_hashchain_step(h, tok.token, 40 - tok.index);
		if (memcmp(h, last, 32) != 0)
			abort();
	}
}

static void sealed_boxes(const uint8_t *buf, size_t len)
{
	static struct obol_box_keypair kp;
	static int ready;
	/* Room for the largest of the three boxes; each opener reads its own length. */
	uint8_t box[COUPON_AUTH_LEN > COUPON_QUERY_LEN ? (COUPON_AUTH_LEN > COUPON_REFUND_LEN ? COUPON_AUTH_LEN : COUPON_REFUND_LEN)
						       : (COUPON_QUERY_LEN > COUPON_REFUND_LEN ? COUPON_QUERY_LEN : COUPON_REFUND_LEN)];
	struct coupon_auth a;
	struct coupon_query q;
	struct coupon_refund_auth r;
	if (!ready) {
		obol_box_keypair_new(&kp);
		ready = 1;
	}
	memset(box, 0, sizeof(box));
	memcpy(box, buf, len < sizeof(box) ? len : sizeof(box));
	if (coupon_auth_open(box, &kp, &a) == OBOL_OK || coupon_query_open(box, &kp, &q) == OBOL_OK ||
	    coupon_refund_open(box, &kp, &r) == OBOL_OK)
		abort();
}

static void refusal_detail(const uint8_t *buf, size_t len)
{
	char text[256], again[256];
	struct coupon_refusal r, back;
	memset(text, 0, sizeof(text));
	memcpy(text, buf, len < sizeof(text) - 1 ? len : sizeof(text) - 1);
	memset(&r, 0, sizeof(r));
	if (coupon_refusal_from_detail(text, &r) != OBOL_OK)
		return;
	/* The detail's form follows the refusal's code (only a refusal that
	 * names the coin's state carries its index and lock), so the round trip
	 * is taken under a code of the form just parsed. */
	r.code = strncmp(text, "sig=", 4) == 0 ? OBOL_E_COUPON_COIN_SIGNATURE : OBOL_E_COUPON_COIN_LOCKED;
	coupon_refusal_detail(&r, again, sizeof(again));
	memset(&back, 0, sizeof(back));
	if (coupon_refusal_from_detail(again, &back) != OBOL_OK || back.last_index != r.last_index ||
	    back.locked_until != r.locked_until || memcmp(back.issuer_sig, r.issuer_sig, sizeof(r.issuer_sig)) != 0)
		abort();
}

static void status_answer(const uint8_t *buf, size_t len)
{
	struct coupon_coin_status_reply r;
	struct coupon_coin_status st;
	uint8_t key[COUPON_REPLY_KEY_LEN] = { 1 };
	r.box_len = len < sizeof(r.box) ? len : sizeof(r.box);
	memcpy(r.box, buf, r.box_len);
	if (coupon_coin_status_open(&r, key, &st) == OBOL_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned k = data[0];
	const uint8_t *buf = data + 1;
	size_t len = size - 1;
	if (k < NSPECS)
		cbor_round_trip(k, buf, len);
	else if (k == 32)
		json_body(buf, len);
	else if (k == 33)
		keys_part(buf, len);
	else if (k == 34)
		vendor_token(buf, len);
	else if (k == 35)
		sealed_boxes(buf, len);
	else if (k == 36)
		refusal_detail(buf, len);
	else if (k == 37)
		status_answer(buf, len);
	return 0;
}
