/* The coupon test world (fixture.h). */
#include "fixture.h"

#include <string.h>

#include "crypto/rsa.h"
#include "crypto/secret.h"

#define CERT_BODY 56

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

void cfx_cert_make(uint8_t *out, size_t *len, const uint8_t vendor_pk[32], int64_t account, int64_t from,
		  int64_t until, const uint8_t signer_sk[64])
{
	memcpy(out, vendor_pk, 32);
	put64(out + 32, (uint64_t)account);
	put64(out + 40, (uint64_t)from);
	put64(out + 48, (uint64_t)until);
	obol_sign(out + CERT_BODY, "test-cert", out, CERT_BODY, signer_sk);
	*len = CERT_BODY + OBOL_SIGN_LEN;
}

obol_err cfx_cert_open(const uint8_t *cert, size_t len, const uint8_t issuer_pk[32], struct coupon_cert *out)
{
	if (len != CERT_BODY + OBOL_SIGN_LEN)
		return OBOL_E_WIRE_BAD_LENGTH;
	if (obol_sign_verify(cert + CERT_BODY, "test-cert", cert, CERT_BODY, issuer_pk) != OBOL_OK)
		return OBOL_E_SIGNATURE_INVALID;
	memset(out, 0, sizeof(*out));
	memcpy(out->vendor_pk, cert, 32);
	out->vendor_account = (int64_t)get64(cert + 32);
	out->valid_from = (int64_t)get64(cert + 40);
	out->valid_until = (int64_t)get64(cert + 48);
	return OBOL_OK;
}

int cfx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	if (obol_crypto_init() != OBOL_OK)
		return -1;
	f->now = FX_NOW;
	for (int i = 0; i < 2; i++) {
		if (obol_rsa_generate(1024, &f->key[i]) != OBOL_OK)
			return -1;
		struct coupon_denom *d = &f->denom[i];
		d->id = (uint32_t)(i + 1);
		if (obol_amount_parse(i == 0 ? "EUR:1" : "EUR:2", &d->value) != OBOL_OK)
			return -1;
		d->n = FX_N;
		d->key = f->key[i];
		d->withdraw_until = FX_NOW + 86400;
		d->spend_until = FX_NOW + 2 * 86400;
		if (coupon_denom_check(d) != OBOL_OK)
			return -1;
	}
	obol_box_keypair_new(&f->box);
	obol_sign_keypair_new(&f->master);
	f->is.denoms = f->denom;
	f->is.ndenoms = 2;
	f->is.box = &f->box;
	memcpy(f->is.sign_pk, f->master.pk, 32);
	obol_ed25519_signer_local(&f->signer, &f->master);
	f->is.cert_open = cfx_cert_open;
	f->is.lock_max_s = 3600;
	for (int v = 0; v < 2; v++) {
		struct fx_vendor *vd = &f->v[v];
		obol_sign_keypair_new(&vd->kp);
		cfx_cert_make(vd->cert, &vd->cert_len, vd->kp.pk, 100 + v, FX_NOW - 10, FX_NOW + 86400, f->master.sk);
		vd->cfg.cert = vd->cert;
		vd->cfg.cert_len = vd->cert_len;
		obol_sha256(vd->cfg.cert_hash, vd->cert, vd->cert_len);
		vd->cfg.sign_sk = vd->kp.sk;
		memcpy(vd->cfg.issuer_pk, f->master.pk, 32);
		vd->cfg.denoms = f->denom;
		vd->cfg.ndenoms = 2;
		if (obol_amount_parse("EUR:0.01", &vd->cfg.price) != OBOL_OK)
			return -1;
		vd->cfg.lock_s = 600;
		vd->cfg.margin_s = 60;
	}
	memcpy(f->wc.issuer_pk, f->master.pk, 32);
	memcpy(f->wc.issuer_box_pk, f->box.pk, 32);
	f->wc.cert_open = cfx_cert_open;
	f->wc.denoms = f->denom;
	f->wc.ndenoms = 2;
	f->wc.max_lock_s = 3600;
	return 0;
}

