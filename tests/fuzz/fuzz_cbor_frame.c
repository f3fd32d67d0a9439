/* libFuzzer target: device-link frames and CBOR bodies (src/wire/frame.c,
 * src/wire/cbor.c) against a spec with every field kind.
 *
 * Besides "no crash, no leak, no undefined behaviour", it checks a property:
 * whatever decodes re-encodes, and that encoding decodes and re-encodes to the
 * same bytes (one encoding per message). */
#include <stdlib.h>

#include "../unit/wire_sample.h"
#include "wire/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t enc1[OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX], enc2[OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX];

/* Decodes body into a fresh sample; on success checks the round trip. */
static void body(const uint8_t *buf, size_t len)
{
	struct sample m, m2;
	struct sample_spec s, s2;
	size_t n1 = 0, n2 = 0;
	sample_spec_init(&s, &m);
	if (obol_cbor_decode(buf, len, &s.spec) != OBOL_OK)
		return;
	if (obol_cbor_encode(&s.spec, enc1, sizeof(enc1), &n1) != OBOL_OK)
		abort();
	sample_spec_init(&s2, &m2);
	if (obol_cbor_decode(enc1, n1, &s2.spec) != OBOL_OK || !sample_equal(&m, &m2))
		abort();
	if (obol_cbor_encode(&s2.spec, enc2, sizeof(enc2), &n2) != OBOL_OK || n1 != n2 ||
	    memcmp(enc1, enc2, n1) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t type = 0;
	const uint8_t *b = NULL;
	size_t blen = 0, need = 0;
	if (obol_frame_need(data, size, &need) == OBOL_OK && need > OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX)
		abort();
	if (obol_frame_decode(data, size, &type, &b, &blen) == OBOL_OK) {
		if (need != size || b < data || blen > size || (size_t)(b - data) > size - blen)
			abort();
		body(b, blen);
	}
	/* The input as a bare body too, so the fuzzer reaches the field rules
	 * without having to keep a frame header right. */
	body(data, size);
	return 0;
}
