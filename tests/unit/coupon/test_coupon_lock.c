/* The issuer's withdraw and lock checks (DESIGN §5 step 4), each both ways. */
#include <string.h>

#include "../test.h"
#include "crypto/secret.h"
#include "fixture.h"

#define SETUP(f)                                 \
	static struct fx f;                      \
	REQUIRE(cfx_init(&f) == 0);               \
	REQUIRE_OK(cfx_withdraw(&f, 0))

TEST(coupon_withdraw, honest_coin_verifies)
{
	SETUP(f);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N);
	CHECK_OK(coupon_coin_verify(&f.coins[0].coin, &f.denom[0]));
	/* the coin id is H^n(S) */
	uint8_t id[32];
	obol_hashchain_step(id, f.coins[0].seed, FX_N);
	CHECK_MEM_EQ(id, f.coins[0].coin.id, 32);
	/* and it is not a coin of the other denomination */
	CHECK_ERR(coupon_coin_verify(&f.coins[0].coin, &f.denom[1]), OBOL_E_COUPON_COIN_SIGNATURE);
	cfx_free(&f);
}

TEST(coupon_withdraw, refusals)
{
	SETUP(f);
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	struct coupon_withdraw_reply reply;
	const struct coupon_denom *d;
	REQUIRE_OK(coupon_wallet_withdraw_prepare(&f.denom[0], f.now, &p, &req));
	req.denom = 9;
	CHECK_ERR(coupon_issuer_withdraw(&f.is, &req, f.now, &reply, &d), OBOL_E_COUPON_DENOM_UNKNOWN);
	req.denom = 1;
	CHECK_ERR(coupon_issuer_withdraw(&f.is, &req, f.denom[0].withdraw_until + 1, &reply, &d),
		  OBOL_E_COUPON_WITHDRAW_CLOSED);
	req.blinded_len--;
	CHECK_ERR(coupon_issuer_withdraw(&f.is, &req, f.now, &reply, &d), OBOL_E_COUPON_BLINDED_LENGTH);
	req.blinded_len++;
	REQUIRE_OK(coupon_issuer_withdraw(&f.is, &req, f.now, &reply, &d));
	/* an answer that was changed does not finalize into a coin */
	struct coupon_withdraw_pending p2 = p;
	struct coupon_withdraw_reply bad = reply;
	bad.blind_sig[5] ^= 1;
	struct coupon_wallet_coin c;
	CHECK(coupon_wallet_withdraw_finalize(&f.denom[0], &p2, &bad, &c) != OBOL_OK);
	CHECK_OK(coupon_wallet_withdraw_finalize(&f.denom[0], &p, &reply, &c));
	/* the wallet refuses to prepare for a closed denomination */
	CHECK_ERR(coupon_wallet_withdraw_prepare(&f.denom[0], f.denom[0].withdraw_until + 1, &p, &req),
		  OBOL_E_COUPON_WITHDRAW_CLOSED);
	cfx_free(&f);
}

TEST(coupon_lock, honest_new_coin)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	CHECK_EQ_INT(reply.index, FX_N - 1);
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	REQUIRE(c != NULL);
	CHECK_EQ_INT(c->last_index, FX_N - 1);
	CHECK_EQ_INT(c->credited_index, FX_N);
	CHECK(c->locked);
	CHECK_EQ_INT(c->lock_until, f.now + 600);
	CHECK_EQ_INT(c->lock_vendor_account, 100);
	/* H(token) = coin id */
	uint8_t h[32];
	obol_sha256(h, reply.token, 32);
	CHECK_MEM_EQ(h, f.coins[0].coin.id, 32);
	/* vendor and wallet both accept F's answer */
	CHECK_OK(coupon_vendor_on_lock_reply(&f.v[0].cfg, &f.v[0].s, &reply));
	CHECK_OK(coupon_wallet_on_locked(&f.wc, &f.ws, f.coins, &reply));
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 1);
	cfx_free(&f);
}

TEST(coupon_lock, repeat_answers_the_same)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply r1, r2;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &r1, NULL));
	int64_t version = cfx_coin(&f, f.coins[0].coin.id)->version;
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &r2, NULL));
	CHECK_MEM_EQ(&r1, &r2, sizeof(r1));
	CHECK_EQ_INT(cfx_coin(&f, f.coins[0].coin.id)->version, version);
	cfx_free(&f);
}

