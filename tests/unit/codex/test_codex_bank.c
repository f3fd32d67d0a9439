/* The bank's ActivityMonitor decisions (src/schemes/codex/bank.c): the
 * retrieved log's checks, rollback findings, the safe deposit and the
 * consistency check of seed 004 §III and §VI.B, both ways. */
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/codex/bank.h"
#include "world.h"
#include "../test.h"

#define A 0
#define B 1
#define C 2

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
	REQUIRE_OK(world_init(&w, 1000, 100, 8));
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
	REQUIRE_OK(world_init(&w, 1000, 100, 2));
	memcpy(old, w.cx[A], sizeof(*old)); /* a copy kept aside */
	REQUIRE_OK(world_pay(&w, A, B, 100));
	/* Alice syncs: the bank closes epoch 1 */
	n = world_entries(&w, A, ents);
	REQUIRE_OK(verify(&w, A, n));
	w.rec[A].debits += 100;
	w.rec[B].credits += 100;
	REQUIRE_OK(codex_bank_issue_state(&w.rec[A], "EUR", n, w.now, 1000, 2, w.bank.sk, &st));
	CHECK_EQ_INT(st.balance.units, 900);
	CHECK_EQ_INT(st.tx_total, 1);
	/* the copy kept aside (a rolled-back Codex) is refused at the next sync */
	memcpy(w.cx[A], old, sizeof(*old));
	CHECK_ERR(verify(&w, A, 0), OBOL_E_CODEX_STATE_STALE);
	REQUIRE_OK(codex_sync_apply(old, &st, &w.bl));
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

/* A rolled-back Codex: Alice pays Bob, restores her earlier copy, and pays
 * Carol with the same money. Both tokens sit at place 1 of epoch 1. */
TEST(codex_bank, rollback_is_evident_as_fork_or_omission)
{
	struct world w;
	struct codex *copy = codex_alloc();
	struct codex_token t_bob, t_carol;
	size_t n;
	REQUIRE(copy);
	REQUIRE_OK(world_init(&w, 1000, 100, 8));
	memcpy(copy, w.cx[A], sizeof(*copy));
	REQUIRE_OK(world_pay(&w, A, B, 800));
	t_bob = w.cx[A]->log[0].e.token;
	memcpy(w.cx[A], copy, sizeof(*copy)); /* the rollback */
	REQUIRE_OK(world_pay(&w, A, C, 800));
	t_carol = w.cx[A]->log[0].e.token;
	CHECK_EQ_INT(t_bob.seq, t_carol.seq);

	/* Bob reports first: nothing is known at that place yet, the epoch is open */
	CHECK_EQ_INT(codex_bank_classify(&t_bob, NULL, 1), CODEX_FIND_NONE);
	/* Carol's token at the same place: a fork */
	CHECK_EQ_INT(codex_bank_classify(&t_carol, t_bob.id, 1), CODEX_FIND_FORK);
	CHECK_EQ_INT(codex_bank_classify(&t_carol, t_carol.id, 1), CODEX_FIND_NONE);
	/* Alice hands in the log of her rolled-back Codex: it verifies on its
	 * own, but lacks the token Bob holds at its place */
	n = world_entries(&w, A, ents);
	CHECK_OK(verify(&w, A, n));
	{
		uint8_t ids[1][CODEX_TOKEN_ID_LEN];
		uint64_t seqs[1] = { t_bob.seq };
		memcpy(ids[0], t_bob.id, CODEX_TOKEN_ID_LEN);
		CHECK_EQ_INT(codex_bank_omitted(ents, n, (const uint8_t(*)[CODEX_TOKEN_ID_LEN])ids, seqs, 1), 1);
		memcpy(ids[0], t_carol.id, CODEX_TOKEN_ID_LEN);
		CHECK_EQ_INT(codex_bank_omitted(ents, n, (const uint8_t(*)[CODEX_TOKEN_ID_LEN])ids, seqs, 1), 0);
		seqs[0] = 2; /* beyond the log */
		CHECK_EQ_INT(codex_bank_omitted(ents, n, (const uint8_t(*)[CODEX_TOKEN_ID_LEN])ids, seqs, 1), 1);
	}
	/* after Alice's epoch 1 closed, Bob's token proves an omission */
	CHECK_EQ_INT(codex_bank_classify(&t_bob, NULL, 2), CODEX_FIND_OMITTED);
	/* a token of an epoch the bank never issued */
	t_bob.epoch = 5;
	CHECK_EQ_INT(codex_bank_classify(&t_bob, NULL, 2), CODEX_FIND_FORK);
	codex_free(copy);
	world_free(&w);
}

