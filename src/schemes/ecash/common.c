/* The ecash objects' canonical bytes, signatures and shared checks. See
 * ecash.h; seed 002 §3.2-§3.5 and §4.1-§4.3. */
#include "schemes/ecash/ecash.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

void ecash_policy_default(struct ecash_policy *p)
{
	p->max_skew = 300;
	p->ring_min = 2;
	p->ring_max = ECASH_RING_MAX;
	p->min_key_bits = OBOL_RSA_DEFAULT_BITS;
}

/* ---- keys ---- */

void ecash_key_id_der(const uint8_t *der, size_t len, uint8_t id[static ECASH_ID_LEN])
{
	obol_sha256(id, der, len);
}

obol_err ecash_key_id(EVP_PKEY *k, uint8_t id[static ECASH_ID_LEN])
{
	return obol_rsa_key_id(k, id);
}

obol_err ecash_key_parse(const uint8_t *der, size_t len, unsigned min_bits, EVP_PKEY **out)
{
	EVP_PKEY *k = NULL;
	*out = NULL;
	if (len == 0 || len > ECASH_KEY_DER_MAX || ecash_key_get(der, len, &k) != OBOL_OK)
		return OBOL_E_ECASH_KEY_WEAK;
	if (obol_rsa_modulus_len(k) * 8 < min_bits) {
		EVP_PKEY_free(k);
		return OBOL_E_ECASH_KEY_WEAK;
	}
	*out = k;
	return OBOL_OK;
}

/* ---- canonical bytes ---- */

