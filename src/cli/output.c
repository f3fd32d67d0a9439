/* The command line's JSON output (output.h). */
#include <stdio.h>

#include "cli/output.h"

static bool json_mode;

bool obol_cli_json(void)
{
	return json_mode;
}

void obol_cli_set_json(bool on)
{
	json_mode = on;
}

int obol_cli_print_json(const struct obol_cmd *cmd, json_t *doc)
{
	if (doc == NULL)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "the JSON output");
	int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 && fputc('\n', stdout) != EOF &&
			 fflush(stdout) == 0
		 ? OBOL_EXIT_OK
		 : obol_cli_fail(cmd, OBOL_E_IO, "stdout");
	json_decref(doc);
	return rc;
}

json_t *obol_cli_json_amount(const struct obol_amount *a)
{
	char text[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(a, text);
	return json_string(text);
}

bool obol_cli_json_set(json_t *obj, const char *key, json_t *value)
{
	if (obj == NULL || value == NULL) {
		json_decref(value);
		return false;
	}
	return json_object_set_new(obj, key, value) == 0;
}
