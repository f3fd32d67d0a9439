/* The payword CRL as signed pages and deltas (issue 18, P6): a page's range
 * and question are signed, so no page stands for another and a missing page
 * is seen; at a million serials the real issuer serves the whole list in
 * pages and a delta of a hundred in one small page, and a vendor a year
 * behind catches up through the vendor's own page loop. */
#include <stdlib.h>

#include "core/clock.h"
#include "issuer/issuer.h"
#include "issuer/payword_db.h"
#include "net/http_client.h"
#include "pw_fixture.h"
#include "../net/http_bytes.h"
#include "../store/store_test.h"
#include "schemes/payword/wire.h"
#include "store/ledger.h"
#include "vendor/payword_vendor.h"
#include "wire/json.h"

#define MILLION 1000000

static obol_err page_of(struct payword_crl_page *p, const struct pw_world *w, int64_t since, uint64_t after,
			uint64_t through, uint64_t *serials, size_t n)
{
	*p = (struct payword_crl_page){ .issued = PW_NOW, .since = since, .after = after, .through = through,
					.count = n, .serials = serials };
	return payword_crl_page_sign(p, &w->agent_sg);
}

TEST(payword_crl_pages, attack_a_page_cannot_stand_for_another_nor_hide_a_missing_one)
{
	struct pw_world w;
	struct payword_crl_page p1, p2, bad;
	struct payword_crl_fetch f;
	struct payword_crl held = { 0 };
	int64_t full_at = 0;
	uint64_t a[] = { 3, 7 }, b[] = { 9, 12 };
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(page_of(&p1, &w, 0, 0, 7, a, 2));
	REQUIRE_OK(page_of(&p2, &w, 0, 7, PAYWORD_CRL_END, b, 2));
	/* a serial outside the page's range is refused at signing */
	CHECK_ERR(page_of(&bad, &w, 0, 0, 5, a, 2), OBOL_E_PAYWORD_CRL_INVALID);

	/* a page whose signed range is changed (the man in the middle says it
	 * is the last one) does not verify */
	payword_crl_fetch_begin(&f, &held, false, 0, PW_NOW);
	bad = p1;
	bad.through = PAYWORD_CRL_END;
	CHECK_ERR(payword_crl_fetch_take(&f, &bad, w.agent.pk), OBOL_E_PAYWORD_CRL_INVALID);
	/* a page dropped: the second page is not the answer to "after 0" */
	CHECK_ERR(payword_crl_fetch_take(&f, &p2, w.agent.pk), OBOL_E_PAYWORD_CRL_INVALID);
	/* a fetch not finished is not applied */
	CHECK_OK(payword_crl_fetch_take(&f, &p1, w.agent.pk));
	CHECK_ERR(payword_crl_fetch_apply(&f, &held, &full_at), OBOL_E_PAYWORD_CRL_INVALID);
	CHECK_OK(payword_crl_fetch_take(&f, &p2, w.agent.pk));
	CHECK_OK(payword_crl_fetch_apply(&f, &held, &full_at));
	CHECK_EQ_INT(held.count, 4);
	CHECK(payword_crl_contains(&held, 12) && !payword_crl_contains(&held, 8));
	CHECK_EQ_INT(full_at, PW_NOW);
	payword_crl_fetch_free(&f);

	/* the next fetch is a delta; a page of the whole list cannot answer it */
	payword_crl_fetch_begin(&f, &held, true, full_at, PW_NOW + 10);
	CHECK_EQ_INT(f.since, PW_NOW - PAYWORD_CRL_DELTA_MARGIN);
	CHECK_ERR(payword_crl_fetch_take(&f, &p1, w.agent.pk), OBOL_E_PAYWORD_CRL_INVALID);
	uint64_t d[] = { 5, 12 };
	struct payword_crl_page pd;
	REQUIRE_OK(page_of(&pd, &w, f.since, 0, PAYWORD_CRL_END, d, 2));
	pd.issued = PW_NOW + 10;
	REQUIRE_OK(payword_crl_page_sign(&pd, &w.agent_sg));
	CHECK_OK(payword_crl_fetch_take(&f, &pd, w.agent.pk));
	CHECK_OK(payword_crl_fetch_apply(&f, &held, &full_at));
	CHECK_EQ_INT(held.count, 5); /* 3 5 7 9 12: merged, 12 once */
	CHECK(payword_crl_contains(&held, 5) && payword_crl_contains(&held, 3));
	CHECK_EQ_INT(held.issued, PW_NOW + 10);
	CHECK_EQ_INT(full_at, PW_NOW);
	payword_crl_fetch_free(&f);

	/* an older list does not replace a newer one */
	payword_crl_fetch_begin(&f, &held, false, 0, PW_NOW);
	CHECK_OK(payword_crl_fetch_take(&f, &p1, w.agent.pk));
	CHECK_OK(payword_crl_fetch_take(&f, &p2, w.agent.pk));
	CHECK_ERR(payword_crl_fetch_apply(&f, &held, &full_at), OBOL_E_PAYWORD_CRL_INVALID);
	payword_crl_fetch_free(&f);
	/* a later page replayed from before the first: the fetch is as old as
	 * it, older than the list held, and refused */
	struct payword_crl_page fresh1 = p1;
	fresh1.issued = PW_NOW + 20;
	REQUIRE_OK(payword_crl_page_sign(&fresh1, &w.agent_sg));
	payword_crl_fetch_begin(&f, &held, false, 0, PW_NOW + 20);
	CHECK_OK(payword_crl_fetch_take(&f, &fresh1, w.agent.pk));
	CHECK_OK(payword_crl_fetch_take(&f, &p2, w.agent.pk));
	CHECK_EQ_INT(f.issued, PW_NOW);
	CHECK_ERR(payword_crl_fetch_apply(&f, &held, &full_at), OBOL_E_PAYWORD_CRL_INVALID);
	payword_crl_fetch_free(&f);
	/* a year after the last whole fetch, the whole list is asked again */
	payword_crl_fetch_begin(&f, &held, true, full_at, PW_NOW + 365 * 86400);
	CHECK_EQ_INT(f.since, 0);
	free(held.serials);
}

