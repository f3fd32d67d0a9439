/* What a refusal may do to a wallet (P3), and what the issuer says about a
 * coin and to whom (P7): only a refusal the issuer signed for this very PAY
 * changes a coin; the issuer names a coin's state only to a request whose
 * token proves the holder; the holder's status query answers it alone. */
#include <string.h>

#include "../test.h"
#include "crypto/secret.h"
#include "fixture.h"

#define SETUP(f)                   \
	static struct fx f;        \
	REQUIRE(cfx_init(&f) == 0); \
	REQUIRE_OK(cfx_withdraw(&f, 0))

/* The wallet's PAY at vendor v for units, up to the lock request. */
static obol_err pay_at(struct fx *f, int v, uint64_t units, struct coupon_lock_req *req)
{
	memset(&f->ws, 0, sizeof(f->ws));
	return cfx_open(f, v, units, req);
}

TEST(coupon_refusal, made_up_refusals_write_no_coin_off)
{
	SETUP(f);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	struct coupon_lock_req req;
	struct coupon_error err;
	struct coupon_pay pay;
	bool retry;
	REQUIRE_OK(pay_at(&f, 0, 5, &req));
	size_t a = f.ws.coin;
	/* the vendor (or anyone on the link) says the coin is spent: unsigned */
	coupon_error_set(&err, OBOL_E_COUPON_COIN_SPENT, NULL);
	REQUIRE_OK(coupon_wallet_on_error(&f.wc, &f.ws, f.coins, f.ncoins, &err, f.now, &retry, &pay));
	CHECK(retry);
	CHECK_EQ_INT(f.coins[a].last_index, FX_N);
	CHECK(f.coins[a].in_doubt);
	size_t b = f.ws.coin;
	CHECK(b != a);
	/* index 0 with a signature that is not the issuer's */
	uint64_t zero = 0;
	coupon_error_set(&err, OBOL_E_COUPON_INDEX_MISMATCH, &zero);
	err.has_locked_until = true;
	err.has_issuer_sig = true;
	obol_random(err.issuer_sig, sizeof(err.issuer_sig));
	CHECK_ERR(coupon_wallet_on_error(&f.wc, &f.ws, f.coins, f.ncoins, &err, f.now, &retry, &pay),
		  OBOL_E_COUPON_NO_COIN);
	CHECK_EQ_INT(f.coins[b].last_index, FX_N);
	CHECK(f.coins[b].in_doubt);
	/* both coins are whole: the issuer says so to their holder */
	struct coupon_coin_status st;
	REQUIRE_OK(cfx_sync(&f, a, &st));
	REQUIRE_OK(cfx_sync(&f, b, &st));
	CHECK(!f.coins[a].in_doubt && !f.coins[b].in_doubt);
	REQUIRE_OK(cfx_session(&f, 1, 150));
	CHECK_EQ_INT(f.credited[1], 150);
	cfx_free(&f);
}

TEST(coupon_refusal, a_signed_refusal_counts_only_for_its_own_pay)
{
	SETUP(f);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_error locked_err, err;
	struct coupon_pay pay;
	bool retry;
	/* coin A is locked at vendor 1 until T1 and never settled */
	REQUIRE_OK(pay_at(&f, 1, 5, &req));
	size_t a = f.ws.coin;
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	REQUIRE_OK(coupon_wallet_on_locked(&f.wc, &f.ws, f.coins, &reply));
	int64_t t1 = reply.deadline;
	/* the wallet forgets; at vendor 0 its PAY with A is refused, signed:
	 * A is set aside until T1, exactly, and B pays */
	f.coins[a].lock_open = false;
	f.now += 10;
	REQUIRE_OK(pay_at(&f, 0, 5, &req));
	REQUIRE(f.ws.coin == a);
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, &locked_err), OBOL_E_COUPON_COIN_LOCKED);
	REQUIRE(locked_err.has_issuer_sig);
	CHECK_EQ_INT(locked_err.locked_until, t1);
	REQUIRE_OK(coupon_wallet_on_error(&f.wc, &f.ws, f.coins, f.ncoins, &locked_err, f.now, &retry, &pay));
	CHECK(retry);
	CHECK(f.coins[a].lock_open && !f.coins[a].in_doubt);
	CHECK_EQ_INT(f.coins[a].locked_until, t1);
	size_t b = f.ws.coin;
	/* the same signed refusal replayed against another PAY of A (another
	 * box): it does not verify there, so it changes nothing */
	f.coins[a].lock_open = f.coins[b].lock_open = false;
	f.coins[a].locked_until = 0;
	REQUIRE_OK(pay_at(&f, 0, 5, &req));
	REQUIRE(f.ws.coin == a);
	err = locked_err;
	REQUIRE_OK(coupon_wallet_on_error(&f.wc, &f.ws, f.coins, f.ncoins, &err, f.now, &retry, &pay));
	CHECK(f.coins[a].in_doubt);
	CHECK(!f.coins[a].lock_open);
	CHECK_EQ_INT(f.coins[a].last_index, FX_N - 1);
	cfx_free(&f);
}

