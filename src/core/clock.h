/* Time. The protocol cores never read the clock: they take `now` (seconds
 * since the Unix epoch, UTC) as an argument. Only the shells call these. */
#ifndef OBOL_CORE_CLOCK_H
#define OBOL_CORE_CLOCK_H

#include <stdint.h>

/* Wall-clock seconds since the epoch. */
int64_t obol_now(void);
/* Monotonic nanoseconds, for benchmarks and timeouts. */
uint64_t obol_mono_ns(void);

#endif
