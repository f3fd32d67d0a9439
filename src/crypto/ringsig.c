/* Rivest–Shamir–Tauman ring signatures over RSA keys (seed 002 §4.1; Rivest,
 * Shamir, Tauman, "How to Leak a Secret", ASIACRYPT 2001, §3). See ringsig.h.
 *
 * Common domain: every value is B = (largest modulus bytes + 20) bytes, b =
 * 8B bits (160 bits of slack, so an extended permutation is the identity on
 * a fraction of at most 2^-160 of the domain). Member i's RSA permutation
 * f_i(r) = r^e_i mod n_i is extended to g_i over {0,1}^b (RST §3.1): write
 * x = q n_i + r with 0 <= r < n_i; g_i(x) = q n_i + f_i(r) when
 * (q + 1) n_i <= 2^b, else g_i(x) = x.
 *
 * Key (seed step 1): k = SHA-256("obol-ringsig-v1\0" || u32 r ||
 * (u32 len || n || u32 len || e) for each key in ring order, n and e in
 * minimal big-endian bytes || u64 len || message), so the ring, its order
 * and the message are all bound. (n, e) is the whole RSA public key, and
 * taking its bytes costs far less than encoding each key to DER.
 *
 * E_k is an 8-round Feistel network over the B bytes split into halves
 * L = the first floor(B/2) bytes and R = the rest; round j = 0..7 XORs into
 * one half SHAKE256("obol-ringsig-E-v2\0" || k || u16 B || u8 j || other
 * half), alternating R, L, R, L, ... RST's proof (§3.2) treats E_k as an
 * ideal cipher, and the signer inverts it. Luby–Rackoff's four rounds only
 * give a strong pseudorandom permutation, which is not that: a Feistel
 * network is indifferentiable from a random permutation (so it may stand
 * in for an ideal cipher in such a proof, Maurer–Renner–Holenstein 2004)
 * from 8 rounds on when its round functions are independent random
 * oracles: Dai and Steinberger, "Indifferentiability of 8-Round Feistel
 * Networks", CRYPTO 2016 (earlier: 14 rounds, Holenstein–Künzler–Tessaro,
 * STOC 2011; 10 rounds, Dachman-Soled–Katz–Thiruvengadam, EUROCRYPT 2016).
 * The round functions here are SHAKE256 kept apart by the round number, the
 * block size and k (the key of E_k); SHAKE256 is modelled as the random
 * oracle, as the rest of the scheme already does with k = H(...).
 *
 * The first version's 4-round cipher ("obol-ringsig-E-v1") is still
 * verified on request (obol_ringsig_verify_legacy) for what was signed
 * before; nothing signs with it.
 *
 * Ring equation (seed step 4): with c_0 = v and c_i = E_k(y_i XOR c_{i-1}),
 * the signature (v, x_1..x_r), y_i = g_i(x_i), verifies when c_r = v. The
 * signer s picks v and every x_i (i != s) at random, runs the chain forward
 * to c_{s-1} and backward from c_r = v to c_s, sets
 * y_s = E_k^{-1}(c_s) XOR c_{s-1} and x_s = g_s^{-1}(y_s) with its private
 * exponent (constant-time modular exponentiation). */
#include "crypto/ringsig.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/rsa.h"
#include "crypto/secret.h"

#define RING_SLACK 20 /* bytes: the 160 bits of RST §3.1 */
#define RING_B_MAX (OBOL_RSA_MAX_MODULUS + RING_SLACK)
#define RING_MIN_BITS 1024
#define FEISTEL_ROUNDS 8
#define FEISTEL_ROUNDS_LEGACY 4

static const char k_tag[] = "obol-ringsig-v1";  /* hashed with its NUL */
static const char e_tag[] = "obol-ringsig-E-v2";
static const char e_tag_legacy[] = "obol-ringsig-E-v1";

struct ring {
	size_t r, blen;            /* members; bytes of the common domain */
	BIGNUM *n[OBOL_RING_MAX];  /* moduli */
	BIGNUM *e[OBOL_RING_MAX];  /* public exponents */
	uint8_t k[32];
	unsigned rounds;           /* of E_k */
	BN_CTX *bn;
	EVP_MD *shake;
	EVP_MD_CTX *base;          /* SHAKE256 having absorbed e_tag || k || u16 B */
	EVP_MD_CTX *md;
	BIGNUM *x, *q, *rem, *t;   /* scratch for g */
};

size_t obol_ringsig_len(size_t r, size_t modulus_len)
{
	if (r < OBOL_RING_MIN || r > OBOL_RING_MAX || modulus_len == 0 || modulus_len > OBOL_RSA_MAX_MODULUS)
		return 0;
	return (r + 1) * (modulus_len + RING_SLACK);
}

