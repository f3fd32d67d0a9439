/* Internal to src/vendor: small file helpers of the vendor directory. */
#ifndef OBOL_VENDOR_VENDOR_FILES_H
#define OBOL_VENDOR_VENDOR_FILES_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

/* DIR/NAME into out. */
OBOL_MUST_CHECK obol_err obol_vendor_file_path(const char *dir, const char *name, char out[PATH_MAX]);
/* Replaces path with text (write temp, fsync, rename). */
OBOL_MUST_CHECK obol_err obol_vendor_file_write(const char *path, const char *text, mode_t mode);
/* Reads a small text file (< 64 KiB), trailing newlines removed; NOT_FOUND
 * when absent. *text malloc'ed. */
OBOL_MUST_CHECK obol_err obol_vendor_file_read(const char *path, char **text);
/* GET URL/keys verified under pin (NULL: self-signed, first contact); *keys
 * the inner object, master_pk (may be NULL) its master key, *doc_text (may
 * be NULL) the document text. */
OBOL_MUST_CHECK obol_err obol_vendor_fetch_keys_doc(const char *url, const uint8_t *pin, json_t **keys,
						    uint8_t master_pk[32], char **doc_text);

#endif
