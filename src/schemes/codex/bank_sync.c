/* Update Codex and a vendor's deposit at the bank (bank.h; seed 004 §III
 * RetrieveLog, Check Consistency, UpdateAccount, DeleteAccount; §VI.B
 * fraud detection, guarantee of payment and loss recovery).
 *
 * A token is known by its whole signed bytes. Each distinct token is taken
 * in once, from whichever log or deposit brings it first: its payer is
 * debited, its payee credited (a user in its figures; a vendor, or a user
 * whose Codex is closed, on its account). What the bank learns on the way:
 *   - two different tokens at one place (payer, epoch, seq) of a payer's
 *     log, or under one id, both signed by the payer: a fork (a copied or
 *     rolled-back Codex, or a token re-signed under an id it already used);
 *   - a token a payee holds at a place of an epoch its payer closed with a
 *     log that lacks it: an omission; a token of an epoch never issued: a
 *     fork;
 *   - a payee's signed refusal of a token: the token moves no value (its
 *     payer is refunded, whenever the refusal comes); if the same payee
 *     also claims it (a RECEIVE entry, a deposit), the claim loses and the
 *     payee is found, whichever reached the bank first.
 * Every finding rests on what the party found signed. */
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/secret.h"
#include "schemes/codex/bank_int.h"

/* ---- RetrieveLog ------------------------------------------------------------ */

static const struct codex_party *party_find(const struct codex_party *parties, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (parties[i].id == id)
			return &parties[i];
	return NULL;
}

/* A PAY entry of a state with offline limits: the current token form, the
 * log's running total, within the limits. */
static obol_err pay_within_limits(const struct codex_state *st, const struct codex_token *t,
				  const struct obol_amount *spent)
{
	int c1, c2, c3;
	if (st->version < 2)
		return OBOL_OK;
	if (t->version < 2 || obol_amount_cmp(&t->spent, spent, &c1) != OBOL_OK || c1 != 0)
		return OBOL_E_CODEX_LOG_BROKEN;
	if (obol_amount_cmp(&t->amount, &st->token_max, &c2) != OBOL_OK ||
	    obol_amount_cmp(spent, &st->spent_max, &c3) != OBOL_OK || c2 > 0 || c3 > 0)
		return OBOL_E_CODEX_OVER_LIMIT;
	return OBOL_OK;
}

