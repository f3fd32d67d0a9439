/* Signatures of the ecash objects and the checks every role shares: σ0 on
 * coins, σ3 on certificates, plain or ring signatures of signer sets, the
 * owner's signature on a first claim, the whole claim chain of a coin
 * (§3.3.2 steps 4-7, §3.5.6, §4.3.2), and the making of a claim. See
 * ecash.h. */
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "crypto/sign.h"
#include "schemes/ecash/ecash.h"

#define OWNER_CONTEXT "ecash-owner"

obol_err ecash_sign_bytes(EVP_PKEY *sk, const struct ecash_bytes *b, uint8_t sig[static ECASH_SIG_MAX],
			  size_t *sig_len)
{
	return obol_rsapss_sign(sk, b->p, b->len, sig, ECASH_SIG_MAX, sig_len);
}

obol_err ecash_coin_verify(const struct ecash_bank_keys *bank, const struct ecash_coin *c)
{
	struct ecash_bytes b;
	obol_err err = ecash_coin_bytes(c, &b);
	if (err != OBOL_OK)
		return err;
	/* signed by the key in use at its issue (bank_keys.h) */
	err = ecash_bank_keys_verify_at(bank, c->issued, b.p, b.len, c->sig, c->sig_len, OBOL_E_ECASH_COIN_SIGNATURE,
					NULL);
	ecash_bytes_free(&b);
	return err;
}

obol_err ecash_coin_accepted(const struct ecash_bank_keys *bank, const struct ecash_coin *c, int64_t now)
{
	const struct ecash_bank_key *k = ecash_bank_keys_at(bank, c->issued);
	return k != NULL ? ecash_bank_key_accepts(k, now) : OBOL_E_ECASH_BANK_KEY_UNKNOWN;
}

obol_err ecash_coin_refunded(const struct ecash_bank_keys *bank, const struct ecash_coin *c, int64_t now)
{
	const struct ecash_bank_key *k = ecash_bank_keys_at(bank, c->issued);
	return k != NULL ? ecash_bank_key_refunds(k, now) : OBOL_E_ECASH_BANK_KEY_UNKNOWN;
}

void ecash_owner_keypair(uint8_t pk[static ECASH_OWNER_LEN], uint8_t sk[static ECASH_OWNER_SK_LEN])
{
	struct obol_sign_keypair kp;
	obol_sign_keypair_new(&kp);
	memcpy(pk, kp.pk, ECASH_OWNER_LEN);
	memcpy(sk, kp.sk, ECASH_OWNER_SK_LEN);
	OBOL_WIPE(kp.sk);
}

void ecash_owner_sign(const uint8_t sk[static ECASH_OWNER_SK_LEN], const struct ecash_bytes *claim,
		      uint8_t sig[static ECASH_OWNER_SIG_LEN])
{
	obol_sign(sig, OWNER_CONTEXT, claim->p, claim->len, sk);
}

obol_err ecash_owner_verify(const uint8_t pk[static ECASH_OWNER_LEN], const struct ecash_bytes *claim,
			    const uint8_t sig[static ECASH_OWNER_SIG_LEN])
{
	obol_err err = obol_sign_verify(sig, OWNER_CONTEXT, claim->p, claim->len, pk);
	return err == OBOL_E_SIGNATURE_INVALID ? OBOL_E_ECASH_OWNER_SIGNATURE : err;
}

/* σ3 alone, by the bank key in use at the certificate's issue (its
 * signature's validity cached by that key's id); *out is the key. */
static obol_err cert_sig_verify(const struct ecash_bank_keys *bank, const struct ecash_cert *c,
				const struct ecash_bank_key **out)
{
	struct ecash_bytes b = { 0 };
	const struct ecash_bank_key *k = ecash_bank_keys_at(bank, c->issued);
	obol_err err = OBOL_OK;
	*out = k;
	if (k == NULL)
		return OBOL_E_ECASH_BANK_KEY_UNKNOWN;
	if (!ecash_cert_known_valid(k->id, c)) {
		if ((err = ecash_cert_bytes(c, &b)) != OBOL_OK)
			return err;
		err = obol_rsapss_verify(k->pk, b.p, b.len, c->sig, c->sig_len);
		if (err == OBOL_E_SIGNATURE_INVALID)
			err = OBOL_E_ECASH_CERT_SIGNATURE;
		if (err == OBOL_OK)
			ecash_cert_note_valid(k->id, c);
	}
	ecash_bytes_free(&b);
	return err;
}

/* σ3: a key revoked at R is refused for an act at `when` once
 * when >= R + grace; a certificate whose bank key is past its acceptance
 * at `when` is refused (ECASH_BANK_KEY_RETIRED, _ENDED). */
