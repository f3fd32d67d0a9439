/* Sessions, tokens and settlement (DESIGN §5 steps 5 and 6), both ways. */
#include <string.h>

#include "../test.h"
#include "crypto/secret.h"
#include "fixture.h"

#define SETUP(f)                   \
	static struct fx f;        \
	REQUIRE(cfx_init(&f) == 0); \
	REQUIRE_OK(cfx_withdraw(&f, 0))

TEST(coupon_session, honest_then_rest_of_coin_at_second_vendor)
{
	SETUP(f);
	REQUIRE_OK(cfx_session(&f, 0, 30));
	CHECK_EQ_INT(f.v[0].s.units_served, 30);
	CHECK_EQ_INT(f.credited[0], 30); /* the lock token is one of the 30 */
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 30);
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	REQUIRE(c != NULL);
	CHECK(!c->locked);
	CHECK_EQ_INT(c->last_index, FX_N - 30);
	CHECK_EQ_INT(c->credited_index, FX_N - 30);
	/* the rest of the same coin at vendor 1 */
	REQUIRE_OK(cfx_session(&f, 1, FX_N - 30));
	CHECK_EQ_INT(f.credited[1], FX_N - 30);
	CHECK_EQ_INT(c->last_index, 0);
	CHECK_EQ_INT(f.coins[0].last_index, 0);
	/* nothing left */
	struct coupon_buy buy;
	struct coupon_offer offer;
	struct coupon_pay pay;
	memset(&f.v[0].s, 0, sizeof(f.v[0].s));
	REQUIRE_OK(coupon_wallet_buy(&f.ws, 1, &buy));
	REQUIRE_OK(coupon_vendor_start(&f.v[0].cfg, &f.v[0].s, &buy, f.now, &offer));
	CHECK_ERR(coupon_wallet_on_offer(&f.wc, &f.ws, f.coins, f.ncoins, &offer, f.now, &pay), OBOL_E_COUPON_NO_COIN);
	cfx_free(&f);
}

TEST(coupon_session, pays_across_coins)
{
	SETUP(f);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	REQUIRE_OK(cfx_session(&f, 0, 150)); /* more than one coin of 100 tokens */
	CHECK_EQ_INT(f.v[0].s.units_served, 150);
	CHECK_EQ_INT(f.v[0].s.ncoins, 2);
	CHECK_EQ_INT(f.credited[0], 150);
	CHECK_EQ_INT((int64_t)(f.coins[0].last_index + f.coins[1].last_index), 50);
	cfx_free(&f);
}

TEST(coupon_session, price_of_several_tokens_per_unit)
{
	SETUP(f);
	REQUIRE_OK(obol_amount_parse("EUR:0.07", &f.v[0].cfg.price));
	REQUIRE_OK(cfx_session(&f, 0, 5));
	CHECK_EQ_INT(f.credited[0], 35);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 35);
	cfx_free(&f);
}

/* A session at vendor 0, locked, with one token asked. */
static void open_asking(struct fx *f, struct coupon_token_req *treq)
{
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	enum coupon_vendor_action act;
	struct coupon_served served;
	if (cfx_open(f, 0, 10, &req) != OBOL_OK || cfx_issuer_lock(f, &req, &reply, NULL) != OBOL_OK ||
	    coupon_vendor_on_lock_reply(&f->v[0].cfg, &f->v[0].s, &reply) != OBOL_OK ||
	    coupon_wallet_on_locked(&f->wc, &f->ws, f->coins, &reply) != OBOL_OK)
		return;
	/* the lock token pays the first unit */
	if (coupon_vendor_next(&f->v[0].cfg, &f->v[0].s, f->now, &act, treq, &served) != OBOL_OK ||
	    act != COUPON_VA_SERVE)
		return;
	if (coupon_vendor_next(&f->v[0].cfg, &f->v[0].s, f->now, &act, treq, &served) != OBOL_OK)
		return;
}