obol_err codex_bank_verify_log(const uint8_t bank_pk[static OBOL_SIGN_PK_LEN], const struct codex_bank_user *u,
			       const struct codex_state *st, const struct codex_entry *entries, size_t n,
			       const struct obol_amount *claimed, const struct codex_party *parties, size_t nparties)
{
	uint8_t h[OBOL_HASH_LEN], th[OBOL_HASH_LEN];
	struct obol_amount bal = st->balance, spent;
	int cmp;
	obol_err e;

	if ((e = codex_state_hash(st, h)) != OBOL_OK)
		return e;
	/* The state the bank recorded last (its hash) is the bank's own whatever
	 * key signed it: an online key that has left its window since must not
	 * lock the Codex out of the sync that renews it. Any other state must
	 * carry a signature the bank's keys verify today. */
	if (!obol_ct_equal(h, u->state_hash, OBOL_HASH_LEN) && codex_state_verify(st, bank_pk) != OBOL_OK)
		return OBOL_E_CODEX_SIGNATURE;
	if (st->user_id != u->p.id || st->epoch != u->epoch || !obol_ct_equal(h, u->state_hash, OBOL_HASH_LEN))
		return OBOL_E_CODEX_STATE_STALE;
	if (n > st->tx_limit)
		return OBOL_E_CODEX_TX_LIMIT;
	if ((e = obol_amount_zero(st->balance.currency, &spent)) != OBOL_OK)
		return e;
	codex_log_start(h, h);
	for (size_t i = 0; i < n; i++) {
		const struct codex_token *t = &entries[i].token;
		const struct codex_party *payer;
		if (!codex_amount_positive(&t->amount) || !obol_amount_same_currency(&t->amount, &st->balance))
			return OBOL_E_CODEX_AMOUNT_INVALID;
		for (size_t j = 0; j < i; j++)
			if (memcmp(entries[j].token.id, t->id, CODEX_TOKEN_ID_LEN) == 0)
				return OBOL_E_CODEX_TOKEN_SEEN;
		if ((e = codex_token_hash(t, th)) != OBOL_OK)
			return e;
		if (entries[i].refused && entries[i].kind != CODEX_ENTRY_PAY)
			return OBOL_E_CODEX_MALFORMED;
		if (entries[i].kind == CODEX_ENTRY_PAY) {
			if (t->payer_id != u->p.id || t->epoch != st->epoch || t->seq != i + 1 ||
			    memcmp(t->prev, h, OBOL_HASH_LEN) != 0)
				return OBOL_E_CODEX_LOG_BROKEN;
			if (codex_token_verify(t, u->p.sign_pk) != OBOL_OK)
				return OBOL_E_CODEX_SIGNATURE;
			if (obol_amount_add(&spent, &spent, &t->amount) != OBOL_OK)
				return OBOL_E_CODEX_OVER_LIMIT;
			if ((e = pay_within_limits(st, t, &spent)) != OBOL_OK)
				return e;
			if (obol_amount_sub_nonneg(&bal, &bal, &t->amount) != OBOL_OK)
				return OBOL_E_CODEX_INCONSISTENT;
			if (entries[i].refused) {
				const struct codex_party *payee = party_find(parties, nparties, t->payee_id);
				if (entries[i].refusal.payee_id != t->payee_id)
					return OBOL_E_CODEX_REFUSAL_WRONG_PARTY;
				if (!payee)
					return OBOL_E_CODEX_UNKNOWN_USER;
				if ((e = codex_refusal_check(&entries[i].refusal, t, th, payee->sign_pk)) != OBOL_OK)
					return e;
			}
		} else if (entries[i].kind == CODEX_ENTRY_RECEIVE) {
			if (t->payee_id != u->p.id || strcmp(t->payee_name, u->p.name) != 0)
				return OBOL_E_CODEX_LOG_BROKEN;
			if (!(payer = party_find(parties, nparties, t->payer_id)) || payer->kind != CODEX_PARTY_USER)
				return OBOL_E_CODEX_UNKNOWN_USER;
			if (codex_token_verify(t, payer->sign_pk) != OBOL_OK)
				return OBOL_E_CODEX_SIGNATURE;
			if (obol_amount_add(&bal, &bal, &t->amount) != OBOL_OK)
				return OBOL_E_CODEX_INCONSISTENT;
		} else {
			return OBOL_E_CODEX_MALFORMED;
		}
		codex_log_step(h, h, entries[i].kind, i + 1, entries[i].time, th);
	}
	if (obol_amount_cmp(&bal, claimed, &cmp) != OBOL_OK || cmp != 0)
		return OBOL_E_CODEX_INCONSISTENT;
	return OBOL_OK;
}

/* ---- the bank's tokens -------------------------------------------------------- */

/* A token's signed bytes and their hash. */
struct enc {
	uint8_t blob[CODEX_TOKEN_MAX];
	size_t len;
	uint8_t hash[OBOL_HASH_LEN];
};

static obol_err encode(const struct codex_token *t, struct enc *out)
{
	obol_err e = codex_token_encode(t, out->blob, sizeof(out->blob), &out->len);
	if (e == OBOL_OK)
		obol_sha256(out->hash, out->blob, out->len);
	return e;
}

static bool same_bytes(const struct codex_token_row *r, const struct enc *x)
{
	return r->blob_len == x->len && memcmp(r->blob, x->blob, x->len) == 0;
}

/* The row of exactly this token, or NULL. */
static struct codex_token_row *row_of(struct codex_bank_unit *k, const struct codex_token *t, const struct enc *x)
{
	for (size_t i = 0; i < k->ntokens; i++)
		if (memcmp(k->tokens[i].id, t->id, CODEX_TOKEN_ID_LEN) == 0 && same_bytes(&k->tokens[i], x))
			return &k->tokens[i];
	return NULL;
}

/* The row whose token hashes to h, among the rows under id. */
static struct codex_token_row *row_by_hash(struct codex_bank_unit *k, const uint8_t id[static CODEX_TOKEN_ID_LEN],
					   const uint8_t h[static OBOL_HASH_LEN])
{
	uint8_t rh[OBOL_HASH_LEN];
	for (size_t i = 0; i < k->ntokens; i++) {
		if (memcmp(k->tokens[i].id, id, CODEX_TOKEN_ID_LEN) != 0)
			continue;
		obol_sha256(rh, k->tokens[i].blob, k->tokens[i].blob_len);
		if (memcmp(rh, h, OBOL_HASH_LEN) == 0)
			return &k->tokens[i];
	}
	return NULL;
}

