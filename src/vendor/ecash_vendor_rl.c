/* The vendor daemon's revocation list (seed 002 §3.3.2 step 4: the merchant
 * refuses revoked keys offline, so its copy of the bank's list must not go
 * stale): loaded at start (the cached copy, then a delta from it), then
 * refreshed by a background thread every interval, sooner while the issuer
 * is unreachable, and at once when the outbox finds the issuer reachable
 * again (in process, by the scheme's tick instead of a thread). Each
 * refresh fetches signed pages (rl_pages.h): a delta since the version
 * held, or the whole list once a day; a page is taken only when the bank's
 * signature verifies and it answers the question asked, and a fetch only
 * when its version does not go back. The list is then cached in the vendor
 * store (ecash_lists) for a start without network. See ecash_vendor_int.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/timed_wait.h"
#include "core/parse.h"
#include "net/http_client.h"
#include "schemes/ecash/messages.h"
#include "vendor/ecash_rl_fetch.h"
#include "vendor/ecash_vendor_int.h"
#include "vendor/vendor_files.h"
#include "wire/json.h"

/* Fetches what the held list lacks, in pages (a delta, or the whole list
 * when none is held or its last whole fetch is a day old: rl_pages.h), and
 * applies it to the merchant's list (ECASH_LIST_SIGNATURE, ECASH_LIST_PAGE,
 * ECASH_LIST_STALE, transport and wire errors: the held list stays).
 * *changed: keys came or left; *n, *version: the list now held. The pages
 * are fetched outside the lock: payments go on meanwhile. */
static obol_err fetch_apply(struct obol_vendor *v, struct ecash_vendor *ev, bool *changed, size_t *n,
			    int64_t *version)
{
	struct obol_http_client *c = NULL;
	struct ecash_rl_fetch f;
	struct ecash_revocations head = { 0 };
	/* the bank keys first: the pages may be signed by a successor */
	if (ecash_vendor_bank_keys_refresh(v, ev) != OBOL_OK)
		obol_log_info("ecash: the issuer's keys could not be read again; the known bank keys are kept");
	pthread_mutex_lock(&ev->mu);
	head.held = ev->m.rl.held;
	head.issued = ev->m.rl.issued;
	head.whole_at = ev->m.rl.whole_at;
	pthread_mutex_unlock(&ev->mu);
	ecash_rl_fetch_begin(&f, &head, obol_now());
	obol_err e = obol_http_client_new(obol_vendor_issuer_url(v), 3000, &c);
	if (e == OBOL_OK)
		e = ecash_rl_fetch_pages(c, &ev->bank_pk, &f, NULL);
	obol_http_client_free(c);
	if (e == OBOL_OK) {
		pthread_mutex_lock(&ev->mu);
		size_t before = ev->m.rl.n;
		bool whole = f.since == 0, had = ev->m.rl.held;
		e = ecash_rl_fetch_apply(&f, &ev->m.rl);
		*changed = e == OBOL_OK && (!had || whole || ev->m.rl.n != before);
		*n = ev->m.rl.n;
		*version = ev->m.rl.issued;
		pthread_mutex_unlock(&ev->mu);
	}
	ecash_rl_fetch_free(&f);
	return e;
}

