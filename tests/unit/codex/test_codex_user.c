/* The Codex and the user's TransactionMonitor (src/schemes/codex/codex.c,
 * user.c): each check of seed 004 §III and each axiom of §V.A, both ways. */
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/codex/codex.h"
#include "world.h"
#include "../test.h"

#define A 0
#define B 1
#define C 2
#define D 3

static int64_t bal(struct world *w, int i) { return w->cx[i]->balance.units; }

TEST(codex_user, pay_receive_ack_moves_value_both_ways)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	REQUIRE_OK(world_init(&w, 1000, 1000, 16));
	/* the seed's example: Alice pays Bob, then Bob pays Alice */
	REQUIRE_OK(world_pay_msg(&w, A, B, 300, &m));
	/* the payer debits before sending; the token is pending until acked */
	CHECK_EQ_INT(bal(&w, A), 700);
	CHECK_EQ_INT(codex_pending_count(w.cx[A]), 1);
	REQUIRE_OK(codex_receive(w.cx[B], &m, w.now, &ack, NULL));
	CHECK_EQ_INT(bal(&w, B), 1300);
	REQUIRE_OK(codex_take_ack(w.cx[A], &ack));
	CHECK_EQ_INT(codex_pending_count(w.cx[A]), 0);
	CHECK_OK(codex_take_ack(w.cx[A], &ack)); /* idempotent */
	REQUIRE_OK(world_pay(&w, B, A, 50));
	CHECK_EQ_INT(bal(&w, A), 750);
	CHECK_EQ_INT(bal(&w, B), 1250);
	CHECK_EQ_INT(codex_tx_count(w.cx[A]), 2);
	CHECK_EQ_INT(codex_tx_count(w.cx[B]), 2);
	CHECK_OK(codex_check(w.cx[A]));
	CHECK_OK(codex_check(w.cx[B]));
	world_free(&w);
}

TEST(codex_user, axioms_amount_balance_expiry_unique_ids)
{
	struct world w;
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct obol_amount a;
	struct codex_token t1, t2;
	REQUIRE_OK(world_init(&w, 1000, 1000, 3));
	REQUIRE_OK(codex_request(w.cx[B], NULL, &req));
	/* Amount(X) > 0 */
	a = eur(0);
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL), OBOL_E_CODEX_AMOUNT_INVALID);
	a = eur(-5);
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL), OBOL_E_CODEX_AMOUNT_INVALID);
	a = eur(5);
	strcpy(a.currency, "USD");
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL), OBOL_E_CODEX_AMOUNT_INVALID);
	/* value(Token) ≤ current_balance(X) */
	a = eur(1001);
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL), OBOL_E_CODEX_INSUFFICIENT);
	CHECK_EQ_INT(bal(&w, A), 1000);
	CHECK_EQ_INT(w.cx[A]->nlog, 0);
	/* ¬expired(X): by date */
	a = eur(1);
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.cx[A]->state.not_after + 1, &m, NULL), OBOL_E_CODEX_EXPIRED);
	/* unique token ids */
	REQUIRE_OK(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, &t1));
	REQUIRE_OK(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, &t2));
	CHECK(memcmp(t1.id, t2.id, CODEX_TOKEN_ID_LEN) != 0);
	CHECK_EQ_INT(t2.seq, 2);
	/* the whole remaining balance may be spent (the seed's own example) */
	a = eur(998);
	CHECK_OK(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL));
	CHECK_EQ_INT(bal(&w, A), 0);
	/* ¬expired(X): by count of transactions */
	a = eur(1);
	CHECK_ERR(codex_pay(w.cx[B], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL), OBOL_E_CODEX_SELF_PAYMENT);
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL), OBOL_E_CODEX_TX_LIMIT);
	world_free(&w);
}

