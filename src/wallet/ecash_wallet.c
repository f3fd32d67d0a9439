/* The wallet's ecash part. See ecash_wallet.h; seed 002 §3, §4, §6. */
#include "wallet/history.h"
#include "wallet/ecash_wallet.h"
#include "wallet/ecash_wallet_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/http_client.h"
#include "wallet/issuer_link.h"
#include "wire/json.h"

/* ---- the section ---- */

/* A base64url string of the section as bytes (heap; *len). */
static obol_err get_blob(const json_t *obj, const char *key, uint8_t **out, size_t *len)
{
	const char *s = json_string_value(json_object_get(obj, key));
	*out = NULL;
	*len = 0;
	if (s == NULL)
		return OBOL_E_NOT_FOUND;
	size_t cap = strlen(s) * 3 / 4 + 3;
	uint8_t *b = malloc(cap);
	if (b == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_b64_decode(s, b, cap, len, 0);
	if (e != OBOL_OK) {
		obol_wipe(b, cap);
		free(b);
		return OBOL_E_WALLET_FILE;
	}
	*out = b;
	return OBOL_OK;
}

obol_err ecash_w_set_blob(json_t *obj, const char *key, const uint8_t *p, size_t n)
{
	size_t cap = OBOL_B64_LEN(n);
	char *s = malloc(cap);
	if (s == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_b64_encode(p, n, s, cap);
	if (e == OBOL_OK && json_object_set_new(obj, key, json_string(s)) != 0)
		e = OBOL_E_NO_MEMORY;
	obol_wipe(s, cap);
	free(s);
	return e;
}

static obol_err load_coins(const json_t *sec, const char *key, struct ecash_held_coin **coins, size_t *n)
{
	const json_t *j = json_object_get(sec, key);
	*coins = NULL;
	*n = 0;
	if (j == NULL)
		return OBOL_OK;
	return ecash_coins_from_json(j, coins, n, 4096) == OBOL_OK ? OBOL_OK : OBOL_E_WALLET_FILE;
}

void ecash_w_free_coins(struct ecash_held_coin *coins, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ecash_held_clear(&coins[i]);
	free(coins);
}

obol_err ecash_wallet_load(struct obol_wallet *w, struct ecash_wallet *ew)
{
	uint8_t *der = NULL, edsk[OBOL_SIGN_SK_LEN];
	size_t len = 0;
	obol_err e;

	memset(ew, 0, sizeof(*ew));
	ew->w = w;
	ew->sec = obol_wallet_section(w, "ecash");
	if (ew->sec == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_wallet_issuer(w, NULL, NULL, NULL, ew->currency)) != OBOL_OK)
		return e;
	if (obol_wallet_account(w, &ew->account, edsk) == OBOL_OK)
		obol_wipe(edsk, sizeof(edsk));
	if (get_blob(ew->sec, "bank_key", &der, &len) == OBOL_OK) {
		e = obol_rsa_public_from_der(der, len, &ew->bank_pk);
		free(der);
		if (e != OBOL_OK)
			return OBOL_E_WALLET_FILE;
	}
	if (get_blob(ew->sec, "key", &der, &len) == OBOL_OK) {
		e = obol_rsa_private_from_der(der, len, &ew->sk);
		obol_wipe(der, len);
		free(der);
		if (e != OBOL_OK)
			return OBOL_E_WALLET_FILE;
	}
	const json_t *cj = json_object_get(ew->sec, "cert");
	if (cj != NULL && ew->sk != NULL && ew->bank_pk != NULL) {
		struct ecash_cert cert;
		if (ecash_cert_from_json(cj, &cert) != OBOL_OK)
			return OBOL_E_WALLET_FILE;
		/* An expired certificate still lets the wallet read its coins. */
		e = ecash_customer_init(&ew->cust, ew->sk, ew->bank_pk, &cert, cert.account, cert.issued);
		if (e != OBOL_OK)
			return e;
		ew->registered = true;
		ew->account = cert.account;
	}
	if ((e = load_coins(ew->sec, "held", &ew->coins, &ew->ncoins)) != OBOL_OK ||
	    (e = load_coins(ew->sec, "pending", &ew->pending, &ew->npending)) != OBOL_OK ||
	    (e = load_coins(ew->sec, "depositing", &ew->depositing, &ew->ndepositing)) != OBOL_OK ||
	    (e = load_coins(ew->sec, "redeeming", &ew->redeeming, &ew->nredeeming)) != OBOL_OK)
		return e;
	if (ew->nredeeming > 0 &&
	    obol_wallet_json_get_bytes(json_object_get(ew->sec, "redeeming_nonce"), "nonce", ew->red_nonce,
				       ECASH_NONCE_LEN) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	if (ew->ndepositing > 0 &&
	    obol_wallet_json_get_bytes(json_object_get(ew->sec, "depositing_nonce"), "nonce", ew->dep_nonce,
				       ECASH_NONCE_LEN) != OBOL_OK)
		return OBOL_E_WALLET_FILE;
	const json_t *rj = json_object_get(ew->sec, "revocations");
	if (rj != NULL && ew->bank_pk != NULL) {
		struct ecash_revocations_spec sp;
		if ((e = ecash_revocations_spec(&sp, &ew->rl, true)) != OBOL_OK)
			return e;
		if (ecash_revocations_done(&sp, obol_json_decode(rj, &sp.s)) != OBOL_OK ||
		    ecash_revocations_verify(ew->bank_pk, &ew->rl) != OBOL_OK)
			return OBOL_E_WALLET_FILE;
	}
	const json_t *dj = json_object_get(ew->sec, "directory");
	if (dj != NULL) {
		struct ecash_directory_spec sp;
		ecash_directory_spec(&sp, &ew->dir, true);
		if (ecash_directory_done(&sp, obol_json_decode(dj, &sp.s)) != OBOL_OK)
			return OBOL_E_WALLET_FILE;
	}
	return OBOL_OK;
}

static obol_err put_coins(json_t *sec, const char *key, const struct ecash_held_coin *coins, size_t n)
{
	json_t *j = NULL;
	obol_err e = ecash_coins_to_json(coins, n, &j);
	if (e == OBOL_OK && json_object_set_new(sec, key, j) != 0)
		e = OBOL_E_NO_MEMORY;
	return e;
}

obol_err ecash_wallet_save(struct ecash_wallet *ew)
{
	obol_err e = put_coins(ew->sec, "held", ew->coins, ew->ncoins);
	if (e == OBOL_OK)
		e = put_coins(ew->sec, "pending", ew->pending, ew->npending);
	if (e == OBOL_OK)
		e = put_coins(ew->sec, "depositing", ew->depositing, ew->ndepositing);
	if (e == OBOL_OK) {
		json_t *dn = json_object();
		if (dn == NULL || json_object_set_new(ew->sec, "depositing_nonce", dn) != 0)
			e = OBOL_E_NO_MEMORY;
		else
			e = obol_wallet_json_set_bytes(dn, "nonce", ew->dep_nonce, ECASH_NONCE_LEN);
	}
	if (e == OBOL_OK)
		e = put_coins(ew->sec, "redeeming", ew->redeeming, ew->nredeeming);
	if (e == OBOL_OK) {
		json_t *rn = json_object();
		if (rn == NULL || json_object_set_new(ew->sec, "redeeming_nonce", rn) != 0)
			e = OBOL_E_NO_MEMORY;
		else
			e = obol_wallet_json_set_bytes(rn, "nonce", ew->red_nonce, ECASH_NONCE_LEN);
	}
	if (e == OBOL_OK && ew->rl.sig_len != 0) {
		struct ecash_revocations_spec sp;
		json_t *j = NULL;
		if ((e = ecash_revocations_spec(&sp, &ew->rl, false)) == OBOL_OK &&
		    (e = obol_json_encode(&sp.s, &j)) == OBOL_OK && json_object_set_new(ew->sec, "revocations", j) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK && ew->dir.sig_len != 0) {
		struct ecash_directory_spec sp;
		json_t *j = NULL;
		ecash_directory_spec(&sp, &ew->dir, false);
		if ((e = obol_json_encode(&sp.s, &j)) == OBOL_OK && json_object_set_new(ew->sec, "directory", j) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK)
		e = obol_wallet_save(ew->w);
	return e;
}

void ecash_wallet_free(struct ecash_wallet *ew)
{
	ecash_w_free_coins(ew->coins, ew->ncoins);
	ecash_w_free_coins(ew->pending, ew->npending);
	ecash_w_free_coins(ew->depositing, ew->ndepositing);
	ecash_w_free_coins(ew->redeeming, ew->nredeeming);
	ecash_revocations_clear(&ew->rl);
	ecash_directory_clear(&ew->dir);
	EVP_PKEY_free(ew->sk);
	EVP_PKEY_free(ew->bank_pk);
	memset(ew, 0, sizeof(*ew));
}

/* Appends copies of coins[0..n) to a list. */
obol_err ecash_w_coins_append(struct ecash_held_coin **list, size_t *n, const struct ecash_held_coin *add, size_t k)
{
	struct ecash_held_coin *nl = realloc(*list, (*n + k ? *n + k : 1) * sizeof(*nl));
	if (nl == NULL)
		return OBOL_E_NO_MEMORY;
	*list = nl;
	for (size_t i = 0; i < k; i++) {
		obol_err e = ecash_held_copy(&nl[*n], &add[i]);
		if (e != OBOL_OK)
			return e;
		(*n)++;
	}
	return OBOL_OK;
}

/* Moves list[idx[0..k)] to the end of dst (removing them from list). */
obol_err ecash_w_coins_move(struct ecash_held_coin *list, size_t *n, const size_t *idx, size_t k,
			   struct ecash_held_coin **dst, size_t *ndst)
{
	struct ecash_held_coin *nd = realloc(*dst, (*ndst + k ? *ndst + k : 1) * sizeof(*nd));
	bool *take = calloc(*n ? *n : 1, sizeof(bool));
	if (nd == NULL || take == NULL) {
		free(take);
		if (nd != NULL)
			*dst = nd;
		return OBOL_E_NO_MEMORY;
	}
	*dst = nd;
	for (size_t i = 0; i < k; i++)
		take[idx[i]] = true;
	size_t keep = 0;
	for (size_t i = 0; i < *n; i++) {
		if (take[i])
			nd[(*ndst)++] = list[i];
		else
			list[keep++] = list[i];
	}
	*n = keep;
	free(take);
	return OBOL_OK;
}

void ecash_w_coins_drop_all(struct ecash_held_coin **list, size_t *n)
{
	ecash_w_free_coins(*list, *n);
	*list = NULL;
	*n = 0;
}

/* ---- online: register, top up, refresh, deposit ---- */

obol_err ecash_w_need_registered(const struct ecash_wallet *ew)
{
	return ew->registered ? OBOL_OK : OBOL_E_ECASH_NOT_REGISTERED;
}

obol_err ecash_w_bank_nonce(struct obol_http_client *c, const char *purpose, uint8_t nonce[static ECASH_NONCE_LEN])
{
	struct ecash_nonce_reply r;
	struct ecash_nonce_spec sp;
	json_t *req = json_pack("{s:s}", "purpose", purpose), *rep = NULL;
	obol_err e = req ? obol_http_post_json(c, "/ecash/nonce", req, OBOL_HTTP_AUTH, &rep) : OBOL_E_NO_MEMORY;
	json_decref(req);
	if (e == OBOL_OK) {
		ecash_nonce_reply_spec(&sp, &r);
		e = obol_json_decode(rep, &sp.s);
	}
	if (e == OBOL_OK)
		memcpy(nonce, r.nonce, ECASH_NONCE_LEN);
	json_decref(rep);
	return e;
}

void ecash_w_print_id(FILE *out, const char *label, const uint8_t *id, size_t n)
{
	char hex[2 * ECASH_ID_LEN + 1];
	obol_hex_encode(id, n, hex);
	fprintf(out, "%s: %s\n", label, hex);
}

obol_err ecash_wallet_register(struct ecash_wallet *ew, unsigned bits, FILE *out)
{
	struct obol_http_client *c = NULL;
	json_t *keys = NULL, *rep = NULL, *req = NULL;
	struct ecash_register_req m = { 0 };
	struct ecash_register_spec sp;
	struct ecash_cert cert;
	uint8_t *der = NULL, *bk = NULL, edsk[OBOL_SIGN_SK_LEN];
	size_t der_len = 0, bk_len = 0;
	EVP_PKEY *sk = NULL;
	obol_err e;

	if (ew->registered)
		return OBOL_E_ECASH_KEY_REGISTERED;
	if ((e = obol_wallet_client(ew->w, true, &c)) != OBOL_OK)
		return e;
	if ((e = obol_wallet_account(ew->w, &ew->account, edsk)) != OBOL_OK)
		goto out;
	obol_wipe(edsk, sizeof(edsk));
	/* The bank's key from the issuer's signed key document. */
	if ((e = obol_wallet_fetch_keys(ew->w, &keys)) != OBOL_OK)
		goto out;
	if ((e = get_blob(json_object_get(keys, "ecash"), "bank_key", &bk, &bk_len)) != OBOL_OK) {
		e = e == OBOL_E_NOT_FOUND ? OBOL_E_KEYS_UNKNOWN : e;
		goto out;
	}
	EVP_PKEY_free(ew->bank_pk);
	ew->bank_pk = NULL;
	if ((e = obol_rsa_public_from_der(bk, bk_len, &ew->bank_pk)) != OBOL_OK)
		goto out;
	/* §3.2: nonce, our key pair, σ = sign(n), the bank's certificate. */
	if ((e = ecash_w_bank_nonce(c, "register", m.nonce)) != OBOL_OK || (e = obol_rsa_generate(bits, &sk)) != OBOL_OK ||
	    (e = obol_rsa_public_to_der(sk, &der, &der_len)) != OBOL_OK)
		goto out;
	if (der_len > sizeof(m.key)) {
		e = OBOL_E_ECASH_KEY_WEAK;
		goto out;
	}
	memcpy(m.key, der, der_len);
	m.key_len = der_len;
	if ((e = ecash_customer_register_answer(sk, m.nonce, m.sig, &m.sig_len)) != OBOL_OK)
		goto out;
	ecash_register_req_spec(&sp, &m);
	if ((e = obol_json_encode(&sp.s, &req)) != OBOL_OK ||
	    (e = obol_http_post_json(c, "/ecash/register", req, OBOL_HTTP_AUTH, &rep)) != OBOL_OK ||
	    (e = ecash_cert_from_json(rep, &cert)) != OBOL_OK ||
	    (e = ecash_customer_init(&ew->cust, sk, ew->bank_pk, &cert, ew->account, obol_now())) != OBOL_OK)
		goto out;
	/* Keep the key and the certificate. */
	OPENSSL_free(der);
	der = NULL;
	if ((e = obol_rsa_private_to_der(sk, &der, &der_len)) != OBOL_OK ||
	    (e = ecash_w_set_blob(ew->sec, "key", der, der_len)) != OBOL_OK ||
	    (e = ecash_w_set_blob(ew->sec, "bank_key", bk, bk_len)) != OBOL_OK ||
	    json_object_set(ew->sec, "cert", rep) != 0)
		goto out;
	obol_rsa_der_free(der, der_len);
	der = NULL;
	EVP_PKEY_free(ew->sk);
	ew->sk = sk;
	sk = NULL;
	ew->cust.sk = ew->sk;
	ew->registered = true;
	if ((e = ecash_wallet_save(ew)) != OBOL_OK)
		goto out;
	ecash_w_print_id(out, "ecash-key", ew->cust.id, ECASH_ID_LEN);
	fprintf(out, "ecash-account: %lld\n", (long long)cert.account);
out:
	if (der != NULL)
		OPENSSL_free(der);
	free(bk);
	EVP_PKEY_free(sk);
	json_decref(keys);
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
	return e;
}

obol_err ecash_wallet_topup(struct ecash_wallet *ew, const struct obol_amount *values, size_t n, FILE *out)
{
	struct obol_http_client *c = NULL;
	struct ecash_topup_req *m = calloc(1, sizeof(*m));
	struct ecash_topup_reply *r = calloc(1, sizeof(*r));
	struct ecash_topup_req_spec sp;
	struct ecash_topup_reply_spec rsp;
	json_t *req = NULL, *rep = NULL;
	char total[OBOL_AMOUNT_STR_MAX];
	obol_err e = m && r ? ecash_w_need_registered(ew) : OBOL_E_NO_MEMORY;

	if (e == OBOL_OK && (n == 0 || n > ECASH_COINS_MAX))
		e = OBOL_E_ECASH_TOO_MANY_COINS;
	if (e == OBOL_OK)
		e = obol_wallet_client(ew->w, true, &c);
	/* §5.3 / §6.2: nonce, our signature over it and the values, the coins. */
	if (e == OBOL_OK)
		e = ecash_w_bank_nonce(c, "topup", m->nonce);
	if (e == OBOL_OK) {
		memcpy(m->values, values, n * sizeof(*values));
		m->nvalues = n;
		m->cert = ew->cust.cert;
		e = ecash_customer_topup_answer(&ew->cust, m->nonce, values, n, m->sig, &m->sig_len);
	}
	if (e == OBOL_OK) {
		ecash_topup_req_spec(&sp, m);
		e = obol_json_encode(&sp.s, &req);
	}
	if (e == OBOL_OK)
		e = obol_http_post_json(c, "/ecash/topup", req, OBOL_HTTP_AUTH, &rep);
	if (e == OBOL_OK) {
		ecash_topup_reply_spec(&rsp, r);
		e = obol_json_decode(rep, &rsp.s);
	}
	if (e == OBOL_OK && r->ncoins != n)
		e = OBOL_E_ECASH_COIN_VALUE;
	if (e == OBOL_OK)
		e = ecash_customer_topup_check(&ew->cust, values, r->coins, n, obol_now());
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		struct ecash_held_coin h = { .coin = r->coins[i] };
		e = ecash_w_coins_append(&ew->coins, &ew->ncoins, &h, 1);
	}
	if (e == OBOL_OK)
		e = ecash_wallet_save(ew);
	if (e == OBOL_OK) {
		obol_amount_format(&r->total, total);
		fprintf(out, "topped-up: %s in %zu coin%s\n", total, n, n == 1 ? "" : "s");
		e = obol_history_note(ew->w, "topup", "ecash", &r->total, NULL);
	}
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
	free(m);
	free(r);
	return e;
}

obol_err ecash_wallet_refresh(struct ecash_wallet *ew, FILE *out)
{
	struct obol_http_client *c = NULL;
	json_t *rj = NULL, *dj = NULL;
	struct ecash_revocations rl = { 0 };
	struct ecash_directory dir = { 0 };
	struct ecash_revocations_spec rsp;
	struct ecash_directory_spec dsp;
	obol_err e = ecash_w_need_registered(ew);
	if (e == OBOL_OK)
		e = obol_wallet_client(ew->w, false, &c);
	if (e == OBOL_OK)
		e = obol_http_get_json(c, "/ecash/revocations", 0, &rj);
	if (e == OBOL_OK && (e = ecash_revocations_spec(&rsp, &rl, true)) == OBOL_OK)
		e = ecash_revocations_done(&rsp, obol_json_decode(rj, &rsp.s));
	if (e == OBOL_OK)
		e = ecash_revocations_verify(ew->bank_pk, &rl);
	if (e == OBOL_OK)
		e = obol_http_get_json(c, "/ecash/directory", 0, &dj);
	if (e == OBOL_OK) {
		ecash_directory_spec(&dsp, &dir, true);
		e = ecash_directory_done(&dsp, obol_json_decode(dj, &dsp.s));
	}
	if (e == OBOL_OK)
		e = ecash_directory_verify(ew->bank_pk, &dir);
	if (e == OBOL_OK) {
		ecash_revocations_clear(&ew->rl);
		ew->rl = rl;
		memset(&rl, 0, sizeof(rl));
		ecash_directory_clear(&ew->dir);
		ew->dir = dir;
		memset(&dir, 0, sizeof(dir));
		e = ecash_wallet_save(ew);
	}
	if (e == OBOL_OK)
		fprintf(out, "revoked-keys: %zu\ndirectory-keys: %zu\n", ew->rl.n, ew->dir.n);
	ecash_revocations_clear(&rl);
	ecash_directory_clear(&dir);
	json_decref(rj);
	json_decref(dj);
	obol_http_client_free(c);
	return e;
}

void ecash_w_print_result(FILE *out, const char *what, const json_t *r)
{
	const json_t *ev = json_object_get(r, "evidence");
	fprintf(out, "%s %s %s: %s\n", what, json_string_value(json_object_get(r, "serial")),
		json_string_value(json_object_get(r, "value")), json_string_value(json_object_get(r, "name")));
	if (ev != NULL) {
		fprintf(out, "double-spend: %s at claim %lld\n", json_string_value(json_object_get(ev, "kind")),
			(long long)json_integer_value(json_object_get(ev, "fork")));
		fprintf(out, "culprit-account: %lld\n", (long long)json_integer_value(json_object_get(ev, "culprit_account")));
		if (json_object_get(ev, "culprit_key") != NULL)
			fprintf(out, "culprit-key: %s\n", json_string_value(json_object_get(ev, "culprit_key")));
	}
}

obol_err ecash_wallet_deposit(struct ecash_wallet *ew, bool withdraw_fresh, FILE *out)
{
	struct obol_http_client *c = NULL;
	struct ecash_deposit_req m = { 0 };
	struct ecash_deposit_req_spec sp;
	json_t *req = NULL, *rep = NULL;
	size_t *idx = NULL, k = 0, expired = 0;
	int64_t now = obol_now();
	obol_err e = ecash_w_need_registered(ew);

	if (e == OBOL_OK && ew->ndepositing > 0) {
		fprintf(out, "sending again the deposit of %zu coin%s whose answer was lost\n", ew->ndepositing,
			ew->ndepositing == 1 ? "" : "s");
	} else if (e == OBOL_OK) {
		if ((idx = calloc(ew->ncoins ? ew->ncoins : 1, sizeof(*idx))) == NULL)
			e = OBOL_E_NO_MEMORY;
		/* Received coins name us; fresh ones get a claim to ourselves (§6.4)
		 * while they are valid: an expired one is redeemed instead. */
		for (size_t i = 0; e == OBOL_OK && i < ew->ncoins && k < ECASH_COINS_MAX; i++) {
			struct ecash_held_coin *h = &ew->coins[i];
			if (h->nchain == 0 && now > h->coin.expiry) {
				expired++;
				continue;
			}
			if (h->nchain == 0 && withdraw_fresh)
				e = ecash_customer_claim_self(&ew->cust, h, now);
			if (e == OBOL_OK && h->nchain > 0 && ecash_customer_owns(&ew->cust, h))
				idx[k++] = i;
		}
		if (expired > 0 && withdraw_fresh)
			fprintf(out, "expired: %zu coin%s kept; run 'obol wallet ecash redeem-expired'\n", expired,
				expired == 1 ? "" : "s");
		if (e == OBOL_OK && k == 0) {
			fprintf(out, "nothing to deposit\n");
			goto out;
		}
		/* The coins leave the wallet, with the request's nonce, before the
		 * request goes out: a lost answer is resent unchanged. */
		if (e == OBOL_OK) {
			obol_random(ew->dep_nonce, sizeof(ew->dep_nonce));
			e = ecash_w_coins_move(ew->coins, &ew->ncoins, idx, k, &ew->depositing, &ew->ndepositing);
		}
		if (e == OBOL_OK)
			e = ecash_wallet_save(ew);
	}
	if (e == OBOL_OK) {
		memcpy(m.nonce, ew->dep_nonce, ECASH_NONCE_LEN);
		m.cert = ew->cust.cert;
		m.coins = ew->depositing;
		m.ncoins = ew->ndepositing;
		e = ecash_customer_deposit_answer(&ew->cust, m.nonce, m.coins, m.ncoins, m.sig, &m.sig_len);
	}
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, &m, false)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_encode(&sp.s, &req));
	if (e == OBOL_OK)
		e = obol_wallet_client(ew->w, true, &c);
	if (e == OBOL_OK)
		e = obol_http_post_json(c, "/ecash/deposit", req, OBOL_HTTP_AUTH, &rep);
	if (e == OBOL_OK) {
		/* Credited or refused for good, the coins are gone; a coin refused
		 * for another reason comes back to the wallet. */
		const json_t *res = json_object_get(rep, "results");
		size_t i;
		const json_t *r;
		json_array_foreach(res, i, r) {
			ecash_w_print_result(out, "deposit", r);
		}
		for (size_t j = 0; j < ew->ndepositing; j++) {
			char serial[OBOL_B64_LEN(ECASH_SERIAL_LEN)];
			obol_err code = OBOL_OK;
			if (obol_b64_encode(ew->depositing[j].coin.serial, ECASH_SERIAL_LEN, serial, sizeof(serial)) != OBOL_OK)
				continue;
			json_array_foreach(res, i, r) {
				const char *rs = json_string_value(json_object_get(r, "serial"));
				if (rs != NULL && strcmp(rs, serial) == 0)
					code = (obol_err)json_integer_value(json_object_get(r, "code"));
			}
			if (code != OBOL_OK && code != OBOL_E_ECASH_DOUBLE_SPENT && code != OBOL_E_ECASH_ALREADY_DEPOSITED &&
			    (e = ecash_w_coins_append(&ew->coins, &ew->ncoins, &ew->depositing[j], 1)) != OBOL_OK)
				break;
		}
		fprintf(out, "credited: %s\n", json_string_value(json_object_get(rep, "credited")));
		struct obol_amount credited;
		if (obol_amount_parse(json_string_value(json_object_get(rep, "credited")), &credited) == OBOL_OK &&
		    obol_history_note(ew->w, "withdrawal", "ecash", &credited, NULL) != OBOL_OK)
			fprintf(out, "warning: the history could not be written\n");
		if (e == OBOL_OK) {
			ecash_w_coins_drop_all(&ew->depositing, &ew->ndepositing);
			e = ecash_wallet_save(ew);
		}
	} else if (e != OBOL_E_NETWORK && e != OBOL_E_HTTP && e != OBOL_E_PEER_ERROR && e != OBOL_E_NO_MEMORY &&
		   ew->ndepositing > 0) {
		/* The bank named what is wrong with the whole request: nothing
		 * of it stands there, so the coins come back. */
		size_t back[ECASH_COINS_MAX], nb = 0;
		for (size_t i = 0; i < ew->ndepositing && nb < ECASH_COINS_MAX; i++)
			back[nb++] = i;
		if (ecash_w_coins_move(ew->depositing, &ew->ndepositing, back, nb, &ew->coins, &ew->ncoins) != OBOL_OK ||
		    ecash_wallet_save(ew) != OBOL_OK)
			fprintf(out, "warning: could not save the wallet\n");
	}
out:
	free(idx);
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
	return e;
}

obol_err ecash_wallet_release(struct ecash_wallet *ew, FILE *out)
{
	size_t n = ew->npending;
	obol_err e = ecash_w_coins_append(&ew->coins, &ew->ncoins, ew->pending, ew->npending);
	if (e == OBOL_OK) {
		ecash_w_coins_drop_all(&ew->pending, &ew->npending);
		e = ecash_wallet_save(ew);
	}
	if (e == OBOL_OK)
		fprintf(out, "released: %zu coin%s\n", n, n == 1 ? "" : "s");
	return e;
}

obol_err ecash_wallet_balance(const struct ecash_wallet *ew, struct obol_amount *sum, FILE *out)
{
	obol_err e = obol_amount_zero(ew->currency, sum);
	for (size_t i = 0; e == OBOL_OK && i < ew->ncoins; i++) {
		const struct ecash_held_coin *h = &ew->coins[i];
		e = obol_amount_add(sum, sum, &h->coin.value);
		if (out != NULL && e == OBOL_OK) {
			char hex[2 * 8 + 1], v[OBOL_AMOUNT_STR_MAX];
			obol_hex_encode(h->coin.serial, 8, hex);
			obol_amount_format(&h->coin.value, v);
			fprintf(out, "coin %s %s %s, %zu claim%s, expires %lld\n", hex, v,
				h->nchain == 0 ? "fresh" : "received", h->nchain, h->nchain == 1 ? "" : "s",
				(long long)h->coin.expiry);
		}
	}
	return e;
}
