/* Issue 16, item 5: a retry of an idempotent request gets exactly the bytes
 * of the first answer (docs/protocol.md, "Idempotency"), on both backends,
 * across a restart of the issuer: for POST /account/payout (keyed by its
 * request id), and for a route of this test binary that answers an object
 * whose keys are not in sorted order, with text that JSON can write in more
 * than one way, keyed by its request id or by its content. The answer kept
 * used to be the object re-encoded with its keys sorted, so a retry got
 * other bytes than the first answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "abuse.h"
#include "net/http_client.h"

static int calls;

static obol_err odd_unit(struct obol_store *s, void *arg, json_t **reply)
{
	(void)s;
	(void)arg;
	calls++;
	/* Keys in an order of their own; a number that changes per run, so a
	 * reply made again would differ; text with a slash, non-ASCII letters
	 * and a control character. */
	*reply = json_pack("{s:i, s:s, s:s, s:i}", "zeta", 1, "alpha", "a/b \xc3\xa9t\xc3\xa9 \x01", "mid", "m",
			   "run", calls);
	return *reply != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err post_odd(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	const char *rid = json_string_value(json_object_get(req->json, "request_id"));
	return obol_issuer_run_idem(iss, req, 0, rid, odd_unit, NULL, rep);
}
OBOL_ROUTE(idem_odd_route, "POST", "/test/idem/odd", post_odd)

/* POSTs body to path (signed by alice when auth) and returns the status and
 * the reply's bytes. */
static char *post(const struct abuse_issuer *a, const char *path, const char *body, bool auth, long *status)
{
	struct obol_http_client *c = NULL;
	char *resp = NULL;
	size_t len;
	*status = 0;
	if (obol_http_client_new(a->url, 5000, &c) != OBOL_OK)
		return NULL;
	obol_http_client_set_account(c, a->alice, a->alice_kp.sk);
	if (obol_http_request(c, "POST", path, body, strlen(body), auth ? OBOL_HTTP_AUTH : 0, status, &resp, &len) !=
	    OBOL_OK)
		resp = NULL;
	obol_http_client_free(c);
	return resp;
}

/* The same request three times (the third after a restart of the issuer):
 * three times the same bytes. */
static void same_bytes_thrice(const char *db_url, const char *path, const char *body, bool auth)
{
	struct abuse_issuer a;
	struct obol_issuer_config cfg = { 0 };
	long s1, s2, s3;
	REQUIRE(abuse_issuer_start(db_url, &cfg, &a));
	char *first = post(&a, path, body, auth, &s1);
	char *second = post(&a, path, body, auth, &s2);
	obol_issuer_stop(a.iss);
	REQUIRE_OK(obol_issuer_start(&cfg, &a.iss));
	a.port = obol_issuer_port(a.iss);
	snprintf(a.url, sizeof a.url, "http://127.0.0.1:%u", a.port);
	char *third = post(&a, path, body, auth, &s3);
	REQUIRE(first != NULL && second != NULL && third != NULL);
	test_note("%s %s: %s", test_backend(), path, first);
	CHECK_EQ_INT(s1, 200);
	CHECK_EQ_INT(s2, 200);
	CHECK_EQ_INT(s3, 200);
	CHECK_EQ_STR(second, first);
	CHECK_EQ_STR(third, first);
	free(first);
	free(second);
	free(third);
	abuse_issuer_stop(&a);
}

TEST_DB(idempotency, payout_retry_gets_the_first_bytes)
{
	same_bytes_thrice(db_url, "/account/payout", "{\"request_id\":\"pay-1\",\"amount\":\"EUR:1.5\"}", true);
}

TEST_DB(idempotency, retry_by_id_gets_the_first_bytes)
{
	calls = 0;
	same_bytes_thrice(db_url, "/test/idem/odd", "{\"request_id\":\"odd-1\"}", false);
	CHECK_EQ_INT(calls, 1);
}

TEST_DB(idempotency, retry_by_content_gets_the_first_bytes)
{
	calls = 0;
	same_bytes_thrice(db_url, "/test/idem/odd", "{\"any\":\"thing\"}", false);
	CHECK_EQ_INT(calls, 1);
}
