/* The wallet's offline ecash operations: paying a merchant (plain, ring,
 * transfer; seed 002 §3.3.2, §3.5.6, §4.3.2) and taking payments as a merchant
 * (§3.3.2 steps 4-7, §3.5.1), both in the two messages of merchant.h. See
 * ecash_wallet.h. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "wallet/ecash_wallet.h"
#include "wallet/ecash_wallet_int.h"
#include "wallet/payer.h"

obol_err ecash_w_read_frame(struct obol_devlink *l, uint32_t want, const struct obol_fields *s)
{
	uint32_t type = 0;
	const uint8_t *body;
	size_t len;
	obol_err e = obol_devlink_read(l, &type, &body, &len);
	if (e == OBOL_OK && type != want)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK && s != NULL)
		e = obol_cbor_decode(body, len, s);
	return e;
}

/* The owner secrets of the selected fresh coins (rows of received coins are
 * left zero). *sks is heap: wipe and free. */
static obol_err owner_secrets(const struct ecash_wallet *ew, const size_t *idx, size_t n,
			      uint8_t (**sks)[ECASH_OWNER_SK_LEN])
{
	obol_err e = OBOL_OK;
	if ((*sks = calloc(n ? n : 1, ECASH_OWNER_SK_LEN)) == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < n && e == OBOL_OK; i++) {
		const struct ecash_held_coin *h = &ew->coins[idx[i]];
		if (h->nchain == 0)
			e = ecash_w_owner_sk(ew, h->coin.owner, (*sks)[i]);
	}
	return e;
}

/* Step 3, as the payer, on an offer already checked: builds the payment,
 * sends PAY, and on READY moves the coins, with the claims made for the
 * merchant, to the unconfirmed ones (saved) before SIGN leaves. *signed_out:
 * the signatures may have left. */
static obol_err hand_over(struct ecash_wallet *ew, struct obol_devlink *l, const struct ecash_offer *offer,
			  const size_t *idx, size_t nidx, size_t ring, struct ecash_payment *p, bool *signed_out)
{
	struct ecash_cert *rmembers = NULL;
	uint8_t (*sks)[ECASH_OWNER_SK_LEN] = NULL;
	struct ecash_payment_spec psp;
	struct ecash_signatures sg = { 0 };
	struct ecash_signatures_spec ssp;
	struct ecash_ready rd;
	struct ecash_ready_spec rsp;
	size_t nring = 0, signer = 0, n0 = ew->nunconfirmed;
	int64_t now = obol_now();
	obol_err e = owner_secrets(ew, idx, nidx, &sks);

	*signed_out = false;
	if (e == OBOL_OK && ring > 0) {
		/* §4.1.1: our block of the bank-signed directory fetched online. */
		struct ecash_ring_in in = { .dir = &ew->dir, .rl = ew->rl.held ? &ew->rl : NULL, .size = ring, .now = now };
		if ((rmembers = calloc(ring, sizeof(*rmembers))) == NULL)
			e = OBOL_E_NO_MEMORY;
		else
			e = ecash_ring_pick(&ew->cust, &in, rmembers, &nring, &signer);
	}
	if (e == OBOL_OK) {
		struct ecash_pay_in in = {
			.offer = offer,
			.held = ew->coins,
			.idx = idx,
			.nidx = nidx,
			.owner_sks = (const uint8_t(*)[ECASH_OWNER_SK_LEN])sks,
			.ring = ring ? rmembers : NULL,
			.nring = nring,
			.signer = signer,
			.now = now,
		};
		e = ecash_customer_pay(&ew->cust, &in, p);
	}
	/* PAY: everything but the new claims' signatures. A refusal of it
	 * leaves nothing a bank would take: the coins stay ours. */
	if (e == OBOL_OK && (e = ecash_payment_spec(&psp, p, false)) == OBOL_OK)
		e = ecash_payment_done(&psp, (e = obol_pay_sent(l, &psp.s)) == OBOL_OK
						     ? obol_devlink_write(l, ECASH_MSG_PAY, &psp.s)
						     : e);
	ecash_ready_spec(&rsp, &rd);
	if (e == OBOL_OK && (e = ecash_w_read_frame(l, ECASH_MSG_READY, &rsp.s)) == OBOL_OK &&
	    memcmp(rd.nonce, offer->nonce, ECASH_NONCE_LEN) != 0)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK)
		e = ecash_payment_signatures(p, &sg);
	/* The coins leave the wallet, with our claims, before the signatures
	 * leave the device. */
	if (e == OBOL_OK && (e = ecash_w_coins_append(&ew->unconfirmed, &ew->nunconfirmed, p->coins, p->ncoins)) == OBOL_OK) {
		ecash_w_coins_remove(ew->coins, &ew->ncoins, idx, nidx);
		if ((e = ecash_wallet_save(ew)) != OBOL_OK) {
			/* Not kept: the coins stay ours as they were. */
			for (size_t i = n0; i < ew->nunconfirmed; i++)
				ecash_held_clear(&ew->unconfirmed[i]);
			ew->nunconfirmed = n0;
		}
	}
	if (e == OBOL_OK) {
		*signed_out = true;
		ecash_signatures_spec(&ssp, &sg, false);
		e = obol_devlink_write(l, ECASH_MSG_SIGN, &ssp.s);
	}
	ecash_signatures_clear(&sg);
	if (sks != NULL)
		obol_wipe(sks, (nidx ? nidx : 1) * ECASH_OWNER_SK_LEN);
	free(sks);
	free(rmembers);
	return e;
}

