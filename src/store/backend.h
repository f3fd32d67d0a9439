/* The table of functions each storage backend provides (private to src/store).
 *
 * store.c owns the handle, the statement cache and migrations; a backend only
 * talks to its database. Each backend maps its own error codes to the named
 * obol errors (STORE_BUSY, STORE_CONFLICT, STORE_CONSTRAINT, STORE_READ_ONLY,
 * STORE_QUERY) and logs the database's message at debug level. */
#ifndef OBOL_STORE_BACKEND_H
#define OBOL_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

struct obol_store_ops {
	const char *name;
	/* url is the whole URL; *conn is the backend's connection. */
	obol_err (*open)(const char *url, bool create, void **conn);
	void (*close)(void *conn);
	/* SQL without parameters or results; may hold several statements. */
	obol_err (*exec)(void *conn, const char *sql);
	obol_err (*begin)(void *conn);
	obol_err (*begin_read)(void *conn);
	/* Statements: sql uses `?` placeholders; *st is the backend's statement. */
	obol_err (*prepare)(void *conn, const char *sql, void **st);
	void (*finalize)(void *st);
	obol_err (*bind_int64)(void *st, int idx, int64_t v);
	obol_err (*bind_text)(void *st, int idx, const char *v);
	obol_err (*bind_blob)(void *st, int idx, const void *v, size_t len);
	obol_err (*bind_null)(void *st, int idx);
	obol_err (*step)(void *st, bool *row);
	bool (*column_is_null)(void *st, int col);
	int64_t (*column_int64)(void *st, int col);
	const char *(*column_text)(void *st, int col);
	const void *(*column_blob)(void *st, int col, size_t *len);
	int64_t (*changes)(void *st);
	/* Back to the unexecuted state with no bindings. */
	void (*reset)(void *st);
};

extern const struct obol_store_ops obol_store_sqlite_ops;
extern const struct obol_store_ops obol_store_postgres_ops;

#endif
