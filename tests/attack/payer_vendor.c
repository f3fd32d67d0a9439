/* A vendor that cheats its payer (THREATS.md: "a vendor ... ask for more than
 * it offered, lie about the service it delivered"), in front of its own
 * honest daemon: it holds the vendor's keys and certificate (--dir, the
 * daemon's directory), answers the wallet's device link as that vendor,
 * opens its own link to the daemon (--vendor) and passes the frames on,
 * deviating as told:
 *
 *   relay          passes everything on (the control)
 *   overprice      announces --price per unit in the coupon OFFER (the
 *                  price in the ecash OFFER and the payword INFO, the
 *                  amount in the codex REQUEST) instead of the daemon's
 *   ask-more       hides every SERVED (the wallet never learns a unit was
 *                  served) and, when the daemon's session is over, goes on
 *                  asking the wallet for one more token, again and again
 *   drop-receipt   never passes on the daemon's signed receipt
 *   forge-receipt  passes it on with its signature changed
 *   wrong-receipt  passes on a genuinely signed receipt (the vendor's own
 *                  key) for more than the wallet handed over
 *
 * It serves --count connections (1 by default; a payword purchase is two:
 * the price, then the payment), one after the other, and after each prints
 * "connections" (served so far) and, summed over them, "tokens_from_wallet"
 * (coupon TOKEN frames the wallet sent), "pays_from_wallet" (the PAY frames
 * of any scheme), "asked_more" (the extra requests it sent) and "deviated"
 * (yes/no). */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attack.h"
#include "core/clock.h"
#include "core/version.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "schemes/common/receipt.h"
#include "schemes/codex/messages.h"
#include "schemes/coupon/messages.h"
#include "schemes/ecash/messages.h"
#include "schemes/payword/messages.h"
#include "schemes/payword/wire.h"
#include "vendor/vendor.h"
#include "wire/cbor.h"

enum mode { RELAY, OVERPRICE, ASK_MORE, DROP_RECEIPT, FORGE_RECEIPT, WRONG_RECEIPT };
static const char *const mode_names[] = { "relay", "overprice", "ask-more", "drop-receipt", "forge-receipt",
					  "wrong-receipt" };

struct relay {
	enum mode mode;
	struct obol_amount price;
	struct obol_sign_keypair sign;
	struct obol_devlink *wallet, *vendor;
	unsigned tokens, pays, asked;
	bool deviated, wallet_gone;
};

/* A whole frame around a body received: 4-byte length | CBOR [type, 2, body]. */
static obol_err obol_frame_encode_raw(uint32_t type, const uint8_t *body, size_t len, uint8_t *out, size_t cap,
				      size_t *n)
{
	size_t h = 4;
	if (type > 255 || len + 10 > cap)
		return OBOL_E_WIRE_OVERSIZED;
	out[h++] = 0x83;
	if (type < 24) {
		out[h++] = (uint8_t)type;
	} else {
		out[h++] = 0x18;
		out[h++] = (uint8_t)type;
	}
	out[h++] = OBOL_PROTOCOL_VERSION;
	memcpy(out + h, body, len);
	*n = h + len;
	uint32_t l = (uint32_t)(*n - 4);
	out[0] = (uint8_t)(l >> 24), out[1] = (uint8_t)(l >> 16), out[2] = (uint8_t)(l >> 8), out[3] = (uint8_t)l;
	return OBOL_OK;
}

static obol_err write_body(struct obol_devlink *l, uint32_t type, const struct obol_fields *f)
{
	return obol_devlink_write(l, type, f);
}

/* Wallet to vendor: counted and passed on. */
static void *wallet_to_vendor(void *arg)
{
	struct relay *r = arg;
	uint32_t type;
	const uint8_t *body;
	size_t len;
	uint8_t frame[OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX];
	while (obol_devlink_read(r->wallet, &type, &body, &len) == OBOL_OK) {
		size_t n;
		r->tokens += type == COUPON_MSG_TOKEN;
		r->pays += type == COUPON_MSG_PAY || type == ECASH_MSG_PAY || type == PAYWORD_MSG_PAY ||
			   type == CODEX_MSG_PAY;
		if (obol_frame_encode_raw(type, body, len, frame, sizeof frame, &n) == OBOL_OK)
			(void)!obol_devlink_write_frame(r->vendor, frame, n);
	}
	r->wallet_gone = true;
	shutdown(obol_devlink_fd(r->vendor), SHUT_RDWR); /* the daemon's side ends too */
	return NULL;
}

