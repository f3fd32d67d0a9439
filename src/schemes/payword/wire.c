/* payword field specs: see wire.h. */
#include <stdlib.h>
#include <string.h>

#include "schemes/payword/wire.h"

static void commit_spec(struct obol_field cf[4], struct obol_fields *c, struct payword_commit_wire *m)
{
	cf[0] = (struct obol_field)OBOL_F_UINT("vendor", 1, &m->vendor, 0);
	cf[1] = (struct obol_field)OBOL_F_UINT("start", 2, &m->start, 0);
	cf[2] = (struct obol_field)OBOL_F_INT("time", 3, &m->time);
	cf[3] = (struct obol_field)OBOL_F_FIXED("sig", 4, m->sig, OBOL_SIGN_LEN);
	*c = (struct obol_fields){ cf, 4 };
}

static void commit_to_wire(const struct payword_commit *c, struct payword_commit_wire *m)
{
	m->vendor = c->vendor;
	m->start = c->start;
	m->time = c->time;
	memcpy(m->sig, c->sig, OBOL_SIGN_LEN);
}

static void commit_from_wire(const struct payword_commit_wire *m, uint64_t serial, struct payword_commit *c)
{
	c->serial = serial;
	c->vendor = m->vendor;
	c->start = m->start;
	c->time = m->time;
	memcpy(c->sig, m->sig, OBOL_SIGN_LEN);
}

void payword_pay_spec_init(struct payword_pay_spec *s, struct payword_pay_wire *m)
{
	memset(s, 0, sizeof(*s));
	commit_spec(s->cf, &s->c, &m->commit);
	const struct obol_field f[9] = {
		OBOL_F_BYTES("vcert", 1, m->vcert, 1, PAYWORD_VCERT_MAX, &m->vcert_len),
		OBOL_F_UINT("serial", 2, &m->serial, 0),
		OBOL_F_TEXT("username", 3, m->username, PAYWORD_USERNAME_MAX, .min = 1),
		OBOL_F_UINT("order", 4, &m->order, 0),
		OBOL_F_FIXED("token", 5, m->token, PAYWORD_TOKEN_LEN),
		OBOL_F_TEXT("product", 6, m->product, PAYWORD_PRODUCT_MAX, .min = 1),
		OBOL_F_AMOUNT("value", 7, &m->value),
		OBOL_F_MAP("commit", 8, &s->c, OBOL_OPT(&m->has_commit)),
	};
	memcpy(s->f, f, sizeof(f));
	s->spec = (struct obol_fields){ s->f, 8 };
}

obol_err payword_pay_to_wire(const struct payword_pay *p, struct payword_pay_wire *m)
{
	memset(m, 0, sizeof(*m));
	obol_err e = payword_vcert_encode(&p->vc, m->vcert, &m->vcert_len);
	if (e)
		return e;
	m->serial = p->serial;
	memcpy(m->username, p->username, sizeof(m->username));
	m->order = p->order;
	memcpy(m->token, p->token, PAYWORD_TOKEN_LEN);
	memcpy(m->product, p->product, sizeof(m->product));
	m->value = p->value;
	m->has_commit = p->has_commit;
	if (p->has_commit)
		commit_to_wire(&p->commit, &m->commit);
	return OBOL_OK;
}

obol_err payword_pay_from_wire(const struct payword_pay_wire *m, struct payword_pay *p)
{
	memset(p, 0, sizeof(*p));
	obol_err e = payword_vcert_decode(m->vcert, m->vcert_len, &p->vc);
	if (e)
		return e;
	p->serial = m->serial;
	memcpy(p->username, m->username, sizeof(p->username));
	p->order = m->order;
	memcpy(p->token, m->token, PAYWORD_TOKEN_LEN);
	memcpy(p->product, m->product, sizeof(p->product));
	p->value = m->value;
	p->has_commit = m->has_commit;
	if (m->has_commit)
		commit_from_wire(&m->commit, m->serial, &p->commit);
	return OBOL_OK;
}

void payword_reply_spec_init(struct payword_reply_spec *s, struct payword_reply_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_INT("auth", 1, &m->auth);
	s->f[1] = (struct obol_field)OBOL_F_UINT("code", 2, &m->code, 65535, OBOL_OPT(&m->has_code));
	s->spec = (struct obol_fields){ s->f, 2 };
}

