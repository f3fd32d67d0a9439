/* The codex scheme's issuer tables: one function per operation on them
 * (see codex_bank.h for the schema's meaning). SQL with bound parameters
 * only. */
#include "issuer/codex_tables.h"

#include "issuer/codex_bank.h"

#include <stdlib.h>
#include <string.h>

#include "core/parse.h"

/* "now" in each dialect, for a migration that must date what it moves. */
#define NOW_SQLITE "CAST(strftime('%s','now') AS INTEGER)"
#define NOW_PG "CAST(extract(epoch from now()) AS BIGINT)"

/* Step 3: tokens known by their whole signed bytes (several under one id,
 * told apart by variant), the offline limits' bookkeeping, the refusals
 * the bank holds, the blacklist as a table of listed users, findings and
 * settings. A state issued before this step expired at most
 * CODEX_DEFAULT_LIFETIME after it (the daemon had no other lifetime), so
 * that is when the last state of every migrated Codex is taken to end; its
 * certificate was issued at creation for CODEX_CERT_LIFETIME. */
#define STEP3(NOW)                                                                                                 \
	"CREATE TABLE codex_tokens_v3 ("                                                                           \
	" id BYTEA NOT NULL, variant BIGINT NOT NULL, payer BIGINT NOT NULL, payee BIGINT NOT NULL,"             \
	" payee_kind BIGINT NOT NULL, epoch BIGINT NOT NULL, seq BIGINT NOT NULL, amount BIGINT NOT NULL,"       \
	" time BIGINT NOT NULL, token BYTEA NOT NULL, by_payer BIGINT NOT NULL, by_payee BIGINT NOT NULL,"        \
	" finding BIGINT NOT NULL, refused BIGINT NOT NULL, PRIMARY KEY (id, variant));"                          \
	"INSERT INTO codex_tokens_v3 (id, variant, payer, payee, payee_kind, epoch, seq, amount, time, token,"     \
	" by_payer, by_payee, finding, refused) SELECT id, 0, payer, payee, payee_kind, epoch, seq, amount, time," \
	" token, by_payer, by_payee, finding, refused FROM codex_tokens;"                                         \
	"DROP TABLE codex_tokens;"                                                                                 \
	"ALTER TABLE codex_tokens_v3 RENAME TO codex_tokens;"                                                      \
	"CREATE INDEX codex_tokens_slot ON codex_tokens (payer, epoch, seq);"                                      \
	"CREATE INDEX codex_tokens_payee ON codex_tokens (payee, by_payee);"                                       \
	"ALTER TABLE codex_users ADD COLUMN state_not_after BIGINT NOT NULL DEFAULT 0;"                            \
	"ALTER TABLE codex_users ADD COLUMN cert_not_after BIGINT NOT NULL DEFAULT 0;"                             \
	"ALTER TABLE codex_users ADD COLUMN released BIGINT NOT NULL DEFAULT 0;"                                   \
	"ALTER TABLE codex_users ADD COLUMN advanced BIGINT NOT NULL DEFAULT 0;"                                   \
	"UPDATE codex_users SET state_not_after = " NOW " + 2592000, cert_not_after = created + 31536000;"         \
	"CREATE TABLE codex_refusals (token_hash BYTEA NOT NULL, payee BIGINT NOT NULL, token_id BYTEA NOT NULL,"  \
	" payer BIGINT NOT NULL, refusal BYTEA NOT NULL, time BIGINT NOT NULL, PRIMARY KEY (token_hash, payee));"  \
	"CREATE INDEX codex_refusals_token ON codex_refusals (token_id);"                                          \
	"CREATE TABLE codex_listed (user_id BIGINT PRIMARY KEY, since BIGINT NOT NULL, until BIGINT NOT NULL);"    \
	"INSERT INTO codex_listed (user_id, since, until) SELECT id, " NOW ", state_not_after + 3600"             \
	" FROM codex_users WHERE blacklisted = 1;"                                                                 \
	"ALTER TABLE codex_blacklist ADD COLUMN next_prune BIGINT NOT NULL DEFAULT 0;"                             \
	"ALTER TABLE codex_losses ADD COLUMN from_outside BIGINT NOT NULL DEFAULT 0;"                              \
	"UPDATE codex_losses SET from_outside = loss;"                                                             \
	"CREATE TABLE codex_findings (id BIGINT PRIMARY KEY, party BIGINT NOT NULL, time BIGINT NOT NULL,"         \
	" kind TEXT NOT NULL, token_id BYTEA NOT NULL);"                                                           \
	"CREATE TABLE codex_settings (k TEXT PRIMARY KEY, v BIGINT NOT NULL);"

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
	{ STEP3(NOW_SQLITE), STEP3(NOW_PG) },
	/* step 4: each listing carries the blacklist version that added it, so
	 * a Codex asks only what was added since the version it holds (the
	 * listings already there are of the current version: a Codex with no
	 * paged copy yet asks the whole list) */
	{ "ALTER TABLE codex_listed ADD COLUMN version BIGINT NOT NULL DEFAULT 0;"
	  "UPDATE codex_listed SET version = COALESCE((SELECT version FROM codex_blacklist WHERE id = 1), 0);"
	  "CREATE INDEX codex_listed_version ON codex_listed (version);",
	  NULL },
};

