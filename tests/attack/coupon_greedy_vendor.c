/* coupon-greedy-vendor: a registered vendor that answers every TOKEN with
 * another TOKEN_REQ and never sends SERVED, locking the wallet's next coin
 * whenever it pays with one; when the wallet stops, it settles everything it
 * was given at the issuer (real money). The honest wallet must reveal no
 * more than the units times the price it accepted (P2).
 *
 * Prints "tokens: N" (revealed to it, lock tokens included), "coins: K",
 * "credited: AMOUNT" (what the issuer credited), "wallet_said: ERROR". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "attack.h"
#include "core/clock.h"
#include "coupon_party.h"
#include "wire/cbor.h"

static int greedy(int argc, char **argv)
{
	const char *dir = coupon_party_arg(argc, argv, "--dir"), *url = coupon_party_arg(argc, argv, "--issuer");
	const char *listen = coupon_party_arg(argc, argv, "--listen"), *price = coupon_party_arg(argc, argv, "--price");
	static struct coupon_party p;
	static struct coupon_vendor_session s;
	static struct coupon_pay pay;
	static struct coupon_lock_req req;
	struct obol_devlink *dl = NULL;
	struct coupon_spec spec;
	struct obol_amount credited;
	uint64_t tokens = 0;
	obol_err said = OBOL_OK, e;
	if (!dir || !url || !listen)
		return 2;
	if ((e = coupon_party_open(&p, dir, url, listen, price ? price : "EUR:0.001")) != OBOL_OK ||
	    (e = coupon_party_accept(&p, 60, &dl)) != OBOL_OK) {
		fprintf(stderr, "coupon-greedy-vendor: %s\n", obol_strerror(e));
		return 1;
	}
	for (;;) {
		uint32_t type;
		const uint8_t *body;
		size_t len;
		if ((e = obol_devlink_read(dl, &type, &body, &len)) != OBOL_OK) {
			said = e;
			break;
		}
		if (type == COUPON_MSG_BUY) {
			struct coupon_buy buy;
			struct coupon_offer offer;
			coupon_spec_buy(&spec, &buy);
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
			    (e = coupon_vendor_start(&p.cfg, &s, &buy, obol_now(), &offer)) != OBOL_OK)
				break;
			coupon_spec_offer(&spec, &offer);
			e = coupon_party_send(dl, COUPON_MSG_OFFER, &spec);
		} else if (type == COUPON_MSG_PAY) {
			struct coupon_lock_reply reply;
			memset(&pay, 0, sizeof(pay));
			coupon_spec_pay(&spec, &pay);
			if (s.state == COUPON_VS_ACTIVE)
				s.state = COUPON_VS_ASKING; /* it never serves: it is always asking */
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
			    (e = coupon_vendor_on_pay(&p.cfg, &s, &pay, obol_now(), &req)) != OBOL_OK ||
			    (e = coupon_party_lock(&p, &req, &reply)) != OBOL_OK ||
			    (e = coupon_vendor_on_lock_reply(&p.cfg, &s, &reply)) != OBOL_OK)
				break;
			tokens++;
			coupon_spec_lock_reply(&spec, &reply);
			if ((e = coupon_party_send(dl, COUPON_MSG_LOCKED, &spec)) != OBOL_OK)
				break;
			struct coupon_token_req treq = { .count = 1 };
			s.state = COUPON_VS_ASKING;
			s.asked = 1;
			coupon_spec_token_req(&spec, &treq);
			e = coupon_party_send(dl, COUPON_MSG_TOKEN_REQ, &spec);
		} else if (type == COUPON_MSG_TOKEN) {
			struct coupon_token tok;
			size_t ci;
			uint64_t before = s.coins[s.ncoins - 1].last_index;
			coupon_spec_token(&spec, &tok);
			if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
			    (e = coupon_vendor_on_token(&p.cfg, &s, &tok, obol_now(), &ci)) != OBOL_OK)
				break;
			tokens += before - tok.index;
			/* and again, whatever was served (nothing) */
			struct coupon_token_req treq = { .count = 1 };
			s.state = COUPON_VS_ASKING;
			s.asked = 1;
			coupon_spec_token_req(&spec, &treq);
			e = coupon_party_send(dl, COUPON_MSG_TOKEN_REQ, &spec);
		} else if (type == COUPON_MSG_END) {
			said = OBOL_OK;
			break;
		}
		if (e != OBOL_OK)
			break;
	}
	obol_devlink_close(dl);
	/* every coin's tokens to the issuer: the money is real */
	if ((e = obol_amount_zero(p.cfg.price.currency, &credited)) != OBOL_OK)
		return 1;
	for (size_t i = 0; i < s.ncoins; i++) {
		struct coupon_settle_reply r;
		if (coupon_party_settle(&p, &s.coins[i], &r) == OBOL_OK &&
		    obol_amount_add(&credited, &credited, &r.credited) != OBOL_OK)
			return 1;
	}
	char text[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(&credited, text);
	printf("tokens: %" PRIu64 "\ncoins: %zu\ncredited: %s\nwallet_said: %s\n", tokens, s.ncoins, text,
	       obol_strerror(said));
	coupon_party_close(&p);
	return 0;
}

OBOL_ATTACK(coupon_greedy_vendor, "coupon-greedy-vendor",
	    "--dir VENDOR_DIR --issuer URL --listen HOST:PORT [--price CUR:V.F]",
	    "a coupon vendor that asks for tokens again and again and never serves", greedy)
