/* The coupon world's cheating parties (coupon.h), played by the simulator
 * with the real protocol cores where they behave, over real device links
 * (the Noise handshake included), each in contexts of its own node:
 *   x    a vendor with a genuine certificate (the vendor core drives its
 *        sessions; its mode says where it deviates): greedy-vendor,
 *        fake-refusal, probe, withholding-vendor, and m's accomplice;
 *   m    a payer with a genuine account and wallet (the wallet core builds
 *        its payments; it withdraws and rolls its file back through the real
 *        commands): hold-link, rollback, denom-swap;
 *   the link itself: an adversary that drops, replays and holds back the
 *        records of honest parties' links (link-mitm). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "coupon.h"
#include "crypto/blindrsa.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "issuer/keys.h"
#include "net/devlink.h"
#include "schemes/coupon/vendor.h"
#include "schemes/coupon/wallet.h"
#include "store/store.h"
#include "vendor/vendor.h"
#include "wallet/coupon_wallet.h"
#include "wallet/file.h"
#include "wire/cbor.h"
#include "wire/json.h"

static obol_err send(struct obol_devlink *dl, uint32_t type, struct coupon_spec *spec)
{
	return obol_devlink_write(dl, type, &spec->fields);
}

/* ---- x: the vendor ---------------------------------------------------------------- */

enum xmode { X_GREEDY, X_FAKE_REFUSAL, X_PROBE, X_WITHHOLD, X_ACCOMPLICE, X_FAR_SETTLE };

struct xsession {
	struct coupon_vendor_session s;
	struct obol_devlink *dl;
	unsigned refusals;
	bool ended;
};

#define X_SEEN_MAX 64
struct xvendor {
	enum xmode mode;
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	struct coupon_vendor_cfg cfg;
	uint8_t issuer_box_pk[OBOL_BOX_PK_LEN];
	struct coupon_coin seen[X_SEEN_MAX]; /* coins paid to it (probe) */
	size_t nseen;
};

static obol_err x_load(struct sim *sim, struct cw_world *w, struct xvendor *xv)
{
	struct obol_vendor_cert cert;
	struct obol_store *s = NULL;
	struct obol_issuer_keys keys;
	char url[PATH_MAX + 32];
	size_t len;
	obol_err e;
	(void)sim;
	if ((e = obol_vendor_keys_load(w->x->dir, &xv->sign, &xv->box)) != OBOL_OK ||
	    (e = obol_vendor_cert_load(w->x->dir, &cert)) != OBOL_OK ||
	    (e = obol_vendor_cert_encode(&cert, xv->cert, sizeof xv->cert, &len)) != OBOL_OK)
		return e;
	snprintf(url, sizeof url, "sqlite:%s/issuer.db", w->issuer->dir);
	if ((e = obol_store_open(url, false, &s)) != OBOL_OK)
		return e;
	if ((e = obol_store_begin_read(s)) == OBOL_OK) {
		if ((e = obol_issuer_keys_load(s, &keys)) == OBOL_OK) {
			memcpy(xv->cfg.issuer_pk, keys.master_pk, OBOL_SIGN_PK_LEN);
			memcpy(xv->issuer_box_pk, keys.box.pk, OBOL_BOX_PK_LEN);
			obol_issuer_keys_wipe(&keys);
		}
		obol_store_rollback(s);
	}
	obol_store_close(s);
	if (e != OBOL_OK)
		return e;
	w->x->account = (int64_t)cert.vendor_id;
	xv->cfg.cert = xv->cert;
	xv->cfg.cert_len = len;
	obol_sha256(xv->cfg.cert_hash, xv->cert, len);
	xv->cfg.sign_sk = xv->sign.sk;
	xv->cfg.denoms = w->denoms;
	xv->cfg.ndenoms = w->ndenoms;
	xv->cfg.lock_s = 300;
	xv->cfg.margin_s = 60;
	return obol_amount_parse("EUR:0.001", &xv->cfg.price);
}

/* POSTs a coupon request body (a spec) from x; the JSON answer or NULL. */
static json_t *x_post(struct sim *sim, const char *path, struct coupon_spec *spec, long *status)
{
	struct cw_world *w = cw(sim);
	json_t *body = NULL, *ans = NULL;
	char *text = NULL, *reply = NULL;
	*status = 0;
	if (obol_json_encode(&spec->fields, &body) != OBOL_OK || (text = json_dumps(body, JSON_COMPACT)) == NULL)
		goto out;
	if (sim_http(sim, w->x, w->issuer, "POST", path, NULL, text, status, &reply) == OBOL_OK)
		ans = json_loads(reply, 0, NULL);
out:
	json_decref(body);
	free(text);
	free(reply);
	return ans;
}

