/* The issuer's master and box keys in table issuer_keys, and the key
 * hierarchy's tables (component "keys"); contract in keys.h. Component
 * "issuer" also holds vendor_certs (src/issuer/vendors.c). */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/compiler.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "crypto/rsa.h"
#include "issuer/coupon_rotate.h"
#include "issuer/coupon_store.h"
#include "issuer/ecash_rotate.h"
#include "issuer/keys.h"
#include "issuer/signer.h"
#include "issuer/vendors.h"
#include "schemes/coupon/keys.h"

static const struct obol_migration issuer_steps[] = {
	{ .sqlite = "CREATE TABLE issuer_keys (id BIGINT PRIMARY KEY, master_seed BYTEA NOT NULL,"
		    " box_sk BYTEA NOT NULL, box_pk BYTEA NOT NULL, currency TEXT NOT NULL,"
		    " created BIGINT NOT NULL);"
		    "CREATE TABLE vendor_certs (serial BIGINT PRIMARY KEY, vendor_id BIGINT NOT NULL,"
		    " sign_pk BYTEA NOT NULL, cert BYTEA NOT NULL, valid_from BIGINT NOT NULL,"
		    " valid_until BIGINT NOT NULL);"
		    "CREATE INDEX vendor_certs_key ON vendor_certs (sign_pk, serial);" },
	/* The master key goes offline: its public half gets a column of its
	 * own (filled for older databases by master_pk_fill below), and
	 * master_seed is left empty (a zero-length blob) from then on. */
	{ .sqlite = "ALTER TABLE issuer_keys ADD COLUMN master_pk BYTEA;" },
};

/* A database made while issuer init stored the master seed: its public
 * half, derived once from the seed, into master_pk (the seed stays until
 * `issuer keys export-master` moves it out; serve refuses to start before). */
