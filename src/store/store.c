/* The storage interface over its two backends: URL dispatch, transactions,
 * the per-handle statement cache, retries (see store.h; migrations: migrate.c). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	unsigned cap_us = 1000u << (attempt < 6 ? attempt : 6); /* 1 ms .. 64 ms */
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
