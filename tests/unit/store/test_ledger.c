/* The ledger on each backend: accounts, balanced entries, funding and
 * payouts, refusals that change nothing, idempotency. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/ledger.h"
#include "../test.h"
#include "store_test.h"

static struct obol_amount eur(const char *text)
{
	struct obol_amount a;
	memset(&a, 0, sizeof(a));
	if (obol_amount_parse(text, &a) != OBOL_OK)
		obol_test_fail(__FILE__, __LINE__, "bad amount %s", text);
	return a;
}

static int64_t balance_units(struct obol_store *s, int64_t id)
{
	struct obol_amount b;
	if (obol_ledger_balance(s, id, &b) != OBOL_OK)
		return INT64_MIN;
	return b.units;
}

TEST_DB(ledger, init_is_idempotent_and_keeps_its_currency)
{
	struct obol_store *s = NULL;
	char cur[OBOL_CURRENCY_MAX + 1];
	int64_t out1 = 0, out2 = 0, liab = 0;
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	CHECK_ERR(obol_ledger_attach(s), OBOL_E_LEDGER_NOT_INITIALIZED);
	REQUIRE_OK(obol_ledger_init(s, "EUR"));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_account_outside(s, &out1));
	CHECK_OK(obol_ledger_currency(s, cur));
	CHECK_EQ_STR(cur, "EUR");
	obol_store_rollback(s);
	REQUIRE_OK(obol_ledger_init(s, "EUR"));
	CHECK_ERR(obol_ledger_init(s, "USD"), OBOL_E_LEDGER_CURRENCY);
	CHECK_ERR(obol_ledger_init(s, "eur"), OBOL_E_AMOUNT_SYNTAX);
	CHECK_OK(obol_ledger_attach(s));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_account_outside(s, &out2));
	CHECK_EQ_INT(out1, out2);
	for (const char *sch = "coupon"; sch; sch = strcmp(sch, "coupon") == 0 ? "ecash"
						     : strcmp(sch, "ecash") == 0  ? "payword"
						     : strcmp(sch, "payword") == 0 ? "codex"
										   : NULL) {
		struct obol_account a;
		CHECK_OK(obol_account_liability(s, sch, &liab));
		CHECK_OK(obol_account_get(s, liab, &a));
		CHECK_EQ_INT(a.kind, OBOL_ACCOUNT_LIABILITY);
	}
	CHECK_ERR(obol_account_liability(s, "bitcoin", &liab), OBOL_E_INVALID_ARGUMENT);
	obol_store_rollback(s);
	obol_store_close(s);
}

TEST_DB(ledger, accounts_names_and_status)
{
	struct obol_store *s = NULL;
	struct obol_account a;
	int64_t alice = 0, shop = 0, id = 0;
	uint8_t pk[32];
	memset(pk, 0xab, sizeof(pk));
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(obol_ledger_init(s, "EUR"));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_account_create(s, OBOL_ACCOUNT_USER, "alice", pk, &alice));
	CHECK_OK(obol_account_create(s, OBOL_ACCOUNT_VENDOR, "Caf\xc3\xa9 du Coin", NULL, &shop));
	CHECK_ERR(obol_account_create(s, OBOL_ACCOUNT_USER, "alice", NULL, &id), OBOL_E_LEDGER_NAME_TAKEN);
	obol_store_rollback(s);
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_account_create(s, OBOL_ACCOUNT_USER, "alice", pk, &alice));
	CHECK_OK(obol_account_create(s, OBOL_ACCOUNT_VENDOR, "Caf\xc3\xa9 du Coin", NULL, &shop));
	CHECK_ERR(obol_account_create(s, OBOL_ACCOUNT_USER, "@outside", NULL, &id), OBOL_E_LEDGER_NAME_INVALID);
	CHECK_ERR(obol_account_create(s, OBOL_ACCOUNT_USER, "", NULL, &id), OBOL_E_LEDGER_NAME_INVALID);
	CHECK_ERR(obol_account_create(s, OBOL_ACCOUNT_USER, "a\nb", NULL, &id), OBOL_E_LEDGER_NAME_INVALID);
	CHECK_ERR(obol_account_create(s, OBOL_ACCOUNT_USER,
				      "0123456789012345678901234567890123456789012345678901234567890123456789",
				      NULL, &id),
		  OBOL_E_LEDGER_NAME_INVALID);
	CHECK_ERR(obol_account_create(s, OBOL_ACCOUNT_OUTSIDE, "x", NULL, &id), OBOL_E_INVALID_ARGUMENT);
	REQUIRE_OK(obol_store_commit(s));

	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_account_by_name(s, "alice", &a));
	CHECK_EQ_INT(a.id, alice);
	CHECK_EQ_INT(a.kind, OBOL_ACCOUNT_USER);
	CHECK_EQ_INT(a.status, OBOL_ACCOUNT_ACTIVE);
	CHECK(a.has_auth_pk);
	CHECK_MEM_EQ(a.auth_pk, pk, 32);
	CHECK(obol_amount_is_zero(&a.balance));
	CHECK_EQ_STR(a.balance.currency, "EUR");
	CHECK_OK(obol_account_get(s, shop, &a));
	CHECK_EQ_STR(a.name, "Caf\xc3\xa9 du Coin");
	CHECK(!a.has_auth_pk);
	CHECK_ERR(obol_account_get(s, 99999, &a), OBOL_E_LEDGER_ACCOUNT_UNKNOWN);
	CHECK_ERR(obol_account_by_name(s, "nobody", &a), OBOL_E_LEDGER_ACCOUNT_UNKNOWN);
	CHECK_OK(obol_account_set_status(s, shop, OBOL_ACCOUNT_SUSPENDED));
	CHECK_OK(obol_account_get(s, shop, &a));
	CHECK_EQ_INT(a.status, OBOL_ACCOUNT_SUSPENDED);
	CHECK_ERR(obol_account_set_status(s, 99999, OBOL_ACCOUNT_CLOSED), OBOL_E_LEDGER_ACCOUNT_UNKNOWN);
	REQUIRE_OK(obol_store_commit(s));
	obol_store_close(s);
}

/* The ledger with alice (user) and shop (vendor), alice funded with EUR:10. */
static bool setup(const char *db_url, struct obol_store **s, int64_t *alice, int64_t *shop)
{
	struct obol_amount ten = eur("EUR:10");
	if (obol_store_open(db_url, true, s) != OBOL_OK || obol_ledger_init(*s, "EUR") != OBOL_OK ||
	    obol_store_begin(*s) != OBOL_OK)
		return false;
	bool ok = obol_account_create(*s, OBOL_ACCOUNT_USER, "alice", NULL, alice) == OBOL_OK &&
		  obol_account_create(*s, OBOL_ACCOUNT_VENDOR, "shop", NULL, shop) == OBOL_OK &&
		  obol_ledger_fund(*s, *alice, &ten, "bank-1") == OBOL_OK;
	return ok && obol_store_commit(*s) == OBOL_OK;
}