obol_err codex_issuer_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "codex", codex_steps, OBOL_ARRAY_LEN(codex_steps));
}

static obol_err blob_exact(struct obol_stmt *st, int col, uint8_t *out, size_t n)
{
	size_t len;
	const void *p = obol_stmt_column_blob(st, col, &len);
	if (len != n || !p)
		return OBOL_E_CODEX_TABLE_CORRUPT;
	memcpy(out, p, n);
	return OBOL_OK;
}

static obol_err units_col(struct obol_stmt *st, int col, const char *currency, struct obol_amount *out)
{
	return obol_amount_from_units(currency, obol_stmt_column_int64(st, col), out) == OBOL_OK
		       ? OBOL_OK
		       : OBOL_E_CODEX_TABLE_CORRUPT;
}

/* ---- users --------------------------------------------------------------- */

#define USER_COLS                                                                                      \
	"id, name, kind, sign_pk, box_pk, epoch, state_hash, tx_total, perf, loaded, credits, debits, " \
	"deposit, blacklisted, deleted, state_not_after, cert_not_after, released, advanced"

static obol_err user_row(struct obol_stmt *st, const char *currency, struct codex_bank_user *u)
{
	const char *name = obol_stmt_column_text(st, 1);
	obol_err e;
	memset(u, 0, sizeof(*u));
	u->p.id = (uint64_t)obol_stmt_column_int64(st, 0);
	if (!name || obol_strlcpy_checked(u->p.name, name, sizeof(u->p.name)) != OBOL_OK)
		return OBOL_E_CODEX_TABLE_CORRUPT;
	u->p.kind = (uint8_t)obol_stmt_column_int64(st, 2);
	if ((e = blob_exact(st, 3, u->p.sign_pk, 32)) != OBOL_OK || (e = blob_exact(st, 4, u->box_pk, 32)) != OBOL_OK ||
	    (e = blob_exact(st, 6, u->state_hash, 32)) != OBOL_OK)
		return e;
	u->epoch = (uint64_t)obol_stmt_column_int64(st, 5);
	u->tx_total = (uint64_t)obol_stmt_column_int64(st, 7);
	u->perf = (uint64_t)obol_stmt_column_int64(st, 8);
	if ((e = units_col(st, 9, currency, &u->loaded)) != OBOL_OK ||
	    (e = units_col(st, 10, currency, &u->credits)) != OBOL_OK ||
	    (e = units_col(st, 11, currency, &u->debits)) != OBOL_OK ||
	    (e = units_col(st, 12, currency, &u->deposit)) != OBOL_OK ||
	    (e = units_col(st, 18, currency, &u->advanced)) != OBOL_OK ||
	    (e = obol_amount_zero(currency, &u->account)) != OBOL_OK)
		return e;
	u->blacklisted = obol_stmt_column_int64(st, 13) != 0;
	u->closed = obol_stmt_column_int64(st, 14) != 0;
	u->state_not_after = obol_stmt_column_int64(st, 15);
	u->cert_not_after = obol_stmt_column_int64(st, 16);
	u->released = obol_stmt_column_int64(st, 17) != 0;
	return OBOL_OK;
}

obol_err codex_db_user_get(struct obol_store *s, const char *currency, uint64_t id, struct codex_bank_user *u)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT " USER_COLS " FROM codex_users WHERE id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, (int64_t)id)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		e = row ? user_row(st, currency, u) : OBOL_E_CODEX_UNKNOWN_USER;
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_user_insert(struct obol_store *s, const struct codex_bank_user *u, int64_t now)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO codex_users (" USER_COLS ", created)"
			      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "itibbibiiiiiiiiiiiii", (int64_t)u->p.id, u->p.name, (int64_t)u->p.kind, u->p.sign_pk,
			      (size_t)32, u->box_pk, (size_t)32, (int64_t)u->epoch, u->state_hash, (size_t)32,
			      (int64_t)u->tx_total, (int64_t)u->perf, u->loaded.units, u->credits.units,
			      u->debits.units, u->deposit.units, (int64_t)u->blacklisted, (int64_t)u->closed,
			      u->state_not_after, u->cert_not_after, (int64_t)u->released, u->advanced.units, now);
}

