/* obol issuer init: a new issuer database with its ledger, keys and each
 * scheme's setup. Schemes add their own options through
 * OBOL_ISSUER_SCHEME(.init_options, .init_help, .init) (src/issuer/issuer.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/key_files.h"
#include "console/console_db.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"

#define MAX_OPTS 64

/* Where the master key goes: the file named, or for an SQLite database
 * PATH.master-key beside it (to be moved off the machine). */
static obol_err keep_master(void *ctx, const struct obol_sign_keypair *master)
{
	const char *path = ctx;
	if (master == NULL) { /* the database was not made: the file goes too */
		unlink(path);
		return OBOL_OK;
	}
	return master_key_file_write(path, master->sk); /* the seed: the first half of sk */
}

/* The schemes' own options, after the command's help. */
static void print_scheme_help(FILE *f)
{
	for (struct obol_issuer_scheme *sch = obol_issuer_schemes(); sch != NULL; sch = sch->next)
		if (sch->init_help != NULL)
			fprintf(f, "\n%s options:\n%s\n", sch->name, sch->init_help);
}

static int cmd_issuer_init(const struct obol_cmd *cmd, int argc, char **argv)
{
	struct option opts[MAX_OPTS + 5];
	const char *db = NULL, *currency = NULL, *operator = "admin", *master_file = NULL;
	char *master_default = NULL;
	bool ceremony = true;
	struct obol_init_arg *args = NULL;
	size_t nopts = 0, nargs = 0;
	int c, rc = OBOL_EXIT_OK;

	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	opts[nopts++] = (struct option){ "db", required_argument, NULL, 'd' };
	opts[nopts++] = (struct option){ "currency", required_argument, NULL, 'c' };
	opts[nopts++] = (struct option){ "console-user", required_argument, NULL, 'u' };
	opts[nopts++] = (struct option){ "master-key", required_argument, NULL, 'm' };
	opts[nopts++] = (struct option){ "no-ceremony", no_argument, NULL, 'N' };
	for (struct obol_issuer_scheme *sch = obol_issuer_schemes(); sch != NULL; sch = sch->next)
		for (const char *const *o = sch->init_options; o != NULL && *o != NULL; o++) {
			if (nopts == MAX_OPTS)
				return obol_cli_fail(cmd, OBOL_E_INTERNAL, "too many scheme options");
			opts[nopts] = (struct option){ *o, required_argument, NULL, 1000 + (int)nopts };
			nopts++;
		}
	opts[nopts] = (struct option){ 0, 0, 0, 0 };

	args = calloc((size_t)argc, sizeof *args);
	if (args == NULL)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "out of memory");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'c') {
			currency = optarg;
		} else if (c == 'u') {
			operator = optarg;
		} else if (c == 'm') {
			master_file = optarg;
		} else if (c == 'N') {
			ceremony = false;
		} else if (c >= 1000 && c < 1000 + (int)nopts) {
			args[nargs].name = opts[c - 1000].name;
			args[nargs++].value = optarg;
		} else {
			rc = obol_cli_usage_error(cmd, "unknown option");
			goto out;
		}
	}
	if (optind != argc) {
		rc = obol_cli_extra_arg(cmd, argv[optind]);
		goto out;
	}
	if (db == NULL || currency == NULL) {
		rc = obol_cli_usage_error(cmd, "--db and --currency are required");
		goto out;
	}
	if (!obol_console_name_valid(operator)) {
		rc = obol_cli_usage_error(cmd, "--console-user is letters, digits, '.', '_' or '-'");
		goto out;
	}
	if (master_file == NULL) {
		if (strncmp(db, "sqlite:", 7) != 0 || asprintf(&master_default, "%s.master-key", db + 7) < 0) {
			master_default = NULL;
			rc = obol_cli_usage_error(cmd, "--master-key FILE is required for this database");
			goto out;
		}
		master_file = master_default;
	}
	obol_err e = ceremony ? obol_issuer_init_db_master(db, currency, args, nargs, keep_master, (void *)master_file, stdout)
			      : obol_issuer_init_db_bare(db, currency, args, nargs, keep_master, (void *)master_file, stdout);
	if (e != OBOL_OK) {
		rc = obol_cli_fail(cmd, e,
				   e == OBOL_E_IO ? "cannot write the master key file (it is never overwritten)"
						  : "cannot initialise the issuer database");
		goto out;
	}
	printf("master-key-file: %s\n", master_file);
	/* The console's first operator. */
	char generated[OBOL_CONSOLE_PASSWORD_GEN];
	const char *password = getenv("OBOL_CONSOLE_PASSWORD");
	e = obol_console_operator_setup(db, false, operator, password != NULL && password[0] != '\0' ? password : NULL,
					false, generated);
	if (e != OBOL_OK) {
		rc = obol_cli_fail(cmd, e, "cannot add the console's operator");
		goto out;
	}
	printf("console-user: %s\n", operator);
	if (generated[0] != '\0')
		printf("console-password: %s\n", generated);
	OBOL_WIPE(generated);
out:
	free(master_default);
	free(args);
	return rc;
}

OBOL_COMMAND(issuer_init_cmd, "issuer init",
	     "--db URL --currency CUR [--master-key FILE] [--no-ceremony] [--console-user NAME]\n"
	     "       [scheme options]",
	     "create the issuer database: ledger, keys, each scheme's setup, the first key ceremony",
	     "  --db URL        sqlite:PATH (created) or postgresql://...\n"
	     "  --currency CUR  the currency of the ledger, e.g. EUR\n"
	     "  --master-key FILE  where the new master key goes (mode 0600; an existing file is refused);\n"
	     "                  default for sqlite:PATH: PATH.master-key. Required for PostgreSQL\n"
	     "  --no-ceremony   leave the first key ceremony to 'issuer keys export-requests', 'offline\n"
	     "                  sign', 'issuer keys import': until then issuer serve signs nothing\n"
	     "  --console-user NAME  the console's first operator (default admin); the password comes from\n"
	     "                  OBOL_CONSOLE_PASSWORD, or obol draws one and prints it once\n"
	     "The master key never enters the database: init holds the first key ceremony with it (online\n"
	     "signing keys for the next 120 days and each scheme's keys, announced) and writes it to the\n"
	     "master key file. Move that file to the machine that keeps the master key ('obol offline\n"
	     "sign'; docs/operations.md, The key ceremony).\n"
	     "Prints the currency, the master public key (clients pin it), the box public key, how many\n"
	     "announcements the ceremony signed, the master key file, and the console's operator (with\n"
	     "its password when drawn).",
	     cmd_issuer_init)

__attribute__((constructor)) static void issuer_init_more_help(void)
{
	issuer_init_cmd.more_help = print_scheme_help;
}
