/* The SQLite backend: the embedded default (store.h).
 *
 * URL: sqlite:PATH, sqlite::memory:, or sqlite:file:PATH?mode=ro (an SQLite
 * URI, https://sqlite.org/uri.html; mode=ro opens read-only). The database
 * runs in WAL mode with synchronous=FULL, so a commit returns only after the
 * WAL is fsynced (https://sqlite.org/pragma.html#pragma_synchronous). A write
 * transaction is BEGIN IMMEDIATE: it takes the write lock at once, so two
 * writers never find out at commit time that they conflict; waiting for the
 * lock is bounded by the busy timeout, after which the error is STORE_BUSY. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "store/backend.h"

#define SQLITE_BUSY_MS 10000

struct sq_stmt {
	sqlite3 *db;
	sqlite3_stmt *st;
	bool done;      /* stepped to SQLITE_DONE: never re-run until reset */
	int64_t changes;
};

static obol_err map_rc(sqlite3 *db, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return OBOL_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		obol_log_debug("sqlite: %s: %s", what, sqlite3_errstr(rc));
		return OBOL_E_STORE_BUSY;
	case SQLITE_READONLY:
		obol_log_debug("sqlite: %s: %s", what, sqlite3_errstr(rc));
		return OBOL_E_STORE_READ_ONLY;
	case SQLITE_CONSTRAINT:
		obol_log_debug("sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		return OBOL_E_STORE_CONSTRAINT;
	case SQLITE_CANTOPEN:
		return OBOL_E_STORE_OPEN;
	case SQLITE_NOMEM:
		return OBOL_E_NO_MEMORY;
	case SQLITE_FULL:
		obol_log_error("sqlite: %s: %s", what, sqlite3_errstr(rc));
		return OBOL_E_STORE_FULL;
	case SQLITE_IOERR: {
		/* The file system's own refusals, named. */
		int en = db != NULL ? sqlite3_system_errno(db) : 0;
		obol_log_error("sqlite: %s: %s (%s)", what, sqlite3_errstr(rc), en != 0 ? strerror(en) : "-");
		return en == ENOSPC || en == EDQUOT ? OBOL_E_STORE_FULL : en == EROFS ? OBOL_E_STORE_READ_ONLY : OBOL_E_IO;
	}
	default:
		obol_log_error("sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		return OBOL_E_STORE_QUERY;
	}
}

/* STORE_GONE when the database file was removed or renamed since it was
 * opened: writing on would go to a file nobody will open again, and every
 * acknowledged change would vanish with the process. */
static obol_err gone(sqlite3 *db)
{
	int moved = 0;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved) {
		obol_log_error("sqlite: the database file was removed or renamed while open; nothing is written");
		return OBOL_E_STORE_GONE;
	}
	return OBOL_OK;
}

static obol_err sq_exec(void *conn, const char *sql)
{
	sqlite3 *db = conn;
	char *msg = NULL;
	obol_err e = strcmp(sql, "COMMIT") == 0 ? gone(db) : OBOL_OK;
	if (e != OBOL_OK)
		return e;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		e = map_rc(db, rc, msg ? msg : sql);
		if (e == OBOL_E_STORE_QUERY)
			obol_log_error("sqlite: in: %.200s", sql);
	}
	sqlite3_free(msg);
	return e;
}

