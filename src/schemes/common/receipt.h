/* The vendor's signed receipt, common to every scheme (issue 15 item 4):
 * the vendor's word, under the signing key its issuer-signed certificate
 * names (vendor_cert.h), that it accepted one payment.
 *
 *   field      CBOR key  JSON name    type
 *   scheme     1         "scheme"     text   "coupon", "ecash", "payword", "codex"
 *   vendor_id  2         "vendor_id"  uint   the certificate's vendor_id
 *   amount     3         "amount"     amount (text "CUR:V.F", as every obol amount)
 *   units      4         "units"      uint   units of service the amount paid for
 *   time       5         "time"       int    Unix seconds at the vendor when it accepted
 *   id         6         "id"         bytes  the payment's id, 32 bytes (below)
 *   sig        7         "sig"        64 bytes
 *
 * sig is Ed25519 (src/crypto/sign.h) under the certificate's sign_pk, context
 * "payment-receipt", over the CBOR map of fields 1..6 as obol_cbor_encode
 * writes it (definite lengths, keys in this order: canonical). The payment's
 * id is SHA-256 of the CBOR body of the message that carried the payment
 * (the session's first PAY in coupon, ecash, payword and codex alike),
 * as the wallet encoded and the vendor received it: it names that payment
 * and no other, so a receipt cannot be moved to another payment.
 *
 * On the device link the vendor sends it as a frame of the common type
 * OBOL_DL_TYPE_RECEIPT (4) whose body is this map with the signature, right
 * after the scheme's own last answer to an accepted payment.
 *
 * Pure code, no I/O. */
#ifndef OBOL_SCHEMES_COMMON_RECEIPT_H
#define OBOL_SCHEMES_COMMON_RECEIPT_H

#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/hash.h"
#include "crypto/sign.h"
#include "schemes/common/vendor_cert.h"
#include "wire/fields.h"

#define OBOL_RECEIPT_CONTEXT "payment-receipt"
#define OBOL_RECEIPT_SCHEME_MAX 15
#define OBOL_RECEIPT_ID_LEN OBOL_HASH_LEN
#define OBOL_RECEIPT_MAX 256 /* bytes of the CBOR encoding, an upper bound */

struct obol_receipt {
	char scheme[OBOL_RECEIPT_SCHEME_MAX + 1];
	uint64_t vendor_id;
	struct obol_amount amount;
	uint64_t units;
	int64_t time;
	uint8_t id[OBOL_RECEIPT_ID_LEN];
	uint8_t sig[OBOL_SIGN_LEN];
};

/* The field spec of a receipt with its signature (the frame's body). */
struct obol_receipt_spec {
	struct obol_field f[7];
	struct obol_fields fields;
};
void obol_receipt_spec(struct obol_receipt *r, struct obol_receipt_spec *spec);

/* The payment's id: SHA-256 of the payment message's CBOR body. */
void obol_receipt_payment_id(const uint8_t *body, size_t len, uint8_t id[static OBOL_RECEIPT_ID_LEN]);
/* The same for a body the caller holds as a field spec (encoded as
 * obol_cbor_encode writes it, which is what obol_devlink_write sends). */
OBOL_MUST_CHECK obol_err obol_receipt_payment_id_of(const struct obol_fields *body,
						    uint8_t id[static OBOL_RECEIPT_ID_LEN]);

/* Signs r (fields 1..6 set) with the vendor's signing secret key. */
OBOL_MUST_CHECK obol_err obol_receipt_sign(struct obol_receipt *r, const uint8_t sk[static OBOL_SIGN_SK_LEN]);

/* RECEIPT_INVALID unless r names cert's vendor and its signature verifies
 * under cert's sign_pk. The certificate itself is the caller's to have
 * verified (the device link did, in the handshake). */
OBOL_MUST_CHECK obol_err obol_receipt_verify(const struct obol_receipt *r, const struct obol_vendor_cert *cert);

/* RECEIPT_MISMATCH unless r is for this payment: the scheme, the id, the
 * amount and the units the wallet paid. */
OBOL_MUST_CHECK obol_err obol_receipt_match(const struct obol_receipt *r, const char *scheme,
					    const uint8_t id[static OBOL_RECEIPT_ID_LEN],
					    const struct obol_amount *amount, uint64_t units);

#endif
