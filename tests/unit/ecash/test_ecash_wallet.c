/* The wallet's side of an offline payment over a real device link (a
 * socketpair, the merchant on a thread), in its two messages: a refusal of
 * PAY leaves the coins the wallet's (nothing signed left); once SIGN left,
 * only the merchant's signed receipt makes them the merchant's, and a
 * refusal, silence or a receipt it did not sign leaves them unconfirmed
 * (it may hold them) for the exchange at the bank, never spendable again
 * as they were (issue 12, case 4). A top-up whose answer was lost is kept
 * in the wallet before it leaves and sent again, byte for byte, by the next
 * command; the bank carries it out once (case 3). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "fixture.h"
#include "net/http_client.h"
#include "wallet/ecash_wallet.h"
#include "wallet/file.h"
#include "wire/json.h"
#include "wire/cbor.h"
#include "../net/link_fixture.h"
#include "../test.h"

enum behaviour {
	REFUSE_PAY,   /* an honest refusal of PAY */
	KEEP_REFUSE,  /* takes the signatures, keeps the coins, answers a refusal */
	SILENT,       /* takes the signatures, then the link just ends */
	FAKE_RECEIPT, /* a receipt it did not sign */
	ACCEPT,
};

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
	struct ecash_signatures sg = { 0 };
	struct ecash_signatures_spec ssp;
	struct ecash_ready rd;
	struct ecash_ready_spec rsp;
	struct ecash_receipt rc;
	struct ecash_receipt_spec rcs;
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
	if (e == OBOL_OK)
		e = ecash_merchant_verify(t->m, &p, obol_now());
	if (e == OBOL_OK && t->how == REFUSE_PAY) {
		e = obol_devlink_write_error(t->l, OBOL_E_ECASH_COIN_ALREADY_HELD);
		goto out;
	}
	memcpy(rd.nonce, p.nonce, ECASH_NONCE_LEN);
	ecash_ready_spec(&rsp, &rd);
	if (e == OBOL_OK)
		e = obol_devlink_write(t->l, ECASH_MSG_READY, &rsp.s);
	if (e == OBOL_OK)
		e = obol_devlink_read(t->l, &type, &body, &len);
	ecash_signatures_spec(&ssp, &sg, true);
	if (e == OBOL_OK)
		e = ecash_signatures_done(&ssp, obol_cbor_decode(body, len, &ssp.s));
	if (e == OBOL_OK && (e = ecash_payment_attach(&p, &sg)) == OBOL_OK)
		e = ecash_merchant_verify_sigs(t->m, &p);
	if (e == OBOL_OK)
		e = ecash_merchant_accept(t->m, &p, &rc); /* it holds complete, depositable claims now */
	if (e == OBOL_OK && t->how == KEEP_REFUSE)
		e = obol_devlink_write_error(t->l, OBOL_E_ECASH_COIN_ALREADY_HELD);
	if (e == OBOL_OK && (t->how == ACCEPT || t->how == FAKE_RECEIPT)) {
		if (t->how == FAKE_RECEIPT)
			rc.sig[7] ^= 1;
		ecash_receipt_spec(&rcs, &rc);
		e = obol_devlink_write(t->l, ECASH_MSG_RECEIPT, &rcs.s);
	}
out:
	ecash_signatures_clear(&sg);
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
	obol_err e = ecash_wallet_pay(ew, mine, 0, NULL, devnull);
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
	json_t *ok = json_object();
	if (ok == NULL || json_object_set_new(sec, "owner_keys", ok) != 0)
		return -1;
	for (size_t i = 0; i < w->p[0].ncoins; i++) {
		char name[OBOL_B64_LEN(ECASH_OWNER_LEN)];
		if (obol_b64_encode(w->p[0].coins[i].coin.owner, ECASH_OWNER_LEN, name, sizeof(name)) != OBOL_OK ||
		    obol_wallet_json_set_bytes(ok, name, w->p[0].owner_sks[i], ECASH_OWNER_SK_LEN) != OBOL_OK)
			return -1;
	}
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

/* Issue 18: a wallet opens again whatever number of coins it saved (it
 * refused more than 4096 at open, after saving them: WALLET_FILE). */
