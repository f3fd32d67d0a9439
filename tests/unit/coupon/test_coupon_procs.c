/* The coupon scheme against real processes (obol issuer serve, obol vendor
 * serve) attacked with hand-built messages: every refusal of DESIGN §5 that
 * the honest wallet never provokes, each with its named error and nothing
 * moved; crash tests of the vendor and the issuer; the audit after each. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "procs.h"
#include "schemes/common/issuer_sig.h"
#include "schemes/coupon/vendor.h"
#include "wire/cbor.h"
#include "wire/json.h"

#define BAL(w, name, buf) REQUIRE(cworld_balance((w), (name), (buf), sizeof(buf)) == 0)

TEST(coupon_procs, issuer_refusals_by_hand_built_requests)
{
	static struct world w;
	struct coupon_lock_req req, good;
	struct coupon_lock_reply reply, again;
	struct coupon_settle_reply s1, s2;
	char bal[64];
	REQUIRE(cworld_up(&w, false, NULL) == 0);
	REQUIRE_OK(cworld_withdraw(&w, 1)); /* A */
	REQUIRE_OK(cworld_withdraw(&w, 1)); /* B */
	REQUIRE_OK(cworld_withdraw(&w, 2)); /* C */
	BAL(&w, "alice", bal);
	CHECK_EQ_STR(bal, "EUR:16");
	int64_t now = obol_now(), T = now + 300;

	/* a forged coin signature */
	cworld_lock_req(&w, 0, 99, T, 0, 0, &req);
	good = req;
	req.coin.sig[7] ^= 1;
	uint8_t digest[32];
	coupon_digest_lock_req(digest, &req, w.v[0].cert_hash);
	obol_sign(req.vendor_sig, COUPON_CTX_LOCK_REQ, digest, 32, w.v[0].kp.sk);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_COIN_SIGNATURE);
	/* a coin of denomination 1 presented as denomination 2 */
	req = good;
	req.coin.denom = 2;
	coupon_digest_lock_req(digest, &req, w.v[0].cert_hash);
	obol_sign(req.vendor_sig, COUPON_CTX_LOCK_REQ, digest, 32, w.v[0].kp.sk);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_COIN_SIGNATURE);
	/* T in the past, T beyond the issuer's policy (600 s) */
	cworld_lock_req(&w, 0, 99, now - 5, 0, 0, &req);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_DEADLINE_PAST);
	cworld_lock_req(&w, 0, 99, now + 900, 0, 0, &req);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_DEADLINE_TOO_FAR);
	/* an eavesdropper (vendor 2) replays the authorisation meant for vendor 1 */
	cworld_lock_req(&w, 0, 99, T, 1, 0, &req);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_AUTH_WRONG_VENDOR);
	/* the honest lock, and its retry answered the same */
	REQUIRE_OK(cworld_lock(&w, &good, &reply));
	CHECK_EQ_INT(reply.index, 99);
	REQUIRE_OK(cworld_lock(&w, &good, &again));
	CHECK_MEM_EQ(&reply, &again, sizeof(reply));
	/* a second vendor locking the coin before T */
	cworld_lock_req(&w, 0, 98, T, 1, 1, &req);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_COIN_LOCKED);
	/* settle by a vendor that does not hold the lock */
	uint8_t tok[32];
	obol_hashchain_step(tok, w.ws.coins[0].seed, 95);
	CHECK_ERR(cworld_settle(&w, 1, w.ws.coins[0].coin.id, 95, tok, false, &s1), OBOL_E_COUPON_NOT_LOCK_HOLDER);
	/* settle past the revealed tokens: claims index 90 with the token of 95 */
	CHECK_ERR(cworld_settle(&w, 0, w.ws.coins[0].coin.id, 90, tok, false, &s1), OBOL_E_COUPON_SETTLE_NOT_IN_CHAIN);
	BAL(&w, "vendor1", bal);
	CHECK_EQ_STR(bal, "EUR:0");
	/* the honest settle: tokens 99..95 (the lock token included); repeated: same answer, credited once */
	REQUIRE_OK(cworld_settle(&w, 0, w.ws.coins[0].coin.id, 95, tok, false, &s1));
	CHECK_EQ_INT(s1.credited_tokens, 5);
	REQUIRE_OK(cworld_settle(&w, 0, w.ws.coins[0].coin.id, 95, tok, false, &s2));
	CHECK_MEM_EQ(&s1, &s2, sizeof(s1));
	BAL(&w, "vendor1", bal);
	CHECK_EQ_STR(bal, "EUR:0.05");
	/* the same tokens again at vendor 2: the issuer is past them, and a token
	 * it knows proves nothing, so the refusal names nothing of the coin;
	 * the holder, with a token below, learns where it stands (signed) */
	char detail[160];
	struct coupon_refusal refusal;
	cworld_lock_req(&w, 0, 98, T, 1, 1, &req);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN);
	cworld_lock_req(&w, 0, 90, T, 1, 1, &req);
	{
		struct coupon_spec spec;
		json_t *body = NULL;
		coupon_spec_lock_req(&spec, &req);
		REQUIRE_OK(obol_json_encode(&spec.fields, &body));
		CHECK_ERR(cworld_post(&w, "/coupon/lock", body, NULL, detail, sizeof(detail)),
			  OBOL_E_COUPON_INDEX_MISMATCH);
		REQUIRE_OK(coupon_refusal_from_detail(detail, &refusal));
		CHECK_EQ_INT(refusal.last_index, 95);
		refusal.code = OBOL_E_COUPON_INDEX_MISMATCH;
		memcpy(refusal.coin_id, w.ws.coins[0].coin.id, 32);
		uint8_t dg[32], box_hash[32];
		obol_sha256(box_hash, req.auth, COUPON_AUTH_LEN);
		coupon_digest_refusal(dg, &refusal, w.v[1].cert_hash, box_hash);
		/* signed by the issuer's online key, which its master announced */
		CHECK_OK(obol_issuer_sig_verify(refusal.issuer_sig, COUPON_CTX_REFUSAL, dg, 32, w.ws.cfg.issuer_pk, obol_now()));
		json_decref(body);
	}
	/* overspending: coin B spent whole at vendor 2, then locked again */
	cworld_lock_req(&w, 1, 99, T, 1, 1, &req);
	REQUIRE_OK(cworld_lock(&w, &req, &reply));
	obol_hashchain_step(tok, w.ws.coins[1].seed, 0);
	REQUIRE_OK(cworld_settle(&w, 1, w.ws.coins[1].coin.id, 0, tok, false, &s1));
	CHECK(s1.spent);
	CHECK_EQ_INT(s1.credited_tokens, 100);
	cworld_lock_req(&w, 1, 0, T, 0, 0, &req);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_COIN_SPENT);

	/* malformed JSON bodies: garbage, truncated, unknown and missing fields, bad lengths, oversized */
	static const struct {
		const char *body;
		obol_err want;
	} bad[] = {
		{ "garbage", OBOL_E_WIRE_MALFORMED },
		{ "{\"coin_id\": \"AAAA", OBOL_E_WIRE_MALFORMED },
		{ "{\"surprise\": 1}", OBOL_E_WIRE_UNKNOWN_FIELD },
		{ "{\"denom\": 1}", OBOL_E_WIRE_MISSING_FIELD },
	};
	for (size_t i = 0; i < OBOL_ARRAY_LEN(bad); i++) {
		char *resp = NULL;
		size_t len;
		long status;
		REQUIRE_OK(obol_http_request(w.http, "POST", "/coupon/lock", bad[i].body, strlen(bad[i].body), 0, &status,
					     &resp, &len));
		CHECK_ERR(obol_json_error_from_body(resp, len), bad[i].want);
		free(resp);
	}
	{
		struct coupon_spec spec;
		json_t *body = NULL;
		coupon_spec_lock_req(&spec, &good);
		REQUIRE_OK(obol_json_encode(&spec.fields, &body));
		json_object_set_new(body, "coin_id", json_string("AAAA"));
		CHECK_ERR(cworld_post(&w, "/coupon/lock", body, NULL, NULL, 0), OBOL_E_WIRE_BAD_LENGTH);
		json_decref(body);
		size_t big = 2 * 1024 * 1024;
		char *huge = malloc(big);
		REQUIRE(huge != NULL);
		memset(huge, ' ', big);
		huge[0] = '{';
		huge[big - 1] = '}';
		char *resp = NULL;
		size_t len;
		long status;
		REQUIRE_OK(obol_http_request(w.http, "POST", "/coupon/settle", huge, big, 0, &status, &resp, &len));
		CHECK_EQ_INT(status, 413);
		CHECK_ERR(obol_json_error_from_body(resp, len), OBOL_E_WIRE_OVERSIZED);
		free(resp);
		free(huge);
	}
	/* nothing moved by any refusal */
	BAL(&w, "alice", bal);
	CHECK_EQ_STR(bal, "EUR:16");
	BAL(&w, "vendor1", bal);
	CHECK_EQ_STR(bal, "EUR:0.05");
	BAL(&w, "vendor2", bal);
	CHECK_EQ_STR(bal, "EUR:1");
	CHECK(cworld_audit_ok(&w));
	cworld_down(&w);
}

