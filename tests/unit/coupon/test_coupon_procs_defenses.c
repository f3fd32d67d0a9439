/* The coupon scheme's defences that live in the shells, against real
 * processes: a retried withdrawal after its window, a settle far below the
 * last index, a lock the vendor lost track of, checkpoints in a long
 * session; the audit after each. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/rsa.h"
#include "crypto/secret.h"
#include "procs.h"
#include "issuer/coupon_store.h"
#include "vendor/coupon_vendor.h"
#include "wire/cbor.h"
#include "wire/json.h"

#define BAL(w, name, buf) REQUIRE(cworld_balance((w), (name), (buf), sizeof(buf)) == 0)

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Waits up to ~10 s for an account's balance to read `want`. */
static bool balance_becomes(struct world *w, const char *name, const char *want)
{
	char bal[64] = "";
	for (int i = 0; i < 100; i++) {
		if (cworld_balance(w, name, bal, sizeof(bal)) == 0 && strcmp(bal, want) == 0)
			return true;
		nap_ms(100);
	}
	test_note("%s: %s, want %s", name, bal, want);
	return false;
}

static const struct coupon_denom *denom_of(struct world *w, uint32_t id)
{
	for (size_t i = 0; i < w->ws.keys.ndenoms; i++)
		if (w->ws.keys.denoms[i].id == id)
			return &w->ws.keys.denoms[i];
	return NULL;
}

/* POSTs body text authenticated as the user: status and reply text. */
static obol_err post_raw(struct world *w, const char *path, const char *body, long *status, char **resp, size_t *len)
{
	return obol_http_request(w->http, "POST", path, body, strlen(body), OBOL_HTTP_AUTH, status, resp, len);
}

/* Case: a withdrawal answered just before withdraw_until, whose answer was
 * lost, is asked again after it: the retry gets the stored answer (the
 * account was debited for it), not COUPON_WITHDRAW_CLOSED. */
TEST(coupon_procs, a_withdrawal_retried_after_its_window_gets_its_answer)
{
	static struct world w;
	struct cworld_opts o = { .denom3 = "EUR:1,100,30s,1" };
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	struct coupon_spec spec;
	json_t *body = NULL;
	char *text = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL, bal[64];
	size_t l1, l2, l3;
	long s1, s2, s3;
	REQUIRE(cworld_up_opts(&w, &o) == 0);
	const struct coupon_denom *d = denom_of(&w, 3);
	REQUIRE(d != NULL);
	REQUIRE_OK(coupon_wallet_withdraw_prepare(d, obol_now(), &p, &req));
	snprintf(req.request_id, sizeof(req.request_id), "lost-answer-1");
	coupon_spec_withdraw_req(&spec, &req);
	REQUIRE_OK(obol_json_encode(&spec.fields, &body));
	REQUIRE((text = json_dumps(body, JSON_COMPACT)) != NULL);
	REQUIRE_OK(post_raw(&w, "/coupon/withdraw", text, &s1, &r1, &l1));
	CHECK_EQ_INT(s1, 200);
	BAL(&w, "alice", bal);
	CHECK_EQ_STR(bal, "EUR:19");
	/* the answer is lost; the window closes */
	while (obol_now() <= d->withdraw_until)
		nap_ms(200);
	REQUIRE_OK(post_raw(&w, "/coupon/withdraw", text, &s2, &r2, &l2));
	CHECK_EQ_INT(s2, 200);
	{
		/* the same answer (stored in canonical form) */
		json_t *a1 = json_loadb(r1, l1, 0, NULL), *a2 = json_loadb(r2, l2, 0, NULL);
		CHECK(a1 && a2 && json_equal(a1, a2));
		json_decref(a1);
		json_decref(a2);
	}
	BAL(&w, "alice", bal);
	CHECK_EQ_STR(bal, "EUR:19");
	/* the stored answer finishes the coin */
	struct coupon_withdraw_reply reply;
	struct coupon_wallet_coin coin;
	json_t *ans = json_loadb(r2, l2, 0, NULL);
	REQUIRE(ans != NULL);
	coupon_spec_withdraw_reply(&spec, &reply);
	REQUIRE_OK(obol_json_decode(ans, &spec.fields));
	CHECK_OK(coupon_wallet_withdraw_finalize(d, &p, &reply, &coin));
	json_decref(ans);
	/* a new request in the closed window is refused, nothing debited */
	struct coupon_withdraw_req again;
	struct coupon_withdraw_pending p2;
	REQUIRE_OK(coupon_wallet_withdraw_prepare(&w.ws.keys.denoms[0], obol_now(), &p2, &again));
	coupon_wallet_pending_wipe(&p2);
	again.denom = 3;
	snprintf(again.request_id, sizeof(again.request_id), "new-after-window");
	json_decref(body);
	free(text);
	coupon_spec_withdraw_req(&spec, &again);
	REQUIRE_OK(obol_json_encode(&spec.fields, &body));
	REQUIRE((text = json_dumps(body, JSON_COMPACT)) != NULL);
	REQUIRE_OK(post_raw(&w, "/coupon/withdraw", text, &s3, &r3, &l3));
	CHECK_ERR(obol_json_error_from_body(r3, l3), OBOL_E_COUPON_WITHDRAW_CLOSED);
	BAL(&w, "alice", bal);
	CHECK_EQ_STR(bal, "EUR:19");
	CHECK(cworld_audit_ok(&w));
	json_decref(body);
	free(text);
	free(r1);
	free(r2);
	free(r3);
	cworld_down(&w);
}

