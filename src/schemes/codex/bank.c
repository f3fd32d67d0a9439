/* The bank's ActivityMonitor decisions (bank.h; seed 004 §III, §VI.B):
 * records and the unit of work, create account, vendor payees, release,
 * the blacklist and the consistency check. Update Codex and deposits are in
 * bank_sync.c. */
#include "schemes/codex/bank.h"

#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/codex/bank_int.h"

void codex_bank_policy_default(struct codex_bank_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->lifetime = CODEX_DEFAULT_LIFETIME;
	p->tx_limit = CODEX_DEFAULT_TX_LIMIT;
	p->cert_lifetime = CODEX_CERT_LIFETIME;
	p->cert_renew_margin = CODEX_CERT_RENEW_MARGIN;
	p->hold_grace = CODEX_DEFAULT_HOLD_GRACE;
}

obol_err cx_add(struct obol_amount *a, const struct obol_amount *b)
{
	return obol_amount_add(a, a, b);
}

obol_err cx_sub(struct obol_amount *a, const struct obol_amount *b)
{
	return obol_amount_sub(a, a, b);
}

obol_err codex_bank_value(const struct codex_bank_user *u, struct obol_amount *value)
{
	obol_err e;
	memset(value, 0, sizeof(*value)); /* no stray bytes in a state built from it */
	if ((e = obol_amount_add(value, &u->loaded, &u->credits)) != OBOL_OK)
		return e;
	return obol_amount_sub(value, value, &u->debits);
}

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

int64_t codex_bank_hold_until(const struct codex_bank_policy *pol, const struct codex_bank_user *u)
{
	return add_sat(add_sat(u->state_not_after, CODEX_FRESH_WINDOW), pol->hold_grace);
}

const char *codex_finding_name(enum codex_finding f)
{
	switch (f) {
	case CODEX_FIND_FORK:
		return "fork";
	case CODEX_FIND_OMITTED:
		return "omitted";
	case CODEX_FIND_OVERSPENT:
		return "overspent";
	case CODEX_FIND_CONFLICT:
		return "claimed-and-refused";
	case CODEX_FIND_NONE:
		break;
	}
	return "none";
}

/* ---- the unit ------------------------------------------------------------ */

void codex_bank_unit_init(struct codex_bank_unit *k, const struct codex_bank_policy *pol, int64_t now)
{
	memset(k, 0, sizeof(*k));
	k->pol = pol;
	k->now = now;
}

void codex_bank_unit_free(struct codex_bank_unit *k)
{
	free(k->users);
	free(k->tokens);
	free(k->refusals);
	free(k->eff.moves);
	free(k->eff.losses);
	free(k->eff.findings);
	free(k->eff.listed);
	memset(k, 0, sizeof(*k));
}

/* Room for one more element in a growing array. */
static obol_err grow(void **v, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *nv;
	if (n < *cap)
		return OBOL_OK;
	ncap = *cap ? 2 * *cap : 16;
	if (!(nv = realloc(*v, ncap * size)))
		return OBOL_E_NO_MEMORY;
	*v = nv;
	*cap = ncap;
	return OBOL_OK;
}

struct codex_bank_user *codex_bank_unit_user(struct codex_bank_unit *k, uint64_t id)
{
	for (size_t i = 0; i < k->nusers; i++)
		if (k->users[i].p.id == id)
			return &k->users[i];
	return NULL;
}

obol_err codex_bank_unit_add_user(struct codex_bank_unit *k, const struct codex_bank_user *u)
{
	obol_err e;
	if (codex_bank_unit_user(k, u->p.id))
		return OBOL_OK;
	if ((e = grow((void **)&k->users, k->nusers, &k->users_cap, sizeof(*k->users))) != OBOL_OK)
		return e;
	k->users[k->nusers] = *u;
	k->users[k->nusers].fresh = k->users[k->nusers].dirty = false;
	k->nusers++;
	return OBOL_OK;
}

