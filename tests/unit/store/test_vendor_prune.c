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
#include "core/parse.h"
#include "vendor/coupon_vendor.h"
#include "vendor/ecash_vendor_int.h"
#include "vendor/outbox.h"
#include "vendor/payword_vendor.h"
#include "vendor/prune.h"
#include "../ecash/fixture.h"
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

/* A new vendor database in the test's directory (its file name in path,
 * 512 bytes), with the outbox every rule reads. */
static obol_err vendor_db_open(char path[static 512], struct obol_store **s)
{
	char url[600];
	snprintf(path, 512, "%s/vendor.db", test_tmpdir());
	snprintf(url, sizeof(url), "sqlite:%s", path);
	obol_err e = obol_store_open(url, true, s);
	return e == OBOL_OK ? obol_outbox_migrate(*s) : e;
}

TEST(vendor_prune, a_million_coins_and_certificates_lookups_stay_indexed_and_the_prune_keeps_up)
{
	char path[512], plan[1024];
	struct obol_store *s = NULL;
	struct obol_vendor_prune_counts c;
	int64_t now = obol_now();
	REQUIRE_OK(vendor_db_open(path, &s));
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

/* ---- ecash: the vendor's registry of received coins ---- */

/* count coins of one payment (one deposit row, delivered when state is 1)
 * answered `result` (NULL: not yet) with expiry `expiry` (0: NULL, a row
 * from before the column), serials numbered from first. */
struct ecash_fill {
	int64_t n, first, expiry, outbox_state, per_outbox;
	const char *result;
};

static obol_err fill_ecash(struct obol_store *s, void *ctx)
{
	const struct ecash_fill *f = ctx;
	obol_err e = obol_store_run(s, NULL,
				    SERIES " INSERT INTO outbox (id, scheme, kind, endpoint, body, not_before, attempts,"
					   " state, last_error, created) SELECT ? + x, 'ecash', 'deposit', '/ecash/deposit',"
					   " '{}', 0, 1, ?, 0, 0 FROM c WHERE (x - 1) % ? = 0",
				    "iiii", f->n, f->first, f->outbox_state, f->per_outbox);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   SERIES " INSERT INTO ecash_received (serial, held, nonce, sigma1, at, outbox, result,"
					  " expiry) SELECT CAST(printf('%016d', ? + x) AS BLOB), '{}', x'00', x'00', 0,"
					  " ? + 1 + (x - 1) / ? * ?, ?, CASE WHEN ? = 0 THEN NULL ELSE ? END FROM c",
				   "iiiiitii", f->n, f->first, f->first, f->per_outbox, f->per_outbox, f->result, f->expiry,
				   f->expiry);
	return e;
}

static int64_t ecash_rows_of(struct obol_store *s, int64_t first)
{
	char q[160];
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM ecash_received WHERE serial = CAST(printf('%%016d', %lld) AS BLOB)",
		 (long long)(first + 1));
	return store_test_count(s, q);
}

