/* The coupon scheme at the vendor V: the session state machine (vendor.h). */
#include "schemes/coupon/vendor.h"

#include <string.h>

#include "crypto/secret.h"
#include "core/clock.h"
#include "schemes/common/issuer_sig.h"

static const struct coupon_denom *find_denom(const struct coupon_vendor_cfg *cfg, uint64_t id)
{
	for (size_t i = 0; i < cfg->ndenoms; i++)
		if (cfg->denoms[i].id == id)
			return &cfg->denoms[i];
	return NULL;
}

obol_err coupon_vendor_start(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s,
			     const struct coupon_buy *buy, int64_t now, struct coupon_offer *offer)
{
	obol_err e;
	if (s->state != COUPON_VS_START)
		return OBOL_E_COUPON_SESSION_STATE;
	if (buy->units < 1 || buy->units > COUPON_UNITS_MAX || buy->ahead < 1 || buy->ahead > COUPON_AHEAD_MAX ||
	    obol_amount_is_zero(&cfg->price) ||
	    obol_amount_is_negative(&cfg->price) || cfg->cert_len > COUPON_CERT_MAX)
		return OBOL_E_COUPON_PRICE;
	memset(s, 0, sizeof(*s));
	if ((e = obol_amount_zero(cfg->price.currency, &s->paid)) != OBOL_OK ||
	    (e = obol_amount_zero(cfg->price.currency, &s->consumed)) != OBOL_OK)
		return e;
	s->deadline = now + cfg->lock_s;
	s->units_wanted = buy->units;
	s->ahead = buy->ahead;
	memset(offer, 0, sizeof(*offer));
	memcpy(offer->cert, cfg->cert, cfg->cert_len);
	offer->cert_len = cfg->cert_len;
	offer->deadline = s->deadline;
	offer->price = cfg->price;
	offer->units = buy->units;
	s->state = COUPON_VS_OFFERED;
	return OBOL_OK;
}

static struct coupon_vendor_coin *current_coin(struct coupon_vendor_session *s)
{
	return s->ncoins ? &s->coins[s->ncoins - 1] : NULL;
}

obol_err coupon_vendor_on_pay(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s,
			      const struct coupon_pay *pay, int64_t now, struct coupon_lock_req *req)
{
	uint8_t digest[OBOL_HASH_LEN];
	obol_err e;
	struct coupon_vendor_coin *cur = current_coin(s);
	bool may_pay = s->state == COUPON_VS_OFFERED ||
		       (s->state == COUPON_VS_ASKING && cur && cur->last_index == 0);
	if (!may_pay || s->ncoins >= COUPON_SESSION_COINS_MAX)
		return OBOL_E_COUPON_SESSION_STATE;
	if (now >= s->deadline - cfg->margin_s)
		return OBOL_E_COUPON_SESSION_DEADLINE;
	for (size_t i = 0; i < s->ncoins; i++)
		if (memcmp(s->coins[i].coin_id, pay->coin.id, COUPON_ID_LEN) == 0)
			return OBOL_E_COUPON_SESSION_STATE;
	const struct coupon_denom *d = find_denom(cfg, pay->coin.denom);
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	/* the lock would outlive the key's acceptance: F refuses it, so the
	 * vendor does not ask (a rotated-out key's coins are refunded) */
	if (s->deadline > d->spend_until)
		return OBOL_E_COUPON_DENOM_EXPIRED;
	if (!obol_amount_same_currency(&d->value, &cfg->price))
		return OBOL_E_AMOUNT_CURRENCY_MISMATCH;
	if ((e = coupon_coin_verify(&pay->coin, d)) != OBOL_OK)
		return e;

	memset(req, 0, sizeof(*req));
	req->coin = pay->coin;
	memcpy(req->auth, pay->auth, COUPON_AUTH_LEN);
	memcpy(req->cert, cfg->cert, cfg->cert_len);
	req->cert_len = cfg->cert_len;
	req->deadline = s->deadline;
	coupon_digest_lock_req(digest, req, cfg->cert_hash);
	obol_sign(req->vendor_sig, COUPON_CTX_LOCK_REQ, digest, sizeof(digest), cfg->sign_sk);
	s->lock = *req;
	s->pending_coin = pay->coin;
	obol_sha256(s->pending_lock, req->auth, COUPON_AUTH_LEN);
	s->state = COUPON_VS_LOCKING;
	return OBOL_OK;
}

