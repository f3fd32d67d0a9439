/* The wallet's side of an offline payment over a real device link (a
 * socketpair, the merchant on a thread): coins leave the wallet file before
 * they leave the device; a merchant's named refusal brings them back; a
 * merchant that goes silent after PAY leaves them pending (they may be its
 * now) until the user releases them; a receipt makes them the merchant's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "fixture.h"
#include "wallet/ecash_wallet.h"
#include "wire/cbor.h"
#include "../net/link_fixture.h"
#include "../test.h"

enum behaviour { REFUSE, SILENT, ACCEPT };

struct merchant_thread {
	struct obol_devlink *l;
	struct ecash_merchant *m;
	enum behaviour how;
	obol_err e;
};

static void *merchant_main(void *arg)
{
	struct merchant_thread *t = arg;
	uint32_t type;
	const uint8_t *body;
	size_t len;
	struct ecash_offer offer;
	struct ecash_offer_spec osp;
	struct ecash_payment p = { 0 };
	struct ecash_payment_spec psp;
	struct obol_amount price;
	obol_err e = obol_devlink_read(t->l, &type, &body, &len);
	if (e == OBOL_OK && (e = obol_amount_parse("EUR:1", &price)) == OBOL_OK)
		e = ecash_merchant_offer(t->m, &price, obol_now(), &offer);
	if (e == OBOL_OK) {
		ecash_offer_spec(&osp, &offer);
		e = obol_devlink_write(t->l, ECASH_MSG_OFFER, &osp.s);
	}
	if (e == OBOL_OK)
		e = obol_devlink_read(t->l, &type, &body, &len);
	if (e == OBOL_OK && (e = ecash_payment_spec(&psp, &p, true)) == OBOL_OK)
		e = ecash_payment_done(&psp, obol_cbor_decode(body, len, &psp.s));
	if (e == OBOL_OK && t->how == REFUSE)
		e = obol_devlink_write_error(t->l, OBOL_E_ECASH_COIN_ALREADY_HELD);
	if (e == OBOL_OK && t->how == ACCEPT) {
		struct ecash_receipt rc = { .ncoins = p.ncoins, .value = price };
		struct ecash_receipt_spec rsp;
		memcpy(rc.nonce, p.nonce, ECASH_NONCE_LEN);
		ecash_receipt_spec(&rsp, &rc);
		if ((e = ecash_merchant_accept(t->m, &p, obol_now())) == OBOL_OK)
			e = obol_devlink_write(t->l, ECASH_MSG_RECEIPT, &rsp.s);
	}
	ecash_payment_clear(&p);
	obol_devlink_close(t->l); /* SILENT: the link just ends */
	t->e = e;
	return NULL;
}

/* One payment from ew to a merchant thread behaving as `how`. */
static obol_err pay_once(struct ecash_wallet *ew, struct ecash_merchant *m, enum behaviour how, obol_err *merchant_e)
{
	struct obol_devlink *mine = NULL;
	struct merchant_thread t = { .m = m, .how = how };
	pthread_t th;
	FILE *devnull = fopen("/dev/null", "w");
	struct obol_sign_keypair master;
	struct test_link_vendor v;
	obol_sign_keypair_new(&master);
	struct obol_devlink_expect x = { .issuer_pk = master.pk };
	if (test_link_vendor(master.sk, &v) != OBOL_OK || test_link_pair(&x, &v.id, 5000, &mine, &t.l) != OBOL_OK ||
	    pthread_create(&th, NULL, merchant_main, &t) != 0)
		return OBOL_E_IO;
	obol_err e = ecash_wallet_pay(ew, mine, 0, devnull);
	pthread_join(th, NULL);
	obol_devlink_close(mine);
	fclose(devnull);
	*merchant_e = t.e;
	return e;
}

