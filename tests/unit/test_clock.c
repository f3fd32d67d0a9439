/* The settable test clock (core/clock.h, tests/lib/test_clock.c). Each case
 * runs in its own process, so the clock it installs dies with it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "test.h"

static void write_file(const char *path, const char *text)
{
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.new", path);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	rename(tmp, path); /* as a test moves the clock: atomically */
}

static long long skew(void)
{
	return (long long)(obol_now() - (int64_t)time(NULL));
}

TEST(clock, test_clock_follows_its_file)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/clock", test_tmpdir());
	write_file(path, "94608000\n");
	REQUIRE(setenv("OBOL_TEST_CLOCK", path, 1) == 0);
	REQUIRE_OK(obol_clock_install_for_tests());
	long long s = skew();
	CHECK(s >= 94608000 - 1 && s <= 94608000 + 1);
	write_file(path, "-3600");
	s = skew();
	CHECK(s >= -3601 && s <= -3599);
	/* A file that turns malformed leaves the last offset in force. */
	write_file(path, "next tuesday");
	s = skew();
	CHECK(s >= -3601 && s <= -3599);
	obol_clock_set_source(NULL);
	s = skew();
	CHECK(s >= -1 && s <= 1);
}

TEST(clock, test_clock_refuses_a_bad_file)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/clock", test_tmpdir());
	REQUIRE(setenv("OBOL_TEST_CLOCK", path, 1) == 0);
	CHECK_ERR(obol_clock_install_for_tests(), OBOL_E_CLOCK_TEST_FILE); /* missing */
	write_file(path, "12 days");
	CHECK_ERR(obol_clock_install_for_tests(), OBOL_E_CLOCK_TEST_FILE);
	write_file(path, "");
	CHECK_ERR(obol_clock_install_for_tests(), OBOL_E_CLOCK_TEST_FILE);
	write_file(path, "99999999999999999999999");
	CHECK_ERR(obol_clock_install_for_tests(), OBOL_E_CLOCK_TEST_FILE);
	long long s = skew();
	CHECK(s >= -1 && s <= 1);
}

TEST(clock, no_setting_is_the_system_clock)
{
	REQUIRE(unsetenv("OBOL_TEST_CLOCK") == 0);
	REQUIRE_OK(obol_clock_install_for_tests());
	long long s = skew();
	CHECK(s >= -1 && s <= 1);
}
