/* Actions an operator confirms before they run, and their audit log
 * (console_int.h, console_db.h).
 *
 *   POST /act/NAME  the form of a page: prepare() reads and checks it and
 *                   says what will happen; the answer is a confirmation page
 *                   that repeats the form's fields with a fresh nonce;
 *   POST /do/NAME   the confirmation: prepare() again (what it read may have
 *                   moved), then one durable unit of work logs the action
 *                   under its nonce and applies it. A nonce already in the
 *                   log acts nothing (the confirmation was sent twice); an
 *                   action that fails is logged with its error, in a unit of
 *                   its own. The answer is a redirect to the page the action
 *                   belongs to, which shows its line of the log.
 *
 * Both come through the console's session and CSRF checks first
 * (server.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_db.h"
#include "console/console_int.h"
#include "console/html.h"
#include "core/parse.h"
#include "core/log.h"

static const struct obol_console_action_def *find_action(const struct obol_console_site *site, const char *name)
{
	for (size_t i = 0; i < site->nactions; i++)
		if (strcmp(site->actions[i]->name, name) == 0)
			return site->actions[i];
	return NULL;
}

struct prepare {
	struct obol_console_req *r;
	const struct obol_console_action_def *def;
	struct obol_console_plan *plan;
};

static obol_err prepare_read(struct obol_store *s, void *ctx)
{
	struct prepare *p = ctx;
	return p->def->prepare(p->r, s, &p->r->form, p->plan);
}

struct apply {
	struct obol_console_req *r;
	const struct obol_console_action_def *def;
	struct obol_console_plan *plan;
	const char *nonce;
	obol_err failed; /* OBOL_OK: apply; else log this failure */
	int64_t id;
};

static obol_err apply_unit(struct obol_store *s, void *ctx)
{
	struct apply *a = ctx;
	char result[64];
	snprintf(result, sizeof result, "%s", obol_strerror(a->failed));
	struct obol_console_action line = { .nonce = a->nonce, .operator = a->r->session.user,
					    .action = a->def->name, .target = a->plan->target,
					    .detail = a->plan->detail, .result = result };
	a->plan->result[0] = '\0';
	obol_err e = obol_console_action_log(s, &line, a->r->now, &a->id);
	if (e != OBOL_OK || a->failed != OBOL_OK)
		return e;
	if ((e = a->def->apply(a->r, s, a->plan)) != OBOL_OK)
		return e;
	if (a->plan->result[0] != '\0') {
		/* apply said more than OK (a new account's id): the log keeps it */
		char text[sizeof a->plan->detail + sizeof a->plan->result + 4];
		snprintf(text, sizeof text, "%s; %s", a->plan->detail, a->plan->result);
		e = obol_store_run(s, NULL, "UPDATE console_actions SET detail = ? WHERE id = ?", "ti", text, a->id);
	}
	return e;
}

struct nonce_read {
	const char *nonce;
	int64_t id;
};

static obol_err nonce_read(struct obol_store *s, void *ctx)
{
	struct nonce_read *n = ctx;
	return obol_console_action_by_nonce(s, n->nonce, &n->id);
}

/* The confirmation page: what will happen, the form's fields again, a
 * nonce, Confirm and Cancel. */
static void confirm_page(struct obol_console_req *r, const struct obol_console_action_def *def,
			 const struct obol_console_plan *plan)
{
	char nonce[OBOL_CONSOLE_NONCE_TEXT];
	obol_console_nonce(nonce);
	r->title = def->title;
	obol_html_printf(&r->body,
			 "<h1>Confirm: %s</h1><section class=\"confirm\"><p class=\"what\">%s</p>"
			 "<form method=\"post\" action=\"/do/%s\">",
			 def->title, plan->detail, def->name);
	obol_console_csrf_field(r);
	obol_html_printf(&r->body, "<input type=\"hidden\" name=\"nonce\" value=\"%s\">", nonce);
	for (size_t i = 0; i < r->form.n; i++) {
		if (strcmp(r->form.key[i], "csrf") == 0 || strcmp(r->form.key[i], "nonce") == 0)
			continue;
		obol_html_printf(&r->body, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", r->form.key[i],
				 r->form.value[i]);
	}
	obol_html_printf(&r->body,
			 "<button type=\"submit\" class=\"confirm\">Confirm</button> <a class=\"cancel\" href=\"%s\">"
			 "Cancel</a></form></section>",
			 plan->back[0] != '\0' ? plan->back : "/");
}

static obol_err back_to(struct obol_console_req *r, const struct obol_console_plan *plan, int64_t id)
{
	const char *back = plan->back[0] != '\0' ? plan->back : "/log";
	if (asprintf(&r->redirect, "%s%saction=%lld", back, strchr(back, '?') != NULL ? "&" : "?", (long long)id) < 0) {
		r->redirect = NULL;
		return OBOL_E_NO_MEMORY;
	}
	return OBOL_OK;
}

