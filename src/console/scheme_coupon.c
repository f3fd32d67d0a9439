/* The console's view of the coupon scheme (console_scheme.h): each
 * denomination's RSA key and its two windows (withdraw until, spend until),
 * from table coupon_denoms (src/issuer/coupon_store.h). */
#include <stdio.h>

#include "console/console_scheme.h"

static obol_err coupon_keys(struct obol_store *s, obol_console_key_fn fn, void *ctx)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT id, currency, value_units, n, withdraw_until, spend_until, created"
					  " FROM coupon_denoms ORDER BY id", &st);
	if (e != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_amount v;
		char amt[OBOL_AMOUNT_STR_MAX] = "?";
		int64_t id = obol_stmt_column_int64(st, 0);
		if (obol_amount_from_units(obol_stmt_column_text(st, 1), obol_stmt_column_int64(st, 2), &v) == OBOL_OK)
			obol_amount_format(&v, amt);
		struct obol_console_key k = { .scheme = "coupon", .kind = "RSA blind signatures (RFC 9474)",
					      .from = obol_stmt_column_int64(st, 6) };
		snprintf(k.id, sizeof k.id, "denom-%lld", (long long)id);
		snprintf(k.name, sizeof k.name, "denomination %lld: %s in %lld tokens", (long long)id, amt,
			 (long long)obol_stmt_column_int64(st, 3));
		k.window = "withdraw";
		k.until = obol_stmt_column_int64(st, 4);
		if ((e = fn(ctx, &k)) != OBOL_OK)
			break;
		k.window = "spend";
		k.until = obol_stmt_column_int64(st, 5);
		if ((e = fn(ctx, &k)) != OBOL_OK)
			break;
	}
	obol_stmt_finish(st);
	return e;
}

OBOL_CONSOLE_SCHEME(console_coupon, .name = "coupon", .keys = coupon_keys)
