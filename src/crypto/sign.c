/* Ed25519 (RFC 8032) through libsodium, with obol's domain separation: the
 * signed bytes are "obol-sig-v1\0" || context || "\0" || msg. See sign.h. */
#include "crypto/sign.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

static const char sig_prefix[] = "obol-sig-v1"; /* the terminating NUL is part of it */

_Static_assert(OBOL_SIGN_PK_LEN == crypto_sign_PUBLICKEYBYTES, "pk size");
_Static_assert(OBOL_SIGN_SK_LEN == crypto_sign_SECRETKEYBYTES, "sk size");
_Static_assert(OBOL_SIGN_SEED_LEN == crypto_sign_SEEDBYTES, "seed size");
_Static_assert(OBOL_SIGN_LEN == crypto_sign_BYTES, "signature size");

/* The void functions of sign.h cannot report a failed libsodium start; like
 * libsodium's own misuse handler, they stop the process rather than go on
 * with an uninitialised random source. */
static void init_or_abort(void)
{
	if (obol_crypto_init() != OBOL_OK)
		abort();
}

void obol_sign_keypair_new(struct obol_sign_keypair *kp)
{
	init_or_abort();
	crypto_sign_keypair(kp->pk, kp->sk);
}

void obol_sign_keypair_from_seed(struct obol_sign_keypair *kp, const uint8_t seed[static OBOL_SIGN_SEED_LEN])
{
	init_or_abort();
	crypto_sign_seed_keypair(kp->pk, kp->sk, seed);
}

/* Pure Ed25519 hashes the message twice, so it cannot be streamed: the
 * prefix, context and message are joined into one buffer, on the stack when
 * small (the common case: requests, receipts, certificates), else on the
 * heap. The buffer holds no secret. */
#define FRAME_STACK 1024

struct frame {
	uint8_t stack[FRAME_STACK];
	uint8_t *p;
	size_t len;
};

/* Returns 0 when memory runs out. Release with frame_done. */
static int frame_build(struct frame *f, const char *context, const uint8_t *msg, size_t len)
{
	size_t clen = context != NULL ? strlen(context) : 0;
	f->len = sizeof(sig_prefix) + clen + 1 + len;
	f->p = f->len <= sizeof(f->stack) ? f->stack : malloc(f->len);
	if (f->p == NULL)
		return 0;
	memcpy(f->p, sig_prefix, sizeof(sig_prefix));
	if (clen > 0)
		memcpy(f->p + sizeof(sig_prefix), context, clen);
	f->p[sizeof(sig_prefix) + clen] = 0;
	if (len > 0)
		memcpy(f->p + sizeof(sig_prefix) + clen + 1, msg, len);
	return 1;
}

static void frame_done(struct frame *f)
{
	if (f->p != f->stack)
		free(f->p);
}

void obol_sign(uint8_t sig[static OBOL_SIGN_LEN], const char *context, const uint8_t *msg, size_t len,
	       const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	struct frame f;
	init_or_abort();
	if (!frame_build(&f, context, msg, len)) {
		/* Out of memory for a large message: an all-zero signature,
		 * which verification always refuses (its R encodes a point of
		 * small order), so the failure surfaces at the verifier. */
		memset(sig, 0, OBOL_SIGN_LEN);
		return;
	}
	crypto_sign_detached(sig, NULL, f.p, f.len, sk);
	frame_done(&f);
}

obol_err obol_sign_verify(const uint8_t sig[static OBOL_SIGN_LEN], const char *context, const uint8_t *msg,
			  size_t len, const uint8_t pk[static OBOL_SIGN_PK_LEN])
{
	struct frame f;
	obol_err err;
	if (obol_crypto_init() != OBOL_OK)
		return OBOL_E_CRYPTO_INIT;
	if (!frame_build(&f, context, msg, len))
		return OBOL_E_NO_MEMORY;
	err = crypto_sign_verify_detached(sig, f.p, f.len, pk) == 0 ? OBOL_OK : OBOL_E_SIGNATURE_INVALID;
	frame_done(&f);
	return err;
}
