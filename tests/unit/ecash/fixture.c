/* The ecash test world; see fixture.h. */
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "cli/bench_keys.h"
#include "core/clock.h"
#include "crypto/secret.h"

int64_t fx_now_value = INT64_C(1800000000);

static int register_party(struct fx *w, struct fx_party *p, EVP_PKEY *k, int64_t account)
{
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX], *der = NULL;
	size_t sig_len, der_len;
	struct ecash_cert cert;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	p->sk = k;
	p->account = account;
	obol_random(nonce, sizeof(nonce));
	if (obol_rsa_public_to_der(k, &der, &der_len) != OBOL_OK ||
	    ecash_customer_register_answer(k, nonce, sig, &sig_len) != OBOL_OK ||
	    ecash_bank_register(&w->bank, nonce, der, der_len, sig, sig_len, account, FX_NOW - 3600, &cert) != OBOL_OK ||
	    ecash_customer_init(&p->c, k, w->bank_sk, &cert, account, FX_NOW) != OBOL_OK)
		goto out;
	p->c.pol = w->bank.pol;
	ecash_merchant_init(&p->m, w->bank_sk, p->c.id);
	p->m.pol = w->bank.pol;
	rc = 0;
out:
	OPENSSL_free(der);
	return rc;
}

int fx_add_party(struct fx *w, EVP_PKEY *k)
{
	if (w->n >= FX_PARTIES_MAX || register_party(w, &w->p[w->n], k, 101 + (int64_t)w->n) != 0) {
		EVP_PKEY_free(k);
		return -1;
	}
	return (int)w->n++;
}

int fx_init(struct fx *w, size_t n)
{
	EVP_PKEY *keys[FX_PARTIES_MAX + 1] = { 0 };
	memset(w, 0, sizeof(*w));
	fx_now_value = obol_now();
	if (n > FX_PARTIES_MAX || bench_rsa_keys(keys, n + 1) != OBOL_OK)
		return -1;
	w->bank_sk = keys[0];
	if (ecash_bank_init(&w->bank, w->bank_sk, "EUR") != OBOL_OK)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (fx_add_party(w, keys[i + 1]) < 0)
			return -1;
	return 0;
}

void fx_free(struct fx *w)
{
	for (size_t i = 0; i < w->n; i++) {
		for (size_t j = 0; j < w->p[i].ncoins; j++)
			ecash_held_clear(&w->p[i].coins[j]);
		free(w->p[i].coins);
		ecash_merchant_free(&w->p[i].m);
		EVP_PKEY_free(w->p[i].sk);
	}
	ecash_directory_clear(&w->dir);
	EVP_PKEY_free(w->bank_sk);
	memset(w, 0, sizeof(*w));
}

static int wallet_add(struct fx_party *p, const struct ecash_held_coin *h)
{
	struct ecash_held_coin *nc = realloc(p->coins, (p->ncoins + 1) * sizeof(*nc));
	if (nc == NULL)
		return -1;
	p->coins = nc;
	if (ecash_held_copy(&p->coins[p->ncoins], h) != OBOL_OK)
		return -1;
	p->ncoins++;
	return 0;
}

int fx_topup(struct fx *w, size_t i, const char *const *values, size_t n)
{
	struct obol_amount v[ECASH_COINS_MAX], total;
	struct ecash_coin coins[ECASH_COINS_MAX];
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
	size_t sig_len;
	struct fx_party *p = &w->p[i];

	for (size_t k = 0; k < n; k++)
		if (obol_amount_parse(values[k], &v[k]) != OBOL_OK)
			return -1;
	obol_random(nonce, sizeof(nonce));
	if (ecash_customer_topup_answer(&p->c, nonce, v, n, sig, &sig_len) != OBOL_OK ||
	    ecash_bank_topup(&w->bank, &p->c.cert, NULL, nonce, v, n, sig, sig_len, FX_NOW - 60, coins, &total) != OBOL_OK ||
	    ecash_customer_topup_check(&p->c, v, coins, n, FX_NOW) != OBOL_OK)
		return -1;
	for (size_t k = 0; k < n; k++) {
		struct ecash_held_coin h = { .coin = coins[k] };
		if (wallet_add(p, &h) != 0)
			return -1;
	}
	return 0;
}

int fx_sign_directory(struct fx *w)
{
	ecash_directory_clear(&w->dir);
	w->dir.certs = calloc(w->n, sizeof(*w->dir.certs));
	if (w->dir.certs == NULL)
		return -1;
	for (size_t i = 0; i < w->n; i++)
		w->dir.certs[i] = w->p[i].c.cert;
	w->dir.n = w->n;
	w->dir.issued = FX_NOW - 100;
	return ecash_bank_sign_directory(&w->bank, &w->dir) == OBOL_OK ? 0 : -1;
}

obol_err fx_pay(struct fx *w, size_t payer, size_t payee, const size_t *idx, size_t n, const char *price,
		size_t ring, int64_t now, struct ecash_payment *out)
{
	struct ecash_offer offer;
	struct obol_amount pr;
	struct ecash_cert rc[ECASH_RING_MAX];
	size_t signer = 0;
	obol_err err = obol_amount_parse(price, &pr);
	if (err == OBOL_OK)
		err = ecash_merchant_offer(&w->p[payee].m, &pr, now, &offer);
	if (err == OBOL_OK && ring > 0)
		err = ecash_ring_pick(&w->p[payer].c, &w->dir, NULL, ring, now, rc, &signer);
	if (err != OBOL_OK)
		return err;
	return ecash_customer_pay(&w->p[payer].c, &offer, w->p[payer].coins, idx, n, ring ? rc : NULL, ring, signer,
				  now, out);
}

int fx_receive(struct fx *w, size_t payee, const struct ecash_payment *p)
{
	for (size_t i = 0; i < p->ncoins; i++)
		if (wallet_add(&w->p[payee], &p->coins[i]) != 0)
			return -1;
	return 0;
}

void fx_flip(uint8_t *p, size_t i)
{
	p[i] ^= 0x01;
}
