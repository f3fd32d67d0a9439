/* The wallet's requests that bring coins to the bank: deposit and
 * withdrawal (seed 002 §3.3.3, §6.4), refund of expired coins (§6.4 after
 * expiry), and the exchange of the coins of a payment left without a
 * receipt (`wallet ecash release`). Each request is kept in the wallet
 * before it leaves (ecash_w_post), and its coins leave the held ones until
 * the bank answered. See ecash_wallet.h. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "wallet/history.h"
#include "wallet/ecash_wallet_int.h"
#include "wallet/issuer_link.h"
#include "wire/json.h"

/* The result code the bank gave coin `serial` (OBOL_E_INTERNAL: none). */
static obol_err result_of(const json_t *results, const uint8_t serial[static ECASH_SERIAL_LEN], const json_t **r)
{
	char s[OBOL_B64_LEN(ECASH_SERIAL_LEN)];
	size_t i;
	const json_t *x;
	*r = NULL;
	if (obol_b64_encode(serial, ECASH_SERIAL_LEN, s, sizeof(s)) != OBOL_OK)
		return OBOL_E_INTERNAL;
	json_array_foreach(results, i, x) {
		const char *rs = json_string_value(json_object_get(x, "serial"));
		if (rs != NULL && strcmp(rs, s) == 0) {
			*r = x;
			return (obol_err)json_integer_value(json_object_get(x, "code"));
		}
	}
	return OBOL_E_INTERNAL;
}

/* Whether a coin's answer means it is gone from us for good: credited, or
 * the bank holds it otherwise (deposited, exchanged, a double spend). */
static bool gone(obol_err code)
{
	return code == OBOL_OK || code == OBOL_E_ECASH_DOUBLE_SPENT || code == OBOL_E_ECASH_ALREADY_DEPOSITED ||
	       code == OBOL_E_ECASH_ALREADY_REFUNDED || code == OBOL_E_ECASH_COIN_RETIRED;
}

/* A coin the bank issued to us in an answer (an exchange's, a withdrawal's
 * change): σ0, and an owner key we hold. */
static obol_err take_new_coin(struct ecash_wallet *ew, const json_t *cj)
{
	struct ecash_held_coin h = { 0 };
	struct ecash_coin_spec sp;
	uint8_t sk[ECASH_OWNER_SK_LEN];
	ecash_coin_spec(&sp, &h.coin);
	obol_err e = obol_json_decode(cj, &sp.s);
	if (e == OBOL_OK)
		e = ecash_coin_verify(&ew->bank, &h.coin);
	if (e == OBOL_OK && !h.coin.has_owner)
		e = OBOL_E_ECASH_COIN_UNBOUND;
	if (e == OBOL_OK)
		e = ecash_w_owner_sk(ew, h.coin.owner, sk);
	OBOL_WIPE(sk);
	if (e == OBOL_OK)
		e = ecash_w_coins_append(&ew->coins, &ew->ncoins, &h, 1);
	return e;
}

