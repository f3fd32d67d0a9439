/* The ecash bank key rotates (issuer/ecash_rotate.h, schemes/ecash/bank_keys.h,
 * docs/operations.md "Windows"): the plan draws the successor within the
 * lookahead and chains its windows; the bank signs with the key usable now;
 * a coin under the old key is taken until the old key's accept_until, then
 * refused by name and refunded until its legal end, then refused by name;
 * a coin is refunded once whatever keys the bank holds; a wallet's coins
 * under the old key keep their value across the rotation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bank_db.h"
#include "cli/bench_keys.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/ecash_rotate.h"
#include "issuer/issuer.h"
#include "issuer/keys.h"
#include "issuer/signer.h"
#include "store/ledger.h"
#include "schemes/ecash/rl_pages.h"
#include "../test.h"

#define DAY INT64_C(86400)
/* The windows of the tests' two keys: the fixture's bank key (old) and its
 * successor (new), which begins at T1. */
#define OLD_FROM (FX_NOW - 10 * DAY)
#define T1 (FX_NOW + DAY)
#define OLD_ACCEPT (FX_NOW + 10 * DAY)
#define OLD_LEGAL (FX_NOW + 20 * DAY)
#define NEW_USE (FX_NOW + 100 * DAY)

/* Replaces the bank's one key (unbounded) by the old key with windows and
 * its successor k2 (a reference taken); the parties' roles borrow the
 * bank's set and see it. */
static int rotate(struct fx *w, EVP_PKEY *k2)
{
	struct ecash_bank_keys s;
	ecash_bank_keys_init(&s);
	if (ecash_bank_keys_add(&s, w->bank_sk, OLD_FROM, T1, OLD_ACCEPT, OLD_LEGAL) != OBOL_OK ||
	    ecash_bank_keys_add(&s, k2, T1, NEW_USE, NEW_USE + 100 * DAY, NEW_USE + 200 * DAY) != OBOL_OK ||
	    ecash_bank_set_keys(&w->bank, &s) != OBOL_OK) {
		ecash_bank_keys_clear(&s);
		return -1;
	}
	return 0;
}

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = NULL;
	return bench_rsa_keys(&k, 1) == OBOL_OK ? k : NULL;
}

static int key_count(struct obol_store *s, int64_t *n)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT COUNT(*) FROM ecash_bank_key", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		*n = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e == OBOL_OK && row ? 0 : -1;
}

/* Every ECASH_BANK announcement requested, signed or not, oldest first,
 * into a[0..*n). */
static int bank_announcements(struct obol_store *s, struct obol_key_announce *a, size_t cap, size_t *n)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	*n = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT signed FROM key_announcements WHERE kind = ? ORDER BY serial", &st);
	if (e == OBOL_OK)
		e = obol_stmt_bindf(st, "i", (int64_t)OBOL_KEY_ECASH_BANK);
	while (e == OBOL_OK && *n < cap && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		if ((e = obol_key_announce_from_signed_bytes(b, len, &a[*n])) == OBOL_OK)
			(*n)++;
	}
	obol_stmt_finish(st);
	return e == OBOL_OK ? 0 : -1;
}

