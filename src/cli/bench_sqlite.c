/* Contract in bench_sqlite.h. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/bench_sqlite.h"
#include "core/compiler.h"

obol_err obol_bench_raw_rows(sqlite3_stmt *st, size_t want)
{
	size_t n = 0;
	int rc;
	volatile int64_t sink = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0, cols = sqlite3_column_count(st); i < cols; i++)
			sink += sqlite3_column_type(st, i) == SQLITE_INTEGER ? sqlite3_column_int64(st, i)
									     : sqlite3_column_bytes(st, i);
		n++;
	}
	sqlite3_reset(st);
	(void)sink;
	return rc == SQLITE_DONE && n == want ? OBOL_OK : OBOL_E_INTERNAL;
}

void obol_bench_sqlite_remove(const char *path, const char *dir)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < OBOL_ARRAY_LEN(suffix); i++) {
		char f[4096];
		snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
		unlink(f);
	}
	rmdir(dir);
}
