/* The wallet state file (DESIGN §9).
 *
 * The plaintext is one JSON object:
 *   {"version": 1,
 *    "issuer":  {"url": "http://127.0.0.1:8080", "master_pk": B64, "box_pk": B64, "currency": "EUR",
 *                "announcements": [B64, ...], "keys_issued_at": UNIX},   (the last two optional)
 *    "account": {"id": 7, "name": "alice", "sk": B64 (64-byte Ed25519 secret key)},   (optional)
 *    "coupon":  {...}, "ecash": {...}, "payword": {...}, "codex": {...}}   (one object per scheme, its own)
 * sealed with src/crypto/seal.h (XChaCha20-Poly1305; key from Argon2id over a
 * passphrase, or a 32-byte key file).
 *
 * Rules:
 *   - open takes an exclusive lock (flock on PATH.lock, created 0600) held
 *     until close, so two wallet processes never interleave (WALLET_LOCKED
 *     when another holds it; the lock is not waited for);
 *   - save replaces the file atomically: write PATH.tmp (0600), fsync,
 *     rename over PATH, fsync the directory. A crash leaves the old or the
 *     new file, never a mix;
 *   - the passphrase comes from env OBOL_PASSPHRASE, or a prompt on the
 *     terminal when stdin is a tty; or a key file (--key-file: 32 raw bytes,
 *     or 43 bytes of base64url text); none is PASSPHRASE_MISSING;
 *   - a wrong passphrase or key, or any changed byte, is DECRYPT_FAILED; a
 *     file that is not a sealed wallet is WALLET_FILE;
 *   - plaintext buffers are wiped after use, and every string value of the
 *     document (keys, seeds, tokens are base64url strings) is overwritten
 *     before the document is freed at close.
 *
 * The issuer's announced keys: "announcements" holds the online-key
 * announcements and revocations (key_announce.h text form) of the newest key
 * document the wallet verified, "keys_issued_at" that document's issued_at.
 * open registers them (schemes/common/issuer_sig.h), so a wallet verifies
 * what the issuer's online keys signed with no network, and save writes back
 * the set the process holds for the pinned master key (a later document's,
 * when one was verified since). A wallet without them (made before, or that
 * never fetched a document listing announcements) is the same version: it
 * accepts the master's own signatures only until it fetches one.
 *
 * Scheme code opens the wallet through obol_wallet_open, changes its own
 * section (obol_wallet_section), and calls obol_wallet_save before telling
 * the user anything moved. */
#ifndef OBOL_WALLET_FILE_H
#define OBOL_WALLET_FILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/seal.h"
#include "crypto/sign.h"

/* Where the file key comes from. */
struct obol_wallet_keysrc {
	const char *key_file; /* NULL: passphrase from OBOL_PASSPHRASE or the terminal */
};

struct obol_wallet;

/* Creates a new wallet at path with an empty document {"version": 1} and
 * keeps it open and locked. WALLET_EXISTS when path exists. The passphrase
 * is asked twice on a terminal. */
OBOL_MUST_CHECK obol_err obol_wallet_create(const char *path, const struct obol_wallet_keysrc *ks,
					    struct obol_wallet **out);
/* Locks and opens an existing wallet. WALLET_FILE when it does not exist or
 * is not a wallet. */
OBOL_MUST_CHECK obol_err obol_wallet_open(const char *path, const struct obol_wallet_keysrc *ks,
					  struct obol_wallet **out);
/* Seals and atomically replaces the file with the current document. */
OBOL_MUST_CHECK obol_err obol_wallet_save(struct obol_wallet *w);
/* Unlocks and frees (wiping the key and the document). Unsaved changes are
 * dropped. NULL is allowed. */
void obol_wallet_close(struct obol_wallet *w);

/* The whole document (borrowed; change it in place, then save). */
json_t *obol_wallet_doc(struct obol_wallet *w);
/* A scheme's section, created empty when absent (borrowed). NULL only on
 * allocation failure. */
json_t *obol_wallet_section(struct obol_wallet *w, const char *scheme);
const char *obol_wallet_path(const struct obol_wallet *w);
/* The guard of this open wallet's payments (src/wallet/payer.h), made at the
 * first call (NULL only on no memory) and freed at close. */
struct obol_payer;
struct obol_payer *obol_wallet_payer(struct obol_wallet *w);

/* Common fields. */
OBOL_MUST_CHECK obol_err obol_wallet_set_issuer(struct obol_wallet *w, const char *url,
						const uint8_t master_pk[32], const uint8_t box_pk[32],
						const char *currency);
/* WALLET_FILE when no issuer is set. url_out borrowed; others copied (NULL to skip). */
OBOL_MUST_CHECK obol_err obol_wallet_issuer(struct obol_wallet *w, const char **url, uint8_t master_pk[32],
					    uint8_t box_pk[32], char currency[16]);
OBOL_MUST_CHECK obol_err obol_wallet_set_account(struct obol_wallet *w, int64_t id, const char *name,
						 const uint8_t sk[static OBOL_SIGN_SK_LEN]);
/* NOT_FOUND when the wallet has no account key; id 0 means "created, id
 * not yet known" (set by the account add flow). */
OBOL_MUST_CHECK obol_err obol_wallet_account(struct obol_wallet *w, int64_t *id,
					     uint8_t sk[static OBOL_SIGN_SK_LEN]);

/* Helpers for binary fields in sections (base64url strings). */
OBOL_MUST_CHECK obol_err obol_wallet_json_set_bytes(json_t *obj, const char *key, const uint8_t *p, size_t n);
/* Exactly n bytes; WALLET_FILE when absent or of another length. */
OBOL_MUST_CHECK obol_err obol_wallet_json_get_bytes(const json_t *obj, const char *key, uint8_t *p, size_t n);

#endif
