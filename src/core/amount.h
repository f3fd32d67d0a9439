/* Money: a checked fixed-point amount with a currency.
 *
 * An amount is a signed 64-bit count of 10^-8 of a currency unit plus a
 * currency code of 1 to 11 upper-case letters. Its text form is the one GNU
 * Taler uses, "CUR:UNITS[.FRACTION]" with at most 8 fraction digits, e.g.
 * "EUR:0.001". Every operation checks overflow and currency; no floating
 * point is used anywhere. Code outside amount.c must not touch .units to do
 * arithmetic: use these functions.
 */
#ifndef OBOL_CORE_AMOUNT_H
#define OBOL_CORE_AMOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OBOL_CURRENCY_MAX 11            /* letters, without the NUL */
#define OBOL_AMOUNT_FRAC_DIGITS 8
#define OBOL_AMOUNT_FRAC_BASE INT64_C(100000000)
/* "CUR:" + sign + 11 integer digits + "." + 8 digits + NUL, with room. */
#define OBOL_AMOUNT_STR_MAX 48

struct obol_amount {
	int64_t units; /* count of 10^-8 of the currency */
	char currency[OBOL_CURRENCY_MAX + 1];
};

/* Parses "CUR:UNITS[.FRACTION]". Refuses a sign, empty parts, more than 8
 * fraction digits, a bad currency, trailing bytes and overflow. */
OBOL_MUST_CHECK obol_err obol_amount_parse(const char *text, struct obol_amount *out);

/* Writes the canonical text form (no trailing fraction zeros; "EUR:0" for zero;
 * a negative amount as "EUR:-1.5"). buf must hold OBOL_AMOUNT_STR_MAX bytes. */
void obol_amount_format(const struct obol_amount *a, char buf[static OBOL_AMOUNT_STR_MAX]);

/* Zero in a currency; OBOL_E_AMOUNT_SYNTAX when the code is not valid. */
OBOL_MUST_CHECK obol_err obol_amount_zero(const char *currency, struct obol_amount *out);

/* Builds an amount from a raw count of 10^-8 units (for storage layers). */
OBOL_MUST_CHECK obol_err obol_amount_from_units(const char *currency, int64_t units,
						struct obol_amount *out);

bool obol_currency_valid(const char *currency);

/* out = a + b; out may alias a or b. Currency mismatch and overflow are errors. */
OBOL_MUST_CHECK obol_err obol_amount_add(struct obol_amount *out, const struct obol_amount *a,
					 const struct obol_amount *b);
/* out = a - b; may go negative (ledger arithmetic). */
OBOL_MUST_CHECK obol_err obol_amount_sub(struct obol_amount *out, const struct obol_amount *a,
					 const struct obol_amount *b);
/* out = a - b, but OBOL_E_AMOUNT_NEGATIVE when b > a. */
OBOL_MUST_CHECK obol_err obol_amount_sub_nonneg(struct obol_amount *out, const struct obol_amount *a,
						const struct obol_amount *b);
/* out = a * k. */
OBOL_MUST_CHECK obol_err obol_amount_mul(struct obol_amount *out, const struct obol_amount *a, uint64_t k);
/* out = a / n, only when a divides exactly into n parts (OBOL_E_AMOUNT_NOT_DIVISIBLE). */
OBOL_MUST_CHECK obol_err obol_amount_div_exact(struct obol_amount *out, const struct obol_amount *a,
					       uint64_t n);
/* How many parts of `part` make a: *count = a / part, only when a is a whole,
 * non-negative multiple of part (0 when a is zero). Currency mismatch is an
 * error; part <= 0 is OBOL_E_INVALID_ARGUMENT; a < 0 is OBOL_E_AMOUNT_NEGATIVE;
 * a remainder is OBOL_E_AMOUNT_NOT_DIVISIBLE. */
OBOL_MUST_CHECK obol_err obol_amount_count_exact(const struct obol_amount *a, const struct obol_amount *part,
						 uint64_t *count);
/* How many whole parts of `part` fit in a: *count = floor(a / part), 0 when
 * a <= 0. Currency mismatch is an error; part <= 0 is OBOL_E_INVALID_ARGUMENT. */
OBOL_MUST_CHECK obol_err obol_amount_count_floor(const struct obol_amount *a, const struct obol_amount *part,
						 uint64_t *count);
/* *cmp = -1, 0 or 1; currency mismatch is an error. */
OBOL_MUST_CHECK obol_err obol_amount_cmp(const struct obol_amount *a, const struct obol_amount *b,
					 int *cmp);

bool obol_amount_is_zero(const struct obol_amount *a);
bool obol_amount_is_negative(const struct obol_amount *a);
bool obol_amount_same_currency(const struct obol_amount *a, const struct obol_amount *b);

#endif
