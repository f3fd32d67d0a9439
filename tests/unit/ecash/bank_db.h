/* The ecash bank on a storage backend, for the store tests
 * (test_ecash_bank_store.c, test_ecash_rotate.c): the fixture's world
 * (fixture.h) with the bank's tables, its parties as ledger accounts, and
 * requests brought the way the routes bring them. */
#ifndef OBOL_TESTS_ECASH_BANK_DB_H
#define OBOL_TESTS_ECASH_BANK_DB_H

#include <jansson.h>
#include <stdbool.h>

#include "fixture.h"
#include "issuer/ecash_issuer.h"

struct bank_db {
	struct fx w;
	struct obol_store *s;
	struct ecash_issuer_state st;
};

/* What a request's unit needs. */
struct coins_tx {
	struct bank_db *b;
	struct ecash_coins_job job;
	int64_t now;
	json_t *reply;
};
/* The unit of a coins request: the holder's certificate registered, then
 * ecash_issuer_coins_record (obol_store_transact's callback, arg a coins_tx). */
obol_err coins_tx(struct obol_store *s, void *arg);
obol_err tx_begin(struct obol_store *s);
/* Opens the backend, the ledger and the ecash tables; accounts 101.. are
 * the fixture's parties (created in order so that their ids match), each
 * funded EUR:10. 0 on success. */
int open_bank(struct bank_db *b, const char *db_url, size_t parties);
void close_bank(struct bank_db *b);
/* Issues party i's wallet coins [first, ncoins) at the bank and records them. */
int issue(struct bank_db *b, size_t i, size_t first);
/* Party `who` brings coins[0..n) as `kind` at `now` (with terms, or NULL)
 * the way the route does, on store s; *reply is the answer. */
obol_err bring_on(struct bank_db *b, struct obol_store *s, enum ecash_entry_kind kind, size_t who,
		  const struct ecash_held_coin *coins, size_t n, struct ecash_deposit_req *terms, int64_t now,
		  json_t **reply);
obol_err bring(struct bank_db *b, enum ecash_entry_kind kind, size_t who, const struct ecash_held_coin *coins,
	       size_t n, int64_t now, json_t **reply);
/* Party m deposits its wallet coins [first, ncoins) (at FX_NOW). */
obol_err deposit_at(struct bank_db *b, size_t m, size_t first, int64_t now, json_t **reply);
obol_err deposit(struct bank_db *b, size_t m, size_t first, json_t **reply);
/* The name of result i of a coins reply. */
const char *result_name(const json_t *reply, size_t i);
bool audit_ok(struct obol_store *s);
obol_err refund(struct bank_db *b, size_t who, const struct ecash_held_coin *coins, size_t n, int64_t now,
		json_t **reply);
const char *balance_of(struct bank_db *b, size_t i, char text[static OBOL_AMOUNT_STR_MAX]);

#endif
