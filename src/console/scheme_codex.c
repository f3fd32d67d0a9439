/* The console's view of the codex scheme (console_scheme.h): at a vendor,
 * the payment tokens it received (table codex_received,
 * src/vendor/codex_vendor.c). */
#include "console/console_scheme.h"

static obol_err codex_sales(struct obol_vendor *v, struct obol_store *s, int64_t since, struct obol_console_sales *out)
{
	(void)v;
	return obol_console_sales_rows(s, "SELECT count(*), coalesce(sum(amount), 0) FROM codex_received WHERE time >= ?",
				       since, out);
}

OBOL_CONSOLE_SCHEME(console_codex, .name = "codex", .vendor_sales = codex_sales)
