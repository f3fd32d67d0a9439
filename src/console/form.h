/* What a browser sends the console: form bodies and query strings
 * (application/x-www-form-urlencoded, WHATWG URL §5) and the Cookie header
 * (RFC 6265 §5.4). Every parser is bounded and refuses what is ambiguous. */
#ifndef OBOL_CONSOLE_FORM_H
#define OBOL_CONSOLE_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define OBOL_FORM_FIELDS_MAX 32
#define OBOL_FORM_MAX (64 * 1024)

/* The decoded fields of one form; a password may be among them, so the text
 * is wiped when freed. */
struct obol_form {
	char *buf;
	const char *key[OBOL_FORM_FIELDS_MAX], *value[OBOL_FORM_FIELDS_MAX];
	size_t n;
};

/* Parses len bytes of "k=v&k=v" ('+' is a space, %XX a byte). A name given
 * twice, more than OBOL_FORM_FIELDS_MAX fields, more than OBOL_FORM_MAX bytes,
 * a bad %-escape or a NUL byte is WIRE_MALFORMED. Empty text is no field. */
OBOL_MUST_CHECK obol_err obol_form_parse(const char *text, size_t len, struct obol_form *out);
/* The value of a field, or NULL. */
const char *obol_form_get(const struct obol_form *f, const char *key);
void obol_form_free(struct obol_form *f);

/* Copies the value of the cookie `name` out of a Cookie header into out (cap
 * bytes with the NUL); false when the header has no such cookie, has it
 * twice (a cookie set by another path or a sibling domain cannot shadow the
 * console's), or its value does not fit. */
bool obol_cookie_get(const char *header, const char *name, char *out, size_t cap);

#endif
