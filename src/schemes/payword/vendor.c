/* payword vendor role: the purchase checks of seed 003 §3.5 steps 1-8 and
 * DESIGN §7's visit commitments. See vendor.h for the contract. */
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

static obol_err check_commit(const struct payword_vendor_cfg *cfg, const struct payword_vendor_serial *st,
			     const struct payword_pay *req, int64_t now)
{
	const struct payword_commit *c = &req->commit;
	obol_err e = payword_commit_verify(c, &req->vc);
	if (e)
		return e;
	if (c->vendor != cfg->vendor_id)
		return OBOL_E_PAYWORD_COMMITMENT_INVALID;
	if (c->time < now - PAYWORD_COMMIT_WINDOW || c->time > now + PAYWORD_COMMIT_WINDOW)
		return OBOL_E_PAYWORD_COMMITMENT_STALE;
	if (st == NULL)
		return OBOL_OK;
	if (st->visit_open && c->time <= st->visit.time)
		return OBOL_E_PAYWORD_COMMITMENT_STALE;
	if (st->has_token && c->start <= st->last_order)
		return OBOL_E_PAYWORD_COMMITMENT_OVERLAP;
	return OBOL_OK;
}

obol_err payword_vendor_purchase(const struct payword_vendor_cfg *cfg, const struct payword_crl *crl,
				 const struct payword_vendor_serial *st, const struct payword_pay *req, int64_t now,
				 int64_t auth, struct payword_vendor_serial *st_out, struct payword_claim *claim)
{
	const struct payword_vcert *vc = &req->vc;
	struct payword_vendor_serial next;
	const struct payword_commit *visit;
	uint8_t vhash[OBOL_HASH_LEN];
	uint64_t m, from;
	obol_err e;

	if (auth <= 0 || (st != NULL && st->serial != req->serial))
		return OBOL_E_INVALID_ARGUMENT;
	/* Step 5: the certificate: serial and user name as sent, not revoked,
	 * signed by the agent, in date, usable here. */
	if (req->serial != vc->serial || strcmp(req->username, vc->username) != 0)
		return OBOL_E_PAYWORD_CERT_MISMATCH;
	if (crl != NULL && payword_crl_contains(crl, vc->serial))
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

	/* The visit: a new user-signed commitment, or the one in progress. */
	if (req->has_commit && !(st != NULL && st->visit_open && payword_commit_equal(&st->visit, &req->commit))) {
		e = check_commit(cfg, st, req, now);
		if (e)
			return e;
		visit = &req->commit;
		from = visit->start;
	} else {
		if (st == NULL || !st->visit_open)
			return OBOL_E_PAYWORD_NO_COMMITMENT;
		visit = &st->visit;
		from = st->has_token && st->last_order >= visit->start ? st->last_order + 1 : visit->start;
	}
	if (req->order < from)
		return OBOL_E_PAYWORD_TOKEN_REUSED;
	if (req->order > payword_vcert_last_order(vc))
		return OBOL_E_PAYWORD_ORDER_RANGE;
	if (req->order - from + 1 != m)
		return OBOL_E_PAYWORD_VALUE_MISMATCH;

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
	next.visit_open = true;
	next.visit = *visit;
	next.has_vcert = true;
	memcpy(next.vcert_hash, vhash, OBOL_HASH_LEN);

	memset(claim, 0, sizeof(*claim));
	claim->vendor = cfg->vendor_id;
	claim->commit = *visit;
	claim->order = req->order;
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
	    obol_amount_cmp(&sale->value, &req->value, &cmp) != OBOL_OK || cmp != 0)
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
