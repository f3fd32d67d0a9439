/* The vendor daemon's registries at a million rows (issue 18,
 * src/vendor/prune.h): the coupon coins locked to the vendor and the
 * payword certificates it has seen, with their sales and outbox rows. The
 * lookups the daemon makes read an index however many rows there are (the
 * query plan says so: no timing), the prune takes what can go in bounded
 * batches and nothing else, and the rules' boundaries hold to the second. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "vendor/coupon_vendor.h"
#include "vendor/outbox.h"
#include "vendor/payword_vendor.h"
#include "vendor/prune.h"
#include "../test.h"
#include "store_test.h"

#define MILLION 1000000
#define M OBOL_VENDOR_PRUNE_MARGIN

/* The query plan of sql on the file at path, its lines joined. */
static void plan_of(const char *path, const char *sql, char *out, size_t cap)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char q[512];
	out[0] = '\0';
	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			size_t len = strlen(out);
			snprintf(out + len, cap - len, "%s; ", (const char *)sqlite3_column_text(st, 3));
		}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

struct fill {
	int64_t n, first, state, deadline; /* coupon: state and deadline; payword: reported and not_after */
	bool outbox;
};

#define SERIES "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"

static obol_err fill_coupon(struct obol_store *s, void *ctx)
{
	const struct fill *f = ctx;
	static const uint8_t z[32] = { 0 };
	obol_err e = OBOL_OK;
	if (f->outbox)
		e = obol_store_run(s, NULL,
				   SERIES " INSERT INTO outbox (id, scheme, kind, endpoint, body, not_before, attempts,"
					  " state, last_error, created) SELECT ? + x, 'coupon', 'settle', '/coupon/settle',"
					  " '{}', 0, 1, 1, 0, 0 FROM c",
				   "ii", f->n, f->first);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   SERIES " INSERT INTO coupon_vcoins (coin_id, lock_index, denom, deadline, last_index,"
					  " last_token, state, outbox_row, credited_tokens, created)"
					  " SELECT CAST(printf('%032d', ? + x) AS BLOB), 100, 1, ?, 0, ?, ?,"
					  " CASE WHEN ? THEN ? + x ELSE NULL END, 100, 0 FROM c",
				   "iiibiii", f->n, f->first, f->deadline, z, sizeof(z), f->state, (int64_t)f->outbox,
				   f->first);
	return e;
}

static obol_err fill_payword(struct obol_store *s, void *ctx)
{
	const struct fill *f = ctx;
	static const uint8_t z[32] = { 0 };
	obol_err e = obol_store_run(s, NULL,
				    SERIES " INSERT INTO payword_v_serials (serial, has_token, last_order, last_token,"
					   " vcert_hash, not_after) SELECT ? + x, 1, 5, ?, ?, ? FROM c",
				    "iibbi", f->n, f->first, z, sizeof(z), z, sizeof(z), f->deadline);
	if (e == OBOL_OK && f->outbox)
		e = obol_store_run(s, NULL,
				   SERIES " INSERT INTO outbox (id, scheme, kind, endpoint, body, not_before, attempts,"
					  " state, last_error, created) SELECT ? + x, 'payword', 'report', '/payword/report',"
					  " '{}', 0, 1, CASE WHEN ? THEN 1 ELSE 0 END, 0, 0 FROM c",
				   "iii", f->n, 5 * (int64_t)MILLION + f->first, f->state);
	if (e == OBOL_OK && f->outbox)
		e = obol_store_run(s, NULL,
				   SERIES " INSERT INTO payword_v_sales (serial, order_no, token, product, value_units,"
					  " auth, outbox_id, reported, report_error, created)"
					  " SELECT ? + x, 5, ?, 'p', 1, ? + x, ? + x, ?, NULL, 0 FROM c",
				   "iibiii", f->n, f->first, z, sizeof(z), f->first, 5 * (int64_t)MILLION + f->first,
				   f->state);
	return e;
}

