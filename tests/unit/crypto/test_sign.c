/* Ed25519 with domain separation (src/crypto/sign.c). */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "crypto/sign.h"
#include "../test.h"

/* RFC 8032 §7.1, TEST 1: the empty message. */
static const char t1_seed[] = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char t1_pk[] = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char t1_sig[] = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

TEST(sign, rfc8032_test1_raw_primitive)
{
	uint8_t seed[32], pk[32], want[64], sig[64];
	struct obol_sign_keypair kp;

	REQUIRE_OK(obol_hex_decode(t1_seed, seed, sizeof(seed)));
	REQUIRE_OK(obol_hex_decode(t1_pk, pk, sizeof(pk)));
	REQUIRE_OK(obol_hex_decode(t1_sig, want, sizeof(want)));

	obol_sign_keypair_from_seed(&kp, seed);
	CHECK_MEM_EQ(kp.pk, pk, 32);
	/* libsodium's secret key form is seed || public key. */
	CHECK_MEM_EQ(kp.sk, seed, 32);
	CHECK_MEM_EQ(kp.sk + 32, pk, 32);

	/* The bare primitive, on the empty message, gives the RFC's bytes. */
	REQUIRE(crypto_sign_detached(sig, NULL, (const uint8_t *)"", 0, kp.sk) == 0);
	CHECK_MEM_EQ(sig, want, 64);
	CHECK(crypto_sign_verify_detached(want, (const uint8_t *)"", 0, pk) == 0);

	/* obol_sign never signs the bare message: the RFC's signature does not
	 * verify through obol_sign_verify under any context. */
	CHECK_ERR(obol_sign_verify(want, "", NULL, 0, pk), OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_sign_verify(want, NULL, NULL, 0, pk), OBOL_E_SIGNATURE_INVALID);
	OBOL_WIPE(kp);
}

TEST(sign, framing_is_prefix_context_nul_message)
{
	/* The contract of sign.h, checked against the raw primitive. */
	struct obol_sign_keypair kp;
	uint8_t sig[64];
	const uint8_t msg[] = { 1, 2, 3 };
	const uint8_t framed[] = "obol-sig-v1\0vendor-cert\0\1\2\3";

	obol_sign_keypair_new(&kp);
	obol_sign(sig, "vendor-cert", msg, sizeof(msg), kp.sk);
	CHECK(crypto_sign_verify_detached(sig, framed, sizeof(framed) - 1, kp.pk) == 0);
	CHECK_OK(obol_sign_verify(sig, "vendor-cert", msg, sizeof(msg), kp.pk));
	OBOL_WIPE(kp);
}

TEST(sign, context_and_every_bit_matter)
{
	struct obol_sign_keypair kp, other;
	uint8_t sig[64], bad[64], m[40];
	const char *ctx_a = "coupon-lock-reply", *ctx_b = "coupon-lock-request";

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 7);
	obol_sign_keypair_new(&kp);
	obol_sign_keypair_new(&other);
	obol_sign(sig, ctx_a, m, sizeof(m), kp.sk);
	CHECK_OK(obol_sign_verify(sig, ctx_a, m, sizeof(m), kp.pk));

	/* A signature for context A fails for context B, and for contexts
	 * that differ only by where the separator falls. */
	CHECK_ERR(obol_sign_verify(sig, ctx_b, m, sizeof(m), kp.pk), OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_sign_verify(sig, "", m, sizeof(m), kp.pk), OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_sign_verify(sig, "coupon-lock-repl", m, sizeof(m), kp.pk), OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_sign_verify(sig, ctx_a, m, sizeof(m), other.pk), OBOL_E_SIGNATURE_INVALID);

	for (size_t bit = 0; bit < sizeof(m) * 8; bit++) {
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_ERR(obol_sign_verify(sig, ctx_a, m, sizeof(m), kp.pk), OBOL_E_SIGNATURE_INVALID);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < sizeof(sig) * 8; bit++) {
		memcpy(bad, sig, sizeof(sig));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_ERR(obol_sign_verify(bad, ctx_a, m, sizeof(m), kp.pk), OBOL_E_SIGNATURE_INVALID);
	}
	CHECK_ERR(obol_sign_verify(sig, ctx_a, m, sizeof(m) - 1, kp.pk), OBOL_E_SIGNATURE_INVALID);

	/* The all-zero signature obol_sign leaves on a failed allocation
	 * never verifies. */
	memset(bad, 0, sizeof(bad));
	CHECK_ERR(obol_sign_verify(bad, ctx_a, m, sizeof(m), kp.pk), OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_sign_verify(bad, ctx_a, NULL, 0, kp.pk), OBOL_E_SIGNATURE_INVALID);
	OBOL_WIPE(kp);
	OBOL_WIPE(other);
}

TEST(sign, large_message_and_seed_determinism)
{
	/* A message above the stack frame takes the heap path. */
	static uint8_t big[100000];
	uint8_t seed[32], sig1[64], sig2[64];
	struct obol_sign_keypair a, b;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i ^ (i >> 8));
	memset(seed, 0x5a, sizeof(seed));
	obol_sign_keypair_from_seed(&a, seed);
	obol_sign_keypair_from_seed(&b, seed);
	CHECK_MEM_EQ(a.pk, b.pk, 32);
	obol_sign(sig1, "ecash-deposit", big, sizeof(big), a.sk);
	obol_sign(sig2, "ecash-deposit", big, sizeof(big), b.sk);
	CHECK_MEM_EQ(sig1, sig2, 64); /* Ed25519 is deterministic */
	CHECK_OK(obol_sign_verify(sig1, "ecash-deposit", big, sizeof(big), a.pk));
	big[sizeof(big) - 1] ^= 1;
	CHECK_ERR(obol_sign_verify(sig1, "ecash-deposit", big, sizeof(big), a.pk), OBOL_E_SIGNATURE_INVALID);
	OBOL_WIPE(a);
	OBOL_WIPE(b);
}
