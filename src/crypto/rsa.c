/* RSA keys and RSASSA-PSS (RFC 8017 §8.1) with SHA-512, MGF1-SHA-512 and a
 * 64-byte salt, through OpenSSL 3's EVP interface. See rsa.h. */
#include "crypto/rsa.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "crypto/secret.h"

#define PSS_SALT_LEN 64
#define RSA_MIN_BITS 1024
#define RSA_MAX_BITS (OBOL_RSA_MAX_MODULUS * 8)

/* Whether k is an RSA key whose modulus obol can handle. */
static int rsa_key_ok(EVP_PKEY *k)
{
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA)
		return 0;
	int bits = EVP_PKEY_get_bits(k);
	return bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS;
}

obol_err obol_rsa_generate(unsigned bits, EVP_PKEY **out)
{
	obol_err err = OBOL_E_CRYPTO_LIBRARY;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;

	*out = NULL;
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || bits % 8 != 0)
		return OBOL_E_INVALID_ARGUMENT;
	if (obol_crypto_init() != OBOL_OK)
		return OBOL_E_CRYPTO_INIT;
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) != 1)
		goto out;
	/* OpenSSL's default public exponent is 65537 (RSA_F4). */
	if (EVP_PKEY_keygen(ctx, &k) != 1)
		goto out;
	*out = k;
	k = NULL;
	err = OBOL_OK;
out:
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return err;
}

obol_err obol_rsa_public_to_der(EVP_PKEY *k, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	*der = NULL;
	*len = 0;
	if (!rsa_key_ok(k))
		return OBOL_E_KEY_INVALID;
	int n = i2d_PUBKEY(k, &buf);
	if (n <= 0) {
		ERR_clear_error();
		return OBOL_E_CRYPTO_LIBRARY;
	}
	*der = buf;
	*len = (size_t)n;
	return OBOL_OK;
}

obol_err obol_rsa_public_from_der(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	EVP_PKEY *k;

	*out = NULL;
	if (der == NULL || len == 0 || len > OBOL_RSA_MAX_DER)
		return OBOL_E_KEY_INVALID;
	if (obol_crypto_init() != OBOL_OK)
		return OBOL_E_CRYPTO_INIT;
	k = d2i_PUBKEY(NULL, &p, (long)len);
	ERR_clear_error();
	/* The whole buffer must be the key: trailing bytes would let two
	 * encodings name one key and so give it two ids. */
	if (k == NULL || p != der + len || !rsa_key_ok(k)) {
		EVP_PKEY_free(k);
		return OBOL_E_KEY_INVALID;
	}
	*out = k;
	return OBOL_OK;
}

obol_err obol_rsa_private_to_der(EVP_PKEY *k, uint8_t **der, size_t *len)
{
	unsigned char *buf = NULL;
	*der = NULL;
	*len = 0;
	if (!rsa_key_ok(k))
		return OBOL_E_KEY_INVALID;
	/* i2d_PrivateKey writes PKCS#8 PrivateKeyInfo for provider keys; ask
	 * for it explicitly through the PKCS8 structure to be sure. */
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
	if (p8 == NULL) {
		ERR_clear_error();
		return OBOL_E_KEY_INVALID;
	}
	int n = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (n <= 0) {
		ERR_clear_error();
		return OBOL_E_CRYPTO_LIBRARY;
	}
	*der = buf;
	*len = (size_t)n;
	return OBOL_OK;
}

obol_err obol_rsa_private_from_der(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *k = NULL;
	obol_err err = OBOL_E_KEY_INVALID;

	*out = NULL;
	if (der == NULL || len == 0 || len > OBOL_RSA_MAX_DER)
		return OBOL_E_KEY_INVALID;
	if (obol_crypto_init() != OBOL_OK)
		return OBOL_E_CRYPTO_INIT;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	if (p8 == NULL || p != der + len)
		goto out;
	k = EVP_PKCS82PKEY(p8);
	if (k == NULL || !rsa_key_ok(k))
		goto out;
	/* A private key whose parts do not agree (e.g. a changed byte of d or
	 * of a CRT value) must not be used: it would sign wrongly or leak. */
	EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new(k, NULL);
	int ok = chk != NULL && EVP_PKEY_private_check(chk) == 1 && EVP_PKEY_pairwise_check(chk) == 1;
	EVP_PKEY_CTX_free(chk);
	if (!ok)
		goto out;
	*out = k;
	k = NULL;
	err = OBOL_OK;
out:
	EVP_PKEY_free(k);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return err;
}

