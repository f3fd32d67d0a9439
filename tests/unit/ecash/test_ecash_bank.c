/* The bank's checks (seed 002 §3.2, §3.3.1, §3.3.3, §3.5.1, §5.3, §5.5,
 * §6.4): registration, top-up, deposit and the evidence that names a double
 * spender from the fork of two claim chains. */
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "cli/bench_keys.h"
#include "crypto/secret.h"
#include "fixture.h"

static const char *const one_euro[] = { "EUR:1" };

TEST(ecash_bank, registration_checks_the_signed_nonce_and_the_key)
{
	struct fx w;
	EVP_PKEY *k = NULL, *other = NULL;
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX], *der = NULL;
	size_t sig_len, der_len;
	struct ecash_cert cert;
	struct ecash_customer c;

	REQUIRE(fx_init(&w, 0) == 0);
	EVP_PKEY *pool[2];
	REQUIRE_OK(bench_rsa_keys(pool, 2));
	k = pool[0];
	other = pool[1];
	REQUIRE_OK(obol_rsa_public_to_der(k, &der, &der_len));
	obol_random(nonce, sizeof(nonce));
	REQUIRE_OK(ecash_customer_register_answer(k, nonce, sig, &sig_len));
	REQUIRE_OK(ecash_bank_register(&w.bank, nonce, der, der_len, sig, sig_len, 7, FX_NOW, &cert));
	CHECK_EQ_INT(cert.account, 7);
	CHECK_OK(ecash_customer_init(&c, k, w.bank_sk, &cert, 7, FX_NOW));
	/* The certificate is for account 7, not 8. */
	CHECK_ERR(ecash_customer_init(&c, k, w.bank_sk, &cert, 8, FX_NOW), OBOL_E_ECASH_WRONG_ACCOUNT);
	/* A certificate on another key is not ours. */
	CHECK_ERR(ecash_customer_init(&c, other, w.bank_sk, &cert, 7, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);
	/* A tampered certificate. */
	struct ecash_cert t = cert;
	t.expiry += 1;
	CHECK_ERR(ecash_customer_init(&c, k, w.bank_sk, &t, 7, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);

	/* The nonce signed by another key than the one offered. */
	REQUIRE_OK(ecash_customer_register_answer(other, nonce, sig, &sig_len));
	CHECK_ERR(ecash_bank_register(&w.bank, nonce, der, der_len, sig, sig_len, 7, FX_NOW, &cert),
		  OBOL_E_ECASH_NONCE_SIGNATURE);
	/* Another nonce than the bank's (a replayed answer). */
	REQUIRE_OK(ecash_customer_register_answer(k, nonce, sig, &sig_len));
	fx_flip(nonce, 0);
	CHECK_ERR(ecash_bank_register(&w.bank, nonce, der, der_len, sig, sig_len, 7, FX_NOW, &cert),
		  OBOL_E_ECASH_NONCE_SIGNATURE);
	/* A key shorter than the bank requires, and garbage. */
	w.bank.pol.min_key_bits = 3072;
	fx_flip(nonce, 0);
	CHECK_ERR(ecash_bank_register(&w.bank, nonce, der, der_len, sig, sig_len, 7, FX_NOW, &cert),
		  OBOL_E_ECASH_KEY_WEAK);
	CHECK_ERR(ecash_bank_register(&w.bank, nonce, der, der_len / 2, sig, sig_len, 7, FX_NOW, &cert),
		  OBOL_E_ECASH_KEY_WEAK);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	fx_free(&w);
}

TEST(ecash_bank, topup_issues_signed_coins_for_a_signed_nonce)
{
	struct fx w;
	struct obol_amount v[2], total;
	struct ecash_coin coins[2];
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
	size_t sig_len;
	char buf[OBOL_AMOUNT_STR_MAX];

	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE_OK(obol_amount_parse("EUR:1", &v[0]));
	REQUIRE_OK(obol_amount_parse("EUR:0.01", &v[1]));
	obol_random(nonce, sizeof(nonce));
	REQUIRE_OK(ecash_customer_topup_answer(&w.p[0].c, nonce, v, 2, sig, &sig_len));
	REQUIRE_OK(ecash_bank_topup(&w.bank, &w.p[0].c.cert, NULL, nonce, v, 2, sig, sig_len, FX_NOW, coins, &total));
	obol_amount_format(&total, buf);
	CHECK_EQ_STR(buf, "EUR:1.01");
	CHECK(memcmp(coins[0].serial, coins[1].serial, ECASH_SERIAL_LEN) != 0);
	CHECK_EQ_INT(coins[0].issued, FX_NOW);
	CHECK_EQ_INT(coins[0].expiry, FX_NOW + w.bank.coin_lifetime);
	CHECK_OK(ecash_customer_topup_check(&w.p[0].c, v, coins, 2, FX_NOW));
	/* The wallet refuses a coin whose σ0 is not the bank's, or not what it asked. */
	struct ecash_coin bad = coins[1];
	fx_flip(bad.sig, 9);
	CHECK_ERR(ecash_customer_topup_check(&w.p[0].c, v + 1, &bad, 1, FX_NOW), OBOL_E_ECASH_COIN_SIGNATURE);
	CHECK_ERR(ecash_customer_topup_check(&w.p[0].c, v, coins + 1, 1, FX_NOW), OBOL_E_ECASH_COIN_VALUE);

	/* Values changed after signing: the nonce signature no longer covers them. */
	REQUIRE_OK(obol_amount_parse("EUR:50", &v[1]));
	CHECK_ERR(ecash_bank_topup(&w.bank, &w.p[0].c.cert, NULL, nonce, v, 2, sig, sig_len, FX_NOW, coins, &total),
		  OBOL_E_ECASH_NONCE_SIGNATURE);
	/* Customer 1 answering with customer 0's certificate. */
	REQUIRE_OK(ecash_customer_topup_answer(&w.p[1].c, nonce, v, 2, sig, &sig_len));
	CHECK_ERR(ecash_bank_topup(&w.bank, &w.p[0].c.cert, NULL, nonce, v, 2, sig, sig_len, FX_NOW, coins, &total),
		  OBOL_E_ECASH_NONCE_SIGNATURE);
	/* Values the bank does not issue. */
	static const char *const badv[] = { "EUR:0", "EUR:100.00000001", "USD:1" };
	static const obol_err want[] = { OBOL_E_ECASH_COIN_VALUE, OBOL_E_ECASH_COIN_VALUE, OBOL_E_ECASH_CURRENCY };
	for (size_t i = 0; i < 3; i++) {
		REQUIRE_OK(obol_amount_parse(badv[i], &v[0]));
		REQUIRE_OK(ecash_customer_topup_answer(&w.p[0].c, nonce, v, 1, sig, &sig_len));
		CHECK_ERR(ecash_bank_topup(&w.bank, &w.p[0].c.cert, NULL, nonce, v, 1, sig, sig_len, FX_NOW, coins,
					   &total),
			  want[i]);
	}
	/* An expired certificate, and a revoked key. */
	REQUIRE_OK(obol_amount_parse("EUR:1", &v[0]));
	REQUIRE_OK(ecash_customer_topup_answer(&w.p[0].c, nonce, v, 1, sig, &sig_len));
	CHECK_ERR(ecash_bank_topup(&w.bank, &w.p[0].c.cert, NULL, nonce, v, 1, sig, sig_len,
				   w.p[0].c.cert.expiry + 1, coins, &total),
		  OBOL_E_ECASH_CERT_EXPIRED);
	struct ecash_revocations rl = { .seq = 1, .issued = FX_NOW };
	rl.ids = calloc(1, ECASH_ID_LEN);
	REQUIRE(rl.ids != NULL);
	memcpy(rl.ids[0], w.p[0].c.id, ECASH_ID_LEN);
	rl.n = 1;
	REQUIRE_OK(ecash_bank_sign_revocations(&w.bank, &rl));
	CHECK_ERR(ecash_bank_topup(&w.bank, &w.p[0].c.cert, &rl, nonce, v, 1, sig, sig_len, FX_NOW, coins, &total),
		  OBOL_E_ECASH_KEY_REVOKED);
	ecash_revocations_clear(&rl);
	fx_free(&w);
}

/* Merchant `m` deposits its wallet coin `i`: authentication, then the check
 * against the spent registry entry `prev`. */
static obol_err deposit(struct fx *w, size_t m, size_t i, const struct ecash_spent *prev, int64_t issued_to,
			struct ecash_evidence *ev)
{
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
	size_t sig_len;
	const struct ecash_held_coin *h = &w->p[m].coins[i];
	obol_random(nonce, sizeof(nonce));
	obol_err err = ecash_customer_deposit_answer(&w->p[m].c, nonce, h, 1, sig, &sig_len);
	if (err == OBOL_OK)
		err = ecash_bank_deposit_auth(&w->bank, &w->p[m].c.cert, NULL, nonce, h, 1, sig, sig_len, FX_NOW + 100);
	if (err == OBOL_OK)
		err = ecash_bank_deposit_check(&w->bank, w->p[m].c.id, h, NULL, prev, issued_to, FX_NOW + 100, ev);
	return err;
}

/* The spent registry entry for merchant m's wallet coin i. */
static int spent_of(struct fx *w, size_t m, size_t i, struct ecash_spent *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->depositor, w->p[m].c.id, ECASH_ID_LEN);
	out->depositor_account = w->p[m].account;
	out->at = FX_NOW + 100;
	return ecash_held_copy(&out->held, &w->p[m].coins[i]) == OBOL_OK ? 0 : -1;
}