TEST_DB(ecash_rotate, plan_draws_the_successor_within_the_lookahead)
{
	struct obol_store *s = NULL;
	struct obol_key_policy p;
	struct obol_key_announce a[4];
	struct obol_sign_keypair master;
	struct ecash_bank_keys keys;
	size_t added = 0, n = 0, signed_n = 0;
	int64_t rows = 0;
	bool moved = true;
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	obol_err e = obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull);
	fclose(devnull);
	REQUIRE_OK(e);
	int64_t now = obol_now();
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	/* the announcements are signed here by a master of the test's own: the
	 * issuer loads what its database holds as imported (the import is what
	 * checks the issuer's master key) */
	obol_sign_keypair_new(&master);
	obol_key_policy_default(&p);

	/* the first key: announced from its drawing, no successor yet (a year
	 * of use is beyond the 120 days of lookahead) */
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, now, &added));
	REQUIRE(bank_announcements(s, a, 4, &n) == 0);
	REQUIRE(n == 1);
	CHECK(a[0].valid_from <= now);
	CHECK_EQ_INT(a[0].use_until, a[0].valid_from + p.bank_use_s);
	/* what it signs is taken while a certificate (365 days, longer than a
	 * coin's 180) and a deposit window (7 days) can still need it */
	CHECK_EQ_INT(a[0].accept_until, a[0].use_until + 365 * DAY + 7 * DAY);
	CHECK_EQ_INT(a[0].legal_end, a[0].accept_until + p.coin_legal_s);
	REQUIRE(key_count(s, &rows) == 0);
	CHECK_EQ_INT(rows, 1);
	REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &signed_n));

	/* one day out of the lookahead: nothing; one day inside it: the
	 * successor, following on */
	int64_t use_until = a[0].use_until;
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, use_until - p.lookahead_s - DAY, &added));
	REQUIRE(key_count(s, &rows) == 0);
	CHECK_EQ_INT(rows, 1);
	int64_t at = use_until - p.lookahead_s + DAY;
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, at, &added));
	REQUIRE(key_count(s, &rows) == 0);
	CHECK_EQ_INT(rows, 2);
	REQUIRE(bank_announcements(s, a, 4, &n) == 0);
	REQUIRE(n == 2);
	CHECK_EQ_INT(a[1].valid_from, use_until);
	CHECK_EQ_INT(a[1].use_until, use_until + p.bank_use_s);
	CHECK_EQ_INT(a[1].accept_until - a[1].use_until, a[0].accept_until - a[0].use_until);
	CHECK_EQ_INT(a[1].legal_end - a[1].accept_until, a[0].legal_end - a[0].accept_until);
	CHECK(a[1].key_len != a[0].key_len || memcmp(a[1].key, a[0].key, a[0].key_len) != 0);
	/* planned again: no third key */
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, at + DAY, &added));
	REQUIRE(key_count(s, &rows) == 0);
	CHECK_EQ_INT(rows, 2);

	/* issuer serve's keys: the successor only once the master signed it */
	REQUIRE_OK(ecash_rotate_keys(s, at, &keys, &moved));
	CHECK_EQ_INT(keys.n, 1);
	ecash_bank_keys_clear(&keys);
	REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &signed_n));
	REQUIRE_OK(ecash_rotate_keys(s, at, &keys, &moved));
	REQUIRE(keys.n == 2);
	const struct ecash_bank_key *k0 = ecash_bank_keys_at(&keys, use_until - 1), *k1 = ecash_bank_keys_at(&keys, use_until);
	REQUIRE(k0 != NULL && k1 != NULL);
	CHECK(k0 != k1);
	CHECK_EQ_INT(k1->valid_from, use_until);
	/* past the old key's legal end it is no longer loaded */
	ecash_bank_keys_clear(&keys);
	REQUIRE_OK(ecash_rotate_keys(s, a[0].legal_end, &keys, &moved));
	CHECK_EQ_INT(keys.n, 1);
	ecash_bank_keys_clear(&keys);
	obol_wipe(&master, sizeof(master));
	obol_store_close(s);
}

/* The private half of ecash_bank_key row id, parsed: 0 when the row holds
 * a private key (*priv true) or a public one only (*priv false, *pub its
 * key). */
static int bank_row_key(struct obol_store *s, int64_t id, bool *priv, EVP_PKEY **pub)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	EVP_PKEY *k = NULL;
	obol_err e = obol_stmt_prepare(s, "SELECT sk FROM ecash_bank_key WHERE id = ?", &st);
	if (e == OBOL_OK)
		e = obol_stmt_bindf(st, "i", id);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *der = obol_stmt_column_blob(st, 0, &len);
		*priv = obol_rsa_private_from_der(der, len, &k) == OBOL_OK;
		EVP_PKEY_free(k);
		e = obol_rsa_public_from_der(der, len, pub);
		if (*priv && e != OBOL_OK) /* a private DER: its public half */
			e = obol_rsa_private_from_der(der, len, pub);
	}
	obol_stmt_finish(st);
	return e == OBOL_OK && row ? 0 : -1;
}

/* Once the issuer has a signing process (a signer link), the plan draws the
 * bank key's successor in the signer's store: the issuer database gets its
 * public DER only (as a key `issuer signer import` moved), the signer's
 * store its private key under its key id, and issuer serve's key set holds
 * it as moved (signed through the signer) once the master announced it. */
