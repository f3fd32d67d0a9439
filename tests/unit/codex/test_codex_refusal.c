/* A payee's signed refusal (src/schemes/codex/user.c, messages.c, bank.c):
 * the payee refuses only a token it can open, that names it and that it
 * never took; the payer keeps only its payee's refusal of its own pending
 * token; the bank's log check takes only a refusal that verifies under the
 * payee's key; the consistency check names a refused token a payee holds. */
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/codex/bank.h"
#include "schemes/codex/codex.h"
#include "world.h"
#include "../test.h"

#define A 0
#define B 1
#define C 2
#define D 3

static struct codex_entry ents[CODEX_LOG_MAX];

static obol_err verify(struct world *w, int i)
{
	struct codex_party parties[WORLD_USERS];
	size_t np = world_parties(w, parties);
	size_t n = world_entries(w, i, ents);
	return codex_bank_verify_log(w->bank.pk, &w->rec[i], &w->cx[i]->state, ents, n, &w->cx[i]->balance, parties,
				     np);
}

/* Alice pays Bob 100; Bob's Codex has Alice blacklisted and refuses. */
static obol_err refused_payment(struct world *w, struct codex_msg_pay *m, struct codex_msg_refusal *ref)
{
	static struct codex_blacklist bl;
	struct codex_msg_ack ack;
	obol_err e;
	if ((e = world_pay_msg(w, A, B, 100, m)) != OBOL_OK)
		return e;
	bl = w->bl;
	if ((e = world_blacklist_with(w, w->rec[A].p.id, &bl)) != OBOL_OK ||
	    (e = codex_set_blacklist(w->cx[B], &bl)) != OBOL_OK)
		return e;
	if ((e = codex_receive(w->cx[B], m, w->now, &ack, NULL)) != OBOL_E_CODEX_PAYER_BLACKLISTED)
		return e == OBOL_OK ? OBOL_E_INTERNAL : e;
	return codex_refuse(w->cx[B], m, e, w->now, ref);
}

TEST(codex_refusal, payee_refuses_payer_keeps_it_and_the_bank_check_takes_it)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_refusal ref, again;
	struct codex_msg_ack ack;
	struct codex_refusal f;
	uint8_t *buf = NULL;
	size_t len;
	struct codex *copy = codex_alloc();
	REQUIRE(copy);
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(refused_payment(&w, &m, &ref));
	REQUIRE_OK(codex_refusal_decode(ref.refusal, sizeof(ref.refusal), &f));
	CHECK_EQ_INT(f.reason, OBOL_E_CODEX_PAYER_BLACKLISTED);
	CHECK_EQ_INT(f.payer_id, w.rec[A].p.id);
	CHECK_EQ_INT(f.payee_id, w.rec[B].p.id);
	CHECK_EQ_INT(w.cx[B]->balance.units, 1000);
	/* the refused id is never taken later, nor refused twice */
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_TOKEN_SEEN);
	CHECK_ERR(codex_refuse(w.cx[B], &m, OBOL_E_CODEX_PAYER_BLACKLISTED, w.now, &again), OBOL_E_CODEX_TOKEN_SEEN);
	/* a replay is no reason to refuse: it may be the token taken before */
	CHECK_ERR(codex_refuse(w.cx[B], &m, OBOL_E_CODEX_TOKEN_SEEN, w.now, &again), OBOL_E_INVALID_ARGUMENT);

	/* the payer keeps it: no longer pending, still debited until the bank */
	CHECK_EQ_INT(codex_pending_count(w.cx[A]), 1);
	REQUIRE_OK(codex_take_refusal(w.cx[A], &ref));
	CHECK_OK(codex_take_refusal(w.cx[A], &ref)); /* idempotent */
	CHECK_EQ_INT(codex_pending_count(w.cx[A]), 0);
	CHECK_EQ_INT(codex_refused_count(w.cx[A]), 1);
	CHECK_EQ_INT(w.cx[A]->balance.units, 900);
	/* kept in the log: through the wallet's bytes and the bank's check */
	REQUIRE_OK(codex_serialize(w.cx[A], &buf, &len));
	REQUIRE_OK(codex_parse(copy, buf, len));
	CHECK(copy->log[0].e.refused);
	CHECK_MEM_EQ(copy->log[0].e.refusal.sig, f.sig, OBOL_SIGN_LEN);
	CHECK_OK(verify(&w, A));
	/* an ack after the refusal contradicts it */
	REQUIRE_OK(codex_make_ack(&w.cx[A]->log[0].e.token, w.rec[B].p.id, w.cx[B]->sign_sk, w.now, &ack));
	CHECK_ERR(codex_take_ack(w.cx[A], &ack), OBOL_E_CODEX_REFUSAL_CONFLICT);
	CHECK_EQ_INT(codex_refused_count(w.cx[A]), 1);
	obol_wipe(buf, len);
	free(buf);
	codex_free(copy);
	world_free(&w);
}

