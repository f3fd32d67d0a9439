/* The group committer and the one retry policy (src/store/batch.h): a unit
 * that fails, fails alone, whatever its error (STORE_CONFLICT included); a
 * unit that loses the whole transaction is left out and the batch runs again
 * without it; retries happen at the caller, a bounded number of times, each
 * with its pre-check. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/batch.h"
#include "../test.h"
#include "store_test.h"

/* One batch of known make-up: a first unit holds the committer until every
 * other unit is queued behind it, so that they all share the next batch. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int queued, want;
	bool holding; /* the holder's unit runs in the committer: its batch is closed */
};

static obol_err hold_unit(struct obol_store *s, void *ctx)
{
	struct gate *g = ctx;
	(void)s;
	pthread_mutex_lock(&g->mu);
	g->holding = true;
	pthread_cond_broadcast(&g->cv);
	while (g->queued < g->want)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	/* the last ones counted are about to queue */
	struct timespec ts = { 0, 200 * 1000000L };
	nanosleep(&ts, NULL);
	return OBOL_OK;
}

enum kind { HONEST, CONFLICTING, LOSES_TX };

struct job {
	struct obol_batcher *b;
	struct gate *g;
	enum kind kind;
	int id;
	obol_err result;
};

/* An honest unit writes its row. A conflicting one writes its row too, then
 * says what it read has moved (as a scheme's compare-and-set does). One that
 * loses the transaction ends it under the committer's feet and fails. */
static obol_err job_unit(struct obol_store *s, void *ctx)
{
	struct job *j = ctx;
	obol_err e = obol_store_run(s, NULL, "INSERT INTO t_batch (id, kind) VALUES (?, ?)", "ii", (int64_t)j->id,
				    (int64_t)j->kind);
	if (e != OBOL_OK)
		return e;
	switch (j->kind) {
	case HONEST:
		return OBOL_OK;
	case CONFLICTING:
		return OBOL_E_STORE_CONFLICT;
	case LOSES_TX:
		if ((e = obol_store_exec(s, "ROLLBACK")) != OBOL_OK)
			return e;
		return OBOL_E_IO;
	}
	return OBOL_E_INTERNAL;
}

static void *job_thread(void *arg)
{
	struct job *j = arg;
	/* Count this one as queued just before it queues: the holder lets the
	 * batch go once all are counted, and a unit queued a moment later
	 * still finds the committer busy with the holder's commit. */
	pthread_mutex_lock(&j->g->mu);
	j->g->queued++;
	pthread_cond_broadcast(&j->g->cv);
	pthread_mutex_unlock(&j->g->mu);
	j->result = obol_batcher_run(j->b, job_unit, j);
	return NULL;
}

static void *hold_thread(void *arg)
{
	struct job *j = arg;
	j->result = obol_batcher_run(j->b, hold_unit, j->g);
	return NULL;
}

/* Runs the holder and then the jobs of kinds[] on a fresh batcher over
 * db_url; *retries: the batcher's batch re-runs. */
static bool run_jobs(const char *db_url, const enum kind *kinds, int n, struct job *jobs, uint64_t *batches,
		     uint64_t *retries)
{
	struct obol_store *s = NULL;
	struct obol_batcher *b = NULL;
	struct gate g = { .want = n };
	struct job holder = { .g = &g };
	pthread_t th[64], ht;
	uint64_t units;
	if (n > 64 || obol_store_open(db_url, true, &s) != OBOL_OK ||
	    obol_store_exec(s, "CREATE TABLE t_batch (id BIGINT PRIMARY KEY, kind BIGINT)") != OBOL_OK)
		return false;
	if (obol_batcher_start(s, 64, &b) != OBOL_OK)
		return false;
	pthread_mutex_init(&g.mu, NULL);
	pthread_cond_init(&g.cv, NULL);
	holder.b = b;
	if (pthread_create(&ht, NULL, hold_thread, &holder) != 0)
		return false;
	/* the jobs start once the holder's batch is under way, so that none of
	 * them shares it (on a loaded machine they could otherwise queue before
	 * the committer takes the holder, and leave a unit alone in the next) */
	pthread_mutex_lock(&g.mu);
	while (!g.holding)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){ .b = b, .g = &g, .kind = kinds[i], .id = i + 1 };
		if (pthread_create(&th[i], NULL, job_thread, &jobs[i]) != 0)
			return false;
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_join(ht, NULL);
	obol_batcher_stats(b, batches, &units, retries);
	obol_batcher_stop(b);
	pthread_mutex_destroy(&g.mu);
	pthread_cond_destroy(&g.cv);
	test_note("%s: %d units in %llu batches, %llu re-runs", test_backend(), n + 1, (unsigned long long)*batches,
		  (unsigned long long)*retries);
	return holder.result == OBOL_OK;
}

static int64_t rows_of(const char *db_url, const char *sql)
{
	struct obol_store *s = NULL;
	if (obol_store_open(db_url, false, &s) != OBOL_OK)
		return -1;
	int64_t n = store_test_count(s, sql);
	obol_store_close(s);
	return n;
}

