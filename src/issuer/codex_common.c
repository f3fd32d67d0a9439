/* The codex bank's shared steps (codex_int.h): the records one unit of work
 * touches, money moves, the blacklist, the safe deposit, and the intake of
 * a token from its payee or its payer (seed 004 §III, §VI.B). */
#include <stdlib.h>
#include <string.h>

#include "issuer/codex_int.h"
#include "store/ledger.h"

/* ---- records touched by one unit ---------------------------------------- */

/* The record of id, loaded once per unit; NULL with *e = UNKNOWN_USER when
 * absent. Pointers stay valid: the array is sized up front. */
struct codex_rec *cx_rec_get(struct touched *t, struct obol_store *s, uint64_t id, obol_err *e)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].u.p.id == id)
			return &t->r[i];
	if (t->n == t->cap) {
		*e = OBOL_E_INTERNAL;
		return NULL;
	}
	if ((*e = codex_db_user_get(s, id, &t->r[t->n])) != OBOL_OK)
		return NULL;
	return &t->r[t->n++];
}

obol_err cx_touched_new(struct touched *t, size_t cap)
{
	t->n = 0;
	t->cap = cap;
	t->r = calloc(cap, sizeof(*t->r));
	return t->r ? OBOL_OK : OBOL_E_NO_MEMORY;
}

obol_err cx_touched_write(struct touched *t, struct obol_store *s)
{
	obol_err e = OBOL_OK;
	for (size_t i = 0; e == OBOL_OK && i < t->n; i++)
		e = codex_db_user_update(s, &t->r[i]);
	return e;
}

/* ---- helpers ------------------------------------------------------------- */

int64_t cx_lifetime(const struct codex_issuer_ctx *c)
{
	return c->lifetime > 0 ? c->lifetime : CODEX_DEFAULT_LIFETIME;
}

uint64_t cx_tx_limit(const struct codex_issuer_ctx *c)
{
	return c->tx_limit > 0 ? c->tx_limit : CODEX_DEFAULT_TX_LIMIT;
}

obol_err cx_move(const struct codex_issuer_ctx *c, int64_t from, int64_t to, int64_t units, const char *reason,
		     const char *ref)
{
	struct obol_amount a;
	obol_err e;
	if (units == 0)
		return OBOL_OK;
	if ((e = obol_amount_from_units(c->currency, units, &a)) != OBOL_OK)
		return e;
	return obol_ledger_transfer(c->s, from, to, &a, reason, ref, NULL);
}

obol_err cx_liability(const struct codex_issuer_ctx *c, int64_t *id)
{
	return obol_account_liability(c->s, "codex", id);
}

/* CreateBlacklist (§III): adds the user, re-signs, stores. */
obol_err cx_blacklist_add(const struct codex_issuer_ctx *c, struct codex_rec *r)
{
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	r->u.blacklisted = true;
	if ((e = codex_db_blacklist_get(c->s, bl)) == OBOL_OK &&
	    (e = codex_bank_blacklist_add(bl, r->u.p.id, c->now, c->keys->master.sk)) == OBOL_OK)
		e = codex_db_blacklist_put(c->s, bl);
	free(bl);
	return e;
}

/* Guarantee of payment and loss recovery (§VI.B): a user whose value went
 * negative is proven to have paid more than it held; it is blacklisted, its
 * safe deposit pays the deficit, and the loss beyond it is reported and put
 * in from outside so every payee is paid. */
obol_err cx_cover(const struct codex_issuer_ctx *c, struct codex_rec *r, size_t *findings)
{
	int64_t value, from_dep, loss, outside, liab;
	obol_err e;
	if ((e = codex_bank_value(&r->u, &value)) != OBOL_OK)
		return e;
	if (value >= 0)
		return OBOL_OK;
	if ((e = codex_bank_cover(&r->u, &from_dep, &loss)) != OBOL_OK)
		return e;
	(*findings)++;
	if (!r->u.blacklisted && (e = cx_blacklist_add(c, r)) != OBOL_OK)
		return e;
	if ((e = codex_db_loss_add(c->s, r->u.p.id, c->now, from_dep + loss, from_dep, loss, "overspent")) != OBOL_OK)
		return e;
	if (loss > 0) {
		if ((e = obol_account_outside(c->s, &outside)) != OBOL_OK || (e = cx_liability(c, &liab)) != OBOL_OK)
			return e;
		e = cx_move(c, outside, liab, loss, "codex-loss", r->u.p.name);
	}
	return e;
}

/* ---- tokens from payees and payers --------------------------------------- */

static obol_err token_record(const struct codex_token *t, uint8_t payee_kind, bool by_payer, bool by_payee,
			     bool refused, enum codex_finding f, struct codex_db_token *row)
{
	memset(row, 0, sizeof(*row));
	memcpy(row->id, t->id, CODEX_TOKEN_ID_LEN);
	row->row = (struct codex_bank_token){ t->payer_id, t->payee_id, payee_kind, t->epoch, t->amount.units, by_payer,
					      by_payee, refused };
	row->seq = t->seq;
	row->time = t->time;
	row->finding = (int)f;
	return codex_token_encode(t, row->blob, sizeof(row->blob), &row->blob_len);
}

/* A token its payee hands in (a RECEIVE entry, or a vendor's deposit), its
 * signature already verified. *credit says whether the payee is owed the
 * amount now (false when the payer's log settled it before). */
