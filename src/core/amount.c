/* Checked fixed-point amounts; see amount.h for the contract. */
#include "core/amount.h"

#include <stdio.h>
#include <string.h>

bool obol_currency_valid(const char *c)
{
	size_t n = 0;
	for (; c[n] != '\0'; n++) {
		if (n >= OBOL_CURRENCY_MAX || c[n] < 'A' || c[n] > 'Z')
			return false;
	}
	return n > 0;
}

obol_err obol_amount_zero(const char *currency, struct obol_amount *out)
{
	return obol_amount_from_units(currency, 0, out);
}

obol_err obol_amount_from_units(const char *currency, int64_t units, struct obol_amount *out)
{
	if (!obol_currency_valid(currency))
		return OBOL_E_AMOUNT_SYNTAX;
	memset(out, 0, sizeof(*out));
	strcpy(out->currency, currency);
	out->units = units;
	return OBOL_OK;
}

obol_err obol_amount_parse(const char *text, struct obol_amount *out)
{
	char cur[OBOL_CURRENCY_MAX + 1];
	const char *colon = strchr(text, ':');
	if (colon == NULL || colon == text || (size_t)(colon - text) > OBOL_CURRENCY_MAX)
		return OBOL_E_AMOUNT_SYNTAX;
	memcpy(cur, text, (size_t)(colon - text));
	cur[colon - text] = '\0';
	if (!obol_currency_valid(cur))
		return OBOL_E_AMOUNT_SYNTAX;

	const char *p = colon + 1;
	int64_t whole = 0;
	size_t digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		int d = *p - '0';
		if (whole > (INT64_MAX / OBOL_AMOUNT_FRAC_BASE - d) / 10)
			return OBOL_E_AMOUNT_OVERFLOW;
		whole = whole * 10 + d;
	}
	if (digits == 0)
		return OBOL_E_AMOUNT_SYNTAX;

	int64_t frac = 0;
	if (*p == '.') {
		p++;
		size_t fd = 0;
		for (; *p >= '0' && *p <= '9'; p++, fd++) {
			if (fd >= OBOL_AMOUNT_FRAC_DIGITS)
				return OBOL_E_AMOUNT_SYNTAX;
			frac = frac * 10 + (*p - '0');
		}
		if (fd == 0)
			return OBOL_E_AMOUNT_SYNTAX;
		for (; fd < OBOL_AMOUNT_FRAC_DIGITS; fd++)
			frac *= 10;
	}
	if (*p != '\0')
		return OBOL_E_AMOUNT_SYNTAX;

	int64_t units = whole * OBOL_AMOUNT_FRAC_BASE;
	if (units > INT64_MAX - frac)
		return OBOL_E_AMOUNT_OVERFLOW;
	return obol_amount_from_units(cur, units + frac, out);
}

void obol_amount_format(const struct obol_amount *a, char buf[static OBOL_AMOUNT_STR_MAX])
{
	/* Work in unsigned so that INT64_MIN formats without overflow. */
	bool neg = a->units < 0;
	uint64_t mag = neg ? (uint64_t)0 - (uint64_t)a->units : (uint64_t)a->units;
	uint64_t whole = mag / (uint64_t)OBOL_AMOUNT_FRAC_BASE;
	uint64_t frac = mag % (uint64_t)OBOL_AMOUNT_FRAC_BASE;
	int n = snprintf(buf, OBOL_AMOUNT_STR_MAX, "%s:%s%llu", a->currency, neg ? "-" : "",
			 (unsigned long long)whole);
	if (frac != 0 && n > 0 && n < OBOL_AMOUNT_STR_MAX) {
		char f[OBOL_AMOUNT_FRAC_DIGITS + 1];
		snprintf(f, sizeof(f), "%08llu", (unsigned long long)frac);
		size_t len = OBOL_AMOUNT_FRAC_DIGITS;
		while (len > 0 && f[len - 1] == '0')
			len--;
		f[len] = '\0';
		snprintf(buf + n, OBOL_AMOUNT_STR_MAX - (size_t)n, ".%s", f);
	}
}