TEST(coupon_vendor, token_checks)
{
	SETUP(f);
	struct coupon_token_req treq = { 0 };
	open_asking(&f, &treq);
	REQUIRE(f.v[0].s.state == COUPON_VS_ASKING);
	CHECK_EQ_INT(treq.count, 1);
	size_t ci;
	struct coupon_token tok = { .index = FX_N - 1 };
	/* the lock token again: replayed */
	obol_hashchain_step(tok.token, f.coins[0].seed, FX_N - 1);
	CHECK_ERR(coupon_vendor_on_token(&f.v[0].cfg, &f.v[0].s, &tok, f.now, &ci), OBOL_E_COUPON_TOKEN_REPLAYED);
	/* two tokens when one was asked */
	tok.index = FX_N - 3;
	obol_hashchain_step(tok.token, f.coins[0].seed, FX_N - 3);
	CHECK_ERR(coupon_vendor_on_token(&f.v[0].cfg, &f.v[0].s, &tok, f.now, &ci), OBOL_E_COUPON_TOKEN_TOO_MANY);
	/* a token that does not chain */
	tok.index = FX_N - 2;
	obol_random(tok.token, 32);
	CHECK_ERR(coupon_vendor_on_token(&f.v[0].cfg, &f.v[0].s, &tok, f.now, &ci), OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN);
	/* an index that lies about the token's place */
	obol_hashchain_step(tok.token, f.coins[0].seed, FX_N - 3);
	CHECK_ERR(coupon_vendor_on_token(&f.v[0].cfg, &f.v[0].s, &tok, f.now, &ci), OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN);
	CHECK_EQ_INT(f.v[0].s.coins[0].last_index, FX_N - 1);
	/* the honest one */
	obol_hashchain_step(tok.token, f.coins[0].seed, FX_N - 2);
	CHECK_OK(coupon_vendor_on_token(&f.v[0].cfg, &f.v[0].s, &tok, f.now, &ci));
	CHECK_EQ_INT(f.v[0].s.coins[0].last_index, FX_N - 2);
	/* and the same again is a replay (the session is no longer asking) */
	CHECK_ERR(coupon_vendor_on_token(&f.v[0].cfg, &f.v[0].s, &tok, f.now, &ci), OBOL_E_COUPON_SESSION_STATE);
	cfx_free(&f);
}

TEST(coupon_vendor, forged_lock_reply_and_deadline)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 10, &req));
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	struct coupon_lock_reply bad = reply;
	bad.index = 5;
	CHECK_ERR(coupon_vendor_on_lock_reply(&f.v[0].cfg, &f.v[0].s, &bad), OBOL_E_COUPON_LOCK_REPLY_INVALID);
	CHECK_ERR(coupon_wallet_on_locked(&f.wc, &f.ws, f.coins, &bad), OBOL_E_COUPON_LOCK_REPLY_INVALID);
	bad = reply;
	bad.issuer_sig[3] ^= 1;
	CHECK_ERR(coupon_vendor_on_lock_reply(&f.v[0].cfg, &f.v[0].s, &bad), OBOL_E_COUPON_LOCK_REPLY_INVALID);
	REQUIRE_OK(coupon_vendor_on_lock_reply(&f.v[0].cfg, &f.v[0].s, &reply));
	/* near T the vendor stops serving, so that it settles in time */
	enum coupon_vendor_action act;
	struct coupon_token_req treq;
	struct coupon_served served;
	CHECK_ERR(coupon_vendor_next(&f.v[0].cfg, &f.v[0].s, reply.deadline - 60, &act, &treq, &served),
		  OBOL_E_COUPON_SESSION_DEADLINE);
	CHECK(act == COUPON_VA_END);
	cfx_free(&f);
}

