#include "core/timed_wait.h"

void obol_cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

void obol_cond_deadline_ms(struct timespec *ts, uint64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	uint64_t ns = (uint64_t)ts->tv_nsec + (ms % 1000u) * 1000000u;
	ts->tv_sec += (time_t)(ms / 1000u + ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}
