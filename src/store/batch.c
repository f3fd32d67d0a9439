/* Group commit (batch.h, DESIGN §4 "Durability").
 *
 * Callers queue a unit and sleep. The committer takes up to max_batch queued
 * units, opens one write transaction, runs each unit under SAVEPOINT u (a
 * failing unit is rolled back to it alone), commits once, and only then
 * wakes every caller of the batch. While it commits, new units queue up and
 * form the next batch, so the batch size follows the load by itself.
 *
 * A unit or the commit failing with STORE_CONFLICT or STORE_BUSY (another
 * process on the same PostgreSQL database, or an SQLite writer holding the
 * lock past the busy timeout) rolls the whole batch back and runs all its
 * units again, up to OBOL_STORE_RETRIES times: the transaction is doomed as a
 * whole then, not just the unit. Units must therefore be re-runnable; only
 * the last run's effects and outputs stand. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "console/metrics.h"
#include "core/clock.h"
#include "core/fault.h"
#include "core/log.h"
#include "store/batch.h"

struct unit {
	obol_unit_fn fn;
	void *ctx;
	obol_err result;
	bool done;
	pthread_cond_t done_cv; /* signalled once, under mu, when done is set */
	struct unit *next;
};

struct obol_batcher {
	struct obol_store *s;
	size_t max_batch;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work; /* a unit was queued, or stop */
	struct unit *head, *tail;
	bool stopping;
	bool inline_; /* obol_batcher_start_inline: no thread */
	uint64_t batches, units, retries;
	struct unit **batch; /* max_batch slots, the committer's own */
};

/* Runs the units once in one transaction; sets each result. Returns the
 * error that dooms the whole batch (begin, savepoint, a retryable unit error,
 * commit), or OBOL_OK when it committed.
 *
 * Between two units, ending one savepoint and starting the next is one
 * exec of two or three statements: one round trip to PostgreSQL instead of
 * two. COMMIT releases the last savepoint. */
static obol_err run_once(struct obol_batcher *b, size_t n)
{
	struct obol_store *s = b->s;
	const char *next = "SAVEPOINT u";
	bool last_failed = false;
	for (size_t i = 0; i < n; i++)
		b->batch[i]->result = OBOL_OK;
	obol_err e = obol_store_begin(s);
	if (e != OBOL_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		struct unit *u = b->batch[i];
		e = obol_store_exec(s, next);
		if (e != OBOL_OK)
			goto fail;
		u->result = u->fn(s, u->ctx);
		if (obol_store_retryable(u->result)) {
			e = u->result;
			goto fail;
		}
		last_failed = u->result != OBOL_OK;
		next = last_failed ? "ROLLBACK TO SAVEPOINT u; RELEASE SAVEPOINT u; SAVEPOINT u"
				   : "RELEASE SAVEPOINT u; SAVEPOINT u";
	}
	if (last_failed)
		e = obol_store_rollback_to(s, "u");
	if (e == OBOL_OK)
		e = obol_store_commit(s);
	if (e == OBOL_OK)
		return OBOL_OK;
fail:
	obol_store_rollback(s);
	return e;
}

static void run_batch(struct obol_batcher *b, size_t n)
{
	obol_err e = OBOL_OK;
	for (unsigned attempt = 0; attempt < OBOL_STORE_RETRIES; attempt++) {
		if (attempt > 0) {
			b->retries++;
			obol_store_backoff(attempt);
		}
		e = run_once(b, n);
		if (!obol_store_retryable(e))
			break;
	}
	if (e != OBOL_OK) {
		obol_log_warn("batch: %zu units not committed: %s", n, obol_strerror(e));
		/* Nothing of the batch stands: a unit that succeeded learns why. */
		for (size_t i = 0; i < n; i++)
			if (b->batch[i]->result == OBOL_OK || obol_store_retryable(b->batch[i]->result))
				b->batch[i]->result = e;
	}
}

