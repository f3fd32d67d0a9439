/* The ecash wallet on the device link (src/net/devlink.h).
 *
 * Paying: the merchant is a vendor daemon (it proves the box key of a vendor
 * certificate that the wallet's pinned issuer signed) or another wallet
 * taking payments, `wallet ecash receive`. Such a wallet has no vendor
 * certificate; what it has is its key certified by the bank (σ3, seed 002
 * §3.2). It proves a fresh X25519 static key with it: the handshake's
 * credential is kind SIGNED, the bank certificate's CBOR (ecash_cert_spec)
 * with an RSA-PSS signature by the certified key over
 *   ecash bytes "obol-devlink-v2 ecash merchant" || binding
 * where binding is obol_devlink_binding (the handshake hash after message 1
 * and the static key): good for that handshake only. The payer accepts it
 * when the certificate verifies under the bank key it holds, is valid now and
 * is not on its cached revocation list, and the signature verifies under the
 * certified key (DEVLINK_IMPOSTOR otherwise). */
#ifndef OBOL_WALLET_ECASH_LINK_H
#define OBOL_WALLET_ECASH_LINK_H

#include "core/error.h"
#include "net/devlink.h"
#include "wallet/ecash_wallet.h"

/* Connects to the merchant at addr as payer, accepting either credential. */
OBOL_MUST_CHECK obol_err ecash_wallet_connect(struct ecash_wallet *ew, const char *addr, struct obol_devlink **out);

/* What a wallet taking payments proves: a fresh static key, its bank
 * certificate, its signing key (borrowed from ew). */
struct ecash_link_identity {
	struct obol_box_keypair key; /* secret half */
	uint8_t cred[OBOL_DL_CRED_MAX];
	struct ecash_wallet *ew;
	struct obol_devlink_identity id; /* for obol_devlink_respond */
};
/* ECASH_NOT_REGISTERED-like errors of a wallet without a certified key come
 * from ecash_w_need_registered. */
OBOL_MUST_CHECK obol_err ecash_link_identity_init(struct ecash_wallet *ew, struct ecash_link_identity *me);
void ecash_link_identity_wipe(struct ecash_link_identity *me);

#endif