static void bytes_raw(struct ecash_bytes *b, const void *p, size_t len)
{
	if (b->failed)
		return;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (np == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
}

void ecash_bytes_put(struct ecash_bytes *b, const void *p, size_t len)
{
	uint8_t l[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
	bytes_raw(b, l, 4);
	bytes_raw(b, p, len);
}

void ecash_bytes_label(struct ecash_bytes *b, const char *label)
{
	ecash_bytes_put(b, label, strlen(label));
}

static void be64(uint8_t *out, int64_t v)
{
	uint64_t u = (uint64_t)v;
	for (int i = 7; i >= 0; i--, u >>= 8)
		out[i] = (uint8_t)u;
}

void ecash_bytes_i64(struct ecash_bytes *b, int64_t v)
{
	uint8_t x[8];
	be64(x, v);
	bytes_raw(b, x, 8);
}

void ecash_bytes_free(struct ecash_bytes *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static obol_err bytes_done(struct ecash_bytes *b)
{
	if (!b->failed)
		return OBOL_OK;
	ecash_bytes_free(b);
	return OBOL_E_NO_MEMORY;
}

obol_err ecash_coin_bytes(const struct ecash_coin *c, struct ecash_bytes *out)
{
	char v[OBOL_AMOUNT_STR_MAX];
	memset(out, 0, sizeof(*out));
	obol_amount_format(&c->value, v);
	ecash_bytes_label(out, "obol-ecash-coin-v1");
	ecash_bytes_put(out, c->serial, ECASH_SERIAL_LEN);
	ecash_bytes_put(out, v, strlen(v));
	ecash_bytes_i64(out, c->issued);
	ecash_bytes_i64(out, c->expiry);
	return bytes_done(out);
}

void ecash_coin_digest(const struct ecash_coin *c, uint8_t out[static OBOL_HASH_LEN])
{
	char v[OBOL_AMOUNT_STR_MAX];
	uint8_t t[16];
	obol_amount_format(&c->value, v);
	be64(t, c->issued);
	be64(t + 8, c->expiry);
	struct obol_hash_part parts[] = {
		{ "obol-ecash-coin-digest-v1", 25 },
		{ c->serial, ECASH_SERIAL_LEN },
		{ v, strlen(v) },
		{ t, sizeof(t) },
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

obol_err ecash_cert_bytes(const struct ecash_cert *c, struct ecash_bytes *out)
{
	memset(out, 0, sizeof(*out));
	ecash_bytes_label(out, "obol-ecash-cert-v1");
	ecash_bytes_put(out, c->key, c->key_len);
	ecash_bytes_i64(out, c->account);
	ecash_bytes_i64(out, c->issued);
	ecash_bytes_i64(out, c->expiry);
	return bytes_done(out);
}

void ecash_cert_digest(const struct ecash_cert *c, uint8_t out[static OBOL_HASH_LEN])
{
	uint8_t t[24];
	be64(t, c->account);
	be64(t + 8, c->issued);
	be64(t + 16, c->expiry);
	struct obol_hash_part parts[] = {
		{ "obol-ecash-cert-digest-v1", 25 },
		{ c->key, c->key_len },
		{ t, sizeof(t) },
		{ c->sig, c->sig_len },
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

void ecash_claim_signer_ids(const struct ecash_claim *c, uint8_t (*ids)[ECASH_ID_LEN])
{
	for (size_t i = 0; i < c->ncerts; i++)
		ecash_key_id_der(c->certs[i].key, c->certs[i].key_len, ids[i]);
}

obol_err ecash_claim_bytes(const struct ecash_coin *coin, const struct ecash_claim *c,
			   const uint8_t prev_digest[static OBOL_HASH_LEN], struct ecash_bytes *out)
{
	uint8_t cd[OBOL_HASH_LEN], id[ECASH_ID_LEN];
	memset(out, 0, sizeof(*out));
	ecash_coin_digest(coin, cd);
	ecash_bytes_label(out, "obol-ecash-claim-v1");
	ecash_bytes_put(out, cd, sizeof(cd));
	ecash_bytes_put(out, c->payee, ECASH_ID_LEN);
	ecash_bytes_i64(out, c->ts);
	ecash_bytes_put(out, prev_digest, OBOL_HASH_LEN);
	ecash_bytes_i64(out, (int64_t)c->ncerts);
	for (size_t i = 0; i < c->ncerts; i++) {
		ecash_key_id_der(c->certs[i].key, c->certs[i].key_len, id);
		ecash_bytes_put(out, id, sizeof(id));
	}
	return bytes_done(out);
}

obol_err ecash_claim_digest(const struct ecash_coin *coin, const struct ecash_claim *c,
			    const uint8_t prev_digest[static OBOL_HASH_LEN], uint8_t out[static OBOL_HASH_LEN])
{
	struct ecash_bytes b;
	obol_err err = ecash_claim_bytes(coin, c, prev_digest, &b);
	if (err != OBOL_OK)
		return err;
	struct obol_hash_part parts[] = {
		{ "obol-ecash-claim-link-v1", 24 },
		{ b.p, b.len },
		{ c->sig, c->sig_len },
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
	ecash_bytes_free(&b);
	return OBOL_OK;
}

obol_err ecash_nonce_bytes(const uint8_t nonce[static ECASH_NONCE_LEN], const uint8_t merchant[static ECASH_ID_LEN],
			   struct ecash_bytes *out)
{
	memset(out, 0, sizeof(*out));
	ecash_bytes_label(out, "obol-ecash-pay-nonce-v1");
	ecash_bytes_put(out, nonce, ECASH_NONCE_LEN);
	ecash_bytes_put(out, merchant, ECASH_ID_LEN);
	return bytes_done(out);
}

obol_err ecash_bank_nonce_bytes(const char *purpose, const uint8_t nonce[static ECASH_NONCE_LEN],
				const uint8_t *digest, struct ecash_bytes *out)
{
	memset(out, 0, sizeof(*out));
	ecash_bytes_label(out, "obol-ecash-bank-nonce-v1");
	ecash_bytes_label(out, purpose);
	ecash_bytes_put(out, nonce, ECASH_NONCE_LEN);
	if (digest != NULL)
		ecash_bytes_put(out, digest, OBOL_HASH_LEN);
	return bytes_done(out);
}

/* ---- signatures ---- */

obol_err ecash_sign_bytes(EVP_PKEY *sk, const struct ecash_bytes *b, uint8_t sig[static ECASH_SIG_MAX],
			  size_t *sig_len)
{
	return obol_rsapss_sign(sk, b->p, b->len, sig, ECASH_SIG_MAX, sig_len);
}

obol_err ecash_coin_verify(EVP_PKEY *bank_pk, const struct ecash_coin *c)
{
	struct ecash_bytes b;
	obol_err err = ecash_coin_bytes(c, &b);
	if (err != OBOL_OK)
		return err;
	err = obol_rsapss_verify(bank_pk, b.p, b.len, c->sig, c->sig_len);
	ecash_bytes_free(&b);
	if (err == OBOL_E_SIGNATURE_INVALID)
		return OBOL_E_ECASH_COIN_SIGNATURE;
	return err;
}

obol_err ecash_cert_verify(EVP_PKEY *bank_pk, const struct ecash_cert *c, const struct ecash_revocations *rl,
			   const struct ecash_policy *pol, int64_t when)
{
	struct ecash_bytes b = { 0 };
	EVP_PKEY *k = NULL;
	uint8_t id[ECASH_ID_LEN], bank_id[ECASH_ID_LEN];
	obol_err err = ecash_signer_id(bank_pk, bank_id);
	if (err != OBOL_OK)
		return err;
	if (!ecash_cert_known_valid(bank_id, c)) {
		if ((err = ecash_cert_bytes(c, &b)) != OBOL_OK)
			return err;
		err = obol_rsapss_verify(bank_pk, b.p, b.len, c->sig, c->sig_len);
		if (err == OBOL_E_SIGNATURE_INVALID)
			err = OBOL_E_ECASH_CERT_SIGNATURE;
		if (err != OBOL_OK)
			goto out;
		ecash_cert_note_valid(bank_id, c);
	}
	err = ecash_key_parse(c->key, c->key_len, pol->min_key_bits, &k);
	if (err != OBOL_OK)
		goto out;
	if (when < c->issued - pol->max_skew || when > c->expiry) {
		err = OBOL_E_ECASH_CERT_EXPIRED;
		goto out;
	}
	ecash_key_id_der(c->key, c->key_len, id);
	if (rl != NULL && ecash_revoked(rl, id))
		err = OBOL_E_ECASH_KEY_REVOKED;
out:
	EVP_PKEY_free(k);
	ecash_bytes_free(&b);
	return err;
}

/* Parses the keys of n certificates into keys[0..n). */
static obol_err parse_keys(const struct ecash_cert *certs, size_t n, EVP_PKEY **keys)
{
	for (size_t i = 0; i < n; i++) {
		obol_err err = ecash_key_parse(certs[i].key, certs[i].key_len, 0, &keys[i]);
		if (err != OBOL_OK)
			return err;
	}
	return OBOL_OK;
}

static void free_keys(EVP_PKEY **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
}

obol_err ecash_group_sign(const struct ecash_cert *certs, size_t n, size_t signer, EVP_PKEY *sk,
			  const struct ecash_bytes *msg, uint8_t **sig, size_t *sig_len)
{
	EVP_PKEY *keys[ECASH_RING_MAX] = { 0 };
	uint8_t *s = NULL;
	size_t cap = 0, maxmod = 0;
	obol_err err;

	*sig = NULL;
	*sig_len = 0;
	if (n == 0 || n > ECASH_RING_MAX || signer >= n)
		return OBOL_E_INVALID_ARGUMENT;
	err = parse_keys(certs, n, keys);
	if (err != OBOL_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (obol_rsa_modulus_len(keys[i]) > maxmod)
			maxmod = obol_rsa_modulus_len(keys[i]);
	cap = n == 1 ? ECASH_SIG_MAX : obol_ringsig_len(n, maxmod);
	s = malloc(cap);
	if (s == NULL) {
		err = OBOL_E_NO_MEMORY;
		goto out;
	}
	if (n == 1)
		err = obol_rsapss_sign(sk, msg->p, msg->len, s, cap, sig_len);
	else
		err = obol_ringsig_sign(keys, n, signer, sk, msg->p, msg->len, s, cap, sig_len);
	if (err != OBOL_OK)
		goto out;
	*sig = s;
	s = NULL;
out:
	free(s);
	free_keys(keys, n);
	return err;
}

obol_err ecash_group_verify(const struct ecash_cert *certs, size_t n, const struct ecash_bytes *msg,
			    const uint8_t *sig, size_t sig_len, obol_err bad)
{
	EVP_PKEY *keys[ECASH_RING_MAX] = { 0 };
	obol_err err;

	if (n == 0 || n > ECASH_RING_MAX)
		return OBOL_E_ECASH_RING_SIZE;
	err = parse_keys(certs, n, keys);
	if (err != OBOL_OK)
		goto out;
	if (n == 1)
		err = obol_rsapss_verify(keys[0], msg->p, msg->len, sig, sig_len);
	else
		err = obol_ringsig_verify(keys, n, msg->p, msg->len, sig, sig_len);
	if (err == OBOL_E_SIGNATURE_INVALID || err == OBOL_E_RING_SIGNATURE_INVALID)
		err = bad;
out:
	free_keys(keys, n);
	return err;
}

bool ecash_claim_same_signers(const struct ecash_claim *a, const struct ecash_claim *b)
{
	if (a->ncerts != b->ncerts)
		return false;
	for (size_t i = 0; i < a->ncerts; i++)
		if (a->certs[i].key_len != b->certs[i].key_len ||
		    memcmp(a->certs[i].key, b->certs[i].key, a->certs[i].key_len) != 0)
			return false;
	return true;
}

obol_err ecash_signers_verify(EVP_PKEY *bank_pk, const struct ecash_cert *certs, size_t n,
			       const struct ecash_revocations *rl, const struct ecash_policy *pol, int64_t when)
{
	uint8_t ids[ECASH_RING_MAX][ECASH_ID_LEN];
	if (n == 0 || n > ECASH_RING_MAX || (n > 1 && (n < pol->ring_min || n > pol->ring_max)))
		return OBOL_E_ECASH_RING_SIZE;
	for (size_t i = 0; i < n; i++) {
		obol_err err = ecash_cert_verify(bank_pk, &certs[i], rl, pol, when);
		if (err != OBOL_OK)
			return err;
		ecash_key_id_der(certs[i].key, certs[i].key_len, ids[i]);
		for (size_t j = 0; j < i; j++)
			if (memcmp(ids[i], ids[j], ECASH_ID_LEN) == 0)
				return OBOL_E_ECASH_RING_DUPLICATE;
	}
	return OBOL_OK;
}

obol_err ecash_chain_verify(EVP_PKEY *bank_pk, const struct ecash_held_coin *h, const struct ecash_revocations *rl,
			    const struct ecash_policy *pol, uint8_t *digest)
{
	uint8_t link[OBOL_HASH_LEN] = { 0 }, id[ECASH_ID_LEN];
	int64_t last_ts = h->coin.issued - pol->max_skew;
	obol_err err = ecash_coin_verify(bank_pk, &h->coin);
	if (err != OBOL_OK)
		return err;
	if (h->nchain > ECASH_CHAIN_MAX)
		return OBOL_E_ECASH_CHAIN_TOO_LONG;
	for (size_t i = 0; i < h->nchain; i++) {
		const struct ecash_claim *c = &h->chain[i];
		struct ecash_bytes b;
		if (i > 0) {
			/* §3.5.6: the next holder spends on with its own key. */
			if (c->ncerts != 1)
				return OBOL_E_ECASH_RING_NOT_FIRST;
			ecash_key_id_der(c->certs[0].key, c->certs[0].key_len, id);
			if (memcmp(id, h->chain[i - 1].payee, ECASH_ID_LEN) != 0)
				return OBOL_E_ECASH_CHAIN_BROKEN;
		}
		if (c->ts < last_ts || c->ts > h->coin.expiry + pol->max_skew)
			return OBOL_E_ECASH_TIMESTAMP_STALE;
		last_ts = c->ts;
		err = ecash_signers_verify(bank_pk, c->certs, c->ncerts, rl, pol, c->ts);
		if (err != OBOL_OK)
			return err;
		err = ecash_claim_bytes(&h->coin, c, link, &b);
		if (err != OBOL_OK)
			return err;
		err = ecash_group_verify(c->certs, c->ncerts, &b, c->sig, c->sig_len, OBOL_E_ECASH_CLAIM_SIGNATURE);
		ecash_bytes_free(&b);
		if (err != OBOL_OK)
			return err;
		err = ecash_claim_digest(&h->coin, c, link, link);
		if (err != OBOL_OK)
			return err;
	}
	if (digest != NULL)
		memcpy(digest, link, OBOL_HASH_LEN);
	return OBOL_OK;
}

obol_err ecash_claim_make(struct ecash_held_coin *h, const uint8_t payee[static ECASH_ID_LEN], int64_t ts,
			  EVP_PKEY *sk, const struct ecash_cert *cert, const struct ecash_cert *ring, size_t nring,
			  size_t signer)
{
	uint8_t link[OBOL_HASH_LEN] = { 0 };
	struct ecash_claim c = { 0 };
	struct ecash_bytes b = { 0 };
	const struct ecash_cert *set = ring ? ring : cert;
	size_t n = ring ? nring : 1;
	obol_err err;

	if (h->nchain >= ECASH_CHAIN_MAX)
		return OBOL_E_ECASH_CHAIN_TOO_LONG;
	if (ring != NULL && h->nchain > 0)
		return OBOL_E_ECASH_RING_NOT_FIRST;
	for (size_t i = 0; i < h->nchain; i++) {
		err = ecash_claim_digest(&h->coin, &h->chain[i], link, link);
		if (err != OBOL_OK)
			return err;
	}
	memcpy(c.payee, payee, ECASH_ID_LEN);
	c.ts = ts;
	c.ncerts = n;
	c.certs = malloc(n * sizeof(*c.certs));
	if (c.certs == NULL)
		return OBOL_E_NO_MEMORY;
	memcpy(c.certs, set, n * sizeof(*c.certs));
	err = ecash_claim_bytes(&h->coin, &c, link, &b);
	if (err != OBOL_OK)
		goto out;
	err = ecash_group_sign(c.certs, n, ring ? signer : 0, sk, &b, &c.sig, &c.sig_len);
	if (err != OBOL_OK)
		goto out;
	h->chain[h->nchain++] = c;
	memset(&c, 0, sizeof(c));
out:
	ecash_bytes_free(&b);
	ecash_claim_clear(&c);
	return err;
}

/* ---- ownership ---- */

void ecash_claim_clear(struct ecash_claim *c)
{
	free(c->certs);
	free(c->sig);
	memset(c, 0, sizeof(*c));
}

obol_err ecash_claim_copy(struct ecash_claim *dst, const struct ecash_claim *src)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst->payee, src->payee, ECASH_ID_LEN);
	dst->ts = src->ts;
	dst->certs = malloc((src->ncerts ? src->ncerts : 1) * sizeof(*dst->certs));
	dst->sig = malloc(src->sig_len ? src->sig_len : 1);
	if (dst->certs == NULL || dst->sig == NULL) {
		ecash_claim_clear(dst);
		return OBOL_E_NO_MEMORY;
	}
	if (src->ncerts)
		memcpy(dst->certs, src->certs, src->ncerts * sizeof(*dst->certs));
	if (src->sig_len)
		memcpy(dst->sig, src->sig, src->sig_len);
	dst->ncerts = src->ncerts;
	dst->sig_len = src->sig_len;
	return OBOL_OK;
}

void ecash_held_clear(struct ecash_held_coin *h)
{
	for (size_t i = 0; i < h->nchain && i < ECASH_CHAIN_MAX; i++)
		ecash_claim_clear(&h->chain[i]);
	memset(h, 0, sizeof(*h));
}

obol_err ecash_held_copy(struct ecash_held_coin *dst, const struct ecash_held_coin *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->coin = src->coin;
	for (size_t i = 0; i < src->nchain && i < ECASH_CHAIN_MAX; i++) {
		obol_err err = ecash_claim_copy(&dst->chain[i], &src->chain[i]);
		if (err != OBOL_OK) {
			ecash_held_clear(dst);
			return err;
		}
		dst->nchain = i + 1;
	}
	return OBOL_OK;
}

void ecash_revocations_clear(struct ecash_revocations *rl)
{
	free(rl->ids);
	memset(rl, 0, sizeof(*rl));
}

void ecash_directory_clear(struct ecash_directory *d)
{
	free(d->certs);
	memset(d, 0, sizeof(*d));
}

/* ---- bank-signed lists ---- */

obol_err ecash_revocations_bytes(const struct ecash_revocations *rl, struct ecash_bytes *out)
{
	memset(out, 0, sizeof(*out));
	if (rl->n > ECASH_REVOKED_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	ecash_bytes_label(out, "obol-ecash-revocations-v1");
	ecash_bytes_i64(out, (int64_t)rl->seq);
	ecash_bytes_i64(out, rl->issued);
	ecash_bytes_i64(out, (int64_t)rl->n);
	for (size_t i = 0; i < rl->n; i++)
		ecash_bytes_put(out, rl->ids[i], ECASH_ID_LEN);
	return bytes_done(out);
}

obol_err ecash_revocations_verify(EVP_PKEY *bank_pk, const struct ecash_revocations *rl)
{
	struct ecash_bytes b;
	obol_err err = ecash_revocations_bytes(rl, &b);
	if (err != OBOL_OK)
		return err;
	err = obol_rsapss_verify(bank_pk, b.p, b.len, rl->sig, rl->sig_len);
	ecash_bytes_free(&b);
	if (err == OBOL_E_SIGNATURE_INVALID)
		return OBOL_E_ECASH_LIST_SIGNATURE;
	if (err != OBOL_OK)
		return err;
	/* Sorted strictly ascending: what ecash_revoked's search relies on. */
	for (size_t i = 1; i < rl->n; i++)
		if (memcmp(rl->ids[i - 1], rl->ids[i], ECASH_ID_LEN) >= 0)
			return OBOL_E_ECASH_LIST_SIGNATURE;
	return OBOL_OK;
}

bool ecash_revoked(const struct ecash_revocations *rl, const uint8_t id[static ECASH_ID_LEN])
{
	size_t lo = 0, hi = rl->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(rl->ids[mid], id, ECASH_ID_LEN);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

obol_err ecash_directory_bytes(const struct ecash_directory *d, struct ecash_bytes *out)
{
	uint8_t dg[OBOL_HASH_LEN];
	memset(out, 0, sizeof(*out));
	if (d->n > ECASH_DIRECTORY_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	ecash_bytes_label(out, "obol-ecash-directory-v1");
	ecash_bytes_i64(out, d->issued);
	ecash_bytes_i64(out, (int64_t)d->n);
	for (size_t i = 0; i < d->n; i++) {
		ecash_cert_digest(&d->certs[i], dg);
		ecash_bytes_put(out, dg, sizeof(dg));
	}
	return bytes_done(out);
}

obol_err ecash_directory_verify(EVP_PKEY *bank_pk, const struct ecash_directory *d)
{
	struct ecash_bytes b;
	obol_err err = ecash_directory_bytes(d, &b);
	if (err != OBOL_OK)
		return err;
	err = obol_rsapss_verify(bank_pk, b.p, b.len, d->sig, d->sig_len);
	ecash_bytes_free(&b);
	if (err == OBOL_E_SIGNATURE_INVALID)
		return OBOL_E_ECASH_LIST_SIGNATURE;
	return err;
}
