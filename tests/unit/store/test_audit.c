/* The conservation audit and the operator's commands, on each backend:
 * `obol audit` passes on an honest ledger and names a tampered balance, an
 * unbalanced entry and a liability its scheme does not explain. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "store/ledger.h"
#include "../test.h"
#include "store_test.h"

/* Runs `obol ARGS` (the db URL is passed as $DB), collects stdout+stderr. */
static int obol_run(const char *db_url, char *out, size_t cap, const char *args)
{
	char cmd[2000];
	setenv("DB", db_url, 1);
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", test_obol_bin(), args);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool has(const char *out, const char *needle)
{
	if (strstr(out, needle) != NULL)
		return true;
	fprintf(stderr, "    output lacks \"%s\":\n%s\n", needle, out);
	return false;
}

static bool init_ledger(const char *db_url)
{
	struct obol_store *s = NULL;
	bool ok = obol_store_open(db_url, true, &s) == OBOL_OK && obol_ledger_init(s, "EUR") == OBOL_OK;
	obol_store_close(s);
	return ok;
}

TEST_DB(audit, operator_commands_and_audit_ok)
{
	static char out[16384];
	REQUIRE(init_ledger(db_url));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer account add --db \"$DB\" --kind user --name alice "
							 "--auth-key q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s"),
		     0);
	CHECK(has(out, "account 6 user alice"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer account add --db \"$DB\" --kind vendor --name shop"), 0);
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer account add --db \"$DB\" --kind vendor --name shop"), 1);
	CHECK(has(out, "LEDGER_NAME_TAKEN"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer account add --db \"$DB\" --kind admin --name x"), 2);

	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out),
			      "issuer fund --db \"$DB\" --account alice --amount EUR:25.5 --ref bank-1"),
		     0);
	CHECK(has(out, "funded EUR:25.5 to alice (account 6); balance EUR:25.5"));
	/* The same ref again: the first answer, nothing moved. */
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out),
			      "issuer fund --db \"$DB\" --account alice --amount EUR:25.5 --ref bank-1"),
		     0);
	CHECK(has(out, "balance EUR:25.5 (repeated request: nothing moved)"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out),
			      "issuer fund --db \"$DB\" --account alice --amount EUR:26 --ref bank-1"),
		     1);
	CHECK(has(out, "IDEMPOTENCY_MISMATCH"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer fund --db \"$DB\" --id 7 --amount EUR:1"), 0);
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer fund --db \"$DB\" --id 7 --amount USD:1"), 1);
	CHECK(has(out, "LEDGER_CURRENCY"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer fund --db \"$DB\" --id 7 --amount EUR:1.123456789"), 1);
	CHECK(has(out, "AMOUNT_SYNTAX"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer payout --db \"$DB\" --account shop --amount EUR:2"), 1);
	CHECK(has(out, "LEDGER_INSUFFICIENT_FUNDS"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out),
			      "issuer payout --db \"$DB\" --account alice --amount EUR:0.5 --ref out-1"),
		     0);
	CHECK(has(out, "paid out EUR:0.5 from alice (account 6); balance EUR:25"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer account show --db \"$DB\" --account nobody"), 1);
	CHECK(has(out, "LEDGER_ACCOUNT_UNKNOWN"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer account show --db \"$DB\" --account alice"), 0);
	CHECK(has(out, "balance: EUR:25\n"));
	CHECK(has(out, "auth-key: q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\n"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer account list --db \"$DB\" --kind vendor"), 0);
	CHECK(has(out, "7\tvendor\tactive\tEUR:1\t-\tshop\n"));
	CHECK(strstr(out, "alice") == NULL);

	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "audit --db \"$DB\""), 0);
	CHECK(has(out, "funding                          EUR:26.5\n"));
	CHECK(has(out, "payouts                          EUR:0.5\n"));
	CHECK(has(out, "user balances                    EUR:25\n"));
	CHECK(has(out, "vendor balances                  EUR:1\n"));
	CHECK(has(out, "coupon liability                 EUR:0\n"));
	CHECK(has(out, "journal entries                  3, 0 unbalanced\n"));
	CHECK(has(out, "funding - payouts                EUR:26\n"));
	CHECK(has(out, "audit: OK\n"));
}

