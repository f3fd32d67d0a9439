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
#include "crypto/ed25519_signer.h"
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
/* Serials on one revocation list: more than one JSON body (OBOL_JSON_MAX,
 * 1 MiB) can carry, so the count itself never refuses a list; the body's
 * size is the limit that remains, until lists are paged (P6). */
#define PAYWORD_CRL_MAX (UINT32_C(1) << 19)
/* Serials in one page of the CRL (GET /payword/crl/page): at most 20 digits
 * and a comma each, well inside one JSON body. */
#define PAYWORD_CRL_PAGE_MAX 32768
/* A page's `through` when it is the last page of the list. */
#define PAYWORD_CRL_END INT64_MAX
#define PAYWORD_AUTH_NONE (-1)    /* the seed's "-1": purchase refused */
/* Seconds a signed product request's time may differ from the vendor's clock. */
#define PAYWORD_FETCH_WINDOW 300
#define PAYWORD_GENERIC 0         /* scope of a chain usable at every generic vendor */

enum payword_vendor_mode { PAYWORD_MODE_GENERIC = 1, PAYWORD_MODE_SPECIFIC = 2 };

/* Signature contexts (crypto/sign.h). */
#define PAYWORD_CTX_VCERT "payword-vendor-cert"
#define PAYWORD_CTX_RANGE "payword-range"
#define PAYWORD_CTX_POSITION "payword-position"
#define PAYWORD_CTX_FETCH "payword-fetch"
#define PAYWORD_CTX_CRL "payword-crl"
#define PAYWORD_CTX_CRL_PAGE "payword-crl-page"

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
	uint8_t user_pk[OBOL_SIGN_PK_LEN]; /* the user's key: signs ranges and positions */
	int64_t issued, not_after;
	char username[PAYWORD_USERNAME_MAX + 1];
	uint8_t sig[OBOL_SIGN_LEN]; /* agent, context PAYWORD_CTX_VCERT */
};
/* magic 4 | version 1 | serial, scope, first_order, n 4x8 | value 8 |
 * currency 12 | root 32 | user_pk 32 | issued, not_after 2x8 | ulen 1 | name */
#define PAYWORD_VCERT_BODY_MAX (4 + 1 + 32 + 8 + 12 + 32 + 32 + 16 + 1 + PAYWORD_USERNAME_MAX)
#define PAYWORD_VCERT_MAX (PAYWORD_VCERT_BODY_MAX + OBOL_SIGN_LEN)

/* The user certificate: the vendor certificate plus the chain seed S (a
 * secret: whoever holds it can compute the chain's tokens). Delivered to the
 * wallet (step D) and kept there sealed under the user's password (seed
 * §3.1). The tokens alone spend nothing: every purchase also carries a
 * range signed with the user's key. */
struct payword_ucert {
	struct payword_vcert vc;
	uint8_t seed[PAYWORD_TOKEN_LEN]; /* secret */
};
#define PAYWORD_UCERT_MAX (PAYWORD_VCERT_MAX + 4 + PAYWORD_TOKEN_LEN)

/* A signed range (DESIGN §7: obol's answer to the vendor fraud seed §3.1
 * leaves open). At every purchase the user signs, with the key its
 * certificate names, the orders it pays and the vendor it pays them to:
 * "OPWS" | serial | vendor | from | to (8 bytes BE each). The vendor keeps it
 * with the sale and reports it; the agent pays a vendor only the tokens of
 * ranges the user signed for that vendor. Two ranges of one certificate that
 * share an order at two vendors are two user signatures for the same token:
 * a user double spend. A vendor can claim nothing the user did not sign;
 * order and time of arrival decide nothing. */
struct payword_range {
	uint64_t serial;
	uint64_t vendor;   /* the vendor's id at the agent */
	uint64_t from, to; /* the first and last order paid, from <= to */
	uint8_t sig[OBOL_SIGN_LEN];
};
#define PAYWORD_RANGE_BODY_LEN (4 + 8 + 8 + 8 + 8)

