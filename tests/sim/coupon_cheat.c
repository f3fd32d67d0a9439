/* The coupon world's cheating parties (coupon.h), played by the simulator
 * on the main thread with the real protocol cores where they behave:
 *   x    a vendor with a genuine certificate (the vendor core drives its
 *        sessions; its mode says where it deviates): greedy-vendor,
 *        fake-refusal, probe, withholding-vendor, and eve's accomplice;
 *   m    a payer with a genuine account and wallet (the wallet core builds
 *        its payments; it withdraws and rolls its file back through the real
 *        commands): hold-link, rollback, denom-swap;
 *   eve  a reader of every device link, who has x lock what she copied. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "coupon.h"
#include "crypto/blindrsa.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "issuer/keys.h"
#include "schemes/coupon/vendor.h"
#include "schemes/coupon/wallet.h"
#include "store/store.h"
#include "vendor/vendor.h"
#include "wallet/coupon_wallet.h"
#include "wallet/file.h"
#include "wire/cbor.h"
#include "wire/json.h"

/* ---- frames ------------------------------------------------------------------- */

static bool frame_split(const uint8_t *frame, size_t len, uint32_t *type, const uint8_t **body, size_t *blen)
{
	return obol_frame_decode(frame, len, type, body, blen) == OBOL_OK;
}

static void send(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type, struct coupon_spec *spec)
{
	if (sim_link_send_fields(sim, l, from, type, &spec->fields) != OBOL_OK)
		sim_trace(sim, from, "cannot encode a frame of type %u", (unsigned)type);
}

/* ---- x: the vendor ---------------------------------------------------------------- */

enum xmode { X_GREEDY, X_FAKE_REFUSAL, X_PROBE, X_WITHHOLD, X_ACCOMPLICE };

struct xsession {
	struct coupon_vendor_session s;
	struct sim_link *l;
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
			memcpy(xv->cfg.issuer_pk, keys.master.pk, OBOL_SIGN_PK_LEN);
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
			send(sim, xs->l, w->x, COUPON_MSG_SERVED, &spec);
			continue;
		}
		if (act == COUPON_VA_END) {
			struct coupon_receipt r;
			coupon_vendor_end(&xs->s, &r);
			xs->ended = true;
			if (xv->mode != X_WITHHOLD)
				x_settle(sim, xv, xs);
			coupon_spec_receipt(&spec, &r);
			send(sim, xs->l, w->x, COUPON_MSG_RECEIPT, &spec);
			sim_link_close(sim, xs->l, w->x);
			return;
		}
		coupon_spec_token_req(&spec, &treq);
		send(sim, xs->l, w->x, COUPON_MSG_TOKEN_REQ, &spec);
		return;
	}
}

static void x_refuse(struct sim *sim, struct xsession *xs, obol_err e, const uint64_t *last)
{
	struct coupon_error err;
	struct coupon_spec spec;
	coupon_error_set(&err, e, last);
	coupon_spec_error(&spec, &err);
	send(sim, xs->l, cw(sim)->x, COUPON_MSG_REFUSED, &spec);
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
			x_refuse(sim, xs, OBOL_E_COUPON_COIN_SPENT, NULL);
		else
			x_refuse(sim, xs, OBOL_E_COUPON_INDEX_MISMATCH, &zero);
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
		x_refuse(sim, xs, obol_err_is_known((int)e) ? e : OBOL_E_PEER_ERROR, has_last ? &last64 : NULL);
		json_decref(ans);
		return;
	}
	json_decref(ans);
	coupon_spec_lock_reply(&spec, &reply);
	send(sim, xs->l, w->x, COUPON_MSG_LOCKED, &spec);
	if (xv->mode == X_WITHHOLD)
		return; /* the coin is locked: nothing is served, nothing settled */
	x_drive(sim, xv, xs);
}

static void x_on_token(struct sim *sim, struct xvendor *xv, struct xsession *xs, const uint8_t *body, size_t len)
{
	struct cw_world *w = cw(sim);
	struct coupon_token tok;
	struct coupon_spec spec;
	size_t coin;
	coupon_spec_token(&spec, &tok);
	if (obol_cbor_decode(body, len, &spec.fields) != OBOL_OK ||
	    coupon_vendor_on_token(&xv->cfg, &xs->s, &tok, &coin) != OBOL_OK)
		return;
	if (xv->mode == X_GREEDY) {
		/* another token, and never a unit served */
		struct coupon_token_req more = { .count = 1 };
		xs->s.state = COUPON_VS_ASKING;
		xs->s.asked = 1;
		coupon_spec_token_req(&spec, &more);
		send(sim, xs->l, w->x, COUPON_MSG_TOKEN_REQ, &spec);
		return;
	}
	x_drive(sim, xv, xs);
}

