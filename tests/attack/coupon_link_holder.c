/* coupon-link-holder: a payer that pays a few tokens at vendor 1, then
 * stops answering and keeps the link alive with frames that are no part of
 * the session until the lock's T has passed, and then spends the same
 * tokens at vendor 2 while the first link is still open. Unless vendor 1
 * settles before T on its own clock, vendor 2 wins the lock and vendor 1
 * loses what it served (P3 for the vendor).
 *
 * Uses the coins of a wallet file (OBOL_PASSPHRASE), without saving it.
 * Prints "paid_vendor1: N" (tokens, the lock token included),
 * "link_closed_before_T: yes|no", "second_spend: locked|refused NAME". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attack.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "coupon_party.h"
#include "wallet/coupon_wallet.h"
#include "wallet/file.h"
#include "wire/cbor.h"

static obol_err read_type(struct obol_devlink *dl, uint32_t want, const uint8_t **body, size_t *len)
{
	for (int i = 0; i < 100; i++) {
		uint32_t type;
		obol_err e = obol_devlink_read(dl, &type, body, len);
		if (e != OBOL_OK)
			return e;
		if (type == want)
			return OBOL_OK;
		if (type == COUPON_MSG_REFUSED)
			return OBOL_E_PEER_ERROR;
	}
	return OBOL_E_INTERNAL;
}

/* BUY, OFFER, PAY with the wallet core; the link's next frame is the answer to the PAY. */
static obol_err open_session(struct obol_devlink *dl, struct coupon_wallet_store *ws, struct coupon_wallet_session *s,
			     uint64_t units, int64_t *deadline)
{
	static struct coupon_offer offer;
	static struct coupon_pay pay;
	struct coupon_buy buy;
	struct coupon_spec spec;
	const uint8_t *body;
	size_t len;
	obol_err e;
	if ((e = coupon_wallet_buy(s, units, &buy)) != OBOL_OK)
		return e;
	coupon_spec_buy(&spec, &buy);
	if ((e = obol_devlink_write(dl, COUPON_MSG_BUY, &spec.fields)) != OBOL_OK ||
	    (e = read_type(dl, COUPON_MSG_OFFER, &body, &len)) != OBOL_OK)
		return e;
	memset(&offer, 0, sizeof(offer));
	coupon_spec_offer(&spec, &offer);
	if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
	    (e = coupon_wallet_on_offer(&ws->cfg, s, ws->coins, ws->ncoins, &offer, obol_now(), &pay)) != OBOL_OK)
		return e;
	*deadline = offer.deadline;
	coupon_spec_pay(&spec, &pay);
	return obol_devlink_write(dl, COUPON_MSG_PAY, &spec.fields);
}

