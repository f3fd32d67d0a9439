/* The issuer's master and box keys in table issuer_keys (contract in keys.h).
 * Component "issuer" also holds vendor_certs (src/issuer/vendors.c). */
#include <string.h>

#include "core/compiler.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/keys.h"
#include "issuer/vendors.h"

static const struct obol_migration issuer_steps[] = {
	{ .sqlite = "CREATE TABLE issuer_keys (id BIGINT PRIMARY KEY, master_seed BYTEA NOT NULL,"
		    " box_sk BYTEA NOT NULL, box_pk BYTEA NOT NULL, currency TEXT NOT NULL,"
		    " created BIGINT NOT NULL);"
		    "CREATE TABLE vendor_certs (serial BIGINT PRIMARY KEY, vendor_id BIGINT NOT NULL,"
		    " sign_pk BYTEA NOT NULL, cert BYTEA NOT NULL, valid_from BIGINT NOT NULL,"
		    " valid_until BIGINT NOT NULL);"
		    "CREATE INDEX vendor_certs_key ON vendor_certs (sign_pk, serial);" },
};

obol_err obol_issuer_keys_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "issuer", issuer_steps, OBOL_ARRAY_LEN(issuer_steps));
}

obol_err obol_issuer_vendors_migrate(struct obol_store *s)
{
	return obol_issuer_keys_migrate(s);
}

obol_err obol_issuer_keys_create(struct obol_store *s, const char *currency, int64_t now,
				 struct obol_issuer_keys *out)
{
	struct obol_stmt *st = NULL;
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	bool row;
	obol_err e;

	memset(out, 0, sizeof *out);
	if (!obol_currency_valid(currency))
		return OBOL_E_AMOUNT_SYNTAX;
	e = obol_stmt_prepare(s, "SELECT id FROM issuer_keys WHERE id = 1", &st);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (st != NULL)
		obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		return e;
	if (row)
		return OBOL_E_ALREADY_INITIALISED;

	obol_random(seed, sizeof seed);
	obol_sign_keypair_from_seed(&out->master, seed);
	obol_box_keypair_new(&out->box);
	strcpy(out->currency, currency);
	out->created = now;
	e = obol_stmt_prepare(s, "INSERT INTO issuer_keys (id, master_seed, box_sk, box_pk, currency, created)"
				 " VALUES (1, ?, ?, ?, ?, ?)", &st);
	if (e != OBOL_OK)
		goto out;
	if ((e = obol_stmt_bind_blob(st, 1, seed, sizeof seed)) != OBOL_OK ||
	    (e = obol_stmt_bind_blob(st, 2, out->box.sk, sizeof out->box.sk)) != OBOL_OK ||
	    (e = obol_stmt_bind_blob(st, 3, out->box.pk, sizeof out->box.pk)) != OBOL_OK ||
	    (e = obol_stmt_bind_text(st, 4, currency)) != OBOL_OK || (e = obol_stmt_bind_int64(st, 5, now)) != OBOL_OK)
		goto out;
	e = obol_stmt_step(st, &row);
out:
	if (st != NULL)
		obol_stmt_finish(st);
	OBOL_WIPE(seed);
	if (e != OBOL_OK)
		obol_issuer_keys_wipe(out);
	return e;
}

obol_err obol_issuer_keys_load(struct obol_store *s, struct obol_issuer_keys *out)
{
	struct obol_stmt *st = NULL;
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	bool row;
	size_t n1, n2, n3;

	memset(out, 0, sizeof *out);
	obol_err e = obol_stmt_prepare(s, "SELECT master_seed, box_sk, box_pk, currency, created FROM issuer_keys"
					  " WHERE id = 1", &st);
	if (e != OBOL_OK)
		return e == OBOL_E_STORE_QUERY ? OBOL_E_KEYS_UNKNOWN : e;
	e = obol_stmt_step(st, &row);
	if (e != OBOL_OK)
		goto out;
	if (!row) {
		e = OBOL_E_KEYS_UNKNOWN;
		goto out;
	}
	const void *b1 = obol_stmt_column_blob(st, 0, &n1);
	const void *b2 = obol_stmt_column_blob(st, 1, &n2);
	const void *b3 = obol_stmt_column_blob(st, 2, &n3);
	const char *cur = obol_stmt_column_text(st, 3);
	if (n1 != sizeof seed || n2 != OBOL_BOX_SK_LEN || n3 != OBOL_BOX_PK_LEN || cur == NULL ||
	    obol_strlcpy_checked(out->currency, cur, sizeof out->currency) != OBOL_OK) {
		e = OBOL_E_CONFIG;
		goto out;
	}
	memcpy(seed, b1, sizeof seed);
	memcpy(out->box.sk, b2, OBOL_BOX_SK_LEN);
	memcpy(out->box.pk, b3, OBOL_BOX_PK_LEN);
	out->created = obol_stmt_column_int64(st, 4);
	obol_sign_keypair_from_seed(&out->master, seed);
out:
	obol_stmt_finish(st);
	OBOL_WIPE(seed);
	if (e != OBOL_OK)
		obol_issuer_keys_wipe(out);
	return e;
}

void obol_issuer_keys_wipe(struct obol_issuer_keys *k)
{
	obol_wipe(k, sizeof *k);
}