obol_err codex_bank_unit_add_token(struct codex_bank_unit *k, const struct codex_token_row *t)
{
	obol_err e;
	for (size_t i = 0; i < k->ntokens; i++)
		if (k->tokens[i].variant == t->variant && memcmp(k->tokens[i].id, t->id, CODEX_TOKEN_ID_LEN) == 0)
			return OBOL_OK;
	if ((e = grow((void **)&k->tokens, k->ntokens, &k->tokens_cap, sizeof(*k->tokens))) != OBOL_OK)
		return e;
	k->tokens[k->ntokens] = *t;
	k->tokens[k->ntokens].fresh = k->tokens[k->ntokens].dirty = false;
	k->ntokens++;
	return OBOL_OK;
}

obol_err codex_bank_unit_add_refusal(struct codex_bank_unit *k, const struct codex_refusal *f)
{
	obol_err e;
	for (size_t i = 0; i < k->nrefusals; i++)
		if (k->refusals[i].f.payee_id == f->payee_id &&
		    memcmp(k->refusals[i].f.token_hash, f->token_hash, OBOL_HASH_LEN) == 0)
			return OBOL_OK;
	if ((e = grow((void **)&k->refusals, k->nrefusals, &k->refusals_cap, sizeof(*k->refusals))) != OBOL_OK)
		return e;
	k->refusals[k->nrefusals].f = *f;
	k->refusals[k->nrefusals].fresh = false;
	k->nrefusals++;
	return OBOL_OK;
}

/* ---- effects --------------------------------------------------------------- */

obol_err cx_move(struct codex_bank_unit *k, uint8_t from, uint64_t from_id, uint8_t to, uint64_t to_id,
		 const struct obol_amount *amount, const char *reason, const char *ref)
{
	struct codex_move *m;
	obol_err e;
	if (obol_amount_is_zero(amount))
		return OBOL_OK;
	if (obol_amount_is_negative(amount))
		return OBOL_E_INTERNAL;
	if ((e = grow((void **)&k->eff.moves, k->eff.nmoves, &k->eff.moves_cap, sizeof(*m))) != OBOL_OK)
		return e;
	m = &k->eff.moves[k->eff.nmoves++];
	memset(m, 0, sizeof(*m));
	m->from = from;
	m->from_id = from_id;
	m->to = to;
	m->to_id = to_id;
	m->amount = *amount;
	m->reason = reason;
	if (obol_strlcpy_checked(m->ref, ref, sizeof(m->ref)) != OBOL_OK)
		return OBOL_E_INTERNAL;
	return OBOL_OK;
}

/* Puts user u on the blacklist (once): no token of it passes a payee's
 * checks after its last state's expiry and the freshness window. */
static obol_err list_user(struct codex_bank_unit *k, struct codex_bank_user *u)
{
	struct codex_listing *l;
	obol_err e;
	if (u->blacklisted)
		return OBOL_OK;
	if ((e = grow((void **)&k->eff.listed, k->eff.nlisted, &k->eff.listed_cap, sizeof(*l))) != OBOL_OK)
		return e;
	l = &k->eff.listed[k->eff.nlisted++];
	l->user = u->p.id;
	l->until = add_sat(u->state_not_after, CODEX_FRESH_WINDOW);
	u->blacklisted = true;
	u->dirty = true;
	return OBOL_OK;
}

obol_err cx_find(struct codex_bank_unit *k, struct codex_bank_user *p, enum codex_finding kind, const uint8_t *token_id)
{
	struct codex_finding_rec *f;
	obol_err e;
	if ((e = grow((void **)&k->eff.findings, k->eff.nfindings, &k->eff.findings_cap, sizeof(*f))) != OBOL_OK)
		return e;
	f = &k->eff.findings[k->eff.nfindings++];
	memset(f, 0, sizeof(*f));
	f->party = p->p.id;
	f->kind = (uint8_t)kind;
	if (token_id)
		memcpy(f->token_id, token_id, CODEX_TOKEN_ID_LEN);
	/* blame rests on what the party signed: its tokens, or its refusal
	 * beside its own claim; a user found is listed (a vendor pays no one) */
	return p->p.kind == CODEX_PARTY_USER ? list_user(k, p) : OBOL_OK;
}

