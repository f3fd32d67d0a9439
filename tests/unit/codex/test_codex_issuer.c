/* The codex bank on a real store, both backends (src/issuer/codex_bank.c):
 * create account, update Codex, rollback found at reconciliation and paid
 * from the safe deposit, loss beyond it, pending tokens settled, vendor
 * deposits, delete account; refused requests change nothing; the audit and
 * the consistency check hold throughout. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/codex_bank.h"
#include "issuer/codex_tables.h"
#include "issuer/keys.h"
#include "schemes/codex/codex.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "world.h"
#include "../test.h"

#define NU 5
static const char *const unames[NU] = { "alice", "bob", "carol", "dave", "shop" };

struct bank {
	struct obol_store *s;
	struct obol_issuer_keys keys;
	struct obol_sign_keypair master; /* the test signs with the master key itself */
	struct obol_ed25519_signer sg; /* over keys.master */
	int64_t acc[NU];
	struct obol_sign_keypair sk[NU];
	struct obol_box_keypair box[NU];
	struct codex *cx[NU];
	struct codex_cert vcert; /* the shop's */
	int64_t now;
};

static struct codex_issuer_ctx ctx(struct bank *b)
{
	return (struct codex_issuer_ctx){ .s = b->s, .keys = &b->keys, .signer = b->sg, .currency = "EUR",
					  .now = b->now, .set = { .tx_limit = 16 } };
}

static obol_err tx_begin(struct bank *b) { return obol_store_begin(b->s); }

static obol_err tx_end(struct bank *b, obol_err e)
{
	if (e == OBOL_OK)
		return obol_store_commit(b->s);
	obol_store_rollback(b->s);
	return e;
}

/* Opens user i's Codex with load and deposit (units). */
static obol_err open_user(struct bank *b, int i, int64_t load, int64_t deposit)
{
	struct codex_issuer_ctx c = ctx(b);
	struct codex_open_out out;
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	struct codex_issuer_open_req r = { .account = b->acc[i], .box_pk = b->box[i].pk, .amount = eur(load),
					   .deposit = eur(deposit) };
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	if ((e = tx_begin(b)) != OBOL_OK)
		goto out;
	e = codex_issuer_open(&c, &r, &out);
	if (e == OBOL_OK)
		e = codex_issuer_blacklist(&c, bl);
	if ((e = tx_end(b, e)) != OBOL_OK)
		goto out;
	codex_free(b->cx[i]);
	if (!(b->cx[i] = codex_alloc())) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	e = codex_init(b->cx[i], b->keys.master_pk, &out.cert, &out.state, bl, b->sk[i].sk, &b->box[i], b->now);
out:
	free(bl);
	return e;
}

static obol_err setup(struct bank *b, const char *db_url)
{
	obol_err e;
	memset(b, 0, sizeof(*b));
	b->now = WORLD_T0;
	if ((e = obol_store_open(db_url, true, &b->s)) != OBOL_OK || (e = obol_ledger_init(b->s, "EUR")) != OBOL_OK ||
	    (e = obol_issuer_keys_migrate(b->s)) != OBOL_OK || (e = codex_issuer_migrate(b->s)) != OBOL_OK)
		return e;
	if ((e = tx_begin(b)) != OBOL_OK)
		return e;
	e = obol_issuer_keys_create(b->s, "EUR", b->now, &b->keys, &b->master);
	obol_ed25519_signer_local(&b->sg, &b->master);
	if (e == OBOL_OK)
		e = codex_issuer_setup(b->s, &b->sg, b->now);
	for (int i = 0; e == OBOL_OK && i < NU; i++) {
		struct obol_amount f = eur(100000);
		obol_sign_keypair_new(&b->sk[i]);
		obol_box_keypair_new(&b->box[i]);
		e = obol_account_create(b->s, i == 4 ? OBOL_ACCOUNT_VENDOR : OBOL_ACCOUNT_USER, unames[i], b->sk[i].pk,
					&b->acc[i]);
		if (e == OBOL_OK && i != 4)
			e = obol_ledger_fund(b->s, b->acc[i], &f, unames[i]);
	}
	if (e == OBOL_OK) {
		struct codex_issuer_ctx c = ctx(b);
		e = codex_issuer_vendor(&c, b->acc[4], b->box[4].pk, &b->vcert);
	}
	return tx_end(b, e);
}

static void teardown(struct bank *b)
{
	for (int i = 0; i < NU; i++)
		codex_free(b->cx[i]);
	obol_issuer_keys_wipe(&b->keys);
	OBOL_WIPE(b->master);
	obol_store_close(b->s);
}

static obol_err request_of(struct bank *b, int to, struct codex_msg_request *req)
{
	memset(req, 0, sizeof(*req));
	if (to == 4)
		return codex_cert_encode(&b->vcert, req->cert, sizeof(req->cert), &req->cert_len);
	return codex_request(b->cx[to], NULL, req);
}

static obol_err pay(struct bank *b, int from, int to, int64_t units, bool deliver, struct codex_token *tok)
{
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct obol_amount a = eur(units);
	obol_err e;
	if ((e = request_of(b, to, &req)) != OBOL_OK)
		return e;
	if ((e = codex_pay(b->cx[from], &(struct codex_pay_req){ .req = &req, .amount = &a }, b->now, &m, tok)) != OBOL_OK ||
	    !deliver || to == 4)
		return e;
	if ((e = codex_receive(b->cx[to], &m, b->now, &ack, NULL)) != OBOL_OK)
		return e;
	return codex_take_ack(b->cx[from], &ack);
}

/* User i hands in its log and the refusals it keeps, as its wallet does;
 * applies the answer to its Codex when renewed. */
static obol_err sync_user(struct bank *b, int i, const struct obol_amount *load, bool close,
			  struct codex_sync_out *res)
{
	struct codex_issuer_ctx c = ctx(b);
	struct codex *x = b->cx[i];
	struct codex_entry *ents = calloc(CODEX_LOG_MAX, sizeof(*ents));
	struct codex_refusal *refs = calloc(CODEX_SYNC_REFUSALS_MAX, sizeof(*refs));
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	struct codex_sync_req req;
	size_t nref = 0;
	obol_err e;
	memset(res, 0, sizeof(*res));
	if (!ents || !bl || !refs) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = codex_sync_begin(x, "t", load, close)) != OBOL_OK)
		goto out;
	for (size_t k = 0; k < x->nlog; k++)
		ents[k] = x->log[k].e;
	for (size_t k = 0; k < x->nrefusals; k++)
		if (x->refusals[k].in_sync)
			refs[nref++] = x->refusals[k].f;
	req = (struct codex_sync_req){ .account = (uint64_t)b->acc[i], .state = &x->state, .entries = ents, .n = x->nlog,
				       .claimed = &x->balance, .load = x->sync_has_load ? &x->sync_load : NULL,
				       .close = close, .refusals = refs, .nrefusals = nref };
	if ((e = tx_begin(b)) != OBOL_OK)
		goto out;
	e = codex_issuer_sync(&c, &req, res);
	if (e == OBOL_OK)
		e = codex_issuer_blacklist(&c, bl);
	if ((e = tx_end(b, e)) != OBOL_OK) {
		codex_sync_abandon(x);
		goto out;
	}
	if (res->renewed)
		e = codex_sync_apply(x, &(struct codex_sync_answer){ .state = &res->state, .bl = bl,
								     .cert = res->cert_renewed ? &res->cert : NULL },
				     b->now);
	else
		codex_sync_abandon(x);
out:
	free(ents);
	free(refs);
	free(bl);
	return e;
}

