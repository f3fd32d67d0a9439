/* Internal to src/issuer/codex_*.c: the codex tables, one function per
 * operation on them (schema and migrations in codex_tables.c; meaning in
 * codex_bank.h). Each runs inside the caller's transaction. Amounts are
 * stored as units of the ledger's currency and read back as amounts. */
#ifndef OBOL_ISSUER_CODEX_TABLES_H
#define OBOL_ISSUER_CODEX_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "schemes/codex/bank.h"
#include "schemes/codex/blacklist_pages.h"
#include "store/store.h"

/* CODEX_UNKNOWN_USER when absent. */
OBOL_MUST_CHECK obol_err codex_db_user_get(struct obol_store *s, const char *currency, uint64_t id,
					   struct codex_bank_user *u);
OBOL_MUST_CHECK obol_err codex_db_user_insert(struct obol_store *s, const struct codex_bank_user *u, int64_t now);
OBOL_MUST_CHECK obol_err codex_db_user_update(struct obol_store *s, const struct codex_bank_user *u);
/* Every record, by id (*out malloc'ed). */
OBOL_MUST_CHECK obol_err codex_db_users_all(struct obol_store *s, const char *currency, struct codex_bank_user **out,
					    size_t *n);

/* Calls fn for each stored token the query names: all variants under an id;
 * those at a place (payer, epoch, seq); those of a payer's epoch that a
 * payee reported; those to a payee settled from its payers' logs since a
 * time and never reported by it. */
typedef obol_err (*codex_db_token_fn)(const struct codex_token_row *t, void *ctx);
OBOL_MUST_CHECK obol_err codex_db_tokens_by_id(struct obol_store *s, const char *currency,
					       const uint8_t id[static CODEX_TOKEN_ID_LEN], codex_db_token_fn fn,
					       void *ctx);
OBOL_MUST_CHECK obol_err codex_db_tokens_at(struct obol_store *s, const char *currency, uint64_t payer, uint64_t epoch,
					    uint64_t seq, codex_db_token_fn fn, void *ctx);
OBOL_MUST_CHECK obol_err codex_db_tokens_reported(struct obol_store *s, const char *currency, uint64_t payer,
						  uint64_t epoch, codex_db_token_fn fn, void *ctx);
OBOL_MUST_CHECK obol_err codex_db_tokens_settled_to(struct obol_store *s, const char *currency, uint64_t payee,
						    int64_t since, codex_db_token_fn fn, void *ctx);
OBOL_MUST_CHECK obol_err codex_db_token_insert(struct obol_store *s, const struct codex_token_row *t);
/* Stores the flags of a token (which logs hold it, refused). */
OBOL_MUST_CHECK obol_err codex_db_token_update(struct obol_store *s, const struct codex_token_row *t);
/* Every token, for the consistency check (out malloc'ed). */
OBOL_MUST_CHECK obol_err codex_db_tokens_all(struct obol_store *s, const char *currency, struct codex_bank_token **out,
					     size_t *n);

/* The refusals held of the tokens under an id. */
OBOL_MUST_CHECK obol_err codex_db_refusals_by_token(struct obol_store *s, const uint8_t id[static CODEX_TOKEN_ID_LEN],
						    obol_err (*fn)(const struct codex_refusal *f, void *ctx), void *ctx);
OBOL_MUST_CHECK obol_err codex_db_refusal_insert(struct obol_store *s, const struct codex_refusal *f, int64_t now);

/* The signed blacklist: its stored form, version and when it must be built
 * again (NOT_FOUND before codex_issuer_setup). */
OBOL_MUST_CHECK obol_err codex_db_blacklist_get(struct obol_store *s, struct codex_blacklist *bl, int64_t *next_prune);
OBOL_MUST_CHECK obol_err codex_db_blacklist_put(struct obol_store *s, const struct codex_blacklist *bl, int64_t next_prune);
/* The listed users (one row each; the bank's list has no cap). */
OBOL_MUST_CHECK obol_err codex_db_listed_add(struct obol_store *s, uint64_t user, int64_t since, int64_t until);
OBOL_MUST_CHECK obol_err codex_db_listed_all(struct obol_store *s, struct codex_blacklist_entry **out, size_t *n);
/* The version of the stored blacklist. */
OBOL_MUST_CHECK obol_err codex_db_blacklist_version(struct obol_store *s, uint64_t *version);
/* One page of the listings (blacklist_pages.h): users listed at a version
 * in (since, version] whose until >= now, ids above after, ascending, at
 * most limit into out; *more when others follow. One index range read. */
struct codex_db_page_query {
	uint64_t since, version, after;
	int64_t now;
	size_t limit;
};
OBOL_MUST_CHECK obol_err codex_db_listed_page(struct obol_store *s, const struct codex_db_page_query *q,
					      struct codex_blacklist_item *out, size_t *n, bool *more);
/* Forgets the listed users whose entries can no longer matter. */
OBOL_MUST_CHECK obol_err codex_db_listed_prune(struct obol_store *s, int64_t now);

OBOL_MUST_CHECK obol_err codex_db_loss_add(struct obol_store *s, const struct codex_loss *l, int64_t now);
OBOL_MUST_CHECK obol_err codex_db_finding_add(struct obol_store *s, const struct codex_finding_rec *f, int64_t now);

/* The operator's settings (issuer init --codex-*), each absent = default. */
OBOL_MUST_CHECK obol_err codex_db_setting_put(struct obol_store *s, const char *key, int64_t value);
OBOL_MUST_CHECK obol_err codex_db_setting_get(struct obol_store *s, const char *key, int64_t *value, bool *found);

#endif
