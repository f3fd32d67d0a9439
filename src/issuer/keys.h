/* The issuer's own keys (DESIGN §4): the master Ed25519 key, which signs vendor
 * certificates, the GET /keys document, CRLs and blacklists, and the X25519 box
 * key to which wallets seal authorisations for the issuer (DESIGN §3).
 *
 * They live in the issuer database, table issuer_keys (migration component
 * "issuer"), created once by `obol issuer init`. The database is the issuer's
 * trust boundary: protect it as the keys it holds. Scheme keys (coupon
 * denominations, ecash bank keys, ...) live in each scheme's own tables. */
#ifndef OBOL_ISSUER_KEYS_H
#define OBOL_ISSUER_KEYS_H

#include <jansson.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/ed25519_signer.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "schemes/common/key_announce.h"
#include "store/store.h"

struct obol_issuer_keys {
	struct obol_sign_keypair master; /* secret half: wipe with obol_issuer_keys_wipe */
	struct obol_box_keypair box;
	char currency[OBOL_CURRENCY_MAX + 1];
	int64_t created;
};

/* Creates the issuer_keys table (component "issuer") and the key tables
 * (component "keys", below); idempotent. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_migrate(struct obol_store *s);

/* Draws new keys and stores them (inside the caller's transaction).
 * ALREADY_INITIALISED when keys exist. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_create(struct obol_store *s, const char *currency, int64_t now,
						 struct obol_issuer_keys *out);

/* Loads the keys. KEYS_UNKNOWN when the database has none. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_load(struct obol_store *s, struct obol_issuer_keys *out);

void obol_issuer_keys_wipe(struct obol_issuer_keys *k);

/* ---- The key hierarchy (schemes/common/key_announce.h) ------------------
 *
 * Migration component "keys" (step 1):
 *   key_announcements  (serial, kind, key_id, signed: the announcement's
 *                      signed bytes, sig: the master's signature, NULL while
 *                      the request waits for the offline ceremony,
 *                      requested, imported)
 *   online_keys        (key_id, seed: an online Ed25519 key's secret seed,
 *                      created)
 * The ceremony (docs/operations.md "The key ceremony"): plan and export the
 * requests, sign them where the master key is, import the signatures. */

/* Creates the key tables (component "keys"); idempotent. */
OBOL_MUST_CHECK obol_err obol_issuer_keyring_migrate(struct obol_store *s);

/* How long the keys the plan draws live, in seconds. */
struct obol_key_policy {
	int64_t online_use_s;    /* an online key signs for this long */
	int64_t online_grace_s;  /* ... and what it signed is accepted this much longer */
	int64_t lookahead_s;     /* online keys are announced to cover now .. now + this, and
				  * a coupon key's successor drawn once it stops issuing in it */
	int64_t coin_legal_s;    /* ecash coins are refunded this long after their acceptance
				  * ends (a coupon key carries its own legal end) */
	int64_t bank_use_s;      /* an ecash bank key signs this long (its successor follows) */
};
/* 90 days, 30 days, 120 days, 3 years, 1 year. */
void obol_key_policy_default(struct obol_key_policy *p);

