/* Many distinct RSA-2048 keys quickly, for `obol bench ecash` rings and the
 * tests (obol-test links this file too): generating an RSA-2048 key costs
 * about 0.2 s, so instead m random 1024-bit primes are drawn and one key is
 * built per pair of them: 12 primes give 66 keys for the price of 6 key
 * generations. Each key is a complete RSA-2048 key (e = 65537, CRT values
 * set) that OpenSSL's checks accept; keys share factors, which does not
 * change what a signature or a verification costs, and makes them useless
 * for anything but a bench or a test. */
#ifndef OBOL_CLI_BENCH_KEYS_H
#define OBOL_CLI_BENCH_KEYS_H

#include <openssl/evp.h>
#include <stddef.h>

#include "core/error.h"

#define BENCH_KEYS_MAX 120

/* Fills keys[0..n) (n <= BENCH_KEYS_MAX); free each with EVP_PKEY_free. */
OBOL_MUST_CHECK obol_err bench_rsa_keys(EVP_PKEY **keys, size_t n);

#endif
