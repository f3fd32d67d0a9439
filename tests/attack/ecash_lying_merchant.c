/* ecash-lying-merchant: a merchant that keeps the coins and says it refused
 * them (issue 12, case 4).
 *
 *   obol-attack ecash-lying-merchant --wallet PATH --listen HOST:PORT --price CUR:V
 *
 * A registered wallet (passphrase from OBOL_PASSPHRASE) takes one payment
 * as an honest merchant would, keeps the coins in its file (it can deposit
 * them with `obol wallet ecash deposit`), and answers the payer with an
 * ERROR frame naming ECASH_COIN_ALREADY_HELD instead of its receipt.
 * Prints "listening on ..." and "kept: N coins". */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "core/clock.h"
#include "net/devlink.h"
#include "schemes/ecash/messages.h"
#include "wallet/ecash_link.h"
#include "wallet/ecash_wallet.h"
#include "wallet/ecash_wallet_int.h"
#include "wire/cbor.h"

/* One payment, taken and kept, answered with a refusal. */
static obol_err take_and_lie(struct ecash_wallet *ew, struct ecash_merchant *m, struct obol_devlink *l,
			     const struct obol_amount *price)
{
	struct ecash_hello hello;
	struct ecash_hello_spec hsp;
	struct ecash_offer offer;
	struct ecash_offer_spec osp;
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec psp;
	struct ecash_ready rd;
	struct ecash_ready_spec rsp;
	struct ecash_signatures sg = { 0 };
	struct ecash_signatures_spec ssp;
	uint32_t type;
	const uint8_t *body;
	size_t len;
	ecash_hello_spec(&hsp, &hello);
	obol_err e = ecash_w_read_frame(l, ECASH_MSG_HELLO, &hsp.s);
	if (e == OBOL_OK && (e = ecash_merchant_offer(m, price, obol_now(), &offer)) == OBOL_OK) {
		ecash_offer_spec(&osp, &offer);
		e = obol_devlink_write(l, ECASH_MSG_OFFER, &osp.s);
	}
	if (e == OBOL_OK && (e = obol_devlink_read(l, &type, &body, &len)) == OBOL_OK && type != ECASH_MSG_PAY)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK && (e = ecash_payment_spec(&psp, &p, true)) == OBOL_OK)
		e = ecash_payment_done(&psp, obol_cbor_decode(body, len, &psp.s));
	if (e == OBOL_OK)
		e = ecash_merchant_verify(m, &p, obol_now());
	if (e == OBOL_OK) {
		memcpy(rd.nonce, p.nonce, ECASH_NONCE_LEN);
		ecash_ready_spec(&rsp, &rd);
		e = obol_devlink_write(l, ECASH_MSG_READY, &rsp.s);
	}
	ecash_signatures_spec(&ssp, &sg, true);
	if (e == OBOL_OK)
		e = ecash_signatures_done(&ssp, ecash_w_read_frame(l, ECASH_MSG_SIGN, &ssp.s));
	if (e == OBOL_OK && (e = ecash_payment_attach(&p, &sg)) != OBOL_OK)
		ecash_signatures_clear(&sg);
	if (e == OBOL_OK)
		e = ecash_merchant_verify_sigs(m, &p);
	/* Complete, depositable claims: kept. */
	if (e == OBOL_OK && (e = ecash_w_coins_append(&ew->coins, &ew->ncoins, p.coins, p.ncoins)) == OBOL_OK)
		e = ecash_wallet_save(ew);
	if (e == OBOL_OK) {
		printf("kept: %zu coins\n", p.ncoins);
		e = obol_devlink_write_error(l, OBOL_E_ECASH_COIN_ALREADY_HELD);
	}
	ecash_payment_clear(&p);
	return e;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wallet", required_argument, NULL, 'w' },
		{ "listen", required_argument, NULL, 'l' },
		{ "price", required_argument, NULL, 'p' },
		{ 0, 0, 0, 0 },
	};
	const char *wallet = NULL, *listen_at = NULL, *price_s = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	struct obol_wallet *w = NULL;
	struct ecash_wallet ew;
	struct ecash_merchant m;
	struct ecash_link_identity me;
	struct obol_amount price;
	struct obol_devlink *l = NULL;
	int fd = -1, ch, rc = 1;
	uint16_t port = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'w')
			wallet = optarg;
		else if (ch == 'l')
			listen_at = optarg;
		else if (ch == 'p')
			price_s = optarg;
		else
			return 2;
	}
	if (wallet == NULL || listen_at == NULL || price_s == NULL || obol_amount_parse(price_s, &price) != OBOL_OK)
		return 2;
	if (obol_wallet_open(wallet, &ks, &w) != OBOL_OK)
		return 1;
	/* Like `wallet ecash receive`, it takes payments on a fresh revocation
	 * list (a wallet's merchant takes only claims its list covers). */
	if (ecash_wallet_load(w, &ew) != OBOL_OK || ecash_wallet_refresh(&ew, NULL) != OBOL_OK ||
	    ecash_wallet_merchant(&ew, &m) != OBOL_OK) {
		obol_wallet_close(w);
		return 1;
	}
	if (ecash_link_identity_init(&ew, &me) != OBOL_OK)
		goto out;
	if (obol_devlink_listen(listen_at, &fd, &port) == OBOL_OK) {
		printf("listening on 127.0.0.1:%u\n", port);
		fflush(stdout);
		if (obol_devlink_accept(fd, -1, 0, &l) == OBOL_OK && obol_devlink_respond(l, &me.id) == OBOL_OK &&
		    take_and_lie(&ew, &m, l, &price) == OBOL_OK)
			rc = 0;
	}
out:
	ecash_link_identity_wipe(&me);
	if (fd >= 0)
		close(fd);
	obol_devlink_close(l);
	ecash_merchant_free(&m);
	ecash_wallet_free(&ew);
	obol_wallet_close(w);
	return rc;
}

OBOL_ATTACK(ecash_lying_merchant_attack, "ecash-lying-merchant", "--wallet PATH --listen HOST:PORT --price CUR:V",
	    "takes one ecash payment, keeps the coins, and tells the payer it refused them", run)
