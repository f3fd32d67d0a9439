/* The codex bank's units of work (codex_bank.h; seed 004 §III, §VI.B):
 * each loads the records its decision needs, calls the pure decision of
 * src/schemes/codex/bank.h, and writes the effect. */
#include "issuer/codex_bank.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "issuer/codex_tables.h"
#include "store/ledger.h"

/* ---- policy and settings ----------------------------------------------------- */

static const char *const setting_keys[] = { "lifetime", "tx_limit", "token_max", "cert_lifetime", "hold_grace" };

obol_err codex_issuer_setting_put(struct obol_store *s, const char *key, int64_t value)
{
	for (size_t i = 0; i < OBOL_ARRAY_LEN(setting_keys); i++)
		if (strcmp(key, setting_keys[i]) == 0)
			return codex_db_setting_put(s, key, value);
	return OBOL_E_INVALID_ARGUMENT;
}

obol_err codex_issuer_settings_load(struct obol_store *s, struct codex_issuer_settings *out)
{
	int64_t v[OBOL_ARRAY_LEN(setting_keys)] = { 0 };
	bool found;
	obol_err e;
	for (size_t i = 0; i < OBOL_ARRAY_LEN(setting_keys); i++)
		if ((e = codex_db_setting_get(s, setting_keys[i], &v[i], &found)) != OBOL_OK)
			return e;
	out->lifetime = v[0];
	out->tx_limit = (uint64_t)v[1];
	out->token_max = v[2];
	out->cert_lifetime = v[3];
	out->hold_grace = v[4];
	return OBOL_OK;
}

static obol_err policy_of(const struct codex_issuer_ctx *c, struct codex_bank_policy *p)
{
	obol_err e;
	codex_bank_policy_default(p);
	p->currency = c->currency;
	p->signer = &c->signer;
	p->sign_pk = c->keys->master_pk;
	if (c->set.lifetime > 0)
		p->lifetime = c->set.lifetime;
	if (c->set.tx_limit > 0)
		p->tx_limit = c->set.tx_limit;
	if (c->set.cert_lifetime > 0)
		p->cert_lifetime = c->set.cert_lifetime;
	if (c->set.hold_grace > 0)
		p->hold_grace = c->set.hold_grace;
	if ((e = obol_amount_from_units(c->currency, c->set.token_max > 0 ? c->set.token_max : 0, &p->token_max)) != OBOL_OK)
		return e;
	return OBOL_OK;
}

/* ---- the blacklist -------------------------------------------------------------- */

obol_err codex_issuer_setup(struct obol_store *s, const struct obol_ed25519_signer *signer, int64_t now)
{
	struct codex_blacklist *bl = calloc(1, sizeof(*bl));
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	e = codex_db_blacklist_get(s, bl, NULL);
	if (e == OBOL_E_NOT_FOUND) {
		memset(bl, 0, sizeof(*bl));
		bl->issued = now;
		if ((e = codex_blacklist_sign(bl, signer)) == OBOL_OK)
			e = codex_db_blacklist_put(s, bl, INT64_MAX);
	}
	free(bl);
	return e;
}

obol_err codex_issuer_blacklist_read(struct obol_store *s, struct codex_blacklist *bl)
{
	return codex_db_blacklist_get(s, bl, NULL);
}

obol_err codex_issuer_blacklist_page(struct obol_store *s, const struct obol_ed25519_signer *signer,
				     const struct codex_issuer_page_req *r, struct codex_blacklist_page *out)
{
	struct codex_db_page_query q = { .since = r->since, .version = r->version, .after = r->after, .now = r->now,
					 .limit = CODEX_BLACKLIST_PAGE_MAX };
	uint64_t current;
	bool more;
	obol_err e;
	memset(out, 0, sizeof(*out));
	if ((e = codex_db_blacklist_version(s, &current)) != OBOL_OK)
		return e;
	if (q.version == 0)
		q.version = current;
	if (q.version > current || q.since > q.version)
		return OBOL_E_INVALID_ARGUMENT;
	if ((out->items = malloc(CODEX_BLACKLIST_PAGE_MAX * sizeof(*out->items))) == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = codex_db_listed_page(s, &q, out->items, &out->count, &more)) != OBOL_OK)
		goto out;
	out->version = q.version;
	out->since = q.since;
	out->after = q.after;
	out->issued = r->now;
	out->through = more ? out->items[out->count - 1].user : CODEX_BLACKLIST_END;
	e = codex_blacklist_page_sign(out, signer);
