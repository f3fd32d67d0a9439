/* The bank's tables and ledger moves (src/issuer/ecash_ops.c) on every
 * storage backend: issue, deposit, the same merchant twice, a double spend
 * recorded with its evidence and its culprit's key revoked, and the audit's
 * ecash check holding throughout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "fixture.h"
#include "issuer/ecash_issuer.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "../test.h"

struct bank_db {
	struct fx w;
	struct obol_store *s;
	struct ecash_issuer_state st;
};

static obol_err tx_begin(struct obol_store *s)
{
	return obol_store_begin(s);
}

/* Opens the backend, the ledger and the ecash tables; accounts 101.. are the
 * fixture's parties (created in order so that their ids match). */
static int open_bank(struct bank_db *b, const char *db_url, size_t parties)
{
	memset(b, 0, sizeof(*b));
	if (fx_init(&b->w, parties) != 0 || obol_store_open(db_url, true, &b->s) != OBOL_OK ||
	    obol_ledger_init(b->s, "EUR") != OBOL_OK || ecash_issuer_migrate(b->s) != OBOL_OK)
		return -1;
	b->st.sk = b->w.bank_sk;
	b->st.bank = b->w.bank;
	if (tx_begin(b->s) != OBOL_OK)
		return -1;
	for (size_t i = 0; i < parties; i++) {
		int64_t id;
		char name[32];
		json_t *j = NULL;
		snprintf(name, sizeof(name), "party%zu", i);
		if (obol_account_create(b->s, OBOL_ACCOUNT_USER, name, NULL, &id) != OBOL_OK)
			return -1;
		/* The fixture linked party i to account 101 + i: re-certify for id. */
		struct ecash_cert *c = &b->w.p[i].c.cert;
		struct ecash_bytes cb;
		c->account = id;
		b->w.p[i].account = id;
		if (ecash_cert_bytes(c, &cb) != OBOL_OK || ecash_sign_bytes(b->w.bank_sk, &cb, c->sig, &c->sig_len) != OBOL_OK)
			return -1;
		ecash_bytes_free(&cb);
		if (ecash_issuer_cert_insert(b->s, c, &j) != OBOL_OK)
			return -1;
		json_decref(j);
		struct obol_amount ten;
		if (obol_amount_parse("EUR:10", &ten) != OBOL_OK || obol_ledger_fund(b->s, id, &ten, name) != OBOL_OK)
			return -1;
	}
	return obol_store_commit(b->s) == OBOL_OK ? 0 : -1;
}

static void close_bank(struct bank_db *b)
{
	obol_store_close(b->s);
	fx_free(&b->w);
}

/* Issues party i's wallet coins at the bank and records them. */
static int issue(struct bank_db *b, size_t i, size_t first)
{
	struct fx_party *p = &b->w.p[i];
	struct ecash_coin coins[ECASH_COINS_MAX];
	struct obol_amount total;
	size_t n = p->ncoins - first;
	if (obol_amount_zero("EUR", &total) != OBOL_OK)
		return -1;
	for (size_t k = 0; k < n; k++) {
		coins[k] = p->coins[first + k].coin;
		if (obol_amount_add(&total, &total, &coins[k].value) != OBOL_OK)
			return -1;
	}
	if (tx_begin(b->s) != OBOL_OK || ecash_issuer_issue_record(b->s, p->account, coins, n, &total, "t") != OBOL_OK)
		return -1;
	return obol_store_commit(b->s) == OBOL_OK ? 0 : -1;
}

/* Party m deposits its wallet coins [first, ncoins): verification, then the
 * registry and the ledger in one transaction. *reply is the bank's answer. */
static obol_err deposit_at(struct bank_db *b, size_t m, size_t first, int64_t now, json_t **reply)
{
	struct fx_party *p = &b->w.p[m];
	struct ecash_deposit_req r = { 0 };
	obol_err verified[ECASH_COINS_MAX];
	r.cert = p->c.cert;
	r.coins = p->coins + first;
	r.ncoins = p->ncoins - first;
	ecash_issuer_deposit_verify(&b->st, &r, NULL, now, verified);
	obol_err e = tx_begin(b->s);
	if (e == OBOL_OK)
		e = ecash_issuer_cert_registered(b->s, &r.cert);
	if (e == OBOL_OK)
		e = ecash_issuer_deposit_record(b->s, &r, p->account, verified, "EUR", now, reply);
	if (e == OBOL_OK)
		return obol_store_commit(b->s);
	obol_store_rollback(b->s);
	return e;
}

