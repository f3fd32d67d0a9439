/* Form bodies, query strings and cookies (form.h). */
#include <stdlib.h>
#include <string.h>

#include "console/form.h"
#include "crypto/secret.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes [p, end) into w; returns the byte after its NUL, or NULL. */
static char *decode(const char *p, const char *end, char *w)
{
	while (p < end) {
		if (*p == '%') {
			if (end - p < 3 || hexval(p[1]) < 0 || hexval(p[2]) < 0)
				return NULL;
			char c = (char)(hexval(p[1]) << 4 | hexval(p[2]));
			if (c == '\0')
				return NULL;
			*w++ = c;
			p += 3;
		} else {
			*w++ = *p == '+' ? ' ' : *p;
			p++;
		}
	}
	*w++ = '\0';
	return w;
}

obol_err obol_form_parse(const char *text, size_t len, struct obol_form *out)
{
	memset(out, 0, sizeof *out);
	if (len > OBOL_FORM_MAX || (len > 0 && memchr(text, '\0', len) != NULL))
		return OBOL_E_WIRE_MALFORMED;
	if ((out->buf = malloc(len + OBOL_FORM_FIELDS_MAX * 2 + 2)) == NULL)
		return OBOL_E_NO_MEMORY;
	char *w = out->buf;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fend = amp != NULL ? amp : end;
		if (fend > p) {
			const char *eq = memchr(p, '=', (size_t)(fend - p));
			if (out->n == OBOL_FORM_FIELDS_MAX)
				goto bad;
			out->key[out->n] = w;
			if ((w = decode(p, eq != NULL ? eq : fend, w)) == NULL)
				goto bad;
			out->value[out->n] = w;
			if ((w = decode(eq != NULL ? eq + 1 : fend, fend, w)) == NULL)
				goto bad;
			for (size_t i = 0; i < out->n; i++)
				if (strcmp(out->key[i], out->key[out->n]) == 0)
					goto bad;
			out->n++;
		}
		p = amp != NULL ? amp + 1 : end;
	}
	return OBOL_OK;
bad:
	obol_form_free(out);
	return OBOL_E_WIRE_MALFORMED;
}

const char *obol_form_get(const struct obol_form *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->key[i], key) == 0)
			return f->value[i];
	return NULL;
}

void obol_form_free(struct obol_form *f)
{
	obol_free_wiped(f->buf);
	memset(f, 0, sizeof *f);
}

bool obol_cookie_get(const char *header, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	bool found = false;
	if (header == NULL)
		return false;
	for (const char *p = header; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *semi = strchr(p, ';');
		const char *end = semi != NULL ? semi : p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t vlen = (size_t)(end - v);
			while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			if (found || vlen + 1 > cap) {
				out[0] = '\0';
				return false;
			}
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			found = true;
		}
		p = semi != NULL ? semi + 1 : end;
	}
	return found;
}
