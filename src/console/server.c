/* The console's listener: routing to pages, the login and its limits,
 * sessions and CSRF, the security headers of every answer, /metrics and the
 * built-in assets (console.h, console_int.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console/console_db.h"
#include "console/console_int.h"
#include "console/html.h"
#include "console/metrics.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/version.h"
#include "crypto/secret.h"
#include "issuer/work_gate.h"

/* No script, style, image, form target or frame but the console's own; no
 * inline script or style at all. */
#define CSP                                                                                                    \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "       \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

#define COOKIE_SESSION "obol_console"
#define COOKIE_PRE "obol_pre"

/* ---- answers ---------------------------------------------------------------- */

/* The cookie names: with TLS the __Host- prefix (RFC 6265bis §4.1.3.2: only
 * Secure, only this host, path /). */
static void cookie_name(const struct obol_console *c, const char *base, char out[64])
{
	snprintf(out, 64, "%s%s", c->tls ? "__Host-" : "", base);
}

/* Appends a Set-Cookie header; value NULL clears the cookie. */
static void set_cookie(struct obol_console_req *r, struct obol_buf *h, const char *base, const char *value)
{
	char name[64];
	cookie_name(r->c, base, name);
	obol_buf_printf(h, "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Strict%s%s\n", name,
			value != NULL ? value : "", r->c->tls ? "; Secure" : "", value != NULL ? "" : "; Max-Age=0");
}

/* The headers of every answer: CSP, no framing, no sniffing, no referrer
 * to another site (same-origin, not no-referrer: under no-referrer Chromium
 * sends "Origin: null" with the console's own forms), no caching of pages
 * (they show the books). */
static void security_headers(const struct obol_console *c, struct obol_buf *h, bool cacheable)
{
	obol_buf_add(h, "Content-Security-Policy: " CSP "\n"
			"X-Frame-Options: DENY\n"
			"X-Content-Type-Options: nosniff\n"
			"Referrer-Policy: same-origin\n"
			"Cross-Origin-Opener-Policy: same-origin\n"
			"Cross-Origin-Resource-Policy: same-origin\n");
	obol_buf_add(h, cacheable ? "Cache-Control: max-age=3600\n" : "Cache-Control: no-store\n");
	if (c->tls)
		obol_buf_add(h, "Strict-Transport-Security: max-age=31536000\n");
}

