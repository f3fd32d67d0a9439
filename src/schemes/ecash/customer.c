/* The customer: registration answers, top-up checks, coin choice, payments
 * (plain, ring, transfer). See customer.h; seed 002 §3.2, §3.3, §3.5.6, §4, §6. */
#include "schemes/ecash/customer.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

static obol_err sign_msg(EVP_PKEY *sk, obol_err made, struct ecash_bytes *msg, uint8_t sig[static ECASH_SIG_MAX],
			 size_t *sig_len)
{
	if (made != OBOL_OK)
		return made;
	obol_err err = ecash_sign_bytes(sk, msg, sig, sig_len);
	ecash_bytes_free(msg);
	return err;
}

obol_err ecash_customer_register_answer(EVP_PKEY *sk, const uint8_t nonce[static ECASH_NONCE_LEN],
					uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len)
{
	struct ecash_bytes msg;
	obol_err err = ecash_bank_nonce_bytes("register", nonce, NULL, &msg);
	return sign_msg(sk, err, &msg, sig, sig_len);
}

obol_err ecash_customer_init(struct ecash_customer *c, EVP_PKEY *sk, const struct ecash_bank_keys *bank_pk,
			     const struct ecash_cert *cert,
			     int64_t account, int64_t now)
{
	uint8_t *der = NULL;
	size_t len = 0;
	obol_err err;

	memset(c, 0, sizeof(*c));
	ecash_policy_default(&c->pol);
	c->pol.min_key_bits = 0; /* the bank decided; we only check its signature */
	err = ecash_cert_verify(bank_pk, cert, NULL, &c->pol, now);
	if (err != OBOL_OK)
		goto out;
	err = obol_rsa_public_to_der(sk, &der, &len);
	if (err != OBOL_OK)
		goto out;
	if (len != cert->key_len || memcmp(der, cert->key, len) != 0) {
		err = OBOL_E_ECASH_CERT_SIGNATURE; /* a certificate on someone else's key */
		goto out;
	}
	if (cert->account != account) {
		err = OBOL_E_ECASH_WRONG_ACCOUNT;
		goto out;
	}
	c->sk = sk;
	c->bank_pk = bank_pk;
	c->cert = *cert;
	ecash_key_id_der(cert->key, cert->key_len, c->id);
out:
	OPENSSL_free(der);
	return err;
}

void ecash_customer_retire(struct ecash_customer *c, const uint8_t id[static ECASH_ID_LEN])
{
	if (c->nretired == ECASH_RETIRED_MAX) {
		memmove(c->retired[0], c->retired[1], (ECASH_RETIRED_MAX - 1) * ECASH_ID_LEN);
		c->nretired--;
	}
	memcpy(c->retired[c->nretired++], id, ECASH_ID_LEN);
}

obol_err ecash_customer_topup_answer(const struct ecash_customer *c, const uint8_t nonce[static ECASH_NONCE_LEN],
				     const struct ecash_coin_order *orders, size_t n, uint8_t sig[static ECASH_SIG_MAX],
				     size_t *sig_len)
{
	uint8_t dg[OBOL_HASH_LEN];
	struct ecash_bytes msg;
	if (n == 0 || n > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	ecash_topup_digest(orders, n, dg);
	obol_err err = ecash_bank_nonce_bytes("topup", nonce, dg, &msg);
	return sign_msg(c->sk, err, &msg, sig, sig_len);
}

obol_err ecash_customer_topup_check(const struct ecash_customer *c, const struct ecash_coin_order *orders,
				    const struct ecash_coin *coins, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		int cmp;
		obol_err err = ecash_coin_verify(c->bank_pk, &coins[i]);
		if (err != OBOL_OK)
			return err;
		if (!obol_amount_same_currency(&orders[i].value, &coins[i].value) ||
		    obol_amount_cmp(&orders[i].value, &coins[i].value, &cmp) != OBOL_OK || cmp != 0 ||
		    !coins[i].has_owner || memcmp(coins[i].owner, orders[i].owner, ECASH_OWNER_LEN) != 0)
			return OBOL_E_ECASH_COIN_VALUE;
		if (now > coins[i].expiry)
			return OBOL_E_ECASH_COIN_EXPIRED;
	}
	return OBOL_OK;
}

obol_err ecash_customer_coins_answer(const struct ecash_customer *c, enum ecash_entry_kind kind,
				     const uint8_t nonce[static ECASH_NONCE_LEN], const struct ecash_held_coin *coins,
				     size_t n, const struct ecash_coins_terms *terms, uint8_t sig[static ECASH_SIG_MAX],
				     size_t *sig_len)
{
	uint8_t dg[OBOL_HASH_LEN];
	struct ecash_bytes msg;
	obol_err err = ecash_coins_digest(coins, n, terms, dg);
	if (err != OBOL_OK)
		return err;
	err = ecash_bank_nonce_bytes(ecash_entry_purpose(kind), nonce, dg, &msg);
	return sign_msg(c->sk, err, &msg, sig, sig_len);
}

