/* CBOR (RFC 8949, through libcbor) encoding and decoding of field specs, and
 * the device-link frame.
 *
 * A frame on the device link is a 4-byte big-endian length L followed by L
 * bytes of CBOR: a definite array [type (uint), version (uint), body (map)].
 * L <= OBOL_FRAME_MAX; the version must be OBOL_PROTOCOL_VERSION. */
#ifndef OBOL_WIRE_CBOR_H
#define OBOL_WIRE_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "wire/fields.h"

#define OBOL_FRAME_HEADER_LEN 4
#define OBOL_FRAME_MAX 65536 /* bytes of CBOR in one frame */

/* Decodes a CBOR map (exactly len bytes, no trailing data) into the spec,
 * with the refusals of fields.h; allocates nothing. Fields after the one
 * that failed are left as they were; a failed decode's output is not to be
 * used. */
OBOL_MUST_CHECK obol_err obol_cbor_decode(const uint8_t *buf, size_t len, const struct obol_fields *spec);

/* Encodes the spec as a CBOR map into buf (cap bytes): definite lengths,
 * shortest integers, keys in spec order. WIRE_OVERSIZED when it does not fit;
 * a value breaking its field's rules gets the error decoding would give. */
OBOL_MUST_CHECK obol_err obol_cbor_encode(const struct obol_fields *spec, uint8_t *buf, size_t cap,
					  size_t *len);

/* Writes a whole frame (length prefix included) with the body encoded from
 * spec. WIRE_OVERSIZED when it exceeds OBOL_FRAME_MAX or cap. */
OBOL_MUST_CHECK obol_err obol_frame_encode(uint32_t type, const struct obol_fields *body, uint8_t *buf,
					   size_t cap, size_t *len);

/* Given the bytes received so far, tells how many the complete frame needs
 * (header included): OBOL_OK with *need set, or WIRE_OVERSIZED when the
 * announced length exceeds OBOL_FRAME_MAX. With fewer than 4 bytes, *need = 4. */
OBOL_MUST_CHECK obol_err obol_frame_need(const uint8_t *buf, size_t have, size_t *need);

/* Parses a complete frame (header included, exactly len bytes): checks the
 * length, the version (WIRE_VERSION), the array shape and that the body is one
 * well-formed map nested at most OBOL_WIRE_DEPTH_MAX levels; returns the type
 * and where the body map lies inside buf (decode it with obol_cbor_decode and
 * the type's spec; an unknown type is the caller's WIRE_UNKNOWN_TYPE). */
OBOL_MUST_CHECK obol_err obol_frame_decode(const uint8_t *buf, size_t len, uint32_t *type,
					   const uint8_t **body, size_t *body_len);

#endif
