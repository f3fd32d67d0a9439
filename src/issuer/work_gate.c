/* Bounded expensive work (contract in work_gate.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "issuer/work_gate.h"

struct kind {
	unsigned slots, busy, waiting;
	unsigned long long done, refused;
	pthread_cond_t freed;
};

struct obol_work_gate {
	pthread_mutex_t mu;
	struct kind k[OBOL_WORK_KINDS];
};

static unsigned default_slots(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 1 ? (unsigned)(n - 1) : 1;
}

obol_err obol_work_gate_new(const unsigned slots[OBOL_WORK_KINDS], struct obol_work_gate **out)
{
	struct obol_work_gate *g = calloc(1, sizeof *g);
	*out = NULL;
	if (g == NULL)
		return OBOL_E_NO_MEMORY;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (int i = 0; i < OBOL_WORK_KINDS; i++) {
		g->k[i].slots = slots != NULL && slots[i] > 0 ? slots[i] : default_slots();
		pthread_cond_init(&g->k[i].freed, &ca);
	}
	pthread_condattr_destroy(&ca);
	*out = g;
	return OBOL_OK;
}

void obol_work_gate_free(struct obol_work_gate *g)
{
	if (g == NULL)
		return;
	for (int i = 0; i < OBOL_WORK_KINDS; i++)
		pthread_cond_destroy(&g->k[i].freed);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

obol_err obol_work_enter(struct obol_work_gate *g, enum obol_work k)
{
	if (k <= OBOL_WORK_NONE || k >= OBOL_WORK_KINDS)
		return OBOL_OK;
	struct kind *w = &g->k[k];
	obol_err e = OBOL_OK;
	pthread_mutex_lock(&g->mu);
	if (w->busy >= w->slots) {
		if (w->waiting >= w->slots * OBOL_WORK_WAITERS_PER_SLOT) {
			e = OBOL_E_ISSUER_BUSY;
			goto out;
		}
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += OBOL_WORK_WAIT_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		w->waiting++;
		int r = 0;
		while (w->busy >= w->slots && r != ETIMEDOUT)
			r = pthread_cond_timedwait(&w->freed, &g->mu, &until);
		w->waiting--;
		if (w->busy >= w->slots) {
			e = OBOL_E_ISSUER_BUSY;
			goto out;
		}
	}
	w->busy++;
out:
	if (e != OBOL_OK)
		w->refused++;
	pthread_mutex_unlock(&g->mu);
	return e;
}

void obol_work_leave(struct obol_work_gate *g, enum obol_work k)
{
	if (k <= OBOL_WORK_NONE || k >= OBOL_WORK_KINDS)
		return;
	struct kind *w = &g->k[k];
	pthread_mutex_lock(&g->mu);
	if (w->busy > 0) {
		w->busy--;
		w->done++;
		pthread_cond_signal(&w->freed);
	}
	pthread_mutex_unlock(&g->mu);
}

void obol_work_stats(struct obol_work_gate *g, enum obol_work k, struct obol_work_stats *out)
{
	struct kind *w = &g->k[k < OBOL_WORK_KINDS ? k : OBOL_WORK_NONE];
	pthread_mutex_lock(&g->mu);
	*out = (struct obol_work_stats){ .slots = w->slots, .busy = w->busy, .done = w->done, .refused = w->refused };
	pthread_mutex_unlock(&g->mu);
}
