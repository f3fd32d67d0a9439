/* HTML out of C: the one escaping function every page goes through.
 *
 * Every piece of text that did not come from a literal in obol's source (an
 * account name, a reference, an error detail, a search query, a value from
 * the database) reaches a page through obol_html_escape, directly or as a %s
 * of obol_html_printf. Both are safe in element content and inside quoted
 * attribute values ("..." or '...'); nothing the console writes puts text in
 * a script, a style, an unquoted attribute or a URL scheme. */
#ifndef OBOL_CONSOLE_HTML_H
#define OBOL_CONSOLE_HTML_H

#include "console/buf.h"
#include "core/compiler.h"

/* Appends s with & < > " ' as the entities &amp; &lt; &gt; &quot; &#39;, and
 * every byte below 0x20 but tab and newline, and 0x7f, as U+FFFD (the
 * replacement character): a name cannot carry a control character into a
 * page. */
void obol_html_escape(struct obol_buf *b, const char *s);

/* printf into b, where every %s argument is escaped (obol_html_escape) and
 * the format itself is trusted markup. Conversions: %s, %c, the integer ones
 * (d i u x with h, l, ll, z or j) and %%, without flags, width or
 * precision. Any other marks the buffer failed. */
void obol_html_printf(struct obol_buf *b, const char *fmt, ...) OBOL_PRINTF(2, 3);

/* Appends s percent-encoded for a URL query value (RFC 3986 §2.3: the
 * unreserved characters as they are, every other byte as %XX), which is also
 * safe in an HTML attribute. */
void obol_html_url_arg(struct obol_buf *b, const char *s);

#endif
