/* The issuer's half of the key ceremony (src/issuer/keys.h): what the plan
 * requests, and that only the master's signatures of those very requests
 * are imported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "issuer/keys.h"
#include "../test.h"

/* The master key as issuer init hands it out (the master key file's seed). */
static uint8_t kept_seed[OBOL_SIGN_SEED_LEN];
static obol_err keep_seed(void *ctx, const struct obol_sign_keypair *m)
{
	(void)ctx;
	if (m != NULL)
		memcpy(kept_seed, m->sk, OBOL_SIGN_SEED_LEN);
	return OBOL_OK;
}
static obol_err kept_master_seed(uint8_t seed[static OBOL_SIGN_SEED_LEN])
{
	memcpy(seed, kept_seed, OBOL_SIGN_SEED_LEN);
	return OBOL_OK;
}

TEST_DB(issuer_keys, ceremony_imports_only_what_was_requested)
{
	struct obol_store *s = NULL;
	struct obol_key_policy p;
	struct obol_key_request *r = NULL;
	struct obol_sign_keypair master, other;
	struct obol_key_announce a[8], b;
	struct obol_key_set *set = malloc(sizeof *set);
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	size_t added = 0, n = 0;
	REQUIRE(set != NULL);
	FILE *devnull = fopen("/dev/null", "w");
	obol_err e = obol_issuer_init_db_bare(db_url, "EUR", NULL, 0, keep_seed, NULL, devnull);
	fclose(devnull);
	REQUIRE_OK(e);
	int64_t now = obol_now(); /* a denomination key issues from its creation */
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	REQUIRE_OK(obol_issuer_keyring_migrate(s));
	obol_key_policy_default(&p);
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, now, &added));
	/* two online keys back to back, the one default denomination, the bank key */
	CHECK_EQ_INT(added, 4);
	REQUIRE_OK(obol_issuer_keys_pending(s, &r, &n));
	REQUIRE(n == 4);
	REQUIRE_OK(kept_master_seed(seed));
	obol_sign_keypair_from_seed(&master, seed);
	OBOL_WIPE(seed);
	obol_sign_keypair_new(&other);
	for (size_t i = 0; i < n; i++) {
		REQUIRE_OK(obol_key_announce_from_signed_bytes(r[i].bytes, r[i].len, &a[i]));
		REQUIRE_OK(obol_key_announce_sign(&a[i], master.sk));
	}
	CHECK_EQ_INT(a[0].kind, OBOL_KEY_ONLINE);
	CHECK_EQ_INT(a[1].kind, OBOL_KEY_ONLINE);
	CHECK_EQ_INT(a[1].valid_from, a[0].use_until); /* the next key follows the current one */
	CHECK_EQ_INT(a[2].kind, OBOL_KEY_COUPON_DENOM);
	CHECK_EQ_INT(a[3].kind, OBOL_KEY_ECASH_BANK);

	REQUIRE_OK(obol_store_begin(s));
	/* another key's signature */
	b = a[0];
	REQUIRE_OK(obol_key_announce_sign(&b, other.sk));
	CHECK_ERR(obol_issuer_keys_import(s, master.pk, &b), OBOL_E_KEY_ANNOUNCE_INVALID);
	/* the master's own signature, of what the issuer did not ask for: a
	 * longer window, or a serial it never used */
	b = a[0];
	b.accept_until += 365 * 86400;
	REQUIRE_OK(obol_key_announce_sign(&b, master.sk));
	CHECK_ERR(obol_issuer_keys_import(s, master.pk, &b), OBOL_E_KEY_NOT_REQUESTED);
	b = a[0];
	b.serial = 99;
	REQUIRE_OK(obol_key_announce_sign(&b, master.sk));
	CHECK_ERR(obol_issuer_keys_import(s, master.pk, &b), OBOL_E_KEY_NOT_REQUESTED);
	for (size_t i = 0; i < n; i++)
		CHECK_OK(obol_issuer_keys_import(s, master.pk, &a[i]));
	CHECK_OK(obol_issuer_keys_import(s, master.pk, &a[0])); /* again: nothing changes */
	REQUIRE_OK(obol_store_commit(s));

	free(r);
	r = NULL;
	REQUIRE_OK(obol_issuer_keys_pending(s, &r, &n));
	CHECK_EQ_INT(n, 0);
	REQUIRE_OK(obol_issuer_keys_announced(s, master.pk, now, set));
	CHECK_EQ_INT(set->n, 4);
	CHECK_OK(obol_key_set_find(set, OBOL_KEY_ONLINE, a[0].key, a[0].key_len, now, NULL));
	CHECK_ERR(obol_key_set_find(set, OBOL_KEY_ONLINE, a[1].key, a[1].key_len, now, NULL), OBOL_E_KEY_OUTSIDE_WINDOW);
	CHECK_OK(obol_key_set_find(set, OBOL_KEY_COUPON_DENOM, a[2].key, a[2].key_len, now, NULL));
	/* under another master key, the stored announcements are worthless */
	CHECK_ERR(obol_issuer_keys_announced(s, other.pk, now, set), OBOL_E_KEY_ANNOUNCE_INVALID);
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, now, &added));
	CHECK_EQ_INT(added, 0);
	obol_wipe(&master, sizeof master);
	free(r);
	free(set);
	obol_store_close(s);
}