static void x_settle(struct sim *sim, struct xvendor *xv, struct xsession *xs)
{
	for (size_t i = 0; i < xs->s.ncoins; i++) {
		static struct coupon_settle_req req;
		struct coupon_spec spec;
		long status;
		coupon_vendor_settle_req(&xv->cfg, &xs->s.coins[i], false, &req);
		coupon_spec_settle_req(&spec, &req);
		json_decref(x_post(sim, "/coupon/settle", &spec, &status));
	}
}

/* far-settle: before its true settles, x claims each coin down to 0, and
 * just below the lowest token it was given, with tokens it makes up: the
 * issuer must refuse the first without a walk (more than one settle may
 * claim) and walk at most COUPON_SETTLE_SPAN_MAX hashes for the second. */
static void x_far_settles(struct sim *sim, struct xvendor *xv, struct xsession *xs)
{
	for (size_t i = 0; i < xs->s.ncoins; i++) {
		static struct coupon_settle_req req;
		static struct coupon_vendor_coin c;
		struct coupon_spec spec;
		long status;
		c = xs->s.coins[i];
		const uint64_t claims[2] = { 0, c.last_index > 0 ? c.last_index - 1 : 0 };
		for (int k = 0; k < 2; k++) {
			c.last_index = claims[k];
			obol_random(c.last_token, sizeof c.last_token);
			coupon_vendor_settle_req(&xv->cfg, &c, true, &req);
			coupon_spec_settle_req(&spec, &req);
			json_decref(x_post(sim, "/coupon/settle", &spec, &status));
		}
	}
}

static void x_end(struct sim *sim, struct xvendor *xv, struct xsession *xs)
{
	struct coupon_receipt r;
	struct coupon_spec spec;
	coupon_vendor_end(&xs->s, &r);
	xs->ended = true;
	if (xv->mode == X_FAR_SETTLE)
		x_far_settles(sim, xv, xs);
	if (xv->mode != X_WITHHOLD)
		x_settle(sim, xv, xs);
	coupon_spec_receipt(&spec, &r);
	(void)send(xs->dl, COUPON_MSG_RECEIPT, &spec);
}

/* Serves what is paid, asks for what is not (coupon_session.c's drive). */
static void x_drive(struct sim *sim, struct xvendor *xv, struct xsession *xs)
{
	struct cw_world *w = cw(sim);
	struct coupon_spec spec;
	for (;;) {
		enum coupon_vendor_action act;
		struct coupon_token_req treq;
		static struct coupon_served one;
		obol_err why = coupon_vendor_next(&xv->cfg, &xs->s, sim_node_now(sim, w->x), &act, &treq, &one);
		if (why != OBOL_OK && why != OBOL_E_COUPON_SESSION_DEADLINE)
			return;
		if (act == COUPON_VA_SERVE) {
			one.data_len = (size_t)snprintf((char *)one.data, sizeof one.data, "unit %" PRIu64, one.unit);
			coupon_spec_served(&spec, &one);
			if (send(xs->dl, COUPON_MSG_SERVED, &spec) != OBOL_OK)
				return;
			continue;
		}
		if (act == COUPON_VA_END) {
			x_end(sim, xv, xs);
			return;
		}
		coupon_spec_token_req(&spec, &treq);
		(void)send(xs->dl, COUPON_MSG_TOKEN_REQ, &spec);
		return;
	}
}

static void x_refuse(struct xsession *xs, obol_err e, const uint64_t *last)
{
	struct coupon_error err;
	struct coupon_spec spec;
	coupon_error_set(&err, e, last);
	coupon_spec_error(&spec, &err);
	(void)send(xs->dl, COUPON_MSG_REFUSED, &spec);
}

