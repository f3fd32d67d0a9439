/* The codex routes of the issuer daemon (src/issuer/codex_routes.c) over
 * HTTP: authentication, body checks with their named errors, idempotent
 * retries, and a stale state refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "net/http_client.h"
#include "schemes/codex/codex.h"
#include "store/ledger.h"
#include "../issuer_master.h"
#include "../test.h"

struct rt {
	struct obol_issuer *iss;
	struct obol_http_client *c, *anon;
	struct obol_sign_keypair kp;
	int64_t alice;
};

static obol_err add_alice(struct obol_store *s, void *arg)
{
	struct rt *r = arg;
	struct obol_amount a = { .units = 5000000000, .currency = "EUR" };
	obol_err e = obol_account_create(s, OBOL_ACCOUNT_USER, "alice", r->kp.pk, &r->alice);
	return e == OBOL_OK ? obol_ledger_fund(s, r->alice, &a, "t") : e;
}

static bool setup(const char *db_url, struct rt *r)
{
	char url[64];
	FILE *devnull = fopen("/dev/null", "w");
	struct obol_issuer_config cfg = { .db_url = db_url, .listen = "127.0.0.1:0", .threads = 2, .readers = 2 };
	memset(r, 0, sizeof(*r));
	obol_err e = obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull);
	fclose(devnull);
	if (e != OBOL_OK || obol_issuer_start(&cfg, &r->iss) != OBOL_OK)
		return false;
	obol_sign_keypair_new(&r->kp);
	if (obol_issuer_run(r->iss, add_alice, r) != OBOL_OK)
		return false;
	snprintf(url, sizeof url, "http://127.0.0.1:%u", obol_issuer_port(r->iss));
	if (obol_http_client_new(url, 5000, &r->c) != OBOL_OK || obol_http_client_new(url, 5000, &r->anon) != OBOL_OK)
		return false;
	obol_http_client_set_account(r->c, r->alice, r->kp.sk);
	return true;
}

static void teardown(struct rt *r)
{
	obol_http_client_free(r->c);
	obol_http_client_free(r->anon);
	obol_issuer_stop(r->iss);
	OBOL_WIPE(r->kp);
}

static obol_err post(struct rt *r, const char *path, const char *body, json_t **reply)
{
	json_error_t err;
	json_t *req = json_loads(body, 0, &err);
	obol_err e;
	if (!req)
		return OBOL_E_INTERNAL;
	e = obol_http_post_json(r->c, path, req, OBOL_HTTP_AUTH, reply);
	json_decref(req);
	return e;
}

static char *b64(const uint8_t *p, size_t n)
{
	char *t = malloc(OBOL_B64_LEN(n));
	if (t && obol_b64_encode(p, n, t, OBOL_B64_LEN(n)) != OBOL_OK) {
		free(t);
		t = NULL;
	}
	return t;
}

static int64_t account_units(struct rt *r)
{
	json_t *reply = NULL;
	struct obol_amount a = { .units = -1 };
	if (obol_http_get_json(r->c, "/account", OBOL_HTTP_AUTH, &reply) == OBOL_OK &&
	    obol_amount_parse(json_string_value(json_object_get(reply, "balance")), &a) != OBOL_OK)
		a.units = -1;
	json_decref(reply);
	return a.units;
}

TEST_DB(codex_routes, open_sync_refusals_and_retries)
{
	struct rt r;
	struct obol_box_keypair box;
	json_t *reply = NULL, *again = NULL, *req;
	char body[1024], *bpk, *st64;
	const char *state;
	REQUIRE(setup(db_url, &r));
	obol_box_keypair_new(&box);
	bpk = b64(box.pk, 32);
	REQUIRE(bpk);

	/* unauthenticated, malformed, and out-of-range bodies */
	req = json_pack("{s:s}", "box_pk", bpk);
	CHECK_ERR(obol_http_post_json(r.anon, "/codex/vendor", req, 0, NULL), OBOL_E_AUTH_FAILED);
	json_decref(req);
	snprintf(body, sizeof body, "{\"request_id\":\"o1\",\"box_pk\":\"AAAA\",\"amount\":\"EUR:10\",\"deposit\":\"EUR:5\"}");
	CHECK_ERR(post(&r, "/codex/open", body, NULL), OBOL_E_WIRE_BAD_LENGTH);
	snprintf(body, sizeof body, "{\"request_id\":\"o1\",\"box_pk\":\"%s\",\"amount\":\"EUR:10\",\"deposit\":\"EUR:0\"}", bpk);
	CHECK_ERR(post(&r, "/codex/open", body, NULL), OBOL_E_CODEX_DEPOSIT_INVALID);
	snprintf(body, sizeof body, "{\"request_id\":\"o1\",\"box_pk\":\"%s\",\"amount\":\"EUR:10\",\"deposit\":\"EUR:5\",\"x\":1}", bpk);
	CHECK_ERR(post(&r, "/codex/open", body, NULL), OBOL_E_WIRE_UNKNOWN_FIELD);
	snprintf(body, sizeof body, "{\"request_id\":\"o1\",\"box_pk\":\"%s\",\"amount\":\"EUR:10\",\"deposit\":\"EUR:5\"}", bpk);
	CHECK_EQ_INT(account_units(&r), 5000000000);
	/* a user account is not a vendor */
	req = json_pack("{s:s}", "box_pk", bpk);
	CHECK_ERR(obol_http_post_json(r.c, "/codex/vendor", req, OBOL_HTTP_AUTH, NULL), OBOL_E_CODEX_UNKNOWN_USER);
	json_decref(req);

	/* open, and the same request again: one debit, the same answer */
	REQUIRE_OK(post(&r, "/codex/open", body, &reply));
	REQUIRE_OK(post(&r, "/codex/open", body, &again));
	CHECK(json_equal(reply, again));
	CHECK_EQ_INT(account_units(&r), 3500000000);
	json_decref(again);
	again = NULL;
	state = json_string_value(json_object_get(reply, "state"));
	REQUIRE(state != NULL);
	st64 = strdup(state);

	/* sync: garbage state and entries are malformed; the real one renews */
	snprintf(body, sizeof body, "{\"request_id\":\"s1\",\"state\":\"AAAA\",\"entries\":[],\"balance\":\"EUR:10\"}");
	CHECK_ERR(post(&r, "/codex/sync", body, NULL), OBOL_E_CODEX_MALFORMED);
	snprintf(body, sizeof body, "{\"request_id\":\"s1\",\"state\":\"%s\",\"entries\":[\"AAAA\"],\"balance\":\"EUR:10\"}", st64);
	CHECK_ERR(post(&r, "/codex/sync", body, NULL), OBOL_E_CODEX_MALFORMED);
	snprintf(body, sizeof body, "{\"request_id\":\"s1\",\"state\":\"%s\",\"entries\":[],\"balance\":\"EUR:11\"}", st64);
	CHECK_ERR(post(&r, "/codex/sync", body, NULL), OBOL_E_CODEX_INCONSISTENT);
	snprintf(body, sizeof body, "{\"request_id\":\"s1\",\"state\":\"%s\",\"entries\":[],\"balance\":\"EUR:10\"}", st64);
	json_decref(reply);
	reply = NULL;
	REQUIRE_OK(post(&r, "/codex/sync", body, &reply));
	CHECK(json_is_true(json_object_get(reply, "renewed")));
	/* a lost reply: the same request id gets the same answer */
	REQUIRE_OK(post(&r, "/codex/sync", body, &again));
	CHECK(json_equal(reply, again));
	/* the old state again under a new request id: a rolled-back Codex */
	snprintf(body, sizeof body, "{\"request_id\":\"s2\",\"state\":\"%s\",\"entries\":[],\"balance\":\"EUR:10\"}", st64);
	CHECK_ERR(post(&r, "/codex/sync", body, NULL), OBOL_E_CODEX_STATE_STALE);
	/* a user cannot deposit as a vendor */
	CHECK_ERR(post(&r, "/codex/deposit", "{\"request_id\":\"d1\",\"tokens\":[]}", NULL), OBOL_E_CODEX_UNKNOWN_USER);
	json_decref(again);
	json_decref(reply);
	reply = NULL;
	REQUIRE_OK(obol_http_get_json(r.anon, "/codex/blacklist", 0, &reply));
	CHECK(json_is_string(json_object_get(reply, "blacklist")));
	json_decref(reply);
	free(st64);
	free(bpk);
	OBOL_WIPE(box);
	teardown(&r);
}