void cfx_free(struct fx *f)
{
	EVP_PKEY_free(f->key[0]);
	EVP_PKEY_free(f->key[1]);
	coupon_wallet_session_wipe(&f->ws);
}

obol_err cfx_withdraw(struct fx *f, int d)
{
	struct coupon_withdraw_pending p;
	struct coupon_withdraw_req req;
	struct coupon_withdraw_reply reply;
	const struct coupon_denom *den;
	obol_err e;
	if ((e = coupon_wallet_withdraw_prepare(&f->denom[d], f->now, &p, &req)) != OBOL_OK)
		return e;
	if ((e = coupon_issuer_withdraw(&f->is, &req, f->now, &reply, &den)) != OBOL_OK)
		return e;
	if ((e = coupon_wallet_withdraw_finalize(&f->denom[d], &p, &reply, &f->coins[f->ncoins])) != OBOL_OK)
		return e;
	f->ncoins++;
	return OBOL_OK;
}

static int vendor_of_account(int64_t account)
{
	return account == 100 ? 0 : 1;
}

obol_err cfx_withdraw_seed(struct fx *f, int d, const uint8_t seed[32])
{
	struct coupon_wallet_coin *c = &f->coins[f->ncoins];
	const struct coupon_denom *den = &f->denom[d];
	uint8_t msg[COUPON_COIN_MSG_LEN], prepared[OBOL_BLINDRSA_PREFIX_LEN + COUPON_COIN_MSG_LEN];
	uint8_t blinded[COUPON_SIG_MAX], bsig[COUPON_SIG_MAX];
	size_t plen, blen, slen;
	struct obol_blindrsa_state st;
	obol_err e;
	memset(c, 0, sizeof(*c));
	memcpy(c->seed, seed, 32);
	c->n = den->n;
	c->last_index = den->n;
	c->coin.denom = den->id;
	obol_hashchain_step(c->coin.id, seed, den->n);
	coupon_coin_message(msg, den->id, c->coin.id);
	if ((e = obol_blindrsa_prepare(OBOL_BLINDRSA_PSS_RANDOMIZED, msg, sizeof(msg), prepared, sizeof(prepared),
				       &plen)) != OBOL_OK ||
	    (e = obol_blindrsa_blind(den->key, prepared, plen, blinded, sizeof(blinded), &blen, &st)) != OBOL_OK ||
	    (e = obol_blindrsa_blind_sign(den->key, blinded, blen, bsig, sizeof(bsig), &slen)) != OBOL_OK ||
	    (e = obol_blindrsa_finalize(den->key, &st, bsig, slen, c->coin.sig, sizeof(c->coin.sig),
					&c->coin.sig_len)) != OBOL_OK)
		return e;
	obol_blindrsa_state_wipe(&st);
	memcpy(c->coin.prefix, prepared, OBOL_BLINDRSA_PREFIX_LEN);
	if ((e = coupon_coin_verify(&c->coin, den)) != OBOL_OK)
		return e;
	f->ncoins++;
	return OBOL_OK;
}

obol_err cfx_sync(struct fx *f, size_t i, struct coupon_coin_status *st)
{
	obol_err e;
	for (unsigned probe = 0;; probe++) {
		struct coupon_wallet_query q;
		struct coupon_coin_status_req req;
		struct coupon_coin_status_reply reply;
		struct coupon_coin_status answer;
		struct coupon_query opened;
		uint8_t qh[32];
		if ((e = coupon_wallet_query_make(&f->wc, &f->coins[i], probe, &q, &req)) != OBOL_OK)
			return e;
		if ((e = coupon_issuer_query_open(&f->is, &req, &opened, qh)) != OBOL_OK)
			return e;
		e = coupon_issuer_query_answer(&f->is, &opened, qh, cfx_coin(f, opened.coin_id), &answer);
		if (e == OBOL_OK)
			e = coupon_coin_status_seal(&answer, opened.reply_key, &reply);
		if (e == OBOL_OK)
			return coupon_wallet_query_apply(&f->wc, &f->coins[i], &q, &reply, f->now, st);
		if (e != OBOL_E_COUPON_TOKEN_NOT_IN_CHAIN)
			return e;
	}
}

