/* Keys: the issuer's own (master and box) and each scheme's, with the
 * windows in which they are used, and a warning before one runs out. */
#include <stdlib.h>
#include <string.h>

#include "console/html.h"
#include "console/issuer_console.h"
#include "core/parse.h"

static obol_err issuer_own(struct obol_store *s, obol_console_key_fn fn, void *ctx)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT created FROM issuer_keys ORDER BY id LIMIT 1", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		int64_t created = obol_stmt_column_int64(st, 0);
		struct obol_console_key master = { .scheme = "issuer", .id = "master", .kind = "Ed25519",
						   .window = "sign", .from = created };
		snprintf(master.name, sizeof master.name, "%s",
			 "master key: GET /keys, vendor certificates, revocation lists, blacklists");
		struct obol_console_key box = { .scheme = "issuer", .id = "box", .kind = "X25519", .window = "open",
						.from = created };
		snprintf(box.name, sizeof box.name, "%s", "box key: what wallets seal to the issuer");
		if ((e = fn(ctx, &master)) == OBOL_OK)
			e = fn(ctx, &box);
	}
	obol_stmt_finish(st);
	return e;
}

obol_err obol_console_issuer_keys(struct obol_store *s, obol_console_key_fn fn, void *ctx)
{
	obol_err e = issuer_own(s, fn, ctx);
	for (const struct obol_console_scheme *sch = obol_console_schemes(); e == OBOL_OK && sch != NULL; sch = sch->next) {
		bool present = false;
		if (sch->keys == NULL)
			continue;
		if ((e = obol_console_scheme_present(s, sch->name, &present)) == OBOL_OK && present)
			e = sch->keys(s, fn, ctx);
	}
	return e;
}

#define KEYS_SHOWN 256

struct keys_page {
	struct obol_console_req *r;
	struct obol_console_key keys[KEYS_SHOWN];
	size_t n, more;
};

static obol_err key_collect(void *ctx, const struct obol_console_key *k)
{
	struct keys_page *p = ctx;
	if (p->n < KEYS_SHOWN)
		p->keys[p->n++] = *k;
	else
		p->more++;
	return OBOL_OK;
}

/* "ok", "warn" or "bad", and the words for a window ending at until. */
static const char *standing(const struct obol_console_req *r, int64_t until, const char **what)
{
	int64_t left = until - r->now;
	if (until == 0) {
		*what = "no end";
		return "ok";
	}
	if (left <= 0) {
		*what = "ended";
		return "bad";
	}
	if (left <= (int64_t)OBOL_CONSOLE_WARN_DAYS * 86400) {
		*what = "runs out soon";
		return "warn";
	}
	*what = "in force";
	return "ok";
}

static void key_row(struct obol_console_req *r, const struct obol_console_key *k)
{
	const char *what, *css = standing(r, k->until, &what);
	obol_html_printf(&r->body, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>", k->scheme, k->name, k->kind,
			 k->window);
	obol_console_time(r, k->from);
	obol_buf_add(&r->body, "</td><td>");
	obol_console_time(r, k->until);
	obol_html_printf(&r->body, "</td><td class=\"%s\">%s", css, what);
	if (k->until != 0) {
		obol_buf_add(&r->body, ", ");
		obol_console_when(r, k->until);
	}
	obol_buf_add(&r->body, "</td></tr>");
}

