/* CBOR (RFC 8949) decoding and encoding of field specs (wire/fields.h).
 *
 * Decoding walks the input with the bounded reader of cbor_item.h, driven by
 * the spec: nothing is allocated, each value is checked and copied into the
 * caller's storage as it is met, and the input can nest only as the spec
 * does. Encoding writes definite lengths, shortest integer forms (RFC 8949
 * §4.2.1) and keys in spec order, through libcbor's encoders. */
#include "wire/cbor.h"

#include <cbor.h>
#include <string.h>

#include "wire/cbor_item.h"

/* ---- decoding ----------------------------------------------------------- */

static obol_err decode_map(struct obol_cbor_reader *r, const struct obol_fields *spec, unsigned depth);

/* Reads the header of an array (for arrays and lists) and checks its count. */
static obol_err read_array(struct obol_cbor_reader *r, size_t max, size_t *n)
{
	struct obol_cbor_item it;
	obol_err e = obol_cbor_next(r, &it);
	if (e != OBOL_OK)
		return e;
	if (it.type == OBOL_CI_INDEF)
		return OBOL_E_WIRE_MALFORMED;
	if (it.type != OBOL_CI_ARRAY)
		return OBOL_E_WIRE_WRONG_TYPE;
	if (it.u > max)
		return OBOL_E_WIRE_OVERSIZED;
	*n = (size_t)it.u;
	return OBOL_OK;
}

/* Reads one item that must be of type `want` (a scalar or string). */
static obol_err read_typed(struct obol_cbor_reader *r, enum obol_cbor_item_type want, struct obol_cbor_item *it)
{
	obol_err e = obol_cbor_next(r, it);
	if (e != OBOL_OK)
		return e;
	if (it->type == OBOL_CI_INDEF)
		return OBOL_E_WIRE_MALFORMED;
	return it->type == want ? OBOL_OK : OBOL_E_WIRE_WRONG_TYPE;
}

static obol_err read_uint(struct obol_cbor_reader *r, uint64_t max, uint64_t *out)
{
	struct obol_cbor_item it;
	obol_err e = read_typed(r, OBOL_CI_UINT, &it);
	if (e != OBOL_OK)
		return e;
	if (max != 0 && it.u > max)
		return OBOL_E_WIRE_OVERSIZED;
	*out = it.u;
	return OBOL_OK;
}

static obol_err read_int(struct obol_cbor_reader *r, int64_t *out)
{
	struct obol_cbor_item it;
	obol_err e = obol_cbor_next(r, &it);
	if (e != OBOL_OK)
		return e;
	if (it.type != OBOL_CI_UINT && it.type != OBOL_CI_NEGINT)
		return it.type == OBOL_CI_INDEF ? OBOL_E_WIRE_MALFORMED : OBOL_E_WIRE_WRONG_TYPE;
	if (it.u > INT64_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	*out = it.type == OBOL_CI_UINT ? (int64_t)it.u : -1 - (int64_t)it.u;
	return OBOL_OK;
}

/* A byte string of min..max bytes (exact: exactly max) into out. */
static obol_err read_bytes(struct obol_cbor_reader *r, uint8_t *out, uint64_t min, uint64_t max, bool exact,
			   size_t *len)
{
	struct obol_cbor_item it;
	obol_err e = read_typed(r, OBOL_CI_BYTES, &it);
	if (e != OBOL_OK)
		return e;
	if (exact && it.len != max)
		return OBOL_E_WIRE_BAD_LENGTH;
	if (it.len > max)
		return OBOL_E_WIRE_OVERSIZED;
	if (it.len < min)
		return OBOL_E_WIRE_BAD_LENGTH;
	memcpy(out, it.data, it.len);
	if (len != NULL)
		*len = it.len;
	return OBOL_OK;
}

/* UTF-8 text of min..max bytes, without NUL, into out[max + 1]. */
static obol_err read_text(struct obol_cbor_reader *r, char *out, uint64_t min, uint64_t max)
{
	struct obol_cbor_item it;
	obol_err e = read_typed(r, OBOL_CI_TEXT, &it);
	if (e != OBOL_OK)
		return e;
	if (it.len > max)
		return OBOL_E_WIRE_OVERSIZED;
	if (it.len < min)
		return OBOL_E_WIRE_BAD_LENGTH;
	if (!obol_utf8_valid_nonul(it.data, it.len))
		return OBOL_E_WIRE_MALFORMED;
	memcpy(out, it.data, it.len);
	out[it.len] = '\0';
	return OBOL_OK;
}

static obol_err read_amount(struct obol_cbor_reader *r, struct obol_amount *out)
{
	char text[OBOL_AMOUNT_STR_MAX];
	obol_err e = read_text(r, text, 1, sizeof(text) - 1);
	if (e != OBOL_OK)
		return e;
	return obol_amount_parse(text, out);
}

static obol_err decode_list(struct obol_cbor_reader *r, const struct obol_field *f)
{
	size_t n = 0;
	obol_err e = read_array(r, f->max_count, &n);
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		switch (f->kind) {
		case OBOL_FIELD_FIXED_LIST:
			e = read_bytes(r, (uint8_t *)f->value + i * f->max, f->max, f->max, true, NULL);
			break;
		case OBOL_FIELD_BYTES_LIST:
			e = read_bytes(r, (uint8_t *)f->value + i * f->max, f->min, f->max, false, &f->len[i]);
			break;
		default:
			e = read_uint(r, f->max, (uint64_t *)f->value + i);
			break;
		}
	}
	if (e == OBOL_OK)
		*f->count = n;
	return e;
}