/* Vendor 0 holds the lock of coin 0, has received tokens down to j. */
static void locked_and_paid(struct fx *f, uint64_t units)
{
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	if (cfx_open(f, 0, units, &req) != OBOL_OK || cfx_issuer_lock(f, &req, &reply, NULL) != OBOL_OK ||
	    coupon_vendor_on_lock_reply(&f->v[0].cfg, &f->v[0].s, &reply) != OBOL_OK ||
	    coupon_wallet_on_locked(&f->wc, &f->ws, f->coins, &reply) != OBOL_OK)
		return;
	for (int i = 0; i < 1000; i++) {
		enum coupon_vendor_action act;
		struct coupon_token_req treq;
		struct coupon_served served;
		enum coupon_wallet_answer ans;
		struct coupon_token tok;
		struct coupon_pay pay;
		size_t ci;
		if (coupon_vendor_next(&f->v[0].cfg, &f->v[0].s, f->now, &act, &treq, &served) != OBOL_OK ||
		    act == COUPON_VA_END)
			return;
		if (act == COUPON_VA_SERVE)
			continue;
		if (coupon_wallet_on_token_req(&f->wc, &f->ws, f->coins, f->ncoins, &treq, f->now, &ans, &tok, &pay) !=
			    OBOL_OK ||
		    coupon_vendor_on_token(&f->v[0].cfg, &f->v[0].s, &tok, f->now, &ci) != OBOL_OK)
			return;
	}
}

TEST(coupon_settle, checkpoint_then_final_and_repeats)
{
	SETUP(f);
	locked_and_paid(&f, 20);
	REQUIRE(f.v[0].s.coins[0].last_index == FX_N - 20);
	struct coupon_vendor_coin vc = f.v[0].s.coins[0];
	struct coupon_settle_req sreq;
	struct coupon_settle_reply r1, r2;
	/* checkpoint at 10 units */
	struct coupon_vendor_coin mid = vc;
	mid.last_index = FX_N - 10;
	obol_hashchain_step(mid.last_token, f.coins[0].seed, FX_N - 10);
	coupon_vendor_settle_req(&f.v[0].cfg, &mid, true, &sreq);
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r1));
	CHECK_OK(coupon_vendor_check_settle_reply(&f.v[0].cfg, &sreq, &r1));
	CHECK_EQ_INT(r1.credited_tokens, 10);
	CHECK(r1.locked);
	CHECK_EQ_INT(f.credited[0], 10);
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	CHECK(c->locked);
	/* the same checkpoint again answers the same, credits nothing */
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r2));
	CHECK_MEM_EQ(&r1, &r2, sizeof(r1));
	CHECK_EQ_INT(f.credited[0], 10);
	/* final at 20 */
	coupon_vendor_settle_req(&f.v[0].cfg, &vc, false, &sreq);
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r1));
	CHECK_EQ_INT(r1.credited_tokens, 10);
	CHECK(!r1.locked);
	CHECK(!r1.spent);
	CHECK_EQ_INT(f.credited[0], 20);
	CHECK(!c->locked);
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r2));
	CHECK_MEM_EQ(&r1, &r2, sizeof(r1));
	CHECK_EQ_INT(f.credited[0], 20);
	/* a changed reply fails the vendor's check */
	r2.credited_tokens = 11;
	CHECK_ERR(coupon_vendor_check_settle_reply(&f.v[0].cfg, &sreq, &r2), OBOL_E_COUPON_SETTLE_REPLY_INVALID);
	cfx_free(&f);
}

