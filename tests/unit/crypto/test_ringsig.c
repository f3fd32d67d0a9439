/* RST ring signatures over RSA keys (src/crypto/ringsig.c, seed 002 §4.1).
 * The 65 RSA-2048 keys are built once, in one case, from a pool of primes
 * (cli/bench_keys.h) and reused for every ring size. */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "cli/bench_keys.h"
#include "crypto/ringsig.h"
#include "crypto/rsa.h"

#define B2048 (256 + 20)

static const uint8_t msg[] = "spend claim: coin 4711, merchant 9, nonce 0x5eed";

/* A public-only copy of k, as a verifier holds it. */
static EVP_PKEY *public_copy(EVP_PKEY *k)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *pub = NULL;
	if (obol_rsa_public_to_der(k, &der, &len) != OBOL_OK)
		return NULL;
	if (obol_rsa_public_from_der(der, len, &pub) != OBOL_OK)
		pub = NULL;
	OPENSSL_free(der);
	return pub;
}

/* Tampering with one ring of size r signed at position s. */
static void check_tampering(EVP_PKEY **ring, size_t r, EVP_PKEY *outsider, const uint8_t *sig, size_t len)
{
	EVP_PKEY *alt[OBOL_RING_MAX];
	uint8_t *bad = malloc(len + 1), m[sizeof(msg)];
	REQUIRE(bad != NULL);

	/* Message: every bit for small rings, a spread of bits for big ones. */
	size_t mstep = r <= 8 ? 1 : 29;
	for (size_t bit = 0; bit < sizeof(msg) * 8; bit += mstep) {
		memcpy(m, msg, sizeof(msg));
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_ERR(obol_ringsig_verify(ring, r, m, sizeof(m), sig, len), OBOL_E_RING_SIGNATURE_INVALID);
	}
	CHECK_ERR(obol_ringsig_verify(ring, r, msg, sizeof(msg) - 1, sig, len), OBOL_E_RING_SIGNATURE_INVALID);

	/* Signature: every bit for r = 1; one bit in every byte (r = 2), in
	 * every 7th byte (r = 8) or in every 211th byte (r = 64), the bit
	 * position moving along, so that v and every x_i are met. Verifying
	 * costs ~0.05-0.1 ms per member (its RSA public operation), which
	 * bounds how many a test can afford. */
	size_t bstep = r == 1 ? 1 : r == 2 ? 9 : r <= 8 ? 7 * 8 + 1 : 211 * 8 + 1;
	for (size_t bit = 0; bit < len * 8; bit += bstep) {
		memcpy(bad, sig, len);
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		obol_err e = obol_ringsig_verify(ring, r, msg, sizeof(msg), bad, len);
		if (e != OBOL_E_RING_SIGNATURE_INVALID) {
			CHECK_ERR(e, OBOL_E_RING_SIGNATURE_INVALID);
			break;
		}
	}
	/* Truncated, extended. */
	memcpy(bad, sig, len);
	bad[len] = 0;
	CHECK_ERR(obol_ringsig_verify(ring, r, msg, sizeof(msg), sig, len - 1), OBOL_E_RING_SIGNATURE_INVALID);
	CHECK_ERR(obol_ringsig_verify(ring, r, msg, sizeof(msg), bad, len + 1), OBOL_E_RING_SIGNATURE_INVALID);
	CHECK_ERR(obol_ringsig_verify(ring, r, msg, sizeof(msg), sig, 0), OBOL_E_RING_SIGNATURE_INVALID);

	/* A key replaced, at every place (r <= 8) or at a few. */
	for (size_t i = 0; i < r; i += r <= 8 ? 1 : 21) {
		memcpy(alt, ring, r * sizeof(*alt));
		alt[i] = outsider;
		CHECK_ERR(obol_ringsig_verify(alt, r, msg, sizeof(msg), sig, len), OBOL_E_RING_SIGNATURE_INVALID);
	}
	/* Two keys swapped: neighbours, and first with last. */
	if (r >= 2) {
		for (size_t i = 0; i + 1 < r; i += r <= 8 ? 1 : 31) {
			memcpy(alt, ring, r * sizeof(*alt));
			alt[i] = ring[i + 1];
			alt[i + 1] = ring[i];
			CHECK_ERR(obol_ringsig_verify(alt, r, msg, sizeof(msg), sig, len),
				  OBOL_E_RING_SIGNATURE_INVALID);
		}
		memcpy(alt, ring, r * sizeof(*alt));
		alt[0] = ring[r - 1];
		alt[r - 1] = ring[0];
		CHECK_ERR(obol_ringsig_verify(alt, r, msg, sizeof(msg), sig, len), OBOL_E_RING_SIGNATURE_INVALID);
	}
	/* A key removed: with the signature as it is, and with that member's
	 * x_i cut out of it. */
	if (r >= 2) {
		for (size_t i = 0; i < r; i += r <= 8 ? 1 : 21) {
			size_t k = 0;
			for (size_t j = 0; j < r; j++)
				if (j != i)
					alt[k++] = ring[j];
			CHECK_ERR(obol_ringsig_verify(alt, r - 1, msg, sizeof(msg), sig, len),
				  OBOL_E_RING_SIGNATURE_INVALID);
			memcpy(bad, sig, (i + 1) * B2048);
			memcpy(bad + (i + 1) * B2048, sig + (i + 2) * B2048, len - (i + 2) * B2048);
			CHECK_ERR(obol_ringsig_verify(alt, r - 1, msg, sizeof(msg), bad, len - B2048),
				  OBOL_E_RING_SIGNATURE_INVALID);
		}
	}
	free(bad);
}

