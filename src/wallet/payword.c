/* The wallet's payword section and conversations: see payword.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "net/http_client.h"
#include "schemes/payword/wire.h"
#include "wallet/issuer_link.h"
#include "wallet/payer.h"
#include "wallet/payword.h"
#include "wire/json.h"

obol_err payword_wallet_password(const char **out)
{
	const char *p = getenv(PAYWORD_PASSWORD_ENV);
	if (p == NULL || p[0] == '\0')
		return OBOL_E_PASSPHRASE_MISSING;
	*out = p;
	return OBOL_OK;
}

static json_t *section(struct obol_wallet *w)
{
	return obol_wallet_section(w, "payword");
}

static obol_err username_of(struct obol_wallet *w, char out[PAYWORD_USERNAME_MAX + 1])
{
	const char *u = json_string_value(json_object_get(section(w), "username"));
	if (u == NULL)
		return OBOL_E_NOT_FOUND;
	return obol_strlcpy_checked(out, u, PAYWORD_USERNAME_MAX + 1);
}

/* Deletes the password from a request body before it is freed. */
static void body_free(json_t *body)
{
	if (body != NULL)
		json_object_del(body, "password");
	json_decref(body);
}

obol_err payword_wallet_register(struct obol_wallet *w, const char *username, const char *password, int64_t *account)
{
	struct obol_http_client *c = NULL;
	struct payword_register_wire rw;
	struct payword_register_spec spec;
	json_t *body = NULL, *reply = NULL;
	obol_err e;
	memset(&rw, 0, sizeof(rw));
	if ((e = obol_strlcpy_checked(rw.username, username, sizeof(rw.username))) != OBOL_OK ||
	    (e = obol_strlcpy_checked(rw.password, password, sizeof(rw.password))) != OBOL_OK)
		goto out;
	payword_register_spec_init(&spec, &rw);
	/* Signed with the account key the operator opened the account for. */
	if ((e = obol_json_encode(&spec.spec, &body)) != OBOL_OK || (e = obol_wallet_client(w, true, &c)) != OBOL_OK ||
	    (e = obol_http_post_json(c, "/payword/register", body, OBOL_HTTP_AUTH, &reply)) != OBOL_OK)
		goto out;
	payword_register_reply_spec_init(&spec, &rw);
	if ((e = obol_json_decode(reply, &spec.spec)) != OBOL_OK)
		goto out;
	*account = rw.account;
	if (json_object_set_new(section(w), "username", json_string(username)) != 0)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_wallet_save(w);
out:
	body_free(body);
	json_decref(reply);
	obol_http_client_free(c);
	OBOL_WIPE(rw.password);
	return e;
}

static void scope_key(uint64_t scope, char out[24])
{
	snprintf(out, 24, "%llu", (unsigned long long)scope);
}

obol_err payword_wallet_load(struct obol_wallet *w, uint64_t scope, const char *password,
			     struct payword_wallet_cert *out)
{
	char key[24];
	const char *b64;
	uint8_t *buf = NULL;
	size_t len = 0, cap;
	obol_err e;
	scope_key(scope, key);
	b64 = json_string_value(json_object_get(json_object_get(section(w), "certs"), key));
	if (b64 == NULL)
		return OBOL_E_PAYWORD_NO_CERT;
	cap = strlen(b64);
	if ((buf = malloc(cap + 1)) == NULL)
		return OBOL_E_NO_MEMORY;
	e = obol_b64_decode(b64, buf, cap, &len, 0);
	if (e == OBOL_OK)
		e = payword_wallet_open(buf, len, password, out);
	free(buf);
	return e;
}

