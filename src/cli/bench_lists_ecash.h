/* The ecash part of `obol bench lists` (bench_lists_ecash.c). */
#ifndef OBOL_CLI_BENCH_LISTS_ECASH_H
#define OBOL_CLI_BENCH_LISTS_ECASH_H

#include <stdio.h>

#include "cli/bench.h"
#include "issuer/issuer.h"
#include "net/http_client.h"

struct bench_lists_ecash {
	size_t n;                          /* revoked keys on the list */
	size_t whole_bytes, whole_pages, delta_bytes, delta_pages;
	struct obol_bench_fig figs[2];     /* whole, delta of 100 */
};

/* Fills the issuer's SQLite database (db_url, its file at path) with n
 * revoked keys (the last 100 revoked a minute ago), then measures the
 * revocation list fetched whole and as that delta through the issuer iss
 * at c, each next to a SELECT of the same rows from the same file. */
OBOL_MUST_CHECK obol_err bench_lists_ecash(const char *db_url, const char *path, struct obol_issuer *iss,
					   struct obol_http_client *c, size_t n, double seconds,
					   struct bench_lists_ecash *out);
/* Its JSON members (",\"ecash_rl_...\": ...", after the others) or its table. */
void bench_lists_ecash_print(FILE *f, const struct bench_lists_ecash *b, bool json);

#endif
