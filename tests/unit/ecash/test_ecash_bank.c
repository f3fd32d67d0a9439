/* The bank's checks and decisions (seed 002 §3.2, §3.3.1, §3.3.3, §3.5.1,
 * §5.3, §5.5, §6.4): registration, top-up, the requests that bring coins
 * (deposit, refund, exchange) and the registry's verdicts with the evidence
 * that names a double spender, and nobody else. */
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "cli/bench_keys.h"
#include "crypto/secret.h"
#include "fixture.h"

static const char *const one_euro[] = { "EUR:1" };

/* The account of the party whose key id is `id` (0: none). */
static int64_t account_of(const struct fx *w, const uint8_t *id)
{
	for (size_t i = 0; i < w->n; i++)
		if (memcmp(w->p[i].c.id, id, ECASH_ID_LEN) == 0)
			return w->p[i].account;
	return 0;
}

/* Party m brings coin h to the bank as `kind` at `now`: its signed request
 * (auth), the coin's own checks, then the registry against `prev`
 * (issued_to: the account the coin was issued to, its top-up key that of
 * party 0). *eff gets the registry's decision; returns the first refusal. */
static obol_err bring(struct fx *w, enum ecash_entry_kind kind, size_t m, const struct ecash_held_coin *h,
		      const struct ecash_revocations *rl, const struct ecash_spent *prev, int64_t issued_to, int64_t now,
		      struct ecash_registry_effect *eff)
{
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX], owner[1][ECASH_OWNER_LEN], sk[ECASH_OWNER_SK_LEN];
	size_t sig_len;
	obol_err err;
	/* An exchange names the owner key of the fresh coin. */
	struct ecash_coins_terms t = { .owners = (const uint8_t(*)[ECASH_OWNER_LEN])owner, .nowners = 1 };
	const struct ecash_coins_terms *terms = kind == ECASH_ENTRY_EXCHANGE ? &t : NULL;
	ecash_owner_keypair(owner[0], sk);
	memset(eff, 0, sizeof(*eff));
	obol_random(nonce, sizeof(nonce));
	if ((err = ecash_customer_coins_answer(&w->p[m].c, kind, nonce, h, 1, terms, sig, &sig_len)) != OBOL_OK)
		return err;
	struct ecash_coins_in in = { .kind = kind, .holder = &w->p[m].c.cert, .rl = rl, .nonce = nonce, .coins = h,
				     .n = 1, .terms = terms, .sig = sig, .sig_len = sig_len, .now = now };
	if ((err = ecash_bank_coins_auth(&w->bank, &in)) != OBOL_OK ||
	    (err = ecash_bank_coin_verify(&w->bank, kind, h, rl, now)) != OBOL_OK)
		return err;
	struct ecash_registry_in r = {
		.kind = kind,
		.requester = w->p[m].c.id,
		.account = w->p[m].account,
		.h = h,
		.issued_to = issued_to,
		.issued_key = w->p[0].c.id,
		.holder_account = h->nchain ? account_of(w, h->chain[h->nchain - 1].payee) : 0,
		.prev = prev,
		.now = now,
	};
	if ((err = ecash_bank_registry(&w->bank, &r, eff)) != OBOL_OK)
		return err;
	return eff->result;
}

static obol_err deposit(struct fx *w, size_t m, const struct ecash_held_coin *h, const struct ecash_spent *prev,
			struct ecash_registry_effect *eff)
{
	return bring(w, ECASH_ENTRY_DEPOSIT, m, h, NULL, prev, w->p[0].account, FX_NOW + 100, eff);
}

/* The registry entry party m's bringing h as `kind` left. */
static int entry_of(struct fx *w, size_t m, enum ecash_entry_kind kind, bool disclosed, const struct ecash_held_coin *h,
		    struct ecash_spent *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->depositor, w->p[m].c.id, ECASH_ID_LEN);
	out->depositor_account = w->p[m].account;
	out->at = FX_NOW + 100;
	out->kind = kind;
	out->disclosed = disclosed;
	return ecash_held_copy(&out->held, h) == OBOL_OK ? 0 : -1;
}

/* Customer `c` pays its coin `coin` to merchant `m`, who accepts and keeps it. */
static int pay_to(struct fx *w, size_t c, size_t m, size_t coin, int64_t now)
{
	struct ecash_payment p;
	if (fx_pay(w, c, m, &coin, 1, "EUR:1", 0, now, &p) != OBOL_OK)
		return -1;
	int rc = fx_accept(w, m, &p, now) == OBOL_OK && fx_receive(w, m, &p) == 0 ? 0 : -1;
	ecash_payment_clear(&p);
	return rc;
}

/* Merchant m's deposit of its coin 0 after merchant `first` deposited the
 * same coin: a double spend of `kind`, the chains forking at `fork`,
 * naming party `culprit` (its account; its key too, key_known). */