static void x_on_pay(struct sim *sim, struct xvendor *xv, struct xsession *xs, const uint8_t *body, size_t len)
{
	struct cw_world *w = cw(sim);
	static struct coupon_pay pay;
	static struct coupon_lock_req req;
	struct coupon_lock_reply reply;
	struct coupon_spec spec;
	long status;
	memset(&pay, 0, sizeof pay);
	coupon_spec_pay(&spec, &pay);
	if (obol_cbor_decode(body, len, &spec.fields) != OBOL_OK)
		return;
	if (xv->nseen < X_SEEN_MAX)
		xv->seen[xv->nseen++] = pay.coin;
	if (xv->mode == X_FAKE_REFUSAL) {
		/* made-up refusals: nothing was asked of the issuer */
		static const uint64_t zero = 0;
		if (xs->refusals++ % 2 == 0)
			x_refuse(xs, OBOL_E_COUPON_COIN_SPENT, NULL);
		else
			x_refuse(xs, OBOL_E_COUPON_INDEX_MISMATCH, &zero);
		return;
	}
	if (coupon_vendor_on_pay(&xv->cfg, &xs->s, &pay, sim_node_now(sim, w->x), &req) != OBOL_OK)
		return;
	coupon_spec_lock_req(&spec, &req);
	json_t *ans = x_post(sim, "/coupon/lock", &spec, &status);
	memset(&reply, 0, sizeof reply);
	coupon_spec_lock_reply(&spec, &reply);
	if (ans == NULL || status != 200 || obol_json_decode(ans, &spec.fields) != OBOL_OK ||
	    coupon_vendor_on_lock_reply(&xv->cfg, &xs->s, &reply) != OBOL_OK) {
		/* relay the issuer's refusal, with its index as the real vendor does */
		coupon_vendor_on_lock_refused(&xs->s);
		obol_err e = OBOL_E_NETWORK;
		unsigned long long last = 0;
		const char *detail = json_string_value(json_object_get(ans, "detail"));
		bool has_last = detail != NULL && sscanf(detail, "last_index=%llu", &last) == 1;
		uint64_t last64 = last;
		if (status >= 400 && json_integer_value(json_object_get(ans, "code")) > 0)
			e = (obol_err)json_integer_value(json_object_get(ans, "code"));
		x_refuse(xs, obol_err_is_known((int)e) ? e : OBOL_E_PEER_ERROR, has_last ? &last64 : NULL);
		json_decref(ans);
		return;
	}
	json_decref(ans);
	coupon_spec_lock_reply(&spec, &reply);
	if (send(xs->dl, COUPON_MSG_LOCKED, &spec) != OBOL_OK || xv->mode == X_WITHHOLD)
		return; /* withholding: the coin is locked, nothing is served, nothing settled */
	x_drive(sim, xv, xs);
}

static void x_on_token(struct sim *sim, struct xvendor *xv, struct xsession *xs, const uint8_t *body, size_t len)
{
	struct coupon_token tok;
	struct coupon_spec spec;
	size_t coin;
	coupon_spec_token(&spec, &tok);
	if (obol_cbor_decode(body, len, &spec.fields) != OBOL_OK ||
	    coupon_vendor_on_token(&xv->cfg, &xs->s, &tok, obol_now(), &coin) != OBOL_OK)
		return;
	if (xv->mode == X_GREEDY) {
		/* another token, and never a unit served */
		struct coupon_token_req more = { .count = 1 };
		xs->s.state = COUPON_VS_ASKING;
		xs->s.asked = 1;
		coupon_spec_token_req(&spec, &more);
		(void)send(xs->dl, COUPON_MSG_TOKEN_REQ, &spec);
		return;
	}
	x_drive(sim, xv, xs);
}

/* One link to x, in a context of x's: the handshake (x's certificate and
 * box key), then its frames until the link ends. */
static void x_serve(struct sim *sim, struct sim_node *self, struct obol_devlink *dl)
{
	struct xvendor *xv = self->data;
	static struct xsession xs;
	struct coupon_spec spec;
	struct obol_devlink_identity me = { .key = &xv->box, .kind = OBOL_DL_CRED_VENDOR, .cred = xv->cert,
					    .cred_len = xv->cfg.cert_len };
	memset(&xs, 0, sizeof xs);
	xs.dl = dl;
	if (obol_devlink_respond(dl, &me) != OBOL_OK)
		return;
	while (!xs.ended) {
		uint32_t type;
		const uint8_t *body;
		size_t blen;
		if (obol_devlink_read(dl, &type, &body, &blen) != OBOL_OK)
			break;
		switch (type) {
		case COUPON_MSG_BUY: {
			struct coupon_buy buy;
			static struct coupon_offer offer;
			coupon_spec_buy(&spec, &buy);
			if (obol_cbor_decode(body, blen, &spec.fields) == OBOL_OK &&
			    coupon_vendor_start(&xv->cfg, &xs.s, &buy, sim_node_now(sim, self), &offer) == OBOL_OK) {
				coupon_spec_offer(&spec, &offer);
				(void)send(dl, COUPON_MSG_OFFER, &spec);
			}
			break;
		}
		case COUPON_MSG_PAY:
			x_on_pay(sim, xv, &xs, body, blen);
			break;
		case COUPON_MSG_TOKEN:
			x_on_token(sim, xv, &xs, body, blen);
			break;
		case COUPON_MSG_END:
			if (xs.s.state != COUPON_VS_START)
				x_end(sim, xv, &xs);
			break;
		default:
			break;
		}
	}
	if (!xs.ended && xv->mode != X_WITHHOLD && xv->mode != X_FAKE_REFUSAL)
		x_settle(sim, xv, &xs);
}