/* A new issuer database at db_url, open in *s, its master key (as the
 * offline master key file would hold it) and the default plan requested. */
static obol_err fresh_issuer(const char *db_url, int64_t now, struct obol_store **s, struct obol_sign_keypair *master,
			     struct obol_key_policy *p, size_t *added)
{
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	FILE *devnull = fopen("/dev/null", "w");
	obol_err e = devnull != NULL ? obol_issuer_init_db_bare(db_url, "EUR", NULL, 0, keep_seed, NULL, devnull) : OBOL_E_IO;
	if (devnull != NULL)
		fclose(devnull);
	if (e == OBOL_OK && (e = obol_store_open(db_url, false, s)) == OBOL_OK &&
	    (e = kept_master_seed(seed)) == OBOL_OK) {
		obol_sign_keypair_from_seed(master, seed);
		obol_key_policy_default(p);
		e = obol_issuer_keys_plan(*s, p, now, added);
	}
	OBOL_WIPE(seed);
	return e;
}

/* The online keys the issuer signs with: none before the ceremony, the one
 * whose window holds now after it, the next one from its valid_from on. */
TEST_DB(issuer_keys, online_keyring_follows_the_windows)
{
	struct obol_store *s = NULL;
	struct obol_key_policy p;
	struct obol_sign_keypair master;
	struct obol_online_keyring *ring = malloc(sizeof *ring);
	struct obol_key_set *set = malloc(sizeof *set);
	struct obol_ed25519_signer sg;
	const struct obol_online_key *k;
	uint8_t sig[OBOL_SIGN_LEN], first[OBOL_SIGN_PK_LEN];
	const uint8_t msg[] = "a vendor certificate";
	size_t added = 0, n = 0;
	int64_t now = obol_now();
	REQUIRE(ring != NULL && set != NULL);
	REQUIRE_OK(fresh_issuer(db_url, now, &s, &master, &p, &added));

	/* requested, not signed yet: nothing to sign with */
	REQUIRE_OK(obol_online_keyring_load(s, now, ring));
	CHECK_EQ_INT(ring->n, 0);
	CHECK_ERR(obol_online_keyring_signer(ring, now, &sg), OBOL_E_KEY_ONLINE_MISSING);

	REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &n));
	CHECK_EQ_INT(n, added);
	REQUIRE_OK(obol_online_keyring_load(s, now, ring));
	CHECK_EQ_INT(ring->n, 2);
	REQUIRE_OK(obol_online_keyring_signer(ring, now, &sg));
	CHECK(memcmp(sg.pk, master.pk, OBOL_SIGN_PK_LEN) != 0);
	memcpy(first, sg.pk, sizeof first);
	/* the first key began a clock margin before the ceremony: an issuer
	 * whose clock steps back an hour still signs with it */
	REQUIRE_OK(obol_online_keyring_pick(ring, now, &k));
	CHECK_EQ_INT(k->valid_from, now - OBOL_KEY_ONLINE_CLOCK_MARGIN_S);
	CHECK_OK(obol_online_keyring_signer(ring, now - 3600, &sg));
	CHECK(memcmp(sg.pk, first, OBOL_SIGN_PK_LEN) == 0);
	REQUIRE_OK(obol_ed25519_sign(&sg, "vendor-cert", msg, sizeof msg, sig));
	REQUIRE_OK(obol_issuer_keys_announced(s, master.pk, now, set));
	CHECK_OK(obol_key_set_verify_signed(set, sg.pk, sig, "vendor-cert", msg, sizeof msg, now));
	CHECK_ERR(obol_key_set_verify_signed(set, sg.pk, sig, "issuer-keys", msg, sizeof msg, now),
		  OBOL_E_KEY_SIGNATURE_INVALID);

	/* the next key takes over when its window begins, with no new load */
	REQUIRE_OK(obol_online_keyring_pick(ring, now, &k));
	int64_t next = k->use_until;
	REQUIRE_OK(obol_online_keyring_signer(ring, next, &sg));
	CHECK(memcmp(sg.pk, first, OBOL_SIGN_PK_LEN) != 0);
	REQUIRE_OK(obol_ed25519_sign(&sg, "vendor-cert", msg, sizeof msg, sig));
	CHECK_OK(obol_key_set_verify_signed(set, sg.pk, sig, "vendor-cert", msg, sizeof msg, next));
	/* a signer asked for a key it does not hold signs nothing */
	memcpy(sg.pk, master.pk, OBOL_SIGN_PK_LEN);
	CHECK_ERR(obol_ed25519_sign(&sg, "vendor-cert", msg, sizeof msg, sig), OBOL_E_KEY_NOT_ANNOUNCED);
	/* past the last announced window: loaded then, it holds nothing */
	REQUIRE_OK(obol_online_keyring_load(s, next + p.online_use_s, ring));
	CHECK_EQ_INT(ring->n, 0);
	CHECK_ERR(obol_online_keyring_signer(ring, next + p.online_use_s, &sg), OBOL_E_KEY_ONLINE_MISSING);

	obol_online_keyring_wipe(ring);
	obol_wipe(&master, sizeof master);
	free(ring);
	free(set);
	obol_store_close(s);
}

