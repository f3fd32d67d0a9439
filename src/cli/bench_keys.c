/* Bench RSA keys from pairs of primes; see bench_keys.h. */
#include "cli/bench_keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#define POOL_MAX_PRIMES 17

/* A 1024-bit prime p with gcd(p - 1, 65537) = 1 (top two bits set, so a
 * product of two is exactly 2048 bits). */
static BIGNUM *pool_prime(BN_CTX *ctx, const BIGNUM *e)
{
	BIGNUM *p = BN_new(), *pm1 = BN_new(), *g = BN_new();
	int ok = 0;
	while (p != NULL && pm1 != NULL && g != NULL) {
		if (BN_generate_prime_ex2(p, 1024, 0, NULL, NULL, NULL, ctx) != 1 || BN_copy(pm1, p) == NULL ||
		    BN_sub_word(pm1, 1) != 1 || BN_gcd(g, pm1, e, ctx) != 1)
			break;
		if (BN_is_one(g)) {
			ok = 1;
			break;
		}
	}
	BN_free(pm1);
	BN_free(g);
	if (!ok) {
		BN_free(p);
		return NULL;
	}
	return p;
}

static EVP_PKEY *pool_key(const BIGNUM *p, const BIGNUM *q, const BIGNUM *e, BN_CTX *ctx)
{
	BIGNUM *n = BN_new(), *d = BN_new(), *pm1 = BN_new(), *qm1 = BN_new(), *phi = BN_new();
	BIGNUM *dp = BN_new(), *dq = BN_new(), *qinv = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *k = NULL;

	if (n == NULL || d == NULL || pm1 == NULL || qm1 == NULL || phi == NULL || dp == NULL || dq == NULL ||
	    qinv == NULL || bld == NULL)
		goto out;
	if (BN_mul(n, p, q, ctx) != 1 || BN_sub(pm1, p, BN_value_one()) != 1 ||
	    BN_sub(qm1, q, BN_value_one()) != 1 || BN_mul(phi, pm1, qm1, ctx) != 1 ||
	    BN_mod_inverse(d, e, phi, ctx) == NULL || BN_mod(dp, d, pm1, ctx) != 1 ||
	    BN_mod(dq, d, qm1, ctx) != 1 || BN_mod_inverse(qinv, q, p, ctx) == NULL)
		goto out;
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv) != 1)
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || pctx == NULL || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &k, EVP_PKEY_KEYPAIR, params) != 1)
		k = NULL;
out:
	EVP_PKEY_CTX_free(pctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_clear_free(d);
	BN_free(pm1);
	BN_free(qm1);
	BN_clear_free(phi);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qinv);
	return k;
}

obol_err bench_rsa_keys(EVP_PKEY **keys, size_t n)
{
	BIGNUM *primes[POOL_MAX_PRIMES] = { 0 };
	BIGNUM *e = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	size_t m = 2, made = 0;
	obol_err rc = OBOL_E_CRYPTO_LIBRARY;

	while (m * (m - 1) / 2 < n)
		m++;
	if (n > BENCH_KEYS_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	if (e == NULL || ctx == NULL || m > POOL_MAX_PRIMES || BN_set_word(e, RSA_F4) != 1)
		goto out;
	for (size_t i = 0; i < m; i++)
		if ((primes[i] = pool_prime(ctx, e)) == NULL)
			goto out;
	for (size_t i = 0; i < m && made < n; i++)
		for (size_t j = i + 1; j < m && made < n; j++) {
			/* p > q by convention, so that qinv is q^-1 mod p. */
			int cmp = BN_cmp(primes[i], primes[j]);
			const BIGNUM *p = cmp > 0 ? primes[i] : primes[j], *q = cmp > 0 ? primes[j] : primes[i];
			if ((keys[made] = pool_key(p, q, e, ctx)) == NULL)
				goto out;
			made++;
		}
	rc = OBOL_OK;
out:
	if (rc != OBOL_OK)
		while (made > 0)
			EVP_PKEY_free(keys[--made]);
	for (size_t i = 0; i < POOL_MAX_PRIMES; i++)
		BN_clear_free(primes[i]);
	BN_free(e);
	BN_CTX_free(ctx);
	return rc;
}
