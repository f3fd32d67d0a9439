/* payword in the vendor daemon: start (setup, tables, registration at the
 * agent, the CRL kept fresh by a thread, seed §3.2), device-link sessions
 * (seed §3.5 purchase steps 1-8), and the outcome of each report. See
 * payword_vendor.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/timed_wait.h"
#include "net/devlink.h"
#include "net/http_client.h"
#include "schemes/payword/wire.h"
#include "vendor/outbox.h"
#include "vendor/payword_vendor.h"
#include "vendor/receipt.h"
#include "wire/cbor.h"
#include "wire/json.h"

obol_err payword_vendor_crl_fetch(struct obol_http_client *c, const uint8_t agent_pk[static OBOL_SIGN_PK_LEN],
				  struct payword_crl_fetch *f, struct payword_crl_loop *loop)
{
	struct payword_crl_page page = { 0 };
	struct payword_crl_page_spec spec;
	char target[96];
	obol_err e = OBOL_OK;
	loop->pages = loop->bytes = 0;
	if (loop->max_pages == 0)
		return OBOL_E_INVALID_ARGUMENT;
	if ((page.serials = malloc(PAYWORD_CRL_PAGE_MAX * sizeof(*page.serials))) == NULL)
		return OBOL_E_NO_MEMORY;
	while (e == OBOL_OK && !f->done && loop->pages < loop->max_pages) {
		json_t *j = NULL;
		snprintf(target, sizeof(target), "/payword/crl/page?since=%lld&after=%llu", (long long)f->since,
			 (unsigned long long)f->after);
		e = obol_http_get_json(c, target, 0, &j);
		if (e == OBOL_OK && loop->count_bytes) {
			char *text = json_dumps(j, JSON_COMPACT);
			loop->bytes += text != NULL ? strlen(text) : 0;
			free(text);
		}
		if (e == OBOL_OK) {
			payword_crl_page_spec_init(&spec, &page);
			e = obol_json_decode(j, &spec.spec);
		}
		if (e == OBOL_OK && (e = payword_crl_fetch_take(f, &page, agent_pk)) == OBOL_OK)
			loop->pages++;
		json_decref(j);
	}
	free(page.serials);
	return e;
}

obol_err payword_vendor_crl_refresh(struct payword_crl_refresh *r, const struct payword_crl_refresh_req *q)
{
	struct payword_crl_loop loop = { .max_pages = q->max_pages };
	obol_err e;
	if (r->resuming && (q->now < r->begun || q->now - r->begun > q->max_age)) {
		obol_log(OBOL_LOG_ERROR, "payword: CRL fetch begun %llds ago still not done (%zu serials): begun again",
			 (long long)(q->now - r->begun), r->pending.count);
		payword_crl_refresh_free(r);
	}
	if (!r->resuming) {
		pthread_mutex_lock(q->mu);
		payword_crl_fetch_begin(&r->pending, q->held, *q->has, *q->full_at, q->now);
		pthread_mutex_unlock(q->mu);
		r->begun = q->now;
		r->resuming = true;
	}
	e = payword_vendor_crl_fetch(q->c, q->agent_pk, &r->pending, &loop);
	if (e == OBOL_OK && !r->pending.done) {
		obol_log(OBOL_LOG_INFO, "payword: CRL fetch continues at the next refresh (%zu serials so far)",
			 r->pending.count);
		return OBOL_OK;
	}
	if (e == OBOL_OK) {
		pthread_mutex_lock(q->mu);
		e = payword_crl_fetch_apply(&r->pending, q->held, q->full_at);
		if (e == OBOL_OK)
			*q->has = true;
		pthread_mutex_unlock(q->mu);
	}
	payword_crl_refresh_free(r);
	return e;
}

void payword_crl_refresh_free(struct payword_crl_refresh *r)
{
	payword_crl_fetch_free(&r->pending);
	r->resuming = false;
}

/* The daemon's refresh: payword_vendor_crl_refresh on a connection of its
 * own to the issuer, PAYWORD_CRL_PAGES_PER_REFRESH pages at most. */