static void check_double_spend(struct fx *w, size_t first, size_t m, int kind, size_t fork, size_t culprit)
{
	struct ecash_registry_effect eff;
	struct ecash_spent s;
	REQUIRE(entry_of(w, first, ECASH_ENTRY_DEPOSIT, false, &w->p[first].coins[0], &s) == 0);
	CHECK_ERR(deposit(w, m, &w->p[m].coins[0], &s, &eff), OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(eff.ev.kind, kind);
	CHECK_EQ_INT(eff.ev.fork, fork);
	CHECK(eff.ev.culprit_key_known);
	CHECK_MEM_EQ(eff.ev.culprit_key, w->p[culprit].c.id, ECASH_ID_LEN);
	CHECK_EQ_INT(eff.ev.culprit_account, w->p[culprit].account);
	ecash_registry_effect_clear(&eff);
	ecash_held_clear(&s.held);
}

static obol_err register_key(struct fx *w, EVP_PKEY *k, int64_t account, size_t live, bool barred,
			     struct ecash_cert *out)
{
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX], *der = NULL;
	size_t sig_len, der_len;
	obol_random(nonce, sizeof(nonce));
	obol_err err = obol_rsa_public_to_der(k, &der, &der_len);
	if (err == OBOL_OK)
		err = ecash_customer_register_answer(k, nonce, sig, &sig_len);
	struct ecash_register_in in = { .nonce = nonce, .key = der, .key_len = der_len, .sig = sig, .sig_len = sig_len,
					.account = account, .now = FX_NOW, .live_keys = live, .barred = barred };
	if (err == OBOL_OK)
		err = ecash_bank_register(&w->bank, &in, out);
	OPENSSL_free(der);
	return err;
}