/* The one-key in-process signer signs under its own key only. */
TEST(issuer_keys, local_signer_signs_with_its_key_only)
{
	struct obol_sign_keypair kp, other;
	struct obol_ed25519_signer sg;
	uint8_t sig[OBOL_SIGN_LEN];
	const uint8_t msg[] = "m";
	obol_sign_keypair_new(&kp);
	obol_sign_keypair_new(&other);
	obol_ed25519_signer_local(&sg, &kp);
	REQUIRE_OK(obol_ed25519_sign(&sg, "ctx", msg, sizeof msg, sig));
	CHECK_OK(obol_sign_verify(sig, "ctx", msg, sizeof msg, kp.pk));
	memcpy(sg.pk, other.pk, OBOL_SIGN_PK_LEN);
	CHECK_ERR(obol_ed25519_sign(&sg, "ctx", msg, sizeof msg, sig), OBOL_E_KEY_NOT_ANNOUNCED);
	obol_wipe(&kp, sizeof kp);
	obol_wipe(&other, sizeof other);
}

/* Revoking a leaked online key: after the ceremony signs the revocation,
 * the issuer no longer signs with the key, verifiers refuse what it signed
 * from the revocation's valid_from (KEY_REVOKED), and the plan has drawn a
 * replacement that holds now. */
