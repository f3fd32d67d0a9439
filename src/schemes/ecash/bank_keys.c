/* The bank's keys as verifiers hold them (bank_keys.h). */
#include "schemes/ecash/bank_keys.h"

#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/rsa.h"
#include "crypto/sign.h"
#include "schemes/common/keys_doc.h"
#include "schemes/common/key_announce.h"

void ecash_bank_keys_init(struct ecash_bank_keys *s)
{
	memset(s, 0, sizeof(*s));
}

/* The count of s as its readers load it (ecash_bank_keys_append). */
static size_t count(const struct ecash_bank_keys *s)
{
	return __atomic_load_n(&s->n, __ATOMIC_ACQUIRE);
}

obol_err ecash_bank_keys_add(struct ecash_bank_keys *s, EVP_PKEY *pk, int64_t valid_from, int64_t use_until,
			     int64_t accept_until, int64_t legal_end)
{
	return ecash_bank_keys_append(s, pk, valid_from, use_until, accept_until, legal_end);
}

obol_err ecash_bank_keys_append(struct ecash_bank_keys *s, EVP_PKEY *pk, int64_t valid_from, int64_t use_until,
				int64_t accept_until, int64_t legal_end)
{
	uint8_t id[32];
	if (!(valid_from < use_until && use_until <= accept_until && accept_until <= legal_end))
		return OBOL_E_KEY_INVALID;
	obol_err e = obol_rsa_key_id(pk, id);
	if (e != OBOL_OK)
		return e;
	if (ecash_bank_keys_find(s, id) != NULL)
		return OBOL_OK;
	size_t n = count(s);
	if (n == ECASH_BANK_KEYS_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	if (EVP_PKEY_up_ref(pk) != 1)
		return OBOL_E_NO_MEMORY;
	struct ecash_bank_key *k = &s->k[n];
	k->pk = pk;
	memcpy(k->id, id, sizeof(id));
	k->valid_from = valid_from;
	k->use_until = use_until;
	k->accept_until = accept_until;
	k->legal_end = legal_end;
	__atomic_store_n(&s->n, n + 1, __ATOMIC_RELEASE);
	return OBOL_OK;
}

obol_err ecash_bank_keys_merge(struct ecash_bank_keys *s, const struct ecash_bank_keys *src, bool public_only,
			       size_t *added)
{
	obol_err e = OBOL_OK;
	*added = 0;
	for (size_t i = 0; i < count(src) && e == OBOL_OK; i++) {
		const struct ecash_bank_key *k = &src->k[i];
		uint8_t *der = NULL;
		size_t len = 0;
		EVP_PKEY *pub = NULL;
		if (ecash_bank_keys_find(s, k->id) != NULL)
			continue;
		if (public_only && (e = obol_rsa_public_to_der(k->pk, &der, &len)) == OBOL_OK)
			e = obol_rsa_public_from_der(der, len, &pub);
		if (e == OBOL_OK &&
		    (e = ecash_bank_keys_append(s, public_only ? pub : k->pk, k->valid_from, k->use_until, k->accept_until,
						k->legal_end)) == OBOL_OK)
			(*added)++;
		OPENSSL_free(der);
		EVP_PKEY_free(pub);
	}
	return e;
}

obol_err ecash_bank_keys_one(struct ecash_bank_keys *s, EVP_PKEY *pk)
{
	ecash_bank_keys_init(s);
	return ecash_bank_keys_add(s, pk, INT64_MIN, INT64_MAX, INT64_MAX, INT64_MAX);
}

void ecash_bank_keys_clear(struct ecash_bank_keys *s)
{
	for (size_t i = 0; i < count(s); i++)
		EVP_PKEY_free(s->k[i].pk);
	ecash_bank_keys_init(s);
}

obol_err ecash_bank_keys_copy(struct ecash_bank_keys *dst, const struct ecash_bank_keys *src)
{
	ecash_bank_keys_init(dst);
	for (size_t i = 0; i < count(src); i++) {
		const struct ecash_bank_key *k = &src->k[i];
		obol_err e = ecash_bank_keys_add(dst, k->pk, k->valid_from, k->use_until, k->accept_until, k->legal_end);
		if (e != OBOL_OK) {
			ecash_bank_keys_clear(dst);
			return e;
		}
	}
	return OBOL_OK;
}

const struct ecash_bank_key *ecash_bank_keys_at(const struct ecash_bank_keys *s, int64_t t)
{
	const struct ecash_bank_key *best = NULL;
	for (size_t i = 0; i < count(s); i++) {
		const struct ecash_bank_key *k = &s->k[i];
		if (k->valid_from <= t && t < k->use_until && (best == NULL || k->valid_from > best->valid_from))
			best = k;
	}
	return best;
}

const struct ecash_bank_key *ecash_bank_keys_find(const struct ecash_bank_keys *s, const uint8_t id[static 32])
{
	for (size_t i = 0; i < count(s); i++)
		if (memcmp(s->k[i].id, id, 32) == 0)
			return &s->k[i];
	return NULL;
}

obol_err ecash_bank_key_accepts(const struct ecash_bank_key *k, int64_t now)
{
	if (now < k->accept_until)
		return OBOL_OK;
	return now < k->legal_end ? OBOL_E_ECASH_BANK_KEY_RETIRED : OBOL_E_ECASH_BANK_KEY_ENDED;
}

obol_err ecash_bank_key_refunds(const struct ecash_bank_key *k, int64_t now)
{
	return now < k->legal_end ? OBOL_OK : OBOL_E_ECASH_BANK_KEY_ENDED;
}

obol_err ecash_bank_keys_verify_at(const struct ecash_bank_keys *s, int64_t t, const uint8_t *msg, size_t len,
				   const uint8_t *sig, size_t sig_len, obol_err bad, const struct ecash_bank_key **out)
{
	const struct ecash_bank_key *k = ecash_bank_keys_at(s, t);
	if (out != NULL)
		*out = k;
	if (k == NULL)
		return OBOL_E_ECASH_BANK_KEY_UNKNOWN;
	obol_err e = obol_rsapss_verify(k->pk, msg, len, sig, sig_len);
	return e == OBOL_E_SIGNATURE_INVALID ? bad : e;
}

obol_err ecash_bank_keys_verify_any(const struct ecash_bank_keys *s, const uint8_t *msg, size_t len,
				    const uint8_t *sig, size_t sig_len, obol_err bad)
{
	size_t n = count(s);
	obol_err e = n == 0 ? OBOL_E_ECASH_BANK_KEY_UNKNOWN : bad;
	for (size_t i = 0; i < n; i++) {
		e = obol_rsapss_verify(s->k[i].pk, msg, len, sig, sig_len);
		if (e == OBOL_OK)
			return OBOL_OK;
		if (e == OBOL_E_SIGNATURE_INVALID)
			e = bad;
		else
			return e;
	}
	return e;
}

/* Whether a revocation of set names id. */
static bool revoked(const struct obol_key_set *set, const uint8_t id[static 32])
{
	for (size_t i = 0; i < set->n; i++)
		if (set->a[i].kind == OBOL_KEY_REVOKE && memcmp(set->a[i].revoked, id, 32) == 0)
			return true;
	return false;
}

obol_err ecash_bank_keys_from_announced(struct ecash_bank_keys *out, const struct obol_key_set *set,
					const char *currency, size_t *found)
{
	*found = 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct obol_key_announce *a = &set->a[i];
		uint8_t id[32];
		EVP_PKEY *pk = NULL;
		if (a->kind != OBOL_KEY_ECASH_BANK || strcmp(a->currency, currency) != 0)
			continue;
		obol_key_announce_key_id(a, id);
		if (revoked(set, id))
			continue;
		obol_err e = obol_rsa_public_from_der(a->key, a->key_len, &pk);
		if (e == OBOL_OK)
			e = ecash_bank_keys_add(out, pk, a->valid_from, a->use_until, a->accept_until, a->legal_end);
		EVP_PKEY_free(pk);
		if (e != OBOL_OK)
			return e;
		(*found)++;
	}
	return OBOL_OK;
}

