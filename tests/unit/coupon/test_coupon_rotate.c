/* Denomination keys rotate (docs/operations.md "Windows"): one
 * denomination (value, n) is a series of keys, each with its windows. A
 * coin under the old key is spent until the old key's spend-until (its
 * accept_until), refunded after it until its legal end, refused after that
 * with a named error; a withdrawal before the successor's valid_from is
 * under the old key. The fixture's denomination 2 becomes the successor of
 * denomination 1 here. */
#include <string.h>

#include "../test.h"
#include "crypto/secret.h"
#include "crypto/rsa.h"
#include "fixture.h"
#include "issuer/coupon_rotate.h"
#include "issuer/coupon_store.h"
#include "schemes/coupon/keys.h"

#define ACCOUNT 7
#define DAY INT64_C(86400)

/* Denomination 2 (index 1) becomes denomination 1's successor: EUR:1, FX_N
 * tokens, issuing from the second after 1 stops. The vendors' certificates
 * are made to outlive both keys. */
static int rotate_setup(struct fx *f)
{
	if (cfx_init(f) != 0)
		return -1;
	coupon_denom_successor(&f->denom[0], 2, &f->denom[1]);
	f->denom[1].key = f->key[1];
	if (coupon_denom_check(&f->denom[1]) != OBOL_OK)
		return -1;
	for (int v = 0; v < 2; v++) {
		struct fx_vendor *vd = &f->v[v];
		cfx_cert_make(vd->cert, &vd->cert_len, vd->kp.pk, 100 + v, FX_NOW - 10, FX_NOW + 30 * DAY,
			      f->master.sk);
		vd->cfg.cert_len = vd->cert_len;
		obol_sha256(vd->cfg.cert_hash, vd->cert, vd->cert_len);
	}
	return 0;
}

#define SETUP(f)                   \
	static struct fx f;        \
	REQUIRE(rotate_setup(&f) == 0)

TEST(coupon_rotate, successor_windows_follow_on)
{
	SETUP(f);
	const struct coupon_denom *a = &f.denom[0], *b = &f.denom[1];
	CHECK_EQ_INT(b->valid_from, a->withdraw_until + 1);
	CHECK_EQ_INT(b->withdraw_until - b->valid_from, a->withdraw_until - a->valid_from);
	CHECK_EQ_INT(b->spend_until - b->withdraw_until, a->spend_until - a->withdraw_until);
	CHECK_EQ_INT(b->legal_end - b->spend_until, a->legal_end - a->spend_until);
	CHECK_EQ_INT(b->value.units, a->value.units);
	CHECK_EQ_INT(b->n, a->n);
	/* the newest of the series is drawn for once its predecessor is within the lookahead */
	CHECK(!coupon_denom_newest(f.denom, 2, 0));
	CHECK(coupon_denom_newest(f.denom, 2, 1));
	CHECK(coupon_denom_due(a, a->withdraw_until - 10 * DAY, 11 * DAY));
	CHECK(!coupon_denom_due(a, a->withdraw_until - 10 * DAY, 9 * DAY));
	cfx_free(&f);
}

TEST(coupon_rotate, withdraw_before_the_successor_is_under_the_old_key)
{
	SETUP(f);
	struct coupon_keys k = { .ndenoms = 2, .lock_max_s = 3600 };
	uint32_t one = 1, two = 2, nine = 9;
	memcpy(k.denoms, f.denom, sizeof f.denom);
	/* before the successor's valid_from: the old key, whichever id of the series is named */
	CHECK_EQ_INT(coupon_keys_for_withdraw(&k, NULL, f.now)->id, 1);
	CHECK_EQ_INT(coupon_keys_for_withdraw(&k, &two, f.now)->id, 1);
	CHECK(coupon_keys_for_withdraw(&k, &nine, f.now) == NULL);
	CHECK_ERR(cfx_withdraw(&f, 1), OBOL_E_COUPON_WITHDRAW_NOT_YET);
	/* the issuer refuses the successor before its window, whatever the wallet does */
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	struct coupon_withdraw_reply reply;
	const struct coupon_denom *den;
	REQUIRE_OK(coupon_wallet_withdraw_prepare(&f.denom[1], f.denom[1].valid_from, &p, &req));
	CHECK_ERR(coupon_issuer_withdraw(&f.is, &req, f.denom[1].valid_from - 1, &reply, &den),
		  OBOL_E_COUPON_WITHDRAW_NOT_YET);
	coupon_wallet_pending_wipe(&p);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	CHECK_EQ_INT(f.coins[0].coin.denom, 1);
	/* the old key's last second, then the successor's first */
	f.now = f.denom[0].withdraw_until;
	CHECK_EQ_INT(coupon_keys_for_withdraw(&k, &two, f.now)->id, 1);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	f.now++;
	CHECK_EQ_INT(coupon_keys_for_withdraw(&k, &one, f.now)->id, 2);
	CHECK_EQ_INT(coupon_keys_for_withdraw(&k, NULL, f.now)->id, 2);
	CHECK_ERR(cfx_withdraw(&f, 0), OBOL_E_COUPON_WITHDRAW_CLOSED);
	REQUIRE_OK(cfx_withdraw(&f, 1));
	CHECK_EQ_INT(f.coins[2].coin.denom, 2);
	cfx_free(&f);
}

