/* The codex payee on the vendor daemon (src/vendor/codex_vendor.c) with a
 * real issuer and a real wallet file: a payment over the device link, the
 * same payment again (refused), a wrong amount and a frame out of order
 * (refused), and the deposit paid once per token. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "issuer/vendors.h"
#include "net/devlink.h"
#include "store/ledger.h"
#include "vendor/vendor.h"
#include "wallet/codex_wallet.h"
#include "wire/cbor.h"
#include "vendor/outbox.h"
#include "../test.h"

struct vt {
	struct obol_issuer *iss;
	struct obol_vendor *v;
	char dir[512], url[64], addr[64];
	struct obol_sign_keypair vsign, alice;
	struct obol_box_keypair vbox;
	struct obol_vendor_cert cert;
	int64_t alice_id;
};

static obol_err vendor_add(struct obol_store *s, void *arg)
{
	struct vt *t = arg;
	struct obol_ed25519_signer sg;
	obol_err e = obol_issuer_signer(t->iss, obol_now(), &sg);
	return e != OBOL_OK ? e : obol_issuer_vendor_add(s, &sg, "kiosk", t->vsign.pk, t->vbox.pk, 10, obol_now(),
				      &t->cert);
}

static obol_err alice_add(struct obol_store *s, void *arg)
{
	struct vt *t = arg;
	struct obol_amount a = { .units = 2000000000, .currency = "EUR" };
	obol_err e = obol_account_create(s, OBOL_ACCOUNT_USER, "alice", t->alice.pk, &t->alice_id);
	return e == OBOL_OK ? obol_ledger_fund(s, t->alice_id, &a, "t") : e;
}

struct bal {
	int64_t id, units;
};

static obol_err read_balance(struct obol_store *s, void *arg)
{
	struct bal *b = arg;
	struct obol_amount a;
	obol_err e = obol_ledger_balance(s, b->id, &a);
	b->units = a.units;
	return e;
}

/* HELLO, then the vendor's REQUEST. */
static obol_err pending_deposits(struct obol_store *s, void *arg)
{
	return obol_outbox_count(s, "codex", OBOL_OUTBOX_PENDING, arg);
}

static obol_err hello(struct obol_devlink *l, struct codex_msg_request *req)
{
	struct codex_msg_hello h = { .has_amount = false };
	struct obol_field f[2];
	struct obol_fields spec;
	const uint8_t *body;
	size_t len;
	uint32_t type;
	obol_err e;
	codex_msg_hello_spec(&h, f, &spec);
	if ((e = obol_devlink_write(l, CODEX_MSG_HELLO, &spec)) != OBOL_OK || (e = obol_devlink_read(l, &type, &body, &len)) != OBOL_OK)
		return e;
	if (type != CODEX_MSG_REQUEST)
		return OBOL_E_INTERNAL;
	codex_msg_request_spec(req, f, &spec);
	return obol_cbor_decode(body, len, &spec);
}

/* PAY, then the vendor's answer: OK for an ACK; for a REFUSAL, the reason
 * it names, with the refusal in *ref. */
static obol_err send_pay(struct obol_devlink *l, struct codex_msg_pay *m, struct codex_msg_refusal *ref)
{
	struct obol_field f[1];
	struct obol_fields spec;
	struct codex_refusal rf;
	const uint8_t *body;
	size_t len;
	uint32_t type;
	obol_err e;
	codex_msg_pay_spec(m, f, &spec);
	if ((e = obol_devlink_write(l, CODEX_MSG_PAY, &spec)) != OBOL_OK || (e = obol_devlink_read(l, &type, &body, &len)) != OBOL_OK)
		return e;
	if (type == CODEX_MSG_ACK)
		return OBOL_OK;
	if (type != CODEX_MSG_REFUSAL)
		return OBOL_E_INTERNAL;
	codex_msg_refusal_spec(ref, f, &spec);
	if ((e = obol_cbor_decode(body, len, &spec)) != OBOL_OK ||
	    (e = codex_refusal_decode(ref->refusal, sizeof(ref->refusal), &rf)) != OBOL_OK)
		return e;
	return (obol_err)rf.reason;
}