static obol_err crl_refresh(struct payword_vendor_state *st)
{
	struct obol_http_client *c = NULL;
	obol_err e = obol_http_client_new(obol_vendor_issuer_url(st->v), 3000, &c);
	if (e == OBOL_OK) {
		struct payword_crl_refresh_req q = { .c = c, .agent_pk = st->cfg.agent_pk, .max_age = st->cfg.crl_max_age,
						     .max_pages = PAYWORD_CRL_PAGES_PER_REFRESH, .now = obol_now(),
						     .mu = &st->mu, .held = &st->crl, .has = &st->has_crl,
						     .full_at = &st->crl_full_at };
		e = payword_vendor_crl_refresh(&st->crl_refresh, &q);
	}
	obol_http_client_free(c);
	return e;
}

static void *crl_loop(void *arg)
{
	struct payword_vendor_state *st = arg;
	pthread_mutex_lock(&st->stop_mu);
	while (!st->stopping) {
		struct timespec ts;
		obol_cond_deadline_ms(&ts, (uint64_t)st->crl_interval * 1000u);
		pthread_cond_timedwait(&st->stop_cv, &st->stop_mu, &ts);
		if (st->stopping)
			break;
		pthread_mutex_unlock(&st->stop_mu);
		obol_err e = crl_refresh(st);
		if (e)
			obol_log(OBOL_LOG_ERROR, "payword: CRL refresh failed: %s (no sales once the list held is older than %llds)",
				 obol_strerror(e), (long long)st->cfg.crl_max_age);
		pthread_mutex_lock(&st->stop_mu);
	}
	pthread_mutex_unlock(&st->stop_mu);
	return NULL;
}

static obol_err register_row(struct obol_store *s, const struct payword_vendor_state *st)
{
	struct payword_vendor_register_wire w;
	struct payword_vendor_register_spec spec;
	json_t *body = NULL;
	memset(&w, 0, sizeof(w));
	snprintf(w.mode, sizeof(w.mode), "%s", payword_vendor_mode_name(st->cfg.mode));
	w.batch_interval = st->report == PAYWORD_REPORT_BATCH ? (uint64_t)st->batch_interval : 0;
	payword_vendor_register_spec_init(&spec, &w);
	obol_err e = obol_json_encode(&spec.spec, &body);
	if (e == OBOL_OK)
		e = obol_store_begin(s);
	if (e == OBOL_OK) {
		e = obol_outbox_enqueue(s, "payword", "register", "/payword/vendor/register", body, 0, NULL);
		if (e == OBOL_OK)
			e = obol_store_commit(s);
		else
			obol_store_rollback(s);
	}
	json_decref(body);
	return e;
}

static void pw_stop(struct obol_vendor *v, void *state)
{
	struct payword_vendor_state *st = state;
	(void)v;
	if (st == NULL)
		return;
	if (st->crl_thread_running) {
		pthread_mutex_lock(&st->stop_mu);
		st->stopping = true;
		pthread_cond_signal(&st->stop_cv);
		pthread_mutex_unlock(&st->stop_mu);
		pthread_join(st->crl_thread, NULL);
	}
	free(st->crl.serials);
	payword_crl_refresh_free(&st->crl_refresh);
	pthread_mutex_destroy(&st->mu);
	pthread_mutex_destroy(&st->stop_mu);
	pthread_cond_destroy(&st->stop_cv);
	free(st);
}

