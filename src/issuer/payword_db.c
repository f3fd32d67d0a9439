/* The agent's payword tables: see payword_db.h. */
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/payword_db.h"
#include "store/audit.h"

static const struct obol_migration payword_steps[] = {
	{
		.sqlite = "CREATE TABLE payword_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
			  "CREATE TABLE payword_users (account BIGINT PRIMARY KEY, username TEXT NOT NULL UNIQUE,"
			  " pwhash TEXT NOT NULL, user_pk BYTEA NOT NULL, chain_key BYTEA NOT NULL,"
			  " revoked BIGINT NOT NULL);"
			  "CREATE TABLE payword_vendors (account BIGINT PRIMARY KEY, mode BIGINT NOT NULL,"
			  " registered BIGINT NOT NULL, revoked BIGINT NOT NULL);"
			  "CREATE TABLE payword_certs (serial BIGINT PRIMARY KEY, user_id BIGINT NOT NULL,"
			  " scope BIGINT NOT NULL, vcert BYTEA NOT NULL, token_units BIGINT NOT NULL,"
			  " n BIGINT NOT NULL, status BIGINT NOT NULL, ended_at BIGINT NOT NULL, pos BIGINT NOT NULL,"
			  " paid BIGINT NOT NULL, moved_out BIGINT NOT NULL, max_claimed BIGINT NOT NULL,"
			  " not_after BIGINT NOT NULL);"
			  "CREATE INDEX payword_certs_user ON payword_certs (user_id, scope);"
			  "CREATE TABLE payword_visits (serial BIGINT NOT NULL, vendor BIGINT NOT NULL,"
			  " start_order BIGINT NOT NULL, time BIGINT NOT NULL, sig BYTEA NOT NULL,"
			  " received BIGINT NOT NULL, PRIMARY KEY (serial, vendor, start_order, time));"
			  "CREATE TABLE payword_claims (id BIGINT PRIMARY KEY, serial BIGINT NOT NULL,"
			  " vendor BIGINT NOT NULL, visit_start BIGINT NOT NULL, from_order BIGINT NOT NULL,"
			  " to_order BIGINT NOT NULL, token BYTEA NOT NULL, auth BIGINT NOT NULL,"
			  " paid_tokens BIGINT NOT NULL, received BIGINT NOT NULL, product TEXT NOT NULL);"
			  "CREATE INDEX payword_claims_order ON payword_claims (serial, to_order);"
			  "CREATE INDEX payword_claims_visit ON payword_claims (serial, vendor, visit_start, to_order);"
			  "CREATE TABLE payword_evidence (id BIGINT PRIMARY KEY, kind TEXT NOT NULL,"
			  " serial BIGINT NOT NULL, culprit TEXT NOT NULL, detail TEXT NOT NULL,"
			  " created BIGINT NOT NULL);",
		.postgres = NULL,
	},
	/* Signed ranges instead of visit commitments (issue 13): a claim keeps
	 * the user's signature on its range (NULL for the claims stored before,
	 * which have none to judge by) and what it holds back; a certificate
	 * keeps the debt its user's account covered and the user's signed
	 * position; a vendor its batch interval. Visits are gone: the ranges
	 * say everything they said. */
	{
		.sqlite = "ALTER TABLE payword_certs ADD COLUMN covered BIGINT NOT NULL DEFAULT 0;"
			  "ALTER TABLE payword_certs ADD COLUMN position_sig BYTEA;"
			  "ALTER TABLE payword_claims ADD COLUMN range_sig BYTEA;"
			  "ALTER TABLE payword_claims ADD COLUMN held_tokens BIGINT NOT NULL DEFAULT 0;"
			  "ALTER TABLE payword_claims ADD COLUMN hold BIGINT NOT NULL DEFAULT 0;"
			  "ALTER TABLE payword_vendors ADD COLUMN batch_interval BIGINT NOT NULL DEFAULT 0;"
			  "CREATE INDEX payword_claims_from ON payword_claims (serial, from_order);"
			  "CREATE INDEX payword_claims_held ON payword_claims (hold);"
			  "DROP INDEX payword_claims_visit;"
			  "DROP TABLE payword_visits;",
		.postgres = NULL,
	},
};