TEST(codex_user, request_amount_must_match_and_payee_cert_checked)
{
	struct world w;
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct obol_amount a = eur(40), b = eur(41);
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(codex_request(w.cx[B], &a, &req));
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &b }, w.now, &m, NULL), OBOL_E_CODEX_AMOUNT_INVALID);
	/* a certificate changed in transit */
	req.cert[10] ^= 1;
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL), OBOL_E_CODEX_CERT_INVALID);
	req.cert[10] ^= 1;
	/* an expired certificate */
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.cx[B]->cert.not_after + 1, &m, NULL), OBOL_E_CODEX_CERT_INVALID);
	CHECK_OK(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .amount = &a }, w.now, &m, NULL));
	world_free(&w);
}

TEST(codex_user, payee_refuses_replay_stale_and_wrong_payee)
{
	struct world w;
	struct codex_msg_pay m, m2;
	struct codex_msg_ack ack;
	struct codex_token t;
	struct codex_cert pc;
	struct codex_state ps;
	uint8_t plain[CODEX_PAYMENT_MAX];
	size_t n;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	/* stale: a day late, or from the future */
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now + 2 * CODEX_FRESH_WINDOW, &ack, NULL), OBOL_E_CODEX_TOKEN_STALE);
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now - 2 * CODEX_FRESH_WINDOW, &ack, NULL), OBOL_E_CODEX_TOKEN_STALE);
	CHECK_EQ_INT(bal(&w, B), 1000);
	/* only the named payee can open it */
	CHECK_ERR(codex_receive(w.cx[C], &m, w.now, &ack, NULL), OBOL_E_DECRYPT_FAILED);
	/* accepted once, then a replay */
	REQUIRE_OK(codex_receive(w.cx[B], &m, w.now, &ack, NULL));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_TOKEN_SEEN);
	CHECK_EQ_INT(bal(&w, B), 1100);
	/* a token for Carol, re-sealed to Bob by someone who opened it */
	REQUIRE_OK(world_pay_msg(&w, A, C, 100, &m2));
	REQUIRE_OK(obol_sealbox_open(plain, m2.sealed, m2.sealed_len, &w.cx[C]->box));
	n = m2.sealed_len - OBOL_SEALBOX_OVERHEAD;
	REQUIRE_OK(codex_payment_decode(plain, n, &t, &pc, &ps));
	REQUIRE_OK(obol_sealbox_seal(m2.sealed, plain, n, w.cx[B]->box.pk));
	CHECK_ERR(codex_receive(w.cx[B], &m2, w.now, &ack, NULL), OBOL_E_CODEX_NOT_FOR_ME);
	/* garbage and truncation */
	m2.sealed_len = 10;
	CHECK_ERR(codex_receive(w.cx[B], &m2, w.now, &ack, NULL), OBOL_E_CODEX_MALFORMED);
	CHECK_EQ_INT(bal(&w, B), 1100);
	world_free(&w);
}

TEST(codex_user, replay_refused_after_sync_too)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_state st;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	REQUIRE_OK(codex_receive(w.cx[B], &m, w.now, &ack, NULL));
	/* Bob syncs: the bank credits him and starts a new epoch */
	REQUIRE_OK(obol_amount_add(&w.rec[B].credits, &w.rec[B].credits, &(struct obol_amount){ .units = 100, .currency = "EUR" }));
	REQUIRE_OK(codex_sync_begin(w.cx[B], "r1", NULL, false));
	REQUIRE_OK(codex_bank_issue_state(&w.pol, &w.rec[B], 1, w.now, &st));
	REQUIRE_OK(codex_sync_apply(w.cx[B], &(struct codex_sync_answer){ .state = &st, .bl = &w.bl }, WORLD_T0));
	CHECK_EQ_INT(w.cx[B]->nlog, 0);
	CHECK_EQ_INT(bal(&w, B), 1100);
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now + 10, &ack, NULL), OBOL_E_CODEX_TOKEN_SEEN);
	world_free(&w);
}

