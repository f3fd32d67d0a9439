/* Internal to src/schemes/codex/bank*.c: the steps the bank's decisions
 * share, over the records of one unit (bank.h). */
#ifndef OBOL_SCHEMES_CODEX_BANK_INT_H
#define OBOL_SCHEMES_CODEX_BANK_INT_H

#include "schemes/codex/bank.h"

/* Appends a ledger move of amount (nothing for zero). ref: a party's name. */
OBOL_MUST_CHECK obol_err cx_move(struct codex_bank_unit *k, uint8_t from, uint64_t from_id, uint8_t to,
				 uint64_t to_id, const struct obol_amount *amount, const char *reason, const char *ref);
/* Records a finding against party p (token id or NULL) and, for a user,
 * puts it on the blacklist (once). */
OBOL_MUST_CHECK obol_err cx_find(struct codex_bank_unit *k, struct codex_bank_user *p, enum codex_finding kind,
				 const uint8_t *token_id);
/* Guarantee of payment and loss recovery (§VI.B). A user whose value is
 * below zero has its payees paid all the same: its safe deposit lends the
 * deficit as far as it goes (`advanced`), the rest comes from outside (a
 * loss, reported). A value below zero proves nothing by itself: an honest
 * Codex spends offline what it received, before its payers' logs credit
 * it at the bank, by at most one epoch's limit (the deposit). So the loan
 * goes back to the deposit as the value allows, and becomes final (a loss
 * row, the user found OVERSPENT if it was not found already) only when
 * `proven`: its own log is in (a sync or a close, where an honest Codex's
 * value is never below zero), the user is found, or the deficit passed
 * the deposit. */
OBOL_MUST_CHECK obol_err cx_cover(struct codex_bank_unit *k, struct codex_bank_user *u, bool proven);
/* Every user of the unit, covered (not proven) or given back its loan. */
OBOL_MUST_CHECK obol_err cx_cover_all(struct codex_bank_unit *k);
/* a += b, a -= b on a record's figure. */
OBOL_MUST_CHECK obol_err cx_add(struct obol_amount *a, const struct obol_amount *b);
OBOL_MUST_CHECK obol_err cx_sub(struct obol_amount *a, const struct obol_amount *b);

#endif