obol_err codex_db_user_update(struct obol_store *s, const struct codex_bank_user *u)
{
	int64_t changes;
	obol_err e = obol_store_run(s, &changes,
				    "UPDATE codex_users SET sign_pk = ?, box_pk = ?, epoch = ?, state_hash = ?, tx_total = ?,"
				    " perf = ?, loaded = ?, credits = ?, debits = ?, deposit = ?, blacklisted = ?, deleted = ?,"
				    " state_not_after = ?, cert_not_after = ?, released = ?, advanced = ? WHERE id = ?",
				    "bbibiiiiiiiiiiiii", u->p.sign_pk, (size_t)32, u->box_pk, (size_t)32, (int64_t)u->epoch,
				    u->state_hash, (size_t)32, (int64_t)u->tx_total, (int64_t)u->perf, u->loaded.units,
				    u->credits.units, u->debits.units, u->deposit.units, (int64_t)u->blacklisted,
				    (int64_t)u->closed, u->state_not_after, u->cert_not_after, (int64_t)u->released,
				    u->advanced.units, (int64_t)u->p.id);
	if (e == OBOL_OK && changes != 1)
		e = OBOL_E_CODEX_UNKNOWN_USER;
	return e;
}

obol_err codex_db_users_all(struct obol_store *s, const char *currency, struct codex_bank_user **out, size_t *n)
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
		if (len == cap) {
			struct codex_bank_user *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!nv) {
				e = OBOL_E_NO_MEMORY;
				break;
			}
			v = nv;
		}
		if ((e = user_row(st, currency, &v[len])) != OBOL_OK)
			break;
		len++;
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
	"id, variant, payer, payee, payee_kind, epoch, seq, amount, time, token, by_payer, by_payee, finding, refused"

static obol_err token_row(struct obol_stmt *st, const char *currency, struct codex_token_row *t)
{
	size_t len;
	const void *p;
	obol_err e;
	memset(t, 0, sizeof(*t));
	if ((e = blob_exact(st, 0, t->id, CODEX_TOKEN_ID_LEN)) != OBOL_OK)
		return e;
	t->variant = (uint32_t)obol_stmt_column_int64(st, 1);
	t->t.payer_id = (uint64_t)obol_stmt_column_int64(st, 2);
	t->t.payee_id = (uint64_t)obol_stmt_column_int64(st, 3);
	t->t.payee_kind = (uint8_t)obol_stmt_column_int64(st, 4);
	t->t.epoch = (uint64_t)obol_stmt_column_int64(st, 5);
	t->seq = (uint64_t)obol_stmt_column_int64(st, 6);
	if ((e = units_col(st, 7, currency, &t->t.amount)) != OBOL_OK)
		return e;
	t->time = obol_stmt_column_int64(st, 8);
	p = obol_stmt_column_blob(st, 9, &len);
	if (!p || len > sizeof(t->blob))
		return OBOL_E_CODEX_TABLE_CORRUPT;
	memcpy(t->blob, p, len);
	t->blob_len = len;
	t->t.by_payer = obol_stmt_column_int64(st, 10) != 0;
	t->t.by_payee = obol_stmt_column_int64(st, 11) != 0;
	t->finding = (uint8_t)obol_stmt_column_int64(st, 12);
	t->t.refused = obol_stmt_column_int64(st, 13) != 0;
	return OBOL_OK;
}

/* Calls fn for each token the query gives; params: 'i' int64 or 'b' a
 * token id, as obol_stmt_bindf. */
static obol_err token_query(struct obol_store *s, const char *currency, const char *sql, const int64_t *ints, int nints,
			    const uint8_t *id, codex_db_token_fn fn, void *ctx)
{
	struct obol_stmt *st;
	struct codex_token_row *t = malloc(sizeof(*t));
	bool row;
	int at = 1;
	obol_err e;
	if (!t)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_stmt_prepare(s, sql, &st)) != OBOL_OK) {
		free(t);
		return e;
	}
	if (id)
		e = obol_stmt_bind_blob(st, at++, id, CODEX_TOKEN_ID_LEN);
	for (int i = 0; e == OBOL_OK && i < nints; i++)
		e = obol_stmt_bind_int64(st, at++, ints[i]);
	if (e == OBOL_OK)
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
			if ((e = token_row(st, currency, t)) != OBOL_OK || (e = fn(t, ctx)) != OBOL_OK)
				break;
	obol_stmt_finish(st);
	free(t);
	return e;
}