static void ring_free(struct ring *g)
{
	for (size_t i = 0; i < g->r; i++) {
		BN_free(g->n[i]);
		BN_free(g->e[i]);
	}
	BN_free(g->x);
	BN_free(g->q);
	BN_free(g->rem);
	BN_free(g->t);
	BN_CTX_free(g->bn);
	EVP_MD_CTX_free(g->base);
	EVP_MD_CTX_free(g->md);
	EVP_MD_free(g->shake);
	OBOL_WIPE(g->k);
}

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* Absorbs u32 len || the minimal big-endian bytes of a (public, at most
 * OBOL_RSA_MAX_MODULUS bytes) number. */
static void hash_bn(crypto_hash_sha256_state *h, const BIGNUM *v)
{
	uint8_t len4[4], bytes[OBOL_RSA_MAX_MODULUS];
	size_t n = (size_t)BN_bn2bin(v, bytes);
	put_be(len4, n, 4);
	crypto_hash_sha256_update(h, len4, 4);
	crypto_hash_sha256_update(h, bytes, n);
}

/* Checks the ring's size and keys, reads n_i and e_i, sets the common
 * domain, and derives k. On failure g holds nothing to free beyond what
 * ring_free releases. */
static obol_err ring_load(struct ring *g, EVP_PKEY *const *ring, size_t r, const uint8_t *msg, size_t msg_len,
			  bool legacy)
{
	crypto_hash_sha256_state h;
	uint8_t len4[4], len8[8];
	size_t maxmod = 0;
	obol_err err;

	memset(g, 0, sizeof(*g));
	if (r < OBOL_RING_MIN || r > OBOL_RING_MAX)
		return OBOL_E_RING_SIZE;
	if (ring == NULL)
		return OBOL_E_INVALID_ARGUMENT;
	if ((err = obol_crypto_init()) != OBOL_OK)
		return err;
	g->bn = BN_CTX_new();
	g->md = EVP_MD_CTX_new();
	g->base = EVP_MD_CTX_new();
	g->x = BN_new();
	g->q = BN_new();
	g->rem = BN_new();
	g->t = BN_new();
	if (g->bn == NULL || g->md == NULL || g->base == NULL || g->x == NULL || g->q == NULL || g->rem == NULL || g->t == NULL)
		return OBOL_E_NO_MEMORY;

	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const uint8_t *)k_tag, sizeof(k_tag));
	put_be(len4, r, 4);
	crypto_hash_sha256_update(&h, len4, 4);
	for (size_t i = 0; i < r; i++) {
		EVP_PKEY *pk = ring[i];
		if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA || EVP_PKEY_get_bits(pk) < RING_MIN_BITS)
			return OBOL_E_KEY_INVALID;
		g->r = i + 1; /* so that ring_free releases n_i and e_i */
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &g->n[i]) != 1 ||
		    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &g->e[i]) != 1) {
			ERR_clear_error();
			return OBOL_E_KEY_INVALID;
		}
		/* f_i is a permutation only for an odd modulus and an odd
		 * exponent; e = 1 would let anyone answer for member i. */
		if (!BN_is_odd(g->n[i]) || !BN_is_odd(g->e[i]) || BN_num_bits(g->e[i]) < 2)
			return OBOL_E_KEY_INVALID;
		size_t mlen = (size_t)BN_num_bytes(g->n[i]);
		if (mlen > OBOL_RSA_MAX_MODULUS || (size_t)BN_num_bytes(g->e[i]) > OBOL_RSA_MAX_MODULUS)
			return OBOL_E_KEY_INVALID;
		if (mlen > maxmod)
			maxmod = mlen;
		hash_bn(&h, g->n[i]);
		hash_bn(&h, g->e[i]);
	}
	put_be(len8, msg_len, 8);
	crypto_hash_sha256_update(&h, len8, 8);
	if (msg_len > 0)
		crypto_hash_sha256_update(&h, msg, msg_len);
	crypto_hash_sha256_final(&h, g->k);
	g->blen = maxmod + RING_SLACK;
	g->rounds = legacy ? FEISTEL_ROUNDS_LEGACY : FEISTEL_ROUNDS;

	/* The round functions' common prefix, absorbed once per ring. */
	uint8_t blen2[2];
	const char *tag = legacy ? e_tag_legacy : e_tag;
	put_be(blen2, g->blen, 2);
	g->shake = EVP_MD_fetch(NULL, "SHAKE256", NULL);
	if (g->shake == NULL || EVP_DigestInit_ex(g->base, g->shake, NULL) != 1 ||
	    EVP_DigestUpdate(g->base, tag, strlen(tag) + 1) != 1 || EVP_DigestUpdate(g->base, g->k, 32) != 1 ||
	    EVP_DigestUpdate(g->base, blen2, 2) != 1)
		return OBOL_E_CRYPTO_LIBRARY;
	return OBOL_OK;
}

