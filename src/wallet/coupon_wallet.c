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
	c->in_doubt = json_is_true(json_object_get(o, "doubt"));
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
	if ((c->in_doubt && json_object_set_new(o, "doubt", json_true()) != 0) ||
	    (e = obol_wallet_json_set_bytes(o, "id", c->coin.id, COUPON_ID_LEN)) != OBOL_OK ||
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

/* Whether an error answer settles a withdrawal for good (coupon_withdraw_exchange). */
static bool withdraw_refusal_definite(long status, obol_err e)
{
	return obol_http_status_definitive(status) && e != OBOL_E_PEER_ERROR && e != OBOL_E_AUTH_FAILED &&
	       e != OBOL_E_LEDGER_ACCOUNT_CLOSED;
}

obol_err coupon_withdraw_exchange(struct obol_http_client *c, const struct coupon_denom *d, const char *request_id,
				  const struct coupon_withdraw_req *req, struct coupon_withdraw_pending *p,
				  struct coupon_wallet_coin *coin, bool *definite)
{
	struct coupon_withdraw_req body = *req;
	struct coupon_withdraw_reply reply;
	struct coupon_spec spec;
	json_t *j = NULL, *ans = NULL;
	char *text = NULL, *resp = NULL;
	size_t resp_len = 0;
	long status = 0;
	obol_err e;
	*definite = false;
	if ((e = obol_strlcpy_checked(body.request_id, request_id, sizeof(body.request_id))) != OBOL_OK)
		return e;
	coupon_spec_withdraw_req(&spec, &body);
	if ((e = obol_json_encode(&spec.fields, &j)) != OBOL_OK)
		return e;
	if (!(text = json_dumps(j, JSON_COMPACT))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_http_request(c, "POST", "/coupon/withdraw", text, strlen(text), OBOL_HTTP_AUTH, &status, &resp,
				   &resp_len)) != OBOL_OK)
		goto out;
	if (status < 200 || status >= 300) {
		e = obol_json_error_from_body(resp, resp_len);
		*definite = withdraw_refusal_definite(status, e);
		goto out;
	}
	if (!(ans = json_loadb(resp, resp_len, JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(ans)) {
		e = OBOL_E_WIRE_MALFORMED;
		goto out;
	}
	memset(&reply, 0, sizeof(reply));
	coupon_spec_withdraw_reply(&spec, &reply);
	if ((e = obol_json_decode(ans, &spec.fields)) != OBOL_OK)
		goto out;
	if ((e = coupon_wallet_withdraw_finalize(d, p, &reply, coin)) == OBOL_OK)
		*definite = true;
out:
	json_decref(j);
	json_decref(ans);
	free(text);
	free(resp);
	return e;
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

/* The frame of a refusal, and what the core made of it. */
static obol_err on_refused(struct obol_devlink *dl, struct coupon_wallet_store *ws, struct coupon_wallet_session *s,
			   const uint8_t *body, size_t len, struct coupon_pay *pay, obol_err (*save)(void *), void *ctx,
			   FILE *progress, struct coupon_pay_result *res)
{
	struct coupon_error err;
	struct coupon_spec spec;
	size_t coin = s->coin;
	bool retry;
	obol_err e;
	memset(&err, 0, sizeof(err));
	coupon_spec_error(&spec, &err);
	if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
		return e;
	e = coupon_wallet_on_error(&ws->cfg, s, ws->coins, ws->ncoins, &err, obol_now(), &retry, pay);
	if (ws->coins[coin].in_doubt) {
		res->in_doubt++;
		say(progress, "refused: %s, %s: the coin is kept as it was, to be checked with the issuer "
			      "(obol wallet sync)",
		    err.name, err.has_issuer_sig ? "with a signature that does not verify" : "without the issuer's signature");
	} else {
		say(progress, "refused by the issuer (signed): %s%s", err.name,
		    err.code == OBOL_E_COUPON_INDEX_MISMATCH ? " (resyncing from its index)" : "");
	}
	if (err.code == OBOL_E_COUPON_INDEX_MISMATCH && !ws->coins[coin].in_doubt)
		res->resyncs++;
	if (e != OBOL_OK)
		return e;
	res->coins += retry && s->coin != coin;
	return send_pay(dl, ws, s->coin, pay, save, ctx);
}

obol_err coupon_pay_session(struct obol_devlink *dl, struct coupon_wallet_store *ws, const struct coupon_wallet_order *order,
			    obol_err (*save)(void *ctx), void *ctx, FILE *progress, struct coupon_pay_result *res)
{
	static __thread struct coupon_wallet_session s;
	static __thread struct coupon_pay pay;
	static __thread struct coupon_offer offer;
	struct coupon_buy buy;
	struct coupon_spec spec;
	obol_err e;
	struct coupon_wallet_order capped = *order;
	struct obol_paycap cap;
	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	/* the payer's cap (src/wallet/payer.h) is the core's limits too */
	if ((e = obol_pay_cap(dl, &cap)) != OBOL_OK)
		return e;
	if (cap.has_max_price)
		capped.has_max_price = true, capped.max_price = cap.max_price;
	if (cap.has_max_amount)
		capped.has_max_amount = true, capped.max_amount = cap.max_amount;
	if ((e = coupon_wallet_order_start(&s, &capped, &buy)) != OBOL_OK)
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
			    (e = obol_pay_offer(dl, "coupon", &offer.price, order->units)) != OBOL_OK ||
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
		case COUPON_MSG_REFUSED:
			if ((e = on_refused(dl, ws, &s, body, len, &pay, save, ctx, progress, res)) != OBOL_OK)
				goto out;
			break;
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
	/* A session that ends without the vendor's receipt leaves its coin in
	 * doubt: the last PAY or TOKEN sent may or may not have arrived, and
	 * the coin stays counted at the lowest index sent (a coin at 0 is never
	 * offered again); the issuer tells once the lock is settled
	 * (coupon_coin_sync, `obol wallet sync`). */
	if (e != OBOL_OK && (s.state == COUPON_WS_LOCKING || s.state == COUPON_WS_PAYING) && s.coin < ws->ncoins &&
	    !ws->coins[s.coin].in_doubt) {
		ws->coins[s.coin].in_doubt = true;
		res->in_doubt++;
	}
	if (e != OBOL_OK)
		obol_pay_failed(dl, e); /* the history: refused, or in doubt */
	coupon_wallet_session_wipe(&s);
	OBOL_WIPE(pay);
	return e;
}

/* ---- the holder's status query ---- */

obol_err coupon_coin_sync(struct obol_http_client *c, struct coupon_wallet_store *ws, size_t i,
			  struct coupon_coin_status *st)
{
	struct coupon_wallet_query q;
	struct coupon_coin_status_req req;
	struct coupon_coin_status_reply reply;
	struct coupon_spec spec;
	obol_err e;
	for (unsigned probe = 0;; probe++) {
		json_t *body = NULL, *ans = NULL;
		if ((e = coupon_wallet_query_make(&ws->cfg, &ws->coins[i], probe, &q, &req)) != OBOL_OK)
			break;
		coupon_spec_coin_status_req(&spec, &req);
		if ((e = obol_json_encode(&spec.fields, &body)) == OBOL_OK)
			e = obol_http_post_json(c, "/coupon/coin-status", body, 0, &ans);
		json_decref(body);
		if (e == OBOL_OK) {
			memset(&reply, 0, sizeof(reply));
			coupon_spec_coin_status_reply(&spec, &reply);
			if ((e = obol_json_decode(ans, &spec.fields)) == OBOL_OK)
				e = coupon_wallet_query_apply(&ws->cfg, &ws->coins[i], &q, &reply, obol_now(), st);
		}
		json_decref(ans);
		OBOL_WIPE(q);
		if (e != OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN)
			break; /* answered, or an error of another kind; else the next window */
	}
	return e;
}

/* ---- refund ---- */

/* The section's pending refund of coin id, or -1. */
static ssize_t refund_find(json_t *list, const uint8_t id[static COUPON_ID_LEN])
{
	for (size_t k = 0; k < json_array_size(list); k++) {
		uint8_t got[COUPON_ID_LEN];
		if (obol_wallet_json_get_bytes(json_array_get(list, k), "coin_id", got, COUPON_ID_LEN) == OBOL_OK &&
		    memcmp(got, id, COUPON_ID_LEN) == 0)
			return (ssize_t)k;
	}
	return -1;
}

static obol_err refund_list(struct obol_wallet *w, json_t **list)
{
	json_t *sec = obol_wallet_section(w, "coupon");
	if (!sec)
		return OBOL_E_NO_MEMORY;
	*list = json_object_get(sec, "refunds");
	if (!*list) {
		*list = json_array();
		if (!*list || json_object_set_new(sec, "refunds", *list) != 0)
			return OBOL_E_NO_MEMORY;
	}
	return OBOL_OK;
}

static obol_err wallet_save(struct obol_wallet *w, const struct coupon_wallet_store *ws)
{
	obol_err e = coupon_wstore_put(w, ws);
	return e == OBOL_OK ? obol_wallet_save(w) : e;
}

/* The pending refund of coin i (made and saved first when there is none). */
static obol_err refund_pending(struct obol_wallet *w, struct coupon_wallet_store *ws, size_t i, uint64_t account,
			       struct coupon_refund_req *req, uint8_t box_hash[static COUPON_ID_LEN])
{
	json_t *list, *o;
	const char *rid;
	obol_err e;
	if ((e = refund_list(w, &list)) != OBOL_OK)
		return e;
	ssize_t k = refund_find(list, ws->coins[i].coin.id);
	memset(req, 0, sizeof(*req));
	if (k >= 0) {
		o = json_array_get(list, (size_t)k);
		rid = json_string_value(json_object_get(o, "request_id"));
		req->coin = ws->coins[i].coin;
		if (!rid || obol_strlcpy_checked(req->request_id, rid, sizeof(req->request_id)) != OBOL_OK ||
		    obol_wallet_json_get_bytes(o, "box", req->box, COUPON_REFUND_LEN) != OBOL_OK)
			return OBOL_E_WALLET_FILE;
		obol_sha256(box_hash, req->box, COUPON_REFUND_LEN);
		return OBOL_OK;
	}
	uint8_t raw[16];
	char id[OBOL_B64_LEN(16)];
	obol_random(raw, sizeof(raw));
	if ((e = obol_b64_encode(raw, sizeof(raw), id, sizeof(id))) != OBOL_OK ||
	    (e = coupon_wallet_refund_make(&ws->cfg, &ws->coins[i], account, obol_now(), req, box_hash)) != OBOL_OK ||
	    (e = obol_strlcpy_checked(req->request_id, id, sizeof(req->request_id))) != OBOL_OK)
		return e;
	if (!(o = json_pack("{s:s}", "request_id", id)))
		return OBOL_E_NO_MEMORY;
	if ((e = obol_wallet_json_set_bytes(o, "coin_id", req->coin.id, COUPON_ID_LEN)) != OBOL_OK ||
	    (e = obol_wallet_json_set_bytes(o, "box", req->box, COUPON_REFUND_LEN)) != OBOL_OK) {
		json_decref(o);
		return e;
	}
	if (json_array_append_new(list, o) != 0)
		return OBOL_E_NO_MEMORY;
	return wallet_save(w, ws); /* on disk before it is sent */
}

static obol_err refund_forget(struct obol_wallet *w, struct coupon_wallet_store *ws, size_t i)
{
	json_t *list;
	obol_err e = refund_list(w, &list);
	ssize_t k = e == OBOL_OK ? refund_find(list, ws->coins[i].coin.id) : -1;
	if (k >= 0 && json_array_remove(list, (size_t)k) != 0)
		e = OBOL_E_NO_MEMORY;
	return e == OBOL_OK ? wallet_save(w, ws) : e;
}

obol_err coupon_coin_refund(struct obol_http_client *c, struct obol_wallet *w, struct coupon_wallet_store *ws, size_t i,
			    uint64_t account, struct coupon_refund_reply *reply)
{
	struct coupon_refund_req req;
	struct coupon_spec spec;
	uint8_t box_hash[COUPON_ID_LEN];
	obol_err e;
	for (int attempt = 0; attempt < 3; attempt++) {
		json_t *body = NULL, *ans = NULL;
		char *text = NULL, *resp = NULL;
		size_t resp_len = 0;
		long status = 0;
		if ((e = refund_pending(w, ws, i, account, &req, box_hash)) != OBOL_OK)
			return e;
		coupon_spec_refund_req(&spec, &req);
		if ((e = obol_json_encode(&spec.fields, &body)) == OBOL_OK && !(text = json_dumps(body, JSON_COMPACT)))
			e = OBOL_E_NO_MEMORY;
		json_decref(body);
		if (e == OBOL_OK)
			e = obol_http_request(c, "POST", "/coupon/refund", text, strlen(text), OBOL_HTTP_AUTH, &status,
					      &resp, &resp_len);
		free(text);
		if (e != OBOL_OK) {
			free(resp);
			return e; /* not answered: the request stays pending */
		}
		if (status >= 200 && status < 300) {
			memset(reply, 0, sizeof(*reply));
			coupon_spec_refund_reply(&spec, reply);
			ans = json_loadb(resp, resp_len, JSON_REJECT_DUPLICATES, NULL);
			free(resp);
			e = ans ? obol_json_decode(ans, &spec.fields) : OBOL_E_WIRE_MALFORMED;
			json_decref(ans);
			if (e == OBOL_OK && (e = coupon_wallet_refund_done(&ws->cfg, &ws->coins[i], &req, reply)) == OBOL_OK)
				e = refund_forget(w, ws, i);
			return e;
		}
		e = obol_json_error_from_body(resp, resp_len);
		if (!withdraw_refusal_definite(status, e)) {
			free(resp);
			return e;
		}
		/* a definite refusal: the request is over; a signed one may resync */
		struct coupon_refusal r, *rp = NULL;
		memset(&r, 0, sizeof(r));
		ans = json_loadb(resp, resp_len, 0, NULL);
		free(resp);
		if (coupon_refusal_from_detail(json_string_value(json_object_get(ans, "detail")), &r) == OBOL_OK)
			rp = &r;
		json_decref(ans);
		bool retry;
		obol_err got = e;
		if ((e = refund_forget(w, ws, i)) != OBOL_OK)
			return e;
		if ((e = coupon_wallet_refund_refused(&ws->cfg, &ws->coins[i], got, rp, box_hash, &retry)) != OBOL_OK ||
		    !retry)
			return e;
	}
	return OBOL_E_COUPON_INDEX_MISMATCH;
}