TEST(vendor_prune, ecash_coins_answered_and_past_their_expiry_go_in_batches_the_others_stay)
{
	char path[512], plan[1024];
	struct obol_store *s = NULL;
	struct obol_vendor_prune_counts c;
	int64_t now = obol_now();
	REQUIRE_OK(vendor_db_open(path, &s));
	REQUIRE_OK(ecash_vendor_migrate(s));
	/* 2500 coins credited long ago, two a payment (1250 delivered
	 * deposits); then one coin each: */
	struct ecash_fill gone = { 2500, 0, now - M - 86400, 1, 2, "OK" },
			  refused = { 1, 10000, now - M - 1, 1, 1, "ECASH_DOUBLE_SPENT" }, /* a second past the cut-off */
			  edge = { 1, 10010, now - M, 1, 1, "OK" },          /* at it: PAY could pass M ago */
			  inside = { 1, 10020, now - 86400, 1, 1, "OK" },    /* expired yesterday */
			  unanswered = { 1, 10030, now - M - 86400, 0, 1, NULL }, /* its deposit pending */
			  failed_pending = { 1, 10040, now - M - 86400, 0, 1, "OK" }, /* answered, its row not done */
			  refused_whole = { 1, 10080, now - M - 86400, 2, 1, "VENDOR_CERT_EXPIRED" }, /* row failed */
			  omitted = { 1, 10090, now - M - 86400, 1, 1, NULL }, /* not in the bank's reply */
			  before = { 1, 10050, 0, 1, 1, "OK" },              /* received before the column */
			  /* one payment, one coin past the cut-off and one not: the deposit row stays */
			  mixed_old = { 1, 10060, now - M - 86400, 1, 1, "OK" };
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &gone));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &refused));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &edge));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &inside));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &unanswered));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &failed_pending));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &refused_whole));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &omitted));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &before));
	REQUIRE_OK(obol_store_transact(s, fill_ecash, &mixed_old));
	REQUIRE_OK(obol_store_run(s, NULL,
				  "INSERT INTO ecash_received (serial, held, nonce, sigma1, at, outbox, result, expiry)"
				  " VALUES (CAST(printf('%016d', 10070) AS BLOB), '{}', x'00', x'00', 0, 10061, 'OK', ?)",
				  "i", now + 86400));
	REQUIRE_OK(obol_store_exec(s, "ANALYZE"));
	plan_of(path,
		"SELECT rowid, outbox FROM ecash_received r WHERE expiry < 5 AND result IS NOT NULL ORDER BY expiry, rowid"
		" LIMIT 9",
		plan, sizeof(plan));
	CHECK(strstr(plan, "ecash_received_expiry") != NULL);
	plan_of(path, "SELECT 1 FROM ecash_received WHERE outbox = 7", plan, sizeof(plan));
	CHECK(strstr(plan, "ecash_received_outbox") != NULL);

	REQUIRE_OK(obol_vendor_prune(s, now, OBOL_VENDOR_PRUNE_BATCH, &c));
	CHECK_EQ_INT(c.ecash_coins, 2500 + 1 + 1);
	CHECK_EQ_INT(c.outbox, 1250 + 1); /* the credited deposits and the refused one; not the mixed one */
	CHECK_EQ_INT(c.batches, 3);       /* 1000, 1000, 502 */
	CHECK_EQ_INT(c.coupon_coins + c.payword_serials, 0);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM ecash_received"), 8);
	CHECK_EQ_INT(ecash_rows_of(s, 10000), 0);
	CHECK_EQ_INT(ecash_rows_of(s, 10010), 1);
	CHECK_EQ_INT(ecash_rows_of(s, 10020), 1);
	CHECK_EQ_INT(ecash_rows_of(s, 10030), 1);
	CHECK_EQ_INT(ecash_rows_of(s, 10040), 1);
	CHECK_EQ_INT(ecash_rows_of(s, 10050), 1);
	CHECK_EQ_INT(ecash_rows_of(s, 10060), 0);
	CHECK_EQ_INT(ecash_rows_of(s, 10069), 1);
	CHECK_EQ_INT(ecash_rows_of(s, 10080), 1);
	CHECK_EQ_INT(ecash_rows_of(s, 10090), 1);
	/* the kept coins' deposit rows: edge, inside, the two pending, before,
	 * mixed, the one refused whole, the omitted coin's */
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM outbox"), 8);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM outbox WHERE id IN (10011, 10021, 10031, 10041, 10051,"
					 " 10061, 10081, 10091)"), 8);

	/* nothing left: one batch a rule; a second later the edge goes */
	REQUIRE_OK(obol_vendor_prune(s, now, OBOL_VENDOR_PRUNE_BATCH, &c));
	CHECK_EQ_INT(c.ecash_coins + c.outbox, 0);
	CHECK_EQ_INT(c.batches, 1);
	REQUIRE_OK(obol_vendor_prune(s, now + 1, OBOL_VENDOR_PRUNE_BATCH, &c));
	CHECK_EQ_INT(c.ecash_coins, 1);
	CHECK_EQ_INT(ecash_rows_of(s, 10010), 0);
	obol_store_close(s);
}

