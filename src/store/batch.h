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
 * to its savepoint; the error is handed back to its caller. When a unit or
 * the commit fails with STORE_CONFLICT or STORE_BUSY, the whole batch is
 * rolled back and run again (see batch.c): a unit must be re-runnable, and
 * only its last run's effects and outputs stand. */
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
 * A crash point (core/fault.h, "store unit") comes first: when it fails,
 * nothing runs and its error is returned. */
OBOL_MUST_CHECK obol_err obol_batcher_run(struct obol_batcher *b, obol_unit_fn fn, void *ctx);
/* Figures since start: batches committed (or failed), units run, batch retries. */
void obol_batcher_stats(struct obol_batcher *b, uint64_t *batches, uint64_t *units, uint64_t *retries);
/* Stops the thread after the queued units, closes the store. */
void obol_batcher_stop(struct obol_batcher *b);

#endif
