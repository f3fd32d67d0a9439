/* The coupon part of the issuer's signed GET /keys document (DESIGN §4):
 *
 *   "coupon": {"lock_max_s": 3600,
 *              "denoms": [{"id": 1, "value": "EUR:1", "n": 1000, "token_value": "EUR:0.001",
 *                          "rsa_pk": B64 (DER SubjectPublicKeyInfo),
 *                          "withdraw_until": UNIX, "spend_until": UNIX}, ...]}
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

#endif
