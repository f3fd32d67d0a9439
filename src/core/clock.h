/* Time: the one place every daemon, wallet, command and the simulator take
 * the wall clock from. The protocol cores take `now` (seconds since the Unix
 * epoch, UTC) as an argument and only the shells call these, with one
 * exception: the checks of the issuer's signatures in the scheme verifiers
 * that take no `now` (codex, payword, coupon replies, the key document)
 * check the online key's window at obol_now() (schemes/common/issuer_sig.h),
 * which the simulator's and the tests' clock sources move like the rest.
 *
 * A program may replace the clock source for the whole process with
 * obol_clock_set_source(). Two programs do, and both are built for tests only:
 *   - the deterministic simulator (tests/sim), which runs every process of a
 *     simulated world on its own clock (skewed, jumping days or years ahead);
 *   - the programs the end-to-end tests run (build/obol-e2e, build/obol-attack),
 *     whose main() calls obol_clock_install_for_tests(): with OBOL_TEST_CLOCK
 *     set, their wall clock is the system's plus an offset the test moves
 *     (tests/lib/test_clock.c).
 * build/obol links the empty obol_clock_install_for_tests of
 * src/core/clock_hook.c: it contains no code that reads OBOL_TEST_CLOCK or
 * any other clock setting, so a production daemon runs on the system clock
 * whatever its environment says. */
#ifndef OBOL_CORE_CLOCK_H
#define OBOL_CORE_CLOCK_H

#include <stdint.h>

#include "core/error.h"

/* Wall-clock seconds since the epoch. */
int64_t obol_now(void);
/* Monotonic nanoseconds, for benchmarks and timeouts. */
uint64_t obol_mono_ns(void);
/* Waits ns nanoseconds (shells that poll for something another thread does). */
void obol_sleep_ns(uint64_t ns);

/* A replacement clock: each function gets ctx. All three must be set. */
struct obol_clock_source {
	int64_t (*now)(void *ctx);
	uint64_t (*mono_ns)(void *ctx);          /* NULL: the system's monotonic clock */
	void (*sleep_ns)(void *ctx, uint64_t ns); /* NULL: the system's sleep */
	void *ctx;
};
/* Installs src (borrowed: it must outlive its use) as the process's clock,
 * or the system clock again when src is NULL. Call it before other threads
 * read the clock. */
void obol_clock_set_source(const struct obol_clock_source *src);

/* Called once by main() before anything reads the clock. In build/obol it
 * does nothing and returns OBOL_OK. In a program built for tests it installs
 * the settable test clock when OBOL_TEST_CLOCK names its file, and fails with
 * CLOCK_TEST_FILE when that file cannot be read. */
OBOL_MUST_CHECK obol_err obol_clock_install_for_tests(void);

#endif