TEST(coupon_rotate, old_coin_spends_until_accept_until_then_refunds_until_legal_end)
{
	SETUP(f);
	struct coupon_lock_req lreq;
	struct coupon_lock_reply lreply;
	struct coupon_error refusal;
	struct coupon_refund_req rreq;
	struct coupon_refund_reply rreply;
	uint8_t box_hash[32];
	const struct coupon_denom *old = &f.denom[0];
	/* three coins under the old key */
	for (int i = 0; i < 3; i++)
		REQUIRE_OK(cfx_withdraw(&f, 0));
	/* past the successor's valid_from, before the old key's accept_until:
	 * a coin under the old key is spent */
	f.now = f.denom[1].valid_from + 60;
	REQUIRE_OK(cfx_session(&f, 0, 10));
	CHECK_EQ_INT(f.credited[0], 10);
	CHECK_EQ_INT(f.coins[0].coin.denom, 1);
	REQUIRE_OK(cfx_withdraw(&f, 1)); /* coins[3], under the successor */
	/* a lock asked for just before the old key's spend-until and judged
	 * after it: refused, the spend window is over; nothing credited */
	f.now = old->spend_until - 1000;
	REQUIRE_OK(cfx_open(&f, 1, 5, &lreq));
	CHECK_EQ_INT(lreq.coin.denom, 1);
	f.now = old->spend_until + 1;
	CHECK_ERR(cfx_issuer_lock(&f, &lreq, &lreply, &refusal), OBOL_E_COUPON_DENOM_EXPIRED);
	CHECK_EQ_INT(f.credited[1], 0);
	/* the wallet pays with the successor's coin now */
	memset(&f.v[1].s, 0, sizeof f.v[1].s);
	memset(&f.ws, 0, sizeof f.ws);
	REQUIRE_OK(cfx_session(&f, 1, 5));
	CHECK_EQ_INT(f.credited[1], 5);
	CHECK_EQ_INT(f.coins[3].last_index, FX_N - 5);
	/* refunded after the old key's spend-until, up to its legal end included */
	f.now = old->legal_end;
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &rreq, box_hash));
	REQUIRE_OK(cfx_issuer_refund(&f, &rreq, ACCOUNT, &rreply, NULL));
	CHECK_EQ_INT(rreply.refunded_tokens, FX_N - 10);
	REQUIRE_OK(coupon_wallet_refund_done(&f.wc, &f.coins[0], &rreq, &rreply));
	/* after the legal end: the wallet names it and does not ask; the
	 * issuer refuses a request made a second earlier; nothing moves */
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[2], ACCOUNT, f.now, &rreq, box_hash));
	f.now = old->legal_end + 1;
	CHECK_ERR(cfx_issuer_refund(&f, &rreq, ACCOUNT, &rreply, NULL), OBOL_E_COUPON_REFUND_LEGAL_END);
	CHECK_ERR(coupon_wallet_refund_make(&f.wc, &f.coins[2], ACCOUNT, f.now, &rreq, box_hash),
		  OBOL_E_COUPON_REFUND_LEGAL_END);
	CHECK_EQ_INT(f.refunded, FX_N - 10);
	CHECK(cfx_coin(&f, f.coins[2].coin.id) == NULL);
	/* the successor's coin: still spent, its own windows run on */
	CHECK(f.now < f.denom[1].spend_until);
	cfx_free(&f);
}

/* A wallet whose view of the old key's spend-until is wrong (a stale or
 * doctored key list) offers its coin for a lock that would outlive the
 * key's acceptance: the vendor refuses it before it asks the issuer. */
TEST(coupon_rotate, the_vendor_refuses_a_coin_whose_key_acceptance_ends_before_the_lock)
{
	SETUP(f);
	struct coupon_denom wallet_view[2];
	struct coupon_lock_req req;
	REQUIRE_OK(cfx_withdraw(&f, 0));
	REQUIRE_OK(cfx_withdraw(&f, 0));
	memcpy(wallet_view, f.denom, sizeof wallet_view);
	wallet_view[0].spend_until += DAY;
	f.wc.denoms = wallet_view;
	f.now = f.denom[0].spend_until - 100; /* T = now + 600 */
	CHECK_ERR(cfx_open(&f, 0, 5, &req), OBOL_E_COUPON_DENOM_EXPIRED);
	/* with T inside the acceptance, a coin of that key is taken (the other
	 * one: the wallet holds the first as offered until its T) */
	memset(&f.ws, 0, sizeof f.ws);
	f.now = f.denom[0].spend_until - 1000;
	REQUIRE_OK(cfx_open(&f, 0, 5, &req));
	CHECK_EQ_INT(req.coin.denom, 1);
	f.wc.denoms = f.denom;
	cfx_free(&f);
}