TEST(coupon_settle, refusals)
{
	SETUP(f);
	locked_and_paid(&f, 20);
	REQUIRE(f.v[0].s.coins[0].last_index == FX_N - 20);
	struct coupon_vendor_coin vc = f.v[0].s.coins[0];
	struct coupon_settle_req sreq;
	struct coupon_settle_reply r;
	/* unknown coin */
	struct coupon_vendor_coin other = vc;
	other.coin_id[0] ^= 1;
	coupon_vendor_settle_req(&f.v[0].cfg, &other, false, &sreq);
	CHECK_ERR(cfx_issuer_settle(&f, &sreq, &r), OBOL_E_COUPON_COIN_UNKNOWN);
	/* by a vendor that does not hold the lock */
	coupon_vendor_settle_req(&f.v[1].cfg, &vc, false, &sreq);
	CHECK_ERR(cfx_issuer_settle(&f, &sreq, &r), OBOL_E_COUPON_NOT_LOCK_HOLDER);
	/* vendor 0's request with its signature broken */
	coupon_vendor_settle_req(&f.v[0].cfg, &vc, false, &sreq);
	sreq.vendor_sig[1] ^= 1;
	CHECK_ERR(cfx_issuer_settle(&f, &sreq, &r), OBOL_E_COUPON_VENDOR_SIGNATURE);
	/* past the revealed tokens: an index below what the token is */
	struct coupon_vendor_coin past = vc;
	past.last_index = FX_N - 25;
	coupon_vendor_settle_req(&f.v[0].cfg, &past, false, &sreq);
	CHECK_ERR(cfx_issuer_settle(&f, &sreq, &r), OBOL_E_COUPON_SETTLE_NOT_IN_CHAIN);
	/* an index above F's last */
	past = vc;
	past.last_index = FX_N;
	coupon_vendor_settle_req(&f.v[0].cfg, &past, false, &sreq);
	CHECK_ERR(cfx_issuer_settle(&f, &sreq, &r), OBOL_E_COUPON_SETTLE_INDEX);
	CHECK_EQ_INT(f.credited[0], 0);
	CHECK_EQ_INT(f.credited[1], 0);
	/* the honest settle */
	coupon_vendor_settle_req(&f.v[0].cfg, &vc, false, &sreq);
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r));
	CHECK_EQ_INT(f.credited[0], 20);
	/* after the unlock, nobody holds it */
	coupon_vendor_settle_req(&f.v[1].cfg, &vc, false, &sreq);
	CHECK_ERR(cfx_issuer_settle(&f, &sreq, &r), OBOL_E_COUPON_NOT_LOCK_HOLDER);
	cfx_free(&f);
}

/* A vendor that renewed its certificate while a coin was locked to it
 * (src/issuer/vendors.h): the settle carrying the new C of the same key and
 * account is the lock holder's; the reply to a settle sent with the old C
 * checks against the request's C, whatever C the vendor holds now. */
TEST(coupon_settle, renewed_certificate_still_holds_the_lock)
{
	SETUP(f);
	locked_and_paid(&f, 20);
	struct coupon_vendor_coin vc = f.v[0].s.coins[0];
	struct coupon_settle_req sreq;
	struct coupon_settle_reply r;
	uint8_t renewed[COUPON_CERT_MAX], stranger[COUPON_CERT_MAX];
	size_t renewed_len, stranger_len;
	cfx_cert_make(renewed, &renewed_len, f.v[0].kp.pk, 100, FX_NOW + 3600, FX_NOW + 400 * 86400, f.master.sk);
	/* the same key under another account: not the holder */
	cfx_cert_make(stranger, &stranger_len, f.v[0].kp.pk, 101, FX_NOW + 3600, FX_NOW + 400 * 86400, f.master.sk);
	struct coupon_vendor_cfg now_cfg = f.v[0].cfg, odd_cfg = f.v[0].cfg;
	now_cfg.cert = renewed;
	now_cfg.cert_len = renewed_len;
	obol_sha256(now_cfg.cert_hash, renewed, renewed_len);
	odd_cfg.cert = stranger;
	odd_cfg.cert_len = stranger_len;
	obol_sha256(odd_cfg.cert_hash, stranger, stranger_len);

	coupon_vendor_settle_req(&odd_cfg, &vc, true, &sreq);
	CHECK_ERR(cfx_issuer_settle(&f, &sreq, &r), OBOL_E_COUPON_NOT_LOCK_HOLDER);
	/* a checkpoint with the old C, answered after the renewal */
	struct coupon_vendor_coin part = vc;
	part.last_index = FX_N - 10;
	obol_hashchain_step(part.last_token, f.coins[0].seed, FX_N - 10);
	coupon_vendor_settle_req(&f.v[0].cfg, &part, true, &sreq);
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r));
	CHECK_EQ_INT(r.credited_tokens, 10);
	REQUIRE_OK(coupon_vendor_check_settle_reply(&now_cfg, &sreq, &r));
	/* the final settle with the renewed C */
	coupon_vendor_settle_req(&now_cfg, &vc, false, &sreq);
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r));
	CHECK_EQ_INT(r.credited_tokens, 10);
	REQUIRE_OK(coupon_vendor_check_settle_reply(&now_cfg, &sreq, &r));
	CHECK_EQ_INT(f.credited[0], 20);
	CHECK_EQ_INT(f.credited[1], 0);
	cfx_free(&f);
}