static obol_err cert_verify(const struct ecash_bank_keys *bank, const struct ecash_cert *c,
			    const struct ecash_revocations *rl, const struct ecash_policy *pol, int64_t when,
			    int64_t grace)
{
	struct ecash_bytes b = { 0 };
	const struct ecash_bank_key *bk;
	EVP_PKEY *k = NULL;
	uint8_t id[ECASH_ID_LEN];
	int64_t revoked_at;
	obol_err err = cert_sig_verify(bank, c, &bk);
	if (err != OBOL_OK || (err = ecash_bank_key_accepts(bk, when)) != OBOL_OK)
		goto out;
	if ((err = ecash_key_parse(c->key, c->key_len, pol->min_key_bits, &k)) != OBOL_OK)
		goto out;
	if (when < c->issued - pol->max_skew || when > c->expiry) {
		err = OBOL_E_ECASH_CERT_EXPIRED;
		goto out;
	}
	ecash_key_id_der(c->key, c->key_len, id);
	if (rl != NULL && ecash_revoked(rl, id, &revoked_at) && when >= revoked_at + grace)
		err = OBOL_E_ECASH_KEY_REVOKED;
out:
	EVP_PKEY_free(k);
	ecash_bytes_free(&b);
	return err;
}

obol_err ecash_cert_verify_holder(const struct ecash_bank_keys *bank, const struct ecash_cert *c,
				  const struct ecash_policy *pol, int64_t now)
{
	const struct ecash_bank_key *bk;
	EVP_PKEY *k = NULL;
	int64_t at = now > c->expiry ? c->expiry : now;
	obol_err err = cert_sig_verify(bank, c, &bk);
	if (err == OBOL_OK)
		err = ecash_bank_key_refunds(bk, now);
	if (err == OBOL_OK)
		err = ecash_key_parse(c->key, c->key_len, pol->min_key_bits, &k);
	if (err == OBOL_OK && at < c->issued - pol->max_skew)
		err = OBOL_E_ECASH_CERT_EXPIRED;
	EVP_PKEY_free(k);
	return err;
}

obol_err ecash_cert_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_cert *c, const struct ecash_revocations *rl,
			   const struct ecash_policy *pol, int64_t now)
{
	return cert_verify(bank_pk, c, rl, pol, now, 0);
}