out:
	if (e != OBOL_OK)
		codex_blacklist_page_free(out);
	return e;
}

/* Builds the signed list again from the listed users (entries past their
 * end pruned), version + 1. */
static obol_err blacklist_rebuild(const struct codex_issuer_ctx *c, const struct codex_bank_policy *pol,
				  struct codex_blacklist *bl)
{
	struct codex_blacklist_entry *entries = NULL;
	size_t n = 0;
	int64_t next;
	uint64_t version = bl->version;
	obol_err e;
	if ((e = codex_db_listed_prune(c->s, c->now)) != OBOL_OK || (e = codex_db_listed_all(c->s, &entries, &n)) != OBOL_OK)
		goto out;
	if ((e = codex_bank_blacklist_build(pol, entries, n, version + 1, c->now, bl, &next)) != OBOL_OK)
		goto out;
	e = codex_db_blacklist_put(c->s, bl, next);
out:
	free(entries);
	return e;
}

obol_err codex_issuer_blacklist(const struct codex_issuer_ctx *c, struct codex_blacklist *bl)
{
	struct codex_bank_policy pol;
	int64_t next_prune = INT64_MAX;
	obol_err e;
	e = codex_db_blacklist_get(c->s, bl, &next_prune);
	if (e == OBOL_E_NOT_FOUND) {
		/* `issuer init --no-ceremony`: the first start had no online key
		 * to sign version 0; the first request with one signs it. */
		if (c->signer.sign == NULL)
			return OBOL_E_KEY_ONLINE_MISSING;
		if ((e = codex_issuer_setup(c->s, &c->signer, c->now)) == OBOL_OK)
			e = codex_db_blacklist_get(c->s, bl, &next_prune);
	}
	if (e != OBOL_OK)
		return e;
	if (next_prune >= c->now) {
		/* The stored list stands until an entry of it ends, but it rides
		 * in every open, sync and deposit answer: signed by an online key
		 * whose acceptance has since ended, every Codex would refuse those
		 * answers (CODEX_SIGNATURE) and never sync again. So when the key
		 * in use is not the one that signed it, the same list (version and
		 * entries) is signed again by the key in use. Without a key in use
		 * (KEY_ONLINE_MISSING) the stored list is answered as it is. */
		if (c->signer.sign == NULL || codex_blacklist_signed_by(bl, c->signer.pk))
			return OBOL_OK;
		bl->issued = c->now;
		if ((e = codex_blacklist_sign(bl, &c->signer)) != OBOL_OK)
			return e;
		return codex_db_blacklist_put(c->s, bl, next_prune);
	}
	if ((e = policy_of(c, &pol)) != OBOL_OK)
		return e;
	return blacklist_rebuild(c, &pol, bl);
}

/* ---- loading a unit ------------------------------------------------------------- */

/* The record of a party, and its account's balance (as zero when the
 * account is not active: nothing can be taken from it). Absent: nothing. */
static obol_err load_party(const struct codex_issuer_ctx *c, struct codex_bank_unit *k, uint64_t id)
{
	struct codex_bank_user u;
	struct obol_account acc;
	obol_err e;
	if (codex_bank_unit_user(k, id))
		return OBOL_OK;
	if ((e = codex_db_user_get(c->s, c->currency, id, &u)) != OBOL_OK)
		return e == OBOL_E_CODEX_UNKNOWN_USER ? OBOL_OK : e;
	if ((e = obol_account_get(c->s, (int64_t)id, &acc)) != OBOL_OK)
		return e == OBOL_E_LEDGER_ACCOUNT_UNKNOWN ? OBOL_E_CODEX_TABLE_CORRUPT : e;
	if (acc.status == OBOL_ACCOUNT_ACTIVE)
		u.account = acc.balance;
	return codex_bank_unit_add_user(k, &u);
}

