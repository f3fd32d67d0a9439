/* obol issuer console-user add|password|remove|list and the same for the
 * vendor: who may log in to a daemon's console (src/console/console_db.h).
 * The issuer's operators live in its database, a vendor's in DIR/vendor.db,
 * so an operator added here can log in at the next page the console serves,
 * also to a console that already runs; a password changed or an operator
 * removed ends their sessions at their next request. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "console/console_db.h"
#include "core/clock.h"
#include "crypto/secret.h"

enum verb { ADD, PASSWORD, REMOVE, LIST };

struct opts {
	const char *db, *dir, *name;
	bool json;
};

static int parse(const struct obol_cmd *cmd, int argc, char **argv, bool vendor, bool named, struct opts *o)
{
	static const struct option all[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	memset(o, 0, sizeof *o);
	while ((c = getopt_long(argc, argv, "", all, NULL)) != -1) {
		if (c == 'd' && !vendor)
			o->db = optarg;
		else if (c == 'D' && vendor)
			o->dir = optarg;
		else if (c == 'n' && named)
			o->name = optarg;
		else if (c == 'j' && !named)
			o->json = true;
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (vendor ? o->dir == NULL : o->db == NULL)
		return obol_cli_usage_error(cmd, vendor ? "--dir DIR is required" : "--db URL is required");
	if (named && o->name == NULL)
		return obol_cli_usage_error(cmd, "--name NAME is required");
	return 0;
}

/* ctx: NULL for a text line, else the JSON array to append
 * {"name", "created", "password_changed"} (Unix seconds) to. */
static obol_err print_one(void *ctx, const char *name, int64_t created, int64_t changed)
{
	if (ctx != NULL) {
		json_t *o = json_object();
		if (obol_cli_json_set(o, "name", json_string(name)) && obol_cli_json_set(o, "created", json_integer(created)) &&
		    obol_cli_json_set(o, "password_changed", json_integer(changed)))
			return json_array_append_new(ctx, o) == 0 ? OBOL_OK : OBOL_E_NO_MEMORY;
		json_decref(o);
		return OBOL_E_NO_MEMORY;
	}
	printf("%s\t%lld\t%lld\n", name, (long long)created, (long long)changed);
	return OBOL_OK;
}

static obol_err remove_tx(struct obol_store *s, void *ctx)
{
	return obol_console_operator_remove(s, ctx);
}

static obol_err list_tx(struct obol_store *s, void *ctx)
{
	if (ctx == NULL)
		printf("name\tcreated\tpassword-changed\n");
	else
		json_array_clear(ctx); /* a retried transaction starts again */
	return obol_console_operator_list(s, print_one, ctx);
}

static int run(const struct obol_cmd *cmd, int argc, char **argv, bool vendor, enum verb verb)
{
	struct opts o;
	char url[PATH_MAX + 16], generated[OBOL_CONSOLE_PASSWORD_GEN];
	struct obol_store *s = NULL;
	int rc = parse(cmd, argc, argv, vendor, verb != LIST, &o);
	obol_err e;
	if (rc != 0)
		return rc;
	if (vendor && snprintf(url, sizeof url, "sqlite:%s/vendor.db", o.dir) >= (int)sizeof url)
		return obol_cli_usage_error(cmd, "--dir is too long");
	const char *db = vendor ? url : o.db;
	if (verb == ADD || verb == PASSWORD) {
		const char *password = getenv("OBOL_CONSOLE_PASSWORD");
		e = obol_console_operator_setup(db, vendor, o.name, password != NULL && password[0] != '\0' ? password : NULL,
						verb == PASSWORD, generated);
		if (e != OBOL_OK)
			return obol_cli_fail(cmd, e, o.name);
		printf("console-user: %s\n", o.name);
		if (generated[0] != '\0')
			printf("console-password: %s\n", generated);
		OBOL_WIPE(generated);
		return OBOL_EXIT_OK;
	}
	json_t *list = o.json ? json_array() : NULL;
	if (o.json && list == NULL)
		return obol_cli_fail(cmd, OBOL_E_NO_MEMORY, "the JSON output");
	e = obol_store_open(db, false, &s);
	if (e == OBOL_OK)
		e = obol_console_migrate(s);
	if (e == OBOL_OK)
		e = verb == REMOVE ? obol_store_transact(s, remove_tx, (void *)o.name) : obol_store_transact(s, list_tx, list);
	obol_store_close(s);
	if (e != OBOL_OK) {
		json_decref(list);
		return obol_cli_fail(cmd, e, verb == REMOVE ? o.name : db);
	}
	if (o.json)
		return obol_cli_print_json(cmd, list);
	if (verb == REMOVE)
		printf("removed: %s\n", o.name);
	return OBOL_EXIT_OK;
}

