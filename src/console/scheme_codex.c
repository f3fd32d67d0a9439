/* The console's view of the codex scheme (console_scheme.h): at a vendor,
 * the payment tokens it received (table codex_received,
 * src/vendor/codex_vendor.c). */
#include "console/console_scheme.h"
#include "console/html.h"
#include "issuer/codex_bank.h"
#include "store/ledger.h"

static obol_err codex_sales(struct obol_vendor *v, struct obol_store *s, int64_t since, struct obol_console_sales *out)
{
	(void)v;
	return obol_console_sales_rows(s, "SELECT count(*), coalesce(sum(amount), 0) FROM codex_received WHERE time >= ?",
				       since, out);
}

struct codex_rows {
	struct obol_console_req *r;
	int64_t n;
};

static obol_err codex_row(void *ctx, const struct codex_bank_user *u, const struct obol_amount *value)
{
	struct codex_rows *p = ctx;
	struct obol_console_req *r = p->r;
	if (p->n++ >= OBOL_CONSOLE_OUTSTANDING_ROWS)
		return OBOL_OK;
	obol_html_printf(&r->body, "<tr><td>%s (id %llu)</td><td class=\"num\">", u->p.name, (unsigned long long)u->p.id);
	obol_console_amount(r, value);
	obol_buf_add(&r->body, "</td><td class=\"num\">");
	obol_console_amount(r, &u->deposit);
	obol_html_printf(&r->body, "</td><td class=\"num\">%llu</td><td class=\"%s\">%s</td>", (unsigned long long)u->epoch,
			 u->blacklisted ? "bad" : "ok",
			 u->blacklisted ? (u->released ? "blacklisted, released" : "blacklisted")
			 : u->closed   ? (u->released ? "closed, released" : "closed, deposit held")
				       : "open");
	obol_console_deadline_cell(r, u->state_not_after);
	obol_buf_add(&r->body, "</tr>");
	return OBOL_OK;
}

/* At the issuer: every user's Codex, its value by every log the bank holds
 * (codex_issuer_users) and its safe deposit, by user id. */
static obol_err codex_outstanding(struct obol_console_req *r, struct obol_store *s)
{
	static const char *const cols[] = { "user", "value", "safe deposit", "epoch", "standing", "Codex expires", NULL };
	struct codex_rows p = { r, 0 };
	char cur[OBOL_CURRENCY_MAX + 1];
	obol_err e = obol_ledger_currency(s, cur);
	if (e != OBOL_OK)
		return e;
	/* the rows first, into a buffer of their own: the count goes above them */
	struct obol_buf rows = { 0 }, saved = r->body;
	r->body = rows;
	e = codex_issuer_users(s, cur, codex_row, &p);
	rows = r->body;
	r->body = saved;
	obol_html_printf(&r->body, "<p><strong>%lld Codexes</strong>.</p>", (long long)p.n);
	if (e == OBOL_OK && p.n > 0) {
		obol_console_table_begin(r, "codexes", cols);
		obol_buf_add(&r->body, rows.p != NULL ? rows.p : "");
		obol_console_table_end(r, p.n < OBOL_CONSOLE_OUTSTANDING_ROWS ? p.n : OBOL_CONSOLE_OUTSTANDING_ROWS, p.n);
	}
	obol_buf_free(&rows);
	return e;
}

OBOL_CONSOLE_SCHEME(console_codex, .name = "codex", .vendor_sales = codex_sales, .outstanding = codex_outstanding)