static obol_err decode_array(struct obol_cbor_reader *r, const struct obol_field_array *a, unsigned depth)
{
	size_t n = 0;
	struct obol_fields elem;
	obol_err e = read_array(r, a->max, &n);
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		e = a->element(a->ctx, i, &elem);
		if (e == OBOL_OK)
			e = decode_map(r, &elem, depth + 1);
	}
	if (e == OBOL_OK)
		*a->count = n;
	return e;
}

static obol_err decode_value(struct obol_cbor_reader *r, const struct obol_field *f, unsigned depth)
{
	switch (f->kind) {
	case OBOL_FIELD_UINT:
		return read_uint(r, f->max, f->value);
	case OBOL_FIELD_INT:
		return read_int(r, f->value);
	case OBOL_FIELD_BOOL: {
		struct obol_cbor_item it;
		obol_err e = read_typed(r, OBOL_CI_BOOL, &it);
		if (e == OBOL_OK)
			*(bool *)f->value = it.b;
		return e;
	}
	case OBOL_FIELD_BYTES:
		return read_bytes(r, f->value, f->min, f->max, false, f->len);
	case OBOL_FIELD_FIXED:
		return read_bytes(r, f->value, f->max, f->max, true, NULL);
	case OBOL_FIELD_TEXT:
		return read_text(r, f->value, f->min, f->max);
	case OBOL_FIELD_AMOUNT:
		return read_amount(r, f->value);
	case OBOL_FIELD_MAP:
		return decode_map(r, f->sub, depth + 1);
	case OBOL_FIELD_ARRAY:
		return decode_array(r, f->array, depth + 1);
	case OBOL_FIELD_FIXED_LIST:
	case OBOL_FIELD_BYTES_LIST:
	case OBOL_FIELD_UINT_LIST:
		return decode_list(r, f);
	}
	return OBOL_E_INTERNAL;
}

static obol_err decode_map(struct obol_cbor_reader *r, const struct obol_fields *spec, unsigned depth)
{
	struct obol_cbor_item it;
	uint64_t seen = 0;
	obol_err e;
	if (depth > OBOL_WIRE_DEPTH_MAX || spec->n > OBOL_FIELDS_MAX)
		return OBOL_E_INTERNAL;
	e = obol_cbor_next(r, &it);
	if (e != OBOL_OK)
		return e;
	if (it.type != OBOL_CI_MAP)
		return it.type == OBOL_CI_INDEF ? OBOL_E_WIRE_MALFORMED : OBOL_E_WIRE_WRONG_TYPE;
	/* At most spec->n + 1 rounds: the round after every field was seen
	 * meets a duplicate or an unknown key. */
	for (uint64_t i = 0; i < it.u; i++) {
		struct obol_cbor_item key;
		size_t j;
		obol_wire_set_error_field(NULL);
		e = obol_cbor_next(r, &key);
		if (e != OBOL_OK)
			return e;
		if (key.type == OBOL_CI_INDEF)
			return OBOL_E_WIRE_MALFORMED;
		if (key.type != OBOL_CI_UINT)
			return OBOL_E_WIRE_UNKNOWN_FIELD;
		for (j = 0; j < spec->n && spec->f[j].key != key.u; j++)
			;
		if (j == spec->n)
			return OBOL_E_WIRE_UNKNOWN_FIELD;
		obol_wire_set_error_field(spec->f[j].name);
		if (seen & (UINT64_C(1) << j))
			return OBOL_E_WIRE_DUPLICATE_FIELD;
		seen |= UINT64_C(1) << j;
		e = decode_value(r, &spec->f[j], depth);
		if (e != OBOL_OK)
			return e;
	}
	for (size_t j = 0; j < spec->n; j++) {
		const struct obol_field *f = &spec->f[j];
		bool here = (seen & (UINT64_C(1) << j)) != 0;
		if (!here && !f->optional) {
			obol_wire_set_error_field(f->name);
			return OBOL_E_WIRE_MISSING_FIELD;
		}
		if (f->present != NULL)
			*f->present = here;
	}
	obol_wire_set_error_field(NULL);
	return OBOL_OK;
}