bool ecash_customer_owns(const struct ecash_customer *c, const struct ecash_held_coin *h)
{
	if (h->nchain == 0)
		return true;
	const uint8_t *payee = h->chain[h->nchain - 1].payee;
	if (memcmp(payee, c->id, ECASH_ID_LEN) == 0)
		return true;
	for (size_t i = 0; i < c->nretired; i++)
		if (memcmp(payee, c->retired[i], ECASH_ID_LEN) == 0)
			return true;
	return false;
}

bool ecash_customer_spendable(const struct ecash_customer *c, const struct ecash_held_coin *h, int64_t now)
{
	if (now > h->coin.expiry || !h->coin.has_owner || h->nchain >= ECASH_CHAIN_MAX)
		return false;
	/* its bank key still taken (a retired key's coins are redeemed) */
	if (c->bank_pk != NULL && ecash_coin_accepted(c->bank_pk, &h->coin, now) == OBOL_E_ECASH_BANK_KEY_RETIRED)
		return false;
	if (h->nchain == 0)
		return true;
	if (memcmp(h->chain[h->nchain - 1].payee, c->id, ECASH_ID_LEN) != 0)
		return false;
	return c->pol.transfer_max_age == 0 || h->chain[0].ts >= now - c->pol.transfer_max_age;
}

