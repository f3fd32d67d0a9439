/* The coupon vendor's own clock (coupon_vendor.h): settles before T and
 * checkpoints whatever the links do, and finds the locks it lost track of.
 * In the daemon it is a thread on a store connection of its own, so it
 * needs neither the group committer nor a link, and it stops before the
 * store closes; in a vendor run in process (the simulator) it is the
 * scheme's tick, through the vendor's units of work. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "vendor/coupon_vendor.h"
#include "wire/json.h"

#define TICK_S 1
/* An intent this old belongs to no running session any more (a lock
 * request takes at most a few HTTP timeouts). */
#define INTENT_STALE_S 60
#define BATCH 64

/* How a pass reaches the store: a connection of its own (the thread), or
 * the vendor's units of work (the tick: s NULL). */
struct timer_io {
	struct obol_vendor *v;
	struct obol_store *s;
};

static obol_err io_write(const struct timer_io *io, obol_unit_fn fn, void *arg)
{
	return io->s ? obol_store_transact(io->s, fn, arg) : obol_vendor_run(io->v, fn, arg);
}

static obol_err io_read(const struct timer_io *io, obol_unit_fn fn, void *arg)
{
	if (!io->s)
		return obol_vendor_run(io->v, fn, arg);
	obol_err e = obol_store_begin_read(io->s);
	if (e == OBOL_OK) {
		e = fn(io->s, arg);
		obol_store_rollback(io->s);
	}
	return e;
}

/* ---- settles and checkpoints on the clock ---- */

static bool pick_settle(const struct coupon_vendor_cfg *cfg, int64_t deadline, uint64_t cp_index, int64_t cp_at,
			const struct coupon_vendor_coin *c, int64_t now)
{
	(void)cp_index, (void)cp_at, (void)c;
	return coupon_vendor_settle_due(cfg, deadline, now);
}

static bool pick_checkpoint(const struct coupon_vendor_cfg *cfg, int64_t deadline, uint64_t cp_index, int64_t cp_at,
			    const struct coupon_vendor_coin *c, int64_t now)
{
	return !coupon_vendor_settle_due(cfg, deadline, now) &&
	       coupon_vendor_checkpoint_due(cfg, cp_index, cp_at, c->last_index, now);
}

struct clock_tx {
	const struct coupon_vendor_cfg *cfg;
	int64_t now;
	size_t settled, checkpointed;
};

static obol_err clock_tx(struct obol_store *s, void *arg)
{
	struct clock_tx *t = arg;
	struct coupon_vendor_coin coins[BATCH];
	size_t n;
	obol_err e;
	t->settled = t->checkpointed = 0;
	if ((e = coupon_vcoins_open(s, t->cfg, pick_settle, t->now, coins, BATCH, &n)) != OBOL_OK)
		return e;
	for (size_t i = 0; i < n && e == OBOL_OK; i++) {
		int64_t row;
		e = coupon_vcoin_queue_settle(s, t->cfg, &coins[i], &row);
	}
	t->settled = n;
	if (e != OBOL_OK || (e = coupon_vcoins_open(s, t->cfg, pick_checkpoint, t->now, coins, BATCH, &n)) != OBOL_OK)
		return e;
	for (size_t i = 0; i < n && e == OBOL_OK; i++)
		e = coupon_vcoin_queue_checkpoint(s, t->cfg, &coins[i], t->now);
	t->checkpointed = n;
	return e;
}

/* Whether anything is due: read first, so that an idle tick takes no write
 * lock from the group committer. */
struct clock_look {
	const struct clock_tx *t;
	bool any;
};

static obol_err clock_due(struct obol_store *s, void *arg)
{
	struct clock_look *l = arg;
	struct coupon_vendor_coin coin;
	size_t n = 0;
	obol_err e = coupon_vcoins_open(s, l->t->cfg, pick_settle, l->t->now, &coin, 1, &n);
	if (e == OBOL_OK && n == 0)
		e = coupon_vcoins_open(s, l->t->cfg, pick_checkpoint, l->t->now, &coin, 1, &n);
	l->any = n > 0;
	return e;
}

/* ---- intents left behind ---- */

struct intents_tx {
	int64_t before;
	struct coupon_vlock locks[BATCH];
	size_t n;
};

