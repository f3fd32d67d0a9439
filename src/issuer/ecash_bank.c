/* The issuer's ecash scheme: tables, the bank key, GET /keys part, the audit
 * check, revocations. See ecash_issuer.h. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/ecash_issuer.h"
#include "store/audit.h"

static const struct obol_migration ecash_steps[] = {
	{ "CREATE TABLE ecash_bank_key (id BIGINT PRIMARY KEY, sk BYTEA NOT NULL, created BIGINT NOT NULL);"
	  "CREATE TABLE ecash_nonces (nonce BYTEA PRIMARY KEY, account BIGINT NOT NULL, purpose TEXT NOT NULL,"
	  " expiry BIGINT NOT NULL, used BIGINT NOT NULL);"
	  "CREATE TABLE ecash_certs (key_id BYTEA PRIMARY KEY, account BIGINT NOT NULL, cert TEXT NOT NULL,"
	  " issued BIGINT NOT NULL, expiry BIGINT NOT NULL);"
	  "CREATE TABLE ecash_coins (serial BYTEA PRIMARY KEY, account BIGINT NOT NULL, units BIGINT NOT NULL,"
	  " issued BIGINT NOT NULL, expiry BIGINT NOT NULL, deposited BIGINT NOT NULL);"
	  "CREATE INDEX ecash_coins_outstanding ON ecash_coins (deposited);"
	  "CREATE TABLE ecash_deposits (serial BYTEA PRIMARY KEY, depositor BYTEA NOT NULL, account BIGINT NOT NULL,"
	  " held TEXT NOT NULL, at BIGINT NOT NULL);"
	  "CREATE TABLE ecash_frauds (id BIGINT PRIMARY KEY, serial BYTEA NOT NULL, kind TEXT NOT NULL,"
	  " culprit_account BIGINT NOT NULL, depositor BYTEA NOT NULL, evidence TEXT NOT NULL, at BIGINT NOT NULL);"
	  "CREATE TABLE ecash_revoked (key_id BYTEA PRIMARY KEY, at BIGINT NOT NULL, reason TEXT NOT NULL);",
	  NULL },
	/* Refunds of expired coins share the spent registry, flagged; a coin
	 * lifetime chosen at init (0: the default of ecash_bank_init). */
	{ "ALTER TABLE ecash_deposits ADD COLUMN refund BIGINT NOT NULL DEFAULT 0;"
	  "ALTER TABLE ecash_bank_key ADD COLUMN coin_lifetime BIGINT NOT NULL DEFAULT 0;",
	  NULL },
};

obol_err ecash_issuer_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "ecash", ecash_steps, OBOL_ARRAY_LEN(ecash_steps));
}

static const char *const ecash_init_options[] = { "ecash-coin-lifetime", NULL };

/* `issuer init`: draws the bank's RSA key (§3.1, RSA-PSS-SHA512 signer) and
 * keeps the coin lifetime asked for (seconds; the default is 180 days). */
static obol_err ecash_init(struct obol_store *s, const struct obol_issuer_keys *keys, const char *currency,
			   const struct obol_init_arg *args, size_t nargs, FILE *out)
{
	EVP_PKEY *k = NULL;
	uint8_t *der = NULL, id[ECASH_ID_LEN];
	size_t len = 0;
	struct obol_stmt *st = NULL;
	bool row;
	char hex[2 * ECASH_ID_LEN + 1];
	uint64_t lifetime = 0;
	(void)keys;
	(void)currency;
	obol_err e = OBOL_OK;
	for (size_t i = 0; i < nargs && e == OBOL_OK; i++)
		if (strcmp(args[i].name, "ecash-coin-lifetime") == 0)
			e = obol_parse_u64(args[i].value, 1, 3650 * UINT64_C(86400), &lifetime);
	if (e == OBOL_OK)
		e = obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &k);
	if (e == OBOL_OK)
		e = obol_rsa_private_to_der(k, &der, &len);
	if (e == OBOL_OK)
		e = obol_stmt_prepare(s, "INSERT INTO ecash_bank_key (id, sk, created, coin_lifetime) VALUES (1, ?, ?, ?)",
				      &st);
	if (e == OBOL_OK && (e = obol_stmt_bind_blob(st, 1, der, len)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, obol_now())) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 3, (int64_t)lifetime)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	if (e == OBOL_OK && (e = ecash_key_id(k, id)) == OBOL_OK) {
		obol_hex_encode(id, 8, hex);
		fprintf(out, "ecash: bank key RSA-%d id %s\n", EVP_PKEY_get_bits(k), hex);
	}
	obol_rsa_der_free(der, len);
	EVP_PKEY_free(k);
	return e;
}

obol_err ecash_issuer_load(struct obol_store *s, const char *currency, struct ecash_issuer_state **out)
{
	struct ecash_issuer_state *st = calloc(1, sizeof(*st));
	struct obol_stmt *q = NULL;
	bool row;
	int64_t lifetime = 0;
	obol_err e = st ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_stmt_prepare(s, "SELECT sk, coin_lifetime FROM ecash_bank_key WHERE id = 1", &q);
	if (e == OBOL_OK) {
		if ((e = obol_stmt_step(q, &row)) == OBOL_OK) {
			if (!row) {
				e = OBOL_E_KEYS_UNKNOWN;
			} else {
				size_t len;
				const uint8_t *der = obol_stmt_column_blob(q, 0, &len);
				e = obol_rsa_private_from_der(der, len, &st->sk);
				lifetime = obol_stmt_column_int64(q, 1);
			}
		}
		obol_stmt_finish(q);
	}
	if (e == OBOL_OK)
		e = ecash_bank_init(&st->bank, st->sk, currency);
	if (e == OBOL_OK && lifetime > 0)
		st->bank.coin_lifetime = lifetime;
	if (e == OBOL_OK)
		e = obol_rsa_public_to_der(st->sk, &st->pk_der, &st->pk_der_len);
	if (e != OBOL_OK) {
		ecash_issuer_unload(st);
		return e;
	}
	*out = st;
	return OBOL_OK;
}

