/* SHA-256 (libsodium) and hash chain steps and verification; see hash.h.
 * The traversal lives in hashchain.c. */
#include "crypto/hash.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

void obol_sha256(uint8_t out[static OBOL_HASH_LEN], const void *in, size_t len)
{
	crypto_hash_sha256(out, in, len);
}

void obol_sha256_parts(uint8_t out[static OBOL_HASH_LEN], const struct obol_hash_part *parts,
		       size_t nparts)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < nparts; i++) {
		/* The length prefix is 32 bits: a longer part would make two
		 * part lists hash alike, which is a caller bug. */
		if (parts[i].len > UINT32_MAX)
			abort();
		uint32_t l = (uint32_t)parts[i].len;
		uint8_t be[4] = { (uint8_t)(l >> 24), (uint8_t)(l >> 16), (uint8_t)(l >> 8), (uint8_t)l };
		crypto_hash_sha256_update(&st, be, sizeof(be));
		if (l > 0)
			crypto_hash_sha256_update(&st, parts[i].p, l);
	}
	crypto_hash_sha256_final(&st, out);
	OBOL_WIPE(st);
}

void obol_hashchain_step(uint8_t out[static OBOL_HASH_LEN], const uint8_t in[static OBOL_HASH_LEN],
			 uint64_t k)
{
	uint8_t v[OBOL_HASH_LEN];
	memcpy(v, in, OBOL_HASH_LEN);
	for (uint64_t i = 0; i < k; i++)
		crypto_hash_sha256(v, v, OBOL_HASH_LEN);
	memcpy(out, v, OBOL_HASH_LEN);
	OBOL_WIPE(v);
}

obol_err obol_hashchain_verify(const uint8_t value[static OBOL_HASH_LEN], uint64_t k,
			       const uint8_t anchor[static OBOL_HASH_LEN], uint64_t max_k)
{
	uint8_t v[OBOL_HASH_LEN];
	obol_err e = OBOL_OK;

	if (k > max_k || k > OBOL_HASHCHAIN_MAX_N)
		return OBOL_E_INVALID_ARGUMENT;
	obol_hashchain_step(v, value, k);
	if (!obol_ct_equal(v, anchor, OBOL_HASH_LEN))
		e = OBOL_E_HASHCHAIN_NOT_IN_CHAIN;
	OBOL_WIPE(v);
	return e;
}
