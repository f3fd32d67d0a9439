/* Update Codex and delete account at the bank (codex_bank.h; seed 004 §III
 * RetrieveLog, Check Consistency, UpdateAccount, DeleteAccount). */
#include <stdlib.h>
#include <string.h>

#include "issuer/codex_int.h"
#include "store/ledger.h"

/* ---- update Codex -------------------------------------------------------- */

struct reported {
	uint8_t (*ids)[CODEX_TOKEN_ID_LEN];
	uint64_t *seqs;
	size_t n, cap;
};

static obol_err collect_reported(const struct codex_db_token *t, void *ctx)
{
	struct reported *r = ctx;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		void *a = realloc(r->ids, cap * sizeof(*r->ids)), *b;
		if (!a)
			return OBOL_E_NO_MEMORY;
		r->ids = a;
		if (!(b = realloc(r->seqs, cap * sizeof(*r->seqs))))
			return OBOL_E_NO_MEMORY;
		r->seqs = b;
		r->cap = cap;
	}
	memcpy(r->ids[r->n], t->id, CODEX_TOKEN_ID_LEN);
	r->seqs[r->n++] = t->seq;
	return OBOL_OK;
}

static obol_err collect_settled(const struct codex_db_token *t, void *ctx)
{
	struct codex_sync_result *r = ctx;
	void *a, *b;
	if (!(a = realloc(r->settled_ids, (r->nsettled + 1) * sizeof(*r->settled_ids))))
		return OBOL_E_NO_MEMORY;
	r->settled_ids = a;
	if (!(b = realloc(r->settled_times, (r->nsettled + 1) * sizeof(*r->settled_times))))
		return OBOL_E_NO_MEMORY;
	r->settled_times = b;
	memcpy(r->settled_ids[r->nsettled], t->id, CODEX_TOKEN_ID_LEN);
	r->settled_times[r->nsettled++] = t->time;
	return OBOL_OK;
}

void codex_sync_result_free(struct codex_sync_result *r)
{
	free(r->settled_ids);
	free(r->settled_times);
	r->settled_ids = NULL;
	r->settled_times = NULL;
	r->nsettled = 0;
}

