/* The payword agent in a real issuer daemon on 127.0.0.1: registration,
 * purchase, download, reports, fraud, regeneration, with the audit holding
 * after each step (seed 003 §3.5; DESIGN §4, §7). */
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/issuer.h"
#include "net/http_client.h"
#include "pw_fixture.h"
#include "schemes/payword/wire.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "wire/json.h"

struct net {
	struct obol_issuer *iss;
	char url[64];
	struct obol_http_client *anon;
	uint8_t agent_pk[32];
};

static obol_err start(const char *db_url, struct net *n, const char *grace)
{
	struct obol_init_arg args[] = { { "payword-grace", grace } };
	struct obol_issuer_config cfg = { .db_url = db_url, .listen = "127.0.0.1:0", .threads = 2 };
	FILE *devnull = fopen("/dev/null", "w");
	obol_err e = obol_issuer_init_db(db_url, "EUR", args, 1, devnull);
	fclose(devnull);
	if (e == OBOL_OK)
		e = obol_issuer_start(&cfg, &n->iss);
	if (e)
		return e;
	memcpy(n->agent_pk, obol_issuer_keys(n->iss)->master.pk, 32);
	snprintf(n->url, sizeof(n->url), "http://127.0.0.1:%u", obol_issuer_port(n->iss));
	return obol_http_client_new(n->url, 0, &n->anon);
}

