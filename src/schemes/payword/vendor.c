/* payword vendor role: the purchase checks of seed 003 §3.5 steps 1-8 and
 * DESIGN §7's signed ranges. See vendor.h for the contract. */
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/payword/vendor.h"

int64_t payword_vendor_report_due(enum payword_report_mode mode, int64_t interval, int64_t now)
{
	if (mode != PAYWORD_REPORT_BATCH || interval <= 0)
		return now;
	return (now / interval + 1) * interval;
}

/* The number of tokens a value buys: value = m x token value, m >= 1. */
static obol_err tokens_for(const struct payword_vcert *vc, const struct obol_amount *value, uint64_t *m)
{
	if (!obol_amount_same_currency(value, &vc->token_value))
		return OBOL_E_PAYWORD_TOKEN_VALUE;
	if (obol_amount_count_exact(value, &vc->token_value, m) != OBOL_OK || *m == 0)
		return OBOL_E_PAYWORD_VALUE_MISMATCH;
	return OBOL_OK;
}

obol_err payword_vendor_crl_fresh(const struct payword_vendor_cfg *cfg, const struct payword_crl *crl, int64_t now)
{
	return crl != NULL && crl->issued >= now - cfg->crl_max_age ? OBOL_OK : OBOL_E_PAYWORD_CRL_STALE;
}

obol_err payword_vendor_purchase(const struct payword_vendor_cfg *cfg, const struct payword_crl *crl,
				 const struct payword_vendor_serial *st, const struct payword_pay *req, int64_t now,
				 int64_t auth, struct payword_vendor_serial *st_out, struct payword_claim *claim)
{
	const struct payword_vcert *vc = &req->vc;
	struct payword_vendor_serial next;
	uint8_t vhash[OBOL_HASH_LEN];
	uint64_t m;
	obol_err e;

	if (auth <= 0 || (st != NULL && st->serial != req->serial))
		return OBOL_E_INVALID_ARGUMENT;
	/* Seed §3.2: the revocation list, and a fresh one (P6). */
	if ((e = payword_vendor_crl_fresh(cfg, crl, now)) != OBOL_OK)
		return e;
	/* Step 5: the certificate: serial and user name as sent, not revoked,
	 * signed by the agent, in date, usable here. */
	if (req->serial != vc->serial || strcmp(req->username, vc->username) != 0)
		return OBOL_E_PAYWORD_CERT_MISMATCH;
	if (payword_crl_contains(crl, vc->serial))
		return OBOL_E_PAYWORD_CERT_REVOKED;
	{
		uint8_t buf[PAYWORD_VCERT_MAX];
		size_t blen;
		if ((e = payword_vcert_encode(vc, buf, &blen)) != OBOL_OK)
			return e;
		obol_sha256(vhash, buf, blen);
	}
	if (st == NULL || !st->has_vcert || !obol_ct_equal(vhash, st->vcert_hash, OBOL_HASH_LEN)) {
		e = payword_vcert_verify(vc, cfg->agent_pk);
		if (e)
			return e;
	}
	if (now > vc->not_after)
		return OBOL_E_PAYWORD_CERT_EXPIRED;
	if (cfg->mode == PAYWORD_MODE_SPECIFIC ? vc->scope != cfg->vendor_id : vc->scope != PAYWORD_GENERIC)
		return OBOL_E_PAYWORD_WRONG_VENDOR;
	e = tokens_for(vc, &req->value, &m);
	if (e)
		return e;

	/* The range: exactly the tokens paid, none spent here before. */
	if (req->order > payword_vcert_last_order(vc))
		return OBOL_E_PAYWORD_ORDER_RANGE;
	if (req->range.serial != req->serial || req->range.vendor != cfg->vendor_id || req->range.to != req->order)
		return OBOL_E_PAYWORD_RANGE_INVALID;
	if (req->range.from > req->order || req->order - req->range.from + 1 != m)
		return OBOL_E_PAYWORD_VALUE_MISMATCH;
	if (st != NULL && st->has_token && req->range.from <= st->last_order)
		return OBOL_E_PAYWORD_TOKEN_REUSED;
	if ((e = payword_range_verify(&req->range, vc)) != OBOL_OK)
		return e;

	/* Step 5: the hash distance, to the last token held or to the root. */
	if (st != NULL && st->has_token)
		e = payword_token_check(vc, req->order, req->token, st->last_token, st->last_order);
	else
		e = payword_token_check(vc, req->order, req->token, NULL, 0);
	if (e)
		return e;

	memset(&next, 0, sizeof(next));
	next.serial = req->serial;
	next.has_token = true;
	next.last_order = req->order;
	memcpy(next.last_token, req->token, PAYWORD_TOKEN_LEN);
	next.has_vcert = true;
	memcpy(next.vcert_hash, vhash, OBOL_HASH_LEN);

	memset(claim, 0, sizeof(*claim));
	claim->vendor = cfg->vendor_id;
	claim->range = req->range;
	memcpy(claim->token, req->token, PAYWORD_TOKEN_LEN);
	claim->value = req->value;
	claim->auth = auth;
	memcpy(claim->product, req->product, sizeof(claim->product));
	*st_out = next;
	return OBOL_OK;
}

