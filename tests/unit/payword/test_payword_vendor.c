/* payword vendor checks, seed 003 §3.5 purchase steps 1-8 and DESIGN §7
 * signed ranges: the honest path and each refusal (issue 13 cases 6, 7). */
#include <stdlib.h>

#include "pw_fixture.h"

TEST(payword_vendor, every_purchase_carries_its_signed_range)
{
	struct pw_world w;
	struct payword_vendor_serial st;
	struct payword_claim cl;
	bool has = false;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_buy(&w, &w.va, &st, &has, "EUR:0.01", PW_NOW, &cl));
	CHECK(cl.range.from == 1 && cl.range.to == 1 && cl.range.vendor == PW_A && cl.range.serial == 1);
	CHECK_OK(payword_range_verify(&cl.range, &w.cert.vc));
	CHECK_EQ_INT(w.w.next, 2);
	/* the next purchase at the same vendor: its own range, checked against the token held */
	struct payword_wallet_pay_req r = pw_req(PW_A, "EUR:0.03", PW_NOW + 5);
	r.product = "image-7";
	struct payword_pay req;
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	CHECK(req.order == 4 && req.range.from == 2 && req.range.to == 4);
	struct payword_vendor_serial next;
	REQUIRE_OK(payword_vendor_purchase(&w.va, &w.crl, &st, &req, PW_NOW + 5, 99, &next, &cl));
	CHECK_EQ_INT(next.last_order, 4);
	CHECK(cl.range.from == 2 && cl.range.to == 4);
	CHECK_EQ_INT(cl.auth, 99);
	CHECK_EQ_STR(cl.product, "image-7");
}

TEST(payword_vendor, generic_chain_at_every_generic_vendor)
{
	struct pw_world w;
	struct payword_vendor_serial sa, sb;
	struct payword_claim cl;
	bool ha = false, hb = false;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_buy(&w, &w.va, &sa, &ha, "EUR:0.01", PW_NOW, &cl));     /* order 1 at A */
	REQUIRE_OK(pw_buy(&w, &w.vb, &sb, &hb, "EUR:0.02", PW_NOW + 1, &cl)); /* 2..3 at B, to the root */
	CHECK(cl.range.from == 2 && cl.range.to == 3 && cl.range.vendor == PW_B);
	REQUIRE_OK(pw_buy(&w, &w.va, &sa, &ha, "EUR:0.01", PW_NOW + 2, &cl)); /* 4 at A, past 2..3 */
	CHECK(cl.range.from == 4 && cl.range.to == 4);
	CHECK_EQ_INT(sa.last_order, 4);
	CHECK_EQ_INT(payword_wallet_unspent(&w.w), 6);
}

TEST(payword_vendor, specific_chain_refused_by_every_other_vendor)
{
	struct pw_world w;
	struct payword_vendor_serial st;
	struct payword_claim cl;
	bool has = false;
	REQUIRE_OK(pw_world_init(&w));
	/* a generic chain at a specific vendor */
	CHECK_ERR(pw_buy(&w, &w.vs, &st, &has, "EUR:0.01", PW_NOW, &cl), OBOL_E_PAYWORD_WRONG_VENDOR);
	/* a chain bound to S */
	REQUIRE_OK(pw_issue(&w, 2, PW_S, 10));
	CHECK_ERR(pw_buy(&w, &w.va, &st, &has, "EUR:0.01", PW_NOW, &cl), OBOL_E_PAYWORD_WRONG_VENDOR);
	struct payword_vendor_cfg s2 = w.vs;
	s2.vendor_id = 13;
	CHECK_ERR(pw_buy(&w, &s2, &st, &has, "EUR:0.01", PW_NOW + 1, &cl), OBOL_E_PAYWORD_WRONG_VENDOR);
	CHECK(!has);
	CHECK_OK(pw_buy(&w, &w.vs, &st, &has, "EUR:0.01", PW_NOW + 2, &cl));
	CHECK_EQ_INT(cl.vendor, PW_S);
}

/* Builds a fresh request from the wallet for refusal tests. */
static obol_err mkreq(struct pw_world *w, uint64_t vendor, const char *value, struct payword_pay *req)
{
	struct payword_wallet_pay_req r = pw_req(vendor, value, PW_NOW);
	payword_wallet_give_up(&w->w);
	return payword_wallet_pay(&w->w, w->user.sk, &r, req);
}