/* y = g_i(x) over B bytes, with exponent `exp` (e_i forward; d_i, marked
 * BN_FLG_CONSTTIME, for the inverse). Returns 0 on a library failure. */
static int ext_perm(struct ring *g, size_t i, const BIGNUM *exp, int secret, const uint8_t *in, uint8_t *out)
{
	const BIGNUM *n = g->n[i];
	int ok;

	if (BN_bin2bn(in, (int)g->blen, g->x) == NULL || BN_div(g->q, g->rem, g->x, n, g->bn) != 1)
		return 0;
	/* t = (q + 1) n = x - rem + n; since n is odd, t <= 2^b iff t < 2^b. */
	if (BN_sub(g->t, g->x, g->rem) != 1 || BN_add(g->t, g->t, n) != 1)
		return 0;
	if ((size_t)BN_num_bits(g->t) > 8 * g->blen) {
		memmove(out, in, g->blen);
		return 1;
	}
	if (BN_sub(g->t, g->x, g->rem) != 1)
		return 0;
	if (secret)
		ok = BN_mod_exp_mont_consttime(g->rem, g->rem, exp, n, g->bn, NULL);
	else
		ok = BN_mod_exp(g->rem, g->rem, exp, n, g->bn);
	if (ok != 1 || BN_add(g->t, g->t, g->rem) != 1)
		return 0;
	return BN_bn2binpad(g->t, out, (int)g->blen) == (int)g->blen;
}

/* dst ^= SHAKE256(e_tag || k || u16 B || round || src)[0..dlen). */
static int feistel_round(struct ring *g, unsigned round, const uint8_t *src, size_t slen, uint8_t *dst,
			 size_t dlen)
{
	uint8_t j = (uint8_t)round, pad[RING_B_MAX];

	if (EVP_MD_CTX_copy_ex(g->md, g->base) != 1 || EVP_DigestUpdate(g->md, &j, 1) != 1 ||
	    EVP_DigestUpdate(g->md, src, slen) != 1 || EVP_DigestFinalXOF(g->md, pad, dlen) != 1)
		return 0;
	for (size_t i = 0; i < dlen; i++)
		dst[i] ^= pad[i];
	return 1;
}

/* E_k (inverse = 0) or E_k^{-1} (inverse = 1), in place over B bytes. Each
 * round changes one half as a function of the other, so it is its own
 * inverse and E_k^{-1} runs the rounds in reverse order. */
static int ek(struct ring *g, uint8_t *buf, int inverse)
{
	size_t a = g->blen / 2, c = g->blen - a;
	uint8_t *left = buf, *right = buf + a;

	for (unsigned j = 0; j < g->rounds; j++) {
		unsigned round = inverse ? g->rounds - 1 - j : j;
		int ok = round % 2 == 0 ? feistel_round(g, round, left, a, right, c)
					: feistel_round(g, round, right, c, left, a);
		if (!ok)
			return 0;
	}
	return 1;
}

static void xor_into(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] ^= src[i];
}

