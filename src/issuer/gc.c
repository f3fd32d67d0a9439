/* Pruning in bounded batches: see gc.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/timed_wait.h"
#include "issuer/gc.h"
#include "schemes/coupon/messages.h"

static const struct obol_migration gc_steps[] = {
	/* 1: the nonces by expiry, read by the nonce rule */
	{ .sqlite = "CREATE INDEX ecash_nonces_expiry ON ecash_nonces (expiry);" },
	/* 2: the stored answers by time, read by the answers rule's cursor */
	{ .sqlite = "CREATE INDEX idempotency_created ON idempotency (created, key);" },
	/* 3: the payword certificates by the end of their validity */
	{ .sqlite = "CREATE INDEX payword_certs_not_after ON payword_certs (not_after);" },
};

/* The last moment a coin of a coupon denomination can be locked or settled
 * by the denomination's key: the one place the coupon rule reads it, so
 * that key windows change only this. */
#define COUPON_LEGAL_END "d.spend_until"

/* Whether an answer stored under key (obol_issuer_run_idem: "METHOD PATH
 * ACCOUNT REQUEST-ID") may go after the retry window: its request's replay
 * is refused by its own one-time proof, and the answer is nobody's only
 * copy of anything (gc.h). */
static bool gc_idem_prunable(const char *key)
{
	static const char *const prunable[] = {
		"POST /ecash/deposit ",
		"POST /ecash/refund ",
		"POST /payword/report ",
	};
	for (size_t i = 0; i < OBOL_ARRAY_LEN(prunable); i++)
		if (strncmp(key, prunable[i], strlen(prunable[i])) == 0)
			return true;
	return false;
}

struct batch {
	const char *sql; /* deletes at most ?2 rows older than ?1 */
	int64_t before;
	size_t limit;
	int64_t deleted;
};

static obol_err delete_batch(struct obol_store *s, void *ctx)
{
	struct batch *b = ctx;
	return obol_store_run(s, &b->deleted, b->sql, "ii", b->before, (int64_t)b->limit);
}

/* Runs one rule's batches until a batch deletes fewer than the limit. */
static obol_err prune(struct obol_store *s, struct batch *b, int64_t *total, int64_t *batches)
{
	obol_err e;
	do {
		b->deleted = 0;
		if ((e = obol_store_transact(s, delete_batch, b)) != OBOL_OK)
			return e;
		*total += b->deleted;
		(*batches)++;
	} while (b->deleted >= (int64_t)b->limit);
	return OBOL_OK;
}

/* ---- idempotency: a cursor over (created, key), so that the answers that
 * stay (top-ups, withdrawals) are read once per run, not once per batch ---- */

#define IDEM_KEY_MAX 512

struct idem_batch {
	int64_t before;
	size_t limit;
	int64_t created;          /* the cursor: rows after (created, key) */
	char key[IDEM_KEY_MAX];
	int64_t next_created;     /* the cursor after this batch */
	char next_key[IDEM_KEY_MAX];
	size_t scanned;
	int64_t deleted;
};

static obol_err idem_batch(struct obol_store *s, void *ctx)
{
	struct idem_batch *b = ctx;
	struct obol_stmt *st = NULL;
	char **keys = NULL;
	size_t nkeys = 0;
	bool row = false;
	obol_err e;
	b->scanned = 0;
	b->deleted = 0;
	b->next_created = b->created;
	snprintf(b->next_key, sizeof(b->next_key), "%s", b->key);
	if ((keys = calloc(b->limit, sizeof(*keys))) == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_stmt_prepare(s,
				   "SELECT key, created FROM idempotency WHERE created < ? AND (created > ?"
				   " OR (created = ? AND key > ?)) ORDER BY created, key LIMIT ?",
				   &st)) != OBOL_OK)
		goto out;
	if ((e = obol_stmt_bindf(st, "iiiti", b->before, b->created, b->created, b->key, (int64_t)b->limit)) !=
	    OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		const char *key = obol_stmt_column_text(st, 0);
		if (strlen(key) >= sizeof(b->next_key)) { /* obol_idem_store writes at most 256 bytes */
			e = OBOL_E_STORE_QUERY;
			break;
		}
		b->scanned++;
		b->next_created = obol_stmt_column_int64(st, 1);
		snprintf(b->next_key, sizeof(b->next_key), "%s", key);
		if (gc_idem_prunable(key) && (keys[nkeys++] = strdup(key)) == NULL) {
			e = OBOL_E_NO_MEMORY;
			break;
		}
	}
	obol_stmt_finish(st);
	st = NULL;
	for (size_t i = 0; e == OBOL_OK && i < nkeys; i++) {
		int64_t n = 0;
		if ((e = obol_store_run(s, &n, "DELETE FROM idempotency WHERE key = ?", "t", keys[i])) == OBOL_OK)
			b->deleted += n;
	}
out:
	obol_stmt_finish(st);
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	return e;
}

