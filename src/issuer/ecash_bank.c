/* The issuer's ecash scheme: tables, the bank key and its settings, GET
 * /keys part, the audit check. See ecash_issuer.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "issuer/ecash_issuer.h"
#include "issuer/ecash_rotate.h"
#include "issuer/signer_client.h"
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
	/* Issue 12: coins carry an owner key and the key whose top-up named it;
	 * the registry tells deposits, refunds and exchanges apart; keys are
	 * numbered in the order of registration (rings by block); barred
	 * accounts; certificate lifetime and deposit window chosen at init. A
	 * coin issued before keeps owner NULL (its v1 form). */
	{ "ALTER TABLE ecash_coins ADD COLUMN owner BYTEA;"
	  "ALTER TABLE ecash_coins ADD COLUMN key_id BYTEA;"
	  "ALTER TABLE ecash_deposits ADD COLUMN kind BIGINT NOT NULL DEFAULT 0;"
	  "ALTER TABLE ecash_deposits ADD COLUMN disclosed BIGINT NOT NULL DEFAULT 0;"
	  "UPDATE ecash_deposits SET kind = 1 WHERE refund = 1;"
	  "ALTER TABLE ecash_certs ADD COLUMN seq BIGINT;"
	  "UPDATE ecash_certs SET seq = (SELECT COUNT(*) FROM ecash_certs c2 WHERE c2.issued < ecash_certs.issued"
	  " OR (c2.issued = ecash_certs.issued AND c2.key_id < ecash_certs.key_id));"
	  "CREATE UNIQUE INDEX ecash_certs_seq ON ecash_certs (seq);"
	  "CREATE INDEX ecash_certs_account ON ecash_certs (account);"
	  "CREATE TABLE ecash_barred (account BIGINT PRIMARY KEY, at BIGINT NOT NULL, reason TEXT NOT NULL);"
	  "ALTER TABLE ecash_bank_key ADD COLUMN cert_lifetime BIGINT NOT NULL DEFAULT 0;"
	  "ALTER TABLE ecash_bank_key ADD COLUMN deposit_window BIGINT NOT NULL DEFAULT 0;",
	  NULL },
};

obol_err ecash_issuer_migrate(struct obol_store *s)
{
	obol_err e = obol_store_migrate(s, "ecash", ecash_steps, OBOL_ARRAY_LEN(ecash_steps));
	return e == OBOL_OK ? ecash_issuer_revocations_migrate(s) : e;
}

static const char *const ecash_init_options[] = { "ecash-coin-lifetime", "ecash-cert-lifetime",
						   "ecash-deposit-window", NULL };

/* `issuer init`: draws the bank's RSA key (§3.1, RSA-PSS-SHA512 signer) and
 * keeps the lifetimes and the deposit window asked for (seconds; 0 keeps
 * the defaults of ecash_bank_init). */