obol_err cx_cover(struct codex_bank_unit *k, struct codex_bank_user *u, bool proven)
{
	struct obol_amount value, deficit, from_dep, outside, back;
	struct codex_loss *l;
	bool found = u->blacklisted;
	int cmp;
	obol_err e;
	if ((e = codex_bank_value(u, &value)) != OBOL_OK || (e = obol_amount_zero(value.currency, &outside)) != OBOL_OK)
		return e;
	if (obol_amount_is_negative(&value)) {
		/* the payees are paid: the deposit lends the deficit as far as it
		 * goes, the rest comes from outside */
		if ((e = obol_amount_zero(value.currency, &deficit)) != OBOL_OK || (e = cx_sub(&deficit, &value)) != OBOL_OK)
			return e;
		if ((e = obol_amount_cmp(&deficit, &u->deposit, &cmp)) != OBOL_OK)
			return e;
		from_dep = cmp < 0 ? deficit : u->deposit;
		if (obol_amount_is_negative(&from_dep) && (e = obol_amount_zero(value.currency, &from_dep)) != OBOL_OK)
			return e;
		if ((e = obol_amount_sub(&outside, &deficit, &from_dep)) != OBOL_OK ||
		    (e = cx_sub(&u->deposit, &from_dep)) != OBOL_OK || (e = cx_add(&u->advanced, &from_dep)) != OBOL_OK ||
		    (e = cx_add(&u->loaded, &deficit)) != OBOL_OK)
			return e;
		u->dirty = true;
		if ((e = cx_move(k, CODEX_ACCT_OUTSIDE, 0, CODEX_ACCT_LIABILITY, 0, &outside, "codex-loss", u->p.name)) !=
		    OBOL_OK)
			return e;
		/* an honest Codex's deficit never passes one epoch's limit */
		if (!obol_amount_is_zero(&outside))
			proven = true;
	} else if (!found && !obol_amount_is_zero(&u->advanced) && !obol_amount_is_zero(&value)) {
		/* the credits came: the loan goes back to the deposit */
		if ((e = obol_amount_cmp(&value, &u->advanced, &cmp)) != OBOL_OK)
			return e;
		back = cmp < 0 ? value : u->advanced;
		if ((e = cx_sub(&u->loaded, &back)) != OBOL_OK || (e = cx_sub(&u->advanced, &back)) != OBOL_OK ||
		    (e = cx_add(&u->deposit, &back)) != OBOL_OK)
			return e;
		u->dirty = true;
	}
	if (!(proven || found) || (obol_amount_is_zero(&u->advanced) && obol_amount_is_zero(&outside)))
		return OBOL_OK;
	/* final: the deposit paid what it lent, the outside the rest */
	if ((e = grow((void **)&k->eff.losses, k->eff.nlosses, &k->eff.losses_cap, sizeof(*l))) != OBOL_OK)
		return e;
	l = &k->eff.losses[k->eff.nlosses++];
	l->user = u->p.id;
	l->from_deposit = u->advanced;
	l->from_outside = outside;
	if ((e = obol_amount_add(&l->deficit, &u->advanced, &outside)) != OBOL_OK ||
	    (e = obol_amount_zero(value.currency, &u->advanced)) != OBOL_OK)
		return e;
	l->reason = "overspent";
	u->dirty = true;
	return found ? OBOL_OK : cx_find(k, u, CODEX_FIND_OVERSPENT, NULL);
}

