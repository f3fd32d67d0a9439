/* The issuer's half of the key ceremony (src/issuer/keys.h): what the plan
 * requests, and that only the master's signatures of those very requests
 * are imported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "issuer/keys.h"
#include "../test.h"

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
	obol_err e = obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull);
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
	REQUIRE_OK(obol_issuer_keys_master_seed(s, seed));
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
	REQUIRE_OK(obol_issuer_keys_announced(s, master.pk, set));
	CHECK_EQ_INT(set->n, 4);
	CHECK_OK(obol_key_set_find(set, OBOL_KEY_ONLINE, a[0].key, a[0].key_len, now, NULL));
	CHECK_ERR(obol_key_set_find(set, OBOL_KEY_ONLINE, a[1].key, a[1].key_len, now, NULL), OBOL_E_KEY_OUTSIDE_WINDOW);
	CHECK_OK(obol_key_set_find(set, OBOL_KEY_COUPON_DENOM, a[2].key, a[2].key_len, now, NULL));
	/* under another master key, the stored announcements are worthless */
	CHECK_ERR(obol_issuer_keys_announced(s, other.pk, set), OBOL_E_KEY_ANNOUNCE_INVALID);
	REQUIRE_OK(obol_issuer_keys_plan(s, &p, now, &added));
	CHECK_EQ_INT(added, 0);
	obol_wipe(&master, sizeof master);
	free(r);
	free(set);
	obol_store_close(s);
}