obol_err ecash_cert_verify_claim(const struct ecash_bank_keys *bank_pk, const struct ecash_cert *c, const struct ecash_revocations *rl,
				 const struct ecash_policy *pol, int64_t ts)
{
	return cert_verify(bank_pk, c, rl, pol, ts, pol->max_skew);
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
	if ((err = parse_keys(certs, n, keys)) != OBOL_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (obol_rsa_modulus_len(keys[i]) > maxmod)
			maxmod = obol_rsa_modulus_len(keys[i]);
	cap = n == 1 ? ECASH_SIG_MAX : obol_ringsig_len(n, maxmod);
	if ((s = malloc(cap)) == NULL) {
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
			    const uint8_t *sig, size_t sig_len, obol_err bad, bool legacy_ring)
{
	EVP_PKEY *keys[ECASH_RING_MAX] = { 0 };
	obol_err err;

	if (n == 0 || n > ECASH_RING_MAX)
		return OBOL_E_ECASH_RING_SIZE;
	if ((err = parse_keys(certs, n, keys)) != OBOL_OK)
		goto out;
	if (n == 1) {
		err = obol_rsapss_verify(keys[0], msg->p, msg->len, sig, sig_len);
	} else {
		err = obol_ringsig_verify(keys, n, msg->p, msg->len, sig, sig_len);
		if (err == OBOL_E_RING_SIGNATURE_INVALID && legacy_ring)
			err = obol_ringsig_verify_legacy(keys, n, msg->p, msg->len, sig, sig_len);
	}
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

obol_err ecash_signers_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_cert *certs, size_t n,
			      const struct ecash_revocations *rl, const struct ecash_policy *pol, int64_t when, bool claim)
{
	uint8_t ids[ECASH_RING_MAX][ECASH_ID_LEN];
	if (n == 0 || n > ECASH_RING_MAX || (n > 1 && (n < pol->ring_min || n > pol->ring_max)))
		return OBOL_E_ECASH_RING_SIZE;
	for (size_t i = 0; i < n; i++) {
		obol_err err = cert_verify(bank_pk, &certs[i], rl, pol, when, claim ? pol->max_skew : 0);
		if (err != OBOL_OK)
			return err;
		ecash_key_id_der(certs[i].key, certs[i].key_len, ids[i]);
		for (size_t j = 0; j < i; j++)
			if (memcmp(ids[i], ids[j], ECASH_ID_LEN) == 0)
				return OBOL_E_ECASH_RING_DUPLICATE;
	}
	return OBOL_OK;
}

/* The signatures of claim i of h over its bytes b: σ2 by its signer set, and
 * on the first claim of an owned coin the owner's. */
static obol_err claim_sigs_verify(const struct ecash_held_coin *h, size_t i, const struct ecash_bytes *b)
{
	const struct ecash_claim *c = &h->chain[i];
	obol_err err;
	if (c->sig_len == 0)
		return OBOL_E_ECASH_CLAIM_SIGNATURE;
	if ((err = ecash_group_verify(c->certs, c->ncerts, b, c->sig, c->sig_len, OBOL_E_ECASH_CLAIM_SIGNATURE,
				      !h->coin.has_owner)) != OBOL_OK)
		return err;
	if (i == 0 && h->coin.has_owner)
		return c->has_owner_sig ? ecash_owner_verify(h->coin.owner, b, c->owner_sig) : OBOL_E_ECASH_OWNER_SIGNATURE;
	return OBOL_OK;
}

obol_err ecash_chain_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_held_coin *h, const struct ecash_revocations *rl,
			    const struct ecash_policy *pol, unsigned flags, uint8_t *digest)
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
		bool unsigned_last = (flags & ECASH_CHAIN_LAST_UNSIGNED) && i + 1 == h->nchain;
		struct ecash_bytes b;
		if (i > 0) {
			/* §3.5.6: the next holder spends on with its own key; the
			 * owner key makes the first claim only. */
			if (c->ncerts != 1)
				return OBOL_E_ECASH_RING_NOT_FIRST;
			ecash_key_id_der(c->certs[0].key, c->certs[0].key_len, id);
			if (memcmp(id, h->chain[i - 1].payee, ECASH_ID_LEN) != 0 || c->has_owner_sig)
				return OBOL_E_ECASH_CHAIN_BROKEN;
		} else if (c->has_owner_sig && !h->coin.has_owner) {
			return OBOL_E_ECASH_CHAIN_BROKEN;
		}
		if (c->ts < last_ts || c->ts > h->coin.expiry + pol->max_skew)
			return OBOL_E_ECASH_TIMESTAMP_STALE;
		last_ts = c->ts;
		if ((err = ecash_signers_verify(bank_pk, c->certs, c->ncerts, rl, pol, c->ts, true)) != OBOL_OK)
			return err;
		if (unsigned_last)
			break;
		if ((err = ecash_claim_bytes(&h->coin, c, link, &b)) != OBOL_OK)
			return err;
		err = claim_sigs_verify(h, i, &b);
		ecash_bytes_free(&b);
		if (err != OBOL_OK)
			return err;
		if ((err = ecash_claim_digest(&h->coin, c, link, link)) != OBOL_OK)
			return err;
	}
	if (digest != NULL)
		memcpy(digest, link, OBOL_HASH_LEN);
	return OBOL_OK;
}

obol_err ecash_claim_make(struct ecash_held_coin *h, const struct ecash_claim_req *req)
{
	uint8_t link[OBOL_HASH_LEN];
	struct ecash_claim c = { 0 };
	struct ecash_bytes b = { 0 };
	const struct ecash_cert *set = req->ring ? req->ring : req->cert;
	size_t n = req->ring ? req->nring : 1;
	obol_err err;

	if (h->nchain >= ECASH_CHAIN_MAX)
		return OBOL_E_ECASH_CHAIN_TOO_LONG;
	if (req->ring != NULL && h->nchain > 0)
		return OBOL_E_ECASH_RING_NOT_FIRST;
	/* The owner signs the first claim of an owned coin, and only that. */
	if ((req->owner_sk != NULL) != (h->nchain == 0 && h->coin.has_owner))
		return OBOL_E_ECASH_OWNER_SIGNATURE;
	if ((err = ecash_chain_digest(h, link)) != OBOL_OK)
		return err;
	memcpy(c.payee, req->payee, ECASH_ID_LEN);
	c.ts = req->ts;
	c.ncerts = n;
	if ((c.certs = malloc(n * sizeof(*c.certs))) == NULL)
		return OBOL_E_NO_MEMORY;
	memcpy(c.certs, set, n * sizeof(*c.certs));
	if ((err = ecash_claim_bytes(&h->coin, &c, link, &b)) != OBOL_OK)
		goto out;
	if ((err = ecash_group_sign(c.certs, n, req->ring ? req->signer : 0, req->sk, &b, &c.sig, &c.sig_len)) !=
	    OBOL_OK)
		goto out;
	if (req->owner_sk != NULL) {
		ecash_owner_sign(req->owner_sk, &b, c.owner_sig);
		c.has_owner_sig = true;
	}
	h->chain[h->nchain++] = c;
	memset(&c, 0, sizeof(c));
out:
	ecash_bytes_free(&b);
	ecash_claim_clear(&c);
	return err;
}