TEST_DB(ledger, transfers_post_balanced_entries)
{
	struct obol_store *s = NULL;
	int64_t alice = 0, shop = 0, outside = 0, coupon = 0, entry = 0;
	struct obol_amount a3 = eur("EUR:3.25"), a1 = eur("EUR:1"), tiny = eur("EUR:0.00000001");
	REQUIRE(setup(db_url, &s, &alice, &shop));
	REQUIRE_OK(obol_store_begin(s));
	REQUIRE_OK(obol_account_outside(s, &outside));
	REQUIRE_OK(obol_account_liability(s, "coupon", &coupon));
	CHECK_OK(obol_ledger_transfer(s, alice, coupon, &a3, "coupon-withdraw", "coin-1", &entry));
	CHECK(entry > 0);
	CHECK_OK(obol_ledger_transfer(s, coupon, shop, &a1, "coupon-settle", "coin-1", NULL));
	CHECK_OK(obol_ledger_transfer(s, alice, shop, &tiny, "test", NULL, NULL));
	CHECK_OK(obol_ledger_payout(s, shop, &a1, "bank-2"));
	REQUIRE_OK(obol_store_commit(s));

	REQUIRE_OK(obol_store_begin(s));
	CHECK_EQ_INT(balance_units(s, alice), 675000000 - 1);
	CHECK_EQ_INT(balance_units(s, coupon), 225000000);
	CHECK_EQ_INT(balance_units(s, shop), 1);
	CHECK_EQ_INT(balance_units(s, outside), -900000000);
	obol_store_rollback(s);
	/* Every entry has two lines that sum to zero, and every balance is the
	 * sum of its lines. */
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM journal_entries"), 5);
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM journal_lines"), 10);
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM (SELECT entry_id FROM journal_lines GROUP BY "
					 "entry_id HAVING sum(amount) <> 0) x"),
		     0);
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM accounts a WHERE balance <> (SELECT "
					 "coalesce(sum(amount), 0) FROM journal_lines l WHERE l.account_id = a.id)"),
		     0);
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM journal_entries WHERE reason = 'payout' AND "
					 "ref = 'bank-2'"),
		     1);
	obol_store_close(s);
}

