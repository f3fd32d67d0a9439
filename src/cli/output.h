/* --json: a command that offers it (its usage says "[--json]") prints one
 * JSON document on stdout instead of its text, and its errors, usage errors
 * included, as the error object of the issuer's API on stderr:
 * {"code":N,"name":"NAME","hint":"...","detail":"..."} (obol_json_error_body,
 * docs/protocol.md "Errors"). obol_cli_main sets the mode before the command
 * runs, so that an error found before the command reads --json is an object
 * too. Amounts are their text form ("EUR:0.3"), as in the API. */
#ifndef OBOL_CLI_OUTPUT_H
#define OBOL_CLI_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "core/amount.h"

/* Whether the running command was asked for --json. */
bool obol_cli_json(void);
void obol_cli_set_json(bool on);

/* Prints doc (its reference taken; NULL means out of memory) on stdout,
 * indented, keys in the order they were set; returns an exit code. */
int obol_cli_print_json(const struct obol_cmd *cmd, json_t *doc);

/* An amount in its text form; NULL when out of memory. */
json_t *obol_cli_json_amount(const struct obol_amount *a);

/* Sets key to value (its reference taken) in obj; false when either is NULL
 * or out of memory, so that a chain of sets fails as a whole. */
bool obol_cli_json_set(json_t *obj, const char *key, json_t *value);

#endif