/* A wallet file holding party 0's registration and wallet coins. */
static int make_wallet(struct fx *w, struct obol_wallet **out, struct ecash_wallet *ew)
{
	char key[512], path[512];
	uint8_t k[32], mpk[32] = { 1 }, bpk[32] = { 2 }, *der = NULL;
	size_t len;
	json_t *cert = NULL;
	snprintf(key, sizeof(key), "%s/key", test_tmpdir());
	snprintf(path, sizeof(path), "%s/w.wallet", test_tmpdir());
	obol_random(k, sizeof(k));
	FILE *f = fopen(key, "wb");
	if (f == NULL || fwrite(k, 1, sizeof(k), f) != sizeof(k) || fclose(f) != 0)
		return -1;
	struct obol_wallet_keysrc ks = { .key_file = key };
	if (obol_wallet_create(path, &ks, out) != OBOL_OK ||
	    obol_wallet_set_issuer(*out, "http://127.0.0.1:1", mpk, bpk, "EUR") != OBOL_OK)
		return -1;
	json_t *sec = obol_wallet_section(*out, "ecash");
	if (obol_rsa_private_to_der(w->p[0].sk, &der, &len) != OBOL_OK ||
	    obol_wallet_json_set_bytes(sec, "key", der, len) != OBOL_OK)
		return -1;
	obol_rsa_der_free(der, len);
	if (obol_rsa_public_to_der(w->bank_sk, &der, &len) != OBOL_OK ||
	    obol_wallet_json_set_bytes(sec, "bank_key", der, len) != OBOL_OK)
		return -1;
	OPENSSL_free(der);
	if (ecash_cert_to_json(&w->p[0].c.cert, &cert) != OBOL_OK || json_object_set_new(sec, "cert", cert) != 0 ||
	    ecash_wallet_load(*out, ew) != OBOL_OK)
		return -1;
	for (size_t i = 0; i < w->p[0].ncoins; i++) {
		struct ecash_held_coin *nc = realloc(ew->coins, (ew->ncoins + 1) * sizeof(*nc));
		if (nc == NULL)
			return -1;
		ew->coins = nc;
		if (ecash_held_copy(&ew->coins[ew->ncoins], &w->p[0].coins[i]) != OBOL_OK)
			return -1;
		ew->ncoins++;
	}
	return ecash_wallet_save(ew) == OBOL_OK ? 0 : -1;
}

TEST(ecash_wallet, pending_coins_follow_the_merchants_answer)
{
	static const char *const two[] = { "EUR:1", "EUR:1" };
	struct fx w;
	struct obol_wallet *wal = NULL;
	struct ecash_wallet ew;
	obol_err me;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, two, 2) == 0);
	REQUIRE(make_wallet(&w, &wal, &ew) == 0);
	struct ecash_merchant *m = &w.p[1].m;

	/* A named refusal: the coins come back. */
	CHECK_ERR(pay_once(&ew, m, REFUSE, &me), OBOL_E_ECASH_COIN_ALREADY_HELD);
	CHECK_OK(me);
	CHECK_EQ_INT(ew.ncoins, 2);
	CHECK_EQ_INT(ew.npending, 0);

	/* Silence after PAY: the merchant may hold the coin; it stays pending,
	 * also in the file. */
	CHECK_ERR(pay_once(&ew, m, SILENT, &me), OBOL_E_DEVLINK_CLOSED);
	CHECK_EQ_INT(ew.ncoins, 1);
	CHECK_EQ_INT(ew.npending, 1);
	struct ecash_wallet again;
	ecash_wallet_free(&ew);
	REQUIRE_OK(ecash_wallet_load(wal, &again));
	CHECK_EQ_INT(again.ncoins, 1);
	CHECK_EQ_INT(again.npending, 1);
	ew = again;
	FILE *devnull = fopen("/dev/null", "w");
	CHECK_OK(ecash_wallet_release(&ew, devnull));
	fclose(devnull);
	CHECK_EQ_INT(ew.ncoins, 2);
	CHECK_EQ_INT(ew.npending, 0);

	/* A receipt: the coin is the merchant's. */
	CHECK_OK(pay_once(&ew, m, ACCEPT, &me));
	CHECK_OK(me);
	CHECK_EQ_INT(ew.ncoins, 1);
	CHECK_EQ_INT(ew.npending, 0);
	CHECK_EQ_INT(m->nseen, 1);

	ecash_wallet_free(&ew);
	obol_wallet_close(wal);
	fx_free(&w);
}