/* Component "payword-crl": the indexes the paged CRL reads by (the ended
 * certificates by serial, and by the time they ended for a delta). */
static const struct obol_migration payword_crl_steps[] = {
	{ .sqlite = "CREATE INDEX payword_certs_ended ON payword_certs (serial) WHERE status <> 1;"
		    "CREATE INDEX payword_certs_ended_at ON payword_certs (ended_at, serial) WHERE status <> 1;" },
};

obol_err payword_db_migrate(struct obol_store *s)
{
	obol_err e = obol_store_migrate(s, "payword", payword_steps, OBOL_ARRAY_LEN(payword_steps));
	if (e == OBOL_OK)
		e = obol_store_migrate(s, "payword-crl", payword_crl_steps, OBOL_ARRAY_LEN(payword_crl_steps));
	return e;
}

obol_err payword_db_migrate_to(struct obol_store *s, size_t steps)
{
	if (steps > OBOL_ARRAY_LEN(payword_steps))
		return OBOL_E_INVALID_ARGUMENT;
	return obol_store_migrate(s, "payword", payword_steps, steps);
}

obol_err payword_db_settings_put(struct obol_store *s, const struct payword_settings *st)
{
	char tv[OBOL_AMOUNT_STR_MAX], num[2][24];
	obol_amount_format(&st->token_value, tv);
	snprintf(num[0], sizeof(num[0]), "%lld", (long long)st->grace);
	snprintf(num[1], sizeof(num[1]), "%lld", (long long)st->validity);
	const char *kv[3][2] = { { "token_value", tv }, { "grace", num[0] }, { "validity", num[1] } };
	for (size_t i = 0; i < 3; i++) {
		obol_err e = obol_store_run(s, NULL,
					    "INSERT INTO payword_settings (key, value) VALUES (?, ?) "
					    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
					    "tt", kv[i][0], kv[i][1]);
		if (e)
			return e;
	}
	return OBOL_OK;
}

static obol_err setting(struct obol_store *s, const char *key, char *buf, size_t cap)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT value FROM payword_settings WHERE key = ?", &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "t", key);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK)
		e = row ? obol_strlcpy_checked(buf, obol_stmt_column_text(st, 0), cap) : OBOL_E_CONFIG;
	obol_stmt_finish(st);
	return e;
}

obol_err payword_db_settings_get(struct obol_store *s, const char *currency, struct payword_settings *out)
{
	char buf[OBOL_AMOUNT_STR_MAX];
	uint64_t v;
	obol_err e = setting(s, "token_value", buf, sizeof(buf));
	if (e == OBOL_OK)
		e = obol_amount_parse(buf, &out->token_value);
	if (e == OBOL_OK && strcmp(out->token_value.currency, currency) != 0)
		e = OBOL_E_CONFIG;
	if (e == OBOL_OK)
		e = setting(s, "grace", buf, sizeof(buf));
	if (e == OBOL_OK && (e = obol_parse_u64(buf, 0, INT32_MAX, &v)) == OBOL_OK)
		out->grace = (int64_t)v;
	if (e == OBOL_OK)
		e = setting(s, "validity", buf, sizeof(buf));
	if (e == OBOL_OK && (e = obol_parse_u64(buf, 1, INT32_MAX, &v)) == OBOL_OK)
		out->validity = (int64_t)v;
	return e;
}

/* --- users and vendors ------------------------------------------------- */

obol_err payword_db_user_insert(struct obol_store *s, const struct payword_db_user *u)
{
	obol_err e = obol_store_run(s, NULL,
				    "INSERT INTO payword_users (account, username, pwhash, user_pk, chain_key, revoked) "
				    "VALUES (?, ?, ?, ?, ?, 0)",
				    "ittbb", u->account, u->u.username, u->u.pwhash, u->u.user_pk, (size_t)32,
				    u->u.chain_key, (size_t)PAYWORD_CHAIN_KEY_LEN);
	return e == OBOL_E_STORE_CONSTRAINT ? OBOL_E_PAYWORD_USER_EXISTS : e;
}