obol_err coupon_vendor_on_lock_reply(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s,
				     const struct coupon_lock_reply *reply)
{
	uint8_t digest[OBOL_HASH_LEN];
	obol_err e;
	if (s->state != COUPON_VS_LOCKING)
		return OBOL_E_COUPON_SESSION_STATE;
	coupon_digest_lock_reply(digest, reply, cfg->cert_hash);
	if (obol_issuer_sig_verify(reply->issuer_sig, COUPON_CTX_LOCK_REPLY, digest, sizeof(digest), cfg->issuer_pk,
				   obol_now()) !=
		    OBOL_OK ||
	    memcmp(reply->coin_id, s->pending_coin.id, COUPON_ID_LEN) != 0 || reply->deadline != s->deadline)
		return OBOL_E_COUPON_LOCK_REPLY_INVALID;
	const struct coupon_denom *d = find_denom(cfg, s->pending_coin.denom);
	if (!d || reply->index >= d->n)
		return OBOL_E_COUPON_LOCK_REPLY_INVALID;
	struct coupon_vendor_coin *c = &s->coins[s->ncoins];
	memset(c, 0, sizeof(*c));
	memcpy(c->coin_id, reply->coin_id, COUPON_ID_LEN);
	c->denom = d->id;
	c->token_value = d->token_value;
	c->lock_index = reply->index;
	c->last_index = reply->index;
	memcpy(c->last_token, reply->token, COUPON_ID_LEN);
	memcpy(c->lock, s->pending_lock, COUPON_ID_LEN);
	c->has_lock = true;
	c->checkpoint_index = reply->index;
	/* DESIGN §5 step 6: the lock token is money to the lock holder. */
	if ((e = obol_amount_add(&s->paid, &s->paid, &d->token_value)) != OBOL_OK)
		return e;
	s->ncoins++;
	s->asked = s->asked > 0 ? s->asked - 1 : 0;
	s->state = COUPON_VS_ACTIVE;
	return OBOL_OK;
}

void coupon_vendor_on_lock_refused(struct coupon_vendor_session *s)
{
	if (s->state != COUPON_VS_LOCKING)
		return;
	s->state = s->ncoins ? COUPON_VS_ASKING : COUPON_VS_OFFERED;
}

obol_err coupon_vendor_next(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s, int64_t now,
			    enum coupon_vendor_action *act, struct coupon_token_req *req, struct coupon_served *served)
{
	struct obol_amount credit;
	obol_err e;
	int cmp;
	if (s->state != COUPON_VS_ACTIVE)
		return OBOL_E_COUPON_SESSION_STATE;
	if (s->units_served >= s->units_wanted) {
		*act = COUPON_VA_END;
		return OBOL_OK;
	}
	if (now >= s->deadline - cfg->margin_s) {
		*act = COUPON_VA_END;
		return OBOL_E_COUPON_SESSION_DEADLINE;
	}
	/* credit = paid - consumed: value received and not yet served */
	if ((e = obol_amount_sub(&credit, &s->paid, &s->consumed)) != OBOL_OK ||
	    (e = obol_amount_cmp(&credit, &cfg->price, &cmp)) != OBOL_OK)
		return e;
	if (cmp >= 0) {
		if ((e = obol_amount_add(&s->consumed, &s->consumed, &cfg->price)) != OBOL_OK)
			return e;
		s->units_served++;
		memset(served, 0, sizeof(*served));
		served->unit = s->units_served;
		served->count = 1;
		*act = COUPON_VA_SERVE;
		return OBOL_OK;
	}
	/* Ask for ceil((k * price - credit) / token value) tokens of the current
	 * coin, k = min(ahead, units left), no more than the coin has; with none
	 * left the wallet answers with a PAY. */
	struct coupon_vendor_coin *c = current_coin(s);
	struct obol_amount deficit, want;
	uint64_t k = s->units_wanted - s->units_served;
	if (!c)
		return OBOL_E_COUPON_SESSION_STATE;
	if (k > s->ahead)
		k = s->ahead;
	if ((e = obol_amount_mul(&want, &cfg->price, k)) != OBOL_OK ||
	    (e = obol_amount_sub(&deficit, &want, &credit)) != OBOL_OK)
		return e;
	uint64_t need;
	if ((e = coupon_tokens_for(&deficit, &c->token_value, &need)) != OBOL_OK)
		return e;
	if (c->last_index > 0 && need > c->last_index)
		need = c->last_index;
	if (need > COUPON_VENDOR_ASK_MAX)
		need = COUPON_VENDOR_ASK_MAX; /* the rest at the next ask */
	memset(req, 0, sizeof(*req));
	req->count = need;
	s->asked = need;
	s->state = COUPON_VS_ASKING;
	*act = COUPON_VA_ASK;
	return OBOL_OK;
}

