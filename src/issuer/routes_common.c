/* The issuer's scheme-independent endpoints:
 *   GET  /keys                  the signed key document (keys_doc.h)
 *   GET  /vendor/cert?sign_pk=  the newest certificate for a vendor key: {"cert": TEXT}
 *   POST /vendor/renew          authenticated as a vendor, idempotent by "request_id":
 *                               {"request_id"} answers {"cert": TEXT}, a renewed certificate
 *                               (obol_issuer_vendor_renew)
 *   GET  /account/by-key/PK     {"id", "name"} of the account whose auth key is PK (base64url)
 *   GET  /account               authenticated: {"id", "name", "kind", "balance"}
 *   POST /account/payout        authenticated, idempotent by "request_id":
 *                               {"request_id", "amount"} moves amount from the account to the
 *                               outside world (the stand-in for a bank transfer, DESIGN §4);
 *                               answers {"entry", "balance"} */
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/issuer.h"
#include "issuer/vendors.h"
#include "store/ledger.h"

static obol_err get_keys(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	(void)req;
	return obol_issuer_keys_doc(iss, &rep->body);
}
OBOL_ROUTE(route_keys, "GET", "/keys", get_keys)

struct cert_read {
	uint8_t pk[32];
	struct obol_vendor_cert cert;
};

static obol_err cert_by_key(struct obol_store *s, void *arg)
{
	struct cert_read *c = arg;
	return obol_issuer_vendor_cert_by_key(s, c->pk, &c->cert);
}

static obol_err get_vendor_cert(struct obol_issuer *iss, const struct obol_http_req *req,
				struct obol_http_reply *rep)
{
	struct cert_read c;
	char text[OBOL_VENDOR_CERT_TEXT_MAX];
	size_t n;
	const char *pk = obol_http_req_query(req, "sign_pk");
	if (pk == NULL || obol_b64_decode(pk, c.pk, 32, &n, 1) != OBOL_OK) {
		obol_http_reply_detail(rep, "sign_pk must be a base64url Ed25519 public key");
		return OBOL_E_INVALID_ARGUMENT;
	}
	obol_err e = obol_issuer_read(iss, cert_by_key, &c);
	if (e == OBOL_OK)
		e = obol_vendor_cert_to_text(&c.cert, text);
	if (e != OBOL_OK)
		return e;
	rep->body = json_pack("{s:s}", "cert", text);
	return rep->body != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}
OBOL_ROUTE(route_vendor_cert, "GET", "/vendor/cert", get_vendor_cert)

struct renew {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
};

static obol_err renew_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct renew *r = arg;
	struct obol_account acc;
	struct obol_vendor_cert cert;
	char text[OBOL_VENDOR_CERT_TEXT_MAX];
	struct obol_ed25519_signer sg;
	int64_t now = obol_now();
	obol_err e = obol_issuer_authenticate(r->iss, s, r->req, &acc);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_issuer_signer(r->iss, now, &sg)) != OBOL_OK ||
	    (e = obol_issuer_vendor_renew(s, &sg, &acc, now, &cert)) != OBOL_OK ||
	    (e = obol_vendor_cert_to_text(&cert, text)) != OBOL_OK)
		return e;
	*reply = json_pack("{s:s}", "cert", text);
	return *reply != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err post_vendor_renew(struct obol_issuer *iss, const struct obol_http_req *req,
				  struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct renew r = { .iss = iss, .req = req };
	obol_err e = obol_issuer_authenticate(iss, NULL, req, &acc);
	if (e != OBOL_OK)
		return e;
	const json_t *rid = json_object_get(req->json, "request_id");
	if (json_object_size(req->json) != 1 || !json_is_string(rid)) {
		obol_http_reply_detail(rep, "the body is {\"request_id\": TEXT}");
		return json_object_size(req->json) > 1 ? OBOL_E_WIRE_UNKNOWN_FIELD : OBOL_E_WIRE_MISSING_FIELD;
	}
	return obol_issuer_run_idem(iss, req, acc.id, json_string_value(rid), renew_unit, &r, rep);
}
OBOL_ROUTE(route_vendor_renew, "POST", "/vendor/renew", post_vendor_renew)