TEST(codex_vendor, pay_replay_wrong_amount_and_deposit)
{
	static struct vt t;
	static struct codex_msg_request req;
	static struct codex_msg_pay m;
	static struct codex_msg_refusal ref;
	const char *db = test_db_url_new("bank");
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct codex_token tok;
	char keyfile[600], wpath[600];
	uint8_t key[32];
	struct obol_amount load = { .units = 1000000000, .currency = "EUR" }, dep = { .units = 200000000, .currency = "EUR" };
	struct obol_wallet_keysrc ks = { .key_file = keyfile };
	struct obol_devlink *l = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	int fd;

	REQUIRE_OK(obol_issuer_init_db(db, "EUR", NULL, 0, devnull));
	fclose(devnull);
	struct obol_issuer_config icfg = { .db_url = db, .listen = "127.0.0.1:0", .threads = 2 };
	REQUIRE_OK(obol_issuer_start(&icfg, &t.iss));
	snprintf(t.url, sizeof t.url, "http://127.0.0.1:%u", obol_issuer_port(t.iss));
	snprintf(t.dir, sizeof t.dir, "%s/shop", test_tmpdir());
	REQUIRE_OK(obol_vendor_keys_create(t.dir, &t.vsign, &t.vbox));
	REQUIRE_OK(obol_issuer_run(t.iss, vendor_add, &t));
	struct obol_vendor_config vcfg = { .dir = t.dir, .listen = "127.0.0.1:0", .issuer_url = t.url,
					   .outbox_interval_ms = 50, .price = "EUR:0.5" };
	REQUIRE_OK(obol_vendor_start(&vcfg, &t.v));
	snprintf(t.addr, sizeof t.addr, "127.0.0.1:%u", obol_vendor_port(t.v));

	/* Alice's wallet, sealed under a key file, with a Codex */
	obol_sign_keypair_new(&t.alice);
	REQUIRE_OK(obol_issuer_run(t.iss, alice_add, &t));
	snprintf(keyfile, sizeof keyfile, "%s/device.key", test_tmpdir());
	snprintf(wpath, sizeof wpath, "%s/alice.wallet", test_tmpdir());
	obol_random(key, sizeof key);
	fd = open(keyfile, O_WRONLY | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0 && write(fd, key, sizeof key) == (ssize_t)sizeof key);
	close(fd);
	REQUIRE_OK(obol_wallet_create(wpath, &ks, &w));
	REQUIRE_OK(obol_wallet_set_issuer(w, t.url, obol_issuer_keys(t.iss)->master_pk, obol_issuer_keys(t.iss)->box.pk, "EUR"));
	REQUIRE_OK(obol_wallet_set_account(w, t.alice_id, "alice", t.alice.sk));
	REQUIRE_OK(codex_wallet_open(w, &load, &dep, &c));

	/* the honest payment: the price asked, acknowledged */
	REQUIRE_OK(codex_wallet_pay_vendor(w, c, &(struct codex_wallet_pay){ .addr = t.addr }, &tok));
	CHECK_EQ_INT(tok.amount.units, 50000000);
	CHECK_EQ_INT(codex_pending_count(c), 0);

	/* a PAY before any HELLO */
	REQUIRE_OK(obol_devlink_connect_vendor(t.addr, 2000, obol_issuer_keys(t.iss)->master_pk, &l));
	memset(&m, 0, sizeof m);
	m.sealed_len = 100;
	CHECK_ERR(send_pay(l, &m, &ref), OBOL_E_WIRE_UNEXPECTED_MESSAGE);
	/* a payment, then the very same payment again on a new session */
	REQUIRE_OK(hello(l, &req));
	REQUIRE_OK(codex_pay(c, &(struct codex_pay_req){ .req = &req, .amount = &req.amount }, obol_now(), &m, NULL));
	CHECK_OK(send_pay(l, &m, &ref));
	obol_devlink_close(l);
	REQUIRE_OK(obol_devlink_connect_vendor(t.addr, 2000, obol_issuer_keys(t.iss)->master_pk, &l));
	REQUIRE_OK(hello(l, &req));
	CHECK_ERR(send_pay(l, &m, &ref), OBOL_E_CODEX_TOKEN_SEEN);
	/* less than asked */
	REQUIRE_OK(hello(l, &req));
	req.has_amount = false;
	{
		struct obol_amount less = { .units = 1, .currency = "EUR" };
		REQUIRE_OK(codex_pay(c, &(struct codex_pay_req){ .req = &req, .amount = &less }, obol_now(), &m, NULL));
	}
	/* refused with a signed refusal: the payer keeps it, the vendor never
	 * takes that token later */
	CHECK_ERR(send_pay(l, &m, &ref), OBOL_E_CODEX_AMOUNT_INVALID);
	CHECK_OK(codex_take_refusal(c, &ref));
	CHECK_EQ_INT(codex_refused_count(c), 1);
	REQUIRE_OK(hello(l, &req));
	CHECK_ERR(send_pay(l, &m, &ref), OBOL_E_CODEX_TOKEN_SEEN);
	/* a copy of the Codex from before that payment pays the vendor at the
	 * same place of its log again: refused (the vendor keeps the payer's place) */
	{
		struct codex *copy = codex_alloc();
		REQUIRE(copy);
		memcpy(copy, c, sizeof(*copy));
		copy->nlog = 1; /* the Codex as it was after its first payment */
		memcpy(copy->head, copy->log[0].hash, OBOL_HASH_LEN);
		copy->balance = load;
		REQUIRE_OK(hello(l, &req));
		REQUIRE_OK(codex_pay(copy, &(struct codex_pay_req){ .req = &req }, obol_now(), &m, NULL));
		CHECK_ERR(send_pay(l, &m, &ref), OBOL_E_CODEX_PLACE_REUSED);
		codex_free(copy);
	}
	/* less than asked again; this refusal never reaches the payer: the
	 * vendor hands it to the bank itself */
	REQUIRE_OK(hello(l, &req));
	req.has_amount = false;
	{
		struct obol_amount less = { .units = 2, .currency = "EUR" };
		REQUIRE_OK(codex_pay(c, &(struct codex_pay_req){ .req = &req, .amount = &less }, obol_now(), &m, NULL));
	}
	CHECK_ERR(send_pay(l, &m, &ref), OBOL_E_CODEX_AMOUNT_INVALID);
	obol_devlink_close(l);
	struct bal b = { .id = t.cert.vendor_id };
	for (int i = 0; i < 300; i++) {
		struct timespec ts = { 0, 10 * 1000000 };
		if (obol_issuer_read(t.iss, read_balance, &b) == OBOL_OK && b.units >= 100000000)
			break;
		nanosleep(&ts, NULL);
	}
	CHECK_EQ_INT(b.units, 100000000);
	/* once the vendor's deposits are in, the payer's sync: the two tokens the
	 * vendor took are paid, both it refused come back (one refusal from the
	 * payer's log, the other from the vendor) */
	for (int i = 0; i < 300; i++) {
		int64_t n = 1;
		struct timespec ts = { 0, 10 * 1000000 };
		if (obol_vendor_run(t.v, pending_deposits, &n) == OBOL_OK && n == 0)
			break;
		nanosleep(&ts, NULL);
	}
	{
		struct codex_wallet_sync_info info;
		REQUIRE_OK(codex_wallet_sync(w, c, NULL, false, &info));
		CHECK_EQ_INT(c->balance.units, 1000000000 - 100000000);
	}

	codex_free(c);
	obol_wallet_close(w);
	obol_vendor_stop(t.v);
	obol_issuer_stop(t.iss);
	OBOL_WIPE(t.alice);
	OBOL_WIPE(t.vsign);
	OBOL_WIPE(t.vbox);
}

