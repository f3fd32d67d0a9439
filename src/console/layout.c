/* What the console's pages share: headings, amounts, times, errors, paging,
 * the forms that start actions (console_int.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console/console_db.h"
#include "console/console_int.h"
#include "console/html.h"
#include "core/parse.h"

void obol_console_h1(struct obol_console_req *r, const char *title)
{
	r->title = title;
	obol_html_printf(&r->body, "<h1>%s</h1>", title);
}

void obol_console_csrf_field(struct obol_console_req *r)
{
	obol_html_printf(&r->body, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->session.csrf);
}

void obol_console_amount(struct obol_console_req *r, const struct obol_amount *a)
{
	char buf[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(a, buf);
	obol_html_printf(&r->body, "<span class=\"amt%s\">%s</span>", obol_amount_is_negative(a) ? " neg" : "", buf);
}

void obol_console_amount_units(struct obol_console_req *r, const char *currency, int64_t units)
{
	struct obol_amount a;
	if (obol_amount_from_units(currency, units, &a) == OBOL_OK)
		obol_console_amount(r, &a);
	else
		obol_html_printf(&r->body, "%lld units", (long long)units);
}

void obol_console_time(struct obol_console_req *r, int64_t t)
{
	char buf[40];
	struct tm tm;
	time_t tt = (time_t)t;
	if (t == 0 || gmtime_r(&tt, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		obol_buf_add(&r->body, "-");
		return;
	}
	obol_html_printf(&r->body, "<time>%s</time>", buf);
}

void obol_console_when(struct obol_console_req *r, int64_t t)
{
	int64_t d = t - r->now, a = d < 0 ? -d : d;
	const char *unit = "second";
	int64_t n = a;
	if (a >= 2 * 86400) {
		n = a / 86400;
		unit = "day";
	} else if (a >= 2 * 3600) {
		n = a / 3600;
		unit = "hour";
	} else if (a >= 120) {
		n = a / 60;
		unit = "minute";
	}
	if (a == 0) {
		obol_buf_add(&r->body, "now");
		return;
	}
	obol_html_printf(&r->body, d >= 0 ? "in %lld %s%s" : "%lld %s%s ago", (long long)n, unit, n == 1 ? "" : "s");
}

void obol_console_error_box(struct obol_console_req *r, obol_err e, const char *detail)
{
	obol_html_printf(&r->body, "<div class=\"error\" role=\"alert\"><strong>%s</strong>: %s", obol_strerror(e),
			 obol_errhint(e));
	if (detail != NULL && detail[0] != '\0')
		obol_html_printf(&r->body, " <span class=\"detail\">(%s)</span>", detail);
	obol_buf_add(&r->body, "</div>");
}

int64_t obol_console_page_offset(struct obol_console_req *r, int64_t per)
{
	const char *p = obol_http_req_query(r->http, "page");
	uint64_t n = 0;
	if (p == NULL || obol_parse_u64(p, 0, 1000000, &n) != OBOL_OK)
		n = 0;
	return (int64_t)n * per;
}

void obol_console_pager(struct obol_console_req *r, const char *path, const char *extra, int64_t offset, int64_t per,
			int64_t total)
{
	int64_t page = offset / per, pages = total > 0 ? (total + per - 1) / per : 1;
	obol_html_printf(&r->body, "<p class=\"pager\">%lld–%lld of %lld", (long long)(total > 0 ? offset + 1 : 0),
			 (long long)(offset + per < total ? offset + per : total), (long long)total);
	if (page > 0)
		obol_html_printf(&r->body, " <a href=\"%s?page=%lld%s\">previous</a>", path, (long long)(page - 1),
				 extra);
	if (page + 1 < pages)
		obol_html_printf(&r->body, " <a href=\"%s?page=%lld%s\">next</a>", path, (long long)(page + 1), extra);
	obol_buf_add(&r->body, "</p>");
}

static obol_err notice_one(void *ctx, const struct obol_console_action *a)
{
	struct obol_console_req *r = ctx;
	bool ok = strcmp(a->result, "OK") == 0;
	obol_html_printf(&r->body, "<div class=\"%s\" role=\"status\">%s %s: %s: <strong>%s</strong></div>",
			 ok ? "done" : "error", a->action, a->target, a->detail, a->result);
	return OBOL_OK;
}

void obol_console_action_notice(struct obol_console_req *r, struct obol_store *s)
{
	const char *q = obol_http_req_query(r->http, "action");
	uint64_t id = 0;
	if (q == NULL || obol_parse_u64(q, 1, INT64_MAX, &id) != OBOL_OK)
		return;
	if (obol_console_action_get(s, (int64_t)id, notice_one, r) != OBOL_OK)
		obol_buf_add(&r->body, "<div class=\"error\">no such action in the log</div>");
}

void obol_console_form_begin(struct obol_console_req *r, const char *action, const char *css)
{
	obol_html_printf(&r->body, "<form method=\"post\" action=\"/act/%s\" class=\"%s\">", action, css);
	obol_console_csrf_field(r);
}

void obol_console_form_end(struct obol_console_req *r, const char *button)
{
	obol_html_printf(&r->body, "<button type=\"submit\">%s</button></form>", button);
}

void obol_console_action_form(struct obol_console_req *r, const struct obol_console_action_def *def)
{
	obol_html_printf(&r->body, "<h2>%s</h2>", def->title);
	obol_console_form_begin(r, def->name, "inline");
	for (const char *const *f = def->fields; f != NULL && f[0] != NULL; f += 2)
		obol_html_printf(&r->body, "<label>%s <input name=\"%s\" required></label>", f[1], f[0]);
	obol_console_form_end(r, "Continue…");
}

obol_err obol_console_read(struct obol_console_req *r, obol_unit_fn fn, void *ctx)
{
	return r->c->site->read(r->c, fn, ctx);
}

obol_err obol_console_write(struct obol_console_req *r, obol_unit_fn fn, void *ctx)
{
	return r->c->site->write(r->c, fn, ctx);
}