TEST(coupon_procs, vendor_refusals_and_crash_before_settle)
{
	static struct world w;
	static struct coupon_wallet_session s;
	struct coupon_spec spec;
	struct coupon_pay pay;
	struct coupon_offer offer;
	struct coupon_buy buy;
	struct obol_devlink *dl = NULL;
	const uint8_t *body;
	size_t len;
	int served = 0;
	char bal[64];
	REQUIRE(cworld_up(&w, true, "EUR:0.01") == 0);
	REQUIRE_OK(cworld_withdraw(&w, 1));
	REQUIRE_OK(obol_devlink_connect_vendor(w.v[0].proc.addr, 5000, w.ws.cfg.issuer_pk, &dl));
	/* BUY -> OFFER -> PAY -> LOCKED, the lock token serves unit 1, TOKEN_REQ */
	REQUIRE_OK(coupon_wallet_buy(&s, 50, &buy));
	coupon_spec_buy(&spec, &buy);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_BUY, &spec.fields));
	REQUIRE_OK(cworld_read_until(dl, COUPON_MSG_OFFER, &body, &len, NULL));
	coupon_spec_offer(&spec, &offer);
	REQUIRE_OK(obol_cbor_decode(body, len, &spec.fields));
	REQUIRE_OK(coupon_wallet_on_offer(&w.ws.cfg, &s, w.ws.coins, w.ws.ncoins, &offer, obol_now(), &pay));
	coupon_spec_pay(&spec, &pay);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_PAY, &spec.fields));
	REQUIRE_OK(cworld_read_until(dl, COUPON_MSG_LOCKED, &body, &len, &served));
	struct coupon_lock_reply lr;
	coupon_spec_lock_reply(&spec, &lr);
	REQUIRE_OK(obol_cbor_decode(body, len, &spec.fields));
	REQUIRE_OK(coupon_wallet_on_locked(&w.ws.cfg, &s, w.ws.coins, &lr));
	REQUIRE_OK(cworld_read_until(dl, COUPON_MSG_TOKEN_REQ, &body, &len, &served));
	CHECK_EQ_INT(served, 1);

	/* a token that does not chain; a replayed token (the lock token) */
	struct coupon_token tok = { .index = 98 };
	obol_random(tok.token, 32);
	coupon_spec_token(&spec, &tok);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_TOKEN, &spec.fields));
	uint32_t type;
	CHECK_ERR(obol_devlink_read(dl, &type, &body, &len), OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN);
	tok.index = 99;
	memcpy(tok.token, lr.token, 32);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_TOKEN, &spec.fields));
	CHECK_ERR(obol_devlink_read(dl, &type, &body, &len), OBOL_E_COUPON_TOKEN_REPLAYED);
	/* two tokens' worth when one was asked */
	tok.index = 97;
	obol_hashchain_step(tok.token, w.ws.coins[0].seed, 97);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_TOKEN, &spec.fields));
	CHECK_ERR(obol_devlink_read(dl, &type, &body, &len), OBOL_E_COUPON_TOKEN_TOO_MANY);

	/* 19 honest units: 20 tokens with the lock token */
	for (int i = 0; i < 19; i++) {
		struct coupon_token_req treq = { .count = 1 };
		enum coupon_wallet_answer ans;
		REQUIRE_OK(coupon_wallet_on_token_req(&w.ws.cfg, &s, w.ws.coins, w.ws.ncoins, &treq, obol_now(), &ans,
						      &tok, &pay));
		REQUIRE(ans == COUPON_WA_TOKEN);
		coupon_spec_token(&spec, &tok);
		REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_TOKEN, &spec.fields));
		REQUIRE_OK(cworld_read_until(dl, COUPON_MSG_TOKEN_REQ, &body, &len, &served));
	}
	CHECK_EQ_INT(served, 20);
	/* the vendor dies before it settles; it comes back and settles what it stored */
	cproc_kill(&w.v[0].proc, SIGKILL);
	obol_devlink_close(dl);
	dl = NULL;
	BAL(&w, "vendor1", bal);
	CHECK_EQ_STR(bal, "EUR:0");
	REQUIRE(cproc_restart(&w.v[0].proc) == 0);
	for (int i = 0; i < 100; i++) {
		BAL(&w, "vendor1", bal);
		if (strcmp(bal, "EUR:0") != 0)
			break;
		struct timespec ts = { 0, 100000000L };
		nanosleep(&ts, NULL);
	}
	CHECK_EQ_STR(bal, "EUR:0.2");
	CHECK(cworld_audit_ok(&w));

	/* frames: garbage, an oversized length, a truncated frame; the vendor keeps serving */
	static const uint8_t garbage[] = { 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t huge[] = { 0, 0x10, 0, 0 };
	static const uint8_t truncated[] = { 0, 0, 0, 100, 0x83, 0x10 };
	REQUIRE_OK(obol_devlink_connect_vendor(w.v[0].proc.addr, 5000, w.ws.cfg.issuer_pk, &dl));
	REQUIRE_OK(obol_devlink_write_frame(dl, garbage, sizeof(garbage)));
	CHECK_ERR(obol_devlink_read(dl, &type, &body, &len), OBOL_E_WIRE_MALFORMED);
	obol_devlink_close(dl);
	REQUIRE_OK(obol_devlink_connect_vendor(w.v[0].proc.addr, 5000, w.ws.cfg.issuer_pk, &dl));
	REQUIRE_OK(obol_devlink_write_frame(dl, huge, sizeof(huge)));
	CHECK_ERR(obol_devlink_read(dl, &type, &body, &len), OBOL_E_WIRE_OVERSIZED);
	obol_devlink_close(dl);
	REQUIRE_OK(obol_devlink_connect_vendor(w.v[0].proc.addr, 5000, w.ws.cfg.issuer_pk, &dl));
	REQUIRE_OK(obol_devlink_write_frame(dl, truncated, sizeof(truncated)));
	obol_devlink_close(dl);
	/* a frame of the coupon range with a body of another message */
	REQUIRE_OK(obol_devlink_connect_vendor(w.v[0].proc.addr, 5000, w.ws.cfg.issuer_pk, &dl));
	coupon_spec_token(&spec, &tok);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_BUY, &spec.fields));
	CHECK_ERR(obol_devlink_read(dl, &type, &body, &len), OBOL_E_WIRE_WRONG_TYPE);
	/* and a session on the same link still starts */
	coupon_spec_buy(&spec, &buy);
	REQUIRE_OK(obol_devlink_write(dl, COUPON_MSG_BUY, &spec.fields));
	CHECK_OK(cworld_read_until(dl, COUPON_MSG_OFFER, &body, &len, NULL));
	obol_devlink_close(dl);
	CHECK(cworld_audit_ok(&w));
	coupon_wallet_session_wipe(&s);
	cworld_down(&w);
}

