/* The coupon scheme at the wallet U: withdraw, coin selection, the payment
 * session (wallet.h). */
#include "schemes/coupon/wallet.h"

#include <string.h>

#include "crypto/secret.h"
#include "core/clock.h"
#include "schemes/common/issuer_sig.h"

static const struct coupon_denom *find_denom(const struct coupon_wallet_cfg *cfg, uint64_t id)
{
	for (size_t i = 0; i < cfg->ndenoms; i++)
		if (cfg->denoms[i].id == id)
			return &cfg->denoms[i];
	return NULL;
}

/* ---- withdraw ---- */

obol_err coupon_wallet_withdraw_prepare(const struct coupon_denom *d, int64_t now, struct coupon_withdraw_pending *p,
					struct coupon_withdraw_req *req)
{
	uint8_t msg[COUPON_COIN_MSG_LEN];
	uint8_t prepared[OBOL_BLINDRSA_PREFIX_LEN + COUPON_COIN_MSG_LEN];
	size_t prepared_len;
	obol_err e;
	memset(p, 0, sizeof(*p));
	memset(req, 0, sizeof(*req));
	if (now < d->valid_from)
		return OBOL_E_COUPON_WITHDRAW_NOT_YET;
	if (now > d->withdraw_until)
		return OBOL_E_COUPON_WITHDRAW_CLOSED;
	p->denom = d->id;
	p->n = d->n;
	/* seed §4.1: "the user U generates a random seed S ... hash function H()
	 * is performed iteratively on the seed" */
	obol_random(p->seed, sizeof(p->seed));
	obol_hashchain_step(p->coin_id, p->seed, d->n);
	coupon_coin_message(msg, d->id, p->coin_id);
	if ((e = obol_blindrsa_prepare(OBOL_BLINDRSA_PSS_RANDOMIZED, msg, sizeof(msg), prepared, sizeof(prepared),
				       &prepared_len)) != OBOL_OK)
		goto out;
	if (prepared_len != sizeof(prepared)) {
		e = OBOL_E_INTERNAL;
		goto out;
	}
	memcpy(p->prefix, prepared, OBOL_BLINDRSA_PREFIX_LEN);
	req->denom = d->id;
	e = obol_blindrsa_blind(d->key, prepared, prepared_len, req->blinded, sizeof(req->blinded), &req->blinded_len,
				&p->blind);
out:
	if (e != OBOL_OK)
		coupon_wallet_pending_wipe(p);
	return e;
}

obol_err coupon_wallet_withdraw_finalize(const struct coupon_denom *d, struct coupon_withdraw_pending *p,
					 const struct coupon_withdraw_reply *r, struct coupon_wallet_coin *coin)
{
	obol_err e = OBOL_E_COUPON_DENOM_UNKNOWN;
	memset(coin, 0, sizeof(*coin));
	if (d->id != p->denom || r->denom != p->denom)
		goto out;
	/* seed §4.1 third phase: remove the blinding factor; RFC 9474 §4.4 also
	 * verifies the result. */
	e = obol_blindrsa_finalize(d->key, &p->blind, r->blind_sig, r->blind_sig_len, coin->coin.sig,
				   sizeof(coin->coin.sig), &coin->coin.sig_len);
	if (e != OBOL_OK)
		goto out;
	coin->coin.denom = d->id;
	memcpy(coin->coin.id, p->coin_id, COUPON_ID_LEN);
	memcpy(coin->coin.prefix, p->prefix, OBOL_BLINDRSA_PREFIX_LEN);
	if ((e = coupon_coin_verify(&coin->coin, d)) != OBOL_OK)
		goto out;
	memcpy(coin->seed, p->seed, sizeof(coin->seed));
	coin->n = d->n;
	coin->last_index = d->n;
	coupon_wallet_pending_wipe(p);
out:
	if (e != OBOL_OK)
		OBOL_WIPE(*coin);
	return e;
}

void coupon_wallet_pending_wipe(struct coupon_withdraw_pending *p)
{
	obol_blindrsa_state_wipe(&p->blind);
	OBOL_WIPE(*p);
}

/* ---- coin management ---- */

obol_err coupon_wallet_coin_value(const struct coupon_wallet_cfg *cfg, const struct coupon_wallet_coin *c,
				  struct obol_amount *out)
{
	const struct coupon_denom *d = find_denom(cfg, c->coin.denom);
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	return obol_amount_mul(out, &d->token_value, c->last_index);
}