TEST(ecash_wallet, a_wallet_of_5000_coins_opens_again)
{
	static const char *const one[] = { "EUR:1" };
	struct fx w;
	struct obol_wallet *wal = NULL;
	struct ecash_wallet ew, again;
	REQUIRE(fx_init(&w, 1) == 0);
	REQUIRE(fx_topup(&w, 0, one, 1) == 0);
	REQUIRE(make_wallet(&w, &wal, &ew) == 0);
	REQUIRE(ew.ncoins == 1);
	struct ecash_held_coin *nc = realloc(ew.coins, 5000 * sizeof(*nc));
	REQUIRE(nc != NULL);
	ew.coins = nc;
	for (; ew.ncoins < 5000; ew.ncoins++)
		REQUIRE_OK(ecash_held_copy(&ew.coins[ew.ncoins], &ew.coins[0]));
	REQUIRE_OK(ecash_wallet_save(&ew));
	ecash_wallet_free(&ew);
	CHECK_OK(ecash_wallet_load(wal, &again));
	CHECK_EQ_INT(again.ncoins, 5000);
	ecash_wallet_free(&again);
	obol_wallet_close(wal);
	fx_free(&w);
}

TEST(ecash_wallet, coins_that_left_come_back_only_through_the_bank)
{
	static const char *const three[] = { "EUR:1", "EUR:1", "EUR:1" };
	struct fx w;
	struct obol_wallet *wal = NULL;
	struct ecash_wallet ew;
	obol_err me;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, three, 3) == 0);
	REQUIRE(make_wallet(&w, &wal, &ew) == 0);
	struct ecash_merchant *m = &w.p[1].m;

	/* A refusal of PAY: nothing signed left; the coins are still ours. */
	CHECK_ERR(pay_once(&ew, m, REFUSE_PAY, &me), OBOL_E_ECASH_COIN_ALREADY_HELD);
	CHECK_OK(me);
	CHECK_EQ_INT(ew.ncoins, 3);
	CHECK_EQ_INT(ew.nunconfirmed, 0);

	/* A merchant that took the signatures and says it refuses: its word is
	 * unsigned and it may deposit them; the coin is unconfirmed, not back. */
	CHECK_ERR(pay_once(&ew, m, KEEP_REFUSE, &me), OBOL_E_ECASH_COIN_ALREADY_HELD);
	CHECK_OK(me);
	CHECK_EQ_INT(ew.ncoins, 2);
	CHECK_EQ_INT(ew.nunconfirmed, 1);
	/* The unconfirmed coin carries the claim we made, for the bank. */
	CHECK_EQ_INT(ew.unconfirmed[0].nchain, 1);
	CHECK_MEM_EQ(ew.unconfirmed[0].chain[0].payee, m->id, ECASH_ID_LEN);

	/* Silence after SIGN, and a receipt the merchant did not sign: the
	 * same; also in the file. */
	CHECK_ERR(pay_once(&ew, m, SILENT, &me), OBOL_E_DEVLINK_CLOSED);
	CHECK_ERR(pay_once(&ew, m, FAKE_RECEIPT, &me), OBOL_E_ECASH_RECEIPT_SIGNATURE);
	CHECK_EQ_INT(ew.ncoins, 0);
	CHECK_EQ_INT(ew.nunconfirmed, 3);
	struct ecash_wallet again;
	ecash_wallet_free(&ew);
	REQUIRE_OK(ecash_wallet_load(wal, &again));
	CHECK_EQ_INT(again.ncoins, 0);
	CHECK_EQ_INT(again.nunconfirmed, 3);
	ew = again;
	ecash_wallet_free(&ew);
	obol_wallet_close(wal);
	fx_free(&w);
}

