/* What is outstanding per scheme: each scheme's liability account next to
 * what its own tables say it owes (the audit's figures, src/store/audit.h),
 * then each scheme's detail (console_scheme.h "outstanding"): coupon coins
 * and their locks' deadlines, payword chains, e-cash coins, Codexes. Read
 * in one snapshot. */
#include <string.h>

#include "console/html.h"
#include "console/issuer_console.h"
#include "store/audit.h"

/* The audit's figures of one scheme ("coupon liability", "coupon
 * outstanding", ...). */
static void scheme_figures(struct obol_console_req *r, const struct obol_audit_report *rep, const char *scheme)
{
	obol_buf_add(&r->body, "<div class=\"cards\">");
	for (size_t i = 0; i < rep->n; i++) {
		const struct obol_audit_item *it = &rep->items[i];
		if (it->kind != OBOL_AUDIT_FIGURE || it->scheme == NULL || strcmp(it->scheme, scheme) != 0)
			continue;
		obol_html_printf(&r->body, "<div class=\"card\"><div class=\"label\">%s</div><div class=\"value\">",
				 it->label);
		obol_console_amount(r, &it->amount);
		obol_buf_add(&r->body, "</div></div>");
	}
	obol_buf_add(&r->body, "</div>");
}

static obol_err outstanding_read(struct obol_store *s, void *ctx)
{
	struct obol_console_req *r = ctx;
	struct obol_audit_report rep = { 0 };
	obol_err e = obol_audit_collect(s, &rep);
	if (e != OBOL_OK && e != OBOL_E_AUDIT_FAILED)
		goto out;
	e = OBOL_OK;
	obol_html_printf(&r->body, "<p class=\"hint\">Read at ");
	obol_console_time(r, r->now);
	obol_buf_add(&r->body, " UTC, in one snapshot. Each scheme's liability account, what its own tables say is "
			       "outstanding, and what makes it up; tables show the soonest deadlines first. "
			       "<a href=\"/books\">The books</a> say whether they agree.</p>");
	for (const struct obol_console_scheme *sch = obol_console_schemes(); e == OBOL_OK && sch != NULL; sch = sch->next) {
		bool present = false;
		if (sch->outstanding == NULL)
			continue;
		if ((e = obol_console_scheme_present(s, sch->name, &present)) != OBOL_OK || !present)
			continue;
		obol_html_printf(&r->body, "<section class=\"outstanding\" id=\"%s\"><h2>%s</h2>", sch->name, sch->name);
		scheme_figures(r, &rep, sch->name);
		e = sch->outstanding(r, s);
		obol_buf_add(&r->body, "</section>");
	}
out:
	obol_audit_report_free(&rep);
	return e;
}

obol_err obol_console_outstanding(struct obol_console_req *r)
{
	obol_console_h1(r, "Outstanding");
	return obol_console_read(r, outstanding_read, r);
}
