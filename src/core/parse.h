/* Bounded parsing and encoding helpers shared by the CLI, JSON and config code.
 *
 * Binary fields travel as base64url without padding (RFC 4648 §5) everywhere
 * obol writes text: JSON bodies, key files, command output. */
#ifndef OBOL_CORE_PARSE_H
#define OBOL_CORE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Decimal unsigned integer in [min, max]; no sign, no spaces, no trailing bytes. */
OBOL_MUST_CHECK obol_err obol_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Length of the base64url text (no padding, with NUL) of n bytes. */
#define OBOL_B64_LEN(n) ((((n) + 2) / 3) * 4 + 1)

/* Encodes n bytes as base64url without padding into out (cap bytes, incl. NUL). */
OBOL_MUST_CHECK obol_err obol_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

/* Decodes base64url text into out. With exact != 0 the decoded length must be
 * exactly cap; otherwise at most cap. Refuses padding, spaces and other bytes. */
OBOL_MUST_CHECK obol_err obol_b64_decode(const char *in, uint8_t *out, size_t cap, size_t *out_len,
					 int exact);

/* Lower-case hex, for logs and ids that people read. out holds 2n+1 bytes. */
void obol_hex_encode(const uint8_t *in, size_t n, char *out);
OBOL_MUST_CHECK obol_err obol_hex_decode(const char *in, uint8_t *out, size_t n);

/* Copies a NUL-terminated string into a fixed buffer; OBOL_E_PARSE_TOO_LONG
 * when it does not fit (nothing useful is written then). */
OBOL_MUST_CHECK obol_err obol_strlcpy_checked(char *dst, const char *src, size_t cap);

#endif
