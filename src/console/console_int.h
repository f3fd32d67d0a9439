/* Inside the console: its sites (the issuer's and the vendor's pages), a
 * request as a page sees it, and the helpers pages share. */
#ifndef OBOL_CONSOLE_CONSOLE_INT_H
#define OBOL_CONSOLE_CONSOLE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "console/buf.h"
#include "console/console.h"
#include "console/form.h"
#include "console/session.h"
#include "core/amount.h"
#include "net/http_server.h"
#include "store/batch.h"

struct obol_console_req;
typedef obol_err (*obol_console_page_fn)(struct obol_console_req *r);

/* A page: GET path (exact, or a prefix ending in '/' whose rest is in
 * r->tail), its label in the navigation (NULL: not there). */
struct obol_console_page {
	const char *path;
	const char *nav;
	obol_console_page_fn get;
};

/* What an action will do, as its prepare step found it from the form; its
 * apply step runs on it inside the unit of work that also logs it. */
struct obol_console_plan {
	char target[160];    /* what it acts on, for the log: "account 3 (alice)" */
	char detail[400];    /* what it does, for the confirmation and the log */
	char back[160];      /* the page to return to: "/accounts/3" */
	int64_t account;     /* the fields an action may use */
	int64_t number;
	struct obol_amount amount;
	char text[256];      /* a name, a reference, a key id, a reason */
	char text2[256];
	char result[200];    /* set by apply: what happened, beyond OK */
	char nonce_ref[64];  /* "console:NONCE": a journal reference for the action */
};

/* An action an operator confirms before it runs (actions.c): POST
 * /act/NAME with the form shows what it will do (prepare, which reads only),
 * POST /do/NAME with the confirmation's nonce does it (apply, in one durable
 * unit with its line in the audit log, console_db.h). */
struct obol_console_action_def {
	const char *name;   /* "fund" */
	const char *title;  /* "Fund an account" */
	/* The form's text fields, for actions a page offers in a generic
	 * form (obol_console_action_form): name and label pairs, NULL-ended. */
	const char *const *fields;
	/* Checks the form and fills plan; runs inside a read transaction. A
	 * named error is shown to the operator and nothing happens. */
	obol_err (*prepare)(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
			    struct obol_console_plan *plan);
	/* Does it, inside the unit of work. */
	obol_err (*apply)(struct obol_console_req *r, struct obol_store *s, struct obol_console_plan *plan);
};

struct obol_console;

/* What a daemon's console is made of. */
struct obol_console_site {
	const char *kind; /* "issuer" or "vendor" */
	const struct obol_console_page *pages;
	size_t npages;
	const struct obol_console_action_def *const *actions;
	size_t nactions;
	/* fn(s, ctx) in a read transaction, and in a durable unit of work, of
	 * the daemon's store. */
	obol_err (*read)(struct obol_console *c, obol_unit_fn fn, void *ctx);
	obol_err (*write)(struct obol_console *c, obol_unit_fn fn, void *ctx);
	/* The figures /metrics reads from the store, in the text format. */
	obol_err (*metrics)(struct obol_console *c, struct obol_buf *out);
	/* Text beside the console's name in the header ("EUR, sqlite"). */
	void (*subtitle)(struct obol_console *c, struct obol_buf *out);
	/* Stops what start made (may be NULL). */
	void (*stop)(struct obol_console *c);
};

struct obol_console {
	const struct obol_console_site *site;
	void *app;        /* the issuer or the vendor */
	void *site_state; /* the site's own */
	struct obol_http_server *http;
	struct obol_http_router router;
	struct obol_http_route routes[2];
	struct obol_sessions *sessions;
	/* The Argon2id check of a login (64 MiB each): one at a time, and a
	 * few waiting for it; beyond them CONSOLE_BUSY (work_gate.h). */
	struct obol_work_gate *gate;
	bool tls, loopback;
	char metrics_token[128];
	bool has_metrics_token;
};

/* A request as a page sees it. */
struct obol_console_req {
	struct obol_console *c;
	const struct obol_http_req *http;
	const char *tail;              /* the rest of a prefix page's path */
	struct obol_form query, form;  /* the query string; a POST's body */
	struct obol_session_info session;
	struct obol_buf body;          /* the page's content, inside the layout */
	const char *title;
	unsigned status;               /* 0: 200 */
	char *redirect;                /* when set: 303 to this path (malloc'ed) */
	struct obol_http_reply *rep;
	int64_t now;
};

/* Starts a console of the site for app (server.c). */
OBOL_MUST_CHECK obol_err obol_console_start(const struct obol_console_site *site, void *app, void *site_state,
					    const struct obol_console_config *cfg, struct obol_console **out);

/* Helpers of the pages (layout.c). */
void obol_console_h1(struct obol_console_req *r, const char *title);
/* A hidden field with the session's CSRF token, for every form. */
void obol_console_csrf_field(struct obol_console_req *r);
/* An amount as text, escaped. */
void obol_console_amount(struct obol_console_req *r, const struct obol_amount *a);
void obol_console_amount_units(struct obol_console_req *r, const char *currency, int64_t units);
/* A UTC time "2026-11-01 12:00:00", escaped; "-" for 0. */
void obol_console_time(struct obol_console_req *r, int64_t t);
/* A duration from now to t in words: "in 3 days", "2 hours ago". */
void obol_console_when(struct obol_console_req *r, int64_t t);
/* An error box naming e (its name and hint) and detail (may be NULL). */
void obol_console_error_box(struct obol_console_req *r, obol_err e, const char *detail);
/* The query parameters page and q: *offset of a page of `per` rows. */
int64_t obol_console_page_offset(struct obol_console_req *r, int64_t per);
/* "previous / next" links for a paged list of total rows; extra is the
 * query besides page (already URL-encoded, may be ""). */
void obol_console_pager(struct obol_console_req *r, const char *path, const char *extra, int64_t offset, int64_t per,
			int64_t total);
/* The line of the audit log an action's redirect names (?action=ID), if any. */
void obol_console_action_notice(struct obol_console_req *r, struct obol_store *s);
/* A form that starts an action: <form method=post action=/act/NAME> with
 * the CSRF field; the caller adds its fields and ends it with
 * obol_console_form_end. */
void obol_console_form_begin(struct obol_console_req *r, const char *action, const char *css);
void obol_console_form_end(struct obol_console_req *r, const char *button);
/* The generic form of an action with fields. */
void obol_console_action_form(struct obol_console_req *r, const struct obol_console_action_def *def);

/* Runs fn in a read transaction / durable unit of the daemon's store. */
OBOL_MUST_CHECK obol_err obol_console_read(struct obol_console_req *r, obol_unit_fn fn, void *ctx);
OBOL_MUST_CHECK obol_err obol_console_write(struct obol_console_req *r, obol_unit_fn fn, void *ctx);

/* The actions' pages (actions.c): POST /act/NAME and /do/NAME, and GET /log. */
obol_err obol_console_act(struct obol_console_req *r, const char *name, bool confirmed);
obol_err obol_console_log_page(struct obol_console_req *r);

/* The style sheet and the script (assets.c). */
extern const char obol_console_css[];
extern const char obol_console_js[];

#endif