static obol_err intents_read(struct obol_store *s, void *arg)
{
	struct intents_tx *t = arg;
	return coupon_vlocks_older(s, t->before, t->locks, BATCH, &t->n);
}

/* Until when a copy of an intent's lock request may still lock the coin at
 * F: a copy in the network (delayed, duplicated) can arrive after the
 * vendor's own tries, after a refusal of them, or after F answered that the
 * lock is not the vendor's, and lock a coin that moved to its token since;
 * after T (on F's clock, within the skew F allows) F refuses it. Before
 * then an intent F does not hold is looked at again at this time. */
static int64_t intent_final(const struct coupon_vlock *l)
{
	return l->deadline + COUPON_STATUS_SKEW_S;
}

/* What the issuer says of an intent's coin. */
struct intent_fate {
	const struct coupon_vendor_cfg *cfg;
	const struct coupon_vlock *lock;
	int64_t now;
	bool ours;                      /* the issuer holds this very lock for us */
	struct coupon_status_reply status;
};

static obol_err intent_resolve(struct obol_store *s, void *arg)
{
	struct intent_fate *f = arg;
	struct coupon_vendor_coin c;
	int64_t row;
	obol_err e;
	if (!f->ours && f->now <= intent_final(f->lock))
		return coupon_vlock_postpone(s, f->lock->lock, intent_final(f->lock));
	if (!f->ours)
		return coupon_vlock_del(s, f->lock->lock);
	/* F locked it and nothing settled it since: its last token is the lock
	 * token, which is ours */
	memset(&c, 0, sizeof(c));
	memcpy(c.coin_id, f->lock->coin_id, COUPON_ID_LEN);
	c.denom = f->lock->denom;
	c.lock_index = c.last_index = c.checkpoint_index = f->status.last_index;
	memcpy(c.last_token, f->status.last_token, COUPON_ID_LEN);
	memcpy(c.lock, f->lock->lock, COUPON_ID_LEN);
	c.has_lock = true;
	if ((e = coupon_vcoin_insert(s, &c, f->lock->deadline, obol_now())) != OBOL_OK ||
	    (e = coupon_vcoin_queue_settle(s, f->cfg, &c, &row)) != OBOL_OK)
		return e;
	return coupon_vlock_del(s, f->lock->lock);
}

/* Asks the issuer about one intent: OBOL_OK with *known when it answered
 * for good, NETWORK (or another transient error) to ask again later. */
static obol_err intent_ask(struct obol_http_client *c, struct intent_fate *f, bool *known)
{
	struct coupon_status_req req;
	struct coupon_spec spec;
	json_t *body = NULL, *ans = NULL;
	obol_err e;
	*known = false;
	coupon_vendor_status_req(f->cfg, f->lock->coin_id, obol_now(), &req);
	coupon_spec_status_req(&spec, &req);
	if ((e = obol_json_encode(&spec.fields, &body)) != OBOL_OK)
		return e;
	e = obol_http_post_json(c, "/coupon/status", body, 0, &ans);
	json_decref(body);
	if (e == OBOL_E_COUPON_NOT_LOCK_HOLDER || e == OBOL_E_COUPON_COIN_UNKNOWN) {
		*known = true; /* the lock never happened, or passed to another vendor (which credited us) */
		return OBOL_OK;
	}
	if (e != OBOL_OK)
		return e;
	memset(&f->status, 0, sizeof(f->status));
	coupon_spec_status_reply(&spec, &f->status);
	e = obol_json_decode(ans, &spec.fields);
	json_decref(ans);
	if (e != OBOL_OK)
		return e;
	f->ours = memcmp(f->status.lock, f->lock->lock, COUPON_ID_LEN) == 0 &&
		  memcmp(f->status.coin_id, f->lock->coin_id, COUPON_ID_LEN) == 0;
	*known = true;
	return OBOL_OK;
}