TEST_DB(audit, missing_and_uninitialised_databases)
{
	static char out[4096];
	char url[1200];
	REQUIRE(store_test_missing_url(url, sizeof(url)));
	CHECK_EQ_INT(obol_run(url, out, sizeof(out), "audit --db \"$DB\""), 1);
	CHECK(has(out, "STORE_MISSING"));
	CHECK_EQ_INT(obol_run("mysql://x", out, sizeof(out), "audit --db \"$DB\""), 1);
	CHECK(has(out, "STORE_URL"));
	/* db_url exists but holds no ledger. */
	struct obol_store *s = NULL;
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	obol_store_close(s);
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "audit --db \"$DB\""), 1);
	CHECK(has(out, "LEDGER_NOT_INITIALIZED"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer fund --db \"$DB\" --id 1 --amount EUR:1"), 1);
	CHECK(has(out, "LEDGER_NOT_INITIALIZED"));
}

/* alice funded 10, 4 moved to the coupon liability, 1 settled to shop. */
static bool honest_ledger(const char *db_url, struct obol_store **s, int64_t *alice)
{
	struct obol_amount ten, four, one;
	int64_t shop = 0, coupon = 0;
	if (!init_ledger(db_url) || obol_store_open(db_url, false, s) != OBOL_OK)
		return false;
	if (obol_amount_parse("EUR:10", &ten) != OBOL_OK || obol_amount_parse("EUR:4", &four) != OBOL_OK ||
	    obol_amount_parse("EUR:1", &one) != OBOL_OK || obol_store_begin(*s) != OBOL_OK)
		return false;
	bool ok = obol_account_create(*s, OBOL_ACCOUNT_USER, "alice", NULL, alice) == OBOL_OK &&
		  obol_account_create(*s, OBOL_ACCOUNT_VENDOR, "shop", NULL, &shop) == OBOL_OK &&
		  obol_account_liability(*s, "coupon", &coupon) == OBOL_OK &&
		  obol_ledger_fund(*s, *alice, &ten, NULL) == OBOL_OK &&
		  obol_ledger_transfer(*s, *alice, coupon, &four, "coupon-withdraw", "c1", NULL) == OBOL_OK &&
		  obol_ledger_transfer(*s, coupon, shop, &one, "coupon-settle", "c1", NULL) == OBOL_OK;
	return ok && obol_store_commit(*s) == OBOL_OK;
}

/* A stand-in for the coupon scheme's check: what its tables would say. */
static int64_t coupon_outstanding_units = 300000000;
static obol_err coupon_outstanding(struct obol_store *s, const char *currency, struct obol_amount *out)
{
	(void)s;
	return obol_amount_from_units(currency, coupon_outstanding_units, out);
}
static const struct obol_audit_scheme coupon_check = { "coupon", coupon_outstanding, NULL };

/* The stand-in replaces whatever check the build registered for coupon, and
 * its "tables" are set up on this database. */
static bool use_coupon_stand_in(struct obol_store *s, int64_t units)
{
	static const struct obol_migration stub[] = { { .sqlite = "CREATE TABLE coupon_stub (a BIGINT)" } };
	obol_audit_register(&coupon_check);
	coupon_outstanding_units = units;
	return obol_store_migrate(s, "coupon", stub, 1) == OBOL_OK;
}

static obol_err audit_to(struct obol_store *s, char *buf, size_t cap)
{
	FILE *f = fmemopen(buf, cap, "w");
	if (f == NULL)
		return OBOL_E_IO;
	obol_err e = obol_audit_run(s, f);
	fclose(f);
	return e;
}

TEST_DB(audit, scheme_liability_is_checked_against_its_tables)
{
	static char out[16384];
	struct obol_store *s = NULL;
	int64_t alice = 0;
	REQUIRE(honest_ledger(db_url, &s, &alice));
	REQUIRE(use_coupon_stand_in(s, 300000000));
	CHECK_OK(audit_to(s, out, sizeof(out)));
	CHECK(has(out, "coupon liability                 EUR:3\n"));
	CHECK(has(out, "coupon outstanding               EUR:3\n"));
	CHECK(has(out, "audit: OK"));
	coupon_outstanding_units = 300000001;
	CHECK_ERR(audit_to(s, out, sizeof(out)), OBOL_E_AUDIT_FAILED);
	CHECK(has(out, "the coupon liability account holds EUR:3 but its tables say EUR:3.00000001 is outstanding"));
	obol_store_close(s);
}

TEST_DB(audit, names_a_tampered_balance)
{
	static char out[16384];
	struct obol_store *s = NULL;
	int64_t alice = 0;
	REQUIRE(honest_ledger(db_url, &s, &alice));
	REQUIRE(use_coupon_stand_in(s, 300000000));
	REQUIRE_OK(audit_to(s, out, sizeof(out)));
	REQUIRE_OK(obol_store_exec(s, "UPDATE accounts SET balance = balance + 100000000 WHERE name = 'alice'"));
	CHECK_ERR(audit_to(s, out, sizeof(out)), OBOL_E_AUDIT_FAILED);
	CHECK(has(out, "account 6 (alice) stores balance EUR:7 but its lines sum to EUR:6"));
	CHECK(has(out, "funding - payouts = EUR:10 but balances + liabilities = EUR:11"));
	CHECK(has(out, "audit: FAILED (2 problems)"));
	obol_store_close(s);
}

