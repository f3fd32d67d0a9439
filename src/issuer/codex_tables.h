/* Internal to src/issuer/codex_*.c: the codex tables, one function per
 * operation (schema in codex_tables.c; meaning in codex_bank.h). Each runs
 * inside the caller's transaction. */
#ifndef OBOL_ISSUER_CODEX_TABLES_H
#define OBOL_ISSUER_CODEX_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/parse.h"
#include "issuer/codex_bank.h"
#include "schemes/codex/bank.h"
#include "store/store.h"

struct codex_rec {
	struct codex_bank_user u;
	uint8_t box_pk[OBOL_BOX_PK_LEN];
	bool deleted;
};

struct codex_db_token {
	uint8_t id[CODEX_TOKEN_ID_LEN];
	struct codex_bank_token row;
	uint64_t seq;
	int64_t time;
	int finding; /* enum codex_finding */
	uint8_t blob[CODEX_TOKEN_MAX];
	size_t blob_len;
};

struct codex_token_list {
	struct codex_bank_token *v;
	size_t n, cap;
};

/* CODEX_UNKNOWN_USER when absent. */
OBOL_MUST_CHECK obol_err codex_db_user_get(struct obol_store *s, uint64_t id, struct codex_rec *r);
OBOL_MUST_CHECK obol_err codex_db_user_insert(struct obol_store *s, const struct codex_rec *r, int64_t now);
OBOL_MUST_CHECK obol_err codex_db_user_update(struct obol_store *s, const struct codex_rec *r);
/* Every record, by id (*out malloc'ed). */
OBOL_MUST_CHECK obol_err codex_db_users_all(struct obol_store *s, struct codex_bank_user **out, size_t *n);

OBOL_MUST_CHECK obol_err codex_db_token_get(struct obol_store *s, const uint8_t id[static CODEX_TOKEN_ID_LEN],
					    struct codex_db_token *t, bool *found);
/* The id of a token held at (payer, epoch, seq), if any. */
OBOL_MUST_CHECK obol_err codex_db_token_slot(struct obol_store *s, uint64_t payer, uint64_t epoch, uint64_t seq,
					     uint8_t id[static CODEX_TOKEN_ID_LEN], bool *found);
OBOL_MUST_CHECK obol_err codex_db_token_insert(struct obol_store *s, const struct codex_db_token *t);
OBOL_MUST_CHECK obol_err codex_db_token_mark(struct obol_store *s, const uint8_t id[static CODEX_TOKEN_ID_LEN],
					     bool by_payer, bool by_payee);
/* Tokens of a payer's epoch that a payee reported. */
OBOL_MUST_CHECK obol_err codex_db_tokens_reported(struct obol_store *s, uint64_t payer, uint64_t epoch,
						  obol_err (*fn)(const struct codex_db_token *t, void *ctx),
						  void *ctx);
/* Tokens to a payee, settled from payers' logs, that it never reported,
 * made at or after `since`. */
OBOL_MUST_CHECK obol_err codex_db_tokens_settled_to(struct obol_store *s, uint64_t payee, int64_t since,
						    obol_err (*fn)(const struct codex_db_token *t, void *ctx),
						    void *ctx);
/* Every token (out->v malloc'ed). */
OBOL_MUST_CHECK obol_err codex_db_tokens_all(struct obol_store *s, struct codex_token_list *out);

/* NOT_FOUND before codex_issuer_setup. */
OBOL_MUST_CHECK obol_err codex_db_blacklist_get(struct obol_store *s, struct codex_blacklist *bl);
OBOL_MUST_CHECK obol_err codex_db_blacklist_put(struct obol_store *s, const struct codex_blacklist *bl);
OBOL_MUST_CHECK obol_err codex_db_loss_add(struct obol_store *s, uint64_t user, int64_t now, int64_t deficit,
					   int64_t from_deposit, int64_t loss, const char *reason);

#endif