TEST(codex_refusal, payer_refuses_forged_wrong_party_unknown_and_conflicting)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_refusal ref, bad;
	struct codex_msg_ack ack;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(refused_payment(&w, &m, &ref));
	t = w.cx[A]->log[0].e.token;
	/* signed by Carol in Bob's name: forged */
	REQUIRE_OK(codex_make_refusal(&t, w.rec[B].p.id, w.cx[C]->sign_sk, OBOL_E_CODEX_TOKEN_STALE, w.now, &bad));
	CHECK_ERR(codex_take_refusal(w.cx[A], &bad), OBOL_E_CODEX_REFUSAL_FORGED);
	/* one bit of Bob's refusal changed */
	bad = ref;
	bad.refusal[CODEX_REFUSAL_LEN - 1] ^= 1;
	CHECK_ERR(codex_take_refusal(w.cx[A], &bad), OBOL_E_CODEX_REFUSAL_FORGED);
	/* Carol refusing in her own name a token that names Bob: wrong party */
	REQUIRE_OK(codex_make_refusal(&t, w.rec[C].p.id, w.cx[C]->sign_sk, OBOL_E_CODEX_NOT_FOR_ME, w.now, &bad));
	CHECK_ERR(codex_take_refusal(w.cx[A], &bad), OBOL_E_CODEX_REFUSAL_WRONG_PARTY);
	/* a refusal of another payer's token */
	{
		struct codex_token other = t;
		other.payer_id = w.rec[D].p.id;
		REQUIRE_OK(codex_make_refusal(&other, w.rec[B].p.id, w.cx[B]->sign_sk, OBOL_E_CODEX_TOKEN_STALE, w.now,
					      &bad));
		CHECK_ERR(codex_take_refusal(w.cx[A], &bad), OBOL_E_CODEX_REFUSAL_UNKNOWN);
	}
	/* a token not in the current log (of an epoch synced before): kept
	 * beside the log for the bank, which checks it */
	t.id[0] ^= 1;
	REQUIRE_OK(codex_make_refusal(&t, w.rec[B].p.id, w.cx[B]->sign_sk, OBOL_E_CODEX_TOKEN_STALE, w.now, &bad));
	CHECK_OK(codex_take_refusal(w.cx[A], &bad));
	CHECK_OK(codex_take_refusal(w.cx[A], &bad)); /* once */
	CHECK_EQ_INT(w.cx[A]->nrefusals, 1);
	CHECK_EQ_INT(w.cx[A]->refusals[0].role, CODEX_REFUSAL_HELD);
	/* garbage, and a reason that is no error */
	bad = ref;
	bad.refusal[0] ^= 1;
	CHECK_ERR(codex_take_refusal(w.cx[A], &bad), OBOL_E_CODEX_MALFORMED);
	CHECK_ERR(codex_make_refusal(&w.cx[A]->log[0].e.token, w.rec[B].p.id, w.cx[B]->sign_sk, OBOL_OK, w.now, &bad),
		  OBOL_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(codex_pending_count(w.cx[A]), 1);
	CHECK_EQ_INT(codex_refused_count(w.cx[A]), 0);

	/* a token the payee acknowledged cannot be refused afterwards */
	REQUIRE_OK(world_pay_msg(&w, A, C, 50, &m));
	REQUIRE_OK(codex_receive(w.cx[C], &m, w.now, &ack, &t));
	REQUIRE_OK(codex_take_ack(w.cx[A], &ack));
	REQUIRE_OK(codex_make_refusal(&t, w.rec[C].p.id, w.cx[C]->sign_sk, OBOL_E_CODEX_TOKEN_STALE, w.now, &bad));
	CHECK_ERR(codex_take_refusal(w.cx[A], &bad), OBOL_E_CODEX_REFUSAL_CONFLICT);
	/* and the payee never refuses a token it took */
	CHECK_ERR(codex_refuse(w.cx[C], &m, OBOL_E_CODEX_TOKEN_STALE, w.now, &bad), OBOL_E_CODEX_TOKEN_SEEN);
	CHECK_EQ_INT(codex_refused_count(w.cx[A]), 0);
	world_free(&w);
}

TEST(codex_refusal, payee_cannot_refuse_what_it_cannot_open_or_names_another)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_refusal ref;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	/* sealed to Bob: Carol cannot open it, so she cannot refuse it */
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	CHECK_ERR(codex_refuse(w.cx[C], &m, OBOL_E_CODEX_TOKEN_STALE, w.now, &ref), OBOL_E_DECRYPT_FAILED);
	/* sealed to Bob but naming Carol: Bob is not its payee */
	memset(&t, 0, sizeof(t));
	obol_random(t.id, sizeof(t.id));
	t.payee_id = w.rec[C].p.id;
	strcpy(t.payee_name, "carol");
	t.seq = 2;
	REQUIRE_OK(world_craft(&w, A, B, &t, &m));
	CHECK_ERR(codex_refuse(w.cx[B], &m, OBOL_E_CODEX_TOKEN_STALE, w.now, &ref), OBOL_E_CODEX_NOT_FOR_ME);
	CHECK_EQ_INT(w.cx[B]->nseen, 0);
	world_free(&w);
}