obol_err ecash_w_coins_settle(struct ecash_wallet *ew, const char *path, const json_t *body, const json_t *reply,
			      FILE *out)
{
	struct ecash_deposit_req m = { 0 };
	struct ecash_deposit_req_spec sp;
	bool exchange = strcmp(path, "/ecash/exchange") == 0;
	const char *what = exchange ? "exchange" : strcmp(path, "/ecash/refund") == 0 ? "refund" : "deposit";
	/* A coin that comes back goes where it was taken from. */
	struct ecash_held_coin **back = exchange ? &ew->unconfirmed : &ew->coins;
	size_t *nback = exchange ? &ew->nunconfirmed : &ew->ncoins;
	bool too_early = false;
	obol_err e = ecash_deposit_req_spec(&sp, &m, true);
	if (e == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_decode(body, &sp.s));
	if (e != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	if (reply == NULL) {
		/* The bank refused the whole request: nothing of it stands. */
		e = ecash_w_coins_append(back, nback, m.coins, m.ncoins);
		goto out;
	}
	const json_t *results = json_object_get(reply, "results"), *r;
	size_t i;
	json_array_foreach(results, i, r) {
		ecash_w_print_result(out, what, r);
	}
	for (size_t j = 0; j < m.ncoins && e == OBOL_OK; j++) {
		obol_err code = result_of(results, m.coins[j].coin.serial, &r);
		if (exchange && code == OBOL_OK)
			e = take_new_coin(ew, json_object_get(r, "coin"));
		else if (!gone(code))
			e = ecash_w_coins_append(back, nback, &m.coins[j], 1);
		too_early |= exchange && code == OBOL_E_ECASH_EXCHANGE_TOO_EARLY;
	}
	if (too_early)
		fprintf(out, "the merchant may still deposit a coin: try again once the bank's deposit window "
			     "after the payment is over\n");
	if (e == OBOL_OK && json_object_get(reply, "change") != NULL)
		e = take_new_coin(ew, json_object_get(reply, "change"));
	struct obol_amount credited;
	if (!exchange) {
		fprintf(out, "credited: %s\n", json_string_value(json_object_get(reply, "credited")));
		if (e == OBOL_OK && obol_amount_parse(json_string_value(json_object_get(reply, "credited")), &credited) ==
					    OBOL_OK)
			e = obol_history_note(ew->w, "withdrawal", "ecash", &credited, NULL);
	}
	/* The coins are where they belong either way; the command says so. */
	if (e == OBOL_OK && too_early)
		e = OBOL_E_ECASH_EXCHANGE_TOO_EARLY;
out:
	ecash_deposit_req_clear(&m);
	return e;
}

/* Sends a request of `kind` for coins list[idx[0..k)] (moved out of the
 * list first), with its nonce and terms, and settles the answer. */
static obol_err send_coins(struct ecash_wallet *ew, enum ecash_entry_kind kind, const uint8_t nonce[static ECASH_NONCE_LEN],
			   struct ecash_held_coin **list, size_t *n, const size_t *idx, size_t k,
			   const struct ecash_deposit_req *terms, FILE *out)
{
	static const char *const paths[] = { "/ecash/deposit", "/ecash/refund", "/ecash/exchange" };
	struct ecash_deposit_req *m = calloc(1, sizeof(*m));
	struct ecash_deposit_req_spec sp;
	struct ecash_coins_terms t;
	json_t *req = NULL, *rep = NULL;
	bool settled = false;
	obol_err e = m != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		if (terms != NULL)
			*m = *terms;
		e = ecash_w_coins_move(*list, n, idx, k, &m->coins, &m->ncoins);
	}
	if (e == OBOL_OK) {
		memcpy(m->nonce, nonce, ECASH_NONCE_LEN);
		m->cert = ew->cust.cert;
		e = ecash_deposit_req_terms(m, &t);
	}
	if (e == OBOL_OK)
		e = ecash_customer_coins_answer(&ew->cust, kind, m->nonce, m->coins, m->ncoins, &t, m->sig, &m->sig_len);
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, m, false)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_encode(&sp.s, &req));
	if (e == OBOL_OK) {
		json_t *body = json_incref(req);
		e = ecash_w_post(ew, paths[kind], body, &rep, &settled);
	}
	if (settled) {
		obol_err s = ecash_w_coins_settle(ew, paths[kind], req, e == OBOL_OK ? rep : NULL, out);
		obol_err v = ecash_wallet_save(ew);
		if (e == OBOL_OK)
			e = s != OBOL_OK ? s : v;
	} else if (req != NULL && json_object_get(ew->sec, "in_doubt") != NULL) {
		fprintf(out, "no answer from the bank: the request is kept and sent again by the next command\n");
	} else if (m != NULL && m->ncoins > 0) {
		/* It never left: the coins come back. */
		if (ecash_w_coins_append(list, n, m->coins, m->ncoins) != OBOL_OK || ecash_wallet_save(ew) != OBOL_OK)
			fprintf(out, "warning: could not save the wallet\n");
	}
	json_decref(req);
	json_decref(rep);
	if (m != NULL)
		ecash_deposit_req_clear(m);
	free(m);
	return e;
}

