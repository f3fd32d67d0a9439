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

obol_err payword_wallet_register(struct obol_wallet *w, const char *username, const char *password, int64_t *account)
{
	struct obol_sign_keypair kp;
	struct obol_http_client *c = NULL;
	uint8_t sk[OBOL_SIGN_SK_LEN];
	char pk64[OBOL_B64_LEN(OBOL_SIGN_PK_LEN)];
	json_t *body = NULL, *reply = NULL;
	int64_t id = 0;
	obol_err e = obol_wallet_account(w, &id, sk);
	memset(&kp, 0, sizeof(kp));
	if (e == OBOL_E_NOT_FOUND) {
		obol_sign_keypair_new(&kp);
		memcpy(sk, kp.sk, sizeof(sk));
		e = obol_wallet_set_account(w, 0, username, sk);
	}
	if (e)
		goto out;
	memcpy(kp.pk, sk + 32, OBOL_SIGN_PK_LEN); /* libsodium's sk is seed || pk */
	if ((e = obol_b64_encode(kp.pk, OBOL_SIGN_PK_LEN, pk64, sizeof(pk64))) != OBOL_OK ||
	    (e = obol_wallet_client(w, false, &c)) != OBOL_OK)
		goto out;
	body = json_pack("{s:s, s:s, s:s}", "username", username, "password", password, "user_pk", pk64);
	e = body != NULL ? obol_http_post_json(c, "/payword/register", body, 0, &reply) : OBOL_E_NO_MEMORY;
	if (e)
		goto out;
	*account = json_integer_value(json_object_get(reply, "account"));
	if ((e = obol_wallet_set_account(w, *account, username, sk)) != OBOL_OK)
		goto out;
	if (json_object_set_new(section(w), "username", json_string(username)) != 0)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_wallet_save(w);
out:
	if (body != NULL) {
		json_object_del(body, "password");
		json_decref(body);
	}
	json_decref(reply);
	obol_http_client_free(c);
	OBOL_WIPE(kp);
	OBOL_WIPE(sk);
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

/* Steps C-D: the purchase request (recorded first), then the download. */
obol_err payword_wallet_buy_tokens(struct obol_wallet *w, const char *password, uint64_t scope, uint64_t tokens,
				   bool lost, struct payword_buy_outcome *out)
{
	struct payword_wallet_cert cur, fresh;
	struct obol_http_client *c = NULL;
	char username[PAYWORD_USERNAME_MAX + 1], rid[32];
	uint8_t agent_pk[32], sk[OBOL_SIGN_SK_LEN], *ucert = NULL;
	json_t *pending, *body = NULL, *reply = NULL, *cert = NULL;
	size_t ulen = 0;
	int64_t id;
	bool have;
	obol_err e;

	memset(&cur, 0, sizeof(cur));
	memset(&fresh, 0, sizeof(fresh));
	if ((e = username_of(w, username)) != OBOL_OK || (e = obol_wallet_account(w, &id, sk)) != OBOL_OK ||
	    (e = obol_wallet_issuer(w, NULL, agent_pk, NULL, NULL)) != OBOL_OK)
		goto out;
	pending = json_object_get(section(w), "pending_buy");
	if (pending == NULL) {
		/* The wallet's position: purchases in doubt are given up first. */
		e = payword_wallet_load(w, scope, password, &cur);
		have = e == OBOL_OK;
		if (e != OBOL_OK && e != OBOL_E_PAYWORD_NO_CERT)
			goto out;
		payword_wallet_give_up(&cur);
		uint8_t rnd[16];
		obol_random(rnd, sizeof(rnd));
		if ((e = obol_b64_encode(rnd, sizeof(rnd), rid, sizeof(rid))) != OBOL_OK)
			goto out;
		pending = json_pack("{s:s, s:I, s:I}", "request_id", rid, "tokens", (json_int_t)tokens, "scope",
				    (json_int_t)scope);
		if (pending != NULL && have && !lost)
			json_object_set_new(pending, "pos", json_integer((json_int_t)cur.next));
		if (pending == NULL || json_object_set_new(section(w), "pending_buy", pending) != 0) {
			e = OBOL_E_NO_MEMORY;
			goto out;
		}
		if (lost)
			e = payword_wallet_forget(w, scope);
		else if (have)
			e = payword_wallet_store(w, scope, password, &cur);
		if (e == OBOL_OK)
			e = obol_wallet_save(w);
		if (e)
			goto out;
	}
	/* Resumed or new: the recorded request is what is sent. */
	scope = (uint64_t)json_integer_value(json_object_get(pending, "scope"));
	body = json_deep_copy(pending);
	if (body == NULL || json_object_set_new(body, "username", json_string(username)) != 0 ||
	    json_object_set_new(body, "password", json_string(password)) != 0) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_wallet_client(w, false, &c)) != OBOL_OK)
		goto out;
	if ((e = obol_http_post_json(c, "/payword/buy", body, 0, &reply)) != OBOL_OK) {
		/* The agent refused it for good: forget the request. Without an
		 * answer it stays recorded and the next call sends it again. */
		if (e != OBOL_E_NETWORK && e != OBOL_E_HTTP && e != OBOL_E_STORE_BUSY) {
			json_object_del(section(w), "pending_buy");
			if (obol_wallet_save(w) != OBOL_OK)
				e = OBOL_E_WALLET_FILE;
		}
		goto out;
	}
	json_decref(body);
	body = json_pack("{s:s, s:s, s:O}", "username", username, "password", password, "serial",
			 json_object_get(reply, "serial"));
	if (body == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_http_post_json(c, "/payword/cert", body, 0, &cert)) != OBOL_OK)
		goto out;
	const char *b64 = json_string_value(json_object_get(cert, "ucert"));
	if (b64 == NULL || (ucert = malloc(strlen(b64) + 1)) == NULL) {
		e = b64 == NULL ? OBOL_E_WIRE_MISSING_FIELD : OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_b64_decode(b64, ucert, strlen(b64), &ulen, 0)) != OBOL_OK ||
	    (e = payword_wallet_accept(ucert, ulen, agent_pk, username, sk + 32, &fresh)) != OBOL_OK ||
	    (e = payword_wallet_store(w, scope, password, &fresh)) != OBOL_OK)
		goto out;
	json_object_del(section(w), "pending_buy");
	if ((e = obol_wallet_save(w)) != OBOL_OK)
		goto out;
	out->serial = fresh.uc.vc.serial;
	out->first_order = fresh.uc.vc.first_order;
	out->n = fresh.uc.vc.n;
	out->carried = json_integer_value(json_object_get(reply, "carried"));
	const char *cost = json_string_value(json_object_get(reply, "cost"));
	snprintf(out->cost, sizeof(out->cost), "%s", cost != NULL ? cost : "?");