static obol_err with_ledger(const char *db_url, obol_err (*fn)(struct obol_store *, void *), void *ctx)
{
	struct obol_store *s = NULL;
	obol_err e = obol_store_open(db_url, false, &s);
	if (e == OBOL_OK)
		e = obol_ledger_attach(s);
	if (e == OBOL_OK)
		e = obol_store_begin(s);
	if (e == OBOL_OK) {
		e = fn(s, ctx);
		if (e == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
	}
	obol_store_close(s);
	return e;
}

struct acct {
	const char *name;
	enum obol_account_kind kind;
	uint8_t pk[32];
	int64_t id;
	struct obol_amount amount;
};

static obol_err mk_vendor(struct obol_store *s, void *ctx)
{
	struct acct *a = ctx;
	return obol_account_create(s, OBOL_ACCOUNT_VENDOR, a->name, a->pk, &a->id);
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

static obol_err audit(const char *db_url)
{
	struct obol_store *s = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	obol_err e = obol_store_open(db_url, false, &s);
	if (e == OBOL_OK)
		e = obol_ledger_attach(s);
	if (e == OBOL_OK)
		e = obol_audit_run(s, devnull);
	fclose(devnull);
	obol_store_close(s);
	return e;
}

static obol_err post(struct obol_http_client *c, const char *path, json_t *body, json_t **out)
{
	obol_err e = obol_http_post_json(c, path, body, c != NULL ? OBOL_HTTP_AUTH : 0, out);
	json_decref(body);
	return e;
}

static obol_err vendor_client(struct net *n, struct obol_sign_keypair *kp, int64_t id, const char *mode,
			      struct obol_http_client **out)
{
	json_t *r = NULL;
	obol_err e = obol_http_client_new(n->url, 0, out);
	if (e)
		return e;
	obol_http_client_set_account(*out, id, kp->sk);
	e = post(*out, "/payword/vendor/register", json_pack("{s:s}", "mode", mode), &r);
	json_decref(r);
	return e;
}

/* Buys tokens (pos < 0: the wallet lost its certificate) and downloads the
 * user certificate into w. */
static obol_err buy(struct net *n, struct pw_world *w, const char *rid, uint64_t tokens, uint64_t scope, int64_t pos,
		    json_t **reply)
{
	json_t *b = json_pack("{s:s, s:s, s:s, s:I, s:I}", "request_id", rid, "username", "alice", "password",
			      "correct horse", "tokens", (json_int_t)tokens, "scope", (json_int_t)scope);
	json_t *r = NULL, *c = NULL;
	uint8_t buf[PAYWORD_UCERT_MAX];
	size_t len;
	if (pos >= 0)
		json_object_set_new(b, "pos", json_integer(pos));
	obol_err e = obol_http_post_json(n->anon, "/payword/buy", b, 0, &r);
	json_decref(b);
	if (e)
		return e;
	b = json_pack("{s:s, s:s, s:O}", "username", "alice", "password", "correct horse", "serial",
		      json_object_get(r, "serial"));
	e = obol_http_post_json(n->anon, "/payword/cert", b, 0, &c);
	json_decref(b);
	if (e == OBOL_OK)
		e = obol_b64_decode(json_string_value(json_object_get(c, "ucert")), buf, sizeof(buf), &len, 0);
	if (e == OBOL_OK)
		e = payword_wallet_accept(buf, len, n->agent_pk, "alice", w->user.pk, &w->w);
	json_decref(c);
	if (reply != NULL)
		*reply = r;
	else
		json_decref(r);
	return e;
}

/* Sends a claim as a vendor; *accepted from the answer. */
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

TEST_DB(payword_issuer, register_buy_spend_report_fraud_regenerate)
{
	struct net n;
	struct pw_world w;
	struct obol_sign_keypair ka, kb;
	struct acct va = { .name = "shop-a" }, vb = { .name = "shop-b" }, alice = { 0 };
	struct obol_http_client *ca = NULL, *cb = NULL;
	json_t *r = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));

	/* registration (seed §3.5): the name is taken once; a weak password is refused */
	json_t *reg = json_pack("{s:s, s:s, s:s}", "username", "alice", "password", "correct horse", "user_pk", "");
	char pk64[OBOL_B64_LEN(32)];
	REQUIRE_OK(obol_b64_encode(w.user.pk, 32, pk64, sizeof(pk64)));
	json_object_set_new(reg, "user_pk", json_string(pk64));
	REQUIRE_OK(obol_http_post_json(n.anon, "/payword/register", reg, 0, &r));
	alice.id = json_integer_value(json_object_get(r, "account"));
	json_decref(r);
	json_object_set_new(reg, "username", json_string("alice2"));
	json_object_set_new(reg, "password", json_string("short"));
	CHECK_ERR(obol_http_post_json(n.anon, "/payword/register", reg, 0, &r), OBOL_E_PAYWORD_PASSWORD_WEAK);
	json_object_set_new(reg, "username", json_string("alice"));
	json_object_set_new(reg, "password", json_string("another one"));
	CHECK_ERR(obol_http_post_json(n.anon, "/payword/register", reg, 0, &r), OBOL_E_PAYWORD_USER_EXISTS);
	json_decref(reg);

	/* vendors: A generic, B generic */
	obol_sign_keypair_new(&ka);
	obol_sign_keypair_new(&kb);
	memcpy(va.pk, ka.pk, 32);
	memcpy(vb.pk, kb.pk, 32);
	REQUIRE_OK(with_ledger(db_url, mk_vendor, &va));
	REQUIRE_OK(with_ledger(db_url, mk_vendor, &vb));
	REQUIRE_OK(vendor_client(&n, &ka, va.id, "generic", &ca));
	REQUIRE_OK(vendor_client(&n, &kb, vb.id, "generic", &cb));
	CHECK_ERR(post(ca, "/payword/vendor/register", json_pack("{s:s}", "mode", "specific"), &r),
		  OBOL_E_PAYWORD_VENDOR_MODE);

	/* a specific chain needs a vendor of the specific system */
	CHECK_ERR(buy(&n, &w, "r9", 5, (uint64_t)va.id, -1, NULL), OBOL_E_PAYWORD_WRONG_VENDOR);
	/* buying needs money and the right password */
	CHECK_ERR(buy(&n, &w, "r1", 10, 0, -1, NULL), OBOL_E_LEDGER_INSUFFICIENT_FUNDS);
	alice.amount = pw_eur("EUR:1");
	REQUIRE_OK(with_ledger(db_url, fund, &alice));
	json_t *bad = json_pack("{s:s, s:s, s:s, s:i, s:i}", "request_id", "r0", "username", "alice", "password",
				"wrong horse", "tokens", 10, "scope", 0);
	CHECK_ERR(obol_http_post_json(n.anon, "/payword/buy", bad, 0, &r), OBOL_E_PAYWORD_BAD_PASSWORD);
	json_decref(bad);
	REQUIRE_OK(buy(&n, &w, "r1", 10, 0, -1, &r));
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "n")), 10);
	json_decref(r);
	/* the same request again (lost reply): nothing moves twice */
	REQUIRE_OK(buy(&n, &w, "r1", 10, 0, -1, NULL));
	REQUIRE_OK(with_ledger(db_url, balance, &alice));
	CHECK_EQ_INT(alice.amount.units, pw_eur("EUR:0.9").units);
	w.va.vendor_id = (uint64_t)va.id;
	w.vb.vendor_id = (uint64_t)vb.id;
	memcpy(w.va.agent_pk, n.agent_pk, 32);
	memcpy(w.vb.agent_pk, n.agent_pk, 32);
	CHECK_OK(audit(db_url));

	/* purchases: 1 at A, 2..3 at B, 4 at A */
	struct payword_vendor_serial sa, sb;
	struct payword_claim c1, c2, c3;
	bool ha = false, hb = false;
	int64_t t0 = obol_now() - 10;
	REQUIRE_OK(pw_buy(&w, &w.va, &sa, &ha, "EUR:0.01", t0, &c1));
	REQUIRE_OK(pw_buy(&w, &w.vb, &sb, &hb, "EUR:0.02", t0 + 1, &c2));
	REQUIRE_OK(pw_buy(&w, &w.va, &sa, &ha, "EUR:0.01", t0 + 2, &c3));
	REQUIRE_OK(report(ca, &c1, &r));
	CHECK(json_is_true(json_object_get(r, "accepted")));
	json_decref(r);
	REQUIRE_OK(report(cb, &c2, &r));
	json_decref(r);
	REQUIRE_OK(report(ca, &c3, &r));
	json_decref(r);
	/* a report sent again is a duplicate; a report naming another vendor's visit is refused */
	REQUIRE_OK(report(ca, &c3, &r));
	json_decref(r);
	CHECK_ERR(report(cb, &c1, &r), OBOL_E_PAYWORD_COMMITMENT_INVALID);
	REQUIRE_OK(with_ledger(db_url, balance, &va));
	CHECK_EQ_INT(va.amount.units, pw_eur("EUR:0.02").units);
	CHECK_OK(audit(db_url));

	/* seed §3.1: A derives token 2 from token 4 and claims it in its first visit */
	struct payword_claim fake = c1;
	fake.order = 2;
	fake.auth = 777;
	obol_hashchain_step(fake.token, c3.token, 2);
	REQUIRE_OK(report(ca, &fake, &r));
	CHECK(json_is_false(json_object_get(r, "accepted")));
	CHECK_EQ_STR(json_string_value(json_object_get(r, "verdict")), "vendor-fabrication");
	json_decref(r);
	/* A is revoked: its requests are refused from now on */
	CHECK_ERR(report(ca, &c3, &r), OBOL_E_LEDGER_ACCOUNT_CLOSED);
	CHECK_OK(audit(db_url));

	/* the wallet loses its certificate: regeneration keeps exactly the unspent value */
	REQUIRE_OK(buy(&n, &w, "r2", 0, 0, -1, &r));
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "carried")), 6);
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "n")), 6);
	CHECK_EQ_INT(json_integer_value(json_object_get(r, "first_order")), 11);
	json_decref(r);
	CHECK_EQ_INT(payword_wallet_unspent(&w.w), 6);
	CHECK_OK(audit(db_url));
	/* step D delivers the live certificate only */
	json_t *old = json_pack("{s:s, s:s, s:i}", "username", "alice", "password", "correct horse", "serial", 1);
	CHECK_ERR(obol_http_post_json(n.anon, "/payword/cert", old, 0, &r), OBOL_E_PAYWORD_CERT_REVOKED);
	json_decref(old);
	/* the old certificate is on the CRL */
	REQUIRE_OK(obol_http_get_json(n.anon, "/payword/crl", 0, &r));
	{
		struct payword_crl_wire *cw = calloc(1, sizeof(*cw));
		struct payword_crl_spec cs;
		struct payword_crl crl;
		REQUIRE(cw != NULL);
		payword_crl_spec_init(&cs, cw);
		CHECK_OK(obol_json_decode(r, &cs.spec));
		REQUIRE_OK(payword_crl_from_wire(cw, &crl));
		CHECK_OK(payword_crl_verify(&crl, n.agent_pk));
		CHECK(payword_crl_contains(&crl, 1) && !payword_crl_contains(&crl, 2));
		free(crl.serials);
		free(cw);
	}
	json_decref(r);

	obol_http_client_free(ca);
	obol_http_client_free(cb);
	obol_http_client_free(n.anon);
	obol_issuer_stop(n.iss);
	CHECK_OK(audit(db_url));
}