/* The refusal the bank holds of the token hashing to h, signed by the
 * payee it names (a refusal by anyone else is no refusal of that token). */
static struct codex_refusal_row *refusal_of(struct codex_bank_unit *k, const uint8_t h[static OBOL_HASH_LEN],
					    uint64_t payee)
{
	for (size_t i = 0; i < k->nrefusals; i++)
		if (k->refusals[i].f.payee_id == payee && memcmp(k->refusals[i].f.token_hash, h, OBOL_HASH_LEN) == 0)
			return &k->refusals[i];
	return NULL;
}

static obol_err in_currency_ok(const struct codex_bank_policy *pol, const struct obol_amount *a)
{
	return strcmp(a->currency, pol->currency) == 0 ? OBOL_OK : OBOL_E_CODEX_AMOUNT_INVALID;
}

/* What a token the bank has not seen proves against its payer, given the
 * rows it holds: another token under its id or at its place signed by the
 * same payer (a fork); from a payee, a place of an epoch the payer never
 * had (a fork) or closed without it (an omission). */
static enum codex_finding classify(struct codex_bank_unit *k, const struct codex_token *t, const struct enc *x,
				   const struct codex_bank_user *payer, bool from_payee)
{
	bool at_place = false;
	for (size_t i = 0; i < k->ntokens; i++) {
		const struct codex_token_row *r = &k->tokens[i];
		if (same_bytes(r, x) || r->t.payer_id != t->payer_id)
			continue;
		if (memcmp(r->id, t->id, CODEX_TOKEN_ID_LEN) == 0)
			return CODEX_FIND_FORK; /* one id, two tokens: a re-signed id */
		if (r->t.epoch == t->epoch && r->seq == t->seq)
			at_place = true;
	}
	if (at_place)
		return CODEX_FIND_FORK;
	if (!from_payee)
		return CODEX_FIND_NONE;
	/* a state the bank never issued can only come from a forged Codex */
	if (t->epoch > payer->epoch || t->epoch == 0)
		return CODEX_FIND_FORK;
	/* the payer closed that epoch (by a sync, or by closing its Codex) and
	 * its log had nothing at this place */
	if (t->epoch < payer->epoch || payer->closed)
		return CODEX_FIND_OMITTED;
	return CODEX_FIND_NONE; /* the payer has not handed in this epoch's log yet */
}

static obol_err new_row(struct codex_bank_unit *k, const struct codex_token *t, const struct enc *x,
			uint8_t payee_kind, bool by_payer, bool by_payee, enum codex_finding f,
			struct codex_token_row **out)
{
	struct codex_token_row r;
	uint32_t variant = 0;
	obol_err e;
	for (size_t i = 0; i < k->ntokens; i++)
		if (memcmp(k->tokens[i].id, t->id, CODEX_TOKEN_ID_LEN) == 0 && k->tokens[i].variant >= variant)
			variant = k->tokens[i].variant + 1;
	memset(&r, 0, sizeof(r));
	memcpy(r.id, t->id, CODEX_TOKEN_ID_LEN);
	r.variant = variant;
	r.t = (struct codex_bank_token){ .payer_id = t->payer_id, .payee_id = t->payee_id, .payee_kind = payee_kind,
					 .epoch = t->epoch, .amount = t->amount, .by_payer = by_payer,
					 .by_payee = by_payee };
	r.seq = t->seq;
	r.time = t->time;
	r.finding = (uint8_t)f;
	memcpy(r.blob, x->blob, x->len);
	r.blob_len = x->len;
	if ((e = codex_bank_unit_add_token(k, &r)) != OBOL_OK)
		return e;
	*out = &k->tokens[k->ntokens - 1];
	(*out)->fresh = true;
	return OBOL_OK;
}

/* A payee paid on its account (a vendor, or a user whose Codex is
 * closed): its figures stay level, the ledger moves. */
static bool paid_on_account(const struct codex_bank_user *p)
{
	return p->p.kind != CODEX_PARTY_USER || p->closed;
}

