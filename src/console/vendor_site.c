/* The vendor's console (console.h): its certificate and its expiry, the
 * issuer's reachability, the outbox with each waiting row's last error,
 * today's sales per scheme; one action, "send now", which makes every
 * waiting row due at once. It reads the vendor's store (DIR/vendor.db)
 * through a read connection of its own, and writes through the vendor's
 * group committer. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_db.h"
#include "console/console_scheme.h"
#include "console/html.h"
#include "console/metrics.h"
#include "core/clock.h"
#include "core/parse.h"
#include "net/http_client.h"
#include "vendor/outbox.h"
#include "vendor/vendor.h"

#define WARN_DAYS 30
#define ROWS_PER_PAGE 50
#define PROBE_TIMEOUT_MS 2000

struct vendor_console {
	struct obol_vendor *v;
	pthread_mutex_t mu; /* the read connection: one reader at a time */
	struct obol_store *reader;
	char currency[OBOL_CURRENCY_MAX + 1];
};

static struct vendor_console *vc_of(struct obol_console *c)
{
	return c->site_state;
}

static obol_err vendor_read(struct obol_console *c, obol_unit_fn fn, void *ctx)
{
	struct vendor_console *vc = vc_of(c);
	pthread_mutex_lock(&vc->mu);
	obol_err e = obol_store_begin_read(vc->reader);
	if (e == OBOL_OK) {
		e = fn(vc->reader, ctx);
		obol_store_rollback(vc->reader);
	}
	pthread_mutex_unlock(&vc->mu);
	return e;
}

static obol_err vendor_write(struct obol_console *c, obol_unit_fn fn, void *ctx)
{
	return obol_vendor_run(vc_of(c)->v, fn, ctx);
}

static void vendor_subtitle(struct obol_console *c, struct obol_buf *out)
{
	const struct obol_vendor_cert cert = obol_vendor_cert(vc_of(c)->v);
	obol_html_printf(out, "%s · vendor %llu", cert.name, (unsigned long long)cert.vendor_id);
}

/* UTC midnight of today. */
static int64_t today(int64_t now)
{
	return now - now % 86400;
}

/* ---- the outbox ------------------------------------------------------------------ */

struct outbox_figures {
	int64_t pending, failed, done, oldest_pending; /* created of the oldest pending row, 0 for none */
};

static obol_err outbox_figures(struct obol_store *s, struct outbox_figures *f)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	memset(f, 0, sizeof *f);
	obol_err e = obol_stmt_prepare(s, "SELECT state, count(*), min(created) FROM outbox GROUP BY state", &st);
	if (e != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t state = obol_stmt_column_int64(st, 0), n = obol_stmt_column_int64(st, 1);
		if (state == OBOL_OUTBOX_PENDING) {
			f->pending = n;
			f->oldest_pending = obol_stmt_column_int64(st, 2);
		} else if (state == OBOL_OUTBOX_FAILED) {
			f->failed = n;
		} else if (state == OBOL_OUTBOX_DONE) {
			f->done = n;
		}
	}
	obol_stmt_finish(st);
	return e;
}

static void error_name(struct obol_console_req *r, int64_t code)
{
	if (code == 0)
		obol_buf_add(&r->body, "-");
	else
		obol_html_printf(&r->body, "<abbr title=\"%s\">%s</abbr>", obol_errhint((obol_err)code),
				 obol_strerror((obol_err)code));
}

