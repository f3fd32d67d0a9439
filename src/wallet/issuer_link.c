/* The wallet's HTTP client to its issuer (contract in issuer_link.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/common/keys_doc.h"
#include "wallet/issuer_link.h"
#include "wire/json.h"

/* Asks the issuer which account holds the wallet's key, and keeps the id. */
static obol_err resolve_account(struct obol_wallet *w, struct obol_http_client *c, const uint8_t sk[64], int64_t *id)
{
	char pk64[OBOL_B64_LEN(32)], path[128];
	json_t *reply = NULL;
	/* The public half of an Ed25519 secret key (seed || pk) is its last 32 bytes. */
	obol_err e = obol_b64_encode(sk + 32, 32, pk64, sizeof pk64);
	if (e != OBOL_OK)
		return e;
	snprintf(path, sizeof path, "/account/by-key/%s", pk64);
	e = obol_http_get_json(c, path, 0, &reply);
	if (e == OBOL_E_LEDGER_ACCOUNT_UNKNOWN)
		e = OBOL_E_NOT_FOUND;
	if (e != OBOL_OK)
		goto out;
	json_t *jid = json_object_get(reply, "id");
	if (!json_is_integer(jid) || json_integer_value(jid) <= 0) {
		e = OBOL_E_PEER_ERROR;
		goto out;
	}
	*id = (int64_t)json_integer_value(jid);
	const char *name = json_string_value(json_object_get(reply, "name"));
	if ((e = obol_wallet_set_account(w, *id, name, sk)) == OBOL_OK)
		e = obol_wallet_save(w);
out:
	json_decref(reply);
	return e;
}

obol_err obol_wallet_set_issuer_trust(struct obol_wallet *w, const char *ca_pem, bool insecure_http)
{
	json_t *iss = json_object_get(obol_wallet_doc(w), "issuer");
	if (iss == NULL)
		return OBOL_E_WALLET_FILE;
	if ((ca_pem != NULL && json_object_set_new(iss, "ca", json_string(ca_pem)) != 0) ||
	    (insecure_http && json_object_set_new(iss, "insecure_http", json_true()) != 0))
		return OBOL_E_NO_MEMORY;
	return OBOL_OK;
}

obol_err obol_wallet_trust_issuer(struct obol_wallet *w)
{
	const char *url;
	obol_err e = obol_wallet_issuer(w, &url, NULL, NULL, NULL);
	if (e != OBOL_OK)
		return e;
	const json_t *iss = json_object_get(obol_wallet_doc(w), "issuer");
	const json_t *ca = json_object_get(iss, "ca"), *insecure = json_object_get(iss, "insecure_http");
	if ((ca != NULL && !json_is_string(ca)) || (insecure != NULL && !json_is_boolean(insecure)))
		return OBOL_E_WALLET_FILE;
	struct obol_http_trust t = { .ca_pem = json_string_value(ca),
				     .ca_len = ca != NULL ? json_string_length(ca) : 0,
				     .insecure_http = json_is_true(insecure) };
	return obol_http_trust_set(url, &t);
}

obol_err obol_wallet_keys_fetched(struct obol_wallet *w, int64_t now)
{
	json_t *iss = json_object_get(obol_wallet_doc(w), "issuer");
	if (!json_is_object(iss))
		return OBOL_E_WALLET_FILE;
	return json_object_set_new(iss, "keys_fetched_at", json_integer((json_int_t)now)) == 0 ? OBOL_OK
												: OBOL_E_NO_MEMORY;
}

/* GET /keys on c, verified under pin (registered: keys_doc.h); *keys the
 * inner object when not NULL. */
static obol_err fetch_keys_on(struct obol_wallet *w, struct obol_http_client *c, const uint8_t pin[32], json_t **keys)
{
	long status = 0;
	char *text = NULL;
	size_t len = 0;
	obol_err e = obol_http_request(c, "GET", "/keys", NULL, 0, 0, &status, &text, &len);
	if (e == OBOL_OK)
		e = status == 200 ? obol_keys_doc_verify(text, len, pin, keys, NULL, NULL, NULL)
				  : obol_json_error_from_body(text, len);
	if (e == OBOL_OK)
		e = obol_wallet_keys_fetched(w, obol_now());
	free(text);
	return e;
}

bool obol_wallet_keys_due(struct obol_wallet *w, int64_t now)
{
	json_t *at = json_object_get(json_object_get(obol_wallet_doc(w), "issuer"), "keys_fetched_at");
	return !json_is_integer(at) || obol_keys_doc_due(json_integer_value(at), now);
}

/* The key document again when due (obol_wallet_keys_due). */
static void refresh_keys_due(struct obol_wallet *w, struct obol_http_client *c)
{
	uint8_t pin[32];
	if (!obol_wallet_keys_due(w, obol_now()))
		return;
	obol_err e = obol_wallet_issuer(w, NULL, pin, NULL, NULL);
	if (e == OBOL_OK)
		e = fetch_keys_on(w, c, pin, NULL);
	/* unreachable: the request the client is for says so itself */
	if (e != OBOL_OK)
		obol_log(e == OBOL_E_NETWORK ? OBOL_LOG_DEBUG : OBOL_LOG_WARN, "cannot refresh the issuer's keys: %s",
			 obol_strerror(e));
}

static obol_err client_new(struct obol_wallet *w, bool auth, struct obol_http_client **out)
{
	const char *url;
	uint8_t sk[OBOL_SIGN_SK_LEN];
	int64_t id;
	struct obol_http_client *c = NULL;
	obol_err e = obol_wallet_issuer(w, &url, NULL, NULL, NULL);
	if (e != OBOL_OK || (e = obol_wallet_trust_issuer(w)) != OBOL_OK)
		return e;
	if ((e = obol_http_client_new(url, 0, &c)) != OBOL_OK)
		return e;
	if (auth) {
		if ((e = obol_wallet_account(w, &id, sk)) != OBOL_OK)
			goto out;
		if (id == 0 && (e = resolve_account(w, c, sk, &id)) != OBOL_OK)
			goto out;
		obol_http_client_set_account(c, id, sk);
	}
out:
	OBOL_WIPE(sk);
	if (e != OBOL_OK) {
		obol_http_client_free(c);
		return e;
	}
	*out = c;
	return OBOL_OK;
}

obol_err obol_wallet_client(struct obol_wallet *w, bool auth, struct obol_http_client **out)
{
	obol_err e = client_new(w, auth, out);
	if (e == OBOL_OK)
		refresh_keys_due(w, *out);
	return e;
}

obol_err obol_wallet_fetch_keys(struct obol_wallet *w, json_t **keys)
{
	uint8_t pin[32];
	struct obol_http_client *c = NULL;
	obol_err e = obol_wallet_issuer(w, NULL, pin, NULL, NULL);
	if (e == OBOL_OK)
		e = client_new(w, false, &c);
	if (e == OBOL_OK)
		e = fetch_keys_on(w, c, pin, keys);
	obol_http_client_free(c);
	return e;
}

obol_err obol_wallet_connect_vendor(struct obol_wallet *w, const char *addr, struct obol_devlink **out)
{
	uint8_t pin[32];
	obol_err e = obol_wallet_issuer(w, NULL, pin, NULL, NULL);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_devlink_connect_vendor(addr, 0, pin, out)) == OBOL_OK)
		obol_devlink_set_payer(*out, obol_wallet_payer(w));
	return e;
}