/* Case: a lock holder claiming j = 0 on a coin of 131072 tokens is refused
 * before any hashing (COUPON_SETTLE_SPAN), and the issuer goes on
 * answering. */
TEST(coupon_procs, a_settle_far_below_the_last_index_is_refused_unwalked)
{
	static struct world w;
	struct cworld_opts o = { .denom3 = "EUR:1.31072,131072" };
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_settle_reply s;
	uint8_t junk[32];
	char bal[64];
	REQUIRE(cworld_up_opts(&w, &o) == 0);
	REQUIRE_OK(cworld_withdraw(&w, 3));
	cworld_lock_req(&w, 0, 131071, obol_now() + 300, 0, 0, &req);
	REQUIRE_OK(cworld_lock(&w, &req, &reply));
	obol_random(junk, sizeof(junk));
	for (int i = 0; i < 20; i++)
		CHECK_ERR(cworld_settle(&w, 0, w.ws.coins[0].coin.id, 0, junk, false, &s), OBOL_E_COUPON_SETTLE_SPAN);
	/* within the span the walk is done, and junk fails it */
	CHECK_ERR(cworld_settle(&w, 0, w.ws.coins[0].coin.id, 131071 - COUPON_SETTLE_SPAN_MAX, junk, false, &s),
		  OBOL_E_COUPON_SETTLE_NOT_IN_CHAIN);
	/* the honest vendor settles in steps: a checkpoint at the bound, then the rest */
	uint8_t tok[32];
	uint64_t mid = 131071 - COUPON_SETTLE_SPAN_MAX;
	obol_hashchain_step(tok, w.ws.coins[0].seed, mid);
	REQUIRE_OK(cworld_settle(&w, 0, w.ws.coins[0].coin.id, mid, tok, true, &s));
	CHECK_EQ_INT(s.credited_tokens, COUPON_SETTLE_SPAN_MAX + 1);
	obol_hashchain_step(tok, w.ws.coins[0].seed, 0);
	REQUIRE_OK(cworld_settle(&w, 0, w.ws.coins[0].coin.id, 0, tok, false, &s));
	CHECK(s.spent);
	BAL(&w, "vendor1", bal);
	CHECK_EQ_STR(bal, "EUR:1.31072");
	CHECK(cworld_audit_ok(&w));
	cworld_down(&w);
}

/* Case: the vendor dies between the issuer's lock commit and its own record
 * of the coin. The lock token is the coin's last (p = 0): no other vendor
 * will ever lock the coin and credit it. The vendor's intent, written before
 * the lock left, is found at its next start and the lock token settled. */
