/* Internal to src/wire: a bounded pull reader of CBOR items over a buffer,
 * built on libcbor's streaming decoder (cbor_stream_decode). It allocates
 * nothing: strings are returned as pointers into the buffer.
 *
 * obol's CBOR profile (docs/protocol.md "Encodings"): major types 0-5 with
 * definite lengths, and the simple values false and true. Indefinite lengths
 * are WIRE_MALFORMED; tags, floats, null, undefined and other simple values
 * are WIRE_WRONG_TYPE wherever they appear. */
#ifndef OBOL_WIRE_CBOR_ITEM_H
#define OBOL_WIRE_CBOR_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum obol_cbor_item_type {
	OBOL_CI_UINT,   /* u = value */
	OBOL_CI_NEGINT, /* u = n for the value -1 - n */
	OBOL_CI_BYTES,  /* data, len */
	OBOL_CI_TEXT,   /* data, len (UTF-8 not yet checked) */
	OBOL_CI_ARRAY,  /* u = element count */
	OBOL_CI_MAP,    /* u = pair count */
	OBOL_CI_BOOL,   /* b */
	OBOL_CI_INDEF,  /* any indefinite-length start or break */
	OBOL_CI_OTHER,  /* tag, float, null, undefined, other simple value */
};

struct obol_cbor_item {
	enum obol_cbor_item_type type;
	uint64_t u;
	const uint8_t *data;
	size_t len;
	bool b;
};

struct obol_cbor_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

/* Reads the next item header (and, for strings, their bytes). WIRE_TRUNCATED
 * when the buffer ends first, WIRE_MALFORMED on a reserved encoding. */
OBOL_MUST_CHECK obol_err obol_cbor_next(struct obol_cbor_reader *r, struct obol_cbor_item *it);

/* Skips one whole value whose header `it` was just read, checking the profile
 * (see above) and nesting at most `depth_left` further levels (deeper is
 * WIRE_OVERSIZED). */
OBOL_MUST_CHECK obol_err obol_cbor_skip(struct obol_cbor_reader *r, const struct obol_cbor_item *it,
					unsigned depth_left);

/* Whether s[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) without a NUL byte. */
bool obol_utf8_valid_nonul(const uint8_t *s, size_t len);

#endif
