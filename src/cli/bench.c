/* Shared bench machinery; see bench.h. */
#include "cli/bench.h"

#include "core/clock.h"

/* Slices alternate between ours and raw and last at most this long, so that
 * a machine shared with other work slows both alike. */
#define SLICE_MAX_S 0.05

/* Runs op for about `seconds`: batches double until the slice is spent.
 * Adds the calls made and the nanoseconds spent. */
static obol_err run_slice(obol_bench_op op, void *arg, double seconds, double *calls, double *ns)
{
	uint64_t budget = (uint64_t)(seconds * 1e9), spent = 0;
	unsigned long batch = 1;
	while (spent < budget) {
		uint64_t t0 = obol_mono_ns();
		for (unsigned long i = 0; i < batch; i++) {
			obol_err e = op(arg);
			if (e != OBOL_OK)
				return e;
		}
		uint64_t dt = obol_mono_ns() - t0;
		spent += dt;
		*calls += (double)batch;
		*ns += (double)dt;
		if (dt < budget / 8 && batch < (1ul << 30))
			batch *= 2;
	}
	return OBOL_OK;
}

obol_err obol_bench_pair(struct obol_bench_fig *fig, obol_bench_op ours, void *ours_arg, obol_bench_op raw,
			 void *raw_arg, unsigned units, double seconds)
{
	double oc = 0, ons = 0, rc = 0, rns = 0;
	obol_err e;
	/* one untimed call each: warms caches and checks that both work */
	if ((e = ours(ours_arg)) != OBOL_OK || (e = raw(raw_arg)) != OBOL_OK)
		return e;
	double half_ns = seconds / 2 * 1e9, slice = seconds / 4 < SLICE_MAX_S ? seconds / 4 : SLICE_MAX_S;
	while (ons < half_ns || rns < half_ns) {
		if ((e = run_slice(ours, ours_arg, slice, &oc, &ons)) != OBOL_OK ||
		    (e = run_slice(raw, raw_arg, slice, &rc, &rns)) != OBOL_OK)
			return e;
	}
	fig->per_s = ons > 0 ? oc * units * 1e9 / ons : 0;
	fig->raw_per_s = rns > 0 ? rc * units * 1e9 / rns : 0;
	return OBOL_OK;
}

static double ratio(const struct obol_bench_fig *g)
{
	return g->raw_per_s > 0 ? g->per_s / g->raw_per_s : 0;
}

void obol_bench_print_table(FILE *f, const char *title, const struct obol_bench_fig *figs, size_t n)
{
	fprintf(f, "%s\n", title);
	fprintf(f, "%-34s %14s %14s %7s  %s\n", "operation", "obol /s", "raw /s", "ratio", "raw is");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-34s %14.1f %14.1f %7.3f  %s\n", figs[i].label, figs[i].per_s, figs[i].raw_per_s,
			ratio(&figs[i]), figs[i].raw_label);
}

void obol_bench_print_json(FILE *f, const struct obol_bench_fig *figs, size_t n)
{
	fputc('{', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\"%s_per_s\":%.1f,\"%s_raw_per_s\":%.1f,\"%s_ratio\":%.4f", i ? "," : "",
			figs[i].key, figs[i].per_s, figs[i].key, figs[i].raw_per_s, figs[i].key, ratio(&figs[i]));
	fputs("}\n", f);
}
