/* payword user module: see wallet.h (seed 003 §3.5 purchase, §3.1, §4). */
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/payword/wallet.h"

static const uint8_t STATE_MAGIC[4] = { 'O', 'P', 'W', 'S' };
#define STATE_VERSION 1
#define STATE_MAX (4 + 1 + 2 + PAYWORD_UCERT_MAX + 8 * 4 + 1 + PAYWORD_COMMIT_BODY_LEN + OBOL_SIGN_LEN + 1 + 8 + \
		   1 + PAYWORD_PRODUCT_MAX + 8 + 1 + PAYWORD_COMMIT_BODY_LEN + OBOL_SIGN_LEN)

obol_err payword_wallet_accept(const uint8_t *ucert, size_t len, const uint8_t agent_pk[static OBOL_SIGN_PK_LEN],
			       const char *username, const uint8_t user_pk[static OBOL_SIGN_PK_LEN],
			       struct payword_wallet_cert *out)
{
	uint8_t root[PAYWORD_TOKEN_LEN];
	obol_err e;
	memset(out, 0, sizeof(*out));
	e = payword_ucert_decode(ucert, len, &out->uc);
	if (e)
		goto out;
	e = payword_vcert_verify(&out->uc.vc, agent_pk);
	if (e)
		goto out;
	if (strcmp(out->uc.vc.username, username) != 0 ||
	    memcmp(out->uc.vc.user_pk, user_pk, OBOL_SIGN_PK_LEN) != 0) {
		e = OBOL_E_PAYWORD_CERT_MISMATCH;
		goto out;
	}
	obol_hashchain_step(root, out->uc.seed, out->uc.vc.n);
	if (!obol_ct_equal(root, out->uc.vc.root, PAYWORD_TOKEN_LEN)) {
		e = OBOL_E_PAYWORD_SEED_MISMATCH;
		goto out;
	}
	out->next = out->uc.vc.first_order;
out:
	if (e)
		payword_wallet_wipe(out);
	OBOL_WIPE(root);
	return e;
}

uint64_t payword_wallet_unspent(const struct payword_wallet_cert *w)
{
	uint64_t end = w->uc.vc.first_order + w->uc.vc.n;
	return w->next < end ? end - w->next : 0;
}

obol_err payword_wallet_pay(struct payword_wallet_cert *w, const uint8_t user_sk[static OBOL_SIGN_SK_LEN],
			    uint64_t vendor_id, const struct obol_amount *value, const char *product, int64_t now,
			    struct payword_pay *out)
{
	const struct payword_vcert *vc = &w->uc.vc;
	struct payword_pay req;
	uint64_t m;
	obol_err e = OBOL_OK;

	memset(&req, 0, sizeof(req));
	if (w->pending) {
		e = OBOL_E_PAYWORD_IN_DOUBT;
		goto out;
	}
	if (!obol_amount_same_currency(value, &vc->token_value)) {
		e = OBOL_E_PAYWORD_TOKEN_VALUE;
		goto out;
	}
	if (obol_amount_count_exact(value, &vc->token_value, &m) != OBOL_OK || m == 0) {
		e = OBOL_E_PAYWORD_VALUE_MISMATCH;
		goto out;
	}
	if (m > payword_wallet_unspent(w)) {
		e = OBOL_E_PAYWORD_TOKENS_LOW;
		goto out;
	}
	if (now > vc->not_after) {
		e = OBOL_E_PAYWORD_CERT_EXPIRED;
		goto out;
	}
	e = obol_strlcpy_checked(req.product, product, sizeof(req.product));
	if (e)
		goto out;
	req.vc = *vc;
	req.serial = vc->serial;
	memcpy(req.username, vc->username, sizeof(req.username));
	req.order = w->next + m - 1;
	req.value = *value;
	e = payword_chain_token(vc, w->uc.seed, req.order, req.token);
	if (e)
		goto out;
	if (!w->visit_open || w->visit.vendor != vendor_id) {
		req.has_commit = true;
		req.commit.serial = vc->serial;
		req.commit.vendor = vendor_id;
		req.commit.start = w->next;
		req.commit.time = now > w->last_commit_time ? now : w->last_commit_time + 1;
		payword_commit_sign(&req.commit, user_sk);
		w->last_commit_time = req.commit.time;
	}
	w->pending = true;
	w->req = req;
	*out = req;
out:
	OBOL_WIPE(req.token);
	return e;
}

