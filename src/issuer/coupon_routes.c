/* The coupon scheme's issuer endpoints (DESIGN §5; seed 000/001 §4):
 *   POST /coupon/withdraw     account-authenticated, idempotent by request_id:
 *                             debits M, answers the blind signature (§4.1)
 *   POST /coupon/lock         signed by the vendor: step 4
 *   POST /coupon/settle       signed by the vendor: step 6 (and checkpoints)
 *   POST /coupon/status       signed by the vendor holding the lock
 *   POST /coupon/coin-status  authenticated by the coin: the holder's status query
 *   POST /coupon/refund       account-authenticated, idempotent by request_id:
 *                             a coin's rest after spend-until
 * Each handler: decode → the core's stateless checks on this thread (RSA,
 * box, signatures) → one group-committed unit with the stateful checks and
 * the writes (compare-and-set, retried on conflict) → the signed answer,
 * sent only after the commit. Work that grows with the chain (a settle's
 * link, a holder proof) runs on this thread between a short read and the
 * unit, holding neither a read connection nor the committer. */
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

/* Credits tokens of a coin's denomination from the coupon liability. */
static obol_err credit_tokens(struct obol_store *s, struct coupon_issuer_state *st, uint32_t denom, uint64_t tokens,
			      int64_t account, const char *ref)
{
	const struct coupon_denom *d = coupon_issuer_denom(&st->is, denom);
	struct obol_amount credit;
	obol_err e;
	if (!d)
		return OBOL_E_COUPON_DENOM_UNKNOWN;
	if ((e = obol_amount_mul(&credit, &d->token_value, tokens)) != OBOL_OK)
		return e;
	return obol_ledger_transfer(s, st->liability, account, &credit, "coupon-settle", ref, NULL);
}

/* A coin's state read on a connection of the read pool, released at once:
 * the caller does the hashing afterwards. */
struct coin_read {
	const uint8_t *id;
	struct coupon_coin_state cur;
	bool found;
};

static obol_err coin_read_unit(struct obol_store *s, void *arg)
{
	struct coin_read *c = arg;
	return coupon_store_coin_get(s, c->id, &c->cur, &c->found);
}

static obol_err coin_read(struct obol_issuer *iss, const uint8_t id[static COUPON_ID_LEN], struct coin_read *out)
{
	memset(out, 0, sizeof(*out));
	out->id = id;
	return obol_issuer_read(iss, coin_read_unit, out);
}

/* An error reply for a refusal the core made for a proven holder: its
 * signature over the request's C (zeros for none) and sealed box goes in
 * the detail, where the vendor finds it to relay. */
