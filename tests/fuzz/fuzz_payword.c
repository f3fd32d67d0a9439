/* libFuzzer target: the payword parsers (src/schemes/payword/cert.c,
 * wire.c) and the vendor's purchase check.
 *
 * Input starting with "OPW": a vendor or user certificate; whatever decodes
 * re-encodes to the same bytes (one encoding per certificate). Otherwise the
 * first byte chooses what the rest is fed to:
 *   0  the PAY frame body (CBOR): what decodes re-encodes and decodes to the
 *      same bytes, and the request rebuilt from it keeps its range's ends
 *      (serial, from .. order, this vendor)
 *   1  the issuer API bodies as JSON text: report, its reply, register,
 *      vendor register, buy (with a signed position), its reply, cert, CRL
 *   2  a PAY for a vendor holding order 40 of a chain of a fixed certificate
 *      and a fresh CRL: whatever the core accepts pays exactly the range it
 *      carries, above order 40, with a token that hashes to the one held */
#include <stdlib.h>
#include <string.h>

#include "schemes/payword/agent.h"
#include "schemes/payword/vendor.h"
#include "schemes/payword/wire.h"
#include "wire/cbor.h"
#include "wire/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void certificates(const uint8_t *data, size_t size)
{
	struct payword_vcert vc;
	struct payword_ucert uc;
	uint8_t out[PAYWORD_UCERT_MAX];
	size_t n = 0;
	if (payword_vcert_decode(data, size, &vc) == OBOL_OK) {
		if (payword_vcert_encode(&vc, out, &n) != OBOL_OK || n != size || memcmp(out, data, n) != 0)
			abort();
	}
	if (payword_ucert_decode(data, size, &uc) == OBOL_OK) {
		if (payword_ucert_encode(&uc, out, &n) != OBOL_OK || n != size || memcmp(out, data, n) != 0)
			abort();
	}
}

static uint8_t enc1[OBOL_FRAME_MAX], enc2[OBOL_FRAME_MAX];

static void pay_frame(const uint8_t *buf, size_t len)
{
	static struct payword_pay_wire w1, w2;
	struct payword_pay_spec s1, s2;
	struct payword_pay req;
	size_t n1, n2;
	memset(&w1, 0, sizeof(w1));
	payword_pay_spec_init(&s1, &w1);
	if (obol_cbor_decode(buf, len, &s1.spec) != OBOL_OK)
		return;
	if (obol_cbor_encode(&s1.spec, enc1, sizeof(enc1), &n1) != OBOL_OK)
		abort();
	memset(&w2, 0, sizeof(w2));
	payword_pay_spec_init(&s2, &w2);
	if (obol_cbor_decode(enc1, n1, &s2.spec) != OBOL_OK ||
	    obol_cbor_encode(&s2.spec, enc2, sizeof(enc2), &n2) != OBOL_OK || n1 != n2 || memcmp(enc1, enc2, n1))
		abort();
	if (payword_pay_from_wire(&w1, 10, &req) == OBOL_OK &&
	    (req.range.serial != req.serial || req.range.to != req.order || req.range.vendor != 10 ||
	     req.range.from != w1.range_from))
		abort();
}

