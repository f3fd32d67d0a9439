/* Schema migrations (store.h): each component's version in table
 * schema_version; one transaction per step; a stored version newer than
 * the build is STORE_SCHEMA_TOO_NEW. */
#include <stdint.h>

#include "core/log.h"
#include "store/store.h"

static const char schema_version_ddl[] =
	"CREATE TABLE IF NOT EXISTS schema_version (component TEXT PRIMARY KEY, version BIGINT NOT NULL)";

/* The stored version of a component; 0 when it or the table is absent. */
static obol_err read_version(struct obol_store *s, const char *component, int64_t *version)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT version FROM schema_version WHERE component = ?", &st);
	*version = 0;
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_bind_text(st, 1, component);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && row)
		*version = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return e;
}

static obol_err write_version(struct obol_store *s, const char *component, int64_t version)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s,
				       "INSERT INTO schema_version (component, version) VALUES (?, ?) "
				       "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
				       &st);
	if (e != OBOL_OK)
		return e;
	e = obol_stmt_bind_text(st, 1, component);
	if (e == OBOL_OK)
		e = obol_stmt_bind_int64(st, 2, version);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	return e;
}

/* One step of a migration in its own transaction; *done when nothing was left. */
static obol_err migrate_one(struct obol_store *s, const char *component,
			    const struct obol_migration *steps, size_t nsteps, bool *done)
{
	int64_t v = 0;
	obol_err e = obol_store_begin(s);
	*done = false;
	if (e != OBOL_OK)
		return e;
	e = obol_store_exec(s, schema_version_ddl);
	if (e == OBOL_OK)
		e = read_version(s, component, &v);
	if (e != OBOL_OK)
		goto out;
	if (v < 0 || (uint64_t)v > nsteps) {
		e = v < 0 ? OBOL_E_STORE_QUERY : OBOL_E_STORE_SCHEMA_TOO_NEW;
		goto out;
	}
	if ((uint64_t)v == nsteps) {
		*done = true;
		goto out;
	}
	const struct obol_migration *m = &steps[v];
	const char *sql = obol_store_backend(s) == OBOL_STORE_POSTGRES && m->postgres != NULL ? m->postgres : m->sqlite;
	e = obol_store_exec(s, sql);
	if (e == OBOL_OK)
		e = write_version(s, component, v + 1);
	if (e == OBOL_OK)
		e = obol_store_commit(s);
	if (e == OBOL_OK) {
		obol_log_info("store: %s schema now at version %lld", component, (long long)(v + 1));
		return OBOL_OK;
	}
out:
	obol_store_rollback(s);
	return e;
}

obol_err obol_store_schema_version(struct obol_store *s, const char *component, int64_t *version)
{
	obol_err e = obol_store_begin_read(s);
	*version = 0;
	if (e != OBOL_OK)
		return e;
	/* A database without the table has version 0 of everything. */
	const char *q = obol_store_backend(s) == OBOL_STORE_POSTGRES
				? "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = ? "
				  "AND schemaname = current_schema()"
				: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?";
	struct obol_stmt *st = NULL;
	bool row = false;
	e = obol_stmt_prepare(s, q, &st);
	if (e == OBOL_OK)
		e = obol_stmt_bind_text(st, 1, "schema_version");
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	bool exists = e == OBOL_OK && row && obol_stmt_column_int64(st, 0) > 0;
	obol_stmt_finish(st);
	if (e == OBOL_OK && exists)
		e = read_version(s, component, version);
	obol_store_rollback(s);
	return e;
}

obol_err obol_store_migrate(struct obol_store *s, const char *component, const struct obol_migration *steps,
			    size_t nsteps)
{
	obol_err e = OBOL_OK;
	int64_t v = 0;
	/* Up to date (or too new) is found with a read transaction, so a
	 * read-only database whose schema is current opens fine. */
	e = obol_store_schema_version(s, component, &v);
	if (e == OBOL_OK && (uint64_t)v > nsteps)
		return OBOL_E_STORE_SCHEMA_TOO_NEW;
	if (e == OBOL_OK && (uint64_t)v == nsteps)
		return OBOL_OK;
	/* Otherwise apply the missing steps, one transaction each; several
	 * processes starting at once race here, and the losers retry. */
	unsigned attempt = 0;
	for (;;) {
		bool done = false;
		e = migrate_one(s, component, steps, nsteps, &done);
		if (e == OBOL_OK && done)
			return OBOL_OK;
		if (e == OBOL_OK)
			continue;
		if ((obol_store_retryable(e) || e == OBOL_E_STORE_CONSTRAINT) && ++attempt < OBOL_STORE_RETRIES) {
			obol_store_backoff(attempt);
			continue;
		}
		return e;
	}
}
