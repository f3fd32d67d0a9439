/* Timed waits of the daemons' worker threads (the vendor's outbox, renewer,
 * timers and list refreshers): on the system's monotonic clock, so a step
 * of the wall clock (an NTP correction, an operator setting the date) never
 * stretches a wait into hours nor cuts it to nothing. The waits are
 * intervals of real time between passes; what a pass decides by the date
 * reads obol_now() (core/clock.h) as before. */
#ifndef OBOL_CORE_TIMED_WAIT_H
#define OBOL_CORE_TIMED_WAIT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* pthread_cond_init with its timed waits on CLOCK_MONOTONIC. */
void obol_cond_init_monotonic(pthread_cond_t *cv);
/* *ts = the monotonic clock now plus ms milliseconds: the deadline for
 * pthread_cond_timedwait on a condition made by obol_cond_init_monotonic. */
void obol_cond_deadline_ms(struct timespec *ts, uint64_t ms);

#endif