static obol_err outbox_rows(struct obol_console_req *r, struct obol_store *s, int64_t state, const char *title)
{
	struct obol_stmt *st = NULL;
	bool row = false, any = false;
	int64_t offset = state == OBOL_OUTBOX_PENDING ? obol_console_page_offset(r, ROWS_PER_PAGE) : 0;
	obol_err e = obol_stmt_prepare(s, "SELECT id, scheme, kind, endpoint, attempts, not_before, last_error, created"
					  " FROM outbox WHERE state = ? ORDER BY id LIMIT ? OFFSET ?", &st);
	if (e != OBOL_OK || (e = obol_stmt_bindf(st, "iii", state, (int64_t)ROWS_PER_PAGE, offset)) != OBOL_OK)
		goto out;
	obol_html_printf(&r->body, "<h2>%s</h2><div class=\"scroll\"><table class=\"outbox\"><thead><tr>"
				   "<th class=\"num\">row</th><th>scheme</th><th>what</th><th class=\"hide-narrow\">to</th>"
				   "<th class=\"num\">attempts</th><th>%s</th><th>last error</th><th>queued</th></tr></thead>"
				   "<tbody>",
			 title, state == OBOL_OUTBOX_PENDING ? "next attempt" : "refused");
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		any = true;
		obol_html_printf(&r->body, "<tr><td class=\"num\">%lld</td><td>%s</td><td>%s</td>"
					   "<td class=\"hide-narrow mono\">%s</td><td class=\"num\">%lld</td><td>",
				 (long long)obol_stmt_column_int64(st, 0), obol_stmt_column_text(st, 1),
				 obol_stmt_column_text(st, 2), obol_stmt_column_text(st, 3),
				 (long long)obol_stmt_column_int64(st, 4));
		if (state == OBOL_OUTBOX_PENDING)
			obol_console_when(r, obol_stmt_column_int64(st, 5));
		else
			obol_buf_add(&r->body, "for good");
		obol_buf_add(&r->body, "</td><td class=\"bad\">");
		error_name(r, obol_stmt_column_int64(st, 6));
		obol_buf_add(&r->body, "</td><td>");
		obol_console_time(r, obol_stmt_column_int64(st, 7));
		obol_buf_add(&r->body, "</td></tr>");
	}
	if (!any && e == OBOL_OK)
		obol_buf_add(&r->body, "<tr><td colspan=\"8\" class=\"hint\">none</td></tr>");
	obol_buf_add(&r->body, "</tbody></table></div>");
out:
	if (st != NULL)
		obol_stmt_finish(st);
	return e;
}

static obol_err outbox_read(struct obol_store *s, void *ctx)
{
	struct obol_console_req *r = ctx;
	struct outbox_figures f;
	obol_err e = outbox_figures(s, &f);
	if (e != OBOL_OK)
		return e;
	obol_console_action_notice(r, s);
	obol_html_printf(&r->body,
			 "<div class=\"cards\" data-live><div class=\"card\"><div class=\"label\">waiting</div>"
			 "<div class=\"value %s\">%lld</div></div><div class=\"card\"><div class=\"label\">refused for "
			 "good</div><div class=\"value %s\">%lld</div></div><div class=\"card\"><div class=\"label\">"
			 "delivered</div><div class=\"value\">%lld</div></div></div>",
			 f.pending > 0 ? "warn" : "ok", (long long)f.pending, f.failed > 0 ? "bad" : "ok",
			 (long long)f.failed, (long long)f.done);
	if (f.pending > 0) {
		obol_console_form_begin(r, "send-now", "inline");
		obol_buf_add(&r->body, "<span>Every waiting row is retried by itself, waiting up to a minute between "
				       "attempts; send them now instead:</span>");
		obol_console_form_end(r, "Send now…");
	}
	if ((e = outbox_rows(r, s, OBOL_OUTBOX_PENDING, "Waiting (settlements, deposits and reports not yet answered)")) !=
	    OBOL_OK)
		return e;
	if (f.pending > ROWS_PER_PAGE)
		obol_console_pager(r, "/outbox", "", obol_console_page_offset(r, ROWS_PER_PAGE), ROWS_PER_PAGE,
				   f.pending);
	if ((e = outbox_rows(r, s, OBOL_OUTBOX_FAILED, "Refused by the issuer (a person must look)")) != OBOL_OK)
		return e;
	return OBOL_OK;
}

static obol_err outbox_page(struct obol_console_req *r)
{
	obol_console_h1(r, "Outbox");
	return obol_console_read(r, outbox_read, r);
}

static obol_err send_now_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
				 struct obol_console_plan *plan)
{
	struct outbox_figures fig;
	(void)r;
	(void)f;
	snprintf(plan->back, sizeof plan->back, "/outbox");
	snprintf(plan->target, sizeof plan->target, "outbox");
	obol_err e = outbox_figures(s, &fig);
	if (e != OBOL_OK)
		return e;
	snprintf(plan->detail, sizeof plan->detail, "send the %lld waiting row%s to the issuer now", (long long)fig.pending,
		 fig.pending == 1 ? "" : "s");
	return OBOL_OK;
}

static obol_err send_now_apply(struct obol_console_req *r, struct obol_store *s, struct obol_console_plan *plan)
{
	int64_t changes = 0;
	obol_err e = obol_store_run(s, &changes, "UPDATE outbox SET not_before = ? WHERE state = ? AND not_before > ?",
				    "iii", r->now, (int64_t)OBOL_OUTBOX_PENDING, r->now);
	if (e == OBOL_OK) {
		snprintf(plan->result, sizeof plan->result, "%lld row%s made due", (long long)changes,
			 changes == 1 ? "" : "s");
		obol_vendor_outbox_kick(vc_of(r->c)->v);
	}
	return e;
}

