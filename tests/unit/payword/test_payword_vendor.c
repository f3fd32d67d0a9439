/* payword vendor checks, seed 003 §3.5 purchase steps 1-8 and DESIGN §7
 * visits: the honest path and each refusal. */
#include <stdlib.h>

#include "pw_fixture.h"

TEST(payword_vendor, honest_visit_then_hash_only_purchases)
{
	struct pw_world w;
	struct payword_vendor_serial st;
	struct payword_claim cl;
	bool has = false;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_buy(&w, &w.va, &st, &has, "EUR:0.01", PW_NOW, &cl));
	CHECK_EQ_INT(cl.order, 1);
	CHECK_EQ_INT(cl.commit.start, 1);
	CHECK_EQ_INT(cl.vendor, PW_A);
	CHECK_EQ_INT(w.w.next, 2);
	CHECK(w.w.visit_open);
	/* inside the visit: no commitment, checked against the token held */
	struct obol_amount v3 = pw_eur("EUR:0.03");
	struct payword_pay req;
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, PW_A, &v3, "image-7", PW_NOW + 5, &req));
	CHECK(!req.has_commit);
	CHECK_EQ_INT(req.order, 4);
	struct payword_vendor_serial next;
	REQUIRE_OK(payword_vendor_purchase(&w.va, NULL, &st, &req, PW_NOW + 5, 99, &next, &cl));
	CHECK_EQ_INT(next.last_order, 4);
	CHECK_EQ_INT(cl.commit.start, 1);
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
	REQUIRE_OK(pw_buy(&w, &w.va, &sa, &ha, "EUR:0.01", PW_NOW, &cl));        /* order 1 at A */
	REQUIRE_OK(pw_buy(&w, &w.vb, &sb, &hb, "EUR:0.02", PW_NOW + 1, &cl));    /* 2..3 at B, to the root */
	CHECK_EQ_INT(cl.order, 3);
	CHECK_EQ_INT(cl.commit.start, 2);
	REQUIRE_OK(pw_buy(&w, &w.va, &sa, &ha, "EUR:0.01", PW_NOW + 2, &cl));    /* 4 at A, new visit */
	CHECK_EQ_INT(cl.commit.start, 4);
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
	struct obol_amount v = pw_eur(value);
	payword_wallet_give_up(&w->w);
	return payword_wallet_pay(&w->w, w->user.sk, vendor, &v, "article-1", PW_NOW, req);
}

TEST(payword_vendor, certificate_checks)
{
	struct pw_world w;
	struct payword_pay req, r2;
	struct payword_vendor_serial next;
	struct payword_claim cl;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(mkreq(&w, PW_A, "EUR:0.01", &req));
	CHECK_OK(payword_vendor_purchase(&w.va, NULL, NULL, &req, PW_NOW, 1, &next, &cl));
	/* on the CRL */
	uint64_t *s = malloc(sizeof(uint64_t));
	struct payword_crl crl;
	REQUIRE(s != NULL);
	s[0] = 1;
	REQUIRE_OK(payword_agent_crl(s, 1, 1, PW_NOW, w.agent.sk, &crl));
	CHECK_ERR(payword_vendor_purchase(&w.va, &crl, NULL, &req, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_REVOKED);
	free(crl.serials);
	/* a root the agent did not sign */
	r2 = req;
	r2.vc.root[0] ^= 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
	/* a certificate signed by someone else */
	struct obol_sign_keypair mallory;
	obol_sign_keypair_new(&mallory);
	r2 = req;
	REQUIRE_OK(payword_vcert_sign(&r2.vc, mallory.sk));
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
	/* serial or user name that do not match the certificate */
	r2 = req;
	r2.serial = 2;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_MISMATCH);
	r2 = req;
	strcpy(r2.username, "bob");
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_CERT_MISMATCH);
	/* expired */
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &req, PW_NOW + 86401, 1, &next, &cl),
		  OBOL_E_PAYWORD_CERT_EXPIRED);
}

