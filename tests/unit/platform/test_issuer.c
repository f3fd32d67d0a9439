/* The issuer daemon in process: GET /keys verified against the stored master
 * key, request authentication, idempotent units through a route that lives
 * only in this test binary, vendor certificates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "core/clock.h"
#include "issuer/issuer.h"
#include "issuer/vendors.h"
#include "net/http_client.h"
#include "schemes/common/keys_doc.h"
#include "store/ledger.h"
#include "vendor/renew.h"
#include "wire/json.h"

/* POST /test/fund {"request_id", "amount"}: authenticated, idempotent; funds
 * the caller's account and answers its balance and a fresh random number (so
 * a replayed answer is told apart from a recomputed one). */
struct fund {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	struct obol_amount amount;
	int64_t account;
};

static obol_err fund_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct fund *f = arg;
	struct obol_amount bal;
	char text[OBOL_AMOUNT_STR_MAX];
	obol_err e = obol_ledger_fund(s, f->account, &f->amount, "test");
	if (e == OBOL_OK)
		e = obol_ledger_balance(s, f->account, &bal);
	if (e != OBOL_OK)
		return e;
	obol_amount_format(&bal, text);
	*reply = json_pack("{s:s, s:I}", "balance", text, "nonce", (json_int_t)(rand() & 0x7fffffff));
	return *reply != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err post_test_fund(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct fund f = { .iss = iss, .req = req };
	obol_err e = obol_issuer_authenticate(iss, NULL, req, &acc);
	if (e != OBOL_OK)
		return e;
	f.account = acc.id;
	const char *amt = json_string_value(json_object_get(req->json, "amount"));
	const char *rid = json_string_value(json_object_get(req->json, "request_id"));
	if (amt == NULL || (e = obol_amount_parse(amt, &f.amount)) != OBOL_OK)
		return OBOL_E_WIRE_MISSING_FIELD;
	return obol_issuer_run_idem(iss, req, acc.id, rid, fund_unit, &f, rep);
}
OBOL_ROUTE(test_fund_route, "POST", "/test/fund", post_test_fund)

struct setup {
	struct obol_issuer *iss;
	struct obol_http_client *c;
	uint8_t master_pk[32];
	int64_t alice;
	struct obol_sign_keypair alice_kp;
};

static obol_err add_alice(struct obol_store *s, void *arg)
{
	struct setup *st = arg;
	return obol_account_create(s, OBOL_ACCOUNT_USER, "alice", st->alice_kp.pk, &st->alice);
}

static bool setup(const char *db_url, struct setup *st)
{
	struct obol_store *s = NULL;
	struct obol_issuer_keys k;
	char url[64];
	FILE *devnull = fopen("/dev/null", "w");
	memset(st, 0, sizeof *st);
	obol_err e = obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull);
	fclose(devnull);
	if (e != OBOL_OK)
		return false;
	if (obol_store_open(db_url, false, &s) != OBOL_OK || obol_issuer_keys_load(s, &k) != OBOL_OK)
		return false;
	memcpy(st->master_pk, k.master_pk, 32);
	obol_issuer_keys_wipe(&k);
	obol_store_close(s);
	struct obol_issuer_config cfg = { .db_url = db_url, .listen = "127.0.0.1:0", .threads = 4, .readers = 2 };
	if (obol_issuer_start(&cfg, &st->iss) != OBOL_OK)
		return false;
	obol_sign_keypair_new(&st->alice_kp);
	if (obol_issuer_run(st->iss, add_alice, st) != OBOL_OK)
		return false;
	snprintf(url, sizeof url, "http://127.0.0.1:%u", obol_issuer_port(st->iss));
	return obol_http_client_new(url, 5000, &st->c) == OBOL_OK;
}

static void teardown(struct setup *st)
{
	obol_http_client_free(st->c);
	obol_issuer_stop(st->iss);
}