/* Claims a fresh coin to ourselves (§6.4) with its owner key. */
static obol_err claim_self(struct ecash_wallet *ew, struct ecash_held_coin *h, int64_t now)
{
	uint8_t sk[ECASH_OWNER_SK_LEN];
	obol_err e = OBOL_OK;
	if (h->nchain > 0)
		return OBOL_OK;
	if (h->coin.has_owner && (e = ecash_w_owner_sk(ew, h->coin.owner, sk)) != OBOL_OK)
		return e;
	e = ecash_customer_claim_self(&ew->cust, h, h->coin.has_owner ? sk : NULL, now);
	OBOL_WIPE(sk);
	return e;
}

obol_err ecash_wallet_deposit(struct ecash_wallet *ew, const struct ecash_deposit_opts *o, FILE *out)
{
	struct ecash_deposit_req terms = { 0 };
	size_t *idx = NULL, k = 0, expired = 0;
	uint8_t nonce[ECASH_NONCE_LEN];
	int64_t now = obol_now();
	bool resumed = false;
	obol_err e = ecash_w_need_registered(ew);

	if (e == OBOL_OK && (e = ecash_w_resume(ew, out, &resumed)) == OBOL_OK && resumed)
		return OBOL_OK;
	if (e == OBOL_OK && (idx = calloc(ew->ncoins ? ew->ncoins : 1, sizeof(*idx))) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && o->has_amount) {
		/* §6.4: coins worth at least the amount; the rest comes back. */
		struct ecash_select_in in = { .held = ew->coins, .n = ew->ncoins, .amount = &o->amount, .now = now };
		if ((e = ecash_select_coins(&ew->cust, &in, idx, &k)) == OBOL_OK) {
			terms.has_amount = terms.has_change = true;
			terms.amount = o->amount;
			e = ecash_w_owner_new(ew, terms.change);
		}
	} else if (e == OBOL_OK) {
		/* Received coins name us; fresh ones only for a withdrawal,
		 * while they are valid: an expired one is redeemed instead. */
		for (size_t i = 0; i < ew->ncoins && k < ECASH_COINS_MAX; i++) {
			const struct ecash_held_coin *h = &ew->coins[i];
			if (h->nchain == 0 && now > h->coin.expiry)
				expired++;
			else if ((h->nchain > 0 || o->fresh) && ecash_customer_owns(&ew->cust, h))
				idx[k++] = i;
		}
	}
	for (size_t i = 0; e == OBOL_OK && i < k; i++)
		e = claim_self(ew, &ew->coins[idx[i]], now);
	if (e == OBOL_OK && expired > 0 && o->fresh)
		fprintf(out, "expired: %zu coin%s kept; run 'obol wallet ecash redeem-expired'\n", expired,
			expired == 1 ? "" : "s");
	if (e == OBOL_OK && k == 0) {
		fprintf(out, "nothing to deposit\n");
		goto out;
	}
	terms.has_to = o->has_to;
	terms.to = o->to;
	/* The deposit's nonce is ours: it is the request's idempotency key. */
	obol_random(nonce, sizeof(nonce));
	if (e == OBOL_OK)
		e = send_coins(ew, ECASH_ENTRY_DEPOSIT, nonce, &ew->coins, &ew->ncoins, idx, k, &terms, out);
out:
	free(idx);
	return e;
}

/* Drops trailing claims we made to ourselves after the coin's expiry (left
 * by a withdrawal the bank refused as stale): they can never verify, and
 * without them the coin is ours as it was. */
static void drop_stale_self_claims(const struct ecash_customer *c, struct ecash_held_coin *h)
{
	while (h->nchain > 0) {
		struct ecash_claim *last = &h->chain[h->nchain - 1];
		uint8_t signer[ECASH_ID_LEN];
		if (last->ncerts != 1 || last->ts <= h->coin.expiry || memcmp(last->payee, c->id, ECASH_ID_LEN) != 0)
			return;
		ecash_key_id_der(last->certs[0].key, last->certs[0].key_len, signer);
		if (memcmp(signer, c->id, ECASH_ID_LEN) != 0)
			return;
		ecash_claim_clear(last);
		h->nchain--;
	}
}

