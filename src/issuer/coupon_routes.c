/* The coupon scheme's issuer endpoints (DESIGN §5; seed 000/001 §4):
 *   POST /coupon/withdraw  account-authenticated, idempotent by request_id:
 *                          debits M, answers the blind signature (§4.1)
 *   POST /coupon/lock      signed by the vendor: step 4
 *   POST /coupon/settle    signed by the vendor: step 6 (and checkpoints)
 *   POST /coupon/status    signed by the vendor holding the lock
 * Each handler: decode → the core's stateless checks on this thread (RSA,
 * box, signatures) → one group-committed unit with the stateful checks and
 * the writes (compare-and-set, retried on conflict) → the signed answer,
 * sent only after the commit. */
#include <inttypes.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/coupon_issuer.h"
#include "store/ledger.h"
#include "wire/json.h"

static struct coupon_issuer_state *state_of(struct obol_issuer *iss)
{
	return obol_issuer_scheme_state(iss, "coupon");
}

/* "coin-id-in-hex:index", the reference of a ledger entry. */
static void coin_ref(char out[80], const char *what, const uint8_t id[32], uint64_t index)
{
	char hex[65];
	obol_hex_encode(id, 32, hex);
	snprintf(out, 80, "%s:%.32s:%" PRIu64, what, hex, index);
}

/* ---- withdraw ---- */

struct withdraw_ctx {
	int64_t account, liability;
	const struct coupon_denom *denom;
	struct coupon_withdraw_req req;
	struct coupon_withdraw_reply reply;
};

static obol_err withdraw_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct withdraw_ctx *c = arg;
	struct coupon_spec spec;
	char ref[COUPON_REQUEST_ID_MAX + 32];
	obol_err e;
	snprintf(ref, sizeof(ref), "%" PRId64 ":%s", c->account, c->req.request_id);
	if ((e = obol_ledger_transfer(s, c->account, c->liability, &c->denom->value, "coupon-withdraw", ref, NULL)) !=
		    OBOL_OK ||
	    (e = coupon_store_withdrawal_add(s, ref, c->account, c->denom->id, &c->denom->value)) != OBOL_OK)
		return e;
	coupon_spec_withdraw_reply(&spec, &c->reply);
	return obol_json_encode(&spec.fields, reply);
}

static obol_err post_withdraw(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct coupon_issuer_state *st = state_of(iss);
	struct withdraw_ctx c;
	struct coupon_spec spec;
	struct obol_account acc;
	obol_err e;
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	if ((e = obol_issuer_authenticate(iss, NULL, req, &acc)) != OBOL_OK)
		return e;
	memset(&c, 0, sizeof(c));
	c.account = acc.id;
	c.liability = st->liability;
	coupon_spec_withdraw_req(&spec, &c.req);
	if ((e = obol_json_decode(req->json, &spec.fields)) != OBOL_OK)
		return e;
	/* Check the window, then sign on this thread (RSA is the cost of a
	 * withdrawal; the committer only debits). The signature leaves only
	 * with the debit's commit. */
	if ((e = coupon_issuer_withdraw(&st->is, &c.req, obol_now(), &c.reply, &c.denom)) != OBOL_OK)
		return e;
	return obol_issuer_run_idem(iss, req, acc.id, c.req.request_id, withdraw_unit, &c, rep);
}
OBOL_ROUTE_BOUNDED(route_coupon_withdraw, "POST", "/coupon/withdraw", post_withdraw, OBOL_WORK_RSA)

/* ---- lock ---- */

struct lock_ctx {
	struct coupon_issuer_state *st;
	const struct coupon_lock_req *req;
	const struct coupon_lock_checked *chk;
	int64_t now;
	struct coupon_lock_effect eff;
};