/* Each stateless check of step 4, in the issuer's order. */
TEST(coupon_lock, forged_coin_signature)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	req.coin.sig[10] ^= 0x40;
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_COIN_SIGNATURE);
	/* a coin id that was not signed */
	f.coins[0].lock_open = false;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	req.coin.id[0] ^= 1;
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_COIN_SIGNATURE);
	CHECK(f.ntable == 0);
	cfx_free(&f);
}

TEST(coupon_lock, coin_of_another_denomination)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	/* a coin signed under denomination 1's key, presented as denomination 2
	 * (worth twice as much); the vendor re-signs so only the coin is wrong */
	req.coin.denom = 2;
	uint8_t digest[32];
	coupon_digest_lock_req(digest, &req, f.v[0].cfg.cert_hash);
	obol_sign(req.vendor_sig, COUPON_CTX_LOCK_REQ, digest, 32, f.v[0].kp.sk);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_COIN_SIGNATURE);
	req.coin.denom = 7;
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_DENOM_UNKNOWN);
	CHECK(f.ntable == 0);
	cfx_free(&f);
}

TEST(coupon_lock, denomination_past_spend_until)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	f.now = f.denom[0].spend_until + 1;
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_DENOM_EXPIRED);
	cfx_free(&f);
}

static void resign(struct fx *f, int v, struct coupon_lock_req *req)
{
	uint8_t digest[32], h[32];
	obol_sha256(h, req->cert, req->cert_len);
	coupon_digest_lock_req(digest, req, h);
	obol_sign(req->vendor_sig, COUPON_CTX_LOCK_REQ, digest, 32, f->v[v].kp.sk);
}

TEST(coupon_lock, certificate_checks)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct obol_sign_keypair other;
	obol_sign_keypair_new(&other);
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	struct coupon_lock_req good = req;
	/* C signed by someone else than the issuer */
	cfx_cert_make(req.cert, &req.cert_len, f.v[0].kp.pk, 100, f.now - 10, f.now + 86400, other.sk);
	resign(&f, 0, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_CERT_INVALID);
	/* C expired */
	req = good;
	cfx_cert_make(req.cert, &req.cert_len, f.v[0].kp.pk, 100, f.now - 100, f.now - 1, f.master.sk);
	resign(&f, 0, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_CERT_EXPIRED);
	/* garbage C */
	req = good;
	req.cert_len = 3;
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_CERT_INVALID);
	CHECK(f.ntable == 0);
	cfx_free(&f);
}

TEST(coupon_lock, vendor_signature)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	req.vendor_sig[0] ^= 1;
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_VENDOR_SIGNATURE);
	/* signed by vendor 1's key while carrying vendor 0's C */
	req.vendor_sig[0] ^= 1;
	resign(&f, 1, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_VENDOR_SIGNATURE);
	cfx_free(&f);
}

TEST(coupon_lock, sealed_authorisation_checks)
{
	SETUP(f);
	struct coupon_lock_req req, good;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	good = req;
	/* a box that does not open */
	req.auth[60] ^= 1;
	resign(&f, 0, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_AUTH_UNREADABLE);
	/* a box sealed to another key */
	struct obol_box_keypair other;
	obol_box_keypair_new(&other);
	struct coupon_auth a = { .index = FX_N - 1, .deadline = good.deadline };
	memcpy(a.coin_id, good.coin.id, 32);
	memcpy(a.cert_hash, f.v[0].cfg.cert_hash, 32);
	req = good;
	REQUIRE_OK(coupon_auth_seal(&a, other.pk, req.auth));
	resign(&f, 0, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_AUTH_UNREADABLE);
	/* a box for another coin, carried with this one */
	REQUIRE_OK(cfx_withdraw(&f, 0));
	req = good;
	memcpy(a.coin_id, f.coins[1].coin.id, 32);
	REQUIRE_OK(coupon_auth_seal(&a, f.box.pk, req.auth));
	resign(&f, 0, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_AUTH_WRONG_COIN);
	/* a box naming another T than the request */
	req = good;
	req.deadline = good.deadline - 1;
	resign(&f, 0, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_AUTH_WRONG_DEADLINE);
	CHECK(f.ntable == 0);
	/* the honest request still locks */
	CHECK_OK(cfx_issuer_lock(&f, &good, &reply, NULL));
	cfx_free(&f);
}

