/* The issuer's ecash shell (the bank of seed 002): its tables (migration
 * component "ecash") and the state its routes share. The protocol decisions
 * are src/schemes/ecash/bank.c; this layer reads what they need, applies
 * what they return, and writes.
 *
 * Tables:
 *   ecash_bank_key  a row per bank key (issuer/ecash_rotate.h): id (1 the
 *                   key of `issuer init`, then each successor), sk: its RSA
 *                   private key, DER PKCS#8 (the public key once moved to
 *                   the signing process), created; row 1 only:
 *                   coin_lifetime, cert_lifetime, deposit_window: seconds,
 *                   0 for the default
 *   ecash_nonces    bank nonces of §3.2 step 2 and §5.3: one use, per account
 *   ecash_certs     registered keys (§3.2): key id, account, certificate (JSON),
 *                   seq: the order of registration (ring blocks, §4.1.1)
 *   ecash_coins     issued coins (§3.3.1): serial, account issued to, value,
 *                   owner key, key_id: the certified key whose top-up named
 *                   it, deposited (0 while outstanding: the audit's figure)
 *   ecash_deposits  the spent registry (§3.3.3): serial, requester, its chain,
 *                   kind (0 deposit, 1 refund, 2 exchange), disclosed
 *   ecash_frauds    double spends caught, with their evidence
 *   ecash_revoked   revoked key ids and when each revocation took effect
 *   ecash_barred    accounts proven to double spend: no more keys
 */
#ifndef OBOL_ISSUER_ECASH_ISSUER_H
#define OBOL_ISSUER_ECASH_ISSUER_H

#include <pthread.h>

#include "issuer/issuer.h"
#include "schemes/ecash/bank.h"
#include "schemes/ecash/messages.h"

#define ECASH_NONCE_LIFETIME 300 /* seconds a bank nonce can be answered */

struct ecash_issuer_state {
	struct ecash_bank bank; /* its keys: every live bank key (ecash_rotate_keys) */
	bool sk_moved; /* the database holds public keys: the private ones are the signing process's */
	struct obol_signer_client *signer; /* with the signing process: its client */
	pthread_mutex_t mu; /* one refresh of bank.keys at a time (ecash_issuer_state) */
};

/* Creates or upgrades the ecash tables (component "ecash"). */
OBOL_MUST_CHECK obol_err ecash_issuer_migrate(struct obol_store *s);

/* The state start() loaded (KEYS_UNKNOWN when the scheme is not started).
 * When no bank key it holds is usable now, the keys announced since are
 * read first (through obol_issuer_read, or on s when not NULL) and appended
 * (ecash_bank_keys_append: requests running keep reading the set), so a
 * rotation needs no restart. */
OBOL_MUST_CHECK obol_err ecash_issuer_state(struct obol_issuer *iss, struct ecash_issuer_state **out);
OBOL_MUST_CHECK obol_err ecash_issuer_state_on(struct obol_issuer *iss, struct obol_store *s,
					       struct ecash_issuer_state **out);

/* ---- revocations (ecash_revocations.c) ---- */

/* The component "ecash-revocations" (the index deltas read by). */
OBOL_MUST_CHECK obol_err ecash_issuer_revocations_migrate(struct obol_store *s);
/* One page of the published list, unsigned (rl_pages.h): as of `version`,
 * every revoked key whose certificate could still have signed a claim on a
 * live coin (its expiry is after version - coin_lifetime; older entries can
 * no longer matter and are left out), revoked at or after since (0: all)
 * and at or before version, ids ascending after `after`, at most
 * ECASH_RL_PAGE_MAX; through set to the last id when more follow, else to
 * the end. Costs one index range read however long the list.
 * INVALID_ARGUMENT for since < 0 or since > version. */
struct ecash_rl_query {
	int64_t version, since, coin_lifetime;
	uint8_t after[ECASH_ID_LEN];
};
OBOL_MUST_CHECK obol_err ecash_issuer_revocation_page(struct obol_store *s, const struct ecash_rl_query *q,
						      struct ecash_rl_page *p);
/* The revocations of just the keys ids[0..n) (what one request's checks
 * need: no list is read whole on a request's path). */
OBOL_MUST_CHECK obol_err ecash_issuer_revocations_of(struct obol_store *s, const uint8_t (*ids)[ECASH_ID_LEN],
						     size_t n, struct ecash_revocations *rl);
/* Revokes a key from `now` (a key revoked already keeps its time). */
OBOL_MUST_CHECK obol_err ecash_issuer_revoke(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN],
					     const char *reason, int64_t now);
