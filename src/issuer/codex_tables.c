/* The codex scheme's issuer tables: one function per operation on them
 * (see codex_bank.h for the schema's meaning). SQL with bound parameters
 * only. */
#include "issuer/codex_tables.h"

#include <stdlib.h>
#include <string.h>

static const struct obol_migration codex_steps[] = {
	{ "CREATE TABLE codex_users ("
	  " id BIGINT PRIMARY KEY, name TEXT NOT NULL, kind BIGINT NOT NULL,"
	  " sign_pk BYTEA NOT NULL, box_pk BYTEA NOT NULL,"
	  " epoch BIGINT NOT NULL, state_hash BYTEA NOT NULL, tx_total BIGINT NOT NULL, perf BIGINT NOT NULL,"
	  " loaded BIGINT NOT NULL, credits BIGINT NOT NULL, debits BIGINT NOT NULL, deposit BIGINT NOT NULL,"
	  " blacklisted BIGINT NOT NULL, deleted BIGINT NOT NULL, created BIGINT NOT NULL);"
	  "CREATE TABLE codex_tokens ("
	  " id BYTEA PRIMARY KEY, payer BIGINT NOT NULL, payee BIGINT NOT NULL, payee_kind BIGINT NOT NULL,"
	  " epoch BIGINT NOT NULL, seq BIGINT NOT NULL, amount BIGINT NOT NULL, time BIGINT NOT NULL,"
	  " token BYTEA NOT NULL, by_payer BIGINT NOT NULL, by_payee BIGINT NOT NULL, finding BIGINT NOT NULL);"
	  "CREATE INDEX codex_tokens_slot ON codex_tokens (payer, epoch, seq);"
	  "CREATE INDEX codex_tokens_payee ON codex_tokens (payee, by_payee);"
	  "CREATE TABLE codex_blacklist (id BIGINT PRIMARY KEY, version BIGINT NOT NULL, blob BYTEA NOT NULL);"
	  "CREATE TABLE codex_losses (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, time BIGINT NOT NULL,"
	  " deficit BIGINT NOT NULL, from_deposit BIGINT NOT NULL, loss BIGINT NOT NULL, reason TEXT NOT NULL);",
	  NULL },
	/* a token its payee refused: refunded to its payer, claimable by nobody */
	{ "ALTER TABLE codex_tokens ADD COLUMN refused BIGINT NOT NULL DEFAULT 0;", NULL },
};

obol_err codex_issuer_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "codex", codex_steps, OBOL_ARRAY_LEN(codex_steps));
}

/* ---- users --------------------------------------------------------------- */

#define USER_COLS                                                                                      \
	"id, name, kind, sign_pk, box_pk, epoch, state_hash, tx_total, perf, loaded, credits, debits, " \
	"deposit, blacklisted, deleted"

static obol_err blob_exact(struct obol_stmt *st, int col, uint8_t *out, size_t n)
{
	size_t len;
	const void *p = obol_stmt_column_blob(st, col, &len);
	if (len != n || !p)
		return OBOL_E_CODEX_TABLE_CORRUPT;
	memcpy(out, p, n);
	return OBOL_OK;
}

