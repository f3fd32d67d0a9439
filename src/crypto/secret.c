/* Secret hygiene; see secret.h. */
#include "crypto/secret.h"

#include <malloc.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <sodium.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = -1;

static void crypto_init_once(void)
{
	init_result = sodium_init() < 0 ? -1 : 0;
	if (init_result == 0 && OPENSSL_init_crypto(0, NULL) != 1)
		init_result = -1;
}

obol_err obol_crypto_init(void)
{
	pthread_once(&init_once, crypto_init_once);
	return init_result == 0 ? OBOL_OK : OBOL_E_CRYPTO_INIT;
}

void obol_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

void obol_free_wiped(void *p)
{
	if (p != NULL) {
		sodium_memzero(p, malloc_usable_size(p));
		free(p);
	}
}

bool obol_ct_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void obol_random(void *out, size_t n)
{
	randombytes_buf(out, n);
}
