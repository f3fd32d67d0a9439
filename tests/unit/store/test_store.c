/* The storage interface on each backend: URLs, open errors, typed columns,
 * the statement cache, `?` rewriting, transactions, migrations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "../test.h"
#include "store_test.h"

TEST(store, bad_url_is_store_url)
{
	struct obol_store *s = NULL;
	CHECK_ERR(obol_store_open("mysql://localhost/x", true, &s), OBOL_E_STORE_URL);
	CHECK_ERR(obol_store_open("sqlite:", true, &s), OBOL_E_STORE_URL);
	CHECK_ERR(obol_store_open("", true, &s), OBOL_E_STORE_URL);
	CHECK_ERR(obol_store_open("/tmp/x.db", true, &s), OBOL_E_STORE_URL);
	CHECK_ERR(obol_store_open(NULL, true, &s), OBOL_E_STORE_URL);
	CHECK_ERR(obol_store_open("postgresql://host/db?no_such_option=1", true, &s), OBOL_E_STORE_URL);
	CHECK(s == NULL);
}

TEST_DB(store, missing_database_is_store_missing)
{
	static char stale;
	struct obol_store *s = (struct obol_store *)&stale; /* a refused open clears it */
	char url[1200];
	(void)db_url;
	REQUIRE(store_test_missing_url(url, sizeof(url)));
	CHECK_ERR(obol_store_open(url, false, &s), OBOL_E_STORE_MISSING);
	CHECK(s == NULL);
	/* With create it comes into being, and then opens without create. */
	REQUIRE_OK(obol_store_open(url, true, &s));
	obol_store_close(s);
	REQUIRE_OK(obol_store_open(url, false, &s));
	obol_store_close(s);
}

TEST(store, sqlite_new_database_is_private_to_its_owner)
{
	char path[600], url[700];
	struct obol_store *s = NULL;
	struct stat sb;
	mode_t old = umask(022);
	snprintf(path, sizeof(path), "%s/private.db", test_tmpdir());
	snprintf(url, sizeof(url), "sqlite:%s", path);
	REQUIRE_OK(obol_store_open(url, true, &s));
	REQUIRE_OK(obol_store_exec(s, "CREATE TABLE k (v BYTEA)"));
	umask(old);
	REQUIRE(stat(path, &sb) == 0);
	CHECK_EQ_INT(sb.st_mode & 0777, 0600);
	char wal[620];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	REQUIRE(stat(wal, &sb) == 0);
	CHECK_EQ_INT(sb.st_mode & 0777, 0600);
	obol_store_close(s);
}

TEST(store, sqlite_garbage_file_is_store_open)
{
	char path[600], url[700];
	struct obol_store *s = NULL;
	snprintf(path, sizeof(path), "%s/garbage.db", test_tmpdir());
	FILE *f = fopen(path, "w");
	REQUIRE(f != NULL);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database\n", f);
	fclose(f);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	CHECK_ERR(obol_store_open(url, false, &s), OBOL_E_STORE_OPEN);
	CHECK(s == NULL);
}