TEST(codex_user, payee_checks_blacklist_certified_key_and_signature)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	static struct codex_blacklist bl;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	bl = w.bl;
	REQUIRE_OK(world_blacklist_with(&w, w.rec[A].p.id, &bl));
	REQUIRE_OK(codex_set_blacklist(w.cx[B], &bl));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_PAYER_BLACKLISTED);
	CHECK_EQ_INT(bal(&w, B), 1000);
	/* Carol has the old blacklist: Alice's token is still good there */
	REQUIRE_OK(world_pay(&w, A, C, 10));

	/* a token signed by Carol's key but naming Dave as payer, sent with
	 * Carol's certificate: the certificate names another user */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.payer_id = w.rec[3].p.id;
	strcpy(t.payer_name, "dave");
	t.seq = 1;
	REQUIRE_OK(world_craft(&w, C, B, &t, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_CERT_INVALID);
	/* a token whose signature does not match its certified key */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.seq = 1;
	REQUIRE_OK(world_craft(&w, C, B, &t, &m));
	{
		uint8_t plain[CODEX_PAYMENT_MAX];
		size_t n = m.sealed_len - OBOL_SEALBOX_OVERHEAD;
		struct codex_token tt;
		struct codex_cert pc;
		struct codex_state ps;
		REQUIRE_OK(obol_sealbox_open(plain, m.sealed, m.sealed_len, &w.cx[B]->box));
		REQUIRE_OK(codex_payment_decode(plain, n, &tt, &pc, &ps));
		tt.amount.units = 900; /* raised after signing */
		REQUIRE_OK(codex_payment_encode(&tt, &pc, &ps, plain, sizeof(plain), &n));
		REQUIRE_OK(obol_sealbox_seal(m.sealed, plain, n, w.cx[B]->box.pk));
		m.sealed_len = n + OBOL_SEALBOX_OVERHEAD;
	}
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_SIGNATURE);
	/* the honest crafted token passes */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.seq = 1;
	REQUIRE_OK(world_craft(&w, C, B, &t, &m));
	CHECK_OK(codex_receive(w.cx[B], &m, w.now, &ack, NULL));
	CHECK_EQ_INT(bal(&w, B), 2000);
	world_free(&w);
}

TEST(codex_user, payee_checks_payer_expiry_by_date_and_count)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 1000, 2));
	/* a sequence beyond the payer's count of transactions */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.seq = 3;
	REQUIRE_OK(world_craft(&w, A, B, &t, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_TX_LIMIT);
	/* a token made after the payer's Codex expired */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.seq = 1;
	t.time = w.cx[A]->state.not_after + 1;
	REQUIRE_OK(world_craft(&w, A, B, &t, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, t.time, &ack, NULL), OBOL_E_CODEX_EXPIRED);
	/* a token of an epoch other than the state sent along */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.seq = 1;
	t.epoch = 2;
	REQUIRE_OK(world_craft(&w, A, B, &t, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_STATE_STALE);
	CHECK_EQ_INT(bal(&w, B), 1000);
	world_free(&w);
}

TEST(codex_user, ack_checks)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack, forged;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	REQUIRE_OK(codex_receive(w.cx[B], &m, w.now, &ack, &t));
	/* an ack signed by someone else than the payee */
	REQUIRE_OK(codex_make_ack(&t, w.rec[B].p.id, w.cx[C]->sign_sk, w.now, &forged));
	CHECK_ERR(codex_take_ack(w.cx[A], &forged), OBOL_E_CODEX_SIGNATURE);
	/* an ack of a token Alice never made */
	t.id[0] ^= 1;
	REQUIRE_OK(codex_make_ack(&t, w.rec[B].p.id, w.cx[B]->sign_sk, w.now, &forged));
	CHECK_ERR(codex_take_ack(w.cx[A], &forged), OBOL_E_CODEX_ACK_UNKNOWN);
	forged.ack[0] ^= 1;
	CHECK_ERR(codex_take_ack(w.cx[A], &forged), OBOL_E_CODEX_MALFORMED);
	CHECK_EQ_INT(codex_pending_count(w.cx[A]), 1);
	CHECK_OK(codex_take_ack(w.cx[A], &ack));
	CHECK_EQ_INT(codex_pending_count(w.cx[A]), 0);
	world_free(&w);
}

