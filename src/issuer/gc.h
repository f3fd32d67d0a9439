/* Pruning of what can no longer matter (docs/operations.md, "What grows:
 * the inventory"): `obol issuer gc`. Each rule deletes in batches of at most
 * `batch` rows, one short transaction per batch, so that serving never waits
 * on a long one; a batch that meets a concurrent writer is retried like any
 * other transaction. Nothing the audit or a later dispute reads is pruned.
 *
 * Rules (docs/operations.md says for every table why it goes or stays):
 *   ecash_nonces   bank nonces whose expiry (ECASH_NONCE_LIFETIME after
 *                  issue) passed more than OBOL_GC_NONCE_MARGIN ago: an
 *                  unused one would be refused as expired, a deleted one is
 *                  refused as unknown, and a used one is never read again
 *                  (a retry of its request is answered from idempotency).
 *   idempotency    stored answers older than OBOL_GC_RETRY_WINDOW of the
 *                  requests whose replay their own one-time proof refuses
 *                  and whose answer is no one's only copy of anything
 *                  (gc_idem_prunable: ecash deposit and refund, bound to a
 *                  nonce used once and gone an hour after its expiry;
 *                  payword report, whose claims answer a repeat as a
 *                  duplicate while its certificate is kept, and which is
 *                  refused for an unknown certificate once it is pruned).
 *                  Kept: an ecash top-up's or exchange's answer and a
 *                  coupon withdrawal's (their blind signatures are the only
 *                  copy of the coins; a coin has no legal end today, see
 *                  the ecash and coupon rows of the inventory), and every
 *                  answer a replay would not be refused without.
 *   coupon_settles answered settles of a coin that is no longer locked,
 *                  once its denomination's legal end (coupon_legal_end:
 *                  spend_until today) is more than OBOL_GC_RETRY_WINDOW
 *                  past: a repeat of such a settle finds no lock of its
 *                  vendor and is refused COUPON_NOT_LOCK_HOLDER, nothing
 *                  moves. The audit does not read this table.
 *   payword_certs  an ended certificate (superseded or revoked) with its
 *                  claims, once its not_after plus the grace
 *                  for late reports is more than OBOL_GC_RETRY_WINDOW past,
 *                  when nothing is left in it (n + covered - paid -
 *                  moved_out = 0: the audit's outstanding sum counts only
 *                  positive ones, so it loses nothing) and none of its
 *                  claims holds tokens (the audit's findings list those).
 *                  A report naming it is then refused NOT_FOUND, nothing
 *                  moves; vendors refuse it as expired before that, and it
 *                  left the CRL at its not_after. The certificate of the
 *                  highest serial always stays: serials are the maximum
 *                  plus one, and an old serial must never be issued again.
 * Not pruned: the journal, the ecash spent registry and coins and the
 * coupon coins (a coin past its end is refundable with no deadline today,
 * and a second refund is refused only by its row), evidence of frauds and
 * findings, the codex tables (their rules wait for the codex blacklist
 * work).
 *
 * The component "gc" (schema_version) adds the indexes the rules read by:
 * step 1 the nonces by expiry, step 2 the answers by time, step 3 the
 * payword certificates by not_after. */
#ifndef OBOL_ISSUER_GC_H
#define OBOL_ISSUER_GC_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define OBOL_GC_NONCE_MARGIN 3600 /* seconds past a nonce's expiry before it goes */
/* How long after the last moment a request could be made a client may still
 * retry it and get its first answer (30 days: a vendor's outbox or a
 * wallet offline for weeks). */
#define OBOL_GC_RETRY_WINDOW (30 * 86400)
#define OBOL_GC_BATCH_DEFAULT 1000
#define OBOL_GC_BATCH_MAX 100000

struct obol_gc_opts {
	int64_t now;
	size_t batch; /* rows per transaction, 1 .. OBOL_GC_BATCH_MAX */
};

struct obol_gc_counts {
	int64_t nonces;         /* ecash nonces deleted */
	int64_t answers;        /* idempotency answers deleted */
	int64_t coupon_settles; /* answered coupon settles deleted */
	int64_t payword_certs;  /* payword certificates deleted (with their claims) */
	int64_t payword_claims; /* of which claims */
	int64_t batches;        /* transactions committed */
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
/* The same thread for any store's pruning (the vendor daemon's, with
 * obol_vendor_prune): run is called every interval with a fresh connection
 * to db_url, the time and the batch, and logs what it removed; an error is
 * logged here. */
typedef obol_err (*obol_prune_fn)(struct obol_store *s, int64_t now, size_t batch);
OBOL_MUST_CHECK obol_err obol_prune_daemon_start(const char *db_url, int64_t interval_s, size_t batch,
						 obol_prune_fn run, struct obol_gc_daemon **out);
/* Stops the thread (waiting for a run under way to finish its batch); NULL
 * is allowed. */
void obol_gc_daemon_stop(struct obol_gc_daemon *d);

#endif
