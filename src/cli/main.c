/* obol: dispatches argv to the subcommand table (see cli.h). */
#include <stdio.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "crypto/secret.h"

int main(int argc, char **argv)
{
	if (obol_crypto_init() != OBOL_OK) {
		fprintf(stderr, "obol: %s: %s\n", obol_strerror(OBOL_E_CRYPTO_INIT),
			obol_errhint(OBOL_E_CRYPTO_INIT));
		return OBOL_EXIT_FAIL;
	}
	/* Nothing in build/obol; the settable clock in test builds (core/clock.h). */
	obol_err e = obol_clock_install_for_tests();
	if (e != OBOL_OK) {
		fprintf(stderr, "obol: %s: %s\n", obol_strerror(e), obol_errhint(e));
		return OBOL_EXIT_FAIL;
	}
	return obol_cli_main(argc, argv);
}
