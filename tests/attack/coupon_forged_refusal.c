/* coupon-forged-refusal: a registered vendor that never asks the issuer and
 * answers every PAY with a refusal of its own making: first "the coin is
 * spent" (COUPON_COIN_SPENT), then "the issuer's index is 0"
 * (COUPON_INDEX_MISMATCH, last_index 0, with a signature that is not the
 * issuer's), and so on in turn. An honest wallet must not write a coin off
 * on such a word (P3). Prints "refusals: N" and "wallet_said: ERROR". */
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "core/clock.h"
#include "coupon_party.h"
#include "crypto/secret.h"
#include "wire/cbor.h"

static int forged(int argc, char **argv)
{
	const char *dir = coupon_party_arg(argc, argv, "--dir"), *url = coupon_party_arg(argc, argv, "--issuer");
	const char *listen = coupon_party_arg(argc, argv, "--listen");
	static struct coupon_party p;
	static struct coupon_vendor_session s;
	struct obol_devlink *dl = NULL;
	struct coupon_spec spec;
	unsigned refusals = 0;
	obol_err said = OBOL_OK, e;
	if (!dir || !url || !listen)
		return 2;
	if ((e = coupon_party_open(&p, dir, url, listen, "EUR:0.001")) != OBOL_OK ||
	    (e = coupon_party_accept(&p, 60, &dl)) != OBOL_OK) {
		fprintf(stderr, "coupon-forged-refusal: %s\n", obol_strerror(e));
		return 1;
	}
	for (;;) {
		uint32_t type;
		const uint8_t *body;
		size_t len;
		if ((said = obol_devlink_read(dl, &type, &body, &len)) != OBOL_OK)
			break;
		if (type == COUPON_MSG_BUY) {
			struct coupon_buy buy;
			struct coupon_offer offer;
			coupon_spec_buy(&spec, &buy);
			if (obol_cbor_decode(body, len, &spec.fields) != OBOL_OK ||
			    coupon_vendor_start(&p.cfg, &s, &buy, obol_now(), &offer) != OBOL_OK)
				break;
			coupon_spec_offer(&spec, &offer);
			if (coupon_party_send(dl, COUPON_MSG_OFFER, &spec) != OBOL_OK)
				break;
		} else if (type == COUPON_MSG_PAY) {
			struct coupon_error err;
			uint64_t zero = 0;
			if (refusals % 2 == 0) {
				coupon_error_set(&err, OBOL_E_COUPON_COIN_SPENT, NULL);
			} else {
				coupon_error_set(&err, OBOL_E_COUPON_INDEX_MISMATCH, &zero);
				err.has_locked_until = true;
				err.has_issuer_sig = true;
				obol_random(err.issuer_sig, sizeof(err.issuer_sig));
			}
			refusals++;
			coupon_spec_error(&spec, &err);
			if (coupon_party_send(dl, COUPON_MSG_REFUSED, &spec) != OBOL_OK)
				break;
		}
	}
	obol_devlink_close(dl);
	printf("refusals: %u\nwallet_said: %s\n", refusals, obol_strerror(said));
	coupon_party_close(&p);
	return 0;
}

OBOL_ATTACK(coupon_forged_refusal, "coupon-forged-refusal", "--dir VENDOR_DIR --issuer URL --listen HOST:PORT",
	    "a coupon vendor that answers every payment with a refusal it made up", forged)
