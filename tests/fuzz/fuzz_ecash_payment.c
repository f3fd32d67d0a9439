/* libFuzzer target: the ecash PAY message (src/schemes/ecash/messages.c)
 * and a merchant's verification of whatever decodes
 * (src/schemes/ecash/merchant.c).
 *
 * Besides "no crash, no leak, no undefined behaviour", it checks two
 * properties: a decoded payment re-encodes and decodes to the same encoding,
 * and no input is ever accepted by the merchant (it holds a bank key the
 * fuzzer cannot sign with, and issued no nonce). */
#include <stdlib.h>
#include <string.h>

#include "schemes/ecash/merchant.h"
#include "schemes/ecash/messages.h"
#include "wire/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t enc1[OBOL_FRAME_MAX], enc2[OBOL_FRAME_MAX];
static EVP_PKEY *bank;

static int decode(const uint8_t *buf, size_t len, struct ecash_payment *p)
{
	struct ecash_payment_spec sp;
	memset(p, 0, sizeof(*p));
	if (ecash_payment_spec(&sp, p, true) != OBOL_OK)
		abort();
	return ecash_payment_done(&sp, obol_cbor_decode(buf, len, &sp.s)) == OBOL_OK;
}

static size_t encode(struct ecash_payment *p, uint8_t *buf)
{
	struct ecash_payment_spec sp;
	size_t n = 0;
	if (ecash_payment_spec(&sp, p, false) != OBOL_OK ||
	    ecash_payment_done(&sp, obol_cbor_encode(&sp.s, buf, OBOL_FRAME_MAX, &n)) != OBOL_OK)
		abort();
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecash_payment p, p2;
	if (bank == NULL && obol_rsa_generate(2048, &bank) != OBOL_OK)
		abort();
	if (size > OBOL_FRAME_MAX || !decode(data, size, &p))
		return 0;
	size_t n1 = encode(&p, enc1);
	if (!decode(enc1, n1, &p2))
		abort();
	size_t n2 = encode(&p2, enc2);
	if (n1 != n2 || memcmp(enc1, enc2, n1) != 0)
		abort();
	struct ecash_merchant m;
	uint8_t id[ECASH_ID_LEN] = { 1 };
	ecash_merchant_init(&m, bank, id);
	if (ecash_merchant_verify(&m, &p, 1800000000) == OBOL_OK)
		abort();
	ecash_merchant_free(&m);
	ecash_payment_clear(&p);
	ecash_payment_clear(&p2);
	return 0;
}