/* The shop deposits n tokens (and refusals). */
static obol_err deposit(struct bank *b, const struct codex_token *t, size_t n, const struct codex_refusal *refs,
			size_t nrefs, obol_err *res, struct obol_amount *paid)
{
	struct codex_issuer_ctx c = ctx(b);
	struct codex_deposit_req req = { .vendor = (uint64_t)b->acc[4], .tokens = t, .n = n, .refusals = refs,
					 .nrefusals = nrefs };
	struct codex_deposit_out out = { .results = res };
	obol_err e;
	if ((e = tx_begin(b)) != OBOL_OK)
		return e;
	e = codex_issuer_deposit(&c, &req, &out);
	*paid = out.paid;
	return tx_end(b, e);
}

static obol_err audit_ok(struct bank *b)
{
	char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	obol_err e;
	struct codex_consistency cc;
	if (!f)
		return OBOL_E_IO;
	e = obol_audit_run(b->s, f);
	fclose(f);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_store_begin_read(b->s)) != OBOL_OK)
		return e;
	e = codex_issuer_check(b->s, "EUR", NULL, &cc);
	obol_store_rollback(b->s);
	return e;
}

static int64_t acct_balance(struct bank *b, int i)
{
	struct obol_amount a;
	if (obol_store_begin_read(b->s) != OBOL_OK)
		return -1;
	if (obol_ledger_balance(b->s, b->acc[i], &a) != OBOL_OK)
		a.units = -1;
	obol_store_rollback(b->s);
	return a.units;
}

TEST_DB(codex_issuer, open_pay_sync_both_ways_and_audit)
{
	struct bank b;
	struct codex_sync_out r;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 600));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	CHECK_EQ_INT(acct_balance(&b, 0), 100000 - 1600);
	CHECK_EQ_INT(b.cx[0]->state.spent_max.units, 600); /* the deposit bounds what an epoch pays offline */
	CHECK_ERR(open_user(&b, 0, 1000, 500), OBOL_E_CODEX_ALREADY_OPEN);
	CHECK_ERR(open_user(&b, 2, 1000, 0), OBOL_E_CODEX_DEPOSIT_INVALID);
	CHECK_OK(audit_ok(&b));
	REQUIRE_OK(pay(&b, 0, 1, 600, true, NULL));
	REQUIRE_OK(pay(&b, 1, 0, 100, true, NULL));
	/* Alice syncs first: the bank learns Bob's 600 from her log */
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK(r.renewed);
	CHECK_EQ_INT(r.findings, 0);
	CHECK_EQ_INT(b.cx[0]->balance.units, 500);
	CHECK_EQ_INT(b.cx[0]->state.perf, 1);
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	/* Bob syncs with a load: nothing is counted twice */
	{
		struct obol_amount load = eur(250);
		REQUIRE_OK(sync_user(&b, 1, &load, false, &r));
	}
	CHECK_EQ_INT(b.cx[1]->balance.units, 1000 + 600 - 100 + 250);
	CHECK_EQ_INT(r.value.units, 1750);
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* A database whose blacklist was never signed (`issuer init --no-ceremony`,
 * started before its ceremony): without an online key the blacklist is
 * KEY_ONLINE_MISSING and none is stored; the first request with a key signs
 * the version 0, and a Codex opens with it. */
TEST_DB(codex_issuer, first_request_with_an_online_key_signs_a_missing_blacklist)
{
	struct bank b;
	struct codex_blacklist *bl = calloc(1, sizeof(*bl));
	REQUIRE(bl);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(obol_store_run(b.s, NULL, "DELETE FROM codex_blacklist", ""));
	struct codex_issuer_ctx c = ctx(&b);
	memset(&c.signer, 0, sizeof c.signer); /* no online key usable */
	REQUIRE_OK(tx_begin(&b));
	CHECK_ERR(tx_end(&b, codex_issuer_blacklist(&c, bl)), OBOL_E_KEY_ONLINE_MISSING);
	CHECK_ERR(codex_issuer_blacklist_read(b.s, bl), OBOL_E_NOT_FOUND);
	c = ctx(&b);
	REQUIRE_OK(tx_begin(&b));
	CHECK_OK(tx_end(&b, codex_issuer_blacklist(&c, bl)));
	CHECK_EQ_INT(bl->version, 0);
	CHECK_OK(codex_issuer_blacklist_read(b.s, bl));
	REQUIRE_OK(open_user(&b, 0, 1000, 600));
	CHECK_EQ_INT(acct_balance(&b, 0), 100000 - 1600);
	CHECK_OK(audit_ok(&b));
	free(bl);
	teardown(&b);
}

TEST_DB(codex_issuer, refused_sync_changes_nothing)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *old = codex_alloc();
	REQUIRE(old);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 500));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	REQUIRE_OK(pay(&b, 0, 1, 300, true, NULL));
	/* a tampered log: the amount of Alice's payment lowered */
	b.cx[0]->log[0].e.token.amount.units = 3;
	b.cx[0]->balance.units = 997;
	CHECK_ERR(sync_user(&b, 0, NULL, false, &r), OBOL_E_CODEX_SIGNATURE);
	b.cx[0]->log[0].e.token.amount.units = 300;
	b.cx[0]->balance.units = 700;
	memcpy(old, b.cx[0], sizeof(*old));
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	codex_sync_out_free(&r);
	/* the same log again, from the copy kept aside: a rolled-back Codex */
	memcpy(b.cx[0], old, sizeof(*old));
	CHECK_ERR(sync_user(&b, 0, NULL, false, &r), OBOL_E_CODEX_STATE_STALE);
	/* Bob's log with his receipt twice */
	b.cx[1]->log[1] = b.cx[1]->log[0];
	b.cx[1]->nlog = 2;
	CHECK_ERR(sync_user(&b, 1, NULL, false, &r), OBOL_E_CODEX_TOKEN_SEEN);
	b.cx[1]->nlog = 1;
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	CHECK_EQ_INT(b.cx[1]->balance.units, 1300);
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	codex_free(old);
	teardown(&b);
}

/* The demo's story: Alice rolls her Codex back and spends the same money
 * twice; the second payee's reconciliation finds the fork, Alice is
 * blacklisted, her safe deposit pays, every payee keeps its money. */
TEST_DB(codex_issuer, rollback_found_and_paid_from_safe_deposit)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *copy = codex_alloc();
	struct codex_issuer_losses ls;
	REQUIRE(copy);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 800));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	REQUIRE_OK(open_user(&b, 2, 1000, 500));
	memcpy(copy, b.cx[0], sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 1, 800, true, NULL));
	memcpy(b.cx[0], copy, sizeof(*copy)); /* the rollback */
	REQUIRE_OK(pay(&b, 0, 2, 700, true, NULL));
	/* Bob reconciles: nothing to see yet */
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	CHECK_EQ_INT(r.findings, 0);
	codex_sync_out_free(&r);
	/* Carol reconciles: her token sits where Bob's does in Alice's log */
	REQUIRE_OK(sync_user(&b, 2, NULL, false, &r));
	CHECK_EQ_INT(r.findings, 1); /* the fork (the overspend it caused is its loss row) */
	CHECK(r.renewed);
	CHECK_EQ_INT(b.cx[2]->balance.units, 1700); /* Carol is paid in full */
	codex_sync_out_free(&r);
	CHECK_EQ_INT(b.cx[1]->balance.units, 1800);
	CHECK_OK(audit_ok(&b));
	REQUIRE_OK(obol_store_begin_read(b.s));
	CHECK_OK(codex_issuer_losses(b.s, "EUR", &ls));
	obol_store_rollback(b.s);
	CHECK_EQ_INT(ls.count, 1);
	CHECK_EQ_INT(ls.deficit.units, 500); /* 1000 - 800 - 700, all from the deposit */
	CHECK_EQ_INT(ls.from_outside.units, 0);
	/* Bob's next sync brings him the blacklist, and he refuses Alice offline */
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	codex_sync_out_free(&r);
	CHECK(codex_blacklist_has(&b.cx[1]->blacklist, b.acc[0]));
	CHECK_ERR(pay(&b, 0, 1, 10, true, NULL), OBOL_E_CODEX_PAYER_BLACKLISTED);
	/* Alice was found out at Carol's sync: she can neither sync again nor
	 * close; the rest of her deposit waits for the end of its hold */
	CHECK_ERR(sync_user(&b, 0, NULL, false, &r), OBOL_E_CODEX_BLACKLISTED);
	CHECK_ERR(sync_user(&b, 0, NULL, true, &r), OBOL_E_CODEX_BLACKLISTED);
	CHECK_OK(audit_ok(&b));
	codex_free(copy);
	teardown(&b);
}

