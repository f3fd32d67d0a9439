/* The payer's spending cap (src/schemes/common/paycap.h). */
#include <stdint.h>

#include "schemes/common/paycap.h"
#include "../test.h"

static struct obol_amount amt(const char *text)
{
	struct obol_amount a;
	if (obol_amount_parse(text, &a) != OBOL_OK)
		obol_test_fail(__FILE__, __LINE__, "bad amount %s", text);
	return a;
}

TEST(paycap, no_cap_limits_nothing)
{
	struct obol_paycap cap = { 0 };
	struct obol_amount total, handed, p = amt("EUR:1000");
	bool has = false;
	uint64_t units;
	CHECK(!obol_paycap_any(&cap));
	CHECK_OK(obol_paycap_offer(&cap, &p, 1000, &total));
	CHECK_OK(obol_paycap_hand(&cap, &handed, &has, &p));
	CHECK_OK(obol_paycap_units(&cap, &p, &units));
	CHECK(units == UINT64_MAX);
}

TEST(paycap, price_and_total_at_the_offer)
{
	struct obol_paycap cap = { .has_max_price = true, .max_price = amt("EUR:0.003"), .has_max_amount = true,
				   .max_amount = amt("EUR:0.3") };
	struct obol_amount total, p = amt("EUR:0.003"), high = amt("EUR:0.00300001"), usd = amt("USD:0.001");
	CHECK_OK(obol_paycap_offer(&cap, &p, 100, &total));
	CHECK_EQ_INT(total.units, amt("EUR:0.3").units);
	CHECK_ERR(obol_paycap_offer(&cap, &high, 1, NULL), OBOL_E_PAY_PRICE_OVER_CAP);
	CHECK_ERR(obol_paycap_offer(&cap, &p, 101, NULL), OBOL_E_PAY_AMOUNT_OVER_CAP);
	CHECK_ERR(obol_paycap_offer(&cap, &p, UINT64_MAX, NULL), OBOL_E_PAY_AMOUNT_OVER_CAP);
	CHECK_ERR(obol_paycap_offer(&cap, &usd, 1, NULL), OBOL_E_PAY_CAP_CURRENCY);
	/* units 0: only the price is judged */
	CHECK_OK(obol_paycap_offer(&cap, &p, 0, NULL));
}

TEST(paycap, hand_never_passes_the_amount)
{
	struct obol_paycap cap = { .has_max_amount = true, .max_amount = amt("EUR:0.05") };
	struct obol_amount handed, tok = amt("EUR:0.001"), usd = amt("USD:0.001");
	bool has = false;
	unsigned n = 0;
	obol_err e;
	while ((e = obol_paycap_hand(&cap, &handed, &has, &tok)) == OBOL_OK)
		n++;
	CHECK_ERR(e, OBOL_E_PAY_AMOUNT_OVER_CAP);
	CHECK_EQ_INT(n, 50);
	CHECK_EQ_INT(handed.units, cap.max_amount.units); /* a refusal changes nothing */
	CHECK_ERR(obol_paycap_hand(&cap, &handed, &has, &usd), OBOL_E_PAY_CAP_CURRENCY);
	struct obol_amount big = amt("EUR:0.051");
	has = false;
	CHECK_ERR(obol_paycap_hand(&cap, &handed, &has, &big), OBOL_E_PAY_AMOUNT_OVER_CAP);
	CHECK(!has);
}

TEST(paycap, units_the_amount_pays)
{
	struct obol_paycap cap = { .has_max_amount = true, .max_amount = amt("EUR:0.01") };
	struct obol_amount p = amt("EUR:0.003");
	uint64_t units;
	CHECK_OK(obol_paycap_units(&cap, &p, &units));
	CHECK_EQ_INT(units, 3);
}

TEST(paycap, tighter_takes_the_lower_limit)
{
	struct obol_paycap none = { 0 };
	struct obol_paycap cap = { .has_max_amount = true, .max_amount = amt("EUR:0.05") };
	struct obol_amount low = amt("EUR:0.04"), high = amt("EUR:0.06"), usd = amt("USD:0.01"), out;
	bool has = true;
	int cmp;
	CHECK_OK(obol_paycap_tighter(&none, NULL, &out, &has));
	CHECK(!has);
	CHECK_OK(obol_paycap_tighter(&none, &low, &out, &has)); /* the caller's alone */
	CHECK(has && obol_amount_cmp(&out, &low, &cmp) == OBOL_OK && cmp == 0);
	CHECK_OK(obol_paycap_tighter(&cap, NULL, &out, &has)); /* the cap's alone */
	CHECK(has && obol_amount_cmp(&out, &cap.max_amount, &cmp) == OBOL_OK && cmp == 0);
	CHECK_OK(obol_paycap_tighter(&cap, &low, &out, &has));
	CHECK(has && obol_amount_cmp(&out, &low, &cmp) == OBOL_OK && cmp == 0);
	CHECK_OK(obol_paycap_tighter(&cap, &high, &out, &has));
	CHECK(has && obol_amount_cmp(&out, &cap.max_amount, &cmp) == OBOL_OK && cmp == 0);
	CHECK_ERR(obol_paycap_tighter(&cap, &usd, &out, &has), OBOL_E_PAY_CAP_CURRENCY);
}
