/* libFuzzer target: the ecash payment's two messages, PAY and SIGN
 * (src/schemes/ecash/messages.c), and a merchant's verification of whatever
 * decodes (src/schemes/ecash/merchant.c). The first input byte chooses the
 * message; the rest is its CBOR body.
 *
 * Besides "no crash, no leak, no undefined behaviour", it checks two
 * properties: a decoded message re-encodes and decodes to the same
 * encoding, and no input is ever accepted by the merchant (it holds a bank
 * key the fuzzer cannot sign with, and issued no nonce). */
#include <stdlib.h>
#include <string.h>

#include "schemes/ecash/merchant.h"
#include "schemes/ecash/messages.h"
#include "wire/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t enc1[OBOL_FRAME_MAX], enc2[OBOL_FRAME_MAX];
static EVP_PKEY *bank;
static struct ecash_bank_keys bank_keys;

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

static int decode_sigs(const uint8_t *buf, size_t len, struct ecash_signatures *s)
{
	struct ecash_signatures_spec sp;
	memset(s, 0, sizeof(*s));
	ecash_signatures_spec(&sp, s, true);
	return ecash_signatures_done(&sp, obol_cbor_decode(buf, len, &sp.s)) == OBOL_OK;
}

static size_t encode_sigs(struct ecash_signatures *s, uint8_t *buf)
{
	struct ecash_signatures_spec sp;
	size_t n = 0;
	ecash_signatures_spec(&sp, s, false);
	if (obol_cbor_encode(&sp.s, buf, OBOL_FRAME_MAX, &n) != OBOL_OK)
		abort();
	return n;
}

/* SIGN: decodes, re-encodes the same, and attaches to no payment it was
 * not made for. */
static int sign_input(const uint8_t *data, size_t size)
{
	struct ecash_signatures s, s2;
	struct ecash_payment none = { 0 };
	if (!decode_sigs(data, size, &s))
		return 0;
	size_t n1 = encode_sigs(&s, enc1);
	if (!decode_sigs(enc1, n1, &s2))
		abort();
	size_t n2 = encode_sigs(&s2, enc2);
	if (n1 != n2 || memcmp(enc1, enc2, n1) != 0)
		abort();
	if (s.n > 0 && ecash_payment_attach(&none, &s) == OBOL_OK)
		abort();
	ecash_signatures_clear(&s);
	ecash_signatures_clear(&s2);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ecash_payment p, p2;
	if (bank == NULL && (obol_rsa_generate(2048, &bank) != OBOL_OK || ecash_bank_keys_one(&bank_keys, bank) != OBOL_OK))
		abort();
	if (size == 0 || size > OBOL_FRAME_MAX)
		return 0;
	if (data[0] & 1)
		return sign_input(data + 1, size - 1);
	data++;
	size--;
	if (!decode(data, size, &p))
		return 0;
	size_t n1 = encode(&p, enc1);
	if (!decode(enc1, n1, &p2))
		abort();
	size_t n2 = encode(&p2, enc2);
	if (n1 != n2 || memcmp(enc1, enc2, n1) != 0)
		abort();
	struct ecash_merchant m;
	struct ecash_cert cert = { .key_len = 1 };
	ecash_merchant_init(&m, &bank_keys, bank, &cert);
	if (ecash_merchant_verify(&m, &p, 1800000000) == OBOL_OK)
		abort();
	ecash_merchant_free(&m);
	ecash_payment_clear(&p);
	ecash_payment_clear(&p2);
	return 0;
}
