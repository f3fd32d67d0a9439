/* The payword agent in a real issuer daemon on 127.0.0.1: registration,
 * purchase, download, reports, fraud, regeneration, with the audit holding
 * after each step (seed 003 §3.5; DESIGN §4, §7; issue 13 cases 3, 5-8). */
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/issuer.h"
#include "issuer/payword_issuer.h"
#include "net/http_client.h"
#include "pw_fixture.h"
#include "../store/store_test.h"
#include "schemes/payword/wire.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "vendor/payword_vendor.h"
#include "wire/json.h"

struct net {
	struct obol_issuer *iss;
	char url[64];
	struct obol_http_client *anon;
	uint8_t agent_pk[32];
	char db[256];
};

/* The CRL as a vendor reads it: every page of GET /payword/crl/page
 * through the vendor's own page loop, each verified under the agent's key. */
static obol_err crl_pages(struct obol_http_client *c, const uint8_t agent_pk[static OBOL_SIGN_PK_LEN],
			  struct payword_crl *out)
{
	struct payword_crl_fetch f;
	struct payword_crl_loop loop = { .max_pages = PAYWORD_CRL_PAGES_PER_REFRESH };
	int64_t full_at = 0;
	memset(&f, 0, sizeof(f));
	obol_err e = payword_vendor_crl_fetch(c, agent_pk, &f, &loop);
	if (e == OBOL_OK)
		e = payword_crl_fetch_apply(&f, out, &full_at);
	payword_crl_fetch_free(&f);
	return e;
}

static obol_err start(const char *db_url, struct net *n, const char *grace)
{
	struct obol_init_arg args[] = { { "payword-grace", grace } };
	struct obol_issuer_config cfg = { .db_url = db_url, .listen = "127.0.0.1:0", .threads = 4 };
	FILE *devnull = fopen("/dev/null", "w");
	obol_err e = obol_issuer_init_db(db_url, "EUR", args, 1, devnull);
	fclose(devnull);
	if (e == OBOL_OK)
		e = obol_issuer_start(&cfg, &n->iss);
	if (e)
		return e;
	memcpy(n->agent_pk, obol_issuer_keys(n->iss)->master_pk, 32);
	snprintf(n->db, sizeof n->db, "%s", db_url);
	snprintf(n->url, sizeof(n->url), "http://127.0.0.1:%u", obol_issuer_port(n->iss));
	return obol_http_client_new(n->url, 0, &n->anon);
}

static void stop(struct net *n)
{
	obol_http_client_free(n->anon);
	obol_issuer_stop(n->iss);
}

struct acct {
	const char *name;
	enum obol_account_kind kind;
	uint8_t pk[32];
	int64_t id;
	struct obol_amount amount;
};

static obol_err mk_account(struct obol_store *s, void *ctx)
{
	struct acct *a = ctx;
	return obol_account_create(s, a->kind, a->name, a->pk, &a->id);
}

static obol_err fund(struct obol_store *s, void *ctx)
{
	struct acct *a = ctx;
	return obol_ledger_fund(s, a->id, &a->amount, "bank-1");
}

static obol_err balance(struct obol_store *s, void *ctx)
{
	struct acct *a = ctx;
	return obol_ledger_balance(s, a->id, &a->amount);
}

/* Runs the audit; *out (malloc'ed) gets its text when out is not NULL. */
static obol_err audit_text(const char *db_url, char **out)
{
	struct obol_store *s = NULL;
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);
	obol_err e = f != NULL ? obol_store_open(db_url, false, &s) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_ledger_attach(s);
	if (e == OBOL_OK)
		e = obol_audit_run(s, f);
	if (f != NULL)
		fclose(f);
	obol_store_close(s);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return e;
}

static obol_err audit(const char *db_url)
{
	return audit_text(db_url, NULL);
}

static obol_err post(struct obol_http_client *c, const char *path, json_t *body, json_t **out)
{
	obol_err e = obol_http_post_json(c, path, body, OBOL_HTTP_AUTH, out);
	json_decref(body);
	return e;
}

/* A client of the issuer signing as an account. */
static obol_err client_as(struct net *n, int64_t id, const uint8_t sk[64], struct obol_http_client **out)
{
	obol_err e = obol_http_client_new(n->url, 0, out);
	if (e == OBOL_OK)
		obol_http_client_set_account(*out, id, sk);
	return e;
}

static obol_err vendor_client(struct net *n, struct obol_sign_keypair *kp, int64_t id, const char *mode,
			      struct obol_http_client **out)
{
	json_t *r = NULL;
	obol_err e = client_as(n, id, kp->sk, out);
	if (e == OBOL_OK)
		e = post(*out, "/payword/vendor/register", json_pack("{s:s, s:i}", "mode", mode, "batch_interval", 0), &r);
	json_decref(r);
	return e;
}

/* The operator opens the user's account for its key; the user registers
 * (signed) and is funded. */
static obol_err user_setup(const char *db_url, struct net *n, struct pw_world *w, const char *name, const char *amount,
			   struct acct *a, struct obol_http_client **c)
{
	json_t *r = NULL;
	obol_err e;
	a->name = name;
	a->kind = OBOL_ACCOUNT_USER;
	memcpy(a->pk, w->user.pk, 32);
	if ((e = store_test_ledger_tx(db_url, mk_account, a)) != OBOL_OK || (e = client_as(n, a->id, w->user.sk, c)) != OBOL_OK)
		return e;
	e = post(*c, "/payword/register", json_pack("{s:s, s:s}", "username", name, "password", "correct horse"), &r);
	json_decref(r);
	a->amount = pw_eur(amount);
	if (e == OBOL_OK && a->amount.units > 0)
		e = store_test_ledger_tx(db_url, fund, a);
	return e;
}

/* Buys tokens (no position: the wallet lost its certificate) and downloads
 * the user certificate into w. */
static obol_err buy(struct obol_http_client *c, struct net *n, struct pw_world *w, const char *user, const char *rid,
		    uint64_t tokens, uint64_t scope, const struct payword_position *pos, json_t **reply)
{
	json_t *b = json_pack("{s:s, s:s, s:s, s:I, s:I}", "request_id", rid, "username", user, "password",
			      "correct horse", "tokens", (json_int_t)tokens, "scope", (json_int_t)scope);
	json_t *r = NULL, *cert = NULL;
	uint8_t buf[PAYWORD_UCERT_MAX];
	size_t len;
	char sig[OBOL_B64_LEN(64)];
	if (pos != NULL && obol_b64_encode(pos->sig, 64, sig, sizeof(sig)) == OBOL_OK)
		json_object_set_new(b, "position", json_pack("{s:I, s:I, s:s}", "serial", (json_int_t)pos->serial, "next",
							     (json_int_t)pos->next, "sig", sig));
	obol_err e = obol_http_post_json(c, "/payword/buy", b, OBOL_HTTP_AUTH, &r);
	json_decref(b);
	if (e)
		return e;
	if (json_integer_value(json_object_get(r, "serial")) != 0) {
		b = json_pack("{s:s, s:s, s:O}", "username", user, "password", "correct horse", "serial",
			      json_object_get(r, "serial"));
		e = obol_http_post_json(c, "/payword/cert", b, OBOL_HTTP_AUTH, &cert);
		json_decref(b);
		if (e == OBOL_OK)
			e = obol_b64_decode(json_string_value(json_object_get(cert, "ucert")), buf, sizeof(buf), &len, 0);
		if (e == OBOL_OK)
			e = payword_wallet_accept(buf, len, n->agent_pk, user, w->user.pk, &w->w);
		if (e == OBOL_OK)
			w->cert.vc = w->w.uc.vc;
		json_decref(cert);
	}
	if (reply != NULL)
		*reply = r;
	else
		json_decref(r);
	return e;
}

