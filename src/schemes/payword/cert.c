/* payword signed structures: vendor and user certificates, signed ranges,
 * positions and product requests, the CRL, and the chain arithmetic of
 * order numbers (seed 003 §3, §3.2; see messages.h for the layouts). */
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/payword/messages.h"
#include "core/clock.h"
#include "schemes/common/issuer_sig.h"

static const uint8_t VCERT_MAGIC[4] = { 'O', 'P', 'W', 'C' };
static const uint8_t RANGE_MAGIC[4] = { 'O', 'P', 'W', 'S' };
static const uint8_t POSITION_MAGIC[4] = { 'O', 'P', 'W', 'P' };
static const uint8_t FETCH_MAGIC[4] = { 'O', 'P', 'W', 'F' };
static const uint8_t CRL_MAGIC[4] = { 'O', 'P', 'W', 'R' };
static const uint8_t CRL_PAGE_MAGIC[4] = { 'O', 'P', 'W', 'L' };
static const uint8_t UCERT_MAGIC[4] = { 'O', 'P', 'W', 'U' };
#define VCERT_VERSION 1
#define CURRENCY_FIELD 12

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

bool payword_username_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > PAYWORD_USERNAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

uint64_t payword_vcert_last_order(const struct payword_vcert *vc)
{
	return vc->first_order + vc->n - 1;
}

static obol_err vcert_body(const struct payword_vcert *vc, uint8_t out[static PAYWORD_VCERT_BODY_MAX], size_t *len)
{
	size_t ulen = strlen(vc->username), clen = strlen(vc->token_value.currency);
	uint8_t *p = out;
	if (!payword_username_valid(vc->username) || clen == 0 || clen >= CURRENCY_FIELD || vc->n == 0 ||
	    vc->n > PAYWORD_CHAIN_MAX || vc->first_order == 0 || vc->first_order > UINT64_MAX - vc->n ||
	    vc->token_value.units <= 0)
		return OBOL_E_PAYWORD_CERT_MALFORMED;
	memcpy(p, VCERT_MAGIC, 4), p += 4;
	*p++ = VCERT_VERSION;
	put_u64(p, vc->serial), p += 8;
	put_u64(p, vc->scope), p += 8;
	put_u64(p, vc->first_order), p += 8;
	put_u64(p, vc->n), p += 8;
	put_u64(p, (uint64_t)vc->token_value.units), p += 8;
	memset(p, 0, CURRENCY_FIELD);
	memcpy(p, vc->token_value.currency, clen), p += CURRENCY_FIELD;
	memcpy(p, vc->root, PAYWORD_TOKEN_LEN), p += PAYWORD_TOKEN_LEN;
	memcpy(p, vc->user_pk, OBOL_SIGN_PK_LEN), p += OBOL_SIGN_PK_LEN;
	put_u64(p, (uint64_t)vc->issued), p += 8;
	put_u64(p, (uint64_t)vc->not_after), p += 8;
	*p++ = (uint8_t)ulen;
	memcpy(p, vc->username, ulen), p += ulen;
	*len = (size_t)(p - out);
	return OBOL_OK;
}

obol_err payword_vcert_encode(const struct payword_vcert *vc, uint8_t out[static PAYWORD_VCERT_MAX], size_t *len)
{
	size_t blen;
	obol_err e = vcert_body(vc, out, &blen);
	if (e)
		return e;
	memcpy(out + blen, vc->sig, OBOL_SIGN_LEN);
	*len = blen + OBOL_SIGN_LEN;
	return OBOL_OK;
}

