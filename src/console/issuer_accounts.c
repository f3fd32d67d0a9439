/* Accounts: the list (paged, searched by name), one account with its
 * journal (paged, searched by reason or reference), and the actions on
 * accounts: fund, pay out, open, close, suspend, reactivate. Funding and
 * payouts go through obol_issuer_move (src/issuer/moves.h), as `obol issuer
 * fund|payout` do: a bank reference given here and there moves the money
 * once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/html.h"
#include "console/issuer_console.h"
#include "core/parse.h"
#include "issuer/moves.h"
#include "store/ledger.h"

#define ACCOUNTS_PER_PAGE 50
#define LINES_PER_PAGE 50

static const char *kind_name(int64_t k)
{
	return k == OBOL_ACCOUNT_USER ? "user" : k == OBOL_ACCOUNT_VENDOR ? "vendor" : k == OBOL_ACCOUNT_OUTSIDE ? "outside"
		: k == OBOL_ACCOUNT_LIABILITY ? "liability" : "?";
}

static const char *status_name(int64_t st)
{
	return st == OBOL_ACCOUNT_ACTIVE ? "active" : st == OBOL_ACCOUNT_SUSPENDED ? "suspended" : "closed";
}

/* q as a LIKE pattern that matches it anywhere, with % _ and \ escaped. */
static char *like_pattern(const char *q)
{
	size_t n = strlen(q);
	char *p = malloc(2 * n + 3), *w = p;
	if (p == NULL)
		return NULL;
	*w++ = '%';
	for (size_t i = 0; i < n; i++) {
		if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
			*w++ = '\\';
		*w++ = q[i];
	}
	*w++ = '%';
	*w = '\0';
	return p;
}

/* ---- the list ---------------------------------------------------------------- */

struct list {
	struct obol_console_req *r;
	const char *q, *kind;
	int64_t kmin, kmax;
};

