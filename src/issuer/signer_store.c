/* The signer's key store and the move of the issuer's private keys into it
 * (contracts in signer.h). SQL only with bound parameters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "crypto/secret.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "issuer/keys.h"
#include "issuer/signer.h"

static const struct obol_migration signer_steps[] = {
	{ .sqlite = "CREATE TABLE signer_keys (key_id BYTEA PRIMARY KEY, kind BIGINT NOT NULL, secret BYTEA NOT NULL,"
		    " public BYTEA NOT NULL, valid_from BIGINT NOT NULL, use_until BIGINT NOT NULL,"
		    " announced BIGINT NOT NULL);" },
	/* the master key the store was first filled under, the announcements
	 * (each whole, with the master's signature) and the import count the
	 * running signer watches to reload */
	{ .sqlite = "CREATE TABLE signer_master (id BIGINT PRIMARY KEY, master_pk BYTEA NOT NULL);"
		    "CREATE TABLE signer_announcements (serial BIGINT PRIMARY KEY, announcement BYTEA NOT NULL);"
		    "CREATE TABLE signer_state (id BIGINT PRIMARY KEY, generation BIGINT NOT NULL);" },
};

/* In the issuer database: where its signer's store is (component
 * "signer_link"), written by the import, read by the key plan. */
static const struct obol_migration link_steps[] = {
	{ .sqlite = "CREATE TABLE signer_link (id BIGINT PRIMARY KEY, db_url TEXT NOT NULL);" },
};

obol_err obol_signer_store_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "signer", signer_steps, OBOL_ARRAY_LEN(signer_steps));
}

/* One key moved: its id, kind, secret and public halves, window. */
struct moved_key {
	uint8_t id[OBOL_SIGNER_KEY_ID_LEN];
	int64_t kind, valid_from, use_until;
	uint8_t *secret, *pub; /* heap; secret wiped when freed */
	size_t secret_len, pub_len;
	int64_t row; /* the issuer row to blank (a denomination's or a bank key's id) */
	uint8_t issuer_id[32]; /* an online key's id in online_keys: SHA-256 of its public key */
};

struct moving {
	uint8_t master_pk[OBOL_SIGN_PK_LEN]; /* the issuer's */
	struct moved_key *k;
	size_t n, cap;
	struct obol_key_set *announced; /* the issuer's signed announcements */
	size_t windows;                 /* keys whose window an announcement set */
};

static void moving_free(struct moving *m)
{
	for (size_t i = 0; i < m->n; i++) {
		obol_wipe(m->k[i].secret, m->k[i].secret_len);
		free(m->k[i].secret);
		free(m->k[i].pub);
	}
	free(m->k);
	free(m->announced);
	memset(m, 0, sizeof(*m));
}

/* Adds a copy of in (its secret and public bytes copied to the heap). */
static obol_err moving_add(struct moving *m, const struct moved_key *in)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct moved_key *k = realloc(m->k, cap * sizeof(*k));
		if (!k)
			return OBOL_E_NO_MEMORY;
		m->k = k;
		m->cap = cap;
	}
	struct moved_key *k = &m->k[m->n];
	*k = *in;
	k->secret = malloc(in->secret_len);
	k->pub = malloc(in->pub_len);
	if (!k->secret || !k->pub) {
		free(k->secret);
		free(k->pub);
		return OBOL_E_NO_MEMORY;
	}
	memcpy(k->secret, in->secret, in->secret_len);
	memcpy(k->pub, in->pub, in->pub_len);
	m->n++;
	return OBOL_OK;
}

/* An RSA key whose secret is its private DER: its id and public DER are
 * derived, then it is added. */
static obol_err add_rsa(struct moving *m, struct moved_key *in)
{
	EVP_PKEY *k = NULL;
	obol_err e;
	in->pub = NULL;
	if ((e = obol_rsa_private_from_der(in->secret, in->secret_len, &k)) != OBOL_OK ||
	    (e = obol_rsa_key_id(k, in->id)) != OBOL_OK || (e = obol_rsa_public_to_der(k, &in->pub, &in->pub_len)) != OBOL_OK)
		goto out;
	e = moving_add(m, in);
out:
	if (in->pub)
		obol_rsa_der_free(in->pub, in->pub_len);
	EVP_PKEY_free(k);
	return e;
}

