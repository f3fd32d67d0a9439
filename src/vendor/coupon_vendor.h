/* The coupon scheme inside the vendor daemon (src/vendor/vendor.h):
 * coupon_vendor.c registers the scheme (tables, state, outbox answers),
 * coupon_session.c serves one wallet link with the core's state machine
 * (src/schemes/coupon/vendor.h), coupon_timer.c settles on the vendor's own
 * clock, whatever the links do.
 *
 * Tables in the vendor store (migration component "coupon_vendor"):
 *   coupon_vcoins (coin_id, lock_index) -> denom, T, last_index, last_token,
 *                 state, outbox row, credited tokens, lock (H of the lock's
 *                 sealed box), checkpoint index and time
 *   coupon_vlocks lock -> coin_id, denom, T, created: a lock asked of the
 *                 issuer and not yet recorded as a coin (the intent)
 * An intent is written before the lock request leaves; the coin row
 * replaces it in one unit of work when the issuer's answer arrives. A coin
 * row's last token is updated durably before every unit is served, with a
 * checkpoint settle queued in the same unit when one is due. At session
 * end (or when the link drops, or when T - margin comes, or at the next
 * start after a crash) its final settle is queued in the outbox in the same
 * unit of work that marks it queued. An intent left behind (the vendor died
 * or the answer was lost between the issuer's commit and the insert) is
 * looked up at the issuer by the timer and its lock token settled; one the
 * issuer does not hold (refused, lost, not arrived yet) is kept, and looked
 * up again, until no copy of its request can lock the coin any more (T and
 * the clock skew the issuer allows). */
#ifndef OBOL_VENDOR_COUPON_VENDOR_H
#define OBOL_VENDOR_COUPON_VENDOR_H

#include <limits.h>
#include <pthread.h>

#include "schemes/coupon/keys.h"
#include "schemes/coupon/vendor.h"
#include "vendor/vendor.h"

struct coupon_vstate;
/* A copy of st->cfg with its certificate copied into cert (which the copy
 * points to). */
void coupon_vstate_cfg(struct coupon_vstate *st, struct coupon_vendor_cfg *cfg,
		       uint8_t cert[OBOL_VENDOR_CERT_MAX]);

enum coupon_vcoin_state {
	COUPON_VCOIN_OPEN = 0,    /* session running: tokens arriving */
	COUPON_VCOIN_QUEUED = 1,  /* final settle request in the outbox */
	COUPON_VCOIN_SETTLED = 2, /* F answered the settle */
	COUPON_VCOIN_REFUSED = 3, /* F refused it for good (e.g. the lock passed to another vendor) */
};

struct coupon_vstate {
	struct coupon_keys keys;       /* denominations (public) */
	/* cert_mu guards cert and cfg's cert_len and cert_hash: a renewal of the
	 * vendor's certificate replaces them (coupon_vendor_cert_renewed);
	 * sessions and timer passes work on a copy (coupon_vstate_cfg). */
	pthread_mutex_t cert_mu;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	struct coupon_vendor_cfg cfg;  /* points into keys, cert and the vendor's keys */
	char db_url[PATH_MAX + 8];     /* the vendor store, for the timer's own connection */
	int64_t started;               /* intents older than this were left by an earlier run */
	/* the timer (coupon_timer.c) */
	pthread_t timer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool timer_running, stopping;
};

/* How long a session's lock lasts, and how long before T it stops serving
 * and settles. */
#define COUPON_VENDOR_LOCK_S 300
#define COUPON_VENDOR_MARGIN_S 60
/* Checkpoint settles, unless the environment says otherwise
 * (OBOL_COUPON_CHECKPOINT_TOKENS, OBOL_COUPON_CHECKPOINT_SECONDS): after a
 * minute with tokens not checkpointed, which bounds what a crash or a lapsed
 * T can lose, and after 8192 tokens (COUPON_VENDOR_ASK_MAX), which keeps
 * each settle within what one request may walk and what a lapsed lock holds
 * within a holder proof's reach. (Every 1024 tokens cost a third of the
 * token rate of `obol bench coupon` at 64 units ahead: a settle per 15 ms.) */
#define COUPON_VENDOR_CHECKPOINT_TOKENS COUPON_VENDOR_ASK_MAX
#define COUPON_VENDOR_CHECKPOINT_S 60
#define COUPON_CHECKPOINT_TOKENS_ENV "OBOL_COUPON_CHECKPOINT_TOKENS"
#define COUPON_CHECKPOINT_SECONDS_ENV "OBOL_COUPON_CHECKPOINT_SECONDS"

/* ---- the tables (coupon_vendor.c); each runs inside the caller's unit of work ---- */

/* The vendor's coupon tables (component "coupon_vendor") and their pruning
 * index ("coupon-vendor-prune", vendor/prune.h). */
OBOL_MUST_CHECK obol_err coupon_vendor_migrate(struct obol_store *s);
/* Records a coin F locked for this vendor (OPEN), its checkpoint at the
 * lock (c->checkpoint_index, and now). */
OBOL_MUST_CHECK obol_err coupon_vcoin_insert(struct obol_store *s, const struct coupon_vendor_coin *c,
					     int64_t deadline, int64_t now);