struct by_key {
	uint8_t pk[32];
	struct obol_account acc;
	bool found;
};

static obol_err match_key(const struct obol_account *a, void *arg)
{
	struct by_key *k = arg;
	if (!k->found && a->has_auth_pk && memcmp(a->auth_pk, k->pk, 32) == 0) {
		k->acc = *a;
		k->found = true;
	}
	return OBOL_OK;
}

static obol_err find_by_key(struct obol_store *s, void *arg)
{
	return obol_account_list(s, 0, match_key, arg);
}

static obol_err get_account_by_key(struct obol_issuer *iss, const struct obol_http_req *req,
				   struct obol_http_reply *rep)
{
	struct by_key k = { .found = false };
	size_t n;
	if (obol_b64_decode(req->tail, k.pk, 32, &n, 1) != OBOL_OK) {
		obol_http_reply_detail(rep, "the key must be a base64url Ed25519 public key");
		return OBOL_E_INVALID_ARGUMENT;
	}
	obol_err e = obol_issuer_read(iss, find_by_key, &k);
	if (e != OBOL_OK)
		return e;
	if (!k.found)
		return OBOL_E_LEDGER_ACCOUNT_UNKNOWN;
	rep->body = json_pack("{s:I, s:s}", "id", (json_int_t)k.acc.id, "name", k.acc.name);
	return rep->body != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}
OBOL_ROUTE(route_account_by_key, "GET", "/account/by-key/", get_account_by_key)

static obol_err get_account(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	char bal[OBOL_AMOUNT_STR_MAX];
	obol_err e = obol_issuer_authenticate(iss, NULL, req, &acc);
	if (e != OBOL_OK)
		return e;
	obol_amount_format(&acc.balance, bal);
	rep->body = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)acc.id, "name", acc.name, "kind",
			      acc.kind == OBOL_ACCOUNT_VENDOR ? "vendor" : "user", "balance", bal);
	return rep->body != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}
OBOL_ROUTE(route_account, "GET", "/account", get_account)

struct payout {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	struct obol_amount amount;
	const char *request_id;
};

static obol_err payout_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct payout *p = arg;
	struct obol_account acc;
	struct obol_amount bal;
	char text[OBOL_AMOUNT_STR_MAX];
	/* Authenticated again inside the unit: the account's status is read in
	 * the same transaction as the debit. */
	obol_err e = obol_issuer_authenticate(p->iss, s, p->req, &acc);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_ledger_payout(s, acc.id, &p->amount, p->request_id)) != OBOL_OK ||
	    (e = obol_ledger_balance(s, acc.id, &bal)) != OBOL_OK)
		return e;
	obol_amount_format(&bal, text);
	*reply = json_pack("{s:s, s:s}", "request_id", p->request_id, "balance", text);
	return *reply != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err post_payout(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct payout p = { .iss = iss, .req = req };
	obol_err e = obol_issuer_authenticate(iss, NULL, req, &acc);
	if (e != OBOL_OK)
		return e;
	const json_t *rid = json_object_get(req->json, "request_id");
	const json_t *amt = json_object_get(req->json, "amount");
	if (json_object_size(req->json) != 2 || !json_is_string(rid) || !json_is_string(amt)) {
		obol_http_reply_detail(rep, "the body is {\"request_id\": TEXT, \"amount\": \"CUR:V.F\"}");
		return json_object_size(req->json) > 2 ? OBOL_E_WIRE_UNKNOWN_FIELD : OBOL_E_WIRE_MISSING_FIELD;
	}
	p.request_id = json_string_value(rid);
	if ((e = obol_amount_parse(json_string_value(amt), &p.amount)) != OBOL_OK)
		return e;
	if (obol_amount_is_zero(&p.amount) || obol_amount_is_negative(&p.amount))
		return OBOL_E_INVALID_ARGUMENT;
	return obol_issuer_run_idem(iss, req, acc.id, p.request_id, payout_unit, &p, rep);
}
OBOL_ROUTE(route_payout, "POST", "/account/payout", post_payout)