static struct xvendor *x_start(struct sim *sim, enum xmode mode, bool visited)
{
	struct cw_world *w = cw(sim);
	struct xvendor *xv = calloc(1, sizeof *xv);
	if (xv == NULL)
		abort();
	xv->mode = mode;
	w->x->data = xv;
	if (x_load(sim, w, xv) != OBOL_OK) {
		sim_fail(sim, "SETUP", "vendor x cannot load its keys and certificate");
		return xv;
	}
	w->x->serve = x_serve;
	w->drivers_visit_x = visited;
	return xv;
}

void cw_cheat_greedy_vendor(struct sim *sim)
{
	x_start(sim, X_GREEDY, true);
}

void cw_cheat_fake_refusal(struct sim *sim)
{
	x_start(sim, X_FAKE_REFUSAL, true);
}

void cw_cheat_withholding_vendor(struct sim *sim)
{
	x_start(sim, X_WITHHOLD, true);
}

void cw_cheat_far_settle(struct sim *sim)
{
	cw(sim)->big_coins = true;
	cw(sim)->only_x = true; /* else few sessions of long coins reach x in a bounded run */
	x_start(sim, X_FAR_SETTLE, true);
}

/* probe: every so often, x asks the issuer to lock each coin it once saw,
 * with a box it makes up (a junk token), to learn the coin's index. */
static void probe_event(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct xvendor *xv = arg;
	if (sim_quiescing(sim))
		return;
	for (size_t i = 0; i < xv->nseen; i++) {
		static struct coupon_lock_req req;
		struct coupon_auth a;
		struct coupon_spec spec;
		uint8_t digest[OBOL_HASH_LEN];
		long status;
		const struct coupon_denom *d = cw_denom(w, xv->seen[i].denom);
		if (d == NULL)
			continue;
		memset(&a, 0, sizeof a);
		memcpy(a.coin_id, xv->seen[i].id, COUPON_ID_LEN);
		a.index = d->n - 1 - sim_below(sim, d->n);
		obol_random(a.token, sizeof a.token); /* no token of the coin */
		a.deadline = sim_node_now(sim, w->x) + 200;
		memcpy(a.cert_hash, xv->cfg.cert_hash, COUPON_ID_LEN);
		memset(&req, 0, sizeof req);
		req.coin = xv->seen[i];
		if (coupon_auth_seal(&a, xv->issuer_box_pk, req.auth) != OBOL_OK)
			continue;
		memcpy(req.cert, xv->cfg.cert, xv->cfg.cert_len);
		req.cert_len = xv->cfg.cert_len;
		req.deadline = a.deadline;
		coupon_digest_lock_req(digest, &req, xv->cfg.cert_hash);
		obol_sign(req.vendor_sig, COUPON_CTX_LOCK_REQ, digest, sizeof digest, xv->sign.sk);
		coupon_spec_lock_req(&spec, &req);
		json_decref(x_post(sim, "/coupon/lock", &spec, &status));
	}
	sim_at(sim, (int64_t)(30 + sim_below(sim, 60)) * SIM_S, probe_event, xv);
}

void cw_cheat_probe(struct sim *sim)
{
	struct xvendor *xv = x_start(sim, X_PROBE, true);
	sim_at(sim, 60 * SIM_S, probe_event, xv);
}

/* ---- the link itself: drops, replays, holds back records ---- */

static enum sim_tap mitm(struct sim *sim, struct sim_link *l, struct sim_node *from, const uint8_t *bytes, size_t len)
{
	(void)from;
	(void)bytes;
	(void)len;
	if (!l->a->honest || !l->b->honest)
		return SIM_TAP_PASS;
	uint64_t r = sim_below(sim, 1000);
	return r < 15 ? SIM_TAP_DROP : r < 30 ? SIM_TAP_REPLAY : r < 45 ? SIM_TAP_HOLD : SIM_TAP_PASS;
}