static const struct obol_console_action_def send_now = { "send-now", "Send the outbox now", NULL, send_now_prepare,
							 send_now_apply };

/* ---- the status page ----------------------------------------------------------------- */

/* GET /keys at the issuer, now: how long it took, or why it failed. */
static void probe_issuer(struct obol_console_req *r, struct vendor_console *vc)
{
	struct obol_http_client *c = NULL;
	char *text = NULL;
	size_t len = 0;
	long status = 0;
	uint64_t t0 = obol_mono_ns();
	obol_err e = obol_http_client_new(obol_vendor_issuer_url(vc->v), PROBE_TIMEOUT_MS, &c);
	if (e == OBOL_OK)
		e = obol_http_request(c, "GET", "/keys", NULL, 0, 0, &status, &text, &len);
	uint64_t ms = (obol_mono_ns() - t0) / 1000000u;
	if (e == OBOL_OK && status == 200)
		obol_html_printf(&r->body, "<span class=\"ok\">reachable</span>: GET /keys answered in %llu ms",
				 (unsigned long long)ms);
	else if (e == OBOL_OK)
		obol_html_printf(&r->body, "<span class=\"warn\">answers, with HTTP %ld</span> to GET /keys", status);
	else
		obol_html_printf(&r->body, "<span class=\"bad\">unreachable</span>: %s (%s), after %llu ms",
				 obol_strerror(e), obol_errhint(e), (unsigned long long)ms);
	free(text);
	obol_http_client_free(c);
}

static obol_err sales_read(struct obol_store *s, void *ctx)
{
	struct obol_console_req *r = ctx;
	struct vendor_console *vc = vc_of(r->c);
	obol_html_printf(&r->body, "<h2>Today's sales (since 00:00 UTC)</h2><div class=\"scroll\"><table class=\"sales\">"
				   "<thead><tr><th>scheme</th><th class=\"num\">payments</th><th class=\"num\">units</th>"
				   "<th class=\"num\">value</th></tr></thead><tbody>");
	for (const struct obol_console_scheme *sch = obol_console_schemes(); sch != NULL; sch = sch->next) {
		struct obol_console_sales sales = { 0 };
		if (sch->vendor_sales == NULL || obol_vendor_scheme_state(vc->v, sch->name) == NULL)
			continue;
		obol_err e = obol_amount_zero(vc->currency, &sales.value);
		if (e == OBOL_OK)
			e = sch->vendor_sales(vc->v, s, today(r->now), &sales);
		obol_html_printf(&r->body, "<tr><th>%s</th>", sch->name);
		if (e != OBOL_OK) {
			obol_html_printf(&r->body, "<td colspan=\"3\" class=\"bad\">%s</td></tr>", obol_strerror(e));
			continue;
		}
		obol_html_printf(&r->body, "<td class=\"num\">%lld</td><td class=\"num\">", (long long)sales.payments);
		if (sales.count2_unit != NULL)
			obol_html_printf(&r->body, "%lld %s", (long long)sales.count2, sales.count2_unit);
		obol_buf_add(&r->body, "</td><td class=\"num\">");
		if (sales.has_value)
			obol_console_amount(r, &sales.value);
		else
			obol_buf_add(&r->body, "-");
		obol_buf_add(&r->body, "</td></tr>");
	}
	obol_buf_add(&r->body, "</tbody></table></div>");
	return OBOL_OK;
}

static obol_err status_read(struct obol_store *s, void *ctx)
{
	struct obol_console_req *r = ctx;
	struct outbox_figures f;
	obol_err e = outbox_figures(s, &f);
	if (e != OBOL_OK)
		return e;
	obol_html_printf(&r->body, "<h2>Outbox</h2><p><a href=\"/outbox\">%lld waiting</a>", (long long)f.pending);
	if (f.pending > 0) {
		obol_buf_add(&r->body, " (the oldest queued ");
		obol_console_when(r, f.oldest_pending);
		obol_buf_add(&r->body, ")");
	}
	obol_html_printf(&r->body, ", <span class=\"%s\">%lld refused for good</span>, %lld delivered.</p>",
			 f.failed > 0 ? "bad" : "ok", (long long)f.failed, (long long)f.done);
	return sales_read(s, r);
}

