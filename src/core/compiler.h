/* Compiler attributes used across obol. */
#ifndef OBOL_CORE_COMPILER_H
#define OBOL_CORE_COMPILER_H

/* A result the caller must look at: every fallible function returns obol_err
 * and carries this mark, so an ignored error is a compile error under -Werror. */
#define OBOL_MUST_CHECK __attribute__((warn_unused_result))
#define OBOL_UNUSED __attribute__((unused))
#define OBOL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define OBOL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