/* ---- the issuer killed under load ---- */

struct loader {
	struct world *w;
	int vendor;
	volatile int *stop;
	int withdrawn, locked, settled; /* acknowledged */
	obol_err last;
};

static void *load(void *arg)
{
	struct loader *l = arg;
	struct world *w = l->w;
	struct coupon_wallet_store *ws = &w->ws;
	struct obol_http_client *c = NULL;
	if (obol_http_client_new(w->issuer.url, 2000, &c) != OBOL_OK)
		return NULL;
	obol_http_client_set_account(c, w->user_id, w->user.sk);
	while (!*l->stop) {
		struct coupon_withdraw_pending p;
		struct coupon_withdraw_req req;
		struct coupon_wallet_coin coin;
		uint8_t raw[16];
		char rid[32];
		obol_random(raw, sizeof(raw));
		if (obol_b64_encode(raw, sizeof(raw), rid, sizeof(rid)) != OBOL_OK ||
		    coupon_wallet_withdraw_prepare(&ws->keys.denoms[0], obol_now(), &p, &req) != OBOL_OK)
			break;
		bool definite;
		if ((l->last = coupon_withdraw_exchange(c, &ws->keys.denoms[0], rid, &req, &p, &coin, &definite)) != OBOL_OK)
			break;
		l->withdrawn++;
		/* lock at index 99 and settle at 90: 10 tokens for the vendor */
		struct coupon_auth a = { .index = 99, .deadline = obol_now() + 300 };
		struct coupon_lock_req lr;
		struct coupon_spec spec;
		uint8_t digest[32];
		json_t *body = NULL, *ans = NULL;
		memcpy(a.coin_id, coin.coin.id, 32);
		memcpy(a.cert_hash, w->v[l->vendor].cert_hash, 32);
		obol_hashchain_step(a.token, coin.seed, 99);
		memset(&lr, 0, sizeof(lr));
		lr.coin = coin.coin;
		if (coupon_auth_seal(&a, ws->cfg.issuer_box_pk, lr.auth) != OBOL_OK)
			break;
		memcpy(lr.cert, w->v[l->vendor].cert, w->v[l->vendor].cert_len);
		lr.cert_len = w->v[l->vendor].cert_len;
		lr.deadline = a.deadline;
		coupon_digest_lock_req(digest, &lr, w->v[l->vendor].cert_hash);
		obol_sign(lr.vendor_sig, COUPON_CTX_LOCK_REQ, digest, 32, w->v[l->vendor].kp.sk);
		coupon_spec_lock_req(&spec, &lr);
		if (obol_json_encode(&spec.fields, &body) != OBOL_OK)
			break;
		ans = NULL;
		l->last = obol_http_post_json(c, "/coupon/lock", body, 0, &ans);
		json_decref(body);
		json_decref(ans);
		if (l->last != OBOL_OK)
			break;
		l->locked++;
		struct coupon_vendor_cfg cfg = { .cert = w->v[l->vendor].cert, .cert_len = w->v[l->vendor].cert_len,
						 .sign_sk = w->v[l->vendor].kp.sk };
		struct coupon_vendor_coin vc = { .last_index = 90 };
		struct coupon_settle_req sr;
		memcpy(cfg.cert_hash, w->v[l->vendor].cert_hash, 32);
		memcpy(vc.coin_id, coin.coin.id, 32);
		obol_hashchain_step(vc.last_token, coin.seed, 90);
		coupon_vendor_settle_req(&cfg, &vc, false, &sr);
		coupon_spec_settle_req(&spec, &sr);
		if (obol_json_encode(&spec.fields, &body) != OBOL_OK)
			break;
		ans = NULL;
		l->last = obol_http_post_json(c, "/coupon/settle", body, 0, &ans);
		json_decref(body);
		json_decref(ans);
		if (l->last != OBOL_OK)
			break;
		l->settled++;
	}
	obol_http_client_free(c);
	return NULL;
}

