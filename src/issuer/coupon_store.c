/* The coupon scheme's tables at the issuer (coupon_store.h). SQL only with
 * bound parameters. */
#include "issuer/coupon_store.h"

#include <string.h>

#include "core/clock.h"
#include "crypto/rsa.h"
#include "store/audit.h"

static const struct obol_migration coupon_steps[] = {
	{ .sqlite = "CREATE TABLE coupon_denoms (id BIGINT PRIMARY KEY, currency TEXT NOT NULL, "
		    "value_units BIGINT NOT NULL, n BIGINT NOT NULL, rsa_sk BYTEA NOT NULL, rsa_pk BYTEA NOT NULL, "
		    "withdraw_until BIGINT NOT NULL, spend_until BIGINT NOT NULL, created BIGINT NOT NULL);"
		    "CREATE TABLE coupon_settings (key TEXT PRIMARY KEY, value BIGINT NOT NULL);"
		    "CREATE TABLE coupon_withdrawals (ref TEXT PRIMARY KEY, account BIGINT NOT NULL, "
		    "denom BIGINT NOT NULL, value_units BIGINT NOT NULL, created BIGINT NOT NULL);"
		    "CREATE TABLE coupon_coins (coin_id BYTEA PRIMARY KEY, denom BIGINT NOT NULL, "
		    "last_index BIGINT NOT NULL, last_token BYTEA NOT NULL, credited_index BIGINT NOT NULL, "
		    "locked BIGINT NOT NULL, lock_cert_hash BYTEA, lock_vendor_pk BYTEA, "
		    "lock_vendor_account BIGINT NOT NULL, lock_until BIGINT NOT NULL, lock_auth_hash BYTEA, "
		    "version BIGINT NOT NULL);"
		    "CREATE TABLE coupon_settles (coin_id BYTEA NOT NULL, idx BIGINT NOT NULL, "
		    "cert_hash BYTEA NOT NULL, keep BIGINT NOT NULL, credited_tokens BIGINT NOT NULL, "
		    "locked BIGINT NOT NULL, spent BIGINT NOT NULL, created BIGINT NOT NULL, "
		    "PRIMARY KEY (coin_id, idx, cert_hash, keep));" },
	/* 2: a settle names the lock it ends (H of the lock's sealed box); the
	 * answered settles are keyed by it too, so a settle of a later lock at
	 * the same index is not taken for a repeat. Settles answered before
	 * named no lock: they keep 32 zero bytes. */
	{ .sqlite = "CREATE TABLE coupon_settles2 (coin_id BYTEA NOT NULL, lock_hash BYTEA NOT NULL, "
		    "idx BIGINT NOT NULL, cert_hash BYTEA NOT NULL, keep BIGINT NOT NULL, "
		    "credited_tokens BIGINT NOT NULL, locked BIGINT NOT NULL, spent BIGINT NOT NULL, "
		    "created BIGINT NOT NULL, PRIMARY KEY (coin_id, lock_hash, idx, cert_hash, keep));"
		    "INSERT INTO coupon_settles2 SELECT coin_id, zeroblob(32), idx, cert_hash, keep, credited_tokens, "
		    "locked, spent, created FROM coupon_settles;"
		    "DROP TABLE coupon_settles;"
		    "ALTER TABLE coupon_settles2 RENAME TO coupon_settles;",
	  .postgres = "CREATE TABLE coupon_settles2 (coin_id BYTEA NOT NULL, lock_hash BYTEA NOT NULL, "
		      "idx BIGINT NOT NULL, cert_hash BYTEA NOT NULL, keep BIGINT NOT NULL, "
		      "credited_tokens BIGINT NOT NULL, locked BIGINT NOT NULL, spent BIGINT NOT NULL, "
		      "created BIGINT NOT NULL, PRIMARY KEY (coin_id, lock_hash, idx, cert_hash, keep));"
		      "INSERT INTO coupon_settles2 SELECT coin_id, decode(repeat('00', 32), 'hex'), idx, cert_hash, keep, "
		      "credited_tokens, locked, spent, created FROM coupon_settles;"
		      "DROP TABLE coupon_settles;"
		      "ALTER TABLE coupon_settles2 RENAME TO coupon_settles;" },
	/* 3: denomination keys rotate (coupon_store.h): each key has the
	 * first second it issues coins and the last its coins are refunded.
	 * Keys made before: from their creation, refunded three years past
	 * their spend-until (the key policy's default). */
	{ .sqlite = "ALTER TABLE coupon_denoms ADD COLUMN valid_from BIGINT NOT NULL DEFAULT 0;"
		    "ALTER TABLE coupon_denoms ADD COLUMN legal_end BIGINT NOT NULL DEFAULT 0;"
		    "UPDATE coupon_denoms SET valid_from = MIN(created, withdraw_until), "
		    "legal_end = spend_until + 94608000;",
	  .postgres = "ALTER TABLE coupon_denoms ADD COLUMN valid_from BIGINT NOT NULL DEFAULT 0;"
		      "ALTER TABLE coupon_denoms ADD COLUMN legal_end BIGINT NOT NULL DEFAULT 0;"
		      "UPDATE coupon_denoms SET valid_from = LEAST(created, withdraw_until), "
		      "legal_end = spend_until + 94608000;" },
};

