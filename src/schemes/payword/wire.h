/* payword messages on the wire: field specs (wire/fields.h) of the
 * device-link frames and of the issuer API bodies, each written once and
 * used by both ends (the wallet and the agent, the vendor and the agent).
 * Binary structures that are signed travel as their fixed byte form
 * (messages.h) or as their fields with the signature beside them. */
#ifndef OBOL_SCHEMES_PAYWORD_WIRE_H
#define OBOL_SCHEMES_PAYWORD_WIRE_H

#include "schemes/payword/messages.h"
#include "wire/fields.h"

#define PAYWORD_MODE_TEXT_MAX 8
#define PAYWORD_REQUEST_ID_MAX 64
#define PAYWORD_VERDICT_MAX 24
#define PAYWORD_ERROR_NAME_MAX 48

/* --- device link ----------------------------------------------------------- */

/* PAYWORD_MSG_PAY: {1 vcert, 2 serial, 3 username, 4 order, 5 token,
 * 6 product, 7 value, 8 range {1 from, 2 sig}}; the range's serial, vendor
 * and last order are those of the purchase. */
struct payword_pay_wire {
	uint8_t vcert[PAYWORD_VCERT_MAX];
	size_t vcert_len;
	uint64_t serial;
	char username[PAYWORD_USERNAME_MAX + 1];
	uint64_t order;
	uint8_t token[PAYWORD_TOKEN_LEN];
	char product[PAYWORD_PRODUCT_MAX + 1];
	struct obol_amount value;
	uint64_t range_from;
	uint8_t range_sig[OBOL_SIGN_LEN];
};

struct payword_pay_spec {
	struct obol_field rf[2];
	struct obol_fields r;
	struct obol_field f[8];
	struct obol_fields spec;
};
void payword_pay_spec_init(struct payword_pay_spec *s, struct payword_pay_wire *m);
OBOL_MUST_CHECK obol_err payword_pay_to_wire(const struct payword_pay *p, struct payword_pay_wire *m);
/* Decodes the certificate and rebuilds the request (PAYWORD_CERT_MALFORMED);
 * the range is the request's: serial, from .. order, at vendor. */
OBOL_MUST_CHECK obol_err payword_pay_from_wire(const struct payword_pay_wire *m, uint64_t vendor,
					       struct payword_pay *p);

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

/* --- issuer API (JSON) ----------------------------------------------------- */

/* A signed range with its own ends: {from, to, sig}. */
struct payword_range_wire {
	uint64_t from, to;
	uint8_t sig[OBOL_SIGN_LEN];
};

/* The vendor's report line, POST /payword/report:
 * {serial, range: {from, to, sig}, token, value, auth, product}. */
struct payword_claim_wire {
	uint64_t serial;
	struct payword_range_wire range;
	uint8_t token[PAYWORD_TOKEN_LEN];
	struct obol_amount value;
	int64_t auth;
	char product[PAYWORD_PRODUCT_MAX + 1];
};
struct payword_claim_spec {
	struct obol_field rf[3];
	struct obol_fields r;
	struct obol_field f[6];
	struct obol_fields spec;
};
void payword_claim_spec_init(struct payword_claim_spec *s, struct payword_claim_wire *m);
void payword_claim_to_wire(const struct payword_claim *c, struct payword_claim_wire *m);
/* vendor is the authenticated vendor's id: the range is read as signed for it. */
void payword_claim_from_wire(const struct payword_claim_wire *m, uint64_t vendor, struct payword_claim *c);

/* The agent's answer to a report: {accepted, verdict, paid?, held?, error?}.
 * verdict: "ok", "duplicate", "user-double-spend", "held" (tokens held for
 * review or as the user's debt), "vendor-fabrication" (accepted false). */
struct payword_report_reply {
	bool accepted;
	char verdict[PAYWORD_VERDICT_MAX + 1];
	struct obol_amount paid;
	bool has_paid;
	uint64_t held;          /* tokens held, not paid */
	bool has_held;
	char error[PAYWORD_ERROR_NAME_MAX + 1];
	bool has_error;
};
struct payword_report_reply_spec {
	struct obol_field f[5];
	struct obol_fields spec;
};
void payword_report_reply_spec_init(struct payword_report_reply_spec *s, struct payword_report_reply *m);

/* POST /payword/register (authenticated as the user's account):
 * {username, password} -> {account, username}. */
struct payword_register_wire {
	char username[PAYWORD_USERNAME_MAX + 1];
	char password[PAYWORD_PASSWORD_MAX + 1]; /* secret */
	int64_t account;                         /* reply */
};
struct payword_register_spec {
	struct obol_field f[2];
	struct obol_fields spec;
};
void payword_register_spec_init(struct payword_register_spec *s, struct payword_register_wire *m);
void payword_register_reply_spec_init(struct payword_register_spec *s, struct payword_register_wire *m);

