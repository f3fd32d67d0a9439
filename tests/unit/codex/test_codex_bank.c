/* The bank's ActivityMonitor decisions (src/schemes/codex/bank*.c), pure,
 * over an in-memory bank (world.h): the retrieved log's checks, tokens
 * known by their bytes, forks, the safe deposit, the hold of a closed
 * Codex and its release, renewal, refusals against claims, the blacklist
 * and the consistency check of seed 004 §III and §VI.B. */
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/codex/bank.h"
#include "world.h"
#include "../test.h"

#define A 0
#define B 1
#define C 2
#define D 3

static struct codex_entry ents[CODEX_LOG_MAX];

static obol_err verify(struct world *w, int i, size_t n)
{
	struct codex_party parties[WORLD_USERS];
	size_t np = world_parties(w, parties);
	return codex_bank_verify_log(w->bank.pk, &w->rec[i], &w->cx[i]->state, ents, n, &w->cx[i]->balance, parties,
				     np);
}

TEST(codex_bank, verify_log_honest_and_tampered)
{
	struct world w;
	size_t n;
	struct codex_party parties[WORLD_USERS];
	struct obol_amount claimed;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(world_pay(&w, A, B, 100));
	REQUIRE_OK(world_pay(&w, B, A, 40));
	REQUIRE_OK(world_pay(&w, A, C, 10));
	n = world_entries(&w, A, ents);
	REQUIRE(n == 3);
	CHECK_OK(verify(&w, A, n));

	/* an amount of zero is refused before any signature is checked */
	ents[0].token.amount.units = 0;
	CHECK_ERR(verify(&w, A, n), OBOL_E_CODEX_AMOUNT_INVALID);
	n = world_entries(&w, A, ents);
	/* a changed amount breaks the payer's signature */
	ents[0].token.amount.units = 1;
	CHECK_ERR(verify(&w, A, n), OBOL_E_CODEX_SIGNATURE);
	n = world_entries(&w, A, ents);
	/* a received token changed: the other payer's signature fails */
	ents[1].token.amount.units = 400;
	CHECK_ERR(verify(&w, A, n), OBOL_E_CODEX_SIGNATURE);
	n = world_entries(&w, A, ents);
	/* an entry dropped from the middle */
	ents[1] = ents[2];
	CHECK_ERR(verify(&w, A, n - 1), OBOL_E_CODEX_LOG_BROKEN);
	n = world_entries(&w, A, ents);
	/* entries reordered */
	{
		struct codex_entry t = ents[0];
		ents[0] = ents[2];
		ents[2] = t;
		CHECK_ERR(verify(&w, A, n), OBOL_E_CODEX_LOG_BROKEN);
	}
	n = world_entries(&w, A, ents);
	/* the same entry twice */
	ents[2] = ents[1];
	CHECK_ERR(verify(&w, A, n), OBOL_E_CODEX_TOKEN_SEEN);
	n = world_entries(&w, A, ents);
	/* a claimed balance that the log does not give */
	world_parties(&w, parties);
	claimed = w.cx[A]->balance;
	claimed.units += 1;
	CHECK_ERR(codex_bank_verify_log(w.bank.pk, &w.rec[A], &w.cx[A]->state, ents, n, &claimed, parties,
					WORLD_USERS),
		  OBOL_E_CODEX_INCONSISTENT);
	/* a payer the bank does not know */
	CHECK_ERR(codex_bank_verify_log(w.bank.pk, &w.rec[A], &w.cx[A]->state, ents, n, &w.cx[A]->balance,
					parties + 2, 2),
		  OBOL_E_CODEX_UNKNOWN_USER);
	/* another user's log handed in as Alice's */
	CHECK_ERR(codex_bank_verify_log(w.bank.pk, &w.rec[C], &w.cx[A]->state, ents, n, &w.cx[A]->balance,
					parties, WORLD_USERS),
		  OBOL_E_CODEX_STATE_STALE);
	world_free(&w);
}

