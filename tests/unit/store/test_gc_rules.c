/* obol issuer gc, the rules past the nonces (issue 18, src/issuer/gc.h):
 * for each, a state at scale pruned in batches, the audit holding across
 * it, the rule's boundary (a row one second before its end stays, one
 * second after it goes), and the request that would have needed a pruned
 * row still refused, not accepted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "issuer/coupon_store.h"
#include "issuer/ecash_issuer.h"
#include "issuer/gc.h"
#include "issuer/issuer.h"
#include "issuer/payword_db.h"
#include "issuer/payword_issuer.h"
#include "schemes/coupon/issuer.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "../test.h"
#include "store_test.h"

#define W OBOL_GC_RETRY_WINDOW

/* The rows x = 1 .. n of a bulk insert: SQLite counts them with a recursive
 * query, PostgreSQL with generate_series; the count is bound first. */
static const char *series(struct obol_store *s)
{
	return obol_store_backend(s) == OBOL_STORE_POSTGRES
		       ? "WITH c(x) AS (SELECT generate_series(1, CAST(? AS BIGINT)))"
		       : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)";
}

/* A 32-byte id of x (its decimal digits, zero-padded). */
static const char *id_of(struct obol_store *s)
{
	return obol_store_backend(s) == OBOL_STORE_POSTGRES ? "convert_to(lpad(CAST(? + x AS TEXT), 32, '0'), 'UTF8')"
							    : "CAST(printf('%032d', ? + x) AS BLOB)";
}

static struct obol_store *open_issuer(const char *db_url, FILE *devnull)
{
	struct obol_store *s = NULL;
	if (obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull) != OBOL_OK ||
	    obol_store_open(db_url, false, &s) != OBOL_OK || obol_ledger_attach(s) != OBOL_OK) {
		obol_store_close(s);
		return NULL;
	}
	return s;
}

/* ---- stored answers ---- */

struct answers {
	int64_t n;
	const char *prefix; /* the key's "METHOD PATH ACCOUNT " */
	int64_t first, created;
};

static obol_err add_answers(struct obol_store *s, void *ctx)
{
	const struct answers *a = ctx;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO idempotency (key, body_hash, status, reply, created)"
		 " SELECT CAST(? AS TEXT) || CAST(CAST(? AS BIGINT) + x AS TEXT), CAST('h' AS BLOB), 200, '{}',"
		 " CAST(? AS BIGINT) FROM c",
		 series(s));
	if (obol_store_backend(s) == OBOL_STORE_POSTGRES)
		snprintf(sql, sizeof(sql),
			 "%s INSERT INTO idempotency (key, body_hash, status, reply, created)"
			 " SELECT CAST(? AS TEXT) || CAST(CAST(? AS BIGINT) + x AS TEXT), convert_to('h', 'UTF8'), 200,"
			 " '{}', CAST(? AS BIGINT) FROM c",
			 series(s));
	return obol_store_run(s, NULL, sql, "itii", a->n, a->prefix, a->first, a->created);
}

static int64_t answer_count(struct obol_store *s, const char *like)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM idempotency WHERE key LIKE '%s%%'", like);
	return store_test_count(s, sql);
}

static obol_err take_used(struct obol_store *s, void *ctx)
{
	(void)ctx;
	uint8_t nonce[ECASH_NONCE_LEN];
	memset(nonce, 'u', sizeof(nonce));
	return ecash_issuer_nonce_take(s, nonce, 1, "deposit", obol_now());
}

static obol_err add_used_nonce(struct obol_store *s, void *ctx)
{
	uint8_t nonce[ECASH_NONCE_LEN];
	memset(nonce, 'u', sizeof(nonce));
	return obol_store_run(s, NULL,
			      "INSERT INTO ecash_nonces (nonce, account, purpose, expiry, used) VALUES (?, 1, 'deposit', ?, ?)",
			      "bii", nonce, sizeof(nonce), *(const int64_t *)ctx, *(const int64_t *)ctx);
}

