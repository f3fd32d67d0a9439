/* The coupon part of GET /keys (keys.h). */
#include "schemes/coupon/keys.h"

#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/rsa.h"

obol_err coupon_keys_build(const struct coupon_denom *d, size_t n, int64_t lock_max_s, json_t **out)
{
	json_t *arr = json_array(), *part = NULL;
	obol_err e = OBOL_E_NO_MEMORY;
	if (!arr)
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint8_t *der = NULL;
		size_t der_len = 0;
		char b64[OBOL_B64_LEN(OBOL_RSA_MAX_DER)], value[OBOL_AMOUNT_STR_MAX], tv[OBOL_AMOUNT_STR_MAX];
		if ((e = obol_rsa_public_to_der(d[i].key, &der, &der_len)) != OBOL_OK)
			goto out;
		e = obol_b64_encode(der, der_len, b64, sizeof(b64));
		obol_rsa_der_free(der, der_len);
		if (e != OBOL_OK)
			goto out;
		obol_amount_format(&d[i].value, value);
		obol_amount_format(&d[i].token_value, tv);
		json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I}", "id", (json_int_t)d[i].id,
				      "value", value, "n", (json_int_t)d[i].n, "token_value", tv, "rsa_pk", b64,
				      "valid_from", (json_int_t)d[i].valid_from, "withdraw_until",
				      (json_int_t)d[i].withdraw_until, "spend_until", (json_int_t)d[i].spend_until,
				      "legal_end", (json_int_t)d[i].legal_end);
		if (!o || json_array_append_new(arr, o) != 0) {
			e = OBOL_E_NO_MEMORY;
			goto out;
		}
	}
	part = json_pack("{s:I, s:O}", "lock_max_s", (json_int_t)lock_max_s, "denoms", arr);
	e = part ? OBOL_OK : OBOL_E_NO_MEMORY;
out:
	json_decref(arr);
	*out = e == OBOL_OK ? part : NULL;
	return e;
}

static obol_err parse_denom(const json_t *o, struct coupon_denom *d)
{
	json_int_t id, n, vf, wu, su, le;
	const char *value, *tv, *pk;
	uint8_t der[OBOL_RSA_MAX_DER];
	size_t der_len;
	struct obol_amount tv_amount;
	memset(d, 0, sizeof(*d));
	if (json_unpack((json_t *)o, "{s:I, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I !}", "id", &id, "value", &value,
			"n", &n, "token_value", &tv, "rsa_pk", &pk, "valid_from", &vf, "withdraw_until", &wu,
			"spend_until", &su, "legal_end", &le) != 0 ||
	    id < 0 || id > (json_int_t)COUPON_DENOM_MAX || n < 1)
		return OBOL_E_CONFIG;
	d->id = (uint32_t)id;
	d->n = (uint64_t)n;
	d->valid_from = vf;
	d->withdraw_until = wu;
	d->spend_until = su;
	d->legal_end = le;
	if (obol_amount_parse(value, &d->value) != OBOL_OK || obol_amount_parse(tv, &tv_amount) != OBOL_OK ||
	    coupon_denom_check(d) != OBOL_OK || tv_amount.units != d->token_value.units)
		return OBOL_E_CONFIG;
	if (obol_b64_decode(pk, der, sizeof(der), &der_len, 0) != OBOL_OK ||
	    obol_rsa_public_from_der(der, der_len, &d->key) != OBOL_OK)
		return OBOL_E_CONFIG;
	return OBOL_OK;
}

obol_err coupon_keys_parse(const json_t *part, struct coupon_keys *out)
{
	json_t *arr = NULL;
	json_int_t lock_max;
	size_t i;
	memset(out, 0, sizeof(*out));
	if (!part || json_unpack((json_t *)part, "{s:I, s:o !}", "lock_max_s", &lock_max, "denoms", &arr) != 0 ||
	    !json_is_array(arr) || json_array_size(arr) > COUPON_KEYS_DENOMS_MAX || lock_max < 1 ||
	    lock_max > COUPON_LOCK_MAX_S)
		return OBOL_E_CONFIG;
	out->lock_max_s = lock_max;
	for (i = 0; i < json_array_size(arr); i++) {
		obol_err e = parse_denom(json_array_get(arr, i), &out->denoms[i]);
		if (e != OBOL_OK) {
			EVP_PKEY_free(out->denoms[i].key);
			out->ndenoms = i;
			coupon_keys_free(out);
			return e;
		}
	}
	out->ndenoms = i;
	return OBOL_OK;
}

void coupon_keys_free(struct coupon_keys *k)
{
	for (size_t i = 0; i < k->ndenoms; i++)
		EVP_PKEY_free(k->denoms[i].key);
	k->ndenoms = 0;
}

/* ---- rotation ---- */

bool coupon_denom_same_series(const struct coupon_denom *a, const struct coupon_denom *b)
{
	return strcmp(a->value.currency, b->value.currency) == 0 && a->value.units == b->value.units && a->n == b->n;
}

bool coupon_denom_newest(const struct coupon_denom *d, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (k != i && coupon_denom_same_series(&d[k], &d[i]) &&
		    (d[k].withdraw_until > d[i].withdraw_until ||
		     (d[k].withdraw_until == d[i].withdraw_until && d[k].id > d[i].id)))
			return false;
	return true;
}

void coupon_denom_successor(const struct coupon_denom *prev, uint32_t next_id, struct coupon_denom *next)
{
	*next = *prev;
	next->id = next_id;
	next->key = NULL;
	next->valid_from = prev->withdraw_until + 1;
	next->withdraw_until = prev->withdraw_until + (prev->withdraw_until - prev->valid_from + 1);
	next->spend_until = next->withdraw_until + (prev->spend_until - prev->withdraw_until);
	next->legal_end = next->spend_until + (prev->legal_end - prev->spend_until);
}

bool coupon_denom_due(const struct coupon_denom *d, int64_t now, int64_t lookahead_s)
{
	return d->withdraw_until < now + lookahead_s;
}

const struct coupon_denom *coupon_keys_for_withdraw(const struct coupon_keys *k, const uint32_t *like_id, int64_t now)
{
	const struct coupon_denom *like = NULL;
	for (size_t i = 0; like_id && i < k->ndenoms && !like; i++)
		if (k->denoms[i].id == *like_id)
			like = &k->denoms[i];
	if (like_id && !like)
		return NULL;
	for (size_t i = 0; i < k->ndenoms; i++) {
		const struct coupon_denom *d = &k->denoms[i];
		if ((!like || coupon_denom_same_series(d, like)) && d->valid_from <= now && now <= d->withdraw_until)
			return d;
	}
	return NULL;
}