/* Stores the coin's last token (the durable write before a unit is served)
 * and, with checkpoint, queues a checkpoint settle at it (the session
 * decides with coupon_vendor_checkpoint_due). COUPON_SESSION_DEADLINE when
 * the coin is no longer OPEN (the timer queued its settle at T - margin). */
OBOL_MUST_CHECK obol_err coupon_vcoin_token(struct obol_store *s, const struct coupon_vendor_cfg *cfg,
					    const struct coupon_vendor_coin *c, int64_t now, bool checkpoint);
/* Queues the final settle of a coin in the outbox and marks it QUEUED;
 * *row is the outbox row (the one queued before, when it was). */
OBOL_MUST_CHECK obol_err coupon_vcoin_queue_settle(struct obol_store *s, const struct coupon_vendor_cfg *cfg,
						   const struct coupon_vendor_coin *c, int64_t *row);
/* Queues a checkpoint settle of an OPEN coin at its last token. */
OBOL_MUST_CHECK obol_err coupon_vcoin_queue_checkpoint(struct obol_store *s, const struct coupon_vendor_cfg *cfg,
						       const struct coupon_vendor_coin *c, int64_t now);
/* The state of the coin whose settle is outbox row `row`. */
OBOL_MUST_CHECK obol_err coupon_vcoin_state_by_row(struct obol_store *s, int64_t row, int *state);
/* Reads the OPEN coins (at most cap) for which pick(deadline,
 * checkpoint index, checkpoint time, last index) says yes. */
typedef bool (*coupon_vcoin_pick)(const struct coupon_vendor_cfg *cfg, int64_t deadline, uint64_t checkpoint_index,
				  int64_t checkpoint_at, const struct coupon_vendor_coin *c, int64_t now);
OBOL_MUST_CHECK obol_err coupon_vcoins_open(struct obol_store *s, const struct coupon_vendor_cfg *cfg,
					    coupon_vcoin_pick pick, int64_t now, struct coupon_vendor_coin *out,
					    size_t cap, size_t *n);

/* A lock about to be asked of the issuer (coin, denomination, T, H(box)). */
struct coupon_vlock {
	uint8_t lock[COUPON_ID_LEN];
	uint8_t coin_id[COUPON_ID_LEN];
	uint32_t denom;
	int64_t deadline;
	int64_t created;
};
OBOL_MUST_CHECK obol_err coupon_vlock_add(struct obol_store *s, const struct coupon_vlock *l);
OBOL_MUST_CHECK obol_err coupon_vlock_del(struct obol_store *s, const uint8_t lock[static COUPON_ID_LEN]);
/* Looks at an intent again only as if it had been created at `until`. */
OBOL_MUST_CHECK obol_err coupon_vlock_postpone(struct obol_store *s, const uint8_t lock[static COUPON_ID_LEN],
					       int64_t until);
/* Intents created (or postponed to) before `before` (at most cap). */
OBOL_MUST_CHECK obol_err coupon_vlocks_older(struct obol_store *s, int64_t before, struct coupon_vlock *out, size_t cap,
					     size_t *n);

/* ---- the session handler (coupon_session.c), one per wallet link ---- */
obol_err coupon_session_open(struct obol_vendor *v, void **session);
obol_err coupon_session_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body,
			      size_t body_len, struct obol_vendor_out *out);
void coupon_session_close(struct obol_vendor *v, void *session);
/* Whether the session's T - margin has come: its coins are settled by the
 * timer, and the link is closed at its next frame. */
bool coupon_session_expired(struct obol_vendor *v, void *session);

/* ---- the timer (coupon_timer.c) ----
 * Once a second, on a store connection of its own: final settles of OPEN
 * coins whose T - margin has come (the vendor settles before T whatever the
 * link does: a payer cannot hold a session open past T and spend the same
 * tokens at the next vendor), checkpoints due by time, and intents left
 * behind, which it looks up at the issuer (POST /coupon/status). */
OBOL_MUST_CHECK obol_err coupon_timer_start(struct obol_vendor *v, struct coupon_vstate *st);
void coupon_timer_stop(struct coupon_vstate *st);
/* One pass at now: on store s (the thread's own connection), or, with s
 * NULL, through the vendor's units of work (the scheme's tick, in a vendor
 * run in process, which starts no thread). */
OBOL_MUST_CHECK obol_err coupon_timer_pass(struct obol_vendor *v, struct coupon_vstate *st, struct obol_store *s,
					   int64_t now);
/* Fetches GET /keys again and adds the coupon denominations st does not
 * hold yet (a rotation's successor): st->keys grows, an entry already held
 * never changes, and cfg.ndenoms grows under cert_mu, so a session's copy
 * of cfg stays whole. The timer thread calls it once a minute
 * (COUPON_VENDOR_KEYS_S); *added (NULL allowed) counts the new ones. */
#define COUPON_VENDOR_KEYS_S 60
#define COUPON_KEYS_SECONDS_ENV "OBOL_COUPON_KEYS_SECONDS" /* 1..60: sooner, for tests */
OBOL_MUST_CHECK obol_err coupon_vendor_keys_refresh(struct obol_vendor *v, struct coupon_vstate *st, size_t *added);

#endif