obol_err cx_take_from_payee(const struct codex_issuer_ctx *c, struct touched *tw, const struct codex_token *t,
				uint8_t payee_kind, bool *credit, size_t *findings)
{
	struct codex_db_token *row = malloc(sizeof(*row));
	struct codex_rec *payer;
	uint8_t slot[CODEX_TOKEN_ID_LEN];
	bool found;
	enum codex_finding f;
	obol_err e;

	*credit = false;
	if (!row)
		return OBOL_E_NO_MEMORY;
	if ((e = codex_db_token_get(c->s, t->id, row, &found)) != OBOL_OK)
		goto out;
	if (found) {
		/* its payee signed a refusal of it: the payer was refunded */
		if (row->row.refused && row->row.payee_id == t->payee_id) {
			e = OBOL_E_CODEX_TOKEN_REFUSED;
			goto out;
		}
		/* the same token twice from a payee, or an id reused: refused */
		if (row->row.refused || row->row.by_payee || row->row.payee_id != t->payee_id || row->row.payer_id != t->payer_id) {
			e = OBOL_E_CODEX_TOKEN_SEEN;
			goto out;
		}
		e = codex_db_token_mark(c->s, t->id, row->row.by_payer, true);
		goto out;
	}
	if (!(payer = cx_rec_get(tw, c->s, t->payer_id, &e)))
		goto out;
	if ((e = codex_db_token_slot(c->s, t->payer_id, t->epoch, t->seq, slot, &found)) != OBOL_OK)
		goto out;
	f = codex_bank_classify(t, found ? slot : NULL, payer->u.epoch);
	if (f != CODEX_FIND_NONE) {
		/* a rolled-back Codex is evident: blacklist the payer */
		(*findings)++;
		if (!payer->u.blacklisted && (e = cx_blacklist_add(c, payer)) != OBOL_OK)
			goto out;
	}
	if ((e = token_record(t, payee_kind, false, true, false, f, row)) != OBOL_OK ||
	    (e = codex_db_token_insert(c->s, row)) != OBOL_OK)
		goto out;
	if (__builtin_add_overflow(payer->u.debits, t->amount.units, &payer->u.debits)) {
		e = OBOL_E_AMOUNT_OVERFLOW;
		goto out;
	}
	*credit = true;
out:
	free(row);
	return e;
}

/* A PAY entry of the payer's handed-in log. The payee is credited now: a
 * user in its figures, a vendor on its account (the bank settles a token
 * the vendor has not deposited; its later deposit pays nothing twice).
 * An entry carrying the payee's refusal (verified by codex_bank_verify_log)
 * is recorded as refused and moves nothing: the payer keeps the value and
 * the payee's later claim is refused. A payee that claimed the token before
 * its refusal reached the bank keeps it: the claim stands, nothing twice. */
obol_err cx_take_from_payer(const struct codex_issuer_ctx *c, struct touched *tw, struct codex_rec *u,
			    const struct codex_entry *en, size_t *self_findings)
{
	const struct codex_token *t = &en->token;
	struct codex_db_token *row = malloc(sizeof(*row));
	struct codex_rec *payee;
	uint8_t slot[CODEX_TOKEN_ID_LEN];
	bool found;
	int64_t liab;
	obol_err e;

	if (!row)
		return OBOL_E_NO_MEMORY;
	if ((e = codex_db_token_get(c->s, t->id, row, &found)) != OBOL_OK)
		goto out;
	if (found) {
		if (row->row.by_payer || row->row.payer_id != u->u.p.id || row->row.epoch != t->epoch || row->seq != t->seq) {
			e = OBOL_E_CODEX_TOKEN_SEEN;
			goto out;
		}
		e = codex_db_token_mark(c->s, t->id, true, row->row.by_payee); /* counted when the payee reported it */
		goto out;
	}
	if ((e = codex_db_token_slot(c->s, t->payer_id, t->epoch, t->seq, slot, &found)) != OBOL_OK)
		goto out;
	if (found) /* a payee holds another token at this place: a fork */
		(*self_findings)++;
	if (!(payee = cx_rec_get(tw, c->s, t->payee_id, &e)))
		goto out;
	if ((e = token_record(t, payee->u.p.kind, true, false, en->refused, found ? CODEX_FIND_FORK : CODEX_FIND_NONE,
			      row)) != OBOL_OK ||
	    (e = codex_db_token_insert(c->s, row)) != OBOL_OK || en->refused)
		goto out;
	if (__builtin_add_overflow(u->u.debits, t->amount.units, &u->u.debits)) {
		e = OBOL_E_AMOUNT_OVERFLOW;
		goto out;
	}
	if (payee->u.p.kind == CODEX_PARTY_USER &&
	    __builtin_add_overflow(payee->u.credits, t->amount.units, &payee->u.credits)) {
		e = OBOL_E_AMOUNT_OVERFLOW;
		goto out;
	}
	/* a vendor, or a user whose codex account is closed, is paid on its
	 * account (a closed Codex's value stays 0) */
	if (payee->u.p.kind != CODEX_PARTY_USER || payee->deleted) {
		if (payee->u.p.kind == CODEX_PARTY_USER &&
		    __builtin_sub_overflow(payee->u.loaded, t->amount.units, &payee->u.loaded)) {
			e = OBOL_E_AMOUNT_OVERFLOW;
			goto out;
		}
		if ((e = cx_liability(c, &liab)) == OBOL_OK)
			e = cx_move(c, liab, (int64_t)payee->u.p.id, t->amount.units, "codex-settle", payee->u.p.name);
	}
out:
	free(row);
	return e;
}

