/* Issue 16, item 4: expensive work a request can ask for before it has paid
 * for anything is bounded. GET /ecash/revocations/page signs a page with the
 * bank's RSA key on every request, with no authentication: a crowd of such
 * GETs used to take every processor, as many signatures at once as there
 * were connections. Now they run in the issuer's RSA slots; beyond the
 * slots and the few that may wait, a request is refused at once with
 * ISSUER_BUSY, 503 and Retry-After, and the honest client keeps the rest of
 * the machine. (Password hashing is payword's own guard, PAYWORD_BUSY.) */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "abuse.h"
#include "issuer/work_gate.h"
#include "net/http_client.h"

struct signer_flood {
	const char *url;
	atomic_bool *stop;
	int ok, busy, other;
	double slowest_ms;
};

static void *flood(void *arg)
{
	struct signer_flood *f = arg;
	struct obol_http_client *c = NULL;
	if (obol_http_client_new(f->url, 30000, &c) != OBOL_OK)
		return NULL;
	while (!atomic_load(f->stop)) {
		long status = 0;
		char *resp = NULL;
		size_t len;
		double t0 = abuse_now_ms();
		obol_err e = obol_http_request(c, "GET", "/ecash/revocations/page", NULL, 0, 0, &status, &resp, &len);
		double ms = abuse_now_ms() - t0;
		if (ms > f->slowest_ms)
			f->slowest_ms = ms;
		if (e == OBOL_OK && status == 200)
			f->ok++;
		else if (e == OBOL_OK && status == 503 && strstr(resp, "\"ISSUER_BUSY\"") != NULL)
			f->busy++;
		else
			f->other++;
		free(resp);
	}
	obol_http_client_free(c);
	return NULL;
}

TEST(abuse, signing_flood_is_bounded)
{
	enum { FLOODERS = 16 };
	struct abuse_issuer a;
	struct obol_issuer_config cfg = { .rsa_slots = 1 };
	struct abuse_latency base, attack;
	struct signer_flood f[FLOODERS];
	pthread_t th[FLOODERS];
	atomic_bool stop = false;
	REQUIRE(abuse_issuer_start(test_db_url_new("issuer"), &cfg, &a));
	abuse_payouts(&a, 30, false, &base);
	for (int i = 0; i < FLOODERS; i++) {
		f[i] = (struct signer_flood){ .url = a.url, .stop = &stop };
		REQUIRE(pthread_create(&th[i], NULL, flood, &f[i]) == 0);
	}
	abuse_sleep_ms(300);
	abuse_payouts(&a, 30, false, &attack);
	atomic_store(&stop, true);
	int ok = 0, busy = 0, other = 0;
	double slowest = 0;
	for (int i = 0; i < FLOODERS; i++) {
		pthread_join(th[i], NULL);
		ok += f[i].ok;
		busy += f[i].busy;
		other += f[i].other;
		if (f[i].slowest_ms > slowest)
			slowest = f[i].slowest_ms;
	}
	struct obol_work_stats ws;
	obol_work_stats(obol_issuer_work_gate(a.iss), OBOL_WORK_RSA, &ws);
	test_note("%d clients asked for signed lists: %d signed, %d refused ISSUER_BUSY, %d other; the slowest answer "
		  "took %.0f ms; the gate: %u slot, %llu signed, %llu refused",
		  FLOODERS, ok, busy, other, slowest, ws.slots, ws.done, ws.refused);
	CHECK(ok > 0);
	CHECK(busy > 0); /* over the bound: refused, not queued */
	CHECK_EQ_INT(other, 0);
	CHECK(abuse_report("signing flood", &base, &attack, abuse_bound_ms(&base, ABUSE_FACTOR, ABUSE_FLOOR_MS)));
	abuse_issuer_stop(&a);
}

/* The refusal itself: every slot taken (here by the test), and as many
 * waiting as may wait: the next request is refused at once, with 503,
 * Retry-After and the named error. */
TEST(abuse, busy_refusal_names_itself)
{
	struct abuse_issuer a;
	struct obol_issuer_config cfg = { .rsa_slots = 2 };
	struct obol_http_client *c = NULL;
	json_t *out = NULL;
	REQUIRE(abuse_issuer_start(test_db_url_new("issuer"), &cfg, &a));
	struct obol_work_gate *g = obol_issuer_work_gate(a.iss);
	REQUIRE_OK(obol_work_enter(g, OBOL_WORK_RSA));
	REQUIRE_OK(obol_work_enter(g, OBOL_WORK_RSA));
	REQUIRE_OK(obol_http_client_new(a.url, 5000, &c));
	double t0 = abuse_now_ms();
	CHECK_ERR(obol_http_get_json(c, "/ecash/revocations/page", 0, &out), OBOL_E_ISSUER_BUSY);
	double waited = abuse_now_ms() - t0;
	test_note("refused after %.0f ms (it may wait %d ms for a slot)", waited, OBOL_WORK_WAIT_MS);
	CHECK(waited >= OBOL_WORK_WAIT_MS * 0.9);
	/* The header, seen on the raw answer. */
	static const char get[] = "GET /ecash/revocations/page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	bool closed;
	char *resp = abuse_exchange(a.port, get, strlen(get), &closed);
	CHECK(strncmp(resp, "HTTP/1.1 503 ", 13) == 0);
	CHECK(strstr(resp, "\r\nRetry-After: 1\r\n") != NULL);
	CHECK(strstr(resp, "\"name\":\"ISSUER_BUSY\"") != NULL);
	free(resp);
	/* A slot comes free: served again. */
	obol_work_leave(g, OBOL_WORK_RSA);
	CHECK_OK(obol_http_get_json(c, "/ecash/revocations/page", 0, &out));
	json_decref(out);
	obol_work_leave(g, OBOL_WORK_RSA);
	obol_http_client_free(c);
	abuse_issuer_stop(&a);
}
