/* What /metrics reads from the issuer's database at each scrape: the
 * ledger's figures per scheme and kind of account, the keys' remaining
 * validity, the vendors' certificates (metrics.h has the counters). */
#include <string.h>

#include "console/issuer_console.h"
#include "console/metrics.h"
#include "core/clock.h"
#include "store/ledger.h"

#define LIABILITY_PREFIX "@liability:"

struct scrape {
	struct obol_console *c;
	struct obol_buf *out;
	int64_t now;
};

/* An amount's value in currency units, as the text format wants it. */
static void value(struct obol_buf *out, int64_t units)
{
	obol_metrics_fixed(out, units, 8);
}

static obol_err ledger_figures(struct scrape *sc, struct obol_store *s)
{
	struct obol_issuer_console *ic = sc->c->site_state;
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT name, balance FROM accounts WHERE kind = ? ORDER BY name", &st);
	if (e != OBOL_OK)
		return e;
	obol_metrics_header(sc->out, "obol_ledger_liability", "gauge",
			    "Each scheme's liability account: value paid into the scheme and not yet out of it, in "
			    "currency units.");
	if ((e = obol_stmt_bind_int64(st, 1, OBOL_ACCOUNT_LIABILITY)) == OBOL_OK)
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
			const char *name = obol_stmt_column_text(st, 0);
			if (strncmp(name, LIABILITY_PREFIX, strlen(LIABILITY_PREFIX)) != 0)
				continue;
			obol_buf_add(sc->out, "obol_ledger_liability{scheme=\"");
			obol_metrics_label(sc->out, name + strlen(LIABILITY_PREFIX));
			obol_buf_printf(sc->out, "\",currency=\"%s\"} ", ic->currency);
			value(sc->out, obol_stmt_column_int64(st, 1));
			obol_buf_add(sc->out, "\n");
		}
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_prepare(s, "SELECT kind, count(*), coalesce(sum(balance), 0) FROM accounts GROUP BY kind ORDER BY kind",
			      &st);
	if (e != OBOL_OK)
		return e;
	struct {
		int64_t n, sum;
	} k[5] = { { 0, 0 } };
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t kind = obol_stmt_column_int64(st, 0);
		if (kind >= 1 && kind <= 4) {
			k[kind].n = obol_stmt_column_int64(st, 1);
			k[kind].sum = obol_stmt_column_int64(st, 2);
		}
	}
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	obol_metrics_header(sc->out, "obol_ledger_accounts", "gauge", "Accounts, by kind.");
	obol_buf_printf(sc->out, "obol_ledger_accounts{kind=\"user\"} %lld\nobol_ledger_accounts{kind=\"vendor\"} %lld\n",
			(long long)k[OBOL_ACCOUNT_USER].n, (long long)k[OBOL_ACCOUNT_VENDOR].n);
	obol_metrics_header(sc->out, "obol_ledger_balance", "gauge",
			    "The sum of the balances of the users' and the vendors' accounts, in currency units.");
	obol_buf_printf(sc->out, "obol_ledger_balance{kind=\"user\",currency=\"%s\"} ", ic->currency);
	value(sc->out, k[OBOL_ACCOUNT_USER].sum);
	obol_buf_printf(sc->out, "\nobol_ledger_balance{kind=\"vendor\",currency=\"%s\"} ", ic->currency);
	value(sc->out, k[OBOL_ACCOUNT_VENDOR].sum);
	obol_buf_add(sc->out, "\n");
	/* The outside account's balance is minus what came in: 0 - balance,
	 * checked. */
	struct obol_amount zero, outside, in;
	if ((e = obol_amount_zero(ic->currency, &zero)) != OBOL_OK ||
	    (e = obol_amount_from_units(ic->currency, k[OBOL_ACCOUNT_OUTSIDE].sum, &outside)) != OBOL_OK ||
	    (e = obol_amount_sub(&in, &zero, &outside)) != OBOL_OK)
		return e;
	obol_metrics_header(sc->out, "obol_ledger_in_system", "gauge",
			    "Funding less payouts: what the outside paid in and has not taken out, in currency units.");
	obol_buf_printf(sc->out, "obol_ledger_in_system{currency=\"%s\"} ", ic->currency);
	value(sc->out, in.units);
	obol_buf_add(sc->out, "\n");
	return OBOL_OK;
}