TEST(coupon_procs, issuer_killed_under_load_keeps_every_acknowledged_operation)
{
	static struct world w;
	char out[1024], bal[64];
	volatile int stop = 0;
	struct loader l[2];
	pthread_t th[2];
	REQUIRE(cworld_up(&w, false, NULL) == 0);
	REQUIRE(cobol_run(out, sizeof(out), "issuer", "fund", "--db", w.db, "--account", "alice", "--amount", "EUR:980",
			 NULL) == 0);
	for (int i = 0; i < 2; i++) {
		l[i] = (struct loader){ .w = &w, .vendor = i, .stop = &stop };
		REQUIRE(pthread_create(&th[i], NULL, load, &l[i]) == 0);
	}
	struct timespec ts = { 1, 200000000L };
	nanosleep(&ts, NULL);
	cproc_kill(&w.issuer, SIGKILL);
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	REQUIRE(cproc_restart(&w.issuer) == 0);
	int withdrawn = l[0].withdrawn + l[1].withdrawn;
	test_note("acknowledged before SIGKILL: %d withdrawals, %d locks, %d settles", withdrawn,
		  l[0].locked + l[1].locked, l[0].settled + l[1].settled);
	CHECK(withdrawn > 0);
	/* every acknowledged withdrawal is debited (one more may have committed unanswered) */
	BAL(&w, "alice", bal);
	struct obol_amount a, start, spent;
	REQUIRE_OK(obol_amount_parse(bal, &a));
	REQUIRE_OK(obol_amount_parse("EUR:1000", &start));
	REQUIRE_OK(obol_amount_sub(&spent, &start, &a));
	CHECK(spent.units >= (int64_t)withdrawn * 100000000);
	CHECK(spent.units <= (int64_t)(withdrawn + 2) * 100000000);
	/* every acknowledged settle is credited: 10 tokens of EUR:0.01 each */
	for (int i = 0; i < 2; i++) {
		REQUIRE(cworld_balance(&w, i ? "vendor2" : "vendor1", bal, sizeof(bal)) == 0);
		REQUIRE_OK(obol_amount_parse(bal, &a));
		CHECK(a.units >= (int64_t)l[i].settled * 10000000);
		CHECK(a.units <= (int64_t)(l[i].settled + 1) * 10000000);
	}
	CHECK(cworld_audit_ok(&w));
	cworld_down(&w);
}