static bool coin_usable(const struct coupon_wallet_cfg *cfg, const struct coupon_wallet_coin *c, const char *currency,
			int64_t deadline, int64_t now)
{
	const struct coupon_denom *d = find_denom(cfg, c->coin.denom);
	if (!d || c->last_index == 0 || strcmp(d->value.currency, currency) != 0 || d->spend_until < deadline)
		return false;
	return !(c->lock_open && c->locked_until > now);
}

/* Whether coin a is a better single-coin fit than b: less value, then an
 * opened coin before a whole one. */
static bool better_fit(const struct obol_amount *va, const struct coupon_wallet_coin *a, const struct obol_amount *vb,
		       const struct coupon_wallet_coin *b)
{
	if (va->units != vb->units)
		return va->units < vb->units;
	return a->last_index < a->n && b->last_index == b->n;
}

obol_err coupon_wallet_select(const struct coupon_wallet_cfg *cfg, const struct coupon_wallet_coin *coins,
			      size_t ncoins, const struct obol_amount *amount, int64_t deadline, int64_t now,
			      size_t *plan, size_t plan_cap, size_t *nplan)
{
	struct obol_amount v, best_v = { 0 }, total, rest;
	size_t best = SIZE_MAX;
	obol_err e;
	*nplan = 0;
	if ((e = obol_amount_zero(amount->currency, &total)) != OBOL_OK)
		return e;
	/* One coin that covers it, the least valuable that does. */
	for (size_t i = 0; i < ncoins; i++) {
		if (!coin_usable(cfg, &coins[i], amount->currency, deadline, now) ||
		    coupon_wallet_coin_value(cfg, &coins[i], &v) != OBOL_OK)
			continue;
		if ((e = obol_amount_add(&total, &total, &v)) != OBOL_OK)
			return e;
		if (v.units >= amount->units && (best == SIZE_MAX || better_fit(&v, &coins[i], &best_v, &coins[best]))) {
			best = i;
			best_v = v;
		}
	}
	if (best != SIZE_MAX) {
		if (plan_cap < 1)
			return OBOL_E_INVALID_ARGUMENT;
		plan[0] = best;
		*nplan = 1;
		return OBOL_OK;
	}
	if (total.units < amount->units)
		return OBOL_E_COUPON_NO_COIN;
	/* Several: the largest first until the rest fits in one more coin, which
	 * is then the least valuable one that covers the rest. */
	rest = *amount;
	while (rest.units > 0) {
		size_t pick = SIZE_MAX, fit = SIZE_MAX;
		struct obol_amount pick_v = { 0 }, fit_v = { 0 };
		for (size_t i = 0; i < ncoins; i++) {
			bool taken = false;
			for (size_t k = 0; k < *nplan; k++)
				taken |= plan[k] == i;
			if (taken || !coin_usable(cfg, &coins[i], amount->currency, deadline, now) ||
			    coupon_wallet_coin_value(cfg, &coins[i], &v) != OBOL_OK)
				continue;
			if (pick == SIZE_MAX || v.units > pick_v.units) {
				pick = i;
				pick_v = v;
			}
			if (v.units >= rest.units && (fit == SIZE_MAX || better_fit(&v, &coins[i], &fit_v, &coins[fit]))) {
				fit = i;
				fit_v = v;
			}
		}
		if (fit != SIZE_MAX) {
			pick = fit;
			pick_v = fit_v;
		}
		if (pick == SIZE_MAX)
			return OBOL_E_COUPON_NO_COIN;
		if (*nplan >= plan_cap)
			return OBOL_E_COUPON_NO_COIN;
		plan[(*nplan)++] = pick;
		if (obol_amount_sub(&rest, &rest, &pick_v) != OBOL_OK || obol_amount_is_negative(&rest))
			rest.units = 0; /* the picked coin covers the rest */
	}
	return OBOL_OK;
}

/* ---- the payment session ---- */

void coupon_wallet_session_wipe(struct coupon_wallet_session *s)
{
	obol_hashchain_trav_wipe(&s->trav);
	OBOL_WIPE(*s);
}

static bool limit_ok(bool has, const struct obol_amount *a)
{
	return !has || (obol_currency_valid(a->currency) && !obol_amount_is_negative(a));
}

