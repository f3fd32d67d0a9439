/* RFC 9474 RSA blind signatures with OpenSSL 3; see blindrsa.h.
 *
 * §4.1 Prepare, §4.2 Blind, §4.3 BlindSign, §4.4 Finalize, §4.5 Verify, with
 * EMSA-PSS-ENCODE from RFC 8017 §9.1.1 (SHA-384, MGF1-SHA-384) written here
 * because the salt must be injectable for the Appendix A vectors. Numbers are
 * OpenSSL BIGNUMs; the private operation is OpenSSL's RSA with no padding
 * (CRT, its own blinding), the verification OpenSSL's RSASSA-PSS. */
#include "crypto/blindrsa.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <string.h>

#include "crypto/secret.h"

#define HLEN 48 /* SHA-384 */
#define MIN_BITS 1024
#define MAX_BITS (OBOL_BLINDRSA_MAX_MODULUS * 8)

static struct {
	bool r_set, salt_set;
	uint8_t r[OBOL_BLINDRSA_MAX_MODULUS];
	size_t r_len;
	uint8_t salt[OBOL_BLINDRSA_SALT_LEN];
	size_t salt_len;
} inject;

void obol_blindrsa_test_inject(const uint8_t *r, size_t r_len, const uint8_t *salt, size_t salt_len)
{
	obol_wipe(&inject, sizeof(inject));
	if (r != NULL && r_len <= sizeof(inject.r)) {
		memcpy(inject.r, r, r_len);
		inject.r_len = r_len;
		inject.r_set = true;
	}
	if (salt != NULL && salt_len <= sizeof(inject.salt)) {
		memcpy(inject.salt, salt, salt_len);
		inject.salt_len = salt_len;
		inject.salt_set = true;
	}
}

size_t obol_blindrsa_salt_len(enum obol_blindrsa_variant v)
{
	return v == OBOL_BLINDRSA_PSS_RANDOMIZED || v == OBOL_BLINDRSA_PSS_DETERMINISTIC
		       ? OBOL_BLINDRSA_SALT_LEN
		       : 0;
}

/* n (and e when e is not NULL) of an RSA key of MIN_BITS..MAX_BITS bits.
 * Each copy out of the key costs microseconds, so callers ask only for what
 * they use. */
static obol_err key_params(EVP_PKEY *k, BIGNUM **n, BIGNUM **e, size_t *modlen)
{
	*n = NULL;
	if (e != NULL)
		*e = NULL;
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || EVP_PKEY_get_bits(k) < MIN_BITS ||
	    EVP_PKEY_get_bits(k) > MAX_BITS)
		return OBOL_E_KEY_INVALID;
	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    (e != NULL && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, e) != 1)) {
		BN_free(*n);
		*n = NULL;
		if (e != NULL) {
			BN_free(*e);
			*e = NULL;
		}
		ERR_clear_error();
		return OBOL_E_KEY_INVALID;
	}
	*modlen = (size_t)BN_num_bytes(*n);
	return OBOL_OK;
}

static obol_err sha384(uint8_t out[HLEN], const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		       const uint8_t *c, size_t clen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	obol_err e = OBOL_E_CRYPTO_LIBRARY;
	if (md == NULL)
		return OBOL_E_NO_MEMORY;
	if (EVP_DigestInit_ex(md, EVP_sha384(), NULL) == 1 && EVP_DigestUpdate(md, a, alen) == 1 &&
	    EVP_DigestUpdate(md, b, blen) == 1 && EVP_DigestUpdate(md, c, clen) == 1 &&
	    EVP_DigestFinal_ex(md, out, NULL) == 1)
		e = OBOL_OK;
	EVP_MD_CTX_free(md);
	return e;
}

/* XORs MGF1-SHA-384(seed, len) into buf (RFC 8017 appendix B.2.1). */
static obol_err mgf1_xor(uint8_t *buf, size_t len, const uint8_t seed[HLEN])
{
	uint8_t block[HLEN];
	obol_err e = OBOL_OK;
	for (uint32_t counter = 0; len > 0 && e == OBOL_OK; counter++) {
		uint8_t c[4] = { (uint8_t)(counter >> 24), (uint8_t)(counter >> 16), (uint8_t)(counter >> 8),
				 (uint8_t)counter };
		e = sha384(block, seed, HLEN, c, 4, NULL, 0);
		size_t take = len < HLEN ? len : HLEN;
		for (size_t i = 0; i < take; i++)
			buf[i] ^= block[i];
		buf += take;
		len -= take;
	}
	obol_wipe(block, sizeof(block));
	return e;
}