/* One chain withdrawn under the old key and under its successor (the
 * issuer signs blind) is one coin id: refunded once, whichever key it is
 * shown under next. */
TEST(coupon_rotate, a_coin_id_is_refunded_once_across_keys)
{
	SETUP(f);
	struct coupon_refund_req req;
	struct coupon_refund_reply reply;
	struct coupon_refusal refusal;
	uint8_t seed[32], box_hash[32];
	obol_random(seed, sizeof seed);
	REQUIRE_OK(cfx_withdraw_seed(&f, 0, seed));
	f.now = f.denom[1].valid_from;
	REQUIRE_OK(cfx_withdraw_seed(&f, 1, seed));
	CHECK(memcmp(f.coins[0].coin.id, f.coins[1].coin.id, 32) == 0);
	f.now = f.denom[0].spend_until + 1;
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[0], ACCOUNT, f.now, &req, box_hash));
	REQUIRE_OK(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, NULL));
	CHECK_EQ_INT(reply.refunded_tokens, FX_N);
	f.now = f.denom[1].spend_until + 1;
	REQUIRE_OK(coupon_wallet_refund_make(&f.wc, &f.coins[1], ACCOUNT, f.now, &req, box_hash));
	CHECK_ERR(cfx_issuer_refund(&f, &req, ACCOUNT, &reply, &refusal), OBOL_E_COUPON_DENOM_MISMATCH);
	CHECK_EQ_INT(f.refunded, FX_N);
	cfx_free(&f);
}

/* The issuer's side: the key plan's rotation draws a successor once the key
 * in use stops issuing within the lookahead, once, and stores it with the
 * next windows under the next id. */
TEST_DB(coupon_rotate, the_plan_draws_each_successor_once_within_the_lookahead)
{
	struct obol_store *s = NULL;
	struct coupon_denom d, got[COUPON_DENOMS_MAX];
	EVP_PKEY *key = NULL;
	size_t drawn = 0, n = 0;
	const int64_t t0 = FX_NOW;
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(coupon_store_migrate(s));
	REQUIRE_OK(obol_rsa_generate(1024, &key));
	memset(&d, 0, sizeof d);
	d.id = 1;
	REQUIRE_OK(obol_amount_parse("EUR:1", &d.value));
	d.n = 100;
	d.key = key;
	d.valid_from = t0;
	d.withdraw_until = t0 + 100 * DAY - 1;
	d.spend_until = t0 + 150 * DAY - 1;
	d.legal_end = t0 + 350 * DAY - 1;
	REQUIRE_OK(coupon_denom_check(&d));
	REQUIRE_OK(obol_store_begin(s));
	REQUIRE_OK(coupon_store_denom_add(s, &d));
	/* 50 days of lookahead: nothing due */
	REQUIRE_OK(coupon_rotate(s, t0, 50 * DAY, NULL, &drawn));
	CHECK_EQ_INT(drawn, 0);
	/* 120: the successor, and only it (it issues until day 200) */
	REQUIRE_OK(coupon_rotate(s, t0, 120 * DAY, NULL, &drawn));
	CHECK_EQ_INT(drawn, 1);
	REQUIRE_OK(coupon_rotate(s, t0, 120 * DAY, NULL, &drawn));
	CHECK_EQ_INT(drawn, 0);
	REQUIRE_OK(coupon_store_denoms(s, t0, got, COUPON_DENOMS_MAX, &n));
	REQUIRE(n == 2);
	CHECK_EQ_INT(got[1].id, 2);
	CHECK_EQ_INT(got[1].valid_from, t0 + 100 * DAY);
	CHECK_EQ_INT(got[1].withdraw_until, t0 + 200 * DAY - 1);
	CHECK_EQ_INT(got[1].spend_until, t0 + 250 * DAY - 1);
	CHECK_EQ_INT(got[1].legal_end, t0 + 450 * DAY - 1);
	CHECK_EQ_INT(got[1].value.units, d.value.units);
	CHECK_EQ_INT(obol_rsa_modulus_len(got[1].key), 128);
	CHECK(EVP_PKEY_eq(got[0].key, got[1].key) != 1);
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(got[i].key);
	/* day 90: the third key */
	REQUIRE_OK(coupon_rotate(s, t0 + 90 * DAY, 120 * DAY, NULL, &drawn));
	CHECK_EQ_INT(drawn, 1);
	REQUIRE_OK(coupon_store_denoms(s, t0, got, COUPON_DENOMS_MAX, &n));
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(got[2].valid_from, t0 + 200 * DAY);
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(got[i].key);
	REQUIRE_OK(obol_store_commit(s));
	EVP_PKEY_free(key);
	obol_store_close(s);
}
