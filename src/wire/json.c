/* JSON (RFC 8259, through jansson) decoding and encoding of field specs for
 * the issuer API, and its error body. The rules are those of wire/fields.h,
 * with the same named errors as the CBOR codec; only the carriers differ:
 * keys are the fields' names, binary is base64url without padding (RFC 4648
 * §5), integers are JSON integers (jansson's int64 range, so a UINT is at
 * most 2^63-1 here), amounts are "CUR:V.F" text. */
#include "wire/json.h"

#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"

/* Every block jansson frees is wiped first: request bodies carry passwords
 * (payword's register, buy and download) and the wallet's file is JSON. Set
 * before main so no jansson block predates it; blocks still come from
 * malloc, so json_dumps' text is freed with free() as before (and is the
 * caller's to wipe when it holds a secret). */
__attribute__((constructor)) static void json_wipe_on_free(void)
{
	json_set_alloc_funcs(malloc, obol_free_wiped);
}

static obol_err decode_object(const json_t *obj, const struct obol_fields *spec, unsigned depth);

/* ---- decoding ----------------------------------------------------------- */

/* The string of v with its length; WRONG_TYPE when v is not a string,
 * MALFORMED when it holds a NUL (only possible in objects built in memory). */
static obol_err get_string(const json_t *v, const char **s, size_t *len)
{
	if (!json_is_string(v))
		return OBOL_E_WIRE_WRONG_TYPE;
	*s = json_string_value(v);
	*len = json_string_length(v);
	return strlen(*s) == *len ? OBOL_OK : OBOL_E_WIRE_MALFORMED;
}

static obol_err get_uint(const json_t *v, uint64_t max, uint64_t *out)
{
	json_int_t i;
	if (!json_is_integer(v))
		return OBOL_E_WIRE_WRONG_TYPE;
	i = json_integer_value(v);
	if (i < 0)
		return OBOL_E_WIRE_WRONG_TYPE;
	if (max != 0 && (uint64_t)i > max)
		return OBOL_E_WIRE_OVERSIZED;
	*out = (uint64_t)i;
	return OBOL_OK;
}

/* Base64url text decoding to min..max bytes (exact: exactly max). The length
 * is judged from the text's length first, so an oversized value is named as
 * such before its characters are. */
static obol_err get_bytes(const json_t *v, uint8_t *out, uint64_t min, uint64_t max, bool exact, size_t *len)
{
	const char *s;
	size_t n, dec, got = 0;
	obol_err e = get_string(v, &s, &n);
	if (e != OBOL_OK)
		return e;
	if (n % 4 == 1)
		return OBOL_E_PARSE_ENCODING;
	dec = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	if (exact && dec != max)
		return OBOL_E_WIRE_BAD_LENGTH;
	if (dec > max)
		return OBOL_E_WIRE_OVERSIZED;
	if (dec < min)
		return OBOL_E_WIRE_BAD_LENGTH;
	e = obol_b64_decode(s, out, dec, &got, 1);
	if (e != OBOL_OK)
		return e;
	if (len != NULL)
		*len = got;
	return OBOL_OK;
}

static obol_err get_text(const json_t *v, char *out, uint64_t min, uint64_t max)
{
	const char *s;
	size_t n;
	obol_err e = get_string(v, &s, &n);
	if (e != OBOL_OK)
		return e;
	if (n > max)
		return OBOL_E_WIRE_OVERSIZED;
	if (n < min)
		return OBOL_E_WIRE_BAD_LENGTH;
	memcpy(out, s, n + 1);
	return OBOL_OK;
}

static obol_err get_list(const json_t *v, const struct obol_field *f)
{
	size_t n;
	obol_err e = OBOL_OK;
	if (!json_is_array(v))
		return OBOL_E_WIRE_WRONG_TYPE;
	n = json_array_size(v);
	if (n > f->max_count)
		return OBOL_E_WIRE_OVERSIZED;
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		const json_t *el = json_array_get(v, i);
		switch (f->kind) {
		case OBOL_FIELD_FIXED_LIST:
			e = get_bytes(el, (uint8_t *)f->value + i * f->max, f->max, f->max, true, NULL);
			break;
		case OBOL_FIELD_BYTES_LIST:
			e = get_bytes(el, (uint8_t *)f->value + i * f->max, f->min, f->max, false, &f->len[i]);
			break;
		default:
			e = get_uint(el, f->max, (uint64_t *)f->value + i);
			break;
		}
	}
	if (e == OBOL_OK)
		*f->count = n;
	return e;
}