static obol_err pw_start(struct obol_vendor *v, struct obol_store *s, void **state)
{
	struct payword_vendor_state *st = calloc(1, sizeof(*st));
	obol_err e;
	if (st == NULL)
		return OBOL_E_NO_MEMORY;
	pthread_mutex_init(&st->mu, NULL);
	pthread_mutex_init(&st->stop_mu, NULL);
	obol_cond_init_monotonic(&st->stop_cv);
	st->v = v;
	snprintf(st->dir, sizeof(st->dir), "%s", obol_vendor_dir(v));
	e = payword_vendor_config_load(obol_vendor_dir(v), st);
	if (e == OBOL_E_NOT_FOUND) {
		pw_stop(v, st); /* payword is not set up here: sessions refuse it */
		*state = NULL;
		return OBOL_OK;
	}
	st->cfg.vendor_id = obol_vendor_cert(v).vendor_id;
	memcpy(st->cfg.agent_pk, obol_vendor_issuer_pk(v), OBOL_SIGN_PK_LEN);
	if (e == OBOL_OK)
		e = payword_vendor_migrate(s);
	if (e == OBOL_OK)
		e = register_row(s, st);
	if (e) {
		pw_stop(v, st);
		return e;
	}
	st->crl_tried = obol_now();
	if ((e = crl_refresh(st)) != OBOL_OK)
		obol_log(OBOL_LOG_ERROR, "payword: CRL fetch failed: %s; no sales until one arrives (retrying every %llds)",
			 obol_strerror(e), (long long)st->crl_interval);
	/* In process (the simulator) the refresh is the tick's work, on the
	 * caller's thread. */
	if (!obol_vendor_in_process(v) && pthread_create(&st->crl_thread, NULL, crl_loop, st) != 0) {
		pw_stop(v, st);
		return OBOL_E_INTERNAL;
	}
	st->crl_thread_running = !obol_vendor_in_process(v);
	obol_log(OBOL_LOG_INFO, "payword: vendor %llu, %s system, %s reports, %zu products, CRL at most %llds old",
		 (unsigned long long)st->cfg.vendor_id, payword_vendor_mode_name(st->cfg.mode),
		 st->report == PAYWORD_REPORT_BATCH ? "batch" : "almost-online", st->nproducts,
		 (long long)st->cfg.crl_max_age);
	*state = st;
	return OBOL_OK;
}

/* In process: what the CRL thread does, when its interval has passed. */
static void pw_tick(struct obol_vendor *v, void *state)
{
	struct payword_vendor_state *st = state;
	int64_t now = obol_now();
	(void)v;
	if (st == NULL || (now >= st->crl_tried && now - st->crl_tried < st->crl_interval))
		return;
	st->crl_tried = now;
	obol_err e = crl_refresh(st);
	if (e)
		obol_log(OBOL_LOG_ERROR, "payword: CRL refresh failed: %s (no sales once the list held is older than %llds)",
			 obol_strerror(e), (long long)st->cfg.crl_max_age);
}

static obol_err pw_open(struct obol_vendor *v, void **session)
{
	*session = obol_vendor_scheme_state(v, "payword");
	return *session != NULL ? OBOL_OK : OBOL_E_PAYWORD_VENDOR_MODE;
}

static obol_err on_hello(struct payword_vendor_state *st, const uint8_t *body, size_t len, struct obol_vendor_out *out)
{
	struct payword_hello_wire h;
	struct payword_hello_spec hs;
	struct payword_info_wire info;
	struct payword_info_spec is;
	memset(&h, 0, sizeof(h));
	memset(&info, 0, sizeof(info));
	payword_hello_spec_init(&hs, &h);
	obol_err e = obol_cbor_decode(body, len, &hs.spec);
	if (e)
		return e;
	info.vendor_id = st->cfg.vendor_id;
	snprintf(info.mode, sizeof(info.mode), "%s", payword_vendor_mode_name(st->cfg.mode));
	if (h.has_product) {
		const struct payword_product *p = payword_vendor_product(st, h.product);
		if (p == NULL)
			return OBOL_E_NOT_FOUND;
		/* No sale without a fresh CRL: said before the wallet signs anything. */
		pthread_mutex_lock(&st->mu);
		e = payword_vendor_crl_fresh(&st->cfg, st->has_crl ? &st->crl : NULL, obol_now());
		pthread_mutex_unlock(&st->mu);
		if (e)
			return e;
		info.price = p->price;
		info.has_price = true;
	}
	payword_info_spec_init(&is, &info);
	return obol_vendor_out_add(out, PAYWORD_MSG_INFO, &is.spec);
}