TEST(codex_refusal, bank_log_check_refuses_a_forged_or_misplaced_refusal)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_refusal ref, bad;
	struct codex_refusal f;
	struct codex_token t;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(refused_payment(&w, &m, &ref));
	REQUIRE_OK(codex_take_refusal(w.cx[A], &ref));
	CHECK_OK(verify(&w, A));
	t = w.cx[A]->log[0].e.token;
	/* a refusal Carol signed in Bob's name, slipped into Alice's log */
	REQUIRE_OK(codex_make_refusal(&t, w.rec[B].p.id, w.cx[C]->sign_sk, OBOL_E_CODEX_TOKEN_STALE, w.now, &bad));
	REQUIRE_OK(codex_refusal_decode(bad.refusal, sizeof(bad.refusal), &f));
	w.cx[A]->log[0].e.refusal = f;
	CHECK_ERR(verify(&w, A), OBOL_E_CODEX_REFUSAL_FORGED);
	/* ... and the wallet's own check finds it too */
	CHECK_ERR(codex_check(w.cx[A]), OBOL_E_CODEX_REFUSAL_FORGED);
	/* Carol's refusal in her own name for Bob's token */
	REQUIRE_OK(codex_make_refusal(&t, w.rec[C].p.id, w.cx[C]->sign_sk, OBOL_E_CODEX_TOKEN_STALE, w.now, &bad));
	REQUIRE_OK(codex_refusal_decode(bad.refusal, sizeof(bad.refusal), &f));
	w.cx[A]->log[0].e.refusal = f;
	CHECK_ERR(verify(&w, A), OBOL_E_CODEX_REFUSAL_WRONG_PARTY);
	/* Bob's real refusal of another token, moved onto this entry */
	t.id[0] ^= 1;
	REQUIRE_OK(codex_make_refusal(&t, w.rec[B].p.id, w.cx[B]->sign_sk, OBOL_E_CODEX_TOKEN_STALE, w.now, &bad));
	REQUIRE_OK(codex_refusal_decode(bad.refusal, sizeof(bad.refusal), &f));
	w.cx[A]->log[0].e.refusal = f;
	CHECK_ERR(verify(&w, A), OBOL_E_CODEX_REFUSAL_WRONG_PARTY);
	/* Bob's real refusal back in its place */
	REQUIRE_OK(codex_refusal_decode(ref.refusal, sizeof(ref.refusal), &f));
	w.cx[A]->log[0].e.refusal = f;
	CHECK_OK(verify(&w, A));
	world_free(&w);
}

TEST(codex_refusal, entry_bytes_carry_the_refusal_only_on_pay)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_refusal ref;
	struct codex_entry e;
	uint8_t buf[CODEX_ENTRY_MAX];
	size_t len;
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	REQUIRE_OK(refused_payment(&w, &m, &ref));
	REQUIRE_OK(codex_take_refusal(w.cx[A], &ref));
	REQUIRE_OK(codex_entry_encode(&w.cx[A]->log[0].e, buf, sizeof(buf), &len));
	REQUIRE_OK(codex_entry_decode(buf, len, &e));
	CHECK(e.refused);
	CHECK_MEM_EQ(&e.refusal, &w.cx[A]->log[0].e.refusal, sizeof(e.refusal));
	/* truncated by one byte: the refusal is not there whole */
	CHECK_ERR(codex_entry_decode(buf, len - 1, &e), OBOL_E_CODEX_MALFORMED);
	/* the same bytes on a RECEIVE entry */
	buf[0] = CODEX_ENTRY_RECEIVE;
	CHECK_ERR(codex_entry_decode(buf, len, &e), OBOL_E_CODEX_MALFORMED);
	world_free(&w);
}

TEST(codex_refusal, consistency_names_a_refused_token_a_payee_holds)
{
	struct codex_bank_user u[2];
	struct codex_bank_token t[1];
	struct codex_consistency c;
	struct obol_amount held = eur(2000);
	memset(u, 0, sizeof(u));
	for (int i = 0; i < 2; i++) {
		u[i].p.id = (uint64_t)i + 1;
		u[i].p.kind = CODEX_PARTY_USER;
		u[i].loaded = eur(1000);
		u[i].credits = u[i].debits = u[i].deposit = eur(0);
	}
	/* 1 paid 2 300, 2 refused it: nobody debited or credited */
	t[0] = (struct codex_bank_token){ 1, 2, CODEX_PARTY_USER, 1, eur(300), true, false, true };
	CHECK_OK(codex_bank_consistency("EUR", u, 2, t, 1, &held, &c));
	CHECK(c.ok);
	CHECK_EQ_INT(c.conflicts_open, 0);
	/* counting it as paid is a mismatch */
	u[0].debits = eur(300);
	u[1].credits = eur(300);
	CHECK_ERR(codex_bank_consistency("EUR", u, 2, t, 1, &held, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.mismatched, 2);
	u[0].debits = eur(0);
	u[1].credits = eur(0);
	/* the payee's log holding the token it refused, the payee not found */
	t[0].by_payee = true;
	CHECK_ERR(codex_bank_consistency("EUR", u, 2, t, 1, &held, &c), OBOL_E_CODEX_INCONSISTENT);
	CHECK_EQ_INT(c.conflicts_open, 1);
}