/* A receipt for more than was handed over, genuinely signed. */
static obol_err wrong_receipt(struct relay *r, const uint8_t *body, size_t len)
{
	struct obol_receipt rc;
	struct obol_receipt_spec sp;
	memset(&rc, 0, sizeof rc);
	obol_receipt_spec(&rc, &sp);
	obol_err e = obol_cbor_decode(body, len, &sp.fields);
	if (e == OBOL_OK)
		e = obol_amount_add(&rc.amount, &rc.amount, &rc.amount);
	if (e == OBOL_OK)
		e = obol_receipt_sign(&rc, r->sign.sk);
	return e == OBOL_OK ? write_body(r->wallet, OBOL_DL_TYPE_RECEIPT, &sp.fields) : e;
}

/* One frame of the daemon's, deviated as told. */
static obol_err to_wallet(struct relay *r, uint32_t type, const uint8_t *body, size_t len)
{
	uint8_t frame[OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX];
	size_t n;
	obol_err e;
	if (r->mode == OVERPRICE && type == COUPON_MSG_OFFER) {
		static struct coupon_offer offer;
		struct coupon_spec spec;
		coupon_spec_offer(&spec, &offer);
		if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
			return e;
		offer.price = r->price;
		r->deviated = true;
		return write_body(r->wallet, type, &spec.fields);
	}
	if (r->mode == OVERPRICE && type == CODEX_MSG_REQUEST) {
		static struct codex_msg_request req;
		struct obol_field f[2];
		struct obol_fields spec;
		codex_msg_request_spec(&req, f, &spec);
		if ((e = obol_cbor_decode(body, len, &spec)) != OBOL_OK)
			return e;
		req.amount = r->price;
		req.has_amount = true;
		r->deviated = true;
		return write_body(r->wallet, type, &spec);
	}
	if (r->mode == OVERPRICE && type == ECASH_MSG_OFFER) {
		static struct ecash_offer offer;
		struct ecash_offer_spec spec;
		memset(&offer, 0, sizeof offer);
		ecash_offer_spec(&spec, &offer);
		if ((e = obol_cbor_decode(body, len, &spec.s)) != OBOL_OK)
			return e;
		offer.price = r->price;
		r->deviated = true;
		return write_body(r->wallet, type, &spec.s);
	}
	if (r->mode == OVERPRICE && type == PAYWORD_MSG_INFO) {
		static struct payword_info_wire info;
		struct payword_info_spec spec;
		memset(&info, 0, sizeof info);
		payword_info_spec_init(&spec, &info);
		if ((e = obol_cbor_decode(body, len, &spec.spec)) != OBOL_OK)
			return e;
		info.price = r->price;
		info.has_price = true;
		r->deviated = true;
		return write_body(r->wallet, type, &spec.spec);
	}
	if (r->mode == ASK_MORE && type == COUPON_MSG_SERVED) {
		r->deviated = true;
		return OBOL_OK;
	}
	if (type == OBOL_DL_TYPE_RECEIPT && r->mode == DROP_RECEIPT) {
		r->deviated = true;
		return OBOL_OK;
	}
	if (type == OBOL_DL_TYPE_RECEIPT && r->mode == WRONG_RECEIPT) {
		r->deviated = true;
		return wrong_receipt(r, body, len);
	}
	if ((e = obol_frame_encode_raw(type, body, len, frame, sizeof frame, &n)) != OBOL_OK)
		return e;
	if (type == OBOL_DL_TYPE_RECEIPT && r->mode == FORGE_RECEIPT) {
		frame[n - 5] ^= 0x01; /* inside the signature, the last field */
		r->deviated = true;
	}
	return obol_devlink_write_frame(r->wallet, frame, n);
}

/* Vendor to wallet, until the daemon's session ends; then, asking more, the
 * extra requests. */
static void vendor_to_wallet(struct relay *r)
{
	uint32_t type;
	const uint8_t *body;
	size_t len;
	while (obol_devlink_read(r->vendor, &type, &body, &len) == OBOL_OK) {
		if (r->mode == ASK_MORE && type == COUPON_MSG_RECEIPT)
			break;
		if (to_wallet(r, type, body, len) != OBOL_OK)
			return;
	}
	if (r->mode != ASK_MORE)
		return;
	struct coupon_token_req req = { .count = 1 };
	struct coupon_spec spec;
	coupon_spec_token_req(&spec, &req);
	for (unsigned i = 0; i < 3000 && !r->wallet_gone; i++) {
		unsigned before = r->tokens;
		if (obol_devlink_write(r->wallet, COUPON_MSG_TOKEN_REQ, &spec.fields) != OBOL_OK)
			break;
		r->asked++;
		for (int w = 0; w < 200 && r->tokens == before && !r->wallet_gone; w++)
			obol_sleep_ns(5 * 1000000u);
	}
}