/* Lists alice, then 16,384 more frauds after her, all live, and has the
 * bank build its whole list again (as at the next listing). */
static obol_err list_alice_then_16384(struct obol_store *s, void *arg)
{
	struct vt *t = arg;
	int64_t now = obol_now();
	obol_err e = obol_store_run(s, NULL,
				    "INSERT INTO codex_listed (user_id, since, until, version)"
				    " SELECT ?, ?, ?, version + 1 FROM codex_blacklist WHERE id = 1",
				    "iii", t->alice_id, now - 100, now + 86400);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 16384)"
				   " INSERT INTO codex_listed (user_id, since, until, version)"
				   " SELECT 1000000 + x, ?, ?, (SELECT version + 1 FROM codex_blacklist WHERE id = 1) FROM n",
				   "ii", now, now + 86400);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "UPDATE codex_blacklist SET next_prune = 0", "");
	return e;
}

static obol_err count_blocked(struct obol_store *s, void *arg)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT COUNT(*) FROM codex_vendor_blocked", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK)
		*(int64_t *)arg = row ? obol_stmt_column_int64(st, 0) : -1;
	obol_stmt_finish(st);
	return e;
}

/* P5 past the whole list's cap: a Codex listed before 16,384 others is
 * not on the bank's whole list (its newest CODEX_BLACKLIST_MAX), which is
 * all the vendor held; the vendor's paged copy, brought up to date after
 * a deposit's answer named a newer list and kept in its store across a
 * restart, has her, and her next token is refused. */