/* EMSA-PSS-ENCODE (RFC 8017 §9.1.1) of msg into em (emlen = ceil(embits/8)). */
static obol_err emsa_pss_encode(const uint8_t *msg, size_t len, size_t embits, const uint8_t *salt,
				size_t slen, uint8_t *em, size_t emlen)
{
	static const uint8_t zeros[8] = { 0 };
	uint8_t mhash[HLEN], mprime_salt[HLEN];
	obol_err e;

	if (emlen < HLEN + slen + 2)
		return OBOL_E_BLIND_MESSAGE_TOO_LONG;
	if ((e = sha384(mhash, msg, len, NULL, 0, NULL, 0)) != OBOL_OK)
		goto out;
	/* H = Hash(0x00*8 || mHash || salt) */
	uint8_t *h = em + emlen - HLEN - 1;
	if ((e = sha384(mprime_salt, zeros, sizeof(zeros), mhash, HLEN, salt, slen)) != OBOL_OK)
		goto out;
	memcpy(h, mprime_salt, HLEN);
	/* DB = PS || 0x01 || salt, masked with MGF1(H) */
	size_t dblen = emlen - HLEN - 1;
	memset(em, 0, dblen - slen - 1);
	em[dblen - slen - 1] = 0x01;
	if (slen > 0)
		memcpy(em + dblen - slen, salt, slen);
	if ((e = mgf1_xor(em, dblen, h)) != OBOL_OK)
		goto out;
	em[0] &= (uint8_t)(0xff >> (8 * emlen - embits));
	em[emlen - 1] = 0xbc;
out:
	obol_wipe(mhash, sizeof(mhash));
	obol_wipe(mprime_salt, sizeof(mprime_salt));
	return e;
}

/* A uniform r in [1, n), from obol_random (or the injected one). */
static obol_err draw_r(BIGNUM *r, const BIGNUM *n, size_t modlen)
{
	uint8_t buf[OBOL_BLINDRSA_MAX_MODULUS];
	int bits = BN_num_bits(n);
	obol_err e = OBOL_E_CRYPTO_LIBRARY;

	if (inject.r_set) {
		if (BN_bin2bn(inject.r, (int)inject.r_len, r) == NULL)
			goto out;
		e = BN_is_zero(r) || BN_cmp(r, n) >= 0 ? OBOL_E_BLIND_INPUT_INVALID : OBOL_OK;
		goto out;
	}
	for (;;) {
		obol_random(buf, modlen);
		if (bits % 8 != 0)
			buf[0] &= (uint8_t)(0xff >> (8 - bits % 8));
		if (BN_bin2bn(buf, (int)modlen, r) == NULL)
			goto out;
		if (!BN_is_zero(r) && BN_cmp(r, n) < 0)
			break;
	}
	e = OBOL_OK;
out:
	obol_wipe(buf, sizeof(buf));
	return e;
}

obol_err obol_blindrsa_prepare(enum obol_blindrsa_variant v, const uint8_t *msg, size_t msg_len,
			       uint8_t *out, size_t out_cap, size_t *out_len)
{
	size_t prefix = v == OBOL_BLINDRSA_PSS_RANDOMIZED || v == OBOL_BLINDRSA_PSSZERO_RANDOMIZED
				? OBOL_BLINDRSA_PREFIX_LEN
				: 0;
	if (msg_len > OBOL_BLINDRSA_MAX_MSG || msg_len + prefix > out_cap)
		return OBOL_E_BLIND_MESSAGE_TOO_LONG;
	memmove(out + prefix, msg, msg_len);
	obol_random(out, prefix);
	*out_len = prefix + msg_len;
	return OBOL_OK;
}

