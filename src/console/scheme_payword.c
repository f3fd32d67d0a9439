/* The console's view of the payword scheme (console_scheme.h): the agent's
 * proved frauds; at a vendor, its sales (table payword_v_sales,
 * src/vendor/payword_vendor.c). */
#include "console/console_scheme.h"

static obol_err payword_sales(struct obol_vendor *v, struct obol_store *s, int64_t since, struct obol_console_sales *out)
{
	(void)v;
	return obol_console_sales_rows(s, "SELECT count(*), coalesce(sum(value_units), 0) FROM payword_v_sales"
				       " WHERE created >= ?", since, out);
}

/* The agent's proved frauds (table payword_evidence, src/issuer/payword_db.c). */
static obol_err payword_frauds(struct obol_store *s, int64_t limit, obol_console_fraud_fn fn, void *ctx, int64_t *total)
{
	static const struct obol_console_fraud_query q = { .scheme = "payword", .table = "payword_evidence",
							   .at = "created", .culprit = "culprit", .evidence = "detail" };
	return obol_console_fraud_rows(s, &q, limit, fn, ctx, total);
}

OBOL_CONSOLE_SCHEME(console_payword, .name = "payword", .vendor_sales = payword_sales, .frauds = payword_frauds)
