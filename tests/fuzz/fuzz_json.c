/* libFuzzer target: JSON bodies (src/wire/json.c) against a spec with every
 * field kind, and error bodies.
 *
 * Property: whatever decodes re-encodes, and that object's text decodes to the
 * same message and dumps to the same canonical text. */
#include <stdlib.h>

#include "../unit/wire_sample.h"
#include "wire/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sample m, m2;
	struct sample_spec s, s2;
	json_t *o1 = NULL, *o2 = NULL;
	char *t1 = NULL, *t2 = NULL;
	obol_err e = obol_json_error_from_body((const char *)data, size);
	if (e == OBOL_OK)
		abort();
	sample_spec_init(&s, &m);
	if (obol_json_decode_text((const char *)data, size, &s.spec) != OBOL_OK)
		goto out;
	/* A UINT above 2^63-1 cannot come from JSON, so encoding must work. */
	if (obol_json_encode(&s.spec, &o1) != OBOL_OK)
		abort();
	t1 = obol_json_dump_canonical(o1);
	if (t1 == NULL)
		abort();
	sample_spec_init(&s2, &m2);
	if (obol_json_decode_text(t1, strlen(t1), &s2.spec) != OBOL_OK || !sample_equal(&m, &m2))
		abort();
	if (obol_json_encode(&s2.spec, &o2) != OBOL_OK)
		abort();
	t2 = obol_json_dump_canonical(o2);
	if (t2 == NULL || strcmp(t1, t2) != 0)
		abort();
out:
	free(t1);
	free(t2);
	json_decref(o1);
	json_decref(o2);
	return 0;
}