obol_err coupon_wallet_order_start(struct coupon_wallet_session *s, const struct coupon_wallet_order *order,
				   struct coupon_buy *buy)
{
	uint64_t ahead = order->ahead ? order->ahead : 1;
	if (order->units > COUPON_UNITS_MAX || ahead > COUPON_AHEAD_MAX ||
	    !limit_ok(order->has_max_price, &order->max_price) || !limit_ok(order->has_max_amount, &order->max_amount))
		return OBOL_E_COUPON_PRICE;
	if (order->units == 0 && (obol_amount_is_zero(&order->budget) || obol_amount_is_negative(&order->budget)))
		return OBOL_E_COUPON_PRICE;
	coupon_wallet_session_wipe(s);
	s->order = *order;
	s->order.ahead = ahead;
	s->units_wanted = order->units ? order->units : COUPON_UNITS_MAX;
	s->ahead = ahead;
	buy->units = s->units_wanted;
	buy->ahead = ahead;
	s->state = COUPON_WS_WAIT_OFFER;
	return OBOL_OK;
}

obol_err coupon_wallet_buy(struct coupon_wallet_session *s, uint64_t units, struct coupon_buy *buy)
{
	struct coupon_wallet_order o = { .units = units, .ahead = 1 };
	if (units < 1)
		return OBOL_E_COUPON_PRICE;
	return coupon_wallet_order_start(s, &o, buy);
}

obol_err coupon_wallet_buy_amount(struct coupon_wallet_session *s, const struct obol_amount *budget,
				  struct coupon_buy *buy)
{
	struct coupon_wallet_order o = { .budget = *budget, .ahead = 1 };
	return coupon_wallet_order_start(s, &o, buy);
}

/* Whether k more tokens of value tv may be revealed (P2): never past the
 * payer's maximum amount, and never a token that starts at or beyond the
 * amount agreed, whatever the vendor says it served. */
static obol_err may_reveal(const struct coupon_wallet_session *s, const struct obol_amount *tv, uint64_t k)
{
	struct obol_amount add, after, start_of_last;
	obol_err e;
	int cmp;
	if (k == 0)
		return OBOL_OK;
	if ((e = obol_amount_mul(&add, tv, k)) != OBOL_OK || (e = obol_amount_add(&after, &s->revealed, &add)) != OBOL_OK)
		return e == OBOL_E_AMOUNT_OVERFLOW ? OBOL_E_COUPON_OVER_AGREED : e;
	if (s->order.has_max_amount) {
		if ((e = obol_amount_cmp(&after, &s->order.max_amount, &cmp)) != OBOL_OK)
			return e;
		if (cmp > 0)
			return OBOL_E_COUPON_OVER_MAX_AMOUNT;
	}
	if ((e = obol_amount_sub(&start_of_last, &after, tv)) != OBOL_OK ||
	    (e = obol_amount_cmp(&start_of_last, &s->agreed, &cmp)) != OBOL_OK)
		return e;
	return cmp >= 0 ? OBOL_E_COUPON_OVER_AGREED : OBOL_OK;
}

static obol_err count_revealed(struct coupon_wallet_session *s, const struct obol_amount *tv, uint64_t k)
{
	struct obol_amount add;
	obol_err e = obol_amount_mul(&add, tv, k);
	return e == OBOL_OK ? obol_amount_add(&s->revealed, &s->revealed, &add) : e;
}

/* H^index(S) of the current coin through the traversal: the one the coin
 * saved at its last payment when it is still above index, else a new one
 * from S (n hashes). The traversal is saved back into the coin after each
 * value. */
static obol_err reveal(struct coupon_wallet_session *s, struct coupon_wallet_coin *c, uint64_t index,
		       uint8_t out[static COUPON_ID_LEN])
{
	uint8_t anchor[COUPON_ID_LEN];
	uint64_t got;
	obol_err e;
	if (!s->trav_ready && c->trav_len > 0 &&
	    obol_hashchain_trav_deserialise(&s->trav, c->trav, c->trav_len) == OBOL_OK && s->trav.n == c->n &&
	    index + 1 <= s->trav.next)
		s->trav_ready = true;
	if (!s->trav_ready) {
		if ((e = obol_hashchain_trav_init(&s->trav, c->seed, c->n, anchor)) != OBOL_OK)
			return e;
		if (!obol_ct_equal(anchor, c->coin.id, COUPON_ID_LEN))
			return OBOL_E_INTERNAL; /* the stored seed does not make this coin */
		s->trav_ready = true;
	}
	if (index + 1 < s->trav.next && (e = obol_hashchain_trav_seek(&s->trav, index)) != OBOL_OK)
		return e;
	if (index + 1 != s->trav.next)
		return OBOL_E_INTERNAL; /* the traversal only goes downwards */
	if ((e = obol_hashchain_trav_next(&s->trav, out, &got)) != OBOL_OK)
		return e;
	if (got != index)
		return OBOL_E_INTERNAL;
	if (obol_hashchain_trav_serialise(&s->trav, c->trav, sizeof(c->trav), &c->trav_len) != OBOL_OK)
		c->trav_len = 0; /* the next payment starts from S */
	return OBOL_OK;
}

