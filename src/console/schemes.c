/* The registry of the console's scheme descriptors (console_scheme.h). */
#include "console/console_scheme.h"
#include "console/html.h"

static struct obol_console_scheme *schemes;

void obol_console_scheme_register(struct obol_console_scheme *sch)
{
	struct obol_console_scheme **p = &schemes;
	while (*p != NULL)
		p = &(*p)->next;
	sch->next = NULL;
	*p = sch;
}

const struct obol_console_scheme *obol_console_schemes(void)
{
	return schemes;
}

obol_err obol_console_scheme_present(struct obol_store *s, const char *scheme, bool *present)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT version FROM schema_version WHERE component = ?", &st);
	*present = false;
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_text(st, 1, scheme)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		*present = row && obol_stmt_column_int64(st, 0) > 0;
	obol_stmt_finish(st);
	return e;
}


obol_err obol_console_sales_rows(struct obol_store *s, const char *sql, int64_t since, struct obol_console_sales *out)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, sql, &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, since)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_amount zero = out->value; /* its currency, which from_units must not read from *out */
		out->payments = obol_stmt_column_int64(st, 0);
		e = obol_amount_from_units(zero.currency, obol_stmt_column_int64(st, 1), &out->value);
		out->has_value = true;
	}
	obol_stmt_finish(st);
	return e;
}

void obol_console_table_begin(struct obol_console_req *r, const char *css, const char *const *cols)
{
	obol_html_printf(&r->body, "<div class=\"scroll\"><table class=\"%s\"><thead><tr>", css);
	for (; *cols != NULL; cols++)
		obol_html_printf(&r->body, "<th>%s</th>", *cols);
	obol_buf_add(&r->body, "</tr></thead><tbody>");
}

void obol_console_table_end(struct obol_console_req *r, int64_t shown, int64_t total)
{
	obol_buf_add(&r->body, "</tbody></table></div>");
	if (total > shown)
		obol_html_printf(&r->body, "<p class=\"hint\">and %lld more</p>", (long long)(total - shown));
}

void obol_console_deadline_cell(struct obol_console_req *r, int64_t t)
{
	obol_buf_add(&r->body, "<td>");
	obol_console_time(r, t);
	obol_html_printf(&r->body, " <span class=\"%s\">(", t < r->now ? "bad" : "hint");
	obol_console_when(r, t);
	obol_buf_add(&r->body, ")</span></td>");
}

obol_err obol_console_count(struct obol_store *s, const char *sql, int64_t *n)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, sql, &st);
	*n = 0;
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		*n = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}