/* Customer `c` pays its coin 0 to merchant `m`, who accepts and keeps it. */
static int pay_to(struct fx *w, size_t c, size_t m, size_t coin, int64_t now)
{
	struct ecash_payment p;
	if (fx_pay(w, c, m, &coin, 1, "EUR:1", 0, now, &p) != OBOL_OK)
		return -1;
	int rc = ecash_merchant_accept(&w->p[m].m, &p, now) == OBOL_OK && fx_receive(w, m, &p) == 0 ? 0 : -1;
	ecash_payment_clear(&p);
	return rc;
}

/* Merchant m deposits its coin 0 after merchant `first` deposited the same
 * coin: a double spend of `kind`, whose chains fork at claim `fork`, naming
 * customer `culprit` (key and account). Coin 0 was issued to customer 0. */
static void check_double_spend(struct fx *w, size_t first, size_t m, int kind, size_t fork, size_t culprit)
{
	struct ecash_evidence ev;
	struct ecash_spent s;
	REQUIRE(spent_of(w, first, 0, &s) == 0);
	CHECK_ERR(deposit(w, m, 0, &s, w->p[0].account, &ev), OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(ev.kind, kind);
	CHECK_EQ_INT(ev.fork, fork);
	CHECK_MEM_EQ(ev.culprit_key, w->p[culprit].c.id, ECASH_ID_LEN);
	CHECK_EQ_INT(ev.culprit_account, w->p[culprit].account);
	ecash_evidence_clear(&ev);
	ecash_held_clear(&s.held);
}

TEST(ecash_bank, deposit_accepts_once_and_refuses_the_same_merchant_twice)
{
	struct fx w;
	struct ecash_evidence ev;
	struct ecash_spent s;
	REQUIRE(fx_init(&w, 3) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE(pay_to(&w, 0, 1, 0, FX_NOW) == 0);
	CHECK_OK(deposit(&w, 1, 0, NULL, w.p[0].account, &ev));
	REQUIRE(spent_of(&w, 1, 0, &s) == 0);
	CHECK_ERR(deposit(&w, 1, 0, &s, w.p[0].account, &ev), OBOL_E_ECASH_ALREADY_DEPOSITED);
	/* Merchant 2 presenting merchant 1's coin: the claim names merchant 1. */
	struct ecash_payment p = { 0 };
	p.coins = calloc(1, sizeof(*p.coins));
	REQUIRE(p.coins != NULL);
	REQUIRE_OK(ecash_held_copy(&p.coins[0], &w.p[1].coins[0]));
	p.ncoins = 1;
	REQUIRE(fx_receive(&w, 2, &p) == 0);
	CHECK_ERR(deposit(&w, 2, 0, NULL, w.p[0].account, &ev), OBOL_E_ECASH_WRONG_MERCHANT);
	/* A forged coin in a deposit. */
	fx_flip(w.p[1].coins[0].coin.sig, 1);
	CHECK_ERR(deposit(&w, 1, 0, NULL, w.p[0].account, &ev), OBOL_E_ECASH_COIN_SIGNATURE);
	fx_flip(w.p[1].coins[0].coin.sig, 1);
	/* A deposit whose nonce signature is not the depositor's. */
	uint8_t nonce[ECASH_NONCE_LEN] = { 1 }, sig[ECASH_SIG_MAX];
	size_t sig_len;
	REQUIRE_OK(ecash_customer_deposit_answer(&w.p[2].c, nonce, w.p[1].coins, 1, sig, &sig_len));
	CHECK_ERR(ecash_bank_deposit_auth(&w.bank, &w.p[1].c.cert, NULL, nonce, w.p[1].coins, 1, sig, sig_len, FX_NOW),
		  OBOL_E_ECASH_NONCE_SIGNATURE);
	ecash_payment_clear(&p);
	ecash_held_clear(&s.held);
	fx_free(&w);
}

TEST(ecash_bank, double_spend_at_two_merchants_names_the_customer)
{
	struct fx w;
	struct ecash_evidence ev;
	struct ecash_spent s;
	REQUIRE(fx_init(&w, 3) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	/* Offline, both merchants accept the same coin. */
	REQUIRE(pay_to(&w, 0, 1, 0, FX_NOW) == 0);
	REQUIRE(pay_to(&w, 0, 2, 0, FX_NOW + 20) == 0);
	CHECK_OK(deposit(&w, 1, 0, NULL, w.p[0].account, &ev));
	REQUIRE(spent_of(&w, 1, 0, &s) == 0);
	CHECK_ERR(deposit(&w, 2, 0, &s, 9999, &ev), OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(ev.kind, ECASH_FRAUD_TWO_CLAIMS);
	CHECK_EQ_INT(ev.fork, 0);
	CHECK(ev.culprit_key_known);
	CHECK_MEM_EQ(ev.culprit_key, w.p[0].c.id, ECASH_ID_LEN);
	CHECK_EQ_INT(ev.culprit_account, w.p[0].account);
	CHECK_MEM_EQ(ev.first.payee, w.p[1].c.id, ECASH_ID_LEN);
	CHECK_MEM_EQ(ev.second.payee, w.p[2].c.id, ECASH_ID_LEN);
	CHECK_MEM_EQ(ev.second_depositor, w.p[2].c.id, ECASH_ID_LEN);
	ecash_evidence_clear(&ev);
	ecash_held_clear(&s.held);
	fx_free(&w);
}

TEST(ecash_bank, double_spend_of_a_transferred_coin_names_the_middle_holder)
{
	struct fx w;
	struct ecash_evidence ev;
	REQUIRE(fx_init(&w, 4) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE(pay_to(&w, 0, 1, 0, FX_NOW) == 0);
	/* 1 spends the received coin on to 2 and to 3. */
	REQUIRE(pay_to(&w, 1, 2, 0, FX_NOW + 10) == 0);
	REQUIRE(pay_to(&w, 1, 3, 0, FX_NOW + 20) == 0);
	CHECK_OK(deposit(&w, 2, 0, NULL, w.p[0].account, &ev));
	check_double_spend(&w, 2, 3, ECASH_FRAUD_TWO_CLAIMS, 1, 1);
	/* 1 also deposits its own copy (chain of one claim) after 2's deposit:
	 * the chains fork where 1 spent what it then deposited. */
	check_double_spend(&w, 2, 1, ECASH_FRAUD_DEPOSITED_AND_SPENT, 1, 1);
	fx_free(&w);
}

TEST(ecash_bank, withdrawal_to_own_account_is_a_deposit_of_a_self_claim)
{
	/* §6.4: customer 0 returns an unspent coin to its account. */
	struct fx w;
	struct ecash_evidence ev;
	struct ecash_spent s;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE_OK(ecash_customer_claim_self(&w.p[0].c, &w.p[0].coins[0], FX_NOW));
	CHECK_OK(deposit(&w, 0, 0, NULL, w.p[0].account, &ev));
	/* Having withdrawn it, the customer still spends its copy at merchant 1
	 * (the self-claim stays on the copy it kept; spend from the bank's
	 * original instead, as a cheat would). */
	REQUIRE(spent_of(&w, 0, 0, &s) == 0);
	ecash_claim_clear(&w.p[0].coins[0].chain[0]);
	w.p[0].coins[0].nchain = 0;
	REQUIRE(pay_to(&w, 0, 1, 0, FX_NOW + 30) == 0);
	CHECK_ERR(deposit(&w, 1, 0, &s, w.p[0].account, &ev), OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(ev.kind, ECASH_FRAUD_TWO_CLAIMS);
	CHECK_MEM_EQ(ev.culprit_key, w.p[0].c.id, ECASH_ID_LEN);
	ecash_evidence_clear(&ev);
	ecash_held_clear(&s.held);
	fx_free(&w);
}

TEST(ecash_bank, refund_needs_the_holders_refund_answer_and_an_expired_coin)
{
	struct fx w;
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
	size_t sig_len;
	struct ecash_evidence ev;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	const struct ecash_held_coin *h = &w.p[0].coins[0];
	int64_t after = h->coin.expiry + 1;
	obol_random(nonce, sizeof(nonce));
	REQUIRE_OK(ecash_customer_refund_answer(&w.p[0].c, nonce, h, 1, sig, &sig_len));
	CHECK_OK(ecash_bank_refund_auth(&w.bank, &w.p[0].c.cert, NULL, nonce, h, 1, sig, sig_len, after));
	/* The answer is bound to its purpose, its signer and its nonce. */
	CHECK_ERR(ecash_bank_deposit_auth(&w.bank, &w.p[0].c.cert, NULL, nonce, h, 1, sig, sig_len, after),
		  OBOL_E_ECASH_NONCE_SIGNATURE);
	CHECK_ERR(ecash_bank_refund_auth(&w.bank, &w.p[1].c.cert, NULL, nonce, h, 1, sig, sig_len, after),
		  OBOL_E_ECASH_NONCE_SIGNATURE);
	REQUIRE_OK(ecash_customer_deposit_answer(&w.p[0].c, nonce, h, 1, sig, &sig_len));
	CHECK_ERR(ecash_bank_refund_auth(&w.bank, &w.p[0].c.cert, NULL, nonce, h, 1, sig, sig_len, after),
		  OBOL_E_ECASH_NONCE_SIGNATURE);

	/* Expiry: the last second of the coin's life is not after it. */
	CHECK_ERR(ecash_bank_refund_verify(&w.bank, w.p[0].c.id, h, NULL, h->coin.expiry), OBOL_E_ECASH_COIN_NOT_EXPIRED);
	CHECK_OK(ecash_bank_refund_verify(&w.bank, w.p[0].c.id, h, NULL, after));
	struct ecash_held_coin forged = *h;
	fx_flip(forged.coin.serial, 0);
	CHECK_ERR(ecash_bank_refund_verify(&w.bank, w.p[0].c.id, &forged, NULL, after), OBOL_E_ECASH_COIN_SIGNATURE);

	/* Registry: the issued-to account only; once. */
	CHECK_ERR(ecash_bank_refund_registry(w.p[1].c.id, w.p[1].account, h, NULL, w.p[0].account, &ev),
		  OBOL_E_ECASH_NOT_HOLDER);
	CHECK_OK(ecash_bank_refund_registry(w.p[0].c.id, w.p[0].account, h, NULL, w.p[0].account, &ev));
	struct ecash_spent prev = { .depositor_account = w.p[0].account, .refund = true, .held = *h };
	memcpy(prev.depositor, w.p[0].c.id, ECASH_ID_LEN);
	CHECK_ERR(ecash_bank_refund_registry(w.p[0].c.id, w.p[0].account, h, &prev, w.p[0].account, &ev),
		  OBOL_E_ECASH_ALREADY_REFUNDED);
	/* Another key of the same account (here: any other id) gets no second credit. */
	CHECK_ERR(ecash_bank_refund_registry(w.p[1].c.id, w.p[0].account, h, &prev, w.p[0].account, &ev),
		  OBOL_E_ECASH_ALREADY_REFUNDED);
	fx_free(&w);
}