obol_err coupon_store_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "coupon", coupon_steps, OBOL_ARRAY_LEN(coupon_steps));
}

static obol_err denom_insert(struct obol_store *s, const struct coupon_denom *d, bool with_private)
{
	static const uint8_t none[1];
	uint8_t *sk = NULL, *pk = NULL;
	size_t sk_len = 0, pk_len = 0;
	obol_err e;
	if ((with_private && (e = obol_rsa_private_to_der(d->key, &sk, &sk_len)) != OBOL_OK) ||
	    (e = obol_rsa_public_to_der(d->key, &pk, &pk_len)) != OBOL_OK)
		goto out;
	e = obol_store_run(s, NULL,
			   "INSERT INTO coupon_denoms (id, currency, value_units, n, rsa_sk, rsa_pk, valid_from, "
			   "withdraw_until, spend_until, legal_end, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			   "itiibbiiiii", (int64_t)d->id, d->value.currency, d->value.units, (int64_t)d->n,
			   sk ? sk : none, sk_len,
			   pk, pk_len, d->valid_from, d->withdraw_until, d->spend_until, d->legal_end, obol_now());
out:
	if (sk)
		obol_rsa_der_free(sk, sk_len);
	if (pk)
		obol_rsa_der_free(pk, pk_len);
	return e;
}

obol_err coupon_store_denom_add(struct obol_store *s, const struct coupon_denom *d)
{
	return denom_insert(s, d, true);
}

obol_err coupon_store_denom_add_public(struct obol_store *s, const struct coupon_denom *d)
{
	return denom_insert(s, d, false);
}

