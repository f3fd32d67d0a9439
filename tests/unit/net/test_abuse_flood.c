/* Issue 16, item 1: one vendor floods conflicting settles of its own coin
 * while an honest client makes payouts.
 *
 * The settle here is the coupon settle's shape, in a route that lives only in
 * this test binary (so that it stays what it is whatever a scheme does to its
 * own): a pre-check that reads the coin on a read connection and checks the
 * link on the request thread, then a unit that compare-and-sets the coin's
 * version and answers STORE_CONFLICT when the coin moved since the read
 * (coupon_store_coin_put, coupon_issuer_settle_apply). Concurrent settles of
 * one coin therefore conflict all the time. They used to doom every batch
 * they were in, with the honest units beside them, and the committer ran each
 * doomed batch again up to 30 times: honest payouts stalled for seconds. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../test.h"
#include "abuse.h"
#include "crypto/hash.h"
#include "net/http_client.h"

struct coin_read {
	int64_t version;
	uint8_t link[32];
};

static obol_err coin_get(struct obol_store *s, void *arg)
{
	struct coin_read *c = arg;
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT version FROM abuse_coin WHERE id = 1", &st);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && !row)
		e = OBOL_E_NOT_FOUND;
	if (e == OBOL_OK)
		c->version = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}

/* The read and the link's check (a walk of some thousand hashes), off the committer. */
static obol_err settle_pre(struct obol_issuer *iss, void *arg)
{
	struct coin_read *c = arg;
	obol_err e = obol_issuer_read(iss, coin_get, c);
	for (int i = 0; e == OBOL_OK && i < 2048; i++)
		obol_sha256(c->link, c->link, sizeof c->link);
	return e;
}

static atomic_int unit_conflicts;

static obol_err settle_unit(struct obol_store *s, void *arg)
{
	struct coin_read *c = arg;
	int64_t changed = 0;
	obol_err e = obol_store_run(s, &changed, "UPDATE abuse_coin SET version = ? WHERE id = 1 AND version = ?",
				    "ii", c->version + 1, c->version);
	if (e == OBOL_OK && changed != 1) {
		atomic_fetch_add(&unit_conflicts, 1);
		e = OBOL_E_STORE_CONFLICT;
	}
	return e;
}

static obol_err post_settle(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct coin_read c = { 0 };
	(void)req;
	(void)rep;
	return obol_issuer_run_checked(iss, settle_pre, settle_unit, &c);
}
OBOL_ROUTE(abuse_settle_route, "POST", "/test/abuse/settle", post_settle)

static obol_err coin_create(struct obol_store *s, void *arg)
{
	(void)arg;
	obol_err e = obol_store_exec(s, "CREATE TABLE abuse_coin (id BIGINT PRIMARY KEY, version BIGINT NOT NULL)");
	return e == OBOL_OK ? obol_store_run(s, NULL, "INSERT INTO abuse_coin (id, version) VALUES (1, 0)", "") : e;
}

struct flooder {
	const char *url;
	atomic_bool *stop;
	int sent, conflicts, ok, other;
};

static void *flood(void *arg)
{
	struct flooder *f = arg;
	struct obol_http_client *c = NULL;
	if (obol_http_client_new(f->url, 60000, &c) != OBOL_OK)
		return NULL;
	while (!atomic_load(f->stop)) {
		long status = 0;
		char *resp = NULL;
		size_t len;
		obol_err e = obol_http_request(c, "POST", "/test/abuse/settle", "{}", 2, 0, &status, &resp, &len);
		free(resp);
		f->sent++;
		if (e == OBOL_OK && status == 200)
			f->ok++;
		else if (e == OBOL_OK && status == 409)
			f->conflicts++;
		else
			f->other++;
	}
	obol_http_client_free(c);
	return NULL;
}

TEST(abuse, settle_flood_keeps_payouts_fast)
{
	enum { FLOODERS = 12, SAMPLES = 40 };
	struct abuse_issuer a;
	struct obol_issuer_config cfg = { 0 };
	struct abuse_latency base, attack;
	struct flooder f[FLOODERS];
	pthread_t th[FLOODERS];
	atomic_bool stop = false;
	REQUIRE(abuse_issuer_start(test_db_url_new("issuer"), &cfg, &a));
	REQUIRE_OK(obol_issuer_run(a.iss, coin_create, NULL));

	abuse_payouts(&a, SAMPLES, false, &base);
	CHECK_EQ_INT(base.failed, 0);
	for (int i = 0; i < FLOODERS; i++) {
		f[i] = (struct flooder){ .url = a.url, .stop = &stop };
		REQUIRE(pthread_create(&th[i], NULL, flood, &f[i]) == 0);
	}
	abuse_sleep_ms(300); /* the flood is under way */
	abuse_payouts(&a, SAMPLES, false, &attack);
	atomic_store(&stop, true);
	int sent = 0, ok = 0, conflicts = 0, other = 0;
	for (int i = 0; i < FLOODERS; i++) {
		pthread_join(th[i], NULL);
		sent += f[i].sent;
		ok += f[i].ok;
		conflicts += f[i].conflicts;
		other += f[i].other;
	}
	test_note("%d flooders sent %d settles of one coin: %d went through, %d refused STORE_CONFLICT, %d other; "
		  "%d units found the coin moved",
		  FLOODERS, sent, ok, conflicts, other, atomic_load(&unit_conflicts));
	CHECK(ok > 0);
	CHECK(atomic_load(&unit_conflicts) > FLOODERS); /* the flood did conflict */
	CHECK_EQ_INT(other, 0);
	CHECK(abuse_report("settle flood", &base, &attack, abuse_bound_ms(&base, ABUSE_FACTOR, ABUSE_FLOOR_MS)));
	abuse_issuer_stop(&a);
}
