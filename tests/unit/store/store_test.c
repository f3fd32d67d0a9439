/* Helpers shared by the store, ledger, batch and audit tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "store_test.h"
#include "store/ledger.h"

bool store_test_missing_url(char *buf, size_t cap)
{
	int n;
	if (strcmp(test_backend(), "postgres") == 0) {
		const char *base = getenv("OBOL_TEST_PG_URL");
		const char *q = base ? strchr(base, '?') : NULL;
		const char *slash = base ? strchr(base + strlen("postgresql://"), '/') : NULL;
		if (slash == NULL || (q != NULL && slash > q))
			return false;
		n = snprintf(buf, cap, "%.*s/obol_missing_%ld%s", (int)(slash - base), base, (long)getpid(),
			     q ? q : "");
	} else {
		n = snprintf(buf, cap, "sqlite:%s/missing-%ld.db", test_tmpdir(), (long)getpid());
	}
	return n > 0 && (size_t)n < cap;
}

bool store_test_read_only_url(const char *db_url, char *buf, size_t cap)
{
	int n;
	if (strncmp(db_url, "sqlite:", 7) == 0)
		n = snprintf(buf, cap, "sqlite:file:%s?mode=ro", db_url + 7);
	else
		n = snprintf(buf, cap, "%s%soptions=-c%%20default_transaction_read_only%%3Don", db_url,
			     strchr(db_url, '?') ? "&" : "?");
	return n > 0 && (size_t)n < cap;
}

int64_t store_test_count(struct obol_store *s, const char *sql)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t v = -1;
	if (obol_stmt_prepare(s, sql, &st) != OBOL_OK)
		return -1;
	if (obol_stmt_step(st, &row) == OBOL_OK && row)
		v = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return v;
}

bool store_test_table_exists(struct obol_store *s, const char *table)
{
	struct obol_stmt *st = NULL;
	bool row = false, found = false;
	const char *q = obol_store_backend(s) == OBOL_STORE_POSTGRES
				? "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = ?"
				: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?";
	if (obol_stmt_prepare(s, q, &st) != OBOL_OK)
		return false;
	if (obol_stmt_bind_text(st, 1, table) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
		found = obol_stmt_column_int64(st, 0) > 0;
	obol_stmt_finish(st);
	return found;
}

obol_err store_test_ledger_tx(const char *db_url, obol_err (*fn)(struct obol_store *, void *), void *ctx)
{
	struct obol_store *s = NULL;
	obol_err e = obol_store_open(db_url, false, &s);
	if (e == OBOL_OK)
		e = obol_ledger_attach(s);
	if (e == OBOL_OK)
		e = obol_store_begin(s);
	if (e == OBOL_OK) {
		e = fn(s, ctx);
		if (e == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
	}
	obol_store_close(s);
	return e;
}