static obol_err ecash_init(struct obol_store *s, const struct obol_issuer_keys *keys, const char *currency,
			   const struct obol_init_arg *args, size_t nargs, FILE *out)
{
	EVP_PKEY *k = NULL;
	uint8_t *der = NULL, id[ECASH_ID_LEN];
	size_t len = 0;
	char hex[2 * ECASH_ID_LEN + 1];
	uint64_t coin_life = 0, cert_life = 0, window = 0;
	const uint64_t ten_years = 3650 * UINT64_C(86400);
	(void)keys;
	(void)currency;
	obol_err e = OBOL_OK;
	for (size_t i = 0; i < nargs && e == OBOL_OK; i++) {
		if (strcmp(args[i].name, "ecash-coin-lifetime") == 0)
			e = obol_parse_u64(args[i].value, 1, ten_years, &coin_life);
		else if (strcmp(args[i].name, "ecash-cert-lifetime") == 0)
			e = obol_parse_u64(args[i].value, 1, ten_years, &cert_life);
		else if (strcmp(args[i].name, "ecash-deposit-window") == 0)
			e = obol_parse_u64(args[i].value, 1, ten_years, &window);
	}
	if (e == OBOL_OK)
		e = obol_rsa_generate(OBOL_RSA_DEFAULT_BITS, &k);
	if (e == OBOL_OK)
		e = obol_rsa_private_to_der(k, &der, &len);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO ecash_bank_key (id, sk, created, coin_lifetime, cert_lifetime, deposit_window)"
				   " VALUES (1, ?, ?, ?, ?, ?)",
				   "biiii", der, len, obol_now(), (int64_t)coin_life, (int64_t)cert_life, (int64_t)window);
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
	struct ecash_bank_keys keys;
	if (st != NULL)
		pthread_mutex_init(&st->mu, NULL);
	struct obol_stmt *q = NULL;
	bool row;
	int64_t coin_life = 0, cert_life = 0, window = 0;
	obol_err e = st ? OBOL_OK : OBOL_E_NO_MEMORY;
	ecash_bank_keys_init(&keys);
	/* every bank key live at now, with its announced windows (ecash_rotate.h) */
	if (e == OBOL_OK)
		e = ecash_rotate_keys(s, obol_now(), &keys, &st->sk_moved);
	if (e == OBOL_OK)
		e = obol_stmt_prepare(s, "SELECT coin_lifetime, cert_lifetime, deposit_window FROM ecash_bank_key"
					 " ORDER BY id LIMIT 1", &q);
	if (e == OBOL_OK) {
		if ((e = obol_stmt_step(q, &row)) == OBOL_OK && row) {
			coin_life = obol_stmt_column_int64(q, 0);
			cert_life = obol_stmt_column_int64(q, 1);
			window = obol_stmt_column_int64(q, 2);
		}
		obol_stmt_finish(q);
	}
	if (e == OBOL_OK && (e = ecash_bank_init(&st->bank, keys.k[0].pk, currency)) == OBOL_OK)
		e = ecash_bank_set_keys(&st->bank, &keys);
	if (e == OBOL_OK && coin_life > 0)
		st->bank.coin_lifetime = coin_life;
	if (e == OBOL_OK && cert_life > 0)
		st->bank.cert_lifetime = cert_life;
	if (e == OBOL_OK && window > 0)
		ecash_bank_set_deposit_window(&st->bank, window);
	ecash_bank_keys_clear(&keys);
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
	ecash_bank_clear(&st->bank);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

/* ecash_bank's sign through the signing process, under the bank key of
 * that id (the signer's key id is the same SHA-256 of the DER public key). */
static obol_err signer_sign(void *ctx, const uint8_t key_id[static 32], const uint8_t *msg, size_t len, uint8_t *sig,
			    size_t cap, size_t *sig_len)
{
	struct ecash_issuer_state *st = ctx;
	return obol_signer_client_rsa_sign(st->signer, key_id, msg, len, sig, cap, sig_len);
}

/* With a signing process the bank signs there and holds its public keys
 * only; without, its private keys must be here. */
static obol_err bank_bind_signer(struct obol_issuer *iss, struct ecash_issuer_state *st)
{
	struct ecash_bank_keys pub;
	obol_err e = OBOL_OK;
	st->signer = obol_issuer_signer_client(iss);
	if (!st->signer)
		return st->sk_moved ? OBOL_E_SIGNER_REQUIRED : OBOL_OK;
	ecash_bank_keys_init(&pub);
	for (size_t i = 0; i < st->bank.keys.n && e == OBOL_OK; i++) {
		const struct ecash_bank_key *k = &st->bank.keys.k[i];
		uint8_t *der = NULL;
		size_t len = 0;
		EVP_PKEY *p = NULL;
		if ((e = obol_rsa_public_to_der(k->pk, &der, &len)) == OBOL_OK &&
		    (e = obol_rsa_public_from_der(der, len, &p)) == OBOL_OK)
			e = ecash_bank_keys_add(&pub, p, k->valid_from, k->use_until, k->accept_until, k->legal_end);
		OPENSSL_free(der);
		EVP_PKEY_free(p);
	}
	if (e == OBOL_OK)
		e = ecash_bank_set_keys(&st->bank, &pub);
	ecash_bank_keys_clear(&pub);
	if (e != OBOL_OK)
		return e;
	st->bank.sign = signer_sign;
	st->bank.sign_ctx = st;
	return OBOL_OK;
}

static obol_err ecash_start(struct obol_issuer *iss, struct obol_store *s, void **state)
{
	struct ecash_issuer_state *st = NULL;
	obol_err e = ecash_issuer_load(s, obol_issuer_currency(iss), &st);
	if (e == OBOL_OK && (e = bank_bind_signer(iss, st)) != OBOL_OK)
		ecash_issuer_unload(st);
	if (e == OBOL_OK)
		*state = st;
	return e;
}

static void ecash_stop(struct obol_issuer *iss, void *state)
{
	(void)iss;
	ecash_issuer_unload(state);
}

/* Adds the bank keys announced since the state was loaded, read on s.
 * Called with st->mu held. */