TEST(ecash_bank, registration_checks_the_signed_nonce_the_key_and_the_account)
{
	struct fx w;
	EVP_PKEY *pool[2];
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX], *der = NULL;
	size_t sig_len, der_len;
	struct ecash_cert cert;
	struct ecash_customer c;

	REQUIRE(fx_init(&w, 0) == 0);
	REQUIRE_OK(bench_rsa_keys(pool, 2));
	EVP_PKEY *k = pool[0], *other = pool[1];
	REQUIRE_OK(register_key(&w, k, 7, 0, false, &cert));
	CHECK_EQ_INT(cert.account, 7);
	CHECK_OK(ecash_customer_init(&c, k, &w.bank.keys, &cert, 7, FX_NOW));
	CHECK_ERR(ecash_customer_init(&c, k, &w.bank.keys, &cert, 8, FX_NOW), OBOL_E_ECASH_WRONG_ACCOUNT);
	CHECK_ERR(ecash_customer_init(&c, other, &w.bank.keys, &cert, 7, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);
	struct ecash_cert t = cert;
	t.expiry += 1;
	CHECK_ERR(ecash_customer_init(&c, k, &w.bank.keys, &t, 7, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);

	/* The nonce signed by another key than the one offered; another nonce. */
	REQUIRE_OK(obol_rsa_public_to_der(k, &der, &der_len));
	obol_random(nonce, sizeof(nonce));
	REQUIRE_OK(ecash_customer_register_answer(other, nonce, sig, &sig_len));
	struct ecash_register_in in = { .nonce = nonce, .key = der, .key_len = der_len, .sig = sig, .sig_len = sig_len,
					.account = 7, .now = FX_NOW };
	CHECK_ERR(ecash_bank_register(&w.bank, &in, &cert), OBOL_E_ECASH_NONCE_SIGNATURE);
	REQUIRE_OK(ecash_customer_register_answer(k, nonce, sig, &sig_len));
	fx_flip(nonce, 0);
	CHECK_ERR(ecash_bank_register(&w.bank, &in, &cert), OBOL_E_ECASH_NONCE_SIGNATURE);
	fx_flip(nonce, 0);
	/* A key shorter than the bank requires, and garbage. */
	w.bank.pol.min_key_bits = 3072;
	CHECK_ERR(ecash_bank_register(&w.bank, &in, &cert), OBOL_E_ECASH_KEY_WEAK);
	w.bank.pol.min_key_bits = 2048;
	in.key_len = der_len / 2;
	CHECK_ERR(ecash_bank_register(&w.bank, &in, &cert), OBOL_E_ECASH_KEY_WEAK);
	in.key_len = der_len;
	/* Case 5: an account holds a bounded number of live keys, and one
	 * proven to double spend registers no more. */
	in.live_keys = w.bank.keys_per_account;
	CHECK_ERR(ecash_bank_register(&w.bank, &in, &cert), OBOL_E_ECASH_TOO_MANY_KEYS);
	in.live_keys = w.bank.keys_per_account - 1;
	CHECK_OK(ecash_bank_register(&w.bank, &in, &cert));
	in.barred = true;
	CHECK_ERR(ecash_bank_register(&w.bank, &in, &cert), OBOL_E_ECASH_ACCOUNT_BARRED);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	fx_free(&w);
}

TEST(ecash_bank, topup_issues_coins_signed_for_the_owner_keys_asked)
{
	struct fx w;
	struct ecash_coin_order o[2];
	uint8_t sk[2][ECASH_OWNER_SK_LEN];
	struct ecash_coin coins[2];
	struct obol_amount total;
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
	size_t sig_len;
	char buf[OBOL_AMOUNT_STR_MAX];

	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE_OK(obol_amount_parse("EUR:1", &o[0].value));
	REQUIRE_OK(obol_amount_parse("EUR:0.01", &o[1].value));
	ecash_owner_keypair(o[0].owner, sk[0]);
	ecash_owner_keypair(o[1].owner, sk[1]);
	obol_random(nonce, sizeof(nonce));
	REQUIRE_OK(ecash_customer_topup_answer(&w.p[0].c, nonce, o, 2, sig, &sig_len));
	struct ecash_topup_in in = { .cert = &w.p[0].c.cert, .nonce = nonce, .orders = o, .n = 2, .sig = sig,
				     .sig_len = sig_len, .now = FX_NOW };
	REQUIRE_OK(ecash_bank_topup(&w.bank, &in, coins, &total));
	obol_amount_format(&total, buf);
	CHECK_EQ_STR(buf, "EUR:1.01");
	CHECK(memcmp(coins[0].serial, coins[1].serial, ECASH_SERIAL_LEN) != 0);
	CHECK(coins[0].has_owner);
	CHECK_MEM_EQ(coins[1].owner, o[1].owner, ECASH_OWNER_LEN);
	CHECK_EQ_INT(coins[0].expiry, FX_NOW + w.bank.coin_lifetime);
	CHECK_OK(ecash_customer_topup_check(&w.p[0].c, o, coins, 2, FX_NOW));
	/* The wallet refuses a coin whose σ0 is not the bank's, or not the owner key it asked for. */
	struct ecash_coin bad = coins[1];
	fx_flip(bad.sig, 9);
	CHECK_ERR(ecash_customer_topup_check(&w.p[0].c, o + 1, &bad, 1, FX_NOW), OBOL_E_ECASH_COIN_SIGNATURE);
	CHECK_ERR(ecash_customer_topup_check(&w.p[0].c, o, coins + 1, 1, FX_NOW), OBOL_E_ECASH_COIN_VALUE);
	struct ecash_coin_order swapped[2] = { o[0], o[1] };
	memcpy(swapped[1].owner, o[0].owner, ECASH_OWNER_LEN);
	CHECK_ERR(ecash_customer_topup_check(&w.p[0].c, swapped, coins, 2, FX_NOW), OBOL_E_ECASH_COIN_VALUE);

	/* Orders changed after signing (a value, an owner key): the nonce signature no longer covers them. */
	REQUIRE_OK(obol_amount_parse("EUR:50", &o[1].value));
	CHECK_ERR(ecash_bank_topup(&w.bank, &in, coins, &total), OBOL_E_ECASH_NONCE_SIGNATURE);
	REQUIRE_OK(obol_amount_parse("EUR:0.01", &o[1].value));
	fx_flip(o[1].owner, 3);
	CHECK_ERR(ecash_bank_topup(&w.bank, &in, coins, &total), OBOL_E_ECASH_NONCE_SIGNATURE);
	/* Customer 1 answering with customer 0's certificate. */
	REQUIRE_OK(ecash_customer_topup_answer(&w.p[1].c, nonce, o, 2, sig, &sig_len));
	CHECK_ERR(ecash_bank_topup(&w.bank, &in, coins, &total), OBOL_E_ECASH_NONCE_SIGNATURE);
	/* Values the bank does not issue. */
	static const char *const badv[] = { "EUR:0", "EUR:100.00000001", "USD:1" };
	static const obol_err want[] = { OBOL_E_ECASH_COIN_VALUE, OBOL_E_ECASH_COIN_VALUE, OBOL_E_ECASH_CURRENCY };
	in.n = 1;
	for (size_t i = 0; i < 3; i++) {
		REQUIRE_OK(obol_amount_parse(badv[i], &o[0].value));
		REQUIRE_OK(ecash_customer_topup_answer(&w.p[0].c, nonce, o, 1, sig, &sig_len));
		CHECK_ERR(ecash_bank_topup(&w.bank, &in, coins, &total), want[i]);
	}
	/* An expired certificate, and a key revoked before now. */
	REQUIRE_OK(obol_amount_parse("EUR:1", &o[0].value));
	REQUIRE_OK(ecash_customer_topup_answer(&w.p[0].c, nonce, o, 1, sig, &sig_len));
	in.now = w.p[0].c.cert.expiry + 1;
	CHECK_ERR(ecash_bank_topup(&w.bank, &in, coins, &total), OBOL_E_ECASH_CERT_EXPIRED);
	struct ecash_revoked rk = { .at = FX_NOW - 1 };
	memcpy(rk.id, w.p[0].c.id, ECASH_ID_LEN);
	struct ecash_revocations rl = { .keys = &rk, .n = 1 };
	in.now = FX_NOW;
	in.rl = &rl;
	CHECK_ERR(ecash_bank_topup(&w.bank, &in, coins, &total), OBOL_E_ECASH_KEY_REVOKED);
	fx_free(&w);
}

TEST(ecash_bank, deposit_accepts_once_and_the_same_chain_again_is_already_deposited)
{
	struct fx w;
	struct ecash_registry_effect eff;
	struct ecash_spent s;
	REQUIRE(fx_init(&w, 3) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE(pay_to(&w, 0, 1, 0, FX_NOW) == 0);
	CHECK_OK(deposit(&w, 1, &w.p[1].coins[0], NULL, &eff));
	REQUIRE(entry_of(&w, 1, ECASH_ENTRY_DEPOSIT, false, &w.p[1].coins[0], &s) == 0);
	CHECK_ERR(deposit(&w, 1, &w.p[1].coins[0], &s, &eff), OBOL_E_ECASH_ALREADY_DEPOSITED);
	/* Merchant 2 presenting merchant 1's coin: the claim names merchant 1. */
	CHECK_ERR(deposit(&w, 2, &w.p[1].coins[0], NULL, &eff), OBOL_E_ECASH_WRONG_MERCHANT);
	/* A forged coin in a deposit. */
	fx_flip(w.p[1].coins[0].coin.sig, 1);
	CHECK_ERR(deposit(&w, 1, &w.p[1].coins[0], NULL, &eff), OBOL_E_ECASH_COIN_SIGNATURE);
	fx_flip(w.p[1].coins[0].coin.sig, 1);
	/* A deposit whose nonce signature is not the depositor's. */
	uint8_t nonce[ECASH_NONCE_LEN] = { 1 }, sig[ECASH_SIG_MAX];
	size_t sig_len;
	REQUIRE_OK(ecash_customer_coins_answer(&w.p[2].c, ECASH_ENTRY_DEPOSIT, nonce, w.p[1].coins, 1, NULL, sig, &sig_len));
	struct ecash_coins_in in = { .kind = ECASH_ENTRY_DEPOSIT, .holder = &w.p[1].c.cert, .nonce = nonce,
				     .coins = w.p[1].coins, .n = 1, .sig = sig, .sig_len = sig_len, .now = FX_NOW };
	CHECK_ERR(ecash_bank_coins_auth(&w.bank, &in), OBOL_E_ECASH_NONCE_SIGNATURE);
	ecash_held_clear(&s.held);
	fx_free(&w);
}

/* Case 6: a merchant that lost its registry (restored a backup) took the
 * same coin twice from its payer; the second chain is a double spend, not
 * a repeat, and the payer is named. */
TEST(ecash_bank, same_merchant_two_chains_is_a_double_spend_naming_the_payer)
{
	struct fx w;
	struct ecash_payment p1, p2;
	struct ecash_registry_effect eff;
	struct ecash_spent s;
	size_t idx = 0;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p1));
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW + 30, &p2));
	CHECK_OK(deposit(&w, 1, &p1.coins[0], NULL, &eff));
	REQUIRE(entry_of(&w, 1, ECASH_ENTRY_DEPOSIT, false, &p1.coins[0], &s) == 0);
	CHECK_ERR(deposit(&w, 1, &p2.coins[0], &s, &eff), OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(eff.ev.kind, ECASH_FRAUD_TWO_CLAIMS);
	CHECK_EQ_INT(eff.ev.fork, 0);
	CHECK_MEM_EQ(eff.ev.culprit_key, w.p[0].c.id, ECASH_ID_LEN);
	CHECK_EQ_INT(eff.ev.culprit_account, w.p[0].account);
	/* The first chain again is the repeat. */
	ecash_registry_effect_clear(&eff);
	CHECK_ERR(deposit(&w, 1, &p1.coins[0], &s, &eff), OBOL_E_ECASH_ALREADY_DEPOSITED);
	ecash_held_clear(&s.held);
	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	fx_free(&w);
}

