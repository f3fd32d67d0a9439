/* Key announcements: what the issuer's master key signs, and nothing else
 * (the key hierarchy of docs/protocol.md, "Key announcements").
 *
 * The master key stays offline. It announces each key the issuer uses online
 * (its Ed25519 signing keys, its coupon denominations' RSA keys, its ecash
 * bank key), each with a validity window, and it revokes them. Everything
 * else the issuer signs is signed by an online key the master announced, so
 * a verifier checks a chain: master → announcement → online key → message.
 *
 *   field         CBOR key  type                  kinds
 *   kind          1         uint                  all (enum obol_key_kind)
 *   currency      2         text, <= 11           all
 *   serial        3         uint                  all: the issuer's number for the announcement
 *   key           4         bytes                 ONLINE (32, Ed25519), COUPON_DENOM and
 *                                                 ECASH_BANK (RSA, DER SubjectPublicKeyInfo)
 *   valid_from    5         int                   all; REVOKE: when the revocation takes effect
 *   use_until     6         int                   all but REVOKE: the issuer signs (withdraws,
 *                                                 certifies) with the key until then
 *   accept_until  7         int                   all but REVOKE: what the key signed is
 *                                                 accepted (coins spent) until then
 *   legal_end     8         int                   COUPON_DENOM, ECASH_BANK: coins under the key
 *                                                 are refunded until then
 *   value         9         amount                COUPON_DENOM: a coin's value
 *   tokens        10        uint                  COUPON_DENOM: a coin's tokens
 *   revoked       11        32 bytes              REVOKE: the key id of the revoked key
 *   sig           12        64 bytes
 *
 * A field outside its kinds is absent; one of its kinds is present. Windows
 * are ordered: valid_from < use_until <= accept_until (<= legal_end). A key's
 * id is SHA-256 of its `key` bytes (for RSA keys the id the schemes use).
 * sig is Ed25519 by the master key, context "key-announce", over the CBOR
 * map of fields 1..11 as obol_cbor_encode writes it (definite lengths, keys
 * in this order). Every malformed or unsigned announcement is
 * KEY_ANNOUNCE_INVALID.
 *
 * Pure code, no I/O; `now` is a parameter. */
#ifndef OBOL_SCHEMES_COMMON_KEY_ANNOUNCE_H
#define OBOL_SCHEMES_COMMON_KEY_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "core/parse.h"
#include "crypto/sign.h"

#define OBOL_KEY_ANNOUNCE_CONTEXT "key-announce"
#define OBOL_KEY_PUB_MAX 1100     /* an RSA-8192 key's SubjectPublicKeyInfo fits */
#define OBOL_KEY_ANNOUNCE_MAX 1400 /* bytes of the CBOR encoding, an upper bound */
#define OBOL_KEY_ANNOUNCE_TEXT_MAX OBOL_B64_LEN(OBOL_KEY_ANNOUNCE_MAX)

enum obol_key_kind {
	OBOL_KEY_ONLINE = 1,       /* Ed25519: signs key documents, certificates, lists */
	OBOL_KEY_COUPON_DENOM = 2, /* RSA: blind-signs the coupon coins of one value */
	OBOL_KEY_ECASH_BANK = 3,   /* RSA: the ecash bank's key */
	OBOL_KEY_REVOKE = 4,       /* revokes the key whose id it names */
};

struct obol_key_announce {
	uint64_t kind;
	char currency[OBOL_CURRENCY_MAX + 1];
	uint64_t serial;
	uint8_t key[OBOL_KEY_PUB_MAX];
	size_t key_len;
	int64_t valid_from, use_until, accept_until, legal_end;
	struct obol_amount value;
	uint64_t tokens;
	uint8_t revoked[32];
	uint8_t sig[OBOL_SIGN_LEN];
};

/* Checks a's fields against its kind (the table above): OK or
 * KEY_ANNOUNCE_INVALID. Signing and verifying call it. */
OBOL_MUST_CHECK obol_err obol_key_announce_check(const struct obol_key_announce *a);

/* The signed bytes (the CBOR map of fields 1..11): what a signing request
 * carries to the master key. buf holds OBOL_KEY_ANNOUNCE_MAX bytes. */
OBOL_MUST_CHECK obol_err obol_key_announce_signed_bytes(const struct obol_key_announce *a, uint8_t *buf, size_t cap,
							size_t *len);
/* Reads signed bytes back into a (sig zeroed), checked as above. */
OBOL_MUST_CHECK obol_err obol_key_announce_from_signed_bytes(const uint8_t *buf, size_t len,
							     struct obol_key_announce *a);

/* Checks a and signs it with the master secret key. */
OBOL_MUST_CHECK obol_err obol_key_announce_sign(struct obol_key_announce *a,
						const uint8_t master_sk[static OBOL_SIGN_SK_LEN]);