void cw_cheat_link_mitm(struct sim *sim)
{
	sim_hooks(sim)->tap = mitm;
}

/* ---- m: the payer ------------------------------------------------------------------ */

struct mpayer {
	struct coupon_wallet_store ws;
	bool loaded;
	unsigned round;
	uint64_t lock_index;  /* hold-link: where the issuer still has the coin */
	int64_t deadline;     /* hold-link: the held lock's T */
};

static void mpayer_free(void *arg)
{
	struct mpayer *mp = arg;
	if (mp != NULL && mp->loaded)
		coupon_wstore_free(&mp->ws);
	free(mp);
}

/* m's state for a strategy, freed with the world. */
static struct mpayer *m_new(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = calloc(1, sizeof *mp);
	if (mp == NULL)
		abort();
	w->cheat = mp;
	w->cheat_free = mpayer_free;
	return mp;
}

static obol_err m_load(struct sim *sim, struct mpayer *mp)
{
	struct cw_world *w = cw(sim);
	struct obol_wallet_keysrc ks = { .key_file = w->m->key_file };
	struct obol_wallet *wal = NULL;
	if (mp->loaded) {
		coupon_wstore_free(&mp->ws);
		mp->loaded = false;
	}
	obol_err e = obol_wallet_open(w->m->wallet, &ks, &wal);
	if (e == OBOL_OK && (e = coupon_wstore_load(wal, false, &mp->ws)) == OBOL_OK)
		mp->loaded = true;
	obol_wallet_close(wal);
	return e;
}

/* One payment session of m's with one coin, over dl, through the wallet
 * core: BUY units, then answer. After `tokens` TOKEN frames it stops
 * answering: with hold_until set it then sends a frame of an unknown coupon
 * type at each read timeout (the link's timeout) until its clock passes
 * hold_until, and returns with the link open; else it sends END. */
struct msess {
	struct coupon_wallet_coin coin[1];
	uint64_t units;
	unsigned tokens;
	int64_t hold_until;  /* 0: no holding */
	/* out */
	bool locked;
	uint64_t lock_index;
	int64_t deadline;
};

static void m_session(struct sim *sim, struct mpayer *mp, struct obol_devlink *dl, struct msess *ms)
{
	struct cw_world *w = cw(sim);
	static struct coupon_wallet_session s;
	struct coupon_buy buy;
	struct coupon_spec spec;
	struct coupon_end end = { 0 };
	bool holding = false;
	if (coupon_wallet_buy(&s, ms->units, &buy) != OBOL_OK)
		return;
	coupon_spec_buy(&spec, &buy);
	if (send(dl, COUPON_MSG_BUY, &spec) != OBOL_OK)
		goto out;
	for (;;) {
		uint32_t type;
		const uint8_t *body;
		size_t blen;
		int64_t now = sim_node_now(sim, w->m);
		obol_err e = obol_devlink_read(dl, &type, &body, &blen);
		if (holding && now >= ms->hold_until)
			goto out;
		if (e == OBOL_E_NETWORK && holding) {
			coupon_spec_end(&spec, &end);
			if (send(dl, COUPON_MSG_DL_MAX, &spec) != OBOL_OK) /* junk: keeps the vendor's read alive */
				goto out;
			continue;
		}
		if (holding && e != OBOL_OK && e != OBOL_E_DEVLINK_CLOSED && e != OBOL_E_WIRE_TRUNCATED)
			continue; /* the vendor's ERROR for the junk: the link stays */
		if (e != OBOL_OK)
			goto out;
		switch (type) {
		case COUPON_MSG_OFFER: {
			static struct coupon_offer offer;
			static struct coupon_pay pay;
			memset(&offer, 0, sizeof offer);
			coupon_spec_offer(&spec, &offer);
			if (obol_cbor_decode(body, blen, &spec.fields) != OBOL_OK ||
			    coupon_wallet_on_offer(&mp->ws.cfg, &s, ms->coin, 1, &offer, now, &pay) != OBOL_OK)
				goto out;
			ms->deadline = offer.deadline;
			coupon_spec_pay(&spec, &pay);
			if (send(dl, COUPON_MSG_PAY, &spec) != OBOL_OK)
				goto out;
			break;
		}
		case COUPON_MSG_LOCKED: {
			struct coupon_lock_reply r;
			coupon_spec_lock_reply(&spec, &r);
			if (obol_cbor_decode(body, blen, &spec.fields) == OBOL_OK &&
			    coupon_wallet_on_locked(&mp->ws.cfg, &s, ms->coin, &r) == OBOL_OK) {
				ms->locked = true;
				ms->lock_index = r.index;
			}
			break;
		}
		case COUPON_MSG_TOKEN_REQ: {
			struct coupon_token_req req;
			struct coupon_token tok;
			static struct coupon_pay pay;
			enum coupon_wallet_answer ans;
			coupon_spec_token_req(&spec, &req);
			if (obol_cbor_decode(body, blen, &spec.fields) != OBOL_OK)
				goto out;
			if (ms->tokens == 0 && ms->hold_until != 0) {
				holding = true; /* hold-link: no more tokens, junk from now on */
				break;
			}
			if (ms->tokens == 0 ||
			    coupon_wallet_on_token_req(&mp->ws.cfg, &s, ms->coin, 1, &req, now, &ans, &tok, &pay) != OBOL_OK ||
			    ans != COUPON_WA_TOKEN) {
				coupon_spec_end(&spec, &end);
				(void)send(dl, COUPON_MSG_END, &spec);
				break;
			}
			ms->tokens--;
			coupon_spec_token(&spec, &tok);
			e = send(dl, COUPON_MSG_TOKEN, &spec);
			OBOL_WIPE(tok);
			if (e != OBOL_OK)
				goto out;
			break;
		}
		case COUPON_MSG_SERVED: {
			static struct coupon_served m;
			coupon_spec_served(&spec, &m);
			if (obol_cbor_decode(body, blen, &spec.fields) == OBOL_OK)
				coupon_wallet_on_served(&s, &m);
			break;
		}
		case COUPON_MSG_RECEIPT:
			goto out;
		default:
			break;
		}
	}
out:
	coupon_wallet_session_wipe(&s);
}