/* Copies of one Codex pay four payees the whole per-epoch limit each: the
 * deposit pays the first 400 of the deficit, the bank the rest, reported;
 * every payee in full. (Each payee can be made to take one epoch's limit
 * at most: the bound of docs/threats.md, P5.) */
TEST_DB(codex_issuer, loss_beyond_deposit_is_reported_and_funded)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *copy = codex_alloc();
	struct codex_issuer_losses ls;
	struct codex_token t;
	obol_err res[1];
	struct obol_amount paid;
	REQUIRE(copy);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 400));
	for (int i = 1; i <= 3; i++)
		REQUIRE_OK(open_user(&b, i, 1000, 100));
	memcpy(copy, b.cx[0], sizeof(*copy));
	for (int i = 1; i <= 4; i++) {
		memcpy(b.cx[0], copy, sizeof(*copy));
		REQUIRE_OK(pay(&b, 0, i, 400, true, &t));
		/* the same payee twice from one copy's epoch: refused offline */
		if (i == 1) {
			memcpy(b.cx[0], copy, sizeof(*copy));
			CHECK_ERR(pay(&b, 0, 1, 400, true, NULL), OBOL_E_CODEX_PLACE_REUSED);
		}
	}
	CHECK_OK(deposit(&b, &t, 1, NULL, 0, res, &paid));
	CHECK_EQ_INT(paid.units, 400);
	for (int i = 1; i <= 3; i++) {
		REQUIRE_OK(sync_user(&b, i, NULL, false, &r));
		CHECK_EQ_INT(b.cx[i]->balance.units, 1400);
		codex_sync_out_free(&r);
	}
	REQUIRE_OK(obol_store_begin_read(b.s));
	CHECK_OK(codex_issuer_losses(b.s, "EUR", &ls));
	obol_store_rollback(b.s);
	CHECK_EQ_INT(ls.deficit.units, 600);
	CHECK_EQ_INT(ls.from_deposit.units, 400);
	CHECK_EQ_INT(ls.from_outside.units, 200);
	CHECK_OK(audit_ok(&b));
	codex_free(copy);
	teardown(&b);
}

TEST_DB(codex_issuer, pending_token_settled_by_payer_log)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_token t;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 250));
	REQUIRE_OK(open_user(&b, 3, 1000, 100));
	REQUIRE_OK(pay(&b, 0, 3, 250, false, &t)); /* never delivered */
	CHECK_EQ_INT(codex_pending_count(b.cx[0]), 1);
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	codex_sync_out_free(&r);
	REQUIRE_OK(sync_user(&b, 3, NULL, false, &r));
	CHECK_EQ_INT(b.cx[3]->balance.units, 1250);
	REQUIRE(r.nsettled == 1);
	CHECK_MEM_EQ(r.settled_ids[0], t.id, CODEX_TOKEN_ID_LEN);
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

TEST_DB(codex_issuer, vendor_deposit_once_and_close)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_token t[3];
	obol_err res[3];
	struct obol_amount paid;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 200));
	REQUIRE_OK(open_user(&b, 1, 1000, 100));
	REQUIRE_OK(pay(&b, 0, 4, 120, true, &t[0]));
	REQUIRE_OK(pay(&b, 0, 4, 30, true, &t[1]));
	REQUIRE_OK(pay(&b, 0, 1, 5, true, &t[2])); /* not the shop's */
	CHECK_OK(deposit(&b, t, 3, NULL, 0, res, &paid));
	CHECK_ERR(res[0], OBOL_OK);
	CHECK_ERR(res[1], OBOL_OK);
	CHECK_ERR(res[2], OBOL_E_CODEX_NOT_PAYEE);
	CHECK_EQ_INT(paid.units, 150);
	CHECK_EQ_INT(acct_balance(&b, 4), 150);
	/* the same tokens again: paid once only */
	CHECK_OK(deposit(&b, t, 2, NULL, 0, res, &paid));
	CHECK_ERR(res[0], OBOL_E_CODEX_TOKEN_SEEN);
	CHECK_EQ_INT(paid.units, 0);
	/* a forged token (amount raised after signing) */
	t[1].amount.units = 3000;
	obol_random(t[1].id, CODEX_TOKEN_ID_LEN);
	CHECK_OK(deposit(&b, &t[1], 1, NULL, 0, res, &paid));
	CHECK_ERR(res[0], OBOL_E_CODEX_SIGNATURE);
	CHECK_EQ_INT(acct_balance(&b, 4), 150);
	CHECK_OK(audit_ok(&b));
	/* Alice's sync finds her shop payments already deposited: paid once */
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK_EQ_INT(b.cx[0]->balance.units, 845);
	codex_sync_out_free(&r);
	CHECK_EQ_INT(acct_balance(&b, 4), 150);
	/* delete account: the value goes back now, the deposit is held */
	REQUIRE_OK(sync_user(&b, 0, NULL, true, &r));
	CHECK_EQ_INT(r.paid_out.units, 845);
	CHECK_EQ_INT(r.held.units, 200);
	codex_sync_out_free(&r);
	CHECK_EQ_INT(acct_balance(&b, 0), 100000 - 1200 + 845);
	CHECK_ERR(sync_user(&b, 0, NULL, false, &r), OBOL_E_CODEX_ACCOUNT_DELETED);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* The payer itself hands in the log of a rolled-back Codex that lacks a
 * token its payee already reported: found at its own sync. */
TEST_DB(codex_issuer, rollback_found_at_payers_own_sync)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *copy = codex_alloc();
	REQUIRE(copy);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 800));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	memcpy(copy, b.cx[0], sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 1, 800, true, NULL));
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	codex_sync_out_free(&r);
	memcpy(b.cx[0], copy, sizeof(*copy)); /* "I never paid" */
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK(r.blacklisted);
	CHECK(!r.renewed);
	CHECK_EQ_INT(r.findings, 1);
	CHECK_EQ_INT(r.value.units, 200); /* the bank counts Bob's token all the same */
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	codex_free(copy);
	teardown(&b);
}

/* A token settled from its payer's log after its payee closed the Codex is
 * paid to the payee's account. */
TEST_DB(codex_issuer, settled_to_a_closed_codex_goes_to_the_account)
{
	struct bank b;
	struct codex_sync_out r;
	int64_t before;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 250));
	REQUIRE_OK(open_user(&b, 3, 1000, 100));
	REQUIRE_OK(pay(&b, 0, 3, 250, false, NULL)); /* never delivered */
	REQUIRE_OK(sync_user(&b, 3, NULL, true, &r));
	CHECK_EQ_INT(r.paid_out.units, 1000);
	codex_sync_out_free(&r);
	before = acct_balance(&b, 3);
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	codex_sync_out_free(&r);
	CHECK_EQ_INT(acct_balance(&b, 3), before + 250);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* ---- refusals ------------------------------------------------------------ */

/* Alice pays `to` (Bob, or the shop) units; the payee refuses the token and
 * Alice takes the refusal. *tok gets the token. */