TEST(coupon_status, lock_holder_only)
{
	SETUP(f);
	locked_and_paid(&f, 5);
	struct coupon_status_req q = { 0 };
	struct coupon_status_reply r;
	uint8_t digest[32];
	memcpy(q.coin_id, f.coins[0].coin.id, 32);
	memcpy(q.cert, f.v[0].cert, f.v[0].cert_len);
	q.cert_len = f.v[0].cert_len;
	q.time = f.now;
	coupon_digest_status_req(digest, &q, f.v[0].cfg.cert_hash);
	obol_sign(q.vendor_sig, COUPON_CTX_STATUS_REQ, digest, 32, f.v[0].kp.sk);
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	REQUIRE(c != NULL);
	REQUIRE_OK(coupon_issuer_status(&f.is, &q, c, f.now, &r));
	CHECK(r.locked);
	CHECK_EQ_INT(r.last_index, FX_N - 1);
	CHECK_ERR(coupon_issuer_status(&f.is, &q, c, f.now + 301, &r), OBOL_E_COUPON_REQUEST_STALE);
	CHECK_ERR(coupon_issuer_status(&f.is, &q, NULL, f.now, &r), OBOL_E_COUPON_COIN_UNKNOWN);
	/* vendor 1 asking */
	memcpy(q.cert, f.v[1].cert, f.v[1].cert_len);
	coupon_digest_status_req(digest, &q, f.v[1].cfg.cert_hash);
	obol_sign(q.vendor_sig, COUPON_CTX_STATUS_REQ, digest, 32, f.v[1].kp.sk);
	CHECK_ERR(coupon_issuer_status(&f.is, &q, c, f.now, &r), OBOL_E_COUPON_NOT_LOCK_HOLDER);
	q.vendor_sig[0] ^= 1;
	CHECK_ERR(coupon_issuer_status(&f.is, &q, c, f.now, &r), OBOL_E_COUPON_VENDOR_SIGNATURE);
	cfx_free(&f);
}

TEST(coupon_session, prepayment_window)
{
	SETUP(f);
	struct coupon_buy buy;
	struct coupon_offer offer;
	struct coupon_pay pay;
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	enum coupon_vendor_action act;
	struct coupon_token_req treq;
	struct coupon_served served;
	enum coupon_wallet_answer ans;
	struct coupon_token tok;
	size_t ci;
	/* the wallet lets the vendor ask for 10 units at a time */
	memset(&f.v[0].s, 0, sizeof(f.v[0].s));
	REQUIRE_OK(coupon_wallet_buy(&f.ws, 25, &buy));
	f.ws.ahead = buy.ahead = 10;
	REQUIRE_OK(coupon_vendor_start(&f.v[0].cfg, &f.v[0].s, &buy, f.now, &offer));
	REQUIRE_OK(coupon_wallet_on_offer(&f.wc, &f.ws, f.coins, f.ncoins, &offer, f.now, &pay));
	REQUIRE_OK(coupon_vendor_on_pay(&f.v[0].cfg, &f.v[0].s, &pay, f.now, &req));
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	REQUIRE_OK(coupon_vendor_on_lock_reply(&f.v[0].cfg, &f.v[0].s, &reply));
	REQUIRE_OK(coupon_wallet_on_locked(&f.wc, &f.ws, f.coins, &reply));
	REQUIRE_OK(coupon_vendor_next(&f.v[0].cfg, &f.v[0].s, f.now, &act, &treq, &served));
	REQUIRE(act == COUPON_VA_SERVE); /* the lock token */
	REQUIRE_OK(coupon_vendor_next(&f.v[0].cfg, &f.v[0].s, f.now, &act, &treq, &served));
	REQUIRE(act == COUPON_VA_ASK);
	CHECK_EQ_INT(treq.count, 10);
	/* a vendor asking for more than the window is refused by the wallet */
	struct coupon_token_req greedy = { .count = 11 };
	CHECK_ERR(coupon_wallet_on_token_req(&f.wc, &f.ws, f.coins, f.ncoins, &greedy, f.now, &ans, &tok, &pay),
		  OBOL_E_COUPON_TOKEN_TOO_MANY);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 1);
	/* one token message pays ten units */
	REQUIRE_OK(coupon_wallet_on_token_req(&f.wc, &f.ws, f.coins, f.ncoins, &treq, f.now, &ans, &tok, &pay));
	REQUIRE(ans == COUPON_WA_TOKEN);
	CHECK_EQ_INT(tok.index, FX_N - 11);
	REQUIRE_OK(coupon_vendor_on_token(&f.v[0].cfg, &f.v[0].s, &tok, f.now, &ci));
	int serves = 0;
	for (;;) {
		REQUIRE_OK(coupon_vendor_next(&f.v[0].cfg, &f.v[0].s, f.now, &act, &treq, &served));
		if (act != COUPON_VA_SERVE)
			break;
		serves++;
	}
	CHECK_EQ_INT(serves, 10);
	/* the last ask is bounded by the units left: 25 - 11 served = 14 > 10 */
	CHECK(act == COUPON_VA_ASK);
	CHECK_EQ_INT(treq.count, 10);
	cfx_free(&f);
}