/* The payer pays the payee `a`: "the bank knows Bob has the money". */
static obol_err settle(struct codex_bank_unit *k, struct codex_bank_user *payer, struct codex_bank_user *payee,
		       const struct obol_amount *a, const char *reason)
{
	obol_err e;
	if ((e = cx_add(&payer->debits, a)) != OBOL_OK)
		return e;
	payer->dirty = payee->dirty = true;
	if (payee->p.kind == CODEX_PARTY_USER && (e = cx_add(&payee->credits, a)) != OBOL_OK)
		return e;
	if (!paid_on_account(payee))
		return OBOL_OK;
	/* a closed Codex's value stays as it was: the token goes to the account */
	if (payee->p.kind == CODEX_PARTY_USER && (e = cx_sub(&payee->loaded, a)) != OBOL_OK)
		return e;
	if ((e = cx_add(&payee->account, a)) != OBOL_OK)
		return e;
	return cx_move(k, CODEX_ACCT_LIABILITY, 0, CODEX_ACCT_PARTY, payee->p.id, a, reason, payee->p.name);
}

/* The reverse of settle, for a token refused after it moved value: the
 * payer is refunded; the payee gives it back (from its account as far as
 * that goes, the rest from outside: a loss, reported). */
static obol_err unsettle(struct codex_bank_unit *k, struct codex_bank_user *payer, struct codex_bank_user *payee,
			 const struct obol_amount *a)
{
	struct obol_amount take, rest;
	struct codex_loss *l;
	int cmp;
	obol_err e;
	if ((e = cx_sub(&payer->debits, a)) != OBOL_OK)
		return e;
	payer->dirty = payee->dirty = true;
	if (payee->p.kind == CODEX_PARTY_USER && (e = cx_sub(&payee->credits, a)) != OBOL_OK)
		return e;
	if (!paid_on_account(payee))
		return OBOL_OK;
	if (payee->p.kind == CODEX_PARTY_USER && (e = cx_add(&payee->loaded, a)) != OBOL_OK)
		return e;
	if ((e = obol_amount_cmp(&payee->account, a, &cmp)) != OBOL_OK)
		return e;
	take = cmp < 0 ? payee->account : *a;
	if (obol_amount_is_negative(&take) && (e = obol_amount_zero(a->currency, &take)) != OBOL_OK)
		return e;
	if ((e = obol_amount_sub(&rest, a, &take)) != OBOL_OK || (e = cx_sub(&payee->account, &take)) != OBOL_OK)
		return e;
	if ((e = cx_move(k, CODEX_ACCT_PARTY, payee->p.id, CODEX_ACCT_LIABILITY, 0, &take, "codex-reclaim",
			 payee->p.name)) != OBOL_OK ||
	    (e = cx_move(k, CODEX_ACCT_OUTSIDE, 0, CODEX_ACCT_LIABILITY, 0, &rest, "codex-loss", payee->p.name)) != OBOL_OK)
		return e;
	if (obol_amount_is_zero(&rest))
		return OBOL_OK;
	if (k->eff.nlosses == k->eff.losses_cap) {
		size_t cap = k->eff.losses_cap ? 2 * k->eff.losses_cap : 16;
		void *nv = realloc(k->eff.losses, cap * sizeof(*k->eff.losses));
		if (!nv)
			return OBOL_E_NO_MEMORY;
		k->eff.losses = nv;
		k->eff.losses_cap = cap;
	}
	l = &k->eff.losses[k->eff.nlosses++];
	l->user = payee->p.id;
	l->deficit = rest;
	if ((e = obol_amount_zero(a->currency, &l->from_deposit)) != OBOL_OK)
		return e;
	l->from_outside = rest;
	l->reason = "reclaimed";
	return OBOL_OK;
}

static obol_err parties_of(struct codex_bank_unit *k, const struct codex_token_row *r, struct codex_bank_user **payer,
			   struct codex_bank_user **payee)
{
	*payer = codex_bank_unit_user(k, r->t.payer_id);
	*payee = codex_bank_unit_user(k, r->t.payee_id);
	return *payer && *payee ? OBOL_OK : OBOL_E_CODEX_UNKNOWN_USER;
}

/* The token of row r is refused by its payee: it moves no value, once; a
 * payee that also claims it is found. */