static obol_err refresh_on(struct obol_store *s, void *arg)
{
	struct ecash_issuer_state *st = arg;
	struct ecash_bank_keys fresh;
	size_t added = 0;
	bool moved = false;
	obol_err e = ecash_rotate_keys(s, obol_now(), &fresh, &moved);
	if (e == OBOL_OK) {
		e = ecash_bank_keys_merge(&st->bank.keys, &fresh, st->signer != NULL, &added);
		ecash_bank_keys_clear(&fresh);
	}
	if (added > 0)
		obol_log_info("ecash: %zu bank key(s) announced since the start taken on", added);
	return e;
}

obol_err ecash_issuer_state_on(struct obol_issuer *iss, struct obol_store *s, struct ecash_issuer_state **out)
{
	struct ecash_issuer_state *st = obol_issuer_scheme_state(iss, "ecash");
	*out = st;
	if (st == NULL)
		return OBOL_E_KEYS_UNKNOWN;
	/* the key in use ended: its successor, announced since the start, is
	 * read (appended: requests running now keep reading the set) */
	if (ecash_bank_keys_at(&st->bank.keys, obol_now()) != NULL)
		return OBOL_OK;
	obol_err e = OBOL_OK;
	pthread_mutex_lock(&st->mu);
	if (ecash_bank_keys_at(&st->bank.keys, obol_now()) == NULL)
		e = s != NULL ? refresh_on(s, st) : obol_issuer_read(iss, refresh_on, st);
	pthread_mutex_unlock(&st->mu);
	if (e != OBOL_OK)
		obol_log_warn("ecash: the bank keys could not be read again: %s", obol_strerror(e));
	return OBOL_OK; /* the refusal, if any, is the signature's: ECASH_BANK_KEY_MISSING */
}

obol_err ecash_issuer_state(struct obol_issuer *iss, struct ecash_issuer_state **out)
{
	return ecash_issuer_state_on(iss, NULL, out);
}

/* GET /keys "ecash": {"bank_key": DER (base64url) of the bank key usable
 * now (clients that read no announcements), "max_coin", "ring_default",
 * "deposit_window"}. Every live bank key with its windows is in the
 * document's "announcements" (kind ECASH_BANK). */
static obol_err ecash_keys_part(struct obol_issuer *iss, struct obol_store *s, json_t **part)
{
	struct ecash_issuer_state *st;
	const struct ecash_bank_key *k;
	char *b64 = NULL, maxc[OBOL_AMOUNT_STR_MAX];
	uint8_t *der = NULL;
	size_t len = 0;
	obol_err e = ecash_issuer_state_on(iss, s, &st);
	if (e != OBOL_OK)
		return e;
	/* none usable now (the successor waits for the ceremony): the last one
	 * still names the bank */
	if ((k = ecash_bank_keys_at(&st->bank.keys, obol_now())) == NULL)
		k = ecash_bank_keys_at(&st->bank.keys, INT64_MAX - 1);
	if (k == NULL)
		k = &st->bank.keys.k[0];
	if ((e = obol_rsa_public_to_der(k->pk, &der, &len)) != OBOL_OK)
		return e;
	size_t cap = OBOL_B64_LEN(len);
	b64 = malloc(cap);
	e = b64 != NULL ? obol_b64_encode(der, len, b64, cap) : OBOL_E_NO_MEMORY;
	obol_amount_format(&st->bank.max_coin, maxc);
	if (e == OBOL_OK) {
		*part = json_pack("{s:s, s:s, s:i, s:I}", "bank_key", b64, "max_coin", maxc, "ring_default",
				  ECASH_RING_DEFAULT, "deposit_window", (json_int_t)st->bank.deposit_window);
		e = *part ? OBOL_OK : OBOL_E_NO_MEMORY;
	}
	OPENSSL_free(der);
	free(b64);
	return e;
}

OBOL_ISSUER_SCHEME(ecash_issuer_scheme, .name = "ecash", .migrate = ecash_issuer_migrate,
		   .init_options = ecash_init_options,
		   .init_help = "  --ecash-coin-lifetime SECONDS  how long a coin is valid (default 180 days); an\n"
				"                                 expired coin is redeemed with 'wallet ecash redeem-expired'\n"
				"  --ecash-cert-lifetime SECONDS  how long a key's certificate is valid (default 365 days);\n"
				"                                 'wallet ecash renew' replaces it before it expires\n"
				"  --ecash-deposit-window SECONDS how long a payee has to deposit a payment before its payer\n"
				"                                 may exchange the coins ('wallet ecash release'; default 7 days)",
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