obol_err coupon_store_denoms(struct obol_store *s, int64_t now, struct coupon_denom *out, size_t cap, size_t *n)
{
	struct obol_stmt *st;
	bool row;
	obol_err e;
	*n = 0;
	if ((e = obol_stmt_prepare(s,
				   "SELECT id, currency, value_units, n, rsa_sk, withdraw_until, spend_until, "
				   "valid_from, legal_end, rsa_pk FROM coupon_denoms WHERE legal_end >= ? OR id IN "
				   "(SELECT MAX(id) FROM coupon_denoms GROUP BY currency, value_units, n) ORDER BY id",
				   &st)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "i", now)) != OBOL_OK) {
		obol_stmt_finish(st);
		return e;
	}
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct coupon_denom *d = &out[*n];
		size_t len;
		if (*n >= cap) {
			e = OBOL_E_CONFIG;
			break;
		}
		memset(d, 0, sizeof(*d));
		d->id = (uint32_t)obol_stmt_column_int64(st, 0);
		const char *cur = obol_stmt_column_text(st, 1);
		if ((e = obol_amount_from_units(cur ? cur : "", obol_stmt_column_int64(st, 2), &d->value)) != OBOL_OK)
			break;
		d->n = (uint64_t)obol_stmt_column_int64(st, 3);
		/* an empty rsa_sk: the key moved to the signing process, only
		 * its public half is here */
		size_t pk_len;
		const void *sk = obol_stmt_column_blob(st, 4, &len);
		const void *pk = obol_stmt_column_blob(st, 9, &pk_len);
		e = len > 0 ? obol_rsa_private_from_der(sk, len, &d->key) : obol_rsa_public_from_der(pk, pk_len, &d->key);
		if (e != OBOL_OK)
			break;
		d->withdraw_until = obol_stmt_column_int64(st, 5);
		d->spend_until = obol_stmt_column_int64(st, 6);
		d->valid_from = obol_stmt_column_int64(st, 7);
		d->legal_end = obol_stmt_column_int64(st, 8);
		(*n)++;
		if ((e = coupon_denom_check(d)) != OBOL_OK)
			break;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK) {
		for (size_t i = 0; i < *n; i++)
			EVP_PKEY_free(out[i].key);
		*n = 0;
	}
	return e;
}

obol_err coupon_store_denom_retired(struct obol_store *s, uint64_t id, int64_t now)
{
	struct obol_stmt *st;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT legal_end FROM coupon_denoms WHERE id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "i", (int64_t)id)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		e = row && obol_stmt_column_int64(st, 0) < now ? OBOL_E_COUPON_REFUND_LEGAL_END
							      : OBOL_E_COUPON_DENOM_UNKNOWN;
	obol_stmt_finish(st);
	return e;
}

obol_err coupon_store_setting_set(struct obol_store *s, const char *key, int64_t v)
{
	obol_err e = obol_store_run(s, NULL, "DELETE FROM coupon_settings WHERE key = ?", "t", key);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "INSERT INTO coupon_settings (key, value) VALUES (?, ?)", "ti", key, v);
	return e;
}

obol_err coupon_store_setting(struct obol_store *s, const char *key, int64_t *v)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT value FROM coupon_settings WHERE key = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "t", key)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (row)
			*v = obol_stmt_column_int64(st, 0);
		else
			e = OBOL_E_NOT_FOUND;
	}
	obol_stmt_finish(st);
	return e;
}

obol_err coupon_store_withdrawal_add(struct obol_store *s, const char *ref, int64_t account, uint32_t denom,
				     const struct obol_amount *value)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO coupon_withdrawals (ref, account, denom, value_units, created) "
			      "VALUES (?, ?, ?, ?, ?)",
			      "tiiii", ref, account, (int64_t)denom, value->units, obol_now());
}

static obol_err blob_copy(struct obol_stmt *st, int col, uint8_t *out, size_t n)
{
	size_t len;
	if (obol_stmt_column_is_null(st, col)) {
		memset(out, 0, n);
		return OBOL_OK;
	}
	const void *p = obol_stmt_column_blob(st, col, &len);
	if (len != n)
		return OBOL_E_STORE_QUERY;
	memcpy(out, p, n);
	return OBOL_OK;
}