static void *committer(void *arg)
{
	struct obol_batcher *b = arg;
	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (b->head == NULL && !b->stopping)
			pthread_cond_wait(&b->work, &b->mu);
		if (b->head == NULL)
			break;
		size_t n = 0;
		while (b->head != NULL && n < b->max_batch) {
			b->batch[n++] = b->head;
			b->head = b->head->next;
		}
		if (b->head == NULL)
			b->tail = NULL;
		pthread_mutex_unlock(&b->mu);

		uint64_t t0 = obol_mono_ns();
		run_batch(b, n);
		obol_metrics_batch(n, obol_mono_ns() - t0);

		pthread_mutex_lock(&b->mu);
		b->batches++;
		b->units += n;
		/* each caller is woken alone: a broadcast would wake every
		 * waiter of later batches too, only for it to sleep again */
		for (size_t i = 0; i < n; i++) {
			b->batch[i]->done = true;
			pthread_cond_signal(&b->batch[i]->done_cv);
		}
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

obol_err obol_batcher_start(struct obol_store *s, size_t max_batch, struct obol_batcher **out)
{
	struct obol_batcher *b = NULL;
	*out = NULL;
	if (s == NULL || max_batch == 0 || max_batch > 100000)
		return OBOL_E_INVALID_ARGUMENT;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return OBOL_E_NO_MEMORY;
	b->batch = calloc(max_batch, sizeof(*b->batch));
	if (b->batch == NULL) {
		free(b);
		return OBOL_E_NO_MEMORY;
	}
	b->s = s;
	b->max_batch = max_batch;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->work, NULL);
	if (pthread_create(&b->thread, NULL, committer, b) != 0) {
		pthread_cond_destroy(&b->work);
		pthread_mutex_destroy(&b->mu);
		free(b->batch);
		free(b);
		return OBOL_E_NO_MEMORY;
	}
	*out = b;
	return OBOL_OK;
}

obol_err obol_batcher_start_inline(struct obol_store *s, struct obol_batcher **out)
{
	struct obol_batcher *b = NULL;
	*out = NULL;
	if (s == NULL)
		return OBOL_E_INVALID_ARGUMENT;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return OBOL_E_NO_MEMORY;
	b->batch = calloc(1, sizeof(*b->batch));
	if (b->batch == NULL) {
		free(b);
		return OBOL_E_NO_MEMORY;
	}
	b->s = s;
	b->max_batch = 1;
	b->inline_ = true;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->work, NULL);
	*out = b;
	return OBOL_OK;
}

obol_err obol_batcher_run(struct obol_batcher *b, obol_unit_fn fn, void *ctx)
{
	struct unit u = { .fn = fn, .ctx = ctx };
	obol_err e = obol_fault_point("store unit");
	if (e != OBOL_OK)
		return e;
	if (b->inline_) {
		pthread_mutex_lock(&b->mu);
		if (b->stopping) {
			pthread_mutex_unlock(&b->mu);
			return OBOL_E_INVALID_ARGUMENT;
		}
		b->batch[0] = &u;
		run_batch(b, 1);
		b->batches++;
		b->units++;
		pthread_mutex_unlock(&b->mu);
		return u.result;
	}
	pthread_mutex_lock(&b->mu);
	if (b->stopping) {
		pthread_mutex_unlock(&b->mu);
		return OBOL_E_INVALID_ARGUMENT;
	}
	/* The committer signals done_cv while holding mu, so once this
	 * thread holds mu again and sees done, nothing touches u any more. */
	pthread_cond_init(&u.done_cv, NULL);
	if (b->tail != NULL)
		b->tail->next = &u;
	else
		b->head = &u;
	b->tail = &u;
	pthread_cond_signal(&b->work);
	while (!u.done)
		pthread_cond_wait(&u.done_cv, &b->mu);
	pthread_mutex_unlock(&b->mu);
	pthread_cond_destroy(&u.done_cv);
	return u.result;
}

void obol_batcher_stats(struct obol_batcher *b, uint64_t *batches, uint64_t *units, uint64_t *retries)
{
	pthread_mutex_lock(&b->mu);
	*batches = b->batches;
	*units = b->units;
	*retries = b->retries;
	pthread_mutex_unlock(&b->mu);
}

void obol_batcher_stop(struct obol_batcher *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	b->stopping = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->mu);
	if (!b->inline_)
		pthread_join(b->thread, NULL);
	obol_store_close(b->s);
	pthread_cond_destroy(&b->work);
	pthread_mutex_destroy(&b->mu);
	free(b->batch);
	free(b);
}