TEST_DB(issuer, keys_document_verifies_under_the_master_key)
{
	struct setup st;
	long status;
	char *text = NULL, cur[OBOL_CURRENCY_MAX + 1];
	size_t len;
	json_t *keys = NULL;
	uint8_t other[32];
	REQUIRE(setup(db_url, &st));
	REQUIRE_OK(obol_http_request(st.c, "GET", "/keys", NULL, 0, 0, &status, &text, &len));
	CHECK_EQ_INT(status, 200);
	CHECK_OK(obol_keys_doc_verify(text, len, st.master_pk, &keys, NULL, NULL, cur));
	CHECK_EQ_STR(cur, "EUR");
	json_decref(keys);
	/* Another pin, or one changed byte of the document, is refused. */
	memcpy(other, st.master_pk, 32);
	other[0] ^= 1;
	CHECK_ERR(obol_keys_doc_verify(text, len, other, &keys, NULL, NULL, NULL), OBOL_E_KEYS_INVALID);
	char *p = strstr(text, "\"EUR\"");
	REQUIRE(p != NULL);
	p[1] = 'X';
	CHECK_ERR(obol_keys_doc_verify(text, len, st.master_pk, &keys, NULL, NULL, NULL), OBOL_E_KEYS_INVALID);
	free(text);
	/* init twice is refused. */
	FILE *devnull = fopen("/dev/null", "w");
	CHECK_ERR(obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull), OBOL_E_ALREADY_INITIALISED);
	fclose(devnull);
	teardown(&st);
}

TEST_DB(issuer, authentication)
{
	struct setup st;
	struct obol_sign_keypair mallory;
	json_t *rep = NULL;
	REQUIRE(setup(db_url, &st));
	/* No key set: refused. */
	CHECK_ERR(obol_http_get_json(st.c, "/account", 0, &rep), OBOL_E_AUTH_FAILED);
	/* Someone else's key under alice's id: refused. */
	obol_sign_keypair_new(&mallory);
	obol_http_client_set_account(st.c, st.alice, mallory.sk);
	CHECK_ERR(obol_http_get_json(st.c, "/account", OBOL_HTTP_AUTH, &rep), OBOL_E_AUTH_FAILED);
	/* An id that does not exist: the same answer. */
	obol_http_client_set_account(st.c, 9999, st.alice_kp.sk);
	CHECK_ERR(obol_http_get_json(st.c, "/account", OBOL_HTTP_AUTH, &rep), OBOL_E_AUTH_FAILED);
	obol_http_client_set_account(st.c, st.alice, st.alice_kp.sk);
	REQUIRE_OK(obol_http_get_json(st.c, "/account", OBOL_HTTP_AUTH, &rep));
	CHECK_EQ_STR(json_string_value(json_object_get(rep, "name")), "alice");
	CHECK_EQ_STR(json_string_value(json_object_get(rep, "balance")), "EUR:0");
	json_decref(rep);
	teardown(&st);
}

/* The signed-in account's balance as GET /account gives it ("?" on error). */
static const char *balance_of(struct setup *st)
{
	static char buf[OBOL_AMOUNT_STR_MAX];
	json_t *rep = NULL;
	const char *b;
	snprintf(buf, sizeof(buf), "?");
	if (obol_http_get_json(st->c, "/account", OBOL_HTTP_AUTH, &rep) == OBOL_OK &&
	    (b = json_string_value(json_object_get(rep, "balance"))) != NULL)
		snprintf(buf, sizeof(buf), "%s", b);
	json_decref(rep);
	return buf;
}

TEST_DB(issuer, idempotent_retry_moves_once)
{
	struct setup st;
	json_t *req = json_pack("{s:s, s:s}", "request_id", "r-1", "amount", "EUR:2"), *a = NULL, *b = NULL, *c = NULL;
	REQUIRE(setup(db_url, &st));
	obol_http_client_set_account(st.c, st.alice, st.alice_kp.sk);
	REQUIRE_OK(obol_http_post_json(st.c, "/test/fund", req, OBOL_HTTP_AUTH, &a));
	REQUIRE_OK(obol_http_post_json(st.c, "/test/fund", req, OBOL_HTTP_AUTH, &b));
	/* The same answer, byte for byte: the stored one, not a second run. */
	CHECK(json_equal(a, b));
	CHECK_EQ_STR(json_string_value(json_object_get(b, "balance")), "EUR:2");
	/* The same id with another body. */
	json_object_set_new(req, "amount", json_string("EUR:3"));
	CHECK_ERR(obol_http_post_json(st.c, "/test/fund", req, OBOL_HTTP_AUTH, &c), OBOL_E_IDEMPOTENCY_MISMATCH);
	CHECK_EQ_STR(balance_of(&st), "EUR:2");
	/* A new id runs again. */
	json_object_set_new(req, "request_id", json_string("r-2"));
	REQUIRE_OK(obol_http_post_json(st.c, "/test/fund", req, OBOL_HTTP_AUTH, &c));
	CHECK_EQ_STR(json_string_value(json_object_get(c, "balance")), "EUR:5");
	/* An id that is not printable is refused and moves nothing. */
	json_decref(c);
	c = NULL;
	json_object_set_new(req, "request_id", json_string("bad id"));
	CHECK_ERR(obol_http_post_json(st.c, "/test/fund", req, OBOL_HTTP_AUTH, &c), OBOL_E_INVALID_ARGUMENT);
	CHECK_EQ_STR(balance_of(&st), "EUR:5");
	json_decref(a);
	json_decref(b);
	json_decref(req);
	teardown(&st);
}

