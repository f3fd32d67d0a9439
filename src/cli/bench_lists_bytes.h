/* obol bench lists, the issuer's bytes per operation (issue 18): N real
 * operations through the real issuer (in this process, on loopback, over
 * its own SQLite database in a temporary directory), and the database's
 * growth they cause, next to the bytes a SELECT of the rows they added
 * returns (their payload). */
#ifndef OBOL_CLI_BENCH_LISTS_BYTES_H
#define OBOL_CLI_BENCH_LISTS_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

struct bench_bytes_figure {
	const char *op;     /* "coupon withdraw", ... */
	size_t n;           /* operations run */
	double db_per_op;   /* bytes of used database pages (tables and indexes) per operation */
	double raw_per_op;  /* bytes of the rows' content per operation (SQLite dbstat payload) */
	char tables[160];   /* the tables that grew */
};

#define BENCH_BYTES_MAX 16

struct bench_bytes {
	struct bench_bytes_figure f[BENCH_BYTES_MAX];
	size_t n;
};

/* Runs every measured operation, n times each (quick: fewer). */
OBOL_MUST_CHECK obol_err bench_lists_bytes_run(bool quick, struct bench_bytes *out);
void bench_lists_bytes_print(FILE *out, const struct bench_bytes *b);
/* A JSON array of {op, n, db_bytes_per_op, raw_bytes_per_op, tables}. */
void bench_lists_bytes_print_json(FILE *out, const struct bench_bytes *b);

#endif
