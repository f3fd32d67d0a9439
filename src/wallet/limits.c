/* The wallet-wide default spending cap (limits.h). */
#include "wallet/limits.h"

#include <string.h>

static obol_err get_limit(const json_t *sec, const char *key, bool *has, struct obol_amount *a)
{
	const json_t *v = json_object_get(sec, key);
	*has = false;
	if (v == NULL)
		return OBOL_OK;
	if (!json_is_string(v) || obol_amount_parse(json_string_value(v), a) != OBOL_OK ||
	    obol_amount_is_negative(a))
		return OBOL_E_WALLET_FILE;
	*has = true;
	return OBOL_OK;
}

obol_err obol_wallet_limits(struct obol_wallet *w, struct obol_paycap *cap)
{
	const json_t *sec = json_object_get(obol_wallet_doc(w), "limits");
	obol_err e;
	memset(cap, 0, sizeof *cap);
	if (sec == NULL)
		return OBOL_OK;
	if (!json_is_object(sec))
		return OBOL_E_WALLET_FILE;
	if ((e = get_limit(sec, "max_price", &cap->has_max_price, &cap->max_price)) != OBOL_OK ||
	    (e = get_limit(sec, "max_amount", &cap->has_max_amount, &cap->max_amount)) != OBOL_OK)
		memset(cap, 0, sizeof *cap);
	return e;
}

static obol_err put_limit(json_t *sec, const char *key, bool has, const struct obol_amount *a)
{
	char text[OBOL_AMOUNT_STR_MAX];
	if (!has)
		return OBOL_OK;
	obol_amount_format(a, text);
	return json_object_set_new(sec, key, json_string(text)) == 0 ? OBOL_OK : OBOL_E_NO_MEMORY;
}

obol_err obol_wallet_set_limits(struct obol_wallet *w, const struct obol_paycap *cap)
{
	json_t *sec = json_object();
	obol_err e = sec != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK && (e = put_limit(sec, "max_price", cap->has_max_price, &cap->max_price)) == OBOL_OK &&
	    (e = put_limit(sec, "max_amount", cap->has_max_amount, &cap->max_amount)) == OBOL_OK &&
	    json_object_set(obol_wallet_doc(w), "limits", sec) != 0)
		e = OBOL_E_NO_MEMORY;
	json_decref(sec);
	return e;
}