TEST(codex_user, sync_pending_blocks_and_apply_checks_state)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_state st, st2;
	static struct codex_blacklist bl;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay_msg(&w, B, A, 5, &m));
	REQUIRE_OK(codex_sync_begin(w.cx[A], "req-1", NULL, false));
	CHECK_OK(codex_sync_begin(w.cx[A], "req-2", NULL, true)); /* keeps the first request */
	CHECK_EQ_STR(w.cx[A]->sync_request_id, "req-1");
	CHECK(!w.cx[A]->sync_close);
	CHECK_ERR(world_pay_msg(&w, A, B, 1, &m), OBOL_E_CODEX_SYNC_PENDING);
	CHECK_ERR(codex_receive(w.cx[A], &m, w.now, &ack, NULL), OBOL_E_CODEX_SYNC_PENDING);
	/* a state for another user, a forged one, one that skips an epoch */
	REQUIRE_OK(codex_bank_issue_state(&w.pol, &w.rec[B], 0, w.now, &st));
	CHECK_ERR(codex_sync_apply(w.cx[A], &(struct codex_sync_answer){ .state = &st, .bl = &w.bl }, WORLD_T0), OBOL_E_CODEX_STATE_STALE);
	w.rec[A].epoch++;
	REQUIRE_OK(codex_bank_issue_state(&w.pol, &w.rec[A], 0, w.now, &st));
	CHECK_ERR(codex_sync_apply(w.cx[A], &(struct codex_sync_answer){ .state = &st, .bl = &w.bl }, WORLD_T0), OBOL_E_CODEX_STATE_STALE);
	w.rec[A].epoch = 1;
	REQUIRE_OK(codex_bank_issue_state(&w.pol, &w.rec[A], 0, w.now, &st));
	st2 = st;
	st2.balance.units += 1;
	CHECK_ERR(codex_sync_apply(w.cx[A], &(struct codex_sync_answer){ .state = &st2, .bl = &w.bl }, WORLD_T0), OBOL_E_CODEX_SIGNATURE);
	/* an older blacklist than the one held */
	bl = w.bl;
	REQUIRE_OK(world_blacklist_with(&w, 999, &bl));
	REQUIRE_OK(codex_set_blacklist(w.cx[A], &bl));
	CHECK_ERR(codex_set_blacklist(w.cx[A], &w.bl), OBOL_E_CODEX_BLACKLIST_OLD);
	bl.version++; /* not re-signed */
	CHECK_ERR(codex_set_blacklist(w.cx[A], &bl), OBOL_E_CODEX_SIGNATURE);
	CHECK_ERR(codex_sync_apply(w.cx[A], &(struct codex_sync_answer){ .state = &st, .bl = &bl }, WORLD_T0),
		  OBOL_E_CODEX_SIGNATURE);
	bl.version--;
	/* an answer whose blacklist is older than the one held (fetched while
	 * the sync was pending) applies, and the newer list stays */
	CHECK_OK(codex_sync_apply(w.cx[A], &(struct codex_sync_answer){ .state = &st, .bl = &w.bl }, WORLD_T0));
	CHECK_EQ_INT(w.cx[A]->blacklist.version, bl.version);
	CHECK(!w.cx[A]->sync_pending);
	CHECK_EQ_INT(w.cx[A]->state.epoch, 2);
	/* the payment Bob made before the sync is taken in the new epoch */
	CHECK_OK(codex_receive(w.cx[A], &m, w.now, &ack, NULL));
	CHECK_EQ_INT(bal(&w, A), 1005);
	world_free(&w);
}