TEST(ecash_wallet, a_signed_receipt_makes_the_coins_the_merchants)
{
	static const char *const one[] = { "EUR:1" };
	struct fx w;
	struct obol_wallet *wal = NULL;
	struct ecash_wallet ew;
	obol_err me;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, one, 1) == 0);
	REQUIRE(make_wallet(&w, &wal, &ew) == 0);
	CHECK_OK(pay_once(&ew, &w.p[1].m, ACCEPT, &me));
	CHECK_OK(me);
	CHECK_EQ_INT(ew.ncoins, 0);
	CHECK_EQ_INT(ew.nunconfirmed, 0);
	CHECK_EQ_INT(w.p[1].m.nseen, 1);
	/* The owner secret of the spent coin is gone from the file. */
	CHECK_EQ_INT(json_object_size(json_object_get(ew.sec, "owner_keys")), 0);
	ecash_wallet_free(&ew);
	obol_wallet_close(wal);
	fx_free(&w);
}

/* A file of the version before this one, with a deposit whose answer was
 * lost kept under its older name: its coins are held again (the next
 * deposit brings them; the bank answers what it took once). */
TEST(ecash_wallet, an_older_files_kept_deposit_comes_back_to_the_held_coins)
{
	static const char *const one[] = { "EUR:1" };
	struct fx w;
	struct obol_wallet *wal = NULL;
	struct ecash_wallet ew, again;
	json_t *older = NULL;
	REQUIRE(fx_init(&w, 1) == 0);
	REQUIRE(fx_topup(&w, 0, one, 1) == 0);
	REQUIRE(make_wallet(&w, &wal, &ew) == 0);
	REQUIRE_OK(ecash_coins_to_json(ew.coins, ew.ncoins, &older));
	REQUIRE(json_object_set_new(ew.sec, "depositing", older) == 0);
	/* Only the older name holds the coin. */
	REQUIRE(json_object_set_new(ew.sec, "held", json_pack("{s:[], s:[]}", "coins", "claims")) == 0);
	ecash_wallet_free(&ew);
	REQUIRE_OK(ecash_wallet_load(wal, &again));
	CHECK_EQ_INT(again.ncoins, 1);
	REQUIRE_OK(ecash_wallet_save(&again));
	CHECK(json_object_get(again.sec, "depositing") == NULL);
	ecash_wallet_free(&again);
	obol_wallet_close(wal);
	fx_free(&w);
}

/* A bank behind the HTTP transport seam (src/net/http_client.h), with the
 * real core: it answers /ecash/nonce, and carries out /ecash/topup once per
 * request body (a body sent again gets the stored answer, as the issuer's
 * idempotency by nonce does). `lose` drops the next top-up answer after
 * the bank carried it out. */
struct fake_bank {
	struct fx *w;
	bool lose;
	unsigned carried_out, resent;
	char *body, *answer; /* the top-up carried out, and its answer */
};

static obol_err fake_topup(struct fake_bank *fb, const char *body, char **answer)
{
	struct ecash_topup_req *m = calloc(1, sizeof(*m));
	struct ecash_topup_reply *r = calloc(1, sizeof(*r));
	struct ecash_topup_req_spec sp;
	struct ecash_topup_reply_spec rsp;
	json_t *j = NULL;
	obol_err e = m != NULL && r != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		ecash_topup_req_spec(&sp, m);
		e = obol_json_decode_text(body, strlen(body), &sp.s);
	}
	if (e == OBOL_OK) {
		struct ecash_topup_in in = { .cert = &m->cert, .nonce = m->nonce, .orders = m->values, .n = m->nvalues,
					     .sig = m->sig, .sig_len = m->sig_len, .now = FX_NOW };
		e = ecash_bank_topup(&fb->w->bank, &in, r->coins, &r->total);
		r->ncoins = m->nvalues;
	}
	if (e == OBOL_OK) {
		ecash_topup_reply_spec(&rsp, r);
		e = obol_json_encode(&rsp.s, &j);
	}
	if (e == OBOL_OK && (*answer = json_dumps(j, JSON_COMPACT)) == NULL)
		e = OBOL_E_NO_MEMORY;
	json_decref(j);
	free(m);
	free(r);
	return e;
}