obol_err codex_db_tokens_by_id(struct obol_store *s, const char *currency, const uint8_t id[static CODEX_TOKEN_ID_LEN],
			       codex_db_token_fn fn, void *ctx)
{
	return token_query(s, currency, "SELECT " TOKEN_COLS " FROM codex_tokens WHERE id = ? ORDER BY variant", NULL, 0,
			   id, fn, ctx);
}

obol_err codex_db_tokens_at(struct obol_store *s, const char *currency, uint64_t payer, uint64_t epoch, uint64_t seq,
			    codex_db_token_fn fn, void *ctx)
{
	return token_query(s, currency,
			   "SELECT " TOKEN_COLS " FROM codex_tokens WHERE payer = ? AND epoch = ? AND seq = ?"
			   " ORDER BY id, variant",
			   (const int64_t[]){ (int64_t)payer, (int64_t)epoch, (int64_t)seq }, 3, NULL, fn, ctx);
}

obol_err codex_db_tokens_reported(struct obol_store *s, const char *currency, uint64_t payer, uint64_t epoch,
				  codex_db_token_fn fn, void *ctx)
{
	return token_query(s, currency,
			   "SELECT " TOKEN_COLS " FROM codex_tokens WHERE payer = ? AND epoch = ? AND by_payee = 1"
			   " ORDER BY seq, id, variant",
			   (const int64_t[]){ (int64_t)payer, (int64_t)epoch }, 2, NULL, fn, ctx);
}

obol_err codex_db_tokens_settled_to(struct obol_store *s, const char *currency, uint64_t payee, int64_t since,
				    codex_db_token_fn fn, void *ctx)
{
	return token_query(s, currency,
			   "SELECT " TOKEN_COLS " FROM codex_tokens WHERE payee = ? AND by_payee = 0 AND refused = 0"
			   " AND time >= ? ORDER BY id, variant",
			   (const int64_t[]){ (int64_t)payee, since }, 2, NULL, fn, ctx);
}

obol_err codex_db_token_insert(struct obol_store *s, const struct codex_token_row *t)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO codex_tokens (" TOKEN_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "biiiiiiiibiiii", t->id, (size_t)CODEX_TOKEN_ID_LEN, (int64_t)t->variant,
			      (int64_t)t->t.payer_id, (int64_t)t->t.payee_id, (int64_t)t->t.payee_kind,
			      (int64_t)t->t.epoch, (int64_t)t->seq, t->t.amount.units, t->time, t->blob, t->blob_len,
			      (int64_t)t->t.by_payer, (int64_t)t->t.by_payee, (int64_t)t->finding, (int64_t)t->t.refused);
}

obol_err codex_db_token_update(struct obol_store *s, const struct codex_token_row *t)
{
	return obol_store_run(s, NULL,
			      "UPDATE codex_tokens SET by_payer = ?, by_payee = ?, refused = ? WHERE id = ? AND variant = ?",
			      "iiibi", (int64_t)t->t.by_payer, (int64_t)t->t.by_payee, (int64_t)t->t.refused, t->id,
			      (size_t)CODEX_TOKEN_ID_LEN, (int64_t)t->variant);
}

struct token_list {
	struct codex_bank_token *v;
	size_t n, cap;
};

static obol_err collect_row(const struct codex_token_row *t, void *ctx)
{
	struct token_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct codex_bank_token *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return OBOL_E_NO_MEMORY;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = t->t;
	return OBOL_OK;
}

obol_err codex_db_tokens_all(struct obol_store *s, const char *currency, struct codex_bank_token **out, size_t *n)
{
	struct token_list l = { 0 };
	obol_err e = token_query(s, currency, "SELECT " TOKEN_COLS " FROM codex_tokens ORDER BY id, variant", NULL, 0,
				 NULL, collect_row, &l);
	if (e != OBOL_OK) {
		free(l.v);
		return e;
	}
	*out = l.v;
	*n = l.n;
	return OBOL_OK;
}

/* ---- refusals ------------------------------------------------------------ */