obol_err payword_vcert_decode(const uint8_t *in, size_t len, struct payword_vcert *vc)
{
	const size_t fixed = 4 + 1 + 40 + CURRENCY_FIELD + 64 + 16 + 1;
	const uint8_t *p = in;
	char cur[CURRENCY_FIELD + 1];
	size_t ulen;
	memset(vc, 0, sizeof(*vc));
	if (len < fixed + 1 + OBOL_SIGN_LEN || len > PAYWORD_VCERT_MAX || memcmp(p, VCERT_MAGIC, 4) != 0 ||
	    p[4] != VCERT_VERSION)
		return OBOL_E_PAYWORD_CERT_MALFORMED;
	p += 5;
	vc->serial = get_u64(p), p += 8;
	vc->scope = get_u64(p), p += 8;
	vc->first_order = get_u64(p), p += 8;
	vc->n = get_u64(p), p += 8;
	int64_t units = (int64_t)get_u64(p);
	p += 8;
	memcpy(cur, p, CURRENCY_FIELD), p += CURRENCY_FIELD;
	cur[CURRENCY_FIELD] = 0;
	for (size_t i = strlen(cur); i < CURRENCY_FIELD; i++)
		if (cur[i] != 0)
			return OBOL_E_PAYWORD_CERT_MALFORMED;
	if (obol_amount_from_units(cur, units, &vc->token_value) != OBOL_OK)
		return OBOL_E_PAYWORD_CERT_MALFORMED;
	memcpy(vc->root, p, PAYWORD_TOKEN_LEN), p += PAYWORD_TOKEN_LEN;
	memcpy(vc->user_pk, p, OBOL_SIGN_PK_LEN), p += OBOL_SIGN_PK_LEN;
	vc->issued = (int64_t)get_u64(p), p += 8;
	vc->not_after = (int64_t)get_u64(p), p += 8;
	ulen = *p++;
	if (ulen == 0 || ulen > PAYWORD_USERNAME_MAX || len != fixed + ulen + OBOL_SIGN_LEN)
		return OBOL_E_PAYWORD_CERT_MALFORMED;
	memcpy(vc->username, p, ulen), p += ulen;
	vc->username[ulen] = 0;
	memcpy(vc->sig, p, OBOL_SIGN_LEN);
	/* Re-check the invariants the encoder enforces (n, orders, value, name). */
	uint8_t tmp[PAYWORD_VCERT_BODY_MAX];
	size_t tlen;
	if (vcert_body(vc, tmp, &tlen) != OBOL_OK || tlen + OBOL_SIGN_LEN != len)
		return OBOL_E_PAYWORD_CERT_MALFORMED;
	return OBOL_OK;
}

obol_err payword_vcert_sign(struct payword_vcert *vc, const struct obol_ed25519_signer *signer)
{
	uint8_t body[PAYWORD_VCERT_BODY_MAX];
	size_t blen;
	obol_err e = vcert_body(vc, body, &blen);
	if (e)
		return e;
	return obol_ed25519_sign(signer, PAYWORD_CTX_VCERT, body, blen, vc->sig);
}

obol_err payword_vcert_verify(const struct payword_vcert *vc, const uint8_t agent_pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t body[PAYWORD_VCERT_BODY_MAX];
	size_t blen;
	obol_err e = vcert_body(vc, body, &blen);
	if (e)
		return e;
	if (obol_issuer_sig_verify(vc->sig, PAYWORD_CTX_VCERT, body, blen, agent_pk, obol_now()) != OBOL_OK)
		return OBOL_E_PAYWORD_CERT_INVALID;
	return OBOL_OK;
}

obol_err payword_ucert_encode(const struct payword_ucert *uc, uint8_t out[static PAYWORD_UCERT_MAX], size_t *len)
{
	size_t vlen;
	obol_err e = payword_vcert_encode(&uc->vc, out + 4, &vlen);
	if (e)
		return e;
	memcpy(out, UCERT_MAGIC, 4);
	memcpy(out + 4 + vlen, uc->seed, PAYWORD_TOKEN_LEN);
	*len = 4 + vlen + PAYWORD_TOKEN_LEN;
	return OBOL_OK;
}

obol_err payword_ucert_decode(const uint8_t *in, size_t len, struct payword_ucert *uc)
{
	obol_err e;
	memset(uc, 0, sizeof(*uc));
	if (len < 4 + PAYWORD_TOKEN_LEN || len > PAYWORD_UCERT_MAX || memcmp(in, UCERT_MAGIC, 4) != 0)
		return OBOL_E_PAYWORD_CERT_MALFORMED;
	e = payword_vcert_decode(in + 4, len - 4 - PAYWORD_TOKEN_LEN, &uc->vc);
	if (e)
		return e;
	memcpy(uc->seed, in + len - PAYWORD_TOKEN_LEN, PAYWORD_TOKEN_LEN);
	return OBOL_OK;
}

static void range_body(const struct payword_range *r, uint8_t out[static PAYWORD_RANGE_BODY_LEN])
{
	memcpy(out, RANGE_MAGIC, 4);
	put_u64(out + 4, r->serial);
	put_u64(out + 12, r->vendor);
	put_u64(out + 20, r->from);
	put_u64(out + 28, r->to);
}

void payword_range_sign(struct payword_range *r, const uint8_t user_sk[static OBOL_SIGN_SK_LEN])
{
	uint8_t body[PAYWORD_RANGE_BODY_LEN];
	range_body(r, body);
	obol_sign(r->sig, PAYWORD_CTX_RANGE, body, sizeof(body), user_sk);
}

