/* The issuer's console: its pages and actions, and how it reads and writes
 * the issuer's database (console.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_db.h"
#include "console/issuer_console.h"
#include "core/log.h"

static obol_err issuer_read(struct obol_console *c, obol_unit_fn fn, void *ctx)
{
	struct obol_issuer_console *ic = c->site_state;
	return obol_issuer_read(ic->iss, fn, ctx);
}

static obol_err issuer_write(struct obol_console *c, obol_unit_fn fn, void *ctx)
{
	struct obol_issuer_console *ic = c->site_state;
	return obol_issuer_run(ic->iss, fn, ctx);
}

static void issuer_subtitle(struct obol_console *c, struct obol_buf *out)
{
	struct obol_issuer_console *ic = c->site_state;
	obol_buf_add(out, ic->currency);
}

static void issuer_stop(struct obol_console *c)
{
	free(c->site_state);
}

static const struct obol_console_page issuer_pages[] = {
	{ "/books", "Books", obol_console_books },
	{ "/accounts", "Accounts", obol_console_accounts },
	{ "/accounts/", NULL, obol_console_account },
	{ "/outstanding", "Outstanding", obol_console_outstanding },
	{ "/vendors", "Vendors", obol_console_vendors },
	{ "/keys", "Keys", obol_console_keys },
	{ "/frauds", "Frauds", obol_console_frauds },
	{ "/charts", "Traffic", obol_console_issuer_charts },
	{ "/charts/", NULL, obol_console_chart_image },
	{ "/log", "Audit log", obol_console_log_page },
};

#define ACTIONS_MAX 32
static const struct obol_console_action_def *issuer_actions[ACTIONS_MAX];

static struct obol_console_site issuer_site = {
	.kind = "issuer",
	.pages = issuer_pages,
	.npages = sizeof issuer_pages / sizeof issuer_pages[0],
	.actions = issuer_actions,
	.read = issuer_read,
	.write = issuer_write,
	.metrics = obol_console_issuer_metrics,
	.subtitle = issuer_subtitle,
	.stop = issuer_stop,
};

/* The issuer's actions, then each scheme's. */
static obol_err collect_actions(void)
{
	static const struct obol_console_action_def *const own[] = {
		&obol_console_fund, &obol_console_payout, &obol_console_open, &obol_console_close,
		&obol_console_suspend, &obol_console_reactivate,
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
		issuer_actions[n++] = own[i];
	for (const struct obol_console_scheme *sch = obol_console_schemes(); sch != NULL; sch = sch->next)
		for (const struct obol_console_action_def *const *a = sch->actions; a != NULL && *a != NULL; a++) {
			if (n == ACTIONS_MAX)
				return OBOL_E_INTERNAL;
			issuer_actions[n++] = *a;
		}
	issuer_site.nactions = n;
	return OBOL_OK;
}

obol_err obol_console_issuer_start(struct obol_issuer *iss, const struct obol_console_config *cfg,
				   struct obol_console **out)
{
	struct obol_store *s = NULL;
	struct obol_issuer_console *ic = calloc(1, sizeof *ic);
	obol_err e;
	if (ic == NULL)
		return OBOL_E_NO_MEMORY;
	ic->iss = iss;
	snprintf(ic->currency, sizeof ic->currency, "%s", obol_issuer_currency(iss));
	if (cfg->db_url == NULL) {
		e = OBOL_E_INVALID_ARGUMENT;
		goto fail;
	}
	/* The console's tables, for a database made before the console. */
	if ((e = obol_store_open(cfg->db_url, false, &s)) != OBOL_OK || (e = obol_console_migrate(s)) != OBOL_OK)
		goto fail;
	obol_store_close(s);
	s = NULL;
	if ((e = collect_actions()) != OBOL_OK || (e = obol_console_start(&issuer_site, iss, ic, cfg, out)) != OBOL_OK)
		goto fail_started;
	return OBOL_OK;
fail:
	obol_store_close(s);
fail_started:
	free(ic);
	return e;
}
