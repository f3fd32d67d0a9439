/* Device-link frames (src/wire/frame.c): length prefix, [type, version, body]
 * shape, limits, and each refusal with its named error. */
#include <stdlib.h>

#include "core/version.h"
#include "test.h"
#include "wire/cbor.h"
#include "wire_sample.h"

/* A frame around CBOR given in hex: the 4-byte length is computed. */
static size_t frame_of(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	for (const char *p = hex; *p != '\0';) {
		unsigned v;
		if (*p == ' ') {
			p++;
			continue;
		}
		if (OBOL_FRAME_HEADER_LEN + n == cap || sscanf(p, "%2x", &v) != 1)
			abort();
		buf[OBOL_FRAME_HEADER_LEN + n++] = (uint8_t)v;
		p += 2;
	}
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	return OBOL_FRAME_HEADER_LEN + n;
}

static obol_err decode_hex(const char *hex)
{
	uint8_t buf[256];
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
	return obol_frame_decode(buf, frame_of(hex, buf, sizeof(buf)), &type, &body, &body_len);
}

TEST(wire_frame, round_trip)
{
	struct sample in, out;
	struct sample_spec si, so;
	uint8_t buf[1024];
	size_t len = 0, need = 0, body_len = 0;
	uint32_t type = 0;
	const uint8_t *body = NULL;
	sample_fill(&in);
	sample_spec_init(&si, &in);
	REQUIRE_OK(obol_frame_encode(0x1234, &si.spec, buf, sizeof(buf), &len));
	CHECK_OK(obol_frame_need(buf, 2, &need));
	CHECK_EQ_INT(need, OBOL_FRAME_HEADER_LEN);
	CHECK_OK(obol_frame_need(buf, len, &need));
	CHECK_EQ_INT(need, len);
	/* After the header: 83 (array of 3), 19 1234 (type), 02 (version), body. */
	CHECK_EQ_INT(buf[4], 0x83);
	CHECK_EQ_INT(buf[5], 0x19);
	CHECK_EQ_INT(buf[8], OBOL_PROTOCOL_VERSION);
	REQUIRE_OK(obol_frame_decode(buf, len, &type, &body, &body_len));
	CHECK_EQ_INT(type, 0x1234);
	CHECK(body == buf + 9);
	CHECK_EQ_INT(body_len, len - 9);
	sample_spec_init(&so, &out);
	REQUIRE_OK(obol_cbor_decode(body, body_len, &so.spec));
	CHECK(sample_equal(&in, &out));
	/* Every proper prefix is truncated. */
	for (size_t k = 0; k < len; k++)
		CHECK_ERR(obol_frame_decode(buf, k, &type, &body, &body_len), OBOL_E_WIRE_TRUNCATED);
}

TEST(wire_frame, accepts_minimal_frames)
{
	CHECK_OK(decode_hex("83 00 02 a0"));
	CHECK_OK(decode_hex("83 1a ffffffff 02 a0"));
	CHECK_OK(decode_hex("83 05 02 a2 01 82 a1 02 43 010203 80 02 f5"));
}

TEST(wire_frame, refuses_wrong_version)
{
	CHECK_ERR(decode_hex("83 05 01 a0"), OBOL_E_WIRE_VERSION); /* version 1: refused */
	CHECK_ERR(decode_hex("83 05 03 a0"), OBOL_E_WIRE_VERSION);
	CHECK_ERR(decode_hex("83 05 00 a0"), OBOL_E_WIRE_VERSION);
	CHECK_ERR(decode_hex("83 05 1b 0000000100000001 a0"), OBOL_E_WIRE_VERSION);
	/* A later version may change the frame's shape: still named as a version. */
	CHECK_ERR(decode_hex("84 05 03 a0 00"), OBOL_E_WIRE_VERSION);
	CHECK_ERR(decode_hex("82 05 03"), OBOL_E_WIRE_VERSION);
}

