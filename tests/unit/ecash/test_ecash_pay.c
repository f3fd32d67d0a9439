/* Offline payment at a merchant (seed 002 §3.3.2, §3.5.1, §3.5.6): the
 * honest path, and each of the merchant's checks refusing its forgery with
 * its named error while the merchant's state stays as it was (the honest
 * payment on the same offer still passes afterwards). */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "../test.h"

static const char *const one_euro[] = { "EUR:1" };

/* World with customer 0 and merchant 1; customer holds one EUR:1 coin. */
static int setup(struct fx *w, size_t parties)
{
	if (fx_init(w, parties) != 0)
		return -1;
	return fx_topup(w, 0, one_euro, 1);
}

/* The honest payment is still accepted: the refusal before it changed nothing. */
static void check_unchanged_then_accept(struct fx *w, const struct ecash_payment *honest)
{
	CHECK_EQ_INT(w->p[1].m.nseen, 0);
	CHECK(!ecash_merchant_holds(&w->p[1].m, honest->coins[0].coin.serial));
	CHECK_OK(fx_accept(w, 1, honest, FX_NOW));
	CHECK(ecash_merchant_holds(&w->p[1].m, honest->coins[0].coin.serial));
}

TEST(ecash_pay, honest_payment_is_accepted_and_registered)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	CHECK_EQ_INT(p.ncoins, 1);
	CHECK_EQ_INT(p.coins[0].nchain, 1);
	CHECK_MEM_EQ(p.coins[0].chain[0].payee, w.p[1].c.id, ECASH_ID_LEN);
	CHECK_OK(ecash_merchant_verify(&w.p[1].m, &p, FX_NOW));
	CHECK_OK(fx_accept(&w, 1, &p, FX_NOW));
	CHECK(ecash_merchant_holds(&w.p[1].m, p.coins[0].coin.serial));
	CHECK_EQ_INT(w.p[1].m.nseen, 1);
	/* The same payment again: its nonce is spent (a replay). */
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_NONCE_UNKNOWN);
	CHECK_EQ_INT(w.p[1].m.nseen, 1);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, forged_sigma0_coin_is_refused)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	/* A coin whose value was raised: σ0 no longer covers it. */
	struct ecash_coin *c = &p.coins[0].coin;
	REQUIRE_OK(obol_amount_parse("EUR:100", &c->value));
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_COIN_SIGNATURE);
	REQUIRE_OK(obol_amount_parse("EUR:1", &c->value));
	/* A coin with one bit of σ0 flipped. */
	fx_flip(c->sig, 7);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_COIN_SIGNATURE);
	fx_flip(c->sig, 7);
	/* A coin the customer signed itself, as if it were the bank. */
	struct ecash_coin keep = *c;
	struct ecash_bytes cb;
	REQUIRE_OK(ecash_coin_bytes(c, &cb));
	REQUIRE_OK(ecash_sign_bytes(w.p[0].sk, &cb, c->sig, &c->sig_len));
	ecash_bytes_free(&cb);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_COIN_SIGNATURE);
	*c = keep;
	check_unchanged_then_accept(&w, &p);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, forged_sigma1_nonce_signature_is_refused)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 3) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	fx_flip(p.sigma1, 3);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_NONCE_SIGNATURE);
	fx_flip(p.sigma1, 3);
	/* σ1 made by another registered key than the claim's. */
	struct ecash_bytes nb;
	uint8_t *s2 = NULL;
	size_t s2_len = 0;
	REQUIRE_OK(ecash_nonce_bytes(p.nonce, w.p[1].c.id, &nb));
	REQUIRE_OK(ecash_group_sign(&w.p[2].c.cert, 1, 0, w.p[2].sk, &nb, &s2, &s2_len));
	uint8_t *keep = p.sigma1;
	size_t keep_len = p.sigma1_len;
	p.sigma1 = s2;
	p.sigma1_len = s2_len;
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_NONCE_SIGNATURE);
	p.sigma1 = keep;
	p.sigma1_len = keep_len;
	free(s2);
	ecash_bytes_free(&nb);
	check_unchanged_then_accept(&w, &p);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, forged_sigma2_claim_is_refused)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	struct ecash_claim *c = &p.coins[0].chain[0];
	c->ts += 1; /* the claim no longer says what was signed */
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_CLAIM_SIGNATURE);
	c->ts -= 1;
	fx_flip(c->sig, 11);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_CLAIM_SIGNATURE);
	fx_flip(c->sig, 11);
	check_unchanged_then_accept(&w, &p);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, forged_sigma3_certificate_is_refused)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	struct ecash_cert *cert = &p.coins[0].chain[0].certs[0];
	cert->account = 999; /* a certificate edited to link another account */
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);
	cert->account = w.p[0].account;
	fx_flip(cert->sig, 5);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);
	fx_flip(cert->sig, 5);
	check_unchanged_then_accept(&w, &p);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, self_certified_key_is_refused)
{
	/* A customer that certifies its own key with itself instead of the bank. */
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	struct ecash_cert forged = w.p[0].c.cert;
	struct ecash_bytes cb;
	REQUIRE_OK(ecash_cert_bytes(&forged, &cb));
	REQUIRE_OK(ecash_sign_bytes(w.p[0].sk, &cb, forged.sig, &forged.sig_len));
	ecash_bytes_free(&cb);
	w.p[0].c.cert = forged;
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);
	CHECK_EQ_INT(w.p[1].m.nseen, 0);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, stale_or_future_timestamp_is_refused)
{
	struct fx w;
	struct ecash_payment old, future, p;
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	/* Claims made 10 minutes from the merchant's clock, either way. */
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW - 600, &old));
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW + 600, &future));
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	/* old's offer was made at FX_NOW-600 and expired; offer it again fresh. */
	memcpy(old.nonce, p.nonce, ECASH_NONCE_LEN);
	memcpy(future.nonce, p.nonce, ECASH_NONCE_LEN);
	free(old.sigma1);
	free(future.sigma1);
	old.sigma1 = future.sigma1 = NULL;
	struct ecash_bytes nb;
	REQUIRE_OK(ecash_nonce_bytes(p.nonce, w.p[1].c.id, &nb));
	REQUIRE_OK(ecash_group_sign(&w.p[0].c.cert, 1, 0, w.p[0].sk, &nb, &old.sigma1, &old.sigma1_len));
	REQUIRE_OK(ecash_group_sign(&w.p[0].c.cert, 1, 0, w.p[0].sk, &nb, &future.sigma1, &future.sigma1_len));
	ecash_bytes_free(&nb);
	CHECK_ERR(fx_accept(&w, 1, &old, FX_NOW), OBOL_E_ECASH_TIMESTAMP_STALE);
	CHECK_ERR(fx_accept(&w, 1, &future, FX_NOW), OBOL_E_ECASH_TIMESTAMP_STALE);
	check_unchanged_then_accept(&w, &p);
	ecash_payment_clear(&old);
	ecash_payment_clear(&future);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, unknown_replayed_and_expired_nonces_are_refused)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	/* A nonce this merchant never issued. */
	uint8_t keep[ECASH_NONCE_LEN];
	memcpy(keep, p.nonce, sizeof(keep));
	fx_flip(p.nonce, 0);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_NONCE_UNKNOWN);
	memcpy(p.nonce, keep, sizeof(keep));
	/* Too late: the offer lived nonce_lifetime seconds. */
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW + w.p[1].m.nonce_lifetime + 1),
		  OBOL_E_ECASH_NONCE_EXPIRED);
	check_unchanged_then_accept(&w, &p);
	/* Replayed after acceptance. */
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_NONCE_UNKNOWN);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, revoked_key_is_refused_and_lists_are_checked)
{
	struct fx w;
	struct ecash_payment p;
	struct ecash_revocations rl = { 0 }, older = { 0 };
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));

	rl.held = true;
	rl.issued = FX_NOW - 10;
	rl.keys = calloc(1, sizeof(*rl.keys));
	REQUIRE(rl.keys != NULL);
	memcpy(rl.keys[0].id, w.p[0].c.id, ECASH_ID_LEN);
	rl.keys[0].at = FX_NOW - 10;
	rl.n = 1;
	/* (a list is put together from bank-signed pages: test_ecash_rl_pages) */
	CHECK_ERR(ecash_merchant_set_revocations(&w.p[1].m, &older), OBOL_E_INVALID_ARGUMENT);
	CHECK_OK(ecash_merchant_set_revocations(&w.p[1].m, &rl));
	/* An older list does not replace a newer one. */
	older.held = true;
	older.issued = FX_NOW - 20;
	CHECK_ERR(ecash_merchant_set_revocations(&w.p[1].m, &older), OBOL_E_ECASH_LIST_STALE);
	ecash_revocations_clear(&older);

	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_KEY_REVOKED);
	CHECK_EQ_INT(w.p[1].m.nseen, 0);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_pay, claim_naming_another_merchant_is_refused)
{
	struct fx w;
	struct ecash_payment p, honest;
	struct ecash_offer offer_b;
	struct obol_amount price;
	size_t idx = 0;
	REQUIRE(setup(&w, 3) == 0);
	REQUIRE_OK(obol_amount_parse("EUR:1", &price));
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &honest));
	/* Merchant 1's nonce, but the claim names merchant 2 (a coin paid to 2
	 * presented at 1), with a valid σ1 for merchant 1. */
	REQUIRE_OK(ecash_merchant_offer(&w.p[2].m, &price, FX_NOW, &offer_b));
	memcpy(offer_b.nonce, honest.nonce, ECASH_NONCE_LEN);
	struct ecash_pay_in in = { .offer = &offer_b, .held = w.p[0].coins, .idx = &idx, .nidx = 1,
				   .owner_sks = (const uint8_t(*)[ECASH_OWNER_SK_LEN])w.p[0].owner_sks, .now = FX_NOW };
	REQUIRE_OK(ecash_customer_pay(&w.p[0].c, &in, &p));
	free(p.sigma1);
	p.sigma1 = NULL;
	struct ecash_bytes nb;
	REQUIRE_OK(ecash_nonce_bytes(p.nonce, w.p[1].c.id, &nb));
	REQUIRE_OK(ecash_group_sign(&w.p[0].c.cert, 1, 0, w.p[0].sk, &nb, &p.sigma1, &p.sigma1_len));
	ecash_bytes_free(&nb);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_WRONG_MERCHANT);
	check_unchanged_then_accept(&w, &honest);
	ecash_payment_clear(&p);
	ecash_payment_clear(&honest);
	fx_free(&w);
}