static obol_err pay_refused(struct bank *b, int to, int64_t units, struct codex_token *tok,
			    struct codex_msg_refusal *ref)
{
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct obol_amount a = eur(units);
	obol_err e;
	memset(&req, 0, sizeof(req));
	if (to == 4)
		e = codex_cert_encode(&b->vcert, req.cert, sizeof(req.cert), &req.cert_len);
	else
		e = codex_request(b->cx[to], NULL, &req);
	if (e != OBOL_OK || (e = codex_pay(b->cx[0], &(struct codex_pay_req){ .req = &req, .amount = &a }, b->now, &m, tok)) != OBOL_OK)
		return e;
	if (to == 4) {
		e = codex_make_refusal(tok, b->vcert.user_id, b->sk[4].sk, OBOL_E_CODEX_TOKEN_STALE, b->now, ref);
	} else {
		/* the payee's clock is two windows ahead: the token is stale */
		e = codex_receive(b->cx[to], &m, b->now + 2 * CODEX_FRESH_WINDOW, &ack, NULL);
		if (e != OBOL_E_CODEX_TOKEN_STALE)
			return e == OBOL_OK ? OBOL_E_INTERNAL : e;
		e = codex_refuse(b->cx[to], &m, e, b->now, ref);
	}
	return e == OBOL_OK ? codex_take_refusal(b->cx[0], ref) : e;
}

TEST_DB(codex_issuer, refused_token_refunded_to_its_payer_once)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_token t, tv;
	struct codex_msg_refusal ref;
	struct obol_amount paid;
	obol_err res[1];
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 1000));
	REQUIRE_OK(open_user(&b, 1, 1000, 100));
	REQUIRE_OK(pay_refused(&b, 1, 300, &t, &ref));
	REQUIRE_OK(pay_refused(&b, 4, 120, &tv, &ref));
	REQUIRE_OK(pay(&b, 0, 1, 50, true, NULL));
	CHECK_EQ_INT(b.cx[0]->balance.units, 530);
	CHECK_EQ_INT(codex_refused_count(b.cx[0]), 2);
	/* the payer's sync returns both refused tokens and pays the third */
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK(r.renewed);
	CHECK_EQ_INT(r.findings, 0);
	CHECK_EQ_INT(r.value.units, 950);
	codex_sync_out_free(&r);
	CHECK_EQ_INT(b.cx[0]->balance.units, 950);
	CHECK_EQ_INT(acct_balance(&b, 4), 0); /* the shop is not paid a token it refused */
	CHECK_OK(audit_ok(&b));
	/* the payee is credited only what it took, and told of nothing settled */
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	CHECK_EQ_INT(b.cx[1]->balance.units, 1050);
	CHECK_EQ_INT(r.nsettled, 0);
	codex_sync_out_free(&r);
	/* once: the next sync returns nothing more */
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK_EQ_INT(b.cx[0]->balance.units, 950);
	codex_sync_out_free(&r);
	/* the shop depositing the token it refused is refused, nothing paid */
	CHECK_OK(deposit(&b, &tv, 1, NULL, 0, res, &paid));
	CHECK_ERR(res[0], OBOL_E_CODEX_TOKEN_REFUSED);
	CHECK_EQ_INT(paid.units, 0);
	CHECK_EQ_INT(acct_balance(&b, 4), 0);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

TEST_DB(codex_issuer, forged_or_wrong_party_refusal_refused_and_nothing_moves)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_token t;
	struct codex_msg_refusal ref, bad;
	struct codex_refusal real, f;
	uint64_t epoch;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 1000));
	REQUIRE_OK(open_user(&b, 1, 1000, 100));
	REQUIRE_OK(open_user(&b, 2, 1000, 100));
	REQUIRE_OK(pay_refused(&b, 1, 300, &t, &ref));
	real = b.cx[0]->log[0].e.refusal;
	epoch = b.cx[0]->state.epoch;
	/* Carol signs a refusal in Bob's name: forged */
	REQUIRE_OK(codex_make_refusal(&t, b.cx[1]->cert.user_id, b.sk[2].sk, OBOL_E_CODEX_TOKEN_STALE, b.now, &bad));
	REQUIRE_OK(codex_refusal_decode(bad.refusal, sizeof(bad.refusal), &f));
	b.cx[0]->log[0].e.refusal = f;
	CHECK_ERR(sync_user(&b, 0, NULL, false, &r), OBOL_E_CODEX_REFUSAL_FORGED);
	/* Carol refuses in her own name the token that names Bob: wrong party */
	REQUIRE_OK(codex_make_refusal(&t, b.cx[2]->cert.user_id, b.sk[2].sk, OBOL_E_CODEX_TOKEN_STALE, b.now, &bad));
	REQUIRE_OK(codex_refusal_decode(bad.refusal, sizeof(bad.refusal), &f));
	b.cx[0]->log[0].e.refusal = f;
	CHECK_ERR(sync_user(&b, 0, NULL, false, &r), OBOL_E_CODEX_REFUSAL_WRONG_PARTY);
	/* nothing moved: the same epoch, no token recorded, the books hold */
	CHECK_EQ_INT(b.cx[0]->state.epoch, epoch);
	CHECK_EQ_INT(acct_balance(&b, 0), 100000 - 2000);
	CHECK_OK(audit_ok(&b));
	/* Bob's real refusal goes through */
	b.cx[0]->log[0].e.refusal = real;
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK_EQ_INT(b.cx[0]->balance.units, 1000);
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* Alice (deposit 1000) pays Bob EUR 300 once; one of Bob's two copies of his
 * Codex takes the token, the other signs a refusal of it, which Alice takes.
 * copy_claims: bob2 is the copy that took it (else b->cx[1]). */
static obol_err claim_and_refuse(struct bank *b, struct codex *bob2, bool copy_claims)
{
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	struct obol_amount a = eur(300);
	obol_err e;
	if ((e = open_user(b, 0, 1000, 1000)) != OBOL_OK || (e = open_user(b, 1, 1000, 100)) != OBOL_OK ||
	    (e = codex_request(b->cx[1], NULL, &req)) != OBOL_OK ||
	    (e = codex_pay(b->cx[0], &(struct codex_pay_req){ .req = &req, .amount = &a }, b->now, &m, NULL)) != OBOL_OK)
		return e;
	memcpy(bob2, b->cx[1], sizeof(*bob2));
	if ((e = codex_receive(copy_claims ? bob2 : b->cx[1], &m, b->now, &ack, NULL)) != OBOL_OK ||
	    (e = codex_refuse(copy_claims ? b->cx[1] : bob2, &m, OBOL_E_CODEX_TOKEN_STALE, b->now, &ref)) != OBOL_OK)
		return e;
	return codex_take_refusal(b->cx[0], &ref);
}

/* Issue 14 case 7: Bob keeps a copy of his Codex that took the token he
 * refused. The refusal reaches the bank first; the copy's claim of the
 * token loses, Bob is found, and nobody else is frozen. */
TEST_DB(codex_issuer, payee_claiming_a_token_it_refused)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *bob2 = codex_alloc();
	REQUIRE(bob2);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(claim_and_refuse(&b, bob2, true));

	/* the refusal reaches the bank first: Alice refunded */
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK_EQ_INT(b.cx[0]->balance.units, 1000);
	codex_sync_out_free(&r);
	{
		struct codex *honest = b.cx[1];
		b.cx[1] = bob2;
		REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
		CHECK(r.blacklisted);
		CHECK_EQ_INT(r.own_findings, 1);
		CHECK_EQ_INT(r.value.units, 1000); /* the claim brought nothing */
		codex_sync_out_free(&r);
		b.cx[1] = honest;
	}
	CHECK_OK(audit_ok(&b));
	/* Alice goes on as before */
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK(r.renewed);
	CHECK_EQ_INT(r.value.units, 1000);
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	codex_free(bob2);
	teardown(&b);
}

