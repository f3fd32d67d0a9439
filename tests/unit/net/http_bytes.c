/* Contract in http_bytes.h. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http_bytes.h"

size_t test_http_body_bytes(struct obol_http_client *c, const char *target)
{
	json_t *j = NULL;
	size_t n = 0;
	if (obol_http_get_json(c, target, 0, &j) == OBOL_OK) {
		char *text = json_dumps(j, JSON_COMPACT);
		n = text != NULL ? strlen(text) : 0;
		free(text);
	}
	json_decref(j);
	return n;
}
