/* payword user module: certificate acceptance (step D), purchases, in-doubt
 * tokens (seed 003 §4), the sealed state (§3.1). */
#include <stdlib.h>

#include "pw_fixture.h"

TEST(payword_wallet, accepts_only_its_own_signed_certificate)
{
	struct pw_world w;
	struct payword_ucert uc;
	struct payword_wallet_cert out;
	uint8_t buf[PAYWORD_UCERT_MAX];
	size_t len;
	REQUIRE_OK(pw_world_init(&w));
	payword_agent_ucert(&w.u, &w.cert.vc, &uc);
	REQUIRE_OK(payword_ucert_encode(&uc, buf, &len));
	CHECK_OK(payword_wallet_accept(buf, len, w.agent.pk, "alice", w.user.pk, &out));
	CHECK_EQ_INT(out.next, 1);
	CHECK_EQ_INT(payword_wallet_unspent(&out), 10);
	CHECK_ERR(payword_wallet_accept(buf, len, w.agent.pk, "bob", w.user.pk, &out), OBOL_E_PAYWORD_CERT_MISMATCH);
	CHECK_ERR(payword_wallet_accept(buf, len, w.agent.pk, "alice", w.agent.pk, &out), OBOL_E_PAYWORD_CERT_MISMATCH);
	CHECK_ERR(payword_wallet_accept(buf, len, w.user.pk, "alice", w.user.pk, &out), OBOL_E_PAYWORD_CERT_INVALID);
	buf[len - 1] ^= 1; /* the seed */
	CHECK_ERR(payword_wallet_accept(buf, len, w.agent.pk, "alice", w.user.pk, &out), OBOL_E_PAYWORD_SEED_MISMATCH);
	CHECK_ERR(payword_wallet_accept(buf, len - 3, w.agent.pk, "alice", w.user.pk, &out),
		  OBOL_E_PAYWORD_CERT_MALFORMED);
}

TEST(payword_wallet, purchases_commit_once_per_visit)
{
	struct pw_world w;
	struct payword_pay req;
	struct payword_pay_reply ok = { 5, OBOL_OK };
	struct obol_amount one = pw_eur("EUR:0.01"), two = pw_eur("EUR:0.02");
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, PW_A, &one, "p", PW_NOW, &req));
	CHECK(req.has_commit && req.commit.start == 1 && req.commit.time == PW_NOW && req.order == 1);
	/* one purchase at a time */
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, PW_A, &one, "p", PW_NOW, &req), OBOL_E_PAYWORD_IN_DOUBT);
	CHECK_OK(payword_wallet_reply(&w.w, &ok));
	CHECK_ERR(payword_wallet_reply(&w.w, &ok), OBOL_E_WIRE_UNEXPECTED_MESSAGE);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, PW_A, &two, "p", PW_NOW, &req));
	CHECK(!req.has_commit && req.order == 3);
	CHECK_OK(payword_wallet_reply(&w.w, &ok));
	/* another vendor: a new visit, its time after the last one even when
	 * the clock did not move */
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, PW_B, &one, "p", PW_NOW, &req));
	CHECK(req.has_commit && req.commit.start == 4 && req.commit.time == PW_NOW + 1);
	CHECK_OK(payword_commit_verify(&req.commit, &w.cert.vc));
	CHECK_OK(payword_wallet_reply(&w.w, &ok));
	/* refusals before anything is sent */
	struct obol_amount odd = pw_eur("EUR:0.005"), usd = pw_eur("USD:0.01"), lots = pw_eur("EUR:0.07");
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, PW_B, &odd, "p", PW_NOW, &req), OBOL_E_PAYWORD_VALUE_MISMATCH);
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, PW_B, &usd, "p", PW_NOW, &req), OBOL_E_PAYWORD_TOKEN_VALUE);
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, PW_B, &lots, "p", PW_NOW, &req), OBOL_E_PAYWORD_TOKENS_LOW);
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, PW_B, &one, "p", PW_NOW + 86401, &req), OBOL_E_PAYWORD_CERT_EXPIRED);
	CHECK_EQ_INT(payword_wallet_unspent(&w.w), 6);
	CHECK(!w.w.pending);
}

TEST(payword_wallet, refused_or_lost_purchases_skip_their_tokens)
{
	struct pw_world w;
	struct payword_pay req, again;
	struct payword_pay_reply no = { PAYWORD_AUTH_NONE, OBOL_E_PAYWORD_CERT_REVOKED };
	struct obol_amount two = pw_eur("EUR:0.02");
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, PW_A, &two, "p", PW_NOW, &req));
	CHECK_ERR(payword_wallet_reply(&w.w, &no), OBOL_E_PAYWORD_CERT_REVOKED);
	CHECK_EQ_INT(w.w.next, 3);
	CHECK_EQ_INT(w.w.in_doubt, 2);
	CHECK(!w.w.visit_open);
	/* the next purchase opens a new visit above the skipped tokens */
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, PW_A, &two, "p", PW_NOW, &again));
	CHECK(again.has_commit && again.commit.start == 3 && again.order == 4);
	/* lost reply: the pending request is kept as is for a retry */
	CHECK(w.w.pending && w.w.req.order == 4);
	CHECK_MEM_EQ(w.w.req.token, again.token, 32);
	payword_wallet_give_up(&w.w);
	CHECK_EQ_INT(w.w.next, 5);
	CHECK_EQ_INT(w.w.in_doubt, 4);
	CHECK(!w.w.pending);
}

TEST(payword_wallet, sealed_under_the_password)
{
	struct pw_world w;
	struct payword_pay req;
	struct payword_wallet_cert back;
	struct obol_amount two = pw_eur("EUR:0.02");
	uint8_t *sealed = NULL;
	size_t len = 0;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, PW_A, &two, "article-9", PW_NOW, &req));
	REQUIRE_OK(payword_wallet_seal(&w.w, "correct horse", 0, 0, &sealed, &len));
	/* the seed does not appear in the sealed bytes */
	CHECK(memmem(sealed, len, w.w.uc.seed, 32) == NULL);
	REQUIRE_OK(payword_wallet_open(sealed, len, "correct horse", &back));
	CHECK_MEM_EQ(back.uc.seed, w.w.uc.seed, 32);
	CHECK_EQ_INT(back.next, 1);
	CHECK(back.pending && back.req.order == 2 && back.req.has_commit);
	CHECK_EQ_STR(back.req.product, "article-9");
	CHECK_MEM_EQ(back.req.token, req.token, 32);
	CHECK(payword_commit_equal(&back.req.commit, &req.commit));
	CHECK_ERR(payword_wallet_open(sealed, len, "wrong horse", &back), OBOL_E_DECRYPT_FAILED);
	sealed[len - 5] ^= 1;
	CHECK_ERR(payword_wallet_open(sealed, len, "correct horse", &back), OBOL_E_DECRYPT_FAILED);
	free(sealed);
}
