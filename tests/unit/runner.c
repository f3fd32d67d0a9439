/* The test runner: runs every registered case in its own child process.
 *
 *   obol-test [-l] [-j N] [FILTER...]
 *
 * A case runs when its "suite.name" contains one of the FILTERs (all when none).
 * TEST_DB cases run once per backend: SQLite, and PostgreSQL when
 * OBOL_TEST_PG_URL names a server the harness started (tests/lib/pg.sh). The
 * last line is "N passed, N failed" where N counts cases. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/secret.h"
#include "test.h"

static struct obol_test *tests;
static struct obol_test **tests_tail = &tests;
static int case_failed;
static char case_tmpdir[512];
static const char *case_backend;
static const char *case_db_base;
static unsigned db_counter;

void obol_test_register(struct obol_test *t)
{
	*tests_tail = t;
	tests_tail = &t->next;
}

void obol_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "    %s:%d: ", file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	case_failed = 1;
}

void test_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("    # ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

const char *test_tmpdir(void)
{
	return case_tmpdir;
}

const char *test_backend(void)
{
	return case_backend ? case_backend : "none";
}

const char *test_obol_bin(void)
{
	static char path[512];
	const char *b = getenv("OBOL_BUILD");
	snprintf(path, sizeof(path), "%s/obol-e2e", b ? b : "build");
	if (path[0] != '/') {
		char cwd[400];
		if (getcwd(cwd, sizeof(cwd)) != NULL) {
			char rel[512];
			snprintf(rel, sizeof(rel), "%s", path);
			snprintf(path, sizeof(path), "%s/%s", cwd, rel);
		}
	}
	return path;
}

/* SQLite: a new file in the case's directory. PostgreSQL: a new database in the
 * harness's cluster, created through psql (the harness puts it on PATH). */
const char *test_db_url_new(const char *tag)
{
	static char url[1024];
	unsigned n = ++db_counter;
	if (case_backend != NULL && strcmp(case_backend, "postgres") == 0) {
		char name[128], cmd[1400];
		/* The pid alone is not unique in one run's cluster: pids wrap
		 * (32768 on a busy machine) while earlier cases' databases stay;
		 * the wall clock's nanoseconds tell two such cases apart. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(name, sizeof(name), "t%ld_%lx_%u_%s", (long)getpid(),
			 (unsigned long)((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) & 0xffffffffffUL, n, tag);
		for (char *p = name; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
				*p = '_';
		snprintf(cmd, sizeof(cmd), "psql -q -d '%s' -c 'CREATE DATABASE %s' >/dev/null",
			 case_db_base, name);
		if (system(cmd) != 0) {
			obol_test_fail(__FILE__, __LINE__, "could not create database %s", name);
			return NULL;
		}
		/* Replace the database name of the base URL (…/postgres?host=…). */
		const char *q = strchr(case_db_base, '?');
		const char *slash = case_db_base + strlen("postgresql://");
		slash = strchr(slash, '/');
		if (slash == NULL || (q != NULL && slash > q)) {
			obol_test_fail(__FILE__, __LINE__, "OBOL_TEST_PG_URL needs a /dbname");
			return NULL;
		}
		snprintf(url, sizeof(url), "%.*s/%s%s", (int)(slash - case_db_base), case_db_base, name,
			 q ? q : "");
		return url;
	}
	snprintf(url, sizeof(url), "sqlite:%s/%s-%u.db", case_tmpdir, tag, n);
	return url;
}

static int matches(const struct obol_test *t, int nfilt, char **filt)
{
	char full[256];
	if (nfilt == 0)
		return 1;
	snprintf(full, sizeof(full), "%s.%s", t->suite, t->name);
	for (int i = 0; i < nfilt; i++)
		if (strstr(full, filt[i]) != NULL)
			return 1;
	return 0;
}

static void remove_tree(const char *path)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "    (could not remove %s)\n", path);
}

/* Runs one case in a child; returns 1 when it passed. */
static int run_case(const struct obol_test *t, const char *backend, const char *db_base,
		    unsigned timeout_s)
{
	char label[300];
	if (backend != NULL)
		snprintf(label, sizeof(label), "%s.%s [%s]", t->suite, t->name, backend);
	else
		snprintf(label, sizeof(label), "%s.%s", t->suite, t->name);

	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(case_tmpdir, sizeof(case_tmpdir), "%s/obol-test-XXXXXX", base);
	if (mkdtemp(case_tmpdir) == NULL) {
		printf("FAIL %s (mkdtemp: %s)\n", label, strerror(errno));
		return 0;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		alarm(timeout_s);
		case_failed = 0;
		case_backend = backend;
		case_db_base = db_base;
		if (obol_crypto_init() != OBOL_OK)
			_exit(3);
		if (t->fn != NULL) {
			t->fn();
		} else {
			const char *url = test_db_url_new("main");
			if (url == NULL)
				_exit(1);
			char copy[1024];
			snprintf(copy, sizeof(copy), "%s", url);
			t->db_fn(copy);
		}
		fflush(stdout);
		_exit(case_failed ? 1 : 0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Whatever the case started (daemons) goes with it. */
	kill(-pid, SIGKILL);
	remove_tree(case_tmpdir);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok   %s\n", label);
		return 1;
	}
	if (WIFSIGNALED(status))
		printf("FAIL %s (signal %d%s)\n", label, WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? ", timed out" : "");
	else
		printf("FAIL %s\n", label);
	return 0;
}

int main(int argc, char **argv)
{
	int list = 0, argi = 1;
	for (; argi < argc && argv[argi][0] == '-'; argi++) {
		if (strcmp(argv[argi], "-l") == 0)
			list = 1;
		else {
			fprintf(stderr, "usage: obol-test [-l] [FILTER...]\n");
			return 2;
		}
	}
	int nfilt = argc - argi;
	char **filt = argv + argi;
	unsigned timeout_s = 600;
	const char *pg = getenv("OBOL_TEST_PG_URL");
	if (pg != NULL && pg[0] == '\0')
		pg = NULL;

	int passed = 0, failed = 0;
	for (const struct obol_test *t = tests; t != NULL; t = t->next) {
		if (!matches(t, nfilt, filt))
			continue;
		if (list) {
			printf("%s.%s%s\n", t->suite, t->name, t->db_fn ? " [db]" : "");
			continue;
		}
		if (t->fn != NULL) {
			run_case(t, NULL, NULL, timeout_s) ? passed++ : failed++;
		} else {
			run_case(t, "sqlite", NULL, timeout_s) ? passed++ : failed++;
			if (pg != NULL)
				run_case(t, "postgres", pg, timeout_s) ? passed++ : failed++;
		}
		fflush(stdout);
	}
	if (!list)
		printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
