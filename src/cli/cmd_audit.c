/* obol audit: the conservation audit over an issuer database (DESIGN §4). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "store/audit.h"
#include "store/ledger.h"

static int cmd_audit(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 'd' }, { NULL, 0, NULL, 0 } };
	const char *db = NULL;
	struct obol_store *s = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else
			return obol_cli_usage_error(cmd, "unknown option");
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (db == NULL)
		return obol_cli_usage_error(cmd, "--db URL is required");
	obol_err e = obol_ledger_open(db, &s);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, db);
	e = obol_audit_run(s, stdout);
	fflush(stdout);
	obol_store_close(s);
	if (e == OBOL_E_AUDIT_FAILED)
		return OBOL_EXIT_FAIL;
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "the audit could not read the database");
}

OBOL_COMMAND(audit_cmd, "audit", "--db URL",
	     "check that the ledger balances and that no money was created or lost",
	     "  --db URL   the issuer database (sqlite:PATH or postgresql://...)\n"
	     "Prints funding, payouts, the sums of user and vendor balances, each scheme's\n"
	     "liability next to what its own tables say is outstanding, and ends with\n"
	     "'audit: OK' (exit 0) or names every broken entry and account (exit 1).",
	     cmd_audit)