/* The pending tokens end: spent (auth) or in doubt (skipped). */
static void settle_pending(struct payword_wallet_cert *w, bool spent)
{
	uint64_t m = w->req.order - w->next + 1;
	if (spent) {
		if (w->req.has_commit) {
			w->visit_open = true;
			w->visit = w->req.commit;
		}
	} else {
		w->in_doubt += m;
		w->visit_open = false;
	}
	w->next = w->req.order + 1;
	w->pending = false;
	OBOL_WIPE(w->req);
}

obol_err payword_wallet_reply(struct payword_wallet_cert *w, const struct payword_pay_reply *r)
{
	if (!w->pending)
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (r->auth > 0) {
		settle_pending(w, true);
		return OBOL_OK;
	}
	settle_pending(w, false);
	return r->err != OBOL_OK ? r->err : OBOL_E_PEER_ERROR;
}

void payword_wallet_give_up(struct payword_wallet_cert *w)
{
	if (w->pending)
		settle_pending(w, false);
}

/* --- sealed state --------------------------------------------------- */

static void put_u64(uint8_t **p, uint64_t v)
{
	for (int i = 7; i >= 0; i--)
		(*p)[i] = (uint8_t)(v >> (8 * (7 - i)));
	*p += 8;
}

static uint64_t get_u64(const uint8_t **p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | (*p)[i];
	*p += 8;
	return v;
}

static void put_commit(uint8_t **p, const struct payword_commit *c)
{
	payword_commit_body(c, *p);
	*p += PAYWORD_COMMIT_BODY_LEN;
	memcpy(*p, c->sig, OBOL_SIGN_LEN);
	*p += OBOL_SIGN_LEN;
}

static void get_commit(const uint8_t **p, struct payword_commit *c)
{
	const uint8_t *q = *p + 4;
	c->serial = get_u64(&q);
	c->vendor = get_u64(&q);
	c->start = get_u64(&q);
	c->time = (int64_t)get_u64(&q);
	memcpy(c->sig, q, OBOL_SIGN_LEN);
	*p += PAYWORD_COMMIT_BODY_LEN + OBOL_SIGN_LEN;
}

obol_err payword_wallet_seal(const struct payword_wallet_cert *w, const char *password, uint32_t opslimit,
			     uint32_t memlimit_kib, uint8_t **out, size_t *out_len)
{
	uint8_t buf[STATE_MAX], *p = buf;
	size_t ulen, plen = strlen(w->req.product);
	struct obol_filekey key;
	obol_err e;

	memset(&key, 0, sizeof(key));
	memcpy(p, STATE_MAGIC, 4), p += 4;
	*p++ = STATE_VERSION;
	e = payword_ucert_encode(&w->uc, p + 2, &ulen);
	if (e)
		goto out;
	p[0] = (uint8_t)(ulen >> 8), p[1] = (uint8_t)ulen, p += 2 + ulen;
	put_u64(&p, w->next);
	put_u64(&p, w->in_doubt);
	put_u64(&p, (uint64_t)w->last_commit_time);
	*p++ = w->visit_open;
	if (w->visit_open)
		put_commit(&p, &w->visit);
	*p++ = w->pending;
	if (w->pending) {
		put_u64(&p, w->req.order);
		put_u64(&p, (uint64_t)w->req.value.units);
		*p++ = (uint8_t)plen;
		memcpy(p, w->req.product, plen), p += plen;
		*p++ = w->req.has_commit;
		if (w->req.has_commit)
			put_commit(&p, &w->req.commit);
	}
	e = obol_filekey_from_passphrase(&key, password, NULL, opslimit, memlimit_kib);
	if (e)
		goto out;
	e = obol_fileseal_seal(&key, buf, (size_t)(p - buf), out, out_len);
out:
	obol_filekey_wipe(&key);
	OBOL_WIPE(buf);
	return e;
}

