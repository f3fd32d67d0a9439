/* The coupon scheme at the wallet: file section, withdrawal exchange,
 * payment session (coupon_wallet.h). */
#include "wallet/coupon_wallet.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "wallet/issuer_link.h"
#include "wallet/payer.h"
#include "wire/cbor.h"
#include "wire/json.h"

/* ---- the store ---- */

obol_err coupon_wstore_init(struct coupon_wallet_store *ws, const json_t *keys)
{
	size_t n;
	memset(ws, 0, sizeof(*ws));
	const char *mpk = json_string_value(json_object_get(keys, "master_pk"));
	const char *bpk = json_string_value(json_object_get(keys, "box_pk"));
	if (!mpk || !bpk || obol_b64_decode(mpk, ws->cfg.issuer_pk, 32, &n, 1) != OBOL_OK ||
	    obol_b64_decode(bpk, ws->cfg.issuer_box_pk, 32, &n, 1) != OBOL_OK)
		return OBOL_E_KEYS_INVALID;
	obol_err e = coupon_keys_parse(json_object_get(keys, "coupon"), &ws->keys);
	if (e != OBOL_OK)
		return e;
	ws->cfg.cert_open = coupon_cert_open_obol;
	ws->cfg.denoms = ws->keys.denoms;
	ws->cfg.ndenoms = ws->keys.ndenoms;
	ws->cfg.max_lock_s = ws->keys.lock_max_s;
	return OBOL_OK;
}

void coupon_wstore_free(struct coupon_wallet_store *ws)
{
	coupon_keys_free(&ws->keys);
	if (ws->coins) {
		obol_wipe(ws->coins, ws->cap * sizeof(*ws->coins));
		free(ws->coins);
	}
	memset(ws, 0, sizeof(*ws));
}

obol_err coupon_wstore_add(struct coupon_wallet_store *ws, const struct coupon_wallet_coin *c)
{
	if (ws->ncoins == ws->cap) {
		size_t cap = ws->cap ? ws->cap * 2 : 16;
		struct coupon_wallet_coin *p = calloc(cap, sizeof(*p));
		if (!p)
			return OBOL_E_NO_MEMORY;
		if (ws->coins) {
			memcpy(p, ws->coins, ws->ncoins * sizeof(*p));
			obol_wipe(ws->coins, ws->cap * sizeof(*p));
			free(ws->coins);
		}
		ws->coins = p;
		ws->cap = cap;
	}
	ws->coins[ws->ncoins++] = *c;
	return OBOL_OK;
}

/* ---- the wallet file's section ---- */

static obol_err coin_from_json(const json_t *o, struct coupon_wallet_coin *c)
{
	json_int_t denom, n, last, until;
	int open;
	const char *sig;
	memset(c, 0, sizeof(*c));
	if (json_unpack((json_t *)o, "{s:I, s:s, s:I, s:I, s:I, s:b}", "denom", &denom, "sig", &sig, "n", &n, "last",
			&last, "locked_until", &until, "lock_open", &open) != 0 ||
	    denom < 0 || n < 1 || last < 0 || last > n)
		return OBOL_E_WALLET_FILE;
	c->coin.denom = (uint64_t)denom;
	c->n = (uint64_t)n;
	c->last_index = (uint64_t)last;
	c->locked_until = until;
	c->lock_open = open != 0;
	const char *trav = json_string_value(json_object_get(o, "trav"));
	if (trav && obol_b64_decode(trav, c->trav, sizeof(c->trav), &c->trav_len, 0) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	if (obol_wallet_json_get_bytes(o, "id", c->coin.id, COUPON_ID_LEN) != OBOL_OK ||
	    obol_wallet_json_get_bytes(o, "prefix", c->coin.prefix, OBOL_BLINDRSA_PREFIX_LEN) != OBOL_OK ||
	    obol_wallet_json_get_bytes(o, "seed", c->seed, OBOL_HASH_LEN) != OBOL_OK ||
	    obol_b64_decode(sig, c->coin.sig, sizeof(c->coin.sig), &c->coin.sig_len, 0) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	return OBOL_OK;
}

static obol_err coin_to_json(const struct coupon_wallet_coin *c, json_t **out)
{
	char sig[OBOL_B64_LEN(COUPON_SIG_MAX)];
	obol_err e = obol_b64_encode(c->coin.sig, c->coin.sig_len, sig, sizeof(sig));
	if (e != OBOL_OK)
		return e;
	json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:I, s:b}", "denom", (json_int_t)c->coin.denom, "sig", sig, "n",
			      (json_int_t)c->n, "last", (json_int_t)c->last_index, "locked_until",
			      (json_int_t)c->locked_until, "lock_open", c->lock_open);
	if (!o)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_wallet_json_set_bytes(o, "id", c->coin.id, COUPON_ID_LEN)) != OBOL_OK ||
	    (e = obol_wallet_json_set_bytes(o, "prefix", c->coin.prefix, OBOL_BLINDRSA_PREFIX_LEN)) != OBOL_OK ||
	    (e = obol_wallet_json_set_bytes(o, "seed", c->seed, OBOL_HASH_LEN)) != OBOL_OK ||
	    (c->trav_len > 0 && (e = obol_wallet_json_set_bytes(o, "trav", c->trav, c->trav_len)) != OBOL_OK)) {
		json_decref(o);
		return e;
	}
	*out = o;
	return OBOL_OK;
}

