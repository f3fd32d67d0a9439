/* Key announcements (contract in key_announce.h). */
#include <string.h>

#include <openssl/evp.h>

#include "crypto/hash.h"
#include "crypto/rsa.h"
#include "schemes/common/key_announce.h"
#include "wire/cbor.h"
#include "wire/fields.h"

/* Which optional fields a kind carries. */
struct presence {
	bool key, use, accept, legal, value, tokens, revoked;
};

static bool kind_known(uint64_t kind)
{
	return kind >= OBOL_KEY_ONLINE && kind <= OBOL_KEY_REVOKE;
}

static struct presence kind_presence(uint64_t kind)
{
	bool revoke = kind == OBOL_KEY_REVOKE, coin = kind == OBOL_KEY_COUPON_DENOM || kind == OBOL_KEY_ECASH_BANK;
	return (struct presence){ .key = !revoke, .use = !revoke, .accept = !revoke, .legal = coin,
				  .value = kind == OBOL_KEY_COUPON_DENOM, .tokens = kind == OBOL_KEY_COUPON_DENOM,
				  .revoked = revoke };
}

/* The spec of fields 1..11, or of all 12; p says which optional ones are there. */
static size_t announce_fields(struct obol_key_announce *a, struct presence *p, struct obol_field f[12], bool with_sig)
{
	size_t n = 0;
	f[n++] = (struct obol_field)OBOL_F_UINT("kind", 1, &a->kind, 0);
	f[n++] = (struct obol_field)OBOL_F_TEXT("currency", 2, a->currency, OBOL_CURRENCY_MAX, .min = 1);
	f[n++] = (struct obol_field)OBOL_F_UINT("serial", 3, &a->serial, 0);
	f[n++] = (struct obol_field)OBOL_F_BYTES("key", 4, a->key, 1, OBOL_KEY_PUB_MAX, &a->key_len, OBOL_OPT(&p->key));
	f[n++] = (struct obol_field)OBOL_F_INT("valid_from", 5, &a->valid_from);
	f[n++] = (struct obol_field)OBOL_F_INT("use_until", 6, &a->use_until, OBOL_OPT(&p->use));
	f[n++] = (struct obol_field)OBOL_F_INT("accept_until", 7, &a->accept_until, OBOL_OPT(&p->accept));
	f[n++] = (struct obol_field)OBOL_F_INT("legal_end", 8, &a->legal_end, OBOL_OPT(&p->legal));
	f[n++] = (struct obol_field)OBOL_F_AMOUNT("value", 9, &a->value, OBOL_OPT(&p->value));
	f[n++] = (struct obol_field)OBOL_F_UINT("tokens", 10, &a->tokens, 0, OBOL_OPT(&p->tokens));
	f[n++] = (struct obol_field)OBOL_F_FIXED("revoked", 11, a->revoked, 32, OBOL_OPT(&p->revoked));
	if (with_sig)
		f[n++] = (struct obol_field)OBOL_F_FIXED("sig", 12, a->sig, OBOL_SIGN_LEN);
	return n;
}

/* An RSA key obol accepts, as DER SubjectPublicKeyInfo (crypto/rsa.h). */
static bool rsa_public(const uint8_t *der, size_t len)
{
	EVP_PKEY *k = NULL;
	if (len == 0 || len > OBOL_KEY_PUB_MAX || obol_rsa_public_from_der(der, len, &k) != OBOL_OK)
		return false;
	EVP_PKEY_free(k);
	return true;
}

obol_err obol_key_announce_check(const struct obol_key_announce *a)
{
	if (!kind_known(a->kind) || !obol_currency_valid(a->currency))
		return OBOL_E_KEY_ANNOUNCE_INVALID;
	switch (a->kind) {
	case OBOL_KEY_REVOKE:
		return OBOL_OK;
	case OBOL_KEY_ONLINE:
		if (a->key_len != OBOL_SIGN_PK_LEN)
			return OBOL_E_KEY_ANNOUNCE_INVALID;
		break;
	case OBOL_KEY_COUPON_DENOM:
		if (a->tokens == 0 || obol_amount_is_zero(&a->value) || obol_amount_is_negative(&a->value) ||
		    strcmp(a->value.currency, a->currency) != 0)
			return OBOL_E_KEY_ANNOUNCE_INVALID;
		/* fall through */
	default:
		if (!rsa_public(a->key, a->key_len))
			return OBOL_E_KEY_ANNOUNCE_INVALID;
		if (a->legal_end < a->accept_until)
			return OBOL_E_KEY_ANNOUNCE_INVALID;
		break;
	}
	if (a->key_len == 0 || a->use_until <= a->valid_from || a->accept_until < a->use_until)
		return OBOL_E_KEY_ANNOUNCE_INVALID;
	return OBOL_OK;
}

/* The CBOR map of the kind's fields, with the signature (the announcement)
 * or without it (the bytes the master key signs). */
