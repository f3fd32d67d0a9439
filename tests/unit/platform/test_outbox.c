/* The vendor outbox: retries until a definitive answer, survives a reopen,
 * waits out a network failure, records a refusal, and its worker thread. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "core/clock.h"
#include "net/http_server.h"
#include "vendor/outbox.h"

static int hits;
static int fail_first; /* answers STORE_BUSY (503) this many times, then OK */

static obol_err settle(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
		       struct obol_http_reply *rep)
{
	(void)app;
	(void)route;
	hits++;
	if (req->auth == NULL)
		return OBOL_E_AUTH_FAILED;
	if (hits <= fail_first)
		return OBOL_E_STORE_BUSY;
	rep->body = json_pack("{s:O}", "echo", json_object_get(req->json, "request_id"));
	return OBOL_OK;
}

static obol_err refuse(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
		       struct obol_http_reply *rep)
{
	(void)app;
	(void)route;
	(void)req;
	(void)rep;
	hits++;
	return OBOL_E_LEDGER_INSUFFICIENT_FUNDS;
}

static struct obol_http_route r_settle = { .method = "POST", .path = "/settle", .json_body = true, .handler = settle };
static struct obol_http_route r_refuse = { .method = "POST", .path = "/refuse", .json_body = true, .handler = refuse };

struct ctx {
	struct obol_store *s;
	char url[64];
	int done_calls;
	obol_err done_result;
	char done_echo[64];
};

static obol_err h_run(void *c, obol_err (*fn)(struct obol_store *s, void *arg), void *arg)
{
	return obol_store_transact(((struct ctx *)c)->s, fn, arg);
}

static obol_err h_client(void *c, struct obol_http_client **out)
{
	struct obol_sign_keypair kp;
	obol_err e = obol_http_client_new(((struct ctx *)c)->url, 2000, out);
	obol_sign_keypair_new(&kp);
	if (e == OBOL_OK)
		obol_http_client_set_account(*out, 1, kp.sk);
	return e;
}

static obol_err h_done(void *c, struct obol_store *s, const struct obol_outbox_row *row, obol_err result,
		       const json_t *reply)
{
	struct ctx *x = c;
	(void)s;
	(void)row;
	x->done_calls++;
	x->done_result = result;
	const char *echo = json_string_value(json_object_get(reply, "echo"));
	snprintf(x->done_echo, sizeof x->done_echo, "%s", echo != NULL ? echo : "");
	return OBOL_OK;
}

static struct obol_http_server *server(struct obol_http_router *r, struct ctx *x)
{
	struct obol_http_server *srv = NULL;
	obol_http_router_add(r, &r_settle);
	obol_http_router_add(r, &r_refuse);
	struct obol_http_server_config cfg = { .listen = "127.0.0.1:0" };
	if (obol_http_server_start(&cfg, r, NULL, &srv) != OBOL_OK)
		return NULL;
	snprintf(x->url, sizeof x->url, "http://127.0.0.1:%u", obol_http_server_port(srv));
	return srv;
}

struct enq {
	const char *endpoint;
	const char *rid;
	int64_t id;
};

static obol_err enqueue(struct obol_store *s, void *arg)
{
	struct enq *q = arg;
	json_t *body = json_pack("{s:s}", "request_id", q->rid);
	obol_err e = obol_outbox_enqueue(s, "coupon", "settle", q->endpoint, body, 0, &q->id);
	json_decref(body);
	return e;
}

struct look {
	int64_t id;
	struct obol_outbox_row row;
};

static obol_err look(struct obol_store *s, void *arg)
{
	struct look *l = arg;
	obol_outbox_row_free(&l->row);
	return obol_outbox_get(s, l->id, &l->row);
}

/* Creates the database at db_url with the outbox tables and enqueues q. */
static void open_with_row(const char *db_url, struct ctx *x, struct enq *q)
{
	REQUIRE_OK(obol_store_open(db_url, true, &x->s));
	REQUIRE_OK(obol_outbox_migrate(x->s));
	REQUIRE_OK(obol_store_transact(x->s, enqueue, q));
}

