/* One wallet link speaking coupon at the vendor (DESIGN §5 steps 1, 3, 5, 6):
 * frames in, the core's state machine (src/schemes/coupon/vendor.h), frames
 * out. Its promises: a lock is asked of the issuer only after its intent is
 * durable; a token is durable (group-committed unit) before the unit it
 * pays is served; every coin locked in the session has its settle queued in
 * the outbox in one unit of work at session end, or when the link drops,
 * or at T - margin by the timer, and the daemon's start queues those a
 * crash left open. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "vendor/coupon_vendor.h"
#include "vendor/outbox.h"
#include "vendor/receipt.h"
#include "wire/cbor.h"
#include "wire/json.h"

#define LOCK_TRIES 3
#define SETTLE_WAIT_MS 5000

struct coupon_vsession {
	struct coupon_vendor_session s;
	struct obol_http_client *client;
	bool finished;
	int64_t rows[COUPON_SESSION_COINS_MAX];
	size_t nrows;
	uint8_t pay_id[OBOL_RECEIPT_ID_LEN]; /* the session's first PAY names the payment (vendor/receipt.h) */
	bool has_pay_id;
	/* the configuration at the session's start: its C is the one the offer
	 * names, the lock binds and the settles carry */
	struct coupon_vendor_cfg cfg;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
};

static struct coupon_vstate *state_of(struct obol_vendor *v)
{
	return obol_vendor_scheme_state(v, "coupon");
}

obol_err coupon_session_open(struct obol_vendor *v, void **session)
{
	struct coupon_vstate *st = state_of(v);
	struct coupon_vsession *vs = calloc(1, sizeof(struct coupon_vsession));
	if (vs == NULL)
		return OBOL_E_NO_MEMORY;
	if (st != NULL)
		coupon_vstate_cfg(st, &vs->cfg, vs->cert);
	*session = vs;
	return OBOL_OK;
}

/* ---- durable units ---- */

struct unit_ctx {
	struct coupon_vsession *vs;
	const struct coupon_vendor_cfg *cfg;
	size_t coin;
	int state;
	int64_t row;
	const struct coupon_vlock *intent;
	int64_t now;
	bool checkpoint;
};

static obol_err unit_intent(struct obol_store *s, void *arg)
{
	struct unit_ctx *u = arg;
	return coupon_vlock_add(s, u->intent);
}

/* The coin F locked replaces the intent. */
static obol_err unit_insert(struct obol_store *s, void *arg)
{
	struct unit_ctx *u = arg;
	obol_err e = coupon_vcoin_insert(s, &u->vs->s.coins[u->coin], u->vs->s.deadline, u->now);
	return e == OBOL_OK ? coupon_vlock_del(s, u->intent->lock) : e;
}

static obol_err unit_token(struct obol_store *s, void *arg)
{
	struct unit_ctx *u = arg;
	return coupon_vcoin_token(s, u->cfg, &u->vs->s.coins[u->coin], u->now, u->checkpoint);
}

static obol_err unit_queue(struct obol_store *s, void *arg)
{
	struct unit_ctx *u = arg;
	struct coupon_vsession *vs = u->vs;
	obol_err e = OBOL_OK;
	vs->nrows = 0;
	for (size_t i = 0; i < vs->s.ncoins && e == OBOL_OK; i++)
		e = coupon_vcoin_queue_settle(s, u->cfg, &vs->s.coins[i], &vs->rows[vs->nrows++]);
	return e;
}

static obol_err unit_state(struct obol_store *s, void *arg)
{
	struct unit_ctx *u = arg;
	return coupon_vcoin_state_by_row(s, u->row, &u->state);
}

/* ---- the issuer's lock ---- */

/* POSTs the lock; on a definitive refusal, *refusal is the frame to relay
 * (with the issuer's signed refusal when it gave one) and *refused is set. */
