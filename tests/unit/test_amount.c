/* The amount type: parse, format, checked arithmetic. */
#include <stdint.h>

#include "core/amount.h"
#include "test.h"

static void roundtrip(const char *in, const char *want)
{
	struct obol_amount a;
	char buf[OBOL_AMOUNT_STR_MAX];
	obol_err e = obol_amount_parse(in, &a);
	if (e != OBOL_OK) {
		obol_test_fail(__FILE__, __LINE__, "parse(%s) gave %s", in, obol_strerror(e));
		return;
	}
	obol_amount_format(&a, buf);
	CHECK_EQ_STR(buf, want);
}

TEST(amount, parse_and_format)
{
	roundtrip("EUR:0.001", "EUR:0.001");
	roundtrip("EUR:0", "EUR:0");
	roundtrip("EUR:1.50000000", "EUR:1.5");
	roundtrip("KUDOS:12.00000001", "KUDOS:12.00000001");
	roundtrip("EUR:92233720368.54775807", "EUR:92233720368.54775807");
	struct obol_amount a;
	CHECK_OK(obol_amount_parse("EUR:0.001", &a));
	CHECK_EQ_INT(a.units, 100000);
	CHECK_EQ_STR(a.currency, "EUR");
}

TEST(amount, parse_refuses_bad_text)
{
	static const char *bad[] = { "", "EUR", "EUR:", ":1", "eur:1", "EUR:1.", "EUR:.5", "EUR:-1",
				     "EUR:+1", "EUR:1.123456789", "EUR:1x", "EUR: 1", "EURO12345678:1",
				     "EUR:1.5 ", "EU R:1" };
	struct obol_amount a;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		obol_err e = obol_amount_parse(bad[i], &a);
		if (e != OBOL_E_AMOUNT_SYNTAX)
			obol_test_fail(__FILE__, __LINE__, "parse(\"%s\") gave %s", bad[i],
				       obol_strerror(e));
	}
	CHECK_ERR(obol_amount_parse("EUR:92233720368.54775808", &a), OBOL_E_AMOUNT_OVERFLOW);
	CHECK_ERR(obol_amount_parse("EUR:99999999999999999999", &a), OBOL_E_AMOUNT_OVERFLOW);
}

TEST(amount, counts_parts)
{
	struct obol_amount a, part, zero, neg, usd;
	uint64_t n = 99;
	REQUIRE_OK(obol_amount_parse("EUR:1.25", &a));
	REQUIRE_OK(obol_amount_parse("EUR:0.25", &part));
	REQUIRE_OK(obol_amount_zero("EUR", &zero));
	REQUIRE_OK(obol_amount_from_units("EUR", -50000000, &neg));
	REQUIRE_OK(obol_amount_parse("USD:0.25", &usd));
	CHECK_OK(obol_amount_count_exact(&a, &part, &n));
	CHECK_EQ_INT(n, 5);
	CHECK_OK(obol_amount_count_exact(&zero, &part, &n));
	CHECK_EQ_INT(n, 0);
	CHECK_ERR(obol_amount_count_exact(&neg, &part, &n), OBOL_E_AMOUNT_NEGATIVE);
	CHECK_ERR(obol_amount_count_exact(&a, &usd, &n), OBOL_E_AMOUNT_CURRENCY_MISMATCH);
	CHECK_ERR(obol_amount_count_exact(&a, &zero, &n), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_amount_count_exact(&a, &neg, &n), OBOL_E_INVALID_ARGUMENT);
	REQUIRE_OK(obol_amount_parse("EUR:0.3", &part));
	CHECK_ERR(obol_amount_count_exact(&a, &part, &n), OBOL_E_AMOUNT_NOT_DIVISIBLE);
	CHECK_EQ_INT(n, 0);
	/* Floor: whole parts that fit, none in a negative amount. */
	CHECK_OK(obol_amount_count_floor(&a, &part, &n));
	CHECK_EQ_INT(n, 4);
	CHECK_OK(obol_amount_count_floor(&neg, &part, &n));
	CHECK_EQ_INT(n, 0);
	CHECK_ERR(obol_amount_count_floor(&a, &usd, &n), OBOL_E_AMOUNT_CURRENCY_MISMATCH);
	CHECK_ERR(obol_amount_count_floor(&a, &zero, &n), OBOL_E_INVALID_ARGUMENT);
}

TEST(amount, checked_arithmetic)
{
	struct obol_amount a, b, c, usd, max;
	REQUIRE_OK(obol_amount_parse("EUR:1.25", &a));
	REQUIRE_OK(obol_amount_parse("EUR:0.75", &b));
	REQUIRE_OK(obol_amount_parse("USD:1", &usd));
	REQUIRE_OK(obol_amount_from_units("EUR", INT64_MAX, &max));
	CHECK_OK(obol_amount_add(&c, &a, &b));
	CHECK_EQ_INT(c.units, 200000000);
	CHECK_OK(obol_amount_sub(&c, &b, &a));
	CHECK_EQ_INT(c.units, -50000000);
	char buf[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(&c, buf);
	CHECK_EQ_STR(buf, "EUR:-0.5");
	CHECK_ERR(obol_amount_sub_nonneg(&c, &b, &a), OBOL_E_AMOUNT_NEGATIVE);
	CHECK_ERR(obol_amount_add(&c, &a, &usd), OBOL_E_AMOUNT_CURRENCY_MISMATCH);
	CHECK_ERR(obol_amount_sub(&c, &a, &usd), OBOL_E_AMOUNT_CURRENCY_MISMATCH);
	int cmp;
	CHECK_ERR(obol_amount_cmp(&a, &usd, &cmp), OBOL_E_AMOUNT_CURRENCY_MISMATCH);
	CHECK_OK(obol_amount_cmp(&a, &b, &cmp));
	CHECK_EQ_INT(cmp, 1);
	CHECK_ERR(obol_amount_add(&c, &max, &a), OBOL_E_AMOUNT_OVERFLOW);
	CHECK_ERR(obol_amount_mul(&c, &a, UINT64_MAX), OBOL_E_AMOUNT_OVERFLOW);
	CHECK_ERR(obol_amount_mul(&c, &max, 2), OBOL_E_AMOUNT_OVERFLOW);
	CHECK_OK(obol_amount_mul(&c, &a, 4));
	CHECK_EQ_INT(c.units, 500000000);
	CHECK_OK(obol_amount_div_exact(&c, &a, 125));
	CHECK_EQ_INT(c.units, 1000000);
	CHECK_ERR(obol_amount_div_exact(&c, &a, 3), OBOL_E_AMOUNT_NOT_DIVISIBLE);
	CHECK_ERR(obol_amount_div_exact(&c, &a, 0), OBOL_E_INVALID_ARGUMENT);
	/* INT64_MIN formats without overflow. */
	REQUIRE_OK(obol_amount_from_units("EUR", INT64_MIN, &c));
	obol_amount_format(&c, buf);
	CHECK_EQ_STR(buf, "EUR:-92233720368.54775808");
}
