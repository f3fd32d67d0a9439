/* Coupon denomination keys rotate (coupon_rotate.h). */
#include "issuer/coupon_rotate.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "issuer/coupon_store.h"
#include "issuer/keys.h"
#include "issuer/signer.h"
#include "schemes/coupon/keys.h"

/* A successor's key of bits: in the signer when linked (public half only
 * here, *in_signer), else drawn here. */
static obol_err successor_key(const struct obol_signer_link *link, unsigned bits, EVP_PKEY **out, bool *in_signer)
{
	uint8_t pub[OBOL_RSA_MAX_MODULUS + 64];
	size_t len = 0;
	*in_signer = link != NULL && link->linked;
	if (!*in_signer)
		return obol_rsa_generate(bits, out);
	obol_err e = obol_signer_draw(link, OBOL_SIGNER_KEY_DENOM, bits, pub, sizeof pub, &len);
	return e == OBOL_OK ? obol_rsa_public_from_der(pub, len, out) : e;
}

obol_err coupon_rotate(struct obol_store *s, int64_t now, int64_t lookahead_s, const struct obol_signer_link *link,
		       size_t *drawn)
{
	struct coupon_denom d[COUPON_DENOMS_MAX];
	size_t n = 0;
	obol_err e;
	*drawn = 0;
	bool full = false;
	if ((e = coupon_store_denoms(s, now, d, COUPON_DENOMS_MAX, &n)) != OBOL_OK)
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
				/* this series alone waits for an older key's legal end */
				obol_log_warn("coupon: no successor for key %" PRIu32 " (%s, n %" PRIu64 "): %s", d[i].id,
					      d[i].value.currency, d[i].n, obol_strerror(OBOL_E_COUPON_DENOMS_FULL));
				full = true;
				continue;
			}
			struct coupon_denom *next = &d[n];
			bool in_signer = false;
			coupon_denom_successor(&d[i], next_id++, next);
			if ((e = coupon_denom_check(next)) != OBOL_OK ||
			    (e = successor_key(link, (unsigned)(obol_rsa_modulus_len(d[i].key) * 8), &next->key,
					       &in_signer)) != OBOL_OK)
				break;
			n++;
			e = in_signer ? coupon_store_denom_add_public(s, next) : coupon_store_denom_add(s, next);
			if (e == OBOL_OK)
				(*drawn)++;
		}
		if (n == before)
			break;
	}
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(d[i].key);
	return e == OBOL_OK && full ? OBOL_E_COUPON_DENOMS_FULL : e;
}

/* The key id of an announcement of d's key: SHA-256 of its DER public key. */
static obol_err denom_key_id(const struct coupon_denom *d, uint8_t id[static 32])
{
	uint8_t *der = NULL;
	size_t len = 0;
	obol_err e = obol_rsa_public_to_der(d->key, &der, &len);
	if (e != OBOL_OK)
		return e;
	obol_sha256(id, der, len);
	obol_rsa_der_free(der, len);
	return OBOL_OK;
}

obol_err coupon_rotate_announced(struct obol_store *s, const uint8_t master_pk[static 32], int64_t now,
				 struct coupon_denom *d, size_t *n)
{
	struct obol_key_request *req = NULL;
	struct obol_key_set *set = malloc(sizeof *set);
	uint8_t (*ids)[32] = calloc(*n ? *n : 1, 32);
	bool *pending = calloc(*n ? *n : 1, sizeof *pending), *announced = calloc(*n ? *n : 1, sizeof *announced);
	size_t nreq = 0, kept = 0;
	obol_err e = OBOL_E_NO_MEMORY;
	if (!set || !ids || !pending || !announced)
		goto out;
	if ((e = obol_issuer_keys_pending(s, &req, &nreq)) != OBOL_OK ||
	    (e = obol_issuer_keys_announced_coupon(s, master_pk, now, set)) != OBOL_OK)
		goto out;
	for (size_t i = 0; i < *n && e == OBOL_OK; i++) {
		if ((e = denom_key_id(&d[i], ids[i])) != OBOL_OK)
			break;
		for (size_t k = 0; k < nreq && !pending[i]; k++) {
			struct obol_key_announce a;
			uint8_t id[32];
			if (obol_key_announce_from_signed_bytes(req[k].bytes, req[k].len, &a) != OBOL_OK ||
			    a.kind != OBOL_KEY_COUPON_DENOM)
				continue;
			obol_key_announce_key_id(&a, id);
			pending[i] = memcmp(id, ids[i], 32) == 0;
		}
		for (size_t k = 0; k < set->n && !announced[i]; k++) {
			uint8_t id[32];
			if (set->a[k].kind != OBOL_KEY_COUPON_DENOM)
				continue;
			obol_key_announce_key_id(&set->a[k], id);
			announced[i] = memcmp(id, ids[i], 32) == 0;
		}
	}
	if (e != OBOL_OK)
		goto out;
	for (size_t i = 0; i < *n; i++) {
		bool series_announced = false;
		for (size_t k = 0; k < *n; k++)
			series_announced |= k != i && announced[k] && coupon_denom_same_series(&d[k], &d[i]);
		if (pending[i] && series_announced) {
			EVP_PKEY_free(d[i].key);
			continue;
		}
		d[kept++] = d[i];
	}
	*n = kept;
out:
	free(req);
	free(set);
	free(ids);
	free(pending);
	free(announced);
	return e;
}