/* Puts text (owned by the buffer) in the reply with its headers. */
static obol_err send_text(struct obol_console_req *r, struct obol_buf *text, struct obol_buf *headers,
			  const char *type, unsigned status, bool cacheable)
{
	size_t len = 0;
	security_headers(r->c, headers, cacheable);
	obol_err e = obol_buf_error(headers);
	if (e == OBOL_OK)
		e = obol_buf_error(text);
	if (e != OBOL_OK)
		return e;
	r->rep->raw = (uint8_t *)obol_buf_take(text, &len);
	r->rep->raw_len = len;
	r->rep->content_type = type;
	r->rep->status = status;
	r->rep->headers = obol_buf_take(headers, &len);
	return r->rep->raw != NULL && r->rep->headers != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static const char *nav_href(const struct obol_console_page *p)
{
	return p->path;
}

/* The page around r->body. */
static void layout(struct obol_console_req *r, struct obol_buf *out, bool logged_in)
{
	const struct obol_console_site *site = r->c->site;
	obol_html_printf(out,
			 "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
			 "<title>%s · obol %s</title><link rel=\"stylesheet\" href=\"/static/console.css\">"
			 "<script src=\"/static/console.js\" defer></script></head><body>"
			 "<header><div class=\"top\"><a class=\"brand\" href=\"/\">obol %s</a> <span class=\"sub\">",
			 r->title != NULL ? r->title : "", site->kind, site->kind);
	if (site->subtitle != NULL)
		site->subtitle(r->c, out);
	obol_buf_add(out, "</span>");
	if (logged_in) {
		obol_html_printf(out, "<form class=\"logout\" method=\"post\" action=\"/logout\">"
				      "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
				      "<button type=\"submit\">Log out %s</button></form>",
				 r->session.csrf, r->session.user);
	}
	obol_buf_add(out, "</div>");
	if (logged_in) {
		obol_buf_add(out, "<nav>");
		for (size_t i = 0; i < site->npages; i++) {
			const struct obol_console_page *p = &site->pages[i];
			if (p->nav == NULL)
				continue;
			bool here = strcmp(r->http->path, p->path) == 0 ||
				    (strlen(p->path) > 1 && strncmp(r->http->path, p->path, strlen(p->path)) == 0);
			obol_html_printf(out, here ? "<a href=\"%s\" class=\"here\">%s</a>" : "<a href=\"%s\">%s</a>",
					 nav_href(p), p->nav);
		}
		obol_buf_add(out, "</nav>");
	}
	obol_buf_add(out, "</header><main>");
	if (r->body.p != NULL)
		obol_buf_addn(out, r->body.p, r->body.len);
	obol_html_printf(out, "</main><footer>obol %s · %s</footer></body></html>\n", OBOL_VERSION,
			 r->c->tls ? "HTTPS" : "HTTP on loopback");
	if (r->body.failed)
		out->failed = true;
}

/* Finishes a page: the layout, or the redirect. */
static obol_err send_page(struct obol_console_req *r, bool logged_in, struct obol_buf *headers)
{
	struct obol_buf out = { 0 };
	if (r->redirect != NULL) {
		obol_buf_printf(headers, "Location: %s\n", r->redirect);
		obol_buf_add(&out, "");
		return send_text(r, &out, headers, "text/plain; charset=utf-8", 303, false);
	}
	layout(r, &out, logged_in);
	obol_err e = send_text(r, &out, headers, "text/html; charset=utf-8", r->status != 0 ? r->status : 200, false);
	obol_buf_free(&out);
	return e;
}

/* An error page: the error's name and hint. */
static obol_err send_error_page(struct obol_console_req *r, obol_err err, const char *detail, bool logged_in,
				struct obol_buf *headers)
{
	obol_buf_free(&r->body);
	free(r->redirect);
	r->redirect = NULL;
	r->title = obol_strerror(err);
	obol_console_error_box(r, err, detail);
	if (!logged_in)
		obol_buf_add(&r->body, "<p><a href=\"/login\">Log in</a></p>");
	r->status = obol_errhttp(err);
	return send_page(r, logged_in, headers);
}

/* ---- who is asking ------------------------------------------------------------ */

/* On plain HTTP the Host must be an address or localhost: a page of another
 * site whose name an attacker points at 127.0.0.1 (DNS rebinding) cannot
 * then read what the console answers without a session. With TLS the
 * certificate's name does that. */
static bool host_ok(const struct obol_console_req *r)
{
	const char *host = obol_http_req_header(r->http, "Host");
	char name[256];
	struct in_addr a;
	if (r->c->tls)
		return true;
	if (host == NULL)
		return false;
	size_t n = strcspn(host, ":");
	if (n == 0 || n >= sizeof name)
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	return strcasecmp(name, "localhost") == 0 || inet_pton(AF_INET, name, &a) == 1;
}

/* A POST from another origin is refused whatever it carries: the browser
 * names the page's origin (Origin, RFC 6454) or its relation to the
 * console (Sec-Fetch-Site). Requests without either (old browsers, curl)
 * still need the session's CSRF token. */
static bool same_origin(const struct obol_console_req *r)
{
	const char *origin = obol_http_req_header(r->http, "Origin");
	const char *site = obol_http_req_header(r->http, "Sec-Fetch-Site");
	const char *host = obol_http_req_header(r->http, "Host");
	char want[300];
	if (site != NULL && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return false;
	if (origin == NULL)
		return true;
	if (host == NULL)
		return false;
	snprintf(want, sizeof want, "%s://%s", r->c->tls ? "https" : "http", host);
	return strcmp(origin, want) == 0;
}

struct fp_read {
	const char *user;
	char pwhash[OBOL_CONSOLE_PWHASH_MAX];
};

static obol_err fp_read(struct obol_store *s, void *ctx)
{
	struct fp_read *f = ctx;
	return obol_console_operator_get(s, f->user, f->pwhash);
}

/* The session the request's cookie names, still valid for its operator:
 * CONSOLE_SESSION otherwise. */
static obol_err find_session(struct obol_console_req *r)
{
	char name[64], token[OBOL_SESSION_TOKEN_TEXT + 1];
	uint8_t fp[32];
	cookie_name(r->c, COOKIE_SESSION, name);
	if (!obol_cookie_get(obol_http_req_header(r->http, "Cookie"), name, token, sizeof token))
		return OBOL_E_CONSOLE_SESSION;
	obol_err e = obol_session_find(r->c->sessions, token, r->now, &r->session);
	if (e != OBOL_OK)
		goto out;
	struct fp_read f = { .user = r->session.user };
	e = r->c->site->read(r->c, fp_read, &f);
	if (e == OBOL_OK) {
		obol_console_pwhash_fp(f.pwhash, fp);
		if (!obol_ct_equal(fp, r->session.user_fp, sizeof fp))
			e = OBOL_E_CONSOLE_SESSION;
	} else if (e == OBOL_E_CONSOLE_OPERATOR_UNKNOWN) {
		e = OBOL_E_CONSOLE_SESSION;
	}
	if (e == OBOL_E_CONSOLE_SESSION)
		obol_session_end(r->c->sessions, token);
	OBOL_WIPE(f);
out:
	OBOL_WIPE(token);
	return e;
}

/* ---- login and logout ----------------------------------------------------------- */

/* The login form. Its hidden "pre" field repeats the pre-login cookie, which
 * only a page of the console can read back (login CSRF); a cookie the
 * browser has already is kept, so that a second tab or a request the
 * browser makes on its own does not stale the first form. */
static void login_form(struct obol_console_req *r, struct obol_buf *headers, const char *name, obol_err why)
{
	uint8_t raw[16];
	char pre[OBOL_B64_LEN(16)], cname[64];
	size_t n = 0;
	cookie_name(r->c, COOKIE_PRE, cname);
	if (!obol_cookie_get(obol_http_req_header(r->http, "Cookie"), cname, pre, sizeof pre) ||
	    obol_b64_decode(pre, raw, sizeof raw, &n, 1) != OBOL_OK) {
		obol_random(raw, sizeof raw);
		if (obol_b64_encode(raw, sizeof raw, pre, sizeof pre) != OBOL_OK)
			pre[0] = '\0';
		set_cookie(r, headers, COOKIE_PRE, pre);
	}
	r->title = "Log in";
	obol_html_printf(&r->body, "<section class=\"login\"><h1>Log in to the %s console</h1>", r->c->site->kind);
	if (why != OBOL_OK)
		obol_console_error_box(r, why, NULL);
	obol_html_printf(&r->body,
			 "<form method=\"post\" action=\"/login\">"
			 "<input type=\"hidden\" name=\"pre\" value=\"%s\">"
			 "<label>Operator <input name=\"name\" autocomplete=\"username\" required value=\"%s\"></label>"
			 "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" "
			 "required></label><button type=\"submit\">Log in</button></form>"
			 "<p class=\"hint\">Operators are added with <code>obol %s console-user add</code>.</p></section>",
			 pre, name != NULL ? name : "", r->c->site->kind);
}

struct login_log {
	const char *user, *action;
};

static obol_err login_log(struct obol_store *s, void *ctx)
{
	struct login_log *l = ctx;
	char nonce[OBOL_CONSOLE_NONCE_TEXT];
	obol_console_nonce(nonce);
	struct obol_console_action a = { .nonce = nonce, .operator = l->user, .action = l->action, .target = "console",
					 .detail = "", .result = "OK" };
	return obol_console_action_log(s, &a, obol_now(), NULL);
}

/* A stored hash to check a password against when the name is unknown, so
 * that the answer takes as long as for a known name. */
static const char *dummy_hash(struct obol_console *c)
{
	static char dummy[OBOL_CONSOLE_PWHASH_MAX];
	if (dummy[0] == '\0') {
		char pw[OBOL_CONSOLE_PASSWORD_GEN];
		obol_console_password_generate(pw);
		if (obol_console_password_hash(pw, dummy) != OBOL_OK)
			dummy[0] = '\0';
		OBOL_WIPE(pw);
	}
	(void)c;
	return dummy;
}

static obol_err do_login(struct obol_console_req *r, struct obol_buf *headers)
{
	char cname[64], pre[64];
	const char *name = obol_form_get(&r->form, "name"), *password = obol_form_get(&r->form, "password");
	const char *pre_form = obol_form_get(&r->form, "pre");
	struct fp_read f = { 0 };
	char token[OBOL_SESSION_TOKEN_TEXT];
	uint8_t fp[32];
	obol_err e;
	cookie_name(r->c, COOKIE_PRE, cname);
	/* Login CSRF: the form must come from the page that set the cookie. */
	if (pre_form == NULL || !obol_cookie_get(obol_http_req_header(r->http, "Cookie"), cname, pre, sizeof pre) ||
	    strlen(pre) != strlen(pre_form) || !obol_ct_equal(pre, pre_form, strlen(pre)) || pre[0] == '\0') {
		login_form(r, headers, name, OBOL_E_CONSOLE_CSRF);
		r->status = 403;
		return OBOL_OK;
	}
	if (name == NULL || password == NULL || !obol_console_name_valid(name)) {
		login_form(r, headers, NULL, OBOL_E_CONSOLE_LOGIN_FAILED);
		r->status = 401;
		return OBOL_OK;
	}
	if ((e = obol_login_allowed(r->c->sessions, name, r->now)) != OBOL_OK) {
		obol_metrics_login(OBOL_LOGIN_LIMITED);
		obol_log_warn("console: login of '%s' refused: too many failures", name);
		login_form(r, headers, name, e);
		r->status = 429;
		return OBOL_OK;
	}
	f.user = name;
	e = r->c->site->read(r->c, fp_read, &f);
	if (e != OBOL_OK && e != OBOL_E_CONSOLE_OPERATOR_UNKNOWN)
		goto out;
	bool known = e == OBOL_OK, ok;
	/* Over the gate's bound (one check at a time, two short bounded waits:
	 * work_gate.h) a retryable refusal, never a growing queue of logins
	 * each waiting for its 64 MiB; not a failure of the name. */
	if (obol_work_enter(r->c->gate, OBOL_WORK_ARGON2) != OBOL_OK) {
		obol_metrics_login(OBOL_LOGIN_BUSY);
		obol_log_warn("console: login of '%s' refused: as many passwords are being checked as allowed", name);
		login_form(r, headers, name, OBOL_E_CONSOLE_BUSY);
		obol_buf_add(headers, "Retry-After: 1\n");
		r->status = 503;
		e = OBOL_OK;
		goto out;
	}
	ok = obol_console_password_ok(known ? f.pwhash : dummy_hash(r->c), password) && known;
	obol_work_leave(r->c->gate, OBOL_WORK_ARGON2);
	if (!ok) {
		obol_login_failed(r->c->sessions, name, r->now);
		obol_metrics_login(OBOL_LOGIN_REFUSED);
		obol_log_warn("console: failed login as '%s'", name);
		login_form(r, headers, name, OBOL_E_CONSOLE_LOGIN_FAILED);
		r->status = 401;
		e = OBOL_OK;
		goto out;
	}
	obol_console_pwhash_fp(f.pwhash, fp);
	if ((e = obol_session_create(r->c->sessions, name, fp, r->now, token, &r->session)) != OBOL_OK)
		goto out;
	struct login_log l = { .user = name, .action = "login" };
	if ((e = r->c->site->write(r->c, login_log, &l)) != OBOL_OK) {
		obol_session_end(r->c->sessions, token);
		goto out;
	}
	obol_metrics_login(OBOL_LOGIN_OK);
	obol_log_info("console: '%s' logged in", name);
	set_cookie(r, headers, COOKIE_SESSION, token);
	set_cookie(r, headers, COOKIE_PRE, NULL);
	r->redirect = strdup("/");
	e = r->redirect != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
out:
	OBOL_WIPE(token);
	OBOL_WIPE(f);
	return e;
}

static obol_err do_logout(struct obol_console_req *r, struct obol_buf *headers)
{
	char name[64], token[OBOL_SESSION_TOKEN_TEXT + 1];
	cookie_name(r->c, COOKIE_SESSION, name);
	if (obol_cookie_get(obol_http_req_header(r->http, "Cookie"), name, token, sizeof token))
		obol_session_end(r->c->sessions, token);
	OBOL_WIPE(token);
	struct login_log l = { .user = r->session.user, .action = "logout" };
	obol_err e = r->c->site->write(r->c, login_log, &l);
	if (e != OBOL_OK)
		obol_log_warn("console: the logout of '%s' is not in the log: %s", r->session.user, obol_strerror(e));
	set_cookie(r, headers, COOKIE_SESSION, NULL);
	r->redirect = strdup("/login");
	return r->redirect != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

/* ---- /metrics ---------------------------------------------------------------------- */

/* Who may read /metrics: a console session, or the bearer token of
 * --metrics-token-file; without a token file, anyone who reaches a
 * loopback listener. */
static bool metrics_allowed(struct obol_console_req *r)
{
	const char *auth = obol_http_req_header(r->http, "Authorization");
	if (r->c->has_metrics_token && auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		size_t n = strlen(r->c->metrics_token);
		if (strlen(auth + 7) == n && obol_ct_equal(auth + 7, r->c->metrics_token, n))
			return true;
	}
	if (find_session(r) == OBOL_OK)
		return true;
	return !r->c->has_metrics_token && r->c->loopback;
}

static obol_err metrics(struct obol_console_req *r, struct obol_buf *headers)
{
	struct obol_buf out = { 0 };
	if (!metrics_allowed(r)) {
		obol_buf_printf(&out, "%s: %s\n", obol_strerror(OBOL_E_METRICS_FORBIDDEN),
				obol_errhint(OBOL_E_METRICS_FORBIDDEN));
		return send_text(r, &out, headers, "text/plain; charset=utf-8", 403, false);
	}
	obol_metrics_write(&out);
	obol_err e = r->c->site->metrics != NULL ? r->c->site->metrics(r->c, &out) : OBOL_OK;
	if (e != OBOL_OK) {
		obol_buf_free(&out);
		obol_buf_printf(&out, "%s\n", obol_strerror(e));
		return send_text(r, &out, headers, "text/plain; charset=utf-8", obol_errhttp(e), false);
	}
	return send_text(r, &out, headers, "text/plain; version=0.0.4; charset=utf-8", 200, false);
}

/* ---- dispatch ---------------------------------------------------------------------- */

static const struct obol_console_page *find_page(const struct obol_console_site *site, const char *path,
						 const char **tail)
{
	for (size_t i = 0; i < site->npages; i++) {
		const struct obol_console_page *p = &site->pages[i];
		size_t n = strlen(p->path);
		if (strcmp(path, p->path) == 0) {
			*tail = "";
			return p;
		}
		if (n > 1 && p->path[n - 1] == '/' && strncmp(path, p->path, n) == 0 && path[n] != '\0') {
			*tail = path + n;
			return p;
		}
	}
	return NULL;
}

static obol_err static_asset(struct obol_console_req *r, struct obol_buf *headers, const char *text, const char *type)
{
	struct obol_buf out = { 0 };
	obol_buf_add(&out, text);
	return send_text(r, &out, headers, type, 200, true);
}

/* A request with a live session. */
static obol_err logged_in(struct obol_console_req *r, struct obol_buf *headers)
{
	const char *path = r->http->path;
	bool post = strcmp(r->http->method, "POST") == 0;
	obol_err e;
	if (post) {
		bool origin_ok = same_origin(r);
		if (!origin_ok || !obol_session_csrf_ok(&r->session, obol_form_get(&r->form, "csrf"))) {
			obol_log_warn("console: a POST %s for '%s' %s: refused", path, r->session.user,
				      origin_ok ? "without this session's CSRF token" : "from another origin");
			return send_error_page(r, OBOL_E_CONSOLE_CSRF, NULL, true, headers);
		}
		if (strcmp(path, "/logout") == 0)
			e = do_logout(r, headers);
		else if (strncmp(path, "/act/", 5) == 0)
			e = obol_console_act(r, path + 5, false);
		else if (strncmp(path, "/do/", 4) == 0)
			e = obol_console_act(r, path + 4, true);
		else
			e = OBOL_E_HTTP_NOT_FOUND;
	} else if (strcmp(path, "/log") == 0) {
		e = obol_console_log_page(r);
	} else {
		const struct obol_console_page *p = find_page(r->c->site, strcmp(path, "/") == 0 ? r->c->site->pages[0].path : path,
							      &r->tail);
		e = p != NULL ? p->get(r) : OBOL_E_HTTP_NOT_FOUND;
	}
	if (e != OBOL_OK)
		return send_error_page(r, e, NULL, true, headers);
	if (r->rep->raw != NULL) /* the page answered by itself (an image) */
		return OBOL_OK;
	return send_page(r, true, headers);
}

static obol_err handle(void *app, const struct obol_http_route *route, const struct obol_http_req *req,
		       struct obol_http_reply *rep)
{
	struct obol_console *c = app;
	struct obol_console_req r = { .c = c, .http = req, .rep = rep, .now = obol_now(), .tail = "" };
	struct obol_buf headers = { 0 };
	bool post = strcmp(req->method, "POST") == 0;
	obol_err e = OBOL_OK;
	(void)route;
	if (!host_ok(&r)) {
		struct obol_buf out = { 0 };
		obol_buf_add(&out, "this console answers to its address or localhost only\n");
		e = send_text(&r, &out, &headers, "text/plain; charset=utf-8", 421, false);
		goto out;
	}
	if (post && (e = obol_form_parse((const char *)req->body, req->body_len, &r.form)) != OBOL_OK) {
		e = send_error_page(&r, e, "the form could not be read", false, &headers);
		goto out;
	}
	if (strcmp(req->path, "/static/console.css") == 0 && !post) {
		e = static_asset(&r, &headers, obol_console_css, "text/css; charset=utf-8");
	} else if (strcmp(req->path, "/static/console.js") == 0 && !post) {
		e = static_asset(&r, &headers, obol_console_js, "text/javascript; charset=utf-8");
	} else if (strcmp(req->path, "/favicon.ico") == 0 && !post) {
		struct obol_buf none = { 0 };
		obol_buf_add(&none, "");
		e = send_text(&r, &none, &headers, "text/plain; charset=utf-8", 404, true);
	} else if (strcmp(req->path, "/metrics") == 0 && !post) {
		e = metrics(&r, &headers);
	} else if (strcmp(req->path, "/login") == 0) {
		if (post && !same_origin(&r)) {
			login_form(&r, &headers, NULL, OBOL_E_CONSOLE_CSRF);
			r.status = 403;
		} else if (post) {
			e = do_login(&r, &headers);
		} else {
			login_form(&r, &headers, NULL, OBOL_OK);
		}
		if (e == OBOL_OK)
			e = send_page(&r, false, &headers);
	} else if (find_session(&r) != OBOL_OK) {
		if (post) {
			e = send_error_page(&r, OBOL_E_CONSOLE_SESSION, NULL, false, &headers);
		} else {
			r.redirect = strdup("/login");
			e = r.redirect != NULL ? send_page(&r, false, &headers) : OBOL_E_NO_MEMORY;
		}
	} else {
		e = logged_in(&r, &headers);
	}
out:
	obol_buf_free(&headers);
	obol_buf_free(&r.body);
	obol_form_free(&r.form);
	free(r.redirect);
	OBOL_WIPE(r.session);
	return e;
}

/* ---- start and stop ---------------------------------------------------------------- */

static obol_err read_token(struct obol_console *c, const char *path)
{
	FILE *f = fopen(path, "r");
	obol_err e = OBOL_OK;
	if (f == NULL) {
		obol_log_error("console: cannot read the metrics token file %s", path);
		return OBOL_E_IO;
	}
	if (fgets(c->metrics_token, sizeof c->metrics_token, f) == NULL)
		c->metrics_token[0] = '\0';
	fclose(f);
	c->metrics_token[strcspn(c->metrics_token, "\r\n")] = '\0';
	if (strlen(c->metrics_token) < 16) {
		obol_log_error("console: the metrics token in %s is shorter than 16 characters", path);
		e = OBOL_E_INVALID_ARGUMENT;
	}
	c->has_metrics_token = e == OBOL_OK;
	return e;
}

obol_err obol_console_start(const struct obol_console_site *site, void *app, void *site_state,
			    const struct obol_console_config *cfg, struct obol_console **out)
{
	char host[64];
	uint16_t port;
	struct in_addr a;
	obol_err e = obol_parse_hostport(cfg->listen, host, &port);
	if (e != OBOL_OK)
		return e;
	if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		return OBOL_E_INVALID_ARGUMENT;
	bool loopback = inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
	if (cfg->tls_cert == NULL && !loopback)
		return OBOL_E_CONSOLE_PLAIN_OFF_LOOPBACK;
	struct obol_console *c = calloc(1, sizeof *c);
	if (c == NULL)
		return OBOL_E_NO_MEMORY;
	c->site = site;
	c->app = app;
	c->site_state = site_state;
	c->tls = cfg->tls_cert != NULL;
	c->loopback = loopback;
	unsigned slots[OBOL_WORK_KINDS] = { [OBOL_WORK_ARGON2] = 1 };
	if ((e = obol_work_gate_new(slots, &c->gate)) != OBOL_OK) {
		free(c);
		return e;
	}
	/* Every path, each way: the console routes them itself. */
	c->routes[0] = (struct obol_http_route){ .method = "GET", .path = "/", .handler = handle };
	c->routes[1] = (struct obol_http_route){ .method = "POST", .path = "/", .handler = handle };
	obol_http_router_add(&c->router, &c->routes[0]);
	obol_http_router_add(&c->router, &c->routes[1]);
	if (cfg->metrics_token_file != NULL && (e = read_token(c, cfg->metrics_token_file)) != OBOL_OK)
		goto fail;
	if ((e = obol_sessions_new(&c->sessions)) != OBOL_OK)
		goto fail;
	struct obol_http_server_config hc = { .listen = cfg->listen, .max_conns = 64, .tls_cert = cfg->tls_cert,
					      .tls_key = cfg->tls_key, .name = "console" };
	if ((e = obol_http_server_start(&hc, &c->router, c, &c->http)) != OBOL_OK)
		goto fail;
	if (!c->has_metrics_token && !loopback)
		obol_log_warn("console: /metrics needs a console session (no --metrics-token-file)");
	*out = c;
	return OBOL_OK;
fail:
	c->site_state = NULL; /* the caller's still */
	obol_console_stop(c);
	return e;
}

uint16_t obol_console_port(const struct obol_console *c)
{
	return obol_http_server_port(c->http);
}

void obol_console_stop(struct obol_console *c)
{
	if (c == NULL)
		return;
	obol_http_server_stop(c->http);
	if (c->site->stop != NULL)
		c->site->stop(c);
	obol_sessions_free(c->sessions);
	obol_work_gate_free(c->gate);
	obol_wipe(c->metrics_token, sizeof c->metrics_token);
	free(c);
}
