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

obol_err ecash_customer_init(struct ecash_customer *c, EVP_PKEY *sk, EVP_PKEY *bank_pk, const struct ecash_cert *cert,
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

obol_err ecash_customer_topup_answer(const struct ecash_customer *c, const uint8_t nonce[static ECASH_NONCE_LEN],
				     const struct obol_amount *values, size_t n, uint8_t sig[static ECASH_SIG_MAX],
				     size_t *sig_len)
{
	uint8_t dg[OBOL_HASH_LEN];
	struct ecash_bytes msg;
	if (n == 0 || n > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	ecash_topup_digest(values, n, dg);
	obol_err err = ecash_bank_nonce_bytes("topup", nonce, dg, &msg);
	return sign_msg(c->sk, err, &msg, sig, sig_len);
}

obol_err ecash_customer_topup_check(const struct ecash_customer *c, const struct obol_amount *values,
				    const struct ecash_coin *coins, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++) {
		int cmp;
		obol_err err = ecash_coin_verify(c->bank_pk, &coins[i]);
		if (err != OBOL_OK)
			return err;
		if (!obol_amount_same_currency(&values[i], &coins[i].value) ||
		    obol_amount_cmp(&values[i], &coins[i].value, &cmp) != OBOL_OK || cmp != 0)
			return OBOL_E_ECASH_COIN_VALUE;
		if (now > coins[i].expiry)
			return OBOL_E_ECASH_COIN_EXPIRED;
	}
	return OBOL_OK;
}

obol_err ecash_customer_deposit_answer(const struct ecash_customer *c, const uint8_t nonce[static ECASH_NONCE_LEN],
				       const struct ecash_held_coin *coins, size_t n, uint8_t sig[static ECASH_SIG_MAX],
				       size_t *sig_len)
{
	uint8_t dg[OBOL_HASH_LEN];
	struct ecash_bytes msg;
	obol_err err = ecash_deposit_digest(coins, n, dg);
	if (err != OBOL_OK)
		return err;
	err = ecash_bank_nonce_bytes("deposit", nonce, dg, &msg);
	return sign_msg(c->sk, err, &msg, sig, sig_len);
}

obol_err ecash_customer_refund_answer(const struct ecash_customer *c, const uint8_t nonce[static ECASH_NONCE_LEN],
				      const struct ecash_held_coin *coins, size_t n, uint8_t sig[static ECASH_SIG_MAX],
				      size_t *sig_len)
{
	uint8_t dg[OBOL_HASH_LEN];
	struct ecash_bytes msg;
	obol_err err = ecash_deposit_digest(coins, n, dg);
	if (err != OBOL_OK)
		return err;
	err = ecash_bank_nonce_bytes("refund", nonce, dg, &msg);
	return sign_msg(c->sk, err, &msg, sig, sig_len);
}

bool ecash_customer_owns(const struct ecash_customer *c, const struct ecash_held_coin *h)
{
	return h->nchain == 0 || memcmp(h->chain[h->nchain - 1].payee, c->id, ECASH_ID_LEN) == 0;
}

obol_err ecash_select_coins(const struct ecash_customer *c, const struct ecash_held_coin *held, size_t n,
			    const struct obol_amount *amount, bool ring_only_fresh, int64_t now, size_t *idx,
			    size_t *nidx)
{
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
		if (!ecash_customer_owns(c, h) || now > h->coin.expiry ||
		    h->nchain >= ECASH_CHAIN_MAX || (ring_only_fresh && h->nchain > 0) ||
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
	*nidx = chosen;
out:
	free(all);
	free(order);
	return err;
}

obol_err ecash_ring_pick(const struct ecash_customer *c, const struct ecash_directory *dir,
			 const struct ecash_revocations *rl, size_t size, int64_t now, struct ecash_cert *ring,
			 size_t *signer)
{
	size_t *cand = NULL, ncand = 0;
	uint8_t id[ECASH_ID_LEN];
	obol_err err = OBOL_OK;

	if (size < 2 || size > ECASH_RING_MAX)
		return OBOL_E_ECASH_RING_SIZE;
	err = ecash_directory_verify(c->bank_pk, dir);
	if (err != OBOL_OK)
		return err;
	cand = malloc((dir->n ? dir->n : 1) * sizeof(*cand));
	if (cand == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < dir->n; i++) {
		ecash_key_id_der(dir->certs[i].key, dir->certs[i].key_len, id);
		if (memcmp(id, c->id, ECASH_ID_LEN) == 0)
			continue;
		if (ecash_cert_verify(c->bank_pk, &dir->certs[i], rl, &c->pol, now) != OBOL_OK)
			continue;
		bool dup = false;
		for (size_t j = 0; j < ncand && !dup; j++)
			dup = dir->certs[cand[j]].key_len == dir->certs[i].key_len &&
			      memcmp(dir->certs[cand[j]].key, dir->certs[i].key, dir->certs[i].key_len) == 0;
		if (!dup)
			cand[ncand++] = i;
	}
	if (ncand < size - 1) {
		err = OBOL_E_ECASH_DIRECTORY_TOO_SMALL;
		goto out;
	}
	/* A uniform choice of size-1 others (partial Fisher-Yates), and a
	 * uniform position for us. */
	for (size_t i = 0; i < size - 1; i++) {
		uint32_t r;
		obol_random(&r, sizeof(r));
		size_t j = i + (size_t)(r % (uint32_t)(ncand - i));
		size_t t = cand[i];
		cand[i] = cand[j];
		cand[j] = t;
	}
	uint32_t pos;
	obol_random(&pos, sizeof(pos));
	*signer = (size_t)(pos % (uint32_t)size);
	for (size_t i = 0, k = 0; i < size; i++)
		ring[i] = i == *signer ? c->cert : dir->certs[cand[k++]];
out:
	free(cand);
	return err;
}

obol_err ecash_customer_pay(const struct ecash_customer *c, const struct ecash_offer *offer,
			    const struct ecash_held_coin *held, const size_t *idx, size_t nidx,
			    const struct ecash_cert *ring, size_t nring, size_t signer, int64_t now,
			    struct ecash_payment *out)
{
	struct ecash_payment p = { 0 };
	struct ecash_bytes nb = { 0 };
	obol_err err = OBOL_OK;

	memset(out, 0, sizeof(*out));
	if (nidx == 0 || nidx > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	if (ring != NULL && (signer >= nring || nring < 2 || ring[signer].key_len != c->cert.key_len ||
			     memcmp(ring[signer].key, c->cert.key, c->cert.key_len) != 0))
		return OBOL_E_INVALID_ARGUMENT;
	p.coins = calloc(nidx, sizeof(*p.coins));
	if (p.coins == NULL)
		return OBOL_E_NO_MEMORY;
	memcpy(p.nonce, offer->nonce, ECASH_NONCE_LEN);
	for (size_t i = 0; i < nidx; i++) {
		const struct ecash_held_coin *h = &held[idx[i]];
		if (!ecash_customer_owns(c, h)) {
			err = OBOL_E_ECASH_WRONG_MERCHANT;
			goto out;
		}
		err = ecash_held_copy(&p.coins[i], h);
		if (err != OBOL_OK)
			goto out;
		p.ncoins = i + 1;
		/* σ2 = sign_C(m + M_ID + Timestamp), linked to the previous claim. */
		err = ecash_claim_make(&p.coins[i], offer->merchant, now, c->sk, &c->cert, ring, nring, signer);
		if (err != OBOL_OK)
			goto out;
	}
	/* σ1 = sign_C(n), or ringsign(n) over the same ring. */
	err = ecash_nonce_bytes(offer->nonce, offer->merchant, &nb);
	if (err != OBOL_OK)
		goto out;
	if (ring != NULL)
		err = ecash_group_sign(ring, nring, signer, c->sk, &nb, &p.sigma1, &p.sigma1_len);
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

obol_err ecash_customer_claim_self(const struct ecash_customer *c, struct ecash_held_coin *h, int64_t now)
{
	if (!ecash_customer_owns(c, h))
		return OBOL_E_ECASH_WRONG_MERCHANT;
	if (h->nchain > 0)
		return OBOL_OK; /* received coins already name us */
	return ecash_claim_make(h, c->id, now, c->sk, &c->cert, NULL, 0, 0);
}
