/* The PostgreSQL backend, through libpq (store.h).
 *
 * URL: any libpq connection URI, postgresql://USER@HOST/DB?... With create,
 * a missing database is created through the maintenance database "postgres".
 *
 * Write transactions are SERIALIZABLE: whatever a scheme reads and then
 * writes is safe against other issuer processes on the same database, and a
 * clash surfaces as serialization_failure (40001) or deadlock (40P01), both
 * STORE_CONFLICT: the caller runs the whole transaction again
 * (obol_store_transact, the batcher). COMMIT is durable with the server's
 * default synchronous_commit=on.
 *
 * Statements are written with `?`; they are rewritten to $1, $2, ... outside
 * quoted text and prepared once per connection (PQprepare). Integers and text
 * travel as text parameters whose type the server infers; blobs travel as
 * binary parameters (raw bytes of a bytea). Results come back as text; a
 * bytea column arrives in hex form ("\x...") and is decoded here. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/backend.h"

#define PG_MAX_PARAMS 64
#define PG_MAX_COLUMNS 64 /* columns whose blobs one row keeps decoded at once */

struct pg_conn {
	PGconn *c;
	unsigned next_stmt;
	unsigned generation; /* bumped by each reconnect: statements prepare again */
};

struct pg_stmt {
	struct pg_conn *pc;
	char name[24];
	char *text;          /* the rewritten SQL, to prepare again after a reconnect */
	unsigned generation; /* of the connection it was prepared on */
	int nparams;
	char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS];
	int formats[PG_MAX_PARAMS];
	PGresult *res;
	int nrows, row;   /* row: current row; -1 before the first */
	bool executed;
	int64_t changes;
	/* Decoded bytea of each column read since the last reset, one buffer per
	 * column so that every blob of a row stays valid together (store.h). */
	uint8_t *blobs[PG_MAX_COLUMNS];
};

/* Maps a failed result (or a connection failure when res is NULL). */
static obol_err map_result(struct pg_conn *pc, const PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(pc->c);
	if (PQstatus(pc->c) == CONNECTION_BAD) {
		obol_log_error("postgres: connection lost: %s", PQerrorMessage(pc->c));
		return OBOL_E_STORE_OPEN;
	}
	if (state == NULL) {
		obol_log_error("postgres: %s: %s", what, msg);
		return OBOL_E_STORE_QUERY;
	}
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		obol_log_debug("postgres: %s: %s", what, msg);
		return OBOL_E_STORE_CONFLICT;
	}
	if (strncmp(state, "23", 2) == 0) {
		obol_log_debug("postgres: %s: %s", what, msg);
		return OBOL_E_STORE_CONSTRAINT;
	}
	if (strcmp(state, "25006") == 0 || strcmp(state, "42501") == 0) {
		obol_log_debug("postgres: %s: %s", what, msg);
		return OBOL_E_STORE_READ_ONLY;
	}
	if (strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0) {
		obol_log_debug("postgres: %s: %s", what, msg);
		return OBOL_E_STORE_BUSY;
	}
	if (strcmp(state, "53100") == 0)
		return OBOL_E_STORE_FULL;
	obol_log_error("postgres: %s: [%s] %s", what, state, msg);
	return OBOL_E_STORE_QUERY;
}

static void pg_notice(void *arg, const char *msg)
{
	(void)arg;
	obol_log_debug("postgres: %s", msg);
}

static bool missing_database(PGconn *c)
{
	const char *m = PQerrorMessage(c);
	return strstr(m, "database \"") != NULL && strstr(m, "does not exist") != NULL;
}

