/* The payer's spending cap, common to every scheme (P2 Consent, THREATS.md):
 * a price per unit it will not pass and an amount per payment it will not
 * hand over, whatever the vendor announces or asks for mid-session.
 *
 * Pure code, no I/O: the wallet (src/wallet/payer.h) keeps a struct
 * obol_paycap for the payment under way and asks it twice: when the vendor
 * states its price (obol_paycap_offer), and before every piece of value
 * leaves the wallet (obol_paycap_hand: a coupon token, e-cash coins, a
 * payword range, a codex token). A cap that is not set does not limit. */
#ifndef OBOL_SCHEMES_COMMON_PAYCAP_H
#define OBOL_SCHEMES_COMMON_PAYCAP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"

struct obol_paycap {
	bool has_max_price;
	struct obol_amount max_price;  /* per unit */
	bool has_max_amount;
	struct obol_amount max_amount; /* per payment */
};

/* Whether any limit is set. */
bool obol_paycap_any(const struct obol_paycap *cap);

/* The vendor's offer: `units` units at `price` each (units 0: the count is
 * not known yet, only the price is judged). *total (may be NULL) gets
 * units * price. PAY_CAP_CURRENCY when a limit is in another currency than
 * the price, PAY_PRICE_OVER_CAP when price > max_price, PAY_AMOUNT_OVER_CAP
 * when units * price > max_amount (or overflows). */
OBOL_MUST_CHECK obol_err obol_paycap_offer(const struct obol_paycap *cap, const struct obol_amount *price,
					   uint64_t units, struct obol_amount *total);

/* Value about to leave the wallet: *handed (the sum handed over so far in
 * this payment; zero in more's currency when has_handed is false) plus more
 * must stay within max_amount, else PAY_AMOUNT_OVER_CAP and nothing changes;
 * on OK *handed is the new sum. PAY_CAP_CURRENCY as above. */
OBOL_MUST_CHECK obol_err obol_paycap_hand(const struct obol_paycap *cap, struct obol_amount *handed,
					  bool *has_handed, const struct obol_amount *more);

/* The most units at `price` that max_amount pays (UINT64_MAX when no amount
 * cap is set; 0 when not even one). PAY_CAP_CURRENCY as above. */
OBOL_MUST_CHECK obol_err obol_paycap_units(const struct obol_paycap *cap, const struct obol_amount *price,
					   uint64_t *units);

/* For a scheme core that takes one limit of its own per payment: the lower
 * of max (NULL: none) and the cap's max_amount (not set: none) in *out, and
 * *has true; *has false when neither limits. PAY_CAP_CURRENCY when both are
 * set in different currencies. */
OBOL_MUST_CHECK obol_err obol_paycap_tighter(const struct obol_paycap *cap, const struct obol_amount *max,
					     struct obol_amount *out, bool *has);

#endif
