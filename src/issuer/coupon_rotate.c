/* Coupon denomination keys rotate (coupon_rotate.h). */
#include "issuer/coupon_rotate.h"

#include <string.h>

#include "crypto/rsa.h"
#include "issuer/coupon_store.h"
#include "schemes/coupon/keys.h"

obol_err coupon_rotate(struct obol_store *s, int64_t now, int64_t lookahead_s, size_t *drawn)
{
	struct coupon_denom d[COUPON_DENOMS_MAX];
	size_t n = 0;
	obol_err e;
	*drawn = 0;
	if ((e = coupon_store_denoms(s, d, COUPON_DENOMS_MAX, &n)) != OBOL_OK)
		return e;
	for (int step = 0; e == OBOL_OK && step < COUPON_ROTATE_STEPS; step++) {
		size_t before = n;
		uint32_t next_id = 0;
		for (size_t i = 0; i < n; i++)
			if (d[i].id >= next_id)
				next_id = d[i].id + 1;
		for (size_t i = 0; e == OBOL_OK && i < before; i++) {
			if (!coupon_denom_newest(d, n, i) || !coupon_denom_due(&d[i], now, lookahead_s))
				continue;
			if (n == COUPON_DENOMS_MAX) {
				e = OBOL_E_COUPON_DENOM_CONFIG;
				break;
			}
			struct coupon_denom *next = &d[n];
			coupon_denom_successor(&d[i], next_id++, next);
			if ((e = coupon_denom_check(next)) != OBOL_OK ||
			    (e = obol_rsa_generate((unsigned)(obol_rsa_modulus_len(d[i].key) * 8), &next->key)) != OBOL_OK)
				break;
			n++;
			if ((e = coupon_store_denom_add(s, next)) == OBOL_OK)
				(*drawn)++;
		}
		if (n == before)
			break;
	}
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(d[i].key);
	return e;
}
