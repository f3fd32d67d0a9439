/* The vendor daemon's renewal worker (src/vendor/renew.h) against an issuer
 * in process, on a clock the test moves: the vendor certificate is renewed
 * only within its margin, and the ecash merchant key, whose certificate the
 * daemon held from its start, is renewed while it runs (a daemon that ran
 * past it could no longer be paid in ecash), its old key retired so that
 * coins received under it stay depositable. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../issuer_master.h"
#include "../test.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "issuer/keys.h"
#include "issuer/vendors.h"
#include "vendor/ecash_vendor_int.h"
#include "vendor/renew.h"
#include "vendor/vendor.h"
#include "vendor/vendor_int.h"

#define DAY INT64_C(86400)

static int64_t offset;

static int64_t moved_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL) + __atomic_load_n(&offset, __ATOMIC_SEQ_CST);
}

static const struct obol_clock_source moved = { .now = moved_now };

struct rsetup {
	struct obol_issuer *iss;
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	struct obol_vendor_cert cert;
};

static obol_err add_vendor(struct obol_store *s, void *arg)
{
	struct rsetup *st = arg;
	struct obol_ed25519_signer sg;
	obol_err e = obol_issuer_signer(st->iss, obol_now(), &sg);
	return e != OBOL_OK ? e : obol_issuer_vendor_add(s, &sg, "stall", st->sign.pk, st->box.pk, 400, obol_now(),
							 &st->cert);
}

/* The master key issuer init hands out, for the ceremonies below. */
static struct obol_sign_keypair master;

TEST(vendor_renew, daemon_renews_its_certificate_and_ecash_key_while_running)
{
	struct rsetup st = { 0 };
	struct obol_vendor *v = NULL;
	const char *db = test_db_url_new("issuer");
	char url[64], dir[512];
	bool renewed = true;
	FILE *devnull = fopen("/dev/null", "w");
	__atomic_store_n(&offset, 0, __ATOMIC_SEQ_CST);
	obol_clock_set_source(&moved);
	REQUIRE_OK(obol_issuer_init_db_master(db, "EUR", NULL, 0, test_master_keep, &master, devnull));
	fclose(devnull);
	struct obol_issuer_config icfg = { .db_url = db, .listen = "127.0.0.1:0", .threads = 2 };
	REQUIRE_OK(obol_issuer_start(&icfg, &st.iss));
	snprintf(url, sizeof url, "http://127.0.0.1:%u", obol_issuer_port(st.iss));
	snprintf(dir, sizeof dir, "%s/stall", test_tmpdir());
	REQUIRE_OK(obol_vendor_keys_create(dir, &st.sign, &st.box));
	REQUIRE_OK(obol_issuer_run(st.iss, add_vendor, &st));
	struct obol_vendor_config vcfg = { .dir = dir, .listen = "127.0.0.1:0", .issuer_url = url,
					   .renew_margin_s = 30 * DAY, .renew_check_ms = 3600000 };
	REQUIRE_OK(obol_vendor_start(&vcfg, &v));
	struct ecash_vendor *ev = obol_vendor_scheme_state(v, "ecash");
	REQUIRE(ev != NULL && ev->ready);
	pthread_mutex_lock(&ev->mu);
	struct ecash_cert first = ev->me.cert;
	uint8_t first_id[ECASH_ID_LEN];
	memcpy(first_id, ev->m.id, ECASH_ID_LEN);
	pthread_mutex_unlock(&ev->mu);

	/* Day 300: the merchant key (a year) is in its last quarter; the vendor
	 * certificate (400 days, margin 30) is not due. */
	__atomic_store_n(&offset, 300 * DAY, __ATOMIC_SEQ_CST);
	REQUIRE_OK(test_ceremony(db, &master));
	REQUIRE_OK(obol_vendor_renew_pass(v, 30 * DAY, obol_now(), &renewed));
	CHECK(!renewed);
	CHECK_EQ_INT(obol_vendor_cert(v).valid_until, st.cert.valid_until);
	pthread_mutex_lock(&ev->mu);
	CHECK(ev->me.cert.expiry > first.expiry);
	CHECK(memcmp(ev->m.id, first_id, ECASH_ID_LEN) != 0);
	CHECK(memcmp(ev->me.id, ev->m.id, ECASH_ID_LEN) == 0);
	CHECK_EQ_INT(ev->me.nretired, 1);
	CHECK(memcmp(ev->me.retired[0], first_id, ECASH_ID_LEN) == 0);
	CHECK(ev->m.sk == ev->sk && ev->me.sk == ev->sk);
	pthread_mutex_unlock(&ev->mu);

	/* Day 380: the vendor certificate is within its margin. */
	__atomic_store_n(&offset, 380 * DAY, __ATOMIC_SEQ_CST);
	int64_t day380 = obol_now();
	REQUIRE_OK(test_ceremony(db, &master));
	REQUIRE_OK(obol_vendor_renew_pass(v, 30 * DAY, obol_now(), &renewed));
	CHECK(renewed);
	CHECK(obol_vendor_cert(v).valid_until > st.cert.valid_until);
	CHECK_EQ_INT(obol_vendor_cert(v).vendor_id, st.cert.vendor_id);
	/* A second look the same day changes nothing. */
	REQUIRE_OK(obol_vendor_renew_pass(v, 30 * DAY, obol_now(), &renewed));
	CHECK(!renewed);

	/* The issuer's key document: fetched again a day after the last fetch
	 * (the day-380 pass fetched it), not within the day; and at once when
	 * the clock is set back past the last fetch, which a daemon that waited
	 * for its clock to come round again would not see for ten days. */
	pthread_mutex_lock(&v->keys_mu);
	int64_t fetched = v->keys_fetched_at;
	pthread_mutex_unlock(&v->keys_mu);
	CHECK(fetched >= day380);
	__atomic_store_n(&offset, 380 * DAY + 3600, __ATOMIC_SEQ_CST);
	obol_vendor_keys_refresh_due(v, obol_now());
	pthread_mutex_lock(&v->keys_mu);
	CHECK_EQ_INT(v->keys_fetched_at, fetched);
	pthread_mutex_unlock(&v->keys_mu);
	__atomic_store_n(&offset, 370 * DAY, __ATOMIC_SEQ_CST);
	int64_t before = obol_now();
	obol_vendor_keys_refresh_due(v, before);
	pthread_mutex_lock(&v->keys_mu);
	CHECK(v->keys_fetched_at >= before && v->keys_fetched_at < fetched);
	pthread_mutex_unlock(&v->keys_mu);

	obol_vendor_stop(v);
	obol_issuer_stop(st.iss);
	OBOL_WIPE(master);
	obol_clock_set_source(NULL);
}