static obol_err user_query(struct obol_store *s, const char *sql, const char *fmt, const char *name, int64_t id,
			   struct payword_db_user *u)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	size_t pkl = 0, ckl = 0;
	memset(u, 0, sizeof(*u));
	obol_err e = obol_stmt_prepare(s, sql, &st);
	if (e)
		return e;
	e = fmt[0] == 't' ? obol_stmt_bindf(st, fmt, name) : obol_stmt_bindf(st, fmt, id);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && !row)
		e = OBOL_E_NOT_FOUND;
	if (e == OBOL_OK) {
		/* Each blob is copied before the next is read (a backend may reuse its buffer). */
		const void *pk = obol_stmt_column_blob(st, 3, &pkl);
		if (pkl == 32)
			memcpy(u->u.user_pk, pk, 32);
		const void *ck = obol_stmt_column_blob(st, 4, &ckl);
		if (ckl == PAYWORD_CHAIN_KEY_LEN)
			memcpy(u->u.chain_key, ck, PAYWORD_CHAIN_KEY_LEN);
		u->account = obol_stmt_column_int64(st, 0);
		u->revoked = obol_stmt_column_int64(st, 5);
		if (pkl != 32 || ckl != PAYWORD_CHAIN_KEY_LEN ||
		    obol_strlcpy_checked(u->u.username, obol_stmt_column_text(st, 1), sizeof(u->u.username)) ||
		    obol_strlcpy_checked(u->u.pwhash, obol_stmt_column_text(st, 2), sizeof(u->u.pwhash)))
			e = OBOL_E_STORE_QUERY;
	}
	obol_stmt_finish(st);
	return e;
}

#define USER_COLUMNS "SELECT account, username, pwhash, user_pk, chain_key, revoked FROM payword_users "

obol_err payword_db_user_get(struct obol_store *s, const char *username, struct payword_db_user *u)
{
	return user_query(s, USER_COLUMNS "WHERE username = ?", "t", username, 0, u);
}

obol_err payword_db_user_by_account(struct obol_store *s, int64_t account, struct payword_db_user *u)
{
	return user_query(s, USER_COLUMNS "WHERE account = ?", "i", NULL, account, u);
}

obol_err payword_db_user_revoke(struct obol_store *s, int64_t account, int64_t now)
{
	obol_err e = obol_store_run(s, NULL, "UPDATE payword_users SET revoked = ? WHERE account = ? AND revoked = 0",
				    "ii", now, account);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "UPDATE payword_certs SET status = ?, ended_at = ? WHERE user_id = ? AND status = ?",
				   "iiii", (int64_t)PAYWORD_CERT_REVOKED, now, account, (int64_t)PAYWORD_CERT_LIVE);
	return e;
}

obol_err payword_db_vendor_get(struct obol_store *s, int64_t id, struct payword_agent_vendor *v)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	memset(v, 0, sizeof(*v));
	obol_err e = obol_stmt_prepare(s, "SELECT mode, revoked, batch_interval FROM payword_vendors WHERE account = ?",
				       &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "i", id);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && row) {
		v->registered = true;
		v->mode = (enum payword_vendor_mode)obol_stmt_column_int64(st, 0);
		v->revoked = obol_stmt_column_int64(st, 1);
		v->batch_interval = obol_stmt_column_int64(st, 2);
	}
	obol_stmt_finish(st);
	return e;
}

obol_err payword_db_vendor_put(struct obol_store *s, int64_t id, const struct payword_agent_vendor *v, int64_t now)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO payword_vendors (account, mode, registered, revoked, batch_interval) "
			      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET"
			      " batch_interval = excluded.batch_interval",
			      "iiiii", id, (int64_t)v->mode, now, v->revoked, v->batch_interval);
}

obol_err payword_db_vendor_revoke(struct obol_store *s, int64_t id, int64_t now)
{
	return obol_store_run(s, NULL, "UPDATE payword_vendors SET revoked = ? WHERE account = ? AND revoked = 0",
			      "ii", now, id);
}

