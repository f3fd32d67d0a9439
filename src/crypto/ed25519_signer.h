/* Who signs for the issuer: one Ed25519 key, behind a narrow interface.
 *
 * The issuer's pure cores (vendor certificates, coupon replies, the key
 * document, Codex and payword certificates and lists) sign through a
 * signer, never with a raw secret key, so the key may live in this process
 * (obol_ed25519_signer_local below; the issuer's online keys,
 * src/issuer/keys.h obol_online_keyring) or in another process that answers
 * signing requests. A request is the public key it must sign with, the
 * domain-separation context and the message (crypto/sign.h obol_sign); the
 * answer is the signature or a named error. Nothing else crosses it.
 *
 * A signer is a value: pk names the key it signs with now, and sign is
 * called with that pk. accept_until is when verifiers stop accepting what
 * that key signed (the announced online key's window, key_announce.h):
 * whoever makes a certificate with the signer cuts its validity there
 * (obol_ed25519_signer_cap), so that no certificate outlives its signing
 * key. INT64_MAX for a plain local signer over a key with no window. */
#ifndef OBOL_CRYPTO_ED25519_SIGNER_H
#define OBOL_CRYPTO_ED25519_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/sign.h"

typedef obol_err (*obol_ed25519_sign_fn)(void *ctx, const uint8_t pk[static OBOL_SIGN_PK_LEN], const char *context,
					 const uint8_t *msg, size_t len, uint8_t sig[static OBOL_SIGN_LEN]);

struct obol_ed25519_signer {
	uint8_t pk[OBOL_SIGN_PK_LEN]; /* the key it signs with */
	int64_t accept_until;         /* what it signs is accepted until then */
	obol_ed25519_sign_fn sign;
	void *ctx;
};

/* s->sign(s->ctx, s->pk, ...): the signature of msg under context by the key
 * s->pk, or the signer's error (sig then zeroed); KEY_ONLINE_MISSING for a
 * signer left empty (no key to sign with). */
OBOL_MUST_CHECK obol_err obol_ed25519_sign(const struct obol_ed25519_signer *s, const char *context,
					   const uint8_t *msg, size_t len, uint8_t sig[static OBOL_SIGN_LEN]);

/* until, cut at s's accept_until: the latest a certificate s signs may be
 * valid until. */
int64_t obol_ed25519_signer_cap(const struct obol_ed25519_signer *s, int64_t until);

/* An in-process signer over one key pair (accept_until INT64_MAX) (borrowed: it must outlive the
 * signer). It signs only under kp->pk: another pk is KEY_NOT_ANNOUNCED. */
void obol_ed25519_signer_local(struct obol_ed25519_signer *s, const struct obol_sign_keypair *kp);

#endif