static obol_err fake_request(void *ctx, const char *base_url, const char *method, const char *path, const char *auth,
			     const void *body, size_t body_len, long *status, char **resp, size_t *resp_len)
{
	struct fake_bank *fb = ctx;
	char *text = NULL, *answer = NULL;
	json_t *j = NULL;
	obol_err e = OBOL_OK;
	(void)base_url;
	(void)method;
	(void)auth;
	if (strcmp(path, "/ecash/nonce") == 0) {
		struct ecash_nonce_reply r = { .expiry = FX_NOW + 300 };
		struct ecash_nonce_spec sp;
		obol_random(r.nonce, sizeof(r.nonce));
		ecash_nonce_reply_spec(&sp, &r);
		if ((e = obol_json_encode(&sp.s, &j)) == OBOL_OK && (answer = json_dumps(j, JSON_COMPACT)) == NULL)
			e = OBOL_E_NO_MEMORY;
		json_decref(j);
	} else if (strcmp(path, "/ecash/topup") == 0) {
		if ((text = strndup(body, body_len)) == NULL)
			return OBOL_E_NO_MEMORY;
		if (fb->body != NULL && strcmp(fb->body, text) == 0) {
			fb->resent++;
			answer = strdup(fb->answer);
			free(text);
		} else if ((e = fake_topup(fb, text, &answer)) == OBOL_OK) {
			fb->carried_out++;
			free(fb->body);
			free(fb->answer);
			fb->body = text;
			fb->answer = strdup(answer);
		} else {
			free(text);
		}
		if (e == OBOL_OK && fb->lose) {
			fb->lose = false;
			free(answer);
			return OBOL_E_NETWORK; /* committed, and the answer lost on its way */
		}
	} else {
		return OBOL_E_NETWORK;
	}
	if (e != OBOL_OK || answer == NULL) {
		free(answer);
		return e != OBOL_OK ? e : OBOL_E_NO_MEMORY;
	}
	*status = 200;
	*resp = answer;
	*resp_len = strlen(answer);
	return OBOL_OK;
}

TEST(ecash_wallet, a_lost_top_up_answer_is_asked_for_again_and_the_bank_issues_once)
{
	struct fx w;
	struct obol_wallet *wal = NULL;
	struct ecash_wallet ew, again;
	struct obol_sign_keypair acct;
	struct obol_amount two[2];
	struct fake_bank fb = { .w = &w, .lose = true };
	struct obol_http_transport t = { fake_request, &fb };
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	REQUIRE(fx_init(&w, 1) == 0);
	REQUIRE(make_wallet(&w, &wal, &ew) == 0);
	obol_sign_keypair_new(&acct);
	REQUIRE_OK(obol_wallet_set_account(wal, w.p[0].account, "p0", acct.sk));
	REQUIRE_OK(obol_amount_parse("EUR:1", &two[0]));
	two[1] = two[0];
	obol_http_set_transport(&t);

	/* The bank issues; the answer is lost: the request stays in the file. */
	CHECK_ERR(ecash_wallet_topup(&ew, two, 2, devnull), OBOL_E_NETWORK);
	CHECK_EQ_INT(fb.carried_out, 1);
	CHECK_EQ_INT(ew.ncoins, 0);
	ecash_wallet_free(&ew);
	REQUIRE_OK(ecash_wallet_load(wal, &again));
	CHECK(json_object_get(again.sec, "in_doubt") != NULL);

	/* The next top-up sends it again, the same bytes, and takes the
	 * stored answer: the coins paid for, issued once. */
	CHECK_OK(ecash_wallet_topup(&again, two, 1, devnull));
	CHECK_EQ_INT(fb.resent, 1);
	CHECK_EQ_INT(fb.carried_out, 1);
	CHECK_EQ_INT(again.ncoins, 2);
	CHECK(json_object_get(again.sec, "in_doubt") == NULL);

	obol_http_set_transport(NULL);
	free(fb.body);
	free(fb.answer);
	ecash_wallet_free(&again);
	obol_wallet_close(wal);
	fx_free(&w);
	fclose(devnull);
}

/* A revocation list as fetched (from bank-signed pages) at version
 * `issued`, naming party `revoked` revoked at `at` (none when revoked < 0). */
