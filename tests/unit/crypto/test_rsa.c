/* RSA keys and RSASSA-PSS (src/crypto/rsa.c). Each case generates its keys
 * once: RSA key generation takes a noticeable fraction of a second. */
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <string.h>

#include "crypto/rsa.h"
#include "../test.h"

static const uint8_t msg[] = "obol: pay 0.001 EUR to vendor 7";

TEST(rsa, generate_der_roundtrip_and_key_id)
{
	EVP_PKEY *k = NULL, *pub = NULL, *priv = NULL;
	uint8_t *pder = NULL, *sder = NULL, *pder2 = NULL;
	size_t plen = 0, slen = 0, plen2 = 0;
	uint8_t id1[32], id2[32], id3[32];

	REQUIRE_OK(obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &k));
	CHECK_EQ_INT(obol_rsa_modulus_len(k), 256);
	CHECK_EQ_INT(EVP_PKEY_get_bits(k), 2048);

	REQUIRE_OK(obol_rsa_public_to_der(k, &pder, &plen));
	REQUIRE_OK(obol_rsa_private_to_der(k, &sder, &slen));
	CHECK(plen > 256 && plen < OBOL_RSA_MAX_DER);
	CHECK(slen > plen && slen < OBOL_RSA_MAX_DER);

	REQUIRE_OK(obol_rsa_public_from_der(pder, plen, &pub));
	REQUIRE_OK(obol_rsa_private_from_der(sder, slen, &priv));
	CHECK_EQ_INT(EVP_PKEY_eq(k, pub), 1);
	CHECK_EQ_INT(EVP_PKEY_eq(k, priv), 1);

	/* The id is the SHA-256 of the public DER, the same from every form. */
	REQUIRE_OK(obol_rsa_key_id(k, id1));
	REQUIRE_OK(obol_rsa_key_id(pub, id2));
	REQUIRE_OK(obol_rsa_key_id(priv, id3));
	CHECK_MEM_EQ(id1, id2, 32);
	CHECK_MEM_EQ(id1, id3, 32);
	REQUIRE_OK(obol_rsa_public_to_der(priv, &pder2, &plen2));
	CHECK_EQ_INT(plen2, plen);
	CHECK_MEM_EQ(pder, pder2, plen);

	/* The public exponent is 65537. */
	BIGNUM *e = NULL;
	REQUIRE(EVP_PKEY_get_bn_param(k, "e", &e) == 1);
	CHECK_EQ_INT(BN_get_word(e), 65537);
	BN_free(e);

	/* A public DER is not a private key; the output, holding a stale key
	 * before, is cleared. */
	EVP_PKEY *bad = pub;
	CHECK_ERR(obol_rsa_private_from_der(pder, plen, &bad), OBOL_E_KEY_INVALID);
	CHECK(bad == NULL);

	OPENSSL_free(pder);
	OPENSSL_free(pder2);
	obol_rsa_der_free(sder, slen);
	EVP_PKEY_free(k);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
}

TEST(rsa, garbage_der_is_key_invalid)
{
	EVP_PKEY *k = NULL, *out = NULL;
	uint8_t *pder = NULL, *sder = NULL;
	size_t plen = 0, slen = 0;
	uint8_t junk[300];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 11);
	CHECK_ERR(obol_rsa_public_from_der(junk, sizeof(junk), &out), OBOL_E_KEY_INVALID);
	CHECK_ERR(obol_rsa_private_from_der(junk, sizeof(junk), &out), OBOL_E_KEY_INVALID);
	CHECK_ERR(obol_rsa_public_from_der(junk, 0, &out), OBOL_E_KEY_INVALID);
	CHECK(out == NULL);

	REQUIRE_OK(obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &k));
	REQUIRE_OK(obol_rsa_public_to_der(k, &pder, &plen));
	REQUIRE_OK(obol_rsa_private_to_der(k, &sder, &slen));

	/* Truncated, and with a trailing byte. */
	CHECK_ERR(obol_rsa_public_from_der(pder, plen - 1, &out), OBOL_E_KEY_INVALID);
	CHECK_ERR(obol_rsa_private_from_der(sder, slen - 1, &out), OBOL_E_KEY_INVALID);
	uint8_t longer[OBOL_RSA_MAX_DER];
	memcpy(longer, pder, plen);
	longer[plen] = 0;
	CHECK_ERR(obol_rsa_public_from_der(longer, plen + 1, &out), OBOL_E_KEY_INVALID);

	/* A changed byte in the middle of the private exponent or a CRT value. */
	uint8_t *copy = OPENSSL_malloc(slen);
	REQUIRE(copy != NULL);
	memcpy(copy, sder, slen);
	copy[slen - 40] ^= 0x01;
	CHECK_ERR(obol_rsa_private_from_der(copy, slen, &out), OBOL_E_KEY_INVALID);
	CHECK(out == NULL);
	obol_rsa_der_free(copy, slen);

	/* An Ed25519 key is well-formed DER but not RSA. */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	REQUIRE(ed != NULL);
	unsigned char *edder = NULL;
	int edlen = i2d_PUBKEY(ed, &edder);
	REQUIRE(edlen > 0);
	CHECK_ERR(obol_rsa_public_from_der(edder, (size_t)edlen, &out), OBOL_E_KEY_INVALID);
	CHECK_EQ_INT(obol_rsa_modulus_len(ed), 0);
	uint8_t id[32];
	CHECK_ERR(obol_rsa_key_id(ed, id), OBOL_E_KEY_INVALID);
	OPENSSL_free(edder);
	EVP_PKEY_free(ed);

	OPENSSL_free(pder);
	obol_rsa_der_free(sder, slen);
	EVP_PKEY_free(k);
}