static obol_err certs_summary(struct obol_console_req *r, struct obol_store *s)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t soon = r->now + (int64_t)OBOL_CONSOLE_WARN_DAYS * 86400;
	/* each vendor's newest certificate */
	obol_err e = obol_stmt_prepare(s, "SELECT coalesce(sum(CASE WHEN c.valid_until <= ? THEN 1 ELSE 0 END), 0),"
					  " coalesce(sum(CASE WHEN c.valid_until > ? AND c.valid_until <= ? THEN 1 ELSE 0 END), 0),"
					  " count(*) FROM vendor_certs c WHERE c.serial = (SELECT max(serial) FROM vendor_certs"
					  " WHERE vendor_id = c.vendor_id)", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bindf(st, "iii", r->now, r->now, soon)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK &&
	    row) {
		int64_t expired = obol_stmt_column_int64(st, 0), expiring = obol_stmt_column_int64(st, 1),
			all = obol_stmt_column_int64(st, 2);
		obol_html_printf(&r->body,
				 "<h2>Vendor certificates</h2><p>%lld vendors with a certificate: <span class=\"%s\">%lld "
				 "expired</span>, <span class=\"%s\">%lld running out within %d days</span>. "
				 "<a href=\"/vendors\">Every vendor</a>.</p>",
				 (long long)all, expired > 0 ? "bad" : "ok", (long long)expired, expiring > 0 ? "warn" : "ok",
				 (long long)expiring, OBOL_CONSOLE_WARN_DAYS);
	}
	obol_stmt_finish(st);
	return e;
}

static obol_err keys_read(struct obol_store *s, void *ctx)
{
	struct keys_page *p = ctx;
	struct obol_console_req *r = p->r;
	struct obol_issuer_console *ic = obol_issuer_console_of(r);
	char mpk[OBOL_B64_LEN(32)], bpk[OBOL_B64_LEN(32)];
	const struct obol_issuer_keys *keys = obol_issuer_keys(ic->iss);
	unsigned warned = 0;
	obol_err e = obol_console_issuer_keys(s, key_collect, p);
	if (e != OBOL_OK)
		return e;
	for (size_t i = 0; i < p->n; i++) {
		const char *what;
		warned += strcmp(standing(r, p->keys[i].until, &what), "ok") != 0;
	}
	if (warned > 0)
		obol_html_printf(&r->body, "<div class=\"error\" role=\"alert\">%u key window%s ended or end%s within "
					   "%d days.</div>",
				 warned, warned == 1 ? " has" : "s have", warned == 1 ? "s" : "", OBOL_CONSOLE_WARN_DAYS);
	if (obol_b64_encode(keys->master_pk, 32, mpk, sizeof mpk) != OBOL_OK ||
	    obol_b64_encode(keys->box.pk, 32, bpk, sizeof bpk) != OBOL_OK)
		return OBOL_E_INTERNAL;
	obol_html_printf(&r->body, "<p>Master public key (clients pin it): <code>%s</code><br>Box public key: "
				   "<code>%s</code></p>",
			 mpk, bpk);
	obol_buf_add(&r->body, "<div class=\"scroll\"><table class=\"keys\"><thead><tr><th>scheme</th><th>key</th>"
			       "<th>kind</th><th>window</th><th>from</th><th>until</th><th>standing</th></tr></thead><tbody>");
	for (size_t i = 0; i < p->n; i++)
		key_row(r, &p->keys[i]);
	obol_buf_add(&r->body, "</tbody></table></div>");
	if (p->more > 0)
		obol_html_printf(&r->body, "<p class=\"hint\">and %zu more</p>", p->more);
	return certs_summary(r, s);
}

obol_err obol_console_keys(struct obol_console_req *r)
{
	struct keys_page *p = calloc(1, sizeof *p);
	if (p == NULL)
		return OBOL_E_NO_MEMORY;
	p->r = r;
	obol_console_h1(r, "Keys");
	obol_html_printf(&r->body, "<p class=\"hint\">What each key signs or opens and the window in which it is used; a "
				   "window that ends within %d days is marked. obol has no command to rotate the master "
				   "key.</p>",
			 OBOL_CONSOLE_WARN_DAYS);
	obol_err e = obol_console_read(r, keys_read, p);
	free(p);
	/* each scheme's revocations and blacklists */
	for (const struct obol_console_scheme *sch = obol_console_schemes(); e == OBOL_OK && sch != NULL; sch = sch->next)
		for (const struct obol_console_action_def *const *a = sch->actions; a != NULL && *a != NULL; a++)
			if ((*a)->fields != NULL)
				obol_console_action_form(r, *a);
	return e;
}
