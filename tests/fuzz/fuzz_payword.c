/* libFuzzer target: the payword parsers (src/schemes/payword/cert.c, wire.c):
 * vendor and user certificates, and the PAY frame body. Beyond "no crash, no
 * leak, no undefined behaviour", whatever decodes re-encodes to the same
 * bytes (one encoding per certificate). */
#include <stdlib.h>
#include <string.h>

#include "schemes/payword/wire.h"
#include "wire/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct payword_pay_wire w;
	struct payword_vcert vc;
	struct payword_ucert uc;
	struct payword_pay_spec spec;
	struct payword_pay req;
	uint8_t out[PAYWORD_UCERT_MAX];
	size_t n = 0;

	if (payword_vcert_decode(data, size, &vc) == OBOL_OK) {
		if (payword_vcert_encode(&vc, out, &n) != OBOL_OK || n != size || memcmp(out, data, n) != 0)
			abort();
	}
	if (payword_ucert_decode(data, size, &uc) == OBOL_OK) {
		if (payword_ucert_encode(&uc, out, &n) != OBOL_OK || n != size || memcmp(out, data, n) != 0)
			abort();
	}
	memset(&w, 0, sizeof(w));
	payword_pay_spec_init(&spec, &w);
	if (obol_cbor_decode(data, size, &spec.spec) == OBOL_OK)
		(void)payword_pay_from_wire(&w, &req);
	return 0;
}