/* Issue 16, item 1: a unit's STORE_CONFLICT used to doom the whole batch,
 * which was run again and again on the committer with every honest unit in
 * it, and failed them all. */
TEST_DB(batch, conflicting_unit_fails_alone)
{
	enum kind kinds[24];
	struct job jobs[24];
	uint64_t batches = 0, retries = 0;
	for (int i = 0; i < 24; i++)
		kinds[i] = i % 3 == 0 ? CONFLICTING : HONEST;
	REQUIRE(run_jobs(db_url, kinds, 24, jobs, &batches, &retries));
	for (int i = 0; i < 24; i++)
		CHECK_ERR(jobs[i].result, kinds[i] == CONFLICTING ? OBOL_E_STORE_CONFLICT : OBOL_OK);
	CHECK_EQ_INT(rows_of(db_url, "SELECT count(*) FROM t_batch WHERE kind = 0"), 16);
	CHECK_EQ_INT(rows_of(db_url, "SELECT count(*) FROM t_batch WHERE kind <> 0"), 0);
	CHECK_EQ_INT(retries, 0); /* nothing was run again on the committer */
	CHECK(batches >= 2);
}

/* A unit that loses the transaction (its rollback to its savepoint fails)
 * keeps its error; the batch runs again without it and the others commit. */
TEST_DB(batch, unit_that_loses_the_transaction_is_left_out)
{
	enum kind kinds[12];
	struct job jobs[12];
	uint64_t batches = 0, retries = 0;
	for (int i = 0; i < 12; i++)
		kinds[i] = i == 5 ? LOSES_TX : i % 4 == 1 ? CONFLICTING : HONEST;
	REQUIRE(run_jobs(db_url, kinds, 12, jobs, &batches, &retries));
	for (int i = 0; i < 12; i++)
		CHECK_ERR(jobs[i].result, kinds[i] == LOSES_TX      ? OBOL_E_IO
					  : kinds[i] == CONFLICTING ? OBOL_E_STORE_CONFLICT
								    : OBOL_OK);
	CHECK_EQ_INT(rows_of(db_url, "SELECT count(*) FROM t_batch WHERE kind = 0"), 9);
	CHECK_EQ_INT(rows_of(db_url, "SELECT count(*) FROM t_batch WHERE kind <> 0"), 0);
	/* When the holder's batch and one more took them all (the usual case),
	 * the second ran once more without the unit that lost it. */
	CHECK(retries <= 1);
	CHECK(batches != 2 || retries == 1);
}

/* ---- the retry policy ---- */

struct tries {
	int pre_calls, unit_calls;
	int conflicts;      /* the unit conflicts this many times, then succeeds */
	obol_err pre_error; /* from the third pre-check on */
};

static obol_err count_pre(void *pre_ctx, void *ctx)
{
	struct tries *t = ctx;
	CHECK(pre_ctx == (void *)t);
	return ++t->pre_calls >= 3 && t->pre_error != OBOL_OK ? t->pre_error : OBOL_OK;
}

static obol_err count_unit(struct obol_store *s, void *ctx)
{
	struct tries *t = ctx;
	(void)s;
	return ++t->unit_calls <= t->conflicts ? OBOL_E_STORE_CONFLICT : OBOL_OK;
}

TEST(batch, retry_policy_is_bounded_and_rechecks)
{
	struct obol_store *s = NULL;
	struct obol_batcher *b = NULL;
	REQUIRE_OK(obol_store_open("sqlite::memory:", true, &s));
	REQUIRE_OK(obol_batcher_start(s, 8, &b));

	/* Two conflicts, then the unit goes through: three tries, each with
	 * its pre-check first. */
	struct tries t = { .conflicts = 2 };
	CHECK_OK(obol_batcher_run_retrying(b, count_pre, &t, count_unit, &t));
	CHECK_EQ_INT(t.pre_calls, 3);
	CHECK_EQ_INT(t.unit_calls, 3);

	/* Always in conflict: OBOL_UNIT_TRIES tries, then the conflict stands. */
	t = (struct tries){ .conflicts = 1000 };
	CHECK_ERR(obol_batcher_run_retrying(b, count_pre, &t, count_unit, &t), OBOL_E_STORE_CONFLICT);
	CHECK_EQ_INT(t.pre_calls, OBOL_UNIT_TRIES);
	CHECK_EQ_INT(t.unit_calls, OBOL_UNIT_TRIES);

	/* A pre-check that refuses ends the tries at once. */
	t = (struct tries){ .conflicts = 1000, .pre_error = OBOL_E_NOT_FOUND };
	CHECK_ERR(obol_batcher_run_retrying(b, count_pre, &t, count_unit, &t), OBOL_E_NOT_FOUND);
	CHECK_EQ_INT(t.pre_calls, 3);
	CHECK_EQ_INT(t.unit_calls, 2);

	/* Without a pre-check, and with a unit's own refusal: no retry. */
	t = (struct tries){ .conflicts = 0 };
	CHECK_OK(obol_batcher_run_retrying(b, NULL, NULL, count_unit, &t));
	CHECK_EQ_INT(t.unit_calls, 1);
	obol_batcher_stop(b);
}
