/* Internal to src/schemes/codex: a sticky-failure writer and reader of the
 * scheme's fixed binary forms (big-endian integers, text as a one-byte length
 * and 1..max printable ASCII bytes). A failed write or read makes every later
 * one fail, so a caller checks once at the end. */
#ifndef OBOL_SCHEMES_CODEX_BYTES_H
#define OBOL_SCHEMES_CODEX_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"

#define CODEX_BIN_VERSION 1

struct wr {
	uint8_t *p;
	size_t cap, len;
	bool fail;
};

static inline void w_bytes(struct wr *w, const void *b, size_t n)
{
	if (w->fail || n > w->cap - w->len) {
		w->fail = true;
		return;
	}
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

static inline void w_u64(struct wr *w, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	w_bytes(w, b, 8);
}

static inline void w_u8(struct wr *w, uint8_t v) { w_bytes(w, &v, 1); }

static inline void w_u16(struct wr *w, size_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	if (v > 0xffff)
		w->fail = true;
	w_bytes(w, b, 2);
}

static inline void w_text(struct wr *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);
	if (n > max) {
		w->fail = true;
		return;
	}
	w_u8(w, (uint8_t)n);
	w_bytes(w, s, n);
}

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool fail;
};

static inline const uint8_t *r_bytes(struct rd *r, size_t n)
{
	if (r->fail || n > r->len - r->off) {
		r->fail = true;
		return NULL;
	}
	const uint8_t *at = r->p + r->off;
	r->off += n;
	return at;
}

static inline void r_copy(struct rd *r, void *out, size_t n)
{
	const uint8_t *b = r_bytes(r, n);
	if (b)
		memcpy(out, b, n);
	else
		memset(out, 0, n);
}

static inline uint64_t r_u64(struct rd *r)
{
	const uint8_t *b = r_bytes(r, 8);
	uint64_t v = 0;
	if (!b)
		return 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

static inline uint8_t r_u8(struct rd *r)
{
	const uint8_t *b = r_bytes(r, 1);
	return b ? b[0] : 0;
}

static inline size_t r_u16(struct rd *r)
{
	const uint8_t *b = r_bytes(r, 2);
	return b ? ((size_t)b[0] << 8) | b[1] : 0;
}

/* Text of 1..max printable ASCII bytes (names and currency codes). */
static inline void r_text(struct rd *r, char *out, size_t max)
{
	size_t n = r_u8(r);
	const uint8_t *b;
	out[0] = '\0';
	if (n == 0 || n > max) {
		r->fail = true;
		return;
	}
	b = r_bytes(r, n);
	if (!b)
		return;
	for (size_t i = 0; i < n; i++)
		if (b[i] < 0x21 || b[i] > 0x7e) {
			r->fail = true;
			return;
		}
	memcpy(out, b, n);
	out[n] = '\0';
}

static inline void r_magic(struct rd *r, const char magic[4])
{
	const uint8_t *b = r_bytes(r, 4);
	if (!b || memcmp(b, magic, 4) != 0 || r_u8(r) != CODEX_BIN_VERSION)
		r->fail = true;
}

/* The magic of a form that exists in versions 1..max; the version read. */
static inline uint8_t r_magic_upto(struct rd *r, const char magic[4], uint8_t max)
{
	const uint8_t *b = r_bytes(r, 4);
	uint8_t v;
	if (!b || memcmp(b, magic, 4) != 0) {
		r->fail = true;
		return 0;
	}
	v = r_u8(r);
	if (v < 1 || v > max)
		r->fail = true;
	return v;
}

static inline obol_err r_end(struct rd *r)
{
	return (r->fail || r->off != r->len) ? OBOL_E_CODEX_MALFORMED : OBOL_OK;
}

static inline obol_err w_end(struct wr *w, size_t *len)
{
	if (w->fail)
		return OBOL_E_INVALID_ARGUMENT;
	*len = w->len;
	return OBOL_OK;
}

static inline void w_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	w_bytes(w, b, 4);
}

static inline uint32_t r_u32(struct rd *r)
{
	const uint8_t *b = r_bytes(r, 4);
	return b ? ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3] : 0;
}

#endif
