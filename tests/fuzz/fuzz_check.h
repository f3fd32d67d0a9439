/* What the fuzz targets assert (each target is one file, tests/fuzz/fuzz_*.c,
 * built by the Makefile's fuzz rule): a finding is an abort. */
#ifndef OBOL_FUZZ_CHECK_H
#define OBOL_FUZZ_CHECK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

/* a re-encoding that must give back the same bytes */
static inline void fuzz_same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	if (an != bn || memcmp(a, b, an) != 0)
		abort();
}

/* an input that must be refused, by a named error */
static inline void fuzz_refused(obol_err e)
{
	if (e == OBOL_OK || !obol_err_is_known((int)e))
		abort();
}

#endif
