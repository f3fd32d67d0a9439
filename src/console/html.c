/* The escaping of every text the console puts in a page (html.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "console/html.h"

void obol_html_escape(struct obol_buf *b, const char *s)
{
	const char *run = s;
	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		const char *ent = NULL;
		switch (c) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		case '\t': case '\n': break;
		default:
			if (c != 0 && (c < 0x20 || c == 0x7f))
				ent = "\xef\xbf\xbd";
		}
		if (ent == NULL && c != 0)
			continue;
		obol_buf_addn(b, run, (size_t)(p - run));
		if (c == 0)
			return;
		obol_buf_add(b, ent);
		run = p + 1;
	}
}

void obol_html_url_arg(struct obol_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p != 0; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~') {
			obol_buf_addn(b, (const char *)p, 1);
		} else {
			char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			obol_buf_addn(b, enc, 3);
		}
	}
}

/* One integer conversion of length modifier len ("", "h", "hh", "l", "ll",
 * "z", "j") and conversion conv. */
static void put_int(struct obol_buf *b, const char *len, char conv, va_list *ap)
{
	char out[32];
	if (conv == 'u' || conv == 'x') {
		uintmax_t v = strcmp(len, "ll") == 0 ? va_arg(*ap, unsigned long long)
			      : strcmp(len, "l") == 0 ? va_arg(*ap, unsigned long)
			      : strcmp(len, "z") == 0 ? va_arg(*ap, size_t)
			      : strcmp(len, "j") == 0 ? va_arg(*ap, uintmax_t)
						      : va_arg(*ap, unsigned int);
		snprintf(out, sizeof out, conv == 'u' ? "%ju" : "%jx", v);
	} else {
		intmax_t v = strcmp(len, "ll") == 0 ? va_arg(*ap, long long)
			     : strcmp(len, "l") == 0 ? va_arg(*ap, long)
			     : strcmp(len, "z") == 0 ? (intmax_t)va_arg(*ap, size_t)
			     : strcmp(len, "j") == 0 ? va_arg(*ap, intmax_t)
						     : va_arg(*ap, int);
		snprintf(out, sizeof out, "%jd", v);
	}
	obol_buf_add(b, out);
}

void obol_html_printf(struct obol_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *run = fmt;
	for (const char *p = fmt; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		obol_buf_addn(b, run, (size_t)(p - run));
		p++;
		if (*p == '%') {
			obol_buf_add(b, "%");
			run = p + 1;
			continue;
		}
		char len[3] = "";
		size_t nlen = 0;
		while (*p != '\0' && strchr("hlzj", *p) != NULL && nlen < 2)
			len[nlen++] = *p++;
		char conv = *p;
		if (conv == 's' && nlen == 0) {
			const char *s = va_arg(ap, const char *);
			obol_html_escape(b, s != NULL ? s : "");
		} else if (conv == 'c' && nlen == 0) {
			char one[2] = { (char)va_arg(ap, int), 0 };
			obol_html_escape(b, one);
		} else if (conv != '\0' && strchr("diux", conv) != NULL) {
			put_int(b, len, conv, &ap);
		} else {
			b->failed = true;
			break;
		}
		run = p + 1;
	}
	if (!b->failed)
		obol_buf_add(b, run);
	va_end(ap);
}