TEST(codex_user, serialize_parse_roundtrip_and_tamper)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex *back = codex_alloc();
	uint8_t *buf;
	size_t n;
	REQUIRE(back);
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay(&w, A, B, 100));
	REQUIRE_OK(world_pay(&w, B, A, 30));
	REQUIRE_OK(world_pay_msg(&w, A, C, 7, &m)); /* pending */
	REQUIRE_OK(codex_serialize(w.cx[A], &buf, &n));
	REQUIRE_OK(codex_parse(back, buf, n));
	CHECK_EQ_INT(back->balance.units, 923);
	CHECK_EQ_INT(back->nlog, 3);
	CHECK_EQ_INT(codex_pending_count(back), 1);
	CHECK_MEM_EQ(back->head, w.cx[A]->head, 32);
	/* every truncation is refused */
	for (size_t k = 0; k < n; k += 7)
		CHECK(codex_parse(back, buf, k) != OBOL_OK);
	/* a richer balance than the log allows */
	w.cx[A]->balance.units += 50;
	free(buf);
	REQUIRE_OK(codex_serialize(w.cx[A], &buf, &n));
	CHECK_ERR(codex_parse(back, buf, n), OBOL_E_CODEX_INCONSISTENT);
	w.cx[A]->balance.units -= 50;
	/* a log entry erased from the middle (what a rolled-back payer would like) */
	w.cx[A]->log[0] = w.cx[A]->log[1];
	free(buf);
	REQUIRE_OK(codex_serialize(w.cx[A], &buf, &n));
	CHECK_ERR(codex_parse(back, buf, n), OBOL_E_CODEX_LOG_BROKEN);
	obol_wipe(buf, n);
	free(buf);
	codex_free(back);
	world_free(&w);
}

TEST(codex_user, settled_token_arriving_late_is_a_replay)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	t = w.cx[A]->log[0].e.token;
	/* the bank settled it to Bob from Alice's log; Bob learns the id */
	CHECK_OK(codex_note_settled(w.cx[B], t.id, t.time, w.now));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_TOKEN_SEEN);
	/* an id too old to pass the time check is not kept */
	t.id[0] ^= 1;
	CHECK_OK(codex_note_settled(w.cx[B], t.id, w.now - 3 * CODEX_FRESH_WINDOW, w.now));
	CHECK_EQ_INT(w.cx[B]->nseen, 1);
	world_free(&w);
}

TEST(codex_user, payee_refuses_zero_amount_self_payment_and_own_expiry)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	/* a signed token of amount 0 */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.seq = 1;
	t.amount = eur(0);
	REQUIRE_OK(world_craft(&w, A, B, &t, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_AMOUNT_INVALID);
	/* a token Alice made out to herself */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.seq = 1;
	REQUIRE_OK(world_craft(&w, A, A, &t, &m));
	CHECK_ERR(codex_receive(w.cx[A], &m, w.now, &ack, NULL), OBOL_E_CODEX_SELF_PAYMENT);
	/* Bob's own Codex has expired: he must sync before he takes payments */
	REQUIRE_OK(world_pay_msg(&w, A, B, 10, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.cx[B]->state.not_after + 1, &ack, NULL), OBOL_E_CODEX_EXPIRED);
	CHECK_EQ_INT(bal(&w, B), 1000);
	CHECK_EQ_INT(bal(&w, A), 990);
	world_free(&w);
}

/* ---- issue 14 -------------------------------------------------------------- */

/* Case 3: a token over the bank's offline limits is refused by its payee
 * however it was signed: a forged EUR 1,000,000 token, one over the
 * per-token cap, one whose running total is over the epoch's limit or
 * below its own amount. */