TEST(codex_bank, verify_log_refuses_stale_state_and_count)
{
	struct world w;
	struct codex *old = codex_alloc();
	struct codex_state st;
	size_t n;
	REQUIRE(old);
	REQUIRE_OK(world_init(&w, 1000, 1000, 2));
	memcpy(old, w.cx[A], sizeof(*old)); /* a copy kept aside */
	REQUIRE_OK(world_pay(&w, A, B, 100));
	/* Alice syncs: the bank closes epoch 1 */
	n = world_entries(&w, A, ents);
	REQUIRE_OK(verify(&w, A, n));
	REQUIRE_OK(obol_amount_add(&w.rec[A].debits, &w.rec[A].debits, &(struct obol_amount){ .units = 100, .currency = "EUR" }));
	REQUIRE_OK(codex_bank_issue_state(&w.pol, &w.rec[A], n, w.now, &st));
	CHECK_EQ_INT(st.balance.units, 900);
	CHECK_EQ_INT(st.tx_total, 1);
	/* the copy kept aside (a rolled-back Codex) is refused at the next sync */
	memcpy(w.cx[A], old, sizeof(*old));
	CHECK_ERR(verify(&w, A, 0), OBOL_E_CODEX_STATE_STALE);
	REQUIRE_OK(codex_sync_apply(old, &(struct codex_sync_answer){ .state = &st, .bl = &w.bl }, WORLD_T0));
	memcpy(w.cx[A], old, sizeof(*old));
	CHECK_OK(verify(&w, A, 0));
	/* more entries than the state allows */
	REQUIRE_OK(world_pay(&w, A, C, 1));
	REQUIRE_OK(world_pay(&w, A, C, 1));
	n = world_entries(&w, A, ents);
	ents[2] = ents[1];
	CHECK_ERR(verify(&w, A, 3), OBOL_E_CODEX_TX_LIMIT);
	codex_free(old);
	world_free(&w);
}

/* A payer's own log must carry the running total its payees check, within
 * the offline limits of its state. */
TEST(codex_bank, verify_log_checks_running_total_and_limits)
{
	struct world w;
	struct codex *c;
	struct codex_party parties[WORLD_USERS];
	struct obol_amount claimed;
	size_t n;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	c = w.cx[A];
	REQUIRE_OK(world_pay(&w, A, B, 100));
	REQUIRE_OK(world_pay(&w, A, C, 50));
	n = world_entries(&w, A, ents);
	CHECK_EQ_INT(ents[1].token.spent.units, 150);
	CHECK_OK(verify(&w, A, n));
	/* a token re-signed with another running total breaks the log */
	ents[1].token.spent.units = 50;
	REQUIRE_OK(codex_token_sign(&ents[1].token, c->sign_sk));
	CHECK_ERR(verify(&w, A, n), OBOL_E_CODEX_LOG_BROKEN);
	/* one above the state's per-epoch limit (the safe deposit, 500) */
	n = world_entries(&w, A, ents);
	ents[1].token.amount.units = 450;
	ents[1].token.spent.units = 550;
	REQUIRE_OK(codex_token_sign(&ents[1].token, c->sign_sk));
	world_parties(&w, parties);
	claimed = eur(1000 - 550);
	CHECK_ERR(codex_bank_verify_log(w.bank.pk, &w.rec[A], &c->state, ents, n, &claimed, parties, WORLD_USERS),
		  OBOL_E_CODEX_OVER_LIMIT);
	world_free(&w);
}

/* Issue 14 case 1: the payer logs T1 (0.01 to Bob) and hands Bob T2 under
 * the same id for far more, signed with its own key. The bank knows a
 * token by its bytes: Bob is credited both, the payer is found. */
TEST(codex_bank, two_tokens_under_one_id_are_a_fork_and_both_paid)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_token t1, t2;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_msg_request req;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	REQUIRE_OK(codex_request(w.cx[B], NULL, &req));
	REQUIRE_OK(world_pay_req(w.cx[A], &req, 1, w.now, &m, &t1)); /* logged, never delivered */
	memset(&t2, 0, sizeof(t2));
	memcpy(t2.id, t1.id, CODEX_TOKEN_ID_LEN);
	t2.amount = eur(400);
	t2.seq = 1;
	memcpy(t2.prev, t1.prev, OBOL_HASH_LEN);
	REQUIRE_OK(world_craft(&w, A, B, &t2, &m));
	REQUIRE_OK(codex_receive(w.cx[B], &m, w.now, &ack, NULL));
	/* the payer syncs first: T1 is settled to Bob */
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	CHECK_EQ_INT(o.findings, 0);
	codex_sync_out_free(&o);
	/* Bob hands in T2: not "seen", another token: paid, and a fork */
	REQUIRE_OK(world_sync(&w, &k, B, NULL, false, &o));
	CHECK(o.renewed);
	CHECK_EQ_INT(o.own_findings, 0);
	CHECK(o.findings >= 1);
	CHECK_EQ_INT(world_value(&k, &w, B), 1000 + 1 + 400);
	codex_sync_out_free(&o);
	CHECK(codex_bank_unit_user(&k, w.rec[A].p.id)->blacklisted);
	REQUIRE(k.eff.nfindings >= 1);
	CHECK_EQ_INT(k.eff.findings[0].party, w.rec[A].p.id);
	CHECK_EQ_INT(k.eff.findings[0].kind, CODEX_FIND_FORK);
	/* two rows under one id */
	CHECK_EQ_INT(k.ntokens, 2);
	CHECK_MEM_EQ(k.tokens[0].id, k.tokens[1].id, CODEX_TOKEN_ID_LEN);
	CHECK(k.tokens[0].variant != k.tokens[1].variant);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Issue 14 case 1: T2 under T1's id names Carol. Carol is neither frozen
 * (her sync goes through) nor underpaid. */