/* Creates the database the URL names, through the maintenance database. */
static obol_err create_database(const char *url)
{
	obol_err e = OBOL_E_STORE_OPEN;
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	const char *dbname = NULL;
	PGconn *c = NULL;
	PGresult *r = NULL;
	char *ident = NULL, *sql = NULL;
	if (opts == NULL)
		return OBOL_E_STORE_URL;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "dbname") == 0)
			dbname = o->val;
	if (dbname == NULL || strcmp(dbname, "postgres") == 0)
		goto out;
	const char *keys[] = { "dbname", "dbname", NULL };
	const char *vals[] = { url, "postgres", NULL };
	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK)
		goto out;
	ident = PQescapeIdentifier(c, dbname, strlen(dbname));
	if (ident == NULL || asprintf(&sql, "CREATE DATABASE %s", ident) < 0) {
		sql = NULL;
		goto out;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		e = OBOL_OK;
	} else {
		const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		/* 42P04: created meanwhile by someone else, which is as good. */
		e = st && strcmp(st, "42P04") == 0 ? OBOL_OK : OBOL_E_STORE_OPEN;
		obol_log_debug("postgres: create database: %s", PQresultErrorMessage(r));
	}
out:
	PQclear(r);
	PQfreemem(ident);
	free(sql);
	PQfinish(c);
	PQconninfoFree(opts);
	return e;
}

static obol_err pg_open(const char *url, bool create, void **conn)
{
	obol_err e = OBOL_OK;
	struct pg_conn *pc = NULL;
	PGresult *r = NULL;
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &err);
	*conn = NULL;
	if (opts == NULL) {
		obol_log_debug("postgres: bad URL: %s", err ? err : "?");
		PQfreemem(err);
		return OBOL_E_STORE_URL;
	}
	PQconninfoFree(opts);
	pc = calloc(1, sizeof(*pc));
	if (pc == NULL)
		return OBOL_E_NO_MEMORY;
	pc->c = PQconnectdb(url);
	if (pc->c != NULL && PQstatus(pc->c) != CONNECTION_OK && missing_database(pc->c) && create) {
		PQfinish(pc->c);
		pc->c = NULL;
		e = create_database(url);
		if (e != OBOL_OK)
			goto out;
		pc->c = PQconnectdb(url);
	}
	if (pc->c == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if (PQstatus(pc->c) != CONNECTION_OK) {
		e = missing_database(pc->c) ? OBOL_E_STORE_MISSING : OBOL_E_STORE_OPEN;
		obol_log_debug("postgres: connect: %s", PQerrorMessage(pc->c));
		goto out;
	}
	PQsetNoticeProcessor(pc->c, pg_notice, NULL);
	r = PQexec(pc->c, "SET client_min_messages = warning");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		e = map_result(pc, r, "set");
		goto out;
	}
	*conn = pc;
	pc = NULL;
out:
	PQclear(r);
	if (pc != NULL) {
		PQfinish(pc->c);
		free(pc);
	}
	return e;
}

static void pg_close(void *conn)
{
	struct pg_conn *pc = conn;
	PQfinish(pc->c);
	free(pc);
}

static obol_err pg_exec(void *conn, const char *sql)
{
	struct pg_conn *pc = conn;
	obol_err e = OBOL_OK;
	PGresult *r = PQexec(pc->c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		e = map_result(pc, r, sql);
	else if (strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(r), "ROLLBACK") == 0)
		/* The transaction had failed and the caller went on: nothing stands. */
		e = OBOL_E_STORE_QUERY;
	PQclear(r);
	return e;
}

/* A connection lost between transactions (server restart, failover,
 * terminated backend) is made again before the next one. One lost inside a
 * transaction is STORE_OPEN for that transaction: whether a COMMIT in flight
 * took effect is unknown, and only the request's idempotency key can tell. */
static obol_err reconnect_if_lost(struct pg_conn *pc)
{
	if (PQstatus(pc->c) == CONNECTION_OK)
		return OBOL_OK;
	obol_log_warn("postgres: connection lost; reconnecting");
	PQreset(pc->c);
	if (PQstatus(pc->c) != CONNECTION_OK) {
		obol_log_error("postgres: reconnect: %s", PQerrorMessage(pc->c));
		return OBOL_E_STORE_OPEN;
	}
	pc->generation++;
	PGresult *r = PQexec(pc->c, "SET client_min_messages = warning");
	PQclear(r);
	return OBOL_OK;
}

