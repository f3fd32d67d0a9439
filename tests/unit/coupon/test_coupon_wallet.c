/* The wallet: offer checks, resync, coin selection (seed §5), and the
 * messages' encodings. */
#include <string.h>

#include "../test.h"
#include "crypto/secret.h"
#include "fixture.h"
#include "wire/cbor.h"
#include "wire/json.h"

#define SETUP(f)                   \
	static struct fx f;        \
	REQUIRE(cfx_init(&f) == 0); \
	REQUIRE_OK(cfx_withdraw(&f, 0))

static obol_err offer_with(struct fx *f, const uint8_t *cert, size_t cert_len, int64_t T)
{
	struct coupon_buy buy;
	struct coupon_offer offer = { 0 };
	struct coupon_pay pay;
	obol_err e = coupon_wallet_buy(&f->ws, 3, &buy);
	if (e != OBOL_OK)
		return e;
	memcpy(offer.cert, cert, cert_len);
	offer.cert_len = cert_len;
	offer.deadline = T;
	offer.units = 3;
	if ((e = obol_amount_parse("EUR:0.01", &offer.price)) != OBOL_OK)
		return e;
	return coupon_wallet_on_offer(&f->wc, &f->ws, f->coins, f->ncoins, &offer, f->now, &pay);
}

TEST(coupon_wallet, offer_checks)
{
	SETUP(f);
	struct obol_sign_keypair other;
	obol_sign_keypair_new(&other);
	uint8_t cert[COUPON_CERT_MAX];
	size_t len;
	cfx_cert_make(cert, &len, f.v[0].kp.pk, 100, f.now - 10, f.now + 86400, other.sk);
	CHECK_ERR(offer_with(&f, cert, len, f.now + 600), OBOL_E_COUPON_OFFER_CERT);
	cfx_cert_make(cert, &len, f.v[0].kp.pk, 100, f.now - 100, f.now - 1, f.master.sk);
	CHECK_ERR(offer_with(&f, cert, len, f.now + 600), OBOL_E_COUPON_OFFER_CERT);
	CHECK_ERR(offer_with(&f, f.v[0].cert, f.v[0].cert_len, f.now), OBOL_E_COUPON_DEADLINE_PAST);
	CHECK_ERR(offer_with(&f, f.v[0].cert, f.v[0].cert_len, f.now + 3601), OBOL_E_COUPON_DEADLINE_TOO_FAR);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N);
	CHECK(!f.coins[0].lock_open);
	CHECK_OK(offer_with(&f, f.v[0].cert, f.v[0].cert_len, f.now + 600));
	CHECK(f.coins[0].lock_open);
	cfx_free(&f);
}

TEST(coupon_wallet, resyncs_from_the_issuer)
{
	SETUP(f);
	struct coupon_coin_status st;
	/* spend 10 units honestly, then forget it: the wallet's index is stale
	 * high, its PAY shows a token the issuer already knows, which proves
	 * nothing: the refusal names no state and the coin is in doubt */
	REQUIRE_OK(cfx_session(&f, 0, 10));
	f.coins[0].last_index = FX_N;
	CHECK_ERR(cfx_session(&f, 1, 5), OBOL_E_COUPON_NO_COIN);
	CHECK(f.coins[0].in_doubt);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N);
	/* the holder's status query finds where it stands */
	REQUIRE_OK(cfx_sync(&f, 0, &st));
	CHECK(st.known);
	CHECK_EQ_INT(st.last_index, FX_N - 10);
	CHECK(!f.coins[0].in_doubt);
	REQUIRE_OK(cfx_session(&f, 1, 5));
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 15);
	CHECK_EQ_INT(f.credited[1], 5);
	/* a wallet that thinks it spent more than it did shows a token below the
	 * issuer's: that proves the holder, and the signed refusal resyncs it
	 * upwards within the session */
	f.coins[0].last_index = FX_N - 40;
	REQUIRE_OK(cfx_session(&f, 0, 5));
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 20);
	CHECK_EQ_INT(f.credited[0], 15);
	cfx_free(&f);
}

