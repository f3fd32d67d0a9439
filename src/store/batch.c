/* Group commit (batch.h, DESIGN §4 "Durability").
 *
 * Callers queue a unit and sleep. The committer takes up to max_batch queued
 * units, opens one write transaction, runs each unit under SAVEPOINT u,
 * commits once, and only then wakes every caller of the batch. While it
 * commits, new units queue up and form the next batch, so the batch size
 * follows the load by itself.
 *
 * A unit that fails is rolled back to its savepoint, alone, whatever its
 * error: a refusal, a constraint, or the STORE_CONFLICT with which a unit
 * says that what it read before has moved. Its batch-mates go on and commit
 * (one party's failing requests never doom the honest units beside them).
 * Only when that rollback itself fails has the unit lost the whole
 * transaction (SQLite rolled it back on its own, after SQLITE_FULL or an I/O
 * error; the PostgreSQL connection broke): then the batch runs again without
 * that unit, which keeps its error. That re-run needs no re-read (the other
 * units read inside themselves) and happens at most once per unit of the
 * batch. When BEGIN, a savepoint or COMMIT fails, nothing of the batch
 * stands and every unit gets that error (a commit that clashed with another
 * process's transaction is STORE_CONFLICT): a retryable one is retried by
 * the unit's caller, outside this thread, pre-check included
 * (obol_batcher_run_retrying, the one retry policy). The committer never
 * sleeps or retries for a unit. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
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

#define NO_UNIT SIZE_MAX

/* Runs the first n units of the batch once, in one transaction; sets each
 * result. Returns OBOL_OK when it committed. Otherwise nothing stands, and
 * *lost_by is the unit whose failure took the transaction with it (its
 * rollback to its savepoint failed), or NO_UNIT when BEGIN, a savepoint or
 * COMMIT failed.
 *
 * Between two units, ending one savepoint and starting the next is one
 * exec of two statements: one round trip to PostgreSQL instead of two.
 * COMMIT releases the last savepoint. */
static obol_err run_once(struct obol_batcher *b, size_t n, size_t *lost_by)
{
	struct obol_store *s = b->s;
	const char *next = "SAVEPOINT u";
	*lost_by = NO_UNIT;
	for (size_t i = 0; i < n; i++)
		b->batch[i]->result = OBOL_OK;
	obol_err e = obol_store_begin(s);
	if (e != OBOL_OK)
		return e;
	for (size_t i = 0; i < n; i++) {
		struct unit *u = b->batch[i];
		if ((e = obol_store_exec(s, next)) != OBOL_OK)
			goto fail;
		next = "RELEASE SAVEPOINT u; SAVEPOINT u";
		u->result = u->fn(s, u->ctx);
		if (u->result == OBOL_OK)
			continue;
		/* The unit's own failure: undone alone, the others go on. */
		if ((e = obol_store_rollback_to(s, "u")) != OBOL_OK) {
			*lost_by = i;
			e = u->result;
			goto fail;
		}
	}
	if ((e = obol_store_commit(s)) == OBOL_OK)
		return OBOL_OK;
fail:
	obol_store_rollback(s);
	return e;
}

static void run_batch(struct obol_batcher *b, size_t n)
{
	size_t live = n; /* batch[0, live) still to commit; the rest keep their error */
	for (;;) {
		size_t lost_by;
		obol_err e = run_once(b, live, &lost_by);
		if (e == OBOL_OK)
			return;
		if (lost_by == NO_UNIT || live == 1) {
			/* A clash with another process is routine: its units'
			 * callers run them again. */
			obol_log(obol_store_retryable(e) ? OBOL_LOG_DEBUG : OBOL_LOG_WARN,
				 "batch: %zu units not committed: %s", live, obol_strerror(e));
			/* Nothing of the batch stands: a unit that succeeded, or
			 * never ran, learns why; a unit's own error stays its own. */
			for (size_t i = 0; i < live; i++)
				if (b->batch[i]->result == OBOL_OK)
					b->batch[i]->result = e;
			return;
		}
		/* The unit that lost the transaction keeps its error; the
		 * others run again without it. */
		obol_log_warn("batch: a unit lost its transaction (%s); the other %zu run again", obol_strerror(e),
			      live - 1);
		b->retries++;
		struct unit *culprit = b->batch[lost_by];
		b->batch[lost_by] = b->batch[live - 1];
		b->batch[live - 1] = culprit;
		live--;
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

obol_err obol_batcher_run_retrying(struct obol_batcher *b, obol_unit_pre_fn pre, void *pre_ctx, obol_unit_fn fn,
				   void *ctx)
{
	obol_err e = OBOL_OK;
	for (unsigned attempt = 0; attempt < OBOL_UNIT_TRIES; attempt++) {
		if (attempt > 0)
			obol_store_backoff(attempt);
		e = pre != NULL ? pre(pre_ctx, ctx) : OBOL_OK;
		if (e == OBOL_OK)
			e = obol_batcher_run(b, fn, ctx);
		if (!obol_store_retryable(e))
			return e;
	}
	return e;
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
