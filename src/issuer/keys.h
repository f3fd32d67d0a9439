/* The issuer's own keys (DESIGN §4): the master Ed25519 key, which signs
 * only key announcements (the online keys that sign everything else, below),
 * and the X25519 box key to which wallets seal authorisations for the issuer
 * (DESIGN §3).
 *
 * They live in the issuer database, table issuer_keys (migration component
 * "issuer"), created once by `obol issuer init`: the master key's PUBLIC half
 * only. The master secret never enters the database: issuer init writes it
 * to a master key file (cli/key_files.h) and holds the first key ceremony
 * with it in hand; after that it lives offline (`obol offline sign`). A
 * database made before this held the seed (column master_seed): `obol issuer
 * keys export-master` moves it to a file and erases it from the database,
 * and `issuer serve` refuses to start while it is there. The database is the
 * issuer's trust boundary: protect it as the keys it holds (the box key and,
 * without a signing process, the online keys). Scheme keys (coupon
 * denominations, ecash bank keys, ...) live in each scheme's own tables. */
#ifndef OBOL_ISSUER_KEYS_H
#define OBOL_ISSUER_KEYS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/ed25519_signer.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "schemes/common/key_announce.h"
#include "store/store.h"

struct obol_issuer_keys {
	uint8_t master_pk[OBOL_SIGN_PK_LEN]; /* public only: the secret is offline */
	struct obol_box_keypair box;         /* secret half: wipe with obol_issuer_keys_wipe */
	char currency[OBOL_CURRENCY_MAX + 1];
	int64_t created;
};

/* Creates the issuer_keys table (component "issuer") and the key tables
 * (component "keys", below); idempotent. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_migrate(struct obol_store *s);

/* Draws new keys and stores them (inside the caller's transaction): the box
 * key and the master's public key. The master key pair goes to *master
 * only, never to the database: the caller holds the first ceremony with it
 * and writes it out (wipe it after). ALREADY_INITIALISED when keys exist. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_create(struct obol_store *s, const char *currency, int64_t now,
						 struct obol_issuer_keys *out, struct obol_sign_keypair *master);

/* Loads the keys (never a master secret, even where an old database still
 * holds one). KEYS_UNKNOWN when the database has none. */
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

/* An online key that starts a run (no announced key covers now: the first
 * ceremony, or after a gap) is announced from this long before the plan
 * ran, so that an issuer whose clock steps back, or a client whose clock is
 * behind the ceremony's, by up to this much still finds it in its window
 * (else GET /keys fails, KEY_ONLINE_MISSING, and clients refuse the key,
 * KEY_OUTSIDE_WINDOW). The key signed nothing before it was drawn, so the
 * earlier start admits nothing more. */
#define OBOL_KEY_ONLINE_CLOCK_MARGIN_S 86400

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
/* 90 days, 366 days, 120 days, 3 years, 1 year.
 * The grace is what a certificate signed by an online key can live past the
 * key's last day of use: every certificate the issuer makes is cut at its
 * signing key's accept_until (crypto/ed25519_signer.h), so a grace of one
 * year and a day lets a one-year certificate (vendor, Codex, payword: the
 * default lifetimes) made on the last day of a key's use keep its full
 * year. A shorter grace would hand out shorter certificates near the end
 * of each key's use. */
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

/* The master key's seed as an issuer init before the master went offline
 * stored it, for moving it to the offline master key file (wipe it after
 * use). KEY_MASTER_OFFLINE when the database holds none (any database made
 * since: the seed went to a file at init). */
OBOL_MUST_CHECK obol_err obol_issuer_keys_master_seed(struct obol_store *s, uint8_t seed[static OBOL_SIGN_SEED_LEN]);

/* Whether the database still holds a master seed (*yes). */
OBOL_MUST_CHECK obol_err obol_issuer_keys_master_in_db(struct obol_store *s, bool *yes);

/* Inside the caller's transaction: erases the master seed from the
 * database, its bytes first overwritten with zeros in place and then the
 * cell emptied (for SQLite, the caller then VACUUMs, outside the
 * transaction, so that no free page keeps the old bytes: see
 * obol_issuer_keys_master_scrub). KEY_MASTER_OFFLINE when there is none. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_master_forget(struct obol_store *s);

/* Outside any transaction, after obol_issuer_keys_master_forget committed:
 * SQLite: VACUUM with secure_delete on and a TRUNCATE checkpoint, so that
 * neither a free page of the file nor the write-ahead log keeps the seed's
 * old bytes. PostgreSQL: VACUUM FULL issuer_keys (the old row version is
 * dropped with its table file; what the server's WAL archive keeps is the
 * operator's to purge). */
OBOL_MUST_CHECK obol_err obol_issuer_keys_master_scrub(struct obol_store *s);

/* ---- The online keys this process signs with -----------------------------
 *
 * Each online key whose seed is in online_keys and whose announcement the
 * master signed (imported), except the revoked ones (any signed REVOKE
 * naming it, whatever its valid_from: a leaked key stops signing as soon as
 * its revocation is imported) and those whose use has ended. */
#define OBOL_ONLINE_KEYRING_MAX 16
struct obol_online_key {
	struct obol_sign_keypair kp; /* secret half: wipe with obol_online_keyring_wipe */
	int64_t valid_from, use_until, accept_until;
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
 * the key picked at now, its accept_until the key's: KEY_ONLINE_MISSING when
 * none. It signs under that key's pk only while r holds the key (else
 * KEY_NOT_ANNOUNCED). */
OBOL_MUST_CHECK obol_err obol_online_keyring_signer(const struct obol_online_keyring *r, int64_t now,
						    struct obol_ed25519_signer *out);

/* ---- The online keys another process signs with -------------------------
 *
 * With a signing process (issuer/signer.h) the seeds are there; this
 * process knows each online key by its signed announcement only. */
struct obol_online_pub {
	uint8_t pk[OBOL_SIGN_PK_LEN];
	int64_t valid_from, use_until, accept_until;
};

/* The announced online keys (verified under master_pk) whose use has not
 * ended at now and that no signed revocation names (whatever its
 * valid_from, as obol_online_keyring_load), soonest first, into out (of
 * OBOL_ONLINE_KEYRING_MAX; the latest beyond are left out), *n of them. */
OBOL_MUST_CHECK obol_err obol_online_pubs_load(struct obol_store *s, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
					       int64_t now, struct obol_online_pub *out, size_t *n);
/* Of p[0..n), the key to sign with at now as obol_online_keyring_pick
 * chooses it; NULL when none is usable. */
const struct obol_online_pub *obol_online_pubs_pick(const struct obol_online_pub *p, size_t n, int64_t now);

#endif