TEST(codex_bank, a_reused_id_to_another_payee_freezes_nobody)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_token t1, t2;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	REQUIRE_OK(world_pay(&w, A, B, 1));
	t1 = w.cx[A]->log[0].e.token;
	memset(&t2, 0, sizeof(t2));
	memcpy(t2.id, t1.id, CODEX_TOKEN_ID_LEN);
	t2.amount = eur(400);
	t2.seq = 2;
	REQUIRE_OK(world_craft(&w, A, C, &t2, &m));
	REQUIRE_OK(codex_receive(w.cx[C], &m, w.now, &ack, NULL));
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	codex_sync_out_free(&o);
	CHECK_OK(world_sync(&w, &k, C, NULL, false, &o));
	CHECK(o.renewed);
	CHECK_EQ_INT(world_value(&k, &w, C), 1400);
	codex_sync_out_free(&o);
	/* and again next time: Carol syncs as usual */
	CHECK_OK(world_sync(&w, &k, C, NULL, false, &o));
	codex_sync_out_free(&o);
	CHECK(codex_bank_unit_user(&k, w.rec[A].p.id)->blacklisted);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Guarantee of payment: a rolled-back Codex's deficit comes from its safe
 * deposit first, the rest from outside, each reported. */
TEST(codex_bank, cover_takes_the_deposit_first_then_outside)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex *copy = codex_alloc();
	REQUIRE(copy);
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	memcpy(copy, w.cx[A], sizeof(*copy));
	REQUIRE_OK(world_pay(&w, A, B, 500));
	memcpy(w.cx[A], copy, sizeof(*copy));
	REQUIRE_OK(world_pay(&w, A, C, 500));
	memcpy(w.cx[A], copy, sizeof(*copy));
	REQUIRE_OK(world_pay(&w, A, D, 500));
	for (int i = B; i <= D; i++) {
		REQUIRE_OK(world_sync(&w, &k, i, NULL, false, &o));
		codex_sync_out_free(&o);
	}
	/* 1000 loaded, 1500 paid: 500 from the deposit; every payee in full */
	CHECK_EQ_INT(world_value(&k, &w, B), 1500);
	CHECK_EQ_INT(world_value(&k, &w, C), 1500);
	CHECK_EQ_INT(world_value(&k, &w, D), 1500);
	CHECK_EQ_INT(world_value(&k, &w, A), 0);
	REQUIRE(k.eff.nlosses == 1);
	CHECK_EQ_INT(k.eff.losses[0].deficit.units, 500);
	CHECK_EQ_INT(k.eff.losses[0].from_deposit.units, 500);
	CHECK_EQ_INT(k.eff.losses[0].from_outside.units, 0);
	CHECK_EQ_INT(codex_bank_unit_user(&k, w.rec[A].p.id)->deposit.units, 0);
	codex_free(copy);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Found by the simulator: an honest Codex spends offline what it received
 * before its payer's log credits it at the bank. Its payee's sync takes
 * the bank's view of its value below zero for a while: the deposit lends
 * the difference, and nobody is found; its own sync (whose log holds what
 * it received) gives the loan back, and it is renewed as usual. */
