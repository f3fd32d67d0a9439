/* The ecash wallet on the device link (contract in ecash_link.h). */
#include <string.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "schemes/ecash/messages.h"
#include "wallet/ecash_link.h"
#include "wallet/ecash_wallet_int.h"
#include "wallet/issuer_link.h"

#define LINK_LABEL "obol-devlink-v2 ecash merchant"

/* The bytes the merchant's certified key signs. */
static obol_err link_bytes(const uint8_t binding[32], struct ecash_bytes *b)
{
	memset(b, 0, sizeof *b);
	ecash_bytes_label(b, LINK_LABEL);
	ecash_bytes_put(b, binding, 32);
	if (!b->failed)
		return OBOL_OK;
	ecash_bytes_free(b);
	return OBOL_E_NO_MEMORY;
}

/* The payer's check of a SIGNED credential (expect->check). */
static obol_err check_merchant(void *ctx, const uint8_t *cred, size_t cred_len, const uint8_t binding[32],
			       const uint8_t *sig, size_t sig_len)
{
	struct ecash_wallet *ew = ctx;
	struct ecash_cert cert;
	struct ecash_cert_spec sp;
	struct ecash_policy pol;
	struct ecash_bytes msg = { 0 };
	obol_err e;
	memset(&cert, 0, sizeof cert);
	ecash_cert_spec(&sp, &cert);
	ecash_policy_default(&pol);
	if (obol_cbor_decode(cred, cred_len, &sp.s) != OBOL_OK)
		return OBOL_E_DEVLINK_CREDENTIAL;
	if ((e = ecash_cert_verify(&ew->bank, &cert, ew->rl.held ? &ew->rl : NULL, &pol, obol_now())) != OBOL_OK ||
	    (e = link_bytes(binding, &msg)) != OBOL_OK)
		return e;
	e = ecash_group_verify(&cert, 1, &msg, sig, sig_len, OBOL_E_DEVLINK_IMPOSTOR, false);
	ecash_bytes_free(&msg);
	return e;
}

obol_err ecash_wallet_connect(struct ecash_wallet *ew, const char *addr, struct obol_devlink **out)
{
	uint8_t pin[32];
	struct obol_devlink_expect x = { .issuer_pk = pin, .check = ew->bank.n > 0 ? check_merchant : NULL,
					 .ctx = ew };
	obol_err e = obol_wallet_issuer(ew->w, NULL, pin, NULL, NULL);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_devlink_connect(addr, 0, &x, out)) == OBOL_OK)
		obol_devlink_set_payer(*out, obol_wallet_payer(ew->w));
	return e;
}

/* The merchant's signature (identity->sign). */
static obol_err sign_binding(void *ctx, const uint8_t binding[32], uint8_t *sig, size_t cap, size_t *len)
{
	struct ecash_link_identity *me = ctx;
	struct ecash_bytes msg;
	uint8_t s[ECASH_SIG_MAX];
	obol_err e = link_bytes(binding, &msg);
	if (e != OBOL_OK)
		return e;
	e = ecash_sign_bytes(me->ew->sk, &msg, s, len);
	ecash_bytes_free(&msg);
	if (e == OBOL_OK && *len > cap)
		e = OBOL_E_WIRE_OVERSIZED;
	if (e == OBOL_OK)
		memcpy(sig, s, *len);
	return e;
}

obol_err ecash_link_identity_init(struct ecash_wallet *ew, struct ecash_link_identity *me)
{
	struct ecash_cert_spec sp;
	struct ecash_cert cert;
	size_t len;
	obol_err e = ecash_w_need_registered(ew);
	memset(me, 0, sizeof *me);
	if (e != OBOL_OK)
		return e;
	cert = ew->cust.cert;
	ecash_cert_spec(&sp, &cert);
	if ((e = obol_cbor_encode(&sp.s, me->cred, sizeof me->cred, &len)) != OBOL_OK)
		return e;
	obol_box_keypair_new(&me->key);
	me->ew = ew;
	me->id = (struct obol_devlink_identity){ .key = &me->key, .kind = OBOL_DL_CRED_SIGNED, .cred = me->cred,
						 .cred_len = len, .sign = sign_binding, .ctx = me };
	return OBOL_OK;
}

void ecash_link_identity_wipe(struct ecash_link_identity *me)
{
	obol_wipe(me, sizeof *me);
}