static int fetched_list(struct fx *w, int64_t issued, int revoked, int64_t at, struct ecash_revocations *rl)
{
	memset(rl, 0, sizeof(*rl));
	rl->held = true;
	rl->issued = issued;
	rl->whole_at = issued;
	if (revoked >= 0) {
		if ((rl->keys = calloc(1, sizeof(*rl->keys))) == NULL)
			return -1;
		memcpy(rl->keys[0].id, w->p[revoked].c.id, ECASH_ID_LEN);
		rl->keys[0].at = at;
		rl->n = 1;
	}
	return 0;
}

/* A receiving wallet (`wallet ecash receive`) takes a payment only while
 * its revocation list covers the claim's time: the bank refuses a claim
 * made more than max_skew after its signer's revocation, and a key
 * revoked after the wallet's last refresh is unknown to it. Found by the
 * simulator (revoke-after-pay, seed 20261226): r, with a list older than
 * the revocation of a member of w2's ring, gave its receipt for coins the
 * bank then refused ECASH_KEY_REVOKED, and was credited nothing. */
TEST(ecash_wallet, a_receiving_wallet_takes_no_claim_its_revocation_list_does_not_cover)
{
	static const char *const one[] = { "EUR:1" };
	struct fx w;
	struct obol_wallet *wal = NULL;
	struct ecash_wallet ew;
	struct ecash_payment p = { 0 }, q = { 0 };
	struct ecash_revocations old, bank_now, fresh;
	size_t idx = 0;
	REQUIRE(fx_init(&w, 3) == 0);
	REQUIRE(fx_topup(&w, 1, one, 1) == 0);
	REQUIRE(fx_topup(&w, 2, one, 1) == 0);
	/* Party 0 receives in its wallet; its list was fetched 400 s ago. */
	REQUIRE(make_wallet(&w, &wal, &ew) == 0);
	REQUIRE(fetched_list(&w, FX_NOW - 400, -1, 0, &old) == 0);
	ew.rl = old;
	/* The operator revoked party 1's key 390 s ago; the bank's list says so. */
	REQUIRE(fetched_list(&w, FX_NOW, 1, FX_NOW - 390, &bank_now) == 0);
	ecash_merchant_free(&w.p[0].m);
	REQUIRE_OK(ecash_wallet_merchant(&ew, &w.p[0].m));

	/* Party 1 pays now: the bank would refuse its claim, so the wallet
	 * must not take it on a list that cannot tell. */
	REQUIRE_OK(fx_pay(&w, 1, 0, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	CHECK_ERR(ecash_bank_coin_verify(&w.bank, ECASH_ENTRY_DEPOSIT, &p.coins[0], &bank_now, FX_NOW),
		  OBOL_E_ECASH_KEY_REVOKED);
	CHECK_ERR(fx_accept(&w, 0, &p, FX_NOW), OBOL_E_ECASH_LIST_OLD);
	CHECK_EQ_INT(w.p[0].m.nseen, 0);
	ecash_payment_clear(&p);

	/* With a list that covers the payment: the revoked payer is refused at
	 * PAY (its coins stay its own), an unrevoked one is taken, and the bank
	 * credits what was taken. */
	REQUIRE(fetched_list(&w, FX_NOW - 10, 1, FX_NOW - 390, &fresh) == 0);
	REQUIRE_OK(ecash_merchant_set_revocations(&w.p[0].m, &fresh));
	REQUIRE_OK(fx_pay(&w, 1, 0, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	CHECK_ERR(fx_accept(&w, 0, &p, FX_NOW), OBOL_E_ECASH_KEY_REVOKED);
	REQUIRE_OK(fx_pay(&w, 2, 0, &idx, 1, "EUR:1", 0, FX_NOW, &q));
	CHECK_OK(fx_accept(&w, 0, &q, FX_NOW));
	CHECK_OK(ecash_bank_coin_verify(&w.bank, ECASH_ENTRY_DEPOSIT, &q.coins[0], &bank_now, FX_NOW));
	CHECK_EQ_INT(w.p[0].m.nseen, 1);

	ecash_payment_clear(&p);
	ecash_payment_clear(&q);
	ecash_revocations_clear(&bank_now);
	ecash_wallet_free(&ew);
	obol_wallet_close(wal);
	fx_free(&w);
}