obol_err obol_console_act(struct obol_console_req *r, const char *name, bool confirmed)
{
	const struct obol_console_action_def *def = find_action(r->c->site, name);
	struct obol_console_plan plan;
	memset(&plan, 0, sizeof plan);
	if (def == NULL)
		return OBOL_E_HTTP_NOT_FOUND;
	struct prepare p = { .r = r, .def = def, .plan = &plan };
	obol_err e = obol_console_read(r, prepare_read, &p);
	if (e != OBOL_OK && !confirmed) {
		r->title = def->title;
		obol_html_printf(&r->body, "<h1>%s</h1>", def->title);
		obol_console_error_box(r, e, plan.detail);
		obol_html_printf(&r->body, "<p><a href=\"%s\">Back</a></p>", plan.back[0] != '\0' ? plan.back : "/");
		r->status = obol_errhttp(e);
		return OBOL_OK;
	}
	if (!confirmed) {
		confirm_page(r, def, &plan);
		return OBOL_OK;
	}
	/* The nonce is the confirmation page's own: 16 random bytes, base64. */
	const char *nonce = obol_form_get(&r->form, "nonce");
	uint8_t raw[16];
	size_t raw_len = 0;
	if (nonce == NULL || obol_b64_decode(nonce, raw, sizeof raw, &raw_len, 1) != OBOL_OK || raw_len != sizeof raw)
		return OBOL_E_CONSOLE_CSRF;
	if (plan.target[0] == '\0')
		snprintf(plan.target, sizeof plan.target, "%s", "-");
	snprintf(plan.nonce_ref, sizeof plan.nonce_ref, "console:%s", nonce);
	struct apply a = { .r = r, .def = def, .plan = &plan, .nonce = nonce, .failed = e };
	if (e == OBOL_OK)
		e = obol_console_write(r, apply_unit, &a);
	if (e == OBOL_E_CONSOLE_ACTION_REPEATED) {
		/* The confirmation came again: show what the first one did. */
		struct nonce_read n = { .nonce = nonce };
		if ((e = obol_console_read(r, nonce_read, &n)) != OBOL_OK)
			return e;
		return back_to(r, &plan, n.id);
	}
	if (e != OBOL_OK) {
		obol_log_warn("console: %s by '%s' on %s: %s", def->name, r->session.user, plan.target, obol_strerror(e));
		a.failed = e;
		obol_err le = obol_console_write(r, apply_unit, &a);
		if (le != OBOL_OK && le != OBOL_E_CONSOLE_ACTION_REPEATED)
			return le;
		if (le == OBOL_E_CONSOLE_ACTION_REPEATED) {
			struct nonce_read n = { .nonce = nonce };
			if ((e = obol_console_read(r, nonce_read, &n)) != OBOL_OK)
				return e;
			a.id = n.id;
		}
	} else {
		obol_log_info("console: %s by '%s' on %s: %s", def->name, r->session.user, plan.target, plan.detail);
	}
	return back_to(r, &plan, a.id);
}

/* ---- the audit log page -------------------------------------------------------- */

#define LOG_PER_PAGE 50

static obol_err log_row(void *ctx, const struct obol_console_action *a)
{
	struct obol_console_req *r = ctx;
	obol_html_printf(&r->body, "<tr id=\"action-%lld\"><td>%lld</td><td>", (long long)a->id, (long long)a->id);
	obol_console_time(r, a->at);
	obol_html_printf(&r->body, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"%s\">%s</td></tr>",
			 a->operator, a->action, a->target, a->detail, strcmp(a->result, "OK") == 0 ? "ok" : "bad",
			 a->result);
	return OBOL_OK;
}

static obol_err log_read(struct obol_store *s, void *ctx)
{
	struct obol_console_req *r = ctx;
	int64_t offset = obol_console_page_offset(r, LOG_PER_PAGE), total = 0;
	obol_console_action_notice(r, s);
	obol_buf_add(&r->body, "<div class=\"scroll\"><table class=\"log\"><thead><tr><th>#</th><th>when (UTC)</th>"
			       "<th>operator</th><th>action</th><th>on</th><th>what</th><th>result</th></tr></thead>"
			       "<tbody>");
	obol_err e = obol_console_action_list(s, offset, LOG_PER_PAGE, log_row, r, &total);
	obol_buf_add(&r->body, "</tbody></table></div>");
	obol_console_pager(r, "/log", "", offset, LOG_PER_PAGE, total);
	return e;
}

obol_err obol_console_log_page(struct obol_console_req *r)
{
	obol_console_h1(r, "Audit log");
	obol_buf_add(&r->body, "<p class=\"hint\">Every login, logout and action through this console, newest first. "
			       "Money moved by an action is also in the ledger's journal.</p>");
	return obol_console_read(r, log_read, r);
}
