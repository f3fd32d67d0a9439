/* payword user module: see wallet.h (seed 003 §3.5 purchase, §3.1, §4). */
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/payword/wallet.h"

static const uint8_t STATE_MAGIC[4] = { 'O', 'P', 'W', 'S' };
#define STATE_VERSION 2
#define STATE_V1 1 /* before signed ranges: visit commitments */
#define V1_COMMIT_LEN (4 + 8 + 8 + 8 + 8 + OBOL_SIGN_LEN)
#define STATE_MAX (4 + 1 + 2 + PAYWORD_UCERT_MAX + 8 * 2 + 1 + 8 + 8 + 1 + PAYWORD_PRODUCT_MAX + 8 + OBOL_SIGN_LEN)

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
	/* a pending purchase's tokens are signed over to its vendor */
	uint64_t free_from = w->pending ? w->req.order + 1 : w->next;
	return free_from < end ? end - free_from : 0;
}

obol_err payword_wallet_pay(struct payword_wallet_cert *w, const uint8_t user_sk[static OBOL_SIGN_SK_LEN],
			    const struct payword_wallet_pay_req *r, struct payword_pay *out)
{
	const struct payword_vcert *vc = &w->uc.vc;
	struct payword_pay req;
	uint64_t m;
	int cmp;
	obol_err e = OBOL_OK;

	memset(&req, 0, sizeof(req));
	if (w->pending) {
		e = OBOL_E_PAYWORD_IN_DOUBT;
		goto out;
	}
	/* P2: never more than the caller allows, whatever the vendor asks. */
	if (obol_amount_cmp(&r->value, &r->max_amount, &cmp) != OBOL_OK) {
		e = OBOL_E_PAYWORD_TOKEN_VALUE;
		goto out;
	}
	if (cmp > 0) {
		e = OBOL_E_PAYWORD_PRICE_ABOVE_MAX;
		goto out;
	}
	if (!obol_amount_same_currency(&r->value, &vc->token_value)) {
		e = OBOL_E_PAYWORD_TOKEN_VALUE;
		goto out;
	}
	if (obol_amount_count_exact(&r->value, &vc->token_value, &m) != OBOL_OK || m == 0) {
		e = OBOL_E_PAYWORD_VALUE_MISMATCH;
		goto out;
	}
	if (m > payword_wallet_unspent(w)) {
		e = OBOL_E_PAYWORD_TOKENS_LOW;
		goto out;
	}
	if (r->now > vc->not_after) {
		e = OBOL_E_PAYWORD_CERT_EXPIRED;
		goto out;
	}
	e = obol_strlcpy_checked(req.product, r->product, sizeof(req.product));
	if (e)
		goto out;
	req.vc = *vc;
	req.serial = vc->serial;
	memcpy(req.username, vc->username, sizeof(req.username));
	req.order = w->next + m - 1;
	req.value = r->value;
	e = payword_chain_token(vc, w->uc.seed, req.order, req.token);
	if (e)
		goto out;
	/* The range this purchase pays: the user's consent, for this vendor only. */
	req.range.serial = vc->serial;
	req.range.vendor = r->vendor_id;
	req.range.from = w->next;
	req.range.to = req.order;
	payword_range_sign(&req.range, user_sk);
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
	if (!spent)
		w->in_doubt += m;
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

bool payword_wallet_buy_refused_for_good(obol_err e)
{
	unsigned status = obol_errhttp(e);
	/* 429 and 408 say "later", not "no" (as obol_http_status_definitive):
	 * a stranger's wrong guesses can rate-limit the user's own resend, which
	 * the agent answers before its stored answer */
	return e != OBOL_OK && status >= 400 && status < 500 && status != 429 && status != 408 &&
	       e != OBOL_E_STORE_CONFLICT && e != OBOL_E_IDEMPOTENCY_MISMATCH;
}

void payword_wallet_position(struct payword_wallet_cert *w, const uint8_t user_sk[static OBOL_SIGN_SK_LEN],
			     struct payword_position *out)
{
	payword_wallet_give_up(w);
	memset(out, 0, sizeof(*out));
	out->serial = w->uc.vc.serial;
	out->next = w->next;
	payword_position_sign(out, user_sk);
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
	*p++ = w->pending;
	if (w->pending) {
		put_u64(&p, w->req.order);
		put_u64(&p, (uint64_t)w->req.value.units);
		*p++ = (uint8_t)plen;
		memcpy(p, w->req.product, plen), p += plen;
		put_u64(&p, w->req.range.vendor);
		memcpy(p, w->req.range.sig, OBOL_SIGN_LEN), p += OBOL_SIGN_LEN;
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

/* Bytes left from p to end: at least n, or the state is cut short. */
static bool has(const uint8_t *p, const uint8_t *end, size_t n)
{
	return (size_t)(end - p) >= n;
}

/* A version 1 state after its certificate: last commitment time, an open
 * visit, a pending purchase under a commitment. The visit no longer
 * matters; a pending purchase cannot be sent again without a signed range,
 * so its tokens are in doubt. */
static bool open_v1_tail(const uint8_t **pp, const uint8_t *end, struct payword_wallet_cert *w)
{
	const uint8_t *p = *pp;
	if (!has(p, end, 9))
		return false;
	p += 8; /* the last commitment's time */
	if (*p++ != 0) {
		if (!has(p, end, V1_COMMIT_LEN))
			return false;
		p += V1_COMMIT_LEN;
	}
	if (!has(p, end, 1))
		return false;
	if (*p++ != 0) {
		uint64_t order;
		size_t plen;
		if (!has(p, end, 17))
			return false;
		order = get_u64(&p);
		p += 8; /* value */
		plen = *p++;
		if (plen > PAYWORD_PRODUCT_MAX || !has(p, end, plen + 1))
			return false;
		p += plen;
		if (*p++ != 0) {
			if (!has(p, end, V1_COMMIT_LEN))
				return false;
			p += V1_COMMIT_LEN;
		}
		if (order < w->next || order >= w->uc.vc.first_order + w->uc.vc.n)
			return false;
		w->in_doubt += order - w->next + 1;
		w->next = order + 1;
	}
	*pp = p;
	return true;
}

static bool open_pending(const uint8_t **pp, const uint8_t *end, struct payword_wallet_cert *w)
{
	const uint8_t *p = *pp;
	size_t plen;
	if (!has(p, end, 17))
		return false;
	w->req.order = get_u64(&p);
	if (obol_amount_from_units(w->uc.vc.token_value.currency, (int64_t)get_u64(&p), &w->req.value))
		return false;
	plen = *p++;
	if (plen > PAYWORD_PRODUCT_MAX || !has(p, end, plen + 8 + OBOL_SIGN_LEN))
		return false;
	memcpy(w->req.product, p, plen), p += plen;
	w->req.vc = w->uc.vc;
	w->req.serial = w->uc.vc.serial;
	memcpy(w->req.username, w->uc.vc.username, sizeof(w->req.username));
	w->req.range.serial = w->uc.vc.serial;
	w->req.range.vendor = get_u64(&p);
	w->req.range.from = w->next;
	w->req.range.to = w->req.order;
	memcpy(w->req.range.sig, p, OBOL_SIGN_LEN), p += OBOL_SIGN_LEN;
	if (w->req.order < w->next ||
	    payword_chain_token(&w->uc.vc, w->uc.seed, w->req.order, w->req.token) != OBOL_OK)
		return false;
	*pp = p;
	return true;
}

obol_err payword_wallet_open(const uint8_t *sealed, size_t len, const char *password, struct payword_wallet_cert *w)
{
	struct obol_filekey key;
	uint8_t salt[16], *plain = NULL;
	const uint8_t *p, *end;
	size_t plain_len = 0, ulen;
	uint32_t ops, mem;
	int from_pass, version;
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
	if (plain_len < 7 || memcmp(p, STATE_MAGIC, 4) != 0 || (p[4] != STATE_VERSION && p[4] != STATE_V1))
		goto out;
	version = p[4];
	ulen = ((size_t)p[5] << 8) | p[6];
	p += 7;
	if (!has(p, end, ulen + 16) || payword_ucert_decode(p, ulen, &w->uc) != OBOL_OK)
		goto out;
	p += ulen;
	w->next = get_u64(&p);
	w->in_doubt = get_u64(&p);
	if (w->next < w->uc.vc.first_order || w->next > w->uc.vc.first_order + w->uc.vc.n)
		goto out;
	if (version == STATE_V1) {
		if (!open_v1_tail(&p, end, w))
			goto out;
	} else {
		if (!has(p, end, 1))
			goto out;
		w->pending = *p++ != 0;
		if (w->pending && !open_pending(&p, end, w))
			goto out;
	}
	if (p != end)
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
