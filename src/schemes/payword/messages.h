/* The payword scheme (seed 003, "generic micropayment system"; DESIGN §7):
 * every message type, limit and signed structure, in one place.
 *
 * Roles (seed §3.4): the agent (obol's issuer) registers users and vendors,
 * generates token chains, signs their roots and checks the vendors' reports;
 * the user (wallet) spends tokens; the vendor checks tokens locally and
 * reports them.
 *
 * Tokens and order numbers (seed §3): a certificate of serial s holds a chain
 * w_0 = S, w_i = H(w_(i-1)), root w_n, H = SHA-256 (32-byte tokens; the seed's
 * 20-byte SHA-1 values are too short today). Its tokens carry the user's
 * running order numbers k0 .. k0+n-1: order o is w_(n-1-(o-k0)), so the
 * token of order o hashes to the root in o-k0+1 steps, and to the token of
 * order o' < o in o-o' steps. Order numbers of a user never repeat across
 * certificates ("continuing the user's order numbers", seed §3.5 C).
 *
 * Signed structures have a fixed binary form (big-endian integers) written
 * here once; signatures are Ed25519 with a context (crypto/sign.h). */
#ifndef OBOL_SCHEMES_PAYWORD_MESSAGES_H
#define OBOL_SCHEMES_PAYWORD_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/hash.h"
#include "crypto/sign.h"

/* Device-link message types (wallet <-> vendor), inside the payword range
 * 80..111 of net/devlink.h (OBOL_DL_PAYWORD_MIN..MAX). */
enum payword_msg_type {
	PAYWORD_MSG_HELLO = 80,     /* wallet: which vendor is this, what does a product cost (seed §3.5 step 1-2) */
	PAYWORD_MSG_INFO = 81,      /* vendor: its id at the agent, its system, the price */
	PAYWORD_MSG_PAY = 82,       /* purchase, seed §3.5 steps 3-5 */
	PAYWORD_MSG_PAY_REPLY = 83, /* authorisation number or -1, step 6 */
};

#define PAYWORD_TOKEN_LEN OBOL_HASH_LEN
#define PAYWORD_USERNAME_MAX 32
#define PAYWORD_PASSWORD_MIN 8
#define PAYWORD_PASSWORD_MAX 128
#define PAYWORD_PRODUCT_MAX 64
#define PAYWORD_PWHASH_MAX 128    /* crypto_pwhash_STRBYTES */
#define PAYWORD_CHAIN_MAX (UINT64_C(1) << 20) /* tokens in one certificate */
#define PAYWORD_CRL_MAX 4096      /* serials on one revocation list */
#define PAYWORD_AUTH_NONE (-1)    /* the seed's "-1": purchase refused */
/* Seconds a visit commitment's time may differ from the vendor's clock. */
#define PAYWORD_COMMIT_WINDOW 300
#define PAYWORD_GENERIC 0         /* scope of a chain usable at every generic vendor */

enum payword_vendor_mode { PAYWORD_MODE_GENERIC = 1, PAYWORD_MODE_SPECIFIC = 2 };

/* Signature contexts (crypto/sign.h). */
#define PAYWORD_CTX_VCERT "payword-vendor-cert"
#define PAYWORD_CTX_COMMIT "payword-visit-commit"
#define PAYWORD_CTX_CRL "payword-crl"

/* The vendor certificate (seed §3: "the vendor certificate contains the n+1
 * token and information about the user"), signed by the agent and embedded
 * in the user certificate; the wallet sends it with every purchase. */
struct payword_vcert {
	uint64_t serial;      /* unique per certificate at the agent */
	uint64_t scope;       /* PAYWORD_GENERIC, or the one vendor id of a specific chain */
	uint64_t first_order; /* k0 */
	uint64_t n;           /* tokens in the chain, 1..PAYWORD_CHAIN_MAX */
	struct obol_amount token_value;
	uint8_t root[PAYWORD_TOKEN_LEN];  /* w_n */
	uint8_t user_pk[OBOL_SIGN_PK_LEN]; /* the user's key: signs visit commitments */
	int64_t issued, not_after;
	char username[PAYWORD_USERNAME_MAX + 1];
	uint8_t sig[OBOL_SIGN_LEN]; /* agent, context PAYWORD_CTX_VCERT */
};
/* magic 4 | version 1 | serial, scope, first_order, n 4x8 | value 8 |
 * currency 12 | root 32 | user_pk 32 | issued, not_after 2x8 | ulen 1 | name */
#define PAYWORD_VCERT_BODY_MAX (4 + 1 + 32 + 8 + 12 + 32 + 32 + 16 + 1 + PAYWORD_USERNAME_MAX)
#define PAYWORD_VCERT_MAX (PAYWORD_VCERT_BODY_MAX + OBOL_SIGN_LEN)

/* The user certificate: the vendor certificate plus the chain seed S (a
 * secret: whoever holds it can spend the chain). Delivered to the wallet
 * (step D) and kept there sealed under the user's password (seed §3.1). */
struct payword_ucert {
	struct payword_vcert vc;
	uint8_t seed[PAYWORD_TOKEN_LEN]; /* secret */
};
#define PAYWORD_UCERT_MAX (PAYWORD_VCERT_MAX + 4 + PAYWORD_TOKEN_LEN)

/* A visit commitment (DESIGN §7, our answer to seed §3.1's vendor fraud):
 * the first purchase of every visit to a vendor carries it, signed by the
 * user's key named in the certificate. Tokens inside the visit stay
 * hash-only. A visit covers the orders from `start` up to the start of the
 * user's next visit on the same certificate. */