static void m_hold(struct sim *sim, void *arg);

static void m_hold_begin(struct sim *sim, void *arg)
{
	sim_spawn(sim, cw(sim)->m, m_hold, arg);
}

/* ---- hold-link: m holds v1's link past T with junk, then spends the same
 * tokens at v2 (issue 11 case 8) ---- */

static void m_hold(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = arg;
	struct obol_devlink *held = NULL, *dl = NULL;
	static const char *const withdraw[] = { "wallet", "withdraw", "--count", "1", "--denom", "1", NULL };
	static struct msess a, b;
	size_t coin = SIZE_MAX;
	if (sim_command_here(sim, w->m, withdraw) != 0 || m_load(sim, mp) != OBOL_OK)
		return;
	for (size_t i = 0; i < mp->ws.ncoins; i++)
		if (mp->ws.coins[i].last_index >= 40 && !mp->ws.coins[i].lock_open)
			coin = i;
	if (coin == SIZE_MAX)
		return;
	memset(&a, 0, sizeof a);
	a.coin[0] = mp->ws.coins[coin];
	a.units = 30;
	a.tokens = 4 + (unsigned)sim_below(sim, 6);
	a.hold_until = INT64_MAX; /* set from the offer below */
	/* a 4 s read timeout: the junk comes that often */
	if (obol_devlink_connect_vendor("sim:v1", 4000, mp->ws.cfg.issuer_pk, &held) != OBOL_OK)
		return;
	/* the session runs until the tokens stop, then holds until T + 10 s */
	a.hold_until = sim_node_now(sim, w->m) + 310;
	m_session(sim, mp, held, &a);
	if (!a.locked || sim_quiescing(sim))
		goto out;
	memset(&b, 0, sizeof b);
	b.coin[0] = mp->ws.coins[coin];
	b.coin[0].last_index = a.lock_index; /* where the issuer still has it: v1 never settled */
	b.coin[0].lock_open = false;
	b.coin[0].trav_len = 0;
	b.units = 10;
	b.tokens = 40;
	sim_trace(sim, w->m, "spends at v2 the tokens it gave v1, whose link it still holds");
	if (obol_devlink_connect_vendor("sim:v2", 0, mp->ws.cfg.issuer_pk, &dl) == OBOL_OK)
		m_session(sim, mp, dl, &b);
	obol_devlink_close(dl);
out:
	obol_devlink_close(held); /* v1 settles now, after T */
}

void cw_cheat_hold_link(struct sim *sim)
{
	struct mpayer *mp = m_new(sim);
	cw(sim)->act_every_s = 60;
	sim_at(sim, (int64_t)(5 + sim_below(sim, 30)) * SIM_S, m_hold_begin, mp);
}

/* ---- rollback: m pays with a copy of its wallet file, then with the file
 * as it was before ---- */

