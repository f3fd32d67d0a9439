/* The console's view of the codex scheme (console_scheme.h): at a vendor,
 * the payment tokens it received (table codex_received,
 * src/vendor/codex_vendor.c). */
#include "console/console_scheme.h"

static obol_err codex_sales(struct obol_vendor *v, struct obol_store *s, int64_t since, struct obol_console_sales *out)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	(void)v;
	obol_err e = obol_stmt_prepare(s, "SELECT count(*), coalesce(sum(amount), 0) FROM codex_received WHERE time >= ?",
				       &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, since)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		out->payments = obol_stmt_column_int64(st, 0);
		struct obol_amount zero = out->value; /* its currency, which from_units must not read from *out */
		e = obol_amount_from_units(zero.currency, obol_stmt_column_int64(st, 1), &out->value);
		out->has_value = true;
	}
	obol_stmt_finish(st);
	return e;
}

OBOL_CONSOLE_SCHEME(console_codex, .name = "codex", .vendor_sales = codex_sales)