TEST(coupon_lock, eavesdropper_replays_with_own_certificate)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	/* vendor 1 saw the PAY meant for vendor 0 and sends it as its own */
	struct coupon_lock_req stolen = req;
	memcpy(stolen.cert, f.v[1].cert, f.v[1].cert_len);
	stolen.cert_len = f.v[1].cert_len;
	resign(&f, 1, &stolen);
	CHECK_ERR(cfx_issuer_lock(&f, &stolen, &reply, NULL), OBOL_E_COUPON_AUTH_WRONG_VENDOR);
	/* or with vendor 0's C but its own signature */
	stolen = req;
	resign(&f, 1, &stolen);
	CHECK_ERR(cfx_issuer_lock(&f, &stolen, &reply, NULL), OBOL_E_COUPON_VENDOR_SIGNATURE);
	CHECK(f.ntable == 0);
	CHECK_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	cfx_free(&f);
}

/* A lock request with a T of our choosing, built as the wallet and vendor would. */
static void request_with_deadline(struct fx *f, int64_t T, struct coupon_lock_req *req)
{
	struct coupon_auth a = { .index = f->coins[0].last_index - 1, .deadline = T };
	memcpy(a.coin_id, f->coins[0].coin.id, 32);
	memcpy(a.cert_hash, f->v[0].cfg.cert_hash, 32);
	obol_hashchain_step(a.token, f->coins[0].seed, a.index);
	memset(req, 0, sizeof(*req));
	req->coin = f->coins[0].coin;
	if (coupon_auth_seal(&a, f->box.pk, req->auth) != OBOL_OK)
		return;
	memcpy(req->cert, f->v[0].cert, f->v[0].cert_len);
	req->cert_len = f->v[0].cert_len;
	req->deadline = T;
	resign(f, 0, req);
}

TEST(coupon_lock, deadline_policy)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	request_with_deadline(&f, f.now, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_DEADLINE_PAST);
	request_with_deadline(&f, f.now - 100, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_DEADLINE_PAST);
	request_with_deadline(&f, f.now + 3601, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_DEADLINE_TOO_FAR);
	CHECK(f.ntable == 0);
	request_with_deadline(&f, f.now + 3600, &req);
	CHECK_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	cfx_free(&f);
}

/* A lock request for coin 0 at index p with the token the wallet would reveal. */
static void request_at(struct fx *f, int v, uint64_t p, int64_t T, struct coupon_lock_req *req)
{
	struct coupon_auth a = { .index = p, .deadline = T };
	memcpy(a.coin_id, f->coins[0].coin.id, 32);
	memcpy(a.cert_hash, f->v[v].cfg.cert_hash, 32);
	obol_hashchain_step(a.token, f->coins[0].seed, p);
	memset(req, 0, sizeof(*req));
	req->coin = f->coins[0].coin;
	if (coupon_auth_seal(&a, f->box.pk, req->auth) != OBOL_OK)
		return;
	memcpy(req->cert, f->v[v].cert, f->v[v].cert_len);
	req->cert_len = f->v[v].cert_len;
	req->deadline = T;
	resign(f, v, req);
}

TEST(coupon_lock, index_and_chain)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_error refusal;
	/* a new coin must start at n-1; the holder (a token below) learns where it stands */
	request_at(&f, 0, FX_N - 2, f.now + 600, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, &refusal), OBOL_E_COUPON_INDEX_MISMATCH);
	CHECK(refusal.has_last_index && refusal.has_issuer_sig);
	CHECK_EQ_INT(refusal.last_index, FX_N);
	/* the right index with a token that does not hash to the coin id */
	request_at(&f, 0, FX_N - 1, f.now + 600, &req);
	struct coupon_auth a = { .index = FX_N - 1, .deadline = f.now + 600 };
	memcpy(a.coin_id, f.coins[0].coin.id, 32);
	memcpy(a.cert_hash, f.v[0].cfg.cert_hash, 32);
	obol_random(a.token, 32);
	REQUIRE_OK(coupon_auth_seal(&a, f.box.pk, req.auth));
	resign(&f, 0, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN);
	CHECK(f.ntable == 0);
	cfx_free(&f);
}