/* --- certificates ------------------------------------------------------ */

obol_err payword_db_cert_insert(struct obol_store *s, const struct payword_db_cert *c)
{
	uint8_t buf[PAYWORD_VCERT_MAX];
	size_t len;
	obol_err e = payword_vcert_encode(&c->c.vc, buf, &len);
	if (e)
		return e;
	return obol_store_run(s, NULL,
			      "INSERT INTO payword_certs (serial, user_id, scope, vcert, token_units, n, status,"
			      " ended_at, pos, paid, moved_out, max_claimed, not_after, covered) "
			      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "iiibiiiiiiiiii", (int64_t)c->c.vc.serial, c->user, (int64_t)c->c.vc.scope, buf, len,
			      c->c.vc.token_value.units, (int64_t)c->c.vc.n, (int64_t)c->c.status, c->c.ended_at,
			      (int64_t)c->c.pos, c->c.paid, c->c.moved_out, (int64_t)c->c.max_claimed,
			      c->c.vc.not_after, c->c.covered);
}

obol_err payword_db_cert_update(struct obol_store *s, const struct payword_db_cert *c)
{
	/* The position travels as its signature: serial and next are the row's. */
	return obol_store_run(s, NULL,
			      "UPDATE payword_certs SET status = ?, ended_at = ?, pos = ?, paid = ?, moved_out = ?,"
			      " max_claimed = ?, covered = ?, position_sig = ? WHERE serial = ?",
			      "iiiiiiibi", (int64_t)c->c.status, c->c.ended_at, (int64_t)c->c.pos, c->c.paid,
			      c->c.moved_out, (int64_t)c->c.max_claimed, c->c.covered,
			      c->c.pos_signed ? c->c.position.sig : NULL, (size_t)(c->c.pos_signed ? OBOL_SIGN_LEN : 0),
			      (int64_t)c->c.vc.serial);
}

#define CERT_COLUMNS                                                                                       \
	"SELECT user_id, vcert, status, ended_at, pos, paid, moved_out, max_claimed, covered, position_sig " \
	"FROM payword_certs "

static obol_err cert_row(struct obol_stmt *st, struct payword_db_cert *c)
{
	size_t len = 0, pl = 0;
	const void *b = obol_stmt_column_blob(st, 1, &len);
	memset(c, 0, sizeof(*c));
	if (b == NULL || payword_vcert_decode(b, len, &c->c.vc) != OBOL_OK)
		return OBOL_E_STORE_QUERY;
	c->user = obol_stmt_column_int64(st, 0);
	c->c.status = (enum payword_cert_status)obol_stmt_column_int64(st, 2);
	c->c.ended_at = obol_stmt_column_int64(st, 3);
	c->c.pos = (uint64_t)obol_stmt_column_int64(st, 4);
	c->c.paid = obol_stmt_column_int64(st, 5);
	c->c.moved_out = obol_stmt_column_int64(st, 6);
	c->c.max_claimed = (uint64_t)obol_stmt_column_int64(st, 7);
	c->c.covered = obol_stmt_column_int64(st, 8);
	const void *ps = obol_stmt_column_blob(st, 9, &pl);
	if (ps != NULL && pl == OBOL_SIGN_LEN) {
		c->c.pos_signed = true;
		c->c.position.serial = c->c.vc.serial;
		c->c.position.next = c->c.pos;
		memcpy(c->c.position.sig, ps, OBOL_SIGN_LEN);
	} else if (ps != NULL && pl != 0) {
		return OBOL_E_STORE_QUERY;
	}
	return OBOL_OK;
}

obol_err payword_db_cert_get(struct obol_store *s, uint64_t serial, struct payword_db_cert *c)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, CERT_COLUMNS "WHERE serial = ?", &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "i", (int64_t)serial);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && !row)
		e = OBOL_E_NOT_FOUND;
	if (e == OBOL_OK)
		e = cert_row(st, c);
	obol_stmt_finish(st);
	return e;
}

