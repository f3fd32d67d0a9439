/* The coupon scheme inside the vendor daemon (src/vendor/vendor.h):
 * coupon_vendor.c registers the scheme (tables, state, outbox answers),
 * coupon_session.c serves one wallet link with the core's state machine
 * (src/schemes/coupon/vendor.h).
 *
 * Tables in the vendor store (migration component "coupon_vendor"):
 *   coupon_vcoins (coin_id, lock_index) -> denom, T, last_index, last_token,
 *                 state, outbox row, credited tokens
 * A coin row is written when F's lock answer arrives, its last token is
 * updated durably before every unit is served, and at session end (or when
 * the link drops, or at the next start after a crash) its settle request is
 * queued in the outbox in the same unit of work that marks it queued. */
#ifndef OBOL_VENDOR_COUPON_VENDOR_H
#define OBOL_VENDOR_COUPON_VENDOR_H

#include "schemes/coupon/keys.h"
#include "schemes/coupon/vendor.h"
#include "vendor/vendor.h"

enum coupon_vcoin_state {
	COUPON_VCOIN_OPEN = 0,    /* session running: tokens arriving */
	COUPON_VCOIN_QUEUED = 1,  /* settle request in the outbox */
	COUPON_VCOIN_SETTLED = 2, /* F answered the settle */
	COUPON_VCOIN_REFUSED = 3, /* F refused it for good (e.g. the lock passed to another vendor) */
};

struct coupon_vstate {
	struct coupon_keys keys;       /* denominations (public) */
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	struct coupon_vendor_cfg cfg;  /* points into keys, cert and the vendor's keys */
};

/* How long a session's lock lasts, and how long before T it stops serving. */
#define COUPON_VENDOR_LOCK_S 300
#define COUPON_VENDOR_MARGIN_S 60

/* Records a coin F locked for this vendor (OPEN). Inside a unit of work. */
OBOL_MUST_CHECK obol_err coupon_vcoin_insert(struct obol_store *s, const struct coupon_vendor_coin *c,
					     int64_t deadline);
/* Stores the coin's last token (the durable write before a unit is served). */
OBOL_MUST_CHECK obol_err coupon_vcoin_token(struct obol_store *s, const struct coupon_vendor_coin *c);
/* Queues the final settle of a coin in the outbox and marks it QUEUED;
 * *row is the outbox row. */
OBOL_MUST_CHECK obol_err coupon_vcoin_queue_settle(struct obol_store *s, const struct coupon_vendor_cfg *cfg,
						   const struct coupon_vendor_coin *c, int64_t *row);
/* The state of the coin whose settle is outbox row `row`. */
OBOL_MUST_CHECK obol_err coupon_vcoin_state_by_row(struct obol_store *s, int64_t row, int *state);

/* The session handler (coupon_session.c), one per wallet link. */
obol_err coupon_session_open(struct obol_vendor *v, void **session);
obol_err coupon_session_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body,
			      size_t body_len, struct obol_vendor_out *out);
void coupon_session_close(struct obol_vendor *v, void *session);

#endif