/* Builds the PAY for coin i: the sealed authorisation {coin id, p, H^p(S), T,
 * H(C)} with p = last - 1 (DESIGN §5 step 2). The lock token counts as
 * revealed from here on: the box leaves the wallet. */
static obol_err make_pay(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
			 struct coupon_wallet_coin *coins, size_t i, int64_t now, struct coupon_pay *pay)
{
	struct coupon_auth a;
	struct coupon_wallet_coin *c = &coins[i];
	const struct coupon_denom *d = find_denom(cfg, c->coin.denom);
	obol_err e;
	if (c->last_index == 0 || !d)
		return OBOL_E_INTERNAL; /* coin selection never picks a used-up coin */
	if ((e = may_reveal(s, &d->token_value, 1)) != OBOL_OK)
		return e;
	if (s->coin != i || !s->trav_ready) {
		obol_hashchain_trav_wipe(&s->trav);
		s->trav_ready = false;
		s->coin = i;
	} else if (c->last_index > s->trav.next) {
		/* resynced upwards: the traversal cannot climb back, start over */
		obol_hashchain_trav_wipe(&s->trav);
		s->trav_ready = false;
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.coin_id, c->coin.id, COUPON_ID_LEN);
	a.index = c->last_index - 1;
	a.deadline = s->deadline;
	memcpy(a.cert_hash, s->cert.hash, COUPON_ID_LEN);
	if ((e = reveal(s, c, a.index, a.token)) != OBOL_OK)
		goto out;
	memset(pay, 0, sizeof(*pay));
	pay->coin = c->coin;
	if ((e = coupon_auth_seal(&a, cfg->issuer_box_pk, pay->auth)) != OBOL_OK ||
	    (e = count_revealed(s, &d->token_value, 1)) != OBOL_OK)
		goto out;
	obol_sha256(s->pay_box, pay->auth, COUPON_AUTH_LEN);
	s->lock_index = a.index;
	c->lock_open = true;
	c->locked_until = s->deadline;
	(void)now;
	s->state = COUPON_WS_LOCKING;
out:
	OBOL_WIPE(a);
	return e;
}

obol_err coupon_wallet_on_offer(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
				struct coupon_wallet_coin *coins, size_t ncoins, const struct coupon_offer *offer,
				int64_t now, struct coupon_pay *pay)
{
	const struct coupon_wallet_order *o = &s->order;
	obol_err e;
	int cmp;
	if (s->state != COUPON_WS_WAIT_OFFER)
		return OBOL_E_COUPON_SESSION_STATE;
	if (coupon_cert_check(cfg->cert_open, offer->cert, offer->cert_len, cfg->issuer_pk, now, &s->cert) != OBOL_OK)
		return OBOL_E_COUPON_OFFER_CERT;
	if (offer->deadline <= now)
		return OBOL_E_COUPON_DEADLINE_PAST;
	if (offer->deadline - now > cfg->max_lock_s || offer->deadline > s->cert.valid_until)
		return OBOL_E_COUPON_DEADLINE_TOO_FAR;
	if (offer->units != s->units_wanted || obol_amount_is_zero(&offer->price) ||
	    obol_amount_is_negative(&offer->price) ||
	    (o->units == 0 && !obol_amount_same_currency(&offer->price, &o->budget)))
		return OBOL_E_COUPON_PRICE;
	if (o->has_max_price) {
		if ((e = obol_amount_cmp(&offer->price, &o->max_price, &cmp)) != OBOL_OK)
			return e == OBOL_E_AMOUNT_CURRENCY_MISMATCH ? OBOL_E_COUPON_OVER_MAX_PRICE : e;
		if (cmp > 0)
			return OBOL_E_COUPON_OVER_MAX_PRICE;
	}
	if (o->units == 0) {
		if (obol_amount_count_floor(&o->budget, &offer->price, &s->units_wanted) != OBOL_OK ||
		    s->units_wanted == 0)
			return OBOL_E_COUPON_PRICE;
	}
	if ((e = obol_amount_mul(&s->agreed, &offer->price, s->units_wanted)) != OBOL_OK)
		return e;
	if (o->has_max_amount) {
		if ((e = obol_amount_cmp(&s->agreed, &o->max_amount, &cmp)) != OBOL_OK)
			return e == OBOL_E_AMOUNT_CURRENCY_MISMATCH ? OBOL_E_COUPON_OVER_MAX_AMOUNT : e;
		if (cmp > 0)
			return OBOL_E_COUPON_OVER_MAX_AMOUNT;
	}
	if ((e = obol_amount_zero(offer->price.currency, &s->revealed)) != OBOL_OK)
		return e;
	s->deadline = offer->deadline;
	s->price = offer->price;
	if ((e = coupon_wallet_select(cfg, coins, ncoins, &s->agreed, s->deadline, now, s->plan, COUPON_WALLET_PLAN_MAX,
				      &s->nplan)) != OBOL_OK)
		return e;
	s->next_plan = 1;
	s->used[s->nused++] = s->plan[0];
	return make_pay(cfg, s, coins, s->plan[0], now, pay);
}