/* Sends a claim as a vendor. */
static obol_err report(struct obol_http_client *vc, const struct payword_claim *cl, json_t **out)
{
	struct payword_claim_wire wm;
	struct payword_claim_spec spec;
	json_t *body = NULL;
	payword_claim_to_wire(cl, &wm);
	payword_claim_spec_init(&spec, &wm);
	obol_err e = obol_json_encode(&spec.spec, &body);
	if (e == OBOL_OK)
		e = obol_http_post_json(vc, "/payword/report", body, OBOL_HTTP_AUTH, out);
	json_decref(body);
	return e;
}

static obol_err report_ok(struct obol_http_client *vc, const struct payword_claim *cl, const char *verdict)
{
	json_t *r = NULL;
	obol_err e = report(vc, cl, &r);
	if (e == OBOL_OK && (!json_is_true(json_object_get(r, "accepted")) ||
			     strcmp(json_string_value(json_object_get(r, "verdict")), verdict) != 0))
		e = OBOL_E_INTERNAL;
	json_decref(r);
	return e;
}

TEST_DB(payword_issuer, register_buy_spend_report_regenerate)
{
	struct net n;
	struct pw_world w;
	struct obol_sign_keypair ka, kb;
	struct acct va = { .name = "shop-a", .kind = OBOL_ACCOUNT_VENDOR },
		    vb = { .name = "shop-b", .kind = OBOL_ACCOUNT_VENDOR }, alice = { 0 };
	struct obol_http_client *ca = NULL, *cb = NULL, *cu = NULL;
	json_t *r = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));

	/* case 8: registration without an account the operator opened */
	char pk64[OBOL_B64_LEN(32)];
	REQUIRE_OK(obol_b64_encode(w.user.pk, 32, pk64, sizeof(pk64)));
	json_t *open = json_pack("{s:s, s:s, s:s}", "username", "alice", "password", "correct horse", "user_pk", pk64);
	CHECK_ERR(obol_http_post_json(n.anon, "/payword/register", open, 0, &r), OBOL_E_AUTH_FAILED);
	json_decref(open);
	alice.name = "alice";
	CHECK_ERR(store_test_ledger_tx(db_url, balance, &alice), OBOL_E_LEDGER_ACCOUNT_UNKNOWN);

	/* registration for the operator's account: the name once, a password of 8 bytes */
	REQUIRE_OK(user_setup(db_url, &n, &w, "alice", "EUR:0", &alice, &cu));
	CHECK_ERR(post(cu, "/payword/register", json_pack("{s:s, s:s}", "username", "alice2", "password", "correct horse"),
		       &r),
		  OBOL_E_PAYWORD_USER_EXISTS);
	struct pw_world w2;
	struct acct bob = { 0 };
	struct obol_http_client *cbob = NULL;
	REQUIRE_OK(pw_world_init(&w2));
	bob.name = "bob";
	bob.kind = OBOL_ACCOUNT_USER;
	memcpy(bob.pk, w2.user.pk, 32);
	REQUIRE_OK(store_test_ledger_tx(db_url, mk_account, &bob));
	REQUIRE_OK(client_as(&n, bob.id, w2.user.sk, &cbob));
	CHECK_ERR(post(cbob, "/payword/register", json_pack("{s:s, s:s}", "username", "bob", "password", "short"), &r),
		  OBOL_E_PAYWORD_PASSWORD_WEAK);
	CHECK_ERR(post(cbob, "/payword/register", json_pack("{s:s, s:s}", "username", "alice", "password", "long enough"),
		       &r),
		  OBOL_E_PAYWORD_USER_EXISTS);
	obol_http_client_free(cbob);

	/* vendors: A generic, B generic */
	obol_sign_keypair_new(&ka);
	obol_sign_keypair_new(&kb);
	memcpy(va.pk, ka.pk, 32);
	memcpy(vb.pk, kb.pk, 32);
	REQUIRE_OK(store_test_ledger_tx(db_url, mk_account, &va));
	REQUIRE_OK(store_test_ledger_tx(db_url, mk_account, &vb));
	REQUIRE_OK(vendor_client(&n, &ka, va.id, "generic", &ca));
	REQUIRE_OK(vendor_client(&n, &kb, vb.id, "generic", &cb));
	CHECK_ERR(post(ca, "/payword/vendor/register", json_pack("{s:s, s:i}", "mode", "specific", "batch_interval", 0), &r),
		  OBOL_E_PAYWORD_VENDOR_MODE);
	/* case 3: a batch interval longer than the grace (0 here) */
	CHECK_ERR(post(cb, "/payword/vendor/register", json_pack("{s:s, s:i}", "mode", "generic", "batch_interval", 5), &r),
		  OBOL_E_PAYWORD_BATCH_INTERVAL);
	/* a vendor account cannot register as a user */
	CHECK_ERR(post(ca, "/payword/register", json_pack("{s:s, s:s}", "username", "shopa", "password", "correct horse"),
		       &r),
		  OBOL_E_AUTH_FAILED);

	/* a specific chain needs a vendor of the specific system */
	CHECK_ERR(buy(cu, &n, &w, "alice", "r9", 5, (uint64_t)va.id, NULL, NULL), OBOL_E_PAYWORD_WRONG_VENDOR);
	/* buying needs money, the right password, the user's own signature */
	CHECK_ERR(buy(cu, &n, &w, "alice", "r1", 10, 0, NULL, NULL), OBOL_E_LEDGER_INSUFFICIENT_FUNDS);
	alice.amount = pw_eur("EUR:1");
	REQUIRE_OK(store_test_ledger_tx(db_url, fund, &alice));
	json_t *bad = json_pack("{s:s, s:s, s:s, s:i, s:i}", "request_id", "r0", "username", "alice", "password",
				"wrong horse", "tokens", 10, "scope", 0);
	CHECK_ERR(obol_http_post_json(cu, "/payword/buy", bad, OBOL_HTTP_AUTH, &r), OBOL_E_PAYWORD_BAD_PASSWORD);
	json_object_set_new(bad, "password", json_string("correct horse"));
	CHECK_ERR(obol_http_post_json(n.anon, "/payword/buy", bad, 0, &r), OBOL_E_AUTH_FAILED);
	json_decref(bad);
	REQUIRE_OK(buy(cu, &n, &w, "alice", "r1", 10, 0, NULL, &r));
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "n")), 10);
	json_decref(r);
	/* the same request again (lost reply): nothing moves twice */
	REQUIRE_OK(buy(cu, &n, &w, "alice", "r1", 10, 0, NULL, NULL));
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &alice));
	CHECK_EQ_INT(alice.amount.units, pw_eur("EUR:0.9").units);
	CHECK_OK(audit(db_url));

	/* case 7: the chain's seed only to the user's signed request */
	json_t *get = json_pack("{s:s, s:s, s:i}", "username", "alice", "password", "correct horse", "serial",
				(int)w.cert.vc.serial);
	CHECK_ERR(obol_http_post_json(n.anon, "/payword/cert", get, 0, &r), OBOL_E_AUTH_FAILED);
	json_decref(get);

	/* purchases: 1 at A, 2..3 at B, 4 at A; reports of each */
	w.va.vendor_id = (uint64_t)va.id;
	w.vb.vendor_id = (uint64_t)vb.id;
	struct payword_claim c1 = pw_claim(&w, (uint64_t)va.id, 1, 1), c2 = pw_claim(&w, (uint64_t)vb.id, 2, 3),
			     c3 = pw_claim(&w, (uint64_t)va.id, 4, 4);
	CHECK_OK(report_ok(ca, &c3, "ok")); /* in any order */
	CHECK_OK(report_ok(ca, &c1, "ok"));
	CHECK_OK(report_ok(cb, &c2, "ok"));
	/* a report sent again gets the first answer; a range signed for another vendor is not B's */
	CHECK_OK(report_ok(ca, &c3, "ok"));
	struct payword_claim stolen = c1;
	REQUIRE_OK(report(cb, &stolen, &r));
	CHECK(json_is_false(json_object_get(r, "accepted")));
	CHECK_EQ_STR(json_string_value(json_object_get(r, "verdict")), "vendor-fabrication");
	json_decref(r);
	/* B presented a range it has no signature for: B is suspended */
	CHECK_ERR(report(cb, &c2, &r), OBOL_E_LEDGER_ACCOUNT_CLOSED);
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &va));
	CHECK_EQ_INT(va.amount.units, pw_eur("EUR:0.02").units);
	CHECK_OK(audit(db_url));

	/* the wallet loses its certificate: nothing moves now (grace 0: all returns at once) */
	REQUIRE_OK(buy(cu, &n, &w, "alice", "r2", 0, 0, NULL, &r));
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "carried")), 6);
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "n")), 6);
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "first_order")), 11);
	json_decref(r);
	CHECK_EQ_INT(payword_wallet_unspent(&w.w), 6);
	CHECK_OK(audit(db_url));
	/* step D delivers the live certificate only */
	json_t *old = json_pack("{s:s, s:s, s:i}", "username", "alice", "password", "correct horse", "serial", 1);
	CHECK_ERR(obol_http_post_json(cu, "/payword/cert", old, OBOL_HTTP_AUTH, &r), OBOL_E_PAYWORD_CERT_REVOKED);
	json_decref(old);
	/* the old certificate is on the CRL */
	{
		struct payword_crl crl = { 0 };
		CHECK_OK(crl_pages(n.anon, n.agent_pk, &crl));
		CHECK(payword_crl_contains(&crl, 1) && !payword_crl_contains(&crl, 2));
		free(crl.serials);
	}

	obol_http_client_free(ca);
	obol_http_client_free(cb);
	obol_http_client_free(cu);
	stop(&n);
	CHECK_OK(audit(db_url));
}