TEST(payword_vendor, visit_commitment_checks)
{
	struct pw_world w;
	struct payword_pay req, r2;
	struct payword_vendor_serial st, next;
	struct payword_claim cl;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(mkreq(&w, PW_A, "EUR:0.01", &req));
	/* no commitment and no open visit */
	r2 = req;
	r2.has_commit = false;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_NO_COMMITMENT);
	/* a commitment to another vendor, presented here */
	CHECK_ERR(payword_vendor_purchase(&w.vb, NULL, NULL, &req, PW_NOW, 1, &next, &cl),
		  OBOL_E_PAYWORD_COMMITMENT_INVALID);
	/* a forged commitment signature */
	r2 = req;
	r2.commit.sig[5] ^= 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl),
		  OBOL_E_PAYWORD_COMMITMENT_INVALID);
	/* a stale or future-dated commitment */
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &req, PW_NOW + PAYWORD_COMMIT_WINDOW + 1, 1, &next, &cl),
		  OBOL_E_PAYWORD_COMMITMENT_STALE);
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &req, PW_NOW - PAYWORD_COMMIT_WINDOW - 1, 1, &next, &cl),
		  OBOL_E_PAYWORD_COMMITMENT_STALE);
	/* honest */
	REQUIRE_OK(payword_vendor_purchase(&w.va, NULL, NULL, &req, PW_NOW, 1, &st, &cl));
	/* a new visit starting at or below an order already spent here */
	struct payword_commit c = { .serial = 1, .vendor = PW_A, .start = 1, .time = PW_NOW + 10 };
	payword_commit_sign(&c, w.user.sk);
	r2 = req;
	r2.commit = c;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, &st, &r2, PW_NOW + 10, 1, &next, &cl),
		  OBOL_E_PAYWORD_COMMITMENT_OVERLAP);
	/* a new visit whose time is not after the open one */
	c.start = 2;
	c.time = PW_NOW;
	payword_commit_sign(&c, w.user.sk);
	r2.commit = c;
	r2.order = 2;
	REQUIRE_OK(payword_chain_token(&w.cert.vc, w.w.uc.seed, 2, r2.token));
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, &st, &r2, PW_NOW + 10, 1, &next, &cl),
		  OBOL_E_PAYWORD_COMMITMENT_STALE);
	c.time = PW_NOW + 10;
	payword_commit_sign(&c, w.user.sk);
	r2.commit = c;
	CHECK_OK(payword_vendor_purchase(&w.va, NULL, &st, &r2, PW_NOW + 10, 1, &next, &cl));
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
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_TOKEN_INVALID);
	/* value and order disagree: 2 tokens claimed, 3 sent */
	r2 = req;
	r2.value = pw_eur("EUR:0.03");
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_VALUE_MISMATCH);
	r2.value = pw_eur("EUR:0.015");
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_VALUE_MISMATCH);
	r2.value = pw_eur("USD:0.02");
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, NULL, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_TOKEN_VALUE);
	/* honest, then the same tokens again: refused, a retry matches */
	REQUIRE_OK(payword_vendor_purchase(&w.va, NULL, NULL, &req, PW_NOW, 77, &st, &cl));
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, &st, &req, PW_NOW, 78, &next, &cl), OBOL_E_PAYWORD_TOKEN_REUSED);
	r2 = req;
	r2.has_commit = false;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, &st, &r2, PW_NOW, 78, &next, &cl), OBOL_E_PAYWORD_TOKEN_REUSED);
	struct payword_vendor_sale sale;
	payword_vendor_sale_from(&req, 77, &sale);
	CHECK_OK(payword_vendor_match_retry(&sale, &req));
	r2 = req;
	strcpy(r2.product, "other");
	CHECK_ERR(payword_vendor_match_retry(&sale, &r2), OBOL_E_PAYWORD_TOKEN_REUSED);
	r2 = req;
	r2.token[3] ^= 1;
	CHECK_ERR(payword_vendor_match_retry(&sale, &r2), OBOL_E_PAYWORD_TOKEN_REUSED);
	/* beyond the chain's end */
	r2 = req;
	r2.has_commit = false;
	r2.order = 11;
	r2.value = pw_eur("EUR:0.09");
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, &st, &r2, PW_NOW, 1, &next, &cl), OBOL_E_PAYWORD_ORDER_RANGE);
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
	struct obol_amount one = pw_eur("EUR:0.01");
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_buy(&w, &w.va, &st, &has, "EUR:0.01", PW_NOW, &cl));
	CHECK(st.has_vcert);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, PW_A, &one, "p", PW_NOW, &req));
	/* the same certificate: accepted on its hash */
	CHECK_OK(payword_vendor_purchase(&w.va, NULL, &st, &req, PW_NOW, 2, &next, &cl));
	/* other bytes (a changed expiry, a changed root) are verified, and fail */
	forged = req;
	forged.vc.not_after += 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, &st, &forged, PW_NOW, 2, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
	forged = req;
	forged.vc.root[0] ^= 1;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, &st, &forged, PW_NOW, 2, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
	/* a stored hash of other bytes does not vouch for this certificate */
	struct payword_vendor_serial bad = st;
	bad.vcert_hash[0] ^= 1;
	forged = req;
	forged.vc.first_order = 2;
	CHECK_ERR(payword_vendor_purchase(&w.va, NULL, &bad, &forged, PW_NOW, 2, &next, &cl), OBOL_E_PAYWORD_CERT_INVALID);
}