TEST(ecash_bank, double_spend_at_two_merchants_names_the_customer)
{
	struct fx w;
	REQUIRE(fx_init(&w, 3) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE(pay_to(&w, 0, 1, 0, FX_NOW) == 0);
	REQUIRE(pay_to(&w, 0, 2, 0, FX_NOW + 20) == 0);
	check_double_spend(&w, 1, 2, ECASH_FRAUD_TWO_CLAIMS, 0, 0);
	fx_free(&w);
}

TEST(ecash_bank, double_spend_of_a_transferred_coin_names_the_middle_holder)
{
	struct fx w;
	struct ecash_registry_effect eff;
	REQUIRE(fx_init(&w, 4) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE(pay_to(&w, 0, 1, 0, FX_NOW) == 0);
	/* 1 spends the received coin on to 2 and to 3. */
	REQUIRE(pay_to(&w, 1, 2, 0, FX_NOW + 10) == 0);
	REQUIRE(pay_to(&w, 1, 3, 0, FX_NOW + 20) == 0);
	CHECK_OK(deposit(&w, 2, &w.p[2].coins[0], NULL, &eff));
	check_double_spend(&w, 2, 3, ECASH_FRAUD_TWO_CLAIMS, 1, 1);
	/* 1 also deposits its own copy (chain of one claim) after 2's deposit. */
	check_double_spend(&w, 2, 1, ECASH_FRAUD_DEPOSITED_AND_SPENT, 1, 1);
	fx_free(&w);
}

/* Case 1: a coin copied off the link. Whoever saw (m, σ0) cannot make its
 * first claim without the owner key: the copier's deposit is refused, the
 * honest merchant is paid, nobody is named. */
TEST(ecash_bank, a_coin_copied_off_the_link_earns_the_copier_nothing_and_blames_nobody)
{
	struct fx w;
	struct ecash_payment p;
	struct ecash_registry_effect eff;
	REQUIRE(fx_paid(&w, 3, &p) == 0);
	/* The copier (party 2) claims the bare coin to itself with its own key:
	 * with no owner signature, or with one by a key of its own. */
	struct ecash_held_coin copy = { .coin = p.coins[0].coin };
	CHECK_ERR(ecash_customer_claim_self(&w.p[2].c, &copy, NULL, FX_NOW + 1), OBOL_E_ECASH_OWNER_SIGNATURE);
	uint8_t pk[ECASH_OWNER_LEN], sk[ECASH_OWNER_SK_LEN];
	ecash_owner_keypair(pk, sk);
	REQUIRE_OK(ecash_customer_claim_self(&w.p[2].c, &copy, sk, FX_NOW + 1));
	CHECK_ERR(deposit(&w, 2, &copy, NULL, &eff), OBOL_E_ECASH_OWNER_SIGNATURE);
	/* Or takes the honest first claim's owner signature onto its own claim. */
	memcpy(copy.chain[0].owner_sig, p.coins[0].chain[0].owner_sig, ECASH_OWNER_SIG_LEN);
	CHECK_ERR(deposit(&w, 2, &copy, NULL, &eff), OBOL_E_ECASH_OWNER_SIGNATURE);
	/* A merchant that took the honest claim cannot re-address it either:
	 * the payee is under both signatures. */
	struct ecash_held_coin moved;
	REQUIRE_OK(ecash_held_copy(&moved, &p.coins[0]));
	memcpy(moved.chain[0].payee, w.p[2].c.id, ECASH_ID_LEN);
	CHECK_ERR(deposit(&w, 2, &moved, NULL, &eff), OBOL_E_ECASH_CLAIM_SIGNATURE);
	/* The honest merchant is paid, and nobody is blamed. */
	CHECK_OK(deposit(&w, 1, &p.coins[0], NULL, &eff));
	ecash_held_clear(&moved);
	ecash_held_clear(&copy);
	ecash_payment_clear(&p);
	fx_free(&w);
}

/* Case 2: a payer revoked after an honest payment does not cost its payee
 * that payment; a claim made after the revocation took effect (beyond the
 * clock skew merchants allow) is refused. */
TEST(ecash_bank, revocation_after_an_honest_payment_does_not_reach_back)
{
	struct fx w;
	struct ecash_payment p;
	struct ecash_registry_effect eff;
	size_t idx = 0;
	REQUIRE(fx_paid(&w, 2, &p) == 0);
	REQUIRE_OK(fx_accept(&w, 1, &p, FX_NOW));
	struct ecash_revoked rk = { .at = FX_NOW + 1000 };
	memcpy(rk.id, w.p[0].c.id, ECASH_ID_LEN);
	struct ecash_revocations rl = { .keys = &rk, .n = 1 };
	CHECK_OK(bring(&w, ECASH_ENTRY_DEPOSIT, 1, &p.coins[0], &rl, NULL, w.p[0].account, FX_NOW + 2000, &eff));
	/* Within the skew of the revocation the claim still stands ... */
	rk.at = FX_NOW - w.bank.pol.max_skew + 1;
	CHECK_OK(bring(&w, ECASH_ENTRY_DEPOSIT, 1, &p.coins[0], &rl, NULL, w.p[0].account, FX_NOW + 2000, &eff));
	/* ... but not a claim made after it. */
	rk.at = FX_NOW - w.bank.pol.max_skew;
	CHECK_ERR(bring(&w, ECASH_ENTRY_DEPOSIT, 1, &p.coins[0], &rl, NULL, w.p[0].account, FX_NOW + 2000, &eff),
		  OBOL_E_ECASH_KEY_REVOKED);
	/* A merchant that knows of the revocation refuses the payer from then on. */
	struct ecash_payment late;
	rk.at = FX_NOW + 1000;
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	idx = 1;
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW + 1000, &late));
	struct ecash_revocations signed_rl = { .held = true, .issued = FX_NOW + 1000, .n = 1 };
	signed_rl.keys = malloc(sizeof(rk));
	REQUIRE(signed_rl.keys != NULL);
	signed_rl.keys[0] = rk;
	REQUIRE_OK(ecash_merchant_set_revocations(&w.p[1].m, &signed_rl));
	CHECK_ERR(ecash_merchant_verify(&w.p[1].m, &late, FX_NOW + 1000), OBOL_E_ECASH_KEY_REVOKED);
	ecash_payment_clear(&late);
	ecash_payment_clear(&p);
	fx_free(&w);
}