static void json_bodies(const uint8_t *buf, size_t len)
{
	static struct payword_claim_wire claim;
	static struct payword_report_reply reply;
	static struct payword_register_wire reg;
	static struct payword_vendor_register_wire vreg;
	static struct payword_buy_wire buy;
	static struct payword_buy_reply buy_reply;
	static struct payword_cert_wire cert;
	static uint64_t serials[64];
	struct payword_crl_wire crl = { .serials = serials, .cap = 64 };
	struct payword_claim_spec cs;
	struct payword_report_reply_spec rs;
	struct payword_register_spec gs;
	struct payword_vendor_register_spec vs;
	struct payword_buy_spec bs;
	struct payword_buy_reply_spec brs;
	struct payword_cert_spec ts;
	struct payword_crl_spec ls;
	const char *t = (const char *)buf;
	payword_claim_spec_init(&cs, &claim);
	payword_report_reply_spec_init(&rs, &reply);
	payword_register_spec_init(&gs, &reg);
	payword_vendor_register_spec_init(&vs, &vreg);
	payword_buy_spec_init(&bs, &buy);
	payword_buy_reply_spec_init(&brs, &buy_reply);
	payword_cert_reply_spec_init(&ts, &cert);
	payword_crl_spec_init(&ls, &crl);
	const struct obol_fields *specs[] = { &cs.spec, &rs.spec, &gs.spec, &vs.spec, &bs.spec, &brs.spec, &ts.spec, &ls.spec };
	unsigned decoded = 0;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (obol_json_decode_text(t, len, specs[i]) == OBOL_OK)
			decoded++;
	if (crl.count > crl.cap || decoded > sizeof(specs) / sizeof(specs[0]))
		abort();
}

/* A vendor (id 10) that holds order 40 of a fixed chain, with a fresh CRL. */
static void purchase(const uint8_t *buf, size_t len)
{
	static struct payword_pay_wire w;
	static struct payword_vendor_cfg cfg;
	static struct payword_vendor_serial st;
	static struct payword_vcert vc;
	static struct payword_crl crl;
	static uint64_t none[1];
	static uint8_t seed[32] = { 3 };
	static int ready;
	struct payword_pay_spec spec;
	struct payword_pay req;
	struct payword_vendor_serial next;
	struct payword_claim claim;
	uint64_t m;
	if (!ready) {
		struct obol_sign_keypair agent;
		obol_sign_keypair_new(&agent);
		memset(&vc, 0, sizeof(vc));
		vc.serial = 1;
		vc.first_order = 1;
		vc.n = 100;
		vc.not_after = INT64_MAX;
		strcpy(vc.username, "alice");
		if (obol_amount_parse("EUR:0.01", &vc.token_value) != OBOL_OK)
			abort();
		obol_hashchain_step(vc.root, seed, vc.n);
		struct obol_ed25519_signer sg;
		obol_ed25519_signer_local(&sg, &agent);
		if (payword_vcert_sign(&vc, &sg) != OBOL_OK || payword_agent_crl(none, 0, 1, 0, &sg, &crl) != OBOL_OK)
			abort();
		cfg.vendor_id = 10;
		cfg.mode = PAYWORD_MODE_GENERIC;
		cfg.crl_max_age = INT64_MAX / 2;
		memcpy(cfg.agent_pk, agent.pk, 32);
		st.serial = 1;
		st.has_token = true;
		st.last_order = 40;
		obol_hashchain_step(st.last_token, seed, vc.n - 40);
		ready = 1;
	}
	memset(&w, 0, sizeof(w));
	payword_pay_spec_init(&spec, &w);
	if (obol_cbor_decode(buf, len, &spec.spec) != OBOL_OK || payword_pay_from_wire(&w, 10, &req) != OBOL_OK)
		return;
	if (payword_vendor_purchase(&cfg, &crl, &st, &req, 1, 7, &next, &claim) != OBOL_OK)
		return;
	uint8_t h[32];
	if (claim.range.to != req.order || claim.range.from <= 40 || claim.range.from > claim.range.to ||
	    obol_amount_count_exact(&claim.value, &vc.token_value, &m) != OBOL_OK ||
	    m != claim.range.to - claim.range.from + 1)
		abort();
	obol_hashchain_step(h, claim.token, claim.range.to - 40);
	if (memcmp(h, st.last_token, 32) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 3 && memcmp(data, "OPW", 3) == 0) {
		certificates(data, size);
		return 0;
	}
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: pay_frame(data + 1, size - 1); break;
	case 1: json_bodies(data + 1, size - 1); break;
	default: purchase(data + 1, size - 1); break;
	}
	return 0;
}
