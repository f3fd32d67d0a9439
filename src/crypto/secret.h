/* Secret hygiene: wiping, constant-time comparison, secure randomness.
 * Every secret in obol is wiped through obol_wipe, compared through
 * obol_ct_equal, and drawn from obol_random (libsodium's randombytes_buf). */
#ifndef OBOL_CRYPTO_SECRET_H
#define OBOL_CRYPTO_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Initialises libsodium and OpenSSL once; safe to call from every entry point. */
OBOL_MUST_CHECK obol_err obol_crypto_init(void);

void obol_wipe(void *p, size_t n);
#define OBOL_WIPE(x) obol_wipe(&(x), sizeof(x))
/* Wipes the whole of a malloc'ed block (as the allocator sized it), then
 * frees it; NULL is ignored. For buffers whose length is no longer known
 * where they are freed (library callbacks). */
void obol_free_wiped(void *p);

/* Constant-time equality of two n-byte buffers. */
bool obol_ct_equal(const void *a, const void *b, size_t n);

void obol_random(void *out, size_t n);

#endif