obol_err cfx_issuer_refund(struct fx *f, const struct coupon_refund_req *req, int64_t account,
			   struct coupon_refund_reply *reply, struct coupon_refusal *refusal)
{
	static const uint8_t no_cert[32];
	struct coupon_refund_checked chk;
	struct coupon_refund_effect eff;
	struct coupon_proof_checked pre;
	obol_err e;
	if ((e = coupon_issuer_refund_verify(&f->is, req, account, f->now, &chk)) != OBOL_OK)
		return e;
	struct coupon_coin_state *cur = cfx_coin(f, req->coin.id);
	coupon_issuer_refund_proof(&f->is, &chk, cur, &pre);
	if ((e = coupon_issuer_refund_apply(&f->is, &chk, cur, &pre, f->now, &eff)) != OBOL_OK) {
		if (refusal && eff.has_refusal) {
			if (coupon_issuer_sign_refusal(&f->signer, &eff.refusal, no_cert, chk.box_hash) != OBOL_OK)
				return OBOL_E_INTERNAL;
			*refusal = eff.refusal;
		}
		return e;
	}
	if (eff.expired_credit_tokens)
		f->credited[vendor_of_account(eff.expired_vendor_account)] += (int64_t)eff.expired_credit_tokens;
	f->refunded += (int64_t)eff.refund_tokens;
	if (cur)
		*cur = eff.next;
	else
		f->table[f->ntable++] = eff.next;
	if ((e = coupon_issuer_sign_refund_reply(&f->signer, &eff.reply)) != OBOL_OK)
		return e;
	*reply = eff.reply;
	return OBOL_OK;
}

struct coupon_coin_state *cfx_coin(struct fx *f, const uint8_t id[32])
{
	for (size_t i = 0; i < f->ntable; i++)
		if (memcmp(f->table[i].coin_id, id, 32) == 0)
			return &f->table[i];
	return NULL;
}

obol_err cfx_issuer_lock(struct fx *f, const struct coupon_lock_req *req, struct coupon_lock_reply *reply,
			struct coupon_error *refusal)
{
	struct coupon_lock_checked chk;
	struct coupon_lock_effect eff;
	struct coupon_proof_checked pre;
	obol_err e;
	if (refusal)
		memset(refusal, 0, sizeof(*refusal));
	/* a refusal of time still answers a repeat, as in the route */
	if ((e = coupon_issuer_lock_verify(&f->is, req, f->now, &chk)) != OBOL_OK && e != chk.lapsed) {
		if (refusal)
			coupon_error_set(refusal, e, NULL);
		return e;
	}
	struct coupon_coin_state *cur = cfx_coin(f, req->coin.id);
	/* the holder proof, as the route checks it off the committer */
	if (chk.lapsed == OBOL_OK)
		coupon_issuer_lock_proof(&f->is, &chk, cur, &pre);
	e = coupon_issuer_lock_apply(&f->is, req, &chk, cur, chk.lapsed == OBOL_OK ? &pre : NULL, f->now, &eff);
	if (e != OBOL_OK) {
		/* what the vendor relays: the signed refusal when F gave one */
		if (refusal && eff.has_refusal) {
			if (coupon_issuer_sign_refusal(&f->signer, &eff.refusal, chk.cert.hash, chk.auth_hash) != OBOL_OK)
				return OBOL_E_INTERNAL;
			coupon_error_from_refusal(refusal, &eff.refusal);
		} else if (refusal) {
			coupon_error_set(refusal, e, NULL);
		}
		return e;
	}
	if (!eff.repeat) {
		if (eff.expired_credit_tokens)
			f->credited[vendor_of_account(eff.expired_vendor_account)] += (int64_t)eff.expired_credit_tokens;
		if (cur)
			*cur = eff.next;
		else
			f->table[f->ntable++] = eff.next;
	}
	if ((e = coupon_issuer_sign_lock_reply(&f->signer, &eff.reply, chk.cert.hash)) != OBOL_OK)
		return e;
	*reply = eff.reply;
	return OBOL_OK;
}