static obol_err key_line(void *ctx, const struct obol_console_key *k)
{
	struct scrape *sc = ctx;
	if (k->until == 0)
		return OBOL_OK;
	obol_buf_add(sc->out, "obol_key_remaining_seconds{scheme=\"");
	obol_metrics_label(sc->out, k->scheme);
	obol_buf_add(sc->out, "\",key=\"");
	obol_metrics_label(sc->out, k->id);
	obol_buf_add(sc->out, "\",window=\"");
	obol_metrics_label(sc->out, k->window);
	obol_buf_printf(sc->out, "\"} %lld\n", (long long)(k->until - sc->now));
	return OBOL_OK;
}

static obol_err vendor_certs(struct scrape *sc, struct obol_store *s)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t soon = sc->now + (int64_t)OBOL_CONSOLE_WARN_DAYS * 86400;
	obol_err e = obol_stmt_prepare(s, "SELECT coalesce(sum(CASE WHEN c.valid_until <= ? THEN 1 ELSE 0 END), 0),"
					  " coalesce(sum(CASE WHEN c.valid_until > ? AND c.valid_until <= ? THEN 1 ELSE 0 END), 0),"
					  " count(*), min(CASE WHEN c.valid_until > ? THEN c.valid_until END)"
					  " FROM vendor_certs c WHERE c.serial = (SELECT max(serial) FROM vendor_certs"
					  " WHERE vendor_id = c.vendor_id)", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "iiii", sc->now, sc->now, soon, sc->now)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t expired = obol_stmt_column_int64(st, 0), expiring = obol_stmt_column_int64(st, 1),
			all = obol_stmt_column_int64(st, 2);
		obol_metrics_header(sc->out, "obol_vendor_certs", "gauge",
				    "Vendors by the standing of their newest certificate: valid, expiring (within "
				    "30 days) or expired.");
		obol_buf_printf(sc->out,
				"obol_vendor_certs{state=\"valid\"} %lld\nobol_vendor_certs{state=\"expiring\"} %lld\n"
				"obol_vendor_certs{state=\"expired\"} %lld\n",
				(long long)(all - expired - expiring), (long long)expiring, (long long)expired);
		if (!obol_stmt_column_is_null(st, 3)) {
			obol_metrics_header(sc->out, "obol_vendor_cert_soonest_remaining_seconds", "gauge",
					    "Seconds until the first vendor certificate still valid runs out.");
			obol_buf_printf(sc->out, "obol_vendor_cert_soonest_remaining_seconds %lld\n",
					(long long)(obol_stmt_column_int64(st, 3) - sc->now));
		}
	}
	obol_stmt_finish(st);
	return e;
}

static obol_err scrape_read(struct obol_store *s, void *ctx)
{
	struct scrape *sc = ctx;
	obol_err e = ledger_figures(sc, s);
	if (e != OBOL_OK)
		return e;
	obol_metrics_header(sc->out, "obol_key_remaining_seconds", "gauge",
			    "Seconds until a key's window ends (negative: ended), by scheme, key and window.");
	if ((e = obol_console_issuer_keys(s, key_line, sc)) != OBOL_OK)
		return e;
	return vendor_certs(sc, s);
}

obol_err obol_console_issuer_metrics(struct obol_console *c, struct obol_buf *out)
{
	struct scrape sc = { .c = c, .out = out, .now = obol_now() };
	obol_err e = c->site->read(c, scrape_read, &sc);
	obol_metrics_header(out, "obol_console_sessions", "gauge", "Live console sessions.");
	obol_buf_printf(out, "obol_console_sessions %u\n", obol_sessions_live(c->sessions, sc.now));
	return e;
}