static int holder(int argc, char **argv)
{
	const char *path = coupon_party_arg(argc, argv, "--wallet"), *v1 = coupon_party_arg(argc, argv, "--vendor");
	const char *v2 = coupon_party_arg(argc, argv, "--vendor2"), *pay_s = coupon_party_arg(argc, argv, "--pay");
	static struct coupon_wallet_session s;
	struct obol_wallet_keysrc ks = { 0 };
	struct obol_wallet *w = NULL;
	struct coupon_wallet_store ws;
	struct obol_devlink *dl1 = NULL, *dl2 = NULL;
	struct coupon_spec spec;
	const uint8_t *body;
	size_t len;
	uint64_t k = 3;
	int64_t deadline = 0;
	obol_err e;
	if (!path || !v1 || !v2 || (pay_s && obol_parse_u64(pay_s, 1, 1000, &k) != OBOL_OK))
		return 2;
	if ((e = obol_crypto_init()) != OBOL_OK || (e = obol_wallet_open(path, &ks, &w)) != OBOL_OK ||
	    (e = coupon_wstore_load(w, false, &ws)) != OBOL_OK || (e = obol_devlink_connect_vendor(v1, 1500, ws.cfg.issuer_pk, &dl1)) != OBOL_OK ||
	    (e = open_session(dl1, &ws, &s, 100, &deadline)) != OBOL_OK)
		goto fail;
	/* the lock, then k - 1 tokens for the units served */
	struct coupon_lock_reply lr;
	if ((e = read_type(dl1, COUPON_MSG_LOCKED, &body, &len)) != OBOL_OK)
		goto fail;
	coupon_spec_lock_reply(&spec, &lr);
	if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
	    (e = coupon_wallet_on_locked(&ws.cfg, &s, ws.coins, &lr)) != OBOL_OK)
		goto fail;
	size_t coin = s.coin;
	uint64_t lock_index = lr.index;
	for (uint64_t i = 1; i < k; i++) {
		struct coupon_token_req treq;
		struct coupon_token tok;
		struct coupon_pay pay;
		enum coupon_wallet_answer ans;
		if ((e = read_type(dl1, COUPON_MSG_TOKEN_REQ, &body, &len)) != OBOL_OK)
			goto fail;
		coupon_spec_token_req(&spec, &treq);
		if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
		    (e = coupon_wallet_on_token_req(&ws.cfg, &s, ws.coins, ws.ncoins, &treq, obol_now(), &ans, &tok,
						    &pay)) != OBOL_OK)
			goto fail;
		coupon_spec_token(&spec, &tok);
		if ((e = obol_devlink_write(dl1, COUPON_MSG_TOKEN, &spec.fields)) != OBOL_OK)
			goto fail;
	}
	printf("paid_vendor1: %" PRIu64 "\n", k);
	fflush(stdout);
	/* no more tokens: frames of no session (a type nobody owns, a coupon
	 * type nobody uses) keep the link busy until T has passed */
	bool closed_before_t = false;
	struct obol_field none[1];
	struct obol_fields empty = { none, 0 };
	while (obol_now() <= deadline) {
		uint32_t type;
		e = obol_devlink_read(dl1, &type, &body, &len);
		if (e == OBOL_E_DEVLINK_CLOSED ||
		    (e == OBOL_E_NETWORK && (obol_devlink_write(dl1, 200, &empty) != OBOL_OK ||
					     obol_devlink_write(dl1, 40, &empty) != OBOL_OK))) {
			closed_before_t = true;
			break;
		}
		/* any other frame (the vendor's answers to the junk): read on */
	}
	printf("link_closed_before_T: %s\n", closed_before_t ? "yes" : "no");
	fflush(stdout);
	/* past T: the same tokens at vendor 2, from the index vendor 1 locked */
	struct timespec ts = { 1, 0 };
	nanosleep(&ts, NULL);
	ws.coins[coin].last_index = lock_index;
	ws.coins[coin].lock_open = false;
	ws.coins[coin].trav_len = 0;
	memset(&s, 0, sizeof(s));
	if ((e = obol_devlink_connect_vendor(v2, 5000, ws.cfg.issuer_pk, &dl2)) != OBOL_OK || (e = open_session(dl2, &ws, &s, k, &deadline)) != OBOL_OK)
		goto fail;
	uint32_t type;
	if ((e = obol_devlink_read(dl2, &type, &body, &len)) != OBOL_OK)
		goto fail;
	if (type == COUPON_MSG_LOCKED) {
		printf("second_spend: locked\n");
	} else {
		struct coupon_error err;
		memset(&err, 0, sizeof(err));
		coupon_spec_error(&spec, &err);
		if (obol_cbor_decode(body, len, &spec.fields) != OBOL_OK)
			err.name[0] = '\0';
		printf("second_spend: refused %s\n", err.name);
	}
	obol_devlink_close(dl2);
	obol_devlink_close(dl1);
	coupon_wallet_session_wipe(&s);
	coupon_wstore_free(&ws);
	obol_wallet_close(w);
	return 0;
fail:
	fprintf(stderr, "coupon-link-holder: %s\n", obol_strerror(e));
	obol_devlink_close(dl2);
	obol_devlink_close(dl1);
	obol_wallet_close(w);
	return 1;
}

OBOL_ATTACK(coupon_link_holder, "coupon-link-holder",
	    "--wallet PATH --vendor HOST:PORT --vendor2 HOST:PORT [--pay K]",
	    "a coupon payer that holds a link past T with junk frames, then spends the same tokens elsewhere", holder)
