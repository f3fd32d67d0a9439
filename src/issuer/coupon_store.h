/* The coupon scheme's tables at the issuer (migration component "coupon").
 *
 *   coupon_denoms      id, value (units + currency), n, RSA key pair (PKCS#8
 *                      DER: the database is the issuer's trust boundary, as
 *                      for issuer_keys), the key's windows valid_from,
 *                      withdraw_until, spend_until, legal_end (step 3). A
 *                      denomination (value, n) rotates: a series of rows,
 *                      each key under its own id (coupon_rotate.h)
 *   coupon_settings    lock_max_s (the lock policy)
 *   coupon_withdrawals one row per withdrawal: ref (account:request id), denom,
 *                      value; with the coins' credited tokens it gives the
 *                      value outstanding (the audit's check)
 *   coupon_coins       the state of every coin F has seen locked, keyed by
 *                      coin id (so it can be sharded by that id), with a
 *                      version for compare-and-set updates: two issuer
 *                      processes on one PostgreSQL never both lock a coin
 *   coupon_settles     the settles F answered, keyed by (coin id, lock, j,
 *                      H(C), keep), so a repeated settle answers the same
 *                      (lock: H of the lock's sealed box; zeros for a
 *                      settle that named none)
 *
 * Every function runs inside the caller's transaction. */
#ifndef OBOL_ISSUER_COUPON_STORE_H
#define OBOL_ISSUER_COUPON_STORE_H

#include <stdio.h>

#include "schemes/coupon/issuer.h"
#include "store/store.h"

/* The most denomination keys loaded at once: the live ones (coupon_store_denoms).
 * A series of withdraw window W, spend span S, legal span L and key-plan
 * lookahead A has at most (S + L + A) / W + 2 keys whose legal end has not
 * passed (the rotation draws a successor only within A of its predecessor's
 * withdraw-until), so two series of W = 1 year, S + L = 2 years, A = 90 days
 * hold at most 10. The rotation of a series that would exceed it fails
 * alone (coupon_rotate.h, COUPON_DENOMS_FULL); the table keeps every key. */
#define COUPON_DENOMS_MAX 32

OBOL_MUST_CHECK obol_err coupon_store_migrate(struct obol_store *s);

/* A denomination as stored; key is the private key (EVP_PKEY, owned). */
OBOL_MUST_CHECK obol_err coupon_store_denom_add(struct obol_store *s, const struct coupon_denom *d);
/* The same for a key drawn in the signing process: d->key is public, and
 * rsa_sk is stored empty (as after 'issuer signer import'). */
OBOL_MUST_CHECK obol_err coupon_store_denom_add_public(struct obol_store *s, const struct coupon_denom *d);
/* Loads the denominations live at now with their private keys: those whose
 * legal end has not passed (a key past it signs, spends and refunds
 * nothing), and the newest key of each series (so that a series whose keys
 * all lapsed while the issuer was down still rotates); *n of at most cap
 * (CONFIG beyond). The caller frees each key with EVP_PKEY_free. */
OBOL_MUST_CHECK obol_err coupon_store_denoms(struct obol_store *s, int64_t now, struct coupon_denom *out, size_t cap,
					     size_t *n);
/* The refusal of a request naming a key id that is not loaded: a key of the
 * table whose legal end passed before now is COUPON_REFUND_LEGAL_END, any
 * other id COUPON_DENOM_UNKNOWN (errors of the store aside). */
OBOL_MUST_CHECK obol_err coupon_store_denom_retired(struct obol_store *s, uint64_t id, int64_t now);

OBOL_MUST_CHECK obol_err coupon_store_setting_set(struct obol_store *s, const char *key, int64_t v);
/* NOT_FOUND when unset. */
OBOL_MUST_CHECK obol_err coupon_store_setting(struct obol_store *s, const char *key, int64_t *v);

OBOL_MUST_CHECK obol_err coupon_store_withdrawal_add(struct obol_store *s, const char *ref, int64_t account,
						     uint32_t denom, const struct obol_amount *value);

/* *found false when F has never seen the coin. */
OBOL_MUST_CHECK obol_err coupon_store_coin_get(struct obol_store *s, const uint8_t id[static COUPON_ID_LEN],
					       struct coupon_coin_state *out, bool *found);
/* Inserts a new coin (STORE_CONFLICT when another process inserted it first)
 * or updates it when its stored version is next->version - 1 (STORE_CONFLICT
 * otherwise: the caller retries the whole unit). */
OBOL_MUST_CHECK obol_err coupon_store_coin_put(struct obol_store *s, const struct coupon_coin_state *next, bool insert);

OBOL_MUST_CHECK obol_err coupon_store_settle_get(struct obol_store *s, const uint8_t id[static COUPON_ID_LEN],
						 const uint8_t lock[static COUPON_ID_LEN], uint64_t index,
						 const uint8_t cert_hash[static COUPON_ID_LEN], bool keep,
						 struct coupon_settle_record *out, bool *found);
OBOL_MUST_CHECK obol_err coupon_store_settle_add(struct obol_store *s, const uint8_t id[static COUPON_ID_LEN],
						 const uint8_t lock[static COUPON_ID_LEN], uint64_t index,
						 const uint8_t cert_hash[static COUPON_ID_LEN], bool keep,
						 const struct coupon_settle_record *rec);

/* The value outstanding in coins: Σ withdrawn − Σ credited tokens × M/n. */
OBOL_MUST_CHECK obol_err coupon_store_outstanding(struct obol_store *s, const char *currency,
						  struct obol_amount *out);

#endif