/* The user's position, signed when a token purchase supersedes its live
 * certificate: "OPWP" | serial | next. It says the user signed no range
 * reaching `next` on that certificate; the agent moves the tokens from
 * `next` up to the new chain at once. A range reported later that reaches
 * `next` contradicts it under the same key: the user spent moved tokens. */
struct payword_position {
	uint64_t serial;
	uint64_t next;
	uint8_t sig[OBOL_SIGN_LEN];
};
#define PAYWORD_POSITION_BODY_LEN (4 + 8 + 8)

/* A product request (seed §3.5 step 8), signed by the buyer so that an
 * authorisation number is worth nothing to anyone else: "OPWF" | vendor |
 * auth | time | product length (1) | product. */
struct payword_fetch {
	uint64_t vendor;
	int64_t auth;
	int64_t time;
	char product[PAYWORD_PRODUCT_MAX + 1];
	uint8_t sig[OBOL_SIGN_LEN];
};
#define PAYWORD_FETCH_BODY_MAX (4 + 8 + 8 + 8 + 1 + PAYWORD_PRODUCT_MAX)

/* Purchase request, wallet -> vendor (seed §3.5 purchase: "the next token,
 * its order number, the signed vendor certificate, the serial number, the
 * user name, the product id and the purchase value"), and the range the user
 * signs for it: range.from .. order, at this vendor. */
struct payword_pay {
	struct payword_vcert vc;
	uint64_t serial;
	char username[PAYWORD_USERNAME_MAX + 1];
	uint64_t order;
	uint8_t token[PAYWORD_TOKEN_LEN];
	char product[PAYWORD_PRODUCT_MAX + 1];
	struct obol_amount value;
	struct payword_range range; /* serial, vendor and to follow from the request */
};

/* Reply, vendor -> wallet: an authorisation number, or PAYWORD_AUTH_NONE and
 * the error that refused the purchase. */
struct payword_pay_reply {
	int64_t auth;
	obol_err err;
};

/* A report line, vendor -> agent (seed §3.5 "transaction informing": user
 * name, token, order, value, authorisation number). It is self-contained:
 * the user-signed range it pays (its own start and end) and the token of the
 * range's last order, so reports may arrive in any order. */
struct payword_claim {
	uint64_t vendor; /* set by the agent from the authenticated vendor */
	struct payword_range range;
	uint8_t token[PAYWORD_TOKEN_LEN]; /* of order range.to */
	struct obol_amount value;
	int64_t auth;
	char product[PAYWORD_PRODUCT_MAX + 1];
};

/* The certificate revocation list (seed §3.2), signed by the agent. Vendors
 * keep the newest they have seen, check it at every purchase, and sell
 * nothing while the one they hold is older than the bound they state. */
struct payword_crl {
	uint64_t seq;    /* grows with every change */
	int64_t issued;
	size_t count;
	uint64_t *serials; /* sorted ascending; owned by the caller */
	uint8_t sig[OBOL_SIGN_LEN];
};

/* One page of the CRL (GET /payword/crl/page), signed by the agent. It
 * states: every certificate that ended at or after `since` (0: at any time)
 * and had not expired at `issued`, whose serial s has after < s <= through,
 * is in `serials` (ascending). The page ends the list when through is
 * PAYWORD_CRL_END; else the next page starts after `through`. A client
 * missing a page cannot take the pages it has for the whole: each page's
 * range is signed. */
struct payword_crl_page {
	int64_t issued, since;
	uint64_t after, through;
	size_t count; /* at most PAYWORD_CRL_PAGE_MAX */
	uint64_t *serials;
	uint8_t sig[OBOL_SIGN_LEN];
};

/* --- encodings (cert.c) ------------------------------------------------ */

