/* Many distinct RSA-2048 keys quickly, for `obol bench ecash` rings (the
 * construction of tests/unit/crypto/rsa_pool.c): m random 1024-bit primes,
 * one key per pair of them, so 12 primes give 66 keys for the price of 6
 * key generations. Each key is a complete RSA-2048 key (e = 65537, CRT
 * values set); keys share factors, which does not change what a signature
 * or a verification costs, and makes them useless for anything but a bench. */
#ifndef OBOL_CLI_BENCH_KEYS_H
#define OBOL_CLI_BENCH_KEYS_H

#include <openssl/evp.h>
#include <stddef.h>

#include "core/error.h"

#define BENCH_KEYS_MAX 120

/* Fills keys[0..n) (n <= BENCH_KEYS_MAX); free each with EVP_PKEY_free. */
OBOL_MUST_CHECK obol_err bench_rsa_keys(EVP_PKEY **keys, size_t n);

#endif
