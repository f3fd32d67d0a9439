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
		json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:I, s:I}", "id", (json_int_t)d[i].id, "value", value,
				      "n", (json_int_t)d[i].n, "token_value", tv, "rsa_pk", b64, "withdraw_until",
				      (json_int_t)d[i].withdraw_until, "spend_until", (json_int_t)d[i].spend_until);
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
	json_int_t id, n, wu, su;
	const char *value, *tv, *pk;
	uint8_t der[OBOL_RSA_MAX_DER];
	size_t der_len;
	struct obol_amount tv_amount;
	memset(d, 0, sizeof(*d));
	if (json_unpack((json_t *)o, "{s:I, s:s, s:I, s:s, s:s, s:I, s:I !}", "id", &id, "value", &value, "n", &n,
			"token_value", &tv, "rsa_pk", &pk, "withdraw_until", &wu, "spend_until", &su) != 0 ||
	    id < 0 || id > (json_int_t)COUPON_DENOM_MAX || n < 1)
		return OBOL_E_CONFIG;
	d->id = (uint32_t)id;
	d->n = (uint64_t)n;
	d->withdraw_until = wu;
	d->spend_until = su;
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