obol_err ecash_bank_keys_from_doc(const json_t *keys, bool first_contact, struct ecash_bank_keys *out)
{
	struct obol_key_set *set = malloc(sizeof(*set));
	uint8_t mpk[OBOL_SIGN_PK_LEN], der[OBOL_KEY_PUB_MAX];
	size_t len = 0, found = 0;
	EVP_PKEY *pk = NULL;
	const char *cur = json_string_value(json_object_get(keys, "currency"));
	const char *m64 = json_string_value(json_object_get(keys, "master_pk"));
	const char *b64 = json_string_value(json_object_get(json_object_get(keys, "ecash"), "bank_key"));
	obol_err e = set != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	ecash_bank_keys_init(out);
	if (e == OBOL_OK && (cur == NULL || m64 == NULL || obol_b64_decode(m64, mpk, sizeof(mpk), &len, 0) != OBOL_OK ||
			     len != sizeof(mpk)))
		e = OBOL_E_KEYS_INVALID;
	if (e == OBOL_OK && (e = obol_keys_doc_key_set(keys, mpk, set)) == OBOL_OK)
		e = ecash_bank_keys_from_announced(out, set, cur, &found);
	if (e == OBOL_OK && found == 0 && first_contact) {
		if (b64 == NULL || obol_b64_decode(b64, der, sizeof(der), &len, 0) != OBOL_OK ||
		    obol_rsa_public_from_der(der, len, &pk) != OBOL_OK)
			e = OBOL_E_KEYS_INVALID;
		else
			e = ecash_bank_keys_one(out, pk);
	}
	EVP_PKEY_free(pk);
	free(set);
	if (e != OBOL_OK)
		ecash_bank_keys_clear(out);
	return e;
}