static obol_err on_pay(struct obol_vendor *v, struct payword_vendor_state *st, const uint8_t *body, size_t len,
		       struct obol_vendor_out *out)
{
	struct payword_pay_wire *w = calloc(1, sizeof(*w));
	struct payword_pay_spec ps;
	struct payword_pay req;
	struct payword_reply_wire rep = { .auth = PAYWORD_AUTH_NONE };
	struct payword_reply_spec rs;
	int64_t auth = 0;
	obol_err e = w != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		payword_pay_spec_init(&ps, w);
		e = obol_cbor_decode(body, len, &ps.spec);
	}
	if (e) {
		free(w); /* not a purchase at all: an ERROR frame */
		return e;
	}
	e = payword_pay_from_wire(w, st->cfg.vendor_id, &req);
	if (e == OBOL_OK)
		e = payword_vendor_buy(v, st, &req, &auth);
	if (e == OBOL_OK) {
		rep.auth = auth;
		obol_log(OBOL_LOG_INFO, "payword: sold %s to %s (certificate %llu, order %llu)", req.product,
			 req.username, (unsigned long long)req.serial, (unsigned long long)req.order);
	} else {
		rep.code = (uint64_t)e; /* the seed's -1, with the reason */
		rep.has_code = true;
		obol_log(OBOL_LOG_INFO, "payword: refused a purchase: %s", obol_strerror(e));
	}
	free(w);
	payword_reply_spec_init(&rs, &rep);
	if ((e = obol_vendor_out_add(out, PAYWORD_MSG_PAY_REPLY, &rs.spec)) != OBOL_OK || rep.auth <= 0)
		return e;
	uint8_t id[OBOL_RECEIPT_ID_LEN];
	obol_receipt_payment_id(body, len, id);
	return obol_vendor_receipt_add(v, out, &(struct obol_vendor_receipt_req){ .scheme = "payword",
										  .amount = &req.value, .units = 1,
										  .pay_id = id });
}

static obol_err pw_on_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body, size_t len,
			    struct obol_vendor_out *out)
{
	struct payword_vendor_state *st = session;
	switch (type) {
	case PAYWORD_MSG_HELLO:
		return on_hello(st, body, len, out);
	case PAYWORD_MSG_PAY:
		return on_pay(v, st, body, len, out);
	default:
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	}
}

static void pw_close(struct obol_vendor *v, void *session)
{
	(void)v;
	(void)session; /* the session is the scheme state: nothing per link */
}

/* The agent's answer to a report: kept with the sale. */
static obol_err pw_outbox_done(struct obol_vendor *v, struct obol_store *s, int64_t row_id, const char *kind,
			       obol_err result, const json_t *reply)
{
	(void)v;
	if (strcmp(kind, "register") == 0) {
		if (result != OBOL_OK)
			obol_log(OBOL_LOG_ERROR, "payword: the agent refused the registration: %s", obol_strerror(result));
		return OBOL_OK;
	}
	const char *err = result != OBOL_OK ? obol_strerror(result) : NULL;
	bool ok = result == OBOL_OK && json_is_true(json_object_get(reply, "accepted"));
	if (result == OBOL_OK && !ok)
		err = json_string_value(json_object_get(reply, "error"));
	if (!ok)
		obol_log(OBOL_LOG_WARN, "payword: the agent refused report %lld: %s", (long long)row_id,
			 err != NULL ? err : "?");
	return obol_store_run(s, NULL, "UPDATE payword_v_sales SET reported = ?, report_error = ? WHERE outbox_id = ?",
			      "iti", (int64_t)(ok ? 1 : 2), err, row_id);
}

OBOL_VENDOR_SCHEME(payword_vendor_scheme, .name = "payword", .type_min = OBOL_DL_PAYWORD_MIN,
		   .type_max = OBOL_DL_PAYWORD_MAX, .start = pw_start, .stop = pw_stop, .tick = pw_tick, .open = pw_open,
		   .on_frame = pw_on_frame, .close = pw_close, .outbox_done = pw_outbox_done)