obol_err payword_db_certs_of(struct obol_store *s, int64_t user, uint64_t scope, struct payword_db_cert **out,
			     size_t *n)
{
	struct obol_stmt *st = NULL;
	struct payword_db_cert *v = NULL;
	size_t cnt = 0;
	bool row = false;
	/* Only what a buy can move or hold: the live certificate, the ended
	 * ones whose balance is not zero (held value, debts); and the newest,
	 * whose chain ends last (order numbers grow with serials), for the next
	 * first order. A superseded certificate at zero or a revoked one moves
	 * nothing, ever (payword_agent_buy), however many the user has. */
	obol_err e = obol_stmt_prepare(s,
				       CERT_COLUMNS "WHERE user_id = ? AND scope = ? AND (status = ? OR (status = ? AND"
						    " n + covered - paid - moved_out <> 0) OR serial = (SELECT MAX(serial)"
						    " FROM payword_certs WHERE user_id = ? AND scope = ?)) ORDER BY serial",
				       &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "iiiiii", user, (int64_t)scope, (int64_t)PAYWORD_CERT_LIVE,
			    (int64_t)PAYWORD_CERT_SUPERSEDED, user, (int64_t)scope);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if (cnt == PAYWORD_DB_MAX_ROWS) {
			e = OBOL_E_PAYWORD_ROWS_LIMIT;
			break;
		}
		struct payword_db_cert *nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (nv == NULL) {
			e = OBOL_E_NO_MEMORY;
			break;
		}
		v = nv;
		e = cert_row(st, &v[cnt]);
		if (e == OBOL_OK)
			cnt++;
	}
	obol_stmt_finish(st);
	if (e) {
		free(v);
		return e;
	}
	*out = v;
	*n = cnt;
	return OBOL_OK;
}

static obol_err next_id(struct obol_store *s, const char *sql, int64_t *id)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, sql, &st);
	if (e)
		return e;
	e = obol_stmt_step(st, &row);
	if (e == OBOL_OK)
		*id = row ? obol_stmt_column_int64(st, 0) + 1 : 1;
	obol_stmt_finish(st);
	return e;
}

obol_err payword_db_next_serial(struct obol_store *s, uint64_t *serial)
{
	int64_t id = 0;
	obol_err e = next_id(s, "SELECT COALESCE(MAX(serial), 0) FROM payword_certs", &id);
	*serial = (uint64_t)id;
	return e;
}

/* --- claims, evidence -------------------------------------------------- */

#define CLAIM_COLUMNS                                                                                       \
	"SELECT id, serial, vendor, from_order, to_order, token, auth, paid_tokens, received, range_sig, " \
	"held_tokens, hold FROM payword_claims "

void payword_db_claims_free(struct payword_db_claims *cl)
{
	free(cl->c);
	free(cl->ids);
	free(cl->serials);
	memset(cl, 0, sizeof(*cl));
}

static obol_err claim_row(struct obol_stmt *st, struct payword_agent_claim *c, int64_t *id, uint64_t *serial)
{
	size_t tl = 0, sl = 0;
	memset(c, 0, sizeof(*c));
	const void *tok = obol_stmt_column_blob(st, 5, &tl);
	if (tl != PAYWORD_TOKEN_LEN)
		return OBOL_E_STORE_QUERY;
	memcpy(c->token, tok, PAYWORD_TOKEN_LEN);
	const void *sig = obol_stmt_column_blob(st, 9, &sl);
	if (sig != NULL && sl == OBOL_SIGN_LEN) {
		c->signed_range = true;
		memcpy(c->sig, sig, OBOL_SIGN_LEN);
	} else if (sig != NULL && sl != 0) {
		return OBOL_E_STORE_QUERY;
	}
	*id = obol_stmt_column_int64(st, 0);
	*serial = (uint64_t)obol_stmt_column_int64(st, 1);
	c->vendor = (uint64_t)obol_stmt_column_int64(st, 2);
	c->from = (uint64_t)obol_stmt_column_int64(st, 3);
	c->to = (uint64_t)obol_stmt_column_int64(st, 4);
	c->auth = obol_stmt_column_int64(st, 6);
	c->paid_tokens = obol_stmt_column_int64(st, 7);
	c->received = obol_stmt_column_int64(st, 8);
	c->held_tokens = obol_stmt_column_int64(st, 10);
	c->hold = (enum payword_hold)obol_stmt_column_int64(st, 11);
	return OBOL_OK;
}

