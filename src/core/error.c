/* The error table: names, hints and HTTP statuses of every obol_err. */
#include "core/error.h"

#include <stddef.h>
#include <string.h>

struct err_info {
	int code;
	unsigned http;
	const char *name;
	const char *hint;
};

static const struct err_info err_table[] = {
	{ 0, 200, "OK", "success" },
#define OBOL_ERR(name, code, http, hint) { code, http, #name, hint },
#include "core/errors/all.def"
#undef OBOL_ERR
};

static const struct err_info *err_lookup(int code)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return &err_table[i];
	return NULL;
}

const char *obol_strerror(obol_err e)
{
	const struct err_info *i = err_lookup((int)e);
	return i ? i->name : "UNKNOWN_ERROR";
}

const char *obol_errhint(obol_err e)
{
	const struct err_info *i = err_lookup((int)e);
	return i ? i->hint : "an error code that this build does not know";
}

unsigned obol_errhttp(obol_err e)
{
	const struct err_info *i = err_lookup((int)e);
	return i ? i->http : 500;
}

obol_err obol_err_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (strcmp(err_table[i].name, name) == 0)
			return (obol_err)err_table[i].code;
	return OBOL_E_UNKNOWN_ERROR;
}

int obol_err_is_known(int code)
{
	return err_lookup(code) != NULL;
}