/* Each refused transfer: error named, and after rollback nothing changed. */
TEST_DB(ledger, refused_transfers_change_nothing)
{
	struct obol_store *s = NULL;
	int64_t alice = 0, shop = 0, coupon = 0, outside = 0;
	struct obol_amount eleven = eur("EUR:10.00000001"), one = eur("EUR:1"), usd = eur("USD:1"),
			   zero = eur("EUR:0");
	REQUIRE(setup(db_url, &s, &alice, &shop));
	int64_t lines0 = store_test_count(s, "SELECT count(*) FROM journal_lines");
	struct {
		int64_t from, to;
		const struct obol_amount *amt;
		obol_err want;
	} cases[] = {
		{ alice, shop, &eleven, OBOL_E_LEDGER_INSUFFICIENT_FUNDS },
		{ shop, alice, &one, OBOL_E_LEDGER_INSUFFICIENT_FUNDS },
		{ alice, shop, &usd, OBOL_E_LEDGER_CURRENCY },
		{ shop, alice, &usd, OBOL_E_LEDGER_CURRENCY },
		{ alice, 424242, &one, OBOL_E_LEDGER_ACCOUNT_UNKNOWN },
		{ 424242, alice, &one, OBOL_E_LEDGER_ACCOUNT_UNKNOWN },
		{ alice, shop, &zero, OBOL_E_INVALID_ARGUMENT },
		{ alice, alice, &one, OBOL_E_INVALID_ARGUMENT },
		{ 0, alice, &one, OBOL_E_LEDGER_INSUFFICIENT_FUNDS }, /* from: the empty coupon liability */
		{ 0, 424242, &one, OBOL_E_LEDGER_ACCOUNT_UNKNOWN },    /* from: outside */
		{ 424242, 0, &one, OBOL_E_LEDGER_ACCOUNT_UNKNOWN },    /* to: outside */
	};
	REQUIRE_OK(obol_store_begin(s));
	REQUIRE_OK(obol_account_liability(s, "coupon", &coupon));
	REQUIRE_OK(obol_account_outside(s, &outside));
	obol_store_rollback(s);
	cases[8].from = coupon;
	cases[9].from = outside;
	cases[10].to = outside;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		REQUIRE_OK(obol_store_begin(s));
		obol_err e = obol_ledger_transfer(s, cases[i].from, cases[i].to, cases[i].amt, "t", NULL, NULL);
		if (e != cases[i].want)
			obol_test_fail(__FILE__, __LINE__, "case %zu gave %s, want %s", i, obol_strerror(e),
				       obol_strerror(cases[i].want));
		obol_store_rollback(s);
	}
	/* Payouts beyond the balance, funding a liability account. */
	REQUIRE_OK(obol_store_begin(s));
	CHECK_ERR(obol_ledger_payout(s, alice, &eleven, NULL), OBOL_E_LEDGER_INSUFFICIENT_FUNDS);
	obol_store_rollback(s);
	REQUIRE_OK(obol_store_begin(s));
	CHECK_ERR(obol_ledger_fund(s, coupon, &one, NULL), OBOL_E_INVALID_ARGUMENT);
	obol_store_rollback(s);
	/* A suspended account can neither pay nor be paid. */
	REQUIRE_OK(obol_store_begin(s));
	REQUIRE_OK(obol_account_set_status(s, shop, OBOL_ACCOUNT_SUSPENDED));
	REQUIRE_OK(obol_store_commit(s));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_ERR(obol_ledger_transfer(s, alice, shop, &one, "t", NULL, NULL), OBOL_E_LEDGER_ACCOUNT_CLOSED);
	obol_store_rollback(s);
	REQUIRE_OK(obol_store_begin(s));
	CHECK_ERR(obol_ledger_fund(s, shop, &one, NULL), OBOL_E_LEDGER_ACCOUNT_CLOSED);
	obol_store_rollback(s);

	REQUIRE_OK(obol_store_begin(s));
	CHECK_EQ_INT(balance_units(s, alice), 1000000000);
	CHECK_EQ_INT(balance_units(s, shop), 0);
	CHECK_EQ_INT(balance_units(s, coupon), 0);
	CHECK_EQ_INT(balance_units(s, outside), -1000000000);
	obol_store_rollback(s);
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM journal_lines"), lines0);
	obol_store_close(s);
}