static obol_err list_read(struct obol_store *s, void *ctx)
{
	struct list *l = ctx;
	struct obol_console_req *r = l->r;
	struct obol_issuer_console *ic = obol_issuer_console_of(r);
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t total = 0, offset = obol_console_page_offset(r, ACCOUNTS_PER_PAGE);
	char *pat = like_pattern(l->q);
	obol_err e = pat != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	obol_console_action_notice(r, s);
	if (e == OBOL_OK)
		e = obol_stmt_prepare(s, "SELECT count(*) FROM accounts WHERE kind >= ? AND kind <= ?"
					 " AND lower(name) LIKE lower(?) ESCAPE '\\'", &st);
	if (e == OBOL_OK && (e = obol_stmt_bindf(st, "iit", l->kmin, l->kmax, pat)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		total = obol_stmt_column_int64(st, 0);
	if (st != NULL)
		obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		goto out;
	e = obol_stmt_prepare(s, "SELECT id, kind, status, name, balance FROM accounts WHERE kind >= ? AND kind <= ?"
				 " AND lower(name) LIKE lower(?) ESCAPE '\\' ORDER BY id LIMIT ? OFFSET ?", &st);
	if (e != OBOL_OK || (e = obol_stmt_bindf(st, "iitii", l->kmin, l->kmax, pat, (int64_t)ACCOUNTS_PER_PAGE,
					       offset)) != OBOL_OK)
		goto out;
	obol_buf_add(&r->body, "<div class=\"scroll\"><table class=\"accounts\"><thead><tr><th class=\"num\">id</th>"
			       "<th>name</th><th>kind</th><th>status</th><th class=\"num\">balance</th></tr></thead><tbody>");
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t id = obol_stmt_column_int64(st, 0);
		obol_html_printf(&r->body, "<tr><td class=\"num\">%lld</td><td><a href=\"/accounts/%lld\">%s</a></td>"
					   "<td>%s</td><td>%s</td><td class=\"num\">",
				 (long long)id, (long long)id, obol_stmt_column_text(st, 3),
				 kind_name(obol_stmt_column_int64(st, 1)), status_name(obol_stmt_column_int64(st, 2)));
		obol_console_amount_units(r, ic->currency, obol_stmt_column_int64(st, 4));
		obol_buf_add(&r->body, "</td></tr>");
	}
	obol_buf_add(&r->body, "</tbody></table></div>");
	if (e == OBOL_OK) {
		struct obol_buf extra = { 0 };
		obol_buf_add(&extra, "&q=");
		obol_html_url_arg(&extra, l->q);
		obol_buf_add(&extra, "&kind=");
		obol_html_url_arg(&extra, l->kind);
		e = obol_buf_error(&extra);
		if (e == OBOL_OK)
			obol_console_pager(r, "/accounts", extra.p, offset, ACCOUNTS_PER_PAGE, total);
		obol_buf_free(&extra);
	}
out:
	if (st != NULL)
		obol_stmt_finish(st);
	free(pat);
	return e;
}

obol_err obol_console_accounts(struct obol_console_req *r)
{
	const char *q = obol_http_req_query(r->http, "q"), *kind = obol_http_req_query(r->http, "kind");
	struct list l = { .r = r, .q = q != NULL ? q : "", .kind = kind != NULL ? kind : "",
			  .kmin = OBOL_ACCOUNT_USER, .kmax = OBOL_ACCOUNT_VENDOR };
	if (strcmp(l.kind, "user") == 0)
		l.kmax = OBOL_ACCOUNT_USER;
	else if (strcmp(l.kind, "vendor") == 0)
		l.kmin = OBOL_ACCOUNT_VENDOR;
	else if (strcmp(l.kind, "all") == 0)
		l.kmax = OBOL_ACCOUNT_LIABILITY;
	else
		l.kind = "";
	obol_console_h1(r, "Accounts");
	obol_html_printf(&r->body,
			 "<form method=\"get\" action=\"/accounts\" class=\"inline search\"><label>Name contains "
			 "<input name=\"q\" value=\"%s\" type=\"search\"></label><label>Kind <select name=\"kind\">"
			 "<option value=\"\"%s>users and vendors</option><option value=\"user\"%s>users</option>"
			 "<option value=\"vendor\"%s>vendors</option><option value=\"all\"%s>all, with the outside "
			 "and liability accounts</option></select></label><button type=\"submit\">Search</button></form>",
			 l.q, l.kind[0] == '\0' ? " selected" : "", strcmp(l.kind, "user") == 0 ? " selected" : "",
			 strcmp(l.kind, "vendor") == 0 ? " selected" : "", strcmp(l.kind, "all") == 0 ? " selected" : "");
	obol_err e = obol_console_read(r, list_read, &l);
	if (e != OBOL_OK)
		return e;
	obol_buf_add(&r->body, "<h2>Open an account</h2>");
	obol_console_form_begin(r, "open", "inline");
	obol_buf_add(&r->body, "<label>Kind <select name=\"kind\"><option value=\"user\">user</option>"
			       "<option value=\"vendor\">vendor</option></select></label>"
			       "<label>Name <input name=\"name\" required maxlength=\"64\"></label>"
			       "<label>Auth key (base64url, optional) <input name=\"auth_key\" class=\"mono\"></label>");
	obol_console_form_end(r, "Open…");
	obol_buf_add(&r->body, "<p class=\"hint\">A wallet's account key comes from <code>obol wallet init</code>; a "
			       "vendor's account is made with its certificate by <code>obol issuer vendor add</code>.</p>");
	return OBOL_OK;
}

/* ---- one account -------------------------------------------------------------- */

struct line {
	int64_t entry, created, amount;
	char reason[65], ref[257];
};

struct one {
	struct obol_console_req *r;
	int64_t id;
	const char *q;
};

static obol_err counterparts(struct obol_console_req *r, struct obol_store *s, int64_t entry, int64_t self)
{
	struct obol_issuer_console *ic = obol_issuer_console_of(r);
	struct obol_stmt *st = NULL;
	bool row = false, first = true;
	obol_err e = obol_stmt_prepare(s, "SELECT a.id, a.name, l.amount FROM journal_lines l JOIN accounts a"
					  " ON a.id = l.account_id WHERE l.entry_id = ? AND l.account_id <> ? ORDER BY l.line",
				       &st);
	if (e != OBOL_OK || (e = obol_stmt_bindf(st, "ii", entry, self)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t id = obol_stmt_column_int64(st, 0);
		obol_html_printf(&r->body, "%s<a href=\"/accounts/%lld\">%s</a> ", first ? "" : ", ", (long long)id,
				 obol_stmt_column_text(st, 1));
		obol_console_amount_units(r, ic->currency, obol_stmt_column_int64(st, 2));
		first = false;
	}
out:
	if (st != NULL)
		obol_stmt_finish(st);
	return e;
}

static obol_err journal(struct one *o, struct obol_store *s)
{
	struct obol_console_req *r = o->r;
	struct obol_issuer_console *ic = obol_issuer_console_of(r);
	struct obol_stmt *st = NULL;
	struct line lines[LINES_PER_PAGE];
	size_t n = 0;
	bool row = false;
	int64_t total = 0, offset = obol_console_page_offset(r, LINES_PER_PAGE);
	char *pat = like_pattern(o->q);
	obol_err e = pat != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_stmt_prepare(s, "SELECT count(*) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id"
					 " WHERE l.account_id = ? AND (lower(e.reason) LIKE lower(?) ESCAPE '\\'"
					 " OR lower(coalesce(e.ref, '')) LIKE lower(?) ESCAPE '\\')", &st);
	if (e == OBOL_OK && (e = obol_stmt_bindf(st, "itt", o->id, pat, pat)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		total = obol_stmt_column_int64(st, 0);
	if (st != NULL)
		obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		goto out;
	e = obol_stmt_prepare(s, "SELECT e.id, e.created, e.reason, coalesce(e.ref, ''), l.amount FROM journal_lines l"
				 " JOIN journal_entries e ON e.id = l.entry_id WHERE l.account_id = ? AND"
				 " (lower(e.reason) LIKE lower(?) ESCAPE '\\' OR lower(coalesce(e.ref, '')) LIKE lower(?)"
				 " ESCAPE '\\') ORDER BY e.id DESC, l.line LIMIT ? OFFSET ?", &st);
	if (e != OBOL_OK ||
	    (e = obol_stmt_bindf(st, "ittii", o->id, pat, pat, (int64_t)LINES_PER_PAGE, offset)) != OBOL_OK)
		goto out;
	while (n < LINES_PER_PAGE && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct line *ln = &lines[n++];
		ln->entry = obol_stmt_column_int64(st, 0);
		ln->created = obol_stmt_column_int64(st, 1);
		snprintf(ln->reason, sizeof ln->reason, "%s", obol_stmt_column_text(st, 2));
		snprintf(ln->ref, sizeof ln->ref, "%s", obol_stmt_column_text(st, 3));
		ln->amount = obol_stmt_column_int64(st, 4);
	}
	obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		goto out;
	obol_html_printf(&r->body,
			 "<h2>Journal</h2><form method=\"get\" action=\"/accounts/%lld\" class=\"inline search\">"
			 "<label>Reason or reference contains <input name=\"q\" type=\"search\" value=\"%s\"></label>"
			 "<button type=\"submit\">Search</button></form>"
			 "<div class=\"scroll\"><table class=\"journal\"><thead><tr><th class=\"num\">entry</th>"
			 "<th>when (UTC)</th><th>reason</th><th>reference</th><th class=\"num\">amount</th>"
			 "<th class=\"hide-narrow\">other side</th></tr></thead><tbody>",
			 (long long)o->id, o->q);
	for (size_t i = 0; i < n && e == OBOL_OK; i++) {
		obol_html_printf(&r->body, "<tr><td class=\"num\">%lld</td><td>", (long long)lines[i].entry);
		obol_console_time(r, lines[i].created);
		obol_html_printf(&r->body, "</td><td>%s</td><td class=\"mono\">%s</td><td class=\"num\">", lines[i].reason,
				 lines[i].ref);
		obol_console_amount_units(r, ic->currency, lines[i].amount);
		obol_buf_add(&r->body, "</td><td class=\"hide-narrow\">");
		e = counterparts(r, s, lines[i].entry, o->id);
		obol_buf_add(&r->body, "</td></tr>");
	}
	obol_buf_add(&r->body, "</tbody></table></div>");
	if (e == OBOL_OK) {
		char path[64];
		struct obol_buf extra = { 0 };
		snprintf(path, sizeof path, "/accounts/%lld", (long long)o->id);
		obol_buf_add(&extra, "&q=");
		obol_html_url_arg(&extra, o->q);
		if ((e = obol_buf_error(&extra)) == OBOL_OK)
			obol_console_pager(r, path, extra.p, offset, LINES_PER_PAGE, total);
		obol_buf_free(&extra);
	}
out:
	if (st != NULL)
		obol_stmt_finish(st);
	free(pat);
	return e;
}

/* A form of one action on this account. */
static void account_form(struct obol_console_req *r, const char *action, int64_t id, bool amount, const char *button,
			 const char *css)
{
	obol_console_form_begin(r, action, css);
	obol_html_printf(&r->body, "<input type=\"hidden\" name=\"account\" value=\"%lld\">", (long long)id);
	if (amount)
		obol_buf_add(&r->body, "<label>Amount <input name=\"amount\" required placeholder=\"10 or EUR:10\"></label>"
				       "<label>Bank reference (optional) <input name=\"ref\" maxlength=\"200\"></label>");
	obol_console_form_end(r, button);
}

static obol_err one_read(struct obol_store *s, void *ctx)
{
	struct one *o = ctx;
	struct obol_console_req *r = o->r;
	struct obol_account a;
	char pk[OBOL_B64_LEN(32)] = "-";
	obol_err e = obol_account_get(s, o->id, &a);
	if (e != OBOL_OK)
		return e;
	if (a.has_auth_pk && (e = obol_b64_encode(a.auth_pk, 32, pk, sizeof pk)) != OBOL_OK)
		return e;
	r->title = "Account";
	obol_html_printf(&r->body, "<h1>Account %lld: %s</h1>", (long long)a.id, a.name);
	obol_console_action_notice(r, s);
	obol_html_printf(&r->body,
			 "<div class=\"cards\"><div class=\"card\"><div class=\"label\">balance</div><div class=\"value\">");
	obol_console_amount(r, &a.balance);
	obol_html_printf(&r->body,
			 "</div></div><div class=\"card\"><div class=\"label\">kind</div><div class=\"value\">%s</div>"
			 "</div><div class=\"card\"><div class=\"label\">status</div><div class=\"value %s\">%s</div>"
			 "</div></div><p>Auth key: <code>%s</code></p>",
			 kind_name(a.kind), a.status == OBOL_ACCOUNT_ACTIVE ? "ok" : "bad", status_name(a.status), pk);
	if (a.kind == OBOL_ACCOUNT_USER || a.kind == OBOL_ACCOUNT_VENDOR) {
		obol_buf_add(&r->body, "<h2>Act</h2>");
		if (a.status == OBOL_ACCOUNT_ACTIVE) {
			account_form(r, "fund", a.id, true, "Fund…", "inline");
			account_form(r, "payout", a.id, true, "Pay out…", "inline");
			account_form(r, "suspend", a.id, false, "Suspend…", "inline");
		} else if (a.status == OBOL_ACCOUNT_SUSPENDED) {
			account_form(r, "reactivate", a.id, false, "Reactivate…", "inline");
		}
		if (a.status != OBOL_ACCOUNT_CLOSED)
			account_form(r, "close", a.id, false, "Close…", "inline");
	}
	return journal(o, s);
}

obol_err obol_console_account(struct obol_console_req *r)
{
	uint64_t id = 0;
	const char *q = obol_http_req_query(r->http, "q");
	if (obol_parse_u64(r->tail, 1, INT64_MAX, &id) != OBOL_OK)
		return OBOL_E_HTTP_NOT_FOUND;
	struct one o = { .r = r, .id = (int64_t)id, .q = q != NULL ? q : "" };
	return obol_console_read(r, one_read, &o);
}

/* ---- actions ------------------------------------------------------------------- */

/* The account a form names (field "account"), a user or vendor one. */
static obol_err form_account(struct obol_store *s, const struct obol_form *f, struct obol_console_plan *plan,
			     struct obol_account *a)
{
	uint64_t id = 0;
	const char *text = obol_form_get(f, "account");
	if (text == NULL || obol_parse_u64(text, 1, INT64_MAX, &id) != OBOL_OK)
		return OBOL_E_LEDGER_ACCOUNT_UNKNOWN;
	obol_err e = obol_account_get(s, (int64_t)id, a);
	if (e != OBOL_OK)
		return e;
	plan->account = a->id;
	snprintf(plan->target, sizeof plan->target, "account %lld (%s)", (long long)a->id, a->name);
	snprintf(plan->back, sizeof plan->back, "/accounts/%lld", (long long)a->id);
	if (a->kind != OBOL_ACCOUNT_USER && a->kind != OBOL_ACCOUNT_VENDOR)
		return OBOL_E_INVALID_ARGUMENT;
	return OBOL_OK;
}

static obol_err move_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
			     struct obol_console_plan *plan, bool fund)
{
	struct obol_issuer_console *ic = obol_issuer_console_of(r);
	struct obol_account a;
	char text[OBOL_AMOUNT_STR_MAX + 16], amt[OBOL_AMOUNT_STR_MAX];
	const char *amount = obol_form_get(f, "amount"), *ref = obol_form_get(f, "ref");
	obol_err e = form_account(s, f, plan, &a);
	if (e != OBOL_OK)
		return e;
	if (amount == NULL || amount[0] == '\0')
		return OBOL_E_AMOUNT_SYNTAX;
	/* "10" is in the ledger's currency */
	snprintf(text, sizeof text, strchr(amount, ':') != NULL ? "%s%s" : "%s:%s",
		 strchr(amount, ':') != NULL ? "" : ic->currency, amount);
	if ((e = obol_amount_parse(text, &plan->amount)) != OBOL_OK)
		return e;
	if (strcmp(plan->amount.currency, ic->currency) != 0)
		return OBOL_E_LEDGER_CURRENCY;
	if (obol_amount_is_zero(&plan->amount))
		return OBOL_E_AMOUNT_SYNTAX;
	if (ref != NULL && strlen(ref) >= OBOL_MOVE_REF_MAX)
		return OBOL_E_PARSE_TOO_LONG;
	snprintf(plan->text, sizeof plan->text, "%s", ref != NULL ? ref : "");
	obol_amount_format(&plan->amount, amt);
	if (fund)
		snprintf(plan->detail, sizeof plan->detail, "fund %s to %s%s%s", amt, a.name,
			 plan->text[0] != '\0' ? ", bank reference " : "", plan->text);
	else
		snprintf(plan->detail, sizeof plan->detail, "pay %s out of %s%s%s", amt, a.name,
			 plan->text[0] != '\0' ? ", bank reference " : "", plan->text);
	return OBOL_OK;
}

static obol_err move_apply(struct obol_console_plan *plan, struct obol_store *s, bool fund)
{
	char *reply = NULL;
	bool repeated = false;
	struct obol_move m = { .fund = fund, .account = plan->account, .amount = plan->amount,
			       .ref = plan->text[0] != '\0' ? plan->text : NULL, .journal_ref = plan->nonce_ref };
	obol_err e = obol_issuer_move(s, &m, &reply, &repeated);
	if (e == OBOL_OK)
		snprintf(plan->result, sizeof plan->result, "%s%s", reply,
			 repeated ? " (that bank reference was recorded before: nothing moved)" : "");
	free(reply);
	return e;
}

static obol_err fund_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
			     struct obol_console_plan *plan)
{
	return move_prepare(r, s, f, plan, true);
}

static obol_err fund_apply(struct obol_console_req *r, struct obol_store *s, struct obol_console_plan *plan)
{
	(void)r;
	return move_apply(plan, s, true);
}

static obol_err payout_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
			       struct obol_console_plan *plan)
{
	return move_prepare(r, s, f, plan, false);
}

static obol_err payout_apply(struct obol_console_req *r, struct obol_store *s, struct obol_console_plan *plan)
{
	(void)r;
	return move_apply(plan, s, false);
}

const struct obol_console_action_def obol_console_fund = { "fund", "Fund an account", NULL, fund_prepare, fund_apply };
const struct obol_console_action_def obol_console_payout = { "payout", "Pay out of an account", NULL, payout_prepare,
							     payout_apply };

static obol_err open_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
			     struct obol_console_plan *plan)
{
	const char *kind = obol_form_get(f, "kind"), *name = obol_form_get(f, "name"), *key = obol_form_get(f, "auth_key");
	struct obol_account a;
	uint8_t pk[32];
	size_t n = 0;
	(void)r;
	snprintf(plan->back, sizeof plan->back, "/accounts");
	if (kind == NULL || (strcmp(kind, "user") != 0 && strcmp(kind, "vendor") != 0))
		return OBOL_E_INVALID_ARGUMENT;
	if (name == NULL || strlen(name) > OBOL_ACCOUNT_NAME_MAX)
		return OBOL_E_LEDGER_NAME_INVALID;
	if (key != NULL && key[0] != '\0' && obol_b64_decode(key, pk, sizeof pk, &n, 1) != OBOL_OK)
		return OBOL_E_KEY_INVALID;
	obol_err e = obol_account_by_name(s, name, &a);
	if (e == OBOL_OK)
		return OBOL_E_LEDGER_NAME_TAKEN;
	if (e != OBOL_E_LEDGER_ACCOUNT_UNKNOWN && e != OBOL_E_NOT_FOUND)
		return e;
	snprintf(plan->text, sizeof plan->text, "%s", name);
	snprintf(plan->text2, sizeof plan->text2, "%s", key != NULL ? key : "");
	plan->account = strcmp(kind, "user") == 0 ? OBOL_ACCOUNT_USER : OBOL_ACCOUNT_VENDOR;
	snprintf(plan->target, sizeof plan->target, "new %s account %s", kind, name);
	snprintf(plan->detail, sizeof plan->detail, "open a %s account named %s, %s", kind, name,
		 plan->text2[0] != '\0' ? "with the auth key given" : "without an auth key (it cannot make requests)");
	return OBOL_OK;
}