obol_err cx_cover_all(struct codex_bank_unit *k)
{
	obol_err e = OBOL_OK;
	for (size_t i = 0; e == OBOL_OK && i < k->nusers; i++)
		if (k->users[i].p.kind == CODEX_PARTY_USER)
			e = cx_cover(k, &k->users[i], false);
	return e;
}

/* ---- certificates and states ---------------------------------------------- */

obol_err codex_bank_issue_cert(const struct codex_bank_policy *pol, struct codex_bank_user *u, int64_t now,
			       struct codex_cert *out)
{
	obol_err e;
	memset(out, 0, sizeof(*out));
	out->user_id = u->p.id;
	memcpy(out->name, u->p.name, sizeof(out->name));
	out->kind = u->p.kind;
	memcpy(out->sign_pk, u->p.sign_pk, OBOL_SIGN_PK_LEN);
	memcpy(out->box_pk, u->box_pk, OBOL_BOX_PK_LEN);
	/* never past the signing key's acceptance */
	out->not_after = obol_ed25519_signer_cap(pol->signer, add_sat(now, pol->cert_lifetime));
	if ((e = codex_cert_sign(out, pol->signer)) != OBOL_OK)
		return e;
	u->cert_not_after = out->not_after;
	u->dirty = true;
	return OBOL_OK;
}

obol_err codex_bank_issue_state(const struct codex_bank_policy *pol, struct codex_bank_user *u,
				uint64_t closed_entries, int64_t now, struct codex_state *out)
{
	struct obol_amount value;
	int cmp;
	obol_err e;

	memset(out, 0, sizeof(*out));
	if (u->blacklisted)
		return OBOL_E_CODEX_BLACKLISTED;
	if (pol->tx_limit == 0 || pol->tx_limit > CODEX_LOG_MAX || pol->lifetime <= 0)
		return OBOL_E_INVALID_ARGUMENT;
	if ((e = codex_bank_value(u, &value)) != OBOL_OK)
		return e;
	if (obol_amount_is_negative(&value) || obol_amount_is_negative(&u->deposit) || !obol_amount_is_zero(&u->advanced))
		return OBOL_E_CODEX_INCONSISTENT; /* cover first */
	out->version = CODEX_STATE_VERSION;
	out->user_id = u->p.id;
	memcpy(out->name, u->p.name, sizeof(out->name));
	out->epoch = u->epoch + 1;
	out->balance = value;
	out->deposit = u->deposit;
	/* the deposit covers what one log of this epoch can pay offline */
	out->spent_max = u->deposit;
	out->token_max = u->deposit;
	if (!obol_amount_is_zero(&pol->token_max)) {
		if ((e = obol_amount_cmp(&pol->token_max, &u->deposit, &cmp)) != OBOL_OK)
			return e;
		if (cmp < 0)
			out->token_max = pol->token_max;
	}
	out->tx_total = u->tx_total + closed_entries;
	out->tx_limit = pol->tx_limit;
	out->not_after = add_sat(now, pol->lifetime);
	out->issued = now;
	out->perf = u->perf;
	if ((e = codex_state_sign(out, pol->signer)) != OBOL_OK || (e = codex_state_hash(out, u->state_hash)) != OBOL_OK)
		return e;
	u->epoch = out->epoch;
	u->tx_total = out->tx_total;
	u->state_not_after = out->not_after;
	u->dirty = true;
	return OBOL_OK;
}

/* ---- create account --------------------------------------------------------- */

/* A new record for party in the unit, with zero figures. */
static obol_err add_fresh(struct codex_bank_unit *k, const struct codex_party *party, struct codex_bank_user **out)
{
	struct codex_bank_user fresh;
	obol_err e;
	memset(&fresh, 0, sizeof(fresh));
	fresh.p = *party;
	if ((e = obol_amount_zero(k->pol->currency, &fresh.loaded)) != OBOL_OK)
		return e;
	fresh.credits = fresh.debits = fresh.deposit = fresh.account = fresh.advanced = fresh.loaded;
	if ((e = grow((void **)&k->users, k->nusers, &k->users_cap, sizeof(*k->users))) != OBOL_OK)
		return e;
	*out = &k->users[k->nusers++];
	**out = fresh;
	(*out)->fresh = true;
	return OBOL_OK;
}

