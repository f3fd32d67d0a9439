/* Vendors and their certificates: each vendor account with its newest
 * certificate, its window, and a warning before it runs out. */
#include <string.h>

#include "console/html.h"
#include "console/issuer_console.h"
#include "core/parse.h"
#include "schemes/common/vendor_cert.h"
#include "store/ledger.h"

#define VENDORS_PER_PAGE 50

/* How a window's end stands: "expired", "runs out" (within
 * OBOL_CONSOLE_WARN_DAYS) or "ok"; until 0 never ends. */
static const char *standing(int64_t until, int64_t now, const char **css)
{
	if (until != 0 && until <= now) {
		*css = "bad";
		return "expired";
	}
	if (until != 0 && until - now <= (int64_t)OBOL_CONSOLE_WARN_DAYS * 86400) {
		*css = "warn";
		return "runs out soon";
	}
	*css = "ok";
	return "valid";
}

static obol_err vendors_read(struct obol_store *s, void *ctx)
{
	struct obol_console_req *r = ctx;
	struct obol_issuer_console *ic = obol_issuer_console_of(r);
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t total = 0, offset = obol_console_page_offset(r, VENDORS_PER_PAGE);
	obol_err e = obol_stmt_prepare(s, "SELECT count(*) FROM accounts WHERE kind = ?", &st);
	if (e == OBOL_OK && (e = obol_stmt_bind_int64(st, 1, OBOL_ACCOUNT_VENDOR)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		total = obol_stmt_column_int64(st, 0);
	if (st != NULL)
		obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_prepare(s, "SELECT a.id, a.name, a.status, a.balance, c.cert, c.serial,"
				 " (SELECT count(*) FROM vendor_certs WHERE vendor_id = a.id)"
				 " FROM accounts a LEFT JOIN vendor_certs c ON c.vendor_id = a.id AND c.serial ="
				 " (SELECT max(serial) FROM vendor_certs WHERE vendor_id = a.id)"
				 " WHERE a.kind = ? ORDER BY a.id LIMIT ? OFFSET ?", &st);
	if (e != OBOL_OK ||
	    (e = obol_stmt_bindf(st, "iii", (int64_t)OBOL_ACCOUNT_VENDOR, (int64_t)VENDORS_PER_PAGE, offset)) != OBOL_OK)
		goto out;
	obol_buf_add(&r->body, "<div class=\"scroll\"><table class=\"vendors\"><thead><tr><th class=\"num\">id</th>"
			       "<th>vendor</th><th class=\"num\">balance</th><th>certificate</th><th>valid from</th>"
			       "<th>valid until</th><th>standing</th><th class=\"hide-narrow\">keys</th></tr></thead><tbody>");
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t id = obol_stmt_column_int64(st, 0), status = obol_stmt_column_int64(st, 2);
		obol_html_printf(&r->body, "<tr><td class=\"num\">%lld</td><td><a href=\"/accounts/%lld\">%s</a>%s</td>"
					   "<td class=\"num\">",
				 (long long)id, (long long)id, obol_stmt_column_text(st, 1),
				 status == OBOL_ACCOUNT_ACTIVE ? "" : " <span class=\"bad\">(not active)</span>");
		obol_console_amount_units(r, ic->currency, obol_stmt_column_int64(st, 3));
		obol_buf_add(&r->body, "</td>");
		size_t len = 0;
		const void *blob = obol_stmt_column_is_null(st, 4) ? NULL : obol_stmt_column_blob(st, 4, &len);
		struct obol_vendor_cert c;
		if (blob == NULL || obol_vendor_cert_decode(blob, len, &c) != OBOL_OK) {
			obol_html_printf(&r->body, "<td colspan=\"5\" class=\"bad\">%s</td></tr>",
					 blob == NULL ? "no certificate" : "a certificate obol cannot read");
			continue;
		}
		const char *css, *what = standing(c.valid_until, r->now, &css);
		char spk[OBOL_B64_LEN(32)] = "", bpk[OBOL_B64_LEN(32)] = "-";
		if (obol_b64_encode(c.sign_pk, 32, spk, sizeof spk) != OBOL_OK ||
		    (c.has_box_pk && obol_b64_encode(c.box_pk, 32, bpk, sizeof bpk) != OBOL_OK))
			spk[0] = '\0';
		obol_html_printf(&r->body, "<td>serial %lld (%lld issued)</td><td>", (long long)obol_stmt_column_int64(st, 5),
				 (long long)obol_stmt_column_int64(st, 6));
		obol_console_time(r, c.valid_from);
		obol_buf_add(&r->body, "</td><td>");
		obol_console_time(r, c.valid_until);
		obol_html_printf(&r->body, "</td><td class=\"%s\">%s, ", css, what);
		obol_console_when(r, c.valid_until);
		obol_html_printf(&r->body, "</td><td class=\"hide-narrow mono\">sign %s<br>box %s</td></tr>", spk, bpk);
	}
	obol_buf_add(&r->body, "</tbody></table></div>");
	if (e == OBOL_OK)
		obol_console_pager(r, "/vendors", "", offset, VENDORS_PER_PAGE, total);
out:
	if (st != NULL)
		obol_stmt_finish(st);
	return e;
}

obol_err obol_console_vendors(struct obol_console_req *r)
{
	obol_console_h1(r, "Vendors and their certificates");
	obol_html_printf(&r->body, "<p class=\"hint\">Each vendor's newest certificate. One that runs out within %d days "
				   "is marked; renew it with <code>obol issuer vendor add</code> (the same keys get a new "
				   "certificate).</p>",
			 OBOL_CONSOLE_WARN_DAYS);
	return obol_console_read(r, vendors_read, r);
}