static obol_err sq_open(const char *url, bool create, void **conn)
{
	const char *path = url + strlen("sqlite:");
	sqlite3 *db = NULL;
	obol_err e = OBOL_OK;
	bool uri = strncmp(path, "file:", 5) == 0;
	bool plain = !uri && strcmp(path, ":memory:") != 0;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0) |
		    (uri ? SQLITE_OPEN_URI : 0);
	struct stat sb;

	*conn = NULL;
	if (path[0] == '\0')
		return OBOL_E_STORE_URL;
	if (plain && !create && stat(path, &sb) != 0 && errno == ENOENT)
		return OBOL_E_STORE_MISSING;
	/* A new database is readable by its owner only: the issuer keeps its
	 * keys in it. SQLite gives its -wal and -shm files the same mode. */
	if (plain && create && stat(path, &sb) != 0 && errno == ENOENT) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			obol_log_debug("sqlite: create %s: %s", path, strerror(errno));
			return errno == EACCES || errno == EROFS ? OBOL_E_STORE_READ_ONLY : OBOL_E_STORE_OPEN;
		}
		if (fd >= 0)
			close(fd);
	}
	int rc = sqlite3_open_v2(path, &db, flags, NULL);
	if (rc != SQLITE_OK) {
		obol_log_debug("sqlite: open %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		e = (rc & 0xff) == SQLITE_CANTOPEN && !create && !plain ? OBOL_E_STORE_MISSING
		    : (rc & 0xff) == SQLITE_READONLY                   ? OBOL_E_STORE_READ_ONLY
								       : OBOL_E_STORE_OPEN;
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
	/* Reading the schema first makes a file that is not a database fail
	 * here, not at the first statement. The journal mode of a read-only
	 * file cannot change; it is whatever the writer set (WAL, by this code). */
	e = sq_exec(db, "SELECT count(*) FROM sqlite_master");
	if (e == OBOL_OK && sqlite3_db_readonly(db, "main") != 1)
		e = sq_exec(db, "PRAGMA journal_mode=WAL");
	if (e == OBOL_OK)
		e = sq_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
	if (e == OBOL_E_STORE_QUERY)
		e = OBOL_E_STORE_OPEN;
	/* Opened read-only (the file or its file system is), and then not even
	 * readable so (a WAL database needs its -shm file): say why. */
	if (e != OBOL_OK && sqlite3_db_readonly(db, "main") == 1)
		e = OBOL_E_STORE_READ_ONLY;
	if (e != OBOL_OK)
		goto out;
	*conn = db;
	db = NULL;
out:
	if (db != NULL)
		sqlite3_close_v2(db);
	return e;
}

static void sq_close(void *conn)
{
	sqlite3_close_v2(conn);
}

static obol_err sq_begin(void *conn)
{
	obol_err e = gone(conn);
	return e != OBOL_OK ? e : sq_exec(conn, "BEGIN IMMEDIATE");
}

static obol_err sq_begin_read(void *conn)
{
	return sq_exec(conn, "BEGIN DEFERRED");
}

static obol_err sq_prepare(void *conn, const char *sql, void **out)
{
	sqlite3 *db = conn;
	struct sq_stmt *s = calloc(1, sizeof(*s));
	const char *tail = NULL;
	obol_err e = OBOL_OK;
	if (s == NULL)
		return OBOL_E_NO_MEMORY;
	s->db = db;
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, &tail);
	if (rc != SQLITE_OK) {
		e = map_rc(db, rc, sql);
		goto out;
	}
	if (s->st == NULL || (tail != NULL && tail[strspn(tail, " \t\r\n;")] != '\0')) {
		obol_log_error("sqlite: one statement expected: %.200s", sql);
		e = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	*out = s;
	s = NULL;
out:
	if (s != NULL) {
		sqlite3_finalize(s->st);
		free(s);
	}
	return e;
}

static void sq_finalize(void *st)
{
	struct sq_stmt *s = st;
	sqlite3_finalize(s->st);
	free(s);
}

static obol_err bind_rc(struct sq_stmt *s, int rc)
{
	return rc == SQLITE_OK ? OBOL_OK : map_rc(s->db, rc, "bind");
}

static obol_err sq_bind_int64(void *st, int idx, int64_t v)
{
	struct sq_stmt *s = st;
	return bind_rc(s, sqlite3_bind_int64(s->st, idx, v));
}

static obol_err sq_bind_text(void *st, int idx, const char *v)
{
	struct sq_stmt *s = st;
	return bind_rc(s, sqlite3_bind_text(s->st, idx, v, -1, SQLITE_TRANSIENT));
}

static obol_err sq_bind_blob(void *st, int idx, const void *v, size_t len)
{
	struct sq_stmt *s = st;
	if (len > INT32_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	/* A zero-length blob is bound as an empty blob, not NULL. */
	return bind_rc(s, sqlite3_bind_blob(s->st, idx, len ? v : "", (int)len, SQLITE_TRANSIENT));
}

static obol_err sq_bind_null(void *st, int idx)
{
	struct sq_stmt *s = st;
	return bind_rc(s, sqlite3_bind_null(s->st, idx));
}

static obol_err sq_step(void *st, bool *row)
{
	struct sq_stmt *s = st;
	*row = false;
	if (s->done)
		return OBOL_OK;
	int rc = sqlite3_step(s->st);
	if (rc == SQLITE_ROW) {
		*row = true;
		return OBOL_OK;
	}
	if (rc == SQLITE_DONE) {
		s->done = true;
		s->changes = sqlite3_changes64(s->db);
		return OBOL_OK;
	}
	s->done = true;
	return map_rc(s->db, rc, sqlite3_sql(s->st));
}

static bool sq_column_is_null(void *st, int col)
{
	return sqlite3_column_type(((struct sq_stmt *)st)->st, col) == SQLITE_NULL;
}

static int64_t sq_column_int64(void *st, int col)
{
	return sqlite3_column_int64(((struct sq_stmt *)st)->st, col);
}

static const char *sq_column_text(void *st, int col)
{
	return (const char *)sqlite3_column_text(((struct sq_stmt *)st)->st, col);
}

static const void *sq_column_blob(void *st, int col, size_t *len)
{
	struct sq_stmt *s = st;
	const void *p = sqlite3_column_blob(s->st, col);
	*len = (size_t)sqlite3_column_bytes(s->st, col);
	return p;
}

static int64_t sq_changes(void *st)
{
	return ((struct sq_stmt *)st)->changes;
}

static void sq_reset(void *st)
{
	struct sq_stmt *s = st;
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	s->done = false;
	s->changes = 0;
}

const struct obol_store_ops obol_store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.begin = sq_begin,
	.begin_read = sq_begin_read,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_int64 = sq_bind_int64,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.column_is_null = sq_column_is_null,
	.column_int64 = sq_column_int64,
	.column_text = sq_column_text,
	.column_blob = sq_column_blob,
	.changes = sq_changes,
	.reset = sq_reset,
};