static int issuer_add(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run(cmd, argc, argv, false, ADD);
}
static int issuer_password(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run(cmd, argc, argv, false, PASSWORD);
}
static int issuer_remove(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run(cmd, argc, argv, false, REMOVE);
}
static int issuer_list(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run(cmd, argc, argv, false, LIST);
}
static int vendor_add(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run(cmd, argc, argv, true, ADD);
}
static int vendor_password(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run(cmd, argc, argv, true, PASSWORD);
}
static int vendor_remove(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run(cmd, argc, argv, true, REMOVE);
}
static int vendor_list(const struct obol_cmd *cmd, int argc, char **argv)
{
	return run(cmd, argc, argv, true, LIST);
}

#define LIST_JSON_HELP "  --json       a JSON array: name, created, password_changed (Unix seconds)"

#define PASSWORD_HELP                                                                                          \
	"The password comes from OBOL_CONSOLE_PASSWORD (12 to 256 characters); without it obol draws one\n"   \
	"and prints it as 'console-password: ...' (once: only its Argon2id hash is kept)."

OBOL_COMMAND(issuer_cu_add_cmd, "issuer console-user add", "--db URL --name NAME",
	     "add an operator who may log in to the issuer's console ('issuer serve --console')",
	     "  --db URL     the issuer database\n"
	     "  --name NAME  the operator's name: letters, digits, '.', '_', '-'\n" PASSWORD_HELP,
	     issuer_add)
OBOL_COMMAND(issuer_cu_password_cmd, "issuer console-user password", "--db URL --name NAME",
	     "set a new password for a console operator (their sessions end)",
	     "  --db URL     the issuer database\n"
	     "  --name NAME  the operator\n" PASSWORD_HELP,
	     issuer_password)
OBOL_COMMAND(issuer_cu_remove_cmd, "issuer console-user remove", "--db URL --name NAME",
	     "remove a console operator (their sessions end)",
	     "  --db URL     the issuer database\n"
	     "  --name NAME  the operator",
	     issuer_remove)
OBOL_COMMAND(issuer_cu_list_cmd, "issuer console-user list", "--db URL [--json]",
	     "list the console's operators (tab-separated: name created password-changed)",
	     "  --db URL     the issuer database\n" LIST_JSON_HELP, issuer_list)
OBOL_COMMAND(vendor_cu_add_cmd, "vendor console-user add", "--dir DIR --name NAME",
	     "add an operator who may log in to the vendor's console ('vendor serve --console')",
	     "  --dir DIR    the vendor's directory (operators are kept in DIR/vendor.db)\n"
	     "  --name NAME  the operator's name: letters, digits, '.', '_', '-'\n" PASSWORD_HELP,
	     vendor_add)
OBOL_COMMAND(vendor_cu_password_cmd, "vendor console-user password", "--dir DIR --name NAME",
	     "set a new password for a vendor console operator (their sessions end)",
	     "  --dir DIR    the vendor's directory\n"
	     "  --name NAME  the operator\n" PASSWORD_HELP,
	     vendor_password)
OBOL_COMMAND(vendor_cu_remove_cmd, "vendor console-user remove", "--dir DIR --name NAME",
	     "remove a vendor console operator (their sessions end)",
	     "  --dir DIR    the vendor's directory\n"
	     "  --name NAME  the operator",
	     vendor_remove)
OBOL_COMMAND(vendor_cu_list_cmd, "vendor console-user list", "--dir DIR [--json]",
	     "list the vendor console's operators (tab-separated: name created password-changed)",
	     "  --dir DIR    the vendor's directory\n" LIST_JSON_HELP, vendor_list)