static obol_err prune_answers(struct obol_store *s, const struct obol_gc_opts *o, struct obol_gc_counts *out)
{
	struct idem_batch *b = calloc(1, sizeof(*b));
	obol_err e = OBOL_OK;
	if (b == NULL)
		return OBOL_E_NO_MEMORY;
	b->before = o->now - OBOL_GC_RETRY_WINDOW;
	b->limit = o->batch;
	b->created = INT64_MIN;
	do {
		if ((e = obol_store_transact(s, idem_batch, b)) != OBOL_OK)
			break;
		out->answers += b->deleted;
		out->batches++;
		b->created = b->next_created; /* only once the batch is committed */
		memcpy(b->key, b->next_key, sizeof(b->key));
	} while (b->scanned == b->limit);
	free(b);
	return e;
}

/* ---- coupon settles: a cursor over the coin ids ---- */

struct settle_batch {
	int64_t before; /* legal end before this */
	size_t limit;
	uint8_t after[COUPON_ID_LEN]; /* the cursor: coins after this id */
	uint8_t next[COUPON_ID_LEN];
	size_t coins;
	int64_t deleted;
};

static obol_err settle_batch(struct obol_store *s, void *ctx)
{
	struct settle_batch *b = ctx;
	struct obol_stmt *st = NULL;
	uint8_t(*ids)[COUPON_ID_LEN] = NULL;
	bool row = false;
	obol_err e;
	b->coins = 0;
	b->deleted = 0;
	memcpy(b->next, b->after, COUPON_ID_LEN);
	if ((ids = calloc(b->limit, sizeof(*ids))) == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_stmt_prepare(s,
				   "SELECT DISTINCT s.coin_id FROM coupon_settles s JOIN coupon_coins c ON c.coin_id = s.coin_id"
				   " JOIN coupon_denoms d ON d.id = c.denom WHERE s.coin_id > ? AND c.locked = 0"
				   " AND " COUPON_LEGAL_END " < ? ORDER BY s.coin_id LIMIT ?",
				   &st)) != OBOL_OK)
		goto out;
	if ((e = obol_stmt_bindf(st, "bii", b->after, (size_t)COUPON_ID_LEN, b->before, (int64_t)b->limit)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		size_t len = 0;
		const void *id = obol_stmt_column_blob(st, 0, &len);
		if (len != COUPON_ID_LEN)
			continue;
		memcpy(ids[b->coins++], id, COUPON_ID_LEN);
	}
	obol_stmt_finish(st);
	st = NULL;
	for (size_t i = 0; e == OBOL_OK && i < b->coins; i++) {
		int64_t n = 0;
		if ((e = obol_store_run(s, &n, "DELETE FROM coupon_settles WHERE coin_id = ?", "b", ids[i],
					(size_t)COUPON_ID_LEN)) == OBOL_OK)
			b->deleted += n;
	}
	if (e == OBOL_OK && b->coins > 0)
		memcpy(b->next, ids[b->coins - 1], COUPON_ID_LEN);
out:
	obol_stmt_finish(st);
	free(ids);
	return e;
}

static obol_err prune_settles(struct obol_store *s, const struct obol_gc_opts *o, struct obol_gc_counts *out)
{
	struct settle_batch b = { .before = o->now - OBOL_GC_RETRY_WINDOW, .limit = o->batch };
	obol_err e;
	do {
		if ((e = obol_store_transact(s, settle_batch, &b)) != OBOL_OK)
			return e;
		out->coupon_settles += b.deleted;
		out->batches++;
		memcpy(b.after, b.next, COUPON_ID_LEN);
	} while (b.coins == b.limit);
	return OBOL_OK;
}

/* ---- payword certificates with their claims ---- */

/* The certificates that can go (gc.h), oldest first; ?1 the moment
 * not_after + grace must be before, ?2 the batch. */
#define PAYWORD_GONE                                                                                               \
	"SELECT serial FROM payword_certs WHERE status <> 1"                                                      \
	" AND not_after < ? - CAST((SELECT value FROM payword_settings WHERE key = 'grace') AS BIGINT)"          \
	" AND n + covered - paid - moved_out = 0"                                                                 \
	" AND serial < (SELECT MAX(serial) FROM payword_certs)"                                                   \
	" AND NOT EXISTS (SELECT 1 FROM payword_claims k WHERE k.serial = payword_certs.serial"                   \
	" AND k.held_tokens > 0) ORDER BY not_after LIMIT ?"

struct payword_batch {
	int64_t before;
	size_t limit;
	int64_t certs, claims;
};

static obol_err payword_batch(struct obol_store *s, void *ctx)
{
	struct payword_batch *b = ctx;
	obol_err e;
	b->certs = b->claims = 0;
	/* the same certificates twice: deleting claims that hold nothing
	 * changes none of the conditions */
	if ((e = obol_store_run(s, &b->claims, "DELETE FROM payword_claims WHERE serial IN (" PAYWORD_GONE ")", "ii",
				b->before, (int64_t)b->limit)) != OBOL_OK)
		return e;
	return obol_store_run(s, &b->certs, "DELETE FROM payword_certs WHERE serial IN (" PAYWORD_GONE ")", "ii",
			      b->before, (int64_t)b->limit);
}

