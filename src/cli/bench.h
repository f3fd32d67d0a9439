/* Shared machinery of the `obol bench ...` commands: a timing loop that
 * measures an obol operation and the same operation done raw by the
 * underlying library in the same run, alternately, and prints the figures as
 * a table or as one JSON object.
 *
 * JSON keys per figure: <key>_per_s, <key>_raw_per_s, <key>_ratio
 * (ratio = per_s / raw_per_s: 1.0 means obol adds nothing). */
#ifndef OBOL_CLI_BENCH_H
#define OBOL_CLI_BENCH_H

#include <stddef.h>
#include <stdio.h>

#include "core/error.h"

/* One operation; returns OBOL_OK, or an error that stops the bench (a
 * benchmark of a failing operation measures nothing). */
typedef obol_err (*obol_bench_op)(void *arg);

struct obol_bench_fig {
	const char *key;       /* "blind_sign" */
	const char *label;     /* "blind-sign (RSA-2048)" */
	const char *raw_label; /* "EVP_PKEY_sign, no padding" */
	double per_s;          /* obol operations per second */
	double raw_per_s;      /* raw operations per second */
};

/* Default and --quick time per figure, in seconds. */
#define OBOL_BENCH_SECONDS 1.0
#define OBOL_BENCH_QUICK_SECONDS 0.2

/* Measures ours and raw alternately, in slices of at most 50 ms, until each
 * has run about seconds/2, and fills fig->per_s and fig->raw_per_s. Each call of an op counts as `units`
 * operations (for ops that loop inside, like hash chain steps). */
OBOL_MUST_CHECK obol_err obol_bench_pair(struct obol_bench_fig *fig, obol_bench_op ours, void *ours_arg,
					 obol_bench_op raw, void *raw_arg, unsigned units, double seconds);

void obol_bench_print_table(FILE *f, const char *title, const struct obol_bench_fig *figs, size_t n);
void obol_bench_print_json(FILE *f, const struct obol_bench_fig *figs, size_t n);

#endif