/* Case 3 end to end at the agent: a lost certificate while a batch vendor
 * holds unreported tokens. Nothing is carried before the grace; the vendor
 * is paid from the held value; after the grace the rest returns: the user
 * never holds the value of the tokens it spent. */
TEST_DB(payword_issuer, lost_certificate_carries_nothing_unreported)
{
	struct net n;
	struct pw_world w;
	struct obol_sign_keypair kb;
	struct acct vb = { .name = "shop-b", .kind = OBOL_ACCOUNT_VENDOR }, alice = { 0 };
	struct obol_http_client *cb = NULL, *cu = NULL;
	json_t *r = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "1"));
	REQUIRE_OK(user_setup(db_url, &n, &w, "alice", "EUR:1", &alice, &cu));
	obol_sign_keypair_new(&kb);
	memcpy(vb.pk, kb.pk, 32);
	REQUIRE_OK(store_test_ledger_tx(db_url, mk_account, &vb));
	REQUIRE_OK(client_as(&n, vb.id, kb.sk, &cb));
	REQUIRE_OK(post(cb, "/payword/vendor/register", json_pack("{s:s, s:i}", "mode", "generic", "batch_interval", 1), &r));
	json_decref(r);
	REQUIRE_OK(buy(cu, &n, &w, "alice", "r1", 20, 0, NULL, NULL));
	/* 1..2 spent at B (batch: not reported yet), then --lost */
	struct payword_claim late = pw_claim(&w, (uint64_t)vb.id, 1, 2);
	REQUIRE_OK(buy(cu, &n, &w, "alice", "r2", 0, 0, NULL, &r));
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "serial")), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "carried")), 0);
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "held")), 20);
	json_decref(r);
	CHECK_OK(audit(db_url));
	/* B reports within the grace: paid from the held value */
	CHECK_OK(report_ok(cb, &late, "ok"));
	struct timespec ts = { 1, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	REQUIRE_OK(buy(cu, &n, &w, "alice", "r3", 0, 0, NULL, &r));
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "carried")), 18);
	json_decref(r);
	CHECK_EQ_INT(payword_wallet_unspent(&w.w), 18);
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &vb));
	CHECK_EQ_INT(vb.amount.units, pw_eur("EUR:0.02").units);
	char *text = NULL;
	CHECK_OK(audit_text(db_url, &text));
	CHECK(text != NULL && strstr(text, "FINDING") == NULL);
	free(text);
	obol_http_client_free(cb);
	obol_http_client_free(cu);
	stop(&n);
}

/* Case 5: a proven double spend revokes every certificate of the user, the
 * specific one too; both vendors are paid; the user's account pays the
 * tokens spent twice. */
TEST_DB(payword_issuer, double_spend_revokes_every_certificate_of_the_user)
{
	struct net n;
	struct pw_world w;
	struct obol_sign_keypair ka, kb, ks;
	struct acct va = { .name = "shop-a", .kind = OBOL_ACCOUNT_VENDOR },
		    vb = { .name = "shop-b", .kind = OBOL_ACCOUNT_VENDOR },
		    vs = { .name = "shop-s", .kind = OBOL_ACCOUNT_VENDOR }, alice = { 0 };
	struct obol_http_client *ca = NULL, *cb = NULL, *cs = NULL, *cu = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));
	REQUIRE_OK(user_setup(db_url, &n, &w, "alice", "EUR:1", &alice, &cu));
	obol_sign_keypair_new(&ka);
	obol_sign_keypair_new(&kb);
	obol_sign_keypair_new(&ks);
	memcpy(va.pk, ka.pk, 32);
	memcpy(vb.pk, kb.pk, 32);
	memcpy(vs.pk, ks.pk, 32);
	REQUIRE_OK(store_test_ledger_tx(db_url, mk_account, &va));
	REQUIRE_OK(store_test_ledger_tx(db_url, mk_account, &vb));
	REQUIRE_OK(store_test_ledger_tx(db_url, mk_account, &vs));
	REQUIRE_OK(vendor_client(&n, &ka, va.id, "generic", &ca));
	REQUIRE_OK(vendor_client(&n, &kb, vb.id, "generic", &cb));
	REQUIRE_OK(vendor_client(&n, &ks, vs.id, "specific", &cs));
	REQUIRE_OK(buy(cu, &n, &w, "alice", "s1", 5, (uint64_t)vs.id, NULL, NULL));
	uint64_t specific = w.cert.vc.serial;
	REQUIRE_OK(buy(cu, &n, &w, "alice", "g1", 10, 0, NULL, NULL));
	uint64_t generic = w.cert.vc.serial;
	/* 1..4 at A and 3..6 at B: two signed ranges share 3..4 */
	struct payword_claim a = pw_claim(&w, (uint64_t)va.id, 1, 4), b = pw_claim(&w, (uint64_t)vb.id, 3, 6);
	CHECK_OK(report_ok(cb, &b, "ok"));
	CHECK_OK(report_ok(ca, &a, "user-double-spend"));
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &va));
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &vb));
	CHECK_EQ_INT(va.amount.units, pw_eur("EUR:0.04").units);
	CHECK_EQ_INT(vb.amount.units, pw_eur("EUR:0.04").units);
	/* bought 15 tokens (EUR:0.15); 8 paid for 10 of a chain that had 10: its
	 * balance is 2, nothing was taken from the account yet */
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &alice));
	CHECK_EQ_INT(alice.amount.units, pw_eur("EUR:0.85").units);
	{
		struct payword_crl crl = { 0 };
		CHECK_OK(crl_pages(n.anon, n.agent_pk, &crl));
		CHECK(payword_crl_contains(&crl, generic));
		CHECK(payword_crl_contains(&crl, specific));
		free(crl.serials);
	}
	/* the revoked user buys no more */
	CHECK_ERR(buy(cu, &n, &w, "alice", "g2", 1, 0, NULL, NULL), OBOL_E_PAYWORD_USER_REVOKED);
	/* more tokens spent twice: the account pays them */
	struct payword_claim a2 = pw_claim(&w, (uint64_t)va.id, 5, 8);
	CHECK_OK(report_ok(ca, &a2, "user-double-spend"));
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &alice));
	CHECK_EQ_INT(alice.amount.units, pw_eur("EUR:0.83").units);
	CHECK_OK(audit(db_url));
	obol_http_client_free(ca);
	obol_http_client_free(cb);
	obol_http_client_free(cs);
	obol_http_client_free(cu);
	stop(&n);
}