TEST(coupon_lock, second_vendor_refused_until_T_then_first_is_credited)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	request_at(&f, 0, FX_N - 1, f.now + 600, &req);
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	/* vendor 1 with the next token, before T */
	request_at(&f, 1, FX_N - 2, f.now + 600, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_COIN_LOCKED);
	/* vendor 0 itself may not lock again while it holds the lock */
	request_at(&f, 0, FX_N - 2, f.now + 600, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_COIN_LOCKED);
	CHECK_EQ_INT(cfx_coin(&f, f.coins[0].coin.id)->last_index, FX_N - 1);
	/* after T, vendor 1 locks; vendor 0 is credited the lock token it never settled */
	f.now += 601;
	request_at(&f, 1, FX_N - 2, f.now + 600, &req);
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	CHECK_EQ_INT(f.credited[0], 1);
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	CHECK_EQ_INT(c->lock_vendor_account, 101);
	CHECK_EQ_INT(c->credited_index, FX_N - 1);
	cfx_free(&f);
}

TEST(coupon_lock, spent_coin)
{
	SETUP(f);
	CHECK_OK(cfx_session(&f, 0, FX_N)); /* price 0.01 = one token of EUR:1/100 per unit */
	CHECK_EQ_INT(f.credited[0], FX_N);
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	REQUIRE(c != NULL);
	CHECK_EQ_INT(c->last_index, 0);
	CHECK_EQ_INT(c->credited_index, 0);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	request_at(&f, 1, 0, f.now + 600, &req);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, NULL), OBOL_E_COUPON_COIN_SPENT);
	cfx_free(&f);
}

/* Case: one chain blind-signed under two denominations of the same n (or
 * S_B = H^(nA-nB)(S_A) for another n) gives one coin id twice. The coin is
 * spent under the denomination it was first locked with, never valued by
 * the vendor at one and credited by the issuer at the other. */
TEST(coupon_lock, one_coin_id_under_two_denominations)
{
	static struct fx f;
	REQUIRE(cfx_init(&f) == 0);
	uint8_t seed[32];
	obol_random(seed, 32);
	REQUIRE_OK(cfx_withdraw_seed(&f, 0, seed)); /* A: EUR:1 in 100 tokens */
	REQUIRE_OK(cfx_withdraw_seed(&f, 1, seed)); /* B: EUR:2 in 100 tokens, same id */
	CHECK_MEM_EQ(f.coins[0].coin.id, f.coins[1].coin.id, 32);
	/* A is spent 5 tokens at vendor 0 */
	f.coins[1].last_index = 0; /* out of the wallet's choice for now */
	REQUIRE_OK(cfx_session(&f, 0, 5));
	CHECK_EQ_INT(f.credited[0], 5);
	/* then B, at the right index with the right token: refused */
	f.coins[0].last_index = 0;
	f.coins[1].last_index = FX_N - 5;
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_error err;
	memset(&f.ws, 0, sizeof(f.ws));
	REQUIRE_OK(cfx_open(&f, 1, 5, &req));
	REQUIRE(req.coin.denom == 2);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, &err), OBOL_E_COUPON_DENOM_MISMATCH);
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	CHECK_EQ_INT(c->denom, 1);
	CHECK_EQ_INT(c->last_index, FX_N - 5);
	CHECK(!c->locked);
	CHECK_EQ_INT(f.credited[1], 0);
	/* the wallet keeps B as it was, in doubt */
	struct coupon_pay pay;
	bool retry;
	CHECK_ERR(coupon_wallet_on_error(&f.wc, &f.ws, f.coins, f.ncoins, &err, f.now, &retry, &pay),
		  OBOL_E_COUPON_NO_COIN);
	CHECK(f.coins[1].in_doubt);
	CHECK_EQ_INT(f.coins[1].last_index, FX_N - 5);
	cfx_free(&f);
}