TEST_DB(store, typed_columns_roundtrip)
{
	struct obol_store *s = NULL;
	struct obol_stmt *st = NULL;
	bool row = false;
	const uint8_t blob[5] = { 0, 0xff, 0x10, 0, 0x7f };
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	CHECK_EQ_STR(obol_store_backend_name(s), test_backend());
	REQUIRE_OK(obol_store_exec(s, "CREATE TABLE t (k BIGINT PRIMARY KEY, i BIGINT, x TEXT, b BYTEA, c BYTEA)"));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_store_run(s, NULL, "INSERT INTO t (k, i, x, b, c) VALUES (?, ?, ?, ?, ?)", "iitbb",
				(int64_t)1, INT64_MIN, "h\xc3\xa9llo '?' \"x\"", (const void *)blob, sizeof(blob),
				(const void *)"\x01\x02", (size_t)2));
	CHECK_OK(obol_store_run(s, NULL, "INSERT INTO t (k, i, x, b) VALUES (?, ?, ?, ?)", "iitb", (int64_t)2,
				INT64_MAX, "", (const void *)"", (size_t)0));
	CHECK_OK(obol_store_run(s, NULL, "INSERT INTO t (k, i, x, b) VALUES (?, ?, ?, ?)", "innn", (int64_t)3));
	REQUIRE_OK(obol_store_commit(s));

	REQUIRE_OK(obol_stmt_prepare(s, "SELECT i, x, b, '?', c FROM t WHERE k >= ? ORDER BY k", &st));
	REQUIRE_OK(obol_stmt_bind_int64(st, 1, 1));
	REQUIRE_OK(obol_stmt_step(st, &row));
	REQUIRE(row);
	size_t n = 0;
	CHECK(obol_stmt_column_int64(st, 0) == INT64_MIN);
	CHECK_EQ_STR(obol_stmt_column_text(st, 1), "h\xc3\xa9llo '?' \"x\"");
	const void *b = obol_stmt_column_blob(st, 2, &n);
	CHECK_EQ_INT(n, sizeof(blob));
	CHECK(b != NULL && memcmp(b, blob, sizeof(blob)) == 0);
	CHECK_EQ_STR(obol_stmt_column_text(st, 3), "?");
	/* Every blob of a row stays valid until the next step, not only the
	 * last one read. */
	size_t n2 = 0;
	const void *b2 = obol_stmt_column_blob(st, 4, &n2);
	CHECK(b2 != NULL && n2 == 2 && memcmp(b2, "\x01\x02", 2) == 0);
	CHECK(b != NULL && memcmp(b, blob, sizeof(blob)) == 0);
	REQUIRE_OK(obol_stmt_step(st, &row));
	REQUIRE(row);
	CHECK(obol_stmt_column_int64(st, 0) == INT64_MAX);
	CHECK_EQ_STR(obol_stmt_column_text(st, 1), "");
	CHECK(!obol_stmt_column_is_null(st, 2));
	obol_stmt_column_blob(st, 2, &n);
	CHECK_EQ_INT(n, 0);
	REQUIRE_OK(obol_stmt_step(st, &row));
	REQUIRE(row);
	CHECK(obol_stmt_column_is_null(st, 0));
	CHECK(obol_stmt_column_is_null(st, 1));
	CHECK(obol_stmt_column_is_null(st, 2));
	CHECK(obol_stmt_column_text(st, 1) == NULL);
	REQUIRE_OK(obol_stmt_step(st, &row));
	CHECK(!row);
	/* Stepping past the end never runs the statement again. */
	REQUIRE_OK(obol_stmt_step(st, &row));
	CHECK(!row);
	obol_stmt_finish(st);

	/* A second prepare of the same text while the first is in use gives
	 * another statement; after finish the cached one is reused. */
	struct obol_stmt *a = NULL, *c = NULL, *d = NULL;
	REQUIRE_OK(obol_stmt_prepare(s, "SELECT count(*) FROM t", &a));
	REQUIRE_OK(obol_stmt_prepare(s, "SELECT count(*) FROM t", &c));
	CHECK(a != c);
	obol_stmt_finish(a);
	REQUIRE_OK(obol_stmt_prepare(s, "SELECT count(*) FROM t", &d));
	CHECK(d == a);
	REQUIRE_OK(obol_stmt_step(d, &row));
	CHECK(row && obol_stmt_column_int64(d, 0) == 3);
	obol_stmt_finish(c);
	obol_stmt_finish(d);

	/* changes counts the rows an UPDATE touched. */
	int64_t changed = -1;
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_store_run(s, &changed, "UPDATE t SET i = ? WHERE k <= ?", "ii", (int64_t)7, (int64_t)2));
	CHECK_EQ_INT(changed, 2);
	CHECK_OK(obol_store_run(s, &changed, "UPDATE t SET i = ? WHERE k > ?", "ii", (int64_t)7, (int64_t)9));
	CHECK_EQ_INT(changed, 0);
	obol_store_rollback(s);
	obol_store_close(s);
}

