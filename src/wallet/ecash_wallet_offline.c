/* The wallet's offline ecash operations: paying a merchant (plain, ring,
 * transfer; seed 002 §3.3.2, §3.5.6, §4.3.2) and taking payments as a merchant
 * (§3.3.2 steps 4-7, §3.5.1). See ecash_wallet.h. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "wallet/ecash_wallet.h"
#include "wallet/ecash_wallet_int.h"
#include "wallet/payer.h"

obol_err ecash_wallet_pay(struct ecash_wallet *ew, struct obol_devlink *l, size_t ring, FILE *out)
{
	struct ecash_hello hello = { .ring = ring };
	struct ecash_hello_spec hsp;
	struct ecash_offer offer;
	struct ecash_offer_spec osp;
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec psp;
	struct ecash_receipt rc;
	struct ecash_receipt_spec rsp;
	struct ecash_cert *rmembers = NULL;
	size_t idx[ECASH_COINS_MAX], nidx = 0, signer = 0, npend0 = ew->npending;
	uint32_t type = 0;
	const uint8_t *body;
	size_t body_len;
	int64_t now = obol_now();
	bool handed = false;
	obol_err e = ecash_w_need_registered(ew);

	/* Steps 1-2: ask to pay, get M_ID, the nonce and the price. */
	ecash_hello_spec(&hsp, &hello);
	if (e == OBOL_OK)
		e = obol_devlink_write(l, ECASH_MSG_HELLO, &hsp.s);
	if (e == OBOL_OK)
		e = obol_devlink_read(l, &type, &body, &body_len);
	if (e == OBOL_OK && type != ECASH_MSG_OFFER)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK) {
		ecash_offer_spec(&osp, &offer);
		e = obol_cbor_decode(body, body_len, &osp.s);
	}
	if (e == OBOL_OK)
		e = obol_pay_offer(l, "ecash", &offer.price, 1);
	if (e == OBOL_OK)
		e = ecash_select_coins(&ew->cust, ew->coins, ew->ncoins, &offer.price, ring > 0, now, idx, &nidx);
	/* the payer's cap (src/wallet/payer.h): the coins' whole value leaves */
	for (size_t i = 0; e == OBOL_OK && i < nidx; i++)
		e = obol_pay_hand(l, &ew->coins[idx[i]].coin.value);
	if (e == OBOL_OK && ring > 0) {
		/* §4.1.1: a ring from the bank-signed directory fetched online. */
		if ((rmembers = calloc(ring, sizeof(*rmembers))) == NULL)
			e = OBOL_E_NO_MEMORY;
		else
			e = ecash_ring_pick(&ew->cust, &ew->dir, ew->rl.sig_len ? &ew->rl : NULL, ring, now, rmembers,
					    &signer);
	}
	/* Step 3: σ1, the coins, their claims σ2 and our certificate σ3. */
	if (e == OBOL_OK)
		e = ecash_customer_pay(&ew->cust, &offer, ew->coins, idx, nidx, rmembers, ring, signer, now, &p);
	/* The coins leave the wallet before they leave the device: a crash
	 * from here on cannot make us spend them twice. */
	if (e == OBOL_OK && (e = ecash_w_coins_move(ew->coins, &ew->ncoins, idx, nidx, &ew->pending, &ew->npending)) == OBOL_OK)
		e = ecash_wallet_save(ew);
	bool sent = false, unsure = false;
	if (e == OBOL_OK) {
		handed = true;
		if ((e = ecash_payment_spec(&psp, &p, false)) == OBOL_OK)
			e = ecash_payment_done(&psp, (e = obol_pay_sent(l, &psp.s)) == OBOL_OK
							     ? obol_devlink_write(l, ECASH_MSG_PAY, &psp.s)
							     : e);
		sent = e == OBOL_OK;
		unsure = e == OBOL_E_NETWORK; /* part of the frame may have left */
	}
	if (e == OBOL_OK)
		e = obol_devlink_read(l, &type, &body, &body_len);
	/* After PAY left, only the merchant's own refusal (an ERROR frame naming
	 * it) says the coins were not taken. */
	if (sent && (e == OBOL_E_NETWORK || e == OBOL_E_DEVLINK_CLOSED || e == OBOL_E_WIRE_TRUNCATED ||
		     e == OBOL_E_PEER_ERROR))
		unsure = true;
	if (e == OBOL_OK && type != ECASH_MSG_RECEIPT)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK) {
		ecash_receipt_spec(&rsp, &rc);
		e = obol_cbor_decode(body, body_len, &rsp.s);
	}
	if (e == OBOL_OK && memcmp(rc.nonce, offer.nonce, ECASH_NONCE_LEN) != 0)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e != OBOL_OK && sent && !unsure && type == ECASH_MSG_RECEIPT)
		unsure = true; /* a receipt we cannot read: the merchant did take them */
	if (e == OBOL_OK) {
		/* Accepted: the pending coins are the merchant's now. */
		for (size_t i = npend0; i < ew->npending; i++)
			ecash_held_clear(&ew->pending[i]);
		ew->npending = npend0;
		e = ecash_wallet_save(ew);
		char v[OBOL_AMOUNT_STR_MAX], pr[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&rc.value, v);
		obol_amount_format(&offer.price, pr);
		fprintf(out, "paid: %s for a price of %s in %zu coin%s%s\n", v, pr, nidx, nidx == 1 ? "" : "s",
			ring ? " (ring-signed)" : "");
		if (ring)
			fprintf(out, "ring: %zu keys\n", ring);
		ecash_w_print_id(out, "merchant", offer.merchant, 8);
		if (e == OBOL_OK)
			e = obol_pay_receipt(l, 1);
	} else if (handed && unsure) {
		fprintf(out, "no answer from the merchant: %zu coin%s stay pending (if it did not take them: "
			     "'wallet ecash release')\n", nidx, nidx == 1 ? "" : "s");
	} else if (handed) {
		/* Refused, or never sent: the coins come back (the claim made for
		 * this merchant lived only in the payment). */
		obol_pay_refused(l, e);
		size_t back[ECASH_COINS_MAX], nb = 0;
		for (size_t i = npend0; i < ew->npending && nb < ECASH_COINS_MAX; i++)
			back[nb++] = i;
		if (ecash_w_coins_move(ew->pending, &ew->npending, back, nb, &ew->coins, &ew->ncoins) != OBOL_OK ||
		    ecash_wallet_save(ew) != OBOL_OK)
			fprintf(out, "warning: could not save the wallet\n");
	}
	if (e != OBOL_OK)
		obol_pay_failed(l, e); /* the history: refused, or in doubt */
	free(rmembers);
	ecash_payment_clear(&p);
	return e;
}