TEST(vendor_prune, a_million_coins_and_certificates_lookups_stay_indexed_and_the_prune_keeps_up)
{
	char path[512], url[600], plan[1024];
	struct obol_store *s = NULL;
	struct obol_vendor_prune_counts c;
	int64_t now = obol_now();
	snprintf(path, sizeof(path), "%s/vendor.db", test_tmpdir());
	snprintf(url, sizeof(url), "sqlite:%s", path);
	REQUIRE_OK(obol_store_open(url, true, &s));
	REQUIRE_OK(obol_outbox_migrate(s));
	REQUIRE_OK(coupon_vendor_migrate(s));
	REQUIRE_OK(payword_vendor_migrate(s));

	/* coupon: half a million coins settled long ago with their delivered
	 * outbox rows, half a million settled whose deadline is recent, one
	 * queued long ago (its settle not answered), and the boundary: a coin
	 * whose deadline plus the margin is a second ago, one a second ahead */
	struct fill gone = { MILLION / 2, 0, COUPON_VCOIN_SETTLED, now - M - 86400, true },
		    recent = { MILLION / 2, MILLION, COUPON_VCOIN_SETTLED, now - 3600, false },
		    queued = { 1, 3 * MILLION, COUPON_VCOIN_QUEUED, now - M - 86400, false },
		    out = { 1, 3 * MILLION + 10, COUPON_VCOIN_REFUSED, now - M - 1, false },
		    in = { 1, 3 * MILLION + 20, COUPON_VCOIN_SETTLED, now - M + 1, false };
	REQUIRE_OK(obol_store_transact(s, fill_coupon, &gone));
	REQUIRE_OK(obol_store_transact(s, fill_coupon, &recent));
	REQUIRE_OK(obol_store_transact(s, fill_coupon, &queued));
	REQUIRE_OK(obol_store_transact(s, fill_coupon, &out));
	REQUIRE_OK(obol_store_transact(s, fill_coupon, &in));
	/* payword: half a million certificates expired long ago, every sale
	 * reported; half a million live; one expired whose sale is not
	 * reported yet; and the same boundary */
	struct fill pw_gone = { MILLION / 2, 0, 1, now - M - 86400, true },
		    pw_live = { MILLION / 2, MILLION, 1, now + 86400, false },
		    pw_unreported = { 1, 3 * MILLION, 0, now - M - 86400, true },
		    pw_out = { 1, 3 * MILLION + 10, 2, now - M - 1, true },
		    pw_in = { 1, 3 * MILLION + 20, 1, now - M + 1, true };
	REQUIRE_OK(obol_store_transact(s, fill_payword, &pw_gone));
	REQUIRE_OK(obol_store_transact(s, fill_payword, &pw_live));
	REQUIRE_OK(obol_store_transact(s, fill_payword, &pw_unreported));
	REQUIRE_OK(obol_store_transact(s, fill_payword, &pw_out));
	REQUIRE_OK(obol_store_transact(s, fill_payword, &pw_in));
	REQUIRE_OK(obol_store_exec(s, "ANALYZE"));

	/* the daemon's lookups read an index at a million rows, and so do the
	 * prune's own queries */
	plan_of(path, "SELECT outbox_row FROM coupon_vcoins WHERE coin_id = x'00' AND lock_index = 1 AND state <> 0",
		plan, sizeof(plan));
	CHECK(strstr(plan, "USING INDEX") != NULL && strstr(plan, "SCAN") == NULL);
	plan_of(path, "SELECT state FROM coupon_vcoins WHERE outbox_row = 7", plan, sizeof(plan));
	CHECK(strstr(plan, "USING INDEX coupon_vcoins_row") != NULL);
	plan_of(path, "SELECT has_token FROM payword_v_serials WHERE serial = 7", plan, sizeof(plan));
	CHECK(strstr(plan, "USING INTEGER PRIMARY KEY") != NULL || strstr(plan, "USING INDEX") != NULL);
	plan_of(path,
		"SELECT rowid FROM coupon_vcoins WHERE state IN (2, 3) AND deadline < 5 ORDER BY deadline, rowid LIMIT 9",
		plan, sizeof(plan));
	CHECK(strstr(plan, "coupon_vcoins_deadline") != NULL);
	plan_of(path, "SELECT serial FROM payword_v_serials WHERE not_after < 5 ORDER BY not_after LIMIT 9", plan,
		sizeof(plan));
	CHECK(strstr(plan, "payword_v_serials_not_after") != NULL);

	CHECK_ERR(obol_vendor_prune(s, now, 0, &c), OBOL_E_INVALID_ARGUMENT);
	REQUIRE_OK(obol_vendor_prune(s, now, OBOL_VENDOR_PRUNE_BATCH, &c));
	CHECK_EQ_INT(c.coupon_coins, MILLION / 2 + 1);
	CHECK_EQ_INT(c.payword_serials, MILLION / 2 + 1);
	CHECK_EQ_INT(c.payword_sales, MILLION / 2 + 1);
	CHECK_EQ_INT(c.outbox, MILLION + 1); /* the coins' and the sales' delivered rows */
	/* at most a batch a transaction: 501 + 501 for the rows, 2 to find the end */
	CHECK(c.batches >= 2 * (MILLION / 2 / OBOL_VENDOR_PRUNE_BATCH) && c.batches <= 2 * 503);

	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM coupon_vcoins"), MILLION / 2 + 2); /* the recent, the queued, the one a second short */
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM coupon_vcoins WHERE coin_id = CAST(printf('%032d', 3000021) AS BLOB)"), 1);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM coupon_vcoins WHERE coin_id = CAST(printf('%032d', 3000001) AS BLOB)"), 1);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM payword_v_serials"), MILLION / 2 + 2); /* the live, the unreported, the one a second short */
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM payword_v_serials WHERE serial IN (3000001, 3000021)"), 2);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM payword_v_sales"), 2);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM outbox"), 2); /* the unreported sale's pending row and the kept sale's */
	int64_t pending = -1;
	REQUIRE_OK(obol_outbox_count(s, "payword", OBOL_OUTBOX_PENDING, &pending));
	CHECK_EQ_INT(pending, 1);
	/* a kept coin still answers its lookup; a pruned one is unknown */
	int state = -2;
	REQUIRE_OK(coupon_vcoin_state_by_row(s, 1, &state));
	CHECK_EQ_INT(state, -1);

	/* nothing left: one batch a rule */
	REQUIRE_OK(obol_vendor_prune(s, now, OBOL_VENDOR_PRUNE_BATCH, &c));
	CHECK_EQ_INT(c.coupon_coins + c.payword_serials + c.outbox, 0);
	CHECK_EQ_INT(c.batches, 2);
	obol_store_close(s);
}