/* ---- two issuer processes on one database ---- */

struct racer {
	const char *url;
	const struct coupon_lock_req *req;
	pthread_barrier_t *go;
	obol_err result;
};

static void *race_lock(void *arg)
{
	struct racer *r = arg;
	struct obol_http_client *c = NULL;
	struct coupon_spec spec;
	json_t *body = NULL, *ans = NULL;
	r->result = obol_http_client_new(r->url, 10000, &c);
	coupon_spec_lock_req(&spec, (struct coupon_lock_req *)r->req);
	if (r->result == OBOL_OK)
		r->result = obol_json_encode(&spec.fields, &body);
	pthread_barrier_wait(r->go);
	if (r->result == OBOL_OK)
		r->result = obol_http_post_json(c, "/coupon/lock", body, 0, &ans);
	json_decref(body);
	json_decref(ans);
	obol_http_client_free(c);
	return NULL;
}

TEST_DB(coupon_procs, two_issuers_never_both_lock_a_coin)
{
	static struct world w;
	static struct coupon_lock_req req[2];
	struct proc second;
	REQUIRE(cworld_up_db(&w, db_url, false, NULL) == 0);
	REQUIRE(cproc_start(&second, "issuer2", "issuer", "serve", "--db", w.db, "--listen", "127.0.0.1:0", NULL) == 0);
	enum { COINS = 12 };
	for (int i = 0; i < COINS; i++)
		REQUIRE_OK(cworld_withdraw(&w, 1));
	int64_t T = obol_now() + 300;
	int wins[2] = { 0, 0 };
	for (int i = 0; i < COINS; i++) {
		pthread_barrier_t go;
		pthread_t th[2];
		struct racer r[2];
		pthread_barrier_init(&go, NULL, 2);
		for (int v = 0; v < 2; v++) {
			/* each vendor holds a valid authorisation for the same index */
			cworld_lock_req(&w, (size_t)i, 99, T, v, v, &req[v]);
			r[v] = (struct racer){ .url = v ? second.url : w.issuer.url, .req = &req[v], .go = &go };
			pthread_create(&th[v], NULL, race_lock, &r[v]);
		}
		for (int v = 0; v < 2; v++)
			pthread_join(th[v], NULL);
		pthread_barrier_destroy(&go);
		int ok = (r[0].result == OBOL_OK) + (r[1].result == OBOL_OK);
		if (ok != 1)
			test_note("coin %d: %s, %s", i, obol_strerror(r[0].result), obol_strerror(r[1].result));
		CHECK_EQ_INT(ok, 1);
		for (int v = 0; v < 2; v++) {
			if (r[v].result == OBOL_OK)
				wins[v]++;
			else /* it lost: F already has its token (the winner's lock token) */
				CHECK_ERR(r[v].result, OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN);
		}
		/* the winner settles its lock token */
		int v = r[0].result == OBOL_OK ? 0 : 1;
		uint8_t tok[32];
		struct coupon_settle_reply s;
		obol_hashchain_step(tok, w.ws.coins[i].seed, 99);
		CHECK_OK(cworld_settle(&w, v, w.ws.coins[i].coin.id, 99, tok, false, &s));
	}
	test_note("%s: issuer 1 won %d races, issuer 2 won %d", test_backend(), wins[0], wins[1]);
	char bal1[64], bal2[64];
	REQUIRE(cworld_balance(&w, "vendor1", bal1, sizeof(bal1)) == 0);
	REQUIRE(cworld_balance(&w, "vendor2", bal2, sizeof(bal2)) == 0);
	struct obol_amount a1, a2, sum;
	REQUIRE_OK(obol_amount_parse(bal1, &a1));
	REQUIRE_OK(obol_amount_parse(bal2, &a2));
	REQUIRE_OK(obol_amount_add(&sum, &a1, &a2));
	CHECK_EQ_INT(sum.units, COINS * 1000000); /* one token of EUR:0.01 per coin */
	CHECK(cworld_audit_ok(&w));
	cproc_kill(&second, SIGTERM);
	cworld_down(&w);
}