TEST(payword_vendor, certificate_checks)
{
	struct pw_world w;
	struct payword_pay req, r2;
	struct payword_vendor_serial next;
	struct payword_claim cl;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(mkreq(&w, PW_A, "EUR:0.01", &req));
	CHECK_OK(payword_vendor_purchase(&w.va, &w.crl, NULL, &req, PW_NOW, 1, &next, &cl));
	/* on the CRL */
	uint64_t *s = malloc(sizeof(uint64_t));
	struct payword_crl crl;
	REQUIRE(s != NULL);
	s[0] = 1;
	REQUIRE_OK(payword_agent_crl(s, 1, 1, PW_NOW, &w.agent_sg, &crl));
	CHECK_ERR(payword_vendor_purchase(&w.va, &crl, NULL, &req, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_REVOKED);
	free(crl.serials);
	/* a root the agent did not sign */
	r2 = req;
	r2.vc.root[0] ^= 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
	/* a certificate signed by someone else */
	struct obol_sign_keypair mallory;
	struct obol_ed25519_signer mallory_sg;
	obol_sign_keypair_new(&mallory);
	obol_ed25519_signer_local(&mallory_sg, &mallory);
	r2 = req;
	REQUIRE_OK(payword_vcert_sign(&r2.vc, &mallory_sg));
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
	/* serial or user name that do not match the certificate */
	r2 = req;
	r2.serial = 2;
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_MISMATCH);
	r2 = req;
	strcpy(r2.username, "bob");
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_MISMATCH);
	/* expired (with a CRL fresh at that time) */
	struct payword_crl later;
	uint64_t buf[1];
	REQUIRE_OK(payword_agent_crl(buf, 0, 2, PW_NOW + 86401, &w.agent_sg, &later));
	CHECK_ERR(payword_vendor_purchase(&w.va, &later, NULL, &req, PW_NOW + 86401, 1, &next, &cl),
		  OBOL_E_PAYWORD_CERT_EXPIRED);
}

/* Case 6: no sale before the first CRL, nor with one older than the bound
 * the vendor states. */
TEST(payword_vendor, no_sale_without_a_fresh_crl)
{
	struct pw_world w;
	struct payword_pay req;
	struct payword_vendor_serial next;
	struct payword_claim cl;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(mkreq(&w, PW_A, "EUR:0.01", &req));
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &req, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CRL_STALE);
	CHECK_ERR(payword_vendor_crl_fresh(&w.va, NULL, PW_NOW), OBOL_E_PAYWORD_CRL_STALE);
	CHECK_OK(payword_vendor_crl_fresh(&w.va, &w.crl, PW_NOW + 60));
	CHECK_ERR(payword_vendor_crl_fresh(&w.va, &w.crl, PW_NOW + 61), OBOL_E_PAYWORD_CRL_STALE);
	CHECK_OK(payword_vendor_purchase(&w.va, &w.crl, NULL, &req, PW_NOW + 60, 1, &next, &cl));
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &req, PW_NOW + 61, 1, &next, &cl),
		  OBOL_E_PAYWORD_CRL_STALE);
	struct payword_vendor_cfg patient = w.va;
	patient.crl_max_age = 3600;
	CHECK_OK(payword_vendor_purchase(&patient, &w.crl, NULL, &req, PW_NOW + 61, 1, &next, &cl));
}

/* Case 7: the seed alone spends nothing. Whoever holds the chain's seed (it
 * left the agent with the certificate) but not the user's key cannot make a
 * range the vendor accepts, inside a visit or not. */
TEST(payword_vendor, the_seed_alone_spends_nothing)
{
	struct pw_world w;
	struct payword_vendor_serial st, next;
	struct payword_claim cl;
	struct obol_sign_keypair mallory;
	bool has = false;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_buy(&w, &w.va, &st, &has, "EUR:0.01", PW_NOW, &cl));
	struct payword_pay req;
	memset(&req, 0, sizeof(req));
	req.vc = w.cert.vc;
	req.serial = 1;
	strcpy(req.username, "alice");
	req.order = 3;
	REQUIRE_OK(payword_chain_token(&w.cert.vc, w.w.uc.seed, 3, req.token));
	strcpy(req.product, "article-1");
	req.value = pw_eur("EUR:0.02");
	req.range = (struct payword_range){ .serial = 1, .vendor = PW_A, .from = 2, .to = 3 };
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, &st, &req, PW_NOW + 1, 7, &next, &cl),
		  OBOL_E_PAYWORD_RANGE_INVALID);
	obol_sign_keypair_new(&mallory);
	payword_range_sign(&req.range, mallory.sk);
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, &st, &req, PW_NOW + 1, 7, &next, &cl),
		  OBOL_E_PAYWORD_RANGE_INVALID);
	/* the user's signature makes it a purchase */
	payword_range_sign(&req.range, w.user.sk);
	CHECK_OK(payword_vendor_purchase(&w.va, &w.crl, &st, &req, PW_NOW + 1, 7, &next, &cl));
}