static obol_err open_apply(struct obol_console_req *r, struct obol_store *s, struct obol_console_plan *plan)
{
	uint8_t pk[32];
	size_t n = 0;
	int64_t id = 0;
	(void)r;
	if (plan->text2[0] != '\0' && obol_b64_decode(plan->text2, pk, sizeof pk, &n, 1) != OBOL_OK)
		return OBOL_E_KEY_INVALID;
	obol_err e = obol_account_create(s, (enum obol_account_kind)plan->account, plan->text,
					 plan->text2[0] != '\0' ? pk : NULL, &id);
	if (e == OBOL_OK) {
		snprintf(plan->result, sizeof plan->result, "account %lld", (long long)id);
		snprintf(plan->back, sizeof plan->back, "/accounts/%lld", (long long)id);
	}
	return e;
}

const struct obol_console_action_def obol_console_open = { "open", "Open an account", NULL, open_prepare, open_apply };

/* close, suspend, reactivate: a status change */
static obol_err status_prepare(struct obol_store *s, const struct obol_form *f, struct obol_console_plan *plan,
			       enum obol_account_status to)
{
	struct obol_account a;
	obol_err e = form_account(s, f, plan, &a);
	if (e != OBOL_OK)
		return e;
	plan->number = to;
	if (a.status == OBOL_ACCOUNT_CLOSED || a.status == to)
		return OBOL_E_LEDGER_ACCOUNT_CLOSED;
	if (to == OBOL_ACCOUNT_ACTIVE && a.status != OBOL_ACCOUNT_SUSPENDED)
		return OBOL_E_INVALID_ARGUMENT;
	if (to == OBOL_ACCOUNT_CLOSED && !obol_amount_is_zero(&a.balance))
		return OBOL_E_ACCOUNT_NOT_EMPTY;
	if (to == OBOL_ACCOUNT_CLOSED)
		snprintf(plan->detail, sizeof plan->detail,
			 "close %s for good: its requests are refused from now on, also those that would return coins, "
			 "chains or a Codex to it",
			 a.name);
	else if (to == OBOL_ACCOUNT_SUSPENDED)
		snprintf(plan->detail, sizeof plan->detail,
			 "suspend %s: its requests are refused (LEDGER_ACCOUNT_CLOSED) until it is reactivated", a.name);
	else
		snprintf(plan->detail, sizeof plan->detail, "reactivate %s: its requests are served again", a.name);
	return OBOL_OK;
}

