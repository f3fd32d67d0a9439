/* Internal to src/issuer/codex_*.c: the steps the codex bank's units of
 * work share. Each runs inside the caller's transaction. */
#ifndef OBOL_ISSUER_CODEX_INT_H
#define OBOL_ISSUER_CODEX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "issuer/codex_bank.h"
#include "issuer/codex_tables.h"

/* The records one unit touches, each loaded once; sized up front so that
 * pointers into it stay valid. */
struct touched {
	struct codex_rec *r;
	size_t n, cap;
};
OBOL_MUST_CHECK obol_err cx_touched_new(struct touched *t, size_t cap);
/* The record of id; NULL with *e set (CODEX_UNKNOWN_USER when absent). */
struct codex_rec *cx_rec_get(struct touched *t, struct obol_store *s, uint64_t id, obol_err *e);
/* Writes every touched record back. */
OBOL_MUST_CHECK obol_err cx_touched_write(struct touched *t, struct obol_store *s);

int64_t cx_lifetime(const struct codex_issuer_ctx *c);
uint64_t cx_tx_limit(const struct codex_issuer_ctx *c);
/* A ledger transfer of units (nothing for 0). */
OBOL_MUST_CHECK obol_err cx_move(const struct codex_issuer_ctx *c, int64_t from, int64_t to, int64_t units,
				 const char *reason, const char *ref);
OBOL_MUST_CHECK obol_err cx_liability(const struct codex_issuer_ctx *c, int64_t *id);
/* CreateBlacklist: adds the user, re-signs and stores the blacklist. */
OBOL_MUST_CHECK obol_err cx_blacklist_add(const struct codex_issuer_ctx *c, struct codex_rec *r);
/* Guarantee of payment: a negative value is paid from the safe deposit and
 * from outside; the user is blacklisted and the loss recorded. */
OBOL_MUST_CHECK obol_err cx_cover(const struct codex_issuer_ctx *c, struct codex_rec *r, size_t *findings);

/* A token its payee hands in (a RECEIVE entry, or a vendor's deposit), its
 * signature already verified; *credit says whether the payee is owed it now. */
OBOL_MUST_CHECK obol_err cx_take_from_payee(const struct codex_issuer_ctx *c, struct touched *tw,
					    const struct codex_token *t, uint8_t payee_kind, bool *credit,
					    size_t *findings);
/* A PAY entry of the payer u's handed-in log: recorded, payee credited
 * (or, when it carries the payee's verified refusal, nothing moved). */
OBOL_MUST_CHECK obol_err cx_take_from_payer(const struct codex_issuer_ctx *c, struct touched *tw,
					    struct codex_rec *u, const struct codex_entry *en, size_t *self_findings);

#endif