static void x_on_frame(struct sim *sim, struct sim_node *self, struct sim_link *l, const uint8_t *frame, size_t len)
{
	struct cw_world *w = cw(sim);
	struct xvendor *xv = w->x->data;
	struct xsession *xs = l->data;
	uint32_t type;
	const uint8_t *body;
	size_t blen;
	struct coupon_spec spec;
	(void)self;
	if (xs == NULL || !frame_split(frame, len, &type, &body, &blen))
		return;
	switch (type) {
	case COUPON_MSG_BUY: {
		struct coupon_buy buy;
		static struct coupon_offer offer;
		coupon_spec_buy(&spec, &buy);
		if (obol_cbor_decode(body, blen, &spec.fields) != OBOL_OK ||
		    coupon_vendor_start(&xv->cfg, &xs->s, &buy, sim_node_now(sim, w->x), &offer) != OBOL_OK)
			return;
		coupon_spec_offer(&spec, &offer);
		send(sim, l, w->x, COUPON_MSG_OFFER, &spec);
		break;
	}
	case COUPON_MSG_PAY:
		x_on_pay(sim, xv, xs, body, blen);
		break;
	case COUPON_MSG_TOKEN:
		x_on_token(sim, xv, xs, body, blen);
		break;
	case COUPON_MSG_END:
		if (!xs->ended && xs->s.state != COUPON_VS_START) {
			struct coupon_receipt r;
			coupon_vendor_end(&xs->s, &r);
			xs->ended = true;
			if (xv->mode != X_WITHHOLD)
				x_settle(sim, xv, xs);
			coupon_spec_receipt(&spec, &r);
			send(sim, l, w->x, COUPON_MSG_RECEIPT, &spec);
			sim_link_close(sim, l, w->x);
		}
		break;
	default:
		break;
	}
}

static void x_on_accept(struct sim *sim, struct sim_node *self, struct sim_link *l)
{
	(void)sim;
	(void)self;
	l->data = calloc(1, sizeof(struct xsession));
	if (l->data == NULL)
		abort();
	((struct xsession *)l->data)->l = l;
}

static void x_on_close(struct sim *sim, struct sim_node *self, struct sim_link *l)
{
	struct xvendor *xv = self->data;
	struct xsession *xs = l->data;
	if (xs == NULL)
		return;
	if (!xs->ended && xv->mode != X_WITHHOLD && xv->mode != X_FAKE_REFUSAL)
		x_settle(sim, xv, xs);
	free(xs);
	l->data = NULL;
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
	w->x->on_accept = x_on_accept;
	w->x->on_frame = x_on_frame;
	w->x->on_close = x_on_close;
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

/* ---- eve: a reader of the device links, with x as her accomplice ---- */

struct copied {
	struct coupon_coin coin;
	uint64_t lock_index;  /* the index the wallet locked at (from the lock answer she cannot read: the first TOKEN's j + 1) */
	uint64_t low;         /* the lowest token she copied */
	uint8_t token[COUPON_ID_LEN];
	int64_t deadline;
	bool has_token, tried;
};

#define EVE_MAX 256
struct eve {
	struct xvendor *x;
	struct copied c[EVE_MAX];
	size_t n;
	struct coupon_coin link_coin[4096]; /* the coin of the last PAY on each link */
	int64_t link_deadline[4096];
};

static struct copied *eve_find(struct eve *e, const uint8_t id[COUPON_ID_LEN])
{
	for (size_t i = 0; i < e->n; i++)
		if (memcmp(e->c[i].coin.id, id, COUPON_ID_LEN) == 0)
			return &e->c[i];
	return NULL;
}

static void eve_try(struct sim *sim, void *arg);

static void eve_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type, const uint8_t *body,
			 size_t len)
{
	struct cw_world *w = cw(sim);
	struct eve *e = w->cheat;
	struct coupon_spec spec;
	cw_on_frame(sim, l, from, type, body, len);
	if (!from->honest || l->id >= 4096)
		return;
	if (type == COUPON_MSG_OFFER) {
		static struct coupon_offer m;
		memset(&m, 0, sizeof m);
		coupon_spec_offer(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK)
			e->link_deadline[l->id] = m.deadline;
	} else if (type == COUPON_MSG_PAY) {
		static struct coupon_pay m;
		memset(&m, 0, sizeof m);
		coupon_spec_pay(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK)
			e->link_coin[l->id] = m.coin;
	} else if (type == COUPON_MSG_TOKEN) {
		struct coupon_token m;
		coupon_spec_token(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) != OBOL_OK || e->link_coin[l->id].sig_len == 0)
			return;
		struct copied *c = eve_find(e, e->link_coin[l->id].id);
		if (c == NULL && e->n < EVE_MAX) {
			c = &e->c[e->n++];
			memset(c, 0, sizeof *c);
			c->coin = e->link_coin[l->id];
			c->lock_index = m.index + 1;
			c->low = UINT64_MAX;
		}
		if (c == NULL)
			return;
		c->deadline = e->link_deadline[l->id];
		if (m.index < c->low) {
			c->low = m.index;
			memcpy(c->token, m.token, COUPON_ID_LEN);
			c->has_token = true;
		}
		if (!c->tried) {
			c->tried = true;
			/* after the lock's T, when the coin may be locked anew */
			int64_t wait = c->deadline - sim_node_now(sim, w->x) + 5;
			sim_at(sim, (wait > 0 ? wait : 1) * SIM_S, eve_try, c);
		}
		OBOL_WIPE(m);
	}
}

