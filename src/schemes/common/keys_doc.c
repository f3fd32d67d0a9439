/* The signed GET /keys document (contract in keys_doc.h). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/common/issuer_sig.h"
#include "schemes/common/key_announce.h"
#include "schemes/common/keys_doc.h"
#include "wire/json.h"

obol_err obol_keys_doc_sign(const json_t *keys, const struct obol_ed25519_signer *signer, json_t **out)
{
	uint8_t sig[OBOL_SIGN_LEN];
	char sig64[OBOL_B64_LEN(OBOL_SIGN_LEN)];
	char *text = obol_json_dump_canonical(keys);
	if (text == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = obol_ed25519_sign(signer, OBOL_KEYS_CONTEXT, (const uint8_t *)text, strlen(text), sig);
	free(text);
	if (e == OBOL_OK)
		e = obol_b64_encode(sig, sizeof sig, sig64, sizeof sig64);
	if (e != OBOL_OK)
		return e;
	json_t *doc = json_pack("{s:O, s:s}", "keys", keys, "sig", sig64);
	if (doc == NULL)
		return OBOL_E_NO_MEMORY;
	*out = doc;
	return OBOL_OK;
}

/* A base64url field of exactly n bytes. */
static obol_err get_b64(const json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *t = json_string_value(json_object_get(o, key));
	size_t len;
	if (t == NULL || obol_b64_decode(t, out, n, &len, 1) != OBOL_OK)
		return OBOL_E_KEYS_INVALID;
	return OBOL_OK;
}

obol_err obol_keys_doc_key_set(const json_t *keys, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
			       struct obol_key_set *set)
{
	json_t *list = json_object_get(keys, "announcements");
	obol_key_set_init(set, master_pk);
	if (list == NULL)
		return OBOL_OK;
	if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > OBOL_KEY_SET_MAX)
		return OBOL_E_KEYS_INVALID;
	for (size_t i = 0; i < json_array_size(list); i++) {
		struct obol_key_announce a;
		const char *t = json_string_value(json_array_get(list, i));
		if (t == NULL || obol_key_announce_from_text(t, &a) != OBOL_OK || obol_key_set_add(set, &a) != OBOL_OK)
			return OBOL_E_KEYS_INVALID;
	}
	return OBOL_OK;
}

bool obol_keys_doc_due(int64_t fetched_at, int64_t now)
{
	return fetched_at > now || now - fetched_at >= OBOL_KEYS_DOC_REFRESH_S;
}

obol_err obol_keys_doc_verify(const char *text, size_t len, const uint8_t *pinned_master_pk, json_t **keys_out,
			      uint8_t master_pk_out[OBOL_SIGN_PK_LEN], uint8_t box_pk_out[OBOL_BOX_PK_LEN],
			      char currency[OBOL_CURRENCY_MAX + 1])
{
	uint8_t mpk[OBOL_SIGN_PK_LEN], bpk[OBOL_BOX_PK_LEN], sig[OBOL_SIGN_LEN];
	char *canon = NULL;
	struct obol_key_set *set = NULL;
	obol_err e = OBOL_OK;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (doc == NULL || !json_is_object(doc)) {
		e = OBOL_E_WIRE_MALFORMED;
		goto out;
	}
	json_t *keys = json_object_get(doc, "keys");
	const char *cur = json_string_value(json_object_get(keys, "currency"));
	json_t *ver = json_object_get(keys, "version");
	if (!json_is_object(keys) || json_object_size(doc) != 2 || cur == NULL || !obol_currency_valid(cur) ||
	    !json_is_integer(ver) || json_integer_value(ver) != OBOL_KEYS_VERSION ||
	    get_b64(doc, "sig", sig, sizeof sig) != OBOL_OK || get_b64(keys, "master_pk", mpk, sizeof mpk) != OBOL_OK ||
	    get_b64(keys, "box_pk", bpk, sizeof bpk) != OBOL_OK) {
		e = OBOL_E_KEYS_INVALID;
		goto out;
	}
	if (pinned_master_pk != NULL && memcmp(pinned_master_pk, mpk, sizeof mpk) != 0) {
		e = OBOL_E_KEYS_INVALID;
		goto out;
	}
	canon = obol_json_dump_canonical(keys);
	if (canon == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	/* every announcement listed must be the master's own */
	set = malloc(sizeof *set);
	if (set == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_keys_doc_key_set(keys, mpk, set)) != OBOL_OK)
		goto out;
	/* signed by the master, or by an online key the document itself
	 * announces (each announcement verified under the master above) */
	if (obol_sign_verify(sig, OBOL_KEYS_CONTEXT, (const uint8_t *)canon, strlen(canon), mpk) != OBOL_OK &&
	    obol_key_set_verify_any(set, sig, OBOL_KEYS_CONTEXT, (const uint8_t *)canon, strlen(canon), obol_now(),
				    NULL) != OBOL_OK) {
		e = OBOL_E_KEYS_INVALID;
		goto out;
	}
	json_t *at = json_object_get(keys, "issued_at");
	if ((e = obol_issuer_keys_register(set, json_is_integer(at) ? json_integer_value(at) : 0)) != OBOL_OK)
		goto out;
	if (master_pk_out != NULL)
		memcpy(master_pk_out, mpk, sizeof mpk);
	if (box_pk_out != NULL)
		memcpy(box_pk_out, bpk, sizeof bpk);
	if (currency != NULL)
		strcpy(currency, cur);
	if (keys_out != NULL)
		*keys_out = json_incref(keys);
out:
	free(set);
	free(canon);
	json_decref(doc);
	return e;
}
