/* The bank's ActivityMonitor decisions (bank.h; seed 004 §III, §VI.B). */
#include "schemes/codex/bank.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

obol_err codex_bank_value(const struct codex_bank_user *u, int64_t *value)
{
	int64_t v;
	if (__builtin_add_overflow(u->loaded, u->credits, &v) || __builtin_sub_overflow(v, u->debits, &v))
		return OBOL_E_AMOUNT_OVERFLOW;
	*value = v;
	return OBOL_OK;
}

obol_err codex_bank_issue_cert(const struct codex_party *p, const uint8_t box_pk[static OBOL_BOX_PK_LEN], int64_t now,
			       const uint8_t bank_sk[static OBOL_SIGN_SK_LEN], struct codex_cert *out)
{
	memset(out, 0, sizeof(*out));
	out->user_id = p->id;
	memcpy(out->name, p->name, sizeof(out->name));
	out->kind = p->kind;
	memcpy(out->sign_pk, p->sign_pk, OBOL_SIGN_PK_LEN);
	memcpy(out->box_pk, box_pk, OBOL_BOX_PK_LEN);
	out->not_after = now + CODEX_CERT_LIFETIME;
	return codex_cert_sign(out, bank_sk);
}

obol_err codex_bank_issue_state(struct codex_bank_user *u, const char *currency, uint64_t closed_entries, int64_t now,
				int64_t lifetime, uint64_t tx_limit, const uint8_t bank_sk[static OBOL_SIGN_SK_LEN],
				struct codex_state *out)
{
	int64_t value;
	obol_err e;

	memset(out, 0, sizeof(*out));
	if (u->blacklisted)
		return OBOL_E_CODEX_BLACKLISTED;
	if (tx_limit == 0 || tx_limit > CODEX_LOG_MAX || lifetime <= 0)
		return OBOL_E_INVALID_ARGUMENT;
	if ((e = codex_bank_value(u, &value)) != OBOL_OK)
		return e;
	if (value < 0 || u->deposit < 0)
		return OBOL_E_CODEX_INCONSISTENT; /* cover first */
	out->user_id = u->p.id;
	memcpy(out->name, u->p.name, sizeof(out->name));
	out->epoch = u->epoch + 1;
	if ((e = obol_amount_from_units(currency, value, &out->balance)) != OBOL_OK ||
	    (e = obol_amount_from_units(currency, u->deposit, &out->deposit)) != OBOL_OK)
		return e;
	out->tx_total = u->tx_total + closed_entries;
	out->tx_limit = tx_limit;
	out->not_after = now + lifetime;
	out->issued = now;
	out->perf = u->perf;
	if ((e = codex_state_sign(out, bank_sk)) != OBOL_OK)
		return e;
	if ((e = codex_state_hash(out, u->state_hash)) != OBOL_OK)
		return e;
	u->epoch = out->epoch;
	u->tx_total = out->tx_total;
	return OBOL_OK;
}

static const struct codex_party *party_find(const struct codex_party *parties, size_t n, uint64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (parties[i].id == id)
			return &parties[i];
	return NULL;
}