/* A bank nonce for `purpose`, on a client of its own. */
static obol_err bank_nonce(struct ecash_wallet *ew, const char *purpose, uint8_t nonce[static ECASH_NONCE_LEN])
{
	struct obol_http_client *c = NULL;
	obol_err e = obol_wallet_client(ew->w, true, &c);
	if (e == OBOL_OK)
		e = ecash_w_bank_nonce(c, purpose, nonce);
	obol_http_client_free(c);
	return e;
}

obol_err ecash_wallet_redeem_expired(struct ecash_wallet *ew, FILE *out)
{
	size_t idx[ECASH_COINS_MAX], k = 0;
	uint8_t nonce[ECASH_NONCE_LEN];
	int64_t now = obol_now();
	bool resumed = false;
	obol_err e = ecash_w_need_registered(ew);
	if (e == OBOL_OK && (e = ecash_w_resume(ew, out, &resumed)) == OBOL_OK && resumed)
		return OBOL_OK;
	for (size_t i = 0; e == OBOL_OK && i < ew->ncoins && k < ECASH_COINS_MAX; i++) {
		struct ecash_held_coin *h = &ew->coins[i];
		/* expired, or its bank key past its acceptance (bank_keys.h) */
		if (now <= h->coin.expiry &&
		    ecash_coin_accepted(&ew->bank, &h->coin, now) != OBOL_E_ECASH_BANK_KEY_RETIRED)
			continue;
		drop_stale_self_claims(&ew->cust, h);
		if (ecash_customer_owns(&ew->cust, h))
			idx[k++] = i;
	}
	if (e == OBOL_OK && k == 0) {
		fprintf(out, "nothing to redeem: no expired coin\n");
		return OBOL_OK;
	}
	if (e == OBOL_OK)
		e = bank_nonce(ew, "refund", nonce);
	if (e == OBOL_OK)
		e = send_coins(ew, ECASH_ENTRY_REFUND, nonce, &ew->coins, &ew->ncoins, idx, k, NULL, out);
	return e;
}

obol_err ecash_wallet_release(struct ecash_wallet *ew, FILE *out)
{
	struct ecash_deposit_req terms = { 0 };
	size_t idx[ECASH_COINS_MAX], k = 0;
	uint8_t nonce[ECASH_NONCE_LEN];
	bool resumed = false;
	obol_err e = ecash_w_need_registered(ew);
	if (e == OBOL_OK && (e = ecash_w_resume(ew, out, &resumed)) == OBOL_OK && resumed)
		return OBOL_OK;
	if (e == OBOL_OK && ew->nunconfirmed == 0) {
		if (ew->npending > 0)
			fprintf(out, "%zu coin%s handed over by an earlier version stay pending: the claim made for them "
				     "was not kept, so the bank cannot tell whose they are\n",
				ew->npending, ew->npending == 1 ? "" : "s");
		return OBOL_E_ECASH_NOT_PENDING;
	}
	/* Each coin, with the claim we made for the merchant, for a fresh one
	 * to a new owner key of ours (kept before the request leaves). */
	for (size_t i = 0; e == OBOL_OK && i < ew->nunconfirmed && k < ECASH_COINS_MAX; i++) {
		idx[k] = i;
		e = ecash_w_owner_new(ew, terms.owners[k++]);
	}
	terms.has_owners = true;
	terms.nowners = k;
	if (e == OBOL_OK)
		e = bank_nonce(ew, "exchange", nonce);
	if (e == OBOL_OK)
		e = send_coins(ew, ECASH_ENTRY_EXCHANGE, nonce, &ew->unconfirmed, &ew->nunconfirmed, idx, k, &terms, out);
	return e;
}