void obol_rsa_der_free(uint8_t *der, size_t len)
{
	if (der != NULL)
		OPENSSL_clear_free(der, len);
}

size_t obol_rsa_modulus_len(EVP_PKEY *k)
{
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA)
		return 0;
	int n = EVP_PKEY_get_size(k);
	return n > 0 ? (size_t)n : 0;
}

obol_err obol_rsa_key_id(EVP_PKEY *k, uint8_t id[32])
{
	uint8_t *der = NULL;
	size_t len = 0;
	obol_err err = obol_rsa_public_to_der(k, &der, &len);
	if (err != OBOL_OK)
		return err;
	crypto_hash_sha256(id, der, len);
	OPENSSL_free(der);
	return OBOL_OK;
}

/* Sets the PSS parameters of rsa.h on a signing or verifying context. */
static int pss_params(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha512()) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) == 1;
}

obol_err obol_rsapss_sign(EVP_PKEY *sk, const uint8_t *msg, size_t len, uint8_t *sig, size_t sig_cap,
			  size_t *sig_len)
{
	uint8_t digest[OBOL_RSAPSS_DIGEST_LEN];
	*sig_len = 0;
	if (EVP_Digest(msg, len, digest, NULL, EVP_sha512(), NULL) != 1) {
		ERR_clear_error();
		return OBOL_E_CRYPTO_LIBRARY;
	}
	return obol_rsapss_sign_digest(sk, digest, sig, sig_cap, sig_len);
}

obol_err obol_rsapss_sign_digest(EVP_PKEY *sk, const uint8_t digest[static OBOL_RSAPSS_DIGEST_LEN], uint8_t *sig,
				 size_t sig_cap, size_t *sig_len)
{
	obol_err err = OBOL_E_CRYPTO_LIBRARY;
	EVP_PKEY_CTX *pctx = NULL;
	size_t n;

	*sig_len = 0;
	if (!rsa_key_ok(sk))
		return OBOL_E_KEY_INVALID;
	n = obol_rsa_modulus_len(sk);
	if (sig_cap < n)
		return OBOL_E_INVALID_ARGUMENT;
	pctx = EVP_PKEY_CTX_new(sk, NULL);
	if (pctx == NULL || EVP_PKEY_sign_init(pctx) != 1 || EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha512()) != 1 ||
	    !pss_params(pctx))
		goto out;
	if (EVP_PKEY_sign(pctx, sig, &n, digest, OBOL_RSAPSS_DIGEST_LEN) != 1) {
		err = OBOL_E_KEY_INVALID;
		goto out;
	}
	*sig_len = n;
	err = OBOL_OK;
out:
	EVP_PKEY_CTX_free(pctx);
	ERR_clear_error();
	return err;
}

obol_err obol_rsapss_verify(EVP_PKEY *pk, const uint8_t *msg, size_t len, const uint8_t *sig,
			    size_t sig_len)
{
	obol_err err = OBOL_E_CRYPTO_LIBRARY;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;

	if (!rsa_key_ok(pk))
		return OBOL_E_KEY_INVALID;
	if (sig == NULL || sig_len != obol_rsa_modulus_len(pk))
		return OBOL_E_SIGNATURE_INVALID;
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestVerifyInit(md, &pctx, EVP_sha512(), NULL, pk) != 1 ||
	    !pss_params(pctx))
		goto out;
	/* 1 verifies; 0 or a negative value (malformed signature) does not. */
	err = EVP_DigestVerify(md, sig, sig_len, msg, len) == 1 ? OBOL_OK : OBOL_E_SIGNATURE_INVALID;
out:
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return err;
}