TEST(coupon_settle, chain_checked_ahead_must_still_hold)
{
	SETUP(f);
	locked_and_paid(&f, 10);
	REQUIRE(f.v[0].s.coins[0].last_index == FX_N - 10);
	struct coupon_settle_req sreq;
	struct coupon_cert cert;
	struct coupon_chain_checked pre;
	struct coupon_settle_effect eff;
	coupon_vendor_settle_req(&f.v[0].cfg, &f.v[0].s.coins[0], false, &sreq);
	REQUIRE_OK(coupon_issuer_settle_verify(&f.is, &sreq, &cert));
	struct coupon_coin_state *cur = cfx_coin(&f, f.coins[0].coin.id);
	REQUIRE(cur != NULL);
	/* checked ahead against the coin as read */
	REQUIRE_OK(coupon_issuer_settle_chain(&f.is, &sreq, cur, &pre));
	CHECK_OK(coupon_issuer_settle_apply(&f.is, &sreq, &cert, cur, NULL, &pre, &eff));
	CHECK_EQ_INT(eff.credit_tokens, 10);
	/* the coin changed in between: check again */
	struct coupon_coin_state moved = *cur;
	moved.last_token[0] ^= 1;
	CHECK_ERR(coupon_issuer_settle_apply(&f.is, &sreq, &cert, &moved, NULL, &pre, &eff), OBOL_E_STORE_CONFLICT);
	/* a token that does not chain is refused ahead, an index above the last too */
	struct coupon_settle_req bad = sreq;
	bad.token[0] ^= 1;
	CHECK_ERR(coupon_issuer_settle_chain(&f.is, &bad, cur, &pre), OBOL_E_COUPON_SETTLE_NOT_IN_CHAIN);
	bad = sreq;
	bad.index = FX_N;
	CHECK_ERR(coupon_issuer_settle_chain(&f.is, &bad, cur, &pre), OBOL_E_COUPON_SETTLE_INDEX);
	cfx_free(&f);
}

/* Case: a vendor's delayed settle of session 1 must not end its session 2 on
 * the same coin. Each settle names the lock it ends. */