/* Case 5: the owner key proves a double spend with the account's two keys;
 * both first claims name the account the coin was issued to, through the
 * key whose top-up named the owner key. */
TEST(ecash_bank, double_spend_with_the_accounts_two_keys_names_the_account_and_its_key)
{
	struct fx w;
	struct ecash_payment p1, p2;
	struct ecash_registry_effect eff;
	struct ecash_spent s;
	size_t idx = 0;
	REQUIRE(fx_init(&w, 4) == 0);
	REQUIRE(fx_same_account(&w, 3, 0) == 0); /* party 3: a second key of party 0's account */
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p1));
	/* The same coin (and its owner secret) in key 3's wallet, spent with key 3. */
	struct ecash_held_coin *h = &w.p[0].coins[0];
	w.p[3].coins = calloc(1, sizeof(*w.p[3].coins));
	w.p[3].owner_sks = calloc(1, ECASH_OWNER_SK_LEN);
	REQUIRE(w.p[3].coins != NULL && w.p[3].owner_sks != NULL);
	REQUIRE_OK(ecash_held_copy(&w.p[3].coins[0], h));
	memcpy(w.p[3].owner_sks[0], w.p[0].owner_sks[0], ECASH_OWNER_SK_LEN);
	w.p[3].ncoins = 1;
	REQUIRE_OK(fx_pay(&w, 3, 2, &idx, 1, "EUR:1", 0, FX_NOW + 5, &p2));
	CHECK_OK(deposit(&w, 1, &p1.coins[0], NULL, &eff));
	REQUIRE(entry_of(&w, 1, ECASH_ENTRY_DEPOSIT, false, &p1.coins[0], &s) == 0);
	CHECK_ERR(deposit(&w, 2, &p2.coins[0], &s, &eff), OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(eff.ev.kind, ECASH_FRAUD_ISSUED_TWICE_SPENT);
	CHECK(eff.ev.culprit_key_known);
	CHECK_EQ_INT(eff.ev.culprit_account, w.p[0].account);
	ecash_registry_effect_clear(&eff);
	ecash_held_clear(&s.held);
	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	fx_free(&w);
}