TEST(coupon_wallet, locked_coin_is_passed_over)
{
	SETUP(f);
	REQUIRE_OK(cfx_withdraw(&f, 0));
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_coin_status st;
	/* a session at vendor 0 locks coin A and is never settled (vendor crashed) */
	REQUIRE_OK(cfx_open(&f, 0, 5, &req));
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	size_t a = f.ws.coin;
	/* the wallet forgets it knew: at vendor 1 it tries A, whose lock token
	 * the issuer already has, is refused (in doubt), and pays with the
	 * other coin */
	f.coins[a].lock_open = false;
	f.coins[a].last_index = FX_N;
	memset(&f.ws, 0, sizeof(f.ws));
	REQUIRE_OK(cfx_session(&f, 1, 5));
	CHECK(f.ws.coin != a);
	CHECK_EQ_INT(f.credited[1], 5);
	CHECK(f.coins[a].in_doubt);
	/* its status: locked by vendor 0 until T */
	REQUIRE_OK(cfx_sync(&f, a, &st));
	CHECK(st.locked);
	CHECK(f.coins[a].lock_open);
	CHECK_EQ_INT(f.coins[a].locked_until, f.now + 600);
	CHECK_EQ_INT(f.coins[a].last_index, FX_N - 1);
	cfx_free(&f);
}

TEST(coupon_wallet, a_sync_under_a_lock_keeps_what_the_wallet_revealed)
{
	SETUP(f);
	struct coupon_wallet_order order = { .units = 5, .ahead = 1 };
	struct coupon_coin_status st;
	/* 5 units at vendor 0, not settled yet: F's index is the lock's (99),
	 * the wallet is at 95 */
	REQUIRE_OK(cfx_run_order(&f, 0, &order));
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 5);
	/* the wallet asks while the lock holds: it stays at 95 (it revealed
	 * 98..95 to the lock's vendor, which F cannot know yet), in doubt */
	REQUIRE_OK(cfx_sync(&f, 0, &st));
	CHECK(st.locked);
	CHECK_EQ_INT(st.last_index, FX_N - 1);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 5);
	CHECK(f.coins[0].in_doubt);
	/* the session broke off as the wallet sent token 94 (counted as sent),
	 * which never arrived: once the vendor settled 99..95, F's index is
	 * 95 and the wallet climbs back to it */
	f.coins[0].last_index = FX_N - 6;
	REQUIRE_OK(cfx_settle_all(&f, 0));
	REQUIRE_OK(cfx_sync(&f, 0, &st));
	CHECK(!st.locked);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 5);
	CHECK(!f.coins[0].in_doubt);
	/* the next payment goes on from there: no token is paid twice */
	REQUIRE_OK(cfx_session(&f, 1, 5));
	CHECK_EQ_INT(f.credited[0], 5);
	CHECK_EQ_INT(f.credited[1], 5);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 10);
	cfx_free(&f);
}