/* The master's signature and the fields: OK or KEY_ANNOUNCE_INVALID. */
OBOL_MUST_CHECK obol_err obol_key_announce_verify(const struct obol_key_announce *a,
						  const uint8_t master_pk[static OBOL_SIGN_PK_LEN]);

/* The CBOR map of all 12 fields, and back (wire errors as obol_cbor_decode;
 * decoding does not verify). Text form: base64url of the map. */
OBOL_MUST_CHECK obol_err obol_key_announce_encode(const struct obol_key_announce *a, uint8_t *buf, size_t cap,
						  size_t *len);
OBOL_MUST_CHECK obol_err obol_key_announce_decode(const uint8_t *buf, size_t len, struct obol_key_announce *a);
OBOL_MUST_CHECK obol_err obol_key_announce_to_text(const struct obol_key_announce *a,
						   char text[OBOL_KEY_ANNOUNCE_TEXT_MAX]);
OBOL_MUST_CHECK obol_err obol_key_announce_from_text(const char *text, struct obol_key_announce *a);

/* The announced key's id: SHA-256 of its key bytes (REVOKE: the id it revokes). */
void obol_key_announce_key_id(const struct obol_key_announce *a, uint8_t id[32]);

/* Windows at now (no revocation considered): the issuer may sign with the
 * key (valid_from <= now < use_until); what it signed is accepted
 * (valid_from <= now < accept_until); coins under it are refunded
 * (now < legal_end; coin kinds only). */
bool obol_key_announce_usable(const struct obol_key_announce *a, int64_t now);
bool obol_key_announce_acceptable(const struct obol_key_announce *a, int64_t now);
bool obol_key_announce_refundable(const struct obol_key_announce *a, int64_t now);

/* A verifier's view of the issuer's keys: announcements each verified under
 * the pinned master key when added. */
#define OBOL_KEY_SET_MAX 64
struct obol_key_set {
	uint8_t master_pk[OBOL_SIGN_PK_LEN];
	struct obol_key_announce a[OBOL_KEY_SET_MAX];
	size_t n;
};
void obol_key_set_init(struct obol_key_set *s, const uint8_t master_pk[static OBOL_SIGN_PK_LEN]);
/* Verifies a under the set's master key and adds it: KEY_ANNOUNCE_INVALID
 * (nothing added), WIRE_OVERSIZED when the set is full. An announcement
 * already in the set (same kind and serial, same bytes) is not added twice;
 * another one under the same kind and serial is KEY_ANNOUNCE_INVALID. */
OBOL_MUST_CHECK obol_err obol_key_set_add(struct obol_key_set *s, const struct obol_key_announce *a);
/* The announcement of the key with bytes key/key_len and kind, checked at
 * now: KEY_NOT_ANNOUNCED, KEY_REVOKED (a revocation in force at now names
 * it), KEY_OUTSIDE_WINDOW (not acceptable at now), else OK with *out
 * pointing into the set (NULL allowed). */
OBOL_MUST_CHECK obol_err obol_key_set_find(const struct obol_key_set *s, uint64_t kind, const uint8_t *key,
					   size_t key_len, int64_t now, const struct obol_key_announce **out);
/* The chain master → online key → message: the online key online_pk must be
 * announced and acceptable at now (as obol_key_set_find), and sig must be
 * its Ed25519 signature under context over msg (KEY_SIGNATURE_INVALID). */
OBOL_MUST_CHECK obol_err obol_key_set_verify_signed(const struct obol_key_set *s,
						    const uint8_t online_pk[static OBOL_SIGN_PK_LEN],
						    const uint8_t sig[static OBOL_SIGN_LEN], const char *context,
						    const uint8_t *msg, size_t len, int64_t now);
/* The same chain for a message that does not name its online key: the
 * signature is tried under each online key of the set acceptable at now
 * (in practice the key in use and the one in its grace period: one or two
 * Ed25519 verifications), OK at the first that verifies, its key into
 * signer_pk (NULL allowed). When none does, it is tried under the set's
 * other online keys only to name the refusal: KEY_REVOKED or
 * KEY_OUTSIDE_WINDOW for a signature by a revoked key or one outside its
 * window, else KEY_SIGNATURE_INVALID. A forged signature thus costs at most
 * one verification per online key the set holds (OBOL_KEY_SET_MAX bounds
 * it). */
OBOL_MUST_CHECK obol_err obol_key_set_verify_any(const struct obol_key_set *s, const uint8_t sig[static OBOL_SIGN_LEN],
						 const char *context, const uint8_t *msg, size_t len, int64_t now,
						 uint8_t signer_pk[OBOL_SIGN_PK_LEN]);

#endif
