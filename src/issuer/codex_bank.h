/* The codex scheme at the issuer (seed 004 §III ActivityMonitor, §VI.B;
 * DESIGN §8): the bank's tables and the units of work behind its routes.
 *
 * Tables (migration component "codex"):
 *   codex_users     one row per codex party (user or vendor; id = ledger
 *                   account id): keys, epoch and hash of the last state
 *                   issued, figures (loaded, credits, debits, safe deposit),
 *                   performance index, blacklisted, deleted;
 *   codex_tokens    every token any log or deposit handed in, once (id is
 *                   the key), with its place in the payer's log and which
 *                   logs hold it (by_payer, by_payee) and any finding;
 *   codex_blacklist the one current signed blacklist;
 *   codex_losses    the report of each overspend covered (§VI.B).
 *
 * Money: opening a Codex moves the amount and the safe deposit from the
 * user's account to the ledger's "codex" liability account; offline payments
 * between users move value between codexes inside it; a token to a vendor is
 * paid from it to the vendor's account (at the vendor's deposit, or at the
 * payer's sync when the payer's log settles it first); closing pays value
 * and deposit back; a loss beyond a safe deposit is put in from outside. The
 * audit's outstanding check is Σ (value + deposit) over codex_users.
 *
 * Every function runs inside the caller's transaction (an issuer unit of
 * work, or a test's) and either completes or returns an error after which
 * the caller rolls back: a refused request changes nothing. */
#ifndef OBOL_ISSUER_CODEX_BANK_H
#define OBOL_ISSUER_CODEX_BANK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/amount.h"
#include "core/error.h"
#include "issuer/keys.h"
#include "schemes/codex/bank.h"
#include "store/store.h"

struct codex_issuer_ctx {
	struct obol_store *s;
	const struct obol_issuer_keys *keys; /* master key = the bank's codex key */
	const char *currency;
	int64_t now;
	int64_t lifetime;  /* of a state; 0 = CODEX_DEFAULT_LIFETIME */
	uint64_t tx_limit; /* of a state; 0 = CODEX_DEFAULT_TX_LIMIT */
};

OBOL_MUST_CHECK obol_err codex_issuer_migrate(struct obol_store *s);
/* Creates the first (empty, version 0) signed blacklist; idempotent. */
OBOL_MUST_CHECK obol_err codex_issuer_setup(struct obol_store *s, const struct obol_issuer_keys *keys, int64_t now);

/* The current blacklist (bl on the caller's heap: it is large). */
OBOL_MUST_CHECK obol_err codex_issuer_blacklist(struct obol_store *s, struct codex_blacklist *bl);

/* Create account (§III AccountCreator, CodexCreator, UpdateBankRepository):
 * for an active user account with the given sign key (its auth key) and
 * box key, moves amount and deposit from the account into the Codex and
 * the safe deposit, and issues the certificate and first state.
 * CODEX_ALREADY_OPEN, CODEX_DEPOSIT_INVALID, CODEX_AMOUNT_INVALID,
 * LEDGER_INSUFFICIENT_FUNDS. */
OBOL_MUST_CHECK obol_err codex_issuer_open(const struct codex_issuer_ctx *c, int64_t account,
					   const uint8_t box_pk[static OBOL_BOX_PK_LEN],
					   const struct obol_amount *amount, const struct obol_amount *deposit,
					   struct codex_cert *cert, struct codex_state *st);

/* Registers a vendor account as a codex payee (idempotent for the same
 * keys; a new box key gets a new certificate) and certifies its keys. */
OBOL_MUST_CHECK obol_err codex_issuer_vendor(const struct codex_issuer_ctx *c, int64_t account,
					     const uint8_t box_pk[static OBOL_BOX_PK_LEN], struct codex_cert *cert);

struct codex_sync_result {
	bool renewed;             /* a new state was issued */
	struct codex_state state; /* when renewed */
	bool blacklisted;         /* the user is on the blacklist (no renewal) */
	size_t findings;          /* frauds this sync proved (any party) */
	int64_t value;            /* the user's value at the bank after the sync */
	int64_t paid_out;         /* close: what went back to the account */
	/* tokens to this user that other logs settled and it never reported:
	 * the wallet adds them to its received ids (recent ones only) */
	size_t nsettled;
	uint8_t (*settled_ids)[CODEX_TOKEN_ID_LEN]; /* malloc'ed; free with codex_sync_result_free */
	int64_t *settled_times;
};
void codex_sync_result_free(struct codex_sync_result *r);

/* Update Codex (§III: RetrieveLog → Check Consistency → credit and debit
 * from the logs → UpdateAccount; §VI.B): verifies the handed-in state and log
 * (codex_bank_verify_log: a bad one changes nothing); records each token
 * once, crediting its payee and debiting its payer; finds forks and
 * omissions (a rolled-back Codex) for this user and for the payers of the
 * tokens it received, blacklists the culprits, covers any overspend from
 * the safe deposit and reports the loss; optionally loads `load` from the
 * account; then renews the Codex (new epoch, balance = value, expiry) unless
 * the user is blacklisted. With close, instead of renewing it pays the
 * value and the deposit back to the account and deletes the codex account.
 * A user found out at this sync is answered OK with res->blacklisted (the
 * findings stand); a user already blacklisted is refused with
 * CODEX_BLACKLISTED (the bank keeps what is left of its deposit). */
OBOL_MUST_CHECK obol_err codex_issuer_sync(const struct codex_issuer_ctx *c, int64_t account,
					   const struct codex_state *st, const struct codex_entry *entries, size_t n,
					   const struct obol_amount *claimed, const struct obol_amount *load, bool close,
					   struct codex_sync_result *res);

/* A vendor deposits the tokens it received: each is checked (payee is this
 * vendor: CODEX_NOT_PAYEE; payer known: CODEX_UNKNOWN_USER; signature:
 * CODEX_SIGNATURE; already deposited: CODEX_TOKEN_SEEN) and, when good,
 * recorded and paid to the vendor's account (unless the payer's log had
 * settled it already), with fork/omission findings as at a sync. results[i]
 * gets each token's outcome; *paid the total paid now. */
OBOL_MUST_CHECK obol_err codex_issuer_deposit(const struct codex_issuer_ctx *c, int64_t vendor,
					      const struct codex_token *tokens, size_t n, obol_err *results,
					      struct obol_amount *paid);

/* Check consistency (§III) over the whole bank; prints the figures to out
 * (may be NULL). CODEX_INCONSISTENT when it does not hold. */
OBOL_MUST_CHECK obol_err codex_issuer_check(struct obol_store *s, const char *currency, FILE *out,
					    struct codex_consistency *res);

/* Losses reported so far (count and total units). */
OBOL_MUST_CHECK obol_err codex_issuer_losses(struct obol_store *s, int64_t *count, int64_t *total);

#endif
