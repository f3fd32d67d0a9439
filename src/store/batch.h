/* Group commit (DESIGN §4): the issuer daemon's request threads hand their
 * unit of work to one committer thread, which runs many units inside one
 * durable transaction, each under its own savepoint (a failing unit rolls back
 * alone), commits once, and only then wakes each request thread with its
 * result. A reply that says money moved is therefore only sent after its
 * commit is durable. */
#ifndef OBOL_STORE_BATCH_H
#define OBOL_STORE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

/* A unit of work: runs inside the batch transaction; its effects stand only
 * when it returns OBOL_OK and the batch commits. It must not commit itself.
 * Called on the committer thread. A unit that returns an error is rolled back
 * to its savepoint alone and the error is handed back to its caller; its
 * batch-mates go on. That holds for STORE_CONFLICT and STORE_BUSY too, which
 * a unit returns when what it (or its pre-check, below) read has moved: they
 * are the caller's to retry (obol_batcher_run_retrying), never the
 * committer's. A unit may be run again inside one batch (see batch.c), so it
 * must be re-runnable; only its last run's effects and outputs stand. */
typedef obol_err (*obol_unit_fn)(struct obol_store *s, void *ctx);

struct obol_batcher;

/* Takes ownership of s (used only by the committer thread from now on).
 * max_batch: most units in one transaction. */
OBOL_MUST_CHECK obol_err obol_batcher_start(struct obol_store *s, size_t max_batch,
					    struct obol_batcher **out);
/* A batcher without a thread: obol_batcher_run runs each unit at once on the
 * calling thread, in a transaction of its own (one at a time: callers of
 * other threads wait), and returns after its commit. For an issuer or a
 * vendor run inside another program with no threads of its own (the
 * deterministic simulator, tests/sim), where the order of commits must
 * follow the order of calls. Takes ownership of s. */
OBOL_MUST_CHECK obol_err obol_batcher_start_inline(struct obol_store *s, struct obol_batcher **out);
/* Blocks until the unit ran and its batch committed durably (or failed).
 * Never call it from a unit (the committer thread would wait for itself).
 * Returns the unit's error, or the commit's error (then nothing of it stands).
 * Runs the unit once: nothing here retries. A crash point (core/fault.h,
 * "store unit") comes first: when it fails, nothing runs and its error is
 * returned. */
OBOL_MUST_CHECK obol_err obol_batcher_run(struct obol_batcher *b, obol_unit_fn fn, void *ctx);

/* ---- the retry policy ----------------------------------------------------
 * The one retry policy of the daemons' units of work. A try is: pre (when
 * not NULL) on the caller's thread, which reads and checks what the unit will
 * rely on (it may hash, verify, read through another connection), then the
 * unit through the committer. A try that ends in STORE_CONFLICT or
 * STORE_BUSY (obol_store_retryable: the unit saw its read move, another
 * process's transaction clashed with its batch, the database was busy) is
 * followed, after obol_store_backoff, by a whole new try, pre-check
 * included; at most OBOL_UNIT_TRIES tries, then the last error stands (both
 * are named, retryable answers for the client: 409 and 503). Any other
 * result of pre or of the unit ends the tries at once. The committer itself
 * never retries and never sleeps for a unit. */
#define OBOL_UNIT_TRIES 16
/* pre gets pre_ctx (the daemon's) and ctx (the unit's). */
typedef obol_err (*obol_unit_pre_fn)(void *pre_ctx, void *ctx);
OBOL_MUST_CHECK obol_err obol_batcher_run_retrying(struct obol_batcher *b, obol_unit_pre_fn pre, void *pre_ctx,
						   obol_unit_fn fn, void *ctx);

/* Figures since start: batches committed (or failed), units run, and batch
 * re-runs (a unit lost the whole transaction: the batch ran again without it). */
void obol_batcher_stats(struct obol_batcher *b, uint64_t *batches, uint64_t *units, uint64_t *retries);
/* Stops the thread after the queued units, closes the store. */
void obol_batcher_stop(struct obol_batcher *b);

#endif
