/* A bounded pull reader of CBOR items over libcbor's streaming decoder. */
#include "wire/cbor_item.h"

#include <cbor.h>

static struct obol_cbor_item *item_of(void *ctx)
{
	return ctx;
}

static void set_uint(void *ctx, uint64_t v)
{
	item_of(ctx)->type = OBOL_CI_UINT;
	item_of(ctx)->u = v;
}

static void on_uint8(void *ctx, uint8_t v)
{
	set_uint(ctx, v);
}

static void on_uint16(void *ctx, uint16_t v)
{
	set_uint(ctx, v);
}

static void on_uint32(void *ctx, uint32_t v)
{
	set_uint(ctx, v);
}

static void on_uint64(void *ctx, uint64_t v)
{
	set_uint(ctx, v);
}

static void set_negint(void *ctx, uint64_t v)
{
	item_of(ctx)->type = OBOL_CI_NEGINT;
	item_of(ctx)->u = v;
}

static void on_negint8(void *ctx, uint8_t v)
{
	set_negint(ctx, v);
}

static void on_negint16(void *ctx, uint16_t v)
{
	set_negint(ctx, v);
}

static void on_negint32(void *ctx, uint32_t v)
{
	set_negint(ctx, v);
}

static void on_negint64(void *ctx, uint64_t v)
{
	set_negint(ctx, v);
}

static void on_bytes(void *ctx, cbor_data data, size_t len)
{
	item_of(ctx)->type = OBOL_CI_BYTES;
	item_of(ctx)->data = data;
	item_of(ctx)->len = len;
}

static void on_text(void *ctx, cbor_data data, size_t len)
{
	item_of(ctx)->type = OBOL_CI_TEXT;
	item_of(ctx)->data = data;
	item_of(ctx)->len = len;
}

static void on_array(void *ctx, size_t n)
{
	item_of(ctx)->type = OBOL_CI_ARRAY;
	item_of(ctx)->u = n;
}

static void on_map(void *ctx, size_t n)
{
	item_of(ctx)->type = OBOL_CI_MAP;
	item_of(ctx)->u = n;
}

static void on_indef(void *ctx)
{
	item_of(ctx)->type = OBOL_CI_INDEF;
}

static void on_other(void *ctx)
{
	item_of(ctx)->type = OBOL_CI_OTHER;
}

static void on_tag(void *ctx, uint64_t v)
{
	(void)v;
	on_other(ctx);
}

static void on_float(void *ctx, float v)
{
	(void)v;
	on_other(ctx);
}

static void on_double(void *ctx, double v)
{
	(void)v;
	on_other(ctx);
}

static void on_bool(void *ctx, bool v)
{
	item_of(ctx)->type = OBOL_CI_BOOL;
	item_of(ctx)->b = v;
}

static const struct cbor_callbacks callbacks = {
	.uint8 = on_uint8,
	.uint16 = on_uint16,
	.uint32 = on_uint32,
	.uint64 = on_uint64,
	.negint8 = on_negint8,
	.negint16 = on_negint16,
	.negint32 = on_negint32,
	.negint64 = on_negint64,
	.byte_string_start = on_indef,
	.byte_string = on_bytes,
	.string = on_text,
	.string_start = on_indef,
	.indef_array_start = on_indef,
	.array_start = on_array,
	.indef_map_start = on_indef,
	.map_start = on_map,
	.tag = on_tag,
	.float2 = on_float,
	.float4 = on_float,
	.float8 = on_double,
	.undefined = on_other,
	.null = on_other,
	.boolean = on_bool,
	.indef_break = on_indef,
};

obol_err obol_cbor_next(struct obol_cbor_reader *r, struct obol_cbor_item *it)
{
	struct cbor_decoder_result res;
	size_t left = r->len - r->pos;
	*it = (struct obol_cbor_item){ .type = OBOL_CI_OTHER };
	if (left == 0)
		return OBOL_E_WIRE_TRUNCATED;
	res = cbor_stream_decode(r->buf + r->pos, left, &callbacks, it);
	if (res.status == CBOR_DECODER_NEDATA)
		return OBOL_E_WIRE_TRUNCATED;
	if (res.status != CBOR_DECODER_FINISHED || res.read == 0 || res.read > left)
		return OBOL_E_WIRE_MALFORMED;
	/* Strings must lie inside what was consumed (libcbor guarantees it;
	 * checked again because everything downstream trusts it). */
	if ((it->type == OBOL_CI_BYTES || it->type == OBOL_CI_TEXT) &&
	    (it->data < r->buf + r->pos || it->len > res.read ||
	     (size_t)(it->data - (r->buf + r->pos)) > res.read - it->len))
		return OBOL_E_INTERNAL;
	r->pos += res.read;
	return OBOL_OK;
}

obol_err obol_cbor_skip(struct obol_cbor_reader *r, const struct obol_cbor_item *it, unsigned depth_left)
{
	struct obol_cbor_item sub;
	uint64_t items;
	obol_err e;
	switch (it->type) {
	case OBOL_CI_UINT:
	case OBOL_CI_NEGINT:
	case OBOL_CI_BYTES:
	case OBOL_CI_BOOL:
		return OBOL_OK;
	case OBOL_CI_TEXT:
		return obol_utf8_valid_nonul(it->data, it->len) ? OBOL_OK : OBOL_E_WIRE_MALFORMED;
	case OBOL_CI_INDEF:
		return OBOL_E_WIRE_MALFORMED;
	case OBOL_CI_OTHER:
		return OBOL_E_WIRE_WRONG_TYPE;
	case OBOL_CI_ARRAY:
	case OBOL_CI_MAP:
		break;
	}
	if (depth_left == 0)
		return OBOL_E_WIRE_OVERSIZED;
	/* Every item takes at least one byte: a count beyond what is left is
	 * truncated, which also keeps 2 * u from overflowing. */
	if (it->u > r->len - r->pos)
		return OBOL_E_WIRE_TRUNCATED;
	items = it->type == OBOL_CI_MAP ? 2 * it->u : it->u;
	for (uint64_t i = 0; i < items; i++) {
		e = obol_cbor_next(r, &sub);
		if (e == OBOL_OK)
			e = obol_cbor_skip(r, &sub, depth_left - 1);
		if (e != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

bool obol_utf8_valid_nonul(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}