obol_err coupon_wallet_on_locked(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
				 struct coupon_wallet_coin *coins, const struct coupon_lock_reply *r)
{
	uint8_t digest[OBOL_HASH_LEN];
	struct coupon_wallet_coin *c = &coins[s->coin];
	if (s->state != COUPON_WS_LOCKING)
		return OBOL_E_COUPON_SESSION_STATE;
	coupon_digest_lock_reply(digest, r, s->cert.hash);
	if (obol_issuer_sig_verify(r->issuer_sig, COUPON_CTX_LOCK_REPLY, digest, sizeof(digest), cfg->issuer_pk,
				   obol_now()) != OBOL_OK ||
	    memcmp(r->coin_id, c->coin.id, COUPON_ID_LEN) != 0 || r->index != s->lock_index ||
	    r->deadline != s->deadline)
		return OBOL_E_COUPON_LOCK_REPLY_INVALID;
	c->last_index = r->index;
	c->in_doubt = false;
	s->state = COUPON_WS_PAYING;
	return OBOL_OK;
}

static bool listed(const size_t *list, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (list[k] == i)
			return true;
	return false;
}

/* The next coin to pay with: the plan's next, or a new choice for what is
 * still owed when the plan is used up. Coins locked or refused in this
 * session are not offered again. */
static obol_err next_coin(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
			  struct coupon_wallet_coin *coins, size_t ncoins, int64_t now, size_t *out)
{
	struct obol_amount owed;
	obol_err e;
	while (s->next_plan < s->nplan) {
		size_t i = s->plan[s->next_plan++];
		if (coins[i].last_index > 0 && !listed(s->used, s->nused, i) && !listed(s->skipped, s->nskipped, i)) {
			*out = i;
			return OBOL_OK;
		}
	}
	uint64_t left = s->units_wanted > s->units_received ? s->units_wanted - s->units_received : 1;
	if ((e = obol_amount_mul(&owed, &s->price, left)) != OBOL_OK)
		return e;
	struct coupon_wallet_coin saved[2 * COUPON_WALLET_PLAN_MAX];
	size_t hidden[2 * COUPON_WALLET_PLAN_MAX], nhidden = 0;
	for (size_t k = 0; k < s->nused; k++)
		hidden[nhidden++] = s->used[k];
	for (size_t k = 0; k < s->nskipped; k++)
		hidden[nhidden++] = s->skipped[k];
	for (size_t k = 0; k < nhidden; k++) {
		saved[k] = coins[hidden[k]];
		coins[hidden[k]].last_index = 0;
	}
	e = coupon_wallet_select(cfg, coins, ncoins, &owed, s->deadline, now, s->plan, COUPON_WALLET_PLAN_MAX,
				 &s->nplan);
	if (e == OBOL_E_COUPON_NO_COIN) {
		/* not enough for all of it: pay with whatever single coin is left */
		struct obol_amount one;
		e = obol_amount_from_units(owed.currency, 1, &one);
		if (e == OBOL_OK)
			e = coupon_wallet_select(cfg, coins, ncoins, &one, s->deadline, now, s->plan,
						 COUPON_WALLET_PLAN_MAX, &s->nplan);
	}
	/* restore in reverse: a coin both used and skipped gets its own state back */
	for (size_t k = nhidden; k-- > 0;) {
		coins[hidden[k]] = saved[k];
		OBOL_WIPE(saved[k]);
	}
	if (e != OBOL_OK)
		return e;
	s->next_plan = 1;
	*out = s->plan[0];
	return OBOL_OK;
}

static obol_err pay_next(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
			 struct coupon_wallet_coin *coins, size_t ncoins, int64_t now, struct coupon_pay *pay)
{
	size_t i;
	obol_err e;
	if (s->nused >= COUPON_WALLET_PLAN_MAX)
		return OBOL_E_COUPON_NO_COIN;
	if ((e = next_coin(cfg, s, coins, ncoins, now, &i)) != OBOL_OK)
		return e;
	s->used[s->nused++] = i;
	s->resyncs = 0;
	return make_pay(cfg, s, coins, i, now, pay);
}

