/* The books: the conservation audit (src/store/audit.h) run live on every
 * load, in the snapshot of one read transaction, with its verdict. */
#include <string.h>

#include "console/html.h"
#include "console/issuer_console.h"
#include "store/audit.h"

static void figure_row(struct obol_console_req *r, const struct obol_audit_item *it)
{
	obol_html_printf(&r->body, "<tr><th>%s</th><td class=\"num\">", it->label);
	switch (it->kind) {
	case OBOL_AUDIT_FIGURE:
		obol_console_amount(r, &it->amount);
		break;
	case OBOL_AUDIT_COUNT:
		obol_html_printf(&r->body, "%lld <span class=\"%s\">(%lld %s)</span>", it->count,
				 it->broken > 0 ? "bad" : "hint", it->broken, it->text);
		break;
	default:
		obol_html_printf(&r->body, "%s", it->text);
	}
	obol_buf_add(&r->body, "</td></tr>");
}

static obol_err books_read(struct obol_store *s, void *ctx)
{
	struct obol_console_req *r = ctx;
	struct obol_audit_report rep = { 0 };
	obol_err e = obol_audit_collect(s, &rep);
	bool ok = e == OBOL_OK;
	obol_buf_add(&r->body, "<div data-live>");
	if (ok)
		obol_html_printf(&r->body, "<div class=\"verdict ok\">audit: OK</div>");
	else if (rep.incomplete != OBOL_OK)
		obol_html_printf(&r->body, "<div class=\"verdict bad\">audit: could not finish: %s</div>",
				 obol_strerror(rep.incomplete));
	else
		obol_html_printf(&r->body, "<div class=\"verdict bad\">audit: FAILED (%u problem%s)</div>", rep.problems,
				 rep.problems == 1 ? "" : "s");
	obol_html_printf(&r->body, "<p class=\"hint\">Read at ");
	obol_console_time(r, r->now);
	obol_html_printf(&r->body, " UTC from %s, in one snapshot; the page reloads every 30 s. The same figures as "
				   "<code>obol audit</code>.</p>",
			 rep.backend != NULL ? rep.backend : "the database");
	if (rep.problems > 0) {
		obol_buf_add(&r->body, "<h2>What is broken</h2><ul class=\"problems\">");
		for (size_t i = 0; i < rep.n; i++)
			if (rep.items[i].kind == OBOL_AUDIT_PROBLEM)
				obol_html_printf(&r->body, "<li class=\"bad\">%s</li>", rep.items[i].text);
		obol_buf_add(&r->body, "</ul>");
	}
	/* The two sides of the equation first, then every figure. */
	obol_buf_add(&r->body, "<div class=\"cards\">");
	for (size_t i = 0; i < rep.n; i++) {
		const struct obol_audit_item *it = &rep.items[i];
		if (it->kind != OBOL_AUDIT_FIGURE || it->scheme != NULL)
			continue;
		if (strcmp(it->label, "funding - payouts") != 0 && strcmp(it->label, "balances + liabilities") != 0)
			continue;
		obol_html_printf(&r->body, "<div class=\"card\"><div class=\"label\">%s</div><div class=\"value\">",
				 it->label);
		obol_console_amount(r, &it->amount);
		obol_buf_add(&r->body, "</div></div>");
	}
	obol_buf_add(&r->body, "</div><h2>Ledger</h2><div class=\"scroll\"><table class=\"figures\"><tbody>");
	for (size_t i = 0; i < rep.n; i++)
		if (rep.items[i].scheme == NULL && rep.items[i].kind != OBOL_AUDIT_PROBLEM)
			figure_row(r, &rep.items[i]);
	obol_buf_add(&r->body, "</tbody></table></div><h2>Schemes: liability and what their tables owe</h2>"
			       "<div class=\"scroll\"><table class=\"figures\"><tbody>");
	for (size_t i = 0; i < rep.n; i++)
		if (rep.items[i].scheme != NULL && rep.items[i].kind != OBOL_AUDIT_PROBLEM)
			figure_row(r, &rep.items[i]);
	obol_buf_add(&r->body, "</tbody></table></div></div>");
	obol_audit_report_free(&rep);
	return OBOL_OK;
}

obol_err obol_console_books(struct obol_console_req *r)
{
	obol_console_h1(r, "Books");
	return obol_console_read(r, books_read, r);
}