TEST(codex_bank, spending_what_it_received_before_its_payer_syncs_is_no_fraud)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_bank_user *a;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	a = codex_bank_unit_user(&k, w.rec[A].p.id);
	/* Alice spends her whole value, one epoch's limit at a time */
	for (int i = 0; i < 2; i++) {
		REQUIRE_OK(world_pay(&w, A, B, 500));
		REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
		REQUIRE(o.renewed);
		codex_sync_out_free(&o);
	}
	REQUIRE(world_value(&k, &w, A) == 0);
	/* Carol pays her 300 offline, and she pays Dave with it */
	REQUIRE_OK(world_pay(&w, C, A, 300));
	REQUIRE_OK(world_pay(&w, A, D, 300));
	/* Dave reaches the bank first: Alice's value there is -300 for now */
	REQUIRE_OK(world_sync(&w, &k, D, NULL, false, &o));
	CHECK_EQ_INT(o.findings, 0);
	codex_sync_out_free(&o);
	CHECK(!a->blacklisted);
	CHECK_EQ_INT(world_value(&k, &w, D), 1300);
	CHECK_EQ_INT(a->deposit.units, 200);
	CHECK_EQ_INT(a->advanced.units, 300);
	CHECK_EQ_INT(k.eff.nlosses, 0);
	/* Alice's own log holds Carol's token: the loan goes back */
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	CHECK(o.renewed);
	CHECK_EQ_INT(o.findings, 0);
	codex_sync_out_free(&o);
	CHECK(!a->blacklisted);
	CHECK_EQ_INT(a->deposit.units, 500);
	CHECK_EQ_INT(a->advanced.units, 0);
	CHECK_EQ_INT(world_value(&k, &w, A), 0);
	CHECK_EQ_INT(w.cx[A]->state.spent_max.units, 500);
	/* Carol's log settles nothing twice */
	REQUIRE_OK(world_sync(&w, &k, C, NULL, false, &o));
	CHECK_EQ_INT(o.findings, 0);
	codex_sync_out_free(&o);
	CHECK_EQ_INT(world_value(&k, &w, A), 0);
	CHECK_EQ_INT(world_value(&k, &w, C), 700);
	CHECK_EQ_INT(k.eff.nfindings, 0);
	CHECK_EQ_INT(k.eff.nlosses, 0);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Issue 14 cases 2 and 8: a close pays the value back at once and holds
 * the deposit; a copy of the closed Codex pays offline; its token is paid
 * from the held deposit; what is left goes back once, after the hold. A
 * token that comes later still is paid, from outside. */
TEST(codex_bank, close_holds_the_deposit_for_copies_then_releases_once)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_release_out r;
	struct codex *copy = codex_alloc(), *copy2 = codex_alloc();
	int64_t until;
	REQUIRE(copy && copy2);
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	memcpy(copy, w.cx[A], sizeof(*copy));
	memcpy(copy2, w.cx[A], sizeof(*copy));
	CHECK_ERR(codex_bank_release(&k, w.rec[A].p.id, &r), OBOL_E_CODEX_NOTHING_HELD);
	REQUIRE_OK(world_sync(&w, &k, A, NULL, true, &o));
	CHECK(o.closed);
	CHECK_EQ_INT(o.paid_out.units, 1000);
	CHECK_EQ_INT(o.held.units, 500);
	until = o.held_until;
	CHECK_EQ_INT(until, w.cx[A]->state.not_after + CODEX_FRESH_WINDOW + CODEX_DEFAULT_HOLD_GRACE);
	codex_sync_out_free(&o);
	/* the copy pays Bob offline after the close */
	memcpy(w.cx[A], copy, sizeof(*copy));
	w.now += 60;
	REQUIRE_OK(world_pay(&w, A, B, 400));
	REQUIRE_OK(world_sync(&w, &k, B, NULL, false, &o));
	CHECK_EQ_INT(world_value(&k, &w, B), 1400);
	CHECK_EQ_INT(o.own_findings, 0);
	CHECK(o.findings >= 1); /* the closed log lacks it: an omission, and the overspend */
	CHECK_EQ_INT(k.eff.findings[0].kind, CODEX_FIND_OMITTED);
	codex_sync_out_free(&o);
	/* paid from the held deposit, nothing from outside */
	REQUIRE(k.eff.nlosses == 1);
	CHECK_EQ_INT(k.eff.losses[0].from_deposit.units, 400);
	CHECK_EQ_INT(k.eff.losses[0].from_outside.units, 0);
	/* too early, then once */
	k.now = until - 1;
	CHECK_ERR(codex_bank_release(&k, w.rec[A].p.id, &r), OBOL_E_CODEX_DEPOSIT_HELD);
	CHECK_EQ_INT(r.held_until, until);
	k.now = until;
	REQUIRE_OK(codex_bank_release(&k, w.rec[A].p.id, &r));
	CHECK_EQ_INT(r.paid.units, 100);
	CHECK_ERR(codex_bank_release(&k, w.rec[A].p.id, &r), OBOL_E_CODEX_NOTHING_HELD);
	/* a token of another copy handed in after the hold: the hand-in window
	 * ended with it, the deposit went back, so the bank does not pay it
	 * from outside (its loss stays within the bound: tests/model/codex.pml) */
	memcpy(w.cx[A], copy2, sizeof(*copy2));
	REQUIRE_OK(world_pay(&w, A, C, 300));
	w.now = until + 10;
	REQUIRE_OK(world_sync(&w, &k, C, NULL, false, &o));
	CHECK_EQ_INT(world_value(&k, &w, C), 1000);
	CHECK_EQ_INT(w.cx[C]->balance.units, 1000); /* its renewed state says so */
	CHECK_EQ_INT(o.findings, 0);
	codex_sync_out_free(&o);
	CHECK_EQ_INT(k.eff.nlosses, 1);
	codex_free(copy);
	codex_free(copy2);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Issue 14 case 8: a user found out at the sync that also loads money: the
 * fraud is settled from its value and deposit; what is left goes back
 * after the exposure window, once. */