TEST(ringsig, sizes_1_2_8_64_positions_and_tampering)
{
	EVP_PKEY *keys[OBOL_RING_MAX + 1] = { 0 }, *pub[OBOL_RING_MAX + 1] = { 0 };
	static const size_t sizes[] = { 1, 2, 8, 64 };
	uint8_t *sig = malloc(obol_ringsig_len(OBOL_RING_MAX, 256));
	size_t len = 0;

	REQUIRE(sig != NULL);
	REQUIRE_OK(bench_rsa_keys(keys, OBOL_RING_MAX + 1));
	for (size_t i = 0; i <= OBOL_RING_MAX; i++) {
		REQUIRE(EVP_PKEY_get_bits(keys[i]) == 2048);
		REQUIRE((pub[i] = public_copy(keys[i])) != NULL);
	}
	/* The 65 keys are distinct. */
	uint8_t ids[OBOL_RING_MAX + 1][32];
	for (size_t i = 0; i <= OBOL_RING_MAX; i++) {
		REQUIRE_OK(obol_rsa_key_id(keys[i], ids[i]));
		for (size_t j = 0; j < i; j++)
			CHECK(memcmp(ids[i], ids[j], 32) != 0);
	}

	for (size_t z = 0; z < OBOL_ARRAY_LEN(sizes); z++) {
		size_t r = sizes[z];
		size_t positions[] = { 0, r / 2, r - 1 };
		size_t want = obol_ringsig_len(r, 256);
		CHECK_EQ_INT(want, (r + 1) * B2048);
		for (size_t p = 0; p < OBOL_ARRAY_LEN(positions); p++) {
			size_t s = positions[p];
			if (p > 0 && s == positions[p - 1])
				continue;
			REQUIRE_OK(obol_ringsig_sign(pub, r, s, keys[s], msg, sizeof(msg), sig, want, &len));
			CHECK_EQ_INT(len, want);
			CHECK_OK(obol_ringsig_verify(pub, r, msg, sizeof(msg), sig, len));
			/* Verifying with the private-key objects gives the same. */
			CHECK_OK(obol_ringsig_verify(keys, r, msg, sizeof(msg), sig, len));
			/* Tampering, once per size (at the middle signer). */
			if (p == 1 || r == 1)
				check_tampering(pub, r, pub[OBOL_RING_MAX], sig, len);
		}
		/* A key that is not the one at the signer's place, and a
		 * public-only key, cannot sign. */
		CHECK_ERR(obol_ringsig_sign(pub, r, 0, keys[OBOL_RING_MAX], msg, sizeof(msg), sig, want, &len),
			  OBOL_E_KEY_INVALID);
		CHECK_ERR(obol_ringsig_sign(pub, r, 0, pub[0], msg, sizeof(msg), sig, want, &len),
			  OBOL_E_KEY_INVALID);
		CHECK_ERR(obol_ringsig_sign(pub, r, r, keys[0], msg, sizeof(msg), sig, want, &len),
			  OBOL_E_INVALID_ARGUMENT);
		CHECK_ERR(obol_ringsig_sign(pub, r, 0, keys[0], msg, sizeof(msg), sig, want - 1, &len),
			  OBOL_E_INVALID_ARGUMENT);
	}

	/* Sizes 0 and 65. */
	CHECK_ERR(obol_ringsig_sign(pub, 0, 0, keys[0], msg, sizeof(msg), sig, 1000, &len), OBOL_E_RING_SIZE);
	CHECK_ERR(obol_ringsig_verify(pub, 0, msg, sizeof(msg), sig, 276), OBOL_E_RING_SIZE);
	CHECK_ERR(obol_ringsig_sign(pub, OBOL_RING_MAX + 1, 0, keys[0], msg, sizeof(msg), sig, 66 * B2048, &len),
		  OBOL_E_RING_SIZE);
	CHECK_ERR(obol_ringsig_verify(pub, OBOL_RING_MAX + 1, msg, sizeof(msg), sig, 66 * B2048),
		  OBOL_E_RING_SIZE);
	CHECK_EQ_INT(obol_ringsig_len(0, 256), 0);
	CHECK_EQ_INT(obol_ringsig_len(OBOL_RING_MAX + 1, 256), 0);

	for (size_t i = 0; i <= OBOL_RING_MAX; i++) {
		EVP_PKEY_free(keys[i]);
		EVP_PKEY_free(pub[i]);
	}
	free(sig);
}