obol_err codex_db_refusals_by_token(struct obol_store *s, const uint8_t id[static CODEX_TOKEN_ID_LEN],
				    obol_err (*fn)(const struct codex_refusal *f, void *ctx), void *ctx)
{
	struct obol_stmt *st;
	struct codex_refusal f;
	const void *p;
	size_t len;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT refusal FROM codex_refusals WHERE token_id = ? ORDER BY token_hash, payee",
				       &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, CODEX_TOKEN_ID_LEN)) == OBOL_OK)
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
			if (!(p = obol_stmt_column_blob(st, 0, &len)) || codex_refusal_decode(p, len, &f) != OBOL_OK) {
				e = OBOL_E_CODEX_TABLE_CORRUPT;
				break;
			}
			if ((e = fn(&f, ctx)) != OBOL_OK)
				break;
		}
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_refusal_insert(struct obol_store *s, const struct codex_refusal *f, int64_t now)
{
	uint8_t blob[CODEX_REFUSAL_LEN];
	obol_err e = codex_refusal_encode(f, blob);
	if (e != OBOL_OK)
		return e;
	return obol_store_run(s, NULL,
			      "INSERT INTO codex_refusals (token_hash, payee, token_id, payer, refusal, time)"
			      " VALUES (?, ?, ?, ?, ?, ?)",
			      "bibibi", f->token_hash, (size_t)OBOL_HASH_LEN, (int64_t)f->payee_id, f->token_id,
			      (size_t)CODEX_TOKEN_ID_LEN, (int64_t)f->payer_id, blob, sizeof(blob), now);
}

/* ---- blacklist ----------------------------------------------------------- */

obol_err codex_db_blacklist_get(struct obol_store *s, struct codex_blacklist *bl, int64_t *next_prune)
{
	struct obol_stmt *st;
	bool row;
	size_t len;
	const void *p;
	obol_err e = obol_stmt_prepare(s, "SELECT blob, next_prune FROM codex_blacklist WHERE id = 1", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (!row)
			e = OBOL_E_NOT_FOUND;
		else if (!(p = obol_stmt_column_blob(st, 0, &len)) || codex_blacklist_decode(p, len, bl) != OBOL_OK)
			e = OBOL_E_CODEX_TABLE_CORRUPT;
		else if (next_prune)
			*next_prune = obol_stmt_column_int64(st, 1);
	}
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_blacklist_put(struct obol_store *s, const struct codex_blacklist *bl, int64_t next_prune)
{
	uint8_t *buf;
	size_t len;
	obol_err e = codex_blacklist_encode(bl, &buf, &len);
	if (e != OBOL_OK)
		return e;
	e = obol_store_run(s, NULL, "DELETE FROM codex_blacklist WHERE id = 1", "");
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "INSERT INTO codex_blacklist (id, version, blob, next_prune) VALUES (1, ?, ?, ?)",
				   "ibi", (int64_t)bl->version, buf, len, next_prune);
	free(buf);
	return e;
}

obol_err codex_db_listed_add(struct obol_store *s, uint64_t user, int64_t since, int64_t until)
{
	obol_err e = obol_store_run(s, NULL, "DELETE FROM codex_listed WHERE user_id = ?", "i", (int64_t)user);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO codex_listed (user_id, since, until, version)"
				   " SELECT ?, ?, ?, version + 1 FROM codex_blacklist WHERE id = 1",
				   "iii", (int64_t)user, since, until);
	return e;
}

obol_err codex_db_blacklist_version(struct obol_store *s, uint64_t *version)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT version FROM codex_blacklist WHERE id = 1", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && !row)
		e = OBOL_E_NOT_FOUND;
	if (e == OBOL_OK)
		*version = (uint64_t)obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}

/* Whether the listings of versions (since, version] are few (at most four
 * pages): counted on the version index, at most that many rows read. */