TEST(wire_frame, refuses_oversized_length)
{
	uint8_t buf[8] = { 0x00, 0x01, 0x00, 0x01 }; /* 65537 */
	size_t need = 0;
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
	CHECK_ERR(obol_frame_need(buf, 4, &need), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(obol_frame_decode(buf, sizeof(buf), &type, &body, &body_len), OBOL_E_WIRE_OVERSIZED);
	buf[0] = 0xff;
	CHECK_ERR(obol_frame_need(buf, 4, &need), OBOL_E_WIRE_OVERSIZED);
	buf[0] = 0x00;
	buf[1] = 0x01;
	buf[2] = 0x00;
	buf[3] = 0x00; /* exactly the limit: wants 65540 bytes */
	CHECK_OK(obol_frame_need(buf, 4, &need));
	CHECK_EQ_INT(need, OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX);
}

TEST(wire_frame, refuses_bad_shapes)
{
	uint8_t buf[64];
	uint32_t type;
	const uint8_t *body;
	size_t body_len, n;
	CHECK_ERR(decode_hex(""), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(decode_hex("83 05 02"), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(decode_hex("83 05 02 a1 01"), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(decode_hex("83 05 02 a0 00"), OBOL_E_WIRE_TRAILING_DATA);
	CHECK_ERR(decode_hex("83 05 02 a1 01 82 a1 02 43 010203 9f ff"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(decode_hex("83 05 02 80"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(decode_hex("83 05 02 bf ff"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(decode_hex("9f 05 02 a0 ff"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(decode_hex("a0"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(decode_hex("83 41 05 02 a0"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(decode_hex("83 05 61 31 a0"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(decode_hex("84 05 02 a0 00"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(decode_hex("83 1b 0000000100000000 02 a0"), OBOL_E_WIRE_UNKNOWN_TYPE);
	CHECK_ERR(decode_hex("83 05 02 a1 01 c1 00"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(decode_hex("83 05 02 a1 01 5f 41 00 ff"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(decode_hex("83 05 02 a1 01 61 ff"), OBOL_E_WIRE_MALFORMED);
	/* Bytes after the announced length. */
	n = frame_of("83 05 02 a0", buf, sizeof(buf));
	buf[n] = 0;
	CHECK_ERR(obol_frame_decode(buf, n + 1, &type, &body, &body_len), OBOL_E_WIRE_TRAILING_DATA);
}

TEST(wire_frame, refuses_deep_nesting)
{
	/* The body map is level 1; arrays nest one level each. */
	char hex[256] = "83 05 02 a1 01";
	for (int k = 1; k < OBOL_WIRE_DEPTH_MAX; k++)
		strcat(hex, " 81");
	strcat(hex, " 00");
	CHECK_OK(decode_hex(hex));
	strcpy(hex, "83 05 02 a1 01");
	for (int k = 1; k <= OBOL_WIRE_DEPTH_MAX; k++)
		strcat(hex, " 81");
	strcat(hex, " 00");
	CHECK_ERR(decode_hex(hex), OBOL_E_WIRE_OVERSIZED);
}

/* An ARRAY field nests two levels, its array and its element maps, as the
 * frame counts containers on the wire (fields.h, OBOL_WIRE_DEPTH_MAX). */
struct deep {
	uint64_t v[2];
	size_t n;
	struct obol_field elem[1];
	struct obol_field_array arr;
	struct obol_field lv[OBOL_WIRE_DEPTH_MAX];
	struct obol_fields ls[OBOL_WIRE_DEPTH_MAX];
};

static obol_err deep_elem(void *ctx, size_t i, struct obol_fields *out)
{
	struct deep *d = ctx;
	d->elem[0] = (struct obol_field)OBOL_F_UINT("v", 1, &d->v[i], 0);
	*out = (struct obol_fields){ d->elem, 1 };
	return OBOL_OK;
}

/* The array field inside `maps` nested maps; returns the top-level spec. */
static const struct obol_fields *deep_spec(struct deep *d, size_t maps)
{
	d->arr = (struct obol_field_array){ deep_elem, d, &d->n, 2 };
	d->lv[0] = (struct obol_field)OBOL_F_ARRAY("a", 1, &d->arr);
	d->ls[0] = (struct obol_fields){ &d->lv[0], 1 };
	for (size_t k = 1; k <= maps; k++) {
		d->lv[k] = (struct obol_field)OBOL_F_MAP("m", 1, &d->ls[k - 1]);
		d->ls[k] = (struct obol_fields){ &d->lv[k], 1 };
	}
	return &d->ls[maps];
}

TEST(wire_frame, array_nests_two_levels)
{
	/* Top map (1), maps (2..DEPTH_MAX-2) holding the array field, the array
	 * (DEPTH_MAX-1), its element maps (DEPTH_MAX). */
	const size_t maps = OBOL_WIRE_DEPTH_MAX - 3;
	static struct deep in, out;
	uint8_t buf[256], deeper[256];
	size_t len = 0, body_len = 0;
	uint32_t type = 0;
	const uint8_t *body = NULL;
	in.v[0] = 7;
	in.v[1] = 9;
	in.n = 2;
	CHECK_OK(obol_fields_check(deep_spec(&in, maps)));
	REQUIRE_OK(obol_frame_encode(5, deep_spec(&in, maps), buf, sizeof(buf), &len));
	REQUIRE_OK(obol_frame_decode(buf, len, &type, &body, &body_len));
	REQUIRE_OK(obol_cbor_decode(body, body_len, deep_spec(&out, maps)));
	CHECK_EQ_INT(out.n, 2);
	CHECK_EQ_INT(out.v[0], 7);
	CHECK_EQ_INT(out.v[1], 9);
	/* One map more: the spec is refused, and so is the same body wrapped in
	 * one more map ({1: body}) on the wire. */
	CHECK_ERR(obol_fields_check(deep_spec(&in, maps + 1)), OBOL_E_INTERNAL);
	CHECK_ERR(obol_frame_encode(5, deep_spec(&in, maps + 1), deeper, sizeof(deeper), &len),
		  OBOL_E_INTERNAL);
	const uint8_t head[] = { 0x83, 0x05, OBOL_PROTOCOL_VERSION, 0xa1, 0x01 };
	size_t n = sizeof(head);
	memcpy(deeper + OBOL_FRAME_HEADER_LEN, head, n);
	memcpy(deeper + OBOL_FRAME_HEADER_LEN + n, body, body_len);
	n += body_len;
	deeper[0] = deeper[1] = deeper[2] = 0;
	deeper[3] = (uint8_t)n;
	CHECK_ERR(obol_frame_decode(deeper, OBOL_FRAME_HEADER_LEN + n, &type, &body, &body_len),
		  OBOL_E_WIRE_OVERSIZED);
}

TEST(wire_frame, encode_limits)
{
	static uint8_t big[OBOL_FRAME_MAX + 16], out[OBOL_FRAME_MAX + 64];
	size_t big_len = OBOL_FRAME_MAX, len = 0, need = 0;
	struct obol_field f[] = { OBOL_F_BYTES("big", 1, big, 0, sizeof(big), &big_len) };
	struct obol_fields spec = OBOL_FIELDS(f);
	uint32_t type;
	const uint8_t *body;
	size_t body_len;
	CHECK_ERR(obol_frame_encode(1, &spec, out, sizeof(out), &len), OBOL_E_WIRE_OVERSIZED);
	/* The largest body that fits: 3 (array, type, version) + 1 (map) + 1
	 * (key) + 3 (byte string header) bytes around it. */
	big_len = OBOL_FRAME_MAX - 8;
	REQUIRE_OK(obol_frame_encode(1, &spec, out, sizeof(out), &len));
	CHECK_EQ_INT(len, OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX);
	CHECK_OK(obol_frame_need(out, len, &need));
	CHECK_EQ_INT(need, len);
	CHECK_OK(obol_frame_decode(out, len, &type, &body, &body_len));
	CHECK_OK(obol_cbor_decode(body, body_len, &spec));
	big_len = OBOL_FRAME_MAX - 7;
	CHECK_ERR(obol_frame_encode(1, &spec, out, sizeof(out), &len), OBOL_E_WIRE_OVERSIZED);
	big_len = 3;
	CHECK_ERR(obol_frame_encode(1, &spec, out, 3, &len), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(obol_frame_encode(1, &spec, out, 8, &len), OBOL_E_WIRE_OVERSIZED);
}
