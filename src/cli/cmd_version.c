/* obol version */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <openssl/opensslv.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "core/version.h"

/* --json: {"obol", "protocol", "openssl", "libsodium"}. */
static json_t *version_json(void)
{
	json_t *doc = json_object();
	if (obol_cli_json_set(doc, "obol", json_string(OBOL_VERSION)) &&
	    obol_cli_json_set(doc, "protocol", json_integer(OBOL_PROTOCOL_VERSION)) &&
	    obol_cli_json_set(doc, "openssl", json_string(OPENSSL_VERSION_STR)) &&
	    obol_cli_json_set(doc, "libsodium", json_string(sodium_version_string())))
		return doc;
	json_decref(doc);
	return NULL;
}

static int cmd_version(const struct obol_cmd *cmd, int argc, char **argv)
{
	bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
	if (argc > 1 && !json)
		return obol_cli_usage_error(cmd, "takes no arguments but --json");
	if (json)
		return obol_cli_print_json(cmd, version_json());
	printf("obol %s (protocol %d; OpenSSL %s; libsodium %s)\n", OBOL_VERSION, OBOL_PROTOCOL_VERSION,
	       OPENSSL_VERSION_STR, sodium_version_string());
	return OBOL_EXIT_OK;
}

OBOL_COMMAND(version_cmd, "version", "[--json]", "print the version of obol and of its libraries",
	     "  --json   one JSON object: obol, protocol, openssl, libsodium", cmd_version)
