/* The issuer's double-entry ledger (DESIGN §4).
 *
 * Accounts are users, vendors, the outside world (funding and payouts stand
 * for bank transfers), and one liability account per scheme holding the value
 * outstanding in coins, chains, e-cash and codexes. Every movement of value is
 * one journal entry of two or more lines whose amounts sum to zero (a debit
 * is negative, a credit positive), with a reason and a reference. Balances are
 * kept per account and checked by `obol audit` against the lines.
 *
 * All functions but obol_ledger_init, obol_ledger_attach and obol_ledger_open
 * run inside the caller's transaction (obol_store_begin). When one fails, the caller rolls
 * back the transaction or its savepoint: a failed call may have changed some
 * rows before it found the error.
 *
 * Concurrency: a debit is one conditional UPDATE (... WHERE balance >= amount),
 * so two writers can never both spend the same money, on either backend;
 * accounts are updated in id order so that PostgreSQL writers do not deadlock. */
#ifndef OBOL_STORE_LEDGER_H
#define OBOL_STORE_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "store/store.h"

enum obol_account_kind {
	OBOL_ACCOUNT_USER = 1,
	OBOL_ACCOUNT_VENDOR = 2,
	OBOL_ACCOUNT_OUTSIDE = 3,   /* the one account for funding and payouts */
	OBOL_ACCOUNT_LIABILITY = 4, /* one per scheme: value outstanding */
};

enum obol_account_status { OBOL_ACCOUNT_ACTIVE = 1, OBOL_ACCOUNT_SUSPENDED = 2, OBOL_ACCOUNT_CLOSED = 3 };

#define OBOL_ACCOUNT_NAME_MAX 64

struct obol_account {
	int64_t id;
	enum obol_account_kind kind;
	enum obol_account_status status;
	char name[OBOL_ACCOUNT_NAME_MAX + 1]; /* display name; unique among users and vendors */
	uint8_t auth_pk[32];                  /* Ed25519 key that authenticates its requests */
	bool has_auth_pk;
	struct obol_amount balance;
};

/* Creates the ledger tables (migration component "ledger") and the outside
 * and liability accounts for the currency; idempotent. Runs its own
 * transactions. LEDGER_CURRENCY when the ledger keeps another currency. */
OBOL_MUST_CHECK obol_err obol_ledger_init(struct obol_store *s, const char *currency);

/* For code that opens an existing database: checks that it holds a ledger
 * (LEDGER_NOT_INITIALIZED otherwise), upgrades an older ledger schema and
 * refuses a newer one (STORE_SCHEMA_TOO_NEW). Runs its own transactions. */
OBOL_MUST_CHECK obol_err obol_ledger_attach(struct obol_store *s);

/* Opens an existing database (create = false) and attaches the ledger:
 * what every command that works on an initialised issuer database does. */
OBOL_MUST_CHECK obol_err obol_ledger_open(const char *url, struct obol_store **out);

/* The ledger's currency (set by init). */
OBOL_MUST_CHECK obol_err obol_ledger_currency(struct obol_store *s, char currency[OBOL_CURRENCY_MAX + 1]);

/* kind is USER or VENDOR; name: see LEDGER_NAME_INVALID (LEDGER_NAME_TAKEN
 * when it exists); auth_pk: 32 bytes or NULL. */
OBOL_MUST_CHECK obol_err obol_account_create(struct obol_store *s, enum obol_account_kind kind,
					     const char *name, const uint8_t *auth_pk, int64_t *id);
OBOL_MUST_CHECK obol_err obol_account_get(struct obol_store *s, int64_t id, struct obol_account *out);
OBOL_MUST_CHECK obol_err obol_account_by_name(struct obol_store *s, const char *name,
					      struct obol_account *out);
OBOL_MUST_CHECK obol_err obol_account_set_status(struct obol_store *s, int64_t id,
						 enum obol_account_status st);
/* Calls fn for each account of the kind (0: every kind) in id order; stops
 * at and returns the first error fn returns. */
typedef obol_err (*obol_account_fn)(const struct obol_account *a, void *ctx);
OBOL_MUST_CHECK obol_err obol_account_list(struct obol_store *s, enum obol_account_kind kind,
					   obol_account_fn fn, void *ctx);
/* The outside account, and the liability account of a scheme ("coupon",
 * "ecash", "payword", "codex"). */
OBOL_MUST_CHECK obol_err obol_account_outside(struct obol_store *s, int64_t *id);
OBOL_MUST_CHECK obol_err obol_account_liability(struct obol_store *s, const char *scheme, int64_t *id);

/* Posts one balanced entry moving `amount` from `from` to `to` (amount > 0).
 * Only the outside account may go negative: a debit that would take a user,
 * vendor or liability account below zero is LEDGER_INSUFFICIENT_FUNDS (a
 * liability below zero would mean a scheme paid out more than was issued);
 * a suspended or closed account on either side is LEDGER_ACCOUNT_CLOSED; an
 * amount in another currency LEDGER_CURRENCY. reason is a short label ("coupon-withdraw"), ref the
 * request id or object id it belongs to. *entry_id may be NULL. */
OBOL_MUST_CHECK obol_err obol_ledger_transfer(struct obol_store *s, int64_t from, int64_t to,
					      const struct obol_amount *amount, const char *reason,
					      const char *ref, int64_t *entry_id);

/* Funding (outside → account) and payout (account → outside). */
OBOL_MUST_CHECK obol_err obol_ledger_fund(struct obol_store *s, int64_t account,
					  const struct obol_amount *amount, const char *ref);
OBOL_MUST_CHECK obol_err obol_ledger_payout(struct obol_store *s, int64_t account,
					    const struct obol_amount *amount, const char *ref);

OBOL_MUST_CHECK obol_err obol_ledger_balance(struct obol_store *s, int64_t account, struct obol_amount *out);

/* Idempotency (DESIGN §4): a state-changing request carries a key (client
 * request id, or a hash of its content) and a hash of its body. lookup finds
 * a stored answer: *found, and the reply and its status; a key reused with a
 * different body hash is OBOL_E_IDEMPOTENCY_MISMATCH. store records the answer
 * in the same transaction as the request's effects. reply is malloc'ed. */
OBOL_MUST_CHECK obol_err obol_idem_lookup(struct obol_store *s, const char *key, const uint8_t body_hash[32],
					  bool *found, int *status, char **reply);
OBOL_MUST_CHECK obol_err obol_idem_store(struct obol_store *s, const char *key, const uint8_t body_hash[32],
					 int status, const char *reply);

#endif