/* n ended certificates (superseded, nothing left in them), serials
 * first + 1 .. first + n, the x-th ended at ended0 + step * x, expiring at
 * not_after: one statement, one transaction. */
struct bulk {
	int64_t n, first, ended0, step, not_after;
	int64_t status; /* 0: PAYWORD_CERT_SUPERSEDED */
};

static obol_err bulk_ended(struct obol_store *s, void *ctx)
{
	const struct bulk *b = ctx;
	static const uint8_t vcert[1] = { 0 };
	int64_t status = b->status != 0 ? b->status : PAYWORD_CERT_SUPERSEDED;
	/* rows counted by SQLite's recursive CTE, by PostgreSQL's generate_series
	 * (several times faster there) */
	bool pg = obol_store_backend(s) == OBOL_STORE_POSTGRES;
	char sql[640];
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO payword_certs (serial, user_id, scope, vcert, token_units, n, status, ended_at, pos,"
		 " paid, moved_out, max_claimed, not_after, covered)"
		 " SELECT CAST(? AS BIGINT) + x, 99, 0, ?, 1, 0, CAST(? AS BIGINT), CAST(? AS BIGINT) + CAST(? AS BIGINT) * x, 0, 0, 0,"
		 " 0, CAST(? AS BIGINT), 0 FROM %s",
		 pg ? "" : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)",
		 pg ? "generate_series(1, CAST(? AS BIGINT)) AS c(x)" : "c");
	return pg ? obol_store_run(s, NULL, sql, "ibiiiii", b->first, vcert, sizeof(vcert), status, b->ended0, b->step,
					 b->not_after, b->n)
		  : obol_store_run(s, NULL, sql, "iibiiii", b->n, b->first, vcert, sizeof(vcert), status, b->ended0, b->step,
				   b->not_after);
}

/* The planner's statistics, as a table this size has in service. */
static obol_err analyze(struct obol_store *s, void *ctx)
{
	(void)ctx;
	return obol_store_exec(s, "ANALYZE payword_certs");
}

