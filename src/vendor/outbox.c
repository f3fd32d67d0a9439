/* The vendor's outbox: durable requests to the issuer, retried until a
 * definitive answer (contract in outbox.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console/metrics.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/timed_wait.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "vendor/outbox.h"
#include "wire/json.h"

#define PASS_ROWS 32

static const struct obol_migration outbox_steps[] = {
	{ .sqlite = "CREATE TABLE outbox (id BIGINT PRIMARY KEY, scheme TEXT NOT NULL, kind TEXT NOT NULL,"
		    " endpoint TEXT NOT NULL, body TEXT NOT NULL, not_before BIGINT NOT NULL,"
		    " attempts BIGINT NOT NULL, state BIGINT NOT NULL, last_error BIGINT NOT NULL,"
		    " created BIGINT NOT NULL);"
		    "CREATE INDEX outbox_due ON outbox (state, not_before, id);" },
};

obol_err obol_outbox_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "outbox", outbox_steps, OBOL_ARRAY_LEN(outbox_steps));
}

void obol_outbox_row_free(struct obol_outbox_row *r)
{
	free(r->body);
	r->body = NULL;
}

void obol_outbox_request_id(char out[32])
{
	uint8_t r[16];
	obol_random(r, sizeof r);
	if (obol_b64_encode(r, sizeof r, out, 32) != OBOL_OK)
		out[0] = '\0';
}

obol_err obol_outbox_enqueue(struct obol_store *s, const char *scheme, const char *kind, const char *endpoint,
			     const json_t *body, int64_t not_before, int64_t *id)
{
	struct obol_stmt *st = NULL;
	bool row;
	int64_t next = 1;
	if (strlen(scheme) >= sizeof(((struct obol_outbox_row *)0)->scheme) || strlen(kind) > OBOL_OUTBOX_KIND_MAX ||
	    strlen(endpoint) > OBOL_OUTBOX_ENDPOINT_MAX || endpoint[0] != '/')
		return OBOL_E_INVALID_ARGUMENT;
	char *text = obol_json_dump_canonical(body);
	if (text == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_stmt_prepare(s, "SELECT COALESCE(MAX(id), 0) FROM outbox", &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		next = obol_stmt_column_int64(st, 0) + 1;
	if (st != NULL)
		obol_stmt_finish(st);
	st = NULL;
	if (e != OBOL_OK)
		goto out;
	int64_t now = obol_now();
	e = obol_stmt_prepare(s, "INSERT INTO outbox (id, scheme, kind, endpoint, body, not_before, attempts, state,"
				 " last_error, created) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, ?)", &st);
	if (e != OBOL_OK)
		goto out;
	if ((e = obol_stmt_bind_int64(st, 1, next)) == OBOL_OK && (e = obol_stmt_bind_text(st, 2, scheme)) == OBOL_OK &&
	    (e = obol_stmt_bind_text(st, 3, kind)) == OBOL_OK && (e = obol_stmt_bind_text(st, 4, endpoint)) == OBOL_OK &&
	    (e = obol_stmt_bind_text(st, 5, text)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 6, not_before > 0 ? not_before : now)) == OBOL_OK &&
	    (e = obol_stmt_bind_int64(st, 7, now)) == OBOL_OK)
		e = obol_stmt_step(st, &row);
	obol_stmt_finish(st);
	if (e == OBOL_OK && id != NULL)
		*id = next;
out:
	free(text);
	return e;
}

#define ROW_COLUMNS "id, scheme, kind, endpoint, body, not_before, attempts, state, last_error"

static obol_err row_read(struct obol_stmt *st, struct obol_outbox_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = obol_stmt_column_int64(st, 0);
	const char *scheme = obol_stmt_column_text(st, 1), *kind = obol_stmt_column_text(st, 2),
		   *endpoint = obol_stmt_column_text(st, 3), *body = obol_stmt_column_text(st, 4);
	if (scheme == NULL || kind == NULL || endpoint == NULL || body == NULL ||
	    obol_strlcpy_checked(r->scheme, scheme, sizeof r->scheme) != OBOL_OK ||
	    obol_strlcpy_checked(r->kind, kind, sizeof r->kind) != OBOL_OK ||
	    obol_strlcpy_checked(r->endpoint, endpoint, sizeof r->endpoint) != OBOL_OK)
		return OBOL_E_INTERNAL;
	r->body = strdup(body);
	if (r->body == NULL)
		return OBOL_E_NO_MEMORY;
	r->not_before = obol_stmt_column_int64(st, 5);
	r->attempts = obol_stmt_column_int64(st, 6);
	r->state = (enum obol_outbox_state)obol_stmt_column_int64(st, 7);
	r->last_error = (int)obol_stmt_column_int64(st, 8);
	return OBOL_OK;
}

obol_err obol_outbox_get(struct obol_store *s, int64_t id, struct obol_outbox_row *out)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT " ROW_COLUMNS " FROM outbox WHERE id = ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, id)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		e = row ? row_read(st, out) : OBOL_E_NOT_FOUND;
	obol_stmt_finish(st);
	return e;
}

obol_err obol_outbox_count(struct obol_store *s, const char *scheme, enum obol_outbox_state state, int64_t *n)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, scheme != NULL ? "SELECT COUNT(*) FROM outbox WHERE state = ? AND scheme = ?"
							 : "SELECT COUNT(*) FROM outbox WHERE state = ?",
				       &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, state)) == OBOL_OK &&
	    (scheme == NULL || (e = obol_stmt_bind_text(st, 2, scheme)) == OBOL_OK) &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK)
		*n = row ? obol_stmt_column_int64(st, 0) : 0;
	obol_stmt_finish(st);
	return e;
}

/* ---- one pass --------------------------------------------------------------- */

