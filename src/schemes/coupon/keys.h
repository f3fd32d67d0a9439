/* The coupon part of the issuer's signed GET /keys document (DESIGN §4):
 *
 *   "coupon": {"lock_max_s": 3600,
 *              "denoms": [{"id": 1, "value": "EUR:1", "n": 1000, "token_value": "EUR:0.001",
 *                          "rsa_pk": B64 (DER SubjectPublicKeyInfo),
 *                          "valid_from": UNIX, "withdraw_until": UNIX,
 *                          "spend_until": UNIX, "legal_end": UNIX}, ...]}
 *
 * A denomination (value, n) rotates: it is a series of keys, each under its
 * own id with its own windows (messages.h struct coupon_denom). A coin names
 * the id of its key; the part lists every key the issuer holds, the next
 * ones ahead of their valid_from and the old ones past their legal end (so
 * that a wallet names the refusal of their coins, never drops them).
 *
 * The document's signature is checked by the platform (keys_doc.h) before
 * this part is read. Pure code. */
#ifndef OBOL_SCHEMES_COUPON_KEYS_H
#define OBOL_SCHEMES_COUPON_KEYS_H

#include <jansson.h>

#include "schemes/coupon/messages.h"

#define COUPON_KEYS_DENOMS_MAX 32

struct coupon_keys {
	struct coupon_denom denoms[COUPON_KEYS_DENOMS_MAX]; /* public keys, owned */
	size_t ndenoms;
	int64_t lock_max_s;
};

/* Builds the part from denominations (their keys may be private: only the
 * public half is written). *out is a new object. */
OBOL_MUST_CHECK obol_err coupon_keys_build(const struct coupon_denom *d, size_t n, int64_t lock_max_s, json_t **out);

/* Reads the part; every denomination is checked (coupon_denom_check; its
 * token_value must match). CONFIG when the part is missing or malformed. */
OBOL_MUST_CHECK obol_err coupon_keys_parse(const json_t *part, struct coupon_keys *out);
void coupon_keys_free(struct coupon_keys *k);

/* ---- rotation (docs/operations.md "Windows") ----
 * Whether a and b are keys of one series: same currency, value and n. */
bool coupon_denom_same_series(const struct coupon_denom *a, const struct coupon_denom *b);
/* The newest key of d[i]'s series: the one
 * with the latest withdraw_until. */
bool coupon_denom_newest(const struct coupon_denom *d, size_t n, size_t i);
/* The windows of the key that follows prev in its series: it issues from
 * the second after prev stops, for as long as prev did, and keeps prev's
 * spend and legal spans after that; same value and n, id next_id, no key
 * (the caller draws it). */
void coupon_denom_successor(const struct coupon_denom *prev, uint32_t next_id, struct coupon_denom *next);
/* Whether the series whose newest key is d needs its successor drawn at
 * now: d stops issuing within lookahead_s (so the successor is announced
 * before it is needed). */
bool coupon_denom_due(const struct coupon_denom *d, int64_t now, int64_t lookahead_s);
/* The key a wallet withdraws under at now: with like_id, the key of the
 * series of the key of that id issuing at now (valid_from <= now <=
 * withdraw_until), so an id a user once saw keeps naming its denomination
 * across rotations; without (NULL), the first key issuing at now. NULL when
 * none issues: COUPON_DENOM_UNKNOWN for the caller. */
const struct coupon_denom *coupon_keys_for_withdraw(const struct coupon_keys *k, const uint32_t *like_id, int64_t now);

#endif
