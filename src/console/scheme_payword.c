/* The console's view of the payword scheme (console_scheme.h): the agent's
 * proved frauds; at a vendor, its sales (table payword_v_sales,
 * src/vendor/payword_vendor.c). */
#include "console/console_scheme.h"
#include "console/html.h"
#include "store/ledger.h"

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

/* At the issuer: the chains (certificates) with tokens the agent still
 * owes, n + covered - paid - moved_out of them (as the audit counts,
 * payword_db_outstanding), the soonest to expire first. */
#define PAYWORD_LEFT "(c.n + c.covered - c.paid - c.moved_out)"
static obol_err payword_outstanding(struct obol_console_req *r, struct obol_store *s)
{
	static const char *const cols[] = { "certificate", "user", "for", "tokens left", "value", "standing", "expires", NULL };
	static const char *const standing[] = { "?", "live", "superseded", "revoked" };
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t n = 0, shown = 0;
	char cur[OBOL_CURRENCY_MAX + 1];
	obol_err e;
	if ((e = obol_ledger_currency(s, cur)) != OBOL_OK ||
	    (e = obol_console_count(s, "SELECT count(*) FROM payword_certs c WHERE " PAYWORD_LEFT " > 0", &n)) != OBOL_OK)
		return e;
	obol_html_printf(&r->body, "<p><strong>%lld chains</strong> with tokens left.</p>", (long long)n);
	if (n == 0)
		return OBOL_OK;
	e = obol_stmt_prepare(s, "SELECT c.serial, coalesce(u.username, ''), c.user_id, c.scope, " PAYWORD_LEFT ","
				 " c.token_units, c.status, c.not_after FROM payword_certs c"
				 " LEFT JOIN payword_users u ON u.account = c.user_id WHERE " PAYWORD_LEFT " > 0"
				 " ORDER BY c.not_after, c.serial LIMIT ?", &st);
	if (e != OBOL_OK)
		return e;
	obol_console_table_begin(r, "chains", cols);
	if ((e = obol_stmt_bind_int64(st, 1, OBOL_CONSOLE_OUTSTANDING_ROWS)) == OBOL_OK)
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
			int64_t scope = obol_stmt_column_int64(st, 3), left = obol_stmt_column_int64(st, 4),
				status = obol_stmt_column_int64(st, 6);
			struct obol_amount tv, v;
			obol_html_printf(&r->body, "<tr><td>%lld</td><td>%s (account %lld)</td><td>",
					 (long long)obol_stmt_column_int64(st, 0), obol_stmt_column_text(st, 1),
					 (long long)obol_stmt_column_int64(st, 2));
			if (scope == 0)
				obol_buf_add(&r->body, "any vendor");
			else
				obol_html_printf(&r->body, "vendor %lld", (long long)scope);
			obol_html_printf(&r->body, "</td><td class=\"num\">%lld</td><td class=\"num\">", (long long)left);
			if (obol_amount_from_units(cur, obol_stmt_column_int64(st, 5), &tv) == OBOL_OK &&
			    obol_amount_mul(&v, &tv, (uint64_t)left) == OBOL_OK)
				obol_console_amount(r, &v);
			else
				obol_buf_add(&r->body, "?");
			obol_html_printf(&r->body, "</td><td>%s</td>", standing[status >= 1 && status <= 3 ? status : 0]);
			obol_console_deadline_cell(r, obol_stmt_column_int64(st, 7));
			obol_buf_add(&r->body, "</tr>");
			shown++;
		}
	obol_stmt_finish(st);
	obol_console_table_end(r, shown, n);
	return e;
}

OBOL_CONSOLE_SCHEME(console_payword, .name = "payword", .vendor_sales = payword_sales, .frauds = payword_frauds,
		    .outstanding = payword_outstanding)