TEST(codex_bank, safe_deposit_covers_then_loss)
{
	struct codex_bank_user u;
	int64_t from, loss, v;
	memset(&u, 0, sizeof(u));
	u.loaded = 1000;
	u.deposit = 500;
	/* not overspent: nothing moves */
	u.debits = 1000;
	REQUIRE_OK(codex_bank_cover(&u, &from, &loss));
	CHECK_EQ_INT(from, 0);
	CHECK_EQ_INT(loss, 0);
	CHECK_EQ_INT(u.deposit, 500);
	/* overspent by 300: the deposit pays it all */
	u.debits = 1300;
	REQUIRE_OK(codex_bank_cover(&u, &from, &loss));
	CHECK_EQ_INT(from, 300);
	CHECK_EQ_INT(loss, 0);
	CHECK_EQ_INT(u.deposit, 200);
	REQUIRE_OK(codex_bank_value(&u, &v));
	CHECK_EQ_INT(v, 0);
	/* overspent by 500 more: the deposit pays 200, the bank loses 300 */
	u.debits += 500;
	REQUIRE_OK(codex_bank_cover(&u, &from, &loss));
	CHECK_EQ_INT(from, 200);
	CHECK_EQ_INT(loss, 300);
	CHECK_EQ_INT(u.deposit, 0);
	REQUIRE_OK(codex_bank_value(&u, &v));
	CHECK_EQ_INT(v, 0);
	/* overflow is an error, not a wrap */
	u.loaded = INT64_MAX;
	u.credits = 1;
	CHECK_ERR(codex_bank_cover(&u, &from, &loss), OBOL_E_AMOUNT_OVERFLOW);
}

TEST(codex_bank, blacklisted_user_gets_no_new_state)
{
	struct world w;
	struct codex_state st;
	REQUIRE_OK(world_init(&w, 1000, 100, 8));
	w.rec[A].blacklisted = true;
	CHECK_ERR(codex_bank_issue_state(&w.rec[A], "EUR", 0, w.now, 1000, 8, w.bank.sk, &st),
		  OBOL_E_CODEX_BLACKLISTED);
	/* a negative value must be covered first */
	w.rec[B].debits = 2000;
	CHECK_ERR(codex_bank_issue_state(&w.rec[B], "EUR", 0, w.now, 1000, 8, w.bank.sk, &st),
		  OBOL_E_CODEX_INCONSISTENT);
	CHECK_ERR(codex_bank_issue_state(&w.rec[C], "EUR", 0, w.now, 1000, CODEX_LOG_MAX + 1, w.bank.sk, &st),
		  OBOL_E_INVALID_ARGUMENT);
	world_free(&w);
}

static void two_users(struct codex_bank_user u[2])
{
	memset(u, 0, 2 * sizeof(*u));
	u[0].p.id = 1;
	u[0].p.kind = CODEX_PARTY_USER;
	u[0].epoch = 2;
	u[0].loaded = 1000;
	u[0].deposit = 100;
	u[1].p.id = 2;
	u[1].p.kind = CODEX_PARTY_USER;
	u[1].epoch = 1;
	u[1].loaded = 500;
	u[1].deposit = 100;
}

TEST(codex_bank, consistency_holds_and_each_break_is_found)
{
	struct codex_bank_user u[2];
	struct codex_bank_token t[2];
	struct codex_consistency c;
	two_users(u);
	memset(t, 0, sizeof(t));
	/* 1 paid 2 300 (both logs), 1 paid a vendor (99) 200 (vendor paid out) */
	t[0] = (struct codex_bank_token){ 1, 2, CODEX_PARTY_USER, 1, 300, true, true, false };
	t[1] = (struct codex_bank_token){ 1, 99, CODEX_PARTY_VENDOR, 1, 200, true, true, false };
	u[0].debits = 500;
	u[1].credits = 300;
	/* held: values (500 + 800) + deposits 200 = 1500 */
	CHECK_OK(codex_bank_consistency(u, 2, t, 2, 1500, &c));
	CHECK(c.ok);
	CHECK_EQ_INT(c.total_value, 1300);
	/* the total held differs from the total dispersed */
	CHECK_ERR(codex_bank_consistency(u, 2, t, 2, 1501, &c), OBOL_E_CODEX_INCONSISTENT);
	/* a token in the payee's log that the payer's closed log lacks */
	t[0].by_payer = false;
	CHECK_ERR(codex_bank_consistency(u, 2, t, 2, 1500, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.unlogged, 1);
	/* ... explained once the payer is blacklisted */
	u[0].blacklisted = true;
	CHECK_OK(codex_bank_consistency(u, 2, t, 2, 1500, &c));
	u[0].blacklisted = false;
	t[0].by_payer = true;
	/* a stored figure that the tokens do not give */
	u[1].credits = 301;
	CHECK_ERR(codex_bank_consistency(u, 2, t, 2, 1501, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.mismatched, 1);
	u[1].credits = 300;
	/* a payer beyond its funds */
	t[1].amount = 1200;
	u[0].debits = 1500;
	CHECK_ERR(codex_bank_consistency(u, 2, t, 2, 500, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.overspent, 1);
}