/* Issue 14 case 7: the payee's claim reaches the bank before its refusal:
 * the claim loses all the same (the refusal and the claim, both signed by
 * the payee, are a proven conflict), the payer is refunded. */
TEST_DB(codex_issuer, claim_before_refusal_the_claim_loses)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *bob2 = codex_alloc();
	REQUIRE(bob2);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(claim_and_refuse(&b, bob2, false));
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	CHECK_EQ_INT(b.cx[1]->balance.units, 1300);
	codex_sync_out_free(&r);
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK_EQ_INT(b.cx[0]->balance.units, 1000);
	CHECK_EQ_INT(r.own_findings, 0);
	CHECK_EQ_INT(r.findings, 1);
	codex_sync_out_free(&r);
	/* Bob, found, is renewed no more; what he holds is 1000 again */
	CHECK_ERR(sync_user(&b, 1, NULL, false, &r), OBOL_E_CODEX_BLACKLISTED);
	CHECK_OK(audit_ok(&b));
	codex_free(bob2);
	teardown(&b);
}

/* ---- issue 14: the attacks, on the real store --------------------------- */

/* A token signed by `from`'s key under the given id, sealed to `to`. */
static obol_err craft(struct bank *b, int from, int to, const uint8_t id[static CODEX_TOKEN_ID_LEN], int64_t units,
		      uint64_t seq, struct codex_msg_pay *m)
{
	struct codex *p = b->cx[from], *q = b->cx[to];
	struct codex_token t;
	uint8_t plain[CODEX_PAYMENT_MAX];
	size_t n;
	obol_err e;
	memset(&t, 0, sizeof(t));
	t.version = CODEX_TOKEN_VERSION;
	memcpy(t.id, id, CODEX_TOKEN_ID_LEN);
	t.payer_id = p->cert.user_id;
	strcpy(t.payer_name, p->cert.name);
	t.payee_id = q->cert.user_id;
	strcpy(t.payee_name, q->cert.name);
	t.amount = t.spent = eur(units);
	t.time = b->now;
	t.epoch = p->state.epoch;
	t.seq = seq;
	if ((e = codex_token_sign(&t, p->sign_sk)) != OBOL_OK ||
	    (e = codex_payment_encode(&t, &p->cert, &p->state, plain, sizeof(plain), &n)) != OBOL_OK ||
	    (e = obol_sealbox_seal(m->sealed, plain, n, q->box.pk)) != OBOL_OK)
		return e;
	m->sealed_len = n + OBOL_SEALBOX_OVERHEAD;
	return OBOL_OK;
}

/* Case 1: the payer logs T1 (1 to Bob, never delivered) and hands Bob T2
 * under the same id for 500. The payer syncs first; Bob is credited both
 * and the payer is found. */
TEST_DB(codex_issuer, attack_resigned_id_same_payee_is_paid_and_found)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_token t1;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 500));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	REQUIRE_OK(pay(&b, 0, 1, 1, false, &t1));
	REQUIRE_OK(craft(&b, 0, 1, t1.id, 500, 1, &m));
	REQUIRE_OK(codex_receive(b.cx[1], &m, b.now, &ack, NULL));
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	codex_sync_out_free(&r);
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	CHECK(r.findings >= 1);
	CHECK_EQ_INT(r.own_findings, 0);
	CHECK_EQ_INT(r.value.units, 1000 + 500 + 1);
	codex_sync_out_free(&r);
	CHECK_ERR(sync_user(&b, 0, NULL, false, &r), OBOL_E_CODEX_BLACKLISTED);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* Case 1: T2 under T1's id names Carol: before, Carol's every sync failed
 * (TOKEN_SEEN); now she is paid and goes on. */
TEST_DB(codex_issuer, attack_resigned_id_other_payee_freezes_nobody)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_token t1;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 500));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	REQUIRE_OK(open_user(&b, 2, 1000, 500));
	REQUIRE_OK(pay(&b, 0, 1, 1, true, &t1));
	REQUIRE_OK(craft(&b, 0, 2, t1.id, 500, 2, &m));
	REQUIRE_OK(codex_receive(b.cx[2], &m, b.now, &ack, NULL));
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	codex_sync_out_free(&r);
	CHECK_OK(sync_user(&b, 2, NULL, false, &r));
	CHECK_EQ_INT(r.value.units, 1500);
	codex_sync_out_free(&r);
	CHECK_OK(sync_user(&b, 2, NULL, true, &r)); /* and she can close */
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* Cases 2 and 8: a close returns the value and holds the deposit; a copy
 * of the closed Codex then pays Bob offline; the held deposit pays him,
 * nothing comes from outside; the rest goes back once after the hold. */
TEST_DB(codex_issuer, attack_copy_pays_after_close_from_the_held_deposit)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_release_out rel;
	struct codex_issuer_losses ls;
	struct codex_issuer_ctx c;
	struct codex *copy = codex_alloc(), *copy2 = codex_alloc();
	int64_t until;
	REQUIRE(copy && copy2);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 500));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	memcpy(copy, b.cx[0], sizeof(*copy));
	memcpy(copy2, b.cx[0], sizeof(*copy2));
	REQUIRE_OK(open_user(&b, 2, 1000, 500));
	REQUIRE_OK(sync_user(&b, 0, NULL, true, &r));
	CHECK(r.closed);
	CHECK_EQ_INT(r.paid_out.units, 1000);
	CHECK_EQ_INT(r.held.units, 500);
	until = r.held_until;
	codex_sync_out_free(&r);
	CHECK_EQ_INT(acct_balance(&b, 0), 100000 - 1500 + 1000);
	memcpy(b.cx[0], copy, sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 1, 400, true, NULL));
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	CHECK_EQ_INT(r.value.units, 1400);
	codex_sync_out_free(&r);
	REQUIRE_OK(obol_store_begin_read(b.s));
	CHECK_OK(codex_issuer_losses(b.s, "EUR", &ls));
	obol_store_rollback(b.s);
	CHECK_EQ_INT(ls.from_deposit.units, 400);
	CHECK_EQ_INT(ls.from_outside.units, 0);
	CHECK_OK(audit_ok(&b));
	/* the release: refused before the hold ends, then once */
	c = ctx(&b);
	c.now = until - 1;
	REQUIRE_OK(tx_begin(&b));
	CHECK_ERR(tx_end(&b, codex_issuer_release(&c, b.acc[0], &rel)), OBOL_E_CODEX_DEPOSIT_HELD);
	c.now = until;
	REQUIRE_OK(tx_begin(&b));
	REQUIRE_OK(tx_end(&b, codex_issuer_release(&c, b.acc[0], &rel)));
	CHECK_EQ_INT(rel.paid.units, 100);
	REQUIRE_OK(tx_begin(&b));
	CHECK_ERR(tx_end(&b, codex_issuer_release(&c, b.acc[0], &rel)), OBOL_E_CODEX_NOTHING_HELD);
	CHECK_EQ_INT(acct_balance(&b, 0), 100000 - 1500 + 1000 + 100);
	CHECK_OK(audit_ok(&b));
	/* another copy pays Carol; she hands it in after the hold: too late,
	 * the deposit behind it went back; nothing from outside (the bound) */
	memcpy(b.cx[0], copy2, sizeof(*copy2));
	REQUIRE_OK(pay(&b, 0, 2, 300, true, NULL));
	b.now = until + 10;
	REQUIRE_OK(sync_user(&b, 2, NULL, false, &r));
	CHECK_EQ_INT(r.value.units, 1000);
	CHECK_EQ_INT(r.findings, 0);
	codex_sync_out_free(&r);
	REQUIRE_OK(obol_store_begin_read(b.s));
	CHECK_OK(codex_issuer_losses(b.s, "EUR", &ls));
	obol_store_rollback(b.s);
	CHECK_EQ_INT(ls.from_deposit.units, 400);
	CHECK_EQ_INT(ls.from_outside.units, 0);
	CHECK_OK(audit_ok(&b));
	codex_free(copy);
	codex_free(copy2);
	teardown(&b);
}