static obol_err refuse_row(struct codex_bank_unit *k, struct codex_token_row *r)
{
	struct codex_bank_user *payer, *payee;
	obol_err e;
	if (r->t.refused)
		return OBOL_OK;
	if ((e = parties_of(k, r, &payer, &payee)) != OBOL_OK)
		return e;
	r->t.refused = true;
	r->dirty = true;
	if ((e = unsettle(k, payer, payee, &r->t.amount)) != OBOL_OK)
		return e;
	return r->t.by_payee ? cx_find(k, payee, CODEX_FIND_CONFLICT, r->id) : OBOL_OK;
}

/* A refusal that verifies, kept (once) and applied to its token if the
 * bank holds it (else when the token comes). */
static obol_err keep_refusal(struct codex_bank_unit *k, const struct codex_refusal *f)
{
	struct codex_token_row *r;
	obol_err e;
	if (refusal_of(k, f->token_hash, f->payee_id))
		return OBOL_OK;
	if ((e = codex_bank_unit_add_refusal(k, f)) != OBOL_OK)
		return e;
	k->refusals[k->nrefusals - 1].fresh = true;
	/* a refusal that names another payer or payee than its token is no
	 * refusal of it */
	if (!(r = row_by_hash(k, f->token_id, f->token_hash)) || r->t.payer_id != f->payer_id ||
	    r->t.payee_id != f->payee_id)
		return OBOL_OK;
	return refuse_row(k, r);
}

/* Whether a refusal handed in beside a log or a deposit by `sender` counts:
 * it names the sender as its payee or (for a token of its own) its payer,
 * and verifies under its payee's key. One that does not proves nothing and
 * is left aside: it must not hold up the rest of the request (a payer that
 * was handed a forged refusal would otherwise never sync again). */
static bool refusal_counts(struct codex_bank_unit *k, const struct codex_refusal *f, uint64_t sender, bool payer_ok)
{
	struct codex_bank_user *payee = codex_bank_unit_user(k, f->payee_id);
	if (f->payee_id != sender && (!payer_ok || f->payer_id != sender))
		return false;
	return payee && codex_refusal_verify(f, payee->p.sign_pk) == OBOL_OK;
}

/* A token its payer's log hands in (a PAY entry, signature checked by
 * codex_bank_verify_log). */
static obol_err take_from_payer(struct codex_bank_unit *k, struct codex_bank_user *u, const struct codex_entry *en)
{
	const struct codex_token *t = &en->token;
	struct codex_token_row *r;
	struct codex_bank_user *payee;
	struct enc x;
	enum codex_finding f;
	obol_err e;

	if ((e = encode(t, &x)) != OBOL_OK)
		return e;
	if ((r = row_of(k, t, &x))) {
		/* a payee reported it first: its money moved then */
		if (!r->t.by_payer) {
			r->t.by_payer = true;
			r->dirty = true;
		}
	} else {
		if (!(payee = codex_bank_unit_user(k, t->payee_id)))
			return OBOL_E_CODEX_UNKNOWN_USER;
		f = classify(k, t, &x, u, false);
		if (f != CODEX_FIND_NONE && (e = cx_find(k, u, f, t->id)) != OBOL_OK)
			return e;
		if ((e = new_row(k, t, &x, payee->p.kind, true, false, f, &r)) != OBOL_OK)
			return e;
		if (en->refused || refusal_of(k, x.hash, t->payee_id)) {
			r->t.refused = true; /* its payee refused it: nothing moves */
		} else if ((e = settle(k, u, payee, &t->amount, "codex-settle")) != OBOL_OK) {
			/* a pending token is settled to the payee it names (the bank
			 * settles what the payer's TokenDispatcher could not) */
			return e;
		}
	}
	return en->refused ? keep_refusal(k, &en->refusal) : OBOL_OK;
}

/* A token its payee hands in (a RECEIVE entry, or a deposit), its signature
 * checked. *result: OK, TOKEN_SEEN (this payee claimed it before),
 * TOKEN_REFUSED (this payee signed a refusal of it: found) or TOKEN_LATE
 * (a new token of a payer whose held deposit went back: nothing recorded).
 * *paid: what the payee was paid on its account now. */