TEST_DB(store, constraint_savepoint_and_rollback)
{
	struct obol_store *s = NULL;
	struct obol_stmt *st = NULL;
	bool row = false;
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(obol_store_exec(s, "CREATE TABLE t (k BIGINT PRIMARY KEY)"));
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_store_run(s, NULL, "INSERT INTO t (k) VALUES (?)", "i", (int64_t)1));
	CHECK_OK(obol_store_savepoint(s, "u1"));
	CHECK_OK(obol_store_run(s, NULL, "INSERT INTO t (k) VALUES (?)", "i", (int64_t)2));
	CHECK_ERR(obol_store_run(s, NULL, "INSERT INTO t (k) VALUES (?)", "i", (int64_t)1), OBOL_E_STORE_CONSTRAINT);
	CHECK_OK(obol_store_rollback_to(s, "u1"));
	CHECK_OK(obol_store_release(s, "u1"));
	CHECK_OK(obol_store_run(s, NULL, "INSERT INTO t (k) VALUES (?)", "i", (int64_t)3));
	CHECK_ERR(obol_store_savepoint(s, "bad name; DROP TABLE t"), OBOL_E_INVALID_ARGUMENT);
	REQUIRE_OK(obol_store_commit(s));
	/* A rolled-back transaction leaves nothing. */
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_store_run(s, NULL, "INSERT INTO t (k) VALUES (?)", "i", (int64_t)4));
	obol_store_rollback(s);
	REQUIRE_OK(obol_stmt_prepare(s, "SELECT count(*), sum(k) FROM t", &st));
	REQUIRE_OK(obol_stmt_step(st, &row));
	CHECK(row);
	CHECK_EQ_INT(obol_stmt_column_int64(st, 0), 2);
	CHECK_EQ_INT(obol_stmt_column_int64(st, 1), 4);
	obol_stmt_finish(st);
	obol_store_close(s);
}

static const struct obol_migration steps3[] = {
	{ .sqlite = "CREATE TABLE m1 (a BIGINT)" },
	{ .sqlite = "CREATE TABLE m2 (a BIGINT); INSERT INTO m2 (a) VALUES (42)" },
	{ .sqlite = "ALTER TABLE m1 ADD COLUMN b TEXT", .postgres = "ALTER TABLE m1 ADD COLUMN b TEXT NULL" },
};

TEST_DB(store, migrations_apply_once_and_refuse_newer)
{
	struct obol_store *s = NULL;
	int64_t v = -1;
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	CHECK_OK(obol_store_schema_version(s, "demo", &v));
	CHECK_EQ_INT(v, 0);
	REQUIRE_OK(obol_store_migrate(s, "demo", steps3, 2));
	CHECK_OK(obol_store_schema_version(s, "demo", &v));
	CHECK_EQ_INT(v, 2);
	/* Again: nothing runs (step 2 would insert a second row). */
	REQUIRE_OK(obol_store_migrate(s, "demo", steps3, 2));
	REQUIRE_OK(obol_store_migrate(s, "demo", steps3, 3));
	CHECK_OK(obol_store_schema_version(s, "demo", &v));
	CHECK_EQ_INT(v, 3);
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM m2"), 1);
	CHECK_OK(obol_store_exec(s, "INSERT INTO m1 (a, b) VALUES (1, 'x')"));
	/* Components are independent. */
	CHECK_OK(obol_store_schema_version(s, "other", &v));
	CHECK_EQ_INT(v, 0);
	/* This build knows 3 steps; a database at 4 is from a newer build. */
	REQUIRE_OK(obol_store_exec(s, "UPDATE schema_version SET version = 4 WHERE component = 'demo'"));
	CHECK_ERR(obol_store_migrate(s, "demo", steps3, 3), OBOL_E_STORE_SCHEMA_TOO_NEW);
	obol_store_close(s);
}

TEST_DB(store, failing_migration_step_changes_nothing)
{
	struct obol_store *s = NULL;
	int64_t v = -1;
	const struct obol_migration bad[] = {
		{ .sqlite = "CREATE TABLE ok1 (a BIGINT)" },
		{ .sqlite = "CREATE TABLE ok2 (a BIGINT); CREATE TABLE ok1 (a BIGINT)" },
	};
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	CHECK_ERR(obol_store_migrate(s, "bad", bad, 2), OBOL_E_STORE_QUERY);
	CHECK_OK(obol_store_schema_version(s, "bad", &v));
	CHECK_EQ_INT(v, 1);
	/* ok2 was rolled back with its step. */
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM ok1"), 0);
	CHECK(store_test_table_exists(s, "ok1"));
	CHECK(!store_test_table_exists(s, "ok2"));
	obol_store_close(s);
}