static obol_err status_page(struct obol_console_req *r)
{
	struct vendor_console *vc = vc_of(r->c);
	const struct obol_vendor_cert cert_now = obol_vendor_cert(vc->v), *cert = &cert_now;
	char spk[OBOL_B64_LEN(32)] = "";
	int64_t left = cert->valid_until - r->now, answer = 0, failure = 0;
	obol_err last = OBOL_OK;
	obol_console_h1(r, "Status");
	obol_buf_add(&r->body, "<div data-live><h2>Certificate</h2>");
	if (left <= (int64_t)WARN_DAYS * 86400)
		obol_html_printf(&r->body, "<div class=\"error\" role=\"alert\">The certificate %s. Ask the issuer for a new "
					   "one (<code>obol issuer vendor add</code> with this vendor's keys) and restart "
					   "the vendor.</div>",
				 left <= 0 ? "has expired: wallets refuse this vendor" : "runs out soon");
	if (obol_b64_encode(cert->sign_pk, 32, spk, sizeof spk) != OBOL_OK)
		spk[0] = '\0';
	obol_html_printf(&r->body, "<table class=\"figures\"><tbody><tr><th>vendor</th><td>%s (id %llu)</td></tr>"
				   "<tr><th>valid from</th><td>",
			 cert->name, (unsigned long long)cert->vendor_id);
	obol_console_time(r, cert->valid_from);
	obol_buf_add(&r->body, "</td></tr><tr><th>valid until</th><td>");
	obol_console_time(r, cert->valid_until);
	obol_html_printf(&r->body, " <span class=\"%s\">(", left <= 0 ? "bad" : left <= (int64_t)WARN_DAYS * 86400 ? "warn" : "ok");
	obol_console_when(r, cert->valid_until);
	obol_html_printf(&r->body, ")</span></td></tr><tr><th>signing key</th><td class=\"mono\">%s</td></tr>"
				   "<tr><th>box key</th><td>%s</td></tr></tbody></table>",
			 spk, cert->has_box_pk ? "named (the device link proves it)" : "none");
	obol_html_printf(&r->body, "<h2>Issuer</h2><p class=\"mono\">%s</p><p>", obol_vendor_issuer_url(vc->v));
	probe_issuer(r, vc);
	obol_metrics_issuer_contact(&answer, &failure, &last);
	obol_buf_add(&r->body, "</p><p class=\"hint\">Outbox: last answer from the issuer ");
	if (answer != 0)
		obol_console_when(r, answer);
	else
		obol_buf_add(&r->body, "never since the start");
	if (failure != 0) {
		obol_buf_add(&r->body, "; last failure ");
		obol_console_when(r, failure);
		obol_html_printf(&r->body, " (%s)", obol_strerror(last));
	}
	obol_buf_add(&r->body, ".</p>");
	obol_err e = obol_console_read(r, status_read, r);
	obol_buf_add(&r->body, "</div>");
	return e;
}

/* ---- metrics -------------------------------------------------------------------------- */

struct scrape {
	struct obol_console *c;
	struct obol_buf *out;
	int64_t now;
};

static obol_err scrape_read(struct obol_store *s, void *ctx)
{
	struct scrape *sc = ctx;
	struct vendor_console *vc = vc_of(sc->c);
	struct outbox_figures f;
	obol_err e = outbox_figures(s, &f);
	if (e != OBOL_OK)
		return e;
	obol_metrics_header(sc->out, "obol_outbox_rows", "gauge",
			    "Outbox rows by state: pending (waiting for the issuer), failed (refused for good), done.");
	obol_buf_printf(sc->out,
			"obol_outbox_rows{state=\"pending\"} %lld\nobol_outbox_rows{state=\"failed\"} %lld\n"
			"obol_outbox_rows{state=\"done\"} %lld\n",
			(long long)f.pending, (long long)f.failed, (long long)f.done);
	obol_metrics_header(sc->out, "obol_outbox_oldest_pending_age_seconds", "gauge",
			    "Seconds since the oldest waiting row was queued (0: none waits).");
	obol_buf_printf(sc->out, "obol_outbox_oldest_pending_age_seconds %lld\n",
			(long long)(f.pending > 0 ? sc->now - f.oldest_pending : 0));
	obol_metrics_header(sc->out, "obol_vendor_payments_today", "gauge",
			    "Payments taken since 00:00 UTC, by scheme (value in currency units where the scheme's tables "
			    "hold it: obol_vendor_sales_today).");
	struct obol_buf values = { 0 };
	for (const struct obol_console_scheme *sch = obol_console_schemes(); sch != NULL; sch = sch->next) {
		struct obol_console_sales sales = { 0 };
		if (sch->vendor_sales == NULL || obol_vendor_scheme_state(vc->v, sch->name) == NULL)
			continue;
		if (obol_amount_zero(vc->currency, &sales.value) != OBOL_OK ||
		    sch->vendor_sales(vc->v, s, today(sc->now), &sales) != OBOL_OK)
			continue;
		obol_buf_printf(sc->out, "obol_vendor_payments_today{scheme=\"%s\"} %lld\n", sch->name,
				(long long)sales.payments);
		if (sales.has_value) {
			obol_buf_printf(&values, "obol_vendor_sales_today{scheme=\"%s\",currency=\"%s\"} ", sch->name,
					vc->currency);
			obol_metrics_fixed(&values, sales.value.units, 8);
			obol_buf_add(&values, "\n");
		}
	}
	obol_metrics_header(sc->out, "obol_vendor_sales_today", "gauge",
			    "Value taken since 00:00 UTC, by scheme, in currency units.");
	if (values.p != NULL)
		obol_buf_add(sc->out, values.p);
	e = obol_buf_error(&values);
	obol_buf_free(&values);
	return e;
}