void payword_hello_spec_init(struct payword_hello_spec *s, struct payword_hello_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_TEXT("product", 1, m->product, PAYWORD_PRODUCT_MAX, .min = 1,
						 OBOL_OPT(&m->has_product));
	s->spec = (struct obol_fields){ s->f, 1 };
}

void payword_info_spec_init(struct payword_info_spec *s, struct payword_info_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_UINT("vendor_id", 1, &m->vendor_id, 0);
	s->f[1] = (struct obol_field)OBOL_F_TEXT("mode", 2, m->mode, PAYWORD_MODE_TEXT_MAX, .min = 1);
	s->f[2] = (struct obol_field)OBOL_F_AMOUNT("price", 3, &m->price, OBOL_OPT(&m->has_price));
	s->spec = (struct obol_fields){ s->f, 3 };
}

void payword_claim_spec_init(struct payword_claim_spec *s, struct payword_claim_wire *m)
{
	memset(s, 0, sizeof(*s));
	commit_spec(s->cf, &s->c, &m->commit);
	const struct obol_field f[7] = {
		OBOL_F_UINT("serial", 1, &m->serial, 0),
		OBOL_F_MAP("commit", 2, &s->c),
		OBOL_F_UINT("order", 3, &m->order, 0),
		OBOL_F_FIXED("token", 4, m->token, PAYWORD_TOKEN_LEN),
		OBOL_F_AMOUNT("value", 5, &m->value),
		OBOL_F_INT("auth", 6, &m->auth),
		OBOL_F_TEXT("product", 7, m->product, PAYWORD_PRODUCT_MAX, .min = 1),
	};
	memcpy(s->f, f, sizeof(f));
	s->spec = (struct obol_fields){ s->f, 7 };
}

void payword_claim_to_wire(const struct payword_claim *c, struct payword_claim_wire *m)
{
	memset(m, 0, sizeof(*m));
	m->serial = c->commit.serial;
	commit_to_wire(&c->commit, &m->commit);
	m->order = c->order;
	memcpy(m->token, c->token, PAYWORD_TOKEN_LEN);
	m->value = c->value;
	m->auth = c->auth;
	memcpy(m->product, c->product, sizeof(m->product));
}

void payword_claim_from_wire(const struct payword_claim_wire *m, uint64_t vendor, struct payword_claim *c)
{
	memset(c, 0, sizeof(*c));
	c->vendor = vendor;
	commit_from_wire(&m->commit, m->serial, &c->commit);
	c->order = m->order;
	memcpy(c->token, m->token, PAYWORD_TOKEN_LEN);
	c->value = m->value;
	c->auth = m->auth;
	memcpy(c->product, m->product, sizeof(c->product));
}

void payword_crl_spec_init(struct payword_crl_spec *s, struct payword_crl_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_UINT("seq", 1, &m->seq, 0);
	s->f[1] = (struct obol_field)OBOL_F_INT("issued", 2, &m->issued);
	s->f[2] = (struct obol_field)OBOL_F_UINT_LIST("serials", 3, m->serials, 0, &m->count, PAYWORD_CRL_MAX);
	s->f[3] = (struct obol_field)OBOL_F_FIXED("sig", 4, m->sig, OBOL_SIGN_LEN);
	s->spec = (struct obol_fields){ s->f, 4 };
}

obol_err payword_crl_from_wire(const struct payword_crl_wire *m, struct payword_crl *crl)
{
	memset(crl, 0, sizeof(*crl));
	if (m->count > PAYWORD_CRL_MAX)
		return OBOL_E_PAYWORD_CRL_TOO_LARGE;
	crl->serials = malloc((m->count ? m->count : 1) * sizeof(uint64_t));
	if (crl->serials == NULL)
		return OBOL_E_NO_MEMORY;
	if (m->count > 0)
		memcpy(crl->serials, m->serials, m->count * sizeof(uint64_t));
	crl->count = m->count;
	crl->seq = m->seq;
	crl->issued = m->issued;
	memcpy(crl->sig, m->sig, OBOL_SIGN_LEN);
	return OBOL_OK;
}

void payword_crl_to_wire(const struct payword_crl *crl, struct payword_crl_wire *m)
{
	m->seq = crl->seq;
	m->issued = crl->issued;
	m->count = crl->count;
	if (crl->count > 0)
		memcpy(m->serials, crl->serials, crl->count * sizeof(uint64_t));
	memcpy(m->sig, crl->sig, OBOL_SIGN_LEN);
}