static obol_err intents_pass(const struct timer_io *io, struct coupon_vstate *st, int64_t now)
{
	struct intents_tx t = { .before = now - INTENT_STALE_S < st->started ? st->started : now - INTENT_STALE_S };
	struct obol_http_client *c = NULL;
	obol_err e;
	if ((e = io_read(io, intents_read, &t)) != OBOL_OK || t.n == 0)
		return e;
	if ((e = obol_vendor_issuer_client(io->v, &c)) != OBOL_OK)
		return e;
	struct coupon_vendor_cfg cfg;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	coupon_vstate_cfg(st, &cfg, cert);
	for (size_t i = 0; i < t.n; i++) {
		struct intent_fate f = { .cfg = &cfg, .lock = &t.locks[i], .now = now };
		bool known;
		if ((e = intent_ask(c, &f, &known)) != OBOL_OK)
			break; /* the issuer is away: next time */
		if ((e = io_write(io, intent_resolve, &f)) != OBOL_OK)
			break;
		if (f.ours)
			obol_log_info("coupon: a lock the last session lost track of is queued for settlement");
	}
	obol_http_client_free(c);
	return e;
}

obol_err coupon_timer_pass(struct obol_vendor *v, struct coupon_vstate *st, struct obol_store *s, int64_t now)
{
	const struct timer_io io = { .v = v, .s = s };
	struct coupon_vendor_cfg cfg;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	coupon_vstate_cfg(st, &cfg, cert);
	struct clock_tx t = { .cfg = &cfg, .now = now };
	struct clock_look look = { .t = &t };
	obol_err e = io_read(&io, clock_due, &look);
	if (e == OBOL_OK && look.any)
		e = io_write(&io, clock_tx, &t);
	if (e != OBOL_OK)
		return e;
	if (t.settled > 0) {
		obol_log_info("coupon: %zu coin(s) settled ahead of their lock deadline", t.settled);
		/* the thread leaves the outbox to its own poll: it may outlive it
		 * at shutdown */
		if (!s)
			obol_vendor_outbox_kick(v);
	}
	return intents_pass(&io, st, now);
}

/* ---- the thread ---- */

struct timer_arg {
	struct obol_vendor *v;
	struct coupon_vstate *st;
};

static void *timer_main(void *arg)
{
	struct timer_arg a = *(struct timer_arg *)arg;
	struct coupon_vstate *st = a.st;
	struct obol_store *s = NULL;
	time_t keys_at = time(NULL);
	long keys_s = COUPON_VENDOR_KEYS_S;
	const char *env = getenv(COUPON_KEYS_SECONDS_ENV); /* tests: sooner */
	if (env != NULL && atol(env) > 0 && atol(env) <= COUPON_VENDOR_KEYS_S)
		keys_s = atol(env);
	free(arg);
	pthread_mutex_lock(&st->mu);
	while (!st->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += TICK_S;
		int rc = 0;
		while (!st->stopping && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&st->cv, &st->mu, &until);
		if (st->stopping)
			break;
		pthread_mutex_unlock(&st->mu);
		obol_err e = s ? OBOL_OK : obol_store_open(st->db_url, false, &s);
		if (e == OBOL_OK)
			e = coupon_timer_pass(a.v, st, s, obol_now());
		if (e != OBOL_OK && e != OBOL_E_NETWORK)
			obol_log_warn("coupon: the settlement timer: %s", obol_strerror(e));
		/* a rotation's new keys, without a restart */
		if (time(NULL) - keys_at >= keys_s) {
			keys_at = time(NULL);
			if ((e = coupon_vendor_keys_refresh(a.v, st, NULL)) != OBOL_OK && e != OBOL_E_NETWORK)
				obol_log_warn("coupon: cannot fetch the issuer's keys: %s", obol_strerror(e));
		}
		pthread_mutex_lock(&st->mu);
	}
	pthread_mutex_unlock(&st->mu);
	obol_store_close(s);
	return NULL;
}

obol_err coupon_timer_start(struct obol_vendor *v, struct coupon_vstate *st)
{
	struct timer_arg *a = malloc(sizeof(*a));
	if (!a)
		return OBOL_E_NO_MEMORY;
	*a = (struct timer_arg){ .v = v, .st = st };
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	st->stopping = false;
	if (pthread_create(&st->timer, NULL, timer_main, a) != 0) {
		free(a);
		pthread_cond_destroy(&st->cv);
		pthread_mutex_destroy(&st->mu);
		return OBOL_E_INTERNAL;
	}
	st->timer_running = true;
	return OBOL_OK;
}

void coupon_timer_stop(struct coupon_vstate *st)
{
	if (!st->timer_running)
		return;
	pthread_mutex_lock(&st->mu);
	st->stopping = true;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	pthread_join(st->timer, NULL);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	st->timer_running = false;
}