static obol_err issuer_lock(struct obol_vendor *v, struct coupon_vsession *vs, const struct coupon_lock_req *req,
			    struct coupon_lock_reply *reply, struct coupon_error *refusal, bool *refused)
{
	struct coupon_spec spec;
	json_t *body = NULL, *ans = NULL;
	char *text = NULL, *resp = NULL;
	size_t resp_len = 0;
	long status = 0;
	obol_err e;
	*refused = false;
	if (!vs->client && (e = obol_vendor_issuer_client(v, &vs->client)) != OBOL_OK)
		return e;
	coupon_spec_lock_req(&spec, (struct coupon_lock_req *)req);
	if ((e = obol_json_encode(&spec.fields, &body)) != OBOL_OK)
		goto out;
	if (!(text = json_dumps(body, JSON_COMPACT))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	/* a lost answer is retried: F answers a repeated lock the same */
	for (int i = 0; i < LOCK_TRIES; i++) {
		free(resp);
		resp = NULL;
		if ((e = obol_http_request(vs->client, "POST", "/coupon/lock", text, strlen(text), 0, &status, &resp,
					   &resp_len)) != OBOL_E_NETWORK)
			break;
	}
	if (e != OBOL_OK)
		goto out;
	if (status >= 200 && status < 300) {
		json_error_t jerr;
		if (!(ans = json_loadb(resp, resp_len, JSON_REJECT_DUPLICATES, &jerr))) {
			e = OBOL_E_WIRE_MALFORMED;
			goto out;
		}
		memset(reply, 0, sizeof(*reply));
		coupon_spec_lock_reply(&spec, reply);
		e = obol_json_decode(ans, &spec.fields);
		goto out;
	}
	e = obol_json_error_from_body(resp, resp_len);
	if (!obol_http_status_definitive(status) || e == OBOL_E_PEER_ERROR)
		goto out;
	/* a named refusal: relay it, with F's signature when F signed it (the
	 * wallet acts on nothing else) */
	json_error_t jerr;
	struct coupon_refusal r;
	memset(&r, 0, sizeof(r));
	ans = json_loadb(resp, resp_len, 0, &jerr);
	const char *detail = ans ? json_string_value(json_object_get(ans, "detail")) : NULL;
	if (coupon_refusal_from_detail(detail, &r) == OBOL_OK) {
		r.code = (uint64_t)e;
		coupon_error_from_refusal(refusal, &r);
	} else {
		coupon_error_set(refusal, e, NULL);
	}
	*refused = true;
out:
	free(resp);
	free(text);
	json_decref(body);
	json_decref(ans);
	return e;
}

/* ---- session steps ---- */

static obol_err finish(struct obol_vendor *v, struct coupon_vsession *vs, bool wait, bool *settled)
{
	struct unit_ctx u = { .vs = vs, .cfg = &vs->cfg };
	obol_err e = OBOL_OK;
	*settled = false;
	if (vs->finished)
		return OBOL_OK;
	vs->finished = true;
	if (vs->s.ncoins == 0) {
		*settled = true;
		return OBOL_OK;
	}
	if ((e = obol_vendor_run(v, unit_queue, &u)) != OBOL_OK)
		return e;
	obol_vendor_outbox_kick(v);
	if (!wait)
		return OBOL_OK;
	/* settle before the receipt when F answers quickly, so the wallet can
	 * spend the rest of its coin at the next vendor at once */
	uint64_t until = obol_mono_ns() + (uint64_t)SETTLE_WAIT_MS * 1000000u;
	size_t done = 0;
	while (done < vs->nrows && obol_mono_ns() < until) {
		u.row = vs->rows[done];
		if ((e = obol_vendor_run(v, unit_state, &u)) != OBOL_OK)
			return e;
		if (u.state == COUPON_VCOIN_SETTLED) {
			done++;
			continue;
		}
		if (u.state == COUPON_VCOIN_REFUSED)
			break;
		obol_sleep_ns(5 * 1000000u);
	}
	*settled = done == vs->nrows;
	return OBOL_OK;
}

static obol_err send_receipt(struct obol_vendor *v, struct coupon_vsession *vs, struct obol_vendor_out *out)
{
	struct coupon_receipt r;
	struct coupon_spec spec;
	bool settled;
	coupon_vendor_end(&vs->s, &r);
	obol_err e = finish(v, vs, true, &settled);
	if (e != OBOL_OK)
		return e;
	r.settled = settled;
	coupon_spec_receipt(&spec, &r);
	out->close = true;
	if ((e = obol_vendor_out_add(out, COUPON_MSG_RECEIPT, &spec.fields)) != OBOL_OK || !vs->has_pay_id)
		return e;
	return obol_vendor_receipt_add(v, out, &(struct obol_vendor_receipt_req){ .scheme = "coupon", .amount = &r.paid,
										  .units = r.units, .pay_id = vs->pay_id });
}

/* One SERVED frame for the units served since the last one: the service
 * itself, here a line of text. */
static obol_err flush_served(struct obol_vendor_out *out, struct coupon_served *served)
{
	struct coupon_spec spec;
	if (served->count == 0)
		return OBOL_OK;
	if (served->count == 1)
		served->data_len = (size_t)snprintf((char *)served->data, sizeof(served->data), "unit %" PRIu64,
						   served->unit);
	else
		served->data_len = (size_t)snprintf((char *)served->data, sizeof(served->data),
						   "units %" PRIu64 "-%" PRIu64, served->unit - served->count + 1,
						   served->unit);
	coupon_spec_served(&spec, served);
	obol_err e = obol_vendor_out_add(out, COUPON_MSG_SERVED, &spec.fields);
	served->count = 0;
	return e;
}

/* Runs the session forward: serves what is paid, asks for what is not. */
static obol_err drive(struct obol_vendor *v, struct coupon_vsession *vs, struct obol_vendor_out *out)
{
	struct coupon_spec spec;
	struct coupon_served served = { 0 };
	obol_err e;
	for (;;) {
		enum coupon_vendor_action act;
		struct coupon_token_req treq;
		struct coupon_served one;
		obol_err why = coupon_vendor_next(&vs->cfg, &vs->s, obol_now(), &act, &treq, &one);
		if (why != OBOL_OK && why != OBOL_E_COUPON_SESSION_DEADLINE)
			return why;
		if (act == COUPON_VA_SERVE) {
			served.unit = one.unit;
			served.count++;
			continue;
		}
		if ((e = flush_served(out, &served)) != OBOL_OK)
			return e;
		if (act == COUPON_VA_END) {
			if ((e = send_receipt(v, vs, out)) != OBOL_OK)
				return e;
			return why;
		}
		coupon_spec_token_req(&spec, &treq);
		return obol_vendor_out_add(out, COUPON_MSG_TOKEN_REQ, &spec.fields);
	}
}

static obol_err on_buy(struct obol_vendor *v, struct coupon_vsession *vs, const uint8_t *body, size_t len,
		       struct obol_vendor_out *out)
{
	struct coupon_buy buy;
	struct coupon_offer offer;
	struct coupon_spec spec;
	obol_err e;
	(void)v;
	coupon_spec_buy(&spec, &buy);
	if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
	    (e = coupon_vendor_start(&vs->cfg, &vs->s, &buy, obol_now(), &offer)) != OBOL_OK)
		return e;
	coupon_spec_offer(&spec, &offer);
	return obol_vendor_out_add(out, COUPON_MSG_OFFER, &spec.fields);
}

