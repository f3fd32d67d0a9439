/* P2 (consent) at the wallet core: whatever a vendor reports or asks, the
 * wallet reveals no token past the payer's maximum amount and none that
 * starts beyond the units times the price it accepted. */
#include <string.h>

#include "../test.h"
#include "fixture.h"

/* Sets up a session at vendor 0 under `order` and locks its first coin. */
static obol_err locked(struct fx *f, const struct coupon_wallet_order *order)
{
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	obol_err e;
	if ((e = cfx_open_order(f, 0, order, &req)) != OBOL_OK ||
	    (e = cfx_issuer_lock(f, &req, &reply, NULL)) != OBOL_OK ||
	    (e = coupon_vendor_on_lock_reply(&f->v[0].cfg, &f->v[0].s, &reply)) != OBOL_OK)
		return e;
	return coupon_wallet_on_locked(&f->wc, &f->ws, f->coins, &reply);
}

/* A vendor that answers every TOKEN with another TOKEN_REQ for `count`
 * tokens and never sends SERVED; it locks the next coin when the wallet pays
 * with one. Returns the wallet's first refusal; *tokens counts what it got,
 * lock tokens included. */
static obol_err greedy(struct fx *f, uint64_t count, uint64_t *tokens)
{
	*tokens = 1; /* the first lock token */
	for (int i = 0; i < 100000; i++) {
		struct coupon_token_req treq = { .count = count };
		enum coupon_wallet_answer ans;
		struct coupon_token tok;
		struct coupon_pay pay;
		uint64_t before = f->coins[f->ws.coin].last_index;
		obol_err e = coupon_wallet_on_token_req(&f->wc, &f->ws, f->coins, f->ncoins, &treq, f->now, &ans, &tok,
							&pay);
		if (e != OBOL_OK)
			return e;
		if (ans == COUPON_WA_TOKEN) {
			*tokens += before - tok.index;
			continue;
		}
		if (ans != COUPON_WA_PAY)
			return OBOL_E_INTERNAL; /* the wallet never ends: no SERVED came */
		struct coupon_lock_req req;
		struct coupon_lock_reply reply;
		/* this vendor keeps no books of its own: a fresh lock each time */
		f->v[0].s.state = COUPON_VS_OFFERED;
		f->v[0].s.ncoins = 0;
		if ((e = coupon_vendor_on_pay(&f->v[0].cfg, &f->v[0].s, &pay, f->now, &req)) != OBOL_OK ||
		    (e = cfx_issuer_lock(f, &req, &reply, NULL)) != OBOL_OK ||
		    (e = coupon_vendor_on_lock_reply(&f->v[0].cfg, &f->v[0].s, &reply)) != OBOL_OK ||
		    (e = coupon_wallet_on_locked(&f->wc, &f->ws, f->coins, &reply)) != OBOL_OK)
			return e;
		(*tokens)++;
	}
	return OBOL_E_INTERNAL;
}

static uint64_t tokens_left(const struct fx *f)
{
	uint64_t n = 0;
	for (size_t i = 0; i < f->ncoins; i++)
		n += f->coins[i].last_index;
	return n;
}

TEST(coupon_consent, a_vendor_that_never_serves_gets_the_units_agreed)
{
	static struct fx f;
	uint64_t got;
	REQUIRE(cfx_init(&f) == 0);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	REQUIRE_OK(cfx_withdraw(&f, 0));
	REQUIRE_OK(cfx_withdraw(&f, 0));
	/* 10 units at EUR:0.01 (one token each): 10 tokens, then nothing */
	struct coupon_wallet_order order = { .units = 10, .ahead = 1 };
	REQUIRE_OK(locked(&f, &order));
	CHECK_ERR(greedy(&f, 1, &got), OBOL_E_COUPON_OVER_AGREED);
	CHECK_EQ_INT(got, 10);
	CHECK_EQ_INT(tokens_left(&f), 3 * FX_N - 10);
	cfx_free(&f);
}