obol_err coupon_wstore_load(struct obol_wallet *w, bool refresh, struct coupon_wallet_store *ws)
{
	json_t *sec = obol_wallet_section(w, "coupon"), *keys = NULL;
	obol_err e;
	memset(ws, 0, sizeof(*ws));
	if (!sec)
		return OBOL_E_NO_MEMORY;
	if (refresh || !json_object_get(sec, "keys")) {
		if ((e = obol_wallet_fetch_keys(w, &keys)) != OBOL_OK)
			return e;
		if (json_object_set(sec, "keys", keys) != 0) {
			json_decref(keys);
			return OBOL_E_NO_MEMORY;
		}
		json_decref(keys);
	}
	if ((e = coupon_wstore_init(ws, json_object_get(sec, "keys"))) != OBOL_OK)
		return e;
	json_t *coins = json_object_get(sec, "coins");
	for (size_t i = 0; coins && i < json_array_size(coins); i++) {
		struct coupon_wallet_coin c;
		e = coin_from_json(json_array_get(coins, i), &c);
		if (e == OBOL_OK)
			e = coupon_wstore_add(ws, &c);
		OBOL_WIPE(c);
		if (e != OBOL_OK) {
			coupon_wstore_free(ws);
			return e;
		}
	}
	return OBOL_OK;
}