TEST(coupon_wallet, coin_selection)
{
	static struct fx f;
	REQUIRE(cfx_init(&f) == 0);
	/* coins worth 1, 1, 2 EUR; one opened 1-EUR coin with 0.30 left */
	REQUIRE_OK(cfx_withdraw(&f, 0));
	REQUIRE_OK(cfx_withdraw(&f, 0));
	REQUIRE_OK(cfx_withdraw(&f, 1));
	REQUIRE_OK(cfx_withdraw(&f, 0));
	f.coins[3].last_index = 30;
	size_t plan[8], n;
	struct obol_amount amt;
	/* 0.25: the opened coin (least value that covers it) */
	REQUIRE_OK(obol_amount_parse("EUR:0.25", &amt));
	REQUIRE_OK(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now, plan, 8, &n));
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(plan[0], 3);
	/* 0.9: a whole 1-EUR coin, not the 2-EUR one */
	REQUIRE_OK(obol_amount_parse("EUR:0.9", &amt));
	REQUIRE_OK(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now, plan, 8, &n));
	CHECK_EQ_INT(n, 1);
	CHECK(plan[0] == 0 || plan[0] == 1);
	/* 1.5: the 2-EUR coin alone (one lock) */
	REQUIRE_OK(obol_amount_parse("EUR:1.5", &amt));
	REQUIRE_OK(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now, plan, 8, &n));
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(plan[0], 2);
	/* 2.2: the 2-EUR coin then the opened coin (covers the rest with least left over) */
	REQUIRE_OK(obol_amount_parse("EUR:2.2", &amt));
	REQUIRE_OK(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now, plan, 8, &n));
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(plan[0], 2);
	CHECK_EQ_INT(plan[1], 3);
	/* 4.3 is everything; 4.31 is too much */
	REQUIRE_OK(obol_amount_parse("EUR:4.3", &amt));
	REQUIRE_OK(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now, plan, 8, &n));
	CHECK_EQ_INT(n, 4);
	REQUIRE_OK(obol_amount_parse("EUR:4.31", &amt));
	CHECK_ERR(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now, plan, 8, &n),
		  OBOL_E_COUPON_NO_COIN);
	/* a coin held by an open lock, or past its spend-until at T, is not used */
	f.coins[2].lock_open = true;
	f.coins[2].locked_until = f.now + 100;
	REQUIRE_OK(obol_amount_parse("EUR:1.5", &amt));
	REQUIRE_OK(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now, plan, 8, &n));
	CHECK_EQ_INT(n, 2);
	CHECK(plan[0] != 2 && plan[1] != 2);
	REQUIRE_OK(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now + 101, plan, 8, &n));
	CHECK_EQ_INT(n, 1);
	CHECK_ERR(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.denom[0].spend_until + 1, f.now + 101, plan, 8, &n),
		  OBOL_E_COUPON_NO_COIN);
	/* another currency */
	REQUIRE_OK(obol_amount_parse("USD:0.1", &amt));
	CHECK_ERR(coupon_wallet_select(&f.wc, f.coins, 4, &amt, f.now + 600, f.now, plan, 8, &n),
		  OBOL_E_COUPON_NO_COIN);
	cfx_free(&f);
}

TEST(coupon_messages, cbor_and_json_round_trip)
{
	SETUP(f);
	struct coupon_lock_req req, back;
	struct coupon_spec s1, s2;
	REQUIRE_OK(cfx_open(&f, 0, 3, &req));
	coupon_spec_lock_req(&s1, &req);
	uint8_t buf[8192];
	size_t len;
	REQUIRE_OK(obol_cbor_encode(&s1.fields, buf, sizeof(buf), &len));
	memset(&back, 0, sizeof(back));
	coupon_spec_lock_req(&s2, &back);
	REQUIRE_OK(obol_cbor_decode(buf, len, &s2.fields));
	CHECK_MEM_EQ(&back.coin.id, &req.coin.id, 32);
	CHECK_EQ_INT(back.coin.sig_len, req.coin.sig_len);
	CHECK_MEM_EQ(back.vendor_sig, req.vendor_sig, 64);
	CHECK_EQ_INT(back.deadline, req.deadline);
	/* truncated and garbage CBOR are refused */
	CHECK(obol_cbor_decode(buf, len - 1, &s2.fields) != OBOL_OK);
	CHECK(obol_cbor_decode((const uint8_t *)"\xff\x00\x01", 3, &s2.fields) != OBOL_OK);
	/* JSON */
	json_t *j = NULL;
	REQUIRE_OK(obol_json_encode(&s1.fields, &j));
	char *text = obol_json_dump_canonical(j);
	REQUIRE(text != NULL);
	memset(&back, 0, sizeof(back));
	coupon_spec_lock_req(&s2, &back);
	CHECK_OK(obol_json_decode_text(text, strlen(text), &s2.fields));
	CHECK_MEM_EQ(back.auth, req.auth, COUPON_AUTH_LEN);
	CHECK(obol_json_decode_text(text, strlen(text) - 2, &s2.fields) != OBOL_OK);
	free(text);
	json_decref(j);
	/* a token frame with an oversized token field */
	struct coupon_token tok = { .index = 3 };
	coupon_spec_token(&s1, &tok);
	REQUIRE_OK(obol_frame_encode(COUPON_MSG_TOKEN, &s1.fields, buf, sizeof(buf), &len));
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
	REQUIRE_OK(obol_frame_decode(buf, len, &type, &body, &body_len));
	CHECK_EQ_INT(type, COUPON_MSG_TOKEN);
	struct coupon_token tb;
	coupon_spec_token(&s2, &tb);
	CHECK_OK(obol_cbor_decode(body, body_len, &s2.fields));
	struct coupon_error err;
	coupon_spec_error(&s1, &err);
	CHECK(obol_cbor_decode(body, body_len, &s1.fields) != OBOL_OK);
	cfx_free(&f);
}