static obol_err many_ended(struct obol_store *s, void *ctx)
{
	struct pw_world *w = ctx;
	for (uint64_t i = 0; i < 5000; i++) {
		struct payword_db_cert c;
		memset(&c, 0, sizeof(c));
		c.user = 99;
		c.c.vc = w->cert.vc;
		c.c.vc.serial = 1000 + i;
		c.c.vc.not_after = obol_now() + 86400;
		c.c.status = PAYWORD_CERT_SUPERSEDED;
		c.c.moved_out = (int64_t)c.c.vc.n;
		obol_err e = payword_db_cert_insert(s, &c);
		if (e)
			return e;
	}
	return OBOL_OK;
}

/* Case 6 (P6): the CRL past 4096 serials, served in pages and read. */
TEST_DB(payword_issuer, crl_past_4096_serials)
{
	struct net n;
	struct pw_world w;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));
	REQUIRE_OK(store_test_ledger_tx(db_url, many_ended, &w));
	struct payword_crl crl = { 0 };
	CHECK_OK(crl_pages(n.anon, n.agent_pk, &crl));
	CHECK_EQ_INT(crl.count, 5000);
	CHECK(payword_crl_contains(&crl, 1000) && payword_crl_contains(&crl, 5999));
	free(crl.serials);
	/* the whole list in one reply is no route any more */
	json_t *r = NULL;
	CHECK_ERR(obol_http_get_json(n.anon, "/payword/crl", 0, &r), OBOL_E_HTTP_NOT_FOUND);
	json_decref(r);
	stop(&n);
}

/* 5000 ended certificates of alice's scope 0 whose value has all moved
 * (superseded, balance zero), orders 1 .. 5000 * n. */
struct ended_of {
	struct pw_world *w;
	int64_t user;
};

static obol_err many_moved(struct obol_store *s, void *ctx)
{
	struct ended_of *o = ctx;
	for (uint64_t i = 0; i < 5000; i++) {
		struct payword_db_cert c;
		memset(&c, 0, sizeof(c));
		c.user = o->user;
		c.c.vc = o->w->cert.vc;
		c.c.vc.serial = 1000 + i;
		c.c.vc.scope = 0;
		c.c.vc.first_order = 1 + i * c.c.vc.n;
		c.c.status = PAYWORD_CERT_SUPERSEDED;
		c.c.ended_at = obol_now() - 86400;
		c.c.moved_out = (int64_t)c.c.vc.n;
		obol_err e = payword_db_cert_insert(s, &c);
		if (e)
			return e;
	}
	return OBOL_OK;
}

/* Issue 18: a user's certificates only grow; a buy loads those it can move,
 * hold or continue after, so a user with 5000 spent certificates still buys
 * (it was INTERNAL past 4096 for that user), and orders continue after the
 * newest. */
TEST_DB(payword_issuer, buy_after_5000_spent_certificates)
{
	struct net n;
	struct pw_world w;
	struct acct alice = { 0 };
	struct obol_http_client *cu = NULL;
	json_t *r = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));
	REQUIRE_OK(user_setup(db_url, &n, &w, "alice", "EUR:10", &alice, &cu));
	struct ended_of o = { &w, alice.id };
	REQUIRE_OK(store_test_ledger_tx(db_url, many_moved, &o));
	uint64_t end = 1 + 5000 * w.cert.vc.n;
	CHECK_OK(buy(cu, &n, &w, "alice", "r1", 10, 0, NULL, &r));
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "first_order")), (int64_t)end);
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "n")), 10);
	json_decref(r);
	CHECK_OK(audit(db_url));
	obol_http_client_free(cu);
	stop(&n);
}

/* Case 7: failed password checks are limited per user and per address,
 * an unknown user costs a hash like a known one, and Argon2id work beyond
 * its slots is refused with a retryable error. */
TEST_DB(payword_issuer, password_guesses_limited_and_hashing_bounded)
{
	struct net n;
	struct pw_world w;
	struct acct alice = { 0 };
	struct obol_http_client *cu = NULL;
	json_t *r = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));
	REQUIRE_OK(user_setup(db_url, &n, &w, "alice", "EUR:1", &alice, &cu));
	struct payword_guard *g = payword_issuer_state(n.iss)->guard;

	/* an unknown name costs one Argon2id check, as a known one does */
	uint64_t h0 = payword_guard_hashes(g);
	json_t *q = json_pack("{s:s, s:s, s:i}", "username", "nobody", "password", "correct horse", "serial", 1);
	CHECK_ERR(obol_http_post_json(cu, "/payword/cert", q, OBOL_HTTP_AUTH, &r), OBOL_E_PAYWORD_BAD_PASSWORD);
	json_decref(q);
	CHECK_EQ_INT(payword_guard_hashes(g), h0 + 1);
	q = json_pack("{s:s, s:s, s:i}", "username", "alice", "password", "wrong horse", "serial", 1);
	CHECK_ERR(obol_http_post_json(cu, "/payword/cert", q, OBOL_HTTP_AUTH, &r), OBOL_E_PAYWORD_BAD_PASSWORD);
	CHECK_EQ_INT(payword_guard_hashes(g), h0 + 2);
	/* three more failures: the fifth closes the account for a minute, before any hashing */
	for (int i = 0; i < 3; i++)
		CHECK_ERR(obol_http_post_json(cu, "/payword/cert", q, OBOL_HTTP_AUTH, &r), OBOL_E_PAYWORD_BAD_PASSWORD);
	json_decref(q);
	uint64_t h1 = payword_guard_hashes(g);
	CHECK_ERR(buy(cu, &n, &w, "alice", "r1", 1, 0, NULL, NULL), OBOL_E_PAYWORD_RATE_LIMITED);
	CHECK_EQ_INT(payword_guard_hashes(g), h1);

	/* per address: failures from one address across accounts */
	struct payword_guard *pg = NULL;
	REQUIRE_OK(payword_guard_new(1, &pg));
	for (int i = 0; i < PAYWORD_GUARD_ADDR_FAILS; i++) {
		CHECK_OK(payword_guard_check(pg, 100 + i, "192.0.2.7", PW_NOW));
		payword_guard_failed(pg, 100 + i, "192.0.2.7", PW_NOW);
	}
	CHECK_ERR(payword_guard_check(pg, 999, "192.0.2.7", PW_NOW), OBOL_E_PAYWORD_RATE_LIMITED);
	CHECK_OK(payword_guard_check(pg, 999, "192.0.2.8", PW_NOW));
	CHECK_OK(payword_guard_check(pg, 999, "192.0.2.7", PW_NOW + PAYWORD_GUARD_WINDOW));
	/* slots */
	CHECK_OK(payword_guard_enter(pg));
	CHECK_ERR(payword_guard_enter(pg), OBOL_E_PAYWORD_BUSY);
	payword_guard_leave(pg);
	CHECK_OK(payword_guard_enter(pg));
	payword_guard_leave(pg);
	payword_guard_free(pg);

	/* the daemon's slots all taken: a retryable refusal, no hashing */
	struct pw_world w2;
	struct acct bob = { 0 };
	struct obol_http_client *cbob = NULL;
	REQUIRE_OK(pw_world_init(&w2));
	REQUIRE_OK(user_setup(db_url, &n, &w2, "bob", "EUR:1", &bob, &cbob));
	for (int i = 0; i < PAYWORD_GUARD_SLOTS; i++)
		REQUIRE_OK(payword_guard_enter(g));
	CHECK_ERR(buy(cbob, &n, &w2, "bob", "b1", 1, 0, NULL, NULL), OBOL_E_PAYWORD_BUSY);
	for (int i = 0; i < PAYWORD_GUARD_SLOTS; i++)
		payword_guard_leave(g);
	CHECK_OK(buy(cbob, &n, &w2, "bob", "b1", 1, 0, NULL, NULL));
	obol_http_client_free(cbob);
	obol_http_client_free(cu);
	stop(&n);
}