static obol_err take_from_payee(struct codex_bank_unit *k, const struct codex_token *t, struct codex_bank_user *payee,
				obol_err *result, struct obol_amount *paid)
{
	struct codex_bank_user *payer = codex_bank_unit_user(k, t->payer_id);
	struct codex_token_row *r;
	struct enc x;
	enum codex_finding f;
	bool refused;
	obol_err e;

	*result = OBOL_OK;
	if (!payer)
		return OBOL_E_CODEX_UNKNOWN_USER;
	if ((e = encode(t, &x)) != OBOL_OK)
		return e;
	refused = refusal_of(k, x.hash, t->payee_id) != NULL;
	if ((r = row_of(k, t, &x))) {
		if (r->t.by_payee) {
			*result = OBOL_E_CODEX_TOKEN_SEEN;
			return OBOL_OK;
		}
		r->t.by_payee = true;
		r->dirty = true;
		if (r->t.refused || refused) {
			/* it signed a refusal of the token it now claims: the claim
			 * loses, and the payee is the one found */
			*result = OBOL_E_CODEX_TOKEN_REFUSED;
			if (r->t.refused)
				return cx_find(k, payee, CODEX_FIND_CONFLICT, t->id);
			return refuse_row(k, r);
		}
		return OBOL_OK; /* its payer's log settled it already */
	}
	if (payer->released) {
		/* the hand-in window ended with the hold (codex_bank_hold_until):
		 * the deposit that stood behind this token went back, so the bank
		 * takes it no more rather than pay it from outside */
		*result = OBOL_E_CODEX_TOKEN_LATE;
		return OBOL_OK;
	}
	f = classify(k, t, &x, payer, true);
	if (f != CODEX_FIND_NONE && (e = cx_find(k, payer, f, t->id)) != OBOL_OK)
		return e;
	if ((e = new_row(k, t, &x, payee->p.kind, false, true, f, &r)) != OBOL_OK)
		return e;
	if (refused) {
		r->t.refused = true;
		*result = OBOL_E_CODEX_TOKEN_REFUSED;
		return cx_find(k, payee, CODEX_FIND_CONFLICT, t->id);
	}
	if (paid_on_account(payee) && (e = cx_add(paid, &t->amount)) != OBOL_OK)
		return e;
	return settle(k, payer, payee, &t->amount,
		      payee->p.kind == CODEX_PARTY_VENDOR ? "codex-deposit-vendor" : "codex-settle");
}

/* ---- update Codex -------------------------------------------------------------- */

void codex_sync_out_free(struct codex_sync_out *o)
{
	free(o->settled_ids);
	free(o->settled_times);
	o->settled_ids = NULL;
	o->settled_times = NULL;
	o->nsettled = 0;
}

/* At the payer's own sync: every token its payees reported for this epoch
 * must be in the handed-in log at its place; each that is not proves a
 * rolled-back Codex (another token there: a fork; nothing: an omission). */
