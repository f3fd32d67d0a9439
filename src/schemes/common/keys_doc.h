/* The issuer's key document, served signed at GET /keys (DESIGN §4):
 *
 *   {"keys": {"version": 1, "currency": "EUR", "master_pk": B64, "box_pk": B64,
 *             "issued_at": UNIX, "coupon": {...}, "ecash": {...}, ...},
 *    "sig": B64}
 *
 * "sig" is Ed25519, context "issuer-keys", over the canonical text of the
 * "keys" object, by the master key or by an online key that the document's
 * own "announcements" announce (acceptable at the verifier's now) (obol_json_dump_canonical: sorted keys,
 * compact). Each scheme contributes its object under its own name (see
 * OBOL_ISSUER_SCHEME .keys_part). A client pins master_pk the first time it
 * meets the issuer (wallet init, vendor setup) and verifies every later
 * document against the pin; schemes read their part with
 * json_object_get(keys, "coupon").
 *
 * Once the issuer has held a key ceremony, keys also holds "announcements":
 * [B64, ...], the text form of each key announcement the master key signed
 * whose windows have not all passed (key_announce.h): the online keys in use
 * and the next ones, the coupon denominations' and the ecash bank's keys,
 * revocations. A document listing one that is malformed or not signed by
 * the master key is KEYS_INVALID.
 *
 * No I/O; obol_keys_doc_verify reads the clock (obol_now) and writes the
 * process's registry of issuer keys. */
#ifndef OBOL_SCHEMES_COMMON_KEYS_DOC_H
#define OBOL_SCHEMES_COMMON_KEYS_DOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/ed25519_signer.h"
#include "crypto/seal.h"
#include "crypto/sign.h"

#define OBOL_KEYS_CONTEXT "issuer-keys"

/* How often a client (wallet, vendor daemon) fetches the key document again,
 * so that it learns the issuer's next online keys and revocations without a
 * restart. */
#define OBOL_KEYS_DOC_REFRESH_S INT64_C(86400)
/* Whether a client that last verified the key document at fetched_at (0:
 * never) fetches it again at now: OBOL_KEYS_DOC_REFRESH_S later or more, or
 * a fetch dated after now (a clock set back: waiting for it to come round
 * again could take the client past its keys' windows). */
bool obol_keys_doc_due(int64_t fetched_at, int64_t now);
#define OBOL_KEYS_VERSION 1

/* Signs `keys` (the inner object; borrowed) by signer into a new document
 * *out; the signer's error when it signs nothing. */
OBOL_MUST_CHECK obol_err obol_keys_doc_sign(const json_t *keys, const struct obol_ed25519_signer *signer, json_t **out);

/* Verifies a document (text of len bytes) against a pinned master key (NULL:
 * accept the master_pk the document names, for the first contact; the caller
 * then pins it). On success *keys is the inner object (new reference) and, when
 * not NULL, master_pk_out/box_pk_out/currency receive its fields.
 * KEYS_INVALID when the signature does not verify, the document names another
 * master key than the pinned one, or a common field is missing or malformed;
 * WIRE_MALFORMED when it is not JSON. A document that verifies has its
 * announcements registered as the issuer's keys for its master key
 * (issuer_sig.h, obol_issuer_keys_register, with its "issued_at"): every
 * later issuer signature checked through obol_issuer_sig_verify in this
 * process accepts the online keys it announces. */
OBOL_MUST_CHECK obol_err obol_keys_doc_verify(const char *text, size_t len,
					      const uint8_t *pinned_master_pk, json_t **keys,
					      uint8_t master_pk_out[OBOL_SIGN_PK_LEN],
					      uint8_t box_pk_out[OBOL_BOX_PK_LEN],
					      char currency[OBOL_CURRENCY_MAX + 1]);

struct obol_key_set;
/* The announcements of a verified document's keys object (none when it
 * lists none), each verified under master_pk, into *set. KEYS_INVALID when
 * one is malformed or not the master's. */
OBOL_MUST_CHECK obol_err obol_keys_doc_key_set(const json_t *keys, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
					       struct obol_key_set *set);

#endif