obol_err codex_bank_verify_log(const uint8_t bank_pk[static OBOL_SIGN_PK_LEN], const struct codex_bank_user *u,
			       const struct codex_state *st, const struct codex_entry *entries, size_t n,
			       const struct obol_amount *claimed, const struct codex_party *parties, size_t nparties)
{
	uint8_t h[OBOL_HASH_LEN], th[OBOL_HASH_LEN];
	struct obol_amount bal = st->balance;
	obol_err e;

	if (codex_state_verify(st, bank_pk) != OBOL_OK)
		return OBOL_E_CODEX_SIGNATURE;
	if ((e = codex_state_hash(st, h)) != OBOL_OK)
		return e;
	if (st->user_id != u->p.id || st->epoch != u->epoch || !obol_ct_equal(h, u->state_hash, OBOL_HASH_LEN))
		return OBOL_E_CODEX_STATE_STALE;
	if (n > st->tx_limit)
		return OBOL_E_CODEX_TX_LIMIT;
	codex_log_start(h, h);
	for (size_t i = 0; i < n; i++) {
		const struct codex_token *t = &entries[i].token;
		const struct codex_party *payer;
		if (t->amount.units <= 0 || !obol_amount_same_currency(&t->amount, &st->balance))
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
	if (!obol_amount_same_currency(&bal, claimed) || bal.units != claimed->units)
		return OBOL_E_CODEX_INCONSISTENT;
	return OBOL_OK;
}

const char *codex_finding_name(enum codex_finding f)
{
	switch (f) {
	case CODEX_FIND_FORK:
		return "fork";
	case CODEX_FIND_OMITTED:
		return "omitted";
	case CODEX_FIND_NONE:
		break;
	}
	return "none";
}

enum codex_finding codex_bank_classify(const struct codex_token *t, const uint8_t *slot_id, uint64_t payer_epoch)
{
	if (slot_id)
		return memcmp(slot_id, t->id, CODEX_TOKEN_ID_LEN) == 0 ? CODEX_FIND_NONE : CODEX_FIND_FORK;
	/* a state the bank never issued can only come from a forged Codex */
	if (t->epoch > payer_epoch || t->epoch == 0)
		return CODEX_FIND_FORK;
	/* the payer closed that epoch and its log had nothing at this place */
	if (t->epoch < payer_epoch)
		return CODEX_FIND_OMITTED;
	return CODEX_FIND_NONE; /* the payer has not handed in this epoch's log yet */
}

size_t codex_bank_omitted(const struct codex_entry *entries, size_t n, const uint8_t (*known_ids)[CODEX_TOKEN_ID_LEN],
			  const uint64_t *known_seqs, size_t nknown)
{
	size_t missing = 0;
	for (size_t k = 0; k < nknown; k++) {
		uint64_t s = known_seqs[k];
		if (s == 0 || s > n || entries[s - 1].kind != CODEX_ENTRY_PAY ||
		    memcmp(entries[s - 1].token.id, known_ids[k], CODEX_TOKEN_ID_LEN) != 0)
			missing++;
	}
	return missing;
}

obol_err codex_bank_cover(struct codex_bank_user *u, int64_t *from_deposit, int64_t *loss)
{
	int64_t value, deficit;
	obol_err e;
	*from_deposit = 0;
	*loss = 0;
	if ((e = codex_bank_value(u, &value)) != OBOL_OK)
		return e;
	if (value >= 0)
		return OBOL_OK;
	if (value == INT64_MIN)
		return OBOL_E_AMOUNT_OVERFLOW;
	deficit = -value;
	*from_deposit = deficit < u->deposit ? deficit : u->deposit;
	if (*from_deposit < 0)
		*from_deposit = 0;
	*loss = deficit - *from_deposit;
	u->deposit -= *from_deposit;
	u->loaded += deficit; /* brings the value to 0; the loss comes from outside */
	return OBOL_OK;
}

obol_err codex_bank_blacklist_add(struct codex_blacklist *bl, uint64_t user_id, int64_t now,
				  const uint8_t bank_sk[static OBOL_SIGN_SK_LEN])
{
	size_t at = 0;
	if (codex_blacklist_has(bl, user_id))
		return OBOL_OK;
	if (bl->n >= CODEX_BLACKLIST_MAX)
		return OBOL_E_CODEX_FULL;
	while (at < bl->n && bl->ids[at] < user_id)
		at++;
	memmove(&bl->ids[at + 1], &bl->ids[at], (bl->n - at) * sizeof(bl->ids[0]));
	bl->ids[at] = user_id;
	bl->n++;
	bl->version++;
	bl->issued = now;
	return codex_blacklist_sign(bl, bank_sk);
}

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

obol_err codex_bank_consistency(const struct codex_bank_user *users, size_t nusers,
				const struct codex_bank_token *tokens, size_t ntokens, int64_t dispersed,
				struct codex_consistency *out)
{
	int64_t *cred = NULL, *deb = NULL;
	obol_err e = OBOL_OK;

	memset(out, 0, sizeof(*out));
	out->users = nusers;
	out->tokens = ntokens;
	out->dispersed = dispersed;
	cred = calloc(nusers ? nusers : 1, sizeof(*cred));
	deb = calloc(nusers ? nusers : 1, sizeof(*deb));
	if (!cred || !deb) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	for (size_t i = 1; i < nusers; i++)
		if (users[i].p.id <= users[i - 1].p.id) {
			e = OBOL_E_INVALID_ARGUMENT;
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
		/* a refused token returned to its payer: it moves no value, and no
		 * payee may hold it */
		if (t->refused) {
			if (t->by_payee)
				out->refused_claimed++;
			continue;
		}
		if (__builtin_add_overflow(deb[payer - users], t->amount, &deb[payer - users])) {
			e = OBOL_E_AMOUNT_OVERFLOW;
			goto out;
		}
		if (t->payee_kind == CODEX_PARTY_USER && payee &&
		    __builtin_add_overflow(cred[payee - users], t->amount, &cred[payee - users])) {
			e = OBOL_E_AMOUNT_OVERFLOW;
			goto out;
		}
		/* every token in a payee's log is in its payer's log */
		if (t->by_payee && !t->by_payer && t->epoch < payer->epoch && !payer->blacklisted)
			out->unlogged++;
	}
	for (size_t i = 0; i < nusers; i++) {
		int64_t v;
		if (cred[i] != users[i].credits || deb[i] != users[i].debits)
			out->mismatched++;
		if ((e = codex_bank_value(&users[i], &v)) != OBOL_OK)
			goto out;
		/* ... and within the payer's funds */
		if (v < 0)
			out->overspent++;
		if (__builtin_add_overflow(out->total_value, v, &out->total_value) ||
		    __builtin_add_overflow(out->total_deposit, users[i].deposit, &out->total_deposit)) {
			e = OBOL_E_AMOUNT_OVERFLOW;
			goto out;
		}
	}
	/* the total of all balances equals the total dispersed */
	{
		int64_t held;
		if (__builtin_add_overflow(out->total_value, out->total_deposit, &held)) {
			e = OBOL_E_AMOUNT_OVERFLOW;
			goto out;
		}
		out->ok = out->unlogged == 0 && out->overspent == 0 && out->mismatched == 0 && out->refused_claimed == 0 &&
			  held == dispersed;
	}
	e = out->ok ? OBOL_OK : OBOL_E_CODEX_INCONSISTENT;
out:
	free(cred);
	free(deb);
	return e;
}