TEST_DB(issuer_keys, revoked_online_key_is_replaced_and_refused)
{
	struct obol_store *s = NULL;
	struct obol_key_policy p;
	struct obol_sign_keypair master;
	struct obol_online_keyring *ring = malloc(sizeof *ring);
	struct obol_key_set *set = malloc(sizeof *set);
	struct obol_ed25519_signer sg;
	uint8_t sig[OBOL_SIGN_LEN], leaked_sig[OBOL_SIGN_LEN], leaked[OBOL_SIGN_PK_LEN];
	uint8_t id[32], full[32];
	uint8_t nobody[8] = { 0 };
	const uint8_t msg[] = "a payword CRL";
	size_t added = 0, n = 0;
	int64_t now = obol_now(), signed_end = 0, planned_end = 0;
	REQUIRE(ring != NULL && set != NULL);
	REQUIRE_OK(fresh_issuer(db_url, now, &s, &master, &p, &added));
	REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &n));
	REQUIRE_OK(obol_online_keyring_load(s, now, ring));
	REQUIRE_OK(obol_online_keyring_signer(ring, now, &sg));
	memcpy(leaked, sg.pk, sizeof leaked);
	REQUIRE_OK(obol_ed25519_sign(&sg, "payword-crl", msg, sizeof msg, leaked_sig));
	REQUIRE_OK(obol_issuer_keys_online_cover(s, now, &signed_end, &planned_end));
	CHECK_EQ_INT(signed_end, now - OBOL_KEY_ONLINE_CLOCK_MARGIN_S + 2 * p.online_use_s);

	/* an id of no online key is refused; the leaked key's is queued once */
	REQUIRE_OK(obol_store_begin(s));
	CHECK_ERR(obol_issuer_keys_revoke(s, nobody, sizeof nobody, now, now, full, &added), OBOL_E_KEY_NOT_ANNOUNCED);
	obol_sha256(id, leaked, sizeof leaked);
	REQUIRE_OK(obol_issuer_keys_revoke(s, id, 8, now + 10, now, full, &added));
	CHECK_EQ_INT(added, 1);
	CHECK_MEM_EQ(full, id, 32);
	REQUIRE_OK(obol_issuer_keys_revoke(s, id, 32, now + 10, now, full, &added));
	CHECK_EQ_INT(added, 0);
	REQUIRE_OK(obol_store_commit(s));
	/* requested, not signed: the key still signs, and counts no more for the plan */
	REQUIRE_OK(obol_online_keyring_load(s, now, ring));
	CHECK_EQ_INT(ring->n, 2);
	REQUIRE_OK(obol_issuer_keys_online_cover(s, now, &signed_end, &planned_end));
	CHECK_EQ_INT(planned_end, now);
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, now, &added));
	CHECK(added >= 1); /* the replacement, from now */
	REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &n));
	CHECK_EQ_INT(n, added + 1);

	REQUIRE_OK(obol_online_keyring_load(s, now, ring));
	REQUIRE_OK(obol_online_keyring_signer(ring, now, &sg));
	CHECK(memcmp(sg.pk, leaked, OBOL_SIGN_PK_LEN) != 0); /* the replacement signs */
	memcpy(sg.pk, leaked, OBOL_SIGN_PK_LEN);
	CHECK_ERR(obol_ed25519_sign(&sg, "payword-crl", msg, sizeof msg, sig), OBOL_E_KEY_NOT_ANNOUNCED);
	REQUIRE_OK(obol_online_keyring_signer(ring, now, &sg));
	REQUIRE_OK(obol_ed25519_sign(&sg, "payword-crl", msg, sizeof msg, sig));
	REQUIRE_OK(obol_issuer_keys_announced(s, master.pk, now, set));
	CHECK_OK(obol_key_set_verify_signed(set, sg.pk, sig, "payword-crl", msg, sizeof msg, now + 10));
	/* what the leaked key signed: accepted before the revocation's valid_from, refused from it */
	CHECK_OK(obol_key_set_verify_signed(set, leaked, leaked_sig, "payword-crl", msg, sizeof msg, now + 9));
	CHECK_ERR(obol_key_set_verify_signed(set, leaked, leaked_sig, "payword-crl", msg, sizeof msg, now + 10),
		  OBOL_E_KEY_REVOKED);
	REQUIRE_OK(obol_issuer_keys_online_cover(s, now, &signed_end, &planned_end));
	CHECK(signed_end >= now + p.lookahead_s);

	obol_online_keyring_wipe(ring);
	obol_wipe(&master, sizeof master);
	free(ring);
	free(set);
	obol_store_close(s);
}

/* Years of online keys, each revoked: every announcement the ceremony ever
 * signed stays in key_announcements, and the set the signer's import and
 * `issuer keys list` read (of OBOL_KEY_SET_MAX) and GET /keys hold only
 * those that can still matter, so they work after more announcements than a
 * set holds. */
