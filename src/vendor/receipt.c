/* The vendor's signed receipt (receipt.h). */
#include "vendor/receipt.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "vendor/vendor_int.h"

obol_err obol_vendor_receipt_add(struct obol_vendor *v, struct obol_vendor_out *out,
				 const struct obol_vendor_receipt_req *req)
{
	struct obol_receipt r;
	struct obol_receipt_spec sp;
	obol_err e;
	memset(&r, 0, sizeof r);
	if (strlen(req->scheme) > OBOL_RECEIPT_SCHEME_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	snprintf(r.scheme, sizeof r.scheme, "%s", req->scheme);
	r.vendor_id = obol_vendor_cert(v).vendor_id;
	r.amount = *req->amount;
	r.units = req->units;
	r.time = obol_now();
	memcpy(r.id, req->pay_id, OBOL_RECEIPT_ID_LEN);
	if ((e = obol_receipt_sign(&r, v->sign.sk)) != OBOL_OK)
		return e;
	obol_receipt_spec(&r, &sp);
	return obol_vendor_out_add(out, OBOL_DL_TYPE_RECEIPT, &sp.fields);
}
