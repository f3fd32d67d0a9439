/* The codex blacklist's part of `obol bench lists` (bench_lists_codex.c). */
#ifndef OBOL_CLI_BENCH_LISTS_CODEX_H
#define OBOL_CLI_BENCH_LISTS_CODEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/bench.h"
#include "core/error.h"

struct obol_bench_lists_codex {
	size_t n;                           /* live entries of the list */
	size_t whole_bytes, whole_pages;    /* the whole list as served */
	size_t delta_bytes, delta_pages;    /* the delta of 100 */
	struct obol_bench_fig figs[2];      /* whole, delta: ours next to a raw SELECT */
};

/* Builds its own issuer database (SQLite, in a temporary directory, removed
 * after) with n listed users, 100 of them at the newest version, and
 * measures the paged fetch of the whole list and of the delta through the
 * real issuer on loopback and the wallet's page loop, each next to a SELECT
 * of the same rows from the same file. */
OBOL_MUST_CHECK obol_err obol_bench_lists_codex_run(size_t n, double seconds, struct obol_bench_lists_codex *r);
/* Its table, or (json) `,"codex":{...}` to close into the caller's object. */
void obol_bench_lists_codex_print(const struct obol_bench_lists_codex *r, bool json, FILE *out);

#endif
