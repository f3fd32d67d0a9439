/* obol issuer payword evidence: the frauds the agent proved (seed 003 §3.1;
 * DESIGN §7), with the signed material that proves them. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "issuer/payword_db.h"
#include "store/ledger.h"

static obol_err print_one(void *ctx, int64_t id, const char *kind, uint64_t serial, const char *culprit,
			  const char *detail, int64_t created)
{
	int *n = ctx;
	(*n)++;
	printf("evidence %lld: %s by %s on certificate %llu at %lld\n  %s\n", (long long)id, kind, culprit,
	       (unsigned long long)serial, (long long)created, detail);
	return OBOL_OK;
}

static int cmd_evidence(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 'd' }, { 0, 0, 0, 0 } };
	const char *db = NULL;
	struct obol_store *s = NULL;
	int c, n = 0;
	if (obol_cli_wants_help(argc, argv)) {
		obol_cli_print_usage(cmd, stdout);
		return OBOL_EXIT_OK;
	}
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd')
			return obol_cli_usage_error(cmd, "unknown option");
		db = optarg;
	}
	if (optind != argc)
		return obol_cli_extra_arg(cmd, argv[optind]);
	if (db == NULL)
		return obol_cli_usage_error(cmd, "--db is required");
	obol_err e = obol_ledger_open(db, &s);
	if (e == OBOL_OK)
		e = obol_store_begin(s);
	if (e == OBOL_OK) {
		e = payword_db_evidence_list(s, print_one, &n);
		obol_store_rollback(s);
	}
	obol_store_close(s);
	if (e)
		return obol_cli_fail(cmd, e, "cannot read the evidence");
	printf("%d proven frauds\n", n);
	return OBOL_EXIT_OK;
}
OBOL_COMMAND(issuer_pw_evidence_cmd, "issuer payword evidence", "--db URL",
	     "list the payword frauds the agent proved, with their evidence", NULL, cmd_evidence)
