/* Logging to stderr with a level chosen by OBOL_LOG (error|warn|info|debug).
 *
 * Contract: no secret (seed, key, passphrase, unblinded token before it is
 * spent, sealed-box plaintext) is ever passed to these functions. */
#ifndef OBOL_CORE_LOG_H
#define OBOL_CORE_LOG_H

#include "core/compiler.h"

enum obol_log_level { OBOL_LOG_ERROR = 0, OBOL_LOG_WARN, OBOL_LOG_INFO, OBOL_LOG_DEBUG };

/* Sets the name printed before each line (e.g. "issuer"); default "obol". */
void obol_log_set_tag(const char *tag);
void obol_log_set_level(enum obol_log_level level);
enum obol_log_level obol_log_level(void);
void obol_log(enum obol_log_level level, const char *fmt, ...) OBOL_PRINTF(2, 3);

#define obol_log_error(...) obol_log(OBOL_LOG_ERROR, __VA_ARGS__)
#define obol_log_warn(...) obol_log(OBOL_LOG_WARN, __VA_ARGS__)
#define obol_log_info(...) obol_log(OBOL_LOG_INFO, __VA_ARGS__)
#define obol_log_debug(...) obol_log(OBOL_LOG_DEBUG, __VA_ARGS__)

#endif