/* Replaces the cached list by the merchant's, in one transaction. */
static obol_err cache(struct obol_store *s, struct ecash_vendor *ev)
{
	struct obol_stmt *st;
	struct ecash_revocations_spec sp;
	json_t *j = NULL;
	bool row;
	char *text = NULL;
	pthread_mutex_lock(&ev->mu);
	obol_err e = ecash_revocations_spec(&sp, &ev->m.rl, false);
	if (e == OBOL_OK)
		e = obol_json_encode(&sp.s, &j);
	pthread_mutex_unlock(&ev->mu);
	if (e == OBOL_OK && (text = obol_json_dump_canonical(j)) == NULL)
		e = OBOL_E_NO_MEMORY;
	json_decref(j);
	if (e == OBOL_OK)
		e = obol_store_begin(s);
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

/* Installs the list cached by an earlier run (none: nothing); the cache is
 * the vendor's own store, written from checked pages only. */
static obol_err cached(struct obol_store *s, struct ecash_vendor *ev, size_t *n, int64_t *version)
{
	struct obol_stmt *st;
	bool row;
	obol_err e = obol_stmt_prepare(s, "SELECT body FROM ecash_lists WHERE name = 'revocations'", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		json_error_t jerr;
		json_t *j = json_loads(obol_stmt_column_text(st, 0), 0, &jerr);
		struct ecash_revocations rl = { 0 };
		struct ecash_revocations_spec sp;
		obol_err le = j != NULL ? ecash_revocations_spec(&sp, &rl, true) : OBOL_E_WIRE_MALFORMED;
		if (le == OBOL_OK)
			le = ecash_revocations_done(&sp, obol_json_decode(j, &sp.s));
		if (le == OBOL_OK) {
			pthread_mutex_lock(&ev->mu);
			le = ecash_merchant_set_revocations(&ev->m, &rl);
			*n = ev->m.rl.n;
			*version = ev->m.rl.issued;
			pthread_mutex_unlock(&ev->mu);
		}
		if (le != OBOL_OK)
			obol_log_warn("ecash: the cached revocation list is ignored: %s", obol_strerror(le));
		ecash_revocations_clear(&rl);
		json_decref(j);
	}
	obol_stmt_finish(st);
	return e;
}

obol_err ecash_vendor_rl_load(struct obol_vendor *v, struct ecash_vendor *ev, struct obol_store *s)
{
	bool changed = false, fresh = false;
	size_t n = 0;
	int64_t version = 0;
	obol_err e;
	/* the cached list first: a delta from it is all the bank need send */
	if ((e = cached(s, ev, &n, &version)) != OBOL_OK)
		return e;
	if ((e = fetch_apply(v, ev, &changed, &n, &version)) == OBOL_OK) {
		fresh = true;
		if (changed && cache(s, ev) != OBOL_OK)
			obol_log_warn("ecash: cannot cache the revocation list");
	} else {
		obol_log_warn("ecash: the bank's revocation list is not refreshed: %s", obol_strerror(e));
	}
	obol_log_info("ecash: revocation list of %zu keys, version %lld (%s)", n, (long long)version,
		      fresh ? "fresh" : "cached");
	return OBOL_OK;
}

/* One refresh; returns whether the issuer answered. */
static bool refresh_once(struct ecash_vendor *ev)
{
	struct ecash_rl_refresher *r = &ev->rl;
	bool changed = false;
	size_t n = 0;
	int64_t version = 0;
	obol_err e = fetch_apply(r->v, ev, &changed, &n, &version);
	if (e != OBOL_OK && e != OBOL_E_ECASH_LIST_SIGNATURE && e != OBOL_E_ECASH_LIST_PAGE &&
	    e != OBOL_E_ECASH_LIST_STALE) { /* not an answer: the issuer is unreachable, or failed */
		obol_log_debug("ecash: revocation list not refreshed: %s", obol_strerror(e));
		return false;
	}
	if (e != OBOL_OK) {
		obol_log_warn("ecash: the bank's revocation list is ignored: %s", obol_strerror(e));
	} else if (changed) {
		struct obol_store *s = NULL;
		obol_log_info("ecash: revocation list refreshed: %zu keys, version %lld", n, (long long)version);
		if (obol_store_open(r->db_url, false, &s) != OBOL_OK || cache(s, ev) != OBOL_OK)
			obol_log_warn("ecash: cannot cache the revocation list");
		obol_store_close(s);
	}
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
		obol_cond_deadline_ms(&until, (uint64_t)wait * 1000u);
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
	obol_cond_init_monotonic(&r->cond);
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