TEST_DB(ledger, whole_balance_can_be_spent)
{
	struct obol_store *s = NULL;
	int64_t alice = 0, shop = 0;
	struct obol_amount ten = eur("EUR:10"), tiny = eur("EUR:0.00000001");
	REQUIRE(setup(db_url, &s, &alice, &shop));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_ledger_transfer(s, alice, shop, &ten, "t", NULL, NULL));
	CHECK_ERR(obol_ledger_transfer(s, alice, shop, &tiny, "t", NULL, NULL), OBOL_E_LEDGER_INSUFFICIENT_FUNDS);
	obol_store_rollback(s);
	obol_store_close(s);
}

TEST_DB(ledger, idempotency_returns_the_first_answer)
{
	struct obol_store *s = NULL;
	uint8_t h1[32], h2[32];
	bool found = true;
	int status = 0;
	char *reply = NULL;
	memset(h1, 1, sizeof(h1));
	memset(h2, 2, sizeof(h2));
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(obol_ledger_init(s, "EUR"));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_idem_lookup(s, "req-1", h1, &found, &status, &reply));
	CHECK(!found && reply == NULL);
	CHECK_OK(obol_idem_store(s, "req-1", h1, 200, "{\"entry\":7}"));
	REQUIRE_OK(obol_store_commit(s));

	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_idem_lookup(s, "req-1", h1, &found, &status, &reply));
	CHECK(found);
	CHECK_EQ_INT(status, 200);
	CHECK_EQ_STR(reply, "{\"entry\":7}");
	free(reply);
	reply = NULL;
	CHECK_ERR(obol_idem_lookup(s, "req-1", h2, &found, &status, &reply), OBOL_E_IDEMPOTENCY_MISMATCH);
	CHECK(!found && reply == NULL);
	/* Storing the same key twice: the transaction must run again (and then
	 * finds the first answer). */
	CHECK_ERR(obol_idem_store(s, "req-1", h1, 200, "{}"), OBOL_E_STORE_CONFLICT);
	obol_store_rollback(s);
	REQUIRE_OK(obol_store_begin(s));
	CHECK_ERR(obol_idem_lookup(s, "", h1, &found, &status, &reply), OBOL_E_INVALID_ARGUMENT);
	obol_store_rollback(s);
	obol_store_close(s);
}

TEST(ledger, sqlite_memory_database)
{
	struct obol_store *s = NULL;
	int64_t a = 0, b = 0;
	struct obol_amount one;
	REQUIRE_OK(obol_amount_parse("EUR:1", &one));
	REQUIRE_OK(obol_store_open("sqlite::memory:", true, &s));
	CHECK_EQ_STR(obol_store_backend_name(s), "sqlite");
	REQUIRE_OK(obol_ledger_init(s, "EUR"));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_account_create(s, OBOL_ACCOUNT_USER, "a", NULL, &a));
	CHECK_OK(obol_account_create(s, OBOL_ACCOUNT_VENDOR, "b", NULL, &b));
	CHECK_OK(obol_ledger_fund(s, a, &one, NULL));
	CHECK_OK(obol_ledger_transfer(s, a, b, &one, "t", NULL, NULL));
	CHECK_OK(obol_store_commit(s));
	CHECK_EQ_INT(balance_units(s, b), 100000000);
	obol_store_close(s);
}
