/* obol man (src/cli/cmd_man.c): a page for every command of the table, made
 * from its own help, and obol.conf(5) with the keys of each config file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../test.h"

static char *slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

TEST(cli_man, every_command_has_a_page_from_its_help)
{
	char cmd[1024], path[600], line[512];
	const char *dir = test_tmpdir();
	snprintf(cmd, sizeof cmd, "OBOL_CONFIG_DIR= %s man --dir %s/man >/dev/null 2>&1", test_obol_bin(), dir);
	REQUIRE(system(cmd) == 0);

	/* One page per line of `obol --help`'s table. */
	snprintf(cmd, sizeof cmd, "%s --help", test_obol_bin());
	FILE *p = popen(cmd, "r");
	REQUIRE(p != NULL);
	int pages = 0;
	while (fgets(line, sizeof line, p) != NULL) {
		if (strncmp(line, "  ", 2) != 0)
			continue;
		char *end = strstr(line + 2, "  ");
		REQUIRE(end != NULL);
		*end = '\0';
		for (char *c = line + 2; *c != '\0'; c++)
			if (*c == ' ')
				*c = '-';
		snprintf(path, sizeof path, "%s/man/obol-%s.1", dir, line + 2);
		const char *text = slurp(path);
		if (text == NULL || strstr(text, ".SH NAME\n") == NULL || strstr(text, ".SH SYNOPSIS\n") == NULL)
			obol_test_fail(__FILE__, __LINE__, "no page %s", path);
		pages++;
	}
	pclose(p);
	CHECK(pages >= 10);

	snprintf(path, sizeof path, "%s/man/obol-issuer-serve.1", dir);
	const char *serve = slurp(path);
	REQUIRE(serve != NULL);
	CHECK(strstr(serve, ".TH \"OBOL-ISSUER-SERVE\" \"1\"") != NULL);
	CHECK(strstr(serve, ".B \\-\\-listen HOST:PORT\n") != NULL);
	CHECK(strstr(serve, "(default 127.0.0.1:8080;") != NULL);
	CHECK(strstr(serve, ".I /etc/obol/issuer.conf\n") != NULL);

	snprintf(path, sizeof path, "%s/man/obol.conf.5", dir);
	const char *conf = slurp(path);
	REQUIRE(conf != NULL);
	CHECK(strstr(conf, ".SS [serve]\n.BR obol\\-issuer\\-serve (1)") != NULL);
	CHECK(strstr(conf, "threads = N   (default 8)\n") != NULL);
	CHECK(strstr(conf, "max\\-links = N   (default 64)\n") != NULL);

	snprintf(path, sizeof path, "%s/man/obol.1", dir);
	const char *obol = slurp(path);
	REQUIRE(obol != NULL);
	CHECK(strstr(obol, ".BR obol\\-vendor\\-serve (1)\n") != NULL);
}