TEST_DB(store, read_only_database_is_store_read_only)
{
	struct obol_store *s = NULL;
	char ro[1400];
	int64_t v = -1;
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(obol_store_migrate(s, "demo", steps3, 3));
	obol_store_close(s);
	REQUIRE(store_test_read_only_url(db_url, ro, sizeof(ro)));
	REQUIRE_OK(obol_store_open(ro, false, &s));
	/* Reading works, and so does a migration that has nothing to do. */
	CHECK_OK(obol_store_schema_version(s, "demo", &v));
	CHECK_EQ_INT(v, 3);
	CHECK_OK(obol_store_migrate(s, "demo", steps3, 3));
	CHECK_EQ_INT(store_test_count(s, "SELECT a FROM m2"), 42);
	/* Writing does not. */
	obol_err e = obol_store_begin(s);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL, "INSERT INTO m2 (a) VALUES (?)", "i", (int64_t)1);
	CHECK_ERR(e, OBOL_E_STORE_READ_ONLY);
	obol_store_rollback(s);
	CHECK_ERR(obol_store_exec(s, "CREATE TABLE x (a BIGINT)"), OBOL_E_STORE_READ_ONLY);
	obol_store_close(s);
}

/* PostgreSQL: a connection the server dropped (restart, failover) is made
 * again before the next transaction, and cached statements prepare again; a
 * drop inside a transaction fails that transaction with STORE_OPEN. SQLite
 * has no connection to lose; there the case checks the same sequence of
 * transactions without the drop. */
static void drop_connection(struct obol_store *victim, const char *db_url)
{
	struct obol_store *killer = NULL;
	int64_t pid = store_test_count(victim, "SELECT pg_backend_pid()");
	char sql[120];
	REQUIRE(pid > 0);
	REQUIRE_OK(obol_store_open(db_url, false, &killer));
	snprintf(sql, sizeof(sql), "SELECT CASE WHEN pg_terminate_backend(%lld, 10000) THEN 1 ELSE 0 END", (long long)pid);
	CHECK_EQ_INT(store_test_count(killer, sql), 1);
	obol_store_close(killer);
}

TEST_DB(store, lost_connection_is_made_again)
{
	struct obol_store *s = NULL;
	bool pg = strcmp(test_backend(), "postgres") == 0;
	const char *ins = "INSERT INTO t (k) VALUES (?)";
	REQUIRE_OK(obol_store_open(db_url, true, &s));
	REQUIRE_OK(obol_store_exec(s, "CREATE TABLE t (k BIGINT PRIMARY KEY)"));
	REQUIRE_OK(obol_store_begin(s));
	REQUIRE_OK(obol_store_run(s, NULL, ins, "i", (int64_t)1));
	REQUIRE_OK(obol_store_commit(s));
	if (pg)
		drop_connection(s, db_url);
	REQUIRE_OK(obol_store_begin(s));
	CHECK_OK(obol_store_run(s, NULL, ins, "i", (int64_t)2));
	CHECK_OK(obol_store_commit(s));
	REQUIRE_OK(obol_store_begin(s));
	if (pg) {
		drop_connection(s, db_url);
		CHECK_ERR(obol_store_run(s, NULL, ins, "i", (int64_t)3), OBOL_E_STORE_OPEN);
		obol_store_rollback(s);
		REQUIRE_OK(obol_store_begin(s));
	}
	CHECK_OK(obol_store_run(s, NULL, ins, "i", (int64_t)4));
	CHECK_OK(obol_store_commit(s));
	CHECK_EQ_INT(store_test_count(s, "SELECT count(*) FROM t"), 3);
	CHECK_EQ_INT(store_test_count(s, "SELECT sum(k) FROM t"), 7);
	obol_store_close(s);
}