/* What the issuer database still holds privately, and its announcements,
 * read in one transaction. */
static obol_err collect(struct obol_store *s, struct moving *m)
{
	struct obol_stmt *st = NULL;
	struct obol_issuer_keys keys;
	bool row;
	size_t len, plen;
	obol_err e;
	if (!(m->announced = malloc(sizeof(*m->announced))))
		return OBOL_E_NO_MEMORY;
	if ((e = obol_issuer_keys_load(s, &keys)) != OBOL_OK)
		return e;
	memcpy(m->master_pk, keys.master_pk, sizeof m->master_pk);
	e = obol_issuer_keys_announced(s, keys.master_pk, obol_now(), m->announced);
	obol_issuer_keys_wipe(&keys);
	if (e != OBOL_OK)
		return e;
	/* coupon denominations: signing from creation to the withdraw end */
	if ((e = obol_stmt_prepare(s, "SELECT id, rsa_sk, created, withdraw_until FROM coupon_denoms ORDER BY id",
				   &st)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct moved_key k = { .kind = OBOL_SIGNER_KEY_DENOM,
				       .secret = (uint8_t *)obol_stmt_column_blob(st, 1, &len),
				       .valid_from = obol_stmt_column_int64(st, 2),
				       .use_until = obol_stmt_column_int64(st, 3),
				       .row = obol_stmt_column_int64(st, 0) };
		k.secret_len = len;
		if (len == 0)
			continue;
		if ((e = add_rsa(m, &k)) != OBOL_OK)
			goto out;
	}
	obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		goto out;
	/* the ecash bank keys (one until bank keys rotate, then each of the
	 * series): from creation, with no end; a moved one holds its public
	 * DER, which does not parse as PKCS#8 */
	if ((e = obol_stmt_prepare(s, "SELECT id, sk, created FROM ecash_bank_key ORDER BY id", &st)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const uint8_t *der = obol_stmt_column_blob(st, 1, &len);
		EVP_PKEY *probe = NULL;
		if (obol_rsa_private_from_der(der, len, &probe) != OBOL_OK)
			continue;
		EVP_PKEY_free(probe);
		struct moved_key k = { .kind = OBOL_SIGNER_KEY_BANK, .secret = (uint8_t *)der, .secret_len = len,
				       .valid_from = obol_stmt_column_int64(st, 2), .use_until = INT64_MAX,
				       .row = obol_stmt_column_int64(st, 0) };
		if ((e = add_rsa(m, &k)) != OBOL_OK)
			break;
	}
	obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		goto out;
	/* the box key: zeros once moved */
	if ((e = obol_stmt_prepare(s, "SELECT box_sk, box_pk, created FROM issuer_keys WHERE id = 1", &st)) != OBOL_OK)
		goto out;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		static const uint8_t zero[OBOL_BOX_SK_LEN];
		const uint8_t *sk = obol_stmt_column_blob(st, 0, &len);
		const uint8_t *pk = obol_stmt_column_blob(st, 1, &plen);
		struct moved_key k = { .kind = OBOL_SIGNER_KEY_BOX, .secret = (uint8_t *)sk, .secret_len = len,
				       .pub = (uint8_t *)pk, .pub_len = plen, .valid_from = INT64_MIN,
				       .use_until = INT64_MAX };
		if (len != OBOL_BOX_SK_LEN || plen != OBOL_BOX_PK_LEN) {
			e = OBOL_E_KEY_INVALID;
		} else if (!obol_ct_equal(sk, zero, OBOL_BOX_SK_LEN)) {
			memcpy(k.id, pk, OBOL_BOX_PK_LEN); /* the signer names it by its public key */
			e = moving_add(m, &k);
		}
	}
	obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		goto out;
	/* online Ed25519 keys, named in the signer by their public key (in
	 * online_keys by its SHA-256); their window is their announcement's */
	if ((e = obol_stmt_prepare(s, "SELECT key_id, seed FROM online_keys", &st)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const uint8_t *id = obol_stmt_column_blob(st, 0, &plen);
		const uint8_t *seed = obol_stmt_column_blob(st, 1, &len);
		struct obol_sign_keypair kp;
		uint8_t h[32];
		if (len == 0)
			continue;
		e = OBOL_E_KEY_INVALID;
		if (len != OBOL_SIGN_SEED_LEN || plen != sizeof h)
			break;
		obol_sign_keypair_from_seed(&kp, seed);
		obol_sha256(h, kp.pk, OBOL_SIGN_PK_LEN);
		struct moved_key k = { .kind = OBOL_SIGNER_KEY_ONLINE, .secret = (uint8_t *)seed, .secret_len = len,
				       .pub = kp.pk, .pub_len = OBOL_SIGN_PK_LEN, .valid_from = INT64_MIN,
				       .use_until = INT64_MAX };
		memcpy(k.id, kp.pk, OBOL_SIGN_PK_LEN);
		memcpy(k.issuer_id, id, sizeof h);
		if (memcmp(h, id, sizeof h) == 0)
			e = moving_add(m, &k);
		OBOL_WIPE(kp);
		if (e != OBOL_OK)
			break;
	}
out:
	obol_stmt_finish(st);
	return e;
}

/* The store's master key: pinned by the first import, the same one after. */
static obol_err pin_master(struct obol_store *s, const uint8_t pk[static OBOL_SIGN_PK_LEN])
{
	struct obol_stmt *st = NULL;
	bool row = false, same = false;
	size_t len = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT master_pk FROM signer_master WHERE id = 1", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const uint8_t *b = obol_stmt_column_blob(st, 0, &len);
		same = b != NULL && len == OBOL_SIGN_PK_LEN && memcmp(b, pk, len) == 0;
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	if (row)
		return same ? OBOL_OK : OBOL_E_SIGNER_MASTER_MISMATCH;
	return obol_store_run(s, NULL, "INSERT INTO signer_master (id, master_pk) VALUES (1, ?)", "b", pk,
			      (size_t)OBOL_SIGN_PK_LEN);
}

/* Every announcement whole (the signer verifies each again when it loads),
 * then the count the running signer watches. */
static obol_err store_announcements(struct obol_store *s, const struct moving *m)
{
	obol_err e = OBOL_OK;
	for (size_t i = 0; i < m->announced->n && e == OBOL_OK; i++) {
		uint8_t buf[OBOL_KEY_ANNOUNCE_MAX + 128];
		size_t len;
		const struct obol_key_announce *a = &m->announced->a[i];
		if ((e = obol_key_announce_encode(a, buf, sizeof buf, &len)) == OBOL_OK)
			e = obol_store_run(s, NULL,
					   "INSERT INTO signer_announcements (serial, announcement) VALUES (?, ?)"
					   " ON CONFLICT (serial) DO NOTHING",
					   "ib", (int64_t)a->serial, buf, len);
	}
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO signer_state (id, generation) VALUES (1, 1)"
				   " ON CONFLICT (id) DO UPDATE SET generation = signer_state.generation + 1",
				   "");
	return e;
}

static obol_err store_moved(struct obol_store *s, void *arg)
{
	struct moving *m = arg;
	obol_err e = pin_master(s, m->master_pk);
	if (e == OBOL_OK)
		e = store_announcements(s, m);
	for (size_t i = 0; i < m->n && e == OBOL_OK; i++) {
		const struct moved_key *k = &m->k[i];
		e = obol_store_run(s, NULL,
				   "INSERT INTO signer_keys (key_id, kind, secret, public, valid_from, use_until, announced)"
				   " VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (key_id) DO NOTHING",
				   "bibbii", k->id, (size_t)OBOL_SIGNER_KEY_ID_LEN, k->kind, k->secret, k->secret_len,
				   k->pub, k->pub_len, k->valid_from, k->use_until);
	}
	/* A key the master announced signs within the announced window only
	 * (valid_from <= now < use_until), whenever it was moved. Not the
	 * ecash bank key: it does not rotate yet (there is no next bank key to
	 * take over), so its announced year of use would end every top-up and
	 * every revocation page a year after the ceremony; it keeps no end, as
	 * the issuer without a signer does. */
	for (size_t i = 0; i < m->announced->n && e == OBOL_OK; i++) {
		const struct obol_key_announce *a = &m->announced->a[i];
		static const int64_t kinds[] = { [OBOL_KEY_ONLINE] = OBOL_SIGNER_KEY_ONLINE,
						 [OBOL_KEY_COUPON_DENOM] = OBOL_SIGNER_KEY_DENOM };
		uint8_t id[OBOL_SIGNER_KEY_ID_LEN];
		int64_t changes = 0;
		if (a->kind >= OBOL_ARRAY_LEN(kinds) || kinds[a->kind] == 0)
			continue;
		if (a->kind == OBOL_KEY_ONLINE && a->key_len == OBOL_SIGN_PK_LEN)
			memcpy(id, a->key, OBOL_SIGN_PK_LEN); /* the signer names online keys by their public key */
		else
			obol_key_announce_key_id(a, id);
		e = obol_store_run(s, &changes,
				   "UPDATE signer_keys SET valid_from = ?, use_until = ?, announced = 1"
				   " WHERE key_id = ? AND kind = ?",
				   "iibi", a->valid_from, a->use_until - 1, id, (size_t)OBOL_SIGNER_KEY_ID_LEN, kinds[a->kind]);
		m->windows += (size_t)changes;
	}
	return e;
}

static obol_err blank_issuer(struct obol_store *s, void *arg)
{
	struct moving *m = arg;
	static const uint8_t zero[OBOL_BOX_SK_LEN];
	obol_err e = OBOL_OK;
	for (size_t i = 0; i < m->n && e == OBOL_OK; i++) {
		const struct moved_key *k = &m->k[i];
		switch (k->kind) {
		case OBOL_SIGNER_KEY_DENOM:
			e = obol_store_run(s, NULL, "UPDATE coupon_denoms SET rsa_sk = ? WHERE id = ?", "bi", zero,
					   (size_t)0, k->row);
			break;
		case OBOL_SIGNER_KEY_BANK:
			e = obol_store_run(s, NULL, "UPDATE ecash_bank_key SET sk = ? WHERE id = ?", "bi", k->pub,
					   k->pub_len, k->row);
			break;
		case OBOL_SIGNER_KEY_BOX:
			e = obol_store_run(s, NULL, "UPDATE issuer_keys SET box_sk = ? WHERE id = 1", "b", zero,
					   sizeof zero);
			break;
		default:
			e = obol_store_run(s, NULL, "UPDATE online_keys SET seed = ? WHERE key_id = ?", "bb", zero,
					   (size_t)0, k->issuer_id, sizeof k->issuer_id);
		}
	}
	return e;
}

/* The issuer database names the signer's store, so that the key plan
 * draws new keys there (obol_signer_draw). NULL: left as it is. */
static obol_err link_write(struct obol_store *issuer, const char *url)
{
	if (url == NULL)
		return OBOL_OK;
	obol_err e = obol_store_migrate(issuer, "signer_link", link_steps, OBOL_ARRAY_LEN(link_steps));
	if (e == OBOL_OK)
		e = obol_store_run(issuer, NULL,
				   "INSERT INTO signer_link (id, db_url) VALUES (1, ?)"
				   " ON CONFLICT (id) DO UPDATE SET db_url = excluded.db_url",
				   "t", url);
	return e;
}

obol_err obol_signer_import(struct obol_store *signer, const char *signer_url, struct obol_store *issuer,
			    size_t *moved, size_t *announced)
{
	struct moving m = { 0 };
	obol_err e;
	*moved = *announced = 0;
	if ((e = obol_signer_store_migrate(signer)) != OBOL_OK)
		return e;
	if ((e = obol_store_begin(issuer)) != OBOL_OK)
		return e;
	e = collect(issuer, &m);
	obol_store_rollback(issuer);
	/* the signer holds them durably before the issuer forgets them: a
	 * crash between leaves them in both, and the next run finishes */
	if (e == OBOL_OK)
		e = obol_store_transact(signer, store_moved, &m);
	if (e == OBOL_OK)
		e = obol_store_transact(issuer, blank_issuer, &m);
	if (e == OBOL_OK)
		e = link_write(issuer, signer_url);
	if (e == OBOL_OK) {
		*moved = m.n;
		*announced = m.windows;
	}
	moving_free(&m);
	return e;
}

obol_err obol_signer_link_read(struct obol_store *issuer, struct obol_signer_link *out)
{
	struct obol_stmt *st = NULL;
	int64_t v = 0;
	bool row = false;
	memset(out, 0, sizeof *out);
	obol_err e = obol_store_schema_version(issuer, "signer_link", &v);
	if (e != OBOL_OK || v == 0)
		return e;
	if ((e = obol_stmt_prepare(issuer, "SELECT db_url FROM signer_link WHERE id = 1", &st)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const char *url = obol_stmt_column_text(st, 0);
		if (url == NULL || strlen(url) >= sizeof out->db_url)
			e = OBOL_E_CONFIG;
		else {
			strcpy(out->db_url, url);
			out->linked = true;
		}
	}
	obol_stmt_finish(st);
	return e;
}

obol_err obol_signer_draw(const struct obol_signer_link *l, enum obol_signer_key_kind kind, unsigned bits,
			  uint8_t *pub, size_t cap, size_t *pub_len)
{
	struct obol_store *s = NULL;
	EVP_PKEY *k = NULL;
	uint8_t *sk = NULL, *pk = NULL, id[OBOL_SIGNER_KEY_ID_LEN], seed[OBOL_SIGN_SEED_LEN];
	size_t sk_len = 0, pk_len = 0;
	struct obol_sign_keypair kp;
	obol_err e;
	*pub_len = 0;
	if (!l->linked)
		return OBOL_E_SIGNER_NOT_LINKED;
	if (kind == OBOL_SIGNER_KEY_ONLINE) {
		obol_random(seed, sizeof seed);
		obol_sign_keypair_from_seed(&kp, seed);
		memcpy(id, kp.pk, sizeof id);
		sk = seed;
		sk_len = sizeof seed;
		pk = kp.pk;
		pk_len = OBOL_SIGN_PK_LEN;
		e = OBOL_OK;
	} else if (kind == OBOL_SIGNER_KEY_DENOM || kind == OBOL_SIGNER_KEY_BANK) {
		if ((e = obol_rsa_generate(bits, &k)) == OBOL_OK && (e = obol_rsa_key_id(k, id)) == OBOL_OK &&
		    (e = obol_rsa_private_to_der(k, &sk, &sk_len)) == OBOL_OK)
			e = obol_rsa_public_to_der(k, &pk, &pk_len);
	} else {
		return OBOL_E_INVALID_ARGUMENT;
	}
	if (e == OBOL_OK && pk_len > cap)
		e = OBOL_E_INVALID_ARGUMENT;
	/* the key is durable in the signer's store before its public half
	 * goes anywhere; a plan rolled back after leaves a key no master ever
	 * announces, which the signer never uses */
	if (e == OBOL_OK && (e = obol_store_open(l->db_url, false, &s)) == OBOL_OK &&
	    (e = obol_signer_store_migrate(s)) == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO signer_keys (key_id, kind, secret, public, valid_from, use_until, announced)"
				   " VALUES (?, ?, ?, ?, 0, 0, 0)",
				   "bibb", id, sizeof id, (int64_t)kind, sk, sk_len, pk, pk_len);
	if (e == OBOL_OK) {
		memcpy(pub, pk, pk_len);
		*pub_len = pk_len;
	}
	obol_store_close(s);
	if (kind == OBOL_SIGNER_KEY_ONLINE) {
		OBOL_WIPE(seed);
		OBOL_WIPE(kp);
	} else {
		if (sk)
			obol_rsa_der_free(sk, sk_len);
		if (pk)
			obol_rsa_der_free(pk, pk_len);
		EVP_PKEY_free(k);
	}
	return e;
}