static obol_err user_row(struct obol_stmt *st, struct codex_rec *r)
{
	const char *name = obol_stmt_column_text(st, 1);
	obol_err e;
	memset(r, 0, sizeof(*r));
	r->u.p.id = (uint64_t)obol_stmt_column_int64(st, 0);
	if (!name || obol_strlcpy_checked(r->u.p.name, name, sizeof(r->u.p.name)) != OBOL_OK)
		return OBOL_E_CODEX_TABLE_CORRUPT;
	r->u.p.kind = (uint8_t)obol_stmt_column_int64(st, 2);
	if ((e = blob_exact(st, 3, r->u.p.sign_pk, 32)) != OBOL_OK || (e = blob_exact(st, 4, r->box_pk, 32)) != OBOL_OK ||
	    (e = blob_exact(st, 6, r->u.state_hash, 32)) != OBOL_OK)
		return e;
	r->u.epoch = (uint64_t)obol_stmt_column_int64(st, 5);
	r->u.tx_total = (uint64_t)obol_stmt_column_int64(st, 7);
	r->u.perf = (uint64_t)obol_stmt_column_int64(st, 8);
	r->u.loaded = obol_stmt_column_int64(st, 9);
	r->u.credits = obol_stmt_column_int64(st, 10);
	r->u.debits = obol_stmt_column_int64(st, 11);
	r->u.deposit = obol_stmt_column_int64(st, 12);
	r->u.blacklisted = obol_stmt_column_int64(st, 13) != 0;
	r->deleted = obol_stmt_column_int64(st, 14) != 0;
	return OBOL_OK;
}

obol_err codex_db_user_get(struct obol_store *s, uint64_t id, struct codex_rec *r)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT " USER_COLS " FROM codex_users WHERE id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, (int64_t)id)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		e = row ? user_row(st, r) : OBOL_E_CODEX_UNKNOWN_USER;
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_user_insert(struct obol_store *s, const struct codex_rec *r, int64_t now)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO codex_users (" USER_COLS ", created)"
			      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "itibbibiiiiiiiii", (int64_t)r->u.p.id, r->u.p.name, (int64_t)r->u.p.kind, r->u.p.sign_pk,
			      (size_t)32, r->box_pk, (size_t)32, (int64_t)r->u.epoch, r->u.state_hash, (size_t)32,
			      (int64_t)r->u.tx_total, (int64_t)r->u.perf, r->u.loaded, r->u.credits, r->u.debits,
			      r->u.deposit, (int64_t)r->u.blacklisted, (int64_t)r->deleted, now);
}

obol_err codex_db_user_update(struct obol_store *s, const struct codex_rec *r)
{
	int64_t changes;
	obol_err e = obol_store_run(s, &changes,
				    "UPDATE codex_users SET box_pk = ?, epoch = ?, state_hash = ?, tx_total = ?, perf = ?,"
				    " loaded = ?, credits = ?, debits = ?, deposit = ?, blacklisted = ?, deleted = ?"
				    " WHERE id = ?",
				    "bibiiiiiiiii", r->box_pk, (size_t)32, (int64_t)r->u.epoch, r->u.state_hash,
				    (size_t)32, (int64_t)r->u.tx_total, (int64_t)r->u.perf, r->u.loaded, r->u.credits,
				    r->u.debits, r->u.deposit, (int64_t)r->u.blacklisted, (int64_t)r->deleted,
				    (int64_t)r->u.p.id);
	if (e == OBOL_OK && changes != 1)
		e = OBOL_E_CODEX_UNKNOWN_USER;
	return e;
}

obol_err codex_db_users_all(struct obol_store *s, struct codex_bank_user **out, size_t *n)
{
	struct obol_stmt *st;
	struct codex_bank_user *v = NULL;
	size_t cap = 0, len = 0;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT " USER_COLS " FROM codex_users ORDER BY id", &st);
	*out = NULL;
	*n = 0;
	if (e != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct codex_rec r;
		if (len == cap) {
			struct codex_bank_user *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!nv) {
				e = OBOL_E_NO_MEMORY;
				break;
			}
			v = nv;
		}
		if ((e = user_row(st, &r)) != OBOL_OK)
			break;
		v[len++] = r.u;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK) {
		free(v);
		return e;
	}
	*out = v;
	*n = len;
	return OBOL_OK;
}

/* ---- tokens -------------------------------------------------------------- */

#define TOKEN_COLS \
	"id, payer, payee, payee_kind, epoch, seq, amount, time, token, by_payer, by_payee, finding, refused"

