/* The HTTP server and client in one process on port 0, and the Obol-Auth header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "core/clock.h"
#include "crypto/hash.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "net/reqauth.h"
#include "wire/json.h"

static obol_err echo(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
		     struct obol_http_reply *rep)
{
	(void)app;
	(void)route;
	rep->body = json_pack("{s:O, s:s}", "got", req->json, "tail", req->tail);
	return OBOL_OK;
}

static obol_err broke(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
		      struct obol_http_reply *rep)
{
	(void)app;
	(void)route;
	(void)req;
	rep->body = json_object(); /* dropped: an error answers with the error body */
	obol_http_reply_detail(rep, "only %d left", 3);
	return OBOL_E_LEDGER_INSUFFICIENT_FUNDS;
}

static obol_err item(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
		     struct obol_http_reply *rep)
{
	(void)route;
	(void)app;
	const char *q = obol_http_req_query(req, "q");
	rep->body = json_pack("{s:s, s:s, s:s}", "route", "prefix", "tail", req->tail, "q", q != NULL ? q : "");
	return OBOL_OK;
}

static obol_err item_exact(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
			   struct obol_http_reply *rep)
{
	(void)app;
	(void)route;
	(void)req;
	rep->body = json_pack("{s:s}", "route", "exact");
	return OBOL_OK;
}

static struct obol_http_route r_echo = { .method = "POST", .path = "/echo", .json_body = true, .handler = echo };
static struct obol_http_route r_broke = { .method = "POST", .path = "/broke", .json_body = true, .handler = broke };
static struct obol_http_route r_item = { .method = "GET", .path = "/item/", .handler = item };
static struct obol_http_route r_exact = { .method = "GET", .path = "/item/special", .handler = item_exact };

static struct obol_http_server *serve(struct obol_http_router *r, struct obol_http_client **c)
{
	struct obol_http_server *srv = NULL;
	char url[64];
	obol_http_router_add(r, &r_echo);
	obol_http_router_add(r, &r_broke);
	obol_http_router_add(r, &r_item);
	obol_http_router_add(r, &r_exact);
	struct obol_http_server_config cfg = { .listen = "127.0.0.1:0" };
	if (obol_http_server_start(&cfg, r, NULL, &srv) != OBOL_OK)
		return NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%u", obol_http_server_port(srv));
	if (obol_http_client_new(url, 2000, c) != OBOL_OK) {
		obol_http_server_stop(srv);
		return NULL;
	}
	return srv;
}

TEST(http, json_round_trip_and_errors)
{
	struct obol_http_router r = { 0 };
	struct obol_http_client *c = NULL;
	struct obol_http_server *srv = serve(&r, &c);
	json_t *req = json_pack("{s:i}", "n", 5), *rep = NULL;
	REQUIRE(srv != NULL);
	CHECK(obol_http_server_port(srv) != 0);
	REQUIRE_OK(obol_http_post_json(c, "/echo", req, 0, &rep));
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(rep, "got"), "n")), 5);
	json_decref(rep);
	rep = NULL;
	/* The handler's error comes back as itself, through the error body. */
	CHECK_ERR(obol_http_post_json(c, "/broke", req, 0, &rep), OBOL_E_LEDGER_INSUFFICIENT_FUNDS);
	CHECK_ERR(obol_http_get_json(c, "/nowhere", 0, &rep), OBOL_E_HTTP_NOT_FOUND);
	CHECK_ERR(obol_http_get_json(c, "/echo", 0, &rep), OBOL_E_HTTP_METHOD);

	long status = 0;
	char *text = NULL;
	size_t len = 0;
	REQUIRE_OK(obol_http_request(c, "POST", "/broke", "{}", 2, 0, &status, &text, &len));
	CHECK_EQ_INT(status, 402);
	CHECK(strstr(text, "\"detail\":\"only 3 left\"") != NULL);
	CHECK(strstr(text, "\"name\":\"LEDGER_INSUFFICIENT_FUNDS\"") != NULL);
	free(text);
	json_decref(req);
	obol_http_client_free(c);
	obol_http_server_stop(srv);
}

TEST(http, body_limits_and_garbage)
{
	struct obol_http_router r = { 0 };
	struct obol_http_client *c = NULL;
	struct obol_http_server *srv = serve(&r, &c);
	long status = 0;
	char *text = NULL;
	size_t len = 0;
	REQUIRE(srv != NULL);

	size_t big = OBOL_JSON_MAX + 1;
	char *body = malloc(big);
	REQUIRE(body != NULL);
	memset(body, ' ', big);
	REQUIRE_OK(obol_http_request(c, "POST", "/echo", body, big, 0, &status, &text, &len));
	CHECK_EQ_INT(status, 413);
	CHECK_ERR(obol_json_error_from_body(text, len), OBOL_E_WIRE_OVERSIZED);
	free(text);
	text = NULL;
	/* Exactly at the limit is read (and then refused as not JSON). */
	REQUIRE_OK(obol_http_request(c, "POST", "/echo", body, OBOL_JSON_MAX, 0, &status, &text, &len));
	CHECK_EQ_INT(status, 400);
	CHECK_ERR(obol_json_error_from_body(text, len), OBOL_E_WIRE_MALFORMED);
	free(text);
	free(body);

	const char *bad[] = { "{", "[1]", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "", "nul\0l" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		text = NULL;
		REQUIRE_OK(obol_http_request(c, "POST", "/echo", bad[i], i == 5 ? 5 : strlen(bad[i]), 0, &status, &text,
					     &len));
		CHECK_EQ_INT(status, 400);
		CHECK_ERR(obol_json_error_from_body(text, len), OBOL_E_WIRE_MALFORMED);
		free(text);
	}
	obol_http_client_free(c);
	obol_http_server_stop(srv);
}