TEST(coupon_consent, across_coins_the_count_goes_on)
{
	static struct fx f;
	uint64_t got;
	REQUIRE(cfx_init(&f) == 0);
	for (int i = 0; i < 4; i++)
		REQUIRE_OK(cfx_withdraw(&f, 0));
	/* 150 units need two coins of 100 tokens; a vendor asking ahead for
	 * 4 tokens at a time (4 units of window) gets at most 150 tokens, not
	 * 400: here 149, as the request that would cross 150 is refused whole */
	struct coupon_wallet_order order = { .units = 150, .ahead = 4 };
	REQUIRE_OK(locked(&f, &order));
	CHECK_ERR(greedy(&f, 4, &got), OBOL_E_COUPON_OVER_AGREED);
	CHECK_EQ_INT(got, 149);
	CHECK_EQ_INT(tokens_left(&f), 4 * FX_N - 149);
	cfx_free(&f);
}

TEST(coupon_consent, the_payers_maximum_is_enforced_in_the_core)
{
	static struct fx f;
	uint64_t got;
	REQUIRE(cfx_init(&f) == 0);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	struct coupon_lock_req req;
	/* a price above the maximum, or units * price above the maximum
	 * amount: refused at the offer, before any token leaves */
	struct coupon_wallet_order order = { .units = 10, .ahead = 1, .has_max_price = true };
	REQUIRE_OK(obol_amount_parse("EUR:0.005", &order.max_price));
	CHECK_ERR(cfx_open_order(&f, 0, &order, &req), OBOL_E_COUPON_OVER_MAX_PRICE);
	order = (struct coupon_wallet_order){ .units = 10, .ahead = 1, .has_max_amount = true };
	REQUIRE_OK(obol_amount_parse("EUR:0.09", &order.max_amount));
	CHECK_ERR(cfx_open_order(&f, 0, &order, &req), OBOL_E_COUPON_OVER_MAX_AMOUNT);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N);
	CHECK(!f.coins[0].lock_open);
	/* a price of 1.5 tokens: 3 units are EUR:0.045, which the tokens reach
	 * only rounded up; with the maximum at EUR:0.045 the fifth token is
	 * refused, nothing beyond the maximum is revealed */
	f.v[0].cfg.price.units = 1500000; /* EUR:0.015 */
	order = (struct coupon_wallet_order){ .units = 3, .ahead = 1, .has_max_amount = true };
	REQUIRE_OK(obol_amount_parse("EUR:0.045", &order.max_amount));
	REQUIRE_OK(locked(&f, &order));
	CHECK_ERR(greedy(&f, 1, &got), OBOL_E_COUPON_OVER_MAX_AMOUNT);
	CHECK_EQ_INT(got, 4);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 4);
	cfx_free(&f);
}

TEST(coupon_consent, an_honest_session_pays_the_price_rounded_up_to_a_token)
{
	static struct fx f;
	REQUIRE(cfx_init(&f) == 0);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	/* 3 units at EUR:0.015 with tokens of EUR:0.01: 5 tokens, the vendor
	 * serves all 3, and the core lets exactly that through */
	f.v[0].cfg.price.units = 1500000;
	struct coupon_wallet_order order = { .units = 3, .ahead = 1 };
	REQUIRE_OK(cfx_session_order(&f, 0, &order));
	CHECK_EQ_INT(f.v[0].s.units_served, 3);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 5);
	CHECK_EQ_INT(f.credited[0], 5);
	/* a budget: as many units as EUR:0.05 pays, at most EUR:0.05 revealed */
	order = (struct coupon_wallet_order){ .ahead = 1 };
	REQUIRE_OK(obol_amount_parse("EUR:0.05", &order.budget));
	f.v[0].cfg.price.units = 1000000;
	REQUIRE_OK(cfx_session_order(&f, 0, &order));
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 10);
	cfx_free(&f);
}