static obol_err master_pk_fill(struct obol_store *s, void *arg)
{
	struct obol_stmt *st = NULL;
	struct obol_sign_keypair kp;
	size_t len = 0;
	bool row = false, fill = false;
	(void)arg;
	obol_err e = obol_stmt_prepare(s, "SELECT master_seed FROM issuer_keys WHERE id = 1 AND master_pk IS NULL", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		if (b == NULL || len != OBOL_SIGN_SEED_LEN)
			e = OBOL_E_CONFIG;
		else {
			obol_sign_keypair_from_seed(&kp, b);
			fill = true;
		}
	}
	obol_stmt_finish(st);
	st = NULL;
	if (e == OBOL_OK && fill) {
		e = obol_stmt_prepare(s, "UPDATE issuer_keys SET master_pk = ? WHERE id = 1", &st);
		if (e == OBOL_OK && (e = obol_stmt_bind_blob(st, 1, kp.pk, OBOL_SIGN_PK_LEN)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
	}
	OBOL_WIPE(kp);
	return e;
}

obol_err obol_issuer_keys_migrate(struct obol_store *s)
{
	obol_err e = obol_store_migrate(s, "issuer", issuer_steps, OBOL_ARRAY_LEN(issuer_steps));
	if (e == OBOL_OK)
		e = obol_store_transact(s, master_pk_fill, NULL);
	return e == OBOL_OK ? obol_issuer_keyring_migrate(s) : e;
}

obol_err obol_issuer_vendors_migrate(struct obol_store *s)
{
	return obol_issuer_keys_migrate(s);
}

obol_err obol_issuer_keys_create(struct obol_store *s, const char *currency, int64_t now,
				 struct obol_issuer_keys *out, struct obol_sign_keypair *master)
{
	static const uint8_t none[1];
	struct obol_stmt *st = NULL;
	bool row;
	obol_err e;

	memset(out, 0, sizeof *out);
	memset(master, 0, sizeof *master);
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

	obol_sign_keypair_new(master);
	memcpy(out->master_pk, master->pk, OBOL_SIGN_PK_LEN);
	obol_box_keypair_new(&out->box);
	strcpy(out->currency, currency);
	out->created = now;
	e = obol_stmt_prepare(s, "INSERT INTO issuer_keys (id, master_seed, master_pk, box_sk, box_pk, currency, created)"
				 " VALUES (1, ?, ?, ?, ?, ?, ?)", &st);
	if (e != OBOL_OK)
		goto out;
	/* master_seed: empty, the secret is not stored */
	if ((e = obol_stmt_bind_blob(st, 1, none, 0)) != OBOL_OK ||
	    (e = obol_stmt_bind_blob(st, 2, out->master_pk, OBOL_SIGN_PK_LEN)) != OBOL_OK ||
	    (e = obol_stmt_bind_blob(st, 3, out->box.sk, sizeof out->box.sk)) != OBOL_OK ||
	    (e = obol_stmt_bind_blob(st, 4, out->box.pk, sizeof out->box.pk)) != OBOL_OK ||
	    (e = obol_stmt_bind_text(st, 5, currency)) != OBOL_OK || (e = obol_stmt_bind_int64(st, 6, now)) != OBOL_OK)
		goto out;
	e = obol_stmt_step(st, &row);
out:
	if (st != NULL)
		obol_stmt_finish(st);
	if (e != OBOL_OK) {
		obol_issuer_keys_wipe(out);
		OBOL_WIPE(*master);
	}
	return e;
}

obol_err obol_issuer_keys_load(struct obol_store *s, struct obol_issuer_keys *out)
{
	struct obol_stmt *st = NULL;
	bool row;
	size_t n1, n2, n3;

	memset(out, 0, sizeof *out);
	obol_err e = obol_stmt_prepare(s, "SELECT master_pk, box_sk, box_pk, currency, created FROM issuer_keys"
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
	if (b1 == NULL || n1 != OBOL_SIGN_PK_LEN || n2 != OBOL_BOX_SK_LEN || n3 != OBOL_BOX_PK_LEN || cur == NULL ||
	    obol_strlcpy_checked(out->currency, cur, sizeof out->currency) != OBOL_OK) {
		e = OBOL_E_CONFIG;
		goto out;
	}
	memcpy(out->master_pk, b1, OBOL_SIGN_PK_LEN);
	memcpy(out->box.sk, b2, OBOL_BOX_SK_LEN);
	memcpy(out->box.pk, b3, OBOL_BOX_PK_LEN);
	out->created = obol_stmt_column_int64(st, 4);
out:
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		obol_issuer_keys_wipe(out);
	return e;
}

void obol_issuer_keys_wipe(struct obol_issuer_keys *k)
{
	obol_wipe(k, sizeof *k);
}

obol_err obol_issuer_keys_master_in_db(struct obol_store *s, bool *yes)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	*yes = false;
	obol_err e = obol_stmt_prepare(s, "SELECT length(master_seed) FROM issuer_keys WHERE id = 1", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		*yes = obol_stmt_column_int64(st, 0) > 0;
	obol_stmt_finish(st);
	return e == OBOL_E_STORE_QUERY ? OBOL_E_KEYS_UNKNOWN : e;
}

obol_err obol_issuer_keys_master_forget(struct obol_store *s)
{
	static const uint8_t zero[OBOL_SIGN_SEED_LEN];
	struct obol_stmt *st = NULL;
	bool yes = false, row;
	obol_err e = obol_issuer_keys_master_in_db(s, &yes);
	if (e != OBOL_OK)
		return e;
	if (!yes)
		return OBOL_E_KEY_MASTER_OFFLINE;
	/* Overwrite in place first (same length: SQLite rewrites the cell where
	 * it is), then empty the cell. */
	e = obol_stmt_prepare(s, "UPDATE issuer_keys SET master_seed = ? WHERE id = 1", &st);
	if (e == OBOL_OK && (e = obol_stmt_bind_blob(st, 1, zero, sizeof zero)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	st = NULL;
	if (e == OBOL_OK)
		e = obol_stmt_prepare(s, "UPDATE issuer_keys SET master_seed = ? WHERE id = 1", &st);
	if (e == OBOL_OK && (e = obol_stmt_bind_blob(st, 1, zero, 0)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

obol_err obol_issuer_keys_master_scrub(struct obol_store *s)
{
	if (obol_store_backend(s) == OBOL_STORE_POSTGRES)
		return obol_store_exec(s, "VACUUM FULL issuer_keys");
	obol_err e = obol_store_exec(s, "PRAGMA secure_delete = ON");
	if (e == OBOL_OK)
		e = obol_store_exec(s, "VACUUM");
	if (e == OBOL_OK)
		e = obol_store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
	return e;
}

/* ---- The key hierarchy (contract in keys.h) ----------------------------- */

static const struct obol_migration keyring_steps[] = {
	{ .sqlite = "CREATE TABLE key_announcements (serial BIGINT PRIMARY KEY, kind BIGINT NOT NULL,"
		    " key_id BYTEA NOT NULL, signed BYTEA NOT NULL, sig BYTEA, requested BIGINT NOT NULL,"
		    " imported BIGINT);"
		    "CREATE INDEX key_announcements_key ON key_announcements (key_id);"
		    "CREATE TABLE online_keys (key_id BYTEA PRIMARY KEY, seed BYTEA NOT NULL,"
		    " created BIGINT NOT NULL);" },
};

obol_err obol_issuer_keyring_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "keys", keyring_steps, OBOL_ARRAY_LEN(keyring_steps));
}

#define DAY_S INT64_C(86400)

void obol_key_policy_default(struct obol_key_policy *p)
{
	*p = (struct obol_key_policy){ .online_use_s = 90 * DAY_S, .online_grace_s = 366 * DAY_S,
				       .lookahead_s = 120 * DAY_S, .coin_legal_s = 3 * 365 * DAY_S,
				       .bank_use_s = 365 * DAY_S };
}

/* Stores a as a pending request under the next serial. */
static obol_err request_add(struct obol_store *s, struct obol_key_announce *a, int64_t now)
{
	struct obol_stmt *st = NULL;
	uint8_t buf[OBOL_KEY_ANNOUNCE_MAX], id[32];
	size_t len;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT COALESCE(MAX(serial), 0) FROM key_announcements", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		a->serial = row ? (uint64_t)obol_stmt_column_int64(st, 0) + 1 : 1;
	obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK || (e = obol_key_announce_check(a)) != OBOL_OK ||
	    (e = obol_key_announce_signed_bytes(a, buf, sizeof buf, &len)) != OBOL_OK)
		return e;
	obol_key_announce_key_id(a, id);
	e = obol_stmt_prepare(s, "INSERT INTO key_announcements (serial, kind, key_id, signed, requested)"
				 " VALUES (?, ?, ?, ?, ?)", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, (int64_t)a->serial)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, (int64_t)a->kind)) == OBOL_OK &&
	    (e = obol_stmt_bind_blob(st, 3, id, sizeof id)) == OBOL_OK &&
	    (e = obol_stmt_bind_blob(st, 4, buf, len)) == OBOL_OK && (e = obol_stmt_bind_int64(st, 5, now)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

/* Whether a key of that id is requested or announced already. */
static obol_err requested(struct obol_store *s, const uint8_t id[32], bool *yes)
{
	struct obol_stmt *st = NULL;
	obol_err e = obol_stmt_prepare(s, "SELECT serial FROM key_announcements WHERE key_id = ? AND kind <> ?", &st);
	if (e == OBOL_OK && (e = obol_stmt_bind_blob(st, 1, id, 32)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, OBOL_KEY_REVOKE)) == OBOL_OK)
		e = obol_stmt_step(st, yes);
	obol_stmt_finish(st);
	return e;
}

/* The online keys' windows and whether each is signed and revoked (a
 * revocation requested or signed names it), for the coverage below. */
#define COVER_MAX 256
struct online_window {
	int64_t from, until;
	bool is_signed, revoked, revoked_signed;
	uint8_t id[32];
};

static obol_err online_windows(struct obol_store *s, struct online_window *w, size_t *n)
{
	struct obol_stmt *st = NULL;
	struct obol_key_announce a;
	bool row;
	*n = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT signed, CASE WHEN sig IS NULL THEN 0 ELSE 1 END FROM key_announcements"
					  " WHERE kind = ?"
					  " ORDER BY serial", &st);
	if (e == OBOL_OK)
		e = obol_stmt_bind_int64(st, 1, OBOL_KEY_ONLINE);
	while (e == OBOL_OK && *n < COVER_MAX && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		if ((e = obol_key_announce_from_signed_bytes(b, len, &a)) != OBOL_OK)
			break;
		w[*n] = (struct online_window){ .from = a.valid_from, .until = a.use_until,
						 .is_signed = obol_stmt_column_int64(st, 1) != 0 };
		obol_key_announce_key_id(&a, w[*n].id);
		(*n)++;
	}
	obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_prepare(s, "SELECT signed, CASE WHEN sig IS NULL THEN 0 ELSE 1 END FROM key_announcements"
					  " WHERE kind = ?", &st);
	if (e == OBOL_OK)
		e = obol_stmt_bind_int64(st, 1, OBOL_KEY_REVOKE);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len;
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		if ((e = obol_key_announce_from_signed_bytes(b, len, &a)) != OBOL_OK)
			break;
		for (size_t i = 0; i < *n; i++)
			if (memcmp(w[i].id, a.revoked, 32) == 0) {
				w[i].revoked = true;
				w[i].revoked_signed |= obol_stmt_column_int64(st, 1) != 0;
			}
	}
	obol_stmt_finish(st);
	return e;
}

/* The end of the gapless run of windows from now (signed_only: signed
 * keys whose revocation is not signed; else every key not revoked). */
static int64_t cover_end(const struct online_window *w, size_t n, int64_t now, bool signed_only)
{
	int64_t t = now;
	for (bool moved = true; moved;) {
		moved = false;
		for (size_t i = 0; i < n; i++) {
			bool counts = signed_only ? w[i].is_signed && !w[i].revoked_signed : !w[i].revoked;
			if (counts && w[i].from <= t && t < w[i].until) {
				t = w[i].until;
				moved = true;
			}
		}
	}
	return t;
}

obol_err obol_issuer_keys_online_cover(struct obol_store *s, int64_t now, int64_t *signed_end, int64_t *planned_end)
{
	struct online_window *w = malloc(COVER_MAX * sizeof *w);
	size_t n = 0;
	obol_err e = w != NULL ? online_windows(s, w, &n) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		if (signed_end != NULL)
			*signed_end = cover_end(w, n, now, true);
		if (planned_end != NULL)
			*planned_end = cover_end(w, n, now, false);
	}
	free(w);
	return e;
}

/* Where the next online key must begin: the end of the run of keys
 * requested or announced, not revoked, that covers now. */
static obol_err online_end(struct obol_store *s, int64_t now, int64_t *end)
{
	return obol_issuer_keys_online_cover(s, now, NULL, end);
}

/* A new online key: drawn in the signer when the issuer has one (then
 * *seed_len 0: the issuer database keeps no seed, as after an import),
 * else here. */
static obol_err online_draw(const struct obol_signer_link *link, struct obol_sign_keypair *kp,
			    uint8_t seed[static OBOL_SIGN_SEED_LEN], size_t *seed_len)
{
	size_t len = 0;
	memset(kp, 0, sizeof *kp);
	*seed_len = 0;
	if (link != NULL && link->linked)
		return obol_signer_draw(link, OBOL_SIGNER_KEY_ONLINE, 0, kp->pk, sizeof kp->pk, &len);
	obol_random(seed, OBOL_SIGN_SEED_LEN);
	obol_sign_keypair_from_seed(kp, seed);
	*seed_len = OBOL_SIGN_SEED_LEN;
	return OBOL_OK;
}

/* Draws an online key for [from, from + use) (online_draw), stores its seed
 * and requests its announcement. */
static obol_err online_add(struct obol_store *s, const char *currency, const struct obol_key_policy *p, int64_t from,
			   int64_t now, const struct obol_signer_link *link)
{
	struct obol_sign_keypair kp;
	struct obol_key_announce a;
	struct obol_stmt *st = NULL;
	uint8_t seed[OBOL_SIGN_SEED_LEN], id[32];
	size_t seed_len = 0;
	bool row;
	obol_err e = online_draw(link, &kp, seed, &seed_len);
	if (e != OBOL_OK)
		return e;
	memset(&a, 0, sizeof a);
	a.kind = OBOL_KEY_ONLINE;
	strcpy(a.currency, currency);
	memcpy(a.key, kp.pk, OBOL_SIGN_PK_LEN);
	a.key_len = OBOL_SIGN_PK_LEN;
	a.valid_from = from;
	a.use_until = from + p->online_use_s;
	a.accept_until = a.use_until + p->online_grace_s;
	obol_key_announce_key_id(&a, id);
	e = obol_stmt_prepare(s, "INSERT INTO online_keys (key_id, seed, created) VALUES (?, ?, ?)", &st);
	if (e == OBOL_OK && (e = obol_stmt_bind_blob(st, 1, id, sizeof id)) == OBOL_OK &&
	    (e = obol_stmt_bind_blob(st, 2, seed, seed_len)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 3, now)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	OBOL_WIPE(seed);
	obol_wipe(&kp, sizeof kp);
	if (e == OBOL_OK)
		e = request_add(s, &a, now);
	return e;
}

static obol_err plan_coupon(struct obol_store *s, const char *currency, const struct obol_key_policy *p, int64_t now,
			    const struct obol_signer_link *link, size_t *added)
{
	struct coupon_denom d[COUPON_KEYS_DENOMS_MAX];
	size_t n = 0, drawn = 0;
	/* successors of the keys that stop issuing within the lookahead first,
	 * so that they are announced before they are needed */
	obol_err e = coupon_rotate(s, now, p->lookahead_s, link, &drawn);
	/* a full table stops one series' rotation (logged), never the plan */
	if (e == OBOL_E_COUPON_DENOMS_FULL)
		e = OBOL_OK;
	if (e == OBOL_OK)
		e = coupon_store_denoms(s, now, d, OBOL_ARRAY_LEN(d), &n);
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		struct obol_key_announce a;
		uint8_t *der = NULL, id[32];
		size_t len = 0;
		bool yes = false;
		memset(&a, 0, sizeof a);
		if ((e = obol_rsa_public_to_der(d[i].key, &der, &len)) != OBOL_OK)
			break;
		if (len > sizeof a.key) {
			e = OBOL_E_KEY_ANNOUNCE_INVALID;
		} else {
			a.kind = OBOL_KEY_COUPON_DENOM;
			strcpy(a.currency, currency);
			memcpy(a.key, der, len);
			a.key_len = len;
			obol_key_announce_key_id(&a, id);
			e = requested(s, id, &yes);
		}
		obol_rsa_der_free(der, len);
		if (e != OBOL_OK || yes)
			continue;
		/* the key's own windows; withdraw_until, spend_until and
		 * legal_end are the last seconds allowed */
		a.valid_from = d[i].valid_from;
		a.use_until = d[i].withdraw_until + 1;
		a.accept_until = d[i].spend_until + 1;
		a.legal_end = d[i].legal_end + 1;
		a.value = d[i].value;
		a.tokens = d[i].n;
		if ((e = request_add(s, &a, now)) == OBOL_OK)
			(*added)++;
	}
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(d[i].key);
	return e;
}

static obol_err plan_ecash(struct obol_store *s, const char *currency, const struct obol_key_policy *p, int64_t now,
			   const struct obol_signer_link *link, size_t *added)
{
	struct obol_key_announce a[ECASH_ROTATE_STEPS + 4];
	size_t n = 0, drawn = 0;
	/* successors drawn (in the signer when linked), windows chained
	 * (issuer/ecash_rotate.h) */
	obol_err e = ecash_rotate_plan(s, currency, p->bank_use_s, p->lookahead_s, p->coin_legal_s, now, link, a,
				       OBOL_ARRAY_LEN(a), &n, &drawn);
	for (size_t i = 0; e == OBOL_OK && i < n; i++)
		if ((e = request_add(s, &a[i], now)) == OBOL_OK)
			(*added)++;
	return e;
}

obol_err obol_issuer_keys_plan(struct obol_store *s, const struct obol_key_policy *p, int64_t now, size_t *added)
{
	struct obol_issuer_keys k;
	struct obol_signer_link link;
	int64_t coupon_v = 0, ecash_v = 0, end;
	*added = 0;
	if (p->online_use_s <= 0 || p->online_grace_s < 0 || p->lookahead_s <= 0 || p->coin_legal_s < 0 ||
	    p->bank_use_s <= 0)
		return OBOL_E_INVALID_ARGUMENT;
	obol_err e = obol_issuer_keys_load(s, &k);
	char currency[OBOL_CURRENCY_MAX + 1];
	strcpy(currency, k.currency);
	obol_issuer_keys_wipe(&k);
	if (e != OBOL_OK || (e = obol_store_schema_version(s, "coupon", &coupon_v)) != OBOL_OK ||
	    (e = obol_store_schema_version(s, "ecash", &ecash_v)) != OBOL_OK ||
	    (e = obol_signer_link_read(s, &link)) != OBOL_OK) /* a signer: new keys are drawn there */
		return e;
	if ((e = obol_store_begin(s)) != OBOL_OK)
		return e;
	/* online keys back to back until now + lookahead is covered */
	for (int i = 0; e == OBOL_OK && i < 8; i++) {
		if ((e = online_end(s, now, &end)) != OBOL_OK || end >= now + p->lookahead_s)
			break;
		/* a run that starts now starts OBOL_KEY_ONLINE_CLOCK_MARGIN_S
		 * earlier (keys.h) */
		int64_t from = end > now ? end : now - OBOL_KEY_ONLINE_CLOCK_MARGIN_S;
		if ((e = online_add(s, currency, p, from, now, &link)) == OBOL_OK)
			(*added)++;
	}
	if (e == OBOL_OK && coupon_v > 0)
		e = plan_coupon(s, currency, p, now, &link, added);
	if (e == OBOL_OK && ecash_v > 0)
		e = plan_ecash(s, currency, p, now, &link, added);
	if (e != OBOL_OK) {
		obol_store_rollback(s);
		*added = 0;
		return e;
	}
	return obol_store_commit(s);
}

obol_err obol_issuer_keys_revoke(struct obol_store *s, const uint8_t *id, size_t id_len, int64_t from, int64_t now,
				 uint8_t full[32], size_t *added)
{
	struct online_window *w = malloc(COVER_MAX * sizeof *w);
	struct obol_issuer_keys k;
	struct obol_key_announce a;
	size_t n = 0, found = 0, at = 0;
	*added = 0;
	if (w == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = id_len >= 8 && id_len <= 32 ? online_windows(s, w, &n) : OBOL_E_INVALID_ARGUMENT;
	for (size_t i = 0; e == OBOL_OK && i < n; i++)
		if (memcmp(w[i].id, id, id_len) == 0) {
			found++;
			at = i;
		}
	if (e == OBOL_OK && found != 1)
		e = OBOL_E_KEY_NOT_ANNOUNCED;
	if (e == OBOL_OK)
		memcpy(full, w[at].id, 32);
	if (e != OBOL_OK || w[at].revoked)
		goto out;
	if ((e = obol_issuer_keys_load(s, &k)) != OBOL_OK)
		goto out;
	memset(&a, 0, sizeof a);
	a.kind = OBOL_KEY_REVOKE;
	strcpy(a.currency, k.currency);
	obol_issuer_keys_wipe(&k);
	a.valid_from = from;
	memcpy(a.revoked, w[at].id, 32);
	if ((e = request_add(s, &a, now)) == OBOL_OK)
		*added = 1;
out:
	free(w);
	return e;
}

obol_err obol_issuer_keys_pending(struct obol_store *s, struct obol_key_request **out, size_t *n)
{
	struct obol_stmt *st = NULL;
	struct obol_key_request *r = NULL;
	size_t cap = 0;
	bool row;
	*out = NULL;
	*n = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT serial, signed FROM key_announcements WHERE sig IS NULL"
					  " ORDER BY serial", &st);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		if (*n == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			struct obol_key_request *m = realloc(r, ncap * sizeof *r);
			if (m == NULL) {
				e = OBOL_E_NO_MEMORY;
				break;
			}
			r = m;
			cap = ncap;
		}
		size_t len;
		const uint8_t *b = obol_stmt_column_blob(st, 1, &len);
		if (len > sizeof r[*n].bytes) {
			e = OBOL_E_KEY_ANNOUNCE_INVALID;
			break;
		}
		r[*n].serial = (uint64_t)obol_stmt_column_int64(st, 0);
		memcpy(r[*n].bytes, b, len);
		r[*n].len = len;
		(*n)++;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK) {
		free(r);
		*n = 0;
		return e;
	}
	*out = r;
	return OBOL_OK;
}