TEST(ringsig, mixed_moduli_and_bad_keys)
{
	/* A 2048-bit and a 1024-bit member share the 2208-bit domain; each
	 * can sign. A non-RSA key or a NULL key is KEY_INVALID. */
	EVP_PKEY *big = NULL, *small = NULL, *ring[2];
	uint8_t sig[3 * B2048];
	size_t len = 0;

	REQUIRE_OK(obol_rsa_generate(2048, &big));
	REQUIRE_OK(obol_rsa_generate(1024, &small));
	ring[0] = small;
	ring[1] = big;
	CHECK_EQ_INT(obol_ringsig_len(2, 256), sizeof(sig));
	for (size_t s = 0; s < 2; s++) {
		REQUIRE_OK(obol_ringsig_sign(ring, 2, s, ring[s], msg, sizeof(msg), sig, sizeof(sig), &len));
		CHECK_EQ_INT(len, sizeof(sig));
		CHECK_OK(obol_ringsig_verify(ring, 2, msg, sizeof(msg), sig, len));
		sig[len - 1] ^= 0x40;
		CHECK_ERR(obol_ringsig_verify(ring, 2, msg, sizeof(msg), sig, len), OBOL_E_RING_SIGNATURE_INVALID);
	}
	/* The 1024-bit key alone: its own domain of 148 bytes. */
	REQUIRE_OK(obol_ringsig_sign(ring, 1, 0, small, msg, sizeof(msg), sig, sizeof(sig), &len));
	CHECK_EQ_INT(len, 2 * (128 + 20));
	CHECK_OK(obol_ringsig_verify(ring, 1, msg, sizeof(msg), sig, len));

	/* A 1032-bit key gives an odd domain of 149 bytes: the Feistel
	 * halves are 74 and 75 bytes. */
	EVP_PKEY *odd = NULL, *pair[2];
	REQUIRE_OK(obol_rsa_generate(1032, &odd));
	pair[0] = odd;
	pair[1] = small;
	for (size_t s = 0; s < 2; s++) {
		REQUIRE_OK(obol_ringsig_sign(pair, 2, s, pair[s], msg, sizeof(msg), sig, sizeof(sig), &len));
		CHECK_EQ_INT(len, 3 * 149);
		CHECK_OK(obol_ringsig_verify(pair, 2, msg, sizeof(msg), sig, len));
		for (size_t i = 0; i < len; i += 37) {
			sig[i] ^= 0x10;
			CHECK_ERR(obol_ringsig_verify(pair, 2, msg, sizeof(msg), sig, len),
				  OBOL_E_RING_SIGNATURE_INVALID);
			sig[i] ^= 0x10;
		}
	}
	EVP_PKEY_free(odd);

	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	REQUIRE(ed != NULL);
	ring[1] = ed;
	CHECK_ERR(obol_ringsig_verify(ring, 2, msg, sizeof(msg), sig, 3 * 148), OBOL_E_KEY_INVALID);
	CHECK_ERR(obol_ringsig_sign(ring, 2, 0, small, msg, sizeof(msg), sig, sizeof(sig), &len), OBOL_E_KEY_INVALID);
	ring[1] = NULL;
	CHECK_ERR(obol_ringsig_verify(ring, 2, msg, sizeof(msg), sig, 3 * 148), OBOL_E_KEY_INVALID);

	EVP_PKEY_free(ed);
	EVP_PKEY_free(big);
	EVP_PKEY_free(small);
}

TEST(ringsig, random_signatures_do_not_verify)
{
	EVP_PKEY *keys[3] = { 0 };
	uint8_t sig[4 * B2048];

	REQUIRE_OK(bench_rsa_keys(keys, 3));
	for (int t = 0; t < 20; t++) {
		for (size_t i = 0; i < sizeof(sig); i++)
			sig[i] = (uint8_t)rand();
		CHECK_ERR(obol_ringsig_verify(keys, 3, msg, sizeof(msg), sig, sizeof(sig)),
			  OBOL_E_RING_SIGNATURE_INVALID);
	}
	memset(sig, 0, sizeof(sig));
	CHECK_ERR(obol_ringsig_verify(keys, 3, msg, sizeof(msg), sig, sizeof(sig)), OBOL_E_RING_SIGNATURE_INVALID);
	memset(sig, 0xff, sizeof(sig));
	CHECK_ERR(obol_ringsig_verify(keys, 3, msg, sizeof(msg), sig, sizeof(sig)), OBOL_E_RING_SIGNATURE_INVALID);
	for (size_t i = 0; i < 3; i++)
		EVP_PKEY_free(keys[i]);
}