static obol_err add_row(const struct codex_token_row *t, void *ctx)
{
	return codex_bank_unit_add_token(ctx, t);
}

static obol_err add_refusal(const struct codex_refusal *f, void *ctx)
{
	return codex_bank_unit_add_refusal(ctx, f);
}

/* Every stored token under t's id or at its place, and the refusals of the
 * tokens under its id. */
static obol_err load_token(const struct codex_issuer_ctx *c, struct codex_bank_unit *k, const struct codex_token *t)
{
	obol_err e;
	if ((e = codex_db_tokens_by_id(c->s, c->currency, t->id, add_row, k)) != OBOL_OK ||
	    (e = codex_db_tokens_at(c->s, c->currency, t->payer_id, t->epoch, t->seq, add_row, k)) != OBOL_OK)
		return e;
	return codex_db_refusals_by_token(c->s, t->id, add_refusal, k);
}

static obol_err load_refusal(const struct codex_issuer_ctx *c, struct codex_bank_unit *k, const struct codex_refusal *f)
{
	obol_err e;
	if ((e = load_party(c, k, f->payer_id)) != OBOL_OK || (e = load_party(c, k, f->payee_id)) != OBOL_OK ||
	    (e = codex_db_tokens_by_id(c->s, c->currency, f->token_id, add_row, k)) != OBOL_OK)
		return e;
	return codex_db_refusals_by_token(c->s, f->token_id, add_refusal, k);
}

/* ---- writing an effect ---------------------------------------------------------- */

static obol_err account_of(const struct codex_issuer_ctx *c, uint8_t kind, uint64_t id, int64_t *out)
{
	switch (kind) {
	case CODEX_ACCT_PARTY:
		*out = (int64_t)id;
		return OBOL_OK;
	case CODEX_ACCT_LIABILITY:
		return obol_account_liability(c->s, "codex", out);
	case CODEX_ACCT_OUTSIDE:
		return obol_account_outside(c->s, out);
	default:
		return OBOL_E_INTERNAL;
	}
}

static obol_err write_effect(const struct codex_issuer_ctx *c, const struct codex_bank_unit *k)
{
	const struct codex_bank_effect *eff = &k->eff;
	obol_err e = OBOL_OK;
	for (size_t i = 0; e == OBOL_OK && i < k->nusers; i++) {
		if (k->users[i].fresh)
			e = codex_db_user_insert(c->s, &k->users[i], c->now);
		else if (k->users[i].dirty)
			e = codex_db_user_update(c->s, &k->users[i]);
	}
	for (size_t i = 0; e == OBOL_OK && i < k->ntokens; i++) {
		if (k->tokens[i].fresh)
			e = codex_db_token_insert(c->s, &k->tokens[i]);
		else if (k->tokens[i].dirty)
			e = codex_db_token_update(c->s, &k->tokens[i]);
	}
	for (size_t i = 0; e == OBOL_OK && i < k->nrefusals; i++)
		if (k->refusals[i].fresh)
			e = codex_db_refusal_insert(c->s, &k->refusals[i].f, c->now);
	for (size_t i = 0; e == OBOL_OK && i < eff->nmoves; i++) {
		const struct codex_move *m = &eff->moves[i];
		int64_t from, to;
		if ((e = account_of(c, m->from, m->from_id, &from)) == OBOL_OK &&
		    (e = account_of(c, m->to, m->to_id, &to)) == OBOL_OK)
			e = obol_ledger_transfer(c->s, from, to, &m->amount, m->reason, m->ref, NULL);
	}
	for (size_t i = 0; e == OBOL_OK && i < eff->nlosses; i++)
		e = codex_db_loss_add(c->s, &eff->losses[i], c->now);
	for (size_t i = 0; e == OBOL_OK && i < eff->nfindings; i++)
		e = codex_db_finding_add(c->s, &eff->findings[i], c->now);
	for (size_t i = 0; e == OBOL_OK && i < eff->nlisted; i++)
		e = codex_db_listed_add(c->s, eff->listed[i].user, c->now, eff->listed[i].until);
	if (e == OBOL_OK && eff->nlisted > 0) {
		struct codex_bank_policy pol;
		struct codex_blacklist *bl = malloc(sizeof(*bl));
		if (!bl)
			return OBOL_E_NO_MEMORY;
		if ((e = policy_of(c, &pol)) == OBOL_OK && (e = codex_db_blacklist_get(c->s, bl, NULL)) == OBOL_OK)
			e = blacklist_rebuild(c, &pol, bl);
		free(bl);
	}
	return e;
}

