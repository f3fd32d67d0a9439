/* libFuzzer target: Noise handshake messages (src/crypto/noise.c) as the
 * device link's two sides read them: the input, split at its first byte, is
 * a message 1 for a responder and a message 2 for an initiator that sent a
 * genuine message 1. Besides "no crash, no leak, no undefined behaviour", it
 * checks that a message 2 the fuzzer made up is never accepted (it cannot
 * hold the es of a key it does not know) and that a read never reports more
 * payload than it was given room for. */
#include <stdlib.h>
#include <string.h>

#include "crypto/noise.h"
#include "crypto/secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t prologue[] = "obol-devlink-v2";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct obol_box_keypair s;
	static int ready;
	struct obol_noise_handshake res, ini;
	uint8_t pl[512], m1[64], out[1024];
	size_t n, cut = size > 0 ? data[0] : 0;
	if (!ready) {
		if (obol_crypto_init() != OBOL_OK)
			abort();
		obol_box_keypair_new(&s);
		ready = 1;
	}
	if (size == 0)
		return 0;
	data++;
	size--;
	if (cut > size)
		cut = size;
	/* The responder reads the first part as message 1 and answers. */
	if (obol_noise_handshake_init(&res, &(struct obol_noise_init){ .prologue = prologue,
								      .prologue_len = sizeof prologue - 1,
								      .s = &s }) != OBOL_OK)
		abort();
	if (obol_noise_read_message(&res, data, cut, pl, sizeof pl, &n) == OBOL_OK) {
		if (n > sizeof pl)
			abort();
		if (obol_noise_write_message(&res, pl, n, out, sizeof out, &n) == OBOL_OK && n > sizeof out)
			abort();
	}
	obol_noise_handshake_wipe(&res);
	/* The initiator reads the rest as message 2. */
	if (obol_noise_handshake_init(&ini, &(struct obol_noise_init){ .initiator = true,
								      .prologue = prologue,
								      .prologue_len = sizeof prologue - 1 }) != OBOL_OK ||
	    obol_noise_write_message(&ini, NULL, 0, m1, sizeof m1, &n) != OBOL_OK)
		abort();
	if (obol_noise_read_message(&ini, data + cut, size - cut, pl, sizeof pl, &n) == OBOL_OK)
		abort(); /* accepted a message 2 for a fresh ephemeral key it never saw */
	obol_noise_handshake_wipe(&ini);
	return 0;
}