static obol_err prune_payword(struct obol_store *s, const struct obol_gc_opts *o, struct obol_gc_counts *out)
{
	struct payword_batch b = { .before = o->now - OBOL_GC_RETRY_WINDOW, .limit = o->batch };
	obol_err e;
	do {
		if ((e = obol_store_transact(s, payword_batch, &b)) != OBOL_OK)
			return e;
		out->payword_certs += b.certs;
		out->payword_claims += b.claims;
		out->batches++;
	} while (b.certs == (int64_t)b.limit);
	return OBOL_OK;
}

obol_err obol_issuer_gc(struct obol_store *s, const struct obol_gc_opts *o, struct obol_gc_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (o->batch == 0 || o->batch > OBOL_GC_BATCH_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	obol_err e = obol_store_migrate(s, "gc", gc_steps, OBOL_ARRAY_LEN(gc_steps));
	if (e != OBOL_OK)
		return e;
	struct batch nonces = {
		.sql = "DELETE FROM ecash_nonces WHERE nonce IN"
		       " (SELECT nonce FROM ecash_nonces WHERE expiry < ? ORDER BY expiry LIMIT ?)",
		.before = o->now - OBOL_GC_NONCE_MARGIN,
		.limit = o->batch,
	};
	if ((e = prune(s, &nonces, &out->nonces, &out->batches)) != OBOL_OK ||
	    (e = prune_answers(s, o, out)) != OBOL_OK || (e = prune_settles(s, o, out)) != OBOL_OK)
		return e;
	return prune_payword(s, o, out);
}

struct obol_gc_daemon {
	pthread_t th;
	pthread_mutex_t mu; /* guards stop */
	pthread_cond_t cv;
	bool stop;
	char *db_url;
	int64_t interval;
	size_t batch;
	obol_prune_fn run;
};

static obol_err issuer_run(struct obol_store *s, int64_t now, size_t batch)
{
	struct obol_gc_opts o = { .now = now, .batch = batch };
	struct obol_gc_counts n;
	obol_err e = obol_issuer_gc(s, &o, &n);
	if (e == OBOL_OK && n.nonces + n.answers + n.coupon_settles + n.payword_certs > 0)
		obol_log(OBOL_LOG_INFO,
			 "gc: removed %lld ecash nonces, %lld answers, %lld coupon settles, %lld payword certificates"
			 " (%lld claims) in %lld batches",
			 (long long)n.nonces, (long long)n.answers, (long long)n.coupon_settles,
			 (long long)n.payword_certs, (long long)n.payword_claims, (long long)n.batches);
	return e;
}

static void gc_once(struct obol_gc_daemon *d)
{
	struct obol_store *s = NULL;
	obol_err e = obol_store_open(d->db_url, false, &s);
	if (e == OBOL_OK)
		e = d->run(s, obol_now(), d->batch);
	obol_store_close(s);
	if (e != OBOL_OK)
		obol_log(OBOL_LOG_ERROR, "gc: %s (again in %llds)", obol_strerror(e), (long long)d->interval);
}

static void *gc_loop(void *arg)
{
	struct obol_gc_daemon *d = arg;
	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		struct timespec ts;
		obol_cond_deadline_ms(&ts, (uint64_t)d->interval * 1000u);
		pthread_cond_timedwait(&d->cv, &d->mu, &ts);
		if (d->stop)
			break;
		pthread_mutex_unlock(&d->mu);
		gc_once(d);
		pthread_mutex_lock(&d->mu);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

obol_err obol_gc_daemon_start(const char *db_url, int64_t interval_s, size_t batch, struct obol_gc_daemon **out)
{
	return obol_prune_daemon_start(db_url, interval_s, batch, issuer_run, out);
}

obol_err obol_prune_daemon_start(const char *db_url, int64_t interval_s, size_t batch, obol_prune_fn run,
				 struct obol_gc_daemon **out)
{
	*out = NULL;
	if (interval_s <= 0 || batch == 0 || batch > OBOL_GC_BATCH_MAX || run == NULL)
		return OBOL_E_INVALID_ARGUMENT;
	struct obol_gc_daemon *d = calloc(1, sizeof(*d));
	if (d == NULL || (d->db_url = strdup(db_url)) == NULL) {
		free(d);
		return OBOL_E_NO_MEMORY;
	}
	d->interval = interval_s;
	d->batch = batch;
	d->run = run;
	pthread_mutex_init(&d->mu, NULL);
	obol_cond_init_monotonic(&d->cv);
	if (pthread_create(&d->th, NULL, gc_loop, d) != 0) {
		pthread_mutex_destroy(&d->mu);
		pthread_cond_destroy(&d->cv);
		free(d->db_url);
		free(d);
		return OBOL_E_INTERNAL;
	}
	*out = d;
	return OBOL_OK;
}

void obol_gc_daemon_stop(struct obol_gc_daemon *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->th, NULL);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d->db_url);
	free(d);
}