obol_err coupon_store_coin_get(struct obol_store *s, const uint8_t id[static COUPON_ID_LEN],
			       struct coupon_coin_state *out, bool *found)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s,
				       "SELECT denom, last_index, last_token, credited_index, locked, lock_cert_hash, "
				       "lock_vendor_pk, lock_vendor_account, lock_until, lock_auth_hash, version "
				       "FROM coupon_coins WHERE coin_id = ?",
				       &st);
	if (e != OBOL_OK)
		return e;
	*found = false;
	if ((e = obol_stmt_bindf(st, "b", id, (size_t)COUPON_ID_LEN)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		memset(out, 0, sizeof(*out));
		memcpy(out->coin_id, id, COUPON_ID_LEN);
		out->denom = (uint32_t)obol_stmt_column_int64(st, 0);
		out->last_index = (uint64_t)obol_stmt_column_int64(st, 1);
		out->credited_index = (uint64_t)obol_stmt_column_int64(st, 3);
		out->locked = obol_stmt_column_int64(st, 4) != 0;
		out->lock_vendor_account = obol_stmt_column_int64(st, 7);
		out->lock_until = obol_stmt_column_int64(st, 8);
		out->version = obol_stmt_column_int64(st, 10);
		if ((e = blob_copy(st, 2, out->last_token, COUPON_ID_LEN)) == OBOL_OK &&
		    (e = blob_copy(st, 5, out->lock_cert_hash, COUPON_ID_LEN)) == OBOL_OK &&
		    (e = blob_copy(st, 6, out->lock_vendor_pk, OBOL_SIGN_PK_LEN)) == OBOL_OK &&
		    (e = blob_copy(st, 9, out->lock_auth_hash, COUPON_ID_LEN)) == OBOL_OK)
			*found = true;
	}
	obol_stmt_finish(st);
	return e;
}

obol_err coupon_store_coin_put(struct obol_store *s, const struct coupon_coin_state *c, bool insert)
{
	int64_t changes = 0;
	obol_err e;
	if (insert) {
		e = obol_store_run(s, &changes,
				   "INSERT INTO coupon_coins (coin_id, denom, last_index, last_token, credited_index, "
				   "locked, lock_cert_hash, lock_vendor_pk, lock_vendor_account, lock_until, "
				   "lock_auth_hash, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
				   "ON CONFLICT (coin_id) DO NOTHING",
				   "biibiibbiibi", c->coin_id, (size_t)COUPON_ID_LEN, (int64_t)c->denom,
				   (int64_t)c->last_index, c->last_token, (size_t)COUPON_ID_LEN,
				   (int64_t)c->credited_index, (int64_t)c->locked, c->lock_cert_hash,
				   (size_t)COUPON_ID_LEN, c->lock_vendor_pk, (size_t)OBOL_SIGN_PK_LEN,
				   c->lock_vendor_account, c->lock_until, c->lock_auth_hash, (size_t)COUPON_ID_LEN,
				   c->version);
	} else {
		e = obol_store_run(s, &changes,
				   "UPDATE coupon_coins SET last_index = ?, last_token = ?, credited_index = ?, "
				   "locked = ?, lock_cert_hash = ?, lock_vendor_pk = ?, lock_vendor_account = ?, "
				   "lock_until = ?, lock_auth_hash = ?, version = ? WHERE coin_id = ? AND version = ?",
				   "ibiibbiibibi", (int64_t)c->last_index, c->last_token, (size_t)COUPON_ID_LEN,
				   (int64_t)c->credited_index, (int64_t)c->locked, c->lock_cert_hash,
				   (size_t)COUPON_ID_LEN, c->lock_vendor_pk, (size_t)OBOL_SIGN_PK_LEN,
				   c->lock_vendor_account, c->lock_until, c->lock_auth_hash, (size_t)COUPON_ID_LEN,
				   c->version, c->coin_id, (size_t)COUPON_ID_LEN, c->version - 1);
	}
	if (e == OBOL_OK && changes != 1)
		e = OBOL_E_STORE_CONFLICT;
	return e;
}

