/* Clocks; see clock.h. */
#include "core/clock.h"

#include <stddef.h>
#include <time.h>

static const struct obol_clock_source *source;

void obol_clock_set_source(const struct obol_clock_source *src)
{
	source = src;
}

int64_t obol_now(void)
{
	if (source != NULL)
		return source->now(source->ctx);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t obol_mono_ns(void)
{
	if (source != NULL && source->mono_ns != NULL)
		return source->mono_ns(source->ctx);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void obol_sleep_ns(uint64_t ns)
{
	if (source != NULL && source->sleep_ns != NULL) {
		source->sleep_ns(source->ctx, ns);
		return;
	}
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) != 0)
		;
}
