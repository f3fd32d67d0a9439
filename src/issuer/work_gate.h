/* Bounded expensive work: what one request can make the issuer compute
 * before it has paid for anything (an RSA private-key operation per GET of
 * a signed list, a blind signature for an account with no money) runs in
 * one of a few slots per kind of work. A request that finds every slot of
 * its kind taken waits for one at most OBOL_WORK_WAIT_MS, and only while
 * fewer than OBOL_WORK_WAITERS_PER_SLOT times the slots wait already;
 * otherwise, and when the wait runs out, it is refused at once with
 * ISSUER_BUSY (503, Retry-After: the HTTP server adds it). So the work in
 * flight, its CPU and its memory, are bounded by the slots, and nothing
 * queues beyond the few waiters: a flood of such requests costs the issuer
 * at most its slots' share of the machine, and every other request keeps
 * the rest.
 *
 * Routes use it through OBOL_ROUTE_BOUNDED (issuer.h): the slot is taken
 * before the handler and given back when the handler first runs a unit of
 * work (the wait for a commit needs no slot) or returns. The operator's
 * console (src/console/server.c) has a gate of its own for the Argon2id
 * check of a login, and names the refusal CONSOLE_BUSY. */
#ifndef OBOL_ISSUER_WORK_GATE_H
#define OBOL_ISSUER_WORK_GATE_H

#include "core/error.h"

enum obol_work {
	OBOL_WORK_NONE = 0,
	OBOL_WORK_RSA,    /* RSA private-key operations: blind signatures, signed lists */
	OBOL_WORK_ARGON2, /* Argon2id password checks (64 MiB each): the console's logins */
	OBOL_WORK_KINDS
};

#define OBOL_WORK_WAIT_MS 100
#define OBOL_WORK_WAITERS_PER_SLOT 2

struct obol_work_gate;

/* slots[k]: the slots of kind k (slots[OBOL_WORK_NONE] is not used; 0 means
 * the default, the machine's processors less one, at least one). */
OBOL_MUST_CHECK obol_err obol_work_gate_new(const unsigned slots[OBOL_WORK_KINDS], struct obol_work_gate **out);
void obol_work_gate_free(struct obol_work_gate *g);

/* Takes a slot of kind k, or ISSUER_BUSY (see above). OBOL_WORK_NONE takes
 * nothing and always succeeds. */
OBOL_MUST_CHECK obol_err obol_work_enter(struct obol_work_gate *g, enum obol_work k);
void obol_work_leave(struct obol_work_gate *g, enum obol_work k);

struct obol_work_stats {
	unsigned slots, busy;          /* now */
	unsigned long long done, refused; /* since start */
};
void obol_work_stats(struct obol_work_gate *g, enum obol_work k, struct obol_work_stats *out);

#endif
