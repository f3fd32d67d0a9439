/* The bank's tables and ledger moves (src/issuer/ecash_*.c) on every
 * storage backend: issue, deposit, the same merchant twice, a double spend
 * recorded with its evidence and every key of its culprit revoked, refunds,
 * exchanges, withdrawals to another account, renewed keys, many revoked
 * keys, concurrent deposits, and the audit's ecash check holding
 * throughout. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "bank_db.h"
#include "fixture.h"
#include "issuer/ecash_issuer.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "../test.h"

/* The first page of the whole published list at FX_NOW. */
static obol_err first_page(struct bank_db *b, struct ecash_rl_page *p)
{
	struct ecash_rl_query q = { .version = FX_NOW, .coin_lifetime = b->st.bank.coin_lifetime };
	return ecash_issuer_revocation_page(b->s, &q, p);
}

TEST_DB(ecash_bank_store, issue_deposit_double_spend_and_audit)
{
	static const char *const two[] = { "EUR:1", "EUR:2" };
	struct bank_db b;
	struct ecash_payment p1, p2;
	json_t *reply = NULL;
	size_t idx[2] = { 0, 1 };
	REQUIRE(open_bank(&b, db_url, 3) == 0);
	REQUIRE(fx_topup(&b.w, 0, two, 2) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	CHECK(audit_ok(b.s));
	struct obol_amount bal;
	char text[OBOL_AMOUNT_STR_MAX];
	REQUIRE_OK(obol_ledger_balance(b.s, b.w.p[0].account, &bal));
	obol_amount_format(&bal, text);
	CHECK_EQ_STR(text, "EUR:7");

	/* Customer 0 pays both coins to 1, and the EUR:2 coin again to 2. */
	REQUIRE_OK(fx_pay(&b.w, 0, 1, idx, 2, "EUR:3", 0, FX_NOW, &p1));
	REQUIRE_OK(fx_accept(&b.w, 1, &p1, FX_NOW));
	REQUIRE(fx_receive(&b.w, 1, &p1) == 0);
	REQUIRE_OK(fx_pay(&b.w, 0, 2, idx + 1, 1, "EUR:2", 0, FX_NOW + 1, &p2));
	REQUIRE_OK(fx_accept(&b.w, 2, &p2, FX_NOW + 1));
	REQUIRE(fx_receive(&b.w, 2, &p2) == 0);

	REQUIRE_OK(deposit(&b, 1, 0, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	CHECK_EQ_STR(result_name(reply, 1), "OK");
	CHECK_EQ_STR(json_string_value(json_object_get(reply, "credited")), "EUR:3");
	json_decref(reply);
	CHECK(audit_ok(b.s));
	/* The same merchant again: refused, nothing moves. */
	REQUIRE_OK(deposit(&b, 1, 0, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_ALREADY_DEPOSITED");
	CHECK_EQ_STR(json_string_value(json_object_get(reply, "credited")), "EUR:0");
	json_decref(reply);
	REQUIRE_OK(obol_ledger_balance(b.s, b.w.p[1].account, &bal));
	obol_amount_format(&bal, text);
	CHECK_EQ_STR(text, "EUR:13");

	/* Merchant 2's copy: a double spend, recorded, the culprit revoked. */
	REQUIRE_OK(deposit(&b, 2, 0, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_DOUBLE_SPENT");
	const json_t *ev = json_object_get(json_array_get(json_object_get(reply, "results"), 0), "evidence");
	CHECK_EQ_INT(json_integer_value(json_object_get(ev, "culprit_account")), b.w.p[0].account);
	CHECK_EQ_STR(json_string_value(json_object_get(ev, "kind")), "two-claims");
	json_decref(reply);
	struct ecash_rl_page page;
	REQUIRE_OK(first_page(&b, &page));
	CHECK_EQ_INT(page.n, 1);
	CHECK(memcmp(page.keys[0].id, b.w.p[0].c.id, ECASH_ID_LEN) == 0);
	CHECK(ecash_rl_page_last(&page));
	ecash_rl_page_clear(&page);
	REQUIRE_OK(obol_ledger_balance(b.s, b.w.p[2].account, &bal));
	obol_amount_format(&bal, text);
	CHECK_EQ_STR(text, "EUR:10");
	CHECK(audit_ok(b.s));

	/* A forged coin among honest ones: reported, the others unaffected. */
	fx_flip(b.w.p[2].coins[0].coin.sig, 3);
	REQUIRE_OK(deposit(&b, 2, 0, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_COIN_SIGNATURE");
	json_decref(reply);
	CHECK(audit_ok(b.s));

	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	close_bank(&b);
}

TEST_DB(ecash_bank_store, nonces_are_one_use_per_account_and_purpose)
{
	struct obol_store *s = NULL;
	struct obol_stmt *st;
	bool row;
	uint8_t nonce[ECASH_NONCE_LEN] = { 7 };
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(obol_ledger_init(s, "EUR"));
	REQUIRE_OK(ecash_issuer_migrate(s));
	REQUIRE_OK(obol_store_begin(s));
	REQUIRE_OK(obol_stmt_prepare(s, "INSERT INTO ecash_nonces (nonce, account, purpose, expiry, used) "
					"VALUES (?, 5, 'topup', ?, 0)", &st));
	REQUIRE_OK(obol_stmt_bind_blob(st, 1, nonce, sizeof(nonce)));
	REQUIRE_OK(obol_stmt_bind_int64(st, 2, FX_NOW + 300));
	REQUIRE_OK(obol_stmt_step(st, &row));
	obol_stmt_finish(st);
	CHECK_ERR(ecash_issuer_nonce_take(s, nonce, 6, "topup", FX_NOW), OBOL_E_ECASH_NONCE_UNKNOWN);
	CHECK_ERR(ecash_issuer_nonce_take(s, nonce, 5, "register", FX_NOW), OBOL_E_ECASH_NONCE_UNKNOWN);
	CHECK_ERR(ecash_issuer_nonce_take(s, nonce, 5, "topup", FX_NOW + 301), OBOL_E_ECASH_NONCE_EXPIRED);
	CHECK_OK(ecash_issuer_nonce_take(s, nonce, 5, "topup", FX_NOW));
	CHECK_ERR(ecash_issuer_nonce_take(s, nonce, 5, "topup", FX_NOW), OBOL_E_ECASH_NONCE_UNKNOWN);
	REQUIRE_OK(obol_store_commit(s));
	obol_store_close(s);
}

/* Party `who` redeems expired coins[0..n) at `now` (§6.4 after expiry). */
TEST_DB(ecash_bank_store, expired_coin_refunded_once_to_its_holder)
{
	static const char *const three[] = { "EUR:1", "EUR:2", "EUR:3" };
	struct bank_db b;
	struct ecash_payment p;
	json_t *reply = NULL;
	char text[OBOL_AMOUNT_STR_MAX];
	size_t two = 2;
	REQUIRE(open_bank(&b, db_url, 3) == 0);
	REQUIRE(fx_topup(&b.w, 0, three, 3) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:4");
	int64_t after = b.w.p[0].coins[0].coin.expiry + 1;

	/* Not expired yet: refused, nothing moves. */
	REQUIRE_OK(refund(&b, 0, b.w.p[0].coins, 1, b.w.p[0].coins[0].coin.expiry, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_COIN_NOT_EXPIRED");
	CHECK_EQ_STR(json_string_value(json_object_get(reply, "credited")), "EUR:0");
	json_decref(reply);
	CHECK(audit_ok(b.s));
	/* A forged coin (σ0 altered): refused. */
	struct ecash_held_coin forged = { .coin = b.w.p[0].coins[0].coin };
	forged.coin.value.units *= 50;
	REQUIRE_OK(refund(&b, 0, &forged, 1, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_COIN_SIGNATURE");
	json_decref(reply);
	/* A coin without claims redeemed by another customer: not its holder. */
	REQUIRE_OK(refund(&b, 2, b.w.p[0].coins, 1, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_NOT_HOLDER");
	json_decref(reply);
	CHECK(audit_ok(b.s));

	/* The customer it was issued to: credited once. */
	REQUIRE_OK(refund(&b, 0, b.w.p[0].coins, 1, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	CHECK_EQ_STR(json_string_value(json_object_get(reply, "credited")), "EUR:1");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:5");
	CHECK(audit_ok(b.s));
	/* A second refund: refused, nothing moves. */
	REQUIRE_OK(refund(&b, 0, b.w.p[0].coins, 1, after + 5, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_ALREADY_REFUNDED");
	CHECK_EQ_STR(json_string_value(json_object_get(reply, "credited")), "EUR:0");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:5");
	CHECK(audit_ok(b.s));

	/* A transferee: party 1 received the EUR:3 coin before expiry and redeems
	 * it after; the payer's own copy then comes too late. */
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &two, 1, "EUR:3", 0, FX_NOW, &p));
	REQUIRE_OK(fx_accept(&b.w, 1, &p, FX_NOW));
	REQUIRE(fx_receive(&b.w, 1, &p) == 0);
	ecash_payment_clear(&p);
	REQUIRE_OK(refund(&b, 2, &b.w.p[1].coins[0], 1, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_NOT_HOLDER");
	json_decref(reply);
	REQUIRE_OK(refund(&b, 1, &b.w.p[1].coins[0], 1, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 1, text), "EUR:13");
	CHECK(audit_ok(b.s));
	REQUIRE_OK(refund(&b, 0, &b.w.p[0].coins[2], 1, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_DOUBLE_SPENT");
	const json_t *ev = json_object_get(json_array_get(json_object_get(reply, "results"), 0), "evidence");
	CHECK_EQ_STR(json_string_value(json_object_get(ev, "kind")), "refunded-and-spent");
	CHECK_EQ_INT(json_integer_value(json_object_get(ev, "culprit_account")), b.w.p[0].account);
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:5");
	CHECK(audit_ok(b.s));
	close_bank(&b);
}

TEST_DB(ecash_bank_store, coin_redeemed_and_spent_is_a_double_spend_either_way)
{
	static const char *const two[] = { "EUR:1", "EUR:2" };
	struct bank_db b;
	struct ecash_payment p;
	json_t *reply = NULL;
	char text[OBOL_AMOUNT_STR_MAX], key[OBOL_B64_LEN(ECASH_ID_LEN)];
	size_t first = 0, second = 1;
	REQUIRE(open_bank(&b, db_url, 3) == 0);
	REQUIRE(fx_topup(&b.w, 0, two, 2) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	int64_t after = b.w.p[0].coins[0].coin.expiry + 1;
	REQUIRE_OK(obol_b64_encode(b.w.p[0].c.id, ECASH_ID_LEN, key, sizeof(key)));

	/* Spent offline to merchant 1 before expiry, redeemed by the payer after
	 * it, then deposited by the merchant: caught, naming the redeemer. */
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &first, 1, "EUR:1", 0, FX_NOW, &p));
	REQUIRE_OK(fx_accept(&b.w, 1, &p, FX_NOW));
	REQUIRE(fx_receive(&b.w, 1, &p) == 0);
	ecash_payment_clear(&p);
	REQUIRE_OK(refund(&b, 0, &b.w.p[0].coins[0], 1, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	REQUIRE_OK(deposit_at(&b, 1, 0, after + 10, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_DOUBLE_SPENT");
	const json_t *ev = json_object_get(json_array_get(json_object_get(reply, "results"), 0), "evidence");
	CHECK_EQ_STR(json_string_value(json_object_get(ev, "kind")), "refunded-and-spent");
	CHECK_EQ_INT(json_integer_value(json_object_get(ev, "culprit_account")), b.w.p[0].account);
	CHECK_EQ_STR(json_string_value(json_object_get(ev, "culprit_key")), key);
	CHECK(json_object_get(ev, "second") != NULL);
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:8");
	CHECK_EQ_STR(balance_of(&b, 1, text), "EUR:10");
	CHECK(audit_ok(b.s));
	struct ecash_rl_page page;
	struct ecash_rl_query q = { .version = after + 10, .coin_lifetime = b.st.bank.coin_lifetime };
	REQUIRE_OK(ecash_issuer_revocation_page(b.s, &q, &page));
	bool listed = false;
	for (size_t i = 0; i < page.n; i++)
		listed |= memcmp(page.keys[i].id, b.w.p[0].c.id, ECASH_ID_LEN) == 0;
	CHECK(listed);
	ecash_rl_page_clear(&page);

	/* Deposited by merchant 2 first, redeemed by the payer after expiry:
	 * reported like a double spend, with its evidence. */
	REQUIRE_OK(fx_pay(&b.w, 0, 2, &second, 1, "EUR:2", 0, FX_NOW, &p));
	REQUIRE_OK(fx_accept(&b.w, 2, &p, FX_NOW));
	REQUIRE(fx_receive(&b.w, 2, &p) == 0);
	ecash_payment_clear(&p);
	REQUIRE_OK(deposit_at(&b, 2, 0, FX_NOW + 5, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	REQUIRE_OK(refund(&b, 0, &b.w.p[0].coins[1], 1, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_DOUBLE_SPENT");
	ev = json_object_get(json_array_get(json_object_get(reply, "results"), 0), "evidence");
	CHECK_EQ_STR(json_string_value(json_object_get(ev, "kind")), "refunded-and-spent");
	CHECK_EQ_INT(json_integer_value(json_object_get(ev, "culprit_account")), b.w.p[0].account);
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:8");
	CHECK_EQ_STR(balance_of(&b, 2, text), "EUR:12");
	CHECK(audit_ok(b.s));
	close_bank(&b);
}


/* Registers a second key of party `of`'s account as party `as` (its
 * certificate re-signed for that account and stored). */
static int second_key(struct bank_db *b, size_t as, size_t of)
{
	struct ecash_cert *c = &b->w.p[as].c.cert;
	json_t *j = NULL;
	if (fx_same_account(&b->w, as, of) != 0 || tx_begin(b->s) != OBOL_OK)
		return -1;
	/* The fixture stored party `as` for its own account first: move it. */
	if (obol_store_run(b->s, NULL, "DELETE FROM ecash_certs WHERE key_id = ?", "b", b->w.p[as].c.id,
			   (size_t)ECASH_ID_LEN) != OBOL_OK ||
	    ecash_issuer_cert_insert(b->s, c, &j) != OBOL_OK)
		return -1;
	json_decref(j);
	return obol_store_commit(b->s) == OBOL_OK ? 0 : -1;
}

static bool revoked_in_db(struct bank_db *b, const uint8_t id[ECASH_ID_LEN])
{
	struct ecash_revocations rl;
	bool r = ecash_issuer_revocations_of(b->s, (const uint8_t(*)[ECASH_ID_LEN])id, 1, &rl) == OBOL_OK &&
		 ecash_revoked(&rl, id, NULL);
	ecash_revocations_clear(&rl);
	return r;
}

/* Case 5: a double spend proven against an account through one of its two
 * keys revokes both and bars it from registering another. */
TEST_DB(ecash_bank_store, proven_double_spender_loses_every_key_of_its_account)
{
	static const char *const one[] = { "EUR:1" };
	struct bank_db b;
	struct ecash_payment p1, p2;
	json_t *reply = NULL;
	size_t idx = 0, live = 0;
	bool barred = false;
	REQUIRE(open_bank(&b, db_url, 4) == 0);
	REQUIRE(second_key(&b, 3, 0) == 0);
	REQUIRE(fx_topup(&b.w, 0, one, 1) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	REQUIRE_OK(ecash_issuer_account_keys(b.s, b.w.p[0].account, FX_NOW, &live, &barred));
	CHECK_EQ_INT(live, 2);
	CHECK(!barred);
	/* The coin and its owner secret in both wallets of the account. */
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p1));
	b.w.p[3].coins = calloc(1, sizeof(*b.w.p[3].coins));
	b.w.p[3].owner_sks = calloc(1, ECASH_OWNER_SK_LEN);
	REQUIRE(b.w.p[3].coins != NULL && b.w.p[3].owner_sks != NULL);
	REQUIRE_OK(ecash_held_copy(&b.w.p[3].coins[0], &b.w.p[0].coins[0]));
	memcpy(b.w.p[3].owner_sks[0], b.w.p[0].owner_sks[0], ECASH_OWNER_SK_LEN);
	b.w.p[3].ncoins = 1;
	REQUIRE_OK(fx_pay(&b.w, 3, 2, &idx, 1, "EUR:1", 0, FX_NOW + 5, &p2));
	REQUIRE_OK(bring(&b, ECASH_ENTRY_DEPOSIT, 1, p1.coins, 1, FX_NOW + 50, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	REQUIRE_OK(bring(&b, ECASH_ENTRY_DEPOSIT, 2, p2.coins, 1, FX_NOW + 60, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_DOUBLE_SPENT");
	const json_t *ev = json_object_get(json_array_get(json_object_get(reply, "results"), 0), "evidence");
	CHECK_EQ_STR(json_string_value(json_object_get(ev, "kind")), "issued-twice-spent");
	CHECK_EQ_INT(json_integer_value(json_object_get(ev, "culprit_account")), b.w.p[0].account);
	json_decref(reply);
	CHECK(revoked_in_db(&b, b.w.p[0].c.id));
	CHECK(revoked_in_db(&b, b.w.p[3].c.id));
	CHECK(!revoked_in_db(&b, b.w.p[1].c.id));
	REQUIRE_OK(ecash_issuer_account_keys(b.s, b.w.p[0].account, FX_NOW + 60, &live, &barred));
	CHECK_EQ_INT(live, 0);
	CHECK(barred);
	CHECK(audit_ok(b.s));
	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	close_bank(&b);
}

/* Case 6 at the bank's tables: the second chain of one merchant is recorded
 * as a fraud and the payer's keys revoked. */
TEST_DB(ecash_bank_store, same_merchant_second_chain_is_recorded)
{
	static const char *const one[] = { "EUR:1" };
	struct bank_db b;
	struct ecash_payment p1, p2;
	json_t *reply = NULL;
	size_t idx = 0;
	int64_t n = 0;
	REQUIRE(open_bank(&b, db_url, 2) == 0);
	REQUIRE(fx_topup(&b.w, 0, one, 1) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p1));
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW + 30, &p2));
	REQUIRE_OK(bring(&b, ECASH_ENTRY_DEPOSIT, 1, p1.coins, 1, FX_NOW + 50, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	REQUIRE_OK(bring(&b, ECASH_ENTRY_DEPOSIT, 1, p2.coins, 1, FX_NOW + 60, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_DOUBLE_SPENT");
	json_decref(reply);
	struct obol_stmt *st;
	bool row;
	REQUIRE_OK(obol_stmt_prepare(b.s, "SELECT COUNT(*) FROM ecash_frauds", &st));
	REQUIRE_OK(obol_stmt_step(st, &row));
	n = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	CHECK_EQ_INT(n, 1);
	CHECK(revoked_in_db(&b, b.w.p[0].c.id));
	CHECK(audit_ok(b.s));
	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	close_bank(&b);
}

struct racer {
	struct bank_db *b;
	const char *url;
	const struct ecash_payment *p;
	obol_err e;
	json_t *reply;
};

static void *race_deposit(void *arg)
{
	struct racer *r = arg;
	struct obol_store *s2 = NULL;
	r->e = obol_store_open(r->url, false, &s2);
	if (r->e == OBOL_OK)
		r->e = bring_on(r->b, s2, ECASH_ENTRY_DEPOSIT, 2, r->p->coins, 1, NULL, FX_NOW + 60, &r->reply);
	obol_store_close(s2);
	return NULL;
}

static obol_err open_deposit(struct obol_store *s, void *arg)
{
	struct coins_tx *t = arg;
	return coins_tx(s, t);
}

/* Case 7: two deposits of one serial at once (two issuer processes on one
 * database): the one that commits second is answered DOUBLE_SPENT, never
 * INTERNAL. The first is held open while the second runs. */
TEST_DB(ecash_bank_store, concurrent_deposits_of_one_coin_answer_double_spent)
{
	static const char *const one[] = { "EUR:1" };
	struct bank_db b;
	struct ecash_payment p1, p2;
	size_t idx = 0;
	REQUIRE(open_bank(&b, db_url, 3) == 0);
	REQUIRE(fx_topup(&b.w, 0, one, 1) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p1));
	REQUIRE_OK(fx_pay(&b.w, 0, 2, &idx, 1, "EUR:1", 0, FX_NOW + 1, &p2));
	/* Merchant 1's deposit, its transaction left open. */
	struct ecash_deposit_req r = { 0 };
	struct ecash_coins_terms t = { 0 };
	r.cert = b.w.p[1].c.cert;
	r.coins = p1.coins;
	r.ncoins = 1;
	struct coins_tx tx = { .b = &b, .job = { .kind = ECASH_ENTRY_DEPOSIT, .m = &r, .terms = &t,
						.account = b.w.p[1].account }, .now = FX_NOW + 50 };
	tx.job.verified[0] = OBOL_OK;
	REQUIRE_OK(obol_store_begin(b.s));
	REQUIRE_OK(open_deposit(b.s, &tx));
	CHECK_EQ_STR(result_name(tx.reply, 0), "OK");
	struct racer rc = { .b = &b, .url = db_url, .p = &p2 };
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, race_deposit, &rc) == 0);
	usleep(300000);
	REQUIRE_OK(obol_store_commit(b.s));
	pthread_join(th, NULL);
	CHECK_OK(rc.e);
	if (rc.reply != NULL)
		CHECK_EQ_STR(result_name(rc.reply, 0), "ECASH_DOUBLE_SPENT");
	CHECK(audit_ok(b.s));
	json_decref(tx.reply);
	json_decref(rc.reply);
	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	close_bank(&b);
}

/* Case 8: every registration has its directory block, however many came
 * before (the directory was once cut at the newest 1,024). */
TEST_DB(ecash_bank_store, an_old_registration_has_its_directory_block_past_a_thousand_keys)
{
	struct bank_db b;
	struct ecash_directory dir;
	uint8_t first[ECASH_ID_LEN];
	REQUIRE(open_bank(&b, db_url, 1) == 0);
	/* 1,100 more registrations (certificates on made-up keys: the block
	 * read does not parse them). */
	REQUIRE_OK(obol_store_begin(b.s));
	for (int i = 0; i < 1100; i++) {
		struct ecash_cert c = b.w.p[0].c.cert;
		json_t *j = NULL;
		c.key[c.key_len - 1] ^= (uint8_t)(i + 1);
		c.key[c.key_len - 2] ^= (uint8_t)((i + 1) >> 8);
		c.issued = FX_NOW + i;
		REQUIRE_OK(ecash_issuer_cert_insert(b.s, &c, &j));
		json_decref(j);
	}
	REQUIRE_OK(obol_store_commit(b.s));
	/* The first registered key: its block is the first, whole. */
	memcpy(first, b.w.p[0].c.id, ECASH_ID_LEN);
	REQUIRE_OK(ecash_issuer_directory(b.s, first, FX_NOW, &dir));
	CHECK_EQ_INT(dir.first, 0);
	CHECK_EQ_INT(dir.n, ECASH_DIRECTORY_SPAN);
	CHECK_EQ_INT(dir.e[0].seq, 0);
	ecash_directory_clear(&dir);
	/* One of the last: its block, not the first one. */
	struct ecash_cert late = b.w.p[0].c.cert;
	uint8_t id[ECASH_ID_LEN];
	late.key[late.key_len - 1] ^= (uint8_t)1050;
	late.key[late.key_len - 2] ^= (uint8_t)(1050 >> 8);
	ecash_key_id_der(late.key, late.key_len, id);
	REQUIRE_OK(ecash_issuer_directory(b.s, id, FX_NOW, &dir));
	CHECK_EQ_INT(dir.first, 1024);
	bool found = false;
	for (size_t i = 0; i < dir.n; i++)
		found |= dir.e[i].seq == 1050 && memcmp(dir.e[i].cert.key, late.key, late.key_len) == 0;
	CHECK(found);
	REQUIRE_OK(ecash_bank_sign_directory(&b.st.bank, &dir));
	CHECK_OK(ecash_directory_verify(&b.w.bank.keys, &dir));
	ecash_directory_clear(&dir);
	close_bank(&b);
}

/* Case 9: past thousands of revoked keys, top-ups and deposits go on (no
 * list is read whole on their path), and the published list is complete. */
TEST_DB(ecash_bank_store, many_revoked_keys_break_nothing)
{
	static const char *const one[] = { "EUR:1" };
	struct bank_db b;
	struct ecash_payment p;
	json_t *reply = NULL;
	size_t idx = 0;
	REQUIRE(open_bank(&b, db_url, 2) == 0);
	REQUIRE_OK(obol_store_begin(b.s));
	for (int i = 0; i < 5000; i++) {
		uint8_t id[ECASH_ID_LEN] = { 0 };
		id[0] = (uint8_t)(i >> 8);
		id[1] = (uint8_t)i;
		id[2] = 0xee;
		REQUIRE_OK(ecash_issuer_revoke(b.s, id, "test", FX_NOW));
	}
	REQUIRE_OK(obol_store_commit(b.s));
	REQUIRE(fx_topup(&b.w, 0, one, 1) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	REQUIRE_OK(bring(&b, ECASH_ENTRY_DEPOSIT, 1, p.coins, 1, FX_NOW + 50, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	struct ecash_rl_page page;
	REQUIRE_OK(first_page(&b, &page));
	CHECK_EQ_INT(page.n, 0); /* made-up keys have no certificate: nothing a live coin carries */
	CHECK(ecash_rl_page_last(&page));
	ecash_rl_page_clear(&page);
	CHECK(audit_ok(b.s));
	ecash_payment_clear(&p);
	close_bank(&b);
}

/* Case 10: a merchant that renewed its key deposits, with the new one, the
 * coins it received under the old one. */
TEST_DB(ecash_bank_store, coins_received_under_the_old_key_are_deposited_with_the_new)
{
	static const char *const one[] = { "EUR:1" };
	struct bank_db b;
	struct ecash_payment p;
	json_t *reply = NULL;
	char text[OBOL_AMOUNT_STR_MAX];
	size_t idx = 0;
	REQUIRE(open_bank(&b, db_url, 3) == 0);
	REQUIRE(fx_topup(&b.w, 0, one, 1) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	REQUIRE(second_key(&b, 2, 1) == 0); /* merchant 1's renewed key */
	/* Deposited after the old certificate expired, signed with the new key. */
	REQUIRE_OK(bring(&b, ECASH_ENTRY_DEPOSIT, 2, p.coins, 1, b.w.p[1].c.cert.expiry + 10, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 1, text), "EUR:11");
	CHECK(audit_ok(b.s));
	ecash_payment_clear(&p);
	close_bank(&b);
}

/* Case 12 (§6.4): a withdrawal of an amount to another account. */
TEST_DB(ecash_bank_store, withdrawal_of_an_amount_to_another_account)
{
	static const char *const one[] = { "EUR:1" };
	struct bank_db b;
	struct ecash_deposit_req terms = { .has_to = true, .has_amount = true, .has_change = true };
	json_t *reply = NULL;
	char text[OBOL_AMOUNT_STR_MAX];
	uint8_t sk[ECASH_OWNER_SK_LEN];
	REQUIRE(open_bank(&b, db_url, 3) == 0);
	REQUIRE(fx_topup(&b.w, 0, one, 1) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	REQUIRE_OK(ecash_customer_claim_self(&b.w.p[0].c, &b.w.p[0].coins[0], b.w.p[0].owner_sks[0], FX_NOW));
	terms.to = b.w.p[2].account;
	REQUIRE_OK(obol_amount_parse("EUR:0.25", &terms.amount));
	ecash_owner_keypair(terms.change, sk);
	REQUIRE_OK(bring_on(&b, b.s, ECASH_ENTRY_DEPOSIT, 0, b.w.p[0].coins, 1, &terms, FX_NOW + 10, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	CHECK_EQ_STR(json_string_value(json_object_get(reply, "credited")), "EUR:0.25");
	const json_t *ch = json_object_get(reply, "change");
	CHECK(ch != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(ch, "value")), "EUR:0.75");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 2, text), "EUR:10.25");
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:9");
	CHECK(audit_ok(b.s));
	/* To an account that does not exist: refused as a whole, nothing moves. */
	terms.to = 999999;
	struct ecash_held_coin again;
	REQUIRE_OK(ecash_held_copy(&again, &b.w.p[0].coins[0]));
	CHECK_ERR(bring_on(&b, b.s, ECASH_ENTRY_DEPOSIT, 0, &again, 1, &terms, FX_NOW + 20, &reply),
		  OBOL_E_LEDGER_ACCOUNT_UNKNOWN);
	ecash_held_clear(&again);
	CHECK(audit_ok(b.s));
	close_bank(&b);
}

/* Case 4 at the bank's tables: an exchange after the window issues a fresh
 * coin to the payer; the merchant's late deposit is refused, nobody
 * blamed; the books balance. */
TEST_DB(ecash_bank_store, exchange_retires_the_coin_for_a_fresh_one)
{
	static const char *const one[] = { "EUR:1" };
	struct bank_db b;
	struct ecash_payment p;
	struct ecash_deposit_req terms = { .has_owners = true, .nowners = 1 };
	json_t *reply = NULL;
	uint8_t sk[ECASH_OWNER_SK_LEN];
	size_t idx = 0;
	REQUIRE(open_bank(&b, db_url, 2) == 0);
	REQUIRE(fx_topup(&b.w, 0, one, 1) == 0);
	REQUIRE(issue(&b, 0, 0) == 0);
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p));
	ecash_owner_keypair(terms.owners[0], sk);
	int64_t after = FX_NOW + b.st.bank.deposit_window;
	REQUIRE_OK(bring_on(&b, b.s, ECASH_ENTRY_EXCHANGE, 0, p.coins, 1, &terms, after - 1, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_EXCHANGE_TOO_EARLY");
	json_decref(reply);
	REQUIRE_OK(bring_on(&b, b.s, ECASH_ENTRY_EXCHANGE, 0, p.coins, 1, &terms, after, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	const json_t *cj = json_object_get(json_array_get(json_object_get(reply, "results"), 0), "coin");
	CHECK(cj != NULL);
	json_decref(reply);
	CHECK(audit_ok(b.s));
	REQUIRE_OK(bring(&b, ECASH_ENTRY_DEPOSIT, 1, p.coins, 1, after + 5, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_COIN_RETIRED");
	json_decref(reply);
	CHECK(!revoked_in_db(&b, b.w.p[0].c.id));
	CHECK(!revoked_in_db(&b, b.w.p[1].c.id));
	CHECK(audit_ok(b.s));
	ecash_payment_clear(&p);
	close_bank(&b);
}
