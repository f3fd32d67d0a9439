/* The bank's revocations (seed 002 §3.3.2 step 4; issue 12 cases 2, 5, 9):
 * each revoked key with the time its revocation took effect, the accounts
 * barred for a proven double spend, the published list and the lookups of
 * one request. See ecash_issuer.h. */
#include <stdlib.h>
#include <string.h>

#include "issuer/ecash_issuer.h"

/* Appends (id, at) to rl, growing its table by doubling. */
static obol_err rl_add(struct ecash_revocations *rl, size_t *cap, const uint8_t *id, int64_t at)
{
	if (rl->n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		struct ecash_revoked *nk = realloc(rl->keys, ncap * sizeof(*nk));
		if (nk == NULL)
			return OBOL_E_NO_MEMORY;
		rl->keys = nk;
		*cap = ncap;
	}
	memcpy(rl->keys[rl->n].id, id, ECASH_ID_LEN);
	rl->keys[rl->n++].at = at;
	return OBOL_OK;
}

/* Appends the rows of st (key id, and the time when `with_at`). */
static obol_err rl_read(struct obol_stmt *st, struct ecash_revocations *rl, size_t *cap, bool with_at)
{
	bool row;
	obol_err e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *id = obol_stmt_column_blob(st, 0, &len);
		if (len != ECASH_ID_LEN)
			return OBOL_E_INTERNAL;
		if ((e = rl_add(rl, cap, id, with_at ? obol_stmt_column_int64(st, 1) : 0)) != OBOL_OK)
			return e;
	}
	return e;
}

/* Component "ecash-revocations": the index a delta of the list reads by
 * (the keys revoked since a time); the whole list walks the primary key. */
static const struct obol_migration rl_steps[] = {
	{ "CREATE INDEX ecash_revoked_at ON ecash_revoked (at, key_id);", NULL },
};

obol_err ecash_issuer_revocations_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "ecash-revocations", rl_steps, OBOL_ARRAY_LEN(rl_steps));
}

obol_err ecash_issuer_revocation_page(struct obol_store *s, const struct ecash_rl_query *q, struct ecash_rl_page *p)
{
	struct obol_stmt *st = NULL;
	bool row = false, more = false;
	bool pg = obol_store_backend(s) == OBOL_STORE_POSTGRES;
	memset(p, 0, sizeof(*p));
	if (q->since < 0 || q->since > q->version)
		return OBOL_E_INVALID_ARGUMENT;
	/* One row past the page tells whether another follows. A delta reads
	 * by the time of revocation and sorts what it found (SQLite's unary
	 * plus keeps its planner off the key index, which would walk the whole
	 * list; PostgreSQL's statistics choose alone); the whole list walks the
	 * key index from `after`. A key whose certificate expired more than a
	 * coin lifetime before the version signed nothing a live coin carries:
	 * it is left out (the bank keeps the row and checks requests itself). */
	obol_err e = obol_stmt_prepare(
		s,
		q->since > 0 ? (pg ? "SELECT r.key_id, r.at FROM ecash_revoked r JOIN ecash_certs c ON c.key_id = r.key_id"
				     " WHERE r.at >= ? AND r.key_id > ? AND r.at <= ? AND c.expiry > ?"
				     " ORDER BY r.key_id LIMIT ?"
				   : "SELECT r.key_id, r.at FROM ecash_revoked r JOIN ecash_certs c ON c.key_id = r.key_id"
				     " WHERE r.at >= ? AND +r.key_id > ? AND r.at <= ? AND c.expiry > ?"
				     " ORDER BY +r.key_id LIMIT ?")
			     : "SELECT r.key_id, r.at FROM ecash_revoked r JOIN ecash_certs c ON c.key_id = r.key_id"
			       " WHERE ? = 0 AND r.key_id > ? AND r.at <= ? AND c.expiry > ? ORDER BY r.key_id LIMIT ?",
		&st);
	if (e != OBOL_OK)
		return e;
	if ((p->keys = malloc(ECASH_RL_PAGE_MAX * sizeof(*p->keys))) == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	e = obol_stmt_bindf(st, "ibiii", q->since, q->after, (size_t)ECASH_ID_LEN, q->version,
			    q->version - q->coin_lifetime, (int64_t)ECASH_RL_PAGE_MAX + 1);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *id = obol_stmt_column_blob(st, 0, &len);
		if (p->n == ECASH_RL_PAGE_MAX) {
			more = true;
			break;
		}
		if (len != ECASH_ID_LEN) {
			e = OBOL_E_INTERNAL;
			break;
		}
		memcpy(p->keys[p->n].id, id, ECASH_ID_LEN);
		p->keys[p->n++].at = obol_stmt_column_int64(st, 1);
	}
out:
	obol_stmt_finish(st);
	if (e != OBOL_OK) {
		ecash_rl_page_clear(p);
		return e;
	}
	p->version = q->version;
	p->since = q->since;
	memcpy(p->after, q->after, ECASH_ID_LEN);
	if (more)
		memcpy(p->through, p->keys[p->n - 1].id, ECASH_ID_LEN);
	else
		memset(p->through, 0xff, ECASH_ID_LEN);
	return OBOL_OK;
}