static obol_err get_array(const json_t *v, const struct obol_field_array *a, unsigned depth)
{
	size_t n;
	struct obol_fields elem;
	obol_err e = OBOL_OK;
	if (!json_is_array(v))
		return OBOL_E_WIRE_WRONG_TYPE;
	n = json_array_size(v);
	if (n > a->max)
		return OBOL_E_WIRE_OVERSIZED;
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		e = a->element(a->ctx, i, &elem);
		if (e == OBOL_OK)
			e = decode_object(json_array_get(v, i), &elem, depth + 1);
	}
	if (e == OBOL_OK)
		*a->count = n;
	return e;
}

static obol_err decode_value(const json_t *v, const struct obol_field *f, unsigned depth)
{
	char text[OBOL_AMOUNT_STR_MAX];
	obol_err e;
	switch (f->kind) {
	case OBOL_FIELD_UINT:
		return get_uint(v, f->max, f->value);
	case OBOL_FIELD_INT:
		if (!json_is_integer(v))
			return OBOL_E_WIRE_WRONG_TYPE;
		*(int64_t *)f->value = json_integer_value(v);
		return OBOL_OK;
	case OBOL_FIELD_BOOL:
		if (!json_is_boolean(v))
			return OBOL_E_WIRE_WRONG_TYPE;
		*(bool *)f->value = json_is_true(v);
		return OBOL_OK;
	case OBOL_FIELD_BYTES:
		return get_bytes(v, f->value, f->min, f->max, false, f->len);
	case OBOL_FIELD_FIXED:
		return get_bytes(v, f->value, f->max, f->max, true, NULL);
	case OBOL_FIELD_TEXT:
		return get_text(v, f->value, f->min, f->max);
	case OBOL_FIELD_AMOUNT:
		e = get_text(v, text, 1, sizeof(text) - 1);
		return e == OBOL_OK ? obol_amount_parse(text, f->value) : e;
	case OBOL_FIELD_MAP:
		return decode_object(v, f->sub, depth + 1);
	case OBOL_FIELD_ARRAY:
		return get_array(v, f->array, depth + 1);
	case OBOL_FIELD_FIXED_LIST:
	case OBOL_FIELD_BYTES_LIST:
	case OBOL_FIELD_UINT_LIST:
		return get_list(v, f);
	}
	return OBOL_E_INTERNAL;
}

static obol_err decode_object(const json_t *obj, const struct obol_fields *spec, unsigned depth)
{
	const char *key;
	json_t *v;
	obol_err e;
	if (depth > OBOL_WIRE_DEPTH_MAX || spec->n > OBOL_FIELDS_MAX)
		return OBOL_E_INTERNAL;
	if (!json_is_object(obj))
		return OBOL_E_WIRE_WRONG_TYPE;
	/* jansson has no const iteration; nothing is modified. */
	json_object_foreach ((json_t *)obj, key, v) {
		size_t j;
		for (j = 0; j < spec->n && strcmp(spec->f[j].name, key) != 0; j++)
			;
		if (j == spec->n) {
			obol_wire_set_error_field(NULL);
			return OBOL_E_WIRE_UNKNOWN_FIELD;
		}
	}
	for (size_t j = 0; j < spec->n; j++) {
		const struct obol_field *f = &spec->f[j];
		v = json_object_get(obj, f->name);
		obol_wire_set_error_field(f->name);
		if (f->present != NULL)
			*f->present = v != NULL;
		if (v == NULL) {
			if (!f->optional)
				return OBOL_E_WIRE_MISSING_FIELD;
			continue;
		}
		e = decode_value(v, f, depth);
		if (e != OBOL_OK)
			return e;
	}
	obol_wire_set_error_field(NULL);
	return OBOL_OK;
}

obol_err obol_json_decode(const json_t *obj, const struct obol_fields *spec)
{
	obol_wire_set_error_field(NULL);
	return decode_object(obj, spec, 1);
}

/* Parses text under obol's rules into a new value (*out, json_decref); *out
 * stays NULL on failure. */