obol_err payword_vendor_match_retry(const struct payword_vendor_sale *sale, const struct payword_pay *req)
{
	int cmp;
	if (sale->serial != req->serial || sale->order != req->order)
		return OBOL_E_INVALID_ARGUMENT;
	if (!obol_ct_equal(sale->token, req->token, PAYWORD_TOKEN_LEN) || strcmp(sale->product, req->product) != 0 ||
	    obol_amount_cmp(&sale->value, &req->value, &cmp) != OBOL_OK || cmp != 0 ||
	    sale->range.from != req->range.from || memcmp(sale->range.sig, req->range.sig, OBOL_SIGN_LEN) != 0)
		return OBOL_E_PAYWORD_TOKEN_REUSED;
	return OBOL_OK;
}

void payword_vendor_sale_from(const struct payword_pay *req, int64_t auth, struct payword_vendor_sale *sale)
{
	memset(sale, 0, sizeof(*sale));
	sale->serial = req->serial;
	sale->order = req->order;
	memcpy(sale->token, req->token, PAYWORD_TOKEN_LEN);
	memcpy(sale->product, req->product, sizeof(sale->product));
	sale->value = req->value;
	sale->auth = auth;
	sale->range = req->range;
	memcpy(sale->user_pk, req->vc.user_pk, OBOL_SIGN_PK_LEN);
}

obol_err payword_vendor_crl_update(struct payword_crl *held, struct payword_crl *fresh,
				   const uint8_t agent_pk[static OBOL_SIGN_PK_LEN])
{
	obol_err e = payword_crl_verify(fresh, agent_pk);
	if (e)
		return e;
	if (fresh->seq < held->seq)
		return OBOL_E_PAYWORD_CRL_INVALID;
	free(held->serials);
	*held = *fresh;
	fresh->serials = NULL;
	fresh->count = 0;
	return OBOL_OK;
}

void payword_crl_fetch_begin(struct payword_crl_fetch *f, const struct payword_crl *held, bool has, int64_t full_at,
			     int64_t now)
{
	memset(f, 0, sizeof(*f));
	if (has && now - full_at < PAYWORD_CRL_FULL_EVERY && held->issued > PAYWORD_CRL_DELTA_MARGIN)
		f->since = held->issued - PAYWORD_CRL_DELTA_MARGIN;
}

obol_err payword_crl_fetch_take(struct payword_crl_fetch *f, const struct payword_crl_page *p,
				const uint8_t agent_pk[static OBOL_SIGN_PK_LEN])
{
	obol_err e = payword_crl_page_verify(p, agent_pk);
	if (e)
		return e;
	if (f->done || p->since != f->since || p->after != f->after)
		return OBOL_E_PAYWORD_CRL_INVALID;
	if (f->count + p->count > f->cap) {
		size_t ncap = f->cap ? f->cap : 1024;
		while (ncap < f->count + p->count)
			ncap *= 2;
		uint64_t *nv = realloc(f->serials, ncap * sizeof(*nv));
		if (nv == NULL)
			return OBOL_E_NO_MEMORY;
		f->serials = nv;
		f->cap = ncap;
	}
	/* each page's serials are ascending in (after, through]: appended in
	 * order, the whole stays ascending */
	if (p->count > 0) /* an empty page may carry no array at all */
		memcpy(f->serials + f->count, p->serials, p->count * sizeof(*p->serials));
	f->count += p->count;
	/* the list is complete up to its oldest page: a page replayed from
	 * before the others cannot pass for a fresh one */
	if (!f->started || p->issued < f->issued)
		f->issued = p->issued;
	f->started = true;
	f->after = p->through;
	f->done = p->through == PAYWORD_CRL_END;
	return OBOL_OK;
}

obol_err payword_crl_fetch_apply(struct payword_crl_fetch *f, struct payword_crl *held, int64_t *full_at)
{
	if (!f->done || f->issued < held->issued)
		return OBOL_E_PAYWORD_CRL_INVALID;
	if (f->since == 0) {
		free(held->serials);
		held->serials = f->serials;
		held->count = f->count;
		*full_at = f->issued;
	} else {
		size_t n = held->count + f->count, i = 0, j = 0, k = 0;
		uint64_t *m = malloc((n ? n : 1) * sizeof(*m));
		if (m == NULL)
			return OBOL_E_NO_MEMORY;
		while (i < held->count || j < f->count) {
			uint64_t a = i < held->count ? held->serials[i] : UINT64_MAX;
			uint64_t b = j < f->count ? f->serials[j] : UINT64_MAX;
			m[k++] = a < b ? a : b;
			i += a <= b;
			j += b <= a;
		}
		free(held->serials);
		free(f->serials);
		held->serials = m;
		held->count = k;
	}
	held->issued = f->issued;
	f->serials = NULL;
	f->count = f->cap = 0;
	return OBOL_OK;
}

void payword_crl_fetch_free(struct payword_crl_fetch *f)
{
	free(f->serials);
	memset(f, 0, sizeof(*f));
}

obol_err payword_vendor_fetch_check(const struct payword_vendor_cfg *cfg, const struct payword_vendor_sale *sale,
				    const struct payword_fetch *f, int64_t now)
{
	if (f->vendor != cfg->vendor_id || f->auth != sale->auth || strcmp(f->product, sale->product) != 0 ||
	    f->time < now - PAYWORD_FETCH_WINDOW || f->time > now + PAYWORD_FETCH_WINDOW)
		return OBOL_E_PAYWORD_AUTH_INVALID;
	return payword_fetch_verify(f, sale->user_pk);
}