TEST(codex_bank, blacklisted_users_remainder_goes_back_after_the_window)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_release_out r;
	struct codex *copy = codex_alloc();
	struct obol_amount load = eur(200);
	REQUIRE(copy);
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	memcpy(copy, w.cx[A], sizeof(*copy));
	REQUIRE_OK(world_pay(&w, A, B, 300));
	REQUIRE_OK(world_sync(&w, &k, B, NULL, false, &o));
	codex_sync_out_free(&o);
	/* "I never paid": the rolled-back Codex syncs, with a load */
	memcpy(w.cx[A], copy, sizeof(*copy));
	REQUIRE_OK(world_sync(&w, &k, A, &load, false, &o));
	CHECK(o.blacklisted);
	CHECK(!o.renewed);
	CHECK_EQ_INT(o.own_findings, 1);
	CHECK_EQ_INT(o.value.units, 1000 + 200 - 300);
	codex_sync_out_free(&o);
	CHECK_ERR(codex_bank_release(&k, w.rec[A].p.id, &r), OBOL_E_CODEX_DEPOSIT_HELD);
	k.now = r.held_until;
	REQUIRE_OK(codex_bank_release(&k, w.rec[A].p.id, &r));
	CHECK_EQ_INT(r.paid.units, 900 + 500);
	CHECK_ERR(codex_bank_release(&k, w.rec[A].p.id, &r), OBOL_E_CODEX_NOTHING_HELD);
	codex_free(copy);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Issue 14 case 6: a closed account opens again; its epochs go on. */
TEST(codex_bank, a_closed_account_opens_again)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_open_out op;
	struct obol_box_keypair box;
	struct codex_open_req req;
	uint64_t epoch;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	obol_box_keypair_new(&box);
	req = (struct codex_open_req){ .party = &w.rec[A].p, .box_pk = box.pk, .amount = eur(10), .deposit = eur(20) };
	CHECK_ERR(codex_bank_open(&k, &req, &op), OBOL_E_CODEX_ALREADY_OPEN);
	REQUIRE_OK(world_sync(&w, &k, A, NULL, true, &o));
	codex_sync_out_free(&o);
	epoch = codex_bank_unit_user(&k, w.rec[A].p.id)->epoch;
	REQUIRE_OK(codex_bank_open(&k, &req, &op));
	CHECK_EQ_INT(op.state.epoch, epoch + 1);
	CHECK_EQ_INT(op.state.balance.units, 10);
	CHECK_EQ_INT(op.state.deposit.units, 520); /* the held deposit stays with it */
	CHECK_MEM_EQ(op.cert.box_pk, box.pk, OBOL_BOX_PK_LEN);
	CHECK_ERR(codex_bank_open(&k, &req, &op), OBOL_E_CODEX_ALREADY_OPEN);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Issue 14 case 6: a certificate near its end is renewed at sync, and the
 * Codex pays and is paid after the old one expired. */
TEST(codex_bank, certificate_renewed_at_sync_before_it_expires)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	int64_t old;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	old = w.cx[A]->cert.not_after;
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	CHECK(!o.cert_renewed);
	codex_sync_out_free(&o);
	w.now = old - CODEX_CERT_RENEW_MARGIN + 1;
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	CHECK(o.cert_renewed);
	codex_sync_out_free(&o);
	CHECK(w.cx[A]->cert.not_after > old);
	CHECK_OK(codex_check(w.cx[A]));
	/* past the old certificate's end: Alice (renewed) pays Bob (renewed too) */
	REQUIRE_OK(world_sync(&w, &k, B, NULL, false, &o));
	codex_sync_out_free(&o);
	w.now = old + 10;
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	codex_sync_out_free(&o);
	REQUIRE_OK(world_sync(&w, &k, B, NULL, false, &o));
	codex_sync_out_free(&o);
	CHECK_OK(world_pay(&w, A, B, 10));
	/* Carol never synced: her certificate has expired, nobody pays her */
	CHECK_ERR(world_pay_msg(&w, A, C, 10, &(struct codex_msg_pay){ 0 }), OBOL_E_CODEX_CERT_INVALID);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Issue 14 case 9: the performance index counts a user down only for a
 * finding against the user, not for other users' fraud its log showed. */