struct vadd {
	const struct obol_issuer_keys *keys;
	struct obol_ed25519_signer sg;
	struct obol_sign_keypair v;
	struct obol_vendor_cert cert, again;
	obol_err check;
};

static obol_err vendor_unit(struct obol_store *s, void *arg)
{
	struct vadd *a = arg;
	obol_err e = obol_issuer_vendor_add(s, &a->sg, "kiosk", a->v.pk, NULL, 30, obol_now(), &a->cert);
	if (e == OBOL_OK)
		e = obol_issuer_vendor_cert_by_key(s, a->v.pk, &a->again);
	if (e == OBOL_OK)
		a->check = obol_issuer_vendor_check(s, a->keys, &a->cert, obol_now());
	return e;
}

TEST_DB(issuer, vendor_certificates)
{
	struct setup st;
	struct vadd a = { 0 };
	REQUIRE(setup(db_url, &st));
	a.keys = obol_issuer_keys(st.iss);
	REQUIRE_OK(obol_issuer_signer(st.iss, obol_now(), &a.sg));
	obol_sign_keypair_new(&a.v);
	int64_t before = obol_now();
	REQUIRE_OK(obol_issuer_run(st.iss, vendor_unit, &a));
	CHECK_OK(a.check);
	CHECK_MEM_EQ(a.cert.sig, a.again.sig, 64);
	CHECK_OK(obol_vendor_cert_verify(&a.cert, st.master_pk, obol_now()));
	/* A vendor or wallet whose clock runs a minute behind the issuer's
	 * takes the certificate at once (OBOL_VENDOR_CERT_BACKDATE_S). */
	CHECK_OK(obol_vendor_cert_verify(&a.cert, st.master_pk, before - 60));
	CHECK_ERR(obol_vendor_cert_verify(&a.cert, st.master_pk, a.cert.valid_until), OBOL_E_VENDOR_CERT_EXPIRED);
	/* Another key under the same vendor name is refused. */
	obol_sign_keypair_new(&a.v);
	CHECK_ERR(obol_issuer_run(st.iss, vendor_unit, &a), OBOL_E_LEDGER_NAME_TAKEN);
	teardown(&st);
}

/* Renewal asked by the vendor (obol_issuer_vendor_renew): a certificate for
 * the same account and keys, valid from now as long as the last one; the
 * same again within a day; none once the last one expired (the operator's
 * `issuer vendor add` is the way back). */
struct vrenew {
	struct obol_ed25519_signer sg;
	struct obol_sign_keypair v;
	struct obol_vendor_cert first, second, again, late, user_try;
	obol_err second_e, again_e, late_e, user_e;
	int64_t t0;
};

static obol_err renew_unit(struct obol_store *s, void *arg)
{
	struct vrenew *r = arg;
	struct obol_account acc, user;
	uint8_t box[32] = { 7 };
	obol_err e = obol_issuer_vendor_add(s, &r->sg, "stall", r->v.pk, box, 30, r->t0, &r->first);
	if (e != OBOL_OK || (e = obol_account_by_name(s, "stall", &acc)) != OBOL_OK ||
	    (e = obol_account_by_name(s, "alice", &user)) != OBOL_OK)
		return e;
	r->second_e = obol_issuer_vendor_renew(s, &r->sg, &acc, r->t0 + 25 * 86400, &r->second);
	r->again_e = obol_issuer_vendor_renew(s, &r->sg, &acc, r->t0 + 25 * 86400 + 3600, &r->again);
	r->late_e = obol_issuer_vendor_renew(s, &r->sg, &acc, r->second.valid_until, &r->late);
	r->user_e = obol_issuer_vendor_renew(s, &r->sg, &user, r->t0 + 25 * 86400, &r->user_try);
	return OBOL_OK;
}