obol_err ecash_issuer_revocations_of(struct obol_store *s, const uint8_t (*ids)[ECASH_ID_LEN], size_t n,
				     struct ecash_revocations *rl)
{
	size_t cap = 0;
	obol_err e = OBOL_OK;
	memset(rl, 0, sizeof(*rl));
	for (size_t i = 0; i < n && e == OBOL_OK; i++) {
		struct obol_stmt *st;
		bool row;
		if ((e = obol_stmt_prepare(s, "SELECT at FROM ecash_revoked WHERE key_id = ?", &st)) != OBOL_OK)
			break;
		if ((e = obol_stmt_bind_blob(st, 1, ids[i], ECASH_ID_LEN)) == OBOL_OK &&
		    (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
			e = rl_add(rl, &cap, ids[i], obol_stmt_column_int64(st, 0));
		obol_stmt_finish(st);
	}
	if (e != OBOL_OK) {
		ecash_revocations_clear(rl);
		return e;
	}
	ecash_revocations_sort(rl);
	rl->held = true;
	return OBOL_OK;
}

obol_err ecash_issuer_revoke(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN], const char *reason,
			     int64_t now)
{
	struct obol_stmt *st;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT 1 FROM ecash_revoked WHERE key_id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	if (e != OBOL_OK || row)
		return e;
	return obol_store_run(s, NULL, "INSERT INTO ecash_revoked (key_id, at, reason) VALUES (?, ?, ?)", "bit", id,
			      (size_t)ECASH_ID_LEN, now, reason);
}

obol_err ecash_issuer_revoke_account(struct obol_store *s, int64_t account, const char *reason, int64_t now)
{
	struct obol_stmt *st;
	bool row;
	struct ecash_revocations keys = { 0 };
	size_t cap = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT key_id FROM ecash_certs WHERE account = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, account)) == OBOL_OK)
		e = rl_read(st, &keys, &cap, false);
	obol_stmt_finish(st);
	for (size_t i = 0; i < keys.n && e == OBOL_OK; i++)
		e = ecash_issuer_revoke(s, keys.keys[i].id, reason, now);
	ecash_revocations_clear(&keys);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_prepare(s, "SELECT 1 FROM ecash_barred WHERE account = ?", &st)) != OBOL_OK)
		return e;
	row = false;
	if ((e = obol_stmt_bind_int64(st, 1, account)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	if (e != OBOL_OK || row)
		return e;
	return obol_store_run(s, NULL, "INSERT INTO ecash_barred (account, at, reason) VALUES (?, ?, ?)", "iit", account,
			      now, reason);
}

/* Adds id to ids unless it is there. */
static obol_err ids_add(uint8_t (**ids)[ECASH_ID_LEN], size_t *n, size_t *cap, const uint8_t id[ECASH_ID_LEN])
{
	for (size_t i = 0; i < *n; i++)
		if (memcmp((*ids)[i], id, ECASH_ID_LEN) == 0)
			return OBOL_OK;
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		void *ni = realloc(*ids, ncap * ECASH_ID_LEN);
		if (ni == NULL)
			return OBOL_E_NO_MEMORY;
		*ids = ni;
		*cap = ncap;
	}
	memcpy((*ids)[(*n)++], id, ECASH_ID_LEN);
	return OBOL_OK;
}

obol_err ecash_issuer_request_keys(const struct ecash_cert *holder, const struct ecash_held_coin *coins, size_t n,
				   uint8_t (**ids)[ECASH_ID_LEN], size_t *nids)
{
	uint8_t id[ECASH_ID_LEN];
	size_t cap = 0;
	obol_err e = OBOL_OK;
	*ids = NULL;
	*nids = 0;
	if (holder != NULL) {
		ecash_key_id_der(holder->key, holder->key_len, id);
		e = ids_add(ids, nids, &cap, id);
	}
	for (size_t i = 0; i < n && e == OBOL_OK; i++)
		for (size_t j = 0; j < coins[i].nchain && e == OBOL_OK; j++)
			for (size_t k = 0; k < coins[i].chain[j].ncerts && e == OBOL_OK; k++) {
				const struct ecash_cert *c = &coins[i].chain[j].certs[k];
				ecash_key_id_der(c->key, c->key_len, id);
				e = ids_add(ids, nids, &cap, id);
			}
	if (e != OBOL_OK) {
		free(*ids);
		*ids = NULL;
		*nids = 0;
	}
	return e;
}