TEST_DB(gc_rules, answers_past_the_retry_window_go_the_only_copies_stay_and_a_replay_is_refused)
{
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	struct obol_store *s = open_issuer(db_url, devnull);
	REQUIRE(s != NULL);
	int64_t now = obol_now();
	struct obol_gc_counts c;
	/* 20 000 deposit answers and 5 000 report answers a day past the
	 * window, 5 000 top-up answers as old (the only copy of their blind
	 * signatures) and 2 000 withdrawals, and the boundary: deposit answers
	 * whose window ends one second after now and one second before */
	struct answers old_dep = { 20000, "POST /ecash/deposit 1 ", 0, now - W - 86400 },
		       old_rep = { 5000, "POST /payword/report 1 ", 0, now - W - 86400 },
		       old_top = { 5000, "POST /ecash/topup 1 ", 0, now - W - 86400 },
		       old_wd = { 2000, "POST /coupon/withdraw 1 ", 0, now - W - 86400 },
		       edge_in = { 1, "POST /ecash/deposit 2 ", 0, now - W + 1 },
		       edge_out = { 1, "POST /ecash/deposit 3 ", 0, now - W - 1 };
	REQUIRE_OK(obol_store_transact(s, add_answers, &old_dep));
	REQUIRE_OK(obol_store_transact(s, add_answers, &old_rep));
	REQUIRE_OK(obol_store_transact(s, add_answers, &old_top));
	REQUIRE_OK(obol_store_transact(s, add_answers, &old_wd));
	REQUIRE_OK(obol_store_transact(s, add_answers, &edge_in));
	REQUIRE_OK(obol_store_transact(s, add_answers, &edge_out));
	/* the nonce the pruned deposit answers were bound to, used long ago */
	int64_t long_ago = now - W - 86400;
	REQUIRE_OK(obol_store_transact(s, add_used_nonce, &long_ago));
	CHECK_OK(obol_audit_run(s, devnull));

	struct obol_gc_opts o = { .now = now, .batch = 1000 };
	REQUIRE_OK(obol_issuer_gc(s, &o, &c));
	CHECK_EQ_INT(c.answers, 25001);
	CHECK(c.batches > 32); /* at most 1000 rows a transaction */
	CHECK_EQ_INT(answer_count(s, "POST /ecash/deposit"), 1); /* the one whose window has a second left */
	CHECK_EQ_INT(answer_count(s, "POST /ecash/deposit 2 "), 1);
	CHECK_EQ_INT(answer_count(s, "POST /payword/report"), 0);
	CHECK_EQ_INT(answer_count(s, "POST /ecash/topup"), 5000);
	CHECK_EQ_INT(answer_count(s, "POST /coupon/withdraw"), 2000);
	CHECK_OK(obol_audit_run(s, devnull));
	/* a replay of a pruned deposit runs again and is refused at its nonce,
	 * gone with the nonce rule: nothing is deposited twice */
	CHECK_ERR(obol_store_transact(s, take_used, NULL), OBOL_E_ECASH_NONCE_UNKNOWN);

	/* a second run finds nothing */
	REQUIRE_OK(obol_issuer_gc(s, &o, &c));
	CHECK_EQ_INT(c.answers, 0);
	obol_store_close(s);
	fclose(devnull);
}

/* ---- coupon settles ---- */

static obol_err add_denom(struct obol_store *s, int64_t id, int64_t spend_until)
{
	static const uint8_t dummy[1] = { 0 }; /* no key is used by the rule or the audit */
	return obol_store_run(s, NULL,
			      "INSERT INTO coupon_denoms (id, currency, value_units, n, rsa_sk, rsa_pk, withdraw_until,"
			      " spend_until, created) VALUES (?, 'EUR', 100, 100, ?, ?, ?, ?, 0)",
			      "ibbii", id, dummy, sizeof(dummy), dummy, sizeof(dummy), spend_until - 1, spend_until);
}

struct coins {
	int64_t n, first, denom, locked;
};

/* n coins (nothing credited: credited_index = n, so the audit's sum is
 * untouched) each with one answered final settle. */
static obol_err add_coins(struct obol_store *s, void *ctx)
{
	const struct coins *k = ctx;
	static const uint8_t z[32] = { 0 };
	char sql[768];
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO coupon_coins (coin_id, denom, last_index, last_token, credited_index, locked,"
		 " lock_cert_hash, lock_vendor_pk, lock_vendor_account, lock_until, lock_auth_hash, version)"
		 " SELECT %s, CAST(? AS BIGINT), 100, ?, 100, CAST(? AS BIGINT), ?, NULL, 0, 0, NULL, 1 FROM c",
		 series(s), id_of(s));
	obol_err e = obol_store_run(s, NULL, sql, "iiibib", k->n, k->first, k->denom, z, sizeof(z), k->locked, z,
				    sizeof(z));
	if (e != OBOL_OK)
		return e;
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO coupon_settles (coin_id, lock_hash, idx, cert_hash, keep, credited_tokens, locked,"
		 " spent, created) SELECT %s, ?, 100, ?, 0, 0, 0, 0, 0 FROM c",
		 series(s), id_of(s));
	return obol_store_run(s, NULL, sql, "iibb", k->n, k->first, z, sizeof(z), z, sizeof(z));
}

