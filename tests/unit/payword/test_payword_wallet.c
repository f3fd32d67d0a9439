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
	REQUIRE_OK(payword_agent_ucert(&w.u, 1, 1, &w.cert, &uc));
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

TEST(payword_wallet, every_purchase_signs_its_range)
{
	struct pw_world w;
	struct payword_pay req;
	struct payword_pay_reply ok = { 5, OBOL_OK };
	REQUIRE_OK(pw_world_init(&w));
	struct payword_wallet_pay_req r = pw_req(PW_A, "EUR:0.01", PW_NOW);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	CHECK(req.order == 1 && req.range.from == 1 && req.range.to == 1 && req.range.vendor == PW_A);
	CHECK_OK(payword_range_verify(&req.range, &w.cert.vc));
	/* one purchase at a time */
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, &r, &req), OBOL_E_PAYWORD_IN_DOUBT);
	CHECK_OK(payword_wallet_reply(&w.w, &ok));
	CHECK_ERR(payword_wallet_reply(&w.w, &ok), OBOL_E_WIRE_UNEXPECTED_MESSAGE);
	r = pw_req(PW_A, "EUR:0.02", PW_NOW);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	CHECK(req.order == 3 && req.range.from == 2 && req.range.to == 3);
	CHECK_OK(payword_wallet_reply(&w.w, &ok));
	r = pw_req(PW_B, "EUR:0.01", PW_NOW);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	CHECK(req.range.from == 4 && req.range.to == 4 && req.range.vendor == PW_B);
	CHECK_OK(payword_range_verify(&req.range, &w.cert.vc));
	CHECK_OK(payword_wallet_reply(&w.w, &ok));
	/* refusals before anything is signed */
	r = pw_req(PW_B, "EUR:0.005", PW_NOW);
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, &r, &req), OBOL_E_PAYWORD_VALUE_MISMATCH);
	r = pw_req(PW_B, "USD:0.01", PW_NOW);
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, &r, &req), OBOL_E_PAYWORD_TOKEN_VALUE);
	r = pw_req(PW_B, "EUR:0.07", PW_NOW);
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, &r, &req), OBOL_E_PAYWORD_TOKENS_LOW);
	r = pw_req(PW_B, "EUR:0.01", PW_NOW + 86401);
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, &r, &req), OBOL_E_PAYWORD_CERT_EXPIRED);
	CHECK_EQ_INT(payword_wallet_unspent(&w.w), 6);
	CHECK(!w.w.pending);
}

/* Case 9 (P2): never more than the caller allows, whatever the vendor asks. */
TEST(payword_wallet, never_pays_above_the_cap)
{
	struct pw_world w;
	struct payword_pay req;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_wallet_pay_req r = pw_req(PW_A, "EUR:0.05", PW_NOW);
	r.max_amount = pw_eur("EUR:0.04");
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, &r, &req), OBOL_E_PAYWORD_PRICE_ABOVE_MAX);
	CHECK(!w.w.pending && w.w.next == 1);
	r.max_amount = pw_eur("USD:1");
	CHECK_ERR(payword_wallet_pay(&w.w, w.user.sk, &r, &req), OBOL_E_PAYWORD_TOKEN_VALUE);
	r.max_amount = pw_eur("EUR:0.05");
	CHECK_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	CHECK(req.range.to - req.range.from + 1 == 5);
}

TEST(payword_wallet, refused_or_lost_purchases_skip_their_tokens)
{
	struct pw_world w;
	struct payword_pay req, again;
	struct payword_pay_reply no = { PAYWORD_AUTH_NONE, OBOL_E_PAYWORD_CERT_REVOKED };
	struct payword_position pos;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_wallet_pay_req r = pw_req(PW_A, "EUR:0.02", PW_NOW);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	CHECK_ERR(payword_wallet_reply(&w.w, &no), OBOL_E_PAYWORD_CERT_REVOKED);
	CHECK_EQ_INT(w.w.next, 3);
	CHECK_EQ_INT(w.w.in_doubt, 2);
	/* the next purchase signs a range above the skipped tokens */
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &again));
	CHECK(again.range.from == 3 && again.order == 4);
	/* lost reply: the pending request is kept as is for a retry */
	CHECK(w.w.pending && w.w.req.order == 4);
	CHECK_MEM_EQ(w.w.req.token, again.token, 32);
	/* the position signed for a token purchase is past every range signed */
	payword_wallet_position(&w.w, w.user.sk, &pos);
	CHECK_EQ_INT(pos.next, 5);
	CHECK_OK(payword_position_verify(&pos, &w.cert.vc));
	CHECK_EQ_INT(w.w.in_doubt, 4);
	CHECK(!w.w.pending);
}

/* A purchase's tokens are signed over to its vendor from the moment the
 * wallet records it: a crash after the vendor's answer and before the
 * wallet's next save leaves them pending in the file, the vendor paid for
 * them. They are never offered again (the same purchase resent gets the
 * same answer; any other one skips them as in doubt), so they are not
 * unspent: the wallet holds no more than the agent backs. */