/* An issuer made with `issuer init --no-ceremony` starts with no online key,
 * so its first start could not sign the blacklist's version 0. Once the
 * ceremony is held while it serves, the blacklist is signed at the first
 * request that needs it: no restart (a Codex could neither open nor sync
 * before, and a vendor could fetch no page). */
TEST_DB(codex_routes, blacklist_signed_once_the_ceremony_is_held_while_serving)
{
	struct obol_issuer *iss = NULL;
	struct obol_http_client *c = NULL;
	struct obol_sign_keypair master;
	json_t *reply = NULL;
	char url[64];
	FILE *devnull = fopen("/dev/null", "w");
	struct obol_issuer_config cfg = { .db_url = db_url, .listen = "127.0.0.1:0", .threads = 2, .readers = 2 };
	REQUIRE_OK(obol_issuer_init_db_bare(db_url, "EUR", NULL, 0, test_master_keep, &master, devnull));
	fclose(devnull);
	REQUIRE_OK(obol_issuer_start(&cfg, &iss));
	snprintf(url, sizeof url, "http://127.0.0.1:%u", obol_issuer_port(iss));
	REQUIRE_OK(obol_http_client_new(url, 5000, &c));
	/* no online key: named, nothing made */
	CHECK_ERR(obol_http_get_json(c, "/codex/blacklist", 0, &reply), OBOL_E_KEY_ONLINE_MISSING);
	CHECK_ERR(obol_http_get_json(c, "/codex/blacklist/page", 0, &reply), OBOL_E_KEY_ONLINE_MISSING);
	/* the ceremony, held while the issuer runs */
	REQUIRE_OK(test_ceremony(db_url, &master));
	/* the issuer looks at its keys at most once a second (waited for up to
	 * 20 s: a loaded machine) */
	obol_err e = OBOL_E_KEY_ONLINE_MISSING;
	for (int i = 0; i < 400 && e == OBOL_E_KEY_ONLINE_MISSING; i++) {
		e = obol_http_get_json(c, "/codex/blacklist", 0, &reply);
		if (e == OBOL_E_KEY_ONLINE_MISSING)
			usleep(50000);
	}
	REQUIRE_OK(e);
	CHECK_EQ_INT(json_integer_value(json_object_get(reply, "version")), 0);
	json_decref(reply);
	reply = NULL;
	CHECK_OK(obol_http_get_json(c, "/codex/blacklist/page", 0, &reply));
	json_decref(reply);
	obol_http_client_free(c);
	obol_issuer_stop(iss);
	OBOL_WIPE(master);
}
