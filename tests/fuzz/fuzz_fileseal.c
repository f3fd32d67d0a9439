/* Fuzzes the sealed-file reader (src/crypto/seal.c): any input is refused
 * with SEAL_FORMAT or DECRYPT_FAILED, never opened, under a fixed key file
 * key; a valid header's KDF parameters always lie within the documented
 * bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obol_filekey k;
	uint8_t raw[OBOL_FILEKEY_LEN], salt[16], *out = NULL;
	size_t out_len = 0;
	int from_pass = -1;
	uint32_t ops = 0, mem = 0;

	memset(raw, 0x42, sizeof(raw));
	obol_filekey_from_bytes(&k, raw);
	obol_err err = obol_fileseal_header(data, size, &from_pass, salt, &ops, &mem);
	if (err == OBOL_OK) {
		if (from_pass && (ops < 1 || ops > 16 || mem < 8 || mem > 1024 * 1024))
			abort();
		if (!from_pass && (ops != 0 || mem != 0))
			abort();
	} else if (err != OBOL_E_SEAL_FORMAT) {
		abort();
	}
	err = obol_fileseal_open(&k, data, size, &out, &out_len);
	/* Forging a Poly1305 tag by chance is not something a fuzzer does. */
	if (err == OBOL_OK || out != NULL)
		abort();
	if (err != OBOL_E_SEAL_FORMAT && err != OBOL_E_DECRYPT_FAILED)
		abort();
	obol_filekey_wipe(&k);
	return 0;
}
