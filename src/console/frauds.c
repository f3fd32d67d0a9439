/* The issuer console's frauds page: every scheme's proved frauds in one
 * place, each with its evidence (console_scheme.h, frauds), and the helper
 * the schemes' descriptors read their tables with. */
#include <stdio.h>

#include "console/console_scheme.h"
#include "console/html.h"
#include "console/issuer_console.h"

#define FRAUDS_SHOWN 200

obol_err obol_console_fraud_rows(struct obol_store *s, const struct obol_console_fraud_query *q, int64_t limit,
				 obol_console_fraud_fn fn, void *ctx, int64_t *total)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	char sql[512];
	obol_err e;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", q->table);
	if ((e = obol_stmt_prepare(s, sql, &st)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		*total = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	/* the columns by name: a table that grows columns still reads */
	snprintf(sql, sizeof sql, "SELECT id, %s, kind, %s, %s FROM %s ORDER BY id DESC LIMIT ?", q->at, q->culprit,
		 q->evidence, q->table);
	if ((e = obol_stmt_prepare(s, sql, &st)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, limit)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		char culprit[96];
		const char *c = obol_stmt_column_text(st, 3);
		if (q->culprit_prefix != NULL) {
			snprintf(culprit, sizeof culprit, "%s%lld", q->culprit_prefix, (long long)obol_stmt_column_int64(st, 3));
			c = culprit;
		}
		struct obol_console_fraud f = {
			.scheme = q->scheme,
			.id = obol_stmt_column_int64(st, 0),
			.at = obol_stmt_column_int64(st, 1),
			.kind = obol_stmt_column_text(st, 2),
			.culprit = c != NULL ? c : "",
			.evidence = obol_stmt_column_text(st, 4),
		};
		if (f.kind == NULL)
			f.kind = "";
		if (f.evidence == NULL)
			f.evidence = "";
		if ((e = fn(ctx, &f)) != OBOL_OK)
			break;
	}
out:
	obol_stmt_finish(st);
	return e;
}

static obol_err fraud_row(void *ctx, const struct obol_console_fraud *f)
{
	struct obol_console_req *r = ctx;
	obol_html_printf(&r->body, "<tr><td>%lld</td><td>", (long long)f->id);
	obol_console_time(r, f->at);
	obol_html_printf(&r->body,
			 "</td><td>%s</td><td>%s</td><td><details><summary>evidence</summary><pre class=\"evidence\">"
			 "%s</pre></details></td></tr>",
			 f->kind, f->culprit, f->evidence);
	return OBOL_OK;
}

static obol_err frauds_read(struct obol_store *s, void *ctx)
{
	struct obol_console_req *r = ctx;
	obol_err e = OBOL_OK;
	for (const struct obol_console_scheme *sch = obol_console_schemes(); e == OBOL_OK && sch != NULL; sch = sch->next) {
		bool present = false;
		int64_t total = 0;
		if (sch->frauds == NULL)
			continue;
		if ((e = obol_console_scheme_present(s, sch->name, &present)) != OBOL_OK || !present)
			continue;
		struct obol_buf rows = { 0 }, saved = r->body;
		r->body = rows;
		e = sch->frauds(s, FRAUDS_SHOWN, fraud_row, r, &total);
		rows = r->body;
		r->body = saved;
		if (e == OBOL_OK) {
			obol_html_printf(&r->body, "<h2 id=\"%s\">%s: <span class=\"%s\">%lld</span></h2>", sch->name,
					 sch->name, total > 0 ? "bad" : "ok", (long long)total);
			if (total > 0) {
				obol_buf_add(&r->body, "<div class=\"scroll\"><table class=\"frauds\"><thead><tr><th>#</th>"
						       "<th>when (UTC)</th><th>what</th><th>blamed</th><th>evidence</th>"
						       "</tr></thead><tbody>");
				obol_buf_add(&r->body, rows.p != NULL ? rows.p : "");
				obol_buf_add(&r->body, "</tbody></table></div>");
				if (total > FRAUDS_SHOWN)
					obol_html_printf(&r->body, "<p class=\"hint\">the newest %d of %lld</p>", FRAUDS_SHOWN,
							 (long long)total);
			}
		}
		obol_buf_free(&rows);
	}
	return e;
}

obol_err obol_console_frauds(struct obol_console_req *r)
{
	obol_console_h1(r, "Frauds and evidence");
	obol_buf_add(&r->body, "<p class=\"hint\">What each scheme proved against someone, newest first, with the "
			       "evidence it rests on: what the blamed party signed.</p>");
	return obol_console_read(r, frauds_read, r);
}