TEST(rsa, pss_sign_verify_and_every_bit_matters)
{
	EVP_PKEY *k = NULL, *other = NULL, *pub = NULL;
	uint8_t *pder = NULL;
	size_t plen = 0;
	uint8_t sig[OBOL_RSA_MAX_MODULUS], sig2[OBOL_RSA_MAX_MODULUS];
	size_t slen = 0, slen2 = 0;
	uint8_t m[sizeof(msg)];

	REQUIRE_OK(obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &k));
	REQUIRE_OK(obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &other));
	REQUIRE_OK(obol_rsa_public_to_der(k, &pder, &plen));
	REQUIRE_OK(obol_rsa_public_from_der(pder, plen, &pub));

	REQUIRE_OK(obol_rsapss_sign(k, msg, sizeof(msg), sig, sizeof(sig), &slen));
	CHECK_EQ_INT(slen, 256);
	CHECK_OK(obol_rsapss_verify(pub, msg, sizeof(msg), sig, slen));
	CHECK_OK(obol_rsapss_verify(k, msg, sizeof(msg), sig, slen));

	/* PSS is randomised: two signatures differ, both verify. */
	REQUIRE_OK(obol_rsapss_sign(k, msg, sizeof(msg), sig2, sizeof(sig2), &slen2));
	CHECK(memcmp(sig, sig2, slen) != 0);
	CHECK_OK(obol_rsapss_verify(pub, msg, sizeof(msg), sig2, slen2));

	/* Any changed bit of the message fails. */
	for (size_t bit = 0; bit < sizeof(msg) * 8; bit++) {
		memcpy(m, msg, sizeof(msg));
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_ERR(obol_rsapss_verify(pub, m, sizeof(m), sig, slen), OBOL_E_SIGNATURE_INVALID);
	}
	/* Any changed bit of the signature fails (every bit of 2048). */
	for (size_t bit = 0; bit < slen * 8; bit++) {
		memcpy(sig2, sig, slen);
		sig2[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		obol_err e = obol_rsapss_verify(pub, msg, sizeof(msg), sig2, slen);
		if (e != OBOL_E_SIGNATURE_INVALID) {
			CHECK_ERR(e, OBOL_E_SIGNATURE_INVALID);
			break;
		}
	}
	/* Truncated, lengthened, empty message, other key. */
	CHECK_ERR(obol_rsapss_verify(pub, msg, sizeof(msg), sig, slen - 1), OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_rsapss_verify(pub, msg, sizeof(msg), sig, slen + 1), OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_rsapss_verify(pub, msg, 0, sig, slen), OBOL_E_SIGNATURE_INVALID);
	CHECK_ERR(obol_rsapss_verify(other, msg, sizeof(msg), sig, slen), OBOL_E_SIGNATURE_INVALID);

	/* A public key cannot sign; a short buffer is refused. */
	CHECK_ERR(obol_rsapss_sign(pub, msg, sizeof(msg), sig2, sizeof(sig2), &slen2), OBOL_E_KEY_INVALID);
	CHECK_ERR(obol_rsapss_sign(k, msg, sizeof(msg), sig2, 255, &slen2), OBOL_E_INVALID_ARGUMENT);

	/* An empty message signs and verifies too. */
	REQUIRE_OK(obol_rsapss_sign(k, NULL, 0, sig2, sizeof(sig2), &slen2));
	CHECK_OK(obol_rsapss_verify(pub, NULL, 0, sig2, slen2));

	OPENSSL_free(pder);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(pub);
}

TEST(rsa, pss_parameters_are_sha512_mgf1_sha512_salt64)
{
	/* Verifies our signature with an independently set-up OpenSSL context
	 * that pins the same parameters, and checks a different salt length
	 * does not verify, so the parameters are really the ones rsa.h names. */
	EVP_PKEY *k = NULL;
	uint8_t sig[OBOL_RSA_MAX_MODULUS];
	size_t slen = 0;

	REQUIRE_OK(obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &k));
	REQUIRE_OK(obol_rsapss_sign(k, msg, sizeof(msg), sig, sizeof(sig), &slen));

	for (int salt = 63; salt <= 64; salt++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		REQUIRE(md != NULL);
		REQUIRE(EVP_DigestVerifyInit(md, &pctx, EVP_sha512(), NULL, k) == 1);
		REQUIRE(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
		REQUIRE(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha512()) == 1);
		REQUIRE(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) == 1);
		int r = EVP_DigestVerify(md, sig, slen, msg, sizeof(msg));
		CHECK_EQ_INT(r == 1, salt == 64);
		EVP_MD_CTX_free(md);
	}
	EVP_PKEY_free(k);
}