TEST_DB(ecash_rotate, plan_with_a_signer_draws_the_successor_there)
{
	struct obol_store *s = NULL, *sg = NULL;
	struct obol_stmt *st = NULL;
	struct obol_key_policy p;
	struct obol_key_announce a[4];
	struct obol_sign_keypair master;
	struct obol_signer_link link = { .linked = true };
	struct ecash_bank_keys keys;
	EVP_PKEY *pub1 = NULL, *pub2 = NULL;
	uint8_t id2[32];
	size_t added = 0, n = 0, drawn = 0, signed_n = 0;
	bool priv = true, row = false, moved = false;
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	obol_err e = obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull);
	fclose(devnull);
	REQUIRE_OK(e);
	snprintf(link.db_url, sizeof link.db_url, "sqlite:%s/bank-signer-%s.db", test_tmpdir(), test_backend());
	/* the signer's store exists (the import made it) */
	REQUIRE_OK(obol_store_open(link.db_url, true, &sg));
	obol_store_close(sg);
	sg = NULL;
	int64_t now = obol_now();
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	obol_sign_keypair_new(&master);
	obol_key_policy_default(&p);
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, now, &added));
	REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &signed_n));
	REQUIRE(bank_announcements(s, a, 4, &n) == 0);
	REQUIRE(n == 1);
	int64_t at = a[0].use_until - p.lookahead_s + DAY;

	/* the plan's call, with the link it reads before its transaction */
	REQUIRE_OK(obol_store_begin(s));
	e = ecash_rotate_plan(s, "EUR", p.bank_use_s, p.lookahead_s, p.coin_legal_s, at, &link, a, 4, &n, &drawn);
	if (e != OBOL_OK)
		obol_store_rollback(s);
	REQUIRE_OK(e);
	REQUIRE_OK(obol_store_commit(s));
	CHECK_EQ_INT(drawn, 1);
	REQUIRE(n == 1); /* the successor's announcement, to request */
	/* the issuer database: the successor's public DER, no private key */
	REQUIRE(bank_row_key(s, 2, &priv, &pub2) == 0);
	CHECK(!priv);
	REQUIRE_OK(obol_rsa_key_id(pub2, id2));
	uint8_t *der = NULL;
	size_t der_len = 0;
	REQUIRE_OK(obol_rsa_public_to_der(pub2, &der, &der_len));
	CHECK(der_len == a[0].key_len && memcmp(der, a[0].key, der_len) == 0);
	OPENSSL_free(der);
	/* of the predecessor's size */
	REQUIRE(bank_row_key(s, 1, &priv, &pub1) == 0);
	CHECK_EQ_INT(obol_rsa_modulus_len(pub2), obol_rsa_modulus_len(pub1));
	/* the signer's store: its private key, kind BANK, under its key id */
	REQUIRE_OK(obol_store_open(link.db_url, false, &sg));
	REQUIRE_OK(obol_stmt_prepare(sg, "SELECT secret, kind FROM signer_keys WHERE key_id = ?", &st));
	REQUIRE_OK(obol_stmt_bind_blob(st, 1, id2, sizeof id2));
	REQUIRE_OK(obol_stmt_step(st, &row));
	CHECK(row);
	if (row) {
		EVP_PKEY *sk = NULL;
		uint8_t sid[32];
		size_t len;
		const uint8_t *sec = obol_stmt_column_blob(st, 0, &len);
		CHECK_OK(obol_rsa_private_from_der(sec, len, &sk));
		CHECK(sk != NULL && obol_rsa_key_id(sk, sid) == OBOL_OK && memcmp(sid, id2, sizeof sid) == 0);
		CHECK_EQ_INT(obol_stmt_column_int64(st, 1), OBOL_SIGNER_KEY_BANK);
		EVP_PKEY_free(sk);
	}
	obol_stmt_finish(st);
	obol_store_close(sg);

	/* the announcement requested by the key plan and signed by the master:
	 * serve holds the successor as moved (it signs through the signer) */
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, at, &added));
	REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &signed_n));
	REQUIRE_OK(ecash_rotate_keys(s, a[0].valid_from, &keys, &moved));
	CHECK_EQ_INT(keys.n, 2);
	CHECK(moved);
	ecash_bank_keys_clear(&keys);
	EVP_PKEY_free(pub1);
	EVP_PKEY_free(pub2);
	obol_wipe(&master, sizeof(master));
	obol_store_close(s);
}