/* ---- create account, vendor, release -------------------------------------------- */

static obol_err party_of_account(const struct codex_issuer_ctx *c, int64_t account, enum obol_account_kind kind,
				 struct codex_party *p)
{
	struct obol_account acc;
	obol_err e;
	if ((e = obol_account_get(c->s, account, &acc)) != OBOL_OK)
		return e;
	if (acc.kind != kind || !acc.has_auth_pk || strlen(acc.name) > CODEX_NAME_MAX)
		return OBOL_E_CODEX_UNKNOWN_USER;
	memset(p, 0, sizeof(*p));
	p->id = (uint64_t)account;
	memcpy(p->name, acc.name, strlen(acc.name) + 1);
	p->kind = kind == OBOL_ACCOUNT_USER ? CODEX_PARTY_USER : CODEX_PARTY_VENDOR;
	memcpy(p->sign_pk, acc.auth_pk, OBOL_SIGN_PK_LEN);
	return OBOL_OK;
}

obol_err codex_issuer_open(const struct codex_issuer_ctx *c, const struct codex_issuer_open_req *r,
			   struct codex_open_out *out)
{
	struct codex_bank_policy pol;
	struct codex_bank_unit k;
	struct codex_party p;
	struct codex_open_req req;
	obol_err e;

	if ((e = policy_of(c, &pol)) != OBOL_OK || (e = party_of_account(c, r->account, OBOL_ACCOUNT_USER, &p)) != OBOL_OK)
		return e;
	codex_bank_unit_init(&k, &pol, c->now);
	if ((e = load_party(c, &k, p.id)) != OBOL_OK)
		goto out;
	req = (struct codex_open_req){ .party = &p, .box_pk = r->box_pk, .amount = r->amount, .deposit = r->deposit };
	if ((e = codex_bank_open(&k, &req, out)) != OBOL_OK)
		goto out;
	e = write_effect(c, &k);
out:
	codex_bank_unit_free(&k);
	return e;
}

obol_err codex_issuer_vendor(const struct codex_issuer_ctx *c, int64_t account, const uint8_t box_pk[static OBOL_BOX_PK_LEN],
			     struct codex_cert *cert)
{
	struct codex_bank_policy pol;
	struct codex_bank_unit k;
	struct codex_party p;
	obol_err e;
	if ((e = policy_of(c, &pol)) != OBOL_OK || (e = party_of_account(c, account, OBOL_ACCOUNT_VENDOR, &p)) != OBOL_OK)
		return e;
	codex_bank_unit_init(&k, &pol, c->now);
	if ((e = load_party(c, &k, p.id)) == OBOL_OK && (e = codex_bank_vendor(&k, &p, box_pk, cert)) == OBOL_OK)
		e = write_effect(c, &k);
	codex_bank_unit_free(&k);
	return e;
}

obol_err codex_issuer_release(const struct codex_issuer_ctx *c, int64_t account, struct codex_release_out *out)
{
	struct codex_bank_policy pol;
	struct codex_bank_unit k;
	obol_err e;
	if ((e = policy_of(c, &pol)) != OBOL_OK)
		return e;
	codex_bank_unit_init(&k, &pol, c->now);
	if ((e = load_party(c, &k, (uint64_t)account)) == OBOL_OK && (e = codex_bank_release(&k, (uint64_t)account, out)) == OBOL_OK)
		e = write_effect(c, &k);
	codex_bank_unit_free(&k);
	return e;
}

