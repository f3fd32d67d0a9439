/* obol issuer gc (issue 18): the ecash nonces past their expiry and margin go,
 * in bounded batches, the others stay, a pruned nonce is still refused, and
 * the audit holds across it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "issuer/ecash_issuer.h"
#include "issuer/gc.h"
#include "issuer/issuer.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "../test.h"

/* n nonces numbered first + 1 .. first + n (32 ASCII digits), expiring at
 * expiry, used or not: one statement. */
struct nonces {
	int64_t n, first, expiry, used;
};

static obol_err add_nonces(struct obol_store *s, void *ctx)
{
	const struct nonces *b = ctx;
	bool pg = obol_store_backend(s) == OBOL_STORE_POSTGRES;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO ecash_nonces (nonce, account, purpose, expiry, used)"
		 " SELECT %s, 1, 'topup', CAST(? AS BIGINT), CAST(? AS BIGINT) FROM %s",
		 pg ? "" : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)",
		 pg ? "convert_to(lpad(CAST(CAST(? AS BIGINT) + x AS TEXT), 32, '0'), 'UTF8')"
		    : "CAST(printf('%032d', CAST(? AS BIGINT) + x) AS BLOB)",
		 pg ? "generate_series(1, CAST(? AS BIGINT)) AS c(x)" : "c");
	return pg ? obol_store_run(s, NULL, sql, "iiii", b->first, b->expiry, b->used, b->n)
		  : obol_store_run(s, NULL, sql, "iiii", b->n, b->first, b->expiry, b->used);
}

static obol_err count_nonces(struct obol_store *s, int64_t *n)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT COUNT(*) FROM ecash_nonces", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		*n = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}

static obol_err take(struct obol_store *s, void *ctx)
{
	uint8_t nonce[ECASH_NONCE_LEN];
	char digits[ECASH_NONCE_LEN + 1];
	snprintf(digits, sizeof(digits), "%032lld", (long long)*(const int64_t *)ctx);
	memcpy(nonce, digits, ECASH_NONCE_LEN);
	return ecash_issuer_nonce_take(s, nonce, 1, "topup", obol_now());
}

TEST_DB(issuer_gc, expired_nonces_go_in_batches_the_rest_stays_and_the_audit_holds)
{
	struct obol_store *s = NULL;
	struct obol_gc_counts n;
	int64_t now = obol_now(), left = 0;
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	REQUIRE_OK(obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull));
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	REQUIRE_OK(obol_ledger_attach(s));
	/* 100 000 expired a day ago (half of them used), 100 expired a minute
	 * ago (inside the margin), 100 still open */
	struct nonces old_unused = { 50000, 0, now - 86400, 0 }, old_used = { 50000, 50000, now - 86400, now - 86400 };
	struct nonces recent = { 100, 200000, now - 60, 0 }, open = { 100, 300000, now + 300, 0 };
	REQUIRE_OK(obol_store_transact(s, add_nonces, &old_unused));
	REQUIRE_OK(obol_store_transact(s, add_nonces, &old_used));
	REQUIRE_OK(obol_store_transact(s, add_nonces, &recent));
	REQUIRE_OK(obol_store_transact(s, add_nonces, &open));
	CHECK_OK(obol_audit_run(s, devnull));

	/* a bad batch size is refused before anything */
	struct obol_gc_opts bad = { .now = now, .batch = 0 };
	CHECK_ERR(obol_issuer_gc(s, &bad, &n), OBOL_E_INVALID_ARGUMENT);

	struct obol_gc_opts o = { .now = now, .batch = 1000 };
	REQUIRE_OK(obol_issuer_gc(s, &o, &n));
	CHECK_EQ_INT(n.nonces, 100000);
	CHECK_EQ_INT(n.batches, 104); /* 100 full, the one that finds nothing left, one for each other rule */
	REQUIRE_OK(count_nonces(s, &left));
	CHECK_EQ_INT(left, 200);
	CHECK_OK(obol_audit_run(s, devnull));

	/* a pruned nonce is refused as before (unknown instead of expired); a
	 * nonce inside the margin is still the expired one it was; an open one
	 * is taken */
	int64_t pruned = 7, within = 200001, fresh = 300001;
	CHECK_ERR(obol_store_transact(s, take, &pruned), OBOL_E_ECASH_NONCE_UNKNOWN);
	CHECK_ERR(obol_store_transact(s, take, &within), OBOL_E_ECASH_NONCE_EXPIRED);
	CHECK_OK(obol_store_transact(s, take, &fresh));

	/* nothing left to prune: one batch, no row */
	REQUIRE_OK(obol_issuer_gc(s, &o, &n));
	CHECK_EQ_INT(n.nonces, 0);
	CHECK_EQ_INT(n.batches, 4); /* one for each rule, finding nothing */
	obol_store_close(s);
	fclose(devnull);
}

/* issue 18: the daemon's schedule (issuer serve --gc-interval) prunes on its
 * own connection while the test keeps its own open, and stops at once. */
TEST_DB(issuer_gc, the_daemons_schedule_prunes_and_stops)
{
	struct obol_store *s = NULL;
	struct obol_gc_daemon *d = NULL;
	int64_t now = obol_now(), left = -1;
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	REQUIRE_OK(obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull));
	fclose(devnull);
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	struct nonces old = { 5000, 0, now - 86400, 0 }, open = { 10, 10000, now + 300, 0 };
	REQUIRE_OK(obol_store_transact(s, add_nonces, &old));
	REQUIRE_OK(obol_store_transact(s, add_nonces, &open));
	CHECK_ERR(obol_gc_daemon_start(db_url, 0, 100, &d), OBOL_E_INVALID_ARGUMENT);
	REQUIRE_OK(obol_gc_daemon_start(db_url, 1, 100, &d));
	/* within a minute however loaded the machine: the first run is due after 1 s */
	for (int i = 0; i < 600 && left != 10; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		REQUIRE_OK(count_nonces(s, &left));
	}
	CHECK_EQ_INT(left, 10);
	obol_gc_daemon_stop(d);
	obol_store_close(s);
}
