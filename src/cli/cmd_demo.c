/* obol demo: runs each registered scheme scenario (src/cli/demo.h). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/demo_int.h"
#include "crypto/seal.h"

static int cmd_demo(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scheme", required_argument, NULL, 's' },
		{ "keep", no_argument, NULL, 'k' },
		{ 0, 0, 0, 0 },
	};
	const char *only = NULL;
	int keep = 0, c, ran = 0, failed = 0;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			only = optarg;
		else if (c == 'k')
			keep = 1;
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (only != NULL) {
		char known[256] = "";
		bool found = false;
		for (struct obol_demo_entry *e = obol_demo_entries(); e != NULL; e = e->next) {
			found = found || strcmp(only, e->scheme) == 0;
			size_t used = strlen(known);
			snprintf(known + used, sizeof known - used, "%s%s", used ? ", " : "", e->scheme);
		}
		if (!found) {
			char what[320];
			snprintf(what, sizeof what, "no demo of scheme '%s' (there are: %s)", only, known);
			return obol_cli_usage_error(cmd, what);
		}
	}

	struct obol_demo *d = calloc(1, sizeof *d);
	if (d == NULL)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "out of memory");
	ssize_t n = readlink("/proc/self/exe", d->obol, sizeof d->obol - 1);
	if (n <= 0) {
		free(d);
		return obol_cli_fail(cmd, OBOL_E_IO, "cannot find the obol binary");
	}
	d->obol[n] = '\0';
	setenv("OBOL_PASSPHRASE", "obol demo passphrase", 1);
	if (obol_build_for_tests)
		setenv("OBOL_ARGON2_FAST", "1", 1); /* a production build hashes at full cost */

	for (struct obol_demo_entry *e = obol_demo_entries(); e != NULL; e = e->next) {
		if (only != NULL && strcmp(only, e->scheme) != 0)
			continue;
		ran++;
		snprintf(d->dir, sizeof d->dir, "%s/obol-demo-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			 e->scheme);
		if (mkdtemp(d->dir) == NULL) {
			free(d);
			return obol_cli_fail(cmd, OBOL_E_IO, "cannot create a temporary directory");
		}
		d->signer_sock[0] = '\0';
		printf("== demo %s (in %s)\n", e->scheme, d->dir);
		fflush(stdout);
		obol_err r = e->fn(d);
		obol_demo_stop_all(d);
		if (r == OBOL_OK) {
			printf("demo %s: OK\n\n", e->scheme);
		} else {
			printf("demo %s: FAILED (%s)\n\n", e->scheme, obol_strerror(r));
			failed++;
		}
		if (!keep)
			obol_demo_rmtree(d->dir);
		fflush(stdout);
	}
	free(d);
	if (ran == 0)
		return obol_cli_fail(cmd, OBOL_E_NOT_FOUND, only != NULL ? "no demo of that scheme" : "no demos registered");
	printf("%d demo%s run, %d failed\n", ran, ran == 1 ? "" : "s", failed);
	return failed == 0 ? OBOL_EXIT_OK : OBOL_EXIT_FAIL;
}

OBOL_COMMAND(demo_cmd, "demo", "[--scheme NAME] [--keep]",
	     "run the schemes end to end with real processes on loopback",
	     "  --scheme NAME  only this scheme's scenario (platform, coupon, ecash, payword, codex)\n"
	     "  --keep         keep each scenario's temporary directory (logs, databases, wallets)",
	     cmd_demo)
