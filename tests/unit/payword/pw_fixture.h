/* A payword world for the core tests: an agent key, a user with a key and a
 * first certificate of 10 tokens of EUR:0.01, a wallet holding it, three
 * vendors: A (10) and B (11) generic, S (12) specific, and a fresh, empty
 * CRL. */
#ifndef OBOL_TESTS_PW_FIXTURE_H
#define OBOL_TESTS_PW_FIXTURE_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/payword/agent.h"
#include "schemes/payword/vendor.h"
#include "schemes/payword/wallet.h"
#include "../test.h"

#define PW_NOW INT64_C(1800000000)
#define PW_A 10
#define PW_B 11
#define PW_S 12

struct pw_world {
	struct obol_sign_keypair agent, user;
	struct obol_ed25519_signer agent_sg; /* over agent */
	struct payword_user u;
	struct payword_agent_cert cert; /* the agent's record of the first certificate */
	struct payword_wallet_cert w;
	struct payword_vendor_cfg va, vb, vs;
	struct obol_amount tv;          /* token value */
	struct payword_crl crl;         /* issued at PW_NOW, empty */
	uint64_t crl_buf[1];
};

static inline struct payword_pw_params pw_fast(void)
{
	struct payword_pw_params p = { crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN };
	return p;
}

static inline struct obol_amount pw_eur(const char *text)
{
	struct obol_amount a;
	memset(&a, 0, sizeof(a));
	if (obol_amount_parse(text, &a) != OBOL_OK)
		a.units = -1;
	return a;
}

/* Issues a certificate of `tokens` tokens of scope `scope` for w->u with no
 * earlier certificate; fills the agent record and the wallet. */
static inline obol_err pw_issue(struct pw_world *w, uint64_t serial, uint64_t scope, uint64_t tokens)
{
	struct payword_buy_params p;
	struct payword_buy_effect r;
	struct payword_ucert uc;
	uint8_t buf[PAYWORD_UCERT_MAX];
	int64_t moved[1];
	size_t len;
	obol_err e;
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	r.moved = moved;
	p.serial = serial;
	p.scope = scope;
	p.buy_tokens = tokens;
	p.token_value = w->tv;
	p.now = PW_NOW;
	p.validity = 86400;
	e = payword_agent_buy(&w->u, NULL, 0, &p, &w->agent_sg, &r);
	if (e)
		return e;
	memset(&w->cert, 0, sizeof(w->cert));
	w->cert.vc = r.vc;
	w->cert.status = PAYWORD_CERT_LIVE;
	if ((e = payword_agent_ucert(&w->u, 1, 1, &w->cert, &uc)) != OBOL_OK)
		return e;
	e = payword_ucert_encode(&uc, buf, &len);
	if (e == OBOL_OK)
		e = payword_wallet_accept(buf, len, w->agent.pk, w->u.username, w->user.pk, &w->w);
	obol_wipe(&uc, sizeof(uc));
	obol_wipe(buf, sizeof(buf));
	return e;
}

static inline obol_err pw_world_init(struct pw_world *w)
{
	struct payword_pw_params pp = pw_fast();
	struct payword_account_view acc = { .user_kind = true, .active = true };
	obol_err e;
	memset(w, 0, sizeof(*w));
	if ((e = obol_crypto_init()) != OBOL_OK)
		return e;
	obol_sign_keypair_new(&w->agent);
	obol_ed25519_signer_local(&w->agent_sg, &w->agent);
	obol_sign_keypair_new(&w->user);
	memcpy(acc.auth_pk, w->user.pk, OBOL_SIGN_PK_LEN);
	w->tv = pw_eur("EUR:0.01");
	if ((e = payword_agent_user_new(&acc, "alice", "correct horse", &pp, &w->u)) != OBOL_OK)
		return e;
	w->va = (struct payword_vendor_cfg){ .vendor_id = PW_A, .mode = PAYWORD_MODE_GENERIC, .crl_max_age = 60 };
	w->vb = (struct payword_vendor_cfg){ .vendor_id = PW_B, .mode = PAYWORD_MODE_GENERIC, .crl_max_age = 60 };
	w->vs = (struct payword_vendor_cfg){ .vendor_id = PW_S, .mode = PAYWORD_MODE_SPECIFIC, .crl_max_age = 60 };
	memcpy(w->va.agent_pk, w->agent.pk, OBOL_SIGN_PK_LEN);
	memcpy(w->vb.agent_pk, w->agent.pk, OBOL_SIGN_PK_LEN);
	memcpy(w->vs.agent_pk, w->agent.pk, OBOL_SIGN_PK_LEN);
	if ((e = payword_agent_crl(w->crl_buf, 0, 1, PW_NOW, &w->agent_sg, &w->crl)) != OBOL_OK)
		return e;
	return pw_issue(w, 1, PAYWORD_GENERIC, 10);
}

/* The wallet's purchase request for `value` at vendor v (no cap of its own). */
static inline struct payword_wallet_pay_req pw_req(uint64_t vendor, const char *value, int64_t now)
{
	struct payword_wallet_pay_req r = { .vendor_id = vendor, .product = "article-1", .now = now };
	r.value = pw_eur(value);
	r.max_amount = r.value;
	return r;
}

/* The wallet pays `value` at a vendor, the vendor checks it with its state
 * *st (has_st false: none yet) and the world's CRL, and the wallet takes the
 * reply. Returns the vendor's verdict; *claim is the report line on
 * success. */
static inline obol_err pw_buy(struct pw_world *w, const struct payword_vendor_cfg *v, struct payword_vendor_serial *st,
			      bool *has_st, const char *value, int64_t now, struct payword_claim *claim)
{
	struct payword_pay req;
	struct payword_pay_reply rep = { PAYWORD_AUTH_NONE, OBOL_OK };
	struct payword_vendor_serial next;
	struct payword_wallet_pay_req r = pw_req(v->vendor_id, value, now);
	obol_err e = payword_wallet_pay(&w->w, w->user.sk, &r, &req);
	if (e)
		return e;
	e = payword_vendor_purchase(v, &w->crl, *has_st ? st : NULL, &req, now, 4242, &next, claim);
	if (e == OBOL_OK) {
		*st = next;
		*has_st = true;
		rep.auth = 4242;
	} else {
		rep.err = e;
	}
	obol_err we = payword_wallet_reply(&w->w, &rep);
	return e ? e : we;
}

/* A report line for orders [from, to] at vendor, signed by the user (the
 * claim a vendor holds after a purchase of those tokens). */
static inline struct payword_claim pw_claim(struct pw_world *w, uint64_t vendor, uint64_t from, uint64_t to)
{
	struct payword_claim c;
	memset(&c, 0, sizeof(c));
	c.vendor = vendor;
	c.range = (struct payword_range){ .serial = w->cert.vc.serial, .vendor = vendor, .from = from, .to = to };
	payword_range_sign(&c.range, w->user.sk);
	if (payword_chain_token(&w->cert.vc, w->w.uc.seed, to, c.token) != OBOL_OK)
		memset(c.token, 0, 32);
	if (obol_amount_mul(&c.value, &w->tv, to - from + 1) != OBOL_OK)
		c.value.units = 0;
	c.auth = (int64_t)(1000 + to);
	strcpy(c.product, "article-1");
	return c;
}

#endif
