/* The codex bank's units of work (codex_bank.h; seed 004 §III, §VI.B). */
#include "issuer/codex_bank.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "issuer/codex_tables.h"
#include "store/ledger.h"

/* ---- records touched by one unit ---------------------------------------- */

struct touched {
	struct codex_rec *r;
	size_t n, cap;
};

/* The record of id, loaded once per unit; NULL with *e = UNKNOWN_USER when
 * absent. Pointers stay valid: the array is sized up front. */
static struct codex_rec *rec_get(struct touched *t, struct obol_store *s, uint64_t id, obol_err *e)
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

static obol_err touched_new(struct touched *t, size_t cap)
{
	t->n = 0;
	t->cap = cap;
	t->r = calloc(cap, sizeof(*t->r));
	return t->r ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err touched_write(struct touched *t, struct obol_store *s)
{
	obol_err e = OBOL_OK;
	for (size_t i = 0; e == OBOL_OK && i < t->n; i++)
		e = codex_db_user_update(s, &t->r[i]);
	return e;
}

/* ---- helpers ------------------------------------------------------------- */

static int64_t c_lifetime(const struct codex_issuer_ctx *c)
{
	return c->lifetime > 0 ? c->lifetime : CODEX_DEFAULT_LIFETIME;
}

static uint64_t c_tx_limit(const struct codex_issuer_ctx *c)
{
	return c->tx_limit > 0 ? c->tx_limit : CODEX_DEFAULT_TX_LIMIT;
}

static obol_err move(const struct codex_issuer_ctx *c, int64_t from, int64_t to, int64_t units, const char *reason,
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

static obol_err liability(const struct codex_issuer_ctx *c, int64_t *id)
{
	return obol_account_liability(c->s, "codex", id);
}

/* CreateBlacklist (§III): adds the user, re-signs, stores. */
static obol_err blacklist_add(const struct codex_issuer_ctx *c, struct codex_rec *r)
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
static obol_err cover(const struct codex_issuer_ctx *c, struct codex_rec *r, size_t *findings)
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
	if (!r->u.blacklisted && (e = blacklist_add(c, r)) != OBOL_OK)
		return e;
	if ((e = codex_db_loss_add(c->s, r->u.p.id, c->now, from_dep + loss, from_dep, loss, "overspent")) != OBOL_OK)
		return e;
	if (loss > 0) {
		if ((e = obol_account_outside(c->s, &outside)) != OBOL_OK || (e = liability(c, &liab)) != OBOL_OK)
			return e;
		e = move(c, outside, liab, loss, "codex-loss", r->u.p.name);
	}
	return e;
}

/* ---- setup and blacklist ------------------------------------------------- */

obol_err codex_issuer_setup(struct obol_store *s, const struct obol_issuer_keys *keys, int64_t now)
{
	struct codex_blacklist *bl = calloc(1, sizeof(*bl));
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	e = codex_db_blacklist_get(s, bl);
	if (e == OBOL_E_NOT_FOUND) {
		memset(bl, 0, sizeof(*bl));
		bl->issued = now;
		if ((e = codex_blacklist_sign(bl, keys->master.sk)) == OBOL_OK)
			e = codex_db_blacklist_put(s, bl);
	}
	free(bl);
	return e;
}

obol_err codex_issuer_blacklist(struct obol_store *s, struct codex_blacklist *bl)
{
	return codex_db_blacklist_get(s, bl);
}

/* ---- create account ------------------------------------------------------ */

obol_err codex_issuer_open(const struct codex_issuer_ctx *c, int64_t account, const uint8_t box_pk[static OBOL_BOX_PK_LEN],
			   const struct obol_amount *amount, const struct obol_amount *deposit, struct codex_cert *cert,
			   struct codex_state *st)
{
	struct obol_account acc;
	struct codex_rec r;
	int64_t liab;
	obol_err e;

	if ((e = obol_account_get(c->s, account, &acc)) != OBOL_OK)
		return e;
	if (acc.kind != OBOL_ACCOUNT_USER || !acc.has_auth_pk)
		return OBOL_E_CODEX_UNKNOWN_USER;
	if (strlen(acc.name) > CODEX_NAME_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	if (strcmp(deposit->currency, c->currency) != 0 || deposit->units <= 0)
		return OBOL_E_CODEX_DEPOSIT_INVALID;
	if (strcmp(amount->currency, c->currency) != 0 || amount->units < 0)
		return OBOL_E_CODEX_AMOUNT_INVALID;
	e = codex_db_user_get(c->s, (uint64_t)account, &r);
	if (e == OBOL_OK)
		return OBOL_E_CODEX_ALREADY_OPEN;
	if (e != OBOL_E_CODEX_UNKNOWN_USER)
		return e;
	memset(&r, 0, sizeof(r));
	r.u.p.id = (uint64_t)account;
	memcpy(r.u.p.name, acc.name, strlen(acc.name) + 1);
	r.u.p.kind = CODEX_PARTY_USER;
	memcpy(r.u.p.sign_pk, acc.auth_pk, OBOL_SIGN_PK_LEN);
	memcpy(r.box_pk, box_pk, OBOL_BOX_PK_LEN);
	r.u.loaded = amount->units;
	r.u.deposit = deposit->units;
	if ((e = liability(c, &liab)) != OBOL_OK || (e = move(c, account, liab, amount->units, "codex-load", acc.name)) != OBOL_OK ||
	    (e = move(c, account, liab, deposit->units, "codex-deposit", acc.name)) != OBOL_OK)
		return e;
	if ((e = codex_bank_issue_cert(&r.u.p, box_pk, c->now, c->keys->master.sk, cert)) != OBOL_OK ||
	    (e = codex_bank_issue_state(&r.u, c->currency, 0, c->now, c_lifetime(c), c_tx_limit(c), c->keys->master.sk,
					st)) != OBOL_OK)
		return e;
	return codex_db_user_insert(c->s, &r, c->now);
}

obol_err codex_issuer_vendor(const struct codex_issuer_ctx *c, int64_t account, const uint8_t box_pk[static OBOL_BOX_PK_LEN],
			     struct codex_cert *cert)
{
	struct obol_account acc;
	struct codex_rec r;
	obol_err e;
	if ((e = obol_account_get(c->s, account, &acc)) != OBOL_OK)
		return e;
	if (acc.kind != OBOL_ACCOUNT_VENDOR || !acc.has_auth_pk || strlen(acc.name) > CODEX_NAME_MAX)
		return OBOL_E_CODEX_UNKNOWN_USER;
	e = codex_db_user_get(c->s, (uint64_t)account, &r);
	if (e == OBOL_E_CODEX_UNKNOWN_USER) {
		memset(&r, 0, sizeof(r));
		r.u.p.id = (uint64_t)account;
		memcpy(r.u.p.name, acc.name, strlen(acc.name) + 1);
		r.u.p.kind = CODEX_PARTY_VENDOR;
		memcpy(r.u.p.sign_pk, acc.auth_pk, OBOL_SIGN_PK_LEN);
		memcpy(r.box_pk, box_pk, OBOL_BOX_PK_LEN);
		e = codex_db_user_insert(c->s, &r, c->now);
	} else if (e == OBOL_OK) {
		/* the account's key may have changed; the box key is the vendor's choice */
		memcpy(r.u.p.sign_pk, acc.auth_pk, OBOL_SIGN_PK_LEN);
		memcpy(r.box_pk, box_pk, OBOL_BOX_PK_LEN);
		e = obol_store_run(c->s, NULL, "UPDATE codex_users SET sign_pk = ?, box_pk = ? WHERE id = ?", "bbi",
				   r.u.p.sign_pk, (size_t)32, r.box_pk, (size_t)32, account);
	}
	if (e != OBOL_OK)
		return e;
	return codex_bank_issue_cert(&r.u.p, box_pk, c->now, c->keys->master.sk, cert);
}

/* ---- tokens from payees and payers --------------------------------------- */

static obol_err token_record(const struct codex_token *t, uint8_t payee_kind, bool by_payer, bool by_payee,
			     enum codex_finding f, struct codex_db_token *row)
{
	memset(row, 0, sizeof(*row));
	memcpy(row->id, t->id, CODEX_TOKEN_ID_LEN);
	row->row = (struct codex_bank_token){ t->payer_id, t->payee_id, payee_kind, t->epoch, t->amount.units, by_payer,
					      by_payee };
	row->seq = t->seq;
	row->time = t->time;
	row->finding = (int)f;
	return codex_token_encode(t, row->blob, sizeof(row->blob), &row->blob_len);
}

/* A token its payee hands in (a RECEIVE entry, or a vendor's deposit), its
 * signature already verified. *credit says whether the payee is owed the
 * amount now (false when the payer's log settled it before). */
static obol_err take_from_payee(const struct codex_issuer_ctx *c, struct touched *tw, const struct codex_token *t,
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
		/* the same token twice from a payee, or an id reused: refused */
		if (row->row.by_payee || row->row.payee_id != t->payee_id || row->row.payer_id != t->payer_id) {
			e = OBOL_E_CODEX_TOKEN_SEEN;
			goto out;
		}
		e = codex_db_token_mark(c->s, t->id, row->row.by_payer, true);
		goto out;
	}
	if (!(payer = rec_get(tw, c->s, t->payer_id, &e)))
		goto out;
	if ((e = codex_db_token_slot(c->s, t->payer_id, t->epoch, t->seq, slot, &found)) != OBOL_OK)
		goto out;
	f = codex_bank_classify(t, found ? slot : NULL, payer->u.epoch);
	if (f != CODEX_FIND_NONE) {
		/* a rolled-back Codex is evident: blacklist the payer */
		(*findings)++;
		if (!payer->u.blacklisted && (e = blacklist_add(c, payer)) != OBOL_OK)
			goto out;
	}
	if ((e = token_record(t, payee_kind, false, true, f, row)) != OBOL_OK ||
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
 * the vendor has not deposited; its later deposit pays nothing twice). */
static obol_err take_from_payer(const struct codex_issuer_ctx *c, struct touched *tw, struct codex_rec *u,
				const struct codex_token *t, size_t *self_findings)
{
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
	if (!(payee = rec_get(tw, c->s, t->payee_id, &e)))
		goto out;
	if ((e = token_record(t, payee->u.p.kind, true, false, found ? CODEX_FIND_FORK : CODEX_FIND_NONE, row)) != OBOL_OK ||
	    (e = codex_db_token_insert(c->s, row)) != OBOL_OK)
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
		if (payee->u.p.kind == CODEX_PARTY_USER)
			payee->u.loaded -= t->amount.units;
		if ((e = liability(c, &liab)) == OBOL_OK)
			e = move(c, liab, (int64_t)payee->u.p.id, t->amount.units, "codex-settle", payee->u.p.name);
	}
out:
	free(row);
	return e;
}

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
	if ((e = touched_new(&tw, 2 * n + 2)) != OBOL_OK)
		return e;
	if (!(parties = calloc(n + 1, sizeof(*parties)))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	/* RetrieveLog: whose log it is, and the keys of the payers it names */
	if (!(u = rec_get(&tw, c->s, (uint64_t)account, &e)))
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
		if (entries[i].kind != CODEX_ENTRY_RECEIVE)
			continue;
		if ((p = rec_get(&tw, c->s, entries[i].token.payer_id, &e)))
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
			e = take_from_payer(c, &tw, u, t, &self_findings);
		} else {
			bool credit;
			e = take_from_payee(c, &tw, t, CODEX_PARTY_USER, &credit, &res->findings);
			if (e == OBOL_OK && credit && __builtin_add_overflow(u->u.credits, t->amount.units, &u->u.credits))
				e = OBOL_E_AMOUNT_OVERFLOW;
		}
		if (e != OBOL_OK)
			goto out;
	}
	res->findings += self_findings;
	if (self_findings > 0 && !u->u.blacklisted && (e = blacklist_add(c, u)) != OBOL_OK)
		goto out;
	if ((e = liability(c, &liab)) != OBOL_OK)
		goto out;
	if (load) {
		if (strcmp(load->currency, c->currency) != 0 || load->units <= 0) {
			e = OBOL_E_CODEX_AMOUNT_INVALID;
			goto out;
		}
		if ((e = move(c, account, liab, load->units, "codex-load", u->u.p.name)) != OBOL_OK)
			goto out;
		if (__builtin_add_overflow(u->u.loaded, load->units, &u->u.loaded)) {
			e = OBOL_E_AMOUNT_OVERFLOW;
			goto out;
		}
	}
	/* guarantee of payment: every party the logs showed overspent */
	for (size_t i = 0; i < tw.n; i++)
		if (tw.r[i].u.p.kind == CODEX_PARTY_USER && (e = cover(c, &tw.r[i], &res->findings)) != OBOL_OK)
			goto out;
	res->blacklisted = u->u.blacklisted;
	if ((e = codex_bank_value(&u->u, &value)) != OBOL_OK)
		goto out;
	if (close) {
		if (!u->u.blacklisted) {
			/* DeleteAccount: the transactions balance; pay back value and deposit */
			int64_t back = value + u->u.deposit;
			if ((e = move(c, liab, account, back, "codex-close", u->u.p.name)) != OBOL_OK)
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
		if ((e = codex_bank_issue_state(&u->u, c->currency, n, c->now, c_lifetime(c), c_tx_limit(c),
						c->keys->master.sk, &res->state)) != OBOL_OK)
			goto out;
		res->renewed = true;
	}
	res->value = value;
	if ((e = touched_write(&tw, c->s)) != OBOL_OK)
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

/* ---- a vendor's deposit ---------------------------------------------------- */

obol_err codex_issuer_deposit(const struct codex_issuer_ctx *c, int64_t vendor, const struct codex_token *tokens,
			      size_t n, obol_err *results, struct obol_amount *paid)
{
	struct touched tw = { 0 };
	struct codex_rec *v;
	size_t findings = 0;
	int64_t total = 0, liab;
	obol_err e;

	if ((e = obol_amount_zero(c->currency, paid)) != OBOL_OK)
		return e;
	if ((e = touched_new(&tw, n + 1)) != OBOL_OK)
		return e;
	if (!(v = rec_get(&tw, c->s, (uint64_t)vendor, &e)))
		goto out;
	if (v->u.p.kind != CODEX_PARTY_VENDOR) {
		e = OBOL_E_CODEX_UNKNOWN_USER;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct codex_token *t = &tokens[i];
		struct codex_rec *payer;
		bool credit = false;
		obol_err r;
		if (t->payee_id != v->u.p.id || strcmp(t->payee_name, v->u.p.name) != 0)
			r = OBOL_E_CODEX_NOT_PAYEE;
		else if (t->amount.units <= 0 || strcmp(t->amount.currency, c->currency) != 0)
			r = OBOL_E_CODEX_AMOUNT_INVALID;
		else if (!(payer = rec_get(&tw, c->s, t->payer_id, &r)))
			;
		else if (payer->u.p.kind != CODEX_PARTY_USER)
			r = OBOL_E_CODEX_UNKNOWN_USER;
		else if (codex_token_verify(t, payer->u.p.sign_pk) != OBOL_OK)
			r = OBOL_E_CODEX_SIGNATURE;
		else
			r = take_from_payee(c, &tw, t, CODEX_PARTY_VENDOR, &credit, &findings);
		if (r != OBOL_OK && r != OBOL_E_CODEX_UNKNOWN_USER && r != OBOL_E_CODEX_NOT_PAYEE &&
		    r != OBOL_E_CODEX_AMOUNT_INVALID && r != OBOL_E_CODEX_SIGNATURE && r != OBOL_E_CODEX_TOKEN_SEEN) {
			e = r; /* a store failure ends the unit */
			goto out;
		}
		results[i] = r;
		if (credit && __builtin_add_overflow(total, t->amount.units, &total)) {
			e = OBOL_E_AMOUNT_OVERFLOW;
			goto out;
		}
	}
	for (size_t i = 0; i < tw.n; i++)
		if (tw.r[i].u.p.kind == CODEX_PARTY_USER && (e = cover(c, &tw.r[i], &findings)) != OBOL_OK)
			goto out;
	if ((e = liability(c, &liab)) != OBOL_OK ||
	    (e = move(c, liab, vendor, total, "codex-deposit-vendor", v->u.p.name)) != OBOL_OK ||
	    (e = touched_write(&tw, c->s)) != OBOL_OK)
		goto out;
	paid->units = total;
out:
	free(tw.r);
	return e;
}

/* ---- check consistency --------------------------------------------------- */

static void print_units(FILE *out, const char *label, const char *currency, int64_t units)
{
	struct obol_amount a;
	char buf[OBOL_AMOUNT_STR_MAX];
	if (obol_amount_from_units(currency, units, &a) != OBOL_OK)
		fprintf(out, "%s: (out of range)\n", label);
	else {
		obol_amount_format(&a, buf);
		fprintf(out, "%s: %s\n", label, buf);
	}
}

obol_err codex_issuer_check(struct obol_store *s, const char *currency, FILE *out, struct codex_consistency *res)
{
	struct codex_bank_user *users = NULL;
	struct codex_token_list toks = { 0 };
	struct obol_amount held;
	size_t nusers = 0;
	int64_t liab;
	obol_err e, ce;

	if ((e = codex_db_users_all(s, &users, &nusers)) != OBOL_OK || (e = codex_db_tokens_all(s, &toks)) != OBOL_OK ||
	    (e = obol_account_liability(s, "codex", &liab)) != OBOL_OK || (e = obol_ledger_balance(s, liab, &held)) != OBOL_OK)
		goto out;
	ce = codex_bank_consistency(users, nusers, toks.v, toks.n, held.units, res);
	if (ce != OBOL_OK && ce != OBOL_E_CODEX_INCONSISTENT) {
		e = ce;
		goto out;
	}
	if (out) {
		for (size_t i = 0; i < nusers; i++) {
			int64_t v;
			if (users[i].p.kind != CODEX_PARTY_USER || codex_bank_value(&users[i], &v) != OBOL_OK)
				continue;
			fprintf(out, "user %s (id %llu): epoch %llu%s\n", users[i].p.name, (unsigned long long)users[i].p.id,
				(unsigned long long)users[i].epoch, users[i].blacklisted ? ", blacklisted" : "");
			print_units(out, "  value by every log", currency, v);
			print_units(out, "  safe deposit", currency, users[i].deposit);
		}
		fprintf(out, "codex users: %zu\ncodex tokens: %zu\n", res->users, res->tokens);
		print_units(out, "value in codexes", currency, res->total_value);
		print_units(out, "safe deposits", currency, res->total_deposit);
		print_units(out, "dispersed (codex liability)", currency, res->dispersed);
		fprintf(out, "tokens missing from their payer's log: %zu\n", res->unlogged);
		fprintf(out, "overspent users: %zu\nusers whose figures differ from their tokens: %zu\n", res->overspent,
			res->mismatched);
		fprintf(out, "consistency: %s\n", res->ok ? "OK" : "FAILED");
	}
	e = ce;
out:
	free(users);
	free(toks.v);
	return e;
}