TEST(http, prefix_routes)
{
	struct obol_http_router r = { 0 };
	struct obol_http_client *c = NULL;
	struct obol_http_server *srv = serve(&r, &c);
	json_t *rep = NULL;
	REQUIRE(srv != NULL);
	REQUIRE_OK(obol_http_get_json(c, "/item/abc?q=1", 0, &rep));
	CHECK_EQ_STR(json_string_value(json_object_get(rep, "route")), "prefix");
	CHECK_EQ_STR(json_string_value(json_object_get(rep, "tail")), "abc");
	CHECK_EQ_STR(json_string_value(json_object_get(rep, "q")), "1");
	json_decref(rep);
	REQUIRE_OK(obol_http_get_json(c, "/item/special", 0, &rep));
	CHECK_EQ_STR(json_string_value(json_object_get(rep, "route")), "exact");
	json_decref(rep);
	/* The prefix alone is not a match: the id must not be empty. */
	CHECK_ERR(obol_http_get_json(c, "/item/", 0, &rep), OBOL_E_HTTP_NOT_FOUND);
	obol_http_client_free(c);
	obol_http_server_stop(srv);
}

TEST(http, client_network_failure)
{
	struct obol_http_client *c = NULL;
	json_t *rep = NULL;
	CHECK_ERR(obol_http_client_new("ftp://x", 0, &c), OBOL_E_INVALID_ARGUMENT);
	/* Port 1 on loopback: nobody listens. */
	REQUIRE_OK(obol_http_client_new("http://127.0.0.1:1", 500, &c));
	CHECK_ERR(obol_http_get_json(c, "/keys", 0, &rep), OBOL_E_NETWORK);
	obol_http_client_free(c);
	CHECK(obol_http_status_definitive(200));
	CHECK(obol_http_status_definitive(409));
	CHECK(!obol_http_status_definitive(503));
	CHECK(!obol_http_status_definitive(429));
}

TEST(reqauth, sign_parse_check)
{
	struct obol_sign_keypair kp, other;
	uint8_t bh[32], sig[OBOL_SIGN_LEN];
	char hdr[OBOL_AUTH_HEADER_MAX];
	int64_t acc, ts, now = obol_now();
	obol_sign_keypair_new(&kp);
	obol_sign_keypair_new(&other);
	obol_sha256(bh, "{}", 2);
	REQUIRE_OK(obol_reqauth_make(hdr, "POST", "/coupon/withdraw", bh, 12, now, kp.sk));
	REQUIRE_OK(obol_reqauth_parse(hdr, &acc, &ts, sig));
	CHECK_EQ_INT(acc, 12);
	CHECK_EQ_INT(ts, now);
	CHECK_OK(obol_reqauth_check("POST", "/coupon/withdraw", bh, acc, ts, sig, kp.pk, now));
	/* Every signed part matters. */
	CHECK_ERR(obol_reqauth_check("GET", "/coupon/withdraw", bh, acc, ts, sig, kp.pk, now), OBOL_E_AUTH_FAILED);
	CHECK_ERR(obol_reqauth_check("POST", "/coupon/settle", bh, acc, ts, sig, kp.pk, now), OBOL_E_AUTH_FAILED);
	CHECK_ERR(obol_reqauth_check("POST", "/coupon/withdraw", bh, 13, ts, sig, kp.pk, now), OBOL_E_AUTH_FAILED);
	uint8_t bh2[32];
	obol_sha256(bh2, "{ }", 3);
	CHECK_ERR(obol_reqauth_check("POST", "/coupon/withdraw", bh2, acc, ts, sig, kp.pk, now), OBOL_E_AUTH_FAILED);
	CHECK_ERR(obol_reqauth_check("POST", "/coupon/withdraw", bh, acc, ts, sig, other.pk, now), OBOL_E_AUTH_FAILED);
	/* The freshness window, both ways. */
	CHECK_ERR(obol_reqauth_check("POST", "/coupon/withdraw", bh, acc, ts, sig, kp.pk, now + OBOL_AUTH_WINDOW_S + 1),
		  OBOL_E_AUTH_FAILED);
	CHECK_ERR(obol_reqauth_check("POST", "/coupon/withdraw", bh, acc, ts, sig, kp.pk, now - OBOL_AUTH_WINDOW_S - 1),
		  OBOL_E_AUTH_FAILED);
	/* Malformed headers. */
	const char *bad[] = { "", "12", "12:34", "x:1:AAAA", "12:1:not base64!", "0:1:AAAA", "-1:5:AAAA" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_ERR(obol_reqauth_parse(bad[i], &acc, &ts, sig), OBOL_E_AUTH_FAILED);
	CHECK_ERR(obol_reqauth_parse(NULL, &acc, &ts, sig), OBOL_E_AUTH_FAILED);
}