obol_err ecash_wallet_pay(struct ecash_wallet *ew, struct obol_devlink *l, size_t ring, const struct obol_amount *cap,
			  FILE *out)
{
	struct ecash_hello hello = { .ring = ring };
	struct ecash_hello_spec hsp;
	struct ecash_offer offer;
	struct ecash_offer_spec osp;
	struct ecash_payment p = { 0 };
	struct ecash_receipt rc;
	struct ecash_receipt_spec rsp;
	size_t idx[ECASH_COINS_MAX], nidx = 0;
	int64_t now = obol_now();
	bool signed_out = false, has_limit = false;
	struct obol_paycap pc;
	struct obol_amount limit;
	obol_err e = ecash_w_need_registered(ew);

	/* Steps 1-2: ask to pay, get M_ID, the nonce, the price and the
	 * merchant's certificate; check it and what the caller agreed to pay,
	 * then the payer's guard (src/wallet/payer.h: its cap, the question,
	 * the history entry, which records a refusal from here on). */
	ecash_hello_spec(&hsp, &hello);
	ecash_offer_spec(&osp, &offer);
	if (e == OBOL_OK)
		e = obol_devlink_write(l, ECASH_MSG_HELLO, &hsp.s);
	if (e == OBOL_OK)
		e = ecash_w_read_frame(l, ECASH_MSG_OFFER, &osp.s);
	if (e == OBOL_OK)
		e = ecash_customer_check_offer(&ew->cust, &offer, ew->rl.held ? &ew->rl : NULL, cap, now);
	if (e == OBOL_OK)
		e = obol_pay_offer(l, "ecash", &offer.price, 1);
	/* the payer's cap is the core's limit too: no coins worth more are
	 * chosen (ECASH_OVER_CAP), whatever price was announced */
	if (e == OBOL_OK && (e = obol_pay_cap(l, &pc)) == OBOL_OK)
		e = obol_paycap_tighter(&pc, cap, &limit, &has_limit);
	if (e == OBOL_OK) {
		struct ecash_select_in in = {
			.held = ew->coins, .n = ew->ncoins, .amount = &offer.price, .cap = has_limit ? &limit : NULL,
			.fresh_only = ring > 0, .now = now,
		};
		e = ecash_select_coins(&ew->cust, &in, idx, &nidx);
	}
	/* the payer's cap: the coins' whole value leaves */
	for (size_t i = 0; e == OBOL_OK && i < nidx; i++)
		e = obol_pay_hand(l, &ew->coins[idx[i]].coin.value);
	if (e == OBOL_OK)
		e = hand_over(ew, l, &offer, idx, nidx, ring, &p, &signed_out);
	/* After SIGN left, only the merchant's signed receipt says the coins
	 * are its; anything else leaves them unconfirmed. */
	ecash_receipt_spec(&rsp, &rc);
	if (e == OBOL_OK)
		e = ecash_w_read_frame(l, ECASH_MSG_RECEIPT, &rsp.s);
	if (e == OBOL_OK)
		e = ecash_customer_check_receipt(&offer, &p, &rc);
	if (e == OBOL_OK) {
		size_t n0 = ew->nunconfirmed - p.ncoins, drop[ECASH_COINS_MAX];
		for (size_t i = 0; i < p.ncoins; i++)
			drop[i] = n0 + i;
		ecash_w_coins_remove(ew->unconfirmed, &ew->nunconfirmed, drop, p.ncoins);
		e = ecash_wallet_save(ew);
		char v[OBOL_AMOUNT_STR_MAX], pr[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&rc.value, v);
		obol_amount_format(&offer.price, pr);
		fprintf(out, "paid: %s for a price of %s in %zu coin%s%s\n", v, pr, nidx, nidx == 1 ? "" : "s",
			ring ? " (ring-signed)" : "");
		if (ring)
			fprintf(out, "ring: %zu keys\n", p.coins[0].chain[p.coins[0].nchain - 1].ncerts);
		ecash_w_print_id(out, "merchant", offer.merchant, 8);
		if (e == OBOL_OK)
			e = obol_pay_receipt(l, 1);
	} else if (signed_out) {
		fprintf(out, "no receipt from the merchant: %zu coin%s stay unconfirmed (if it did not take them, "
			     "'wallet ecash release' exchanges them at the bank after its deposit window)\n",
			nidx, nidx == 1 ? "" : "s");
	}
	if (e != OBOL_OK)
		obol_pay_failed(l, e); /* the history: refused, or in doubt */
	ecash_payment_clear(&p);
	return e;
}

