/* The production value of obol_build_for_tests (crypto/seal.h). It is alone
 * in its file so that a test program, which defines the symbol itself
 * (tests/lib/test_build.c), never pulls this one from the library. */
#include "crypto/seal.h"

const bool obol_build_for_tests = false;