TEST(coupon_settle, a_late_settle_never_ends_a_later_lock)
{
	SETUP(f);
	struct coupon_wallet_order order = { .units = 10, .ahead = 1 };
	struct coupon_settle_req late, sreq;
	struct coupon_settle_reply r;
	/* session 1 at vendor 0: lock at 99, tokens down to 90; its settle is
	 * delayed past T */
	REQUIRE_OK(cfx_run_order(&f, 0, &order));
	struct coupon_vendor_coin first = f.v[0].s.coins[0];
	REQUIRE(first.last_index == FX_N - 10 && first.has_lock);
	coupon_vendor_settle_req(&f.v[0].cfg, &first, false, &late);
	f.now += 700;
	/* session 2 at vendor 0 on the same coin: the wallet pays on from 89,
	 * which proves it revealed 98..90 under the lapsed lock: vendor 0 is
	 * credited them with the lock token as the new lock replaces it */
	order.units = 5;
	REQUIRE_OK(cfx_run_order(&f, 0, &order));
	CHECK_EQ_INT(f.credited[0], 10);
	struct coupon_vendor_coin second = f.v[0].s.coins[0];
	CHECK_EQ_INT(second.lock_index, FX_N - 11);
	CHECK(memcmp(first.lock, second.lock, 32) != 0);
	/* the late settle of lock 1 arrives: it ends nothing */
	CHECK_ERR(cfx_issuer_settle(&f, &late, &r), OBOL_E_COUPON_LOCK_ENDED);
	struct coupon_coin_state *c = cfx_coin(&f, f.coins[0].coin.id);
	CHECK(c->locked);
	CHECK_EQ_INT(c->last_index, FX_N - 11);
	CHECK_EQ_INT(f.credited[0], 10);
	/* lock 2's own settle is credited in full: every token once */
	coupon_vendor_settle_req(&f.v[0].cfg, &second, false, &sreq);
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r));
	CHECK_OK(coupon_vendor_check_settle_reply(&f.v[0].cfg, &sreq, &r));
	CHECK_EQ_INT(r.credited_tokens, 5);
	CHECK_EQ_INT(f.credited[0], 15);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 15);
	CHECK(!c->locked);
	cfx_free(&f);
}

/* Case: a lock holder claiming j far below the last index makes the issuer
 * walk at most COUPON_SETTLE_SPAN_MAX tokens: beyond that it is refused
 * before any hashing. */
TEST(coupon_settle, one_settle_walks_a_bounded_span)
{
	SETUP(f);
	struct coupon_coin_state cur = { .denom = 1, .last_index = COUPON_SETTLE_SPAN_MAX + 1000, .locked = true };
	struct coupon_settle_req req = { .index = 0 };
	struct coupon_chain_checked chk;
	obol_random(cur.coin_id, 32);
	obol_random(cur.last_token, 32);
	memcpy(req.coin_id, cur.coin_id, 32);
	obol_random(req.token, 32);
	CHECK_ERR(coupon_issuer_settle_chain(&f.is, &req, &cur, &chk), OBOL_E_COUPON_SETTLE_SPAN);
	req.index = 999;
	CHECK_ERR(coupon_issuer_settle_chain(&f.is, &req, &cur, &chk), OBOL_E_COUPON_SETTLE_SPAN);
	/* at the bound: walked, and a junk token fails the walk */
	req.index = 1000;
	CHECK_ERR(coupon_issuer_settle_chain(&f.is, &req, &cur, &chk), OBOL_E_COUPON_SETTLE_NOT_IN_CHAIN);
	/* the real chain at the bound passes */
	uint8_t seed[32];
	obol_random(seed, 32);
	obol_hashchain_step(req.token, seed, 0);
	obol_hashchain_step(cur.last_token, seed, COUPON_SETTLE_SPAN_MAX);
	cur.last_index = COUPON_SETTLE_SPAN_MAX;
	req.index = 0;
	CHECK_OK(coupon_issuer_settle_chain(&f.is, &req, &cur, &chk));
	/* a vendor never asks more than a quarter of the bound at once */
	CHECK(COUPON_VENDOR_ASK_MAX * 4 <= COUPON_SETTLE_SPAN_MAX);
	cfx_free(&f);
}

/* Case: the vendor takes no token it would not serve once T - margin has
 * come; its timer settles then (coupon_vendor_settle_due). */