/* A payer that skips its own wallet's checks pays coin 0 of party 0 again
 * to party 1's merchant at t, on a fresh offer, its claim dated ts (what a
 * double spender's modified wallet sends: ecash_customer_pay without its
 * spendable test, any time it likes in the claim). */
static obol_err pay_again(struct fx *w, int64_t t, int64_t ts, struct ecash_payment *out)
{
	struct fx_party *c = &w->p[0];
	struct ecash_offer offer;
	struct ecash_bytes nb = { 0 };
	struct obol_amount price;
	struct ecash_payment p = { 0 };
	obol_err e = obol_amount_parse("EUR:1", &price);
	if (e == OBOL_OK)
		e = ecash_merchant_offer(&w->p[1].m, &price, t, &offer);
	if (e == OBOL_OK && (p.coins = calloc(1, sizeof(*p.coins))) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && (e = ecash_held_copy(&p.coins[0], &c->coins[0])) == OBOL_OK) {
		struct ecash_claim_req req = { .payee = offer.merchant, .ts = ts, .sk = c->sk, .cert = &c->c.cert,
					       .owner_sk = c->owner_sks[0] };
		p.ncoins = 1;
		memcpy(p.nonce, offer.nonce, ECASH_NONCE_LEN);
		e = ecash_claim_make(&p.coins[0], &req);
	}
	if (e == OBOL_OK && (e = ecash_nonce_bytes(offer.nonce, offer.merchant, &nb)) == OBOL_OK)
		e = ecash_group_sign(&c->c.cert, 1, 0, c->sk, &nb, &p.sigma1, &p.sigma1_len);
	ecash_bytes_free(&nb);
	if (e == OBOL_OK) {
		*out = p;
		return OBOL_OK;
	}
	ecash_payment_clear(&p);
	return e;
}

/* The merchant as the daemon's start leaves it: a fresh registry loaded
 * from the rows the prune left (ecash_vendor_registry_load). */
static obol_err restart_merchant(struct fx *w, struct obol_store *s)
{
	ecash_merchant_free(&w->p[1].m);
	ecash_merchant_init(&w->p[1].m, &w->bank.keys, w->p[1].sk, &w->p[1].c.cert);
	w->p[1].m.pol = w->bank.pol;
	return ecash_vendor_registry_load(&w->p[1].m, s);
}

struct ecash_received_unit {
	const struct ecash_payment *p;
	int64_t now, row;
};

static obol_err receive(struct obol_store *s, void *ctx)
{
	struct ecash_received_unit *u = ctx;
	json_t *body = json_object();
	obol_err e = body ? obol_outbox_enqueue(s, "ecash", "deposit", "/ecash/deposit", body, 0, &u->row)
			  : OBOL_E_NO_MEMORY;
	json_decref(body);
	return e == OBOL_OK ? ecash_vendor_received_add(s, u->p, u->row, u->now) : e;
}

/* What the outbox does with the bank's answer: the row done and each
 * coin's result, in one unit. */
static obol_err credited(struct obol_store *s, void *ctx)
{
	struct ecash_received_unit *u = ctx;
	char serial[OBOL_B64_LEN(ECASH_SERIAL_LEN)];
	json_t *reply = NULL;
	obol_err e = obol_b64_encode(u->p->coins[0].coin.serial, ECASH_SERIAL_LEN, serial, sizeof(serial));
	if (e == OBOL_OK && (reply = json_pack("{s:[{s:s, s:s}], s:s}", "results", "serial", serial, "name", "OK",
					       "credited", "EUR:1")) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "UPDATE outbox SET state = 1 WHERE id = ?", "i", u->row);
	if (e == OBOL_OK)
		e = ecash_vendor_deposit_answered(s, u->row, OBOL_OK, reply);
	json_decref(reply);
	return e;
}

/* Pruning never lets a double spend through: the coin's row stays while a
 * payment with it could pass the merchant's checks (to its expiry, and the
 * margin after), so a restarted merchant still refuses it as held; past
 * the expiry it is refused for it (ECASH_COIN_EXPIRED, or
 * ECASH_TIMESTAMP_STALE once no claim time can be both within max_skew of
 * now and within max_skew after the expiry), before the registry is read;
 * once the row is gone the same payment is refused just so. */
