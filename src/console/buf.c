/* The growable text buffer (buf.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/buf.h"

static bool reserve(struct obol_buf *b, size_t more)
{
	if (b->failed)
		return false;
	if (more > OBOL_BUF_MAX || b->len + more > OBOL_BUF_MAX) {
		b->failed = true;
		return false;
	}
	size_t need = b->len + more + 1;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap != 0 ? b->cap : 1024;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void obol_buf_addn(struct obol_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void obol_buf_add(struct obol_buf *b, const char *s)
{
	obol_buf_addn(b, s, strlen(s));
}

void obol_buf_vprintf(struct obol_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void obol_buf_printf(struct obol_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	obol_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

obol_err obol_buf_error(const struct obol_buf *b)
{
	return b->failed ? OBOL_E_NO_MEMORY : OBOL_OK;
}

char *obol_buf_take(struct obol_buf *b, size_t *len)
{
	char *p = NULL;
	if (!b->failed && reserve(b, 0)) {
		p = b->p;
		*len = b->len;
		b->p = NULL;
	}
	obol_buf_free(b);
	return p;
}

void obol_buf_free(struct obol_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}