TEST(codex_bank, performance_index_counts_own_findings_only)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex *copy = codex_alloc();
	uint64_t perf;
	REQUIRE(copy);
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	memcpy(copy, w.cx[A], sizeof(*copy));
	REQUIRE_OK(world_pay(&w, A, B, 800 - 300));
	memcpy(w.cx[A], copy, sizeof(*copy));
	REQUIRE_OK(world_pay(&w, A, C, 500));
	REQUIRE_OK(world_sync(&w, &k, B, NULL, false, &o));
	codex_sync_out_free(&o);
	perf = w.cx[C]->state.perf;
	REQUIRE_OK(world_sync(&w, &k, C, NULL, false, &o));
	CHECK(o.findings > 0);
	CHECK_EQ_INT(o.own_findings, 0);
	codex_sync_out_free(&o);
	CHECK_EQ_INT(w.cx[C]->state.perf, perf + 1);
	codex_free(copy);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Bob takes Alice's token and also signs a refusal of it (a copy of his
 * Codex refused it); Alice keeps the refusal. */
static obol_err claim_and_refuse(struct world *w, struct codex *bob2, struct codex_token *t)
{
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	obol_err e;
	if ((e = codex_request(w->cx[B], NULL, &req)) != OBOL_OK ||
	    (e = world_pay_req(w->cx[A], &req, 300, w->now, &m, t)) != OBOL_OK)
		return e;
	memcpy(bob2, w->cx[B], sizeof(*bob2));
	if ((e = codex_receive(w->cx[B], &m, w->now, &ack, NULL)) != OBOL_OK ||
	    (e = codex_refuse(bob2, &m, OBOL_E_CODEX_TOKEN_STALE, w->now, &ref)) != OBOL_OK)
		return e;
	return codex_take_refusal(w->cx[A], &ref);
}

/* Issue 14 case 7: a payee's refusal and its claim of the same token are a
 * proven conflict: the claim loses and the payee is the one found,
 * whichever reaches the bank first. */
TEST(codex_bank, claim_and_refusal_of_one_token_the_claim_loses_either_order)
{
	for (int order = 0; order < 2; order++) {
		struct world w;
		struct codex_bank_unit k;
		struct codex_sync_out o;
		struct codex *bob2 = codex_alloc();
		struct codex_token t;
		REQUIRE(bob2);
		REQUIRE_OK(world_init(&w, 1000, 500, 8));
		REQUIRE_OK(world_bank(&w, &k));
		REQUIRE_OK(claim_and_refuse(&w, bob2, &t));
		for (int step = 0; step < 2; step++) {
			int who = (step ^ order) == 0 ? B : A;
			REQUIRE_OK(world_sync(&w, &k, who, NULL, false, &o));
			codex_sync_out_free(&o);
		}
		/* Alice is refunded, Bob keeps nothing of it and is found */
		CHECK_EQ_INT(world_value(&k, &w, A), 1000);
		CHECK_EQ_INT(world_value(&k, &w, B), 1000);
		CHECK(codex_bank_unit_user(&k, w.rec[B].p.id)->blacklisted);
		CHECK(!codex_bank_unit_user(&k, w.rec[A].p.id)->blacklisted);
		{
			bool found = false;
			for (size_t i = 0; i < k.eff.nfindings; i++)
				found |= k.eff.findings[i].party == w.rec[B].p.id &&
					 k.eff.findings[i].kind == CODEX_FIND_CONFLICT;
			CHECK(found);
		}
		codex_free(bob2);
		codex_bank_unit_free(&k);
		world_free(&w);
	}
}

/* Issue 14 case 7: a refusal lost on its way to the payer does not pay the
 * payee that refused: the payee hands its own refusal to the bank. */
