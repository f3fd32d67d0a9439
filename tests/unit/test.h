/* obol's unit and integration test framework.
 *
 * TEST(suite, name) { ... } declares a test case; it registers itself at load.
 * TEST_DB(suite, name) { ... } declares a test that runs once per storage
 * backend available (SQLite always, PostgreSQL when OBOL_TEST_PG_URL is set);
 * inside it, `db_url` is the backend's URL and each run counts as its own case,
 * printed with the backend's name.
 *
 * Each case runs in its own child process (a crash or a hang fails that case
 * only), in a fresh temporary directory given by test_tmpdir(). CHECK marks a
 * failure and goes on; REQUIRE marks it and ends the case. */
#ifndef OBOL_TESTS_TEST_H
#define OBOL_TESTS_TEST_H

#include <stdio.h>
#include <string.h>

#include "core/error.h"

struct obol_test {
	const char *suite;
	const char *name;
	void (*fn)(void);
	void (*db_fn)(const char *db_url);
	struct obol_test *next;
};

void obol_test_register(struct obol_test *t);
void obol_test_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A directory private to this case, removed afterwards. */
const char *test_tmpdir(void);
/* A fresh database URL of the running backend, for tests that need several. */
const char *test_db_url_new(const char *tag);
/* The running backend: "sqlite" or "postgres" (TEST_DB cases only). */
const char *test_backend(void);
/* Path of the obol command as the tests run it (build/obol-e2e, built for
 * tests: it honours OBOL_ARGON2_FAST), for tests that start real processes. */
const char *test_obol_bin(void);
/* Prints an informational line in the test's output (figures a test measures). */
void test_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define TEST(suite, name)                                                               \
	static void test_##suite##_##name(void);                                        \
	static struct obol_test test_reg_##suite##_##name = { #suite, #name,             \
							      test_##suite##_##name, NULL, NULL }; \
	__attribute__((constructor)) static void test_ctor_##suite##_##name(void)       \
	{                                                                               \
		obol_test_register(&test_reg_##suite##_##name);                         \
	}                                                                               \
	static void test_##suite##_##name(void)

#define TEST_DB(suite, name)                                                            \
	static void test_##suite##_##name(const char *db_url);                          \
	static struct obol_test test_reg_##suite##_##name = { #suite, #name, NULL,       \
							      test_##suite##_##name, NULL }; \
	__attribute__((constructor)) static void test_ctor_##suite##_##name(void)       \
	{                                                                               \
		obol_test_register(&test_reg_##suite##_##name);                         \
	}                                                                               \
	static void test_##suite##_##name(const char *db_url)

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond))                                                            \
			obol_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);         \
	} while (0)

#define REQUIRE(cond)                                                                   \
	do {                                                                            \
		if (!(cond)) {                                                          \
			obol_test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);       \
			return;                                                         \
		}                                                                       \
	} while (0)

/* The expression must return `want` (an obol_err). */
#define CHECK_ERR(expr, want)                                                           \
	do {                                                                            \
		obol_err got_ = (expr);                                                 \
		if (got_ != (want))                                                     \
			obol_test_fail(__FILE__, __LINE__, "%s gave %s, want %s", #expr, \
				       obol_strerror(got_), obol_strerror(want));       \
	} while (0)

#define CHECK_OK(expr) CHECK_ERR(expr, OBOL_OK)

#define REQUIRE_OK(expr)                                                                \
	do {                                                                            \
		obol_err got_ = (expr);                                                 \
		if (got_ != OBOL_OK) {                                                  \
			obol_test_fail(__FILE__, __LINE__, "%s gave %s", #expr,          \
				       obol_strerror(got_));                            \
			return;                                                         \
		}                                                                       \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                              \
	do {                                                                            \
		long long a_ = (long long)(a), b_ = (long long)(b);                     \
		if (a_ != b_)                                                           \
			obol_test_fail(__FILE__, __LINE__, "%s == %lld, want %lld", #a, a_, b_); \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                              \
	do {                                                                            \
		const char *a_ = (a), *b_ = (b);                                        \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                    \
			obol_test_fail(__FILE__, __LINE__, "%s == \"%s\", want \"%s\"", #a, \
				       a_ ? a_ : "(null)", b_ ? b_ : "(null)");         \
	} while (0)

#define CHECK_MEM_EQ(a, b, n)                                                           \
	do {                                                                            \
		if (memcmp((a), (b), (n)) != 0)                                         \
			obol_test_fail(__FILE__, __LINE__, "%s and %s differ", #a, #b);  \
	} while (0)

#endif