TEST(ecash_pay, coin_already_held_is_refused)
{
	struct fx w;
	struct ecash_payment p1, p2;
	size_t idx = 0;
	REQUIRE(setup(&w, 2) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p1));
	REQUIRE_OK(fx_accept(&w, 1, &p1, FX_NOW));
	/* The customer keeps a copy and pays it again, on a fresh offer. */
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW + 5, &p2));
	CHECK_ERR(fx_accept(&w, 1, &p2, FX_NOW + 5), OBOL_E_ECASH_COIN_ALREADY_HELD);
	CHECK_EQ_INT(w.p[1].m.nseen, 1);
	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	fx_free(&w);
}

TEST(ecash_pay, amount_currency_and_expiry)
{
	static const char *const vals[] = { "EUR:0.5", "EUR:0.25", "EUR:2" };
	struct fx w;
	struct ecash_payment p;
	size_t idx[ECASH_COINS_MAX] = { 0, 1 }, nidx;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, vals, 3) == 0);
	/* Two coins worth 0.75 do not pay 1. */
	REQUIRE_OK(fx_pay(&w, 0, 1, idx, 2, "EUR:1", 0, FX_NOW, &p));
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_AMOUNT_SHORT);
	CHECK_EQ_INT(w.p[1].m.nseen, 0);
	ecash_payment_clear(&p);
	/* The same coin twice in one payment. */
	size_t twice[2] = { 0, 0 };
	REQUIRE_OK(fx_pay(&w, 0, 1, twice, 2, "EUR:0.5", 0, FX_NOW, &p));
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_DUPLICATE_COIN);
	ecash_payment_clear(&p);
	/* A price in another currency. */
	REQUIRE_OK(fx_pay(&w, 0, 1, idx, 1, "USD:0.5", 0, FX_NOW, &p));
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_CURRENCY);
	ecash_payment_clear(&p);
	/* After the coin's expiry (and within its certificate's life). */
	int64_t last = w.p[0].coins[0].coin.expiry;
	REQUIRE_OK(fx_pay(&w, 0, 1, idx, 1, "EUR:0.5", 0, last, &p));
	CHECK_ERR(fx_accept(&w, 1, &p, last + 10), OBOL_E_ECASH_COIN_EXPIRED);
	ecash_payment_clear(&p);
	CHECK_EQ_INT(w.p[1].m.nseen, 0);
	/* Coin choice: exact where possible, else the smallest overpayment. */
	struct obol_amount amt, cap;
	struct ecash_select_in sel = { .held = w.p[0].coins, .n = w.p[0].ncoins, .amount = &amt, .now = FX_NOW };
	REQUIRE_OK(obol_amount_parse("EUR:0.75", &amt));
	REQUIRE_OK(ecash_select_coins(&w.p[0].c, &sel, idx, &nidx));
	CHECK_EQ_INT(nidx, 2);
	CHECK((idx[0] == 0 && idx[1] == 1) || (idx[0] == 1 && idx[1] == 0));
	REQUIRE_OK(obol_amount_parse("EUR:1", &amt));
	REQUIRE_OK(ecash_select_coins(&w.p[0].c, &sel, idx, &nidx));
	CHECK_EQ_INT(nidx, 1);
	CHECK_EQ_INT(idx[0], 2);
	REQUIRE_OK(obol_amount_parse("EUR:2.75", &amt));
	REQUIRE_OK(ecash_select_coins(&w.p[0].c, &sel, idx, &nidx));
	CHECK_EQ_INT(nidx, 3);
	REQUIRE_OK(obol_amount_parse("EUR:2.76", &amt));
	CHECK_ERR(ecash_select_coins(&w.p[0].c, &sel, idx, &nidx), OBOL_E_ECASH_NO_COINS);
	/* P2: the payer's cap bounds what is handed over (coins are not split),
	 * and the price it accepts. */
	REQUIRE_OK(obol_amount_parse("EUR:0.7", &amt));
	REQUIRE_OK(obol_amount_parse("EUR:0.8", &cap));
	sel.cap = &cap;
	REQUIRE_OK(ecash_select_coins(&w.p[0].c, &sel, idx, &nidx));
	CHECK_EQ_INT(nidx, 2); /* 0.5 + 0.25, not the single coin of 2 */
	REQUIRE_OK(obol_amount_parse("EUR:1", &amt));
	CHECK_ERR(ecash_select_coins(&w.p[0].c, &sel, idx, &nidx), OBOL_E_ECASH_OVER_CAP);
	REQUIRE_OK(obol_amount_parse("EUR:0.9", &amt));
	struct ecash_offer offer;
	REQUIRE_OK(ecash_merchant_offer(&w.p[1].m, &amt, FX_NOW, &offer));
	CHECK_ERR(ecash_customer_check_offer(&w.p[0].c, &offer, NULL, &cap, FX_NOW), OBOL_E_ECASH_OVER_CAP);
	CHECK_OK(ecash_customer_check_offer(&w.p[0].c, &offer, NULL, NULL, FX_NOW));
	/* An offer whose certificate is not the merchant it names. */
	memcpy(offer.merchant, w.p[0].c.id, ECASH_ID_LEN);
	CHECK_ERR(ecash_customer_check_offer(&w.p[0].c, &offer, NULL, NULL, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);
	fx_free(&w);
}