static obol_err claims_rows(struct obol_stmt *st, obol_err e, struct payword_db_claims *out)
{
	bool row = false;
	memset(out, 0, sizeof(*out));
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t n = out->n;
		if (n == PAYWORD_DB_MAX_ROWS) {
			e = OBOL_E_PAYWORD_ROWS_LIMIT;
			break;
		}
		struct payword_agent_claim *nc = realloc(out->c, (n + 1) * sizeof(*nc));
		if (nc != NULL)
			out->c = nc;
		int64_t *ni = realloc(out->ids, (n + 1) * sizeof(*ni));
		if (ni != NULL)
			out->ids = ni;
		uint64_t *ns = realloc(out->serials, (n + 1) * sizeof(*ns));
		if (ns != NULL)
			out->serials = ns;
		if (nc == NULL || ni == NULL || ns == NULL) {
			e = OBOL_E_NO_MEMORY;
			break;
		}
		if ((e = claim_row(st, &out->c[n], &out->ids[n], &out->serials[n])) == OBOL_OK)
			out->n++;
	}
	obol_stmt_finish(st);
	if (e)
		payword_db_claims_free(out);
	return e;
}

obol_err payword_db_claims_overlapping(struct obol_store *s, uint64_t serial, uint64_t from, uint64_t to,
				       struct payword_db_claims *out)
{
	struct obol_stmt *st = NULL;
	obol_err e = obol_stmt_prepare(s, CLAIM_COLUMNS "WHERE serial = ? AND from_order <= ? AND to_order >= ? ORDER BY id",
				       &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "iii", (int64_t)serial, (int64_t)to, (int64_t)from);
	return claims_rows(st, e, out);
}

obol_err payword_db_claim_below(struct obol_store *s, uint64_t serial, uint64_t to, struct payword_agent_claim *out,
				bool *found)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t id;
	uint64_t ser;
	obol_err e = obol_stmt_prepare(s, CLAIM_COLUMNS "WHERE serial = ? AND to_order < ? ORDER BY to_order DESC LIMIT 1",
				       &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "ii", (int64_t)serial, (int64_t)to);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	*found = e == OBOL_OK && row;
	if (*found)
		e = claim_row(st, out, &id, &ser);
	obol_stmt_finish(st);
	return e;
}

obol_err payword_db_claims_held(struct obol_store *s, int64_t user, enum payword_hold hold,
				struct payword_db_claims *out)
{
	struct obol_stmt *st = NULL;
	obol_err e = obol_stmt_prepare(s,
				       "SELECT c.id, c.serial, c.vendor, c.from_order, c.to_order, c.token, c.auth,"
				       " c.paid_tokens, c.received, c.range_sig, c.held_tokens, c.hold "
				       "FROM payword_claims c JOIN payword_certs k ON k.serial = c.serial "
				       "WHERE c.hold = ? AND c.held_tokens > 0 AND (? = 0 OR k.user_id = ?) ORDER BY c.id",
				       &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "iii", (int64_t)hold, user, user);
	return claims_rows(st, e, out);
}

obol_err payword_db_claim_get(struct obol_store *s, int64_t id, uint64_t *serial, struct payword_agent_claim *out)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t rid;
	obol_err e = obol_stmt_prepare(s, CLAIM_COLUMNS "WHERE id = ?", &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "i", id);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && !row)
		e = OBOL_E_NOT_FOUND;
	if (e == OBOL_OK)
		e = claim_row(st, out, &rid, serial);
	obol_stmt_finish(st);
	return e;
}

