/* The agent's guard around password checks (issue 13, case 7): failed
 * checks are counted per user account and per client address over a
 * window, and refused beyond a limit before any Argon2id work is done; the
 * Argon2id work itself (64 MiB per hash at the INTERACTIVE limits) runs in
 * at most `slots` requests at once, and a request beyond them is refused
 * with a retryable PAYWORD_BUSY instead of queueing memory. Both tables are
 * bounded: the oldest entry makes room for a new one. */
#ifndef OBOL_ISSUER_PAYWORD_GUARD_H
#define OBOL_ISSUER_PAYWORD_GUARD_H

#include <stdint.h>

#include "core/error.h"

#define PAYWORD_GUARD_WINDOW 60      /* seconds a failure counts */
#define PAYWORD_GUARD_USER_FAILS 5   /* failures per user account in a window */
#define PAYWORD_GUARD_ADDR_FAILS 20  /* failures per client address in a window */
#define PAYWORD_GUARD_SLOTS 2        /* Argon2id hashes at once, by default */
#define PAYWORD_GUARD_ENTRIES 1024   /* remembered accounts, and addresses */
#define PAYWORD_GUARD_ADDR_MAX 64

struct payword_guard;

OBOL_MUST_CHECK obol_err payword_guard_new(unsigned slots, struct payword_guard **out);
void payword_guard_free(struct payword_guard *g);

/* PAYWORD_RATE_LIMITED when the account (0: none) or the address (NULL:
 * unknown) failed too often in the last window. */
OBOL_MUST_CHECK obol_err payword_guard_check(struct payword_guard *g, int64_t account, const char *addr, int64_t now);
/* Counts a failed password check against both. */
void payword_guard_failed(struct payword_guard *g, int64_t account, const char *addr, int64_t now);

/* Takes an Argon2id slot (PAYWORD_BUSY when all are taken); leave after. */
OBOL_MUST_CHECK obol_err payword_guard_enter(struct payword_guard *g);
void payword_guard_leave(struct payword_guard *g);
/* Argon2id hashes run through the guard so far (for tests). */
uint64_t payword_guard_hashes(struct payword_guard *g);

#endif
