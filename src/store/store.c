/* The storage interface over its two backends: URL dispatch, transactions,
 * the per-handle statement cache and schema migrations (see store.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "crypto/secret.h"
#include "store/backend.h"
#include "store/store.h"

#define STMT_BUCKETS 128

struct obol_stmt {
	struct obol_store *s;
	char *sql;
	void *impl;
	bool in_use;
	struct obol_stmt *next; /* in its cache bucket */
};

struct obol_store {
	const struct obol_store_ops *ops;
	enum obol_store_backend backend;
	void *conn;
	struct obol_stmt *cache[STMT_BUCKETS];
};

static unsigned sql_hash(const char *sql)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % STMT_BUCKETS;
}

obol_err obol_store_open(const char *url, bool create, struct obol_store **out)
{
	obol_err e = OBOL_OK;
	struct obol_store *s = NULL;
	*out = NULL;
	if (url == NULL)
		return OBOL_E_STORE_URL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return OBOL_E_NO_MEMORY;
	if (strncmp(url, "sqlite:", 7) == 0) {
		s->ops = &obol_store_sqlite_ops;
		s->backend = OBOL_STORE_SQLITE;
	} else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		s->ops = &obol_store_postgres_ops;
		s->backend = OBOL_STORE_POSTGRES;
	} else {
		e = OBOL_E_STORE_URL;
		goto out;
	}
	e = s->ops->open(url, create, &s->conn);
	if (e != OBOL_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	free(s);
	return e;
}

void obol_store_close(struct obol_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < STMT_BUCKETS; i++) {
		struct obol_stmt *st = s->cache[i];
		while (st != NULL) {
			struct obol_stmt *next = st->next;
			s->ops->finalize(st->impl);
			free(st->sql);
			free(st);
			st = next;
		}
	}
	s->ops->close(s->conn);
	free(s);
}

enum obol_store_backend obol_store_backend(const struct obol_store *s)
{
	return s->backend;
}

const char *obol_store_backend_name(const struct obol_store *s)
{
	return s->ops->name;
}

obol_err obol_store_begin(struct obol_store *s)
{
	return s->ops->begin(s->conn);
}

obol_err obol_store_begin_read(struct obol_store *s)
{
	return s->ops->begin_read(s->conn);
}

obol_err obol_store_commit(struct obol_store *s)
{
	return s->ops->exec(s->conn, "COMMIT");
}

void obol_store_rollback(struct obol_store *s)
{
	/* Fails only when no transaction is open, which is what the caller wants. */
	(void)s->ops->exec(s->conn, "ROLLBACK");
}

/* Savepoint names are identifiers chosen by the code, never by input. */
static obol_err savepoint_sql(char *buf, size_t cap, const char *verb, const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 32)
		return OBOL_E_INVALID_ARGUMENT;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9' && i > 0) || c == '_'))
			return OBOL_E_INVALID_ARGUMENT;
	}
	int w = snprintf(buf, cap, "%s %s", verb, name);
	return w > 0 && (size_t)w < cap ? OBOL_OK : OBOL_E_INVALID_ARGUMENT;
}

obol_err obol_store_savepoint(struct obol_store *s, const char *name)
{
	char sql[64];
	obol_err e = savepoint_sql(sql, sizeof(sql), "SAVEPOINT", name);
	return e != OBOL_OK ? e : s->ops->exec(s->conn, sql);
}

obol_err obol_store_release(struct obol_store *s, const char *name)
{
	char sql[64];
	obol_err e = savepoint_sql(sql, sizeof(sql), "RELEASE SAVEPOINT", name);
	return e != OBOL_OK ? e : s->ops->exec(s->conn, sql);
}

