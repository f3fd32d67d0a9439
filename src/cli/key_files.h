/* The files of the key ceremony (docs/operations.md "The key ceremony"):
 * what travels between the issuer and the machine that holds the master key.
 *
 *   requests    {"format": "obol-key-requests", "version": 1,
 *                "master_pk": B64, "requests": [B64, ...]}
 *               each request the signed bytes of one announcement
 *               (schemes/common/key_announce.h), for the master named
 *   signatures  {"format": "obol-key-signatures", "version": 1,
 *                "master_pk": B64, "announcements": [B64, ...]}
 *               each a whole signed announcement (CBOR, field 12 included)
 *   master key  one line "obol-master-key-v1 " B64(Ed25519 seed), mode 0600,
 *               created only where no file is (it is never overwritten)
 *
 * Anything else, a list over KEY_FILE_ITEMS_MAX, a file over 1 MiB or an
 * entry that is not base64url is KEY_FILE_FORMAT. */
#ifndef OBOL_CLI_KEY_FILES_H
#define OBOL_CLI_KEY_FILES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/sign.h"

#define KEY_FILE_REQUESTS "obol-key-requests"
#define KEY_FILE_SIGNATURES "obol-key-signatures"
#define KEY_FILE_ITEMS_MAX 256

/* Writes a file of the format (KEY_FILE_REQUESTS: list key "requests";
 * KEY_FILE_SIGNATURES: "announcements") holding the n byte strings items
 * (each lens[i] long), through a temporary file renamed over path. */
OBOL_MUST_CHECK obol_err key_file_write(const char *path, const char *format,
					const uint8_t master_pk[static OBOL_SIGN_PK_LEN], const uint8_t *const *items,
					const size_t *lens, size_t n);

/* Reads such a file: *items is a new array of json strings (base64url; decref
 * it), master_pk the master it names. */
OBOL_MUST_CHECK obol_err key_file_read(const char *path, const char *format, uint8_t master_pk[static OBOL_SIGN_PK_LEN],
				       json_t **items);

/* Item i of the array as bytes (buf of cap bytes). */
OBOL_MUST_CHECK obol_err key_file_item(const json_t *items, size_t i, uint8_t *buf, size_t cap, size_t *len);

/* The master key file. Writing refuses a path that exists (IO). */
OBOL_MUST_CHECK obol_err master_key_file_write(const char *path, const uint8_t seed[static OBOL_SIGN_SEED_LEN]);
/* Reads the key (wipe it after use): IO when unreadable, KEY_FILE_FORMAT
 * when it is not a master key file. */
OBOL_MUST_CHECK obol_err master_key_file_read(const char *path, struct obol_sign_keypair *kp);

#endif