obol_err codex_issuer_sync(const struct codex_issuer_ctx *c, int64_t account, const struct codex_state *st,
			   const struct codex_entry *entries, size_t n, const struct obol_amount *claimed,
			   const struct obol_amount *load, bool close, struct codex_sync_result *res)
{
	struct touched tw = { 0 };
	struct codex_party *parties = NULL;
	struct reported rep = { 0 };
	struct codex_rec *u;
	size_t np = 0, self_findings = 0;
	int64_t liab, value;
	obol_err e;

	memset(res, 0, sizeof(*res));
	if (n > CODEX_LOG_MAX)
		return OBOL_E_CODEX_TX_LIMIT;
	if ((e = cx_touched_new(&tw, 2 * n + 2)) != OBOL_OK)
		return e;
	if (!(parties = calloc(n + 1, sizeof(*parties)))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	/* RetrieveLog: whose log it is, and the keys of the payers it names */
	if (!(u = cx_rec_get(&tw, c->s, (uint64_t)account, &e)))
		goto out;
	if (u->deleted) {
		e = OBOL_E_CODEX_ACCOUNT_DELETED;
		goto out;
	}
	if (u->u.p.kind != CODEX_PARTY_USER) {
		e = OBOL_E_CODEX_UNKNOWN_USER;
		goto out;
	}
	/* a blacklisted user's Codex is neither renewed nor closed: what is
	 * left of its deposit stays with the bank for the payees still to come */
	if (u->u.blacklisted) {
		e = OBOL_E_CODEX_BLACKLISTED;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct codex_rec *p;
		/* a refusal is checked under its payee's key */
		uint64_t who = entries[i].kind == CODEX_ENTRY_RECEIVE ? entries[i].token.payer_id
				: entries[i].refused				   ? entries[i].token.payee_id
										   : 0;
		if (who == 0)
			continue;
		if ((p = cx_rec_get(&tw, c->s, who, &e)))
			parties[np++] = p->u.p;
		else if (e != OBOL_E_CODEX_UNKNOWN_USER)
			goto out;
	}
	/* Check Consistency of the log itself: a bad one changes nothing */
	if ((e = codex_bank_verify_log(c->keys->master.pk, &u->u, st, entries, n, claimed, parties, np)) != OBOL_OK)
		goto out;
	/* the tokens its payees already reported must be in it, at their place */
	if ((e = codex_db_tokens_reported(c->s, u->u.p.id, u->u.epoch, collect_reported, &rep)) != OBOL_OK)
		goto out;
	self_findings += codex_bank_omitted(entries, n, (const uint8_t(*)[CODEX_TOKEN_ID_LEN])rep.ids, rep.seqs, rep.n);
	/* credit and debit from the log */
	for (size_t i = 0; i < n; i++) {
		const struct codex_token *t = &entries[i].token;
		if (entries[i].kind == CODEX_ENTRY_PAY) {
			e = cx_take_from_payer(c, &tw, u, &entries[i], &self_findings);
		} else {
			bool credit;
			e = cx_take_from_payee(c, &tw, t, CODEX_PARTY_USER, &credit, &res->findings);
			if (e == OBOL_OK && credit && __builtin_add_overflow(u->u.credits, t->amount.units, &u->u.credits))
				e = OBOL_E_AMOUNT_OVERFLOW;
		}
		if (e != OBOL_OK)
			goto out;
	}
	res->findings += self_findings;
	if (self_findings > 0 && !u->u.blacklisted && (e = cx_blacklist_add(c, u)) != OBOL_OK)
		goto out;
	if ((e = cx_liability(c, &liab)) != OBOL_OK)
		goto out;
	if (load) {
		if (strcmp(load->currency, c->currency) != 0 || load->units <= 0) {
			e = OBOL_E_CODEX_AMOUNT_INVALID;
			goto out;
		}
		if ((e = cx_move(c, account, liab, load->units, "codex-load", u->u.p.name)) != OBOL_OK)
			goto out;
		if (__builtin_add_overflow(u->u.loaded, load->units, &u->u.loaded)) {
			e = OBOL_E_AMOUNT_OVERFLOW;
			goto out;
		}
	}
	/* guarantee of payment: every party the logs showed overspent */
	for (size_t i = 0; i < tw.n; i++)
		if (tw.r[i].u.p.kind == CODEX_PARTY_USER && (e = cx_cover(c, &tw.r[i], &res->findings)) != OBOL_OK)
			goto out;
	res->blacklisted = u->u.blacklisted;
	if ((e = codex_bank_value(&u->u, &value)) != OBOL_OK)
		goto out;
	if (close) {
		if (!u->u.blacklisted) {
			/* DeleteAccount: the transactions balance; pay back value and deposit */
			int64_t back = value + u->u.deposit;
			if ((e = cx_move(c, liab, account, back, "codex-close", u->u.p.name)) != OBOL_OK)
				goto out;
			u->u.loaded -= value;
			u->u.deposit = 0;
			u->deleted = true;
			res->paid_out = back;
			value = 0;
		}
	} else if (!u->u.blacklisted) {
		/* UpdateAccount: renew the Codex */
		if (res->findings == 0)
			u->u.perf++;
		if ((e = codex_bank_issue_state(&u->u, c->currency, n, c->now, cx_lifetime(c), cx_tx_limit(c),
						c->keys->master.sk, &res->state)) != OBOL_OK)
			goto out;
		res->renewed = true;
	}
	res->value = value;
	if ((e = cx_touched_write(&tw, c->s)) != OBOL_OK)
		goto out;
	e = codex_db_tokens_settled_to(c->s, u->u.p.id, c->now - 2 * CODEX_FRESH_WINDOW, collect_settled, res);
out:
	if (e != OBOL_OK)
		codex_sync_result_free(res);
	free(rep.ids);
	free(rep.seqs);
	free(parties);
	free(tw.r);
	return e;
}

