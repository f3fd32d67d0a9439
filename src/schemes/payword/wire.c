/* payword field specs: see wire.h. */
#include <stdlib.h>
#include <string.h>

#include "schemes/payword/wire.h"

void payword_pay_spec_init(struct payword_pay_spec *s, struct payword_pay_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->rf[0] = (struct obol_field)OBOL_F_UINT("from", 1, &m->range_from, 0);
	s->rf[1] = (struct obol_field)OBOL_F_FIXED("sig", 2, m->range_sig, OBOL_SIGN_LEN);
	s->r = (struct obol_fields){ s->rf, 2 };
	const struct obol_field f[8] = {
		OBOL_F_BYTES("vcert", 1, m->vcert, 1, PAYWORD_VCERT_MAX, &m->vcert_len),
		OBOL_F_UINT("serial", 2, &m->serial, 0),
		OBOL_F_TEXT("username", 3, m->username, PAYWORD_USERNAME_MAX, .min = 1),
		OBOL_F_UINT("order", 4, &m->order, 0),
		OBOL_F_FIXED("token", 5, m->token, PAYWORD_TOKEN_LEN),
		OBOL_F_TEXT("product", 6, m->product, PAYWORD_PRODUCT_MAX, .min = 1),
		OBOL_F_AMOUNT("value", 7, &m->value),
		OBOL_F_MAP("range", 8, &s->r),
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
	m->range_from = p->range.from;
	memcpy(m->range_sig, p->range.sig, OBOL_SIGN_LEN);
	return OBOL_OK;
}

obol_err payword_pay_from_wire(const struct payword_pay_wire *m, uint64_t vendor, struct payword_pay *p)
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
	p->range.serial = m->serial;
	p->range.vendor = vendor;
	p->range.from = m->range_from;
	p->range.to = m->order;
	memcpy(p->range.sig, m->range_sig, OBOL_SIGN_LEN);
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

/* --- issuer API ------------------------------------------------------------ */

static void range_spec(struct obol_field rf[3], struct obol_fields *r, struct payword_range_wire *m)
{
	rf[0] = (struct obol_field)OBOL_F_UINT("from", 1, &m->from, 0);
	rf[1] = (struct obol_field)OBOL_F_UINT("to", 2, &m->to, 0);
	rf[2] = (struct obol_field)OBOL_F_FIXED("sig", 3, m->sig, OBOL_SIGN_LEN);
	*r = (struct obol_fields){ rf, 3 };
}

void payword_claim_spec_init(struct payword_claim_spec *s, struct payword_claim_wire *m)
{
	memset(s, 0, sizeof(*s));
	range_spec(s->rf, &s->r, &m->range);
	const struct obol_field f[6] = {
		OBOL_F_UINT("serial", 1, &m->serial, 0),
		OBOL_F_MAP("range", 2, &s->r),
		OBOL_F_FIXED("token", 3, m->token, PAYWORD_TOKEN_LEN),
		OBOL_F_AMOUNT("value", 4, &m->value),
		OBOL_F_INT("auth", 5, &m->auth),
		OBOL_F_TEXT("product", 6, m->product, PAYWORD_PRODUCT_MAX, .min = 1),
	};
	memcpy(s->f, f, sizeof(f));
	s->spec = (struct obol_fields){ s->f, 6 };
}

void payword_claim_to_wire(const struct payword_claim *c, struct payword_claim_wire *m)
{
	memset(m, 0, sizeof(*m));
	m->serial = c->range.serial;
	m->range.from = c->range.from;
	m->range.to = c->range.to;
	memcpy(m->range.sig, c->range.sig, OBOL_SIGN_LEN);
	memcpy(m->token, c->token, PAYWORD_TOKEN_LEN);
	m->value = c->value;
	m->auth = c->auth;
	memcpy(m->product, c->product, sizeof(m->product));
}

void payword_claim_from_wire(const struct payword_claim_wire *m, uint64_t vendor, struct payword_claim *c)
{
	memset(c, 0, sizeof(*c));
	c->vendor = vendor;
	c->range.serial = m->serial;
	c->range.vendor = vendor;
	c->range.from = m->range.from;
	c->range.to = m->range.to;
	memcpy(c->range.sig, m->range.sig, OBOL_SIGN_LEN);
	memcpy(c->token, m->token, PAYWORD_TOKEN_LEN);
	c->value = m->value;
	c->auth = m->auth;
	memcpy(c->product, m->product, sizeof(c->product));
}

void payword_report_reply_spec_init(struct payword_report_reply_spec *s, struct payword_report_reply *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_BOOL("accepted", 1, &m->accepted);
	s->f[1] = (struct obol_field)OBOL_F_TEXT("verdict", 2, m->verdict, PAYWORD_VERDICT_MAX, .min = 1);
	s->f[2] = (struct obol_field)OBOL_F_AMOUNT("paid", 3, &m->paid, OBOL_OPT(&m->has_paid));
	s->f[3] = (struct obol_field)OBOL_F_UINT("held", 4, &m->held, 0, OBOL_OPT(&m->has_held));
	s->f[4] = (struct obol_field)OBOL_F_TEXT("error", 5, m->error, PAYWORD_ERROR_NAME_MAX, .min = 1,
						 OBOL_OPT(&m->has_error));
	s->spec = (struct obol_fields){ s->f, 5 };
}

void payword_register_spec_init(struct payword_register_spec *s, struct payword_register_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_TEXT("username", 1, m->username, PAYWORD_USERNAME_MAX, .min = 1);
	s->f[1] = (struct obol_field)OBOL_F_TEXT("password", 2, m->password, PAYWORD_PASSWORD_MAX);
	s->spec = (struct obol_fields){ s->f, 2 };
}

void payword_register_reply_spec_init(struct payword_register_spec *s, struct payword_register_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_INT("account", 1, &m->account);
	s->f[1] = (struct obol_field)OBOL_F_TEXT("username", 2, m->username, PAYWORD_USERNAME_MAX, .min = 1);
	s->spec = (struct obol_fields){ s->f, 2 };
}

void payword_vendor_register_spec_init(struct payword_vendor_register_spec *s, struct payword_vendor_register_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_TEXT("mode", 1, m->mode, PAYWORD_MODE_TEXT_MAX, .min = 1);
	s->f[1] = (struct obol_field)OBOL_F_UINT("batch_interval", 2, &m->batch_interval, 86400 * 365);
	s->spec = (struct obol_fields){ s->f, 2 };
}

void payword_vendor_register_reply_spec_init(struct payword_vendor_register_spec *s,
					     struct payword_vendor_register_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_UINT("vendor", 1, &m->vendor, 0);
	s->f[1] = (struct obol_field)OBOL_F_TEXT("mode", 2, m->mode, PAYWORD_MODE_TEXT_MAX, .min = 1);
	s->spec = (struct obol_fields){ s->f, 2 };
}

void payword_buy_spec_init(struct payword_buy_spec *s, struct payword_buy_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->pf[0] = (struct obol_field)OBOL_F_UINT("serial", 1, &m->position.serial, 0);
	s->pf[1] = (struct obol_field)OBOL_F_UINT("next", 2, &m->position.next, 0);
	s->pf[2] = (struct obol_field)OBOL_F_FIXED("sig", 3, m->position.sig, OBOL_SIGN_LEN);
	s->p = (struct obol_fields){ s->pf, 3 };
	const struct obol_field f[6] = {
		OBOL_F_TEXT("request_id", 1, m->request_id, PAYWORD_REQUEST_ID_MAX, .min = 1),
		OBOL_F_TEXT("username", 2, m->username, PAYWORD_USERNAME_MAX, .min = 1),
		OBOL_F_TEXT("password", 3, m->password, PAYWORD_PASSWORD_MAX),
		OBOL_F_UINT("tokens", 4, &m->tokens, PAYWORD_CHAIN_MAX),
		OBOL_F_UINT("scope", 5, &m->scope, 0),
		OBOL_F_MAP("position", 6, &s->p, OBOL_OPT(&m->has_position)),
	};
	memcpy(s->f, f, sizeof(f));
	s->spec = (struct obol_fields){ s->f, 6 };
}

void payword_buy_reply_spec_init(struct payword_buy_reply_spec *s, struct payword_buy_reply *m)
{
	memset(s, 0, sizeof(*s));
	const struct obol_field f[7] = {
		OBOL_F_UINT("serial", 1, &m->serial, 0),
		OBOL_F_UINT("first_order", 2, &m->first_order, 0),
		OBOL_F_UINT("n", 3, &m->n, PAYWORD_CHAIN_MAX),
		OBOL_F_INT("carried", 4, &m->carried),
		OBOL_F_AMOUNT("cost", 5, &m->cost),
		OBOL_F_UINT("held", 6, &m->held, 0),
		OBOL_F_INT("held_until", 7, &m->held_until),
	};
	memcpy(s->f, f, sizeof(f));
	s->spec = (struct obol_fields){ s->f, 7 };
}

void payword_cert_spec_init(struct payword_cert_spec *s, struct payword_cert_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_TEXT("username", 1, m->username, PAYWORD_USERNAME_MAX, .min = 1);
	s->f[1] = (struct obol_field)OBOL_F_TEXT("password", 2, m->password, PAYWORD_PASSWORD_MAX);
	s->f[2] = (struct obol_field)OBOL_F_UINT("serial", 3, &m->serial, 0);
	s->spec = (struct obol_fields){ s->f, 3 };
}

void payword_cert_reply_spec_init(struct payword_cert_spec *s, struct payword_cert_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_UINT("serial", 1, &m->serial, 0);
	s->f[1] = (struct obol_field)OBOL_F_BYTES("ucert", 2, m->ucert, 1, PAYWORD_UCERT_MAX, &m->ucert_len);
	s->spec = (struct obol_fields){ s->f, 2 };
}

void payword_crl_spec_init(struct payword_crl_spec *s, struct payword_crl_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_UINT("seq", 1, &m->seq, 0);
	s->f[1] = (struct obol_field)OBOL_F_INT("issued", 2, &m->issued);
	s->f[2] = (struct obol_field)OBOL_F_UINT_LIST("serials", 3, m->serials, 0, &m->count, m->cap);
	s->f[3] = (struct obol_field)OBOL_F_FIXED("sig", 4, m->sig, OBOL_SIGN_LEN);
	s->spec = (struct obol_fields){ s->f, 4 };
}

void payword_crl_page_spec_init(struct payword_crl_page_spec *s, struct payword_crl_page *p)
{
	memset(s, 0, sizeof(*s));
	s->f[0] = (struct obol_field)OBOL_F_INT("issued", 1, &p->issued);
	s->f[1] = (struct obol_field)OBOL_F_INT("since", 2, &p->since);
	s->f[2] = (struct obol_field)OBOL_F_UINT("after", 3, &p->after, PAYWORD_CRL_END);
	s->f[3] = (struct obol_field)OBOL_F_UINT("through", 4, &p->through, PAYWORD_CRL_END);
	s->f[4] = (struct obol_field)OBOL_F_UINT_LIST("serials", 5, p->serials, 0, &p->count, PAYWORD_CRL_PAGE_MAX);
	s->f[5] = (struct obol_field)OBOL_F_FIXED("sig", 6, p->sig, OBOL_SIGN_LEN);
	s->spec = (struct obol_fields){ s->f, 6 };
}

obol_err payword_crl_wire_alloc(struct payword_crl_wire *m)
{
	memset(m, 0, sizeof(*m));
	m->serials = malloc(PAYWORD_CRL_MAX * sizeof(uint64_t));
	if (m->serials == NULL)
		return OBOL_E_NO_MEMORY;
	m->cap = PAYWORD_CRL_MAX;
	return OBOL_OK;
}

void payword_crl_wire_free(struct payword_crl_wire *m)
{
	free(m->serials);
	m->serials = NULL;
	m->cap = m->count = 0;
}

void payword_crl_from_wire(struct payword_crl_wire *m, struct payword_crl *crl)
{
	memset(crl, 0, sizeof(*crl));
	crl->serials = m->serials;
	crl->count = m->count;
	crl->seq = m->seq;
	crl->issued = m->issued;
	memcpy(crl->sig, m->sig, OBOL_SIGN_LEN);
	m->serials = NULL;
	m->cap = m->count = 0;
}

void payword_crl_to_wire(const struct payword_crl *crl, struct payword_crl_wire *m)
{
	static uint64_t none[1]; /* an empty list still names a buffer */
	memset(m, 0, sizeof(*m));
	m->seq = crl->seq;
	m->issued = crl->issued;
	m->serials = crl->count > 0 ? crl->serials : none;
	m->count = crl->count;
	m->cap = crl->count > 0 ? crl->count : 1;
	memcpy(m->sig, crl->sig, OBOL_SIGN_LEN);
}