static obol_err status_apply(struct obol_console_req *r, struct obol_store *s, struct obol_console_plan *plan)
{
	struct obol_account a;
	(void)r;
	obol_err e = obol_account_get(s, plan->account, &a);
	if (e != OBOL_OK)
		return e;
	/* What prepare saw may have moved since: the same checks, in the unit. */
	if (a.status == OBOL_ACCOUNT_CLOSED)
		return OBOL_E_LEDGER_ACCOUNT_CLOSED;
	if (plan->number == OBOL_ACCOUNT_CLOSED && !obol_amount_is_zero(&a.balance))
		return OBOL_E_ACCOUNT_NOT_EMPTY;
	return obol_account_set_status(s, plan->account, (enum obol_account_status)plan->number);
}

static obol_err close_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
			      struct obol_console_plan *plan)
{
	(void)r;
	return status_prepare(s, f, plan, OBOL_ACCOUNT_CLOSED);
}

static obol_err suspend_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
				struct obol_console_plan *plan)
{
	(void)r;
	return status_prepare(s, f, plan, OBOL_ACCOUNT_SUSPENDED);
}

static obol_err reactivate_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
				   struct obol_console_plan *plan)
{
	(void)r;
	return status_prepare(s, f, plan, OBOL_ACCOUNT_ACTIVE);
}

const struct obol_console_action_def obol_console_close = { "close", "Close an account", NULL, close_prepare, status_apply };
const struct obol_console_action_def obol_console_suspend = { "suspend", "Suspend an account", NULL, suspend_prepare,
							      status_apply };
const struct obol_console_action_def obol_console_reactivate = { "reactivate", "Reactivate an account", NULL,
								 reactivate_prepare, status_apply };