TEST(codex_bank, a_lost_refusal_reaches_the_bank_through_its_payee)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct codex_msg_refusal ref;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	REQUIRE_OK(codex_request(w.cx[B], NULL, &req));
	REQUIRE_OK(world_pay_req(w.cx[A], &req, 300, w.now, &m, NULL));
	REQUIRE_OK(codex_refuse(w.cx[B], &m, OBOL_E_CODEX_TOKEN_STALE, w.now, &ref)); /* lost */
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o)); /* the token, pending: settled to Bob */
	CHECK_EQ_INT(o.value.units, 700);
	codex_sync_out_free(&o);
	REQUIRE_OK(world_sync(&w, &k, B, NULL, false, &o)); /* Bob's refusal */
	CHECK_EQ_INT(o.value.units, 1000);
	CHECK_EQ_INT(o.findings, 0);
	codex_sync_out_free(&o);
	CHECK_EQ_INT(world_value(&k, &w, A), 1000);
	CHECK(!codex_bank_unit_user(&k, w.rec[B].p.id)->blacklisted);
	/* handed in once: Bob's next sync carries it no more */
	CHECK(w.cx[B]->nrefusals == 1 && w.cx[B]->refusals[0].reported);
	REQUIRE_OK(world_sync(&w, &k, B, NULL, false, &o));
	codex_sync_out_free(&o);
	CHECK_EQ_INT(world_value(&k, &w, A), 1000);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* A refusal that reaches the payer after its epoch was synced is kept
 * beside the log and refunds the payer at its next sync. */
TEST(codex_bank, a_late_refusal_refunds_the_payer_at_its_next_sync)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct codex_msg_refusal ref;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	REQUIRE_OK(codex_request(w.cx[B], NULL, &req));
	REQUIRE_OK(world_pay_req(w.cx[A], &req, 300, w.now, &m, NULL));
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	codex_sync_out_free(&o);
	/* Bob refuses the token only now; a copy of his Codex keeps it from the bank */
	{
		struct codex *bob2 = codex_alloc();
		REQUIRE(bob2);
		memcpy(bob2, w.cx[B], sizeof(*bob2));
		REQUIRE_OK(codex_refuse(bob2, &m, OBOL_E_CODEX_TOKEN_STALE, w.now, &ref));
		codex_free(bob2);
	}
	REQUIRE_OK(codex_take_refusal(w.cx[A], &ref));
	CHECK_EQ_INT(w.cx[A]->nrefusals, 1);
	CHECK_EQ_INT(w.cx[A]->refusals[0].role, CODEX_REFUSAL_HELD);
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	CHECK_EQ_INT(o.value.units, 1000);
	codex_sync_out_free(&o);
	CHECK_EQ_INT(w.cx[A]->nrefusals, 0);
	CHECK_EQ_INT(world_value(&k, &w, B), 1000);
	codex_bank_unit_free(&k);
	world_free(&w);
}

/* Issue 14 case 5: the signed list leaves out entries whose Codex can no
 * longer pay, keeps the most recent when there are more than it carries,
 * and says when it must be built again. */
TEST(codex_bank, blacklist_build_prunes_and_has_no_cliff)
{
	struct world w;
	size_t n = CODEX_BLACKLIST_MAX + 10;
	struct codex_blacklist_entry *e = calloc(n, sizeof(*e));
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	int64_t next;
	REQUIRE(e && bl);
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	for (size_t i = 0; i < n; i++)
		e[i] = (struct codex_blacklist_entry){ .user = 1000 + i, .since = (int64_t)i, .until = w.now + 100 + (int64_t)i };
	e[0].until = w.now - 1; /* expired */
	REQUIRE_OK(codex_bank_blacklist_build(&w.pol, e, n, 7, w.now, bl, &next));
	CHECK_EQ_INT(bl->n, CODEX_BLACKLIST_MAX);
	CHECK_EQ_INT(bl->version, 7);
	CHECK_OK(codex_blacklist_verify(bl, w.bank.pk));
	CHECK(!codex_blacklist_has(bl, 1000));  /* expired */
	CHECK(!codex_blacklist_has(bl, 1009));  /* the oldest live ones beyond the cap */
	CHECK(codex_blacklist_has(bl, 1010));
	CHECK(codex_blacklist_has(bl, 1000 + n - 1));
	CHECK_EQ_INT(next, w.now + 110);
	free(e);
	free(bl);
	world_free(&w);
}

static void two_users(struct codex_bank_user u[2])
{
	memset(u, 0, 2 * sizeof(*u));
	u[0].p.id = 1;
	u[0].p.kind = CODEX_PARTY_USER;
	u[0].epoch = 2;
	u[0].loaded = eur(1000);
	u[0].deposit = eur(100);
	u[0].credits = u[0].debits = eur(0);
	u[1].p.id = 2;
	u[1].p.kind = CODEX_PARTY_USER;
	u[1].epoch = 1;
	u[1].loaded = eur(500);
	u[1].deposit = eur(100);
	u[1].credits = u[1].debits = eur(0);
}