static obol_err token_row(struct obol_stmt *st, struct codex_db_token *t)
{
	size_t len;
	const void *p;
	obol_err e;
	memset(t, 0, sizeof(*t));
	if ((e = blob_exact(st, 0, t->id, CODEX_TOKEN_ID_LEN)) != OBOL_OK)
		return e;
	t->row.payer_id = (uint64_t)obol_stmt_column_int64(st, 1);
	t->row.payee_id = (uint64_t)obol_stmt_column_int64(st, 2);
	t->row.payee_kind = (uint8_t)obol_stmt_column_int64(st, 3);
	t->row.epoch = (uint64_t)obol_stmt_column_int64(st, 4);
	t->seq = (uint64_t)obol_stmt_column_int64(st, 5);
	t->row.amount = obol_stmt_column_int64(st, 6);
	t->time = obol_stmt_column_int64(st, 7);
	p = obol_stmt_column_blob(st, 8, &len);
	if (!p || len > sizeof(t->blob))
		return OBOL_E_CODEX_TABLE_CORRUPT;
	memcpy(t->blob, p, len);
	t->blob_len = len;
	t->row.by_payer = obol_stmt_column_int64(st, 9) != 0;
	t->row.by_payee = obol_stmt_column_int64(st, 10) != 0;
	t->finding = (int)obol_stmt_column_int64(st, 11);
	t->row.refused = obol_stmt_column_int64(st, 12) != 0;
	return OBOL_OK;
}

obol_err codex_db_token_get(struct obol_store *s, const uint8_t id[static CODEX_TOKEN_ID_LEN],
			    struct codex_db_token *t, bool *found)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT " TOKEN_COLS " FROM codex_tokens WHERE id = ?", &st);
	*found = false;
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, CODEX_TOKEN_ID_LEN)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		e = token_row(st, t);
		*found = e == OBOL_OK;
	}
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_token_slot(struct obol_store *s, uint64_t payer, uint64_t epoch, uint64_t seq,
			     uint8_t id[static CODEX_TOKEN_ID_LEN], bool *found)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(
		s, "SELECT id FROM codex_tokens WHERE payer = ? AND epoch = ? AND seq = ? ORDER BY id LIMIT 1", &st);
	*found = false;
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "iii", (int64_t)payer, (int64_t)epoch, (int64_t)seq)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		e = blob_exact(st, 0, id, CODEX_TOKEN_ID_LEN);
		*found = e == OBOL_OK;
	}
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_token_insert(struct obol_store *s, const struct codex_db_token *t)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO codex_tokens (" TOKEN_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "biiiiiiibiiii", t->id, (size_t)CODEX_TOKEN_ID_LEN, (int64_t)t->row.payer_id,
			      (int64_t)t->row.payee_id, (int64_t)t->row.payee_kind, (int64_t)t->row.epoch,
			      (int64_t)t->seq, t->row.amount, t->time, t->blob, t->blob_len,
			      (int64_t)t->row.by_payer, (int64_t)t->row.by_payee, (int64_t)t->finding,
			      (int64_t)t->row.refused);
}

obol_err codex_db_token_mark(struct obol_store *s, const uint8_t id[static CODEX_TOKEN_ID_LEN], bool by_payer,
			     bool by_payee)
{
	return obol_store_run(s, NULL, "UPDATE codex_tokens SET by_payer = ?, by_payee = ? WHERE id = ?", "iib",
			      (int64_t)by_payer, (int64_t)by_payee, id, (size_t)CODEX_TOKEN_ID_LEN);
}

/* Calls fn for each token the query gives, binding its nparams integer
 * parameters. */
static obol_err token_query(struct obol_store *s, const char *sql, const int64_t *params, int nparams,
			    obol_err (*fn)(const struct codex_db_token *t, void *ctx), void *ctx)
{
	struct obol_stmt *st;
	struct codex_db_token *t = malloc(sizeof(*t));
	bool row;
	obol_err e;
	if (!t)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_stmt_prepare(s, sql, &st)) != OBOL_OK) {
		free(t);
		return e;
	}
	for (int i = 0; e == OBOL_OK && i < nparams; i++)
		e = obol_stmt_bind_int64(st, i + 1, params[i]);
	if (e == OBOL_OK)
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
			if ((e = token_row(st, t)) != OBOL_OK || (e = fn(t, ctx)) != OBOL_OK)
				break;
	obol_stmt_finish(st);
	free(t);
	return e;
}