TEST(ecash_rotate, topup_after_the_successor_begins_is_under_the_new_key)
{
	static const char *const one[] = { "EUR:1" };
	struct fx w;
	struct ecash_coin c;
	struct ecash_bank_keys old_only;
	struct obol_amount v;
	uint8_t owner[ECASH_OWNER_LEN] = { 1 };
	REQUIRE(fx_init(&w, 1) == 0);
	EVP_PKEY *k2 = new_key();
	REQUIRE(k2 != NULL);
	REQUIRE(rotate(&w, k2) == 0);
	REQUIRE_OK(obol_amount_parse("EUR:1", &v));
	/* before T1: the old key signs (the fixture's top-up, at FX_NOW) */
	REQUIRE(fx_topup(&w, 0, one, 1) == 0);
	CHECK(ecash_bank_keys_at(&w.bank.keys, w.p[0].coins[0].coin.issued)->pk == w.bank_sk);
	/* from T1: the successor, and a verifier that knows only the old key
	 * refuses it by name */
	REQUIRE_OK(ecash_bank_issue(&w.bank, &v, owner, T1 + 60, &c));
	CHECK_OK(ecash_coin_verify(&w.bank.keys, &c));
	CHECK(ecash_bank_keys_at(&w.bank.keys, c.issued)->pk == k2);
	REQUIRE_OK(ecash_bank_keys_one(&old_only, w.bank_sk));
	old_only.k[0].use_until = T1;
	CHECK_ERR(ecash_coin_verify(&old_only, &c), OBOL_E_ECASH_BANK_KEY_UNKNOWN);
	/* the coin's time moved into the old key's window: σ0 no longer holds */
	struct ecash_coin moved = c;
	moved.issued = T1 - 1;
	CHECK_ERR(ecash_coin_verify(&w.bank.keys, &moved), OBOL_E_ECASH_COIN_SIGNATURE);
	/* after the successor's use, no key: the bank refuses by name */
	CHECK_ERR(ecash_bank_issue(&w.bank, &v, owner, NEW_USE, &c), OBOL_E_ECASH_BANK_KEY_MISSING);
	ecash_bank_keys_clear(&old_only);
	EVP_PKEY_free(k2);
	fx_free(&w);
}

/* Party 0 holds four EUR:1 coins issued under the old key; the key rotates. */
static int rotated_bank(struct bank_db *b, const char *db_url, EVP_PKEY **k2)
{
	static const char *const four[] = { "EUR:1", "EUR:1", "EUR:1", "EUR:1" };
	if (open_bank(b, db_url, 2) != 0 || fx_topup(&b->w, 0, four, 4) != 0 || issue(b, 0, 0) != 0 ||
	    (*k2 = new_key()) == NULL || rotate(&b->w, *k2) != 0)
		return -1;
	b->st.bank = b->w.bank; /* the same keys (the fixture owns them) */
	return 0;
}

