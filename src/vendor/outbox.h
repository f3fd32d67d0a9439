/* The vendor's outbox (DESIGN §9): durable requests to the issuer that must
 * arrive even across crashes: coupon settlements, payword reports, ecash
 * deposits.
 *
 * A row is {id, scheme, kind, endpoint, body (JSON text), not_before,
 * attempts, state, last_error}. A scheme enqueues inside its own unit of work
 * (obol_vendor_run), so "token stored" and "settlement queued" commit
 * together. A worker thread POSTs due rows to the issuer, authenticated as the
 * vendor (Obol-Auth), in id order (a network failure ends the pass):
 *   - a definitive answer (2xx, or a 4xx naming what is wrong:
 *     obol_http_status_definitive) marks the row done in one unit of work
 *     together with the scheme's outbox_done callback;
 *   - anything else (network failure, timeout, 5xx) leaves it pending with
 *     attempts + 1 and not_before = now + backoff (1 s, doubling, at most
 *     OBOL_OUTBOX_BACKOFF_MAX_S), so it is sent again, also after a restart.
 * Because a lost reply means the issuer may have acted, every body must carry
 * an idempotency key the issuer honours: a "request_id" field (e.g. from
 * obol_outbox_request_id) or content the issuer keys on.
 *
 * The table lives in the vendor store (migration component "outbox"). The
 * functions taking a store run inside the caller's transaction. */
#ifndef OBOL_VENDOR_OUTBOX_H
#define OBOL_VENDOR_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "net/http_client.h"
#include "store/store.h"

#define OBOL_OUTBOX_BACKOFF_MAX_S 60
#define OBOL_OUTBOX_KIND_MAX 32
#define OBOL_OUTBOX_ENDPOINT_MAX 128

enum obol_outbox_state { OBOL_OUTBOX_PENDING = 0, OBOL_OUTBOX_DONE = 1, OBOL_OUTBOX_FAILED = 2 };

struct obol_outbox_row {
	int64_t id;
	char scheme[16];
	char kind[OBOL_OUTBOX_KIND_MAX + 1];         /* the scheme's label: "settle", "report" */
	char endpoint[OBOL_OUTBOX_ENDPOINT_MAX + 1]; /* issuer path, "/coupon/settle" */
	char *body;                                  /* JSON text, malloc'ed */
	int64_t not_before;                          /* Unix seconds */
	int64_t attempts;
	enum obol_outbox_state state;                /* DONE: 2xx; FAILED: a definitive error */
	int last_error;                              /* obol_err of the last attempt, 0 for none */
};
void obol_outbox_row_free(struct obol_outbox_row *r);

OBOL_MUST_CHECK obol_err obol_outbox_migrate(struct obol_store *s);

/* Queues body (borrowed; stored as its canonical text) for POST to endpoint,
 * due at not_before (0 = now). *id may be NULL. */
OBOL_MUST_CHECK obol_err obol_outbox_enqueue(struct obol_store *s, const char *scheme, const char *kind,
					     const char *endpoint, const json_t *body, int64_t not_before,
					     int64_t *id);

/* A fresh random request id (16 bytes, base64url) for a body. */
void obol_outbox_request_id(char out[32]);

/* Reads a row by id (NOT_FOUND). */
OBOL_MUST_CHECK obol_err obol_outbox_get(struct obol_store *s, int64_t id, struct obol_outbox_row *out);
/* Counts rows of a scheme (NULL = all) in a state. */
OBOL_MUST_CHECK obol_err obol_outbox_count(struct obol_store *s, const char *scheme, enum obol_outbox_state st,
					   int64_t *n);

/* The worker. deliver is called for each due row with the decoded reply
 * (see obol_vendor_scheme.outbox_done); the vendor daemon runs it with its
 * own callbacks. Tests run it on a bare store through these functions too. */
struct obol_outbox;
struct obol_outbox_hooks {
	void *ctx;
	/* Runs a unit of work on the store (the vendor's group committer). */
	obol_err (*run)(void *ctx, obol_err (*fn)(struct obol_store *s, void *arg), void *arg);
	/* A client to the issuer for one attempt (authenticated); freed after. */
	obol_err (*client)(void *ctx, struct obol_http_client **out);
	/* Inside the unit that marks the row done or failed. May be NULL. */
	obol_err (*done)(void *ctx, struct obol_store *s, const struct obol_outbox_row *row, obol_err result,
			 const json_t *reply);
};

OBOL_MUST_CHECK obol_err obol_outbox_start(const struct obol_outbox_hooks *hooks, unsigned interval_ms,
					   struct obol_outbox **out);
/* Sends every due row once now, on the caller's thread (tests, and the
 * worker's loop body). *sent counts the rows that got a definitive answer. */
OBOL_MUST_CHECK obol_err obol_outbox_pass(const struct obol_outbox_hooks *hooks, int64_t now, int *sent);
void obol_outbox_kick(struct obol_outbox *ob);
/* Finishes the attempt in progress, makes one last pass over the due rows
 * (what is not delivered stays for the next start), stops the thread, frees.
 * NULL is allowed. */
void obol_outbox_stop(struct obol_outbox *ob);

#endif