TEST(coupon_procs, a_lock_the_vendor_lost_track_of_is_settled)
{
	static struct world w;
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_settle_reply s;
	struct obol_store *vs = NULL;
	char url[700], bal[64];
	uint8_t tok[32];
	REQUIRE(cworld_up(&w, true, "EUR:0.01") == 0);
	REQUIRE_OK(cworld_withdraw(&w, 1));
	/* vendor 2 takes the coin down to its last token */
	cworld_lock_req(&w, 0, 99, obol_now() + 300, 1, 1, &req);
	REQUIRE_OK(cworld_lock(&w, &req, &reply));
	obol_hashchain_step(tok, w.ws.coins[0].seed, 1);
	REQUIRE_OK(cworld_settle(&w, 1, w.ws.coins[0].coin.id, 1, tok, false, &s));
	CHECK_EQ_INT(s.credited_tokens, 99);
	/* vendor 1 writes its intent, the issuer locks index 0 for it, and it
	 * dies before it records the coin */
	cproc_kill(&w.v[0].proc, SIGKILL);
	cworld_lock_req(&w, 0, 0, obol_now() + 300, 0, 0, &req);
	/* (written a second before the restart: an intent of the very second
	 * the daemon starts is taken for one of its own sessions, and looked
	 * up only once it is a minute old) */
	struct coupon_vlock intent = { .denom = 1, .deadline = req.deadline, .created = obol_now() - 1 };
	memcpy(intent.coin_id, w.ws.coins[0].coin.id, 32);
	obol_sha256(intent.lock, req.auth, COUPON_AUTH_LEN);
	snprintf(url, sizeof(url), "sqlite:%s/vendor.db", w.v[0].dir);
	REQUIRE_OK(obol_store_open(url, false, &vs));
	REQUIRE_OK(obol_store_begin(vs));
	REQUIRE_OK(coupon_vlock_add(vs, &intent));
	REQUIRE_OK(obol_store_commit(vs));
	obol_store_close(vs);
	REQUIRE_OK(cworld_lock(&w, &req, &reply));
	BAL(&w, "vendor1", bal);
	CHECK_EQ_STR(bal, "EUR:0");
	/* at its next start it finds the lock and settles its token */
	REQUIRE(cproc_restart(&w.v[0].proc) == 0);
	CHECK(balance_becomes(&w, "vendor1", "EUR:0.01"));
	CHECK(cworld_audit_ok(&w));
	/* an intent for a lock the issuer does not hold is forgotten once its
	 * T has passed (with the skew the issuer allows); before that it is
	 * kept, and looked at again then: a copy of its request still in the
	 * network (delayed, duplicated) may yet lock the coin */
	cproc_kill(&w.v[0].proc, SIGTERM);
	struct coupon_vlock ahead = intent, past = intent;
	obol_random(ahead.lock, 32);
	ahead.created = obol_now() - 2;
	obol_random(past.lock, 32);
	past.deadline = obol_now() - COUPON_STATUS_SKEW_S - 1;
	REQUIRE_OK(obol_store_open(url, false, &vs));
	REQUIRE_OK(obol_store_begin(vs));
	REQUIRE_OK(coupon_vlock_add(vs, &ahead));
	REQUIRE_OK(coupon_vlock_add(vs, &past));
	REQUIRE_OK(obol_store_commit(vs));
	obol_store_close(vs);
	REQUIRE(cproc_restart(&w.v[0].proc) == 0);
	struct coupon_vlock left[4];
	size_t n = 2;
	for (int i = 0; i < 50 && n > 1; i++) {
		nap_ms(200);
		REQUIRE_OK(obol_store_open(url, false, &vs));
		REQUIRE_OK(obol_store_begin(vs));
		REQUIRE_OK(coupon_vlocks_older(vs, INT64_MAX, left, 4, &n));
		obol_store_rollback(vs);
		obol_store_close(vs);
	}
	/* the one past its T went; the other was asked about (it is looked
	 * at first) and postponed to its T and the skew */
	REQUIRE(n == 1);
	CHECK_MEM_EQ(left[0].lock, ahead.lock, 32);
	CHECK_EQ_INT(left[0].created, ahead.deadline + COUPON_STATUS_SKEW_S);
	BAL(&w, "vendor1", bal);
	CHECK_EQ_STR(bal, "EUR:0.01");
	cworld_down(&w);
}

/* Case: a long session checkpoints (here every 5 tokens): the vendor is
 * credited while the session runs, so a crash or a lapsed T loses little. */
