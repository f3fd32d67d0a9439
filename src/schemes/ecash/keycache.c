/* Caches for verification (see ecash.h): parsed public keys by key id, and
 * certificates already found to carry a valid bank signature. Parsing a DER
 * RSA key costs several RSA verifications in OpenSSL 3, and a payment names
 * the same certified keys again and again (every ring member, every link of
 * a chain), so a merchant or bank would otherwise spend most of its time
 * decoding. Both caches are direct-mapped tables behind one mutex; an entry
 * is only a shortcut to a result that does not change (a key's parse, a
 * signature's validity), never a decision of its own. */
#include <pthread.h>
#include <string.h>

#include "schemes/ecash/ecash.h"

#define KEYS_SLOTS 1024
#define CERTS_SLOTS 4096

struct key_slot {
	uint8_t id[ECASH_ID_LEN];
	EVP_PKEY *k;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct key_slot keys[KEYS_SLOTS];
static uint8_t certs[CERTS_SLOTS][OBOL_HASH_LEN];
static bool certs_used[CERTS_SLOTS];

static size_t slot(const uint8_t *h, size_t n)
{
	uint32_t x;
	memcpy(&x, h, sizeof(x));
	return x % n;
}

obol_err ecash_key_get(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	uint8_t id[ECASH_ID_LEN];
	EVP_PKEY *k = NULL;
	*out = NULL;
	if (der == NULL || len == 0 || len > ECASH_KEY_DER_MAX)
		return OBOL_E_KEY_INVALID;
	ecash_key_id_der(der, len, id);
	size_t i = slot(id, KEYS_SLOTS);
	pthread_mutex_lock(&cache_mu);
	if (keys[i].k != NULL && memcmp(keys[i].id, id, ECASH_ID_LEN) == 0 && EVP_PKEY_up_ref(keys[i].k) == 1)
		k = keys[i].k;
	pthread_mutex_unlock(&cache_mu);
	if (k != NULL) {
		*out = k;
		return OBOL_OK;
	}
	obol_err e = obol_rsa_public_from_der(der, len, &k);
	if (e != OBOL_OK)
		return e;
	pthread_mutex_lock(&cache_mu);
	if (EVP_PKEY_up_ref(k) == 1) {
		EVP_PKEY_free(keys[i].k);
		keys[i].k = k;
		memcpy(keys[i].id, id, ECASH_ID_LEN);
	}
	pthread_mutex_unlock(&cache_mu);
	*out = k;
	return OBOL_OK;
}

/* The cache key of "cert carries a valid signature of bank key bank_id". */
static void cert_entry(const uint8_t bank_id[static ECASH_ID_LEN], const struct ecash_cert *c,
		       uint8_t out[static OBOL_HASH_LEN])
{
	uint8_t dg[OBOL_HASH_LEN];
	ecash_cert_digest(c, dg);
	struct obol_hash_part parts[] = {
		{ "obol-ecash-cert-verified-v1", 27 },
		{ bank_id, ECASH_ID_LEN },
		{ dg, sizeof(dg) },
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

bool ecash_cert_known_valid(const uint8_t bank_id[static ECASH_ID_LEN], const struct ecash_cert *c)
{
	uint8_t h[OBOL_HASH_LEN];
	cert_entry(bank_id, c, h);
	size_t i = slot(h, CERTS_SLOTS);
	pthread_mutex_lock(&cache_mu);
	bool hit = certs_used[i] && memcmp(certs[i], h, OBOL_HASH_LEN) == 0;
	pthread_mutex_unlock(&cache_mu);
	return hit;
}

void ecash_cert_note_valid(const uint8_t bank_id[static ECASH_ID_LEN], const struct ecash_cert *c)
{
	uint8_t h[OBOL_HASH_LEN];
	cert_entry(bank_id, c, h);
	size_t i = slot(h, CERTS_SLOTS);
	pthread_mutex_lock(&cache_mu);
	memcpy(certs[i], h, OBOL_HASH_LEN);
	certs_used[i] = true;
	pthread_mutex_unlock(&cache_mu);
}

/* Key ids of the few keys that verify certificates (the bank's), by object:
 * each entry holds a reference, so its address cannot be reused by another
 * key while it is cached. */
#define SIGNERS_SLOTS 4
static EVP_PKEY *signers[SIGNERS_SLOTS];
static uint8_t signer_ids[SIGNERS_SLOTS][ECASH_ID_LEN];
static size_t signers_next;

obol_err ecash_signer_id(EVP_PKEY *k, uint8_t id[static ECASH_ID_LEN])
{
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < SIGNERS_SLOTS; i++)
		if (signers[i] == k) {
			memcpy(id, signer_ids[i], ECASH_ID_LEN);
			pthread_mutex_unlock(&cache_mu);
			return OBOL_OK;
		}
	pthread_mutex_unlock(&cache_mu);
	obol_err e = obol_rsa_key_id(k, id);
	if (e != OBOL_OK)
		return e;
	pthread_mutex_lock(&cache_mu);
	if (EVP_PKEY_up_ref(k) == 1) {
		size_t i = signers_next++ % SIGNERS_SLOTS;
		EVP_PKEY_free(signers[i]);
		signers[i] = k;
		memcpy(signer_ids[i], id, ECASH_ID_LEN);
	}
	pthread_mutex_unlock(&cache_mu);
	return OBOL_OK;
}

void ecash_caches_clear(void)
{
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < KEYS_SLOTS; i++) {
		EVP_PKEY_free(keys[i].k);
		keys[i].k = NULL;
	}
	memset(certs_used, 0, sizeof(certs_used));
	for (size_t i = 0; i < SIGNERS_SLOTS; i++) {
		EVP_PKEY_free(signers[i]);
		signers[i] = NULL;
	}
	pthread_mutex_unlock(&cache_mu);
}
