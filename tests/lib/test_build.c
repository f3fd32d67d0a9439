/* Linked into the programs the tests run (build/obol-test, build/obol-attack,
 * build/obol-e2e): they are built for tests, so they honour OBOL_ARGON2_FAST
 * (crypto/seal.h). build/obol never links this file. */
#include "crypto/seal.h"

const bool obol_build_for_tests = true;