TEST_DB(outbox, retries_until_a_definitive_answer)
{
	struct ctx x = { 0 };
	struct obol_http_router r = { 0 };
	struct obol_http_server *srv = server(&r, &x);
	struct obol_outbox_hooks hooks = { .ctx = &x, .run = h_run, .client = h_client, .done = h_done };
	struct enq q = { .endpoint = "/settle", .rid = "rq-1" };
	struct look l = { 0 };
	int sent;
	REQUIRE(srv != NULL);
	open_with_row(db_url, &x, &q);
	hits = 0;
	fail_first = 2;
	int64_t now = obol_now();

	REQUIRE_OK(obol_outbox_pass(&hooks, now, &sent));
	CHECK_EQ_INT(sent, 0);
	CHECK_EQ_INT(hits, 1);
	l.id = q.id;
	REQUIRE_OK(obol_store_transact(x.s, look, &l));
	CHECK_EQ_INT(l.row.state, OBOL_OUTBOX_PENDING);
	CHECK_EQ_INT(l.row.attempts, 1);
	CHECK_EQ_INT(l.row.last_error, OBOL_E_STORE_BUSY);
	CHECK_EQ_INT(l.row.not_before, now + 1);
	CHECK_EQ_STR(l.row.endpoint, "/settle");
	CHECK_EQ_STR(l.row.body, "{\"request_id\":\"rq-1\"}");
	/* Not due yet: nothing is sent. */
	REQUIRE_OK(obol_outbox_pass(&hooks, now, &sent));
	CHECK_EQ_INT(hits, 1);
	/* The backoff doubles. */
	REQUIRE_OK(obol_outbox_pass(&hooks, now + 1, &sent));
	CHECK_EQ_INT(hits, 2);
	REQUIRE_OK(obol_store_transact(x.s, look, &l));
	CHECK_EQ_INT(l.row.not_before, now + 1 + 2);
	REQUIRE_OK(obol_outbox_pass(&hooks, now + 3, &sent));
	CHECK_EQ_INT(sent, 1);
	CHECK_EQ_INT(hits, 3);
	CHECK_EQ_INT(x.done_calls, 1);
	CHECK_ERR(x.done_result, OBOL_OK);
	CHECK_EQ_STR(x.done_echo, "rq-1");
	REQUIRE_OK(obol_store_transact(x.s, look, &l));
	CHECK_EQ_INT(l.row.state, OBOL_OUTBOX_DONE);
	/* Done rows are never sent again. */
	REQUIRE_OK(obol_outbox_pass(&hooks, now + 1000, &sent));
	CHECK_EQ_INT(hits, 3);
	CHECK_EQ_INT(x.done_calls, 1);
	obol_outbox_row_free(&l.row);
	obol_store_close(x.s);
	obol_http_server_stop(srv);
}

TEST_DB(outbox, survives_reopen_and_network_failure)
{
	struct ctx x = { 0 };
	struct obol_http_router r = { 0 };
	struct obol_outbox_hooks hooks = { .ctx = &x, .run = h_run, .client = h_client, .done = h_done };
	struct enq q = { .endpoint = "/settle", .rid = "rq-2" };
	struct look l = { 0 };
	int64_t n = 0;
	int sent;
	open_with_row(db_url, &x, &q);
	obol_store_close(x.s);

	/* The issuer is down: the row waits. */
	REQUIRE_OK(obol_store_open(db_url, false, &x.s));
	snprintf(x.url, sizeof x.url, "http://127.0.0.1:1");
	int64_t now = obol_now();
	REQUIRE_OK(obol_outbox_pass(&hooks, now, &sent));
	CHECK_EQ_INT(sent, 0);
	l.id = q.id;
	REQUIRE_OK(obol_store_transact(x.s, look, &l));
	CHECK_EQ_INT(l.row.state, OBOL_OUTBOX_PENDING);
	CHECK_EQ_INT(l.row.last_error, OBOL_E_NETWORK);
	obol_store_close(x.s);

	/* After a restart, it is delivered. */
	struct obol_http_server *srv = server(&r, &x);
	REQUIRE(srv != NULL);
	REQUIRE_OK(obol_store_open(db_url, false, &x.s));
	REQUIRE_OK(obol_outbox_migrate(x.s));
	hits = 0;
	fail_first = 0;
	REQUIRE_OK(obol_outbox_pass(&hooks, now + 60, &sent));
	CHECK_EQ_INT(sent, 1);
	CHECK_EQ_INT(x.done_calls, 1);
	REQUIRE_OK(obol_outbox_count(x.s, NULL, OBOL_OUTBOX_PENDING, &n));
	CHECK_EQ_INT(n, 0);
	REQUIRE_OK(obol_outbox_count(x.s, "coupon", OBOL_OUTBOX_DONE, &n));
	CHECK_EQ_INT(n, 1);
	obol_outbox_row_free(&l.row);
	obol_store_close(x.s);
	obol_http_server_stop(srv);
}