obol_err obol_ringsig_sign(EVP_PKEY *const *ring, size_t r, size_t signer, EVP_PKEY *sk, const uint8_t *msg,
			   size_t msg_len, uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
	struct ring g;
	BIGNUM *d = NULL;
	uint8_t y[RING_B_MAX], fwd[RING_B_MAX], back[RING_B_MAX], check[RING_B_MAX];
	obol_err err;

	*sig_len = 0;
	if ((err = ring_load(&g, ring, r, msg, msg_len, false)) != OBOL_OK)
		goto out;
	size_t blen = g.blen, total = (r + 1) * blen;
	if (signer >= r || sig == NULL || sig_cap < total) {
		err = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	/* The private key must be the one at the signer's place in the ring. */
	if (sk == NULL || EVP_PKEY_eq(sk, ring[signer]) != 1 ||
	    EVP_PKEY_get_bn_param(sk, OSSL_PKEY_PARAM_RSA_D, &d) != 1) {
		err = OBOL_E_KEY_INVALID;
		goto out;
	}
	BN_set_flags(d, BN_FLG_CONSTTIME);
	err = OBOL_E_CRYPTO_LIBRARY;

	/* Glue value v and the other members' x_i, all uniform over B bytes. */
	obol_random(sig, blen);
	for (size_t i = 0; i < r; i++)
		if (i != signer)
			obol_random(sig + (i + 1) * blen, blen);

	/* Forward: fwd = c_{s-1}. */
	memcpy(fwd, sig, blen);
	for (size_t i = 0; i < signer; i++) {
		if (!ext_perm(&g, i, g.e[i], 0, sig + (i + 1) * blen, y))
			goto out;
		xor_into(fwd, y, blen);
		if (!ek(&g, fwd, 0))
			goto out;
	}
	/* Backward from c_r = v: back = c_s. */
	memcpy(back, sig, blen);
	for (size_t i = r; i-- > signer + 1;) {
		if (!ext_perm(&g, i, g.e[i], 0, sig + (i + 1) * blen, y) || !ek(&g, back, 1))
			goto out;
		xor_into(back, y, blen);
	}
	/* y_s = E_k^{-1}(c_s) XOR c_{s-1}; x_s = g_s^{-1}(y_s). */
	if (!ek(&g, back, 1))
		goto out;
	memcpy(y, back, blen);
	xor_into(y, fwd, blen);
	uint8_t *xs = sig + (signer + 1) * blen;
	if (!ext_perm(&g, signer, d, 1, y, xs))
		goto out;
	/* A fault in the private operation must not leave a bad signature
	 * (nor, with CRT, a factor of n): check g_s(x_s) = y_s. */
	if (!ext_perm(&g, signer, g.e[signer], 0, xs, check) || memcmp(check, y, blen) != 0) {
		err = OBOL_E_INTERNAL;
		goto out;
	}
	*sig_len = total;
	err = OBOL_OK;
out:
	if (err != OBOL_OK && sig != NULL && sig_cap > 0)
		obol_wipe(sig, sig_cap < g.blen * (r + 1) ? sig_cap : g.blen * (r + 1));
	BN_clear_free(d);
	obol_wipe(y, sizeof(y));
	obol_wipe(fwd, sizeof(fwd));
	obol_wipe(back, sizeof(back));
	obol_wipe(check, sizeof(check));
	ring_free(&g);
	ERR_clear_error();
	return err;
}

static obol_err ring_verify(EVP_PKEY *const *ring, size_t r, const uint8_t *msg, size_t msg_len,
			    const uint8_t *sig, size_t sig_len, bool legacy)
{
	struct ring g;
	uint8_t y[RING_B_MAX], c[RING_B_MAX];
	obol_err err;

	if ((err = ring_load(&g, ring, r, msg, msg_len, legacy)) != OBOL_OK)
		goto out;
	size_t blen = g.blen;
	if (sig == NULL || sig_len != (r + 1) * blen) {
		err = OBOL_E_RING_SIGNATURE_INVALID;
		goto out;
	}
	err = OBOL_E_CRYPTO_LIBRARY;
	memcpy(c, sig, blen);
	for (size_t i = 0; i < r; i++) {
		if (!ext_perm(&g, i, g.e[i], 0, sig + (i + 1) * blen, y))
			goto out;
		xor_into(c, y, blen);
		if (!ek(&g, c, 0))
			goto out;
	}
	err = memcmp(c, sig, blen) == 0 ? OBOL_OK : OBOL_E_RING_SIGNATURE_INVALID;
out:
	ring_free(&g);
	ERR_clear_error();
	return err;
}

obol_err obol_ringsig_verify(EVP_PKEY *const *ring, size_t r, const uint8_t *msg, size_t msg_len,
			     const uint8_t *sig, size_t sig_len)
{
	return ring_verify(ring, r, msg, msg_len, sig, sig_len, false);
}

obol_err obol_ringsig_verify_legacy(EVP_PKEY *const *ring, size_t r, const uint8_t *msg, size_t msg_len,
				    const uint8_t *sig, size_t sig_len)
{
	return ring_verify(ring, r, msg, msg_len, sig, sig_len, true);
}

void obol_ringsig_ek(const uint8_t k[static 32], uint8_t *buf, size_t blen)
{
	struct ring g;
	uint8_t blen2[2];
	memset(&g, 0, sizeof(g));
	memcpy(g.k, k, 32);
	g.blen = blen;
	g.rounds = FEISTEL_ROUNDS;
	put_be(blen2, blen, 2);
	g.md = EVP_MD_CTX_new();
	g.base = EVP_MD_CTX_new();
	g.shake = EVP_MD_fetch(NULL, "SHAKE256", NULL);
	if (g.md == NULL || g.base == NULL || g.shake == NULL || EVP_DigestInit_ex(g.base, g.shake, NULL) != 1 ||
	    EVP_DigestUpdate(g.base, e_tag, sizeof(e_tag)) != 1 || EVP_DigestUpdate(g.base, g.k, 32) != 1 ||
	    EVP_DigestUpdate(g.base, blen2, 2) != 1 || !ek(&g, buf, 0))
		memset(buf, 0, blen);
	ring_free(&g);
}