obol_err coupon_wallet_on_token_req(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
				    struct coupon_wallet_coin *coins, size_t ncoins, const struct coupon_token_req *req,
				    int64_t now, enum coupon_wallet_answer *ans, struct coupon_token *tok,
				    struct coupon_pay *pay)
{
	struct coupon_wallet_coin *c = &coins[s->coin];
	const struct coupon_denom *d = find_denom(cfg, c->coin.denom);
	struct obol_amount window;
	uint64_t allowed;
	obol_err e;
	if (s->state != COUPON_WS_PAYING)
		return OBOL_E_COUPON_SESSION_STATE;
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	if (s->units_received >= s->units_wanted) {
		*ans = COUPON_WA_END;
		return OBOL_OK;
	}
	/* the prepayment window: ahead units' worth, rounded up to a token */
	if ((e = obol_amount_mul(&window, &s->price, s->ahead)) != OBOL_OK ||
	    (e = coupon_tokens_for(&window, &d->token_value, &allowed)) != OBOL_OK)
		return e;
	if (req->count > allowed)
		return OBOL_E_COUPON_TOKEN_TOO_MANY;
	if (c->last_index == 0) {
		*ans = COUPON_WA_PAY;
		return pay_next(cfg, s, coins, ncoins, now, pay);
	}
	/* seed §4.2: "the user U provides the vendor V the token H^(n-m-q)(S) of
	 * value qM/n and the order number n-m-q" */
	uint64_t j = c->last_index > req->count ? c->last_index - req->count : 0;
	if ((e = may_reveal(s, &d->token_value, c->last_index - j)) != OBOL_OK)
		return e;
	memset(tok, 0, sizeof(*tok));
	if ((e = reveal(s, c, j, tok->token)) != OBOL_OK)
		return e;
	if ((e = count_revealed(s, &d->token_value, c->last_index - j)) != OBOL_OK)
		return e;
	tok->index = j;
	c->last_index = j;
	*ans = COUPON_WA_TOKEN;
	return OBOL_OK;
}

void coupon_wallet_on_served(struct coupon_wallet_session *s, const struct coupon_served *m)
{
	s->units_received = m->unit;
}

/* A refusal about the coin itself (as opposed to the vendor or the request). */
static bool refusal_of_coin(obol_err e)
{
	return e == OBOL_E_COUPON_INDEX_MISMATCH || e == OBOL_E_COUPON_COIN_LOCKED || e == OBOL_E_COUPON_COIN_SPENT ||
	       e == OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN || e == OBOL_E_COUPON_DENOM_MISMATCH;
}

/* Whether err carries F's signature for the PAY in flight (box and C). */
static bool refusal_signed(const struct coupon_wallet_cfg *cfg, const struct coupon_wallet_session *s,
			   const struct coupon_wallet_coin *c, const struct coupon_error *err, struct coupon_refusal *r)
{
	uint8_t digest[OBOL_HASH_LEN];
	if (!coupon_refusal_from_error(err, c->coin.id, r))
		return false;
	coupon_digest_refusal(digest, r, s->cert.hash, s->pay_box);
	return obol_issuer_sig_verify(r->issuer_sig, COUPON_CTX_REFUSAL, digest, sizeof(digest), cfg->issuer_pk,
				      obol_now()) == OBOL_OK;
}

