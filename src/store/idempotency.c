/* Idempotent requests (ledger.h, DESIGN §4 "Idempotency"): a request key
 * stored with the hash of the request body and the answer, in the same
 * transaction as the request's effects. The table is created with the
 * ledger's (ledger.c). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "store/ledger.h"

#define IDEM_KEY_MAX 256
#define IDEM_REPLY_MAX (1u << 20)

obol_err obol_idem_lookup(struct obol_store *s, const char *key, const uint8_t body_hash[32], bool *found,
			  int *status, char **reply)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	size_t hlen = 0;
	*found = false;
	*reply = NULL;
	if (key == NULL || key[0] == '\0' || strlen(key) > IDEM_KEY_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	obol_err e = obol_stmt_prepare(s, "SELECT body_hash, status, reply FROM idempotency WHERE key = ?", &st);
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_bind_text(st, 1, key);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e != OBOL_OK || !row)
		goto out;
	const void *h = obol_stmt_column_blob(st, 0, &hlen);
	if (h == NULL || hlen != 32 || !obol_ct_equal(h, body_hash, 32)) {
		e = OBOL_E_IDEMPOTENCY_MISMATCH;
		goto out;
	}
	const char *r = obol_stmt_column_text(st, 2);
	*reply = strdup(r ? r : "");
	if (*reply == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	*status = (int)obol_stmt_column_int64(st, 1);
	*found = true;
out:
	obol_stmt_finish(st);
	return e;
}

obol_err obol_idem_store(struct obol_store *s, const char *key, const uint8_t body_hash[32], int status,
			 const char *reply)
{
	if (key == NULL || key[0] == '\0' || strlen(key) > IDEM_KEY_MAX || reply == NULL ||
	    strlen(reply) > IDEM_REPLY_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	obol_err e = obol_store_run(s, NULL,
				    "INSERT INTO idempotency (key, body_hash, status, reply, created) "
				    "VALUES (?, ?, ?, ?, ?)",
				    "tbiti", key, (const void *)body_hash, (size_t)32, (int64_t)status, reply,
				    obol_now());
	/* The same key stored meanwhile by a concurrent request: running this
	 * transaction again finds and returns that request's answer. */
	return e == OBOL_E_STORE_CONSTRAINT ? OBOL_E_STORE_CONFLICT : e;
}