obol_err payword_db_claim_insert(struct obol_store *s, uint64_t serial, const struct payword_agent_claim *c,
				 const char *product)
{
	int64_t id = 0;
	obol_err e = next_id(s, "SELECT COALESCE(MAX(id), 0) FROM payword_claims", &id);
	if (e)
		return e;
	return obol_store_run(s, NULL,
			      "INSERT INTO payword_claims (id, serial, vendor, visit_start, from_order, to_order, token,"
			      " auth, paid_tokens, received, product, range_sig, held_tokens, hold)"
			      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "iiiiiibiiitbii", id, (int64_t)serial, (int64_t)c->vendor, (int64_t)c->from,
			      (int64_t)c->from, (int64_t)c->to, c->token, (size_t)PAYWORD_TOKEN_LEN, c->auth,
			      c->paid_tokens, c->received, product, c->signed_range ? c->sig : NULL,
			      (size_t)(c->signed_range ? OBOL_SIGN_LEN : 0), c->held_tokens, (int64_t)c->hold);
}

obol_err payword_db_claim_update(struct obol_store *s, int64_t id, const struct payword_agent_claim *c)
{
	return obol_store_run(s, NULL, "UPDATE payword_claims SET paid_tokens = ?, held_tokens = ?, hold = ? WHERE id = ?",
			      "iiii", c->paid_tokens, c->held_tokens, (int64_t)c->hold, id);
}

obol_err payword_db_evidence_add(struct obol_store *s, const char *kind, uint64_t serial, const char *culprit,
				 const char *detail_json, int64_t now)
{
	int64_t id = 0;
	obol_err e = next_id(s, "SELECT COALESCE(MAX(id), 0) FROM payword_evidence", &id);
	if (e)
		return e;
	return obol_store_run(s, NULL,
			      "INSERT INTO payword_evidence (id, kind, serial, culprit, detail, created) "
			      "VALUES (?, ?, ?, ?, ?, ?)",
			      "ititti", id, kind, (int64_t)serial, culprit, detail_json, now);
}

obol_err payword_db_evidence_list(struct obol_store *s, payword_evidence_fn fn, void *ctx)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s,
				       "SELECT id, kind, serial, culprit, detail, created FROM payword_evidence ORDER BY id",
				       &st);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		e = fn(ctx, obol_stmt_column_int64(st, 0), obol_stmt_column_text(st, 1),
		       (uint64_t)obol_stmt_column_int64(st, 2), obol_stmt_column_text(st, 3),
		       obol_stmt_column_text(st, 4), obol_stmt_column_int64(st, 5));
	if (st != NULL)
		obol_stmt_finish(st);
	return e;
}

obol_err payword_db_crl_page(struct obol_store *s, const struct payword_db_crl_query *q, uint64_t *out, size_t *n,
			     bool *more)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	*n = 0;
	*more = false;
	if (q->limit == 0 || q->after > INT64_MAX || q->since < 0)
		return OBOL_E_INVALID_ARGUMENT;
	/* One row past the page tells whether another follows. A delta reads
	 * by the time certificates ended (the unary plus keeps the planner off
	 * the serial index, which would walk the whole list) and sorts what it
	 * found; the whole list walks the serial index from `after`. */
	obol_err e = obol_stmt_prepare(s,
				       q->since > 0 ? "SELECT serial FROM payword_certs WHERE status <> 1 AND ended_at >= ?"
						      " AND +serial > ? AND not_after >= ? ORDER BY +serial LIMIT ?"
						    : "SELECT serial FROM payword_certs WHERE status <> 1 AND ? = 0"
						      " AND serial > ? AND not_after >= ? ORDER BY serial LIMIT ?",
				       &st);
	if (e)
		return e;
	e = obol_stmt_bindf(st, "iiii", q->since, (int64_t)q->after, q->now, (int64_t)q->limit + 1);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if (*n == q->limit) {
			*more = true;
			break;
		}
		out[(*n)++] = (uint64_t)obol_stmt_column_int64(st, 0);
	}
	obol_stmt_finish(st);
	return e;
}

/* --- the audit (P1) ---------------------------------------------------- */

#define BALANCE_SQL "SELECT serial, user_id, n + covered - paid - moved_out, token_units FROM payword_certs "