TEST_DB(ecash_rotate, old_coin_taken_until_accept_until_then_refunded_until_legal_end)
{
	struct bank_db b;
	struct ecash_payment p;
	json_t *reply = NULL;
	char text[OBOL_AMOUNT_STR_MAX];
	EVP_PKEY *k2 = NULL;
	size_t c0 = 0, c1 = 1;
	REQUIRE(rotated_bank(&b, db_url, &k2) == 0);

	/* after the successor began: coin 0 (old key) is paid to party 1 and
	 * deposited */
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &c0, 1, "EUR:1", 0, T1 + 60, &p));
	REQUIRE_OK(fx_accept(&b.w, 1, &p, T1 + 60));
	REQUIRE(fx_receive(&b.w, 1, &p) == 0);
	ecash_payment_clear(&p);
	REQUIRE_OK(deposit_at(&b, 1, 0, T1 + 120, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	/* coin 1 is paid to party 1 before the old key's accept_until, brought
	 * after it: refused by name, nothing credited, then refunded */
	REQUIRE_OK(fx_pay(&b.w, 0, 1, &c1, 1, "EUR:1", 0, OLD_ACCEPT - 60, &p));
	REQUIRE_OK(fx_accept(&b.w, 1, &p, OLD_ACCEPT - 60));
	REQUIRE(fx_receive(&b.w, 1, &p) == 0);
	ecash_payment_clear(&p);
	REQUIRE_OK(deposit_at(&b, 1, 1, OLD_ACCEPT, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_BANK_KEY_RETIRED");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 1, text), "EUR:11");
	REQUIRE_OK(refund(&b, 1, b.w.p[1].coins + 1, 1, OLD_ACCEPT + 60, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 1, text), "EUR:12");
	/* a merchant refuses a coin of a retired key by name */
	CHECK_ERR(ecash_coin_accepted(&b.w.bank.keys, &b.w.p[0].coins[2].coin, OLD_ACCEPT), OBOL_E_ECASH_BANK_KEY_RETIRED);
	CHECK_OK(ecash_coin_accepted(&b.w.bank.keys, &b.w.p[0].coins[2].coin, OLD_ACCEPT - 1));

	/* party 0's coin 2, never spent: not refunded while its key is taken
	 * (it has not expired), refunded after, once */
	REQUIRE_OK(refund(&b, 0, b.w.p[0].coins + 2, 1, OLD_ACCEPT - 60, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_COIN_NOT_EXPIRED");
	json_decref(reply);
	REQUIRE_OK(refund(&b, 0, b.w.p[0].coins + 2, 1, OLD_LEGAL - 60, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:7");
	/* coin 3 past the old key's legal end: refused by name, the coin and
	 * (its certificate under the same key) the holder's request whole */
	CHECK_ERR(ecash_bank_coin_verify(&b.st.bank, ECASH_ENTRY_REFUND, b.w.p[0].coins + 3, NULL, OLD_LEGAL),
		  OBOL_E_ECASH_BANK_KEY_ENDED);
	CHECK_OK(ecash_bank_coin_verify(&b.st.bank, ECASH_ENTRY_REFUND, b.w.p[0].coins + 3, NULL, OLD_LEGAL - 1));
	CHECK_ERR(refund(&b, 0, b.w.p[0].coins + 3, 1, OLD_LEGAL, &reply), OBOL_E_ECASH_BANK_KEY_ENDED);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:7");
	CHECK(audit_ok(b.s));
	EVP_PKEY_free(k2);
	close_bank(&b);
}

TEST_DB(ecash_rotate, a_coin_is_refunded_once_across_keys)
{
	struct bank_db b;
	json_t *reply = NULL;
	char text[OBOL_AMOUNT_STR_MAX];
	EVP_PKEY *k2 = NULL, *k3 = NULL;
	REQUIRE(rotated_bank(&b, db_url, &k2) == 0);
	REQUIRE_OK(refund(&b, 0, b.w.p[0].coins, 1, OLD_ACCEPT + 60, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "OK");
	json_decref(reply);
	/* the bank rotates again (a third key); the same coin once more */
	struct ecash_bank_keys s;
	REQUIRE((k3 = new_key()) != NULL);
	REQUIRE_OK(ecash_bank_keys_copy(&s, &b.w.bank.keys));
	REQUIRE_OK(ecash_bank_keys_add(&s, k3, NEW_USE, NEW_USE + 100 * DAY, NEW_USE + 200 * DAY, NEW_USE + 300 * DAY));
	REQUIRE_OK(ecash_bank_set_keys(&b.w.bank, &s));
	b.st.bank = b.w.bank;
	REQUIRE_OK(refund(&b, 0, b.w.p[0].coins, 1, OLD_ACCEPT + 120, &reply));
	CHECK_EQ_STR(result_name(reply, 0), "ECASH_ALREADY_REFUNDED");
	json_decref(reply);
	CHECK_EQ_STR(balance_of(&b, 0, text), "EUR:7");
	CHECK(audit_ok(b.s));
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	close_bank(&b);
}

TEST(ecash_rotate, a_wallet_keeps_the_value_of_its_old_coins_across_the_rotation)
{
	static const char *const two[] = { "EUR:1", "EUR:2" };
	struct fx w;
	struct ecash_payment p;
	size_t c0 = 0;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, two, 2) == 0);
	EVP_PKEY *k2 = new_key();
	REQUIRE(k2 != NULL);
	REQUIRE(rotate(&w, k2) == 0);
	/* the wallet's coins still verify, under the old key, with their value */
	for (size_t i = 0; i < 2; i++)
		CHECK_OK(ecash_coin_verify(&w.bank.keys, &w.p[0].coins[i].coin));
	/* and pay after the successor took over, to a merchant that knows both */
	REQUIRE_OK(fx_pay(&w, 0, 1, &c0, 1, "EUR:1", 0, T1 + 3600, &p));
	CHECK_OK(fx_accept(&w, 1, &p, T1 + 3600));
	ecash_payment_clear(&p);
	/* after the old key's acceptance, a merchant refuses the coin by name,
	 * even from a payer whose certificate the successor signed */
	struct ecash_bytes cb;
	w.p[0].c.cert.issued = T1 + 10;
	w.p[0].c.cert.expiry = T1 + 300 * DAY;
	REQUIRE_OK(ecash_cert_bytes(&w.p[0].c.cert, &cb));
	REQUIRE_OK(ecash_sign_bytes(k2, &cb, w.p[0].c.cert.sig, &w.p[0].c.cert.sig_len));
	ecash_bytes_free(&cb);
	size_t c1 = 1;
	CHECK(ecash_customer_spendable(&w.p[0].c, &w.p[0].coins[1], OLD_ACCEPT - 1));
	CHECK(!ecash_customer_spendable(&w.p[0].c, &w.p[0].coins[1], OLD_ACCEPT));
	CHECK_ERR(fx_pay(&w, 0, 1, &c1, 1, "EUR:2", 0, OLD_ACCEPT + 60, &p), OBOL_E_ECASH_NO_COINS);
	/* paid just before, taken just after: the merchant refuses it */
	REQUIRE_OK(fx_pay(&w, 0, 1, &c1, 1, "EUR:2", 0, OLD_ACCEPT - 10, &p));
	CHECK_ERR(fx_accept(&w, 1, &p, OLD_ACCEPT + 10), OBOL_E_ECASH_BANK_KEY_RETIRED);
	ecash_payment_clear(&p);
	/* a merchant that knows only the successor cannot check them: by name */
	struct ecash_bank_keys new_only;
	ecash_bank_keys_init(&new_only);
	REQUIRE_OK(ecash_bank_keys_add(&new_only, k2, T1, NEW_USE, NEW_USE + DAY, NEW_USE + 2 * DAY));
	CHECK_ERR(ecash_coin_verify(&new_only, &w.p[0].coins[1].coin), OBOL_E_ECASH_BANK_KEY_UNKNOWN);
	ecash_bank_keys_clear(&new_only);
	EVP_PKEY_free(k2);
	fx_free(&w);
}

TEST(ecash_rotate, lists_signed_by_the_old_key_or_its_successor_verify)
{
	struct fx w;
	struct ecash_rl_page a = { 0 }, b = { 0 };
	struct ecash_bank_keys other;
	REQUIRE(fx_init(&w, 1) == 0);
	EVP_PKEY *k2 = new_key(), *k3 = new_key();
	REQUIRE(k2 != NULL && k3 != NULL);
	REQUIRE(rotate(&w, k2) == 0);
	/* a page of the same version served before and after the successor
	 * took over: each signed by the key usable then, both verify */
	a.version = b.version = FX_NOW;
	memset(a.through, 0xff, ECASH_ID_LEN);
	memset(b.through, 0xff, ECASH_ID_LEN);
	REQUIRE_OK(ecash_bank_sign_rl_page(&w.bank, FX_NOW, &a));
	REQUIRE_OK(ecash_bank_sign_rl_page(&w.bank, T1 + 60, &b));
	CHECK(a.sig_len != b.sig_len || memcmp(a.sig, b.sig, a.sig_len) != 0);
	CHECK_OK(ecash_rl_page_verify(&w.bank.keys, &a));
	CHECK_OK(ecash_rl_page_verify(&w.bank.keys, &b));
	/* a directory block likewise */
	REQUIRE(fx_sign_directory(&w) == 0);
	CHECK_OK(ecash_directory_verify(&w.bank.keys, &w.dir));
	w.dir.issued = T1 + 60;
	REQUIRE_OK(ecash_bank_sign_directory(&w.bank, &w.dir));
	CHECK_OK(ecash_directory_verify(&w.bank.keys, &w.dir));
	/* under keys that are not the bank's: refused */
	REQUIRE_OK(ecash_bank_keys_one(&other, k3));
	CHECK_ERR(ecash_rl_page_verify(&other, &b), OBOL_E_ECASH_LIST_SIGNATURE);
	CHECK_ERR(ecash_directory_verify(&other, &w.dir), OBOL_E_ECASH_LIST_SIGNATURE);
	ecash_bank_keys_clear(&other);
	ecash_rl_page_clear(&a);
	ecash_rl_page_clear(&b);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k3);
	fx_free(&w);
}