static obol_err encode(const struct obol_key_announce *a, bool with_sig, uint8_t *buf, size_t cap, size_t *len)
{
	struct obol_field f[12];
	if (!kind_known(a->kind))
		return OBOL_E_KEY_ANNOUNCE_INVALID;
	struct presence p = kind_presence(a->kind);
	size_t n = announce_fields((struct obol_key_announce *)a, &p, f, with_sig);
	struct obol_fields spec = { f, n };
	return obol_cbor_encode(&spec, buf, cap, len);
}

obol_err obol_key_announce_signed_bytes(const struct obol_key_announce *a, uint8_t *buf, size_t cap, size_t *len)
{
	return encode(a, false, buf, cap, len);
}

/* Decodes fields 1..n and requires exactly the kind's optional fields. */
static obol_err decode(const uint8_t *buf, size_t len, struct obol_key_announce *a, bool with_sig)
{
	struct obol_field f[12];
	struct presence p = { 0 };
	memset(a, 0, sizeof *a);
	size_t n = announce_fields(a, &p, f, with_sig);
	struct obol_fields spec = { f, n };
	obol_err e = obol_cbor_decode(buf, len, &spec);
	if (e != OBOL_OK)
		return e;
	if (!kind_known(a->kind))
		return OBOL_E_KEY_ANNOUNCE_INVALID;
	struct presence want = kind_presence(a->kind);
	if (memcmp(&p, &want, sizeof p) != 0)
		return OBOL_E_KEY_ANNOUNCE_INVALID;
	return OBOL_OK;
}

obol_err obol_key_announce_from_signed_bytes(const uint8_t *buf, size_t len, struct obol_key_announce *a)
{
	obol_err e = decode(buf, len, a, false);
	if (e == OBOL_OK)
		e = obol_key_announce_check(a);
	return e;
}

obol_err obol_key_announce_sign(struct obol_key_announce *a, const uint8_t master_sk[static OBOL_SIGN_SK_LEN])
{
	uint8_t buf[OBOL_KEY_ANNOUNCE_MAX];
	size_t len;
	obol_err e;
	if ((e = obol_key_announce_check(a)) != OBOL_OK ||
	    (e = obol_key_announce_signed_bytes(a, buf, sizeof buf, &len)) != OBOL_OK)
		return e;
	obol_sign(a->sig, OBOL_KEY_ANNOUNCE_CONTEXT, buf, len, master_sk);
	return OBOL_OK;
}

obol_err obol_key_announce_verify(const struct obol_key_announce *a, const uint8_t master_pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t buf[OBOL_KEY_ANNOUNCE_MAX];
	size_t len;
	if (obol_key_announce_check(a) != OBOL_OK ||
	    obol_key_announce_signed_bytes(a, buf, sizeof buf, &len) != OBOL_OK ||
	    obol_sign_verify(a->sig, OBOL_KEY_ANNOUNCE_CONTEXT, buf, len, master_pk) != OBOL_OK)
		return OBOL_E_KEY_ANNOUNCE_INVALID;
	return OBOL_OK;
}

obol_err obol_key_announce_encode(const struct obol_key_announce *a, uint8_t *buf, size_t cap, size_t *len)
{
	return encode(a, true, buf, cap, len);
}

obol_err obol_key_announce_decode(const uint8_t *buf, size_t len, struct obol_key_announce *a)
{
	return decode(buf, len, a, true);
}

obol_err obol_key_announce_to_text(const struct obol_key_announce *a, char text[OBOL_KEY_ANNOUNCE_TEXT_MAX])
{
	uint8_t buf[OBOL_KEY_ANNOUNCE_MAX];
	size_t len;
	obol_err e = obol_key_announce_encode(a, buf, sizeof buf, &len);
	if (e != OBOL_OK)
		return e;
	return obol_b64_encode(buf, len, text, OBOL_KEY_ANNOUNCE_TEXT_MAX);
}

