/* The signing abstraction and its one-key in-process signer (contract in
 * ed25519_signer.h). */
#include <string.h>

#include "crypto/ed25519_signer.h"
#include "crypto/secret.h"

obol_err obol_ed25519_sign(const struct obol_ed25519_signer *s, const char *context, const uint8_t *msg, size_t len,
			   uint8_t sig[static OBOL_SIGN_LEN])
{
	obol_err e = s != NULL && s->sign != NULL ? s->sign(s->ctx, s->pk, context, msg, len, sig)
						  : OBOL_E_KEY_ONLINE_MISSING;
	if (e != OBOL_OK)
		memset(sig, 0, OBOL_SIGN_LEN);
	return e;
}

static obol_err local_sign(void *ctx, const uint8_t pk[static OBOL_SIGN_PK_LEN], const char *context,
			   const uint8_t *msg, size_t len, uint8_t sig[static OBOL_SIGN_LEN])
{
	const struct obol_sign_keypair *kp = ctx;
	if (memcmp(kp->pk, pk, OBOL_SIGN_PK_LEN) != 0)
		return OBOL_E_KEY_NOT_ANNOUNCED;
	obol_sign(sig, context, msg, len, kp->sk);
	return OBOL_OK;
}

void obol_ed25519_signer_local(struct obol_ed25519_signer *s, const struct obol_sign_keypair *kp)
{
	memcpy(s->pk, kp->pk, OBOL_SIGN_PK_LEN);
	s->accept_until = INT64_MAX;
	s->sign = local_sign;
	s->ctx = (void *)kp;
}

int64_t obol_ed25519_signer_cap(const struct obol_ed25519_signer *s, int64_t until)
{
	return s != NULL && s->accept_until < until ? s->accept_until : until;
}