obol_err ecash_select_coins(const struct ecash_customer *c, const struct ecash_select_in *in, size_t *idx,
			    size_t *nidx)
{
	const struct ecash_held_coin *held = in->held;
	const struct obol_amount *amount = in->amount;
	size_t n = in->n;
	size_t *order = NULL, *all = NULL, k = 0, chosen = 0;
	struct obol_amount sum;
	obol_err err;
	int cmp = -1;

	*nidx = 0;
	err = obol_amount_zero(amount->currency, &sum);
	if (err != OBOL_OK)
		return err;
	order = malloc((n ? n : 1) * sizeof(*order));
	all = malloc((n ? n : 1) * sizeof(*all));
	if (order == NULL || all == NULL) {
		err = OBOL_E_NO_MEMORY;
		goto out;
	}
	/* Usable coins, ordered by value, largest first. */
	for (size_t i = 0; i < n; i++) {
		const struct ecash_held_coin *h = &held[i];
		if (!ecash_customer_spendable(c, h, in->now) || (in->fresh_only && h->nchain > 0) ||
		    !obol_amount_same_currency(&h->coin.value, amount))
			continue;
		size_t j = k++;
		while (j > 0) {
			int c2;
			if (obol_amount_cmp(&held[order[j - 1]].coin.value, &h->coin.value, &c2) != OBOL_OK || c2 >= 0)
				break;
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	memcpy(all, order, k * sizeof(*all));
	/* Greedy, largest first, never overshooting. If that is not exact, the
	 * smallest single coin that covers the amount; failing that, the
	 * smallest remaining coins that cover the rest, then the largest. */
	for (int pass = 0; pass < 4; pass++) {
		if ((err = obol_amount_cmp(&sum, amount, &cmp)) != OBOL_OK)
			goto out;
		if (cmp >= 0)
			break;
		if (pass == 1) {
			size_t single = SIZE_MAX;
			for (size_t i = 0; i < k; i++) {
				int c2;
				if ((err = obol_amount_cmp(&held[all[i]].coin.value, amount, &c2)) != OBOL_OK)
					goto out;
				if (c2 >= 0)
					single = i; /* order is descending: the last one is the smallest */
			}
			if (single != SIZE_MAX) {
				idx[0] = all[single];
				chosen = 1;
				sum = held[all[single]].coin.value;
			}
			continue;
		}
		for (size_t q = 0; q < k && chosen < ECASH_COINS_MAX; q++) {
			size_t i = pass == 2 ? k - 1 - q : q;
			struct obol_amount next;
			int c2;
			if ((err = obol_amount_cmp(&sum, amount, &cmp)) != OBOL_OK)
				goto out;
			if (cmp >= 0)
				break;
			if (order[i] == SIZE_MAX)
				continue;
			if ((err = obol_amount_add(&next, &sum, &held[order[i]].coin.value)) != OBOL_OK ||
			    (err = obol_amount_cmp(&next, amount, &c2)) != OBOL_OK)
				goto out;
			if ((pass == 0 && c2 > 0) || (pass == 2 && c2 < 0))
				continue;
			idx[chosen++] = order[i];
			sum = next;
			order[i] = SIZE_MAX;
		}
	}
	if ((err = obol_amount_cmp(&sum, amount, &cmp)) != OBOL_OK)
		goto out;
	if (cmp < 0 || chosen == 0) {
		err = OBOL_E_ECASH_NO_COINS;
		goto out;
	}
	/* P2: never more than the payer agreed to hand over. Over the cap,
	 * the smallest coins that cover the amount may still be under it. */
	if (in->cap != NULL) {
		if ((err = obol_amount_cmp(&sum, in->cap, &cmp)) != OBOL_OK)
			goto out;
		if (cmp > 0) {
			if ((err = obol_amount_zero(amount->currency, &sum)) != OBOL_OK)
				goto out;
			chosen = 0;
			for (size_t q = k; q-- > 0 && chosen < ECASH_COINS_MAX;) {
				if ((err = obol_amount_cmp(&sum, amount, &cmp)) != OBOL_OK)
					goto out;
				if (cmp >= 0)
					break;
				idx[chosen++] = all[q];
				if ((err = obol_amount_add(&sum, &sum, &held[all[q]].coin.value)) != OBOL_OK)
					goto out;
			}
			int c1 = -1, c2 = 1;
			if ((err = obol_amount_cmp(&sum, amount, &c1)) != OBOL_OK ||
			    (err = obol_amount_cmp(&sum, in->cap, &c2)) != OBOL_OK)
				goto out;
			if (c1 < 0 || c2 > 0) {
				err = OBOL_E_ECASH_OVER_CAP;
				goto out;
			}
		}
	}
	*nidx = chosen;
out:
	free(all);
	free(order);
	return err;
}

obol_err ecash_customer_check_offer(const struct ecash_customer *c, const struct ecash_offer *offer,
				    const struct ecash_revocations *rl, const struct obol_amount *cap, int64_t now)
{
	uint8_t id[ECASH_ID_LEN];
	int cmp;
	obol_err err = ecash_cert_verify(c->bank_pk, &offer->cert, rl, &c->pol, now);
	if (err != OBOL_OK)
		return err;
	ecash_key_id_der(offer->cert.key, offer->cert.key_len, id);
	if (memcmp(id, offer->merchant, ECASH_ID_LEN) != 0)
		return OBOL_E_ECASH_CERT_SIGNATURE;
	if (obol_amount_is_negative(&offer->price))
		return OBOL_E_ECASH_COIN_VALUE;
	if (now > offer->expiry)
		return OBOL_E_ECASH_NONCE_EXPIRED;
	if (cap != NULL) {
		if (!obol_amount_same_currency(cap, &offer->price))
			return OBOL_E_ECASH_CURRENCY;
		if ((err = obol_amount_cmp(&offer->price, cap, &cmp)) != OBOL_OK)
			return err;
		if (cmp > 0)
			return OBOL_E_ECASH_OVER_CAP;
	}
	return OBOL_OK;
}

obol_err ecash_ring_pick(const struct ecash_customer *c, const struct ecash_ring_in *in, struct ecash_cert *ring,
			 size_t *nring, size_t *signer)
{
	const struct ecash_directory *dir = in->dir;
	uint64_t mine = UINT64_MAX;
	size_t k = 0, me = SIZE_MAX;
	obol_err err;

	*nring = 0;
	*signer = 0;
	if (in->size < 2 || in->size > ECASH_RING_MAX || (in->size & (in->size - 1)) != 0)
		return OBOL_E_ECASH_RING_SIZE;
	if ((err = ecash_directory_verify(c->bank_pk, dir)) != OBOL_OK)
		return err;
	for (size_t i = 0; i < dir->n && mine == UINT64_MAX; i++)
		if (dir->e[i].cert.key_len == c->cert.key_len &&
		    memcmp(dir->e[i].cert.key, c->cert.key, c->cert.key_len) == 0)
			mine = dir->e[i].seq;
	/* Our block of `size` registrations must lie inside the directory's. */
	uint64_t first = mine - mine % in->size;
	if (mine == UINT64_MAX || in->size > dir->span || first < dir->first || first + in->size > dir->first + dir->span)
		return OBOL_E_ECASH_DIRECTORY_TOO_SMALL;
	for (size_t i = 0; i < dir->n; i++) {
		const struct ecash_dir_entry *e = &dir->e[i];
		if (e->seq < first || e->seq >= first + in->size)
			continue;
		if (e->seq == mine) {
			me = k;
			ring[k++] = c->cert;
			continue;
		}
		if (ecash_cert_verify(c->bank_pk, &e->cert, in->rl, &c->pol, in->now) == OBOL_OK)
			ring[k++] = e->cert;
	}
	if (me == SIZE_MAX || k < 2 || k * 2 < in->size)
		return OBOL_E_ECASH_DIRECTORY_TOO_SMALL;
	*nring = k;
	*signer = me;
	return OBOL_OK;
}

obol_err ecash_customer_pay(const struct ecash_customer *c, const struct ecash_pay_in *in, struct ecash_payment *out)
{
	struct ecash_payment p = { 0 };
	struct ecash_bytes nb = { 0 };
	obol_err err = OBOL_OK;

	memset(out, 0, sizeof(*out));
	if (in->nidx == 0 || in->nidx > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	if (in->ring != NULL &&
	    (in->signer >= in->nring || in->nring < 2 || in->ring[in->signer].key_len != c->cert.key_len ||
	     memcmp(in->ring[in->signer].key, c->cert.key, c->cert.key_len) != 0))
		return OBOL_E_INVALID_ARGUMENT;
	if ((p.coins = calloc(in->nidx, sizeof(*p.coins))) == NULL)
		return OBOL_E_NO_MEMORY;
	memcpy(p.nonce, in->offer->nonce, ECASH_NONCE_LEN);
	for (size_t i = 0; i < in->nidx; i++) {
		const struct ecash_held_coin *h = &in->held[in->idx[i]];
		if (!ecash_customer_spendable(c, h, in->now)) {
			err = OBOL_E_ECASH_NO_COINS;
			goto out;
		}
		if ((err = ecash_held_copy(&p.coins[i], h)) != OBOL_OK)
			goto out;
		p.ncoins = i + 1;
		/* σ2 = sign_C(m + M_ID + Timestamp), linked to the previous
		 * claim; the owner key signs a first claim too. */
		struct ecash_claim_req req = {
			.payee = in->offer->merchant,
			.ts = in->now,
			.sk = c->sk,
			.cert = &c->cert,
			.ring = in->ring,
			.nring = in->nring,
			.signer = in->signer,
			.owner_sk = h->nchain == 0 && in->owner_sks != NULL ? in->owner_sks[i] : NULL,
		};
		if ((err = ecash_claim_make(&p.coins[i], &req)) != OBOL_OK)
			goto out;
	}
	/* σ1 = sign_C(n), or ringsign(n) over the same ring. */
	if ((err = ecash_nonce_bytes(in->offer->nonce, in->offer->merchant, &nb)) != OBOL_OK)
		goto out;
	if (in->ring != NULL)
		err = ecash_group_sign(in->ring, in->nring, in->signer, c->sk, &nb, &p.sigma1, &p.sigma1_len);
	else
		err = ecash_group_sign(&c->cert, 1, 0, c->sk, &nb, &p.sigma1, &p.sigma1_len);
	if (err != OBOL_OK)
		goto out;
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	ecash_bytes_free(&nb);
	ecash_payment_clear(&p);
	return err;
}

obol_err ecash_customer_check_receipt(const struct ecash_offer *offer, const struct ecash_payment *p,
				      const struct ecash_receipt *rc)
{
	struct ecash_bytes b;
	struct obol_amount sum;
	int cmp;
	obol_err err;
	if (memcmp(rc->nonce, offer->nonce, ECASH_NONCE_LEN) != 0 || rc->ncoins != p->ncoins)
		return OBOL_E_ECASH_RECEIPT_SIGNATURE;
	if ((err = obol_amount_zero(rc->value.currency, &sum)) != OBOL_OK)
		return err;
	for (size_t i = 0; i < p->ncoins && err == OBOL_OK; i++)
		err = obol_amount_add(&sum, &sum, &p->coins[i].coin.value);
	if (err != OBOL_OK || obol_amount_cmp(&sum, &rc->value, &cmp) != OBOL_OK || cmp != 0)
		return OBOL_E_ECASH_RECEIPT_SIGNATURE;
	if ((err = ecash_receipt_bytes(offer->merchant, rc, p, &b)) != OBOL_OK)
		return err;
	err = ecash_group_verify(&offer->cert, 1, &b, rc->sig, rc->sig_len, OBOL_E_ECASH_RECEIPT_SIGNATURE, false);
	ecash_bytes_free(&b);
	return err;
}

obol_err ecash_customer_claim_self(const struct ecash_customer *c, struct ecash_held_coin *h, const uint8_t *owner_sk,
				   int64_t now)
{
	if (!ecash_customer_owns(c, h))
		return OBOL_E_ECASH_WRONG_MERCHANT;
	if (h->nchain > 0)
		return OBOL_OK; /* received coins already name us */
	struct ecash_claim_req req = {
		.payee = c->id,
		.ts = now,
		.sk = c->sk,
		.cert = &c->cert,
		.owner_sk = h->coin.has_owner ? owner_sk : NULL,
	};
	return ecash_claim_make(h, &req);
}