obol_err payword_wallet_open(const uint8_t *sealed, size_t len, const char *password, struct payword_wallet_cert *w)
{
	struct obol_filekey key;
	uint8_t salt[16], *plain = NULL;
	const uint8_t *p, *end;
	size_t plain_len = 0, ulen, plen;
	uint32_t ops, mem;
	int from_pass;
	obol_err e;

	memset(&key, 0, sizeof(key));
	memset(w, 0, sizeof(*w));
	e = obol_fileseal_header(sealed, len, &from_pass, salt, &ops, &mem);
	if (e)
		goto out;
	e = obol_filekey_from_passphrase(&key, password, salt, ops, mem);
	if (e)
		goto out;
	e = obol_fileseal_open(&key, sealed, len, &plain, &plain_len);
	if (e)
		goto out;
	e = OBOL_E_WALLET_FILE;
	p = plain, end = plain + plain_len;
	if (plain_len < 7 || memcmp(p, STATE_MAGIC, 4) != 0 || p[4] != STATE_VERSION)
		goto out;
	ulen = ((size_t)p[5] << 8) | p[6];
	p += 7;
	if ((size_t)(end - p) < ulen + 25 || payword_ucert_decode(p, ulen, &w->uc) != OBOL_OK)
		goto out;
	p += ulen;
	w->next = get_u64(&p);
	w->in_doubt = get_u64(&p);
	w->last_commit_time = (int64_t)get_u64(&p);
	w->visit_open = *p++ != 0;
	if (w->visit_open) {
		if ((size_t)(end - p) < PAYWORD_COMMIT_BODY_LEN + OBOL_SIGN_LEN + 1)
			goto out;
		get_commit(&p, &w->visit);
	}
	if (p >= end)
		goto out;
	w->pending = *p++ != 0;
	if (w->pending) {
		if ((size_t)(end - p) < 17)
			goto out;
		w->req.order = get_u64(&p);
		if (obol_amount_from_units(w->uc.vc.token_value.currency, (int64_t)get_u64(&p), &w->req.value))
			goto out;
		plen = *p++;
		if (plen > PAYWORD_PRODUCT_MAX || (size_t)(end - p) < plen + 1)
			goto out;
		memcpy(w->req.product, p, plen), p += plen;
		w->req.has_commit = *p++ != 0;
		if (w->req.has_commit) {
			if ((size_t)(end - p) < PAYWORD_COMMIT_BODY_LEN + OBOL_SIGN_LEN)
				goto out;
			get_commit(&p, &w->req.commit);
		}
		w->req.vc = w->uc.vc;
		w->req.serial = w->uc.vc.serial;
		memcpy(w->req.username, w->uc.vc.username, sizeof(w->req.username));
		if (payword_chain_token(&w->uc.vc, w->uc.seed, w->req.order, w->req.token) != OBOL_OK ||
		    w->req.order < w->next)
			goto out;
	}
	if (p != end || w->next < w->uc.vc.first_order || w->next > w->uc.vc.first_order + w->uc.vc.n)
		goto out;
	e = OBOL_OK;
out:
	if (e)
		payword_wallet_wipe(w);
	if (plain != NULL) {
		obol_wipe(plain, plain_len);
		free(plain);
	}
	obol_filekey_wipe(&key);
	return e;
}

void payword_wallet_wipe(struct payword_wallet_cert *w)
{
	obol_wipe(w, sizeof(*w));
}