TEST(payword_vendor, range_checks)
{
	struct pw_world w;
	struct payword_pay req, r2;
	struct payword_vendor_serial st, next;
	struct payword_claim cl;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(mkreq(&w, PW_A, "EUR:0.02", &req));
	/* a range signed for another vendor, presented here */
	CHECK_ERR(payword_vendor_purchase(&w.vb, &w.crl, NULL, &req, PW_NOW, 1, &next, &cl),
		  OBOL_E_PAYWORD_RANGE_INVALID);
	/* a forged signature */
	r2 = req;
	r2.range.sig[5] ^= 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl),
		  OBOL_E_PAYWORD_RANGE_INVALID);
	/* a range that is not the tokens paid */
	r2 = req;
	r2.range.from = 2;
	payword_range_sign(&r2.range, w.user.sk);
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl),
		  OBOL_E_PAYWORD_VALUE_MISMATCH);
	r2 = req;
	r2.range.to = 1;
	payword_range_sign(&r2.range, w.user.sk);
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl),
		  OBOL_E_PAYWORD_RANGE_INVALID);
	/* honest */
	REQUIRE_OK(payword_vendor_purchase(&w.va, &w.crl, NULL, &req, PW_NOW, 1, &st, &cl));
	/* a new range starting at or below an order already spent here */
	r2 = req;
	r2.order = 3;
	r2.value = pw_eur("EUR:0.02");
	r2.range.from = 2;
	r2.range.to = 3;
	payword_range_sign(&r2.range, w.user.sk);
	REQUIRE_OK(payword_chain_token(&w.cert.vc, w.w.uc.seed, 3, r2.token));
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, &st, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_TOKEN_REUSED);
	r2.range.from = 3;
	r2.value = pw_eur("EUR:0.01");
	payword_range_sign(&r2.range, w.user.sk);
	CHECK_OK(payword_vendor_purchase(&w.va, &w.crl, &st, &r2, PW_NOW, 1, &next, &cl));
}

TEST(payword_vendor, token_value_and_order_checks)
{
	struct pw_world w;
	struct payword_pay req, r2;
	struct payword_vendor_serial st, next;
	struct payword_claim cl;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(mkreq(&w, PW_A, "EUR:0.02", &req));
	/* a token that is not the chain's */
	r2 = req;
	r2.token[0] ^= 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_TOKEN_INVALID);
	/* value and range disagree */
	r2 = req;
	r2.value = pw_eur("EUR:0.03");
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_VALUE_MISMATCH);
	r2.value = pw_eur("EUR:0.015");
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_VALUE_MISMATCH);
	r2.value = pw_eur("USD:0.02");
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_TOKEN_VALUE);
	/* honest, then the same tokens again: refused, a retry matches */
	REQUIRE_OK(payword_vendor_purchase(&w.va, &w.crl, NULL, &req, PW_NOW, 77, &st, &cl));
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, &st, &req, PW_NOW, 78, &next, &cl), OBOL_E_PAYWORD_TOKEN_REUSED);
	struct payword_vendor_sale sale;
	payword_vendor_sale_from(&req, 77, &sale);
	CHECK_OK(payword_vendor_match_retry(&sale, &req));
	CHECK(memcmp(sale.user_pk, w.user.pk, 32) == 0);
	r2 = req;
	strcpy(r2.product, "other");
	CHECK_ERR(payword_vendor_match_retry(&sale, &r2), OBOL_E_PAYWORD_TOKEN_REUSED);
	r2 = req;
	r2.token[3] ^= 1;
	CHECK_ERR(payword_vendor_match_retry(&sale, &r2), OBOL_E_PAYWORD_TOKEN_REUSED);
	r2 = req;
	r2.range.sig[3] ^= 1;
	CHECK_ERR(payword_vendor_match_retry(&sale, &r2), OBOL_E_PAYWORD_TOKEN_REUSED);
	/* beyond the chain's end */
	r2 = req;
	r2.order = 11;
	r2.value = pw_eur("EUR:0.09");
	r2.range.from = 3;
	r2.range.to = 11;
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, &st, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_ORDER_RANGE);
}