TEST(vendor_prune, a_coin_paid_again_after_its_row_is_pruned_is_refused_expired_never_taken)
{
	static const char *const one_euro[] = { "EUR:1" };
	char url[600];
	struct fx w;
	struct ecash_payment p1, again;
	struct obol_store *s = NULL;
	struct obol_vendor_prune_counts c;
	size_t idx = 0;
	REQUIRE(fx_init(&w, 2) == 0);
	REQUIRE(fx_topup(&w, 0, one_euro, 1) == 0);
	int64_t expiry = w.p[0].coins[0].coin.expiry;
	snprintf(url, sizeof(url), "sqlite:%s/vendor.db", test_tmpdir());
	REQUIRE_OK(obol_store_open(url, true, &s));
	REQUIRE_OK(obol_outbox_migrate(s));
	REQUIRE_OK(ecash_vendor_migrate(s));

	/* paid, stored with its deposit, the deposit credited */
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 0, FX_NOW, &p1));
	REQUIRE_OK(fx_accept(&w, 1, &p1, FX_NOW));
	struct ecash_received_unit u = { .p = &p1, .now = FX_NOW };
	REQUIRE_OK(obol_store_transact(s, receive, &u));
	REQUIRE_OK(obol_store_transact(s, credited, &u));
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM ecash_received WHERE result = 'OK'"), 1);
	char q[128];
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM ecash_received WHERE expiry = %lld", (long long)expiry);
	CHECK_EQ_INT(store_test_count(s, q), 1);

	/* At the coin's last instant, a second after it and at the end of the
	 * margin: the row stays, and a restarted merchant refuses the coin as
	 * held, then for its expiry. */
	const int64_t skew = w.p[1].m.pol.max_skew;
	const struct {
		int64_t at, ts;
		obol_err want;
	} kept[] = {
		{ expiry, expiry, OBOL_E_ECASH_COIN_ALREADY_HELD },
		{ expiry + 1, expiry + 1, OBOL_E_ECASH_COIN_EXPIRED },
		{ expiry + M, expiry + M, OBOL_E_ECASH_TIMESTAMP_STALE }, /* a claim after the expiry */
		{ expiry + M, expiry + skew, OBOL_E_ECASH_TIMESTAMP_STALE }, /* one not within skew of now */
	};
	for (size_t i = 0; i < OBOL_ARRAY_LEN(kept); i++) {
		REQUIRE_OK(obol_vendor_prune(s, kept[i].at, OBOL_VENDOR_PRUNE_BATCH, &c));
		CHECK_EQ_INT(c.ecash_coins, 0);
		REQUIRE_OK(restart_merchant(&w, s));
		CHECK_EQ_INT(w.p[1].m.nseen, 1);
		REQUIRE_OK(pay_again(&w, kept[i].at, kept[i].ts, &again));
		CHECK_ERR(ecash_merchant_verify(&w.p[1].m, &again, kept[i].at), kept[i].want);
		ecash_payment_clear(&again);
	}
	/* A second later the row and its deposit go; a restart holds nothing,
	 * and the coin paid again is refused for its expiry however its claim
	 * is dated. */
	int64_t t = expiry + M + 1;
	REQUIRE_OK(obol_vendor_prune(s, t, OBOL_VENDOR_PRUNE_BATCH, &c));
	CHECK_EQ_INT(c.ecash_coins, 1);
	CHECK_EQ_INT(c.outbox, 1);
	REQUIRE_OK(restart_merchant(&w, s));
	CHECK_EQ_INT(w.p[1].m.nseen, 0);
	const int64_t dated[] = { t, expiry + skew, expiry };
	for (size_t i = 0; i < OBOL_ARRAY_LEN(dated); i++) {
		REQUIRE_OK(pay_again(&w, t, dated[i], &again));
		CHECK_ERR(ecash_merchant_verify(&w.p[1].m, &again, t), OBOL_E_ECASH_TIMESTAMP_STALE);
		ecash_payment_clear(&again);
	}

	ecash_payment_clear(&p1);
	obol_store_close(s);
	fx_free(&w);
}