/* --- the vendor daemon in process --------------------------------------- */

#include "issuer/vendors.h"
#include "net/devlink.h"
#include "vendor/payword_vendor.h"
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
	return obol_issuer_vendor_add(s, obol_issuer_keys(v->iss), "kiosk", v->sign.pk, v->box.pk, 10, obol_now(),
				      &v->cert);
}

TEST_DB(payword_vendor_daemon, retry_same_auth_report_once_product_page)
{
	struct net n;
	struct pw_world w;
	struct vshop shop;
	struct acct alice = { 0 }, va = { 0 };
	char dir[600], path[700], addr[64], http[64];
	struct obol_vendor *v = NULL;
	json_t *r = NULL;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	memset(&n, 0, sizeof(n));
	memset(&shop, 0, sizeof(shop));
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(start(db_url, &n, "0"));
	shop.iss = n.iss;

	/* alice registered, funded, holding 10 tokens */
	char pk64[OBOL_B64_LEN(32)];
	REQUIRE_OK(obol_b64_encode(w.user.pk, 32, pk64, sizeof(pk64)));
	json_t *reg = json_pack("{s:s, s:s, s:s}", "username", "alice", "password", "correct horse", "user_pk", pk64);
	REQUIRE_OK(obol_http_post_json(n.anon, "/payword/register", reg, 0, &r));
	json_decref(reg);
	alice.id = json_integer_value(json_object_get(r, "account"));
	json_decref(r);
	alice.amount = pw_eur("EUR:1");
	REQUIRE_OK(with_ledger(db_url, fund, &alice));
	REQUIRE_OK(buy(&n, &w, "r1", 10, 0, -1, NULL));

	/* the vendor: keys, certificate, payword setup with one article */
	snprintf(dir, sizeof(dir), "%s/kiosk", test_tmpdir());
	REQUIRE_OK(obol_vendor_keys_create(dir, &shop.sign, &shop.box));
	REQUIRE_OK(obol_issuer_run(n.iss, add_vendor, &shop));
	struct payword_vendor_state *cfg = calloc(1, sizeof(*cfg));
	REQUIRE(cfg != NULL);
	cfg->cfg.mode = PAYWORD_MODE_GENERIC;
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
	w.va.vendor_id = shop.cert.vendor_id;

	/* a purchase, then the very same request again (its reply was lost) */
	struct payword_pay req, other;
	struct payword_pay_reply r1, r2, r3;
	struct obol_amount price = pw_eur("EUR:0.02");
	REQUIRE_OK(payword_wallet_pay(&w.w, w.user.sk, shop.cert.vendor_id, &price, "article-1", obol_now(), &req));
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

	/* the product page: the article for its number, nothing without */
	struct obol_http_client *hc = NULL;
	char p1[128], *body = NULL;
	size_t blen = 0;
	long status = 0;
	REQUIRE_OK(obol_http_client_new(http, 0, &hc));
	snprintf(p1, sizeof(p1), "/payword/product/article-1?auth=%lld", (long long)r1.auth);
	REQUIRE_OK(obol_http_request(hc, "GET", p1, NULL, 0, 0, &status, &body, &blen));
	CHECK_EQ_INT(status, 200);
	CHECK(body != NULL && strcmp(body, "today's article\n") == 0);
	free(body);
	snprintf(p1, sizeof(p1), "/payword/product/article-1?auth=%lld", (long long)r1.auth + 1);
	REQUIRE_OK(obol_http_request(hc, "GET", p1, NULL, 0, 0, &status, &body, &blen));
	CHECK_EQ_INT(status, 403);
	CHECK_ERR(obol_json_error_from_body(body, blen), OBOL_E_PAYWORD_AUTH_INVALID);
	free(body);
	obol_http_client_free(hc);

	/* the report reaches the agent once: the vendor is paid 2 tokens */
	va.id = (int64_t)shop.cert.vendor_id;
	for (int i = 0; i < 100; i++) {
		REQUIRE_OK(with_ledger(db_url, balance, &va));
		if (va.amount.units == pw_eur("EUR:0.02").units)
			break;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	CHECK_EQ_INT(va.amount.units, pw_eur("EUR:0.02").units);
	CHECK_OK(audit(db_url));

	obol_vendor_stop(v);
	obol_http_client_free(n.anon);
	obol_issuer_stop(n.iss);
	CHECK_OK(audit(db_url));
}

/* --- a lost reply, end to end through the wallet (seed §4) -------------- */

#include <pthread.h>
#include <unistd.h>

#include "../net/link_fixture.h"
#include "wallet/file.h"
#include "wallet/payword.h"

/* A vendor whose replies to purchases are lost: it answers HELLO, reads each
 * PAY and drops the link. */
struct mute_vendor {
	int fd;
	const struct obol_devlink_identity *id; /* a certificate of the test's issuer */
	uint16_t port;
	int pays;
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
				struct payword_info_wire info = { .vendor_id = 77, .has_price = true };
				struct payword_info_spec is;
				snprintf(info.mode, sizeof(info.mode), "generic");
				info.price = pw_eur("EUR:0.02");
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

TEST_DB(payword_wallet_link, lost_replies_put_tokens_in_doubt_and_regeneration_returns_them)
{
	struct net n;
	struct mute_vendor mv = { 0 };
	struct obol_wallet *w = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	struct payword_buy_outcome out;
	struct payword_purchase p;
	struct payword_wallet_cert c;
	struct acct alice = { 0 };
	char path[600], addr[64];
	int64_t account = 0;
	REQUIRE(setenv("OBOL_ARGON2_FAST", "1", 1) == 0);
	REQUIRE(setenv("OBOL_PASSPHRASE", "wallet passphrase", 1) == 0);
	memset(&n, 0, sizeof(n));
	REQUIRE_OK(obol_crypto_init());
	REQUIRE_OK(start(db_url, &n, "0"));

	snprintf(path, sizeof(path), "%s/alice.wallet", test_tmpdir());
	REQUIRE_OK(obol_wallet_create(path, &ks, &w));
	REQUIRE_OK(obol_wallet_set_issuer(w, n.url, n.agent_pk, obol_issuer_keys(n.iss)->box.pk, "EUR"));
	REQUIRE_OK(payword_wallet_register(w, "alice", "correct horse", &account));
	alice.id = account;
	alice.amount = pw_eur("EUR:1");
	REQUIRE_OK(with_ledger(db_url, fund, &alice));
	REQUIRE_OK(payword_wallet_buy_tokens(w, "correct horse", 0, 10, false, &out));
	CHECK_EQ_INT(out.n, 10);

	/* the vendor receives the purchase and its retries, and no reply gets back */
	struct test_link_vendor tv;
	REQUIRE_OK(test_link_vendor(obol_issuer_keys(n.iss)->master.sk, &tv));
	mv.id = &tv.id;
	REQUIRE_OK(obol_devlink_listen("127.0.0.1:0", &mv.fd, &mv.port));
	REQUIRE(pthread_create(&mv.th, NULL, mute_loop, &mv) == 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", mv.port);
	obol_err e = payword_wallet_purchase(w, "correct horse", addr, "article-1", 2, &p);
	CHECK(e == OBOL_E_DEVLINK_CLOSED || e == OBOL_E_NETWORK || e == OBOL_E_WIRE_TRUNCATED);
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
	obol_http_client_free(n.anon);
	obol_issuer_stop(n.iss);
}
