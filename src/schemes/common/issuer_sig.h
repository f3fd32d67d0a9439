/* The verifier's trust in the issuer's keys (docs/protocol.md, "Which online
 * key signed a message"): which Ed25519 keys may sign for an issuer whose
 * master key a verifier pinned.
 *
 * The issuer signs its messages (key documents, vendor, Codex and payword
 * certificates, coupon replies, Codex states and blacklists, payword CRLs)
 * with an online key its master key announced (key_announce.h). A verifier
 * holds, per pinned master key, the announcements it last learnt (from a key
 * document it verified, from its wallet or vendor file, or from the issuer
 * database), as one struct obol_key_set registered here, and checks each
 * message through obol_issuer_sig_verify. The master's own signature stays
 * accepted: messages signed before the issuer moved to online keys carry it,
 * and the master, kept offline, signs nothing but announcements after, so
 * accepting it lets no one more sign anything.
 *
 * The registry is process-wide and thread-safe (a read-write lock: the vendor
 * daemon verifies from several threads). It holds the sets of at most
 * OBOL_ISSUER_KEYS_MAX master keys; registering one more evicts the one least
 * recently used. Apart from reading it, obol_issuer_sig_verify is pure. */
#ifndef OBOL_SCHEMES_COMMON_ISSUER_SIG_H
#define OBOL_SCHEMES_COMMON_ISSUER_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/sign.h"

#define OBOL_ISSUER_KEYS_MAX 8

struct obol_key_set;

/* Holds a copy of set (each of its announcements was verified under
 * set->master_pk when added to it, so a set speaks only for its own master)
 * as the issuer's keys for set->master_pk, learnt from a document issued at
 * issued_at (the key document's "issued_at"; the issuer database: now).
 * It replaces the set held for that master as a whole, unless the held one
 * comes from a later document (issued_at greater): then it keeps the held
 * one and returns OK. An empty set (a document of an issuer that has held
 * no key ceremony) replaces nothing. NO_MEMORY when it cannot copy. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_register(const struct obol_key_set *set, int64_t issued_at);

/* A copy of the set held for master_pk into *out (with the issued_at it was
 * registered with, NULL allowed): KEY_NOT_ANNOUNCED when none is held. For
 * a shell that keeps the set in a file. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_get(const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
					      struct obol_key_set *out, int64_t *issued_at);

/* Forgets every set held (tests; a process that changes issuers). */
void obol_issuer_keys_forget_all(void);

/* The chain master → (online key →) message: OK when sig is master_pk's own
 * Ed25519 signature under context over msg, or that of an online key of the
 * set registered for master_pk which is announced, not revoked and
 * acceptable at now (obol_key_set_verify_any). Otherwise:
 *   KEY_REVOKED        sig is by an online key of the set revoked at now;
 *   KEY_OUTSIDE_WINDOW sig is by an online key of the set not acceptable at
 *                      now (not valid yet, or its acceptance ended);
 *   KEY_NOT_ANNOUNCED  no set is held for master_pk (the signer may be an
 *                      online key this verifier has not learnt: fetch the
 *                      key document);
 *   SIGNATURE_INVALID  no key of the set made it.
 * Callers that name their own refusal (VENDOR_CERT_INVALID, ...) map any
 * error to it. Cost: one Ed25519 verification under the master, then one or
 * two under the online keys acceptable at now; a forgery costs at most one
 * per online key the set holds (OBOL_KEY_SET_MAX). */
OBOL_MUST_CHECK obol_err obol_issuer_sig_verify(const uint8_t sig[static OBOL_SIGN_LEN], const char *context,
						const uint8_t *msg, size_t len,
						const uint8_t master_pk[static OBOL_SIGN_PK_LEN], int64_t now);

#endif
