/* Field specs: the self-check of a spec and the per-thread error field. */
#include "wire/fields.h"

#include <string.h>

static _Thread_local const char *error_field;

const char *obol_wire_error_field(void)
{
	return error_field;
}

void obol_wire_set_error_field(const char *name)
{
	error_field = name;
}

static obol_err check_level(const struct obol_fields *spec, unsigned depth);

static bool length_bounds_ok(const struct obol_field *f)
{
	return f->value != NULL && f->min <= f->max && f->max <= SIZE_MAX / 2;
}

static bool list_ok(const struct obol_field *f, unsigned depth)
{
	return f->value != NULL && f->count != NULL && f->max_count > 0 && f->max <= SIZE_MAX / 2 &&
	       depth + 1 <= OBOL_WIRE_DEPTH_MAX;
}

static obol_err check_field(const struct obol_field *f, unsigned depth)
{
	bool ok = false;
	if (f->name == NULL || f->name[0] == '\0' || (f->present != NULL && !f->optional))
		return OBOL_E_INTERNAL;
	switch (f->kind) {
	case OBOL_FIELD_UINT:
	case OBOL_FIELD_INT:
	case OBOL_FIELD_BOOL:
	case OBOL_FIELD_AMOUNT:
		ok = f->value != NULL;
		break;
	case OBOL_FIELD_BYTES:
		ok = f->len != NULL && length_bounds_ok(f);
		break;
	case OBOL_FIELD_TEXT:
		ok = length_bounds_ok(f);
		break;
	case OBOL_FIELD_FIXED:
		ok = f->value != NULL && f->max > 0 && f->max <= SIZE_MAX / 2;
		break;
	case OBOL_FIELD_MAP:
		return f->sub != NULL ? check_level(f->sub, depth + 1) : OBOL_E_INTERNAL;
	case OBOL_FIELD_ARRAY:
		ok = f->array != NULL && f->array->element != NULL && f->array->count != NULL &&
		     depth + 2 <= OBOL_WIRE_DEPTH_MAX;
		break;
	case OBOL_FIELD_FIXED_LIST:
		ok = f->max > 0 && list_ok(f, depth);
		break;
	case OBOL_FIELD_BYTES_LIST:
		ok = f->len != NULL && f->min <= f->max && list_ok(f, depth);
		break;
	case OBOL_FIELD_UINT_LIST:
		ok = list_ok(f, depth);
		break;
	}
	return ok ? OBOL_OK : OBOL_E_INTERNAL;
}

static obol_err check_level(const struct obol_fields *spec, unsigned depth)
{
	if (depth > OBOL_WIRE_DEPTH_MAX || spec->n > OBOL_FIELDS_MAX || (spec->n > 0 && spec->f == NULL))
		return OBOL_E_INTERNAL;
	for (size_t i = 0; i < spec->n; i++) {
		const struct obol_field *f = &spec->f[i];
		obol_err e = check_field(f, depth);
		if (e != OBOL_OK) {
			obol_wire_set_error_field(f->name);
			return e;
		}
		for (size_t j = 0; j < i; j++) {
			if (spec->f[j].key == f->key || strcmp(spec->f[j].name, f->name) == 0) {
				obol_wire_set_error_field(f->name);
				return OBOL_E_INTERNAL;
			}
		}
	}
	return OBOL_OK;
}

obol_err obol_fields_check(const struct obol_fields *spec)
{
	obol_wire_set_error_field(NULL);
	return check_level(spec, 1);
}
