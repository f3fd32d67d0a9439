/* The vendor certificate C, shared by every scheme (DESIGN §5 step 1; seed
 * 000/001 §4 "certificate C of the vendor"; seed 003's vendor registration).
 *
 * C binds a vendor's signing key (and optionally its box key) to its account
 * at the issuer, for a validity window, under the issuer's master key:
 *
 *   field        CBOR key  JSON name     type
 *   vendor_id    1         "vendor_id"   uint   the vendor's account id at the issuer
 *   name         2         "name"        text   <= OBOL_VENDOR_NAME_MAX bytes
 *   account      3         "account"     uint   the payout account id (credited on settlement)
 *   sign_pk      4         "sign_pk"     32 bytes, Ed25519
 *   box_pk       5         "box_pk"      32 bytes, X25519 (optional)
 *   valid_from   6         "valid_from"  int    Unix seconds
 *   valid_until  7         "valid_until" int    Unix seconds, > valid_from
 *   sig          8         "sig"         64 bytes
 *
 * sig is Ed25519 by the issuer master key or by an online key it announced
 * (acceptable at the verifier's now: schemes/common/issuer_sig.h), context
 * "vendor-cert", over the
 * CBOR map of fields 1..7 (box_pk omitted when absent) as obol_cbor_encode
 * writes it (definite lengths, keys in this order: the encoding is canonical).
 * H(C) (obol_vendor_cert_hash) is SHA-256 over the CBOR map of all fields,
 * signature included: what the coupon authorisation binds.
 *
 * Pure code, no I/O; `now` is a parameter. */
#ifndef OBOL_SCHEMES_COMMON_VENDOR_CERT_H
#define OBOL_SCHEMES_COMMON_VENDOR_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/parse.h"
#include "crypto/ed25519_signer.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "wire/fields.h"

#define OBOL_VENDOR_NAME_MAX 64
#define OBOL_VENDOR_CERT_CONTEXT "vendor-cert"
#define OBOL_VENDOR_CERT_MAX 512 /* bytes of the CBOR encoding, an upper bound */

/* The issuer starts a certificate it signs at now an hour before now, so that
 * a vendor or wallet whose clock runs behind the issuer's takes it at once:
 * the vendor checks a renewal against the time it sent the request, which a
 * certificate signed a second later would otherwise be "not yet valid" at
 * (VENDOR_CERT_EXPIRED). Its end is not moved. */
#define OBOL_VENDOR_CERT_BACKDATE_S 3600

struct obol_vendor_cert {
	uint64_t vendor_id;
	char name[OBOL_VENDOR_NAME_MAX + 1];
	uint64_t account;
	uint8_t sign_pk[OBOL_SIGN_PK_LEN];
	uint8_t box_pk[OBOL_BOX_PK_LEN];
	bool has_box_pk;
	int64_t valid_from, valid_until;
	uint8_t sig[OBOL_SIGN_LEN];
};

/* The field spec of a certificate, pointing into c, for embedding C in a
 * scheme's message: a field of kind OBOL_FIELD_MAP with .sub = &spec->fields.
 * spec must live as long as it is used. */
struct obol_vendor_cert_spec {
	struct obol_field f[8];
	struct obol_fields fields;
};
void obol_vendor_cert_spec(struct obol_vendor_cert *c, struct obol_vendor_cert_spec *spec);

/* Signs c (fields 1..7 set) by the issuer's signer; the signer's error
 * when it signs nothing. */
OBOL_MUST_CHECK obol_err obol_vendor_cert_sign(struct obol_vendor_cert *c, const struct obol_ed25519_signer *signer);

/* Verifies the issuer's signature, the master's or an announced online
 * key's acceptable at now (VENDOR_CERT_INVALID), and that
 * valid_from <= now < valid_until (VENDOR_CERT_EXPIRED). */
OBOL_MUST_CHECK obol_err obol_vendor_cert_verify(const struct obol_vendor_cert *c,
						 const uint8_t master_pk[static OBOL_SIGN_PK_LEN], int64_t now);

/* The issuer's signature alone, its chain checked at now (VENDOR_CERT_INVALID),
 * for a caller that judges the certificate's own window itself. Check the
 * chain at the caller's present, not at the certificate's valid_from: a
 * revoked online key could otherwise sign certificates dated before its
 * revocation. */
OBOL_MUST_CHECK obol_err obol_vendor_cert_verify_sig(const struct obol_vendor_cert *c,
						     const uint8_t master_pk[static OBOL_SIGN_PK_LEN], int64_t now);
/* CBOR map of all fields (signature included). */
OBOL_MUST_CHECK obol_err obol_vendor_cert_encode(const struct obol_vendor_cert *c, uint8_t *buf, size_t cap,
						 size_t *len);
/* Decodes the CBOR map (exactly len bytes); wire errors as obol_cbor_decode. */
OBOL_MUST_CHECK obol_err obol_vendor_cert_decode(const uint8_t *buf, size_t len, struct obol_vendor_cert *c);

/* Text form for files and command lines: base64url of the CBOR map. text
 * holds OBOL_VENDOR_CERT_TEXT_MAX bytes. */
#define OBOL_VENDOR_CERT_TEXT_MAX OBOL_B64_LEN(OBOL_VENDOR_CERT_MAX)
OBOL_MUST_CHECK obol_err obol_vendor_cert_to_text(const struct obol_vendor_cert *c,
						  char text[OBOL_VENDOR_CERT_TEXT_MAX]);
OBOL_MUST_CHECK obol_err obol_vendor_cert_from_text(const char *text, struct obol_vendor_cert *c);

/* H(C): SHA-256 of the full CBOR encoding. */
OBOL_MUST_CHECK obol_err obol_vendor_cert_hash(const struct obol_vendor_cert *c, uint8_t out[32]);

#endif