obol_err obol_blindrsa_blind(EVP_PKEY *pk, const uint8_t *prepared, size_t prepared_len, uint8_t *blinded,
			     size_t blinded_cap, size_t *blinded_len, struct obol_blindrsa_state *st)
{
	return obol_blindrsa_blind_salt(pk, OBOL_BLINDRSA_SALT_LEN, prepared, prepared_len, blinded,
					blinded_cap, blinded_len, st);
}

obol_err obol_blindrsa_blind_salt(EVP_PKEY *pk, size_t salt_len, const uint8_t *prepared, size_t prepared_len,
				  uint8_t *blinded, size_t blinded_cap, size_t *blinded_len,
				  struct obol_blindrsa_state *st)
{
	BN_CTX *bn = NULL;
	BIGNUM *n = NULL, *e_ = NULL, *m = NULL, *r = NULL, *inv = NULL, *x = NULL, *g = NULL, *mr = NULL, *w = NULL;
	uint8_t em[OBOL_BLINDRSA_MAX_MODULUS], salt[OBOL_BLINDRSA_SALT_LEN];
	size_t modlen = 0;
	obol_err e;

	memset(st, 0, sizeof(*st));
	if ((e = key_params(pk, &n, &e_, &modlen)) != OBOL_OK)
		goto out;
	e = OBOL_E_INVALID_ARGUMENT;
	if (salt_len > OBOL_BLINDRSA_SALT_LEN || blinded_cap < modlen)
		goto out;
	e = OBOL_E_BLIND_MESSAGE_TOO_LONG;
	if (prepared_len > sizeof(st->prepared))
		goto out;

	/* 1. encoded_msg = EMSA-PSS-ENCODE(msg, bit_len(n) - 1) */
	if (inject.salt_set && inject.salt_len == salt_len)
		memcpy(salt, inject.salt, salt_len);
	else
		obol_random(salt, salt_len);
	size_t embits = (size_t)BN_num_bits(n) - 1, emlen = (embits + 7) / 8;
	if ((e = emsa_pss_encode(prepared, prepared_len, embits, salt, salt_len, em, emlen)) != OBOL_OK)
		goto out;

	e = OBOL_E_NO_MEMORY;
	if ((bn = BN_CTX_secure_new()) == NULL || (m = BN_secure_new()) == NULL ||
	    (r = BN_secure_new()) == NULL || (x = BN_secure_new()) == NULL || (g = BN_new()) == NULL ||
	    (mr = BN_secure_new()) == NULL || (inv = BN_secure_new()) == NULL)
		goto out;
	BN_set_flags(r, BN_FLG_CONSTTIME);
	BN_set_flags(mr, BN_FLG_CONSTTIME);
	e = OBOL_E_CRYPTO_LIBRARY;
	/* 2. m = bytes_to_int(encoded_msg) */
	if (BN_bin2bn(em, (int)emlen, m) == NULL)
		goto out;
	/* 3-5. m must be coprime with n; r uniform in [1, n); inv = r^-1 mod n.
	 * m and r are both invertible exactly when m*r is, so one inversion
	 * w = (m*r)^-1 checks both and gives inv = m*w (a gcd and an inverse
	 * cost about the same; this saves the gcd). Only when it fails does
	 * gcd(m, n) tell step 3's refusal from a bad r. */
	for (int tries = 0;; tries++) {
		if ((e = draw_r(r, n, modlen)) != OBOL_OK)
			goto out;
		e = OBOL_E_CRYPTO_LIBRARY;
		if (BN_mod_mul(mr, m, r, n, bn) != 1)
			goto out;
		if ((w = BN_mod_inverse(NULL, mr, n, bn)) != NULL)
			break;
		ERR_clear_error();
		if (BN_gcd(g, m, n, bn) != 1)
			goto out;
		e = OBOL_E_BLIND_INPUT_INVALID;
		if (!BN_is_one(g))
			goto out; /* step 3: m not coprime with n */
		if (inject.r_set || tries >= 8)
			goto out; /* §4.2 "blinding error" */
	}
	e = OBOL_E_CRYPTO_LIBRARY;
	if (BN_mod_mul(inv, m, w, n, bn) != 1)
		goto out;
	/* 6-7. x = m * r^e mod n */
	e = OBOL_E_CRYPTO_LIBRARY;
	if (BN_mod_exp(x, r, e_, n, bn) != 1 || BN_mod_mul(x, m, x, n, bn) != 1)
		goto out;
	/* 8. blinded_msg = int_to_bytes(x, modulus_len) */
	if (BN_bn2binpad(x, blinded, (int)modlen) != (int)modlen ||
	    BN_bn2binpad(inv, st->inv, (int)modlen) != (int)modlen)
		goto out;
	st->modulus_len = modlen;
	memcpy(st->prepared, prepared, prepared_len);
	st->prepared_len = prepared_len;
	st->salt_len = salt_len;
	*blinded_len = modlen;
	e = OBOL_OK;
out:
	if (e != OBOL_OK) {
		obol_blindrsa_state_wipe(st);
		ERR_clear_error();
	}
	obol_wipe(em, sizeof(em));
	obol_wipe(salt, sizeof(salt));
	BN_clear_free(m);
	BN_clear_free(r);
	BN_clear_free(inv);
	BN_clear_free(x);
	BN_clear_free(mr);
	BN_clear_free(w);
	BN_free(g);
	BN_free(n);
	BN_free(e_);
	BN_CTX_free(bn);
	return e;
}