obol_err payword_db_outstanding(struct obol_store *s, const char *currency, struct obol_amount *out)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_amount_zero(currency, out);
	if (e)
		return e;
	e = obol_stmt_prepare(s, BALANCE_SQL "WHERE n + covered - paid - moved_out > 0", &st);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_amount tv, part;
		e = obol_amount_from_units(currency, obol_stmt_column_int64(st, 3), &tv);
		if (e == OBOL_OK)
			e = obol_amount_mul(&part, &tv, (uint64_t)obol_stmt_column_int64(st, 2));
		if (e == OBOL_OK)
			e = obol_amount_add(out, out, &part);
	}
	if (st != NULL)
		obol_stmt_finish(st);
	return e;
}

static obol_err audit_outstanding(struct obol_store *s, const char *currency, struct obol_amount *outstanding)
{
	return payword_db_outstanding(s, currency, outstanding);
}

/* The value of k tokens of token_units each, as text. */
static void tokens_text(const char *currency, int64_t units, int64_t k, char out[static OBOL_AMOUNT_STR_MAX])
{
	struct obol_amount tv, v;
	if (obol_amount_from_units(currency, units, &tv) == OBOL_OK && obol_amount_mul(&v, &tv, (uint64_t)k) == OBOL_OK)
		obol_amount_format(&v, out);
	else
		snprintf(out, OBOL_AMOUNT_STR_MAX, "?");
}

/* Findings: every certificate whose balance is negative (broken: vendors were
 * paid more than its user paid, P1), and every claim held as a user's debt
 * or for review (listed: nobody was paid for them yet). */
static obol_err audit_findings(struct obol_store *s, const char *currency, obol_audit_report_fn report, void *ctx)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	char text[256], amt[OBOL_AMOUNT_STR_MAX];
	obol_err e = obol_stmt_prepare(s, BALANCE_SQL "WHERE n + covered - paid - moved_out < 0 ORDER BY serial", &st);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t owed = -obol_stmt_column_int64(st, 2);
		tokens_text(currency, obol_stmt_column_int64(st, 3), owed, amt);
		snprintf(text, sizeof(text),
			 "payword certificate %lld of account %lld is %lld tokens (%s) below zero: vendors were paid "
			 "more than its user paid, a debt its account did not cover",
			 (long long)obol_stmt_column_int64(st, 0), (long long)obol_stmt_column_int64(st, 1),
			 (long long)owed, amt);
		report(ctx, true, text);
	}
	if (st != NULL)
		obol_stmt_finish(st);
	st = NULL;
	if (e == OBOL_OK)
		e = obol_stmt_prepare(s,
				      "SELECT c.id, c.serial, k.user_id, c.vendor, c.held_tokens, c.hold, k.token_units "
				      "FROM payword_claims c JOIN payword_certs k ON k.serial = c.serial "
				      "WHERE c.held_tokens > 0 ORDER BY c.id",
				      &st);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t held = obol_stmt_column_int64(st, 4);
		tokens_text(currency, obol_stmt_column_int64(st, 6), held, amt);
		snprintf(text, sizeof(text), "payword claim %lld (certificate %lld): account %lld owes vendor %lld %lld tokens (%s), %s",
			 (long long)obol_stmt_column_int64(st, 0), (long long)obol_stmt_column_int64(st, 1),
			 (long long)obol_stmt_column_int64(st, 2), (long long)obol_stmt_column_int64(st, 3),
			 (long long)held, amt,
			 obol_stmt_column_int64(st, 5) == PAYWORD_HOLD_REVIEW ? "held for review (obol issuer payword review)"
									      : "a debt held until its next token purchase");
		report(ctx, false, text);
	}
	if (st != NULL)
		obol_stmt_finish(st);
	return e;
}

static const struct obol_audit_scheme payword_audit = {
	.scheme = "payword",
	.outstanding = audit_outstanding,
	.findings = audit_findings,
};

__attribute__((constructor)) static void payword_audit_register(void)
{
	obol_audit_register(&payword_audit);
}