static obol_err add_denoms(struct obol_store *s, void *ctx)
{
	const int64_t *now = ctx;
	obol_err e = add_denom(s, 1001, *now - W - 1); /* its end plus the window: a second ago */
	return e == OBOL_OK ? add_denom(s, 1002, *now - W + 1) : e; /* a second from now */
}

TEST_DB(gc_rules, coupon_settles_of_unlocked_coins_go_after_their_denominations_end_and_a_retry_is_refused)
{
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	struct obol_store *s = open_issuer(db_url, devnull);
	REQUIRE(s != NULL);
	int64_t now = obol_now();
	struct obol_gc_counts c;
	REQUIRE_OK(obol_store_transact(s, add_denoms, &now));
	struct coins ended = { 20000, 0, 1001, 0 }, locked = { 1, 100000, 1001, 1 }, edge = { 1, 200000, 1002, 0 };
	REQUIRE_OK(obol_store_transact(s, add_coins, &ended));
	REQUIRE_OK(obol_store_transact(s, add_coins, &locked));
	REQUIRE_OK(obol_store_transact(s, add_coins, &edge));
	CHECK_OK(obol_audit_run(s, devnull));

	struct obol_gc_opts o = { .now = now, .batch = 1000 };
	REQUIRE_OK(obol_issuer_gc(s, &o, &c));
	CHECK_EQ_INT(c.coupon_settles, 20000);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM coupon_settles"), 2); /* the locked coin's and the one of the denomination a second short */
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM coupon_coins"), 20002); /* coins stay: a second refund is refused by them */
	CHECK_OK(obol_audit_run(s, devnull));

	/* the retry of a pruned settle: no answer to repeat, and the coin has
	 * no lock of its vendor: refused, nothing credited */
	char digits[33];
	uint8_t id[COUPON_ID_LEN];
	snprintf(digits, sizeof(digits), "%032d", 7);
	memcpy(id, digits, COUPON_ID_LEN);
	struct coupon_coin_state cur;
	struct coupon_settle_record prior;
	bool found = false;
	static uint8_t zero[COUPON_ID_LEN];
	REQUIRE_OK(coupon_store_coin_get(s, id, &cur, &found));
	REQUIRE(found);
	REQUIRE_OK(coupon_store_settle_get(s, id, zero, 100, zero, false, &prior, &found));
	CHECK(!found);
	struct coupon_denom d = { .id = 1001, .n = 100, .spend_until = now - W - 1 };
	struct coupon_issuer is = { .denoms = &d, .ndenoms = 1 };
	static struct coupon_settle_req req;
	struct coupon_cert cert;
	struct coupon_settle_effect eff;
	memset(&cert, 0, sizeof(cert));
	memcpy(req.coin_id, id, COUPON_ID_LEN);
	req.index = 100;
	CHECK_ERR(coupon_issuer_settle_apply(&is, &req, &cert, &cur, NULL, NULL, &eff), OBOL_E_COUPON_NOT_LOCK_HOLDER);
	obol_store_close(s);
	fclose(devnull);
}

/* ---- payword certificates ---- */

struct certs {
	int64_t n, first, status, not_after, paid;
	int64_t claim_held; /* -1: no claim; else one claim holding this many tokens */
};