/* Case 8: found out at the sync that also loads: the fraud is settled,
 * the rest (the load included) goes back after the exposure window. */
TEST_DB(codex_issuer, attack_blacklisted_remainder_released_after_the_window)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_release_out rel;
	struct codex_issuer_ctx c;
	struct codex *copy = codex_alloc();
	struct obol_amount load = eur(200);
	REQUIRE(copy);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 500));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	memcpy(copy, b.cx[0], sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 1, 300, true, NULL));
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	codex_sync_out_free(&r);
	memcpy(b.cx[0], copy, sizeof(*copy));
	REQUIRE_OK(sync_user(&b, 0, &load, false, &r));
	CHECK(r.blacklisted);
	CHECK_EQ_INT(r.value.units, 900);
	codex_sync_out_free(&r);
	c = ctx(&b);
	REQUIRE_OK(tx_begin(&b));
	CHECK_ERR(tx_end(&b, codex_issuer_release(&c, b.acc[0], &rel)), OBOL_E_CODEX_DEPOSIT_HELD);
	c.now = rel.held_until;
	REQUIRE_OK(tx_begin(&b));
	REQUIRE_OK(tx_end(&b, codex_issuer_release(&c, b.acc[0], &rel)));
	CHECK_EQ_INT(rel.paid.units, 900 + 500);
	CHECK_EQ_INT(acct_balance(&b, 0), 100000 - 1500 - 200 + 1400);
	CHECK_OK(audit_ok(&b));
	codex_free(copy);
	teardown(&b);
}

/* Case 5: past 4,096 listed users the bank's list grows; the honest
 * payee's sync that finds one more fraud goes through; entries whose Codex
 * expired drop out of the signed list. */
TEST_DB(codex_issuer, attack_blacklist_past_4096_has_no_cliff)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *copy = codex_alloc();
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	struct codex_issuer_ctx c;
	REQUIRE(copy && bl);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 800));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	REQUIRE_OK(open_user(&b, 2, 1000, 500));
	REQUIRE_OK(tx_begin(&b));
	for (int64_t i = 0; i < 4096; i++)
		REQUIRE_OK(obol_store_run(b.s, NULL, "INSERT INTO codex_listed (user_id, since, until) VALUES (?, ?, ?)", "iii",
					  1000000 + i, b.now, i == 0 ? b.now + 10 : b.now + 86400));
	REQUIRE_OK(tx_end(&b, OBOL_OK));
	memcpy(copy, b.cx[0], sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 1, 800, true, NULL));
	memcpy(b.cx[0], copy, sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 2, 700, true, NULL));
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	codex_sync_out_free(&r);
	CHECK_OK(sync_user(&b, 2, NULL, false, &r));
	CHECK(r.renewed);
	codex_sync_out_free(&r);
	CHECK_EQ_INT(b.cx[2]->blacklist.n, 4097);
	CHECK(codex_blacklist_has(&b.cx[2]->blacklist, b.acc[0]));
	/* later: the first entry's Codex can no longer pay, it drops out */
	b.now += 60;
	c = ctx(&b);
	REQUIRE_OK(tx_begin(&b));
	REQUIRE_OK(tx_end(&b, codex_issuer_blacklist(&c, bl)));
	CHECK_EQ_INT(bl->n, 4096);
	CHECK(!codex_blacklist_has(bl, 1000000));
	CHECK_OK(audit_ok(&b));
	free(bl);
	codex_free(copy);
	teardown(&b);
}

/* User i's Codex brings its paged copy of the blacklist up to date, page
 * by page, as its wallet does (codex_wallet_blacklist_pages). */
static obol_err fetch_blocked(struct bank *b, int i)
{
	struct codex_blacklist_fetch f;
	obol_err e = OBOL_OK;
	codex_blacklist_fetch_begin(&f, &b->cx[i]->blocked);
	while (e == OBOL_OK && !f.done) {
		struct codex_blacklist_page p;
		struct codex_issuer_page_req r = { .since = f.since, .version = f.started ? f.version : 0,
						   .after = f.after, .now = b->now };
		if ((e = tx_begin(b)) != OBOL_OK)
			break;
		struct obol_ed25519_signer sg;
		obol_ed25519_signer_local(&sg, &b->master);
		e = tx_end(b, codex_issuer_blacklist_page(b->s, &sg, &r, &p));
		if (e == OBOL_OK)
			e = codex_blacklist_fetch_take(&f, &p, b->keys.master_pk);
		codex_blacklist_page_free(&p);
	}
	if (e == OBOL_OK)
		e = codex_blacklist_fetch_apply(&f, &b->cx[i]->blocked, b->now);
	codex_blacklist_fetch_free(&f);
	return e;
}

/* Case 5b (P5): a fraudulent Codex listed before 16,384 others stays on
 * the blacklist while its tokens could still pass: the signed whole list
 * carries only the newest 16,384, the paged copy carries every live entry,
 * and a payee holding it refuses the listed payer's next token, which the
 * whole list alone would let through. */
TEST_DB(codex_issuer, attack_oldest_listed_codex_pays_again_past_16384)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *copy = codex_alloc();
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	struct codex_issuer_ctx c;
	REQUIRE(copy && bl);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 800));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	REQUIRE_OK(open_user(&b, 2, 1000, 500));
	REQUIRE_OK(open_user(&b, 3, 1000, 500));
	/* alice spends the same 800 twice from a copy of her Codex */
	memcpy(copy, b.cx[0], sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 1, 800, true, NULL));
	memcpy(b.cx[0], copy, sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 2, 700, true, NULL));
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	codex_sync_out_free(&r);
	REQUIRE_OK(sync_user(&b, 2, NULL, false, &r));
	codex_sync_out_free(&r);
	REQUIRE(codex_blacklist_has(&b.cx[2]->blacklist, b.acc[0]));
	/* 16,384 more frauds are listed after her, all live */
	b.now += 1;
	REQUIRE_OK(tx_begin(&b));
	REQUIRE_OK(tx_end(&b, obol_store_run(b.s, NULL,
					     "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 16384)"
					     " INSERT INTO codex_listed (user_id, since, until, version)"
					     " SELECT 1000000 + x, ?, ?, (SELECT version + 1 FROM codex_blacklist WHERE id = 1)"
					     " FROM n",
					     "ii", b.now, b.now + 86400)));
	/* the next build of the whole list (as at the next listing) */
	REQUIRE_OK(tx_begin(&b));
	REQUIRE_OK(tx_end(&b, obol_store_run(b.s, NULL, "UPDATE codex_blacklist SET next_prune = 0", "")));
	c = ctx(&b);
	REQUIRE_OK(tx_begin(&b));
	REQUIRE_OK(tx_end(&b, codex_issuer_blacklist(&c, bl)));
	CHECK_EQ_INT(bl->n, CODEX_BLACKLIST_MAX);
	CHECK(!codex_blacklist_has(bl, b.acc[0])); /* the whole list is capped */
	/* dave, who never took a token of hers, holds that list and the paged copy */
	CHECK_OK(codex_set_blacklist(b.cx[3], bl));
	CHECK_OK(fetch_blocked(&b, 3));
	CHECK_EQ_INT(b.cx[3]->blocked.n, CODEX_BLACKLIST_MAX + 1);
	CHECK(codex_payer_listed(b.cx[3], b.acc[0]));
	/* her Codex, still within its state, pays dave: refused */
	CHECK_ERR(pay(&b, 0, 3, 100, true, NULL), OBOL_E_CODEX_PAYER_BLACKLISTED);
	CHECK_EQ_INT(b.cx[3]->nlog, 0);
	/* the paged copy survives the Codex's own file */
	uint8_t *ser = NULL;
	size_t len = 0;
	struct codex *back = codex_alloc();
	REQUIRE(back != NULL);
	REQUIRE_OK(codex_serialize(b.cx[3], &ser, &len));
	CHECK(len < 16 * (CODEX_BLACKLIST_MAX + 1)); /* compact: dense ids take a few bytes */
	CHECK_OK(codex_parse(back, ser, len));
	CHECK_EQ_INT(back->blocked.n, CODEX_BLACKLIST_MAX + 1);
	CHECK(codex_payer_listed(back, b.acc[0]));
	free(ser);
	codex_free(back);
	CHECK_OK(audit_ok(&b));
	free(bl);
	codex_free(copy);
	teardown(&b);
}