obol_err payword_wallet_store(struct obol_wallet *w, uint64_t scope, const char *password,
			      const struct payword_wallet_cert *c)
{
	char key[24], *b64 = NULL;
	uint8_t *sealed = NULL;
	size_t len = 0;
	json_t *certs = json_object_get(section(w), "certs");
	obol_err e = payword_wallet_seal(c, password, 0, 0, &sealed, &len);
	if (e)
		return e;
	if (certs == NULL) {
		certs = json_object();
		if (certs == NULL || json_object_set_new(section(w), "certs", certs) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK && (b64 = malloc(OBOL_B64_LEN(len))) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_b64_encode(sealed, len, b64, OBOL_B64_LEN(len));
	scope_key(scope, key);
	if (e == OBOL_OK && json_object_set_new(certs, key, json_string(b64)) != 0)
		e = OBOL_E_NO_MEMORY;
	free(b64);
	free(sealed);
	return e;
}

obol_err payword_wallet_forget(struct obol_wallet *w, uint64_t scope)
{
	char key[24];
	scope_key(scope, key);
	json_object_del(json_object_get(section(w), "certs"), key);
	return OBOL_OK;
}

/* --- token purchase (steps A-D) -------------------------------------------- */

/* The pending purchase of a scope, or NULL. */
static json_t *pending_buy(struct obol_wallet *w, uint64_t scope)
{
	json_t *p = json_object_get(section(w), "pending_buy");
	if (p != NULL && (uint64_t)json_integer_value(json_object_get(p, "scope")) != scope)
		return NULL;
	return p;
}

/* Records a new purchase request (no password in it): the position the
 * wallet signs first gives up a purchase in doubt, so no range it signed
 * reaches it. The certificate state is stored with it in one save. */
static obol_err record_buy(struct obol_wallet *w, const char *password, const char *username, uint64_t scope,
			   uint64_t tokens, bool lost, const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	struct payword_wallet_cert cur;
	struct payword_buy_wire bw;
	struct payword_buy_spec spec;
	json_t *pending = NULL;
	uint8_t rnd[16];
	bool have;
	obol_err e;
	memset(&bw, 0, sizeof(bw));
	e = payword_wallet_load(w, scope, password, &cur);
	have = e == OBOL_OK;
	if (e != OBOL_OK && e != OBOL_E_PAYWORD_NO_CERT)
		goto out;
	obol_random(rnd, sizeof(rnd));
	if ((e = obol_b64_encode(rnd, sizeof(rnd), bw.request_id, sizeof(bw.request_id))) != OBOL_OK ||
	    (e = obol_strlcpy_checked(bw.username, username, sizeof(bw.username))) != OBOL_OK)
		goto out;
	bw.tokens = tokens;
	bw.scope = scope;
	if (have && !lost) {
		payword_wallet_position(&cur, sk, &bw.position);
		bw.has_position = true;
	}
	payword_buy_spec_init(&spec, &bw);
	if ((e = obol_json_encode(&spec.spec, &pending)) != OBOL_OK)
		goto out;
	json_object_del(pending, "password");
	if (json_object_set_new(section(w), "pending_buy", pending) != 0) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if (lost)
		e = payword_wallet_forget(w, scope);
	else if (have)
		e = payword_wallet_store(w, scope, password, &cur);
	if (e == OBOL_OK)
		e = obol_wallet_save(w);
out:
	payword_wallet_wipe(&cur);
	return e;
}

/* Step D: the user certificate of serial, checked and stored. */
static obol_err download(struct obol_wallet *w, struct obol_http_client *c, const char *username,
			 const char *password, uint64_t scope, uint64_t serial, const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	struct payword_cert_wire *cw = calloc(1, sizeof(*cw));
	struct payword_cert_spec spec;
	struct payword_wallet_cert fresh;
	uint8_t agent_pk[OBOL_SIGN_PK_LEN];
	json_t *body = NULL, *reply = NULL;
	obol_err e = cw != NULL ? obol_wallet_issuer(w, NULL, agent_pk, NULL, NULL) : OBOL_E_NO_MEMORY;
	memset(&fresh, 0, sizeof(fresh));
	if (e)
		goto out;
	cw->serial = serial;
	if ((e = obol_strlcpy_checked(cw->username, username, sizeof(cw->username))) != OBOL_OK ||
	    (e = obol_strlcpy_checked(cw->password, password, sizeof(cw->password))) != OBOL_OK)
		goto out;
	payword_cert_spec_init(&spec, cw);
	if ((e = obol_json_encode(&spec.spec, &body)) != OBOL_OK ||
	    (e = obol_http_post_json(c, "/payword/cert", body, OBOL_HTTP_AUTH, &reply)) != OBOL_OK)
		goto out;
	payword_cert_reply_spec_init(&spec, cw);
	if ((e = obol_json_decode(reply, &spec.spec)) != OBOL_OK ||
	    (e = payword_wallet_accept(cw->ucert, cw->ucert_len, agent_pk, username, sk + 32, &fresh)) != OBOL_OK)
		goto out;
	e = fresh.uc.vc.serial == serial && fresh.uc.vc.scope == scope ? payword_wallet_store(w, scope, password, &fresh)
									: OBOL_E_PAYWORD_CERT_MISMATCH;
out:
	body_free(body);
	json_decref(reply);
	if (cw != NULL)
		OBOL_WIPE(*cw);
	free(cw);
	payword_wallet_wipe(&fresh);
	return e;
}

obol_err payword_wallet_buy_body(struct obol_wallet *w, const char *password, json_t **out)
{
	json_t *pending = json_object_get(section(w), "pending_buy");
	json_t *copy, *body;
	char *text;
	*out = NULL;
	if (pending == NULL)
		return OBOL_E_NOT_FOUND;
	/* The wallet file stores its objects with sorted keys, at every depth,
	 * and a reopened wallet reads them in that order: the body is put in
	 * that order every time, whether the record was just made or read back. */
	if ((copy = json_deep_copy(pending)) == NULL ||
	    json_object_set_new(copy, "password", json_string(password)) != 0) {
		body_free(copy);
		return OBOL_E_NO_MEMORY;
	}
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	body_free(copy);
	if (text == NULL)
		return OBOL_E_NO_MEMORY;
	body = json_loads(text, 0, NULL);
	obol_wipe(text, strlen(text));
	free(text);
	if (body == NULL)
		return OBOL_E_NO_MEMORY;
	*out = body;
	return OBOL_OK;
}

obol_err payword_wallet_buy_tokens(struct obol_wallet *w, const char *password, uint64_t scope, uint64_t tokens,
				   bool lost, struct payword_buy_outcome *out)
{
	struct obol_http_client *c = NULL;
	struct payword_buy_reply r;
	struct payword_buy_reply_spec rs;
	char username[PAYWORD_USERNAME_MAX + 1];
	uint8_t sk[OBOL_SIGN_SK_LEN];
	json_t *pending, *body = NULL, *reply = NULL;
	int64_t id;
	obol_err e;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if ((e = username_of(w, username)) != OBOL_OK || (e = obol_wallet_account(w, &id, sk)) != OBOL_OK)
		goto out;
	pending = json_object_get(section(w), "pending_buy");
	if (pending == NULL) {
		if ((e = record_buy(w, password, username, scope, tokens, lost, sk)) != OBOL_OK)
			goto out;
		pending = json_object_get(section(w), "pending_buy");
	}
	/* Resumed or new: the recorded request is what is sent. */
	scope = (uint64_t)json_integer_value(json_object_get(pending, "scope"));
	if ((e = payword_wallet_buy_body(w, password, &body)) != OBOL_OK)
		goto out;
	if ((e = obol_wallet_client(w, true, &c)) != OBOL_OK)
		goto out;
	if ((e = obol_http_post_json(c, "/payword/buy", body, OBOL_HTTP_AUTH, &reply)) != OBOL_OK) {
		/* Refused for good: nothing moved, forget the request. Without a
		 * definite answer it stays recorded and the next call sends it again. */
		if (payword_wallet_buy_refused_for_good(e)) {
			json_object_del(section(w), "pending_buy");
			if (obol_wallet_save(w) != OBOL_OK)
				e = OBOL_E_WALLET_FILE;
		}
		goto out;
	}
	payword_buy_reply_spec_init(&rs, &r);
	if ((e = obol_json_decode(reply, &rs.spec)) != OBOL_OK)
		goto out;
	if (r.serial != 0)
		e = download(w, c, username, password, scope, r.serial, sk);
	else
		e = payword_wallet_forget(w, scope); /* the live certificate ended; its value waits the grace */
	if (e)
		goto out;
	json_object_del(section(w), "pending_buy");
	if ((e = obol_wallet_save(w)) != OBOL_OK)
		goto out;
	out->serial = r.serial;
	out->first_order = r.first_order;
	out->n = r.n;
	out->carried = r.carried;
	obol_amount_format(&r.cost, out->cost);
	out->held = r.held;
	out->held_until = r.held_until;
out:
	body_free(body);
	json_decref(reply);
	obol_http_client_free(c);
	OBOL_WIPE(sk);
	return e;
}

bool payword_wallet_renewal_due(const struct payword_vcert *vc, int64_t now)
{
	int64_t margin = (vc->not_after - vc->issued) / 10;
	if (margin > PAYWORD_WALLET_RENEW_MARGIN_MAX_S)
		margin = PAYWORD_WALLET_RENEW_MARGIN_MAX_S;
	return now >= vc->not_after - margin;
}

/* --- purchase over the device link ------------------------------------- */

static obol_err hello(struct obol_devlink *dl, const char *product, struct payword_purchase *out)
{
	struct payword_hello_wire h = { .has_product = true };
	struct payword_hello_spec hs;
	struct payword_info_wire info;
	struct payword_info_spec is;
	const uint8_t *body;
	size_t len;
	uint32_t type;
	obol_err e = obol_strlcpy_checked(h.product, product, sizeof(h.product));
	if (e)
		return e;
	payword_hello_spec_init(&hs, &h);
	if ((e = obol_devlink_write(dl, PAYWORD_MSG_HELLO, &hs.spec)) != OBOL_OK ||
	    (e = obol_devlink_read(dl, &type, &body, &len)) != OBOL_OK)
		return e;
	if (type != PAYWORD_MSG_INFO)
		return OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	memset(&info, 0, sizeof(info));
	payword_info_spec_init(&is, &info);
	if ((e = obol_cbor_decode(body, len, &is.spec)) != OBOL_OK)
		return e;
	if (!info.has_price)
		return OBOL_E_WIRE_MISSING_FIELD;
	/* The id it says is the one its certificate names (the link proved it):
	 * the range is signed for that vendor and no other. */
	if (info.vendor_id != obol_devlink_peer(dl)->cert.vendor_id)
		return OBOL_E_PAYWORD_VENDOR_MISMATCH;
	out->vendor_id = info.vendor_id;
	snprintf(out->mode, sizeof(out->mode), "%s", info.mode);
	out->price = info.price;
	return OBOL_OK;
}

/* payword_wallet_pay_link, with the payer's guard on the link (NULL: none):
 * *receipt gets what obol_pay_receipt said of a paid purchase's receipt. */
static obol_err pay_link(const char *addr, const uint8_t issuer_pk[32], const struct payword_pay *req,
			 struct payword_pay_reply *r, struct obol_payer *payer, obol_err *receipt)
{
	struct obol_devlink *dl = NULL;
	struct payword_pay_wire *w = calloc(1, sizeof(*w));
	struct payword_pay_spec ps;
	struct payword_reply_wire rw;
	struct payword_reply_spec rs;
	const uint8_t *body;
	size_t len;
	uint32_t type;
	obol_err e = w != NULL ? payword_pay_to_wire(req, w) : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_devlink_connect_vendor(addr, 0, issuer_pk, &dl);
	if (e == OBOL_OK && obol_devlink_peer(dl)->cert.vendor_id != req->range.vendor)
		e = OBOL_E_PAYWORD_VENDOR_MISMATCH; /* the range goes to the vendor it is signed for only */
	if (e == OBOL_OK)
		obol_devlink_set_payer(dl, payer);
	if (e == OBOL_OK) {
		payword_pay_spec_init(&ps, w);
		if ((e = obol_pay_sent(dl, &ps.spec)) == OBOL_OK)
			e = obol_devlink_write(dl, PAYWORD_MSG_PAY, &ps.spec);
	}
	if (e == OBOL_OK)
		e = obol_devlink_read(dl, &type, &body, &len);
	if (e == OBOL_OK && type != PAYWORD_MSG_PAY_REPLY)
		e = OBOL_E_WIRE_UNEXPECTED_MESSAGE;
	if (e == OBOL_OK) {
		memset(&rw, 0, sizeof(rw));
		payword_reply_spec_init(&rs, &rw);
		e = obol_cbor_decode(body, len, &rs.spec);
	}
	if (e == OBOL_OK) {
		r->auth = rw.auth;
		r->err = rw.has_code && obol_err_is_known((int)rw.code) ? (obol_err)rw.code : OBOL_E_PEER_ERROR;
		if (rw.auth == 0 || rw.auth < PAYWORD_AUTH_NONE)
			e = OBOL_E_WIRE_MALFORMED;
	}
	if (e == OBOL_OK && rw.auth > 0)
		*receipt = obol_pay_receipt(dl, 1);
	else if (e == OBOL_OK)
		obol_pay_refused(dl, r->err);
	obol_devlink_close(dl);
	if (w != NULL)
		OBOL_WIPE(w->token);
	free(w);
	return e;
}

obol_err payword_wallet_pay_link(const char *addr, const uint8_t issuer_pk[32], const struct payword_pay *req,
				struct payword_pay_reply *r)
{
	obol_err receipt = OBOL_OK;
	return pay_link(addr, issuer_pk, req, r, NULL, &receipt);
}

static bool transport_error(obol_err e)
{
	return e == OBOL_E_NETWORK || e == OBOL_E_DEVLINK_CLOSED || e == OBOL_E_WIRE_TRUNCATED ||
	       e == OBOL_E_DEVLINK_BUSY;
}

/* Keeps the authorisation number of a paid purchase (the last
 * PAYWORD_PURCHASES_KEPT), so its product can be fetched again. */
static obol_err keep_purchase(struct obol_wallet *w, const struct payword_purchase *p, const char *product,
			      uint64_t serial)
{
	json_t *list = json_object_get(section(w), "purchases");
	json_t *item = json_pack("{s:I, s:s, s:I, s:I, s:I}", "vendor", (json_int_t)p->vendor_id, "product", product,
				 "auth", (json_int_t)p->auth, "serial", (json_int_t)serial, "time",
				 (json_int_t)obol_now());
	if (list == NULL) {
		list = json_array();
		if (list == NULL || json_object_set_new(section(w), "purchases", list) != 0) {
			json_decref(item);
			return OBOL_E_NO_MEMORY;
		}
	}
	if (item == NULL || json_array_append_new(list, item) != 0)
		return OBOL_E_NO_MEMORY;
	while (json_array_size(list) > PAYWORD_PURCHASES_KEPT)
		json_array_remove(list, 0);
	return OBOL_OK;
}

obol_err payword_wallet_purchase(struct obol_wallet *w, const char *password, const struct payword_purchase_req *pr,
				 struct payword_purchase *out)
{
	struct payword_wallet_cert c;
	struct payword_wallet_pay_req wr;
	struct obol_paycap cap;
	struct obol_amount max;
	bool has_max = false;
	struct payword_pay req;
	struct payword_pay_reply r = { PAYWORD_AUTH_NONE, OBOL_OK };
	struct obol_devlink *dl = NULL;
	uint8_t sk[OBOL_SIGN_SK_LEN], pin[32];
	uint64_t scope;
	int64_t id;
	obol_err e, pe, receipt = OBOL_OK;

	memset(&c, 0, sizeof(c));
	memset(&req, 0, sizeof(req));
	memset(out, 0, sizeof(*out));
	/* Steps 1-2: which vendor, which system, what price. */
	e = obol_wallet_connect_vendor(w, pr->addr, &dl);
	if (e == OBOL_OK)
		e = hello(dl, pr->product, out);
	/* the payer's cap (src/wallet/payer.h), the core's limit too */
	if (e == OBOL_OK && (e = obol_pay_offer(dl, "payword", &out->price, 1)) == OBOL_OK &&
	    (e = obol_pay_cap(dl, &cap)) == OBOL_OK)
		e = obol_paycap_tighter(&cap, pr->max_amount, &max, &has_max);
	obol_devlink_close(dl);
	if (e)
		goto out;
	scope = strcmp(out->mode, "specific") == 0 ? out->vendor_id : PAYWORD_GENERIC;
	/* New tokens are on the way: the agent may have moved this chain's
	 * unspent tokens to them already, so none of it is spent meanwhile. */
	if (pending_buy(w, scope) != NULL) {
		e = OBOL_E_PAYWORD_BUY_PENDING;
		goto out;
	}
	if ((e = obol_wallet_account(w, &id, sk)) != OBOL_OK ||
	    (e = payword_wallet_load(w, scope, password, &c)) != OBOL_OK)
		goto out;
	if (c.pending && (c.req.range.vendor != out->vendor_id || strcmp(c.req.product, pr->product) != 0))
		payword_wallet_give_up(&c); /* another purchase: that one stays in doubt */
	if (!c.pending && payword_wallet_unspent(&c) > 0 && payword_wallet_renewal_due(&c.uc.vc, obol_now())) {
		/* The certificate is near its end (or past it): its unspent
		 * tokens move to a new one first (a regeneration), which this
		 * purchase then spends from. */
		struct payword_buy_outcome bo;
		payword_wallet_wipe(&c);
		if ((e = payword_wallet_buy_tokens(w, password, scope, 0, false, &bo)) != OBOL_OK ||
		    (e = payword_wallet_load(w, scope, password, &c)) != OBOL_OK)
			goto out;
		out->renewed = true;
	}
	if (c.pending) {
		req = c.req; /* the lost purchase, sent again as it was */
		if ((e = obol_payer_hand(obol_wallet_payer(w), &req.value)) != OBOL_OK)
			goto out;
	} else {
		/* Step 3: the tokens for the price, never above the caller's
		 * maximum nor the payer's cap; the state is saved before
		 * anything is sent. */
		wr.vendor_id = out->vendor_id;
		wr.value = out->price;
		wr.max_amount = has_max ? max : out->price;
		wr.product = pr->product;
		wr.now = obol_now();
		if ((e = payword_wallet_pay(&c, sk, &wr, &req)) != OBOL_OK ||
		    (e = obol_payer_hand(obol_wallet_payer(w), &req.value)) != OBOL_OK)
			goto out;
		if ((e = payword_wallet_store(w, scope, password, &c)) != OBOL_OK || (e = obol_wallet_save(w)) != OBOL_OK)
			goto out;
	}
	/* Steps 4-7: the vendor checks and answers; a lost reply is retried. */
	if ((e = obol_wallet_issuer(w, NULL, pin, NULL, NULL)) != OBOL_OK)
		goto out;
	pe = pay_link(pr->addr, pin, &req, &r, obol_wallet_payer(w), &receipt);
	for (unsigned i = 0; i < pr->retries && transport_error(pe); i++)
		pe = pay_link(pr->addr, pin, &req, &r, obol_wallet_payer(w), &receipt);
	if (pe != OBOL_OK) {
		payword_wallet_give_up(&c);
		e = pe;
	} else {
		e = payword_wallet_reply(&c, &r);
		out->auth = r.auth;
		out->refused = r.auth > 0 ? OBOL_OK : r.err;
	}
	obol_err se = payword_wallet_store(w, scope, password, &c);
	if (se == OBOL_OK && out->auth > 0)
		se = keep_purchase(w, out, pr->product, req.serial);
	if (se == OBOL_OK)
		se = obol_wallet_save(w);
	if (e == OBOL_OK)
		e = se;
	if (e == OBOL_OK)
		e = receipt; /* paid: the vendor's signed receipt, or why there is none (wallet history) */
	out->unspent = payword_wallet_unspent(&c);
	out->token_value = c.uc.vc.token_value;
out:
	if (e != OBOL_OK && e != receipt)
		obol_payer_failed(obol_wallet_payer(w), e); /* the history: refused, or in doubt */
	payword_wallet_wipe(&c);
	OBOL_WIPE(req);
	OBOL_WIPE(sk);
	return e;
}

/* --- step 8: the product ------------------------------------------------- */

/* The kept purchase of product (auth 0: the latest). */
static obol_err find_purchase(struct obol_wallet *w, const char *product, int64_t auth, uint64_t *vendor,
			      int64_t *found)
{
	json_t *list = json_object_get(section(w), "purchases");
	for (size_t i = json_array_size(list); i-- > 0;) {
		json_t *p = json_array_get(list, i);
		const char *name = json_string_value(json_object_get(p, "product"));
		int64_t a = json_integer_value(json_object_get(p, "auth"));
		if (name != NULL && strcmp(name, product) == 0 && (auth == 0 || a == auth)) {
			*vendor = (uint64_t)json_integer_value(json_object_get(p, "vendor"));
			*found = a;
			return OBOL_OK;
		}
	}
	return OBOL_E_PAYWORD_AUTH_INVALID;
}

obol_err payword_wallet_fetch(struct obol_wallet *w, const char *http_url, const char *product, int64_t auth,
			      char **body, size_t *len)
{
	struct obol_http_client *c = NULL;
	struct payword_fetch f;
	uint8_t sk[OBOL_SIGN_SK_LEN];
	char sig[OBOL_B64_LEN(OBOL_SIGN_LEN)], path[PAYWORD_PRODUCT_MAX + 200];
	long status = 0;
	int64_t id;
	obol_err e;
	memset(&f, 0, sizeof(f));
	*body = NULL;
	if ((e = find_purchase(w, product, auth, &f.vendor, &f.auth)) != OBOL_OK ||
	    (e = obol_wallet_account(w, &id, sk)) != OBOL_OK ||
	    (e = obol_strlcpy_checked(f.product, product, sizeof(f.product))) != OBOL_OK)
		goto out;
	f.time = obol_now();
	if ((e = payword_fetch_sign(&f, sk)) != OBOL_OK || (e = obol_b64_encode(f.sig, OBOL_SIGN_LEN, sig, sizeof(sig))) != OBOL_OK)
		goto out;
	snprintf(path, sizeof(path), "/payword/product/%s?auth=%lld&time=%lld&sig=%s", product, (long long)f.auth,
		 (long long)f.time, sig);
	if ((e = obol_http_client_new(http_url, 0, &c)) != OBOL_OK ||
	    (e = obol_http_request(c, "GET", path, NULL, 0, 0, &status, body, len)) != OBOL_OK)
		goto out;
	if (status != 200) {
		e = obol_json_error_from_body(*body, *len);
		free(*body);
		*body = NULL;
	}
out:
	obol_http_client_free(c);
	OBOL_WIPE(sk);
	return e;
}
