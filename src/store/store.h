/* The storage interface: one API over SQLite (embedded default) and
 * PostgreSQL (production), chosen by URL:
 *   sqlite:PATH                         (sqlite::memory: for tests)
 *   postgresql://... or postgres://...  (any libpq connection URI)
 *
 * SQL is written once with `?` placeholders (the PostgreSQL backend rewrites
 * them to $1, $2, ...), and uses the common subset of both dialects: BIGINT,
 * TEXT, BYTEA (SQLite accepts the name), no AUTOINCREMENT (use explicit ids or
 * INSERT ... RETURNING). Parameters are only ever bound, never formatted into
 * SQL. A store handle is used by one thread at a time.
 *
 * PostgreSQL infers each parameter's type from where it stands. Where it
 * cannot (SELECT ?, CASE ... THEN ?, COALESCE(?, ?)) write CAST(? AS BIGINT)
 * or CAST(? AS TEXT), which both dialects accept. Bind blobs only where a
 * BYTEA is expected (they travel as binary bytea), and read booleans as
 * CASE WHEN ... THEN 1 ELSE 0 END.
 *
 * SQLite runs in WAL mode with synchronous=FULL and a busy timeout; a commit
 * returns only once it is durable on both backends. */
#ifndef OBOL_STORE_STORE_H
#define OBOL_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"

enum obol_store_backend { OBOL_STORE_SQLITE, OBOL_STORE_POSTGRES };

struct obol_store;
struct obol_stmt;

/* Opens a database. With create = false a missing SQLite file is
 * OBOL_E_STORE_MISSING. Errors: STORE_URL, STORE_OPEN, STORE_MISSING,
 * STORE_READ_ONLY. */
OBOL_MUST_CHECK obol_err obol_store_open(const char *url, bool create, struct obol_store **out);
void obol_store_close(struct obol_store *s);
enum obol_store_backend obol_store_backend(const struct obol_store *s);
const char *obol_store_backend_name(const struct obol_store *s);

/* Transactions. begin starts a write transaction (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: BEGIN ISOLATION LEVEL SERIALIZABLE, see postgres.c). Nested
 * units of work use savepoints. A failed transaction is rolled back by the
 * caller. STORE_CONFLICT means "retry the whole transaction". */
OBOL_MUST_CHECK obol_err obol_store_begin(struct obol_store *s);
OBOL_MUST_CHECK obol_err obol_store_commit(struct obol_store *s);
void obol_store_rollback(struct obol_store *s);
OBOL_MUST_CHECK obol_err obol_store_savepoint(struct obol_store *s, const char *name);
OBOL_MUST_CHECK obol_err obol_store_release(struct obol_store *s, const char *name);
OBOL_MUST_CHECK obol_err obol_store_rollback_to(struct obol_store *s, const char *name);
/* A read-only snapshot transaction (SQLite: BEGIN DEFERRED; PostgreSQL:
 * REPEATABLE READ READ ONLY), for readers such as the audit; end it with
 * obol_store_rollback. Works on a read-only database. */
OBOL_MUST_CHECK obol_err obol_store_begin_read(struct obol_store *s);

/* Runs fn in a write transaction and commits. On STORE_CONFLICT or STORE_BUSY
 * it rolls back, waits a short random time and runs fn again, at most
 * OBOL_STORE_RETRIES times, so fn must be re-runnable (only the last run's
 * effects stand). Any other error rolls back and is returned. */
#define OBOL_STORE_RETRIES 30
typedef obol_err (*obol_store_tx_fn)(struct obol_store *s, void *ctx);
OBOL_MUST_CHECK obol_err obol_store_transact(struct obol_store *s, obol_store_tx_fn fn, void *ctx);
/* Whether a transaction that failed with e is worth running again. */
bool obol_store_retryable(obol_err e);
/* Sleeps a random time that grows with attempt (up to 1 ms, doubling to at most 64 ms). */
void obol_store_backoff(unsigned attempt);

/* Runs SQL without parameters or results (DDL). */
OBOL_MUST_CHECK obol_err obol_store_exec(struct obol_store *s, const char *sql);

/* Prepared statements. Indexes of bind_* start at 1, of column_* at 0.
 * Statements are cached per handle by SQL text: prepare is cheap to repeat. */
OBOL_MUST_CHECK obol_err obol_stmt_prepare(struct obol_store *s, const char *sql, struct obol_stmt **out);
OBOL_MUST_CHECK obol_err obol_stmt_bind_int64(struct obol_stmt *st, int idx, int64_t v);
OBOL_MUST_CHECK obol_err obol_stmt_bind_text(struct obol_stmt *st, int idx, const char *v);
OBOL_MUST_CHECK obol_err obol_stmt_bind_blob(struct obol_stmt *st, int idx, const void *v, size_t len);
OBOL_MUST_CHECK obol_err obol_stmt_bind_null(struct obol_stmt *st, int idx);
/* Executes (first call) or advances; *row says whether a row is available. */
OBOL_MUST_CHECK obol_err obol_stmt_step(struct obol_stmt *st, bool *row);
bool obol_stmt_column_is_null(struct obol_stmt *st, int col);
int64_t obol_stmt_column_int64(struct obol_stmt *st, int col);
/* Valid until the next step or finish. */
const char *obol_stmt_column_text(struct obol_stmt *st, int col);
const void *obol_stmt_column_blob(struct obol_stmt *st, int col, size_t *len);
/* Rows changed by the last INSERT/UPDATE/DELETE (for compare-and-set updates). */
int64_t obol_stmt_changes(struct obol_stmt *st);
/* Resets the statement for reuse (returns it to the cache). */
void obol_stmt_finish(struct obol_stmt *st);

/* Binds parameters 1, 2, ... from a format, one letter each: 'i' int64_t,
 * 't' const char * (NULL binds NULL), 'b' const void *, size_t, 'n' NULL. */
OBOL_MUST_CHECK obol_err obol_stmt_bindf(struct obol_stmt *st, const char *fmt, ...);
/* Prepares, binds (as obol_stmt_bindf), runs and finishes a statement whose
 * rows are not needed; *changes (may be NULL) gets the rows it changed. */
OBOL_MUST_CHECK obol_err obol_store_run(struct obol_store *s, int64_t *changes, const char *sql,
					const char *fmt, ...);

/* Schema migrations, tracked per component in table schema_version
 * (component TEXT PRIMARY KEY, version BIGINT). migrate applies the steps
 * after the stored version, each in its own transaction; a stored version
 * greater than nsteps is OBOL_E_STORE_SCHEMA_TOO_NEW. */
struct obol_migration {
	const char *sqlite;   /* the SQL of this step for SQLite (may hold several statements) */
	const char *postgres; /* for PostgreSQL; NULL means the same text */
};
/* The stored version of a component (0 when absent), read in its own
 * read transaction. */
OBOL_MUST_CHECK obol_err obol_store_schema_version(struct obol_store *s, const char *component,
						   int64_t *version);
OBOL_MUST_CHECK obol_err obol_store_migrate(struct obol_store *s, const char *component,
					    const struct obol_migration *steps, size_t nsteps);

#endif
