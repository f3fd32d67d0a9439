/* The vendor daemon's revocation list (seed 002 §3.3.2 step 4: the merchant
 * refuses revoked keys offline, so its copy of the bank's list must not go
 * stale): loaded at start, then refreshed by a background thread every
 * interval, sooner while the issuer is unreachable, and at once when the
 * outbox finds the issuer reachable again (in process, by the scheme's tick
 * instead of a thread). A list is taken only when the
 * bank's signature verifies and its version does not go back
 * (ecash_merchant_set_revocations); it is then cached in the vendor store
 * (ecash_lists) for a start without network. See ecash_vendor_int.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "net/http_client.h"
#include "schemes/ecash/messages.h"
#include "vendor/ecash_vendor_int.h"
#include "vendor/vendor_files.h"
#include "wire/json.h"

/* GET /ecash/revocations (3 s timeout). */
static obol_err fetch(struct obol_vendor *v, json_t **j)
{
	struct obol_http_client *c = NULL;
	obol_err e = obol_http_client_new(obol_vendor_issuer_url(v), 3000, &c);
	if (e == OBOL_OK)
		e = obol_http_get_json(c, "/ecash/revocations", 0, j);
	obol_http_client_free(c);
	return e;
}

/* Decodes a list and makes it the merchant's (ECASH_LIST_SIGNATURE,
 * ECASH_LIST_STALE, wire errors: the held list stays). *changed: its
 * version grew; *n, *seq: the list now held. */
static obol_err apply(struct ecash_vendor *ev, const json_t *j, bool *changed, size_t *n, uint64_t *seq)
{
	struct ecash_revocations rl = { 0 };
	struct ecash_revocations_spec sp;
	obol_err e = ecash_revocations_spec(&sp, &rl, true);
	if (e == OBOL_OK)
		e = ecash_revocations_done(&sp, obol_json_decode(j, &sp.s));
	if (e == OBOL_OK) {
		pthread_mutex_lock(&ev->mu);
		uint64_t before = ev->m.rl.sig_len != 0 ? ev->m.rl.seq : 0;
		bool had = ev->m.rl.sig_len != 0;
		e = ecash_merchant_set_revocations(&ev->m, &rl);
		*changed = e == OBOL_OK && (!had || ev->m.rl.seq > before);
		*n = ev->m.rl.n;
		*seq = ev->m.rl.seq;
		pthread_mutex_unlock(&ev->mu);
	}
	ecash_revocations_clear(&rl);
	return e;
}

/* Replaces the cached list, in one transaction. */
static obol_err cache(struct obol_store *s, const json_t *j)
{
	struct obol_stmt *st;
	bool row;
	char *text = obol_json_dump_canonical(j);
	obol_err e = text ? obol_store_begin(s) : OBOL_E_NO_MEMORY;
	if (e != OBOL_OK) {
		free(text);
		return e;
	}
	if ((e = obol_stmt_prepare(s, "DELETE FROM ecash_lists WHERE name = 'revocations'", &st)) == OBOL_OK) {
		e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
	}
	if (e == OBOL_OK &&
	    (e = obol_stmt_prepare(s, "INSERT INTO ecash_lists (name, body) VALUES ('revocations', ?)", &st)) == OBOL_OK) {
		if ((e = obol_stmt_bind_text(st, 1, text)) == OBOL_OK)
			e = obol_stmt_step(st, &row);
		obol_stmt_finish(st);
	}
	free(text);
	if (e == OBOL_OK)
		return obol_store_commit(s);
	obol_store_rollback(s);
	return e;
}

/* The list cached by an earlier run (*j NULL when none). */
static obol_err cached(struct obol_store *s, json_t **j)
{
	struct obol_stmt *st;
	bool row;
	*j = NULL;
	obol_err e = obol_stmt_prepare(s, "SELECT body FROM ecash_lists WHERE name = 'revocations'", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		json_error_t jerr;
		*j = json_loads(obol_stmt_column_text(st, 0), 0, &jerr);
	}
	obol_stmt_finish(st);
	return e;
}

obol_err ecash_vendor_rl_load(struct obol_vendor *v, struct ecash_vendor *ev, struct obol_store *s)
{
	json_t *j = NULL;
	bool changed = false, fresh = false;
	size_t n = 0;
	uint64_t seq = 0;
	obol_err e;
	if (fetch(v, &j) == OBOL_OK) {
		e = apply(ev, j, &changed, &n, &seq);
		if (e == OBOL_OK) {
			fresh = true;
			if (cache(s, j) != OBOL_OK)
				obol_log_warn("ecash: cannot cache the revocation list");
		} else {
			obol_log_warn("ecash: the bank's revocation list is ignored: %s", obol_strerror(e));
		}
		json_decref(j);
		j = NULL;
	}
	if (!fresh) {
		if ((e = cached(s, &j)) != OBOL_OK)
			return e;
		if (j != NULL && (e = apply(ev, j, &changed, &n, &seq)) != OBOL_OK)
			obol_log_warn("ecash: the cached revocation list is ignored: %s", obol_strerror(e));
		json_decref(j);
	}
	obol_log_info("ecash: revocation list of %zu keys, version %llu (%s)", n, (unsigned long long)seq,
		      fresh ? "fresh" : "cached");
	return OBOL_OK;
}

