/* The vendor's signed receipt for a payment it accepted (issue 15 item 4;
 * the receipt and its signed bytes: src/schemes/common/receipt.h). Each
 * scheme's session adds it right after its own last answer to an accepted
 * payment, once what the payment moved is durable. */
#ifndef OBOL_VENDOR_RECEIPT_H
#define OBOL_VENDOR_RECEIPT_H

#include "schemes/common/receipt.h"
#include "vendor/vendor.h"

/* What was accepted: pay_body is the CBOR body of the payment message as
 * received (its SHA-256 is the payment's id). */
struct obol_vendor_receipt_req {
	const char *scheme;
	const struct obol_amount *amount;
	uint64_t units;
	const uint8_t *pay_id; /* OBOL_RECEIPT_ID_LEN bytes: obol_receipt_payment_id of the payment's body */
};

/* Signs the receipt with the vendor's certified signing key, at now, and
 * appends it to out as an OBOL_DL_TYPE_RECEIPT frame. */
OBOL_MUST_CHECK obol_err obol_vendor_receipt_add(struct obol_vendor *v, struct obol_vendor_out *out,
						 const struct obol_vendor_receipt_req *req);

#endif