out:
	if (body != NULL) {
		json_object_del(body, "password");
		json_decref(body);
	}
	if (ucert != NULL) {
		obol_wipe(ucert, ulen);
		free(ucert);
	}
	json_decref(reply);
	json_decref(cert);
	obol_http_client_free(c);
	payword_wallet_wipe(&cur);
	payword_wallet_wipe(&fresh);
	OBOL_WIPE(sk);
	return e;
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
	if (e == OBOL_OK && (e = obol_devlink_connect_vendor(addr, 0, issuer_pk, &dl)) == OBOL_OK)
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

obol_err payword_wallet_purchase(struct obol_wallet *w, const char *password, const char *addr, const char *product,
				 unsigned retries, struct payword_purchase *out)
{
	struct payword_wallet_cert c;
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
	e = obol_wallet_connect_vendor(w, addr, &dl);
	if (e == OBOL_OK)
		e = hello(dl, product, out);
	if (e == OBOL_OK)
		e = obol_pay_offer(dl, "payword", &out->price, 1);
	obol_devlink_close(dl);
	if (e)
		goto out;
	scope = strcmp(out->mode, "specific") == 0 ? out->vendor_id : PAYWORD_GENERIC;
	if ((e = obol_wallet_account(w, &id, sk)) != OBOL_OK ||
	    (e = payword_wallet_load(w, scope, password, &c)) != OBOL_OK)
		goto out;
	if (c.pending) {
		uint64_t pv = c.req.has_commit ? c.req.commit.vendor : c.visit.vendor;
		if (pv != out->vendor_id || strcmp(c.req.product, product) != 0)
			payword_wallet_give_up(&c); /* another purchase: that one stays in doubt */
	}
	if (c.pending) {
		req = c.req; /* the lost purchase, sent again as it was */
		if ((e = obol_payer_hand(obol_wallet_payer(w), &req.value)) != OBOL_OK)
			goto out;
	} else {
		/* Step 3: the tokens for the price; the state is saved first. */
		if ((e = payword_wallet_pay(&c, sk, out->vendor_id, &out->price, product, obol_now(), &req)) != OBOL_OK ||
		    (e = obol_payer_hand(obol_wallet_payer(w), &req.value)) != OBOL_OK)
			goto out;
		if ((e = payword_wallet_store(w, scope, password, &c)) != OBOL_OK || (e = obol_wallet_save(w)) != OBOL_OK)
			goto out;
	}
	/* Steps 4-7: the vendor checks and answers; a lost reply is retried. */
	if ((e = obol_wallet_issuer(w, NULL, pin, NULL, NULL)) != OBOL_OK)
		goto out;
	pe = pay_link(addr, pin, &req, &r, obol_wallet_payer(w), &receipt);
	for (unsigned i = 0; i < retries && transport_error(pe); i++)
		pe = pay_link(addr, pin, &req, &r, obol_wallet_payer(w), &receipt);
	if (pe != OBOL_OK) {
		payword_wallet_give_up(&c);
		e = pe;
	} else {
		e = payword_wallet_reply(&c, &r);
		out->auth = r.auth;
		out->refused = r.auth > 0 ? OBOL_OK : r.err;
	}
	obol_err se = payword_wallet_store(w, scope, password, &c);
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