obol_err ecash_wallet_merchant(struct ecash_wallet *ew, struct ecash_merchant *m)
{
	obol_err e = ecash_w_need_registered(ew);
	if (e != OBOL_OK)
		return e;
	ecash_merchant_init(m, ew->bank_pk, ew->cust.id);
	if (ew->rl.sig_len != 0) {
		struct ecash_revocations copy = ew->rl;
		copy.ids = malloc((ew->rl.n ? ew->rl.n : 1) * ECASH_ID_LEN);
		if (copy.ids == NULL)
			return OBOL_E_NO_MEMORY;
		memcpy(copy.ids, ew->rl.ids, ew->rl.n * ECASH_ID_LEN);
		if ((e = ecash_merchant_set_revocations(m, &copy)) != OBOL_OK) {
			free(copy.ids);
			return e;
		}
	}
	const json_t *seen = json_object_get(ew->sec, "seen");
	size_t i;
	const json_t *s;
	json_array_foreach(seen, i, s) {
		uint8_t serial[ECASH_SERIAL_LEN];
		size_t n;
		if (!json_is_string(s) || obol_b64_decode(json_string_value(s), serial, sizeof(serial), &n, 1) != OBOL_OK)
			return OBOL_E_WALLET_FILE;
		if ((e = ecash_merchant_remember(m, serial)) != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

/* §3.5.1: the merchant's registry entry (m and σ2 are in the held coin;
 * serial, n, σ1 and the time go to "receipts"). */
static obol_err registry_add(struct ecash_wallet *ew, const struct ecash_payment *p, int64_t now)
{
	json_t *seen = json_object_get(ew->sec, "seen"), *rec = json_object_get(ew->sec, "receipts");
	if (seen == NULL) {
		seen = json_array();
		if (seen == NULL || json_object_set_new(ew->sec, "seen", seen) != 0)
			return OBOL_E_NO_MEMORY;
	}
	if (rec == NULL) {
		rec = json_array();
		if (rec == NULL || json_object_set_new(ew->sec, "receipts", rec) != 0)
			return OBOL_E_NO_MEMORY;
	}
	for (size_t i = 0; i < p->ncoins; i++) {
		json_t *o = json_object();
		char serial[OBOL_B64_LEN(ECASH_SERIAL_LEN)];
		obol_err e = o ? obol_b64_encode(p->coins[i].coin.serial, ECASH_SERIAL_LEN, serial, sizeof(serial))
			       : OBOL_E_NO_MEMORY;
		if (e == OBOL_OK && json_array_append_new(seen, json_string(serial)) != 0)
			e = OBOL_E_NO_MEMORY;
		if (e == OBOL_OK && (json_object_set_new(o, "serial", json_string(serial)) != 0 ||
				     json_object_set_new(o, "at", json_integer(now)) != 0))
			e = OBOL_E_NO_MEMORY;
		if (e == OBOL_OK)
			e = ecash_w_set_blob(o, "nonce", p->nonce, ECASH_NONCE_LEN);
		if (e == OBOL_OK)
			e = ecash_w_set_blob(o, "sigma1", p->sigma1, p->sigma1_len);
		if (e == OBOL_OK && json_array_append_new(rec, o) != 0)
			e = OBOL_E_NO_MEMORY;
		else if (e != OBOL_OK)
			json_decref(o);
		if (e != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

obol_err ecash_wallet_receive(struct ecash_wallet *ew, struct ecash_merchant *m, struct obol_devlink *l,
			      const struct obol_amount *price, FILE *out)
{
	struct ecash_hello hello;
	struct ecash_hello_spec hsp;
	struct ecash_offer offer;
	struct ecash_offer_spec osp;
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec psp;
	struct ecash_receipt rc = { 0 };
	struct ecash_receipt_spec rsp;
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
	int64_t now = obol_now();
	obol_err e = obol_devlink_read(l, &type, &body, &body_len);

	if (e == OBOL_OK && type != ECASH_MSG_HELLO)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK) {
		ecash_hello_spec(&hsp, &hello);
		e = obol_cbor_decode(body, body_len, &hsp.s);
	}
	if (e == OBOL_OK)
		e = ecash_merchant_offer(m, price, now, &offer);
	if (e == OBOL_OK) {
		ecash_offer_spec(&osp, &offer);
		e = obol_devlink_write(l, ECASH_MSG_OFFER, &osp.s);
	}
	if (e == OBOL_OK)
		e = obol_devlink_read(l, &type, &body, &body_len);
	if (e == OBOL_OK && type != ECASH_MSG_PAY)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK && (e = ecash_payment_spec(&psp, &p, true)) == OBOL_OK)
		e = ecash_payment_done(&psp, obol_cbor_decode(body, body_len, &psp.s));
	/* Steps 4-7, offline, then the registry: stored before the receipt. */
	if (e == OBOL_OK)
		e = ecash_merchant_verify(m, &p, obol_now());
	if (e == OBOL_OK)
		e = ecash_w_coins_append(&ew->coins, &ew->ncoins, p.coins, p.ncoins);
	if (e == OBOL_OK)
		e = registry_add(ew, &p, now);
	if (e == OBOL_OK)
		e = ecash_wallet_save(ew);
	if (e == OBOL_OK)
		e = ecash_merchant_accept(m, &p, obol_now());
	if (e == OBOL_OK) {
		memcpy(rc.nonce, p.nonce, ECASH_NONCE_LEN);
		rc.ncoins = p.ncoins;
		if ((e = obol_amount_zero(price->currency, &rc.value)) == OBOL_OK)
			for (size_t i = 0; i < p.ncoins && e == OBOL_OK; i++)
				e = obol_amount_add(&rc.value, &rc.value, &p.coins[i].coin.value);
	}
	if (e == OBOL_OK) {
		ecash_receipt_spec(&rsp, &rc);
		e = obol_devlink_write(l, ECASH_MSG_RECEIPT, &rsp.s);
		char v[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&rc.value, v);
		const struct ecash_claim *sg = ecash_payment_signers(&p);
		fprintf(out, "received: %s in %zu coin%s (%s)\n", v, p.ncoins, p.ncoins == 1 ? "" : "s",
			sg && sg->ncerts > 1 ? "ring-signed" : "signed");
	} else if (e != OBOL_E_NETWORK && e != OBOL_E_DEVLINK_CLOSED) {
		if (obol_devlink_write_error(l, e) != OBOL_OK)
			fprintf(out, "could not send the refusal\n");
		fprintf(out, "refused: %s\n", obol_strerror(e));
	}
	ecash_payment_clear(&p);
	return e;
}

