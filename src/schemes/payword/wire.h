/* payword messages on the wire: field specs (wire/fields.h) of the
 * device-link frames and of the issuer API bodies shared by two roles (the
 * vendor's report and the CRL). Binary structures that are signed travel as
 * their fixed byte form (messages.h). */
#ifndef OBOL_SCHEMES_PAYWORD_WIRE_H
#define OBOL_SCHEMES_PAYWORD_WIRE_H

#include "schemes/payword/messages.h"
#include "wire/fields.h"

#define PAYWORD_MODE_TEXT_MAX 8

/* A visit commitment (its serial is that of the enclosing message). */
struct payword_commit_wire {
	uint64_t vendor, start;
	int64_t time;
	uint8_t sig[OBOL_SIGN_LEN];
};

/* PAYWORD_MSG_PAY. */
struct payword_pay_wire {
	uint8_t vcert[PAYWORD_VCERT_MAX];
	size_t vcert_len;
	uint64_t serial;
	char username[PAYWORD_USERNAME_MAX + 1];
	uint64_t order;
	uint8_t token[PAYWORD_TOKEN_LEN];
	char product[PAYWORD_PRODUCT_MAX + 1];
	struct obol_amount value;
	bool has_commit;
	struct payword_commit_wire commit;
};

struct payword_pay_spec {
	struct obol_field cf[4];
	struct obol_fields c;
	struct obol_field f[9];
	struct obol_fields spec;
};
void payword_pay_spec_init(struct payword_pay_spec *s, struct payword_pay_wire *m);
OBOL_MUST_CHECK obol_err payword_pay_to_wire(const struct payword_pay *p, struct payword_pay_wire *m);
/* Decodes the certificate and rebuilds the request (PAYWORD_CERT_MALFORMED). */
OBOL_MUST_CHECK obol_err payword_pay_from_wire(const struct payword_pay_wire *m, struct payword_pay *p);

/* PAYWORD_MSG_PAY_REPLY: {1: auth (int), 2: code (uint, only with auth -1)}. */
struct payword_reply_wire {
	int64_t auth;
	uint64_t code;
	bool has_code;
};
struct payword_reply_spec {
	struct obol_field f[2];
	struct obol_fields spec;
};
void payword_reply_spec_init(struct payword_reply_spec *s, struct payword_reply_wire *m);

/* PAYWORD_MSG_HELLO: {1: product (text, optional)}. */
struct payword_hello_wire {
	char product[PAYWORD_PRODUCT_MAX + 1];
	bool has_product;
};
struct payword_hello_spec {
	struct obol_field f[1];
	struct obol_fields spec;
};
void payword_hello_spec_init(struct payword_hello_spec *s, struct payword_hello_wire *m);

/* PAYWORD_MSG_INFO: {1: vendor_id, 2: mode ("generic"/"specific"), 3: price (optional)}. */
struct payword_info_wire {
	uint64_t vendor_id;
	char mode[PAYWORD_MODE_TEXT_MAX + 1];
	struct obol_amount price;
	bool has_price;
};
struct payword_info_spec {
	struct obol_field f[3];
	struct obol_fields spec;
};
void payword_info_spec_init(struct payword_info_spec *s, struct payword_info_wire *m);

/* The vendor's report line, POST /payword/report (JSON):
 * {serial, commit: {vendor, start, time, sig}, order, token, value, auth, product}. */
struct payword_claim_wire {
	uint64_t serial;
	struct payword_commit_wire commit;
	uint64_t order;
	uint8_t token[PAYWORD_TOKEN_LEN];
	struct obol_amount value;
	int64_t auth;
	char product[PAYWORD_PRODUCT_MAX + 1];
};
struct payword_claim_spec {
	struct obol_field cf[4];
	struct obol_fields c;
	struct obol_field f[7];
	struct obol_fields spec;
};
void payword_claim_spec_init(struct payword_claim_spec *s, struct payword_claim_wire *m);
void payword_claim_to_wire(const struct payword_claim *c, struct payword_claim_wire *m);
/* vendor is the authenticated vendor's id. */
void payword_claim_from_wire(const struct payword_claim_wire *m, uint64_t vendor, struct payword_claim *c);

/* The CRL, GET /payword/crl (JSON): {seq, issued, serials: [..], sig}. */
struct payword_crl_wire {
	uint64_t seq;
	int64_t issued;
	uint64_t serials[PAYWORD_CRL_MAX];
	size_t count;
	uint8_t sig[OBOL_SIGN_LEN];
};
struct payword_crl_spec {
	struct obol_field f[4];
	struct obol_fields spec;
};
void payword_crl_spec_init(struct payword_crl_spec *s, struct payword_crl_wire *m);
/* *crl gets a malloc'ed copy of the serials (free(crl->serials)). */
OBOL_MUST_CHECK obol_err payword_crl_from_wire(const struct payword_crl_wire *m, struct payword_crl *crl);
void payword_crl_to_wire(const struct payword_crl *crl, struct payword_crl_wire *m);

#endif