/* POST /payword/vendor/register (vendor-authenticated): {mode, batch_interval}
 * -> {vendor, mode}; batch_interval 0 for almost-online reporting. */
struct payword_vendor_register_wire {
	char mode[PAYWORD_MODE_TEXT_MAX + 1];
	uint64_t batch_interval;
	uint64_t vendor; /* reply */
};
struct payword_vendor_register_spec {
	struct obol_field f[2];
	struct obol_fields spec;
};
void payword_vendor_register_spec_init(struct payword_vendor_register_spec *s, struct payword_vendor_register_wire *m);
void payword_vendor_register_reply_spec_init(struct payword_vendor_register_spec *s,
					     struct payword_vendor_register_wire *m);

/* POST /payword/buy (authenticated as the user's account), steps A-C:
 * {request_id, username, password, tokens, scope, position?: {serial, next, sig}}
 * -> {serial, first_order, n, carried, cost, held, held_until}; serial 0
 * when nothing could be carried yet and no token was bought (the live
 * certificate was only ended, its tokens held for late reports). */
struct payword_buy_wire {
	char request_id[PAYWORD_REQUEST_ID_MAX + 1];
	char username[PAYWORD_USERNAME_MAX + 1];
	char password[PAYWORD_PASSWORD_MAX + 1]; /* secret */
	uint64_t tokens, scope;
	bool has_position;
	struct payword_position position;
};
struct payword_buy_spec {
	struct obol_field pf[3];
	struct obol_fields p;
	struct obol_field f[6];
	struct obol_fields spec;
};
void payword_buy_spec_init(struct payword_buy_spec *s, struct payword_buy_wire *m);

struct payword_buy_reply {
	uint64_t serial, first_order, n;
	int64_t carried;
	struct obol_amount cost;
	uint64_t held;
	int64_t held_until;
};
struct payword_buy_reply_spec {
	struct obol_field f[7];
	struct obol_fields spec;
};
void payword_buy_reply_spec_init(struct payword_buy_reply_spec *s, struct payword_buy_reply *m);

/* POST /payword/cert (authenticated as the user's account), step D:
 * {username, password, serial} -> {serial, ucert}. */
struct payword_cert_wire {
	char username[PAYWORD_USERNAME_MAX + 1];
	char password[PAYWORD_PASSWORD_MAX + 1]; /* secret */
	uint64_t serial;
	uint8_t ucert[PAYWORD_UCERT_MAX];        /* reply; secret */
	size_t ucert_len;
};
struct payword_cert_spec {
	struct obol_field f[3];
	struct obol_fields spec;
};
void payword_cert_spec_init(struct payword_cert_spec *s, struct payword_cert_wire *m);
void payword_cert_reply_spec_init(struct payword_cert_spec *s, struct payword_cert_wire *m);

/* The CRL, GET /payword/crl: {seq, issued, serials: [..], sig}. The
 * serials live in a caller's buffer of cap entries: the agent sends its
 * list as it is (no count refuses it), a vendor reads at most
 * PAYWORD_CRL_MAX. */
struct payword_crl_wire {
	uint64_t seq;
	int64_t issued;
	uint64_t *serials;
	size_t count, cap;
	uint8_t sig[OBOL_SIGN_LEN];
};
struct payword_crl_spec {
	struct obol_field f[4];
	struct obol_fields spec;
};
void payword_crl_spec_init(struct payword_crl_spec *s, struct payword_crl_wire *m);
/* A page of the CRL, GET /payword/crl/page?since=T&after=S:
 * {issued, since, after, through, serials: [..], sig} (struct
 * payword_crl_page; its serials point into the page's own buffer of
 * PAYWORD_CRL_PAGE_MAX entries when decoding). */
struct payword_crl_page_spec {
	struct obol_field f[6];
	struct obol_fields spec;
};
void payword_crl_page_spec_init(struct payword_crl_page_spec *s, struct payword_crl_page *p);

/* For decoding: a buffer of PAYWORD_CRL_MAX serials (NO_MEMORY);
 * payword_crl_wire_free releases it. */
OBOL_MUST_CHECK obol_err payword_crl_wire_alloc(struct payword_crl_wire *m);
void payword_crl_wire_free(struct payword_crl_wire *m);
/* Moves the decoded list into *crl (the buffer moves with it: free(crl->serials)). */
void payword_crl_from_wire(struct payword_crl_wire *m, struct payword_crl *crl);
/* For encoding: m borrows crl's serials. */
void payword_crl_to_wire(const struct payword_crl *crl, struct payword_crl_wire *m);

#endif