obol_err obol_issuer_keys_import(struct obol_store *s, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
				 const struct obol_key_announce *a)
{
	struct obol_stmt *st = NULL;
	uint8_t buf[OBOL_KEY_ANNOUNCE_MAX];
	size_t len, slen = 0;
	bool row, has_sig = false, same = false;
	obol_err e = obol_key_announce_verify(a, master_pk);
	if (e != OBOL_OK || (e = obol_key_announce_signed_bytes(a, buf, sizeof buf, &len)) != OBOL_OK)
		return e;
	if (a->serial > INT64_MAX)
		return OBOL_E_KEY_NOT_REQUESTED;
	e = obol_stmt_prepare(s, "SELECT signed, sig FROM key_announcements WHERE serial = ?", &st);
	if (e == OBOL_OK && (e = obol_stmt_bind_int64(st, 1, (int64_t)a->serial)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		const uint8_t *b = row ? obol_stmt_column_blob(st, 0, &slen) : NULL;
		same = b != NULL && slen == len && memcmp(b, buf, len) == 0;
		has_sig = row && !obol_stmt_column_is_null(st, 1);
	}
	obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		return e;
	if (!same)
		return OBOL_E_KEY_NOT_REQUESTED;
	if (has_sig)
		return OBOL_OK; /* Ed25519 is deterministic: the same signature again */
	e = obol_stmt_prepare(s, "UPDATE key_announcements SET sig = ?, imported = ? WHERE serial = ?", &st);
	if (e == OBOL_OK && (e = obol_stmt_bind_blob(st, 1, a->sig, OBOL_SIGN_LEN)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 2, obol_now())) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 3, (int64_t)a->serial)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

obol_err obol_issuer_keys_sign_pending(struct obol_store *s, const struct obol_sign_keypair *master, size_t *signed_n)
{
	struct obol_key_request *r = NULL;
	struct obol_key_announce a;
	size_t n = 0;
	*signed_n = 0;
	obol_err e = obol_issuer_keys_pending(s, &r, &n);
	if (e != OBOL_OK || n == 0)
		goto out;
	if ((e = obol_store_begin(s)) != OBOL_OK)
		goto out;
	for (size_t i = 0; e == OBOL_OK && i < n; i++)
		if ((e = obol_key_announce_from_signed_bytes(r[i].bytes, r[i].len, &a)) == OBOL_OK &&
		    (e = obol_key_announce_sign(&a, master->sk)) == OBOL_OK)
			e = obol_issuer_keys_import(s, master->pk, &a);
	if (e != OBOL_OK) {
		obol_store_rollback(s);
		goto out;
	}
	if ((e = obol_store_commit(s)) == OBOL_OK)
		*signed_n = n;
out:
	free(r);
	return e;
}

/* A row (signed, sig) of key_announcements as a whole announcement; not
 * verified here. */
static obol_err signed_row(struct obol_stmt *st, struct obol_key_announce *a)
{
	size_t len, slen;
	const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
	const uint8_t *sig = obol_stmt_column_blob(st, 1, &slen);
	obol_err e = obol_key_announce_from_signed_bytes(b, len, a);
	if (e == OBOL_OK && slen != OBOL_SIGN_LEN)
		e = OBOL_E_KEY_ANNOUNCE_INVALID;
	if (e == OBOL_OK)
		memcpy(a->sig, sig, OBOL_SIGN_LEN);
	return e;
}

/* The keys kept so far by announce_live, read in serial order: a
 * revocation's serial follows the announcement of the key it names (`issuer
 * keys revoke` names an announced key). */
struct live_keys {
	uint8_t id[OBOL_KEY_SET_MAX][32];
	size_t n;
};

/* Whether an announcement can still matter at now: a key while what it
 * signed is accepted or, for a coin key, refunded; a revocation while the
 * key it names does. A key whose every window has passed is of no use to
 * anyone, and neither is its revocation (verifiers refuse the key outside
 * its window anyway), so neither fills the lists with the issuer's age. */
static bool announce_live(struct live_keys *l, const struct obol_key_announce *a, int64_t now)
{
	if (a->kind == OBOL_KEY_REVOKE) {
		for (size_t i = 0; i < l->n; i++)
			if (memcmp(l->id[i], a->revoked, sizeof l->id[i]) == 0)
				return true;
		return false;
	}
	if (!(now < a->accept_until ||
	      ((a->kind == OBOL_KEY_COUPON_DENOM || a->kind == OBOL_KEY_ECASH_BANK) && now < a->legal_end)))
		return false;
	if (l->n < OBOL_KEY_SET_MAX) /* past it the caller's list is full anyway */
		obol_key_announce_key_id(a, l->id[l->n++]);
	return true;
}

obol_err obol_issuer_keys_announced(struct obol_store *s, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
				    int64_t now, struct obol_key_set *set)
{
	struct obol_stmt *st = NULL;
	struct obol_key_announce a;
	struct live_keys live = { .n = 0 };
	bool row;
	obol_key_set_init(set, master_pk);
	obol_err e = obol_stmt_prepare(s, "SELECT signed, sig FROM key_announcements WHERE sig IS NOT NULL"
					  " ORDER BY serial", &st);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		if ((e = signed_row(st, &a)) == OBOL_OK && announce_live(&live, &a, now))
			e = obol_key_set_add(set, &a);
	obol_stmt_finish(st);
	return e;
}

obol_err obol_issuer_keys_announced_coupon(struct obol_store *s, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
					   int64_t now, struct obol_key_set *set)
{
	struct obol_stmt *st = NULL;
	struct obol_key_announce a;
	bool row;
	obol_key_set_init(set, master_pk);
	obol_err e = obol_stmt_prepare(s, "SELECT signed, sig FROM key_announcements WHERE sig IS NOT NULL AND kind = ?"
					  " ORDER BY serial", &st);
	if (e == OBOL_OK)
		e = obol_stmt_bindf(st, "i", (int64_t)OBOL_KEY_COUPON_DENOM);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		if ((e = signed_row(st, &a)) == OBOL_OK && a.legal_end >= now)
			e = obol_key_set_add(set, &a);
	obol_stmt_finish(st);
	return e;
}

obol_err obol_issuer_keys_master_seed(struct obol_store *s, uint8_t seed[static OBOL_SIGN_SEED_LEN])
{
	struct obol_stmt *st = NULL;
	size_t len = 0;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT master_seed FROM issuer_keys WHERE id = 1", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK) {
		const uint8_t *b = row ? obol_stmt_column_blob(st, 0, &len) : NULL;
		if (row && len == 0)
			e = OBOL_E_KEY_MASTER_OFFLINE;
		else if (b == NULL || len != OBOL_SIGN_SEED_LEN)
			e = row ? OBOL_E_CONFIG : OBOL_E_KEYS_UNKNOWN;
		else
			memcpy(seed, b, OBOL_SIGN_SEED_LEN);
	}
	obol_stmt_finish(st);
	return e == OBOL_E_STORE_QUERY ? OBOL_E_KEYS_UNKNOWN : e;
}

