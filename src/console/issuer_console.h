/* The issuer's console: its pages, each in a file of its own, and its
 * state (issuer_site.c). */
#ifndef OBOL_CONSOLE_ISSUER_CONSOLE_H
#define OBOL_CONSOLE_ISSUER_CONSOLE_H

#include "console/console_int.h"
#include "console/console_scheme.h"
#include "issuer/issuer.h"

/* Days before its end from which a key or certificate is shown as running
 * out (and counted in obol_vendor_certs_expiring). */
#define OBOL_CONSOLE_WARN_DAYS 30

struct obol_issuer_console {
	struct obol_issuer *iss;
	char currency[OBOL_CURRENCY_MAX + 1];
};

static inline struct obol_issuer_console *obol_issuer_console_of(const struct obol_console_req *r)
{
	return r->c->site_state;
}

obol_err obol_console_books(struct obol_console_req *r);
obol_err obol_console_accounts(struct obol_console_req *r);
obol_err obol_console_account(struct obol_console_req *r);
obol_err obol_console_vendors(struct obol_console_req *r);
obol_err obol_console_keys(struct obol_console_req *r);
obol_err obol_console_frauds(struct obol_console_req *r);
obol_err obol_console_outstanding(struct obol_console_req *r);
obol_err obol_console_issuer_charts(struct obol_console_req *r);
obol_err obol_console_chart_image(struct obol_console_req *r);
obol_err obol_console_issuer_metrics(struct obol_console *c, struct obol_buf *out);

/* The issuer's own actions (issuer_accounts.c). */
extern const struct obol_console_action_def obol_console_fund, obol_console_payout, obol_console_open,
	obol_console_close, obol_console_suspend, obol_console_reactivate;

/* Every key of the issuer and of each scheme present, with its windows
 * (issuer_keys.c); also read by the metrics. */
OBOL_MUST_CHECK obol_err obol_console_issuer_keys(struct obol_store *s, obol_console_key_fn fn, void *ctx);

#endif