TEST(coupon_messages, sealed_authorisation)
{
	static struct fx f;
	REQUIRE(cfx_init(&f) == 0);
	struct coupon_auth a = { .index = 42, .deadline = 12345 }, b;
	obol_random(a.coin_id, 32);
	obol_random(a.token, 32);
	obol_random(a.cert_hash, 32);
	uint8_t box[COUPON_AUTH_LEN];
	REQUIRE_OK(coupon_auth_seal(&a, f.box.pk, box));
	REQUIRE_OK(coupon_auth_open(box, &f.box, &b));
	CHECK_MEM_EQ(&a, &b, sizeof(a));
	for (size_t i = 0; i < COUPON_AUTH_LEN; i += 13) {
		box[i] ^= 0x80;
		CHECK_ERR(coupon_auth_open(box, &f.box, &b), OBOL_E_COUPON_AUTH_UNREADABLE);
		box[i] ^= 0x80;
	}
	cfx_free(&f);
}

TEST(coupon_wallet, buys_what_a_budget_pays)
{
	SETUP(f);
	struct coupon_buy buy;
	struct coupon_offer offer;
	struct coupon_pay pay;
	struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct obol_amount budget;
	REQUIRE_OK(obol_amount_parse("EUR:0.055", &budget));
	REQUIRE_OK(coupon_wallet_buy_amount(&f.ws, &budget, &buy));
	REQUIRE_OK(coupon_vendor_start(&f.v[0].cfg, &f.v[0].s, &buy, f.now, &offer));
	REQUIRE_OK(coupon_wallet_on_offer(&f.wc, &f.ws, f.coins, f.ncoins, &offer, f.now, &pay));
	CHECK_EQ_INT(f.ws.units_wanted, 5);
	REQUIRE_OK(coupon_vendor_on_pay(&f.v[0].cfg, &f.v[0].s, &pay, f.now, &req));
	REQUIRE_OK(cfx_issuer_lock(&f, &req, &reply, NULL));
	REQUIRE_OK(coupon_vendor_on_lock_reply(&f.v[0].cfg, &f.v[0].s, &reply));
	REQUIRE_OK(coupon_wallet_on_locked(&f.wc, &f.ws, f.coins, &reply));
	bool ended = false;
	for (int i = 0; i < 100 && !ended; i++) {
		enum coupon_vendor_action act;
		struct coupon_token_req treq;
		struct coupon_served served;
		enum coupon_wallet_answer ans;
		struct coupon_token tok;
		size_t ci;
		REQUIRE_OK(coupon_vendor_next(&f.v[0].cfg, &f.v[0].s, f.now, &act, &treq, &served));
		if (act == COUPON_VA_SERVE) {
			coupon_wallet_on_served(&f.ws, &served);
			continue;
		}
		REQUIRE(act == COUPON_VA_ASK);
		REQUIRE_OK(coupon_wallet_on_token_req(&f.wc, &f.ws, f.coins, f.ncoins, &treq, f.now, &ans, &tok, &pay));
		if (ans == COUPON_WA_END)
			ended = true;
		else
			REQUIRE_OK(coupon_vendor_on_token(&f.v[0].cfg, &f.v[0].s, &tok, f.now, &ci));
	}
	CHECK(ended);
	CHECK_EQ_INT(f.v[0].s.units_served, 5);
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 5);
	/* a budget below one unit buys nothing */
	REQUIRE_OK(obol_amount_parse("EUR:0.005", &budget));
	memset(&f.v[1].s, 0, sizeof(f.v[1].s));
	REQUIRE_OK(coupon_wallet_buy_amount(&f.ws, &budget, &buy));
	REQUIRE_OK(coupon_vendor_start(&f.v[1].cfg, &f.v[1].s, &buy, f.now, &offer));
	CHECK_ERR(coupon_wallet_on_offer(&f.wc, &f.ws, f.coins, f.ncoins, &offer, f.now, &pay), OBOL_E_COUPON_PRICE);
	cfx_free(&f);
}