struct payword_commit {
	uint64_t serial;
	uint64_t vendor; /* the vendor's id at the agent */
	uint64_t start;  /* first order number spent in this visit */
	int64_t time;    /* user's clock; strictly increasing per certificate */
	uint8_t sig[OBOL_SIGN_LEN];
};
#define PAYWORD_COMMIT_BODY_LEN (4 + 8 + 8 + 8 + 8)

/* Purchase request, wallet -> vendor (seed §3.5 purchase: "the next token,
 * its order number, the signed vendor certificate, the serial number, the
 * user name, the product id and the purchase value"). */
struct payword_pay {
	struct payword_vcert vc;
	uint64_t serial;
	char username[PAYWORD_USERNAME_MAX + 1];
	uint64_t order;
	uint8_t token[PAYWORD_TOKEN_LEN];
	char product[PAYWORD_PRODUCT_MAX + 1];
	struct obol_amount value;
	bool has_commit; /* the first purchase of a visit */
	struct payword_commit commit;
};

/* Reply, vendor -> wallet: an authorisation number, or PAYWORD_AUTH_NONE and
 * the error that refused the purchase. */
struct payword_pay_reply {
	int64_t auth;
	obol_err err;
};

/* A report line, vendor -> agent (seed §3.5 "transaction informing": user
 * name, token, order, value, authorisation number), plus the commitment of
 * the visit it belongs to. */
struct payword_claim {
	uint64_t vendor; /* set by the agent from the authenticated vendor */
	struct payword_commit commit;
	uint64_t order;
	uint8_t token[PAYWORD_TOKEN_LEN];
	struct obol_amount value;
	int64_t auth;
	char product[PAYWORD_PRODUCT_MAX + 1];
};

/* The certificate revocation list (seed §3.2), signed by the agent. Vendors
 * keep the newest they have seen and check it at every purchase. */
struct payword_crl {
	uint64_t seq;    /* grows with every change */
	int64_t issued;
	size_t count;
	uint64_t *serials; /* sorted ascending; owned by the caller */
	uint8_t sig[OBOL_SIGN_LEN];
};

/* --- encodings (cert.c) ------------------------------------------------ */

/* Writes the signed form (body || sig) of a vendor certificate; *len set. */
OBOL_MUST_CHECK obol_err payword_vcert_encode(const struct payword_vcert *vc, uint8_t out[static PAYWORD_VCERT_MAX],
					      size_t *len);
/* Parses the signed form; does not verify the signature. */
OBOL_MUST_CHECK obol_err payword_vcert_decode(const uint8_t *in, size_t len, struct payword_vcert *vc);
/* Signs / verifies with the agent's key. */
OBOL_MUST_CHECK obol_err payword_vcert_sign(struct payword_vcert *vc, const uint8_t agent_sk[static OBOL_SIGN_SK_LEN]);
OBOL_MUST_CHECK obol_err payword_vcert_verify(const struct payword_vcert *vc,
					      const uint8_t agent_pk[static OBOL_SIGN_PK_LEN]);
/* The last order number of the chain, k0 + n - 1. */
uint64_t payword_vcert_last_order(const struct payword_vcert *vc);

/* The user certificate: vcert signed form, then the seed. The result holds
 * the secret seed: the caller wipes it. */
OBOL_MUST_CHECK obol_err payword_ucert_encode(const struct payword_ucert *uc, uint8_t out[static PAYWORD_UCERT_MAX],
					      size_t *len);
OBOL_MUST_CHECK obol_err payword_ucert_decode(const uint8_t *in, size_t len, struct payword_ucert *uc);

void payword_commit_body(const struct payword_commit *c, uint8_t out[static PAYWORD_COMMIT_BODY_LEN]);
void payword_commit_sign(struct payword_commit *c, const uint8_t user_sk[static OBOL_SIGN_SK_LEN]);
/* Checks the user's signature under the certificate's key and that the
 * commitment names this certificate's serial. */
OBOL_MUST_CHECK obol_err payword_commit_verify(const struct payword_commit *c, const struct payword_vcert *vc);
bool payword_commit_equal(const struct payword_commit *a, const struct payword_commit *b);

/* CRL signed bytes: magic | seq | issued | count | serials. */
OBOL_MUST_CHECK obol_err payword_crl_sign(struct payword_crl *crl, const uint8_t agent_sk[static OBOL_SIGN_SK_LEN]);
OBOL_MUST_CHECK obol_err payword_crl_verify(const struct payword_crl *crl,
					    const uint8_t agent_pk[static OBOL_SIGN_PK_LEN]);
/* Binary search in the sorted list. */
bool payword_crl_contains(const struct payword_crl *crl, uint64_t serial);

/* The token of order `order` of a chain: w_(n-1-(order-k0)) = H^(k0+n-1-order)(seed). */
OBOL_MUST_CHECK obol_err payword_chain_token(const struct payword_vcert *vc, const uint8_t seed[static PAYWORD_TOKEN_LEN],
					     uint64_t order, uint8_t out[static PAYWORD_TOKEN_LEN]);

/* Checks a token of order `order` against the root (held = NULL) or against a
 * held token of a smaller order `held_order` of the same chain (seed §3:
 * "compute its hash value k times and compare it with the signed root"). */
OBOL_MUST_CHECK obol_err payword_token_check(const struct payword_vcert *vc, uint64_t order,
					     const uint8_t token[static PAYWORD_TOKEN_LEN],
					     const uint8_t *held, uint64_t held_order);

/* "generic" / "specific" (seed §3.4: the vendor's choice at registration). */
OBOL_MUST_CHECK obol_err payword_vendor_mode_parse(const char *text, enum payword_vendor_mode *out);
const char *payword_vendor_mode_name(enum payword_vendor_mode m);

/* User names: 1..32 of [a-z0-9._-]. */
bool payword_username_valid(const char *name);

#endif