static obol_err lock_unit(struct obol_store *s, void *arg)
{
	struct lock_ctx *c = arg;
	struct coupon_coin_state cur;
	bool found;
	obol_err e;
	if ((e = coupon_store_coin_get(s, c->req->coin.id, &cur, &found)) != OBOL_OK)
		return e;
	e = coupon_issuer_lock_apply(&c->st->is, c->req, c->chk, found ? &cur : NULL, c->now, &c->eff);
	if (e != OBOL_OK || c->eff.repeat)
		return e;
	if (c->eff.expired_credit_tokens > 0) {
		/* the replaced lock's holder is owed the tokens F knows of */
		const struct coupon_denom *d = coupon_issuer_denom(&c->st->is, cur.denom);
		struct obol_amount credit;
		char ref[80];
		coin_ref(ref, "lock-expired", cur.coin_id, cur.last_index);
		if (!d)
			return OBOL_E_COUPON_DENOM_UNKNOWN;
		if ((e = obol_amount_mul(&credit, &d->token_value, c->eff.expired_credit_tokens)) != OBOL_OK ||
		    (e = obol_ledger_transfer(s, c->st->liability, c->eff.expired_vendor_account, &credit, "coupon-settle", ref,
					      NULL)) != OBOL_OK)
			return e;
	}
	return coupon_store_coin_put(s, &c->eff.next, !found);
}

static obol_err post_lock(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct coupon_issuer_state *st = state_of(iss);
	static __thread struct coupon_lock_req lreq;
	struct coupon_lock_checked chk;
	struct coupon_spec spec;
	struct lock_ctx c;
	obol_err e;
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	memset(&lreq, 0, sizeof(lreq));
	coupon_spec_lock_req(&spec, &lreq);
	if ((e = obol_json_decode(req->json, &spec.fields)) != OBOL_OK)
		return e;
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.req = &lreq;
	c.chk = &chk;
	c.now = obol_now();
	if ((e = coupon_issuer_lock_verify(&st->is, &lreq, c.now, &chk)) != OBOL_OK)
		goto out;
	e = obol_issuer_run(iss, lock_unit, &c);
	if (e == OBOL_E_COUPON_INDEX_MISMATCH)
		obol_http_reply_detail(rep, "last_index=%" PRIu64, c.eff.last_index);
	if (e != OBOL_OK)
		goto out;
	coupon_issuer_sign_lock_reply(&st->is, &c.eff.reply, chk.cert.hash);
	coupon_spec_lock_reply(&spec, &c.eff.reply);
	e = obol_json_encode(&spec.fields, &rep->body);
out:
	OBOL_WIPE(chk.auth);
	OBOL_WIPE(c.eff.reply.token);
	return e;
}
OBOL_ROUTE(route_coupon_lock, "POST", "/coupon/lock", post_lock)

/* ---- settle ---- */

struct settle_ctx {
	struct coupon_issuer_state *st;
	const struct coupon_settle_req *req;
	const struct coupon_cert *cert;
	struct coupon_chain_checked pre;
	bool has_pre;
	struct coupon_settle_effect eff;
};

/* Before the unit: read the coin and check the chain link on this thread (up
 * to n hashes), so that the committer only compares the last token. A link
 * that does not chain is final (a repeat of an answered settle always chains
 * or lies above the last index); the unit decides everything else. */
static obol_err settle_precheck(struct obol_store *s, void *arg)
{
	struct settle_ctx *c = arg;
	struct coupon_coin_state cur;
	bool found;
	obol_err e = coupon_store_coin_get(s, c->req->coin_id, &cur, &found);
	c->has_pre = false;
	if (e != OBOL_OK || !found || !cur.locked || c->req->index > cur.last_index ||
	    !obol_ct_equal(cur.lock_cert_hash, c->cert->hash, COUPON_ID_LEN))
		return e;
	if ((e = coupon_issuer_settle_chain(&c->st->is, c->req, &cur, &c->pre)) == OBOL_OK)
		c->has_pre = true;
	return e;
}

static obol_err settle_reread(struct obol_issuer *iss, void *arg)
{
	return obol_issuer_read(iss, settle_precheck, arg);
}

