/* The registry of the console's scheme descriptors (console_scheme.h). */
#include "console/console_scheme.h"

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
