/* Time. The protocol cores never read the clock: they take `now` (seconds
 * since the Unix epoch, UTC) as an argument. Only the shells call these.
 *
 * A program may replace the clock source for the whole process with
 * obol_clock_set_source(): the deterministic simulator (tests/sim) does, to
 * run every process of a simulated world on its own clock (skewed, and
 * jumping days or years ahead). Nothing reads the source from the
 * environment or a file: only code that calls obol_clock_set_source, which
 * no command of build/obol does, runs on another clock than the system's. */
#ifndef OBOL_CORE_CLOCK_H
#define OBOL_CORE_CLOCK_H

#include <stdint.h>

/* Wall-clock seconds since the epoch. */
int64_t obol_now(void);
/* Monotonic nanoseconds, for benchmarks and timeouts. */
uint64_t obol_mono_ns(void);
/* Waits ns nanoseconds (shells that poll for something another thread does). */
void obol_sleep_ns(uint64_t ns);

/* A replacement clock: each function gets ctx. All three must be set. */
struct obol_clock_source {
	int64_t (*now)(void *ctx);
	uint64_t (*mono_ns)(void *ctx);
	void (*sleep_ns)(void *ctx, uint64_t ns);
	void *ctx;
};
/* Installs src (borrowed: it must outlive its use) as the process's clock,
 * or the system clock again when src is NULL. Call it before other threads
 * read the clock. */
void obol_clock_set_source(const struct obol_clock_source *src);

#endif