static obol_err add_certs(struct obol_store *s, void *ctx)
{
	const struct certs *k = ctx;
	static const uint8_t vcert[1] = { 0 }, tok[32] = { 0 };
	char sql[768];
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO payword_certs (serial, user_id, scope, vcert, token_units, n, status, ended_at,"
		 " pos, paid, moved_out, max_claimed, not_after, covered)"
		 " SELECT CAST(? AS BIGINT) + x, 1, 0, ?, 1, 10, CAST(? AS BIGINT), 0, 0, CAST(? AS BIGINT), 0, 10,"
		 " CAST(? AS BIGINT), 0 FROM c",
		 series(s));
	obol_err e = obol_store_run(s, NULL, sql, "iibiii", k->n, k->first, vcert, sizeof(vcert), k->status,
				    k->paid, k->not_after);
	if (e != OBOL_OK || k->claim_held < 0)
		return e;
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO payword_claims (id, serial, vendor, visit_start, from_order, to_order, token, auth,"
		 " paid_tokens, received, product, held_tokens, hold)"
		 " SELECT CAST(? AS BIGINT) + x, CAST(? AS BIGINT) + x, 9, 0, 1, 10, ?, 1, 10, 0, 'p',"
		 " CAST(? AS BIGINT), 0 FROM c",
		 series(s));
	return obol_store_run(s, NULL, sql, "iiibi", k->n, k->first, k->first, tok, sizeof(tok), k->claim_held);
}

static obol_err set_grace(struct obol_store *s, void *ctx)
{
	(void)ctx;
	return obol_store_run(s, NULL, "UPDATE payword_settings SET value = '3600' WHERE key = 'grace'", "");
}

struct ingest {
	uint64_t serial;
	int64_t now;
};

static obol_err ingest(struct obol_store *s, void *ctx)
{
	const struct ingest *g = ctx;
	struct payword_claim claim;
	json_t *reply = NULL;
	memset(&claim, 0, sizeof(claim));
	claim.vendor = 9;
	claim.range = (struct payword_range){ .serial = g->serial, .vendor = 9, .from = 1, .to = 10 };
	claim.auth = 1;
	obol_err e = payword_report_ingest(s, &claim, 3600, g->now, &reply);
	json_decref(reply);
	return e;
}

TEST_DB(gc_rules, ended_payword_certificates_with_nothing_left_go_with_their_claims_and_a_report_is_refused)
{
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	struct obol_store *s = open_issuer(db_url, devnull);
	REQUIRE(s != NULL);
	int64_t now = obol_now(), grace = 3600;
	struct obol_gc_counts c;
	REQUIRE_OK(obol_store_transact(s, set_grace, NULL));
	int64_t gone_at = now - W - grace - 1; /* not_after + grace + window: a second ago */
	struct certs ended = { 20000, 0, PAYWORD_CERT_SUPERSEDED, gone_at, 10, 0 },
		     edge = { 1, 100000, PAYWORD_CERT_REVOKED, now - W - grace + 1, 10, 0 },
		     held = { 1, 100001, PAYWORD_CERT_SUPERSEDED, gone_at, 10, 3 },
		     live = { 1, 100002, PAYWORD_CERT_LIVE, gone_at, 10, -1 },
		     last = { 1, 200000, PAYWORD_CERT_SUPERSEDED, gone_at, 10, 0 };
	REQUIRE_OK(obol_store_transact(s, add_certs, &ended));
	REQUIRE_OK(obol_store_transact(s, add_certs, &edge));
	REQUIRE_OK(obol_store_transact(s, add_certs, &held));
	REQUIRE_OK(obol_store_transact(s, add_certs, &live));
	REQUIRE_OK(obol_store_transact(s, add_certs, &last));
	CHECK_OK(obol_audit_run(s, devnull));

	struct obol_gc_opts o = { .now = now, .batch = 1000 };
	REQUIRE_OK(obol_issuer_gc(s, &o, &c));
	CHECK_EQ_INT(c.payword_certs, 20000);
	CHECK_EQ_INT(c.payword_claims, 20000);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM payword_certs"), 4); /* the one a second short, the one holding tokens, the live one, the highest serial */
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM payword_claims"), 3);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM payword_certs WHERE serial IN (100001, 100002, 100003, 200001)"), 4);
	CHECK_OK(obol_audit_run(s, devnull));

	/* a report naming a pruned certificate is refused: nothing is paid
	 * again for a range whose claim is gone */
	struct ingest pruned = { 7, now };
	struct payword_db_cert cert;
	CHECK_ERR(obol_store_transact(s, ingest, &pruned), OBOL_E_NOT_FOUND);
	CHECK_ERR(payword_db_cert_get(s, 7, &cert), OBOL_E_NOT_FOUND);
	CHECK_EQ_INT(store_test_count(s, "SELECT COUNT(*) FROM payword_claims WHERE serial = 7"), 0);
	CHECK_OK(obol_audit_run(s, devnull));
	obol_store_close(s);
	fclose(devnull);
}