/* x locks a coin eve copied tokens of, at each index she can make a token
 * for (from her lowest token up to where the wallet locked): she wins the
 * one just below the issuer's index, if the honest vendor never settled. */
static void eve_try(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct eve *e = w->cheat;
	struct copied *c = arg;
	if (sim_quiescing(sim) || !c->has_token)
		return;
	for (uint64_t p = c->low; p < c->lock_index && p < c->low + 32; p++) {
		static struct coupon_lock_req req;
		struct coupon_auth a;
		struct coupon_spec spec;
		uint8_t digest[OBOL_HASH_LEN];
		long status;
		memset(&a, 0, sizeof a);
		memcpy(a.coin_id, c->coin.id, COUPON_ID_LEN);
		a.index = p;
		obol_hashchain_step(a.token, c->token, p - c->low);
		a.deadline = sim_node_now(sim, w->x) + 200;
		memcpy(a.cert_hash, e->x->cfg.cert_hash, COUPON_ID_LEN);
		memset(&req, 0, sizeof req);
		req.coin = c->coin;
		if (coupon_auth_seal(&a, e->x->issuer_box_pk, req.auth) != OBOL_OK)
			return;
		memcpy(req.cert, e->x->cfg.cert, e->x->cfg.cert_len);
		req.cert_len = e->x->cfg.cert_len;
		req.deadline = a.deadline;
		coupon_digest_lock_req(digest, &req, e->x->cfg.cert_hash);
		obol_sign(req.vendor_sig, COUPON_CTX_LOCK_REQ, digest, sizeof digest, e->x->sign.sk);
		coupon_spec_lock_req(&spec, &req);
		json_t *ans = x_post(sim, "/coupon/lock", &spec, &status);
		json_decref(ans);
		OBOL_WIPE(a);
		if (status == 200) {
			/* locked with a copied token: x settles it at once */
			struct coupon_vendor_coin vc;
			static struct coupon_settle_req sreq;
			memset(&vc, 0, sizeof vc);
			memcpy(vc.coin_id, c->coin.id, COUPON_ID_LEN);
			vc.last_index = c->low;
			memcpy(vc.last_token, c->token, COUPON_ID_LEN);
			coupon_vendor_settle_req(&e->x->cfg, &vc, false, &sreq);
			coupon_spec_settle_req(&spec, &sreq);
			json_decref(x_post(sim, "/coupon/settle", &spec, &status));
			sim_trace(sim, w->eve, "x locked a coin with a token eve copied off a link (settle: %ld)", status);
			return;
		}
	}
}

