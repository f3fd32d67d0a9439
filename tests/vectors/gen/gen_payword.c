/* Vectors of the payword scheme (src/schemes/payword/cert.c): the vendor
 * certificate (its encoding is the signed body then the 64-byte signature),
 * the user certificate that carries it, the user's range, position and
 * product request, the revocation list, and a token of a chain against its
 * signed root. */
#include <stdio.h>
#include <string.h>

#include "core/amount.h"
#include "crypto/hash.h"
#include "schemes/payword/messages.h"
#include "vg.h"

#define T0 INT64_C(1767225600) /* 2026-01-01T00:00:00Z */

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void vg_payword(struct vg *g)
{
	struct obol_sign_keypair agent, user;
	struct obol_ed25519_signer agent_sg;
	struct payword_vcert vc;
	struct payword_ucert uc;
	struct payword_range rg;
	struct payword_position ps;
	struct payword_fetch ft;
	struct payword_crl crl;
	uint64_t serials[3] = { 3, 17, 1025 };
	uint8_t seed[PAYWORD_TOKEN_LEN], root[PAYWORD_TOKEN_LEN], tok[PAYWORD_TOKEN_LEN];
	uint8_t enc[PAYWORD_UCERT_MAX], body[PAYWORD_RANGE_BODY_LEN], crlb[4 + 24 + 8 * 3];
	size_t len = 0;
	char amt[OBOL_AMOUNT_STR_MAX];

	vg_key_ed25519(g, "agent", &agent);
	obol_ed25519_signer_local(&agent_sg, &agent);
	vg_key_ed25519(g, "user", &user);

	memset(&vc, 0, sizeof vc);
	vc.serial = 1001;
	vc.scope = PAYWORD_GENERIC;
	vc.first_order = 1;
	vc.n = 8;
	VG_OK(g, obol_amount_parse("EUR:0.01", &vc.token_value));
	vg_fixed("payword chain seed", seed);
	memcpy(root, seed, sizeof root);
	obol_hashchain_step(root, root, vc.n); /* w_n = H^n(seed) */
	memcpy(vc.root, root, sizeof root);
	memcpy(vc.user_pk, user.pk, OBOL_SIGN_PK_LEN);
	vc.issued = T0;
	vc.not_after = T0 + 30 * 86400;
	snprintf(vc.username, sizeof vc.username, "alice");
	VG_OK(g, payword_vcert_sign(&vc, &agent_sg));
	VG_OK(g, payword_vcert_encode(&vc, enc, &len));
	obol_amount_format(&vc.token_value, amt);
	vg_begin(g, "payword-vendor-certificate", "payword vendor certificate");
	vg_in_uint(g, "serial", vc.serial);
	vg_in_uint(g, "scope", vc.scope);
	vg_in_uint(g, "first_order", vc.first_order);
	vg_in_uint(g, "n", vc.n);
	vg_in_text(g, "token_value", amt);
	vg_in_hex(g, "root", vc.root, sizeof vc.root);
	vg_in_hex(g, "user_pk", vc.user_pk, OBOL_SIGN_PK_LEN);
	vg_in_int(g, "issued", vc.issued);
	vg_in_int(g, "not_after", vc.not_after);
	vg_in_text(g, "username", vc.username);
	vg_out_hex(g, "encoded", enc, len);
	if (len > OBOL_SIGN_LEN) {
		vg_out_hex(g, "signed_bytes", enc, len - OBOL_SIGN_LEN);
		vg_sig_ed25519(g, "agent", PAYWORD_CTX_VCERT, enc, len - OBOL_SIGN_LEN, vc.sig);
	}
	{
		uint8_t hv[OBOL_HASH_LEN];
		obol_sha256(hv, enc, len); /* what a vendor keeps to skip re-verifying */
		vg_out_hex(g, "hash", hv, sizeof hv);
	}
	vg_end(g);

	memset(&uc, 0, sizeof uc);
	uc.vc = vc;
	memcpy(uc.seed, seed, sizeof seed);
	VG_OK(g, payword_ucert_encode(&uc, enc, &len));
	vg_begin(g, "payword-user-certificate", "payword user certificate");
	vg_in_hex(g, "vendor_certificate", enc + 4, len - 4 - PAYWORD_TOKEN_LEN);
	vg_in_hex(g, "seed", seed, sizeof seed);
	vg_out_hex(g, "encoded", enc, len);
	vg_end(g);

	/* The range a purchase signs: orders from..to at one vendor. */
	memset(&rg, 0, sizeof rg);
	rg.serial = vc.serial;
	rg.vendor = 12;
	rg.from = 3;
	rg.to = 5;
	payword_range_sign(&rg, user.sk);
	memcpy(body, "OPWS", 4);
	be64(body + 4, rg.serial);
	be64(body + 12, rg.vendor);
	be64(body + 20, rg.from);
	be64(body + 28, rg.to);
	vg_begin(g, "payword-range", "payword range");
	vg_in_uint(g, "serial", rg.serial);
	vg_in_uint(g, "vendor", rg.vendor);
	vg_in_uint(g, "from", rg.from);
	vg_in_uint(g, "to", rg.to);
	vg_out_hex(g, "signed_bytes", body, PAYWORD_RANGE_BODY_LEN);
	vg_sig_ed25519(g, "user", PAYWORD_CTX_RANGE, body, PAYWORD_RANGE_BODY_LEN, rg.sig);
	vg_end(g);

	/* The user's position when a purchase supersedes the certificate. */
	memset(&ps, 0, sizeof ps);
	ps.serial = vc.serial;
	ps.next = 6;
	payword_position_sign(&ps, user.sk);
	memcpy(body, "OPWP", 4);
	be64(body + 4, ps.serial);
	be64(body + 12, ps.next);
	vg_begin(g, "payword-position", "payword position");
	vg_in_uint(g, "serial", ps.serial);
	vg_in_uint(g, "next", ps.next);
	vg_out_hex(g, "signed_bytes", body, PAYWORD_POSITION_BODY_LEN);
	vg_sig_ed25519(g, "user", PAYWORD_CTX_POSITION, body, PAYWORD_POSITION_BODY_LEN, ps.sig);
	vg_end(g);

	/* The product request that makes an authorisation number the buyer's. */
	{
		uint8_t fb[PAYWORD_FETCH_BODY_MAX];
		size_t plen;
		memset(&ft, 0, sizeof ft);
		ft.vendor = 12;
		ft.auth = 4242;
		ft.time = T0 + 660;
		snprintf(ft.product, sizeof ft.product, "article-17");
		VG_OK(g, payword_fetch_sign(&ft, user.sk));
		plen = strlen(ft.product);
		memcpy(fb, "OPWF", 4);
		be64(fb + 4, ft.vendor);
		be64(fb + 12, (uint64_t)ft.auth);
		be64(fb + 20, (uint64_t)ft.time);
		fb[28] = (uint8_t)plen;
		memcpy(fb + 29, ft.product, plen);
		vg_begin(g, "payword-fetch", "payword product request");
		vg_in_uint(g, "vendor", ft.vendor);
		vg_in_int(g, "auth", ft.auth);
		vg_in_int(g, "time", ft.time);
		vg_in_text(g, "product", ft.product);
		vg_out_hex(g, "signed_bytes", fb, 29 + plen);
		vg_sig_ed25519(g, "user", PAYWORD_CTX_FETCH, fb, 29 + plen, ft.sig);
		vg_end(g);
	}

	memset(&crl, 0, sizeof crl);
	crl.seq = 4;
	crl.issued = T0 + 86400;
	crl.count = 3;
	crl.serials = serials;
	VG_OK(g, payword_crl_sign(&crl, &agent_sg));
	/* The list's signed bytes are not exported: written here after the
	 * layout, and vg_sig_ed25519 checks the code's signature covers them. */
	memcpy(crlb, "OPWR", 4);
	be64(crlb + 4, crl.seq);
	be64(crlb + 12, (uint64_t)crl.issued);
	be64(crlb + 20, crl.count);
	for (size_t i = 0; i < crl.count; i++)
		be64(crlb + 28 + 8 * i, serials[i]);
	vg_begin(g, "payword-revocation-list", "payword revocation list");
	vg_in_uint(g, "seq", crl.seq);
	vg_in_int(g, "issued", crl.issued);
	{
		json_t *a = json_array();
		for (size_t i = 0; i < crl.count; i++)
			json_array_append_new(a, json_integer((json_int_t)serials[i]));
		vg_in_json(g, "serials", a);
	}
	vg_out_hex(g, "signed_bytes", crlb, sizeof crlb);
	vg_sig_ed25519(g, "agent", PAYWORD_CTX_CRL, crlb, sizeof crlb, crl.sig);
	vg_end(g);

	/* A page of the revocation list (GET /payword/crl/page): a delta since
	 * T0, serials after 2 through 2000. */
	{
		struct payword_crl_page pg = { .issued = T0 + 86400, .since = T0, .after = 2, .through = 2000,
					       .count = 3, .serials = serials };
		uint8_t pb[4 + 5 * 8 + 3 * 8];
		VG_OK(g, payword_crl_page_sign(&pg, &agent_sg));
		memcpy(pb, "OPWL", 4);
		be64(pb + 4, (uint64_t)pg.issued);
		be64(pb + 12, (uint64_t)pg.since);
		be64(pb + 20, pg.after);
		be64(pb + 28, pg.through);
		be64(pb + 36, pg.count);
		for (size_t i = 0; i < pg.count; i++)
			be64(pb + 44 + 8 * i, serials[i]);
		vg_begin(g, "payword-revocation-list-page", "payword revocation list page");
		vg_in_int(g, "issued", pg.issued);
		vg_in_int(g, "since", pg.since);
		vg_in_uint(g, "after", pg.after);
		vg_in_uint(g, "through", pg.through);
		json_t *a = json_array();
		for (size_t i = 0; i < pg.count; i++)
			json_array_append_new(a, json_integer((json_int_t)serials[i]));
		vg_in_json(g, "serials", a);
		vg_out_hex(g, "signed_bytes", pb, sizeof pb);
		vg_sig_ed25519(g, "agent", PAYWORD_CTX_CRL_PAGE, pb, sizeof pb, pg.sig);
		vg_end(g);
	}

	/* The token of order 3 against the signed root: H^(order - k0 + 1)(w) = root. */
	VG_OK(g, payword_chain_token(&vc, seed, 3, tok));
	VG_OK(g, payword_token_check(&vc, 3, tok, NULL, 0));
	vg_begin(g, "payword-token", "payword token");
	vg_in_hex(g, "seed", seed, sizeof seed);
	vg_in_uint(g, "first_order", vc.first_order);
	vg_in_uint(g, "n", vc.n);
	vg_in_uint(g, "order", 3);
	vg_out_hex(g, "token", tok, sizeof tok);
	vg_out_hex(g, "root", root, sizeof root);
	vg_end(g);
}