static obol_err deposit(struct bank_db *b, size_t m, size_t first, json_t **reply)
{
	return deposit_at(b, m, first, FX_NOW, reply);
}

static const char *result_name(const json_t *reply, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(reply, "results"), i), "name"));
}

static bool audit_ok(struct obol_store *s)
{
	FILE *f = fopen("/dev/null", "w");
	obol_err e = obol_audit_run(s, f);
	fclose(f);
	return e == OBOL_OK;
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
	REQUIRE_OK(ecash_merchant_accept(&b.w.p[1].m, &p1, FX_NOW));
	REQUIRE(fx_receive(&b.w, 1, &p1) == 0);
	REQUIRE_OK(fx_pay(&b.w, 0, 2, idx + 1, 1, "EUR:2", 0, FX_NOW + 1, &p2));
	REQUIRE_OK(ecash_merchant_accept(&b.w.p[2].m, &p2, FX_NOW + 1));
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
	struct ecash_revocations rl;
	REQUIRE_OK(ecash_issuer_revocations(b.s, &rl));
	CHECK_EQ_INT(rl.n, 1);
	CHECK(ecash_revoked(&rl, b.w.p[0].c.id));
	ecash_revocations_clear(&rl);
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

/* Party `who` redeems expired coins[0..n) at `now` (§6.4 after expiry): its
 * answer to a refund nonce, the coins' checks, then the registry and the
 * ledger in one transaction. */
static obol_err refund(struct bank_db *b, size_t who, const struct ecash_held_coin *coins, size_t n, int64_t now,
		       json_t **reply)
{
	struct fx_party *p = &b->w.p[who];
	struct ecash_deposit_req r = { 0 };
	obol_err verified[ECASH_COINS_MAX];
	r.cert = p->c.cert;
	r.coins = (struct ecash_held_coin *)coins;
	r.ncoins = n;
	obol_random(r.nonce, sizeof(r.nonce));
	obol_err e = ecash_customer_refund_answer(&p->c, r.nonce, coins, n, r.sig, &r.sig_len);
	if (e == OBOL_OK)
		e = ecash_bank_refund_auth(&b->st.bank, &r.cert, NULL, r.nonce, coins, n, r.sig, r.sig_len, now);
	if (e != OBOL_OK)
		return e;
	ecash_issuer_refund_verify(&b->st, &r, NULL, now, verified);
	if ((e = tx_begin(b->s)) == OBOL_OK && (e = ecash_issuer_cert_registered(b->s, &r.cert)) == OBOL_OK)
		e = ecash_issuer_refund_record(b->s, &r, p->account, verified, "EUR", now, reply);
	if (e == OBOL_OK)
		return obol_store_commit(b->s);
	obol_store_rollback(b->s);
	return e;
}

static const char *balance_of(struct bank_db *b, size_t i, char text[static OBOL_AMOUNT_STR_MAX])
{
	struct obol_amount bal;
	if (obol_ledger_balance(b->s, b->w.p[i].account, &bal) != OBOL_OK)
		return "?";
	obol_amount_format(&bal, text);
	return text;
}

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
	REQUIRE_OK(ecash_merchant_accept(&b.w.p[1].m, &p, FX_NOW));
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
	REQUIRE_OK(ecash_merchant_accept(&b.w.p[1].m, &p, FX_NOW));
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
	struct ecash_revocations rl;
	REQUIRE_OK(ecash_issuer_revocations(b.s, &rl));
	CHECK(ecash_revoked(&rl, b.w.p[0].c.id));
	ecash_revocations_clear(&rl);

	/* Deposited by merchant 2 first, redeemed by the payer after expiry:
	 * reported like a double spend, with its evidence. */
	REQUIRE_OK(fx_pay(&b.w, 0, 2, &second, 1, "EUR:2", 0, FX_NOW, &p));
	REQUIRE_OK(ecash_merchant_accept(&b.w.p[2].m, &p, FX_NOW));
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