static int copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = a != NULL ? fopen(to, "wb") : NULL;
	char buf[8192];
	size_t n;
	int rc = a != NULL && b != NULL ? 0 : -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof buf, a)) > 0)
		if (fwrite(buf, 1, n, b) != n)
			rc = -1;
	if (a != NULL)
		fclose(a);
	if (b != NULL && fclose(b) != 0)
		rc = -1;
	return rc;
}

static void rollback_step(struct sim *sim, struct sim_node *n, int rc, void *arg);

static void rollback_next(struct sim *sim, void *arg)
{
	rollback_step(sim, cw(sim)->m, 0, arg);
}

static void rollback_step(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct mpayer *mp = arg;
	char backup[PATH_MAX + 8], units[16];
	(void)rc;
	if (sim_quiescing(sim))
		return;
	snprintf(backup, sizeof backup, "%s.copy", n->wallet);
	snprintf(units, sizeof units, "%u", 3 + (unsigned)sim_below(sim, 10));
	switch (mp->round++ % 4) {
	case 0: {
		const char *args[] = { "wallet", "withdraw", "--count", "1", "--denom", "1", NULL };
		sim_command(sim, n, rollback_step, mp, args);
		return;
	}
	case 1: {
		if (copy_file(n->wallet, backup) != 0)
			return;
		sim_trace(sim, n, "copies its wallet file");
		const char *args[] = { "wallet", "pay", "--vendor", "sim:v1", "--units", units, NULL };
		sim_command(sim, n, rollback_step, mp, args);
		return;
	}
	case 2: {
		if (copy_file(backup, n->wallet) != 0)
			return;
		sim_trace(sim, n, "rolls its wallet file back");
		const char *args[] = { "wallet", "pay", "--vendor", sim_chance(sim, 500) ? "sim:v2" : "sim:v1", "--units",
				       units, NULL };
		sim_command(sim, n, rollback_step, mp, args);
		return;
	}
	default:
		sim_at(sim, (int64_t)(5 + sim_below(sim, 400)) * SIM_S, rollback_next, mp);
		return;
	}
}

void cw_cheat_rollback(struct sim *sim)
{
	struct mpayer *mp = m_new(sim);
	sim_at(sim, (int64_t)(5 + sim_below(sim, 60)) * SIM_S, rollback_next, mp);
}

/* ---- denom-swap: one coin id under two denominations (issue 11 case 6) ----
 * m withdraws a coin A of 100 tokens from a seed S, and a coin B of 10
 * tokens from H^90(S): both have the id H^100(S). It spends A down to index
 * 10 at its accomplice x (the issuer now holds the coin as A's, a token
 * worth EUR 0.001), then pays v1 with B's signature (a token worth EUR
 * 0.005 to v1) and the tokens of S's chain, which the issuer accepts. */

struct swap {
	struct mpayer mp; /* first: freed as an mpayer */
	struct coupon_wallet_coin a, b;
	int64_t account;
	uint8_t sk[64];
};

/* A withdrawal of denomination d from seed (the wallet core's
 * coupon_wallet_withdraw_prepare with a chosen seed instead of a drawn one). */
static obol_err swap_withdraw(struct sim *sim, struct swap *sw, const struct coupon_denom *d, const uint8_t seed[32],
			      struct coupon_wallet_coin *coin)
{
	struct cw_world *w = cw(sim);
	static struct coupon_withdraw_pending p;
	static struct coupon_withdraw_req req;
	static struct coupon_withdraw_reply reply;
	uint8_t msg[COUPON_COIN_MSG_LEN], prepared[OBOL_BLINDRSA_PREFIX_LEN + COUPON_COIN_MSG_LEN];
	size_t plen;
	struct coupon_spec spec;
	json_t *body = NULL, *ans = NULL;
	char *text = NULL, *out = NULL, auth[160];
	long status = 0;
	obol_err e;
	memset(&p, 0, sizeof p);
	memset(&req, 0, sizeof req);
	p.denom = d->id;
	p.n = d->n;
	memcpy(p.seed, seed, 32);
	obol_hashchain_step(p.coin_id, p.seed, d->n);
	coupon_coin_message(msg, d->id, p.coin_id);
	if ((e = obol_blindrsa_prepare(OBOL_BLINDRSA_PSS_RANDOMIZED, msg, sizeof msg, prepared, sizeof prepared,
				       &plen)) != OBOL_OK)
		return e;
	memcpy(p.prefix, prepared, OBOL_BLINDRSA_PREFIX_LEN);
	req.denom = d->id;
	snprintf(req.request_id, sizeof req.request_id, "swap-%u-%" PRIu64, d->id, sim_seed(sim));
	if ((e = obol_blindrsa_blind(d->key, prepared, plen, req.blinded, sizeof req.blinded, &req.blinded_len,
				     &p.blind)) != OBOL_OK)
		return e;
	coupon_spec_withdraw_req(&spec, &req);
	if ((e = obol_json_encode(&spec.fields, &body)) != OBOL_OK)
		return e;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = sim_auth(sim, w->m, sw->account, sw->sk, "POST", "/coupon/withdraw", text, auth)) == OBOL_OK)
		e = sim_http(sim, w->m, w->issuer, "POST", "/coupon/withdraw", auth, text, &status, &out);
	free(text);
	if (e == OBOL_OK && (status != 200 || (ans = json_loads(out, 0, NULL)) == NULL))
		e = OBOL_E_PEER_ERROR;
	free(out);
	if (e != OBOL_OK)
		return e;
	memset(&reply, 0, sizeof reply);
	coupon_spec_withdraw_reply(&spec, &reply);
	e = obol_json_decode(ans, &spec.fields);
	json_decref(ans);
	return e == OBOL_OK ? coupon_wallet_withdraw_finalize(d, &p, &reply, coin) : e;
}