TEST(codex_user, payee_refuses_tokens_over_the_offline_limits)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	memset(&t, 0, sizeof(t));
	t.amount = t.spent = eur(100000000000000); /* EUR 1,000,000 */
	t.seq = 1;
	REQUIRE_OK(world_craft(&w, A, B, &t, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_OVER_LIMIT);
	memset(&t, 0, sizeof(t));
	t.amount = t.spent = eur(501);
	t.seq = 1;
	REQUIRE_OK(world_craft(&w, A, B, &t, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_OVER_LIMIT);
	memset(&t, 0, sizeof(t));
	t.amount = eur(100);
	t.spent = eur(99);
	t.seq = 1;
	REQUIRE_OK(world_craft(&w, A, B, &t, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_OVER_LIMIT);
	CHECK(codex_refusable(OBOL_E_CODEX_OVER_LIMIT));
	CHECK_EQ_INT(bal(&w, B), 1000);
	/* the payer's own Codex refuses to go past them */
	CHECK_ERR(world_pay_msg(&w, A, B, 501, &m), OBOL_E_CODEX_OVER_LIMIT);
	REQUIRE_OK(world_pay(&w, A, B, 300));
	CHECK_ERR(world_pay_msg(&w, A, C, 201, &m), OBOL_E_CODEX_OVER_LIMIT);
	CHECK_OK(world_pay(&w, A, C, 200));
	world_free(&w);
}

/* Case 3: a rolled-back or copied Codex cannot make one payee take the
 * same epoch's money twice: a later token of a payer must come after the
 * last place the payee took. */
TEST(codex_user, payee_refuses_a_copied_codex_paying_it_again)
{
	struct world w;
	struct codex *copy = codex_alloc();
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	REQUIRE(copy);
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	memcpy(copy, w.cx[A], sizeof(*copy));
	REQUIRE_OK(world_pay(&w, A, B, 400));
	REQUIRE_OK(world_pay(&w, A, C, 100));
	REQUIRE_OK(world_pay(&w, A, B, 100)); /* honest: a later place */
	memcpy(w.cx[A], copy, sizeof(*copy));
	REQUIRE_OK(world_pay_msg(&w, A, B, 400, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_PLACE_REUSED);
	CHECK(codex_refusable(OBOL_E_CODEX_PLACE_REUSED));
	CHECK_EQ_INT(bal(&w, B), 1500);
	/* a third payee can be paid by the copy: only the bank can see that */
	CHECK_OK(world_pay(&w, A, D, 100));
	codex_free(copy);
	world_free(&w);
}

/* P2: the payer pays no more than the most it agreed to, whatever the
 * payee asks. */
TEST(codex_user, payer_caps_what_it_pays)
{
	struct world w;
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct obol_amount asked = eur(300), max = eur(250), more = eur(300);
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(codex_request(w.cx[B], &asked, &req));
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .max = &max }, w.now, &m, NULL),
		  OBOL_E_CODEX_OVER_CAP);
	CHECK_EQ_INT(bal(&w, A), 1000);
	CHECK_OK(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req, .max = &more }, w.now, &m, NULL));
	CHECK_EQ_INT(bal(&w, A), 700);
	/* no amount given nor asked */
	REQUIRE_OK(codex_request(w.cx[B], NULL, &req));
	CHECK_ERR(codex_pay(w.cx[A], &(struct codex_pay_req){ .req = &req }, w.now, &m, NULL), OBOL_E_CODEX_AMOUNT_INVALID);
	world_free(&w);
}

/* Case 4: while a sync is pending, nothing changes what it sent: a refusal
 * taken meanwhile waits beside the log (the entry's bytes stay), and the
 * next sync carries it. */
TEST(codex_user, pending_sync_keeps_what_it_sent)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	uint8_t before[CODEX_ENTRY_MAX], after[CODEX_ENTRY_MAX];
	size_t nb, na;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now + 3 * CODEX_FRESH_WINDOW, &ack, NULL), OBOL_E_CODEX_TOKEN_STALE);
	REQUIRE_OK(codex_refuse(w.cx[B], &m, OBOL_E_CODEX_TOKEN_STALE, w.now, &ref));
	REQUIRE_OK(codex_sync_begin(w.cx[A], "r1", NULL, false));
	REQUIRE_OK(codex_entry_encode(&w.cx[A]->log[0].e, before, sizeof(before), &nb));
	CHECK_OK(codex_take_refusal(w.cx[A], &ref));
	REQUIRE_OK(codex_entry_encode(&w.cx[A]->log[0].e, after, sizeof(after), &na));
	CHECK(nb == na && memcmp(before, after, nb) == 0);
	CHECK_EQ_INT(w.cx[A]->nrefusals, 1);
	CHECK(!w.cx[A]->refusals[0].in_sync);
	/* a refusal kept before the sync began is part of it */
	REQUIRE_OK(codex_sync_begin(w.cx[B], "r2", NULL, false));
	CHECK(w.cx[B]->refusals[0].in_sync);
	world_free(&w);
}