obol_err obol_store_rollback_to(struct obol_store *s, const char *name)
{
	char sql[64];
	obol_err e = savepoint_sql(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT", name);
	return e != OBOL_OK ? e : s->ops->exec(s->conn, sql);
}

obol_err obol_store_exec(struct obol_store *s, const char *sql)
{
	return s->ops->exec(s->conn, sql);
}

bool obol_store_retryable(obol_err e)
{
	return e == OBOL_E_STORE_CONFLICT || e == OBOL_E_STORE_BUSY;
}

void obol_store_backoff(unsigned attempt)
{
	uint32_t r;
	obol_random(&r, sizeof(r));
	unsigned cap_us = 1000u << (attempt < 7 ? attempt : 7); /* 1 ms .. 128 ms */
	struct timespec ts = { 0, (long)(r % cap_us) * 1000L };
	nanosleep(&ts, NULL);
}

obol_err obol_store_transact(struct obol_store *s, obol_store_tx_fn fn, void *ctx)
{
	obol_err e = OBOL_OK;
	for (unsigned attempt = 0; attempt < OBOL_STORE_RETRIES; attempt++) {
		if (attempt > 0)
			obol_store_backoff(attempt);
		e = obol_store_begin(s);
		if (e == OBOL_OK)
			e = fn(s, ctx);
		if (e == OBOL_OK)
			e = obol_store_commit(s);
		if (e == OBOL_OK)
			return OBOL_OK;
		obol_store_rollback(s);
		if (!obol_store_retryable(e))
			return e;
	}
	return e;
}

obol_err obol_stmt_prepare(struct obol_store *s, const char *sql, struct obol_stmt **out)
{
	obol_err e = OBOL_OK;
	unsigned h = sql_hash(sql);
	struct obol_stmt *st;
	*out = NULL;
	for (st = s->cache[h]; st != NULL; st = st->next) {
		if (!st->in_use && strcmp(st->sql, sql) == 0) {
			st->in_use = true;
			*out = st;
			return OBOL_OK;
		}
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return OBOL_E_NO_MEMORY;
	st->sql = strdup(sql);
	if (st->sql == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	e = s->ops->prepare(s->conn, sql, &st->impl);
	if (e != OBOL_OK)
		goto out;
	st->s = s;
	st->in_use = true;
	st->next = s->cache[h];
	s->cache[h] = st;
	*out = st;
	st = NULL;
out:
	if (st != NULL) {
		free(st->sql);
		free(st);
	}
	return e;
}

obol_err obol_stmt_bind_int64(struct obol_stmt *st, int idx, int64_t v)
{
	return st->s->ops->bind_int64(st->impl, idx, v);
}

obol_err obol_stmt_bind_text(struct obol_stmt *st, int idx, const char *v)
{
	return v == NULL ? st->s->ops->bind_null(st->impl, idx) : st->s->ops->bind_text(st->impl, idx, v);
}

obol_err obol_stmt_bind_blob(struct obol_stmt *st, int idx, const void *v, size_t len)
{
	return st->s->ops->bind_blob(st->impl, idx, v, len);
}

obol_err obol_stmt_bind_null(struct obol_stmt *st, int idx)
{
	return st->s->ops->bind_null(st->impl, idx);
}

obol_err obol_stmt_step(struct obol_stmt *st, bool *row)
{
	return st->s->ops->step(st->impl, row);
}

bool obol_stmt_column_is_null(struct obol_stmt *st, int col)
{
	return st->s->ops->column_is_null(st->impl, col);
}

int64_t obol_stmt_column_int64(struct obol_stmt *st, int col)
{
	return st->s->ops->column_int64(st->impl, col);
}

const char *obol_stmt_column_text(struct obol_stmt *st, int col)
{
	return st->s->ops->column_text(st->impl, col);
}

const void *obol_stmt_column_blob(struct obol_stmt *st, int col, size_t *len)
{
	return st->s->ops->column_blob(st->impl, col, len);
}

int64_t obol_stmt_changes(struct obol_stmt *st)
{
	return st->s->ops->changes(st->impl);
}

void obol_stmt_finish(struct obol_stmt *st)
{
	if (st == NULL)
		return;
	st->s->ops->reset(st->impl);
	st->in_use = false;
}

static obol_err bind_va(struct obol_stmt *st, const char *fmt, va_list ap)
{
	obol_err e = OBOL_OK;
	for (int i = 0; fmt[i] != '\0' && e == OBOL_OK; i++) {
		switch (fmt[i]) {
		case 'i':
			e = obol_stmt_bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		case 't':
			e = obol_stmt_bind_text(st, i + 1, va_arg(ap, const char *));
			break;
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			e = obol_stmt_bind_blob(st, i + 1, p, n);
			break;
		}
		case 'n':
			e = obol_stmt_bind_null(st, i + 1);
			break;
		default:
			e = OBOL_E_INVALID_ARGUMENT;
		}
	}
	return e;
}

obol_err obol_stmt_bindf(struct obol_stmt *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	obol_err e = bind_va(st, fmt, ap);
	va_end(ap);
	return e;
}

obol_err obol_store_run(struct obol_store *s, int64_t *changes, const char *sql, const char *fmt, ...)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	va_list ap;
	obol_err e = obol_stmt_prepare(s, sql, &st);
	if (e != OBOL_OK)
		return e;
	va_start(ap, fmt);
	e = bind_va(st, fmt, ap);
	va_end(ap);
	if (e == OBOL_OK)
		e = obol_stmt_step(st, &row);
	if (e == OBOL_OK && changes != NULL)
		*changes = obol_stmt_changes(st);
	obol_stmt_finish(st);
	return e;
}

/* ---- migrations ---- */

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
	const char *sql = s->backend == OBOL_STORE_POSTGRES && m->postgres != NULL ? m->postgres : m->sqlite;
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
	const char *q = s->backend == OBOL_STORE_POSTGRES
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