TEST(codex_bank, consistency_holds_and_each_break_is_found)
{
	struct codex_bank_user u[2];
	struct codex_bank_token t[2];
	struct codex_consistency c;
	struct obol_amount held = eur(1500);
	two_users(u);
	memset(t, 0, sizeof(t));
	/* 1 paid 2 300 (both logs), 1 paid a vendor (99) 200 (vendor paid out) */
	t[0] = (struct codex_bank_token){ 1, 2, CODEX_PARTY_USER, 1, eur(300), true, true, false };
	t[1] = (struct codex_bank_token){ 1, 99, CODEX_PARTY_VENDOR, 1, eur(200), true, true, false };
	u[0].debits = eur(500);
	u[1].credits = eur(300);
	/* held: values (500 + 800) + deposits 200 = 1500 */
	CHECK_OK(codex_bank_consistency("EUR", u, 2, t, 2, &held, &c));
	CHECK(c.ok);
	CHECK_EQ_INT(c.total_value.units, 1300);
	/* the total held differs from the total dispersed */
	held = eur(1501);
	CHECK_ERR(codex_bank_consistency("EUR", u, 2, t, 2, &held, &c), OBOL_E_CODEX_INCONSISTENT);
	held = eur(1500);
	/* a token in the payee's log that the payer's closed log lacks */
	t[0].by_payer = false;
	CHECK_ERR(codex_bank_consistency("EUR", u, 2, t, 2, &held, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.unlogged, 1);
	/* ... explained once the payer is blacklisted */
	u[0].blacklisted = true;
	CHECK_OK(codex_bank_consistency("EUR", u, 2, t, 2, &held, &c));
	u[0].blacklisted = false;
	t[0].by_payer = true;
	/* a stored figure that the tokens do not give */
	u[1].credits = eur(301);
	CHECK_ERR(codex_bank_consistency("EUR", u, 2, t, 2, &held, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.mismatched, 1);
	u[1].credits = eur(300);
	/* a refused token that its user payee claims, the payee not found */
	t[0].refused = true;
	u[0].debits = eur(200);
	u[1].credits = eur(0);
	CHECK_ERR(codex_bank_consistency("EUR", u, 2, t, 2, &held, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.conflicts_open, 1);
	u[1].blacklisted = true;
	CHECK_OK(codex_bank_consistency("EUR", u, 2, t, 2, &held, &c));
	u[1].blacklisted = false;
	t[0].refused = false;
	u[0].debits = eur(500);
	u[1].credits = eur(300);
	/* a payer beyond its funds: no debt hides in the total */
	t[1].amount = eur(1200);
	u[0].debits = eur(1500);
	held = eur(500);
	CHECK_ERR(codex_bank_consistency("EUR", u, 2, t, 2, &held, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.overspent, 1);
}

/* A refusal the payer keeps beside its log that does not verify (here
 * signed by Carol in Bob's name) proves nothing: it is left aside, and it
 * neither refunds the payer nor stops its syncs. */
TEST(codex_bank, a_forged_refusal_beside_the_log_is_left_aside)
{
	struct world w;
	struct codex_bank_unit k;
	struct codex_sync_out o;
	struct codex_msg_refusal bad;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 500, 8));
	REQUIRE_OK(world_bank(&w, &k));
	REQUIRE_OK(world_pay(&w, A, B, 300));
	t = w.cx[A]->log[0].e.token;
	REQUIRE_OK(world_sync(&w, &k, A, NULL, false, &o));
	codex_sync_out_free(&o);
	REQUIRE_OK(codex_make_refusal(&t, w.rec[B].p.id, w.cx[C]->sign_sk, OBOL_E_CODEX_TOKEN_STALE, w.now, &bad));
	REQUIRE_OK(codex_take_refusal(w.cx[A], &bad));
	CHECK_OK(world_sync(&w, &k, A, NULL, false, &o));
	CHECK(o.renewed);
	CHECK_EQ_INT(o.value.units, 700);
	CHECK_EQ_INT(o.findings, 0);
	codex_sync_out_free(&o);
	CHECK_EQ_INT(w.cx[A]->nrefusals, 0); /* handed in once, then dropped */
	CHECK_OK(world_sync(&w, &k, A, NULL, false, &o));
	codex_sync_out_free(&o);
	CHECK_EQ_INT(k.nrefusals, 0);
	codex_bank_unit_free(&k);
	world_free(&w);
}