struct due {
	int64_t now;
	struct obol_outbox_row rows[PASS_ROWS];
	size_t n;
};

static obol_err due_read(struct obol_store *s, void *arg)
{
	struct due *d = arg;
	struct obol_stmt *st;
	bool row;
	for (size_t i = 0; i < d->n; i++)
		obol_outbox_row_free(&d->rows[i]);
	d->n = 0;
	obol_err e = obol_stmt_prepare(s, "SELECT " ROW_COLUMNS " FROM outbox WHERE state = 0 AND not_before <= ?"
					  " ORDER BY id LIMIT 32", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, d->now)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row && d->n < PASS_ROWS) {
		if ((e = row_read(st, &d->rows[d->n])) != OBOL_OK)
			break;
		d->n++;
	}
out:
	obol_stmt_finish(st);
	return e;
}

struct outcome {
	const struct obol_outbox_hooks *hooks;
	struct obol_outbox_row *row;
	bool definitive;
	obol_err result;
	json_t *reply;
	int64_t now;
};

static obol_err outcome_store(struct obol_store *s, void *arg)
{
	struct outcome *o = arg;
	struct obol_stmt *st;
	bool row;
	obol_err e;
	if (o->definitive) {
		if (o->hooks->done != NULL && (e = o->hooks->done(o->hooks->ctx, s, o->row, o->result, o->reply)) != OBOL_OK)
			return e;
		e = obol_stmt_prepare(s, "UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?"
					 " WHERE id = ? AND state = 0", &st);
		if (e != OBOL_OK)
			return e;
		if ((e = obol_stmt_bind_int64(st, 1, o->result == OBOL_OK ? OBOL_OUTBOX_DONE : OBOL_OUTBOX_FAILED)) ==
			    OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 2, o->result)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 3, o->row->id)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
	} else {
		/* 1 s, doubling, at most OBOL_OUTBOX_BACKOFF_MAX_S. */
		int64_t delay = 1;
		for (int64_t i = 0; i < o->row->attempts && delay < OBOL_OUTBOX_BACKOFF_MAX_S; i++)
			delay *= 2;
		if (delay > OBOL_OUTBOX_BACKOFF_MAX_S)
			delay = OBOL_OUTBOX_BACKOFF_MAX_S;
		e = obol_stmt_prepare(s, "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ?"
					 " WHERE id = ? AND state = 0", &st);
		if (e != OBOL_OK)
			return e;
		if ((e = obol_stmt_bind_int64(st, 1, o->now + delay)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 2, o->result)) == OBOL_OK &&
		    (e = obol_stmt_bind_int64(st, 3, o->row->id)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
	}
	obol_stmt_finish(st);
	return e;
}