obol_err coupon_store_settle_get(struct obol_store *s, const uint8_t id[static COUPON_ID_LEN],
				 const uint8_t lock[static COUPON_ID_LEN], uint64_t index,
				 const uint8_t cert_hash[static COUPON_ID_LEN], bool keep,
				 struct coupon_settle_record *out, bool *found)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s,
				       "SELECT credited_tokens, locked, spent FROM coupon_settles "
				       "WHERE coin_id = ? AND lock_hash = ? AND idx = ? AND cert_hash = ? AND keep = ?",
				       &st);
	if (e != OBOL_OK)
		return e;
	*found = false;
	if ((e = obol_stmt_bindf(st, "bbibi", id, (size_t)COUPON_ID_LEN, lock, (size_t)COUPON_ID_LEN, (int64_t)index,
				 cert_hash, (size_t)COUPON_ID_LEN, (int64_t)keep)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		out->credited_tokens = (uint64_t)obol_stmt_column_int64(st, 0);
		out->locked = obol_stmt_column_int64(st, 1) != 0;
		out->spent = obol_stmt_column_int64(st, 2) != 0;
		*found = true;
	}
	obol_stmt_finish(st);
	return e;
}

obol_err coupon_store_settle_add(struct obol_store *s, const uint8_t id[static COUPON_ID_LEN],
				 const uint8_t lock[static COUPON_ID_LEN], uint64_t index,
				 const uint8_t cert_hash[static COUPON_ID_LEN], bool keep,
				 const struct coupon_settle_record *rec)
{
	return obol_store_run(s, NULL,
			      "INSERT INTO coupon_settles (coin_id, lock_hash, idx, cert_hash, keep, credited_tokens, "
			      "locked, spent, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			      "bbibiiiii", id, (size_t)COUPON_ID_LEN, lock, (size_t)COUPON_ID_LEN, (int64_t)index, cert_hash,
			      (size_t)COUPON_ID_LEN, (int64_t)keep, (int64_t)rec->credited_tokens, (int64_t)rec->locked,
			      (int64_t)rec->spent, obol_now());
}

obol_err coupon_store_outstanding(struct obol_store *s, const char *currency, struct obol_amount *out)
{
	struct obol_stmt *st;
	struct obol_amount part;
	bool row;
	obol_err e;
	if ((e = obol_amount_zero(currency, out)) != OBOL_OK)
		return e;
	/* Σ withdrawn, per currency of its denomination */
	if ((e = obol_stmt_prepare(s,
				   "SELECT d.currency, COALESCE(SUM(w.value_units), 0) FROM coupon_withdrawals w "
				   "JOIN coupon_denoms d ON d.id = w.denom GROUP BY d.currency",
				   &st)) != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if ((e = obol_amount_from_units(obol_stmt_column_text(st, 0), obol_stmt_column_int64(st, 1), &part)) !=
			    OBOL_OK ||
		    (e = obol_amount_add(out, out, &part)) != OBOL_OK)
			break;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	/* − Σ credited tokens × M/n, per denomination */
	if ((e = obol_stmt_prepare(s,
				   "SELECT d.currency, d.value_units, d.n, COALESCE(SUM(d.n - c.credited_index), 0) "
				   "FROM coupon_coins c JOIN coupon_denoms d ON d.id = c.denom "
				   "GROUP BY d.id, d.currency, d.value_units, d.n",
				   &st)) != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_amount value, tv, credited;
		if ((e = obol_amount_from_units(obol_stmt_column_text(st, 0), obol_stmt_column_int64(st, 1), &value)) !=
			    OBOL_OK ||
		    (e = obol_amount_div_exact(&tv, &value, (uint64_t)obol_stmt_column_int64(st, 2))) != OBOL_OK ||
		    (e = obol_amount_mul(&credited, &tv, (uint64_t)obol_stmt_column_int64(st, 3))) != OBOL_OK ||
		    (e = obol_amount_sub(out, out, &credited)) != OBOL_OK)
			break;
	}
	obol_stmt_finish(st);
	return e;
}

/* The audit's check 4 for this scheme (store/audit.h). */
static obol_err coupon_audit_outstanding(struct obol_store *s, const char *currency, struct obol_amount *out)
{
	return coupon_store_outstanding(s, currency, out);
}

static const struct obol_audit_scheme coupon_audit = { .scheme = "coupon", .outstanding = coupon_audit_outstanding };

__attribute__((constructor)) static void coupon_audit_register(void)
{
	obol_audit_register(&coupon_audit);
}