static obol_err check_reported(struct codex_bank_unit *k, struct codex_bank_user *u, const struct codex_entry *entries,
			       size_t n)
{
	uint8_t blob[CODEX_TOKEN_MAX];
	size_t len;
	obol_err e;
	for (size_t i = 0; i < k->ntokens; i++) {
		const struct codex_token_row *r = &k->tokens[i];
		uint64_t s = r->seq;
		enum codex_finding f;
		if (r->t.payer_id != u->p.id || r->t.epoch != u->epoch || !r->t.by_payee)
			continue;
		if (s >= 1 && s <= n && entries[s - 1].kind == CODEX_ENTRY_PAY) {
			if ((e = codex_token_encode(&entries[s - 1].token, blob, sizeof(blob), &len)) != OBOL_OK)
				return e;
			if (len == r->blob_len && memcmp(blob, r->blob, len) == 0)
				continue;
			f = CODEX_FIND_FORK;
		} else {
			f = s >= 1 && s <= n ? CODEX_FIND_FORK : CODEX_FIND_OMITTED;
		}
		if ((e = cx_find(k, u, f, r->id)) != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

/* Tokens to u that other logs settled and u never reported, recent enough
 * to pass a payee's time check. */
static obol_err collect_settled(struct codex_bank_unit *k, const struct codex_bank_user *u, struct codex_sync_out *out)
{
	int64_t since = k->now - 2 * CODEX_FRESH_WINDOW;
	size_t n = 0;
	for (size_t i = 0; i < k->ntokens; i++) {
		const struct codex_token_row *r = &k->tokens[i];
		if (r->t.payee_id == u->p.id && !r->t.by_payee && !r->t.refused && r->time >= since)
			n++;
	}
	if (n == 0)
		return OBOL_OK;
	if (!(out->settled_ids = calloc(n, sizeof(*out->settled_ids))) ||
	    !(out->settled_times = calloc(n, sizeof(*out->settled_times))))
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < k->ntokens; i++) {
		const struct codex_token_row *r = &k->tokens[i];
		if (r->t.payee_id == u->p.id && !r->t.by_payee && !r->t.refused && r->time >= since) {
			memcpy(out->settled_ids[out->nsettled], r->id, CODEX_TOKEN_ID_LEN);
			out->settled_times[out->nsettled++] = r->time;
		}
	}
	return OBOL_OK;
}

static obol_err unit_parties(struct codex_bank_unit *k, struct codex_party **out, size_t *n)
{
	*n = 0;
	if (!(*out = calloc(k->nusers ? k->nusers : 1, sizeof(**out))))
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < k->nusers; i++)
		(*out)[(*n)++] = k->users[i].p;
	return OBOL_OK;
}

static obol_err sync_out_zero(const char *currency, struct codex_sync_out *out)
{
	obol_err e;
	memset(out, 0, sizeof(*out));
	if ((e = obol_amount_zero(currency, &out->value)) != OBOL_OK || (e = obol_amount_zero(currency, &out->paid_out)) != OBOL_OK)
		return e;
	return obol_amount_zero(currency, &out->held);
}

obol_err codex_bank_sync(struct codex_bank_unit *k, const struct codex_sync_req *r, struct codex_sync_out *out)
{
	const struct codex_bank_policy *pol = k->pol;
	struct codex_bank_user *u;
	struct codex_party *parties = NULL;
	struct obol_amount paid;
	size_t np = 0, found0 = k->eff.nfindings;
	obol_err e, ignored;

	if ((e = sync_out_zero(pol->currency, out)) != OBOL_OK || (e = obol_amount_zero(pol->currency, &paid)) != OBOL_OK)
		return e;
	if (!(u = codex_bank_unit_user(k, r->account)) || u->p.kind != CODEX_PARTY_USER)
		return OBOL_E_CODEX_UNKNOWN_USER;
	if (u->closed)
		return OBOL_E_CODEX_ACCOUNT_DELETED;
	/* a blacklisted user's Codex is neither renewed nor closed: what is left
	 * of its deposit waits for the payees still to come (codex_bank_release) */
	if (u->blacklisted)
		return OBOL_E_CODEX_BLACKLISTED;
	if (r->n > CODEX_LOG_MAX)
		return OBOL_E_CODEX_TX_LIMIT;
	/* RetrieveLog and the log's own consistency: a bad one changes nothing */
	if ((e = unit_parties(k, &parties, &np)) != OBOL_OK)
		goto out;
	if ((e = codex_bank_verify_log(pol->sign_pk, u, r->state, r->entries, r->n, r->claimed, parties, np)) != OBOL_OK)
		goto out;
	if (r->load && (in_currency_ok(pol, r->load) != OBOL_OK || obol_amount_is_negative(r->load) ||
			obol_amount_is_zero(r->load))) {
		e = OBOL_E_CODEX_AMOUNT_INVALID;
		goto out;
	}
	/* the tokens its payees already reported must be in it, at their place */
	if ((e = check_reported(k, u, r->entries, r->n)) != OBOL_OK)
		goto out;
	/* credit and debit from the log, then the refusals beside it */
	for (size_t i = 0; i < r->n; i++) {
		if (r->entries[i].kind == CODEX_ENTRY_PAY)
			e = take_from_payer(k, u, &r->entries[i]);
		else
			e = take_from_payee(k, &r->entries[i].token, u, &ignored, &paid);
		if (e != OBOL_OK)
			goto out;
	}
	for (size_t i = 0; i < r->nrefusals; i++)
		if (refusal_counts(k, &r->refusals[i], u->p.id, true) && (e = keep_refusal(k, &r->refusals[i])) != OBOL_OK)
			goto out;
	if (r->load) {
		if ((e = cx_move(k, CODEX_ACCT_PARTY, u->p.id, CODEX_ACCT_LIABILITY, 0, r->load, "codex-load", u->p.name)) !=
			    OBOL_OK ||
		    (e = cx_add(&u->loaded, r->load)) != OBOL_OK)
			goto out;
		u->dirty = true;
	}
	/* guarantee of payment: every party the logs showed below zero; this
	 * user's own log is in, so what its value still lacks is proven */
	if ((e = cx_cover_all(k)) != OBOL_OK || (e = cx_cover(k, u, true)) != OBOL_OK)
		goto out;
	out->findings = k->eff.nfindings - found0;
	for (size_t i = found0; i < k->eff.nfindings; i++)
		if (k->eff.findings[i].party == u->p.id)
			out->own_findings++;
	out->blacklisted = u->blacklisted;
	if ((e = codex_bank_value(u, &out->value)) != OBOL_OK)
		goto out;
	if (u->blacklisted) {
		/* found out at this very sync: nothing renewed, nothing paid back */
	} else if (r->close) {
		/* DeleteAccount: the value back now; the deposit when every token
		 * the Codex could still have issued has gone stale */
		if ((e = cx_move(k, CODEX_ACCT_LIABILITY, 0, CODEX_ACCT_PARTY, u->p.id, &out->value, "codex-close",
				 u->p.name)) != OBOL_OK ||
		    (e = cx_sub(&u->loaded, &out->value)) != OBOL_OK)
			goto out;
		u->tx_total += r->n;
		u->closed = true;
		u->released = false;
		u->dirty = true;
		out->closed = true;
		out->paid_out = out->value;
		out->held = u->deposit;
		out->held_until = codex_bank_hold_until(pol, u);
		if ((e = obol_amount_zero(pol->currency, &out->value)) != OBOL_OK)
			goto out;
	} else {
		/* UpdateAccount: renew the Codex; the performance index counts the
		 * reconciliations with no finding against this user */
		if (out->own_findings == 0)
			u->perf++;
		if ((e = codex_bank_issue_state(pol, u, r->n, k->now, &out->state)) != OBOL_OK)
			goto out;
		out->renewed = true;
		if (u->cert_not_after - k->now < pol->cert_renew_margin) {
			if ((e = codex_bank_issue_cert(pol, u, k->now, &out->cert)) != OBOL_OK)
				goto out;
			out->cert_renewed = true;
		}
	}
	e = collect_settled(k, u, out);
out:
	if (e != OBOL_OK)
		codex_sync_out_free(out);
	free(parties);
	return e;
}

/* ---- a vendor's deposit ----------------------------------------------------------- */

obol_err codex_bank_deposit(struct codex_bank_unit *k, const struct codex_deposit_req *r, struct codex_deposit_out *out)
{
	struct codex_bank_user *v = codex_bank_unit_user(k, r->vendor);
	obol_err e;

	if ((e = obol_amount_zero(k->pol->currency, &out->paid)) != OBOL_OK)
		return e;
	if (!v || v->p.kind != CODEX_PARTY_VENDOR)
		return OBOL_E_CODEX_UNKNOWN_USER;
	for (size_t i = 0; i < r->n; i++) {
		const struct codex_token *t = &r->tokens[i];
		struct codex_bank_user *payer;
		obol_err res;
		if (t->payee_id != v->p.id || strcmp(t->payee_name, v->p.name) != 0)
			res = OBOL_E_CODEX_NOT_PAYEE;
		else if (!codex_amount_positive(&t->amount) || strcmp(t->amount.currency, k->pol->currency) != 0)
			res = OBOL_E_CODEX_AMOUNT_INVALID;
		else if (!(payer = codex_bank_unit_user(k, t->payer_id)) || payer->p.kind != CODEX_PARTY_USER)
			res = OBOL_E_CODEX_UNKNOWN_USER;
		else if (codex_token_verify(t, payer->p.sign_pk) != OBOL_OK)
			res = OBOL_E_CODEX_SIGNATURE;
		else if ((e = take_from_payee(k, t, v, &res, &out->paid)) != OBOL_OK)
			return e;
		out->results[i] = res;
	}
	for (size_t i = 0; i < r->nrefusals; i++)
		if (refusal_counts(k, &r->refusals[i], v->p.id, false) && (e = keep_refusal(k, &r->refusals[i])) != OBOL_OK)
			return e;
	return cx_cover_all(k);
}