/* Case 3 (P1): a debt the user's account could not cover is a finding the
 * audit fails on; a debt held (not paid) is listed. */
struct neg {
	struct pw_world *w;
	int64_t user, vendor, liab;
};

static obol_err neg_setup(struct obol_store *s, void *ctx)
{
	struct neg *c = ctx;
	struct payword_db_cert dc;
	struct payword_agent_claim cl;
	struct obol_amount amt, paid;
	obol_err e;
	if ((e = obol_account_create(s, OBOL_ACCOUNT_USER, "carol", c->w->user.pk, &c->user)) ||
	    (e = obol_account_create(s, OBOL_ACCOUNT_VENDOR, "shop-n", NULL, &c->vendor)))
		return e;
	memset(&dc, 0, sizeof(dc));
	dc.user = c->user;
	dc.c.vc = c->w->cert.vc; /* 10 tokens: 5 paid, 8 moved: 3 below zero */
	dc.c.status = PAYWORD_CERT_SUPERSEDED;
	dc.c.paid = 5;
	dc.c.moved_out = 8;
	if ((e = payword_db_cert_insert(s, &dc)))
		return e;
	dc.c.vc.serial = 2;
	dc.c.vc.n = 8;
	dc.c.status = PAYWORD_CERT_LIVE;
	dc.c.paid = 0;
	dc.c.moved_out = 0;
	if ((e = payword_db_cert_insert(s, &dc)))
		return e;
	memset(&cl, 0, sizeof(cl));
	cl.vendor = (uint64_t)c->vendor;
	cl.from = 6;
	cl.to = 7;
	cl.held_tokens = 2;
	cl.hold = PAYWORD_HOLD_DEBT;
	if ((e = payword_db_claim_insert(s, 2, &cl, "article-1")) != OBOL_OK)
		return e;
	if ((e = obol_account_liability(s, "payword", &c->liab)) || (e = obol_amount_mul(&amt, &c->w->tv, 10)) ||
	    (e = obol_amount_mul(&paid, &c->w->tv, 5)) || (e = obol_ledger_fund(s, c->user, &amt, "x")) ||
	    (e = obol_ledger_transfer(s, c->user, c->liab, &amt, "payword-buy", "x", NULL)) ||
	    (e = obol_ledger_transfer(s, c->liab, c->vendor, &paid, "payword-claim", "x", NULL)))
		return e;
	return OBOL_OK;
}

TEST_DB(payword_issuer, audit_names_a_negative_certificate_and_held_debts)
{
	struct net n;
	struct pw_world w;
	struct neg c = { .w = &w };
	char *text = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));
	stop(&n);
	REQUIRE_OK(store_test_ledger_tx(db_url, neg_setup, &c));
	CHECK_ERR(audit_text(db_url, &text), OBOL_E_AUDIT_FAILED);
	REQUIRE(text != NULL);
	CHECK(strstr(text, "BROKEN: payword certificate 1 of account") != NULL);
	CHECK(strstr(text, "3 tokens (EUR:0.03) below zero") != NULL);
	CHECK(strstr(text, "FINDING: payword claim") != NULL && strstr(text, "a debt held") != NULL);
	/* the negative balance is not folded into the outstanding sum */
	char line[64];
	snprintf(line, sizeof(line), "%-32s %s", "payword outstanding", "EUR:0.08");
	CHECK(strstr(text, line) != NULL);
	free(text);
}

/* Databases made before signed ranges migrate: their claims have no
 * signature to judge by, and a new claim sharing tokens with one of another
 * vendor is held for review, which the operator decides. */
struct legacy {
	struct pw_world *w;
	int64_t user, va, vb, liab, claim;
};

static obol_err legacy_v1(struct obol_store *s, void *ctx)
{
	struct legacy *l = ctx;
	struct obol_amount amt, paid;
	uint8_t buf[PAYWORD_VCERT_MAX], tok[32];
	size_t len;
	obol_err e;
	if ((e = obol_account_create(s, OBOL_ACCOUNT_USER, "dave", l->w->user.pk, &l->user)) ||
	    (e = obol_account_create(s, OBOL_ACCOUNT_VENDOR, "shop-a", NULL, &l->va)) ||
	    (e = obol_account_create(s, OBOL_ACCOUNT_VENDOR, "shop-b", NULL, &l->vb)) ||
	    (e = payword_vcert_encode(&l->w->cert.vc, buf, &len)) ||
	    (e = payword_chain_token(&l->w->cert.vc, l->w->w.uc.seed, 4, tok)))
		return e;
	/* version 1 rows: a user, two vendors, a certificate, B's claim of 3..4 */
	if ((e = obol_store_run(s, NULL,
				"INSERT INTO payword_users (account, username, pwhash, user_pk, chain_key, revoked) "
				"VALUES (?, 'dave', 'x', ?, ?, 0)",
				"ibb", l->user, l->w->user.pk, (size_t)32, l->w->u.chain_key, (size_t)32)) ||
	    (e = obol_store_run(s, NULL, "INSERT INTO payword_vendors VALUES (?, 1, 1, 0)", "i", l->va)) ||
	    (e = obol_store_run(s, NULL, "INSERT INTO payword_vendors VALUES (?, 1, 1, 0)", "i", l->vb)) ||
	    (e = obol_store_run(s, NULL,
				"INSERT INTO payword_certs VALUES (1, ?, 0, ?, ?, 10, 1, 0, 0, 2, 0, 4, ?)", "ibii",
				l->user, buf, len, l->w->tv.units, l->w->cert.vc.not_after)) ||
	    (e = obol_store_run(s, NULL,
				"INSERT INTO payword_claims VALUES (1, 1, ?, 3, 3, 4, ?, 7, 2, 0, 'article-1')", "ib",
				l->vb, tok, (size_t)32)))
		return e;
	if ((e = obol_account_liability(s, "payword", &l->liab)) || (e = obol_amount_mul(&amt, &l->w->tv, 10)) ||
	    (e = obol_amount_mul(&paid, &l->w->tv, 2)) || (e = obol_ledger_fund(s, l->user, &amt, "x")) ||
	    (e = obol_ledger_transfer(s, l->user, l->liab, &amt, "payword-buy", "x", NULL)) ||
	    (e = obol_ledger_transfer(s, l->liab, l->vb, &paid, "payword-claim", "x", NULL)))
		return e;
	return OBOL_OK;
}