TEST(ecash_pay, received_coin_is_spent_on_with_its_chain)
{
	/* §3.5.6: customer 0 pays merchant 1, who pays the coin on to 2. */
	struct fx w;
	struct ecash_payment p1, p2, forged;
	size_t idx = 0;
	REQUIRE(setup(&w, 4) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p1));
	REQUIRE_OK(fx_accept(&w, 1, &p1, FX_NOW));
	REQUIRE(fx_receive(&w, 1, &p1) == 0);
	REQUIRE_OK(fx_pay(&w, 1, 2, &idx, 1, "EUR:1", 0, FX_NOW + 30, &p2));
	CHECK_EQ_INT(p2.coins[0].nchain, 2);
	CHECK_OK(ecash_merchant_verify(&w.p[2].m, &p2, FX_NOW + 30));

	/* Party 3 got hold of the coin and its first claim, and tries to spend it
	 * on: the chain says merchant 1 holds it. */
	REQUIRE(fx_receive(&w, 3, &p1) == 0);
	memcpy(w.p[3].coins[0].chain[0].payee, w.p[3].c.id, ECASH_ID_LEN); /* pretend */
	struct ecash_offer off;
	struct obol_amount pr;
	REQUIRE_OK(obol_amount_parse("EUR:1", &pr));
	REQUIRE_OK(ecash_merchant_offer(&w.p[2].m, &pr, FX_NOW + 30, &off));
	struct ecash_pay_in in = { .offer = &off, .held = w.p[3].coins, .idx = &idx, .nidx = 1, .now = FX_NOW + 30 };
	REQUIRE_OK(ecash_customer_pay(&w.p[3].c, &in, &forged));
	/* Its first claim was edited, so σ2 of that claim fails... */
	CHECK_ERR(fx_accept(&w, 2, &forged, FX_NOW + 30), OBOL_E_ECASH_CLAIM_SIGNATURE);
	ecash_payment_clear(&forged);
	/* ...and with the first claim intact, the link is broken. */
	memcpy(w.p[3].coins[0].chain[0].payee, w.p[1].c.id, ECASH_ID_LEN);
	struct ecash_held_coin h;
	REQUIRE_OK(ecash_held_copy(&h, &w.p[3].coins[0]));
	REQUIRE_OK(ecash_merchant_offer(&w.p[2].m, &pr, FX_NOW + 30, &off));
	/* sign on as party 3 although the last payee is party 1 */
	struct ecash_claim_req req = { .payee = w.p[2].c.id, .ts = FX_NOW + 30, .sk = w.p[3].sk, .cert = &w.p[3].c.cert };
	REQUIRE_OK(ecash_claim_make(&h, &req));
	memset(&forged, 0, sizeof(forged));
	forged.coins = calloc(1, sizeof(*forged.coins));
	REQUIRE(forged.coins != NULL);
	forged.coins[0] = h;
	forged.ncoins = 1;
	memcpy(forged.nonce, off.nonce, ECASH_NONCE_LEN);
	struct ecash_bytes nb;
	REQUIRE_OK(ecash_nonce_bytes(off.nonce, w.p[2].c.id, &nb));
	REQUIRE_OK(ecash_group_sign(&w.p[3].c.cert, 1, 0, w.p[3].sk, &nb, &forged.sigma1, &forged.sigma1_len));
	ecash_bytes_free(&nb);
	CHECK_ERR(fx_accept(&w, 2, &forged, FX_NOW + 30), OBOL_E_ECASH_CHAIN_BROKEN);
	CHECK_EQ_INT(w.p[2].m.nseen, 0);

	CHECK_OK(fx_accept(&w, 2, &p2, FX_NOW + 30));
	ecash_payment_clear(&forged);
	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	fx_free(&w);
}