obol_err obol_blindrsa_blind_sign(EVP_PKEY *sk, const uint8_t *blinded, size_t blinded_len,
				  uint8_t *blind_sig, size_t sig_cap, size_t *sig_len)
{
	EVP_PKEY_CTX *ctx = NULL;
	BN_CTX *bn = NULL;
	BIGNUM *n = NULL, *e_ = NULL, *m = NULL, *s = NULL, *check = NULL;
	uint8_t out[OBOL_BLINDRSA_MAX_MODULUS];
	size_t modlen = 0, outlen = sizeof(out);
	obol_err e;

	if ((e = key_params(sk, &n, &e_, &modlen)) != OBOL_OK)
		goto out;
	e = OBOL_E_INVALID_ARGUMENT;
	if (sig_cap < modlen)
		goto out;
	e = OBOL_E_NO_MEMORY;
	if ((bn = BN_CTX_new()) == NULL || (m = BN_new()) == NULL || (s = BN_new()) == NULL ||
	    (check = BN_new()) == NULL)
		goto out;
	/* 1-2. the blinded message is modulus_len bytes and a number below n
	 * (RSASP1's "message representative out of range") */
	e = OBOL_E_BLIND_INPUT_INVALID;
	if (blinded_len != modlen)
		goto out;
	if (BN_bin2bn(blinded, (int)blinded_len, m) == NULL || BN_cmp(m, n) >= 0)
		goto out;
	/* 3. s = RSASP1(sk, m) */
	e = OBOL_E_KEY_INVALID;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sk, NULL)) == NULL || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_sign(ctx, out, &outlen, blinded, blinded_len) != 1 || outlen != modlen)
		goto out;
	/* 4. m' = RSAVP1(pk, s); m' must equal m, else "signing failure" */
	e = OBOL_E_CRYPTO_LIBRARY;
	if (BN_bin2bn(out, (int)outlen, s) == NULL || BN_mod_exp(check, s, e_, n, bn) != 1)
		goto out;
	e = OBOL_E_BLIND_SIGN_FAULT;
	if (BN_cmp(check, m) != 0)
		goto out;
	/* 5. blind_sig = int_to_bytes(s, modulus_len) */
	memcpy(blind_sig, out, modlen);
	*sig_len = modlen;
	e = OBOL_OK;
out:
	if (e != OBOL_OK)
		ERR_clear_error();
	obol_wipe(out, sizeof(out));
	EVP_PKEY_CTX_free(ctx);
	BN_free(m);
	BN_clear_free(s);
	BN_free(check);
	BN_free(n);
	BN_free(e_);
	BN_CTX_free(bn);
	return e;
}