obol_err cfx_issuer_settle(struct fx *f, const struct coupon_settle_req *req, struct coupon_settle_reply *reply)
{
	struct coupon_cert cert;
	struct coupon_settle_effect eff;
	const struct coupon_settle_record *prior = NULL;
	obol_err e;
	if ((e = coupon_issuer_settle_verify(&f->is, req, &cert)) != OBOL_OK)
		return e;
	for (size_t i = 0; i < f->nsettles; i++)
		if (!memcmp(f->settles[i].coin_id, req->coin_id, 32) && !memcmp(f->settles[i].cert_hash, cert.hash, 32) &&
		    !memcmp(f->settles[i].lock, req->lock, 32) && f->settles[i].index == req->index &&
		    f->settles[i].keep == req->keep)
			prior = &f->settles[i].rec;
	struct coupon_coin_state *cur = cfx_coin(f, req->coin_id);
	if ((e = coupon_issuer_settle_apply(&f->is, req, &cert, cur, prior, NULL, &eff)) != OBOL_OK)
		return e;
	if (!eff.repeat) {
		*cur = eff.next;
		f->credited[vendor_of_account(eff.vendor_account)] += (int64_t)eff.credit_tokens;
		size_t k = f->nsettles++;
		memcpy(f->settles[k].coin_id, req->coin_id, 32);
		memcpy(f->settles[k].cert_hash, cert.hash, 32);
		memcpy(f->settles[k].lock, req->lock, 32);
		f->settles[k].index = req->index;
		f->settles[k].keep = req->keep;
		f->settles[k].rec = eff.record;
	}
	if ((e = coupon_issuer_sign_settle_reply(&f->signer, &eff.reply, cert.hash)) != OBOL_OK)
		return e;
	*reply = eff.reply;
	return OBOL_OK;
}

obol_err cfx_open_order(struct fx *f, int v, const struct coupon_wallet_order *order, struct coupon_lock_req *req)
{
	struct coupon_buy buy;
	struct coupon_offer offer;
	struct coupon_pay pay;
	struct fx_vendor *vd = &f->v[v];
	obol_err e;
	memset(&vd->s, 0, sizeof(vd->s));
	if ((e = coupon_wallet_order_start(&f->ws, order, &buy)) != OBOL_OK ||
	    (e = coupon_vendor_start(&vd->cfg, &vd->s, &buy, f->now, &offer)) != OBOL_OK ||
	    (e = coupon_wallet_on_offer(&f->wc, &f->ws, f->coins, f->ncoins, &offer, f->now, &pay)) != OBOL_OK)
		return e;
	return coupon_vendor_on_pay(&vd->cfg, &vd->s, &pay, f->now, req);
}

obol_err cfx_open(struct fx *f, int v, uint64_t units, struct coupon_lock_req *req)
{
	struct coupon_wallet_order order = { .units = units, .ahead = 1 };
	return cfx_open_order(f, v, &order, req);
}

/* Locks req at the issuer and hands the answer to the vendor and wallet;
 * on an answerable refusal, lets the wallet retry with another PAY. */
