/* Stand-in for the two error-body functions of src/wire/json.h until the
 * wire branch is merged (then this file goes). */
#include <string.h>

#include "wire/json.h"

json_t *obol_json_error_body(obol_err e, const char *detail)
{
	json_t *o = json_pack("{s:i, s:s, s:s}", "code", (int)e, "name", obol_strerror(e), "hint", obol_errhint(e));
	if (o != NULL && detail != NULL && json_object_set_new(o, "detail", json_string(detail)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

obol_err obol_json_error_from_body(const char *text, size_t len)
{
	json_t *o = json_loadb(text, len, 0, NULL);
	obol_err e = OBOL_E_PEER_ERROR;
	json_t *code = json_object_get(o, "code");
	json_t *name = json_object_get(o, "name");
	if (json_is_integer(code) && json_is_string(name) && obol_err_is_known((int)json_integer_value(code)) &&
	    strcmp(obol_strerror((obol_err)json_integer_value(code)), json_string_value(name)) == 0)
		e = (obol_err)json_integer_value(code);
	json_decref(o);
	return e;
}
