/* Encryption (libsodium):
 *  - sealed boxes to an X25519 key (anonymous sender), e.g. the coupon
 *    authorisation sealed to the issuer (DESIGN §3 replaces the seed's
 *    textbook (token||T)^e mod N) and codex payment tokens sealed to a payee;
 *  - authenticated file sealing, XChaCha20-Poly1305 under a key from Argon2id
 *    over a passphrase, or under a 32-byte key file, for wallet state. */
#ifndef OBOL_CRYPTO_SEAL_H
#define OBOL_CRYPTO_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OBOL_BOX_PK_LEN 32
#define OBOL_BOX_SK_LEN 32
#define OBOL_SEALBOX_OVERHEAD 48 /* crypto_box_SEALBYTES */

struct obol_box_keypair {
	uint8_t pk[OBOL_BOX_PK_LEN];
	uint8_t sk[OBOL_BOX_SK_LEN]; /* secret */
};

void obol_box_keypair_new(struct obol_box_keypair *kp);

/* out holds len + OBOL_SEALBOX_OVERHEAD bytes. */
OBOL_MUST_CHECK obol_err obol_sealbox_seal(uint8_t *out, const uint8_t *msg, size_t len,
					   const uint8_t pk[static OBOL_BOX_PK_LEN]);
/* out holds len - OBOL_SEALBOX_OVERHEAD bytes. OBOL_E_DECRYPT_FAILED when the
 * box does not open; nothing of out is meaningful then. */
OBOL_MUST_CHECK obol_err obol_sealbox_open(uint8_t *out, const uint8_t *box, size_t len,
					   const struct obol_box_keypair *kp);

/* Who opens boxes sealed to kp->pk: kp itself, or, when open is set, a
 * process that holds the secret half (the issuer's signing process,
 * src/issuer/signer_client.h: kp->sk is then unused). */
struct obol_box_opener {
	const struct obol_box_keypair *kp;
	obol_err (*open)(void *ctx, const uint8_t pk[static OBOL_BOX_PK_LEN], uint8_t *out, const uint8_t *box,
			 size_t len);
	void *ctx;
};
/* obol_sealbox_open through o (its errors, or the opener's). */
OBOL_MUST_CHECK obol_err obol_sealbox_open_by(const struct obol_box_opener *o, uint8_t *out, const uint8_t *box,
					      size_t len);

/* File sealing. The sealed form is self-describing:
 *   magic "OBOLSEAL" | version (1) | kdf (0 = key file, 1 = Argon2id) |
 *   Argon2id opslimit (u32) | memlimit (u32, KiB) | salt (16) | nonce (24) |
 *   ciphertext + tag (16)
 * with the header as associated data. */
#define OBOL_FILEKEY_LEN 32
#define OBOL_FILESEAL_HEADER_LEN 58
#define OBOL_FILESEAL_OVERHEAD (OBOL_FILESEAL_HEADER_LEN + 16)

struct obol_filekey {
	uint8_t key[OBOL_FILEKEY_LEN]; /* secret */
	int from_passphrase;
	uint8_t salt[16];
	uint32_t opslimit, memlimit_kib;
};

/* Whether this binary is built for tests: true only in the programs the
 * test suite runs (build/obol-test, build/obol-attack, build/obol-e2e link
 * tests/lib/test_build.c), false in every other (src/crypto/build_kind.c,
 * which the linker takes from libobol-core.a only when nothing else
 * defines the symbol). */
extern const bool obol_build_for_tests;

/* The Argon2id cost to use by default: *fast is true when the environment
 * has OBOL_ARGON2_FAST=1 and the binary is built for tests (libsodium's MIN
 * limits instead of INTERACTIVE). A production build with OBOL_ARGON2_FAST
 * set refuses to run it: OBOL_E_ARGON2_FAST_REFUSED, never a weak key
 * without a word. */
OBOL_MUST_CHECK obol_err obol_argon2_fast(bool *fast);

/* Derives a file key from a passphrase with Argon2id. opslimit and
 * memlimit_kib both 0 take the defaults: libsodium's INTERACTIVE limits, or
 * its MIN limits under obol_argon2_fast (tests only; its error otherwise);
 * otherwise they must lie within opslimit 1..16, memlimit 8 KiB..1 GiB
 * (OBOL_E_INVALID_ARGUMENT). salt NULL draws a new one. An empty or NULL
 * passphrase is OBOL_E_PASSPHRASE_MISSING. */
OBOL_MUST_CHECK obol_err obol_filekey_from_passphrase(struct obol_filekey *k, const char *passphrase,
						      const uint8_t *salt, uint32_t opslimit,
						      uint32_t memlimit_kib);
void obol_filekey_from_bytes(struct obol_filekey *k, const uint8_t key[static OBOL_FILEKEY_LEN]);
void obol_filekey_wipe(struct obol_filekey *k);

/* Reads the KDF parameters of a sealed file's header, so the key can be
 * derived before opening. OBOL_E_SEAL_FORMAT for a wrong magic or version,
 * an unknown kdf, or Argon2id parameters outside the bounds above (a crafted
 * file must not make the wallet spend gigabytes). */
OBOL_MUST_CHECK obol_err obol_fileseal_header(const uint8_t *sealed, size_t len, int *from_passphrase,
					      uint8_t salt[16], uint32_t *opslimit, uint32_t *memlimit_kib);

/* *out is malloc'ed (len + OBOL_FILESEAL_OVERHEAD); caller frees. */
OBOL_MUST_CHECK obol_err obol_fileseal_seal(const struct obol_filekey *k, const uint8_t *plain, size_t len,
					    uint8_t **out, size_t *out_len);
/* *out is malloc'ed (at least one byte, even for an empty plaintext); the
 * caller wipes it with obol_wipe and frees it. OBOL_E_DECRYPT_FAILED on a
 * wrong key or any changed or missing byte; OBOL_E_SEAL_FORMAT as for
 * obol_fileseal_header. */
OBOL_MUST_CHECK obol_err obol_fileseal_open(const struct obol_filekey *k, const uint8_t *sealed, size_t len,
					    uint8_t **out, size_t *out_len);

#endif
