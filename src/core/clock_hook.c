/* The production obol_clock_install_for_tests (core/clock.h): nothing. It is
 * alone in its file so that a program built for tests, which defines the
 * function itself (tests/lib/test_clock.c), never pulls this one from the
 * library, and build/obol, which does, holds no code that reads a test clock. */
#include "core/clock.h"

obol_err obol_clock_install_for_tests(void)
{
	return OBOL_OK;
}