/* ---- update Codex and deposit ----------------------------------------------------- */

obol_err codex_issuer_sync(const struct codex_issuer_ctx *c, const struct codex_sync_req *req, struct codex_sync_out *out)
{
	struct codex_bank_policy pol;
	struct codex_bank_unit k;
	struct codex_bank_user *u;
	obol_err e;

	memset(out, 0, sizeof(*out));
	if (req->n > CODEX_LOG_MAX)
		return OBOL_E_CODEX_TX_LIMIT;
	if ((e = policy_of(c, &pol)) != OBOL_OK)
		return e;
	codex_bank_unit_init(&k, &pol, c->now);
	/* RetrieveLog: whose log it is, every party it names, every token the
	 * bank holds under its ids and at its places, and the refusals of them */
	if ((e = load_party(c, &k, req->account)) != OBOL_OK)
		goto out;
	if ((u = codex_bank_unit_user(&k, req->account)) && u->p.kind == CODEX_PARTY_USER) {
		uint64_t epoch = u->epoch;
		if ((e = codex_db_tokens_reported(c->s, c->currency, req->account, epoch, add_row, &k)) != OBOL_OK ||
		    (e = codex_db_tokens_settled_to(c->s, c->currency, req->account, c->now - 2 * CODEX_FRESH_WINDOW,
						    add_row, &k)) != OBOL_OK)
			goto out;
	}
	for (size_t i = 0; i < req->n; i++) {
		const struct codex_token *t = &req->entries[i].token;
		if ((e = load_party(c, &k, t->payer_id)) != OBOL_OK || (e = load_party(c, &k, t->payee_id)) != OBOL_OK ||
		    (e = load_token(c, &k, t)) != OBOL_OK)
			goto out;
	}
	for (size_t i = 0; i < req->nrefusals; i++)
		if ((e = load_refusal(c, &k, &req->refusals[i])) != OBOL_OK)
			goto out;
	if ((e = codex_bank_sync(&k, req, out)) != OBOL_OK)
		goto out;
	e = write_effect(c, &k);
out:
	if (e != OBOL_OK)
		codex_sync_out_free(out);
	codex_bank_unit_free(&k);
	return e;
}

obol_err codex_issuer_deposit(const struct codex_issuer_ctx *c, const struct codex_deposit_req *req,
			      struct codex_deposit_out *out)
{
	struct codex_bank_policy pol;
	struct codex_bank_unit k;
	obol_err e;
	if ((e = policy_of(c, &pol)) != OBOL_OK)
		return e;
	codex_bank_unit_init(&k, &pol, c->now);
	if ((e = load_party(c, &k, req->vendor)) != OBOL_OK)
		goto out;
	for (size_t i = 0; i < req->n; i++)
		if ((e = load_party(c, &k, req->tokens[i].payer_id)) != OBOL_OK || (e = load_token(c, &k, &req->tokens[i])) != OBOL_OK)
			goto out;
	for (size_t i = 0; i < req->nrefusals; i++)
		if ((e = load_refusal(c, &k, &req->refusals[i])) != OBOL_OK)
			goto out;
	if ((e = codex_bank_deposit(&k, req, out)) == OBOL_OK)
		e = write_effect(c, &k);
out:
	codex_bank_unit_free(&k);
	return e;
}

/* ---- check consistency and the reports --------------------------------------------- */