obol_err obol_blindrsa_finalize(EVP_PKEY *pk, const struct obol_blindrsa_state *st, const uint8_t *blind_sig,
				size_t blind_sig_len, uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
	BN_CTX *bn = NULL;
	BIGNUM *n = NULL, *z = NULL, *inv = NULL, *s = NULL;
	uint8_t out[OBOL_BLINDRSA_MAX_MODULUS];
	size_t modlen = 0;
	obol_err e;

	if ((e = key_params(pk, &n, NULL, &modlen)) != OBOL_OK)
		goto out;
	e = OBOL_E_INVALID_ARGUMENT;
	if (sig_cap < modlen || st->modulus_len != modlen || st->prepared_len > sizeof(st->prepared))
		goto out;
	e = OBOL_E_NO_MEMORY;
	if ((bn = BN_CTX_secure_new()) == NULL || (z = BN_new()) == NULL || (inv = BN_secure_new()) == NULL ||
	    (s = BN_new()) == NULL)
		goto out;
	/* 1-2. z = bytes_to_int(blind_sig), of modulus_len bytes and below n */
	e = OBOL_E_BLIND_SIGNATURE_INVALID;
	if (blind_sig_len != modlen || BN_bin2bn(blind_sig, (int)blind_sig_len, z) == NULL ||
	    BN_cmp(z, n) >= 0)
		goto out;
	/* 3-4. s = z * inv mod n; sig = int_to_bytes(s, modulus_len) */
	e = OBOL_E_CRYPTO_LIBRARY;
	if (BN_bin2bn(st->inv, (int)modlen, inv) == NULL || BN_mod_mul(s, z, inv, n, bn) != 1 ||
	    BN_bn2binpad(s, out, (int)modlen) != (int)modlen)
		goto out;
	/* 5. RSASSA-PSS-VERIFY(pk, msg, sig) */
	e = obol_blindrsa_verify_salt(pk, st->salt_len, st->prepared, st->prepared_len, out, modlen);
	if (e == OBOL_E_SIGNATURE_INVALID)
		e = OBOL_E_BLIND_SIGNATURE_INVALID;
	if (e != OBOL_OK)
		goto out;
	memcpy(sig, out, modlen);
	*sig_len = modlen;
out:
	if (e != OBOL_OK)
		ERR_clear_error();
	obol_wipe(out, sizeof(out));
	BN_free(z);
	BN_clear_free(inv);
	BN_free(s);
	BN_free(n);
	BN_CTX_free(bn);
	return e;
}

obol_err obol_blindrsa_verify(EVP_PKEY *pk, const uint8_t *prepared, size_t prepared_len, const uint8_t *sig,
			      size_t sig_len)
{
	return obol_blindrsa_verify_salt(pk, OBOL_BLINDRSA_SALT_LEN, prepared, prepared_len, sig, sig_len);
}

obol_err obol_blindrsa_verify_salt(EVP_PKEY *pk, size_t salt_len, const uint8_t *prepared, size_t prepared_len,
				   const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL; /* owned by md */
	obol_err e = OBOL_E_KEY_INVALID;

	/* the key's type and size, without copying n and e out of it */
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pk) < MIN_BITS ||
	    EVP_PKEY_get_bits(pk) > MAX_BITS)
		goto out;
	size_t modlen = (size_t)EVP_PKEY_get_size(pk);
	e = OBOL_E_INVALID_ARGUMENT;
	if (salt_len > OBOL_BLINDRSA_SALT_LEN)
		goto out;
	e = OBOL_E_SIGNATURE_INVALID;
	if (sig_len != modlen)
		goto out;
	e = OBOL_E_NO_MEMORY;
	if ((md = EVP_MD_CTX_new()) == NULL)
		goto out;
	e = OBOL_E_CRYPTO_LIBRARY;
	if (EVP_DigestVerifyInit(md, &pctx, EVP_sha384(), NULL, pk) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)salt_len) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) != 1)
		goto out;
	e = EVP_DigestVerify(md, sig, sig_len, prepared, prepared_len) == 1 ? OBOL_OK : OBOL_E_SIGNATURE_INVALID;
out:
	if (e != OBOL_OK)
		ERR_clear_error();
	EVP_MD_CTX_free(md);
	return e;
}

void obol_blindrsa_state_wipe(struct obol_blindrsa_state *st)
{
	obol_wipe(st, sizeof(*st));
}
