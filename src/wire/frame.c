/* Device-link frames: a 4-byte big-endian length L, then L bytes of CBOR
 * holding the definite array [type, version, body map] (wire/cbor.h). */
#include <cbor.h>
#include <string.h>

#include "core/version.h"
#include "wire/cbor.h"
#include "wire/cbor_item.h"

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

obol_err obol_frame_need(const uint8_t *buf, size_t have, size_t *need)
{
	uint32_t l;
	if (have < OBOL_FRAME_HEADER_LEN) {
		*need = OBOL_FRAME_HEADER_LEN;
		return OBOL_OK;
	}
	l = load_be32(buf);
	if (l > OBOL_FRAME_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	*need = OBOL_FRAME_HEADER_LEN + (size_t)l;
	return OBOL_OK;
}

obol_err obol_frame_encode(uint32_t type, const struct obol_fields *body, uint8_t *buf, size_t cap, size_t *len)
{
	size_t room, pos = OBOL_FRAME_HEADER_LEN, n, body_len = 0;
	obol_err e;
	if (cap < OBOL_FRAME_HEADER_LEN)
		return OBOL_E_WIRE_OVERSIZED;
	room = cap - OBOL_FRAME_HEADER_LEN;
	if (room > OBOL_FRAME_MAX)
		room = OBOL_FRAME_MAX;
	n = cbor_encode_array_start(3, buf + pos, room);
	if (n == 0)
		return OBOL_E_WIRE_OVERSIZED;
	pos += n;
	room -= n;
	n = cbor_encode_uint(type, buf + pos, room);
	if (n == 0)
		return OBOL_E_WIRE_OVERSIZED;
	pos += n;
	room -= n;
	n = cbor_encode_uint(OBOL_PROTOCOL_VERSION, buf + pos, room);
	if (n == 0)
		return OBOL_E_WIRE_OVERSIZED;
	pos += n;
	room -= n;
	e = obol_cbor_encode(body, buf + pos, room, &body_len);
	if (e != OBOL_OK)
		return e;
	pos += body_len;
	n = pos - OBOL_FRAME_HEADER_LEN;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	*len = pos;
	return OBOL_OK;
}

obol_err obol_frame_decode(const uint8_t *buf, size_t len, uint32_t *type, const uint8_t **body, size_t *body_len)
{
	struct obol_cbor_reader r;
	struct obol_cbor_item arr, t, v, map;
	size_t body_start;
	uint32_t l;
	obol_err e;
	if (len < OBOL_FRAME_HEADER_LEN)
		return OBOL_E_WIRE_TRUNCATED;
	l = load_be32(buf);
	if (l > OBOL_FRAME_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	if (len - OBOL_FRAME_HEADER_LEN < l)
		return OBOL_E_WIRE_TRUNCATED;
	if (len - OBOL_FRAME_HEADER_LEN > l)
		return OBOL_E_WIRE_TRAILING_DATA;
	r = (struct obol_cbor_reader){ buf + OBOL_FRAME_HEADER_LEN, l, 0 };
	e = obol_cbor_next(&r, &arr);
	if (e != OBOL_OK)
		return e;
	if (arr.type == OBOL_CI_INDEF)
		return OBOL_E_WIRE_MALFORMED;
	if (arr.type != OBOL_CI_ARRAY || arr.u < 2)
		return OBOL_E_WIRE_MALFORMED;
	e = obol_cbor_next(&r, &t);
	if (e != OBOL_OK)
		return e;
	if (t.type != OBOL_CI_UINT)
		return OBOL_E_WIRE_MALFORMED;
	/* The version is read before the rest of the shape is judged, so a
	 * frame of another protocol version is named as such. */
	e = obol_cbor_next(&r, &v);
	if (e != OBOL_OK)
		return e;
	if (v.type != OBOL_CI_UINT)
		return OBOL_E_WIRE_MALFORMED;
	if (v.u != OBOL_PROTOCOL_VERSION)
		return OBOL_E_WIRE_VERSION;
	if (arr.u != 3)
		return OBOL_E_WIRE_MALFORMED;
	if (t.u > UINT32_MAX)
		return OBOL_E_WIRE_UNKNOWN_TYPE;
	body_start = r.pos;
	e = obol_cbor_next(&r, &map);
	if (e != OBOL_OK)
		return e;
	if (map.type != OBOL_CI_MAP)
		return map.type == OBOL_CI_INDEF ? OBOL_E_WIRE_MALFORMED : OBOL_E_WIRE_WRONG_TYPE;
	e = obol_cbor_skip(&r, &map, OBOL_WIRE_DEPTH_MAX);
	if (e != OBOL_OK)
		return e;
	if (r.pos != r.len)
		return OBOL_E_WIRE_TRAILING_DATA;
	*type = (uint32_t)t.u;
	*body = buf + OBOL_FRAME_HEADER_LEN + body_start;
	*body_len = r.len - body_start;
	return OBOL_OK;
}