/* Inside the caller's transaction: requests, as pending announcements, what
 * the issuer needs at now and has not requested yet: online keys (drawn
 * here, their seeds stored in online_keys) until announced ones cover now ..
 * now + lookahead (so the next key is known before it is needed), the
 * successor of each coupon denomination key that stops issuing before now +
 * lookahead (drawn here, issuer/coupon_rotate.h), the successor of the
 * ecash bank key in use when it stops signing before now + lookahead
 * (drawn here, issuer/ecash_rotate.h), and each coupon denomination's and
 * ecash bank key not announced yet, under its own windows. *added is how
 * many it requested. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_plan(struct obol_store *s, const struct obol_key_policy *p, int64_t now,
					       size_t *added);

/* Inside the caller's transaction: requests the revocation (a REVOKE
 * announcement, valid from `from`) of the one online key whose id begins
 * with the id_len bytes of id (8..32). The issuer stops signing with the key
 * once the revocation is imported (obol_online_keyring_load); verifiers
 * refuse what the key signed from `from` on (obol_key_set_find); the next
 * plan no longer counts the key and requests a replacement. KEY_NOT_ANNOUNCED
 * when no online key, or more than one, has that id; a key whose revocation
 * is requested already is not requested again (*added 0). *full receives the
 * whole id. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_revoke(struct obol_store *s, const uint8_t *id, size_t id_len, int64_t from,
						 int64_t now, uint8_t full[32], size_t *added);

/* How far ahead the online keys cover at now, without a gap, counting only
 * the signed ones not revoked (signed: *signed_end) or also the requested
 * ones (*planned_end); now when none holds now. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_online_cover(struct obol_store *s, int64_t now, int64_t *signed_end,
						       int64_t *planned_end);

/* A pending request: its serial and signed bytes. */
struct obol_key_request {
	uint64_t serial;
	uint8_t bytes[OBOL_KEY_ANNOUNCE_MAX];
	size_t len;
};
/* The pending requests, oldest first: *out (malloc'ed, free it) of *n. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_pending(struct obol_store *s, struct obol_key_request **out, size_t *n);

/* Inside the caller's transaction: records the master's signature of a
 * pending request. KEY_ANNOUNCE_INVALID unless it verifies under master_pk;
 * KEY_NOT_REQUESTED unless its signed bytes are those of the request of its
 * serial. Importing the same announcement again changes nothing. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_import(struct obol_store *s, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
						 const struct obol_key_announce *a);

/* The whole ceremony in one process, where the master key is at hand
 * (issuer init, the demo, tests): signs every pending request with master
 * and imports it, in one transaction. *signed_n is how many. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_sign_pending(struct obol_store *s, const struct obol_sign_keypair *master,
						       size_t *signed_n);

/* Every signed announcement that can still matter at now (a key whose
 * acceptance or, for a coin key, legal end has not passed, and the
 * revocations of those: the ones GET /keys lists), each verified again
 * under master_pk, into
 * *set. Ended keys are left out so that the set, of OBOL_KEY_SET_MAX, is
 * bounded by the live windows and not by the issuer's age. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_announced(struct obol_store *s,
						    const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
						    int64_t now, struct obol_key_set *set);
/* The same for the coupon denomination keys whose legal end has not passed
 * at now only (as many as the issuer loads, coupon_store.h
 * COUPON_DENOMS_MAX): the set stays bounded however long keys rotate. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_announced_coupon(struct obol_store *s,
							   const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
							   int64_t now, struct obol_key_set *set);

/* The announcements GET /keys lists (keys_doc.h "announcements"): every
 * signed one whose windows have not all passed at now, and the revocations
 * of those, as a new JSON array of their text forms. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_doc_part(struct obol_store *s, int64_t now, json_t **out);

/* The master key's seed as issuer init stored it, for moving it to the
 * offline master key file (wipe it after use). */
OBOL_MUST_CHECK obol_err obol_issuer_keys_master_seed(struct obol_store *s, uint8_t seed[static OBOL_SIGN_SEED_LEN]);

/* ---- The online keys this process signs with -----------------------------
 *
 * Each online key whose seed is in online_keys and whose announcement the
 * master signed (imported), except the revoked ones (any signed REVOKE
 * naming it, whatever its valid_from: a leaked key stops signing as soon as
 * its revocation is imported) and those whose use has ended. */
#define OBOL_ONLINE_KEYRING_MAX 16
struct obol_online_key {
	struct obol_sign_keypair kp; /* secret half: wipe with obol_online_keyring_wipe */
	int64_t valid_from, use_until;
};
struct obol_online_keyring {
	struct obol_online_key k[OBOL_ONLINE_KEYRING_MAX];
	size_t n;
};

/* Loads the keys above at now into *r, soonest first (beyond
 * OBOL_ONLINE_KEYRING_MAX, the latest are left for a later load). */
OBOL_MUST_CHECK obol_err obol_online_keyring_load(struct obol_store *s, int64_t now, struct obol_online_keyring *r);
void obol_online_keyring_wipe(struct obol_online_keyring *r);

/* The key of r the issuer signs with at now: of those usable at now
 * (valid_from <= now < use_until), the one that began last, so the next key
 * takes over when its window begins. KEY_ONLINE_MISSING when none is. */
OBOL_MUST_CHECK obol_err obol_online_keyring_pick(const struct obol_online_keyring *r, int64_t now,
						  const struct obol_online_key **out);

/* An in-process signer over r (borrowed: it must outlive the signer) with
 * the key picked at now: KEY_ONLINE_MISSING when none. It signs under that
 * key's pk only while r holds the key (else KEY_NOT_ANNOUNCED). */
OBOL_MUST_CHECK obol_err obol_online_keyring_signer(const struct obol_online_keyring *r, int64_t now,
						    struct obol_ed25519_signer *out);

#endif
