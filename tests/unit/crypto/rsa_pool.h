/* Many distinct RSA-2048 test keys, fast.
 *
 * Generating an RSA-2048 key costs about 0.2 s (two 1024-bit primes), so 64
 * keys would cost over ten seconds. test_rsa_pool instead draws m primes and
 * builds a key from each pair of them: 12 primes give 66 distinct moduli for
 * the price of 6 key generations. Each key is a complete, consistent
 * RSA-2048 private key (e = 65537, CRT values set) that OpenSSL's checks
 * accept; the keys share factors, which is harmless for testing but makes
 * them worthless for anything else. */
#ifndef OBOL_TESTS_RSA_POOL_H
#define OBOL_TESTS_RSA_POOL_H

#include <openssl/evp.h>
#include <stddef.h>

/* Fills keys[0..n) (n <= 120) with distinct RSA-2048 private keys. Returns 0
 * on success; free each with EVP_PKEY_free. */
int test_rsa_pool(EVP_PKEY **keys, size_t n);

#endif
