/* A growable text buffer for the console's pages and the metrics text.
 *
 * Appending never returns an error: the first failure (no memory, or the
 * buffer past OBOL_BUF_MAX) makes the buffer failed, later appends do
 * nothing, and its owner asks obol_buf_error() once at the end (a sticky
 * failure, as the cursors of src/wire). */
#ifndef OBOL_CONSOLE_BUF_H
#define OBOL_CONSOLE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/compiler.h"
#include "core/error.h"

/* The largest page or metrics text the console writes. */
#define OBOL_BUF_MAX (16u << 20)

struct obol_buf {
	char *p;      /* NUL-terminated when not NULL */
	size_t len, cap;
	bool failed;
};

void obol_buf_add(struct obol_buf *b, const char *s);
void obol_buf_addn(struct obol_buf *b, const char *s, size_t n);
void obol_buf_printf(struct obol_buf *b, const char *fmt, ...) OBOL_PRINTF(2, 3);
void obol_buf_vprintf(struct obol_buf *b, const char *fmt, va_list ap) OBOL_PRINTF(2, 0);
/* NO_MEMORY when an append failed, else OBOL_OK. */
OBOL_MUST_CHECK obol_err obol_buf_error(const struct obol_buf *b);
/* The text (malloc'ed, NUL-terminated, *len bytes before the NUL): ownership
 * moves to the caller and the buffer is empty again. NULL when it failed. */
char *obol_buf_take(struct obol_buf *b, size_t *len);
void obol_buf_free(struct obol_buf *b);

#endif