/* Case 6: a closed account opens a new Codex. */
TEST_DB(codex_issuer, attack_closed_account_opens_again)
{
	struct bank b;
	struct codex_sync_out r;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 500));
	REQUIRE_OK(sync_user(&b, 0, NULL, true, &r));
	codex_sync_out_free(&r);
	CHECK_OK(open_user(&b, 0, 1000, 500));
	CHECK_EQ_INT(b.cx[0]->state.epoch, 2); /* the closed epoch 1 is behind it */
	CHECK_EQ_INT(b.cx[0]->state.deposit.units, 1000); /* the held deposit stays with it */
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	CHECK_OK(pay(&b, 0, 1, 10, true, NULL));
	CHECK_OK(sync_user(&b, 0, NULL, false, &r));
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* Case 7: a refusal lost on its way: the refusing payee is not paid. */
TEST_DB(codex_issuer, attack_lost_refusal_does_not_pay_the_refuser)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_msg_request req;
	struct codex_msg_pay m;
	struct codex_msg_refusal ref;
	struct obol_amount a = eur(300);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 500));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	REQUIRE_OK(codex_request(b.cx[1], NULL, &req));
	REQUIRE_OK(codex_pay(b.cx[0], &(struct codex_pay_req){ .req = &req, .amount = &a }, b.now, &m, NULL));
	REQUIRE_OK(codex_refuse(b.cx[1], &m, OBOL_E_CODEX_TOKEN_STALE, b.now, &ref)); /* never delivered */
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	codex_sync_out_free(&r);
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	CHECK_EQ_INT(r.value.units, 1000);
	codex_sync_out_free(&r);
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK_EQ_INT(r.value.units, 1000);
	codex_sync_out_free(&r);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* Case 7 at a vendor: the shop deposits a token and signs a refusal of
 * it, which the payer hands in: the shop's pay is taken back. */
TEST_DB(codex_issuer, attack_vendor_claims_and_refuses)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_token t;
	struct codex_msg_refusal ref;
	obol_err res[1];
	struct obol_amount paid;
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 500));
	REQUIRE_OK(pay(&b, 0, 4, 120, true, &t));
	CHECK_OK(deposit(&b, &t, 1, NULL, 0, res, &paid));
	CHECK_EQ_INT(acct_balance(&b, 4), 120);
	REQUIRE_OK(codex_make_refusal(&t, b.vcert.user_id, b.sk[4].sk, OBOL_E_CODEX_TOKEN_STALE, b.now, &ref));
	REQUIRE_OK(codex_take_refusal(b.cx[0], &ref));
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK_EQ_INT(r.value.units, 1000);
	CHECK_EQ_INT(r.findings, 1);
	codex_sync_out_free(&r);
	CHECK_EQ_INT(acct_balance(&b, 4), 0);
	CHECK_OK(audit_ok(&b));
	teardown(&b);
}

/* Case 9: a payee whose sync shows another user's fraud keeps its index. */
TEST_DB(codex_issuer, attack_perf_counts_own_findings_only)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex *copy = codex_alloc();
	uint64_t perf;
	REQUIRE(copy);
	REQUIRE_OK(setup(&b, db_url));
	REQUIRE_OK(open_user(&b, 0, 1000, 800));
	REQUIRE_OK(open_user(&b, 1, 1000, 500));
	REQUIRE_OK(open_user(&b, 2, 1000, 500));
	memcpy(copy, b.cx[0], sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 1, 800, true, NULL));
	memcpy(b.cx[0], copy, sizeof(*copy));
	REQUIRE_OK(pay(&b, 0, 2, 700, true, NULL));
	REQUIRE_OK(sync_user(&b, 1, NULL, false, &r));
	codex_sync_out_free(&r);
	perf = b.cx[2]->state.perf;
	REQUIRE_OK(sync_user(&b, 2, NULL, false, &r));
	CHECK(r.findings > 0);
	codex_sync_out_free(&r);
	CHECK_EQ_INT(b.cx[2]->state.perf, perf + 1);
	codex_free(copy);
	teardown(&b);
}

/* ---- migration -------------------------------------------------------------- */

/* The codex schema as it was before the offline limits (steps 1 and 2). */
static const struct obol_migration old_steps[] = {
	{ "CREATE TABLE codex_users ("
	  " id BIGINT PRIMARY KEY, name TEXT NOT NULL, kind BIGINT NOT NULL,"
	  " sign_pk BYTEA NOT NULL, box_pk BYTEA NOT NULL,"
	  " epoch BIGINT NOT NULL, state_hash BYTEA NOT NULL, tx_total BIGINT NOT NULL, perf BIGINT NOT NULL,"
	  " loaded BIGINT NOT NULL, credits BIGINT NOT NULL, debits BIGINT NOT NULL, deposit BIGINT NOT NULL,"
	  " blacklisted BIGINT NOT NULL, deleted BIGINT NOT NULL, created BIGINT NOT NULL);"
	  "CREATE TABLE codex_tokens ("
	  " id BYTEA PRIMARY KEY, payer BIGINT NOT NULL, payee BIGINT NOT NULL, payee_kind BIGINT NOT NULL,"
	  " epoch BIGINT NOT NULL, seq BIGINT NOT NULL, amount BIGINT NOT NULL, time BIGINT NOT NULL,"
	  " token BYTEA NOT NULL, by_payer BIGINT NOT NULL, by_payee BIGINT NOT NULL, finding BIGINT NOT NULL);"
	  "CREATE INDEX codex_tokens_slot ON codex_tokens (payer, epoch, seq);"
	  "CREATE INDEX codex_tokens_payee ON codex_tokens (payee, by_payee);"
	  "CREATE TABLE codex_blacklist (id BIGINT PRIMARY KEY, version BIGINT NOT NULL, blob BYTEA NOT NULL);"
	  "CREATE TABLE codex_losses (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, time BIGINT NOT NULL,"
	  " deficit BIGINT NOT NULL, from_deposit BIGINT NOT NULL, loss BIGINT NOT NULL, reason TEXT NOT NULL);",
	  NULL },
	{ "ALTER TABLE codex_tokens ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;", NULL },
};

/* A bank made before the offline limits, holding Alice's Codex (a state of
 * version 1, a token of version 1 to Bob that Bob reported) and a
 * blacklisted user: the migration keeps every figure and row; Alice's
 * Codex, read from its old form, syncs into a state with limits and pays. */