obol_err coupon_wstore_put(struct obol_wallet *w, const struct coupon_wallet_store *ws)
{
	json_t *sec = obol_wallet_section(w, "coupon"), *arr = json_array();
	obol_err e = OBOL_OK;
	if (!sec || !arr) {
		json_decref(arr);
		return OBOL_E_NO_MEMORY;
	}
	for (size_t i = 0; i < ws->ncoins && e == OBOL_OK; i++) {
		json_t *o = NULL;
		if ((e = coin_to_json(&ws->coins[i], &o)) == OBOL_OK && json_array_append_new(arr, o) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK && json_object_set(sec, "coins", arr) != 0)
		e = OBOL_E_NO_MEMORY;
	json_decref(arr);
	return e;
}

/* ---- withdrawal ---- */

obol_err coupon_withdraw_exchange(struct obol_http_client *c, const struct coupon_denom *d, const char *request_id,
				  const struct coupon_withdraw_req *req, struct coupon_withdraw_pending *p,
				  struct coupon_wallet_coin *coin)
{
	struct coupon_withdraw_req body = *req;
	struct coupon_withdraw_reply reply;
	struct coupon_spec spec;
	json_t *j = NULL, *ans = NULL;
	obol_err e;
	if ((e = obol_strlcpy_checked(body.request_id, request_id, sizeof(body.request_id))) != OBOL_OK)
		return e;
	coupon_spec_withdraw_req(&spec, &body);
	if ((e = obol_json_encode(&spec.fields, &j)) != OBOL_OK)
		return e;
	e = obol_http_post_json(c, "/coupon/withdraw", j, OBOL_HTTP_AUTH, &ans);
	json_decref(j);
	if (e != OBOL_OK)
		return e;
	memset(&reply, 0, sizeof(reply));
	coupon_spec_withdraw_reply(&spec, &reply);
	e = obol_json_decode(ans, &spec.fields);
	json_decref(ans);
	if (e != OBOL_OK)
		return e;
	return coupon_wallet_withdraw_finalize(d, p, &reply, coin);
}

/* ---- payment session ---- */

static void say(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(FILE *f, const char *fmt, ...)
{
	va_list ap;
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

/* The payer's guard (src/wallet/payer.h): k tokens of coin i about to leave. */
static obol_err hand_tokens(struct obol_devlink *dl, const struct coupon_wallet_store *ws, size_t i, uint64_t k)
{
	struct obol_amount v;
	for (size_t d = 0; d < ws->keys.ndenoms; d++)
		if (ws->keys.denoms[d].id == ws->coins[i].coin.denom)
			return obol_amount_mul(&v, &ws->keys.denoms[d].token_value, k) == OBOL_OK ? obol_pay_hand(dl, &v)
												: OBOL_E_PAY_AMOUNT_OVER_CAP;
	return OBOL_E_COUPON_DENOM_UNKNOWN;
}

static obol_err send_pay(struct obol_devlink *dl, const struct coupon_wallet_store *ws, size_t coin,
			 struct coupon_pay *pay, obol_err (*save)(void *), void *ctx)
{
	struct coupon_spec spec;
	obol_err e;
	/* its lock token counts against the payer's cap */
	if ((e = hand_tokens(dl, ws, coin, 1)) != OBOL_OK)
		return e;
	/* the file learns first that this coin may be locked until T */
	if (save && (e = save(ctx)) != OBOL_OK)
		return e;
	coupon_spec_pay(&spec, pay);
	if ((e = obol_devlink_write(dl, COUPON_MSG_PAY, &spec.fields)) != OBOL_OK)
		return e;
	return obol_pay_sent(dl, &spec.fields);
}

obol_err coupon_pay_session(struct obol_devlink *dl, struct coupon_wallet_store *ws, uint64_t units,
			    const struct obol_amount *budget, obol_err (*save)(void *ctx), void *ctx, FILE *progress,
			    struct coupon_pay_result *res)
{
	static __thread struct coupon_wallet_session s;
	static __thread struct coupon_pay pay;
	static __thread struct coupon_offer offer;
	struct coupon_buy buy;
	struct coupon_spec spec;
	obol_err e;
	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	e = units ? coupon_wallet_buy(&s, units, &buy) : coupon_wallet_buy_amount(&s, budget, &buy);
	if (e != OBOL_OK)
		return e;
	coupon_spec_buy(&spec, &buy);
	if ((e = obol_devlink_write(dl, COUPON_MSG_BUY, &spec.fields)) != OBOL_OK)
		goto out;
	for (;;) {
		uint32_t type;
		const uint8_t *body;
		size_t len;
		if ((e = obol_devlink_read(dl, &type, &body, &len)) != OBOL_OK)
			goto out;
		switch (type) {
		case COUPON_MSG_OFFER:
			memset(&offer, 0, sizeof(offer));
			coupon_spec_offer(&spec, &offer);
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
			    (e = obol_pay_offer(dl, "coupon", &offer.price, units)) != OBOL_OK ||
			    (e = coupon_wallet_on_offer(&ws->cfg, &s, ws->coins, ws->ncoins, &offer, obol_now(), &pay)) !=
				    OBOL_OK)
				goto out;
			{
				char price[OBOL_AMOUNT_STR_MAX];
				obol_amount_format(&offer.price, price);
				say(progress, "offer: %s per unit, lock until T=%" PRId64 " (in %" PRId64 " s), %" PRIu64
					      " unit(s)",
				    price, offer.deadline, offer.deadline - obol_now(), s.units_wanted);
			}
			say(progress, "pay: coin %02x%02x%02x%02x.. authorises index %" PRIu64, pay.coin.id[0],
			    pay.coin.id[1], pay.coin.id[2], pay.coin.id[3], s.lock_index);
			res->coins++;
			if ((e = send_pay(dl, ws, s.coin, &pay, save, ctx)) != OBOL_OK)
				goto out;
			break;
		case COUPON_MSG_LOCKED: {
			struct coupon_lock_reply r;
			coupon_spec_lock_reply(&spec, &r);
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
			    (e = coupon_wallet_on_locked(&ws->cfg, &s, ws->coins, &r)) != OBOL_OK)
				goto out;
			res->tokens++;
			say(progress, "locked: the issuer holds index %" PRIu64 " for the vendor until T", r.index);
			break;
		}
		case COUPON_MSG_REFUSED: {
			struct coupon_error err;
			bool retry;
			memset(&err, 0, sizeof(err));
			coupon_spec_error(&spec, &err);
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
				goto out;
			say(progress, "refused by the issuer: %s%s", err.name,
			    err.has_last_index ? " (resyncing from its index)" : "");
			if (err.code == OBOL_E_COUPON_INDEX_MISMATCH)
				res->resyncs++;
			if ((e = coupon_wallet_on_error(&ws->cfg, &s, ws->coins, ws->ncoins, &err, obol_now(), &retry,
							&pay)) != OBOL_OK)
				goto out;
			res->coins += retry && err.code != OBOL_E_COUPON_INDEX_MISMATCH;
			if ((e = send_pay(dl, ws, s.coin, &pay, save, ctx)) != OBOL_OK)
				goto out;
			break;
		}
		case COUPON_MSG_TOKEN_REQ: {
			struct coupon_token_req req;
			struct coupon_token tok;
			enum coupon_wallet_answer ans;
			uint64_t before = ws->coins[s.coin].last_index;
			coupon_spec_token_req(&spec, &req);
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
			    (s.units_received < s.units_wanted &&
			     (e = hand_tokens(dl, ws, s.coin, before < req.count ? before : req.count)) != OBOL_OK) ||
			    (e = coupon_wallet_on_token_req(&ws->cfg, &s, ws->coins, ws->ncoins, &req, obol_now(), &ans,
							    &tok, &pay)) != OBOL_OK)
				goto out;
			if (ans == COUPON_WA_TOKEN) {
				res->tokens += before - tok.index;
				coupon_spec_token(&spec, &tok);
				e = obol_devlink_write(dl, COUPON_MSG_TOKEN, &spec.fields);
			} else if (ans == COUPON_WA_PAY) {
				say(progress, "the coin is spent: pay on with coin %02x%02x%02x%02x..", pay.coin.id[0],
				    pay.coin.id[1], pay.coin.id[2], pay.coin.id[3]);
				res->coins++;
				e = send_pay(dl, ws, s.coin, &pay, save, ctx);
			} else {
				struct coupon_end end = { 0 };
				coupon_spec_end(&spec, &end);
				e = obol_devlink_write(dl, COUPON_MSG_END, &spec.fields);
			}
			OBOL_WIPE(tok);
			if (e != OBOL_OK)
				goto out;
			break;
		}
		case COUPON_MSG_SERVED: {
			struct coupon_served m;
			coupon_spec_served(&spec, &m);
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
				goto out;
			coupon_wallet_on_served(&s, &m);
			res->units = m.unit;
			if (m.unit <= 3 || m.unit % 1000 < m.count)
				say(progress, "served: %.*s", (int)m.data_len, (const char *)m.data);
			break;
		}
		case COUPON_MSG_RECEIPT: {
			struct coupon_receipt r;
			char paid[OBOL_AMOUNT_STR_MAX];
			coupon_spec_receipt(&spec, &r);
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
				goto out;
			coupon_wallet_on_receipt(&s, ws->coins, &r);
			res->units = r.units;
			res->settled = r.settled;
			obol_amount_format(&r.paid, paid);
			say(progress, "receipt: %" PRIu64 " unit(s) for %s with %" PRIu64 " coin(s); the vendor %s",
			    r.units, paid, r.coins, r.settled ? "has settled with the issuer" : "settles later");
			if ((e = save ? save(ctx) : OBOL_OK) == OBOL_OK)
				e = obol_pay_receipt(dl, r.units);
			goto out;
		}
		default:
			e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
			goto out;
		}
	}
out:
	if (e != OBOL_OK)
		obol_pay_failed(dl, e); /* the history: refused, or in doubt */
	coupon_wallet_session_wipe(&s);
	OBOL_WIPE(pay);
	return e;
}
