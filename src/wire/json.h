/* JSON (through jansson) encoding and decoding of field specs for the issuer
 * HTTP API, and its error body {"code": N, "name": "...", "hint": "..."}. */
#ifndef OBOL_WIRE_JSON_H
#define OBOL_WIRE_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "wire/fields.h"

#define OBOL_JSON_MAX 1048576 /* bytes of one request or reply body */

/* Parses text (exactly len bytes; refuses duplicate keys and trailing data)
 * and decodes the top-level object into the spec. */
OBOL_MUST_CHECK obol_err obol_json_decode_text(const char *text, size_t len, const struct obol_fields *spec);

/* Decodes an already-parsed object. */
OBOL_MUST_CHECK obol_err obol_json_decode(const json_t *obj, const struct obol_fields *spec);

/* Encodes the spec as a new object (*out owned by the caller, json_decref). */
OBOL_MUST_CHECK obol_err obol_json_encode(const struct obol_fields *spec, json_t **out);

/* Canonical compact text of an object (sorted keys), malloc'ed; used for
 * signing and idempotency hashing. NULL on allocation failure. */
char *obol_json_dump_canonical(const json_t *obj);

/* The error body for e, with an optional detail string (NULL for none). */
json_t *obol_json_error_body(obol_err e, const char *detail);

/* Reads an error body back; OBOL_E_PEER_ERROR when it is not one. */
obol_err obol_json_error_from_body(const char *text, size_t len);

#endif
