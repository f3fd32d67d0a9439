/* Refund after spend-until (seed 000 §3: the unspent value of a coin must
 * not be lost to the issuer): the holder shows the coin and its next token,
 * sealed with the account to credit, and the rest is credited once. */
#include <string.h>

#include "../test.h"
#include "crypto/secret.h"
#include "fixture.h"

#define ACCOUNT 7

#define SETUP(f)                   \
	static struct fx f;        \
	REQUIRE(cfx_init(&f) == 0); \
	REQUIRE_OK(cfx_withdraw(&f, 0))

/* Every token of coin 0 is accounted for: vendors' credits and refunds. */
static void all_accounted(const struct fx *f)
{
	CHECK_EQ_INT(f->credited[0] + f->credited[1] + f->refunded, FX_N);
}

TEST(coupon_refund, the_rest_of_a_coin_after_spend_until_once)
{
	SETUP(f);
	struct coupon_refund_req req;
	struct coupon_refund_reply reply;
	struct coupon_refusal refusal;
	uint8_t box_hash[32];
	REQUIRE_OK(cfx_session(&f, 0, 10));
	/* before spend-until: the wallet does not ask, the issuer refuses */
	CHECK_ERR(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &req, box_hash),
		  OBOL_E_COUPON_REFUND_EARLY);
	int64_t later = f.denom[0].spend_until + 1;
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, later, &req, box_hash));
	CHECK_ERR(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, NULL), OBOL_E_COUPON_REFUND_EARLY);
	f.now = later;
	/* naming another account than the one that asks */
	CHECK_ERR(cfx_issuer_refund(&f, &req, ACCOUNT + 1, &reply, NULL), OBOL_E_COUPON_REFUND_ACCOUNT);
	/* a coin of another's: its signature does not verify */
	struct coupon_refund_req forged = req;
	forged.coin.sig[3] ^= 1;
	CHECK_ERR(cfx_issuer_refund(&f, &forged, ACCOUNT, &reply, NULL), OBOL_E_COUPON_COIN_SIGNATURE);
	CHECK_EQ_INT(f.refunded, 0);
	/* the holder: 90 tokens, EUR:0.9 */
	REQUIRE_OK(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, NULL));
	CHECK_EQ_INT(reply.refunded_tokens, FX_N - 10);
	CHECK_EQ_INT(reply.refunded.units, 90000000);
	CHECK_EQ_INT(reply.account, ACCOUNT);
	REQUIRE_OK(coupon_wallet_refund_done(&f.wc, &f.coins[0], &req, &reply));
	CHECK_EQ_INT(f.coins[0].last_index, 0);
	all_accounted(&f);
	/* once: a wallet that forgets and asks again is refused */
	f.coins[0].last_index = FX_N - 10;
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &req, box_hash));
	CHECK(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, &refusal) != OBOL_OK);
	f.coins[0].last_index = FX_N - 11;
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &req, box_hash));
	CHECK_ERR(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, &refusal), OBOL_E_COUPON_COIN_SPENT);
	all_accounted(&f);
	/* and a lock of it is refused (its denomination is past spend-until
	 * anyway; the coin owes nothing) */
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	CHECK_EQ_INT(c->credited_index, 0);
	CHECK(!c->locked);
	cfx_free(&f);
}

TEST(coupon_refund, a_coin_never_spent_is_refunded_whole)
{
	SETUP(f);
	struct coupon_refund_req req;
	struct coupon_refund_reply reply;
	uint8_t box_hash[32];
	f.now = f.denom[0].spend_until + 1;
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &req, box_hash));
	REQUIRE_OK(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, NULL));
	CHECK_EQ_INT(reply.refunded_tokens, FX_N);
	CHECK_EQ_INT(reply.refunded.units, 100000000);
	all_accounted(&f);
	cfx_free(&f);
}

TEST(coupon_refund, a_lapsed_lock_is_paid_its_tokens_first)
{
	SETUP(f);
	struct coupon_refund_req req;
	struct coupon_refund_reply reply;
	struct coupon_wallet_order order = { .units = 5, .ahead = 1 };
	uint8_t box_hash[32];
	/* vendor 1 locks, is paid 5 tokens (99..95), never settles */
	REQUIRE_OK(cfx_run_order(&f, 1, &order));
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 5);
	f.now = f.denom[0].spend_until + 1;
	/* the wallet (at 95) shows 94: the lapsed lock's holder is paid what it
	 * was given (99..95), the account the rest */
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &req, box_hash));
	REQUIRE_OK(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, NULL));
	CHECK_EQ_INT(f.credited[1], 5);
	CHECK_EQ_INT(reply.refunded_tokens, FX_N - 5);
	all_accounted(&f);
	/* vendor 1's settle comes too late: the coin owes nothing */
	struct coupon_settle_req sreq;
	struct coupon_settle_reply srep;
	coupon_vendor_settle_req(&f.v[1].cfg, &f.v[1].s.coins[0], false, &sreq);
	CHECK_ERR(cfx_issuer_settle(&f, &sreq, &srep), OBOL_E_COUPON_NOT_LOCK_HOLDER);
	all_accounted(&f);
	cfx_free(&f);
}

TEST(coupon_refund, a_wallet_that_lost_track_resyncs_from_a_signed_refusal)
{
	SETUP(f);
	struct coupon_refund_req req;
	struct coupon_refund_reply reply;
	struct coupon_refusal refusal;
	uint8_t box_hash[32];
	bool retry;
	/* 5 units at vendor 1, settled (the issuer at 95, unlocked); the wallet
	 * believes it is at 90 */
	REQUIRE_OK(cfx_session(&f, 1, 5));
	f.coins[0].last_index = FX_N - 10;
	f.now = f.denom[0].spend_until + 1;
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &req, box_hash));
	obol_err e = cfx_issuer_refund(&f, &req, ACCOUNT, &reply, &refusal);
	CHECK_ERR(e, OBOL_E_COUPON_INDEX_MISMATCH);
	/* a forged refusal is not acted on */
	struct coupon_refusal forged = refusal;
	forged.last_index = 3;
	CHECK_ERR(coupon_wallet_refund_refused(&f.wc, &f.coins[0], e, &forged, box_hash, &retry), e);
	CHECK(!retry);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 10);
	/* the signed one is */
	REQUIRE_OK(coupon_wallet_refund_refused(&f.wc, &f.coins[0], e, &refusal, box_hash, &retry));
	CHECK(retry);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 5);
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &req, box_hash));
	REQUIRE_OK(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, NULL));
	CHECK_EQ_INT(reply.refunded_tokens, FX_N - 5);
	all_accounted(&f);
	cfx_free(&f);
}