static void swap_run(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct swap *sw = arg;
	struct mpayer *mp = &sw->mp;
	uint8_t s_a[32], s_b[32];
	static struct msess a, b;
	struct obol_devlink *dl = NULL;
	const struct coupon_denom *da = cw_denom(w, 1), *db = cw_denom(w, 2);
	int64_t id;
	if (da == NULL || db == NULL || da->n != 100 || db->n != 10 || sim_quiescing(sim))
		return;
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	if (sim_wallet_account_key(sim, w->m, &id, sw->sk) != OBOL_OK || obol_store_begin_read(s) != OBOL_OK)
		return;
	if (obol_stmt_prepare(s, "SELECT id FROM accounts WHERE name = 'm'", &st) == OBOL_OK) {
		if (obol_stmt_step(st, &row) == OBOL_OK && row)
			sw->account = obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
	obol_random(s_a, sizeof s_a);
	obol_hashchain_step(s_b, s_a, 90);
	if (swap_withdraw(sim, sw, da, s_a, &sw->a) != OBOL_OK || swap_withdraw(sim, sw, db, s_b, &sw->b) != OBOL_OK ||
	    memcmp(sw->a.coin.id, sw->b.coin.id, COUPON_ID_LEN) != 0 || m_load(sim, mp) != OBOL_OK) {
		sim_trace(sim, w->m, "cannot withdraw the two coins");
		return;
	}
	sim_trace(sim, w->m, "holds one coin id under denominations 1 and 2");
	/* A down to index 10 at x: 90 units at EUR 0.001 */
	memset(&a, 0, sizeof a);
	a.coin[0] = sw->a;
	a.units = 90;
	a.tokens = 200;
	if (obol_devlink_connect_vendor("sim:x", 0, mp->ws.cfg.issuer_pk, &dl) != OBOL_OK)
		return;
	m_session(sim, mp, dl, &a);
	obol_devlink_close(dl);
	dl = NULL;
	/* B's signed coin, A's chain, where the issuer has it now */
	memset(&b, 0, sizeof b);
	b.coin[0] = sw->a;
	b.coin[0].coin = sw->b.coin;
	b.coin[0].last_index = 10;
	b.coin[0].trav_len = 0;
	b.units = 40;
	b.tokens = 20;
	sim_trace(sim, w->m, "pays v1 with the coin under its dearer denomination");
	if (obol_devlink_connect_vendor("sim:v1", 0, mp->ws.cfg.issuer_pk, &dl) == OBOL_OK)
		m_session(sim, mp, dl, &b);
	obol_devlink_close(dl);
}

static void swap_begin(struct sim *sim, void *arg)
{
	sim_spawn(sim, cw(sim)->m, swap_run, arg);
}

void cw_cheat_denom_swap(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	struct swap *sw = calloc(1, sizeof *sw);
	if (sw == NULL)
		abort();
	w->cheat = &sw->mp;
	w->cheat_free = mpayer_free; /* frees the swap: mp is its first member */
	x_start(sim, X_ACCOMPLICE, false);
	sim_at(sim, (int64_t)(5 + sim_below(sim, 60)) * SIM_S, swap_begin, sw);
}
