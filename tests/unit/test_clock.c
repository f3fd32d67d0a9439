/* The settable test clock (core/clock.h, tests/lib/test_clock.c). Each case
 * runs in its own process, so the clock it installs dies with it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/timed_wait.h"
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

/* The daemons' timed waits (core/timed_wait.h) run on the monotonic clock:
 * a deadline made by obol_cond_deadline_ms lies the asked time after the
 * monotonic clock at the call, and a wait on a condition made by
 * obol_cond_init_monotonic times out once the monotonic clock reaches it.
 * Made on the wall clock instead, the deadline (some 1.7e9 s) would lie
 * decades ahead of the monotonic clock (the wait would not end), and a
 * monotonic deadline on a wall-clock condition lies in the past (the wait
 * would end at once). Every check compares readings of the monotonic clock
 * taken around the calls, so none depends on how fast the machine is. */
static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

TEST(clock, timed_waits_run_on_the_monotonic_clock)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	obol_cond_init_monotonic(&cv);
	struct timespec until, before, after;
	clock_gettime(CLOCK_MONOTONIC, &before);
	obol_cond_deadline_ms(&until, 1999);
	clock_gettime(CLOCK_MONOTONIC, &after);
	REQUIRE(until.tv_nsec >= 0 && until.tv_nsec < 1000000000L);
	REQUIRE(seconds_between(&before, &until) >= 1.999 - 1e-9);
	REQUIRE(seconds_between(&after, &until) <= 1.999 + 1e-9); /* else the wait below would not end */
	clock_gettime(CLOCK_MONOTONIC, &before);
	obol_cond_deadline_ms(&until, 60);
	pthread_mutex_lock(&mu);
	int rc = 0;
	while (rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&cv, &mu, &until);
	pthread_mutex_unlock(&mu);
	clock_gettime(CLOCK_MONOTONIC, &after);
	CHECK(seconds_between(&until, &after) >= 0.0); /* not woken before the deadline */
	CHECK(seconds_between(&before, &after) >= 0.060 - 1e-9);
	CHECK(seconds_between(&before, &after) < 60.0);
	pthread_cond_destroy(&cv);
}