obol_err obol_key_announce_from_text(const char *text, struct obol_key_announce *a)
{
	uint8_t buf[OBOL_KEY_ANNOUNCE_MAX];
	size_t len;
	if (strlen(text) >= OBOL_KEY_ANNOUNCE_TEXT_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	obol_err e = obol_b64_decode(text, buf, sizeof buf, &len, 0);
	if (e != OBOL_OK)
		return e;
	return obol_key_announce_decode(buf, len, a);
}

void obol_key_announce_key_id(const struct obol_key_announce *a, uint8_t id[32])
{
	if (a->kind == OBOL_KEY_REVOKE)
		memcpy(id, a->revoked, 32);
	else
		obol_sha256(id, a->key, a->key_len);
}

bool obol_key_announce_usable(const struct obol_key_announce *a, int64_t now)
{
	return a->kind != OBOL_KEY_REVOKE && a->valid_from <= now && now < a->use_until;
}

bool obol_key_announce_acceptable(const struct obol_key_announce *a, int64_t now)
{
	return a->kind != OBOL_KEY_REVOKE && a->valid_from <= now && now < a->accept_until;
}

bool obol_key_announce_refundable(const struct obol_key_announce *a, int64_t now)
{
	return (a->kind == OBOL_KEY_COUPON_DENOM || a->kind == OBOL_KEY_ECASH_BANK) && a->valid_from <= now &&
	       now < a->legal_end;
}

void obol_key_set_init(struct obol_key_set *s, const uint8_t master_pk[static OBOL_SIGN_PK_LEN])
{
	memset(s, 0, sizeof *s);
	memcpy(s->master_pk, master_pk, OBOL_SIGN_PK_LEN);
}

obol_err obol_key_set_add(struct obol_key_set *s, const struct obol_key_announce *a)
{
	obol_err e = obol_key_announce_verify(a, s->master_pk);
	if (e != OBOL_OK)
		return e;
	for (size_t i = 0; i < s->n; i++) {
		const struct obol_key_announce *b = &s->a[i];
		if (b->kind != a->kind || b->serial != a->serial)
			continue;
		/* the same signature over the same fields: the same announcement */
		return memcmp(b->sig, a->sig, OBOL_SIGN_LEN) == 0 ? OBOL_OK : OBOL_E_KEY_ANNOUNCE_INVALID;
	}
	if (s->n == OBOL_KEY_SET_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	s->a[s->n++] = *a;
	return OBOL_OK;
}

obol_err obol_key_set_find(const struct obol_key_set *s, uint64_t kind, const uint8_t *key, size_t key_len,
			   int64_t now, const struct obol_key_announce **out)
{
	const struct obol_key_announce *found = NULL;
	uint8_t id[32], rid[32];
	if (out != NULL)
		*out = NULL;
	if (kind == OBOL_KEY_REVOKE || key_len == 0 || key_len > OBOL_KEY_PUB_MAX)
		return OBOL_E_KEY_NOT_ANNOUNCED;
	obol_sha256(id, key, key_len);
	/* A key may be announced more than once (a renewed window): any one
	 * acceptable at now will do. */
	bool any = false;
	for (size_t i = 0; i < s->n; i++) {
		const struct obol_key_announce *a = &s->a[i];
		if (a->kind != kind || a->key_len != key_len || memcmp(a->key, key, key_len) != 0)
			continue;
		any = true;
		if (obol_key_announce_acceptable(a, now))
			found = a;
	}
	if (!any)
		return OBOL_E_KEY_NOT_ANNOUNCED;
	for (size_t i = 0; i < s->n; i++) {
		const struct obol_key_announce *r = &s->a[i];
		if (r->kind != OBOL_KEY_REVOKE || r->valid_from > now)
			continue;
		obol_key_announce_key_id(r, rid);
		if (memcmp(rid, id, 32) == 0)
			return OBOL_E_KEY_REVOKED;
	}
	if (found == NULL)
		return OBOL_E_KEY_OUTSIDE_WINDOW;
	if (out != NULL)
		*out = found;
	return OBOL_OK;
}

obol_err obol_key_set_verify_signed(const struct obol_key_set *s, const uint8_t online_pk[static OBOL_SIGN_PK_LEN],
				    const uint8_t sig[static OBOL_SIGN_LEN], const char *context, const uint8_t *msg,
				    size_t len, int64_t now)
{
	obol_err e = obol_key_set_find(s, OBOL_KEY_ONLINE, online_pk, OBOL_SIGN_PK_LEN, now, NULL);
	if (e != OBOL_OK)
		return e;
	if (obol_sign_verify(sig, context, msg, len, online_pk) != OBOL_OK)
		return OBOL_E_KEY_SIGNATURE_INVALID;
	return OBOL_OK;
}

obol_err obol_key_set_verify_any(const struct obol_key_set *s, const uint8_t sig[static OBOL_SIGN_LEN],
				 const char *context, const uint8_t *msg, size_t len, int64_t now,
				 uint8_t signer_pk[OBOL_SIGN_PK_LEN])
{
	obol_err named = OBOL_E_KEY_SIGNATURE_INVALID;
	/* pass 0: the keys acceptable now; pass 1: the others, to name the refusal */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n; i++) {
			const struct obol_key_announce *a = &s->a[i];
			if (a->kind != OBOL_KEY_ONLINE || a->key_len != OBOL_SIGN_PK_LEN)
				continue;
			obol_err e = obol_key_set_find(s, OBOL_KEY_ONLINE, a->key, a->key_len, now, NULL);
			if ((e == OBOL_OK) != (pass == 0))
				continue;
			if (obol_sign_verify(sig, context, msg, len, a->key) != OBOL_OK)
				continue;
			if (e == OBOL_OK && signer_pk != NULL)
				memcpy(signer_pk, a->key, OBOL_SIGN_PK_LEN);
			if (e == OBOL_OK)
				return OBOL_OK;
			named = e;
			break;
		}
	return named;
}
