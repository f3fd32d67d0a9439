/* The vendor daemon's ecash merchant state, shared by ecash_vendor.c
 * (start, sessions, deposits) and ecash_vendor_rl.c (the revocation list:
 * loaded at start, refreshed in the background). */
#ifndef OBOL_VENDOR_ECASH_VENDOR_INT_H
#define OBOL_VENDOR_ECASH_VENDOR_INT_H

#include <limits.h>
#include <pthread.h>

#include "schemes/ecash/customer.h"
#include "schemes/ecash/merchant.h"
#include "vendor/vendor.h"

/* Seconds between two fetches of the revocation list; the environment
 * variable overrides the default (1..86400). */
#define ECASH_RL_REFRESH_ENV "OBOL_ECASH_REVOCATIONS_REFRESH"
#define ECASH_RL_REFRESH_DEFAULT 300
/* While the issuer does not answer, it is tried again this often (or at the
 * refresh interval when that is shorter). */
#define ECASH_RL_RETRY 15

/* The background refresher of the revocation list. */
struct ecash_rl_refresher {
	struct obol_vendor *v;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu; /* guards the fields below */
	pthread_cond_t cond;
	bool stopping, kicked, offline;
	int64_t interval;
	/* In process (obol_vendor_in_process): no thread; the scheme's tick
	 * refreshes when next (obol_now) has come, or when kicked. */
	bool in_process;
	int64_t next;
	char db_url[PATH_MAX + 8]; /* the vendor store, opened on its own to cache a new list */
};

struct ecash_vendor {
	pthread_mutex_t mu; /* guards m */
	EVP_PKEY *sk;
	struct ecash_bank_keys bank_pk; /* from GET /keys (ecash_bank_keys_from_doc) */
	struct ecash_customer me; /* our certified key, to sign deposits */
	struct ecash_merchant m;
	bool ready;
	struct ecash_rl_refresher rl;
};

/* At start: the list fresh from the bank when it answers with a valid one,
 * else the cached one (none: no key is revoked as far as we know). A fresh
 * list with a bad signature or an older version is ignored and logged. */
OBOL_MUST_CHECK obol_err ecash_vendor_rl_load(struct obol_vendor *v, struct ecash_vendor *ev, struct obol_store *s);
/* Starts the background refresher: every interval (ECASH_RL_REFRESH_ENV),
 * sooner while the issuer is unreachable, and at once when kicked. A list is
 * taken only when its bank signature verifies and its version (seq) is not
 * lower than the one held; it is then cached in the vendor store. A vendor
 * run in process gets no thread: ecash_vendor_rl_tick does the same work. */
OBOL_MUST_CHECK obol_err ecash_vendor_rl_start(struct obol_vendor *v, struct ecash_vendor *ev);
/* In process: refreshes when the interval (the retry interval while the
 * issuer is unreachable) has passed by obol_now, or when kicked. */
void ecash_vendor_rl_tick(struct ecash_vendor *ev);
/* The issuer answered something (it is reachable): refresh now if the last
 * attempt found it unreachable. */
void ecash_vendor_rl_kick(struct ecash_vendor *ev);
/* Stops and joins the refresher (no-op when it never started). */
void ecash_vendor_rl_stop(struct ecash_vendor *ev);

/* The tables of the ecash scheme (component "ecash") and the prune's
 * (component "ecash-vendor-prune", vendor/prune.h), as the start applies
 * them. */
OBOL_MUST_CHECK obol_err ecash_vendor_migrate(struct obol_store *s);
/* Inside the payment's unit: a registry row for each coin of p (its expiry
 * with it), the deposit being outbox row outbox_row (queued in the same
 * unit). ECASH_COIN_ALREADY_HELD for a serial already stored. */
OBOL_MUST_CHECK obol_err ecash_vendor_received_add(struct obol_store *s, const struct ecash_payment *p,
						   int64_t outbox_row, int64_t now);
/* Inside the unit that marks deposit row row_id answered (the outbox's
 * outbox_done): each coin's result, the bank's name for it, or for a
 * deposit refused whole, the refusal for every coin of the row. */
OBOL_MUST_CHECK obol_err ecash_vendor_deposit_answered(struct obol_store *s, int64_t row_id, obol_err result,
						       const json_t *reply);
/* At start: the serials of the registry's rows into m (the rows the prune
 * left; INTERNAL for a stored serial of the wrong size). */
OBOL_MUST_CHECK obol_err ecash_vendor_registry_load(struct ecash_merchant *m, struct obol_store *s);

/* Reads the issuer's keys again (GET /keys) and takes on the bank keys its
 * master announced since (ecash_bank_keys_merge, under ev->mu; never a
 * "bank_key" the master did not announce): at each refresh of the
 * revocation list, and when a payment names a bank key not known. */
OBOL_MUST_CHECK obol_err ecash_vendor_bank_keys_refresh(struct obol_vendor *v, struct ecash_vendor *ev);

#endif