TEST(payword_vendor, reports_due_at_once_or_at_the_batch_tick)
{
	CHECK_EQ_INT(payword_vendor_report_due(PAYWORD_REPORT_ONLINE, 5, 1003), 1003);
	CHECK_EQ_INT(payword_vendor_report_due(PAYWORD_REPORT_BATCH, 5, 1003), 1005);
	CHECK_EQ_INT(payword_vendor_report_due(PAYWORD_REPORT_BATCH, 5, 1005), 1010);
	CHECK_EQ_INT(payword_vendor_report_due(PAYWORD_REPORT_BATCH, 60, 1003), 1020);
}

TEST(payword_vendor, agent_signature_verified_once_per_certificate)
{
	struct pw_world w;
	struct payword_vendor_serial st, next;
	struct payword_claim cl;
	struct payword_pay req, forged;
	bool has = false;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_buy(&w, &w.va, &st, &has, "EUR:0.01", PW_NOW, &cl));
	CHECK(st.has_vcert);
	struct payword_wallet_pay_req r = pw_req(PW_A, "EUR:0.01", PW_NOW);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	/* the same certificate: accepted on its hash */
	CHECK_OK(payword_vendor_purchase(&w.va, &w.crl, &st, &req, PW_NOW, 2, &next, &cl));
	/* other bytes (a changed expiry, a changed root) are verified, and fail */
	forged = req;
	forged.vc.not_after += 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, &st, &forged, PW_NOW, 2, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
	forged = req;
	forged.vc.root[0] ^= 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, &st, &forged, PW_NOW, 2, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
	/* a stored hash of other bytes does not vouch for this certificate */
	struct payword_vendor_serial bad = st;
	bad.vcert_hash[0] ^= 1;
	forged = req;
	forged.vc.first_order = 2;
	CHECK_ERR(payword_vendor_purchase(&w.va, &w.crl, &bad, &forged, PW_NOW, 2, &next, &cl),
		  OBOL_E_PAYWORD_CERT_INVALID);
}

/* Case 10: the product page answers the buyer's signed request only. */
TEST(payword_vendor, an_authorisation_number_is_worth_nothing_to_anyone_else)
{
	struct pw_world w;
	struct payword_pay req;
	struct payword_vendor_sale sale;
	struct obol_sign_keypair mallory;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(mkreq(&w, PW_A, "EUR:0.01", &req));
	payword_vendor_sale_from(&req, 4242, &sale);
	struct payword_fetch f = { .vendor = PW_A, .auth = 4242, .time = PW_NOW };
	strcpy(f.product, "article-1");
	REQUIRE_OK(payword_fetch_sign(&f, w.user.sk));
	CHECK_OK(payword_vendor_fetch_check(&w.va, &sale, &f, PW_NOW + 10));
	/* the buyer, again, later: a fresh request */
	CHECK_ERR(payword_vendor_fetch_check(&w.va, &sale, &f, PW_NOW + PAYWORD_FETCH_WINDOW + 1),
		  OBOL_E_PAYWORD_AUTH_INVALID);
	f.time = PW_NOW + 3600;
	REQUIRE_OK(payword_fetch_sign(&f, w.user.sk));
	CHECK_OK(payword_vendor_fetch_check(&w.va, &sale, &f, PW_NOW + 3600));
	/* someone who learned the number */
	obol_sign_keypair_new(&mallory);
	REQUIRE_OK(payword_fetch_sign(&f, mallory.sk));
	CHECK_ERR(payword_vendor_fetch_check(&w.va, &sale, &f, PW_NOW + 3600), OBOL_E_PAYWORD_AUTH_INVALID);
	/* another product, another vendor, another number */
	struct payword_fetch g = f;
	strcpy(g.product, "image-1");
	REQUIRE_OK(payword_fetch_sign(&g, w.user.sk));
	CHECK_ERR(payword_vendor_fetch_check(&w.va, &sale, &g, PW_NOW + 3600), OBOL_E_PAYWORD_AUTH_INVALID);
	g = f;
	REQUIRE_OK(payword_fetch_sign(&g, w.user.sk));
	CHECK_ERR(payword_vendor_fetch_check(&w.vb, &sale, &g, PW_NOW + 3600), OBOL_E_PAYWORD_AUTH_INVALID);
	g.auth = 4243;
	REQUIRE_OK(payword_fetch_sign(&g, w.user.sk));
	CHECK_ERR(payword_vendor_fetch_check(&w.va, &sale, &g, PW_NOW + 3600), OBOL_E_PAYWORD_AUTH_INVALID);
}