obol_err codex_db_tokens_reported(struct obol_store *s, uint64_t payer, uint64_t epoch,
				  obol_err (*fn)(const struct codex_db_token *t, void *ctx), void *ctx)
{
	return token_query(s,
			   "SELECT " TOKEN_COLS " FROM codex_tokens WHERE payer = ? AND epoch = ? AND by_payee = 1"
			   " ORDER BY seq, id",
			   (const int64_t[]){ (int64_t)payer, (int64_t)epoch }, 2, fn, ctx);
}

obol_err codex_db_tokens_settled_to(struct obol_store *s, uint64_t payee, int64_t since,
				    obol_err (*fn)(const struct codex_db_token *t, void *ctx), void *ctx)
{
	return token_query(s,
			   "SELECT " TOKEN_COLS " FROM codex_tokens WHERE payee = ? AND by_payee = 0 AND refused = 0 AND time >= ?"
			   " ORDER BY id",
			   (const int64_t[]){ (int64_t)payee, since }, 2, fn, ctx);
}

static obol_err collect_row(const struct codex_db_token *t, void *ctx)
{
	struct codex_token_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct codex_bank_token *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return OBOL_E_NO_MEMORY;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = t->row;
	return OBOL_OK;
}

obol_err codex_db_tokens_all(struct obol_store *s, struct codex_token_list *out)
{
	memset(out, 0, sizeof(*out));
	return token_query(s, "SELECT " TOKEN_COLS " FROM codex_tokens ORDER BY id", NULL, 0, collect_row, out);
}

/* ---- blacklist and losses ------------------------------------------------ */

obol_err codex_db_blacklist_get(struct obol_store *s, struct codex_blacklist *bl)
{
	struct obol_stmt *st;
	bool row;
	size_t len;
	const void *p;
	obol_err e = obol_stmt_prepare(s, "SELECT blob FROM codex_blacklist WHERE id = 1", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (!row)
			e = OBOL_E_NOT_FOUND;
		else if (!(p = obol_stmt_column_blob(st, 0, &len)) || codex_blacklist_decode(p, len, bl) != OBOL_OK)
			e = OBOL_E_CODEX_TABLE_CORRUPT;
	}
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_blacklist_put(struct obol_store *s, const struct codex_blacklist *bl)
{
	uint8_t *buf;
	size_t len;
	obol_err e = codex_blacklist_encode(bl, &buf, &len);
	if (e != OBOL_OK)
		return e;
	e = obol_store_run(s, NULL, "DELETE FROM codex_blacklist WHERE id = 1", "");
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "INSERT INTO codex_blacklist (id, version, blob) VALUES (1, ?, ?)", "ib",
				   (int64_t)bl->version, buf, len);
	free(buf);
	return e;
}

obol_err codex_db_loss_add(struct obol_store *s, uint64_t user, int64_t now, int64_t deficit, int64_t from_deposit,
			   int64_t loss, const char *reason)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO codex_losses (id, user_id, time, deficit, from_deposit, loss, reason)"
			      " SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ? FROM codex_losses",
			      "iiiiit", (int64_t)user, now, deficit, from_deposit, loss, reason);
}

obol_err codex_issuer_losses(struct obol_store *s, int64_t *count, int64_t *total)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT COUNT(*), COALESCE(SUM(deficit), 0) FROM codex_losses", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		*count = obol_stmt_column_int64(st, 0);
		*total = obol_stmt_column_int64(st, 1);
	}
	obol_stmt_finish(st);
	return e;
}