void cw_cheat_eavesdrop(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	struct eve *e = calloc(1, sizeof *e);
	if (e == NULL)
		abort();
	e->x = x_start(sim, X_ACCOMPLICE, false);
	w->cheat = e;
	sim_hooks(sim)->on_frame = eve_on_frame;
}

/* ---- m: the payer ------------------------------------------------------------------ */

struct msession {
	struct coupon_wallet_session s;
	struct coupon_wallet_coin coin[1]; /* the one coin this session may use */
	struct sim_link *l;
	unsigned tokens_left;              /* TOKEN_REQs it still answers (hold-link: then junk) */
	bool locked, done;
	bool hold;                         /* out of tokens: hold the link with junk (hold-link), else END */
	int64_t deadline;
	uint64_t lock_index;
	void (*after)(struct sim *sim, void *arg); /* once the vendor's RECEIPT came */
};

struct mpayer {
	struct coupon_wallet_store ws;
	bool loaded;
	struct msession a, b; /* hold-link: the held session at v1, the second spend at v2 */
	size_t coin;
	unsigned round;
};

static void mpayer_free(void *arg)
{
	struct mpayer *mp = arg;
	if (mp != NULL && mp->loaded)
		coupon_wstore_free(&mp->ws);
	free(mp);
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

static void m_send(struct sim *sim, struct msession *ms, uint32_t type, struct coupon_spec *spec)
{
	send(sim, ms->l, cw(sim)->m, type, spec);
}

static void m_junk(struct sim *sim, void *arg);

/* One frame to m on one of its sessions: the wallet core answers, except
 * where hold-link has it stop answering and send junk instead. */
static void m_on_frame(struct sim *sim, struct sim_node *self, struct sim_link *l, const uint8_t *frame, size_t len)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = w->cheat;
	struct msession *ms = l == mp->a.l ? &mp->a : l == mp->b.l ? &mp->b : NULL;
	uint32_t type;
	const uint8_t *body;
	size_t blen;
	struct coupon_spec spec;
	int64_t now = sim_node_now(sim, self);
	if (ms == NULL || ms->done || !frame_split(frame, len, &type, &body, &blen))
		return;
	switch (type) {
	case COUPON_MSG_OFFER: {
		static struct coupon_offer offer;
		static struct coupon_pay pay;
		memset(&offer, 0, sizeof offer);
		coupon_spec_offer(&spec, &offer);
		if (obol_cbor_decode(body, blen, &spec.fields) != OBOL_OK ||
		    coupon_wallet_on_offer(&mp->ws.cfg, &ms->s, ms->coin, 1, &offer, now, &pay) != OBOL_OK) {
			ms->done = true;
			return;
		}
		ms->deadline = offer.deadline;
		coupon_spec_pay(&spec, &pay);
		m_send(sim, ms, COUPON_MSG_PAY, &spec);
		break;
	}
	case COUPON_MSG_LOCKED: {
		struct coupon_lock_reply r;
		coupon_spec_lock_reply(&spec, &r);
		obol_err e = obol_cbor_decode(body, blen, &spec.fields);
		if (e == OBOL_OK)
			e = coupon_wallet_on_locked(&mp->ws.cfg, &ms->s, ms->coin, &r);
		if (e == OBOL_OK) {
			ms->locked = true;
			ms->lock_index = r.index;
		} else {
			sim_trace(sim, self, "cannot take the lock answer: %s", obol_strerror(e));
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
			return;
		if (ms->tokens_left == 0) {
			if (ms->hold)
				return; /* hold-link: the session is held with junk from now on */
			struct coupon_end end = { 0 };
			coupon_spec_end(&spec, &end);
			m_send(sim, ms, COUPON_MSG_END, &spec);
			return;
		}
		if (coupon_wallet_on_token_req(&mp->ws.cfg, &ms->s, ms->coin, 1, &req, now, &ans, &tok, &pay) != OBOL_OK ||
		    ans != COUPON_WA_TOKEN) {
			struct coupon_end end = { 0 };
			coupon_spec_end(&spec, &end);
			m_send(sim, ms, COUPON_MSG_END, &spec);
			return;
		}
		ms->tokens_left--;
		coupon_spec_token(&spec, &tok);
		m_send(sim, ms, COUPON_MSG_TOKEN, &spec);
		OBOL_WIPE(tok);
		break;
	}
	case COUPON_MSG_SERVED: {
		static struct coupon_served m;
		coupon_spec_served(&spec, &m);
		if (obol_cbor_decode(body, blen, &spec.fields) == OBOL_OK)
			coupon_wallet_on_served(&ms->s, &m);
		break;
	}
	case COUPON_MSG_RECEIPT:
		ms->done = true;
		sim_link_close(sim, l, self);
		if (ms->after != NULL)
			sim_at(sim, 2 * SIM_S, ms->after, mp);
		break;
	default:
		break;
	}
}

static void m_on_close(struct sim *sim, struct sim_node *self, struct sim_link *l)
{
	struct mpayer *mp = cw(sim)->cheat;
	(void)self;
	if (l == mp->a.l)
		mp->a.done = true;
	if (l == mp->b.l)
		mp->b.done = true;
}

/* Junk on the held link every few seconds: a frame of an unknown type in
 * coupon's range keeps the vendor's read deadline alive. */
static void m_junk(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = arg;
	if (mp->a.done || mp->a.l == NULL || sim_quiescing(sim))
		return;
	struct coupon_end end = { 0 };
	struct coupon_spec spec;
	coupon_spec_end(&spec, &end);
	if (sim_link_send_fields(sim, mp->a.l, w->m, COUPON_MSG_DL_MAX, &spec.fields) != OBOL_OK)
		return;
	sim_at(sim, 4 * SIM_S, m_junk, mp);
}

/* After v1's T: the same tokens, spent at v2. */
static void m_second_spend(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = arg;
	struct coupon_buy buy;
	struct coupon_spec spec;
	if (!mp->a.locked || sim_quiescing(sim))
		return;
	memset(&mp->b, 0, sizeof mp->b);
	mp->b.coin[0] = mp->ws.coins[mp->coin];
	mp->b.coin[0].last_index = mp->a.lock_index; /* where the issuer still has it: v1 never settled */
	mp->b.coin[0].lock_open = false;
	mp->b.coin[0].trav_len = 0;
	mp->b.tokens_left = 12;
	mp->b.l = sim_link_open(sim, w->m, w->v[1]);
	if (mp->b.l == NULL || coupon_wallet_buy(&mp->b.s, 10, &buy) != OBOL_OK)
		return;
	sim_trace(sim, w->m, "spends at v2 the tokens it gave v1, whose link it still holds");
	coupon_spec_buy(&spec, &buy);
	m_send(sim, &mp->b, COUPON_MSG_BUY, &spec);
}

/* Once the second spend is over, the held link is let go: v1 settles late. */
static void m_release(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = arg;
	if (!mp->b.done && !sim_quiescing(sim)) {
		sim_at(sim, 5 * SIM_S, m_release, mp);
		return;
	}
	if (mp->a.l != NULL && !mp->a.done) {
		mp->a.done = true;
		sim_link_close(sim, mp->a.l, w->m);
	}
}

static void m_hold_start(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = arg;
	struct coupon_buy buy;
	struct coupon_spec spec;
	(void)n;
	(void)rc;
	if (sim_quiescing(sim) || m_load(sim, mp) != OBOL_OK)
		return;
	mp->coin = SIZE_MAX;
	for (size_t i = 0; i < mp->ws.ncoins; i++)
		if (mp->ws.coins[i].last_index >= 40 && !mp->ws.coins[i].lock_open)
			mp->coin = i;
	if (mp->coin == SIZE_MAX)
		return;
	memset(&mp->a, 0, sizeof mp->a);
	mp->a.coin[0] = mp->ws.coins[mp->coin];
	mp->a.hold = true;
	mp->a.tokens_left = 4 + (unsigned)sim_below(sim, 6);
	mp->a.l = sim_link_open(sim, w->m, w->v[0]);
	if (mp->a.l == NULL || coupon_wallet_buy(&mp->a.s, 30, &buy) != OBOL_OK)
		return;
	coupon_spec_buy(&spec, &buy);
	m_send(sim, &mp->a, COUPON_MSG_BUY, &spec);
	sim_at(sim, 8 * SIM_S, m_junk, mp);
	/* v1's lock runs 300 s: the second spend just after it */
	sim_at(sim, 310 * SIM_S, m_second_spend, mp);
	sim_at(sim, 330 * SIM_S, m_release, mp);
}

static void m_hold_begin(struct sim *sim, void *arg)
{
	const char *args[] = { "wallet", "withdraw", "--count", "1", "--denom", "1", NULL };
	sim_command(sim, cw(sim)->m, m_hold_start, arg, args);
}

void cw_cheat_hold_link(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = calloc(1, sizeof *mp);
	if (mp == NULL)
		abort();
	w->cheat = mp;
	w->cheat_free = mpayer_free;
	w->m->on_frame = m_on_frame;
	w->m->on_close = m_on_close;
	w->act_every_s = 60;
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
	struct cw_world *w = cw(sim);
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
	(void)w;
}

void cw_cheat_rollback(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	struct mpayer *mp = calloc(1, sizeof *mp);
	if (mp == NULL)
		abort();
	w->cheat = mp;
	w->cheat_free = mpayer_free;
	sim_at(sim, (int64_t)(5 + sim_below(sim, 60)) * SIM_S, rollback_next, mp);
}

/* ---- denom-swap: one coin id under two denominations (issue 11 case 6) ----
 * m withdraws a coin A of 100 tokens from a seed S, and a coin B of 10
 * tokens from H^90(S): both have the id H^100(S). It spends A down to index
 * 10 at its accomplice x (the issuer now holds the coin as A's, a token
 * worth EUR 0.001), then pays v1 with B's signature (a token worth EUR
 * 0.005 to v1) and the tokens of S's chain, which the issuer accepts. */

struct swap {
	struct mpayer mp;
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

static void swap_spend(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct swap *sw = arg;
	struct mpayer *mp = &sw->mp;
	struct coupon_buy buy;
	struct coupon_spec spec;
	if (sim_quiescing(sim))
		return;
	/* B's signed coin, A's chain, where the issuer has it now */
	memset(&mp->b, 0, sizeof mp->b);
	mp->b.coin[0] = sw->a;
	mp->b.coin[0].coin = sw->b.coin;
	mp->b.coin[0].last_index = 10;
	mp->b.coin[0].lock_open = false;
	mp->b.coin[0].trav_len = 0;
	mp->b.tokens_left = 20;
	mp->b.l = sim_link_open(sim, w->m, w->v[0]);
	if (mp->b.l == NULL || coupon_wallet_buy(&mp->b.s, 40, &buy) != OBOL_OK)
		return;
	sim_trace(sim, w->m, "pays v1 with the coin under its dearer denomination");
	coupon_spec_buy(&spec, &buy);
	m_send(sim, &mp->b, COUPON_MSG_BUY, &spec);
}

static void swap_begin(struct sim *sim, void *arg)
{
	struct cw_world *w = cw(sim);
	struct swap *sw = arg;
	struct mpayer *mp = &sw->mp;
	uint8_t s_a[32], s_b[32];
	struct coupon_buy buy;
	struct coupon_spec spec;
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
	    memcmp(sw->a.coin.id, sw->b.coin.id, COUPON_ID_LEN) != 0) {
		sim_trace(sim, w->m, "cannot withdraw the two coins");
		return;
	}
	sim_trace(sim, w->m, "holds one coin id under denominations 1 and 2");
	/* spend A at x down to index 10: 90 units at EUR 0.001 */
	if (m_load(sim, mp) != OBOL_OK)
		return;
	memset(&mp->a, 0, sizeof mp->a);
	mp->a.coin[0] = sw->a;
	mp->a.tokens_left = 200;
	mp->a.after = swap_spend;
	mp->a.l = sim_link_open(sim, w->m, w->x);
	if (mp->a.l == NULL || coupon_wallet_buy(&mp->a.s, 90, &buy) != OBOL_OK)
		return;
	coupon_spec_buy(&spec, &buy);
	m_send(sim, &mp->a, COUPON_MSG_BUY, &spec);
}

void cw_cheat_denom_swap(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	struct swap *sw = calloc(1, sizeof *sw);
	if (sw == NULL)
		abort();
	w->cheat = &sw->mp; /* the first member: swap_spend gets it back as the swap */
	w->cheat_free = mpayer_free; /* frees the swap: mp is its first member */
	x_start(sim, X_ACCOMPLICE, false);
	w->m->on_frame = m_on_frame;
	w->m->on_close = m_on_close;
	sim_at(sim, (int64_t)(5 + sim_below(sim, 60)) * SIM_S, swap_begin, sw);
}