static obol_err legacy_report(struct obol_store *s, void *ctx)
{
	struct legacy *l = ctx;
	struct payword_claim a = pw_claim(l->w, (uint64_t)l->va, 1, 5);
	json_t *reply = NULL;
	obol_err e = payword_report_ingest(s, &a, 0, obol_now(), &reply);
	if (e == OBOL_OK && strcmp(json_string_value(json_object_get(reply, "verdict")), "held") != 0)
		e = OBOL_E_INTERNAL;
	if (e == OBOL_OK && json_integer_value(json_object_get(reply, "held")) != 2)
		e = OBOL_E_INTERNAL;
	json_decref(reply);
	return e;
}

static obol_err legacy_review(struct obol_store *s, void *ctx)
{
	struct legacy *l = ctx;
	int64_t paid = 0;
	obol_err e = payword_review_apply(s, 1, true, &paid); /* B's claim from before: nothing held */
	if (e != OBOL_E_NOT_FOUND)
		return OBOL_E_INTERNAL;
	e = payword_review_apply(s, 2, true, &paid); /* A's: 3..4 held */
	if (e == OBOL_OK && paid != 2)
		e = OBOL_E_INTERNAL;
	(void)l;
	return e;
}

TEST_DB(payword_issuer, claims_from_before_signed_ranges_migrate)
{
	struct pw_world w;
	struct legacy l = { .w = &w };
	struct obol_store *s = NULL;
	struct acct va = { 0 };
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(obol_ledger_init(s, "EUR"));
	REQUIRE_OK(payword_db_migrate_to(s, 1));
	obol_store_close(s);
	REQUIRE_OK(store_test_ledger_tx(db_url, legacy_v1, &l));
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	REQUIRE_OK(payword_db_migrate(s));
	obol_store_close(s);
	/* A's signed range 1..5 shares 3..4 with B's unsigned claim */
	REQUIRE_OK(store_test_ledger_tx(db_url, legacy_report, &l));
	va.id = l.va;
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &va));
	CHECK_EQ_INT(va.amount.units, pw_eur("EUR:0.03").units);
	CHECK_OK(audit(db_url));
	REQUIRE_OK(store_test_ledger_tx(db_url, legacy_review, &l));
	REQUIRE_OK(store_test_ledger_tx(db_url, balance, &va));
	CHECK_EQ_INT(va.amount.units, pw_eur("EUR:0.05").units);
	CHECK_OK(audit(db_url));
}

/* --- the vendor daemon in process --------------------------------------- */

#include "issuer/vendors.h"
#include "net/devlink.h"
#include "vendor/vendor.h"
#include "wallet/payword.h"
#include "wire/cbor.h"

struct vshop {
	struct obol_issuer *iss;
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	struct obol_vendor_cert cert;
};

static obol_err add_vendor(struct obol_store *s, void *arg)
{
	struct vshop *v = arg;
	struct obol_ed25519_signer sg;
	obol_err e = obol_issuer_signer(v->iss, obol_now(), &sg);
	return e != OBOL_OK ? e : obol_issuer_vendor_add(s, &sg, "kiosk", v->sign.pk, v->box.pk, 10, obol_now(),
				      &v->cert);
}

/* GETs the product page with a request signed by key (NULL: none). */
static obol_err product_page(const char *http, uint64_t vendor, int64_t auth, const struct obol_sign_keypair *key,
			     long *status, char **body, size_t *blen)
{
	struct obol_http_client *hc = NULL;
	struct payword_fetch f = { .vendor = vendor, .auth = auth, .time = obol_now() };
	char path[300], sig[OBOL_B64_LEN(64)] = "";
	strcpy(f.product, "article-1");
	obol_err e = obol_http_client_new(http, 0, &hc);
	if (e == OBOL_OK && key != NULL && (e = payword_fetch_sign(&f, key->sk)) == OBOL_OK)
		e = obol_b64_encode(f.sig, 64, sig, sizeof(sig));
	if (e == OBOL_OK) {
		snprintf(path, sizeof(path), "/payword/product/article-1?auth=%lld&time=%lld&sig=%s", (long long)auth,
			 (long long)f.time, sig);
		e = obol_http_request(hc, "GET", path, NULL, 0, 0, status, body, blen);
	}
	obol_http_client_free(hc);
	return e;
}

TEST_DB(payword_vendor_daemon, retry_same_auth_report_once_product_page)
{
	struct net n;
	struct pw_world w;
	struct vshop shop;
	struct acct alice = { 0 }, va = { 0 };
	struct obol_http_client *cu = NULL;
	char dir[600], path[700], addr[64], http[64];
	struct obol_vendor *v = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	memset(&shop, 0, sizeof(shop));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));
	shop.iss = n.iss;

	/* alice registered, funded, holding 10 tokens */
	REQUIRE_OK(user_setup(db_url, &n, &w, "alice", "EUR:1", &alice, &cu));
	REQUIRE_OK(buy(cu, &n, &w, "alice", "r1", 10, 0, NULL, NULL));

	/* the vendor: keys, certificate, payword setup with one article */
	snprintf(dir, sizeof(dir), "%s/kiosk", test_tmpdir());
	REQUIRE_OK(obol_vendor_keys_create(dir, &shop.sign, &shop.box));
	REQUIRE_OK(obol_issuer_run(n.iss, add_vendor, &shop));
	struct payword_vendor_state *cfg = calloc(1, sizeof(*cfg));
	REQUIRE(cfg != NULL);
	cfg->cfg.mode = PAYWORD_MODE_GENERIC;
	cfg->cfg.crl_max_age = 60;
	cfg->report = PAYWORD_REPORT_ONLINE;
	cfg->batch_interval = 5;
	cfg->crl_interval = 1;
	cfg->nproducts = 1;
	snprintf(cfg->products[0].id, sizeof(cfg->products[0].id), "article-1");
	cfg->products[0].price = pw_eur("EUR:0.02");
	snprintf(cfg->products[0].type, sizeof(cfg->products[0].type), "text/plain");
	REQUIRE_OK(payword_vendor_config_save(dir, cfg));
	free(cfg);
	snprintf(path, sizeof(path), "%s/payword-products", dir);
	REQUIRE(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/payword-products/article-1", dir);
	FILE *f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("today's article\n", f);
	fclose(f);
	struct obol_vendor_config vcfg = { .dir = dir, .listen = "127.0.0.1:0", .issuer_url = n.url,
					   .http_listen = "127.0.0.1:0", .outbox_interval_ms = 50 };
	REQUIRE_OK(obol_vendor_start(&vcfg, &v));
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", obol_vendor_port(v));
	snprintf(http, sizeof(http), "http://127.0.0.1:%u", obol_vendor_http_port(v));

	/* a purchase, then the very same request again (its reply was lost) */
	struct payword_pay req, other;
	struct payword_pay_reply r1, r2, r3;
	struct payword_wallet_pay_req wr = pw_req(shop.cert.vendor_id, "EUR:0.02", obol_now());
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, &wr, &req));
	REQUIRE_OK(payword_wallet_pay_link(addr, n.agent_pk, &req, &r1));
	CHECK(r1.auth > 0);
	REQUIRE_OK(payword_wallet_pay_link(addr, n.agent_pk, &req, &r2));
	CHECK_EQ_INT(r2.auth, r1.auth);
	/* the same order with another product: refused with the reason */
	other = req;
	snprintf(other.product, sizeof(other.product), "image-9");
	REQUIRE_OK(payword_wallet_pay_link(addr, n.agent_pk, &other, &r3));
	CHECK_EQ_INT(r3.auth, PAYWORD_AUTH_NONE);
	CHECK_EQ_INT(r3.err, OBOL_E_NOT_FOUND);
	/* a price that is not the product's */
	other = req;
	other.value = pw_eur("EUR:0.01");
	REQUIRE_OK(payword_wallet_pay_link(addr, n.agent_pk, &other, &r3));
	CHECK(r3.auth == PAYWORD_AUTH_NONE && r3.err == OBOL_E_PAYWORD_VALUE_MISMATCH);

	/* the product page: the article for its buyer's signed request, nothing else */
	struct obol_sign_keypair mallory;
	char *body = NULL;
	size_t blen = 0;
	long status = 0;
	obol_sign_keypair_new(&mallory);
	REQUIRE_OK(product_page(http, shop.cert.vendor_id, r1.auth, &w.user, &status, &body, &blen));
	CHECK_EQ_INT(status, 200);
	CHECK(body != NULL && strcmp(body, "today's article\n") == 0);
	free(body);
	REQUIRE_OK(product_page(http, shop.cert.vendor_id, r1.auth, &mallory, &status, &body, &blen));
	CHECK_EQ_INT(status, 403);
	CHECK_ERR(obol_json_error_from_body(body, blen), OBOL_E_PAYWORD_AUTH_INVALID);
	free(body);
	REQUIRE_OK(product_page(http, shop.cert.vendor_id, r1.auth + 1, &w.user, &status, &body, &blen));
	CHECK_EQ_INT(status, 403);
	free(body);
	REQUIRE_OK(product_page(http, shop.cert.vendor_id, r1.auth, NULL, &status, &body, &blen));
	CHECK_EQ_INT(status, 403);
	free(body);

	/* the report reaches the agent once: the vendor is paid 2 tokens */
	va.id = (int64_t)shop.cert.vendor_id;
	for (int i = 0; i < 100; i++) {
		REQUIRE_OK(store_test_ledger_tx(db_url, balance, &va));
		if (va.amount.units == pw_eur("EUR:0.02").units)
			break;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	CHECK_EQ_INT(va.amount.units, pw_eur("EUR:0.02").units);
	CHECK_OK(audit(db_url));

	obol_vendor_stop(v);
	obol_http_client_free(cu);
	stop(&n);
	CHECK_OK(audit(db_url));
}