/* Gives the merchant a copy of the wallet's revocation list (none: nothing). */
static obol_err merchant_take_list(const struct ecash_wallet *ew, struct ecash_merchant *m)
{
	if (!ew->rl.held)
		return OBOL_OK;
	struct ecash_revocations copy = ew->rl;
	copy.keys = malloc((ew->rl.n ? ew->rl.n : 1) * sizeof(*copy.keys));
	if (copy.keys == NULL)
		return OBOL_E_NO_MEMORY;
	if (ew->rl.n != 0)
		memcpy(copy.keys, ew->rl.keys, ew->rl.n * sizeof(*copy.keys));
	obol_err e = ecash_merchant_set_revocations(m, &copy);
	if (e != OBOL_OK)
		free(copy.keys);
	return e;
}

obol_err ecash_wallet_merchant(struct ecash_wallet *ew, struct ecash_merchant *m)
{
	obol_err e = ecash_w_need_registered(ew);
	if (e != OBOL_OK)
		return e;
	ecash_merchant_init(m, &ew->bank, ew->sk, &ew->cust.cert);
	m->pol.transfer_max_age = ew->cust.pol.transfer_max_age;
	/* A wallet's list is as old as its last refresh: a payment is taken
	 * only while the list covers it (ecash_wallet_receive refreshes). */
	m->pol.list_covers_claims = true;
	if ((e = merchant_take_list(ew, m)) != OBOL_OK)
		return e;
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
	if (seen == NULL && ((seen = json_array()) == NULL || json_object_set_new(ew->sec, "seen", seen) != 0))
		return OBOL_E_NO_MEMORY;
	if (rec == NULL && ((rec = json_array()) == NULL || json_object_set_new(ew->sec, "receipts", rec) != 0))
		return OBOL_E_NO_MEMORY;
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

/* SIGN, as the merchant, for a payment PAY brought and verify passed: the
 * signatures, then the coins kept (saved) before the signed receipt. */
static obol_err take_signed(struct ecash_wallet *ew, struct ecash_merchant *m, struct obol_devlink *l,
			    struct ecash_payment *p, struct ecash_receipt *rc)
{
	struct ecash_signatures sg = { 0 };
	struct ecash_signatures_spec ssp;
	struct ecash_receipt_spec rsp;
	size_t n0 = ew->ncoins;
	obol_err e;
	ecash_signatures_spec(&ssp, &sg, true);
	if ((e = ecash_signatures_done(&ssp, ecash_w_read_frame(l, ECASH_MSG_SIGN, &ssp.s))) != OBOL_OK)
		return e;
	if ((e = ecash_payment_attach(p, &sg)) != OBOL_OK) {
		ecash_signatures_clear(&sg);
		return e;
	}
	if ((e = ecash_merchant_verify_sigs(m, p)) != OBOL_OK)
		return e;
	if ((e = ecash_w_coins_append(&ew->coins, &ew->ncoins, p->coins, p->ncoins)) == OBOL_OK &&
	    (e = registry_add(ew, p, obol_now())) == OBOL_OK)
		e = ecash_wallet_save(ew);
	if (e != OBOL_OK) {
		for (size_t i = n0; i < ew->ncoins; i++)
			ecash_held_clear(&ew->coins[i]);
		ew->ncoins = n0;
		return e;
	}
	if ((e = ecash_merchant_accept(m, p, rc)) != OBOL_OK)
		return e;
	ecash_receipt_spec(&rsp, rc);
	return obol_devlink_write(l, ECASH_MSG_RECEIPT, &rsp.s);
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
	struct ecash_ready rd;
	struct ecash_ready_spec rdsp;
	struct ecash_receipt rc = { 0 };
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
	obol_err e;

	/* The merchant takes only claims its list covers (list_covers_claims):
	 * a list past half of that is fetched again first; when the bank
	 * cannot be reached, the payment is refused ECASH_LIST_OLD by
	 * ecash_merchant_verify rather than taken at the merchant's risk. */
	if (!ew->rl.held || obol_now() >= ew->rl.issued + m->pol.max_skew / 2) {
		obol_err le = ecash_wallet_refresh(ew, NULL);
		if (le == OBOL_OK)
			le = merchant_take_list(ew, m);
		if (le != OBOL_OK)
			fprintf(out, "the bank's revocation list is not renewed (%s): only payments it covers are taken\n",
				obol_strerror(le));
	}
	ecash_hello_spec(&hsp, &hello);
	e = ecash_w_read_frame(l, ECASH_MSG_HELLO, &hsp.s);
	if (e == OBOL_OK)
		e = ecash_merchant_offer(m, price, obol_now(), &offer);
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
	/* Steps 4-7, offline, but for the signatures SIGN brings. */
	if (e == OBOL_OK)
		e = ecash_merchant_verify(m, &p, obol_now());
	if (e == OBOL_OK) {
		memcpy(rd.nonce, p.nonce, ECASH_NONCE_LEN);
		ecash_ready_spec(&rdsp, &rd);
		e = obol_devlink_write(l, ECASH_MSG_READY, &rdsp.s);
	}
	if (e == OBOL_OK)
		e = take_signed(ew, m, l, &p, &rc);
	if (e == OBOL_OK) {
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