TEST_DB(issuer_keys, the_announced_set_holds_the_live_keys_after_years_of_them)
{
	struct obol_store *s = NULL;
	struct obol_key_policy p;
	struct obol_sign_keypair master;
	struct obol_key_set *set = malloc(sizeof *set);
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	size_t added = 0, n = 0;
	const int64_t day = 86400, ended = 2 * OBOL_KEY_SET_MAX;
	REQUIRE(set != NULL);
	FILE *devnull = fopen("/dev/null", "w");
	obol_err e = obol_issuer_init_db_bare(db_url, "EUR", NULL, 0, keep_seed, NULL, devnull);
	fclose(devnull);
	REQUIRE_OK(e);
	int64_t now = obol_now();
	REQUIRE_OK(obol_store_open(db_url, false, &s));
	REQUIRE_OK(obol_issuer_keyring_migrate(s));
	REQUIRE_OK(kept_master_seed(seed));
	obol_sign_keypair_from_seed(&master, seed);
	OBOL_WIPE(seed);
	/* 2 * OBOL_KEY_SET_MAX online keys of 90 days back to back, the last
	 * of them accepted until a year ago: about 32 years of them */
	REQUIRE_OK(obol_store_begin(s));
	for (int64_t i = 0; i < ended; i++) {
		struct obol_key_announce a = { .kind = OBOL_KEY_ONLINE, .serial = (uint64_t)(100000 + i),
					       .key_len = OBOL_SIGN_PK_LEN };
		uint8_t buf[OBOL_KEY_ANNOUNCE_MAX], id[32];
		size_t len = 0;
		strcpy(a.currency, "EUR");
		obol_random(a.key, OBOL_SIGN_PK_LEN);
		a.valid_from = now - 365 * day - (ended - i) * 90 * day - 30 * day;
		a.use_until = a.valid_from + 90 * day;
		a.accept_until = a.use_until + 30 * day;
		REQUIRE_OK(obol_key_announce_sign(&a, master.sk));
		REQUIRE_OK(obol_key_announce_signed_bytes(&a, buf, sizeof buf, &len));
		obol_key_announce_key_id(&a, id);
		REQUIRE_OK(obol_store_run(s, NULL,
					  "INSERT INTO key_announcements (serial, kind, key_id, signed, sig, requested, imported)"
					  " VALUES (?, ?, ?, ?, ?, ?, ?)",
					  "iibbbii", (int64_t)a.serial, (int64_t)a.kind, id, sizeof id, buf, len, a.sig,
					  sizeof a.sig, a.valid_from, a.valid_from));
		/* and every one of them revoked while it was in use */
		struct obol_key_announce r = { .kind = OBOL_KEY_REVOKE, .serial = (uint64_t)(200000 + i),
					       .valid_from = a.valid_from + day };
		strcpy(r.currency, "EUR");
		memcpy(r.revoked, id, sizeof id);
		REQUIRE_OK(obol_key_announce_sign(&r, master.sk));
		REQUIRE_OK(obol_key_announce_signed_bytes(&r, buf, sizeof buf, &len));
		REQUIRE_OK(obol_store_run(s, NULL,
					  "INSERT INTO key_announcements (serial, kind, key_id, signed, sig, requested, imported)"
					  " VALUES (?, ?, ?, ?, ?, ?, ?)",
					  "iibbbii", (int64_t)r.serial, (int64_t)r.kind, id, sizeof id, buf, len, r.sig,
					  sizeof r.sig, r.valid_from, r.valid_from));
	}
	REQUIRE_OK(obol_store_commit(s));
	/* today's ceremony: the keys that cover now and the lookahead */
	obol_key_policy_default(&p);
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, now, &added));
	REQUIRE_OK(obol_issuer_keys_sign_pending(s, &master, &n));
	CHECK_EQ_INT(n, added);
	REQUIRE_OK(obol_issuer_keys_announced(s, master.pk, now, set));
	CHECK_EQ_INT(set->n, added); /* the ended ones and their revocations are left out */
	/* and the keys document lists the same live ones */
	json_t *doc = NULL;
	REQUIRE_OK(obol_issuer_keys_doc_part(s, now, &doc));
	CHECK_EQ_INT(json_array_size(doc), added);
	json_decref(doc);
	obol_wipe(&master, sizeof master);
	free(set);
	obol_store_close(s);
}