static obol_err in_currency(const struct codex_bank_policy *pol, const struct obol_amount *a)
{
	return strcmp(a->currency, pol->currency) == 0 ? OBOL_OK : OBOL_E_CODEX_AMOUNT_INVALID;
}

obol_err codex_bank_open(struct codex_bank_unit *k, const struct codex_open_req *r, struct codex_open_out *out)
{
	const struct codex_bank_policy *pol = k->pol;
	struct codex_bank_user *u = codex_bank_unit_user(k, r->party->id);
	obol_err e;

	memset(out, 0, sizeof(*out));
	if (r->party->kind != CODEX_PARTY_USER)
		return OBOL_E_CODEX_UNKNOWN_USER;
	if (in_currency(pol, &r->deposit) != OBOL_OK || obol_amount_is_negative(&r->deposit) ||
	    obol_amount_is_zero(&r->deposit))
		return OBOL_E_CODEX_DEPOSIT_INVALID;
	if (in_currency(pol, &r->amount) != OBOL_OK || obol_amount_is_negative(&r->amount))
		return OBOL_E_CODEX_AMOUNT_INVALID;
	if (u) {
		if (u->p.kind != CODEX_PARTY_USER)
			return OBOL_E_CODEX_UNKNOWN_USER;
		if (u->blacklisted)
			return OBOL_E_CODEX_BLACKLISTED;
		if (!u->closed)
			return OBOL_E_CODEX_ALREADY_OPEN;
		/* a closed account opens again: its figures and epochs go on, a
		 * deposit still held stays (it covers the closed Codex's copies) */
		u->closed = false;
		u->released = false;
	} else {
		if ((e = add_fresh(k, r->party, &u)) != OBOL_OK)
			return e;
	}
	memcpy(u->p.sign_pk, r->party->sign_pk, OBOL_SIGN_PK_LEN);
	memcpy(u->box_pk, r->box_pk, OBOL_BOX_PK_LEN);
	if ((e = cx_add(&u->loaded, &r->amount)) != OBOL_OK || (e = cx_add(&u->deposit, &r->deposit)) != OBOL_OK)
		return e;
	u->dirty = true;
	if ((e = cx_move(k, CODEX_ACCT_PARTY, u->p.id, CODEX_ACCT_LIABILITY, 0, &r->amount, "codex-load", u->p.name)) !=
		    OBOL_OK ||
	    (e = cx_move(k, CODEX_ACCT_PARTY, u->p.id, CODEX_ACCT_LIABILITY, 0, &r->deposit, "codex-deposit", u->p.name)) !=
		    OBOL_OK)
		return e;
	if ((e = codex_bank_issue_cert(pol, u, k->now, &out->cert)) != OBOL_OK)
		return e;
	return codex_bank_issue_state(pol, u, 0, k->now, &out->state);
}

obol_err codex_bank_vendor(struct codex_bank_unit *k, const struct codex_party *party,
			   const uint8_t box_pk[static OBOL_BOX_PK_LEN], struct codex_cert *out)
{
	struct codex_bank_user *u = codex_bank_unit_user(k, party->id);
	obol_err e;
	if (party->kind != CODEX_PARTY_VENDOR)
		return OBOL_E_CODEX_UNKNOWN_USER;
	if (!u) {
		if ((e = add_fresh(k, party, &u)) != OBOL_OK)
			return e;
	} else if (u->p.kind != CODEX_PARTY_VENDOR) {
		return OBOL_E_CODEX_UNKNOWN_USER;
	}
	/* the account's key may have changed; the box key is the vendor's choice */
	memcpy(u->p.sign_pk, party->sign_pk, OBOL_SIGN_PK_LEN);
	memcpy(u->box_pk, box_pk, OBOL_BOX_PK_LEN);
	u->dirty = true;
	return codex_bank_issue_cert(k->pol, u, k->now, out);
}