obol_err coupon_wallet_on_error(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_session *s,
				struct coupon_wallet_coin *coins, size_t ncoins, const struct coupon_error *err,
				int64_t now, bool *retry, struct coupon_pay *pay)
{
	struct coupon_wallet_coin *c = &coins[s->coin];
	const struct coupon_denom *d = find_denom(cfg, c->coin.denom);
	struct coupon_refusal r;
	obol_err e = (obol_err)err->code;
	*retry = false;
	if (s->state != COUPON_WS_LOCKING || !refusal_of_coin(e) || !d)
		return e;
	if (!refusal_signed(cfg, s, c, err, &r)) {
		/* the vendor can write this: keep the coin as it is */
		c->in_doubt = true;
	} else {
		struct obol_amount back;
		/* F did not lock this box: its token went to nobody */
		if (obol_amount_sub(&back, &s->revealed, &d->token_value) == OBOL_OK && !obol_amount_is_negative(&back))
			s->revealed = back;
		if (e == OBOL_E_COUPON_INDEX_MISMATCH && r.last_index <= c->n && r.last_index > 0 && s->resyncs < 2) {
			/* DESIGN §5: a wallet that lost track of its index resyncs from
			 * the issuer's (signed) answer. */
			s->resyncs++;
			c->last_index = r.last_index;
			c->in_doubt = false;
			e = make_pay(cfg, s, coins, s->coin, now, pay);
			*retry = e == OBOL_OK;
			return e;
		}
		if (e == OBOL_E_COUPON_INDEX_MISMATCH && r.last_index <= c->n) {
			c->last_index = r.last_index;
		} else if (e == OBOL_E_COUPON_COIN_SPENT) {
			c->last_index = 0;
		} else if (e == OBOL_E_COUPON_COIN_LOCKED) {
			c->lock_open = true;
			c->locked_until = r.locked_until;
		} else {
			c->in_doubt = true;
		}
		if (e != OBOL_E_COUPON_COIN_LOCKED)
			c->lock_open = false;
	}
	/* left out of the rest of the session; its receipt does not free it */
	if (s->nused > 0 && s->used[s->nused - 1] == s->coin)
		s->nused--;
	if (s->nskipped < COUPON_WALLET_PLAN_MAX)
		s->skipped[s->nskipped++] = s->coin;
	if (c->in_doubt)
		c->lock_open = false;
	e = pay_next(cfg, s, coins, ncoins, now, pay);
	*retry = e == OBOL_OK;
	return e;
}

void coupon_wallet_on_receipt(struct coupon_wallet_session *s, struct coupon_wallet_coin *coins,
			      const struct coupon_receipt *r)
{
	(void)r;
	for (size_t k = 0; k < s->nused; k++)
		coins[s->used[k]].lock_open = false;
	s->state = COUPON_WS_DONE;
}

/* ---- the holder's status query ---- */

/* The probe'th index: windows of COUPON_PROOF_SPAN from just below the
 * wallet's last index down to 0 (0 itself last: it also proves a coin spent
 * to its end), then upwards. Each index q covers F's last index in
 * (q, q + COUPON_PROOF_SPAN]. */
static bool probe_index(const struct coupon_wallet_coin *c, unsigned probe, uint64_t *q)
{
	uint64_t base = c->last_index > 0 ? c->last_index - 1 : 0;
	uint64_t down = base / COUPON_PROOF_SPAN + 1;
	bool extra = base % COUPON_PROOF_SPAN != 0; /* the window at 0 */
	if (probe < down) {
		*q = base - (uint64_t)probe * COUPON_PROOF_SPAN;
		return true;
	}
	if (extra && probe == down) {
		*q = 0;
		return true;
	}
	uint64_t k = probe - down - (extra ? 1 : 0) + 1;
	if (k > c->n / COUPON_PROOF_SPAN + 1)
		return false;
	*q = base + k * COUPON_PROOF_SPAN;
	return *q < c->n;
}

obol_err coupon_wallet_query_make(const struct coupon_wallet_cfg *cfg, const struct coupon_wallet_coin *c,
				  unsigned probe, struct coupon_wallet_query *q, struct coupon_coin_status_req *req)
{
	struct coupon_query body;
	obol_err e;
	memset(q, 0, sizeof(*q));
	if (!find_denom(cfg, c->coin.denom))
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	if (!probe_index(c, probe, &q->index))
		return OBOL_E_COUPON_NO_COIN;
	memset(&body, 0, sizeof(body));
	memcpy(body.coin_id, c->coin.id, COUPON_ID_LEN);
	body.denom = (uint32_t)c->coin.denom;
	body.index = q->index;
	obol_hashchain_step(body.token, c->seed, q->index);
	obol_random(q->reply_key, sizeof(q->reply_key));
	memcpy(body.reply_key, q->reply_key, sizeof(body.reply_key));
	e = coupon_query_seal(&body, cfg->issuer_box_pk, req->box);
	OBOL_WIPE(body);
	if (e == OBOL_OK)
		obol_sha256(q->query_hash, req->box, COUPON_QUERY_LEN);
	else
		OBOL_WIPE(*q);
	return e;
}