static obol_err vendor_metrics(struct obol_console *c, struct obol_buf *out)
{
	struct vendor_console *vc = vc_of(c);
	struct scrape sc = { .c = c, .out = out, .now = obol_now() };
	int64_t answer = 0, failure = 0;
	obol_err last = OBOL_OK;
	obol_metrics_header(out, "obol_vendor_cert_remaining_seconds", "gauge",
			    "Seconds until the vendor's certificate runs out (negative: expired).");
	obol_buf_printf(out, "obol_vendor_cert_remaining_seconds %lld\n",
			(long long)(obol_vendor_cert(vc->v).valid_until - sc.now));
	obol_metrics_issuer_contact(&answer, &failure, &last);
	obol_metrics_header(out, "obol_issuer_last_answer_timestamp_seconds", "gauge",
			    "When the outbox last got an answer from the issuer (0: not since the start).");
	obol_buf_printf(out, "obol_issuer_last_answer_timestamp_seconds %lld\n", (long long)answer);
	obol_metrics_header(out, "obol_issuer_last_failure_timestamp_seconds", "gauge",
			    "When the outbox last failed to reach the issuer (0: not since the start).");
	obol_buf_printf(out, "obol_issuer_last_failure_timestamp_seconds %lld\n", (long long)failure);
	obol_metrics_header(out, "obol_console_sessions", "gauge", "Live console sessions.");
	obol_buf_printf(out, "obol_console_sessions %u\n", obol_sessions_live(c->sessions, sc.now));
	return c->site->read(c, scrape_read, &sc);
}

/* ---- the site -------------------------------------------------------------------------- */

static void vendor_stop(struct obol_console *c)
{
	struct vendor_console *vc = vc_of(c);
	if (vc == NULL)
		return;
	obol_store_close(vc->reader);
	pthread_mutex_destroy(&vc->mu);
	free(vc);
}

static const struct obol_console_page vendor_pages[] = {
	{ "/status", "Status", status_page },
	{ "/outbox", "Outbox", outbox_page },
	{ "/log", "Audit log", obol_console_log_page },
};

static const struct obol_console_action_def *const vendor_actions[] = { &send_now };

static const struct obol_console_site vendor_site = {
	.kind = "vendor",
	.pages = vendor_pages,
	.npages = sizeof vendor_pages / sizeof vendor_pages[0],
	.actions = vendor_actions,
	.nactions = sizeof vendor_actions / sizeof vendor_actions[0],
	.read = vendor_read,
	.write = vendor_write,
	.metrics = vendor_metrics,
	.subtitle = vendor_subtitle,
	.stop = vendor_stop,
};

obol_err obol_console_vendor_start(struct obol_vendor *v, const struct obol_console_config *cfg,
				   struct obol_console **out)
{
	char url[4200];
	struct vendor_console *vc = calloc(1, sizeof *vc);
	obol_err e;
	if (vc == NULL)
		return OBOL_E_NO_MEMORY;
	pthread_mutex_init(&vc->mu, NULL);
	vc->v = v;
	snprintf(vc->currency, sizeof vc->currency, "%s", obol_vendor_price(v)->currency);
	snprintf(url, sizeof url, "sqlite:%s/vendor.db", obol_vendor_dir(v));
	if ((e = obol_store_open(url, false, &vc->reader)) != OBOL_OK || (e = obol_console_migrate(vc->reader)) != OBOL_OK)
		goto fail;
	struct obol_console_config c = *cfg;
	if ((e = obol_console_start(&vendor_site, v, vc, &c, out)) != OBOL_OK)
		goto fail;
	return OBOL_OK;
fail:
	obol_store_close(vc->reader);
	pthread_mutex_destroy(&vc->mu);
	free(vc);
	return e;
}
