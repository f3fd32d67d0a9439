/* The wallet redeems its expired coins (seed 002 §6.4 after expiry; DESIGN
 * §6: value must never be lost). See ecash_wallet.h. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "wallet/ecash_wallet_int.h"
#include "wallet/issuer_link.h"
#include "wire/json.h"

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

/* Moves the expired coins we hold (up to one request's worth) to the
 * "redeeming" list with a fresh bank nonce, and saves the wallet before the
 * request goes out. *k is how many moved. */
static obol_err pick_expired(struct ecash_wallet *ew, struct obol_http_client *c, int64_t now, size_t *k)
{
	size_t idx[ECASH_COINS_MAX];
	obol_err e = OBOL_OK;
	*k = 0;
	for (size_t i = 0; i < ew->ncoins && *k < ECASH_COINS_MAX; i++) {
		struct ecash_held_coin *h = &ew->coins[i];
		if (now <= h->coin.expiry)
			continue;
		drop_stale_self_claims(&ew->cust, h);
		if (ecash_customer_owns(&ew->cust, h))
			idx[(*k)++] = i;
	}
	if (*k == 0)
		return OBOL_OK;
	if ((e = ecash_w_bank_nonce(c, "refund", ew->red_nonce)) != OBOL_OK)
		return e;
	if ((e = ecash_w_coins_move(ew->coins, &ew->ncoins, idx, *k, &ew->redeeming, &ew->nredeeming)) != OBOL_OK)
		return e;
	return ecash_wallet_save(ew);
}

/* The bank answered: coins credited or refused for good leave the wallet;
 * any other refusal brings the coin back. */
static obol_err settle(struct ecash_wallet *ew, const json_t *rep, FILE *out)
{
	const json_t *res = json_object_get(rep, "results"), *r;
	size_t i;
	obol_err e = OBOL_OK;
	json_array_foreach(res, i, r) {
		ecash_w_print_result(out, "refund", r);
	}
	for (size_t j = 0; j < ew->nredeeming && e == OBOL_OK; j++) {
		char serial[OBOL_B64_LEN(ECASH_SERIAL_LEN)];
		obol_err code = OBOL_E_INTERNAL;
		if ((e = obol_b64_encode(ew->redeeming[j].coin.serial, ECASH_SERIAL_LEN, serial, sizeof(serial))) != OBOL_OK)
			break;
		json_array_foreach(res, i, r) {
			const char *rs = json_string_value(json_object_get(r, "serial"));
			if (rs != NULL && strcmp(rs, serial) == 0)
				code = (obol_err)json_integer_value(json_object_get(r, "code"));
		}
		if (code != OBOL_OK && code != OBOL_E_ECASH_DOUBLE_SPENT && code != OBOL_E_ECASH_ALREADY_REFUNDED &&
		    code != OBOL_E_ECASH_ALREADY_DEPOSITED)
			e = ecash_w_coins_append(&ew->coins, &ew->ncoins, &ew->redeeming[j], 1);
	}
	fprintf(out, "credited: %s\n", json_string_value(json_object_get(rep, "credited")));
	if (e != OBOL_OK)
		return e;
	ecash_w_coins_drop_all(&ew->redeeming, &ew->nredeeming);
	return ecash_wallet_save(ew);
}

obol_err ecash_wallet_redeem_expired(struct ecash_wallet *ew, FILE *out)
{
	struct obol_http_client *c = NULL;
	struct ecash_deposit_req m = { 0 };
	struct ecash_deposit_req_spec sp;
	json_t *req = NULL, *rep = NULL;
	size_t k = 0;
	obol_err e = ecash_w_need_registered(ew);
	if (e == OBOL_OK)
		e = obol_wallet_client(ew->w, true, &c);
	if (e == OBOL_OK && ew->nredeeming > 0) {
		fprintf(out, "sending again the refund of %zu coin%s whose answer was lost\n", ew->nredeeming,
			ew->nredeeming == 1 ? "" : "s");
	} else if (e == OBOL_OK) {
		e = pick_expired(ew, c, obol_now(), &k);
		if (e == OBOL_OK && k == 0) {
			fprintf(out, "nothing to redeem: no expired coin\n");
			goto out;
		}
	}
	if (e == OBOL_OK) {
		memcpy(m.nonce, ew->red_nonce, ECASH_NONCE_LEN);
		m.cert = ew->cust.cert;
		m.coins = ew->redeeming;
		m.ncoins = ew->nredeeming;
		e = ecash_customer_refund_answer(&ew->cust, m.nonce, m.coins, m.ncoins, m.sig, &m.sig_len);
	}
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, &m, false)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_encode(&sp.s, &req));
	if (e == OBOL_OK)
		e = obol_http_post_json(c, "/ecash/refund", req, OBOL_HTTP_AUTH, &rep);
	if (e == OBOL_OK) {
		e = settle(ew, rep, out);
	} else if (e != OBOL_E_NETWORK && e != OBOL_E_HTTP && e != OBOL_E_PEER_ERROR && e != OBOL_E_NO_MEMORY &&
		   ew->nredeeming > 0) {
		/* The bank refused the whole request (an expired nonce, a revoked
		 * key): nothing of it stands there, so the coins come back. */
		size_t back[ECASH_COINS_MAX], nb = 0;
		for (size_t i = 0; i < ew->nredeeming && nb < ECASH_COINS_MAX; i++)
			back[nb++] = i;
		if (ecash_w_coins_move(ew->redeeming, &ew->nredeeming, back, nb, &ew->coins, &ew->ncoins) != OBOL_OK ||
		    ecash_wallet_save(ew) != OBOL_OK)
			fprintf(out, "warning: could not save the wallet\n");
	}
out:
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
	return e;
}
