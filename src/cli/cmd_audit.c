/* obol audit: the conservation audit over an issuer database (DESIGN §4). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/output.h"
#include "store/audit.h"
#include "store/ledger.h"
#include "wire/json.h"

static const char *const item_kind[] = {
	[OBOL_AUDIT_FIGURE] = "figure",
	[OBOL_AUDIT_COUNT] = "count",
	[OBOL_AUDIT_NOTE] = "note",
	[OBOL_AUDIT_PROBLEM] = "problem",
	[OBOL_AUDIT_FINDING] = "finding",
};

/* One finding: {"kind", "label"?, "scheme"?, "amount" | "count","broken" | "text"}. */
static json_t *item_json(const struct obol_audit_item *it)
{
	json_t *o = json_object();
	bool ok = obol_cli_json_set(o, "kind", json_string(item_kind[it->kind]));
	if (ok && it->label != NULL)
		ok = obol_cli_json_set(o, "label", json_string(it->label));
	if (ok && it->scheme != NULL)
		ok = obol_cli_json_set(o, "scheme", json_string(it->scheme));
	if (ok && it->kind == OBOL_AUDIT_FIGURE)
		ok = obol_cli_json_set(o, "amount", obol_cli_json_amount(&it->amount));
	if (ok && it->kind == OBOL_AUDIT_COUNT)
		ok = obol_cli_json_set(o, "count", json_integer(it->count)) &&
		     obol_cli_json_set(o, "broken", json_integer(it->broken));
	if (ok && it->text != NULL)
		ok = obol_cli_json_set(o, "text", json_string(it->text));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* --json: {"verdict": "OK" | "FAILED" | "INCOMPLETE", "problems", "currency",
 * "backend", "items": [...], "error"?: the error object when it could not
 * finish}; the exit code as without --json. */
static int audit_json(const struct obol_cmd *cmd, struct obol_store *s)
{
	struct obol_audit_report rep = { 0 };
	obol_err e = obol_store_begin_read(s);
	if (e != OBOL_OK)
		return obol_cli_fail(cmd, e, "the audit could not read the database");
	e = obol_audit_collect(s, &rep);
	obol_store_rollback(s);
	const char *verdict = e == OBOL_OK ? "OK" : e == OBOL_E_AUDIT_FAILED ? "FAILED" : "INCOMPLETE";
	json_t *doc = json_object(), *items = json_array();
	bool ok = obol_cli_json_set(doc, "verdict", json_string(verdict)) &&
		  obol_cli_json_set(doc, "problems", json_integer(rep.problems)) &&
		  obol_cli_json_set(doc, "currency", json_string(rep.currency)) &&
		  obol_cli_json_set(doc, "backend", json_string(rep.backend != NULL ? rep.backend : ""));
	for (size_t i = 0; ok && i < rep.n; i++)
		ok = json_array_append_new(items, item_json(&rep.items[i])) == 0;
	ok = ok && obol_cli_json_set(doc, "items", json_incref(items));
	if (ok && rep.incomplete != OBOL_OK)
		ok = obol_cli_json_set(doc, "error", obol_json_error_body(rep.incomplete, NULL));
	json_decref(items);
	obol_audit_report_free(&rep);
	if (!ok) {
		json_decref(doc);
		doc = NULL;
	}
	int rc = obol_cli_print_json(cmd, doc);
	return rc != OBOL_EXIT_OK ? rc : e == OBOL_OK ? OBOL_EXIT_OK : OBOL_EXIT_FAIL;
}

static int cmd_audit(const struct obol_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = { { "db", required_argument, NULL, 'd' },
					      { "json", no_argument, NULL, 'j' },
					      { NULL, 0, NULL, 0 } };
	const char *db = NULL;
	bool json = false;
	struct obol_store *s = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'j')
			json = true;
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
	if (json) {
		int rc = audit_json(cmd, s);
		obol_store_close(s);
		return rc;
	}
	e = obol_audit_run(s, stdout);
	fflush(stdout);
	obol_store_close(s);
	if (e == OBOL_E_AUDIT_FAILED)
		return OBOL_EXIT_FAIL;
	return e == OBOL_OK ? OBOL_EXIT_OK : obol_cli_fail(cmd, e, "the audit could not read the database");
}

OBOL_COMMAND(audit_cmd, "audit", "--db URL [--json]",
	     "check that the ledger balances and that no money was created or lost",
	     "  --db URL   the issuer database (sqlite:PATH or postgresql://...)\n"
	     "  --json     one JSON object: verdict (OK, FAILED, INCOMPLETE), problems, currency,\n"
	     "             backend, items (each finding: kind, label, scheme, amount or count and\n"
	     "             broken, text), error (when it could not finish)\n"
	     "Prints funding, payouts, the sums of user and vendor balances, each scheme's\n"
	     "liability next to what its own tables say is outstanding, and ends with\n"
	     "'audit: OK' (exit 0) or names every broken entry and account (exit 1).",
	     cmd_audit)
