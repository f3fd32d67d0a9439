/* The ecash objects: keys, canonical bytes, ownership, the bank-signed
 * lists. Signatures and the checks every role shares are in verify.c. See
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
	p->transfer_max_age = 0;
	p->list_covers_claims = false;
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

obol_err ecash_bytes_done(struct ecash_bytes *b)
{
	if (!b->failed)
		return OBOL_OK;
	ecash_bytes_free(b);
	return OBOL_E_NO_MEMORY;
}

/* v2 (owned coins) adds the owner key; v1 is the form of coins issued
 * before owner keys, still verified for what was issued then. */
obol_err ecash_coin_bytes(const struct ecash_coin *c, struct ecash_bytes *out)
{
	char v[OBOL_AMOUNT_STR_MAX];
	memset(out, 0, sizeof(*out));
	obol_amount_format(&c->value, v);
	ecash_bytes_label(out, c->has_owner ? "obol-ecash-coin-v2" : "obol-ecash-coin-v1");
	ecash_bytes_put(out, c->serial, ECASH_SERIAL_LEN);
	ecash_bytes_put(out, v, strlen(v));
	ecash_bytes_i64(out, c->issued);
	ecash_bytes_i64(out, c->expiry);
	if (c->has_owner)
		ecash_bytes_put(out, c->owner, ECASH_OWNER_LEN);
	return ecash_bytes_done(out);
}

/* SHA-256 of the parts label (its 25 ASCII bytes), serial, value text,
 * issued || expiry (8 bytes big-endian each) and, for v2, the owner key;
 * the parts are concatenated bare (obol_sha256_parts). */
void ecash_coin_digest(const struct ecash_coin *c, uint8_t out[static OBOL_HASH_LEN])
{
	char v[OBOL_AMOUNT_STR_MAX];
	uint8_t t[16];
	obol_amount_format(&c->value, v);
	be64(t, c->issued);
	be64(t + 8, c->expiry);
	struct obol_hash_part parts[] = {
		{ c->has_owner ? "obol-ecash-coin-digest-v2" : "obol-ecash-coin-digest-v1", 25 },
		{ c->serial, ECASH_SERIAL_LEN },
		{ v, strlen(v) },
		{ t, sizeof(t) },
		{ c->owner, ECASH_OWNER_LEN },
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts) - (c->has_owner ? 0 : 1));
}

obol_err ecash_cert_bytes(const struct ecash_cert *c, struct ecash_bytes *out)
{
	memset(out, 0, sizeof(*out));
	ecash_bytes_label(out, "obol-ecash-cert-v1");
	ecash_bytes_put(out, c->key, c->key_len);
	ecash_bytes_i64(out, c->account);
	ecash_bytes_i64(out, c->issued);
	ecash_bytes_i64(out, c->expiry);
	return ecash_bytes_done(out);
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
	return ecash_bytes_done(out);
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

obol_err ecash_chain_digest(const struct ecash_held_coin *h, uint8_t out[static OBOL_HASH_LEN])
{
	memset(out, 0, OBOL_HASH_LEN);
	for (size_t i = 0; i < h->nchain && i < ECASH_CHAIN_MAX; i++) {
		obol_err err = ecash_claim_digest(&h->coin, &h->chain[i], out, out);
		if (err != OBOL_OK)
			return err;
	}
	return OBOL_OK;
}

obol_err ecash_nonce_bytes(const uint8_t nonce[static ECASH_NONCE_LEN], const uint8_t merchant[static ECASH_ID_LEN],
			   struct ecash_bytes *out)
{
	memset(out, 0, sizeof(*out));
	ecash_bytes_label(out, "obol-ecash-pay-nonce-v1");
	ecash_bytes_put(out, nonce, ECASH_NONCE_LEN);
	ecash_bytes_put(out, merchant, ECASH_ID_LEN);
	return ecash_bytes_done(out);
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
	return ecash_bytes_done(out);
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
	memcpy(dst->owner_sig, src->owner_sig, ECASH_OWNER_SIG_LEN);
	dst->has_owner_sig = src->has_owner_sig;
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
	free(rl->keys);
	memset(rl, 0, sizeof(*rl));
}

void ecash_directory_clear(struct ecash_directory *d)
{
	free(d->e);
	memset(d, 0, sizeof(*d));
}

/* ---- bank-signed lists ---- */

bool ecash_revoked(const struct ecash_revocations *rl, const uint8_t id[static ECASH_ID_LEN], int64_t *at)
{
	size_t lo = 0, hi = rl->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(rl->keys[mid].id, id, ECASH_ID_LEN);
		if (c == 0) {
			if (at != NULL)
				*at = rl->keys[mid].at;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int revoked_cmp(const void *a, const void *b)
{
	const struct ecash_revoked *x = a, *y = b;
	int c = memcmp(x->id, y->id, ECASH_ID_LEN);
	if (c != 0)
		return c;
	return x->at < y->at ? -1 : x->at > y->at;
}

void ecash_revocations_sort(struct ecash_revocations *rl)
{
	size_t k = 0;
	if (rl->n > 1)
		qsort(rl->keys, rl->n, sizeof(*rl->keys), revoked_cmp);
	for (size_t i = 0; i < rl->n; i++)
		if (k == 0 || memcmp(rl->keys[k - 1].id, rl->keys[i].id, ECASH_ID_LEN) != 0)
			rl->keys[k++] = rl->keys[i];
	rl->n = k;
}

obol_err ecash_directory_bytes(const struct ecash_directory *d, struct ecash_bytes *out)
{
	uint8_t dg[OBOL_HASH_LEN];
	memset(out, 0, sizeof(*out));
	if (d->n > ECASH_DIRECTORY_SPAN)
		return OBOL_E_WIRE_OVERSIZED;
	ecash_bytes_label(out, "obol-ecash-directory-v2");
	ecash_bytes_i64(out, d->issued);
	ecash_bytes_i64(out, (int64_t)d->first);
	ecash_bytes_i64(out, (int64_t)d->span);
	ecash_bytes_i64(out, (int64_t)d->n);
	for (size_t i = 0; i < d->n; i++) {
		ecash_cert_digest(&d->e[i].cert, dg);
		ecash_bytes_i64(out, (int64_t)d->e[i].seq);
		ecash_bytes_put(out, dg, sizeof(dg));
	}
	return ecash_bytes_done(out);
}

obol_err ecash_directory_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_directory *d)
{
	struct ecash_bytes b;
	obol_err err = ecash_directory_bytes(d, &b);
	if (err != OBOL_OK)
		return err;
	err = ecash_bank_keys_verify_any(bank_pk, b.p, b.len, d->sig, d->sig_len, OBOL_E_ECASH_LIST_SIGNATURE);
	ecash_bytes_free(&b);
	if (err != OBOL_OK)
		return err;
	/* Inside the block, seq strictly ascending (what ring picking reads). */
	if (d->span == 0 || d->span > ECASH_DIRECTORY_SPAN || d->first % d->span != 0)
		return OBOL_E_ECASH_LIST_SIGNATURE;
	for (size_t i = 0; i < d->n; i++)
		if (d->e[i].seq < d->first || d->e[i].seq - d->first >= d->span ||
		    (i > 0 && d->e[i].seq <= d->e[i - 1].seq))
			return OBOL_E_ECASH_LIST_SIGNATURE;
	return OBOL_OK;
}