static obol_err lock_round(struct fx *f, struct fx_vendor *vd, struct coupon_lock_req *req)
{
	for (int tries = 0; tries < 4; tries++) {
		struct coupon_lock_reply reply;
		struct coupon_error err;
		obol_err e = cfx_issuer_lock(f, req, &reply, &err);
		if (e == OBOL_OK) {
			if ((e = coupon_vendor_on_lock_reply(&vd->cfg, &vd->s, &reply)) != OBOL_OK)
				return e;
			return coupon_wallet_on_locked(&f->wc, &f->ws, f->coins, &reply);
		}
		struct coupon_pay pay;
		bool retry;
		coupon_vendor_on_lock_refused(&vd->s);
		if ((e = coupon_wallet_on_error(&f->wc, &f->ws, f->coins, f->ncoins, &err, f->now, &retry, &pay)) !=
		    OBOL_OK)
			return e;
		if ((e = coupon_vendor_on_pay(&vd->cfg, &vd->s, &pay, f->now, req)) != OBOL_OK)
			return e;
	}
	return OBOL_E_INTERNAL;
}

obol_err cfx_run_order(struct fx *f, int v, const struct coupon_wallet_order *order)
{
	struct fx_vendor *vd = &f->v[v];
	struct coupon_lock_req req;
	obol_err e;
	if ((e = cfx_open_order(f, v, order, &req)) != OBOL_OK || (e = lock_round(f, vd, &req)) != OBOL_OK)
		return e;
	for (int steps = 0; steps < 100000; steps++) {
		enum coupon_vendor_action act;
		struct coupon_token_req treq;
		struct coupon_served served;
		if ((e = coupon_vendor_next(&vd->cfg, &vd->s, f->now, &act, &treq, &served)) != OBOL_OK)
			return e;
		if (act == COUPON_VA_END)
			break;
		if (act == COUPON_VA_SERVE) {
			coupon_wallet_on_served(&f->ws, &served);
			continue;
		}
		enum coupon_wallet_answer ans;
		struct coupon_token tok;
		struct coupon_pay pay;
		size_t ci;
		if ((e = coupon_wallet_on_token_req(&f->wc, &f->ws, f->coins, f->ncoins, &treq, f->now, &ans, &tok,
						    &pay)) != OBOL_OK)
			return e;
		if (ans == COUPON_WA_END)
			break;
		if (ans == COUPON_WA_TOKEN) {
			if ((e = coupon_vendor_on_token(&vd->cfg, &vd->s, &tok, f->now, &ci)) != OBOL_OK)
				return e;
		} else {
			if ((e = coupon_vendor_on_pay(&vd->cfg, &vd->s, &pay, f->now, &req)) != OBOL_OK ||
			    (e = lock_round(f, vd, &req)) != OBOL_OK)
				return e;
		}
	}
	struct coupon_receipt rc;
	coupon_vendor_end(&vd->s, &rc);
	coupon_wallet_on_receipt(&f->ws, f->coins, &rc);
	return OBOL_OK;
}

obol_err cfx_settle_all(struct fx *f, int v)
{
	struct fx_vendor *vd = &f->v[v];
	obol_err e;
	for (size_t i = 0; i < vd->s.ncoins; i++) {
		struct coupon_settle_req sreq;
		struct coupon_settle_reply srep;
		coupon_vendor_settle_req(&vd->cfg, &vd->s.coins[i], false, &sreq);
		if ((e = cfx_issuer_settle(f, &sreq, &srep)) != OBOL_OK ||
		    (e = coupon_vendor_check_settle_reply(&vd->cfg, &sreq, &srep)) != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

obol_err cfx_session_order(struct fx *f, int v, const struct coupon_wallet_order *order)
{
	obol_err e = cfx_run_order(f, v, order);
	return e == OBOL_OK ? cfx_settle_all(f, v) : e;
}

obol_err cfx_session(struct fx *f, int v, uint64_t units)
{
	struct coupon_wallet_order order = { .units = units, .ahead = 1 };
	return cfx_session_order(f, v, &order);
}