#define FEW_ROWS (4 * CODEX_BLACKLIST_PAGE_MAX)
static obol_err listed_few(struct obol_store *s, const struct codex_db_page_query *q, bool *few)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s,
				       "SELECT COUNT(*) FROM (SELECT 1 FROM codex_listed WHERE version > ? AND version <= ?"
				       " LIMIT ?) AS d",
				       &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, (int64_t)q->since)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, (int64_t)q->version)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 3, FEW_ROWS + 1)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		*few = row && obol_stmt_column_int64(st, 0) <= FEW_ROWS;
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_listed_page(struct obol_store *s, const struct codex_db_page_query *q,
			      struct codex_blacklist_item *out, size_t *n, bool *more)
{
	struct obol_stmt *st;
	bool row;
	size_t k = 0;
	bool few;
	obol_err e = listed_few(s, q, &few);
	*n = 0;
	*more = false;
	if (e != OBOL_OK)
		return e;
	/* a short delta: the rows of its versions (index on version), sorted;
	 * a long one or the whole list: the ids in order (primary key), the
	 * versions filtered (the unary + keeps the planner off the version
	 * index, which would sort the whole range for every page) */
	e = obol_stmt_prepare(s,
			      few ? "SELECT user_id, until FROM codex_listed WHERE version > ? AND version <= ?"
				    " AND until >= ? AND user_id > ? ORDER BY user_id LIMIT ?"
				  : "SELECT user_id, until FROM codex_listed WHERE +version > ? AND +version <= ?"
				    " AND until >= ? AND user_id > ? ORDER BY user_id LIMIT ?",
			      &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, (int64_t)q->since)) != OBOL_OK ||
	    (e = obol_stmt_bind_int64(st, 2, (int64_t)q->version)) != OBOL_OK ||
	    (e = obol_stmt_bind_int64(st, 3, q->now)) != OBOL_OK ||
	    (e = obol_stmt_bind_int64(st, 4, q->after > INT64_MAX ? INT64_MAX : (int64_t)q->after)) != OBOL_OK ||
	    (e = obol_stmt_bind_int64(st, 5, (int64_t)q->limit + 1)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if (k == q->limit) {
			*more = true;
			break;
		}
		int64_t id = obol_stmt_column_int64(st, 0);
		if (id <= 0) {
			e = OBOL_E_CODEX_TABLE_CORRUPT;
			break;
		}
		out[k].user = (uint64_t)id;
		out[k].until = obol_stmt_column_int64(st, 1);
		k++;
	}
	*n = k;
out:
	obol_stmt_finish(st);
	return e;
}

obol_err codex_db_listed_all(struct obol_store *s, struct codex_blacklist_entry **out, size_t *n)
{
	struct obol_stmt *st;
	struct codex_blacklist_entry *v = NULL;
	size_t cap = 0, len = 0;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT user_id, since, until FROM codex_listed ORDER BY user_id", &st);
	*out = NULL;
	*n = 0;
	if (e != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if (len == cap) {
			struct codex_blacklist_entry *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!nv) {
				e = OBOL_E_NO_MEMORY;
				break;
			}
			v = nv;
		}
		v[len].user = (uint64_t)obol_stmt_column_int64(st, 0);
		v[len].since = obol_stmt_column_int64(st, 1);
		v[len].until = obol_stmt_column_int64(st, 2);
		len++;
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

obol_err codex_db_listed_prune(struct obol_store *s, int64_t now)
{
	return obol_store_run(s, NULL, "DELETE FROM codex_listed WHERE until < ?", "i", now);
}

/* ---- losses, findings, settings -------------------------------------------- */

obol_err codex_db_loss_add(struct obol_store *s, const struct codex_loss *l, int64_t now)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO codex_losses (id, user_id, time, deficit, from_deposit, loss, reason, from_outside)"
			      " SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM codex_losses",
			      "iiiiiti", (int64_t)l->user, now, l->deficit.units, l->from_deposit.units,
			      l->from_outside.units, l->reason, l->from_outside.units);
}

obol_err codex_db_finding_add(struct obol_store *s, const struct codex_finding_rec *f, int64_t now)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO codex_findings (id, party, time, kind, token_id)"
			      " SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ? FROM codex_findings",
			      "iitb", (int64_t)f->party, now, codex_finding_name((enum codex_finding)f->kind), f->token_id,
			      (size_t)CODEX_TOKEN_ID_LEN);
}

obol_err codex_db_setting_put(struct obol_store *s, const char *key, int64_t value)
{
	obol_err e = obol_store_run(s, NULL, "DELETE FROM codex_settings WHERE k = ?", "t", key);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "INSERT INTO codex_settings (k, v) VALUES (?, ?)", "ti", key, value);
	return e;
}

obol_err codex_db_setting_get(struct obol_store *s, const char *key, int64_t *value, bool *found)
{
	struct obol_stmt *st;
	obol_err e = obol_stmt_prepare(s, "SELECT v FROM codex_settings WHERE k = ?", &st);
	*found = false;
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_text(st, 1, key)) == OBOL_OK && (e = obol_stmt_step(st, found)) == OBOL_OK && *found)
		*value = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}