TEST_DB(issuer, vendor_renews_its_certificate)
{
	struct setup st;
	struct vrenew r = { 0 };
	REQUIRE(setup(db_url, &st));
	r.t0 = obol_now();
	REQUIRE_OK(obol_issuer_signer(st.iss, r.t0, &r.sg));
	obol_sign_keypair_new(&r.v);
	REQUIRE_OK(obol_issuer_run(st.iss, renew_unit, &r));
	REQUIRE_OK(r.second_e);
	CHECK_EQ_INT(r.second.valid_from, r.t0 + 25 * 86400 - OBOL_VENDOR_CERT_BACKDATE_S);
	CHECK_EQ_INT(r.second.valid_until, r.t0 + 55 * 86400);
	/* The vendor checks the renewal against the time it sent the request,
	 * which the issuer's clock may have passed: it takes it all the same. */
	CHECK_OK(obol_vendor_renewal_check(&r.first, &r.second, st.master_pk, r.t0 + 25 * 86400 - 1));
	CHECK_EQ_INT(r.second.vendor_id, r.first.vendor_id);
	CHECK_EQ_INT(r.second.account, r.first.account);
	CHECK_MEM_EQ(r.second.sign_pk, r.first.sign_pk, 32);
	CHECK(r.second.has_box_pk);
	CHECK_MEM_EQ(r.second.box_pk, r.first.box_pk, 32);
	CHECK_EQ_STR(r.second.name, "stall");
	CHECK_OK(obol_vendor_cert_verify(&r.second, st.master_pk, r.t0 + 54 * 86400));
	/* an hour later: the same certificate, not a third */
	REQUIRE_OK(r.again_e);
	CHECK_MEM_EQ(r.again.sig, r.second.sig, 64);
	CHECK_ERR(r.late_e, OBOL_E_VENDOR_CERT_EXPIRED);
	CHECK_ERR(r.user_e, OBOL_E_VENDOR_UNKNOWN);
	teardown(&st);
}

/* POST /vendor/renew: authenticated as the vendor, answered once per request
 * id; an unauthenticated request is refused. */
TEST_DB(issuer, vendor_renew_route)
{
	struct setup st;
	struct vadd a = { 0 };
	struct obol_http_client *vc = NULL;
	struct obol_vendor_cert got;
	json_t *req = json_pack("{s:s}", "request_id", "renew-1"), *r1 = NULL, *r2 = NULL, *r3 = NULL;
	char url[64];
	REQUIRE(setup(db_url, &st));
	a.keys = obol_issuer_keys(st.iss);
	REQUIRE_OK(obol_issuer_signer(st.iss, obol_now(), &a.sg));
	obol_sign_keypair_new(&a.v);
	REQUIRE_OK(obol_issuer_run(st.iss, vendor_unit, &a));
	snprintf(url, sizeof url, "http://127.0.0.1:%u", obol_issuer_port(st.iss));
	REQUIRE_OK(obol_http_client_new(url, 5000, &vc));
	CHECK_ERR(obol_http_post_json(vc, "/vendor/renew", req, 0, &r1), OBOL_E_AUTH_FAILED);
	obol_http_client_set_account(vc, (int64_t)a.cert.vendor_id, a.v.sk);
	REQUIRE_OK(obol_http_post_json(vc, "/vendor/renew", req, OBOL_HTTP_AUTH, &r1));
	REQUIRE_OK(obol_http_post_json(vc, "/vendor/renew", req, OBOL_HTTP_AUTH, &r2));
	CHECK(json_equal(r1, r2));
	REQUIRE_OK(obol_vendor_cert_from_text(json_string_value(json_object_get(r1, "cert")), &got));
	CHECK_OK(obol_vendor_cert_verify(&got, st.master_pk, obol_now()));
	CHECK_EQ_INT(got.vendor_id, a.cert.vendor_id);
	/* alice is no vendor */
	obol_http_client_set_account(vc, st.alice, st.alice_kp.sk);
	json_object_set_new(req, "request_id", json_string("renew-2"));
	CHECK_ERR(obol_http_post_json(vc, "/vendor/renew", req, OBOL_HTTP_AUTH, &r3), OBOL_E_VENDOR_UNKNOWN);
	json_decref(req);
	json_decref(r1);
	json_decref(r2);
	json_decref(r3);
	obol_http_client_free(vc);
	teardown(&st);
}