static void refusal_reply(struct obol_issuer *iss, struct obol_http_reply *rep, struct coupon_refusal *r,
			  const uint8_t cert_hash[static COUPON_ID_LEN], const uint8_t box_hash[static COUPON_ID_LEN])
{
	char detail[OBOL_HTTP_DETAIL_MAX + 1];
	struct obol_ed25519_signer sg;
	if (obol_issuer_signer(iss, obol_now(), &sg) != OBOL_OK ||
	    coupon_issuer_sign_refusal(&sg, r, cert_hash, box_hash) != OBOL_OK)
		return; /* the refusal goes out unproven: the error alone */
	coupon_refusal_detail(r, detail, sizeof(detail));
	obol_http_reply_detail(rep, "%s", detail);
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

/* The unit for a withdrawal the checks refuse now: an answer stored for the
 * same request id wins (run_idem returns it); otherwise the refusal stands
 * and nothing is stored. */
static obol_err withdraw_refused(struct obol_store *s, void *arg, json_t **reply)
{
	(void)s;
	(void)reply;
	return *(const obol_err *)arg;
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
	 * with the debit's commit. A retry of an answered request gets that
	 * answer whatever changed since (the window passed, the denomination
	 * went): the wallet was debited for it. */
	if ((e = coupon_issuer_withdraw(&st->is, &c.req, obol_now(), &c.reply, &c.denom)) != OBOL_OK)
		return obol_issuer_run_idem(iss, req, acc.id, c.req.request_id, withdraw_refused, &e, rep);
	return obol_issuer_run_idem(iss, req, acc.id, c.req.request_id, withdraw_unit, &c, rep);
}
OBOL_ROUTE_BOUNDED(route_coupon_withdraw, "POST", "/coupon/withdraw", post_withdraw, OBOL_WORK_RSA)

/* ---- lock ---- */

struct lock_ctx {
	struct coupon_issuer_state *st;
	const struct coupon_lock_req *req;
	const struct coupon_lock_checked *chk;
	int64_t now;
	struct coupon_proof_checked pre;
	bool has_pre;
	struct coupon_lock_effect eff;
};

static obol_err lock_unit(struct obol_store *s, void *arg)
{
	struct lock_ctx *c = arg;
	struct coupon_coin_state cur;
	bool found;
	obol_err e;
	memset(&c->eff, 0, sizeof(c->eff));
	if ((e = coupon_store_coin_get(s, c->req->coin.id, &cur, &found)) != OBOL_OK)
		return e;
	e = coupon_issuer_lock_apply(&c->st->is, c->req, c->chk, found ? &cur : NULL, c->has_pre ? &c->pre : NULL,
				     c->now, &c->eff);
	if (e == OBOL_E_COUPON_STATE_MOVED)
		return OBOL_E_STORE_CONFLICT; /* the coin moved since lock_precheck: this unit alone tries again */
	if (e != OBOL_OK || c->eff.repeat)
		return e;
	if (c->eff.expired_credit_tokens > 0) {
		/* the replaced lock's holder is owed the tokens F knows of */
		char ref[80];
		coin_ref(ref, "lock-expired", cur.coin_id, cur.last_index);
		if ((e = credit_tokens(s, c->st, cur.denom, c->eff.expired_credit_tokens, c->eff.expired_vendor_account,
				       ref)) != OBOL_OK)
			return e;
	}
	return coupon_store_coin_put(s, &c->eff.next, !found);
}

/* Before each try of the unit: read the coin, and check here, off the
 * committer, the holder proof of a token that is not the coin's next one. */
static obol_err lock_precheck(struct obol_issuer *iss, void *arg)
{
	struct lock_ctx *c = arg;
	struct coin_read r;
	if (c->chk->lapsed != OBOL_OK)
		return OBOL_OK; /* only a repeat is answered: no token to judge */
	obol_err e = coin_read(iss, c->req->coin.id, &r);
	if (e != OBOL_OK)
		return e;
	coupon_issuer_lock_proof(&c->st->is, c->chk, r.found ? &r.cur : NULL, &c->pre);
	c->has_pre = true;
	return OBOL_OK;
}

static obol_err post_lock(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct coupon_issuer_state *st = state_of(iss);
	static __thread struct coupon_lock_req lreq;
	struct coupon_lock_checked chk;
	struct coupon_spec spec;
	struct obol_ed25519_signer sg;
	struct lock_ctx c;
	obol_err e;
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	memset(&lreq, 0, sizeof(lreq));
	memset(&c, 0, sizeof(c));
	coupon_spec_lock_req(&spec, &lreq);
	if ((e = obol_json_decode(req->json, &spec.fields)) != OBOL_OK)
		return e;
	c.st = st;
	c.req = &lreq;
	c.chk = &chk;
	c.now = obol_now();
	/* a refusal of time (chk.lapsed) still lets the unit answer a repeat of
	 * the lock F made: a retry gets the first answer */
	if ((e = coupon_issuer_lock_verify(&st->is, &lreq, c.now, &chk)) != OBOL_OK && e != chk.lapsed)
		goto out;
	e = obol_issuer_run_checked(iss, lock_precheck, lock_unit, &c);
	if (e != OBOL_OK && c.eff.has_refusal)
		refusal_reply(iss, rep, &c.eff.refusal, chk.cert.hash, chk.auth_hash);
	if (e != OBOL_OK)
		goto out;
	if ((e = obol_issuer_signer(iss, obol_now(), &sg)) != OBOL_OK ||
	    (e = coupon_issuer_sign_lock_reply(&sg, &c.eff.reply, chk.cert.hash)) != OBOL_OK)
		goto out;
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
	uint8_t lock[COUPON_ID_LEN]; /* the lock it names, zeros for none */
	struct coupon_chain_checked pre;
	bool has_pre;
	struct coupon_settle_effect eff;
};

/* Whether the unit will need the chain link of this settle checked: the
 * coin is locked for this C (and the lock it names), j is not above the
 * last index, and no answer is recorded. */
static bool settle_walks(const struct settle_ctx *c, const struct coupon_coin_state *cur)
{
	return c->req->index <= cur->last_index && coupon_lock_holder(cur, c->cert) &&
	       (!c->req->has_lock || obol_ct_equal(cur->lock_auth_hash, c->req->lock, COUPON_ID_LEN));
}

/* Before the unit: read the coin, then check the chain link on this thread
 * (at most COUPON_SETTLE_SPAN_MAX hashes, with no connection held), so
 * that the committer only compares the last token. A link that does not
 * chain is final (a repeat of an answered settle always chains or lies
 * above the last index); the unit decides everything else. */
static obol_err settle_precheck(struct obol_issuer *iss, void *arg)
{
	struct settle_ctx *c = arg;
	struct coin_read r;
	obol_err e = coin_read(iss, c->req->coin_id, &r);
	c->has_pre = false;
	if (e != OBOL_OK || !r.found || !settle_walks(c, &r.cur))
		return e;
	if ((e = coupon_issuer_settle_chain(&c->st->is, c->req, &r.cur, &c->pre)) == OBOL_OK)
		c->has_pre = true;
	return e;
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
	if (found && (e = coupon_store_settle_get(s, c->req->coin_id, c->lock, c->req->index, c->cert->hash,
						  c->req->keep, &prior, &have_prior)) != OBOL_OK)
		return e;
	/* without a link checked ahead, the core refuses before any hashing
	 * (unknown coin, not the holder, another lock, index above the last)
	 * or the coin changed since the read: STORE_CONFLICT, read and check
	 * again */
	if (!c->has_pre && found && settle_walks(c, &cur) && !have_prior)
		return OBOL_E_STORE_CONFLICT;
	e = coupon_issuer_settle_apply(&c->st->is, c->req, c->cert, found ? &cur : NULL, have_prior ? &prior : NULL,
				       c->has_pre ? &c->pre : NULL, &c->eff);
	if (e != OBOL_OK || c->eff.repeat)
		return e;
	if ((e = coupon_store_coin_put(s, &c->eff.next, false)) != OBOL_OK ||
	    (e = coupon_store_settle_add(s, c->req->coin_id, c->lock, c->req->index, c->cert->hash, c->req->keep,
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
	struct obol_ed25519_signer sg;
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
	if (sreq.has_lock)
		memcpy(c.lock, sreq.lock, COUPON_ID_LEN);
	if ((e = obol_issuer_run_checked(iss, settle_precheck, settle_unit, &c)) != OBOL_OK)
		return e;
	if ((e = obol_issuer_signer(iss, obol_now(), &sg)) != OBOL_OK ||
	    (e = coupon_issuer_sign_settle_reply(&sg, &c.eff.reply, cert.hash)) != OBOL_OK)
		return e;
	coupon_spec_settle_reply(&spec, &c.eff.reply);
	return obol_json_encode(&spec.fields, &rep->body);
}
OBOL_ROUTE(route_coupon_settle, "POST", "/coupon/settle", post_settle)

/* ---- status, for the vendor holding the lock ---- */

static obol_err post_status(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct coupon_issuer_state *st = state_of(iss);
	static __thread struct coupon_status_req q;
	struct coupon_status_reply r;
	struct coupon_spec spec;
	struct coin_read c;
	obol_err e;
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	memset(&q, 0, sizeof(q));
	coupon_spec_status_req(&spec, &q);
	if ((e = obol_json_decode(req->json, &spec.fields)) != OBOL_OK)
		return e;
	if ((e = coin_read(iss, q.coin_id, &c)) != OBOL_OK)
		return e;
	if ((e = coupon_issuer_status(&st->is, &q, c.found ? &c.cur : NULL, obol_now(), &r)) != OBOL_OK)
		return e;
	coupon_spec_status_reply(&spec, &r);
	return obol_json_encode(&spec.fields, &rep->body);
}
OBOL_ROUTE(route_coupon_status, "POST", "/coupon/status", post_status)

/* ---- status, for the holder ---- */

static obol_err post_coin_status(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct coupon_issuer_state *st = state_of(iss);
	struct coupon_coin_status_req q;
	struct coupon_coin_status_reply r;
	struct coupon_coin_status status;
	struct coupon_query body;
	struct coupon_spec spec;
	struct coin_read c;
	uint8_t query_hash[COUPON_ID_LEN];
	obol_err e;
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	memset(&body, 0, sizeof(body));
	coupon_spec_coin_status_req(&spec, &q);
	if ((e = obol_json_decode(req->json, &spec.fields)) != OBOL_OK ||
	    (e = coupon_issuer_query_open(&st->is, &q, &body, query_hash)) != OBOL_OK)
		goto out;
	/* a read, then the holder proof on this thread: nothing changes */
	if ((e = coin_read(iss, body.coin_id, &c)) != OBOL_OK ||
	    (e = coupon_issuer_query_answer(&st->is, &body, query_hash, c.found ? &c.cur : NULL, &status)) != OBOL_OK ||
	    (e = coupon_coin_status_seal(&status, body.reply_key, &r)) != OBOL_OK)
		goto out;
	coupon_spec_coin_status_reply(&spec, &r);
	e = obol_json_encode(&spec.fields, &rep->body);
out:
	OBOL_WIPE(body);
	return e;
}
OBOL_ROUTE(route_coupon_coin_status, "POST", "/coupon/coin-status", post_coin_status)

/* ---- refund ---- */

struct refund_ctx {
	struct obol_issuer *iss;
	struct coupon_issuer_state *st;
	const struct coupon_refund_checked *chk;
	int64_t account, now;
	struct coupon_proof_checked pre;
	bool has_pre;
	struct coupon_refund_effect eff;
};

static obol_err refund_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct refund_ctx *c = arg;
	struct obol_ed25519_signer sg;
	struct coupon_coin_state cur;
	struct coupon_spec spec;
	char ref[80];
	bool found;
	obol_err e;
	memset(&c->eff, 0, sizeof(c->eff));
	if ((e = coupon_store_coin_get(s, c->chk->auth.coin_id, &cur, &found)) != OBOL_OK)
		return e;
	if ((e = coupon_issuer_refund_apply(&c->st->is, c->chk, found ? &cur : NULL, c->has_pre ? &c->pre : NULL,
					    c->now, &c->eff)) != OBOL_OK)
		return e == OBOL_E_COUPON_STATE_MOVED ? OBOL_E_STORE_CONFLICT : e; /* moved since refund_precheck */
	if (c->eff.expired_credit_tokens > 0) {
		coin_ref(ref, "lock-expired", cur.coin_id, cur.last_index);
		if ((e = credit_tokens(s, c->st, cur.denom, c->eff.expired_credit_tokens, c->eff.expired_vendor_account,
				       ref)) != OBOL_OK)
			return e;
	}
	coin_ref(ref, "refund", c->chk->auth.coin_id, c->chk->auth.index);
	if ((e = obol_ledger_transfer(s, c->st->liability, c->account, &c->eff.refund, "coupon-refund", ref, NULL)) !=
		    OBOL_OK ||
	    (e = coupon_store_coin_put(s, &c->eff.next, !found)) != OBOL_OK)
		return e;
	if ((e = obol_issuer_signer(c->iss, c->now, &sg)) != OBOL_OK ||
	    (e = coupon_issuer_sign_refund_reply(&sg, &c->eff.reply)) != OBOL_OK)
		return e;
	coupon_spec_refund_reply(&spec, &c->eff.reply);
	return obol_json_encode(&spec.fields, reply);
}

/* Before each try of the unit: read the coin and check the holder proof. */
static obol_err refund_precheck(struct obol_issuer *iss, void *arg)
{
	struct refund_ctx *c = arg;
	struct coin_read r;
	obol_err e = coin_read(iss, c->chk->auth.coin_id, &r);
	if (e != OBOL_OK)
		return e;
	coupon_issuer_refund_proof(&c->st->is, c->chk, r.found ? &r.cur : NULL, &c->pre);
	c->has_pre = true;
	return OBOL_OK;
}

/* A refund naming a key that is not loaded (coupon_store_denoms: past its
 * legal end) is refused by name: the table is read on this rare path only. */
struct retired_read {
	uint64_t id;
	int64_t now;
};

static obol_err retired_unit(struct obol_store *s, void *arg)
{
	const struct retired_read *r = arg;
	return coupon_store_denom_retired(s, r->id, r->now);
}

static obol_err post_refund(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	static const uint8_t no_cert[COUPON_ID_LEN];
	struct coupon_issuer_state *st = state_of(iss);
	static __thread struct coupon_refund_req rreq;
	struct coupon_refund_checked chk;
	struct coupon_spec spec;
	struct obol_account acc;
	struct refund_ctx c;
	obol_err e;
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	if ((e = obol_issuer_authenticate(iss, NULL, req, &acc)) != OBOL_OK)
		return e;
	memset(&rreq, 0, sizeof(rreq));
	memset(&chk, 0, sizeof(chk));
	memset(&c, 0, sizeof(c));
	coupon_spec_refund_req(&spec, &rreq);
	if ((e = obol_json_decode(req->json, &spec.fields)) != OBOL_OK)
		return e;
	c.iss = iss;
	c.st = st;
	c.chk = &chk;
	c.account = acc.id;
	c.now = obol_now();
	if ((e = coupon_issuer_refund_verify(&st->is, &rreq, acc.id, c.now, &chk)) != OBOL_OK) {
		if (e == OBOL_E_COUPON_DENOM_UNKNOWN)
			e = obol_issuer_read(iss, retired_unit, &(struct retired_read){ rreq.coin.denom, c.now });
		goto out;
	}
	e = obol_issuer_run_idem_checked(iss, req, acc.id, rreq.request_id, refund_precheck, refund_unit, &c, rep);
	if (e != OBOL_OK && c.eff.has_refusal)
		refusal_reply(iss, rep, &c.eff.refusal, no_cert, chk.box_hash);
out:
	OBOL_WIPE(chk.auth);
	return e;
}
OBOL_ROUTE(route_coupon_refund, "POST", "/coupon/refund", post_refund)
