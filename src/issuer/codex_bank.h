/* The codex scheme at the issuer (seed 004 §III ActivityMonitor, §VI.B;
 * DESIGN §8): the bank's tables and the units of work behind its routes.
 * Each unit reads the records a decision needs into a struct
 * codex_bank_unit, calls the pure decision of src/schemes/codex/bank.h,
 * and writes what it says: the records it changed, the ledger moves, the
 * losses, findings and blacklist entries. It decides nothing itself.
 *
 * Tables (migration component "codex"):
 *   codex_users     one row per codex party (user or vendor; id = ledger
 *                   account id): keys, epoch, hash and expiry of the last
 *                   state issued, certificate expiry, figures (loaded,
 *                   credits, debits, safe deposit), performance index,
 *                   blacklisted, closed ("deleted"), released;
 *   codex_tokens    every distinct token any log or deposit handed in, once
 *                   per signed form (id, variant), with its place in the
 *                   payer's log, which logs hold it, refused, and what it
 *                   proved;
 *   codex_refusals  the payees' signed refusals the bank holds, by token
 *                   hash and payee;
 *   codex_listed    the blacklisted users and until when their entry can
 *                   matter; codex_blacklist the current signed list built
 *                   from it;
 *   codex_losses, codex_findings  the report of each overspend covered and
 *                   each fraud found (§VI.B);
 *   codex_settings  the operator's policy (issuer init --codex-*).
 *
 * Money: opening a Codex moves the amount and the safe deposit from the
 * user's account to the ledger's "codex" liability account; offline
 * payments between users move value between codexes inside it; a token to
 * a vendor (or to a closed Codex) is paid from it to that account; closing
 * pays the value back at once and the deposit after its hold; a loss
 * beyond a safe deposit is put in from outside. The audit's outstanding
 * check is Σ (value + deposit) over codex_users, and a party below zero
 * fails it (a debt never hides in the sum).
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
#include "schemes/codex/blacklist_pages.h"
#include "store/store.h"

/* The operator's policy; 0 in a field means the default of
 * codex_bank_policy_default. */
struct codex_issuer_settings {
	int64_t lifetime;      /* of a state, seconds */
	uint64_t tx_limit;     /* log entries per epoch */
	int64_t token_max;     /* units of the currency: the most one token carries (0: the per-epoch limit) */
	int64_t cert_lifetime; /* seconds */
	int64_t hold_grace;    /* seconds */
};

struct codex_issuer_ctx {
	struct obol_store *s;
	const struct obol_issuer_keys *keys; /* master key = the bank's codex key */
	struct obol_ed25519_signer signer;   /* signs certificates, states, blacklists */
	const char *currency;
	int64_t now;
	struct codex_issuer_settings set;
};

OBOL_MUST_CHECK obol_err codex_issuer_migrate(struct obol_store *s);
/* Creates the first (empty, version 0) signed blacklist; idempotent. */
OBOL_MUST_CHECK obol_err codex_issuer_setup(struct obol_store *s, const struct obol_ed25519_signer *signer, int64_t now);
/* Stores one setting (issuer init) / reads them all (issuer start). */
OBOL_MUST_CHECK obol_err codex_issuer_setting_put(struct obol_store *s, const char *key, int64_t value);
OBOL_MUST_CHECK obol_err codex_issuer_settings_load(struct obol_store *s, struct codex_issuer_settings *out);

/* The current signed blacklist (bl on the caller's heap: it is large).
 * Inside a write transaction, a list with an entry past its end is built
 * again first (entries that can no longer matter are pruned), and a
 * database without one (made by `issuer init --no-ceremony`, started before
 * its ceremony) gets its version 0 (KEY_ONLINE_MISSING while no online key
 * is usable). */
OBOL_MUST_CHECK obol_err codex_issuer_blacklist(const struct codex_issuer_ctx *c, struct codex_blacklist *bl);
/* One signed page of the blacklist (blacklist_pages.h), read only: users
 * listed at a version in (since, version] (version 0: the current one),
 * ids above after. OBOL_E_INVALID_ARGUMENT for a version above the current
 * one or below since. out->items malloc'ed (codex_blacklist_page_free).
 * The page is signed with the key that signs the whole list. */
struct codex_issuer_page_req {
	uint64_t since, version, after;
	int64_t now;
};
OBOL_MUST_CHECK obol_err codex_issuer_blacklist_page(struct obol_store *s, const struct obol_ed25519_signer *signer,
						     const struct codex_issuer_page_req *r,
						     struct codex_blacklist_page *out);
/* The stored list, read only. */
OBOL_MUST_CHECK obol_err codex_issuer_blacklist_read(struct obol_store *s, struct codex_blacklist *bl);

/* Create account (§III AccountCreator, CodexCreator, UpdateBankRepository)
 * for an active user account with the given box key (its auth key signs):
 * codex_bank_open, and LEDGER_INSUFFICIENT_FUNDS. */
struct codex_issuer_open_req {
	int64_t account;
	const uint8_t *box_pk; /* OBOL_BOX_PK_LEN */
	struct obol_amount amount, deposit;
};
OBOL_MUST_CHECK obol_err codex_issuer_open(const struct codex_issuer_ctx *c, const struct codex_issuer_open_req *r,
					   struct codex_open_out *out);

/* Registers a vendor account as a codex payee and certifies its keys. */
OBOL_MUST_CHECK obol_err codex_issuer_vendor(const struct codex_issuer_ctx *c, int64_t account,
					     const uint8_t box_pk[static OBOL_BOX_PK_LEN], struct codex_cert *cert);

/* Update Codex / delete account (codex_bank_sync; req->account is the
 * authenticated account). out is freed with codex_sync_out_free. */
OBOL_MUST_CHECK obol_err codex_issuer_sync(const struct codex_issuer_ctx *c, const struct codex_sync_req *req,
					   struct codex_sync_out *out);

/* A vendor's deposit (codex_bank_deposit; req->vendor authenticated). */
OBOL_MUST_CHECK obol_err codex_issuer_deposit(const struct codex_issuer_ctx *c, const struct codex_deposit_req *req,
					      struct codex_deposit_out *out);

/* What is left of a closed or blacklisted Codex back to its account
 * (codex_bank_release). */
OBOL_MUST_CHECK obol_err codex_issuer_release(const struct codex_issuer_ctx *c, int64_t account,
					      struct codex_release_out *out);

/* Check consistency (§III) over the whole bank; prints the figures to out
 * (may be NULL). CODEX_INCONSISTENT when it does not hold. */
OBOL_MUST_CHECK obol_err codex_issuer_check(struct obol_store *s, const char *currency, FILE *out,
					    struct codex_consistency *res);

/* Calls fn, by id, for each user's record (not a vendor's) with its value
 * by every log (codex_bank_value): what the operator's reports show of
 * each Codex. Stops at the first error fn returns. */
typedef obol_err (*codex_issuer_user_fn)(void *ctx, const struct codex_bank_user *u, const struct obol_amount *value);
OBOL_MUST_CHECK obol_err codex_issuer_users(struct obol_store *s, const char *currency, codex_issuer_user_fn fn,
					    void *ctx);

/* Losses reported so far: their count, and the totals of the deficits and
 * of what came from the safe deposits and from outside. */
struct codex_issuer_losses {
	int64_t count;
	struct obol_amount deficit, from_deposit, from_outside;
	int64_t findings; /* findings recorded */
};
OBOL_MUST_CHECK obol_err codex_issuer_losses(struct obol_store *s, const char *currency, struct codex_issuer_losses *out);

#endif
