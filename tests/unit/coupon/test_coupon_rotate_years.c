/* Denomination keys rotate for as long as the issuer runs (issue: no fixed
 * cap that breaks an endpoint for everyone). Forty years of the key plan
 * with two denominations draw about eighty keys; the issuer loads only those
 * whose legal end has not passed (coupon_store_denoms), at most
 * COUPON_DENOMS_MAX, so the plan and the issuer's start keep working, and a
 * refund under a key past its legal end is still refused by name. */
#include <stdio.h>
#include <string.h>

#include "../test.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/coupon_rotate.h"
#include "issuer/coupon_store.h"
#include "issuer/issuer.h"
#include "issuer/keys.h"
#include "schemes/coupon/issuer.h"
#include "schemes/coupon/keys.h"

/* The master key as issuer init hands it out (the master key file's seed). */
static uint8_t kept_seed[OBOL_SIGN_SEED_LEN];
static obol_err keep_seed(void *ctx, const struct obol_sign_keypair *m)
{
	(void)ctx;
	if (m != NULL)
		memcpy(kept_seed, m->sk, OBOL_SIGN_SEED_LEN);
	return OBOL_OK;
}
static obol_err kept_master_seed(uint8_t seed[static OBOL_SIGN_SEED_LEN])
{
	memcpy(seed, kept_seed, OBOL_SIGN_SEED_LEN);
	return OBOL_OK;
}

#define DAY INT64_C(86400)
#define YEARS 40

/* Keys of each series issuing at now among the n loaded. */
static size_t issuing(const struct coupon_denom *d, size_t n, int64_t units, int64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += d[i].value.units == units && d[i].valid_from <= now && now <= d[i].withdraw_until;
	return k;
}

TEST_DB(coupon_rotate_years, forty_years_of_keys_keep_the_plan_and_the_start_working)
{
	/* two denominations, the default windows (a year of issue, spend
	 * until a year after, refunds three years more), RSA-1024 for speed */
	const struct obol_init_arg args[] = { { "coupon-rsa-bits", "1024" },
					      { "coupon-denom", "EUR:1,100" },
					      { "coupon-denom", "EUR:2,100" } };
	struct obol_store *s = NULL;
	struct obol_key_policy p;
	struct obol_sign_keypair master;
	struct coupon_denom got[COUPON_DENOMS_MAX];
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	size_t added = 0, signed_n = 0, n = 0, most = 0;
	int64_t total = 0;
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	obol_err e = obol_issuer_init_db_bare(db_url, "EUR", args, OBOL_ARRAY_LEN(args), keep_seed, NULL, devnull);
	fclose(devnull);
	REQUIRE_OK(e);
	const int64_t t0 = obol_now();
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	REQUIRE_OK(kept_master_seed(seed));
	obol_sign_keypair_from_seed(&master, seed);
	OBOL_WIPE(seed);
	obol_key_policy_default(&p);
	/* every 90 days (within the 120-day lookahead): the key plan's
	 * coupon step (`issuer keys export-requests`), then `issuer serve`'s
	 * load of the keys; the whole plan and ceremony at the start and the
	 * end (each run draws the ecash bank key a year needs: slow) */
	for (int64_t now = t0; now <= t0 + YEARS * 365 * DAY; now += 90 * DAY) {
		if (now == t0 || now + 90 * DAY > t0 + YEARS * 365 * DAY) {
			REQUIRE_OK(obol_issuer_keys_plan(s, &p, now, &added));
			REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &signed_n));
		}
		size_t drawn = 0;
		REQUIRE_OK(obol_store_begin(s));
		e = coupon_rotate(s, now, p.lookahead_s, NULL, &drawn);
		if (e != OBOL_OK) {
			obol_store_rollback(s);
			REQUIRE_OK(e);
		}
		REQUIRE_OK(obol_store_commit(s));
		REQUIRE_OK(obol_store_begin_read(s));
		e = coupon_store_denoms(s, now, got, COUPON_DENOMS_MAX, &n);
		if (e == OBOL_OK)
			e = coupon_rotate_announced(s, master.pk, now, got, &n);
		obol_store_rollback(s);
		REQUIRE_OK(e);
		/* each series issues under exactly one key, always */
		CHECK_EQ_INT(issuing(got, n, 100000000, now), 1);
		CHECK_EQ_INT(issuing(got, n, 200000000, now), 1);
		if (n > most)
			most = n;
		for (size_t i = 0; i < n; i++)
			EVP_PKEY_free(got[i].key);
	}
	const int64_t end = t0 + YEARS * 365 * DAY;
	REQUIRE_OK(obol_store_begin_read(s));
	struct obol_stmt *st = NULL;
	bool row = false;
	REQUIRE_OK(obol_stmt_prepare(s, "SELECT COUNT(*) FROM coupon_denoms", &st));
	REQUIRE_OK(obol_stmt_step(st, &row));
	total = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	/* the table keeps every key: about 41 a series, more than the cap */
	CHECK(total > 2 * YEARS);
	CHECK(total > COUPON_DENOMS_MAX);
	/* what is loaded stays within the bound of coupon_store.h: two series
	 * of (S + L + A) / W + 2 = (365 + 1095 + 120) / 365 + 2 = 6 keys */
	CHECK(most <= 12);
	/* the first key's coin: past its legal end, not loaded, refused by name */
	REQUIRE_OK(coupon_store_denoms(s, end, got, COUPON_DENOMS_MAX, &n));
	struct coupon_issuer is = { .denoms = got, .ndenoms = n };
	CHECK(coupon_issuer_denom(&is, 1) == NULL);
	CHECK_ERR(coupon_store_denom_retired(s, 1, end), OBOL_E_COUPON_REFUND_LEGAL_END);
	CHECK_ERR(coupon_store_denom_retired(s, 2, end), OBOL_E_COUPON_REFUND_LEGAL_END);
	CHECK_ERR(coupon_store_denom_retired(s, 1000000, end), OBOL_E_COUPON_DENOM_UNKNOWN);
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(got[i].key);
	obol_store_rollback(s);
	obol_wipe(&master, sizeof master);
	obol_store_close(s);
}