obol_err coupon_wallet_query_apply(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_coin *c,
				   const struct coupon_wallet_query *q, const struct coupon_coin_status_reply *reply,
				   int64_t now, struct coupon_coin_status *st)
{
	obol_err e = coupon_coin_status_open(reply, q->reply_key, st);
	(void)cfg;
	if (e != OBOL_OK)
		return e;
	if (!obol_ct_equal(st->query, q->query_hash, COUPON_ID_LEN) ||
	    memcmp(st->coin_id, c->coin.id, COUPON_ID_LEN) != 0 || st->last_index > c->n)
		return OBOL_E_COUPON_STATUS_REPLY_INVALID;
	/* Below F's index, the tokens between went to the holder of a lock F
	 * has not seen settled: the wallet may have revealed them (to that
	 * lock's vendor, which settles them, or is credited them when the
	 * coin is locked again: coupon_issuer_lock_apply). So the coin climbs
	 * to F's index only when no lock holds it; until then it stays where
	 * it is, in doubt. */
	bool climb = st->last_index > c->last_index && !st->locked;
	if (st->last_index < c->last_index || climb) {
		/* the saved traversal cannot climb back up: start again from S */
		if (climb)
			c->trav_len = 0;
		c->last_index = st->last_index;
	}
	if (st->credited_index == 0)
		c->last_index = 0;
	c->lock_open = st->locked && st->locked_until > now;
	c->locked_until = c->lock_open ? st->locked_until : 0;
	c->in_doubt = st->last_index > c->last_index;
	return OBOL_OK;
}

/* ---- refund ---- */

obol_err coupon_wallet_refund_make(const struct coupon_wallet_cfg *cfg, const struct coupon_wallet_coin *c,
				   uint64_t account, int64_t now, struct coupon_refund_req *req,
				   uint8_t box_hash[static COUPON_ID_LEN])
{
	const struct coupon_denom *d = find_denom(cfg, c->coin.denom);
	struct coupon_refund_auth a;
	obol_err e;
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	if (now <= d->spend_until)
		return OBOL_E_COUPON_REFUND_EARLY;
	if (now > d->legal_end)
		return OBOL_E_COUPON_REFUND_LEGAL_END;
	if (c->last_index == 0)
		return OBOL_E_COUPON_NO_COIN;
	memset(&a, 0, sizeof(a));
	memcpy(a.coin_id, c->coin.id, COUPON_ID_LEN);
	a.index = c->last_index - 1;
	a.account = account;
	obol_hashchain_step(a.token, c->seed, a.index);
	memset(req, 0, sizeof(*req));
	req->coin = c->coin;
	e = coupon_refund_seal(&a, cfg->issuer_box_pk, req->box);
	OBOL_WIPE(a);
	if (e == OBOL_OK)
		obol_sha256(box_hash, req->box, COUPON_REFUND_LEN);
	return e;
}

obol_err coupon_wallet_refund_done(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_coin *c,
				   const struct coupon_refund_req *req, const struct coupon_refund_reply *reply)
{
	uint8_t digest[OBOL_HASH_LEN];
	coupon_digest_refund_reply(digest, reply);
	if (obol_issuer_sig_verify(reply->issuer_sig, COUPON_CTX_REFUND_REPLY, digest, sizeof(digest), cfg->issuer_pk,
				   obol_now()) != OBOL_OK ||
	    memcmp(reply->coin_id, req->coin.id, COUPON_ID_LEN) != 0 || reply->index + 1 != c->last_index ||
	    reply->refunded_tokens != c->last_index)
		return OBOL_E_COUPON_REFUND_REPLY_INVALID;
	c->last_index = 0;
	c->lock_open = false;
	c->in_doubt = false;
	return OBOL_OK;
}

obol_err coupon_wallet_refund_refused(const struct coupon_wallet_cfg *cfg, struct coupon_wallet_coin *c,
				      obol_err code, const struct coupon_refusal *refusal,
				      const uint8_t box_hash[static COUPON_ID_LEN], bool *retry)
{
	static const uint8_t no_cert[COUPON_ID_LEN];
	uint8_t digest[OBOL_HASH_LEN];
	struct coupon_refusal r;
	*retry = false;
	if (!refusal)
		return code;
	r = *refusal;
	r.code = (uint64_t)code;
	memcpy(r.coin_id, c->coin.id, COUPON_ID_LEN);
	coupon_digest_refusal(digest, &r, no_cert, box_hash);
	if (obol_issuer_sig_verify(r.issuer_sig, COUPON_CTX_REFUSAL, digest, sizeof(digest), cfg->issuer_pk,
				   obol_now()) != OBOL_OK)
		return code;
	if (code == OBOL_E_COUPON_INDEX_MISMATCH && r.last_index > 0 && r.last_index <= c->n &&
	    r.last_index != c->last_index) {
		c->last_index = r.last_index;
		*retry = true;
		return OBOL_OK;
	}
	if (code == OBOL_E_COUPON_COIN_SPENT)
		c->last_index = 0;
	return code;
}
