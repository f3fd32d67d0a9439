/* The payer's spending cap (paycap.h). */
#include "schemes/common/paycap.h"

#include <string.h>

bool obol_paycap_any(const struct obol_paycap *cap)
{
	return cap != NULL && (cap->has_max_price || cap->has_max_amount);
}

/* PAY_CAP_CURRENCY unless every limit set is in a's currency. */
static obol_err same_currency(const struct obol_paycap *cap, const struct obol_amount *a)
{
	if ((cap->has_max_price && !obol_amount_same_currency(&cap->max_price, a)) ||
	    (cap->has_max_amount && !obol_amount_same_currency(&cap->max_amount, a)))
		return OBOL_E_PAY_CAP_CURRENCY;
	return OBOL_OK;
}

/* PAY_AMOUNT_OVER_CAP when sum > max_amount. */
static obol_err within_amount(const struct obol_paycap *cap, const struct obol_amount *sum)
{
	int cmp;
	obol_err e;
	if (!cap->has_max_amount)
		return OBOL_OK;
	if ((e = obol_amount_cmp(sum, &cap->max_amount, &cmp)) != OBOL_OK)
		return e;
	return cmp > 0 ? OBOL_E_PAY_AMOUNT_OVER_CAP : OBOL_OK;
}

obol_err obol_paycap_offer(const struct obol_paycap *cap, const struct obol_amount *price, uint64_t units,
			   struct obol_amount *total)
{
	struct obol_amount t;
	int cmp;
	obol_err e;
	if (obol_amount_is_negative(price))
		return OBOL_E_AMOUNT_NEGATIVE;
	if ((e = same_currency(cap, price)) != OBOL_OK)
		return e;
	if (cap->has_max_price) {
		if ((e = obol_amount_cmp(price, &cap->max_price, &cmp)) != OBOL_OK)
			return e;
		if (cmp > 0)
			return OBOL_E_PAY_PRICE_OVER_CAP;
	}
	if (obol_amount_mul(&t, price, units) != OBOL_OK)
		return OBOL_E_PAY_AMOUNT_OVER_CAP; /* more than any cap can hold */
	if ((e = within_amount(cap, &t)) != OBOL_OK)
		return e;
	if (total)
		*total = t;
	return OBOL_OK;
}

obol_err obol_paycap_hand(const struct obol_paycap *cap, struct obol_amount *handed, bool *has_handed,
			  const struct obol_amount *more)
{
	struct obol_amount sum;
	obol_err e;
	if (obol_amount_is_negative(more))
		return OBOL_E_AMOUNT_NEGATIVE;
	if ((e = same_currency(cap, more)) != OBOL_OK)
		return e;
	if (!*has_handed)
		sum = *more;
	else if (obol_amount_add(&sum, handed, more) != OBOL_OK)
		return OBOL_E_PAY_AMOUNT_OVER_CAP;
	if ((e = within_amount(cap, &sum)) != OBOL_OK)
		return e;
	*handed = sum;
	*has_handed = true;
	return OBOL_OK;
}

obol_err obol_paycap_units(const struct obol_paycap *cap, const struct obol_amount *price, uint64_t *units)
{
	obol_err e;
	if ((e = same_currency(cap, price)) != OBOL_OK)
		return e;
	if (!cap->has_max_amount || obol_amount_is_zero(price)) {
		*units = UINT64_MAX;
		return OBOL_OK;
	}
	return obol_amount_count_floor(&cap->max_amount, price, units);
}

obol_err obol_paycap_tighter(const struct obol_paycap *cap, const struct obol_amount *max, struct obol_amount *out,
			     bool *has)
{
	int cmp = -1; /* max below the cap: also when the cap sets none */
	*has = max != NULL || cap->has_max_amount;
	if (max != NULL && cap->has_max_amount && obol_amount_cmp(max, &cap->max_amount, &cmp) != OBOL_OK)
		return OBOL_E_PAY_CAP_CURRENCY;
	if (*has)
		*out = max != NULL && cmp <= 0 ? *max : cap->max_amount;
	return OBOL_OK;
}