TEST(coupon_wallet, next_payment_resumes_the_saved_traversal)
{
	SETUP(f);
	REQUIRE_OK(cfx_session(&f, 0, 10));
	CHECK(f.coins[0].trav_len > 0);
	CHECK(f.coins[0].trav_len < 600);
	/* without the seed the wallet could not start the chain again: the
	 * second payment can only come from the saved traversal */
	uint8_t seed[32];
	memcpy(seed, f.coins[0].seed, 32);
	memset(f.coins[0].seed, 0, 32);
	REQUIRE_OK(cfx_session(&f, 1, 15));
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 25);
	CHECK_EQ_INT(f.credited[1], 15);
	/* a resync upwards cannot use it (the chain only goes down): S again */
	memcpy(f.coins[0].seed, seed, 32);
	f.coins[0].last_index = FX_N - 40;
	REQUIRE_OK(cfx_session(&f, 0, 5));
	CHECK_EQ_INT(f.coins[0].last_index, FX_N - 30);
	cfx_free(&f);
}

TEST(coupon_denom, figures_checked)
{
	struct coupon_denom d = { .id = 1, .n = 1000, .valid_from = 5, .withdraw_until = 10, .spend_until = 20,
				  .legal_end = 40 };
	REQUIRE_OK(obol_amount_parse("EUR:1", &d.value));
	CHECK_OK(coupon_denom_check(&d));
	CHECK_EQ_INT(d.token_value.units, 100000); /* EUR:0.001 */
	d.n = 3; /* EUR:1/3 is not a whole number of 10^-8 */
	CHECK_ERR(coupon_denom_check(&d), OBOL_E_COUPON_DENOM_CONFIG);
	d.n = 0;
	CHECK_ERR(coupon_denom_check(&d), OBOL_E_COUPON_DENOM_CONFIG);
	d.n = OBOL_HASHCHAIN_MAX_N + 1;
	CHECK_ERR(coupon_denom_check(&d), OBOL_E_COUPON_DENOM_CONFIG);
	d.n = 1000;
	d.withdraw_until = 30;
	CHECK_ERR(coupon_denom_check(&d), OBOL_E_COUPON_DENOM_CONFIG);
	d.withdraw_until = 10;
	d.valid_from = 11; /* the windows are ordered */
	CHECK_ERR(coupon_denom_check(&d), OBOL_E_COUPON_DENOM_CONFIG);
	d.valid_from = 5;
	d.legal_end = 19;
	CHECK_ERR(coupon_denom_check(&d), OBOL_E_COUPON_DENOM_CONFIG);
	d.legal_end = 40;
	REQUIRE_OK(obol_amount_parse("EUR:0", &d.value));
	CHECK_ERR(coupon_denom_check(&d), OBOL_E_COUPON_DENOM_CONFIG);
}