TEST(coupon_procs, a_long_session_checkpoints_while_it_runs)
{
	static struct world w;
	static struct coupon_wallet_session s;
	struct coupon_spec spec;
	struct coupon_pay pay;
	struct coupon_offer offer;
	struct coupon_buy buy;
	struct coupon_lock_reply lr;
	struct obol_devlink *dl = NULL;
	const uint8_t *body;
	size_t len;
	setenv(COUPON_CHECKPOINT_TOKENS_ENV, "5", 1);
	REQUIRE(cworld_up(&w, true, "EUR:0.01") == 0);
	unsetenv(COUPON_CHECKPOINT_TOKENS_ENV);
	REQUIRE_OK(cworld_withdraw(&w, 1));
	REQUIRE_OK(obol_devlink_connect_vendor(w.v[0].proc.addr, 5000, w.ws.cfg.issuer_pk, &dl));
	REQUIRE_OK(coupon_wallet_buy(&s, 40, &buy));
	coupon_spec_buy(&spec, &buy);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_BUY, &spec.fields));
	REQUIRE_OK(cworld_read_until(dl, COUPON_MSG_OFFER, &body, &len, NULL));
	coupon_spec_offer(&spec, &offer);
	REQUIRE_OK(obol_cbor_decode(body, len, &spec.fields));
	REQUIRE_OK(coupon_wallet_on_offer(&w.ws.cfg, &s, w.ws.coins, w.ws.ncoins, &offer, obol_now(), &pay));
	coupon_spec_pay(&spec, &pay);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_PAY, &spec.fields));
	REQUIRE_OK(cworld_read_until(dl, COUPON_MSG_LOCKED, &body, &len, NULL));
	coupon_spec_lock_reply(&spec, &lr);
	REQUIRE_OK(obol_cbor_decode(body, len, &spec.fields));
	REQUIRE_OK(coupon_wallet_on_locked(&w.ws.cfg, &s, w.ws.coins, &lr));
	/* 11 more tokens: 12 with the lock token, two checkpoints due */
	for (int i = 0; i < 11; i++) {
		struct coupon_token_req treq;
		struct coupon_token tok;
		enum coupon_wallet_answer ans;
		REQUIRE_OK(cworld_read_until(dl, COUPON_MSG_TOKEN_REQ, &body, &len, NULL));
		coupon_spec_token_req(&spec, &treq);
		REQUIRE_OK(obol_cbor_decode(body, len, &spec.fields));
		REQUIRE_OK(coupon_wallet_on_token_req(&w.ws.cfg, &s, w.ws.coins, w.ws.ncoins, &treq, obol_now(), &ans,
						      &tok, &pay));
		REQUIRE(ans == COUPON_WA_TOKEN);
		coupon_spec_token(&spec, &tok);
		REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_TOKEN, &spec.fields));
	}
	/* the session is still open: the checkpoints are credited already */
	CHECK(balance_becomes(&w, "vendor1", "EUR:0.11"));
	/* the vendor dies; its restart settles the last token it stored */
	cproc_kill(&w.v[0].proc, SIGKILL);
	obol_devlink_close(dl);
	REQUIRE(cproc_restart(&w.v[0].proc) == 0);
	CHECK(balance_becomes(&w, "vendor1", "EUR:0.12"));
	CHECK(cworld_audit_ok(&w));
	coupon_wallet_session_wipe(&s);
	cworld_down(&w);
}

/* The migration of an issuer database from before settles named their
 * lock: the settles it answered are kept (under a zero lock) and still
 * answer their repeats; settles of two locks at one index both stand. And
 * from before denomination keys rotated (step 3): a denomination issues
 * from its creation and is refunded three years past its spend-until. */
