/* The one project-wide error enum.
 *
 * Every fallible obol function returns obol_err; 0 is success. Each code has a
 * stable number (carried in HTTP error bodies as {"code","name","hint"}), an
 * HTTP status for the issuer API, a name (the enum name without OBOL_E_) and a
 * hint a person can act on. Codes are declared once, in the .def files of src/core/errors/,
 * one file per layer or scheme, each in its own number range:
 *
 *   1-99 core   100-199 crypto   200-299 wire   300-399 store/ledger
 *   400-499 issuer/vendor/wallet shells   500-599 command line and config files
 *   1000-1099 coupon   1100-1199 ecash
 *   1200-1299 payword   1300-1399 codex
 */
#ifndef OBOL_CORE_ERROR_H
#define OBOL_CORE_ERROR_H

#include "core/compiler.h"

typedef enum obol_err {
	OBOL_OK = 0,
#define OBOL_ERR(name, code, http, hint) OBOL_E_##name = code,
#include "core/errors/all.def"
#undef OBOL_ERR
} obol_err;

/* The short stable name, e.g. "COUPON_TOKEN_NOT_IN_CHAIN"; "OK" for 0 and
 * "UNKNOWN_ERROR" for a number that is not declared. Never NULL. */
const char *obol_strerror(obol_err e);

/* One sentence saying what went wrong and what to do. Never NULL. */
const char *obol_errhint(obol_err e);

/* The HTTP status the issuer API answers with for this error. */
unsigned obol_errhttp(obol_err e);

/* Looks a name up; returns OBOL_E_UNKNOWN_ERROR when it is not one. */
obol_err obol_err_from_name(const char *name);

/* Whether a code is declared (used when decoding an error a peer sent). */
int obol_err_is_known(int code);

#endif