/* ---- release ---------------------------------------------------------------- */

obol_err codex_bank_release(struct codex_bank_unit *k, uint64_t account, struct codex_release_out *out)
{
	struct codex_bank_user *u = codex_bank_unit_user(k, account);
	struct obol_amount value, back;
	obol_err e;

	memset(out, 0, sizeof(*out));
	if ((e = obol_amount_zero(k->pol->currency, &out->paid)) != OBOL_OK)
		return e;
	if (!u || u->p.kind != CODEX_PARTY_USER)
		return OBOL_E_CODEX_UNKNOWN_USER;
	if ((!u->closed && !u->blacklisted) || u->released)
		return OBOL_E_CODEX_NOTHING_HELD;
	out->held_until = codex_bank_hold_until(k->pol, u);
	if (k->now < out->held_until)
		return OBOL_E_CODEX_DEPOSIT_HELD;
	/* every fraud found so far was covered from it; what is left goes back */
	if ((e = cx_cover(k, u, true)) != OBOL_OK || (e = codex_bank_value(u, &value)) != OBOL_OK ||
	    (e = obol_amount_add(&back, &value, &u->deposit)) != OBOL_OK)
		return e;
	if ((e = cx_move(k, CODEX_ACCT_LIABILITY, 0, CODEX_ACCT_PARTY, u->p.id, &back, "codex-release", u->p.name)) !=
	    OBOL_OK)
		return e;
	if ((e = cx_sub(&u->loaded, &value)) != OBOL_OK || (e = obol_amount_zero(k->pol->currency, &u->deposit)) != OBOL_OK)
		return e;
	u->released = true;
	u->dirty = true;
	out->paid = back;
	out->held_until = 0;
	return OBOL_OK;
}

/* ---- the blacklist ---------------------------------------------------------- */

static int by_since_desc(const void *a, const void *b)
{
	const struct codex_blacklist_entry *x = a, *y = b;
	if (x->since != y->since)
		return x->since > y->since ? -1 : 1;
	return x->user < y->user ? -1 : x->user > y->user;
}

static int by_user(const void *a, const void *b)
{
	const struct codex_blacklist_entry *x = a, *y = b;
	return x->user < y->user ? -1 : x->user > y->user;
}

obol_err codex_bank_blacklist_build(const struct codex_bank_policy *pol, struct codex_blacklist_entry *entries, size_t n,
				    uint64_t version, int64_t now, struct codex_blacklist *out, int64_t *next_prune)
{
	size_t live = 0;
	memset(out, 0, sizeof(*out));
	*next_prune = INT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (entries[i].until >= now)
			entries[live++] = entries[i];
	/* the most recent first, when there are more than one list carries
	 * (entries may be NULL when n is 0: qsort is not called on it) */
	if (live > 1)
		qsort(entries, live, sizeof(*entries), by_since_desc);
	if (live > CODEX_BLACKLIST_MAX)
		live = CODEX_BLACKLIST_MAX;
	if (live > 1)
		qsort(entries, live, sizeof(*entries), by_user);
	for (size_t i = 0; i < live; i++) {
		if (out->n > 0 && out->ids[out->n - 1] == entries[i].user)
			continue;
		out->ids[out->n++] = entries[i].user;
		if (entries[i].until < *next_prune)
			*next_prune = entries[i].until;
	}
	out->version = version;
	out->issued = now;
	return codex_blacklist_sign(out, pol->signer);
}

/* ---- check consistency ------------------------------------------------------ */

