/* Pruning of what can no longer matter (docs/operations.md, "What grows:
 * the inventory"): `obol issuer gc`. Each rule deletes in batches of at most
 * `batch` rows, one short transaction per batch, so that serving never waits
 * on a long one; a batch that meets a concurrent writer is retried like any
 * other transaction. Nothing the audit or a later dispute reads is pruned.
 *
 * Rules implemented:
 *   ecash_nonces   bank nonces whose expiry (ECASH_NONCE_LIFETIME after
 *                  issue) passed more than OBOL_GC_NONCE_MARGIN ago: an
 *                  unused one would be refused as expired, a deleted one is
 *                  refused as unknown, and a used one is never read again
 *                  (a retry of its request is answered from idempotency).
 *
 * The component "gc" (schema_version) adds the indexes the rules read by. */
#ifndef OBOL_ISSUER_GC_H
#define OBOL_ISSUER_GC_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define OBOL_GC_NONCE_MARGIN 3600 /* seconds past a nonce's expiry before it goes */
#define OBOL_GC_BATCH_DEFAULT 1000
#define OBOL_GC_BATCH_MAX 100000

struct obol_gc_opts {
	int64_t now;
	size_t batch; /* rows per transaction, 1 .. OBOL_GC_BATCH_MAX */
};

struct obol_gc_counts {
	int64_t nonces;  /* rows deleted */
	int64_t batches; /* transactions committed */
};

/* Applies the component "gc" migrations, then every rule until nothing is
 * left to prune. INVALID_ARGUMENT for a batch out of range; store errors. */
OBOL_MUST_CHECK obol_err obol_issuer_gc(struct obol_store *s, const struct obol_gc_opts *o,
					struct obol_gc_counts *out);

/* The daemon's schedule (`issuer serve --gc-interval SECONDS`): a thread
 * that runs obol_issuer_gc every interval on a connection of its own to
 * db_url (opened for each run), logging what it removed or why it could
 * not (then it tries again at the next interval). */
struct obol_gc_daemon;
OBOL_MUST_CHECK obol_err obol_gc_daemon_start(const char *db_url, int64_t interval_s, size_t batch,
					      struct obol_gc_daemon **out);
/* Stops the thread (waiting for a run under way to finish its batch); NULL
 * is allowed. */
void obol_gc_daemon_stop(struct obol_gc_daemon *d);

#endif