obol_err obol_cbor_decode(const uint8_t *buf, size_t len, const struct obol_fields *spec)
{
	struct obol_cbor_reader r = { buf, len, 0 };
	obol_err e;
	obol_wire_set_error_field(NULL);
	if (len > OBOL_FRAME_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	e = decode_map(&r, spec, 1);
	if (e != OBOL_OK)
		return e;
	return r.pos == len ? OBOL_OK : OBOL_E_WIRE_TRAILING_DATA;
}

/* ---- encoding ----------------------------------------------------------- */

/* A sticky-failure writer: once err is set, nothing more is written. */
struct writer {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	obol_err err;
};

/* Records the size libcbor wrote (0 when it did not fit). */
static void advance(struct writer *w, size_t n)
{
	if (n == 0 && w->err == OBOL_OK)
		w->err = OBOL_E_WIRE_OVERSIZED;
	w->pos += n;
}

#define W_ROOM(w) ((w)->buf + (w)->pos), ((w)->cap - (w)->pos)

static void put_uint(struct writer *w, uint64_t v)
{
	if (w->err == OBOL_OK)
		advance(w, cbor_encode_uint(v, W_ROOM(w)));
}

static void put_raw(struct writer *w, const void *data, size_t n)
{
	if (w->err != OBOL_OK)
		return;
	if (n > w->cap - w->pos) {
		w->err = OBOL_E_WIRE_OVERSIZED;
		return;
	}
	if (n > 0)
		memcpy(w->buf + w->pos, data, n);
	w->pos += n;
}

static void put_bytes(struct writer *w, const uint8_t *data, size_t n)
{
	if (w->err != OBOL_OK)
		return;
	advance(w, cbor_encode_bytestring_start(n, W_ROOM(w)));
	put_raw(w, data, n);
}

static void put_text(struct writer *w, const char *text, size_t n)
{
	if (w->err != OBOL_OK)
		return;
	advance(w, cbor_encode_string_start(n, W_ROOM(w)));
	put_raw(w, text, n);
}

static void put_array(struct writer *w, size_t n)
{
	if (w->err == OBOL_OK)
		advance(w, cbor_encode_array_start(n, W_ROOM(w)));
}

static void fail(struct writer *w, obol_err e)
{
	if (w->err == OBOL_OK)
		w->err = e;
}

/* Checks a byte string's length against its bounds as decoding would. */
static obol_err check_len(size_t len, uint64_t min, uint64_t max, bool exact)
{
	if (exact)
		return len == max ? OBOL_OK : OBOL_E_WIRE_BAD_LENGTH;
	if (len > max)
		return OBOL_E_WIRE_OVERSIZED;
	return len < min ? OBOL_E_WIRE_BAD_LENGTH : OBOL_OK;
}

static void encode_map(struct writer *w, const struct obol_fields *spec, unsigned depth);

static void encode_text(struct writer *w, const char *text, uint64_t min, uint64_t max)
{
	size_t n = strnlen(text, max + 1);
	obol_err e = check_len(n, min, max, false);
	if (e == OBOL_OK && !obol_utf8_valid_nonul((const uint8_t *)text, n))
		e = OBOL_E_WIRE_MALFORMED;
	if (e != OBOL_OK)
		fail(w, e);
	put_text(w, text, n);
}

static void encode_amount(struct writer *w, const struct obol_amount *a)
{
	char text[OBOL_AMOUNT_STR_MAX];
	if (!obol_currency_valid(a->currency)) {
		fail(w, OBOL_E_AMOUNT_SYNTAX);
		return;
	}
	if (obol_amount_is_negative(a)) {
		fail(w, OBOL_E_AMOUNT_NEGATIVE);
		return;
	}
	obol_amount_format(a, text);
	put_text(w, text, strlen(text));
}

static void encode_list(struct writer *w, const struct obol_field *f)
{
	size_t n = *f->count;
	if (n > f->max_count) {
		fail(w, OBOL_E_WIRE_OVERSIZED);
		return;
	}
	put_array(w, n);
	for (size_t i = 0; i < n && w->err == OBOL_OK; i++) {
		const uint8_t *elem = (const uint8_t *)f->value + i * f->max;
		if (f->kind == OBOL_FIELD_UINT_LIST) {
			uint64_t v = ((const uint64_t *)f->value)[i];
			if (f->max != 0 && v > f->max)
				fail(w, OBOL_E_WIRE_OVERSIZED);
			put_uint(w, v);
		} else {
			size_t len = f->kind == OBOL_FIELD_FIXED_LIST ? f->max : f->len[i];
			obol_err e = check_len(len, f->min, f->max, f->kind == OBOL_FIELD_FIXED_LIST);
			if (e != OBOL_OK)
				fail(w, e);
			put_bytes(w, elem, len);
		}
	}
}

static void encode_array(struct writer *w, const struct obol_field_array *a, unsigned depth)
{
	size_t n = *a->count;
	struct obol_fields elem;
	if (n > a->max) {
		fail(w, OBOL_E_WIRE_OVERSIZED);
		return;
	}
	put_array(w, n);
	for (size_t i = 0; i < n && w->err == OBOL_OK; i++) {
		obol_err e = a->element(a->ctx, i, &elem);
		if (e != OBOL_OK)
			fail(w, e);
		else
			encode_map(w, &elem, depth + 1);
	}
}

static void encode_value(struct writer *w, const struct obol_field *f, unsigned depth)
{
	switch (f->kind) {
	case OBOL_FIELD_UINT: {
		uint64_t v = *(const uint64_t *)f->value;
		if (f->max != 0 && v > f->max)
			fail(w, OBOL_E_WIRE_OVERSIZED);
		put_uint(w, v);
		return;
	}
	case OBOL_FIELD_INT: {
		int64_t v = *(const int64_t *)f->value;
		if (w->err == OBOL_OK)
			advance(w, v >= 0 ? cbor_encode_uint((uint64_t)v, W_ROOM(w))
					  : cbor_encode_negint((uint64_t)(-1 - v), W_ROOM(w)));
		return;
	}
	case OBOL_FIELD_BOOL:
		if (w->err == OBOL_OK)
			advance(w, cbor_encode_bool(*(const bool *)f->value, W_ROOM(w)));
		return;
	case OBOL_FIELD_BYTES: {
		obol_err e = check_len(*f->len, f->min, f->max, false);
		if (e != OBOL_OK)
			fail(w, e);
		put_bytes(w, f->value, *f->len);
		return;
	}
	case OBOL_FIELD_FIXED:
		put_bytes(w, f->value, f->max);
		return;
	case OBOL_FIELD_TEXT:
		encode_text(w, f->value, f->min, f->max);
		return;
	case OBOL_FIELD_AMOUNT:
		encode_amount(w, f->value);
		return;
	case OBOL_FIELD_MAP:
		encode_map(w, f->sub, depth + 1);
		return;
	case OBOL_FIELD_ARRAY:
		encode_array(w, f->array, depth + 1);
		return;
	case OBOL_FIELD_FIXED_LIST:
	case OBOL_FIELD_BYTES_LIST:
	case OBOL_FIELD_UINT_LIST:
		encode_list(w, f);
		return;
	}
	fail(w, OBOL_E_INTERNAL);
}

static bool field_present(const struct obol_field *f)
{
	return !f->optional || f->present == NULL || *f->present;
}

static void encode_map(struct writer *w, const struct obol_fields *spec, unsigned depth)
{
	size_t n = 0;
	if (depth > OBOL_WIRE_DEPTH_MAX || spec->n > OBOL_FIELDS_MAX) {
		fail(w, OBOL_E_INTERNAL);
		return;
	}
	for (size_t j = 0; j < spec->n; j++)
		n += field_present(&spec->f[j]);
	if (w->err == OBOL_OK)
		advance(w, cbor_encode_map_start(n, W_ROOM(w)));
	for (size_t j = 0; j < spec->n && w->err == OBOL_OK; j++) {
		const struct obol_field *f = &spec->f[j];
		if (!field_present(f))
			continue;
		put_uint(w, f->key);
		encode_value(w, f, depth);
		if (w->err != OBOL_OK && obol_wire_error_field() == NULL)
			obol_wire_set_error_field(f->name);
	}
}

obol_err obol_cbor_encode(const struct obol_fields *spec, uint8_t *buf, size_t cap, size_t *len)
{
	struct writer w = { buf, cap, 0, OBOL_OK };
	obol_wire_set_error_field(NULL);
	encode_map(&w, spec, 1);
	if (w.err != OBOL_OK)
		return w.err;
	*len = w.pos;
	return OBOL_OK;
}