obol_err payword_range_verify(const struct payword_range *r, const struct payword_vcert *vc)
{
	uint8_t body[PAYWORD_RANGE_BODY_LEN];
	if (r->serial != vc->serial)
		return OBOL_E_PAYWORD_RANGE_INVALID;
	if (r->from > r->to || r->from < vc->first_order || r->to > payword_vcert_last_order(vc))
		return OBOL_E_PAYWORD_ORDER_RANGE;
	range_body(r, body);
	if (obol_sign_verify(r->sig, PAYWORD_CTX_RANGE, body, sizeof(body), vc->user_pk) != OBOL_OK)
		return OBOL_E_PAYWORD_RANGE_INVALID;
	return OBOL_OK;
}

bool payword_range_overlap(uint64_t a_from, uint64_t a_to, uint64_t b_from, uint64_t b_to)
{
	return a_from <= b_to && b_from <= a_to;
}

static void position_body(const struct payword_position *p, uint8_t out[static PAYWORD_POSITION_BODY_LEN])
{
	memcpy(out, POSITION_MAGIC, 4);
	put_u64(out + 4, p->serial);
	put_u64(out + 12, p->next);
}

void payword_position_sign(struct payword_position *p, const uint8_t user_sk[static OBOL_SIGN_SK_LEN])
{
	uint8_t body[PAYWORD_POSITION_BODY_LEN];
	position_body(p, body);
	obol_sign(p->sig, PAYWORD_CTX_POSITION, body, sizeof(body), user_sk);
}

obol_err payword_position_verify(const struct payword_position *p, const struct payword_vcert *vc)
{
	uint8_t body[PAYWORD_POSITION_BODY_LEN];
	if (p->serial != vc->serial || p->next < vc->first_order || p->next > vc->first_order + vc->n)
		return OBOL_E_PAYWORD_POSITION_INVALID;
	position_body(p, body);
	if (obol_sign_verify(p->sig, PAYWORD_CTX_POSITION, body, sizeof(body), vc->user_pk) != OBOL_OK)
		return OBOL_E_PAYWORD_POSITION_INVALID;
	return OBOL_OK;
}

static obol_err fetch_body(const struct payword_fetch *f, uint8_t out[static PAYWORD_FETCH_BODY_MAX], size_t *len)
{
	size_t plen = strlen(f->product);
	if (plen == 0 || plen > PAYWORD_PRODUCT_MAX)
		return OBOL_E_PAYWORD_AUTH_INVALID;
	memcpy(out, FETCH_MAGIC, 4);
	put_u64(out + 4, f->vendor);
	put_u64(out + 12, (uint64_t)f->auth);
	put_u64(out + 20, (uint64_t)f->time);
	out[28] = (uint8_t)plen;
	memcpy(out + 29, f->product, plen);
	*len = 29 + plen;
	return OBOL_OK;
}

obol_err payword_fetch_sign(struct payword_fetch *f, const uint8_t user_sk[static OBOL_SIGN_SK_LEN])
{
	uint8_t body[PAYWORD_FETCH_BODY_MAX];
	size_t len;
	obol_err e = fetch_body(f, body, &len);
	if (e == OBOL_OK)
		obol_sign(f->sig, PAYWORD_CTX_FETCH, body, len, user_sk);
	return e;
}

obol_err payword_fetch_verify(const struct payword_fetch *f, const uint8_t user_pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t body[PAYWORD_FETCH_BODY_MAX];
	size_t len;
	obol_err e = fetch_body(f, body, &len);
	if (e == OBOL_OK && obol_sign_verify(f->sig, PAYWORD_CTX_FETCH, body, len, user_pk) != OBOL_OK)
		e = OBOL_E_PAYWORD_AUTH_INVALID;
	return e;
}

/* The CRL's signed bytes; *out malloc'ed. */
static obol_err crl_body(const void *obj, uint8_t **out, size_t *len)
{
	const struct payword_crl *crl = obj;
	uint8_t *b;
	for (size_t i = 1; i < crl->count; i++)
		if (crl->serials[i] <= crl->serials[i - 1])
			return OBOL_E_PAYWORD_CRL_INVALID;
	*len = 4 + 8 + 8 + 8 + 8 * crl->count;
	b = malloc(*len);
	if (b == NULL)
		return OBOL_E_NO_MEMORY;
	memcpy(b, CRL_MAGIC, 4);
	put_u64(b + 4, crl->seq);
	put_u64(b + 12, (uint64_t)crl->issued);
	put_u64(b + 20, crl->count);
	for (size_t i = 0; i < crl->count; i++)
		put_u64(b + 28 + 8 * i, crl->serials[i]);
	*out = b;
	return OBOL_OK;
}

/* Signs or verifies the signed bytes body() makes of obj, under ctx: the
 * lists' signatures (PAYWORD_CRL_INVALID when one does not verify). */
typedef obol_err (*signed_body_fn)(const void *obj, uint8_t **out, size_t *len);