/* Case 4: only the bank's own refusal of a request abandons it; an answer
 * of unknown outcome (a lost reply, a 5xx, a commit that may or may not
 * have happened) keeps it, to be sent again unchanged. */
TEST(codex_user, only_a_refusal_for_good_abandons_a_sync)
{
	CHECK(codex_sync_refused_for_good(OBOL_E_CODEX_STATE_STALE));
	CHECK(codex_sync_refused_for_good(OBOL_E_CODEX_BLACKLISTED));
	CHECK(codex_sync_refused_for_good(OBOL_E_LEDGER_INSUFFICIENT_FUNDS));
	CHECK(!codex_sync_refused_for_good(OBOL_E_NETWORK));
	CHECK(!codex_sync_refused_for_good(OBOL_E_PEER_ERROR));
	CHECK(!codex_sync_refused_for_good(OBOL_E_STORE_OPEN));
	CHECK(!codex_sync_refused_for_good(OBOL_E_STORE_QUERY));
	CHECK(!codex_sync_refused_for_good(OBOL_E_STORE_CONFLICT));
	CHECK(!codex_sync_refused_for_good(OBOL_E_STORE_BUSY));
	CHECK(!codex_sync_refused_for_good(OBOL_E_INTERNAL));
	CHECK(!codex_sync_refused_for_good(OBOL_E_IDEMPOTENCY_MISMATCH));
	CHECK(!codex_sync_refused_for_good(OBOL_E_WIRE_OVERSIZED));
}

/* Case 10: the list of received ids full, a payment is refused with a
 * signed refusal all the same, and that token is never taken later. */
TEST(codex_user, full_received_ids_still_get_a_signed_refusal)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	obol_err e;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	for (size_t i = 0; i < CODEX_SEEN_MAX; i++) {
		obol_random(w.cx[B]->seen[i].id, CODEX_TOKEN_ID_LEN);
		w.cx[B]->seen[i].time = w.now;
	}
	w.cx[B]->nseen = CODEX_SEEN_MAX;
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	e = codex_receive(w.cx[B], &m, w.now, &ack, NULL);
	CHECK_ERR(e, OBOL_E_CODEX_FULL);
	REQUIRE_OK(codex_refuse(w.cx[B], &m, e, w.now, &ref));
	CHECK_OK(codex_take_refusal(w.cx[A], &ref));
	CHECK_EQ_INT(codex_refused_count(w.cx[A]), 1);
	/* two hours on, the old ids are gone: the refused one is still known */
	w.now += 2 * CODEX_FRESH_WINDOW + 1;
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now - CODEX_FRESH_WINDOW, &ack, NULL), OBOL_E_CODEX_TOKEN_SEEN);
	world_free(&w);
}

/* A state issued before the offline limits: its Codex neither pays nor is
 * paid until it syncs. */
TEST(codex_user, a_state_without_limits_neither_pays_nor_is_paid)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_state old;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	old = w.cx[A]->state;
	old.version = 1;
	REQUIRE_OK(codex_state_sign(&old, &w.bank_sg));
	w.cx[A]->state = old;
	CHECK_ERR(world_pay_msg(&w, A, B, 10, &m), OBOL_E_CODEX_STATE_OLD_FORMAT);
	CHECK_ERR(world_pay_msg(&w, B, A, 10, &m), OBOL_OK);
	CHECK_ERR(codex_receive(w.cx[A], &m, w.now, &ack, NULL), OBOL_E_CODEX_STATE_OLD_FORMAT);
	world_free(&w);
}