static obol_err on_pay(struct obol_vendor *v, struct coupon_vsession *vs, const uint8_t *body, size_t len,
		       struct obol_vendor_out *out)
{
	static __thread struct coupon_pay pay;
	static __thread struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_error refusal;
	struct coupon_spec spec;
	struct coupon_vlock intent;
	struct unit_ctx u = { .vs = vs, .cfg = &vs->cfg, .intent = &intent };
	bool refused;
	obol_err e;
	memset(&pay, 0, sizeof(pay));
	if (!vs->has_pay_id) {
		obol_receipt_payment_id(body, len, vs->pay_id);
		vs->has_pay_id = true;
	}
	coupon_spec_pay(&spec, &pay);
	if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK ||
	    (e = coupon_vendor_on_pay(&vs->cfg, &vs->s, &pay, obol_now(), &req)) != OBOL_OK)
		return e;
	/* the intent first: a lock F makes is found again even if this
	 * process dies before it records the coin */
	memset(&intent, 0, sizeof(intent));
	memcpy(intent.lock, vs->s.pending_lock, COUPON_ID_LEN);
	memcpy(intent.coin_id, pay.coin.id, COUPON_ID_LEN);
	intent.denom = (uint32_t)pay.coin.denom;
	intent.deadline = vs->s.deadline;
	intent.created = obol_now();
	if ((e = obol_vendor_run(v, unit_intent, &u)) != OBOL_OK) {
		coupon_vendor_on_lock_refused(&vs->s);
		return e;
	}
	e = issuer_lock(v, vs, &req, &reply, &refusal, &refused);
	if (e != OBOL_OK) {
		coupon_vendor_on_lock_refused(&vs->s);
		if (!refused)
			return e; /* in doubt: the timer asks F about the intent later */
		/* The intent stays, refused or not: a copy of the request still
		 * in the network (delayed, duplicated) may lock the coin later,
		 * once the coin moved to its token; the timer forgets the intent
		 * only once T has passed (coupon_timer.c). */
		coupon_spec_error(&spec, &refusal);
		return obol_vendor_out_add(out, COUPON_MSG_REFUSED, &spec.fields);
	}
	if ((e = coupon_vendor_on_lock_reply(&vs->cfg, &vs->s, &reply)) != OBOL_OK) {
		coupon_vendor_on_lock_refused(&vs->s);
		return e;
	}
	u.coin = vs->s.ncoins - 1;
	u.now = obol_now();
	vs->s.coins[u.coin].checkpoint_at = u.now;
	if ((e = obol_vendor_run(v, unit_insert, &u)) != OBOL_OK)
		return e;
	coupon_spec_lock_reply(&spec, &reply);
	if ((e = obol_vendor_out_add(out, COUPON_MSG_LOCKED, &spec.fields)) != OBOL_OK)
		return e;
	return drive(v, vs, out);
}