/* --- the wallet, end to end (seed §4; cases 9, 10) ------------------------ */

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../net/link_fixture.h"
#include "wallet/file.h"
#include "wallet/issuer_link.h"

/* A vendor whose replies to purchases are lost: it answers HELLO with a
 * price and its vendor id (or another's, lying), reads each PAY and drops
 * the link. */
struct mute_vendor {
	int fd;
	const struct obol_devlink_identity *id; /* a certificate of the test's issuer */
	uint64_t vendor_id;                     /* the certificate's */
	uint16_t port;
	int pays;
	const char *price;
	bool lies;                              /* names another vendor's id */
	pthread_t th;
};

static void *mute_loop(void *arg)
{
	struct mute_vendor *m = arg;
	for (int i = 0; i < 6; i++) {
		struct obol_devlink *dl = NULL;
		const uint8_t *body;
		size_t len;
		uint32_t type;
		if (obol_devlink_accept(m->fd, 5000, 5000, &dl) != OBOL_OK)
			break;
		if (obol_devlink_respond(dl, m->id) == OBOL_OK && obol_devlink_read(dl, &type, &body, &len) == OBOL_OK) {
			if (type == PAYWORD_MSG_HELLO) {
				struct payword_info_wire info = { .vendor_id = m->vendor_id + (m->lies ? 1 : 0),
								  .has_price = true };
				struct payword_info_spec is;
				snprintf(info.mode, sizeof(info.mode), "generic");
				info.price = pw_eur(m->price);
				payword_info_spec_init(&is, &info);
				if (obol_devlink_write(dl, PAYWORD_MSG_INFO, &is.spec) != OBOL_OK)
					break;
			} else if (type == PAYWORD_MSG_PAY) {
				m->pays++;
			}
		}
		obol_devlink_close(dl);
	}
	return NULL;
}

/* An agent, and a wallet whose account the operator opened, registered,
 * funded and holding 10 tokens. */
static obol_err wallet_setup(const char *db_url, struct net *n, struct obol_wallet **w, struct acct *a)
{
	struct obol_wallet_keysrc ks = { 0 };
	struct obol_sign_keypair kp;
	struct payword_buy_outcome out;
	char path[600];
	int64_t account = 0;
	obol_err e;
	if (setenv("OBOL_ARGON2_FAST", "1", 1) != 0 || setenv("OBOL_PASSPHRASE", "wallet passphrase", 1) != 0)
		return OBOL_E_INTERNAL;
	memset(n, 0, sizeof(*n));
	if ((e = obol_crypto_init()) != OBOL_OK || (e = start(db_url, n, "0")) != OBOL_OK)
		return e;
	snprintf(path, sizeof(path), "%s/alice.wallet", test_tmpdir());
	obol_sign_keypair_new(&kp);
	a->name = "alice";
	a->kind = OBOL_ACCOUNT_USER;
	memcpy(a->pk, kp.pk, 32);
	if ((e = obol_wallet_create(path, &ks, w)) != OBOL_OK ||
	    (e = obol_wallet_set_issuer(*w, n->url, n->agent_pk, obol_issuer_keys(n->iss)->box.pk, "EUR")) != OBOL_OK ||
	    (e = obol_wallet_set_account(*w, 0, "alice", kp.sk)) != OBOL_OK)
		return e;
	/* case 8: no payword user without the operator's account */
	if (payword_wallet_register(*w, "alice", "correct horse", &account) != OBOL_E_NOT_FOUND)
		return OBOL_E_INTERNAL;
	if ((e = store_test_ledger_tx(db_url, mk_account, a)) != OBOL_OK ||
	    (e = payword_wallet_register(*w, "alice", "correct horse", &account)) != OBOL_OK)
		return e;
	a->amount = pw_eur("EUR:1");
	if ((e = store_test_ledger_tx(db_url, fund, a)) != OBOL_OK ||
	    (e = payword_wallet_buy_tokens(*w, "correct horse", 0, 10, false, &out)) != OBOL_OK)
		return e;
	return out.n == 10 ? OBOL_OK : OBOL_E_INTERNAL;
}

/* Starts a mute vendor certified by the test's issuer; *addr its address. */
static obol_err mute_start(struct net *n, struct mute_vendor *mv, struct test_link_vendor *tv, char addr[64])
{
	/* certified as the issuer certifies vendors: by its online key in use */
	struct obol_online_keyring *r = calloc(1, sizeof *r);
	const struct obol_online_key *k = NULL;
	struct obol_store *s = NULL;
	obol_err e = r != NULL ? obol_store_open(n->db, false, &s) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && (e = obol_online_keyring_load(s, obol_now(), r)) == OBOL_OK &&
	    (e = obol_online_keyring_pick(r, obol_now(), &k)) == OBOL_OK)
		e = test_link_vendor(k->kp.sk, tv);
	obol_store_close(s);
	if (r != NULL)
		obol_online_keyring_wipe(r);
	free(r);
	if (e == OBOL_OK)
		e = obol_devlink_listen("127.0.0.1:0", &mv->fd, &mv->port);
	if (e)
		return e;
	mv->id = &tv->id;
	mv->vendor_id = tv->cert.vendor_id;
	if (pthread_create(&mv->th, NULL, mute_loop, mv) != 0)
		return OBOL_E_INTERNAL;
	snprintf(addr, 64, "127.0.0.1:%u", mv->port);
	return OBOL_OK;
}

