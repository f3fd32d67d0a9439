/* The codex bank's units of work (codex_bank.h; seed 004 §III, §VI.B):
 * setup, create account, vendor payees, deposits, check consistency. */
#include "issuer/codex_bank.h"

#include <stdlib.h>
#include <string.h>

#include "issuer/codex_int.h"
#include "store/ledger.h"

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
	if ((e = cx_liability(c, &liab)) != OBOL_OK || (e = cx_move(c, account, liab, amount->units, "codex-load", acc.name)) != OBOL_OK ||
	    (e = cx_move(c, account, liab, deposit->units, "codex-deposit", acc.name)) != OBOL_OK)
		return e;
	if ((e = codex_bank_issue_cert(&r.u.p, box_pk, c->now, c->keys->master.sk, cert)) != OBOL_OK ||
	    (e = codex_bank_issue_state(&r.u, c->currency, 0, c->now, cx_lifetime(c), cx_tx_limit(c), c->keys->master.sk,
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
	if ((e = cx_touched_new(&tw, n + 1)) != OBOL_OK)
		return e;
	if (!(v = cx_rec_get(&tw, c->s, (uint64_t)vendor, &e)))
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
		else if (!(payer = cx_rec_get(&tw, c->s, t->payer_id, &r)))
			;
		else if (payer->u.p.kind != CODEX_PARTY_USER)
			r = OBOL_E_CODEX_UNKNOWN_USER;
		else if (codex_token_verify(t, payer->u.p.sign_pk) != OBOL_OK)
			r = OBOL_E_CODEX_SIGNATURE;
		else
			r = cx_take_from_payee(c, &tw, t, CODEX_PARTY_VENDOR, &credit, &findings);
		if (r != OBOL_OK && r != OBOL_E_CODEX_UNKNOWN_USER && r != OBOL_E_CODEX_NOT_PAYEE &&
		    r != OBOL_E_CODEX_AMOUNT_INVALID && r != OBOL_E_CODEX_SIGNATURE && r != OBOL_E_CODEX_TOKEN_SEEN &&
		    r != OBOL_E_CODEX_TOKEN_REFUSED) {
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
		if (tw.r[i].u.p.kind == CODEX_PARTY_USER && (e = cx_cover(c, &tw.r[i], &findings)) != OBOL_OK)
			goto out;
	if ((e = cx_liability(c, &liab)) != OBOL_OK ||
	    (e = cx_move(c, liab, vendor, total, "codex-deposit-vendor", v->u.p.name)) != OBOL_OK ||
	    (e = cx_touched_write(&tw, c->s)) != OBOL_OK)
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
		fprintf(out, "refused tokens a payee also claims: %zu\n", res->refused_claimed);
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