static void print_amount(FILE *out, const char *label, const struct obol_amount *a)
{
	char buf[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(a, buf);
	fprintf(out, "%s: %s\n", label, buf);
}

obol_err codex_issuer_check(struct obol_store *s, const char *currency, FILE *out, struct codex_consistency *res)
{
	struct codex_bank_user *users = NULL;
	struct codex_bank_token *toks = NULL;
	struct obol_amount held;
	size_t nusers = 0, ntoks = 0;
	int64_t liab;
	obol_err e, ce;

	if ((e = codex_db_users_all(s, currency, &users, &nusers)) != OBOL_OK ||
	    (e = codex_db_tokens_all(s, currency, &toks, &ntoks)) != OBOL_OK ||
	    (e = obol_account_liability(s, "codex", &liab)) != OBOL_OK || (e = obol_ledger_balance(s, liab, &held)) != OBOL_OK)
		goto out;
	ce = codex_bank_consistency(currency, users, nusers, toks, ntoks, &held, res);
	if (ce != OBOL_OK && ce != OBOL_E_CODEX_INCONSISTENT) {
		e = ce;
		goto out;
	}
	if (out) {
		for (size_t i = 0; i < nusers; i++) {
			struct obol_amount v;
			if (users[i].p.kind != CODEX_PARTY_USER || codex_bank_value(&users[i], &v) != OBOL_OK)
				continue;
			fprintf(out, "user %s (id %llu): epoch %llu, performance index %llu%s%s%s\n", users[i].p.name,
				(unsigned long long)users[i].p.id, (unsigned long long)users[i].epoch,
				(unsigned long long)users[i].perf, users[i].blacklisted ? ", blacklisted" : "",
				users[i].closed ? ", closed" : "", users[i].released ? ", released" : "");
			print_amount(out, "  value by every log", &v);
			print_amount(out, "  safe deposit", &users[i].deposit);
			if (!obol_amount_is_zero(&users[i].advanced))
				print_amount(out, "  lent from the deposit until its payers' logs come", &users[i].advanced);
		}
		fprintf(out, "codex users: %zu\ncodex tokens: %zu\n", res->users, res->tokens);
		print_amount(out, "value in codexes", &res->total_value);
		print_amount(out, "safe deposits", &res->total_deposit);
		print_amount(out, "dispersed (codex liability)", &res->dispersed);
		fprintf(out, "tokens missing from their payer's log: %zu\n", res->unlogged);
		fprintf(out, "refused tokens their payee also claims, payee not found: %zu\n", res->conflicts_open);
		fprintf(out, "users below zero: %zu\nusers whose figures differ from their tokens: %zu\n", res->overspent,
			res->mismatched);
		fprintf(out, "consistency: %s\n", res->ok ? "OK" : "FAILED");
	}
	e = ce;
out:
	free(users);
	free(toks);
	return e;
}

obol_err codex_issuer_users(struct obol_store *s, const char *currency, codex_issuer_user_fn fn, void *ctx)
{
	struct codex_bank_user *users = NULL;
	size_t n = 0;
	obol_err e = codex_db_users_all(s, currency, &users, &n);
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		struct obol_amount v;
		if (users[i].p.kind != CODEX_PARTY_USER)
			continue;
		if ((e = codex_bank_value(&users[i], &v)) == OBOL_OK)
			e = fn(ctx, &users[i], &v);
	}
	free(users);
	return e;
}

obol_err codex_issuer_losses(struct obol_store *s, const char *currency, struct codex_issuer_losses *out)
{
	struct obol_stmt *st;
	bool row;
	obol_err e;
	memset(out, 0, sizeof(*out));
	e = obol_stmt_prepare(s,
			      "SELECT COUNT(*), COALESCE(SUM(deficit), 0), COALESCE(SUM(from_deposit), 0),"
			      " COALESCE(SUM(from_outside), 0) FROM codex_losses",
			      &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		out->count = obol_stmt_column_int64(st, 0);
		if (obol_amount_from_units(currency, obol_stmt_column_int64(st, 1), &out->deficit) != OBOL_OK ||
		    obol_amount_from_units(currency, obol_stmt_column_int64(st, 2), &out->from_deposit) != OBOL_OK ||
		    obol_amount_from_units(currency, obol_stmt_column_int64(st, 3), &out->from_outside) != OBOL_OK)
			e = OBOL_E_CODEX_TABLE_CORRUPT;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_prepare(s, "SELECT COUNT(*) FROM codex_findings", &st)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		out->findings = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}
