/* Funding and payouts, idempotent under their reference (moves.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "issuer/moves.h"
#include "store/ledger.h"

obol_err obol_issuer_move(struct obol_store *s, const struct obol_move *m, char **reply, bool *repeated)
{
	struct obol_account a;
	char key[OBOL_MOVE_REF_MAX + 32], body[400], amt[OBOL_AMOUNT_STR_MAX], bal[OBOL_AMOUNT_STR_MAX];
	uint8_t h[OBOL_HASH_LEN];
	int status = 0;
	const char *verb = m->fund ? "fund" : "payout";
	*reply = NULL;
	*repeated = false;
	obol_err e = obol_account_get(s, m->account, &a);
	if (e != OBOL_OK)
		return e;
	obol_amount_format(&m->amount, amt);
	snprintf(body, sizeof body, "%s\n%lld\n%s", verb, (long long)a.id, amt);
	obol_sha256(h, body, strlen(body));
	if (m->ref != NULL) {
		if (snprintf(key, sizeof key, "cli-%s:%s", verb, m->ref) >= (int)sizeof key)
			return OBOL_E_PARSE_TOO_LONG;
		if ((e = obol_idem_lookup(s, key, h, repeated, &status, reply)) != OBOL_OK || *repeated)
			return e;
	}
	const char *ref = m->ref != NULL ? m->ref : m->journal_ref;
	e = m->fund ? obol_ledger_fund(s, a.id, &m->amount, ref) : obol_ledger_payout(s, a.id, &m->amount, ref);
	if (e == OBOL_OK)
		e = obol_ledger_balance(s, a.id, &a.balance);
	if (e != OBOL_OK)
		return e;
	obol_amount_format(&a.balance, bal);
	if (asprintf(reply, "%s %s %s %s (account %lld); balance %s", m->fund ? "funded" : "paid out", amt,
		     m->fund ? "to" : "from", a.name, (long long)a.id, bal) < 0) {
		*reply = NULL;
		return OBOL_E_NO_MEMORY;
	}
	if (m->ref != NULL && (e = obol_idem_store(s, key, h, 200, *reply)) != OBOL_OK) {
		free(*reply);
		*reply = NULL;
	}
	return e;
}