TEST_DB(audit, names_an_unbalanced_entry)
{
	static char out[16384];
	struct obol_store *s = NULL;
	int64_t alice = 0;
	REQUIRE(honest_ledger(db_url, &s, &alice));
	REQUIRE(use_coupon_stand_in(s, 300000000));
	/* Entry 2 (the withdrawal) now credits the liability one unit more than
	 * it debits alice; the liability's stored balance is kept in step, so
	 * only the entry and the sums show it. */
	REQUIRE_OK(obol_store_exec(s, "UPDATE journal_lines SET amount = amount + 1 WHERE entry_id = 2 AND line = 2"));
	REQUIRE_OK(obol_store_exec(s, "UPDATE accounts SET balance = balance + 1 WHERE name = '@liability:coupon'"));
	CHECK_ERR(audit_to(s, out, sizeof(out)), OBOL_E_AUDIT_FAILED);
	CHECK(has(out, "entry 2 (coupon-withdraw, ref 'c1') does not balance: 2 lines summing to EUR:0.00000001"));
	CHECK(has(out, "funding - payouts = EUR:10 but balances + liabilities = EUR:10.00000001"));
	/* A line removed leaves a one-line entry. */
	REQUIRE_OK(obol_store_exec(s, "DELETE FROM journal_lines WHERE entry_id = 3 AND line = 1"));
	CHECK_ERR(audit_to(s, out, sizeof(out)), OBOL_E_AUDIT_FAILED);
	CHECK(has(out, "entry 3 (coupon-settle, ref 'c1') does not balance: 1 lines"));
	obol_store_close(s);

	/* The command, on a database where no scheme is set up: it names the
	 * entry and exits non-zero. */
	char url2[1200];
	const char *u = test_db_url_new("cli");
	REQUIRE(u != NULL);
	snprintf(url2, sizeof(url2), "%s", u);
	REQUIRE(honest_ledger(url2, &s, &alice));
	REQUIRE_OK(obol_store_exec(s, "UPDATE journal_lines SET amount = amount + 1 WHERE entry_id = 2 AND line = 2"));
	obol_store_close(s);
	CHECK_EQ_INT(obol_run(url2, out, sizeof(out), "audit --db \"$DB\""), 1);
	CHECK(has(out, "entry 2 (coupon-withdraw"));
	CHECK(has(out, "account 2 (@liability:coupon) stores balance EUR:3 but its lines sum to EUR:3.00000001"));
	CHECK(has(out, "audit: FAILED"));
}

TEST_DB(audit, read_only_and_newer_databases)
{
	static char out[16384];
	char ro[1400];
	struct obol_store *s = NULL;
	int64_t alice = 0;
	REQUIRE(init_ledger(db_url));
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	REQUIRE_OK(obol_store_begin(s));
	REQUIRE_OK(obol_account_create(s, OBOL_ACCOUNT_USER, "alice", NULL, &alice));
	REQUIRE_OK(obol_store_commit(s));
	obol_store_close(s);
	REQUIRE(store_test_read_only_url(db_url, ro, sizeof(ro)));
	/* Read-only: the audit reads fine, a funding is refused by name. */
	CHECK_EQ_INT(obol_run(ro, out, sizeof(out), "audit --db \"$DB\""), 0);
	CHECK(has(out, "audit: OK"));
	CHECK_EQ_INT(obol_run(ro, out, sizeof(out), "issuer fund --db \"$DB\" --account alice --amount EUR:1"), 1);
	CHECK(has(out, "STORE_READ_ONLY"));
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "issuer account show --db \"$DB\" --account alice"), 0);
	CHECK(has(out, "balance: EUR:0\n"));
	/* A ledger schema from a newer build is refused, by the API and the command. */
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	REQUIRE_OK(obol_store_exec(s, "UPDATE schema_version SET version = 99 WHERE component = 'ledger'"));
	obol_store_close(s);
	CHECK_ERR(obol_ledger_open(db_url, &s), OBOL_E_STORE_SCHEMA_TOO_NEW);
	CHECK(s == NULL);
	CHECK_EQ_INT(obol_run(db_url, out, sizeof(out), "audit --db \"$DB\""), 1);
	CHECK(has(out, "STORE_SCHEMA_TOO_NEW"));
}
