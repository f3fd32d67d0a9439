/* `obol bench store` runs on each backend and reports its figures (no
 * figure is asserted: benchmarks are not timed tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "store/ledger.h"
#include "../test.h"

TEST_DB(bench, store_quick_json_reports_each_figure)
{
	char cmd[2000], out[4096];
	setenv("DB", db_url, 1);
	snprintf(cmd, sizeof(cmd), "'%s' bench store --db \"$DB\" --quick --json --threads 8 2>&1", test_obol_bin());
	FILE *p = popen(cmd, "r");
	REQUIRE(p != NULL);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	test_note("%s", strtok(out, "\n") ? out : "(no output)");
	const char *keys[] = { "\"raw_commits_per_s\":", "\"commits_per_s\":", "\"group_commits_per_s\":" };
	for (size_t i = 0; i < 3; i++) {
		const char *k = strstr(out, keys[i]);
		CHECK(k != NULL);
		if (k != NULL)
			CHECK(strtod(k + strlen(keys[i]), NULL) > 0);
	}
	/* Again on the same database: its bench accounts are reused. */
	snprintf(cmd, sizeof(cmd), "'%s' bench store --db \"$DB\" --quick --threads 2 >/dev/null 2>&1",
		 test_obol_bin());
	CHECK(system(cmd) == 0);
	/* A database whose ledger keeps a real currency is refused. */
	const char *u = test_db_url_new("eur");
	struct obol_store *s = NULL;
	REQUIRE(u != NULL);
	setenv("DB", u, 1);
	REQUIRE_OK(obol_store_open(u, true, &s));
	REQUIRE_OK(obol_ledger_init(s, "EUR"));
	obol_store_close(s);
	snprintf(cmd, sizeof(cmd), "'%s' bench store --db \"$DB\" --quick 2>&1", test_obol_bin());
	p = popen(cmd, "r");
	REQUIRE(p != NULL);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	CHECK(strstr(out, "LEDGER_CURRENCY") != NULL);
}