TEST(coupon_vendor, the_deadline_margin_ends_the_session)
{
	SETUP(f);
	struct fx_vendor *vd = &f.v[0];
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	REQUIRE_OK(cfx_open(&f, 0, 5, &req));
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	REQUIRE_OK(coupon_vendor_on_lock_reply(&vd->cfg, &vd->s, &reply));
	REQUIRE_OK(coupon_wallet_on_locked(&f.wc, &f.ws, f.coins, &reply));
	int64_t t = vd->s.deadline;
	CHECK(!coupon_vendor_settle_due(&vd->cfg, t, t - vd->cfg.margin_s - 1));
	CHECK(coupon_vendor_settle_due(&vd->cfg, t, t - vd->cfg.margin_s));
	/* the lock token serves unit 1, then an ask, answered at T - margin */
	enum coupon_vendor_action act;
	struct coupon_token_req treq;
	struct coupon_served served;
	struct coupon_token tok;
	enum coupon_wallet_answer ans;
	struct coupon_pay pay;
	size_t ci;
	REQUIRE_OK(coupon_vendor_next(&vd->cfg, &vd->s, f.now, &act, &treq, &served));
	REQUIRE(act == COUPON_VA_SERVE);
	REQUIRE_OK(coupon_vendor_next(&vd->cfg, &vd->s, f.now, &act, &treq, &served));
	REQUIRE(act == COUPON_VA_ASK);
	REQUIRE_OK(coupon_wallet_on_token_req(&f.wc, &f.ws, f.coins, f.ncoins, &treq, f.now, &ans, &tok, &pay));
	uint64_t before = vd->s.coins[0].last_index;
	CHECK_ERR(coupon_vendor_on_token(&vd->cfg, &vd->s, &tok, t - vd->cfg.margin_s, &ci),
		  OBOL_E_COUPON_SESSION_DEADLINE);
	CHECK_EQ_INT(vd->s.coins[0].last_index, before);
	CHECK_OK(coupon_vendor_on_token(&vd->cfg, &vd->s, &tok, t - vd->cfg.margin_s - 1, &ci));
	cfx_free(&f);
}

/* Case: a long session checkpoints, by tokens or by time. */
TEST(coupon_vendor, checkpoints_are_due_by_tokens_or_by_time)
{
	SETUP(f);
	struct coupon_vendor_cfg cfg = f.v[0].cfg;
	cfg.checkpoint_tokens = 10;
	cfg.checkpoint_s = 60;
	CHECK(!coupon_vendor_checkpoint_due(&cfg, 99, f.now, 99, f.now + 3600)); /* nothing new */
	CHECK(!coupon_vendor_checkpoint_due(&cfg, 99, f.now, 90, f.now + 59));
	CHECK(coupon_vendor_checkpoint_due(&cfg, 99, f.now, 89, f.now));
	CHECK(coupon_vendor_checkpoint_due(&cfg, 99, f.now, 98, f.now + 60));
	cfg.checkpoint_s = 0;
	CHECK(!coupon_vendor_checkpoint_due(&cfg, 99, f.now, 98, f.now + 100000));
	/* never more tokens than one settle may claim */
	cfg.checkpoint_tokens = 0;
	CHECK(coupon_vendor_checkpoint_due(&cfg, 100000, f.now, 100000 - COUPON_VENDOR_ASK_MAX, f.now));
	CHECK(!coupon_vendor_checkpoint_due(&cfg, 100000, f.now, 100001 - COUPON_VENDOR_ASK_MAX, f.now));
	/* a checkpoint settle is credited, keeps the lock, and names it */
	locked_and_paid(&f, 12);
	struct coupon_settle_req sreq;
	struct coupon_settle_reply r;
	coupon_vendor_settle_req(&f.v[0].cfg, &f.v[0].s.coins[0], true, &sreq);
	CHECK(sreq.has_lock);
	REQUIRE_OK(cfx_issuer_settle(&f, &sreq, &r));
	CHECK(r.locked);
	CHECK_EQ_INT(r.credited_tokens, 12);
	cfx_free(&f);
}
