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
	    ecash_customer_register_answer(k, nonce, sig, &sig_len) != OBOL_OK)
		goto out;
	struct ecash_register_in in = { .nonce = nonce, .key = der, .key_len = der_len, .sig = sig, .sig_len = sig_len,
					.account = account, .now = FX_NOW - 3600 };
	if (ecash_bank_register(&w->bank, &in, &cert) != OBOL_OK ||
	    ecash_customer_init(&p->c, k, &w->bank.keys, &cert, account, FX_NOW) != OBOL_OK)
		goto out;
	p->c.pol = w->bank.pol;
	ecash_merchant_init(&p->m, &w->bank.keys, k, &cert);
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
		free(w->p[i].owner_sks);
		ecash_merchant_free(&w->p[i].m);
		EVP_PKEY_free(w->p[i].sk);
	}
	ecash_directory_clear(&w->dir);
	ecash_bank_clear(&w->bank);
	EVP_PKEY_free(w->bank_sk);
	memset(w, 0, sizeof(*w));
}

static int wallet_add(struct fx_party *p, const struct ecash_held_coin *h, const uint8_t *owner_sk)
{
	struct ecash_held_coin *nc = realloc(p->coins, (p->ncoins + 1) * sizeof(*nc));
	uint8_t (*ns)[ECASH_OWNER_SK_LEN] = realloc(p->owner_sks, (p->ncoins + 1) * ECASH_OWNER_SK_LEN);
	if (nc != NULL)
		p->coins = nc;
	if (ns != NULL)
		p->owner_sks = ns;
	if (nc == NULL || ns == NULL)
		return -1;
	memset(p->owner_sks[p->ncoins], 0, ECASH_OWNER_SK_LEN);
	if (owner_sk != NULL)
		memcpy(p->owner_sks[p->ncoins], owner_sk, ECASH_OWNER_SK_LEN);
	if (ecash_held_copy(&p->coins[p->ncoins], h) != OBOL_OK)
		return -1;
	p->ncoins++;
	return 0;
}

int fx_topup(struct fx *w, size_t i, const char *const *values, size_t n)
{
	struct ecash_coin_order o[ECASH_COINS_MAX];
	uint8_t sks[ECASH_COINS_MAX][ECASH_OWNER_SK_LEN];
	struct ecash_coin coins[ECASH_COINS_MAX];
	struct obol_amount total;
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
	size_t sig_len;
	struct fx_party *p = &w->p[i];

	for (size_t k = 0; k < n; k++) {
		if (obol_amount_parse(values[k], &o[k].value) != OBOL_OK)
			return -1;
		ecash_owner_keypair(o[k].owner, sks[k]);
	}
	obol_random(nonce, sizeof(nonce));
	if (ecash_customer_topup_answer(&p->c, nonce, o, n, sig, &sig_len) != OBOL_OK)
		return -1;
	struct ecash_topup_in in = { .cert = &p->c.cert, .nonce = nonce, .orders = o, .n = n, .sig = sig,
				     .sig_len = sig_len, .now = FX_NOW - 60 };
	if (ecash_bank_topup(&w->bank, &in, coins, &total) != OBOL_OK ||
	    ecash_customer_topup_check(&p->c, o, coins, n, FX_NOW) != OBOL_OK)
		return -1;
	for (size_t k = 0; k < n; k++) {
		struct ecash_held_coin h = { .coin = coins[k] };
		if (wallet_add(p, &h, sks[k]) != 0)
			return -1;
	}
	return 0;
}

int fx_sign_directory(struct fx *w)
{
	ecash_directory_clear(&w->dir);
	w->dir.e = calloc(ECASH_DIRECTORY_SPAN, sizeof(*w->dir.e));
	if (w->dir.e == NULL)
		return -1;
	for (size_t i = 0; i < w->n && i < ECASH_DIRECTORY_SPAN; i++) {
		w->dir.e[i].seq = i;
		w->dir.e[i].cert = w->p[i].c.cert;
		w->dir.n = i + 1;
	}
	w->dir.first = 0;
	w->dir.span = ECASH_DIRECTORY_SPAN;
	w->dir.issued = FX_NOW - 100;
	return ecash_bank_sign_directory(&w->bank, &w->dir) == OBOL_OK ? 0 : -1;
}

obol_err fx_pay(struct fx *w, size_t payer, size_t payee, const size_t *idx, size_t n, const char *price,
		size_t ring, int64_t now, struct ecash_payment *out)
{
	struct ecash_offer offer;
	struct obol_amount pr;
	struct ecash_cert rc[ECASH_RING_MAX];
	uint8_t sks[ECASH_COINS_MAX][ECASH_OWNER_SK_LEN];
	size_t signer = 0, nring = 0;
	obol_err err = obol_amount_parse(price, &pr);
	if (err == OBOL_OK)
		err = ecash_merchant_offer(&w->p[payee].m, &pr, now, &offer);
	if (err == OBOL_OK && ring > 0) {
		struct ecash_ring_in in = { .dir = &w->dir, .size = ring, .now = now };
		err = ecash_ring_pick(&w->p[payer].c, &in, rc, &nring, &signer);
	}
	if (err != OBOL_OK)
		return err;
	for (size_t i = 0; i < n && i < ECASH_COINS_MAX; i++)
		memcpy(sks[i], w->p[payer].owner_sks[idx[i]], ECASH_OWNER_SK_LEN);
	struct ecash_pay_in in = { .offer = &offer, .held = w->p[payer].coins, .idx = idx, .nidx = n,
				   .owner_sks = (const uint8_t(*)[ECASH_OWNER_SK_LEN])sks, .ring = ring ? rc : NULL,
				   .nring = nring, .signer = signer, .now = now };
	return ecash_customer_pay(&w->p[payer].c, &in, out);
}

obol_err fx_accept(struct fx *w, size_t payee, const struct ecash_payment *p, int64_t now)
{
	struct ecash_receipt rc;
	obol_err err = ecash_merchant_verify(&w->p[payee].m, p, now);
	if (err == OBOL_OK)
		err = ecash_merchant_verify_sigs(&w->p[payee].m, p);
	if (err == OBOL_OK)
		err = ecash_merchant_accept(&w->p[payee].m, p, &rc);
	return err;
}

int fx_paid(struct fx *w, size_t n, struct ecash_payment *p)
{
	static const char *const one_euro[] = { "EUR:1" };
	size_t idx = 0;
	if (fx_init(w, n) != 0 || fx_topup(w, 0, one_euro, 1) != 0)
		return -1;
	return fx_pay(w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, p) == OBOL_OK ? 0 : -1;
}

int fx_same_account(struct fx *w, size_t as, size_t of)
{
	struct ecash_cert *c = &w->p[as].c.cert;
	struct ecash_bytes cb;
	c->account = w->p[of].account;
	w->p[as].account = w->p[of].account;
	if (ecash_cert_bytes(c, &cb) != OBOL_OK)
		return -1;
	obol_err e = ecash_sign_bytes(w->bank_sk, &cb, c->sig, &c->sig_len);
	ecash_bytes_free(&cb);
	return e == OBOL_OK ? 0 : -1;
}

int fx_receive(struct fx *w, size_t payee, const struct ecash_payment *p)
{
	for (size_t i = 0; i < p->ncoins; i++)
		if (wallet_add(&w->p[payee], &p->coins[i], NULL) != 0)
			return -1;
	return 0;
}

void fx_flip(uint8_t *p, size_t i)
{
	p[i] ^= 0x01;
}