/* libpq notices a drop only at the next use, which may be this BEGIN:
 * nothing was in flight then, so it is safe to reconnect and begin again. */
static obol_err begin_with(struct pg_conn *pc, const char *sql)
{
	obol_err e = reconnect_if_lost(pc);
	if (e == OBOL_OK)
		e = pg_exec(pc, sql);
	if (e == OBOL_E_STORE_OPEN && PQstatus(pc->c) != CONNECTION_OK) {
		e = reconnect_if_lost(pc);
		if (e == OBOL_OK)
			e = pg_exec(pc, sql);
	}
	return e;
}

static obol_err pg_begin(void *conn)
{
	return begin_with(conn, "BEGIN ISOLATION LEVEL SERIALIZABLE");
}

static obol_err pg_begin_read(void *conn)
{
	return begin_with(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

/* `?` → $n outside '...' and "..." (a doubled quote stays inside). */
static obol_err rewrite(const char *sql, char **out, int *nparams)
{
	size_t n = strlen(sql);
	char *o = malloc(n * 3 + 1), *w = o;
	char quote = 0;
	int k = 0;
	if (o == NULL)
		return OBOL_E_NO_MEMORY;
	for (const char *p = sql; *p; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
			*w++ = *p;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			*w++ = *p;
		} else if (*p == '?') {
			if (++k > PG_MAX_PARAMS) {
				free(o);
				return OBOL_E_INVALID_ARGUMENT;
			}
			w += sprintf(w, "$%d", k);
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	*out = o;
	*nparams = k;
	return OBOL_OK;
}

static obol_err pg_prepare(void *conn, const char *sql, void **out)
{
	struct pg_conn *pc = conn;
	struct pg_stmt *s = calloc(1, sizeof(*s));
	char *text = NULL;
	PGresult *r = NULL;
	obol_err e = OBOL_OK;
	if (s == NULL)
		return OBOL_E_NO_MEMORY;
	e = rewrite(sql, &text, &s->nparams);
	if (e != OBOL_OK)
		goto out;
	s->pc = pc;
	s->generation = pc->generation;
	snprintf(s->name, sizeof(s->name), "obol_%u", ++pc->next_stmt);
	r = PQprepare(pc->c, s->name, text, s->nparams, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		e = map_result(pc, r, sql);
		goto out;
	}
	s->row = -1;
	s->text = text;
	text = NULL;
	*out = s;
	s = NULL;
out:
	PQclear(r);
	free(text);
	free(s);
	return e;
}

static void pg_reset(void *st)
{
	struct pg_stmt *s = st;
	for (int i = 0; i < s->nparams; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
		s->lengths[i] = 0;
		s->formats[i] = 0;
	}
	PQclear(s->res);
	s->res = NULL;
	s->nrows = 0;
	s->row = -1;
	s->executed = false;
	s->changes = 0;
	for (int i = 0; i < PG_MAX_COLUMNS; i++) {
		free(s->blobs[i]);
		s->blobs[i] = NULL;
	}
}

static void pg_finalize(void *st)
{
	struct pg_stmt *s = st;
	pg_reset(s);
	/* The prepared statement ends with the connection; deallocating it
	 * here would cost a round trip per statement at close. */
	free(s->text);
	free(s);
}

static obol_err set_param(struct pg_stmt *s, int idx, char *v, int len, int format)
{
	if (idx < 1 || idx > s->nparams || s->executed) {
		free(v);
		return OBOL_E_INVALID_ARGUMENT;
	}
	free(s->values[idx - 1]);
	s->values[idx - 1] = v;
	s->lengths[idx - 1] = len;
	s->formats[idx - 1] = format;
	return OBOL_OK;
}

static obol_err pg_bind_int64(void *st, int idx, int64_t v)
{
	char *t = NULL;
	if (asprintf(&t, "%lld", (long long)v) < 0)
		return OBOL_E_NO_MEMORY;
	return set_param(st, idx, t, 0, 0);
}

static obol_err pg_bind_text(void *st, int idx, const char *v)
{
	char *t = strdup(v);
	return t == NULL ? OBOL_E_NO_MEMORY : set_param(st, idx, t, 0, 0);
}

static obol_err pg_bind_blob(void *st, int idx, const void *v, size_t len)
{
	if (len > INT32_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	char *t = malloc(len ? len : 1);
	if (t == NULL)
		return OBOL_E_NO_MEMORY;
	if (len)
		memcpy(t, v, len);
	return set_param(st, idx, t, (int)len, 1);
}

static obol_err pg_bind_null(void *st, int idx)
{
	return set_param(st, idx, NULL, 0, 0);
}

static obol_err pg_step(void *st, bool *row)
{
	struct pg_stmt *s = st;
	*row = false;
	if (!s->executed) {
		s->executed = true;
		if (s->generation != s->pc->generation) {
			PGresult *r = PQprepare(s->pc->c, s->name, s->text, s->nparams, NULL);
			obol_err e = PQresultStatus(r) == PGRES_COMMAND_OK ? OBOL_OK : map_result(s->pc, r, s->name);
			PQclear(r);
			if (e != OBOL_OK)
				return e;
			s->generation = s->pc->generation;
		}
		s->res = PQexecPrepared(s->pc->c, s->name, s->nparams, (const char *const *)s->values,
					s->lengths, s->formats, 0);
		ExecStatusType rs = PQresultStatus(s->res);
		if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK)
			return map_result(s->pc, s->res, s->name);
		s->nrows = rs == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
		const char *ct = PQcmdTuples(s->res);
		s->changes = ct[0] ? strtoll(ct, NULL, 10) : 0;
	}
	if (s->row + 1 < s->nrows) {
		s->row++;
		*row = true;
	} else {
		s->row = s->nrows;
	}
	return OBOL_OK;
}

static bool in_row(const struct pg_stmt *s, int col)
{
	return s->res != NULL && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

static bool pg_column_is_null(void *st, int col)
{
	struct pg_stmt *s = st;
	return !in_row(s, col) || PQgetisnull(s->res, s->row, col);
}

static int64_t pg_column_int64(void *st, int col)
{
	struct pg_stmt *s = st;
	if (pg_column_is_null(s, col))
		return 0;
	return strtoll(PQgetvalue(s->res, s->row, col), NULL, 10);
}

static const char *pg_column_text(void *st, int col)
{
	struct pg_stmt *s = st;
	return pg_column_is_null(s, col) ? NULL : PQgetvalue(s->res, s->row, col);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static const void *pg_column_blob(void *st, int col, size_t *len)
{
	struct pg_stmt *s = st;
	*len = 0;
	if (pg_column_is_null(s, col))
		return NULL;
	const char *t = PQgetvalue(s->res, s->row, col);
	size_t n = (size_t)PQgetlength(s->res, s->row, col);
	if (n < 2 || t[0] != '\\' || t[1] != 'x' || n % 2 != 0)
		return NULL; /* bytea_output=hex is the default since 9.0 */
	if (col < 0 || col >= PG_MAX_COLUMNS)
		return NULL;
	free(s->blobs[col]);
	s->blobs[col] = malloc(n / 2 > 0 ? n / 2 : 1);
	uint8_t *blob = s->blobs[col];
	if (blob == NULL)
		return NULL;
	for (size_t i = 2; i < n; i += 2) {
		int hi = hexval(t[i]), lo = hexval(t[i + 1]);
		if (hi < 0 || lo < 0)
			return NULL;
		blob[i / 2 - 1] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2 - 1;
	return blob;
}

static int64_t pg_changes(void *st)
{
	return ((struct pg_stmt *)st)->changes;
}

const struct obol_store_ops obol_store_postgres_ops = {
	.name = "postgres",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.begin = pg_begin,
	.begin_read = pg_begin_read,
	.prepare = pg_prepare,
	.finalize = pg_finalize,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_is_null = pg_column_is_null,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_blob = pg_column_blob,
	.changes = pg_changes,
	.reset = pg_reset,
};