static const struct codex_bank_user *user_find(const struct codex_bank_user *users, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (users[mid].p.id == id)
			return &users[mid];
		if (users[mid].p.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

obol_err codex_bank_consistency(const char *currency, const struct codex_bank_user *users, size_t nusers,
				const struct codex_bank_token *tokens, size_t ntokens, const struct obol_amount *dispersed,
				struct codex_consistency *out)
{
	struct obol_amount *cred = NULL, *deb = NULL, held;
	int cmp;
	obol_err e = OBOL_OK;

	memset(out, 0, sizeof(*out));
	out->users = nusers;
	out->tokens = ntokens;
	out->dispersed = *dispersed;
	if ((e = obol_amount_zero(currency, &out->total_value)) != OBOL_OK ||
	    (e = obol_amount_zero(currency, &out->total_deposit)) != OBOL_OK)
		return e;
	cred = calloc(nusers ? nusers : 1, sizeof(*cred));
	deb = calloc(nusers ? nusers : 1, sizeof(*deb));
	if (!cred || !deb) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < nusers; i++) {
		if (i > 0 && users[i].p.id <= users[i - 1].p.id) {
			e = OBOL_E_INVALID_ARGUMENT;
			goto out;
		}
		if ((e = obol_amount_zero(currency, &cred[i])) != OBOL_OK || (e = obol_amount_zero(currency, &deb[i])) != OBOL_OK)
			goto out;
	}
	for (size_t k = 0; k < ntokens; k++) {
		const struct codex_bank_token *t = &tokens[k];
		const struct codex_bank_user *payer = user_find(users, nusers, t->payer_id);
		const struct codex_bank_user *payee = user_find(users, nusers, t->payee_id);
		if (!payer) { /* a token from no codex user cannot be consistent */
			out->unlogged++;
			continue;
		}
		/* a refused token moves no value; a user payee that also claims
		 * it was found (it signed both) */
		if (t->refused) {
			if (t->by_payee && payee && payee->p.kind == CODEX_PARTY_USER && !payee->blacklisted)
				out->conflicts_open++;
			continue;
		}
		if ((e = cx_add(&deb[payer - users], &t->amount)) != OBOL_OK)
			goto out;
		if (t->payee_kind == CODEX_PARTY_USER && payee && (e = cx_add(&cred[payee - users], &t->amount)) != OBOL_OK)
			goto out;
		/* every token in a payee's log is in its payer's log */
		if (t->by_payee && !t->by_payer && t->epoch < payer->epoch && !payer->blacklisted)
			out->unlogged++;
	}
	for (size_t i = 0; i < nusers; i++) {
		struct obol_amount v;
		int c1, c2;
		if ((e = obol_amount_cmp(&cred[i], &users[i].credits, &c1)) != OBOL_OK ||
		    (e = obol_amount_cmp(&deb[i], &users[i].debits, &c2)) != OBOL_OK)
			goto out;
		if (c1 != 0 || c2 != 0)
			out->mismatched++;
		if ((e = codex_bank_value(&users[i], &v)) != OBOL_OK)
			goto out;
		/* ... and within the payer's funds: no debt hides in a sum */
		if (obol_amount_is_negative(&v) || obol_amount_is_negative(&users[i].deposit))
			out->overspent++;
		if ((e = cx_add(&out->total_value, &v)) != OBOL_OK || (e = cx_add(&out->total_deposit, &users[i].deposit)) != OBOL_OK)
			goto out;
	}
	/* the total of all balances equals the total dispersed */
	if ((e = obol_amount_add(&held, &out->total_value, &out->total_deposit)) != OBOL_OK ||
	    (e = obol_amount_cmp(&held, dispersed, &cmp)) != OBOL_OK)
		goto out;
	out->ok = out->unlogged == 0 && out->overspent == 0 && out->mismatched == 0 && out->conflicts_open == 0 && cmp == 0;
	e = out->ok ? OBOL_OK : OBOL_E_CODEX_INCONSISTENT;
out:
	free(cred);
	free(deb);
	return e;
}