TEST(payword_wallet, a_pending_purchases_tokens_are_not_unspent)
{
	struct pw_world w;
	struct payword_pay req;
	struct payword_pay_reply ok = { 5, OBOL_OK };
	struct payword_wallet_cert back;
	uint8_t *sealed = NULL;
	size_t len = 0;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	REQUIRE_OK(pw_world_init(&w));
	struct payword_wallet_pay_req r = pw_req(PW_A, "EUR:0.03", PW_NOW);
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	CHECK(w.w.pending && w.w.next == 1 && req.range.to == 3);
	CHECK_EQ_INT(payword_wallet_unspent(&w.w), 7);
	/* the state the wallet saved before sending, as a crash leaves it */
	REQUIRE_OK(payword_wallet_seal(&w.w, "correct horse", 0, 0, &sealed, &len));
	REQUIRE_OK(payword_wallet_open(sealed, len, "correct horse", &back));
	CHECK(back.pending);
	CHECK_EQ_INT(payword_wallet_unspent(&back), 7);
	/* the answer spends them, giving up skips them: 7 either way */
	CHECK_OK(payword_wallet_reply(&back, &ok));
	CHECK_EQ_INT(payword_wallet_unspent(&back), 7);
	payword_wallet_give_up(&w.w);
	CHECK_EQ_INT(payword_wallet_unspent(&w.w), 7);
	CHECK_EQ_INT(w.w.in_doubt, 3);
	payword_wallet_wipe(&back);
	free(sealed);
}

/* Only the agent's refusals end a token purchase; an answer of unknown
 * outcome (a database error may come from a COMMIT that stood) keeps it
 * pending, to be resent (THREATS.md P3). */
TEST(payword_wallet, a_purchase_is_forgotten_only_when_refused)
{
	CHECK(payword_wallet_buy_refused_for_good(OBOL_E_LEDGER_INSUFFICIENT_FUNDS));
	CHECK(payword_wallet_buy_refused_for_good(OBOL_E_PAYWORD_POSITION_INVALID));
	CHECK(payword_wallet_buy_refused_for_good(OBOL_E_PAYWORD_TOKENS_LOW));
	CHECK(payword_wallet_buy_refused_for_good(OBOL_E_AUTH_FAILED));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_OK));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_STORE_QUERY));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_STORE_OPEN));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_STORE_FULL));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_INTERNAL));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_STORE_CONFLICT));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_STORE_BUSY));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_IDEMPOTENCY_MISMATCH));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_NETWORK));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_HTTP));
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_PAYWORD_BUSY));
	/* another's wrong guesses rate-limit the user: the resend must survive */
	CHECK(!payword_wallet_buy_refused_for_good(OBOL_E_PAYWORD_RATE_LIMITED));
}

TEST(payword_wallet, sealed_under_the_password)
{
	struct pw_world w;
	struct payword_pay req;
	struct payword_wallet_cert back;
	uint8_t *sealed = NULL;
	size_t len = 0;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	REQUIRE_OK(pw_world_init(&w));
	struct payword_wallet_pay_req r = pw_req(PW_A, "EUR:0.02", PW_NOW);
	r.product = "article-9";
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &r, &req));
	REQUIRE_OK(payword_wallet_seal(&w.w, "correct horse", 0, 0, &sealed, &len));
	/* the seed does not appear in the sealed bytes */
	CHECK(memmem(sealed, len, w.w.uc.seed, 32) == NULL);
	REQUIRE_OK(payword_wallet_open(sealed, len, "correct horse", &back));
	CHECK_MEM_EQ(back.uc.seed, w.w.uc.seed, 32);
	CHECK_EQ_INT(back.next, 1);
	CHECK(back.pending && back.req.order == 2);
	CHECK_EQ_STR(back.req.product, "article-9");
	CHECK_MEM_EQ(back.req.token, req.token, 32);
	CHECK(back.req.range.from == 1 && back.req.range.to == 2 && back.req.range.vendor == PW_A);
	CHECK_MEM_EQ(back.req.range.sig, req.range.sig, OBOL_SIGN_LEN);
	CHECK_ERR(payword_wallet_open(sealed, len, "wrong horse", &back), OBOL_E_DECRYPT_FAILED);
	sealed[len - 5] ^= 1;
	CHECK_ERR(payword_wallet_open(sealed, len, "correct horse", &back), OBOL_E_DECRYPT_FAILED);
	free(sealed);
}

/* A state sealed before signed ranges (version 1: an open visit and a
 * pending purchase under a visit commitment) opens with its pending tokens
 * in doubt. */
TEST(payword_wallet, a_state_from_before_ranges_opens)
{
	struct pw_world w;
	struct payword_wallet_cert back;
	struct payword_ucert uc;
	struct obol_filekey key;
	uint8_t plain[1024], *p = plain, *sealed = NULL;
	size_t ulen, len = 0;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(payword_agent_ucert(&w.u, 1, 1, &w.cert, &uc));
	memcpy(p, "OPWS\x01", 5), p += 5;
	REQUIRE_OK(payword_ucert_encode(&uc, p + 2, &ulen));
	p[0] = (uint8_t)(ulen >> 8), p[1] = (uint8_t)ulen, p += 2 + ulen;
	const uint64_t head[3] = { 2, 0, (uint64_t)PW_NOW }; /* next, in doubt, last commitment time */
	for (int i = 0; i < 3; i++, p += 8)
		for (int b = 0; b < 8; b++)
			p[b] = (uint8_t)(head[i] >> (8 * (7 - b)));
	*p++ = 1; /* an open visit: its commitment */
	memset(p, 0, 36 + 64), p += 36 + 64;
	*p++ = 1; /* pending: order 3, value, product "a", a commitment */
	memset(p, 0, 16), p[7] = 3, p[15] = 2, p += 16;
	*p++ = 1, *p++ = 'a';
	*p++ = 0;
	REQUIRE_OK(obol_filekey_from_passphrase(&key, "correct horse", NULL, 0, 0));
	REQUIRE_OK(obol_fileseal_seal(&key, plain, (size_t)(p - plain), &sealed, &len));
	REQUIRE_OK(payword_wallet_open(sealed, len, "correct horse", &back));
	CHECK(!back.pending && back.next == 4 && back.in_doubt == 2);
	obol_filekey_wipe(&key);
	obol_wipe(&uc, sizeof(uc));
	free(sealed);
}