obol_err coupon_vendor_on_token(const struct coupon_vendor_cfg *cfg, struct coupon_vendor_session *s,
				const struct coupon_token *tok, int64_t now, size_t *coin)
{
	struct obol_amount value;
	obol_err e;
	struct coupon_vendor_coin *c = current_coin(s);
	if (s->state != COUPON_VS_ASKING || !c)
		return OBOL_E_COUPON_SESSION_STATE;
	if (now >= s->deadline - cfg->margin_s)
		return OBOL_E_COUPON_SESSION_DEADLINE;
	if (tok->index >= c->last_index)
		return OBOL_E_COUPON_TOKEN_REPLAYED;
	uint64_t k = c->last_index - tok->index;
	if (k > s->asked)
		return OBOL_E_COUPON_TOKEN_TOO_MANY;
	/* seed §4.2: "The token is verified by the vendor V by checking if
	 * H^q(H^(n-m-q)(S)) = H^(n-m)(S)" */
	if (obol_hashchain_verify(tok->token, k, c->last_token, k) != OBOL_OK)
		return OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN;
	if ((e = obol_amount_mul(&value, &c->token_value, k)) != OBOL_OK ||
	    (e = obol_amount_add(&s->paid, &s->paid, &value)) != OBOL_OK)
		return e;
	c->last_index = tok->index;
	memcpy(c->last_token, tok->token, COUPON_ID_LEN);
	s->asked -= k;
	s->state = COUPON_VS_ACTIVE;
	*coin = s->ncoins - 1;
	return OBOL_OK;
}

void coupon_vendor_end(struct coupon_vendor_session *s, struct coupon_receipt *r)
{
	memset(r, 0, sizeof(*r));
	r->units = s->units_served;
	r->paid = s->paid;
	r->coins = s->ncoins;
	s->state = COUPON_VS_ENDED;
}

void coupon_vendor_settle_req(const struct coupon_vendor_cfg *cfg, const struct coupon_vendor_coin *c, bool keep,
			      struct coupon_settle_req *req)
{
	uint8_t digest[OBOL_HASH_LEN];
	memset(req, 0, sizeof(*req));
	memcpy(req->coin_id, c->coin_id, COUPON_ID_LEN);
	req->index = c->last_index;
	memcpy(req->token, c->last_token, COUPON_ID_LEN);
	req->keep = keep;
	memcpy(req->cert, cfg->cert, cfg->cert_len);
	req->cert_len = cfg->cert_len;
	memcpy(req->lock, c->lock, COUPON_ID_LEN);
	req->has_lock = c->has_lock;
	coupon_digest_settle_req(digest, req, cfg->cert_hash);
	obol_sign(req->vendor_sig, COUPON_CTX_SETTLE_REQ, digest, sizeof(digest), cfg->sign_sk);
}

obol_err coupon_vendor_check_settle_reply(const struct coupon_vendor_cfg *cfg, const struct coupon_settle_req *req,
					  const struct coupon_settle_reply *reply)
{
	uint8_t digest[OBOL_HASH_LEN], cert_hash[COUPON_ID_LEN];
	/* the reply binds the C the request sent: the vendor's C of that time,
	 * not necessarily its current one (a renewal came in between) */
	if (req->cert_len == 0 || req->cert_len > COUPON_CERT_MAX)
		return OBOL_E_COUPON_SETTLE_REPLY_INVALID;
	obol_sha256(cert_hash, req->cert, req->cert_len);
	coupon_digest_settle_reply(digest, reply, cert_hash);
	if (obol_issuer_sig_verify(reply->issuer_sig, COUPON_CTX_SETTLE_REPLY, digest, sizeof(digest), cfg->issuer_pk,
				   obol_now()) !=
		    OBOL_OK ||
	    memcmp(reply->coin_id, req->coin_id, COUPON_ID_LEN) != 0 || reply->index != req->index ||
	    reply->locked != req->keep || reply->has_lock != req->has_lock ||
	    memcmp(reply->lock, req->lock, COUPON_ID_LEN) != 0)
		return OBOL_E_COUPON_SETTLE_REPLY_INVALID;
	return OBOL_OK;
}

void coupon_vendor_status_req(const struct coupon_vendor_cfg *cfg, const uint8_t coin_id[static COUPON_ID_LEN],
			      int64_t now, struct coupon_status_req *req)
{
	uint8_t digest[OBOL_HASH_LEN];
	memset(req, 0, sizeof(*req));
	memcpy(req->coin_id, coin_id, COUPON_ID_LEN);
	memcpy(req->cert, cfg->cert, cfg->cert_len);
	req->cert_len = cfg->cert_len;
	req->time = now;
	coupon_digest_status_req(digest, req, cfg->cert_hash);
	obol_sign(req->vendor_sig, COUPON_CTX_STATUS_REQ, digest, sizeof(digest), cfg->sign_sk);
}

bool coupon_vendor_checkpoint_due(const struct coupon_vendor_cfg *cfg, uint64_t checkpoint_index, int64_t checkpoint_at,
				  uint64_t last_index, int64_t now)
{
	uint64_t every = cfg->checkpoint_tokens;
	if (every == 0 || every > COUPON_VENDOR_ASK_MAX)
		every = COUPON_VENDOR_ASK_MAX;
	if (last_index >= checkpoint_index)
		return false; /* nothing new since */
	if (checkpoint_index - last_index >= every)
		return true;
	return cfg->checkpoint_s > 0 && now - checkpoint_at >= cfg->checkpoint_s;
}

bool coupon_vendor_settle_due(const struct coupon_vendor_cfg *cfg, int64_t deadline, int64_t now)
{
	return now >= deadline - cfg->margin_s;
}