TEST_DB(outbox, refusal_is_definitive)
{
	struct ctx x = { 0 };
	struct obol_http_router r = { 0 };
	struct obol_http_server *srv = server(&r, &x);
	struct obol_outbox_hooks hooks = { .ctx = &x, .run = h_run, .client = h_client, .done = h_done };
	struct enq q = { .endpoint = "/refuse", .rid = "rq-3" };
	struct look l = { 0 };
	int sent;
	REQUIRE(srv != NULL);
	open_with_row(db_url, &x, &q);
	hits = 0;
	REQUIRE_OK(obol_outbox_pass(&hooks, obol_now(), &sent));
	CHECK_EQ_INT(sent, 1);
	CHECK_EQ_INT(x.done_calls, 1);
	CHECK_ERR(x.done_result, OBOL_E_LEDGER_INSUFFICIENT_FUNDS);
	l.id = q.id;
	REQUIRE_OK(obol_store_transact(x.s, look, &l));
	CHECK_EQ_INT(l.row.state, OBOL_OUTBOX_FAILED);
	CHECK_EQ_INT(l.row.last_error, OBOL_E_LEDGER_INSUFFICIENT_FUNDS);
	REQUIRE_OK(obol_outbox_pass(&hooks, obol_now() + 1000, &sent));
	CHECK_EQ_INT(hits, 1);
	obol_outbox_row_free(&l.row);
	obol_store_close(x.s);
	obol_http_server_stop(srv);
}

struct count {
	int64_t n;
};

static obol_err count_done(struct obol_store *s, void *arg)
{
	return obol_outbox_count(s, NULL, OBOL_OUTBOX_DONE, &((struct count *)arg)->n);
}

TEST(outbox, worker_thread)
{
	struct ctx x = { 0 };
	struct obol_http_router r = { 0 };
	struct obol_http_server *srv = server(&r, &x);
	struct obol_outbox_hooks hooks = { .ctx = &x, .run = h_run, .client = h_client, .done = h_done };
	struct obol_outbox *ob = NULL;
	struct enq q = { .endpoint = "/settle", .rid = "rq-4" };
	struct count c = { 0 };
	REQUIRE(srv != NULL);
	REQUIRE_OK(obol_store_open(test_db_url_new("ob"), true, &x.s));
	REQUIRE_OK(obol_outbox_migrate(x.s));
	hits = 0;
	fail_first = 0;
	/* The hooks run on the worker's thread and this one in turn; the
	 * store is only touched by one at a time here: the worker starts after
	 * the enqueue and is stopped before the count. */
	REQUIRE_OK(obol_store_transact(x.s, enqueue, &q));
	REQUIRE_OK(obol_outbox_start(&hooks, 50, &ob));
	obol_outbox_kick(ob);
	for (int i = 0; i < 200 && x.done_calls == 0; i++) {
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	obol_outbox_stop(ob);
	REQUIRE_OK(obol_store_transact(x.s, count_done, &c));
	CHECK_EQ_INT(c.n, 1);
	CHECK_EQ_INT(x.done_calls, 1);
	obol_store_close(x.s);
	obol_http_server_stop(srv);
}