void ecash_issuer_unload(struct ecash_issuer_state *st)
{
	if (st == NULL)
		return;
	EVP_PKEY_free(st->sk);
	OPENSSL_free(st->pk_der);
	free(st);
}

static obol_err ecash_start(struct obol_issuer *iss, struct obol_store *s, void **state)
{
	struct ecash_issuer_state *st = NULL;
	obol_err e = ecash_issuer_load(s, obol_issuer_currency(iss), &st);
	if (e == OBOL_OK)
		*state = st;
	return e;
}

static void ecash_stop(struct obol_issuer *iss, void *state)
{
	(void)iss;
	ecash_issuer_unload(state);
}

obol_err ecash_issuer_state(struct obol_issuer *iss, struct ecash_issuer_state **out)
{
	*out = obol_issuer_scheme_state(iss, "ecash");
	return *out != NULL ? OBOL_OK : OBOL_E_KEYS_UNKNOWN;
}

/* GET /keys "ecash": {"bank_key": DER (base64url), "max_coin", "ring_default"}. */
static obol_err ecash_keys_part(struct obol_issuer *iss, struct obol_store *s, json_t **part)
{
	struct ecash_issuer_state *st;
	char *b64 = NULL, maxc[OBOL_AMOUNT_STR_MAX];
	(void)s;
	obol_err e = ecash_issuer_state(iss, &st);
	if (e != OBOL_OK)
		return e;
	size_t cap = OBOL_B64_LEN(st->pk_der_len);
	b64 = malloc(cap);
	if (b64 == NULL)
		return OBOL_E_NO_MEMORY;
	e = obol_b64_encode(st->pk_der, st->pk_der_len, b64, cap);
	obol_amount_format(&st->bank.max_coin, maxc);
	if (e == OBOL_OK) {
		*part = json_pack("{s:s, s:s, s:i}", "bank_key", b64, "max_coin", maxc, "ring_default",
				  ECASH_RING_DEFAULT);
		e = *part ? OBOL_OK : OBOL_E_NO_MEMORY;
	}
	free(b64);
	return e;
}

OBOL_ISSUER_SCHEME(ecash_issuer_scheme, .name = "ecash", .migrate = ecash_issuer_migrate,
		   .init_options = ecash_init_options,
		   .init_help = "  --ecash-coin-lifetime SECONDS  how long a coin is valid (default 180 days); an\n"
				"                                 expired coin is redeemed with 'wallet ecash redeem-expired'",
		   .init = ecash_init,
		   .start = ecash_start, .stop = ecash_stop, .keys_part = ecash_keys_part)

/* The audit's check 4 for ecash: coins issued and not yet deposited. */
static obol_err ecash_outstanding(struct obol_store *s, const char *currency, struct obol_amount *outstanding)
{
	struct obol_stmt *st;
	bool row;
	int64_t units = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT COALESCE(SUM(units), 0) FROM ecash_coins WHERE deposited = 0", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		units = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	return obol_amount_from_units(currency, units, outstanding);
}

static const struct obol_audit_scheme ecash_audit = { .scheme = "ecash", .outstanding = ecash_outstanding };

__attribute__((constructor)) static void ecash_audit_register(void)
{
	obol_audit_register(&ecash_audit);
}

obol_err ecash_issuer_revocations(struct obol_store *s, struct ecash_revocations *rl)
{
	struct obol_stmt *st;
	bool row;
	memset(rl, 0, sizeof(*rl));
	rl->ids = calloc(ECASH_REVOKED_MAX, ECASH_ID_LEN);
	if (rl->ids == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_stmt_prepare(s, "SELECT key_id FROM ecash_revoked ORDER BY key_id", &st);
	if (e != OBOL_OK) {
		ecash_revocations_clear(rl);
		return e;
	}
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *id = obol_stmt_column_blob(st, 0, &len);
		if (len != ECASH_ID_LEN || rl->n >= ECASH_REVOKED_MAX) {
			e = OBOL_E_INTERNAL;
			break;
		}
		memcpy(rl->ids[rl->n++], id, ECASH_ID_LEN);
	}
	obol_stmt_finish(st);
	rl->seq = rl->n; /* keys are never un-revoked: the count only grows */
	if (e != OBOL_OK)
		ecash_revocations_clear(rl);
	return e;
}

obol_err ecash_issuer_revoke(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN], const char *reason,
			     int64_t now)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT 1 FROM ecash_revoked WHERE key_id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	if (e != OBOL_OK || row)
		return e;
	e = obol_stmt_prepare(s, "INSERT INTO ecash_revoked (key_id, at, reason) VALUES (?, ?, ?)", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, now)) == OBOL_OK && (e = obol_stmt_bind_text(st, 3, reason)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

obol_err ecash_issuer_cert(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN], struct ecash_cert *out)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT cert FROM ecash_certs WHERE key_id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_blob(st, 1, id, ECASH_ID_LEN)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		if (!row) {
			e = OBOL_E_ECASH_NOT_REGISTERED;
		} else {
			const char *text = obol_stmt_column_text(st, 0);
			json_error_t jerr;
			json_t *j = json_loads(text, 0, &jerr);
			e = j ? ecash_cert_from_json(j, out) : OBOL_E_INTERNAL;
			json_decref(j);
		}
	}
	obol_stmt_finish(st);
	return e;
}