TEST(coupon_procs, lock_past_T_passes_to_the_next_vendor)
{
	static struct world w;
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_settle_reply s;
	char bal[64];
	REQUIRE(cworld_up(&w, false, NULL) == 0);
	REQUIRE_OK(cworld_withdraw(&w, 1));
	/* vendor 1 locks until T = now + 2 s, is given tokens down to 90, and
	 * never settles */
	cworld_lock_req(&w, 0, 99, obol_now() + 2, 0, 0, &req);
	REQUIRE_OK(cworld_lock(&w, &req, &reply));
	cworld_lock_req(&w, 0, 98, obol_now() + 300, 1, 1, &req);
	CHECK_ERR(cworld_lock(&w, &req, &reply), OBOL_E_COUPON_COIN_LOCKED);
	struct timespec ts = { 3, 0 };
	nanosleep(&ts, NULL);
	/* after T the wallet pays vendor 2 from the issuer's last index: the
	 * tokens vendor 1 did not report are lost to it, the lock token is not */
	cworld_lock_req(&w, 0, 98, obol_now() + 300, 1, 1, &req);
	REQUIRE_OK(cworld_lock(&w, &req, &reply));
	CHECK_EQ_INT(reply.index, 98);
	BAL(&w, "vendor1", bal);
	CHECK_EQ_STR(bal, "EUR:0.01");
	uint8_t tok[32];
	obol_hashchain_step(tok, w.ws.coins[0].seed, 90);
	CHECK_ERR(cworld_settle(&w, 0, w.ws.coins[0].coin.id, 90, tok, false, &s), OBOL_E_COUPON_NOT_LOCK_HOLDER);
	/* vendor 2 settles what it holds: tokens 98 and 97 */
	obol_hashchain_step(tok, w.ws.coins[0].seed, 97);
	REQUIRE_OK(cworld_settle(&w, 1, w.ws.coins[0].coin.id, 97, tok, false, &s));
	CHECK_EQ_INT(s.credited_tokens, 2);
	BAL(&w, "vendor2", bal);
	CHECK_EQ_STR(bal, "EUR:0.02");
	CHECK(cworld_audit_ok(&w));
	cworld_down(&w);
}