static obol_err parse(const char *text, size_t len, json_t **out)
{
	json_error_t err;
	*out = NULL;
	if (len > OBOL_JSON_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	/* jansson would take a NUL byte for the end of the input; JSON text
	 * never holds one (RFC 8259 §7). */
	if (memchr(text, '\0', len) != NULL)
		return OBOL_E_WIRE_MALFORMED;
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (*out != NULL)
		return OBOL_OK;
	switch (json_error_code(&err)) {
	case json_error_out_of_memory:
		return OBOL_E_NO_MEMORY;
	case json_error_premature_end_of_input:
		return OBOL_E_WIRE_TRUNCATED;
	case json_error_end_of_input_expected:
		return OBOL_E_WIRE_TRAILING_DATA;
	case json_error_duplicate_key:
		return OBOL_E_WIRE_DUPLICATE_FIELD;
	case json_error_numeric_overflow:
	case json_error_stack_overflow:
		return OBOL_E_WIRE_OVERSIZED;
	default:
		return OBOL_E_WIRE_MALFORMED;
	}
}

obol_err obol_json_decode_text(const char *text, size_t len, const struct obol_fields *spec)
{
	json_t *obj = NULL;
	obol_err e;
	obol_wire_set_error_field(NULL);
	e = parse(text, len, &obj);
	if (e == OBOL_OK)
		e = decode_object(obj, spec, 1);
	json_decref(obj);
	return e;
}

/* ---- encoding ----------------------------------------------------------- */

static obol_err encode_object(const struct obol_fields *spec, unsigned depth, json_t **out);

static obol_err check_len(size_t len, uint64_t min, uint64_t max, bool exact)
{
	if (exact)
		return len == max ? OBOL_OK : OBOL_E_WIRE_BAD_LENGTH;
	if (len > max)
		return OBOL_E_WIRE_OVERSIZED;
	return len < min ? OBOL_E_WIRE_BAD_LENGTH : OBOL_OK;
}

static obol_err new_uint(uint64_t v, uint64_t max, json_t **out)
{
	if ((max != 0 && v > max) || v > INT64_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	*out = json_integer((json_int_t)v);
	return *out != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err new_bytes(const uint8_t *data, size_t n, json_t **out)
{
	size_t cap = OBOL_B64_LEN(n);
	char *text = malloc(cap);
	obol_err e = OBOL_E_NO_MEMORY;
	if (text == NULL)
		goto out;
	e = obol_b64_encode(data, n, text, cap);
	if (e != OBOL_OK)
		goto out;
	*out = json_string(text);
	e = *out != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
out:
	free(text);
	return e;
}

static obol_err new_text(const char *text, uint64_t min, uint64_t max, json_t **out)
{
	size_t n = strnlen(text, max + 1);
	obol_err e = check_len(n, min, max, false);
	if (e != OBOL_OK)
		return e;
	/* json_stringn refuses invalid UTF-8; a NUL cannot occur before n. */
	*out = json_stringn(text, n);
	return *out != NULL ? OBOL_OK : OBOL_E_WIRE_MALFORMED;
}

static obol_err new_amount(const struct obol_amount *a, json_t **out)
{
	char text[OBOL_AMOUNT_STR_MAX];
	if (!obol_currency_valid(a->currency))
		return OBOL_E_AMOUNT_SYNTAX;
	if (obol_amount_is_negative(a))
		return OBOL_E_AMOUNT_NEGATIVE;
	obol_amount_format(a, text);
	*out = json_string(text);
	return *out != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err new_list(const struct obol_field *f, json_t **out)
{
	size_t n = *f->count;
	json_t *arr, *el = NULL;
	obol_err e = OBOL_OK;
	if (n > f->max_count)
		return OBOL_E_WIRE_OVERSIZED;
	arr = json_array();
	if (arr == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		const uint8_t *p = (const uint8_t *)f->value + i * f->max;
		if (f->kind == OBOL_FIELD_UINT_LIST) {
			e = new_uint(((const uint64_t *)f->value)[i], f->max, &el);
		} else {
			size_t len = f->kind == OBOL_FIELD_FIXED_LIST ? f->max : f->len[i];
			e = check_len(len, f->min, f->max, f->kind == OBOL_FIELD_FIXED_LIST);
			if (e == OBOL_OK)
				e = new_bytes(p, len, &el);
		}
		if (e == OBOL_OK && json_array_append_new(arr, el) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e != OBOL_OK) {
		json_decref(arr);
		return e;
	}
	*out = arr;
	return OBOL_OK;
}

static obol_err new_array(const struct obol_field_array *a, unsigned depth, json_t **out)
{
	size_t n = *a->count;
	struct obol_fields elem;
	json_t *arr, *el = NULL;
	obol_err e = OBOL_OK;
	if (n > a->max)
		return OBOL_E_WIRE_OVERSIZED;
	arr = json_array();
	if (arr == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		e = a->element(a->ctx, i, &elem);
		if (e == OBOL_OK)
			e = encode_object(&elem, depth + 1, &el);
		if (e == OBOL_OK && json_array_append_new(arr, el) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e != OBOL_OK) {
		json_decref(arr);
		return e;
	}
	*out = arr;
	return OBOL_OK;
}

static obol_err encode_value(const struct obol_field *f, unsigned depth, json_t **out)
{
	obol_err e;
	switch (f->kind) {
	case OBOL_FIELD_UINT:
		return new_uint(*(const uint64_t *)f->value, f->max, out);
	case OBOL_FIELD_INT:
		*out = json_integer(*(const int64_t *)f->value);
		return *out != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	case OBOL_FIELD_BOOL:
		*out = json_boolean(*(const bool *)f->value);
		return *out != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	case OBOL_FIELD_BYTES:
		e = check_len(*f->len, f->min, f->max, false);
		return e == OBOL_OK ? new_bytes(f->value, *f->len, out) : e;
	case OBOL_FIELD_FIXED:
		return new_bytes(f->value, f->max, out);
	case OBOL_FIELD_TEXT:
		return new_text(f->value, f->min, f->max, out);
	case OBOL_FIELD_AMOUNT:
		return new_amount(f->value, out);
	case OBOL_FIELD_MAP:
		return encode_object(f->sub, depth + 1, out);
	case OBOL_FIELD_ARRAY:
		return new_array(f->array, depth + 1, out);
	case OBOL_FIELD_FIXED_LIST:
	case OBOL_FIELD_BYTES_LIST:
	case OBOL_FIELD_UINT_LIST:
		return new_list(f, out);
	}
	return OBOL_E_INTERNAL;
}

static obol_err encode_object(const struct obol_fields *spec, unsigned depth, json_t **out)
{
	json_t *obj, *v = NULL;
	obol_err e = OBOL_OK;
	if (depth > OBOL_WIRE_DEPTH_MAX || spec->n > OBOL_FIELDS_MAX)
		return OBOL_E_INTERNAL;
	obj = json_object();
	if (obj == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t j = 0; e == OBOL_OK && j < spec->n; j++) {
		const struct obol_field *f = &spec->f[j];
		if (f->optional && f->present != NULL && !*f->present)
			continue;
		e = encode_value(f, depth, &v);
		if (e == OBOL_OK && json_object_set_new(obj, f->name, v) != 0)
			e = OBOL_E_NO_MEMORY;
		if (e != OBOL_OK && obol_wire_error_field() == NULL)
			obol_wire_set_error_field(f->name);
	}
	if (e != OBOL_OK) {
		json_decref(obj);
		return e;
	}
	*out = obj;
	return OBOL_OK;
}

obol_err obol_json_encode(const struct obol_fields *spec, json_t **out)
{
	obol_wire_set_error_field(NULL);
	return encode_object(spec, 1, out);
}

char *obol_json_dump_canonical(const json_t *obj)
{
	return json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT);
}

/* ---- error bodies ------------------------------------------------------- */

#define ERROR_NAME_MAX 64
#define ERROR_HINT_MAX 512
#define ERROR_DETAIL_MAX 1024

json_t *obol_json_error_body(obol_err e, const char *detail)
{
	json_t *body = json_pack("{s:i, s:s, s:s}", "code", (int)e, "name", obol_strerror(e), "hint",
				 obol_errhint(e));
	if (body != NULL && detail != NULL && json_object_set_new(body, "detail", json_string(detail)) != 0) {
		json_decref(body);
		return NULL;
	}
	return body;
}

obol_err obol_json_error_from_body(const char *text, size_t len)
{
	uint64_t code = 0;
	char name[ERROR_NAME_MAX + 1], hint[ERROR_HINT_MAX + 1], detail[ERROR_DETAIL_MAX + 1];
	bool has_detail = false;
	struct obol_field f[] = {
		OBOL_F_UINT("code", 1, &code, INT32_MAX),
		OBOL_F_TEXT("name", 2, name, ERROR_NAME_MAX),
		OBOL_F_TEXT("hint", 3, hint, ERROR_HINT_MAX),
		OBOL_F_TEXT("detail", 4, detail, ERROR_DETAIL_MAX, OBOL_OPT(&has_detail)),
	};
	struct obol_fields spec = OBOL_FIELDS(f);
	if (obol_json_decode_text(text, len, &spec) != OBOL_OK)
		return OBOL_E_PEER_ERROR;
	if (code == 0 || !obol_err_is_known((int)code) || strcmp(obol_strerror((obol_err)code), name) != 0)
		return OBOL_E_PEER_ERROR;
	return (obol_err)code;
}
