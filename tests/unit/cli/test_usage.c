/* The command line's contract with its user (src/cli/cli.h): `obol --help`
 * lists every command, a group word lists its own commands, every listed
 * command explains itself with --help (exit 0) and refuses an unknown option
 * or a stray word with exit 2, naming what it refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../test.h"

/* Runs `obol ARGS` (stdout and stderr together, stdin empty); returns its exit
 * code, or -1 when it did not exit normally. */
static int run_obol(const char *args, char *out, size_t cap)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "%s %s </dev/null 2>&1", test_obol_bin(), args);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(cli, group_help_lists_only_that_group)
{
	static char out[16384];
	CHECK_EQ_INT(run_obol("wallet ecash --help", out, sizeof out), 0);
	CHECK(strstr(out, "wallet ecash pay ") != NULL);
	CHECK(strstr(out, "wallet payword") == NULL);
	CHECK(strstr(out, "issuer serve") == NULL);

	CHECK_EQ_INT(run_obol("wallet ecash", out, sizeof out), 2);
	CHECK(strstr(out, "wallet ecash pay ") != NULL);
}

TEST(cli, unknown_words_exit_2_and_are_named)
{
	static char out[16384];
	CHECK_EQ_INT(run_obol("nosuch", out, sizeof out), 2);
	CHECK(strstr(out, "unknown command 'nosuch'") != NULL);
	CHECK_EQ_INT(run_obol("issuer nosuch --help", out, sizeof out), 2);
	CHECK(strstr(out, "unknown command 'issuer nosuch'") != NULL);
	CHECK(strstr(out, "issuer serve") != NULL);

	CHECK_EQ_INT(run_obol("audit --db sqlite:/nonexistent/x.db stray", out, sizeof out), 2);
	CHECK(strstr(out, "unexpected argument 'stray'") != NULL);
	CHECK_EQ_INT(run_obol("wallet ecash coins --wallet /nonexistent/w stray", out, sizeof out), 2);
	CHECK(strstr(out, "unexpected argument 'stray'") != NULL);

	CHECK_EQ_INT(run_obol("demo --scheme nosuch", out, sizeof out), 2);
	CHECK(strstr(out, "no demo of scheme 'nosuch'") != NULL);
}

TEST(cli, every_command_explains_itself_and_refuses_bad_usage)
{
	static char table[16384], out[16384];
	CHECK_EQ_INT(run_obol("--help", table, sizeof table), 0);
	int commands = 0;
	for (char *line = strtok(table, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (strncmp(line, "  ", 2) != 0)
			continue;
		/* "  PATH  summary": the path ends at the first run of two spaces. */
		char *path = line + 2, *end = strstr(path, "  ");
		REQUIRE(end != NULL);
		*end = '\0';
		char args[512], want[300];
		commands++;

		snprintf(args, sizeof args, "%s --help", path);
		snprintf(want, sizeof want, "usage: obol %s", path);
		if (run_obol(args, out, sizeof out) != 0 || strstr(out, want) != out)
			obol_test_fail(__FILE__, __LINE__, "'obol %s' did not print its usage", args);

		snprintf(args, sizeof args, "%s --no-such-option", path);
		if (run_obol(args, out, sizeof out) != 2)
			obol_test_fail(__FILE__, __LINE__, "'obol %s' did not exit 2", args);

		snprintf(args, sizeof args, "%s stray-word", path);
		if (run_obol(args, out, sizeof out) != 2)
			obol_test_fail(__FILE__, __LINE__, "'obol %s' did not exit 2", args);
	}
	CHECK(commands >= 10);
	test_note("%d commands checked", commands);
}

/* The schemes register their own 'issuer init' options; its help shows them. */
TEST(cli, issuer_init_help_lists_the_schemes_options)
{
	static char out[16384];
	CHECK_EQ_INT(run_obol("issuer init --help", out, sizeof out), 0);
	CHECK(strstr(out, "payword options:") != NULL);
	CHECK(strstr(out, "--payword-token-value") != NULL);
}