TEST_DB(payword_crl_pages, a_million_serials_in_pages_a_delta_of_a_hundred_and_a_vendor_a_year_behind)
{
	struct obol_init_arg args[] = { { "payword-grace", "0" } };
	struct obol_issuer_config cfg = { .db_url = db_url, .listen = "127.0.0.1:0", .threads = 2 };
	struct obol_issuer *iss = NULL;
	struct obol_http_client *c = NULL;
	struct payword_crl held = { 0 };
	struct payword_crl_fetch f;
	uint8_t agent_pk[OBOL_SIGN_PK_LEN];
	char url[64], target[96];
	int64_t now = obol_now(), full_at = now - 365 * 86400;
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	REQUIRE_OK(obol_issuer_init_db(db_url, "EUR", args, 1, devnull));
	fclose(devnull);
	REQUIRE_OK(obol_issuer_start(&cfg, &iss));
	memcpy(agent_pk, obol_issuer_keys(iss)->master_pk, OBOL_SIGN_PK_LEN);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", obol_issuer_port(iss));
	REQUIRE_OK(obol_http_client_new(url, 0, &c));

	/* a million certificates ended over the past year and a half, and two
	 * that must not be listed: one expired, one live */
	struct bulk old = { MILLION, 0, now - 400 * 86400, 30, now + 86400, 0 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_ended, &old));
	REQUIRE_OK(store_test_ledger_tx(db_url, analyze, NULL));
	struct bulk expired = { 1, 5 * MILLION, now - 86400, 1, now - 1, 0 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_ended, &expired));
	struct bulk live = { 1, 6 * MILLION, now - 86400, 1, now + 86400, PAYWORD_CERT_LIVE };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_ended, &live));

	/* a vendor whose list is a year old gets the whole list, in pages */
	held.issued = now - 365 * 86400;
	payword_crl_fetch_begin(&f, &held, true, full_at, now);
	CHECK_EQ_INT(f.since, 0);
	/* one run follows at most its pages, and the fetch resumes where it
	 * stopped: a list of any length (or an agent that never ends it) holds
	 * a refresh for max_pages requests */
	struct payword_crl_loop three = { .max_pages = 3 }, rest = { .max_pages = PAYWORD_CRL_PAGES_PER_REFRESH };
	CHECK_OK(payword_vendor_crl_fetch(c, agent_pk, &f, &three));
	CHECK_EQ_INT(three.pages, 3);
	CHECK(!f.done && f.count == 3 * PAYWORD_CRL_PAGE_MAX);
	CHECK_ERR(payword_crl_fetch_apply(&f, &held, &full_at), OBOL_E_PAYWORD_CRL_INVALID);
	CHECK_OK(payword_vendor_crl_fetch(c, agent_pk, &f, &rest));
	CHECK(f.done && rest.pages == (MILLION + PAYWORD_CRL_PAGE_MAX - 1) / PAYWORD_CRL_PAGE_MAX - 3);
	CHECK_OK(payword_crl_fetch_apply(&f, &held, &full_at));
	payword_crl_fetch_free(&f);
	CHECK_EQ_INT(held.count, MILLION);
	CHECK(payword_crl_contains(&held, 1) && payword_crl_contains(&held, MILLION));
	CHECK(!payword_crl_contains(&held, 5 * MILLION + 1) && !payword_crl_contains(&held, 6 * MILLION + 1));
	CHECK(full_at >= now);
	/* a full page stays inside one body */
	size_t full_page = test_http_body_bytes(c, "/payword/crl/page");
	CHECK(full_page > 0 && full_page < OBOL_JSON_MAX);

	/* a hundred more end now: the next refresh is a delta of one small page */
	struct bulk recent = { 100, 2 * MILLION, obol_now() - 150, 1, now + 86400, 0 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_ended, &recent));
	payword_crl_fetch_begin(&f, &held, true, full_at, obol_now());
	CHECK(f.since > 0);
	snprintf(target, sizeof(target), "/payword/crl/page?since=%lld", (long long)f.since);
	size_t delta = test_http_body_bytes(c, target);
	CHECK(delta > 0 && delta < 4096);
	struct payword_crl_loop one = { .max_pages = PAYWORD_CRL_PAGES_PER_REFRESH };
	CHECK_OK(payword_vendor_crl_fetch(c, agent_pk, &f, &one));
	CHECK_EQ_INT(one.pages, 1);
	CHECK_EQ_INT(f.count, 100);
	CHECK_OK(payword_crl_fetch_apply(&f, &held, &full_at));
	payword_crl_fetch_free(&f);
	CHECK_EQ_INT(held.count, MILLION + 100);
	CHECK(payword_crl_contains(&held, 2 * MILLION + 100));

	/* the daemon's refresh, ten pages a time: a vendor with no list
	 * resumes the whole list over four refreshes and holds it only once it
	 * is complete; a fetch resumed past max_age is begun again */
	{
		pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
		struct payword_crl fresh = { 0 };
		struct payword_crl_refresh r = { 0 };
		bool has = false;
		int64_t at = 0, t = obol_now();
		struct payword_crl_refresh_req q = { .c = c, .agent_pk = agent_pk, .max_age = 60, .now = t,
						     .max_pages = 10, .mu = &mu, .held = &fresh, .has = &has,
						     .full_at = &at };
		CHECK_OK(payword_vendor_crl_refresh(&r, &q));
		CHECK(r.resuming && !has && r.pending.count == 10 * PAYWORD_CRL_PAGE_MAX);
		/* too old to finish: begun again, from the first page */
		q.now = t + 61;
		CHECK_OK(payword_vendor_crl_refresh(&r, &q));
		CHECK(r.resuming && !has && r.pending.count == 10 * PAYWORD_CRL_PAGE_MAX && r.begun == t + 61);
		for (int i = 0; i < 3 && !has; i++)
			CHECK_OK(payword_vendor_crl_refresh(&r, &q));
		CHECK(has && !r.resuming);
		CHECK_EQ_INT(fresh.count, held.count);
		CHECK(payword_crl_contains(&fresh, 2 * MILLION + 100) && at > 0);
		payword_crl_refresh_free(&r);
		free(fresh.serials);
	}

	/* a bad question is a named error for that caller */
	json_t *j = NULL;
	CHECK_ERR(obol_http_get_json(c, "/payword/crl/page?after=x", 0, &j), OBOL_E_INVALID_ARGUMENT);
	json_decref(j);
	free(held.serials);
	obol_http_client_free(c);
	obol_issuer_stop(iss);
}