obol_err obol_issuer_keys_doc_part(struct obol_store *s, int64_t now, json_t **out)
{
	struct obol_stmt *st = NULL;
	struct obol_key_announce a;
	struct live_keys live = { .n = 0 };
	bool row;
	json_t *arr = json_array();
	*out = NULL;
	obol_err e = arr != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_stmt_prepare(s, "SELECT signed, sig FROM key_announcements WHERE sig IS NOT NULL"
					 " ORDER BY serial", &st);
	while (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		char text[OBOL_KEY_ANNOUNCE_TEXT_MAX];
		if ((e = signed_row(st, &a)) != OBOL_OK)
			break;
		if (!announce_live(&live, &a, now))
			continue;
		if (json_array_size(arr) == OBOL_KEY_SET_MAX) {
			e = OBOL_E_WIRE_OVERSIZED;
			break;
		}
		if ((e = obol_key_announce_to_text(&a, text)) == OBOL_OK && json_array_append_new(arr, json_string(text)) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK) {
		json_decref(arr);
		return e;
	}
	*out = arr;
	return OBOL_OK;
}

/* ---- The online keys this process signs with (contract in keys.h) ------- */

/* Whether a signed revocation names id. */
static obol_err revoked_id(struct obol_store *s, const uint8_t id[32], bool *yes)
{
	struct obol_stmt *st = NULL;
	bool row;
	*yes = false;
	obol_err e = obol_stmt_prepare(s, "SELECT signed FROM key_announcements WHERE kind = ? AND sig IS NOT NULL", &st);
	if (e == OBOL_OK)
		e = obol_stmt_bind_int64(st, 1, OBOL_KEY_REVOKE);
	while (e == OBOL_OK && !*yes && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_key_announce r;
		size_t len;
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		if ((e = obol_key_announce_from_signed_bytes(b, len, &r)) == OBOL_OK)
			*yes = memcmp(r.revoked, id, 32) == 0;
	}
	obol_stmt_finish(st);
	return e;
}

obol_err obol_online_keyring_load(struct obol_store *s, int64_t now, struct obol_online_keyring *r)
{
	struct obol_stmt *st = NULL;
	struct obol_key_announce a;
	bool row;
	memset(r, 0, sizeof *r);
	obol_err e = obol_stmt_prepare(s, "SELECT o.seed, a.signed, a.key_id FROM online_keys o JOIN key_announcements a"
					  " ON a.key_id = o.key_id AND a.kind = ? WHERE a.sig IS NOT NULL ORDER BY a.serial",
				       &st);
	if (e == OBOL_OK)
		e = obol_stmt_bind_int64(st, 1, OBOL_KEY_ONLINE);
	while (e == OBOL_OK && r->n < OBOL_ONLINE_KEYRING_MAX && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t slen, alen, ilen;
		const uint8_t *seed = obol_stmt_column_blob(st, 0, &slen);
		const uint8_t *b = obol_stmt_column_blob(st, 1, &alen);
		const uint8_t *id = obol_stmt_column_blob(st, 2, &ilen);
		struct obol_online_key *k = &r->k[r->n];
		bool gone = false;
		if (seed == NULL || slen != OBOL_SIGN_SEED_LEN || ilen != 32) {
			e = OBOL_E_CONFIG;
			break;
		}
		if ((e = obol_key_announce_from_signed_bytes(b, alen, &a)) != OBOL_OK)
			break;
		if (now >= a.use_until || (e = revoked_id(s, id, &gone)) != OBOL_OK || gone)
			continue;
		obol_sign_keypair_from_seed(&k->kp, seed);
		if (a.key_len != OBOL_SIGN_PK_LEN || memcmp(k->kp.pk, a.key, OBOL_SIGN_PK_LEN) != 0) {
			e = OBOL_E_CONFIG; /* the seed is not the announced key's */
			break;
		}
		k->valid_from = a.valid_from;
		k->use_until = a.use_until;
		k->accept_until = a.accept_until;
		r->n++;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		obol_online_keyring_wipe(r);
	return e;
}

void obol_online_keyring_wipe(struct obol_online_keyring *r)
{
	obol_wipe(r, sizeof *r);
}

obol_err obol_online_keyring_pick(const struct obol_online_keyring *r, int64_t now, const struct obol_online_key **out)
{
	const struct obol_online_key *best = NULL;
	for (size_t i = 0; i < r->n; i++) {
		const struct obol_online_key *k = &r->k[i];
		if (k->valid_from <= now && now < k->use_until && (best == NULL || k->valid_from > best->valid_from))
			best = k;
	}
	*out = best;
	return best != NULL ? OBOL_OK : OBOL_E_KEY_ONLINE_MISSING;
}

static obol_err keyring_sign(void *ctx, const uint8_t pk[static OBOL_SIGN_PK_LEN], const char *context,
			     const uint8_t *msg, size_t len, uint8_t sig[static OBOL_SIGN_LEN])
{
	const struct obol_online_keyring *r = ctx;
	for (size_t i = 0; i < r->n; i++)
		if (memcmp(r->k[i].kp.pk, pk, OBOL_SIGN_PK_LEN) == 0) {
			obol_sign(sig, context, msg, len, r->k[i].kp.sk);
			return OBOL_OK;
		}
	return OBOL_E_KEY_NOT_ANNOUNCED;
}

obol_err obol_online_keyring_signer(const struct obol_online_keyring *r, int64_t now, struct obol_ed25519_signer *out)
{
	const struct obol_online_key *k;
	obol_err e = obol_online_keyring_pick(r, now, &k);
	memset(out, 0, sizeof *out);
	if (e != OBOL_OK)
		return e;
	memcpy(out->pk, k->kp.pk, OBOL_SIGN_PK_LEN);
	out->accept_until = k->accept_until;
	out->sign = keyring_sign;
	out->ctx = (void *)r;
	return OBOL_OK;
}

/* ---- The online keys another process signs with (contract in keys.h) ---- */

obol_err obol_online_pubs_load(struct obol_store *s, const uint8_t master_pk[static OBOL_SIGN_PK_LEN], int64_t now,
			       struct obol_online_pub *out, size_t *n)
{
	struct obol_key_set *set = malloc(sizeof *set);
	*n = 0;
	if (set == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_issuer_keys_announced(s, master_pk, now, set);
	for (size_t i = 0; e == OBOL_OK && i < set->n && *n < OBOL_ONLINE_KEYRING_MAX; i++) {
		const struct obol_key_announce *a = &set->a[i];
		uint8_t id[32];
		bool gone = false;
		if (a->kind != OBOL_KEY_ONLINE || a->key_len != OBOL_SIGN_PK_LEN || now >= a->use_until)
			continue;
		obol_key_announce_key_id(a, id);
		for (size_t j = 0; j < set->n && !gone; j++)
			gone = set->a[j].kind == OBOL_KEY_REVOKE && memcmp(set->a[j].revoked, id, 32) == 0;
		if (gone)
			continue;
		memcpy(out[*n].pk, a->key, OBOL_SIGN_PK_LEN);
		out[*n].valid_from = a->valid_from;
		out[*n].use_until = a->use_until;
		out[*n].accept_until = a->accept_until;
		(*n)++;
	}
	free(set);
	return e;
}

const struct obol_online_pub *obol_online_pubs_pick(const struct obol_online_pub *p, size_t n, int64_t now)
{
	const struct obol_online_pub *best = NULL;
	for (size_t i = 0; i < n; i++)
		if (p[i].valid_from <= now && now < p[i].use_until && (best == NULL || p[i].valid_from > best->valid_from))
			best = &p[i];
	return best;
}