static obol_err body_sign(signed_body_fn body, const void *obj, const char *ctx,
			  const struct obol_ed25519_signer *signer, uint8_t sig[static OBOL_SIGN_LEN])
{
	uint8_t *b = NULL;
	size_t len;
	obol_err e = body(obj, &b, &len);
	if (e)
		return e;
	e = obol_ed25519_sign(signer, ctx, b, len, sig);
	free(b);
	return e;
}

static obol_err body_verify(signed_body_fn body, const void *obj, const char *ctx,
			    const uint8_t sig[static OBOL_SIGN_LEN], const uint8_t pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t *b = NULL;
	size_t len;
	obol_err e = body(obj, &b, &len);
	if (e)
		return e;
	if (obol_issuer_sig_verify(sig, ctx, b, len, pk, obol_now()) != OBOL_OK)
		e = OBOL_E_PAYWORD_CRL_INVALID;
	free(b);
	return e;
}

obol_err payword_crl_sign(struct payword_crl *crl, const struct obol_ed25519_signer *signer)
{
	return body_sign(crl_body, crl, PAYWORD_CTX_CRL, signer, crl->sig);
}

obol_err payword_crl_verify(const struct payword_crl *crl, const uint8_t agent_pk[static OBOL_SIGN_PK_LEN])
{
	return body_verify(crl_body, crl, PAYWORD_CTX_CRL, crl->sig, agent_pk);
}

/* A CRL page's signed bytes; *out malloc'ed. */
static obol_err crl_page_body(const void *obj, uint8_t **out, size_t *len)
{
	const struct payword_crl_page *p = obj;
	uint8_t *b;
	if (p->count > PAYWORD_CRL_PAGE_MAX || p->through <= p->after || p->through > PAYWORD_CRL_END ||
	    p->since < 0 || (p->count > 0 && p->serials == NULL))
		return OBOL_E_PAYWORD_CRL_INVALID;
	for (size_t i = 0; i < p->count; i++)
		if (p->serials[i] <= (i == 0 ? p->after : p->serials[i - 1]) || p->serials[i] > p->through)
			return OBOL_E_PAYWORD_CRL_INVALID;
	*len = 4 + 5 * 8 + 8 * p->count;
	if ((b = malloc(*len)) == NULL)
		return OBOL_E_NO_MEMORY;
	memcpy(b, CRL_PAGE_MAGIC, 4);
	put_u64(b + 4, (uint64_t)p->issued);
	put_u64(b + 12, (uint64_t)p->since);
	put_u64(b + 20, p->after);
	put_u64(b + 28, p->through);
	put_u64(b + 36, p->count);
	for (size_t i = 0; i < p->count; i++)
		put_u64(b + 44 + 8 * i, p->serials[i]);
	*out = b;
	return OBOL_OK;
}

obol_err payword_crl_page_sign(struct payword_crl_page *p, const struct obol_ed25519_signer *signer)
{
	return body_sign(crl_page_body, p, PAYWORD_CTX_CRL_PAGE, signer, p->sig);
}

obol_err payword_crl_page_verify(const struct payword_crl_page *p, const uint8_t agent_pk[static OBOL_SIGN_PK_LEN])
{
	return body_verify(crl_page_body, p, PAYWORD_CTX_CRL_PAGE, p->sig, agent_pk);
}

bool payword_crl_contains(const struct payword_crl *crl, uint64_t serial)
{
	size_t lo = 0, hi = crl->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (crl->serials[mid] == serial)
			return true;
		if (crl->serials[mid] < serial)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

obol_err payword_chain_token(const struct payword_vcert *vc, const uint8_t seed[static PAYWORD_TOKEN_LEN],
			     uint64_t order, uint8_t out[static PAYWORD_TOKEN_LEN])
{
	if (order < vc->first_order || order > payword_vcert_last_order(vc))
		return OBOL_E_PAYWORD_ORDER_RANGE;
	obol_hashchain_step(out, seed, payword_vcert_last_order(vc) - order);
	return OBOL_OK;
}

obol_err payword_token_check(const struct payword_vcert *vc, uint64_t order,
			     const uint8_t token[static PAYWORD_TOKEN_LEN], const uint8_t *held, uint64_t held_order)
{
	obol_err e;
	if (order < vc->first_order || order > payword_vcert_last_order(vc))
		return OBOL_E_PAYWORD_ORDER_RANGE;
	if (held != NULL) {
		if (held_order >= order || held_order < vc->first_order)
			return OBOL_E_PAYWORD_TOKEN_REUSED;
		e = obol_hashchain_verify(token, order - held_order, held, vc->n);
	} else {
		e = obol_hashchain_verify(token, order - vc->first_order + 1, vc->root, vc->n);
	}
	return e == OBOL_OK ? OBOL_OK : OBOL_E_PAYWORD_TOKEN_INVALID;
}