/* One refresh; returns whether the issuer answered. */
static bool refresh_once(struct ecash_vendor *ev)
{
	struct ecash_rl_refresher *r = &ev->rl;
	json_t *j = NULL;
	bool changed = false;
	size_t n = 0;
	uint64_t seq = 0;
	obol_err e = fetch(r->v, &j);
	if (e != OBOL_OK) {
		obol_log_debug("ecash: revocation list not refreshed: %s", obol_strerror(e));
		return false;
	}
	e = apply(ev, j, &changed, &n, &seq);
	if (e != OBOL_OK) {
		obol_log_warn("ecash: the bank's revocation list is ignored: %s", obol_strerror(e));
	} else if (changed) {
		struct obol_store *s = NULL;
		obol_log_info("ecash: revocation list refreshed: %zu keys, version %llu", n, (unsigned long long)seq);
		if (obol_store_open(r->db_url, false, &s) != OBOL_OK || cache(s, j) != OBOL_OK)
			obol_log_warn("ecash: cannot cache the revocation list");
		obol_store_close(s);
	}
	json_decref(j);
	return true;
}

/* The wait before the next refresh. */
static int64_t next_wait(const struct ecash_rl_refresher *r)
{
	return r->offline && r->interval > ECASH_RL_RETRY ? ECASH_RL_RETRY : r->interval;
}

static void *refresher(void *arg)
{
	struct ecash_vendor *ev = arg;
	struct ecash_rl_refresher *r = &ev->rl;
	pthread_mutex_lock(&r->mu);
	while (!r->stopping) {
		int64_t wait = next_wait(r);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait;
		int rc = 0;
		while (!r->stopping && !r->kicked && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&r->cond, &r->mu, &until);
		if (r->stopping)
			break;
		r->kicked = false;
		pthread_mutex_unlock(&r->mu);
		bool answered = refresh_once(ev);
		pthread_mutex_lock(&r->mu);
		r->offline = !answered;
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

obol_err ecash_vendor_rl_start(struct obol_vendor *v, struct ecash_vendor *ev)
{
	struct ecash_rl_refresher *r = &ev->rl;
	char path[PATH_MAX];
	uint64_t secs = ECASH_RL_REFRESH_DEFAULT;
	const char *env = getenv(ECASH_RL_REFRESH_ENV);
	if (env != NULL && obol_parse_u64(env, 1, 86400, &secs) != OBOL_OK) {
		obol_log_error("ecash: %s is a number of seconds, 1..86400", ECASH_RL_REFRESH_ENV);
		return OBOL_E_INVALID_ARGUMENT;
	}
	obol_err e = obol_vendor_file_path(obol_vendor_dir(v), "vendor.db", path);
	if (e != OBOL_OK)
		return e;
	snprintf(r->db_url, sizeof(r->db_url), "sqlite:%s", path);
	r->v = v;
	r->interval = (int64_t)secs;
	r->stopping = r->kicked = r->offline = false;
	if (obol_vendor_in_process(v)) {
		r->in_process = true;
		r->next = obol_now() + r->interval;
		return OBOL_OK;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	if (pthread_create(&r->thread, NULL, refresher, ev) != 0) {
		pthread_cond_destroy(&r->cond);
		pthread_mutex_destroy(&r->mu);
		return OBOL_E_INTERNAL;
	}
	r->running = true;
	obol_log_info("ecash: revocation list refreshed every %llu s", (unsigned long long)secs);
	return OBOL_OK;
}

void ecash_vendor_rl_tick(struct ecash_vendor *ev)
{
	struct ecash_rl_refresher *r = &ev->rl;
	if (!r->in_process || (obol_now() < r->next && !(r->kicked && r->offline)))
		return;
	r->kicked = false;
	r->offline = !refresh_once(ev);
	r->next = obol_now() + next_wait(r);
}

void ecash_vendor_rl_kick(struct ecash_vendor *ev)
{
	struct ecash_rl_refresher *r = &ev->rl;
	if (r->in_process) {
		r->kicked = true;
		return;
	}
	if (!r->running)
		return;
	pthread_mutex_lock(&r->mu);
	if (r->offline) {
		r->kicked = true;
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->mu);
}

void ecash_vendor_rl_stop(struct ecash_vendor *ev)
{
	struct ecash_rl_refresher *r = &ev->rl;
	if (!r->running)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->mu);
	r->running = false;
}