/* Case 4's exchange: the coins of a payment left without a receipt, shown
 * with the claim the payer made, come back fresh only after the deposit
 * window; the merchant that deposits within it is paid, one that deposits
 * after is refused, and nobody is blamed either way. */
TEST(ecash_bank, exchange_of_an_unconfirmed_payment_waits_the_window_and_blames_nobody)
{
	struct fx w;
	struct ecash_payment p;
	struct ecash_registry_effect eff;
	struct ecash_spent s;
	REQUIRE(fx_paid(&w, 3, &p) == 0);
	const struct ecash_held_coin *paid = &p.coins[0];
	int64_t before = FX_NOW + w.bank.deposit_window - 1, after = FX_NOW + w.bank.deposit_window;
	/* The payer discloses its claim: too early within the window. */
	CHECK_ERR(bring(&w, ECASH_ENTRY_EXCHANGE, 0, paid, NULL, NULL, w.p[0].account, before, &eff),
		  OBOL_E_ECASH_EXCHANGE_TOO_EARLY);
	/* The merchant deposits within it: the payment stands, and the payer's
	 * exchange after the window finds it there. */
	CHECK_OK(bring(&w, ECASH_ENTRY_DEPOSIT, 1, paid, NULL, NULL, w.p[0].account, before, &eff));
	REQUIRE(entry_of(&w, 1, ECASH_ENTRY_DEPOSIT, false, paid, &s) == 0);
	CHECK_ERR(bring(&w, ECASH_ENTRY_EXCHANGE, 0, paid, NULL, &s, w.p[0].account, after, &eff),
		  OBOL_E_ECASH_ALREADY_DEPOSITED);
	ecash_held_clear(&s.held);
	/* Without the merchant's deposit: exchanged after the window; the
	 * merchant's late deposit is refused, no one is named. */
	CHECK_OK(bring(&w, ECASH_ENTRY_EXCHANGE, 0, paid, NULL, NULL, w.p[0].account, after, &eff));
	CHECK(eff.disclosed);
	REQUIRE(entry_of(&w, 0, ECASH_ENTRY_EXCHANGE, true, paid, &s) == 0);
	CHECK_ERR(bring(&w, ECASH_ENTRY_DEPOSIT, 1, paid, NULL, &s, w.p[0].account, after + 1, &eff),
		  OBOL_E_ECASH_COIN_RETIRED);
	/* The merchant spent it on instead: its payee is refused too, blameless. */
	struct fx_party *m = &w.p[1];
	REQUIRE(fx_receive(&w, 1, &p) == 0);
	REQUIRE(pay_to(&w, 1, 2, m->ncoins - 1, FX_NOW + 60) == 0);
	CHECK_ERR(bring(&w, ECASH_ENTRY_DEPOSIT, 2, &w.p[2].coins[0], NULL, &s, w.p[0].account, after + 1, &eff),
		  OBOL_E_ECASH_COIN_RETIRED);
	ecash_held_clear(&s.held);
	/* A payer that hides the claim and exchanges the coin as if it held it:
	 * the merchant's deposit names it, whichever comes first. */
	struct ecash_held_coin bare = { .coin = paid->coin };
	CHECK_OK(bring(&w, ECASH_ENTRY_EXCHANGE, 0, &bare, NULL, NULL, w.p[0].account, FX_NOW + 10, &eff));
	REQUIRE(entry_of(&w, 0, ECASH_ENTRY_EXCHANGE, false, &bare, &s) == 0);
	CHECK_ERR(bring(&w, ECASH_ENTRY_DEPOSIT, 1, paid, NULL, &s, w.p[0].account, FX_NOW + 20, &eff),
		  OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(eff.ev.kind, ECASH_FRAUD_EXCHANGED_AND_SPENT);
	CHECK_EQ_INT(eff.ev.culprit_account, w.p[0].account);
	ecash_registry_effect_clear(&eff);
	ecash_held_clear(&s.held);
	REQUIRE(entry_of(&w, 1, ECASH_ENTRY_DEPOSIT, false, paid, &s) == 0);
	CHECK_ERR(bring(&w, ECASH_ENTRY_EXCHANGE, 0, &bare, NULL, &s, w.p[0].account, FX_NOW + 20, &eff),
		  OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(eff.ev.culprit_account, w.p[0].account);
	ecash_registry_effect_clear(&eff);
	ecash_held_clear(&s.held);
	/* Someone else's payment is not ours to exchange. */
	CHECK_ERR(bring(&w, ECASH_ENTRY_EXCHANGE, 2, paid, NULL, NULL, w.p[0].account, after, &eff),
		  OBOL_E_ECASH_NOT_HOLDER);
	ecash_payment_clear(&p);
	fx_free(&w);
}

/* Case 10: the merchant's certificate expired (it renewed since): its coins
 * stay depositable under any key of its account; only a revoked key is
 * refused. */
TEST(ecash_bank, coins_received_under_an_expired_certificate_stay_depositable)
{
	struct fx w;
	struct ecash_payment p;
	struct ecash_registry_effect eff;
	REQUIRE(fx_paid(&w, 3, &p) == 0);
	int64_t later = w.p[1].c.cert.expiry + 10;
	CHECK_OK(bring(&w, ECASH_ENTRY_DEPOSIT, 1, &p.coins[0], NULL, NULL, w.p[0].account, later, &eff));
	REQUIRE(fx_same_account(&w, 2, 1) == 0); /* its renewed key */
	CHECK_OK(bring(&w, ECASH_ENTRY_DEPOSIT, 2, &p.coins[0], NULL, NULL, w.p[0].account, later, &eff));
	struct ecash_revoked rk = { .at = later - 1 };
	memcpy(rk.id, w.p[1].c.id, ECASH_ID_LEN);
	struct ecash_revocations rl = { .keys = &rk, .n = 1 };
	CHECK_ERR(bring(&w, ECASH_ENTRY_DEPOSIT, 1, &p.coins[0], &rl, NULL, w.p[0].account, later, &eff),
		  OBOL_E_ECASH_KEY_REVOKED);
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_bank, withdrawal_to_own_account_is_a_deposit_of_a_self_claim)
{
	/* §6.4: customer 0 returns an unspent coin to its account. */
	struct fx w;
	struct ecash_registry_effect eff;
	struct ecash_spent s;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	struct ecash_held_coin orig;
	REQUIRE_OK(ecash_held_copy(&orig, &w.p[0].coins[0]));
	REQUIRE_OK(ecash_customer_claim_self(&w.p[0].c, &w.p[0].coins[0], w.p[0].owner_sks[0], FX_NOW));
	CHECK_OK(deposit(&w, 0, &w.p[0].coins[0], NULL, &eff));
	/* Having withdrawn it, the customer still spends its original copy. */
	REQUIRE(entry_of(&w, 0, ECASH_ENTRY_DEPOSIT, false, &w.p[0].coins[0], &s) == 0);
	ecash_held_clear(&w.p[0].coins[0]);
	w.p[0].coins[0] = orig;
	REQUIRE(pay_to(&w, 0, 1, 0, FX_NOW + 30) == 0);
	CHECK_ERR(deposit(&w, 1, &w.p[1].coins[0], &s, &eff), OBOL_E_ECASH_DOUBLE_SPENT);
	CHECK_EQ_INT(eff.ev.kind, ECASH_FRAUD_TWO_CLAIMS);
	CHECK_MEM_EQ(eff.ev.culprit_key, w.p[0].c.id, ECASH_ID_LEN);
	ecash_registry_effect_clear(&eff);
	ecash_held_clear(&s.held);
	fx_free(&w);
}

/* Case 12 (§6.4): a withdrawal of an amount to another account: the amount
 * goes there, the rest of the coins comes back as a coin to the change
 * key; the terms are under the request's signature. */
TEST(ecash_bank, withdrawal_of_an_amount_to_another_account_returns_the_change)
{
	struct fx w;
	struct ecash_coins_terms t = { .has_to = true, .to = 4242, .has_amount = true };
	struct obol_amount credited, pay;
	struct ecash_coin change;
	uint8_t sk[ECASH_OWNER_SK_LEN], nonce[ECASH_NONCE_LEN] = { 7 }, sig[ECASH_SIG_MAX];
	size_t sig_len;
	bool has_change = false;
	char buf[OBOL_AMOUNT_STR_MAX];
	REQUIRE(fx_init(&w, 1) == 0);
	REQUIRE_OK(obol_amount_parse("EUR:0.3", &t.amount));
	REQUIRE_OK(obol_amount_parse("EUR:1", &credited));
	ecash_owner_keypair(t.change_owner, sk);
	REQUIRE_OK(ecash_bank_withdraw_settle(&w.bank, &t, &credited, FX_NOW, &pay, &change, &has_change));
	obol_amount_format(&pay, buf);
	CHECK_EQ_STR(buf, "EUR:0.3");
	CHECK(has_change);
	obol_amount_format(&change.value, buf);
	CHECK_EQ_STR(buf, "EUR:0.7");
	CHECK_MEM_EQ(change.owner, t.change_owner, ECASH_OWNER_LEN);
	CHECK_OK(ecash_coin_verify(&w.bank.keys, &change));
	/* Coins worth less than asked: all of it, no change. */
	REQUIRE_OK(obol_amount_parse("EUR:0.2", &credited));
	REQUIRE_OK(ecash_bank_withdraw_settle(&w.bank, &t, &credited, FX_NOW, &pay, &change, &has_change));
	obol_amount_format(&pay, buf);
	CHECK_EQ_STR(buf, "EUR:0.2");
	CHECK(!has_change);
	/* The target and the amount are signed: changing them fails the check. */
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	REQUIRE_OK(ecash_customer_claim_self(&w.p[0].c, &w.p[0].coins[0], w.p[0].owner_sks[0], FX_NOW));
	REQUIRE_OK(ecash_customer_coins_answer(&w.p[0].c, ECASH_ENTRY_DEPOSIT, nonce, w.p[0].coins, 1, &t, sig, &sig_len));
	struct ecash_coins_in in = { .kind = ECASH_ENTRY_DEPOSIT, .holder = &w.p[0].c.cert, .nonce = nonce,
				     .coins = w.p[0].coins, .n = 1, .terms = &t, .sig = sig, .sig_len = sig_len, .now = FX_NOW };
	CHECK_OK(ecash_bank_coins_auth(&w.bank, &in));
	t.to = 4243;
	CHECK_ERR(ecash_bank_coins_auth(&w.bank, &in), OBOL_E_ECASH_NONCE_SIGNATURE);
	t.to = 4242;
	REQUIRE_OK(obol_amount_parse("EUR:0.4", &t.amount));
	CHECK_ERR(ecash_bank_coins_auth(&w.bank, &in), OBOL_E_ECASH_NONCE_SIGNATURE);
	/* Terms a refund may not carry. */
	in.kind = ECASH_ENTRY_REFUND;
	CHECK_ERR(ecash_bank_coins_auth(&w.bank, &in), OBOL_E_INVALID_ARGUMENT);
	fx_free(&w);
}

TEST(ecash_bank, refund_needs_the_holders_refund_answer_and_an_expired_coin)
{
	struct fx w;
	uint8_t nonce[ECASH_NONCE_LEN], sig[ECASH_SIG_MAX];
	size_t sig_len;
	struct ecash_registry_effect eff;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	const struct ecash_held_coin *h = &w.p[0].coins[0];
	int64_t after = h->coin.expiry + 1;
	obol_random(nonce, sizeof(nonce));
	REQUIRE_OK(ecash_customer_coins_answer(&w.p[0].c, ECASH_ENTRY_REFUND, nonce, h, 1, NULL, sig, &sig_len));
	struct ecash_coins_in in = { .kind = ECASH_ENTRY_REFUND, .holder = &w.p[0].c.cert, .nonce = nonce, .coins = h,
				     .n = 1, .sig = sig, .sig_len = sig_len, .now = after };
	CHECK_OK(ecash_bank_coins_auth(&w.bank, &in));
	/* The answer is bound to its purpose, its signer and its nonce. */
	in.kind = ECASH_ENTRY_DEPOSIT;
	CHECK_ERR(ecash_bank_coins_auth(&w.bank, &in), OBOL_E_ECASH_NONCE_SIGNATURE);
	in.kind = ECASH_ENTRY_REFUND;
	in.holder = &w.p[1].c.cert;
	CHECK_ERR(ecash_bank_coins_auth(&w.bank, &in), OBOL_E_ECASH_NONCE_SIGNATURE);
	/* Expiry: the last second of the coin's life is not after it. */
	CHECK_ERR(ecash_bank_coin_verify(&w.bank, ECASH_ENTRY_REFUND, h, NULL, h->coin.expiry), OBOL_E_ECASH_COIN_NOT_EXPIRED);
	CHECK_OK(ecash_bank_coin_verify(&w.bank, ECASH_ENTRY_REFUND, h, NULL, after));
	/* Registry: the issued-to account only; once. */
	CHECK_ERR(bring(&w, ECASH_ENTRY_REFUND, 1, h, NULL, NULL, w.p[0].account, after, &eff), OBOL_E_ECASH_NOT_HOLDER);
	CHECK_OK(bring(&w, ECASH_ENTRY_REFUND, 0, h, NULL, NULL, w.p[0].account, after, &eff));
	struct ecash_spent prev = { .depositor_account = w.p[0].account, .kind = ECASH_ENTRY_REFUND, .held = *h };
	memcpy(prev.depositor, w.p[0].c.id, ECASH_ID_LEN);
	CHECK_ERR(bring(&w, ECASH_ENTRY_REFUND, 0, h, NULL, &prev, w.p[0].account, after, &eff),
		  OBOL_E_ECASH_ALREADY_REFUNDED);
	fx_free(&w);
}
