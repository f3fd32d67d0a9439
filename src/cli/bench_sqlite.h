/* What `obol bench lists` measures obol's list fetches against: the raw
 * cost of a SELECT of the same rows from the same SQLite file in the same
 * run (bench.h), and the scratch SQLite file the bench builds. */
#ifndef OBOL_CLI_BENCH_SQLITE_H
#define OBOL_CLI_BENCH_SQLITE_H

#include <sqlite3.h>
#include <stddef.h>

#include "core/error.h"

/* Steps st to its end, reading every column of every row (the bytes of a
 * blob or text, the value of an integer), then resets it: OK when it gave
 * exactly want rows, INTERNAL otherwise. */
OBOL_MUST_CHECK obol_err obol_bench_raw_rows(sqlite3_stmt *st, size_t want);

/* Removes the SQLite file path with its -wal, -shm and -journal files,
 * then the directory dir that held it. */
void obol_bench_sqlite_remove(const char *path, const char *dir);

#endif
