/* Field specs: one declaration of a message's fields drives both its CBOR
 * (device link) and its JSON (issuer API) encoding and decoding.
 *
 * A message is a map. Decoding refuses, each with its named error: unknown
 * keys (WIRE_UNKNOWN_FIELD), missing required fields (WIRE_MISSING_FIELD),
 * duplicated keys (WIRE_DUPLICATE_FIELD), mistyped values (WIRE_WRONG_TYPE),
 * and values longer than their limit or of the wrong fixed length
 * (WIRE_OVERSIZED, WIRE_BAD_LENGTH). In CBOR the key is the small unsigned
 * integer `key`; in JSON the text `name`. Binary fields are CBOR byte strings
 * and, in JSON, base64url text without padding. Amounts are CBOR/JSON text in
 * the "CUR:V.F" form. */
#ifndef OBOL_WIRE_FIELDS_H
#define OBOL_WIRE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"

enum obol_field_kind {
	OBOL_FIELD_UINT,   /* uint64_t *;  value <= max */
	OBOL_FIELD_INT,    /* int64_t * (times, signed values) */
	OBOL_FIELD_BOOL,   /* bool * */
	OBOL_FIELD_BYTES,  /* uint8_t[max]; length in *len; min <= len <= max */
	OBOL_FIELD_FIXED,  /* uint8_t[max]; length exactly max */
	OBOL_FIELD_TEXT,   /* char[max + 1], NUL-terminated; UTF-8, no NUL inside; len <= max */
	OBOL_FIELD_AMOUNT, /* struct obol_amount * */
	OBOL_FIELD_MAP,    /* a nested message: struct obol_fields * in `sub` */
	OBOL_FIELD_ARRAY,  /* an array of nested messages, see obol_field_array */
};

struct obol_fields;

struct obol_field_array {
	/* Called for each element with its index; fills the element's spec
	 * (pointing into caller storage) for decoding, or for encoding. */
	obol_err (*element)(void *ctx, size_t index, struct obol_fields *out);
	void *ctx;
	size_t *count; /* decode: out; encode: in */
	size_t max;    /* most elements accepted */
};

struct obol_field {
	const char *name;  /* JSON key */
	uint32_t key;      /* CBOR key */
	enum obol_field_kind kind;
	bool optional;
	void *value;       /* where the value is read from / written to */
	size_t *len;       /* BYTES: the length */
	uint64_t min, max; /* UINT: max value (0 = no limit); BYTES/TEXT: length bounds */
	bool *present;     /* optional fields: set on decode, read on encode (NULL = always) */
	const struct obol_fields *sub;          /* MAP */
	const struct obol_field_array *array;   /* ARRAY */
};

struct obol_fields {
	const struct obol_field *f;
	size_t n;
};

#endif