static obol_err settle_unit(struct obol_store *s, void *arg)
{
	struct settle_ctx *c = arg;
	struct coupon_coin_state cur;
	struct coupon_settle_record prior;
	bool found, have_prior = false;
	obol_err e;
	if ((e = coupon_store_coin_get(s, c->req->coin_id, &cur, &found)) != OBOL_OK)
		return e;
	if (found && (e = coupon_store_settle_get(s, c->req->coin_id, c->req->index, c->cert->hash, c->req->keep,
						  &prior, &have_prior)) != OBOL_OK)
		return e;
	/* without a link checked ahead, the core refuses before any hashing
	 * (unknown coin, not the holder, index above the last) or the coin
	 * changed since the read: STORE_CONFLICT, read and check again */
	if (!c->has_pre && found && cur.locked && c->req->index <= cur.last_index &&
	    obol_ct_equal(cur.lock_cert_hash, c->cert->hash, COUPON_ID_LEN) && !have_prior)
		return OBOL_E_STORE_CONFLICT;
	e = coupon_issuer_settle_apply(&c->st->is, c->req, c->cert, found ? &cur : NULL, have_prior ? &prior : NULL,
				       c->has_pre ? &c->pre : NULL, &c->eff);
	if (e != OBOL_OK || c->eff.repeat)
		return e;
	if ((e = coupon_store_coin_put(s, &c->eff.next, false)) != OBOL_OK ||
	    (e = coupon_store_settle_add(s, c->req->coin_id, c->req->index, c->cert->hash, c->req->keep,
					 &c->eff.record)) != OBOL_OK)
		return e;
	if (c->eff.credit_tokens > 0) {
		char ref[80];
		coin_ref(ref, c->req->keep ? "checkpoint" : "settle", c->req->coin_id, c->req->index);
		if ((e = obol_ledger_transfer(s, c->st->liability, c->eff.vendor_account, &c->eff.credit, "coupon-settle", ref,
					      NULL)) != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

static obol_err post_settle(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct coupon_issuer_state *st = state_of(iss);
	static __thread struct coupon_settle_req sreq;
	struct coupon_cert cert;
	struct coupon_spec spec;
	struct settle_ctx c;
	obol_err e;
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	memset(&sreq, 0, sizeof(sreq));
	coupon_spec_settle_req(&spec, &sreq);
	if ((e = obol_json_decode(req->json, &spec.fields)) != OBOL_OK)
		return e;
	if ((e = coupon_issuer_settle_verify(&st->is, &sreq, &cert)) != OBOL_OK)
		return e;
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.req = &sreq;
	c.cert = &cert;
	if ((e = obol_issuer_run_checked(iss, settle_reread, settle_unit, &c)) != OBOL_OK)
		return e;
	coupon_issuer_sign_settle_reply(&st->is, &c.eff.reply, cert.hash);
	coupon_spec_settle_reply(&spec, &c.eff.reply);
	return obol_json_encode(&spec.fields, &rep->body);
}
OBOL_ROUTE(route_coupon_settle, "POST", "/coupon/settle", post_settle)

/* ---- status ---- */

struct status_ctx {
	const uint8_t *coin_id;
	struct coupon_coin_state cur;
	bool found;
};

static obol_err status_read(struct obol_store *s, void *arg)
{
	struct status_ctx *c = arg;
	return coupon_store_coin_get(s, c->coin_id, &c->cur, &c->found);
}

static obol_err post_status(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct coupon_issuer_state *st = state_of(iss);
	static __thread struct coupon_status_req q;
	struct coupon_status_reply r;
	struct coupon_spec spec;
	struct status_ctx c = { 0 };
	obol_err e;
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	memset(&q, 0, sizeof(q));
	coupon_spec_status_req(&spec, &q);
	if ((e = obol_json_decode(req->json, &spec.fields)) != OBOL_OK)
		return e;
	c.coin_id = q.coin_id;
	if ((e = obol_issuer_read(iss, status_read, &c)) != OBOL_OK)
		return e;
	if ((e = coupon_issuer_status(&st->is, &q, c.found ? &c.cur : NULL, obol_now(), &r)) != OBOL_OK)
		return e;
	coupon_spec_status_reply(&spec, &r);
	return obol_json_encode(&spec.fields, &rep->body);
}
OBOL_ROUTE(route_coupon_status, "POST", "/coupon/status", post_status)