/* Sends one row; fills the outcome. */
static void attempt(struct obol_http_client *c, struct outcome *o)
{
	long status = 0;
	char *text = NULL;
	size_t len = 0;
	struct obol_outbox_row *r = o->row;
	obol_err e = obol_http_request(c, "POST", r->endpoint, r->body, strlen(r->body), OBOL_HTTP_AUTH, &status,
				       &text, &len);
	o->definitive = false;
	o->reply = NULL;
	if (e != OBOL_OK) {
		o->result = e;
	} else if (status >= 200 && status < 300) {
		o->reply = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
		o->result = o->reply != NULL ? OBOL_OK : OBOL_E_WIRE_MALFORMED;
		o->definitive = o->reply != NULL;
	} else {
		o->result = obol_json_error_from_body(text, len);
		o->definitive = obol_http_status_definitive(status) && !obol_store_retryable(o->result);
	}
	free(text);
	obol_metrics_outbox_attempt(r->scheme, o->result, o->definitive);
	obol_log_debug("outbox %lld %s: %s%s", (long long)r->id, r->endpoint, obol_strerror(o->result),
		       o->definitive ? "" : " (will retry)");
}

obol_err obol_outbox_pass(const struct obol_outbox_hooks *hooks, int64_t now, int *sent)
{
	struct due d = { .now = now };
	struct obol_http_client *c = NULL;
	*sent = 0;
	obol_err e = hooks->run(hooks->ctx, due_read, &d);
	if (e != OBOL_OK || d.n == 0)
		goto out;
	if ((e = hooks->client(hooks->ctx, &c)) != OBOL_OK)
		goto out;
	for (size_t i = 0; i < d.n; i++) {
		struct outcome o = { .hooks = hooks, .row = &d.rows[i], .now = now };
		attempt(c, &o);
		e = hooks->run(hooks->ctx, outcome_store, &o);
		json_decref(o.reply);
		if (e != OBOL_OK)
			break;
		if (o.definitive) {
			(*sent)++;
		} else if (o.result == OBOL_E_NETWORK) {
			/* The issuer is unreachable: the other rows wait too. */
			break;
		}
	}
out:
	obol_http_client_free(c);
	for (size_t i = 0; i < d.n; i++)
		obol_outbox_row_free(&d.rows[i]);
	return e;
}

/* ---- the worker -------------------------------------------------------------- */

struct obol_outbox {
	struct obol_outbox_hooks hooks;
	unsigned interval_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, kicked;
};

static void *worker(void *arg)
{
	struct obol_outbox *ob = arg;
	pthread_mutex_lock(&ob->mu);
	while (!ob->stop) {
		ob->kicked = false;
		pthread_mutex_unlock(&ob->mu);
		int sent;
		obol_err e = obol_outbox_pass(&ob->hooks, obol_now(), &sent);
		if (e != OBOL_OK)
			obol_log_warn("outbox pass: %s", obol_strerror(e));
		pthread_mutex_lock(&ob->mu);
		if (ob->stop || ob->kicked)
			continue;
		struct timespec ts;
		obol_cond_deadline_ms(&ts, (uint64_t)ob->interval_ms);
		while (!ob->stop && !ob->kicked && pthread_cond_timedwait(&ob->cv, &ob->mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&ob->mu);
	/* One last pass, so what a session queued just before the stop goes out
	 * now rather than at the next start. */
	int sent;
	obol_err e = obol_outbox_pass(&ob->hooks, obol_now(), &sent);
	if (e != OBOL_OK)
		obol_log_warn("outbox, last pass: %s", obol_strerror(e));
	return NULL;
}

obol_err obol_outbox_start(const struct obol_outbox_hooks *hooks, unsigned interval_ms, struct obol_outbox **out)
{
	struct obol_outbox *ob = calloc(1, sizeof *ob);
	if (ob == NULL)
		return OBOL_E_NO_MEMORY;
	ob->hooks = *hooks;
	ob->interval_ms = interval_ms ? interval_ms : 200;
	pthread_mutex_init(&ob->mu, NULL);
	obol_cond_init_monotonic(&ob->cv);
	if (pthread_create(&ob->thread, NULL, worker, ob) != 0) {
		pthread_mutex_destroy(&ob->mu);
		pthread_cond_destroy(&ob->cv);
		free(ob);
		return OBOL_E_INTERNAL;
	}
	*out = ob;
	return OBOL_OK;
}

void obol_outbox_kick(struct obol_outbox *ob)
{
	if (ob == NULL)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->kicked = true;
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
}

void obol_outbox_stop(struct obol_outbox *ob)
{
	if (ob == NULL)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->stop = true;
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
	pthread_join(ob->thread, NULL);
	pthread_mutex_destroy(&ob->mu);
	pthread_cond_destroy(&ob->cv);
	free(ob);
}