bool obol_amount_same_currency(const struct obol_amount *a, const struct obol_amount *b)
{
	return strcmp(a->currency, b->currency) == 0;
}

obol_err obol_amount_add(struct obol_amount *out, const struct obol_amount *a,
			 const struct obol_amount *b)
{
	int64_t r;
	if (!obol_amount_same_currency(a, b))
		return OBOL_E_AMOUNT_CURRENCY_MISMATCH;
	if (__builtin_add_overflow(a->units, b->units, &r))
		return OBOL_E_AMOUNT_OVERFLOW;
	if (out != a)
		memcpy(out->currency, a->currency, sizeof(out->currency));
	out->units = r;
	return OBOL_OK;
}

obol_err obol_amount_sub(struct obol_amount *out, const struct obol_amount *a,
			 const struct obol_amount *b)
{
	int64_t r;
	if (!obol_amount_same_currency(a, b))
		return OBOL_E_AMOUNT_CURRENCY_MISMATCH;
	if (__builtin_sub_overflow(a->units, b->units, &r))
		return OBOL_E_AMOUNT_OVERFLOW;
	if (out != a)
		memcpy(out->currency, a->currency, sizeof(out->currency));
	out->units = r;
	return OBOL_OK;
}

obol_err obol_amount_sub_nonneg(struct obol_amount *out, const struct obol_amount *a,
				const struct obol_amount *b)
{
	int cmp;
	obol_err e = obol_amount_cmp(a, b, &cmp);
	if (e != OBOL_OK)
		return e;
	if (cmp < 0)
		return OBOL_E_AMOUNT_NEGATIVE;
	return obol_amount_sub(out, a, b);
}

obol_err obol_amount_mul(struct obol_amount *out, const struct obol_amount *a, uint64_t k)
{
	int64_t r;
	if (k > (uint64_t)INT64_MAX || __builtin_mul_overflow(a->units, (int64_t)k, &r))
		return OBOL_E_AMOUNT_OVERFLOW;
	if (out != a)
		memcpy(out->currency, a->currency, sizeof(out->currency));
	out->units = r;
	return OBOL_OK;
}

obol_err obol_amount_div_exact(struct obol_amount *out, const struct obol_amount *a, uint64_t n)
{
	if (n == 0 || n > (uint64_t)INT64_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	if (a->units % (int64_t)n != 0)
		return OBOL_E_AMOUNT_NOT_DIVISIBLE;
	if (out != a)
		memcpy(out->currency, a->currency, sizeof(out->currency));
	out->units = a->units / (int64_t)n;
	return OBOL_OK;
}

obol_err obol_amount_count_floor(const struct obol_amount *a, const struct obol_amount *part, uint64_t *count)
{
	*count = 0;
	if (!obol_amount_same_currency(a, part))
		return OBOL_E_AMOUNT_CURRENCY_MISMATCH;
	if (part->units <= 0)
		return OBOL_E_INVALID_ARGUMENT;
	if (a->units > 0)
		*count = (uint64_t)(a->units / part->units);
	return OBOL_OK;
}

obol_err obol_amount_count_exact(const struct obol_amount *a, const struct obol_amount *part, uint64_t *count)
{
	obol_err e = obol_amount_count_floor(a, part, count);
	if (e != OBOL_OK)
		return e;
	if (a->units < 0)
		return OBOL_E_AMOUNT_NEGATIVE;
	if (a->units % part->units != 0) {
		*count = 0;
		return OBOL_E_AMOUNT_NOT_DIVISIBLE;
	}
	return OBOL_OK;
}

obol_err obol_amount_cmp(const struct obol_amount *a, const struct obol_amount *b, int *cmp)
{
	if (!obol_amount_same_currency(a, b))
		return OBOL_E_AMOUNT_CURRENCY_MISMATCH;
	*cmp = (a->units > b->units) - (a->units < b->units);
	return OBOL_OK;
}

bool obol_amount_is_zero(const struct obol_amount *a)
{
	return a->units == 0;
}

bool obol_amount_is_negative(const struct obol_amount *a)
{
	return a->units < 0;
}
