/* obol version */
#include <sodium.h>
#include <stdio.h>
#include <openssl/opensslv.h>

#include "cli/cli.h"
#include "core/version.h"

static int cmd_version(const struct obol_cmd *cmd, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return obol_cli_usage_error(cmd, "takes no arguments");
	printf("obol %s (protocol %d; OpenSSL %s; libsodium %s)\n", OBOL_VERSION, OBOL_PROTOCOL_VERSION,
	       OPENSSL_VERSION_STR, sodium_version_string());
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(version_cmd, "version", "", "print the version of obol and of its libraries", NULL,
	     cmd_version)