TEST_DB(codex_issuer, migration_from_the_schema_before_the_offline_limits)
{
	struct bank b;
	struct codex_sync_out r;
	struct codex_state st1;
	struct codex_cert cert;
	struct codex_token t;
	struct codex_blacklist *bl = calloc(1, sizeof(*bl));
	uint8_t hash[OBOL_HASH_LEN], blob[CODEX_TOKEN_MAX], *blb = NULL;
	size_t n, bln;
	int64_t liab;
	struct codex_bank_user rec;
	REQUIRE(bl);
	memset(&b, 0, sizeof(b));
	b.now = obol_now(); /* the migration dates what it moves by the clock */
	REQUIRE_OK(obol_store_open(db_url, true, &b.s));
	REQUIRE_OK(obol_ledger_init(b.s, "EUR"));
	REQUIRE_OK(obol_issuer_keys_migrate(b.s));
	REQUIRE_OK(obol_store_migrate(b.s, "codex", old_steps, 2));
	REQUIRE_OK(tx_begin(&b));
	REQUIRE_OK(obol_issuer_keys_create(b.s, "EUR", b.now, &b.keys, &b.master));
	obol_ed25519_signer_local(&b.sg, &b.master);
	for (int i = 0; i < 2; i++) {
		struct obol_amount f = eur(100000);
		obol_sign_keypair_new(&b.sk[i]);
		obol_box_keypair_new(&b.box[i]);
		REQUIRE_OK(obol_account_create(b.s, OBOL_ACCOUNT_USER, unames[i], b.sk[i].pk, &b.acc[i]));
		REQUIRE_OK(obol_ledger_fund(b.s, b.acc[i], &f, unames[i]));
	}
	/* Alice: loaded 1000, deposit 500, paid Bob 300 (token v1), now epoch 2 */
	memset(&st1, 0, sizeof(st1));
	st1.version = 1;
	st1.user_id = (uint64_t)b.acc[0];
	strcpy(st1.name, "alice");
	st1.epoch = 2;
	st1.balance = eur(700);
	st1.deposit = eur(500);
	st1.tx_total = 1;
	st1.tx_limit = 16;
	st1.not_after = b.now + CODEX_DEFAULT_LIFETIME;
	st1.issued = b.now;
	REQUIRE_OK(codex_state_sign(&st1, &b.sg));
	REQUIRE_OK(codex_state_hash(&st1, hash));
	memset(&cert, 0, sizeof(cert));
	cert.user_id = (uint64_t)b.acc[0];
	strcpy(cert.name, "alice");
	cert.kind = CODEX_PARTY_USER;
	memcpy(cert.sign_pk, b.sk[0].pk, 32);
	memcpy(cert.box_pk, b.box[0].pk, 32);
	cert.not_after = b.now + CODEX_CERT_LIFETIME;
	REQUIRE_OK(codex_cert_sign(&cert, &b.sg));
	REQUIRE_OK(obol_store_run(b.s, NULL,
				  "INSERT INTO codex_users (id, name, kind, sign_pk, box_pk, epoch, state_hash, tx_total, perf,"
				  " loaded, credits, debits, deposit, blacklisted, deleted, created)"
				  " VALUES (?, 'alice', 1, ?, ?, 2, ?, 1, 1, 1000, 0, 300, 500, 0, 0, ?)",
				  "ibbbi", b.acc[0], b.sk[0].pk, (size_t)32, b.box[0].pk, (size_t)32, hash, (size_t)32, b.now));
	REQUIRE_OK(obol_store_run(b.s, NULL,
				  "INSERT INTO codex_users (id, name, kind, sign_pk, box_pk, epoch, state_hash, tx_total, perf,"
				  " loaded, credits, debits, deposit, blacklisted, deleted, created)"
				  " VALUES (?, 'bob', 1, ?, ?, 1, ?, 0, 0, 1000, 300, 0, 500, 1, 0, ?)",
				  "ibbbi", b.acc[1], b.sk[1].pk, (size_t)32, b.box[1].pk, (size_t)32, hash, (size_t)32, b.now));
	memset(&t, 0, sizeof(t));
	t.version = 1;
	obol_random(t.id, CODEX_TOKEN_ID_LEN);
	t.payer_id = (uint64_t)b.acc[0];
	strcpy(t.payer_name, "alice");
	t.payee_id = (uint64_t)b.acc[1];
	strcpy(t.payee_name, "bob");
	t.amount = eur(300);
	t.time = b.now;
	t.epoch = 1;
	t.seq = 1;
	REQUIRE_OK(codex_token_sign(&t, b.sk[0].sk));
	REQUIRE_OK(codex_token_encode(&t, blob, sizeof(blob), &n));
	REQUIRE_OK(obol_store_run(b.s, NULL,
				  "INSERT INTO codex_tokens (id, payer, payee, payee_kind, epoch, seq, amount, time, token,"
				  " by_payer, by_payee, finding, refused) VALUES (?, ?, ?, 1, 1, 1, 300, ?, ?, 1, 1, 0, 0)",
				  "biiib", t.id, (size_t)CODEX_TOKEN_ID_LEN, b.acc[0], b.acc[1], b.now, blob, n));
	bl->ids[0] = (uint64_t)b.acc[1];
	bl->n = 1;
	bl->version = 1;
	bl->issued = b.now;
	REQUIRE_OK(codex_blacklist_sign(bl, &b.sg));
	REQUIRE_OK(codex_blacklist_encode(bl, &blb, &bln));
	REQUIRE_OK(obol_store_run(b.s, NULL, "INSERT INTO codex_blacklist (id, version, blob) VALUES (1, 1, ?)", "b", blb, bln));
	free(blb);
	REQUIRE_OK(obol_account_liability(b.s, "codex", &liab));
	REQUIRE_OK(obol_ledger_transfer(b.s, b.acc[0], liab, &(struct obol_amount){ .units = 1500, .currency = "EUR" },
					"codex-load", "alice", NULL));
	REQUIRE_OK(obol_ledger_transfer(b.s, b.acc[1], liab, &(struct obol_amount){ .units = 1500, .currency = "EUR" },
					"codex-load", "bob", NULL));
	REQUIRE_OK(tx_end(&b, OBOL_OK));

	/* the migration: every figure, token and listing kept */
	REQUIRE_OK(codex_issuer_migrate(b.s));
	CHECK_OK(audit_ok(&b));
	REQUIRE_OK(obol_store_begin_read(b.s));
	REQUIRE_OK(codex_db_user_get(b.s, "EUR", (uint64_t)b.acc[0], &rec));
	obol_store_rollback(b.s);
	CHECK(rec.state_not_after >= b.now + CODEX_DEFAULT_LIFETIME - 60);
	CHECK(rec.cert_not_after > b.now);
	CHECK_EQ_INT(rec.debits.units, 300);

	/* Alice's Codex as an older wallet kept it: state version 1 */
	REQUIRE(b.cx[0] = codex_alloc());
	REQUIRE_OK(codex_init(b.cx[0], b.keys.master_pk, &cert, &st1, bl, b.sk[0].sk, &b.box[0], b.now));
	CHECK_ERR(codex_check_live(b.cx[0], b.now), OBOL_E_CODEX_STATE_OLD_FORMAT);
	REQUIRE_OK(sync_user(&b, 0, NULL, false, &r));
	CHECK(r.renewed);
	CHECK_EQ_INT(r.state.version, CODEX_STATE_VERSION);
	CHECK_EQ_INT(r.state.spent_max.units, 500);
	CHECK(codex_blacklist_has(&b.cx[0]->blacklist, (uint64_t)b.acc[1]));
	codex_sync_out_free(&r);
	CHECK_OK(codex_check_live(b.cx[0], b.now));
	CHECK_EQ_INT(b.cx[0]->balance.units, 700);
	CHECK_OK(audit_ok(&b));
	free(bl);
	teardown(&b);
}
