/* Fuzzes the RSA key parsers (src/crypto/rsa.c): any input is either a key
 * that re-encodes and parses back to the same key, or KEY_INVALID. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>

#include "crypto/rsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(EVP_PKEY *k, int private_key)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *again = NULL;
	obol_err err = private_key ? obol_rsa_private_to_der(k, &der, &len) : obol_rsa_public_to_der(k, &der, &len);
	if (err != OBOL_OK)
		abort();
	err = private_key ? obol_rsa_private_from_der(der, len, &again) : obol_rsa_public_from_der(der, len, &again);
	if (err != OBOL_OK || EVP_PKEY_eq(k, again) != 1)
		abort();
	if (obol_rsa_modulus_len(k) == 0 || obol_rsa_modulus_len(k) > OBOL_RSA_MAX_MODULUS)
		abort();
	EVP_PKEY_free(again);
	if (private_key)
		obol_rsa_der_free(der, len);
	else
		OPENSSL_free(der);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	EVP_PKEY *k = NULL;
	obol_err err = obol_rsa_public_from_der(data, size, &k);
	if (err == OBOL_OK)
		roundtrip(k, 0);
	else if (err != OBOL_E_KEY_INVALID || k != NULL)
		abort();
	EVP_PKEY_free(k);
	k = NULL;
	err = obol_rsa_private_from_der(data, size, &k);
	if (err == OBOL_OK)
		roundtrip(k, 1);
	else if (err != OBOL_E_KEY_INVALID || k != NULL)
		abort();
	EVP_PKEY_free(k);
	return 0;
}