TEST_DB(coupon_store, settles_answered_before_locks_were_named_are_kept)
{
	/* the coupon tables as version 1 of the component made them */
	static const struct obol_migration v1[] = {
		{ .sqlite = "CREATE TABLE coupon_denoms (id BIGINT PRIMARY KEY, currency TEXT NOT NULL, "
			    "value_units BIGINT NOT NULL, n BIGINT NOT NULL, rsa_sk BYTEA NOT NULL, rsa_pk BYTEA NOT NULL, "
			    "withdraw_until BIGINT NOT NULL, spend_until BIGINT NOT NULL, created BIGINT NOT NULL);"
			    "CREATE TABLE coupon_settings (key TEXT PRIMARY KEY, value BIGINT NOT NULL);"
			    "CREATE TABLE coupon_withdrawals (ref TEXT PRIMARY KEY, account BIGINT NOT NULL, "
			    "denom BIGINT NOT NULL, value_units BIGINT NOT NULL, created BIGINT NOT NULL);"
			    "CREATE TABLE coupon_coins (coin_id BYTEA PRIMARY KEY, denom BIGINT NOT NULL, "
			    "last_index BIGINT NOT NULL, last_token BYTEA NOT NULL, credited_index BIGINT NOT NULL, "
			    "locked BIGINT NOT NULL, lock_cert_hash BYTEA, lock_vendor_pk BYTEA, "
			    "lock_vendor_account BIGINT NOT NULL, lock_until BIGINT NOT NULL, lock_auth_hash BYTEA, "
			    "version BIGINT NOT NULL);"
			    "CREATE TABLE coupon_settles (coin_id BYTEA NOT NULL, idx BIGINT NOT NULL, "
			    "cert_hash BYTEA NOT NULL, keep BIGINT NOT NULL, credited_tokens BIGINT NOT NULL, "
			    "locked BIGINT NOT NULL, spent BIGINT NOT NULL, created BIGINT NOT NULL, "
			    "PRIMARY KEY (coin_id, idx, cert_hash, keep));" },
	};
	struct obol_store *s = NULL;
	uint8_t coin[32], cert[32], lock[32], zero[32] = { 0 };
	struct coupon_settle_record rec = { .credited_tokens = 7, .locked = false, .spent = false }, got;
	bool found;
	int64_t version;
	obol_random(coin, 32);
	obol_random(cert, 32);
	obol_random(lock, 32);
	struct coupon_denom denoms[COUPON_DENOMS_MAX];
	EVP_PKEY *key = NULL;
	uint8_t *sk = NULL, *pk = NULL;
	size_t sk_len = 0, pk_len = 0, ndenoms = 0;
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(obol_store_migrate(s, "coupon", v1, 1));
	REQUIRE_OK(obol_store_run(s, NULL,
				  "INSERT INTO coupon_settles (coin_id, idx, cert_hash, keep, credited_tokens, locked, spent, "
				  "created) VALUES (?, 42, ?, 0, 7, 0, 0, 1)",
				  "bb", coin, (size_t)32, cert, (size_t)32));
	REQUIRE_OK(obol_rsa_generate(1024, &key));
	REQUIRE_OK(obol_rsa_private_to_der(key, &sk, &sk_len));
	REQUIRE_OK(obol_rsa_public_to_der(key, &pk, &pk_len));
	EVP_PKEY_free(key);
	obol_err e = obol_store_run(s, NULL,
				    "INSERT INTO coupon_denoms (id, currency, value_units, n, rsa_sk, rsa_pk, withdraw_until, "
				    "spend_until, created) VALUES (1, 'EUR', 100000000, 100, ?, ?, 5000, 9000, 1000)",
				    "bb", sk, sk_len, pk, pk_len);
	obol_rsa_der_free(sk, sk_len);
	obol_rsa_der_free(pk, pk_len);
	REQUIRE_OK(e);
	REQUIRE_OK(coupon_store_migrate(s));
	REQUIRE_OK(obol_store_schema_version(s, "coupon", &version));
	CHECK_EQ_INT(version, 3);
	REQUIRE_OK(obol_store_begin(s));
	REQUIRE_OK(coupon_store_denoms(s, 0, denoms, COUPON_DENOMS_MAX, &ndenoms));
	REQUIRE(ndenoms == 1);
	CHECK_EQ_INT(denoms[0].valid_from, 1000);
	CHECK_EQ_INT(denoms[0].legal_end, 9000 + 3 * 365 * 86400);
	EVP_PKEY_free(denoms[0].key);
	REQUIRE_OK(coupon_store_settle_get(s, coin, zero, 42, cert, false, &got, &found));
	CHECK(found);
	CHECK_EQ_INT(got.credited_tokens, 7);
	REQUIRE_OK(coupon_store_settle_get(s, coin, lock, 42, cert, false, &got, &found));
	CHECK(!found);
	rec.credited_tokens = 3;
	REQUIRE_OK(coupon_store_settle_add(s, coin, lock, 42, cert, false, &rec));
	REQUIRE_OK(coupon_store_settle_get(s, coin, lock, 42, cert, false, &got, &found));
	CHECK(found);
	CHECK_EQ_INT(got.credited_tokens, 3);
	REQUIRE_OK(obol_store_commit(s));
	obol_store_close(s);
}