static int run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' }, { "vendor", required_argument, NULL, 'v' },
		{ "dir", required_argument, NULL, 'd' },    { "mode", required_argument, NULL, 'm' },
		{ "price", required_argument, NULL, 'p' },  { "count", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	static struct relay r;
	const char *listen = "127.0.0.1:0", *vendor = NULL, *dir = NULL, *mode = "relay", *price = "EUR:1";
	unsigned long count = 1;
	struct obol_vendor_cert cert;
	struct obol_box_keypair box;
	uint8_t cbor[OBOL_VENDOR_CERT_MAX], issuer_pk[32];
	size_t len, m = 0;
	int c, lfd;
	uint16_t port;
	char host[64];
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'v': vendor = optarg; break;
		case 'd': dir = optarg; break;
		case 'm': mode = optarg; break;
		case 'p': price = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	while (m < sizeof mode_names / sizeof *mode_names && strcmp(mode_names[m], mode) != 0)
		m++;
	if (m == sizeof mode_names / sizeof *mode_names || vendor == NULL || dir == NULL || count == 0 ||
	    obol_amount_parse(price, &r.price) != OBOL_OK || obol_parse_hostport(listen, host, &port) != OBOL_OK)
		return 2;
	r.mode = (enum mode)m;
	if (obol_crypto_init() != OBOL_OK || obol_vendor_keys_load(dir, &r.sign, &box) != OBOL_OK ||
	    obol_vendor_cert_load(dir, &cert) != OBOL_OK || obol_vendor_cert_encode(&cert, cbor, sizeof cbor, &len) != OBOL_OK ||
	    obol_vendor_pin_issuer(dir, NULL, issuer_pk) != OBOL_OK) {
		fprintf(stderr, "payer-vendor: no vendor keys, certificate or issuer pin in %s\n", dir);
		return 1;
	}
	if (obol_devlink_listen(listen, &lfd, &port) != OBOL_OK)
		return 1;
	printf("listening on %s:%u\n", host, port);
	fflush(stdout);
	struct obol_devlink_identity me = { .key = &box, .kind = OBOL_DL_CRED_VENDOR, .cred = cbor, .cred_len = len };
	for (unsigned long i = 0; i < count; i++) {
		pthread_t t;
		r.wallet = r.vendor = NULL;
		r.wallet_gone = false;
		if (obol_devlink_accept(lfd, 60000, 5000, &r.wallet) != OBOL_OK ||
		    obol_devlink_respond(r.wallet, &me) != OBOL_OK ||
		    obol_devlink_connect_vendor(vendor, 5000, issuer_pk, &r.vendor) != OBOL_OK ||
		    pthread_create(&t, NULL, wallet_to_vendor, &r) != 0) {
			fprintf(stderr, "payer-vendor: the wallet or the daemon could not be reached\n");
			return 1;
		}
		vendor_to_wallet(&r);
		/* the daemon's session is over, and so is this one */
		shutdown(obol_devlink_fd(r.wallet), SHUT_RDWR);
		pthread_join(t, NULL);
		printf("connections: %lu\ntokens_from_wallet: %u\npays_from_wallet: %u\nasked_more: %u\ndeviated: %s\n",
		       i + 1, r.tokens, r.pays, r.asked, r.deviated ? "yes" : "no");
		fflush(stdout);
		obol_devlink_close(r.wallet);
		obol_devlink_close(r.vendor);
	}
	close(lfd);
	OBOL_WIPE(r.sign);
	OBOL_WIPE(box);
	return 0;
}

OBOL_ATTACK(payer_vendor_attack, "payer-vendor",
	    "--vendor HOST:PORT --dir DIR [--listen HOST:PORT] "
	    "[--mode relay|overprice|ask-more|drop-receipt|forge-receipt|wrong-receipt] [--price CUR:V.F] [--count N]",
	    "a vendor cheating its payer in front of its own daemon: a higher price, more tokens asked than served, "
	    "a receipt dropped, forged or for more",
	    run)