TEST_DB(payword_wallet_link, lost_replies_put_tokens_in_doubt_and_regeneration_returns_them)
{
	struct net n;
	struct mute_vendor mv = { .price = "EUR:0.02" };
	struct obol_wallet *w = NULL;
	struct payword_buy_outcome out;
	struct payword_purchase p;
	struct payword_wallet_cert c;
	struct acct alice = { 0 };
	char addr[64];
	REQUIRE_OK(wallet_setup(db_url, &n, &w, &alice));

	/* the vendor receives the purchase and its retries, and no reply gets back */
	struct test_link_vendor tv;
	REQUIRE_OK(mute_start(&n, &mv, &tv, addr));
	struct payword_purchase_req pr = { .addr = addr, .product = "article-1", .retries = 2 };
	obol_err e = payword_wallet_purchase(w, "correct horse", &pr, &p);
	CHECK(e == OBOL_E_DEVLINK_CLOSED || e == OBOL_E_NETWORK || e == OBOL_E_WIRE_TRUNCATED);
	shutdown(mv.fd, SHUT_RDWR); /* no more links: the vendor's loop ends */
	pthread_join(mv.th, NULL);
	close(mv.fd);
	CHECK_EQ_INT(mv.pays, 3); /* the purchase and two retries, the very same request */
	REQUIRE_OK(payword_wallet_load(w, 0, "correct horse", &c));
	CHECK(!c.pending);
	CHECK_EQ_INT(c.in_doubt, 2);
	CHECK_EQ_INT(c.next, 3); /* orders 1..2 are skipped, never offered again */
	CHECK_EQ_INT(payword_wallet_unspent(&c), 8);
	payword_wallet_wipe(&c);

	/* no vendor reported them: with no grace their value returns now */
	REQUIRE_OK(payword_wallet_buy_tokens(w, "correct horse", 0, 0, false, &out));
	CHECK_EQ_INT(out.carried, 10);
	CHECK_EQ_INT(out.first_order, 11);
	REQUIRE_OK(payword_wallet_load(w, 0, "correct horse", &c));
	CHECK_EQ_INT(payword_wallet_unspent(&c), 10);
	payword_wallet_wipe(&c);
	CHECK_OK(audit(db_url));

	obol_wallet_close(w);
	stop(&n);
}

/* Case 9: a vendor asking more than the caller allows gets nothing signed;
 * nor does one that names another vendor's id than its certificate's; and
 * while a token purchase is pending the old chain is not spent (the agent
 * may have moved its tokens already). */
TEST_DB(payword_wallet_link, no_payment_above_the_cap_nor_while_tokens_are_pending)
{
	struct net n;
	struct mute_vendor mv = { .price = "EUR:0.05" };
	struct obol_wallet *w = NULL;
	struct payword_buy_outcome out;
	struct payword_purchase p;
	struct payword_wallet_cert c;
	struct acct alice = { 0 };
	char addr[64];
	REQUIRE_OK(wallet_setup(db_url, &n, &w, &alice));
	struct test_link_vendor tv;
	REQUIRE_OK(mute_start(&n, &mv, &tv, addr));
	struct obol_amount cap = pw_eur("EUR:0.04");
	struct payword_purchase_req pr = { .addr = addr, .product = "article-1", .max_amount = &cap };
	CHECK_ERR(payword_wallet_purchase(w, "correct horse", &pr, &p), OBOL_E_PAYWORD_PRICE_ABOVE_MAX);
	mv.lies = true;
	pr.max_amount = NULL;
	CHECK_ERR(payword_wallet_purchase(w, "correct horse", &pr, &p), OBOL_E_PAYWORD_VENDOR_MISMATCH);
	mv.lies = false;
	REQUIRE_OK(payword_wallet_load(w, 0, "correct horse", &c));
	CHECK(c.next == 1 && !c.pending);
	payword_wallet_wipe(&c);
	/* the agent goes away in the middle of a token purchase */
	char url[64];
	snprintf(url, sizeof(url), "%s", n.url);
	stop(&n);
	CHECK_ERR(payword_wallet_buy_tokens(w, "correct horse", 0, 5, false, &out), OBOL_E_NETWORK);
	CHECK_ERR(payword_wallet_purchase(w, "correct horse", &pr, &p), OBOL_E_PAYWORD_BUY_PENDING);
	CHECK_EQ_INT(mv.pays, 0);
	obol_wallet_close(w);
	int fd = mv.fd;
	shutdown(fd, SHUT_RDWR);
	pthread_join(mv.th, NULL);
	close(fd);
	(void)url;
}

/* A token purchase whose first copy reached the agent and whose reply was
 * lost is sent again by a later run of the wallet, from the wallet file:
 * the same bytes, so the agent answers it with its first answer. A copy
 * with another body would be IDEMPOTENCY_MISMATCH; were that taken as a
 * refusal, the wallet would spend the old chain at the position it signed,
 * and the agent would name the honest user a double spender (P4). */
TEST_DB(payword_wallet_link, a_purchase_resent_from_the_wallet_file_gets_the_first_answer)
{
	struct net n;
	struct obol_wallet *w = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	struct obol_http_client *c = NULL;
	struct payword_buy_outcome out;
	struct payword_wallet_cert cert;
	struct acct alice = { 0 };
	json_t *body = NULL, *reply = NULL;
	char path[600];
	REQUIRE_OK(wallet_setup(db_url, &n, &w, &alice));
	snprintf(path, sizeof(path), "%s/alice.wallet", test_tmpdir());

	/* the wallet records the purchase; its first send gets no answer */
	REQUIRE_OK(obol_wallet_set_issuer(w, "http://127.0.0.1:1", n.agent_pk, obol_issuer_keys(n.iss)->box.pk, "EUR"));
	CHECK_ERR(payword_wallet_buy_tokens(w, "correct horse", 0, 5, false, &out), OBOL_E_NETWORK);
	REQUIRE_OK(obol_wallet_set_issuer(w, n.url, n.agent_pk, obol_issuer_keys(n.iss)->box.pk, "EUR"));
	REQUIRE_OK(obol_wallet_save(w));
	/* ... yet that very copy reaches the agent, which ends the certificate
	 * at the signed position; its reply is lost */
	REQUIRE_OK(payword_wallet_buy_body(w, "correct horse", &body));
	REQUIRE_OK(obol_wallet_client(w, true, &c));
	REQUIRE_OK(obol_http_post_json(c, "/payword/buy", body, OBOL_HTTP_AUTH, &reply));
	uint64_t serial = (uint64_t)json_integer_value(json_object_get(reply, "serial"));
	CHECK(serial > 1);
	json_decref(reply);
	json_object_del(body, "password");
	json_decref(body);
	obol_http_client_free(c);
	obol_wallet_close(w);

	/* the next run of the wallet sends it again from the file */
	REQUIRE_OK(obol_wallet_open(path, &ks, &w));
	REQUIRE_OK(payword_wallet_buy_tokens(w, "correct horse", 0, 5, false, &out));
	CHECK_EQ_INT(out.serial, serial);
	REQUIRE_OK(payword_wallet_load(w, 0, "correct horse", &cert));
	CHECK_EQ_INT(cert.uc.vc.serial, serial);
	CHECK_EQ_INT(payword_wallet_unspent(&cert), 15);
	payword_wallet_wipe(&cert);
	CHECK_OK(audit(db_url));
	obol_wallet_close(w);
	stop(&n);
}