/* Writes the signed form (body || sig) of a vendor certificate; *len set. */
OBOL_MUST_CHECK obol_err payword_vcert_encode(const struct payword_vcert *vc, uint8_t out[static PAYWORD_VCERT_MAX],
					      size_t *len);
/* Parses the signed form; does not verify the signature. */
OBOL_MUST_CHECK obol_err payword_vcert_decode(const uint8_t *in, size_t len, struct payword_vcert *vc);
/* Signs / verifies with the agent's key: agent_pk is the issuer's master
 * key, and its signature or an online key's it announced, acceptable now,
 * verifies (schemes/common/issuer_sig.h; so for the CRLs below). */
OBOL_MUST_CHECK obol_err payword_vcert_sign(struct payword_vcert *vc, const struct obol_ed25519_signer *signer);
OBOL_MUST_CHECK obol_err payword_vcert_verify(const struct payword_vcert *vc,
					      const uint8_t agent_pk[static OBOL_SIGN_PK_LEN]);
/* The last order number of the chain, k0 + n - 1. */
uint64_t payword_vcert_last_order(const struct payword_vcert *vc);

/* The user certificate: vcert signed form, then the seed. The result holds
 * the secret seed: the caller wipes it. */
OBOL_MUST_CHECK obol_err payword_ucert_encode(const struct payword_ucert *uc, uint8_t out[static PAYWORD_UCERT_MAX],
					      size_t *len);
OBOL_MUST_CHECK obol_err payword_ucert_decode(const uint8_t *in, size_t len, struct payword_ucert *uc);

/* Signs a range with the user's key. */
void payword_range_sign(struct payword_range *r, const uint8_t user_sk[static OBOL_SIGN_SK_LEN]);
/* Checks that the range names this certificate's serial, lies inside its
 * chain with from <= to (PAYWORD_ORDER_RANGE), and carries the signature of
 * the certificate's user (PAYWORD_RANGE_INVALID). The vendor is part of what
 * is signed: a range signed for another vendor does not verify. */
OBOL_MUST_CHECK obol_err payword_range_verify(const struct payword_range *r, const struct payword_vcert *vc);
/* Whether two ranges share an order. */
bool payword_range_overlap(uint64_t a_from, uint64_t a_to, uint64_t b_from, uint64_t b_to);

void payword_position_sign(struct payword_position *p, const uint8_t user_sk[static OBOL_SIGN_SK_LEN]);
/* PAYWORD_POSITION_INVALID unless it names the certificate's serial, a next
 * order inside first_order .. first_order + n, and verifies under its key. */
OBOL_MUST_CHECK obol_err payword_position_verify(const struct payword_position *p, const struct payword_vcert *vc);

OBOL_MUST_CHECK obol_err payword_fetch_sign(struct payword_fetch *f, const uint8_t user_sk[static OBOL_SIGN_SK_LEN]);
/* PAYWORD_AUTH_INVALID unless it verifies under user_pk. */
OBOL_MUST_CHECK obol_err payword_fetch_verify(const struct payword_fetch *f,
					      const uint8_t user_pk[static OBOL_SIGN_PK_LEN]);

/* CRL signed bytes: magic | seq | issued | count | serials. */
OBOL_MUST_CHECK obol_err payword_crl_sign(struct payword_crl *crl, const struct obol_ed25519_signer *signer);
OBOL_MUST_CHECK obol_err payword_crl_verify(const struct payword_crl *crl,
					    const uint8_t agent_pk[static OBOL_SIGN_PK_LEN]);
/* CRL page signed bytes: "OPWL" | issued | since | after | through | count |
 * serials, each u64 big-endian. PAYWORD_CRL_INVALID for a page whose
 * serials are not ascending inside (after, through], or that is too long. */
OBOL_MUST_CHECK obol_err payword_crl_page_sign(struct payword_crl_page *p, const struct obol_ed25519_signer *signer);
OBOL_MUST_CHECK obol_err payword_crl_page_verify(const struct payword_crl_page *p,
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
