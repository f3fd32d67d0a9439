/* The settable clock of the programs the tests run (core/clock.h), linked
 * into build/obol-test, build/obol-attack, build/obol-e2e and build/obol-sim;
 * never into build/obol.
 *
 * OBOL_TEST_CLOCK=FILE: the wall clock is the system's plus an offset in
 * seconds, the one signed decimal integer FILE holds ("94608000" runs three
 * years ahead). A test moves every process's time at once by writing a new
 * file and renaming it over FILE: each process reads FILE again whenever its
 * modification time, inode or size changes, so a running daemon follows.
 * A file that turns unreadable or malformed while running leaves the last
 * offset in force. Monotonic time and waits stay the system's: moving the
 * wall clock fires no timer. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include <stdbool.h>

static struct {
	pthread_mutex_t mu;
	char path[4096];
	struct stat seen;
	int64_t offset;
} tc = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* FILE's offset; false when it cannot be read or is not one integer. */
static bool read_offset(const char *path, struct stat *st, int64_t *out)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool ok = fstat(fileno(f), st) == 0;
	size_t n = ok ? fread(buf, 1, sizeof buf - 1, f) : 0;
	fclose(f);
	if (!ok || n == 0 || n == sizeof buf - 1)
		return false;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf || *end != '\0')
		return false;
	*out = (int64_t)v;
	return true;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int64_t test_now(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	struct stat st;
	int64_t off;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&tc.mu);
	if (stat(tc.path, &st) == 0 && !same_file(&st, &tc.seen) && read_offset(tc.path, &st, &off)) {
		tc.seen = st;
		tc.offset = off;
	}
	off = tc.offset;
	pthread_mutex_unlock(&tc.mu);
	return (int64_t)ts.tv_sec + off;
}

/* Only the wall clock moves; intervals and sleeps stay the system's. */
static const struct obol_clock_source test_clock = { .now = test_now, .mono_ns = NULL, .sleep_ns = NULL, .ctx = NULL };

obol_err obol_clock_install_for_tests(void)
{
	const char *path = getenv("OBOL_TEST_CLOCK");
	struct stat st;
	int64_t off;
	if (path == NULL || path[0] == '\0')
		return OBOL_OK;
	if (strlen(path) >= sizeof tc.path || !read_offset(path, &st, &off))
		return OBOL_E_CLOCK_TEST_FILE;
	pthread_mutex_lock(&tc.mu);
	strcpy(tc.path, path);
	tc.seen = st;
	tc.offset = off;
	pthread_mutex_unlock(&tc.mu);
	obol_clock_set_source(&test_clock);
	return OBOL_OK;
}