static obol_err on_token(struct obol_vendor *v, struct coupon_vsession *vs, const uint8_t *body, size_t len,
			 struct obol_vendor_out *out)
{
	struct coupon_token tok;
	struct coupon_spec spec;
	struct unit_ctx u = { .vs = vs, .cfg = &vs->cfg };
	obol_err e;
	coupon_spec_token(&spec, &tok);
	if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
		return e;
	u.now = obol_now();
	e = coupon_vendor_on_token(&vs->cfg, &vs->s, &tok, u.now, &u.coin);
	if (e == OBOL_OK) {
		/* durable before the unit it pays is served; a checkpoint with it
		 * when one is due */
		struct coupon_vendor_coin *c = &vs->s.coins[u.coin];
		u.checkpoint = coupon_vendor_checkpoint_due(&vs->cfg, c->checkpoint_index, c->checkpoint_at, c->last_index,
							    u.now);
		if ((e = obol_vendor_run(v, unit_token, &u)) == OBOL_OK && u.checkpoint) {
			c->checkpoint_index = c->last_index;
			c->checkpoint_at = u.now;
		}
	}
	if (e == OBOL_E_COUPON_SESSION_DEADLINE) {
		/* T - margin came: no more service; the coins are (being) settled */
		obol_err r = send_receipt(v, vs, out);
		return r != OBOL_OK ? r : e;
	}
	if (e != OBOL_OK)
		return e;
	return drive(v, vs, out);
}

static obol_err on_end(struct obol_vendor *v, struct coupon_vsession *vs, const uint8_t *body, size_t len,
		       struct obol_vendor_out *out)
{
	struct coupon_end end;
	struct coupon_spec spec;
	obol_err e;
	coupon_spec_end(&spec, &end);
	if ((e = obol_cbor_decode(body, len, &spec.fields)) != OBOL_OK)
		return e;
	if (vs->s.state == COUPON_VS_START || vs->s.state == COUPON_VS_ENDED)
		return OBOL_E_COUPON_SESSION_STATE;
	return send_receipt(v, vs, out);
}

obol_err coupon_session_frame(struct obol_vendor *v, void *session, uint32_t type, const uint8_t *body,
			      size_t body_len, struct obol_vendor_out *out)
{
	struct coupon_vsession *vs = session;
	if (!state_of(v))
		return OBOL_E_KEYS_UNKNOWN;
	switch (type) {
	case COUPON_MSG_BUY:
		return on_buy(v, vs, body, body_len, out);
	case COUPON_MSG_PAY:
		return on_pay(v, vs, body, body_len, out);
	case COUPON_MSG_TOKEN:
		return on_token(v, vs, body, body_len, out);
	case COUPON_MSG_END:
		return on_end(v, vs, body, body_len, out);
	default:
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	}
}

bool coupon_session_expired(struct obol_vendor *v, void *session)
{
	struct coupon_vsession *vs = session;
	struct coupon_vstate *st = state_of(v);
	if (!vs || !st || vs->s.state == COUPON_VS_START)
		return false;
	return vs->finished || coupon_vendor_settle_due(&vs->cfg, vs->s.deadline, obol_now());
}

void coupon_session_close(struct obol_vendor *v, void *session)
{
	struct coupon_vsession *vs = session;
	bool settled;
	if (!vs)
		return;
	/* the link dropped mid-session: settle what was received */
	if (!vs->finished && state_of(v)) {
		obol_err e = finish(v, vs, false, &settled);
		if (e != OBOL_OK)
			obol_log_error("coupon: could not queue a session's settlement (%s); it is queued at the next start",
				       obol_strerror(e));
	}
	obol_http_client_free(vs->client);
	free(vs);
}
