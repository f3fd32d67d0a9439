/* Pruning in bounded batches: see gc.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "issuer/gc.h"

static const struct obol_migration gc_steps[] = {
	/* 1: the nonces by expiry, read by the nonce rule */
	{ .sqlite = "CREATE INDEX ecash_nonces_expiry ON ecash_nonces (expiry);" },
};

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
	} while (b->deleted == (int64_t)b->limit);
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
	return prune(s, &nonces, &out->nonces, &out->batches);
}

struct obol_gc_daemon {
	pthread_t th;
	pthread_mutex_t mu; /* guards stop */
	pthread_cond_t cv;
	bool stop;
	char *db_url;
	int64_t interval;
	size_t batch;
};

static void gc_once(struct obol_gc_daemon *d)
{
	struct obol_store *s = NULL;
	struct obol_gc_opts o = { .now = obol_now(), .batch = d->batch };
	struct obol_gc_counts n;
	obol_err e = obol_store_open(d->db_url, false, &s);
	if (e == OBOL_OK)
		e = obol_issuer_gc(s, &o, &n);
	obol_store_close(s);
	if (e != OBOL_OK)
		obol_log(OBOL_LOG_ERROR, "gc: %s (again in %llds)", obol_strerror(e), (long long)d->interval);
	else if (n.nonces > 0)
		obol_log(OBOL_LOG_INFO, "gc: %lld ecash nonces removed in %lld batches", (long long)n.nonces,
			 (long long)n.batches);
}

static void *gc_loop(void *arg)
{
	struct obol_gc_daemon *d = arg;
	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += d->interval;
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
	*out = NULL;
	if (interval_s <= 0 || batch == 0 || batch > OBOL_GC_BATCH_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	struct obol_gc_daemon *d = calloc(1, sizeof(*d));
	if (d == NULL || (d->db_url = strdup(db_url)) == NULL) {
		free(d);
		return OBOL_E_NO_MEMORY;
	}
	d->interval = interval_s;
	d->batch = batch;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
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