TEST(codex_vendor, attack_oldest_listed_codex_pays_vendor_past_16384)
{
	static struct vt t;
	static struct codex_msg_request req;
	static struct codex_msg_pay m;
	static struct codex_msg_refusal ref;
	const char *db = test_db_url_new("bank");
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	char keyfile[600], wpath[600];
	uint8_t key[32];
	struct obol_amount load = { .units = 1000000000, .currency = "EUR" }, dep = { .units = 200000000, .currency = "EUR" };
	struct obol_wallet_keysrc ks = { .key_file = keyfile };
	struct obol_devlink *l = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	int64_t nblocked = 0;
	int fd;

	REQUIRE_OK(obol_issuer_init_db(db, "EUR", NULL, 0, devnull));
	fclose(devnull);
	struct obol_issuer_config icfg = { .db_url = db, .listen = "127.0.0.1:0", .threads = 2 };
	REQUIRE_OK(obol_issuer_start(&icfg, &t.iss));
	snprintf(t.url, sizeof t.url, "http://127.0.0.1:%u", obol_issuer_port(t.iss));
	snprintf(t.dir, sizeof t.dir, "%s/shop16k", test_tmpdir());
	REQUIRE_OK(obol_vendor_keys_create(t.dir, &t.vsign, &t.vbox));
	REQUIRE_OK(obol_issuer_run(t.iss, vendor_add, &t));
	struct obol_vendor_config vcfg = { .dir = t.dir, .listen = "127.0.0.1:0", .issuer_url = t.url,
					   .outbox_interval_ms = 50, .price = "EUR:0.5" };
	REQUIRE_OK(obol_vendor_start(&vcfg, &t.v));
	obol_sign_keypair_new(&t.alice);
	REQUIRE_OK(obol_issuer_run(t.iss, alice_add, &t));
	snprintf(keyfile, sizeof keyfile, "%s/device16k.key", test_tmpdir());
	snprintf(wpath, sizeof wpath, "%s/alice16k.wallet", test_tmpdir());
	obol_random(key, sizeof key);
	fd = open(keyfile, O_WRONLY | O_CREAT | O_EXCL, 0600);
	REQUIRE(fd >= 0 && write(fd, key, sizeof key) == (ssize_t)sizeof key);
	close(fd);
	REQUIRE_OK(obol_wallet_create(wpath, &ks, &w));
	REQUIRE_OK(obol_wallet_set_issuer(w, t.url, obol_issuer_keys(t.iss)->master_pk, obol_issuer_keys(t.iss)->box.pk, "EUR"));
	REQUIRE_OK(obol_wallet_set_account(w, t.alice_id, "alice", t.alice.sk));
	REQUIRE_OK(codex_wallet_open(w, &load, &dep, &c));

	snprintf(t.addr, sizeof t.addr, "127.0.0.1:%u", obol_vendor_port(t.v));

	/* alice is listed, 16,384 after her. The vendor has not heard of it
	 * yet: her token is taken, and its deposit's answer brings the bank's
	 * newer whole list (without her: it is capped) */
	REQUIRE_OK(obol_issuer_run(t.iss, list_alice_then_16384, &t));
	REQUIRE_OK(obol_devlink_connect_vendor(t.addr, 2000, obol_issuer_keys(t.iss)->master_pk, &l));
	REQUIRE_OK(hello(l, &req));
	REQUIRE_OK(codex_pay(c, &(struct codex_pay_req){ .req = &req, .amount = &req.amount }, obol_now(), &m, NULL));
	CHECK_OK(send_pay(l, &m, &ref));
	obol_devlink_close(l);
	for (int i = 0; i < 300; i++) {
		int64_t n = 1;
		struct timespec ts = { 0, 10 * 1000000 };
		if (obol_vendor_run(t.v, pending_deposits, &n) == OBOL_OK && n == 0)
			break;
		nanosleep(&ts, NULL);
	}
	/* the next HELLO brings the paged copy up to date (with her); her
	 * next token, still within her state, is refused */
	REQUIRE_OK(obol_devlink_connect_vendor(t.addr, 2000, obol_issuer_keys(t.iss)->master_pk, &l));
	REQUIRE_OK(hello(l, &req));
	CHECK_OK(obol_vendor_run(t.v, count_blocked, &nblocked));
	CHECK_EQ_INT(nblocked, CODEX_BLACKLIST_MAX + 1);
	REQUIRE_OK(codex_pay(c, &(struct codex_pay_req){ .req = &req, .amount = &req.amount }, obol_now(), &m, NULL));
	CHECK_ERR(send_pay(l, &m, &ref), OBOL_E_CODEX_PAYER_BLACKLISTED);
	obol_devlink_close(l);

	/* started again (the copy loaded from its store, then the empty
	 * delta since its version), the vendor still refuses her */
	obol_vendor_stop(t.v);
	REQUIRE_OK(obol_vendor_start(&vcfg, &t.v));
	snprintf(t.addr, sizeof t.addr, "127.0.0.1:%u", obol_vendor_port(t.v));
	REQUIRE_OK(obol_devlink_connect_vendor(t.addr, 2000, obol_issuer_keys(t.iss)->master_pk, &l));
	REQUIRE_OK(hello(l, &req));
	REQUIRE_OK(codex_pay(c, &(struct codex_pay_req){ .req = &req, .amount = &req.amount }, obol_now(), &m, NULL));
	CHECK_ERR(send_pay(l, &m, &ref), OBOL_E_CODEX_PAYER_BLACKLISTED);
	obol_devlink_close(l);

	codex_free(c);
	obol_wallet_close(w);
	obol_vendor_stop(t.v);
	obol_issuer_stop(t.iss);
	OBOL_WIPE(t.alice);
	OBOL_WIPE(t.vsign);
	OBOL_WIPE(t.vbox);
}