TEST(coupon_refusal, a_vendor_that_saw_the_coin_learns_nothing_of_it)
{
	SETUP(f);
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_error err;
	/* 10 units at vendor 0, settled: the issuer's last index is 90, and
	 * vendor 0 holds tokens 99..90 */
	REQUIRE_OK(cfx_session(&f, 0, 10));
	uint8_t seen[FX_N][32];
	for (uint64_t j = 90; j < FX_N; j++)
		obol_hashchain_step(seen[j], f.coins[0].seed, j);
	/* vendor 0 polls the coin with boxes of its own making: junk tokens
	 * below and above the issuer's index, and tokens it holds. Every one
	 * gets the same answer, which names nothing */
	static const uint64_t at[] = { 10, 50, 80, 88, 89, 90, 91, 95, 98, 99 };
	for (size_t k = 0; k < OBOL_ARRAY_LEN(at); k++) {
		for (int junk = 0; junk < 2; junk++) {
			struct coupon_auth a = { .index = at[k], .deadline = f.now + 600 };
			memcpy(a.coin_id, f.coins[0].coin.id, 32);
			memcpy(a.cert_hash, f.v[0].cfg.cert_hash, 32);
			if (junk || at[k] < 90)
				obol_random(a.token, 32);
			else
				memcpy(a.token, seen[at[k]], 32);
			memset(&req, 0, sizeof(req));
			req.coin = f.coins[0].coin;
			REQUIRE_OK(coupon_auth_seal(&a, f.box.pk, req.auth));
			memcpy(req.cert, f.v[0].cert, f.v[0].cert_len);
			req.cert_len = f.v[0].cert_len;
			req.deadline = a.deadline;
			uint8_t digest[32];
			coupon_digest_lock_req(digest, &req, f.v[0].cfg.cert_hash);
			obol_sign(req.vendor_sig, COUPON_CTX_LOCK_REQ, digest, 32, f.v[0].kp.sk);
			CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, &err), OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN);
			CHECK_EQ_INT(err.last_index, 0);
			CHECK_EQ_INT(err.locked_until, 0);
		}
	}
	/* the holder, with a token below the issuer's, is told (signed) */
	f.coins[0].last_index = 85;
	REQUIRE_OK(pay_at(&f, 1, 3, &req));
	CHECK_ERR(cfx_issuer_lock(&f, &req, &reply, &err), OBOL_E_COUPON_INDEX_MISMATCH);
	CHECK_EQ_INT(err.last_index, 90);
	CHECK(err.has_issuer_sig);
	cfx_free(&f);
}

TEST(coupon_refusal, the_holder_alone_learns_where_its_coin_stands)
{
	SETUP(f);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	struct coupon_coin_status st;
	struct coupon_wallet_query q;
	struct coupon_coin_status_req req;
	struct coupon_coin_status_reply reply;
	struct coupon_query opened;
	uint8_t qh[32];
	/* a coin the issuer has not seen: n, unknown */
	REQUIRE_OK(cfx_sync(&f, 1, &st));
	CHECK(!st.known);
	CHECK_EQ_INT(st.last_index, FX_N);
	/* after 10 units at vendor 0 */
	REQUIRE_OK(cfx_session(&f, 0, 10));
	f.coins[0].last_index = FX_N; /* the wallet lost track */
	REQUIRE_OK(cfx_sync(&f, 0, &st));
	CHECK(st.known && !st.locked);
	CHECK_EQ_INT(st.last_index, FX_N - 10);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 10);
	/* vendor 0 asks with tokens it holds, or junk: refused, the same way */
	static const uint64_t at[] = { 90, 95, 99, 80, 0 };
	for (size_t k = 0; k < OBOL_ARRAY_LEN(at); k++) {
		struct coupon_query body = { .denom = 1, .index = at[k] };
		memcpy(body.coin_id, f.coins[0].coin.id, 32);
		if (at[k] >= 90)
			obol_hashchain_step(body.token, f.coins[0].seed, at[k]);
		else
			obol_random(body.token, 32);
		obol_random(body.reply_key, 32);
		REQUIRE_OK(coupon_query_seal(&body, f.box.pk, req.box));
		REQUIRE_OK(coupon_issuer_query_open(&f.is, &req, &opened, qh));
		CHECK_ERR(coupon_issuer_query_answer(&f.is, &opened, qh, cfx_coin(&f, body.coin_id), &st),
			  OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN);
	}
	/* the answer opens only under its query's key, and only for that query */
	REQUIRE_OK(coupon_wallet_query_make(&f.wc, &f.coins[0], 0, &q, &req));
	REQUIRE_OK(coupon_issuer_query_open(&f.is, &req, &opened, qh));
	REQUIRE_OK(coupon_issuer_query_answer(&f.is, &opened, qh, cfx_coin(&f, opened.coin_id), &st));
	REQUIRE_OK(coupon_coin_status_seal(&st, opened.reply_key, &reply));
	struct coupon_wallet_query other = q;
	obol_random(other.reply_key, 32);
	CHECK_ERR(coupon_wallet_query_apply(&f.wc, &f.coins[0], &other, &reply, f.now, &st),
		  OBOL_E_COUPON_STATUS_REPLY_INVALID);
	other = q;
	other.query_hash[0] ^= 1;
	CHECK_ERR(coupon_wallet_query_apply(&f.wc, &f.coins[0], &other, &reply, f.now, &st),
		  OBOL_E_COUPON_STATUS_REPLY_INVALID);
	CHECK_OK(coupon_wallet_query_apply(&f.wc, &f.coins[0], &q, &reply, f.now, &st));
	/* spent to its end: the holder learns it (its seed proves it) */
	REQUIRE_OK(cfx_session(&f, 1, 90));
	f.coins[0].last_index = 40;
	REQUIRE_OK(cfx_sync(&f, 0, &st));
	CHECK_EQ_INT(st.credited_index, 0);
	CHECK_EQ_INT(f.coins[0].last_index, 0);
	cfx_free(&f);
}