/* Revokes every key of an account from now and bars it from registering
 * more (a proven double spender). */
OBOL_MUST_CHECK obol_err ecash_issuer_revoke_account(struct obol_store *s, int64_t account, const char *reason,
						     int64_t now);
/* The key ids a request's checks look at: the holder's and every
 * certificate of every claim. *ids is heap (free). */
OBOL_MUST_CHECK obol_err ecash_issuer_request_keys(const struct ecash_cert *holder, const struct ecash_held_coin *coins,
						   size_t n, uint8_t (**ids)[ECASH_ID_LEN], size_t *nids);

/* ---- storage operations (ecash_ops.c), inside the caller's transaction ---- */

/* The certificate registered under a key id: ECASH_NOT_REGISTERED when none. */
OBOL_MUST_CHECK obol_err ecash_issuer_cert(struct obol_store *s, const uint8_t id[static ECASH_ID_LEN],
					   struct ecash_cert *out);
/* Consumes a bank nonce issued to `account` for `purpose` ("register",
 * "topup", "refund", "exchange"): ECASH_NONCE_UNKNOWN (never issued,
 * another account or purpose, used already), ECASH_NONCE_EXPIRED. */
OBOL_MUST_CHECK obol_err ecash_issuer_nonce_take(struct obol_store *s, const uint8_t nonce[static ECASH_NONCE_LEN],
						 int64_t account, const char *purpose, int64_t now);
/* What registration needs to know about an account: its live keys and
 * whether it is barred. */
OBOL_MUST_CHECK obol_err ecash_issuer_account_keys(struct obol_store *s, int64_t account, int64_t now, size_t *live,
						   bool *barred);
/* Stores a new certificate, next in the order of registration; *json is
 * its JSON (the register reply). */
OBOL_MUST_CHECK obol_err ecash_issuer_cert_insert(struct obol_store *s, const struct ecash_cert *cert, json_t **json);
/* The presented certificate is the one registered (ECASH_NOT_REGISTERED,
 * ECASH_CERT_SIGNATURE). */
OBOL_MUST_CHECK obol_err ecash_issuer_cert_registered(struct obol_store *s, const struct ecash_cert *c);
/* A top-up's bookkeeping: the account pays total to the ecash liability,
 * the coins are recorded as issued to it (through key `key_id`) and
 * outstanding. */
OBOL_MUST_CHECK obol_err ecash_issuer_issue_record(struct obol_store *s, int64_t account,
						   const uint8_t key_id[static ECASH_ID_LEN], const struct ecash_coin *coins,
						   size_t n, const struct obol_amount *total, const char *ref);

/* A request that brings coins (deposit, refund, exchange), decoded and
 * authenticated; verified[i] is coin i's own check (ecash_bank_coin_verify,
 * done outside the transaction). */
struct ecash_coins_job {
	enum ecash_entry_kind kind;
	const struct ecash_deposit_req *m;
	const struct ecash_coins_terms *terms;
	int64_t account;
	obol_err verified[ECASH_COINS_MAX];
};
/* The rest of §3.3.3 (and §6.4) inside the unit: for each verified coin,
 * what ecash_bank_registry needs (issue record, the account of the key its
 * last claim names, the registry entry), then what it decided: the entry
 * and the value (credit to the account or the deposit's target, a fresh
 * coin for an exchange), or the double spend with its evidence (every key
 * of a proven culprit revoked). *reply is {"results": [{serial, value,
 * code, name, evidence?, coin?}], "credited", "change"?}. */
OBOL_MUST_CHECK obol_err ecash_issuer_coins_record(struct obol_store *s, const struct ecash_bank *bank,
						   const struct ecash_coins_job *job, int64_t now, json_t **reply);
/* §4.1.1: the block of ECASH_DIRECTORY_SPAN registrations holding `key`
 * (its place in the order of registration, cut at multiples of the span),
 * with the live (unexpired, unrevoked) certificates in it and their places
 * (unsigned). ECASH_NOT_REGISTERED for a key the bank does not know. Every
 * registration has its block however many came before it: no directory is
 * cut at a count. */
OBOL_MUST_CHECK obol_err ecash_issuer_directory(struct obol_store *s, const uint8_t key[static ECASH_ID_LEN], int64_t now,
						struct ecash_directory *dir);
/* The bank's keys (ecash_rotate_keys at now) and settings from its tables
 * (what `issuer serve` loads). */
OBOL_MUST_CHECK obol_err ecash_issuer_load(struct obol_store *s, const char *currency, struct ecash_issuer_state **out);
void ecash_issuer_unload(struct ecash_issuer_state *st);

#endif
